#!/usr/bin/env bats
# What `testjail test` prints: go test's text and -v text, a go test -json
# stream that gotestsum reads, JUnit XML that xmllint accepts, the JSON report
# of several packages, -p with output grouped per package, and signals.
# v2vm: host only: what testjail test prints (go test's text, -json, JUnit, its flags), which no cgroup layout changes; an interrupted run's teardown is checked in the guests by bisect-memory's SIGINT and exec-signals; its thirty Go runs took a third of a guest under TCG

load common
load gotest

# go test's lines with the times taken out.
normalize() {
  sed -E -e 's/	[0-9]+\.[0-9]+s$//' -e 's/\([0-9]+\.[0-9]+s\)/(T)/' -e 's/^(ok  	[^	]*)	[0-9.]+s/\1/'
}

@test "default output is go test's, failures and all" {
  tjt ./fail ./pass
  assert_eq "$status" 1
  local want
  want="$(go test -count=1 ./fail ./pass 2>&1 | normalize)" || true
  assert_eq "$(normalize <<<"$output")" "$want"
}

@test "go test's text where the -test.v stream differs: an example's got/want, output without a final newline" {
  mkdir -p odd
  # Example_suffix: from Go 1.24 vet refuses ExampleX without an X
  printf '%s\n' 'package odd' 'import (' '"fmt"' '"testing"' ')' \
    'func TestNoNewline(t *testing.T) { fmt.Print("dots...") }' \
    'func TestFails(t *testing.T) { fmt.Print("half a line"); t.Error("boom") }' \
    'func Example_wrong() {' '	fmt.Println(1 + 2)' '	// Output: 4' '}' \
    'func Example_right() {' '	fmt.Println("x")' '	// Output: x' '}' >odd/odd_test.go
  tjt ./odd
  assert_eq "$status" 1
  local want
  want="$(go test -count=1 ./odd 2>&1 | normalize)" || true
  assert_contains "$want" "half a line--- FAIL: TestFails"
  assert_eq "$(normalize <<<"$output")" "$want"
  # the passing test still counts as one, not as output of the next
  assert_eq "$(json_get "$REPORT" packages.0.tests.passed)" 2 "tests passed"
}

@test "from a package directory of a module under /tmp: the module stays visible (read-only), the package directory writable" {
  local mod
  mod=$(mktemp -d /tmp/tj-mod.XXXXXX)
  TJ_CLEANUP_DIRS+=("$mod")
  mkdir -p "$mod/lib" "$mod/sub"
  printf 'module example.com/m\n\ngo 1.19\n' >"$mod/go.mod"
  printf '%s\n' 'package lib' 'func Two() int { return 2 }' >"$mod/lib/lib.go"
  printf '%s\n' 'package sub' 'import (' '"os"' '"testing"' '"example.com/m/lib"' ')' \
    'func TestModule(t *testing.T) {' \
    '	if lib.Two() != 2 { t.Fatal("lib") }' \
    '	if _, err := os.Stat("../go.mod"); err != nil { t.Fatal(err) }' \
    '	if err := os.WriteFile("../x", nil, 0o600); err == nil { t.Fatal("the module root is writable") }' \
    '	if err := os.WriteFile("here", nil, 0o600); err != nil { t.Fatal(err) }' \
    '}' >"$mod/sub/sub_test.go"
  cd "$mod/sub"
  tjt
  assert_test_result passed 0
  assert_contains "$output" "ok  	example.com/m/sub"
  [ -e "$mod/sub/here" ] || { echo "the test's file in its package directory is not there" >&2; return 1; }
  [ ! -e "$mod/x" ] || { echo "the module root was written to" >&2; return 1; }
}

@test "a module below a directory others may not search (a 0700 home): the module stays visible read-only, from its root and from a package directory" {
  local home="$TJ_WORK/home" mod
  mkdir -m 0700 "$home"
  mod="$home/m"
  mkdir -p "$mod/p" "$mod/testdata"
  printf 'module example.com/m\n\ngo 1.19\n' >"$mod/go.mod"
  echo data >"$mod/testdata/x.txt"
  printf '%s\n' 'package p' 'import (' '"os"' '"testing"' ')' \
    'func TestData(t *testing.T) {' \
    '	b, err := os.ReadFile("../testdata/x.txt")' \
    '	if err != nil || string(b) != "data\n" { t.Fatal(string(b), err) }' \
    '}' >"$mod/p/p_test.go"
  cd "$mod"
  tjt ./p
  assert_test_result passed 0
  cd p
  tjt .
  assert_test_result passed 0
}

@test "the module cache is visible read-only to the tests, also below a directory others may not search" {
  local home="$TJ_WORK/home"
  mkdir -m 0700 "$home"
  mkdir -p "$home/modcache/cache" "$TJ_WORK/mc/p"
  echo marker >"$home/modcache/cache/marker"
  printf 'module example.com/mc\n\ngo 1.19\n' >"$TJ_WORK/mc/go.mod"
  printf '%s\n' 'package p' 'import (' '"os"' '"path/filepath"' '"testing"' ')' \
    'func TestModCache(t *testing.T) {' \
    '	f := filepath.Join(os.Getenv("GOMODCACHE"), "cache", "marker")' \
    '	if _, err := os.ReadFile(f); err != nil { t.Fatal(err) }' \
    '	if err := os.WriteFile(f, nil, 0o600); err == nil { t.Fatal("the module cache is writable") }' \
    '}' >"$TJ_WORK/mc/p/p_test.go"
  cd "$TJ_WORK/mc"
  GOMODCACHE="$home/modcache" tjt ./p
  assert_test_result passed 0
}

@test "go test's build flags in TESTFLAGS: -tags reaches the build; -cover's ok lines and -coverprofile's file are go test's" {
  mkdir -p tagged
  printf '%s\n' 'package tagged' 'func Half(n int) int {' '	if n < 0 {' '		return -(-n / 2)' '	}' '	return n / 2' '}' \
    >tagged/tagged.go
  printf '%s\n' '//go:build special' 'package tagged' 'import "testing"' \
    'func TestTagged(t *testing.T) { if Half(4) != 2 { t.Fatal("half") } }' >tagged/tagged_test.go
  tjt ./tagged ./pass -- -tags special -coverprofile "$BATS_TEST_TMPDIR/tj.out"
  assert_test_result passed 0
  local want
  want="$(go test -count=1 ./tagged ./pass -tags special -coverprofile "$BATS_TEST_TMPDIR/go.out" 2>&1 | normalize)"
  assert_contains "$want" "coverage: 66.7% of statements"
  assert_eq "$(normalize <<<"$output")" "$want"
  assert_eq "$(cat "$BATS_TEST_TMPDIR/tj.out")" "$(cat "$BATS_TEST_TMPDIR/go.out")" "the merged profile"
  assert_eq "$(json_get "$REPORT" packages.0.tests.passed)" 1 "TestTagged ran"
  # no package built: the profile holds the mode line only, as go test's
  tjt ./buildfail -- -covermode count -coverprofile "$BATS_TEST_TMPDIR/none.out"
  assert_eq "$status" 2
  go test -count=1 ./buildfail -covermode count -coverprofile "$BATS_TEST_TMPDIR/go-none.out" >/dev/null 2>&1 || true
  assert_eq "$(cat "$BATS_TEST_TMPDIR/none.out")" "$(cat "$BATS_TEST_TMPDIR/go-none.out")" "the profile of no package"
  assert_eq "$(cat "$BATS_TEST_TMPDIR/none.out")" "mode: count"
}

@test "go test's test flags in GOFLAGS apply, as under go test; TESTFLAGS win" {
  GOFLAGS="-run=TestUpper -v" tjt ./pass
  assert_test_result passed 0
  assert_contains "$output" "=== RUN   TestUpper"
  assert_not_contains "$output" "TestTable"
  GOFLAGS="-run=TestUpper" tjt ./pass -- -run TestTable -v
  assert_contains "$output" "=== RUN   TestTable"
  assert_not_contains "$output" "TestUpper"
}

@test "-race: a data race fails its test, as under go test" {
  mkdir -p racy
  printf '%s\n' 'package racy' 'import (' '"sync"' '"testing"' ')' \
    'func TestRace(t *testing.T) {' '	x := 0' '	var wg sync.WaitGroup' '	for i := 0; i < 2; i++ {' \
    '		wg.Add(1)' '		go func() { defer wg.Done(); x++ }()' '	}' '	wg.Wait()' '}' >racy/racy_test.go
  # a cold cache builds the race runtime of the standard library first
  TJ_TIMEOUT=300 tjt ./racy -- -race
  assert_test_result tests_failed 1
  assert_contains "$output" "WARNING: DATA RACE"
  assert_contains "$output" "--- FAIL: TestRace"
  # -test.v prints the race's message a second time (Go 1.19); go test's text has it once
  assert_eq "$(grep -c 'race detected during execution of test' <<<"$output")" 1 "the message, once"
}

@test "passing packages' output, as go test shows it: its local directory mode, -bench and -list" {
  mkdir -p bench
  printf '%s\n' 'package bench' 'import (' '"fmt"' '"os"' '"testing"' ')' \
    'func TestMain(m *testing.M) { fmt.Println("main: before"); c := m.Run(); fmt.Println("main: after"); os.Exit(c) }' \
    'func TestQuiet(t *testing.T) { t.Log("not shown") }' \
    'func BenchmarkNothing(b *testing.B) { for i := 0; i < b.N; i++ {} }' >bench/bench_test.go
  local numbers='s/[0-9]+(\.[0-9]+)? ns\/op/N ns\/op/; s/^(Benchmark[^ 	]*)[ 	]+[0-9]+/\1 N/; s/[ 	]+/ /g'
  tjt ./bench ./pass -- -run XXX -bench . -benchtime 1x
  assert_test_result passed 0
  local want
  want="$(go test -count=1 ./bench ./pass -run XXX -bench . -benchtime 1x 2>&1 | normalize | sed -E "$numbers")"
  assert_contains "$want" "BenchmarkNothing"
  assert_eq "$(normalize <<<"$output" | sed -E "$numbers")" "$want"
  tjt ./bench ./pass -- -list .
  assert_test_result passed 0
  want="$(go test -count=1 ./bench ./pass -list . 2>&1 | normalize)"
  assert_contains "$want" "TestQuiet"
  assert_eq "$(normalize <<<"$output")" "$want"
  cd bench
  tjt -- -run XXX
  assert_test_result passed 0
  want="$(go test -count=1 -run XXX 2>&1 | normalize)"
  assert_contains "$want" "main: after"
  assert_contains "$want" "no tests to run"
  assert_eq "$(normalize <<<"$output")" "$want"
  # go test streams here and so prints the failure's exit status
  cd ../fail
  tjt
  assert_eq "$status" 1
  want="$(go test -count=1 2>&1 | normalize)" || true
  assert_contains "$want" "exit status 1"
  assert_eq "$(normalize <<<"$output")" "$want"
}

@test "-fuzz: the binary built for fuzzing, its corpus cache in GOCACHE, the failing input written to testdata as go test writes it" {
  mkdir -p fuzzy
  printf '%s\n' 'package fuzzy' 'import "testing"' \
    'func FuzzOnlyA(f *testing.F) {' '	f.Add("a")' \
    '	f.Fuzz(func(t *testing.T, s string) { if s != "a" { t.Fatalf("not a: %q", s) } })' '}' >fuzzy/fuzzy_test.go
  tjt ./fuzzy -- -run XXX -fuzz FuzzOnlyA -fuzztime 60s
  assert_test_result tests_failed 1
  assert_contains "$output" "--- FAIL: FuzzOnlyA"
  assert_contains "$output" "Failing input written to testdata/fuzz/FuzzOnlyA/"
  assert_eq "$(ls fuzzy/testdata/fuzz/FuzzOnlyA | wc -l)" 1 "the failing input in the package directory"
  assert_eq "$(json_get "$REPORT" packages.0.tests.failed_names.0)" FuzzOnlyA "the failed test"
}

@test "a test that reads stdin gets EOF, as under go test, not testjail's stdin" {
  mkdir -p stdin
  printf '%s\n' 'package stdin' 'import (' '"io"' '"os"' '"testing"' ')' \
    'func TestStdin(t *testing.T) {' '	b, err := io.ReadAll(os.Stdin)' \
    '	if err != nil || len(b) != 0 { t.Fatalf("stdin gave %q %v", b, err) }' '}' >stdin/stdin_test.go
  tjt ./stdin <<<"typed at testjail"
  assert_test_result passed 0
}

@test "a TMPDIR the sandbox cannot show: the build and t.TempDir() use the private /tmp" {
  # outside /tmp: read-only inside, except what testjail binds
  local host
  host=$(mktemp -d /var/tmp/tj-tmpdir.XXXXXX)
  mkdir -p tempdir
  printf '%s\n' 'package tempdir' 'import (' '"os"' '"testing"' ')' \
    'func TestTempDir(t *testing.T) {' \
    '	if err := os.WriteFile(t.TempDir()+"/f", []byte("x"), 0o600); err != nil {' '		t.Fatal(err)' '	}' '}' \
    >tempdir/tempdir_test.go
  TMPDIR=$host tjt ./tempdir
  local left
  left=$(ls -A "$host")
  rm -rf "$host"
  assert_test_result passed 0
  assert_eq "$left" "" "testjail's work directory under TMPDIR"
}

@test "-v output is go test -v's" {
  tjt -v ./fail
  assert_eq "$status" 1
  local want
  want="$(go test -count=1 -v ./fail 2>&1 | normalize)" || true
  assert_eq "$(normalize <<<"$output")" "$want"
}

@test "-v in TESTFLAGS, -run without the test. prefix" {
  tjt ./fail -- -v -run 'TestPasses|TestArithmetic'
  assert_eq "$status" 1
  assert_contains "$output" "=== RUN   TestPasses"
  assert_not_contains "$output" "TestTable"
}

@test "go test's flags before and among the packages, as go test takes them" {
  tjt -run 'TestPasses|TestArithmetic' -count=1 -v ./fail --memory 256M
  assert_eq "$status" 1
  local want
  want="$(go test -run 'TestPasses|TestArithmetic' -count=1 -v ./fail 2>&1 | normalize)" || true
  assert_eq "$(normalize <<<"$output")" "$want"
  assert_eq "$(json_get "$REPORT" packages.0.limits.memory_bytes)" 268435456 "--memory among them"
  tjt -race -timeout 30s ./pass
  assert_test_result passed 0
  # a word after a go test flag that follows the packages is the test
  # binary's: go test tests ./pass alone here
  tjt ./pass -count=1 ./fail
  assert_test_result passed 0
  want="$(go test ./pass -count=1 ./fail 2>&1 | normalize)"
  assert_eq "$(normalize <<<"$output")" "$want"
  assert_eq "$(json_get "$REPORT" packages.1)" "" "one package"
}

@test "-json as go test spells it, before and among the packages and after '--'" {
  local args
  for args in "-json ./pass" "./pass -json ./fail" "./pass -- -json" "-json=true ./pass -- --json"; do
    # shellcheck disable=SC2086
    tjt $args
    "$PYTHON3" - "$output" "$args" <<'PY'
import json, sys
events = [json.loads(l) for l in sys.argv[1].splitlines()]
ends = {e["Package"]: e["Action"] for e in events if "Test" not in e and e["Action"] in ("pass", "fail")}
assert ends.get("example.com/examples/pass") == "pass", (sys.argv[2], ends)
assert ("./fail" in sys.argv[2]) == ("example.com/examples/fail" in ends), (sys.argv[2], ends)
PY
  done
}

@test "--json: gotestsum counts the same as for go test -json" {
  require_cmd gotestsum
  local pkgs=(./pass ./fail ./notests ./panic ./buildfail)
  run --separate-stderr gotestsum --format dots --raw-command -- "$TESTJAIL" test --json "${pkgs[@]}"
  local ours="$output" ours_status=$status
  run --separate-stderr gotestsum --format dots -- -count=1 "${pkgs[@]}"
  local theirs="$output"
  # testjail's code for build_failed is the contract's 2; from Go 1.20 on,
  # go test -json ends a package that did not build with a fail event (one
  # failure more) and exits 1, where it was 2
  assert_eq "$ours_status" 2 "gotestsum's exit status"
  if [ "$(go_minor)" -ge 20 ]; then
    assert_eq "$status" 1 "gotestsum's exit status for go test"
    assert_contains "$theirs" "DONE 12 tests, 1 skipped, 5 failures"
  else
    assert_eq "$status" 2 "gotestsum's exit status for go test"
    assert_contains "$theirs" "DONE 12 tests, 1 skipped, 4 failures"
  fi
  assert_eq "$(grep '^DONE' <<<"$ours" | sed 's/ in .*//')" "$(grep '^DONE' <<<"$theirs" | sed 's/ in .*//')"
  assert_nothing_left_test
}

@test "--json: every line is an event; the verdict rides as output" {
  tjt --json --memory 64M ./oom ./pass
  assert_eq "$status" 3
  "$PYTHON3" - "$output" <<'PY'
import json, sys
events = [json.loads(l) for l in sys.argv[1].splitlines()]
assert all(e["Action"] in ("start", "run", "pause", "cont", "pass", "fail", "skip", "output") for e in events)
assert all("Time" in e and "Package" in e for e in events)
last = {}
for e in events:
    if "Test" not in e and e["Action"] != "output":
        last[e["Package"]] = e["Action"]
assert last == {"example.com/examples/oom": "fail", "example.com/examples/pass": "pass"}, last
assert any(e["Action"] == "output" and "OOM killed" in e["Output"] and "TestHugeAlloc" in e["Output"]
           for e in events if e["Package"] == "example.com/examples/oom")
assert any(e["Action"] == "run" and e.get("Test") == "TestHugeAlloc" for e in events)
PY
}

@test "--json: a kill fails the test it cut short with its reason and time, as gotestsum and its JUnit show it" {
  require_cmd gotestsum
  require_cmd xmllint
  run --separate-stderr gotestsum --format testname --junitfile "$TJ_WORK/j.xml" --raw-command -- \
    "$TESTJAIL" test --json --env "TJMARK=$MARKER" --memory 64M ./oom
  assert_eq "$status" 3 "gotestsum's exit status; output: $output"
  # gotestsum's summary: the test, its time, then its output with the reason
  grep -A1 -E '^=== FAIL: .*oom TestHugeAlloc \([0-9]+\.[0-9]+s\)$' <<<"$output" | grep -q 'OOM killed: .* while running TestHugeAlloc' ||
    { echo "output: $output" >&2; return 1; }
  assert_not_contains "$output" "(-1.00s)"
  assert_not_contains "$output" "(unknown)"
  local tc='//testcase[@name="TestHugeAlloc"]'
  [[ "$(xmllint --xpath "string($tc/failure)" "$TJ_WORK/j.xml")" == *"OOM killed: "*" while running TestHugeAlloc"* ]] ||
    { cat "$TJ_WORK/j.xml" >&2; return 1; }
  assert_eq "$(xmllint --xpath "number($tc/@time) >= 0" "$TJ_WORK/j.xml")" true
  assert_nothing_left_test
}

@test "--json is go test -json of the same Go release, event for event, times aside" {
  local pkgs=(./pass ./fail ./panic ./notests ./buildfail ./exit255)
  run --separate-stderr go test -json -count=1 "${pkgs[@]}"
  echo "$output" >"$TJ_WORK/theirs.json"
  tjt --json "${pkgs[@]}"
  echo "$output" >"$TJ_WORK/ours.json"
  "$PYTHON3" - "$TJ_WORK/theirs.json" "$TJ_WORK/ours.json" <<'PY'
import json, re, sys
def events(path):
    out = []
    for line in open(path):
        line = line.rstrip("\n")
        if not line:
            continue
        if not line.startswith("{"):
            out.append(("text", "", None, re.sub(r"\d+\.\d+s", "T", line), None))
            continue
        e = json.loads(line)
        o = e.get("Output", "")
        if o.startswith("testjail: "):
            continue  # testjail's added diagnosis events
        o = re.sub(r"\d+\.\d+s", "T", o)
        # the goroutine dump of a panic differs by addresses and ids
        o = re.sub(r"0x[0-9a-f]+", "X", o)
        o = re.sub(r"goroutine \d+", "goroutine N", o)
        o = re.sub(r":\d+ \+X", ":L +X", o)
        out.append((e["Action"], e.get("Package") or e.get("ImportPath"), e.get("Test"), o, e.get("FailedBuild")))
    return out
def by_package(evs):
    # go builds packages side by side: a build's events may come before an
    # earlier package's; within a package the order is the contract
    groups = {}
    for e in evs:
        groups.setdefault(e[1], []).append(e)
    return [(k, e) for k in sorted(groups, key=str) for e in groups[k]]
theirs, ours = by_package(events(sys.argv[1])), by_package(events(sys.argv[2]))
if theirs != ours:
    import difflib
    sys.exit("\n".join(difflib.unified_diff([repr(x) for x in theirs], [repr(x) for x in ours], "go test -json", "testjail --json", lineterm="")))
PY
}

@test "the test binary is named after its package, as go test names it (ps, pgrep, stack traces)" {
  local d n
  for d in deep/strings tool/v2 a/util b/util; do
    n=$(basename "$d")
    [ "$n" != v2 ] || n=tool
    mkdir -p "$d"
    printf '%s\n' "package $n" 'import ("os"; "path/filepath"; "strings"; "testing")' \
      'func TestName(t *testing.T) {' '	comm, _ := os.ReadFile("/proc/self/comm")' \
      '	t.Logf("binary %s comm %s", filepath.Base(os.Args[0]), strings.TrimSpace(string(comm)))' '}' \
      >"$d/name_test.go"
  done
  tjt -v ./deep/strings ./tool/v2 ./a/util ./b/util
  assert_test_result passed 0
  local want
  want="$(go test -count=1 -v ./deep/strings ./tool/v2 ./a/util ./b/util 2>&1 | grep 'binary ')"
  assert_eq "$(grep 'binary ' <<<"$output")" "$want"
  assert_contains "$output" "binary strings.test comm strings.test"
  assert_contains "$output" "binary tool.test comm tool.test"
  # built alone (not by the shared build), and by bisect-memory
  tjt --build-timeout 5m -v ./deep/strings
  assert_contains "$output" "binary strings.test comm strings.test"
  run --separate-stderr tj bisect-memory --tolerance 16M ./deep/strings -- -v
  assert_eq "$status" 0 "bisect-memory: $stderr"
}

@test "a failing test that prints invalid UTF-8 and NUL bytes: tests_failed, and every report is well-formed" {
  mkdir -p rawbytes
  printf '%s\n' 'package rawbytes' 'import (' '"os"' '"testing"' ')' \
    'func TestBytes(t *testing.T) {' '	os.Stdout.Write([]byte("raw \xff\xfe and \x00 here\n"))' \
    '	t.Fatal("cut \xc3")' '}' >rawbytes/rawbytes_test.go
  tjt --junit j.xml ./rawbytes
  assert_test_result tests_failed 1
  assert_eq "$(json_get "$REPORT" packages.0.tests.failed_names)" '["TestBytes"]'
  # the bytes are seen, each bad one as U+FFFD
  "$PYTHON3" -c 'import json,sys; t=json.load(open(sys.argv[1]))["packages"][0]["output_tail"]; sys.exit(0 if any("raw \ufffd\ufffd and" in l for l in t) else 1)' "$REPORT" ||
    { echo "output_tail: $(json_get "$REPORT" packages.0.output_tail)" >&2; return 1; }
  xmllint --noout j.xml
  run --separate-stderr tj test --json ./rawbytes
  assert_eq "$status" 1
  "$PYTHON3" -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <<<"$output"
}

@test "--junit: well-formed, a testsuite per package, the verdict as an error" {
  require_cmd xmllint
  tjt --junit "$TJ_WORK/junit.xml" --memory 64M ./oom ./fail ./pass ./buildfail
  assert_eq "$status" 3
  xmllint --noout "$TJ_WORK/junit.xml"
  assert_eq "$(xmllint --xpath 'count(//testsuite)' "$TJ_WORK/junit.xml")" 4
  assert_eq "$(xmllint --xpath 'string(//testcase[@name="TestHugeAlloc"]/error/@type)' "$TJ_WORK/junit.xml")" oom_killed
  assert_eq "$(xmllint --xpath 'count(//testcase[@name="TestArithmetic"]/failure)' "$TJ_WORK/junit.xml")" 1
  assert_eq "$(xmllint --xpath 'string(//testsuite[@name="example.com/examples/buildfail"]//error/@type)' "$TJ_WORK/junit.xml")" build_failed
  assert_nothing_left_test
}

@test "--report of several packages: one entry each, the contract's order decides" {
  tjt --memory 64M ./pass ./fail ./oom ./buildfail ./notests
  assert_eq "$status" 3
  assert_outcome "$REPORT" oom_killed
  assert_eq "$(json_get "$REPORT" mode)" test
  assert_eq "$(json_get "$REPORT" host.go)" "$(go env GOVERSION)"
  "$PYTHON3" - "$REPORT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
got = [(p["package"].rsplit("/", 1)[1], p["phase"], p["outcome"], p["exit_code"]) for p in r["packages"]]
assert got == [("pass", "test", "passed", 0), ("fail", "test", "tests_failed", 1), ("oom", "test", "oom_killed", 3),
               ("buildfail", "build", "build_failed", 2), ("notests", "test", "passed", 0)], got
oom = r["packages"][2]
assert oom["limits"]["memory_bytes"] == 64 << 20 and oom["tests"]["running"] == ["TestHugeAlloc"], oom
PY
  # one diagnosis line for each package neither passed nor tests_failed
  assert_eq "$(diagnosis_lines)" 2
  assert_eq "${lines[-1]}" FAIL
  assert_nothing_left_test
}

@test "several packages end with a summary table on stderr, the diagnoses last; one package, --quiet or --json: none" {
  tjt --memory 64M ./oom ./panic ./pass
  assert_eq "$status" 3
  assert_not_contains "$output" "PEAK MEMORY"
  assert_eq "${lines[-1]}" FAIL
  local -a table
  mapfile -t table < <(tail -n 4 <<<"$stderr")
  [[ "${table[0]}" == "PACKAGE "*" OUTCOME "*" TIME "*" PEAK MEMORY "*" DIAGNOSIS" ]] || { echo "stderr: $stderr" >&2; return 1; }
  [[ "${table[1]}" =~ ^example\.com/examples/oom\ +oom_killed\ +[0-9]+\.[0-9]{3}s\ +[0-9.]+\ MiB\ +OOM\ killed:\ .*while\ running\ TestHugeAlloc$ ]] ||
    { echo "stderr: $stderr" >&2; return 1; }
  [[ "${table[2]}" =~ ^example\.com/examples/panic\ +tests_failed\ .*\ tests\ failed:\ TestIndex\ panicked ]] || { echo "stderr: $stderr" >&2; return 1; }
  [[ "${table[3]}" =~ ^example\.com/examples/pass\ +passed\ +[0-9]+\.[0-9]{3}s\ +[0-9.]+\ [KM]iB$ ]] || { echo "stderr: $stderr" >&2; return 1; }
  # the per-package diagnosis lines are as before: the OOM kill's, and the
  # panic's, said again after its stacks
  assert_eq "$(diagnosis_lines)" 2
  tjt --quiet --memory 64M ./oom ./panic ./pass
  assert_eq "$status" 3
  assert_not_contains "$stderr" "PEAK MEMORY"
  tjt --memory 64M ./oom
  assert_eq "$status" 3
  assert_not_contains "$stderr" "PEAK MEMORY"
  # --json: gotestsum would count each of its lines as an error
  tjt --json --memory 64M ./oom ./pass
  assert_eq "$status" 3
  assert_not_contains "$stderr$output" "PEAK MEMORY"
  assert_nothing_left_test
}

@test "build_failed outranks tests_failed" {
  tjt ./fail ./buildfail
  assert_eq "$status" 2
  assert_outcome "$REPORT" build_failed
}

@test "several packages: one go test builds them all; a package it could not build builds again alone" {
  tjt_go_logger
  local gobin=$GOLOG_DIR
  PATH="$gobin:$PATH" tjt --bind "$gobin" ./pass ./fail ./buildfail
  assert_eq "$status" 2 "stderr: $stderr"
  assert_eq "$(json_get "$REPORT" packages.0.outcome)" passed
  assert_eq "$(json_get "$REPORT" packages.1.outcome)" tests_failed
  assert_eq "$(json_get "$REPORT" packages.2.outcome)" build_failed
  # The build error is buildfail's own, as from a build of it alone.
  [[ "$stderr" == *"buildfail"*".go:"* ]] || { echo "stderr: $stderr" >&2; return 1; }
  local shared
  shared=$(grep -c -- '-exec=' "$gobin/log" || true)
  assert_eq "$shared" 1 "shared builds; log: $(cat "$gobin/log")"
  grep -- '-exec=' "$gobin/log" | grep -q -- ' ./pass ./fail ./buildfail$' ||
    { echo "log: $(cat "$gobin/log")" >&2; return 1; }
  assert_eq "$(grep -- 'test -c -o' "$gobin/log" | grep -c buildfail)" 1 "builds of buildfail alone"
  assert_eq "$(grep -c -- 'test -c -o' "$gobin/log")" 1 "builds alone; log: $(cat "$gobin/log")"
  assert_nothing_left_test
}

@test "-p 3: output grouped per package, in order, as with -p 1" {
  tjt -p 1 -v ./pass ./fail ./panic ./notests ./exit255
  local serial
  serial="$(normalize <<<"$output")"
  tjt -p 3 -v ./pass ./fail ./panic ./notests ./exit255
  assert_eq "$status" 7
  assert_eq "$(normalize <<<"$output" | sed 's/goroutine [0-9]*/goroutine N/; s/0x[0-9a-f]*/0xN/g')" \
    "$(sed 's/goroutine [0-9]*/goroutine N/; s/0x[0-9a-f]*/0xN/g' <<<"$serial")"
  assert_nothing_left_test
}

@test "SIGTERM: the sandboxes stop, the work directory goes, testjail dies of SIGTERM" {
  "$TESTJAIL" test --env "TJMARK=$MARKER" ./hang ./pass >"$TJ_WORK/out" 2>&1 3>&- &
  local pid=$!
  TJ_BG_PIDS+=("$pid")
  tj_record_pid "$pid"
  local i
  for i in $(seq 200); do
    pgrep -f 'testjail-.{6}/[0-9]+\.test' >/dev/null && break
    sleep 0.1
  done
  kill -TERM "$pid"
  local st=0
  wait "$pid" || st=$?
  assert_eq "$st" 143 "exit status (128+SIGTERM); output: $(cat "$TJ_WORK/out")"
  assert_nothing_left_test
}

@test "go test's -fullpath and -artifacts (Go 1.21, 1.26), before the package as go test takes them: full file names, t.ArtifactDir under _artifacts of the working directory" {
  [ "$(go_minor)" -ge 26 ] || skip_because "t.ArtifactDir needs Go 1.26, go here is $(go env GOVERSION)"
  mkdir -p "$TJ_WORK/art/p"
  printf 'module example.com/art\n\ngo 1.26\n' >"$TJ_WORK/art/go.mod"
  printf '%s\n' 'package p' 'import (' '"os"' '"path/filepath"' '"testing"' ')' \
    'func TestArtifact(t *testing.T) {' \
    '	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "out.txt"), []byte("kept"), 0o644); err != nil { t.Fatal(err) }' \
    '	t.Log("logged")' \
    '}' >"$TJ_WORK/art/p/p_test.go"
  cd "$TJ_WORK/art"
  tjt -fullpath -artifacts -v ./p
  assert_test_result passed 0
  assert_contains "$output" "    $TJ_WORK/art/p/p_test.go:9: logged"
  assert_contains "$output" "=== ARTIFACTS TestArtifact $TJ_WORK/art/_artifacts/"
  assert_eq "$(cat "$TJ_WORK"/art/_artifacts/*/out.txt)" kept
  # -outputdir names another directory, relative to where testjail runs
  mkdir out
  tjt -artifacts -outputdir out ./p
  assert_test_result passed 0
  assert_eq "$(cat "$TJ_WORK"/art/out/_artifacts/*/out.txt)" kept
  # without -artifacts the directory is a temporary one, as under go test
  rm -rf _artifacts
  tjt ./p
  assert_test_result passed 0
  [ ! -e _artifacts ]
}
