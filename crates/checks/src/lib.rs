//! Checks: pure functions from an [`Inventory`] to [`Finding`]s, one file per check.
//!
//! Every check documents itself (what it checks, why it matters for an upgrade, an example,
//! the fix); `mcp-diag explain ID` prints that text.

use mcp_diag_model::{Date, Finding, Inventory, Minor, Severity};
use rayon::prelude::*;

mod api_versions;
pub mod components;
pub mod index;
pub mod quantity;
mod registry;
pub mod rules;
pub mod selector;
pub mod suppress;

pub use components::Component;
pub use registry::{CHECKS, CheckInfo, check_info};
pub use rules::user_rules::{UserRule, UserRules, UserRulesError};

/// What the user asked for, besides the inventory.
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    /// The release the cluster is upgraded to.
    pub target: Minor,
    /// The release the cluster runs now, when known (snapshots and live clusters).
    pub current: Option<Minor>,
    /// The day of the scan (end-of-life dates are compared with it).
    pub today: Date,
    /// Organisation rules from `--rules`.
    pub rules: &'a [UserRule],
    /// Thresholds, overrides and extra inputs (`--config`, `--backup-max-age`, `--desired`).
    pub options: &'a CheckOptions,
}

/// Tunables of the checks, from the command line and `--config`.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// "Now" for ages (backups, restarts): the snapshot's capture time, or the scan time.
    pub now: i64,
    /// The newest completed backup must be younger than this (`--backup-max-age`, 24h).
    pub backup_max_age_secs: u64,
    /// Restarts above which `pod-restarts` reports a container.
    pub restart_threshold: i64,
    /// Percent of allocatable CPU or memory above which a node counts as full.
    pub node_full_percent: u64,
    /// The declared state (`--desired DIR`), for `drift-desired`.
    pub desired: Option<Inventory>,
    /// Check ids not to run.
    pub disabled: std::collections::BTreeSet<String>,
    /// Severity per check id, replacing the default.
    pub severity: std::collections::BTreeMap<String, Severity>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            now: 0,
            backup_max_age_secs: 24 * 3600,
            restart_threshold: 5,
            node_full_percent: 80,
            desired: None,
            disabled: std::collections::BTreeSet::new(),
            severity: std::collections::BTreeMap::new(),
        }
    }
}

/// What every check gets to look at.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub inventory: &'a Inventory,
    /// The release the cluster is upgraded to.
    pub target: Minor,
    /// The release the cluster runs now, when known (snapshots and live clusters).
    pub current: Option<Minor>,
    pub today: Date,
    /// Components detected in the inventory (see [`components::detect`]), found once.
    pub components: &'a [Component<'a>],
    pub rules: &'a [UserRule],
    pub options: &'a CheckOptions,
    /// Shared lookups (objects by kind, pods by node, owners).
    pub index: &'a index::Index<'a>,
}

impl Context<'_> {
    /// The control-plane releases the upgrade passes through, in order, ending at the
    /// target: 1.29 -> 1.32 gives [1.30, 1.31, 1.32]. With the current release unknown, or
    /// equal to the target, only the target.
    pub fn hops(&self) -> Vec<Minor> {
        match self.current {
            Some(current) if current < self.target => current.hops_to(self.target).collect(),
            _ => vec![self.target],
        }
    }
}

/// A check: a documented id and a pure function.
pub trait Check: Sync {
    fn info(&self) -> &'static CheckInfo;
    fn run(&self, ctx: &Context<'_>) -> Vec<Finding>;
}

/// Runs every check in the registry (in parallel) and returns the findings, sorted for
/// reporting, including the inventory's `input-invalid` findings.
pub fn run_all(inventory: &Inventory, settings: &Settings<'_>) -> Vec<Finding> {
    let components = components::detect(inventory);
    let index = index::Index::build(inventory);
    let ctx = Context {
        inventory,
        target: settings.target,
        current: settings.current,
        today: settings.today,
        components: &components,
        rules: settings.rules,
        options: settings.options,
        index: &index,
    };
    run_checks(&ctx)
}

/// Runs every check on a prepared context.
pub fn run_checks(ctx: &Context<'_>) -> Vec<Finding> {
    let disabled = &ctx.options.disabled;
    let mut findings: Vec<Finding> = rules::ALL
        .par_iter()
        .filter(|check| !disabled.contains(check.info().id))
        .flat_map_iter(|check| check.run(ctx))
        .collect();
    findings.extend(ctx.inventory.input_problems.iter().cloned());
    // Findings a check reports under another check's id (custom resources as api-removed),
    // and input findings, are filtered and overridden by the id they carry.
    findings.retain(|f| !disabled.contains(f.check));
    for f in &mut findings {
        if let Some(severity) = ctx.options.severity.get(f.check) {
            f.severity = *severity;
        }
        mcp_diag_model::evidence::classify(f, ctx.inventory.kind);
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings
}

/// Counts findings per severity, most severe first.
pub fn count_by_severity(findings: &[Finding]) -> [(Severity, usize); 5] {
    Severity::DESCENDING.map(|s| (s, findings.iter().filter(|f| f.severity == s).count()))
}
