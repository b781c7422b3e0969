"""velero: the Velero server (Helm chart 5.2.0), its node agent and the velero.io objects."""
import datetime as dt

from .controllers import daemonset, deployment
from .core import CAPTURED, K8S, at, day, helm, ts
from .nodes import namespace, sa
from .objects import pdb, service
from .pods import container, probe

NS = "velero"
TAG = "v1.12.3"
SCHEDULE = "daily-shop-data"
TTL = dt.timedelta(hours=720)


def _velero_container(name, command, args, port=8085):
    return container(
        name, f"velero/velero:{TAG}", ports=[("http-monitoring", port)], cpu=("500m", "1"),
        mem=("512Mi", "1Gi"), command=command, args=args,
        env=[{"name": "VELERO_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                     "fieldPath": "metadata.namespace"}}},
             {"name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/credentials/cloud"},
             {"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/credentials/gcp"}],
        liveness=probe("/metrics", "http-monitoring", 5, 30, 5, 10),
        readiness=probe(command=["/velero", "version", "--client-only"], failure=3, period=30,
                        timeout=5),
        mounts=[{"mountPath": "/plugins", "name": "plugins"},
                {"mountPath": "/credentials", "name": "cloud-credentials"},
                {"mountPath": "/scratch", "name": "scratch"}],
        security={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True})


def server(ctx):
    born = day("2024-03-04 14:10:27")
    updated = day("2025-02-19 10:05:44")
    namespace(ctx, NS, born, labels={"name": NS})
    lab, ann = helm("velero", NS, "velero", "5.2.0", TAG[1:], "velero")
    sa(ctx, NS, "velero-server", born, lab, ann)
    plugins = [container(f"velero-plugin-for-{p}", f"velero/velero-plugin-for-{p}:v1.8.2",
                         cpu=("50m", "100m"), mem=("64Mi", "128Mi"),
                         mounts=[{"mountPath": "/target", "name": "plugins"}]) for p in ("aws", "gcp")]
    vols = [{"emptyDir": {}, "name": "plugins"}, {"emptyDir": {}, "name": "scratch"},
            {"name": "cloud-credentials", "secret": {"defaultMode": 420, "secretName": "velero"}}]
    sel = {"app.kubernetes.io/instance": "velero", "app.kubernetes.io/name": "velero", "name": "velero"}
    c = _velero_container("velero", ["/velero"], [
        "server", "--uploader-type=kopia", "--default-volumes-to-fs-backup=false",
        "--default-backup-storage-location=default", "--default-volume-snapshot-locations=aws:default",
        "--features=EnableCSI"])
    deployment(ctx, NS, "velero", 2, {
        "containers": [c], "initContainers": plugins, "restartPolicy": "Always",
        "serviceAccountName": "velero-server", "terminationGracePeriodSeconds": 3600, "volumes": vols},
        dict(lab, component="velero", **{"name": "velero"}), sel, born, updated, ctx.nodes,
        annotations=ann, pod_annotations={"prometheus.io/path": "/metrics", "prometheus.io/port": "8085",
                                          "prometheus.io/scrape": "true"},
        old_tags=["v1.12.1", "v1.12.2"])
    service(ctx, NS, "velero", sel, [("http-monitoring", 8085, "http-monitoring")], born,
            labels=dict(lab, component="velero"), annotations=ann)
    pdb(ctx, NS, "velero", sel, 2, born, labels=lab, annotations=ann)
    nsel = {"name": "node-agent"}
    agent = _velero_container("node-agent", ["/velero"], ["node-agent", "server"])
    agent["volumeMounts"].append({"mountPath": "/host_pods", "mountPropagation": "HostToContainer",
                                  "name": "host-pods"})
    workers = [n for n in ctx.nodes if not n["control_plane"]]
    daemonset(ctx, NS, "node-agent", {
        "containers": [agent], "nodeSelector": {"node-role.kubernetes.io/worker": ""},
        "securityContext": {"runAsUser": 0}, "serviceAccountName": "velero-server",
        "volumes": vols[1:] + [{"hostPath": {"path": "/var/lib/kubelet/pods", "type": ""},
                                "name": "host-pods"}, {"emptyDir": {}, "name": "plugins"}]},
        dict(lab, **nsel), nsel, born, updated, workers, annotations=ann, generation=3)


def _velero_obj(ctx, kind, name, created, spec, status, labels=None, annotations=None, api="velero.io/v1"):
    o = ctx.obj(api, kind, name, NS, created=created, labels=labels, annotations=annotations,
                generation=ctx.rng.randint(1, 4))
    o["spec"] = spec
    o["status"] = status
    return ctx.add(o)


def resources(ctx):
    born = day("2024-03-04 14:10:31")
    lab, ann = helm("velero", NS, "velero", "5.2.0", TAG[1:], "velero")
    _velero_obj(ctx, "BackupStorageLocation", "default", born, {
        "accessMode": "ReadWrite", "config": {"region": "eu-west-1", "s3ForcePathStyle": "false"},
        "credential": {"key": "cloud", "name": "velero"}, "default": True,
        "objectStorage": {"bucket": "demo-platform-velero-eu-west-1", "prefix": "demo"},
        "provider": "aws"}, {
        "lastSyncedTime": ts(at(seconds=41)), "lastValidationTime": ts(at(seconds=41)),
        "phase": "Available"}, lab, ann)
    _velero_obj(ctx, "BackupStorageLocation", "gcp-dr", day("2025-06-02 08:45:10"), {
        "accessMode": "ReadOnly", "config": {"serviceAccount": "velero@demo-platform-dr.iam.gserviceaccount.com"},
        "credential": {"key": "gcp", "name": "velero"}, "default": False,
        "objectStorage": {"bucket": "demo-platform-velero-dr-europe-west4", "prefix": "demo"},
        "provider": "velero.io/gcp"}, {
        "lastValidationTime": ts(at(seconds=41)),
        "message": 'BackupStorageLocation "gcp-dr" is unavailable: rpc error: code = Unknown desc = '
                   'googleapi: Error 403: velero@demo-platform-dr.iam.gserviceaccount.com does not have '
                   'storage.objects.list access to the Google Cloud Storage bucket., forbidden',
        "phase": "Unavailable"}, lab, ann)
    _velero_obj(ctx, "VolumeSnapshotLocation", "default", born, {
        "config": {"region": "eu-west-1"}, "credential": {"key": "cloud", "name": "velero"},
        "provider": "aws"}, {}, lab, ann)
    template = {"csiSnapshotTimeout": "10m0s", "defaultVolumesToFsBackup": False,
                "hooks": {}, "includedNamespaces": ["shop", "data"], "itemOperationTimeout": "4h0m0s",
                "metadata": {}, "snapshotMoveData": False, "snapshotVolumes": True,
                "storageLocation": "default", "ttl": "720h0m0s", "volumeSnapshotLocations": ["default"]}
    # The newest backup completed three days before the capture; nothing ran since.
    newest = day("2026-11-17 02:00:12")
    _velero_obj(ctx, "Schedule", SCHEDULE, day("2025-06-02 08:51:40"), {
        "schedule": "0 2 * * *", "template": template, "useOwnerReferencesInBackup": False},
        {"lastBackup": ts(newest), "phase": "Enabled"}, lab, ann)
    for i in range(30):
        start = newest - dt.timedelta(days=i)
        partial = start == day("2026-11-09 02:00:12")
        total = 412 + ctx.rng.randint(0, 20)
        status = {"completionTimestamp": ts(start + dt.timedelta(seconds=ctx.rng.randint(70, 180))),
                  "expiration": ts(start + TTL), "formatVersion": "1.1.0",
                  "phase": "PartiallyFailed" if partial else "Completed",
                  "progress": {"itemsBackedUp": total, "totalItems": total},
                  "startTimestamp": ts(start), "version": 1,
                  "volumeSnapshotsAttempted": 6, "volumeSnapshotsCompleted": 5 if partial else 6}
        if partial:
            status["errors"] = 1
            status["warnings"] = 2
        name = f"{SCHEDULE}-{start.strftime('%Y%m%d%H%M%S')}"
        _velero_obj(ctx, "Backup", name, start, dict(template), status,
                    labels={"velero.io/schedule-name": SCHEDULE, "velero.io/storage-location": "default"},
                    annotations={"velero.io/resource-timeout": "10m0s",
                                 "velero.io/source-cluster-k8s-gitversion": K8S,
                                 "velero.io/source-cluster-k8s-major-version": "1",
                                 "velero.io/source-cluster-k8s-minor-version": "29"})
    drill = day("2026-11-02 09:15:27")
    _velero_obj(ctx, "Restore", "restore-drill-20261102", drill, {
        "backupName": f"{SCHEDULE}-20261102020012", "excludedResources": [
            "nodes", "events", "events.events.k8s.io", "backups.velero.io", "restores.velero.io",
            "resticrepositories.velero.io", "csinodes.storage.k8s.io", "volumeattachments.storage.k8s.io",
            "backuprepositories.velero.io"],
        "includedNamespaces": ["shop"], "itemOperationTimeout": "4h0m0s",
        "namespaceMapping": {"shop": "shop-restore-drill"}, "restorePVs": True},
        {"completionTimestamp": ts(drill + dt.timedelta(minutes=3, seconds=18)), "phase": "Completed",
         "progress": {"itemsRestored": 187, "totalItems": 187}, "startTimestamp": ts(drill),
         "warnings": 3},
        {"velero.io/backup-name": f"{SCHEDULE}-20261102020012",
         "velero.io/backup-uid": ctx.uid(f"Backup/{NS}/{SCHEDULE}-20261102020012")})
    for vns in ("data", "shop"):
        name = f"{vns}-default-kopia-{ctx.suffix()}"
        _velero_obj(ctx, "BackupRepository", name, day("2025-06-03 02:00:40"), {
            "backupStorageLocation": "default", "maintenanceFrequency": "1h0m0s", "repositoryType": "kopia",
            "resticIdentifier": f"s3:s3-eu-west-1.amazonaws.com/demo-platform-velero-eu-west-1/demo/restic/{vns}",
            "volumeNamespace": vns},
            {"lastMaintenanceTime": ts(at(minutes=ctx.rng.randint(3, 55))), "phase": "Ready"},
            labels={"velero.io/repository-type": "kopia", "velero.io/storage-location": "default",
                    "velero.io/volume-namespace": vns})
    assert newest == CAPTURED - dt.timedelta(days=3, hours=7, minutes=29, seconds=48)


def build(ctx):
    server(ctx)
    resources(ctx)
