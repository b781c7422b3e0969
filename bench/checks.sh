#!/usr/bin/env bash
# Time per check on both corpus shapes, at 10,000 and 100,000 objects, to find a check whose
# cost grows faster than its input.
#
#   bench/checks.sh            # builds release, generates the corpora (cached, git-ignored)
#   RUNS=5 bench/checks.sh     # the best of 5 runs per corpus (default 3)
#
# Shapes: bench/corpus-N (gen-corpus.py: 40 namespaces, mixed kinds) and bench/wide-N
# (gen-corpus-wide.py: 97 namespaces that grow with the corpus, apps with their Service,
# budget, autoscaler). Uses MCP_DIAG_TIMINGS=1 (per phase and per check, on stderr).
# Prints one row per phase or check: the best time at 10k and 100k and their ratio; a
# ratio above 11 means the cost grows faster than the input.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/mcp-diag
runs=${RUNS:-3}
for n in 10000 100000; do
  [ -d "bench/corpus-$n" ] || python3 bench/gen-corpus.py "bench/corpus-$n" --objects "$n" --files $(( n / 330 )) >/dev/null
  [ -d "bench/wide-$n" ] || python3 bench/gen-corpus-wide.py "bench/wide-$n" --objects "$n" >/dev/null
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for shape in corpus wide; do
  for n in 10000 100000; do
    for r in $(seq "$runs"); do
      MCP_DIAG_TIMINGS=1 "$bin" scan --target-version 1.32 --output json "bench/$shape-$n" 2>"$tmp/$shape-$n-$r" >/dev/null || true
    done
  done
done
python3 - "$tmp" "$runs" <<'PY'
import sys, collections
tmp, runs = sys.argv[1], int(sys.argv[2])
def best(shape, n):
    out = collections.defaultdict(lambda: float("inf"))
    for r in range(1, runs + 1):
        for line in open(f"{tmp}/{shape}-{n}-{r}"):
            if not line.startswith("timing: "):
                continue
            name, secs = line[8:].rsplit(" ", 2)[0], float(line.split()[-2])
            out[name] = min(out[name], secs)
    return out
for shape in ("corpus", "wide"):
    small, big = best(shape, 10000), best(shape, 100000)
    print(f"\n{shape}: best of {runs} runs, seconds")
    print(f"{'phase or check':<44} {'10k':>8} {'100k':>8} {'x':>6}")
    rows = sorted(big, key=lambda k: (not k.startswith(("read", "components", "index", "graph", "checks", "render", "total")) , -big[k]))
    for name in rows:
        s, b = small.get(name, 0.0), big[name]
        if b < 0.005 and not name.startswith(("read", "total", "checks")):
            continue
        ratio = f"{b / s:6.1f}" if s >= 0.001 else "     -"
        print(f"{name:<44} {s:8.3f} {b:8.3f} {ratio}")
PY
