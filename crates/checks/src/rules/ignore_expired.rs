use mcp_diag_model::Severity;

use crate::CheckInfo;

pub static INFO: CheckInfo = CheckInfo {
    id: "ignore-expired",
    severity: Severity::Medium,
    title: "An ignore in the ignore file has expired",
    doc: r#"## What it checks
Every rule of the `--ignore-file` whose `until` date has passed. An expired rule ignores
nothing: the findings it matched are reported again, and this finding says which rule expired,
when, and how many findings it matched.

## Why it matters
An ignore is a decision made at one time for one reason ("the vendor ships the fix in March").
Without an expiry it outlives its reason and hides the finding on the day of the upgrade.

## Example
```yaml
# ignore.yaml
- check: api-deprecated
  object: FlowSchema/*
  reason: "the operator moves to v1 in release 4.2 (JIRA OPS-123)"
  until: 2026-09-30
```
```
ignore-expired  ignore.yaml:2  The ignore of api-deprecated on FlowSchema/* ("the operator
                moves to v1 ...") held until 2026-09-30 and no longer applies: 3 findings it
                matched are reported again.
```

## Fix
Fix what the findings report and delete the rule, or, if the reason still holds after a fresh
review, move `until` forward.
"#,
};
