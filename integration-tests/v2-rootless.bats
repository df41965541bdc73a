#!/usr/bin/env bats
# A normal user with a cgroup v2 subtree delegated to it, as systemd's
# user@UID.service has one (make check-v2 runs this in its pure v2 guest):
# run cgroups go below that subtree and the limits hold. On a hybrid or v1
# host every test skips, saying so.

load common
load rootless

MIB=$((1024 * 1024))

setup() {
  tj_setup
  [ "$(cgroup_mode)" = v2 ] ||
    skip_because "cgroup v2 only: this host's cgroups are $(cgroup_mode) (make check-v2 runs these in a pure v2 guest)"
  require_cmd setpriv
  USER_CG=
  delegate_user_subtree "$TJ_USER"
  give_workdir_to "$TJ_USER"
}

teardown() {
  tj_teardown
  undelegate_user_subtree
}

# The run cgroup named in the report lay in the scope testjail ran in, below
# the delegated subtree, and is gone; testjail, alone in that scope, stepped
# into a leaf to enable the controllers there, and at the end left the
# scope as it found it: no cgroup below it, no controller enabled.
assert_run_below_delegation() {
  local run
  run="$(json_get "$1" cgroup)"
  [[ $run == "$USER_APP/"run-*.scope/testjail-* ]] || { echo "run cgroup '$run' is not in a scope below $USER_APP" >&2; return 1; }
  [ ! -d "$run" ] || { echo "the run cgroup $run was not removed" >&2; return 1; }
  assert_scopes_as_made
}

@test "a normal user in a delegated subtree: --memory 32M and a 200 MiB allocation is oom_killed (137)" {
  run --separate-stderr -137 tj_delegated "$TJ_USER" exec --memory 32M --report r.json -- \
    "$TJHELPER" --tag="$MARKER" alloc 200
  assert_outcome r.json oom_killed
  assert_diagnosis_line "$stderr"
  assert_eq "$(json_get r.json exit.signal)" SIGKILL
  local kills
  kills="$(json_get r.json usage.oom_kills)"
  [ "$kills" -ge 1 ] || { echo "oom_kills $kills" >&2; return 1; }
  assert_eq "$(json_get r.json limits.memory_bytes)" $((32 * MIB))
  assert_run_below_delegation r.json
  assert_nothing_left
}

@test "a normal user in a delegated subtree: a fork loop under --pids-limit 16 is pids_limit" {
  run --separate-stderr -1 tj_delegated "$TJ_USER" exec --pids-limit 16 --report r.json -- \
    "$TJHELPER" --tag="$MARKER" forkbomb
  assert_contains "$stderr" "fork: Resource temporarily unavailable"
  assert_outcome r.json pids_limit
  assert_diagnosis_line "$stderr"
  assert_eq "$(json_get r.json limits.pids)" 16
  local hits
  hits="$(json_get r.json usage.pids_limit_hits)"
  [ "$hits" -ge 1 ] || { echo "pids_limit_hits $hits" >&2; return 1; }
  assert_run_below_delegation r.json
  assert_nothing_left
}

@test "a normal user in a delegated subtree without limits: a run cgroup all the same, its counters known" {
  run --separate-stderr -0 tj_delegated "$TJ_USER" exec --report r.json -- "$TJHELPER" --tag="$MARKER" alloc 8
  assert_outcome r.json passed
  local peak
  peak="$(json_get r.json usage.memory_peak_bytes)"
  [ "$peak" != null ] && [ "$peak" -ge $((8 * MIB)) ] ||
    { echo "memory_peak_bytes $peak for an 8 MiB allocation" >&2; return 1; }
  assert_run_below_delegation r.json
  # A device program needs CAP_SYS_ADMIN in the initial user namespace.
  assert_eq "$(json_get r.json isolation.devices)" userns-only
  assert_contains "$(json_get r.json isolation.devices_note)" "CAP_SYS_ADMIN"
  assert_nothing_left
}

@test "doctor as that user: the delegated subtree and its controllers, exit 0 only without [!!]" {
  run tj_delegated "$TJ_USER" doctor
  local line
  line="$(grep -F '] delegated cgroup v2 subtree' <<<"$output")"
  assert_eq "$line" "  [ok] delegated cgroup v2 subtree: $USER_CG" "output: $output"
  assert_contains "$output" "  [ok] memory (--memory"
  assert_contains "$output" "  [ok] pids (--pids-limit)"
  if grep -q '^  \[!!\]' <<<"$output"; then
    assert_eq "$status" 1 "doctor printed [!!] lines"
  else
    assert_eq "$status" 0 "doctor printed no [!!] line"
  fi
}
