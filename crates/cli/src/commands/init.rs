//! `mcp-diag init --upgrade`: the commented starter config, on standard output.

use std::io::Write as _;

use anyhow::Context as _;

use super::hinted;
use crate::args::InitArgs;
use crate::exit::ExitStatus;

pub fn run(args: &InitArgs) -> anyhow::Result<ExitStatus> {
    if !args.upgrade {
        // The other starters (services, probes) come with the commands that read them.
        return Err(hinted(
            "`mcp-diag init` has only the upgrade starter so far",
            "run `mcp-diag init --upgrade > upgrade.yaml`",
        ));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(mcp_diag_rollout::config_file::STARTER.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write the starter config to standard output")?;
    Ok(ExitStatus::Success)
}
