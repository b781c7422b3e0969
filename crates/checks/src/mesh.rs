//! Istio's view of the inventory for dep-protocol-mismatch: which PeerAuthentication mode
//! applies to a Service, DestinationRules that disable TLS to it, and whether a caller runs
//! a sidecar.

use mcp_diag_model::{Node as Yaml, Object};
use mcp_diag_services::{Edge, Graph, Node};
use rustc_hash::FxHashMap as HashMap;

use crate::Context;
use crate::deps::{Objects, caller_workloads, pod_template};
use crate::selector::{Selector, SelectorIndex};

/// Istio's view of the inventory: PeerAuthentications, DestinationRules, namespaces.
pub(crate) struct Mesh<'a> {
    pub(crate) peer_auth: Vec<&'a Object>,
    destination_rules: Vec<&'a Object>,
    /// The PeerAuthentications of each namespace, read once: a call looks only at its
    /// target's namespace, and there only at the policies its pods' labels may match.
    by_namespace: HashMap<&'a str, Policies<'a>>,
    /// DestinationRules (indices) by the first label of their host (`payment-gw` of
    /// `payment-gw.shop.svc.cluster.local`), the only Service name they can name; wildcard
    /// hosts (`*`, `*.shop.svc.cluster.local`) in `any_host`.
    rules_by_name: HashMap<&'a str, Vec<usize>>,
    any_host: Vec<usize>,
    /// Each DestinationRule's `spec.host`, read once.
    hosts: Vec<&'a str>,
}

/// One namespace's PeerAuthentications.
#[derive(Default)]
struct Policies<'a> {
    /// Those that select workloads (`selector.matchLabels`), in input order, and their
    /// selectors filed by label (ids are positions in `workload`).
    workload: Vec<&'a Object>,
    selectors: Vec<Selector>,
    index: SelectorIndex,
    /// The first without a workload selector: the namespace's policy.
    namespace: Option<&'a Object>,
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
        let peer_auth = istio("PeerAuthentication");
        let destination_rules = istio("DestinationRule");
        let mut by_namespace: HashMap<&'a str, Policies<'a>> = HashMap::default();
        for &o in &peer_auth {
            let policies = by_namespace
                .entry(o.namespace.as_deref().unwrap_or_default())
                .or_default();
            if selects(o) {
                policies.workload.push(o);
                // An unreadable selector is read as empty, as before: it selects every pod.
                let selector = o
                    .raw
                    .path(&["spec", "selector"])
                    .map(|s| Selector::from_label_selector(s).unwrap_or_default())
                    .unwrap_or_default();
                policies.selectors.push(selector);
            } else if policies.namespace.is_none() {
                policies.namespace = Some(o);
            }
        }
        for policies in by_namespace.values_mut() {
            policies.index = SelectorIndex::new(std::mem::take(&mut policies.selectors));
        }
        let mut rules_by_name: HashMap<&'a str, Vec<usize>> = HashMap::default();
        let mut any_host = Vec::new();
        let hosts: Vec<&'a str> = destination_rules
            .iter()
            .map(|dr| {
                dr.raw
                    .path(&["spec", "host"])
                    .and_then(Yaml::as_str)
                    .unwrap_or_default()
            })
            .collect();
        for (i, &host) in hosts.iter().enumerate() {
            if host.starts_with('*') {
                any_host.push(i);
            } else {
                let name = host.split('.').next().unwrap_or_default();
                rules_by_name.entry(name).or_default().push(i);
            }
        }
        Self {
            peer_auth,
            destination_rules,
            by_namespace,
            rules_by_name,
            any_host,
            hosts,
        }
    }

    /// The mTLS mode that applies to the target's pods: a selector matching them, else the
    /// namespace's, else the mesh's (Istio's precedence).
    pub(crate) fn mode_of(&self, objects: &Objects<'_>, to: &Node) -> Option<(String, &'a Object)> {
        let templates = templates(objects, to);
        let here = self.by_namespace.get(to.namespace.as_str());
        // The first workload policy whose selector matches every template (so the first
        // template's labels find every candidate).
        let workload = here.zip(templates.first()).and_then(|(policies, first)| {
            let mut ids = Vec::new();
            policies
                .index
                .matching_into(first.path(&["metadata", "labels"]), &mut ids);
            ids.into_iter()
                .find(|i| {
                    let selector = &policies.index.selectors()[*i];
                    templates
                        .iter()
                        .all(|t| selector.matches(t.path(&["metadata", "labels"])))
                })
                .map(|i| policies.workload[i])
        });
        let namespace = here.and_then(|p| p.namespace);
        let root = self.by_namespace.get(ROOT_NAMESPACE).and_then(|p| p.namespace);
        // UNSET inherits from the next level up.
        [workload, namespace, root]
            .into_iter()
            .flatten()
            .find_map(|o| mtls_mode(o).filter(|m| m != "UNSET").map(|m| (m, o)))
    }

    /// A DestinationRule whose host is the target and whose TLS mode (or the port's) is
    /// DISABLE.
    pub(crate) fn tls_disabled(&self, to: &Node, edge: &Edge) -> Option<&'a Object> {
        let named = self
            .rules_by_name
            .get(to.name.as_str())
            .map_or(&[][..], Vec::as_slice);
        let disables = |i: &usize| {
            let dr = self.destination_rules[*i];
            host_is(self.hosts[*i], dr.namespace.as_deref().unwrap_or_default(), to)
                && Self::tls_disabled_by(dr, edge)
        };
        let found = if self.any_host.is_empty() {
            named.iter().copied().find(|i| disables(i))
        } else {
            // Wildcard and named rules, in input order.
            let mut candidates: Vec<usize> = self.any_host.iter().chain(named).copied().collect();
            candidates.sort_unstable();
            candidates.into_iter().find(|i| disables(i))
        };
        found.map(|i| self.destination_rules[i])
    }

    /// Whether a DestinationRule's TLS mode for the edge's port (or its default) is DISABLE.
    fn tls_disabled_by(dr: &Object, edge: &Edge) -> bool {
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

/// The pod templates of a Service's workloads.
fn templates<'o>(objects: &Objects<'o>, to: &Node) -> Vec<Yaml<'o>> {
    to.workloads
        .iter()
        .filter_map(|w| objects.get(w))
        .filter_map(pod_template)
        .collect()
}

/// A PeerAuthentication's `spec.mtls.mode`, upper case.
fn mtls_mode(o: &Object) -> Option<String> {
    o.raw
        .path(&["spec", "mtls", "mode"])
        .and_then(Yaml::as_str)
        .map(str::to_ascii_uppercase)
}

/// Whether a PeerAuthentication selects workloads (a non-empty `selector.matchLabels`).
fn selects(o: &Object) -> bool {
    o.raw
        .path(&["spec", "selector", "matchLabels"])
        .is_some_and(|m| m.as_map().is_some_and(|m| !m.is_empty()))
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
    let mut parts = host.split('.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(n), None, _) => n == name && rule_ns == ns,
        // `name.ns`, `name.ns.svc`, `name.ns.svc.<cluster domain>`.
        (Some(n), Some(s), None | Some("svc")) => n == name && s == ns,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::SourceKind;
    use mcp_diag_services::{Declared, Graph, NodeKind};

    use super::*;
    use crate::deps::test_graph::*;
    use crate::rules::test_support::inventory;
    use crate::test_context::with_context;

    /// PeerAuthentications and DestinationRules of every form in two namespaces and the
    /// root: workload policies (two matching one app, one by labels the pods share, one by a
    /// label no pod has, one unreadable), namespace and mesh-wide ones, UNSET; rules by
    /// short, namespaced, full and wildcard host, per port, DISABLE or not.
    fn istio() -> String {
        let mut y = String::new();
        let pa = |y: &mut String, ns: &str, name: &str, selector: &str, mode: &str| {
            y.push_str(&format!(
                "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{{selector}mtls: {{mode: {mode}}}}}\n---\n"
            ));
        };
        let dr = |y: &mut String, ns: &str, name: &str, host: &str, policy: &str| {
            y.push_str(&format!(
                "apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{host: \"{host}\", trafficPolicy: {policy}}}\n---\n"
            ));
        };
        pa(&mut y, "istio-system", "mesh", "", "STRICT");
        // c has no policy of its own: the mesh's applies.
        for ns in ["a", "b", "c"] {
            for i in 0..8 {
                let tier = ["web", "db"][i % 2];
                let next = (i + 1) % 8;
                y.push_str(&format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{i}, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: app-{i}}}}}\n  template: {{metadata: {{labels: {{app: app-{i}, tier: {tier}}}}}, spec: {{containers: [{{name: c, image: x, env: [{{name: NEXT, value: \"http://app-{next}.{ns}:80\"}}]}}]}}}}\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: app-{i}, namespace: {ns}}}\nspec: {{selector: {{app: app-{i}}}, ports: [{{name: http, port: 80}}, {{name: grpc, port: 9090}}]}}\n---\n"
                ));
            }
            if ns == "c" {
                continue;
            }
            pa(
                &mut y,
                ns,
                "app-1",
                "selector: {matchLabels: {app: app-1}}, ",
                "PERMISSIVE",
            );
            pa(
                &mut y,
                ns,
                "web",
                "selector: {matchLabels: {tier: web}}, ",
                "DISABLE",
            );
            pa(
                &mut y,
                ns,
                "app-1-again",
                "selector: {matchLabels: {app: app-1}}, ",
                "STRICT",
            );
            pa(
                &mut y,
                ns,
                "unset",
                "selector: {matchLabels: {app: app-2}}, ",
                "UNSET",
            );
            pa(
                &mut y,
                ns,
                "absent-label",
                "selector: {matchLabels: {team: none}}, ",
                "STRICT",
            );
            // In b only: read as empty, it selects every pod of b.
            if ns == "b" {
                pa(
                    &mut y,
                    ns,
                    "unreadable",
                    "selector: {matchLabels: {app: app-6}, matchExpressions: [{key: x, operator: Near}]}, ",
                    "PERMISSIVE",
                );
            }
            if ns == "a" {
                pa(&mut y, ns, "namespace", "", "PERMISSIVE");
                pa(&mut y, ns, "namespace-again", "", "STRICT");
            }
            dr(&mut y, ns, "short", "app-3", "{tls: {mode: DISABLE}}");
            let full = format!("app-4.{ns}.svc.cluster.local");
            dr(&mut y, ns, "full", &full, "{tls: {mode: ISTIO_MUTUAL}}");
            dr(&mut y, ns, "full-off", &full, "{tls: {mode: DISABLE}}");
            let port = "{portLevelSettings: [{port: {number: 9090}, tls: {mode: DISABLE}}]}";
            dr(&mut y, ns, "port", &format!("app-5.{ns}"), port);
            dr(
                &mut y,
                ns,
                "other-ns",
                "app-6.elsewhere",
                "{tls: {mode: DISABLE}}",
            );
            if ns == "b" {
                dr(
                    &mut y,
                    ns,
                    "wild",
                    "*.b.svc.cluster.local",
                    "{tls: {mode: DISABLE}}",
                );
                dr(&mut y, ns, "after-wild", "app-7", "{tls: {mode: ISTIO_MUTUAL}}");
            }
        }
        y
    }

    /// What `mode_of` answered by trying every policy, before they were filed.
    fn mode_linear<'a>(mesh: &Mesh<'a>, objects: &Objects<'_>, to: &Node) -> Option<(String, &'a Object)> {
        let templates = templates(objects, to);
        let workload = mesh.peer_auth.iter().copied().find(|o| {
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
        let in_ns = |ns: &str| {
            mesh.peer_auth
                .iter()
                .copied()
                .find(|o| o.namespace.as_deref() == Some(ns) && !selects(o))
        };
        [workload, in_ns(&to.namespace), in_ns(ROOT_NAMESPACE)]
            .into_iter()
            .flatten()
            .find_map(|o| mtls_mode(o).filter(|m| m != "UNSET").map(|m| (m, o)))
    }

    #[test]
    fn filed_policies_and_rules_answer_as_trying_each() {
        let inv = inventory(&istio(), SourceKind::Manifests);
        let graph = Graph::build(&inv, &Declared::default());
        with_context(&inv, &graph, |ctx| same_answers(ctx, &graph));
    }

    fn same_answers(ctx: &Context<'_>, graph: &Graph) {
        let objects = Objects::build(ctx);
        let mesh = Mesh::read(ctx);
        let name = |o: Option<&Object>| {
            o.map(|o| format!("{}/{}", o.namespace.as_deref().unwrap_or_default(), o.name))
        };
        let (mut modes, mut disabled) = (std::collections::BTreeSet::new(), 0);
        let services: Vec<&Node> = graph
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Service)
            .collect();
        assert_eq!(services.len(), 24);
        for to in services {
            let fast = mesh.mode_of(&objects, to);
            let linear = mode_linear(&mesh, &objects, to);
            let shown = |m: &Option<(String, &Object)>| {
                m.as_ref()
                    .map(|(m, o)| format!("{m} {}", name(Some(o)).unwrap_or_default()))
            };
            assert_eq!(shown(&fast), shown(&linear), "{}/{}", to.namespace, to.name);
            modes.extend(shown(&fast));
            for port in [Some(80), Some(9090), None] {
                let mut edge = call(graph, 0, 0, port, None, "ADDR");
                edge.port = port;
                let linear = mesh.destination_rules.iter().copied().find(|dr| {
                    let ns = dr.namespace.as_deref().unwrap_or_default();
                    let host = dr
                        .raw
                        .path(&["spec", "host"])
                        .and_then(Yaml::as_str)
                        .unwrap_or_default();
                    host_is(host, ns, to) && Mesh::tls_disabled_by(dr, &edge)
                });
                let fast = mesh.tls_disabled(to, &edge);
                assert_eq!(
                    name(fast),
                    name(linear),
                    "{}/{} port {port:?}",
                    to.namespace,
                    to.name
                );
                disabled += usize::from(fast.is_some());
            }
        }
        // The fixture reaches every level: workload, namespace and mesh policies, and rules.
        assert!(
            modes.iter().any(|m| m.ends_with("istio-system/mesh")),
            "{modes:?}"
        );
        assert!(modes.len() >= 6, "{modes:?}");
        assert!(disabled >= 10, "{disabled}");
    }

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
