#!/usr/bin/env python3
"""Rebuild examples/demo-cluster, the bundled demo snapshot, from the generator in scripts/demo.

The snapshot describes a platform cluster at Kubernetes 1.29.4 with a handful of planted
problems (listed in examples/demo-cluster/README.md). The output is deterministic: the same
generator always writes the same files.

    scripts/gen-demo-cluster.py            # rewrite examples/demo-cluster
    scripts/gen-demo-cluster.py --check    # fail if the committed files are stale
    scripts/gen-demo-cluster.py --out DIR  # write somewhere else

Python 3.11, standard library only.
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from demo import (addons, apps, cluster, crds, data, kube_system,  # noqa: E402
                  networking, nodes, readme, shop, storage, velero)
from demo.core import CAPTURED, Ctx, K8S, ts  # noqa: E402
from demo.yamlout import dump  # noqa: E402

OUT = os.path.join(ROOT, "examples", "demo-cluster")

CLUSTER_YAML = {
    "clientVersion": {"buildDate": "2024-04-16T15:05:57Z", "compiler": "gc",
                      "gitCommit": "55019c83b0fd51ef4ced8c29eec2c4847f896e74",
                      "gitTreeState": "clean", "gitVersion": K8S, "goVersion": "go1.21.9",
                      "major": "1", "minor": "29", "platform": "linux/amd64"},
    "kustomizeVersion": "v5.0.4-0.20230601165947-6ce0bf390ce3",
    "serverVersion": {"buildDate": "2024-04-16T14:58:52Z", "compiler": "gc",
                      "gitCommit": "55019c83b0fd51ef4ced8c29eec2c4847f896e74",
                      "gitTreeState": "clean", "gitVersion": K8S, "goVersion": "go1.21.9",
                      "major": "1", "minor": "29", "platform": "linux/amd64"},
    "name": "demo",
    "capturedAt": ts(CAPTURED),
    "components": {"etcd": "3.5.10"},
    # apiserver_requested_deprecated_apis, as `mcp-diag snapshot` records it: a controller
    # still lists FlowSchemas at v1beta3 although every stored one is v1 (planted problem 28).
    "requestedDeprecatedApis": [
        {"group": "flowcontrol.apiserver.k8s.io", "version": "v1beta3", "resource": "flowschemas",
         "subresource": "", "removedRelease": "1.32"},
    ],
}

# The order of items in each List: kubectl sorts by namespace, then name.
def _key(o):
    md = o["metadata"]
    return (md.get("namespace", ""), md["name"])


def build():
    ctx = Ctx()
    nodes.build_nodes(ctx)
    for area in (kube_system, networking, addons, velero, apps, data, cluster):
        area.build(ctx)
    # Added last, so that everything above keeps its generated ids and resourceVersions.
    storage.csi_driver(ctx)
    crds.platform(ctx)
    apps.platform_resources(ctx)
    plant_late(ctx)
    # Added after everything else for the same reason (issue 14's service wiring).
    shop.network_policies(ctx)
    return ctx


def plant_late(ctx):
    """Problems planted after generation, so that the objects above keep their ids."""
    from demo.core import applied
    # Planted problem 10: the staging ManagedCluster is still applied by an old pipeline at
    # v1alpha1, which the CRD no longer serves: the next apply of that manifest fails.
    for o in ctx.files.get("managedclusters", []):
        if o["metadata"]["name"] == "staging":
            o["metadata"].get("annotations", {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
            applied(o, api="registry.platform.example.com/v1alpha1")
    plant_health(ctx)


def _pods_of(ctx, ns, name):
    """The running pods of Deployment ns/name, in file order."""
    return [p for p in ctx.files["pods"]
            if p["metadata"].get("namespace") == ns and p["metadata"]["name"].startswith(name + "-")
            and not p["metadata"]["name"][len(name) + 1:].count("-") > 1]


def _deployment(ctx, ns, name):
    return next(d for d in ctx.files["deployments"]
                if d["metadata"].get("namespace") == ns and d["metadata"]["name"] == name)


def plant_health(ctx):
    """Planted problems 11 to 18: pod, probe and node health (see the README)."""
    from demo.core import owner_ref  # noqa: F401  (kept for symmetry with the generators)
    captured = "2026-11-20T09:30:00Z"
    # 11: the recommendation service crash-loops: its first pod was OOMKilled 14 times.
    recs = _pods_of(ctx, "shop", "recommendation")
    if recs:
        st = recs[0]["status"]
        st["phase"] = "Running"
        for cs in st.get("containerStatuses", [])[:1]:
            cs["ready"] = False
            cs["restartCount"] = 14
            cs["state"] = {"waiting": {"reason": "CrashLoopBackOff",
                                       "message": "back-off 5m0s restarting failed container"}}
            cs["lastState"] = {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                              "startedAt": "2026-11-20T09:21:02Z",
                                              "finishedAt": "2026-11-20T09:24:40Z"}}
    # 12: a search pod restarted 9 times (a flaky dependency), still running.
    search = _pods_of(ctx, "shop", "search")
    if search:
        for cs in search[0]["status"].get("containerStatuses", [])[:1]:
            cs["restartCount"] = 9
            cs["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                              "startedAt": "2026-11-19T22:10:00Z",
                                              "finishedAt": "2026-11-19T22:14:31Z"}}
    # 13: a checkout pod cannot be scheduled: no node has the memory it asks for.
    checkout = _pods_of(ctx, "shop", "checkout")
    if checkout:
        pod = checkout[-1]
        pod["spec"].pop("nodeName", None)
        pod["status"] = {"phase": "Pending", "qosClass": "Burstable", "conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "lastProbeTime": None, "lastTransitionTime": "2026-11-20T08:55:12Z",
            "message": "0/9 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, "
                       "1 node(s) were unschedulable, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
                       "4 Insufficient memory. preemption: 0/9 nodes are available: 4 No preemption victims found for incoming pod, 5 Preemption is not helpful for scheduling."}]}
    # 14: the notification service has no probes at all.
    dep = _deployment(ctx, "shop", "notification")
    for spec in [dep["spec"]["template"]["spec"], _current_rs(ctx, dep)["spec"]["template"]["spec"]]:
        for c in spec["containers"]:
            c.pop("livenessProbe", None)
            c.pop("readinessProbe", None)
    for pod in _pods_of(ctx, "shop", "notification"):
        for c in pod["spec"]["containers"]:
            c.pop("livenessProbe", None)
            c.pop("readinessProbe", None)
    # 15: the cart service's liveness probe is its readiness probe, copied.
    dep = _deployment(ctx, "shop", "cart")
    targets = ([dep["spec"]["template"]["spec"], _current_rs(ctx, dep)["spec"]["template"]["spec"]]
               + [p["spec"] for p in _pods_of(ctx, "shop", "cart")])
    for spec in targets:
        for c in spec["containers"]:
            if "readinessProbe" in c:
                c["livenessProbe"] = dict(c["readinessProbe"])
    # 16: a debugging pod somebody started by hand and forgot: no controller re-creates it.
    debug = ctx.obj("v1", "Pod", "debug-shell", "shop", created=_dt("2026-11-18 14:02:11"),
                    labels={"run": "debug-shell"})
    debug["spec"] = {"containers": [{"name": "debug-shell", "image": "docker.io/library/busybox:1.36",
                                     "command": ["sleep", "infinity"], "imagePullPolicy": "IfNotPresent",
                                     "resources": {}}],
                     "nodeName": "worker-a1", "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                     "schedulerName": "default-scheduler", "serviceAccountName": "default",
                     "terminationGracePeriodSeconds": 30}
    debug["status"] = {"phase": "Running", "qosClass": "BestEffort", "startTime": "2026-11-18T14:02:11Z",
                       "conditions": [{"type": t, "status": "True", "lastProbeTime": None,
                                       "lastTransitionTime": "2026-11-18T14:02:14Z"}
                                      for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
                       "containerStatuses": [{"name": "debug-shell", "ready": True, "restartCount": 0,
                                              "started": True, "image": "docker.io/library/busybox:1.36",
                                              "imageID": "docker.io/library/busybox@sha256:" + "7" * 64,
                                              "containerID": "containerd://" + "d" * 64,
                                              "state": {"running": {"startedAt": "2026-11-18T14:02:13Z"}},
                                              "lastState": {}}]}
    ctx.add(debug)
    # 17: a leftover maintenance taint on worker-a1 that no workload tolerates.
    # 18: worker-a2 reports DiskPressure (image garbage collection cannot keep up).
    for node in ctx.files["nodes"]:
        name = node["metadata"]["name"]
        if name == "worker-a1":
            node["spec"].setdefault("taints", []).append(
                {"key": "maintenance", "value": "true", "effect": "NoSchedule"})
        if name == "worker-a2":
            for cond in node["status"]["conditions"]:
                if cond["type"] == "DiskPressure":
                    cond.update({"status": "True", "reason": "KubeletHasDiskPressure",
                                 "message": "kubelet has disk pressure",
                                 "lastTransitionTime": "2026-11-20T07:48:00Z"})
    plant_workloads(ctx)
    # 19: metrics-server's view of the workers (kubectl get nodes.metrics.k8s.io -o yaml):
    # worker-b1 runs hot, above 80% of its CPU by usage.
    usage = {"worker-a1": ("2210m", "9871Mi"), "worker-a2": ("3105m", "12044Mi"),
             "worker-a3": ("1720m", "8112Mi"), "worker-b1": ("6950m", "26420Mi"),
             "worker-b3": ("2486m", "10230Mi")}
    for name, (cpu, mem) in usage.items():
        m = {"apiVersion": "metrics.k8s.io/v1beta1", "kind": "NodeMetrics",
             "metadata": {"name": name, "creationTimestamp": captured,
                          "labels": {"kubernetes.io/hostname": name}},
             "timestamp": "2026-11-20T09:29:48Z", "window": "20.033s",
             "usage": {"cpu": cpu, "memory": mem}}
        ctx.files.setdefault("nodemetrics", []).append(m)


def plant_workloads(ctx):
    """Planted problems 20 to 25: budgets, rollouts, StatefulSets and storage."""
    import copy
    # 20: recommendation's rollout is stuck: its crash-looping pod never becomes available.
    dep = _deployment(ctx, "shop", "recommendation")
    dep["status"]["availableReplicas"] = 1
    dep["status"]["readyReplicas"] = 1
    dep["status"]["unavailableReplicas"] = 1
    for cond in dep["status"]["conditions"]:
        if cond["type"] == "Progressing":
            cond.update({"status": "False", "reason": "ProgressDeadlineExceeded",
                         "lastUpdateTime": "2026-11-20T08:40:10Z", "lastTransitionTime": "2026-11-20T08:40:10Z",
                         "message": f"ReplicaSet \"{_current_rs(ctx, dep)['metadata']['name']}\" has timed out progressing."})
        if cond["type"] == "Available":
            cond.update({"status": "False", "reason": "MinimumReplicasUnavailable",
                         "message": "Deployment does not have minimum availability.",
                         "lastTransitionTime": "2026-11-20T08:30:02Z", "lastUpdateTime": "2026-11-20T08:30:02Z"})
    # 21: redis (OnDelete) is half way through a rollout: one pod runs the new revision.
    for sts in ctx.files["statefulsets"]:
        if sts["metadata"]["name"] == "redis":
            sts["status"]["updateRevision"] = "redis-7d4c9b8f6c"
            sts["status"]["updatedReplicas"] = 1
            sts["status"]["currentReplicas"] = 2
    # 22: a budget left over from the retired legacy-worker: it matches nothing.
    # 23: a second budget on search, added by another team: evictions of search pods fail.
    search_pdb = next(p for p in ctx.files["poddisruptionbudgets"] if p["metadata"]["name"] == "search")
    orphan = copy.deepcopy(search_pdb)
    orphan["metadata"].update({"name": "legacy-worker", "uid": "3f1c0a52-7d0e-4c1b-9a34-5d7e2b61c0aa",
                               "creationTimestamp": "2023-09-12T10:21:44Z", "resourceVersion": "118204"})
    orphan["metadata"].pop("annotations", None)
    orphan["spec"] = {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "legacy-worker"}}}
    orphan["status"] = {"currentHealthy": 0, "desiredHealthy": 1, "disruptionsAllowed": 0, "expectedPods": 0,
                        "observedGeneration": 1, "conditions": [{"type": "DisruptionAllowed", "status": "False",
                        "reason": "InsufficientPods", "message": "", "observedGeneration": 1,
                        "lastTransitionTime": "2024-11-02T08:00:00Z"}]}
    ctx.add(orphan)
    overlap = copy.deepcopy(search_pdb)
    overlap["metadata"].update({"name": "search-sre", "uid": "8e2d4f7a-1b3c-4d5e-8f9a-0b1c2d3e4f5a",
                                "creationTimestamp": "2026-11-12T15:02:09Z", "resourceVersion": "601233"})
    overlap["metadata"].pop("annotations", None)
    overlap["metadata"]["labels"] = {"team": "sre"}
    ctx.add(overlap)
    # 24: a claim that names a StorageClass nobody created (a typo in a values file).
    pvc = copy.deepcopy(next(c for c in ctx.files["persistentvolumeclaims"]
                             if c["metadata"]["name"] == "reports-archive"))
    pvc["metadata"].update({"name": "search-index-cache", "uid": "b7c1e2d3-4f5a-4b6c-9d7e-8f9a0b1c2d3e",
                            "creationTimestamp": "2026-11-19T16:44:20Z", "resourceVersion": "612877"})
    pvc["metadata"]["namespace"] = "shop"
    pvc["spec"]["storageClassName"] = "fast-ssd"
    pvc["status"] = {"phase": "Pending"}
    ctx.add(pvc)
    # 25: a volume of a deleted claim, kept by the Retain policy and never cleaned up.
    pv = copy.deepcopy(ctx.files["persistentvolumes"][0])
    pv["metadata"].update({"name": "pvc-0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a",
                           "uid": "0d9e8f7a-6b5c-4d3e-2f1a-9b8c7d6e5f4a", "creationTimestamp": "2025-06-03T11:20:00Z",
                           "resourceVersion": "402118"})
    pv["spec"]["persistentVolumeReclaimPolicy"] = "Retain"
    pv["spec"]["claimRef"] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": "shop",
                              "name": "orders-export", "uid": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
                              "resourceVersion": "401877"}
    pv["spec"]["csi"]["volumeHandle"] = "vol-0a1b2c3d4e5f60718"
    pv["status"] = {"phase": "Released", "lastPhaseTransitionTime": "2025-09-14T07:12:45Z"}
    ctx.add(pv)
    # 26: postgres keeps a partition from last month's canary of a new image: pod 0 is never
    # updated by the controller.
    for sts in ctx.files["statefulsets"]:
        if sts["metadata"]["name"] == "postgres":
            strategy = sts["spec"].setdefault("updateStrategy", {"type": "RollingUpdate"})
            strategy.setdefault("rollingUpdate", {})["partition"] = 1
    # 27: gp2-legacy was never demoted when gp3 became the default: two default classes.
    for sc in ctx.files["storageclasses"]:
        if sc["metadata"]["name"] == "gp2-legacy":
            sc["metadata"].setdefault("annotations", {})["storageclass.kubernetes.io/is-default-class"] = "true"


def _current_rs(ctx, dep):
    """The ReplicaSet that runs Deployment `dep`'s current template (whose template a planted
    change to the Deployment's template must change too, or they would disagree)."""
    md = dep["metadata"]
    return next(rs for rs in ctx.files["replicasets"]
                if rs["metadata"].get("namespace") == md.get("namespace")
                and rs["metadata"]["ownerReferences"][0]["uid"] == md["uid"] and rs["spec"]["replicas"])


def _dt(text):
    import datetime as dt
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)


def render(ctx):
    """File name -> text for every file of the snapshot."""
    # kubectl version's output first, then the snapshot's own fields.
    version = {k: v for k, v in CLUSTER_YAML.items() if k.endswith("Version")}
    extra = {k: v for k, v in CLUSTER_YAML.items() if k not in version}
    files = {"cluster.yaml": dump(version) + "".join(dump({k: extra[k]}) for k in
                                                     ("name", "capturedAt", "components",
                                                      "requestedDeprecatedApis"))}
    for name, items in sorted(ctx.files.items()):
        items = sorted(items, key=_key)
        seen = set()
        for o in items:
            k = (o["apiVersion"].split("/")[0], o["kind"], _key(o))
            if k in seen:
                raise SystemExit(f"duplicate object {k}")
            seen.add(k)
        files[name + ".yaml"] = dump({"apiVersion": "v1", "items": items, "kind": "List",
                                      "metadata": {"resourceVersion": ""}})
    files["README.md"] = readme.text(ctx)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    ctx = build()
    files = render(ctx)
    if args.check:
        stale = [n for n, text in files.items()
                 if not os.path.exists(os.path.join(args.out, n))
                 or open(os.path.join(args.out, n), encoding="utf-8").read() != text]
        extra = [n for n in os.listdir(args.out) if n not in files] if os.path.isdir(args.out) else []
        if stale or extra:
            print("stale: " + ", ".join(sorted(stale + extra)), file=sys.stderr)
            return 1
        return 0
    os.makedirs(args.out, exist_ok=True)
    for n in os.listdir(args.out):
        if n not in files and n.endswith(".yaml"):
            os.remove(os.path.join(args.out, n))
    for n, text in sorted(files.items()):
        with open(os.path.join(args.out, n), "w", encoding="utf-8") as f:
            f.write(text)
    total = sum(len(v) for v in ctx.files.values())
    print(f"wrote {len(files)} files, {total} objects to {os.path.relpath(args.out, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
