"""logging: Fluent Bit on every node; monitoring: the OpenTelemetry collector the shop reports to."""
from .controllers import daemonset, deployment
from .core import day, helm
from .nodes import namespace, sa
from .objects import configmap, pdb, service
from .pods import RESTRICTED, app, container, probe

FLUENT_CONF = """[SERVICE]
    Daemon Off
    Flush 1
    Log_Level info
    Parsers_File /fluent-bit/etc/parsers.conf
    HTTP_Server On
    HTTP_Listen 0.0.0.0
    HTTP_Port 2020
    Health_Check On

[INPUT]
    Name tail
    Path /var/log/containers/*.log
    multiline.parser docker, cri
    Tag kube.*
    Mem_Buf_Limit 5MB
    Skip_Long_Lines On

[FILTER]
    Name kubernetes
    Match kube.*
    Merge_Log On
    Keep_Log Off

[OUTPUT]
    Name cloudwatch_logs
    Match kube.*
    region eu-west-1
    log_group_name /demo/containers
    auto_create_group true
"""
OTEL_CONF = """exporters:
  otlphttp:
    endpoint: https://otlp.observability.example.com
extensions:
  health_check:
    endpoint: ${env:MY_POD_IP}:13133
processors:
  batch: {}
  memory_limiter:
    check_interval: 5s
    limit_percentage: 80
    spike_limit_percentage: 25
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:MY_POD_IP}:4317
      http:
        endpoint: ${env:MY_POD_IP}:4318
service:
  extensions:
  - health_check
  pipelines:
    traces:
      exporters:
      - otlphttp
      processors:
      - memory_limiter
      - batch
      receivers:
      - otlp
"""


def fluent_bit(ctx):
    ns = "logging"
    born = day("2024-03-19 10:44:12")
    updated = day("2025-11-05 09:30:27")
    namespace(ctx, ns, born, labels={"name": ns})
    lab, ann = helm("fluent-bit", ns, "fluent-bit", "0.43.0", "2.2.2", "fluent-bit")
    sel = {"app.kubernetes.io/instance": "fluent-bit", "app.kubernetes.io/name": "fluent-bit"}
    sa(ctx, ns, "fluent-bit", born, lab, ann)
    configmap(ctx, ns, "fluent-bit", {"custom_parsers.conf": "[PARSER]\n    Name docker_no_time\n"
                                                            "    Format json\n    Time_Keep Off\n",
                                      "fluent-bit.conf": FLUENT_CONF}, born, lab, ann)
    c = app("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:2.2.2", 2020, "/", "/api/v1/health",
            cpu=("100m", "500m"), mem=("128Mi", "256Mi"), initial=0,
            command=["/fluent-bit/bin/fluent-bit"], args=["--workdir=/fluent-bit/etc",
                                                         "--config=/fluent-bit/etc/conf/fluent-bit.conf"],
            mounts=[{"mountPath": "/fluent-bit/etc/conf", "name": "config"},
                    {"mountPath": "/var/log", "name": "varlog"},
                    {"mountPath": "/var/lib/docker/containers", "name": "varlibdockercontainers",
                     "readOnly": True}])
    daemonset(ctx, ns, "fluent-bit", {
        "containers": [c], "serviceAccountName": "fluent-bit", "tolerations": [{"operator": "Exists"}],
        "volumes": [{"configMap": {"defaultMode": 420, "name": "fluent-bit"}, "name": "config"},
                    {"hostPath": {"path": "/var/log", "type": ""}, "name": "varlog"},
                    {"hostPath": {"path": "/var/lib/docker/containers", "type": ""},
                     "name": "varlibdockercontainers"}]},
        lab, sel, born, updated, ctx.nodes, annotations=ann,
        pod_annotations={"checksum/config": ctx.sha("fluent-bit-config")}, generation=7)
    service(ctx, ns, "fluent-bit", sel, [("http", 2020, "http")], born, labels=lab, annotations=ann)


def otel_collector(ctx):
    ns = "monitoring"
    born = day("2025-04-08 14:02:51")
    updated = day("2026-07-21 08:16:40")
    lab, ann = helm("otel-collector", ns, "opentelemetry-collector", "0.80.1", "0.93.0",
                    "opentelemetry-collector")
    sel = {"app.kubernetes.io/instance": "otel-collector", "app.kubernetes.io/name": "opentelemetry-collector",
           "component": "standalone-collector"}
    sa(ctx, ns, "otel-collector", born, lab, ann)
    configmap(ctx, ns, "otel-collector", {"relay": OTEL_CONF}, born, lab, ann)
    c = container("opentelemetry-collector", "otel/opentelemetry-collector-contrib:0.93.0",
                  ports=[("otlp", 4317), ("otlp-http", 4318), ("health", 13133)],
                  cpu=("200m", "1"), mem=("256Mi", "1Gi"), security=RESTRICTED,
                  command=["/otelcol-contrib"], args=["--config=/conf/relay.yaml"],
                  env=[{"name": "MY_POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                        "fieldPath": "status.podIP"}}}],
                  liveness=probe("/", "health", 3, 10, 2),
                  readiness=probe(port="otlp", tcp=True, failure=3, period=10, timeout=2),
                  mounts=[{"mountPath": "/conf", "name": "opentelemetry-collector-configmap"}])
    deployment(ctx, ns, "otel-collector", 2, {
        "containers": [c], "serviceAccountName": "otel-collector",
        "volumes": [{"configMap": {"defaultMode": 420, "items": [{"key": "relay", "path": "relay.yaml"}],
                                   "name": "otel-collector"}, "name": "opentelemetry-collector-configmap"}]},
        dict(lab, component="standalone-collector"), sel, born, updated, ctx.nodes, annotations=ann,
        pod_annotations={"checksum/config": ctx.sha("otel-config")}, old_tags=["0.88.0", "0.91.0"])
    service(ctx, ns, "otel-collector", sel, [("otlp", 4317, 4317), ("otlp-http", 4318, 4318)], born,
            labels=lab, annotations=ann)
    pdb(ctx, ns, "otel-collector", sel, 2, born, labels=lab, annotations=ann)


def build(ctx):
    fluent_bit(ctx)
    otel_collector(ctx)
