//! The budget coverage held to trying every budget alone against every pod or template of
//! its namespace.

use mcp_diag_model::Inventory;

use super::*;
use crate::rules::test_support::inventory;
use crate::test_context::with_context;

/// A budget's coverage as text: matched, the units (object, pods, count, drain skips)
/// and the idle templates.
type Seen = (usize, Vec<String>, Vec<String>);

fn unit_text(u: &Unit<'_>) -> String {
    format!(
        "{} {} {} {:?} {}",
        u.object.kind, u.object.name, u.pods, u.count, u.drain_skips
    )
}

/// Runs `f` on a context over `inv` and its coverage.
fn with_coverage<R>(inv: &Inventory, f: impl FnOnce(&Context<'_>, &Coverage<'_>) -> R) -> R {
    with_context(inv, &mcp_diag_services::Graph::default(), |ctx| {
        f(ctx, coverage(ctx))
    })
}

/// Each budget tried against every pod (or template) of its namespace: what the
/// coverage's classes and label keys stand in for. Also each overlap, as the unit and
/// the budgets' names.
fn one_by_one(ctx: &Context<'_>) -> (Vec<Seen>, Vec<String>) {
    let mode = mode(ctx);
    let hpas = autoscalers(ctx);
    let templates = templates_by_namespace(ctx);
    let mut overlaps: Vec<(usize, Vec<String>)> = Vec::new();
    let mut seen = Vec::new();
    let budgets = ctx.index.of_kind("PodDisruptionBudget");
    for b in budgets {
        let selector = BudgetSelector::read(b);
        let selected = |labels| matches!(&selector, BudgetSelector::Parsed(s) if s.matches(labels));
        let ns = namespace_of(b);
        let ts = templates.get(ns).map_or(&[][..], Vec::as_slice);
        let mut units: Vec<Unit<'_>> = Vec::new();
        let mut matched = 0;
        let mut idle = Vec::new();
        if mode == Mode::Templates {
            for t in ts.iter().filter(|t| selected(t.labels)) {
                matched += 1;
                units.push(Unit {
                    object: t.object,
                    pods: 0,
                    count: t.count(&hpas),
                    drain_skips: t.drain_skips,
                });
            }
        } else {
            for pod in ctx.index.pods_in(ns) {
                if is_terminal(pod) || !selected(labels_of(pod.raw.root())) {
                    continue;
                }
                matched += 1;
                let (owner, drain_skips) = pod_owner(ctx, pod);
                let scalable = SCALABLE.contains(&owner.kind.as_str());
                match units.iter_mut().find(|u| std::ptr::eq(u.object, owner)) {
                    Some(u) => {
                        u.pods += 1;
                        if !scalable {
                            u.count = u.count.map(|c| c + 1);
                        }
                    }
                    None => units.push(Unit {
                        object: owner,
                        pods: 1,
                        count: if scalable {
                            scale_of(owner, &hpas).replicas
                        } else {
                            Some(1)
                        },
                        drain_skips,
                    }),
                }
            }
            if matched == 0 {
                idle = ts
                    .iter()
                    .filter(|t| selected(t.labels))
                    .map(|t| format!("{} {}", t.object.kind, t.object.name))
                    .collect();
            }
        }
        seen.push((matched, units.iter().map(unit_text).collect::<Vec<_>>(), idle));
    }
    // Overlaps: for every unit, the budgets that cover it, when more than one.
    let mut units: Vec<(&Object, bool)> = Vec::new();
    let covered_by = |o: &Object| -> Vec<String> {
        budgets
            .iter()
            .zip(&seen)
            .filter(|(b, (_, us, _))| {
                namespace_of(b) == namespace_of(o)
                    && us
                        .iter()
                        .any(|u| u.starts_with(&format!("{} {} ", o.kind, o.name)))
            })
            .map(|(b, _)| b.name.clone())
            .collect()
    };
    for b in budgets {
        let ns = namespace_of(b);
        for t in templates.get(ns).map_or(&[][..], Vec::as_slice) {
            if !units.iter().any(|(u, _)| std::ptr::eq(*u, t.object)) {
                units.push((t.object, t.drain_skips));
            }
        }
        for pod in ctx.index.pods_in(ns) {
            let (owner, skips) = pod_owner(ctx, pod);
            if !units.iter().any(|(u, _)| std::ptr::eq(*u, owner)) {
                units.push((owner, skips));
            }
        }
    }
    for (u, _) in units {
        let names = covered_by(u);
        if names.len() > 1 {
            overlaps.push((
                0,
                names
                    .iter()
                    .map(|n| format!("{} {}: {n}", u.kind, u.name))
                    .collect(),
            ));
        }
    }
    let mut overlaps: Vec<String> = overlaps.into_iter().flat_map(|(_, v)| v).collect();
    overlaps.sort();
    (seen, overlaps)
}

fn computed(coverage: &Coverage<'_>) -> (Vec<Seen>, Vec<String>) {
    let seen = coverage
        .budgets
        .iter()
        .map(|b| {
            let idle = b
                .covers
                .idle_templates
                .iter()
                .map(|o| format!("{} {}", o.kind, o.name))
                .collect();
            (
                b.covers.matched,
                b.covers.units.iter().map(unit_text).collect(),
                idle,
            )
        })
        .collect();
    let mut overlaps: Vec<String> = coverage
        .overlaps
        .iter()
        .flat_map(|o| {
            o.budgets
                .iter()
                .map(|b| format!("{} {}: {}", o.unit.kind, o.unit.name, b.name))
                .collect::<Vec<_>>()
        })
        .collect();
    overlaps.sort();
    (seen, overlaps)
}

/// Budgets in two namespaces, several with the same selector (not next to each other),
/// some by expressions matching what others match by labels, one `{}` (every pod, in
/// a), one matching nothing, one without a selector; workloads scaled to 0, a
/// DaemonSet, a CronJob, a bare pod and a finished one.
fn cluster(with_pods: bool) -> String {
    let mut y = String::new();
    let budget = |y: &mut String, ns: &str, name: &str, selector: &str| {
        y.push_str(&format!(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{minAvailable: 1{selector}}}\n---\n"
        ));
    };
    for ns in ["a", "b"] {
        budget(&mut y, ns, "web-1", ", selector: {matchLabels: {app: web}}");
        budget(&mut y, ns, "api", ", selector: {matchLabels: {app: api}}");
        budget(&mut y, ns, "web-2", ", selector: {matchLabels: {app: web}}");
        budget(
            &mut y,
            ns,
            "either",
            ", selector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}",
        );
        budget(
            &mut y,
            ns,
            "web-db",
            ", selector: {matchLabels: {app: web, tier: db}}",
        );
        if ns == "a" {
            budget(&mut y, ns, "all", ", selector: {}");
        }
        // Only these two cover `solo` in b: an overlap of one selector.
        budget(&mut y, ns, "solo-1", ", selector: {matchLabels: {app: solo}}");
        budget(&mut y, ns, "solo-2", ", selector: {matchLabels: {app: solo}}");
        budget(
            &mut y,
            ns,
            "idle-expr",
            ", selector: {matchExpressions: [{key: app, operator: In, values: [idle, gone]}]}",
        );
        budget(
            &mut y,
            ns,
            "tiered",
            ", selector: {matchExpressions: [{key: tier, operator: Exists}]}",
        );
        budget(
            &mut y,
            ns,
            "not-api",
            ", selector: {matchExpressions: [{key: app, operator: NotIn, values: [api, web, solo]}]}",
        );
        budget(&mut y, ns, "nothing", ", selector: {matchLabels: {app: gone}}");
        budget(&mut y, ns, "idle", ", selector: {matchLabels: {app: idle}}");
        budget(&mut y, ns, "no-selector", "");
        budget(&mut y, ns, "web-3", ", selector: {matchLabels: {app: web}}");
        let workloads = [
            ("Deployment", "web", "app: web", 3),
            ("Deployment", "api", "app: api", 2),
            ("StatefulSet", "db", "{app: web, tier: db}", 1),
            ("Deployment", "idle", "app: idle", 0),
            ("Deployment", "solo", "app: solo", 2),
        ];
        for (kind, name, labels, replicas) in workloads {
            let labels = if labels.starts_with('{') {
                labels.to_owned()
            } else {
                format!("{{{labels}}}")
            };
            y.push_str(&format!(
                "apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: {ns}, uid: {ns}-{name}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {labels}}}\n  template: {{metadata: {{labels: {labels}}}, spec: {{containers: [{{name: c, image: x}}]}}}}\n---\n"
            ));
            if with_pods && kind == "Deployment" && replicas > 0 {
                y.push_str(&format!(
                    "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: {name}-1, namespace: {ns}, uid: {ns}-{name}-1, ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: {name}, uid: {ns}-{name}, controller: true}}]}}\nspec: {{replicas: {replicas}, selector: {{matchLabels: {labels}}}, template: {{metadata: {{labels: {labels}}}, spec: {{containers: [{{name: c, image: x}}]}}}}}}\n---\n"
                ));
            }
            if with_pods {
                let (owner_kind, owner) = if kind == "Deployment" {
                    ("ReplicaSet", format!("{name}-1"))
                } else {
                    (kind, name.to_owned())
                };
                for i in 0..replicas {
                    y.push_str(&format!(
                        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}-{i}, namespace: {ns}, labels: {labels}, ownerReferences: [{{apiVersion: apps/v1, kind: {owner_kind}, name: {owner}, uid: {ns}-{owner}, controller: true}}]}}\nspec: {{nodeName: n1, containers: [{{name: c, image: x}}]}}\nstatus: {{phase: Running}}\n---\n"
                    ));
                }
            }
        }
        y.push_str(&format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: agent, namespace: {ns}, uid: {ns}-agent}}\nspec:\n  selector: {{matchLabels: {{app: web}}}}\n  template: {{metadata: {{labels: {{app: web}}}}, spec: {{containers: [{{name: c, image: x}}]}}}}\n---\n"
        ));
        y.push_str(&format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: nightly, namespace: {ns}}}\nspec: {{schedule: '0 0 * * *', jobTemplate: {{spec: {{template: {{metadata: {{labels: {{app: api}}}}, spec: {{containers: [{{name: c, image: x}}]}}}}}}}}}}\n---\n"
        ));
        if with_pods {
            y.push_str(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: agent-n1, namespace: {ns}, labels: {{app: web}}, ownerReferences: [{{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: {ns}-agent, controller: true}}]}}\nspec: {{nodeName: n1, containers: [{{name: c, image: x}}]}}\nstatus: {{phase: Running}}\n---\n"
            ));
            for (name, phase) in [("debug", "Running"), ("done", "Succeeded")] {
                y.push_str(&format!(
                    "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: {{app: web}}}}\nspec: {{nodeName: n1, containers: [{{name: c, image: x}}]}}\nstatus: {{phase: {phase}}}\n---\n"
                ));
            }
        }
    }
    y
}

#[test]
fn budgets_sharing_a_selector_cover_what_each_would_alone() {
    for (with_pods, kind) in [(false, SourceKind::Manifests), (true, SourceKind::Snapshot)] {
        let inv = inventory(&cluster(with_pods), kind);
        let (expected, got, sharing) = with_coverage(&inv, |ctx, coverage| {
            // How many budgets share each `web-3`'s coverage.
            let sharing: Vec<usize> = coverage
                .budgets
                .iter()
                .filter(|b| b.object.name == "web-3")
                .map(|b| {
                    coverage
                        .budgets
                        .iter()
                        .filter(|o| Arc::ptr_eq(&o.covers, &b.covers))
                        .count()
                })
                .collect();
            (one_by_one(ctx), computed(coverage), sharing)
        });
        let names = inv
            .objects
            .iter()
            .filter(|o| o.kind == "PodDisruptionBudget")
            .map(|o| format!("{}/{}", namespace_of(o), o.name));
        for ((name, e), g) in names.zip(&expected.0).zip(&got.0) {
            assert_eq!(e, g, "budget {name}, with pods: {with_pods}");
        }
        assert_eq!(expected.1, got.1, "overlaps, with pods: {with_pods}");
        // The fixture is what it is meant to be: most budgets match, many overlap, and
        // the three `app: web` budgets of each namespace (apart in the input) share one.
        assert!(got.0.iter().filter(|(m, ..)| *m > 0).count() >= 12, "{got:#?}");
        assert!(got.1.len() >= 20, "{got:#?}");
        assert_eq!(sharing, [3, 3]);
    }
}
