//! The upgrade plan as one self-contained HTML file (no network; see `html.rs`): the verdict,
//! a summary whose node counts the page's script computes from the embedded plan, the hops,
//! one table per wave, and a filter by drain status that hides rows.

use std::fmt::Write;

use mcp_diag_planner::{Plan, Verdict};

use crate::common::{html_escape as esc, json_for_script, object_name};
use crate::html::{BASE_CSS, HEAD_META};

pub fn render_plan_html(plan: &Plan) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n");
    out.push_str(HEAD_META);
    let title = format!("Upgrade plan for {}", plan.cluster);
    let _ = writeln!(out, "<title>{}</title>", esc(&title));
    let _ = writeln!(out, "<style>{BASE_CSS}</style>\n</head>\n<body>");
    let (verdict, class) = match plan.verdict {
        Verdict::Ready => ("READY", "status-drainable"),
        Verdict::Unknown => ("UNKNOWN", "status-unknown"),
        Verdict::Blocked => ("BLOCKED", "status-blocked"),
    };
    let _ = writeln!(
        out,
        "<h1>{} <span class=\"{class}\" id=\"verdict\">{verdict}</span></h1>",
        esc(&title)
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">{}; Kubernetes {} → {}</p>",
        esc(&plan.source),
        esc(plan.current_version.as_deref().unwrap_or("(version unknown)")),
        esc(&plan.target_version)
    );

    if !plan.incomplete.is_empty() {
        out.push_str("<div id=\"incomplete\"><p><b class=\"status-unknown\">The plan is incomplete</b>: the input lacks, or may lack, what some verdicts depend on; those nodes are <code>unknown</code>.</p>\n<ul>\n");
        for gap in &plan.incomplete {
            let _ = writeln!(
                out,
                "<li><b>{}</b>: {}</li>",
                esc(&gap.kind),
                esc(&gap.sentence())
            );
        }
        out.push_str("</ul>\n</div>\n");
    }
    let s = &plan.summary;
    out.push_str("<h2>Summary</h2>\n<table id=\"summary\">\n<tbody>\n");
    // Node counts come from the script (from the data); the rest are the plan's own totals.
    for (label, id) in [
        ("Nodes", "count-nodes"),
        ("Drainable", "count-drainable"),
        ("Blocked", "count-blocked"),
        ("Unknown", "count-unknown"),
    ] {
        let _ = writeln!(
            out,
            "<tr><td>{label}</td><td class=\"num\" id=\"{id}\"></td></tr>"
        );
    }
    // With no node predicted, "0 pods evicted" would read as a fact.
    let predicted = |n: usize| {
        if s.evictions_predicted() {
            n.to_string()
        } else {
            "not predicted".to_owned()
        }
    };
    for (label, n) in [
        ("Batches", s.batches.to_string()),
        ("Pods evicted", predicted(s.pods_evicted)),
        ("Replacements without a node", predicted(s.pods_unschedulable)),
        ("Hop blockers", s.hop_blockers.to_string()),
    ] {
        let _ = writeln!(out, "<tr><td>{label}</td><td class=\"num\">{n}</td></tr>");
    }
    out.push_str("</tbody>\n</table>\n");

    out.push_str("<h2>Control-plane hops</h2>\n");
    if plan.hops.is_empty() {
        out.push_str("<p>No hop: the cluster is already at the target.</p>\n");
    } else {
        out.push_str("<table id=\"hops\">\n<thead><tr><th>Hop</th><th>Blockers</th></tr></thead>\n<tbody>\n");
        for hop in &plan.hops {
            let blockers = if hop.blockers.is_empty() {
                "<span class=\"status-drainable\">none</span>".to_owned()
            } else {
                hop.blockers
                    .iter()
                    .map(|f| {
                        let object = f
                            .object
                            .as_ref()
                            .map(|o| format!(" {}", esc(&object_name(o))))
                            .unwrap_or_default();
                        format!(
                            "<div><code>{}</code>{object}: {}</div>",
                            esc(f.check),
                            esc(&f.message)
                        )
                    })
                    .collect::<String>()
            };
            let _ = writeln!(
                out,
                "<tr><td class=\"nowrap\">{} → {}</td><td>{blockers}</td></tr>",
                esc(&hop.from),
                esc(&hop.to)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }

    out.push_str("<form class=\"filters\" onsubmit=\"return false\">\n<fieldset><legend>Drain</legend>\n");
    for status in ["drainable", "blocked", "unknown"] {
        let _ = writeln!(
            out,
            "<label><input type=\"checkbox\" class=\"status-filter\" value=\"{status}\" checked> {status}</label>"
        );
    }
    out.push_str("</fieldset>\n</form>\n");

    for wave in &plan.waves {
        let _ = writeln!(
            out,
            "<h2>{}</h2>\n<table class=\"wave\">\n<thead><tr><th class=\"num\">Batch</th><th>Node</th><th>Zone / pool</th><th>Drain</th><th class=\"num\">Pods moved</th><th>Blockers / why here</th></tr></thead>\n<tbody>",
            esc(&wave.title())
        );
        for node in &wave.nodes {
            let status = node.drainable.as_str();
            let place = [node.zone.as_deref(), node.pool.as_deref()]
                .into_iter()
                .flatten()
                .map(esc)
                .collect::<Vec<_>>()
                .join(" / ");
            let detail = if node.blockers.is_empty() {
                esc(&node.reason)
            } else {
                node.blockers
                    .iter()
                    .map(|b| format!("<div><b>{}</b> {}</div>", b.kind.as_str(), esc(&b.message)))
                    .chain(node.remaining.iter().map(|b| {
                        format!(
                            "<div class=\"remaining\">then <b>{}</b> {}</div>",
                            b.kind.as_str(),
                            esc(&b.message)
                        )
                    }))
                    .collect::<String>()
            };
            let _ = writeln!(
                out,
                "<tr class=\"node\" data-status=\"{status}\"><td class=\"num\">{}</td><td>{}{}</td><td>{place}</td><td class=\"status-{status}\">{status}</td><td class=\"num\">{}</td><td class=\"msg\">{detail}</td></tr>",
                node.batch,
                esc(&node.name),
                if node.control_plane {
                    " <small>(control plane)</small>"
                } else {
                    ""
                },
                node.pods_evicted,
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if !plan.notes.is_empty() {
        out.push_str("<h2>Notes</h2>\n<ul>\n");
        for note in &plan.notes {
            let _ = writeln!(out, "<li>{}</li>", esc(note));
        }
        out.push_str("</ul>\n");
    }
    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"plan-data\">{}</script>",
        json_for_script(plan)
    );
    let _ = writeln!(out, "<script>{PLAN_JS}</script>\n</body>\n</html>");
    out
}

const PLAN_JS: &str = r#"
(function () {
  "use strict";
  var plan = JSON.parse(document.getElementById("plan-data").textContent);
  var counts = { nodes: 0, drainable: 0, blocked: 0, unknown: 0 };
  plan.waves.forEach(function (w) {
    w.nodes.forEach(function (n) { counts.nodes += 1; counts[n.status] += 1; });
  });
  Object.keys(counts).forEach(function (k) {
    document.getElementById("count-" + k).textContent = String(counts[k]);
  });
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.node"));
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.status-filter"));
  function apply() {
    var wanted = {};
    boxes.forEach(function (b) { wanted[b.value] = b.checked; });
    rows.forEach(function (r) { r.hidden = !wanted[r.dataset.status]; });
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  apply();
})();
"#;
