//! Checks: pure functions from an [`Inventory`] to [`Finding`]s, one file per check.
//!
//! Every check documents itself (what it checks, why it matters for an upgrade, an example,
//! the fix); `mcp-diag explain ID` prints that text.

use mcp_diag_model::{Finding, Inventory, Minor, Severity};
use rayon::prelude::*;

mod api_versions;
mod registry;
pub mod rules;

pub use registry::{CHECKS, CheckInfo, check_info};

/// What every check gets to look at.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    /// The release the cluster is upgraded to.
    pub target: Minor,
    /// The release the cluster runs now, when known (snapshots and live clusters).
    pub current: Option<Minor>,
}

/// A check: a documented id and a pure function.
pub trait Check: Sync {
    fn info(&self) -> &'static CheckInfo;
    fn run(&self, ctx: &Context<'_>) -> Vec<Finding>;
}

/// Runs every check in the registry (in parallel) and returns the findings, sorted for
/// reporting, including the inventory's `input-invalid` findings.
pub fn run_all(ctx: &Context<'_>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules::ALL
        .par_iter()
        .flat_map_iter(|check| check.run(ctx))
        .collect();
    findings.extend(ctx.inventory.input_problems.iter().cloned());
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings
}

/// Counts findings per severity, most severe first.
pub fn count_by_severity(findings: &[Finding]) -> [(Severity, usize); 5] {
    Severity::DESCENDING.map(|s| (s, findings.iter().filter(|f| f.severity == s).count()))
}
