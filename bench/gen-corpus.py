#!/usr/bin/env python3
"""Write a deterministic stress corpus of Kubernetes manifests for `mcp-diag scan`.

    bench/gen-corpus.py OUT_DIR [--objects 100000] [--files 300]

Mixed kinds (Deployments, Services, ConfigMaps, Pods, PDBs, Ingresses, CronJobs, HPAs, CRs),
about 800 bytes of YAML per object, a few percent on removed or deprecated APIs, in
multi-document files and `kind: List` files. Same arguments, same bytes.
"""
import argparse
import os
import random

KINDS = [
    ("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "ConfigMap"), ("v1", "Pod"),
    ("policy/v1", "PodDisruptionBudget"), ("networking.k8s.io/v1", "Ingress"),
    ("batch/v1", "CronJob"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("example.com/v1alpha1", "Widget"),
]
OLD = [
    ("extensions/v1beta1", "Deployment"), ("policy/v1beta1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1beta1", "Ingress"), ("batch/v1beta1", "CronJob"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"),
]


def body(rng, api, kind, i, indent):
    p = " " * indent
    ns = f"team-{i % 40}"
    name = f"{kind.lower()}-{i}"
    lines = [
        f"apiVersion: {api}", f"kind: {kind}", "metadata:", f"  name: {name}", f"  namespace: {ns}",
        "  labels:", f"    app: app-{i % 500}", "    tier: backend", f"    release: r{i % 7}",
        "  annotations:", f"    owner: team-{i % 40}@example.com",
        f"    description: \"generated object number {i} for the stress corpus\"",
        "spec:", "  replicas: 3", "  selector:", "    matchLabels:", f"      app: app-{i % 500}",
        "  template:", "    metadata:", "      labels:", f"        app: app-{i % 500}", "    spec:",
        "      containers:", f"      - name: main", f"        image: registry.example.com/app:{rng.randint(1, 99)}.{rng.randint(0, 9)}",
        "        ports:", "        - containerPort: 8080", "          protocol: TCP", "        resources:",
        "          requests: {cpu: 100m, memory: 128Mi}", "          limits: {cpu: 500m, memory: 256Mi}",
        "        readinessProbe:", "          httpGet: {path: /ready, port: 8080}", "          periodSeconds: 10",
        "          failureThreshold: 3", "        env:", "        - name: LOG_LEVEL", "          value: info",
    ]
    first = p[:-2] + "- " if indent else ""
    return "\n".join((first if k == 0 else p) + l for k, l in enumerate(lines)) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=300)
    args = ap.parse_args()
    rng = random.Random(42)
    os.makedirs(args.out, exist_ok=True)
    per_file = max(1, args.objects // args.files)
    written = 0
    f_index = 0
    while written < args.objects:
        n = min(per_file, args.objects - written)
        as_list = f_index % 3 == 0
        sub = os.path.join(args.out, f"ns-{f_index % 20}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"file-{f_index:05}.yaml"), "w") as f:
            if as_list:
                f.write("apiVersion: v1\nkind: List\nitems:\n")
            for k in range(n):
                i = written + k
                api, kind = rng.choice(OLD) if rng.random() < 0.03 else rng.choice(KINDS)
                if as_list:
                    f.write(body(rng, api, kind, i, 2))
                else:
                    if k:
                        f.write("---\n")
                    f.write(body(rng, api, kind, i, 0))
        written += n
        f_index += 1
    print(f"wrote {written} objects in {f_index} files to {args.out}")


if __name__ == "__main__":
    main()
