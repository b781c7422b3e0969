#!/usr/bin/env python3
"""Write a deterministic snapshot of a big cluster, for benchmarking the live read.

    bench/gen-big-cluster.py OUT_DIR [--nodes 5000] [--pods 150000] [--version v1.31.4]

OUT_DIR gets `cluster.yaml` and one `kind: List` JSON file per type: namespaces, nodes,
pods (owned by ReplicaSets, StatefulSets and DaemonSets, with the fields a kubelet reports:
conditions, container statuses, IPs, QoS class, managedFields), deployments, replicasets,
statefulsets, daemonsets, services, configmaps and PodDisruptionBudgets. DaemonSets run one
pod per node (five of them, fewer if --pods is small), StatefulSets take about 3% of the pods
and Deployments the rest (20 replicas each), each Deployment with a Service, a ConfigMap and
(see --pdb-every) a PodDisruptionBudget. Same arguments, same bytes.
"""
import argparse
import json
import os
import random

CREATED = "2026-09-01T08:00:00Z"
STARTED = "2026-11-20T07:45:12Z"


def uid(kind, i):
    return "%08x-0000-4000-8000-%012x" % (hash_kind(kind), i)


def hash_kind(kind):
    h = 2166136261
    for b in kind.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def meta(name, ns, kind, i, labels=None, annotations=None, owner=None, generate_name=None):
    m = {"name": name}
    if generate_name:
        m["generateName"] = generate_name
    if ns is not None:
        m["namespace"] = ns
    m.update({"uid": uid(kind, i), "resourceVersion": str(1000000 + i), "creationTimestamp": CREATED})
    if labels:
        m["labels"] = labels
    if annotations:
        m["annotations"] = annotations
    if owner:
        m["ownerReferences"] = [dict(owner, blockOwnerDeletion=True, controller=True)]
    return m


def container(name, image, rng, probes=True):
    c = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "env": [{"name": "LOG_LEVEL", "value": "info"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
        "resources": {"requests": {"cpu": "%dm" % rng.choice([50, 100, 250, 500]),
                                   "memory": "%dMi" % rng.choice([64, 128, 256, 512])},
                      "limits": {"memory": "%dMi" % rng.choice([512, 1024])}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                          "name": "kube-api-access", "readOnly": True}],
    }
    if probes:
        c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP"},
                               "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                               "failureThreshold": 3}
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                              "initialDelaySeconds": 10, "periodSeconds": 10, "timeoutSeconds": 1,
                              "successThreshold": 1, "failureThreshold": 3}
    return c


def pod_spec(containers, node=None, tolerate_all=False):
    spec = {
        "containers": containers,
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": "default",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
        "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
    }
    if tolerate_all:
        spec["tolerations"] = [{"operator": "Exists"}]
    if node:
        spec["nodeName"] = node
    return spec


def pod_status(containers, node_ip, pod_ip, i):
    cond = lambda t: {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": STARTED}
    return {
        "phase": "Running",
        "conditions": [cond("PodReadyToStartContainers"), cond("Initialized"), cond("Ready"),
                       cond("ContainersReady"), cond("PodScheduled")],
        "hostIP": node_ip, "hostIPs": [{"ip": node_ip}],
        "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": STARTED,
        "qosClass": "Burstable",
        "containerStatuses": [{
            "name": c["name"], "ready": True, "started": True, "restartCount": i % 3,
            "image": c["image"], "imageID": "docker.io/library/%s@sha256:%064x" % (c["name"], i),
            "containerID": "containerd://%064x" % (i * 7919),
            "lastState": {}, "state": {"running": {"startedAt": STARTED}},
        } for c in containers],
    }


def managed(manager, operation, api_version="v1"):
    return {"manager": manager, "operation": operation, "apiVersion": api_version, "time": STARTED,
            "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:conditions": {}, "f:phase": {}}}}


def write_list(out, name, items):
    path = os.path.join(out, name + ".json")
    with open(path, "w") as f:
        f.write('{"apiVersion":"v1","kind":"List","metadata":{},"items":[\n')
        for k, item in enumerate(items):
            if k:
                f.write(",\n")
            f.write(json.dumps(item, separators=(",", ":")))
        f.write("\n]}\n")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--pods", type=int, default=150000)
    ap.add_argument("--namespaces", type=int, default=200)
    ap.add_argument("--version", default="v1.31.4")
    ap.add_argument("--pdb-every", type=int, default=1, metavar="N",
                    help="a PodDisruptionBudget for every Nth Deployment (default: every one)")
    a = ap.parse_args()
    rng = random.Random(20261125)
    os.makedirs(a.out, exist_ok=True)
    minor = a.version.lstrip("v").split(".")[1]
    with open(os.path.join(a.out, "cluster.yaml"), "w") as f:
        f.write("name: big\ncapturedAt: \"2026-11-25T00:00:00Z\"\nserverVersion:\n"
                f"  gitVersion: {a.version}\n  major: \"1\"\n  minor: \"{minor}\"\n")

    namespaces = ["kube-system"] + ["team-%03d" % i for i in range(a.namespaces)]
    write_list(a.out, "namespaces", ({"apiVersion": "v1", "kind": "Namespace",
                                       "metadata": meta(ns, None, "Namespace", i, labels={"kubernetes.io/metadata.name": ns}),
                                       "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
                                      for i, ns in enumerate(namespaces)))

    def node_name(i):
        return "ip-10-%d-%d-%d.eu-west-1.compute.internal" % (i // 65536 % 256, i // 256 % 256, i % 256)

    def node_ip(i):
        return "10.%d.%d.%d" % (i // 65536 % 256, i // 256 % 256, i % 256)

    def nodes():
        for i in range(a.nodes):
            zone = "eu-west-1" + "abc"[i % 3]
            n = {"apiVersion": "v1", "kind": "Node",
                 "metadata": meta(node_name(i), None, "Node", i, labels={
                     "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux",
                     "kubernetes.io/hostname": node_name(i), "node.kubernetes.io/instance-type": "m6i.2xlarge",
                     "topology.kubernetes.io/region": "eu-west-1", "topology.kubernetes.io/zone": zone},
                     annotations={"node.alpha.kubernetes.io/ttl": "0",
                                  "volumes.kubernetes.io/controller-managed-attach-detach": "true"}),
                 "spec": {"providerID": "aws:///%s/i-%017x" % (zone, i), "podCIDR": "100.%d.%d.0/24" % (i // 256 % 256, i % 256)},
                 "status": {
                     "addresses": [{"type": "InternalIP", "address": node_ip(i)},
                                   {"type": "Hostname", "address": node_name(i)}],
                     "allocatable": {"cpu": "7910m", "ephemeral-storage": "95551679124", "memory": "31482Mi", "pods": "110"},
                     "capacity": {"cpu": "8", "ephemeral-storage": "104845292Ki", "memory": "32386Mi", "pods": "110"},
                     "conditions": [{"type": t, "status": "False" if t != "Ready" else "True",
                                     "lastHeartbeatTime": STARTED, "lastTransitionTime": CREATED,
                                     "reason": "Kubelet" + t, "message": "kubelet reports " + t}
                                    for t in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")],
                     "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                     "images": [{"names": ["registry.example.com/app-%d@sha256:%064x" % (k, k), "registry.example.com/app-%d:1.%d.0" % (k, k)],
                                 "sizeBytes": 10000000 + k} for k in range(8)],
                     "nodeInfo": {"architecture": "amd64", "bootID": uid("boot", i), "containerRuntimeVersion": "containerd://1.7.22",
                                  "kernelVersion": "6.1.109-118.189.amzn2023.x86_64", "kubeProxyVersion": a.version,
                                  "kubeletVersion": a.version, "machineID": "%032x" % i, "operatingSystem": "linux",
                                  "osImage": "Amazon Linux 2023", "systemUUID": uid("sys", i)}}}
            if i % 50 == 0:
                n["spec"]["taints"] = [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]
            yield n

    write_list(a.out, "nodes", nodes())

    daemonsets = ["kube-proxy", "aws-node", "ebs-csi-node", "node-exporter", "fluent-bit"]
    per_node = min(len(daemonsets), max(0, a.pods // max(a.nodes, 1) // 5))
    daemonsets = daemonsets[:per_node]
    ds_pods = len(daemonsets) * a.nodes
    sts_count = max(1, a.pods * 3 // 100 // 10)
    sts_pods = sts_count * 10
    replicas = 20
    dep_count = max(1, (a.pods - ds_pods - sts_pods) // replicas)
    counter = {"pod": 0}

    def new_pod(name, ns, owner, labels, containers, node_index, tolerate_all=False):
        i = counter["pod"]
        counter["pod"] += 1
        pip = "100.%d.%d.%d" % (i // 65536 % 256, i // 256 % 256, i % 256)
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": dict(meta(name, ns, "Pod", i, labels=labels, owner=owner,
                                      generate_name=name.rsplit("-", 1)[0] + "-"),
                                 managedFields=[managed("kube-controller-manager", "Update"),
                                                managed("kubelet", "Update")]),
                "spec": pod_spec(containers, node_name(node_index), tolerate_all),
                "status": pod_status(containers, node_ip(node_index), pip, i)}

    def workloads():
        deployments, replicasets, statefulsets, dsets, services, configmaps, pdbs = [], [], [], [], [], [], []
        for ns_i, ns in enumerate(namespaces):
            configmaps.append({"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": meta("kube-root-ca.crt", ns, "ConfigMap", 10**7 + ns_i),
                               "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"}})
        for d in range(dep_count):
            ns = namespaces[1 + d % (len(namespaces) - 1)] if len(namespaces) > 1 else namespaces[0]
            name = "svc-%05d" % d
            labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": ns}
            tmpl_containers = [container(name, "registry.example.com/%s:1.%d.%d" % (name, d % 7, d % 13), rng)]
            template = {"metadata": {"labels": labels}, "spec": pod_spec(tmpl_containers)}
            dep_uid = uid("Deployment", d)
            deployments.append({"apiVersion": "apps/v1", "kind": "Deployment",
                                "metadata": meta(name, ns, "Deployment", d, labels=labels,
                                                 annotations={"deployment.kubernetes.io/revision": "2"}),
                                "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                                         "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                                         "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600, "template": template},
                                "status": {"observedGeneration": 2, "replicas": replicas, "updatedReplicas": replicas,
                                           "readyReplicas": replicas, "availableReplicas": replicas,
                                           "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "lastUpdateTime": STARTED, "lastTransitionTime": STARTED},
                                                          {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "lastUpdateTime": STARTED, "lastTransitionTime": CREATED}]}})
            for rev in (1, 2):
                rs_i = d * 2 + rev - 1
                hash_ = "%010x" % (rs_i * 2654435761 % (1 << 40))
                rs_labels = dict(labels, **{"pod-template-hash": hash_})
                count = replicas if rev == 2 else 0
                rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                      "metadata": meta("%s-%s" % (name, hash_), ns, "ReplicaSet", rs_i, labels=rs_labels,
                                       annotations={"deployment.kubernetes.io/revision": str(rev)},
                                       owner={"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": dep_uid}),
                      "spec": {"replicas": count, "selector": {"matchLabels": rs_labels},
                               "template": {"metadata": {"labels": rs_labels}, "spec": pod_spec(tmpl_containers)}},
                      "status": {"replicas": count, "readyReplicas": count, "availableReplicas": count, "observedGeneration": 1}}
                replicasets.append(rs)
                owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs["metadata"]["name"], "uid": rs["metadata"]["uid"]}
                for r in range(count):
                    suffix = "%05x" % ((rs_i * 31 + r * 7919) % (1 << 20))
                    yield "pods", new_pod("%s-%s-%s" % (name, hash_, suffix), ns, owner, rs_labels,
                                          tmpl_containers, (d * replicas + r) % a.nodes)
            services.append({"apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns, "Service", d, labels=labels),
                             "spec": {"type": "ClusterIP", "clusterIP": "172.20.%d.%d" % (d // 256 % 256, d % 256),
                                      "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}],
                                      "selector": labels, "sessionAffinity": "None"}, "status": {"loadBalancer": {}}})
            configmaps.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name + "-config", ns, "ConfigMap", d, labels=labels),
                               "data": {"app.yaml": "server:\n  port: 8080\nlog:\n  level: info\n"}})
            if d % max(a.pdb_every, 1) == 0:
                pdbs.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                             "metadata": meta(name, ns, "PodDisruptionBudget", d, labels=labels),
                             "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}},
                             "status": {"currentHealthy": replicas, "desiredHealthy": replicas - 1, "disruptionsAllowed": 1,
                                        "expectedPods": replicas, "observedGeneration": 1}})
        for s in range(sts_count):
            ns = namespaces[1 + s % (len(namespaces) - 1)] if len(namespaces) > 1 else namespaces[0]
            name = "db-%04d" % s
            labels = {"app.kubernetes.io/name": name}
            cs = [container(name, "registry.example.com/postgres:16.%d" % (s % 4), rng)]
            sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta(name, ns, "StatefulSet", s, labels=labels),
                   "spec": {"replicas": 10, "serviceName": name, "selector": {"matchLabels": labels},
                            "podManagementPolicy": "OrderedReady", "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                            "template": {"metadata": {"labels": labels}, "spec": pod_spec(cs)}},
                   "status": {"replicas": 10, "readyReplicas": 10, "currentReplicas": 10, "updatedReplicas": 10,
                              "currentRevision": name + "-6d4f", "updateRevision": name + "-6d4f", "observedGeneration": 1}}
            statefulsets.append(sts)
            owner = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": name, "uid": sts["metadata"]["uid"]}
            for r in range(10):
                yield "pods", new_pod("%s-%d" % (name, r), ns, owner,
                                      dict(labels, **{"statefulset.kubernetes.io/pod-name": "%s-%d" % (name, r)}),
                                      cs, (s * 10 + r * 97) % a.nodes)
        for k, name in enumerate(daemonsets):
            labels = {"k8s-app": name}
            cs = [container(name, "registry.example.com/%s:v1.%d.0" % (name, 20 + k), rng, probes=(k % 2 == 0))]
            ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta(name, "kube-system", "DaemonSet", k, labels=labels),
                  "spec": {"selector": {"matchLabels": labels}, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                           "template": {"metadata": {"labels": labels}, "spec": pod_spec(cs, tolerate_all=True)}},
                  "status": {"currentNumberScheduled": a.nodes, "desiredNumberScheduled": a.nodes, "numberAvailable": a.nodes,
                             "numberMisscheduled": 0, "numberReady": a.nodes, "observedGeneration": 1, "updatedNumberScheduled": a.nodes}}
            dsets.append(ds)
            owner = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": name, "uid": ds["metadata"]["uid"]}
            for n in range(a.nodes):
                suffix = "%05x" % ((k * 100003 + n * 7919) % (1 << 20))
                yield "pods", new_pod("%s-%s" % (name, suffix), "kube-system", owner,
                                      dict(labels, **{"controller-revision-hash": "7d9c"}), cs, n, tolerate_all=True)
        for name, items in (("deployments", deployments), ("replicasets", replicasets), ("statefulsets", statefulsets),
                            ("daemonsets", dsets), ("services", services), ("configmaps", configmaps),
                            ("poddisruptionbudgets", pdbs)):
            for item in items:
                yield name, item

    # Pods stream straight to their file; the rest is written after.
    path = os.path.join(a.out, "pods.json")
    rest = {}
    with open(path, "w") as f:
        f.write('{"apiVersion":"v1","kind":"List","metadata":{},"items":[\n')
        first = True
        for name, item in workloads():
            if name != "pods":
                rest.setdefault(name, []).append(item)
                continue
            if not first:
                f.write(",\n")
            first = False
            f.write(json.dumps(item, separators=(",", ":")))
        f.write("\n]}\n")
    for name, items in rest.items():
        write_list(a.out, name, items)
    total = counter["pod"]
    print("%s: %d nodes, %d pods (%d from %d deployments, %d from %d statefulsets, %d from %d daemonsets)"
          % (a.out, a.nodes, total, dep_count * replicas, dep_count, sts_pods, sts_count, ds_pods, len(daemonsets)))


if __name__ == "__main__":
    main()
