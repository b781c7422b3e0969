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

Objects the API server would refuse because a field that must be text is not are reported
too, and left out: `apiVersion`, `kind`, `metadata.name`, `metadata.namespace`,
`metadata.generateName` and the values of labels and annotations. Written unquoted,
`yes`, `no`, `on`, `off`, `y`, `n`, `true`, `12` or `0x1F` are booleans or numbers to YAML
(kubectl reads YAML 1.1), and kubectl rejects the file ("cannot unmarshal bool into Go struct
field ... of type string"). The finding points at the field's line and says what to write:
`name: "yes"`.

## Why it matters
A file that cannot be read cannot be checked: a removed API inside it would go unnoticed. The
rest of the input is still scanned, so one bad file never hides the others.

## Example
```
input-invalid  k8s/broken.yaml:14:3  invalid YAML: did not find expected key
input-invalid  k8s/web.yaml:5:9  the value of label "canary" is written yes, which YAML reads as the boolean true, not text: ...
```

## Fix
Correct the file, or leave it out of the scan. Helm chart sources are templates, not YAML:
render them first (`helm template RELEASE CHART | mcp-diag scan -`).
"#,
};
