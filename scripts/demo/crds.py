"""CustomResourceDefinitions, kept small (a permissive schema per version)."""
import datetime as dt

from .core import day, helm, ts

CALICO = ["BGPConfiguration", "BGPFilter", "BGPPeer", "BlockAffinity", "CalicoNodeStatus",
          "ClusterInformation", "FelixConfiguration", "GlobalNetworkPolicy", "GlobalNetworkSet",
          "HostEndpoint", "IPAMBlock", "IPAMConfig", "IPAMHandle", "IPPool", "IPReservation",
          "KubeControllersConfiguration", "NetworkPolicy", "NetworkSet"]
CALICO_NAMESPACED = {"NetworkPolicy", "NetworkSet"}
VELERO_V1 = ["BackupRepository", "Backup", "BackupStorageLocation", "DeleteBackupRequest",
             "DownloadRequest", "PodVolumeBackup", "PodVolumeRestore", "Restore", "Schedule",
             "ServerStatusRequest", "VolumeSnapshotLocation"]
VELERO_V2ALPHA1 = ["DataDownload", "DataUpload"]
TIGERA = ["APIServer", "ImageSet", "Installation", "TigeraStatus"]
CERT_MANAGER = [("cert-manager.io", "CertificateRequest", True), ("cert-manager.io", "Certificate", True),
                ("cert-manager.io", "ClusterIssuer", False), ("cert-manager.io", "Issuer", True),
                ("acme.cert-manager.io", "Challenge", True), ("acme.cert-manager.io", "Order", True)]
MONITORING = [("Alertmanager", "v1"), ("PodMonitor", "v1"), ("Probe", "v1"), ("Prometheus", "v1"),
              ("PrometheusRule", "v1"), ("ServiceMonitor", "v1"), ("ThanosRuler", "v1"),
              ("AlertmanagerConfig", "v1alpha1"), ("PrometheusAgent", "v1alpha1"),
              ("ScrapeConfig", "v1alpha1")]
PLURALS = {"Prometheus": "prometheuses", "IPAMConfig": "ipamconfigs", "Probe": "probes",
           "ImageSet": "imagesets", "APIServer": "apiservers", "TigeraStatus": "tigerastatuses",
           "CalicoNodeStatus": "caliconodestatuses"}

SCHEMA = {"openAPIV3Schema": {
    "properties": {
        "apiVersion": {"description": "APIVersion defines the versioned schema of this "
                       "representation of an object.", "type": "string"},
        "kind": {"description": "Kind is a string value representing the REST resource this "
                 "object represents.", "type": "string"},
        "metadata": {"type": "object"},
        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    "type": "object"}}


def plural(kind):
    if kind in PLURALS:
        return PLURALS[kind]
    k = kind.lower()
    if k.endswith("y") and not k.endswith("ay"):
        return k[:-1] + "ies"
    return k + ("es" if k.endswith(("s", "x")) else "s")


def crd(ctx, group, kind, versions, storage, namespaced, created, labels=None, annotations=None,
        short=None, status_sub=True, version_fields=None, stored=None, generation=None):
    """`version_fields` adds fields to versions by name (served: false, deprecated: true, ...);
    `stored` replaces status.storedVersions (default: the storage version only)."""
    pl = plural(kind)
    name = f"{pl}.{group}"
    o = ctx.obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", name, created=created,
                labels=labels, annotations=annotations,
                generation=generation or 1 + ctx.rng.randint(0, 3))
    names = {"kind": kind, "listKind": kind + "List", "plural": pl, "singular": kind.lower()}
    if short:
        names["shortNames"] = list(short)
    vs = []
    for v in versions:
        e = {"name": v, "schema": SCHEMA, "served": True, "storage": v == storage}
        if status_sub:
            e["subresources"] = {"status": {}}
        e.update((version_fields or {}).get(v, {}))
        vs.append(e)
    o["spec"] = {"conversion": {"strategy": "None"}, "group": group, "names": names,
                 "scope": "Namespaced" if namespaced else "Cluster", "versions": vs}
    t = ts(created + dt.timedelta(seconds=1))
    o["status"] = {"acceptedNames": dict(names), "conditions": [
        {"lastTransitionTime": t, "message": "no conflicts found", "reason": "NoConflicts",
         "status": "True", "type": "NamesAccepted"},
        {"lastTransitionTime": t, "message": "the initial names have been accepted",
         "reason": "InitialNamesAccepted", "status": "True", "type": "Established"}],
        "storedVersions": list(stored or [storage])}
    return ctx.add(o)


def build(ctx):
    born = day("2024-02-05 10:02:20")
    for kind in CALICO:
        crd(ctx, "crd.projectcalico.org", kind, ["v1"], "v1", kind in CALICO_NAMESPACED, born,
            status_sub=kind == "CalicoNodeStatus")
    for kind in TIGERA:
        crd(ctx, "operator.tigera.io", kind, ["v1"], "v1", False, born,
            annotations={"controller-gen.kubebuilder.io/version": "v0.3.0"})
    born = day("2024-03-04 14:10:25")
    lab, ann = helm("velero", "velero", "velero", "5.2.0", "1.12.3")
    lab["component"] = "velero"
    ann["controller-gen.kubebuilder.io/version"] = "v0.12.0"
    for kind in VELERO_V1:
        crd(ctx, "velero.io", kind, ["v1"], "v1", True, born, lab, ann)
    for kind in VELERO_V2ALPHA1:
        crd(ctx, "velero.io", kind, ["v2alpha1"], "v2alpha1", True, born + dt.timedelta(days=390), lab, ann)
    born = day("2024-02-07 12:55:05")
    lab, ann = helm("cert-manager", "cert-manager", "cert-manager", "v1.13.3", "v1.13.3")
    lab["app"] = "cert-manager"
    for group, kind, namespaced in CERT_MANAGER:
        crd(ctx, group, kind, ["v1"], "v1", namespaced, born, lab, ann)
    born = day("2024-02-08 09:03:20")
    ann = {"controller-gen.kubebuilder.io/version": "v0.13.0", "operator.prometheus.io/version": "0.71.2"}
    for kind, version in MONITORING:
        crd(ctx, "monitoring.coreos.com", kind, [version], version, True, born, annotations=ann)


# The platform team's own CRDs (planted problems 8 and 9).
REGISTRY_GROUP = "registry.platform.example.com"
POLICY_GROUP = "policy.platform.example.com"
POLICY_WARNING = (f"{POLICY_GROUP}/v1alpha2 ClusterPolicy is deprecated and will be removed in "
                  f"policy-controller 2.0; use {POLICY_GROUP}/v1")


def platform(ctx):
    """cluster-registry's ManagedCluster and policy-controller's ClusterPolicy, applied by Argo CD
    with the rest of each application."""
    from .core import argo_tracking
    # cluster-registry 0.12 moved ManagedCluster from v1alpha1 to v1beta1 and 0.14 stopped serving
    # v1alpha1; nobody migrated the stored objects, so status.storedVersions still lists it.
    lab = {"app.kubernetes.io/name": "cluster-registry", "app.kubernetes.io/part-of": "platform"}
    crd(ctx, REGISTRY_GROUP, "ManagedCluster", ["v1alpha1", "v1beta1"], "v1beta1", True,
        day("2024-05-22 10:41:09"), lab,
        argo_tracking("demo-cluster-registry", "CustomResourceDefinition", "",
                      "managedclusters." + REGISTRY_GROUP, "apiextensions.k8s.io"),
        short=["mc"], version_fields={"v1alpha1": {"served": False}},
        stored=["v1alpha1", "v1beta1"], generation=4)
    # policy-controller 1.9 introduced ClusterPolicy v1 and deprecated v1alpha2; the policies in
    # Git were never rewritten.
    lab = {"app.kubernetes.io/name": "policy-controller", "app.kubernetes.io/part-of": "platform"}
    crd(ctx, POLICY_GROUP, "ClusterPolicy", ["v1alpha2", "v1"], "v1", False,
        day("2024-05-16 10:23:41"), lab,
        argo_tracking("demo-policy-controller", "CustomResourceDefinition", "",
                      "clusterpolicies." + POLICY_GROUP, "apiextensions.k8s.io"),
        short=["cpol"], version_fields={"v1alpha2": {"deprecated": True,
                                                     "deprecationWarning": POLICY_WARNING}},
        stored=["v1alpha2", "v1"], generation=3)
