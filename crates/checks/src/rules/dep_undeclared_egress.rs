use mcp_diag_model::{Finding, Object, Severity};
use mcp_diag_services::{Edge, Graph, Node, NodeKind};

use crate::deps::{Objects, caller_name, caller_ref, calls, evidence_words, node_name, pair_details};
use crate::netpol::{Net, Side};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "dep-undeclared-egress",
    severity: Severity::Low,
    title: "Call that a NetworkPolicy blocks",
    doc: r#"## What it checks
Every call found in the service graph that the NetworkPolicies in the input would block:
- on the caller's side, policies of its namespace that select its pods and have `Egress` in
  `policyTypes` (or an `egress` section), none of whose rules allow the target's pods on the
  port the call reaches (the Service's `targetPort`, by number or container port name);
- on the target's side, the same for `Ingress` policies selecting the target's pods.

Rules are matched as Kubernetes does: `podSelector`, `namespaceSelector` (with the
`kubernetes.io/metadata.name` label every namespace has), both together, `ports` with
`protocol` (TCP by default) and `endPort`; an empty `to`/`from` allows every peer, empty
`ports` every port. A rule with an `ipBlock`, a namespace whose labels are not in the input, or
a port the input cannot resolve make the answer unknown, and nothing is reported.

## Why it matters
NetworkPolicies are written once and forgotten; a new dependency, a renamed port or a moved
service is then silently dropped by the network. After an upgrade that adds or moves a
call, the caller times out rather than failing fast, which is hard to tell from an outage.

## Example
NetworkPolicy `shop/checkout-egress` selects the checkout pods, has `policyTypes: [Egress]` and
allows only DNS and the order pods on port 8080; checkout's ConfigMap has
`paymentUrl: grpc://payment-gw.shop.svc:9090`, so every call to payment-gw is dropped.

## Fix
Add an egress rule to the caller's policy (and an ingress rule to the target's, if it has
one) that allows the target's pods on the port, or remove the call if it is stale.
"#,
};

pub struct DepUndeclaredEgress;

impl Check for DepUndeclaredEgress {
    info_from!(INFO, reads_graph);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let graph = ctx.graph;
        let policies: Vec<&Object> = ctx
            .index
            .of_kind("NetworkPolicy")
            .iter()
            .copied()
            .filter(|o| o.api_version.starts_with("networking.k8s.io/"))
            .collect();
        if graph.edges.is_empty() || policies.is_empty() {
            return Vec::new();
        }
        let objects = Objects::build(ctx);
        let net = Net::new(&policies, &objects);
        let mut out = Vec::new();
        for edge in calls(graph) {
            let to = graph.node(edge.to);
            if to.kind != NodeKind::Service || graph.node(edge.from).kind == NodeKind::Outside {
                continue;
            }
            if let Some((policy, side)) = net.blocked(graph, edge, to) {
                out.push(finding(&objects, graph, edge, to, policy, side));
            }
        }
        out
    }
}

fn finding(
    objects: &Objects<'_>,
    graph: &Graph,
    edge: &Edge,
    to: &Node,
    policy: &Object,
    side: Side,
) -> Finding {
    let who = caller_name(graph, edge);
    let name = node_name(to);
    let policy_name = format!(
        "{}/{}",
        policy.namespace.as_deref().unwrap_or_default(),
        policy.name
    );
    let port = edge.port.map_or_else(String::new, |p| format!(" on port {p}"));
    let mut details = pair_details(graph, edge);
    details.insert("network_policy", policy_name.clone());
    let (side_words, fix) = match side {
        Side::Egress => (
            "egress",
            format!(
                "Add an egress rule to NetworkPolicy {policy_name} that allows the pods of {name}{port} (podSelector and, across namespaces, namespaceSelector), or remove the call from {who} if it is stale."
            ),
        ),
        Side::Ingress => (
            "ingress",
            format!(
                "Add an ingress rule to NetworkPolicy {policy_name} that allows the pods of {who}{port}, or remove the call if it is stale."
            ),
        ),
    };
    details.insert("side", side_words.to_owned());
    objects.finding(&INFO, caller_ref(graph, edge))
        .title(format!("NetworkPolicy {policy_name} blocks {who} -> {name}"))
        .message(format!(
            "{who} calls {name}{port} ({}), but NetworkPolicy {policy_name} selects the {} pods and none of the {side_words} rules that apply to them allows this traffic: the connections are dropped (the caller times out).",
            evidence_words(edge),
            match side {
                Side::Egress => "caller's",
                Side::Ingress => "target's",
            },
        ))
        .fix(fix)
        .details(details)
        .build()
}
