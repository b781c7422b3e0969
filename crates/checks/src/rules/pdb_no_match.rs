use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Severity};

use crate::budgets::{Budget, BudgetSelector, Mode, coverage};
use crate::rules::workload_single_replica::namespace_of;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pdb-no-match",
    severity: Severity::Low,
    title: "PodDisruptionBudget that matches nothing",
    doc: r#"## What it checks
Every PodDisruptionBudget whose selector matches no pod in its namespace (snapshots), or no
pod template of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod in
its namespace (manifests). In a snapshot a budget that matches no pod but the template of a
workload (scaled to 0, pods not created yet) is not reported. Also reported: a budget
without selector (a null selector matches no pod), a `policy/v1beta1` budget with an empty
selector `{}` (matches no pod there, but every pod of the namespace once converted to
`policy/v1`), and a selector the API server cannot read. When the pods were not read
completely (see `input-incomplete`), "matches no pod" is not reported: the pods it matches may
be among those not read; the selector faults still are.

## Why it matters
A budget that matches nothing protects nothing: usually its selector has a typo or the
workload's labels changed, and the workload it was written for is drained without any
budget, all its pods at once if they share a node.

## Example
PodDisruptionBudget `shop/cart` selects `app: kart`; the pods of Deployment `shop/cart` are
labelled `app: cart`, so a drain may evict both cart replicas together.

## Fix
Make `spec.selector` match the labels of the workload's pod template
(`kubectl get pods -n NS --show-labels`), or delete the budget if its workload is gone.
"#,
};

pub struct PdbNoMatch;

impl Check for PdbNoMatch {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        if ctx.index.of_kind("PodDisruptionBudget").is_empty() {
            return Vec::new();
        }
        let coverage = coverage(ctx);
        // "No pod matches" needs every pod; a recorded gap in the pods read leaves only the
        // selector's own faults to report (input-incomplete names the gap).
        let pods_read = !matches!(ctx.known("", "Pod"), mcp_diag_model::Known::Incomplete(_));
        coverage
            .budgets
            .iter()
            .filter_map(|b| no_match(coverage.mode, b))
            .filter(|f| pods_read || f.details.get("reason").is_none_or(|r| r != "no-match"))
            .collect()
    }
}

fn no_match(mode: Mode, budget: &Budget<'_>) -> Option<Finding> {
    let object = budget.object;
    let ns = namespace_of(object);
    let name = &object.name;
    let selector_json = object
        .raw
        .path(&["spec", "selector"])
        .map_or_else(|| "null".to_owned(), |s| s.to_json().to_string());
    let what = match mode {
        Mode::Pods => format!("no pod in namespace {ns}"),
        Mode::Templates => format!(
            "no pod template of a workload in namespace {ns} of the input (the workload may be deployed from elsewhere)"
        ),
    };
    let (reason, why) = match &budget.selector {
        BudgetSelector::Missing => (
            "no-selector",
            "has no spec.selector, and a null selector matches no pod".to_owned(),
        ),
        BudgetSelector::EmptyBeta => (
            "empty-selector-v1beta1",
            "has an empty selector {}, which matches no pod in policy/v1beta1; once the budget is converted to policy/v1 (v1beta1 is gone since 1.25) the same {} matches every pod of the namespace".to_owned(),
        ),
        BudgetSelector::Invalid(e) => (
            "invalid-selector",
            format!("has a selector the API server cannot use ({e}), so it matches no pod"),
        ),
        BudgetSelector::Parsed(_) => {
            let empty = match mode {
                Mode::Pods => budget.covers.matched == 0 && budget.covers.idle_templates.is_empty(),
                Mode::Templates => budget.covers.matched == 0,
            };
            if !empty {
                return None;
            }
            ("no-match", format!("selects {selector_json}, and {what} carries such labels"))
        }
    };
    let details = BTreeMap::from([
        ("budget", format!("{ns}/{name}")),
        ("selector", selector_json),
        ("reason", reason.to_owned()),
    ]);
    let evidence = match mode {
        Mode::Pods => "pods in the namespace",
        Mode::Templates => "pod templates in the input",
    };
    Some(
        INFO.about(object)
            .title(format!("PodDisruptionBudget {ns}/{name} matches no pod"))
            .message(format!(
                "PodDisruptionBudget {ns}/{name} {why}. It protects nothing during the drains of the upgrade; if it was written for a workload, that workload is drained without a budget."
            ))
            .fix(format!(
                "Make spec.selector of PodDisruptionBudget {ns}/{name} match the labels of the workload's pod template (kubectl get pods -n {ns} --show-labels), or delete the budget if its workload is gone."
            ))
            .evidence(evidence)
            .details(details)
            .build()
    )
}
