"""Shared state and helpers: deterministic ids, times, metadata and tracking annotations."""
import datetime as dt
import hashlib
import json
import random
import uuid

CAPTURED = dt.datetime(2026, 11, 20, 9, 30, 0, tzinfo=dt.timezone.utc)
K8S = "v1.29.4"
HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

# Which List file each kind goes to.
FILES = {
    "Node": "nodes", "Namespace": "namespaces", "Pod": "pods", "Deployment": "deployments",
    "ReplicaSet": "replicasets", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets",
    "Service": "services", "ConfigMap": "configmaps", "ServiceAccount": "serviceaccounts",
    "PodDisruptionBudget": "poddisruptionbudgets",
    "PersistentVolumeClaim": "persistentvolumeclaims", "PersistentVolume": "persistentvolumes",
    "StorageClass": "storageclasses", "Ingress": "ingresses", "IngressClass": "ingressclasses",
    "HorizontalPodAutoscaler": "horizontalpodautoscalers", "CronJob": "cronjobs",
    "CustomResourceDefinition": "customresourcedefinitions", "FlowSchema": "flowschemas",
    "PriorityLevelConfiguration": "prioritylevelconfigurations",
    "Backup": "velero", "BackupStorageLocation": "velero", "VolumeSnapshotLocation": "velero",
    "Schedule": "velero", "BackupRepository": "velero", "Restore": "velero",
    "CSIDriver": "csidrivers", "ManagedCluster": "managedclusters", "ClusterPolicy": "clusterpolicies",
    "NetworkPolicy": "networkpolicies",
}


def ts(t):
    """RFC 3339 in UTC with a Z, as the API server prints it."""
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def at(days=0, hours=0, minutes=0, seconds=0):
    """A moment `days`/`hours`/... before the capture."""
    return CAPTURED - dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def day(s):
    """A moment given as 'YYYY-MM-DD HH:MM:SS' (UTC)."""
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)


class Ctx:
    """Collects every object, keyed by the List file it belongs in."""

    def __init__(self, seed=20261120):
        self.rng = random.Random(seed)
        self.files = {}
        self.nodes = []          # node dicts, see nodes.py
        self.uids = {}

    # ---- identities -------------------------------------------------------------------------
    def uid(self, key):
        """A stable version-4 UUID for `key` (kind/namespace/name)."""
        if key not in self.uids:
            h = hashlib.sha256(("demo-cluster/" + key).encode()).digest()
            self.uids[key] = str(uuid.UUID(bytes=h[:16], version=4))
        return self.uids[key]

    def rv(self):
        return str(self.rng.randint(1_000, 98_000_000))

    def suffix(self, n=5):
        return "".join(self.rng.choice(HASH_ALPHABET) for _ in range(n))

    @staticmethod
    def sha(text):
        return hashlib.sha256(text.encode()).hexdigest()

    # ---- objects ----------------------------------------------------------------------------
    def add(self, obj):
        self.files.setdefault(FILES[obj["kind"]], []).append(obj)
        return obj

    def meta(self, kind, name, ns=None, created=None, labels=None, annotations=None,
             owner=None, generation=None, extra=None):
        """Object metadata with uid, resourceVersion and creationTimestamp."""
        m = {"name": name, "uid": self.uid(f"{kind}/{ns or ''}/{name}"),
             "resourceVersion": self.rv(), "creationTimestamp": ts(created or at(days=400))}
        if ns:
            m["namespace"] = ns
        if labels:
            m["labels"] = dict(labels)
        if annotations:
            m["annotations"] = dict(annotations)
        if owner:
            m["ownerReferences"] = [owner_ref(owner)]
        if generation is not None:
            m["generation"] = generation
        if extra:
            m.update(extra)
        return m

    def obj(self, api, kind, name, ns=None, spec=None, status=None, **meta):
        o = {"apiVersion": api, "kind": kind, "metadata": self.meta(kind, name, ns, **meta)}
        if spec is not None:
            o["spec"] = spec
        if status is not None:
            o["status"] = status
        return o


def owner_ref(owner, controller=True, block=True):
    """An ownerReference to the object `owner`."""
    ref = {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
           "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"]}
    if controller:
        ref["controller"] = True
        ref["blockOwnerDeletion"] = block
    return ref


# ---- tracking: Helm, Argo CD, kubectl apply --------------------------------------------------
def helm(release, ns, chart, version, app_version=None, name=None):
    """Labels and annotations that Helm puts on what it installs."""
    labels = {"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": f"{chart}-{version}",
              "app.kubernetes.io/instance": release}
    if name:
        labels["app.kubernetes.io/name"] = name
    if app_version:
        labels["app.kubernetes.io/version"] = app_version
    ann = {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": ns}
    return labels, ann


def argo_tracking(app, kind, ns, name, group=""):
    """The annotation value Argo CD writes with the annotation tracking method."""
    return {"argocd.argoproj.io/tracking-id": f"{app}:{group}/{kind}:{ns}/{name}"}


def last_applied(manifest):
    """The kubectl.kubernetes.io/last-applied-configuration value for `manifest`.

    kubectl stores the applied object as compact JSON with sorted keys (Go's encoding/json),
    the metadata gaining an empty `annotations` map, and ends it with a newline."""
    m = json.loads(json.dumps(manifest))
    md = m.setdefault("metadata", {})
    md.setdefault("annotations", {})
    return json.dumps(m, separators=(",", ":"), sort_keys=True) + "\n"


def applied(obj, manifest=None, api=None):
    """Record on `obj` how it was last applied: `manifest`, or one built from the object itself
    (with `api` as the apiVersion when given). Returns `obj`."""
    if manifest is None:
        md = obj["metadata"]
        meta = {"name": md["name"]}
        if md.get("namespace"):
            meta["namespace"] = md["namespace"]
        if md.get("labels"):
            meta["labels"] = md["labels"]
        ann = {k: v for k, v in md.get("annotations", {}).items()
               if k != "kubectl.kubernetes.io/last-applied-configuration"}
        if ann:
            meta["annotations"] = ann
        manifest = {"apiVersion": api or obj["apiVersion"], "kind": obj["kind"], "metadata": meta}
        for k in ("spec", "data", "provisioner", "parameters", "reclaimPolicy",
                  "volumeBindingMode", "allowVolumeExpansion"):
            if k in obj:
                manifest[k] = obj[k]
        if obj["kind"] == "Service":  # what the API server fills in is not in the manifest
            manifest["spec"] = {k: v for k, v in obj["spec"].items()
                                if k in ("ports", "selector", "type")}
    obj["metadata"].setdefault("annotations", {})[
        "kubectl.kubernetes.io/last-applied-configuration"] = last_applied(manifest)
    return obj
