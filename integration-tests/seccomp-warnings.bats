#!/usr/bin/env bats
# A run that passes despite denials stays passed; the denials are listed as
# warnings on stderr and in the report.

load common
load gotest
load seccomp

@test "test: EPERM from ptrace, the test passes: passed, exit 0, a warning naming the test" {
  tjt ./seccompwarn
  assert_test_result passed 0
  assert_contains "$output" "ok  	example.com/examples/seccompwarn	"
  assert_contains "$stderr" "testjail: example.com/examples/seccompwarn: warning: seccomp denied ptrace (1x, in TestProbePtrace) with EPERM, yet the run passed"
  assert_eq "$(denial "$REPORT" packages.0 ptrace test)" TestProbePtrace
  assert_contains "$(json_get "$REPORT" packages.0.warnings)" "seccomp denied ptrace"
  assert_nothing_left_test
}

@test "exec: a command that shrugs off a denial passes with a warning and keeps its status" {
  run --separate-stderr tj exec --ro-bind "$TJHELPER" --report "$BATS_TEST_TMPDIR/r.json" -- sh -c "\"$TJHELPER\" --tag=$MARKER syscall ptrace; exit 0"
  assert_eq "$status" 0
  assert_outcome "$BATS_TEST_TMPDIR/r.json" passed
  assert_contains "$stderr" "testjail: warning: seccomp denied ptrace (1x) with EPERM, yet the run passed"
  assert_eq "$(denial "$BATS_TEST_TMPDIR/r.json" "" ptrace count)" 1
  assert_nothing_left
}

@test "test: no denial, no warning" {
  tjt ./pass
  assert_test_result passed 0
  assert_not_contains "$stderr" "warning"
  assert_eq "$(json_get "$REPORT" packages.0.seccomp.denials)" "[]"
  assert_nothing_left_test
}
