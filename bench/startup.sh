#!/usr/bin/env bash
# Startup cost of the full sandbox against the plain command, util-linux
# unshare and bubblewrap, side by side in one run (hyperfine, warm caches),
# with the floor of the design on this machine (bench/skeleton.c).
set -euo pipefail
cd "$(dirname "$0")/.."
tj=./testjail
runs=${BENCH_RUNS:-200}
[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, cgroups)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine missing (make deps)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -static -o "$out/skeleton" bench/skeleton.c
hyperfine -N --warmup 20 --runs "$runs" --export-json "$out/r.json" --style basic \
  -n 'true' '/bin/true' \
  -n 'unshare' 'unshare -pfmnui --mount-proc /bin/true' \
  -n 'skeleton' "$out/skeleton /bin/true" \
  -n 'bwrap' 'bwrap --unshare-all --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp /bin/true' \
  -n 'testjail' "$tj exec -- /bin/true" \
  -n 'testjail-limits' "$tj exec --memory 256M --pids-limit 64 -- /bin/true" >/dev/null
python3 - "$out/r.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["true"]["median"]
print(f"{'command':<18}{'median ms':>10}{'mean ms':>10}{'stddev':>9}{'cost ms':>9}")
for name, r in res.items():
    print(f"{name:<18}{r['median']*1e3:>10.2f}{r['mean']*1e3:>10.2f}{r['stddev']*1e3:>9.2f}{(r['median']-base)*1e3:>9.2f}")
tj = res["testjail"]["median"] - base
bw = res["bwrap"]["median"] - base
sk = res["skeleton"]["median"] - base
print(f"\ntestjail's sandbox costs {tj*1e3:.2f} ms over /bin/true, bwrap's {bw*1e3:.2f} ms: "
      f"ratio {tj/bw:.2f} (target <= 0.50)")
print(f"the design's floor here (namespaces, PID 1, workload; nothing else): {sk*1e3:.2f} ms, "
      f"ratio {sk/bw:.2f}")
PY
