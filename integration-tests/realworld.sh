#!/usr/bin/env bash
# `make realworld`: real test suites nobody here wrote, from the Go standard
# library Debian ships, get the same verdict under `testjail test` (default
# limits and profile) as under plain go test; and runtime -short, which
# peaks at about 3 GB, is oom_killed under --memory 256M naming the test
# that was running. Takes several minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
tj="$PWD/testjail"
[ "$(id -u)" = 0 ] || { echo "realworld: needs root (namespaces, cgroups)" >&2; exit 1; }
work=$(mktemp -d /var/tmp/tjrealworld.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

# package, then TESTFLAGS
suites=(
  "strings" "strconv" "sort" "bufio" "encoding/json" "regexp" "context" "sync" "os" "os/exec" "os/signal"
  "syscall" "compress/flate" "math/big" "runtime/debug" "net -short" "net/http -short"
)
# net/http's TestCmdGoNoHTTPServer fails under go test too (Debian strips
# the go binary): the same verdict, tests_failed naming it, is the right one.

verdict_of_go() { # exit status of go test -> the outcome testjail must give
  case $1 in 0) echo passed ;; 1) echo tests_failed ;; *) echo "go-exit-$1" ;; esac
}

fails=0
for s in "${suites[@]}"; do
  read -r pkg flags <<<"$s"
  go test -count=1 $flags "$pkg" >"$work/go.out" 2>&1
  want=$(verdict_of_go $?)
  start=$(date +%s.%N)
  "$tj" test --report "$work/r.json" "$pkg" -- $flags >"$work/tj.out" 2>&1
  code=$?
  got=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["outcome"], ",".join(r["packages"][0].get("tests", {}).get("failed_names", [])))' "$work/r.json")
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  outcome=${got%% *}
  if [ "$outcome" = "$want" ]; then
    printf 'ok    %-18s %-13s (go test: %s) %5.1fs %s\n' "$pkg" "$outcome" "$want" "$secs" "${got#* }"
  else
    printf 'FAIL  %-18s %-13s (go test: %s) exit %d\n' "$pkg" "$outcome" "$want" "$code"
    tail -20 "$work/tj.out"
    fails=$((fails + 1))
  fi
done

# runtime -short peaks at about 3 GB: under 256M it must be an OOM kill,
# naming the running test, not a test failure.
"$tj" test --memory 256M --report "$work/r.json" runtime -- -short >"$work/tj.out" 2>&1
code=$?
outcome=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["outcome"])' "$work/r.json")
diag=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["diagnosis"])' "$work/r.json")
if [ "$outcome" = oom_killed ] && [ "$code" = 3 ] && [[ "$diag" == *"while running Test"* ]]; then
  echo "ok    runtime -short --memory 256M: oom_killed, exit 3: $diag"
elif [ "$outcome" = passed ] && [ "$code" = 0 ]; then
  # Most of the 3 GB is a sparse tmpfs file that TestMemmoveOverflow maps:
  # shown in RSS, charged to no cgroup. Whether the rest crosses 256M (go
  # builds run by the tests) depends on the kernel's reclaim: then no kill.
  peak=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"][0]["usage"]["memory_peak_bytes"])' "$work/r.json")
  echo "WARN  runtime -short --memory 256M: passed (peak $peak bytes, no OOM kill on this kernel): $diag"
else
  echo "FAIL  runtime -short --memory 256M: $outcome, exit $code: $diag"
  tail -20 "$work/tj.out"
  fails=$((fails + 1))
fi
echo "realworld: $((${#suites[@]} + 1 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
