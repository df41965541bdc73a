#!/usr/bin/env bash
# `testjail test` against `go test` on the same packages, warm build cache,
# side by side in one run. go test's result cache is off (-count=1):
# testjail has none, and a cached result measures nothing. The commands take
# turns, run after run, and each gets its median: on a shared or throttled
# machine, back-to-back blocks of one command (hyperfine's way) drift apart
# by more than the difference measured here.
# Target: at most 1.05x the wall time of go test.
set -euo pipefail
cd "$(dirname "$0")/.."
tj=./testjail
runs=${BENCH_RUNS:-10}
[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, cgroups)" >&2; exit 1; }
command -v go >/dev/null || { echo "bench: go missing (make deps)" >&2; exit 1; }
python3 - "$tj" "$runs" "./examples/pass" "strings" "strconv sort bufio" <<'PY'
import statistics, subprocess, sys, time
tj, runs, sets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def argv(kind, s):
    pkgs = s.split()
    return {"go": ["go", "test", "-count=1"] + pkgs, "go -v": ["go", "test", "-count=1", "-v"] + pkgs,
            "testjail": [tj, "test", "--quiet"] + pkgs}[kind]
kinds = ["go", "go -v", "testjail"]
def once(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t
times = {(k, s): [] for k in kinds for s in sets}
for s in sets:  # warm-up: the build cache and the page cache
    for k in kinds:
        once(argv(k, s))
for r in range(runs):
    for s in sets:
        for k in kinds:
            times[(k, s)].append(once(argv(k, s)))
print(f"{'packages':<22}{'go test s':>11}{'go test -v s':>14}{'testjail s':>12}{'ratio':>8}{'ratio -v':>10}")
worst = worst_v = 0
for s in sets:
    g, gv, t = (statistics.median(times[(k, s)]) for k in kinds)
    worst, worst_v = max(worst, t / g), max(worst_v, t / gv)
    print(f"{s:<22}{g:>11.3f}{gv:>14.3f}{t:>12.3f}{t / g:>8.2f}{t / gv:>10.2f}")
print(f"\n{runs} interleaved runs each, medians. testjail test takes at most {worst:.2f}x the wall time "
      f"of go test (target <= 1.05), {worst_v:.2f}x that of go test -v")
print("testjail runs the binary with -test.v, as go test -v and go test -json do: the per-test "
      "evidence needs it, and tests that do more when testing.Verbose() (sort's countOps) do it too")
PY
