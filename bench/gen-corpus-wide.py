#!/usr/bin/env python3
"""Write a deterministic corpus of few, big namespaces for `mcp-diag scan`.

    bench/gen-corpus-wide.py OUT_DIR [--objects 100000] [--namespaces 97] [--files 400]

The other shape `bench/gen-corpus.py` does not cover: a fixed number of namespaces that grow
with the corpus (97 namespaces of about 1,000 objects each at 100,000 objects, of about 100
at 10,000), as in monoliths and shared clusters. Each namespace holds apps: a Deployment or a
StatefulSet, the Service selecting it, its ConfigMap, and for some a PodDisruptionBudget, an
HPA, an Ingress or a CronJob; a few percent on removed APIs. Checks that compare every
workload with every Service or budget of its namespace grow with the square of its size here.
Same arguments, same bytes.
"""
import argparse
import os
import random


def app_objects(rng, ns, app, version):
    """The objects of one app, as (apiVersion, kind, YAML body lines after metadata)."""
    old = rng.random() < 0.03
    stateful = rng.random() < 0.2
    replicas = rng.choice([1, 2, 3, 3, 5])
    labels = [f"    app: {app}", "    team: shop", f"    app.kubernetes.io/version: \"{version}\""]
    template = [
        "  template:", "    metadata:", "      labels:", f"        app: {app}", "        team: shop",
        "    spec:", "      containers:", "      - name: main",
        f"        image: registry.example.com/{app}:{version}",
        "        ports:", "        - containerPort: 8080", "          name: http",
        "        envFrom:", f"        - configMapRef: {{name: {app}-config}}",
        "        resources:", "          requests: {cpu: 100m, memory: 128Mi}",
        "          limits: {cpu: 500m, memory: 256Mi}",
        "        readinessProbe:", "          httpGet: {path: /ready, port: 8080}",
        "          periodSeconds: 10",
    ]
    if stateful:
        kind = ("apps/v1beta2" if old else "apps/v1", "StatefulSet")
        spec = [f"  serviceName: {app}", f"  replicas: {replicas}", "  selector:",
                "    matchLabels:", f"      app: {app}"] + template + [
            "  volumeClaimTemplates:", "  - metadata: {name: data}",
            "    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}"]
    else:
        kind = ("extensions/v1beta1" if old else "apps/v1", "Deployment")
        spec = [f"  replicas: {replicas}", "  selector:", "    matchLabels:", f"      app: {app}"] + template
    out = [(kind[0], kind[1], app, labels, spec)]
    out.append(("v1", "Service", app, labels, [
        "  selector:", f"    app: {app}", "  ports:", "  - name: http", "    port: 80", "    targetPort: http"]))
    out.append(("v1", "ConfigMap", f"{app}-config", labels, None,
                ["data:", f"  UPSTREAM_URL: http://{app}.{ns}.svc:80", "  LOG_LEVEL: info"]))
    if rng.random() < 0.5:
        out.append(("policy/v1beta1" if old else "policy/v1", "PodDisruptionBudget", app, labels,
                    ["  maxUnavailable: 1", "  selector:", "    matchLabels:", f"      app: {app}"]))
    if rng.random() < 0.3:
        out.append(("autoscaling/v2beta2" if old else "autoscaling/v2", "HorizontalPodAutoscaler", app, labels, [
            "  scaleTargetRef: {apiVersion: apps/v1, kind: " + kind[1] + ", name: " + app + "}",
            "  minReplicas: 2", "  maxReplicas: 10",
            "  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]"]))
    if rng.random() < 0.2:
        out.append(("networking.k8s.io/v1beta1" if old else "networking.k8s.io/v1", "Ingress", app, labels, [
            "  rules:", f"  - host: {app}.{ns}.example.com", "    http:", "      paths:",
            "      - path: /", "        pathType: Prefix",
            f"        backend: {{service: {{name: {app}, port: {{number: 80}}}}}}"]))
    if rng.random() < 0.1:
        out.append(("batch/v1beta1" if old else "batch/v1", "CronJob", f"{app}-cleanup", labels, [
            "  schedule: \"0 3 * * *\"", "  jobTemplate:", "    spec:", "      template:", "        spec:",
            "          restartPolicy: OnFailure", "          containers:", "          - name: cleanup",
            f"            image: registry.example.com/{app}:{version}", "            args: [cleanup]"]))
    return out


def render(ns, obj):
    api, kind, name, labels, spec = obj[:5]
    lines = [f"apiVersion: {api}", f"kind: {kind}", "metadata:", f"  name: {name}", f"  namespace: {ns}",
             "  labels:"] + labels
    lines += ["  annotations:", f"    owner: {ns}@example.com"]
    if spec is not None:
        lines += ["spec:"] + spec
    else:
        lines += obj[5]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--namespaces", type=int, default=97)
    ap.add_argument("--files", type=int, default=400)
    args = ap.parse_args()
    rng = random.Random(7)
    per_ns = max(1, args.objects // args.namespaces)
    files_per_ns = max(1, args.files // args.namespaces)
    os.makedirs(args.out, exist_ok=True)
    written = 0
    files = 0
    for n in range(args.namespaces):
        ns = f"ns-{n:03}"
        budget = per_ns if n < args.namespaces - 1 else args.objects - written
        docs = []
        a = 0
        while len(docs) < budget:
            version = f"{rng.randint(1, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
            docs.extend(render(ns, o) for o in app_objects(rng, ns, f"app-{a}", version))
            a += 1
        docs = docs[:budget]
        written += len(docs)
        chunk = (len(docs) + files_per_ns - 1) // files_per_ns
        for f in range(files_per_ns):
            part = docs[f * chunk:(f + 1) * chunk]
            if not part:
                continue
            with open(os.path.join(args.out, f"{ns}-{f}.yaml"), "w") as fh:
                fh.write("---\n".join(part))
            files += 1
    print(f"wrote {written} objects in {files} files to {args.out}")


if __name__ == "__main__":
    main()
