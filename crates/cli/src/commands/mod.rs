//! One module per subcommand.

use crate::args::{Cli, Command};
use crate::exit::ExitStatus;

mod data;
mod emulate;
mod explain;
mod live;
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
