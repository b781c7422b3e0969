//! Istio's view of the inventory for dep-protocol-mismatch: which PeerAuthentication mode
//! applies to a Service, DestinationRules that disable TLS to it, and whether a caller runs
//! a sidecar.

use mcp_diag_model::{Node as Yaml, Object};
use mcp_diag_services::{Edge, Graph, Node};

use crate::Context;
use crate::deps::{Objects, caller_workloads, pod_template};
use crate::selector::Selector;

/// Istio's view of the inventory: PeerAuthentications, DestinationRules, namespaces.
pub(crate) struct Mesh<'a> {
    pub(crate) peer_auth: Vec<&'a Object>,
    pub(crate) destination_rules: Vec<&'a Object>,
}

const ROOT_NAMESPACE: &str = "istio-system";

impl<'a> Mesh<'a> {
    pub(crate) fn read(ctx: &Context<'a>) -> Self {
        let istio = |kind: &str| -> Vec<&'a Object> {
            ctx.index
                .of_kind(kind)
                .iter()
                .copied()
                .filter(|o| {
                    o.api_version.starts_with("security.istio.io/")
                        || o.api_version.starts_with("networking.istio.io/")
                })
                .collect()
        };
        Self {
            peer_auth: istio("PeerAuthentication"),
            destination_rules: istio("DestinationRule"),
        }
    }

    /// The mTLS mode that applies to the target's pods: a selector matching them, else the
    /// namespace's, else the mesh's (Istio's precedence).
    pub(crate) fn mode_of(&self, objects: &Objects<'_>, to: &Node) -> Option<(String, &'a Object)> {
        let templates: Vec<Yaml<'_>> = to
            .workloads
            .iter()
            .filter_map(|w| objects.get(w))
            .filter_map(pod_template)
            .collect();
        let mode = |o: &&Object| {
            o.raw
                .path(&["spec", "mtls", "mode"])
                .and_then(Yaml::as_str)
                .map(str::to_ascii_uppercase)
        };
        let selects = |o: &&Object| {
            o.raw
                .path(&["spec", "selector", "matchLabels"])
                .is_some_and(|m| m.as_map().is_some_and(|m| !m.is_empty()))
        };
        let workload = self.peer_auth.iter().find(|o| {
            o.namespace.as_deref() == Some(to.namespace.as_str())
                && selects(o)
                && o.raw.path(&["spec", "selector"]).is_some_and(|s| {
                    let sel = Selector::from_label_selector(s).unwrap_or_default();
                    !templates.is_empty()
                        && templates
                            .iter()
                            .all(|t| sel.matches(t.path(&["metadata", "labels"])))
                })
        });
        let namespace = || {
            self.peer_auth
                .iter()
                .find(|o| o.namespace.as_deref() == Some(to.namespace.as_str()) && !selects(o))
        };
        let root = || {
            self.peer_auth
                .iter()
                .find(|o| o.namespace.as_deref() == Some(ROOT_NAMESPACE) && !selects(o))
        };
        // UNSET inherits from the next level up.
        [workload, namespace(), root()]
            .into_iter()
            .flatten()
            .find_map(|o| mode(o).filter(|m| m != "UNSET").map(|m| (m, *o)))
    }

    /// A DestinationRule whose host is the target and whose TLS mode (or the port's) is
    /// DISABLE.
    pub(crate) fn tls_disabled(&self, to: &Node, edge: &Edge) -> Option<&'a Object> {
        self.destination_rules.iter().copied().find(|dr| {
            let dr_ns = dr.namespace.as_deref().unwrap_or_default();
            let host = dr
                .raw
                .path(&["spec", "host"])
                .and_then(Yaml::as_str)
                .unwrap_or_default();
            if !host_is(host, dr_ns, to) {
                return false;
            }
            let policy = dr.raw.path(&["spec", "trafficPolicy"]);
            let port_mode = policy
                .and_then(|p| p.get("portLevelSettings"))
                .and_then(Yaml::as_seq)
                .unwrap_or_default()
                .iter()
                .find(|s| {
                    s.path(&["port", "number"])
                        .and_then(Yaml::as_i64)
                        .is_some_and(|n| Some(n) == edge.port.map(i64::from))
                })
                .and_then(|s| s.path(&["tls", "mode"]))
                .and_then(Yaml::as_str);
            let mode = port_mode.or_else(|| {
                policy
                    .and_then(|p| p.path(&["tls", "mode"]))
                    .and_then(Yaml::as_str)
            });
            mode.is_some_and(|m| m.eq_ignore_ascii_case("DISABLE"))
        })
    }

    /// Whether every pod of the caller gets a sidecar; `None` when the input cannot tell
    /// (namespace not in the input, caller not a workload).
    pub(crate) fn caller_in_mesh(&self, objects: &Objects<'_>, graph: &Graph, edge: &Edge) -> Option<bool> {
        let workloads = caller_workloads(graph, edge);
        if workloads.is_empty() {
            return None;
        }
        let mut all = true;
        for w in &workloads {
            let object = objects.get(w)?;
            let template = pod_template(object)?;
            let ns = objects.namespace(object.namespace.as_deref().unwrap_or_default())?;
            let ns_labels = ns.raw.path(&["metadata", "labels"]);
            let ns_label = |k: &str| ns_labels.and_then(|l| l.get(k)).and_then(Yaml::as_str);
            let injected_ns =
                ns_label("istio-injection") == Some("enabled") || ns_label("istio.io/rev").is_some();
            let pod = |k: &str| {
                template
                    .path(&["metadata", "labels", k])
                    .or_else(|| template.path(&["metadata", "annotations", k]))
                    .and_then(Yaml::as_str)
            };
            let inject = pod("sidecar.istio.io/inject");
            let disabled_ns = ns_label("istio-injection") == Some("disabled");
            let in_mesh = match inject {
                Some("false") => false,
                Some("true") => !disabled_ns,
                _ => injected_ns || pod("istio.io/rev").is_some(),
            };
            all &= in_mesh;
        }
        Some(all)
    }
}

/// Whether a DestinationRule host (`payment-gw`, `payment-gw.shop`, FQDN, `*.shop.svc.cluster.local`,
/// `*`) names the target Service; short names are in the rule's namespace.
fn host_is(host: &str, rule_ns: &str, to: &Node) -> bool {
    let ns = to.namespace.as_str();
    let name = to.name.as_str();
    if host == "*" {
        return true;
    }
    if let Some(rest) = host.strip_prefix("*.") {
        return rest == format!("{ns}.svc.cluster.local")
            || rest == format!("{ns}.svc")
            || rest == "svc.cluster.local";
    }
    let parts: Vec<&str> = host.split('.').collect();
    match parts.as_slice() {
        [n] => *n == name && rule_ns == ns,
        [n, s] | [n, s, "svc"] => *n == name && *s == ns,
        [n, s, "svc", ..] => *n == name && *s == ns,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use mcp_diag_services::Graph;

    use super::*;
    use crate::deps::test_graph::*;

    pub(crate) fn shop() -> Graph {
        let mut g = Graph::default();
        g.nodes
            .push(service("shop", "order-svc", "order", &[("http", 80, None)]));
        g.nodes.push(service(
            "shop",
            "payment-gw",
            "payment",
            &[("http", 80, None), ("grpc", 9090, Some("grpc"))],
        ));
        g
    }

    #[test]
    pub(crate) fn hosts() {
        let g = shop();
        let to = &g.nodes[1];
        assert!(host_is("payment-gw", "shop", to));
        assert!(!host_is("payment-gw", "other", to));
        assert!(host_is("payment-gw.shop", "other", to));
        assert!(host_is("payment-gw.shop.svc.cluster.local", "x", to));
        assert!(host_is("*.shop.svc.cluster.local", "x", to));
        assert!(!host_is("*.data.svc.cluster.local", "x", to));
        assert!(!host_is("payment-gw.example.com", "x", to));
    }
}
