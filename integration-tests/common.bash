# Shared helpers of testjail's integration tests (bats). Load with
#   load common
# Every file runs as root against the real cgroups of the host it is on
# (this hybrid host, or the cgroup v2 guest of integration-tests/v2vm/).

bats_require_minimum_version 1.5.0

TJ_REPO="$(cd "$BATS_TEST_DIRNAME/.." && pwd -P)"
TESTJAIL="${TESTJAIL:-$TJ_REPO/testjail}"
TJHELPER="${TJHELPER:-$TJ_REPO/integration-tests/helper/tjhelper}"
# A backstop only: a test that hangs fails instead of stalling the suite.
: "${BATS_TEST_TIMEOUT:=300}"

# ---- the cgroup mode ---------------------------------------------------

# v2, hybrid or v1, as testjail must detect it.
cgroup_mode() {
  local fs
  fs="$(stat -fc %T /sys/fs/cgroup)"
  if [ "$fs" = cgroup2fs ]; then
    echo v2
  elif [ "$fs" = tmpfs ] && [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
    echo hybrid
  else
    echo v1
  fi
}

# Call from each file's setup_file: names the mode in the TAP stream, fails
# the file when TJ_CGROUP_MODE_EXPECTED says the host should be another one,
# and fails (not skips) when the binaries are missing: `make integration`
# builds them first.
tj_setup_file() {
  local mode
  mode="$(cgroup_mode)"
  echo "# cgroup mode: $mode ($(basename "$BATS_TEST_FILENAME"), kernel $(uname -r))" >&3
  if [ -n "${TJ_CGROUP_MODE_EXPECTED:-}" ] && [ "$mode" != "$TJ_CGROUP_MODE_EXPECTED" ]; then
    echo "cgroup mode is $mode, TJ_CGROUP_MODE_EXPECTED=$TJ_CGROUP_MODE_EXPECTED" >&2
    return 1
  fi
  [ -x "$TESTJAIL" ] || { echo "no testjail binary at $TESTJAIL (make testjail)" >&2; return 1; }
  [ -x "$TJHELPER" ] || { echo "no helper at $TJHELPER (make $TJHELPER)" >&2; return 1; }
  [ -n "$PYTHON3" ] || { echo "python3 is needed to read the JSON reports" >&2; return 1; }
}

setup_file() {
  tj_setup_file
}

# ---- sampling ---------------------------------------------------------------

# TJ_SAMPLE=1 (the cgroup v2 guest sets it: under TCG each run costs ~20x
# what it costs here) makes the loops over every exit status or signal test
# a representative sample: the edges, the values with a meaning of their own
# (125-128 testjail's, 128+N signals), and a spread in between.
tj_sampling() { [ "${TJ_SAMPLE:-0}" = 1 ]; }
if tj_sampling; then
  TJ_EXIT_CODES=(0 1 2 3 42 100 124 125 126 127 128 129 137 143 200 254 255)
else
  TJ_EXIT_CODES=($(seq 0 255))
fi

# ---- per-test set-up ----------------------------------------------------

# Each test runs in a fresh working directory outside /tmp (testjail gives the
# workload a private /tmp; the tests that need a cwd under /tmp make one).
# Leak snapshots are taken here and checked by assert_nothing_left.
tj_setup() {
  require_root
  # Few processes per test: under TCG (the cgroup v2 guest) each exec costs
  # ~0.1 s, so set-up and teardown use shell builtins where they can.
  local n
  for n in 1 2 3 4 5; do
    TJ_WORK=/var/tmp/tjtest.$BASHPID$RANDOM$RANDOM
    mkdir -m 755 "$TJ_WORK" 2>/dev/null && break
  done
  cd "$TJ_WORK" || return 1
  MARKER="tjmark-$$-$RANDOM$RANDOM"
  # A regex that matches MARKER but not itself, so pgrep/pidwait do not
  # find their own parent (timeout ...) or the test shell's command lines.
  MARKER_RE="[${MARKER:0:1}]${MARKER:1}"
  TJ_BG_PIDS=()
  TJ_CLEANUP_DIRS=()
  snapshot_cgroups >"$BATS_TEST_TMPDIR/cgroups.before"
  MOUNTS_BEFORE="$(mount_count)"
}

# True while PID is a live child of this shell: a pid already reaped may
# belong to someone else by now and must not be signalled.
is_my_child() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat=${stat##*) }
  set -- $stat
  [ "$1" != Z ] && [ "$2" = "$BASHPID" ]
}

tj_teardown() {
  local p
  for p in "${TJ_BG_PIDS[@]}"; do
    if is_my_child "$p"; then
      kill -KILL "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    fi
  done
  exec 4<&- 2>/dev/null || true
  if [ -n "${MARKER_RE:-}" ]; then
    local left=()
    mapfile -t left < <(pgrep -f "$MARKER_RE")
    [ ${#left[@]} -eq 0 ] || kill -KILL "${left[@]}" 2>/dev/null || true
  fi
  cd / && [ -n "${TJ_WORK:-}" ] && rm -rf "$TJ_WORK" ${TJ_CLEANUP_DIRS[@]+"${TJ_CLEANUP_DIRS[@]}"}
}

setup() {
  tj_setup
}

teardown() {
  tj_teardown
}

# ---- skipping -------------------------------------------------------------

# bats prints the reason in the TAP line ("ok 3 name # skip (reason)").
skip_because() {
  echo "# skipped: $BATS_TEST_DESCRIPTION: $*" >&3
  skip "$*"
}

require_root() {
  [ "$EUID" -eq 0 ] || skip_because "requires root (real cgroups and namespaces)"
}

require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null || skip_because "requires $c in PATH"
  done
}

# The controller must be usable by a child cgroup of ours: v2 lists it in
# the root's cgroup.controllers, v1/hybrid mounts its hierarchy.
require_controller() {
  local c=$1
  if [ "$(cgroup_mode)" = v2 ]; then
    grep -qw "$c" /sys/fs/cgroup/cgroup.controllers ||
      skip_because "the $c controller is not available in /sys/fs/cgroup/cgroup.controllers"
  else
    grep -qw "^$c" /proc/cgroups && [ -d "/sys/fs/cgroup/$c" ] ||
      skip_because "the $c controller is not mounted at /sys/fs/cgroup/$c"
  fi
}

# ---- running testjail -------------------------------------------------------

# `run` with a bound: a hung testjail shows as status 124 (or 137), not as a
# hung suite. Use as: run -0 tj exec -- ...
# The pid of every testjail a test starts is recorded (sh execs testjail,
# so the pid is testjail's own), so leak checks look only at this test's
# run cgroups, not at those of other suites running on the same host.
tj() {
  timeout -k 5 "${TJ_TIMEOUT:-60}" sh -c 'echo $$ >>"$0"; exec "$@"' \
    "$BATS_TEST_TMPDIR/testjail.pids" "$TESTJAIL" "$@"
}

# Record the pid of a testjail started in the background by hand.
tj_record_pid() {
  echo "$1" >>"$BATS_TEST_TMPDIR/testjail.pids"
}

# Start `testjail ARGS...` in the background with stdout into a FIFO read
# through fd 4 and stderr into $BATS_TEST_TMPDIR/stderr. Sets TJ_PID.
# SIGINT/SIGQUIT are reset to default because a non-interactive shell starts
# background jobs with them ignored; fd 3 is closed so bats does not wait for
# a leftover process.
tj_start() {
  local fifo="$BATS_TEST_TMPDIR/stdout.fifo"
  rm -f "$fifo" "$BATS_TEST_TMPDIR/stdout" "$BATS_TEST_TMPDIR/stderr"
  mkfifo "$fifo"
  env --default-signal=INT,QUIT "$TESTJAIL" "$@" >"$fifo" 2>"$BATS_TEST_TMPDIR/stderr" 3>&- &
  TJ_PID=$!
  TJ_BG_PIDS+=("$TJ_PID")
  tj_record_pid "$TJ_PID"
  exec 4<"$fifo"
}

# Read the background run's stdout (fd 4) until a line equal to $1 (default
# "ready"); every line read is appended to $BATS_TEST_TMPDIR/stdout.
wait_for_line() {
  local want=${1:-ready} line
  while IFS= read -r -t "${2:-20}" line <&4; do
    printf '%s\n' "$line" >>"$BATS_TEST_TMPDIR/stdout"
    [ "$line" = "$want" ] && return 0
  done
  echo "no line '$want' from the workload within ${2:-20}s; got:" >&2
  cat "$BATS_TEST_TMPDIR/stdout" "$BATS_TEST_TMPDIR/stderr" >&2 2>/dev/null
  return 1
}

# Read the rest of the background run's stdout until EOF (bounded), then
# reap testjail; TJ_STATUS gets its exit status.
tj_finish() {
  timeout "${1:-30}" cat <&4 >>"$BATS_TEST_TMPDIR/stdout" || {
    echo "stdout of testjail did not reach EOF within ${1:-30}s" >&2
    return 1
  }
  exec 4<&-
  TJ_STATUS=0
  wait "$TJ_PID" || TJ_STATUS=$?
}

# ---- leaks ----------------------------------------------------------------

# Every testjail run cgroup in every hierarchy, one path a line, sorted.
snapshot_cgroups() {
  local d=()
  shopt -s globstar nullglob
  d=(/sys/fs/cgroup/**/testjail-*/)
  shopt -u globstar nullglob
  [ ${#d[@]} -eq 0 ] || printf '%s\n' "${d[@]%/}" | sort
}

mount_count() {
  local m=()
  mapfile -t m </proc/self/mountinfo
  echo "${#m[@]}"
}

# Processes whose command line contains the marker (testjail's own argv
# carries it too), as "pid cmdline" lines.
marker_procs() {
  pgrep -af "${1:-$MARKER_RE}" || true
}

# Run cgroups (testjail-<ownerpid>-...) of the testjails this test started,
# still there although their owner is gone: left behind. Other suites on the
# same host have other owners and are not looked at.
leaked_cgroups() {
  local path name owner
  : >>"$BATS_TEST_TMPDIR/testjail.pids"
  comm -13 "$BATS_TEST_TMPDIR/cgroups.before" <(snapshot_cgroups) | while IFS= read -r path; do
    name=${path##*/}
    owner=${name#testjail-}
    owner=${owner%%-*}
    grep -qx "$owner" "$BATS_TEST_TMPDIR/testjail.pids" || continue
    [ -e "/proc/$owner" ] || echo "$path"
  done
}

# No run cgroup left behind, no extra mount, no process carrying the marker.
assert_nothing_left() {
  local new procs
  new="$(leaked_cgroups)"
  if [ -n "$new" ]; then
    echo "cgroups left behind:" >&2
    echo "$new" >&2
    return 1
  fi
  if [ "$(mount_count)" -gt "$MOUNTS_BEFORE" ]; then
    echo "mounts: $MOUNTS_BEFORE before, $(mount_count) after" >&2
    return 1
  fi
  procs="$(marker_procs)"
  if [ -n "$procs" ]; then
    echo "processes left behind:" >&2
    echo "$procs" >&2
    return 1
  fi
}

# ---- reports and assertions ---------------------------------------------

# The distribution's python3 first: a pyenv shim earlier in PATH costs ~1 s a call.
if [ -z "${PYTHON3:-}" ]; then
  if [ -x /usr/bin/python3 ]; then PYTHON3=/usr/bin/python3; else PYTHON3="$(command -v python3)"; fi
fi

# json_get FILE a.b.0.c: the value at that path; strings raw, null as
# "null", numbers as JSON, objects and arrays as compact JSON. Fails when a
# key is missing (which is not the same as null). python3 reads each
# version of FILE once and lists every path with its value; later calls
# look the path up in that list with shell builtins only (a python3 start
# costs ~0.5 s in the cgroup v2 guest, and tests ask for many keys).
json_get() {
  local f=$1 want=$2 cache k v
  cache="$BATS_TEST_TMPDIR/json-cache${PWD//\//%}%${f//\//%}"
  if [ ! -f "$cache" ] || [ "$f" -nt "$cache" ]; then
    "$PYTHON3" - "$f" >"$cache.new" <<'EOF_PY' || { rm -f "$cache.new"; return 1; }
import json, sys
def out(path, v):
    s = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
    sys.stdout.write(path + "\0" + s + "\0")
    if isinstance(v, dict):
        for k, x in v.items():
            out(path + "." + k if path else k, x)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out(path + "." + str(i) if path else str(i), x)
out("", json.load(open(sys.argv[1])))
EOF_PY
    mv "$cache.new" "$cache"
  fi
  while IFS= read -r -d '' k && IFS= read -r -d '' v; do
    if [ "$k" = "$want" ]; then
      printf '%s\n' "$v"
      return 0
    fi
  done <"$cache"
  echo "no key '$want' in $f" >&2
  return 1
}

# Fails with both values shown.
assert_eq() {
  if [ "$1" != "$2" ]; then
    echo "expected: $2" >&2
    echo "actual:   $1" >&2
    [ -z "${3:-}" ] || echo "($3)" >&2
    return 1
  fi
}

# assert_contains HAYSTACK NEEDLE
assert_contains() {
  if [[ "$1" != *"$2"* ]]; then
    echo "expected to find: $2" >&2
    echo "in: $1" >&2
    return 1
  fi
}

assert_not_contains() {
  if [[ "$1" == *"$2"* ]]; then
    echo "did not expect: $2" >&2
    echo "in: $1" >&2
    return 1
  fi
}

assert_outcome() {
  local got
  got="$(json_get "$1" outcome)"
  assert_eq "$got" "$2" "outcome in $1; diagnosis: $(json_get "$1" diagnosis)"
}

# The diagnosis testjail prints when a run did not simply succeed: one line
# starting "testjail: " (the workload's own stderr may come before it).
assert_diagnosis_line() {
  local text=$1 n
  n="$(grep -c '^testjail: ' <<<"$text" || true)"
  if [ "$n" -ne 1 ]; then
    echo "expected one 'testjail: ' diagnosis line on stderr, got $n:" >&2
    echo "$text" >&2
    return 1
  fi
}

# ---- bad input ----------------------------------------------------------------

# expect_bad_input NEEDLE TESTJAIL-ARGS...: testjail refuses the input: exit
# 125, nothing on stdout, one line on stderr starting "testjail: " that
# contains NEEDLE, and nothing left behind. A file may set, in its setup,
# TJ_BAD_INPUT_ARGS (the arguments every call starts with) and
# TJ_BAD_INPUT_LEAK_CHECK (a stricter leak check than assert_nothing_left).
expect_bad_input() {
  local needle=$1
  shift
  run --separate-stderr tj ${TJ_BAD_INPUT_ARGS[@]+"${TJ_BAD_INPUT_ARGS[@]}"} "$@"
  if [ "$status" -ne 125 ]; then
    echo "status $status, expected 125; stdout: $output; stderr: $stderr" >&2
    return 1
  fi
  assert_eq "$output" "" "nothing on stdout"
  assert_eq "${#stderr_lines[@]}" 1 "exactly one line on stderr: $stderr"
  [[ "$stderr" == "testjail: "* ]] || { echo "stderr does not start with 'testjail: ': $stderr" >&2; return 1; }
  assert_contains "$stderr" "$needle"
  "${TJ_BAD_INPUT_LEAK_CHECK:-assert_nothing_left}"
}
