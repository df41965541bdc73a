#!/usr/bin/env bats
# testjail's init is PID 1 inside: signals sent to testjail reach the
# workload's process group, zombies are reaped, and whatever the workload
# leaves behind dies with the sandbox.

load common

# forward SIG: send SIG to testjail, the workload prints "got SIG" and exits
# 0 on it; testjail passes the 0 through.
forward() {
  local sig=$1
  tj_start exec -- "$TJHELPER" --tag="$MARKER" signals --exit-on "$sig"
  wait_for_line ready
  kill -s "$sig" "$TJ_PID"
  tj_finish
  assert_eq "$TJ_STATUS" 0 "testjail status"
  grep -qx "got $sig" "$BATS_TEST_TMPDIR/stdout" ||
    { echo "the workload did not get $sig; it printed:" >&2; cat "$BATS_TEST_TMPDIR/stdout" >&2; return 1; }
  assert_nothing_left
}

@test "SIGTERM sent to testjail reaches the workload" {
  forward SIGTERM
}

@test "SIGINT sent to testjail reaches the workload" {
  forward SIGINT
}

@test "SIGHUP sent to testjail reaches the workload" {
  forward SIGHUP
}

@test "SIGQUIT sent to testjail reaches the workload" {
  forward SIGQUIT
}

@test "SIGUSR1 sent to testjail reaches the workload" {
  forward SIGUSR1
}

@test "SIGUSR2 sent to testjail reaches the workload" {
  forward SIGUSR2
}

@test "SIGWINCH sent to testjail reaches the workload" {
  forward SIGWINCH
}

@test "signals reach the workload's whole process group, in order, and it keeps running" {
  tj_start exec -- "$TJHELPER" --tag="$MARKER" signals --fork --exit-on SIGTERM --exit-code 9
  wait_for_line ready
  kill -USR1 "$TJ_PID"
  wait_for_line "got SIGUSR1"
  kill -HUP "$TJ_PID"
  wait_for_line "got SIGHUP"
  kill -TERM "$TJ_PID"
  tj_finish
  assert_eq "$TJ_STATUS" 9 "the workload's own exit code"
  local out
  out="$(cat "$BATS_TEST_TMPDIR/stdout")"
  assert_contains "$out" "child got SIGUSR1"
  assert_contains "$out" "child got SIGHUP"
  assert_contains "$out" "child got SIGTERM"
  assert_nothing_left
}

@test "a workload that dies of the forwarded SIGTERM gives 143 and outcome signaled" {
  tj_start exec --report r.json -- "$TJHELPER" --tag="$MARKER" sleep forever
  wait_for_line ready
  kill -TERM "$TJ_PID"
  tj_finish
  assert_eq "$TJ_STATUS" 143
  assert_outcome r.json signaled
  assert_eq "$(json_get r.json exit.signal)" SIGTERM
  assert_nothing_left
}

@test "zombies are reaped" {
  run -0 tj exec -- "$TJHELPER" --tag="$MARKER" zombies 16
  assert_eq "$output" "zombies: 0"
  assert_nothing_left
}

@test "a daemonised child that ignores SIGTERM is gone after the run" {
  run -0 tj exec -- "$TJHELPER" --tag="$MARKER" orphan
  [[ "$output" =~ ^orphan\ [0-9]+$ ]] || { echo "unexpected output: $output" >&2; return 1; }
  # No waiting: testjail returns only once the sandbox is empty.
  local left
  left="$(marker_procs)"
  assert_eq "$left" "" "processes with the marker right after testjail returned"
  assert_nothing_left
}

@test "a daemon that keeps stdout open neither blocks testjail nor survives it" {
  # The `go test -v` hang: an orphan holding the output pipe. testjail must
  # not wait for EOF. Output goes to a file, not to `run`, which would wait
  # for the orphan's EOF itself; tj's timeout turns a hang into status 124.
  local st=0
  TJ_TIMEOUT=20 tj exec -- "$TJHELPER" --tag="$MARKER" orphan --keep-stdio >out 2>err || st=$?
  assert_eq "$st" 0 "testjail status; stderr: $(cat err)"
  [[ "$(cat out)" =~ ^orphan\ [0-9]+$ ]] || { echo "unexpected output: $(cat out)" >&2; return 1; }
  assert_eq "$(marker_procs)" "" "processes with the marker right after testjail returned"
  assert_nothing_left
}

@test "children left running by a workload that exits are killed" {
  local st=0
  TJ_TIMEOUT=20 tj exec -- "$TJHELPER" --tag="$MARKER" forkbomb 20 >out 2>err || st=$?
  assert_eq "$st" 0 "testjail status; stderr: $(cat err)"
  assert_eq "$(cat out)" "forkbomb: 20 children, no limit hit"
  assert_eq "$(marker_procs)" "" "processes with the marker right after testjail returned"
  assert_nothing_left
}
