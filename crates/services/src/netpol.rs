//! NetworkPolicies as Kubernetes evaluates them, to answer "would this edge be allowed?"
//! ([`Graph::egress_allowed`]): the caller's egress side and the target's ingress side.
//! A pod is isolated in a direction when a policy of its namespace selects it and lists that
//! direction in `policyTypes`; then only what some rule allows gets through.

use mcp_diag_model::{Node as Value, Object, ObjectRef};
use serde::Serialize;

use crate::labels::labels_of;
use crate::{Edge, Graph, Labels, Node, NodeKind, Template};

/// A label selector: `matchLabels` and `matchExpressions`. Empty matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Selector {
    pub requirements: Vec<(String, Op, Vec<String>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Selector {
    pub fn parse(node: Value<'_>) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for (k, v) in labels_of(node.get("matchLabels")) {
            requirements.push((k, Op::In, vec![v]));
        }
        for e in node
            .get("matchExpressions")
            .and_then(Value::as_seq)
            .unwrap_or_default()
        {
            let key = e
                .get("key")
                .and_then(Value::as_str)
                .ok_or("a matchExpression without key")?;
            let values = e
                .get("values")
                .and_then(Value::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let op = match e.get("operator").and_then(Value::as_str).unwrap_or_default() {
                "In" => Op::In,
                "NotIn" => Op::NotIn,
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::DoesNotExist,
                other => return Err(format!("unknown matchExpression operator {other:?}")),
            };
            requirements.push((key.to_owned(), op, values));
        }
        Ok(Self { requirements })
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|(k, op, values)| {
            let v = labels.get(k);
            match op {
                Op::In => v.is_some_and(|v| values.contains(v)),
                Op::NotIn => v.is_none_or(|v| !values.contains(v)),
                Op::Exists => v.is_some(),
                Op::DoesNotExist => v.is_none(),
            }
        })
    }

    /// Whether the selector reads only the namespace's name label (always known).
    fn only_name(&self) -> bool {
        self.requirements
            .iter()
            .all(|(k, ..)| k == "kubernetes.io/metadata.name")
    }
}

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
        let isolating: Vec<&NetworkPolicy> = self
            .network_policies
            .iter()
            .filter(|p| {
                p.namespace == namespace
                    && (if egress {
                        p.isolates_egress
                    } else {
                        p.isolates_ingress
                    })
            })
            .filter(|p| p.selector.matches(labels))
            .collect();
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
