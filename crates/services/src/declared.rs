//! What users declare about services: the config's `services:` section and the
//! `mcp-diag.io/service` / `mcp-diag.io/depends-on` annotations (same shape).
//!
//! The YAML is read into a tree that keeps the line and column of every key and value
//! ([`serde_saphyr::Spanned`]) and walked by hand, so that every mistake is reported at once,
//! with its place and dotted key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Serialize;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// The annotation holding one service's declaration, as a YAML flow mapping.
pub const SERVICE_ANNOTATION: &str = "mcp-diag.io/service";
/// The annotation listing dependencies: `"shop/profile-svc:grpc, data/redis"`.
pub const DEPENDS_ON_ANNOTATION: &str = "mcp-diag.io/depends-on";

/// The config's `services:` section, validated. Keys are `NS/NAME` or `NAME`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Declared {
    pub services: BTreeMap<String, DeclaredService>,
}

/// One service's declaration.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DeclaredService {
    /// Overrides the version read from the label or image tag.
    pub version: Option<String>,
    /// API versions this service serves at its running version (`[v1, v2]`).
    pub provides_api: Vec<String>,
    /// The protocol it serves (`grpc`, `http`), when declared.
    pub provides_protocol: Option<String>,
    /// Provider name (`NS/NAME` or `NAME` in the same namespace) -> what is required of it.
    pub requires: BTreeMap<String, Requirement>,
    /// The version the upgrade moves it to, and what given versions provide (`releases`).
    pub upgrade_to: Option<String>,
    pub releases: BTreeMap<String, Vec<String>>,
    /// Plain dependencies (`depends_on`, the `mcp-diag.io/depends-on` annotation).
    pub depends_on: Vec<Dependency>,
    /// Where a config file declared it (`mcp-diag.yaml:12`), so that what its edges cause
    /// (a cycle, a mismatch) can be traced to the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl DeclaredService {
    /// Adds `other` over `self`: what `other` states wins, lists are joined.
    pub fn merge(&mut self, other: DeclaredService) {
        if other.version.is_some() {
            self.version = other.version;
        }
        if !other.provides_api.is_empty() {
            self.provides_api = other.provides_api;
        }
        if other.provides_protocol.is_some() {
            self.provides_protocol = other.provides_protocol;
        }
        self.requires.extend(other.requires);
        if other.upgrade_to.is_some() {
            self.upgrade_to = other.upgrade_to;
        }
        self.releases.extend(other.releases);
        for d in other.depends_on {
            if !self.depends_on.contains(&d) {
                self.depends_on.push(d);
            }
        }
        if self.origin.is_none() {
            self.origin = other.origin;
        }
    }

    /// The API versions provided at `version` (`releases`), or at the running version
    /// (`provides`) when `version` is `None` or is `running`. Prefer
    /// [`crate::Graph::provided_api`], which knows the running version.
    pub fn api_at(&self, version: Option<&str>, running: Option<&str>) -> Option<&[String]> {
        if let Some(api) = version.and_then(|v| self.releases.get(v)) {
            return Some(api);
        }
        let at_running = version.is_none() || version == running;
        if at_running && !self.provides_api.is_empty() {
            return Some(&self.provides_api);
        }
        running
            .and_then(|r| self.releases.get(r))
            .map(Vec::as_slice)
            .filter(|_| at_running)
    }
}

/// What a consumer requires of a provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// A constraint on the provider's API versions (`>=v2`, `v1`).
    pub api: Option<String>,
    /// A constraint on the provider's running version (`>=2.0`, `^1.4`).
    pub version: Option<String>,
    /// The protocol the consumer speaks to it (`grpc`, `http`).
    pub protocol: Option<String>,
}

/// `NS/NAME[:PROTOCOL|:PORT]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub service: String,
    pub protocol: Option<String>,
    pub port: Option<u16>,
}

impl Dependency {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (service, suffix) = match text.split_once(':') {
            Some((s, x)) => (s.trim(), Some(x.trim())),
            None => (text, None),
        };
        let valid_name = |s: &str| {
            !s.is_empty()
                && s.split('/').count() <= 2
                && s.split('/').all(|p| {
                    !p.is_empty()
                        && p.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                })
        };
        if !valid_name(service) {
            return Err(format!(
                "{text:?} is not NS/NAME[:PROTOCOL] (for example shop/profile-svc:grpc)"
            ));
        }
        let mut dep = Dependency {
            service: service.to_owned(),
            ..Dependency::default()
        };
        match suffix {
            None => {}
            Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                dep.port = Some(
                    s.parse()
                        .map_err(|_| format!("{text:?}: port {s} is out of range"))?,
                );
            }
            Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
                dep.protocol = Some(s.to_ascii_lowercase());
            }
            Some(s) => return Err(format!("{text:?}: {s:?} is neither a protocol nor a port")),
        }
        Ok(dep)
    }

    pub fn text(&self) -> String {
        let mut s = self.service.clone();
        if let Some(p) = &self.protocol {
            s = format!("{s}:{p}");
        } else if let Some(p) = self.port {
            s = format!("{s}:{p}");
        }
        s
    }
}

/// The `mcp-diag.io/depends-on` annotation: a comma-separated list.
pub fn parse_depends_on(text: &str) -> Result<Vec<Dependency>, String> {
    text.split([',', '\n'])
        .filter(|s| !s.trim().is_empty())
        .map(Dependency::parse)
        .collect()
}

/// The `mcp-diag.io/service` annotation: one service entry as YAML (a flow mapping).
/// Errors give `line L column C: key: message`.
pub fn parse_annotation(text: &str) -> Result<DeclaredService, Vec<String>> {
    let root = match serde_saphyr::from_str::<Option<Located>>(text) {
        Ok(Some(root)) => root,
        Ok(None) => return Ok(DeclaredService::default()),
        Err(e) => return Err(vec![format!("not valid YAML: {}", first_line(&e.to_string()))]),
    };
    let mut walk = Walk::default();
    let service = walk.service(&root, "");
    if walk.errors.is_empty() {
        Ok(service)
    } else {
        Err(walk
            .errors
            .into_iter()
            .map(|e| {
                let key = if e.key.is_empty() {
                    String::new()
                } else {
                    format!("{}: ", e.key)
                };
                format!("line {} column {}: {key}{}", e.line, e.column, e.message)
            })
            .collect())
    }
}

/// Reads the `services:` key of a whole config file (other keys are ignored). Errors are
/// `FILE:LINE:COL: services.shop/x.requires: unknown key "apii"`.
pub fn load(path: &Path) -> Result<Declared, Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("{}: cannot read the config file: {e}", path.display())])?;
    parse(&text, path)
}

/// [`load`] on text; `path` only names the file in errors.
pub fn parse(text: &str, path: &Path) -> Result<Declared, Vec<String>> {
    let root = match serde_saphyr::from_str::<Option<Located>>(text) {
        Ok(Some(root)) => root,
        Ok(None) => return Ok(Declared::default()),
        Err(e) => {
            let place = e
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            return Err(vec![format!(
                "{}{place}: not valid YAML: {}",
                path.display(),
                first_line(&e.to_string())
            )]);
        }
    };
    let mut walk = Walk::default();
    let mut declared = Declared::default();
    match &root.value {
        Value::Map(entries) => {
            if let Some((_, services)) = entries.iter().find(|(k, _)| k.name == "services") {
                match &services.value {
                    Value::Null => {}
                    Value::Map(entries) => {
                        for (key, entry) in entries {
                            let at = format!("services.{}", key.name);
                            if !valid_key(&key.name) {
                                walk.error(
                                    key.line,
                                    key.column,
                                    "services",
                                    format!("{:?} is not NS/NAME or NAME", key.name),
                                );
                                continue;
                            }
                            let mut service = walk.service(entry, &at);
                            service.origin = Some(format!("{}:{}", path.display(), key.line));
                            declared.services.insert(key.name.clone(), service);
                        }
                    }
                    other => walk.error(
                        services.line,
                        services.column,
                        "services",
                        format!(
                            "expected a mapping of NS/NAME to services, found {}",
                            other.kind()
                        ),
                    ),
                }
            }
        }
        Value::Null => {}
        other => walk.error(
            root.line,
            root.column,
            "",
            format!("the config file must be a mapping, found {}", other.kind()),
        ),
    }
    if walk.errors.is_empty() {
        Ok(declared)
    } else {
        let mut errors = walk.errors;
        errors.sort_by_key(|e| (e.line, e.column));
        Err(errors
            .into_iter()
            .map(|e| {
                let key = if e.key.is_empty() {
                    String::new()
                } else {
                    format!(" {}:", e.key)
                };
                format!("{}:{}:{}:{key} {}", path.display(), e.line, e.column, e.message)
            })
            .collect())
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("not valid YAML").trim()
}

fn valid_key(key: &str) -> bool {
    Dependency::parse(key).is_ok_and(|d| d.protocol.is_none() && d.port.is_none())
}

// ---------------------------------------------------------------------------------------
// The located YAML tree.

#[derive(Clone, Debug)]
struct Located {
    value: Value,
    line: u64,
    column: u64,
}

#[derive(Clone, Debug)]
enum Value {
    Null,
    Scalar(String),
    Seq(Vec<Located>),
    Map(Vec<(Key, Located)>),
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
            Value::Scalar(_) => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Located {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Located {
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
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Scalar(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Located>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Located>()? {
            let value = map.next_value::<Located>()?;
            let name = match key.value {
                Value::Scalar(s) => s,
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

// ---------------------------------------------------------------------------------------
// The walk.

struct WalkError {
    line: u64,
    column: u64,
    key: String,
    message: String,
}

#[derive(Default)]
struct Walk {
    errors: Vec<WalkError>,
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}

impl Walk {
    fn error(&mut self, line: u64, column: u64, key: &str, message: impl Into<String>) {
        self.errors.push(WalkError {
            line,
            column,
            key: key.to_owned(),
            message: message.into(),
        });
    }

    /// A mapping's entries; unknown keys are reported. `null` is an empty mapping.
    fn fields<'n>(&mut self, node: &'n Located, at: &str, known: &[&str]) -> Vec<&'n (Key, Located)> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Map(entries) => {
                let mut out = Vec::new();
                for entry in entries {
                    if known.is_empty() || known.contains(&entry.0.name.as_str()) {
                        out.push(entry);
                    } else {
                        let hint = closest(&entry.0.name, known)
                            .map(|k| format!(" (did you mean {k}?)"))
                            .unwrap_or_else(|| format!(" (known keys: {})", known.join(", ")));
                        self.error(
                            entry.0.line,
                            entry.0.column,
                            at,
                            format!("unknown key {:?}{hint}", entry.0.name),
                        );
                    }
                }
                out
            }
            other => {
                self.error(
                    node.line,
                    node.column,
                    at,
                    format!("expected a mapping, found {}", other.kind()),
                );
                Vec::new()
            }
        }
    }

    fn scalar(&mut self, node: &Located, at: &str) -> Option<String> {
        match &node.value {
            Value::Scalar(s) => Some(s.clone()),
            Value::Null => None,
            other => {
                self.error(
                    node.line,
                    node.column,
                    at,
                    format!("expected a text value, found {}", other.kind()),
                );
                None
            }
        }
    }

    /// A list of text values; a single value is a list of one.
    fn list(&mut self, node: &Located, at: &str) -> Vec<(String, u64, u64)> {
        match &node.value {
            Value::Scalar(s) => vec![(s.clone(), node.line, node.column)],
            Value::Null => Vec::new(),
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    Some((self.scalar(item, &format!("{at}[{i}]"))?, item.line, item.column))
                })
                .collect(),
            Value::Map(_) => {
                self.error(node.line, node.column, at, "expected a list, found a mapping");
                Vec::new()
            }
        }
    }

    fn service(&mut self, node: &Located, at: &str) -> DeclaredService {
        let mut s = DeclaredService::default();
        let known = [
            "version",
            "provides",
            "requires",
            "depends_on",
            "upgrade_to",
            "releases",
        ];
        for (key, value) in self.fields(node, at, &known) {
            let here = join(at, &key.name);
            match key.name.as_str() {
                "version" => s.version = self.scalar(value, &here),
                "upgrade_to" => s.upgrade_to = self.scalar(value, &here),
                "provides" => {
                    for (k, v) in self.fields(value, &here, &["api", "protocol"]) {
                        let at = join(&here, &k.name);
                        match k.name.as_str() {
                            "api" => s.provides_api = self.list(v, &at).into_iter().map(|x| x.0).collect(),
                            _ => s.provides_protocol = self.scalar(v, &at).map(|p| p.to_ascii_lowercase()),
                        }
                    }
                }
                "requires" => {
                    for (k, v) in self.fields(value, &here, &[]) {
                        let at = join(&here, &k.name);
                        if !valid_key(&k.name) {
                            self.error(
                                k.line,
                                k.column,
                                &here,
                                format!("{:?} is not NS/NAME or NAME", k.name),
                            );
                            continue;
                        }
                        let mut r = Requirement::default();
                        for (rk, rv) in self.fields(v, &at, &["api", "version", "protocol"]) {
                            let value = self.scalar(rv, &join(&at, &rk.name));
                            match rk.name.as_str() {
                                "api" => r.api = value,
                                "version" => r.version = value,
                                _ => r.protocol = value.map(|p| p.to_ascii_lowercase()),
                            }
                        }
                        s.requires.insert(k.name.clone(), r);
                    }
                }
                "depends_on" => {
                    for (i, (text, line, column)) in self.list(value, &here).into_iter().enumerate() {
                        match Dependency::parse(&text) {
                            Ok(d) => s.depends_on.push(d),
                            Err(e) => self.error(line, column, &format!("{here}[{i}]"), e),
                        }
                    }
                }
                _ => {
                    for (k, v) in self.fields(value, &here, &[]) {
                        let at = join(&here, &k.name);
                        let mut api = Vec::new();
                        for (rk, rv) in self.fields(v, &at, &["api"]) {
                            api = self
                                .list(rv, &join(&at, &rk.name))
                                .into_iter()
                                .map(|x| x.0)
                                .collect();
                        }
                        s.releases.insert(k.name.clone(), api);
                    }
                }
            }
        }
        s
    }
}

fn closest<'a>(given: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(given, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_services_section() {
        let text = r#"
target_version: "1.32"
services:
  shop/user-auth:
    version: 2.1.0
    provides: {api: [v2], protocol: grpc}
    requires:
      profile-svc: {api: ">=v2", version: ">=2.0", protocol: grpc}
    depends_on: [data/redis, "shop/search:http"]
    upgrade_to: 2.2.0
    releases: {"2.2.0": {api: [v2, v3]}}
  profile-svc: {provides: {api: v1}}
probes: {}
"#;
        let d = parse(text, Path::new("c.yaml")).unwrap();
        let ua = &d.services["shop/user-auth"];
        assert_eq!(ua.version.as_deref(), Some("2.1.0"));
        assert_eq!(ua.provides_api, ["v2"]);
        assert_eq!(ua.provides_protocol.as_deref(), Some("grpc"));
        assert_eq!(
            ua.requires["profile-svc"],
            Requirement {
                api: Some(">=v2".into()),
                version: Some(">=2.0".into()),
                protocol: Some("grpc".into())
            }
        );
        assert_eq!(ua.depends_on[1].protocol.as_deref(), Some("http"));
        assert_eq!(ua.depends_on[0].service, "data/redis");
        assert_eq!(ua.releases["2.2.0"], ["v2", "v3"]);
        assert_eq!(ua.api_at(Some("2.2.0"), Some("2.1.0")).unwrap(), ["v2", "v3"]);
        assert_eq!(ua.api_at(Some("2.1.0"), Some("2.1.0")).unwrap(), ["v2"]);
        assert_eq!(ua.api_at(None, Some("2.1.0")).unwrap(), ["v2"]);
        assert_eq!(
            ua.api_at(Some("3.0.0"), Some("2.1.0")),
            None,
            "nothing declared for 3.0.0"
        );
        assert_eq!(d.services["profile-svc"].provides_api, ["v1"]);
    }

    #[test]
    fn errors_have_file_line_and_key() {
        let text = "services:\n  shop/x:\n    requires:\n      us: {apii: v2}\n    depends_on: [\"a/b/c\"]\n    provides: 3\n  bad name!: {}\n";
        let errors = parse(text, Path::new("c.yaml")).unwrap_err();
        assert_eq!(
            errors,
            [
                "c.yaml:4:12: services.shop/x.requires.us: unknown key \"apii\" (did you mean api?)",
                "c.yaml:5:18: services.shop/x.depends_on[0]: \"a/b/c\" is not NS/NAME[:PROTOCOL] (for example shop/profile-svc:grpc)",
                "c.yaml:6:15: services.shop/x.provides: expected a mapping, found a scalar",
                "c.yaml:7:3: services: \"bad name!\" is not NS/NAME or NAME",
            ]
        );
        let broken = parse("services: [\n", Path::new("c.yaml")).unwrap_err();
        assert!(broken[0].starts_with("c.yaml:"), "{broken:?}");
        assert!(broken[0].contains("not valid YAML"), "{broken:?}");
    }

    #[test]
    fn cycles_are_no_load_error() {
        let text = "services:\n  a: {depends_on: [b]}\n  b: {depends_on: [a]}\n";
        assert_eq!(parse(text, Path::new("c.yaml")).unwrap().services.len(), 2);
    }

    #[test]
    fn annotations() {
        let s = parse_annotation(r#"{requires: {profile-svc: {api: ">=v2"}}}"#).unwrap();
        assert_eq!(s.requires["profile-svc"].api.as_deref(), Some(">=v2"));
        let errors = parse_annotation("{provides: {apis: [v1]}}").unwrap_err();
        assert_eq!(
            errors,
            ["line 1 column 13: provides: unknown key \"apis\" (did you mean api?)"]
        );
        assert!(parse_annotation("{provides: [").unwrap_err()[0].starts_with("not valid YAML"));
        let deps = parse_depends_on("shop/profile-svc:grpc, data/redis ,x:6379").unwrap();
        assert_eq!(deps.len(), 3);
        assert_eq!(deps[0].protocol.as_deref(), Some("grpc"));
        assert_eq!(deps[2].port, Some(6379));
        assert!(parse_depends_on("shop/profile svc").is_err());
        assert!(parse_depends_on("a:b:c").is_err());
    }
}
