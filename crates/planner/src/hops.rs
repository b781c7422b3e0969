//! Control-plane hops: one minor at a time, each with the blocker findings of `scan` for
//! that hop's target that no earlier hop had.

use std::collections::HashSet;

use mcp_diag_checks::{Context, components, index, run_checks};
use mcp_diag_model::{Finding, Inventory, Minor, Severity};

use crate::{Hop, PlanOptions};

/// The hops, and the worst severity of any finding of the final target.
pub(crate) fn hops(
    inventory: &Inventory,
    current: Option<Minor>,
    options: &PlanOptions,
) -> (Vec<Hop>, Option<Severity>) {
    let targets: Vec<Minor> = mcp_diag_checks::upgrade_hops(current, options.target);
    let mut hops = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut worst = None;
    let mut from = current.map_or_else(|| "unknown".to_owned(), |c| c.to_string());
    // The lookups the checks share are built once for every hop (what `run_all` does per
    // call).
    let prepared = options.run_checks.then(|| {
        (
            components::detect(inventory),
            index::Index::build(inventory),
            mcp_diag_services::Graph::build(inventory, &options.check_options.declared),
        )
    });
    for (k, &target) in targets.iter().enumerate() {
        let mut blockers = Vec::new();
        if let Some((components, index, graph)) = &prepared {
            let findings = run_checks(&Context {
                inventory,
                target,
                current,
                today: options.today,
                components,
                rules: &options.rules,
                options: &options.check_options,
                index,
                graph,
            });
            // Ignores apply as in `scan`: an ignored blocker is no hop blocker (and `scan`
            // lists it as suppressed, with its reason).
            let findings =
                mcp_diag_checks::suppress::apply(findings, inventory, &options.ignores, options.today).kept;
            if k + 1 == targets.len() {
                worst = findings.iter().map(|f| f.severity).max();
            }
            for f in findings {
                if f.severity == Severity::Blocker && seen.insert(identity(&f)) {
                    blockers.push(f);
                }
            }
        }
        hops.push(Hop {
            from: from.clone(),
            to: target.to_string(),
            blockers,
        });
        from = target.to_string();
    }
    (hops, worst)
}

/// What makes a finding the same finding at another hop (messages may name the target).
fn identity(f: &Finding) -> String {
    format!(
        "{}|{:?}|{:?}|{}",
        f.check,
        f.object,
        f.location.as_ref().map(ToString::to_string),
        f.title
    )
}
