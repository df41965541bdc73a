#!/usr/bin/env bats
# What the workload sees: its own namespaces, hostname testjail, / read-only
# but the cwd writable, a private /tmp, binds, network none|host, no
# capabilities, no_new_privs, --user.

load common

@test "the hostname is testjail" {
  run -0 tj exec -- uname -n
  assert_eq "$output" testjail
  [ "$(uname -n)" != testjail ] || skip_because "the host itself is called testjail"
}

@test "the workload runs in new pid, mount, ipc, uts, net and cgroup namespaces" {
  local ns inside host failed=""
  for ns in pid mnt ipc uts net cgroup; do
    host="$(readlink "/proc/self/ns/$ns")"
    inside="$(tj exec -- readlink "/proc/self/ns/$ns")"
    [ -n "$inside" ] && [ "$inside" != "$host" ] || failed+=" $ns($inside)"
  done
  assert_eq "$failed" "" "namespaces shared with the host"
}

@test "/proc is the sandbox's own: host processes are not visible" {
  run -0 tj exec -- sh -c 'test -e /proc/'"$$"'/status && echo visible || echo hidden; ls /proc | grep -c "^[0-9]"'
  assert_eq "${lines[0]}" hidden "the test shell's pid $$ inside"
  [ "${lines[1]}" -le 5 ] || { echo "${lines[1]} pids in the sandbox's /proc" >&2; return 1; }
}

@test "/ is read-only" {
  local d failed=""
  for d in / /etc /usr /var /root; do
    tj exec -- sh -c "echo x >'$d/tj-probe-$MARKER'" 2>/dev/null && failed+=" $d"
    [ ! -e "$d/tj-probe-$MARKER" ] || { failed+=" $d(on host)"; rm -f "$d/tj-probe-$MARKER"; }
  done
  assert_eq "$failed" "" "writable inside"
  run -0 tj exec -- sh -c "touch /etc/tj-probe-$MARKER 2>&1; true"
  assert_contains "$output" "Read-only file system"
}

@test "the cwd is writable and its files stay on the host" {
  run -0 tj exec -- sh -c 'echo from-inside >made-inside; mkdir sub; echo x >sub/f'
  assert_eq "$(cat made-inside)" from-inside
  assert_eq "$(cat sub/f)" x
}

@test "/dev/null and /dev/zero work" {
  run -0 tj exec -- sh -c 'echo x >/dev/null && head -c 4 /dev/zero | od -An -tx1'
  assert_eq "$(tr -s ' \n' ' ' <<<"$output")" " 00 00 00 00 "
}

@test "/tmp is private: host files are not visible, files made inside do not reach the host" {
  echo host >"/tmp/tj-host-$MARKER"
  run -0 tj exec -- sh -c "
    test -e /tmp/tj-host-$MARKER && echo host-file-visible
    echo inside >/tmp/tj-inside-$MARKER && cat /tmp/tj-inside-$MARKER
    stat -fc %T /tmp"
  local leaked=no
  [ ! -e "/tmp/tj-inside-$MARKER" ] || leaked=yes
  rm -f "/tmp/tj-host-$MARKER" "/tmp/tj-inside-$MARKER"
  assert_eq "${lines[0]}" inside
  assert_eq "${lines[1]}" tmpfs
  assert_eq "${#lines[@]}" 2 "output: $output"
  assert_eq "$leaked" no "the file made in the sandbox's /tmp is on the host"
}

@test "an inherited TMPDIR or GOTMPDIR (a host path) gives way to the private /tmp; --env sets one" {
  local host="$BATS_TEST_TMPDIR/hosttmp"
  mkdir -p "$host"
  TMPDIR=$host GOTMPDIR=$host run -0 tj exec -- sh -c 'echo "[${TMPDIR-unset}] [${GOTMPDIR-unset}]"; mktemp'
  assert_eq "${lines[0]}" "[unset] [unset]"
  [[ "${lines[1]}" == /tmp/tmp.* ]] || { echo "mktemp: ${lines[1]}" >&2; return 1; }
  TMPDIR=$host run -0 tj exec --env TMPDIR=/tmp/mine -- sh -c 'echo "[$TMPDIR]"'
  assert_eq "$output" "[/tmp/mine]"
}

@test "a cwd under the host's /tmp is still the cwd and writable" {
  local dir
  dir="$(mktemp -d /tmp/tjcwd.XXXXXX)"
  cd "$dir"
  run -0 tj exec -- sh -c 'pwd -P; echo hi >f'
  local f
  f="$(cat "$dir/f" 2>/dev/null || true)"
  cd "$TJ_WORK"
  rm -rf "$dir"
  assert_eq "$output" "$dir"
  assert_eq "$f" hi
}

@test "a command that lives under the host's /tmp stays reachable" {
  local dir
  dir="$(mktemp -d /tmp/tjcmd.XXXXXX)"
  chmod 755 "$dir"
  cp "$TJHELPER" "$dir/tjhelper"
  run tj exec -- "$dir/tjhelper" exit 7
  local st=$status out=$output
  rm -rf "$dir"
  assert_eq "$st" 7 "status; output: $out"
}

@test "--bind SRC:DST makes a host directory writable at DST" {
  mkdir data
  echo on-host >data/in
  run -0 tj exec --bind "$TJ_WORK/data:/mnt" -- sh -c 'cd / && cat /mnt/in && echo from-sandbox >/mnt/out'
  assert_eq "$output" on-host
  assert_eq "$(cat data/out)" from-sandbox
}

@test "--bind SRC makes a host path writable at the same place" {
  local dir
  dir="$(mktemp -d /var/tmp/tjbind.XXXXXX)"
  mkdir other && cd other
  run tj exec --bind "$dir" -- sh -c "echo via-bind >'$dir/f'"
  local st=$status f
  f="$(cat "$dir/f" 2>/dev/null || true)"
  rm -rf "$dir"
  assert_eq "$st" 0 "status; output: $output"
  assert_eq "$f" via-bind
}

@test "without --bind, a host path outside the cwd is read-only" {
  local dir
  dir="$(mktemp -d /var/tmp/tjnobind.XXXXXX)"
  mkdir other && cd other
  run tj exec -- sh -c "echo x >'$dir/f'"
  local st=$status
  local exists=no
  [ ! -e "$dir/f" ] || exists=yes
  rm -rf "$dir"
  [ "$st" -ne 0 ] || { echo "the write succeeded" >&2; return 1; }
  assert_eq "$exists" no
}

@test "--ro-bind SRC:DST makes a host directory visible but not writable" {
  mkdir data
  echo on-host >data/in
  run -0 tj exec --ro-bind "$TJ_WORK/data:/mnt" -- sh -c '
    cat /mnt/in
    { echo x >/mnt/in; } 2>/dev/null && echo wrote
    { echo x >/mnt/new; } 2>/dev/null && echo created
    true'
  assert_eq "$output" on-host
  assert_eq "$(cat data/in)" on-host
  [ ! -e data/new ]
}

@test "--network none has only lo, and lo is up" {
  require_cmd ip
  run -0 tj exec --network none -- ip -o link show
  assert_eq "${#lines[@]}" 1 "links: $output"
  [[ "${lines[0]}" =~ ^1:\ lo: ]] || { echo "not lo: ${lines[0]}" >&2; return 1; }
  [[ "${lines[0]}" =~ [\<,]UP[,\>] ]] || { echo "lo is not UP: ${lines[0]}" >&2; return 1; }
  run -0 tj exec --network none -- ip -o addr show dev lo
  assert_contains "$output" "inet 127.0.0.1/8"
}

@test "the default network is none" {
  run -0 tj exec -- readlink /proc/self/ns/net
  [ "$output" != "$(readlink /proc/self/ns/net)" ] || { echo "the host's net namespace" >&2; return 1; }
}

@test "--network host shares the host's network" {
  require_cmd ip
  run -0 tj exec --network host -- readlink /proc/self/ns/net
  assert_eq "$output" "$(readlink /proc/self/ns/net)"
  run -0 tj exec --network host -- ip -o link show
  assert_eq "$(cut -d: -f2 <<<"$output")" "$(ip -o link show | cut -d: -f2)" "interfaces"
}

@test "every capability set is empty and no_new_privs is set" {
  run -0 tj exec -- "$TJHELPER" caps
  local want
  for want in "CapInh:	0000000000000000" "CapPrm:	0000000000000000" \
    "CapEff:	0000000000000000" "CapBnd:	0000000000000000" \
    "CapAmb:	0000000000000000" "NoNewPrivs:	1"; do
    assert_contains "$output" "$want"
  done
}

@test "a root workload without capabilities cannot do root things" {
  echo secret >noperm
  chmod 000 noperm
  # Reading a mode 000 file needs CAP_DAC_OVERRIDE; it works on the host.
  cat noperm >/dev/null
  run tj exec -- cat noperm
  [ "$status" -ne 0 ] || { echo "read a mode 000 file without CAP_DAC_OVERRIDE" >&2; return 1; }
  assert_contains "$output" "Permission denied"
  # Setting the hostname needs CAP_SYS_ADMIN (in its own uts namespace).
  run tj exec -- hostname changed-inside
  [ "$status" -ne 0 ] || { echo "set the hostname without CAP_SYS_ADMIN" >&2; return 1; }
}

@test "--user 65534:65534 runs as that uid and gid, without root's groups or capabilities" {
  run -0 tj exec --user 65534:65534 -- "$TJHELPER" ids
  [[ "$output" =~ ^uid=65534\ gid=65534\ euid=65534\ egid=65534\ groups=(65534)?$ ]] ||
    { echo "ids: $output" >&2; return 1; }
  run -0 tj exec --user 65534:65534 -- "$TJHELPER" caps
  assert_contains "$output" "CapEff:	0000000000000000"
  assert_contains "$output" "CapBnd:	0000000000000000"
}

@test "--user UID alone sets the uid" {
  run -0 tj exec --user 65534 -- "$TJHELPER" ids
  [[ "$output" =~ ^uid=65534\ .*euid=65534\  ]] || { echo "ids: $output" >&2; return 1; }
}

@test "the workload is PID 2 and testjail's init is PID 1" {
  run -0 tj exec -- "$TJHELPER" pid
  assert_eq "$output" "pid 2 ppid 1"
}
