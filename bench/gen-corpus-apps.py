#!/usr/bin/env python3
"""Write a deterministic corpus of a few very big namespaces of apps with NetworkPolicies.

    bench/gen-corpus-apps.py OUT_DIR [--objects 100000] [--namespaces 4] [--files 400]

The relations the other two shapes (`gen-corpus.py`, `gen-corpus-wide.py`) do not stress:
every app is 11 objects (a Deployment, its Service, a PodDisruptionBudget that selects by
`matchExpressions`, a NetworkPolicy whose pod selector is an expression and whose ingress and
egress rules name the neighbouring apps by label, an HPA, an Ingress, a PersistentVolumeClaim,
a ConfigMap, a ServiceAccount, an Istio PeerAuthentication selecting the app and a
DestinationRule for its Service), and apps call each other by Service URL in rings of five
(5-member dependency cycles). 4 namespaces hold everything: about 2,300 apps each at 100,000
objects. A check or graph step that tries every policy, rule, budget or Service for each pod
or call, or every edge for each cycle, grows with the square of a namespace here.
Same arguments, same bytes.
"""
import argparse
import os

APP = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {app}, namespace: {ns}, labels: {{app: {app}}}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {app}}}}}
  template:
    metadata: {{labels: {{app: {app}, ring: r{ring}, tier: {tier}}}}}
    spec:
      serviceAccountName: {app}
      containers:
      - name: main
        image: registry.example.com/{app}:1.{ring}
        ports: [{{containerPort: 8080, name: http}}]
        envFrom: [{{configMapRef: {{name: {app}}}}}]
        env: [{{name: NEXT_URL, value: "http://{next}.{ns}.svc.cluster.local:80/api"}}]
        readinessProbe: {{httpGet: {{path: /ready, port: http}}}}
        volumeMounts: [{{name: data, mountPath: /data}}]
      volumes: [{{name: data, persistentVolumeClaim: {{claimName: {app}}}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: {app}, namespace: {ns}}}
spec:
  selector: {{app: {app}}}
  ports: [{{name: http, port: 80, targetPort: http}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: {app}, namespace: {ns}}}
spec:
  maxUnavailable: 1
  selector: {{matchExpressions: [{{key: app, operator: In, values: [{app}]}}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {app}, namespace: {ns}}}
spec:
  podSelector: {{matchExpressions: [{{key: app, operator: In, values: [{app}]}}]}}
  policyTypes: [Ingress, Egress]
  ingress: [{{from: [{{podSelector: {{matchLabels: {{app: {prev}}}}}}}], ports: [{{port: 8080}}]}}]
  egress: [{{to: [{{podSelector: {{matchExpressions: [{{key: app, operator: In, values: [{next}]}}]}}}}]}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: {app}, namespace: {ns}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {app}}}
  minReplicas: {replicas}
  maxReplicas: 10
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {app}, namespace: {ns}}}
spec:
  rules: [{{host: {app}.{ns}.example.com, http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: {app}, port: {{number: 80}}}}}}}}]}}}}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: {app}, namespace: {ns}}}
spec: {{accessModes: [ReadWriteOnce], storageClassName: standard, resources: {{requests: {{storage: 1Gi}}}}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: {app}, namespace: {ns}}}
data: {{LOG_LEVEL: info}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: {app}, namespace: {ns}}}
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {{name: {app}, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{app: {app}}}}}
  mtls: {{mode: STRICT}}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {{name: {app}, namespace: {ns}}}
spec:
  host: {app}.{ns}.svc.cluster.local
  trafficPolicy: {{tls: {{mode: ISTIO_MUTUAL}}}}
"""
PER_APP = 11


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--namespaces", type=int, default=4)
    ap.add_argument("--files", type=int, default=400)
    args = ap.parse_args()
    apps = max(1, args.objects // PER_APP)
    per_ns = -(-apps // args.namespaces)
    per_file = max(1, -(-apps // args.files))
    os.makedirs(args.out, exist_ok=True)
    written = 0
    for f_index in range(0, apps, per_file):
        with open(os.path.join(args.out, f"apps-{f_index // per_file:04}.yaml"), "w") as f:
            for i in range(f_index, min(apps, f_index + per_file)):
                ns, k = f"big-{i // per_ns}", i % per_ns
                # Rings of five within a namespace (the last ring may be shorter).
                start = k - k % 5
                size = min(5, per_ns - start, apps - (i - k) - start)
                name = lambda j: f"app-{start + (j - start) % size}"
                if i > f_index:
                    f.write("---\n")
                f.write(APP.format(
                    ns=ns, app=f"app-{k}", ring=start // 5, tier=("web", "api", "db")[k % 3],
                    replicas=1 + k % 3, next=name(k + 1), prev=name(k - 1 + size),
                ))
                written += PER_APP
    print(f"wrote {written} objects ({apps} apps in {args.namespaces} namespaces) to {args.out}")


if __name__ == "__main__":
    main()
