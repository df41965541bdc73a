# Helpers of the `testjail test` suites (load after common): a private copy
# of examples/ as the working directory, runs with a report, and leak checks
# that also cover the work directory and the workers' run cgroups.

# The hooks of a `testjail test` suite (they replace common's); a file that
# needs more defines its own after loading this one.
setup_file() {
  tj_setup_file
  require_cmd go
}

setup() {
  tjt_setup
}

# The work directories `testjail test` makes (mkdtemp), one a line.
tjt_workdirs() {
  ls -d "${TMPDIR:-/tmp}"/testjail-?????? 2>/dev/null | sort || true
}

tjt_setup() {
  tj_setup
  # testjail's work directories go to a TMPDIR of this test's own, so the
  # leak check sees only them, not those of testjail runs elsewhere.
  export TMPDIR="$BATS_TEST_TMPDIR/tmp"
  mkdir -p "$TMPDIR"
  tjt_workdirs >"$BATS_TEST_TMPDIR/workdirs.before"
  # Go's build cache keys a package on its directory too. TJ_EXAMPLES_DIR
  # (the cgroup v2 guest sets it: a cold build costs ~20x there) puts every
  # test's copy at the same path, so the builds after the first are cache hits.
  local ex="$TJ_WORK/examples"
  if [ -n "${TJ_EXAMPLES_DIR:-}" ]; then
    ex=$TJ_EXAMPLES_DIR
    rm -rf "$ex"
    TJ_CLEANUP_DIRS+=("$ex")
  fi
  cp -r "$TJ_REPO/examples" "$ex"
  # Tests that cd "$TJ_WORK/examples" themselves find it there too.
  [ -e "$TJ_WORK/examples" ] || ln -s "$ex" "$TJ_WORK/examples"
  cd "$ex" || return 1
  REPORT="$BATS_TEST_TMPDIR/report.json"
}

# run `testjail test` with a report; the marker rides in the environment, so
# testjail, its workers and the sandboxes' workloads carry it.
tjt() {
  run --separate-stderr tj test --env "TJMARK=$MARKER" --report "$REPORT" "$@"
}

# assert_test_result OUTCOME EXIT_CODE: the status, the report's outcome at
# the top and for the first package.
assert_test_result() {
  if [ "$status" -ne "$2" ]; then
    echo "status $status, expected $2" >&2
    echo "stdout: $output" >&2
    echo "stderr: $stderr" >&2
    return 1
  fi
  assert_outcome "$REPORT" "$1"
  assert_eq "$(json_get "$REPORT" packages.0.outcome)" "$1" "packages[0].outcome"
  assert_eq "$(json_get "$REPORT" exit_code)" "$2" "exit_code in the report"
}

# This session's own cgroup directories in the v1 hierarchies where it is
# not at the root: testjail makes its run cgroups below them.
own_v1_cgroup_dirs() {
  local id ctrl path
  [ "$(cgroup_mode)" != v2 ] || return 0
  while IFS=: read -r id ctrl path; do
    if [ -n "$ctrl" ] && [ "$path" != / ] && [ -d "/sys/fs/cgroup/${ctrl#name=}$path" ]; then
      echo "/sys/fs/cgroup/${ctrl#name=}$path"
    fi
  done </proc/self/cgroup
}

# Run cgroups made since the test began whose owner is gone (the owner of a
# package's cgroups is its worker, a child of testjail), the work
# directory, and everything assert_nothing_left checks. On a host shared
# with other suites, whose run cgroups outlive their worker for a moment
# while their testjail removes them, only names that also sit below this
# session's own cgroup count, where it has one.
assert_nothing_left_test() {
  assert_nothing_left
  local path name owner new own=() mine=""
  new=$(comm -13 "$BATS_TEST_TMPDIR/cgroups.before" <(snapshot_cgroups))
  mapfile -t own < <(own_v1_cgroup_dirs)
  if [ ${#own[@]} -gt 0 ]; then
    for path in "${own[@]}"; do
      mine+=$(grep -F "$path/" <<<"$new" | sed 's,.*/,,' || true)$'\n'
    done
  fi
  while IFS= read -r path; do
    [ -n "$path" ] || continue
    name=${path##*/}
    if [ ${#own[@]} -gt 0 ] && ! grep -qxF "$name" <<<"$mine"; then
      continue
    fi
    owner=${name#testjail-}
    owner=${owner%%-*}
    if [ ! -e "/proc/$owner" ]; then
      echo "cgroup left behind: $path" >&2
      return 1
    fi
  done <<<"$new"
  local dirs
  dirs="$(comm -13 "$BATS_TEST_TMPDIR/workdirs.before" <(tjt_workdirs))"
  if [ -n "$dirs" ]; then
    echo "work directory left behind: $dirs" >&2
    return 1
  fi
}

# The diagnosis lines on stderr: "testjail: PKG: ...".
diagnosis_lines() {
  grep -c '^testjail: ' <<<"$stderr" || true
}

# tjt_go_logger [hang]: a go in a directory of this test's own that logs each
# call (one line of arguments to $GOLOG_DIR/log) and runs the real go; with
# hang, its go test builds hang instead. Sets GOLOG_DIR; run testjail with
# PATH="$GOLOG_DIR:$PATH" and --bind "$GOLOG_DIR" so the sandbox sees it.
tjt_go_logger() {
  GOLOG_DIR="$BATS_TEST_TMPDIR/gobin"
  mkdir -p "$GOLOG_DIR"
  local hang=""
  [ "${1:-}" = hang ] && hang='[ "$1" = test ] && exec sleep 600\n'
  printf "#!/bin/sh\nprintf \"%%s\\\\n\" \"\$*\" >>\"%s/log\"\n${hang}exec %s \"\$@\"\n" \
    "$GOLOG_DIR" "$(command -v go)" >"$GOLOG_DIR/go"
  chmod +x "$GOLOG_DIR/go"
}

# The minor release of the go first in PATH (26 for go1.26.2), as testjail
# finds it.
go_minor() {
  local v
  v=$(go env GOVERSION)
  v=${v#go1.}
  echo "${v%%[!0-9]*}"
}
