use mcp_diag_model::{Finding, Severity};

use crate::velero::{describe, schedule_problem, velero_objects};
use crate::words::name_list;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "backup-no-schedule",
    severity: Severity::High,
    title: "Velero has no active backup schedule",
    doc: r#"## What it checks
Where Velero runs and its objects are in the input: whether at least one Velero Schedule
(`velero.io/v1`) creates backups. A Schedule does not when it is paused (`spec.paused: true`)
or Velero rejected it (`status.phase: FailedValidation`, with its `validationErrors`).
No Schedule at all, or none that runs: `high`.

Azure Backup for AKS runs Velero in the namespace `dataprotection-microsoft` and schedules
backups from its Backup vault, not with Velero Schedules: there the finding is `info`.
Manifests are checked only when they contain Velero objects (a Velero installation rendered
from a chart without a Schedule).

Not reported when the Velero Schedules were not read completely (see `input-incomplete`).

## Why it matters
Without a schedule, the newest backup is whatever someone last made by hand, often weeks
old. The state you would restore after a failed upgrade then misses everything deployed
since.

## Example
Velero installed with a BackupStorageLocation, and its only Schedule `daily` has
`paused: true` since a storage migration: `high`, "Every Velero Schedule is paused".

## Fix
Create a Schedule covering every namespace with data (`velero schedule create daily
--schedule "0 2 * * *" --ttl 720h`), or unpause the existing one (`velero schedule unpause
daily`; fix the validation errors Velero reports first). Independently, take a backup right
before the upgrade: `velero backup create pre-upgrade --wait`.
"#,
};

pub struct BackupNoSchedule;

impl Check for BackupNoSchedule {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        // "No schedule" from a Schedules read with a recorded gap is input-incomplete's.
        let Some(velero) = velero_objects(ctx, "Schedule") else {
            return Vec::new();
        };
        let evidence = velero.evidence.join(", ");
        if velero.schedules.is_empty() {
            if let Some(product) = velero.managed_by {
                return vec![
                    INFO.finding()
                        .notice(format!("Backups scheduled by {product}, not by Velero"))
                        .message(format!(
                            "Velero runs for {product} ({evidence}), which schedules backups from its Backup vault policy rather than with Velero Schedules; those policies are not in the input."
                        ))
                        .fix(format!(
                            "Check in {product} (the Backup vault's backup instances and policy) that a backup policy covers this cluster and that a backup completed recently."
                        ))
                        .evidence("cluster objects")
                        .detail("managed_by", product)
                        .build()
                ];
            }
            return vec![
                INFO.finding()
                    .title("No Velero backup schedule")
                    .message(format!(
                        "Velero is installed ({evidence}) but has no Schedule: backups are only made by hand, and the newest one may be far older than the state the upgrade starts from."
                    ))
                    .fix(
                        "Create a Schedule that covers every namespace with data, such as `velero schedule create daily --schedule \"0 2 * * *\" --ttl 720h`, and keep it in Git with Velero's other configuration. Take a backup right before the upgrade as well: `velero backup create pre-upgrade --wait`.",
                    )
                    .evidence("cluster objects")
                    .detail("schedules", "0")
                    .build()
            ];
        }
        if !velero.enabled_schedules().is_empty() {
            return Vec::new();
        }
        let reasons: Vec<String> = velero
            .schedules
            .iter()
            .map(|s| {
                format!(
                    "{} ({})",
                    describe(s),
                    schedule_problem(s).unwrap_or_else(|| "not running".to_owned())
                )
            })
            .collect();
        let names: Vec<&str> = velero.schedules.iter().map(|s| s.name.as_str()).collect();
        let all_paused = velero
            .schedules
            .iter()
            .all(|s| schedule_problem(s).as_deref() == Some("paused"));
        let title = match (velero.schedules.len(), all_paused) {
            (1, true) => format!("The only Velero Schedule, {}, is paused", names[0]),
            (1, false) => format!("The only Velero Schedule, {}, does not run", names[0]),
            (_, true) => "Every Velero Schedule is paused".to_owned(),
            (_, false) => "No Velero Schedule runs".to_owned(),
        };
        let first = velero.schedules.first().copied();
        let ns = first.and_then(|s| s.namespace.as_deref()).unwrap_or("velero");
        vec![
            INFO.about_maybe(first)
                .title(title)
                .message(format!(
                    "Velero has {} Schedule{}, and none creates backups: {}.",
                    velero.schedules.len(),
                    if velero.schedules.len() == 1 { "" } else { "s" },
                    reasons.join("; "),
                ))
                .fix(format!(
                    "Unpause the schedule that covers your data (`velero schedule unpause {}` or `spec.paused: false` in Git), fixing any validation errors first (`kubectl -n {ns} get schedules.velero.io -o yaml`), and take a backup right before the upgrade: `velero backup create pre-upgrade --wait`.",
                    names.first().copied().unwrap_or("NAME"),
                ))
                .evidence("Schedule spec and status")
                .detail("schedules", name_list(&names, 10))
                .detail("enabled", "0")
                .build()
        ]
    }
}
