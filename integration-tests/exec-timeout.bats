#!/usr/bin/env bats
# --wall-timeout: SIGQUIT first (a Go binary prints its goroutine stacks),
# --grace later the whole sandbox is killed; outcome timeout either way.

load common

@test "--wall-timeout on a sleeper that survives SIGQUIT: timeout, SIGQUIT first, then killed" {
  run --separate-stderr -137 tj exec --wall-timeout 1s --grace 1s --report r.json -- \
    "$TJHELPER" --tag="$MARKER" signals --exit-on none
  assert_eq "${lines[0]}" ready
  assert_eq "${lines[1]}" "got SIGQUIT" "the workload's first signal"
  assert_eq "${#lines[@]}" 2 "nothing after SIGQUIT: SIGKILL cannot be caught"
  assert_outcome r.json timeout
  assert_diagnosis_line "$stderr"
  assert_eq "$(json_get r.json exit.signal)" SIGKILL
  assert_eq "$(json_get r.json limits.wall_timeout_ms)" 1000
  local ms
  ms="$(json_get r.json duration_ms)"
  [ "$ms" -ge 2000 ] && [ "$ms" -lt 10000 ] ||
    { echo "duration_ms $ms, expected 1 s timeout + 1 s grace" >&2; return 1; }
  assert_nothing_left
}

@test "--wall-timeout on a workload that exits on SIGQUIT like Go: timeout, its status passes through" {
  run --separate-stderr -2 tj exec --wall-timeout 1s --grace 5s --report r.json -- \
    "$TJHELPER" --tag="$MARKER" signals --exit-on SIGQUIT --exit-code 2
  assert_contains "$output" "got SIGQUIT"
  assert_outcome r.json timeout
  assert_diagnosis_line "$stderr"
  assert_eq "$(json_get r.json exit.code)" 2
  local ms
  ms="$(json_get r.json duration_ms)"
  # It exited at once on SIGQUIT: the 5 s grace was not waited out.
  [ "$ms" -ge 1000 ] && [ "$ms" -lt 5000 ] ||
    { echo "duration_ms $ms, expected about 1000, well under 1 s + 5 s grace" >&2; return 1; }
  assert_nothing_left
}

@test "--wall-timeout kills the children of the workload too" {
  run -137 tj exec --wall-timeout 1s --grace 500ms --report r.json -- \
    "$TJHELPER" --tag="$MARKER" signals --exit-on none --fork
  assert_contains "$output" "child got SIGQUIT"
  assert_outcome r.json timeout
  assert_nothing_left
}

@test "a workload that ends before --wall-timeout passes" {
  run --separate-stderr -0 tj exec --wall-timeout 30s --report r.json -- "$TJHELPER" sleep 1
  assert_outcome r.json passed
  assert_eq "$(json_get r.json limits.wall_timeout_ms)" 30000
  assert_eq "$stderr" ""
}

@test "--wall-timeout accepts Go durations" {
  local d
  for d in 500ms 1m30s 1h30m 2h45m30.5s 1.5h; do
    run -0 tj exec --wall-timeout "$d" -- true
  done
}

@test "the grace defaults to 2s" {
  run -137 tj exec --wall-timeout 500ms --report r.json -- "$TJHELPER" signals --exit-on none
  assert_outcome r.json timeout
  local ms
  ms="$(json_get r.json duration_ms)"
  [ "$ms" -ge 2500 ] && [ "$ms" -lt 8000 ] ||
    { echo "duration_ms $ms, expected 500 ms + 2 s grace" >&2; return 1; }
}
