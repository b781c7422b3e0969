use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use mcp_diag_model::{Finding, Node, Object, Severity};

use super::node_not_ready::{condition, hard_taints, is_cordoned, taint_text};
use super::node_taint_untolerated::system_taint;
use crate::headroom::{Load, Res, allocatable, fmt_cpu, fmt_mem, percent, pod_requests, quantity};
use crate::quantity::{bytes, cpu_millis};
use crate::words::name_list;
use crate::workloads::{is_daemonset_pod, is_mirror_pod, is_terminated};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "node-headroom",
    severity: Severity::High,
    title: "Not enough room to drain a node",
    doc: r#"## What it checks
Two things, from the pods' resource requests and the nodes' `status.allocatable`:

- **Drain room** (high): for each node, the requests (CPU, memory, and the pod count) of the
  pods a drain would move — scheduled, not finished, not DaemonSet or mirror pods, which
  stay on their node — against the free allocatable (allocatable minus the requests of the
  pods already there) of the other Ready, schedulable nodes they could use: untainted nodes,
  plus nodes with the same `NoSchedule`/`NoExecute` taints as the drained node (its pool).
  Reported once per pool, for the node with the largest load that does not fit, naming the
  others. Free room is summed across nodes: this is a lower bound, fragmentation can make a
  drain fail earlier (the placement itself is not simulated).
- **Full node** (medium): a node above 80% (`node_full_percent` in `--config`) of its
  allocatable CPU or memory by requests, or by usage where `metrics.k8s.io` NodeMetrics
  objects are in the input.

A pod's request is what the scheduler counts: the sum of its containers (plus native
sidecars), or its largest init container if that is more, plus `spec.overhead`. Pods that
set no requests count as zero, and the finding says how many there are.

Drain room is not reported when the Nodes were not read completely (see `input-incomplete`):
the room of the nodes not read is unknown. Pods not read only make the real room smaller, so
the findings that are reported still hold.

## Why it matters
An upgrade drains every node, one or a few at a time. When the other nodes cannot take the
pods of the node being drained, the evicted pods stay Pending, their workloads lose
replicas, and disruption budgets then refuse the next evictions: the upgrade stalls halfway.
Nodes already near full are where this starts.

## Example
Draining `worker-b1` moves 26 pods requesting 6.1 CPU and 12.4 GiB; the other Ready,
schedulable workers have 4.2 CPU free between them: 1.9 CPU short.

## Fix
Add a node (or a surge node per wave: `maxSurge` in managed node groups) before the upgrade,
lower over-sized requests, scale down idle workloads, or uncordon nodes left cordoned. Drain
one node at a time when room is short.
"#,
};

pub struct NodeHeadroom;

struct NodeRoom<'a> {
    node: &'a Object,
    alloc: Res,
    load: Load,
    receiver: bool,
    pool: String,
}

impl Check for NodeHeadroom {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let nodes = ctx.index.of_kind("Node");
        if nodes.is_empty() {
            return Vec::new();
        }
        // One pass over the pods: requests per node.
        let mut loads: HashMap<&str, Load> = HashMap::default();
        for &pod in ctx.index.of_kind("Pod") {
            let Some(node) = pod.raw.path(&["spec", "nodeName"]).and_then(Node::as_str) else {
                continue;
            };
            if is_terminated(pod) {
                continue;
            }
            let (cpu, mem, any) = pod.raw.get("spec").map_or((0, 0, false), pod_requests);
            let res = Res { cpu, mem, pods: 1 };
            let load = loads.entry(node).or_default();
            load.requested.add(res);
            load.unrequested += usize::from(!any);
            if !is_daemonset_pod(pod) && !is_mirror_pod(pod) {
                load.movable.add(res);
                load.movable_unrequested += usize::from(!any);
            }
        }
        let mut rooms = Vec::new();
        let mut no_alloc = Vec::new();
        for &node in nodes {
            let Some(alloc) = allocatable(node) else {
                no_alloc.push(node.name.as_str());
                continue;
            };
            let ready = condition(node, "Ready")
                .and_then(|c| c.get("status"))
                .and_then(Node::as_str)
                == Some("True");
            let mut taints: Vec<String> = hard_taints(node)
                .filter(|t| !system_taint(t.get("key").and_then(Node::as_str).unwrap_or("")))
                .map(taint_text)
                .collect();
            taints.sort();
            taints.dedup();
            rooms.push(NodeRoom {
                node,
                alloc,
                load: loads.remove(node.name.as_str()).unwrap_or_default(),
                receiver: ready && !is_cordoned(node),
                pool: taints.join(","),
            });
        }
        let mut findings = Vec::new();
        // Nodes not read are room not counted: "not enough room" would be a guess.
        if !ctx.read_gap("", "Node") {
            findings.extend(drain_room(&rooms));
        }
        findings.extend(full_nodes(ctx, &rooms));
        if !no_alloc.is_empty() && ctx.inventory.kind != mcp_diag_model::SourceKind::Manifests {
            findings.push(
                INFO.finding()
                    .notice(format!(
                        "Allocatable resources missing for {} node{}",
                        no_alloc.len(),
                        if no_alloc.len() == 1 { "" } else { "s" },
                    ))
                    .message(format!(
                        "Nodes {} carry no readable status.allocatable CPU and memory, so they are left out of the headroom computation (neither as room nor as load).",
                        name_list(&no_alloc, 5),
                    ))
                    .fix(
                        "Capture the snapshot with node status (`kubectl get nodes -o yaml`), or scan the live cluster.",
                    )
                    .evidence("node status")
                    .detail("nodes", no_alloc.join(","))
                    .build()
            );
        }
        findings
    }
}

/// A node whose movable load does not fit: the node, the room it has, the nodes giving it.
type Short<'r, 'a> = (&'r NodeRoom<'a>, Res, Vec<&'r str>);

/// The drain-room findings: one per pool whose largest failing node cannot be absorbed.
fn drain_room(rooms: &[NodeRoom<'_>]) -> Vec<Finding> {
    let mut pool_free: HashMap<&str, (Res, Vec<&str>)> = HashMap::default();
    for r in rooms.iter().filter(|r| r.receiver) {
        let entry = pool_free.entry(r.pool.as_str()).or_default();
        entry.0.add(r.alloc.sub(r.load.requested));
        entry.1.push(r.node.name.as_str());
    }
    // Failing nodes per pool, with the room they would have.
    let mut failing: BTreeMap<&str, Vec<Short<'_, '_>>> = BTreeMap::new();
    for r in rooms.iter().filter(|r| r.load.movable.pods > 0) {
        let mut free = Res::default();
        let mut names: Vec<&str> = Vec::new();
        let mut take = |pool: &str| {
            if let Some((res, list)) = pool_free.get(pool) {
                free.add(*res);
                names.extend(list.iter().filter(|n| **n != r.node.name));
            }
        };
        take(&r.pool);
        if !r.pool.is_empty() {
            take("");
        }
        if r.receiver {
            free = free.sub(r.alloc.sub(r.load.requested));
        }
        let m = r.load.movable;
        if m.cpu > free.cpu || m.mem > free.mem || m.pods > free.pods {
            failing.entry(r.pool.as_str()).or_default().push((r, free, names));
        }
    }
    let mut findings = Vec::new();
    for (pool, mut list) in failing {
        list.sort_by(|(a, _, _), (b, _, _)| {
            (b.load.movable.cpu, b.load.movable.mem)
                .cmp(&(a.load.movable.cpu, a.load.movable.mem))
                .then_with(|| a.node.name.cmp(&b.node.name))
        });
        let Some((r, free, names)) = list.first() else {
            continue;
        };
        let name = &r.node.name;
        let m = r.load.movable;
        let mut short = Vec::new();
        if m.cpu > free.cpu {
            short.push(fmt_cpu(m.cpu - free.cpu));
        }
        if m.mem > free.mem {
            short.push(fmt_mem(m.mem - free.mem));
        }
        if m.pods > free.pods {
            short.push(format!("{} pod slots", m.pods - free.pods));
        }
        let room = if names.is_empty() {
            "no other Ready, schedulable node can take them".to_owned()
        } else {
            format!(
                "the other Ready, schedulable nodes they can use ({}) have {}, {} and {} pod slots free",
                name_list(names, 4),
                fmt_cpu(free.cpu),
                fmt_mem(free.mem),
                free.pods
            )
        };
        let unrequested = match r.load.movable_unrequested {
            0 => String::new(),
            1 => {
                " 1 of those pods sets no requests and counts as zero, so the real need is higher.".to_owned()
            }
            n => format!(" {n} of those pods set no requests and count as zero, so the real need is higher."),
        };
        let others: Vec<&str> = list
            .iter()
            .skip(1)
            .map(|(r, _, _)| r.node.name.as_str())
            .collect();
        let also = if others.is_empty() {
            String::new()
        } else {
            format!(" Nodes {} cannot be drained either.", name_list(&others, 5))
        };
        let pool_text = if pool.is_empty() {
            String::new()
        } else {
            format!(" (pool tainted {pool}, plus untainted nodes)")
        };
        let mut details = BTreeMap::from([
            ("node", name.clone()),
            ("movable_pods", m.pods.to_string()),
            ("movable_cpu_millis", m.cpu.to_string()),
            ("movable_memory_bytes", m.mem.to_string()),
            ("free_cpu_millis", free.cpu.to_string()),
            ("free_memory_bytes", free.mem.to_string()),
            ("free_pods", free.pods.to_string()),
            ("pods_without_requests", r.load.movable_unrequested.to_string()),
        ]);
        if !pool.is_empty() {
            details.insert("pool_taints", (*pool).to_owned());
        }
        if !others.is_empty() {
            details.insert("other_nodes_short", others.join(","));
        }
        findings.push(
            INFO.about(r.node)
                .title(format!("Draining {name} leaves its pods nowhere to go ({} short)", short.join(", ")))
                .message(format!(
                    "Draining {name} moves {} pod{} requesting {} and {}; {room}{pool_text}: {} short. Free room is summed across nodes, so the real placement may need more.{unrequested}{also}",
                    m.pods,
                    if m.pods == 1 { "" } else { "s" },
                    fmt_cpu(m.cpu),
                    fmt_mem(m.mem),
                    short.join(", "),
                ))
                .fix(format!(
                    "Before the upgrade add a node (or let each wave surge one), lower over-sized requests, scale down idle workloads, or uncordon nodes left cordoned, until the other nodes can take the {} of {name}; drain one node at a time.",
                    fmt_cpu(m.cpu),
                ))
                .evidence("pod requests and node allocatable")
                .details(details)
                .build()
        );
    }
    findings
}

/// The full-node findings: requests (or usage from NodeMetrics) above the threshold.
fn full_nodes(ctx: &Context<'_>, rooms: &[NodeRoom<'_>]) -> Vec<Finding> {
    let limit = ctx.options.node_full_percent;
    let usage: HashMap<&str, (Option<u64>, Option<u64>)> = ctx
        .index
        .of_kind("NodeMetrics")
        .iter()
        .map(|m| {
            let u = m.raw.get("usage");
            let cpu = quantity(u.and_then(|u| u.get("cpu"))).and_then(|q| cpu_millis(&q));
            let mem = quantity(u.and_then(|u| u.get("memory"))).and_then(|q| bytes(&q));
            (m.name.as_str(), (cpu, mem))
        })
        .collect();
    let mut findings = Vec::new();
    for r in rooms {
        let name = &r.node.name;
        let req = r.load.requested;
        let mut over = Vec::new();
        let mut details = BTreeMap::from([("node", name.clone()), ("threshold_percent", limit.to_string())]);
        let cpu_pct = percent(req.cpu, r.alloc.cpu);
        let mem_pct = percent(req.mem, r.alloc.mem);
        details.insert("cpu_requested_percent", cpu_pct.to_string());
        details.insert("memory_requested_percent", mem_pct.to_string());
        if cpu_pct > limit {
            over.push(format!(
                "{cpu_pct}% of its CPU is requested ({} of {})",
                fmt_cpu(req.cpu),
                fmt_cpu(r.alloc.cpu)
            ));
        }
        if mem_pct > limit {
            over.push(format!(
                "{mem_pct}% of its memory is requested ({} of {})",
                fmt_mem(req.mem),
                fmt_mem(r.alloc.mem)
            ));
        }
        if let Some((cpu, mem)) = usage.get(name.as_str()) {
            if let Some(cpu) = cpu {
                let pct = percent(*cpu, r.alloc.cpu);
                details.insert("cpu_used_percent", pct.to_string());
                if pct > limit {
                    over.push(format!(
                        "{pct}% of its CPU is in use ({} of {}, NodeMetrics)",
                        fmt_cpu(*cpu),
                        fmt_cpu(r.alloc.cpu)
                    ));
                }
            }
            if let Some(mem) = mem {
                let pct = percent(*mem, r.alloc.mem);
                details.insert("memory_used_percent", pct.to_string());
                if pct > limit {
                    over.push(format!(
                        "{pct}% of its memory is in use ({} of {}, NodeMetrics)",
                        fmt_mem(*mem),
                        fmt_mem(r.alloc.mem)
                    ));
                }
            }
        }
        if over.is_empty() {
            continue;
        }
        let unrequested = match r.load.unrequested {
            0 => String::new(),
            1 => " 1 pod on it sets no requests and counts as zero.".to_owned(),
            n => format!(" {n} pods on it set no requests and count as zero."),
        };
        findings.push(
            INFO.about(r.node)
                .severity(Severity::Medium)
                .title(format!(
                    "Node {name} is above {limit}% ({})",
                    over.iter().map(|o| o.split(" (").next().unwrap_or("")).collect::<Vec<_>>().join(", "),
                ))
                .message(format!(
                    "Node {name}: {}, above the {limit}% threshold. It has little room for the pods that drains of other nodes move, and pods that grow on it get evicted or throttled.{unrequested}",
                    over.join("; "),
                ))
                .fix(format!(
                    "Before the upgrade add capacity or move workloads off {name}, and lower requests that are far above real usage (compare with kubectl top pod)."
                ))
                .evidence("pod requests and node allocatable")
                .details(details)
                .build()
        );
    }
    findings
}
