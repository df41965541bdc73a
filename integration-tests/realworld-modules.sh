#!/usr/bin/env bash
# `make realworld`, second part: popular modules' own test suites, at the
# versions pinned in realworld-modules.txt and fetched through the Go module
# proxy, must get the same verdict per package under `testjail test`
# (default limits and profile) as under plain go test, and the same failed
# tests where both fail. Prints a table of verdicts and times.
# REALWORLD_ONLY=REGEXP runs only the modules whose path@version matches.
set -uo pipefail
set -f # the flags fields of the list are split on spaces, never globbed
cd "$(dirname "$0")/.."
tj="$PWD/testjail"
. integration-tests/realworld-fetch.bash
[ "$(id -u)" = 0 ] || { echo "realworld-modules: needs root (namespaces, cgroups)" >&2; exit 1; }
# Not under /tmp: the sandboxes have a private one.
work=$(mktemp -d /var/tmp/tjmodules.XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
now() { date +%s.%N; }

# go test's text output and testjail's JSON report -> one line per package:
# equal PKG GO_VERDICT TJ_OUTCOME [failed tests] (equal is = or !=)
compare() { # GO_OUT REPORT
  python3 - "$1" "$2" <<'EOF'
import json, re, sys
go = {}
failed = []
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"--- FAIL: (.+?) \(", line) # top-level tests only, as go test prints them
    if m:
        failed.append(m.group(1))
        continue
    m = re.match(r"(ok|FAIL|\?)\s+(\S+)\s*(.*)$", line.rstrip("\n"))
    if not m:
        continue
    word, pkg, rest = m.groups()
    if word == "ok":
        go[pkg] = ("ok", [])
    elif word == "?":
        go[pkg] = ("no-test-files", [])
    elif "[build failed]" in rest or "[setup failed]" in rest:
        go[pkg] = ("build-failed", [])
    else:
        go[pkg] = ("FAIL", sorted(set(failed)))
    failed = []
# The test binary failing on its own is go test's FAIL, whichever way it
# failed; what the sandbox imposes (oom_killed, seccomp_denied, limits,
# timeout, sandbox_error) never is.
own_failure = {"tests_failed", "deadlock", "test_timeout", "init_panic", "signaled", "exit_nonzero"}
try:
    report = json.load(open(sys.argv[2]))
except (OSError, ValueError) as e:
    report = {"packages": [], "error": str(e)}
tj = {}
for p in report.get("packages", []):
    out = p.get("outcome")
    if p.get("no_test_files"):
        out = "no-test-files"
    names = [n for n in p.get("tests", {}).get("failed_names", []) if "/" not in n]
    tj[p.get("package")] = (out, sorted(set(names)), p.get("diagnosis", ""))
for pkg in sorted(set(go) | set(tj)):
    gv, gf = go.get(pkg, ("missing", []))
    tv, tf, diag = tj.get(pkg, ("missing", [], ""))
    if gv == "ok":
        same = tv == "passed"
    elif gv == "FAIL":
        same = tv in own_failure and gf == tf
    elif gv == "build-failed":
        same = tv == "build_failed"
    else:
        same = gv == tv
    names = ",".join(gf) + ("" if gf == tf else " | testjail: " + ",".join(tf))
    print("=" if same else "!=", pkg, gv, tv, names, "" if same else "| " + diag)
EOF
}

rows=()
passed=0
fails=0
total_go=0
total_tj=0
run_module() { # MODVER PKGS FLAGS TJOPTS
  local modver=$1 pkgs=$2 flags=$3 tjopts=$4 start go_secs tj_code tj_secs n same
  if ! rw_fetch "$modver" "$work"; then
    echo "FAIL  $modver: $rw_error"
    fails=$((fails + 1))
    return
  fi
  cd "$rw_src" || exit 1
  # Dependencies downloaded, everything compiled and vetted once first (the
  # -exec runs no test), so that neither timed run pays for a cold cache;
  # what a suite's own go commands build (go test -race, -buildmode=plugin)
  # is still paid by go test, which runs first.
  go test -count=1 -exec true $flags $pkgs >"$work/warm.out" 2>&1
  start=$(now)
  go test -count=1 $flags $pkgs >"$work/go.out" 2>&1
  go_secs=$(echo "$(now) - $start" | bc)
  start=$(now)
  rm -f "$work/r.json"
  "$tj" test --quiet $tjopts --report "$work/r.json" $pkgs -- -count=1 $flags >"$work/tj.out" 2>&1
  tj_code=$?
  tj_secs=$(echo "$(now) - $start" | bc)
  cd - >/dev/null || exit 1
  compare "$work/go.out" "$work/r.json" >"$work/cmp.out"
  n=$(wc -l <"$work/cmp.out")
  same=$(grep -c '^= ' "$work/cmp.out")
  if [ "$n" -gt 0 ] && [ "$same" = "$n" ]; then
    printf 'ok    %-40s %3d/%-3d %6.1fs %6.1fs\n' "$modver" "$same" "$n" "$go_secs" "$tj_secs"
    passed=$((passed + 1))
  else
    printf 'FAIL  %-40s %3d/%-3d %6.1fs %6.1fs (testjail exit %d)\n' "$modver" "$same" "$n" "$go_secs" "$tj_secs" "$tj_code"
    grep -v '^= ' "$work/cmp.out" | sed 's/^/      /'
    echo "      --- go test:"; tail -15 "$work/go.out" | sed 's/^/      /'
    echo "      --- testjail:"; tail -15 "$work/tj.out" | sed 's/^/      /'
    fails=$((fails + 1))
  fi
  grep '^= .* FAIL ' "$work/cmp.out" | sed 's/^= /      fails under both: /'
  rows+=("$(printf '%-40s %4d %7s %8.1fs %8.1fs' "$modver" "$n" "$same/$n" "$go_secs" "$tj_secs")")
  total_go=$(echo "$total_go + $go_secs" | bc)
  total_tj=$(echo "$total_tj + $tj_secs" | bc)
}
rw_each run_module "${REALWORLD_ONLY:-}"

printf '\n%-40s %4s %7s %9s %9s\n' "module" "pkgs" "equal" "go test" "testjail"
printf '%s\n' "${rows[@]}"
printf '%-40s %4s %7s %8.1fs %8.1fs\n' "total" "" "" "$total_go" "$total_tj"
echo "realworld-modules: $passed passed, $fails failed"
[ "$fails" -eq 0 ]
