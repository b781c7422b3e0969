//! The `probes:` section of the config file every command reads with `--config`.
//!
//! The YAML is read into a tree that keeps the line and column of every key and value
//! ([`serde_saphyr::Spanned`], as `crates/rollout/src/config_file.rs` does), then walked by
//! hand, so every mistake is reported at once as `FILE:LINE:COL: probes[2].urll: unknown key`.
//! Other top-level keys belong to other commands and are ignored here. A URL that does not
//! parse or names no known kind is *not* a config error: that probe is reported as failed with
//! its reason and the others still run.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::spec::{OAuth2, Probe, Target};
use crate::stats::parse_duration;

/// Defaults for a probe from the config: a few attempts say more than one.
pub const CONFIG_COUNT: u32 = 3;

const PROBE_KEYS: &[&str] = &[
    "name",
    "url",
    "expect",
    "body_contains",
    "headers",
    "ca",
    "cert",
    "key",
    "oauth2",
    "expect_addresses",
    "service",
    "write",
    "count",
    "concurrency",
    "timeout",
    "latency_p50",
    "latency_p90",
    "latency_p99",
    "latency_max",
];
const OAUTH2_KEYS: &[&str] = &["token_url", "client_id", "client_secret_env", "scope"];

/// One mistake in the config file, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based; 0 when the mistake has no place.
    pub line: u64,
    pub column: u64,
    /// The dotted key, such as `probes[2].timeout`.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every mistake found, in the order of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Reads the probes of the config file at `path` (`None`: the file has no `probes:` key).
pub fn load(path: &Path) -> Result<Option<Vec<Probe>>, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read the config file: {e}"),
        }])
    })?;
    parse(&text, path)
}

/// The probes of a config file's text; `path` names the file in errors and anchors relative
/// `ca`/`cert`/`key` paths.
pub fn parse(text: &str, path: &Path) -> Result<Option<Vec<Probe>>, ConfigErrors> {
    let root: Node = match serde_saphyr::from_str::<Option<Node>>(text) {
        Ok(Some(root)) => root,
        Ok(None) => return Ok(None),
        Err(e) => {
            let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
            let message = e.to_string();
            let message = message
                .lines()
                .next()
                .unwrap_or("not valid YAML")
                .trim()
                .to_owned();
            return Err(ConfigErrors(vec![ConfigError {
                path: path.to_path_buf(),
                line,
                column,
                key: String::new(),
                message: format!("not valid YAML: {message}"),
            }]));
        }
    };
    let mut walk = Walk {
        path,
        base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        errors: Vec::new(),
    };
    let probes = match &root.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.name == "probes")
            .map(|(_, node)| walk.probes(node)),
        Value::Null => None,
        other => {
            walk.at(
                &root,
                "",
                format!("the config must be a mapping, not {}", other.kind()),
            );
            None
        }
    };
    if walk.errors.is_empty() {
        Ok(probes)
    } else {
        let mut errors = walk.errors;
        errors.sort_by_key(|e| (e.line, e.column));
        Err(ConfigErrors(errors))
    }
}

// ---------------------------------------------------------------------------------------------
// The located YAML tree.

#[derive(Clone, Debug)]
struct Node {
    value: Value,
    line: u64,
    column: u64,
}

#[derive(Clone, Debug)]
enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Clone, Debug)]
struct Key {
    name: String,
    line: u64,
    column: u64,
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            let name = match key.value {
                Value::Str(s) => s,
                Value::Int(i) => i.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => "~".into(),
                Value::Seq(_) | Value::Map(_) => "<complex key>".into(),
            };
            entries.push((
                Key {
                    name,
                    line: key.line,
                    column: key.column,
                },
                value,
            ));
        }
        Ok(Value::Map(entries))
    }
}

// ---------------------------------------------------------------------------------------------
// The walk.

struct Walk<'a> {
    path: &'a Path,
    base: PathBuf,
    errors: Vec<ConfigError>,
}

impl Walk<'_> {
    fn error(&mut self, line: u64, column: u64, key: &str, message: impl Into<String>) {
        self.errors.push(ConfigError {
            path: self.path.to_path_buf(),
            line,
            column,
            key: key.to_owned(),
            message: message.into(),
        });
    }

    fn at(&mut self, node: &Node, key: &str, message: impl Into<String>) {
        self.error(node.line, node.column, key, message);
    }

    /// A mapping's entries; unknown keys are reported (with the closest known one).
    fn fields<'n>(&mut self, node: &'n Node, at: &str, known: &[&str]) -> Option<Vec<&'n (Key, Node)>> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return Some(Vec::new()),
            other => {
                self.at(node, at, format!("expected a mapping, found {}", other.kind()));
                return None;
            }
        };
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for entry in entries {
            let (k, _) = entry;
            let dotted = format!("{at}.{}", k.name);
            if !known.contains(&k.name.as_str()) {
                let hint = closest(&k.name, known)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                self.error(k.line, k.column, &dotted, format!("unknown key{hint}"));
                continue;
            }
            if seen.contains(&k.name.as_str()) {
                self.error(k.line, k.column, &dotted, "given twice");
                continue;
            }
            seen.push(&k.name);
            out.push(entry);
        }
        Some(out)
    }

    fn probes(&mut self, node: &Node) -> Vec<Probe> {
        let items = match &node.value {
            Value::Seq(items) => items,
            Value::Null => return Vec::new(),
            other => {
                self.at(
                    node,
                    "probes",
                    format!("expected a list of probes, found {}", other.kind()),
                );
                return Vec::new();
            }
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.probe(item, &format!("probes[{i}]")))
            .collect()
    }

    fn string(&mut self, node: &Node, at: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            other => {
                self.at(node, at, format!("expected a string, found {}", other.kind()));
                None
            }
        }
    }

    fn uint(&mut self, node: &Node, at: &str, min: i128, max: i128) -> Option<i128> {
        match &node.value {
            Value::Int(n) if (min..=max).contains(n) => Some(*n),
            Value::Int(n) => {
                self.at(node, at, format!("{n} is out of range ({min} to {max})"));
                None
            }
            other => {
                self.at(
                    node,
                    at,
                    format!("expected a whole number, found {}", other.kind()),
                );
                None
            }
        }
    }

    fn duration(&mut self, node: &Node, at: &str) -> Option<Duration> {
        let s = self.string(node, at)?;
        match parse_duration(&s) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                self.at(node, at, "must be above zero");
                None
            }
            Err(e) => {
                self.at(node, at, e);
                None
            }
        }
    }

    fn file(&mut self, node: &Node, at: &str) -> Option<PathBuf> {
        let s = self.string(node, at)?;
        let p = PathBuf::from(s);
        Some(if p.is_relative() { self.base.join(p) } else { p })
    }

    fn probe(&mut self, node: &Node, at: &str) -> Option<Probe> {
        let fields = self.fields(node, at, PROBE_KEYS)?;
        let errors_before = self.errors.len();
        let Some((_, url_node)) = fields.iter().find(|(k, _)| k.name == "url").copied() else {
            self.at(node, at, "a probe needs a `url` (its scheme says the kind)");
            return None;
        };
        let url = self.string(url_node, &format!("{at}.url"))?;
        let mut p = Probe::new(url);
        p.count = CONFIG_COUNT;
        for (k, v) in fields {
            let key = format!("{at}.{}", k.name);
            match k.name.as_str() {
                "url" => {}
                "name" => {
                    if let Some(s) = self.string(v, &key) {
                        p.name = s;
                    }
                }
                "expect" => p.expect = self.uint(v, &key, 100, 599).map(|n| n as u16),
                "body_contains" => p.body_contains = self.string(v, &key),
                "service" => p.service = self.string(v, &key),
                "ca" => p.ca = self.file(v, &key),
                "cert" => p.cert = self.file(v, &key),
                "key" => p.key = self.file(v, &key),
                "write" => match v.value {
                    Value::Bool(b) => p.write = b,
                    ref other => self.at(v, &key, format!("expected true or false, found {}", other.kind())),
                },
                "count" => p.count = self.uint(v, &key, 1, 1_000_000).map_or(p.count, |n| n as u32),
                "concurrency" => {
                    p.concurrency = self.uint(v, &key, 1, 10_000).map_or(p.concurrency, |n| n as u32)
                }
                "timeout" => p.timeout = self.duration(v, &key).unwrap_or(p.timeout),
                "latency_p50" => p.limits.p50 = self.duration(v, &key),
                "latency_p90" => p.limits.p90 = self.duration(v, &key),
                "latency_p99" => p.limits.p99 = self.duration(v, &key),
                "latency_max" => p.limits.max = self.duration(v, &key),
                "headers" => {
                    if let Some(entries) = self.fields_any(v, &key) {
                        for (hk, hv) in entries {
                            if let Some(s) = self.scalar_string(hv, &format!("{key}.{}", hk.name)) {
                                p.headers.push((hk.name.clone(), s));
                            }
                        }
                    }
                }
                "expect_addresses" => match &v.value {
                    Value::Seq(items) => {
                        for (i, item) in items.iter().enumerate() {
                            let at = format!("{key}[{i}]");
                            if let Some(s) = self.string(item, &at) {
                                match s.parse::<IpAddr>() {
                                    Ok(ip) => p.expect_addresses.push(ip),
                                    Err(_) => self.at(item, &at, format!("`{s}` is not an IP address")),
                                }
                            }
                        }
                    }
                    other => self.at(
                        v,
                        &key,
                        format!("expected a list of IP addresses, found {}", other.kind()),
                    ),
                },
                "oauth2" => p.oauth2 = self.oauth2(v, &key),
                _ => {}
            }
        }
        if self.errors.len() > errors_before {
            return None;
        }
        // A bad URL or an unknown kind fails this probe only (the others still run).
        if let Err(e) = Target::parse(&p.url) {
            p.problem = Some(e);
        }
        Some(p)
    }

    fn fields_any<'n>(&mut self, node: &'n Node, at: &str) -> Option<&'n Vec<(Key, Node)>> {
        match &node.value {
            Value::Map(entries) => Some(entries),
            other => {
                self.at(node, at, format!("expected a mapping, found {}", other.kind()));
                None
            }
        }
    }

    /// Header values may be written as numbers (`X-Retry: 3`).
    fn scalar_string(&mut self, node: &Node, at: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(n) => Some(n.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => {
                self.at(node, at, format!("expected a string, found {}", other.kind()));
                None
            }
        }
    }

    fn oauth2(&mut self, node: &Node, at: &str) -> Option<OAuth2> {
        let fields = self.fields(node, at, OAUTH2_KEYS)?;
        let get = |name: &str, walk: &mut Self| -> Option<String> {
            let (_, v) = fields.iter().find(|(k, _)| k.name == name)?;
            walk.string(v, &format!("{at}.{name}"))
        };
        let token_url = get("token_url", self);
        let client_id = get("client_id", self);
        let client_secret_env = get("client_secret_env", self);
        let scope = get("scope", self);
        let mut missing = Vec::new();
        if token_url.is_none() {
            missing.push("token_url");
        }
        if client_id.is_none() {
            missing.push("client_id");
        }
        if client_secret_env.is_none() {
            missing.push("client_secret_env (the environment variable holding the secret)");
        }
        if !missing.is_empty() {
            self.at(node, at, format!("missing {}", missing.join(", ")));
            return None;
        }
        Some(OAuth2 {
            token_url: token_url?,
            client_id: client_id?,
            client_secret_env: client_secret_env?,
            scope,
        })
    }
}

fn closest<'a>(given: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(given, k), *k))
        .filter(|(s, _)| *s > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// A probe set as a config file that [`parse`] reads back to the same probes: what
/// `probe --in-cluster` hands to its Job. Probes that name local files (CA, client
/// certificate) or read a secret from this machine's environment cannot run elsewhere: an
/// error names them.
pub fn to_yaml(probes: &[Probe]) -> Result<String, String> {
    use std::fmt::Write as _;
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let d = |d: std::time::Duration| format!("{}us", d.as_micros());
    let local: Vec<&str> = probes
        .iter()
        .filter(|p| p.ca.is_some() || p.cert.is_some() || p.key.is_some() || p.oauth2.is_some())
        .map(|p| p.name.as_str())
        .collect();
    if !local.is_empty() {
        return Err(format!(
            "probes {} read files or secrets of this machine (ca, cert, key, oauth2), which a Job in the cluster does not have",
            local.join(", ")
        ));
    }
    let mut out = String::from("probes:\n");
    for p in probes {
        let _ = writeln!(out, "  - name: {}", q(&p.name));
        let _ = writeln!(out, "    url: {}", q(&p.url));
        if let Some(e) = p.expect {
            let _ = writeln!(out, "    expect: {e}");
        }
        if let Some(b) = &p.body_contains {
            let _ = writeln!(out, "    body_contains: {}", q(b));
        }
        if !p.headers.is_empty() {
            let _ = writeln!(out, "    headers:");
            for (k, v) in &p.headers {
                let _ = writeln!(out, "      {}: {}", q(k), q(v));
            }
        }
        if !p.expect_addresses.is_empty() {
            let list: Vec<String> = p.expect_addresses.iter().map(|a| q(&a.to_string())).collect();
            let _ = writeln!(out, "    expect_addresses: [{}]", list.join(", "));
        }
        if let Some(s) = &p.service {
            let _ = writeln!(out, "    service: {}", q(s));
        }
        if p.write {
            let _ = writeln!(out, "    write: true");
        }
        let _ = writeln!(out, "    count: {}", p.count);
        let _ = writeln!(out, "    concurrency: {}", p.concurrency);
        let _ = writeln!(out, "    timeout: {}", d(p.timeout));
        for (key, limit) in [
            ("latency_p50", p.limits.p50),
            ("latency_p90", p.limits.p90),
            ("latency_p99", p.limits.p99),
            ("latency_max", p.limits.max),
        ] {
            if let Some(l) = limit {
                let _ = writeln!(out, "    {key}: {}", d(l));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<Probe> {
        parse(text, Path::new("/etc/mcp/mcp-diag.yaml")).unwrap().unwrap()
    }

    fn errors(text: &str) -> Vec<String> {
        parse(text, Path::new("c.yaml"))
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_probe_set_written_for_a_job_reads_back_the_same() {
        let probes = parse_ok(
            r#"
probes:
  - name: "api \"v2\""
    url: http://api.shop:8080/healthz
    expect: 204
    body_contains: "ok: yes"
    headers: {X-Probe: "1"}
    count: 7
    concurrency: 3
    timeout: 1500ms
    latency_p99: 250us
    latency_max: 2s
  - url: dns://10.0.0.10/a.shop.svc.cluster.local
    expect_addresses: [10.1.2.3, "::1"]
  - url: grpc://reg:9090
    service: registry.v1
  - url: postgres://app@db:5432/orders
    write: true
  - url: "gopher://nope"
"#,
        );
        let text = to_yaml(&probes).unwrap();
        assert_eq!(parse_ok(&text), probes, "{text}");
        let mut with_ca = probes[0].clone();
        with_ca.ca = Some("ca.pem".into());
        let err = to_yaml(&[with_ca]).unwrap_err();
        assert!(err.contains("api \"v2\""), "{err}");
    }

    #[test]
    fn every_key() {
        let probes = parse_ok(
            r#"
target_version: "1.32"
probes:
  - name: api
    url: https://api.shop:8443/healthz
    expect: 204
    body_contains: ok
    headers: {X-Probe: "1", X-Retry: 3}
    ca: certs/ca.pem
    cert: /abs/client.pem
    key: certs/client.key
    oauth2: {token_url: "https://auth/token", client_id: probe, client_secret_env: PROBE_SECRET, scope: health}
    count: 50
    concurrency: 10
    timeout: 2s
    latency_p50: 5ms
    latency_p90: 10ms
    latency_p99: 100ms
    latency_max: 1s
  - url: dns://127.0.0.1:5353/api.shop
    expect_addresses: [10.0.0.1, "::1"]
  - url: postgres://app@db/orders
    write: true
  - url: grpc://reg:9000
    service: registry.v1
  - url: ftp://nowhere
"#,
        );
        assert_eq!(probes.len(), 5);
        let a = &probes[0];
        assert_eq!(a.name, "api");
        assert_eq!(a.expect, Some(204));
        assert_eq!(
            a.headers,
            vec![("X-Probe".into(), "1".into()), ("X-Retry".into(), "3".into())]
        );
        assert_eq!(a.ca.as_deref(), Some(Path::new("/etc/mcp/certs/ca.pem")));
        assert_eq!(a.cert.as_deref(), Some(Path::new("/abs/client.pem")));
        assert_eq!(a.oauth2.as_ref().unwrap().client_secret_env, "PROBE_SECRET");
        assert_eq!((a.count, a.concurrency), (50, 10));
        assert_eq!(a.timeout, Duration::from_secs(2));
        assert_eq!(a.limits.p99, Some(Duration::from_millis(100)));
        assert_eq!(a.limits.max, Some(Duration::from_secs(1)));
        assert_eq!(probes[1].expect_addresses.len(), 2);
        assert_eq!(probes[1].count, CONFIG_COUNT);
        assert_eq!(probes[1].name, "dns://127.0.0.1:5353/api.shop");
        assert!(probes[2].write);
        assert_eq!(probes[3].service.as_deref(), Some("registry.v1"));
        // An unknown kind is the probe's failure, not the file's.
        assert!(
            probes[4]
                .problem
                .as_deref()
                .unwrap()
                .contains("unknown probe kind `ftp`")
        );
    }

    #[test]
    fn no_probes_section() {
        assert_eq!(parse("upgrade: {}\n", Path::new("c.yaml")).unwrap(), None);
        assert_eq!(parse("", Path::new("c.yaml")).unwrap(), None);
        assert_eq!(parse("probes:\n", Path::new("c.yaml")).unwrap(), Some(vec![]));
    }

    #[test]
    fn mistakes_with_file_line_and_key() {
        let e = errors(
            "probes:\n  - url: http://a/\n  - url: http://b/\n  - urll: http://c/\n    count: many\n  - url: tcp://d:1\n    timeout: 5\n    expect_addresses: [nope]\n",
        );
        assert_eq!(
            e,
            [
                "c.yaml:4:5: probes[2].urll: unknown key (did you mean `url`?)",
                "c.yaml:4:5: probes[2]: a probe needs a `url` (its scheme says the kind)",
                "c.yaml:7:14: probes[3].timeout: expected a string, found a number",
                "c.yaml:8:24: probes[3].expect_addresses[0]: `nope` is not an IP address",
            ]
        );
    }

    #[test]
    fn wrong_types() {
        let e = errors(
            "probes:\n  - url: http://a/\n    write: yes please\n    oauth2: {client_id: x}\n    latency_p99: 10\n",
        );
        assert!(
            e[0].starts_with("c.yaml:3:12: probes[0].write: expected true or false"),
            "{e:?}"
        );
        assert!(
            e[1].contains("probes[0].oauth2: missing token_url, client_secret_env"),
            "{e:?}"
        );
        assert!(e[2].contains("probes[0].latency_p99: expected a string"), "{e:?}");
        assert!(errors("probes: {a: 1}\n")[0].contains("probes: expected a list of probes"));
        assert!(errors("probes: [\n")[0].contains("not valid YAML"));
    }
}
