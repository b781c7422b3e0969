use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Severity};
use mcp_diag_services::{Graph, NodeId};

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
        cycles
            .iter()
            .filter(|members| !members.is_empty())
            .map(|members| finding(&objects, graph, members))
            .collect()
    }
}

/// The members in calling order: from the first by name, each to the next member it calls
/// (the smallest by name) until the walk closes; members the walk misses follow.
pub(crate) fn walk(graph: &Graph, members: &[NodeId]) -> Vec<NodeId> {
    let mut sorted = members.to_vec();
    sorted.sort_by_key(|id| node_name(graph.node(*id)));
    let Some(&start) = sorted.first() else {
        return Vec::new();
    };
    let mut order = vec![start];
    let mut at = start;
    loop {
        let mut next: Vec<NodeId> = calls(graph)
            .filter(|e| e.from == at && sorted.contains(&e.to) && !order.contains(&e.to))
            .map(|e| e.to)
            .collect();
        next.sort_by_key(|id| node_name(graph.node(*id)));
        match next.first() {
            Some(&n) => {
                order.push(n);
                at = n;
            }
            None => break,
        }
    }
    for id in sorted {
        if !order.contains(&id) {
            order.push(id);
        }
    }
    order
}

fn finding(objects: &Objects<'_>, graph: &Graph, members: &[NodeId]) -> Finding {
    let order = walk(graph, members);
    let names: Vec<String> = order.iter().map(|id| node_name(graph.node(*id))).collect();
    let mut path = names.join(" -> ");
    if order.len() > 1 {
        path.push_str(&format!(" -> {}", names[0]));
    }
    let evidence: Vec<String> = calls(graph)
        .filter(|e| order.contains(&e.from) && order.contains(&e.to))
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
        let order = walk(&g, &[NodeId(2), NodeId(0), NodeId(1)]);
        assert_eq!(order, [NodeId(0), NodeId(1), NodeId(2)]);
    }
}
