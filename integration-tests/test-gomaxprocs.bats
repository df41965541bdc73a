#!/usr/bin/env bats
# `testjail test`: the GOMAXPROCS (and GOMEMLIMIT) a test binary starts
# with, as it sees them itself, and as each package's report states them.

load common
load gotest

setup() {
  tjt_setup
  unset GOMAXPROCS GODEBUG GOMEMLIMIT
  # A package that prints what its runtime chose; in the examples module
  # (go 1.19), so every supported release builds it.
  mkdir procs
  write_procs_test procs/procs_test.go procs
}

write_procs_test() {
  printf '%s\n' "package $2" 'import (' '"os"' '"runtime"' '"runtime/debug"' '"testing"' ')' \
    'func TestProcs(t *testing.T) {' \
    '	t.Logf("procs=%d env=%s memlimit=%d gomemlimit=%s", runtime.GOMAXPROCS(0), os.Getenv("GOMAXPROCS"),' \
    '		debug.SetMemoryLimit(-1), os.Getenv("GOMEMLIMIT"))' \
    '}' >"$1"
}

# The value KEY=... of the test's line in $output.
seen() {
  sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$output" | head -n 1
}

go_minor() {
  local v
  v=$(go env GOVERSION)
  v=${v#go1.}
  echo "${v%%.*}"
}

# The tests see the value the report gives, from the source it names.
assert_gomaxprocs() {
  local value=$1 source=$2
  assert_test_result passed 0
  assert_eq "$(seen procs)" "$value" "runtime.GOMAXPROCS(0) in the test"
  assert_eq "$(json_get "$REPORT" packages.0.gomaxprocs.value)" "$value" "gomaxprocs.value"
  assert_eq "$(json_get "$REPORT" packages.0.gomaxprocs.source)" "$source" "gomaxprocs.source"
}

@test "without --cpus: the tests have the CPU count, and the report says so, with GOMEMLIMIT beside it" {
  tjt -v --gomemlimit 64M ./procs
  assert_gomaxprocs "$(nproc)" "runtime (cpu count)"
  assert_eq "$(seen env)" "" "GOMAXPROCS in the test's environment"
  assert_eq "$(seen memlimit)" $((64 << 20)) "debug.SetMemoryLimit(-1) in the test"
  assert_eq "$(json_get "$REPORT" packages.0.gomemlimit.value)" $((64 << 20))
  assert_nothing_left_test
}

@test "--cpus 1, a module with an older go line: testjail sets GOMAXPROCS=1 (the runtime would not look at the limit)" {
  require_controller cpu
  tjt -v --cpus 1 ./procs
  assert_gomaxprocs 1 testjail
  assert_eq "$(seen env)" 1 "GOMAXPROCS in the test's environment"
  assert_eq "$(json_get "$REPORT" packages.0.limits.cpus)" 1.0
  # Go 1.25+: containermaxprocs=0 is the default of a go 1.19 module
  if [ "$(go_minor)" -ge 25 ]; then
    assert_contains "$(json_get "$REPORT" packages.0.gomaxprocs.note)" containermaxprocs=0
  fi
  tjt -v --cpus 0.5 ./procs
  assert_gomaxprocs 1 testjail
  assert_nothing_left_test
}

# Go 1.25 derives GOMAXPROCS from its cgroup's cpu limit itself: at least 2,
# at most the CPU count. It finds the limit in the sandbox's own cgroup2
# mount; on v1 and hybrid hosts it finds none, and testjail sets the same.
@test "--cpus, a go 1.25 module on Go 1.25+: the runtime's own rule, from the runtime on cgroup v2, from testjail elsewhere" {
  require_controller cpu
  local minor
  minor=$(go_minor)
  [ "$minor" -ge 25 ] || skip_because "go in PATH is $(go env GOVERSION); the cgroup-aware default is Go 1.25's"
  mkdir "$TJ_WORK/m125"
  printf 'module example.com/m125\n\ngo 1.25\n' >"$TJ_WORK/m125/go.mod"
  write_procs_test "$TJ_WORK/m125/m_test.go" m125
  cd "$TJ_WORK/m125"
  # 2 CPUs where there are more: the limit then shows in the value itself
  local cpus=1 want=2 n
  n=$(nproc)
  [ "$n" -ge 3 ] && cpus=2
  [ "$n" -lt 2 ] && want=$n
  if [ "$(cgroup_mode)" = v2 ]; then
    tjt -v --cpus $cpus
    assert_gomaxprocs $want "runtime (cgroup cpu limit)"
    assert_eq "$(seen env)" "" "GOMAXPROCS in the test's environment"
  else
    tjt -v --cpus $cpus
    assert_gomaxprocs $want testjail
    assert_eq "$(seen env)" $want "GOMAXPROCS in the test's environment"
    assert_contains "$(json_get "$REPORT" packages.0.gomaxprocs.note)" "cgroup v1"
  fi
  # containermaxprocs=0 (GODEBUG) turns the runtime's rule off: ceil(--cpus)
  tjt -v --cpus $cpus --env GODEBUG=containermaxprocs=0
  assert_gomaxprocs $cpus testjail
}

@test "GOMAXPROCS of --env or the environment wins over --cpus, and the report names where it came from" {
  require_controller cpu
  tjt -v --cpus 1 --env GOMAXPROCS=3 ./procs
  assert_gomaxprocs 3 env
  assert_eq "$(seen env)" 3
  GOMAXPROCS=3 tjt -v --cpus 1 ./procs
  assert_gomaxprocs 3 inherited
  # one the runtime cannot parse it ignores; testjail leaves it alone
  tjt -v --cpus 1 --env GOMAXPROCS=lots ./procs
  assert_gomaxprocs "$(nproc)" "runtime (cpu count)"
  assert_contains "$(json_get "$REPORT" packages.0.gomaxprocs.note)" "ignores it"
  assert_nothing_left_test
}

@test "Go 1.19: --cpus 1 gives the tests GOMAXPROCS=1 from testjail" {
  require_controller cpu
  local old=/usr/lib/go-1.19/bin
  [ -x "$old/go" ] || skip_because "no Go 1.19 at $old (Debian's golang-1.19-go)"
  PATH=$old:$PATH tjt -v --cpus 1 ./procs
  assert_gomaxprocs 1 testjail
  assert_contains "$(json_get "$REPORT" host.go)" go1.19
  PATH=$old:$PATH tjt -v ./procs
  assert_gomaxprocs "$(nproc)" "runtime (cpu count)"
  assert_nothing_left_test
}
