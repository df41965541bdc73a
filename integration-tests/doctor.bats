#!/usr/bin/env bats
# testjail doctor: what this host supports, where run cgroups will go, and
# an exit status that says whether anything it checks is missing.

load common

NOBODY=65534

# As a normal user (nobody), bounded like tj.
as_nobody() {
  timeout -k 5 "${TJ_TIMEOUT:-60}" setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"
}

# Exit 0 exactly when no check printed "[!!]".
assert_status_honest() {
  if grep -q '^  \[!!\]' <<<"$output"; then
    assert_eq "$status" 1 "doctor printed [!!] lines"
  else
    assert_eq "$status" 0 "doctor printed no [!!] line"
  fi
}

# The one check line whose label is $1.
check_line() {
  grep -F "] $1" <<<"$output" || { echo "no check line '$1' in: $output" >&2; return 1; }
}

@test "doctor names this host's cgroup mode and exits 0 only without [!!] lines" {
  run tj doctor
  assert_contains "$output" "cgroup mode: $(cgroup_mode)"
  assert_status_honest
  # Its own last line agrees.
  if [ "$status" = 0 ]; then
    assert_contains "$output" "everything testjail uses is available"
  else
    assert_contains "$output" "problem(s) found"
  fi
}

@test "doctor names the memory and pids controllers" {
  run tj doctor
  check_line "memory (--memory"
  check_line "pids (--pids-limit)"
  assert_status_honest
}

@test "doctor shows where run cgroups go: under our own cgroup" {
  require_controller memory
  run tj doctor
  local rel
  if [ "$(cgroup_mode)" = v2 ]; then
    rel="$(sed -n 's/^0:://p' /proc/self/cgroup)"
  else
    rel="$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)"
  fi
  # The own path of the caller (doctor is its child, in the same cgroup).
  assert_contains "$output" "${rel%/}"
  assert_status_honest
}

@test "doctor checks user namespaces, clone3 and idmapped mounts of the working directory" {
  run tj doctor
  check_line "user namespaces"
  check_line "clone3 into new namespaces"
  local line
  line="$(check_line "idmapped mounts on the working directory's file system")"
  assert_contains "$line" "($PWD"
  assert_status_honest
}

@test "doctor changes nothing, as root and as a normal user" {
  run tj doctor
  assert_nothing_left
  require_cmd setpriv
  run as_nobody "$TESTJAIL" doctor
  assert_nothing_left
}

@test "doctor --gc: nothing to collect, and the status stays honest" {
  run tj doctor --gc
  assert_contains "$output" "removed 0 stale testjail cgroup(s)"
  assert_status_honest
  assert_nothing_left
}

@test "doctor with an unknown option is refused with 125" {
  run --separate-stderr -125 tj doctor --frobnicate
  assert_contains "$stderr" "--frobnicate"
}

# ---- a missing piece makes the status 1 and the line says why --------------

@test "as a normal user without a delegated cgroup subtree: exit 1, the delegation line names the way out" {
  require_cmd setpriv
  local own
  own="/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)"
  if [ "$(cgroup_mode)" = v2 ] && [ "$(stat -c %u "$own/cgroup.procs")" = $NOBODY ]; then
    skip_because "our cgroup $own is delegated to uid $NOBODY"
  fi
  run as_nobody "$TESTJAIL" doctor
  assert_eq "$status" 1 "output: $output"
  assert_status_honest
  # Not root is supported now: no check says root is needed.
  assert_not_contains "$output" "running as root"
  assert_contains "$output" "running as uid $NOBODY"
  local line
  line="$(check_line "delegated cgroup v2 subtree")"
  assert_contains "$line" "[!!]"
  assert_contains "$line" "--memory, --pids-limit and --cpus need a cgroup"
  assert_contains "$line" "run under \`systemd-run --user --scope -p Delegate=yes testjail ...\`, or as root"
  if [ "$(cgroup_mode)" = v2 ]; then
    assert_contains "$line" "is not delegated to uid $NOBODY"
  else
    assert_contains "$line" "this host has $(cgroup_mode) cgroups"
    assert_contains "$line" "systemd.unified_cgroup_hierarchy=1"
  fi
  # A normal user's own files need no idmapping.
  line="$(check_line "idmapped mounts")"
  assert_contains "$line" "[ok]"
  assert_contains "$line" "not needed: your own files map to root inside"
}

@test "without CAP_SYS_ADMIN (a container without privileges): clone3 EPERM names the fix, exit 1" {
  require_cmd setpriv
  run timeout 60 setpriv --bounding-set=-sys_admin "$TESTJAIL" doctor
  assert_eq "$status" 1 "output: $output"
  assert_status_honest
  local line
  line="$(check_line "clone3 into new namespaces")"
  assert_contains "$line" "[!!]"
  assert_contains "$line" "Operation not permitted: a container without privileges (no CAP_SYS_ADMIN"
  assert_contains "$line" "--privileged"
  assert_contains "$line" "seccomp=unconfined"
}

@test "user.max_user_namespaces=0: the user namespace line names the sysctl, exit 1" {
  require_cmd unshare
  # The limit is per user namespace: set it to 0 in a throwaway one, so the
  # host's own setting is never touched.
  run timeout 60 unshare -Ur sh -c 'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0" doctor' "$TESTJAIL"
  assert_eq "$status" 1 "output: $output"
  assert_status_honest
  local line
  line="$(check_line "user namespaces")"
  assert_contains "$line" "[!!]"
  assert_contains "$line" "unshare(CLONE_NEWUSER): No space left on device: user.max_user_namespaces is 0"
}
