"""Nodes, Namespaces and what every namespace gets (default ServiceAccount, kube-root-ca.crt)."""
import datetime as dt

from .core import at, day, ts

CA_CRT = """-----BEGIN CERTIFICATE-----
MIIDBTCCAe2gAwIBAgIIPv6Hq0p8zOcwDQYJKoZIhvcNAQELBQAwFTETMBEGA1UE
AxMKa3ViZXJuZXRlczAeFw0yNDAyMDUwOTE3MjNaFw0zNDAyMDIwOTIyMjNaMBUx
EzARBgNVBAMTCmt1YmVybmV0ZXMwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEK
AoIBAQDEbm9ZGVtby1jbHVzdGVyLWNhLW5vdC1hLXJlYWwta2V5LWp1c3QtYS1w
bGFjZWhvbGRlci1mb3ItdGhlLWRlbW8tc25hcHNob3QtMDEyMzQ1Njc4OWFiY2Rl
ZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2Rl
ZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2Rl
AgMBAAGjWTBXMA4GA1UdDwEB/wQEAwICpDAPBgNVHRMBAf8EBTADAQH/MB0GA1Ud
DgQWBBSZ2VuZXJhdGVkLWZvci1kZW1vMBUGA1UdEQQOMAyCCmt1YmVybmV0ZXMw
DQYJKoZIhvcNAQELBQADggEBAFBsYWNlaG9sZGVyIHNpZ25hdHVyZSBmb3IgdGhl
IG1jcC1kaWFnIGRlbW8gY2x1c3Rlcjsgbm90IGEgcmVhbCBjZXJ0aWZpY2F0ZS4=
-----END CERTIFICATE-----
"""

# name, zone, role, kubelet, runtime, instance type, created, ip, notes
NODES = [
    ("cp-1", "eu-west-1a", "cp", "v1.29.4", "containerd://1.7.13", "m6i.xlarge", "2024-02-05 09:12:40", "10.20.1.11"),
    ("cp-2", "eu-west-1b", "cp", "v1.29.4", "containerd://1.7.13", "m6i.xlarge", "2024-02-05 09:31:02", "10.20.2.11"),
    ("cp-3", "eu-west-1a", "cp", "v1.29.4", "containerd://1.7.13", "m6i.xlarge", "2024-02-05 09:44:19", "10.20.1.12"),
    ("worker-a1", "eu-west-1a", "worker", "v1.29.4", "containerd://1.7.13", "m6i.2xlarge", "2025-09-16 13:02:55", "10.20.1.31"),
    ("worker-a2", "eu-west-1a", "worker", "v1.27.9", "containerd://1.7.13", "m6i.2xlarge", "2024-08-21 10:15:37", "10.20.1.32"),
    ("worker-a3", "eu-west-1a", "worker", "v1.29.4", "containerd://1.7.13", "m6i.2xlarge", "2025-09-16 13:06:12", "10.20.1.33"),
    ("worker-b1", "eu-west-1b", "worker", "v1.29.4", "containerd://1.7.13", "m6i.2xlarge", "2025-09-17 08:40:09", "10.20.2.31"),
    ("worker-b2", "eu-west-1b", "worker", "v1.27.9", "containerd://1.7.13", "m6i.2xlarge", "2024-08-21 10:19:48", "10.20.2.32"),
    ("worker-b3", "eu-west-1b", "worker", "v1.26.15", "docker://24.0.7", "r6i.2xlarge", "2024-04-02 15:27:31", "10.20.2.33"),
]
NOT_READY = "worker-b2"
NOT_READY_SINCE = day("2026-11-19 22:41:07")
CORDONED = "worker-a3"
CORDONED_AT = day("2026-11-18 16:05:44")
SIZES = {"m6i.xlarge": (4, 16_005_348), "m6i.2xlarge": (8, 32_386_628), "r6i.2xlarge": (8, 64_769_140)}


def _conditions(ready, since, created):
    heartbeat = ts(since if not ready else at(seconds=37))
    healthy = [("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
               ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
               ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available")]
    conds = [{"lastHeartbeatTime": ts(created + dt.timedelta(minutes=3)),
              "lastTransitionTime": ts(created + dt.timedelta(minutes=3)),
              "message": "Calico is running on this node", "reason": "CalicoIsUp",
              "status": "False", "type": "NetworkUnavailable"}]
    for t, reason, msg in healthy:
        if ready:
            conds.append({"lastHeartbeatTime": heartbeat, "lastTransitionTime": ts(created),
                          "message": msg, "reason": reason, "status": "False", "type": t})
        else:
            conds.append({"lastHeartbeatTime": heartbeat, "lastTransitionTime": ts(since + dt.timedelta(seconds=40)),
                          "message": "Kubelet stopped posting node status.",
                          "reason": "NodeStatusUnknown", "status": "Unknown", "type": t})
    if ready:
        conds.append({"lastHeartbeatTime": heartbeat, "lastTransitionTime": ts(created + dt.timedelta(minutes=1)),
                      "message": "kubelet is posting ready status", "reason": "KubeletReady",
                      "status": "True", "type": "Ready"})
    else:
        conds.append({"lastHeartbeatTime": heartbeat, "lastTransitionTime": ts(since + dt.timedelta(seconds=40)),
                      "message": "Kubelet stopped posting node status.",
                      "reason": "NodeStatusUnknown", "status": "Unknown", "type": "Ready"})
    return conds


def build_nodes(ctx):
    for idx, (name, zone, role, kubelet, runtime, itype, created, ip) in enumerate(NODES):
        created = day(created)
        ready = name != NOT_READY
        cpus, mem_ki = SIZES[itype]
        labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": itype,
                  "beta.kubernetes.io/os": "linux", "failure-domain.beta.kubernetes.io/region": "eu-west-1",
                  "failure-domain.beta.kubernetes.io/zone": zone, "kubernetes.io/arch": "amd64",
                  "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                  "node.kubernetes.io/instance-type": itype, "topology.ebs.csi.aws.com/zone": zone,
                  "topology.kubernetes.io/region": "eu-west-1", "topology.kubernetes.io/zone": zone}
        if role == "cp":
            labels["node-role.kubernetes.io/control-plane"] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        else:
            labels["node-role.kubernetes.io/worker"] = ""
            labels["platform.example.com/pool"] = "memory" if itype.startswith("r6i") else "general"
        pod_cidr = f"10.244.{idx * 4}.0"
        ann = {"csi.volume.kubernetes.io/nodeid": '{"ebs.csi.aws.com":"i-0%s"}' % ctx.sha(name)[:16],
               "kubeadm.alpha.kubernetes.io/cri-socket":
                   "unix:///var/run/cri-dockerd.sock" if runtime.startswith("docker")
                   else "unix:///var/run/containerd/containerd.sock",
               "node.alpha.kubernetes.io/ttl": "0",
               "projectcalico.org/IPv4Address": ip + "/24",
               "projectcalico.org/IPv4IPIPTunnelAddr": pod_cidr.rsplit(".", 1)[0] + ".1",
               "volumes.kubernetes.io/controller-managed-attach-detach": "true"}
        spec = {"podCIDR": pod_cidr + "/22", "podCIDRs": [pod_cidr + "/22"],
                "providerID": f"aws:///{zone}/i-0{ctx.sha(name)[:16]}"}
        taints = []
        if role == "cp":
            taints.append({"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"})
        if name == CORDONED:
            spec["unschedulable"] = True
            taints.append({"effect": "NoSchedule", "key": "node.kubernetes.io/unschedulable",
                           "timeAdded": ts(CORDONED_AT)})
        if not ready:
            taints += [{"effect": "NoSchedule", "key": "node.kubernetes.io/unreachable",
                        "timeAdded": ts(NOT_READY_SINCE + dt.timedelta(seconds=40))},
                       {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable",
                        "timeAdded": ts(NOT_READY_SINCE + dt.timedelta(seconds=45))}]
        if taints:
            spec["taints"] = taints
        reserved_ki = 1_048_576 if role == "cp" else 2_097_152
        status = {
            "addresses": [{"address": ip, "type": "InternalIP"},
                          {"address": name, "type": "Hostname"}],
            "allocatable": {"cpu": f"{cpus * 1000 - 200}m", "ephemeral-storage": "95500736762",
                            "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                            "memory": f"{mem_ki - reserved_ki}Ki", "pods": "110"},
            "capacity": {"cpu": str(cpus), "ephemeral-storage": "103623776Ki", "hugepages-1Gi": "0",
                         "hugepages-2Mi": "0", "memory": f"{mem_ki}Ki", "pods": "110"},
            "conditions": _conditions(ready, NOT_READY_SINCE, created),
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"architecture": "amd64", "bootID": str(ctx.uid(f"boot/{name}")),
                         "containerRuntimeVersion": runtime,
                         "kernelVersion": "5.15.0-1058-aws" if kubelet == "v1.29.4" else "5.15.0-1033-aws",
                         "kubeProxyVersion": kubelet, "kubeletVersion": kubelet,
                         "machineID": ctx.sha(f"machine/{name}")[:32], "operatingSystem": "linux",
                         "osImage": "Ubuntu 22.04.4 LTS" if kubelet == "v1.29.4" else "Ubuntu 22.04.2 LTS",
                         "systemUUID": "ec2" + ctx.uid(f"sys/{name}")[3:]}}
        n = ctx.obj("v1", "Node", name, created=created, labels=labels, annotations=ann,
                    spec=spec, status=status)
        ctx.add(n)
        ctx.nodes.append({"name": name, "zone": zone, "ip": ip, "pod_cidr": pod_cidr,
                          "runtime": runtime, "ready": ready, "control_plane": role == "cp",
                          "not_ready_since": NOT_READY_SINCE if not ready else None,
                          "cordoned_at": CORDONED_AT if name == CORDONED else None,
                          "created": created, "obj": n, "kubelet": kubelet})


def node(ctx, name):
    return next(n for n in ctx.nodes if n["name"] == name)


def namespace(ctx, name, created, labels=None, annotations=None):
    """A Namespace with its default ServiceAccount and kube-root-ca.crt ConfigMap."""
    lab = {"kubernetes.io/metadata.name": name}
    lab.update(labels or {})
    ctx.add(ctx.obj("v1", "Namespace", name, created=created, labels=lab, annotations=annotations,
                    spec={"finalizers": ["kubernetes"]}, status={"phase": "Active"}))
    ctx.add(ctx.obj("v1", "ServiceAccount", "default", name, created=created))
    ctx.add(dict(ctx.obj("v1", "ConfigMap", "kube-root-ca.crt", name, created=created,
                         annotations={"kubernetes.io/description":
                                      "Contains a CA bundle that can be used to verify the "
                                      "kube-apiserver when using internal endpoints such as the "
                                      "internal service IP or kubernetes.default.svc. No other "
                                      "usage is guaranteed across distributions of Kubernetes "
                                      "clusters."}),
                 data={"ca.crt": CA_CRT}))


def sa(ctx, ns, name, created, labels=None, annotations=None):
    o = ctx.obj("v1", "ServiceAccount", name, ns, created=created, labels=labels,
                annotations=annotations)
    return ctx.add(o)
