use mcp_diag_model::{Finding, Severity};

use crate::CheckInfo;

pub static INFO: CheckInfo = CheckInfo {
    id: "access-denied",
    severity: Severity::Info,
    title: "Could not be read: access denied",
    doc: r#"## What it checks
Raised while reading a live cluster: what the credentials may not read besides the kinds
themselves, such as the API server's `/metrics`. The scan goes on without it, and says so,
rather than failing or pretending it is empty. A kind whose list is refused is reported by
`input-incomplete` (one finding naming every kind not read, and the checks each one hides).

## Why it matters
Every check that needs the missing type sees nothing: a denied PodDisruptionBudget list hides
every drain blocker, a denied `/metrics` hides which deprecated APIs clients still call. A clean
report from a partial read is not a clean cluster.

## Example
```
access-denied  poddisruptionbudgets.policy: list is forbidden for system:serviceaccount:ci:scanner
```

## Fix
Bind the read-only ClusterRole shipped in `deploy/mcp-diag-readonly-clusterrole.yaml` (list on
the kinds the checks read, `get` on `/version`, discovery and `/metrics`, no Secrets; the Helm
release Secrets are in `deploy/mcp-diag-helm-releases-clusterrole.yaml`) to the identity the
scan runs as, for example:
`kubectl create clusterrolebinding mcp-diag --clusterrole=mcp-diag-readonly --serviceaccount=ci:scanner`.
"#,
};

/// The ClusterRole that grants what a scan reads.
pub const CLUSTER_ROLE: &str = "deploy/mcp-diag-readonly-clusterrole.yaml";

/// The finding for a read the live reader was refused: `verb` on `what` (such as `get` on
/// the API server's `/metrics`), with what the server said in `detail`.
pub fn refused(what: &str, verb: &str, detail: &str) -> Finding {
    INFO.finding()
        .title(format!("Not allowed to {verb} {what}"))
        .message(format!(
            "The cluster refused to {verb} {what} ({detail}); the scan went on without it, so checks that read it may miss problems."
        ))
        .fix(format!(
            "Grant read-only access: `kubectl apply -f {CLUSTER_ROLE}` and bind the ClusterRole mcp-diag-readonly to the user or service account of this context, then scan again."
        ))
        .detail("resource", what)
        .detail("verb", verb)
        .build()
}
