"""The generator of examples/demo-cluster, one module per area (see scripts/gen-demo-cluster.py)."""
