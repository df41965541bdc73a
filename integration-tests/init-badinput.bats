#!/usr/bin/env bats
# Misuse of testjail init: one line on stderr naming the input, exit 125,
# nothing started and nothing created.

load common
load init-common

bad() {
  run -125 --separate-stderr "$TESTJAIL" init "$@"
  assert_eq "$output" "" "stdout for: init $*"
  assert_eq "$(grep -c '^testjail: ' <<<"$stderr")" 1 "one error line for: init $*; got: $stderr"
  assert_not_contains "$stderr" "subreaper"
}

@test "bad options exit 125 with a message naming them" {
  bad --no-such-option -- "$TJHELPER" --tag="$MARKER" pid
  assert_contains "$stderr" "unknown option '--no-such-option'"
  bad --grace -- "$TJHELPER" pid
  bad --grace 0 -- "$TJHELPER" pid
  assert_contains "$stderr" "--grace"
  bad --grace 10 -- "$TJHELPER" pid
  bad --rewrite TERM -- "$TJHELPER" pid
  assert_contains "$stderr" "invalid --rewrite 'TERM'"
  bad --rewrite NOPE:TERM -- "$TJHELPER" pid
  assert_contains "$stderr" "unknown signal 'NOPE'"
  bad --rewrite TERM:99 -- "$TJHELPER" pid
  bad --rewrite KILL:TERM -- "$TJHELPER" pid
  assert_contains "$stderr" "cannot be caught"
  bad --rewrite CHLD:TERM -- "$TJHELPER" pid
  bad --memory 0 -- "$TJHELPER" pid
  bad --pids-limit -3 -- "$TJHELPER" pid
  bad --ulimit nofile=8:4 -- "$TJHELPER" pid
  bad --wall-timeout forever -- "$TJHELPER" pid
  bad --termination-log "" -- "$TJHELPER" pid
  bad --termination-log /nonexistent-"$MARKER"/log -- "$TJHELPER" pid
  assert_contains "$stderr" "--termination-log /nonexistent-$MARKER/log"
  bad --report /nonexistent-"$MARKER"/r.json -- "$TJHELPER" pid
  bad --network host -- "$TJHELPER" pid
  assert_contains "$stderr" "unknown option '--network'"
  assert_init_clean
}

@test "a missing '--' or command exits 125" {
  bad "$TJHELPER" pid
  assert_contains "$stderr" "missing '--' before the command"
  bad
  assert_contains "$stderr" "no command given"
  bad --
  bad -- ""
  assert_contains "$stderr" "empty command name"
}

@test "--help and 'help init' print the usage and exit 0" {
  run -0 "$TESTJAIL" init --help
  assert_contains "$output" "Usage: testjail init [OPTIONS] -- COMMAND [ARG...]"
  assert_contains "$output" "--single-child"
  assert_contains "$output" "--termination-log PATH"
  assert_contains "$output" "--memory SIZE"
  run -0 "$TESTJAIL" help init
  assert_contains "$output" "--rewrite FROM:TO"
  run -0 "$TESTJAIL" --help
  assert_contains "$output" "init [OPTIONS] -- COMMAND [ARG...]"
}
