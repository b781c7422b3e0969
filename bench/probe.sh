#!/usr/bin/env bash
# `mcp-diag probe` at scale: 200 HTTP targets x 50 attempts at concurrency 50 against local
# servers on loopback (4 HTTP servers in another process, the test harness's axum servers).
# Prints the wall time of the probe run. Usage: bench/probe.sh [TARGETS] [ATTEMPTS]
set -euo pipefail
cd "$(dirname "$0")/.."
targets=${1:-200}
attempts=${2:-50}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --quiet --release -p mcp-diag
cargo build --quiet --release -p mcp-diag-probe --features testing --example probe-servers
bin=$CARGO_TARGET_DIR/release/mcp-diag
work=$(mktemp -d)
trap 'exec 3>&-; wait 2>/dev/null; rm -rf "$work"' EXIT
# The servers live until their standard input (fd 3 here) closes.
mkfifo "$work/in"
"$CARGO_TARGET_DIR/release/examples/probe-servers" 4 <"$work/in" >"$work/addrs" &
exec 3>"$work/in"
for _ in $(seq 100); do [ "$(wc -l <"$work/addrs")" -ge 4 ] && break; sleep 0.05; done
mapfile -t addrs <"$work/addrs"
{
  echo "probes:"
  for i in $(seq 0 $((targets - 1))); do
    a=${addrs[$((i % ${#addrs[@]}))]}
    printf '  - name: t%03d\n    url: http://%s/healthz?target=%d\n    count: %d\n    concurrency: 50\n    latency_p99: 1s\n' \
      "$i" "$a" "$i" "$attempts"
  done
} >"$work/probes.yaml"
start=$(date +%s.%N)
status=0
"$bin" probe --config "$work/probes.yaml" -o json >"$work/report.json" || status=$?
end=$(date +%s.%N)
passed=$(grep -o '"passed": [0-9]*' "$work/report.json" | head -1 | grep -o '[0-9]*$')
printf 'probe: %d targets x %d attempts at concurrency 50: %s s (exit %d, %s of %d probes passed)\n' \
  "$targets" "$attempts" "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')" "$status" "$passed" "$targets"
