use mcp_diag_model::Severity;

use crate::CheckInfo;

pub static INFO: CheckInfo = CheckInfo {
    id: "input-duplicate-key",
    severity: Severity::Medium,
    title: "Duplicate key in a mapping",
    doc: r#"## What it checks
A YAML or JSON mapping that names the same key twice: a label written twice under
`metadata.labels`, `image` twice in a container, `kind` twice at the top of a document. The
finding gives the file, the line and column of the second key, the key, the path to the
mapping that holds it (`metadata.labels`, `spec.template.spec.containers[0]`, or
`items[3].metadata` in a List) and the line of the first one.

The document is still read and checked, with the last value of the repeated key, as kubectl's
decoder, PyYAML and most other tools read it. A Deployment on a removed API version with a
label written twice still gets its `api-removed` finding.

JSON documents are checked the same way, except the items of JSON Lists of 16 KiB and more
(`kubectl get -o json` output, snapshots), which a faster reader takes in parallel: it uses
the last value without reporting the repeat. Servers never write repeated keys, so such files
have none unless edited by hand.

## Why it matters
YAML requires the keys of a mapping to be unique. `kubectl apply` validates strictly by
default (`--validate=strict`), and against Kubernetes 1.27 and later the API server's strict
field validation rejects a document with a repeated key ("duplicate field"), so the apply
fails in the middle of an upgrade window even though it worked before with a lenient client.
Tools that do accept it keep the last value silently, which is rarely what the author meant
when the two values differ.

## Example
```
input-duplicate-key  k8s/web.yaml:8:5  duplicate key `app` in metadata.labels (first at line 6): kubectl apply --validate=strict and the API server's strict field validation (Kubernetes 1.27 and later) reject this document; other tools keep the last value, and so did this scan
```

## Fix
Remove one of the two entries, keeping the value you mean. Against Kubernetes 1.27 or later,
`kubectl apply --dry-run=server -f FILE` shows the API server's own error for the document.
"#,
};
