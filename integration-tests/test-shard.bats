#!/usr/bin/env bats
# `testjail test --shard` and `testjail report merge`: N shards run at once
# as N pods of an Indexed Job would (JOB_COMPLETION_INDEX set), their merged
# report against one unsharded run, a lost shard, an empty one, bad input;
# their go test -json streams merged against one unsharded stream.
# v2vm: host only: splits package lists and merges reports, which no cgroup layout changes; its 40-package runs take TCG past its bound

# 40 packages, built and run 2.25 times over, on a shared 2-core host.
: "${BATS_TEST_TIMEOUT:=900}"
load common
load gotest

setup_file() {
  tj_setup_file
  require_cmd go
}

setup() {
  tjt_setup
  # The host's CI may shard its own jobs: the tests set what they mean.
  unset JOB_COMPLETION_INDEX CI_NODE_INDEX CI_NODE_TOTAL
  TJ_BAD_INPUT_LEAK_CHECK=assert_nothing_left_test
}

# outcomes REPORT: "package outcome" lines, sorted.
outcomes() {
  "$PYTHON3" -c '
import json, sys
r = json.load(open(sys.argv[1]))
for p in sorted(r["packages"], key=lambda p: p["package"]):
    print(p["package"], p["outcome"])' "$1"
}

# junit_cases FILE: a JUnit file's suites and cases as lines, sorted by
# suite, without times: "suite S tests= failures= errors= skipped= outcome=
# diagnosis=", and per case "case CLASSNAME NAME STATUS" (pass, failure,
# skipped, error) then its message, type and text. A panic's stack shows
# addresses and goroutine numbers that differ from run to run: masked.
junit_cases() {
  "$PYTHON3" -c '
import re, sys, xml.etree.ElementTree as ET
mask = lambda s: re.sub(r"goroutine \d+", "goroutine N", re.sub(r"0x[0-9a-f]+", "0xX", s or ""))
root = ET.parse(sys.argv[1]).getroot()
for s in sorted(root.iter("testsuite"), key=lambda s: s.get("name")):
    props = {p.get("name"): p.get("value") for p in s.iter("property")}
    print("suite", s.get("name"), *(k + "=" + s.get(k) for k in ("tests", "failures", "errors", "skipped")),
          "outcome=" + props.get("testjail.outcome", ""), "diagnosis=" + props.get("testjail.diagnosis", ""))
    for c in s.iter("testcase"):
        kids = [k for k in c if k.tag in ("failure", "skipped", "error")]
        k = kids[0] if kids else None
        print("case", c.get("classname"), c.get("name"), k.tag if k is not None else "pass")
        if k is not None:
            print(repr(mask(k.get("message"))), repr(k.get("type")), repr(mask(k.text)))' "$1"
}

# run_shards N DIR ARGS...: N `testjail test --shard auto` at once, each with
# its JOB_COMPLETION_INDEX, reports to DIR/shard-K.json; fails unless each
# exits with its report's exit_code.
run_shards() {
  local n=$1 dir=$2 k pids=() st
  shift 2
  mkdir -p "$dir"
  for ((k = 0; k < n; k++)); do
    JOB_COMPLETION_INDEX=$k tj test --quiet --env "TJMARK=$MARKER" --shard auto --shard-count "$n" \
      --report "$dir/shard-$k.json" "$@" >"$dir/out-$k" 2>"$dir/err-$k" &
    pids+=($!)
  done
  for ((k = 0; k < n; k++)); do
    st=0
    wait "${pids[$k]}" || st=$?
    assert_contains "$(cat "$dir/err-$k")" "shard $k/$n (JOB_COMPLETION_INDEX=$k, --shard-count $n)"
    assert_eq "$st" "$(json_get "$dir/shard-$k.json" exit_code)" "shard $k's status; stderr: $(cat "$dir/err-$k")"
    assert_eq "$(json_get "$dir/shard-$k.json" shard.index)" "$k"
  done
}

# gen_module DIR N: a module of N small packages; p07 fails a test, p13
# exits 3 from TestMain, p21 does not build, the rest pass.
gen_module() {
  local dir=$1 n=$2 i p
  mkdir -p "$dir"
  printf 'module example.com/gen\n\ngo 1.19\n' >"$dir/go.mod"
  for ((i = 0; i < n; i++)); do
    p=$(printf p%02d "$i")
    mkdir -p "$dir/$p"
    printf 'package %s\n\nfunc Twice(x int) int { return 2 * x }\n' "$p" >"$dir/$p/$p.go"
    case $p in
    p07) printf 'package %s\n\nimport "testing"\n\nfunc TestTwice(t *testing.T) {\n\tif Twice(2) != 5 {\n\t\tt.Fatal("2*2 is not 5")\n\t}\n}\n' "$p" ;;
    p13) printf 'package %s\n\nimport (\n\t"os"\n\t"testing"\n)\n\nfunc TestMain(m *testing.M) { os.Exit(3) }\n' "$p" ;;
    p21) printf 'package %s\n\nimport "testing"\n\nfunc TestTwice(t *testing.T) { Twice("x") }\n' "$p" ;;
    *) printf 'package %s\n\nimport "testing"\n\nfunc TestTwice(t *testing.T) {\n\tif Twice(2) != 4 {\n\t\tt.Fatal("2*2")\n\t}\n}\n' "$p" ;;
    esac >"$dir/$p/${p}_test.go"
  done
}

@test "examples: 3 shards at once merge to the unsharded run's outcomes, exit code, verdict and JUnit" {
  local pkgs=(./pass ./fail ./exit255 ./notests ./panic ./buildfail ./initpanic)
  tjt --quiet --junit "$BATS_TEST_TMPDIR/full.xml" "${pkgs[@]}"
  local want_status=$status
  cp "$REPORT" "$BATS_TEST_TMPDIR/full.json"
  run_shards 3 "$BATS_TEST_TMPDIR/shards" "${pkgs[@]}"
  run --separate-stderr tj report merge "$BATS_TEST_TMPDIR/merged.json" "$BATS_TEST_TMPDIR"/shards/shard-*.json \
    --junit "$BATS_TEST_TMPDIR/merged.xml"
  assert_eq "$status" "$want_status" "merge status; stderr: $stderr"
  assert_eq "$(outcomes "$BATS_TEST_TMPDIR/merged.json")" "$(outcomes "$BATS_TEST_TMPDIR/full.json")"
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/merged.json" outcome)" "$(json_get "$BATS_TEST_TMPDIR/full.json" outcome)"
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/merged.json" exit_code)" "$want_status"
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/merged.json" diagnosis)" "$(json_get "$BATS_TEST_TMPDIR/full.json" diagnosis)"
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/merged.json" shard.missing)" "[]"
  # every package in exactly one shard
  local listed
  listed=$(cat "$BATS_TEST_TMPDIR"/shards/shard-*.json | "$PYTHON3" -c '
import json, sys
dec = json.JSONDecoder(); s = sys.stdin.read().strip(); i = 0; out = []
while i < len(s):
    r, i = dec.raw_decode(s, i)
    out += r["shard"]["packages"]
    while i < len(s) and s[i].isspace(): i += 1
print(len(out), len(set(out)))')
  assert_eq "$listed" "7 7"
  # the merged JUnit is the unsharded run's: every test, passing ones too,
  # with its status and its failure or skip text
  local want got
  want=$(junit_cases "$BATS_TEST_TMPDIR/full.xml")
  got=$(junit_cases "$BATS_TEST_TMPDIR/merged.xml")
  assert_eq "$got" "$want" "the merged JUnit's cases"
  assert_contains "$got" "case example.com/examples/pass TestUpper pass"
  assert_contains "$got" "case example.com/examples/pass TestSkipped skipped"
  assert_contains "$got" "case example.com/examples/fail TestArithmetic failure"
  assert_contains "$got" "2 + 2 = 4, want 5"
  assert_contains "$got" "case example.com/examples/initpanic [test binary] error"
  assert_contains "$got" "outcome=build_failed"
  # the report's public field they come from
  local m="$BATS_TEST_TMPDIR/merged.json"
  assert_eq "$(json_get "$m" packages.6.package)" example.com/examples/pass
  assert_eq "$(json_get "$m" packages.6.tests.cases.0.name) $(json_get "$m" packages.6.tests.cases.0.status)" \
    "TestUpper pass"
  if json_get "$m" packages.6.tests.cases.0.output 2>/dev/null; then
    echo "the report keeps a passing test's output" >&2
    return 1
  fi
  assert_eq "$(json_get "$m" packages.6.tests.cases.4.name) $(json_get "$m" packages.6.tests.cases.4.status)" \
    "TestSkipped skip"
  assert_eq "$(json_get "$m" packages.6.tests.cases.4.output)" "    pass_test.go:25: nothing to do here"
  assert_nothing_left_test
}

@test "40 generated packages: 4 shards merge to the unsharded outcomes; with timings the split is balanced" {
  local mod="$BATS_TEST_TMPDIR/gen"
  gen_module "$mod" 40
  cd "$mod"
  export TJ_TIMEOUT=600
  tjt --quiet -p 2 ./...
  local want_status=$status
  # p13's exit_nonzero (7) comes before p21's build_failed and p07's tests_failed
  assert_eq "$want_status" 7 "stderr: $stderr"
  assert_eq "$(outcomes "$REPORT" | grep -c ' passed$')" 37
  cp "$REPORT" "$BATS_TEST_TMPDIR/full.json"
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/full.json" packages.39.package)" example.com/gen/p39
  run_shards 4 "$BATS_TEST_TMPDIR/hash" -p 1 ./...
  run --separate-stderr tj report merge "$BATS_TEST_TMPDIR/merged.json" "$BATS_TEST_TMPDIR"/hash/shard-*.json
  assert_eq "$status" "$want_status" "stderr: $stderr"
  assert_eq "$(outcomes "$BATS_TEST_TMPDIR/merged.json")" "$(outcomes "$BATS_TEST_TMPDIR/full.json")"
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/hash/shard-0.json" shard.strategy)" hash

  # The earlier durations balance the shards: the split's load (by those
  # durations) is within 20% of the ideal. One shard's report holds the
  # whole split.
  TJ_TIMEOUT=600 JOB_COMPLETION_INDEX=0 tjt --quiet -p 2 --shard auto --shard-count 4 \
    --shard-timings "$BATS_TEST_TMPDIR/full.json" ./...
  assert_eq "$(json_get "$REPORT" shard.strategy)" timings "stderr: $stderr"
  run "$PYTHON3" -c '
import json, sys
full = json.load(open(sys.argv[1]))
ms = {p["package"]: p["duration_ms"] for p in full["packages"]}
plan = json.load(open(sys.argv[2]))["shard"]["plan"]
assert sorted(p for s in plan for p in s) == sorted(ms), "each package in one shard"
loads = [sum(ms[p] for p in s) for s in plan]
ideal = max(sum(ms.values()) / len(plan), max(ms.values()))
print(loads, ideal)
sys.exit(0 if max(loads) <= 1.2 * ideal else 1)' "$BATS_TEST_TMPDIR/full.json" "$REPORT"
  assert_eq "$status" 0 "loads vs ideal: $output"
  assert_nothing_left_test
}

@test "a lost shard: its packages are sandbox_error naming it, the merge exits 125" {
  run_shards 3 "$BATS_TEST_TMPDIR/shards" ./pass ./notests ./fail ./exit255
  local lost
  for k in 0 1 2; do
    [ "$(json_get "$BATS_TEST_TMPDIR/shards/shard-$k.json" shard.packages)" != "[]" ] && lost=$k
  done
  rm "$BATS_TEST_TMPDIR/shards/shard-$lost.json"
  run --separate-stderr tj report merge "$BATS_TEST_TMPDIR/merged.json" "$BATS_TEST_TMPDIR"/shards/shard-*.json
  assert_eq "$status" 125 "stderr: $stderr"
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/merged.json" outcome)" sandbox_error
  assert_contains "$(json_get "$BATS_TEST_TMPDIR/merged.json" diagnosis)" "shard $lost/3 is missing"
  assert_contains "$stderr" "no report of shard $lost/3"
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/merged.json" shard.missing)" "[$lost]"
  # the packages of the other shards keep their own outcomes
  local kept
  kept=$(outcomes "$BATS_TEST_TMPDIR/merged.json" | grep -vc sandbox_error || true)
  local others=0
  for k in 0 1 2; do
    [ "$k" = "$lost" ] && continue
    [ -f "$BATS_TEST_TMPDIR/shards/shard-$k.json" ] &&
      others=$((others + $(outcomes "$BATS_TEST_TMPDIR/shards/shard-$k.json" | wc -l)))
  done
  assert_eq "$kept" "$others"
  # named but never written (a pod's path in a manifest): the same, with a note
  run --separate-stderr tj report merge "$BATS_TEST_TMPDIR/merged2.json" "$BATS_TEST_TMPDIR"/shards/shard-{0,1,2}.json
  assert_eq "$status" 125 "stderr: $stderr"
  assert_contains "$stderr" "shard-$lost.json): lost shards"
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/merged2.json" shard.missing)" "[$lost]"
}

@test "a package in two reports is sandbox_error naming both shards" {
  tjt --shard 0/1 ./pass
  assert_eq "$status" 0 "stderr: $stderr"
  run --separate-stderr tj report merge "$BATS_TEST_TMPDIR/merged.json" "$REPORT" "$REPORT"
  assert_eq "$status" 125 "stderr: $stderr"
  assert_contains "$(json_get "$BATS_TEST_TMPDIR/merged.json" packages.0.diagnosis)" "more than one shard: shard 0"
}

# events_by_package STREAM: checks every line is a JSON object with an
# Action, and prints the packages in the order they come (each once: its
# events are together), then per package its events' Action and Test (no
# Time, Elapsed or Output: they differ from run to run). A build event
# counts as its ImportPath's package.
events_by_package() {
  "$PYTHON3" -c '
import json, sys
order, events = [], {}
for n, line in enumerate(open(sys.argv[1]), 1):
    e = json.loads(line)
    assert isinstance(e, dict) and isinstance(e.get("Action"), str), "line %d: %r" % (n, line)
    key = e.get("Package") or e.get("ImportPath", "").split(" ")[0]
    if not order or order[-1] != key:
        assert key not in events, "line %d: %s again, after %s" % (n, key, order[-1])
        order.append(key)
        events[key] = []
    events[key].append([e["Action"], e.get("Test", "")])
print(" ".join(order))
for k in sorted(events):
    print(k, json.dumps(events[k]))' "$1"
}

@test "--json: the shards' streams merge to the unsharded stream, package by package, in import path order" {
  local pkgs=(./pass ./fail ./exit255 ./notests ./panic ./buildfail ./initpanic)
  local dir="$BATS_TEST_TMPDIR/shards" k pids=() st
  run --separate-stderr tj test --env "TJMARK=$MARKER" --json "${pkgs[@]}"
  assert_eq "$status" 7 "stderr: $stderr"
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/full.jsonl"
  mkdir -p "$dir"
  for ((k = 0; k < 3; k++)); do
    tj test --env "TJMARK=$MARKER" --shard "$k/3" --json "${pkgs[@]}" >"$dir/shard-$k.jsonl" 2>"$dir/err-$k" &
    pids+=($!)
  done
  for ((k = 0; k < 3; k++)); do
    st=0
    wait "${pids[$k]}" || st=$?
    # the shard's note on stderr; stdout all events (a reader such as
    # gotestsum takes every line of it as one)
    assert_contains "$(cat "$dir/err-$k")" "testjail: shard $k/3 (--shard $k/3)"
    assert_not_contains "$(cat "$dir/shard-$k.jsonl")" "shard $k/3"
    run events_by_package "$dir/shard-$k.jsonl"
    assert_eq "$status" 0 "shard $k's stdout (status $st): $output"
  done
  run --separate-stderr tj report merge --json "$BATS_TEST_TMPDIR/merged.jsonl" "$dir"/shard-*.jsonl
  assert_eq "$status" 0 "stderr: $stderr"
  assert_eq "$output$stderr" "" "nothing on stdout or stderr"
  run events_by_package "$BATS_TEST_TMPDIR/merged.jsonl"
  assert_eq "$status" 0 "$output"
  local merged=$output
  assert_eq "${merged%%$'\n'*}" "$(printf 'example.com/examples/%s ' buildfail exit255 fail initpanic notests panic pass | sed 's/ $//')" "packages in import path order"
  run events_by_package "$BATS_TEST_TMPDIR/full.jsonl"
  assert_eq "$status" 0 "$output"
  assert_eq "$(tail -n +2 <<<"$merged")" "$(tail -n +2 <<<"$output")" "each package's events as in the unsharded run"
  # every line of the shards, once
  assert_eq "$(sort "$BATS_TEST_TMPDIR/merged.jsonl")" "$(cat "$dir"/shard-*.jsonl | sort)"
  # OUT - is stdout, the same stream
  run --separate-stderr tj report merge --json - "$dir"/shard-*.jsonl
  assert_eq "$status" 0 "stderr: $stderr"
  assert_eq "$output" "$(cat "$BATS_TEST_TMPDIR/merged.jsonl")"
  assert_nothing_left_test
}

@test "--json bad input: one line naming the input, 125, OUT not written" {
  local d="$BATS_TEST_TMPDIR" out="$BATS_TEST_TMPDIR/out.jsonl"
  printf '{"Action":"start","Package":"example.com/x"}\n{"Action":"pass","Package":"example.com/x"}\n' >"$d/x.jsonl"
  printf '{"Action":"start","Package":"example.com/y"}\nok  \texample.com/y\t0.1s\n' >"$d/text.jsonl"
  expect_bad_input "$d/text.jsonl:2: not a go test -json event" report merge --json "$out" "$d/x.jsonl" "$d/text.jsonl"
  printf '{"Package":"example.com/y"}\n' >"$d/noaction.jsonl"
  expect_bad_input "$d/noaction.jsonl:1: not a go test -json event" report merge --json "$out" "$d/noaction.jsonl"
  # a report is no stream
  tjt --shard 0/1 ./pass
  expect_bad_input "$REPORT:1: not a go test -json event" report merge --json "$out" "$d/x.jsonl" "$REPORT"
  # a lost shard's stream: the stream cannot say what it held
  expect_bad_input "$d/none.jsonl: no such file" report merge --json "$out" "$d/x.jsonl" "$d/none.jsonl"
  # the same shard twice: as a copy, and as the same file
  cp "$d/x.jsonl" "$d/copy.jsonl"
  expect_bad_input "$d/copy.jsonl:1: events of example.com/x, which $d/x.jsonl:1 has too" \
    report merge --json "$out" "$d/x.jsonl" "$d/copy.jsonl"
  expect_bad_input "$d/x.jsonl: given twice" report merge --json "$out" "$d/x.jsonl" "$d/x.jsonl"
  expect_bad_input "no SHARD.jsonl given" report merge --json "$out"
  expect_bad_input "--junit with --json" report merge --json "$out" "$d/x.jsonl" --junit "$d/j.xml"
  [ ! -e "$out" ] && [ ! -e "$d/j.xml" ]
  run ls "$d"
  assert_not_contains "$output" ".tmp."
  # OUT one of the inputs: refused, the input as it was
  cp "$d/x.jsonl" "$d/keep.jsonl"
  expect_bad_input "$d/x.jsonl: OUT is also one of the streams" report merge --json "$d/x.jsonl" "$d/x.jsonl"
  assert_eq "$(cat "$d/x.jsonl")" "$(cat "$d/keep.jsonl")"
  # OUT '-' on a full disk: the write error, not a quiet 0
  run --separate-stderr bash -c '"$1" report merge --json - "$2" >/dev/full' _ "$TESTJAIL" "$d/x.jsonl"
  assert_eq "$status" 125
  assert_eq "$stderr" "testjail: report merge: -: No space left on device"
}

@test "a shard with no package passes with a note, and builds nothing" {
  tjt_go_logger
  local gobin=$GOLOG_DIR
  PATH="$gobin:$PATH" tjt --bind "$gobin" --shard 5/6 ./pass ./fail
  assert_eq "$status" 0 "stderr: $stderr"
  assert_contains "$stderr" "shard 5/6 has no package"
  assert_eq "$(json_get "$REPORT" outcome)" passed
  assert_contains "$(json_get "$REPORT" diagnosis)" "has no package"
  assert_eq "$(json_get "$REPORT" shard.packages)" "[]"
  assert_eq "$(json_get "$REPORT" shard.total_packages)" 2
  if grep -q -- '-exec=' "$gobin/log"; then
    echo "an empty shard started a build: $(cat "$gobin/log")" >&2
    return 1
  fi
  assert_nothing_left_test
}

@test "a shard's one shared build gets only the shard's import paths" {
  tjt_go_logger
  local gobin=$GOLOG_DIR
  PATH="$gobin:$PATH" tjt --bind "$gobin" --shard 0/2 ./pass ./fail ./notests ./exit255
  local mine others=()
  mine=$(json_get "$REPORT" shard.packages)
  assert_eq "$(grep -c -- '-exec=' "$gobin/log")" 1 "shared builds; log: $(cat "$gobin/log")"
  local line p
  line=$(grep -- '-exec=' "$gobin/log")
  for p in pass fail notests exit255; do
    if [[ "$mine" == *"example.com/examples/$p\""* ]]; then
      assert_contains "$line" " example.com/examples/$p"
    else
      assert_not_contains "$line" "example.com/examples/$p"
    fi
  done
  assert_not_contains "$line" "./pass"
  assert_nothing_left_test
}

@test "--shard auto reads GitLab's CI_NODE_INDEX/CI_NODE_TOTAL (1-based) and says so" {
  CI_NODE_INDEX=2 CI_NODE_TOTAL=2 tjt --shard auto ./pass ./fail
  assert_contains "$stderr" "shard 1/2 (CI_NODE_INDEX=2/CI_NODE_TOTAL=2 (1-based))"
  assert_eq "$(json_get "$REPORT" shard.index)" 1
  assert_eq "$(json_get "$REPORT" shard.count)" 2
}

@test "bad input: K >= N" {
  expect_bad_input "'3/3'" test --shard 3/3 ./pass
}

@test "bad input: N = 0" {
  expect_bad_input "'0/0'" test --shard 0/0 ./pass
}

@test "bad input: not K/N" {
  expect_bad_input "'half'" test --shard half ./pass
}

@test "bad input: a timings file that is not a testjail report" {
  echo '{"packages": 3}' >"$BATS_TEST_TMPDIR/t.json"
  expect_bad_input "$BATS_TEST_TMPDIR/t.json: not a testjail test report" \
    test --shard 0/2 --shard-timings "$BATS_TEST_TMPDIR/t.json" ./pass
  echo 'not json' >"$BATS_TEST_TMPDIR/t.json"
  expect_bad_input "$BATS_TEST_TMPDIR/t.json: not a testjail report" \
    test --shard 0/2 --shard-timings "$BATS_TEST_TMPDIR/t.json" ./pass
  expect_bad_input "$BATS_TEST_TMPDIR/none.json" \
    test --shard 0/2 --shard-timings "$BATS_TEST_TMPDIR/none.json" ./pass
}

@test "bad input: auto with no index in the environment" {
  expect_bad_input "JOB_COMPLETION_INDEX" test --shard auto --shard-count 2 ./pass
}

@test "bad input: JOB_COMPLETION_INDEX without --shard-count, or out of range" {
  JOB_COMPLETION_INDEX=1 expect_bad_input "--shard-count" test --shard auto ./pass
  JOB_COMPLETION_INDEX=2 expect_bad_input "JOB_COMPLETION_INDEX='2'" test --shard auto --shard-count 2 ./pass
}

@test "bad input: --shard-count or --shard-timings without --shard" {
  expect_bad_input "--shard-count needs --shard" test --shard-count 3 ./pass
}

@test "bad input after the shard is known: still one line (a package that does not exist)" {
  expect_bad_input "nosuchdir" test --shard 0/2 ./pass ./nosuchdir
}

@test "merge refuses reports of different package lists or versions, and non-shard reports, writing nothing" {
  tjt --shard 0/2 ./pass ./fail
  cp "$REPORT" "$BATS_TEST_TMPDIR/a.json"
  tjt --shard 1/2 ./pass ./fail ./notests
  cp "$REPORT" "$BATS_TEST_TMPDIR/b.json"
  local out="$BATS_TEST_TMPDIR/merged.json"
  expect_bad_input "b.json: a different package list" report merge "$out" "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
  [ ! -e "$out" ]
  sed 's/"testjail": "[^"]*"/"testjail": "9.9.9"/' "$BATS_TEST_TMPDIR/a.json" >"$BATS_TEST_TMPDIR/v.json"
  expect_bad_input "testjail 9.9.9" report merge "$out" "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/v.json"
  tjt ./pass
  expect_bad_input "without --shard" report merge "$out" "$REPORT"
  expect_bad_input "no SHARD.json" report merge "$out"
  expect_bad_input "'--frob'" report merge "$out" "$BATS_TEST_TMPDIR/a.json" --frob
  [ ! -e "$out" ]
}

@test "help: test --help names the shard options, report --help the merge" {
  run tj test --help
  assert_contains "$output" "--shard K/N|auto"
  assert_contains "$output" "--shard-count N"
  assert_contains "$output" "--shard-timings REPORT"
  run tj report --help
  assert_eq "$status" 0
  assert_contains "$output" "testjail report merge OUT.json SHARD.json... [--junit FILE]"
  assert_contains "$output" "testjail report merge --json OUT.jsonl SHARD.jsonl..."
  run tj help report
  assert_eq "$status" 0
  run tj --help
  assert_contains "$output" "report merge"
}
