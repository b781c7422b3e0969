use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::velero::{timestamp, velero};
use crate::words::name_list;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "backup-failed",
    severity: Severity::Medium,
    title: "Newest backup of a schedule failed",
    doc: r#"## What it checks
Velero Backups (`velero.io/v1`) grouped by the Schedule that made them (label
`velero.io/schedule-name`; backups without it are the group "made by hand"). For each group,
the newest backup (by `status.startTimestamp`, else `metadata.creationTimestamp`): when its
phase is `Failed`, `PartiallyFailed` or `FailedValidation` (or one of the phases on the way to
partially failed), the finding is `medium`, with Velero's `failureReason` or the number of
errors. Backups of Schedules that no longer exist are left out when the input holds the
Schedules.

When the newest backup of a schedule completed, earlier backups of it that failed or
partially failed and have not expired yet (`status.expiration` after the reference time) are
reported as `low`: those restore points are incomplete, and the schedule fails now and then.

Only backups with a status are read, so manifests are normally silent.

## Why it matters
A partially failed backup is missing some objects or volume snapshots: a restore from it
brings back an incomplete application. When the most recent backup of a schedule failed,
the restore point an upgrade rollback would use is older than it looks, or incomplete.

## Example
Schedule `daily-shop-data`: the newest backup `daily-shop-data-20261124020012` is
`PartiallyFailed` with 2 errors: `medium`. An older `PartiallyFailed` backup from 2026-11-09,
kept until 2026-12-09, with newer completed backups: `low`.

## Fix
Read what failed: `velero backup describe NAME --details` and `velero backup logs NAME`
(volume snapshots that timed out, a plugin error, objects that could not be read). Fix the
cause, then run the schedule once by hand (`velero backup create --from-schedule SCHEDULE
--wait`) and check that it completes before the upgrade.
"#,
};

pub struct BackupFailed;

impl Check for BackupFailed {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let velero = velero(ctx);
        if velero.backups.is_empty() {
            return Vec::new();
        }
        // Backups per schedule (None: made by hand), with status only.
        let mut groups: BTreeMap<(Option<&str>, Option<&str>), Vec<&Object>> = BTreeMap::new();
        for backup in &velero.backups {
            if phase(backup).is_none() {
                continue;
            }
            let schedule = backup
                .raw
                .path(&["metadata", "labels", "velero.io/schedule-name"])
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty());
            groups
                .entry((backup.namespace.as_deref(), schedule))
                .or_default()
                .push(backup);
        }
        let mut findings = Vec::new();
        for ((ns, schedule_name), mut backups) in groups {
            let schedule = schedule_name.and_then(|name| {
                velero
                    .schedules
                    .iter()
                    .find(|s| s.name == name && s.namespace.as_deref() == ns)
                    .copied()
            });
            if schedule_name.is_some() && schedule.is_none() && !velero.schedules.is_empty() {
                continue; // the schedule was deleted
            }
            backups.sort_by_key(|b| (started(b), b.name.as_str()));
            let Some(newest) = backups.last().copied() else {
                continue;
            };
            if is_failed(newest) {
                let earlier_failed = backups.iter().rev().skip(1).take_while(|b| is_failed(b)).count();
                findings.push(newest_failed(schedule_name, schedule, newest, earlier_failed));
            } else {
                let now = ctx.options.now;
                let retained: Vec<&Object> = backups
                    .iter()
                    .copied()
                    .filter(|b| is_failed(b))
                    .filter(|b| timestamp(b, &["status", "expiration"]).is_none_or(|e| e > now))
                    .collect();
                if !retained.is_empty() {
                    findings.push(earlier_failures(schedule_name, schedule, newest, &retained));
                }
            }
        }
        findings
    }
}

fn phase(backup: &Object) -> Option<&str> {
    backup.raw.path(&["status", "phase"]).and_then(Node::as_str)
}

/// Failed, PartiallyFailed, FailedValidation, and the phases on the way to partially failed
/// (`WaitingForPluginOperationsPartiallyFailed`, `FinalizingPartiallyFailed`).
fn is_failed(backup: &Object) -> bool {
    phase(backup).is_some_and(|p| p.contains("Failed"))
}

fn started(backup: &Object) -> Option<i64> {
    timestamp(backup, &["status", "startTimestamp"])
        .or_else(|| timestamp(backup, &["metadata", "creationTimestamp"]))
        .or_else(|| timestamp(backup, &["status", "completionTimestamp"]))
}

/// "Failed: reason" / "PartiallyFailed, 2 errors, 1 warning".
fn outcome(backup: &Object) -> String {
    let phase = phase(backup).unwrap_or("unknown");
    let mut parts = vec![phase.to_owned()];
    let count = |key: &str| {
        backup
            .raw
            .path(&["status", key])
            .and_then(Node::as_i64)
            .filter(|n| *n > 0)
    };
    if let Some(e) = count("errors") {
        parts.push(format!("{e} error{}", if e == 1 { "" } else { "s" }));
    }
    if let Some(w) = count("warnings") {
        parts.push(format!("{w} warning{}", if w == 1 { "" } else { "s" }));
    }
    let mut text = parts.join(", ");
    if let Some(reason) = backup
        .raw
        .path(&["status", "failureReason"])
        .and_then(Node::as_str)
        .filter(|r| !r.trim().is_empty())
    {
        text.push_str(&format!(": {}", reason.trim()));
    }
    text
}

fn when(backup: &Object) -> String {
    ["startTimestamp", "completionTimestamp"]
        .iter()
        .find_map(|k| backup.raw.path(&["status", k]).and_then(Node::as_str))
        .or_else(|| {
            backup
                .raw
                .path(&["metadata", "creationTimestamp"])
                .and_then(Node::as_str)
        })
        .unwrap_or("an unknown time")
        .to_owned()
}

fn group_name(schedule_name: Option<&str>) -> String {
    schedule_name.map_or_else(|| "backups made by hand".to_owned(), |s| format!("schedule {s}"))
}

fn newest_failed(
    schedule_name: Option<&str>,
    schedule: Option<&Object>,
    newest: &Object,
    earlier_failed: usize,
) -> Finding {
    let group = group_name(schedule_name);
    let ns = newest.namespace.as_deref().unwrap_or("velero");
    let streak = if earlier_failed > 0 {
        format!(
            " The {earlier_failed} backup{} before it failed too.",
            if earlier_failed == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let mut details = BTreeMap::from([
        ("backup", format!("{ns}/{}", newest.name)),
        ("phase", phase(newest).unwrap_or_default().to_owned()),
        ("started_at", when(newest)),
    ]);
    if let Some(s) = schedule_name {
        details.insert("schedule", s.to_owned());
    }
    details.insert("consecutive_failures", (earlier_failed + 1).to_string());
    let rerun = schedule_name.map_or_else(
        || "velero backup create pre-upgrade --wait".to_owned(),
        |s| format!("velero backup create --from-schedule {s} --wait"),
    );
    INFO.about(schedule.unwrap_or(newest))
        .title(format!(
            "Newest backup of {group} {}",
            if phase(newest) == Some("PartiallyFailed") {
                "partially failed"
            } else {
                "failed"
            },
        ))
        .message(format!(
            "The newest of the {group}, {ns}/{} (started {}), ended {}: the latest restore point is incomplete or missing.{streak}",
            newest.name,
            when(newest),
            outcome(newest),
        ))
        .fix(format!(
            "Read what failed (`velero backup describe {} --details`, `velero backup logs {}`), fix the cause, then run a backup and check it completes before the upgrade: `{rerun}`.",
            newest.name,
            newest.name,
        ))
        .evidence("Backup status")
        .details(details)
        .build()
}

fn earlier_failures(
    schedule_name: Option<&str>,
    schedule: Option<&Object>,
    newest: &Object,
    failed: &[&Object],
) -> Finding {
    let group = group_name(schedule_name);
    let listed: Vec<String> = failed
        .iter()
        .rev()
        .map(|b| format!("{} ({}, {})", b.name, outcome(b), when(b)))
        .collect();
    let names: Vec<&str> = failed.iter().rev().map(|b| b.name.as_str()).collect();
    let mut details = BTreeMap::from([
        ("failed_backups", names.join(", ")),
        ("newest_backup", newest.name.clone()),
    ]);
    if let Some(s) = schedule_name {
        details.insert("schedule", s.to_owned());
    }
    let first = failed.last().copied().unwrap_or(newest);
    INFO.about(schedule.unwrap_or(first))
        .severity(Severity::Low)
        .title(format!(
            "{} earlier backup{} of {group} failed",
            failed.len(),
            if failed.len() == 1 { "" } else { "s" },
        ))
        .message(format!(
            "The newest of the {group}, {}, completed, but {} not expired yet failed or partially failed: {}. Those restore points are incomplete, and the schedule fails now and then.",
            newest.name,
            if failed.len() == 1 {
                "an earlier backup that has"
            } else {
                "earlier backups that have"
            },
            name_list(&listed, 5),
        ))
        .fix(format!(
            "Read why (`velero backup describe {} --details`, `velero backup logs {}`) so that the backup before the upgrade does not fail the same way; restore from a completed backup, not from these.",
            first.name,
            first.name,
        ))
        .evidence("Backup status")
        .details(details)
        .build()
}
