//! Checks: pure functions from an [`Inventory`] to [`Finding`]s, one file per check.
//!
//! Every check documents itself (what it checks, why it matters for an upgrade, an example,
//! the fix); `mcp-diag explain ID` prints that text.

use mcp_diag_model::coverage::display_kind;
use mcp_diag_model::{Date, Finding, Inventory, Known, Minor, Severity};
use mcp_diag_services::Graph;
use rayon::prelude::*;

/// The `info` of an `impl Check`: `info_from!(INFO);` returns the rule file's `INFO`, and
/// `info_from!(INFO, reads_graph);` also says that the check reads the service graph.
/// Declared before the modules, so that every rule file can use it.
macro_rules! info_from {
    ($info:path) => {
        fn info(&self) -> &'static $crate::CheckInfo {
            &$info
        }
    };
    ($info:path, reads_graph) => {
        info_from!($info);

        fn reads_graph(&self) -> bool {
            true
        }
    };
}

mod api_versions;
pub(crate) mod budgets;
pub mod components;
pub(crate) mod constraints;
pub(crate) mod control_plane;
pub(crate) mod crds;
pub(crate) mod deps;
pub(crate) mod etcd;
pub mod examples;
pub mod finding;
pub(crate) mod gitops;
pub(crate) mod headroom;
pub mod index;
mod info;
pub(crate) mod intree;
pub(crate) mod manifest_diff;
pub(crate) mod mesh;
pub(crate) mod netpol;
pub mod quantity;
pub mod reads;
mod registry;
pub mod rules;
pub mod scope;
pub mod selector;
pub mod suppress;
#[cfg(test)]
mod test_context;
pub(crate) mod velero;
pub(crate) mod version_range;
pub mod words;
pub(crate) mod workloads;

pub use components::Component;
pub use finding::FindingBuilder;
pub use info::CheckInfo;
pub use registry::{CHECKS, check_info};
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
    /// What the config's `services:` section declares (requirements, provided APIs), for the
    /// graph the `dep-*` checks read.
    pub declared: mcp_diag_services::Declared,
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
            declared: mcp_diag_services::Declared::default(),
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
    /// The service dependency graph of the inventory and `options.declared`, built once.
    pub graph: &'a Graph,
}

impl<'a> Context<'a> {
    /// The control-plane releases the upgrade passes through, in order, ending at the
    /// target: 1.29 -> 1.32 gives [1.30, 1.31, 1.32]. With the current release unknown, or
    /// equal to the target, only the target.
    pub fn hops(&self) -> Vec<Minor> {
        upgrade_hops(self.current, self.target)
    }

    /// Whether an object of `(group, kind)` absent from the inventory may be taken as absent
    /// ([`mcp_diag_model::Coverage::judge`]). Checks ask before they conclude from absence.
    pub fn known(&self, group: &str, kind: &str) -> Known<'a> {
        let present = self
            .index
            .of_kind(kind)
            .iter()
            .any(|o| o.group_version().0 == group);
        self.inventory
            .coverage
            .judge(self.inventory.kind, group, kind, present)
    }

    /// Whether the source recorded that `(group, kind)` was not read completely: the checks
    /// that then stay silent leave it to `input-incomplete`, which names them.
    pub fn read_gap(&self, group: &str, kind: &str) -> bool {
        matches!(self.inventory.coverage.of(group, kind), Known::Incomplete(_))
    }

    /// The first of `kinds` whose absent objects may exist, with why, in words
    /// (`Pod (failed: HTTP 500)`, `Pod (none in the input)`); `None` when all are complete.
    pub fn unknown_of(&self, kinds: &[(&str, &str)]) -> Option<String> {
        kinds
            .iter()
            .find_map(|&(group, kind)| match self.known(group, kind) {
                Known::Complete => None,
                Known::Incomplete(read) => Some(gap_words(read)),
                Known::Unrecorded => Some(format!(
                    "{} (none in the input, which does not record whether it was read)",
                    display_kind(group, kind)
                )),
            })
    }
}

/// `Pod (failed: HTTP 500 after 3 attempts)`, `ReplicaSet.apps (timed-out after 120 objects)`.
pub fn gap_words(read: &mcp_diag_model::KindRead) -> String {
    let reason = read.reason.map_or("incomplete", mcp_diag_model::ReadGap::as_str);
    let partial = if read.objects > 0 {
        format!(
            " after {}",
            mcp_diag_model::plural(read.objects, "object", "objects")
        )
    } else {
        String::new()
    };
    let detail = if read.detail.is_empty() {
        String::new()
    } else {
        format!(": {}", read.detail)
    };
    format!("{} ({reason}{partial}{detail})", read.display())
}

/// The releases an upgrade from `current` to `target` passes through, one minor at a time,
/// the target included. Across a major version (`--allow-unknown-target 2.0`) the way is not
/// known: every minor this version knows after `current` is a hop, then the target, so that
/// nothing known on the way is left out of the report.
pub fn upgrade_hops(current: Option<Minor>, target: Minor) -> Vec<Minor> {
    match current {
        Some(current) if current < target && current.major == target.major => {
            current.hops_to(target).collect()
        }
        Some(current) if current < target => {
            let mut hops: Vec<Minor> = current.hops_to(mcp_diag_data::NEWEST_KNOWN_MINOR).collect();
            hops.push(target);
            hops
        }
        _ => vec![target],
    }
}

/// A check: a documented id and a pure function.
pub trait Check: Sync {
    fn info(&self) -> &'static CheckInfo;
    fn run(&self, ctx: &Context<'_>) -> Vec<Finding>;
    /// Whether the check reads [`Context::graph`]. The others run while the graph is being
    /// built, and see an empty one.
    fn reads_graph(&self) -> bool {
        false
    }
}

/// Runs every check in the registry (in parallel) and returns the findings, sorted for
/// reporting, including the inventory's `input-invalid` findings.
pub fn run_all(inventory: &Inventory, settings: &Settings<'_>) -> Vec<Finding> {
    run_all_timed(inventory, settings, None).0
}

/// [`run_all`] with a graph the caller built already (`scan --target-service` needs it too,
/// and builds it once).
pub fn run_all_with_graph(inventory: &Inventory, settings: &Settings<'_>, graph: &Graph) -> Vec<Finding> {
    run_all_timed(inventory, settings, Some(graph)).0
}

/// Where the time of [`run_all_timed`] went: the shared preparations and each check.
/// `MCP_DIAG_TIMINGS=1 mcp-diag scan` prints it; bench/ and BENCHMARKS.md use it to find a
/// check whose cost grows faster than the input.
#[derive(Clone, Debug, Default)]
pub struct Timings {
    /// Preparation (`components and index`), the wall time of all checks together
    /// (`checks`, the service graph built meanwhile) and `sort`, in order.
    pub phases: Vec<(&'static str, std::time::Duration)>,
    /// Each check that ran, by id, slowest first. Checks run in parallel, so these add up
    /// to more than the `checks` phase.
    pub checks: Vec<(&'static str, std::time::Duration)>,
}

impl Timings {
    /// One line per phase and per check, for standard error.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .phases
            .iter()
            .map(|(name, d)| format!("timing: {name} {:.3} s", d.as_secs_f64()))
            .collect();
        out.extend(
            self.checks
                .iter()
                .map(|(id, d)| format!("timing: check {id} {:.3} s", d.as_secs_f64())),
        );
        out
    }
}

/// [`run_all`] that also says where the time went. Measuring costs two clock reads per
/// check, so it is always on; the caller decides whether to print it.
pub fn run_all_timed(
    inventory: &Inventory,
    settings: &Settings<'_>,
    graph: Option<&Graph>,
) -> (Vec<Finding>, Timings) {
    let mut timings = Timings::default();
    let mut clock = std::time::Instant::now();
    let mut lap = |timings: &mut Timings, name: &'static str| {
        let now = std::time::Instant::now();
        timings.phases.push((name, now - clock));
        clock = now;
    };
    let (components, index) = rayon::join(
        || components::detect(inventory),
        || index::Index::build(inventory),
    );
    lap(&mut timings, "components and index");
    let empty = Graph::default();
    // Outlives the contexts that borrow it (the index makes their lifetime invariant).
    let built_graph = std::sync::OnceLock::new();
    let base = Context {
        inventory,
        target: settings.target,
        current: settings.current,
        today: settings.today,
        components: &components,
        rules: settings.rules,
        options: settings.options,
        index: &index,
        graph: &empty,
    };
    let (mut findings, mut checks) = match graph {
        Some(graph) => {
            let ctx = Context { graph, ..base };
            let budgets = prepare_budgets(&ctx);
            let (findings, mut checks) = run_checks_timed(&ctx, |_| true);
            checks.extend(budgets);
            (findings, checks)
        }
        None => {
            // The graph takes as long as a slow check to build, and only the dep-* checks
            // read it: build it while the others run, and not at all when they are disabled.
            let wanted = any_enabled(settings.options, |c| c.reads_graph());
            let (with_graph, without) = rayon::join(
                || {
                    if !wanted {
                        return ((Vec::new(), Vec::new()), std::time::Duration::ZERO);
                    }
                    let started = std::time::Instant::now();
                    let graph =
                        built_graph.get_or_init(|| Graph::build(inventory, &settings.options.declared));
                    let built = started.elapsed();
                    let ctx = Context { graph, ..base };
                    (run_checks_timed(&ctx, |c: &dyn Check| c.reads_graph()), built)
                },
                || {
                    let budgets = prepare_budgets(&base);
                    let (findings, mut checks) = run_checks_timed(&base, |c: &dyn Check| !c.reads_graph());
                    checks.extend(budgets);
                    (findings, checks)
                },
            );
            let ((mut findings, mut checks), built) = with_graph;
            if wanted {
                checks.push(("(the service graph, for the dep-* checks)", built));
            }
            findings.extend(without.0);
            checks.extend(without.1);
            (findings, checks)
        }
    };
    lap(&mut timings, "checks");
    finish(&base, &mut findings);
    if let Some(graph) = built_graph.into_inner()
        && graph.nodes.len() > 10_000
    {
        // Freeing a large graph takes as long as a check: not while the report waits.
        std::thread::spawn(move || drop(graph));
    }
    lap(&mut timings, "sort");
    checks.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    timings.checks = checks;
    (findings, timings)
}

/// The budget coverage the pdb-* checks share, computed (in parallel) before they start:
/// otherwise the first to ask computes it alone while the others wait or compute it too.
/// Its time, when it ran.
fn prepare_budgets(ctx: &Context<'_>) -> Option<(&'static str, std::time::Duration)> {
    if !any_enabled(ctx.options, |c| c.info().id.starts_with("pdb-")) {
        return None;
    }
    let started = std::time::Instant::now();
    budgets::coverage(ctx);
    Some(("(the budget coverage, for the pdb-* checks)", started.elapsed()))
}

/// Whether any check that `pick` selects is enabled: shared work no enabled check reads is
/// not done.
fn any_enabled(options: &CheckOptions, pick: impl Fn(&dyn Check) -> bool) -> bool {
    rules::ALL
        .iter()
        .any(|c| pick(*c) && !options.disabled.contains(c.info().id))
}

/// Runs every check on a prepared context.
pub fn run_checks(ctx: &Context<'_>) -> Vec<Finding> {
    prepare_budgets(ctx);
    let mut findings = run_checks_timed(ctx, |_| true).0;
    finish(ctx, &mut findings);
    findings
}

/// Runs the enabled checks that `pick` selects, in parallel; their findings and the time
/// each took.
fn run_checks_timed(
    ctx: &Context<'_>,
    pick: impl Fn(&dyn Check) -> bool + Sync,
) -> (Vec<Finding>, Vec<(&'static str, std::time::Duration)>) {
    let disabled = &ctx.options.disabled;
    let ran: Vec<(&'static str, std::time::Duration, Vec<Finding>)> = rules::ALL
        .par_iter()
        .filter(|check| pick(**check) && !disabled.contains(check.info().id))
        .map(|check| {
            let started = std::time::Instant::now();
            let found = check.run(ctx);
            (check.info().id, started.elapsed(), found)
        })
        .collect();
    let mut times = Vec::with_capacity(ran.len());
    let mut findings = Vec::new();
    for (id, took, found) in ran {
        times.push((id, took));
        findings.extend(found);
    }
    (findings, times)
}

/// Adds the inventory's input findings, applies `--disable` and severity overrides to every
/// finding (some carry another check's id), classifies the evidence, and sorts for reporting.
fn finish(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    let disabled = &ctx.options.disabled;
    findings.extend(ctx.inventory.input_problems.iter().cloned());
    // Findings a check reports under another check's id (custom resources as api-removed),
    // and input findings, are filtered and overridden by the id they carry.
    findings.retain(|f| !disabled.contains(f.check));
    // On every core: a large inventory has tens of thousands of findings, and this runs
    // after the checks, while nothing else does.
    findings.par_iter_mut().for_each(|f| {
        if let Some(severity) = ctx.options.severity.get(f.check) {
            f.severity = *severity;
        }
        mcp_diag_model::evidence::classify(f, ctx.inventory.kind);
    });
    findings.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// Counts findings per severity, most severe first.
pub fn count_by_severity(findings: &[Finding]) -> [(Severity, usize); 5] {
    Severity::DESCENDING.map(|s| (s, findings.iter().filter(|f| f.severity == s).count()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hops_go_one_minor_at_a_time_and_across_a_major_through_every_known_minor() {
        let m = Minor::new;
        assert_eq!(upgrade_hops(Some(m(1, 29)), m(1, 31)), [m(1, 30), m(1, 31)]);
        assert_eq!(upgrade_hops(None, m(1, 31)), [m(1, 31)]);
        assert_eq!(upgrade_hops(Some(m(1, 31)), m(1, 31)), [m(1, 31)]);
        let across = upgrade_hops(Some(m(1, 35)), m(2, 0));
        let newest = mcp_diag_data::NEWEST_KNOWN_MINOR;
        assert_eq!(across.first(), Some(&m(1, 36)));
        assert!(across.contains(&newest), "{across:?}");
        assert_eq!(across.last(), Some(&m(2, 0)));
    }
}
