//! Workloads, pods and probes as the pod and probe checks read them: the workloads of the
//! inventory with their pod templates, pods grouped by controller, container statuses and
//! probe handlers. Its own module so that no rule imports another rule's file.

use std::collections::{BTreeMap, HashMap};

use mcp_diag_model::{Finding, Node, Object, Seq, View};

use crate::{CheckInfo, Context, FindingBuilder};

/// The annotation the kubelet puts on mirror pods of static manifests.
pub(crate) const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// Kinds that carry a pod template and run pods.
const TEMPLATE_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
];

pub(crate) const fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A mirror pod (the API copy of a static pod the kubelet runs from a file).
pub(crate) fn is_mirror_pod(pod: &Object) -> bool {
    pod.raw
        .path(&["metadata", "annotations", MIRROR_ANNOTATION])
        .is_some()
        || controller_ref(pod).is_some_and(|r| r.kind == "Node")
}

/// The ownerReference that controls `object` (the one with `controller: true`, else the
/// first), as [`crate::index::Index::controller_of`] picks it.
pub(crate) struct OwnerRef<'a> {
    pub kind: &'a str,
    pub name: &'a str,
}

pub(crate) fn controller_ref(object: &Object) -> Option<OwnerRef<'_>> {
    let refs = object.raw.path(&["metadata", "ownerReferences"])?.as_seq()?;
    let chosen = refs
        .iter()
        .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
        .or_else(|| refs.first())?;
    Some(OwnerRef {
        kind: chosen.get("kind").and_then(Node::as_str).unwrap_or(""),
        name: chosen.get("name").and_then(Node::as_str).unwrap_or(""),
    })
}

/// Whether `object` lists any ownerReference at all.
pub(crate) fn has_owner(object: &Object) -> bool {
    object
        .raw
        .path(&["metadata", "ownerReferences"])
        .and_then(Node::as_seq)
        .is_some_and(|r| !r.is_empty())
}

/// A pod a DaemonSet runs (drains leave them in place: `kubectl drain --ignore-daemonsets`).
pub(crate) fn is_daemonset_pod(pod: &Object) -> bool {
    controller_ref(pod).is_some_and(|r| r.kind == "DaemonSet")
}

/// A pod that finished (`Succeeded` or `Failed`): it holds no resources and moves nowhere.
pub(crate) fn is_terminated(pod: &Object) -> bool {
    matches!(
        pod.raw.path(&["status", "phase"]).and_then(Node::as_str),
        Some("Succeeded" | "Failed")
    )
}

/// A scheduled, running pod that a drain evicts and that must find room elsewhere: not
/// finished, not a DaemonSet pod, not a mirror pod.
pub(crate) fn is_movable(pod: &Object) -> bool {
    !is_terminated(pod) && !is_daemonset_pod(pod) && !is_mirror_pod(pod)
}

/// The pod spec of an object that runs pods.
pub(crate) fn pod_spec_of(object: &Object) -> Option<Node<'_>> {
    let spec = match object.kind.as_str() {
        "Pod" => object.raw.get("spec"),
        "CronJob" => object
            .raw
            .path(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => object.raw.path(&["spec", "template", "spec"]),
    }?;
    spec.as_map().map(|_| spec)
}

/// The (app) containers of a pod spec; init containers are not included.
pub(crate) fn containers(pod_spec: Node<'_>) -> Seq<'_> {
    pod_spec
        .get("containers")
        .and_then(Node::as_seq)
        .unwrap_or_default()
}

/// The containers of a pod spec that are mappings (others are skipped, never a panic).
pub(crate) fn container_maps(pod_spec: Node<'_>) -> impl Iterator<Item = Node<'_>> {
    containers(pod_spec).iter().filter(|c| c.as_map().is_some())
}

pub(crate) fn container_name(container: Node<'_>) -> &str {
    container
        .get("name")
        .and_then(Node::as_str)
        .unwrap_or("<unnamed>")
}

/// Whether a mapping has a non-null value under `key`.
pub(crate) fn has(node: Node<'_>, key: &str) -> bool {
    node.get(key).is_some_and(|v| !v.is_null())
}

/// The object that represents a group of pods (or of ReplicaSets) in findings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Workload<'a> {
    pub object: &'a Object,
    pub pod_spec: Node<'a>,
    /// A Job, a CronJob, or pods of one (or a bare pod with `restartPolicy` other than Always).
    pub run_to_completion: bool,
    /// A DaemonSet or its pods.
    pub daemon: bool,
    /// A mirror pod of a static manifest.
    pub mirror: bool,
    /// When the controller is not in the input: the owner named by the ownerReference
    /// (kind, name), and how many objects of it were folded into this one.
    pub missing_owner: Option<(&'a str, &'a str)>,
    pub folded: usize,
}

impl<'a> Workload<'a> {
    /// Probes are expected of long-running, non-static workloads.
    pub(crate) const fn expects_probes(&self) -> bool {
        !self.run_to_completion && !self.mirror
    }

    /// The names of the containers that have no `probe` (`livenessProbe`, ...).
    pub(crate) fn containers_without(&self, probe: &str) -> Vec<&'a str> {
        container_maps(self.pod_spec)
            .filter(|c| !has(*c, probe))
            .map(container_name)
            .collect()
    }

    /// `Deployment shop/web`, or `Pod shop/web-1 (of ReplicaSet web-5d9, not in the input)`.
    pub(crate) fn describe(&self) -> String {
        let base = describe_object(self.object);
        match self.missing_owner {
            Some((kind, name)) => {
                let more = if self.folded > 0 {
                    format!(" and {} more", self.folded)
                } else {
                    String::new()
                };
                format!("{base}{more} (of {kind} {name}, not in the input)")
            }
            None => base,
        }
    }

    /// A finding about this workload with the usual details.
    /// A finding of `info` about this workload's `containers` (none: the whole workload).
    pub(crate) fn about(&self, info: &'static CheckInfo, containers: &[&str]) -> FindingBuilder {
        let mut details = object_details(self.object);
        if !containers.is_empty() {
            details.insert("containers", containers.join(","));
        }
        if let Some((kind, name)) = self.missing_owner {
            details.insert("owner_kind", kind.to_owned());
            details.insert("owner_name", name.to_owned());
        }
        info.about(self.object)
            .evidence(if self.object.kind == "Pod" {
                "pod spec"
            } else {
                "pod template"
            })
            .details(details)
    }
}

/// `Deployment shop/web`.
pub(crate) fn describe_object(object: &Object) -> String {
    match &object.namespace {
        Some(ns) => format!("{} {ns}/{}", object.kind, object.name),
        None => format!("{} {}", object.kind, object.name),
    }
}

/// kind, namespace, name.
pub(crate) fn object_details(object: &Object) -> BTreeMap<&'static str, String> {
    let mut details = BTreeMap::from([("kind", object.kind.clone()), ("name", object.name.clone())]);
    if let Some(ns) = &object.namespace {
        details.insert("namespace", ns.clone());
    }
    details
}

/// Every object whose pod template (or pod spec) a spec check looks at, once per
/// controller: Deployments, StatefulSets, DaemonSets, ReplicationControllers, Jobs and
/// CronJobs; ReplicaSets and Jobs only when no Deployment or CronJob in the input owns
/// them; Pods only when no controller in the input owns them. Objects whose controller is
/// missing from the input are folded into one per owner.
pub(crate) fn workloads<'a>(ctx: &Context<'a>) -> &'a [Workload<'a>] {
    ctx.index.workloads.get_or_init(|| collect_workloads(ctx))
}

fn collect_workloads<'a>(ctx: &Context<'a>) -> Vec<Workload<'a>> {
    let mut out: Vec<Workload<'a>> = Vec::new();
    let mut folded: HashMap<(Option<&'a str>, &'a str, &'a str), usize> = HashMap::new();
    for kind in TEMPLATE_KINDS.iter().copied().chain(["Pod"]) {
        for &object in ctx.index.of_kind(kind) {
            let Some(pod_spec) = pod_spec_of(object) else {
                continue;
            };
            let owner = controller_ref(object);
            let mut missing_owner = None;
            if let Some(r) = &owner
                && TEMPLATE_KINDS.contains(&r.kind)
            {
                if ctx.index.controller_of(object).is_some() {
                    continue; // its controller's template is checked
                }
                let key = (object.namespace.as_deref(), r.kind, r.name);
                if let Some(&i) = folded.get(&key) {
                    if let Some(w) = out.get_mut(i) {
                        w.folded += 1;
                    }
                    continue;
                }
                folded.insert(key, out.len());
                missing_owner = Some((r.kind, r.name));
            }
            let owner_kind = owner.as_ref().map_or("", |r| r.kind);
            let run_to_completion = matches!(kind, "Job" | "CronJob")
                || matches!(owner_kind, "Job" | "CronJob")
                || (kind == "Pod"
                    && owner.is_none()
                    && matches!(
                        pod_spec.get("restartPolicy").and_then(Node::as_str),
                        Some("Never" | "OnFailure")
                    ));
            out.push(Workload {
                object,
                pod_spec,
                run_to_completion,
                daemon: kind == "DaemonSet" || owner_kind == "DaemonSet",
                mirror: kind == "Pod" && is_mirror_pod(object),
                missing_owner,
                folded: 0,
            });
        }
    }
    out
}

/// Pods grouped by the controller that represents them (the top of their ownership chain,
/// or the owner their ownerReference names when it is not in the input).
pub(crate) struct PodGroup<'a> {
    /// The top owner in the input, or the first pod when the owner is missing or none.
    pub object: &'a Object,
    pub pods: Vec<&'a Object>,
    /// The controller named by the pods' ownerReference when it is not in the input.
    pub missing_owner: Option<(&'a str, &'a str)>,
}

impl PodGroup<'_> {
    /// A single pod that is its own top owner (no controller): messages say "Pod x is", not
    /// "Pod x has 1 pod".
    pub(crate) fn is_lone_pod(&self) -> bool {
        self.missing_owner.is_none() && self.object.kind == "Pod" && self.pods.len() == 1
    }

    /// `Deployment shop/web`, `Pod shop/debug`, `ReplicaSet shop/web-5d9 (not in the input)`.
    pub(crate) fn describe(&self) -> String {
        match self.missing_owner {
            Some((kind, name)) => match &self.object.namespace {
                Some(ns) => format!("{kind} {ns}/{name} (not in the input)"),
                None => format!("{kind} {name} (not in the input)"),
            },
            None => describe_object(self.object),
        }
    }

    /// Desired replicas when the controller states them (`spec.replicas`).
    pub(crate) fn replicas(&self) -> Option<i64> {
        if self.missing_owner.is_some() || self.object.kind == "Pod" {
            return None;
        }
        self.object.raw.path(&["spec", "replicas"]).and_then(Node::as_i64)
    }

    /// `3 pods (of 5 replicas)` or `pod web-1`.
    pub(crate) fn count_text(&self) -> String {
        let n = self.pods.len();
        let of = self.replicas().map_or_else(String::new, |r| {
            format!(" (of {})", mcp_diag_model::plural(r, "replica", "replicas"))
        });
        format!("{n} pod{}{of}", plural(n))
    }

    pub(crate) fn pod_names(&self) -> Vec<&str> {
        self.pods.iter().map(|p| p.name.as_str()).collect()
    }

    /// A finding of `info` about this group's controller (or its one bare pod), naming its pods.
    pub(crate) fn about(&self, info: &'static CheckInfo) -> FindingBuilder {
        let mut details = object_details(self.object);
        if let Some((kind, name)) = self.missing_owner {
            details.insert("kind", kind.to_owned());
            details.insert("name", name.to_owned());
        }
        details.insert("pods", self.pods.len().to_string());
        details.insert("pod_names", self.pod_names().join(","));
        info.about(self.object).evidence("pod status").details(details)
    }
}

/// Groups `pods` by controller, in first-seen order.
pub(crate) fn group_pods<'a>(
    ctx: &Context<'a>,
    pods: impl IntoIterator<Item = &'a Object>,
) -> Vec<PodGroup<'a>> {
    let mut groups: Vec<PodGroup<'a>> = Vec::new();
    let mut at: HashMap<(Option<&'a str>, &'a str, &'a str), usize> = HashMap::new();
    for pod in pods {
        let top = ctx.index.top_owner_of(pod);
        let (key, object, missing_owner) = if !std::ptr::eq(top, pod) {
            (
                (top.namespace.as_deref(), top.kind.as_str(), top.name.as_str()),
                top,
                None,
            )
        } else {
            match controller_ref(pod).filter(|r| r.kind != "Node" && !r.name.is_empty()) {
                Some(r) => (
                    (pod.namespace.as_deref(), r.kind, r.name),
                    pod,
                    Some((r.kind, r.name)),
                ),
                None => ((pod.namespace.as_deref(), "Pod", pod.name.as_str()), pod, None),
            }
        };
        match at.get(&key) {
            Some(&i) => {
                if let Some(g) = groups.get_mut(i) {
                    g.pods.push(pod);
                }
            }
            None => {
                at.insert(key, groups.len());
                groups.push(PodGroup {
                    object,
                    pods: vec![pod],
                    missing_owner,
                });
            }
        }
    }
    groups
}

/// Whether the input can show pod status: `None` for manifests (skip silently), else
/// whether any pod has a `status`.
pub(crate) fn pods_have_status(ctx: &Context<'_>) -> Option<bool> {
    if ctx.inventory.kind == mcp_diag_model::SourceKind::Manifests {
        return None;
    }
    let pods = ctx.index.of_kind("Pod");
    Some(pods.is_empty() || pods.iter().any(|p| has(p.raw.root(), "status")))
}

/// The one `info` finding a pod-status check gives when a snapshot's pods carry no status.
pub(crate) fn no_pod_status(info: &'static CheckInfo, what: &str) -> Finding {
    info.finding()
        .notice(format!("Pod status missing: {what} not checked"))
        .message(format!(
            "None of the pods in the input has a status, so {what} cannot be checked. Nothing is assumed."
        ))
        .fix(
            "Capture the snapshot with pod status (`kubectl get pods -A -o yaml`), or scan the live cluster.",
        )
        .evidence("pod status")
        .build()
}

/// The statuses of a pod's containers and init containers.
pub(crate) fn container_statuses(pod: &Object) -> impl Iterator<Item = Node<'_>> {
    ["containerStatuses", "initContainerStatuses"]
        .into_iter()
        .filter_map(|key| pod.raw.path(&["status", key]).and_then(Node::as_seq))
        .flatten()
        .filter(|s| s.as_map().is_some())
}

/// The container of a pod spec (app or init) named `name`.
pub(crate) fn container_spec<'a>(pod: &'a Object, name: &str) -> Option<Node<'a>> {
    ["containers", "initContainers"]
        .into_iter()
        .filter_map(|key| pod.raw.path(&["spec", key]).and_then(Node::as_seq))
        .flatten()
        .find(|c| c.get("name").and_then(Node::as_str) == Some(name))
}

/// `2026-11-19T22:41:47Z (10h 48m ago)`: a timestamp with its age against
/// `options.now` (the capture time of a snapshot), when both are known.
pub(crate) fn when(ctx: &Context<'_>, timestamp: &str) -> String {
    match mcp_diag_model::time::parse_timestamp(timestamp) {
        Some(t) if ctx.options.now > 0 && ctx.options.now >= t => {
            let age = u64::try_from(ctx.options.now - t).unwrap_or(0);
            format!("{timestamp} ({} ago)", mcp_diag_model::time::format_duration(age))
        }
        _ => timestamp.to_owned(),
    }
}

/// A probe's handler, with the defaults Kubernetes applies, for comparisons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Handler {
    Http {
        scheme: String,
        host: String,
        path: String,
        port: String,
    },
    Tcp {
        host: String,
        port: String,
    },
    Exec(Vec<String>),
    Grpc {
        port: String,
        service: String,
    },
}

impl Handler {
    /// `httpGet /healthz on port 8080`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Http { path, port, .. } => format!("httpGet {path} on port {port}"),
            Self::Tcp { port, .. } => format!("tcpSocket on port {port}"),
            Self::Exec(command) => format!("exec `{}`", command.join(" ")),
            Self::Grpc { port, service } if service.is_empty() => format!("grpc on port {port}"),
            Self::Grpc { port, service } => format!("grpc {service} on port {port}"),
        }
    }
}

/// Text of a scalar (`8080`, `http`); empty for none.
fn scalar_text(node: Option<Node<'_>>) -> String {
    match node {
        None => String::new(),
        Some(n) if matches!(n.view(), View::Null | View::Map(_) | View::Seq(_)) => String::new(),
        Some(n) => n.as_str().map_or_else(|| n.to_json().to_string(), str::to_owned),
    }
}

/// A port as a number: named ports are resolved against the container's ports.
fn port_text(port: Option<Node<'_>>, container: Node<'_>) -> String {
    let text = scalar_text(port);
    if text.parse::<u32>().is_ok() {
        return text;
    }
    container
        .get("ports")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .find(|p| p.get("name").and_then(Node::as_str) == Some(text.as_str()))
        .map_or(text.clone(), |p| scalar_text(p.get("containerPort")))
}

/// The handler of a probe; `None` when it has none this tool knows.
pub(crate) fn handler(probe: Node<'_>, container: Node<'_>) -> Option<Handler> {
    if let Some(h) = probe.get("httpGet").filter(|h| !h.is_null()) {
        let path = scalar_text(h.get("path"));
        let scheme = scalar_text(h.get("scheme"));
        return Some(Handler::Http {
            scheme: if scheme.is_empty() {
                "HTTP".to_owned()
            } else {
                scheme.to_ascii_uppercase()
            },
            host: scalar_text(h.get("host")),
            path: if path.is_empty() { "/".to_owned() } else { path },
            port: port_text(h.get("port"), container),
        });
    }
    if let Some(h) = probe.get("tcpSocket").filter(|h| !h.is_null()) {
        return Some(Handler::Tcp {
            host: scalar_text(h.get("host")),
            port: port_text(h.get("port"), container),
        });
    }
    if let Some(h) = probe.get("exec").filter(|h| !h.is_null()) {
        let command = h
            .get("command")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .map(|c| scalar_text(Some(c)))
            .collect();
        return Some(Handler::Exec(command));
    }
    if let Some(h) = probe.get("grpc").filter(|h| !h.is_null()) {
        return Some(Handler::Grpc {
            port: port_text(h.get("port"), container),
            service: scalar_text(h.get("service")),
        });
    }
    None
}

/// A probe's timings with the Kubernetes defaults applied (period 10 s, timeout 1 s,
/// failureThreshold 3, successThreshold 1, no initial delay).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timings {
    pub initial_delay: i64,
    pub period: i64,
    pub timeout: i64,
    pub failure_threshold: i64,
    pub success_threshold: i64,
}

impl Timings {
    pub(crate) fn of(probe: Node<'_>) -> Self {
        let get = |key: &str, default: i64| probe.get(key).and_then(Node::as_i64).unwrap_or(default);
        Self {
            initial_delay: get("initialDelaySeconds", 0),
            period: get("periodSeconds", 10),
            timeout: get("timeoutSeconds", 1),
            failure_threshold: get("failureThreshold", 3),
            success_threshold: get("successThreshold", 1),
        }
    }

    /// `initialDelaySeconds 0, periodSeconds 10, timeoutSeconds 1, failureThreshold 3`.
    pub(crate) fn describe(&self) -> String {
        format!(
            "initialDelaySeconds {}, periodSeconds {}, timeoutSeconds {}, failureThreshold {}",
            self.initial_delay, self.period, self.timeout, self.failure_threshold
        )
    }
}

/// A probe of a container (`livenessProbe`, ...), when it is a mapping.
pub(crate) fn probe<'a>(container: Node<'a>, key: &str) -> Option<Node<'a>> {
    container.get(key).filter(|p| p.as_map().is_some())
}

/// A container of a workload that gets probes, with one of its probes.
pub(crate) struct Probed<'a> {
    pub(crate) workload: &'a Workload<'a>,
    pub(crate) container: Node<'a>,
    pub(crate) probe: Node<'a>,
    pub(crate) name: &'a str,
}

impl Probed<'_> {
    /// A finding of `info` about this container of its workload.
    pub(crate) fn about(&self, info: &'static CheckInfo) -> FindingBuilder {
        self.workload.about(info, &[self.name])
    }
}

/// The containers that have a `key` probe (`livenessProbe`, ...), of the workloads that get
/// probes, workload by workload.
pub(crate) fn with_probe<'a>(ctx: &Context<'a>, key: &'static str) -> impl Iterator<Item = Probed<'a>> {
    workloads(ctx)
        .iter()
        .filter(|w| w.expects_probes())
        .flat_map(move |workload| {
            container_maps(workload.pod_spec).filter_map(move |container| {
                Some(Probed {
                    workload,
                    container,
                    probe: probe(container, key)?,
                    name: container_name(container),
                })
            })
        })
}

/// One finding for each of `candidates` that gets probes and has containers without a `key`
/// probe: `words` gives its title, message and fix from the workload's description, the
/// list of those containers and their number.
pub(crate) fn without_probe<'a>(
    candidates: impl IntoIterator<Item = &'a Workload<'a>>,
    info: &'static CheckInfo,
    key: &str,
    words: impl Fn(&str, &str, usize) -> (String, String, String),
) -> Vec<Finding> {
    candidates
        .into_iter()
        .filter(|w| w.expects_probes())
        .filter_map(|w| {
            let missing = w.containers_without(key);
            if missing.is_empty() {
                return None;
            }
            let (title, message, fix) = words(
                &w.describe(),
                &crate::words::name_list(&missing, 5),
                missing.len(),
            );
            Some(w.about(info, &missing).words(title, message, fix).build())
        })
        .collect()
}

/// The objects of `kind` in a cluster's state (a snapshot or a live read). Manifests give
/// none: they declare objects, they do not show the state the live checks judge.
pub(crate) fn in_cluster<'a>(ctx: &Context<'a>, kind: &str) -> &'a [&'a Object] {
    if ctx.inventory.kind == mcp_diag_model::SourceKind::Manifests {
        &[]
    } else {
        ctx.index.of_kind(kind)
    }
}

/// A kind whose objects a check judges by their status, and the words for when none of them
/// carries one (an export without status: nothing is assumed).
pub(crate) struct StatusOf {
    pub(crate) kind: &'static str,
    pub(crate) kinds: &'static str,
    /// What the check reads of them (`status`, `status phase`).
    pub(crate) field: &'static str,
    /// What cannot be judged without it (`stuck rollouts ... cannot be checked`).
    pub(crate) unjudged: &'static str,
    /// The resource `kubectl get` names, the evidence, and the detail key of the count.
    pub(crate) resource: &'static str,
    pub(crate) evidence: &'static str,
    pub(crate) count_key: &'static str,
}

impl StatusOf {
    /// The one `info` finding of `info` when none of the `n` objects carries the field.
    pub(crate) fn missing(&self, info: &'static CheckInfo, n: usize) -> Finding {
        info.finding()
            .notice(format!("{} status missing", self.kind))
            .message(format!(
                "{}, so {}.",
                crate::words::none_carries(n, self.kind, self.kinds, self.field),
                self.unjudged,
            ))
            .fix(format!(
                "Capture the snapshot with status (kubectl get {} -A -o yaml keeps it) and scan again.",
                self.resource
            ))
            .evidence(self.evidence)
            .detail(self.count_key, n)
            .build()
    }

    /// `judge` on each object of the kind in the cluster's state that has a `status`
    /// mapping, and the `missing` finding of `info` when none has one.
    pub(crate) fn judge_each<'a>(
        &self,
        ctx: &Context<'a>,
        info: &'static CheckInfo,
        mut judge: impl FnMut(&'a Object) -> Option<Finding>,
    ) -> Vec<Finding> {
        let all = in_cluster(ctx, self.kind);
        let mut findings = Vec::new();
        let mut without_status = 0;
        for &object in all {
            if object.raw.get("status").and_then(Node::as_map).is_none() {
                without_status += 1;
                continue;
            }
            findings.extend(judge(object));
        }
        if without_status > 0 && without_status == all.len() {
            findings.push(self.missing(info, without_status));
        }
        findings
    }
}

/// What a pod check found on each pod, by pod.
pub(crate) struct FoundOn<T>(HashMap<*const Object, T>);

impl<T> FoundOn<T> {
    pub(crate) fn of(&self, pod: &Object) -> Option<&T> {
        self.0.get(&std::ptr::from_ref(pod))
    }

    /// `web-1 (what was found)` for each pod of `group`, in its order.
    pub(crate) fn shown(&self, group: &PodGroup<'_>, text: impl Fn(&T) -> String) -> Vec<String> {
        group
            .pods
            .iter()
            .map(|p| format!("{} ({})", p.name, self.of(p).map_or_else(String::new, &text)))
            .collect()
    }

    /// What was found on `group`, for a message: a lone pod's own text, else `pod (text)`
    /// for the first three pods and how many more.
    pub(crate) fn listed(&self, group: &PodGroup<'_>, text: impl Fn(&T) -> String) -> String {
        if group.is_lone_pod() {
            group
                .pods
                .first()
                .and_then(|p| self.of(p))
                .map_or_else(String::new, &text)
        } else {
            crate::words::name_list(&self.shown(group, text), 3)
        }
    }
}

/// The pods that still run (not terminated) on which `find` finds something, grouped by
/// controller in first-seen order, and what was found on each.
pub(crate) fn running_pods_with<'a, T>(
    ctx: &Context<'a>,
    mut find: impl FnMut(&'a Object) -> Option<T>,
) -> (Vec<PodGroup<'a>>, FoundOn<T>) {
    let mut found = HashMap::new();
    let mut pods = Vec::new();
    for &pod in ctx.index.of_kind("Pod") {
        if is_terminated(pod) {
            continue;
        }
        if let Some(t) = find(pod) {
            found.insert(std::ptr::from_ref(pod), t);
            pods.push(pod);
        }
    }
    (group_pods(ctx, pods), FoundOn(found))
}

/// In manifests, the claims the StatefulSets' `volumeClaimTemplates` will make: each
/// StatefulSet with one of its templates. A snapshot or a live read holds the claims
/// themselves, so there are none.
pub(crate) fn claim_templates<'a>(ctx: &Context<'a>) -> impl Iterator<Item = (&'a Object, Node<'a>)> {
    let sets: &'a [&'a Object] = if ctx.inventory.kind == mcp_diag_model::SourceKind::Manifests {
        ctx.index.of_kind("StatefulSet")
    } else {
        &[]
    };
    sets.iter().flat_map(|&sts| {
        sts.raw
            .path(&["spec", "volumeClaimTemplates"])
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .into_iter()
            .map(move |t| (sts, t))
    })
}
