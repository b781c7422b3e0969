use std::collections::BTreeMap;

use mcp_diag_model::{Finding, KindRead, ReadGap, Severity, evidence};

use crate::{Check, CheckInfo, Context, gap_words, reads};

pub static INFO: CheckInfo = CheckInfo {
    id: "input-incomplete",
    severity: Severity::High,
    title: "Some kinds were not read completely",
    doc: r#"## What it checks
The record a source keeps of what it read (`coverage` in the JSON report): one finding per
cluster when any kind was read only in part or not at all, naming each such kind with its
state (`partial`, `missing`), the reason (`denied`: HTTP 403; `unauthorized`: HTTP 401,
usually expired credentials; `throttled`: HTTP 429; `failed`: errors or dropped connections;
`timed-out`; `invalid`: an answer that could not be parsed; `not-in-input`: an export that
names objects of a kind it does not hold) and what happened, and the checks that read the
kind: their verdicts may miss objects. The API-version checks (`api-removed`,
`api-deprecated`) read every object, so objects of such a kind were not checked for removed
or deprecated apiVersions either; the finding says so. A kind the server does not serve hides
nothing and is not reported.

Checks that would conclude something from the absence of an object of such a kind ("no etcd
pod", "no StorageClass is default", "no pod matches this budget") do not: they stay silent
where this finding already covers the kind, or say that they could not decide.

Sources that record nothing (manifests, a `kubectl get -o yaml` export) never raise it; there,
checks decide kind by kind whether the input can answer (a kind of which the export holds no
object may simply have been left out).

## Why it matters
A pods list that failed reads as "no pods": every node drainable, no etcd, no budget blocking
anything. A report that does not say what it could not read is confidently wrong exactly when
it matters.

## Example
```
input-incomplete  Not read completely: Pod (failed: HTTP 500 after 3 attempts). Checks that
                  read it may miss objects: etcd-version, pdb-blocks-drain, ...
```

## Fix
Depends on the reason, and the finding says which: for `denied`, the identity lacks `list` on
the kind in its API group; `deploy/mcp-diag-readonly-clusterrole.yaml` grants it: bind that
role to the identity, or, when it is bound and still denied, apply the current file (the
cluster's copy is older or edited; if the file itself lacks it, report it). For
`unauthorized`, log in again (refresh the cloud token); for `throttled`, the API server's
priority and fairness limits turned the lists away: scan again later, or ask about the
identity's priority level; for `failed` or `invalid`, scan again and check the API server's
health; for `timed-out`, raise `--list-timeout` or `--timeout`; for `not-in-input`, export
the kind too or capture the cluster with `mcp-diag snapshot`. Then scan again.
"#,
};

pub struct InputIncomplete;

impl Check for InputIncomplete {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let gaps: Vec<&KindRead> = ctx.inventory.coverage.gaps().collect();
        if gaps.is_empty() {
            return Vec::new();
        }
        vec![finding(&gaps)]
    }
}

fn finding(gaps: &[&KindRead]) -> Finding {
    let kinds: Vec<String> = gaps.iter().map(|k| k.display()).collect();
    let words: Vec<String> = gaps.iter().map(|k| gap_words(k)).collect();
    let mut hidden: Vec<&'static str> = Vec::new();
    for k in gaps {
        for id in reads::readers(&k.group, &k.kind) {
            if !hidden.contains(&id) {
                hidden.push(id);
            }
        }
    }
    let hides = if hidden.is_empty() {
        "No check reads these kinds; objects of them may be missing from the report's counts.".to_owned()
    } else {
        format!(
            "Checks that read them may miss objects and cannot claim any is absent: {}.",
            hidden.join(", ")
        )
    };
    // The API-version checks read every object of every kind: objects never read were not
    // checked for removed or deprecated apiVersions either, which no entry in READS says.
    let api = format!(
        "The API-version checks ({}) could not check objects of these kinds either: removed or deprecated API versions among them are not reported.",
        API_CHECKS.join(", ")
    );
    for id in API_CHECKS {
        if !hidden.contains(&id) {
            hidden.push(id);
        }
    }
    let message = format!(
        "Not read completely: {}. {hides} {api} The plan and the findings here describe only what was read.",
        words.join("; ")
    );
    let reasons: Vec<ReadGap> = gaps.iter().filter_map(|k| k.reason).collect();
    let fixes = remediation(gaps);
    let mut details = BTreeMap::new();
    details.insert("kinds", kinds.join(","));
    details.insert("reads", words.join("; "));
    if !hidden.is_empty() {
        details.insert("checks", hidden.join(","));
    }
    // Every gap from the input itself (an export) is the input's; any other is the server's.
    let seen = if reasons.iter().all(|r| *r == ReadGap::NotInInput) {
        evidence::INPUT
    } else {
        evidence::API_SERVER
    };
    INFO.finding()
        .title(format!("Not read completely: {}", kinds.join(", ")))
        .message(message)
        .fix(fixes)
        .evidence(seen)
        .details(details)
        .build()
}

/// The checks that read every object for its apiVersion (no entry in [`reads::READS`]).
const API_CHECKS: [&str; 2] = ["api-removed", "api-deprecated"];

/// `list on PodDisruptionBudget in API group policy`, `list on Pod in the core API group`.
fn list_on(read: &KindRead) -> String {
    if read.group.is_empty() {
        format!("list on {} in the core API group", read.kind)
    } else {
        format!("list on {} in API group {}", read.kind, read.group)
    }
}

/// What to do, reason by reason, for the reasons present.
fn remediation(gaps: &[&KindRead]) -> String {
    let with = |reason: ReadGap| -> Vec<&KindRead> {
        gaps.iter()
            .copied()
            .filter(|k| k.reason == Some(reason))
            .collect()
    };
    let names =
        |reads: &[&KindRead]| -> String { reads.iter().map(|k| k.display()).collect::<Vec<_>>().join(", ") };
    let mut fixes: Vec<String> = Vec::new();
    let denied = with(ReadGap::Denied);
    if !denied.is_empty() {
        let lists: Vec<String> = denied.iter().map(|k| list_on(k)).collect();
        fixes.push(format!(
            "The identity that scans lacks {} (HTTP 403). deploy/mcp-diag-readonly-clusterrole.yaml is where these are granted: if the identity is not bound to that role, apply it and bind it (`kubectl auth can-i list KIND --as IDENTITY` shows the effect); if it is bound and still denied, the role in the cluster lacks the permission (an older or edited copy: apply the current file), and if the current file lacks it too, report it as a bug of the role.",
            lists.join(", ")
        ));
    }
    if !with(ReadGap::Unauthorized).is_empty() {
        fixes.push(
            "The credentials were rejected (HTTP 401): log in again or refresh the token, then scan again."
                .to_owned(),
        );
    }
    let throttled = with(ReadGap::Throttled);
    if !throttled.is_empty() {
        fixes.push(format!(
            "{} throttled (HTTP 429): the API server's priority and fairness limits (FlowSchema, PriorityLevelConfiguration) rejected the lists; scan again later, when the server is less busy, or ask its administrators about the priority level the scanning identity falls into.",
            names(&throttled)
        ));
    }
    let failed: Vec<&KindRead> = [with(ReadGap::Failed), with(ReadGap::Invalid)].concat();
    if !failed.is_empty() {
        fixes.push(format!(
            "{}: the API server answered errors, dropped the connection or sent what could not be read; scan again, and if it repeats, check the API server's health and logs (`kubectl get --raw '/readyz?verbose'`).",
            names(&failed)
        ));
    }
    let timed_out = with(ReadGap::TimedOut);
    if !timed_out.is_empty() {
        fixes.push(format!(
            "{} timed out: raise --list-timeout (each list) or --timeout (the whole scan), or scan when the API server is less loaded.",
            names(&timed_out)
        ));
    }
    if !with(ReadGap::NotInInput).is_empty() {
        fixes.push(
            "For kinds not in the input, export them too (`kubectl get KIND -A -o yaml`) or capture the cluster with `mcp-diag snapshot`."
                .to_owned(),
        );
    }
    fixes.join(" ")
}
