use mcp_diag_model::Severity;

use crate::CheckInfo;

pub static INFO: CheckInfo = CheckInfo {
    id: "input-invalid",
    severity: Severity::High,
    title: "Input could not be read",
    doc: r#"## What it checks
Every file given to `scan` (directly, inside a directory, or on standard input) must be UTF-8
YAML or JSON whose documents are Kubernetes objects with `apiVersion` and `kind`. Anything else
is reported here with the file, line and column and the parser's own words: malformed YAML or
JSON, invalid UTF-8, binary files, documents without `apiVersion` or `kind`, YAML alias bombs
(expansion is capped), nesting deeper than 200 levels, symbolic link loops and files that
cannot be opened.

## Why it matters
A file that cannot be read cannot be checked: a removed API inside it would go unnoticed. The
rest of the input is still scanned, so one bad file never hides the others.

## Example
```
input-invalid  k8s/broken.yaml:14:3  invalid YAML: did not find expected key
```

## Fix
Correct the file, or leave it out of the scan. Helm chart sources are templates, not YAML:
render them first (`helm template RELEASE CHART | mcp-diag scan -`).
"#,
};
