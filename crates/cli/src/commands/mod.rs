//! One module per subcommand.

use std::io::IsTerminal;

use mcp_diag_data::NEWEST_KNOWN_MINOR;
use mcp_diag_model::{Date, KubeVersion, Minor, Severity};

use crate::args::{Cli, ColorChoice, Command, FailOn, Level};
use crate::exit::ExitStatus;
pub use crate::hint::{did_you_mean, hinted};

mod data;
mod emulate;
mod explain;
mod gates;
pub mod graph;
mod init;
mod inputs;
mod live;
mod manual;
mod output;
mod plan;
pub mod probe;
mod probe_job;
mod rehearse;
mod scan;
mod snapshot;
mod upgrade;

/// `--fail-on` as a threshold: `None` for `--fail-on none` (report only).
pub fn fail_on(f: FailOn) -> Option<Severity> {
    Some(match f {
        FailOn::Blocker => Severity::Blocker,
        FailOn::High => Severity::High,
        FailOn::Medium => Severity::Medium,
        FailOn::Low => Severity::Low,
        FailOn::Info => Severity::Info,
        FailOn::None => return None,
    })
}

/// A severity filter flag as a severity.
pub fn level(l: Level) -> Severity {
    match l {
        Level::Blocker => Severity::Blocker,
        Level::High => Severity::High,
        Level::Medium => Severity::Medium,
        Level::Low => Severity::Low,
        Level::Info => Severity::Info,
    }
}

/// The threshold from the flag, else the settings file, else `high`; `None` when either
/// says `none` (a report-only run).
pub fn threshold(flag: Option<FailOn>, config: &crate::config::Config) -> Option<Severity> {
    match flag {
        Some(f) => fail_on(f),
        None if config.report_only => None,
        None => Some(config.fail_on.unwrap_or(Severity::High)),
    }
}

/// `--target-version` read as a release this tool can speak for. One minor past the newest
/// it knows is allowed with a warning (a release may be out before the tables are updated);
/// further is refused unless `--allow-unknown-target`, because its removals are unknown and
/// the report would look cleaner than the truth.
pub fn parse_target(text: &str, allow_unknown: bool) -> anyhow::Result<Minor> {
    let target = KubeVersion::parse(text).map(|v| v.minor()).map_err(|e| {
        hinted(
            format!("--target-version: {e}"),
            "give a Kubernetes release such as --target-version 1.32",
        )
    })?;
    let newest = NEWEST_KNOWN_MINOR;
    if target > newest.next() && !allow_unknown {
        return Err(hinted(
            format!(
                "--target-version {text}: this version of mcp-diag knows Kubernetes up to {newest}; \
                 what {target} removes or changes is unknown to it, so a clean report would mean nothing"
            ),
            format!(
                "choose a target up to {}, update mcp-diag, or add --allow-unknown-target to scan anyway",
                newest.next()
            ),
        ));
    }
    if target > newest {
        eprintln!(
            "warning: mcp-diag knows API changes up to Kubernetes {newest}; removals in {target} that came later are not known to this version"
        );
    }
    Ok(target)
}

/// Whether to colour a table, and how wide to make it: `COLUMNS`, else the width of the
/// terminal on standard output (shells seldom export `COLUMNS`), else 140.
pub fn color_and_width(choice: ColorChoice) -> (bool, u16) {
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0))
        .unwrap_or(140)
        .clamp(60, 400);
    (color, width)
}

/// Seconds since the epoch: the system clock, or `MCP_DIAG_NOW` when set.
pub fn now_utc() -> i64 {
    mcp_diag_model::time::now()
}

/// Today's date in UTC, from the system clock.
pub fn today_utc() -> Date {
    Date::from_unix_days(now_utc() / 86_400)
}

pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Init(args) => init::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Data(args) => data::run(&args),
        Command::Snapshot(args) => snapshot::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Emulate(args) => emulate::run(&args),
        Command::Rehearse(args) => rehearse::run(&args),
        Command::Gates(args) => gates::run(&args),
        Command::Probe(args) => probe::run(&args),
        Command::Upgrade(args) => upgrade::run(&args),
        Command::Completions(args) => manual::completions(&args),
        Command::Man(args) => manual::man(&args),
    }
}
