#!/usr/bin/env bats
# Set-up failures made from outside, as a host or a container runtime makes
# them: cgroup creation refused, a controller missing, TMPDIR full, too few
# descriptors, a seccomp listener already held above testjail. Each is a
# sandbox_error that names its cause, exit 125, and leaves nothing behind.

load common

setup() {
  tj_setup
  TINY=""
}

teardown() {
  [ -z "$TINY" ] || umount "$TINY" 2>/dev/null || true
  tj_teardown
}

# tj_mountns SETUP ARGS...: testjail ARGS in a private mount namespace
# after the shell commands SETUP ran there; its pid recorded as tj's.
tj_mountns() {
  local setup=$1
  shift
  timeout -k 5 60 unshare -m --propagation private \
    sh -c "$setup"' && echo $$ >>"$0" && exec "$@"' "$BATS_TEST_TMPDIR/testjail.pids" "$TESTJAIL" "$@"
}

# tj_run CMD...: CMD, which execs testjail in the end (same pid), bounded
# and recorded as tj does.
tj_run() {
  timeout -k 5 60 sh -c 'echo $$ >>"$0"; exec "$@"' "$BATS_TEST_TMPDIR/testjail.pids" "$@"
}

assert_setup_error() {
  local report=$1 cause=$2
  assert_eq "$status" 125 "exit status"
  assert_outcome "$report" sandbox_error
  assert_contains "$(json_get "$report" diagnosis)" "$cause"
  assert_contains "$stderr" "testjail: sandbox error: "
  assert_contains "$stderr" "$cause"
}

@test "cgroup creation refused (the hierarchy read-only): sandbox_error naming the path and EROFS, nothing left" {
  require_cmd unshare
  require_controller memory
  require_controller pids
  local ro=/sys/fs/cgroup/pids
  [ "$(cgroup_mode)" != v2 ] || ro=/sys/fs/cgroup
  # memory's cgroup (hybrid) is made before pids is refused: it must go too
  run --separate-stderr tj_mountns "mount -o remount,bind,ro $ro" \
    exec --memory 64M --pids-limit 16 --report r.json -- "$TJHELPER" --tag="$MARKER" exit 0
  assert_setup_error r.json "Read-only file system"
  assert_contains "$stderr" "$ro"
  assert_nothing_left
}

@test "a missing controller (pids not mounted): sandbox_error naming it, nothing left" {
  require_cmd unshare
  require_controller memory
  [ "$(cgroup_mode)" != v2 ] ||
    skip_because "cgroup v2: one hierarchy, a controller cannot be unmounted alone (v2-only.bats covers a controller not delegated)"
  run --separate-stderr tj_mountns "umount -l /sys/fs/cgroup/pids" \
    exec --memory 64M --pids-limit 16 --report r.json -- "$TJHELPER" --tag="$MARKER" exit 0
  assert_setup_error r.json "the pids controller is not mounted"
  assert_nothing_left
}

@test "TMPDIR full: test is a sandbox_error naming the work directory and ENOSPC, nothing left; exec does not need it" {
  require_cmd go
  TINY=$TJ_WORK/tiny
  mkdir "$TINY"
  mount -t tmpfs -o size=64k,nr_inodes=4 tmpfs "$TINY"
  local i
  for i in 1 2 3 4 5; do touch "$TINY/fill$i" 2>/dev/null || true; done
  dd if=/dev/zero of="$TINY/fill1" bs=4k 2>/dev/null || true
  run mkdir "$TINY/probe"
  [ "$status" -ne 0 ] || { echo "the tiny tmpfs is not full: mkdir worked" >&2; return 1; }
  cd "$TJ_REPO/examples"
  TMPDIR=$TINY run --separate-stderr tj test --report "$TJ_WORK/r.json" ./pass
  cd "$TJ_WORK"
  assert_setup_error r.json "No space left on device"
  assert_contains "$stderr" "work directory $TINY/testjail-"
  assert_not_contains "$(ls -a "$TINY")" "testjail-"
  # exec's /tmp is a private tmpfs: the full one is not its concern
  TMPDIR=$TINY run -0 tj exec -- "$TJHELPER" --tag="$MARKER" exit 0
  umount "$TINY" && TINY=""
  assert_nothing_left
}

@test "too few descriptors (ulimit -n): sandbox_error naming RLIMIT_NOFILE before anything is made, nothing left" {
  local n
  # none free: not even the report can be written, and that is said too
  run --separate-stderr tj_run sh -c 'ulimit -n 5 && exec "$0" "$@"' "$TESTJAIL" \
    exec --memory 64M --pids-limit 16 --report r.json -- "$TJHELPER" --tag="$MARKER" exit 0
  assert_eq "$status" 125
  assert_contains "$stderr" "testjail: sandbox error: RLIMIT_NOFILE (ulimit -n) is 5: Too many open files"
  # from a few (libcgroup could not even read the mounts) to nearly enough
  for n in 8 12 20 30; do
    run --separate-stderr tj_run sh -c 'ulimit -n '"$n"' && exec "$0" "$@"' "$TESTJAIL" \
      exec --memory 64M --pids-limit 16 --report r.json -- "$TJHELPER" --tag="$MARKER" exit 0
    assert_setup_error r.json "Too many open files"
    assert_contains "$stderr" "RLIMIT_NOFILE (ulimit -n) $n"
    assert_not_contains "$stderr" "no user namespace" # no silent fallback to --userns host
  done
  run --separate-stderr -0 tj_run sh -c 'ulimit -n 64 && exec "$0" "$@"' "$TESTJAIL" \
    exec --memory 64M --pids-limit 16 -- "$TJHELPER" --tag="$MARKER" exit 0
  assert_nothing_left
}

@test "the seccomp listener cannot be made (one is held above testjail): sandbox_error naming it, nothing left" {
  run --separate-stderr tj_run "$TJHELPER" listener-exec "$TESTJAIL" \
    exec --memory 64M --report r.json -- "$TJHELPER" --tag="$MARKER" exit 0
  assert_setup_error r.json "Device or resource busy"
  assert_contains "$stderr" "with a listener"
  # the listener was the cause: without a filter the same run passes
  run -0 tj_run "$TJHELPER" listener-exec "$TESTJAIL" exec --seccomp unconfined -- "$TJHELPER" --tag="$MARKER" exit 0
  assert_nothing_left
}
