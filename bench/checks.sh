#!/usr/bin/env bash
# Time per check on both corpus shapes, at 10,000 and 100,000 objects, to find a check whose
# cost grows faster than its input.
#
#   bench/checks.sh            # builds release, generates the corpora (cached, git-ignored)
#   RUNS=5 bench/checks.sh     # the best of 5 runs per corpus (default 3)
#   KUBECTL=path bench/checks.sh   # kubectl for the comparison row (default: the pinned one
#                                  # scripts/test installs in .venv-kubectl; none: skipped)
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
kubectl=${KUBECTL:-.venv-kubectl/bin/kubectl}
printf '%-14s %10s %10s %10s %14s\n' corpus best_s mean_s peak_MB kubectl_s
for shape in corpus wide; do
  for n in 10000 100000; do
    best=999999; total=0; peak=0
    for r in $(seq "$runs"); do
      /usr/bin/time -o "$tmp/time" -f '%e %M' env MCP_DIAG_TIMINGS=1 "$bin" scan --target-version 1.32 \
        --output json "bench/$shape-$n" 2>"$tmp/$shape-$n-$r" >/dev/null || true
      read -r wall rss < <(tail -1 "$tmp/time")
      total=$(echo "$total + $wall" | bc)
      if (( $(echo "$wall < $best" | bc) )); then best=$wall; fi
      if (( rss > peak )); then peak=$rss; fi
    done
    # kubectl's parse-only pass over the same files, once: it reads every document and
    # prints its name, without a server.
    k=-
    if [ -x "$kubectl" ]; then
      /usr/bin/time -o "$tmp/time" -f '%e' "$kubectl" label --local -R -f "bench/$shape-$n" x=1 -o name \
        >/dev/null 2>&1 || true
      k=$(tail -1 "$tmp/time")
    fi
    printf '%-14s %10s %10s %10s %14s\n' "$shape-$n" "$best" "$(echo "scale=2; $total / $runs" | bc)" \
      "$(( peak / 1024 ))" "$k"
  done
done
python3 - "$tmp" "$runs" <<'PY'
import collections, re, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
def best(shape, n):
    out = collections.defaultdict(lambda: float("inf"))
    for r in range(1, runs + 1):
        for line in open(f"{tmp}/{shape}-{n}-{r}"):
            m = re.match(r"timing: (.*?) ([0-9.]+) s(,|$)", line.rstrip("\n"))
            if not m:
                continue
            name, secs = m.group(1), float(m.group(2))
            out[name] = min(out[name], secs)
    return out
for shape in ("corpus", "wide"):
    small, big = best(shape, 10000), best(shape, 100000)
    print(f"\n{shape}: best of {runs} runs, seconds")
    print(f"{'phase or check':<44} {'10k':>8} {'100k':>8} {'x':>6}")
    rows = sorted(big, key=lambda k: (not k.startswith(("read", "components", "checks", "sort", "render", "total")) , -big[k]))
    for name in rows:
        s, b = small.get(name, 0.0), big[name]
        if b < 0.005 and not name.startswith(("read", "total", "checks")):
            continue
        ratio = f"{b / s:6.1f}" if s >= 0.001 else "     -"
        print(f"{name:<44} {s:8.3f} {b:8.3f} {ratio}")
PY
