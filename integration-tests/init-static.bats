#!/usr/bin/env bats
# `make static` builds a testjail that runs `testjail init` in an empty root:
# a folder with only that binary and a static test program, as in a FROM
# scratch image. No /proc, no /sys, no /dev there: init still forwards,
# reaps and drains (kill(-1) as PID 1), and the diagnosis says what it
# could not read.

load common
load init-common

STATIC="${TESTJAIL_STATIC:-$TJ_REPO/testjail-static}"

setup_file() {
  tj_setup_file
  [ -x "$STATIC" ] || { echo "no static testjail at $STATIC (make static)" >&2; return 1; }
}

setup() {
  tj_setup
  ROOT="$TJ_WORK/root"
  mkdir "$ROOT"
  cp "$STATIC" "$ROOT/testjail"
  cp "$TJHELPER" "$ROOT/tjhelper"
}

@test "the static binary needs no shared library" {
  # No program interpreter and no NEEDED entry: nothing to load at run time.
  run -0 readelf -l -d "$STATIC"
  assert_not_contains "$output" "INTERP"
  assert_not_contains "$output" "(NEEDED)"
}

@test "in an empty root: exit statuses, signals and the diagnosis (PID 1 and subreaper)" {
  assert_eq "$(ls "$ROOT" | tr '\n' ' ')" "testjail tjhelper "
  local mode
  for mode in pid1 subreaper; do
    local pid_args=()
    [ "$mode" != pid1 ] || pid_args=(unshare --pid --fork)
    run -7 --separate-stderr "${pid_args[@]}" chroot "$ROOT" /testjail init -- /tjhelper exit 7
    assert_contains "$stderr" "testjail: exited with status 7"
    run -143 --separate-stderr "${pid_args[@]}" chroot "$ROOT" /testjail init --termination-log /log -- /tjhelper kill-self TERM
    assert_eq "$(head -n1 "$ROOT/log")" "killed by SIGTERM (Terminated)"
    assert_contains "$(sed -n 2p "$ROOT/log")" "cgroup=none"
    run -127 --separate-stderr "${pid_args[@]}" chroot "$ROOT" /testjail init -- /nothing-here
  done
  assert_init_clean
}

@test "in an empty root: a forwarded signal, and a daemon drained without /proc" {
  init_start pid1 chroot "$ROOT" /testjail init -- /tjhelper --tag="$MARKER" signals --exit-on SIGUSR1 --exit-code 3
  wait_for_line ready
  kill -USR1 "$(first_child "$TJ_PID")"
  init_finish
  assert_eq "$TJ_STATUS" 3
  # As PID 1 only: without /proc a subreaper cannot find a daemon that left
  # the workload's session (README).
  run -0 --separate-stderr unshare --pid --fork chroot "$ROOT" /testjail init --grace 1s -- \
    /tjhelper --tag="$MARKER" orphan
  [[ "$output" =~ ^orphan\ [0-9]+$ ]] || { echo "unexpected output: $output" >&2; return 1; }
  assert_eq "$(marker_procs)" "" "processes with the marker right after init returned"
  # What stays in the workload's process group is found without /proc too.
  run -0 --separate-stderr chroot "$ROOT" /testjail init --grace 60s -- \
    /tjhelper --tag="$MARKER" forkbomb 3
  assert_eq "$(marker_procs)" "" "processes with the marker right after init returned (subreaper)"
  assert_init_clean
}
