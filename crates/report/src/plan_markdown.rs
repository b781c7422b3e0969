//! The upgrade plan as Markdown for a pull-request comment: the verdict, a summary table, the
//! control-plane hops, then one collapsible section per wave (open when a node in it is
//! blocked). Rows past GitHub's comment limit are left out with a note.

use std::fmt::Write;

use mcp_diag_planner::{Drainable, NodePlan, Plan, Verdict};

use crate::common::{Rows, object_name, plural};
use crate::markdown::{MarkdownOptions, cell};

/// Room kept for what follows the last row that fits (later sections' headers, notes).
const RESERVE: usize = 3_000;

pub fn render_plan_markdown(plan: &Plan, options: MarkdownOptions) -> String {
    let mut out = String::new();
    let verdict = match plan.verdict {
        Verdict::Ready => "ready",
        Verdict::Unknown => "unknown",
        Verdict::Blocked => "blocked",
    };
    let _ = writeln!(out, "## Upgrade plan for {}: {verdict}\n", cell(&plan.cluster));
    let _ = writeln!(
        out,
        "Kubernetes {} → {} ({})\n",
        cell(plan.current_version.as_deref().unwrap_or("(version unknown)")),
        cell(&plan.target_version),
        cell(&plan.source)
    );
    let s = &plan.summary;
    out.push_str("| Nodes | Drainable | Blocked | Unknown | Batches | Pods evicted | Without a node | Hop blockers |\n");
    out.push_str("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    // With no node predicted, "0 pods evicted" would read as a fact.
    let (evicted, unplaced) = if s.evictions_predicted() {
        (s.pods_evicted.to_string(), s.pods_unschedulable.to_string())
    } else {
        ("not predicted".to_owned(), "not predicted".to_owned())
    };
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {evicted} | {unplaced} | {} |\n",
        s.nodes, s.drainable, s.blocked, s.unknown, s.batches, s.hop_blockers
    );

    if !plan.incomplete.is_empty() {
        out.push_str("**The plan is incomplete**: the input lacks, or may lack, what some verdicts depend on; those nodes are `unknown`.\n\n");
        for gap in &plan.incomplete {
            let _ = writeln!(out, "- **{}**: {}", cell(&gap.kind), cell(&gap.sentence()));
        }
        out.push('\n');
    }
    out.push_str("### Control-plane hops\n\n");
    if plan.hops.is_empty() {
        out.push_str("No hop: the cluster is already at the target.\n\n");
    } else {
        out.push_str("| Hop | Blockers |\n| --- | --- |\n");
        for hop in &plan.hops {
            let blockers = if hop.blockers.is_empty() {
                "none".to_owned()
            } else {
                hop.blockers
                    .iter()
                    .map(|f| {
                        let object = f
                            .object
                            .as_ref()
                            .map(|o| format!(" {}", cell(&object_name(o))))
                            .unwrap_or_default();
                        format!("`{}`{object}: {}", f.check, cell(&f.message))
                    })
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            let _ = writeln!(out, "| {} → {} | {blockers} |", cell(&hop.from), cell(&hop.to));
        }
        out.push('\n');
    }

    let mut left_out = 0usize;
    for wave in &plan.waves {
        let blocked = wave.nodes.iter().any(|n| n.drainable != Drainable::Yes);
        let _ = writeln!(
            out,
            "<details{}>\n<summary><b>{}</b> ({} node{}{})</summary>\n",
            if blocked { " open" } else { "" },
            cell(&wave.title()),
            wave.nodes.len(),
            plural(wave.nodes.len()),
            if blocked { ", not all drainable" } else { "" }
        );
        out.push_str("| Batch | Node | Zone / pool | Drain | Pods moved | Blockers / why here |\n");
        out.push_str("| ---: | --- | --- | --- | ---: | --- |\n");
        let mut section = Rows::new(&out, options.max_chars.saturating_sub(RESERVE), left_out > 0);
        for node in &wave.nodes {
            section.push(&mut out, &node_row(node));
        }
        let section_left_out = section.left_out;
        left_out += section_left_out;
        if section_left_out > 0 {
            let _ = writeln!(
                out,
                "\n_{section_left_out} more node{} left out to fit a comment; `--output json` or `--output html` has them all._",
                plural(section_left_out)
            );
        }
        out.push_str("\n</details>\n\n");
    }
    if !plan.notes.is_empty() {
        out.push_str("### Notes\n\n");
        let mut notes = Rows::new(&out, options.max_chars.saturating_sub(RESERVE / 2), left_out > 0);
        for note in &plan.notes {
            notes.push(&mut out, &format!("- {}\n", cell(note)));
        }
        let notes_left_out = notes.left_out;
        if notes_left_out > 0 {
            let _ = writeln!(
                out,
                "- _{notes_left_out} more note{} left out to fit a comment._",
                plural(notes_left_out)
            );
        }
        out.push('\n');
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "**{left_out} node row{} left out** to stay under GitHub's {} character comment limit.",
            plural(left_out),
            options.max_chars
        );
    }
    out
}

fn node_row(node: &NodePlan) -> String {
    let place = match (&node.zone, &node.pool) {
        (Some(z), Some(p)) => format!("{} / {}", cell(z), cell(p)),
        (Some(z), None) => cell(z),
        (None, Some(p)) => format!("/ {}", cell(p)),
        (None, None) => String::new(),
    };
    let detail = if node.blockers.is_empty() {
        cell(&node.reason)
    } else {
        node.blockers
            .iter()
            .map(|b| format!("**{}** {}", b.kind.as_str(), cell(&b.message)))
            .chain(
                node.remaining
                    .iter()
                    .map(|b| format!("then **{}** {}", b.kind.as_str(), cell(&b.message))),
            )
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let name = if node.control_plane {
        format!("{} (control plane)", cell(&node.name))
    } else {
        cell(&node.name)
    };
    format!(
        "| {} | {name} | {place} | {} | {} | {detail} |\n",
        node.batch,
        node.drainable.as_str(),
        node.pods_evicted
    )
}
