#!/usr/bin/env bats
# testjail init forwards every catchable signal but SIGCHLD to the workload:
# to its whole process group by default (dumb-init), to it alone with
# --single-child (tini); --rewrite maps one signal to another. Each check
# runs with init as PID 1 of a fresh pid namespace and as a subreaper, and
# where Debian's tini and dumb-init behave the same, with them too.

load common
load init-common

# Catchable signals the helper can report. SIGTSTP, SIGTTIN and SIGTTOU
# stop init itself (init-jobcontrol.bats); SIGSEGV, SIGBUS, SIGILL and
# SIGFPE stay deliverable in the helper only as faults (below).
COMMON_SIGNALS=(1 2 3 10 12 13 14 15 16 18 23 24 25 26 27 28 29 30)
ALL_SIGNALS=("${COMMON_SIGNALS[@]}" 5 6 31 $(seq 34 64))

# each_signal NAME MODE DELIVERY SIG...: every SIG sent to the init reaches
# the workload, in order; SIGTERM last ends it with status 0.
each_signal() {
  local name=$1 mode=$2 delivery=$3 sig
  shift 3
  init_cmd "$name" "$mode" "$delivery"
  init_start "$mode" "${INIT_CMD[@]}" "$TJHELPER" --tag="$MARKER" signals --exit-on SIGTERM
  wait_for_line ready
  local init
  init="$(init_pid)"
  for sig in "$@"; do
    [ "$sig" != 15 ] || continue
    kill -s "$sig" "$init"
    wait_for_line "got $(sig_name "$sig")" 5 || { echo "($name, $mode: signal $sig)" >&2; return 1; }
  done
  kill -TERM "$init"
  wait_for_line "got SIGTERM" 5
  init_finish
  assert_eq "$TJ_STATUS" 0 "$name's exit status ($mode)"
  assert_init_clean
}

@test "every catchable signal reaches the workload (testjail, PID 1 and subreaper, group and single)" {
  local mode
  for mode in "${INIT_MODES[@]}"; do
    each_signal testjail "$mode" group "${ALL_SIGNALS[@]}"
    each_signal testjail "$mode" single "${ALL_SIGNALS[@]}"
  done
}

@test "the signals tini and dumb-init forward reach the workload under them the same way" {
  local mode
  for mode in "${INIT_MODES[@]}"; do
    each_signal tini "$mode" "" "${COMMON_SIGNALS[@]}"
    each_signal dumb-init "$mode" "" "${COMMON_SIGNALS[@]}"
  done
}

@test "SIGSEGV, SIGBUS, SIGILL and SIGFPE sent to init reach the workload (it dies of them: 128+N)" {
  local mode sig
  for mode in "${INIT_MODES[@]}"; do
    for sig in 11 7 4 8; do
      init_cmd testjail "$mode"
      init_start "$mode" "${INIT_CMD[@]}" "$TJHELPER" --tag="$MARKER" sleep forever
      wait_for_line ready
      kill -s "$sig" "$(init_pid)"
      init_finish
      assert_eq "$TJ_STATUS" "$((128 + sig))" "status for signal $sig ($mode)"
    done
  done
  assert_init_clean
}

# delivery NAME MODE DELIVERY: SIGUSR1 sent to init reaches the workload's
# forked child too (group) or not (single). The negative case is decided
# without waiting: the test then sends SIGUSR2 to that child itself, and a
# SIGUSR1 queued earlier would be taken first (lower signals first).
delivery() {
  local name=$1 mode=$2 delivery=$3
  init_cmd "$name" "$mode" "$delivery"
  init_start "$mode" "${INIT_CMD[@]}" "$TJHELPER" --tag="$MARKER" signals --fork --exit-on SIGTERM
  wait_for_line ready
  local init workload child
  init="$(init_pid)"
  workload="$(first_child "$init")"
  child="$(first_child "$workload")"
  [ -n "$child" ] || { echo "no child of the workload $workload" >&2; return 1; }
  kill -USR1 "$init"
  if [ "$delivery" = group ]; then
    wait_for_lines "got SIGUSR1" "child got SIGUSR1"
  else
    wait_for_line "got SIGUSR1" 5
    kill -USR2 "$child"
    wait_for_line "child got SIGUSR2" 5
    if grep -qx "child got SIGUSR1" "$BATS_TEST_TMPDIR/stdout"; then
      echo "$name --single-child style ($mode): the workload's child got SIGUSR1 too" >&2
      return 1
    fi
    kill -TERM "$child"
    wait_for_line "child got SIGTERM" 5
  fi
  kill -TERM "$init"
  init_finish
  assert_eq "$TJ_STATUS" 0 "$name's exit status ($mode, $delivery)"
  assert_init_clean
}

@test "by default signals reach the workload's whole process group (testjail, dumb-init, tini -g)" {
  local mode
  for mode in "${INIT_MODES[@]}"; do
    delivery testjail "$mode" group
    delivery dumb-init "$mode" group
    delivery tini "$mode" group
  done
}

@test "--single-child sends signals to the workload alone (testjail --single-child, tini, dumb-init -c)" {
  local mode
  for mode in "${INIT_MODES[@]}"; do
    delivery testjail "$mode" single
    delivery tini "$mode" single
    delivery dumb-init "$mode" single
  done
}

@test "the workload runs in a session of its own by default, in a process group of its own with --single-child" {
  local mode out
  for mode in "${INIT_MODES[@]}"; do
    run -0 --separate-stderr in_mode "$mode" "$TESTJAIL" init -- sh -c 'echo $$ $(ps -o sid= -o pgid= -p $$)'
    read -r pid sid pgid <<<"$output"
    assert_eq "$sid $pgid" "$pid $pid" "session and group of the workload ($mode)"
    run -0 --separate-stderr in_mode "$mode" "$TESTJAIL" init --single-child -- sh -c 'echo $$ $(ps -o sid= -o pgid= -p $$)'
    read -r pid sid pgid <<<"$output"
    assert_eq "$pgid" "$pid" "group of the workload with --single-child ($mode)"
    [ "$sid" != "$pid" ] || { echo "--single-child: the workload leads a session ($mode)" >&2; return 1; }
  done
}

@test "the workload starts with an empty signal mask and default dispositions" {
  local mode
  for mode in "${INIT_MODES[@]}"; do
    # Started from a shell that ignores SIGINT and SIGQUIT and blocks SIGUSR1.
    run -0 --separate-stderr in_mode "$mode" "$PYTHON3" -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGQUIT, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
os.execv(sys.argv[1], sys.argv[1:])' "$TESTJAIL" init -- grep -E '^Sig(Blk|Ign)' /proc/self/status
    assert_eq "$output" $'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000' "($mode)"
  done
}

@test "--rewrite maps a signal to another, TO 0 drops it (testjail and dumb-init)" {
  local name mode
  for mode in "${INIT_MODES[@]}"; do
    for name in testjail dumb-init; do
      if [ "$name" = testjail ]; then
        INIT_CMD=("$TESTJAIL" init --rewrite TERM:USR1 --rewrite 12:0 --)
      else
        require_cmd dumb-init
        INIT_CMD=(dumb-init --rewrite 15:10 --rewrite 12:0)
      fi
      init_start "$mode" "${INIT_CMD[@]}" "$TJHELPER" --tag="$MARKER" signals --exit-on SIGHUP
      wait_for_line ready
      local init
      init="$(init_pid)"
      kill -USR2 "$init" # dropped
      kill -TERM "$init"
      wait_for_line "got SIGUSR1" 5
      kill -HUP "$init"
      wait_for_line "got SIGHUP" 5
      init_finish
      assert_eq "$TJ_STATUS" 0 "$name ($mode)"
      if grep -q "SIGUSR2\|SIGTERM" "$BATS_TEST_TMPDIR/stdout"; then
        echo "$name ($mode) forwarded a dropped or rewritten signal:" >&2
        cat "$BATS_TEST_TMPDIR/stdout" >&2
        return 1
      fi
    done
  done
  assert_init_clean
}
