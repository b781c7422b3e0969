use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Severity};

use crate::rules::pdb_blocks_drain::{Budget, BudgetSelector, Mode, Want, coverage};
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
        let coverage = coverage(ctx, Want::Counts);
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
                Mode::Pods => budget.matched == 0 && budget.idle_templates.is_empty(),
                Mode::Templates => budget.matched == 0,
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

#[cfg(test)]
mod tests {
    use mcp_diag_model::{Minor, Severity, SourceKind};

    use super::*;
    use crate::rules::pdb_blocks_drain::test_util::{budget, deployment, run_on};
    use crate::rules::test_support::run_check;

    fn snapshot(yaml: &str) -> Vec<Finding> {
        run_check(INFO.id, yaml, Minor::new(1, 30), Some(Minor::new(1, 29)))
    }

    #[test]
    fn selector_with_a_typo_matches_nothing() {
        let yaml = deployment("shop", "cart", "  replicas: 2\n", 2)
            + &budget("shop", "cart", "kart", "maxUnavailable: 1", "");
        let f = snapshot(&yaml);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Low);
        assert!(
            f[0].message.contains("{\"matchLabels\":{\"app\":\"kart\"}}"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message.contains("no pod in namespace shop"),
            "{}",
            f[0].message
        );
        let f = run_on(&PdbNoMatch, &yaml, SourceKind::Manifests);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("no pod template"), "{}", f[0].message);
    }

    #[test]
    fn nearest_negatives_matching_pods_templates_or_scaled_to_zero() {
        let yaml = deployment("shop", "cart", "  replicas: 2\n", 2)
            + &budget("shop", "cart", "cart", "maxUnavailable: 1", "");
        assert!(snapshot(&yaml).is_empty());
        assert!(run_on(&PdbNoMatch, &yaml, SourceKind::Manifests).is_empty());
        // Scaled to 0: no pod, but the template matches.
        let yaml = deployment("shop", "cart", "  replicas: 0\n", 0)
            + &deployment("shop", "other", "  replicas: 1\n", 1)
            + &budget("shop", "cart", "cart", "maxUnavailable: 1", "");
        assert!(snapshot(&yaml).is_empty());
        // Same labels in another namespace do not count.
        let yaml = deployment("other", "cart", "  replicas: 2\n", 2)
            + &budget("shop", "cart", "cart", "maxUnavailable: 1", "");
        assert_eq!(snapshot(&yaml).len(), 1);
    }

    #[test]
    fn missing_empty_and_invalid_selectors() {
        let pods = deployment("ns", "web", "  replicas: 2\n", 2);
        let none = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: none, namespace: ns}\nspec: {maxUnavailable: 1}\n---\n";
        let f = snapshot(&(pods.clone() + none));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].details["reason"], "no-selector");
        // policy/v1 {} matches every pod of the namespace; v1beta1 {} matches none.
        let v1 = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: all, namespace: ns}\nspec: {maxUnavailable: 1, selector: {}}\n---\n";
        assert!(snapshot(&(pods.clone() + v1)).is_empty());
        let beta = v1.replace("policy/v1", "policy/v1beta1");
        let f = run_on(&PdbNoMatch, &(pods.clone() + &beta), SourceKind::Manifests);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].details["reason"], "empty-selector-v1beta1");
        let bad = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: bad, namespace: ns}\nspec:\n  selector: {matchExpressions: [{key: app, operator: Near}]}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: text, namespace: ns}\nspec: {selector: app=web}\n";
        let f = snapshot(&(pods + bad));
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(f.iter().all(|f| f.details["reason"] == "invalid-selector"));
    }

    #[test]
    fn no_match_is_not_claimed_when_the_pods_read_failed() {
        use crate::rules::test_support::{live_with_gap, run_on};
        let yaml = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: cart, namespace: shop}\nspec: {minAvailable: 1, selector: {matchLabels: {app: kart}}}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: bare, namespace: shop}\nspec: {minAvailable: 1}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: c, image: nginx}]}\n";
        let m = mcp_diag_model::Minor::new;
        let inv = live_with_gap(yaml, "", "Pod", 1);
        let f = run_on("pdb-no-match", &inv, m(1, 30), Some(m(1, 29)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].details["reason"], "no-selector");
        let mut complete = inv.clone();
        complete
            .coverage
            .record(mcp_diag_model::KindRead::complete("", "Pod", 1));
        assert_eq!(
            run_on("pdb-no-match", &complete, m(1, 30), Some(m(1, 29))).len(),
            2
        );
    }
}
