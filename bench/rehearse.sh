#!/usr/bin/env bash
# Rehearsal benchmark (issue 13): `mcp-diag rehearse --speed 0` of a generated 5,000-node,
# 150,000-pod snapshot (bench/gen-big-cluster.py) with waves 1%,10%,50%,100% and
# max_unavailable 50: the orchestrator's own cost at scale (the clock jumps to the next event).
#
#   bench/rehearse.sh              # 5,000 nodes (generates /tmp/mcp-diag-big-5000 once, ~20 s)
#   bench/rehearse.sh 1000         # another size
#
# Prints the process's wall time and peak RSS (from /usr/bin/time -v), and the example's split
# between planning and rehearsing (in memory, no snapshot to read).
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-5000}
pods=$((nodes * 30))
dir=/tmp/mcp-diag-big-$nodes
cargo build --release --quiet -p mcp-diag
cargo build --release --quiet -p mcp-diag-rollout --example rehearse_big
[ -f "$dir/cluster.yaml" ] || python3 bench/gen-big-cluster.py "$dir" --nodes "$nodes" --pods "$pods" >/dev/null
config=$(mktemp --suffix=.yaml)
cat > "$config" <<YAML
upgrade:
  waves: [1%, 10%, 50%, 100%]
  max_unavailable: 50
  drain: {on_timeout: skip-node}
  node_action: {exec: "true", timeout: 20m}
  rollback_action: {exec: "true", timeout: 20m}
  control_plane: {action: {exec: "true", timeout: 30m}}
gates:
  nodes_lost: {above: 3}
YAML
log=$(mktemp)
/usr/bin/time -v target/release/mcp-diag rehearse "$dir" -t 1.32 --config "$config" --speed 0 \
  --accept input-incomplete -o json >/tmp/mcp-diag-rehearse-$nodes.json 2>"$log" || true
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
outcome=$(python3 -c "import json,sys; r=json.load(open('/tmp/mcp-diag-rehearse-$nodes.json')); print(r['outcome'], len(r['nodes']), 'nodes,', len(r['timeline']), 'timeline lines, simulated', round(r['duration_seconds']/3600,1), 'h')")
echo "mcp-diag rehearse, $nodes nodes / $pods pods: wall $wall, peak RSS $((rss / 1024)) MB; $outcome"
echo "in memory (generated cluster, plan without the hop checks, then the rehearsal):"
target/release/examples/rehearse_big "$nodes" 30 | tail -1
rm -f "$config" "$log"
