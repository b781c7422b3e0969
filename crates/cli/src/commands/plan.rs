//! `mcp-diag plan`.

use crate::args::PlanArgs;
use crate::exit::ExitStatus;

pub fn run(_args: &PlanArgs) -> anyhow::Result<ExitStatus> {
    Err(super::hinted(
        "`mcp-diag plan` is not available yet",
        "see the open issues",
    ))
}
