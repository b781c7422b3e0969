use std::io::Write;

use mcp_diag_checks::{CHECKS, check_info};

use super::hinted;
use crate::args::ExplainArgs;
use crate::exit::ExitStatus;

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    match &args.check {
        None => {
            writeln!(out, "Checks (mcp-diag explain ID for details):\n")?;
            for c in CHECKS {
                writeln!(out, "  {:<30} {:<8} {}", c.id, c.severity.as_str(), c.title)?;
            }
        }
        Some(id) => {
            let Some(info) = check_info(id) else {
                let ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
                return Err(hinted(
                    format!("unknown check {id:?}"),
                    format!("known checks: {}", ids.join(", ")),
                ));
            };
            writeln!(
                out,
                "# {} ({}, default severity {})\n",
                info.id, info.title, info.severity
            )?;
            write!(out, "{}", info.doc)?;
        }
    }
    Ok(ExitStatus::Success)
}
