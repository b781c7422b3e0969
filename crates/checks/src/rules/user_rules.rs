use mcp_diag_model::{Finding, Severity};

use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "user-rule",
    severity: Severity::High,
    title: "An organisation rule from --rules matched",
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

/// One rule from a `--rules` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRule {
    pub id: String,
}

/// A parsed rules file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserRules {
    pub rules: Vec<UserRule>,
}

/// Why a rules file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct UserRulesError {
    pub path: String,
    pub reason: String,
}

impl UserRules {
    /// Reads a rules file.
    pub fn load(path: &std::path::Path) -> Result<Self, UserRulesError> {
        let err = |reason: String| UserRulesError {
            path: path.display().to_string(),
            reason,
        };
        let _text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        Ok(Self::default())
    }
}

pub struct UserRulesCheck;

impl Check for UserRulesCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, _ctx: &Context<'_>) -> Vec<Finding> {
        Vec::new()
    }
}
