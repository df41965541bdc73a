#!/usr/bin/env bats
# The core's sandbox options in init mode: --wall-timeout (SIGQUIT, then
# SIGKILL after --grace), --pids-limit and --ulimit, each explained like an
# exec run; the status stays the workload's.

load common
load init-common

@test "--wall-timeout: SIGQUIT to the workload's group, outcome timeout (PID 1 and subreaper)" {
  local mode
  for mode in "${INIT_MODES[@]}"; do
    run -131 --separate-stderr in_mode "$mode" "$TESTJAIL" init --wall-timeout 1s --termination-log "$PWD/tlog" \
      --report r.json -- "$TJHELPER" --tag="$MARKER" sleep forever
    assert_outcome r.json timeout
    assert_contains "$(head -n1 tlog)" "timeout: still running after the 1s wall-clock limit; sent SIGQUIT"
    assert_eq "$(json_get r.json limits.wall_timeout_ms)" 1000
  done
  assert_init_clean
}

@test "--wall-timeout: a workload that survives SIGQUIT is killed after the grace" {
  run -137 --separate-stderr "$TESTJAIL" init --wall-timeout 1s --grace 1s --report r.json -- \
    "$TJHELPER" --tag="$MARKER" signals --exit-on none
  assert_outcome r.json timeout
  assert_contains "$(json_get r.json diagnosis)" "then killed everything after the grace period"
  assert_eq "$(marker_procs)" ""
  assert_init_clean
}

@test "--pids-limit: a fork bomb is explained as pids_limit" {
  require_controller pids
  local mode
  for mode in "${INIT_MODES[@]}"; do
    run -1 --separate-stderr in_mode "$mode" "$TESTJAIL" init --pids-limit 16 --report r.json -- \
      "$TJHELPER" --tag="$MARKER" forkbomb 100
    assert_outcome r.json pids_limit
    assert_eq "$(json_get r.json limits.pids)" 16
    assert_eq "$(marker_procs)" "" "the bomb's children are drained ($mode)"
  done
  assert_init_clean
}

@test "--ulimit applies to the workload, not to init; an rlimit signal is explained" {
  # init leaves the workload's output alone (it goes straight to the
  # container's log): rlimits show by their signal, not by error messages.
  run -153 --separate-stderr "$TESTJAIL" init --ulimit fsize=1M --report r.json -- "$TJHELPER" fsize 4 big
  assert_outcome r.json rlimit_fsize
  run -0 --separate-stderr "$TESTJAIL" init --ulimit fsize=1M -- sh -c 'ulimit -f'
  assert_eq "$output" 2048
}
