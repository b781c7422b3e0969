//! Node capacity arithmetic for node-headroom: CPU, memory and pod slots (what a node can
//! allocate, what a pod's requests reserve as the scheduler counts them), and how they are
//! written.

use mcp_diag_model::{Node, Object};

use crate::quantity::{bytes, cpu_millis};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Res {
    pub(crate) cpu: u64,
    pub(crate) mem: u64,
    pub(crate) pods: u64,
}

impl Res {
    pub(crate) fn add(&mut self, other: Self) {
        self.cpu += other.cpu;
        self.mem += other.mem;
        self.pods += other.pods;
    }

    pub(crate) fn sub(self, other: Self) -> Self {
        Self {
            cpu: self.cpu.saturating_sub(other.cpu),
            mem: self.mem.saturating_sub(other.mem),
            pods: self.pods.saturating_sub(other.pods),
        }
    }
}

/// A quantity written as text or as a number.
pub(crate) fn quantity<'a>(node: Option<Node<'a>>) -> Option<std::borrow::Cow<'a, str>> {
    let node = node?;
    node.as_str()
        .map(std::borrow::Cow::Borrowed)
        .or_else(|| node.as_f64().map(|f| std::borrow::Cow::Owned(f.to_string())))
}

/// CPU (millicores) and memory (bytes) of a `requests`-like mapping; whether it had either.
pub(crate) fn cpu_mem(map: Option<Node<'_>>) -> (u64, u64, bool) {
    let cpu = quantity(map.and_then(|m| m.get("cpu"))).and_then(|q| cpu_millis(&q));
    let mem = quantity(map.and_then(|m| m.get("memory"))).and_then(|q| bytes(&q));
    (cpu.unwrap_or(0), mem.unwrap_or(0), cpu.is_some() || mem.is_some())
}

/// What the scheduler reserves for a pod: max(sum of containers + sidecars, largest init
/// container + the sidecars started before it) + overhead. `None` when it requests nothing.
pub(crate) fn pod_requests(spec: Node<'_>) -> (u64, u64, bool) {
    let seq = |key: &str| spec.get(key).and_then(Node::as_seq).unwrap_or_default();
    let requests = |c: Node<'_>| cpu_mem(c.path(&["resources", "requests"]));
    let mut any = false;
    let (mut cpu, mut mem) = (0u64, 0u64);
    for c in seq("containers") {
        let (c_cpu, c_mem, has) = requests(c);
        cpu += c_cpu;
        mem += c_mem;
        any |= has;
    }
    let (mut side_cpu, mut side_mem) = (0u64, 0u64);
    let (mut init_cpu, mut init_mem) = (0u64, 0u64);
    for c in seq("initContainers") {
        let (c_cpu, c_mem, has) = requests(c);
        any |= has;
        if c.get("restartPolicy").and_then(Node::as_str) == Some("Always") {
            side_cpu += c_cpu;
            side_mem += c_mem;
        } else {
            init_cpu = init_cpu.max(side_cpu + c_cpu);
            init_mem = init_mem.max(side_mem + c_mem);
        }
    }
    let (o_cpu, o_mem, _) = cpu_mem(spec.get("overhead"));
    (
        (cpu + side_cpu).max(init_cpu) + o_cpu,
        (mem + side_mem).max(init_mem) + o_mem,
        any,
    )
}

#[derive(Default)]
pub(crate) struct Load {
    pub(crate) requested: Res,
    pub(crate) movable: Res,
    pub(crate) movable_unrequested: usize,
    pub(crate) unrequested: usize,
}

pub(crate) fn allocatable(node: &Object) -> Option<Res> {
    let alloc = node.raw.path(&["status", "allocatable"])?;
    let (cpu, mem, _) = cpu_mem(Some(alloc));
    let pods = quantity(alloc.get("pods"))
        .and_then(|q| q.parse::<u64>().ok())
        .unwrap_or(110);
    (cpu > 0 && mem > 0).then_some(Res { cpu, mem, pods })
}

/// `4.64 CPU`.
pub(crate) fn fmt_cpu(millis: u64) -> String {
    // Under a hundredth of a CPU, in millicores: "0 CPU short" would say nothing is missing.
    if millis > 0 && millis < 10 {
        return format!("{millis}m CPU");
    }
    let text = format!("{:.2}", millis as f64 / 1000.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} CPU")
}

/// `8.6 GiB`, `512 MiB`.
pub(crate) fn fmt_mem(bytes: u64) -> String {
    const GIB: f64 = 1_073_741_824.0;
    if bytes as f64 >= GIB {
        format!("{:.1} GiB", bytes as f64 / GIB)
    } else {
        format!("{} MiB", bytes / 1_048_576)
    }
}

pub(crate) fn percent(part: u64, whole: u64) -> u64 {
    part.saturating_mul(100).checked_div(whole).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::pod_requests;

    #[test]
    fn requests_follow_the_scheduler() {
        let spec = |j: serde_json::Value| mcp_diag_model::Doc::from(j);
        let s = spec(serde_json::json!({
            "initContainers": [
                {"name": "side", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m"}}},
                {"name": "migrate", "resources": {"requests": {"cpu": "2", "memory": "64Mi"}}}
            ],
            "containers": [{"name": "a", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}],
            "overhead": {"cpu": "10m"}
        }));
        assert_eq!(pod_requests(s.root()), (2110, 1_073_741_824, true));
        assert_eq!(
            pod_requests(spec(serde_json::json!({"containers": [{"name": "a"}]})).root()),
            (0, 0, false)
        );
    }
}
