use std::collections::{BTreeMap, HashMap, HashSet};

use mcp_diag_model::time::format_duration;
use mcp_diag_model::{Finding, Node, Object, Severity};

use crate::rules::pvc_storageclass_missing::{ClaimClass, Classes, created};
use crate::rules::workload_single_replica::namespace_of;
use crate::words::name_list;
use crate::workloads::{StatusOf, in_cluster};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pvc-unbound",
    severity: Severity::High,
    title: "PersistentVolumeClaim Pending or Lost",
    doc: r#"## What it checks
The phase of every PersistentVolumeClaim in a snapshot or live cluster (manifests have no
status and are skipped):

- `Lost`: the claim's PersistentVolume is gone or bound elsewhere;
- `Pending`: no volume bound. The finding says why it is likely: the StorageClass does not
  exist, no PersistentVolume matches a static claim (`storageClassName: ""`), the
  provisioner did not provision (`volumeBindingMode: Immediate`), or the pods that mount it
  cannot start. A claim whose class binds on first use (`WaitForFirstConsumer`) and that no
  pod mounts is reported as `medium`: nothing is waiting for it, but it has never held data
  and is probably a leftover or belongs to a workload that is not running. When pods were not
  read completely (see `input-incomplete`), or an export holds none, "no pod mounts it" cannot
  be told: the claim stays `high` and the finding says whether pods wait for it is unknown.

The pods that mount a claim are found through an index of the pods of the claim's namespace.
When no claim of a snapshot carries a status, one `info` finding says so.

## Why it matters
A pod that mounts an unbound claim never starts; when a drain evicts it, its replacement
stays Pending and the workload loses a replica for the whole upgrade. A Lost claim means the
data behind it is unreachable. Provisioning failures often come from the CSI driver or its
controller, which the upgrade itself restarts or replaces.

## Example
PersistentVolumeClaim `data/reports-archive` (200Gi, class `gp3`) has been Pending for 8
days; `gp3` binds on first consumer and no pod mounts the claim.

## Fix
`kubectl describe pvc NAME -n NS` shows the binder's and provisioner's events: fix the
class, the provisioner or the quota, or create the matching PersistentVolume. Delete claims
nothing uses. For a Lost claim, restore the volume (recreate its PersistentVolume pointing at
the backing disk) or restore the data from a backup.
"#,
};

pub struct PvcUnbound;

/// Claims as this check reads them: by their status phase.
const CLAIM_STATUS: StatusOf = StatusOf {
    kind: "PersistentVolumeClaim",
    kinds: "PersistentVolumeClaims",
    field: "status phase",
    unjudged: "unbound and lost claims cannot be found",
    resource: "pvc",
    evidence: "claim status",
    count_key: "claims",
};

impl Check for PvcUnbound {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        run(ctx)
    }
}

fn run<'a>(ctx: &Context<'a>) -> Vec<Finding> {
    let pvcs = in_cluster(ctx, "PersistentVolumeClaim");
    let phase = |p: &'a Object| p.raw.path(&["status", "phase"]).and_then(Node::as_str);
    let without_status = pvcs.iter().filter(|p| phase(p).is_none()).count();
    let mut findings = Vec::new();
    if without_status > 0 && without_status == pvcs.len() {
        findings.push(CLAIM_STATUS.missing(&INFO, without_status));
        return findings;
    }
    let unbound: Vec<(&Object, &str)> = pvcs
        .iter()
        .filter_map(|p| {
            phase(p)
                .filter(|ph| *ph == "Pending" || *ph == "Lost")
                .map(|ph| (*p, ph))
        })
        .collect();
    if unbound.is_empty() {
        return findings;
    }
    let consumers = consumers(ctx, unbound.iter().map(|(p, _)| *p));
    let classes = Classes::of(ctx);
    for (pvc, phase) in &unbound {
        let users = consumers
            .get(&(namespace_of(pvc), pvc.name.as_str()))
            .map_or(&[][..], Vec::as_slice);
        findings.push(if *phase == "Lost" {
            lost(pvc, users)
        } else {
            pending(ctx, pvc, users, &classes)
        });
    }
    findings
}

/// The pods (not terminal) that mount each of `claims`, by (namespace, claim name): one pass
/// over the pods of the claims' namespaces.
pub(crate) fn consumers<'a>(
    ctx: &Context<'a>,
    claims: impl Iterator<Item = &'a Object>,
) -> HashMap<(&'a str, &'a str), Vec<&'a Object>> {
    let wanted: HashSet<(&'a str, &'a str)> = claims.map(|c| (namespace_of(c), c.name.as_str())).collect();
    let namespaces: HashSet<&'a str> = wanted.iter().map(|(ns, _)| *ns).collect();
    let mut map: HashMap<(&'a str, &'a str), Vec<&'a Object>> = HashMap::new();
    for ns in namespaces {
        for pod in ctx.index.pods_in(ns) {
            if matches!(
                pod.raw.path(&["status", "phase"]).and_then(Node::as_str),
                Some("Succeeded" | "Failed")
            ) {
                continue;
            }
            let volumes = pod
                .raw
                .path(&["spec", "volumes"])
                .and_then(Node::as_seq)
                .unwrap_or_default();
            for v in volumes {
                if let Some(claim) = v
                    .path(&["persistentVolumeClaim", "claimName"])
                    .and_then(Node::as_str)
                    && let Some(key) = wanted.get(&(ns, claim))
                {
                    map.entry(*key).or_default().push(pod);
                }
            }
        }
    }
    map
}

fn age(ctx: &Context<'_>, object: &Object) -> Option<String> {
    let created = created(object)?;
    let secs = u64::try_from(ctx.options.now - created).ok()?;
    Some(format_duration(secs))
}

fn pod_names(pods: &[&Object]) -> String {
    let names: Vec<&str> = pods.iter().map(|p| p.name.as_str()).collect();
    name_list(&names, 4)
}

fn base_details(pvc: &Object, phase: &str, users: &[&Object]) -> BTreeMap<&'static str, String> {
    let mut details = BTreeMap::from([
        ("phase", phase.to_owned()),
        ("claim", format!("{}/{}", namespace_of(pvc), pvc.name)),
    ]);
    if let Some(size) = pvc
        .raw
        .path(&["spec", "resources", "requests", "storage"])
        .and_then(Node::as_str)
    {
        details.insert("request", size.to_owned());
    }
    if !users.is_empty() {
        details.insert(
            "pods",
            users
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    details
}

fn lost(pvc: &Object, users: &[&Object]) -> Finding {
    let ns = namespace_of(pvc);
    let name = &pvc.name;
    let volume = pvc
        .raw
        .path(&["spec", "volumeName"])
        .and_then(Node::as_str)
        .unwrap_or("");
    let mut details = base_details(pvc, "Lost", users);
    details.insert("volume", volume.to_owned());
    let users_text = if users.is_empty() {
        String::new()
    } else {
        format!(" Pods that mount it cannot start: {}.", pod_names(users))
    };
    INFO.about(pvc)
        .title(format!("PersistentVolumeClaim {ns}/{name} is Lost"))
        .message(format!(
            "PersistentVolumeClaim {ns}/{name} is Lost: its PersistentVolume {} is gone or bound to another claim, so the data behind it is unreachable.{users_text} During the upgrade, every pod of it that a drain evicts stays Pending.",
            if volume.is_empty() { "(none named)" } else { volume },
        ))
        .fix(format!(
            "Recreate the PersistentVolume{} for the backing disk with a claimRef to {ns}/{name}, or restore the data from a backup into a new claim; delete the claim if the data is no longer needed.",
            if volume.is_empty() {
                String::new()
            } else {
                format!(" {volume}")
            },
        ))
        .evidence("claim status")
        .details(details)
        .build()
}

fn pending(ctx: &Context<'_>, pvc: &Object, users: &[&Object], classes: &Classes<'_>) -> Finding {
    let ns = namespace_of(pvc);
    let name = &pvc.name;
    let mut details = base_details(pvc, "Pending", users);
    let class = ClaimClass::of(pvc.raw.get("metadata"), pvc.raw.get("spec"));
    let sc: Option<&Object> = match class {
        ClaimClass::Named(n) => classes.by_name.get(n).copied(),
        ClaimClass::Unset => classes.defaults.last().copied(),
        ClaimClass::Static => None,
    };
    if let Some(sc) = sc {
        details.insert("storage_class", sc.name.clone());
    }
    let since = age(ctx, pvc).map_or_else(String::new, |a| format!(" for {a}"));
    let wait_for_consumer = sc.is_some_and(|sc| {
        sc.raw.get("volumeBindingMode").and_then(Node::as_str) == Some("WaitForFirstConsumer")
    });
    let describe = format!("kubectl describe pvc {name} -n {ns}");
    // "No pod mounts it" holds only when every pod was read.
    let pods_unknown = if users.is_empty() {
        ctx.unknown_of(&[("", "Pod")])
    } else {
        None
    };
    if let Some(why) = &pods_unknown {
        details.insert("pods_unknown", why.clone());
    }
    if wait_for_consumer && users.is_empty() && pods_unknown.is_none() {
        let sc_name = sc.map_or("", |s| s.name.as_str());
        details.insert("reason", "no-consumer".to_owned());
        return INFO.about(pvc)
            .severity(Severity::Medium)
            .title(format!("PersistentVolumeClaim {ns}/{name} is Pending, and no pod uses it"))
            .message(format!(
                "PersistentVolumeClaim {ns}/{name} has been Pending{since}: its StorageClass {sc_name} binds on first use (volumeBindingMode: WaitForFirstConsumer) and no pod mounts it, so no volume was ever provisioned. Either the workload meant to use it is missing or not running, or the claim is a leftover."
            ))
            .fix(format!(
                "If a workload should mount {ns}/{name}, start it and check the claim binds ({describe}); if nothing will, delete the claim (it never held data)."
            ))
            .evidence("claim status")
            .details(details)
            .build();
    }
    let (reason, why) = match (class, sc) {
        (ClaimClass::Named(n), None) => (
            "storage-class-missing",
            format!("it names StorageClass {n}, which does not exist, so nothing provisions it"),
        ),
        (ClaimClass::Unset, None) => (
            "no-default-class",
            "it names no StorageClass and none is marked default, so nothing provisions it".to_owned(),
        ),
        (ClaimClass::Static, _) => (
            "no-matching-volume",
            "it asks for a pre-created PersistentVolume without class (storageClassName: \"\") and none matches its size, access modes and selector".to_owned(),
        ),
        (_, Some(sc)) => {
            let provisioner = sc.raw.get("provisioner").and_then(Node::as_str).unwrap_or("?");
            if wait_for_consumer {
                (
                    "provisioning-failed",
                    if users.is_empty() {
                        format!(
                            "its StorageClass {} (provisioner {provisioner}) provisions on first use, when a pod that mounts it is scheduled",
                            sc.name
                        )
                    } else {
                        format!(
                            "its StorageClass {} (provisioner {provisioner}) provisions on first use, and the pods that mount it are waiting",
                            sc.name
                        )
                    },
                )
            } else {
                (
                    "provisioning-failed",
                    format!(
                        "its StorageClass {} (provisioner {provisioner}, volumeBindingMode Immediate) has not provisioned a volume",
                        sc.name
                    ),
                )
            }
        }
    };
    details.insert("reason", reason.to_owned());
    let users_text = if let Some(why) = &pods_unknown {
        format!(" Pods were not read completely ({why}): whether pods mount it and wait for it is unknown.")
    } else if users.is_empty() {
        " No pod mounts it yet.".to_owned()
    } else {
        format!(" The pods that mount it cannot start: {}.", pod_names(users))
    };
    INFO.about(pvc)
        .title(format!("PersistentVolumeClaim {ns}/{name} is Pending"))
        .message(format!(
            "PersistentVolumeClaim {ns}/{name} has been Pending{since}: {why}.{users_text} Every pod that mounts it and that a drain evicts during the upgrade stays Pending."
        ))
        .fix(format!(
            "Read the binder's and provisioner's events ({describe}) and fix the cause (StorageClass, CSI driver and its controller running, quota, zone) before the upgrade, or delete the claim if nothing needs it."
        ))
        .evidence("claim status")
        .details(details)
        .build()
}
