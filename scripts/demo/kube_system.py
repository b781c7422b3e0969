"""kube-system: the kubeadm control plane as mirror pods, kube-proxy, CoreDNS, metrics-server and
the EBS CSI driver; also the default, kube-public and kube-node-lease namespaces."""
import datetime as dt

from .controllers import daemonset, deployment
from .core import K8S, day, helm
from .nodes import CA_CRT, namespace, sa
from .objects import configmap, pdb, service
from .pods import app, container, defaulted_pod_spec, pod, probe

NS = "kube-system"
BORN = day("2024-02-05 09:17:23")
UPGRADED = day("2025-09-16 11:48:10")   # kubeadm upgrade apply v1.29.4
REG = "registry.k8s.io"
CONTROLLER_SAS = [
    "attachdetach-controller", "bootstrap-signer", "certificate-controller",
    "clusterrole-aggregation-controller", "cronjob-controller", "daemon-set-controller",
    "deployment-controller", "disruption-controller", "endpoint-controller",
    "endpointslice-controller", "endpointslicemirroring-controller",
    "ephemeral-volume-controller", "expand-controller", "generic-garbage-collector",
    "horizontal-pod-autoscaler", "job-controller", "legacy-service-account-token-cleaner",
    "namespace-controller", "node-controller", "persistent-volume-binder",
    "pod-garbage-collector", "pv-protection-controller", "pvc-protection-controller",
    "replicaset-controller", "replication-controller", "resourcequota-controller",
    "root-ca-cert-publisher", "service-account-controller", "service-controller",
    "statefulset-controller", "token-cleaner", "ttl-after-finished-controller", "ttl-controller",
    "validatingadmissionpolicy-status-controller"]


def _host(p, host):
    p["httpGet"]["host"] = host
    return p


def _hostpath(name, path, kind="DirectoryOrCreate"):
    return {"hostPath": {"path": path, "type": kind}, "name": name}


def static_pods(ctx):
    for n in ctx.nodes:
        if not n["control_plane"]:
            continue
        ip = n["ip"]
        pki = [_hostpath("etc-pki", "/etc/pki"), _hostpath("etc-ca-certificates", "/etc/ca-certificates"),
               _hostpath("k8s-certs", "/etc/kubernetes/pki"), _hostpath("ca-certs", "/etc/ssl/certs")]
        mounts = [{"mountPath": v["hostPath"]["path"], "name": v["name"], "readOnly": True} for v in pki]
        specs = {
            "etcd": (container("etcd", f"{REG}/etcd:3.5.10-0", cpu=("100m", None), mem=("100Mi", None),
                               command=["etcd", f"--advertise-client-urls=https://{ip}:2379",
                                        "--data-dir=/var/lib/etcd", f"--name={n['name']}",
                                        "--listen-metrics-urls=http://127.0.0.1:2381",
                                        "--snapshot-count=10000"],
                               liveness=_host(probe("/health?exclude=NOSPACE&serializable=true", 2381, 8, 10, 15, 10), "127.0.0.1"),
                               startup=_host(probe("/health?serializable=false", 2381, 24, 10, 15, 10), "127.0.0.1"),
                               mounts=[{"mountPath": "/var/lib/etcd", "name": "etcd-data"},
                                       {"mountPath": "/etc/kubernetes/pki/etcd", "name": "etcd-certs"}]),
                     [_hostpath("etcd-certs", "/etc/kubernetes/pki/etcd"), _hostpath("etcd-data", "/var/lib/etcd")],
                     {"kubeadm.kubernetes.io/etcd.advertise-client-urls": f"https://{ip}:2379"}),
            "kube-apiserver": (container(
                "kube-apiserver", f"{REG}/kube-apiserver:{K8S}", cpu=("250m", None), mem=("512Mi", None),
                command=["kube-apiserver", f"--advertise-address={ip}", "--allow-privileged=true",
                         "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
                         "--etcd-servers=https://127.0.0.1:2379", "--secure-port=6443",
                         "--service-cluster-ip-range=10.96.0.0/12"],
                liveness=_host(probe("/livez", 6443, 8, 10, 15, 10, scheme="HTTPS"), ip),
                readiness=_host(probe("/readyz", 6443, 3, 1, 15, scheme="HTTPS"), ip),
                startup=_host(probe("/livez", 6443, 24, 10, 15, 10, scheme="HTTPS"), ip), mounts=mounts),
                pki, {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": f"{ip}:6443"}),
            "kube-controller-manager": (container(
                "kube-controller-manager", f"{REG}/kube-controller-manager:{K8S}", cpu=("200m", None),
                mem=("256Mi", None), command=["kube-controller-manager", "--allocate-node-cidrs=true",
                                              "--cluster-cidr=10.244.0.0/16", "--leader-elect=true",
                                              "--use-service-account-credentials=true"],
                liveness=_host(probe("/healthz", 10257, 8, 10, 15, 10, scheme="HTTPS"), "127.0.0.1"),
                startup=_host(probe("/healthz", 10257, 24, 10, 15, 10, scheme="HTTPS"), "127.0.0.1"),
                mounts=mounts), pki, {}),
            "kube-scheduler": (container(
                "kube-scheduler", f"{REG}/kube-scheduler:{K8S}", cpu=("100m", None), mem=("128Mi", None),
                command=["kube-scheduler", "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true"],
                liveness=_host(probe("/healthz", 10259, 8, 10, 15, 10, scheme="HTTPS"), "127.0.0.1"),
                startup=_host(probe("/healthz", 10259, 24, 10, 15, 10, scheme="HTTPS"), "127.0.0.1"),
                mounts=[{"mountPath": "/etc/kubernetes/scheduler.conf", "name": "kubeconfig", "readOnly": True}]),
                [_hostpath("kubeconfig", "/etc/kubernetes/scheduler.conf", "FileOrCreate")], {}),
        }
        for comp, (c, vols, ann) in specs.items():
            spec = defaulted_pod_spec({
                "containers": [c], "hostNetwork": True, "priorityClassName": "system-node-critical",
                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                "tolerations": [{"effect": "NoExecute", "operator": "Exists"}], "volumes": vols})
            h = ctx.sha(f"static/{n['name']}/{comp}")[:32]
            seen = UPGRADED + dt.timedelta(minutes=ctx.rng.randint(0, 40))
            ann = dict(ann, **{"kubernetes.io/config.hash": h, "kubernetes.io/config.mirror": h,
                               "kubernetes.io/config.seen": seen.strftime("%Y-%m-%dT%H:%M:%S.")
                               + f"{ctx.rng.randint(0, 999999999):09d}Z",
                               "kubernetes.io/config.source": "file"})
            p = pod(ctx, NS, f"{comp}-{n['name']}", spec, {"component": comp, "tier": "control-plane"},
                    None, n, seen + dt.timedelta(seconds=3), annotations=ann, mirror=True)
            p["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "controller": True, "kind": "Node",
                                                 "name": n["name"], "uid": n["obj"]["metadata"]["uid"]}]


def build(ctx):
    for name in ("default", "kube-node-lease", "kube-public", NS):
        namespace(ctx, name, BORN)
    for name in CONTROLLER_SAS:
        sa(ctx, NS, name, BORN)
    static_pods(ctx)
    workers = ctx.nodes

    service(ctx, "default", "kubernetes", None, [("https", 443, 6443)], BORN, ip="10.96.0.1",
            labels={"component": "apiserver", "provider": "kubernetes"})
    configmap(ctx, "kube-public", "cluster-info", {"kubeconfig": (
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTi...\n"
        "    server: https://api.demo.platform.example.com:6443\n  name: \"\"\n"
        "contexts: null\ncurrent-context: \"\"\nkind: Config\npreferences: {}\nusers: null\n")}, BORN)
    configmap(ctx, NS, "extension-apiserver-authentication", {
        "client-ca-file": CA_CRT, "requestheader-allowed-names": '["front-proxy-client"]',
        "requestheader-client-ca-file": CA_CRT,
        "requestheader-extra-headers-prefix": '["X-Remote-Extra-"]',
        "requestheader-group-headers": '["X-Remote-Group"]',
        "requestheader-username-headers": '["X-Remote-User"]'}, BORN)
    configmap(ctx, NS, "kube-apiserver-legacy-service-account-token-tracking",
              {"since": "2024-08-20"}, day("2024-08-20 08:02:11"))
    configmap(ctx, NS, "kubeadm-config", {"ClusterConfiguration": (
        "apiServer:\n  certSANs:\n  - api.demo.platform.example.com\n  extraArgs:\n"
        "    authorization-mode: Node,RBAC\n  timeoutForControlPlane: 4m0s\n"
        "apiVersion: kubeadm.k8s.io/v1beta3\ncertificatesDir: /etc/kubernetes/pki\n"
        "clusterName: demo\ncontrolPlaneEndpoint: api.demo.platform.example.com:6443\n"
        "controllerManager: {}\ndns: {}\netcd:\n  local:\n    dataDir: /var/lib/etcd\n"
        f"imageRepository: registry.k8s.io\nkind: ClusterConfiguration\nkubernetesVersion: {K8S}\n"
        "networking:\n  dnsDomain: cluster.local\n  podSubnet: 10.244.0.0/16\n"
        "  serviceSubnet: 10.96.0.0/12\nscheduler: {}\n")}, BORN)
    configmap(ctx, NS, "kubelet-config", {"kubelet": (
        "apiVersion: kubelet.config.k8s.io/v1beta1\nauthentication:\n  anonymous:\n    enabled: false\n"
        "cgroupDriver: systemd\nclusterDNS:\n- 10.96.0.10\nclusterDomain: cluster.local\n"
        "kind: KubeletConfiguration\nrotateCertificates: true\nserverTLSBootstrap: true\n"
        "shutdownGracePeriod: 30s\nstaticPodPath: /etc/kubernetes/manifests\n")}, BORN)

    # kube-proxy
    sa(ctx, NS, "kube-proxy", BORN)
    configmap(ctx, NS, "kube-proxy", {
        "config.conf": ("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: 0.0.0.0\n"
                        "clusterCIDR: 10.244.0.0/16\nhealthzBindAddress: 0.0.0.0:10256\n"
                        "kind: KubeProxyConfiguration\nmetricsBindAddress: 0.0.0.0:10249\nmode: ipvs\n"),
        "kubeconfig.conf": ("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
                            "    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n"
                            "    server: https://api.demo.platform.example.com:6443\n  name: default\n")},
              BORN, labels={"app": "kube-proxy"})
    kp = container("kube-proxy", f"{REG}/kube-proxy:{K8S}", cpu=("50m", "500m"), mem=("64Mi", "256Mi"),
                   command=["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                            "--hostname-override=$(NODE_NAME)"],
                   env=[{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                          "fieldPath": "spec.nodeName"}}}],
                   liveness=_host(probe("/livez", 10256, 3, 10, 5, 15), "127.0.0.1"),
                   readiness=_host(probe("/healthz", 10256, 3, 10, 5), "127.0.0.1"),
                   security={"privileged": True},
                   mounts=[{"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"},
                           {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                           {"mountPath": "/lib/modules", "name": "lib-modules", "readOnly": True}])
    daemonset(ctx, NS, "kube-proxy", {
        "containers": [kp], "hostNetwork": True, "nodeSelector": {"kubernetes.io/os": "linux"},
        "priorityClassName": "system-node-critical", "serviceAccountName": "kube-proxy",
        "tolerations": [{"operator": "Exists"}],
        "volumes": [{"configMap": {"defaultMode": 420, "name": "kube-proxy"}, "name": "kube-proxy"},
                    _hostpath("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
                    {"hostPath": {"path": "/lib/modules", "type": ""}, "name": "lib-modules"}]},
        {"k8s-app": "kube-proxy"}, {"k8s-app": "kube-proxy"}, BORN, UPGRADED, ctx.nodes,
        generation=4, manager="kubeadm")

    # CoreDNS
    sa(ctx, NS, "coredns", BORN)
    configmap(ctx, NS, "coredns", {"Corefile": (
        ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n"
        "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n"
        "       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n"
        "    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n"
        "    cache 30\n    loop\n    reload\n    loadbalance\n}\n")}, BORN)
    dns = container("coredns", f"{REG}/coredns/coredns:v1.11.1", cpu=("100m", "500m"),
                    mem=("70Mi", "170Mi"), args=["-conf", "/etc/coredns/Corefile"],
                    liveness=probe("/health", 8080, 5, 10, 5, 60),
                    readiness=probe("/ready", 8181, 3, 10, 1),
                    security={"allowPrivilegeEscalation": False, "capabilities": {
                        "add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}, "readOnlyRootFilesystem": True},
                    mounts=[{"mountPath": "/etc/coredns", "name": "config-volume", "readOnly": True}])
    dns["ports"] = [{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                    {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                    {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}]
    dns_sel = {"k8s-app": "kube-dns"}
    deployment(ctx, NS, "coredns", 2, {
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"podAffinityTerm": {"labelSelector": {"matchExpressions": [
                {"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}]},
                "topologyKey": "kubernetes.io/hostname"}, "weight": 100}]}},
        "containers": [dns], "dnsPolicy": "Default", "nodeSelector": {"kubernetes.io/os": "linux"},
        "priorityClassName": "system-cluster-critical", "serviceAccountName": "coredns",
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                        {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}],
        "volumes": [{"configMap": {"defaultMode": 420, "items": [{"key": "Corefile", "path": "Corefile"}],
                                   "name": "coredns"}, "name": "config-volume"}]},
        dns_sel, dns_sel, BORN, UPGRADED + dt.timedelta(minutes=9), workers,
        old_tags=["v1.10.1", "v1.10.1"], manager="kubeadm",
        strategy={"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}, "type": "RollingUpdate"})
    service(ctx, NS, "kube-dns", dns_sel, [("dns", 53, 53, "UDP"), ("dns-tcp", 53, 53),
                                          ("metrics", 9153, 9153)], BORN, ip="10.96.0.10",
            labels={"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                    "kubernetes.io/name": "CoreDNS"},
            annotations={"prometheus.io/port": "9153", "prometheus.io/scrape": "true"})
    pdb(ctx, NS, "coredns", dns_sel, 2, day("2024-02-06 10:00:41"), labels=dns_sel)

    # metrics-server (Helm)
    born = day("2024-02-06 10:12:05")
    lab, ann = helm("metrics-server", NS, "metrics-server", "3.12.0", "0.7.0", "metrics-server")
    sel = {"app.kubernetes.io/instance": "metrics-server", "app.kubernetes.io/name": "metrics-server"}
    sa(ctx, NS, "metrics-server", born, lab, ann)
    ms = app("metrics-server", f"{REG}/metrics-server/metrics-server:v0.7.0", 10250, "/livez", "/readyz",
             port_name="https", scheme="HTTPS", cpu=("100m", "500m"), mem=("200Mi", "400Mi"),
             args=["--secure-port=10250", "--cert-dir=/tmp", "--kubelet-preferred-address-types=InternalIP",
                   "--kubelet-use-node-status-port", "--metric-resolution=15s"],
             security={**{"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                          "readOnlyRootFilesystem": True, "runAsNonRoot": True, "runAsUser": 1000}},
             mounts=[{"mountPath": "/tmp", "name": "tmp"}])
    deployment(ctx, NS, "metrics-server", 2, {
        "containers": [ms], "priorityClassName": "system-cluster-critical",
        "serviceAccountName": "metrics-server", "volumes": [{"emptyDir": {}, "name": "tmp"}]},
        lab, sel, born, day("2025-09-18 14:20:37"), workers, annotations=ann,
        old_tags=["v0.6.4", "v0.6.4", "v0.7.0"])
    service(ctx, NS, "metrics-server", sel, [("https", 443, "https")], born, labels=lab, annotations=ann)
    pdb(ctx, NS, "metrics-server", sel, 2, born, labels=lab, annotations=ann)
    from . import ebs
    ebs.build(ctx, workers)
