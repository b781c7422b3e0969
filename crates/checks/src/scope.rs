//! `scan --target-service`: which objects a service and its dependencies run on, which
//! findings are about them, and the dependency table of its pairs. Pure: the inventory, the
//! graph and the findings in, data out.

use mcp_diag_model::{Finding, Inventory, Known, Node as Yaml, Object, Severity, SourceKind};
use mcp_diag_services::{Edge, EdgeSource, Graph, NodeId, NodeKind};
use rustc_hash::FxHashSet;
use serde::Serialize;

use crate::deps::{evidence_words, is_workload, node_name, pod_template};
use crate::rules::dep_api_mismatch::{Verdict, judge};
use crate::selector::Selector;

/// Checks about the cluster as a whole (its control plane, the input): they stay in a report
/// cut to one service.
const CLUSTER_WIDE: &[&str] = &[
    "version-hops",
    "skew-control-plane",
    "etcd-version",
    "etcd-unhealthy",
    "version-end-of-life",
    "input-incomplete",
    "input-invalid",
    "input-duplicate-key",
    "input-skipped",
    "access-denied",
    "cluster-unreachable",
    "ignore-expired",
    "ignore-invalid",
];

type Key = (String, String, String);

fn key(kind: &str, ns: Option<&str>, name: &str) -> Key {
    (
        kind.to_owned(),
        ns.unwrap_or_default().to_owned(),
        name.to_owned(),
    )
}

/// The objects a set of graph nodes runs on: their Services and workloads, the workloads'
/// pods, ReplicaSets and Jobs, the HPAs that scale them, the PDBs that select them, the
/// ConfigMaps they load, and the Nodes their pods run on.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    objects: FxHashSet<Key>,
}

impl Scope {
    pub fn of(inventory: &Inventory, graph: &Graph, nodes: &[NodeId]) -> Self {
        let mut objects: FxHashSet<Key> = FxHashSet::default();
        let mut workloads: FxHashSet<Key> = FxHashSet::default();
        let mut namespaces: FxHashSet<&str> = FxHashSet::default();
        for id in nodes {
            let node = graph.node(*id);
            namespaces.insert(node.namespace.as_str());
            for r in node.object.iter().chain(node.workloads.iter().map(|w| &**w)) {
                let k = key(&r.kind, r.namespace.as_deref(), &r.name);
                if is_workload(&r.kind) {
                    workloads.insert(k.clone());
                }
                objects.insert(k);
            }
        }
        let in_namespaces = |o: &&Object| o.namespace.as_deref().is_some_and(|ns| namespaces.contains(ns));
        let candidates: Vec<&Object> = inventory.objects.iter().filter(in_namespaces).collect();
        // Controllers owned by a workload in scope (ReplicaSets of Deployments, Jobs of
        // CronJobs), then pods owned by either.
        let owned_by = |o: &Object, set: &FxHashSet<Key>| {
            owners(o).any(|(kind, name)| set.contains(&key(kind, o.namespace.as_deref(), name)))
        };
        let mut controllers = workloads.clone();
        for o in &candidates {
            if matches!(o.kind.as_str(), "ReplicaSet" | "Job") && owned_by(o, &workloads) {
                controllers.insert(key(&o.kind, o.namespace.as_deref(), &o.name));
            }
        }
        let mut templates: Vec<(&str, Yaml<'_>)> = Vec::new();
        let mut nodes_run_on: FxHashSet<String> = FxHashSet::default();
        for o in &candidates {
            let k = key(&o.kind, o.namespace.as_deref(), &o.name);
            let ns = o.namespace.as_deref().unwrap_or_default();
            let in_scope = match o.kind.as_str() {
                "Pod" => workloads.contains(&k) || owned_by(o, &controllers),
                "ReplicaSet" | "Job" => controllers.contains(&k),
                _ => workloads.contains(&k),
            };
            if !in_scope {
                continue;
            }
            if o.kind == "Pod"
                && let Some(node) = o.raw.path(&["spec", "nodeName"]).and_then(Yaml::as_str)
            {
                nodes_run_on.insert(node.to_owned());
            }
            if workloads.contains(&k)
                && let Some(t) = pod_template(o)
            {
                templates.push((ns, t));
            }
            objects.insert(k);
        }
        for o in &candidates {
            let ns = o.namespace.as_deref().unwrap_or_default();
            let hit = match o.kind.as_str() {
                "HorizontalPodAutoscaler" => {
                    let target = o.raw.path(&["spec", "scaleTargetRef"]);
                    let kind = target
                        .and_then(|t| t.get("kind"))
                        .and_then(Yaml::as_str)
                        .unwrap_or_default();
                    let name = target
                        .and_then(|t| t.get("name"))
                        .and_then(Yaml::as_str)
                        .unwrap_or_default();
                    workloads.contains(&key(kind, Some(ns), name))
                }
                "PodDisruptionBudget" => o.raw.path(&["spec", "selector"]).is_some_and(|s| {
                    Selector::from_label_selector(s).is_ok_and(|sel| {
                        templates
                            .iter()
                            .any(|(tns, t)| *tns == ns && sel.matches(t.path(&["metadata", "labels"])))
                    })
                }),
                "ConfigMap" => templates
                    .iter()
                    .any(|(tns, t)| *tns == ns && loads_config_map(*t, &o.name)),
                _ => false,
            };
            if hit {
                objects.insert(key(&o.kind, Some(ns), &o.name));
            }
        }
        for n in nodes_run_on {
            objects.insert(("Node".to_owned(), String::new(), n));
        }
        Self { objects }
    }

    pub fn contains(&self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        self.objects.contains(&key(kind, namespace, name))
    }

    /// Whether a finding stays in the report: about an object in scope, about the cluster
    /// as a whole (no object, or a cluster-wide check).
    pub fn keeps(&self, f: &Finding) -> bool {
        match &f.object {
            None => true,
            Some(o) => {
                CLUSTER_WIDE.contains(&f.check) || self.contains(&o.kind, o.namespace.as_deref(), &o.name)
            }
        }
    }
}

fn owners(o: &Object) -> impl Iterator<Item = (&str, &str)> {
    o.raw
        .path(&["metadata", "ownerReferences"])
        .and_then(Yaml::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((r.get("kind")?.as_str()?, r.get("name")?.as_str()?)))
}

/// Whether a pod template loads ConfigMap `name`: envFrom, env valueFrom, a volume or a
/// projected volume.
fn loads_config_map(template: Yaml<'_>, name: &str) -> bool {
    let spec = template.get("spec");
    let containers = ["containers", "initContainers"]
        .into_iter()
        .filter_map(|k| spec.and_then(|s| s.get(k)).and_then(Yaml::as_seq))
        .flat_map(|s| s.iter());
    let is = |n: Option<Yaml<'_>>| n.and_then(Yaml::as_str) == Some(name);
    for c in containers {
        let env_from = c.get("envFrom").and_then(Yaml::as_seq).unwrap_or_default();
        if env_from.iter().any(|e| is(e.path(&["configMapRef", "name"]))) {
            return true;
        }
        let env = c.get("env").and_then(Yaml::as_seq).unwrap_or_default();
        if env
            .iter()
            .any(|e| is(e.path(&["valueFrom", "configMapKeyRef", "name"])))
        {
            return true;
        }
    }
    let volumes = spec
        .and_then(|s| s.get("volumes"))
        .and_then(Yaml::as_seq)
        .unwrap_or_default();
    volumes.iter().any(|v| {
        is(v.path(&["configMap", "name"]))
            || v.path(&["projected", "sources"])
                .and_then(Yaml::as_seq)
                .unwrap_or_default()
                .iter()
                .any(|s| is(s.path(&["configMap", "name"])))
    })
}

/// A finding of a pair in the dependency table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PairRisk {
    pub check: &'static str,
    pub severity: Severity,
    pub title: String,
}

/// One row of the dependency table.
#[derive(Clone, Debug, Serialize)]
pub struct Pair {
    pub consumer: String,
    pub provider: String,
    /// `service`, `missing`, `external`, ... (the provider node's kind).
    pub provider_kind: &'static str,
    pub protocol: Option<String>,
    pub port: Option<u16>,
    pub consumer_version: Option<String>,
    pub provider_version: Option<String>,
    /// `none`, `unknown`, or the worst severity of `findings`.
    pub risk: String,
    pub findings: Vec<PairRisk>,
    /// Why the input cannot tell, when `risk` is `unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
    pub source: EdgeSource,
    pub evidence: String,
}

/// The pairs of `target`: its own calls (`all = false`) or every call within its closure.
pub fn pairs(
    inventory: &Inventory,
    graph: &Graph,
    target: NodeId,
    all: bool,
    findings: &[Finding],
) -> Vec<Pair> {
    let closure = graph.closure(target, all);
    let from_ok = |id: NodeId| if all { closure.contains(&id) } else { id == target };
    let services_unknown = match inventory.coverage.judge(
        inventory.kind,
        "",
        "Service",
        inventory
            .objects
            .iter()
            .any(|o| o.kind == "Service" && o.api_version == "v1"),
    ) {
        Known::Complete => None,
        Known::Incomplete(read) => Some(crate::gap_words(read)),
        Known::Unrecorded => Some("Services (none in the input)".to_owned()),
    };
    let mut rows: Vec<Pair> = graph
        .edges
        .iter()
        .filter(|e| e.source != EdgeSource::NetworkPolicy && from_ok(e.from))
        .map(|e| pair(inventory, graph, e, findings, services_unknown.as_deref()))
        .collect();
    rows.sort_by(|a, b| (&a.consumer, &a.provider, a.port).cmp(&(&b.consumer, &b.provider, b.port)));
    fold_bare(rows)
}

/// A pair found only as a declaration (no port, no protocol) joins a row of the same pair
/// found with an address: one row per call, its evidence and risks together.
fn fold_bare(rows: Vec<Pair>) -> Vec<Pair> {
    let mut out: Vec<Pair> = Vec::with_capacity(rows.len());
    let mut bare = Vec::new();
    for row in rows {
        if row.port.is_none() && row.protocol.is_none() {
            bare.push(row);
        } else {
            out.push(row);
        }
    }
    for row in bare {
        match out
            .iter_mut()
            .find(|r| r.consumer == row.consumer && r.provider == row.provider)
        {
            Some(into) => {
                for f in row.findings {
                    if !into.findings.contains(&f) {
                        into.findings.push(f);
                    }
                }
                into.unknown = match (into.unknown.take(), row.unknown) {
                    (Some(a), Some(b)) if a != b => Some(format!("{a}; {b}")),
                    (a, b) => a.or(b),
                };
                into.evidence = format!("{}; {}", into.evidence, row.evidence);
                into.risk = match into.findings.iter().map(|f| f.severity).max() {
                    Some(s) => s.to_string(),
                    None if into.unknown.is_some() => "unknown".to_owned(),
                    None => "none".to_owned(),
                };
            }
            None => out.push(row),
        }
    }
    out.sort_by(|a, b| (&a.consumer, &a.provider, a.port).cmp(&(&b.consumer, &b.provider, b.port)));
    out
}

fn version_of(graph: &Graph, id: NodeId) -> Option<String> {
    let n = graph.node(id);
    n.declared
        .as_ref()
        .and_then(|d| d.version.clone())
        .or_else(|| n.version.clone())
}

fn pair(
    inventory: &Inventory,
    graph: &Graph,
    e: &Edge,
    findings: &[Finding],
    services_unknown: Option<&str>,
) -> Pair {
    let from = graph.node(e.from);
    let to = graph.node(e.to);
    let consumer = node_name(from);
    let provider = node_name(to);
    let risks: Vec<PairRisk> = findings
        .iter()
        .filter(|f| f.check.starts_with("dep-"))
        .filter(|f| {
            let pair =
                f.details.get("consumer") == Some(&consumer) && f.details.get("provider") == Some(&provider);
            let port_ok = match (f.details.get("port"), e.port) {
                (Some(p), Some(q)) => *p == q.to_string(),
                _ => true,
            };
            let cycle = f.check == "dep-cycle"
                && f.details.get("members").is_some_and(|m| {
                    let members: Vec<&str> = m.split(", ").collect();
                    members.contains(&consumer.as_str()) && members.contains(&provider.as_str())
                });
            (pair && port_ok) || cycle
        })
        .map(|f| PairRisk {
            check: f.check,
            severity: f.severity,
            title: f.title.clone(),
        })
        .collect();
    let mut unknown = Vec::new();
    if let Some(req) = &e.requirement
        && let Verdict::Unknown(why) = judge(req, to)
    {
        unknown.push(why);
    }
    match to.kind {
        NodeKind::Missing => {
            if let Some(gap) = services_unknown {
                unknown.push(format!("whether {provider} exists: {gap} not read completely"));
            } else if !to.absence_known {
                unknown.push(format!(
                    "whether {provider} exists: the Services were not all read"
                ));
            }
        }
        NodeKind::Service if to.pods.is_none() && inventory.kind != SourceKind::Manifests => {
            unknown.push(format!(
                "whether {provider} has ready pods: Pods not read completely"
            ));
        }
        _ => {}
    }
    let worst = risks.iter().map(|r| r.severity).max();
    let risk = match worst {
        Some(s) => s.to_string(),
        None if !unknown.is_empty() => "unknown".to_owned(),
        None => "none".to_owned(),
    };
    Pair {
        consumer,
        provider,
        provider_kind: match to.kind {
            NodeKind::Service => "service",
            NodeKind::Workload => "workload",
            NodeKind::Missing => "missing",
            NodeKind::External => "external",
            NodeKind::Outside => "outside",
        },
        protocol: e
            .protocol
            .clone()
            .or_else(|| e.requirement.as_ref().and_then(|r| r.protocol.clone())),
        port: e.port,
        consumer_version: version_of(graph, e.from),
        provider_version: version_of(graph, e.to),
        risk,
        findings: risks,
        unknown: (!unknown.is_empty()).then(|| unknown.join("; ")),
        source: e.source,
        evidence: evidence_words(e),
    }
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::SourceKind;
    use mcp_diag_services::Graph;

    use super::*;
    use crate::deps::test_graph::*;

    const CLUSTER: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: order, namespace: shop}\nspec:\n  selector: {matchLabels: {app: order}}\n  template:\n    metadata: {labels: {app: order}}\n    spec:\n      containers: [{name: c, image: order:1, envFrom: [{configMapRef: {name: order-config}}]}]\n---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: order-5f9, namespace: shop, ownerReferences: [{kind: Deployment, name: order, apiVersion: apps/v1, uid: a}]}\nspec: {}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: order-5f9-x, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: order-5f9, apiVersion: apps/v1, uid: b}]}\nspec: {nodeName: worker-1, containers: [{name: c, image: order:1}]}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: order-config, namespace: shop}\ndata: {a: b}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: shop}\ndata: {a: b}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: order, namespace: shop}\nspec: {maxUnavailable: 1, selector: {matchLabels: {app: order}}}\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: order, namespace: shop}\nspec: {scaleTargetRef: {kind: Deployment, name: order, apiVersion: apps/v1}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cart, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: cart}}\n    spec: {containers: [{name: c, image: cart:1}]}\n";

    #[test]
    fn scope_follows_workloads_to_their_objects() {
        let inv = crate::rules::test_support::inventory(CLUSTER, SourceKind::Snapshot);
        let mut g = Graph::default();
        g.nodes.push(service("shop", "order-svc", "order", &[]));
        g.nodes.push(service("shop", "cart", "cart", &[]));
        let s = Scope::of(&inv, &g, &[NodeId(0)]);
        for (kind, ns, name) in [
            ("Service", Some("shop"), "order-svc"),
            ("Deployment", Some("shop"), "order"),
            ("ReplicaSet", Some("shop"), "order-5f9"),
            ("Pod", Some("shop"), "order-5f9-x"),
            ("ConfigMap", Some("shop"), "order-config"),
            ("PodDisruptionBudget", Some("shop"), "order"),
            ("HorizontalPodAutoscaler", Some("shop"), "order"),
            ("Node", None, "worker-1"),
        ] {
            assert!(s.contains(kind, ns, name), "{kind} {name} not in scope");
        }
        assert!(!s.contains("ConfigMap", Some("shop"), "other"));
        assert!(!s.contains("Deployment", Some("shop"), "cart"));
        let f = |check: &'static str, object: Option<mcp_diag_model::ObjectRef>| Finding {
            check,
            severity: Severity::High,
            title: String::new(),
            object,
            location: None,
            message: String::new(),
            remediation: String::new(),
            evidence: None,
            details: Default::default(),
        };
        assert!(s.keeps(&f("version-hops", None)));
        assert!(!s.keeps(&f(
            "pdb-no-match",
            Some(obj("PodDisruptionBudget", "shop", "cart"))
        )));
        assert!(s.keeps(&f(
            "skew-control-plane",
            Some(obj("Pod", "kube-system", "kube-apiserver"))
        )));
        assert!(s.keeps(&f("pod-crashloop", Some(obj("Pod", "shop", "order-5f9-x")))));
        assert!(!s.keeps(&f("pod-crashloop", Some(obj("Deployment", "shop", "cart")))));
    }

    #[test]
    fn pairs_carry_risks_unknowns_and_fold_declarations_into_calls() {
        use mcp_diag_services::Requirement;
        let inv = crate::rules::test_support::inventory(
            "apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: shop}\n",
            SourceKind::Snapshot,
        );
        let mut g = Graph::default();
        g.nodes.push(service("shop", "user-auth", "user-auth", &[]));
        g.nodes
            .push(service("shop", "profile-svc", "profile", &[("http", 80, None)]));
        g.nodes
            .push(service("data", "redis", "redis", &[("redis", 6379, None)]));
        g.nodes[0].version = Some("2.1.0".into());
        g.nodes[1].version = Some("1.9.4".into());
        g.nodes[1].declared = Some(Box::default());
        let env = call(&g, 0, 1, Some(80), Some("http"), "PROFILE_URL");
        let mut declared = call(&g, 0, 1, None, None, "unused");
        declared.source = EdgeSource::Annotation;
        declared.requirement = Some(Requirement {
            api: Some(">=v2".into()),
            ..Default::default()
        });
        let redis = call(&g, 0, 2, Some(6379), Some("redis"), "REDIS_URL");
        g.edges.extend([env, declared, redis]);
        let finding = Finding {
            check: "dep-protocol-mismatch",
            severity: Severity::High,
            title: "t".into(),
            object: None,
            location: None,
            message: String::new(),
            remediation: String::new(),
            evidence: None,
            details: [
                ("consumer", "shop/user-auth".to_owned()),
                ("provider", "data/redis".to_owned()),
                ("port", "6379".to_owned()),
            ]
            .into_iter()
            .collect(),
        };
        let rows = pairs(&inv, &g, NodeId(0), false, &[finding]);
        assert_eq!(rows.len(), 2, "{rows:#?}");
        assert_eq!(rows[0].provider, "data/redis");
        assert_eq!(rows[0].risk, "high");
        assert_eq!(rows[0].findings[0].check, "dep-protocol-mismatch");
        // The declaration (no port, no protocol) joined the env call; what profile-svc
        // provides is not declared: unknown, never "none".
        assert_eq!(rows[1].provider, "shop/profile-svc");
        assert_eq!(rows[1].port, Some(80));
        assert_eq!(rows[1].risk, "unknown");
        assert!(
            rows[1].unknown.as_deref().unwrap().contains("not declared"),
            "{:?}",
            rows[1].unknown
        );
        assert_eq!(rows[1].consumer_version.as_deref(), Some("2.1.0"));
        assert_eq!(rows[1].provider_version.as_deref(), Some("1.9.4"));
        // Once v2 is provided, the pair has no risk.
        g.nodes[1].declared.as_mut().unwrap().provides_api = vec!["v2".into()];
        let rows = pairs(&inv, &g, NodeId(0), false, &[]);
        assert_eq!(rows[1].risk, "none");
    }
}
