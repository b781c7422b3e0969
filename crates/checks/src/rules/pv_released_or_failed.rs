use std::collections::BTreeMap;

use mcp_diag_model::time::{format_duration, parse_timestamp};
use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::workloads::in_cluster;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pv-released-or-failed",
    severity: Severity::Medium,
    title: "PersistentVolume Released or Failed",
    doc: r#"## What it checks
The phase of every PersistentVolume in a snapshot or live cluster (manifests have no status
and are skipped):

- `Released`: its claim was deleted. With `persistentVolumeReclaimPolicy: Retain` the volume
  and its data stay, but no claim binds it again until someone clears `spec.claimRef`; with
  `Delete` the provisioner has not deleted it yet (stuck deletion).
- `Failed`: automatic reclamation failed (`status.message` says why).

The finding names the former claim, the reclaim policy and how long ago the phase changed
(`status.lastPhaseTransitionTime`, Kubernetes 1.28 and later).

## Why it matters
Released and Failed volumes are disks nobody uses but somebody pays for, and sometimes data
somebody still needs: a StatefulSet whose claims were deleted by mistake is recreated with
empty volumes while the old data waits in Released PVs. Volumes stuck in deletion usually
point at a provisioner or CSI driver that is not working, which the upgrade will restart or
replace; and in-tree volumes that are migrated to CSI during the upgrade are harder to clean
up afterwards.

## Example
PersistentVolume `pvc-3f1c...` (50Gi, Retain), formerly bound to `data/data-postgres-3`,
Released for 40 days.

## Fix
If the data is still needed, back it up or bind it again (remove `spec.claimRef`, or set it
to the new claim); otherwise delete the PersistentVolume and the backing disk. For a Failed
or stuck volume, fix the provisioner (see `status.message` and the CSI driver's logs) and
delete the volume.
"#,
};

pub struct PvReleasedOrFailed;

impl Check for PvReleasedOrFailed {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        in_cluster(ctx, "PersistentVolume")
            .iter()
            .filter_map(|pv| judge(ctx, pv))
            .collect()
    }
}

fn judge(ctx: &Context<'_>, pv: &Object) -> Option<Finding> {
    let phase = pv.raw.path(&["status", "phase"]).and_then(Node::as_str)?;
    if phase != "Released" && phase != "Failed" {
        return None;
    }
    let name = &pv.name;
    let spec = |k: &str| pv.raw.path(&["spec", k]);
    let policy = spec("persistentVolumeReclaimPolicy")
        .and_then(Node::as_str)
        .unwrap_or("Retain");
    let claim = spec("claimRef").and_then(|c| {
        let n = c.get("name").and_then(Node::as_str)?;
        let ns = c.get("namespace").and_then(Node::as_str).unwrap_or("default");
        Some(format!("{ns}/{n}"))
    });
    let size = spec("capacity")
        .and_then(|c| c.get("storage"))
        .and_then(Node::as_str);
    let since = pv
        .raw
        .path(&["status", "lastPhaseTransitionTime"])
        .and_then(Node::as_str)
        .and_then(parse_timestamp)
        .and_then(|t| u64::try_from(ctx.options.now - t).ok())
        .map_or_else(String::new, |s| format!(" for {}", format_duration(s)));
    let status_message = pv
        .raw
        .path(&["status", "message"])
        .and_then(Node::as_str)
        .filter(|m| !m.is_empty());
    let mut details = BTreeMap::from([("phase", phase.to_owned()), ("reclaim_policy", policy.to_owned())]);
    if let Some(c) = &claim {
        details.insert("claim", c.clone());
    }
    if let Some(s) = size {
        details.insert("capacity", s.to_owned());
    }
    let what = format!(
        "PersistentVolume {name}{}{}",
        size.map_or_else(String::new, |s| format!(" ({s}, {policy})")),
        claim
            .as_ref()
            .map_or_else(String::new, |c| format!(", formerly bound to {c},"))
    );
    let said = status_message.map_or_else(String::new, |m| format!(" The volume says: \"{m}\"."));
    let (message, remediation) = match (phase, policy) {
        ("Released", "Delete") => (
            format!(
                "{what} has been Released{since} with reclaim policy Delete, but was not deleted: its provisioner or CSI driver did not act.{said} The backing disk still exists and costs money."
            ),
            format!(
                "Check the provisioner (its controller pods and logs) and delete PersistentVolume {name} and the backing disk once it works; fix the provisioner before the upgrade restarts or replaces it."
            ),
        ),
        ("Released", _) => (
            format!(
                "{what} has been Released{since}: its claim was deleted, and with reclaim policy {policy} the volume and its data stay but no claim binds it again until spec.claimRef is cleared.{said}"
            ),
            format!(
                "If the data is needed, back it up or bind it again (remove spec.claimRef of PersistentVolume {name}, or point it at the new claim); otherwise delete the PersistentVolume and the backing disk."
            ),
        ),
        _ => (
            format!(
                "{what} is Failed{since}: automatic reclamation failed.{said} The backing disk may still exist."
            ),
            format!(
                "Fix the cause given in the status (provisioner or CSI driver), then delete PersistentVolume {name} and, if it remains, the backing disk by hand."
            ),
        ),
    };
    Some(
        INFO.about(pv)
            .title(format!("PersistentVolume {name} is {phase}"))
            .message(message)
            .fix(remediation)
            .evidence("volume status")
            .details(details)
            .build(),
    )
}
