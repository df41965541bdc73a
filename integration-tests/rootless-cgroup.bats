#!/usr/bin/env bats
# A normal user where no cgroup v2 subtree is delegated to it (hybrid and v1
# hosts, or a cgroup owned by root on a v2 host, as the root cgroup of the
# v2 guest): cgroup limits are refused with one line naming the way out,
# and a run without limits goes on without a cgroup.

load common
load rootless

NOBODY=65534

setup() {
  tj_setup
  require_cmd setpriv
  local own
  own="/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)"
  if [ "$(cgroup_mode)" = v2 ] && [ "$(stat -c %u "${own%/}/cgroup.procs")" = $NOBODY ]; then
    skip_because "our cgroup $own is delegated to uid $NOBODY: these tests need one that is not"
  fi
  give_workdir_to $NOBODY
}

# The way out the refusal must name, for this host's cgroup mode.
assert_way_out() {
  assert_contains "$1" "no delegated cgroup v2 subtree: "
  assert_contains "$1" "run under \`systemd-run --user --scope -p Delegate=yes testjail ...\`, or as root"
  if [ "$(cgroup_mode)" = v2 ]; then
    assert_contains "$1" "is not delegated to uid $NOBODY"
  else
    assert_contains "$1" "this host has $(cgroup_mode) cgroups"
    assert_contains "$1" "boot with systemd.unified_cgroup_hierarchy=1 and "
  fi
}

@test "as a normal user, --memory without a delegated subtree: 125, one line with the way out, nothing left" {
  run --separate-stderr -125 tj_as $NOBODY exec --memory 64M --report r.json -- "$TJHELPER" --tag="$MARKER" exit 0
  assert_diagnosis_line "$stderr"
  local line
  line="$(grep '^testjail: ' <<<"$stderr")"
  assert_contains "$line" "--memory needs a cgroup, and "
  assert_way_out "$line"
  assert_outcome r.json sandbox_error
  assert_eq "$(json_get r.json exit_code)" 125
  assert_nothing_left
}

@test "as a normal user, --pids-limit and --cpus together: one line naming both" {
  run --separate-stderr -125 tj_as $NOBODY exec --pids-limit 16 --cpus 0.5 -- "$TJHELPER" --tag="$MARKER" exit 0
  assert_diagnosis_line "$stderr"
  local line
  line="$(grep '^testjail: ' <<<"$stderr")"
  assert_contains "$line" "--pids-limit and --cpus need a cgroup, and "
  assert_not_contains "$line" "--memory"
  assert_way_out "$line"
  assert_nothing_left
}

@test "as a normal user without limits: the run goes on without a cgroup, its counters unknown" {
  run --separate-stderr -3 tj_as $NOBODY exec --report r.json -- "$TJHELPER" --tag="$MARKER" exit 3
  assert_outcome r.json exit_nonzero
  assert_eq "$(json_get r.json cgroup)" null "no run cgroup"
  # No cgroup, no evidence from one: null, never a made-up 0.
  assert_eq "$(json_get r.json usage.memory_peak_bytes)" null
  assert_eq "$(json_get r.json usage.oom_kills)" null
  assert_eq "$(json_get r.json usage.pids_peak)" null
  assert_nothing_left
}
