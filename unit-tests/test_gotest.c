/* The -test.v parser against what cmd/test2json (Go 1.19) emits for the
 * same input, and the renderers: go test's non-verbose text, -json events,
 * XML escaping, the report's tests.cases and the JUnit made of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "go/gotest.h"
#include "go/testout.h"

static struct tj_buf events, text;
static struct tj_gotest *gt;

/* Events as "action test [elapsed]" or "output test |text|", one a line. */
static void record(void *ctx, const struct tj_gt_event *ev) {
  static const char *names[] = {"run", "pause", "cont", "pass", "fail", "skip", "bench", "output"};
  if (ev->action == TJ_GT_OUTPUT) {
    tj_buf_printf(&events, "output %s |%.*s|\n", ev->test,
                  (int)ev->output_len - (ev->output_len && ev->output[ev->output_len - 1] == '\n'), ev->output);
  } else if (ev->elapsed >= 0) {
    tj_buf_printf(&events, "%s %s %.2f\n", names[ev->action], ev->test, ev->elapsed);
  } else {
    tj_buf_printf(&events, "%s %s\n", names[ev->action], ev->test);
  }
  tj_text_event(&text, gt, ev);
}

static int setup(void **state) {
  events = (struct tj_buf){0};
  text = (struct tj_buf){0};
  gt = tj_gotest_new(false, record, NULL);
  return gt ? 0 : -1;
}

static int teardown(void **state) {
  tj_gotest_free(gt);
  tj_buf_free(&events);
  tj_buf_free(&text);
  return 0;
}

static void feed(const char *s) { tj_gotest_feed(gt, s, strlen(s)); }

/* go test -v of a package with a failing nested subtest (Go 1.19). */
static const char *nested = "=== RUN   TestA\n"
                            "    a_test.go:9: log from A\n"
                            "print from A\n"
                            "=== RUN   TestA/inner\n"
                            "    a_test.go:12: log inner\n"
                            "=== RUN   TestA/inner/deep\n"
                            "    a_test.go:13: deep fail\n"
                            "=== RUN   TestA/ok\n"
                            "    a_test.go:15: fine\n"
                            "--- FAIL: TestA (0.01s)\n"
                            "    --- FAIL: TestA/inner (0.01s)\n"
                            "        --- FAIL: TestA/inner/deep (0.00s)\n"
                            "    --- PASS: TestA/ok (0.00s)\n"
                            "=== RUN   TestB\n"
                            "--- PASS: TestB (0.00s)\n"
                            "FAIL\n";

static void test_events_like_test2json(void **state) {
  feed(nested);
  tj_gotest_exited(gt, false);
  tj_gotest_close(gt, 0.5);
  const char *want = "run TestA\n"
                     "output TestA |=== RUN   TestA|\n"
                     "output TestA |    a_test.go:9: log from A|\n"
                     "output TestA |print from A|\n"
                     "run TestA/inner\n"
                     "output TestA/inner |=== RUN   TestA/inner|\n"
                     "output TestA/inner |    a_test.go:12: log inner|\n"
                     "run TestA/inner/deep\n"
                     "output TestA/inner/deep |=== RUN   TestA/inner/deep|\n"
                     "output TestA/inner/deep |    a_test.go:13: deep fail|\n"
                     "run TestA/ok\n"
                     "output TestA/ok |=== RUN   TestA/ok|\n"
                     "output TestA/ok |    a_test.go:15: fine|\n"
                     "output TestA |--- FAIL: TestA (0.01s)|\n"
                     "output TestA/inner |    --- FAIL: TestA/inner (0.01s)|\n"
                     "output TestA/inner/deep |        --- FAIL: TestA/inner/deep (0.00s)|\n"
                     "fail TestA/inner/deep 0.00\n"
                     "fail TestA/inner 0.01\n"
                     "output TestA/ok |    --- PASS: TestA/ok (0.00s)|\n"
                     "pass TestA/ok 0.00\n"
                     "fail TestA 0.01\n"
                     "run TestB\n"
                     "output TestB |=== RUN   TestB|\n"
                     "output TestB |--- PASS: TestB (0.00s)|\n"
                     "pass TestB 0.00\n"
                     "output  |FAIL|\n"
                     "fail  0.50\n";
  assert_string_equal(events.p, want);
  int p, f, s;
  tj_gotest_counts(gt, &p, &f, &s);
  assert_int_equal(p, 2);
  assert_int_equal(f, 3);
  assert_int_equal(s, 0);
}

static void test_non_verbose_text(void **state) {
  feed(nested);
  /* what go test prints without -v for the same tests */
  assert_string_equal(text.p, "print from A\n"
                              "--- FAIL: TestA (0.01s)\n"
                              "    a_test.go:9: log from A\n"
                              "    --- FAIL: TestA/inner (0.01s)\n"
                              "        a_test.go:12: log inner\n"
                              "        --- FAIL: TestA/inner/deep (0.00s)\n"
                              "            a_test.go:13: deep fail\n"
                              "FAIL\n");
}

static void test_pause_cont_and_running(void **state) {
  feed("=== RUN   TestP\n=== PAUSE TestP\n=== RUN   TestQ\n--- PASS: TestQ (0.00s)\n=== CONT  TestP\n");
  int n;
  const struct tj_gt_test *t = tj_gotest_tests(gt, &n);
  assert_int_equal(n, 2);
  assert_string_equal(t[0].name, "TestP");
  assert_int_equal(t[0].status, TJ_GT_RUNNING);
  assert_true(strstr(events.p, "output TestP |=== PAUSE TestP|\npause TestP\n") != NULL);
  assert_true(tj_gotest_started(gt));
  assert_null(tj_gotest_result(gt));
}

static void test_panic_after_fail_is_attributed(void **state) {
  feed("=== RUN   TestIndex\n--- FAIL: TestIndex (0.00s)\npanic: runtime error [recovered]\n");
  tj_gotest_close(gt, 0);
  assert_true(strstr(events.p, "output TestIndex |panic: runtime error [recovered]|") != NULL);
  assert_true(strstr(events.p, "fail TestIndex 0.00") != NULL);
}

static void test_partial_lines_and_no_test_files(void **state) {
  feed("?   \tpkg\t[no te");
  feed("st files]\n");
  tj_gotest_close(gt, 0);
  assert_string_equal(tj_gotest_result(gt), "skip");
  assert_true(strstr(events.p, "skip  0.00") != NULL);
}

/* Go < 1.20 has no framing: output without a final newline runs into the
 * next report or streamed log line, as go test -v prints it. */
static void test_output_without_newline(void **state) {
  feed("=== RUN   TestA\ndots...--- PASS: TestA (0.01s)\n"
       "=== RUN   TestF\nhalf    f_test.go:7: boom\nx--- PASS: TestNope (0.00s)\n--- FAIL: TestF (0.00s)\nFAIL\n");
  tj_gotest_close(gt, 0);
  assert_true(strstr(events.p, "output TestA |dots...|\noutput TestA |--- PASS: TestA (0.01s)|\npass TestA 0.01\n"));
  assert_true(strstr(events.p, "output TestF |half|\noutput TestF |    f_test.go:7: boom|\n"));
  /* not a test that is running: plain output */
  assert_true(strstr(events.p, "output TestF |x--- PASS: TestNope (0.00s)|\n"));
  int p, f, s;
  tj_gotest_counts(gt, &p, &f, &s);
  assert_int_equal(p, 1);
  assert_int_equal(f, 1);
  assert_string_equal(text.p, "dots...halfx--- PASS: TestNope (0.00s)\n--- FAIL: TestF (0.00s)\n"
                              "    f_test.go:7: boom\nFAIL\n");
}

/* An example's got/want follow its --- FAIL line in both modes: go test
 * prints the block first. */
static void test_example_failure_text(void **state) {
  feed("=== RUN   ExampleW\n--- FAIL: ExampleW (0.00s)\ngot:\n3\nwant:\n4\n"
       "=== RUN   TestZ\n--- PASS: TestZ (0.00s)\nFAIL\n");
  assert_string_equal(text.p, "--- FAIL: ExampleW (0.00s)\ngot:\n3\nwant:\n4\nFAIL\n");
  assert_true(strstr(events.p, "output ExampleW |got:|\n"));
  assert_true(strstr(events.p, "fail ExampleW 0.00\n"));
}

/* A race report under -race -test.v (Go 1.19): its indented stack lines are
 * not t.Log lines, and the message the run's root logs again after a
 * nameless "=== CONT" shows only with -v. */
static void test_race_report_text(void **state) {
  feed("=== RUN   TestR\n==================\nWARNING: DATA RACE\n      /src/x.go:13 +0x74\n"
       "    testing.go:1319: race detected during execution of test\n--- FAIL: TestR (0.01s)\n"
       "=== CONT  \n    testing.go:1319: race detected during execution of test\nFAIL\n");
  assert_string_equal(text.p, "==================\nWARNING: DATA RACE\n      /src/x.go:13 +0x74\n"
                              "--- FAIL: TestR (0.01s)\n    testing.go:1319: race detected during execution of test\n"
                              "FAIL\n");
}

static void test_framing(void **state) {
  struct tj_gotest *f = tj_gotest_new(true, record, NULL);
  const char *s = "\x16=== RUN   TestX\n=== RUN   TestFake\n\x16--- PASS: TestX (0.00s)\n";
  tj_gotest_feed(f, s, strlen(s));
  int n;
  tj_gotest_tests(f, &n);
  assert_int_equal(n, 1); /* the unmarked line is output, not a test */
  tj_gotest_free(f);
}

/* Go 1.20+ (-test.v=test2json): a test's output without a final newline
 * ends before the next marker, as test2json splits it; before the first
 * framed directive an unmarked one still counts (test2json's needMarker);
 * the root's "=== NAME" that lost its trailing spaces. */
static void test_framing_mid_line_marker(void **state) {
  tj_gotest_free(gt);
  gt = tj_gotest_new(true, record, NULL);
  feed("=== RUN   TestA\n"
       "no newline\x16--- PASS: TestA (0.00s)\n"
       "\x16=== NAME\n"
       "\x16=== RUN   TestB\n"
       "\x16--- FAIL: TestB (0.01s)\n"
       "\x16"
       "FAIL\n");
  tj_gotest_close(gt, 0.5);
  assert_string_equal(events.p, "run TestA\n"
                                "output TestA |=== RUN   TestA|\n"
                                "output TestA |no newline|\n"
                                "output TestA |--- PASS: TestA (0.00s)|\n"
                                "pass TestA 0.00\n"
                                "run TestB\n"
                                "output TestB |=== RUN   TestB|\n"
                                "output TestB |--- FAIL: TestB (0.01s)|\n"
                                "fail TestB 0.01\n"
                                "output  |FAIL|\n"
                                "fail  0.50\n");
}

/* A test's panic: the testing package prints its --- FAIL line, then the
 * binary dies before the fail event could follow. */
static void test_panicked_test_counts_as_failed(void **state) {
  feed("=== RUN   TestOK\n--- PASS: TestOK (0.00s)\n=== RUN   TestP\n--- FAIL: TestP (0.00s)\n"
       "panic: boom [recovered]\n\tpanic: boom\n");
  int passed, failed, skipped, n;
  tj_gotest_counts(gt, &passed, &failed, &skipped);
  assert_int_equal(passed, 1);
  assert_int_equal(failed, 1);
  const struct tj_gt_test *t = tj_gotest_tests(gt, &n);
  assert_int_equal(n, 2);
  assert_true(t[1].fail_reported);
  assert_int_equal(t[1].status, TJ_GT_RUNNING);
}

static double clock_now;
static double fake_clock(void *ctx) { return clock_now; }

/* The binary was killed: the tests it left unfinished fail, innermost
 * first, each with the diagnosis and its time since its run event; a
 * pending report goes out first; the table still says they were running. */
static void test_fail_unfinished(void **state) {
  tj_gotest_set_clock(gt, fake_clock);
  clock_now = 10;
  feed("=== RUN   TestDone\n");
  clock_now = 10.5;
  feed("--- PASS: TestDone (0.50s)\n=== RUN   TestBig\n");
  clock_now = 11;
  feed("=== RUN   TestBig/sub\n=== RUN   TestPar\n=== PAUSE TestPar\n");
  clock_now = 12.254;
  tj_gotest_fail_unfinished(gt, "testjail: p: OOM killed while running TestBig/sub\n");
  const char *tail = strstr(events.p, "pause TestPar\n");
  assert_non_null(tail);
  assert_string_equal(tail + strlen("pause TestPar\n"),
                      "output TestPar |testjail: p: OOM killed while running TestBig/sub|\n"
                      "fail TestPar 1.25\n"
                      "output TestBig/sub |testjail: p: OOM killed while running TestBig/sub|\n"
                      "fail TestBig/sub 1.25\n"
                      "output TestBig |testjail: p: OOM killed while running TestBig/sub|\n"
                      "fail TestBig 1.75\n");
  int n;
  const struct tj_gt_test *t = tj_gotest_tests(gt, &n);
  assert_int_equal(n, 4);
  assert_int_equal(t[1].status, TJ_GT_RUNNING);
  assert_int_equal(t[3].status, TJ_GT_PAUSED);
}

static void test_json_event(void **state) {
  struct tj_buf b = {0};
  struct tj_gt_event ev = {
      .action = TJ_GT_OUTPUT, .test = "TestX", .elapsed = -1, .output = "a<b> \"q\"\xff\n", .output_len = 10};
  tj_json_event(&b, NULL, "example.com/p", &ev);
  assert_string_equal(b.p, "{\"Action\":\"output\",\"Package\":\"example.com/p\",\"Test\":\"TestX\","
                           "\"Output\":\"a\\u003cb\\u003e \\\"q\\\"\\ufffd\\n\"}\n");
  tj_buf_free(&b);
  struct tj_gt_event pass = {.action = TJ_GT_PASS, .test = "", .elapsed = 0.25};
  tj_json_event(&b, NULL, "p", &pass);
  assert_string_equal(b.p, "{\"Action\":\"pass\",\"Package\":\"p\",\"Elapsed\":0.25}\n");
  tj_buf_free(&b);
}

/* Columns as wide as their widest cell; a plain pass has no diagnosis, an
 * unknown peak is "-", no row ends in spaces. */
static void test_summary_table(void **state) {
  json_t *pkgs = json_pack("[{s:s,s:s,s:I,s:s,s:{s:I}},{s:s,s:s,s:I,s:s,s:{s:I}},{s:s,s:s,s:s}]", "package",
                           "example.com/oom", "outcome", "oom_killed", "duration_ms", (json_int_t)250, "diagnosis",
                           "OOM killed: memory peaked at 64 MiB of the 64 MiB limit (oom_kill 1) while running TestBig",
                           "usage", "memory_peak_bytes", (json_int_t)64 << 20, "package", "example.com/ok", "outcome",
                           "passed", "duration_ms", (json_int_t)13, "diagnosis", "passed", "usage", "memory_peak_bytes",
                           (json_int_t)1536 * 1024, "package", "example.com/none", "outcome", "passed", "diagnosis",
                           "no test files");
  struct tj_buf b = {0};
  tj_summary_table(&b, pkgs);
  assert_string_equal(b.p, "PACKAGE           OUTCOME     TIME    PEAK MEMORY  DIAGNOSIS\n"
                           "example.com/oom   oom_killed  0.250s  64 MiB       OOM killed: memory peaked at 64 MiB of "
                           "the 64 MiB limit (oom_kill 1) while running TestBig\n"
                           "example.com/ok    passed      0.013s  1.5 MiB\n"
                           "example.com/none  passed      0.000s  -            no test files\n");
  tj_buf_free(&b);
  json_decref(pkgs);
}

/* The report's tests.cases: every test with its status and time, output
 * only for those that did not pass, invalid UTF-8 and NUL replaced so the
 * report reads back as JSON; and the JUnit rendered from them alone, as report merge
 * renders a shard's report. */
static void test_cases_and_junit(void **state) {
  feed("=== RUN   TestA\n"
       "    a_test.go:9: log from A\n"
       "=== RUN   TestA/ok\n"
       "    a_test.go:15: fine\n"
       "=== RUN   TestA/bad\n"
       "    a_test.go:13: got \xff <x>\n"
       "--- FAIL: TestA (0.25s)\n"
       "    --- PASS: TestA/ok (0.00s)\n"
       "    --- FAIL: TestA/bad (0.01s)\n"
       "=== RUN   TestS\n"
       "    s_test.go:3: no network\n"
       "--- SKIP: TestS (0.00s)\n"
       "=== RUN   TestR\n");
  tj_gotest_feed(gt, "still \0here\n", 12);
  json_t *cases = tj_test_cases(gt);
  char *got = json_dumps(cases, JSON_COMPACT | JSON_SORT_KEYS);
  assert_string_equal(
      got,
      "[{\"duration_ms\":250,\"name\":\"TestA\",\"output\":\"    a_test.go:9: log from A\\n\","
      "\"status\":\"fail\"},"
      "{\"duration_ms\":0,\"name\":\"TestA/ok\",\"status\":\"pass\"},"
      "{\"duration_ms\":10,\"name\":\"TestA/bad\",\"output\":\"    a_test.go:13: got \xef\xbf\xbd "
      "<x>\\n\",\"status\":\"fail\"},"
      "{\"duration_ms\":0,\"name\":\"TestS\",\"output\":\"    s_test.go:3: no network\\n\","
      "\"status\":\"skip\"},"
      "{\"duration_ms\":null,\"name\":\"TestR\",\"output\":\"still \xef\xbf\xbdhere\\n\",\"status\":\"running\"}]");
  json_t *back = json_loads(got, 0, NULL);
  assert_non_null(back);
  json_decref(back);
  free(got);

  json_t *pkgs = json_pack("[{s:s,s:s,s:s,s:s,s:I,s:[s],s:{s:o}}]", "package", "example.com/p", "phase", "test",
                           "outcome", "oom_killed", "diagnosis", "OOM killed", "duration_ms", (json_int_t)1500,
                           "evidence", "oom_kill 1", "tests", "cases", cases);
  char path[] = "/tmp/tj-junit-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  tj_error err = {0};
  assert_int_equal(tj_junit_write(path, pkgs, &err), 0);
  FILE *f = fopen(path, "r");
  char xml[4096] = "";
  size_t n = fread(xml, 1, sizeof(xml) - 1, f);
  fclose(f);
  unlink(path);
  xml[n] = 0;
  assert_non_null(strstr(xml, "<testsuites tests=\"5\" failures=\"2\" errors=\"1\" skipped=\"1\" time=\"1.500\">"));
  assert_non_null(strstr(xml, "<testcase classname=\"example.com/p\" name=\"TestA/ok\" time=\"0.000\"></testcase>"));
  assert_non_null(strstr(xml, "name=\"TestA/bad\" time=\"0.010\">\n      <failure message=\"Failed\" type=\"\">    "
                              "a_test.go:13: got \xef\xbf\xbd &lt;x&gt;\n</failure>"));
  assert_non_null(strstr(xml, "name=\"TestS\" time=\"0.000\">\n      <skipped message=\"    s_test.go:3: no "
                              "network\n\"></skipped>"));
  assert_non_null(strstr(xml, "name=\"TestR\" time=\"0.000\">\n      <error message=\"OOM killed\" "
                              "type=\"oom_killed\">oom_kill 1\nstill \xef\xbf\xbdhere\n</error>"));
  json_decref(pkgs);
}

static void test_xml_escape(void **state) {
  struct tj_buf b = {0};
  tj_xml_escape(&b, "<a & 'b'>\x1b[0m\xc3\x28", 15);
  assert_string_equal(b.p, "&lt;a &amp; &apos;b&apos;&gt;\xef\xbf\xbd[0m\xef\xbf\xbd(");
  tj_buf_free(&b);
}

/* What exec and init read: the innermost running tests, not a paused
 * parallel test nor a subtest's parent. */
static void test_running_innermost(void **state) {
  const char *in = "=== RUN   TestP\n=== PAUSE TestP\n=== RUN   TestA\n=== RUN   TestA/sub\n"
                   "=== RUN   TestB\n";
  tj_gotest_feed(gt, in, strlen(in));
  const char *names[4];
  int n = tj_gotest_running(gt, names, 4);
  assert_int_equal(n, 2);
  assert_string_equal(names[0], "TestA/sub");
  assert_string_equal(names[1], "TestB");
  assert_int_equal(tj_gotest_running(gt, names, 1), 1);
}

static void test_verbose_argv(void **state) {
  bool framing;
  char *a[] = {"x.test", "-test.run", "X", "-test.v", NULL};
  assert_true(tj_gotest_verbose_argv(a, &framing));
  assert_false(framing);
  char *b[] = {"x.test", "-test.paniconexit0", "--test.v=test2json", NULL};
  assert_true(tj_gotest_verbose_argv(b, &framing));
  assert_true(framing);
  char *c[] = {"x.test", "-test.v=true", "-test.v=false", NULL};
  assert_false(tj_gotest_verbose_argv(c, &framing));
  char *d[] = {"x.test", "-test.vet", "-v", "--", "-test.v", NULL};
  assert_false(tj_gotest_verbose_argv(d, &framing));
  char *e[] = {"-test.v", NULL};
  assert_false(tj_gotest_verbose_argv(e, &framing));
}

/* Found by fuzz/gotest_fuzz: every "=== RUN" of a subtest whose parent was
 * not running scanned the whole table, so a test printing such lines made
 * the parser quadratic (a 1 MiB stream: 47 s under the fuzzer's
 * sanitizers). 100000 of them must take well under a second. */
static void test_many_tests_are_not_quadratic(void **state) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  for (int i = 0; i < 100000; i++)
    feed("=== RUN   TestNoParent/sub\n");
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  int n;
  tj_gotest_tests(gt, &n);
  assert_int_equal(n, 100000);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  assert_true(secs < 2.0);
}

/* A name run again (-count=2): an end ends the latest unfinished one, and a
 * subtest's parent is the one still running. */
static void test_repeated_names(void **state) {
  feed("=== RUN   TestR\n=== RUN   TestR\n--- PASS: TestR (0.00s)\n=== RUN   TestR/sub\n"
       "--- PASS: TestR/sub (0.00s)\n--- FAIL: TestR (0.00s)\n=== RUN   TestR\n");
  int n;
  const struct tj_gt_test *t = tj_gotest_tests(gt, &n);
  assert_int_equal(n, 4);
  assert_int_equal(t[0].status, TJ_GT_FAILED);
  assert_int_equal(t[1].status, TJ_GT_PASSED);
  assert_int_equal(t[2].parent, 0);
  assert_int_equal(t[2].status, TJ_GT_PASSED);
  assert_int_equal(t[3].status, TJ_GT_RUNNING);
  assert_int_equal(tj_gotest_find(gt, "TestR"), 3);
  assert_int_equal(tj_gotest_find(gt, "TestR/sub"), 2);
  assert_int_equal(tj_gotest_find(gt, "TestS"), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_events_like_test2json, setup, teardown),
      cmocka_unit_test_setup_teardown(test_non_verbose_text, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pause_cont_and_running, setup, teardown),
      cmocka_unit_test_setup_teardown(test_panic_after_fail_is_attributed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_partial_lines_and_no_test_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_output_without_newline, setup, teardown),
      cmocka_unit_test_setup_teardown(test_example_failure_text, setup, teardown),
      cmocka_unit_test_setup_teardown(test_race_report_text, setup, teardown),
      cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_panicked_test_counts_as_failed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_framing_mid_line_marker, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fail_unfinished, setup, teardown),
      cmocka_unit_test_setup_teardown(test_running_innermost, setup, teardown),
      cmocka_unit_test(test_verbose_argv),
      cmocka_unit_test_setup_teardown(test_many_tests_are_not_quadratic, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeated_names, setup, teardown),
      cmocka_unit_test(test_json_event),
      cmocka_unit_test(test_xml_escape),
      cmocka_unit_test_setup_teardown(test_cases_and_junit, setup, teardown),
      cmocka_unit_test(test_summary_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
