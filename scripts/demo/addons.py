"""cert-manager v1.13.3 (Helm), and the monitoring and logging stacks (monitoring.py,
observability.py)."""
from . import monitoring, observability
from .controllers import deployment
from .core import day, helm
from .nodes import namespace, sa
from .objects import pdb, service
from .pods import RESTRICTED, app

NS = "cert-manager"
VERSION = "v1.13.3"


def cert_manager(ctx):
    born = day("2024-02-07 12:55:09")
    updated = day("2025-01-14 15:22:48")
    namespace(ctx, NS, born, labels={"name": NS})
    base, ann = helm("cert-manager", NS, "cert-manager", VERSION, VERSION)
    parts = [
        # name, component, image, (port name, port), liveness, readiness, extra args
        ("cert-manager", "controller", "cert-manager-controller", ("http-metrics", 9402),
         ("/livez", 9403), ("/metrics", "http-metrics"),
         ["--v=2", "--cluster-resource-namespace=$(POD_NAMESPACE)",
          "--leader-election-namespace=kube-system",
          f"--acme-http01-solver-image=quay.io/jetstack/cert-manager-acmesolver:{VERSION}",
          "--max-concurrent-challenges=60"]),
        ("cert-manager-cainjector", "cainjector", "cert-manager-cainjector", ("http-healthz", 9403),
         ("/livez", "http-healthz"), ("/readyz", "http-healthz"),
         ["--v=2", "--leader-election-namespace=kube-system"]),
        ("cert-manager-webhook", "webhook", "cert-manager-webhook", ("https", 10250),
         ("/livez", 6080), ("/healthz", 6080),
         ["--v=2", "--secure-port=10250", "--dynamic-serving-ca-secret-namespace=$(POD_NAMESPACE)",
          "--dynamic-serving-ca-secret-name=cert-manager-webhook-ca",
          "--dynamic-serving-dns-names=cert-manager-webhook,cert-manager-webhook.$(POD_NAMESPACE),"
          "cert-manager-webhook.$(POD_NAMESPACE).svc"]),
    ]
    env = [{"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                "fieldPath": "metadata.namespace"}}}]
    for name, comp, image, (pname, port), (lpath, lport), (rpath, rport), args in parts:
        lab = dict(base, **{"app": comp if comp != "controller" else "cert-manager",
                            "app.kubernetes.io/component": comp, "app.kubernetes.io/name": comp
                            if comp != "controller" else "cert-manager"})
        sel = {"app.kubernetes.io/component": comp, "app.kubernetes.io/instance": "cert-manager",
               "app.kubernetes.io/name": lab["app.kubernetes.io/name"]}
        sa(ctx, NS, name, born, lab, ann)
        c = app(f"cert-manager-{comp}", f"quay.io/jetstack/{image}:{VERSION}", port, lpath, rpath,
                port_name=pname, live_port=lport, ready_port=rport, cpu=("50m", "500m"),
                mem=("96Mi", "384Mi"), args=args, env=env, security=RESTRICTED)
        if comp == "webhook":
            c["ports"].append({"containerPort": 6080, "name": "healthcheck", "protocol": "TCP"})
        elif comp == "controller":
            c["ports"].append({"containerPort": 9403, "name": "http-healthz", "protocol": "TCP"})
        deployment(ctx, NS, name, 2, {
            "containers": [c], "enableServiceLinks": False,
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "serviceAccountName": name},
            lab, sel, born, updated, ctx.nodes, annotations=ann,
            pod_annotations={"prometheus.io/path": "/metrics", "prometheus.io/port": "9402",
                             "prometheus.io/scrape": "true"} if comp == "controller" else None,
            old_tags=["v1.12.4", "v1.13.1"])
        pdb(ctx, NS, name, sel, 2, born, labels=lab, annotations=ann)
        if comp == "controller":
            service(ctx, NS, name, sel, [("tcp-prometheus-servicemonitor", 9402, 9402)], born,
                    labels=lab, annotations=ann)
        elif comp == "webhook":
            service(ctx, NS, name, sel, [("https", 443, "https")], born, labels=lab, annotations=ann)


def build(ctx):
    cert_manager(ctx)
    monitoring.build(ctx)
    observability.build(ctx)
