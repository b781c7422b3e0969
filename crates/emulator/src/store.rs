//! The authoritative state: every object as pre-serialised JSON plus a small parsed index.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

/// How many past events a watch can resume from.
const EVENT_LOG: usize = 20_000;

/// A stored object.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The apiVersion the object is stored at.
    pub api_version: String,
    pub namespace: String,
    pub name: String,
    /// The serialised object, with `metadata.resourceVersion` set.
    pub json: Bytes,
    pub rv: u64,
    pub uid: String,
    pub labels: Vec<(String, String)>,
    pub created: Option<String>,
    pub node_name: String,
    pub phase: String,
    pub pod: Option<PodFacts>,
    pub node: Option<NodeFacts>,
    pub unschedulable: bool,
}

impl Entry {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.json).unwrap_or(Value::Null)
    }

    /// The field a field selector names.
    pub fn field(&self, field: &str) -> Option<&str> {
        match field {
            "metadata.name" => Some(&self.name),
            "metadata.namespace" => Some(&self.namespace),
            "spec.nodeName" => Some(&self.node_name),
            "status.phase" => Some(&self.phase),
            "spec.unschedulable" => Some(if self.unschedulable { "true" } else { "false" }),
            _ => None,
        }
    }
}

/// What the scheduler needs to know about a node without parsing it.
#[derive(Clone, Debug, Default)]
pub(crate) struct NodeFacts {
    /// Condition Ready=True.
    pub ready: bool,
    /// Allocatable (else capacity) cpu millicores, memory bytes and pods (110 when absent);
    /// `None` when the node reports neither.
    pub alloc: Option<(i64, i64, i64)>,
    /// Taints with effect NoSchedule or NoExecute.
    pub taints: Vec<Value>,
    /// `status.nodeInfo.kubeletVersion` ("" when absent).
    pub kubelet_version: String,
}

fn node_facts(v: &Value) -> NodeFacts {
    let alloc = v
        .pointer("/status/allocatable")
        .or_else(|| v.pointer("/status/capacity"))
        .map(|a| {
            let (cpu, mem) = cpu_mem(Some(a));
            #[allow(clippy::cast_possible_truncation)]
            let pods = a.get("pods").map_or(110, |q| quantity(q) as i64);
            (cpu, mem, pods)
        });
    NodeFacts {
        ready: pod_ready(v),
        alloc,
        taints: v
            .pointer("/spec/taints")
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .filter(|t| {
                        matches!(
                            t.get("effect").and_then(Value::as_str),
                            Some("NoSchedule" | "NoExecute")
                        )
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default(),
        kubelet_version: v
            .pointer("/status/nodeInfo/kubeletVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    }
}

/// What the drain logic needs to know about a pod without parsing it.
#[derive(Clone, Debug, Default)]
pub(crate) struct PodFacts {
    pub ready: bool,
    pub terminating: bool,
    /// The controller owner: (kind, name).
    pub owner: Option<(String, String)>,
    pub cpu_milli: i64,
    pub mem: i64,
    pub host_ports: Vec<(i64, String)>,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    cur.as_str()
}

/// A Kubernetes quantity (`100m`, `1.5Gi`, `2e3`) as a number.
pub(crate) fn quantity(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => parse_quantity(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

pub(crate) fn parse_quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    const SUFFIXES: [(&str, f64); 13] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    for (suffix, mult) in SUFFIXES {
        if let Some(num) = s.strip_suffix(suffix) {
            return num.parse::<f64>().ok().map(|n| n * mult);
        }
    }
    if let Some(num) = s.strip_suffix('P') {
        return num.parse::<f64>().ok().map(|n| n * 1e15);
    }
    if let Some(num) = s.strip_suffix('E') {
        return num.parse::<f64>().ok().map(|n| n * 1e18);
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// cpu (millicores) and memory (bytes) of a resource list.
pub(crate) fn cpu_mem(list: Option<&Value>) -> (i64, i64) {
    let Some(list) = list else { return (0, 0) };
    #[allow(clippy::cast_possible_truncation)]
    let cpu = list
        .get("cpu")
        .map_or(0, |q| (quantity(q) * 1000.0).ceil() as i64);
    #[allow(clippy::cast_possible_truncation)]
    let mem = list.get("memory").map_or(0, |q| quantity(q).ceil() as i64);
    (cpu, mem)
}

pub(crate) fn pod_ready(v: &Value) -> bool {
    v.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Ready")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

/// The pod's request: sum over containers, or the largest init container when larger.
pub(crate) fn pod_requests(v: &Value) -> (i64, i64) {
    let containers = |key: &str| -> Vec<(i64, i64)> {
        v.pointer(&format!("/spec/{key}"))
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .map(|c| cpu_mem(c.pointer("/resources/requests")))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (mut cpu, mut mem) = containers("containers")
        .into_iter()
        .fold((0i64, 0i64), |(a, b), (c, m)| {
            (a.saturating_add(c), b.saturating_add(m))
        });
    for (c, m) in containers("initContainers") {
        cpu = cpu.max(c);
        mem = mem.max(m);
    }
    (cpu, mem)
}

pub(crate) fn controller_owner(v: &Value) -> Option<(String, String)> {
    v.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|o| {
            Some((
                o.get("kind")?.as_str()?.to_owned(),
                o.get("name")?.as_str()?.to_owned(),
            ))
        })
}

fn pod_facts(v: &Value) -> PodFacts {
    let (cpu_milli, mem) = pod_requests(v);
    let mut host_ports = Vec::new();
    for c in v
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for p in c.get("ports").and_then(Value::as_array).into_iter().flatten() {
            if let Some(hp) = p.get("hostPort").and_then(Value::as_i64).filter(|p| *p > 0) {
                let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
                host_ports.push((hp, proto.to_owned()));
            }
        }
    }
    PodFacts {
        ready: pod_ready(v),
        terminating: v
            .pointer("/metadata/deletionTimestamp")
            .is_some_and(|t| !t.is_null()),
        owner: controller_owner(v),
        cpu_milli,
        mem,
        host_ports,
    }
}

/// Which objects get an index of facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Pod,
    Node,
    Other,
}

impl Kind {
    pub fn of(group: &str, plural: &str) -> Self {
        match (group, plural) {
            ("", "pods") => Self::Pod,
            ("", "nodes") => Self::Node,
            _ => Self::Other,
        }
    }
}

/// Builds the entry of an object whose metadata is already complete.
pub(crate) fn make_entry(api_version: &str, kind: Kind, v: &Value, rv: u64) -> Entry {
    let labels = v
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect()
        })
        .unwrap_or_default();
    Entry {
        api_version: api_version.to_owned(),
        namespace: str_at(v, &["metadata", "namespace"]).unwrap_or("").to_owned(),
        name: str_at(v, &["metadata", "name"]).unwrap_or("").to_owned(),
        json: Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
        rv,
        uid: str_at(v, &["metadata", "uid"]).unwrap_or("").to_owned(),
        labels,
        created: str_at(v, &["metadata", "creationTimestamp"]).map(str::to_owned),
        node_name: str_at(v, &["spec", "nodeName"]).unwrap_or("").to_owned(),
        phase: str_at(v, &["status", "phase"]).unwrap_or("").to_owned(),
        pod: (kind == Kind::Pod).then(|| pod_facts(v)),
        node: (kind == Kind::Node).then(|| node_facts(v)),
        unschedulable: v.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true),
    }
}

/// What is in use on one node: the sum over its pods that are not Succeeded or Failed.
#[derive(Default, Clone, Debug)]
pub(crate) struct Usage {
    pub cpu: i64,
    pub mem: i64,
    pub pods: i64,
    pub ports: Vec<(i64, String)>,
}

impl Usage {
    fn add(&mut self, f: &PodFacts) {
        self.cpu = self.cpu.saturating_add(f.cpu_milli);
        self.mem = self.mem.saturating_add(f.mem);
        self.pods += 1;
        self.ports.extend(f.host_ports.iter().cloned());
    }

    fn sub(&mut self, f: &PodFacts) {
        self.cpu = self.cpu.saturating_sub(f.cpu_milli);
        self.mem = self.mem.saturating_sub(f.mem);
        self.pods -= 1;
        for p in &f.host_ports {
            if let Some(i) = self.ports.iter().position(|x| x == p) {
                self.ports.swap_remove(i);
            }
        }
    }
}

/// Does this pod take room on its node?
fn counts(e: &Entry) -> Option<&PodFacts> {
    let f = e.pod.as_ref()?;
    (!e.node_name.is_empty() && !matches!(e.phase.as_str(), "Succeeded" | "Failed")).then_some(f)
}

/// One change, for watchers.
#[derive(Debug)]
pub(crate) struct Event {
    pub rv: u64,
    pub group: String,
    pub plural: String,
    pub kind: &'static str,
    pub entry: Arc<Entry>,
}

/// A key in etcd order: namespace then name (cluster-scoped objects have namespace "").
pub(crate) type ObjKey = (String, String);

/// A small deterministic PRNG (splitmix64): faults, generated names and uids repeat with a seed.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let x = (self.next_u64() >> 11) as f64;
        x / (1u64 << 53) as f64
    }

    pub fn uid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }

    /// A suffix like the ones ReplicaSets give pods (`utilrand.String(5)`'s alphabet).
    pub fn suffix(&mut self, n: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n)
            .map(|_| {
                #[allow(clippy::cast_possible_truncation)]
                let i = (self.next_u64() % ALPHABET.len() as u64) as usize;
                char::from(ALPHABET[i])
            })
            .collect()
    }
}

pub(crate) type Collection = BTreeMap<ObjKey, Arc<Entry>>;

/// Every object, by (group, plural), plus the event log.
pub(crate) struct State {
    pub rv: u64,
    pub cols: HashMap<(String, String), Collection>,
    pub log: VecDeque<Arc<Event>>,
    pub tx: broadcast::Sender<Arc<Event>>,
    /// Pods waiting for a node: (namespace, name).
    pub unscheduled: BTreeSet<ObjKey>,
    pub rng: Rng,
    pub now: fn() -> String,
    /// Node usage, kept up to date by every pod write (the scheduler reads it).
    pub usage: HashMap<String, Usage>,
    /// The pods bound to each node, in key order (lists by `spec.nodeName` read it).
    pub pods_by_node: HashMap<String, BTreeSet<ObjKey>>,
    /// While the snapshot loads: no events (nobody can be watching yet).
    pub quiet: bool,
    /// Budgets whose snapshot status may stand in for a computation the emulator cannot do
    /// (see `drain::record_budget_baselines`): (namespace, name) -> (the budget's
    /// resourceVersion when loaded, Ready pods it selected then).
    pub budget_baselines: HashMap<ObjKey, (u64, i64)>,
    /// The simulated kubelets: faults and upgrades in flight.
    pub kubelets: crate::kubelet_state::Kubelets,
    /// What the pods of run Jobs printed (`GET .../pods/NAME/log`), by (namespace, name).
    pub pod_logs: HashMap<ObjKey, String>,
}

/// Current time as RFC 3339 (seconds), like Kubernetes timestamps.
pub(crate) fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(i64::try_from(secs).unwrap_or(0))
}

pub(crate) fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Seconds since the epoch of an RFC 3339 timestamp (`2024-01-02T03:04:05Z`).
pub(crate) fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

impl State {
    pub fn new(seed: u64) -> Self {
        let (tx, _) = broadcast::channel(4096);
        Self {
            rv: 1000,
            cols: HashMap::new(),
            log: VecDeque::new(),
            tx,
            unscheduled: BTreeSet::new(),
            rng: Rng::new(seed ^ 0x5eed),
            now: now_rfc3339,
            usage: HashMap::new(),
            pods_by_node: HashMap::new(),
            quiet: false,
            budget_baselines: HashMap::new(),
            kubelets: crate::kubelet_state::Kubelets::default(),
            pod_logs: HashMap::new(),
        }
    }

    pub fn col(&self, group: &str, plural: &str) -> Option<&Collection> {
        self.cols.get(&(group.to_owned(), plural.to_owned()))
    }

    pub fn get(&self, group: &str, plural: &str, ns: &str, name: &str) -> Option<Arc<Entry>> {
        self.col(group, plural)?
            .get(&(ns.to_owned(), name.to_owned()))
            .cloned()
    }

    /// Stores an object (create or update), filling in server-set metadata, and tells watchers.
    /// `v` must be a JSON object.
    pub fn put(&mut self, group: &str, plural: &str, api_version: &str, mut v: Value) -> Arc<Entry> {
        self.rv += 1;
        let rv = self.rv;
        if !v.is_object() {
            v = json!({});
        }
        // Handlers write into metadata, spec and status with `v[..][..] = ..`, which needs
        // objects there: a malformed snapshot or client must not make that panic later.
        for key in ["metadata", "spec", "status"] {
            if v.get(key).is_some_and(|x| !x.is_object()) {
                v[key] = json!({});
            }
        }
        let meta = v
            .as_object_mut()
            .map(|o| o.entry("metadata").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut);
        let ns_name = meta.as_ref().map(|m| {
            (
                m.get("namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                m.get("name").and_then(Value::as_str).unwrap_or("").to_owned(),
            )
        });
        let existing = ns_name
            .as_ref()
            .and_then(|(ns, name)| self.get(group, plural, ns, name));
        if let Some(meta) = meta {
            meta.insert("resourceVersion".to_owned(), Value::String(rv.to_string()));
            let has = |m: &Map<String, Value>, k: &str| m.get(k).is_some_and(|x| !x.is_null());
            if !has(meta, "uid") {
                let uid = existing
                    .as_ref()
                    .map_or_else(|| self.rng.uid(), |e| e.uid.clone());
                meta.insert("uid".to_owned(), Value::String(uid));
            }
            if !has(meta, "creationTimestamp") {
                let created = existing
                    .as_ref()
                    .and_then(|e| e.created.clone())
                    .unwrap_or_else(self.now);
                meta.insert("creationTimestamp".to_owned(), Value::String(created));
            }
        }
        let entry = Arc::new(make_entry(api_version, Kind::of(group, plural), &v, rv));
        let key = (entry.namespace.clone(), entry.name.clone());
        let kind = if existing.is_some() { "MODIFIED" } else { "ADDED" };
        if let Some(old) = existing.as_deref()
            && let Some(f) = counts(old)
            && let Some(u) = self.usage.get_mut(&old.node_name)
        {
            u.sub(f);
        }
        if let Some(f) = counts(&entry) {
            self.usage.entry(entry.node_name.clone()).or_default().add(f);
        }
        if entry.pod.is_some() {
            if let Some(old) = existing.as_deref()
                && let Some(keys) = self.pods_by_node.get_mut(&old.node_name)
            {
                keys.remove(&key);
            }
            if !entry.node_name.is_empty() {
                self.pods_by_node
                    .entry(entry.node_name.clone())
                    .or_default()
                    .insert(key.clone());
            }
        }
        self.cols
            .entry((group.to_owned(), plural.to_owned()))
            .or_default()
            .insert(key, entry.clone());
        self.emit(group, plural, kind, entry.clone());
        entry
    }

    /// Removes an object; the DELETED event carries it at a new resourceVersion.
    pub fn remove(&mut self, group: &str, plural: &str, ns: &str, name: &str) -> Option<Arc<Entry>> {
        let old = self
            .cols
            .get_mut(&(group.to_owned(), plural.to_owned()))?
            .remove(&(ns.to_owned(), name.to_owned()))?;
        if let Some(f) = counts(&old)
            && let Some(u) = self.usage.get_mut(&old.node_name)
        {
            u.sub(f);
        }
        if let Some(keys) = self.pods_by_node.get_mut(&old.node_name) {
            keys.remove(&(ns.to_owned(), name.to_owned()));
        }
        self.rv += 1;
        let rv = self.rv;
        let mut v = old.value();
        if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            m.insert("resourceVersion".to_owned(), Value::String(rv.to_string()));
        }
        let gone = Arc::new(make_entry(&old.api_version, Kind::of(group, plural), &v, rv));
        self.unscheduled.remove(&(ns.to_owned(), name.to_owned()));
        self.emit(group, plural, "DELETED", gone.clone());
        Some(gone)
    }

    fn emit(&mut self, group: &str, plural: &str, kind: &'static str, entry: Arc<Entry>) {
        if self.quiet {
            return;
        }
        let ev = Arc::new(Event {
            rv: entry.rv,
            group: group.to_owned(),
            plural: plural.to_owned(),
            kind,
            entry,
        });
        if self.log.len() >= EVENT_LOG {
            self.log.pop_front();
        }
        self.log.push_back(ev.clone());
        // No receiver is fine: nobody watches.
        let _ = self.tx.send(ev);
    }

    /// The oldest resourceVersion a watch can start after.
    pub fn oldest_watchable(&self) -> u64 {
        self.log.front().map_or(self.rv, |e| e.rv.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("100m"), Some(0.1));
        assert_eq!(parse_quantity("1Gi"), Some(1_073_741_824.0));
        assert_eq!(parse_quantity("2"), Some(2.0));
        assert_eq!(parse_quantity("1e3"), Some(1000.0));
        assert_eq!(parse_quantity("x"), None);
        assert_eq!(
            cpu_mem(Some(&json!({"cpu": "250m", "memory": "64Mi"}))),
            (250, 67_108_864)
        );
    }

    #[test]
    fn time_round_trip() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        let t = "2026-11-20T09:30:00Z";
        assert_eq!(rfc3339(parse_rfc3339(t).unwrap()), t);
        assert_eq!(
            parse_rfc3339("2024-02-29T23:59:59Z").map(rfc3339).as_deref(),
            Some("2024-02-29T23:59:59Z")
        );
    }

    #[test]
    fn rng_is_deterministic() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.uid(), b.uid());
        assert_eq!(a.suffix(5).len(), 5);
        assert!((0.0..1.0).contains(&a.unit()));
    }

    #[test]
    fn usage_follows_pod_writes() {
        let mut st = State::new(1);
        let pod = |node: &str, phase: &str| {
            json!({"metadata": {"name": "p", "namespace": "a"}, "spec": {"nodeName": node,
                "containers": [{"name": "c", "resources": {"requests": {"cpu": "250m", "memory": "1Ki"}},
                    "ports": [{"containerPort": 80, "hostPort": 80}]}]}, "status": {"phase": phase}})
        };
        st.put("", "pods", "v1", pod("n1", "Running"));
        assert_eq!(st.usage["n1"].cpu, 250);
        assert_eq!(st.usage["n1"].ports, [(80, "TCP".to_owned())]);
        st.put("", "pods", "v1", pod("n2", "Running"));
        assert_eq!((st.usage["n1"].cpu, st.usage["n1"].pods), (0, 0));
        assert!(st.usage["n1"].ports.is_empty());
        assert_eq!(st.usage["n2"].mem, 1024);
        st.put("", "pods", "v1", pod("n2", "Succeeded"));
        assert_eq!(st.usage["n2"].pods, 0);
        st.put("", "pods", "v1", pod("n2", "Running"));
        st.remove("", "pods", "a", "p");
        assert_eq!((st.usage["n2"].cpu, st.usage["n2"].pods), (0, 0));
    }
}
