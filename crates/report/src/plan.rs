//! The plan for people: the verdict, the hops with their blockers, then each wave's nodes
//! (batch, node, status, pods moved, and the blockers or the reason for its place), all
//! wrapped at spaces to the terminal's width so that no name is cut; and the plan as JSON.
//! Rendering lives here, not in the planner, which returns data only.

use std::fmt::Write;

use mcp_diag_model::{Severity, text};

use mcp_diag_planner::{Drainable, NodePlan, Plan, Verdict, Wave};

#[derive(Clone, Copy, Debug)]
pub struct PlanTableOptions {
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

pub fn render_plan_table(plan: &Plan, options: PlanTableOptions) -> String {
    let paint = Paint(options.color);
    let width = usize::from(options.width);
    let mut out = String::new();
    let (verdict_color, verdict_text) = match plan.verdict {
        Verdict::Ready => (GREEN, "READY"),
        Verdict::Unknown => (YELLOW, "UNKNOWN"),
        Verdict::Blocked => (RED, "BLOCKED"),
    };
    let verdict = paint.wrap(verdict_color, verdict_text);
    let title = format!("Upgrade plan for {}", plan.cluster);
    let source = format!("({})", plan.source);
    // The source is a path: on a line of its own when the three do not fit one.
    let gap = if text::width(&title) + text::width(&source) + verdict_text.len() + 2 <= width {
        " "
    } else {
        "\n  "
    };
    let _ = writeln!(
        out,
        "{}{gap}{} {verdict}",
        paint.wrap(BOLD, &title),
        paint.wrap(DIM, &source),
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
            let line = format!("{}{object}: {}", f.check, f.message);
            for line in text::wrap_hanging(&line, width, "    - ", "      ") {
                let _ = writeln!(out, "{line}");
            }
        }
    }

    for wave in &plan.waves {
        let _ = writeln!(
            out,
            "\n{} {}",
            paint.wrap(BOLD, &wave.title()),
            paint.wrap(
                DIM,
                &format!("({} node{})", wave.nodes.len(), plural(wave.nodes.len()))
            )
        );
        render_wave(wave, plan.summary.evictions_predicted(), width, &paint, &mut out);
    }
    if !plan.notes.is_empty() {
        let _ = writeln!(out, "\n{}", paint.wrap(BOLD, "Notes"));
        for note in &plan.notes {
            for line in text::wrap_hanging(note, width, "  - ", "    ") {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    let s = &plan.summary;
    // With no node predicted, "0 pods evicted" would read as a fact.
    let evictions = if s.evictions_predicted() {
        format!(
            "{} pod{} evicted, {} without a node",
            s.pods_evicted,
            plural(s.pods_evicted),
            s.pods_unschedulable
        )
    } else {
        "evictions not predicted".to_owned()
    };
    let summary = format!(
        "{} node{} in {} batch{}: {} drainable, {} blocked, {} unknown; {evictions}; {} hop blocker{}",
        s.nodes,
        plural(s.nodes),
        s.batches,
        if s.batches == 1 { "" } else { "es" },
        s.drainable,
        s.blocked,
        s.unknown,
        s.hop_blockers,
        plural(s.hop_blockers),
    );
    // The exit status also counts the hops' scan findings below blocker, which the plan does
    // not list: say so, or a "ready" plan exits 2 without a word about why.
    let summary = match plan
        .worst_finding
        .filter(|w| *w < Severity::Blocker && *w > Severity::Info)
    {
        Some(worst) => format!(
            "{summary}; the scan of the hops also finds {worst} findings (`mcp-diag scan` lists them; they count for --fail-on)"
        ),
        None => summary,
    };
    let summary = if plan.incomplete.is_empty() {
        summary
    } else {
        let gaps: Vec<String> = plan
            .incomplete
            .iter()
            .map(mcp_diag_planner::InputGap::short)
            .collect();
        format!(
            "{summary}; the plan is INCOMPLETE: {} (see the notes)",
            gaps.join("; ")
        )
    };
    // "Summary:" is painted after wrapping, so that escape codes do not count as width.
    let lines = text::wrap_hanging(&summary, width, "Summary: ", "  ");
    out.push('\n');
    for (i, line) in lines.iter().enumerate() {
        match line.strip_prefix("Summary:").filter(|_| i == 0) {
            Some(rest) => {
                let _ = writeln!(out, "{}{rest}", paint.wrap(BOLD, "Summary:"));
            }
            None => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

fn status(node: &NodePlan, paint: &Paint) -> String {
    match node.drainable {
        Drainable::Yes => paint.wrap(GREEN, "drainable"),
        Drainable::No => paint.wrap(RED, "blocked"),
        Drainable::Unknown => paint.wrap(YELLOW, "unknown"),
    }
}

/// The blockers of a node, one per line, then what remains once they are fixed, or the
/// reason for its place.
fn detail_lines(node: &NodePlan, width: usize, first: &str, rest: &str) -> Vec<String> {
    if node.blockers.is_empty() {
        return text::wrap_hanging(&node.reason, width, first, first);
    }
    // What remains after the first blocker can be long (every budget the replacements would
    // strain); the table shows a few and counts the rest, the JSON has them all.
    const REMAINING_SHOWN: usize = 3;
    let then = node.remaining.iter().take(REMAINING_SHOWN).map(|b| (b, "then: "));
    let mut lines: Vec<String> = node
        .blockers
        .iter()
        .map(|b| (b, ""))
        .chain(then)
        .flat_map(|(b, prefix)| {
            let line = format!("{prefix}[{}] {}", b.kind.as_str(), b.message);
            text::wrap_hanging(&line, width, first, rest)
        })
        .collect();
    let hidden = node.remaining.len().saturating_sub(REMAINING_SHOWN);
    if hidden > 0 {
        let line = format!(
            "then: {hidden} more {} once the first is fixed (all of them in --output json, markdown or html)",
            if hidden == 1 { "blocker" } else { "blockers" }
        );
        lines.extend(text::wrap_hanging(&line, width, first, rest));
    }
    lines
}

/// Each node of a wave as a line of facts, its blockers (or the reason for its place) under
/// it. Not a table: the blockers hold long words (pod names, `namespace/name`) that a
/// column would cut or squeeze to a few words a line; the demo's waves fit no table at 120
/// columns.
fn render_wave(wave: &Wave, predicted: bool, width: usize, paint: &Paint, out: &mut String) {
    for node in &wave.nodes {
        let mut facts = vec![format!("batch {}", node.batch), node.name.clone()];
        if let (Some(z), Some(p)) = (&node.zone, &node.pool) {
            facts.push(format!("{z} / {p}"));
        }
        let plain = status(node, &Paint(false));
        facts.push(plain.clone());
        if predicted {
            facts.push(format!(
                "{} pod{} moved",
                node.pods_evicted,
                plural(node.pods_evicted)
            ));
        }
        // The status is painted after wrapping, so that escape codes do not count as width.
        let marked = format!(" · {plain}");
        for line in text::wrap_hanging(&facts.join(" · "), width, "  ", "    ") {
            let line = line.replacen(&marked, &format!(" · {}", status(node, paint)), 1);
            let _ = writeln!(out, "{line}");
        }
        for line in detail_lines(node, width, "    ", "      ") {
            let _ = writeln!(out, "{line}");
        }
    }
}

/// The plan as pretty JSON (the contract: `schema_version`).
pub fn render_plan_json(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
