"""Deployments with their ReplicaSets, DaemonSets and StatefulSets, each with its Pods."""
import copy
import datetime as dt
import json

from .core import ts
from .pods import defaulted_pod_spec, pod

DS_TOLERATIONS = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists"},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/disk-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/memory-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/pid-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/unschedulable", "operator": "Exists"},
]


# ---- managedFields (kept on the workload controllers, captured with --show-managed-fields) --
def fields(v, depth=3):
    """A FieldsV1 set naming the fields of `v` down to `depth` levels."""
    if not isinstance(v, dict) or depth == 0:
        if isinstance(v, list) and depth and v and isinstance(v[0], dict) and "name" in v[0]:
            return {'k:{"name":"%s"}' % e["name"]: dict({".": {}}, **fields(e, depth - 1))
                    for e in v}
        return {}
    out = {}
    for k, x in v.items():
        sub = fields(x, depth - 1)
        out["f:" + k] = dict({".": {}}, **sub) if sub and isinstance(x, dict) and k != "spec" else sub
    return out


def managed(manager, op, when, api, fv, subresource=None):
    e = {"apiVersion": api, "fieldsType": "FieldsV1", "fieldsV1": fv, "manager": manager,
         "operation": op, "time": ts(when)}
    if subresource:
        e["subresource"] = subresource
    return e


def set_managed(obj, manager, applied_at, status_at, extra=()):
    """managedFields: the tracking manager owns what it applied, the controller the status."""
    md = obj["metadata"]
    mine = {"f:metadata": {}}
    if md.get("labels"):
        mine["f:metadata"]["f:labels"] = dict({".": {}}, **{"f:" + k: {} for k in md["labels"]})
    ann = [k for k in md.get("annotations", {}) if not k.startswith(("deployment.kubernetes.io",
                                                                      "deprecated.daemonset"))]
    if ann:
        mine["f:metadata"]["f:annotations"] = dict({".": {}}, **{"f:" + k: {} for k in ann})
    mine["f:spec"] = fields(obj["spec"], 4)
    entries = [managed(manager, "Update", applied_at, obj["apiVersion"], mine)]
    entries += list(extra)
    ctl = {"f:status": fields(obj.get("status", {}), 2)}
    if obj["kind"] == "Deployment":
        ctl["f:metadata"] = {"f:annotations": {".": {}, "f:deployment.kubernetes.io/revision": {}}}
    entries.append(managed("kube-controller-manager", "Update", status_at, obj["apiVersion"],
                           ctl, "status"))
    md["managedFields"] = entries


# ---- placement --------------------------------------------------------------------------------
def _pod_time(ctx, t, node):
    """When a pod started on `node`: not before the node joined (pods of older ReplicaSets were
    recreated there when the nodes were replaced)."""
    joined = node["created"] + dt.timedelta(minutes=ctx.rng.randint(20, 90))
    return max(t, joined)


def _restarts(ctx):
    """Now and then a container restarted once (a node reboot)."""
    return 1 if ctx.rng.random() < 0.08 else 0


def place(ctx, count, created, nodes):
    """`count` nodes for new pods, spread round-robin from a random start."""
    usable = [n for n in nodes if n["ready"] and not n["control_plane"] and
              (n["cordoned_at"] is None or n["cordoned_at"] > created)]
    start = ctx.rng.randrange(len(usable))
    return [usable[(start + i) % len(usable)] for i in range(count)]


def _template(labels, spec, annotations=None):
    md = {"creationTimestamp": None, "labels": dict(labels)}
    if annotations:
        md["annotations"] = dict(annotations)
    return {"metadata": md, "spec": defaulted_pod_spec(spec)}


def _hash(ctx, tpl, n=10):
    h = ctx.sha(json.dumps(tpl, sort_keys=True))
    return "".join("bcdfghjklmnpqrstvwxz2456789"[int(h[i:i + 2], 16) % 27] for i in range(0, 2 * n, 2))


# ---- Deployment -----------------------------------------------------------------------------
def deployment(ctx, ns, name, replicas, spec, labels, selector, created, updated, nodes,
               annotations=None, pod_annotations=None, old_tags=(), manager="helm",
               strategy=None, restarts=0, extra_managed=(), pod_nodes=None, applied_at=None):
    """A Deployment rolled out len(old_tags)+1 times; the ReplicaSets of the older revisions
    (whose first container ran the tags in `old_tags`) are scaled to zero."""
    revs = len(old_tags) + 1
    tpl_labels = dict(selector, **{k: v for k, v in labels.items() if k not in selector
                                   and not k.startswith("helm.sh")})
    cur = _template(tpl_labels, spec, pod_annotations)
    ann = dict(annotations or {})
    ann["deployment.kubernetes.io/revision"] = str(revs)
    d = ctx.obj("apps/v1", "Deployment", name, ns, created=created, labels=labels,
                annotations=ann, generation=revs + ctx.rng.randint(0, 2))
    d["spec"] = {"progressDeadlineSeconds": 600, "replicas": replicas, "revisionHistoryLimit": 10,
                 "selector": {"matchLabels": dict(selector)},
                 "strategy": strategy or {"rollingUpdate": {"maxSurge": "25%",
                                                            "maxUnavailable": "25%"},
                                          "type": "RollingUpdate"},
                 "template": cur}
    # The rollout history: evenly spread between creation and the last update.
    span = (updated - created) / max(revs - 1, 1)
    for r in range(1, revs + 1):
        tpl = copy.deepcopy(cur)
        if r < revs:
            c0 = tpl["spec"]["containers"][0]
            tag = c0["image"].rsplit(":", 1)[1]
            c0["image"] = c0["image"].rsplit(":", 1)[0] + ":" + old_tags[r - 1]
            # The version label followed the image in every earlier release.
            tl = tpl["metadata"]["labels"]
            if tl.get("app.kubernetes.io/version") == tag:
                tl["app.kubernetes.io/version"] = old_tags[r - 1]
        when = created if r == 1 else (updated if r == revs else created + span * (r - 1))
        h = _hash(ctx, [tpl, r, name])
        tpl["metadata"]["labels"]["pod-template-hash"] = h
        rs_name = f"{name}-{h}"
        live = replicas if r == revs else 0
        rs_ann = {k: v for k, v in ann.items()
                  if k != "kubectl.kubernetes.io/last-applied-configuration"}
        rs_ann.update({"deployment.kubernetes.io/desired-replicas": str(replicas),
                       "deployment.kubernetes.io/max-replicas": str(replicas + max(1, -(-replicas // 4))),
                       "deployment.kubernetes.io/revision": str(r)})
        rs = ctx.obj("apps/v1", "ReplicaSet", rs_name, ns, created=when,
                     labels=tpl["metadata"]["labels"], annotations=rs_ann, owner=d,
                     generation=2 if r < revs else 1)
        rs["spec"] = {"replicas": live, "selector": {"matchLabels": dict(selector, **{
            "pod-template-hash": h})}, "template": tpl}
        if live:
            rs["status"] = {"availableReplicas": live, "fullyLabeledReplicas": live,
                            "observedGeneration": 1, "readyReplicas": live, "replicas": live}
        else:
            rs["status"] = {"observedGeneration": 2, "replicas": 0}
        ctx.add(rs)
        if live:
            targets = pod_nodes or place(ctx, live, when, nodes)
            for i, node in enumerate(targets):
                pc = _pod_time(ctx, when + dt.timedelta(seconds=ctx.rng.randint(0, 90) + 40 * i), node)
                pod(ctx, ns, f"{rs_name}-{ctx.suffix()}", tpl["spec"], tpl["metadata"]["labels"],
                    rs, node, pc, annotations=pod_annotations, generate_name=rs_name + "-",
                    restarts=restarts if i == 0 else _restarts(ctx))
            cur_rs = rs
    done = updated + dt.timedelta(seconds=ctx.rng.randint(30, 200))
    d["status"] = {
        "availableReplicas": replicas,
        "conditions": [
            {"lastTransitionTime": ts(done), "lastUpdateTime": ts(done),
             "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable",
             "status": "True", "type": "Available"},
            {"lastTransitionTime": ts(created + dt.timedelta(seconds=1)), "lastUpdateTime": ts(done),
             "message": f'ReplicaSet "{cur_rs["metadata"]["name"]}" has successfully progressed.',
             "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"}],
        "observedGeneration": d["metadata"]["generation"], "readyReplicas": replicas,
        "replicas": replicas, "updatedReplicas": replicas}
    set_managed(d, manager, applied_at or updated, done, extra_managed)
    return ctx.add(d)


# ---- DaemonSet ------------------------------------------------------------------------------
def daemonset(ctx, ns, name, spec, labels, selector, created, updated, nodes, annotations=None,
              pod_annotations=None, generation=1, manager="helm", owner=None):
    tpl = _template(dict(selector, **{k: v for k, v in labels.items() if k not in selector and
                                      not k.startswith("helm.sh")}), spec, pod_annotations)
    tpl["spec"].setdefault("tolerations", [])
    ann = dict(annotations or {})
    ann["deprecated.daemonset.template.generation"] = str(generation)
    ds = ctx.obj("apps/v1", "DaemonSet", name, ns, created=created, labels=labels,
                 annotations=ann, generation=generation, owner=owner)
    ds["spec"] = {"revisionHistoryLimit": 10, "selector": {"matchLabels": dict(selector)},
                  "template": tpl,
                  "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
                                     "type": "RollingUpdate"}}
    h = _hash(ctx, tpl)
    ready = 0
    for node in nodes:
        ps = copy.deepcopy(tpl["spec"])
        ps["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                    "values": [node["name"]]}]}]}}}
        tol = ps["tolerations"]
        extra = [t for t in DS_TOLERATIONS if t["key"] not in {x.get("key") for x in tol}]
        if ps.get("hostNetwork"):
            extra.append({"effect": "NoSchedule", "key": "node.kubernetes.io/network-unavailable",
                          "operator": "Exists"})
        if not any(x.get("operator") == "Exists" and "key" not in x for x in tol):
            tol.extend(extra)
        pl = dict(tpl["metadata"]["labels"], **{"controller-revision-hash": h,
                                               "pod-template-generation": str(generation)})
        pc = max(updated, node["created"]) + dt.timedelta(seconds=ctx.rng.randint(5, 600))
        pod(ctx, ns, f"{name}-{ctx.suffix()}", ps, pl, ds, node, pc, generate_name=name + "-",
            annotations=pod_annotations)
        ready += 1 if node["ready"] else 0
    n = len(nodes)
    ds["status"] = {"currentNumberScheduled": n, "desiredNumberScheduled": n,
                    "numberAvailable": ready, "numberMisscheduled": 0, "numberReady": ready,
                    "observedGeneration": generation, "updatedNumberScheduled": n}
    if ready < n:
        ds["status"]["numberUnavailable"] = n - ready
    set_managed(ds, manager, updated, updated + dt.timedelta(minutes=3))
    return ctx.add(ds)


# ---- StatefulSet ----------------------------------------------------------------------------
def statefulset(ctx, ns, name, spec, labels, selector, created, updated, pod_nodes, service,
                claims, annotations=None, pod_annotations=None, update_strategy=None,
                manager="helm"):
    """A StatefulSet with one pod per entry in `pod_nodes`. `claims` are volumeClaimTemplates
    given as (name, size, storage class); the PVCs are made by the caller (see storage.py)."""
    replicas = len(pod_nodes)
    tpl = _template(dict(selector, **{k: v for k, v in labels.items() if k not in selector and
                                      not k.startswith("helm.sh")}), spec, pod_annotations)
    sts = ctx.obj("apps/v1", "StatefulSet", name, ns, created=created, labels=labels,
                  annotations=annotations, generation=ctx.rng.randint(2, 5))
    vcts = [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": {"creationTimestamp": None, "name": cn},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}},
                      "storageClassName": sc, "volumeMode": "Filesystem"},
             "status": {"phase": "Pending"}} for cn, size, sc in claims]
    sts["spec"] = {
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "podManagementPolicy": "OrderedReady", "replicas": replicas, "revisionHistoryLimit": 10,
        "selector": {"matchLabels": dict(selector)}, "serviceName": service, "template": tpl,
        "updateStrategy": update_strategy or {"rollingUpdate": {"partition": 0},
                                              "type": "RollingUpdate"},
        "volumeClaimTemplates": vcts}
    rev = f"{name}-{_hash(ctx, tpl)}"
    for i, node in enumerate(pod_nodes):
        pl = dict(tpl["metadata"]["labels"], **{
            "apps.kubernetes.io/pod-index": str(i), "controller-revision-hash": rev,
            "statefulset.kubernetes.io/pod-name": f"{name}-{i}"})
        ps = copy.deepcopy(tpl["spec"])
        ps["subdomain"] = service
        vols = [{"name": cn, "persistentVolumeClaim": {"claimName": f"{cn}-{name}-{i}"}}
                for cn, _, _ in claims]
        pc = _pod_time(ctx, updated + dt.timedelta(minutes=2 * (replicas - i),
                                                   seconds=ctx.rng.randint(0, 50)), node)
        pod(ctx, ns, f"{name}-{i}", ps, pl, sts, node, pc, generate_name=name + "-",
            annotations=pod_annotations, pvc_volumes=vols, hostname=f"{name}-{i}",
            restarts=_restarts(ctx))
    sts["status"] = {"availableReplicas": replicas, "collisionCount": 0,
                     "currentReplicas": replicas, "currentRevision": rev,
                     "observedGeneration": sts["metadata"]["generation"],
                     "readyReplicas": replicas, "replicas": replicas, "updateRevision": rev,
                     "updatedReplicas": replicas}
    set_managed(sts, manager, updated, updated + dt.timedelta(minutes=8))
    return ctx.add(sts)
