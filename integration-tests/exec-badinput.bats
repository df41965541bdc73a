#!/usr/bin/env bats
# Bad input: one line on stderr, starting "testjail: " and naming the bad
# input, exit 125, nothing on stdout, and nothing left behind (no run cgroup,
# no mount, no process). The workload would exit 0 if it ever ran.

load common

setup() {
  tj_setup
  WORKLOAD=("$TJHELPER" --tag="$MARKER" exit 0)
}

@test "--memory 0 is refused" {
  expect_bad_input "--memory" exec --memory 0 -- "${WORKLOAD[@]}"
}

@test "--memory with a negative size is refused" {
  expect_bad_input "-64M" exec --memory -64M -- "${WORKLOAD[@]}"
}

@test "--memory that overflows 64 bits is refused" {
  expect_bad_input "99999999999999999999" exec --memory 99999999999999999999 -- "${WORKLOAD[@]}"
}

@test "--memory whose suffix overflows is refused" {
  expect_bad_input "17179869184G" exec --memory 17179869184G -- "${WORKLOAD[@]}"
}

@test "--memory with an unknown suffix is refused" {
  expect_bad_input "64X" exec --memory 64X -- "${WORKLOAD[@]}"
}

@test "--memory with trailing garbage is refused" {
  expect_bad_input "64Mfoo" exec --memory 64Mfoo -- "${WORKLOAD[@]}"
}

@test "--memory with an empty value is refused" {
  expect_bad_input "--memory" exec --memory "" -- "${WORKLOAD[@]}"
}

@test "--pids-limit 0 is refused" {
  expect_bad_input "--pids-limit" exec --pids-limit 0 -- "${WORKLOAD[@]}"
}

@test "--pids-limit that is not a number is refused" {
  expect_bad_input "many" exec --pids-limit many -- "${WORKLOAD[@]}"
}

@test "--pids-limit that is negative is refused" {
  expect_bad_input "-1" exec --pids-limit -1 -- "${WORKLOAD[@]}"
}

@test "--wall-timeout without a unit is refused" {
  expect_bad_input "10" exec --wall-timeout 10 -- "${WORKLOAD[@]}"
}

@test "--wall-timeout with an unknown unit is refused" {
  expect_bad_input "5x" exec --wall-timeout 5x -- "${WORKLOAD[@]}"
}

@test "--wall-timeout negative is refused" {
  expect_bad_input "-1s" exec --wall-timeout -1s -- "${WORKLOAD[@]}"
}

@test "--wall-timeout with a unitless tail is refused" {
  expect_bad_input "1h30" exec --wall-timeout 1h30 -- "${WORKLOAD[@]}"
}

@test "--wall-timeout that is not a duration is refused" {
  expect_bad_input "soon" exec --wall-timeout soon -- "${WORKLOAD[@]}"
}

@test "--grace that is not a duration is refused" {
  expect_bad_input "later" exec --grace later -- "${WORKLOAD[@]}"
}

@test "--ulimit with an unknown name is refused" {
  expect_bad_input "bogus" exec --ulimit bogus=1 -- "${WORKLOAD[@]}"
}

@test "--ulimit with soft above hard is refused" {
  expect_bad_input "nofile" exec --ulimit nofile=128:64 -- "${WORKLOAD[@]}"
}

@test "--ulimit without a value is refused" {
  expect_bad_input "nofile" exec --ulimit nofile -- "${WORKLOAD[@]}"
}

@test "--ulimit with a non-numeric value is refused" {
  expect_bad_input "lots" exec --ulimit nofile=lots -- "${WORKLOAD[@]}"
}

@test "--ulimit with a bad size is refused" {
  expect_bad_input "1Q" exec --ulimit fsize=1Q -- "${WORKLOAD[@]}"
}

@test "--network with an unknown mode is refused" {
  expect_bad_input "bridge" exec --network bridge -- "${WORKLOAD[@]}"
}

@test "--user that is not numeric is refused" {
  expect_bad_input "nobody" exec --user nobody -- "${WORKLOAD[@]}"
}

@test "--cpus that is not a number is refused" {
  expect_bad_input "fast" exec --cpus fast -- "${WORKLOAD[@]}"
}

@test "--cpus 0 is refused" {
  expect_bad_input "--cpus" exec --cpus 0 -- "${WORKLOAD[@]}"
}

@test "--env without = is refused" {
  expect_bad_input "NOEQUALS" exec --env NOEQUALS -- "${WORKLOAD[@]}"
}

@test "an unknown option is refused" {
  expect_bad_input "--frobnicate" exec --frobnicate -- "${WORKLOAD[@]}"
}

@test "an option without its value is refused" {
  expect_bad_input "--memory" exec --memory
}

@test "a command without -- is refused" {
  expect_bad_input "--" exec "${WORKLOAD[@]}"
}

@test "-- without a command is refused" {
  expect_bad_input "command" exec --memory 64M --
}

@test "exec without anything is refused" {
  expect_bad_input "command" exec
}

@test "an unknown subcommand is refused" {
  expect_bad_input "frobnicate" frobnicate -- "${WORKLOAD[@]}"
}

@test "--bind of a path that does not exist fails with 125 naming it" {
  expect_bad_input "/nonexistent-$MARKER" exec --bind "/nonexistent-$MARKER" -- "${WORKLOAD[@]}"
}

@test "--ro-bind of a path that does not exist fails with 125 naming it" {
  expect_bad_input "/nonexistent-$MARKER" exec --ro-bind "/nonexistent-$MARKER:/mnt" -- "${WORKLOAD[@]}"
}
