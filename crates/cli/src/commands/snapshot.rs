//! `mcp-diag snapshot`.

use crate::args::SnapshotArgs;
use crate::exit::ExitStatus;

pub fn run(_args: &SnapshotArgs) -> anyhow::Result<ExitStatus> {
    Err(super::hinted(
        "`mcp-diag snapshot` is not available yet",
        "see the open issues",
    ))
}
