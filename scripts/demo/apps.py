"""The platform's own services (one namespace each, deployed by Argo CD from a hub cluster) and a
helper for a typical microservice, shared with shop.py."""
import datetime as dt

from . import shop
from .controllers import deployment
from .core import applied, argo_tracking, day, helm, last_applied
from .nodes import namespace, sa
from .objects import configmap, hpa, ingress, pdb, service
from .pods import RESTRICTED, app

REGISTRY = "ghcr.io/example-platform"


class Argo:
    """Argo CD tracking (annotation method, client-side apply: last-applied recorded)."""
    manager = "argocd-controller"

    def __init__(self, app_name, part_of="platform", version=None):
        self.app = app_name
        self.part_of = part_of
        self.version = version

    def meta(self, kind, ns, name, group=""):
        labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": self.part_of}
        if self.version and kind == "Deployment":
            # The manifests in Git label the workload (and so its pods) with the release.
            labels["app.kubernetes.io/version"] = self.version
        return labels, argo_tracking(self.app, kind, ns, name, group)

    def finish(self, obj):
        return applied(obj)


class Helm:
    """Helm tracking: labels and meta.helm.sh annotations, no last-applied record."""
    manager = "helm"

    def __init__(self, release, ns, chart, version, app_version):
        self.args = (release, ns, chart, version, app_version)

    def meta(self, kind, ns, name, group=""):
        labels, ann = helm(*self.args, name=self.args[0])
        labels["app.kubernetes.io/part-of"] = "shop"
        return labels, ann

    def finish(self, obj):
        return obj


def older(tag, n):
    """`n` plausible earlier releases of semantic version `tag`, oldest first."""
    major, minor, patch = (int(x) for x in tag.split("."))
    out = []
    for _ in range(n):
        if patch > 0:
            patch -= 1
        elif minor > 0:
            minor, patch = minor - 1, (minor * 7) % 5
        else:
            major, minor, patch = major - 1, 9, 2
        out.append(f"{major}.{minor}.{patch}")
    return out[::-1]


def microservice(ctx, ns, name, replicas, container, created, updated, track, old_tags=(),
                 hpa_range=None, config=None, service_ports=None, pdb_min=None, hpa_track=None,
                 pdb_track=None, extra_managed=(), applied_at=None, pod_annotations=None,
                 restarts=0, service_name=None, annotations=None):
    """ServiceAccount, ConfigMap, Deployment, Service, PodDisruptionBudget and HPA of one service.
    `hpa_track`/`pdb_track` track those two objects differently (e.g. applied with kubectl).
    The Service is named `service_name` (default: `name`); `annotations` go on the Deployment."""
    sel = {"app.kubernetes.io/instance": name, "app.kubernetes.io/name": name}
    lab, ann = track.meta("ServiceAccount", ns, name)
    track.finish(sa(ctx, ns, name, created, lab, ann))
    vols = []
    if config:
        lab, ann = track.meta("ConfigMap", ns, f"{name}-config")
        track.finish(configmap(ctx, ns, f"{name}-config", config, created, lab, ann))
        vols = [{"configMap": {"defaultMode": 420, "name": f"{name}-config"}, "name": "config"}]
        container.setdefault("volumeMounts", []).append(
            {"mountPath": "/etc/" + name, "name": "config", "readOnly": True})
    spec = {"affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"podAffinityTerm": {"labelSelector": {"matchLabels": sel},
                                     "topologyKey": "kubernetes.io/hostname"}, "weight": 100}]}},
            "containers": [container], "serviceAccountName": name,
            "securityContext": {"fsGroup": 10001, "runAsNonRoot": True, "runAsUser": 10001,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "topologySpreadConstraints": [{"labelSelector": {"matchLabels": sel}, "maxSkew": 1,
                                           "topologyKey": "topology.kubernetes.io/zone",
                                           "whenUnsatisfiable": "ScheduleAnyway"}]}
    if vols:
        spec["volumes"] = vols
    lab, ann = track.meta("Deployment", ns, name, "apps")
    lab = dict(lab, **sel)
    ann = dict(ann, **(annotations or {}))
    if isinstance(track, Argo):
        tpl_labels = dict(sel, **{k: v for k, v in lab.items() if k not in sel})
        manifest = {"apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"annotations": ann, "labels": lab, "name": name, "namespace": ns},
                    "spec": {"replicas": replicas, "selector": {"matchLabels": sel},
                             "template": {"metadata": {"labels": tpl_labels}, "spec": spec}}}
        ann = dict(ann, **{"kubectl.kubernetes.io/last-applied-configuration": last_applied(manifest)})
    d = deployment(ctx, ns, name, replicas, spec, lab, sel, created, updated, ctx.nodes,
                   annotations=ann, old_tags=old_tags, manager=track.manager,
                   extra_managed=extra_managed, applied_at=applied_at,
                   pod_annotations=pod_annotations, restarts=restarts)
    lab, ann = track.meta("Service", ns, service_name or name)
    track.finish(service(ctx, ns, service_name or name, sel, service_ports or [("http", 80, "http")], created,
                         labels=dict(lab, **sel), annotations=ann))
    pt = pdb_track or track
    lab, ann = pt.meta("PodDisruptionBudget", ns, name, "policy")
    p = pdb(ctx, ns, name, sel, replicas, created, labels=dict(lab, **sel), annotations=ann,
            min_available=pdb_min)
    pt.finish(p)
    if hpa_range:
        ht = hpa_track or track
        lab, ann = ht.meta("HorizontalPodAutoscaler", ns, name, "autoscaling")
        h = hpa(ctx, ns, name, name, replicas, hpa_range[0], hpa_range[1],
                created + dt.timedelta(minutes=5), labels=dict(lab, **sel), annotations=ann,
                memory=80 if ns == "shop" else None)
        ht.finish(h)
    return d


PLATFORM = [
    # namespace/name, replicas, image tag, earlier rollouts, ports, (liveness, readiness), hpa, config
    ("api-gateway", 3, "4.2.0", 9, [("http", 8080), ("admin", 9901)],
     ("/healthz", "/ready", "admin"), (3, 8),
     {"gateway.yaml": "listen: :8080\nadmin: :9901\nupstreamTimeout: 15s\nrateLimit:\n  rps: 500\n"
                      "policyUpstream: grpc://policy-controller.policy-controller.svc:9090\n"}),
    ("policy-controller", 2, "1.9.3", 6, [("webhook", 9443), ("probes", 8081), ("grpc", 9090)],
     ("/healthz", "/readyz", "probes"), None,
     {"config.yaml": "failurePolicy: Ignore\nauditInterval: 60s\nexemptNamespaces:\n- kube-system\n"}),
    ("sync-controller", 2, "2.3.1", 8, [("metrics", 8080), ("probes", 8081), ("grpc", 9090)],
     ("/healthz", "/readyz", "probes"), None,
     {"config.yaml": "leaderElection: true\nresyncPeriod: 10m\nclusters:\n  source: registry\n"
                     "  registryUrl: grpc://cluster-registry.cluster-registry.svc:9090\n"}),
    ("cluster-registry", 2, "0.14.2", 10, [("http", 8080), ("probes", 8081), ("grpc", 9090)],
     ("/livez", "/readyz", "probes"), None,
     {"config.yaml": "clouds:\n- aws\n- gcp\n- azure\nrefreshInterval: 5m\n"}),
]


# The gRPC wiring between the controllers (issue 14): policy-controller calls sync-controller,
# and sync-controller and cluster-registry call each other (planted problem 33, a cycle).
PLATFORM_ARGS = {"policy-controller": ["--sync-endpoint=sync-controller.sync-controller.svc:9090"]}
PLATFORM_ENV = {"cluster-registry": [
    {"name": "SYNC_CONTROLLER_ADDR",
     "value": "grpc://sync-controller.sync-controller.svc.cluster.local:9090"}]}
PLATFORM_ANNOTATIONS = {
    "policy-controller": {"mcp-diag.io/depends-on": "sync-controller/sync-controller:grpc"}}


def platform(ctx):
    for i, (name, replicas, tag, old, ports, (live, ready, pport), hpa_range, config) in enumerate(PLATFORM):
        born = day("2024-05-13 10:00:00") + dt.timedelta(days=3 * i, minutes=17 * i)
        updated = day("2026-10-20 09:00:00") + dt.timedelta(days=4 * i, hours=3 * i, minutes=11)
        track = Argo(f"demo-{name}", version=tag)
        lab, ann = track.meta("Namespace", "", name)
        namespace(ctx, name, born, labels=dict(lab, **{"platform.example.com/team": "platform"}),
                       annotations=ann)
        c = app(name, f"{REGISTRY}/{name}:{tag}", ports[0][1], live, ready, port_name=ports[0][0],
                live_port=pport, ready_port=pport, extra_ports=ports[1:], cpu=("200m", "1"),
                mem=("256Mi", "512Mi"), security=RESTRICTED,
                args=([f"--config=/etc/{name}/" + next(iter(config)), "--leader-elect=true"]
                      if name != "api-gateway" else [f"--config=/etc/{name}/gateway.yaml"])
                + PLATFORM_ARGS.get(name, []), env=PLATFORM_ENV.get(name))
        svc_ports = [(pn, 443 if pn == "webhook" else p, pn) + (("TCP", "grpc") if pn == "grpc" else ())
                     for pn, p in ports if pn != "probes"]
        microservice(ctx, name, name, replicas, c, born, updated, track, old_tags=older(tag, old),
                     hpa_range=hpa_range, config=config, service_ports=svc_ports,
                     annotations=PLATFORM_ANNOTATIONS.get(name))
    lab, ann = Argo("demo-api-gateway").meta("Ingress", "api-gateway", "api-gateway", "networking.k8s.io")
    applied(ingress(ctx, "api-gateway", "api-gateway",
                    [("api.demo.platform.example.com", [("/", "api-gateway", 8080)])],
                    day("2024-05-13 10:20:00"), tls_secret="api-gateway-tls", labels=lab,
                    annotations=dict(ann, **{"cert-manager.io/cluster-issuer": "letsencrypt-prod"}),
                    lb_hostname="a3f1c9e2d4b5467a8b9c0d1e2f3a4b5c-1234567890.eu-west-1.elb.amazonaws.com"))


def build(ctx):
    platform(ctx)
    shop.build(ctx)


# (name, cloud, region, environment, Kubernetes version) of the clusters cluster-registry knows.
MANAGED_CLUSTERS = [
    ("demo", "aws", "eu-west-1", "platform", "1.29"),
    ("prod-eu", "aws", "eu-central-1", "production", "1.30"),
    ("prod-us", "gcp", "us-east1", "production", "1.30"),
    ("staging", "azure", "westeurope", "staging", "1.29"),
]
# (name, action, what it requires) of policy-controller's ClusterPolicies.
POLICIES = [
    ("disallow-latest-tag", "Enforce", {"images": {"disallowTags": ["latest"]}}),
    ("require-resource-limits", "Audit", {"containers": {"requireLimits": ["memory"]}}),
    ("require-team-label", "Audit", {"namespaces": {"requireLabels": ["platform.example.com/team"]}}),
]


def platform_resources(ctx):
    """The custom resources of the platform's CRDs (planted problems 8 and 9). ManagedClusters
    were last applied at v1beta1; the ClusterPolicies in Git still say v1alpha2, which the CRD
    deprecates (the API server lists them at v1, the preferred version)."""
    from .crds import POLICY_GROUP, REGISTRY_GROUP
    from .core import ts
    born = day("2024-05-22 11:02:15")
    for i, (name, cloud, region, env, version) in enumerate(MANAGED_CLUSTERS):
        track = Argo("demo-cluster-registry")
        lab, ann = track.meta("ManagedCluster", "cluster-registry", name, REGISTRY_GROUP)
        lab = dict(lab, **{"registry.platform.example.com/cloud": cloud,
                           "registry.platform.example.com/environment": env})
        created = born + dt.timedelta(days=40 * i, minutes=7 * i)
        o = ctx.obj(f"{REGISTRY_GROUP}/v1beta1", "ManagedCluster", name, "cluster-registry",
                    created=created, labels=lab, annotations=ann, generation=2 + i % 3)
        o["spec"] = {"apiServer": f"https://{name}.k8s.platform.example.com:6443", "cloud": cloud,
                     "environment": env, "region": region}
        o["status"] = {"conditions": [{"lastTransitionTime": ts(day("2026-11-02 08:14:00")),
                                       "message": "API server reachable", "reason": "Probed",
                                       "status": "True", "type": "Ready"}],
                       "kubernetesVersion": f"v{version}", "observedGeneration": o["metadata"]["generation"]}
        ctx.add(track.finish(o))
    born = day("2024-05-16 10:40:02")
    for i, (name, action, rule) in enumerate(POLICIES):
        track = Argo("demo-policy-controller")
        lab, ann = track.meta("ClusterPolicy", "", name, POLICY_GROUP)
        o = ctx.obj(f"{POLICY_GROUP}/v1", "ClusterPolicy", name, created=born + dt.timedelta(minutes=i),
                    labels=lab, annotations=ann, generation=1 + i)
        o["spec"] = {"exemptNamespaces": ["kube-system"], "rules": [rule],
                     "validationFailureAction": action}
        o["status"] = {"observedGeneration": o["metadata"]["generation"], "ready": True,
                       "violations": [0, 4, 2][i]}
        ctx.add(applied(o, api=f"{POLICY_GROUP}/v1alpha2"))
