use mcp_diag_model::{Finding, Severity};

use crate::CheckInfo;

pub static INFO: CheckInfo = CheckInfo {
    id: "cluster-unreachable",
    severity: Severity::Blocker,
    title: "Cluster could not be scanned",
    doc: r#"## What it checks
Raised by fleet scans (`--context` given several times, or `--all-contexts`): a cluster that
could not be reached, refused the credentials, or did not answer within `--timeout`. The other
clusters are still scanned and reported; this one gets a single finding saying what failed.
A cluster that answered but whose read stopped part way (some kinds failed, were refused or
timed out) is not unreachable: it is reported with what was read, and `input-incomplete`
names the kinds that were not.

## Why it matters
A fleet report that silently leaves a cluster out reads as "all clear". The unreachable cluster
is often the one nobody has looked at for a while. A cluster that was never checked cannot be
called ready, so this finding is a `blocker`: a fleet gate fails at any `--fail-on` (only
`--fail-on none` lets a report-only run pass).

## Example
```
cluster-unreachable  prod-ap: the cluster did not answer within 30s
```

## Fix
Check the context with `kubectl --context NAME get --raw /version`: the endpoint, VPN or
bastion, and the credentials (expired cloud tokens are the usual cause). Raise `--timeout` for
clusters behind slow links.
"#,
};

/// The one finding a fleet report carries for cluster `name`, which could not be read
/// (`error` says why: no answer in time, refused credentials, no route).
pub fn finding(name: &str, error: &str) -> Finding {
    INFO.finding()
        .title(format!("{name} could not be scanned"))
        .message(format!("{name}: {error}. The other clusters were scanned."))
        .fix(format!(
            "Check it with `kubectl --context {name} get --raw /version` (endpoint, VPN, credentials); raise --timeout for slow links."
        ))
        .evidence(mcp_diag_model::evidence::API_SERVER)
        .build()
}
