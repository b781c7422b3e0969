"""AWS integration in kube-system: the cloud controller manager (the in-tree AWS provider is gone
since 1.27) and the EBS CSI driver (Helm chart aws-ebs-csi-driver)."""
from .controllers import daemonset, deployment
from .core import day, helm
from .nodes import sa
from .objects import pdb
from .pods import container, probe

NS = "kube-system"
ECR = "public.ecr.aws"
SIDECAR = f"{ECR}/eks-distro/kubernetes-csi"
SOCKET = {"mountPath": "/var/lib/csi/sockets/pluginproxy/", "name": "socket-dir"}


def _sidecar(name, image, port, args=()):
    """A CSI sidecar serving /healthz/leader-election and /metrics on `port`."""
    return container(name, image, ports=[("http-endpoint", port)], cpu=("10m", "100m"),
                     mem=("40Mi", "128Mi"),
                     args=["--csi-address=$(ADDRESS)", "--v=2", "--leader-election=true",
                           f"--http-endpoint=0.0.0.0:{port}"] + list(args),
                     env=[{"name": "ADDRESS", "value": "/var/lib/csi/sockets/pluginproxy/csi.sock"}],
                     liveness=probe("/healthz/leader-election", "http-endpoint", 1, 20, 10, 10),
                     readiness=probe("/metrics", "http-endpoint", 3, 10, 5),
                     mounts=[SOCKET],
                     security={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True})


def cloud_controller_manager(ctx):
    born = day("2024-08-20 07:55:12")
    updated = day("2025-09-16 12:31:40")
    lab, ann = helm("aws-cloud-controller-manager", NS, "aws-cloud-controller-manager", "0.0.8", "v1.29.2")
    sel = {"k8s-app": "aws-cloud-controller-manager"}
    sa(ctx, NS, "cloud-controller-manager", born, lab, ann)
    c = container("aws-cloud-controller-manager",
                  "registry.k8s.io/provider-aws/cloud-controller-manager:v1.29.2",
                  ports=[("https", 10258)], cpu=("200m", "1"), mem=("128Mi", "512Mi"),
                  args=["--v=2", "--cloud-provider=aws", "--use-service-account-credentials=true",
                        "--configure-cloud-routes=false"],
                  liveness=probe("/healthz", "https", 3, 10, 5, 15, scheme="HTTPS"),
                  readiness=probe("/readyz", "https", 3, 10, 5, scheme="HTTPS"),
                  security={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True})
    cp = [n for n in ctx.nodes if n["control_plane"]]
    daemonset(ctx, NS, "aws-cloud-controller-manager", {
        "containers": [c], "hostNetwork": True, "priorityClassName": "system-node-critical",
        "nodeSelector": {"node-role.kubernetes.io/control-plane": ""},
        "securityContext": {"runAsUser": 1001}, "serviceAccountName": "cloud-controller-manager",
        "tolerations": [{"effect": "NoSchedule", "key": "node.cloudprovider.kubernetes.io/uninitialized",
                         "value": "true"},
                        {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]},
        dict(lab, **sel), sel, born, updated, cp, annotations=ann, generation=4)


def build(ctx, nodes):
    cloud_controller_manager(ctx)
    born = day("2024-02-06 10:31:48")
    updated = day("2025-09-18 14:35:02")
    lab, ann = helm("aws-ebs-csi-driver", NS, "aws-ebs-csi-driver", "2.28.1", "1.28.0")
    sa(ctx, NS, "ebs-csi-controller-sa", born, dict(lab, **{"app.kubernetes.io/component": "csi-driver"}), ann)
    sa(ctx, NS, "ebs-csi-node-sa", born, dict(lab, **{"app.kubernetes.io/component": "csi-driver"}), ann)
    plugin = container(
        "ebs-plugin", f"{ECR}/ebs-csi-driver/aws-ebs-csi-driver:v1.28.0",
        ports=[("healthz", 9808), ("metrics", 3301)], cpu=("10m", "200m"), mem=("40Mi", "256Mi"),
        args=["controller", "--endpoint=$(CSI_ENDPOINT)", "--http-endpoint=0.0.0.0:3301",
              "--batching=true", "--logging-format=text", "--v=2"],
        env=[{"name": "CSI_ENDPOINT", "value": "unix:///var/lib/csi/sockets/pluginproxy/csi.sock"},
             {"name": "AWS_REGION", "value": "eu-west-1"}],
        liveness=probe("/healthz", "healthz", 5, 10, 3, 10),
        readiness=probe("/metrics", "metrics", 5, 10, 3, 10),
        mounts=[SOCKET], security={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True})
    probe_c = container("liveness-probe", f"{SIDECAR}/livenessprobe:v2.12.0-eks-1-29-5",
                        cpu=("10m", "100m"), mem=("40Mi", "64Mi"),
                        args=["--csi-address=/csi/csi.sock"],
                        liveness=probe(port=9808, tcp=True, failure=3, period=20, timeout=5),
                        readiness=probe("/healthz", 9808, 3, 10, 5),
                        mounts=[{"mountPath": "/csi", "name": "socket-dir"}],
                        security={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True})
    spec = {
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"podAffinityTerm": {"labelSelector": {"matchExpressions": [
                {"key": "app", "operator": "In", "values": ["ebs-csi-controller"]}]},
                "topologyKey": "kubernetes.io/hostname"}, "weight": 100}]}},
        "containers": [plugin,
                       _sidecar("csi-provisioner", f"{SIDECAR}/external-provisioner:v4.0.0-eks-1-29-5", 8089,
                                ["--feature-gates=Topology=true", "--extra-create-metadata",
                                 "--default-fstype=ext4"]),
                       _sidecar("csi-attacher", f"{SIDECAR}/external-attacher:v4.5.0-eks-1-29-5", 8090),
                       _sidecar("csi-resizer", f"{SIDECAR}/external-resizer:v1.10.0-eks-1-29-5", 8091,
                                ["--handle-volume-inuse-error=false"]),
                       probe_c],
        "nodeSelector": {"kubernetes.io/os": "linux"}, "priorityClassName": "system-cluster-critical",
        "securityContext": {"fsGroup": 1000, "runAsGroup": 1000, "runAsNonRoot": True, "runAsUser": 1000},
        "serviceAccountName": "ebs-csi-controller-sa",
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                        {"effect": "NoExecute", "operator": "Exists", "tolerationSeconds": 300}],
        "volumes": [{"emptyDir": {}, "name": "socket-dir"}]}
    sel = {"app": "ebs-csi-controller", "app.kubernetes.io/instance": "aws-ebs-csi-driver",
           "app.kubernetes.io/name": "aws-ebs-csi-driver"}
    deployment(ctx, NS, "ebs-csi-controller", 2, spec, dict(lab, **sel), sel, born, updated, nodes,
               annotations=ann, old_tags=["v1.26.1", "v1.27.0"])
    pdb(ctx, NS, "ebs-csi-controller", sel, 2, born, labels=lab, annotations=ann)

    node_plugin = container(
        "ebs-plugin", f"{ECR}/ebs-csi-driver/aws-ebs-csi-driver:v1.28.0", ports=[("healthz", 9808)],
        cpu=("10m", "200m"), mem=("40Mi", "256Mi"),
        args=["node", "--endpoint=$(CSI_ENDPOINT)", "--logging-format=text", "--v=2"],
        env=[{"name": "CSI_ENDPOINT", "value": "unix:/csi/csi.sock"},
             {"name": "CSI_NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                  "fieldPath": "spec.nodeName"}}}],
        liveness=probe("/healthz", "healthz", 5, 10, 3, 10),
        readiness=probe(port="healthz", tcp=True, failure=3, period=10, timeout=3),
        security={"privileged": True, "readOnlyRootFilesystem": True},
        mounts=[{"mountPath": "/var/lib/kubelet", "mountPropagation": "Bidirectional",
                 "name": "kubelet-dir"}, {"mountPath": "/csi", "name": "plugin-dir"},
                {"mountPath": "/dev", "name": "device-dir"}])
    registrar = container(
        "node-driver-registrar", f"{SIDECAR}/node-driver-registrar:v2.10.0-eks-1-29-5",
        cpu=("10m", "100m"), mem=("40Mi", "64Mi"),
        args=["--csi-address=$(ADDRESS)", "--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)",
              "--v=2"],
        env=[{"name": "ADDRESS", "value": "/csi/csi.sock"},
             {"name": "DRIVER_REG_SOCK_PATH", "value": "/var/lib/kubelet/plugins/ebs.csi.aws.com/csi.sock"}],
        liveness=probe(command=["/csi-node-driver-registrar",
                                "--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)",
                                "--mode=kubelet-registration-probe"], failure=3, period=10, timeout=15,
                       initial=30),
        readiness=probe(command=["/csi-node-driver-registrar", "--mode=kubelet-registration-probe",
                                 "--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)", "--timeout=5s"],
                        failure=3, period=15, timeout=10),
        mounts=[{"mountPath": "/csi", "name": "plugin-dir"},
                {"mountPath": "/registration", "name": "registration-dir"}],
        security={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True})
    nsel = {"app": "ebs-csi-node", "app.kubernetes.io/instance": "aws-ebs-csi-driver",
            "app.kubernetes.io/name": "aws-ebs-csi-driver"}

    def hp(name, path, kind):
        return {"hostPath": {"path": path, "type": kind}, "name": name}

    daemonset(ctx, NS, "ebs-csi-node", {
        "containers": [node_plugin, registrar, dict(probe_c, volumeMounts=[{"mountPath": "/csi", "name": "plugin-dir"}])],
        "nodeSelector": {"kubernetes.io/os": "linux"}, "priorityClassName": "system-node-critical",
        "securityContext": {"fsGroup": 0, "runAsGroup": 0, "runAsNonRoot": False, "runAsUser": 0},
        "serviceAccountName": "ebs-csi-node-sa", "tolerations": [{"operator": "Exists"}],
        "volumes": [hp("kubelet-dir", "/var/lib/kubelet", "Directory"),
                    hp("plugin-dir", "/var/lib/kubelet/plugins/ebs.csi.aws.com/", "DirectoryOrCreate"),
                    hp("registration-dir", "/var/lib/kubelet/plugins_registry/", "Directory"),
                    hp("device-dir", "/dev", "Directory")]},
        dict(lab, **nsel), nsel, born, updated, ctx.nodes, annotations=ann, generation=3)
