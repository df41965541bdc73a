#!/usr/bin/env bash
# Runs inside the cgroup v2 guest (started by guest-init.sh as a child of
# PID 1). Reads the job that run.sh wrote to the results share, runs the
# bats suite, and leaves TAP output and exit statuses on the share.
#
# Two passes, because cgroup v2 behaves differently in each place:
#   root    every process sits in the root cgroup, like a freshly booted
#           machine or a VM with no init system.
#   nested  inside /v2vm-delegate/container with only memory+pids
#           delegated, in a private cgroup namespace with cgroup2 remounted,
#           like a container started with --cgroupns=private: testjail's
#           cgroup "/" is not the real root and already holds processes
#           (bats, bash), so the no-internal-processes rule applies and,
#           with nsdelegate, the namespace root's own limits are read-only.
set -uo pipefail

cg=/sys/fs/cgroup

# Nested pass, step 1 (called as: guest-run.sh --enter CGROUP BATS_ARGS...):
# move into the delegated cgroup, then into new cgroup + mount namespaces.
if [ "${1:-}" = --enter ]; then
  echo $$ >"$2/cgroup.procs" || exit 1
  shift 2
  exec unshare --cgroup --mount --propagation private -- bash "$0" --nested "$@"
fi
# Step 2: remount cgroup2 so /sys/fs/cgroup shows the namespace's root, as
# a container runtime does, then run bats there.
if [ "${1:-}" = --nested ]; then
  shift
  umount $cg && mount -t cgroup2 cgroup2 $cg || { echo "not ok 1 remount cgroup2 in the cgroup namespace"; exit 1; }
  echo "# in $(cat /proc/self/cgroup) (host side: $NESTED_CGROUP)," \
    "controllers: $(cat $cg/cgroup.controllers), processes: $(wc -l <$cg/cgroup.procs)"
  exec bats "$@"
fi

out=${V2VM_OUT:?}
cut -d' ' -f1 /proc/uptime >"$out/boot.uptime"
# shellcheck source=/dev/null
. "$out/job.env"   # REPO, BATS_FILES, NESTED_FILES, NESTED_SKIP, TESTJAIL, TJHELPER, TJ_EXAMPLES_DIR, GO_BIN_DIR
cd "$REPO" || exit 1
[ -z "${GO_BIN_DIR:-}" ] || export PATH="$GO_BIN_DIR:$PATH"

say() { echo "v2vm guest [$(cut -d' ' -f1 /proc/uptime)s]: $*"; }
command -v go >/dev/null && say "$(go version) ($(command -v go))"

# What this guest is: the host prints it next to the results.
fstype=$(stat -fc %T $cg)
if [ "$fstype" = cgroup2fs ] && ! awk '$3 == "cgroup" { f = 1 } END { exit !f }' /proc/mounts; then mode=v2
elif [ "$fstype" = cgroup2fs ]; then mode=v2+v1
else mode="not v2 ($cg is $fstype)"; fi
echo "$mode (controllers: $(cat $cg/cgroup.controllers 2>/dev/null); kernel $(uname -r))" >"$out/cgroup-mode"
if [ "$mode" != v2 ]; then
  say "expected a pure cgroup v2 guest, got: $mode"
  exit 1
fi

export TESTJAIL TJHELPER TJ_CGROUP_MODE_EXPECTED=v2 TJ_V2VM=1
export TMPDIR=/tmp
# guest-init's console TERM is dumb; the suite runs under a terminal type as
# on a developer's host (testjail's live view is off under TERM=dumb, and
# bisect-memory.bats checks it under a pty).
export TERM=${V2VM_TERM:-xterm}
# Under TCG a run costs ~20x: loops over every exit status or signal test a
# representative sample (common.bash), and the Go examples are copied to one
# fixed path so that the build cache hits after the first build (gotest.bash).
export TJ_SAMPLE=${TJ_SAMPLE:-1} TJ_EXAMPLES_DIR
# Programs run ~5x slower under TCG than on the host: scale the suite's
# per-test backstop (common.bash defaults it to 120 s) to match.
export BATS_TEST_TIMEOUT=${V2VM_BATS_TEST_TIMEOUT:-300}
# The same for common.bash's 60 s bound on one testjail run: bisect-memory's
# runs crossed it while the host's load average was 30.
export TJ_TIMEOUT=${V2VM_TJ_TIMEOUT:-180}
# The network stays off: a build that needs a module download fails fast.
export GOPROXY=off GOFLAGS=${GOFLAGS:-}
# GOCACHE and GOMODCACHE on the scratch disk, where the sandboxes can idmap
# them (they are writable binds of the build): run.sh filled gocache/ with
# the GOCACHE warmed into the Go image and the host's own (make check runs
# the host suite first, so the std test packages it built are hits here).
# The module cache starts empty; nothing here downloads.
export GOCACHE=/run/v2vm/scratch/gocache GOMODCACHE=/run/v2vm/scratch/gomodcache

run_pass() {  # name, then the command that runs bats
  local name=$1 t0=$SECONDS rc
  shift
  export TJ_V2VM_PASS=$name
  say "pass $name: ${*##*/}"
  mkdir -p "$out/$name-junit"
  "$@" >"$out/$name.tap" 2>&1
  rc=$?
  echo "$rc" >"$out/$name.status"
  echo "$((SECONDS - t0))" >"$out/$name.seconds"
  say "pass $name: exit $rc in $((SECONDS - t0))s"
  return "$rc"
}

status=0
# junit: per-file times, which run.sh uses to balance the shards next time.
bats_args=(--tap --timing --report-formatter junit)
run_pass root bats "${bats_args[@]}" --output "$out/root-junit" "${BATS_FILES[@]}" || status=1

if [ ${#NESTED_FILES[@]} -eq 0 ]; then
  say "pass nested: skipped: ${NESTED_SKIP:-no files}"
  echo "${NESTED_SKIP:-no files}" >"$out/nested.skipped"
else
  NESTED_CGROUP=/v2vm-delegate/container
  base=$cg/v2vm-delegate
  mkdir -p "$base/container"
  for c in ${V2VM_NESTED_CONTROLLERS:-memory pids}; do
    echo "+$c" >$cg/cgroup.subtree_control && echo "+$c" >"$base/cgroup.subtree_control" ||
      { say "cannot delegate $c"; status=1; }
  done
  export NESTED_CGROUP
  run_pass nested bash "$0" --enter "$base/container" \
    "${bats_args[@]}" --output "$out/nested-junit" "${NESTED_FILES[@]}" || status=1
fi
exit "$status"
