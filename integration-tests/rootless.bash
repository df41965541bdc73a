# testjail as a normal user (load rootless, after common). The suite runs
# as root; these helpers drop to a normal uid for testjail itself, and on a
# cgroup v2 host give that uid a delegated subtree the way systemd's
# user@UID.service gets one (Delegate=yes).

# A uid no session on the host uses; tests may override.
TJ_USER=${TJ_USER:-1000}

# tj_as UID ARGS...: testjail ARGS as uid and gid UID without supplementary
# groups, bounded and its pid recorded like tj (the shell execs setpriv,
# which execs testjail: one pid).
tj_as() {
  local uid=$1
  shift
  timeout -k 5 "${TJ_TIMEOUT:-60}" sh -c 'echo $$ >>"$0" && u=$1 && shift && exec setpriv --reuid="$u" --regid="$u" --clear-groups "$@"' \
    "$BATS_TEST_TMPDIR/testjail.pids" "$uid" "$TESTJAIL" "$@"
}

# The working directory becomes the user's, so the workload and --report
# can write there (tj_teardown removes it as before).
give_workdir_to() {
  chown "$1:$1" "$TJ_WORK"
}

# delegate_user_subtree UID: USER_CG=/sys/fs/cgroup/user.slice/user-UID.slice/user@UID.service,
# as systemd makes it: memory and pids (cpu where it can be) enabled in
# the subtree_control of every cgroup above it, and the directory,
# cgroup.procs, cgroup.subtree_control and cgroup.threads owned by UID
# (cgroup-v2.rst, "Delegation"). Slices that did not exist are made and
# recorded for undelegate_user_subtree. cgroup v2 only.
delegate_user_subtree() {
  local uid=$1 cg=/sys/fs/cgroup d c
  USER_CG=$cg/user.slice/user-$uid.slice/user@$uid.service
  USER_CG_MADE=()
  for d in "$cg/user.slice" "$cg/user.slice/user-$uid.slice" "$USER_CG"; do
    [ -d "$d" ] || { mkdir "$d" && USER_CG_MADE=("$d" ${USER_CG_MADE[@]+"${USER_CG_MADE[@]}"}); } || return 1
  done
  for d in "$cg" "$cg/user.slice" "$cg/user.slice/user-$uid.slice"; do
    for c in memory pids; do
      grep -qw "$c" "$d/cgroup.subtree_control" || echo "+$c" >"$d/cgroup.subtree_control" ||
        { echo "cannot enable $c in $d/cgroup.subtree_control" >&2; return 1; }
    done
    # cpu fails where a realtime task sits outside the root (RT group
    # scheduling): --cpus is then not delegated, as on such hosts.
    grep -qw cpu "$d/cgroup.subtree_control" || echo +cpu >"$d/cgroup.subtree_control" 2>/dev/null || true
  done
  chown "$uid:$uid" "$USER_CG" "$USER_CG/cgroup.procs" "$USER_CG/cgroup.subtree_control" "$USER_CG/cgroup.threads"
}

# Remove what is below USER_CG bottom-up, then the slices
# delegate_user_subtree made. Every testjail has exited by then, so a
# directory that will not go (EBUSY: a process in it) is a leak and fails
# the test.
undelegate_user_subtree() {
  [ -n "${USER_CG:-}" ] && [ -d "$USER_CG" ] || return 0
  local d
  find "$USER_CG" -mindepth 1 -depth -type d -exec rmdir {} + || {
    echo "left in $USER_CG:" >&2
    find "$USER_CG" -name cgroup.procs -exec grep -H . {} + >&2
    return 1
  }
  for d in ${USER_CG_MADE[@]+"${USER_CG_MADE[@]}"}; do
    rmdir "$d" || { echo "could not remove $d" >&2; return 1; }
  done
}

# tj_delegated UID ARGS...: testjail ARGS as UID, started inside USER_CG as
# the user manager starts the user's processes there; bounded and recorded
# like tj.
tj_delegated() {
  local uid=$1
  shift
  timeout -k 5 "${TJ_TIMEOUT:-60}" sh -c 'echo $$ >"$1/cgroup.procs" && echo $$ >>"$0" && u=$2 && shift 2 && exec setpriv --reuid="$u" --regid="$u" --clear-groups "$@"' \
    "$BATS_TEST_TMPDIR/testjail.pids" "$USER_CG" "$uid" "$TESTJAIL" "$@"
}

# The testjail-* directories right below a cgroup, one path a line.
run_dirs_below() {
  local d=()
  shopt -s nullglob
  d=("$1"/testjail-*/)
  shopt -u nullglob
  [ ${#d[@]} -eq 0 ] || printf '%s\n' "${d[@]%/}"
}
