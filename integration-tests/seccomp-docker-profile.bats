#!/usr/bin/env bats
# Docker's default profile (unit-tests/data, Docker's own format: archMap,
# includes/excludes) loads unchanged with --seccomp FILE, is judged against
# the sandbox's capabilities and kernel as dockerd does, and Go tests pass
# under it; Podman's too (Debian's golang-github-containers-common).

load common
load gotest
load seccomp

MOBY="$TJ_REPO/unit-tests/data/moby-profiles-seccomp-default.json"

@test "Go tests pass under Docker's profile; names libseccomp does not know are skipped and reported" {
  tjt --seccomp "$MOBY" ./pass ./clone3
  assert_test_result passed 0
  assert_eq "$(json_get "$REPORT" packages.0.seccomp.profile)" "$MOBY"
  assert_eq "$(json_get "$REPORT" packages.1.outcome)" passed
  # newer than libseccomp 2.5.4: reported, not fatal
  "$PYTHON3" -c 'import json,sys; s=json.load(open(sys.argv[1]))["packages"][0]["seccomp"]["skipped"]; sys.exit(0 if isinstance(s, list) else 1)' "$REPORT"
  assert_nothing_left_test
}

@test "Docker's profile: the CAP_SYS_ADMIN group is denied without the capability, ptrace allowed on 4.8+" {
  tjt --seccomp "$MOBY" ./seccomp
  assert_test_result seccomp_denied 4
  assert_eq "$(denial "$REPORT" packages.0 mount test)" TestMount
  assert_eq "$(denial "$REPORT" packages.0 unshare test)" TestUnshareUser
  assert_eq "$(denial "$REPORT" packages.0 bpf test)" TestBpf
  assert_eq "$(denial "$REPORT" packages.0 keyctl test)" TestKeyctl
  assert_not_contains "$(json_get "$REPORT" packages.0.seccomp.denials)" '"ptrace"'
  assert_nothing_left_test
}

@test "Docker's profile with --cap-add SYS_ADMIN: its includes let mount through" {
  tjt --seccomp "$MOBY" --cap-add SYS_ADMIN ./seccomp -- -run 'TestMount$'
  assert_test_result passed 0
  assert_eq "$(json_get "$REPORT" packages.0.seccomp.denials)" "[]"
  assert_nothing_left_test
}

@test "Podman's profile (defaultErrnoRet 38) loads and Go tests pass; its bpf rule without CAP_SYS_ADMIN answers EPERM" {
  local f=/usr/share/containers/seccomp.json
  [ -r "$f" ] || skip_because "$f absent (Debian package golang-github-containers-common)"
  tjt --seccomp "$f" ./pass ./cgo ./seccomp
  assert_eq "$(json_get "$REPORT" packages.0.outcome)" passed
  assert_eq "$(json_get "$REPORT" packages.1.outcome)" passed
  # Podman allows mount, unshare, keyctl and ptrace; bpf only with CAP_SYS_ADMIN
  assert_eq "$(denial "$REPORT" packages.2 bpf errno)" EPERM
  assert_eq "$(denial "$REPORT" packages.2 bpf test)" TestBpf
  # Where the kernel refuses unprivileged bpf itself, TestBpf cannot tell
  # whose EPERM it got and skips: then the run passes with the denial as a
  # warning; elsewhere it fails on it.
  if [ "$(cat /proc/sys/kernel/unprivileged_bpf_disabled 2>/dev/null || echo 0)" != 0 ]; then
    assert_eq "$(json_get "$REPORT" packages.2.outcome)" passed
    assert_contains "$stderr" "warning: seccomp denied bpf (1x, in TestBpf) with EPERM, yet the run passed"
  else
    assert_eq "$(json_get "$REPORT" packages.2.outcome)" seccomp_denied
    assert_contains "$stderr" "seccomp denied bpf (1x, in TestBpf): the test failed after EPERM"
  fi
  assert_nothing_left_test
}
