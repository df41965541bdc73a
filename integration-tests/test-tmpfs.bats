#!/usr/bin/env bats
# The private /tmp is a tmpfs, and its files are memory charged to the
# sandbox's cgroup: an OOM kill they caused says so; --tmpfs-size bounds
# it, --tmp-dir puts /tmp on disk in a host directory instead.

load common
load gotest

setup() {
  tjt_setup
  require_controller memory
  # 200 MiB into t.TempDir(): go test on the host writes it to disk
  mkdir -p tmpfill
  cat >tmpfill/tmpfill_test.go <<'GO'
package tmpfill

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteTemp(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "big"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for i := 0; i < 200; i++ {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
GO
}

@test "200 MiB in t.TempDir() under --memory 128M: oom_killed, the tmpfs named in the diagnosis" {
  tjt --memory 128M ./tmpfill
  assert_test_result oom_killed 3
  local d
  d="$(json_get "$REPORT" diagnosis)"
  assert_contains "$d" "OOM killed: memory peaked at"
  assert_contains "$d" "while running TestWriteTemp; "
  assert_contains "$d" "MiB of it files in tmpfs (the private /tmp is a tmpfs charged to --memory; --tmp-dir DIR puts it on disk)"
  assert_contains "$stderr" "$d"
  assert_contains "$(json_get "$REPORT" packages.0.evidence)" "memory.stat shmem "
  assert_nothing_left_test
}

@test "an OOM kill of plain memory does not name the tmpfs" {
  tjt --memory 128M ./oom
  assert_test_result oom_killed 3
  assert_not_contains "$(json_get "$REPORT" diagnosis)" "tmpfs"
  assert_nothing_left_test
}

@test "--tmp-dir DIR: the same test passes under --memory 128M, /tmp on disk" {
  local dir="$BATS_TEST_TMPDIR/scratch"
  mkdir -p "$dir"
  tjt --memory 128M --tmp-dir "$dir" ./tmpfill
  assert_test_result passed 0
  # the mount points made in DIR for the work directory went with the run
  assert_eq "$(find "$dir" -mindepth 1)" ""
  assert_nothing_left_test
}

@test "--tmp-dir DIR: what the workload writes in /tmp is in DIR, owned by the caller" {
  local dir="$BATS_TEST_TMPDIR/scratch"
  mkdir -p "$dir/empty"
  run -0 tj exec --tmp-dir "$dir" -- sh -c 'echo hello >/tmp/made && stat -c %u /tmp/made'
  assert_eq "$(cat "$dir/made")" hello
  assert_eq "$(stat -c %u:%g "$dir/made")" "$(id -u):$(id -g)"
  # a working directory below /tmp is shown there: its mount point in DIR
  # goes after the run, what was there before and what the workload wrote stay
  local wd
  wd="$(mktemp -d /tmp/tjtmpdir.XXXXXX)"
  TJ_CLEANUP_DIRS+=("$wd")
  (cd "$wd" && "$TESTJAIL" exec --env "TJMARK=$MARKER" --tmp-dir "$dir" -- sh -c 'mkdir /tmp/mine && echo x >inner')
  assert_eq "$(cat "$wd/inner")" x
  assert_eq "$(cd "$dir" && find . -mindepth 1 | sort | tr '\n' ' ')" "./empty ./made ./mine "
  assert_nothing_left
}

@test "--tmpfs-size 50M: the tmpfs is full before the memory is, the test fails with ENOSPC" {
  tjt --memory 256M --tmpfs-size 50M ./tmpfill
  assert_test_result tests_failed 1
  assert_contains "$output" "no space left on device"
  run -0 tj exec --tmpfs-size 2M -- df -k /tmp
  assert_contains "$output" " 2048 "
  assert_nothing_left_test
}

@test "bad --tmp-dir and --tmpfs-size: 125, naming the input, nothing run" {
  local a
  for a in "--tmp-dir /nonexistent/x" "--tmp-dir /etc/hostname" "--tmpfs-size lots" "--tmpfs-size 1" \
    "--tmpfs-size 1M --tmp-dir /var/tmp" "--tmp-dir /var/tmp --tmpfs-size 1M"; do
    # shellcheck disable=SC2086
    run --separate-stderr -125 tj exec $a -- touch made
    assert_contains "$stderr" "testjail: "
    assert_contains "$stderr" "${a%% *}"
    [ ! -e made ] || { echo "ran with $a" >&2; return 1; }
    # shellcheck disable=SC2086
    run --separate-stderr -125 tj test $a ./pass
    assert_contains "$stderr" "${a##* }"
  done
  assert_nothing_left_test
}
