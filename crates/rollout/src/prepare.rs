//! From a plan (`mcp_diag_planner::plan`) to the run's fixed plan, and the pre-flight verdict.

use std::collections::BTreeSet;

use mcp_diag_model::{Inventory, Severity};
use mcp_diag_planner::{Drainable, Plan};

use crate::model::{PlannedNode, RunPlan};
use crate::text::minor_of;

/// Kept here too: it was first defined in this module.
pub use crate::text::normalize_version;

/// What pre-flight found that stops a run unless named in `--accept`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Blocker {
    /// `CHECK/OBJECT` as `--accept` takes it (`pdb-blocks-drain/shop/payment`).
    pub id: String,
    pub message: String,
    pub accepted: bool,
}

/// The kubelet version each node reports (`v1.31.4`), by name.
pub fn kubelet_versions(inventory: &Inventory) -> Vec<(String, String)> {
    inventory
        .objects
        .iter()
        .filter(|o| o.kind == "Node")
        .map(|o| {
            let version = o
                .raw
                .root()
                .path(&["status", "nodeInfo", "kubeletVersion"])
                .and_then(|n| n.as_str())
                .unwrap_or("unknown")
                .to_owned();
            (o.name.clone(), version)
        })
        .collect()
}

/// The run's plan: control-plane hops, then the plan's waves in its order. Nodes already at
/// the target minor are kept (the report lists them) but skipped.
pub fn run_plan(inventory: &Inventory, plan: &Plan, target: &str, run_id: &str) -> RunPlan {
    let target = normalize_version(target);
    let target_minor = minor_of(&target);
    let versions: rustc_hash::FxHashMap<String, String> = kubelet_versions(inventory).into_iter().collect();
    let mut nodes = Vec::new();
    let mut waves = 0;
    for wave in &plan.waves {
        waves = waves.max(wave.index);
        for n in &wave.nodes {
            let from_version = versions.get(&n.name).cloned().unwrap_or_else(|| "unknown".into());
            let skip =
                (minor_of(&from_version) == target_minor).then(|| format!("already at {from_version}"));
            nodes.push(PlannedNode {
                name: n.name.clone(),
                control_plane: n.control_plane,
                wave: wave.index,
                from_version,
                skip,
            });
        }
    }
    RunPlan {
        run_id: run_id.to_owned(),
        cluster: plan.cluster.clone(),
        target_minor,
        // A plan to the cluster's own minor lists a hop from it to itself: nothing to do.
        control_plane_hops: plan
            .hops
            .iter()
            .filter(|h| minor_of(&h.from) != minor_of(&h.to))
            .map(|h| normalize_version(&h.to))
            .collect(),
        target,
        nodes,
        waves,
    }
}

/// Everything that stops the run before it touches anything: the hops' blockers, nodes the
/// simulation says will not drain (or cannot tell), and an incomplete read.
pub fn blockers(plan: &Plan, accept: &[String]) -> Vec<Blocker> {
    let accept: BTreeSet<String> = accept.iter().map(|a| a.trim().to_ascii_lowercase()).collect();
    let accepted = |check: &str, object: &str| {
        accept.contains(check) || accept.contains(&format!("{check}/{object}").to_ascii_lowercase())
    };
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for hop in &plan.hops {
        for f in hop.blockers.iter().filter(|f| f.severity == Severity::Blocker) {
            let object = f
                .object
                .as_ref()
                .map_or_else(String::new, |o| object_id(&o.namespace, &o.name));
            let id = format!("{}/{object}", f.check);
            if seen.insert(id.clone()) {
                out.push(Blocker {
                    accepted: accepted(f.check, &object),
                    message: format!("{} → {}: {}", hop.from, hop.to, f.message),
                    id,
                });
            }
        }
    }
    for wave in &plan.waves {
        for n in &wave.nodes {
            match n.drainable {
                Drainable::Yes => {}
                Drainable::No | Drainable::Unknown => {
                    let what = if n.drainable == Drainable::No {
                        "node-drain-blocked"
                    } else {
                        "node-drain-unknown"
                    };
                    let id = format!("{what}/{}", n.name);
                    let why = n
                        .blockers
                        .first()
                        .map_or(n.reason.as_str(), |b| b.message.as_str());
                    if seen.insert(id.clone()) {
                        out.push(Blocker {
                            accepted: accepted(what, &n.name),
                            message: format!("{} ({}): {why}", n.name, n.status),
                            id,
                        });
                    }
                }
            }
        }
    }
    for gap in &plan.incomplete {
        let id = format!("input-incomplete/{}", gap.kind);
        out.push(Blocker {
            accepted: accepted("input-incomplete", &gap.kind),
            message: gap.sentence(),
            id,
        });
    }
    out
}

fn object_id(namespace: &Option<String>, name: &str) -> String {
    match namespace {
        Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
        _ => name.to_owned(),
    }
}
