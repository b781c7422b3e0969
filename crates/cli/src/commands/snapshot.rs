//! `mcp-diag snapshot`: capture live clusters into snapshot directories.

use std::io::Write as _;

use mcp_diag_sources::{WriteError, safe_name, write_snapshot};

use super::{hinted, live};
use crate::args::SnapshotArgs;
use crate::exit::ExitStatus;

pub fn run(args: &SnapshotArgs) -> anyhow::Result<ExitStatus> {
    let clusters = live::read(&args.live)?;
    let several = clusters.len() > 1;
    let mut failed = 0;
    let mut stderr = std::io::stderr().lock();
    for cluster in clusters {
        let inventory = match cluster.result {
            Ok(inventory) => inventory,
            Err(error) => {
                let _ = writeln!(stderr, "error: {}: {error}", cluster.name);
                failed += 1;
                continue;
            }
        };
        // Several clusters: one directory each, named after its context.
        let dir = if several {
            args.output.join(safe_name(&cluster.name))
        } else {
            args.output.clone()
        };
        let stats = write_snapshot(&inventory, &dir).map_err(|e| match e {
            WriteError::NotEmpty { .. } => hinted(
                e.to_string(),
                "a snapshot is never written over another; give a new or empty directory",
            ),
            WriteError::Io { .. } => hinted(e.to_string(), "check that the directory can be written"),
        })?;
        for problem in &inventory.input_problems {
            let _ = writeln!(stderr, "warning: {}: {}", cluster.name, problem.message);
        }
        let _ = writeln!(
            stderr,
            "{}: wrote {} objects ({} from Helm releases) in {} files to {}",
            cluster.name,
            stats.objects,
            inventory.helm_objects.len(),
            stats.files,
            dir.display()
        );
        // A snapshot of a partial read is still worth having, but it must not pass for whole.
        let gaps: Vec<String> = inventory.coverage.gaps().map(|k| k.display()).collect();
        if !gaps.is_empty() {
            let _ = writeln!(
                stderr,
                "  INCOMPLETE: {} not read completely (recorded in {}/cluster.yaml, so scans and plans of it say so too)",
                gaps.join(", "),
                dir.display()
            );
        }
        let _ = writeln!(stderr, "  scan it with: mcp-diag scan {}", dir.display());
    }
    Ok(if failed > 0 {
        ExitStatus::Error
    } else {
        ExitStatus::Success
    })
}
