#!/usr/bin/env bash
# Planner benchmark: plans generated clusters (3 zones, 4 pools, Deployments, StatefulSets on
# zonal volumes, a DaemonSet, budgets over most workloads) in memory, 30 pods per node.
#
#   bench/plan.sh                 # 1,250, 2,500 and 5,000 nodes
#   bench/plan.sh 5000            # one size
#   PLAN_BENCH_CHECKS=1 bench/plan.sh 5000   # also run the scan checks for the hop
#
# Prints the example's own timings (generation, planning) and, from /usr/bin/time -v, the
# process's wall time and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1250 2500 5000)
cargo build --release --quiet -p mcp-diag-planner --example plan_bench
bin=target/release/examples/plan_bench
printf '%-7s %-8s %-8s %-10s %-10s %-9s\n' nodes pods plan_s plan_cpu_s wall_s peak_MB
for n in "${sizes[@]}"; do
  log=$(mktemp)
  out=$(/usr/bin/time -v "$bin" "$n" 30 42 2>"$log")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  pods=$(echo "$out" | sed -E 's/.* pods ([0-9]+) .*/\1/')
  plan=$(echo "$out" | sed -E 's/.*\| plan ([0-9.]+)s.*/\1/')
  cpu=$(echo "$out" | sed -E 's/.*\(cpu ([0-9.]+)s\).*/\1/')
  printf '%-7s %-8s %-8s %-10s %-10s %-9s\n' "$n" "$pods" "$plan" "$cpu" "$wall" "$((rss / 1024))"
  echo "  $out"
  rm -f "$log"
done
