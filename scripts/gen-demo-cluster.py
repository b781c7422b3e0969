#!/usr/bin/env python3
"""Rebuild examples/demo-cluster, the bundled demo snapshot, from the generator in scripts/demo.

The snapshot describes a platform cluster at Kubernetes 1.29.4 with a handful of planted
problems (listed in examples/demo-cluster/README.md). The output is deterministic: the same
generator always writes the same files.

    scripts/gen-demo-cluster.py            # rewrite examples/demo-cluster
    scripts/gen-demo-cluster.py --check    # fail if the committed files are stale
    scripts/gen-demo-cluster.py --out DIR  # write somewhere else

Python 3.11, standard library only.
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from demo import (addons, apps, cluster, crds, data, kube_system,  # noqa: E402
                  networking, nodes, readme, storage, velero)
from demo.core import CAPTURED, Ctx, K8S, ts  # noqa: E402
from demo.yamlout import dump  # noqa: E402

OUT = os.path.join(ROOT, "examples", "demo-cluster")

CLUSTER_YAML = {
    "clientVersion": {"buildDate": "2024-04-16T15:05:57Z", "compiler": "gc",
                      "gitCommit": "55019c83b0fd51ef4ced8c29eec2c4847f896e74",
                      "gitTreeState": "clean", "gitVersion": K8S, "goVersion": "go1.21.9",
                      "major": "1", "minor": "29", "platform": "linux/amd64"},
    "kustomizeVersion": "v5.0.4-0.20230601165947-6ce0bf390ce3",
    "serverVersion": {"buildDate": "2024-04-16T14:58:52Z", "compiler": "gc",
                      "gitCommit": "55019c83b0fd51ef4ced8c29eec2c4847f896e74",
                      "gitTreeState": "clean", "gitVersion": K8S, "goVersion": "go1.21.9",
                      "major": "1", "minor": "29", "platform": "linux/amd64"},
    "name": "demo",
    "capturedAt": ts(CAPTURED),
    "components": {"etcd": "3.5.10"},
}

# The order of items in each List: kubectl sorts by namespace, then name.
def _key(o):
    md = o["metadata"]
    return (md.get("namespace", ""), md["name"])


def build():
    ctx = Ctx()
    nodes.build_nodes(ctx)
    for area in (kube_system, networking, addons, velero, apps, data, cluster):
        area.build(ctx)
    # Added last, so that everything above keeps its generated ids and resourceVersions.
    storage.csi_driver(ctx)
    crds.platform(ctx)
    apps.platform_resources(ctx)
    plant_late(ctx)
    return ctx


def plant_late(ctx):
    """Problems planted after generation, so that the objects above keep their ids."""
    from demo.core import applied
    # Planted problem 10: the staging ManagedCluster is still applied by an old pipeline at
    # v1alpha1, which the CRD no longer serves: the next apply of that manifest fails.
    for o in ctx.files.get("managedclusters", []):
        if o["metadata"]["name"] == "staging":
            o["metadata"].get("annotations", {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
            applied(o, api="registry.platform.example.com/v1alpha1")


def render(ctx):
    """File name -> text for every file of the snapshot."""
    # kubectl version's output first, then the snapshot's own fields.
    version = {k: v for k, v in CLUSTER_YAML.items() if k.endswith("Version")}
    extra = {k: v for k, v in CLUSTER_YAML.items() if k not in version}
    files = {"cluster.yaml": dump(version) + "".join(dump({k: extra[k]}) for k in
                                                     ("name", "capturedAt", "components"))}
    for name, items in sorted(ctx.files.items()):
        items = sorted(items, key=_key)
        seen = set()
        for o in items:
            k = (o["apiVersion"].split("/")[0], o["kind"], _key(o))
            if k in seen:
                raise SystemExit(f"duplicate object {k}")
            seen.add(k)
        files[name + ".yaml"] = dump({"apiVersion": "v1", "items": items, "kind": "List",
                                      "metadata": {"resourceVersion": ""}})
    files["README.md"] = readme.text(ctx)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    ctx = build()
    files = render(ctx)
    if args.check:
        stale = [n for n, text in files.items()
                 if not os.path.exists(os.path.join(args.out, n))
                 or open(os.path.join(args.out, n), encoding="utf-8").read() != text]
        extra = [n for n in os.listdir(args.out) if n not in files] if os.path.isdir(args.out) else []
        if stale or extra:
            print("stale: " + ", ".join(sorted(stale + extra)), file=sys.stderr)
            return 1
        return 0
    os.makedirs(args.out, exist_ok=True)
    for n in os.listdir(args.out):
        if n not in files and n.endswith(".yaml"):
            os.remove(os.path.join(args.out, n))
    for n, text in sorted(files.items()):
        with open(os.path.join(args.out, n), "w", encoding="utf-8") as f:
            f.write(text)
    total = sum(len(v) for v in ctx.files.values())
    print(f"wrote {len(files)} files, {total} objects to {os.path.relpath(args.out, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
