//! Fields the API server reads as text. Written unquoted, `yes`, `no`, `on`, `off`, `12` or
//! `0x1F` are booleans or numbers to YAML (1.1 readers, kubectl's among them, take the most
//! forms), and a Go string field refuses them: kubectl rejects the file with "cannot unmarshal
//! bool into Go struct field ... of type string". Such an object is reported and left out,
//! as the API server would refuse it, rather than read as the name "true".

use mcp_diag_model::{Doc, Finding, Node};

use super::input_invalid;

/// Details keys of a finding about a field that must be text; [`locate`] reads them.
const FIELD: &str = "field";
const KEY: &str = "key";
const FOUND: &str = "found";
const VALUE: &str = "value";

/// `apiVersion` or `kind` when it is there but not text (the caller asks only when it has
/// no text value, so valid objects never come here).
pub(super) fn top_non_text(doc: &Doc, key: &str) -> Option<Bad> {
    let v = doc.get(key)?;
    (!is_text_or_null(v)).then(|| Bad::new(key, None, v))
}

/// The first field of `metadata` that must be text and is not. Null is left alone (it
/// decodes as empty, and a missing name is reported elsewhere). Every object read passes
/// here, so it looks at each field once, by the value's tag, and reads label and annotation
/// keys only when a value is wrong.
pub(super) fn metadata_non_text(doc: &Doc) -> Option<Bad> {
    let meta = doc.get("metadata")?;
    if meta.is_null() {
        return None;
    }
    let Some(fields) = meta.as_map() else {
        return Some(Bad::container("metadata", meta));
    };
    for (key, v) in fields {
        match key {
            "name" | "namespace" | "generateName" if !is_text_or_null(v) => {
                return Some(Bad::new(key, Some("metadata"), v));
            }
            "labels" | "annotations" => {
                if v.is_null() {
                    continue;
                }
                let Some(map) = v.as_map() else {
                    return Some(Bad::container(&format!("metadata.{key}"), v));
                };
                if map.values().any(|v| !is_text_or_null(v)) {
                    let (k, bad) = map.iter().find(|(_, v)| !is_text_or_null(*v))?;
                    return Some(Bad::entry(key, k, bad));
                }
            }
            _ => {}
        }
    }
    None
}

fn is_text_or_null(v: Node<'_>) -> bool {
    v.is_str() || v.is_null()
}

/// A field that is not text: where it is, and what was found.
pub(super) struct Bad {
    /// `metadata.name`, `metadata.labels`.
    field: String,
    /// The key as written: `name`, or the label or annotation key.
    key: String,
    found: &'static str,
    /// The value as read (`true` for `yes`).
    value: String,
}

impl Bad {
    fn new(key: &str, parent: Option<&str>, v: Node<'_>) -> Self {
        Self {
            field: parent.map_or_else(|| key.to_owned(), |p| format!("{p}.{key}")),
            key: key.to_owned(),
            found: v.type_name(),
            value: v.to_json().to_string(),
        }
    }

    /// `metadata`, `labels` or `annotations` that is not a mapping.
    fn container(field: &str, v: Node<'_>) -> Self {
        Self {
            field: field.to_owned(),
            key: String::new(),
            found: v.type_name(),
            value: v.to_json().to_string(),
        }
    }

    fn entry(map: &str, key: &str, v: Node<'_>) -> Self {
        Self {
            field: format!("metadata.{map}"),
            key: key.to_owned(),
            found: v.type_name(),
            value: v.to_json().to_string(),
        }
    }

    /// What the reader tells the user; [`locate`] rewrites it with the text as written when
    /// it finds the line.
    pub(super) fn finding(&self, file: &str, line: u64) -> Finding {
        let mut f = input_invalid(file, line, None, self.message(None));
        f.remediation = self.remediation(None);
        f.details.insert(FIELD, self.field.clone());
        f.details.insert(KEY, self.key.clone());
        f.details.insert(FOUND, self.found.to_owned());
        f.details.insert(VALUE, self.value.clone());
        f
    }

    fn is_scalar(&self) -> bool {
        matches!(self.found, "boolean" | "number")
    }

    fn what(&self) -> String {
        if !self.key.is_empty() && (self.field == "metadata.labels" || self.field == "metadata.annotations") {
            format!(
                "the value of {} {:?}",
                &self.field[9..self.field.len() - 1],
                self.key
            )
        } else {
            self.field.clone()
        }
    }

    fn message(&self, written: Option<&str>) -> String {
        let what = self.what();
        if !self.is_scalar() {
            let takes = if self.key.is_empty() { "a mapping" } else { "text" };
            return format!(
                "{what} is a {} where the API server takes {takes}; it refuses this object, so it was not checked",
                self.found
            );
        }
        let read = match written {
            Some(w) if w != self.value => format!(
                "{what} is written {w}, which YAML reads as the {} {}",
                self.found, self.value
            ),
            _ => format!("{what} is the {} {}", self.found, self.value),
        };
        format!("{read}, not text: the API server (and kubectl) refuse this object, so it was not checked")
    }

    fn remediation(&self, written: Option<(&str, bool)>) -> String {
        if !self.is_scalar() {
            return if self.key.is_empty() {
                format!("Write {} as a mapping of keys to text values.", self.what())
            } else {
                format!("Write {} as text (a quoted string).", self.what())
            };
        }
        let (text, json) = written.unwrap_or((&self.value, false));
        let quoted = if json {
            format!("\"{}\": \"{text}\"", self.key)
        } else {
            format!("{}: \"{text}\"", yaml_key(&self.key))
        };
        let mut out = format!("Quote the value so it is text: `{quoted}`.");
        if self.field == "apiVersion" {
            out.push_str(" An apiVersion names a group and version, such as `v1` or `apps/v1`.");
        }
        out
    }
}

/// A key as YAML needs it written: plain when that reads back as the same text.
fn yaml_key(key: &str) -> String {
    let plain = key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'-' | b'_'))
        && key.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    if plain { key.to_owned() } else { format!("{key:?}") }
}

/// Finds, for each finding made by [`Bad::finding`], the line that holds the field (the first
/// at or after the object's line whose key is the field's and whose value is an unquoted
/// scalar that is not text), and rewrites the finding with the value as written. Runs only
/// when there are such findings, so a clean file pays nothing.
pub(super) fn locate(text: &str, problems: &mut [Finding]) {
    let mut lines: Option<Vec<&str>> = None;
    for f in problems.iter_mut() {
        let (Some(field), Some(key), Some(found), Some(value)) = (
            f.details.get(FIELD),
            f.details.get(KEY),
            f.details.get(FOUND),
            f.details.get(VALUE),
        ) else {
            continue;
        };
        let found = match found.as_str() {
            "boolean" => "boolean",
            "number" => "number",
            // Mappings and sequences span lines; the object's line is as close as it gets.
            _ => continue,
        };
        let Some(location) = &mut f.location else { continue };
        let lines = lines.get_or_insert_with(|| text.lines().collect());
        let start = usize::try_from(location.line.saturating_sub(1)).unwrap_or(usize::MAX);
        let Some((at, column, written, json)) = lines
            .iter()
            .enumerate()
            .skip(start)
            .find_map(|(i, line)| find_value(line, key).map(|(c, w, j)| (i, c, w, j)))
        else {
            continue;
        };
        let bad = Bad {
            field: field.clone(),
            key: key.clone(),
            found,
            value: value.clone(),
        };
        location.line = at as u64 + 1;
        location.column = Some(column as u64 + 1);
        f.message = bad.message(Some(written));
        f.remediation = bad.remediation(Some((written, json)));
    }
}

/// In one line, the value of `key` when it is an unquoted scalar that YAML does not read as
/// text: (byte column of the value, the value as written, whether the key was JSON-quoted).
fn find_value<'l>(line: &'l str, key: &str) -> Option<(usize, &'l str, bool)> {
    for (at, _) in line.match_indices(key) {
        let before = &line[..at];
        let after = &line[at + key.len()..];
        let (quote, before) = match before.as_bytes().last() {
            Some(q @ (b'"' | b'\'')) => (Some(*q), &before[..before.len() - 1]),
            _ => (None, before),
        };
        let after = match quote {
            Some(q) => match after.as_bytes().first() {
                Some(c) if *c == q => &after[1..],
                _ => continue,
            },
            None => after,
        };
        // The key starts the line (after `- ` dashes) or follows `{` or `,` in a flow mapping.
        let opens = before.trim_end_matches(' ');
        let dashes =
            opens.trim_start_matches(['-', ' ']).is_empty() && (opens.is_empty() || before.ends_with(' '));
        if !(dashes || opens.ends_with(['{', ','])) {
            continue;
        }
        let Some(value) = after.strip_prefix(':') else {
            continue;
        };
        let trimmed = value.trim_start_matches([' ', '\t']);
        let end = trimmed.find([',', '}', ']']).unwrap_or(trimmed.len());
        let end = trimmed[..end].find(" #").unwrap_or(end);
        let written = trimmed[..end].trim_end();
        if written.is_empty() || written.starts_with(['"', '\'', '{', '[', '|', '>', '&', '*', '!']) {
            continue;
        }
        if crate::fastyaml::plain_is_text(written) {
            continue;
        }
        let column = line.len() - trimmed.len();
        return Some((column, written, quote == Some(b'"')));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{parse_bytes, parse_bytes_general};

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: fine\n";

    /// One bad object then a good one: the bad one is reported at its field's line and left
    /// out, the good one read.
    fn one_bad(file: &str, text: &str) -> mcp_diag_model::Finding {
        for parsed in [
            parse_bytes(file, text.as_bytes()),
            parse_bytes_general(file, text.as_bytes()),
        ] {
            assert_eq!(parsed.problems.len(), 1, "{text}: {:#?}", parsed.problems);
            let names: Vec<&str> = parsed.objects.iter().map(|o| o.name.as_str()).collect();
            assert!(
                !names.iter().any(|n| matches!(*n, "true" | "false" | "31" | "12")),
                "{text}: {names:?}"
            );
        }
        let parsed = parse_bytes(file, text.as_bytes());
        assert_eq!(parsed.problems[0].check, "input-invalid");
        parsed.problems.into_iter().next().unwrap()
    }

    #[test]
    fn yaml_11_booleans_and_numbers_in_names_are_invalid() {
        // (field line, what is written, the field named, the fix suggested)
        let cases = [
            ("  name: yes\n", "metadata.name", "written yes", "name: \"yes\""),
            (
                "  name: no\n",
                "metadata.name",
                "the boolean false",
                "name: \"no\"",
            ),
            (
                "  name: On\n",
                "metadata.name",
                "the boolean true",
                "name: \"On\"",
            ),
            (
                "  name: 0x1F\n",
                "metadata.name",
                "the number 31",
                "name: \"0x1F\"",
            ),
            ("  name: 12\n", "metadata.name", "the number 12", "name: \"12\""),
            (
                "  name: true\n",
                "metadata.name",
                "the boolean true",
                "name: \"true\"",
            ),
            (
                "  name: p\n  namespace: on\n",
                "metadata.namespace",
                "written on",
                "namespace: \"on\"",
            ),
            (
                "  generateName: off\n",
                "metadata.generateName",
                "written off",
                "generateName: \"off\"",
            ),
            (
                "  name: p\n  labels:\n    app: yes\n",
                "label \"app\"",
                "written yes",
                "app: \"yes\"",
            ),
            (
                "  name: p\n  annotations:\n    prometheus.io/scrape: true # scrape\n",
                "annotation \"prometheus.io/scrape\"",
                "the boolean true",
                "prometheus.io/scrape: \"true\"",
            ),
        ];
        for (meta, field, read, fix) in cases {
            let text = format!("apiVersion: v1\nkind: Pod\nmetadata:\n{meta}---\n{POD}");
            let f = one_bad("m.yaml", &text);
            let line = 3 + meta.lines().count() as u64;
            let loc = f.location.as_ref().unwrap();
            assert_eq!(loc.line, line, "{meta}: {f:#?}");
            assert!(f.message.contains(field), "{meta}: {}", f.message);
            assert!(f.message.contains(read), "{meta}: {}", f.message);
            assert!(f.message.contains("refuse"), "{meta}: {}", f.message);
            assert!(f.remediation.contains(fix), "{meta}: {}", f.remediation);
        }
    }

    #[test]
    fn kind_and_api_version_must_be_text() {
        let f = one_bad(
            "m.yaml",
            &format!("apiVersion: v1\nkind: true\nmetadata:\n  name: p\n---\n{POD}"),
        );
        assert_eq!(f.location.as_ref().unwrap().line, 2);
        assert!(
            f.message.starts_with("kind is written true")
                || f.message.starts_with("kind is the boolean true"),
            "{}",
            f.message
        );
        assert!(f.remediation.contains("kind: \"true\""), "{}", f.remediation);
        let f = one_bad(
            "m.yaml",
            &format!("apiVersion: 1.0\nkind: Pod\nmetadata:\n  name: p\n---\n{POD}"),
        );
        assert_eq!(f.location.as_ref().unwrap().line, 1);
        assert!(f.message.contains("apiVersion"), "{}", f.message);
        assert!(
            f.remediation.contains("apiVersion: \"1.0\"") && f.remediation.contains("apps/v1"),
            "{}",
            f.remediation
        );
    }

    #[test]
    fn flow_mappings_json_and_list_items_are_found_too() {
        let f = one_bad(
            "m.yaml",
            &format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: yes, namespace: x}}\n---\n{POD}"),
        );
        let loc = f.location.as_ref().unwrap();
        assert_eq!((loc.line, loc.column), (3, Some(18)), "{f:#?}");
        assert!(f.remediation.contains("name: \"yes\""), "{}", f.remediation);

        let json = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n  {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"fine\"}},\n  {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": true}}\n]}\n";
        let p = parse_bytes("x.json", json.as_bytes());
        assert_eq!(p.objects.len(), 1, "{:#?}", p.problems);
        assert_eq!(p.problems.len(), 1);
        let f = &p.problems[0];
        assert_eq!(f.location.as_ref().unwrap().line, 3);
        assert!(f.remediation.contains("\"name\": \"true\""), "{}", f.remediation);

        let yaml = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: 12\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: ok\n";
        let p = parse_bytes("l.yaml", yaml.as_bytes());
        assert_eq!(
            p.objects.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
            vec!["ok"]
        );
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].location.as_ref().unwrap().line, 7);
    }

    #[test]
    fn quoted_values_and_nulls_are_unchanged() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"yes\"\n  namespace: 'on'\n  labels:\n    app: \"12\"\n    empty:\n  annotations:\n    note: yes-please\ndata:\n  enabled: yes\n";
        for p in [
            parse_bytes("q.yaml", text.as_bytes()),
            parse_bytes_general("q.yaml", text.as_bytes()),
        ] {
            assert!(p.problems.is_empty(), "{:#?}", p.problems);
            assert_eq!(p.objects[0].name, "yes");
            assert_eq!(p.objects[0].namespace.as_deref(), Some("on"));
        }
    }

    #[test]
    fn a_mapping_where_text_belongs_is_invalid() {
        let f = one_bad(
            "m.yaml",
            &format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name:\n    first: a\n---\n{POD}"),
        );
        assert!(f.message.contains("metadata.name is a mapping"), "{}", f.message);
        let f = one_bad(
            "m.yaml",
            &format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: [a]\n---\n{POD}"),
        );
        assert!(
            f.message.contains("metadata.labels is a sequence"),
            "{}",
            f.message
        );
    }
}
