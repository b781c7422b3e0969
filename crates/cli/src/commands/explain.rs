use std::io::Write;

use mcp_diag_checks::{CHECKS, check_info};

use super::{did_you_mean, hinted};
use crate::args::ExplainArgs;
use crate::exit::ExitStatus;

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    match &args.check {
        None if args.markdown => {
            writeln!(out, "| id | default severity | what it finds |")?;
            writeln!(out, "|---|---|---|")?;
            for c in CHECKS {
                writeln!(
                    out,
                    "| `{}` | {} | {} |",
                    c.id,
                    c.severity,
                    c.title.replace('|', "\\|")
                )?;
            }
        }
        None => {
            writeln!(out, "Checks (mcp-diag explain ID for details):\n")?;
            // Columns as wide as the longest id, so that no row is pushed out of line.
            let width = CHECKS.iter().map(|c| c.id.len()).max().unwrap_or(0);
            for c in CHECKS {
                writeln!(out, "  {:<width$}  {:<7}  {}", c.id, c.severity.as_str(), c.title)?;
            }
        }
        Some(id) => {
            // Ids are lower case; `API-Removed` or ` api-removed ` mean the same check.
            let wanted = id.trim().to_ascii_lowercase();
            let Some(info) = check_info(&wanted) else {
                let hint = did_you_mean(&wanted, CHECKS.iter().map(|c| c.id))
                    .unwrap_or_else(|| "`mcp-diag explain` lists every check".to_owned());
                return Err(hinted(format!("unknown check {id:?}"), hint));
            };
            writeln!(
                out,
                "# {} ({}, default severity {})\n",
                info.id, info.title, info.severity
            )?;
            write!(out, "{}", info.doc)?;
            // The example case the tests run, and what they recorded for it: an example that
            // is proven to produce the finding, next to the prose one above.
            if let Some(example) = mcp_diag_checks::examples::example(info.id) {
                writeln!(
                    out,
                    "\n## Example case, as the tests run it
"
                )?;
                match example.case_parts() {
                    Some((about, input)) => {
                        if !about.is_empty() {
                            writeln!(out, "{about}\n")?;
                        }
                        writeln!(
                            out,
                            "Input (crates/checks/tests/fixtures/{}/example.yaml):\n\n```yaml\n{}\n```\n",
                            info.id,
                            input.trim_end()
                        )?;
                    }
                    None => writeln!(
                        out,
                        "Input: the snapshot directory crates/checks/tests/fixtures/{}/example/.\n",
                        info.id
                    )?,
                }
                writeln!(
                    out,
                    "What {} reports on it:\n\n```\n{}\n```",
                    info.id,
                    example.findings()
                )?;
            }
        }
    }
    Ok(ExitStatus::Success)
}
