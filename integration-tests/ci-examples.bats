#!/usr/bin/env bats
# examples/ci: the GitHub Actions workflow and the GitLab CI configuration
# run here, job by job: their shell lines (ci-scripts.py extracts them with
# python3-yaml) in a workspace holding a small Go module and testjail's
# sources, the privileged jobs as root, the unprivileged ones as a normal
# user with no sudo. What a runner provides is stood in for: `uses` steps
# are skipped (the checkouts are the workspace, Go is this host's), apt-get
# checks that the packages it is asked for are installed instead of
# installing them, sudo runs the command (the privileged jobs are root
# already), GITHUB_PATH, RUNNER_TEMP and CI_PROJECT_DIR are set. The
# sharded pipelines run job after job, each run of a matrix or of GitLab's
# parallel: in a workspace of its own, their artifacts copied through a
# directory of the run (upload/download-artifact and GitLab's artifacts
# and needs, stood in for by ci-scripts.py --standin).
# v2vm: host only: runs the example pipelines' jobs (make, go builds, a dozen testjail runs each), which take TCG past its bound; their sandboxes are the ones the other suites check in the guests

# The sharded pipelines are six jobs each, on a shared 2-core host.
: "${BATS_TEST_TIMEOUT:=900}"
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
  # root's, kept across the jobs too (setup-go restores one on GitHub's
  # runners): a cold one per job costs minutes here.
  GOCACHE_ROOT="$BATS_FILE_TMPDIR/gocache-root"
  export SRC SHIMS NOSUDO GOCACHE_USER GOCACHE_ROOT
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

# make_workspace DIR: the module (two packages, one reading testdata/,
# and those of EXTRA_PKGS, examples/ names) and .testjail in DIR, as WS
make_workspace() {
  WS="$1"
  mkdir -p "$WS"
  printf 'module example.com/ci\n\ngo 1.19\n' >"$WS/go.mod"
  cp -a "$TJ_REPO/examples/pass" "$TJ_REPO/examples/golden" "$WS/"
  for p in ${EXTRA_PKGS:-}; do cp -a "$TJ_REPO/examples/$p" "$WS/"; done
  cp -a "$SRC" "$WS/.testjail"
}

# job_run github|gitlab FILE JOB root|user [INSTANCE]: the job (one run of
# it: INSTANCE as ci-scripts.py --plan names it) in a fresh workspace, WS,
# as a runner gives each job; the run's artifacts in $TJ_WORK/artifacts.
# Sets status, output and stderr.
job_run() {
  local kind=$1 file=$2 job=$3 who=$4 inst=${5:--} script path
  local tag="$job${5:+-${5//[^A-Za-z0-9]/_}}"
  script="$TJ_WORK/$tag.sh"
  ci_scripts "$kind" "$file" "$job" "$inst" >"$script"
  make_workspace "$TJ_WORK/ws-$tag"
  mkdir -p "$WS/.runner_temp" "$WS/home" "$TJ_WORK/artifacts" "$TJ_WORK/standin"
  # upload/download-artifact and GitLab's artifacts, for either user
  cp "$TJ_REPO/integration-tests/ci-scripts.py" "$TJ_WORK/standin/"
  printf '#!/bin/sh\nexec %q %q --standin "$@"\n' "$PYTHON3" "$TJ_WORK/standin/ci-scripts.py" >"$TJ_WORK/standin/ci-standin"
  chmod 755 "$TJ_WORK/standin" "$TJ_WORK/standin/ci-standin"
  : >"$WS/.github_path"
  path="$TJ_WORK/standin:$SHIMS:$PATH"
  [ "$who" = root ] || path="$TJ_WORK/standin:$NOSUDO:$PATH"
  local env=(HOME="$WS/home" PATH="$path" GOPROXY=off GOTOOLCHAIN=local GITHUB_PATH="$WS/.github_path"
             RUNNER_TEMP="$WS/.runner_temp" GITHUB_WORKSPACE="$WS" CI_PROJECT_DIR="$WS" CI=true
             TJ_CI_ARTIFACTS="$TJ_WORK/artifacts")
  if [ "$who" = root ]; then env+=(GOCACHE="$GOCACHE_ROOT"); else env+=(GOCACHE="$GOCACHE_USER/cache"); fi
  # The host's CI may shard its own jobs: only the job's own say.
  local unset=(-u JOB_COMPLETION_INDEX -u CI_NODE_INDEX -u CI_NODE_TOTAL)
  if [ "$who" = root ]; then
    run --separate-stderr timeout 600 env -C "$WS" "${unset[@]}" "${env[@]}" bash "$script"
  else
    chown -R 1000:1000 "$WS" "$TJ_WORK/artifacts"
    chmod 755 "$TJ_WORK"
    run --separate-stderr timeout 600 env -C "$WS" "${unset[@]}" "${env[@]}" \
      setpriv --reuid=1000 --regid=1000 --clear-groups bash "$script"
  fi
}

# run_job github|gitlab FILE JOB root|user: the job, which must succeed
run_job() {
  job_run "$@"
  [ "$status" -eq 0 ] || { echo "$1 $3: status $status"$'\n'"$output"$'\n'"$stderr" >&2; return 1; }
}

# run_pipeline github|gitlab FILE JOB...: the jobs in this order (each
# after the jobs it needs), as root, every run of each (a matrix, GitLab's
# parallel:) one after the other. A job runs when every job it needs
# succeeded or its condition is always; a failed run cancels its job's
# later runs unless fail-fast is false. Sets RUN_STATUS[JOB INSTANCE] (a
# status, or skipped or cancelled), RUN_WS[JOB INSTANCE] and JOB_STATUS[JOB]
# (the first failed run's status, 0, or skipped).
run_pipeline() {
  local kind=$1 file=$2 job plan needs cond failfast inst n go first
  shift 2
  declare -gA RUN_STATUS=() RUN_WS=() JOB_STATUS=()
  for job; do
    plan="$(ci_scripts "$kind" "$file" --plan "$job")" || return 1
    needs=$(sed -n 's/^needs //p' <<<"$plan")
    cond=$(sed -n 's/^if //p' <<<"$plan")
    failfast=$(sed -n 's/^fail-fast //p' <<<"$plan")
    go=1
    for n in $needs; do
      [ -n "${JOB_STATUS[$n]:-}" ] || { echo "$job needs $n, which has not run before it" >&2; return 1; }
      [ "${JOB_STATUS[$n]}" = 0 ] || [ "$cond" = always ] || go=0
    done
    if [ "$go" = 0 ]; then
      JOB_STATUS[$job]=skipped
      continue
    fi
    first=0
    for inst in $(sed -n 's/^instance //p' <<<"$plan"); do
      if [ "$first" != 0 ] && [ "$failfast" = true ]; then
        RUN_STATUS["$job $inst"]=cancelled
        continue
      fi
      job_run "$kind" "$file" "$job" root "$inst"
      echo "# $kind $job $inst: status $status" >&3
      RUN_STATUS["$job $inst"]=$status
      RUN_WS["$job $inst"]=$WS
      case $status in
        0|1) ;;
        *) echo "$kind $job $inst: status $status"$'\n'"$output"$'\n'"$stderr" >&2 ;;
      esac
      [ "$first" != 0 ] || first=$status
    done
    JOB_STATUS[$job]=$first
  done
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

@test "the CI files name the jobs this file runs: privileged, unprivileged and the sharded pipeline, for each" {
  assert_eq "$(ci_scripts github "$CI_DIR/github-actions.yml" --jobs | tr '\n' ' ')" "privileged unprivileged shard merge "
  assert_eq "$(ci_scripts gitlab "$CI_DIR/gitlab-ci.yml" --jobs | tr '\n' ' ')" "test-privileged test-unprivileged test-sharded merge-shards "
  run ci_scripts github "$CI_DIR/github-actions.yml" nosuch
  [ "$status" -eq 2 ]
  assert_eq "$output" "ci-scripts: no job nosuch"
}

@test "ci-scripts.py refuses what a runner would not do as it does: another \${{ }}, a matrix value or key it lacks, an artifact name twice, a file two shards hold" {
  local f="$TJ_WORK/gh.yml" g="$TJ_WORK/gl.yml"
  sed 's/--report shard-${{ matrix.shard }}.json/--report shard-${{ github.run_id }}.json/' "$CI_DIR/github-actions.yml" >"$f"
  ! cmp -s "$f" "$CI_DIR/github-actions.yml"
  run ci_scripts github "$f" shard shard=1
  [ "$status" -eq 2 ]
  assert_contains "$output" 'unexpanded ${{ github.run_id }}'
  run ci_scripts github "$CI_DIR/github-actions.yml" shard shard=4
  [ "$status" -eq 2 ]
  assert_contains "$output" "job shard has no instance shard=4"
  run ci_scripts github "$CI_DIR/github-actions.yml" shard
  [ "$status" -eq 2 ]
  sed 's/^      fail-fast: false/      failfast: false/' "$CI_DIR/github-actions.yml" >"$f"
  run ci_scripts github "$f" --plan shard
  [ "$status" -eq 2 ]
  assert_eq "$output" "ci-scripts: job shard: strategy: unknown key failfast"
  sed 's/^  parallel: 4/  paralel: 4/' "$CI_DIR/gitlab-ci.yml" >"$g"
  ! cmp -s "$g" "$CI_DIR/gitlab-ci.yml"
  run ci_scripts gitlab "$g" --jobs
  [ "$status" -eq 2 ]
  assert_eq "$output" "ci-scripts: job test-sharded: unknown key paralel"
  # the stand-ins
  mkdir -p "$TJ_WORK/a" "$TJ_WORK/w"
  cd "$TJ_WORK/w"
  echo 1 >shard-1.json
  export TJ_CI_ARTIFACTS="$TJ_WORK/a"
  "$PYTHON3" "$TJ_REPO/integration-tests/ci-scripts.py" --standin upload-artifact s1 error shard-1.json
  [ -f "$TJ_WORK/a/github/s1/shard-1.json" ]
  run "$PYTHON3" "$TJ_REPO/integration-tests/ci-scripts.py" --standin upload-artifact s1 error shard-1.json
  [ "$status" -eq 2 ]
  assert_contains "$output" "an artifact s1 was already uploaded in this run"
  "$PYTHON3" "$TJ_REPO/integration-tests/ci-scripts.py" --standin upload-artifact s2 error shard-1.json
  run "$PYTHON3" "$TJ_REPO/integration-tests/ci-scripts.py" --standin download-artifact "" 's*' true out
  [ "$status" -eq 2 ]
  assert_contains "$output" "out/shard-1.json would be written twice"
  "$PYTHON3" "$TJ_REPO/integration-tests/ci-scripts.py" --standin gitlab-upload t/1 'shard-*.json' --reports
  "$PYTHON3" "$TJ_REPO/integration-tests/ci-scripts.py" --standin gitlab-upload t/2 'shard-*.json' --reports
  rm shard-1.json
  run "$PYTHON3" "$TJ_REPO/integration-tests/ci-scripts.py" --standin gitlab-download t
  [ "$status" -eq 2 ]
  assert_contains "$output" "shard-1.json would be written twice"
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

# assert_sharded UNSHARDED.json MERGED.json JUNIT MERGE-STATUS GITHUB|GITLAB
# SHARD.json:STATUS...: every shard ran as its own index (GitLab's 1-based
# CI_NODE_INDEX for --shard auto) and exited with its report's exit code;
# every package in exactly one shard; the merged report holds every package
# of the unsharded run once, with its outcome, the run's outcome and exit
# code, and the merge job exited with that code; the JUnit file has a
# testsuite per package.
assert_sharded() {
  "$PYTHON3" -c '
import json, sys, xml.etree.ElementTree as ET
unsharded, merged, junit, merge_status, kind = sys.argv[1:6]
shards = [a.rsplit(":", 1) for a in sys.argv[6:]]
u = json.load(open(unsharded))
want = {p["package"]: p["outcome"] for p in u["packages"]}
assert len(want) == len(u["packages"]) == 3, want
assert sorted(want.values()) == ["passed", "passed", "tests_failed"], want
seen = []
for k, (path, status) in enumerate(shards):
    r = json.load(open(path))
    sh = r["shard"]
    assert (sh["index"], sh["count"]) == (k, len(shards)), (path, sh)
    if kind == "gitlab":
        assert "CI_NODE_INDEX=%d" % (k + 1) in sh["source"], sh["source"]
    assert r["exit_code"] == int(status), (path, r["exit_code"], status)
    seen += sh["packages"]
    assert sorted(p["package"] for p in r["packages"]) == sorted(sh["packages"]), (path, sh)
assert sorted(seen) == sorted(want), seen
m = json.load(open(merged))
names = [p["package"] for p in m["packages"]]
assert names == sorted(want), names
assert {p["package"]: p["outcome"] for p in m["packages"]} == want, m["packages"]
assert (m["outcome"], m["exit_code"]) == (u["outcome"], u["exit_code"]), (m["outcome"], m["exit_code"])
assert m["exit_code"] == int(merge_status), (m["exit_code"], merge_status)
suites = [s.get("name") for s in ET.parse(junit).getroot().iter("testsuite")]
assert sorted(suites) == sorted(want), suites
' "$@"
}

@test "GitHub Actions, sharded: a matrix of 4 shards uploads 4 reports, the merge job (after a failed shard too) gives the unsharded job's verdict" {
  # a failing package: a shard fails, its report must still reach the merge
  EXTRA_PKGS=fail
  job_run github "$CI_DIR/github-actions.yml" privileged root
  [ "$status" -eq 1 ] || { echo "unsharded job: status $status"$'\n'"$stderr" >&2; return 1; }
  cp "$WS/testjail-report.json" "$TJ_WORK/unsharded.json"
  run_pipeline github "$CI_DIR/github-actions.yml" shard merge
  local k shards=()
  for k in 0 1 2 3; do
    [ -f "${RUN_WS[shard shard=$k]}/shard-$k.json" ]
    cmp "${RUN_WS[shard shard=$k]}/shard-$k.json" "$TJ_WORK/artifacts/github/testjail-shard-$k/shard-$k.json"
    shards+=("$TJ_WORK/artifacts/github/testjail-shard-$k/shard-$k.json:${RUN_STATUS[shard shard=$k]}")
  done
  assert_eq "${JOB_STATUS[shard]}" 1 "the shard holding the failing package failed its job"
  [ "${JOB_STATUS[merge]}" != skipped ]
  local mws="${RUN_WS[merge -]}"
  assert_sharded "$TJ_WORK/unsharded.json" "$mws/testjail-report.json" "$mws/junit.xml" "${JOB_STATUS[merge]}" github "${shards[@]}"
  cmp "$mws/junit.xml" "$TJ_WORK/artifacts/github/testjail-report-sharded/junit.xml"
  cmp "$mws/testjail-report.json" "$TJ_WORK/artifacts/github/testjail-report-sharded/testjail-report.json"
}

@test "GitLab CI, sharded: parallel: 4 with --shard auto, artifacts when: always, the merge job's report and JUnit as the unsharded job's" {
  EXTRA_PKGS=fail
  job_run gitlab "$CI_DIR/gitlab-ci.yml" test-privileged root
  [ "$status" -eq 1 ] || { echo "unsharded job: status $status"$'\n'"$stderr" >&2; return 1; }
  cp "$WS/testjail-report.json" "$TJ_WORK/unsharded.json"
  run_pipeline gitlab "$CI_DIR/gitlab-ci.yml" test-sharded merge-shards
  local k shards=()
  for k in 1 2 3 4; do
    cmp "${RUN_WS[test-sharded $k]}/shard-$k.json" "$TJ_WORK/artifacts/gitlab/test-sharded/$k/shard-$k.json"
    shards+=("$TJ_WORK/artifacts/gitlab/test-sharded/$k/shard-$k.json:${RUN_STATUS[test-sharded $k]}")
  done
  assert_eq "${JOB_STATUS[test-sharded]}" 1 "the shard holding the failing package failed its job"
  [ "${JOB_STATUS[merge-shards]}" != skipped ]
  local mws="${RUN_WS[merge-shards -]}"
  assert_sharded "$TJ_WORK/unsharded.json" "$mws/testjail-report.json" "$mws/junit.xml" "${JOB_STATUS[merge-shards]}" gitlab "${shards[@]}"
  cmp "$mws/junit.xml" "$TJ_WORK/artifacts/gitlab-reports/merge-shards/junit/junit.xml"
  cmp "$mws/testjail-report.json" "$TJ_WORK/artifacts/gitlab/merge-shards/testjail-report.json"
}
