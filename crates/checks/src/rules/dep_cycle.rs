use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Severity};
use mcp_diag_services::{Edge, Graph, NodeId};
use rustc_hash::FxHashMap as HashMap;

use crate::deps::{Objects, calls, evidence_words, node_name};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "dep-cycle",
    severity: Severity::Medium,
    title: "Services that depend on each other in a cycle",
    doc: r#"## What it checks
Sets of services that call each other in a cycle in the service graph (A calls B, B calls A;
or A → B → C → A), over calls only: NetworkPolicy permissions and traffic from outside the
cluster do not count. One finding per cycle, naming its members in order, with the evidence of
each call.

## Why it matters
An upgrade goes providers before consumers. In a cycle every member is the provider of
another, so no order works unless each version of every member stays compatible with both
versions of the others for the whole rollout: a breaking change anywhere in the cycle breaks
it, and a rollback has the same problem in reverse.

## Example
`cluster-registry/cluster-registry` calls `grpc://sync-controller.sync-controller.svc:9090`,
and `sync-controller/sync-controller` reads its clusters from
`grpc://cluster-registry.cluster-registry.svc:9090`.

## Fix
Break the cycle when you can (one side pushes instead of being called, or an event stream
sits between them). Otherwise keep both directions compatible across the upgrade (old and new
APIs served at once), declare the requirements (`requires:` in the config's `services:`) so
that `dep-api-mismatch` checks them, and upgrade the members one at a time.
"#,
};

pub struct DepCycle;

impl Check for DepCycle {
    info_from!(INFO, reads_graph);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let graph = ctx.graph;
        if graph.edges.is_empty() {
            return Vec::new();
        }
        let cycles = graph.cycles();
        if cycles.is_empty() {
            return Vec::new();
        }
        let objects = Objects::build(ctx);
        let inside = cycle_edges(graph, &cycles);
        cycles
            .iter()
            .zip(&inside)
            .filter(|(members, _)| !members.is_empty())
            .map(|(members, edges)| finding(&objects, graph, members, edges))
            .collect()
    }
}

/// Each cycle's call edges (both ends in it), in the graph's order: one pass over the
/// edges for all cycles, not one per cycle.
pub(crate) fn cycle_edges<'g>(graph: &'g Graph, cycles: &[Vec<NodeId>]) -> Vec<Vec<&'g Edge>> {
    let mut cycle_of = vec![usize::MAX; graph.nodes.len()];
    for (c, members) in cycles.iter().enumerate() {
        for id in members {
            cycle_of[id.0 as usize] = c;
        }
    }
    let mut inside = vec![Vec::new(); cycles.len()];
    for e in calls(graph) {
        let c = cycle_of[e.from.0 as usize];
        if c != usize::MAX && cycle_of[e.to.0 as usize] == c {
            inside[c].push(e);
        }
    }
    inside
}

/// The members in calling order: from the first by name, each to the next member it calls
/// (the smallest by name) until the walk closes; members the walk misses follow. `edges`:
/// the calls between members.
pub(crate) fn walk(graph: &Graph, members: &[NodeId], edges: &[&Edge]) -> Vec<NodeId> {
    // Ranked by name (ties in the members' order), so that "smallest by name" is the
    // smallest rank.
    let mut ranked: Vec<(String, NodeId)> = members
        .iter()
        .map(|id| (node_name(graph.node(*id)), *id))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0));
    let rank: HashMap<NodeId, usize> = ranked.iter().enumerate().map(|(r, (_, id))| (*id, r)).collect();
    let mut callees: Vec<Vec<usize>> = vec![Vec::new(); ranked.len()];
    for e in edges {
        if let (Some(&from), Some(&to)) = (rank.get(&e.from), rank.get(&e.to)) {
            callees[from].push(to);
        }
    }
    for c in &mut callees {
        c.sort_unstable();
    }
    if ranked.is_empty() {
        return Vec::new();
    }
    let mut placed = vec![false; ranked.len()];
    let mut order = vec![0];
    placed[0] = true;
    let mut at = 0;
    while let Some(&next) = callees[at].iter().find(|r| !placed[**r]) {
        placed[next] = true;
        order.push(next);
        at = next;
    }
    order.extend((0..ranked.len()).filter(|r| !placed[*r]));
    order.into_iter().map(|r| ranked[r].1).collect()
}

fn finding(objects: &Objects<'_>, graph: &Graph, members: &[NodeId], edges: &[&Edge]) -> Finding {
    let order = walk(graph, members, edges);
    let names: Vec<String> = order.iter().map(|id| node_name(graph.node(*id))).collect();
    let mut path = names.join(" -> ");
    if order.len() > 1 {
        path.push_str(&format!(" -> {}", names[0]));
    }
    let evidence: Vec<String> = edges
        .iter()
        .map(|e| {
            format!(
                "{} -> {}: {}",
                node_name(graph.node(e.from)),
                node_name(graph.node(e.to)),
                evidence_words(e)
            )
        })
        .collect();
    let first = graph.node(order[0]);
    let object = first.object.clone().or_else(|| {
        first
            .workloads
            .first()
            .map(|w| mcp_diag_model::ObjectRef::clone(w))
    });
    let details = BTreeMap::from([
        ("members", names.join(", ")),
        ("cycle", path.clone()),
        ("evidence", evidence.join("; ")),
    ]);
    objects.finding(&INFO, object)
        .title(format!("Dependency cycle: {path}"))
        .message(format!(
            "{} services depend on each other in a cycle ({path}): {}. No upgrade order serves them (each is the provider of another), so every version of each must stay compatible with both versions of the others during the rollout.",
            order.len(),
            evidence.join("; "),
        ))
        .fix(format!(
            "Break the cycle between {} if you can; otherwise keep both directions compatible across the upgrade (old and new APIs served at once), declare the requirements in the config's services: section so that dep-api-mismatch checks them, and upgrade one member at a time.",
            names.join(", "),
        ))
        .details(details)
        .build()
}

#[cfg(test)]
mod tests {
    use mcp_diag_services::Graph;

    use super::*;
    use crate::deps::test_graph::*;

    fn ring(n: usize) -> Graph {
        let mut g = Graph::default();
        for i in 0..n {
            g.nodes.push(service(
                "cp",
                &format!("svc-{i}"),
                &format!("wl-{i}"),
                &[("grpc", 9090, Some("grpc"))],
            ));
        }
        for i in 0..n {
            let e = call(
                &g,
                i as u32,
                ((i + 1) % n) as u32,
                Some(9090),
                Some("grpc"),
                "ADDR",
            );
            g.edges.push(e);
        }
        g
    }

    #[test]
    fn walk_orders_the_members_along_their_calls() {
        let g = ring(3);
        let members = [NodeId(2), NodeId(0), NodeId(1)];
        let edges = cycle_edges(&g, &[members.to_vec()]);
        let order = walk(&g, &members, &edges[0]);
        assert_eq!(order, [NodeId(0), NodeId(1), NodeId(2)]);
    }
}
