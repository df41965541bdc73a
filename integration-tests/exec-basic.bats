#!/usr/bin/env bats
# testjail exec is transparent: exit status, signals as 128+N, 126/127 like a
# shell, argv, environment and working directory pass through.

load common

@test "exit status 0..255 passes through" {
  local code failed=""
  for code in "${TJ_EXIT_CODES[@]}"; do   # a sample under TJ_SAMPLE=1
    tj exec -- "$TJHELPER" exit "$code" 2>/dev/null && st=0 || st=$?
    [ "$st" -eq "$code" ] || failed+=" $code->$st"
  done
  assert_eq "$failed" "" "exit code -> testjail status"
}

@test "a workload killed by signal N gives 128+N" {
  local sig num failed=""
  for sig in HUP INT QUIT ABRT KILL USR1 SEGV USR2 PIPE TERM XCPU XFSZ SYS; do
    num="$(kill -l "$sig")"
    tj exec -- "$TJHELPER" kill-self "SIG$sig" 2>/dev/null && st=0 || st=$?
    [ "$st" -eq $((128 + num)) ] || failed+=" SIG$sig->$st"
  done
  assert_eq "$failed" "" "signal -> testjail status"
}

@test "a workload killed by a signal gets one diagnosis line naming it" {
  run --separate-stderr -143 tj exec -- "$TJHELPER" kill-self SIGTERM
  assert_diagnosis_line "$stderr"
  assert_contains "$(grep '^testjail: ' <<<"$stderr")" SIGTERM
}

@test "a successful run prints nothing on stderr" {
  run --separate-stderr -0 tj exec -- "$TJHELPER" exit 0
  assert_eq "$stderr" ""
  assert_eq "$output" ""
}

@test "a non-zero exit gets one diagnosis line" {
  run --separate-stderr -3 tj exec -- "$TJHELPER" exit 3
  assert_diagnosis_line "$stderr"
}

@test "a command that does not exist exits 127 with one line naming it" {
  run --separate-stderr -127 tj exec -- "$TJ_WORK/no-such-command-$MARKER"
  assert_diagnosis_line "$stderr"
  assert_contains "$stderr" "no-such-command-$MARKER"
  assert_nothing_left
}

@test "a command not found in PATH exits 127" {
  run --separate-stderr -127 tj exec -- "no-such-command-$MARKER"
  assert_diagnosis_line "$stderr"
  assert_contains "$stderr" "no-such-command-$MARKER"
  assert_nothing_left
}

@test "a file without the execute bit exits 126 with one line naming it" {
  printf '#!/bin/sh\nexit 0\n' >"notexec-$MARKER"
  chmod 644 "notexec-$MARKER"
  run --separate-stderr -126 tj exec -- "./notexec-$MARKER"
  assert_diagnosis_line "$stderr"
  assert_contains "$stderr" "notexec-$MARKER"
  assert_nothing_left
}

@test "a directory as the command exits 126" {
  mkdir "dir-$MARKER"
  run --separate-stderr -126 tj exec -- "$TJ_WORK/dir-$MARKER"
  assert_diagnosis_line "$stderr"
  assert_contains "$stderr" "dir-$MARKER"
}

@test "the command is looked up in PATH and a relative path works" {
  run -0 tj exec -- true
  cp "$TJHELPER" ./helper-copy
  run -7 tj exec -- ./helper-copy exit 7
}

@test "arguments pass through verbatim" {
  run -0 tj exec -- printf '[%s]' 'a b' '' '*' '$HOME' '--' '-x'
  assert_eq "$output" '[a b][][*][$HOME][--][-x]'
}

@test "the caller's environment is inherited" {
  TJ_PROBE="inherited value" run -0 tj exec -- printenv TJ_PROBE
  assert_eq "$output" "inherited value"
}

@test "--env sets variables, overrides inherited ones and is repeatable" {
  TJ_PROBE=inherited run -0 tj exec --env TJ_PROBE=set --env TJ_OTHER='a=b c' -- \
    sh -c 'printf "%s|%s|%s\n" "$TJ_PROBE" "$TJ_OTHER" "$HOME"'
  assert_eq "$output" "set|a=b c|$HOME"
}

@test "the workload's cwd is testjail's cwd and it is writable" {
  run -0 tj exec -- sh -c 'pwd -P; echo written >probe'
  assert_eq "$output" "$(pwd -P)"
  assert_eq "$(cat probe)" written
}

@test "stdin passes through to the workload" {
  run -0 bash -c 'printf "line one\nline two\n" | "$0" exec -- cat' "$TESTJAIL"
  assert_eq "$output" "line one
line two"
}

@test "stdout and stderr stay separate" {
  run --separate-stderr -0 tj exec -- sh -c 'echo to-out; echo to-err >&2'
  assert_eq "$output" to-out
  assert_eq "$stderr" to-err
}

@test "--version prints the version and exits 0" {
  run -0 "$TESTJAIL" --version
  [[ "$output" =~ [0-9]+\.[0-9]+\.[0-9]+ ]]
}
