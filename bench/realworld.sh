#!/usr/bin/env bash
# testjail test against go test -json and plain go test on real modules'
# own test suites (some of integration-tests/realworld-modules.txt, fetched
# through the Go module proxy, run from a writable copy). go test -json runs
# the binaries with -test.v=test2json as testjail does (testing.Verbose()
# is true under both); plain go test runs them without -test.v.
# All three run with -count=1 (testjail has no result cache, and a cached
# result measures nothing) on a build cache warmed first by a go test that
# runs no test (-exec true) and by one unrecorded round of the three: what
# each pays for building is then the same cache lookups and links.
# The three take turns (go test, go test -json, testjail, go test, ...):
# on a shared machine back-to-back blocks of one command drift apart by
# more than the difference measured. Each gets its median.
# Target: at most 1.03x go test -json's wall time and 1.05x go test's.
# cpu/-j is the ratio of CPU time (user+sys, medians) to go test -json's:
# on a loaded machine, wall time follows CPU time.
# BENCH_RUNS=N rounds (5); BENCH_MODULES=REGEXP picks other modules.
set -uo pipefail
set -f # the flags fields of the list are split on spaces, never globbed
cd "$(dirname "$0")/.."
tj="$PWD/testjail"
runs=${BENCH_RUNS:-5}
# Of different kinds: one small package (fixed costs), large -v output,
# loopback network, many small packages, t.Parallel and hooks, a suite that
# runs go build itself, goroutines and timers.
modules=${BENCH_MODULES:-'^(github.com/google/uuid|github.com/BurntSushi/toml|github.com/gorilla/websocket|github.com/google/go-cmp|github.com/sirupsen/logrus|github.com/spf13/cobra|golang.org/x/sync)@'}
[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, cgroups)" >&2; exit 1; }
command -v go >/dev/null || { echo "bench: go missing (make deps)" >&2; exit 1; }
. integration-tests/realworld-fetch.bash
# Not under /tmp: the sandboxes have a private one.
work=$(mktemp -d /var/tmp/tjbench.XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
echo "$(go version), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"

bench_module() { # MODVER PKGS FLAGS TJOPTS
  local modver=$1 pkgs=$2 flags=$3 tjopts=$4
  if ! rw_fetch "$modver" "$work"; then
    echo "bench: $modver: $rw_error" >&2
    return
  fi
  (cd "$rw_src" && go test -count=1 -exec true $flags $pkgs >/dev/null 2>&1)
  # One argument per line: the flags and options fields may be empty.
  python3 - "$rw_src" "$modver" "$runs" "$work/rows" \
    go test -count=1 $flags $pkgs \; \
    go test -count=1 -json $flags $pkgs \; \
    "$tj" test --quiet $tjopts $pkgs -- -count=1 $flags <<'PY'
import resource, statistics, subprocess, sys, time
src, modver, runs, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
cmds, cur = [], []
for a in sys.argv[5:] + [";"]:
    if a == ";":
        cmds.append(cur)
        cur = []
    else:
        cur.append(a)
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
def once(cmd):  # wall and CPU seconds (the processes waited for, all the way down)
    c, t = cpu(), time.perf_counter()
    subprocess.run(cmd, cwd=src, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t, cpu() - c
for c in cmds:  # unrecorded: the page cache, and what a suite's own go commands build
    once(c)
times = [[] for _ in cmds]
for r in range(runs):
    for i, c in enumerate(cmds):
        times[i].append(once(c))
(g, j, t), (gc, jc, tc) = ([statistics.median(x[k] for x in ts) for ts in times] for k in (0, 1))
load = open("/proc/loadavg").read().split()[0]
row = f"{modver:<36}{g:>8.2f}{j:>8.2f}{t:>9.2f}{t / j:>8.3f}{t / g:>7.3f}{tc / jc:>8.3f}{load:>6}"
print(row, flush=True)
with open(rows, "a") as f:
    f.write(f"{g} {j} {t} {gc} {jc} {tc}\n")
PY
}
printf '%-36s%8s%8s%9s%8s%7s%8s%6s\n' module "go test" "-json" testjail "/-json" "/go" "cpu/-j" load
rw_each bench_module "$modules"
python3 - "$work/rows" "$runs" <<'PY'
import math, sys
import os
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1])] if os.path.exists(sys.argv[1]) else []
if not rows:
    sys.exit("bench: no module measured")
gm = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))
rj, rg = gm([r[2] / r[1] for r in rows]), gm([r[2] / r[0] for r in rows])
wj, wg = max(r[2] / r[1] for r in rows), max(r[2] / r[0] for r in rows)
rc = gm([r[5] / r[4] for r in rows])
print(f"\n{len(rows)} modules, {sys.argv[2]} interleaved rounds each, medians in seconds (wall clock).")
print(f"testjail test / go test -json: {rj:.3f} (geometric mean), {wj:.3f} at worst (target <= 1.03)")
print(f"testjail test / go test:       {rg:.3f} (geometric mean), {wg:.3f} at worst (target <= 1.05)")
print(f"CPU time (user+sys of every process), testjail test / go test -json: {rc:.3f} (geometric mean)")
PY
