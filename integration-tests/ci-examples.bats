#!/usr/bin/env bats
# examples/ci: the GitHub Actions workflow and the GitLab CI configuration
# run here, job by job: their shell lines (ci-scripts.py extracts them with
# python3-yaml) in a workspace holding a small Go module and testjail's
# sources, the privileged jobs as root, the unprivileged ones as a normal
# user with no sudo. What a runner provides is stood in for: `uses` steps
# are skipped (the checkouts are the workspace, Go is this host's), apt-get
# checks that the packages it is asked for are installed instead of
# installing them, sudo runs the command (the privileged jobs are root
# already), GITHUB_PATH, RUNNER_TEMP and CI_PROJECT_DIR are set.

load common

CI_DIR="$TJ_REPO/examples/ci"

ci_scripts() {
  "$PYTHON3" "$TJ_REPO/integration-tests/ci-scripts.py" "$@"
}

setup_file() {
  tj_setup_file
  "$PYTHON3" -c 'import yaml' 2>/dev/null || { echo "python3-yaml is needed to read the CI files (make deps)" >&2; return 1; }
  command -v go >/dev/null || { echo "go is needed: the jobs run go test's builds" >&2; return 1; }
  # testjail's sources as a checkout has them, with this tree's objects
  # (times kept): the jobs' make finds them up to date instead of
  # compiling again.
  SRC="$BATS_FILE_TMPDIR/testjail-src"
  mkdir -p "$SRC"
  cp -a "$TJ_REPO/Makefile" "$TJ_REPO/runner" "$TJ_REPO/cgroup" "$TJ_REPO/profiles" "$TJ_REPO/docs" "$SRC/"
  cp -a "$TJ_REPO/testjail" "$SRC/"
  make -s -C "$SRC" -q testjail || { echo "testjail is not up to date with its sources (make testjail)" >&2; return 1; }
  # Runner stand-ins.
  SHIMS="$BATS_FILE_TMPDIR/shims"
  NOSUDO="$BATS_FILE_TMPDIR/nosudo"
  mkdir -p "$SHIMS" "$NOSUDO"
  cat >"$SHIMS/sudo" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do case $1 in -*) shift ;; *) break ;; esac; done
exec "$@"
EOF
  cat >"$SHIMS/apt-get" <<'EOF'
#!/bin/sh
[ "$1" = update ] && exit 0
[ "$1" = install ] || { echo "apt-get stand-in: only update and install" >&2; exit 1; }
shift
for p in "$@"; do
  case $p in -*) continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    { echo "apt-get stand-in: $p is not installed on this host" >&2; exit 100; }
done
EOF
  printf '#!/bin/sh\necho "sudo: no root on an unprivileged runner" >&2\nexit 1\n' >"$NOSUDO/sudo"
  chmod 755 "$SHIMS"/* "$NOSUDO/sudo"
  # The normal user's Go build cache, kept across its jobs as a runner
  # keeps it, and filled once here: a cold one costs minutes on a busy
  # machine. Outside BATS_FILE_TMPDIR, which only root may search.
  GOCACHE_USER="$(mktemp -d /var/tmp/tj-gocache.XXXXXX)"
  mkdir "$GOCACHE_USER/warm"
  printf 'module example.com/warm\n\ngo 1.19\n' >"$GOCACHE_USER/warm/go.mod"
  cp -a "$TJ_REPO/examples/pass/." "$GOCACHE_USER/warm/"
  chown -R 1000:1000 "$GOCACHE_USER"
  chmod 755 "$GOCACHE_USER"
  env -C "$GOCACHE_USER/warm" HOME="$GOCACHE_USER" GOCACHE="$GOCACHE_USER/cache" GOPROXY=off GOTOOLCHAIN=local \
    setpriv --reuid=1000 --regid=1000 --clear-groups go test -count=1 . >/dev/null ||
    { echo "go test as uid 1000 failed: the unprivileged jobs cannot build" >&2; return 1; }
  export SRC SHIMS NOSUDO GOCACHE_USER
}

teardown_file() {
  rm -rf "$GOCACHE_USER"
}

setup() {
  tj_setup
}

teardown() {
  tj_teardown
}

# make_workspace: $TJ_WORK/ws with the module (two packages, one reading
# testdata/) and .testjail
make_workspace() {
  WS="$TJ_WORK/ws"
  mkdir -p "$WS"
  printf 'module example.com/ci\n\ngo 1.19\n' >"$WS/go.mod"
  cp -a "$TJ_REPO/examples/pass" "$TJ_REPO/examples/golden" "$WS/"
  cp -a "$SRC" "$WS/.testjail"
}

# run_job github|gitlab FILE JOB root|user
run_job() {
  local kind=$1 file=$2 job=$3 who=$4 script="$TJ_WORK/job.sh" path
  ci_scripts "$kind" "$file" "$job" >"$script"
  make_workspace
  mkdir -p "$WS/.runner_temp" "$WS/home"
  : >"$WS/.github_path"
  path="$SHIMS:$PATH"
  [ "$who" = root ] || path="$NOSUDO:$PATH"
  local env=(HOME="$WS/home" PATH="$path" GOPROXY=off GOTOOLCHAIN=local GITHUB_PATH="$WS/.github_path"
             RUNNER_TEMP="$WS/.runner_temp" GITHUB_WORKSPACE="$WS" CI_PROJECT_DIR="$WS" CI=true)
  [ "$who" = root ] || env+=(GOCACHE="$GOCACHE_USER/cache")
  if [ "$who" = root ]; then
    run --separate-stderr timeout 600 env -C "$WS" "${env[@]}" bash "$script"
  else
    chown -R 1000:1000 "$WS"
    chmod 755 "$TJ_WORK"
    run --separate-stderr timeout 600 env -C "$WS" "${env[@]}" \
      setpriv --reuid=1000 --regid=1000 --clear-groups bash "$script"
  fi
  [ "$status" -eq 0 ] || { echo "$kind $job: status $status"$'\n'"$output"$'\n'"$stderr" >&2; return 1; }
}

# assert_job_report MEMORY: both packages passed, the golden test among
# the JUnit cases, the memory limit as the job asked (null: none)
assert_job_report() {
  "$PYTHON3" -c '
import json, sys, xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
assert r["outcome"] == "passed", r["diagnosis"]
pk = {p["package"]: p for p in r["packages"]}
assert sorted(pk) == ["example.com/ci/golden", "example.com/ci/pass"], sorted(pk)
want = None if sys.argv[3] == "none" else int(sys.argv[3])
for p in pk.values():
    assert p["limits"]["memory_bytes"] == want, p["limits"]
cases = [c.get("name") for c in ET.parse(sys.argv[2]).getroot().iter("testcase")]
assert "TestGreetingMatchesGolden" in cases, cases
' "$WS/testjail-report.json" "$WS/junit.xml" "$1"
}

@test "the CI files name the jobs this file runs: privileged and unprivileged, for each" {
  assert_eq "$(ci_scripts github "$CI_DIR/github-actions.yml" --jobs | tr '\n' ' ')" "privileged unprivileged "
  assert_eq "$(ci_scripts gitlab "$CI_DIR/gitlab-ci.yml" --jobs | tr '\n' ' ')" "test-privileged test-unprivileged "
  run ci_scripts github "$CI_DIR/github-actions.yml" nosuch
  [ "$status" -eq 2 ]
  assert_eq "$output" "ci-scripts: no job nosuch"
}

@test "GitHub Actions, privileged job: its run steps build and install testjail and test the module as root under the limits" {
  run_job github "$CI_DIR/github-actions.yml" privileged root
  [ -x "$WS/.runner_temp/testjail/bin/testjail" ]
  assert_job_report $((1024 * 1024 * 1024))
}

@test "GitHub Actions, unprivileged job: no sudo, testjail from the job's own prefix, the module tested as a normal user" {
  run_job github "$CI_DIR/github-actions.yml" unprivileged user
  [ "$(stat -c %u "$WS/testjail-report.json")" = 1000 ]
  assert_job_report none
}

@test "GitLab CI, privileged job: before_script and script (the anchor's lines flattened) as root under the limits" {
  run_job gitlab "$CI_DIR/gitlab-ci.yml" test-privileged root
  [ -x "$WS/.testjail-bin/bin/testjail" ]
  assert_job_report $((1024 * 1024 * 1024))
}

@test "GitLab CI, unprivileged job (a shell runner): no sudo, the module tested as a normal user" {
  run_job gitlab "$CI_DIR/gitlab-ci.yml" test-unprivileged user
  [ "$(stat -c %u "$WS/testjail-report.json")" = 1000 ]
  assert_job_report none
}
