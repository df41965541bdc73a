# Helpers of the `testjail init` tests (init-*.bats), loaded after common:
#   load common
#   load init-common
# An init (testjail init, Debian's tini or dumb-init) runs either as PID 1 of
# a fresh pid namespace, as a container runtime starts it (mode pid1), or as
# a plain process that must become a child subreaper (mode subreaper).

INIT_MODES=(pid1 subreaper)

# init_cmd NAME MODE [group|single]: INIT_CMD becomes the command line of
# init NAME (testjail, tini, dumb-init) delivering signals to the workload's
# process group or to the workload alone; without the third argument, each
# init's own default (testjail and dumb-init: group; tini: single).
init_cmd() {
  local name=$1 mode=$2 delivery=${3:-}
  case $name in
    testjail)
      INIT_CMD=("$TESTJAIL" init)
      [ "$delivery" != single ] || INIT_CMD+=(--single-child)
      INIT_CMD+=(--) ;;
    tini)
      require_cmd tini
      INIT_CMD=(tini)
      [ "$mode" != subreaper ] || INIT_CMD+=(-s)
      [ "$delivery" != group ] || INIT_CMD+=(-g)
      INIT_CMD+=(--) ;;
    dumb-init)
      require_cmd dumb-init
      INIT_CMD=(dumb-init)
      [ "$delivery" != single ] || INIT_CMD+=(--single-child) ;;
    *) echo "init_cmd: unknown init $name" >&2; return 1 ;;
  esac
}

# in_mode MODE CMD...: CMD as a pid1 or subreaper run would start it.
in_mode() {
  local mode=$1
  shift
  if [ "$mode" = pid1 ]; then
    unshare --pid --fork --mount-proc "$@"
  else
    "$@"
  fi
}

# init_start MODE CMD...: start CMD (an init and its arguments) in the
# background, with stdout into a FIFO read through fd 4 (wait_for_line) and
# stderr into $BATS_TEST_TMPDIR/stderr. TJ_PID is what to wait for (unshare
# in mode pid1); init_pid finds the init itself.
init_start() {
  local mode=$1 fifo="$BATS_TEST_TMPDIR/stdout.fifo"
  shift
  rm -f "$fifo" "$BATS_TEST_TMPDIR/stdout" "$BATS_TEST_TMPDIR/stderr"
  mkfifo "$fifo"
  # A non-interactive shell starts background jobs with SIGINT and SIGQUIT
  # ignored; a container's init starts with default dispositions.
  if [ "$mode" = pid1 ]; then
    env --default-signal=INT,QUIT unshare --pid --fork --mount-proc "$@" \
      >"$fifo" 2>"$BATS_TEST_TMPDIR/stderr" 3>&- &
  else
    env --default-signal=INT,QUIT "$@" >"$fifo" 2>"$BATS_TEST_TMPDIR/stderr" 3>&- &
  fi
  TJ_PID=$!
  INIT_MODE=$mode
  TJ_BG_PIDS+=("$TJ_PID")
  tj_record_pid "$TJ_PID"
  exec 4<"$fifo"
}

# The first child of pid $1 (host pid), or nothing.
first_child() {
  local c
  c="$(cat /proc/"$1"/task/*/children 2>/dev/null)" || true
  set -- $c
  echo "${1:-}"
}

# The init's pid as the host sees it: unshare's child in mode pid1. Call
# once the workload has said "ready": by then it exists.
init_pid() {
  if [ "$INIT_MODE" = pid1 ]; then first_child "$TJ_PID"; else echo "$TJ_PID"; fi
}

# wait_for_lines LINE...: each LINE, in any order (two processes print).
wait_for_lines() {
  local l
  for l in "$@"; do
    grep -qxF -- "$l" "$BATS_TEST_TMPDIR/stdout" 2>/dev/null || wait_for_line "$l" 5 || return 1
  done
}

# Read the rest of stdout (bounded) and reap the init; TJ_STATUS gets its
# exit status (unshare passes its child's on).
init_finish() {
  tj_finish "${1:-30}"
}

# Process state letter of pid $1 (R S D T Z ...), or nothing once gone.
proc_state() {
  local stat
  stat="$(cat /proc/"$1"/stat 2>/dev/null)" || return 0
  stat=${stat##*) }
  echo "${stat%% *}"
}

# wait_state PID STATE: a stop has no event another process can wait on
# (only the parent's waitpid sees it), so this one check polls /proc,
# bounded to 5 s.
wait_state() {
  local i
  for i in $(seq 500); do
    [ "$(proc_state "$1")" = "$2" ] && return 0
    sleep 0.01
  done
  echo "pid $1 is in state '$(proc_state "$1")', not $2, after 5 s" >&2
  return 1
}

# The helper's name for signal number $1 (tjhelper prints "got NAME").
sig_name() {
  if [ "$1" -ge 32 ]; then echo "SIG$1"; else echo "SIG$(kill -l "$1")"; fi
}

# Run cgroups made by the inits of this test and still there: in mode pid1
# the name carries pid 1 of a namespace that is gone by now.
init_cgroups_left() {
  comm -13 "$BATS_TEST_TMPDIR/cgroups.before" <(snapshot_cgroups) | grep '/testjail-1-' || true
}

assert_init_clean() {
  assert_nothing_left
  local left
  left="$(init_cgroups_left)"
  [ -z "$left" ] || { echo "cgroups left behind:" >&2; echo "$left" >&2; return 1; }
}
