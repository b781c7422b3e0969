"""monitoring: kube-prometheus-stack (Helm) with Prometheus and Alertmanager run by the operator."""
import json

from .controllers import daemonset, deployment, statefulset
from .core import day, helm, owner_ref
from .nodes import namespace, node, sa
from .objects import configmap, pdb, service
from .pods import RESTRICTED, app, container, probe
from .storage import sts_claims

NS = "monitoring"
REL = "kube-prometheus-stack"
CHART = ("kube-prometheus-stack", "56.6.2")
OP_TAG = "v0.71.2"
DASHBOARDS = [
    "alertmanager-overview", "apiserver", "cluster-total", "controller-manager", "etcd",
    "grafana-overview", "k8s-coredns", "k8s-resources-cluster", "k8s-resources-multicluster",
    "k8s-resources-namespace", "k8s-resources-node", "k8s-resources-pod", "k8s-resources-workload",
    "k8s-resources-workloads-namespace", "kubelet", "namespace-by-pod", "namespace-by-workload",
    "node-cluster-rsrc-use", "node-rsrc-use", "nodes", "persistentvolumesusage", "pod-total",
    "prometheus", "proxy", "scheduler", "workload-total"]


def _labels(name=None, component=None, app_version=None, chart=CHART):
    lab, ann = helm(REL, NS, chart[0], chart[1], app_version, name)
    lab["release"] = REL
    if component:
        lab["app.kubernetes.io/component"] = component
    return lab, ann


def _operated_sts(ctx, kind, name, image, port, path_live, path_ready, replicas_nodes, claim, born,
                  updated, extra_args):
    """A StatefulSet the Prometheus operator made for a Prometheus or Alertmanager object."""
    short = kind.lower()
    cr = {"apiVersion": "monitoring.coreos.com/v1", "kind": kind,
          "metadata": {"name": f"{REL}-{short}", "uid": ctx.uid(f"{kind}/{NS}/{REL}-{short}")}}
    sel = {short: f"{REL}-{short}", "app.kubernetes.io/instance": f"{REL}-{short}",
           "app.kubernetes.io/managed-by": f"{short}-operator", "app.kubernetes.io/name": short}
    lab = dict(sel, **{"operator.prometheus.io/name": f"{REL}-{short}"})
    main = container(short, image, ports=[("http-web", port)], cpu=("200m", "2"),
                     mem=("1Gi", "4Gi") if kind == "Prometheus" else ("128Mi", "256Mi"),
                     args=extra_args,
                     liveness=probe(path_live, "http-web", 6, 5, 3),
                     readiness=probe(path_ready, "http-web", 3, 5, 3),
                     startup=probe(path_ready, "http-web", 60, 15, 3) if kind == "Prometheus" else None,
                     mounts=[{"mountPath": "/prometheus" if kind == "Prometheus" else "/alertmanager",
                              "name": claim[0], "subPath": short + "-db"}],
                     security=RESTRICTED)
    reloader = app("config-reloader", f"quay.io/prometheus-operator/prometheus-config-reloader:{OP_TAG}",
                   8080, "/healthz", "/metrics", port_name="reloader-web", cpu=("10m", "100m"),
                   mem=("25Mi", "50Mi"), security=RESTRICTED,
                   args=["--listen-address=:8080", "--reload-url=http://127.0.0.1:%d/-/reload" % port])
    name_full = f"{short}-{REL}-{short}"
    sts = statefulset(ctx, NS, name_full, {
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": sel}, "topologyKey": "kubernetes.io/hostname"}]}},
        "containers": [main, reloader], "serviceAccountName": f"{REL}-{short}",
        "securityContext": {"fsGroup": 2000, "runAsGroup": 2000, "runAsNonRoot": True, "runAsUser": 1000,
                            "seccompProfile": {"type": "RuntimeDefault"}}, "terminationGracePeriodSeconds": 600},
        lab, sel, born, updated, replicas_nodes, f"{short}-operated", [claim],
        annotations={"prometheus-operator-input-hash": str(ctx.rng.randint(10 ** 18, 10 ** 19))},
        pod_annotations={"kubectl.kubernetes.io/default-container": short}, manager="PrometheusOperator")
    sts["metadata"]["ownerReferences"] = [owner_ref(cr)]
    if kind == "Prometheus":
        rules = configmap(ctx, NS, f"prometheus-{REL}-prometheus-rulefiles-0", {
            f"monitoring-{REL}-{g}-{ctx.uid(g)}.yaml": f"groups:\n- name: {g}\n  rules: []\n"
            for g in ("alertmanager.rules", "etcd", "general.rules", "k8s.rules", "kube-apiserver-slos",
                      "kubernetes-apps", "kubernetes-resources", "kubernetes-storage", "node-exporter")},
            born, labels={"managed-by": "prometheus-operator", "prometheus-name": f"{REL}-prometheus"})
        rules["metadata"]["ownerReferences"] = [owner_ref(cr)]
    sts_claims(ctx, sts, [claim], replicas_nodes, sel)
    svc = service(ctx, NS, f"{short}-operated", {"app.kubernetes.io/name": short},
                  [("http-web", port, "http-web")], born, headless=True,
                  labels={"managed-by": "prometheus-operator", "operated-" + short: "true"})
    svc["metadata"]["ownerReferences"] = [owner_ref(cr, controller=False)]
    lab2, ann2 = _labels(f"{REL}-{short}", app_version=OP_TAG[1:])
    lab2["self-monitor"] = "true"
    service(ctx, NS, f"{REL}-{short}", sel, [("http-web", port, port), ("reloader-web", 8080, "reloader-web")],
            born, labels=lab2, annotations=ann2)
    sa(ctx, NS, f"{REL}-{short}", born, lab2, ann2)
    pdb(ctx, NS, f"{REL}-{short}", sel, len(replicas_nodes), born, labels=lab2, annotations=ann2)


def build(ctx):
    born = day("2024-02-08 09:03:27")
    updated = day("2025-10-06 13:47:52")
    namespace(ctx, NS, born, labels={"name": NS})
    nodes = ctx.nodes

    # the operator
    lab, ann = _labels(f"{REL}-operator", "prometheus-operator", OP_TAG[1:])
    sel = {"app": f"{REL}-operator", "release": REL}
    sa(ctx, NS, f"{REL}-operator", born, lab, ann)
    op = app(REL, f"quay.io/prometheus-operator/prometheus-operator:{OP_TAG}", 10250, "/healthz",
             "/metrics", port_name="https", scheme="HTTPS", cpu=("100m", "500m"), mem=("128Mi", "256Mi"),
             args=["--kubelet-service=kube-system/kube-prometheus-stack-kubelet", "--localhost=127.0.0.1",
                   f"--prometheus-config-reloader=quay.io/prometheus-operator/prometheus-config-reloader:{OP_TAG}",
                   "--web.enable-tls=true", "--web.listen-address=:10250"], security=RESTRICTED)
    deployment(ctx, NS, f"{REL}-operator", 2, {"containers": [op], "serviceAccountName": f"{REL}-operator",
                                               "securityContext": {"fsGroup": 65534, "runAsNonRoot": True}},
               dict(lab, **sel), sel, born, updated, nodes, annotations=ann, old_tags=["v0.68.0", "v0.70.0"])
    service(ctx, NS, f"{REL}-operator", sel, [("https", 443, "https")], born, labels=lab, annotations=ann)
    pdb(ctx, NS, f"{REL}-operator", sel, 2, born, labels=lab, annotations=ann)

    # kube-state-metrics
    lab, ann = _labels("kube-state-metrics", "metrics", "2.10.1", ("kube-state-metrics", "5.16.0"))
    sel = {"app.kubernetes.io/instance": REL, "app.kubernetes.io/name": "kube-state-metrics"}
    sa(ctx, NS, f"{REL}-kube-state-metrics", born, lab, ann)
    ksm = app("kube-state-metrics", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.10.1", 8080,
              "/healthz", "/", ready_port=8081, cpu=("50m", "500m"), mem=("128Mi", "512Mi"),
              extra_ports=[("telemetry", 8081)], security=RESTRICTED,
              args=["--port=8080", "--telemetry-port=8081", "--resources=certificatesigningrequests,"
                    "configmaps,cronjobs,daemonsets,deployments,horizontalpodautoscalers,ingresses,jobs,"
                    "namespaces,nodes,persistentvolumeclaims,persistentvolumes,poddisruptionbudgets,pods,"
                    "replicasets,services,statefulsets,storageclasses"])
    deployment(ctx, NS, f"{REL}-kube-state-metrics", 2, {
        "containers": [ksm], "serviceAccountName": f"{REL}-kube-state-metrics",
        "securityContext": {"fsGroup": 65534, "runAsGroup": 65534, "runAsNonRoot": True, "runAsUser": 65534}},
        lab, sel, born, updated, nodes, annotations=ann, old_tags=["v2.9.2", "v2.10.0", "v2.10.1"])
    service(ctx, NS, f"{REL}-kube-state-metrics", sel, [("http", 8080, "http")], born, labels=lab,
            annotations=dict(ann, **{"prometheus.io/scrape": "true"}))
    pdb(ctx, NS, f"{REL}-kube-state-metrics", sel, 2, born, labels=lab, annotations=ann)

    # Grafana, with the dashboards the chart ships as ConfigMaps
    lab, ann = _labels("grafana", None, "10.3.3", ("grafana", "7.3.0"))
    sel = {"app.kubernetes.io/instance": REL, "app.kubernetes.io/name": "grafana"}
    sa(ctx, NS, f"{REL}-grafana", born, lab, ann)
    configmap(ctx, NS, f"{REL}-grafana", {"grafana.ini": (
        "[analytics]\ncheck_for_updates = true\n[grafana_net]\nurl = https://grafana.net\n[log]\n"
        "mode = console\n[paths]\ndata = /var/lib/grafana/\nlogs = /var/log/grafana\n"
        "plugins = /var/lib/grafana/plugins\nprovisioning = /etc/grafana/provisioning\n[server]\n"
        "domain = grafana.demo.platform.example.com\n")}, born, lab, ann)
    dlab, dann = _labels(f"{REL}-grafana")
    dlab["grafana_dashboard"] = "1"
    configmap(ctx, NS, f"{REL}-grafana-datasource", {"datasource.yaml": (
        "apiVersion: 1\ndatasources:\n- name: Prometheus\n  type: prometheus\n  uid: prometheus\n"
        f"  url: http://{REL}-prometheus.{NS}:9090/\n  access: proxy\n  isDefault: true\n")},
        born, dict(dlab, grafana_datasource="1"), dann)
    for d in DASHBOARDS:
        body = json.dumps({"editable": True, "panels": [], "schemaVersion": 39,
                           "tags": ["kubernetes-mixin"], "title": d.replace("-", " ").title(),
                           "uid": ctx.sha(d)[:32]}, separators=(",", ":"))
        configmap(ctx, NS, f"{REL}-{d}", {f"{d}.json": body}, born, dlab, dann)
    g = app("grafana", "docker.io/grafana/grafana:10.3.3", 3000, "/api/health", "/robots.txt",
            port_name="grafana", cpu=("100m", "1"), mem=("256Mi", "512Mi"), initial=60,
            mounts=[{"mountPath": "/etc/grafana/grafana.ini", "name": "config", "subPath": "grafana.ini"},
                    {"mountPath": "/var/lib/grafana", "name": "storage"}],
            security={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                      "seccompProfile": {"type": "RuntimeDefault"}})
    deployment(ctx, NS, f"{REL}-grafana", 2, {
        "containers": [g], "serviceAccountName": f"{REL}-grafana",
        "securityContext": {"fsGroup": 472, "runAsGroup": 472, "runAsNonRoot": True, "runAsUser": 472},
        "volumes": [{"configMap": {"defaultMode": 420, "name": f"{REL}-grafana"}, "name": "config"},
                    {"emptyDir": {}, "name": "storage"}]},
        lab, sel, born, updated, nodes, annotations=ann,
        old_tags=["10.1.5", "10.2.2", "10.2.3", "10.3.1"])
    service(ctx, NS, f"{REL}-grafana", sel, [("http-web", 80, 3000)], born, labels=lab, annotations=ann)
    pdb(ctx, NS, f"{REL}-grafana", sel, 2, born, labels=lab, annotations=ann)

    # node-exporter on every node
    lab, ann = _labels("prometheus-node-exporter", "metrics", "1.7.0", ("prometheus-node-exporter", "4.26.1"))
    sel = {"app.kubernetes.io/instance": REL, "app.kubernetes.io/name": "prometheus-node-exporter"}
    sa(ctx, NS, f"{REL}-prometheus-node-exporter", born, lab, ann)
    ne = app("node-exporter", "quay.io/prometheus/node-exporter:v1.7.0", 9100, "/", "/metrics",
             port_name="http-metrics", cpu=("50m", "250m"), mem=("32Mi", "64Mi"), initial=0,
             args=["--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--path.rootfs=/host/root",
                   "--web.listen-address=[$(HOST_IP)]:9100"],
             env=[{"name": "HOST_IP", "value": "0.0.0.0"}],
             mounts=[{"mountPath": "/host/proc", "name": "proc", "readOnly": True},
                     {"mountPath": "/host/sys", "name": "sys", "readOnly": True},
                     {"mountPath": "/host/root", "mountPropagation": "HostToContainer", "name": "root",
                      "readOnly": True}],
             security={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True})
    daemonset(ctx, NS, f"{REL}-prometheus-node-exporter", {
        "automountServiceAccountToken": False, "containers": [ne], "hostNetwork": True, "hostPID": True,
        "nodeSelector": {"kubernetes.io/os": "linux"}, "serviceAccountName": f"{REL}-prometheus-node-exporter",
        "securityContext": {"fsGroup": 65534, "runAsGroup": 65534, "runAsNonRoot": True, "runAsUser": 65534},
        "tolerations": [{"effect": "NoSchedule", "operator": "Exists"}],
        "volumes": [{"hostPath": {"path": p, "type": ""}, "name": n}
                    for n, p in (("proc", "/proc"), ("sys", "/sys"), ("root", "/"))]},
        lab, sel, born, updated, nodes, annotations=ann, generation=6)
    service(ctx, NS, f"{REL}-prometheus-node-exporter", sel, [("http-metrics", 9100, 9100)], born,
            labels=lab, annotations=dict(ann, **{"prometheus.io/scrape": "true"}))

    # Prometheus and Alertmanager
    _operated_sts(ctx, "Prometheus", "prometheus", "quay.io/prometheus/prometheus:v2.49.1", 9090,
                  "/-/healthy", "/-/ready", [node(ctx, "worker-a1"), node(ctx, "worker-b1")],
                  ("prometheus-kube-prometheus-stack-prometheus-db", "100Gi", "gp3"), born, updated,
                  ["--web.console.templates=/etc/prometheus/consoles", "--storage.tsdb.retention.time=15d",
                   "--web.enable-lifecycle", "--web.route-prefix=/"])
    _operated_sts(ctx, "Alertmanager", "alertmanager", "quay.io/prometheus/alertmanager:v0.26.0", 9093,
                  "/-/healthy", "/-/ready", [node(ctx, "worker-a2"), node(ctx, "worker-b3")],
                  # The chart values were copied from the team's older cluster and name the
                  # in-tree class; volumeClaimTemplates cannot be changed, so it stayed.
                  ("alertmanager-kube-prometheus-stack-alertmanager-db", "10Gi", "gp2-legacy"), born, updated,
                  ["--config.file=/etc/alertmanager/config_out/alertmanager.env.yaml",
                   "--storage.path=/alertmanager", "--data.retention=120h", "--cluster.peer-timeout=15s"])
