//! How NetworkPolicies judge a call, for dep-undeclared-egress: which policies select the
//! caller's and the target's pods, and whether any of their rules (peers, namespaces,
//! ports) allows the traffic; yes, no, or cannot tell.

use mcp_diag_model::{Node as Yaml, Object};
use mcp_diag_services::{Edge, Graph, Node};
use rustc_hash::FxHashMap as HashMap;

use crate::deps::{Objects, caller_workloads, pod_template, target_port};
use crate::selector::{Selector, SelectorIndex};

/// One side of a call: a pod template in a namespace.
struct Pod<'a> {
    namespace: &'a str,
    labels: Option<Yaml<'a>>,
    template: Yaml<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Egress,
    Ingress,
}

pub(crate) struct Net<'a, 'o> {
    objects: &'o Objects<'a>,
    policies: Policies<'a>,
}

/// The policies of each namespace that can select pods (in input order), and their pod
/// selectors filed by label: a call looks only at the policies its pods' labels may match,
/// not at every policy.
struct Policies<'a> {
    by_namespace: HashMap<&'a str, (Vec<Policy<'a>>, SelectorIndex)>,
}

/// A policy and the directions it covers, read once.
struct Policy<'a> {
    object: &'a Object,
    egress: bool,
    ingress: bool,
}

/// Yes, no, or cannot tell.
type Tri = Option<bool>;

impl<'a> Policies<'a> {
    fn new(policies: &[&'a Object]) -> Self {
        let mut by_namespace: HashMap<&'a str, (Vec<Policy<'a>>, Vec<Selector>)> = HashMap::default();
        for &object in policies {
            // A pod selector the API server cannot read selects no pod.
            let selector = match object.raw.path(&["spec", "podSelector"]) {
                None => Selector::default(),
                Some(sel) => match Selector::from_label_selector(sel) {
                    Ok(s) => s,
                    Err(_) => continue,
                },
            };
            let (policies, selectors) = by_namespace
                .entry(object.namespace.as_deref().unwrap_or_default())
                .or_default();
            policies.push(Policy {
                object,
                egress: covers(object, Side::Egress),
                ingress: covers(object, Side::Ingress),
            });
            selectors.push(selector);
        }
        let by_namespace = by_namespace
            .into_iter()
            .map(|(ns, (policies, selectors))| (ns, (policies, SelectorIndex::new(selectors))))
            .collect();
        Self { by_namespace }
    }

    /// The policies of `subject`'s namespace that select it and cover `side`, in input
    /// order, into `out`; `ids` is scratch.
    fn applying(&self, subject: &Pod<'_>, side: Side, ids: &mut Vec<usize>, out: &mut Vec<&'a Object>) {
        out.clear();
        let Some((policies, index)) = self.by_namespace.get(subject.namespace) else {
            return;
        };
        index.matching_into(subject.labels, ids);
        out.extend(ids.iter().map(|i| &policies[*i]).filter_map(|p| {
            let covers = match side {
                Side::Egress => p.egress,
                Side::Ingress => p.ingress,
            };
            covers.then_some(p.object)
        }));
    }
}

impl<'a, 'o> Net<'a, 'o> {
    pub(crate) fn new(policies: &[&'a Object], objects: &'o Objects<'a>) -> Self {
        Self {
            objects,
            policies: Policies::new(policies),
        }
    }

    fn pods<R: std::borrow::Borrow<mcp_diag_model::ObjectRef>>(&self, refs: &[R]) -> Option<Vec<Pod<'a>>> {
        refs.iter()
            .map(|r| {
                let o = self.objects.get(r.borrow())?;
                let template = pod_template(o)?;
                Some(Pod {
                    namespace: o.namespace.as_deref().unwrap_or_default(),
                    labels: template.path(&["metadata", "labels"]),
                    template,
                })
            })
            .collect()
    }

    /// The policy that blocks the call and on which side; `None` when allowed or unknown.
    pub(crate) fn blocked(&self, graph: &Graph, edge: &Edge, to: &Node) -> Option<(&'a Object, Side)> {
        let callers = self.pods(&caller_workloads(graph, edge))?;
        let targets = self.pods(&to.workloads)?;
        if callers.is_empty() || targets.is_empty() {
            return None;
        }
        let port = target_port(to, edge);
        let protocol = if edge.protocol.as_deref() == Some("udp") {
            "UDP"
        } else {
            "TCP"
        };
        let (mut ids, mut applying) = (Vec::new(), Vec::new());
        for caller in &callers {
            for target in &targets {
                // The pod port the packets reach: the Service's targetPort, resolved to a
                // number and a name where the target's containers say so.
                let (number, name) = resolve_port(port, edge.port, target);
                for side in [Side::Egress, Side::Ingress] {
                    let (subject, peer) = match side {
                        Side::Egress => (caller, target),
                        Side::Ingress => (target, caller),
                    };
                    self.policies.applying(subject, side, &mut ids, &mut applying);
                    if applying.is_empty() {
                        continue;
                    }
                    let mut allowed: Tri = Some(false);
                    for p in &applying {
                        match self.policy_allows(p, side, peer, number, name.as_deref(), protocol) {
                            Some(true) => {
                                allowed = Some(true);
                                break;
                            }
                            None => allowed = None,
                            Some(false) => {}
                        }
                    }
                    if allowed == Some(false) {
                        return Some((applying[0], side));
                    }
                }
            }
        }
        None
    }

    fn policy_allows(
        &self,
        policy: &Object,
        side: Side,
        peer: &Pod<'_>,
        number: Option<i64>,
        name: Option<&str>,
        protocol: &str,
    ) -> Tri {
        let (rules_key, peers_key) = match side {
            Side::Egress => ("egress", "to"),
            Side::Ingress => ("ingress", "from"),
        };
        let policy_ns = policy.namespace.as_deref().unwrap_or_default();
        let rules = policy
            .raw
            .path(&["spec", rules_key])
            .and_then(Yaml::as_seq)
            .unwrap_or_default();
        let mut result: Tri = Some(false);
        for rule in rules.iter() {
            let peers_ok = match rule.get(peers_key).and_then(Yaml::as_seq) {
                None => Some(true),
                Some(peers) if peers.is_empty() => Some(true),
                Some(peers) => any(peers.iter().map(|p| self.peer_matches(p, policy_ns, peer))),
            };
            let ports_ok = match rule.get("ports").and_then(Yaml::as_seq) {
                None => Some(true),
                Some(ports) if ports.is_empty() => Some(true),
                Some(ports) => any(ports.iter().map(|p| port_matches(p, number, name, protocol))),
            };
            match and(peers_ok, ports_ok) {
                Some(true) => return Some(true),
                None => result = None,
                Some(false) => {}
            }
        }
        result
    }

    fn peer_matches(&self, peer_rule: Yaml<'_>, policy_ns: &str, peer: &Pod<'_>) -> Tri {
        if peer_rule.get("ipBlock").is_some() {
            // Pod and Service addresses are not in the input.
            return None;
        }
        let pod_sel = peer_rule.get("podSelector");
        let ns_sel = peer_rule.get("namespaceSelector");
        let ns_ok = match ns_sel {
            None => Some(peer.namespace == policy_ns),
            Some(sel) => self.namespace_matches(sel, peer.namespace),
        };
        let pod_ok = match pod_sel {
            None => Some(true),
            Some(sel) => Selector::from_label_selector(sel)
                .ok()
                .map(|s| s.matches(peer.labels)),
        };
        and(ns_ok, pod_ok)
    }

    fn namespace_matches(&self, selector: Yaml<'_>, namespace: &str) -> Tri {
        let sel = Selector::from_label_selector(selector).ok()?;
        if sel.is_empty() {
            return Some(true);
        }
        match self.objects.namespace(namespace) {
            Some(ns) => {
                let mut labels = ns
                    .raw
                    .path(&["metadata", "labels"])
                    .map(Yaml::to_json)
                    .unwrap_or_else(|| serde_json::json!({}));
                if let Some(map) = labels.as_object_mut() {
                    map.insert(
                        "kubernetes.io/metadata.name".into(),
                        serde_json::Value::String(namespace.to_owned()),
                    );
                }
                let doc = mcp_diag_model::Doc::from(labels);
                Some(sel.matches(Some(doc.root())))
            }
            None => {
                // Only the label every namespace carries can be judged without the object.
                let doc =
                    mcp_diag_model::Doc::from(serde_json::json!({"kubernetes.io/metadata.name": namespace}));
                let only_name = selector
                    .get("matchLabels")
                    .and_then(Yaml::as_map)
                    .is_some_and(|m| m.iter().all(|(k, _)| k == "kubernetes.io/metadata.name"))
                    && selector.get("matchExpressions").is_none();
                only_name.then(|| sel.matches(Some(doc.root())))
            }
        }
    }
}

fn any(items: impl Iterator<Item = Tri>) -> Tri {
    let mut result = Some(false);
    for t in items {
        match t {
            Some(true) => return Some(true),
            None => result = None,
            Some(false) => {}
        }
    }
    result
}

fn and(a: Tri, b: Tri) -> Tri {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// Whether a policy covers `side` (its `policyTypes`, or Kubernetes' default).
fn covers(policy: &Object, side: Side) -> bool {
    let spec = policy.raw.get("spec");
    let types: Vec<&str> = spec
        .and_then(|s| s.get("policyTypes"))
        .and_then(Yaml::as_seq)
        .map(|s| s.iter().filter_map(Yaml::as_str).collect())
        .unwrap_or_default();
    if types.is_empty() {
        // Kubernetes' default: Ingress always, Egress when there is an egress section.
        match side {
            Side::Ingress => true,
            Side::Egress => spec.and_then(|s| s.get("egress")).is_some(),
        }
    } else {
        types.iter().any(|t| {
            t.eq_ignore_ascii_case(match side {
                Side::Egress => "Egress",
                Side::Ingress => "Ingress",
            })
        })
    }
}

/// The container port a Service port leads to, as a number and a name where known.
fn resolve_port(
    port: Option<&mcp_diag_services::Port>,
    called: Option<u16>,
    target: &Pod<'_>,
) -> (Option<i64>, Option<String>) {
    let containers = target
        .template
        .path(&["spec", "containers"])
        .and_then(Yaml::as_seq)
        .unwrap_or_default();
    let container_ports = || {
        containers
            .iter()
            .flat_map(|c| c.get("ports").and_then(Yaml::as_seq).unwrap_or_default().iter())
    };
    let name_of = |n: i64| {
        container_ports()
            .find(|p| p.get("containerPort").and_then(Yaml::as_i64) == Some(n))
            .and_then(|p| p.get("name").and_then(Yaml::as_str).map(str::to_owned))
    };
    let number_of = |name: &str| {
        container_ports()
            .find(|p| p.get("name").and_then(Yaml::as_str) == Some(name))
            .and_then(|p| p.get("containerPort").and_then(Yaml::as_i64))
    };
    let Some(port) = port else {
        return match called {
            Some(n) => (Some(i64::from(n)), name_of(i64::from(n))),
            None => (None, None),
        };
    };
    match port.target_port.as_deref() {
        None => (Some(i64::from(port.port)), name_of(i64::from(port.port))),
        Some(t) => match t.parse::<i64>() {
            Ok(n) => (Some(n), name_of(n)),
            Err(_) => (number_of(t), Some(t.to_owned())),
        },
    }
}

fn port_matches(rule: Yaml<'_>, number: Option<i64>, name: Option<&str>, protocol: &str) -> Tri {
    let rule_protocol = rule.get("protocol").and_then(Yaml::as_str).unwrap_or("TCP");
    if !rule_protocol.eq_ignore_ascii_case(protocol) {
        return Some(false);
    }
    let Some(p) = rule.get("port") else {
        return Some(true);
    };
    if let Some(n) = p.as_i64() {
        let end = rule.get("endPort").and_then(Yaml::as_i64).unwrap_or(n);
        return number.map(|x| (n..=end).contains(&x));
    }
    match (p.as_str(), name) {
        (Some(text), _) if text.parse::<i64>().is_ok() => number.map(|x| text.parse::<i64>().ok() == Some(x)),
        (Some(text), Some(name)) => Some(text == name),
        (Some(_), None) => {
            // A named rule port against a port known only by number: named only if the
            // target's containers name it, and then `name` would be set.
            number.map(|_| false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::SourceKind;

    use super::*;
    use crate::rules::test_support::inventory;

    #[test]
    fn ports_and_end_ports() {
        let doc = |y: &str| mcp_diag_model::Doc::from(serde_json::from_str::<serde_json::Value>(y).unwrap());
        let r = doc(r#"{"port": 9000, "endPort": 9100}"#);
        assert_eq!(port_matches(r.root(), Some(9090), None, "TCP"), Some(true));
        assert_eq!(port_matches(r.root(), Some(9200), None, "TCP"), Some(false));
        assert_eq!(port_matches(r.root(), Some(9090), None, "UDP"), Some(false));
        assert_eq!(port_matches(r.root(), None, None, "TCP"), None);
        let named = doc(r#"{"port": "grpc"}"#);
        assert_eq!(
            port_matches(named.root(), Some(9090), Some("grpc"), "TCP"),
            Some(true)
        );
        assert_eq!(
            port_matches(named.root(), Some(9090), Some("http"), "TCP"),
            Some(false)
        );
    }

    /// The policies that select a pod and cover a side, by trying each one.
    fn every<'a>(policies: &[&'a Object], subject: &Pod<'_>, side: Side) -> Vec<&'a Object> {
        policies
            .iter()
            .copied()
            .filter(|p| p.namespace.as_deref() == Some(subject.namespace) && covers(p, side))
            .filter(|p| match p.raw.path(&["spec", "podSelector"]) {
                None => true,
                Some(sel) => Selector::from_label_selector(sel).is_ok_and(|s| s.matches(subject.labels)),
            })
            .collect()
    }

    #[test]
    fn applying_policies_agree_with_trying_every_policy() {
        let mut y = String::new();
        for ns in ["a", "b"] {
            for i in 0..9 {
                let tier = ["web", "db", "cache"][i % 3];
                y.push_str(&format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{i}, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: app-{i}}}}}\n  template: {{metadata: {{labels: {{app: app-{i}, tier: {tier}}}}}, spec: {{containers: [{{name: c, image: x}}]}}}}\n---\n"
                ));
            }
            let selectors = [
                (
                    "in",
                    "\n  podSelector: {matchExpressions: [{key: app, operator: In, values: [app-1, app-4]}]}",
                ),
                ("labels", "\n  podSelector: {matchLabels: {tier: web}}"),
                (
                    "exists",
                    "\n  podSelector: {matchExpressions: [{key: tier, operator: Exists}]}",
                ),
                (
                    "not-in",
                    "\n  podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [app-2]}]}",
                ),
                ("all", "\n  podSelector: {}"),
                ("absent", ""),
                (
                    "unreadable",
                    "\n  podSelector: {matchExpressions: [{key: app, operator: Near, values: [x]}]}",
                ),
                ("two", "\n  podSelector: {matchLabels: {app: app-3, tier: web}}"),
            ];
            for (k, (name, selector)) in selectors.iter().enumerate() {
                let types = ["\n  policyTypes: [Egress]", "\n  policyTypes: [Ingress]", ""][k % 3];
                y.push_str(&format!(
                    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:{selector}{types}\n  egress: []\n---\n"
                ));
            }
        }
        let inv = inventory(&y, SourceKind::Manifests);
        let policies: Vec<&Object> = inv.objects.iter().filter(|o| o.kind == "NetworkPolicy").collect();
        let index = Policies::new(&policies);
        let (mut ids, mut out) = (Vec::new(), Vec::new());
        let mut applied = 0;
        for o in inv.objects.iter().filter(|o| o.kind == "Deployment") {
            let template = pod_template(o).expect("a template");
            let pod = Pod {
                namespace: o.namespace.as_deref().unwrap_or_default(),
                labels: template.path(&["metadata", "labels"]),
                template,
            };
            for side in [Side::Egress, Side::Ingress] {
                index.applying(&pod, side, &mut ids, &mut out);
                let expected = every(&policies, &pod, side);
                let names = |list: &[&Object]| list.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
                assert_eq!(names(&out), names(&expected), "{} {side:?}", o.name);
                applied += expected.len();
            }
        }
        assert!(applied > 40, "the fixture selects pods: {applied}");
    }
}
