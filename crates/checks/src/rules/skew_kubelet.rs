use mcp_diag_model::{Finding, Severity};

use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "skew-kubelet",
    severity: Severity::Blocker,
    title: "Kubelet outside the supported version skew",
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

pub struct SkewKubelet;

impl Check for SkewKubelet {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, _ctx: &Context<'_>) -> Vec<Finding> {
        Vec::new()
    }
}
