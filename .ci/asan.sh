#!/usr/bin/env bash
# make check-asan: testjail and the unit tests built with ASan and UBSan in
# a copy of the tree (its objects must not mix with the normal build), then
# the unit tests and the integration files that exercise the parsers, the
# reports, seccomp notification and init, against that binary.
# Dynamic, not static-pie: the sanitizers' runtimes are shared libraries.
# Leaks are not checked: a one-shot command frees nothing at exit by design.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
dir=$repo/.cache/asan
rm -rf "$dir"
mkdir -p "$dir"
cp -r Makefile runner cgroup unit-tests profiles integration-tests "$dir/"
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
make -C "$dir" -s -j"$(nproc)" DYNAMIC=1 CFLAGS="-O1 -g $san" LDFLAGS="$san" testjail \
  $(cd "$dir" && ls unit-tests/test_*.c | sed 's/\.c$//')
# handle_segv=0: a workload crashing where its profile denies every syscall
# (seccomp-denials) must die as it would, not spin in the SEGV handler.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=0:handle_segv=0:log_path=$dir/sanitizer"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$dir/sanitizer"
for t in "$dir"/unit-tests/test_*; do
  [ -x "$t" ] || continue
  echo "== $t"
  "$t"
done
files=(exec-basic exec-report exec-badinput exec-signals profile-check seccomp-denials seccomp-warnings
       seccomp-cache init-exit init-signals init-badinput isolation test-outcomes test-output)
paths=()
for f in "${files[@]}"; do paths+=("integration-tests/$f.bats"); done
TJ_SANITIZED=1 TESTJAIL="$dir/testjail" bats --print-output-on-failure "${paths[@]}"
# A report the sanitizers wrote from inside a sandbox where they could not
# reach log_path went to stderr and failed its test above.
if compgen -G "$dir/sanitizer.*" >/dev/null; then
  cat "$dir"/sanitizer.*
  echo "check-asan: the sanitizers reported errors (above)" >&2
  exit 1
fi
echo "check-asan: no sanitizer report"
