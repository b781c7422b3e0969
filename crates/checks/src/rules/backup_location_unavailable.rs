use std::collections::BTreeMap;

use mcp_diag_model::{Finding, Node, Object, Severity, SourceKind};

use crate::velero::{Velero, velero};
use crate::words::name_list;
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
    info_from!(INFO);

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
    INFO.about(location)
        .title(format!("Backup storage location {name} is {phase}"))
        .message(text_parts.join(" "))
        .fix(remediation)
        .evidence("BackupStorageLocation status")
        .details(details)
        .build()
}

fn unknown(velero: &Velero<'_>, location: &Object) -> Finding {
    let name = location_name(location);
    let schedules = schedules_using(velero, location);
    let users = if schedules.is_empty() {
        String::new()
    } else {
        format!(" Schedules writing to it: {}.", name_list(&schedules, 5))
    };
    INFO.about(location)
        .notice(format!("Backup storage location {name}: status unknown"))
        .message(format!(
            "BackupStorageLocation {name} has no status.phase: Velero has not validated it, or the input lost its status. Whether backups can be written to it and restored from it is not known.{users}"
        ))
        .fix(format!(
            "Check it with `velero backup-location get` (or `kubectl -n {} get backupstoragelocations.velero.io {} -o yaml`) and make sure its phase is Available before the upgrade.",
            location.namespace.as_deref().unwrap_or("velero"),
            location.name,
        ))
        .evidence("BackupStorageLocation status")
        .detail("location", name)
        .build()
}
