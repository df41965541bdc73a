#!/usr/bin/env bats
# --memory is per package sandbox, and -p runs several at once:
# --memory-total puts one cgroup over every test sandbox of the run, and an
# OOM kill its limit caused says so, not the package's own limit.

load common
load gotest

setup() {
  tjt_setup
  require_controller memory
}

# Packages a and b each want 100 MiB at once: both take a lock of their
# own, meet at a FIFO; a allocates first (b waits for the "alloc" lock a
# holds until then, or until it dies), then b; each then waits for the
# other's lock, which the kernel frees when the other ends, by an OOM kill
# or done. In turn, not at once: two allocations racing to the limit can
# both be OOM-killed; this way the kill of the run-wide limit takes a, the
# larger, and b goes on.
make_pair() {
  SHARED="$BATS_TEST_TMPDIR/shared"
  mkdir -p "$SHARED" a b
  mkfifo "$SHARED/meet"
  local p other
  for p in a b; do
    other=b
    [ "$p" = a ] || other=a
    cat >"$p/${p}_test.go" <<GO
package $p

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

func lock(t *testing.T, name string) *os.File {
	f, err := os.OpenFile(filepath.Join(os.Getenv("SHARED"), name), os.O_RDWR|os.O_CREATE, 0666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNeed100MiB(t *testing.T) {
	mine := lock(t, "$p.lock")
	defer mine.Close() // held to the end: a lock the collector closed would free the other
	mode := os.O_WRONLY
	var alloc *os.File
	if "$p" == "a" {
		alloc = lock(t, "alloc.lock")
	} else {
		mode = os.O_RDONLY
	}
	fifo, err := os.OpenFile(filepath.Join(os.Getenv("SHARED"), "meet"), mode, 0)
	if err != nil {
		t.Fatal(err)
	}
	fifo.Close()
	if "$p" == "b" {
		lock(t, "alloc.lock")
	}
	buf := make([]byte, 100<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	if alloc != nil {
		alloc.Close()
	}
	lock(t, "$other.lock")
	t.Logf("held %d MiB", len(buf)>>20)
	runtime.KeepAlive(buf) // held until the other ends, not collected before
}
GO
  done
}

@test "two packages needing 100 MiB each at once under --memory-total 150M: the first OOM-killed, the run-wide limit named" {
  make_pair
  tjt -p 2 --memory-total 150M --bind "$SHARED" --env "SHARED=$SHARED" ./a ./b -- -test.timeout=120s
  assert_eq "$status" 3
  assert_outcome "$REPORT" oom_killed
  "$PYTHON3" - "$REPORT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
# a first; b too at times: the kernel may kill again before a's memory is
# freed. Every kill is the run-wide limit's, and says so.
got = sorted(p["outcome"] for p in r["packages"])
assert got in (["oom_killed", "passed"], ["oom_killed", "oom_killed"]), got
for killed in (p for p in r["packages"] if p["outcome"] == "oom_killed"):
    d = killed["diagnosis"]
    assert d.startswith("OOM killed: the run's --memory-total of 150 MiB was hit (all packages' test sandboxes "
                        "together, not this package's own limit); this one peaked at "), d
    assert "while running TestNeed100MiB" in d, d
    assert any(e.startswith("--memory-total cgroup's limit hit ") for e in killed["evidence"]), killed["evidence"]
assert [p for p in r["packages"] if p["package"].endswith("/a")][0]["outcome"] == "oom_killed"
PY
  # the run-wide cgroup went with the run
  assert_nothing_left_test
}

@test "--memory-total with the packages' own --memory: a package over its own limit is told so, as before" {
  tjt -p 2 --memory-total 1G --memory 64M ./oom ./pass
  assert_eq "$status" 3
  local d
  d="$(json_get "$REPORT" packages.0.diagnosis)"
  assert_contains "$d" "OOM killed: memory peaked at"
  assert_contains "$d" "of the 64 MiB limit"
  assert_not_contains "$d" "memory-total"
  assert_eq "$(json_get "$REPORT" packages.1.outcome)" passed
  assert_nothing_left_test
}

@test "a run killed with SIGKILL leaves its --memory-total cgroup to the next run's collection" {
  make_pair
  # a alone: it waits at the FIFO for b, which never comes; -v streams its
  # "=== RUN" once its sandbox (below the run-wide cgroup) runs it
  tj_start test -v --env "TJMARK=$MARKER" --memory-total 150M --bind "$SHARED" --env "SHARED=$SHARED" ./a
  wait_for_line "=== RUN   TestNeed100MiB"
  local total
  local root=/sys/fs/cgroup/memory # v1 and hybrid: the memory hierarchy; v2: the one tree
  [ -d "$root" ] || root=/sys/fs/cgroup
  total="$(find "$root" -maxdepth 8 -type d -name "testjail-$TJ_PID-*" -print -quit 2>/dev/null)"
  [ -n "$total" ] || { echo "no testjail-$TJ_PID-* memory cgroup" >&2; return 1; }
  [ -n "$(find "$total" -mindepth 1 -type d -name 'testjail-*' -print -quit)" ] ||
    { echo "no sandbox cgroup below $total" >&2; return 1; }
  kill -KILL "$TJ_PID"
  pkill -KILL -f "$MARKER_RE" || true
  wait "$TJ_PID" 2>/dev/null || true
  run -0 tj doctor --gc
  [ ! -d "$total" ] || { echo "$total left after the next collection" >&2; return 1; }
}

@test "bad --memory-total: 125 naming it, nothing left" {
  local a
  for a in lots 0x10 -5M ""; do
    run --separate-stderr -125 tj test --memory-total "$a" ./pass
    assert_contains "$stderr" "--memory-total"
  done
  assert_nothing_left_test
}
