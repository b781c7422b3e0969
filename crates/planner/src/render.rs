//! The plan for people: the verdict, the hops with their blockers, then one table per
//! wave (batch, node, status, pods moved, and the blockers or the reason for its place).

use std::fmt::Write;

use comfy_table::{ContentArrangement, Table, TableStyle};

use crate::{Drainable, Plan, Verdict};

#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    pub color: bool,
    /// Total width in columns.
    pub width: u16,
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const DIM: &str = "\x1b[2m";
const STYLE: TableStyle = comfy_table::presets::UTF8_HORIZONTAL_ONLY;

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub fn render_table(plan: &Plan, options: RenderOptions) -> String {
    let paint = Paint(options.color);
    let mut out = String::new();
    let verdict = match plan.verdict {
        Verdict::Ready => paint.wrap(GREEN, "READY"),
        Verdict::Unknown => paint.wrap(YELLOW, "UNKNOWN"),
        Verdict::Blocked => paint.wrap(RED, "BLOCKED"),
    };
    let _ = writeln!(
        out,
        "{} {} {verdict}",
        paint.wrap(BOLD, &format!("Upgrade plan for {}", plan.cluster)),
        paint.wrap(DIM, &format!("({})", plan.source)),
    );
    let _ = writeln!(
        out,
        "  Kubernetes {} → {}",
        plan.current_version.as_deref().unwrap_or("(version unknown)"),
        plan.target_version
    );

    let _ = writeln!(out, "\n{}", paint.wrap(BOLD, "Control-plane hops"));
    for hop in &plan.hops {
        let status = if hop.blockers.is_empty() {
            paint.wrap(GREEN, "no blocker")
        } else {
            paint.wrap(
                RED,
                &format!("{} blocker{}", hop.blockers.len(), plural(hop.blockers.len())),
            )
        };
        let _ = writeln!(out, "  {} → {}: {status}", hop.from, hop.to);
        for f in &hop.blockers {
            let object = f.object.as_ref().map(|o| format!(" {o}")).unwrap_or_default();
            let _ = writeln!(out, "    - {}{object}: {}", f.check, f.message);
        }
    }

    for wave in &plan.waves {
        let _ = writeln!(
            out,
            "\n{} {}",
            paint.wrap(BOLD, &format!("Wave {}", wave.name)),
            paint.wrap(
                DIM,
                &format!("({} node{})", wave.nodes.len(), plural(wave.nodes.len()))
            )
        );
        let mut table = Table::new();
        table
            .load_style(STYLE)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(options.width)
            .set_header(vec![
                "Batch",
                "Node",
                "Drain",
                "Pods moved",
                "Blockers / why here",
            ]);
        for node in &wave.nodes {
            let status = match node.drainable {
                Drainable::Yes => paint.wrap(GREEN, "drainable"),
                Drainable::No => paint.wrap(RED, "blocked"),
                Drainable::Unknown => paint.wrap(YELLOW, "unknown"),
            };
            let detail = if node.blockers.is_empty() {
                node.reason.clone()
            } else {
                node.blockers
                    .iter()
                    .map(|b| format!("[{}] {}", b.kind.as_str(), b.message))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let mut name = node.name.clone();
            if let (Some(z), Some(p)) = (&node.zone, &node.pool) {
                let _ = write!(name, "\n{z} / {p}");
            }
            table.add_row(vec![
                node.batch.to_string(),
                name,
                status,
                node.pods_evicted.to_string(),
                detail,
            ]);
        }
        let _ = writeln!(out, "{table}");
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "\n{}", paint.wrap(BOLD, "Notes"));
        for note in &plan.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    let s = &plan.summary;
    let _ = writeln!(
        out,
        "\n{} {} node{} in {} batch{}: {} drainable, {} blocked, {} unknown; {} pod{} evicted, {} without a node; {} hop blocker{}",
        paint.wrap(BOLD, "Summary:"),
        s.nodes,
        plural(s.nodes),
        s.batches,
        if s.batches == 1 { "" } else { "es" },
        s.drainable,
        s.blocked,
        s.unknown,
        s.pods_evicted,
        plural(s.pods_evicted),
        s.pods_unschedulable,
        s.hop_blockers,
        plural(s.hop_blockers),
    );
    out
}

/// The plan as pretty JSON (the contract: `schema_version`).
pub fn render_json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
