#!/usr/bin/env bats
# A Go test binary run by `exec` or `init` with -test.v (go test -v -exec,
# go test -json -exec, a container whose command is the binary): its
# output passes through unchanged and is read on the way, so the diagnosis
# names the test that was running, innermost, as `testjail test` does.

load common
load gotest
load init-common

setup() {
  tjt_setup
  require_controller memory
}

# nested/: a paused parallel test, then a subtest that needs 512 MiB. The
# paused test and the subtest's parent are not what was running.
make_nested() {
  mkdir -p nested
  cat >nested/nested_test.go <<'GO'
package nested

import "testing"

func TestAPaused(t *testing.T) {
	t.Parallel()
}

func TestParent(t *testing.T) {
	t.Run("child", func(t *testing.T) {
		buf := make([]byte, 512<<20)
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 1
		}
	})
}
GO
  go test -c -o nested.test ./nested
}

@test "exec: a test binary given -test.v or -test.v=test2json: the innermost running test named, output unchanged" {
  make_nested
  local flag
  for flag in -test.v -test.v=true --test.v=test2json; do
    run --separate-stderr -137 tj exec --memory 128M --report r.json -- ./nested.test "$flag"
    assert_contains "$stderr" "OOM killed: memory peaked at"
    assert_contains "$stderr" "while running TestParent/child"
    assert_not_contains "$stderr" "(and "
    assert_contains "$(json_get r.json diagnosis)" "while running TestParent/child"
    assert_contains "$output" "=== RUN   TestParent/child"
  done
  # without -test.v there is nothing to name
  run --separate-stderr -137 tj exec --memory 128M -- ./nested.test
  assert_contains "$stderr" "OOM killed"
  assert_not_contains "$stderr" "while running"
  assert_nothing_left
}

@test "go test -v / -json -exec 'testjail exec --memory 128M --': the diagnosis names the test" {
  make_nested
  run --separate-stderr go test -count=1 -v -exec "$TESTJAIL exec --env TJMARK=$MARKER --memory 128M --" ./oom
  assert_eq "$status" 1
  assert_contains "$stderr$output" "testjail: OOM killed: memory peaked at"
  assert_contains "$stderr$output" "while running TestHugeAlloc"
  run --separate-stderr go test -count=1 -json -exec "$TESTJAIL exec --env TJMARK=$MARKER --memory 128M --" ./nested
  assert_eq "$status" 1
  assert_contains "$stderr$output" "while running TestParent/child"
  assert_not_contains "$stderr$output" "(and "
  assert_nothing_left_test
}

@test "init: a test binary given -test.v: output passed through unchanged, the termination message names the test" {
  (cd oom && go test -c -o ../oom.test .)
  local mode
  for mode in pid1 subreaper; do
    rm -f tlog
    run --separate-stderr -137 in_mode "$mode" "$TESTJAIL" init --memory 128M --termination-log "$PWD/tlog" \
      -- ./oom.test -test.v
    assert_contains "$(head -n1 tlog)" "OOM killed: memory peaked at"
    assert_contains "$(head -n1 tlog)" "of the 128 MiB limit (oom_kill 1) while running TestHugeAlloc"
    assert_contains "$stderr" "while running TestHugeAlloc"
    # the duration is whatever the machine took (0.01s under emulation)
    assert_eq "$(head -n3 <<<"$output" | sed -E 's/\([0-9.]+s\)/(Ns)/')" \
      $'=== RUN   TestSmall\n--- PASS: TestSmall (Ns)\n=== RUN   TestHugeAlloc'
  done
  # a failing test is named as tests_failed, where init said "exited with status 1"
  (cd fail && go test -c -o ../fail.test .)
  run --separate-stderr -1 "$TESTJAIL" init --termination-log "$PWD/tlog" -- ./fail.test -test.v
  assert_contains "$(head -n1 tlog)" "tests failed: "
  # any other command, or the binary without -test.v: no name
  run --separate-stderr -137 "$TESTJAIL" init --memory 128M --termination-log "$PWD/tlog" -- ./oom.test
  assert_not_contains "$(head -n1 tlog)" "while running"
  assert_nothing_left
}
