//! The Prometheus text exposition format (what `GET /metrics` answers), and the
//! `apiserver_requested_deprecated_apis` series in it: the deprecated APIs that clients
//! actually requested since the API server started.

use mcp_diag_model::RequestedApi;

/// One sample: `name{labels} value [timestamp]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    /// Milliseconds since the epoch, when the line has one.
    pub timestamp: Option<i64>,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A line that could not be read, with its number (from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

/// Parses the samples whose metric name `wanted` accepts. `# HELP`, `# TYPE` and other
/// comments are skipped; a bad line is reported and the rest still read.
pub fn parse(text: &str, wanted: impl Fn(&str) -> bool) -> (Vec<Sample>, Vec<LineError>) {
    let mut samples = Vec::new();
    let mut errors = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Cheap filter before the full parse: the name comes first (or first inside braces).
        let quick_name = line
            .split(|c: char| c == '{' || c.is_whitespace())
            .next()
            .unwrap_or_default();
        if !quick_name.is_empty() && !wanted(quick_name) {
            continue;
        }
        match parse_line(line) {
            Ok(sample) if wanted(&sample.name) => samples.push(sample),
            Ok(_) => {}
            Err(message) => errors.push(LineError {
                line: index + 1,
                message,
            }),
        }
    }
    (samples, errors)
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Parses one sample line.
pub fn parse_line(line: &str) -> Result<Sample, String> {
    let mut rest = line;
    let mut name = String::new();
    if rest.starts_with(|c: char| is_name_start(c)) {
        let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        name.push_str(&rest[..end]);
        rest = &rest[end..];
    }
    let mut labels = Vec::new();
    rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('{') {
        rest = inner;
        loop {
            rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            // A quoted metric name inside the braces (UTF-8 names), or `label="value"`.
            let (label, after) = if rest.starts_with('"') {
                let (text, after) = quoted(rest)?;
                let after = after.trim_start();
                if after.starts_with('=') {
                    (Some(text), after)
                } else {
                    if !name.is_empty() {
                        return Err("two metric names".to_owned());
                    }
                    name = text;
                    (None, after)
                }
            } else {
                if !rest.starts_with(|c: char| is_name_start(c)) {
                    return Err(format!("expected a label name at {:?}", truncate(rest)));
                }
                let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
                (Some(rest[..end].to_owned()), rest[end..].trim_start())
            };
            rest = after;
            if let Some(label) = label {
                rest = rest
                    .strip_prefix('=')
                    .ok_or_else(|| format!("expected `=` after label {label}"))?
                    .trim_start();
                let (value, after) = quoted(rest)?;
                labels.push((label, value));
                rest = after;
            }
            rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix(',') {
                rest = after;
            } else if !rest.starts_with('}') {
                return Err(format!("expected `,` or `}}` at {:?}", truncate(rest)));
            }
        }
    }
    if name.is_empty() {
        return Err("no metric name".to_owned());
    }
    let mut fields = rest.split_whitespace();
    let value = fields.next().ok_or("no value")?;
    let value = parse_value(value).ok_or_else(|| format!("bad value {value:?}"))?;
    let timestamp = match fields.next() {
        Some(t) => Some(t.parse::<i64>().map_err(|_| format!("bad timestamp {t:?}"))?),
        None => None,
    };
    if fields.next().is_some() {
        return Err("unexpected text after the timestamp".to_owned());
    }
    Ok(Sample {
        name,
        labels,
        value,
        timestamp,
    })
}

fn truncate(text: &str) -> &str {
    let end = text.char_indices().nth(20).map_or(text.len(), |(i, _)| i);
    &text[..end]
}

fn parse_value(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}

/// A double-quoted string with `\\`, `\"` and `\n` escapes; the text and what follows.
fn quoted(text: &str) -> Result<(String, &str), String> {
    let body = text.strip_prefix('"').ok_or("expected a quoted value")?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &body[i + 1..])),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, '"')) => out.push('"'),
                Some((_, other)) => {
                    out.push('\\');
                    out.push(other);
                }
                None => break,
            },
            _ => out.push(c),
        }
    }
    Err("unterminated quoted value".to_owned())
}

/// The metric that records deprecated API requests.
pub const REQUESTED_DEPRECATED: &str = "apiserver_requested_deprecated_apis";

/// The deprecated APIs requested, from a `/metrics` answer: series of
/// `apiserver_requested_deprecated_apis` with value 1, sorted, without duplicates.
pub fn requested_apis(text: &str) -> Vec<RequestedApi> {
    let (samples, _) = parse(text, |n| n == REQUESTED_DEPRECATED);
    let mut apis: Vec<RequestedApi> = samples
        .iter()
        .filter(|s| s.value == 1.0)
        .filter_map(|s| {
            Some(RequestedApi {
                group: s.label("group").unwrap_or_default().to_owned(),
                version: s.label("version")?.to_owned(),
                resource: s.label("resource")?.to_owned(),
                subresource: s.label("subresource").unwrap_or_default().to_owned(),
                removed_release: s.label("removed_release").unwrap_or_default().to_owned(),
            })
        })
        .collect();
    apis.sort();
    apis.dedup();
    apis
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: &str = r#"# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by API group, version, resource, subresource, and removed_release.
# TYPE apiserver_requested_deprecated_apis gauge
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="",version="v1beta3"} 1
apiserver_requested_deprecated_apis{group="",removed_release="",resource="componentstatuses",subresource="",version="v1"} 1
apiserver_requested_deprecated_apis{group="autoscaling",removed_release="1.26",resource="horizontalpodautoscalers",subresource="status",version="v2beta2"} 0
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="",version="v1beta3"} 1 1700000000000
# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="cluster",subresource="",verb="LIST",version="v1"} 312
"#;

    #[test]
    fn requested_deprecated_apis() {
        let apis = requested_apis(METRICS);
        assert_eq!(apis.len(), 2, "{apis:?}");
        assert_eq!(apis[0].resource, "componentstatuses");
        assert_eq!(apis[0].removed_release, "");
        assert_eq!(apis[1].group, "flowcontrol.apiserver.k8s.io");
        assert_eq!(apis[1].version, "v1beta3");
        assert_eq!(apis[1].removed_release, "1.32");
        assert!(requested_apis("").is_empty());
        assert!(requested_apis("garbage {{{\n\u{0}").is_empty());
    }

    #[test]
    fn lines() {
        let s = parse_line(r#"m{a="x \"q\" \\ \n",b="",} 2.5e3 17"#).unwrap();
        assert_eq!(s.name, "m");
        assert_eq!(s.label("a"), Some("x \"q\" \\ \n"));
        assert_eq!(s.label("b"), Some(""));
        assert_eq!(s.value, 2500.0);
        assert_eq!(s.timestamp, Some(17));
        let s = parse_line("up 1").unwrap();
        assert!(s.labels.is_empty());
        assert_eq!(parse_line("x +Inf").unwrap().value, f64::INFINITY);
        assert!(parse_line("x NaN").unwrap().value.is_nan());
        let s = parse_line(r#"{"my.metric", le="0.5"} 3"#).unwrap();
        assert_eq!((s.name.as_str(), s.label("le")), ("my.metric", Some("0.5")));
        let s = parse_line(r#"a_b:c { x = "}" , y="{" } -1"#).unwrap();
        assert_eq!(
            (s.label("x"), s.label("y"), s.value),
            (Some("}"), Some("{"), -1.0)
        );
        for bad in [
            "m{a=\"x} 1",
            "m{a} 1",
            "m{a=x} 1",
            "m 1 2 3",
            "m one",
            "m",
            "{} 1",
            "m{a=\"1\" b=\"2\"} 1",
            "m 1 1.5",
            "m{\"a\", \"b\"} 1",
            "m{=\"1\"} 1",
            "m{a=\"\\",
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let (samples, errors) = parse("# TYPE x gauge\nx{a=\"1\"} 1\nx{a=} 1\nx 2\ny 3\n", |n| n == "x");
        assert_eq!(samples.len(), 2);
        assert_eq!(
            errors,
            [LineError {
                line: 3,
                message: "expected a quoted value".into()
            }]
        );
    }
}
