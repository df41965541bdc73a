#!/usr/bin/env bats
# An OOM-killed workload is explained in the termination message file, on
# stderr and in the report, both where testjail init can give it a cgroup of
# its own (--memory) and where the cgroup tree is read-only, as Kubernetes
# mounts it, and only the container's own counters tell.

load common
load init-common

setup() {
  tj_setup
  require_controller memory
  CONTAINER_CG=""
}

teardown() {
  tj_teardown
  # The cgroup that plays the container's: empty once the test's processes are gone.
  [ -z "$CONTAINER_CG" ] || rmdir "$CONTAINER_CG" 2>/dev/null || true
}

assert_oom_message() {
  local file=$1 first
  [ -s "$file" ] || { echo "no termination message in $file" >&2; return 1; }
  first="$(head -n1 "$file")"
  assert_contains "$first" "OOM killed: memory peaked at"
  assert_contains "$first" "of the 64 MiB limit (oom_kill"
  assert_contains "$(sed -n 2p "$file")" "outcome=oom_killed exit_code=137 signal=SIGKILL"
  assert_contains "$(sed -n 2p "$file")" "memory_limit=64MiB"
  [ "$(wc -c <"$file")" -le 4096 ] || { echo "$file is over 4096 bytes" >&2; return 1; }
}

@test "--memory: the workload is OOM-killed in its own cgroup, init survives and says so (PID 1 and subreaper)" {
  local mode
  for mode in "${INIT_MODES[@]}"; do
    rm -f tlog r.json
    run -137 --separate-stderr in_mode "$mode" "$TESTJAIL" init --memory 64M --termination-log "$PWD/tlog" \
      --report r.json -- "$TJHELPER" --tag="$MARKER" alloc 512
    assert_oom_message tlog
    assert_contains "$stderr" "testjail: OOM killed"
    assert_outcome r.json oom_killed
    assert_eq "$(json_get r.json usage.oom_kills)" 1 "($mode)"
    [ "$(json_get r.json init.workload_cgroup)" != null ] || { echo "no workload cgroup ($mode)" >&2; return 1; }
  done
  assert_init_clean
}

# Make a cgroup with a 64 MiB limit below ours to play the container's
# cgroup; CONTAINER_CG is its memory directory.
make_container_cgroup() {
  local own
  if [ "$(cgroup_mode)" = v2 ]; then
    own="$(sed -n 's/^0:://p' /proc/self/cgroup)"
    local parent="/sys/fs/cgroup${own%/}"
    grep -qw memory "$parent/cgroup.subtree_control" || echo +memory >"$parent/cgroup.subtree_control" ||
      skip_because "cannot enable memory below $parent (it holds processes)"
    CONTAINER_CG="$parent/tjinit-$MARKER"
    mkdir "$CONTAINER_CG"
    echo 64M >"$CONTAINER_CG/memory.max"
    echo 0 >"$CONTAINER_CG/memory.swap.max" 2>/dev/null || true
  else
    own="$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)"
    CONTAINER_CG="/sys/fs/cgroup/memory${own%/}/tjinit-$MARKER"
    mkdir "$CONTAINER_CG"
    echo 64M >"$CONTAINER_CG/memory.limit_in_bytes"
    echo 64M >"$CONTAINER_CG/memory.memsw.limit_in_bytes" 2>/dev/null || true
  fi
}

# in_container MODE CMD...: CMD in the container cgroup, in a mount
# namespace where every cgroup mount is read-only (what runc and Kubernetes
# give a container), as PID 1 of a new pid namespace or not.
in_container() {
  local mode=$1
  shift
  local pid_args=()
  [ "$mode" != pid1 ] || pid_args=(--pid --fork --mount-proc)
  sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CONTAINER_CG" \
    unshare --mount "${pid_args[@]}" sh -c '
      for m in $(awk "\$3 == \"cgroup\" || \$3 == \"cgroup2\" {print \$2}" /proc/self/mounts); do
        mount -o bind,remount,ro "$m" "$m" || exit 125
      done
      exec "$@"' sh "$@"
}

@test "read-only cgroup tree: the container's own counters explain the OOM kill (PID 1 and subreaper)" {
  local mode
  for mode in "${INIT_MODES[@]}"; do
    make_container_cgroup
    rm -f tlog r.json
    run -137 --separate-stderr in_container "$mode" "$TESTJAIL" init --termination-log "$PWD/tlog" --report r.json -- \
      "$TJHELPER" --tag="$MARKER" alloc 512
    assert_oom_message tlog
    assert_contains "$(sed -n 2p tlog)" "/container"
    assert_outcome r.json oom_killed
    assert_eq "$(json_get r.json init.workload_cgroup)" null "($mode)"
    assert_eq "$(json_get r.json init.container_cgroup.memory)" "$CONTAINER_CG" "($mode)"
    assert_eq "$(json_get r.json init.container_cgroup.after.oom_kills)" 1 "($mode)"
    assert_contains "$(json_get r.json evidence)" "container cgroup oom_kill 0 -> 1"
    rmdir "$CONTAINER_CG"
    CONTAINER_CG=""
  done
  assert_init_clean
}

@test "read-only cgroup tree: --memory is refused with exit 125 and a reason, nothing started" {
  make_container_cgroup
  run -125 --separate-stderr in_container subreaper "$TESTJAIL" init --memory 32M -- "$TJHELPER" --tag="$MARKER" pid
  assert_eq "$output" ""
  assert_contains "$stderr" "testjail: creating the workload's cgroup"
  assert_init_clean
}

@test "the default termination message file is used when it exists, and passing runs write one too" {
  # /dev/termination-log exists in a Kubernetes container; here a private
  # /dev of a mount namespace stands in.
  touch tlog-default
  run -0 --separate-stderr unshare --mount sh -c '
    mount -t tmpfs tmpfs /dev && touch /dev/termination-log && mount --bind "$1" /dev/termination-log &&
    shift && exec "$@"' sh "$PWD/tlog-default" "$TESTJAIL" init -- "$TJHELPER" exit 0
  assert_eq "$(head -n1 tlog-default)" passed
  assert_contains "$(sed -n 2p tlog-default)" "outcome=passed exit_code=0"
  assert_init_clean
}

@test "init killed with the workload (SIGKILL, an OOM group kill) leaves a message saying so" {
  init_start subreaper "$TESTJAIL" init --termination-log "$PWD/tlog" -- "$TJHELPER" --tag="$MARKER" sleep forever
  wait_for_line ready
  local init workload
  init="$(init_pid)"
  workload="$(first_child "$init")"
  assert_contains "$(head -n1 tlog)" "killed together with testjail init while $TJHELPER ran"
  # init first: killed second, on a busy machine it could see the
  # workload die and write its final message before its own SIGKILL lands.
  kill -KILL "$init" "$workload"
  init_finish
  assert_eq "$TJ_STATUS" 137
  assert_contains "$(sed -n 2p tlog)" "outcome=killed_with_init"
  # The cgroup of a killed init goes with the next run's collection.
  run -0 "$TESTJAIL" doctor --gc
  assert_nothing_left
}
