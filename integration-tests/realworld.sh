#!/usr/bin/env bash
# `make realworld`: real test suites nobody here wrote, from the Go standard
# library Debian ships, get the same verdict under `testjail test` (default
# limits and profile) as under plain go test; and runtime -short is
# oom_killed naming the running test where memory is really short (see the
# end). Takes several minutes.
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

# runtime -short is said to peak at about 3 GB: that is RSS, most of it one
# 64 KiB file region that TestMemmoveOverflow maps 49,152 times, charged to
# the memory cgroup once. Its real charge (page cache of the go builds it
# runs included) stays under 256M here, where it passes as under go test;
# at 64M it must be an OOM kill naming the running test, not a test failure.
runtime_check() { # LIMIT WANT_OUTCOME WANT_CODE
  "$tj" test --memory "$1" --report "$work/r.json" runtime -- -short >"$work/tj.out" 2>&1
  local code=$? outcome diag peak
  outcome=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["outcome"])' "$work/r.json")
  diag=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["diagnosis"])' "$work/r.json")
  peak=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"][0]["usage"]["memory_peak_bytes"])' "$work/r.json")
  if [ "$outcome" = "$2" ] && [ "$code" = "$3" ] && { [ "$2" != oom_killed ] || [[ "$diag" == *"while running Test"* ]]; }; then
    echo "ok    runtime -short --memory $1: $outcome, exit $code, peak $peak bytes: $diag"
  else
    echo "FAIL  runtime -short --memory $1: $outcome, exit $code (want $2, $3): $diag"
    tail -20 "$work/tj.out"
    fails=$((fails + 1))
  fi
}
runtime_check 256M passed 0
runtime_check 64M oom_killed 3
echo "realworld: $((${#suites[@]} + 2 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
