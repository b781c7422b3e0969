use mcp_diag_model::Severity;

use crate::CheckInfo;

pub static INFO: CheckInfo = CheckInfo {
    id: "ignore-invalid",
    severity: Severity::Low,
    title: "An ignore annotation cannot be read",
    doc: r#"## What it checks
Objects whose `mcp-diag.io/ignore` annotation cannot be read: no reason, an empty reason, no
check id, or a check id the tool does not know. Such an annotation ignores nothing.

## Why it matters
An ignore is meant to be a recorded decision. One without a reason cannot be reviewed, and a
misspelt check id would silently ignore nothing while its author believes the finding is
handled.

## Example
```yaml
metadata:
  annotations:
    mcp-diag.io/ignore: "probe-missing-liveness"      # no reason: ignores nothing
```
```
ignore-invalid  Deployment shop/batch  mcp-diag.io/ignore: "probe-missing-liveness" has no
                reason; write "check-id[,check-id]: why it does not apply"
```

## Fix
Write it as `mcp-diag.io/ignore: "check-id[,check-id]: reason"`, for example
`"probe-missing-liveness: batch job, restarts are handled by the Job controller"`. `*` names
every check.
"#,
};
