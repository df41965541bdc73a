/* The -test.v stream of a Go test binary, parsed as it arrives the way
 * cmd/test2json does (Go 1.19, cmd/internal/test2json): "=== RUN/PAUSE/CONT"
 * updates, "--- PASS/FAIL/SKIP" reports indented by subtest depth, the final
 * PASS/FAIL line. It emits test2json's events in test2json's order and keeps
 * a table of every test: status, elapsed, output. Pure: no I/O. */
#ifndef TJ_GOTEST_H
#define TJ_GOTEST_H

#include <stdbool.h>
#include <stddef.h>

enum tj_gt_action {
  TJ_GT_RUN,
  TJ_GT_PAUSE,
  TJ_GT_CONT,
  TJ_GT_PASS,
  TJ_GT_FAIL,
  TJ_GT_SKIP,
  TJ_GT_BENCH,
  TJ_GT_OUTPUT,
  TJ_GT_START, /* --json only: a package's first event */
};

struct tj_gt_event {
  enum tj_gt_action action;
  const char *test;   /* "" for the package */
  double elapsed;     /* < 0: none */
  const char *output; /* OUTPUT: the text, newline included */
  size_t output_len;
  bool directive; /* OUTPUT: the === / --- line itself */
  /* OUTPUT: the first plain line after a top-level test's --- FAIL line
   * (an example's got/want, a panic): go test prints the failure's block
   * before it. FAIL: that block was shown then. */
  bool fail_head;
  /* OUTPUT: logged by the run's root after Go 1.19's "=== CONT  " with no
   * name (the race detector's message, again): only -v shows it. */
  bool root_log;
  /* OUTPUT under framing: where a t.Log line starts after output without a
   * final newline ("dots    x_test.go:7: msg"), 0 if none. test2json keeps
   * it one line; go test's text splits it. */
  size_t log_at;
  /* the package's FAIL: go's ID of the build that failed, or NULL */
  const char *failed_build;
};

typedef void (*tj_gt_emit_fn)(void *ctx, const struct tj_gt_event *ev);

enum tj_gt_status { TJ_GT_RUNNING, TJ_GT_PAUSED, TJ_GT_PASSED, TJ_GT_FAILED, TJ_GT_SKIPPED };

/* One item of a test's output, in order: a line it logged, or the report of
 * a subtest that ended (as the testing package folds a subtest's output into
 * its parent's when it ends). */
struct tj_gt_item {
  int child;  /* index of the subtest, or -1 for a line */
  char *line; /* newline included */
  size_t len;
};

struct tj_gt_test {
  char *name;
  int parent; /* index, -1 for a top-level test */
  int depth;
  enum tj_gt_status status;
  double elapsed; /* < 0 until reported */
  struct tj_gt_item *items;
  int n_items, cap_items;
  size_t output_bytes; /* lines logged, capped per test */
  /* its "--- FAIL" line came, its fail event not yet: the testing package
   * prints the line before it re-panics a test's panic, and the binary
   * dies with the event still pending */
  bool fail_reported;
  double run_at; /* the clock's reading at its run event; < 0 without a clock */
};

struct tj_gotest;

/* framing: the stream comes from -test.v=test2json (Go 1.20+), where every
 * directive line starts with ^V, so test output can never be mistaken for
 * one. Returns NULL when out of memory. */
struct tj_gotest *tj_gotest_new(bool framing, tj_gt_emit_fn emit, void *ctx);
void tj_gotest_free(struct tj_gotest *p);

/* Seconds on some monotonic clock, read at each run event (ctx: the emit
 * function's). Without one, tj_gotest_fail_unfinished's times are 0. */
typedef double (*tj_gt_clock_fn)(void *ctx);
void tj_gotest_set_clock(struct tj_gotest *p, tj_gt_clock_fn now);

/* Feed whole or partial output, as it arrives. */
void tj_gotest_feed(struct tj_gotest *p, const char *buf, size_t len);

/* As test2json's Exited: the binary's own verdict (exit status 0 or not)
 * overrides any PASS/FAIL line. */
void tj_gotest_exited(struct tj_gotest *p, bool success);

/* The package failed as its build did (id: go's, "pkg [pkg.test]"): the
 * package's fail event names it, as go test -json's FailedBuild. */
void tj_gotest_failed_build(struct tj_gotest *p, const char *id);

/* The binary was ended by something its tests did not cause (a kill, a
 * limit): every test not ended yet, innermost first, gets line as output
 * and a fail event with the time since its run event, as go test -json
 * reports a failed test, so tools that read the stream (gotestsum, its
 * JUnit) show the reason at that test. Events only: the table keeps them
 * running, as they were when the binary died. */
void tj_gotest_fail_unfinished(struct tj_gotest *p, const char *line);

/* End of input: flushes a partial line and pending reports, then emits the
 * package's final event (pass, fail or skip) with elapsed seconds, if a
 * result is known. */
void tj_gotest_close(struct tj_gotest *p, double elapsed);

/* The table, in order of first "=== RUN". */
const struct tj_gt_test *tj_gotest_tests(const struct tj_gotest *p, int *n);

/* The latest test of that name, or -1. */
int tj_gotest_find(const struct tj_gotest *p, const char *name);

/* t failed: its fail event came, or its "--- FAIL" line while it still ran. */
bool tj_gt_test_failed(const struct tj_gt_test *t);

/* Counts over every test and subtest. */
/* Failed counts a test whose --- FAIL line came (fail_reported) too. */
void tj_gotest_counts(const struct tj_gotest *p, int *passed, int *failed, int *skipped);

/* "pass", "fail", "skip" or NULL: the package result seen so far. */
const char *tj_gotest_result(const struct tj_gotest *p);

/* Whether any "=== RUN" was seen, and any output at all. */
bool tj_gotest_started(const struct tj_gotest *p);
bool tj_gotest_any_output(const struct tj_gotest *p);

/* The innermost running tests (running, and none of their subtests is),
 * in order of first "=== RUN": at most max names, borrowed from the table.
 * Returns how many. */
int tj_gotest_running(const struct tj_gotest *p, const char **names, int max);

/* argv (argv[0] the program) turns on a Go test binary's -test.v stream:
 * -test.v, -test.v=true (what go test -v passes) or -test.v=test2json
 * (go test -json, Go 1.20+; *framing set). The last one given wins. */
bool tj_gotest_verbose_argv(char *const *argv, bool *framing);

/* A t.Log line: indented by four spaces a level. What else a test's binary
 * prints with some indent (a race report's "      /src/x.go:13") is plain
 * output. */
bool tj_gt_is_log_line(const char *s, size_t n);

/* Bytes of output lines kept per test for reports; the rest is counted only. */
#define TJ_GT_MAX_TEST_OUTPUT (256 * 1024)

#endif
