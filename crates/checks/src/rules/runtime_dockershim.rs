use std::collections::BTreeMap;

use mcp_diag_data::skew::{DOCKERSHIM_REMOVAL, DOCKERSHIM_REMOVED_IN, newest_apiserver_for_kubelet};
use mcp_diag_model::{Finding, Severity};

use super::skew_common::{NodeVersions, node_versions};
use crate::{Check, CheckInfo, Context};

pub static INFO: CheckInfo = CheckInfo {
    id: "runtime-dockershim",
    severity: Severity::Blocker,
    title: "Node runs Docker Engine through dockershim, removed in 1.24",
    doc: r#"## What it checks
Nodes whose container runtime (`status.nodeInfo.containerRuntimeVersion`) is Docker Engine
(`docker://...`) when the upgrade reaches Kubernetes 1.24 or later. Dockershim, the
kubelet's built-in Docker adapter, was removed from the kubelet in 1.24.

Docker Engine used through the cri-dockerd adapter reports `docker://` too, and is not
affected. The check tells them apart where the inventory allows:

- the kubelet is 1.24 or newer: it has no dockershim, so the node must already use an
  adapter such as cri-dockerd (reported as `info`);
- the kubeadm annotation `kubeadm.alpha.kubernetes.io/cri-socket` names
  `cri-dockerd.sock` (info) or `dockershim.sock` (blocker);
- otherwise a kubelet older than 1.24 on `docker://` is taken to use dockershim (blocker);
  with an unreadable kubelet version the finding is `info`.

Nothing is reported when the target is older than 1.24.

Sources: Kubernetes 1.24 release announcement ("Dockershim Removed from kubelet",
kubernetes/website `content/en/blog/_posts/2022-05-03-kubernetes-1-24-release-announcement.md`),
the dockershim removal FAQ (`content/en/blog/_posts/2022-02-17-updated-dockershim-faq.md`),
and "Find Out What Container Runtime is Used on a Node"
(`content/en/docs/tasks/administer-cluster/migrating-from-dockershim/find-out-runtime-you-use.md`).

## Why it matters
A 1.24 or newer kubelet cannot start containers through Docker Engine without a CRI
adapter: once the node's kubelet is upgraded it fails to start, and every pod on the node
is gone. Because kubelets may lag the control plane, the break can come several hops after
the control plane reached 1.24, when the node is finally upgraded.

## Example
Node `worker-7`, kubelet v1.23.17, runtime `docker://20.10.24`, target 1.25: before the
kubelet goes to 1.24 (at the latest when the control plane goes past 1.25), the node needs
containerd, CRI-O or cri-dockerd.

## Fix
Move the node to containerd or CRI-O (drain, reinstall the runtime, point the kubelet's
`--container-runtime-endpoint` at it, uncordon; or replace the node from a containerd image),
or keep Docker Engine and install cri-dockerd. To tell which one a `docker://` node uses,
read the kubelet command line on the node (`tr \\0 ' ' < /proc/"$(pgrep kubelet)"/cmdline`):
`--container-runtime-endpoint=unix:///var/run/cri-dockerd.sock` is cri-dockerd; no endpoint,
or `--container-runtime` other than `remote`, on a kubelet before 1.24 is dockershim.
"#,
};

pub struct RuntimeDockershim;

impl Check for RuntimeDockershim {
    info_from!(INFO);

    fn run(&self, ctx: &Context<'_>) -> Vec<Finding> {
        if !ctx.hops().iter().any(|h| *h >= DOCKERSHIM_REMOVED_IN) {
            return Vec::new();
        }
        node_versions(ctx)
            .iter()
            .filter(|n| n.runtime.starts_with("docker://"))
            .map(|n| finding_for(ctx, n))
            .collect()
    }
}

const CRI_SOCKET_ANNOTATION: &str = "kubeadm.alpha.kubernetes.io/cri-socket";

/// How the node reaches Docker Engine, as far as the inventory tells.
enum Path {
    /// Through an external adapter (cri-dockerd); the reason, for the message.
    Adapter(String),
    /// Through dockershim; the reason.
    Dockershim(String),
    /// Cannot tell.
    Unknown(String),
}

fn path(n: &NodeVersions<'_>) -> Path {
    let socket = n.object.annotation(CRI_SOCKET_ANNOTATION).unwrap_or("");
    if socket.contains("cri-dockerd") {
        return Path::Adapter(format!(
            "its kubeadm annotation {CRI_SOCKET_ANNOTATION} is {socket}"
        ));
    }
    if socket.contains("dockershim") {
        return Path::Dockershim(format!(
            "its kubeadm annotation {CRI_SOCKET_ANNOTATION} is {socket}"
        ));
    }
    match &n.kubelet {
        Some(k) if k.minor() >= DOCKERSHIM_REMOVED_IN => Path::Adapter(format!(
            "its kubelet {} has no dockershim, so it reaches Docker Engine through an adapter such as cri-dockerd",
            n.kubelet_raw
        )),
        Some(k) if k.major == DOCKERSHIM_REMOVED_IN.major => Path::Dockershim(format!(
            "its kubelet {} is older than 1.24 and no CRI adapter is recorded",
            n.kubelet_raw
        )),
        _ => Path::Unknown(format!(
            "its kubelet version {:?} cannot be read, so it is unknown whether it uses dockershim or cri-dockerd",
            n.kubelet_raw
        )),
    }
}

fn finding_for(ctx: &Context<'_>, n: &NodeVersions<'_>) -> Finding {
    let name = &n.object.name;
    let docker = n.runtime.trim_start_matches("docker://");
    let how_to_tell = format!(
        "To tell dockershim from cri-dockerd, read the kubelet command line on {name} (`tr \\\\0 ' ' < /proc/\"$(pgrep kubelet)\"/cmdline`): --container-runtime-endpoint=unix:///var/run/cri-dockerd.sock means cri-dockerd; no endpoint (or --container-runtime other than remote) on a kubelet before 1.24 means dockershim."
    );
    let migrate = format!(
        "Drain {name} and move it to containerd or CRI-O (or replace it from a containerd-based image), or keep Docker Engine and install cri-dockerd, pointing the kubelet's --container-runtime-endpoint at it."
    );
    let mut details = BTreeMap::from([
        ("node", name.clone()),
        ("container_runtime", n.runtime.to_owned()),
        ("kubelet_version", n.kubelet_raw.to_owned()),
        ("removed_in", DOCKERSHIM_REMOVED_IN.to_string()),
        ("source", DOCKERSHIM_REMOVAL.source.to_owned()),
    ]);
    let first_hop = ctx
        .hops()
        .into_iter()
        .find(|h| *h >= DOCKERSHIM_REMOVED_IN)
        .unwrap_or(ctx.target);
    details.insert("hop", first_hop.to_string());
    let (severity, title, message, remediation) = match path(n) {
        Path::Adapter(why) => {
            details.insert("runtime_path", "cri-dockerd".to_owned());
            (
                Severity::Info,
                format!("{name} runs Docker Engine {docker} through cri-dockerd"),
                format!(
                    "Node {name} reports runtime {}; {why}. Nodes using Docker Engine through cri-dockerd are not affected by the dockershim removal in Kubernetes 1.24.",
                    n.runtime
                ),
                format!(
                    "Keep cri-dockerd (and Docker Engine) at a release that supports the kubelet of every hop up to {}, or move the node to containerd or CRI-O. {how_to_tell}",
                    ctx.target
                ),
            )
        }
        Path::Dockershim(why) => {
            details.insert("runtime_path", "dockershim".to_owned());
            let deadline = n
                .kubelet
                .as_ref()
                .and_then(|k| newest_apiserver_for_kubelet(k.minor()))
                .map(|last| {
                    format!(
                        " Its kubelet must move to 1.24 or later by the time the control plane goes past {last} (the skew policy), so the runtime must change before then."
                    )
                })
                .unwrap_or_default();
            (
                Severity::Blocker,
                format!("{name} uses Docker Engine through dockershim, removed in 1.24"),
                format!(
                    "Node {name} reports runtime {}; {why}. Dockershim was removed from the kubelet in Kubernetes 1.24 and the upgrade reaches {first_hop}: a kubelet of 1.24 or later on this node cannot run containers through Docker Engine.{deadline}",
                    n.runtime
                ),
                format!("{migrate} {how_to_tell}"),
            )
        }
        Path::Unknown(why) => {
            details.insert("runtime_path", "unknown".to_owned());
            (
                Severity::Info,
                format!("{name} runs Docker Engine {docker}: dockershim or cri-dockerd unknown"),
                format!(
                    "Node {name} reports runtime {}; {why}. Dockershim was removed from the kubelet in Kubernetes 1.24 and the upgrade reaches {first_hop}.",
                    n.runtime
                ),
                format!("{how_to_tell} If it is dockershim: {migrate}"),
            )
        }
    };
    INFO.about(n.object)
        .severity(severity)
        .words(title, message, remediation)
        .evidence("node status")
        .details(details)
        .build()
}
