#!/usr/bin/env bats
# SIGSYS: a TRAP rule kills a plain program in the kernel (status 159); Go
# catches it and exits 2 with "SIGSYS: bad system call". Both are
# seccomp_denied under a filter and name what the profile traps. A
# KILL_PROCESS rule is answered by testjail, which names the syscall and
# kills the sandbox.

load common
load gotest
load seccomp

@test "exec: TRAP kills a C program with SIGSYS: seccomp_denied, 128+31" {
  write_profile "$TJ_WORK/trap.json" '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_TRAP"}]}'
  run --separate-stderr tj exec --seccomp "$TJ_WORK/trap.json" --report "$BATS_TEST_TMPDIR/r.json" -- "$TJHELPER" --tag="$MARKER" syscall getppid
  assert_eq "$status" 159
  assert_outcome "$BATS_TEST_TMPDIR/r.json" seccomp_denied
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/r.json" exit.signal)" SIGSYS
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/r.json" seccomp.trapped)" getppid
  assert_contains "$stderr" "testjail: seccomp killed the command with SIGSYS: the profile TRAPs getppid"
  assert_nothing_left
}

@test "test: TRAP in a Go test: Go's SIGSYS crash is seccomp_denied, the test named" {
  write_profile "$TJ_WORK/trap.json" '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace"],"action":"SCMP_ACT_TRAP"}]}'
  tjt --seccomp "$TJ_WORK/trap.json" ./seccomp -- -run 'TestPtrace$'
  assert_test_result seccomp_denied 4
  assert_contains "$output" "SIGSYS: bad system call"
  assert_contains "$stderr" "seccomp killed the test binary with SIGSYS: the profile TRAPs ptrace while running TestPtrace"
  assert_nothing_left_test
}

@test "test: KILL_PROCESS: testjail names the syscall and the test, and kills the sandbox" {
  write_profile "$TJ_WORK/kill.json" '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_KILL_PROCESS"}]}'
  tjt --seccomp "$TJ_WORK/kill.json" ./seccomp -- -run 'TestKeyctl$'
  assert_test_result seccomp_denied 4
  assert_eq "$(denial "$REPORT" packages.0 keyctl test)" TestKeyctl
  assert_eq "$(denial "$REPORT" packages.0 keyctl action)" SCMP_ACT_KILL_PROCESS
  assert_eq "$(json_get "$REPORT" packages.0.exit.signal)" SIGKILL
  assert_contains "$stderr" "seccomp denied keyctl (1x, in TestKeyctl): the profile's SCMP_ACT_KILL_PROCESS killed the sandbox"
  assert_nothing_left_test
}
