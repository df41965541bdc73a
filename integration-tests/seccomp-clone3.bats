#!/usr/bin/env bats
# clone3 answers ENOSYS, not EPERM, under every profile that denies it
# (glibc, hence cgo binaries, fall back to clone only on ENOSYS); listed as
# an ENOSYS fallback, not counted as a denial.

load common
load gotest
load seccomp

@test "default profile: clone3 gives ENOSYS, the run passes without a warning" {
  tjt ./clone3
  assert_test_result passed 0
  assert_eq "$(denial "$REPORT" packages.0 clone3 errno)" ENOSYS
  assert_eq "$(json_get "$REPORT" packages.0.seccomp.denials)" "[]"
  assert_not_contains "$stderr" "warning"
  assert_nothing_left_test
}

@test "a profile denying clone3 with plain EPERM still answers ENOSYS" {
  write_profile "$TJ_WORK/p.json" '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["clone3"],"action":"SCMP_ACT_ERRNO"}]}'
  tjt --seccomp "$TJ_WORK/p.json" ./clone3
  assert_test_result passed 0
  assert_nothing_left_test
}

@test "cgo threads start under the default profile (pthread_create falls back to clone)" {
  require_cmd gcc
  tjt ./cgo
  assert_test_result passed 0
  assert_nothing_left_test
}

@test "unconfined: clone3 without arguments is EINVAL, so the check is the profile's doing" {
  tjt --seccomp unconfined ./clone3
  assert_test_result tests_failed 1
  assert_contains "$output" "want ENOSYS"
  assert_nothing_left_test
}
