#!/usr/bin/env bats
# The --report JSON: every field of the contract, with the right types;
# numbers are numbers, unknowns are null (never a made-up 0), and the values
# agree with what happened.

load common

# check_report FILE [--no-run]: every contract field is present with its
# type. --no-run: the workload never started (a sandbox_error during set-up),
# so the run cgroup and the exit status are unknown: null.
check_report() {
  "$PYTHON3" - "$1" "$(cgroup_mode)" "$(uname -r)" "${2:-}" <<'EOF'
import json, sys
path, mode, kernel, no_run = sys.argv[1:5]
no_run = no_run == "--no-run"
r = json.load(open(path))
errors = []

def get(p):
    v = r
    for k in p.split("."):
        if not isinstance(v, dict) or k not in v:
            errors.append("missing " + p)
            return KeyError
        v = v[k]
    return v

def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)

def check(p, ok, what):
    v = get(p)
    if v is not KeyError and not ok(v):
        errors.append("%s = %r: expected %s" % (p, v, what))

INT = (lambda v: is_int(v) and v >= 0, "an integer >= 0")
INT_OR_NULL = (lambda v: v is None or (is_int(v) and v >= 0), "an integer >= 0 or null")
STR = (lambda v: isinstance(v, str) and v != "", "a non-empty string")
STR_OR_NULL = (lambda v: v is None or isinstance(v, str), "a string or null")
STR_LIST = (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of strings")
OUTCOMES = {"passed", "tests_failed", "build_failed", "oom_killed", "seccomp_denied",
            "pids_limit", "timeout", "test_timeout", "init_panic", "deadlock",
            "signaled", "exit_nonzero", "sandbox_error"}

check("testjail", *STR)
check("mode", lambda v: v == "exec", '"exec"')
check("outcome", lambda v: v in OUTCOMES or (isinstance(v, str) and v.startswith("rlimit_")), "a contract outcome")
check("exit_code", lambda v: is_int(v) and 0 <= v <= 255, "an integer 0..255")
check("diagnosis", *STR_OR_NULL)
check("host.cgroup", lambda v: v == mode, '"%s" (this host)' % mode)
check("host.kernel", lambda v: v == kernel, '"%s"' % kernel)
check("cgroup", *(STR_OR_NULL if no_run else STR))
check("exit.code", lambda v: v is None or (is_int(v) and 0 <= v <= 255), "0..255 or null")
check("exit.signal", lambda v: v is None or (isinstance(v, str) and v.startswith("SIG") and v[3:].isupper()), '"SIGNAME" or null')
ex = get("exit")
if no_run:
    if ex != {"code": None, "signal": None}:
        errors.append("exit of a workload that never ran: %r" % ex)
elif isinstance(ex, dict) and (ex.get("code") is None) == (ex.get("signal") is None):
    errors.append("exit: exactly one of code and signal must be set: %r" % ex)
check("duration_ms", *INT)
check("limits.memory_bytes", *INT_OR_NULL)
check("limits.pids", *INT_OR_NULL)
check("limits.wall_timeout_ms", *INT_OR_NULL)
check("limits.rlimits", lambda v: isinstance(v, dict) and all(
    isinstance(x, list) and len(x) == 2 and all(y is None or is_int(y) for y in x) for x in v.values()),
    "{name: [soft, hard]}")
for k in ("memory_peak_bytes", "oom_kills", "pids_peak", "pids_limit_hits", "cpu_ms"):
    check("usage." + k, *INT_OR_NULL)
check("seccomp.profile", *STR_OR_NULL)
check("seccomp.denials", lambda v: isinstance(v, list), "a list")
check("evidence", *STR_LIST)
check("output_tail", *STR_LIST)
if errors:
    print("\n".join(errors))
    print(json.dumps(r, indent=1))
    sys.exit(1)
EOF
}

@test "a passing run's report has every field with the right type" {
  run -0 tj exec --report r.json -- "$TJHELPER" exit 0
  check_report r.json
  assert_outcome r.json passed
  assert_eq "$(json_get r.json exit_code)" 0
  assert_eq "$(json_get r.json exit.code)" 0
  assert_eq "$(json_get r.json exit.signal)" null
  assert_eq "$(json_get r.json mode)" exec
  assert_eq "$(json_get r.json host.cgroup)" "$(cgroup_mode)"
}

@test "limits nobody asked for are null, not 0" {
  run -0 tj exec --report r.json -- true
  check_report r.json
  assert_eq "$(json_get r.json limits.memory_bytes)" null
  assert_eq "$(json_get r.json limits.pids)" null
  assert_eq "$(json_get r.json limits.wall_timeout_ms)" null
  assert_eq "$(json_get r.json limits.rlimits)" "{}"
}

@test "the limits asked for appear in the report" {
  require_controller memory
  require_controller pids
  run -0 tj exec --memory 1G --pids-limit 100 --wall-timeout 1m30s \
    --ulimit nofile=256:512 --ulimit fsize=1M:2M --ulimit cpu=60 --report r.json -- true
  check_report r.json
  assert_eq "$(json_get r.json limits.memory_bytes)" 1073741824
  assert_eq "$(json_get r.json limits.pids)" 100
  assert_eq "$(json_get r.json limits.wall_timeout_ms)" 90000
  assert_eq "$(json_get r.json limits.rlimits.nofile)" "[256,512]"
  assert_eq "$(json_get r.json limits.rlimits.fsize)" "[1048576,2097152]"
  assert_eq "$(json_get r.json limits.rlimits.cpu)" "[60,60]"
}

@test "sizes take K, M, G and KiB, MiB, GiB as powers of 1024" {
  require_controller memory
  local size want failed=""
  for size in 67108864:67108864 65536K:67108864 64M:67108864 64MiB:67108864 1G:1073741824 1GiB:1073741824 65536KiB:67108864; do
    want=${size#*:}
    tj exec --memory "${size%%:*}" --report r.json -- true || failed+=" ${size%%:*}(status)"
    [ "$(json_get r.json limits.memory_bytes)" = "$want" ] || failed+=" ${size%%:*}($(json_get r.json limits.memory_bytes))"
  done
  assert_eq "$failed" ""
}

@test "usage counters under limits are numbers" {
  require_controller memory
  require_controller pids
  run -0 tj exec --memory 64M --pids-limit 64 --report r.json -- "$TJHELPER" alloc 16
  check_report r.json
  local k v
  for k in memory_peak_bytes oom_kills pids_limit_hits cpu_ms; do
    v="$(json_get r.json "usage.$k")"
    [ "$v" != null ] || { echo "usage.$k is null under a limit whose counter exists" >&2; return 1; }
  done
  assert_eq "$(json_get r.json usage.oom_kills)" 0
  assert_eq "$(json_get r.json usage.pids_limit_hits)" 0
  [ "$(json_get r.json usage.memory_peak_bytes)" -ge $((16 * 1024 * 1024)) ]
}

@test "pids_peak is a count of at least the workload, or null where the kernel keeps none" {
  require_controller pids
  run -0 tj exec --pids-limit 64 --report r.json -- "$TJHELPER" forkbomb 10
  local v
  v="$(json_get r.json usage.pids_peak)"
  [ "$v" = null ] || [ "$v" -ge 11 ] || { echo "pids_peak $v with 11 processes" >&2; return 1; }
}

@test "a non-zero exit: exit_nonzero, code set, signal null, a diagnosis" {
  run -42 tj exec --report r.json -- "$TJHELPER" exit 42
  check_report r.json
  assert_outcome r.json exit_nonzero
  assert_eq "$(json_get r.json exit_code)" 42
  assert_eq "$(json_get r.json exit.code)" 42
  assert_eq "$(json_get r.json exit.signal)" null
  [ "$(json_get r.json diagnosis)" != null ] && [ -n "$(json_get r.json diagnosis)" ]
}

@test "a death by signal: signaled, signal set, code null, evidence names it" {
  run -134 tj exec --report r.json -- "$TJHELPER" kill-self SIGABRT
  check_report r.json
  assert_outcome r.json signaled
  assert_eq "$(json_get r.json exit_code)" 134
  assert_eq "$(json_get r.json exit.code)" null
  assert_eq "$(json_get r.json exit.signal)" SIGABRT
  assert_contains "$(json_get r.json evidence)" SIGABRT
}

@test "an OOM kill: the evidence names the counter" {
  require_controller memory
  run -137 tj exec --memory 64M --report r.json -- "$TJHELPER" alloc 256
  check_report r.json
  assert_outcome r.json oom_killed
  assert_contains "$(json_get r.json evidence)" oom_kill
  # The diagnosis printed on stderr is the report's.
  assert_contains "$output" "testjail: $(json_get r.json diagnosis)"
}

@test "--plot: the command's memory over time as SVG with the limit and the OOM kill; the report gets the timeline" {
  require_controller memory
  require_cmd rsvg-convert
  run -137 tj exec --memory 64M --sample-interval 10ms --plot m.svg --report r.json -- "$TJHELPER" alloc 256
  check_report r.json
  assert_outcome r.json oom_killed
  local t
  t=$(json_get r.json timeline.oom.t_ms)
  [[ "$t" =~ ^[0-9]+$ ]] || { echo "no OOM moment in the timeline: $t" >&2; return 1; }
  assert_eq "$(json_get r.json timeline.limit_bytes)" $((64 << 20))
  assert_eq "$(json_get r.json timeline.interval_ms)" 10
  grep -q 'OOM kill' m.svg
  grep -q 'limit 64.0 MiB' m.svg
  rsvg-convert m.svg -o m.png
  [ "$(stat -c %s m.png)" -gt 5000 ] || { echo "the PNG is too small to hold a chart" >&2; return 1; }
  # Without --plot: no sampling, no timeline.
  run -0 tj exec --report r2.json -- true
  "$PYTHON3" -c 'import json, sys; sys.exit("timeline" in json.load(open("r2.json")))' ||
    { echo "a timeline without --plot" >&2; return 1; }
}

@test "--plot into a directory that does not exist, not named .svg, or --sample-interval below 5ms: 125 before anything runs" {
  run -125 tj exec --plot /no/such/dir/m.svg -- true
  assert_contains "$output" "--plot"
  run -125 tj exec --plot m.svg --sample-interval 1ms -- true
  assert_contains "$output" "--sample-interval"
  [ ! -e m.svg ] || { echo "a plot was written" >&2; return 1; }
  # the chart is SVG: a name that asks for another format is refused
  run -125 tj exec --plot m.png -- true
  assert_contains "$output" "invalid --plot 'm.png': the chart is SVG, the name must end in .svg"
  [ ! -e m.png ] || { echo "a plot was written" >&2; return 1; }
  assert_nothing_left
}

@test "the output tail keeps the workload's last lines" {
  run -1 tj exec --report r.json -- sh -c 'echo first; echo second >&2; echo last; exit 1'
  check_report r.json
  assert_contains "$(json_get r.json output_tail)" '"last"'
  assert_contains "$(json_get r.json output_tail)" '"second"'
}

@test "duration_ms measures the run" {
  run -0 tj exec --report r.json -- "$TJHELPER" sleep 1
  local ms
  ms="$(json_get r.json duration_ms)"
  [ "$ms" -ge 1000 ] && [ "$ms" -lt 5000 ] || { echo "duration_ms $ms for a 1 s sleep" >&2; return 1; }
}

@test "the cgroup field names the run cgroup, which is gone afterwards" {
  run -0 tj exec --memory 64M --report r.json -- true
  local cg
  cg="$(json_get r.json cgroup)"
  [[ "$cg" == /sys/fs/cgroup/* && "${cg##*/}" == testjail-* ]] || { echo "cgroup: $cg" >&2; return 1; }
  [ ! -e "$cg" ] || { echo "$cg still exists" >&2; return 1; }
}

@test "a sandbox that cannot be set up: exit 125 and outcome sandbox_error" {
  run -125 tj exec --bind "/nonexistent-$MARKER" --report r.json -- true
  check_report r.json --no-run
  assert_outcome r.json sandbox_error
  assert_eq "$(json_get r.json exit_code)" 125
  assert_contains "$(json_get r.json diagnosis)" "/nonexistent-$MARKER"
}

@test "--report to a path that cannot be written: exit 125 naming it" {
  run --separate-stderr -125 tj exec --report "/nonexistent-$MARKER/r.json" -- true
  assert_contains "$stderr" "/nonexistent-$MARKER/r.json"
}
