#!/usr/bin/env bats
# Every piece of kernel state a run creates (cgroup directories, mounts,
# processes) is gone after it, even when testjail itself is SIGKILLed (then
# the next run collects its cgroup), after many runs and with runs at once.

load common

LIMITS=(--memory 64M --pids-limit 64)

setup() {
  tj_setup
  require_controller memory
  require_controller pids
  require_cmd pidwait
}

@test "testjail killed with SIGKILL mid-run leaves no process, and the next run collects its cgroup" {
  tj_start exec "${LIMITS[@]}" -- "$TJHELPER" --tag="$MARKER" signals --fork --exit-on none
  wait_for_line ready
  local victim=$TJ_PID
  kill -KILL "$victim"
  wait "$victim" || true
  exec 4<&-
  # The workload and its child die with testjail (no sleep loop: pidwait
  # uses pidfds). pidwait exits 1 when nothing matched to begin with.
  local st=0
  timeout 10 pidwait -f "$MARKER_RE" || st=$?
  [ "$st" -le 1 ] || { echo "processes still there after 10 s:" >&2; marker_procs >&2; return 1; }
  assert_eq "$(marker_procs)" ""
  echo "# cgroups of the killed run: $(snapshot_cgroups | grep -c "/testjail-$victim-" || true)" >&3
  # The next run collects what the dead one could not remove.
  run -0 tj exec "${LIMITS[@]}" -- true
  local stale
  stale="$(snapshot_cgroups | grep "/testjail-$victim-" || true)"
  assert_eq "$stale" "" "cgroups of the SIGKILLed testjail $victim after the next run"
  assert_nothing_left
}

@test "testjail doctor --gc collects the cgroup of a SIGKILLed testjail" {
  tj_start exec "${LIMITS[@]}" -- "$TJHELPER" --tag="$MARKER" sleep forever
  wait_for_line ready
  local victim=$TJ_PID
  kill -KILL "$victim"
  wait "$victim" || true
  exec 4<&-
  local st=0
  timeout 10 pidwait -f "$MARKER_RE" || st=$?
  [ "$st" -le 1 ] || { echo "processes still there after 10 s:" >&2; marker_procs >&2; return 1; }
  [ -n "$(snapshot_cgroups | grep "/testjail-$victim-")" ] ||
    skip_because "the SIGKILLed testjail left no cgroup to collect"
  run -0 tj doctor --gc
  assert_eq "$(snapshot_cgroups | grep "/testjail-$victim-" || true)" "" "after doctor --gc"
  assert_nothing_left
}

@test "testjail doctor --gc leaves the cgroup of a running testjail alone" {
  tj_start exec "${LIMITS[@]}" -- "$TJHELPER" --tag="$MARKER" sleep forever
  wait_for_line ready
  local before after
  before="$(snapshot_cgroups | grep "/testjail-$TJ_PID-" || true)"
  [ -n "$before" ] || { echo "no cgroup testjail-$TJ_PID-* while it runs" >&2; return 1; }
  run -0 tj doctor --gc
  after="$(snapshot_cgroups | grep "/testjail-$TJ_PID-" || true)"
  assert_eq "$after" "$before" "cgroups of the running testjail after doctor --gc"
  kill -TERM "$TJ_PID"
  tj_finish
  assert_eq "$TJ_STATUS" 143 "the run went on until SIGTERM"
  assert_nothing_left
}

@test "a new run leaves the cgroup of a running testjail alone" {
  tj_start exec "${LIMITS[@]}" -- "$TJHELPER" --tag="$MARKER" sleep forever
  wait_for_line ready
  local before
  before="$(snapshot_cgroups | grep "/testjail-$TJ_PID-" || true)"
  run -0 tj exec "${LIMITS[@]}" -- true
  assert_eq "$(snapshot_cgroups | grep "/testjail-$TJ_PID-" || true)" "$before"
  kill -TERM "$TJ_PID"
  tj_finish
  assert_eq "$TJ_STATUS" 143
  assert_nothing_left
}

@test "100 runs in a row leave no cgroup, mount or process behind" {
  # A mix of endings: success, failure, death by signal, a daemon left
  # behind, a child killed by the cgroup limit. TJ_SAMPLE=1: each 4 times.
  local i st want failed="" n=100
  ! tj_sampling || n=20
  for i in $(seq 1 $n); do
    st=0
    case $((i % 5)) in
    0) want=0; tj exec "${LIMITS[@]}" -- "$TJHELPER" --tag="$MARKER" exit 0 >/dev/null 2>&1 || st=$? ;;
    1) want=3; tj exec "${LIMITS[@]}" -- "$TJHELPER" --tag="$MARKER" exit 3 >/dev/null 2>&1 || st=$? ;;
    2) want=137; tj exec "${LIMITS[@]}" -- "$TJHELPER" --tag="$MARKER" kill-self SIGKILL >/dev/null 2>&1 || st=$? ;;
    3) want=0; tj exec "${LIMITS[@]}" -- "$TJHELPER" --tag="$MARKER" orphan >/dev/null 2>&1 || st=$? ;;
    4) want=1; tj exec --memory 64M --pids-limit 8 -- "$TJHELPER" --tag="$MARKER" forkbomb >/dev/null 2>&1 || st=$? ;;
    esac
    [ "$st" -eq "$want" ] || failed+=" run$i:$st(want $want)"
  done
  assert_eq "$failed" "" "exit statuses"
  assert_nothing_left
}

@test "4 runs at once get their own cgroups and leave nothing behind" {
  local k pids=() fifos=() line fd st
  for k in 1 2 3 4; do
    mkfifo "$BATS_TEST_TMPDIR/out$k"
    env --default-signal=INT,QUIT "$TESTJAIL" exec "${LIMITS[@]}" -- "$TJHELPER" --tag="$MARKER" signals \
      >"$BATS_TEST_TMPDIR/out$k" 2>"$BATS_TEST_TMPDIR/err$k" 3>&- &
    pids+=($!)
    TJ_BG_PIDS+=($!)
    tj_record_pid $!
  done
  # All four are running at the same time.
  for k in 1 2 3 4; do
    exec {fd}<"$BATS_TEST_TMPDIR/out$k"
    fifos+=("$fd")
    IFS= read -r -t 20 line <&"$fd" || true
    assert_eq "$line" ready "run $k"
  done
  local p n
  for p in "${pids[@]}"; do
    n="$(snapshot_cgroups | grep -c "/testjail-$p-" || true)"
    [ "$n" -ge 1 ] || { echo "no cgroup testjail-$p-* while run $p is going" >&2; return 1; }
  done
  for p in "${pids[@]}"; do
    kill -TERM "$p"
  done
  for k in 0 1 2 3; do
    st=0
    wait "${pids[$k]}" || st=$?
    assert_eq "$st" 0 "run $((k + 1)); stderr: $(cat "$BATS_TEST_TMPDIR/err$((k + 1))")"
    assert_eq "$(timeout 10 cat <&"${fifos[$k]}")" "got SIGTERM" "run $((k + 1))"
    fd=${fifos[$k]}
    exec {fd}<&-
  done
  assert_nothing_left
}

@test "4 runs at once that all hit their memory limit are each classified alone" {
  local k pids=() st
  for k in 1 2 3 4; do
    "$TESTJAIL" exec --memory 64M --report "r$k.json" -- "$TJHELPER" --tag="$MARKER" alloc 256 \
      >/dev/null 2>&1 3>&- &
    pids+=($!)
    TJ_BG_PIDS+=($!)
    tj_record_pid $!
  done
  for k in 0 1 2 3; do
    st=0
    wait "${pids[$k]}" || st=$?
    assert_eq "$st" 137 "run $((k + 1))"
    assert_outcome "r$((k + 1)).json" oom_killed
    assert_eq "$(json_get "r$((k + 1)).json" usage.oom_kills)" 1 "run $((k + 1)) counts only its own kill"
  done
  assert_nothing_left
}
