"""StorageClasses, and the PersistentVolumeClaims and PersistentVolumes of StatefulSets."""
import datetime as dt

from .core import applied, argo_tracking, day, helm, ts

DRIVER = "ebs.csi.aws.com"
IDENTITY = "1758023544091-8081-ebs.csi.aws.com"


def storage_classes(ctx):
    born = day("2024-02-06 10:40:12")
    gp3 = ctx.obj("storage.k8s.io/v1", "StorageClass", "gp3", created=born,
                  labels={"app.kubernetes.io/part-of": "platform-storage"},
                  annotations=dict(argo_tracking("platform-storage", "StorageClass", "", "gp3",
                                                 "storage.k8s.io"),
                                   **{"storageclass.kubernetes.io/is-default-class": "true"}))
    gp3.update({"allowVolumeExpansion": True,
                "parameters": {"csi.storage.k8s.io/fstype": "ext4", "encrypted": "true", "type": "gp3"},
                "provisioner": DRIVER, "reclaimPolicy": "Delete",
                "volumeBindingMode": "WaitForFirstConsumer"})
    ctx.add(applied(gp3))
    # Planted: the in-tree provisioner, left over from the cluster's first days.
    gp2 = ctx.obj("storage.k8s.io/v1", "StorageClass", INTREE_CLASS, created=day("2024-02-05 09:52:30"))
    gp2.update({"allowVolumeExpansion": True, "parameters": {"fsType": "ext4", "type": "gp2"},
                "provisioner": INTREE_PROVISIONER, "reclaimPolicy": "Delete",
                "volumeBindingMode": "Immediate"})
    ctx.add(gp2)


def _first_node(node, created):
    """The node the scheduler picked when the claim was made: `node`, or, when `node` joined
    later, the node of that zone it replaced."""
    if node["created"] <= created:
        return node["name"]
    return "worker-" + node["zone"][-1] + "0"


# The StorageClass with the in-tree provisioner (planted problem 7). Since 1.27 Kubernetes has no
# in-tree AWS EBS plugin: claims of this class are provisioned by the EBS CSI driver through CSI
# migration, which writes the PersistentVolume in the in-tree format (`awsElasticBlockStore`)
# and marks it `pv.kubernetes.io/migrated-to`.
INTREE_CLASS = "gp2-legacy"
INTREE_PROVISIONER = "kubernetes.io/aws-ebs"


def claim(ctx, ns, name, size, sc, labels, created, node, annotations=None):
    """A Bound PVC and its dynamically provisioned PV in the zone of `node`."""
    intree = sc == INTREE_CLASS
    pvc_uid = ctx.uid(f"PersistentVolumeClaim/{ns}/{name}")
    pv_name = f"pvc-{pvc_uid}"
    bound = created + dt.timedelta(seconds=ctx.rng.randint(3, 9))
    ann = {"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
           "volume.beta.kubernetes.io/storage-provisioner": DRIVER,
           "volume.kubernetes.io/selected-node": _first_node(node, created),
           "volume.kubernetes.io/storage-provisioner": DRIVER}
    if intree:
        # Immediate binding: no node was selected; the CSI provisioner picked the zone.
        del ann["volume.kubernetes.io/selected-node"]
    ann.update(annotations or {})
    pvc = ctx.obj("v1", "PersistentVolumeClaim", name, ns, created=created, labels=labels,
                  annotations=ann, extra={"finalizers": ["kubernetes.io/pvc-protection"]})
    pvc["spec"] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}},
                   "storageClassName": sc, "volumeMode": "Filesystem", "volumeName": pv_name}
    pvc["status"] = {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}, "phase": "Bound"}
    ctx.add(pvc)
    if intree:
        pv_ann = {"pv.kubernetes.io/migrated-to": DRIVER,
                  "pv.kubernetes.io/provisioned-by": INTREE_PROVISIONER,
                  "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                  "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""}
        finalizers = ["kubernetes.io/pv-protection", "external-attacher/ebs-csi-aws-com"]
        extra = {"finalizers": finalizers,
                 "labels": {"topology.kubernetes.io/region": node["zone"][:-1],
                            "topology.kubernetes.io/zone": node["zone"]}}
    else:
        pv_ann = {"pv.kubernetes.io/provisioned-by": DRIVER,
                  "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                  "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""}
        extra = {"finalizers": ["external-provisioner.volume.kubernetes.io/finalizer",
                                "kubernetes.io/pv-protection",
                                "external-attacher/ebs-csi-aws-com"]}
    pv = ctx.obj("v1", "PersistentVolume", pv_name, created=bound, annotations=pv_ann, extra=extra)
    claim_ref = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": name,
                 "namespace": ns, "resourceVersion": ctx.rv(), "uid": pvc_uid}
    volume_id = "vol-0" + ctx.sha(pv_name)[:16]
    zone = [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": [node["zone"]]}]
    if intree:
        zone.append({"key": "topology.kubernetes.io/region", "operator": "In",
                     "values": [node["zone"][:-1]]})
        source = {"awsElasticBlockStore": {"fsType": "ext4", "volumeID": volume_id}}
    else:
        source = {"csi": {"driver": DRIVER, "fsType": "ext4",
                          "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": IDENTITY},
                          "volumeHandle": volume_id}}
    pv["spec"] = dict(source, **{
        "accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}, "claimRef": claim_ref,
        "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": zone}]}},
        "persistentVolumeReclaimPolicy": "Delete", "storageClassName": sc, "volumeMode": "Filesystem"})
    pv["status"] = {"lastPhaseTransitionTime": ts(bound), "phase": "Bound"}
    ctx.add(pv)
    return pvc


def sts_claims(ctx, sts, claims, pod_nodes, labels):
    """The PVCs a StatefulSet made from its volumeClaimTemplates, one per pod."""
    ns = sts["metadata"]["namespace"]
    name = sts["metadata"]["name"]
    created = dt.datetime.strptime(sts["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
    created = created.replace(tzinfo=dt.timezone.utc)
    for i, node in enumerate(pod_nodes):
        for cn, size, sc in claims:
            claim(ctx, ns, f"{cn}-{name}-{i}", size, sc, labels,
                  created + dt.timedelta(minutes=2 * i, seconds=ctx.rng.randint(0, 20)), node)


def csi_driver(ctx):
    """The CSIDriver object the aws-ebs-csi-driver chart installs (spec as the API server
    defaults it)."""
    lab, ann = helm("aws-ebs-csi-driver", "kube-system", "aws-ebs-csi-driver", "2.28.1", "1.28.0")
    lab = dict(lab, **{"app.kubernetes.io/name": "aws-ebs-csi-driver"})
    return ctx.add(ctx.obj("storage.k8s.io/v1", "CSIDriver", DRIVER, created=day("2024-02-06 10:31:48"),
                           labels=lab, annotations=ann, spec={
                               "attachRequired": True, "fsGroupPolicy": "File", "podInfoOnMount": False,
                               "requiresRepublish": False, "seLinuxMount": False,
                               "storageCapacity": False, "volumeLifecycleModes": ["Persistent"]}))


def pending_claim(ctx, ns, name, size, sc, labels, created, annotations=None):
    """A PVC that never bound (no volume, phase Pending)."""
    pvc = ctx.obj("v1", "PersistentVolumeClaim", name, ns, created=created, labels=labels,
                  annotations=annotations, extra={"finalizers": ["kubernetes.io/pvc-protection"]})
    pvc["spec"] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}},
                   "storageClassName": sc, "volumeMode": "Filesystem"}
    pvc["status"] = {"phase": "Pending"}
    return ctx.add(pvc)
