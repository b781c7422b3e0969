use mcp_diag_model::Severity;

use crate::CheckInfo;

pub static INFO: CheckInfo = CheckInfo {
    id: "etcd-unhealthy",
    severity: Severity::Blocker,
    title: "etcd reports itself unhealthy or cannot be reached",
    doc: r#"## What it checks
With `--etcd-endpoint URL` (and `--etcd-cacert`, `--etcd-cert`, `--etcd-key` for TLS), the scan
reads etcd's `/version` (which feeds the `etcd-version` check) and `/health`. A `/health` that
does not say `"health": "true"` is a `blocker`; an endpoint that cannot be reached at all is
`high` (the version checks then run without the etcd version).

## Why it matters
Every control-plane upgrade restarts etcd members one at a time. A cluster whose etcd has no
leader, an alarm (NOSPACE, CORRUPT) or a member down has no margin left: restarting one more
member loses quorum, and the API server with it.

## Example
```
etcd-unhealthy  https://10.0.0.5:2379/health answered {"health":"false","reason":"NOSPACE"}
```

## Fix
Fix etcd first: `etcdctl endpoint health --cluster`, `etcdctl alarm list`, defragment and
disarm a NOSPACE alarm, replace a failed member. Take a snapshot (`etcdctl snapshot save`)
before the upgrade.
"#,
};
