#!/usr/bin/env bats
# The default profile denies ptrace, mount, unshare(CLONE_NEWUSER), keyctl
# and bpf: each denial is named in the report with the Go test that made it,
# and the run that failed after them is seccomp_denied (exit 4).

load common
load gotest
load seccomp

@test "test: each denied syscall is named with its test, outcome seccomp_denied" {
  tjt ./seccomp
  assert_test_result seccomp_denied 4
  local s t
  for s in ptrace:TestPtrace mount:TestMount unshare:TestUnshareUser keyctl:TestKeyctl bpf:TestBpf; do
    t=${s#*:}
    s=${s%%:*}
    assert_eq "$(denial "$REPORT" packages.0 "$s" test)" "$t" "the test that called $s"
    assert_eq "$(denial "$REPORT" packages.0 "$s" errno)" EPERM
    assert_eq "$(denial "$REPORT" packages.0 "$s" count)" 1
    assert_eq "$(denial "$REPORT" packages.0 "$s" comm)" seccomp.test
    [ "$(denial "$REPORT" packages.0 "$s" pid)" -gt 0 ]
  done
  assert_eq "$(json_get "$REPORT" packages.0.seccomp.profile)" default
  assert_contains "$stderr" "testjail: example.com/examples/seccomp: seccomp denied ptrace (1x, in TestPtrace), mount (1x, in TestMount)"
  assert_contains "$stderr" ": the test failed after EPERM"
  assert_nothing_left_test
}

@test "test: one denial, one test: the diagnosis as the issue words it" {
  tjt ./seccomp -- -run 'TestPtrace$'
  assert_test_result seccomp_denied 4
  assert_contains "$stderr" "testjail: example.com/examples/seccomp: seccomp denied ptrace (1x, in TestPtrace): the test failed after EPERM"
  assert_eq "$(json_get "$REPORT" packages.0.diagnosis)" "seccomp denied ptrace (1x, in TestPtrace): the test failed after EPERM"
  assert_nothing_left_test
}

@test "test: a denial while tests run in parallel names the newest and keeps the others as suspects" {
  mkdir -p par
  # TestA makes the call once TestB runs too; the thread cannot tell which
  printf '%s\n' 'package par' 'import (' '"syscall"' '"testing"' ')' \
    'var started, done = make(chan struct{}), make(chan struct{})' \
    'func TestA(t *testing.T) {' '	t.Parallel()' '	<-started' \
    '	_, _, e := syscall.Syscall(syscall.SYS_KEYCTL, 0, 0, 0)' '	close(done)' \
    '	if e != syscall.EPERM { t.Fatalf("keyctl: %v", e) }' '}' \
    'func TestB(t *testing.T) {' '	t.Parallel()' '	close(started)' '	<-done' '}' >par/par_test.go
  # both at once even on one CPU (-parallel defaults to GOMAXPROCS)
  tjt ./par -- -parallel 2
  assert_test_result passed 0
  assert_eq "$(denial "$REPORT" packages.0 keyctl test)" TestB "the newest running test"
  assert_eq "$(denial "$REPORT" packages.0 keyctl parallel)" '["TestA"]' "the test running alongside"
  assert_contains "$stderr" "keyctl (1x, in TestB or the parallel TestA)"
}

@test "test: unconfined lets the same tests pass" {
  tjt --seccomp unconfined ./seccomp
  assert_test_result passed 0
  assert_eq "$(json_get "$REPORT" packages.0.seccomp.denials)" "[]"
  assert_eq "$(json_get "$REPORT" packages.0.seccomp.profile)" unconfined
  assert_nothing_left_test
}

@test "exec: a denial names the syscall and the process" {
  run --separate-stderr tj exec --report "$BATS_TEST_TMPDIR/r.json" -- "$TJHELPER" --tag="$MARKER" syscall ptrace
  assert_eq "$status" 1
  assert_outcome "$BATS_TEST_TMPDIR/r.json" seccomp_denied
  assert_eq "$(denial "$BATS_TEST_TMPDIR/r.json" "" ptrace comm)" tjhelper
  assert_eq "$(denial "$BATS_TEST_TMPDIR/r.json" "" ptrace pid)" 2 "the workload is pid 2 in the sandbox"
  [ "$(denial "$BATS_TEST_TMPDIR/r.json" "" ptrace host_pid)" -gt 2 ]
  assert_eq "$(denial "$BATS_TEST_TMPDIR/r.json" "" ptrace test)" null
  assert_contains "$stderr" "testjail: seccomp denied ptrace (1x): the command failed after EPERM"
  assert_nothing_left
}

@test "exec: a profile's errnoRet is the answer, and its kill action kills the sandbox" {
  write_profile p.json '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
    {"names":["ptrace"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
    {"names":["keyctl"],"action":"SCMP_ACT_KILL_PROCESS"}]}'
  run --separate-stderr tj exec --seccomp "$PWD/p.json" --report "$BATS_TEST_TMPDIR/r.json" -- "$TJHELPER" --tag="$MARKER" syscall ptrace
  assert_eq "$status" 1
  assert_contains "$output" "Permission denied"
  assert_eq "$(denial "$BATS_TEST_TMPDIR/r.json" "" ptrace errno)" EACCES
  run --separate-stderr tj exec --seccomp "$PWD/p.json" --report "$BATS_TEST_TMPDIR/r.json" -- "$TJHELPER" --tag="$MARKER" syscall keyctl
  assert_eq "$status" 137
  assert_outcome "$BATS_TEST_TMPDIR/r.json" seccomp_denied
  assert_eq "$(denial "$BATS_TEST_TMPDIR/r.json" "" keyctl action)" SCMP_ACT_KILL_PROCESS
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/r.json" seccomp.killed)" true
  assert_contains "$stderr" "seccomp denied keyctl (1x): the profile's SCMP_ACT_KILL_PROCESS killed the sandbox"
  assert_nothing_left
}

@test "init: unasked, the container's capabilities stay and no filter is loaded" {
  local want
  want=$(awk '/^CapEff/ {print $2}' /proc/self/status)
  run --separate-stderr tj init --report "$BATS_TEST_TMPDIR/r.json" -- sh -c 'grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status'
  assert_eq "$status" 0
  assert_contains "$output" "CapEff:	$want"
  assert_contains "$output" "Seccomp:	0"
  assert_contains "$output" "NoNewPrivs:	0"
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/r.json" seccomp.profile)" unconfined
}

@test "init: --seccomp default loads the profile and a denial is named" {
  run --separate-stderr tj init --seccomp default --report "$BATS_TEST_TMPDIR/r.json" -- "$TJHELPER" --tag="$MARKER" syscall ptrace
  assert_eq "$status" 1
  assert_outcome "$BATS_TEST_TMPDIR/r.json" seccomp_denied
  assert_eq "$(denial "$BATS_TEST_TMPDIR/r.json" "" ptrace errno)" EPERM
  assert_contains "$stderr" "testjail: seccomp denied ptrace (1x): the command failed after EPERM"
}

@test "exec: a profile denying sendmsg, close and execve does not deadlock the hand-over" {
  write_profile p.json '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
    {"names":["sendmsg","close","execve"],"action":"SCMP_ACT_ERRNO"}]}'
  run --separate-stderr tj exec --seccomp "$PWD/p.json" --report "$BATS_TEST_TMPDIR/r.json" -- true
  assert_eq "$status" 126
  assert_eq "$(denial "$BATS_TEST_TMPDIR/r.json" "" execve errno)" EPERM
  assert_outcome "$BATS_TEST_TMPDIR/r.json" seccomp_denied
  assert_contains "$stderr" "testjail: seccomp denied execve (1x): "
  # Everything denied, exit_group included: the workload cannot even exit
  # cleanly (glibc's _exit ends in a crash), but nothing hangs.
  if [ -n "${TJ_SANITIZED:-}" ]; then
    skip_because "a sanitizer build's own exit path spins when every syscall fails before the exec (the first half ran)"
  fi
  write_profile q.json '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
    {"names":["sendmsg"],"action":"SCMP_ACT_ERRNO","errnoRet":5}]}'
  run --separate-stderr tj exec --seccomp "$PWD/q.json" --report "$BATS_TEST_TMPDIR/r.json" -- true
  [ "$status" -ne 124 ] && [ "$status" -ne 137 ]
  assert_eq "$(denial "$BATS_TEST_TMPDIR/r.json" "" execve errno)" EPERM
  assert_outcome "$BATS_TEST_TMPDIR/r.json" seccomp_denied
  assert_nothing_left
}

@test "test: the build sandbox loads the profile too: a denial there is seccomp_denied in phase build" {
  # The go command waits for its compilers with wait4 (Go < 1.23) or
  # waitid on a pidfd (1.23+): both denied.
  write_profile "$TJ_WORK/nowait.json" '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["wait4","waitid"],"action":"SCMP_ACT_ERRNO"}]}'
  GOCACHE="$TJ_WORK/gocache" tjt --seccomp "$TJ_WORK/nowait.json" ./pass
  assert_test_result seccomp_denied 4
  assert_eq "$(json_get "$REPORT" packages.0.phase)" build
  local sc=waitid
  denial "$REPORT" packages.0 waitid comm >/dev/null 2>&1 || sc=wait4
  assert_eq "$(denial "$REPORT" packages.0 $sc comm)" go
  assert_contains "$stderr" "testjail: example.com/examples/pass: build: seccomp denied $sc"
  assert_nothing_left_test
}
