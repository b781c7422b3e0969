use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Object, Severity, SourceKind};

use super::backup_velero_missing::{Velero, velero};
use super::skew_kubelet::{finding, name_list};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "backup-location-unavailable",
    severity: Severity::Blocker,
    title: "Velero backup storage location unavailable",
    doc: r#"## What it checks
Every Velero BackupStorageLocation (`velero.io/v1`): its `status.phase`, which Velero sets
after validating the location (reaching the bucket with the configured credentials). Any
phase other than `Available` is reported, with Velero's `status.message`, the time of the
last validation, the location's access mode and the Schedules that write to it (a Schedule
without `storageLocation` writes to the default location).

A location without `status.phase` (Velero never validated it, or the snapshot lost the
status) is reported as `info` "status unknown". Manifests carry no status: there only
locations that do show a phase are checked.

## Why it matters
Backups written to an unavailable location fail, and backups stored there cannot be listed or
restored: the way back from a failed upgrade is gone even though Schedules look fine. A
read-only disaster-recovery location that is unavailable means the restore path someone
counts on does not work.

## Example
`velero/gcp-dr`, `phase: Unavailable`, message "googleapi: Error 403: ... does not have
storage.objects.list access": blocker.

## Fix
Read the message (`velero backup-location get`, `kubectl -n velero logs deploy/velero`) and
fix the cause: the credentials secret the location names, the IAM permissions on the bucket,
the bucket name or region, network access to the object store. Velero revalidates every
minute by default; wait for `Available`, then take a fresh backup before upgrading. Delete
locations nobody uses any more.
"#,
};

pub struct BackupLocationUnavailable;

impl Check for BackupLocationUnavailable {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let velero = velero(ctx);
        let manifests = ctx.inventory.kind == SourceKind::Manifests;
        let mut findings = Vec::new();
        for location in &velero.locations {
            match location.raw.path(&["status", "phase"]).and_then(Node::as_str) {
                Some("Available") => {}
                Some(phase) => findings.push(unavailable(&velero, location, phase)),
                None if manifests => {}
                None => findings.push(unknown(&velero, location)),
            }
        }
        findings
    }
}

/// The Schedules that write to `location` (no `storageLocation` means the default one).
fn schedules_using<'a>(velero: &Velero<'a>, location: &Object) -> Vec<&'a str> {
    let is_default = location.raw.path(&["spec", "default"]).and_then(Node::as_bool) == Some(true);
    velero
        .schedules
        .iter()
        .filter(|s| s.namespace == location.namespace)
        .filter(|s| {
            match s
                .raw
                .path(&["spec", "template", "storageLocation"])
                .and_then(Node::as_str)
                .filter(|l| !l.is_empty())
            {
                Some(name) => name == location.name,
                None => is_default,
            }
        })
        .map(|s| s.name.as_str())
        .collect()
}

fn location_name(location: &Object) -> String {
    match &location.namespace {
        Some(ns) => format!("{ns}/{}", location.name),
        None => location.name.clone(),
    }
}

fn unavailable(velero: &Velero<'_>, location: &Object, phase: &str) -> Finding {
    let name = location_name(location);
    let text = |path: &[&str]| location.raw.path(path).and_then(Node::as_str).map(str::trim);
    let message = text(&["status", "message"]).filter(|m| !m.is_empty());
    let validated = text(&["status", "lastValidationTime"]);
    let provider = text(&["spec", "provider"]);
    let bucket = text(&["spec", "objectStorage", "bucket"]);
    let read_only = text(&["spec", "accessMode"]) == Some("ReadOnly");
    let is_default = location.raw.path(&["spec", "default"]).and_then(Node::as_bool) == Some(true);
    let schedules = schedules_using(velero, location);

    let mut details = BTreeMap::from([("location", name.clone()), ("phase", phase.to_owned())]);
    let mut text_parts = vec![format!(
        "BackupStorageLocation {name} is {phase}{}.",
        validated.map_or_else(String::new, |t| format!(" (last validated {t})"))
    )];
    if let Some(m) = message {
        let mut shown: String = m.chars().take(400).collect();
        if !shown.ends_with(['.', '!', '?']) {
            shown.push('.');
        }
        text_parts.push(format!("Velero says: {shown}"));
        details.insert("status_message", m.to_owned());
    }
    if let Some(p) = provider {
        details.insert("provider", p.to_owned());
    }
    if let Some(b) = bucket {
        details.insert("bucket", b.to_owned());
    }
    if read_only {
        text_parts.push(
            "It is a read-only location (a restore source, such as a disaster-recovery copy): backups stored there cannot be listed or restored.".to_owned(),
        );
        details.insert("access_mode", "ReadOnly".to_owned());
    } else if schedules.is_empty() {
        text_parts.push(format!(
            "Backups written to it fail{}.",
            if is_default {
                " (it is the default location)"
            } else {
                ""
            }
        ));
    } else {
        text_parts.push(format!(
            "The Schedule{} {} write{} to it: their backups fail.",
            if schedules.len() == 1 { "" } else { "s" },
            name_list(&schedules, 5),
            if schedules.len() == 1 { "s" } else { "" }
        ));
        details.insert("schedules", schedules.join(", "));
    }
    let mut remediation = format!(
        "Fix access to the location: check the credentials secret it names, the permissions on the bucket{}, the bucket name and region, and network access to the object store (`velero backup-location get`, `kubectl -n {} logs deploy/velero`). Wait for phase Available, then take a fresh backup before the upgrade.",
        bucket.map_or_else(String::new, |b| format!(" {b}")),
        location.namespace.as_deref().unwrap_or("velero")
    );
    if schedules.is_empty() && !is_default {
        remediation.push_str(&format!(
            " If nobody uses {name} any more, delete it (`velero backup-location delete {}`).",
            location.name
        ));
    }
    finding(
        &INFO,
        INFO.severity,
        format!("Backup storage location {name} is {phase}"),
        Some(location),
        text_parts.join(" "),
        remediation,
        Some("BackupStorageLocation status"),
        details,
    )
}

fn unknown(velero: &Velero<'_>, location: &Object) -> Finding {
    let name = location_name(location);
    let schedules = schedules_using(velero, location);
    let users = if schedules.is_empty() {
        String::new()
    } else {
        format!(" Schedules writing to it: {}.", name_list(&schedules, 5))
    };
    finding(
        &INFO,
        Severity::Info,
        format!("Backup storage location {name}: status unknown"),
        Some(location),
        format!(
            "BackupStorageLocation {name} has no status.phase: Velero has not validated it, or the input lost its status. Whether backups can be written to it and restored from it is not known.{users}"
        ),
        format!(
            "Check it with `velero backup-location get` (or `kubectl -n {} get backupstoragelocations.velero.io {} -o yaml`) and make sure its phase is Available before the upgrade.",
            location.namespace.as_deref().unwrap_or("velero"),
            location.name
        ),
        Some("BackupStorageLocation status"),
        BTreeMap::from([("location", name)]),
    )
}

#[cfg(test)]
mod tests {
    use mcp_diag_model::{Minor, Severity, SourceKind};

    use crate::rules::test_support::{TODAY, inventory, options, run_check};

    fn m(minor: u32) -> Minor {
        Minor::new(1, minor)
    }

    fn bsl(name: &str, extra: &str) -> String {
        format!(
            "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {{name: {name}, namespace: velero}}\nspec:\n  provider: aws\n  objectStorage: {{bucket: backups-{name}}}\n{extra}---\n"
        )
    }

    const SCHEDULE: &str = "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: daily, namespace: velero}\nspec:\n  schedule: 0 2 * * *\n  template: {storageLocation: gcp-dr}\n---\n";

    #[test]
    fn unavailable_location_is_a_blocker_naming_its_schedules() {
        let yaml = format!(
            "{}{}{SCHEDULE}",
            bsl("default", "  default: true\nstatus: {phase: Available}\n"),
            bsl(
                "gcp-dr",
                "status:\n  phase: Unavailable\n  lastValidationTime: '2026-11-20T09:29:19Z'\n  message: 'googleapi: Error 403: forbidden'\n"
            )
        );
        let f = run_check("backup-location-unavailable", &yaml, m(32), Some(m(31)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Blocker);
        assert_eq!(f[0].object.as_ref().unwrap().name, "gcp-dr");
        assert!(f[0].message.contains("Error 403"), "{}", f[0].message);
        assert!(f[0].message.contains("Schedule daily writes"), "{}", f[0].message);
        assert_eq!(f[0].details["phase"], "Unavailable");
        assert_eq!(f[0].details["schedules"], "daily");
    }

    #[test]
    fn schedules_without_location_use_the_default() {
        let schedule = "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: nightly, namespace: velero}\nspec: {schedule: '@daily'}\n---\n";
        let yaml = format!(
            "{}{schedule}",
            bsl("default", "  default: true\nstatus: {phase: Unavailable}\n")
        );
        let f = run_check("backup-location-unavailable", &yaml, m(32), Some(m(31)));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].details["schedules"], "nightly");
    }

    #[test]
    fn available_location_is_fine() {
        let yaml = bsl(
            "default",
            "status: {phase: Available, lastValidationTime: '2026-11-24T08:00:00Z'}\n",
        );
        assert!(run_check("backup-location-unavailable", &yaml, m(32), Some(m(31))).is_empty());
    }

    #[test]
    fn missing_status_is_info_in_snapshots_and_silent_in_manifests() {
        let yaml = bsl("default", "");
        let f = run_check("backup-location-unavailable", &yaml, m(32), Some(m(31)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].title.contains("status unknown"));
        let inv = inventory(&yaml, SourceKind::Manifests);
        let settings = crate::Settings {
            target: m(32),
            current: None,
            today: TODAY,
            rules: &[],
            options: &options(),
        };
        let f: Vec<_> = crate::run_all(&inv, &settings)
            .into_iter()
            .filter(|f| f.check == "backup-location-unavailable")
            .collect();
        assert!(f.is_empty(), "{f:#?}");
        // A manifest that does carry a status (an export) is checked.
        let exported = bsl("old", "status: {phase: Unavailable}\n");
        let inv = inventory(&exported, SourceKind::Manifests);
        let f: Vec<_> = crate::run_all(&inv, &settings)
            .into_iter()
            .filter(|f| f.check == "backup-location-unavailable")
            .collect();
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn bad_input_does_not_panic() {
        let yaml = "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: odd, namespace: velero}\nspec: [1, 2]\nstatus: {phase: 3, message: [x]}\n---\napiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: s, namespace: velero}\nspec: {template: 7}\n";
        let f = run_check("backup-location-unavailable", yaml, m(32), Some(m(31)));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        // Another group's BackupStorageLocation is not Velero's.
        let other = "apiVersion: storage.kubestash.com/v1alpha1\nkind: BackupStorageLocation\nmetadata: {name: s3, namespace: demo}\nstatus: {phase: NotReady}\n";
        assert!(run_check("backup-location-unavailable", other, m(32), Some(m(31))).is_empty());
    }
}
