#!/usr/bin/env bats
# Each limit, hit for real, gives its own outcome; the kernel counters back it
# up in the report; a limit that is set but not hit changes nothing.

load common

MIB=$((1024 * 1024))

@test "OOM under --memory 64M: oom_killed, peak within 10% below the limit" {
  require_controller memory
  run --separate-stderr -137 tj exec --memory 64M --report r.json -- "$TJHELPER" --tag="$MARKER" alloc 512
  assert_outcome r.json oom_killed
  assert_diagnosis_line "$stderr"
  assert_eq "$(json_get r.json limits.memory_bytes)" $((64 * MIB))
  local peak kills
  peak="$(json_get r.json usage.memory_peak_bytes)"
  kills="$(json_get r.json usage.oom_kills)"
  [ "$peak" -ge $((64 * MIB * 9 / 10)) ] && [ "$peak" -le $((64 * MIB)) ] ||
    { echo "memory_peak_bytes $peak not in [0.9*64MiB, 64MiB]" >&2; return 1; }
  [ "$kills" -ge 1 ] || { echo "oom_kills $kills" >&2; return 1; }
  assert_eq "$(json_get r.json exit.signal)" SIGKILL
  # The allocation never got near its 512 MiB.
  assert_not_contains "$output" "alloc: done"
  assert_nothing_left
}

@test "an allocation under --memory 64M that fits passes" {
  require_controller memory
  run -0 tj exec --memory 64M --report r.json -- "$TJHELPER" alloc 16
  assert_contains "$output" "alloc: done 16 MiB"
  assert_outcome r.json passed
  assert_eq "$(json_get r.json usage.oom_kills)" 0
  local peak
  peak="$(json_get r.json usage.memory_peak_bytes)"
  [ "$peak" -ge $((16 * MIB)) ] && [ "$peak" -lt $((64 * MIB)) ] ||
    { echo "memory_peak_bytes $peak for a 16 MiB allocation" >&2; return 1; }
}

@test "a fork loop under --pids-limit 16: pids_limit" {
  require_controller pids
  run --separate-stderr -1 tj exec --pids-limit 16 --report r.json -- "$TJHELPER" --tag="$MARKER" forkbomb
  assert_contains "$stderr" "fork: Resource temporarily unavailable"
  assert_outcome r.json pids_limit
  assert_diagnosis_line "$stderr"
  assert_eq "$(json_get r.json limits.pids)" 16
  local hits
  hits="$(json_get r.json usage.pids_limit_hits)"
  [ "$hits" -ge 1 ] || { echo "pids_limit_hits $hits" >&2; return 1; }
  # The paused children died with the sandbox.
  assert_nothing_left
}

@test "a fork loop that stays under --pids-limit passes" {
  require_controller pids
  run -0 tj exec --pids-limit 64 --report r.json -- "$TJHELPER" --tag="$MARKER" forkbomb 8
  assert_outcome r.json passed
  assert_eq "$(json_get r.json usage.pids_limit_hits)" 0
  assert_nothing_left
}

@test "--ulimit cpu=1 on a spinner: rlimit_cpu (SIGKILL at the hard limit)" {
  run --separate-stderr -137 tj exec --ulimit cpu=1 --report r.json -- "$TJHELPER" spin
  assert_outcome r.json rlimit_cpu
  assert_diagnosis_line "$stderr"
  assert_eq "$(json_get r.json limits.rlimits.cpu)" "[1,1]"
}

@test "--ulimit cpu=1:3 on a spinner: rlimit_cpu (SIGXCPU at the soft limit)" {
  run -152 tj exec --ulimit cpu=1:3 --report r.json -- "$TJHELPER" spin
  assert_outcome r.json rlimit_cpu
  assert_eq "$(json_get r.json exit.signal)" SIGXCPU
  assert_eq "$(json_get r.json limits.rlimits.cpu)" "[1,3]"
}

@test "--ulimit cpu=1:2 on a spinner that ignores SIGXCPU like Go: rlimit_cpu" {
  run -137 tj exec --ulimit cpu=1:2 --report r.json -- "$TJHELPER" spin --ignore-sigxcpu
  assert_outcome r.json rlimit_cpu
  local cpu
  cpu="$(json_get r.json usage.cpu_ms)"
  # The kernel charges RLIMIT_CPU by whole ticks; the precise CPU time can be
  # some percent lower on a loaded host.
  [ "$cpu" = null ] || [ "$cpu" -ge 1500 ] || { echo "cpu_ms $cpu, expected about 2000" >&2; return 1; }
}

@test "--ulimit above testjail's own hard limit: given to the workload in its user namespace, or refused with the reason" {
  # A container's init or a CI runner may start testjail with a low hard
  # limit; inside the user namespace nothing can raise it: testjail, still
  # privileged outside, raises its own first, if it holds CAP_SYS_RESOURCE.
  ulimit -Sn 1024
  ulimit -Hn 4096
  run --separate-stderr tj exec --ulimit nofile=4096:8192 --report r.json -- sh -c 'ulimit -Sn; ulimit -Hn'
  if (( (0x$(awk '/^CapEff:/ { print $2 }' /proc/self/status) >> 24) & 1 )); then
    assert_eq "$status" 0 "stderr: $stderr"
    assert_eq "$output" "4096
8192"
    assert_eq "$(json_get r.json isolation.userns)" true
  else
    echo "# root here lacks CAP_SYS_RESOURCE: the refusal is what can be checked" >&3
    assert_eq "$status" 125
    assert_eq "$stderr" "testjail: sandbox error: --ulimit nofile: the hard limit asked for is above the 4096 testjail was given, and testjail could not raise its own (that needs CAP_SYS_RESOURCE, and nofile stays within fs.nr_open)"
  fi
  assert_nothing_left
}

@test "writing past --ulimit fsize=1M: rlimit_fsize (SIGXFSZ)" {
  run --separate-stderr -153 tj exec --ulimit fsize=1M --report r.json -- "$TJHELPER" fsize 4
  assert_outcome r.json rlimit_fsize
  assert_diagnosis_line "$stderr"
  assert_eq "$(json_get r.json limits.rlimits.fsize)" "[$MIB,$MIB]"
  # The cwd is the caller's: the file is here, cut at the limit.
  assert_eq "$(stat -c %s tjhelper.fsize)" "$MIB"
}

@test "writing past --ulimit fsize=1M with SIGXFSZ ignored like Go: rlimit_fsize" {
  run --separate-stderr -1 tj exec --ulimit fsize=1M --report r.json -- "$TJHELPER" fsize 4 --ignore-sigxfsz
  assert_contains "$stderr" "write: file too large"
  assert_outcome r.json rlimit_fsize
  assert_diagnosis_line "$stderr"
  assert_eq "$(stat -c %s tjhelper.fsize)" "$MIB"
}

@test "writing under --ulimit fsize passes" {
  run -0 tj exec --ulimit fsize=4M --report r.json -- "$TJHELPER" fsize 2
  assert_outcome r.json passed
  assert_eq "$(stat -c %s tjhelper.fsize)" $((2 * MIB))
}

@test "opening files past --ulimit nofile=64: rlimit_nofile" {
  run --separate-stderr -1 tj exec --ulimit nofile=64 --report r.json -- "$TJHELPER" nofile 1000
  assert_contains "$stderr" "open: too many open files"
  assert_outcome r.json rlimit_nofile
  assert_diagnosis_line "$stderr"
  assert_eq "$(json_get r.json limits.rlimits.nofile)" "[64,64]"
}

@test "a fork loop past --ulimit nproc as an unprivileged user: rlimit_nproc" {
  # RLIMIT_NPROC counts the user's processes host-wide; uid 65534 has none
  # here. Root ignores it only with capabilities, which the workload lacks.
  [ -z "$(pgrep -u 65534)" ] || skip_because "uid 65534 already runs processes on this host"
  run --separate-stderr -1 tj exec --user 65534:65534 --ulimit nproc=8 --report r.json -- \
    "$TJHELPER" --tag="$MARKER" forkbomb
  assert_contains "$stderr" "fork: Resource temporarily unavailable"
  assert_outcome r.json rlimit_nproc
  assert_diagnosis_line "$stderr"
  assert_nothing_left
}

@test "allocating past --ulimit as: rlimit_as" {
  run --separate-stderr -1 tj exec --ulimit as=64M --report r.json -- "$TJHELPER" alloc 128
  assert_contains "$stderr" "cannot allocate memory"
  assert_outcome r.json rlimit_as
  assert_diagnosis_line "$stderr"
  assert_eq "$(json_get r.json limits.rlimits.as)" "[$((64 * MIB)),$((64 * MIB))]"
}

@test "a failure unrelated to the nofile limit stays exit_nonzero" {
  run -3 tj exec --ulimit nofile=64 --memory 64M --pids-limit 64 --report r.json -- "$TJHELPER" exit 3
  assert_outcome r.json exit_nonzero
}

@test "--ulimit soft and hard values reach the workload" {
  run -0 tj exec --ulimit nofile=32:64 --ulimit stack=4M:8M --ulimit core=0 -- \
    sh -c 'ulimit -Sn; ulimit -Hn; ulimit -Ss; ulimit -Hs; ulimit -Hc'
  assert_eq "$output" "32
64
4096
8192
0"
}

@test "no address-space limit unless asked for" {
  run -0 tj exec --memory 64M -- sh -c 'ulimit -v'
  assert_eq "$output" unlimited
}

# The caller's own cgroup directory in the hierarchy of controller $1.
own_cgroup_dir() {
  local rel
  if [ "$(cgroup_mode)" = v2 ]; then
    rel="$(sed -n 's/^0:://p' /proc/self/cgroup)"
    echo "/sys/fs/cgroup${rel%/}"
  else
    rel="$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup)"
    echo "/sys/fs/cgroup/$1${rel%/}"
  fi
}

@test "while it runs, the run cgroup sits under the caller's cgroup and holds the limits" {
  require_controller memory
  require_controller pids
  tj_start exec --memory 64M --pids-limit 32 -- "$TJHELPER" --tag="$MARKER" sleep forever
  wait_for_line ready
  local mem pids
  mem="$(find "$(own_cgroup_dir memory)" -maxdepth 3 -type d -name "testjail-$TJ_PID-*")"
  pids="$(find "$(own_cgroup_dir pids)" -maxdepth 3 -type d -name "testjail-$TJ_PID-*")"
  [ -n "$mem" ] || { echo "no testjail-$TJ_PID-* under $(own_cgroup_dir memory)" >&2; return 1; }
  [ -n "$pids" ] || { echo "no testjail-$TJ_PID-* under $(own_cgroup_dir pids)" >&2; return 1; }
  if [ "$(cgroup_mode)" = v2 ]; then
    assert_eq "$(cat "$mem/memory.max")" $((64 * MIB))
    assert_eq "$(cat "$mem/memory.swap.max")" 0 "swap off"
  else
    assert_eq "$(cat "$mem/memory.limit_in_bytes")" $((64 * MIB))
    if [ -e "$mem/memory.memsw.limit_in_bytes" ]; then
      # a page above: the memory counter fails first, and counts (failcnt)
      assert_eq "$(cat "$mem/memory.memsw.limit_in_bytes")" $((64 * MIB + 4096)) "swap off"
    fi
  fi
  assert_eq "$(cat "$pids/pids.max")" 32
  # The workload is in it.
  local wpid
  wpid="$(pgrep -f "$MARKER_RE.*sleep" | grep -vx "$TJ_PID" | head -1)"
  grep -qx "$wpid" "$mem/cgroup.procs" || { echo "workload $wpid not in $mem/cgroup.procs" >&2; return 1; }
  kill -TERM "$TJ_PID"
  tj_finish
  assert_eq "$TJ_STATUS" 143
  [ ! -e "$mem" ] && [ ! -e "$pids" ] || { echo "run cgroup still there after the run: $mem $pids" >&2; return 1; }
  assert_nothing_left
}

@test "--cpus sets the CPU bandwidth of the run cgroup" {
  require_controller cpu
  tj_start exec --cpus 0.5 -- "$TJHELPER" --tag="$MARKER" sleep forever
  wait_for_line ready
  local dir quota period
  if [ "$(cgroup_mode)" = v2 ]; then
    dir="$(find "$(own_cgroup_dir cpu)" -maxdepth 3 -type d -name "testjail-$TJ_PID-*")"
    [ -n "$dir" ] || { echo "no run cgroup testjail-$TJ_PID-*" >&2; return 1; }
    read -r quota period <"$dir/cpu.max"
  else
    dir="$(find "$(own_cgroup_dir cpu)" -maxdepth 3 -type d -name "testjail-$TJ_PID-*")"
    [ -n "$dir" ] || { echo "no run cgroup testjail-$TJ_PID-* under $(own_cgroup_dir cpu)" >&2; return 1; }
    quota="$(cat "$dir/cpu.cfs_quota_us")"
    period="$(cat "$dir/cpu.cfs_period_us")"
  fi
  assert_eq "$((quota * 2))" "$period" "quota $quota over period $period is 0.5 CPU"
  kill -TERM "$TJ_PID"
  tj_finish
  assert_eq "$TJ_STATUS" 143
  assert_nothing_left
}
