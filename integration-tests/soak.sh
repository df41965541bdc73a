#!/usr/bin/env bash
# make soak: many `testjail exec` runs of every kind, then proof that
# nothing is left and that testjail did not grow over the series.
#   1. SOAK_SERIAL runs in a row (default 1000), a mix of normal exits, OOM
#      kills, pids limits, timeouts, seccomp kills and denials, signals;
#      each run's exit status and report outcome checked.
#   2. SOAK_PARALLEL runs (default 200), SOAK_JOBS (8) at once, same mix.
#   3. SOAK_KILLS runs (default 50) where testjail itself is SIGKILLed:
#      during set-up (at a random moment before its workload is up), while
#      running (once the workload said ready), during teardown (at a random
#      moment after a workload that exits at once has been reaped).
# Then the count of what the runs created, before `testjail doctor --gc`
# for the runs that ended by themselves, after it for all (a SIGKILLed
# testjail's cgroups are collected by the next run or by it): run
# cgroups of these testjails in every hierarchy, processes carrying the
# soak's marker, mounts in /proc/self/mountinfo, work directories, this
# shell's descriptors. testjail's own growth: its RSS and open descriptors
# sampled mid-run (the timeout runs: workload up, testjail waiting) and its
# peak RSS (wait4's, the normal runs) compared between the first and the
# last runs of the series. Runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
TESTJAIL=${TESTJAIL:-$REPO/testjail}
TJHELPER=${TJHELPER:-$REPO/integration-tests/helper/tjhelper}
SERIAL=${SOAK_SERIAL:-1000}
PARALLEL=${SOAK_PARALLEL:-200}
JOBS=${SOAK_JOBS:-8}
KILLS=${SOAK_KILLS:-50}

die() { echo "soak: $*" >&2; exit 1; }
[ "$EUID" -eq 0 ] || die "runs as root (real cgroups and namespaces)"
[ -x "$TESTJAIL" ] && [ -x "$TJHELPER" ] || die "build first: make testjail integration-tests/helper/tjhelper"
for c in pidwait /usr/bin/time; do command -v "$c" >/dev/null || die "needs $c"; done

WORK=$(mktemp -d /var/tmp/tjsoak.XXXXXX)
trap 'cd /; rm -rf "$WORK"' EXIT
cd "$WORK"
# a copy: a rebuild during the soak must not change the binary under test
cp "$TESTJAIL" testjail
TESTJAIL=$WORK/testjail
MARKER="tjsoak-$$-$RANDOM"
MARKER_RE="[${MARKER:0:1}]${MARKER:1}"
PIDS=$WORK/testjail.pids # every testjail this soak started
KILLED=$WORK/killed.pids # those SIGKILLed: their cgroups are doctor --gc's
: >"$PIDS"
: >"$KILLED"
printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_KILL_PROCESS"}]}' >kill.json
WORKDIRS=${TMPDIR:-/tmp}
[[ $WORKDIRS == /* ]] || WORKDIRS=/tmp

# ---- what testjail creates, counted -----------------------------------------

snapshot_cgroups() {
  shopt -s globstar nullglob
  local d=(/sys/fs/cgroup/**/testjail-*/)
  shopt -u globstar nullglob
  [ ${#d[@]} -eq 0 ] || printf '%s\n' "${d[@]%/}" | sort
}
snapshot_workdirs() {
  shopt -s nullglob
  local d=("$WORKDIRS"/testjail-*)
  shopt -u nullglob
  [ ${#d[@]} -eq 0 ] || printf '%s\n' "${d[@]}" | sort
}
# Paths of the list on stdin whose name's owner (testjail-<pid>-...) is in
# the pid file $1 and not in $2 (if given).
ours() {
  local path owner
  while IFS= read -r path; do
    owner=${path##*/testjail-}
    owner=${owner%%-*}
    grep -qxF "$owner" "$1" || continue
    [ -z "${2:-}" ] || ! grep -qxF "$owner" "$2" || continue
    echo "$path"
  done
  return 0
}
mountinfo_count() {
  local m=()
  mapfile -t m </proc/self/mountinfo
  echo "${#m[@]}"
}
fd_count() {
  local f=(/proc/$1/fd/*)
  echo "${#f[@]}"
}

snapshot_cgroups >cgroups.before
snapshot_workdirs >workdirs.before
MOUNTS_BEFORE=$(mountinfo_count)
FDS_BEFORE=$(fd_count $BASHPID)

# ---- one run ----------------------------------------------------------------

# The kinds, in the proportions of one block of ten runs: each with the
# exit status and outcome it must give.
KINDS=(exit0 exitN oom pids timeout sckill scdeny signal exit0 term)

# run_one KIND INDEX: one exec of that kind; prints a line for each mistake.
# For the term kind, also "sample RSS_KB FDS" of testjail mid-run; for
# exit0, "peak KB".
run_one() {
  local kind=$1 i=$2 dir=$WORK/run.$1.$2 want want_outcome st=0
  mkdir "$dir"
  local args=(--report "$dir/r.json")
  local cmd=("$TJHELPER" "--tag=$MARKER")
  case $kind in
    exit0) want=0 want_outcome=passed; cmd+=(exit 0) ;;
    exitN) want=$((1 + i % 100)) want_outcome=exit_nonzero; cmd+=(exit "$want") ;;
    oom) want=137 want_outcome=oom_killed; args+=(--memory 16M); cmd+=(alloc 64) ;;
    pids) want=1 want_outcome=pids_limit; args+=(--pids-limit 8); cmd+=(forkbomb) ;;
    # SIGQUIT first, then SIGKILL after --grace: the workload dies of
    # whichever reaches it (on a busy host it may not have set up its
    # signal mask by the timeout), 128+3 or 128+9
    timeout) want="131|137" want_outcome=timeout; args+=(--wall-timeout 200ms --grace 100ms); cmd+=(signals --exit-on none) ;;
    sckill) want=137 want_outcome=seccomp_denied; args+=(--seccomp "$WORK/kill.json"); cmd+=(syscall keyctl) ;;
    scdeny) want=1 want_outcome=seccomp_denied; cmd+=(syscall ptrace) ;;
    signal) want=139 want_outcome=signaled; cmd+=(kill-self SEGV) ;;
    # testjail forwards the SIGTERM it gets to the workload
    term) want=143 want_outcome=signaled; cmd+=(sleep forever) ;;
  esac
  if [ "$kind" = term ]; then
    # stdout through a FIFO: "ready" says the workload is up and testjail
    # is in its wait; then its RSS and descriptors are read from /proc,
    # and the SIGTERM ends the run.
    mkfifo "$dir/out"
    "$TESTJAIL" exec "${args[@]}" -- "${cmd[@]}" >"$dir/out" 2>"$dir/err" &
    local pid=$! line rss=""
    echo "$pid" >>"$PIDS"
    exec {fd}<"$dir/out"
    if IFS= read -r -t 30 line <&"$fd" && [ "$line" = ready ]; then
      local status fds
      fds=$(fd_count "$pid")
      # VmRSS read after the descriptors: it says testjail was still there
      status=$(cat "/proc/$pid/status" 2>/dev/null) || status=""
      [[ $status =~ VmRSS:[[:space:]]+([0-9]+) ]] && rss=${BASH_REMATCH[1]}
      [ -n "$rss" ] && echo "sample $rss $fds"
    fi
    kill -TERM "$pid" 2>/dev/null || true # gone already: the checks below say why
    cat <&"$fd" >/dev/null
    exec {fd}<&-
    wait "$pid" || st=$?
  elif [ "$kind" = exit0 ]; then
    /usr/bin/time -f %M -o "$dir/time" "$TESTJAIL" exec "${args[@]}" -- "${cmd[@]}" >/dev/null 2>"$dir/err" || st=$?
    local peak
    peak=$(tail -1 "$dir/time")
    [[ $peak =~ ^[0-9]+$ ]] && echo "peak $peak"
  else
    "$TESTJAIL" exec "${args[@]}" -- "${cmd[@]}" >/dev/null 2>"$dir/err" || st=$?
  fi
  local report="" outcome="" owner=""
  [ -f "$dir/r.json" ] && report=$(<"$dir/r.json")
  [[ $report =~ \"outcome\":\ *\"([a-z_]+)\" ]] && outcome=${BASH_REMATCH[1]}
  [[ $report =~ /testjail-([0-9]+)- ]] && owner=${BASH_REMATCH[1]}
  [ -n "$owner" ] && echo "$owner" >>"$PIDS"
  if ! [[ $st =~ ^($want)$ ]] || [ "$outcome" != "$want_outcome" ]; then
    echo "FAIL run $i ($kind): exit $st outcome '${outcome}', want $want $want_outcome: $(tail -1 "$dir/err" 2>/dev/null)"
  fi
  rm -rf "$dir"
}

elapsed() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print NR ? a[int((NR+1)/2)] : 0}'; }

# ---- 1. in a row ------------------------------------------------------------

echo "soak: $SERIAL runs in a row (marker $MARKER)"
t0=$(date +%s%N)
: >serial.log
for ((i = 0; i < SERIAL; i++)); do
  kind=${KINDS[i % ${#KINDS[@]}]}
  run_one "$kind" "$i" >>serial.log
  if [ $(((i + 1) % 100)) -eq 0 ]; then
    echo "soak: $((i + 1)) runs, $(($(elapsed "$t0") / 1000)) s, $(grep -c '^FAIL' serial.log || true) failed"
  fi
done
SERIAL_MS=$(elapsed "$t0")

# ---- 2. at once -------------------------------------------------------------

echo "soak: $PARALLEL runs, $JOBS at once"
t0=$(date +%s%N)
: >parallel.log
running=0
for ((i = 0; i < PARALLEL; i++)); do
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_one "${KINDS[i % ${#KINDS[@]}]}" "$((SERIAL + i))" >"parallel.$i" &
  running=$((running + 1))
done
wait
cat parallel.[0-9]* >parallel.log
rm -f parallel.[0-9]*
PARALLEL_MS=$(elapsed "$t0")

# ---- 3. testjail SIGKILLed --------------------------------------------------

# Where the kill moments are drawn from: how long a run takes until its
# workload says ready (set-up), and from then until testjail exits when the
# workload exits at once (teardown); medians of a few runs.
# Builtins only between the events and the kill (EPOCHREALTIME, read -t on
# a FIFO nobody writes as the sleep): a fork costs more than a teardown.
usecs() { echo "${EPOCHREALTIME/./}"; }
mkfifo idle
exec {idle}<>idle
for k in 1 2 3 4 5; do
  mkfifo calib
  s=$(usecs)
  "$TESTJAIL" exec -- "$TJHELPER" "--tag=$MARKER" sleep 0 >calib &
  pid=$!
  exec {fd}<calib
  IFS= read -r -t 30 line <&"$fd" || true
  m=${EPOCHREALTIME/./}
  wait "$pid" || true
  e=${EPOCHREALTIME/./}
  exec {fd}<&-
  echo "$((m - s)) $((e - m))"
  rm -f calib
done >calib.times
SETUP_US=$(cut -d' ' -f1 calib.times | median)
TEARDOWN_US=$(cut -d' ' -f2 calib.times | median)
# wait a random moment in [0, $1 us)
pause_random() {
  local us=$(($1 * RANDOM / 32768)) t
  printf -v t '%d.%06d' $((us / 1000000)) $((us % 1000000))
  read -r -t "$t" -u "$idle" || true
}

echo "soak: $KILLS runs where testjail is SIGKILLed (set-up ~$((SETUP_US / 1000)) ms, teardown ~$((TEARDOWN_US / 1000)) ms)"
t0=$(date +%s%N)
: >kill.log
declare -A phase_count=()
PHASES=(setup running teardown)
for ((i = 0; i < KILLS; i++)); do
  phase=${PHASES[i % 3]}
  fifo=$WORK/kill.$i
  mkfifo "$fifo"
  if [ "$phase" = teardown ]; then
    "$TESTJAIL" exec -- "$TJHELPER" "--tag=$MARKER" sleep 0 >"$fifo" 2>/dev/null &
  else
    "$TESTJAIL" exec -- "$TJHELPER" "--tag=$MARKER" sleep forever >"$fifo" 2>/dev/null &
  fi
  pid=$!
  echo "$pid" >>"$PIDS"
  echo "$pid" >>"$KILLED"
  exec {fd}<"$fifo"
  case $phase in
    # a random moment within the time it takes the workload to come up
    setup) pause_random "$SETUP_US" ;;
    running) IFS= read -r -t 30 line <&"$fd" || echo "FAIL kill $i: no ready line" >>kill.log ;;
    # "ready" came: the workload exits at once, testjail reaps it and tears
    # down
    teardown)
      IFS= read -r -t 30 line <&"$fd" || echo "FAIL kill $i: no ready line" >>kill.log
      pause_random "$TEARDOWN_US"
      ;;
  esac
  if kill -KILL "$pid" 2>/dev/null; then
    phase_count[$phase]=$((${phase_count[$phase]:-0} + 1))
  else
    phase_count[late]=$((${phase_count[late]:-0} + 1)) # it had exited already
  fi
  { wait "$pid" || true; } 2>/dev/null # bash would report the kill
  exec {fd}<&-
  rm -f "$fifo"
  # The sandbox dies with testjail: its init's parent-death signal, its pid
  # namespace. pidwait waits on pidfds (no polling); 1: nothing matched.
  w=0
  timeout 10 pidwait -f "$MARKER_RE" || w=$?
  [ "$w" -le 1 ] || echo "FAIL kill $i ($phase): processes still there 10 s after: $(pgrep -af "$MARKER_RE" | head -3)" >>kill.log
done
KILL_MS=$(elapsed "$t0")
exec {idle}<&-

# ---- what is left -----------------------------------------------------------

fail=0
report() { echo "soak: $*"; }
# A run that ended by itself removes its own: doctor --gc must not hide it.
left=$(comm -13 cgroups.before <(snapshot_cgroups) | ours "$PIDS" "$KILLED")
if [ -n "$left" ]; then
  report "cgroups left behind by runs that were not killed:"; echo "$left" | head -20; fail=1
fi
left=$(comm -13 workdirs.before <(snapshot_workdirs) | ours "$PIDS" "$KILLED")
if [ -n "$left" ]; then
  report "work directories left behind by runs that were not killed:"; echo "$left" | head -20; fail=1
fi
"$TESTJAIL" doctor --gc >gc.out 2>&1 || true # exit 1 only says the host lacks something
nfail=$(cat serial.log parallel.log kill.log | grep -c '^FAIL' || true)
if [ "$nfail" -gt 0 ]; then
  cat serial.log parallel.log kill.log | grep '^FAIL' | head -20
  report "$nfail runs gave the wrong exit status or outcome"
  fail=1
fi
left=$(comm -13 cgroups.before <(snapshot_cgroups) | ours "$PIDS")
if [ -n "$left" ]; then
  report "cgroups left behind after doctor --gc:"; echo "$left" | head -20; fail=1
fi
left=$(comm -13 workdirs.before <(snapshot_workdirs) | ours "$PIDS")
if [ -n "$left" ]; then
  report "work directories left behind:"; echo "$left" | head -20; fail=1
fi
left=$(pgrep -af "$MARKER_RE" || true)
if [ -n "$left" ]; then
  report "processes left behind:"; echo "$left" | head -20; fail=1
fi
MOUNTS_AFTER=$(mountinfo_count)
if [ "$MOUNTS_AFTER" -gt "$MOUNTS_BEFORE" ]; then
  report "mounts: $MOUNTS_BEFORE before, $MOUNTS_AFTER after"; fail=1
fi
FDS_AFTER=$(fd_count $BASHPID)
if [ "$FDS_AFTER" -gt "$FDS_BEFORE" ]; then
  report "descriptors of the soak's shell: $FDS_BEFORE before, $FDS_AFTER after"; fail=1
fi

# testjail's own size: the first 100 samples against the last 100 (or a
# tenth each when fewer). Its descriptors mid-run must not change at all;
# its RSS and peak RSS may move by a page or two of noise.
flat() {
  local name=$1 col=$2 slack=$3 file=$4 n first last
  n=$(wc -l <"$file")
  [ "$n" -ge 20 ] || { report "$name: only $n samples, too few to compare"; fail=1; return; }
  local k=$((n / 10 > 100 ? 100 : n / 10))
  first=$(head -n "$k" "$file" | cut -d' ' -f"$col" | median)
  last=$(tail -n "$k" "$file" | cut -d' ' -f"$col" | median)
  report "$name: median $first over the first $k samples, $last over the last $k (of $n)"
  [ "$last" -le $((first + slack)) ] || { report "$name grew: $first -> $last"; fail=1; }
}
grep '^sample ' serial.log | cut -d' ' -f2- >samples || true
grep '^peak ' serial.log | cut -d' ' -f2 >peaks || true
flat "testjail's RSS mid-run (KiB)" 1 256 samples
flat "testjail's open descriptors mid-run" 2 0 samples
flat "peak RSS of a run (KiB, wait4)" 1 256 peaks

kills=""
for p in setup running teardown late; do kills+=" $p ${phase_count[$p]:-0}"; done
report "times: $SERIAL in a row $((SERIAL_MS / 1000)) s, $PARALLEL at $JOBS at once $((PARALLEL_MS / 1000)) s," \
  "$KILLS SIGKILLed $((KILL_MS / 1000)) s (killed during:$kills)"
report "$(grep -i 'remov\|stale' gc.out | head -2 | tr '\n' ' ')"
[ "$fail" -eq 0 ] && report "ok: every run as expected, nothing left, testjail flat"
exit "$fail"
