//! The `upgrade:` and `gates:` sections of a config file, read into a [`RolloutConfig`].
//!
//! The YAML is first read into a tree that keeps the line and column of every key and value
//! ([`serde_saphyr::Spanned`]), then walked by hand: that way every mistake in the file is
//! reported at once with its place and its dotted key, rather than only the first one that
//! serde would stop at. Missing keys take the values of [`UpgradeConfig::default`] and
//! [`GatesConfig::default`]; see `docs/upgrade.md`, "Config reference", for every key.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::config::{
    Action, ActionKind, BasicAuth, Bound, ControlPlaneConfig, GateRule, GatesConfig, JobAction, Millis,
    OnDrainTimeout, Policy, PrometheusConfig, RollbackPolicy, RolloutConfig, SECOND, Threshold,
    UpgradeConfig,
};

/// The commented starter config that `mcp-diag init --upgrade` prints.
pub const STARTER: &str = include_str!("starter.yaml");

/// Top-level keys read elsewhere (the scan settings of the CLI's config, and the sections of
/// later commands): accepted and ignored here.
const OTHER_TOP_LEVEL: &[&str] = &[
    "target_version",
    "fail_on",
    "backup_max_age",
    "restart_threshold",
    "node_full_percent",
    "rules",
    "desired",
    "checks",
    "services",
    "probes",
    "clusters",
];

/// The placeholders an action may use.
pub const PLACEHOLDERS: &[&str] = &["node", "version", "from_version"];

/// One mistake in a config file, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based; 0 when the mistake has no place (the file could not be read).
    pub line: u64,
    /// 1-based; 0 when unknown.
    pub column: u64,
    /// The dotted key, such as `upgrade.drain.timeout` or `gates.rules[1].above`; empty for
    /// a YAML syntax error.
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

impl std::error::Error for ConfigError {}

/// Every mistake found in a config file, in the order of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Reads and validates the rollout sections of the config file at `path`.
pub fn load(path: &Path) -> Result<RolloutConfig, ConfigErrors> {
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

/// Validates the rollout sections of a config file's text; `path` is only used in errors.
pub fn parse(text: &str, path: &Path) -> Result<RolloutConfig, ConfigErrors> {
    let root: Node = match serde_saphyr::from_str::<Option<Node>>(text) {
        Ok(Some(root)) => root,
        // An empty file: every default.
        Ok(None) => Node {
            value: Value::Null,
            line: 1,
            column: 1,
        },
        Err(e) => {
            let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((0, 0));
            let message = e.to_string();
            let message = message.lines().next().unwrap_or("not valid YAML").trim();
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
        errors: Vec::new(),
    };
    let config = walk.root(&root);
    if walk.errors.is_empty() {
        Ok(config)
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
// The walk: typed reads that record a located error and go on.

struct Walk<'a> {
    path: &'a Path,
    errors: Vec<ConfigError>,
}

/// A mapping's entries, checked against the keys it may hold.
struct Fields<'n> {
    /// The dotted key of the mapping itself (`upgrade.drain`).
    at: String,
    entries: Vec<&'n (Key, Node)>,
    /// Where the mapping is, for errors about a missing key.
    line: u64,
    column: u64,
}

impl<'n> Fields<'n> {
    fn get(&self, name: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v)
    }
    fn key(&self, name: &str) -> Option<&'n Key> {
        self.entries.iter().find(|(k, _)| k.name == name).map(|(k, _)| k)
    }
    fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    fn child(&self, name: &str) -> String {
        join(&self.at, name)
    }
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
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

    /// The entries of a mapping; unknown keys are reported with the closest known one.
    /// `null` (a key with no value) is an empty mapping.
    fn fields<'n>(&mut self, node: &'n Node, at: &str, known: &[&str]) -> Option<Fields<'n>> {
        self.fields_also(node, at, known, &[])
    }

    fn fields_also<'n>(
        &mut self,
        node: &'n Node,
        at: &str,
        known: &[&str],
        ignored: &[&str],
    ) -> Option<Fields<'n>> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => {
                return Some(Fields {
                    at: at.to_owned(),
                    entries: Vec::new(),
                    line: node.line,
                    column: node.column,
                });
            }
            other => {
                self.at(
                    node,
                    at,
                    format!(
                        "expected a mapping of {}, found {}",
                        known.join(", "),
                        other.kind()
                    ),
                );
                return None;
            }
        };
        let mut kept = Vec::new();
        for entry in entries {
            let (key, _) = entry;
            if known.contains(&key.name.as_str()) {
                kept.push(entry);
            } else if !ignored.contains(&key.name.as_str()) {
                let all = known.iter().chain(ignored).copied();
                let message = match did_you_mean(&key.name, all) {
                    Some(best) => format!("unknown key; did you mean `{best}`?"),
                    None => format!(
                        "unknown key; the keys here are {}",
                        known
                            .iter()
                            .chain(ignored)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                self.error(key.line, key.column, &join(at, &key.name), message);
            }
        }
        Some(Fields {
            at: at.to_owned(),
            entries: kept,
            line: node.line,
            column: node.column,
        })
    }

    fn string(&mut self, node: &Node, key: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            // A number or boolean where text is wanted (`namespace: 2024`) is taken as written.
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            // `value: {version}` unquoted is a YAML mapping, not the placeholder.
            Value::Map(entries) if entries.len() == 1 && matches!(entries[0].1.value, Value::Null) => {
                let name = &entries[0].0.name;
                self.at(
                    node,
                    key,
                    format!(
                        "expected a string, found a mapping: write the placeholder in quotes, \"{{{name}}}\""
                    ),
                );
                None
            }
            other => {
                self.at(node, key, format!("expected a string, found {}", other.kind()));
                None
            }
        }
    }

    fn non_empty(&mut self, node: &Node, key: &str) -> Option<String> {
        let s = self.string(node, key)?;
        if s.trim().is_empty() {
            self.at(node, key, "must not be empty");
            return None;
        }
        Some(s)
    }

    fn strings(&mut self, node: &Node, key: &str) -> Option<Vec<String>> {
        let Value::Seq(items) = &node.value else {
            self.at(
                node,
                key,
                format!("expected a list of strings, found {}", node.value.kind()),
            );
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.string(item, &format!("{key}[{i}]")) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn boolean(&mut self, node: &Node, key: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.at(
                    node,
                    key,
                    format!("expected true or false, found {}", node.value.kind()),
                );
                None
            }
        }
    }

    fn number(&mut self, node: &Node, key: &str) -> Option<f64> {
        let value = match &node.value {
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            Value::Str(s) => match s.trim().parse::<f64>() {
                Ok(f) => f,
                Err(_) => {
                    self.at(node, key, format!("expected a number, found {s:?}"));
                    return None;
                }
            },
            other => {
                self.at(node, key, format!("expected a number, found {}", other.kind()));
                return None;
            }
        };
        if !value.is_finite() {
            self.at(node, key, "expected a finite number");
            return None;
        }
        Some(value)
    }

    fn integer(&mut self, node: &Node, key: &str, min: i128, max: i128) -> Option<i128> {
        let Value::Int(i) = node.value else {
            self.at(
                node,
                key,
                format!("expected a whole number, found {}", describe(&node.value)),
            );
            return None;
        };
        if i < min || i > max {
            self.at(node, key, format!("{i} is out of range: must be {min}..={max}"));
            return None;
        }
        Some(i)
    }

    /// A whole percent in `1..=100`, written `10%` or `10`.
    fn percent(&mut self, node: &Node, key: &str) -> Option<u32> {
        let n = match &node.value {
            Value::Int(i) => *i,
            Value::Str(s) => match s
                .trim()
                .strip_suffix('%')
                .unwrap_or(s.trim())
                .trim()
                .parse::<i128>()
            {
                Ok(n) => n,
                Err(_) => {
                    self.at(
                        node,
                        key,
                        format!("{s:?} is not a whole percent; write it like 10% or 10"),
                    );
                    return None;
                }
            },
            other => {
                self.at(
                    node,
                    key,
                    format!("expected a percent such as 10%, found {}", describe(other)),
                );
                return None;
            }
        };
        if !(1..=100).contains(&n) {
            self.at(node, key, format!("{n}% is out of range: must be 1%..=100%"));
            return None;
        }
        u32::try_from(n).ok()
    }

    /// A duration; `allow_zero` for the windows where 0 means "at once".
    fn duration(&mut self, node: &Node, key: &str, allow_zero: bool) -> Option<Millis> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(i) => {
                self.at(
                    node,
                    key,
                    format!("{i} has no unit; write a duration such as {i}s or {i}m"),
                );
                return None;
            }
            other => {
                self.at(
                    node,
                    key,
                    format!(
                        "expected a duration such as 30s or 10m, found {}",
                        describe(other)
                    ),
                );
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(0) if !allow_zero => {
                self.at(node, key, format!("{text:?}: must be longer than 0"));
                None
            }
            Ok(ms) => Some(ms),
            Err(e) => {
                self.at(node, key, e);
                None
            }
        }
    }

    fn policy(&mut self, node: &Node, key: &str) -> Option<Policy> {
        match self.string(node, key)?.as_str() {
            "hold" => Some(Policy::Hold),
            "fail" => Some(Policy::Fail),
            "pass" => Some(Policy::Pass),
            other => {
                self.at(
                    node,
                    key,
                    format!("{other:?} is not a policy: write hold, fail or pass"),
                );
                None
            }
        }
    }

    fn url(&mut self, node: &Node, key: &str) -> Option<String> {
        let url = self.non_empty(node, key)?;
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"));
        match rest {
            Some(host) if !host.is_empty() && !host.starts_with('/') => Some(url),
            _ => {
                self.at(
                    node,
                    key,
                    format!("{url:?} is not an http:// or https:// URL with a host"),
                );
                None
            }
        }
    }

    // ---------------------------------------------------------------------------------------

    fn root(&mut self, root: &Node) -> RolloutConfig {
        let Some(top) = self.fields_also(root, "", &["upgrade", "gates"], OTHER_TOP_LEVEL) else {
            return RolloutConfig {
                upgrade: UpgradeConfig::default(),
                gates: GatesConfig::default(),
            };
        };
        let upgrade = match top.get("upgrade") {
            Some(node) => self.upgrade(node),
            None => UpgradeConfig::default(),
        };
        let gates = match top.get("gates") {
            Some(node) => self.gates(node),
            None => without_gates_section(),
        };
        RolloutConfig { upgrade, gates }
    }

    fn upgrade(&mut self, node: &Node) -> UpgradeConfig {
        let mut c = UpgradeConfig::default();
        let Some(f) = self.fields(
            node,
            "upgrade",
            &[
                "lease",
                "waves",
                "max_unavailable",
                "soak",
                "precheck",
                "drain",
                "verify",
                "node_action",
                "rollback",
                "rollback_action",
                "control_plane",
            ],
        ) else {
            return c;
        };
        if let Some(n) = f.get("lease") {
            let at = f.child("lease");
            if let Some(l) = self.fields(n, &at, &["namespace", "duration"]) {
                if let Some(v) = l.get("namespace") {
                    c.lease_namespace = self.non_empty(v, &l.child("namespace")).unwrap_or_default();
                }
                if let Some(v) = l.get("duration") {
                    c.lease_duration = self.duration(v, &l.child("duration"), false).unwrap_or(0);
                }
            }
        }
        if let Some(n) = f.get("waves") {
            c.waves = self.waves(n, &f.child("waves")).unwrap_or_default();
        }
        if let Some(n) = f.get("max_unavailable") {
            c.max_unavailable = self
                .integer(n, &f.child("max_unavailable"), 1, 10_000)
                .map_or(1, |i| i as usize);
        }
        if let Some(n) = f.get("soak") {
            // A soak of 0 is allowed: a lab run that does not wait between waves.
            c.soak = self.duration(n, &f.child("soak"), true).unwrap_or(0);
        }
        if let Some(n) = f.get("precheck") {
            let at = f.child("precheck");
            if let Some(p) = self.fields(n, &at, &["cpu_below"])
                && let Some(v) = p.get("cpu_below")
            {
                c.precheck.cpu_below_percent = self.percent(v, &p.child("cpu_below"));
            }
        }
        if let Some(n) = f.get("drain") {
            let at = f.child("drain");
            let known = [
                "timeout",
                "force",
                "delete_emptydir_data",
                "grace_period",
                "on_timeout",
            ];
            if let Some(d) = self.fields(n, &at, &known) {
                if let Some(v) = d.get("timeout") {
                    c.drain.timeout = self.duration(v, &d.child("timeout"), false).unwrap_or(0);
                }
                if let Some(v) = d.get("force") {
                    c.drain.force = self.boolean(v, &d.child("force")).unwrap_or_default();
                }
                if let Some(v) = d.get("delete_emptydir_data") {
                    c.drain.delete_emptydir_data = self
                        .boolean(v, &d.child("delete_emptydir_data"))
                        .unwrap_or_default();
                }
                if let Some(v) = d.get("grace_period") {
                    let key = d.child("grace_period");
                    c.drain.grace_period_seconds = match self.duration(v, &key, true) {
                        Some(ms) if !ms.is_multiple_of(SECOND) => {
                            self.at(v, &key, "a grace period is whole seconds, such as 30s");
                            None
                        }
                        Some(ms) => i64::try_from(ms / SECOND).ok(),
                        None => None,
                    };
                }
                if let Some(v) = d.get("on_timeout") {
                    let key = d.child("on_timeout");
                    c.drain.on_timeout = match self.string(v, &key).as_deref() {
                        Some("stop") => OnDrainTimeout::Stop,
                        Some("skip-node") => OnDrainTimeout::SkipNode,
                        Some(other) => {
                            self.at(v, &key, format!("{other:?}: write stop or skip-node"));
                            OnDrainTimeout::Stop
                        }
                        None => OnDrainTimeout::Stop,
                    };
                }
            }
        }
        if let Some(n) = f.get("verify") {
            let at = f.child("verify");
            if let Some(v) = self.fields(n, &at, &["node_ready_timeout", "workloads_ready_timeout"]) {
                if let Some(x) = v.get("node_ready_timeout") {
                    c.verify.node_ready_timeout = self
                        .duration(x, &v.child("node_ready_timeout"), false)
                        .unwrap_or(0);
                }
                if let Some(x) = v.get("workloads_ready_timeout") {
                    c.verify.workloads_ready_timeout = self
                        .duration(x, &v.child("workloads_ready_timeout"), false)
                        .unwrap_or(0);
                }
            }
        }
        if let Some(n) = f.get("rollback") {
            let key = f.child("rollback");
            c.rollback = match self.string(n, &key).as_deref() {
                Some("wave") => RollbackPolicy::Wave,
                Some("all") => RollbackPolicy::All,
                Some("none") => RollbackPolicy::None,
                Some(other) => {
                    self.at(n, &key, format!("{other:?}: write wave, all or none"));
                    RollbackPolicy::Wave
                }
                None => RollbackPolicy::Wave,
            };
        }
        // The default node action and rollback action are a pair (a label an agent acts on);
        // once the file names its own node action, the rollback must be named too, since the
        // default one would not undo it.
        if let Some(n) = f.get("node_action") {
            if let Some(a) = self.action(n, &f.child("node_action")) {
                c.node_action = a;
            }
            if !f.has("rollback_action") {
                c.rollback_action = None;
            }
        }
        if let Some(n) = f.get("rollback_action") {
            c.rollback_action = self.action(n, &f.child("rollback_action"));
        }
        if f.has("node_action") && !f.has("rollback_action") && c.rollback != RollbackPolicy::None {
            let (line, column) = f
                .key("node_action")
                .map_or((f.line, f.column), |k| (k.line, k.column));
            let policy = if c.rollback == RollbackPolicy::All {
                "all"
            } else {
                "wave"
            };
            self.error(
                line,
                column,
                &f.child("rollback_action"),
                format!(
                    "missing: `rollback: {policy}` needs a rollback_action that takes a node back to {{from_version}}; add one, or set `rollback: none` to accept irreversible upgrades"
                ),
            );
        }
        if c.rollback == RollbackPolicy::None && !f.has("rollback_action") {
            c.rollback_action = None;
        }
        if let Some(n) = f.get("control_plane") {
            c.control_plane = self.control_plane(n, &f.child("control_plane"), c.control_plane.clone());
        }
        c
    }

    fn waves(&mut self, node: &Node, key: &str) -> Option<Vec<u32>> {
        let Value::Seq(items) = &node.value else {
            self.at(
                node,
                key,
                format!(
                    "expected a list of percents such as [1%, 10%, 50%, 100%], found {}",
                    node.value.kind()
                ),
            );
            return None;
        };
        if items.is_empty() {
            self.at(node, key, "must list at least one wave, the last one 100%");
            return None;
        }
        let mut waves = Vec::new();
        let mut previous: Option<u32> = None;
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let at = format!("{key}[{i}]");
            let Some(p) = self.percent(item, &at) else {
                ok = false;
                continue;
            };
            if let Some(prev) = previous
                && p <= prev
            {
                self.at(
                    item,
                    &at,
                    format!(
                        "{p}% after {prev}%: the waves must rise (each is the share of nodes done by its end)"
                    ),
                );
                ok = false;
            }
            previous = Some(p);
            waves.push(p);
        }
        if let Some(last) = items.last()
            && ok
            && waves.last() != Some(&100)
        {
            self.at(
                last,
                &format!("{key}[{}]", items.len() - 1),
                format!(
                    "the last wave is {}%: it must be 100%, or some nodes are never upgraded",
                    waves.last().copied().unwrap_or(0)
                ),
            );
            ok = false;
        }
        ok.then_some(waves)
    }

    fn action(&mut self, node: &Node, at: &str) -> Option<Action> {
        let f = self.fields(node, at, &["exec", "job", "label", "timeout"])?;
        let timeout = match f.get("timeout") {
            Some(v) => self.duration(v, &f.child("timeout"), false),
            None => Some(20 * crate::config::MINUTE),
        };
        let forms: Vec<&str> = ["exec", "job", "label"]
            .into_iter()
            .filter(|k| f.has(k))
            .collect();
        if forms.len() != 1 {
            let message = if forms.is_empty() {
                "needs one of exec, job or label".to_owned()
            } else {
                format!(
                    "has {}: write exactly one of exec, job or label",
                    forms.join(" and ")
                )
            };
            self.error(f.line, f.column, at, message);
            return None;
        }
        let kind = match forms[0] {
            "exec" => {
                let v = f.get("exec")?;
                let key = f.child("exec");
                match &v.value {
                    Value::Str(s) if !s.trim().is_empty() => {
                        self.placeholders(v, &key, s);
                        ActionKind::Exec {
                            argv: vec![s.clone()],
                            shell: true,
                        }
                    }
                    Value::Seq(items) if !items.is_empty() => {
                        let argv = self.strings(v, &key)?;
                        for (i, (word, item)) in argv.iter().zip(items).enumerate() {
                            self.placeholders(item, &format!("{key}[{i}]"), word);
                        }
                        ActionKind::Exec { argv, shell: false }
                    }
                    _ => {
                        self.at(
                            v,
                            &key,
                            "expected a command: a string (run by sh -c) or a non-empty list (argv)",
                        );
                        return None;
                    }
                }
            }
            "job" => ActionKind::Job(self.job(f.get("job")?, &f.child("job"))?),
            _ => {
                let v = f.get("label")?;
                let l = self.fields(v, &f.child("label"), &["key", "value"])?;
                let key = match l.get("key") {
                    Some(k) => self.non_empty(k, &l.child("key")),
                    None => {
                        self.error(l.line, l.column, &l.child("key"), "missing: the label's key");
                        None
                    }
                };
                let value = match l.get("value") {
                    Some(x) => {
                        let value = self.string(x, &l.child("value"));
                        if let Some(text) = &value {
                            self.placeholders(x, &l.child("value"), text);
                        }
                        value
                    }
                    None => {
                        self.error(
                            l.line,
                            l.column,
                            &l.child("value"),
                            "missing: the label's value, such as {version}",
                        );
                        None
                    }
                };
                ActionKind::Label {
                    key: key?,
                    value: value?,
                }
            }
        };
        Some(Action {
            kind,
            timeout: timeout?,
        })
    }

    fn job(&mut self, node: &Node, at: &str) -> Option<JobAction> {
        let f = self.fields(
            node,
            at,
            &[
                "image",
                "command",
                "namespace",
                "service_account",
                "privileged",
                "env",
            ],
        )?;
        let image = match f.get("image") {
            Some(v) => {
                let image = self.non_empty(v, &f.child("image"));
                if let Some(text) = &image {
                    self.placeholders(v, &f.child("image"), text);
                }
                image
            }
            None => {
                self.error(
                    f.line,
                    f.column,
                    &f.child("image"),
                    "missing: the container image that upgrades the node",
                );
                None
            }
        };
        let command = match f.get("command") {
            Some(v) => {
                let key = f.child("command");
                match &v.value {
                    Value::Str(s) => {
                        self.placeholders(v, &key, s);
                        Some(vec!["sh".to_owned(), "-c".to_owned(), s.clone()])
                    }
                    _ => {
                        let words = self.strings(v, &key);
                        if let (Some(words), Value::Seq(items)) = (&words, &v.value) {
                            for (i, (word, item)) in words.iter().zip(items).enumerate() {
                                self.placeholders(item, &format!("{key}[{i}]"), word);
                            }
                        }
                        words
                    }
                }
            }
            // The image's own entrypoint.
            None => Some(Vec::new()),
        };
        let namespace = match f.get("namespace") {
            Some(v) => self.non_empty(v, &f.child("namespace")),
            None => Some("kube-system".to_owned()),
        };
        let mut ok = true;
        let service_account = match f.get("service_account") {
            Some(v) => {
                let name = self.non_empty(v, &f.child("service_account"));
                ok &= name.is_some();
                name
            }
            None => None,
        };
        let privileged = match f.get("privileged") {
            Some(v) => self.boolean(v, &f.child("privileged")),
            None => Some(false),
        };
        let mut env = Vec::new();
        if let Some(v) = f.get("env") {
            let key = f.child("env");
            match &v.value {
                Value::Map(entries) => {
                    for (k, x) in entries {
                        let at = join(&key, &k.name);
                        match self.string(x, &at) {
                            Some(text) => {
                                self.placeholders(x, &at, &text);
                                env.push((k.name.clone(), text));
                            }
                            None => ok = false,
                        }
                    }
                }
                Value::Null => {}
                other => {
                    self.at(
                        v,
                        &key,
                        format!("expected a mapping NAME: value, found {}", other.kind()),
                    );
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        Some(JobAction {
            namespace: namespace?,
            image: image?,
            command: command?,
            service_account,
            privileged: privileged?,
            env,
        })
    }

    /// Reports `{name}` placeholders this tool does not fill in. `${VAR}` is the shell's and
    /// left alone, as is any brace group that is not a bare name (`awk '{print $1}'`).
    fn placeholders(&mut self, node: &Node, key: &str, text: &str) {
        for name in unknown_placeholders(text) {
            self.at(
                node,
                key,
                format!(
                    "unknown placeholder {{{name}}}: the known ones are {{node}}, {{version}} and {{from_version}}"
                ),
            );
        }
    }

    fn control_plane(&mut self, node: &Node, at: &str, mut c: ControlPlaneConfig) -> ControlPlaneConfig {
        let Some(f) = self.fields(node, at, &["action", "soak", "ready_timeout", "etcd_endpoints"]) else {
            return c;
        };
        if let Some(v) = f.get("action") {
            c.action = match v.value {
                Value::Null => None,
                _ => self.action(v, &f.child("action")),
            };
        }
        if let Some(v) = f.get("soak") {
            c.soak = self.duration(v, &f.child("soak"), true).unwrap_or(0);
        }
        if let Some(v) = f.get("ready_timeout") {
            c.ready_timeout = self.duration(v, &f.child("ready_timeout"), false).unwrap_or(0);
        }
        if let Some(v) = f.get("etcd_endpoints") {
            let key = f.child("etcd_endpoints");
            if let Value::Seq(items) = &v.value {
                c.etcd_endpoints = items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| self.url(item, &format!("{key}[{i}]")))
                    .collect();
            } else {
                self.at(
                    v,
                    &key,
                    format!("expected a list of URLs, found {}", v.value.kind()),
                );
            }
        }
        c
    }

    fn gates(&mut self, node: &Node) -> GatesConfig {
        let mut c = without_gates_section();
        let Some(f) = self.fields(
            node,
            "gates",
            &[
                "prometheus",
                "interval",
                "rules",
                "nodes_lost",
                "pods_unschedulable",
            ],
        ) else {
            return c;
        };
        if let Some(v) = f.get("prometheus") {
            c.prometheus = self.prometheus(v, &f.child("prometheus"));
        }
        if let Some(v) = f.get("interval") {
            c.interval = self.duration(v, &f.child("interval"), false).unwrap_or(0);
        }
        match f.get("rules") {
            Some(v) => {
                let key = f.child("rules");
                c.rules = self.rules(v, &key);
                let written = matches!(&v.value, Value::Seq(items) if !items.is_empty());
                if written && !f.has("prometheus") {
                    let (line, column) = f.key("rules").map_or((v.line, v.column), |k| (k.line, k.column));
                    self.error(
                        line,
                        column,
                        &key,
                        "rules query Prometheus: add gates.prometheus with its url (e.g. http://prometheus.monitoring:9090)",
                    );
                }
            }
            // With Prometheus and no rules written: the design's rules.
            None if f.has("prometheus") => c.rules = GatesConfig::default().rules,
            None => {}
        }
        if let Some(v) = f.get("nodes_lost") {
            c.nodes_lost = self.threshold(v, &f.child("nodes_lost"));
        }
        if let Some(v) = f.get("pods_unschedulable") {
            c.pods_unschedulable = self.threshold(v, &f.child("pods_unschedulable"));
        }
        c
    }

    fn prometheus(&mut self, node: &Node, at: &str) -> Option<PrometheusConfig> {
        let f = self.fields(
            node,
            at,
            &["url", "timeout", "bearer_token_file", "basic_auth", "ca_file"],
        )?;
        let url = match f.get("url") {
            Some(v) => self.url(v, &f.child("url")),
            None => {
                self.error(
                    f.line,
                    f.column,
                    &f.child("url"),
                    "missing: Prometheus's base URL, such as http://prometheus.monitoring:9090",
                );
                None
            }
        };
        let timeout = match f.get("timeout") {
            Some(v) => self.duration(v, &f.child("timeout"), false),
            None => Some(10 * SECOND),
        };
        let mut ok = true;
        let mut optional_path = |walk: &mut Self, fields: &Fields, name: &str| {
            let v = fields.get(name)?;
            let path = walk.non_empty(v, &fields.child(name)).map(PathBuf::from);
            ok &= path.is_some();
            path
        };
        let bearer_token_file = optional_path(self, &f, "bearer_token_file");
        let ca_file = optional_path(self, &f, "ca_file");
        let basic_auth = match f.get("basic_auth") {
            Some(v) => match self.fields(v, &f.child("basic_auth"), &["username", "password_file"]) {
                Some(b) => {
                    let username = match b.get("username") {
                        Some(u) => self.non_empty(u, &b.child("username")),
                        None => {
                            self.error(b.line, b.column, &b.child("username"), "missing: the user name");
                            None
                        }
                    };
                    let password_file = optional_path(self, &b, "password_file");
                    username.map(|username| BasicAuth {
                        username,
                        password_file,
                    })
                }
                None => None,
            },
            None => None,
        };
        ok &= basic_auth.is_some() == f.has("basic_auth");
        if bearer_token_file.is_some() && basic_auth.is_some() {
            // As Prometheus's own scrape config: one way to authenticate.
            let k = f
                .key("basic_auth")
                .map_or((f.line, f.column), |k| (k.line, k.column));
            self.error(
                k.0,
                k.1,
                &f.child("basic_auth"),
                "write either bearer_token_file or basic_auth, not both",
            );
            return None;
        }
        if !ok {
            return None;
        }
        Some(PrometheusConfig {
            url: url?,
            timeout: timeout?,
            bearer_token_file,
            basic_auth,
            ca_file,
        })
    }

    fn rules(&mut self, node: &Node, key: &str) -> Vec<GateRule> {
        let items = match &node.value {
            Value::Seq(items) => items,
            Value::Null => return Vec::new(),
            other => {
                self.at(
                    node,
                    key,
                    format!("expected a list of rules, found {}", other.kind()),
                );
                return Vec::new();
            }
        };
        let mut rules: Vec<GateRule> = Vec::new();
        let mut seen: Vec<(String, usize)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{key}[{i}]");
            let Some(rule) = self.rule(item, &at) else {
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(name, _)| *name == rule.name) {
                let name_node = match &item.value {
                    Value::Map(entries) => entries.iter().find(|(k, _)| k.name == "name").map(|(_, v)| v),
                    _ => None,
                };
                let (line, column) = name_node.map_or((item.line, item.column), |n| (n.line, n.column));
                self.error(
                    line,
                    column,
                    &format!("{at}.name"),
                    format!("{:?} is already the name of {key}[{first}]; gate names must be unique (they name the breach in the journal)", rule.name),
                );
                continue;
            }
            seen.push((rule.name.clone(), i));
            rules.push(rule);
        }
        rules
    }

    fn rule(&mut self, node: &Node, at: &str) -> Option<GateRule> {
        let f = self.fields(
            node,
            at,
            &[
                "name",
                "query",
                "above",
                "below",
                "for",
                "on_no_data",
                "on_error",
                "max_consecutive_errors",
            ],
        )?;
        let name = match f.get("name") {
            Some(v) => self.non_empty(v, &f.child("name")),
            None => {
                self.error(
                    f.line,
                    f.column,
                    &f.child("name"),
                    "missing: a name for the gate, such as error-rate",
                );
                None
            }
        };
        let query = match f.get("query") {
            Some(v) => self.non_empty(v, &f.child("query")),
            None => {
                self.error(f.line, f.column, &f.child("query"), "missing: the PromQL query");
                None
            }
        };
        let bound = match (f.get("above"), f.get("below")) {
            (Some(v), None) => self.number(v, &f.child("above")).map(Bound::Above),
            (None, Some(v)) => self.number(v, &f.child("below")).map(Bound::Below),
            (None, None) => {
                self.error(
                    f.line,
                    f.column,
                    at,
                    "needs a bound: above: LIMIT or below: LIMIT",
                );
                None
            }
            (Some(_), Some(v)) => {
                self.at(
                    v,
                    &f.child("below"),
                    "write either above or below, not both (two bounds are two rules)",
                );
                None
            }
        };
        let window = match f.get("for") {
            Some(v) => self.duration(v, &f.child("for"), true),
            None => Some(0),
        };
        let on_no_data = match f.get("on_no_data") {
            Some(v) => self.policy(v, &f.child("on_no_data")),
            None => Some(Policy::Hold),
        };
        let on_error = match f.get("on_error") {
            Some(v) => self.policy(v, &f.child("on_error")),
            None => Some(Policy::Hold),
        };
        let max_consecutive_errors = match f.get("max_consecutive_errors") {
            Some(v) => {
                Some(self.integer(v, &f.child("max_consecutive_errors"), 1, i128::from(u32::MAX))? as u32)
            }
            None => None,
        };
        Some(GateRule {
            name: name?,
            query: query?,
            bound: bound?,
            window: window?,
            on_no_data: on_no_data?,
            on_error: on_error?,
            max_consecutive_errors,
        })
    }

    /// `{above: N, for: D}`; an empty value (`nodes_lost:` or `nodes_lost: null`) turns the
    /// built-in gate off.
    fn threshold(&mut self, node: &Node, at: &str) -> Option<Threshold> {
        if matches!(node.value, Value::Null) {
            return None;
        }
        let f = self.fields(node, at, &["above", "for"])?;
        let above = match f.get("above") {
            Some(v) => match self.number(v, &f.child("above")) {
                Some(n) if n < 0.0 => {
                    self.at(
                        v,
                        &f.child("above"),
                        format!("{n} is negative: a count is never below 0"),
                    );
                    None
                }
                n => n,
            },
            None => {
                self.error(
                    f.line,
                    f.column,
                    &f.child("above"),
                    "missing: the count above which the gate fires",
                );
                None
            }
        };
        let window = match f.get("for") {
            Some(v) => self.duration(v, &f.child("for"), true),
            None => Some(0),
        };
        Some(Threshold {
            above: above?,
            window: window?,
        })
    }
}

/// The gates when the file has no `gates:` section: only the built-in nodes-lost breaker,
/// because the design's Prometheus rules cannot run without a Prometheus to ask.
pub fn without_gates_section() -> GatesConfig {
    GatesConfig {
        prometheus: None,
        rules: Vec::new(),
        ..GatesConfig::default()
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Str(s) => format!("{s:?}"),
        Value::Float(f) => f.to_string(),
        Value::Int(i) => i.to_string(),
        other => other.kind().to_owned(),
    }
}

/// `500ms`, `10s`, `2m`, `1h`, `1h30m`: whole numbers, each with a unit, largest unit first
/// is not required. The result is milliseconds.
pub fn parse_duration(text: &str) -> Result<Millis, String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!("{text:?} is negative: a duration is 0 or more"));
    }
    if t.is_empty() {
        return Err("empty: write a duration such as 30s, 10m or 1h30m".into());
    }
    let bad = || {
        format!(
            "{text:?} is not a duration: write whole numbers with units ms, s, m, h, such as 500ms, 30s, 10m or 1h30m"
        )
    };
    let mut total: Millis = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: Millis = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..unit_len] {
            "ms" => 1,
            "s" => SECOND,
            "m" => 60 * SECOND,
            "h" => 3600 * SECOND,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(unit)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| format!("{text:?} is too long"))?;
    }
    Ok(total)
}

/// The `{name}` placeholders in `text` that are not known; `${NAME}` is skipped (the shell's).
pub fn unknown_placeholders(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' && (i == 0 || bytes[i - 1] != b'$') {
            let name_len = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'-')
                .count();
            let end = i + 1 + name_len;
            if name_len > 0 && bytes.get(end) == Some(&b'}') {
                let name = &text[i + 1..end];
                if !PLACEHOLDERS.contains(&name) && !out.iter().any(|n| n == name) {
                    out.push(name.to_owned());
                }
                i = end;
            }
        }
        i += 1;
    }
    out
}

/// The closest known name to a mistyped one, if any is close: by edit distance (which
/// catches transpositions in short names, `fro` for `for`) or by Jaro-Winkler similarity
/// (which catches long names with a changed ending).
fn did_you_mean<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given = given.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&given, c),
                strsim::jaro_winkler(&given, c),
                c,
            )
        })
        .filter(|(distance, similarity, _)| *similarity > 0.8 || (*distance <= 2 && *distance < given.len()))
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, c)| c)
}
