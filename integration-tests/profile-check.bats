#!/usr/bin/env bats
# `testjail profile check|show` and `--profile`: problems printed with the
# file and a line:column or JSON path, exit 0 with warnings, 125 on a bad
# file, nothing left behind.

load common

setup() {
  tj_setup
  WORKLOAD=("$TJHELPER" --tag="$MARKER" exit 0)
}

@test "the shipped profiles check clean" {
  run --separate-stderr tj profile check default strict ci unconfined
  assert_eq "$status" 0 "stderr: $stderr"
  assert_eq "$stderr" "" "no warnings for the shipped profiles"
  assert_eq "${lines[0]}" "default: ok: 12 rules, default SCMP_ACT_ALLOW"
  assert_contains "${lines[1]}" "strict: ok: "
  assert_contains "${lines[1]}" "default SCMP_ACT_ERRNO"
  assert_eq "${lines[2]}" "ci: ok: 12 rules, default SCMP_ACT_ALLOW"
  assert_eq "${lines[3]}" "unconfined: ok: seccomp unconfined"
}

@test "the shipped files in profiles/ check clean and show prints what is embedded" {
  run --separate-stderr tj profile check "$TJ_REPO"/profiles/*.json
  assert_eq "$status" 0 "stderr: $stderr"
  for name in default strict ci unconfined; do
    tj profile show "$name" >"$TJ_WORK/$name.json"
    cmp "$TJ_WORK/$name.json" "$TJ_REPO/profiles/$name.json"
  done
}

@test "Docker's default profile loads; unknown syscall names are warnings, exit 0" {
  run --separate-stderr tj profile check "$TJ_REPO/unit-tests/data/moby-profiles-seccomp-default.json"
  assert_eq "$status" 0 "stderr: $stderr"
  assert_contains "$output" "moby-profiles-seccomp-default.json: ok: "
  assert_contains "$output" "default SCMP_ACT_ERRNO"
  cat >w.json <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"},
              {"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}
EOF
  run --separate-stderr tj profile check w.json
  assert_eq "$status" 0
  assert_eq "$output" "w.json: ok: 2 rules, default SCMP_ACT_ALLOW, 2 warnings"
  assert_contains "${stderr_lines[0]}" 'w.json: syscalls[0]: warning: syscall "no_such_syscall" is unknown on'
  assert_eq "${stderr_lines[1]}" "w.json: syscalls[1]: warning: the action is the default action (SCMP_ACT_ALLOW): the rule has no effect"
}

@test "Podman's default profile loads" {
  local f=/usr/share/containers/seccomp.json
  [ -r "$f" ] || skip_because "$f absent (Debian package golang-github-containers-common)"
  run --separate-stderr tj profile check "$f"
  assert_eq "$status" 0 "stderr: $stderr"
  assert_contains "$output" "$f: ok: "
}

# expect_problem FILE-CONTENT EXPECTED-STDERR-LINE
expect_problem() {
  printf '%s' "$1" >bad.json
  run --separate-stderr tj profile check bad.json
  assert_eq "$status" 125 "stderr: $stderr"
  assert_eq "$output" "" "nothing on stdout"
  assert_eq "$stderr" "$2"
  assert_nothing_left
}

@test "truncated JSON: file:line:column" {
  expect_problem '{"defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [' "bad.json:2:15: ']' expected near end of file"
}

@test "a duplicate key: file:line:column" {
  expect_problem '{"defaultAction": "SCMP_ACT_ALLOW", "defaultAction": "SCMP_ACT_LOG"}' \
    "bad.json:1:51: duplicate object key near '\"defaultAction\"'"
}

@test "an unknown action: its JSON path" {
  expect_problem '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["bpf"], "action": "SCMP_ACT_FOO"}]}' \
    'bad.json: syscalls[1].action: unknown action "SCMP_ACT_FOO" (known: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG, SCMP_ACT_NOTIFY)'
}

@test "wrong types, huge numbers, bad op, arg index, minKernel, errnoRet 0" {
  expect_problem '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "bpf", "action": "SCMP_ACT_ERRNO"}]}' \
    'bad.json: syscalls[0].names: expected an array of strings, got a string'
  expect_problem '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 4096}]}' \
    'bad.json: syscalls[0].errnoRet: 4096 is too large (at most 4095)'
  expect_problem '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 99999999999999999999, "op": "SCMP_CMP_EQ"}]}]}' \
    "bad.json:1:147: too big integer near '99999999999999999999'"
  expect_problem '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}' \
    'bad.json: syscalls[0].args[0].op: unknown comparison "SCMP_CMP_ABOUT" (known: SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)'
  expect_problem '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}]}' \
    'bad.json: syscalls[0].args[0].index: 7 is too large (at most 5)'
  expect_problem '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "5"}}]}' \
    'bad.json: syscalls[0].includes.minKernel: invalid kernel version "5": expected MAJOR.MINOR, e.g. "5.8"'
  expect_problem '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}]}' \
    'bad.json: syscalls[0].errnoRet: SCMP_ACT_ERRNO with errno 0 makes the syscall look successful without running it; set "allowErrnoZero": true in the seccomp object if that is really meant'
  expect_problem '{"memory": "1G", "pids_limit": -4}' 'bad.json: pids_limit: -4 is negative'
}

@test "every problem of a file is reported, not only the first" {
  cat >bad.json <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["read"], "action": "SCMP_ACT_FOO"},
              {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0},
              {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}
EOF
  run --separate-stderr tj profile check bad.json
  assert_eq "$status" 125
  assert_eq "${#stderr_lines[@]}" 3 "$stderr"
  assert_contains "${stderr_lines[0]}" 'bad.json: syscalls[0].action: unknown action "SCMP_ACT_FOO"'
  assert_contains "${stderr_lines[1]}" 'bad.json: syscalls[1].errnoRet: SCMP_ACT_ERRNO with errno 0'
  assert_eq "${stderr_lines[2]}" 'bad.json: syscalls[2].args[0].index: 6 is too large (at most 5)'
}

@test "several files: each is reported, one bad one fails the run" {
  echo '{"defaultAction": "SCMP_ACT_ALLOW"}' >good.json
  echo '{"defaultAction": "SCMP_ACT_ALOW"}' >typo.json
  run --separate-stderr tj profile check good.json typo.json missing.json "$TJ_WORK"
  assert_eq "$status" 125
  assert_eq "$output" "good.json: ok: 0 rules, default SCMP_ACT_ALLOW"
  assert_contains "${stderr_lines[0]}" 'typo.json: defaultAction: unknown action "SCMP_ACT_ALOW"'
  assert_eq "${stderr_lines[1]}" "missing.json: No such file or directory"
  assert_eq "${stderr_lines[2]}" "$TJ_WORK: not a regular file"
}

@test "usage errors exit 125" {
  run --separate-stderr tj profile check
  assert_eq "$status" 125
  assert_contains "$stderr" "no file given"
  run --separate-stderr tj profile frobnicate
  assert_eq "$status" 125
  assert_contains "$stderr" "unknown subcommand 'frobnicate'"
  run --separate-stderr tj profile show nosuch
  assert_eq "$status" 125
  assert_eq "$stderr" "testjail: profile show: unknown profile 'nosuch' (shipped: default, strict, ci, unconfined)"
  run --separate-stderr tj profile
  assert_eq "$status" 125
  assert_eq "$stderr" "testjail: profile: no subcommand (check or show; see 'testjail profile --help')"
  run tj help profile
  assert_eq "$status" 0
  assert_contains "$output" "testjail profile check FILE..."
  run tj profile check --help
  assert_eq "$status" 0
  assert_contains "$output" "testjail profile check FILE..."
}

@test "--profile: a bad profile is one line, exit 125, and nothing runs" {
  echo '{"memory": "12Q"}' >p.json
  run --separate-stderr tj exec --profile ./p.json -- "${WORKLOAD[@]}"
  assert_eq "$status" 125
  assert_eq "$stderr" "testjail: --profile: ./p.json: memory: invalid size '12Q': unknown suffix 'Q' (use K, M, G, KiB, MiB, GiB or Ki, Mi, Gi)"
  run --separate-stderr tj exec --profile nosuch -- "${WORKLOAD[@]}"
  assert_eq "$status" 125
  assert_contains "$stderr" "unknown profile 'nosuch'"
  assert_nothing_left
}

@test "--profile ci sets the limits; flags win over it" {
  run --separate-stderr tj exec --profile ci --report r.json -- "${WORKLOAD[@]}"
  assert_eq "$status" 0 "stderr: $stderr"
  assert_eq "$(json_get r.json limits.memory_bytes)" $((2 << 30))
  assert_eq "$(json_get r.json limits.pids)" 4096
  assert_eq "$(json_get r.json limits.wall_timeout_ms)" 1800000
  assert_eq "$(json_get r.json limits.rlimits.nofile)" "[4096,8192]"
  cat >p.json <<'EOF'
{"memory": "1G", "pids_limit": 100, "env": {"TJ_FROM_PROFILE": "yes", "TJ_BOTH": "profile"}}
EOF
  run --separate-stderr tj exec --pids-limit 50 --env TJ_BOTH=flag --profile p.json --report r.json -- \
    sh -c 'echo "$TJ_FROM_PROFILE $TJ_BOTH"'
  assert_eq "$status" 0 "stderr: $stderr"
  assert_eq "$output" "yes flag"
  assert_eq "$(json_get r.json limits.memory_bytes)" $((1 << 30))
  assert_eq "$(json_get r.json limits.pids)" 50
  assert_nothing_left
}
