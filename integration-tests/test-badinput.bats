#!/usr/bin/env bats
# `testjail test` on bad input: one line on stderr naming the problem, exit
# 125, nothing on stdout, and nothing left behind (work directory, cgroups,
# processes).

load common
load gotest

setup() {
  tjt_setup
  # The marker rides in the environment, so a build or test binary left
  # running is found; the leak check also covers the work directory.
  TJ_BAD_INPUT_ARGS=(test --env "TJMARK=$MARKER")
  TJ_BAD_INPUT_LEAK_CHECK=assert_nothing_left_test
}

@test "a package directory that does not exist" {
  expect_bad_input "nosuchdir" ./nosuchdir
}

@test "a directory without Go files" {
  mkdir empty
  expect_bad_input "no Go files" ./empty
}

@test "a pattern that matches nothing" {
  mkdir -p nothing/here
  expect_bad_input "matched no packages" ./nothing/...
}

@test "an import path nobody provides" {
  expect_bad_input "example.com/not/there" example.com/not/there
}

@test "a directory outside any module" {
  cd "$TJ_WORK"
  expect_bad_input "go.mod" .
}

@test "go missing from PATH" {
  run --separate-stderr env PATH=/nonexistent "$TESTJAIL" test --env "TJMARK=$MARKER" ./pass
  assert_eq "$status" 125 "status; stderr: $stderr"
  assert_eq "$output" "" "nothing on stdout"
  assert_eq "${#stderr_lines[@]}" 1 "one line on stderr: $stderr"
  assert_contains "$stderr" "testjail: go: not found in PATH"
  assert_nothing_left_test
}

@test "a TESTFLAGS value of the wrong type" {
  expect_bad_input '"many"' ./pass -- -count many
}

@test "a TESTFLAG without its value" {
  expect_bad_input "-run needs a value" ./pass -- -run
}

@test "a bad -timeout in TESTFLAGS" {
  expect_bad_input "-timeout" ./pass -- -timeout=soon
}

@test "a flag the test binary does not know" {
  expect_bad_input "flag provided but not defined: -nosuchflag" ./pass -- -nosuchflag
}

@test "go test's own flags that testjail test does itself or cannot do, in TESTFLAGS" {
  expect_bad_input "-exec" ./pass -- -exec /bin/true
  expect_bad_input "testjail test runs the tests it builds" ./pass -- -c
}

@test "-fuzz with several packages" {
  expect_bad_input "-fuzz takes one package" ./pass ./fail -- -fuzz FuzzX
}

@test "a bad -covermode; -coverprofile into a directory that does not exist" {
  expect_bad_input '"lines" for -covermode' ./pass -- -covermode lines
  expect_bad_input "/nonexistent/dir" ./pass -- -coverprofile=/nonexistent/dir/c.out
}

@test "-p 0" {
  expect_bad_input "-p" -p 0 ./pass
}

@test "--build-memory 0" {
  expect_bad_input "--build-memory" --build-memory 0 ./pass
}

@test "--build-timeout without a unit" {
  expect_bad_input "--build-timeout" --build-timeout 10 ./pass
}

@test "--junit into a directory that does not exist" {
  expect_bad_input "/nonexistent/dir" --junit /nonexistent/dir/j.xml ./pass
}

@test "an unknown option after the packages" {
  expect_bad_input "--frobnicate" ./pass --frobnicate
}

@test "go test's flags before and among the packages: bad ones named, as after '--'" {
  expect_bad_input '"many"' -count many ./pass
  expect_bad_input "option '-run' needs a value" ./pass -run
  expect_bad_input "-exec: testjail runs the test binary itself" -exec /bin/true ./pass
  expect_bad_input 'invalid value "maybe" for -json' -json=maybe ./pass
}

@test "a flag go test does not know, before the packages; testjail's option with one dash" {
  # go test would take ./pass as the flag's value and test "." instead
  expect_bad_input "unknown flag '-nosuchflag' before the packages" -nosuchflag ./pass
  expect_bad_input "testjail's own options take two dashes (--memory)" -memory 64M ./pass
}

@test "__handoff (go test -exec's stand-in) run by hand: one line, exit 125" {
  run --separate-stderr "$TESTJAIL" __handoff
  assert_eq "$status" 125
  [[ "$stderr" == "testjail: __handoff WORKDIR BINARY: "*"not for direct use" ]] || { echo "$stderr" >&2; return 1; }
}
