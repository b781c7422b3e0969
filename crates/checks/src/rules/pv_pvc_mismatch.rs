use std::collections::{BTreeMap, HashMap};

use mcp_diag_model::{Finding, Node, Object, Severity, SourceKind};

use crate::quantity::bytes;
use crate::rules::pvc_storageclass_missing::ClaimClass;
use crate::rules::workload_single_replica::namespace_of;
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pv-pvc-mismatch",
    severity: Severity::High,
    title: "Bound PersistentVolume and claim that disagree",
    doc: r#"## What it checks
Every bound pair of PersistentVolumeClaim and PersistentVolume, found through indexes
(volumes by name for each claim's `spec.volumeName`; claims by namespace and name for the
volumes whose `spec.claimRef` does not name the claim that names them):

- claimRef: the volume's `spec.claimRef` does not name the claim (namespace, name), or its
  `uid` is not the claim's (the claim was deleted and recreated), or the volume has none;
- capacity: the volume is smaller than the claim's `spec.resources.requests.storage`
  (unless a resize is in progress: condition `Resizing` or `FileSystemResizePending`);
- access modes: the claim asks for a mode the volume does not offer;
- storageClassName (absent and `""` both mean none) and volumeMode (absent means
  `Filesystem`);
- a volume whose claimRef names a claim that is bound to another volume;
- a claim naming a volume that does not exist (snapshots that hold volumes).

Claims that are Pending or Lost are left to `pvc-unbound`. Applies to snapshots and to
manifests that declare statically bound pairs.

A claim whose volume is not in the input is reported only when the PersistentVolumes were
read completely (see `input-incomplete`).

## Why it matters
The binder matched these objects once; hand edits, restores (Velero, cloning) or recreated
claims break the pair. The PersistentVolume controller marks a claim Lost as soon as its
volume's claimRef no longer points back to it (a snapshot may catch the moment before), and
pods that mount a Lost claim cannot start when a drain reschedules them. A volume smaller
than requested, or with other access modes, class or volume mode than the claim declares,
gives the workload something else than it asked for, and expansion, snapshots and restores,
which work from the claim's spec, fail or produce a different volume.

## Example
PersistentVolumeClaim `data/data-postgres-0` requests 100Gi and is bound to
`pvc-e49d...`, whose capacity is 50Gi (the claim was edited, the volume never expanded).

## Fix
Make the pair agree: expand the volume (or restore the claim's request), or rebind the data
properly (a new claim pre-bound with `spec.volumeName` to a volume whose `claimRef` names
it, uid included). After a restore, let the restore tool recreate both objects together.
"#,
};

pub struct PvPvcMismatch;

impl Check for PvPvcMismatch {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let pvs = ctx.index.of_kind("PersistentVolume");
        let pvcs = ctx.index.of_kind("PersistentVolumeClaim");
        if pvcs.is_empty() && pvs.is_empty() {
            return Vec::new();
        }
        // "The volume does not exist" needs every volume.
        let snapshot = ctx.inventory.kind != SourceKind::Manifests && !ctx.read_gap("", "PersistentVolume");
        // Volumes by name, each with whether its claimRef names the claim that names it
        // (then the pair is checked from the claim's side only).
        let mut volumes: HashMap<&str, (&Object, bool)> = HashMap::with_capacity(pvs.len());
        for pv in pvs {
            volumes.insert(pv.name.as_str(), (pv, false));
        }
        let mut findings = Vec::new();
        for pvc in pvcs {
            let Some(volume) = volume_name(pvc) else {
                continue;
            };
            if !is_bound_or_unknown(pvc) {
                continue;
            }
            match volumes.get_mut(volume) {
                Some((pv, paired)) => {
                    let (problems, names_claim) = compare(pvc, pv);
                    *paired |= names_claim;
                    if !problems.is_empty() {
                        findings.push(mismatch(pvc, pv, &problems));
                    }
                }
                None if snapshot && !pvs.is_empty() => findings.push(missing_volume(pvc, volume)),
                None => {}
            }
        }
        // Bound volumes whose claimRef names a claim that names another volume.
        let unpaired: Vec<(&Object, &str, &str)> = pvs
            .iter()
            .filter(|pv| volumes.get(pv.name.as_str()).is_some_and(|(_, paired)| !paired))
            .filter(|pv| is_bound_or_unknown(pv))
            .filter_map(|pv| claim_ref(pv).map(|(ns, name, _)| (*pv, ns, name)))
            .collect();
        if !unpaired.is_empty() {
            let claims: HashMap<(&str, &str), &Object> = pvcs
                .iter()
                .map(|c| ((namespace_of(c), c.name.as_str()), *c))
                .collect();
            for (pv, ns, name) in unpaired {
                if let Some(pvc) = claims.get(&(ns, name))
                    && let Some(other) = volume_name(pvc)
                    && other != pv.name
                {
                    findings.push(stolen(pv, pvc, other));
                }
            }
        }
        findings
    }
}

fn volume_name(pvc: &Object) -> Option<&str> {
    pvc.raw
        .path(&["spec", "volumeName"])
        .and_then(Node::as_str)
        .filter(|v| !v.is_empty())
}

/// Bound, or without status (manifests).
fn is_bound_or_unknown(object: &Object) -> bool {
    match object.raw.path(&["status", "phase"]).filter(|n| !n.is_null()) {
        None => true,
        Some(p) => p.as_str() == Some("Bound"),
    }
}

/// (namespace, name, uid) of a volume's `spec.claimRef`.
fn claim_ref(pv: &Object) -> Option<(&str, &str, Option<&str>)> {
    let r = pv.raw.path(&["spec", "claimRef"])?;
    let name = r.get("name").and_then(Node::as_str)?;
    let ns = r.get("namespace").and_then(Node::as_str).unwrap_or("default");
    Some((
        ns,
        name,
        r.get("uid").and_then(Node::as_str).filter(|u| !u.is_empty()),
    ))
}

fn modes(node: Option<Node<'_>>) -> impl Iterator<Item = &str> {
    node.and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
}

/// What disagrees, as (detail key, sentence), and whether the volume's claimRef names the
/// claim (namespace and name).
fn compare<'a>(pvc: &'a Object, pv: &'a Object) -> (Vec<(&'static str, String)>, bool) {
    let ns = namespace_of(pvc);
    let mut problems = Vec::new();
    let mut names_claim = false;
    match claim_ref(pv) {
        None => problems.push(("claim_ref", "the volume has no claimRef".to_owned())),
        Some((rns, rname, ruid)) => {
            names_claim = (rns, rname) == (ns, pvc.name.as_str());
            if !names_claim {
                problems.push(("claim_ref", format!("the volume's claimRef names {rns}/{rname}")));
            } else if let (Some(ruid), Some(uid)) =
                (ruid, pvc.raw.path(&["metadata", "uid"]).and_then(Node::as_str))
                && ruid != uid
            {
                problems.push((
                    "claim_ref_uid",
                    format!(
                        "the volume's claimRef has uid {ruid}, the claim's uid is {uid} (the claim was deleted and recreated)"
                    ),
                ));
            }
        }
    }
    let claim_spec = pvc.raw.field("spec");
    let volume_spec = pv.raw.field("spec");
    let requested = claim_spec
        .path(&["resources", "requests", "storage"])
        .and_then(Node::as_str);
    let capacity = volume_spec.path(&["capacity", "storage"]).and_then(Node::as_str);
    let resizing = pvc
        .raw
        .path(&["status", "conditions"])
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .any(|c| {
            matches!(
                c.get("type").and_then(Node::as_str),
                Some("Resizing" | "FileSystemResizePending")
            )
        });
    if let (Some(req), Some(cap)) = (requested, capacity)
        && req != cap
        && let (Some(r), Some(c)) = (bytes(req), bytes(cap))
        && c < r
        && !resizing
    {
        problems.push((
            "capacity",
            format!("the volume holds {cap}, less than the {req} the claim requests"),
        ));
    }
    let offered_node = volume_spec.get("accessModes");
    let lacking: Vec<&str> = modes(claim_spec.get("accessModes"))
        .filter(|m| !modes(offered_node).any(|o| o == *m))
        .collect();
    let offered: Vec<&str> = if lacking.is_empty() {
        Vec::new()
    } else {
        modes(offered_node).collect()
    };
    if !lacking.is_empty() && !offered.is_empty() {
        problems.push((
            "access_modes",
            format!(
                "the claim asks for {} but the volume offers {}",
                lacking.join(", "),
                offered.join(", ")
            ),
        ));
    }
    let claim_class = ClaimClass::of(pvc.raw.get("metadata"), Some(claim_spec)).name();
    let volume_class = volume_spec
        .get("storageClassName")
        .and_then(Node::as_str)
        .unwrap_or("");
    if claim_class != volume_class {
        let show = |c: &str| {
            if c.is_empty() {
                "none".to_owned()
            } else {
                c.to_owned()
            }
        };
        problems.push((
            "storage_class",
            format!(
                "the claim's StorageClass is {}, the volume's {}",
                show(claim_class),
                show(volume_class)
            ),
        ));
    }
    let mode = |spec: Node<'a>| {
        spec.get("volumeMode")
            .and_then(Node::as_str)
            .unwrap_or("Filesystem")
    };
    let (cm, vm) = (mode(claim_spec), mode(volume_spec));
    if cm != vm {
        problems.push((
            "volume_mode",
            format!("the claim wants volumeMode {cm}, the volume has {vm}"),
        ));
    }
    (problems, names_claim)
}

fn mismatch(pvc: &Object, pv: &Object, problems: &[(&'static str, String)]) -> Finding {
    let ns = namespace_of(pvc);
    let name = &pvc.name;
    let mut details = BTreeMap::from([
        ("claim", format!("{ns}/{name}")),
        ("volume", pv.name.clone()),
        (
            "disagree",
            problems.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", "),
        ),
    ]);
    for (k, text) in problems {
        details.insert(k, text.clone());
    }
    let sentences: Vec<&str> = problems.iter().map(|(_, t)| t.as_str()).collect();
    let mut fixes = Vec::new();
    for (k, _) in problems {
        let fix = match *k {
            "claim_ref" | "claim_ref_uid" => format!(
                "rebind properly: a claim pre-bound with spec.volumeName: {} to a volume whose claimRef names it (namespace, name and uid)",
                pv.name
            ),
            "capacity" => {
                "expand the volume to the requested size (or restore the claim's request)".to_owned()
            }
            "access_modes" => "ask only for access modes the volume offers".to_owned(),
            "storage_class" => "give both the same storageClassName".to_owned(),
            _ => "give both the same volumeMode".to_owned(),
        };
        if !fixes.contains(&fix) {
            fixes.push(fix);
        }
    }
    INFO.about(pvc)
        .title(format!(
            "PersistentVolumeClaim {ns}/{name} and PersistentVolume {} disagree",
            pv.name,
        ))
        .message(format!(
            "PersistentVolumeClaim {ns}/{name} is bound to PersistentVolume {}, but {}.{}",
            pv.name,
            sentences.join("; "),
            consequences(problems),
        ))
        .fix(format!(
            "Make the pair agree before the upgrade: {}.",
            fixes.join("; "),
        ))
        .evidence("claim and volume specs")
        .details(details)
        .build()
}

/// What the disagreements lead to, for the message.
fn consequences(problems: &[(&'static str, String)]) -> String {
    let has = |keys: &[&str]| problems.iter().any(|(k, _)| keys.contains(k));
    let mut text = String::new();
    if has(&["claim_ref", "claim_ref_uid"]) {
        text.push_str(" The PersistentVolume controller marks a claim Lost when its volume's claimRef does not point back to it; pods that mount it then cannot start once a drain reschedules them.");
    }
    if has(&["capacity"]) {
        text.push_str(" The workload has less space than its claim requests.");
    }
    if has(&["access_modes", "storage_class", "volume_mode"]) {
        text.push_str(" Expansion, snapshots and restores work from the claim's spec and fail or produce a different volume.");
    }
    text
}

fn missing_volume(pvc: &Object, volume: &str) -> Finding {
    let ns = namespace_of(pvc);
    let name = &pvc.name;
    INFO.about(pvc)
        .title(format!("PersistentVolumeClaim {ns}/{name} is bound to a missing PersistentVolume"))
        .message(format!(
            "PersistentVolumeClaim {ns}/{name} names PersistentVolume {volume} (spec.volumeName), which is not in the cluster. The claim turns Lost and pods that mount it cannot start once they are rescheduled by a drain."
        ))
        .fix(format!(
            "Recreate PersistentVolume {volume} for the backing disk with a claimRef to {ns}/{name}, or restore the data from a backup into a new claim."
        ))
        .evidence("claim and volume specs")
        .detail("claim", format!("{ns}/{name}"))
        .detail("volume", volume)
        .detail("disagree", "volume_missing")
        .build()
}

fn stolen(pv: &Object, pvc: &Object, other: &str) -> Finding {
    let ns = namespace_of(pvc);
    let name = &pvc.name;
    INFO.about(pv)
        .title(format!(
            "PersistentVolume {} claims {ns}/{name}, which is bound elsewhere",
            pv.name,
        ))
        .message(format!(
            "PersistentVolume {} is Bound with a claimRef to {ns}/{name}, but that claim is bound to PersistentVolume {other}. Nothing can use {} and the binder may release or reclaim it (with reclaim policy Delete, its data is deleted).",
            pv.name,
            pv.name,
        ))
        .fix(format!(
            "Find out which volume holds {ns}/{name}'s data; clear spec.claimRef of the other one (or bind it to the claim it belongs to) and set its reclaim policy to Retain until the data is safe."
        ))
        .evidence("claim and volume specs")
        .detail("claim", format!("{ns}/{name}"))
        .detail("volume", pv.name.clone())
        .detail("claim_volume", other)
        .detail("disagree", "claim_bound_elsewhere")
        .build()
}
