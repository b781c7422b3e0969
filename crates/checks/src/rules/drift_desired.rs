use std::collections::{BTreeMap, HashMap, HashSet};

use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::manifest_diff::{Diff, MAX_DIFFS, differences};
use crate::words::name_list;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "drift-desired",
    severity: Severity::Medium,
    title: "Cluster differs from the declared manifests",
    doc: r#"## What it checks
With `--desired DIR` (the manifests in Git, rendered: plain YAML, `kustomize build` or `helm
template` output), every declared object against the cluster, matched by API group, kind,
namespace and name (a manifest without a namespace matches `default`, or the only object of
that name):

- declared but missing from the cluster: `medium`;
- present, but a declared field has another value live: `medium`, one finding per object
  naming up to five paths, such as `spec.replicas: declared 3, live 2`.

Only the fields the manifest declares are compared, recursively; everything the server or
controllers add is ignored: `status`, `metadata.managedFields`, `uid`, `resourceVersion`,
`generation`, `creationTimestamp`, owner references, annotations the manifest does not
declare (`deployment.kubernetes.io/revision`, kubectl's last-applied configuration, tracking
annotations), defaulted fields. Lists of objects are matched by their merge key
(`containers`, `env` and `volumes` by name, `volumeMounts` by mountPath, `ports` by port),
other lists of objects by content in any order. Quantities compare by value (`0.5` = `500m`,
`1024Mi` = `1Gi`), `"80"` equals `80`, and a declared `false`, `0` or `""` equals an absent
field (the API omits them). `spec.replicas` of a workload that a HorizontalPodAutoscaler
scales is not compared, nor Secret data (snapshots keep none). Objects declared at another
version of their API group than the cluster serves them at are checked for existence only.

Declared kinds of which the cluster input holds no object at all (a snapshot that did not
capture RoleBindings), or that were not read completely (see `input-incomplete`), are not
compared; one `info` finding lists them.

## Why it matters
The upgrade plan, the review and any rebuild rely on Git describing the cluster. An object
that is missing, or a replica count, image or limit that differs, means the next sync
changes the cluster in the middle of the upgrade, or that what was tested is not what runs.

## Example
`--desired ./deploy` declares Deployment `shop/cart` with `replicas: 3` and image
`cart:1.22.4`; the cluster runs 2 replicas of `cart:1.22.3`: `medium`,
"spec.replicas: declared 3, live 2; spec.template.spec.containers[name=cart].image: declared
cart:1.22.4, live cart:1.22.3".

## Fix
Find out which side is right. If Git is, sync it (`argocd app sync`, `flux reconcile`,
`helm upgrade`, `kubectl apply`) and find who changed the cluster (see
`drift-manual-edit`). If the cluster is, commit the live values to Git. Remove objects from
Git that should no longer exist.
"#,
};

pub struct DriftDesired;

impl Check for DriftDesired {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(desired) = ctx.options.desired.as_ref() else {
            return Vec::new();
        };
        let live = LiveIndex::build(&ctx.inventory.objects);
        let mut findings = Vec::new();
        let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
        for declared in &desired.objects {
            if declared.name.is_empty() || declared.kind.ends_with("List") {
                continue;
            }
            let group = declared.group_version().0;
            if !live.kinds.contains(&(group, declared.kind.as_str())) {
                *skipped.entry(kind_label(declared)).or_default() += 1;
                continue;
            }
            match live.find(declared) {
                // A kind read with a recorded gap cannot show that an object is missing.
                None if ctx.read_gap(group, &declared.kind) => {
                    *skipped.entry(kind_label(declared)).or_default() += 1;
                }
                None => findings.push(missing(declared, &live)),
                Some(object) => {
                    if object.api_version != declared.api_version {
                        continue;
                    }
                    let scaled = live.hpa_targets.contains(&(
                        object.namespace.as_deref(),
                        object.kind.as_str(),
                        object.name.as_str(),
                    ));
                    let diffs = differences(declared, object, scaled);
                    if !diffs.is_empty() {
                        findings.push(differs(declared, object, &diffs));
                    }
                }
            }
        }
        if !skipped.is_empty() {
            findings.push(not_compared(&skipped));
        }
        findings
    }
}

type Key<'a> = (&'a str, &'a str, Option<&'a str>, &'a str);

/// The live objects, indexed once: by (group, kind, namespace, name), by name alone, the
/// kinds present, and what HorizontalPodAutoscalers scale.
struct LiveIndex<'a> {
    by_key: HashMap<Key<'a>, &'a Object>,
    by_name: HashMap<(&'a str, &'a str, &'a str), Vec<&'a Object>>,
    kinds: HashSet<(&'a str, &'a str)>,
    hpa_targets: HashSet<(Option<&'a str>, &'a str, &'a str)>,
}

impl<'a> LiveIndex<'a> {
    fn build(objects: &'a [Object]) -> Self {
        let mut index = Self {
            by_key: HashMap::with_capacity(objects.len()),
            by_name: HashMap::new(),
            kinds: HashSet::new(),
            hpa_targets: HashSet::new(),
        };
        for o in objects {
            let group = o.group_version().0;
            let kind = o.kind.as_str();
            index.kinds.insert((group, kind));
            index
                .by_key
                .insert((group, kind, o.namespace.as_deref(), o.name.as_str()), o);
            index
                .by_name
                .entry((group, kind, o.name.as_str()))
                .or_default()
                .push(o);
            if kind == "HorizontalPodAutoscaler" {
                let target = o.raw.path(&["spec", "scaleTargetRef"]);
                let field = |k: &str| target.and_then(|t| t.get(k)).and_then(Node::as_str);
                if let (Some(k), Some(n)) = (field("kind"), field("name")) {
                    index.hpa_targets.insert((o.namespace.as_deref(), k, n));
                }
            }
        }
        index
    }

    fn find(&self, declared: &Object) -> Option<&'a Object> {
        let group = declared.group_version().0;
        let kind = declared.kind.as_str();
        let name = declared.name.as_str();
        let ns = declared.namespace.as_deref();
        if let Some(o) = self.by_key.get(&(group, kind, ns, name)) {
            return Some(o);
        }
        if ns.is_some() {
            return None;
        }
        // No namespace in the manifest: the one it is applied to is not known.
        if let Some(o) = self.by_key.get(&(group, kind, Some("default"), name)) {
            return Some(o);
        }
        match self.by_name.get(&(group, kind, name)).map(Vec::as_slice) {
            Some([only]) => Some(only),
            _ => None,
        }
    }
}

fn kind_label(o: &Object) -> String {
    match o.group_version().0 {
        "" => o.kind.clone(),
        g => format!("{}.{g}", o.kind),
    }
}

fn describe(o: &Object) -> String {
    match &o.namespace {
        Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
        None => format!("{} {}", o.kind, o.name),
    }
}

fn declared_at(o: &Object) -> String {
    o.location
        .as_ref()
        .map_or_else(|| "the declared manifests".to_owned(), ToString::to_string)
}

fn missing(declared: &Object, live: &LiveIndex<'_>) -> Finding {
    let what = describe(declared);
    let group = declared.group_version().0;
    let others = live
        .by_name
        .get(&(group, declared.kind.as_str(), declared.name.as_str()))
        .map(|v| {
            v.iter()
                .filter_map(|o| o.namespace.as_deref())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let elsewhere = if others.is_empty() {
        String::new()
    } else {
        format!(
            " An object of that kind and name exists in namespace{} {}: the manifest may name the wrong namespace.",
            if others.len() == 1 { "" } else { "s" },
            name_list(&others, 3)
        )
    };
    let at = declared_at(declared);
    INFO.about(declared)
        .title(format!("{what} is declared but missing from the cluster"))
        .message(format!("{at} declares {what}, but the cluster has no such object.{elsewhere}"))
        .fix(format!(
            "If Git is right, sync it (`argocd app sync`, `flux reconcile`, `helm upgrade` or `kubectl apply -f {}`) and find out who deleted the object; if the object should no longer exist, remove it from Git.",
            declared.location.as_ref().map_or("FILE", |l| l.file.as_str()),
        ))
        .evidence("declared manifests")
        .detail("declared_at", at)
        .detail("state", "missing")
        .build()
}

fn differs(declared: &Object, live: &Object, diffs: &[Diff]) -> Finding {
    let what = describe(live);
    let shown: Vec<String> = diffs.iter().take(5).map(ToString::to_string).collect();
    let more = if diffs.len() > 5 {
        format!(" (and {} more)", diffs.len() - 5)
    } else {
        String::new()
    };
    let at = declared_at(declared);
    let count = diffs.len();
    let count_text = if count >= MAX_DIFFS {
        format!("{count} or more")
    } else {
        count.to_string()
    };
    let paths = diffs
        .iter()
        .take(5)
        .map(|d| d.path.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    INFO.about(declared)
        .object(Some(live.object_ref()))
        .title(format!(
            "{what} differs from the declared manifest ({count_text} field{})",
            if count == 1 { "" } else { "s" },
        ))
        .message(format!("Compared with {at}: {}{more}.", shown.join("; ")))
        .fix(format!(
            "Decide which side is right. If Git is, sync it (`argocd app sync`, `flux reconcile`, `helm upgrade`, `kubectl apply`) and find who changed the cluster (`kubectl get {} {} -o yaml --show-managed-fields`); if the cluster is, commit the live values to Git.",
            live.kind.to_ascii_lowercase(),
            match &live.namespace {
                Some(ns) => format!("{} -n {ns}", live.name),
                None => live.name.clone(),
            },
        ))
        .evidence("declared manifests")
        .detail("declared_at", at)
        .detail("state", "differs")
        .detail("differences", count_text)
        .detail("paths", paths)
        .build()
}

fn not_compared(skipped: &BTreeMap<String, usize>) -> Finding {
    let total: usize = skipped.values().sum();
    let kinds: Vec<String> = skipped.iter().map(|(k, n)| format!("{k} ({n})")).collect();
    INFO.finding()
        .notice(format!(
            "{total} declared object{} not compared: kinds not (completely) in the cluster input",
            if total == 1 { "" } else { "s" },
        ))
        .message(format!(
            "The cluster input holds no object at all of these declared kinds, or did not read them completely, so they were not compared (the snapshot may not have captured them, or none exists): {}.",
            name_list(&kinds, 10),
        ))
        .fix(
            "Capture these kinds in the snapshot (`kubectl get KIND -A -o yaml`), or check them against the cluster with `kubectl diff -f DIR`.",
        )
        .evidence("declared manifests")
        .detail("kinds", kinds.join(", "))
        .build()
}
