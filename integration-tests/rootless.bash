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

# delegate_user_subtree UID: the layout systemd gives a user
# (systemd.resource-control(5) Delegate=, cgroup-v2.rst "Delegation"):
# USER_CG=/sys/fs/cgroup/user.slice/user-UID.slice/user@UID.service owned by
# UID (the directory, cgroup.procs, cgroup.subtree_control and
# cgroup.threads) with memory and pids (cpu where it can be) enabled in the
# subtree_control of every cgroup above it and of USER_CG itself, and
# app.slice below it made the same way, as the user manager does. No process
# lives in USER_CG or app.slice (the no-internal-processes rule): the
# user's programs run in scopes below app.slice (tj_delegated). Slices that
# did not exist are made and recorded for undelegate_user_subtree. cgroup v2
# only.
delegate_user_subtree() {
  local uid=$1 cg=/sys/fs/cgroup d c
  USER_CG=$cg/user.slice/user-$uid.slice/user@$uid.service
  USER_APP=$USER_CG/app.slice
  USER_CG_MADE=()
  for d in "$cg/user.slice" "$cg/user.slice/user-$uid.slice" "$USER_CG" "$USER_APP"; do
    [ -d "$d" ] || { mkdir "$d" && USER_CG_MADE=("$d" ${USER_CG_MADE[@]+"${USER_CG_MADE[@]}"}); } || return 1
  done
  for d in "$cg" "$cg/user.slice" "$cg/user.slice/user-$uid.slice" "$USER_CG" "$USER_APP"; do
    # Writing an enabled controller again is a no-op.
    echo "+memory +pids" >"$d/cgroup.subtree_control" ||
      { echo "cannot enable memory and pids in $d/cgroup.subtree_control" >&2; return 1; }
    # cpu fails where a realtime task sits outside the root (RT group
    # scheduling): --cpus is then not delegated, as on such hosts.
    echo +cpu >"$d/cgroup.subtree_control" 2>/dev/null || true
  done
  delegate_cgroup "$uid" "$USER_CG" && delegate_cgroup "$uid" "$USER_APP"
}

# delegate_cgroup UID DIR: DIR's delegation files owned by UID.
delegate_cgroup() {
  chown "$1:$1" "$2" "$2/cgroup.procs" "$2/cgroup.subtree_control" "$2/cgroup.threads"
}

# Remove what is below USER_CG bottom-up, then the slices
# delegate_user_subtree made. Every testjail has exited by then, so a
# directory that will not go (EBUSY: a process in it) is a leak and fails
# the test.
undelegate_user_subtree() {
  [ -n "${USER_CG:-}" ] && [ -d "$USER_CG" ] || return 0
  local d
  find "$USER_APP" -mindepth 1 -depth -type d -exec rmdir {} + || {
    echo "left in $USER_APP:" >&2
    find "$USER_APP" -name cgroup.procs -exec grep -H . {} + >&2
    return 1
  }
  for d in ${USER_CG_MADE[@]+"${USER_CG_MADE[@]}"}; do
    rmdir "$d" || { echo "could not remove $d" >&2; return 1; }
  done
}

# tj_delegated UID ARGS...: testjail ARGS as UID, alone in a new delegated
# scope below app.slice, as `systemd-run --user --scope -p Delegate=yes
# testjail ARGS` starts it; bounded and recorded like tj. The scope's path
# is appended to $BATS_TEST_TMPDIR/scopes. Scopes stay until
# undelegate_user_subtree, which fails on any cgroup testjail left in them.
tj_delegated() {
  local uid=$1 scope
  shift
  scope="$(new_user_scope "$uid")" || return 1
  user_in_scope "$uid" "$scope"
  timeout -k 5 "${TJ_TIMEOUT:-60}" sh -c 'echo $$ >>"$0" && exec "$@"' \
    "$BATS_TEST_TMPDIR/testjail.pids" "${USER_IN_SCOPE[@]}" "$TESTJAIL" "$@"
}

# new_user_scope UID: a new scope below app.slice delegated to UID, its
# path printed and appended to the test's (or setup_file's) scopes file.
new_user_scope() {
  local scope=$USER_APP/run-tj$BASHPID$RANDOM.scope
  mkdir "$scope" && delegate_cgroup "$1" "$scope" || return 1
  echo "$scope" >>"${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/scopes"
  echo "$scope"
}

# user_in_scope UID SCOPE: USER_IN_SCOPE=(words) that, put before a
# command, run it inside SCOPE as UID: the shell moves itself there, then
# setpriv execs the command as UID (one pid throughout).
user_in_scope() {
  # shellcheck disable=SC2016
  USER_IN_SCOPE=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$2"
    setpriv --reuid="$1" --regid="$1" --clear-groups)
}

# assert_scopes_as_made: every scope tj_delegated made is as it was made,
# testjail gone: no process, no cgroup below it, no controller enabled.
# A file names other scopes (setup_file's).
assert_scopes_as_made() {
  local s left f=${1:-$BATS_TEST_TMPDIR/scopes}
  [ -f "$f" ] || return 0
  while IFS= read -r s; do
    left="$(find "$s" -mindepth 1 -type d)"
    [ -z "$left" ] || { echo "cgroups left in $s: $left" >&2; return 1; }
    assert_eq "$(cat "$s/cgroup.procs")" "" "processes in $s" || return 1
    assert_eq "$(cat "$s/cgroup.subtree_control")" "" "controllers left enabled in $s" || return 1
  done <"$f"
}
