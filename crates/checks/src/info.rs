//! What every check declares about itself. Its own module, so that rule files (which
//! declare it) and the registry (which lists them) do not import each other.

use mcp_diag_model::Severity;

/// A check's identity and documentation. Ids are stable and part of the report contract.
#[derive(Debug)]
pub struct CheckInfo {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    /// Markdown with the sections What it checks / Why it matters / Example / Fix.
    pub doc: &'static str,
}
