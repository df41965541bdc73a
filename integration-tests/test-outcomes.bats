#!/usr/bin/env bats
# `testjail test` on every example of examples/: the outcome, the exit code
# of the contract and the evidence that decided it, and nothing left behind.

load common
load gotest

@test "pass: passed, exit 0, go test's ok line, the tests counted" {
  tjt ./pass
  assert_test_result passed 0
  assert_contains "$output" "ok  	example.com/examples/pass	"
  assert_eq "$(diagnosis_lines)" 0 "no diagnosis for a pass"
  assert_eq "$(json_get "$REPORT" packages.0.phase)" test
  assert_eq "$(json_get "$REPORT" packages.0.tests.passed)" 4
  assert_eq "$(json_get "$REPORT" packages.0.tests.skipped)" 1
  assert_eq "$(json_get "$REPORT" packages.0.exit.code)" 0
  assert_nothing_left_test
}

@test "fail: tests_failed, exit 1, the failed tests named, no diagnosis line" {
  tjt ./fail
  assert_test_result tests_failed 1
  assert_contains "$output" "--- FAIL: TestArithmetic"
  assert_contains "$output" "    --- FAIL: TestTable/bad"
  assert_contains "$output" "FAIL	example.com/examples/fail	"
  assert_eq "$(diagnosis_lines)" 0
  assert_eq "$(json_get "$REPORT" packages.0.tests.failed_names)" '["TestArithmetic","TestTable","TestTable/bad"]'
  assert_contains "$(json_get "$REPORT" diagnosis)" TestArithmetic
  assert_nothing_left_test
}

@test "buildfail: build_failed, exit 2, phase build, the compiler's first error" {
  tjt ./buildfail
  assert_test_result build_failed 2
  assert_eq "$(json_get "$REPORT" packages.0.phase)" build
  assert_contains "$(json_get "$REPORT" diagnosis)" "buildfail_test.go:8:2: undefined: undefinedHelper"
  assert_contains "$(json_get "$REPORT" packages.0.evidence)" "buildfail_test.go:8:2"
  assert_contains "$output" "FAIL	example.com/examples/buildfail [build failed]"
  assert_contains "$stderr" "undefined: undefinedHelper"
  assert_nothing_left_test
}

@test "cgo without its C compiler: build_failed naming the compiler and both ways out" {
  tjt --env CC=no-such-cc ./cgo
  assert_test_result build_failed 2
  local d
  d="$(json_get "$REPORT" diagnosis)"
  assert_contains "$d" '"no-such-cc"'
  assert_contains "$d" "install"
  assert_contains "$d" "CGO_ENABLED=0"
  assert_nothing_left_test
}

@test "initpanic: init_panic, exit 7, the panic in the diagnosis" {
  tjt ./initpanic
  assert_test_result init_panic 7
  assert_contains "$(json_get "$REPORT" diagnosis)" "EXAMPLE_CONFIG is not set"
  assert_eq "$(json_get "$REPORT" packages.0.exit.code)" 2
  assert_nothing_left_test
}

@test "testtimeout: test_timeout, exit 6, Go's own panic, the test named" {
  tjt ./testtimeout -- -timeout 2s
  assert_test_result test_timeout 6
  local d
  d="$(json_get "$REPORT" diagnosis)"
  assert_contains "$d" "test timed out after 2s"
  assert_contains "$d" TestSlow
  assert_nothing_left_test
}

@test "deadlock: deadlock, exit 1, the test named, later tests never ran" {
  tjt ./deadlock -- -timeout 0
  assert_test_result deadlock 1
  local d
  d="$(json_get "$REPORT" diagnosis)"
  assert_contains "$d" TestWaitsForever
  assert_contains "$d" "later tests never ran"
  assert_nothing_left_test
}

@test "exit255: exit_nonzero, exit 7, status 255 before any test" {
  tjt ./exit255
  assert_test_result exit_nonzero 7
  assert_eq "$(json_get "$REPORT" packages.0.exit.code)" 255
  assert_contains "$(json_get "$REPORT" diagnosis)" "status 255"
  assert_contains "$output" "exit status 255"
  assert_nothing_left_test
}

@test "oom: oom_killed, exit 3, the running test and the peak memory" {
  tjt --memory 64M ./oom
  assert_test_result oom_killed 3
  assert_contains "$(json_get "$REPORT" diagnosis)" "while running TestHugeAlloc"
  assert_contains "$(json_get "$REPORT" diagnosis)" "of the 64 MiB limit"
  assert_eq "$(json_get "$REPORT" packages.0.tests.running)" '["TestHugeAlloc"]'
  local peak
  peak="$(json_get "$REPORT" packages.0.usage.memory_peak_bytes)"
  [ "$peak" -ge $((60 << 20)) ] || { echo "peak $peak" >&2; return 1; }
  [ "$(json_get "$REPORT" packages.0.usage.oom_kills)" -ge 1 ]
  assert_nothing_left_test
}

@test "go test -exec 'testjail exec --memory 64M --': testjail's OOM diagnosis in go test's output; -coverprofile reaches go test" {
  run --separate-stderr go test -count=1 -exec "$TESTJAIL exec --env TJMARK=$MARKER --memory 64M --" ./oom
  assert_eq "$status" 1
  assert_contains "$stderr$output" "testjail: OOM killed"
  assert_contains "$output" "FAIL	example.com/examples/oom"
  # the binary writes its profile into go's work dir under the host's /tmp
  mkdir -p covered
  printf '%s\n' 'package covered' 'func Half(n int) int { return n / 2 }' >covered/covered.go
  printf '%s\n' 'package covered' 'import "testing"' 'func TestHalf(t *testing.T) { if Half(4) != 2 { t.Fatal() } }' \
    >covered/covered_test.go
  run -0 go test -count=1 -exec "$TESTJAIL exec --env TJMARK=$MARKER --" -coverprofile "$BATS_TEST_TMPDIR/c.out" ./covered
  assert_contains "$output" "coverage: 100.0% of statements"
  assert_contains "$(cat "$BATS_TEST_TMPDIR/c.out")" "covered/covered.go:2."
  # and a directory it is told to write in (-test.outputdir), there too
  mkdir "$BATS_TEST_TMPDIR/prof"
  run -0 go test -count=1 -exec "$TESTJAIL exec --env TJMARK=$MARKER --" -cpuprofile cpu.out \
    -outputdir "$BATS_TEST_TMPDIR/prof" ./covered
  [ -s "$BATS_TEST_TMPDIR/prof/cpu.out" ] || { echo "no CPU profile in -outputdir: $output" >&2; return 1; }
  assert_nothing_left_test
}

@test "go test -exec 'testjail exec --' -fuzz: the corpus cache in GOCACHE is written, the failing input found and named once" {
  mkdir -p fuzzexec
  printf '%s\n' 'package fuzzexec' 'import "testing"' \
    'func FuzzExec(f *testing.F) {' '	f.Add("a")' \
    '	f.Fuzz(func(t *testing.T, s string) { if s != "a" { t.Fatalf("not a: %q", s) } })' '}' >fuzzexec/fuzz_test.go
  local cache
  cache="$(go env GOCACHE)/fuzz/example.com/examples/fuzzexec"
  rm -rf "$cache"
  run --separate-stderr go test -count=1 -exec "$TESTJAIL exec --env TJMARK=$MARKER --" -run XXX \
    -fuzz FuzzExec -fuzztime 60s ./fuzzexec
  local made=no
  [ -d "$cache" ] && made=yes
  rm -rf "$cache"
  assert_eq "$status" 1
  assert_not_contains "$output" "read-only file system"
  assert_contains "$output" "Failing input written to testdata/fuzz/FuzzExec/"
  assert_eq "$made" yes "the corpus cache directory go test names"
  assert_contains "$stderr$output" "testjail: tests failed: FuzzExec"
  assert_not_contains "$stderr$output" "FuzzExec, FuzzExec"
  assert_nothing_left_test
}

@test "oom under an address-space limit: rlimit_as, exit 5" {
  tjt --ulimit as=1G ./oom
  assert_test_result rlimit_as 5
  assert_contains "$(json_get "$REPORT" diagnosis)" TestHugeAlloc
  assert_nothing_left_test
}

@test "pids: pids_limit, exit 5, the limit and the test named" {
  require_controller pids
  tjt --pids-limit 32 ./pids
  assert_test_result pids_limit 5
  assert_contains "$(json_get "$REPORT" diagnosis)" "limit of 32"
  assert_contains "$(json_get "$REPORT" diagnosis)" TestManyThreads
  assert_nothing_left_test
}

@test "nofile: rlimit_nofile, exit 5" {
  tjt --ulimit nofile=64 ./nofile
  assert_test_result rlimit_nofile 5
  assert_contains "$(json_get "$REPORT" diagnosis)" "RLIMIT_NOFILE 64:64"
  assert_nothing_left_test
}

@test "fsize: rlimit_fsize, exit 5" {
  tjt --ulimit fsize=1M ./fsize
  assert_test_result rlimit_fsize 5
  assert_contains "$(json_get "$REPORT" diagnosis)" "file too large"
  assert_nothing_left_test
}

@test "cputime: rlimit_cpu, exit 5, the test named" {
  tjt --ulimit cpu=1 ./cputime
  assert_test_result rlimit_cpu 5
  assert_contains "$(json_get "$REPORT" diagnosis)" TestSpin
  assert_nothing_left_test
}

@test "hang: timeout, exit 6, Go's stack dump, the test named" {
  tjt --wall-timeout 2s ./hang
  assert_test_result timeout 6
  assert_contains "$(json_get "$REPORT" diagnosis)" TestHangs
  assert_contains "$output" "SIGQUIT: quit"
  assert_contains "$output" "hang_test.go"
  assert_nothing_left_test
}

@test "panic: tests_failed, exit 1, the panicking test named" {
  tjt ./panic
  assert_test_result tests_failed 1
  assert_contains "$(json_get "$REPORT" diagnosis)" TestIndex
  assert_eq "$(json_get "$REPORT" packages.0.exit.code)" 2
  # its --- FAIL line came before the binary died: failed, and running then
  assert_eq "$(json_get "$REPORT" packages.0.tests.failed)" 1 "tests failed"
  assert_eq "$(json_get "$REPORT" packages.0.tests.failed_names.0)" TestIndex "failed_names"
  assert_eq "$(json_get "$REPORT" packages.0.tests.running.0)" TestIndex "running"
  # the reason, said again after the stacks
  assert_eq "$stderr" "testjail: example.com/examples/panic: $(json_get "$REPORT" diagnosis)"
  assert_nothing_left_test
}

@test "a crash printing 3000 goroutines' stacks: the diagnosis is said again after them, and in the summary" {
  mkdir -p crash
  cat >crash/crash_test.go <<'GO'
package crash

import (
	"runtime/debug"
	"sync"
	"testing"
)

func TestCrash(t *testing.T) {
	debug.SetTraceback("all")
	var wg sync.WaitGroup
	block := make(chan struct{})
	for i := 0; i < 3000; i++ {
		wg.Add(1)
		go func() { wg.Done(); <-block }()
	}
	wg.Wait()
	panic("boom")
}
GO
  tjt ./crash
  assert_test_result tests_failed 1
  [ "${#lines[@]}" -gt 6000 ] || { echo "only ${#lines[@]} lines of output" >&2; return 1; }
  assert_eq "${lines[-2]}" "FAIL	example.com/examples/crash	${lines[-2]##*	}"
  # one line (Go 1.23+ adds " [recovered, repanicked]" to the panic's)
  [[ "$stderr" == "testjail: example.com/examples/crash: tests failed: TestCrash panicked: panic: boom"* ]] &&
    [[ "$stderr" != *$'\n'* ]] || { echo "stderr: $stderr" >&2; return 1; }
  # several packages: in the summary table too, its last row
  tjt ./pass ./crash
  assert_eq "$status" 1
  [[ "$(tail -n1 <<<"$stderr")" =~ ^example\.com/examples/crash\ +tests_failed\ .*tests\ failed:\ TestCrash\ panicked:\ panic:\ boom ]] ||
    { echo "stderr: $(tail -n5 <<<"$stderr")" >&2; return 1; }
  assert_nothing_left_test
}

@test "signaled: signaled, exit 7, the test named" {
  tjt ./signaled
  assert_test_result signaled 7
  assert_contains "$(json_get "$REPORT" diagnosis)" TestKilled
  assert_eq "$(json_get "$REPORT" packages.0.exit.signal)" SIGKILL
  assert_nothing_left_test
}

@test "a fatal signal the Go runtime catches (exit status 2): signaled, exit 7, the signal named as sent, the test named" {
  mkdir -p sent
  printf '%s\n' 'package sent' 'import (' '"syscall"' '"testing"' ')' \
    'func TestSent(t *testing.T) { syscall.Kill(syscall.Getpid(), syscall.SIGSEGV); select {} }' >sent/sent_test.go
  tjt ./sent
  assert_test_result signaled 7
  assert_eq "$(json_get "$REPORT" packages.0.exit.code)" 2
  assert_contains "$(json_get "$REPORT" diagnosis)" "SIGSEGV, sent"
  assert_contains "$(json_get "$REPORT" diagnosis)" TestSent
  assert_nothing_left_test
}

@test "notests: reported as go test does, not a failure" {
  tjt ./notests
  assert_test_result passed 0
  assert_contains "$output" "?   	example.com/examples/notests	[no test files]"
  assert_nothing_left_test
}

@test "a build over --build-memory: oom_killed in phase build" {
  # a cold cache: the compiler needs far more than 16 MiB
  mkdir "$TJ_WORK/gocache"
  GOCACHE="$TJ_WORK/gocache" tjt --build-memory 16M ./pass
  assert_test_result oom_killed 3
  assert_eq "$(json_get "$REPORT" packages.0.phase)" build
  assert_contains "$(json_get "$REPORT" diagnosis)" "--build-memory"
  assert_nothing_left_test
}

@test "a build over --build-timeout: timeout in phase build" {
  tjt --build-timeout 50ms ./pass
  assert_test_result timeout 6
  assert_eq "$(json_get "$REPORT" packages.0.phase)" build
  assert_contains "$(json_get "$REPORT" diagnosis)" "--build-timeout"
  assert_nothing_left_test
}

@test "a single package whose build hangs: built once, alone, so it hangs once" {
  # Builds hang; go env and go list run as they are.
  tjt_go_logger hang
  local gobin=$GOLOG_DIR
  PATH="$gobin:$PATH" tjt --bind "$gobin" --build-timeout 2s --grace 100ms ./pass
  assert_test_result timeout 6
  assert_eq "$(json_get "$REPORT" packages.0.phase)" build
  assert_eq "$(grep -c '^test ' "$gobin/log")" 1 "builds; log: $(cat "$gobin/log")"
  assert_nothing_left_test
}

# A name for a work directory as testjail makes them: owner pid, its start
# time, then this pid namespace's tag and a random half.
workdir_name() {
  printf 'testjail-%s-%s-%08x%08x' "$1" "$2" "$(stat -L -c %i /proc/self/ns/pid)" "$RANDOM"
}

@test "work directories of testjails that are gone are collected by the next run and by doctor --gc; others stay" {
  local tmp="$TJ_WORK/tmp" dead
  mkdir "$tmp"
  true &
  dead=$!
  wait "$dead"
  local stale="$tmp/$(workdir_name "$dead" 12345)"
  local live="$tmp/$(workdir_name $$ "$(awk '{print $22}' /proc/$$/stat)")"
  local foreign="$tmp/$(workdir_name "$dead" 12346)"
  mkdir -p "$stale/0" "$live" "$foreign"
  echo binary >"$stale/0/pass.test"
  ln -s /etc "$stale/link"
  chown 65534:65534 "$foreign"
  TMPDIR="$tmp" tjt ./pass
  assert_test_result passed 0
  [ ! -e "$stale" ] || { echo "the dead testjail's work directory is still there" >&2; return 1; }
  [ -e /etc/passwd ] || { echo "a symlink was followed" >&2; return 1; }
  [ -d "$live" ] || { echo "a live testjail's work directory was removed" >&2; return 1; }
  [ -d "$foreign" ] || { echo "another user's directory was removed" >&2; return 1; }
  # none of this run's own
  assert_eq "$(find "$tmp" -mindepth 1 -maxdepth 1 | wc -l)" 2 "left in TMPDIR: $(ls "$tmp")"
  mkdir -p "$stale/0"
  TMPDIR="$tmp" run -0 --separate-stderr tj doctor --gc
  assert_contains "$output" "removed 1 stale testjail work directory"
  [ ! -e "$stale" ]
  rmdir "$live" "$foreign"
}
