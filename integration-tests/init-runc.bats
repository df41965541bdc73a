#!/usr/bin/env bats
# testjail init as the ENTRYPOINT of a real OCI container (Debian's runc):
# a root file system holding only the static testjail and the helper, a
# read-only root and read-only cgroups, a memory limit, and a termination
# message file bind-mounted from the host, as the kubelet does.

load common
load init-common

STATIC="${TESTJAIL_STATIC:-$TJ_REPO/testjail-static}"

setup() {
  tj_setup
  require_cmd runc
  [ -z "${TJ_RUNC_BROKEN:-}" ] || skip_because "runc cannot run a plain container here: $TJ_RUNC_BROKEN"
  [ -x "$STATIC" ] || { echo "no static testjail at $STATIC (make static)" >&2; return 1; }
  CONTAINER="tjinit-$MARKER"
  mkdir -p bundle/rootfs
  cp "$STATIC" bundle/rootfs/testjail
  cp "$TJHELPER" bundle/rootfs/tjhelper
  touch tlog
  (cd bundle && runc spec)
}

# runc itself must work here (it does on the hybrid hosts and in the v2
# guest); a failure of a container without testjail in it is the host's.
setup_file() {
  tj_setup_file
  command -v runc >/dev/null || return 0
  local d
  d="$(mktemp -d /var/tmp/tjrunc.XXXXXX)"
  mkdir "$d/rootfs"
  cp "$TJHELPER" "$d/rootfs/tjhelper"
  (cd "$d" && runc spec && sed -i 's|"sh"|"/tjhelper", "exit", "0"|; s|"terminal": true|"terminal": false|' config.json)
  if ! timeout 60 runc run --bundle "$d" "tjprobe-$$" </dev/null >"$d/log" 2>&1; then
    export TJ_RUNC_BROKEN="$(tail -n3 "$d/log" | tr '\n' ' ')"
  fi
  runc delete -f "tjprobe-$$" >/dev/null 2>&1 || true
  rm -rf "$d"
}

teardown() {
  runc delete -f "$CONTAINER" >/dev/null 2>&1 || true
  tj_teardown
}

# bundle_config MEMORY_BYTES ARG...: the container runs testjail init -- ARG...
bundle_config() {
  local mem=$1
  shift
  "$PYTHON3" - "$PWD" "$mem" "$@" <<'PY'
import json, sys
work, mem, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
path = work + "/bundle/config.json"
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/testjail", "init", "--"] + args
c["root"]["readonly"] = True
c["linux"].setdefault("resources", {})["memory"] = {"limit": mem, "swap": mem}
c["mounts"].append({"destination": "/dev/termination-log", "type": "bind",
                    "source": work + "/tlog", "options": ["rbind", "rw"]})
json.dump(c, open(path, "w"))
PY
}

@test "runc: an OOM kill inside the container is explained in the termination message" {
  bundle_config $((64 << 20)) /tjhelper --tag="$MARKER" alloc 512
  run -137 --separate-stderr timeout 60 runc run --bundle bundle "$CONTAINER" </dev/null
  assert_contains "$(head -n1 tlog)" "OOM killed: memory peaked at"
  assert_contains "$(sed -n 2p tlog)" "outcome=oom_killed exit_code=137 signal=SIGKILL"
  assert_contains "$(sed -n 2p tlog)" "memory_limit=64MiB"
  assert_contains "$(sed -n 2p tlog)" "/container"
  assert_contains "$stderr" "testjail: OOM killed"
}

@test "runc: exit statuses pass through, and runc kill reaches the workload" {
  bundle_config $((256 << 20)) /tjhelper exit 42
  run -42 --separate-stderr timeout 60 runc run --bundle bundle "$CONTAINER" </dev/null
  assert_eq "$(head -n1 tlog)" "exited with status 42"
  runc delete -f "$CONTAINER"

  bundle_config $((256 << 20)) /tjhelper --tag="$MARKER" signals --fork --exit-on SIGTERM --exit-code 3
  init_start subreaper runc run --bundle bundle "$CONTAINER"
  wait_for_line ready
  runc kill "$CONTAINER" USR1
  wait_for_lines "got SIGUSR1" "child got SIGUSR1"
  runc kill "$CONTAINER" TERM
  init_finish
  assert_eq "$TJ_STATUS" 3
  assert_eq "$(head -n1 tlog)" "exited with status 3"
}
