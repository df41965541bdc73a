#!/usr/bin/env bash
# The seccomp filter's start-up cost first: `exec -- /bin/true` with no
# filter, with the default profile's program from the cache (warm), and
# with it compiled by libseccomp (the cache emptied before each run; the
# same for Docker's profile, a larger program), hyperfine medians.
# Then the filter's cost on allowed syscalls: a syscall-heavy Go
# benchmark (getpid, stat, read per iteration: examples/sysbench) in the
# same sandbox with --seccomp unconfined, the shipped default profile and
# Docker's, in interleaved rounds. The machine is shared, so wall time per
# op swings with the load; the CPU time the sandbox used (the report's
# usage.cpu_ms, from the cgroup) per op is the figure compared: median of
# the rounds, side by side, wall ns/op next to it.
# Target: at most 2% over unconfined.
set -euo pipefail
cd "$(dirname "$0")/.."
tj=$PWD/testjail
rounds=${BENCH_ROUNDS:-9}
iters=${BENCH_ITERS:-400000}
[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, cgroups)" >&2; exit 1; }
command -v go >/dev/null || { echo "bench: go missing (make deps)" >&2; exit 1; }
out=$(mktemp -d /var/tmp/tjbench.XXXXXX)
trap 'rm -rf "$out"' EXIT
command -v hyperfine >/dev/null || { echo "bench: hyperfine missing (make deps)" >&2; exit 1; }
moby=$PWD/unit-tests/data/moby-profiles-seccomp-default.json
XDG_CACHE_HOME=$out/cache "$tj" exec -- /bin/true
XDG_CACHE_HOME=$out/cache "$tj" exec --seccomp "$moby" -- /bin/true
XDG_CACHE_HOME=$out/cache hyperfine -N --warmup 10 --runs "${BENCH_RUNS:-100}" --export-json "$out/start.json" \
  --style basic -p true -p true -p "rm -rf $out/cache" -p true -p "rm -rf $out/cache" \
  -n unconfined "$tj exec --seccomp unconfined -- /bin/true" \
  -n 'default, cached' "$tj exec -- /bin/true" \
  -n 'default, compiled' "$tj exec -- /bin/true" \
  -n 'docker, cached' "$tj exec --seccomp $moby -- /bin/true" \
  -n 'docker, compiled' "$tj exec --seccomp $moby -- /bin/true" >/dev/null
python3 - "$out/start.json" <<'PY'
import json, sys
res = {r["command"]: r["median"] * 1e3 for r in json.load(open(sys.argv[1]))["results"]}
base = res["unconfined"]
print(f"{'exec -- /bin/true':<20}{'median ms':>10}{'over unconfined':>17}")
for name, m in res.items():
    print(f"{name:<20}{m:>10.2f}{m - base:>+16.2f}")
print()
PY
(cd examples && go test -c -o "$out/sysbench.test" ./sysbench)
profiles=(unconfined default "$PWD/unit-tests/data/moby-profiles-seccomp-default.json")
for ((r = 0; r < rounds; r++)); do
  for p in "${profiles[@]}"; do
    wall=$("$tj" exec --seccomp "$p" --ro-bind "$out" --report "$out/r.json" -- "$out/sysbench.test" -test.run='^$' \
      -test.bench=Syscalls -test.benchtime="${iters}x" -test.count=1 | awk '/^BenchmarkSyscalls/ {print $3}')
    cpu=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["usage"]["cpu_ms"])' "$out/r.json")
    echo "$(basename "$p" .json) $cpu $wall" >>"$out/ns"
  done
done
python3 - "$out/ns" "$iters" <<'PY'
import statistics, sys
iters = int(sys.argv[2])
cpu, wall = {}, {}
for line in open(sys.argv[1]):
    p, c, w = line.split()
    cpu.setdefault(p, []).append(float(c) * 1e6 / iters)
    wall.setdefault(p, []).append(float(w))
base_c, base_w = statistics.median(cpu["unconfined"]), statistics.median(wall["unconfined"])
print(f"{'seccomp profile':<34}{'cpu ns/op':>10}{'overhead':>10}{'wall ns/op':>11}{'overhead':>10}")
worst = 0
for p in cpu:
    c, w = statistics.median(cpu[p]), statistics.median(wall[p])
    over = (c / base_c - 1) * 100
    if p != "unconfined":
        worst = max(worst, over)
    print(f"{p:<34}{c:>10.0f}{over:>+9.1f}%{w:>11.0f}{(w / base_w - 1) * 100:>+9.1f}%")
print(f"\nfilter overhead on allowed syscalls (CPU time): at most {worst:+.1f}% (target <= 2%), "
      f"median of {len(cpu['unconfined'])} rounds of {iters} iterations")
PY
