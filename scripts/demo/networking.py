"""Calico (installed by the Tigera operator) and the ingress-nginx controller."""
from .controllers import daemonset, deployment
from .core import day, helm, owner_ref
from .nodes import namespace, sa
from .objects import configmap, hpa, pdb, service
from .pods import app, container, probe

CALICO = "docker.io/calico"
CALICO_TAG = "v3.25.2"


def _host(p, host="localhost"):
    p["httpGet"]["host"] = host
    return p


def tigera(ctx):
    born = day("2024-02-05 10:02:17")
    namespace(ctx, "tigera-operator", born, labels={
        "name": "tigera-operator", "app.kubernetes.io/managed-by": "Helm",
        "pod-security.kubernetes.io/enforce": "privileged"},
        annotations={"meta.helm.sh/release-name": "calico", "meta.helm.sh/release-namespace": "tigera-operator"})
    lab, ann = helm("calico", "tigera-operator", "tigera-operator", "v3.25.2")
    sa(ctx, "tigera-operator", "tigera-operator", born, lab, ann)
    op = app("tigera-operator", "quay.io/tigera/operator:v1.29.6", 8081, "/healthz", "/readyz",
             port_name="probes", cpu=("100m", "500m"), mem=("128Mi", "512Mi"),
             command=["operator"],
             env=[{"name": "WATCH_NAMESPACE", "value": ""},
                  {"name": "OPERATOR_NAME", "value": "tigera-operator"},
                  {"name": "TIGERA_OPERATOR_INIT_IMAGE_VERSION", "value": "v1.29.6"}],
             mounts=[{"mountPath": "/var/lib/calico", "name": "var-lib-calico", "readOnly": True}])
    sel = {"name": "tigera-operator"}
    deployment(ctx, "tigera-operator", "tigera-operator", 2, {
        "containers": [op], "dnsPolicy": "ClusterFirstWithHostNet", "hostNetwork": True,
        "nodeSelector": {"kubernetes.io/os": "linux"}, "serviceAccountName": "tigera-operator",
        "tolerations": [{"effect": "NoExecute", "operator": "Exists"},
                        {"effect": "NoSchedule", "operator": "Exists"}],
        "volumes": [{"hostPath": {"path": "/var/lib/calico", "type": ""}, "name": "var-lib-calico"}]},
        dict(lab, **{"k8s-app": "tigera-operator", "name": "tigera-operator"}), sel, born,
        day("2025-03-11 09:40:22"), ctx.nodes, annotations=ann, old_tags=["v1.28.5", "v1.29.3"])
    pdb(ctx, "tigera-operator", "tigera-operator", sel, 2, born, labels=lab, annotations=ann)


def calico(ctx):
    born = day("2024-02-05 10:04:51")
    updated = day("2025-03-11 09:44:03")
    ns = "calico-system"
    namespace(ctx, ns, born, labels={"name": ns, "pod-security.kubernetes.io/enforce": "privileged",
                                     "pod-security.kubernetes.io/enforce-version": "latest"})
    installation = {"apiVersion": "operator.tigera.io/v1", "kind": "Installation",
                    "metadata": {"name": "default", "uid": ctx.uid("Installation//default")}}
    inst = owner_ref(installation)
    for name in ("calico-node", "calico-kube-controllers", "calico-typha", "calico-cni-plugin"):
        s = sa(ctx, ns, name, born)
        s["metadata"]["ownerReferences"] = [inst]
    cm = configmap(ctx, ns, "tigera-ca-bundle", {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIC..."
                                                "tigera-operator-signer...\n-----END CERTIFICATE-----\n"},
                   born)
    cm["metadata"]["ownerReferences"] = [inst]

    def own(o):
        o["metadata"]["ownerReferences"] = [inst]
        return o

    tpl_ann = {"hash.operator.tigera.io/cni-config": ctx.sha("cni")[:40],
               "hash.operator.tigera.io/tigera-ca-private": ctx.sha("ca")[:40]}
    res = {"cpu": ("250m", "1"), "mem": ("256Mi", "1Gi")}
    node_c = container(
        "calico-node", f"{CALICO}/node:{CALICO_TAG}", cpu=res["cpu"], mem=res["mem"],
        env=[{"name": "DATASTORE_TYPE", "value": "kubernetes"},
             {"name": "WAIT_FOR_DATASTORE", "value": "true"},
             {"name": "CALICO_NETWORKING_BACKEND", "value": "bird"},
             {"name": "IP", "value": "autodetect"}, {"name": "CALICO_IPV4POOL_CIDR", "value": "10.244.0.0/16"},
             {"name": "CALICO_IPV4POOL_IPIP", "value": "CrossSubnet"},
             {"name": "FELIX_TYPHAK8SSERVICENAME", "value": "calico-typha"},
             {"name": "NODENAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}],
        liveness=_host(probe("/liveness", 9099, 3, 10, 10)),
        readiness=probe(command=["/bin/calico-node", "-bird-ready", "-felix-ready"], failure=3, period=10,
                        timeout=10),
        security={"privileged": True},
        mounts=[{"mountPath": "/lib/modules", "name": "lib-modules", "readOnly": True},
                {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                {"mountPath": "/var/run/calico", "name": "var-run-calico"},
                {"mountPath": "/var/lib/calico", "name": "var-lib-calico"}])
    inits = [container("flexvol-driver", f"{CALICO}/pod2daemon-flexvol:{CALICO_TAG}", cpu=("10m", "100m"),
                       mem=("16Mi", "64Mi"), security={"privileged": True},
                       mounts=[{"mountPath": "/host/driver", "name": "flexvol-driver-host"}]),
             container("install-cni", f"{CALICO}/cni:{CALICO_TAG}", cpu=("10m", "200m"), mem=("32Mi", "128Mi"),
                       command=["/opt/cni/bin/install"], security={"privileged": True},
                       mounts=[{"mountPath": "/host/opt/cni/bin", "name": "cni-bin-dir"},
                               {"mountPath": "/host/etc/cni/net.d", "name": "cni-net-dir"}])]

    def hp(name, path, kind=""):
        return {"hostPath": {"path": path, "type": kind}, "name": name}

    sel = {"k8s-app": "calico-node"}
    own(daemonset(ctx, ns, "calico-node", {
        "containers": [node_c], "initContainers": inits, "hostNetwork": True,
        "nodeSelector": {"kubernetes.io/os": "linux"}, "priorityClassName": "system-node-critical",
        "serviceAccountName": "calico-node", "terminationGracePeriodSeconds": 5,
        "tolerations": [{"effect": "NoSchedule", "operator": "Exists"},
                        {"effect": "NoExecute", "operator": "Exists"},
                        {"key": "CriticalAddonsOnly", "operator": "Exists"}],
        "volumes": [hp("lib-modules", "/lib/modules"), hp("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
                    hp("var-run-calico", "/var/run/calico"), hp("var-lib-calico", "/var/lib/calico"),
                    hp("cni-bin-dir", "/opt/cni/bin"), hp("cni-net-dir", "/etc/cni/net.d"),
                    hp("flexvol-driver-host", "/usr/libexec/kubernetes/kubelet-plugins/volume/exec/nodeagent~uds",
                       "DirectoryOrCreate")]},
        dict(sel, **{"app.kubernetes.io/name": "calico-node"}), sel, born, updated, ctx.nodes,
        pod_annotations=tpl_ann, generation=5, manager="operator"))

    sel = {"k8s-app": "calico-typha"}
    typha = container("calico-typha", f"{CALICO}/typha:{CALICO_TAG}", ports=[("calico-typha", 5473)],
                      cpu=("100m", "500m"), mem=("128Mi", "256Mi"),
                      env=[{"name": "TYPHA_LOGSEVERITYSCREEN", "value": "info"},
                           {"name": "TYPHA_HEALTHENABLED", "value": "true"},
                           {"name": "TYPHA_HEALTHPORT", "value": "9098"}],
                      liveness=_host(probe("/liveness", 9098, 3, 10, 10)),
                      readiness=_host(probe("/readiness", 9098, 3, 10, 10)),
                      security={"allowPrivilegeEscalation": False, "runAsNonRoot": True})
    own(deployment(ctx, ns, "calico-typha", 3, {
        "containers": [typha], "hostNetwork": True, "nodeSelector": {"kubernetes.io/os": "linux"},
        "priorityClassName": "system-cluster-critical", "serviceAccountName": "calico-typha",
        "terminationGracePeriodSeconds": 300,
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}]},
        dict(sel, **{"app.kubernetes.io/name": "calico-typha"}), sel, born, updated, ctx.nodes,
        pod_annotations=tpl_ann, old_tags=["v3.24.5", "v3.25.0"], manager="operator",
        strategy={"rollingUpdate": {"maxSurge": "100%", "maxUnavailable": 1}, "type": "RollingUpdate"}))
    own(service(ctx, ns, "calico-typha", sel, [("calico-typha", 5473, "calico-typha")], born,
                labels=sel))
    own(pdb(ctx, ns, "calico-typha", sel, 3, born, labels=sel))

    sel = {"k8s-app": "calico-kube-controllers"}
    kc = container("calico-kube-controllers", f"{CALICO}/kube-controllers:{CALICO_TAG}",
                   cpu=("50m", "500m"), mem=("64Mi", "256Mi"),
                   env=[{"name": "DATASTORE_TYPE", "value": "kubernetes"},
                        {"name": "ENABLED_CONTROLLERS", "value": "node"}],
                   liveness=probe(command=["/usr/bin/check-status", "-l"], failure=6, period=10, timeout=10,
                                  initial=10),
                   readiness=probe(command=["/usr/bin/check-status", "-r"], failure=3, period=10, timeout=10),
                   security={"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 999})
    own(deployment(ctx, ns, "calico-kube-controllers", 2, {
        "containers": [kc], "nodeSelector": {"kubernetes.io/os": "linux"},
        "priorityClassName": "system-cluster-critical", "serviceAccountName": "calico-kube-controllers",
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                        {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]},
        dict(sel, **{"app.kubernetes.io/name": "calico-kube-controllers"}), sel, born, updated, ctx.nodes,
        old_tags=["v3.24.5", "v3.25.0"], manager="operator",
        strategy={"type": "Recreate"}))
    own(service(ctx, ns, "calico-kube-controllers-metrics", sel, [("metrics-port", 9094, 9094)], born,
                labels=sel, annotations={"prometheus.io/port": "9094", "prometheus.io/scrape": "true"}))
    own(pdb(ctx, ns, "calico-kube-controllers", sel, 2, born, labels=sel))


def ingress_nginx(ctx):
    ns = "ingress-nginx"
    born = day("2024-02-07 13:20:44")
    updated = day("2025-10-02 10:11:36")
    lab, ann = helm("ingress-nginx", ns, "ingress-nginx", "4.9.1", "1.9.6", "ingress-nginx")
    lab["app.kubernetes.io/part-of"] = "ingress-nginx"
    clab = dict(lab, **{"app.kubernetes.io/component": "controller"})
    namespace(ctx, ns, born, labels={"name": ns})
    sa(ctx, ns, "ingress-nginx", born, clab, ann)
    sa(ctx, ns, "ingress-nginx-admission", born, dict(lab, **{"app.kubernetes.io/component": "admission-webhook"}),
       ann)
    configmap(ctx, ns, "ingress-nginx-controller", {
        "allow-snippet-annotations": "false", "enable-real-ip": "true", "proxy-body-size": "16m",
        "use-forwarded-headers": "true", "use-proxy-protocol": "false"}, born, clab, ann)
    sel = {"app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx",
           "app.kubernetes.io/name": "ingress-nginx"}
    c = app("controller", "registry.k8s.io/ingress-nginx/controller:v1.9.6", 80, "/healthz", "/healthz",
            live_port=10254, ready_port="http", cpu=("200m", "1"), mem=("256Mi", "512Mi"),
            extra_ports=[("https", 443), ("metrics", 10254), ("webhook", 8443)],
            args=["/nginx-ingress-controller", "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller",
                  "--election-id=ingress-nginx-leader", "--controller-class=k8s.io/ingress-nginx",
                  "--ingress-class=nginx", "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
                  "--validating-webhook=:8443", "--validating-webhook-certificate=/usr/local/certificates/cert",
                  "--validating-webhook-key=/usr/local/certificates/key"],
            env=[{"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                 {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                      "fieldPath": "metadata.namespace"}}}],
            security={"allowPrivilegeEscalation": True, "capabilities": {"add": ["NET_BIND_SERVICE"],
                                                                         "drop": ["ALL"]},
                      "runAsNonRoot": True, "runAsUser": 101},
            mounts=[{"mountPath": "/usr/local/certificates/", "name": "webhook-cert", "readOnly": True}])
    deployment(ctx, ns, "ingress-nginx-controller", 3, {
        "containers": [c], "nodeSelector": {"kubernetes.io/os": "linux"},
        "serviceAccountName": "ingress-nginx", "terminationGracePeriodSeconds": 300,
        "topologySpreadConstraints": [{"labelSelector": {"matchLabels": sel}, "maxSkew": 1,
                                       "topologyKey": "topology.kubernetes.io/zone",
                                       "whenUnsatisfiable": "ScheduleAnyway"}],
        "volumes": [{"name": "webhook-cert", "secret": {"defaultMode": 420,
                                                        "secretName": "ingress-nginx-admission"}}]},
        clab, sel, born, updated, ctx.nodes, annotations=ann,
        old_tags=["v1.9.5", "v1.9.5", "v1.9.6"], manager="helm")
    service(ctx, ns, "ingress-nginx-controller", sel, [("http", 80, "http"), ("https", 443, "https")], born,
            labels=clab, kind="LoadBalancer", policy="Local",
            lb_hostname="a3f1c9e2d4b5467a8b9c0d1e2f3a4b5c-1234567890.eu-west-1.elb.amazonaws.com",
            annotations=dict(ann, **{"service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                                     "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true"}))
    service(ctx, ns, "ingress-nginx-controller-admission", sel, [("https-webhook", 443, "webhook")], born,
            labels=clab, annotations=ann)
    pdb(ctx, ns, "ingress-nginx-controller", sel, 3, born, labels=clab, annotations=ann)
    hpa(ctx, ns, "ingress-nginx-controller", "ingress-nginx-controller", 3, 3, 8, born, labels=clab,
        annotations=ann, cpu=75, memory=80)
    ctx.add(ctx.obj("networking.k8s.io/v1", "IngressClass", "nginx", created=born, labels=clab,
                    annotations=dict(ann, **{"ingressclass.kubernetes.io/is-default-class": "true"}),
                    generation=1, spec={"controller": "k8s.io/ingress-nginx"}))


def build(ctx):
    tigera(ctx)
    calico(ctx)
    ingress_nginx(ctx)
