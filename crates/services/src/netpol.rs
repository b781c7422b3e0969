//! NetworkPolicies as Kubernetes evaluates them, to answer "would this edge be allowed?"
//! ([`Graph::egress_allowed`]): the caller's egress side and the target's ingress side.
//! A pod is isolated in a direction when a policy of its namespace selects it and lists that
//! direction in `policyTypes`; then only what some rule allows gets through.

use mcp_diag_model::{Node as Value, Object, ObjectRef};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::label_index::Selectors;
use crate::selector::Selector;
use crate::{Edge, Graph, Labels, Node, NodeKind, Template};

/// A port of a rule: a number (with `endPort`), a name, or every port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyPort {
    pub protocol: String,
    pub port: Option<String>,
    pub end_port: Option<u16>,
}

impl PolicyPort {
    pub fn number(&self) -> Option<u16> {
        self.port.as_deref()?.parse().ok()
    }
}

/// One `to` / `from` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Peer {
    pub pods: Option<Selector>,
    pub namespaces: Option<Selector>,
    /// `cidr` and `except`.
    pub ip_block: Option<(String, Vec<String>)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Empty: every peer.
    pub peers: Vec<Peer>,
    /// Empty: every port.
    pub ports: Vec<PolicyPort>,
}

/// A NetworkPolicy, parsed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NetworkPolicy {
    pub object: ObjectRef,
    pub namespace: String,
    pub selector: Selector,
    pub isolates_ingress: bool,
    pub isolates_egress: bool,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
}

fn rules(node: Option<Value<'_>>, peers_key: &str) -> Result<Vec<Rule>, String> {
    let mut out = Vec::new();
    for r in node.and_then(Value::as_seq).unwrap_or_default() {
        let mut peers = Vec::new();
        for p in r.get(peers_key).and_then(Value::as_seq).unwrap_or_default() {
            peers.push(Peer {
                pods: p.get("podSelector").map(Selector::parse).transpose()?,
                namespaces: p.get("namespaceSelector").map(Selector::parse).transpose()?,
                ip_block: p.get("ipBlock").and_then(|b| {
                    let cidr = b.get("cidr")?.as_str()?.to_owned();
                    let except = b
                        .get("except")
                        .and_then(Value::as_seq)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|e| e.as_str().map(str::to_owned))
                        .collect();
                    Some((cidr, except))
                }),
            });
        }
        let ports = r
            .get("ports")
            .and_then(Value::as_seq)
            .unwrap_or_default()
            .iter()
            .map(|p| PolicyPort {
                protocol: p
                    .get("protocol")
                    .and_then(Value::as_str)
                    .unwrap_or("TCP")
                    .to_owned(),
                port: p.get("port").and_then(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .or_else(|| v.as_i64().map(|n| n.to_string()))
                }),
                end_port: p
                    .get("endPort")
                    .and_then(Value::as_i64)
                    .and_then(|n| u16::try_from(n).ok()),
            })
            .collect();
        out.push(Rule { peers, ports });
    }
    Ok(out)
}

impl NetworkPolicy {
    pub fn parse(o: &Object) -> Result<Self, String> {
        let spec = o.raw.get("spec");
        let selector = match spec.and_then(|s| s.get("podSelector")) {
            Some(s) => Selector::parse(s)?,
            None => Selector::default(),
        };
        let egress_node = spec.and_then(|s| s.get("egress"));
        let types: Option<Vec<&str>> = spec
            .and_then(|s| s.get("policyTypes"))
            .and_then(Value::as_seq)
            .map(|s| s.iter().filter_map(Value::as_str).collect());
        // Without policyTypes: Ingress always, Egress when egress rules are written.
        let (isolates_ingress, isolates_egress) = match &types {
            Some(t) => (t.contains(&"Ingress"), t.contains(&"Egress")),
            None => (true, egress_node.is_some()),
        };
        Ok(Self {
            object: o.object_ref(),
            namespace: o.namespace.clone().unwrap_or_else(|| "default".into()),
            selector,
            isolates_ingress,
            isolates_egress,
            ingress: rules(spec.and_then(|s| s.get("ingress")), "from")?,
            egress: rules(egress_node, "to")?,
        })
    }

    fn name(&self) -> String {
        format!("{}/{}", self.namespace, self.object.name)
    }
}

/// Whether an edge would get through the NetworkPolicies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum Allowed {
    Yes,
    /// Blocked: `policy` (`ns/name`) isolates the caller's egress (or, with `ingress`, the
    /// target's ingress) and none of the policies selecting it allows the edge.
    No {
        policy: String,
        ingress: bool,
    },
    /// The input cannot tell (pod addresses, unknown namespace labels, a target without pods).
    Unknown,
}

/// Three-valued match.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tri {
    Yes,
    No,
    Maybe,
}

fn tri(b: bool) -> Tri {
    if b { Tri::Yes } else { Tri::No }
}

fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
    let mut out = Tri::No;
    for t in items {
        match t {
            Tri::Yes => return Tri::Yes,
            Tri::Maybe => out = Tri::Maybe,
            Tri::No => {}
        }
    }
    out
}

/// The far end of a rule: a pod (namespace, labels) or a host outside the cluster.
enum Far<'a> {
    Pod { namespace: &'a str, labels: &'a Labels },
    Outside,
}

/// The destination port as the pod sees it: a number, a name, or both.
#[derive(Clone, Debug, Default)]
struct PodPort {
    number: Option<u16>,
    name: Option<String>,
}

impl Graph {
    fn namespace_match(&self, selector: &Selector, namespace: &str) -> Tri {
        match self.namespace_labels.get(namespace) {
            Some(labels) => tri(selector.matches(labels)),
            None if selector.only_name() => {
                let mut labels = Labels::new();
                labels.insert("kubernetes.io/metadata.name".into(), namespace.to_owned());
                tri(selector.matches(&labels))
            }
            None => Tri::Maybe,
        }
    }

    fn peer_match(&self, policy: &NetworkPolicy, peer: &Peer, far: &Far<'_>) -> Tri {
        if let Some((cidr, except)) = &peer.ip_block {
            // Pod and external addresses are not in the input: only "everything" is sure.
            return if (cidr == "0.0.0.0/0" || cidr == "::/0") && except.is_empty() {
                Tri::Yes
            } else {
                Tri::Maybe
            };
        }
        let Far::Pod { namespace, labels } = far else {
            return Tri::No;
        };
        let ns = match &peer.namespaces {
            Some(sel) => self.namespace_match(sel, namespace),
            None => tri(*namespace == policy.namespace),
        };
        let pods = peer.pods.as_ref().is_none_or(|sel| sel.matches(labels));
        match (ns, pods) {
            (Tri::No, _) | (_, false) => Tri::No,
            (t, true) => t,
        }
    }

    fn port_match(port: &PolicyPort, pod_port: &PodPort) -> Tri {
        if !port.protocol.eq_ignore_ascii_case("TCP") {
            return Tri::No;
        }
        let Some(p) = &port.port else { return Tri::Yes };
        match p.parse::<u16>() {
            Ok(n) => match pod_port.number {
                Some(x) => tri(x == n || port.end_port.is_some_and(|end| x > n && x <= end)),
                None => Tri::Maybe,
            },
            Err(_) => match &pod_port.name {
                Some(name) => tri(name == p),
                None => Tri::Maybe,
            },
        }
    }

    fn rule_allows(&self, policy: &NetworkPolicy, rule: &Rule, far: &Far<'_>, port: Option<&PodPort>) -> Tri {
        let peers = if rule.peers.is_empty() {
            Tri::Yes
        } else {
            any(rule.peers.iter().map(|p| self.peer_match(policy, p, far)))
        };
        let ports = if rule.ports.is_empty() {
            Tri::Yes
        } else {
            match port {
                Some(pp) => any(rule.ports.iter().map(|p| Self::port_match(p, pp))),
                None => Tri::Maybe,
            }
        };
        match (peers, ports) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Maybe,
        }
    }

    /// One side: the policies isolating `(namespace, labels)` in that direction, against the
    /// far end. `Ok(Yes|Maybe)` or `Err(policy)` when blocked.
    fn side(
        &self,
        namespace: &str,
        labels: &Labels,
        egress: bool,
        far: &Far<'_>,
        port: Option<&PodPort>,
    ) -> Result<Tri, String> {
        let isolating = self.isolating(namespace, labels, egress);
        let Some(first) = isolating.first() else {
            return Ok(Tri::Yes);
        };
        let verdict = any(isolating.iter().flat_map(|p| {
            let rules = if egress { &p.egress } else { &p.ingress };
            rules.iter().map(|r| self.rule_allows(p, r, far, port))
        }));
        match verdict {
            Tri::No => Err(first.name()),
            t => Ok(t),
        }
    }

    /// The policies of `namespace` that select pods with `labels` and isolate them in that
    /// direction, in input order.
    fn isolating(&self, namespace: &str, labels: &Labels, egress: bool) -> Vec<&NetworkPolicy> {
        let by_namespace = self.policies_by_namespace.get_or_init(|| {
            let mut out: FxHashMap<String, Selectors> = FxHashMap::default();
            for (i, p) in self.network_policies.iter().enumerate() {
                out.entry(p.namespace.clone())
                    .or_default()
                    .insert(i as u32, &p.selector);
            }
            out
        });
        let mut ids = Vec::new();
        if let Some(policies) = by_namespace.get(namespace) {
            policies.candidates(labels, &mut ids);
        }
        ids.iter()
            .map(|i| &self.network_policies[*i as usize])
            .filter(|p| {
                if egress {
                    p.isolates_egress
                } else {
                    p.isolates_ingress
                }
            })
            .filter(|p| p.selector.matches(labels))
            .collect()
    }

    /// The container port an edge's Service port leads to, in a given template.
    fn pod_port(to: &Node, edge: &Edge, template: &Template) -> Option<PodPort> {
        let port = edge.port?;
        let service_port = to.ports.iter().find(|p| p.port == port);
        let target = match service_port {
            Some(sp) => sp.target_port.clone().unwrap_or_else(|| port.to_string()),
            // A port the Service does not expose: compare the number as written.
            None => port.to_string(),
        };
        Some(match target.parse::<u16>() {
            Ok(n) => PodPort {
                number: Some(n),
                name: template
                    .ports
                    .iter()
                    .find(|(_, p)| *p == n)
                    .map(|(name, _)| name.clone())
                    .filter(|n| !n.is_empty()),
            },
            Err(_) => PodPort {
                number: template
                    .ports
                    .iter()
                    .find(|(name, _)| *name == target)
                    .map(|(_, p)| *p),
                name: Some(target),
            },
        })
    }

    /// Whether the NetworkPolicies in the input let this edge through: the caller's egress
    /// and the target's ingress. Unknown when the input cannot tell.
    pub fn egress_allowed(&self, edge: &Edge) -> Allowed {
        let from = self.node(edge.from);
        let to = self.node(edge.to);
        if !matches!(from.kind, NodeKind::Service | NodeKind::Workload) || from.templates.is_empty() {
            return Allowed::Unknown;
        }
        // The caller's templates that the evidence names, else all of them.
        let named: Vec<&Template> = from
            .templates
            .iter()
            .map(AsRef::as_ref)
            .filter(|t: &&Template| edge.evidence.iter().any(|e| t.object.as_ref() == Some(&e.object)))
            .collect();
        let callers: Vec<&Template> = if named.is_empty() {
            from.templates.iter().map(AsRef::as_ref).collect()
        } else {
            named
        };
        let mut unknown = false;
        for caller in callers {
            match to.kind {
                NodeKind::Service if !to.templates.is_empty() => {
                    for target in &to.templates {
                        let pod_port = Self::pod_port(to, edge, target);
                        let far = Far::Pod {
                            namespace: &to.namespace,
                            labels: &target.labels,
                        };
                        match self.side(&from.namespace, &caller.labels, true, &far, pod_port.as_ref()) {
                            Err(policy) => {
                                return Allowed::No {
                                    policy,
                                    ingress: false,
                                };
                            }
                            Ok(Tri::Yes) => {}
                            Ok(_) => unknown = true,
                        }
                        let near = Far::Pod {
                            namespace: &from.namespace,
                            labels: &caller.labels,
                        };
                        match self.side(&to.namespace, &target.labels, false, &near, pod_port.as_ref()) {
                            Err(policy) => {
                                return Allowed::No {
                                    policy,
                                    ingress: true,
                                };
                            }
                            Ok(Tri::Yes) => {}
                            Ok(_) => unknown = true,
                        }
                    }
                }
                NodeKind::External => {
                    let port = edge.port.map(|n| PodPort {
                        number: Some(n),
                        name: None,
                    });
                    match self.side(
                        &from.namespace,
                        &caller.labels,
                        true,
                        &Far::Outside,
                        port.as_ref(),
                    ) {
                        Err(policy) => {
                            return Allowed::No {
                                policy,
                                ingress: false,
                            };
                        }
                        Ok(Tri::Yes) => {}
                        Ok(_) => unknown = true,
                    }
                }
                _ => unknown = true,
            }
        }
        if unknown { Allowed::Unknown } else { Allowed::Yes }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use mcp_diag_model::{Inventory, SourceKind};

    use crate::{Declared, EdgeSource, Graph, NodeKind};

    /// Two labelled namespaces of apps (a Service each, and one Service over every `web`
    /// pod), and policies whose pod selectors and egress peers take every form: `In` with
    /// one and several values and none, `Exists`, `NotIn`, `DoesNotExist`, `{}`, several
    /// requirements, a namespace selector; Ingress-only, Egress-only and default types.
    fn cluster() -> Graph {
        let mut y = String::new();
        for (ns, team) in [("a", "red"), ("b", "blue")] {
            y.push_str(&format!(
                "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: {{team: {team}}}}}\n---\n"
            ));
            for i in 0..12 {
                let tier = ["web", "db", "cache"][i % 3];
                let track = if i % 2 == 0 { "\n      track: stable" } else { "" };
                y.push_str(&format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{i}, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: app-{i}}}}}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n        tier: {tier}{track}\n    spec: {{containers: [{{name: c, image: x, ports: [{{containerPort: 8080}}]}}]}}\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: app-{i}, namespace: {ns}}}\nspec: {{selector: {{app: app-{i}}}, ports: [{{port: 80, targetPort: 8080}}]}}\n---\n"
                ));
            }
            y.push_str(&format!(
                "apiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: {ns}}}\nspec: {{selector: {{tier: web}}, ports: [{{port: 80}}]}}\n---\n"
            ));
            let policies = [
                (
                    "in",
                    "{matchExpressions: [{key: app, operator: In, values: [app-1, app-2]}]}",
                    "[Egress]",
                    "[{to: [{podSelector: {matchLabels: {tier: db}}}]}]",
                ),
                (
                    "exists",
                    "{matchExpressions: [{key: track, operator: Exists}]}",
                    "[Egress, Ingress]",
                    "[{to: [{podSelector: {matchExpressions: [{key: tier, operator: In, values: [cache, web]}]}}], ports: [{port: 80}, {port: 8080}]}]",
                ),
                (
                    "not-in",
                    "{matchExpressions: [{key: app, operator: NotIn, values: [app-3]}]}",
                    "[Egress]",
                    "[{to: [{namespaceSelector: {matchLabels: {team: blue}}, podSelector: {matchLabels: {tier: web}}}]}]",
                ),
                (
                    "all",
                    "{}",
                    "[Ingress]",
                    "[{to: [{podSelector: {matchExpressions: [{key: tier, operator: Exists}]}}]}]",
                ),
                (
                    "none",
                    "{matchExpressions: [{key: app, operator: DoesNotExist}]}",
                    "[Egress]",
                    "[{to: [{podSelector: {matchLabels: {app: app-5}}}]}]",
                ),
                (
                    "empty-in",
                    "{matchExpressions: [{key: app, operator: In, values: []}]}",
                    "[Egress]",
                    "[{to: [{podSelector: {matchLabels: {app: app-6}}}]}]",
                ),
                (
                    "two",
                    "{matchLabels: {app: app-7, tier: web}}",
                    "[Egress]",
                    "[{to: [{podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [app-0]}]}}]}]",
                ),
                (
                    "default-types",
                    "{matchLabels: {tier: cache}}",
                    "",
                    "[{to: [{podSelector: {matchLabels: {app: app-9}}}]}]",
                ),
            ];
            for (name, selector, types, egress) in policies {
                let types = if types.is_empty() {
                    String::new()
                } else {
                    format!("\n  policyTypes: {types}")
                };
                y.push_str(&format!(
                    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  podSelector: {selector}{types}\n  egress: {egress}\n---\n"
                ));
            }
        }
        let parsed = mcp_diag_sources::parse_bytes("t.yaml", y.as_bytes());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let mut inventory = Inventory::new(SourceKind::Snapshot, "t", "t");
        inventory.objects = parsed.objects;
        Graph::build(&inventory, &Declared::default())
    }

    #[test]
    fn isolating_policies_agree_with_trying_every_policy() {
        let g = cluster();
        assert_eq!(g.network_policies.len(), 16, "{:?}", g.problems);
        let mut selected = 0;
        for node in &g.nodes {
            for t in &node.templates {
                for egress in [true, false] {
                    let fast: Vec<&str> = g
                        .isolating(&node.namespace, &t.labels, egress)
                        .iter()
                        .map(|p| p.object.name.as_str())
                        .collect();
                    let every: Vec<&str> = g
                        .network_policies
                        .iter()
                        .filter(|p| p.namespace == node.namespace)
                        .filter(|p| {
                            if egress {
                                p.isolates_egress
                            } else {
                                p.isolates_ingress
                            }
                        })
                        .filter(|p| p.selector.matches(&t.labels))
                        .map(|p| p.object.name.as_str())
                        .collect();
                    assert_eq!(fast, every, "{} {:?} egress {egress}", node.namespace, t.labels);
                    selected += every.len();
                }
            }
        }
        assert!(selected > 50, "the fixture selects pods: {selected}");
    }

    #[test]
    fn permission_edges_agree_with_trying_every_service() {
        let g = cluster();
        let mut every = BTreeSet::new();
        for policy in &g.network_policies {
            for rule in &policy.egress {
                for peer in &rule.peers {
                    let Some(pods) = peer.pods.as_ref().filter(|p| !p.requirements.is_empty()) else {
                        continue;
                    };
                    let ports: Vec<Option<u16>> = if rule.ports.is_empty() {
                        vec![None]
                    } else {
                        rule.ports.iter().map(super::PolicyPort::number).collect()
                    };
                    for (fi, from) in g.nodes.iter().enumerate() {
                        if from.namespace != policy.namespace
                            || !from.templates.iter().any(|t| policy.selector.matches(&t.labels))
                        {
                            continue;
                        }
                        for (ti, to) in g.nodes.iter().enumerate() {
                            let in_namespace = match &peer.namespaces {
                                None => to.namespace == policy.namespace,
                                Some(sel) => g
                                    .namespace_labels
                                    .get(&to.namespace)
                                    .is_some_and(|l| sel.matches(l)),
                            };
                            if ti == fi
                                || to.kind != NodeKind::Service
                                || !in_namespace
                                || to.templates.is_empty()
                                || !to.templates.iter().all(|t| pods.matches(&t.labels))
                            {
                                continue;
                            }
                            for port in &ports {
                                every.insert((fi as u32, ti as u32, *port));
                            }
                        }
                    }
                }
            }
        }
        let built: BTreeSet<(u32, u32, Option<u16>)> = g
            .edges
            .iter()
            .filter(|e| e.source == EdgeSource::NetworkPolicy)
            .map(|e| (e.from.0, e.to.0, e.port))
            .collect();
        assert!(every.len() > 100, "the fixture permits: {}", every.len());
        assert_eq!(built, every);
    }
}
