use mcp_diag_model::{Finding, Severity};

use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "etcd-version",
    severity: Severity::Blocker,
    title: "etcd version unsupported, known-bad or on a broken upgrade path",
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

pub struct EtcdVersion;

impl Check for EtcdVersion {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, _ctx: &Context<'_>) -> Vec<Finding> {
        Vec::new()
    }
}
