#!/usr/bin/env bats
# The compiled seccomp filter is kept under $XDG_CACHE_HOME/testjail/seccomp
# (else ~/.cache/...): the first run writes it, later runs load it as it
# is (a miss would rename a new file in: another inode); a file that fails
# its checks is replaced, and the filter still catches and names denials;
# a cache that cannot be used only means no cache.

load common
load seccomp

setup() {
  tj_setup
  export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
  CACHE="$XDG_CACHE_HOME/testjail/seccomp"
}

# The only cached program.
cache_file() {
  local f=("$CACHE"/*.bpf)
  [ ${#f[@]} -eq 1 ] && [ -f "${f[0]}" ] || { echo "not one cache file in $CACHE: ${f[*]}" >&2; return 1; }
  echo "${f[0]}"
}

# inode, mode and mtime to the nanosecond: unchanged only if nobody wrote it.
identity() { stat -c '%i %a %y' "$1"; }

# A ptrace denied by the default profile, named in the report.
assert_ptrace_denied() {
  run --separate-stderr tj exec --report "$BATS_TEST_TMPDIR/r.json" -- "$TJHELPER" --tag="$MARKER" syscall ptrace
  assert_eq "$status" 1
  assert_outcome "$BATS_TEST_TMPDIR/r.json" seccomp_denied
  assert_eq "$(denial "$BATS_TEST_TMPDIR/r.json" "" ptrace comm)" tjhelper
  assert_eq "$(denial "$BATS_TEST_TMPDIR/r.json" "" ptrace errno)" EPERM
  assert_contains "$stderr" "testjail: seccomp denied ptrace (1x): the command failed after EPERM"
}

@test "exec: the first run stores the filter (0600 in a 0700 directory), the second loads it unchanged" {
  run tj exec -- /bin/true
  assert_eq "$status" 0
  local f first
  f=$(cache_file)
  assert_eq "$(stat -c %a "$f")" 600
  assert_eq "$(stat -c %a "$CACHE")" 700
  first=$(identity "$f")
  run tj exec -- /bin/true
  assert_eq "$status" 0
  assert_eq "$(identity "$(cache_file)")" "$first" "the cached file after a second run"
  assert_nothing_left
}

@test "exec: a denial is caught and named with the filter from the cache" {
  run tj exec -- /bin/true
  local first
  first=$(identity "$(cache_file)")
  assert_ptrace_denied
  assert_eq "$(identity "$(cache_file)")" "$first" "a hit leaves the file alone"
  assert_nothing_left
}

@test "exec: a corrupted, truncated or foreign-keyed cache file is replaced, and denials are still named" {
  run tj exec -- /bin/true
  local f good
  f=$(cache_file)
  good="$BATS_TEST_TMPDIR/good.bpf"
  cp "$f" "$good"
  # one byte of the program, one of the key in the header, then half the file
  local size
  size=$(stat -c %s "$f")
  for how in program key truncate; do
    case $how in
    program) printf '\xff' | dd of="$f" bs=1 seek=$((size - 3)) conv=notrunc status=none ;;
    key) printf '\xff' | dd of="$f" bs=1 seek=20 conv=notrunc status=none ;;
    truncate) truncate -s $((size / 2)) "$f" ;;
    esac
    cmp -s "$f" "$good" && { echo "$how: the file did not change" >&2; return 1; }
    assert_ptrace_denied
    cmp "$(cache_file)" "$good" || { echo "$how: not rewritten as it was" >&2; return 1; }
  done
  assert_nothing_left
}

@test "exec: a cache file or directory that others can write is not trusted" {
  run tj exec -- /bin/true
  local f
  f=$(cache_file)
  chmod 0666 "$f"
  assert_ptrace_denied
  assert_eq "$(stat -c %a "$(cache_file)")" 600 "rewritten by its owner alone"
  # a directory owned by someone else: neither read nor written
  rm -rf "$CACHE"
  mkdir -p "$CACHE"
  chown 65534:65534 "$CACHE"
  assert_ptrace_denied
  assert_eq "$(ls -A "$CACHE")" "" "nothing written into another user's directory"
  assert_nothing_left
}

@test "exec: a cache directory that cannot be made or written, or none at all: the run goes on" {
  # a regular file where the directory would be
  : >"$BATS_TEST_TMPDIR/plain"
  XDG_CACHE_HOME="$BATS_TEST_TMPDIR/plain" assert_ptrace_denied
  # a read-only file system (/proc refuses mkdir even to root)
  XDG_CACHE_HOME=/proc/self/testjail-cache assert_ptrace_denied
  # neither XDG_CACHE_HOME nor HOME
  run env -u XDG_CACHE_HOME -u HOME "$TESTJAIL" exec -- /bin/true
  assert_eq "$status" 0
  assert_nothing_left
}

@test "exec: another capability set, another cached program" {
  run tj exec -- /bin/true
  run tj exec --cap-add SYS_PTRACE -- /bin/true
  assert_eq "$status" 0
  local f=("$CACHE"/*.bpf)
  assert_eq "${#f[@]}" 2 "cached programs"
}
