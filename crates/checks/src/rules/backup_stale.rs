use std::collections::BTreeMap;

use mcp_diag_model::time::format_duration;
use mcp_diag_model::{Finding, Node, Object, Severity, SourceKind};

use crate::velero::{timestamp, velero_objects};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "backup-stale",
    severity: Severity::High,
    title: "Newest completed backup too old",
    doc: r#"## What it checks
Where Velero runs and its objects are in the input: the newest Velero Backup
(`velero.io/v1`) with `status.phase: Completed`, by `status.completionTimestamp`, against
`--backup-max-age` (default 24h; `backup_max_age` in `--config`). Its age is measured from
when the snapshot was taken (`capturedAt`), or from the scan for a live cluster. Older than
the limit: `high`, with the age, the backup's name and schedule. No completed backup at all
(none yet, or only failed ones): `high` as well.

Backups that failed or partially failed do not count (`backup-failed` reports them).
Manifests are checked only when they contain Backups with a status (an export).

## Why it matters
The newest completed backup is the state a failed upgrade rolls back to. Everything created
or changed since (deployments, configuration, volume data) is lost on restore. A backup from
three days ago also often means the schedule silently stopped working.

## Example
Captured 2026-11-20 09:30, newest completed backup `daily-shop-data-20261117020012` finished
2026-11-17 02:02: 3d 7h old, limit 24h: `high`.

## Fix
Find why no recent backup completed (`velero schedule get`, `velero backup get`, the
backup storage location's phase, `kubectl -n velero logs deploy/velero`), fix it, and take a
backup right before the upgrade: `velero backup create pre-upgrade --wait`, then check it with
`velero backup describe pre-upgrade --details`. Raise `--backup-max-age` if your schedule is
deliberately less frequent than daily.
"#,
};

pub struct BackupStale;

impl Check for BackupStale {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        // Backups not all read: a newer completed one may exist.
        let Some(velero) = velero_objects(ctx, "Backup") else {
            return Vec::new();
        };
        if velero.managed_by.is_some() && velero.backups.is_empty() {
            return Vec::new(); // backups are kept by the managing product (backup-no-schedule says so)
        }
        let manifests = ctx.inventory.kind == SourceKind::Manifests;
        let with_status = velero
            .backups
            .iter()
            .any(|b| b.raw.path(&["status", "phase"]).is_some());
        if manifests && !with_status {
            return Vec::new();
        }
        let newest = velero
            .backups
            .iter()
            .filter(|b| b.raw.path(&["status", "phase"]).and_then(Node::as_str) == Some("Completed"))
            .filter_map(|b| Some((timestamp(b, &["status", "completionTimestamp"])?, *b)))
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        match newest {
            Some((completed, backup)) => stale(ctx, backup, completed).into_iter().collect(),
            None => vec![none_completed(&velero.backups, &velero.evidence)],
        }
    }
}

fn stale(ctx: &Context<'_>, backup: &Object, completed: i64) -> Option<Finding> {
    let now = ctx.options.now;
    let max = ctx.options.backup_max_age_secs;
    let when = backup
        .raw
        .path(&["status", "completionTimestamp"])
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_owned();
    let ns = backup.namespace.as_deref().unwrap_or("velero");
    let mut details = BTreeMap::from([
        ("backup", format!("{ns}/{}", backup.name)),
        ("completed_at", when.clone()),
        ("max_age", format_duration(max)),
        ("max_age_seconds", max.to_string()),
    ]);
    if now <= 0 {
        return Some(
            INFO.about(backup)
                .notice("Backup age unknown: no reference time")
                .message(format!(
                    "The newest completed backup, {ns}/{}, finished at {when}, but the input gives no time to measure its age from (no capturedAt in cluster.yaml).",
                    backup.name,
                ))
                .fix(
                    "Add `capturedAt` to the snapshot's cluster.yaml, or check with `velero backup get` that a backup completed within the last day.",
                )
                .evidence("Backup status")
                .details(details)
                .build()
        );
    }
    let age = u64::try_from(now.saturating_sub(completed)).unwrap_or(0);
    if age <= max {
        return None;
    }
    let schedule = backup
        .raw
        .path(&["metadata", "labels", "velero.io/schedule-name"])
        .and_then(Node::as_str);
    if let Some(s) = schedule {
        details.insert("schedule", s.to_owned());
    }
    details.insert("age", format_duration(age));
    details.insert("age_seconds", age.to_string());
    let by = schedule.map_or_else(
        || " (made by hand, not by a schedule)".to_owned(),
        |s| format!(" (schedule {s})"),
    );
    Some(
        INFO.about(backup)
            .title(format!("Newest completed backup is {} old", format_duration(age)))
            .message(format!(
                "The newest completed Velero backup, {ns}/{}{by}, finished at {when}: {} before the reference time, more than the allowed {}. A restore after a failed upgrade would lose everything changed since.",
                backup.name,
                format_duration(age),
                format_duration(max),
            ))
            .fix(format!(
                "Find why no newer backup completed (`velero schedule get`, `velero backup get`, the storage location's phase, `kubectl -n {ns} logs deploy/velero`), fix it, and take a backup right before the upgrade: `velero backup create pre-upgrade --wait`. If backups are deliberately less frequent, raise --backup-max-age."
            ))
            .evidence("Backup status")
            .details(details)
            .build()
    )
}

fn none_completed(backups: &[&Object], evidence: &[String]) -> Finding {
    let failed = backups
        .iter()
        .filter(|b| {
            b.raw
                .path(&["status", "phase"])
                .and_then(Node::as_str)
                .is_some_and(|p| p.contains("Failed"))
        })
        .count();
    let what = match (backups.len(), failed) {
        (0, _) => "there is no Backup object in the input".to_owned(),
        (n, 0) => format!("none of its {n} Backup objects has completed"),
        (n, f) => format!("none of its {n} Backup objects has completed ({f} failed or partially failed)"),
    };
    INFO.finding()
        .title("No completed Velero backup")
        .message(format!(
            "Velero is installed ({}), but {what}: there is nothing to restore if the upgrade fails.",
            evidence.join(", "),
        ))
        .fix(
            "Take a backup and wait for it to complete (`velero backup create pre-upgrade --wait`, then `velero backup describe pre-upgrade`); fix what makes backups fail first (`velero backup logs NAME`). Make sure a Schedule keeps backups recent.",
        )
        .evidence("Backup status")
        .detail("backups", backups.len())
        .detail("failed", failed)
        .build()
}
