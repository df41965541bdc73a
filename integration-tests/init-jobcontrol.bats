#!/usr/bin/env bats
# Terminal job control as dumb-init does it: SIGTSTP (SIGTTIN, SIGTTOU) sent
# to init is forwarded to the workload, as SIGSTOP by default because the
# workload's process group, leading its own session, is orphaned and would
# ignore a stop signal's default action; then init stops itself, so the
# shell that runs it sees the job stop. SIGCONT continues both. As PID 1 the
# kernel does not let init stop itself: only the workload stops.

load common
load init-common

# tty_stop NAME MODE SIG: SIG to init stops the workload and (not PID 1)
# init; SIGCONT to init continues both.
tty_stop() {
  local name=$1 mode=$2 sig=$3
  init_cmd "$name" "$mode"
  init_start "$mode" "${INIT_CMD[@]}" "$TJHELPER" --tag="$MARKER" signals --exit-on SIGTERM
  wait_for_line ready
  local init workload
  init="$(init_pid)"
  workload="$(first_child "$init")"
  kill -s "$sig" "$init"
  wait_state "$workload" T
  if [ "$mode" = subreaper ]; then
    wait_state "$init" T
  else
    # PID 1 has handled the signal once the workload has stopped.
    assert_eq "$(proc_state "$init")" S "$name as PID 1 after $sig"
  fi
  kill -CONT "$init"
  wait_for_line "got SIGCONT" 5
  assert_eq "$(proc_state "$workload")" S "$name: the workload after SIGCONT ($mode)"
  wait_state "$init" S
  kill -TERM "$init"
  wait_for_line "got SIGTERM" 5
  init_finish
  assert_eq "$TJ_STATUS" 0 "$name ($mode)"
}

@test "SIGTSTP stops the workload and then init, SIGCONT continues both, as under dumb-init" {
  local mode name
  for mode in "${INIT_MODES[@]}"; do
    for name in testjail dumb-init; do
      tty_stop "$name" "$mode" TSTP
    done
  done
  assert_init_clean
}

@test "SIGTTIN and SIGTTOU do the same" {
  local mode sig
  for mode in "${INIT_MODES[@]}"; do
    for sig in TTIN TTOU; do
      tty_stop testjail "$mode" "$sig"
    done
  done
  assert_init_clean
}

@test "with --single-child the workload gets SIGTSTP itself, and init stops" {
  init_start subreaper "$TESTJAIL" init --single-child -- "$TJHELPER" --tag="$MARKER" signals --exit-on SIGTERM
  wait_for_line ready
  local init
  init="$(init_pid)"
  kill -TSTP "$init"
  wait_for_line "got SIGTSTP" 5
  wait_state "$init" T
  kill -CONT "$init"
  wait_for_line "got SIGCONT" 5
  kill -TERM "$init"
  init_finish
  assert_eq "$TJ_STATUS" 0
  assert_init_clean
}

@test "--rewrite TSTP:0 keeps the workload running; init still stops, as dumb-init" {
  init_start subreaper "$TESTJAIL" init --rewrite TSTP:0 -- "$TJHELPER" --tag="$MARKER" signals --exit-on SIGTERM
  wait_for_line ready
  local init workload
  init="$(init_pid)"
  workload="$(first_child "$init")"
  kill -TSTP "$init"
  wait_state "$init" T
  assert_eq "$(proc_state "$workload")" S
  kill -CONT "$init"
  wait_for_line "got SIGCONT" 5
  kill -TERM "$init"
  init_finish
  assert_eq "$TJ_STATUS" 0
  assert_init_clean
}
