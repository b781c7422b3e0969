//! `--output` of `scan` and `plan`: from the chosen format to the text printed.

use mcp_diag_model::Severity;
use mcp_diag_planner::Plan;
use mcp_diag_report::{
    JunitOptions, MarkdownOptions, PlanTableOptions, Report, RuleDoc, SarifOptions, TableOptions,
    render_compact, render_csv, render_html, render_json, render_junit, render_markdown, render_plan_html,
    render_plan_json, render_plan_markdown, render_plan_table, render_sarif, render_table,
};

use super::color_and_width;
use crate::args::{ColorChoice, PlanFormat, ScanFormat};

/// The scan report in `format`. `fail_on` is the threshold at which the exit status reports
/// findings; JUnit fails the test cases that reach it (`None`: none fail).
pub fn render_scan(
    report: &Report,
    format: ScanFormat,
    color: ColorChoice,
    compact: bool,
    fail_on: Option<Severity>,
) -> String {
    match format {
        ScanFormat::Table => {
            let (color, width) = color_and_width(color);
            let options = TableOptions { color, width };
            if compact {
                render_compact(report, options)
            } else {
                render_table(report, options)
            }
        }
        ScanFormat::Json => render_json(report),
        ScanFormat::Sarif => {
            let rules = rule_docs();
            let root = std::env::current_dir()
                .ok()
                .map(|d| d.to_string_lossy().into_owned());
            render_sarif(
                report,
                &SarifOptions {
                    rules: &rules,
                    information_uri: information_uri(),
                    root: root.as_deref(),
                },
            )
        }
        ScanFormat::Junit => render_junit(report, JunitOptions { fail_on }),
        ScanFormat::Markdown => render_markdown(report, MarkdownOptions::default()),
        ScanFormat::Html => render_html(report),
        ScanFormat::Csv => render_csv(report),
    }
}

/// The plan in `format`.
pub fn render_plan(plan: &Plan, format: PlanFormat, color: ColorChoice) -> String {
    match format {
        PlanFormat::Table => {
            let (color, width) = color_and_width(color);
            render_plan_table(plan, PlanTableOptions { color, width })
        }
        PlanFormat::Json => render_plan_json(plan),
        PlanFormat::Markdown => render_plan_markdown(plan, MarkdownOptions::default()),
        PlanFormat::Html => render_plan_html(plan),
    }
}

/// The documentation of every check, as `mcp-diag explain` prints it, for SARIF's rules.
pub fn rule_docs() -> Vec<RuleDoc> {
    mcp_diag_checks::CHECKS
        .iter()
        .map(|c| RuleDoc {
            id: c.id.to_owned(),
            title: c.title.to_owned(),
            default_severity: c.severity,
            doc_markdown: c.doc.to_owned(),
        })
        .collect()
}

/// The project's home page from Cargo.toml's `repository`, when it names one.
fn information_uri() -> Option<&'static str> {
    Some(env!("CARGO_PKG_REPOSITORY")).filter(|uri| !uri.is_empty())
}
