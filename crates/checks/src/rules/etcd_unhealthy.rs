use mcp_diag_model::{Finding, Severity};

use crate::{CheckInfo, FindingBuilder};

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

/// etcd `version` at `url` answered `/health` with `answer`, which is not healthy.
pub fn unhealthy(url: &str, version: &str, answer: &str) -> Finding {
    about(url)
        .title("etcd reports itself unhealthy")
        .message(format!(
            "etcd {version} at {url} is not healthy: /health answered {answer}."
        ))
        .build()
}

/// etcd at `url` could not be read (`error` says why): the version checks run without it.
pub fn unreadable(url: &str, error: &str) -> Finding {
    about(url)
        .severity(Severity::High)
        .title("etcd could not be read")
        .message(format!(
            "{error}. The etcd checks ran without etcd's own version."
        ))
        .build()
}

fn about(url: &str) -> FindingBuilder {
    INFO.finding()
        .fix("Check etcd first: `etcdctl endpoint health --cluster`, `etcdctl alarm list`; fix it and take a snapshot (`etcdctl snapshot save`) before upgrading.")
        .evidence("etcd endpoint")
        .detail("endpoint", url)
}
