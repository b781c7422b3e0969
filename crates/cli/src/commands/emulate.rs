//! `mcp-diag emulate`.

use crate::args::EmulateArgs;
use crate::exit::ExitStatus;

pub fn run(_args: &EmulateArgs) -> anyhow::Result<ExitStatus> {
    Err(super::hinted(
        "`mcp-diag emulate` is not available yet",
        "see the open issues",
    ))
}
