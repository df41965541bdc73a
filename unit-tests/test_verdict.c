/* The verdict, case by case, from the evidence Go 1.19 really leaves
 * (shared/notes/go-evidence.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>

#include "verdict.h"

static struct tj_notes notes;
static struct tj_rlimits rls;

static int setup(void **state) {
  memset(&notes, 0, sizeof(notes));
  memset(&rls, 0, sizeof(rls));
  return 0;
}

static struct tj_evidence base(void) {
  return (struct tj_evidence){.status_known = true,
                              .exited = true,
                              .oom_kills = 0,
                              .pids_limit_hits = 0,
                              .memory_peak = -1,
                              .cpu_ms = -1,
                              .memory_limit = -1,
                              .pids_limit = -1,
                              .wall_timeout_ms = -1,
                              .rlimits = &rls,
                              .notes = &notes};
}

static void lines(const char *const *l) {
  for (; *l; l++)
    tj_notes_line(&notes, *l, strlen(*l));
}

static struct tj_verdict decide(const struct tj_evidence *ev) {
  struct tj_verdict v;
  tj_verdict_decide(ev, &v);
  return v;
}

static void test_passed(void **state) {
  struct tj_evidence ev = base();
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "passed");
  assert_int_equal(tj_outcome_exit_code(v.outcome), 0);
}

static void test_oom_outranks_signal_and_exit_255(void **state) {
  struct tj_evidence ev = base();
  ev.exited = false;
  ev.signal = SIGKILL;
  ev.oom_kills = 1;
  ev.memory_limit = 64 << 20;
  ev.memory_peak = 64 << 20;
  const char *l[] = {"=== RUN   TestHugeAlloc", NULL};
  lines(l);
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "oom_killed");
  assert_non_null(strstr(v.diagnosis, "64 MiB of the 64 MiB limit"));
  assert_non_null(strstr(v.diagnosis, "TestHugeAlloc"));
  /* the go-test-exits-255 case: the child was OOM killed, the parent exits 255 */
  ev.exited = true;
  ev.exit_code = 255;
  v = decide(&ev);
  assert_string_equal(v.outcome_name, "oom_killed");
  assert_int_equal(tj_outcome_exit_code(v.outcome), 3);
}

/* Files in tmpfs a quarter of the limit or more: said, with the way out
 * where /tmp was the private tmpfs; less: not. */
static void test_oom_names_tmpfs_files(void **state) {
  struct tj_evidence ev = base();
  ev.exited = false;
  ev.signal = SIGKILL;
  ev.oom_kills = 1;
  ev.memory_limit = ev.memory_peak = 128 << 20;
  ev.memory_shmem = 120 << 20;
  ev.private_tmp = true;
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.diagnosis, "OOM killed: memory peaked at 128 MiB of the 128 MiB limit (oom_kill 1); 120 MiB "
                                   "of it files in tmpfs (the private /tmp is a tmpfs charged to --memory; --tmp-dir "
                                   "DIR puts it on disk)");
  ev.private_tmp = false;
  v = decide(&ev);
  assert_non_null(strstr(v.diagnosis, "; 120 MiB of it files in tmpfs (memory.stat shmem: /tmp, /dev/shm)"));
  ev.memory_shmem = 31 << 20;
  v = decide(&ev);
  assert_null(strstr(v.diagnosis, "tmpfs"));
  ev.memory_shmem = -1;
  v = decide(&ev);
  assert_null(strstr(v.diagnosis, "tmpfs"));
}

/* --memory-total: the run-wide limit hit and the package's own not: said
 * so; its own limit hit: the usual line. */
static void test_oom_by_memory_total(void **state) {
  struct tj_evidence ev = base();
  ev.exited = false;
  ev.signal = SIGKILL;
  ev.oom_kills = 1;
  ev.memory_peak = 76 << 20;
  ev.memory_total_limit = 150 << 20;
  ev.memory_total_hits = 20;
  const char *l[] = {"=== RUN   TestNeed", NULL};
  lines(l);
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "oom_killed");
  assert_string_equal(v.diagnosis, "OOM killed: the run's --memory-total of 150 MiB was hit (all packages' test "
                                   "sandboxes together, not this package's own limit); this one peaked at 76 MiB "
                                   "(oom_kill 1) while running TestNeed");
  ev.memory_limit = 64 << 20;
  ev.memory_max_events = 3;
  v = decide(&ev);
  assert_non_null(strstr(v.diagnosis, "of the 64 MiB limit"));
  ev.memory_max_events = 0;
  ev.memory_total_hits = 0;
  v = decide(&ev);
  assert_null(strstr(v.diagnosis, "memory-total"));
}

static void test_oom_of_a_child_names_the_failed_test(void **state) {
  struct tj_evidence ev = base();
  ev.exit_code = 1;
  ev.oom_kills = 2;
  const char *l[] = {"=== RUN   TestBuild", "    exec_test.go:5: go build: signal: killed",
                     "--- FAIL: TestBuild (1.00s)", "FAIL", NULL};
  lines(l);
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "oom_killed");
  assert_non_null(strstr(v.diagnosis, "while running TestBuild"));
}

static void test_plain_sigkill_is_signaled(void **state) {
  struct tj_evidence ev = base();
  ev.exited = false;
  ev.signal = SIGKILL;
  ev.cpu_ms = 5000;
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "signaled");
  assert_non_null(strstr(v.diagnosis, "not sent by testjail"));
}

static void test_rlimit_cpu(void **state) {
  struct tj_error err = {0};
  assert_int_equal(tj_rlimit_parse("cpu=1", &rls, &err), 0);
  struct tj_evidence ev = base();
  ev.exited = false;
  ev.signal = SIGKILL;
  ev.cpu_ms = 1000;
  assert_string_equal(decide(&ev).outcome_name, "rlimit_cpu");
  ev.cpu_ms = 809; /* the precise count, seen at a kill on a busy machine */
  assert_string_equal(decide(&ev).outcome_name, "rlimit_cpu");
  ev.cpu_ms = 667;
  assert_string_equal(decide(&ev).outcome_name, "rlimit_cpu");
  ev.cpu_ms = 600; /* killed well before the limit: someone else did it */
  assert_string_equal(decide(&ev).outcome_name, "signaled");
  ev.cpu_ms = 300;
  assert_string_equal(decide(&ev).outcome_name, "signaled");
  ev.signal = SIGXCPU;
  assert_string_equal(decide(&ev).outcome_name, "rlimit_cpu");
  assert_int_equal(tj_outcome_exit_code(decide(&ev).outcome), 5);
}

static void test_fsize_signal_and_go_message(void **state) {
  struct tj_evidence ev = base();
  ev.exited = false;
  ev.signal = SIGXFSZ;
  assert_string_equal(decide(&ev).outcome_name, "rlimit_fsize");
  ev = base();
  ev.exit_code = 1;
  const char *l[] = {"write /tmp/x: file too large", NULL};
  lines(l);
  assert_string_equal(decide(&ev).outcome_name, "rlimit_fsize");
}

/* A shell's 128+N for a child killed by a limit's signal: the limit when it
 * was set, a plain exit status when not. */
static void test_shell_status_of_a_limit_signal(void **state) {
  struct tj_error err = {0};
  struct tj_evidence ev = base();
  ev.exit_code = 128 + SIGXFSZ;
  assert_string_equal(decide(&ev).outcome_name, "exit_nonzero");
  assert_int_equal(tj_rlimit_parse("fsize=1M", &rls, &err), 0);
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "rlimit_fsize");
  assert_non_null(strstr(v.diagnosis, "SIGXFSZ"));
  ev.exit_code = 128 + SIGXCPU;
  assert_string_equal(decide(&ev).outcome_name, "exit_nonzero");
  assert_int_equal(tj_rlimit_parse("cpu=2", &rls, &err), 0);
  assert_string_equal(decide(&ev).outcome_name, "rlimit_cpu");
  ev.exit_code = 128 + SIGKILL; /* SIGKILL at the hard limit, after the CPU was used */
  ev.cpu_ms = 100;
  assert_string_equal(decide(&ev).outcome_name, "exit_nonzero");
  ev.cpu_ms = 1900;
  assert_string_equal(decide(&ev).outcome_name, "rlimit_cpu");
}

/* Go 1.x: a fatal signal the runtime catches ends the binary with exit
 * status 2, after "SIGSEGV: segmentation violation" and "PC=... sigcode=". */
static void test_runtime_caught_signal(void **state) {
  struct tj_evidence ev = base();
  ev.exit_code = 2;
  ev.go_test = true;
  const char *l[] = {"\x16=== RUN   TestSent",
                     "SIGSEGV: segmentation violation",
                     "PC=0x408fee m=0 sigcode=0 addr=0x259c",
                     "",
                     "goroutine 0 gp=0x5f2e40 m=0 mp=0x5f3760 [idle]:",
                     NULL};
  lines(l);
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "signaled");
  assert_int_equal(tj_outcome_exit_code(v.outcome), 7);
  assert_non_null(strstr(v.diagnosis, "SIGSEGV, sent (sigcode=0"));
  assert_non_null(strstr(v.diagnosis, "TestSent"));
  memset(&notes, 0, sizeof(notes));
  const char *fault[] = {"=== RUN   TestF", "SIGBUS: bus error", "PC=0x48c263 m=0 sigcode=2 addr=0x7f", NULL};
  lines(fault);
  v = decide(&ev);
  assert_string_equal(v.outcome_name, "signaled");
  assert_null(strstr(v.diagnosis, "sent"));
}

static void test_nofile_and_exit_zero_wins(void **state) {
  struct tj_evidence ev = base();
  const char *l[] = {"open /dev/null: too many open files", NULL};
  lines(l);
  assert_string_equal(decide(&ev).outcome_name, "passed"); /* exit 0 with the message: recovered */
  ev.exit_code = 1;
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "rlimit_nofile");
  assert_true(v.n_evidence >= 2);
}

static void test_pids_counters_outrank_messages(void **state) {
  struct tj_evidence ev = base();
  ev.exit_code = 2;
  ev.pids_limit_hits = 3;
  ev.pids_limit = 16;
  const char *l[] = {"runtime: failed to create new OS thread (have 15 already; errno=11)", "fatal error: newosproc",
                     NULL};
  lines(l);
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "pids_limit");
  assert_non_null(strstr(v.diagnosis, "16"));
}

static void test_as_only_when_limit_set(void **state) {
  struct tj_evidence ev = base();
  ev.exit_code = 2;
  const char *l[] = {"fatal error: failed to reserve page summary memory", NULL};
  lines(l);
  assert_string_equal(decide(&ev).outcome_name, "init_panic");
  tj_error err = {0};
  assert_int_equal(tj_rlimit_parse("as=512M", &rls, &err), 0);
  assert_string_equal(decide(&ev).outcome_name, "rlimit_as");
}

static void test_timeout_outranks_everything(void **state) {
  struct tj_evidence ev = base();
  ev.timed_out = true;
  ev.exit_code = 2;
  ev.wall_timeout_ms = 1000;
  ev.oom_kills = 0;
  const char *l[] = {"=== RUN   TestHang", "SIGQUIT: quit", NULL};
  lines(l);
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "timeout");
  assert_non_null(strstr(v.diagnosis, "TestHang"));
  assert_int_equal(tj_outcome_exit_code(v.outcome), 6);
}

static void test_go_patterns(void **state) {
  struct tj_evidence ev = base();
  ev.exit_code = 2;
  const char *t[] = {"=== RUN   TestSlow", "panic: test timed out after 1s", NULL};
  lines(t);
  assert_string_equal(decide(&ev).outcome_name, "test_timeout");

  setup(NULL);
  const char *d[] = {"=== RUN   TestWait", "fatal error: all goroutines are asleep - deadlock!", NULL};
  lines(d);
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "deadlock");
  assert_non_null(strstr(v.diagnosis, "TestWait"));

  setup(NULL);
  const char *i[] = {"panic: boom in init", "", "goroutine 1 [running]:", NULL};
  lines(i);
  assert_string_equal(decide(&ev).outcome_name, "init_panic");

  setup(NULL);
  const char *f[] = {"=== RUN   TestA",
                     "    a_test.go:5: nope",
                     "--- FAIL: TestA (0.00s)",
                     "=== RUN   TestB",
                     "--- PASS: TestB (0.00s)",
                     "FAIL",
                     NULL};
  lines(f);
  ev.exit_code = 1;
  v = decide(&ev);
  assert_string_equal(v.outcome_name, "tests_failed");
  assert_non_null(strstr(v.diagnosis, "TestA"));
  assert_null(strstr(v.diagnosis, "TestB"));
  assert_false(v.crashed);

  setup(NULL);
  const char *p[] = {"=== RUN   TestPanics", "panic: runtime error: index out of range [recovered]", NULL};
  lines(p);
  ev.exit_code = 2;
  v = decide(&ev);
  assert_string_equal(v.outcome_name, "tests_failed");
  assert_non_null(strstr(v.diagnosis, "TestPanics panicked"));
  assert_true(v.crashed);

  setup(NULL);
  const char *fe[] = {"=== RUN   TestMapWrites", "fatal error: concurrent map writes", NULL};
  lines(fe);
  ev.exit_code = 2;
  v = decide(&ev);
  assert_string_equal(v.outcome_name, "tests_failed");
  assert_string_equal(v.diagnosis, "tests failed: TestMapWrites crashed the Go runtime: fatal error: concurrent map "
                                   "writes; the binary ended, later tests never ran");
  assert_true(v.crashed);

  setup(NULL);
  ev.exit_code = 255; /* os.Exit(255) in TestMain: no output at all */
  v = decide(&ev);
  assert_string_equal(v.outcome_name, "exit_nonzero");
  assert_int_equal(tj_outcome_exit_code(v.outcome), 7);
}

static void test_subtests_running(void **state) {
  const char *l[] = {"=== RUN   TestOuter", "=== RUN   TestOuter/inner", "    --- PASS: TestOuter/inner (0.00s)",
                     "=== RUN   TestOuter/second", NULL};
  lines(l);
  assert_int_equal(notes.n_running, 2);
  assert_string_equal(notes.running[1], "TestOuter/second");
}

/* -test.v=test2json (Go 1.20+, and go test -json -exec): ^V before the
 * testing package's lines, also after output without a final newline. */
static void test_framed_lines(void **state) {
  struct tj_evidence ev = base();
  ev.exit_code = 1;
  const char *l[] = {"\x16=== RUN   TestA",
                     "\x16--- FAIL: TestA (0.00s)",
                     "\x16=== RUN   TestB",
                     "partial\x16=== RUN   TestB/sub",
                     "\x16"
                     "FAIL",
                     NULL};
  lines(l);
  assert_true(notes.test_started);
  assert_int_equal(notes.n_running, 2);
  assert_string_equal(notes.running[1], "TestB/sub");
  assert_true(notes.seen[TJ_PAT_FAIL_LINE]);
  assert_string_equal(decide(&ev).diagnosis, "tests failed: TestA");
}

static void test_setup_error(void **state) {
  struct tj_evidence ev = base();
  ev.setup_error = "controller memory not enabled under /sys/fs/cgroup/x";
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "sandbox_error");
  assert_int_equal(tj_outcome_exit_code(v.outcome), 125);
  assert_non_null(strstr(v.diagnosis, "memory"));
}

static void test_unknown_status(void **state) {
  struct tj_evidence ev = base();
  ev.status_known = false;
  assert_string_equal(decide(&ev).outcome_name, "sandbox_error");
}

static void build_lines(struct tj_build_notes *b, const char *const *l) {
  for (; *l; l++)
    tj_build_notes_line(b, *l, strlen(*l));
}

/* go test -exec: the names come from the --- FAIL lines, once each, though
 * -count=2 fails a test twice and a fuzz target reports itself nested. */
static void test_failing_tests_named_once(void **state) {
  struct tj_evidence ev = base();
  ev.exit_code = 1;
  const char *l[] = {"=== RUN   TestA",
                     "--- FAIL: TestA (0.00s)",
                     "=== RUN   FuzzX",
                     "--- FAIL: FuzzX (0.55s)",
                     "    --- FAIL: FuzzX (0.00s)",
                     "=== RUN   TestA",
                     "--- FAIL: TestA (0.00s)",
                     "FAIL",
                     NULL};
  lines(l);
  assert_int_equal(notes.n_failed, 2);
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "tests_failed");
  assert_string_equal(v.diagnosis, "tests failed: TestA, FuzzX");
}

static void test_build_failed_names_first_error(void **state) {
  struct tj_build_notes b = {0};
  const char *l[] = {"# example.com/x [example.com/x.test]", "x/x_test.go:8:2: undefined: helper",
                     "x/x_test.go:9:2: undefined: other", NULL};
  build_lines(&b, l);
  struct tj_evidence ev = base();
  ev.notes = NULL;
  ev.exit_code = 2;
  struct tj_verdict v;
  tj_verdict_build(&ev, &b, &v);
  assert_string_equal(v.outcome_name, "build_failed");
  assert_int_equal(tj_outcome_exit_code(v.outcome), 2);
  assert_non_null(strstr(v.diagnosis, "x/x_test.go:8:2: undefined: helper"));
  assert_int_equal(b.total_errors, 2);
  assert_string_equal(v.evidence[1], "x/x_test.go:8:2: undefined: helper");
}

static void test_build_cgo_missing_compiler(void **state) {
  struct tj_build_notes b = {0};
  const char *l[] = {"# runtime/cgo",
                     "cgo: C compiler \"gcc\" not found: exec: \"gcc\": executable file not found in $PATH", NULL};
  build_lines(&b, l);
  struct tj_evidence ev = base();
  ev.exit_code = 2;
  struct tj_verdict v;
  tj_verdict_build(&ev, &b, &v);
  assert_string_equal(v.outcome_name, "build_failed");
  assert_non_null(strstr(v.diagnosis, "\"gcc\""));
  assert_non_null(strstr(v.diagnosis, "CGO_ENABLED=0"));
  assert_non_null(strstr(v.diagnosis, "install"));
}

static void test_build_oom_and_timeout_keep_their_outcome(void **state) {
  struct tj_build_notes b = {0};
  const char *l[] = {"compile: signal: killed", NULL};
  build_lines(&b, l);
  struct tj_evidence ev = base();
  ev.exit_code = 1;
  ev.oom_kills = 1;
  ev.memory_limit = 32 << 20;
  ev.memory_peak = 32 << 20;
  struct tj_verdict v;
  tj_verdict_build(&ev, &b, &v);
  assert_string_equal(v.outcome_name, "oom_killed");
  assert_non_null(strstr(v.diagnosis, "build"));
  assert_non_null(strstr(v.diagnosis, "--build-memory"));
  ev = base();
  ev.exited = false;
  ev.signal = SIGKILL;
  ev.timed_out = true;
  ev.wall_timeout_ms = 10;
  tj_verdict_build(&ev, &b, &v);
  assert_string_equal(v.outcome_name, "timeout");
  assert_non_null(strstr(v.diagnosis, "--build-timeout"));
  ev = base();
  tj_verdict_build(&ev, &b, &v);
  assert_string_equal(v.outcome_name, "passed");
}

static void test_bad_test_flag_is_usage_error(void **state) {
  const char *l[] = {"flag provided but not defined: -nosuch", "Usage of /tmp/x.test:", NULL};
  lines(l);
  struct tj_evidence ev = base();
  ev.exit_code = 2;
  assert_string_equal(decide(&ev).outcome_name, "exit_nonzero"); /* exec mode: not ours to judge */
  ev.go_test = true;
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "sandbox_error");
  assert_non_null(strstr(v.diagnosis, "-nosuch"));
}

static void test_exit_before_tests_in_go_test(void **state) {
  struct tj_evidence ev = base();
  ev.exit_code = 255;
  ev.go_test = true;
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "exit_nonzero");
  assert_non_null(strstr(v.diagnosis, "TestMain"));
}

static void test_aggregation_order(void **state) {
  /* the contract: sandbox_error, oom, seccomp, limits, timeouts, 7-class,
   * build_failed, tests_failed, passed */
  enum tj_outcome order[] = {TJ_SANDBOX_ERROR, TJ_OOM_KILLED,   TJ_SECCOMP_DENIED, TJ_PIDS_LIMIT, TJ_TIMEOUT,
                             TJ_INIT_PANIC,    TJ_BUILD_FAILED, TJ_TESTS_FAILED,   TJ_PASSED};
  for (size_t i = 0; i + 1 < sizeof(order) / sizeof(order[0]); i++)
    assert_true(tj_outcome_rank(order[i]) < tj_outcome_rank(order[i + 1]));
  assert_int_equal(tj_outcome_rank(TJ_RLIMIT), tj_outcome_rank(TJ_PIDS_LIMIT));
  assert_int_equal(tj_outcome_rank(TJ_TEST_TIMEOUT), tj_outcome_rank(TJ_TIMEOUT));
  assert_int_equal(tj_outcome_rank(TJ_EXIT_NONZERO), tj_outcome_rank(TJ_SIGNALED));
  assert_true(tj_outcome_rank(TJ_DEADLOCK) < tj_outcome_rank(TJ_PASSED));
}

/* Kills the tests did not cause; a test's own panic, timeout or exit did. */
static void test_imposed_outcomes(void **state) {
  enum tj_outcome imposed[] = {TJ_OOM_KILLED, TJ_SECCOMP_DENIED, TJ_PIDS_LIMIT, TJ_RLIMIT, TJ_TIMEOUT, TJ_SIGNALED};
  enum tj_outcome own[] = {TJ_PASSED,     TJ_TESTS_FAILED, TJ_BUILD_FAILED, TJ_TEST_TIMEOUT,
                           TJ_INIT_PANIC, TJ_DEADLOCK,     TJ_EXIT_NONZERO, TJ_SANDBOX_ERROR};
  for (size_t i = 0; i < sizeof(imposed) / sizeof(imposed[0]); i++)
    assert_true(tj_outcome_imposed(imposed[i]));
  for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
    assert_false(tj_outcome_imposed(own[i]));
}

/* net/http: strace in TestLinuxSendfile is denied ptrace and the test skips;
 * TestCmdGoNoHTTPServer fails on its own. The denial does not explain it. */
static void test_seccomp_denial_in_a_test_that_did_not_fail(void **state) {
  const char *const l[] = {"=== RUN   TestLinuxSendfile",
                           "--- SKIP: TestLinuxSendfile (0.01s)",
                           "=== RUN   TestCmdGoNoHTTPServer",
                           "--- FAIL: TestCmdGoNoHTTPServer (0.20s)",
                           "FAIL",
                           NULL};
  lines(l);
  struct tj_evidence ev = base();
  ev.go_test = true;
  ev.exit_code = 1;
  ev.seccomp_denials = 4;
  ev.seccomp_syscall = "ptrace";
  ev.seccomp_errno = 1;
  ev.seccomp_filtered = true;
  ev.seccomp_tests[ev.n_seccomp_tests++] = "TestLinuxSendfile";
  struct tj_verdict v = decide(&ev);
  assert_string_equal(v.outcome_name, "tests_failed");
  assert_non_null(strstr(v.warning, "seccomp denied ptrace with EPERM, in tests that did not fail"));
  /* the failing test had a denial too: then it is the denial's doing */
  ev.seccomp_tests[ev.n_seccomp_tests++] = "TestCmdGoNoHTTPServer";
  assert_string_equal(decide(&ev).outcome_name, "seccomp_denied");
  /* a denial outside any test (TestMain, init) may explain anything */
  ev.n_seccomp_tests = 1;
  ev.seccomp_untested = true;
  assert_string_equal(decide(&ev).outcome_name, "seccomp_denied");
  /* no test named at all (exec, or a binary that printed nothing) */
  ev.seccomp_untested = false;
  ev.go_test = false;
  assert_string_equal(decide(&ev).outcome_name, "seccomp_denied");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_passed, setup),
      cmocka_unit_test_setup(test_oom_outranks_signal_and_exit_255, setup),
      cmocka_unit_test_setup(test_oom_of_a_child_names_the_failed_test, setup),
      cmocka_unit_test_setup(test_oom_names_tmpfs_files, setup),
      cmocka_unit_test_setup(test_oom_by_memory_total, setup),
      cmocka_unit_test_setup(test_plain_sigkill_is_signaled, setup),
      cmocka_unit_test_setup(test_rlimit_cpu, setup),
      cmocka_unit_test_setup(test_seccomp_denial_in_a_test_that_did_not_fail, setup),
      cmocka_unit_test_setup(test_fsize_signal_and_go_message, setup),
      cmocka_unit_test_setup(test_nofile_and_exit_zero_wins, setup),
      cmocka_unit_test_setup(test_shell_status_of_a_limit_signal, setup),
      cmocka_unit_test_setup(test_runtime_caught_signal, setup),
      cmocka_unit_test_setup(test_pids_counters_outrank_messages, setup),
      cmocka_unit_test_setup(test_as_only_when_limit_set, setup),
      cmocka_unit_test_setup(test_timeout_outranks_everything, setup),
      cmocka_unit_test_setup(test_go_patterns, setup),
      cmocka_unit_test_setup(test_subtests_running, setup),
      cmocka_unit_test_setup(test_setup_error, setup),
      cmocka_unit_test_setup(test_framed_lines, setup),
      cmocka_unit_test_setup(test_unknown_status, setup),
      cmocka_unit_test_setup(test_failing_tests_named_once, setup),
      cmocka_unit_test_setup(test_build_failed_names_first_error, setup),
      cmocka_unit_test_setup(test_build_cgo_missing_compiler, setup),
      cmocka_unit_test_setup(test_build_oom_and_timeout_keep_their_outcome, setup),
      cmocka_unit_test_setup(test_bad_test_flag_is_usage_error, setup),
      cmocka_unit_test_setup(test_exit_before_tests_in_go_test, setup),
      cmocka_unit_test_setup(test_aggregation_order, setup),
      cmocka_unit_test(test_imposed_outcomes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
