#!/usr/bin/env bats
# Capabilities: none for exec and init unless --cap-add; the test phase of
# `testjail test` as root gets Docker's default set; --cap-drop ALL none.
# CapEff in /proc/self/status is the proof, the report lists the set.

load common
load gotest
load seccomp

DOCKER_CAPEFF=00000000a80425fb

capeff() {
  grep '^CapEff:' <<<"$1" | awk '{print $2}'
}

@test "exec: no capabilities by default" {
  run --separate-stderr tj exec --report "$BATS_TEST_TMPDIR/r.json" -- "$TJHELPER" --tag="$MARKER" caps
  assert_eq "$status" 0
  assert_eq "$(capeff "$output")" 0000000000000000
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/r.json" capabilities)" "[]"
  assert_contains "$output" "NoNewPrivs:	1"
  assert_contains "$output" "Seccomp:	2"
  assert_nothing_left
}

@test "exec: --cap-add NET_RAW (any spelling) is in CapEff, for root and for --user" {
  run --separate-stderr tj exec --cap-add net_raw --report "$BATS_TEST_TMPDIR/r.json" -- "$TJHELPER" --tag="$MARKER" caps
  assert_eq "$status" 0
  assert_eq "$(capeff "$output")" 0000000000002000
  assert_eq "$(json_get "$BATS_TEST_TMPDIR/r.json" capabilities)" '["CAP_NET_RAW"]'
  run --separate-stderr tj exec --user 1000:1000 --cap-add CAP_NET_RAW -- "$TJHELPER" --tag="$MARKER" caps
  assert_eq "$status" 0
  assert_eq "$(capeff "$output")" 0000000000002000
  assert_contains "$output" "CapAmb:	0000000000002000"
  assert_contains "$output" "CapBnd:	0000000000002000"
  assert_nothing_left
}

@test "test: the test phase as root has Docker's default set" {
  tjt -v ./caps
  assert_test_result passed 0
  assert_contains "$output" "CapEff: $DOCKER_CAPEFF"
  assert_contains "$(json_get "$REPORT" packages.0.capabilities)" '"CAP_NET_RAW"'
  assert_not_contains "$(json_get "$REPORT" packages.0.capabilities)" '"CAP_SYS_ADMIN"'
  assert_nothing_left_test
}

@test "test: --cap-drop ALL gives none, --cap-drop NET_RAW takes one from Docker's set" {
  tjt -v --cap-drop ALL ./caps
  assert_test_result passed 0
  assert_contains "$output" "CapEff: 0000000000000000"
  tjt -v --cap-drop NET_RAW ./caps
  assert_test_result passed 0
  assert_contains "$output" "CapEff: 00000000a80405fb"
  assert_nothing_left_test
}

@test "test: --user 1000 gets no default set" {
  tjt -v --user 1000 ./caps
  assert_test_result passed 0
  assert_contains "$output" "CapEff: 0000000000000000"
  assert_nothing_left_test
}

@test "bad --cap-add/--cap-drop and --seccomp: one line, exit 125, nothing left" {
  local a
  for a in "--cap-add NOPE" "--cap-drop CAP_" "--seccomp $TJ_WORK/missing.json" "--seccomp no-such-profile" "--seccomp="; do
    run --separate-stderr tj exec $a -- true
    assert_eq "$status" 125 "$a"
    assert_diagnosis_line "$stderr"
  done
  run --separate-stderr tj exec --cap-add NOPE -- true
  assert_contains "$stderr" "invalid --cap-add 'NOPE': unknown capability"
  assert_nothing_left
}
