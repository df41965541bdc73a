#!/usr/bin/env bash
# `testjail test` against `go test` on the same packages, warm build cache,
# side by side in one hyperfine run. go test's result cache is off
# (-count=1): testjail has none, and a cached result measures nothing.
# Target: at most 1.05x the wall time of go test.
set -euo pipefail
cd "$(dirname "$0")/.."
tj=./testjail
runs=${BENCH_RUNS:-10}
[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, cgroups)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine missing (make deps)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sets=("./examples/pass" "strings" "strconv sort bufio")
args=()
for s in "${sets[@]}"; do
  args+=(-n "go test $s" "go test -count=1 $s" -n "go test -v $s" "go test -count=1 -v $s"
    -n "testjail test $s" "$tj test $s")
done
hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/r.json" --style basic "${args[@]}" >/dev/null
python3 - "$out/r.json" "${sets[@]}" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
print(f"{'packages':<22}{'go test s':>11}{'go test -v s':>14}{'testjail s':>12}{'ratio':>8}{'ratio -v':>10}")
worst = worst_v = 0
for s in sys.argv[2:]:
    g, gv = res[f"go test {s}"]["median"], res[f"go test -v {s}"]["median"]
    t = res[f"testjail test {s}"]["median"]
    worst, worst_v = max(worst, t / g), max(worst_v, t / gv)
    print(f"{s:<22}{g:>11.3f}{gv:>14.3f}{t:>12.3f}{t / g:>8.2f}{t / gv:>10.2f}")
print(f"\ntestjail test takes at most {worst:.2f}x the wall time of go test (target <= 1.05), "
      f"{worst_v:.2f}x that of go test -v")
print("testjail runs the binary with -test.v, as go test -v and go test -json do: the per-test "
      "evidence needs it, and tests that do more when testing.Verbose() (sort's countOps) do it too")
PY
