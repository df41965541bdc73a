#!/usr/bin/env bats
# Escapes from the default sandbox, tried as a hostile workload would (issue
# 19): each test makes one attempt from inside `testjail exec -- ...` and
# fails when it works or when it cannot tell. The same attempts run from a
# Go test in the test phase of `testjail test` (Docker's capability set),
# in one run made by setup_file; the "test phase:" tests read its verdicts.
# The attempts are tjhelper subcommands: exit 0 refused, 1 worked, 2 cannot
# tell (see escape.bash).

#
# escape-user.bats is a link to this file: there the same attempts run with
# testjail started by a normal user (TJ_USER) from a cgroup v2 subtree
# delegated as systemd delegates one (rootless.bash); bats itself stays
# root, to plant the targets.

load common
load rootless
load escape

ESC_USER=
[ "${BATS_TEST_FILENAME##*/}" != escape-user.bats ] || ESC_USER=$TJ_USER

setup_file() {
  tj_setup_file
  require_cmd go script
  # As a normal user every test skips (require_root): nothing to set up.
  [ "$EUID" -eq 0 ] || return 0
  if [ -n "$ESC_USER" ]; then
    # Every test skips with this reason (setup).
    export ESC_NO_USER=
    if [ "$(cgroup_mode)" != v2 ]; then
      ESC_NO_USER="a normal user's delegated subtree needs cgroup v2: this host's cgroups are $(cgroup_mode) (make check-v2 runs this file in a pure v2 guest)"
      return 0
    fi
    require_cmd setpriv
    delegate_user_subtree "$ESC_USER" || return 1
    export USER_CG USER_APP
  fi
  escape_gotest_setup_file
}

teardown_file() {
  escape_gotest_teardown_file
  [ -z "$ESC_USER" ] || { assert_scopes_as_made "$BATS_FILE_TMPDIR/scopes" && undelegate_user_subtree; }
}

# The "test phase:" tests only read setup_file's run: no working directory,
# no leak snapshots (a few hundred ms each on a busy host).
setup() {
  [ -z "${ESC_NO_USER:-}" ] || skip_because "$ESC_NO_USER"
  if [[ "$BATS_TEST_DESCRIPTION" == "test phase: "* ]]; then
    require_root
  else
    tj_setup
    [ -z "$ESC_USER" ] || give_workdir_to "$ESC_USER"
  fi
}

teardown() {
  rm -f "/root/.tj-escape-probe-${MARKER:-none}"
  [[ "$BATS_TEST_DESCRIPTION" == "test phase: "* ]] || tj_teardown
  # Each run's scope is as it was made: testjail removed what it made.
  [ -z "$ESC_USER" ] || assert_scopes_as_made
}

# ---- devices ------------------------------------------------------------

@test "mknod: a block device node of the host's disk, made in the working directory, does not open" {
  [ -n "$ESC_BLOCKDEV" ] ||
    skip_because "no block device opens even for the host's root outside any sandbox (root disk: $(root_block_device))"
  echo "# block device $ESC_BLOCKDEV (root disk: $(root_block_device))" >&3
  attempt -- mknod-open b "$ESC_BLOCKDEV"
}

@test "mknod: a loop device node made in the working directory does not open" {
  [ -n "$ESC_LOOPDEV" ] || skip_because "the host has no loop device its root can open"
  attempt -- mknod-open b "$ESC_LOOPDEV"
}

# Device nodes the host made, mode 0666, in a directory of its own disk that
# the sandbox sees through its read-only view of / (not a bound path, so not
# nodev, and not idmapped, so the "other" bits let even the user namespace's
# root in): only the device allow-list (a v1 devices cgroup or a v2 device
# program) stands between the workload and the device (see plant_nodes).
# The "devices" field of a report's isolation object.
isolation_devices() {
  "$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))["isolation"]["devices"])' "$1"
}

@test "devices: nodes the host planted on its disk (a block device, c 7:0 vcs) open neither through the read-only view of / (nodev) nor through a --ro-bind of their directory (EPERM from the device allow-list)" {
  local nodes=()
  mapfile -t nodes < <(plant_nodes "$TJ_WORK.devs")
  TJ_CLEANUP_DIRS+=("$TJ_WORK.devs")
  [ ${#nodes[@]} -gt 0 ] || skip_because "the host's root opens none of the nodes (block ${ESC_BLOCKDEV:-$ESC_LOOPDEV}, c 7:0)"
  echo "# planted: ${nodes[*]}" >&3
  local u
  for u in auto host; do
    # the host's view: nodev, so the open fails before any device rule
    run tj exec --userns "$u" -- "$TJHELPER" open-dev "${nodes[@]}"
    assert_refused
    [ "$(grep -c ': EACCES$' <<<"$output")" -eq ${#nodes[@]} ] || { echo "--userns $u: not nodev's EACCES: $output" >&2; false; }
    # a bind the user names stays as it is: there the device controller's
    # own EPERM refuses the nodes, not the file's bits (in a user namespace
    # the kernel refuses them first, idmapped: EACCES)
    run tj exec --userns "$u" --ro-bind "$TJ_WORK.devs" --report "$TJ_WORK/r-$u.json" -- "$TJHELPER" open-dev "${nodes[@]}"
    assert_refused
    local want=EPERM
    [ "$u" = host ] || want='EPERM|EACCES'
    [ "$(grep -cE ": ($want)\$" <<<"$output")" -eq ${#nodes[@]} ] || { echo "--userns $u: not $want: $output" >&2; false; }
    [ "$(isolation_devices "$TJ_WORK/r-$u.json")" = "$(expected_devices)" ]
  done
}

@test "devices: under --userns host --cap-add CAP_MKNOD a block device node made in the working directory does not open" {
  [ -z "$ESC_USER" ] || skip_because "--userns host is root's: a normal user's sandbox always has a user namespace, where the kernel refuses mknod of a device (escape.bats covers this as root)"
  local blk=${ESC_BLOCKDEV:-$ESC_LOOPDEV}
  [ -n "$blk" ] || skip_because "the host's root can open no block device"
  attempt --userns host --cap-add CAP_MKNOD -- mknod-open b "$blk"
  # The node was made (mknod stays allowed, as in runc): the refusal is the open's.
  grep -q '^mknod: made b' <<<"$output"
}

# The writable paths are nodev; a workload that may mount makes a place
# that is not (a tmpfs of its own), and there only the device allow-list
# keeps a node it made from opening.
@test "devices: under --userns host with CAP_MKNOD and CAP_SYS_ADMIN (seccomp unconfined), a block device node made on a tmpfs the workload mounted does not open: EPERM" {
  [ -z "$ESC_USER" ] || skip_because "--userns host is root's: a normal user's sandbox always has a user namespace, where the kernel refuses mknod of a device (escape.bats covers this as root)"
  local blk=${ESC_BLOCKDEV:-$ESC_LOOPDEV}
  [ -n "$blk" ] || skip_because "the host's root can open no block device"
  run tj exec --userns host --seccomp unconfined --cap-add CAP_MKNOD --cap-add CAP_SYS_ADMIN --ro-bind "$TJHELPER" -- \
    sh -c 'mkdir m && mount -t tmpfs -o mode=0755 tj m || exit 2; cd m && exec "$0" mknod-open b "$1"' "$TJHELPER" "$blk"
  assert_refused
  grep -q '^mknod: made b' <<<"$output"
  grep -q ': EPERM$' <<<"$output" || { echo "not the device controller's EPERM: $output" >&2; false; }
}

@test "devices: /dev/null, zero, full, random, urandom and ptmx stay usable (default and --userns host --cap-add CAP_MKNOD)" {
  run tj exec -- "$TJHELPER" use-devs /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/ptmx
  [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
  run tj exec --userns host --cap-add CAP_MKNOD -- "$TJHELPER" use-devs /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/ptmx
  [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
}

# ---- /proc/sys and the kernel's usermode helpers ----------------------------

@test "/proc/sys: kernel/core_pattern does not open for writing" {
  host_control open-write /proc/sys/kernel/core_pattern
  attempt -- open-write /proc/sys/kernel/core_pattern
}

@test "/proc/sys: a harmless sysctl (fs/lease-break-time) cannot be written, not even with its own value" {
  attempt -- rewrite /proc/sys/fs/lease-break-time
}

@test "/proc/sysrq-trigger does not open for writing" {
  [ -e /proc/sysrq-trigger ] || skip_because "the host kernel has no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ)"
  attempt -- open-write /proc/sysrq-trigger
}

@test "the other usermode-helper hooks (kernel/modprobe, /sys/kernel/uevent_helper, binfmt_misc/register) do not open for writing" {
  local paths=()
  mapfile -t paths < <(host_has /proc/sys/kernel/modprobe /sys/kernel/uevent_helper /proc/sys/fs/binfmt_misc/register)
  [ ${#paths[@]} -gt 0 ] || skip_because "the host kernel has none of them"
  attempt -- open-write "${paths[@]}"
}

# ---- host files, sockets, descriptors -------------------------------------

@test "/etc/shadow is not readable" {
  [ -f /etc/shadow ] || skip_because "the host has no /etc/shadow"
  host_control read /etc/shadow
  attempt -- read /etc/shadow
}

# A bound path below /root (a package or GOCACHE there) puts an empty tmpfs
# over /root inside, so the listing may work and show only mount points: a
# file planted there is what must stay out of reach.
@test "a file planted in /root is not readable" {
  [ "$(stat -c %a /root)" = 700 ] || skip_because "the host's /root is mode $(stat -c %a /root), not root-only"
  printf 'secret\n' >"/root/.tj-escape-probe-$MARKER"
  chmod 0644 "/root/.tj-escape-probe-$MARKER"
  host_control read "/root/.tj-escape-probe-$MARKER"
  attempt -- read "/root/.tj-escape-probe-$MARKER"
}

@test "a root-only unix socket planted under /run (0600 in a 0700 directory) does not accept a connect" {
  local dir="/run/tj-escape-$MARKER" line
  mkdir -m 700 "$dir"
  TJ_CLEANUP_DIRS+=("$dir")
  # The daemon carries the marker: teardown kills it.
  line="$("$TJHELPER" --tag="$MARKER" listen-unix "$dir/sock" 3>&-)"
  [[ "$line" == "listening "* ]]
  host_control connect-unix "$dir/sock"
  attempt -- connect-unix "$dir/sock"
}

@test "a descriptor the caller left open (fd 7) is not inherited" {
  echo "secret-$MARKER" >secret
  host_control read-fd 7 7<secret
  run esc_tj exec -- "$TJHELPER" read-fd 7 7<secret
  assert_refused
}

@test "--preserve-fds 1 keeps fd 3 open and readable; without it fd 3 is closed" {
  echo "preserved-$MARKER" >secret
  # Status 1 is the helper's "worked": here the descriptor is meant to be there.
  run esc_tj exec --preserve-fds 1 -- "$TJHELPER" read-fd 3 3<secret
  assert_eq "$status" "$ESCAPE_WORKED" "read-fd 3 with --preserve-fds 1; output: $output"
  assert_contains "$output" "preserved-$MARKER"
  run esc_tj exec -- "$TJHELPER" read-fd 3 3<secret
  assert_refused
}

# ---- masked paths -----------------------------------------------------------

@test "masked /proc files give nothing (kcore keys timer_list sched_debug latency_stats acpi scsi)" {
  local paths=()
  mapfile -t paths < <(host_has "${MASKED_PROC[@]}")
  echo "# on this host: ${paths[*]}" >&3
  [ ${#paths[@]} -gt 0 ] || skip_because "the host has none of ${MASKED_PROC[*]}"
  [ ! -e /proc/timer_list ] || host_control read /proc/timer_list
  attempt -- read "${MASKED_PROC[@]}"
}

@test "masked /sys paths give nothing (firmware, devices/virtual/powercap)" {
  local paths=()
  mapfile -t paths < <(host_has "${MASKED_SYS[@]}")
  [ ${#paths[@]} -gt 0 ] || skip_because "the host has none of ${MASKED_SYS[*]}"
  attempt -- read "${MASKED_SYS[@]}"
}

# ---- mounts and namespaces --------------------------------------------------

@test "mount of a tmpfs is refused" {
  attempt -- mount tmpfs
}

@test "new user+mount namespaces (by unshare and by clone) mount no fresh proc or sysfs, open no fresh cgroup's release_agent, unmask nothing" {
  attempt -- userns-mount
}

@test "open_by_handle_at on a host file handle (the shocker attack) is refused" {
  attempt -- shocker
}

@test "setns into the host's network namespace through a descriptor passed in is refused" {
  # --preserve-fds: the descriptor must reach the workload for the attempt
  # to mean anything; the helper says "cannot tell" when it is not there.
  attempt --preserve-fds 1 -- setns 3 3</proc/self/ns/net
}

@test "setns through /proc/HOSTPID/ns of a host process is refused" {
  attempt -- setns "/proc/$$/ns/net"
}

@test "the cgroup tree does not open for writing (release_agent, notify_on_release, the parent's cgroup.procs)" {
  attempt -- cgroup-write
}

@test "mount of a cgroup hierarchy (the way to a release_agent of one's own, CVE-2022-0492) is refused" {
  if [ "$(cgroup_mode)" = v2 ]; then
    attempt -- mount cgroup2
  else
    local ctrl
    ctrl="$(awk '!/^#/ && $4 == 1 { print $1; exit }' /proc/cgroups)"
    attempt -- mount cgroup "$ctrl"
  fi
}

# ---- kernel interfaces ------------------------------------------------------

@test "keyctl: add_key to the session keyring and reading the user keyring are refused" {
  attempt -- keyctl
}

@test "bpf: BPF_MAP_CREATE and BPF_PROG_LOAD are refused" {
  attempt -- bpf
}

@test "io_uring_setup is refused" {
  attempt -- io-uring
}

@test "syslog(2) does not read the host's kernel log" {
  attempt -- syslog
}

# ---- processes and the terminal -------------------------------------------

@test "ptrace of PID 1 (testjail's init) is refused" {
  attempt -- ptrace 1
}

@test "the sandbox's init binary (/proc/1/exe) does not open for writing (CVE-2019-5736)" {
  attempt -- open-write /proc/1/exe
}

@test "kill of a process outside the sandbox does not reach it" {
  "$TJHELPER" --tag="$MARKER" sleep forever >/dev/null 2>&1 3>&- &
  local pid=$!
  TJ_BG_PIDS+=("$pid")
  attempt -- kill "$pid" "$MARKER"
  is_my_child "$pid" || { echo "the process outside ($pid) is gone" >&2; return 1; }
}

@test "TIOCSTI cannot push a command into the caller's terminal" {
  local injected="$TJ_WORK/injected"
  mkfifo stdin
  # The caller's shell reads its terminal after testjail: whatever was
  # pushed into it runs there, as it would at a prompt.
  run timeout -k 5 30 script -qec "
    $(esc_prefix)'$TESTJAIL' exec -- '$TJHELPER' tiocsti 'touch $injected
'
    echo helper-status=\$?
    '$TJHELPER' tty-pending
    if read -t 0; then IFS= read -r l; eval \"\$l\"; fi" /dev/null <>stdin 3>&-
  output="${output//$'\r'/}"
  echo "$output"
  assert_contains "$output" "pending 0"
  [ ! -e "$injected" ] || { echo "the injected command ran in the caller's shell" >&2; return 1; }
  [[ "$output" == *"helper-status=0"* ]] || {
    status=2
    [[ "$output" != *"helper-status=1"* ]] || status=1
    assert_refused
  }
}

# ---- the file system ---------------------------------------------------------

@test "writes outside the bound paths (/usr, /etc, /var/tmp, the host's /tmp) do not land" {
  # The helper is bound: a checkout under /tmp is hidden by the sandbox's own /tmp.
  run esc_tj exec --ro-bind "$TJHELPER" -- sh -c '"$0" create /usr/tj-escape-"$1" /etc/tj-escape-"$1" /var/tmp/tj-escape-"$1"; s=$?
    echo x >/tmp/tj-escape-"$1" || s=2
    exit $s' "$TJHELPER" "$MARKER"
  local landed="" p
  for p in /usr /etc /var/tmp /tmp; do
    [ ! -e "$p/tj-escape-$MARKER" ] || { landed+=" $p"; rm -f "$p/tj-escape-$MARKER"; }
  done
  assert_eq "$landed" "" "files that reached the host"
  assert_refused
}

@test "chroot into a subdirectory and .. do not reach what the sandbox hides (the host's /tmp)" {
  echo probe >"/tmp/tj-escape-probe-$MARKER"
  run esc_tj exec -- "$TJHELPER" chroot-escape "/tmp/tj-escape-probe-$MARKER"
  rm -f "/tmp/tj-escape-probe-$MARKER"
  assert_refused
}

@test "files written in the working directory and a --bind directory are owned by the invoking user" {
  mkdir bound
  [ -z "$ESC_USER" ] || chown "$ESC_USER:$ESC_USER" bound
  run -0 esc_tj exec --bind "$TJ_WORK/bound" -- sh -c 'echo x >file && mkdir dir && echo y >"$0/file"' "$TJ_WORK/bound"
  assert_eq "$(stat -c %u:%g file dir bound/file | sort -u)" "$(esc_ids)"
}

# ---- the test phase of `testjail test` (one run, made by setup_file) ---------

@test "test phase: block device node" { assert_go_refused TestEscapeBlockDevice; }
@test "test phase: loop device node" { assert_go_refused TestEscapeLoopDevice; }
@test "test phase: device nodes the host planted on its disk" { assert_go_refused TestEscapePlantedDevice; }
@test "test phase: core_pattern" { assert_go_refused TestEscapeCorePattern; }
@test "test phase: a sysctl written with its own value" { assert_go_refused TestEscapeSysctl; }
@test "test phase: /etc/shadow" { assert_go_refused TestEscapeShadow; }
@test "test phase: a file planted in /root" { assert_go_refused TestEscapeRootDir; }
@test "test phase: masked /proc and /sys paths" { assert_go_refused TestEscapeMasked; }
@test "test phase: root-only unix socket under /run" { assert_go_refused TestEscapeUnixSocket; }
@test "test phase: the caller's fd 7" { assert_go_refused TestEscapeInheritedFd; }
@test "test phase: mount of a tmpfs" { assert_go_refused TestEscapeMount; }
@test "test phase: user+mount namespaces, then mounts" { assert_go_refused TestEscapeUsernsMount; }
@test "test phase: open_by_handle_at (shocker)" { assert_go_refused TestEscapeShocker; }
@test "test phase: setns through /proc/HOSTPID" { assert_go_refused TestEscapeSetns; }
@test "test phase: the cgroup tree" { assert_go_refused TestEscapeCgroupWrite; }
@test "test phase: keyctl" { assert_go_refused TestEscapeKeyctl; }
@test "test phase: bpf" { assert_go_refused TestEscapeBpf; }
@test "test phase: io_uring_setup" { assert_go_refused TestEscapeIoUring; }
@test "test phase: syslog(2)" { assert_go_refused TestEscapeSyslog; }
@test "test phase: ptrace of PID 1" { assert_go_refused TestEscapePtraceInit; }
@test "test phase: chroot and .. (CAP_SYS_CHROOT is in Docker's set)" { assert_go_refused TestEscapeChroot; }

@test "test phase: kill of a process outside" {
  assert_go_refused TestEscapeKill
  kill -0 "$ESC_GO_SLEEP" 2>/dev/null || { echo "the process outside ($ESC_GO_SLEEP) is gone" >&2; return 1; }
}

@test "test phase: TIOCSTI on the caller's terminal" {
  assert_go_refused TestEscapeTIOCSTI
  assert_contains "$(cat "$ESC_GO_OUT")" "pending 0"
  [ ! -e "$ESC_GO_DIR/tiocsti-injected" ] || { echo "the injected command ran in the caller's shell" >&2; return 1; }
}

@test "test phase: writes outside the bound paths" {
  assert_go_refused TestEscapeWriteOutside
  local p
  for p in /usr /etc /var/tmp /tmp; do
    [ ! -e "$p/tj-escape-$ESC_GO_MARK" ] || { echo "$p/tj-escape-$ESC_GO_MARK is on the host" >&2; return 1; }
  done
}

@test "test phase: files written in the package directory are owned by the invoking user" {
  assert_go_refused TestEscapeOwnership
  assert_eq "$(stat -c %u:%g "$ESC_GO_DIR/owned-by-invoker" "$ESC_GO_DIR/dir-owned-by-invoker" | sort -u)" "$(esc_ids)"
}

# Informative beyond its one assertion: the issue says only that the limit
# was the host's, which for root is often unlimited.
@test "test phase: RLIMIT_NPROC is not the host's unlimited" {
  echo "# $(grep -m1 -o 'RLIMIT_NPROC soft .*' "$ESC_GO_OUT")" >&3
  assert_go_refused TestEscapeNproc
}
