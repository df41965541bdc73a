#!/usr/bin/env bats
# testjail init reaps every zombie, orphans included, and when the workload
# exits it drains what the workload left: SIGTERM, then SIGKILL after
# --grace, and only then exits, with the workload's status. As PID 1 of a
# pid namespace and as a subreaper.

load common
load init-common

@test "orphaned zombies are reaped (testjail, tini, dumb-init as PID 1; testjail and tini -s as subreapers)" {
  local mode name
  for mode in "${INIT_MODES[@]}"; do
    for name in testjail tini dumb-init; do
      # dumb-init never registers as a subreaper: orphans pass it by.
      [ "$name:$mode" != dumb-init:subreaper ] || continue
      init_cmd "$name" "$mode"
      run -0 --separate-stderr in_mode "$mode" "${INIT_CMD[@]}" "$TJHELPER" --tag="$MARKER" zombies 32
      assert_eq "$output" "zombies: 0" "$name ($mode)"
    done
  done
  assert_init_clean
}

@test "a subreaper says so once on stderr; PID 1 says nothing" {
  run -0 --separate-stderr "$TESTJAIL" init -- "$TJHELPER" pid
  assert_eq "$(grep -c 'registered as a child subreaper' <<<"$stderr")" 1
  run -0 --separate-stderr in_mode pid1 "$TESTJAIL" init -- "$TJHELPER" pid
  assert_eq "$output" "pid 2 ppid 1"
  assert_eq "$stderr" ""
}

@test "leftovers that take SIGTERM end the drain at once, not after the grace" {
  local mode start
  for mode in "${INIT_MODES[@]}"; do
    start=$SECONDS
    run -3 --separate-stderr in_mode "$mode" "$TESTJAIL" init --grace 60s --report r.json -- \
      sh -c '"$1" --tag="$2" sleep forever & "$1" --tag="$2" sleep forever & exec "$1" exit 3' sh "$TJHELPER" "$MARKER"
    [ $((SECONDS - start)) -lt 30 ] || { echo "the drain waited for the grace ($mode)" >&2; return 1; }
    assert_eq "$(json_get r.json init.leftovers)" 2 "($mode)"
    assert_eq "$(json_get r.json init.leftovers_killed)" 0 "($mode)"
    assert_eq "$(marker_procs)" "" "processes with the marker right after init returned ($mode)"
  done
  assert_init_clean
}

@test "a leftover that ignores SIGTERM is SIGKILLed after the grace, and init waits for it" {
  local mode
  mkfifo ready
  for mode in "${INIT_MODES[@]}"; do
    # It says ready (to the FIFO) only once it ignores SIGTERM, and the
    # workload waits for that before it exits.
    run -0 --separate-stderr in_mode "$mode" "$TESTJAIL" init --grace 1s --report r.json -- \
      sh -c '(trap "" TERM; exec "$1" --tag="$2" sleep forever >ready) & read -r l <ready; echo "$l"' \
      sh "$TJHELPER" "$MARKER"
    assert_eq "$output" ready "($mode)"
    assert_eq "$(json_get r.json init.leftovers)" 1 "($mode)"
    assert_eq "$(json_get r.json init.leftovers_killed)" 1 "($mode)"
    local drain
    drain="$(json_get r.json init.drain_ms)"
    [ "$drain" -ge 1000 ] || { echo "drained in $drain ms, before the 1 s grace ($mode)" >&2; return 1; }
    assert_contains "$(json_get r.json evidence)" "1 leftover process(es) killed after the 1s grace"
    assert_eq "$(marker_procs)" "" "processes with the marker right after init returned ($mode)"
  done
  assert_init_clean
}

@test "the drain reaches a group member the workload left stopped (SIGCONT follows SIGTERM)" {
  local mode
  for mode in "${INIT_MODES[@]}"; do
    run -0 --separate-stderr in_mode "$mode" "$TESTJAIL" init --grace 60s --report r.json -- \
      sh -c '"$1" --tag="$2" sleep forever & kill -STOP $!' sh "$TJHELPER" "$MARKER"
    assert_eq "$(json_get r.json init.leftovers_killed)" 0 "($mode)"
    assert_eq "$(marker_procs)" "" "($mode)"
  done
  assert_init_clean
}

@test "signals to init during the drain reach the leftovers" {
  # The workload, a shell, dies of a forwarded SIGTERM and leaves a process
  # that takes SIGTERM without exiting (it exits on SIGUSR1): the drain
  # starts (its SIGTERM, then SIGCONT), then a SIGUSR1 sent to init during
  # the grace ends it. The drain's SIGTERM can merge with the forwarded one
  # while that is still pending (one standard signal pending at a time), so
  # its SIGCONT is what shows the drain began.
  init_start subreaper "$TESTJAIL" init --grace 60s -- \
    sh -c '"$1" --tag="$2" signals --exit-on SIGUSR1 & wait' sh "$TJHELPER" "$MARKER"
  wait_for_line ready
  kill -TERM "$(init_pid)"
  wait_for_line "got SIGTERM" # forwarded, or merged with the drain's
  wait_for_line "got SIGCONT" # the drain's
  kill -USR1 "$(init_pid)"
  wait_for_line "got SIGUSR1"
  init_finish
  assert_eq "$TJ_STATUS" 143 "the shell's status"
  assert_init_clean
}

@test "a workload that ignores SIGTERM itself gets it forwarded and lives on until init's SIGKILL-free end" {
  # Forwarded signals never escalate: init only ever kills what the
  # workload leaves behind, and the workload itself only on --wall-timeout.
  init_start pid1 "$TESTJAIL" init --grace 1s -- "$TJHELPER" --tag="$MARKER" signals --exit-on SIGUSR2 --exit-code 5
  wait_for_line ready
  kill -TERM "$(init_pid)"
  wait_for_line "got SIGTERM"
  kill -USR2 "$(init_pid)"
  init_finish
  assert_eq "$TJ_STATUS" 5
  assert_init_clean
}

@test "PID 1 under the host's /proc (unshare --pid without --mount-proc) drains its own namespace only" {
  # The host's /proc names host processes by pids that mean others (or
  # nothing) in init's namespace: init must go by kill(-1), not by it.
  run -0 setsid "$TJHELPER" --tag="$MARKER-host" orphan
  local sentinel=${output#orphan }
  run -0 --separate-stderr unshare --pid --fork "$TESTJAIL" init --grace 1s -- "$TJHELPER" --tag="$MARKER" orphan
  [ -d "/proc/$sentinel" ] || { echo "the host's daemon $sentinel was killed" >&2; return 1; }
  kill -KILL "$sentinel"
  assert_eq "$(marker_procs "[${MARKER:0:1}]${MARKER:1} orphan")" "" "the namespace's daemon is gone"
  assert_init_clean
}
