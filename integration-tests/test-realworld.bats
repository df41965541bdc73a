#!/usr/bin/env bats
# Real test suites nobody here wrote get the verdict they get under plain go
# test: a fast subset of the standard library (`make realworld` runs the
# whole list of the issue).
# v2vm: host only: real packages' verdicts against go test's, which no cgroup layout changes; their sandboxes are the ones the other suites check in the guests, and their builds took two minutes under TCG

load common
load gotest

@test "strings, strconv, sort: passed under testjail test as under go test" {
  go test -count=1 strings strconv sort >/dev/null
  TJ_TIMEOUT=300 tjt strings strconv sort
  assert_test_result passed 0
  assert_contains "$output" "ok  	strings	"
  assert_contains "$output" "ok  	strconv	"
  assert_contains "$output" "ok  	sort	"
  assert_nothing_left_test
}
