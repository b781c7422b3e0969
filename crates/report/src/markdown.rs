//! Markdown for a pull-request comment (GitHub-flavoured): a heading, a table of counts per
//! cluster and severity, then one collapsible `<details>` section per severity with a table
//! of findings. GitHub refuses comments over 65,536 characters, so rows are left out past a
//! budget and a note says how many.

use std::fmt::Write;

use mcp_diag_model::{Finding, Severity};

use crate::common::{Rows, file_line, object_name, plural, severity_title};
use crate::{Report, Summary};

/// GitHub's limit on the body of an issue or pull-request comment, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

#[derive(Clone, Copy, Debug)]
pub struct MarkdownOptions {
    /// The longest output, in characters; rows are left out to stay under it.
    pub max_chars: usize,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        Self {
            max_chars: GITHUB_COMMENT_LIMIT,
        }
    }
}

/// Room kept for what follows the last row that fits: the closing lines and notes of this
/// and the later sections (each a few hundred characters) and the final note.
const RESERVE: usize = 2_000;

pub fn render_markdown(report: &Report, options: MarkdownOptions) -> String {
    let s = report.summary;
    let mut out = String::new();
    let verdict = match s.worst() {
        Some(Severity::Blocker) => "blocked",
        Some(_) => "findings",
        None => "no findings",
    };
    let _ = writeln!(out, "## mcp-diag scan: {verdict}\n");
    let _ = writeln!(out, "{}\n", counts_sentence(&s));
    let many = report.clusters.len() > 1;

    out.push_str("| Cluster | Kubernetes | Objects | Blocker | High | Medium | Low | Info |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for c in &report.clusters {
        let cs = Summary::of(&c.findings);
        let versions = format!(
            "{} → {}",
            c.server_version.as_deref().unwrap_or("?"),
            c.target_version.as_deref().unwrap_or("?")
        );
        let name = match &c.error {
            Some(_) => format!("{} (unreachable)", c.name),
            None => c.name.clone(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&name),
            cell(&versions),
            c.objects,
            cs.blocker,
            cs.high,
            cs.medium,
            cs.low,
            cs.info
        );
    }
    out.push('\n');
    for c in &report.clusters {
        if let Some(line) = crate::common::incomplete_line(&c.coverage) {
            let who = if many {
                format!("{}: ", cell(&c.name))
            } else {
                String::new()
            };
            let _ = writeln!(out, "> **{who}{}**\n", cell(&line));
        }
    }

    let mut left_out = 0usize;
    for severity in Severity::DESCENDING {
        let rows: Vec<(&str, &Finding)> = report
            .clusters
            .iter()
            .flat_map(|c| c.findings.iter().map(move |f| (c.name.as_str(), f)))
            .filter(|(_, f)| f.severity == severity)
            .collect();
        if rows.is_empty() {
            continue;
        }
        // Blockers are open at first; the rest are folded.
        let open = if severity == Severity::Blocker {
            " open"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<details{open}>\n<summary><b>{} ({})</b></summary>\n",
            severity_title(severity),
            rows.len()
        );
        if many {
            out.push_str("| Cluster | Check | Object | Location | Message | Fix |\n");
            out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        } else {
            out.push_str("| Check | Object | Location | Message | Fix |\n");
            out.push_str("| --- | --- | --- | --- | --- |\n");
        }
        let mut section = Rows::new(&out, options.max_chars.saturating_sub(RESERVE), left_out > 0);
        for (cluster, f) in &rows {
            let mut row = String::from("|");
            if many {
                let _ = write!(row, " {} |", cell(cluster));
            }
            let _ = writeln!(
                row,
                " `{}` | {} | {} | {} | {} |",
                f.check,
                f.object
                    .as_ref()
                    .map(|o| format!("{} ({})", cell(&object_name(o)), cell(&o.api_version)))
                    .unwrap_or_default(),
                file_line(f).map(|p| cell(&p)).unwrap_or_default(),
                cell(&f.message),
                cell(&f.remediation),
            );
            section.push(&mut out, &row);
        }
        let section_left_out = section.left_out;
        left_out += section_left_out;
        if section_left_out > 0 {
            let _ = writeln!(
                out,
                "\n_{section_left_out} more row{} left out to fit a comment; `--output json` or `--output html` has them all._",
                plural(section_left_out)
            );
        }
        out.push_str("\n</details>\n\n");
    }
    // Ignored findings are listed, with their reasons: a reviewer should see what was waved
    // through, not only what is left.
    let ignored: Vec<(&str, &crate::Suppressed)> = report
        .clusters
        .iter()
        .flat_map(|c| c.suppressed.iter().map(move |s| (c.name.as_str(), s)))
        .collect();
    if !ignored.is_empty() {
        let mut section = format!(
            "<details>\n<summary><b>Ignored ({})</b></summary>\n\n| Check | Severity | Object | Ignored by | Reason | Until |\n| --- | --- | --- | --- | --- | --- |\n",
            ignored.len()
        );
        for (_, s) in &ignored {
            let _ = writeln!(
                section,
                "| `{}` | {} | {} | {} | {} | {} |",
                s.finding.check,
                s.finding.severity,
                s.finding
                    .object
                    .as_ref()
                    .map(|o| cell(&object_name(o)))
                    .unwrap_or_default(),
                s.suppressed_by,
                cell(&s.reason),
                s.until.as_deref().unwrap_or(""),
            );
        }
        section.push_str("\n</details>\n\n");
        if char_len(&out) + char_len(&section) + RESERVE <= options.max_chars {
            out.push_str(&section);
        } else {
            let _ = writeln!(
                out,
                "_{} ignored finding{} not listed to fit a comment; `--output json` lists them with the reasons._\n",
                ignored.len(),
                plural(ignored.len())
            );
        }
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "**{left_out} row{} left out** to stay under GitHub's {} character comment limit.",
            plural(left_out),
            options.max_chars
        );
    }
    out
}

fn counts_sentence(s: &Summary) -> String {
    format!(
        "**{}** blocker{}, **{}** high, **{}** medium, **{}** low, **{}** info",
        s.blocker,
        plural(s.blocker),
        s.high,
        s.medium,
        s.low,
        s.info
    )
}

fn char_len(text: &str) -> usize {
    text.chars().count()
}

/// A table cell: HTML is inert (GitHub renders tags in comments), `|` is escaped, and line
/// breaks become `<br>` so that the row stays on one line.
pub(crate) fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let text = text.trim();
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // Markdown's inline syntax is escaped, so that an object name or message from the
            // input cannot become a link, an image (a tracking pixel in a PR comment) or
            // emphasis: it is shown as written.
            '\\' | '`' | '*' | '_' | '[' | ']' | '!' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("<br>");
                }
            }
            '\n' => out.push_str("<br>"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
