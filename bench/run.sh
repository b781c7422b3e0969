#!/usr/bin/env bash
# Scan benchmark: generates deterministic manifest corpora and times `mcp-diag scan` on them.
#
#   bench/run.sh                 # 10k, 100k and 1M objects (the 1M corpus takes ~900 MB of disk)
#   bench/run.sh 100000          # one size
#   CHECKS=api bench/run.sh      # only the API checks (api-*), for the all-checks overhead
#
# Prints wall time (best and mean of 5 runs), user and system CPU, and peak memory (RSS).
# Corpora are cached under bench/corpus-N (git-ignored). Figures go into BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 1000000)
cargo build --release --quiet
bin=target/release/mcp-diag
runs=${RUNS:-5}
extra=()
if [ "${CHECKS:-all}" = api ]; then
  # Every check id except api-* and input-*, from the tool's own list.
  for id in $("$bin" explain | awk 'NR > 2 && $1 !~ /^(api-|input-)/ {print $1}'); do
    extra+=(--disable "$id")
  done
fi
printf '%-9s %-8s %-10s %-10s %-8s %-8s %-9s\n' objects files best_s mean_s user_s sys_s peak_MB
for n in "${sizes[@]}"; do
  dir="bench/corpus-$n"
  files=$(( n / 330 > 0 ? n / 330 : 1 ))
  if [ ! -d "$dir" ]; then
    python3 bench/gen-corpus.py "$dir" --objects "$n" --files "$files" >/dev/null
  fi
  best=999999; total=0; user=0; sys=0; peak=0
  for _ in $(seq "$runs"); do
    out=$( { /usr/bin/time -f '%e %U %S %M' "$bin" scan --target-version 1.32 --output json "${extra[@]}" "$dir" >/dev/null || true; } 2>&1 | tail -1)
    read -r wall u s rss <<<"$out"
    total=$(echo "$total + $wall" | bc); user=$(echo "$user + $u" | bc); sys=$(echo "$sys + $s" | bc)
    if (( $(echo "$wall < $best" | bc) )); then best=$wall; fi
    if (( rss > peak )); then peak=$rss; fi
  done
  printf '%-9s %-8s %-10s %-10s %-8s %-8s %-9s\n' "$n" "$(find "$dir" -name '*.yaml' | wc -l)" "$best" \
    "$(echo "scale=2; $total / $runs" | bc)" "$(echo "scale=2; $user / $runs" | bc)" \
    "$(echo "scale=2; $sys / $runs" | bc)" "$(( peak / 1024 ))"
done
