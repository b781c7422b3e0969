use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::selector::{Selector, labels_of};
use crate::velero::velero;
use crate::words::name_list;
use crate::workloads::claim_templates;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "backup-namespace-uncovered",
    severity: Severity::Medium,
    title: "Namespace with volumes not covered by a backup schedule",
    doc: r#"## What it checks
Where Velero runs with at least one Schedule that creates backups (not paused, not failed
validation): every namespace that holds PersistentVolumeClaims (in manifests, also
StatefulSets with `volumeClaimTemplates`) against the Schedules' backup templates, as Velero
selects objects:

- `spec.template.includedNamespaces`: absent, empty or `*` means every namespace; entries
  may be glob patterns (`team-*`);
- minus `spec.template.excludedNamespaces` (which wins over an inclusion);
- a template whose `includedResources` (or `includedNamespaceScopedResources`) leaves out
  `persistentvolumeclaims`, or whose `excludedResources` names them, backs up no claims;
- `labelSelector` / `orLabelSelectors`: only claims whose labels match are backed up.

A namespace with claims that no running Schedule backs up is reported once, naming the
claims. Paused Schedules do not count; when none runs at all, `backup-no-schedule` reports it
and this check stays silent. Azure Backup for AKS (schedules outside Velero) is not checked.

Not reported when the Velero Schedules were not read completely (see `input-incomplete`):
a Schedule not read may cover the namespace.

## Why it matters
Volumes hold the data that cannot be recreated from Git: databases, queues, uploaded files.
A Schedule that lists namespaces by name misses every namespace added after it was written;
after a failed upgrade their data has no restore point.

## Example
Schedule `daily-shop-data` includes `shop` and `data`; `monitoring` has four claims
(Prometheus and Alertmanager): `medium`, "Namespace monitoring: 4 PersistentVolumeClaims
not in any backup schedule".

## Fix
Add the namespace to a Schedule's `includedNamespaces` (in Git, where the Schedule is
defined), or cover all namespaces (`*`) and exclude the ones you do not want. If the data
is deliberately not backed up (a cache, metrics you can lose), exclude the namespace
explicitly in the Schedule so that the decision is written down.
"#,
};

pub struct BackupNamespaceUncovered;

impl Check for BackupNamespaceUncovered {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let velero = velero(ctx);
        if !velero.present() || velero.managed_by.is_some() {
            return Vec::new();
        }
        // A Schedule not read may cover the namespace (input-incomplete names this check).
        if ctx.read_gap("velero.io", "Schedule") {
            return Vec::new();
        }
        let schedules: Vec<Coverage<'_>> = velero.enabled_schedules().into_iter().map(Coverage::of).collect();
        if schedules.is_empty() {
            return Vec::new();
        }
        // Claims per namespace: (name, labels).
        let mut claims: BTreeMap<&str, Vec<(&str, Option<Node<'_>>)>> = BTreeMap::new();
        for pvc in ctx.index.of_kind("PersistentVolumeClaim") {
            if pvc.api_version != "v1" {
                continue;
            }
            let ns = pvc.namespace.as_deref().unwrap_or("default");
            claims
                .entry(ns)
                .or_default()
                .push((pvc.name.as_str(), labels_of(pvc.raw.root())));
        }
        for (sts, t) in claim_templates(ctx) {
            let name = t
                .path(&["metadata", "name"])
                .and_then(Node::as_str)
                .unwrap_or("data");
            let ns = sts.namespace.as_deref().unwrap_or("default");
            claims.entry(ns).or_default().push((
                name,
                labels_of(t).or_else(|| sts.raw.path(&["spec", "selector", "matchLabels"])),
            ));
        }
        let namespaces = ctx.index.of_kind("Namespace");
        let mut findings = Vec::new();
        for (ns, list) in claims {
            let uncovered: Vec<&str> = list
                .iter()
                .filter(|(_, labels)| !schedules.iter().any(|s| s.covers(ns, *labels)))
                .map(|(name, _)| *name)
                .collect();
            if uncovered.is_empty() {
                continue;
            }
            let object = namespaces.iter().find(|n| n.name == ns).copied().or_else(|| {
                ctx.index
                    .of_kind("PersistentVolumeClaim")
                    .iter()
                    .find(|p| p.namespace.as_deref() == Some(ns))
                    .copied()
            });
            findings.push(uncovered_finding(ns, object, &uncovered, list.len(), &schedules));
        }
        findings
    }
}

/// What one Schedule backs up.
struct Coverage<'a> {
    schedule: &'a Object,
    /// `None`: every namespace.
    included: Option<Vec<&'a str>>,
    excluded: Vec<&'a str>,
    /// False when the resource filters leave PersistentVolumeClaims out.
    claims: bool,
    /// Any of these must match a claim's labels; empty: no label filter.
    selectors: Vec<Selector>,
}

impl<'a> Coverage<'a> {
    fn of(schedule: &'a Object) -> Self {
        let template = schedule.raw.path(&["spec", "template"]);
        let list = |key: &str| -> Vec<&'a str> {
            template
                .and_then(|t| t.get(key))
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        };
        let included = list("includedNamespaces");
        let included = (!included.is_empty() && !included.contains(&"*")).then_some(included);
        let is_claims = |r: &&str| {
            matches!(
                r.to_ascii_lowercase().as_str(),
                "*" | "persistentvolumeclaims" | "persistentvolumeclaim" | "pvc" | "pvcs"
            )
        };
        let mut wanted = list("includedResources");
        wanted.extend(list("includedNamespaceScopedResources"));
        let mut unwanted = list("excludedResources");
        unwanted.extend(list("excludedNamespaceScopedResources"));
        let claims = (wanted.is_empty() || wanted.iter().any(is_claims))
            && !unwanted.iter().filter(|r| **r != "*").any(is_claims);
        let mut selectors = Vec::new();
        if let Some(s) = template
            .and_then(|t| t.get("labelSelector"))
            .filter(|n| n.as_map().is_some())
        {
            // A selector Velero would reject makes the backup fail validation; do not
            // guess what it would match.
            selectors.extend(Selector::from_label_selector(s).ok());
        }
        for s in template
            .and_then(|t| t.get("orLabelSelectors"))
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            selectors.extend(Selector::from_label_selector(s).ok());
        }
        Self {
            schedule,
            included,
            excluded: list("excludedNamespaces"),
            claims,
            selectors,
        }
    }

    fn covers_namespace(&self, ns: &str) -> bool {
        let included = self
            .included
            .as_ref()
            .is_none_or(|list| list.iter().any(|p| glob(p, ns)));
        included && !self.excluded.iter().any(|p| glob(p, ns))
    }

    fn covers(&self, ns: &str, labels: Option<Node<'_>>) -> bool {
        self.claims
            && self.covers_namespace(ns)
            && (self.selectors.is_empty() || self.selectors.iter().any(|s| s.matches(labels)))
    }
}

/// Glob match with `*` and `?`, as Velero matches namespace patterns.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn uncovered_finding(
    ns: &str,
    object: Option<&Object>,
    uncovered: &[&str],
    total: usize,
    schedules: &[Coverage<'_>],
) -> Finding {
    let names: Vec<&str> = schedules.iter().map(|s| s.schedule.name.as_str()).collect();
    let in_namespace: Vec<&str> = schedules
        .iter()
        .filter(|s| s.claims && s.covers_namespace(ns))
        .map(|s| s.schedule.name.as_str())
        .collect();
    let count = uncovered.len();
    let claims_word = if count == 1 {
        "PersistentVolumeClaim"
    } else {
        "PersistentVolumeClaims"
    };
    let why = if in_namespace.is_empty() {
        let scope: Vec<String> = schedules
            .iter()
            .map(|s| {
                let inc = s
                    .included
                    .as_ref()
                    .map_or_else(|| "all namespaces".to_owned(), |l| l.join(", "));
                let exc = if s.excluded.is_empty() {
                    String::new()
                } else {
                    format!(" except {}", s.excluded.join(", "))
                };
                let res = if s.claims { "" } else { ", no claims" };
                format!("{}: {inc}{exc}{res}", s.schedule.name)
            })
            .collect();
        format!(
            "no running Schedule includes namespace {ns} ({})",
            scope.join("; ")
        )
    } else {
        format!(
            "the label selectors of {} match none of them",
            name_list(&in_namespace, 3)
        )
    };
    let subject = if count == total {
        format!("{count} {claims_word}")
    } else {
        format!("{count} of its {total} {claims_word}")
    };
    let schedule_hint = names.first().copied().unwrap_or("SCHEDULE");
    INFO.about_maybe(object)
        .title(format!("Namespace {ns}: {subject} not in any backup schedule"))
        .message(format!(
            "Namespace {ns} has {subject} ({}) that no Velero backup schedule covers: {why}. Their data has no restore point if the upgrade fails.",
            name_list(uncovered, 5),
        ))
        .fix(format!(
            "Add {ns} to a Schedule's spec.template.includedNamespaces (for example {schedule_hint}, where it is defined in Git), or include all namespaces (`*`) and exclude the ones you do not want. If the data is deliberately not backed up, list {ns} in excludedNamespaces so the decision is written down."
        ))
        .evidence("Schedule spec, PersistentVolumeClaims")
        .detail("namespace", ns)
        .detail("claims", uncovered.join(", "))
        .detail("schedules", names.join(", "))
        .build()
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("*", "anything"));
        assert!(glob("team-*", "team-a"));
        assert!(!glob("team-*", "teams"));
        assert!(glob("a?c", "abc"));
        assert!(glob("*-prod", "shop-prod"));
        assert!(!glob("shop", "shop2"));
        assert!(glob("", "") && !glob("", "x"));
    }
}
