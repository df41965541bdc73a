#!/usr/bin/env bats
# A normal user where no cgroup v2 subtree is delegated to it (hybrid and v1
# hosts, or a cgroup owned by root on a v2 host, as the root cgroup of the
# v2 guest): cgroup limits are refused with one line naming the way out,
# and a run without limits goes on without a cgroup.

load common
load rootless

NOBODY=65534

setup() {
  tj_setup
  require_cmd setpriv
  local own
  own="/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)"
  if [ "$(cgroup_mode)" = v2 ] && [ "$(stat -c %u "${own%/}/cgroup.procs")" = $NOBODY ]; then
    skip_because "our cgroup $own is delegated to uid $NOBODY: these tests need one that is not"
  fi
  give_workdir_to $NOBODY
}

# The way out the refusal must name, for this host's cgroup mode.
assert_way_out() {
  assert_contains "$1" "no delegated cgroup v2 subtree: "
  assert_contains "$1" "run under \`systemd-run --user --scope -p Delegate=yes testjail ...\`, or as root"
  if [ "$(cgroup_mode)" = v2 ]; then
    assert_contains "$1" "is not delegated to uid $NOBODY"
  else
    assert_contains "$1" "this host has $(cgroup_mode) cgroups"
    assert_contains "$1" "boot with systemd.unified_cgroup_hierarchy=1 and "
  fi
}

@test "as a normal user, --memory without a delegated subtree: 125, one line with the way out, nothing left" {
  run --separate-stderr -125 tj_as $NOBODY exec --memory 64M --report r.json -- "$TJHELPER" --tag="$MARKER" exit 0
  assert_diagnosis_line "$stderr"
  local line
  line="$(grep '^testjail: ' <<<"$stderr")"
  assert_contains "$line" "--memory needs a cgroup, and "
  assert_way_out "$line"
  assert_outcome r.json sandbox_error
  assert_eq "$(json_get r.json exit_code)" 125
  assert_nothing_left
}

@test "as a normal user, --pids-limit and --cpus together: one line naming both" {
  run --separate-stderr -125 tj_as $NOBODY exec --pids-limit 16 --cpus 0.5 -- "$TJHELPER" --tag="$MARKER" exit 0
  assert_diagnosis_line "$stderr"
  local line
  line="$(grep '^testjail: ' <<<"$stderr")"
  assert_contains "$line" "--pids-limit and --cpus need a cgroup, and "
  assert_not_contains "$line" "--memory"
  assert_way_out "$line"
  assert_nothing_left
}

@test "as a normal user without limits: the run goes on without a cgroup, its counters unknown" {
  run --separate-stderr -3 tj_as $NOBODY exec --report r.json -- "$TJHELPER" --tag="$MARKER" exit 3
  assert_outcome r.json exit_nonzero
  assert_eq "$(json_get r.json cgroup)" null "no run cgroup"
  # No cgroup, no evidence from one: null, never a made-up 0.
  assert_eq "$(json_get r.json usage.memory_peak_bytes)" null
  assert_eq "$(json_get r.json usage.oom_kills)" null
  assert_eq "$(json_get r.json usage.pids_peak)" null
  # No cgroup for a device rule either: the user namespace is what is left.
  assert_eq "$(json_get r.json isolation.devices)" userns-only
  assert_contains "$(json_get r.json isolation.devices_note)" "no cgroup: "
  assert_nothing_left
}

# A module of the user's own: one package that passes, one whose TestMain
# exits 255 before any test.
make_user_module() {
  mkdir -p mod/ok mod/exit255 home
  printf 'module example.com/usermod\n\ngo 1.19\n' >mod/go.mod
  printf 'package ok\n\nimport "testing"\n\nfunc TestOK(t *testing.T) {}\n' >mod/ok/ok_test.go
  printf 'package exit255\n\nimport (\n\t"os"\n\t"testing"\n)\n\nfunc TestMain(m *testing.M) { os.Exit(255) }\n' >mod/exit255/x_test.go
  chown -R $NOBODY:$NOBODY mod home
}

@test "as a normal user, testjail test builds and runs: each package's verdict, the user's own ids mapped to root inside" {
  require_cmd go
  make_user_module
  cd mod
  HOME="$TJ_WORK/home" TJ_TIMEOUT=300 run --separate-stderr tj_as $NOBODY test --report ../r.json ./ok ./exit255
  assert_eq "$status" 7 "exit_nonzero's code"
  assert_contains "$output" "ok  	example.com/usermod/ok	"
  assert_contains "$stderr" "exited with status 255 before any test started"
  assert_eq "$(json_get ../r.json packages.0.outcome)" passed
  assert_eq "$(json_get ../r.json packages.1.outcome)" exit_nonzero
  assert_eq "$(json_get ../r.json packages.0.isolation.rootless)" true
  assert_eq "$(json_get ../r.json packages.0.isolation.uid_map)" "0 $NOBODY 1"
  assert_eq "$(json_get ../r.json packages.0.cgroup)" null "no run cgroup"
  cd ..
  assert_nothing_left
}

@test "as a normal user, test --memory and bisect-memory without a delegated subtree: 125 before anything is built" {
  make_user_module
  cd mod
  HOME="$TJ_WORK/home" run --separate-stderr -125 tj_as $NOBODY test --memory 64M ./ok
  assert_diagnosis_line "$stderr"
  assert_contains "$stderr" "--memory needs a cgroup, and "
  assert_way_out "$(grep '^testjail: ' <<<"$stderr")"
  HOME="$TJ_WORK/home" run --separate-stderr -125 tj_as $NOBODY bisect-memory ./ok
  assert_diagnosis_line "$stderr"
  assert_contains "$stderr" "bisect-memory sets memory limits: --memory needs a cgroup, and "
  # Refused before the build: go never ran, so it made no cache.
  assert_eq "$(find "$TJ_WORK/home" -mindepth 1 | wc -l)" 0 "nothing under the user's HOME"
  cd ..
  assert_nothing_left
}
