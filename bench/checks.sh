#!/usr/bin/env bash
# Time per check on the three corpus shapes, at 10,000 and 100,000 objects, to find a check whose
# cost grows faster than its input.
#
#   bench/checks.sh            # builds release, generates the corpora (cached, git-ignored)
#   RUNS=9 bench/checks.sh     # 9 runs per corpus, the sizes alternating (default 3)
#   KUBECTL=path bench/checks.sh   # kubectl for the comparison row (default: the pinned one
#                                  # scripts/test installs in .venv-kubectl; none: skipped)
#
# Shapes: bench/corpus-N (gen-corpus.py: 40 namespaces, mixed kinds), bench/wide-N
# (gen-corpus-wide.py: 97 namespaces that grow with the corpus, apps with their Service,
# budget, autoscaler) and bench/apps-N (gen-corpus-apps.py: 4 namespaces of thousands of apps,
# each with a NetworkPolicy and a budget by expression, calling each other in rings). Uses
# MCP_DIAG_TIMINGS=1 (per phase and per check, on stderr).
# Prints the best and median wall time per corpus, the median phase total per shape, and
# one row per phase or check: the best time at 10k and 100k and their ratio; a
# ratio above 11 means the cost grows faster than the input.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/mcp-diag
runs=${RUNS:-3}
for n in 10000 100000; do
  [ -d "bench/corpus-$n" ] || python3 bench/gen-corpus.py "bench/corpus-$n" --objects "$n" --files $(( n / 330 )) >/dev/null
  [ -d "bench/wide-$n" ] || python3 bench/gen-corpus-wide.py "bench/wide-$n" --objects "$n" >/dev/null
  [ -d "bench/apps-$n" ] || python3 bench/gen-corpus-apps.py "bench/apps-$n" --objects "$n" >/dev/null
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kubectl=${KUBECTL:-.venv-kubectl/bin/kubectl}
printf '%-14s %10s %10s %10s %14s\n' corpus best_s median_s peak_MB kubectl_s
for shape in corpus wide apps; do
  # The two sizes alternate, run by run: this machine's speed drifts over minutes, and a
  # drift between a block of 10k runs and a block of 100k runs would skew their ratio.
  for r in $(seq "$runs"); do
    for n in 10000 100000; do
      /usr/bin/time -o "$tmp/time" -f '%e %M' env MCP_DIAG_TIMINGS=1 "$bin" scan --target-version 1.32 \
        --output json "bench/$shape-$n" 2>"$tmp/$shape-$n-$r" >/dev/null || true
      tail -1 "$tmp/time" >> "$tmp/$shape-$n-times"
    done
  done
  for n in 10000 100000; do
    read -r best median peak < <(python3 -c '
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
walls = [float(r[0]) for r in rows]
print(min(walls), round(statistics.median(walls), 3), max(int(r[1]) for r in rows) // 1024)' "$tmp/$shape-$n-times")
    # kubectl's parse-only pass over the same files, once: it reads every document and
    # prints its name, without a server.
    k=-
    if [ -x "$kubectl" ]; then
      /usr/bin/time -o "$tmp/time" -f '%e' "$kubectl" label --local -R -f "bench/$shape-$n" x=1 -o name \
        >/dev/null 2>&1 || true
      k=$(tail -1 "$tmp/time")
    fi
    printf '%-14s %10s %10s %10s %14s\n' "$shape-$n" "$best" "$median" "$peak" "$k"
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
def totals(shape, n):
    out = []
    for r in range(1, runs + 1):
        for line in open(f"{tmp}/{shape}-{n}-{r}"):
            m = re.match(r"timing: total ([0-9.]+) s", line)
            if m:
                out.append(float(m.group(1)))
    return sorted(out)
for shape in ("corpus", "wide", "apps"):
    small, big = best(shape, 10000), best(shape, 100000)
    ts, tb = totals(shape, 10000), totals(shape, 100000)
    if ts and tb:
        ms, mb = ts[len(ts) // 2], tb[len(tb) // 2]
        print(f"\n{shape}: phase total, median of {runs} runs: {ms:.3f} s -> {mb:.3f} s, x{mb / ms:.1f}")
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
