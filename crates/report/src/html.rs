//! One self-contained HTML file: a summary, one table per cluster, and filters by severity
//! and by check that hide rows. No network at all: CSS and JS are inline, and a
//! Content-Security-Policy of `default-src 'none'` keeps the browser from fetching anything
//! even if some text got through as markup. The report itself is embedded as JSON
//! (`<script type="application/json" id="report-data">`); the page's script computes the
//! counts from it, so what the summary shows is what the data holds.

use std::collections::BTreeMap;
use std::fmt::Write;

use mcp_diag_model::Severity;

use crate::Report;
use crate::common::{file_line, html_escape as esc, json_for_script, object_name, severity_title};

/// Shared by the scan and plan pages.
pub(crate) const HEAD_META: &str = "<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n";

pub(crate) const BASE_CSS: &str = r#"
:root { color-scheme: light dark; --line: #8884; --muted: #777; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem; max-width: 110rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; }
.meta { color: var(--muted); margin: 0 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 1rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { position: sticky; top: 0; background: Canvas; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
#summary { width: auto; min-width: 22rem; }
code { font-family: ui-monospace, monospace; font-size: .95em; }
/* Paths and names may break after a slash (<wbr>); identifiers never break inside. */
td { overflow-wrap: break-word; }
table.findings { table-layout: fixed; }
col.c-sev { width: 5.5rem; } col.c-check { width: 15rem; }
col.c-object, col.c-location { width: 16%; }
.nowrap { white-space: nowrap; }
.sev { font-weight: 600; white-space: nowrap; }
.sev-blocker .sev, .status-blocked { color: #c00; }
.sev-high .sev { color: #d4380d; }
.sev-medium .sev, .status-unknown { color: #b8860b; }
.sev-low .sev { color: #1677aa; }
.sev-info .sev { color: var(--muted); }
.status-drainable { color: #2e7d32; }
.filters { display: flex; flex-wrap: wrap; gap: 1rem 2rem; align-items: center; margin: .5rem 0 1rem; }
.filters fieldset { border: 1px solid var(--line); padding: .25rem .75rem; }
.filters label { margin-right: .75rem; white-space: nowrap; }
.msg { white-space: pre-wrap; }
.error { color: #c00; font-weight: 600; }
"#;

pub fn render_html(report: &Report) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n");
    out.push_str(HEAD_META);
    let title = match report.clusters.as_slice() {
        [one] => format!("mcp-diag scan: {}", one.name),
        many => format!("mcp-diag scan: {} clusters", many.len()),
    };
    let _ = writeln!(out, "<title>{}</title>", esc(&title));
    let _ = writeln!(out, "<style>{BASE_CSS}</style>\n</head>\n<body>");
    let _ = writeln!(out, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} {}; target Kubernetes {}</p>",
        esc(report.tool.name),
        esc(report.tool.version),
        esc(report
            .target_version
            .as_deref()
            .unwrap_or("per cluster (see below)")),
    );

    // The summary: the script fills the counts from the embedded data.
    out.push_str("<h2>Summary</h2>\n<table id=\"summary\">\n<thead><tr><th>Severity</th><th class=\"num\">Findings</th><th class=\"num\">Shown</th></tr></thead>\n<tbody>\n");
    for s in Severity::DESCENDING {
        let _ = writeln!(
            out,
            "<tr class=\"sev-{0}\"><td class=\"sev\">{1}</td><td class=\"num\" id=\"count-{0}\"></td><td class=\"num\" id=\"shown-{0}\"></td></tr>",
            s.as_str(),
            severity_title(s)
        );
    }
    out.push_str("<tr><td><b>Total</b></td><td class=\"num\" id=\"count-total\"></td><td class=\"num\" id=\"shown-total\"></td></tr>\n</tbody>\n</table>\n");

    // Filters: one checkbox per severity, one select for the check.
    let mut checks: BTreeMap<&str, usize> = BTreeMap::new();
    for f in report.clusters.iter().flat_map(|c| &c.findings) {
        *checks.entry(f.check).or_default() += 1;
    }
    out.push_str("<form class=\"filters\" id=\"filters\" onsubmit=\"return false\">\n<fieldset><legend>Severity</legend>\n");
    for s in Severity::DESCENDING {
        let _ = writeln!(
            out,
            "<label><input type=\"checkbox\" class=\"severity-filter\" value=\"{}\" checked> {}</label>",
            s.as_str(),
            severity_title(s)
        );
    }
    out.push_str(
        "</fieldset>\n<label>Check <select id=\"check-filter\">\n<option value=\"\">All checks</option>\n",
    );
    for (check, n) in &checks {
        let _ = writeln!(out, "<option value=\"{0}\">{0} ({n})</option>", esc(check));
    }
    out.push_str("</select></label>\n</form>\n");

    for (i, c) in report.clusters.iter().enumerate() {
        let _ = writeln!(
            out,
            "<section class=\"cluster\" id=\"cluster-{i}\">\n<h2>{}</h2>",
            esc(&c.name)
        );
        let mut meta = format!(
            "{}; Kubernetes {} → {}; {} objects",
            c.source,
            c.server_version.as_deref().unwrap_or("(version unknown)"),
            c.target_version.as_deref().unwrap_or("?"),
            c.objects
        );
        if c.files > 0 {
            let _ = write!(
                meta,
                " from {} file{}",
                c.files,
                if c.files == 1 { "" } else { "s" }
            );
        }
        if let Some(at) = &c.captured_at {
            let _ = write!(meta, "; captured at {at}");
        }
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", esc(&meta));
        if let Some(error) = &c.error {
            let _ = writeln!(out, "<p class=\"error\">Not scanned: {}</p>", esc(error));
        }
        if let Some(line) = crate::common::incomplete_line(&c.coverage) {
            let _ = writeln!(out, "<p class=\"error\">{}</p>", esc(&line));
        }
        if c.findings.is_empty() {
            out.push_str("<p>No findings.</p>\n</section>\n");
            continue;
        }
        out.push_str("<table class=\"findings\">\n<colgroup><col class=\"c-sev\"><col class=\"c-check\"><col class=\"c-object\"><col class=\"c-location\"><col><col></colgroup>\n<thead><tr><th>Severity</th><th>Check</th><th>Object</th><th>Location</th><th>Message</th><th>Fix</th></tr></thead>\n<tbody>\n");
        for f in &c.findings {
            let object = f
                .object
                .as_ref()
                .map(|o| {
                    format!(
                        "{}<br><small>{}</small>",
                        breakable(&object_name(o)),
                        esc(&o.api_version)
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<tr class=\"finding sev-{0}\" data-severity=\"{0}\" data-check=\"{1}\"><td class=\"sev\">{2}</td><td><code>{1}</code></td><td>{3}</td><td><code>{4}</code></td><td class=\"msg\">{5}</td><td class=\"msg\">{6}</td></tr>",
                f.severity.as_str(),
                esc(f.check),
                severity_title(f.severity),
                object,
                breakable(&file_line(f).unwrap_or_default()),
                esc(&f.message),
                esc(&f.remediation),
            );
        }
        out.push_str("</tbody>\n</table>\n");
        // Ignored findings stay visible, with the reason; not rows of the findings table, so
        // that the filters and counts speak of what is reported.
        if !c.suppressed.is_empty() {
            let _ = writeln!(
                out,
                "<h3>Ignored ({})</h3>\n<table class=\"ignored\">\n<thead><tr><th>Severity</th><th>Check</th><th>Object</th><th>Ignored by</th><th>Reason</th><th>Until</th></tr></thead>\n<tbody>",
                c.suppressed.len()
            );
            for s in &c.suppressed {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"msg\">{}</td><td>{}</td></tr>",
                    severity_title(s.finding.severity),
                    esc(s.finding.check),
                    s.finding
                        .object
                        .as_ref()
                        .map(|o| breakable(&object_name(o)))
                        .unwrap_or_default(),
                    esc(s.suppressed_by),
                    esc(&s.reason),
                    esc(s.until.as_deref().unwrap_or("")),
                );
            }
            out.push_str("</tbody>\n</table>\n");
        }
        out.push_str("</section>\n");
    }

    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"report-data\">{}</script>",
        json_for_script(report)
    );
    let _ = writeln!(out, "<script>{SCAN_JS}</script>\n</body>\n</html>");
    out
}

/// Escaped, with a line-break opportunity after each `/` so that long paths and
/// `namespace/name` wrap there rather than inside a name.
fn breakable(text: &str) -> String {
    esc(text).replace('/', "/<wbr>")
}

/// Counts from the data; filters hide rows and recount what is shown. Static text: nothing
/// from the report is ever put into the script itself.
const SCAN_JS: &str = r##"
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var levels = ["blocker", "high", "medium", "low", "info"];
  var total = {};
  levels.forEach(function (s) { total[s] = 0; });
  data.clusters.forEach(function (c) {
    c.findings.forEach(function (f) { total[f.severity] += 1; });
  });
  function show(id, n) { document.getElementById(id).textContent = String(n); }
  var all = 0;
  levels.forEach(function (s) { show("count-" + s, total[s]); all += total[s]; });
  show("count-total", all);
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.finding"));
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.severity-filter"));
  var select = document.getElementById("check-filter");
  function apply() {
    var wanted = {};
    boxes.forEach(function (b) { wanted[b.value] = b.checked; });
    var check = select.value;
    var shown = {};
    levels.forEach(function (s) { shown[s] = 0; });
    rows.forEach(function (r) {
      var visible = wanted[r.dataset.severity] && (check === "" || r.dataset.check === check);
      r.hidden = !visible;
      if (visible) { shown[r.dataset.severity] += 1; }
    });
    var sum = 0;
    levels.forEach(function (s) { show("shown-" + s, shown[s]); sum += shown[s]; });
    show("shown-total", sum);
  }
  // A link can carry a view: #severity=blocker,high&check=api-removed sets the filters.
  var params = {};
  window.location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
    var i = pair.indexOf("=");
    if (i > 0) { params[decodeURIComponent(pair.slice(0, i))] = decodeURIComponent(pair.slice(i + 1)); }
  });
  if (params.severity) {
    var chosen = params.severity.split(",");
    boxes.forEach(function (b) { b.checked = chosen.indexOf(b.value) >= 0; });
  }
  if (params.check) {
    Array.prototype.forEach.call(select.options, function (o) {
      if (o.value === params.check) { select.value = o.value; }
    });
  }
  function remember() {
    var chosen = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    var hash = "severity=" + chosen.join(",");
    if (select.value !== "") { hash += "&check=" + encodeURIComponent(select.value); }
    // Some browsers refuse history changes on file:// pages; the filters work regardless.
    try { history.replaceState(null, "", "#" + hash); } catch (e) { /* not kept */ }
    apply();
  }
  boxes.forEach(function (b) { b.addEventListener("change", remember); });
  select.addEventListener("change", remember);
  apply();
})();
"##;
