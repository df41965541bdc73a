#!/usr/bin/env bats
# examples/kubernetes/Dockerfile builds, without a container engine: each
# stage from exactly the files it COPYs (dockerfile-stages.py), its RUN
# steps in a sandbox whose / is the stage's own; the image then runs each
# package's test binary from its package directory, as go test does.
# v2vm: host only: builds the image stages in bubblewrap sandboxes, not testjail's; its Go builds take TCG past any bound

load common

DOCKERFILE="$TJ_REPO/examples/kubernetes/Dockerfile"

stages() {
  "$PYTHON3" "$TJ_REPO/integration-tests/dockerfile-stages.py" "$@"
}

setup_file() {
  tj_setup_file
  command -v bwrap >/dev/null || { echo "bwrap (bubblewrap) is needed to run the RUN steps" >&2; return 1; }
  command -v go >/dev/null || { echo "go is needed to build the tests stage" >&2; return 1; }
  # The whole image once: every test below reads it.
  IMAGE="$BATS_FILE_TMPDIR/image"
  stages "$DOCKERFILE" "$TJ_REPO" "$IMAGE" >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
    { cat "$BATS_FILE_TMPDIR/build.log" >&2; return 1; }
  export IMAGE
}

setup() {
  tj_setup
  FINAL="$IMAGE/2/root"
}

teardown() {
  tj_teardown
}

# the final stage's config.json field
config() {
  "$PYTHON3" -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' \
    "$IMAGE/2/config.json" "$1"
}

# run ARGV in the final image's file system alone, from DIR
in_image() {
  local dir="$1"
  shift
  run timeout 120 bwrap --bind "$FINAL" / --dev /dev --proc /proc --tmpfs /tmp --unshare-pid \
    --die-with-parent --cap-add ALL --chdir "$dir" -- "$@"
}

@test "the image builds from the files its stages COPY: a static testjail, each package's test binary beside its files" {
  [ -x "$FINAL/testjail" ]
  # static: no program interpreter to find on an empty base
  ! readelf -l "$FINAL/testjail" | grep -q 'program interpreter'
  local pkg
  for pkg in oom pass golden; do
    [ -x "$FINAL/tests/$pkg/$pkg.test" ] || { echo "no /tests/$pkg/$pkg.test in the image" >&2; return 1; }
  done
  [ -f "$FINAL/tests/golden/testdata/greeting.golden" ]
  assert_eq "$(config entrypoint)" '["/testjail", "init", "--"]'
  assert_eq "$(config workdir)" '"/tests/pass"'
  assert_eq "$(config cmd)" '["./pass.test", "-test.v"]'
}

@test "the image's ENTRYPOINT and CMD run pass's tests under testjail init, from the package's directory" {
  local wd
  wd="$(config workdir | tr -d '"')"
  in_image "$wd" /testjail init -- ./pass.test -test.v
  [ "$status" -eq 0 ] || { echo "status $status: $output" >&2; return 1; }
  [[ "$output" == *"--- PASS: TestTable"* ]]
  [[ "$output" == *$'\nPASS'* ]]
}

@test "a test that reads testdata/ passes from its package directory in the image, and fails from / (where the image used to run it)" {
  in_image /tests/golden /testjail init -- ./golden.test -test.v
  [ "$status" -eq 0 ] || { echo "status $status: $output" >&2; return 1; }
  [[ "$output" == *"--- PASS: TestGreetingMatchesGolden"* ]]
  in_image / /testjail init -- /tests/golden/golden.test -test.v
  [ "$status" -eq 1 ]
  [[ "$output" == *"open testdata/greeting.golden: no such file or directory"* ]]
}

@test "the job manifest runs oom's binary from its package directory in the image" {
  local wd args
  wd="$(sed -n 's/^ *workingDir: *//p' "$TJ_REPO/examples/kubernetes/job.yaml")"
  assert_eq "$wd" /tests/oom
  args="$(sed -n 's/^ *args: *\["\([^"]*\)".*/\1/p' "$TJ_REPO/examples/kubernetes/job.yaml")"
  [ -x "$FINAL$wd/$args" ] || { echo "job.yaml runs $args from $wd: not in the image" >&2; return 1; }
}

@test "every library make static links comes from a package the testjail stage installs" {
  local m pc pkg
  for m in $(sed -n 's/^PKGS := //p' "$TJ_REPO/Makefile"); do
    pc="$(pkg-config --path "$m")"
    pkg="$(dpkg -S "$pc" | cut -d: -f1)"
    grep -Eq "apt-get install .*[[:space:]]$pkg([[:space:]]|$)" <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$DOCKERFILE") ||
      { echo "$m ($pc) comes from $pkg, which the Dockerfile does not install" >&2; return 1; }
  done
}

# Each COPY of the two build stages taken out in turn: that stage no longer
# builds. (The final stage's COPY --from lines are covered by the tests
# above: without them the image has no /testjail or no /tests.)
@test "taking out any COPY line of the build stages fails that stage's build, naming the line that failed" {
  local line stage n=0
  while IFS=: read -r line stage; do
    sed "${line}d" "$DOCKERFILE" >"$BATS_TEST_TMPDIR/Dockerfile"
    run stages --target "$stage" "$BATS_TEST_TMPDIR/Dockerfile" "$TJ_REPO" "$BATS_TEST_TMPDIR/out.$line"
    [ "$status" -eq 1 ] || { echo "without line $line ($(sed -n "${line}p" "$DOCKERFILE")): status $status" >&2; return 1; }
    [[ "$output" == *"dockerfile-stages: line "*": RUN exited with"* ]] ||
      { echo "without line $line: $output" >&2; return 1; }
    rm -rf "$BATS_TEST_TMPDIR/out.$line"
    n=$((n + 1))
  done < <(awk '/^FROM/ { stage = $NF } /^COPY/ && !/--from/ { print NR ":" stage }' "$DOCKERFILE")
  assert_eq "$n" 5
}

@test "dockerfile-stages: a COPY of a file the context lacks, an unknown instruction, a stage that does not exist" {
  printf 'FROM scratch AS a\nCOPY no-such-file /x\n' >Dockerfile
  run stages Dockerfile "$TJ_REPO" out1
  [ "$status" -eq 1 ]
  assert_eq "$output" "dockerfile-stages: line 2: COPY no-such-file: no such file in the build context"
  printf 'FROM scratch AS a\nHEALTHCHECK NONE\n' >Dockerfile
  run stages Dockerfile "$TJ_REPO" out2
  [ "$status" -eq 2 ]
  assert_eq "$output" "dockerfile-stages: line 2: HEALTHCHECK: not supported here"
  printf 'FROM scratch AS a\nCOPY --from=b /x /x\n' >Dockerfile
  run stages Dockerfile "$TJ_REPO" out3
  [ "$status" -eq 1 ]
  assert_eq "$output" "dockerfile-stages: line 2: COPY --from=b: no such stage before it"
}
