"""data: PostgreSQL and Redis StatefulSets on zonal EBS volumes, the StorageClasses, and a claim
that never bound (planted problems 3, 4 and 7)."""
from .controllers import statefulset
from .core import day, helm
from .nodes import namespace, node, sa
from .objects import configmap, cronjob, pdb, service
from .pods import container, probe
from .storage import pending_claim, storage_classes, sts_claims

NS = "data"
BITNAMI = "docker.io/bitnami"


def _sec():
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": False, "runAsGroup": 1001, "runAsNonRoot": True, "runAsUser": 1001,
            "seccompProfile": {"type": "RuntimeDefault"}}


def postgres(ctx):
    born = day("2024-04-18 11:20:36")
    updated = day("2026-09-29 07:41:18")
    lab, ann = helm("postgres", NS, "postgres-cluster", "3.2.1", "16.2.0", "postgres")
    sel = {"app.kubernetes.io/component": "postgresql", "app.kubernetes.io/instance": "postgres",
           "app.kubernetes.io/name": "postgres"}
    lab = dict(lab, **sel)
    sa(ctx, NS, "postgres", born, lab, ann)
    configmap(ctx, NS, "postgres-extended-configuration", {"override.conf": (
        "max_connections = 300\nshared_buffers = 2GB\neffective_cache_size = 6GB\n"
        "wal_level = replica\nmax_wal_senders = 10\nhot_standby = on\n")}, born, lab, ann)
    ready = ("exec pg_isready -U \"postgres\" -d \"dbname=app\" -h 127.0.0.1 -p 5432\n"
             "[ -f /opt/bitnami/postgresql/tmp/.initialized ] || [ -f /bitnami/postgresql/.initialized ]\n")
    c = container("postgresql", f"{BITNAMI}/postgresql-repmgr:16.2.0-debian-12-r9", ports=[("postgresql", 5432)],
                  cpu=("1", "2"), mem=("2Gi", "4Gi"), security=_sec(),
                  env=[{"name": "REPMGR_PARTNER_NODES",
                        "value": "postgres-0.postgres-hl.data.svc.cluster.local,"
                                 "postgres-1.postgres-hl.data.svc.cluster.local,"
                                 "postgres-2.postgres-hl.data.svc.cluster.local"},
                       {"name": "REPMGR_NODE_NAME", "value": "$(MY_POD_NAME)"},
                       {"name": "MY_POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                          "fieldPath": "metadata.name"}}},
                       {"name": "POSTGRESQL_PASSWORD", "valueFrom": {"secretKeyRef": {
                           "key": "password", "name": "postgres"}}}],
                  liveness=probe(command=["bash", "-ec", 'PGPASSWORD=$POSTGRES_PASSWORD psql -w -U "postgres" '
                                          '-d "app" -h 127.0.0.1 -p 5432 -c "SELECT 1"'],
                                 failure=6, period=10, timeout=5, initial=30),
                  readiness=probe(command=["bash", "-ec", ready], failure=6, period=10, timeout=5, initial=5),
                  mounts=[{"mountPath": "/bitnami/postgresql", "name": "data"},
                          {"mountPath": "/bitnami/postgresql/conf/conf.d/", "name": "postgresql-extended-config"}])
    nodes = [node(ctx, n) for n in ("worker-a1", "worker-b1", "worker-a2")]
    claims = [("data", "50Gi", "gp3")]
    sts = statefulset(ctx, NS, "postgres", {
        "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": sel}, "topologyKey": "kubernetes.io/hostname"}]}},
        "containers": [c], "securityContext": {"fsGroup": 1001, "fsGroupChangePolicy": "Always"},
        "serviceAccountName": "postgres", "terminationGracePeriodSeconds": 120,
        "volumes": [{"configMap": {"defaultMode": 420, "name": "postgres-extended-configuration"},
                     "name": "postgresql-extended-config"}]},
        lab, sel, born, updated, nodes, "postgres-hl", claims, annotations=ann)
    sts_claims(ctx, sts, claims, nodes, sel)
    service(ctx, NS, "postgres", sel, [("tcp-postgresql", 5432, "postgresql")], born, labels=lab, annotations=ann)
    service(ctx, NS, "postgres-hl", sel, [("tcp-postgresql", 5432, "postgresql")], born, labels=lab,
            annotations=dict(ann, **{"service.alpha.kubernetes.io/tolerate-unready-endpoints": "true"}),
            headless=True)
    pdb(ctx, NS, "postgres", sel, 3, born, labels=lab, annotations=ann)
    backup = container("postgres-backup", f"{BITNAMI}/postgresql-repmgr:16.2.0-debian-12-r9",
                       cpu=("250m", "1"), mem=("256Mi", "1Gi"), security=_sec(),
                       command=["/bin/sh", "-c", "pg_dumpall -h postgres -U postgres | gzip > "
                                "/backup/dump-$(date +%Y%m%d).sql.gz"],
                       mounts=[{"mountPath": "/backup", "name": "backup"}])
    cronjob(ctx, NS, "postgres-backup", "0 3 * * *", {
        "containers": [backup], "serviceAccountName": "postgres",
        "volumes": [{"emptyDir": {"sizeLimit": "20Gi"}, "name": "backup"}]},
        dict(lab, **{"app.kubernetes.io/component": "backup"}), born, day("2026-11-20 03:00:00"),
        annotations=ann, time_zone="Etc/UTC")


def redis(ctx):
    born = day("2024-04-18 11:35:02")
    updated = day("2026-08-11 13:05:51")
    lab, ann = helm("redis", NS, "redis", "18.19.2", "7.2.4", "redis")
    sel = {"app.kubernetes.io/component": "node", "app.kubernetes.io/instance": "redis",
           "app.kubernetes.io/name": "redis"}
    lab = dict(lab, **sel)
    sa(ctx, NS, "redis", born, lab, ann)
    configmap(ctx, NS, "redis-configuration", {"redis.conf": (
        "appendonly yes\nsave \"\"\nmaxmemory 1536mb\nmaxmemory-policy allkeys-lru\n"),
        "sentinel.conf": "dir \"/tmp\"\nsentinel monitor mymaster redis-0.redis-headless.data.svc 6379 2\n"
                         "sentinel down-after-milliseconds mymaster 60000\nsentinel failover-timeout mymaster 180000\n"},
        born, lab, ann)
    c = container("redis", f"{BITNAMI}/redis:7.2.4-debian-12-r9", ports=[("redis", 6379)],
                  cpu=("250m", "1"), mem=("1Gi", "2Gi"), security=_sec(),
                  command=["/bin/bash", "-c", "/opt/bitnami/scripts/start-scripts/start-node.sh"],
                  liveness=probe(command=["sh", "-c", "/health/ping_liveness_local.sh 5"], failure=5,
                                 period=5, timeout=6, initial=20),
                  readiness=probe(command=["sh", "-c", "/health/ping_readiness_local.sh 1"], failure=5,
                                  period=5, timeout=2, initial=20),
                  mounts=[{"mountPath": "/data", "name": "redis-data"},
                          {"mountPath": "/opt/bitnami/redis/mounted-etc", "name": "config"}])
    sentinel = container("sentinel", f"{BITNAMI}/redis-sentinel:7.2.4-debian-12-r7",
                         ports=[("redis-sentinel", 26379)], cpu=("100m", "250m"), mem=("128Mi", "256Mi"),
                         security=_sec(),
                         liveness=probe(command=["sh", "-c", "/health/ping_sentinel.sh 5"], failure=6,
                                        period=10, timeout=6, initial=20),
                         readiness=probe(port="redis-sentinel", tcp=True, failure=6, period=5, timeout=2,
                                         initial=20),
                         mounts=[{"mountPath": "/opt/bitnami/redis-sentinel/etc", "name": "sentinel-data"}])
    nodes = [node(ctx, n) for n in ("worker-b3", "worker-a1", "worker-b1")]
    claims = [("redis-data", "8Gi", "gp3")]
    sts = statefulset(ctx, NS, "redis", {
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"podAffinityTerm": {"labelSelector": {"matchLabels": sel}, "topologyKey": "kubernetes.io/hostname"},
             "weight": 1}]}},
        "containers": [c, sentinel], "securityContext": {"fsGroup": 1001},
        "serviceAccountName": "redis", "terminationGracePeriodSeconds": 30,
        "volumes": [{"configMap": {"defaultMode": 420, "name": "redis-configuration"}, "name": "config"},
                    {"emptyDir": {}, "name": "sentinel-data"}]},
        lab, sel, born, updated, nodes, "redis-headless", claims, annotations=ann,
        update_strategy={"type": "OnDelete"})                       # planted problem 3
    sts_claims(ctx, sts, claims, nodes, sel)
    service(ctx, NS, "redis", sel, [("tcp-redis", 6379, 6379), ("tcp-sentinel", 26379, 26379)], born,
            labels=lab, annotations=ann)
    service(ctx, NS, "redis-headless", sel, [("tcp-redis", 6379, "redis"),
                                             ("tcp-sentinel", 26379, "redis-sentinel")], born,
            labels=lab, annotations=ann, headless=True)
    pdb(ctx, NS, "redis", sel, 3, born, labels=lab, annotations=ann)


def build(ctx):
    storage_classes(ctx)                                            # planted problem 7
    namespace(ctx, NS, day("2024-04-18 11:18:09"), labels={"name": NS})
    postgres(ctx)
    redis(ctx)
    # Planted problem 4: made by hand for the reports archive, never used, never bound.
    pending_claim(ctx, NS, "reports-archive", "200Gi", "gp3",
                  {"app.kubernetes.io/name": "reports", "app.kubernetes.io/part-of": "shop"},
                  day("2026-11-12 15:26:40"))
