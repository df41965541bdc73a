#!/usr/bin/env bats
# The workload's stdout and stderr stream through live, complete and in
# order; both pipes are drained together, so nothing deadlocks.

load common

sha() {
  sha256sum "$1" | cut -d' ' -f1
}

@test "10 MB of stdout arrive intact" {
  "$TJHELPER" output 10 >direct.out
  local st=0
  tj exec -- "$TJHELPER" output 10 >jailed.out 2>jailed.err || st=$?
  assert_eq "$st" 0 "status; stderr: $(head -c 500 jailed.err)"
  assert_eq "$(stat -c %s jailed.out)" $((10 * 1024 * 1024)) "bytes on stdout"
  assert_eq "$(sha jailed.out)" "$(sha direct.out)" "sha256 of stdout"
  assert_eq "$(stat -c %s jailed.err)" 0 "bytes on stderr"
}

@test "10 MB of stderr arrive intact" {
  "$TJHELPER" output 10 --to stderr 2>direct.err
  local st=0
  tj exec -- "$TJHELPER" output 10 --to stderr >jailed.out 2>jailed.err || st=$?
  assert_eq "$st" 0 "status"
  assert_eq "$(sha jailed.err)" "$(sha direct.err)" "sha256 of stderr"
  assert_eq "$(stat -c %s jailed.out)" 0 "bytes on stdout"
}

@test "10 MB on stdout and stderr at once arrive intact on both, no deadlock" {
  "$TJHELPER" output 10 --to both >direct.out 2>direct.err
  local st=0
  tj exec -- "$TJHELPER" output 10 --to both >jailed.out 2>jailed.err || st=$?
  assert_eq "$st" 0 "status (124: testjail hung)"
  assert_eq "$(sha jailed.out)" "$(sha direct.out)" "sha256 of stdout"
  assert_eq "$(sha jailed.err)" "$(sha direct.err)" "sha256 of stderr"
}

@test "10 MB through pipes arrive intact" {
  "$TJHELPER" output 10 --to both >direct.out 2>direct.err
  local st=0
  # Readers that are pipes (not files), as under `go test -exec`.
  mkfifo o.fifo e.fifo
  cat o.fifo >jailed.out 3>&- &
  local c1=$!
  cat e.fifo >jailed.err 3>&- &
  local c2=$!
  tj exec -- "$TJHELPER" output 10 --to both >o.fifo 2>e.fifo || st=$?
  wait "$c1" "$c2"
  assert_eq "$st" 0 "status"
  assert_eq "$(sha jailed.out)" "$(sha direct.out)" "sha256 of stdout"
  assert_eq "$(sha jailed.err)" "$(sha direct.err)" "sha256 of stderr"
}

@test "output streams live, before the workload exits" {
  tj_start exec -- "$TJHELPER" --tag="$MARKER" signals
  # "ready" arrives while the workload is still blocked waiting for a signal.
  wait_for_line ready
  kill -0 "$TJ_PID"
  kill -TERM "$TJ_PID"
  tj_finish
  assert_eq "$TJ_STATUS" 0
  assert_eq "$(cat "$BATS_TEST_TMPDIR/stdout")" "ready
got SIGTERM"
}

@test "stderr streams live too" {
  # The helper is not the command here: bind it, in case the checkout lives
  # under /tmp (the sandbox's /tmp is private).
  tj_start exec --ro-bind "$TJHELPER" -- sh -c 'echo on-stderr >&2; exec "$0" signals' "$TJHELPER"
  wait_for_line ready
  # stderr goes to a file: it was written before the workload finished.
  assert_eq "$(cat "$BATS_TEST_TMPDIR/stderr")" on-stderr
  kill -TERM "$TJ_PID"
  tj_finish
  assert_eq "$TJ_STATUS" 0
}

@test "the report's output_tail ends with the workload's last lines" {
  run -0 tj exec --report r.json -- "$TJHELPER" output 1
  local last
  last="$("$TJHELPER" output 1 | tail -n 1)"
  local n
  n="$(json_get r.json output_tail | "$PYTHON3" -c 'import json,sys; print(len(json.load(sys.stdin)))')"
  [ "$n" -ge 1 ] || { echo "output_tail is empty" >&2; return 1; }
  assert_eq "$(json_get r.json "output_tail.$((n - 1))")" "$last"
}
