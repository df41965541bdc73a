#!/usr/bin/env bats
# testjail doctor: what this host supports and where run cgroups will go.

load common

@test "doctor exits 0 and names this host's cgroup mode" {
  run -0 tj doctor
  assert_contains "$output" "cgroup mode: $(cgroup_mode)"
}

@test "doctor names the memory and pids controllers" {
  run -0 tj doctor
  assert_contains "$output" memory
  assert_contains "$output" pids
}

@test "doctor shows where run cgroups go: under our own cgroup" {
  require_controller memory
  run -0 tj doctor
  local rel
  if [ "$(cgroup_mode)" = v2 ]; then
    rel="$(sed -n 's/^0:://p' /proc/self/cgroup)"
  else
    rel="$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)"
  fi
  # The own path of the caller (doctor is its child, in the same cgroup).
  assert_contains "$output" "${rel%/}"
}

@test "doctor changes nothing" {
  run -0 tj doctor
  assert_nothing_left
}

@test "doctor --gc exits 0 when there is nothing to collect" {
  run -0 tj doctor --gc
  assert_nothing_left
}

@test "doctor with an unknown option is refused with 125" {
  run --separate-stderr -125 tj doctor --frobnicate
  assert_contains "$stderr" "--frobnicate"
}
