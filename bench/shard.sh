#!/usr/bin/env bash
# Sharding's cost and gain on this machine: one `testjail test ./...` over a
# generated module of BENCH_PACKAGES packages (each test busy for
# BENCH_TEST_MS of CPU), against BENCH_SHARDS shards of the same packages
# run at once as an Indexed Job's pods would (JOB_COMPLETION_INDEX set),
# turn by turn, medians. Then a model of the wall time at 10, 100 and 1000
# pods: the measured per-package durations of the one run, copied to a
# suite of BENCH_SUITE packages, split as --shard-timings splits them
# (longest first onto the least loaded shard), plus a per-pod start-up of
# BENCH_POD_START_S seconds (image pull and scheduling not counted).
set -euo pipefail
cd "$(dirname "$0")/.."
tj=$PWD/testjail
runs=${BENCH_RUNS:-3}
n=${BENCH_PACKAGES:-40}
shards=${BENCH_SHARDS:-4}
[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, cgroups)" >&2; exit 1; }
command -v go >/dev/null || { echo "bench: go missing (make deps)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/var/tmp}/tj-bench-shard.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mod=$dir/mod
mkdir -p "$mod"
printf 'module example.com/benchshard\n\ngo 1.19\n' >"$mod/go.mod"
ms=${BENCH_TEST_MS:-200}
for ((i = 0; i < n; i++)); do
  p=$(printf p%03d "$i")
  mkdir -p "$mod/$p"
  # packages of uneven weight, as real suites are: 1x to 4x the base
  w=$((ms * (1 + i % 4)))
  cat >"$mod/$p/${p}_test.go" <<GO
package $p

import (
	"testing"
	"time"
)

func TestBusy(t *testing.T) {
	end := time.Now().Add(${w} * time.Millisecond)
	x := 0
	for time.Now().Before(end) {
		x++
	}
	if x < 0 {
		t.Fatal(x)
	}
}
GO
done
cd "$mod"
go test -count=1 -exec true ./... >/dev/null 2>&1 || true # warm the build cache

one() {
  "$tj" test --quiet --report "$dir/full.json" ./... >/dev/null 2>&1 || true
}
sharded() {
  local k pids=()
  for ((k = 0; k < shards; k++)); do
    JOB_COMPLETION_INDEX=$k "$tj" test --quiet --shard auto --shard-count "$shards" \
      --report "$dir/shard-$k.json" ./... >/dev/null 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
}
one_t=() shard_t=()
for ((r = 0; r < runs; r++)); do
  t0=$(date +%s.%N); one; t1=$(date +%s.%N); sharded; t2=$(date +%s.%N)
  one_t+=("$(awk "BEGIN { print $t1 - $t0 }")") shard_t+=("$(awk "BEGIN { print $t2 - $t1 }")")
done
python3 - "$dir" "$shards" "${BENCH_SUITE:-1000}" "${BENCH_POD_START_S:-5}" "$(nproc)" "${one_t[*]}" "${shard_t[*]}" <<'PY'
import json, statistics, sys
d, shards, suite, start, cpus = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
one = [float(x) for x in sys.argv[6].split()]
sh = [float(x) for x in sys.argv[7].split()]
full = json.load(open(f"{d}/full.json"))
durs = [p["duration_ms"] / 1000 for p in full.get("packages", []) if p.get("phase") == "test" and p.get("duration_ms")]
print(f"{len(durs)} packages, {cpus} CPUs; one run {statistics.median(one):.2f} s, "
      f"{shards} shards at once {statistics.median(sh):.2f} s (medians of {len(one)}; ratio "
      f"{statistics.median(sh) / statistics.median(one):.2f})")
if not durs:
    sys.exit("bench: the one run's report has no package durations")
# the suite: the measured durations, copied
times = [durs[i % len(durs)] for i in range(suite)]
def lpt(ts, n):
    load = [0.0] * n
    for t in sorted(ts, reverse=True):
        load[load.index(min(load))] += t
    return max(load)
print(f"model: {suite} packages of the measured durations (sum {sum(times):.0f} s), "
      f"one package at a time per pod, {start:.0f} s start-up per pod")
for pods in (10, 100, 1000):
    print(f"  {pods:5d} pods: {start + lpt(times, pods):8.1f} s wall")
PY
