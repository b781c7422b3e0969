"""shop: the storefront's services, each its own Helm release, plus a few objects that were
applied with kubectl from old manifests (planted problems 1, 2 and 5), and the wiring between
the services (planted problems 29 to 32)."""
import datetime as dt

from .controllers import managed
from .core import applied, day, last_applied
from .nodes import namespace
from .objects import configmap, cronjob, ingress
from .pods import RESTRICTED, app, container, probe

NS = "shop"
REGISTRY = "registry.example.com/shop"
CHART = ("shop-service", "2.4.1")


class Kubectl:
    """Applied by hand with `kubectl apply` from manifests written for `api` (an older
    apiVersion than the one the API server stores now)."""
    manager = "kubectl-client-side-apply"

    def __init__(self, api):
        self.api = api

    def meta(self, kind, ns, name, group=""):
        return {"app.kubernetes.io/part-of": "shop"}, {}

    def finish(self, obj):
        return applied(obj, api=self.api)


# name, replicas, tag, earlier rollouts, hpa (min, max), config
SERVICES = [
    ("frontend", 5, "7.3.5", 10, (3, 8),
     {"app.yaml": "apiBase: /api\nsessionCookie: shop_sid\ncdn: https://cdn.shop.example.com\n"}),
    ("user-auth", 3, "2.1.0", 10, (3, 6),
     {"app.yaml": "tokenTTL: 15m\nrefreshTTL: 720h\nissuer: https://shop.example.com/auth\n"}),
    ("profile", 2, "1.9.4", 7, (2, 5),
     {"app.yaml": "avatarBucket: shop-avatars\nmaxAvatarKB: 512\n"}),
    ("catalog", 4, "2.15.0", 9, (3, 6),
     {"app.yaml": "searchUrl: http://search.shop.svc:80\ncacheTTL: 5m\n"}),
    ("cart", 2, "1.22.4", 8, (2, 5),
     {"app.yaml": "redis: redis.data.svc:6379\ncartTTL: 168h\n"}),
    ("order", 4, "3.14.2", 10, (4, 10),
     {"app.yaml": "database: postgres.data.svc:5432\nmaxOpenConns: 20\nconfirmTimeout: 30s\n"}),
    ("payment", 3, "5.1.0", 8, (3, 6),
     {"app.yaml": "provider: stripe\nwebhookPath: /webhooks/psp\ncaptureDelay: 0s\n"}),
    ("checkout", 2, "1.7.9", 7, (2, 5),
     {"app.yaml": "orderUrl: http://order-svc.shop.svc:80\npaymentUrl: grpc://payment-gw.shop.svc:9090\n"}),
    ("search", 2, "0.21.0", 6, None,
     {"app.yaml": "index: products\nreplicaShards: 1\n"}),
    ("recommendation", 2, "0.6.2", 6, (2, 4),
     {"app.yaml": "model: s3://shop-ml-models/recs/2026-11-01/\nmaxResults: 20\n"}),
    ("notification", 2, "0.9.3", 5, None,
     {"app.yaml": "smtp: smtp.example.com:587\nfrom: no-reply@shop.example.com\n"}),
]
BORN = day("2024-04-22 08:30:00")

# Services named for what their callers address, not after their Deployment (issue 14).
SERVICE_NAMES = {"profile": "profile-svc", "order": "order-svc", "payment": "payment-gw"}


def svc(name):
    """The Service in front of Deployment `name`."""
    return SERVICE_NAMES.get(name, name)


# The wiring between the services, besides the ConfigMaps above: environment variables of each
# container, annotations on each Deployment (mcp-diag.io/service declares what a service
# provides and requires), and the ports of each Service. Planted problems 29 to 32 are here.
ENV = {
    "frontend": [(f"{n.upper().replace('-', '_')}_URL", f"http://{n}.shop.svc:80")
                 for n in ("user-auth", "catalog", "cart", "checkout")],
    # 29: user-auth 2.1.0 requires profile-svc's API v2; profile 1.9.4 provides v1 only.
    "user-auth": [("PROFILE_SVC_HOST", "profile-svc.shop.svc.cluster.local"), ("PROFILE_SVC_PORT", "80")],
    # 30: order calls payment-gw's gRPC port over plain HTTP.
    "order": [("PAYMENT_URL", "http://payment-gw.shop.svc:9090")],
    # 31: the feature store was never deployed to this cluster.
    "recommendation": [("FEATURE_STORE_URL", "http://feature-store.data.svc:8080")],
}
ANNOTATIONS = {
    "user-auth": {"mcp-diag.io/service": '{requires: {profile-svc: {api: ">=v2"}}}'},
    "profile": {"mcp-diag.io/service": "{provides: {api: [v1]}}"},
}
EXTRA_PORTS = {"payment": [("grpc", 9090)]}
SERVICE_PORTS = {"payment": [("http", 80, "http"), ("grpc", 9090, "grpc", "TCP", "grpc")]}


def _container(name, tag):
    if name == "profile":
        # Planted problem 5: the liveness probe leaves failureThreshold out.
        return container(name, f"{REGISTRY}/{name}:{tag}", ports=[("http", 8080)],
                         cpu=("100m", "500m"), mem=("192Mi", "384Mi"), security=RESTRICTED,
                         liveness={"httpGet": {"path": "/livez", "port": "http", "scheme": "HTTP"},
                                   "initialDelaySeconds": 15, "periodSeconds": 10, "timeoutSeconds": 2},
                         readiness=probe("/readyz", "http", 3, 5, 2))
    cpu = {"order": ("250m", "1"), "payment": ("250m", "1"), "frontend": ("200m", "1")}
    env = [{"name": k, "value": v} for k, v in ENV.get(name, [])]
    return app(name, f"{REGISTRY}/{name}:{tag}", 8080, "/livez", "/readyz",
               cpu=cpu.get(name, ("100m", "500m")), mem=("256Mi", "512Mi"), security=RESTRICTED,
               extra_ports=EXTRA_PORTS.get(name, ()),
               env=env + [{"name": "OTEL_EXPORTER_OTLP_ENDPOINT",
                           "value": "http://otel-collector.monitoring.svc:4317"}])


def build(ctx):
    from .apps import Helm, microservice, older
    namespace(ctx, NS, BORN, labels={"name": NS, "pod-security.kubernetes.io/enforce": "restricted"})
    for i, (name, replicas, tag, old, hpa_range, config) in enumerate(SERVICES):
        created = BORN + dt.timedelta(days=i, minutes=7 * i)
        updated = day("2026-10-27 10:00:00") + dt.timedelta(days=i % 7, hours=i, minutes=13 * i)
        track = Helm(name, NS, CHART[0], CHART[1], tag)
        kw = {}
        if name == "user-auth":
            # Someone raised the memory limit with `kubectl edit` after the last Helm upgrade.
            kw["applied_at"] = updated
            edited = updated + dt.timedelta(days=6, hours=3, minutes=33)
            kw["extra_managed"] = [managed("kubectl-edit", "Update", edited, "apps/v1", {"f:spec": {
                "f:template": {"f:spec": {"f:containers": {'k:{"name":"user-auth"}': {
                    "f:resources": {"f:limits": {"f:memory": {}}}}}}}}})]
            updated = edited
        if name == "order":
            kw["hpa_track"] = Kubectl("autoscaling/v2beta2")      # planted problem 1
        if name == "payment":
            kw["pdb_track"] = Kubectl("policy/v1beta1")           # planted problem 1
            kw["pdb_min"] = 3                                     # planted problem 2
        c = _container(name, tag)
        tags = older(tag, old)
        if name == "user-auth":
            c["resources"]["limits"]["memory"] = "768Mi"
            tags = tags[1:] + [tag]  # the edit rolled the pods out again with the same image
        microservice(ctx, NS, name, replicas, c, created, updated, track, old_tags=tags,
                     hpa_range=hpa_range, config=config, service_name=svc(name),
                     service_ports=SERVICE_PORTS.get(name), annotations=ANNOTATIONS.get(name),
                     **kw)

    # ConfigMaps made by hand (`kubectl create configmap`): no Helm, no Argo CD, no last-applied.
    configmap(ctx, NS, "feature-flags", {"checkout.oneClick": "true", "search.semantic": "false",
                                         "profile.avatars": "true"}, day("2025-05-06 16:02:44"))
    configmap(ctx, NS, "maintenance-banner", {"message": "Scheduled maintenance on Sunday 02:00-04:00 UTC",
                                              "enabled": "false"}, day("2025-11-28 09:12:31"))
    configmap(ctx, NS, "payment-provider-allowlist", {"cidrs": "3.18.12.63/32\n3.130.192.231/32\n"
                                                      "13.235.14.237/32\n"}, day("2026-02-17 11:40:05"))

    # Planted problem 1: the Ingress was last applied as networking.k8s.io/v1beta1.
    paths = [("/", "frontend", 80), ("/api/auth", "user-auth", 80), ("/api/profile", svc("profile"), 80),
             ("/api/catalog", "catalog", 80), ("/api/cart", "cart", 80), ("/api/orders", svc("order"), 80),
             ("/api/payments", svc("payment"), 80), ("/api/checkout", "checkout", 80)]
    ann = {"cert-manager.io/cluster-issuer": "letsencrypt-prod", "kubernetes.io/ingress.class": "nginx",
           "nginx.ingress.kubernetes.io/proxy-body-size": "8m"}
    ing = ingress(ctx, NS, "shop", [("shop.example.com", paths)], day("2024-04-29 13:14:51"),
                  cls=None, tls_secret="shop-example-com-tls", labels={"app.kubernetes.io/part-of": "shop"},
                  annotations=ann,
                  lb_hostname="a3f1c9e2d4b5467a8b9c0d1e2f3a4b5c-1234567890.eu-west-1.elb.amazonaws.com")
    del ing["spec"]["ingressClassName"]
    for p in ing["spec"]["rules"][0]["http"]["paths"]:
        p["pathType"] = "ImplementationSpecific"
    applied(ing, {"apiVersion": "networking.k8s.io/v1beta1", "kind": "Ingress",
                  "metadata": {"annotations": ann, "labels": {"app.kubernetes.io/part-of": "shop"},
                               "name": "shop", "namespace": NS},
                  "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [
                      {"backend": {"serviceName": s, "servicePort": port}, "path": path}
                      for path, s, port in paths]}}],
                      "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-example-com-tls"}]}})

    # Planted problem 1: the reports CronJob was last applied as batch/v1beta1.
    rc = container("reports", f"{REGISTRY}/reports:1.4.0", cpu=("500m", "2"), mem=("512Mi", "2Gi"),
                   args=["--period=daily", "--out=s3://shop-reports-eu-west-1/daily/"],
                   security=RESTRICTED)
    labels = {"app.kubernetes.io/name": "reports", "app.kubernetes.io/part-of": "shop"}
    pod_spec = {"containers": [rc], "serviceAccountName": "default",
                "securityContext": {"runAsNonRoot": True, "runAsUser": 10001}}
    cj = cronjob(ctx, NS, "reports", "30 1 * * *", pod_spec, labels, day("2024-06-03 10:05:12"),
                 day("2026-11-20 01:30:00"))
    src = {"apiVersion": "batch/v1beta1", "kind": "CronJob",
           "metadata": {"labels": labels, "name": "reports", "namespace": NS},
           "spec": {"concurrencyPolicy": "Forbid", "failedJobsHistoryLimit": 1,
                    "jobTemplate": {"spec": {"activeDeadlineSeconds": 3600, "backoffLimit": 2, "template": {
                        "metadata": {"labels": labels},
                        "spec": dict(pod_spec, restartPolicy="OnFailure")}}},
                    "schedule": "30 1 * * *", "startingDeadlineSeconds": 300,
                    "successfulJobsHistoryLimit": 3}}
    cj["metadata"].setdefault("annotations", {})[
        "kubectl.kubernetes.io/last-applied-configuration"] = last_applied(src)

    # The cart's clean-up job comes with its Helm release.
    track = Helm("cart", NS, CHART[0], CHART[1], "1.22.4")
    lab, ann = track.meta("CronJob", NS, "cart-cleanup")
    cc = container("cart-cleanup", f"{REGISTRY}/cart:1.22.4", cpu=("100m", "500m"), mem=("128Mi", "256Mi"),
                   args=["cleanup", "--older-than=168h"], security=RESTRICTED)
    cronjob(ctx, NS, "cart-cleanup", "15 */6 * * *", {"containers": [cc], "serviceAccountName": "cart"},
            dict(lab, **{"app.kubernetes.io/name": "cart-cleanup"}), BORN + dt.timedelta(days=4),
            day("2026-11-20 06:15:00"), annotations=ann, deadline=1800)


def network_policies(ctx):
    """Planted problem 32: checkout's egress policy, shipped with its Helm release, allows DNS,
    the order service and the telemetry collector, but not payment-gw, which checkout's
    ConfigMap calls (paymentUrl): those calls are dropped."""
    from .apps import Helm
    track = Helm("checkout", NS, CHART[0], CHART[1], "1.7.9")
    lab, ann = track.meta("NetworkPolicy", NS, "checkout-egress", "networking.k8s.io")
    sel = {"app.kubernetes.io/instance": "checkout", "app.kubernetes.io/name": "checkout"}
    np = ctx.obj("networking.k8s.io/v1", "NetworkPolicy", "checkout-egress", NS,
                 created=day("2026-09-08 14:21:37"), labels=dict(lab, **sel), annotations=ann,
                 generation=1)

    def ns_sel(name):
        return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}

    np["spec"] = {
        "egress": [
            {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
             "to": [ns_sel("kube-system")]},
            {"ports": [{"port": 8080, "protocol": "TCP"}],
             "to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "order"}}}]},
            {"ports": [{"port": 4317, "protocol": "TCP"}],
             "to": [dict(ns_sel("monitoring"), podSelector={
                 "matchLabels": {"app.kubernetes.io/name": "opentelemetry-collector"}})]}],
        "podSelector": {"matchLabels": sel},
        "policyTypes": ["Egress"]}
    ctx.add(np)
