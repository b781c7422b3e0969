use mcp_diag_model::{Finding, Severity};

use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "skew-control-plane",
    severity: Severity::Blocker,
    title: "Control-plane components outside the supported skew",
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

pub struct SkewControlPlane;

impl Check for SkewControlPlane {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, _ctx: &Context<'_>) -> Vec<Finding> {
        Vec::new()
    }
}
