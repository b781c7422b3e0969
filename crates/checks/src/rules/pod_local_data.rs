use mcp_diag_model::{Finding, Node, Seq, Severity};

use crate::words::name_list;
use crate::workloads::{Workload, containers, workloads};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "pod-local-data",
    severity: Severity::Medium,
    title: "Pod with local data a drain destroys",
    doc: r#"## What it checks
Pod templates (once per workload) and bare pods with `emptyDir` or `hostPath` volumes that a
container writes to (a mount without `readOnly: true`), in manifests, snapshots and live
clusters:

- `emptyDir`: deleted with the pod when the drain evicts it (`medium: Memory` too: it is
  RAM, lost the same way). `kubectl drain` refuses such pods unless given
  `--delete-emptydir-data`.
- `hostPath`: stays behind on the old node; the replacement pod on another node sees
  another directory.

Severity: medium; low when the volume looks like scratch space (its name or mount path is
`tmp`, `cache`, `run`, `socket`, `scratch`, `plugins`, `shm` or similar, or it is in memory),
when only init containers write to it (regenerated at every start), and for Jobs and
CronJobs (their pods start over anyway). Exempt: DaemonSets (a drain leaves their pods in
place, and their hostPath volumes are the node's own) and mirror pods.

## Why it matters
An upgrade drains every node. Whatever a pod kept in an emptyDir (a cache that takes an hour
to rebuild, an embedded database, a queue's spool) is gone after the drain; what it kept in a
hostPath is stranded on a node it no longer runs on.

## Example
Deployment `monitoring/grafana` keeps its SQLite database (dashboards, users) in the
emptyDir `storage` at `/var/lib/grafana`: the drain of its node resets Grafana.

## Fix
Keep data that must survive on a PersistentVolumeClaim (a StatefulSet's volumeClaimTemplate,
or a PVC for a single-replica Deployment), or in an external service. Mark true scratch
volumes as such (mount them at /tmp, set a `sizeLimit`), and run drains with
`--delete-emptydir-data` once nothing of value is in them.
"#,
};

pub struct PodLocalData;

/// Name parts that mark a volume as scratch space.
const SCRATCH: &[&str] = &[
    "tmp", "temp", "cache", "caches", "run", "sock", "socket", "sockets", "scratch", "plugins", "shm",
    "dshm", "lock", "locks",
];

fn scratch_like(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| SCRATCH.contains(&part.to_ascii_lowercase().as_str()))
}

/// A volume a container writes to, as found in a pod spec.
struct LocalVolume {
    text: String,
    scratch: bool,
    host_path: bool,
}

/// The writable mount paths of volume `name`: (app container paths, init container paths).
fn writable_mounts<'a>(spec: Node<'a>, name: &str) -> (Vec<&'a str>, Vec<&'a str>) {
    let mounts = |list: Seq<'a>| -> Vec<&'a str> {
        list.iter()
            .flat_map(|c| c.get("volumeMounts").and_then(Node::as_seq).unwrap_or_default())
            .filter(|m| m.get("name").and_then(Node::as_str) == Some(name))
            .filter(|m| m.get("readOnly").and_then(Node::as_bool) != Some(true))
            .map(|m| m.get("mountPath").and_then(Node::as_str).unwrap_or("?"))
            .collect()
    };
    let init = spec
        .get("initContainers")
        .and_then(Node::as_seq)
        .unwrap_or_default();
    (mounts(containers(spec)), mounts(init))
}

fn local_volumes(w: &Workload<'_>) -> Vec<LocalVolume> {
    let spec = w.pod_spec;
    let mut out = Vec::new();
    for v in spec.get("volumes").and_then(Node::as_seq).unwrap_or_default() {
        let Some(name) = v.get("name").and_then(Node::as_str) else {
            continue;
        };
        let empty_dir = v.get("emptyDir");
        let host_path = v.get("hostPath");
        if empty_dir.is_none() && host_path.is_none() {
            continue;
        }
        let (app, init) = writable_mounts(spec, name);
        if app.is_empty() && init.is_empty() {
            continue; // not written to
        }
        let mut paths: Vec<&str> = Vec::new();
        for p in app.iter().chain(&init) {
            if !paths.contains(p) {
                paths.push(p);
            }
        }
        let at = name_list(&paths, 2);
        if let Some(h) = host_path {
            let path = h.get("path").and_then(Node::as_str).unwrap_or("?");
            out.push(LocalVolume {
                text: format!("hostPath {name} ({path} at {at})"),
                scratch: scratch_like(path) && paths.iter().all(|p| scratch_like(p)),
                host_path: true,
            });
        } else {
            let memory = empty_dir.and_then(|e| e.get("medium")).and_then(Node::as_str) == Some("Memory");
            let scratch =
                memory || app.is_empty() || scratch_like(name) || paths.iter().all(|p| scratch_like(p));
            out.push(LocalVolume {
                text: format!(
                    "emptyDir {name}{} at {at}{}",
                    if memory { " (in memory)" } else { "" },
                    if app.is_empty() {
                        ", written by init containers only"
                    } else {
                        ""
                    }
                ),
                scratch,
                host_path: false,
            });
        }
    }
    out
}

impl Check for PodLocalData {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for w in workloads(ctx).iter().filter(|w| !w.daemon && !w.mirror) {
            let volumes = local_volumes(w);
            if volumes.is_empty() {
                continue;
            }
            let valuable = !w.run_to_completion && volumes.iter().any(|v| !v.scratch);
            let severity = if valuable { INFO.severity } else { Severity::Low };
            let what = w.describe();
            let texts: Vec<&str> = volumes.iter().map(|v| v.text.as_str()).collect();
            let list = name_list(&texts, 4);
            let has_empty = volumes.iter().any(|v| !v.host_path);
            let has_host = volumes.iter().any(|v| v.host_path);
            let mut consequences = Vec::new();
            if has_empty {
                consequences.push("emptyDir data is deleted with the evicted pod (kubectl drain refuses it without --delete-emptydir-data)");
            }
            if has_host {
                consequences
                    .push("hostPath data stays behind on the old node while the replacement runs elsewhere");
            }
            let tone = if w.run_to_completion {
                " It is a run-to-completion workload: an evicted pod starts over anyway."
            } else if valuable {
                ""
            } else {
                " The volumes look like scratch space, so little may be lost; check that nothing of value is kept there."
            };
            findings.push(
                w.about(&INFO, &[])
                    .severity(severity)
                    .title(format!("{what} keeps data on the node ({})", name_list(&texts, 2)))
                    .message(format!(
                        "{what} writes to {list}. When a drain evicts its pods, {}.{tone}",
                        consequences.join("; "),
                    ))
                    .fix(format!(
                        "Keep data that must survive in {what} on a PersistentVolumeClaim (a StatefulSet volumeClaimTemplate, or a PVC) or an external service; mount true scratch space at /tmp with a sizeLimit, and drain with --delete-emptydir-data once nothing of value is kept there."
                    ))
                    .detail("volumes", texts.join(" | "))
                    .build()
            );
        }
        findings
    }
}
