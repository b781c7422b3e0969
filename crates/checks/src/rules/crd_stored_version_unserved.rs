use mcp_diag_model::{Finding, Severity};

use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "crd-stored-version-unserved",
    severity: Severity::Blocker,
    title: "CRD stored version no longer served",
    doc: r#"## What it checks
(not yet implemented)

## Why it matters
(not yet implemented)

## Example
(not yet implemented)

## Fix
(not yet implemented)
"#,
};

pub struct CrdStoredVersionUnserved;

impl Check for CrdStoredVersionUnserved {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, _ctx: &Context<'_>) -> Vec<Finding> {
        Vec::new()
    }
}
