#!/usr/bin/env bats
# What only cgroup v2 has, on a pure cgroup v2 host (make check-v2 runs this
# in its guest): the no-internal-processes rule, clone3 CLONE_INTO_CGROUP,
# memory.peak, memory.swap.max, cgroup.kill, and testjail nested in a
# delegated subtree behind a private cgroup namespace (a container). On a
# hybrid or v1 host every test skips, saying so.
#
# The tests make their own cgroups under a scratch cgroup below ours and
# place testjail in them by hand (the shell that starts it writes its pid
# to cgroup.procs, then execs testjail), so each starts from a known state.

load common

CG=/sys/fs/cgroup
MIB=$((1024 * 1024))

setup() {
  tj_setup
  [ "$(cgroup_mode)" = v2 ] ||
    skip_because "cgroup v2 only: this host's cgroups are $(cgroup_mode) (make check-v2 runs these in a pure v2 guest)"
  SCRATCH=
}

teardown() {
  tj_teardown
  [ -z "${SCRATCH:-}" ] || remove_cgroup_tree "$SCRATCH"
}

# SCRATCH: a new cgroup under our own, with memory and pids available to
# its children. Skips when our own cgroup cannot give them (it holds
# processes, as bats itself, and is not the root: no internal processes).
scratch_cgroup() {
  local own c
  own="$(sed -n 's/^0:://p' /proc/self/cgroup)"
  own="$CG${own%/}"
  for c in memory pids; do
    grep -qw "$c" "$own/cgroup.subtree_control" ||
      echo "+$c" >"$own/cgroup.subtree_control" 2>/dev/null ||
      skip_because "cannot enable $c in $own/cgroup.subtree_control (it holds processes and is not the root)"
  done
  SCRATCH="$own/tjv2-$MARKER"
  mkdir "$SCRATCH"
  echo "+memory +pids" >"$SCRATCH/cgroup.subtree_control"
}

# Kill whatever is left in a cgroup tree, then remove it bottom-up.
remove_cgroup_tree() {
  [ -d "$1" ] || return 0
  echo 1 >"$1/cgroup.kill"
  timeout 10 sh -c 'until grep -qx "populated 0" "$0/cgroup.events"; do sleep 0.05; done' "$1" || true
  find "$1" -depth -type d -exec rmdir {} + 2>/dev/null || true
  [ ! -d "$1" ] || { echo "could not remove $1" >&2; return 1; }
}

# tj_in CGROUP ARGS...: testjail ARGS, started in CGROUP (absolute path),
# bounded and recorded like tj.
tj_in() {
  local dir=$1
  shift
  timeout -k 5 "${TJ_TIMEOUT:-60}" sh -c 'echo $$ >"$1/cgroup.procs" && echo $$ >>"$0" && shift && exec "$@"' \
    "$BATS_TEST_TMPDIR/testjail.pids" "$dir" "$TESTJAIL" "$@"
}

# The testjail-* directories right below a cgroup, one name a line.
run_dirs() {
  local d=()
  shopt -s nullglob
  d=("$1"/testjail-*/)
  shopt -u nullglob
  [ ${#d[@]} -eq 0 ] || printf '%s\n' "${d[@]%/}"
}

last_testjail_pid() {
  tail -n 1 "$BATS_TEST_TMPDIR/testjail.pids"
}

@test "v2: alone in a non-root cgroup, testjail steps into a leaf to enable controllers and leaves the cgroup as it found it" {
  scratch_cgroup
  mkdir "$SCRATCH/job"
  run --separate-stderr -137 tj_in "$SCRATCH/job" exec --memory 32M --pids-limit 16 --report r.json -- \
    "$TJHELPER" --tag="$MARKER" alloc 256
  assert_outcome r.json oom_killed
  assert_eq "$(json_get r.json host.cgroup)" v2
  local tjpid run
  tjpid="$(last_testjail_pid)"
  run="$(json_get r.json cgroup)"
  [[ $run == "$SCRATCH/job/testjail-$tjpid-"* ]] ||
    { echo "run cgroup $run is not a child of $SCRATCH/job named for testjail $tjpid" >&2; return 1; }
  # The limits held, so the controllers were on, which needs job empty:
  # testjail sat in a leaf of its own. At the end it switched them off,
  # stepped back and removed the leaf: job is as it was made.
  assert_eq "$(cat "$SCRATCH/job/cgroup.subtree_control")" "" "controllers left enabled in job"
  assert_eq "$(run_dirs "$SCRATCH/job")" "" "no run cgroup or leaf left in job"
  assert_nothing_left
}

@test "v2: alone in a non-root cgroup without the cpu controller, --memory and --cpus: 125 after memory was enabled, and the cgroup is left as it was" {
  scratch_cgroup
  mkdir "$SCRATCH/job"
  run --separate-stderr -125 tj_in "$SCRATCH/job" exec --memory 32M --cpus 1 -- true
  assert_diagnosis_line "$stderr"
  assert_contains "$stderr" "cpu controller"
  # memory came first: testjail had stepped into a leaf and enabled it.
  assert_eq "$(cat "$SCRATCH/job/cgroup.subtree_control")" "" "controllers left enabled in job"
  assert_eq "$(run_dirs "$SCRATCH/job")" "" "no run cgroup or leaf left in job"
  assert_nothing_left
}

@test "v2: a non-root cgroup that holds other processes: a limit fails with 125 and the cgroup is left as it was" {
  scratch_cgroup
  mkdir "$SCRATCH/busy"
  mkfifo "$BATS_TEST_TMPDIR/busy.out"
  sh -c 'echo $$ >"$0/cgroup.procs" && exec "$1" --tag="$2" sleep forever' "$SCRATCH/busy" "$TJHELPER" "$MARKER" \
    >"$BATS_TEST_TMPDIR/busy.out" 3>&- &
  local sleeper=$!
  TJ_BG_PIDS+=("$sleeper")
  exec 4<"$BATS_TEST_TMPDIR/busy.out"
  wait_for_line ready
  run --separate-stderr -125 tj_in "$SCRATCH/busy" exec --memory 32M -- true
  assert_diagnosis_line "$stderr"
  assert_contains "$stderr" "$SCRATCH/busy holds other processes"
  assert_eq "$(run_dirs "$SCRATCH/busy")" "" "no run cgroup or leaf left in busy"
  assert_eq "$(cat "$SCRATCH/busy/cgroup.subtree_control")" ""
  # Without a limit to enforce the run needs no controller, and goes on.
  run -0 tj_in "$SCRATCH/busy" exec --report r.json -- "$TJHELPER" exit 0
  assert_outcome r.json passed
  assert_eq "$(run_dirs "$SCRATCH/busy")" ""
  assert_eq "$(cat "$SCRATCH/busy/cgroup.procs")" "$sleeper" "busy holds its sleeper only"
}

@test "v2: init and workload are cloned straight into the run cgroup (clone3 CLONE_INTO_CGROUP); the rest goes with cgroup.kill" {
  require_cmd strace
  run -0 strace -f -qq -e trace=clone3,openat -e signal=none -o "$BATS_TEST_TMPDIR/trace" \
    "$TESTJAIL" exec --memory 64M --report r.json -- cat /proc/self/cgroup
  # In its own cgroup namespace the workload sees the run cgroup as "/".
  assert_eq "$output" "0::/"
  if ! grep -q 'clone3(.*CLONE_INTO_CGROUP' "$BATS_TEST_TMPDIR/trace" ||
    grep -q 'clone3(.*CLONE_INTO_CGROUP.*= -1' "$BATS_TEST_TMPDIR/trace"; then
    echo "expected clone3 with CLONE_INTO_CGROUP to succeed:" >&2
    grep clone3 "$BATS_TEST_TMPDIR/trace" >&2
    return 1
  fi
  grep -q 'openat([0-9]*, "cgroup.kill", O_WRONLY' "$BATS_TEST_TMPDIR/trace" ||
    { echo "testjail did not write cgroup.kill" >&2; return 1; }
  assert_nothing_left
}

@test "v2: the workload is in the run cgroup, which has memory.max, memory.swap.max 0 and pids.max" {
  tj_start exec --memory 64M --pids-limit 32 -- "$TJHELPER" --tag="$MARKER" sleep forever
  wait_for_line ready
  local run wl
  run="$(snapshot_cgroups | grep "/testjail-$TJ_PID-")"
  [ -n "$run" ] || { echo "no run cgroup testjail-$TJ_PID-*" >&2; return 1; }
  wl="$(pgrep -f "^$TJHELPER --tag=$MARKER sleep")"
  assert_eq "$(cat "/proc/$wl/cgroup")" "0::${run#"$CG"}" "the workload's cgroup, seen from outside"
  assert_eq "$(cat "$run/memory.max")" $((64 * MIB))
  assert_eq "$(cat "$run/memory.swap.max")" 0
  assert_eq "$(cat "$run/pids.max")" 32
  [ "$(cat "$run/memory.peak")" -gt 0 ] || { echo "memory.peak $(cat "$run/memory.peak")" >&2; return 1; }
  kill -TERM "$TJ_PID"
  tj_finish
  assert_eq "$TJ_STATUS" 143
  assert_nothing_left
}

@test "v2: memory_peak_bytes is the kernel's memory.peak, which catches a burst a sampler misses" {
  run -0 tj exec --memory 256M --report r.json -- "$TJHELPER" alloc 96
  local peak
  peak="$(json_get r.json usage.memory_peak_bytes)"
  [ "$peak" -ge $((96 * MIB)) ] && [ "$peak" -lt $((256 * MIB)) ] ||
    { echo "memory_peak_bytes $peak for a 96 MiB burst" >&2; return 1; }
}

@test "v2: a process moved into the run cgroup from outside the sandbox is killed with the rest (cgroup.kill)" {
  tj_start exec -- "$TJHELPER" --tag="$MARKER" sleep forever
  wait_for_line ready
  local run
  run="$(snapshot_cgroups | grep "/testjail-$TJ_PID-")"
  [ -n "$run" ] || { echo "no run cgroup testjail-$TJ_PID-*" >&2; return 1; }
  # Not in the sandbox's pid namespace: only the cgroup reaches it.
  mkfifo "$BATS_TEST_TMPDIR/intruder.out"
  sh -c 'echo $$ >"$0/cgroup.procs" && exec "$1" --tag="$2" sleep forever' "$run" "$TJHELPER" "$MARKER" \
    >"$BATS_TEST_TMPDIR/intruder.out" 3>&- &
  local intruder=$! st=0
  TJ_BG_PIDS+=("$intruder")
  exec 5<"$BATS_TEST_TMPDIR/intruder.out"
  IFS= read -r -t 20 line <&5
  assert_eq "$line" ready "intruder"
  kill -TERM "$TJ_PID"
  tj_finish
  assert_eq "$TJ_STATUS" 143
  wait "$intruder" || st=$?
  exec 5<&-
  assert_eq "$st" 137 "the intruder's status (SIGKILL)"
  assert_nothing_left
}

# The container of these tests: a shell moved into DIR/container (memory
# and pids delegated), then into new cgroup and mount namespaces with
# cgroup2 remounted, as a runtime does for --cgroupns=private; it runs
# SCRIPT there (sh -c), with TESTJAIL and TJHELPER in the environment.
in_container() {
  local dir=$1 script=$2
  mkdir -p "$dir/container"
  TESTJAIL="$TESTJAIL" TJHELPER="$TJHELPER" timeout -k 5 120 \
    sh -c 'echo $$ >"$0/cgroup.procs" && exec unshare --cgroup --mount --propagation private sh -ec "$1"' \
    "$dir/container" "umount $CG && mount -t cgroup2 cgroup2 $CG; $script"
}

@test "v2 nested: testjail alone at the root of a private cgroup namespace moves to a leaf, enforces limits and leaves the root as it found it" {
  scratch_cgroup
  # The entrypoint execs testjail: it is the only process of the container.
  run --separate-stderr -137 in_container "$SCRATCH" \
    'test "$(cat /proc/self/cgroup)" = "0::/"; test -e /sys/fs/cgroup/cgroup.type
     exec "$TESTJAIL" exec --memory 32M --pids-limit 16 --report r.json -- "$TJHELPER" --tag='"$MARKER"' alloc 256'
  assert_outcome r.json oom_killed
  assert_eq "$(json_get r.json usage.oom_kills)" 1
  # The namespace root is not the real root: the rule applied, and testjail
  # sat in a leaf of its own while the run cgroup was next to it; at the
  # end both went and the controllers were switched off again.
  [[ "$(json_get r.json cgroup)" == /sys/fs/cgroup/testjail-* ]] ||
    { echo "run cgroup $(json_get r.json cgroup), expected under the namespace's /" >&2; return 1; }
  assert_eq "$(cat "$SCRATCH/container/cgroup.subtree_control")" "" "controllers left enabled in the container"
  assert_eq "$(run_dirs "$SCRATCH/container")" "" "no run cgroup or leaf left in the container"
  assert_nothing_left
}

@test "v2 nested: a container whose shell stays at its root: the limit fails with 125, saying why" {
  scratch_cgroup
  run --separate-stderr in_container "$SCRATCH" \
    'st=0; "$TESTJAIL" exec --memory 32M -- true || st=$?; echo "status $st"; ls -d /sys/fs/cgroup/testjail-* 2>/dev/null || true'
  assert_eq "$output" "status 125"
  assert_contains "$stderr" "/sys/fs/cgroup holds other processes"
  assert_nothing_left
}

@test "v2 nested: in a container that moved its entrypoint to a leaf (as dind does), each run is limited" {
  scratch_cgroup
  run --separate-stderr -0 in_container "$SCRATCH" \
    'mkdir /sys/fs/cgroup/init /sys/fs/cgroup/job1 /sys/fs/cgroup/job2
     echo $$ >/sys/fs/cgroup/init/cgroup.procs
     echo "+memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
     # With nsdelegate the namespace root'"'"'s own limits belong to the parent.
     ! echo 1G 2>/dev/null >/sys/fs/cgroup/memory.max
     st=0; sh -c '"'"'echo $$ >/sys/fs/cgroup/job1/cgroup.procs && exec "$TESTJAIL" exec --memory 32M --report r1.json -- "$TJHELPER" alloc 256 >/dev/null'"'"' || st=$?
     echo "oom $st"
     st=0; sh -c '"'"'echo $$ >/sys/fs/cgroup/job2/cgroup.procs && exec "$TESTJAIL" exec --pids-limit 8 --report r2.json -- "$TJHELPER" forkbomb >/dev/null'"'"' || st=$?
     echo "pids $st"'
  assert_eq "$output" "oom 137
pids 1"
  assert_outcome r1.json oom_killed
  assert_outcome r2.json pids_limit
  [[ "$(json_get r1.json cgroup)" == /sys/fs/cgroup/job1/testjail-* ]] ||
    { echo "run cgroup $(json_get r1.json cgroup)" >&2; return 1; }
  assert_nothing_left
}
