#!/usr/bin/env bats
# testjail init exits with the workload's status: 0..255 as it is, 128+N
# when a signal N killed it, as tini and dumb-init do; 127 and 126 when the
# command cannot be run. As PID 1 of a pid namespace and as a subreaper.

load common
load init-common


@test "every exit status 0..255 passes through (PID 1 and subreaper)" {
  local mode code st
  for mode in "${INIT_MODES[@]}"; do
    for code in "${TJ_EXIT_CODES[@]}"; do   # a sample under TJ_SAMPLE=1
      st=0
      in_mode "$mode" "$TESTJAIL" init -- "$TJHELPER" exit "$code" 2>/dev/null || st=$?
      assert_eq "$st" "$code" "exit $code ($mode)"
    done
  done
  assert_init_clean
}

@test "tini and dumb-init pass the same statuses through" {
  require_cmd tini dumb-init
  local mode code name st
  for mode in "${INIT_MODES[@]}"; do
    for name in tini dumb-init; do
      init_cmd "$name" "$mode"
      for code in 0 1 2 42 125 126 127 128 129 137 143 254 255; do
        st=0
        in_mode "$mode" "${INIT_CMD[@]}" "$TJHELPER" exit "$code" 2>/dev/null || st=$?
        assert_eq "$st" "$code" "$name: exit $code ($mode)"
      done
    done
  done
}

# Signals whose default action ends the process; under TJ_SAMPLE=1 the
# classic ones that matter most, the first and last real-time ones.
if tj_sampling; then
  FATAL_SIGNALS=(1 2 3 6 9 11 13 15 24 31 34 64)
else
  FATAL_SIGNALS=(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 24 25 26 27 29 30 31 $(seq 34 64))
fi

@test "a workload killed by signal N gives 128+N, as under tini and dumb-init" {
  local mode sig name st
  for mode in "${INIT_MODES[@]}"; do
    for sig in "${FATAL_SIGNALS[@]}"; do
      st=0
      in_mode "$mode" "$TESTJAIL" init -- "$TJHELPER" kill-self "$sig" 2>/dev/null || st=$?
      assert_eq "$st" "$((128 + sig))" "testjail: kill-self $sig ($mode)"
    done
    for name in tini dumb-init; do
      command -v "$name" >/dev/null || continue
      init_cmd "$name" "$mode"
      for sig in 1 2 6 9 11 15 34 64; do
        st=0
        in_mode "$mode" "${INIT_CMD[@]}" "$TJHELPER" kill-self "$sig" 2>/dev/null || st=$?
        assert_eq "$st" "$((128 + sig))" "$name: kill-self $sig ($mode)"
      done
    done
  done
  assert_init_clean
}

@test "the diagnosis goes to stderr and the report, the status stays the workload's" {
  run --separate-stderr in_mode pid1 "$TESTJAIL" init --report r.json -- "$TJHELPER" kill-self SIGTERM
  assert_eq "$status" 143
  assert_contains "$stderr" "testjail: killed by SIGTERM"
  assert_contains "$stderr" "outcome=signaled exit_code=143 signal=SIGTERM"
  assert_not_contains "$stderr" "subreaper"
  assert_outcome r.json signaled
  assert_eq "$(json_get r.json mode)" init
  assert_eq "$(json_get r.json exit_code)" 143
  assert_eq "$(json_get r.json exit.signal)" SIGTERM
  assert_eq "$(json_get r.json init.pid1)" true

  run --separate-stderr "$TESTJAIL" init --report r.json -- "$TJHELPER" exit 0
  assert_eq "$status" 0
  # A run that passed says nothing but the one-time subreaper note.
  [[ "$stderr" =~ ^"testjail: init: not PID 1 (pid "[0-9]+"): registered as a child subreaper, so orphans are reaped here"$ ]] ||
    { echo "unexpected stderr: $stderr" >&2; return 1; }
  assert_outcome r.json passed
  assert_eq "$(json_get r.json init.pid1)" false
  assert_init_clean
}

@test "a command that is not found gives 127, one that cannot be executed 126" {
  local mode
  for mode in "${INIT_MODES[@]}"; do
    run -127 --separate-stderr in_mode "$mode" "$TESTJAIL" init -- no-such-command-"$MARKER"
    assert_contains "$stderr" "no-such-command-$MARKER: command not found"
    touch not-executable
    run -126 --separate-stderr in_mode "$mode" "$TESTJAIL" init -- ./not-executable
    assert_contains "$stderr" "not-executable"
  done
  assert_init_clean
}
