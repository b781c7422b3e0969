//! One module per subcommand.

use std::io::IsTerminal;

use mcp_diag_model::{Date, Severity};

use crate::args::{Cli, ColorChoice, Command, FailOn};
use crate::exit::ExitStatus;

mod data;
mod emulate;
mod explain;
mod live;
mod output;
mod plan;
mod scan;
mod snapshot;

/// An error with advice on what to do about it.
#[derive(Debug)]
pub struct Hinted {
    pub message: String,
    pub hint: String,
}

impl std::fmt::Display for Hinted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

pub fn hinted(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hinted {
        message: message.into(),
        hint: hint.into(),
    })
}

/// `--fail-on` as a severity.
pub fn fail_on(f: FailOn) -> Severity {
    match f {
        FailOn::Blocker => Severity::Blocker,
        FailOn::High => Severity::High,
        FailOn::Medium => Severity::Medium,
        FailOn::Low => Severity::Low,
        FailOn::Info => Severity::Info,
    }
}

/// Whether to colour a table, and how wide to make it (`COLUMNS`, else 140).
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
        Command::Scan(args) => scan::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Data(args) => data::run(&args),
        Command::Snapshot(args) => snapshot::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Emulate(args) => emulate::run(&args),
    }
}
