/* What `testjail test` prints, in the formats Go users and CI tools already
 * read: go test's text (the ok/FAIL lines, non-verbose --- FAIL blocks
 * rebuilt from the -test.v stream), go test -json events, JUnit XML. Pure:
 * everything is rendered into buffers; the caller writes them. */
#ifndef TJ_TESTOUT_H
#define TJ_TESTOUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"
#include "go/gotest.h"

/* One go test -json event line (test2json's field order: Time, Action,
 * Package, Test, Elapsed, Output). */
void tj_json_event(struct tj_buf *b, const struct timespec *when, const char *pkg, const struct tj_gt_event *ev);

/* go test's non-verbose text for one test event: lines the test printed
 * directly, and the --- FAIL block of a top-level test that failed (its
 * log lines and failed subtests, indented by depth). t is the parser that
 * produced ev. */
void tj_text_event(struct tj_buf *b, const struct tj_gotest *t, const struct tj_gt_event *ev);

/* "0.123s" as go test prints a package's time. */
void tj_format_seconds(char *buf, size_t len, double seconds);

/* The table that ends a run of several packages, for stderr: a row per
 * package (result objects as for tj_junit_write, with usage.memory_peak_bytes
 * where known): package, outcome, time, peak memory, and its diagnosis but
 * for a plain pass. After thousands of lines of a crash's stacks, the
 * reasons are what is left on screen. */
void tj_summary_table(struct tj_buf *b, json_t *packages);

/* The report's tests.cases of a package: [{name, status (pass, fail, skip
 * as go test -json and the timeline say, or running or paused when the
 * binary ended before the test did),
 * duration_ms (null when never reported), output}] in the order the tests
 * started. output, only of a test that did not pass, is what JUnit puts in its
 * failure, skipped or error element: the lines the test printed itself, as
 * much as the parser keeps (TJ_GT_MAX_TEST_OUTPUT), invalid UTF-8 replaced.
 * A passing test's output is left out: the report is not a log. */
json_t *tj_test_cases(const struct tj_gotest *gt);

/* JUnit XML of the packages (each a package's result object as the report
 * holds it: package, phase, outcome, diagnosis, evidence, tests.cases
 * [{name, status, duration_ms, output}], and elapsed or else duration_ms)
 * to path, atomically. testjail test and report merge both write theirs
 * here, so a merge of shards renders what one run would. */
int tj_junit_write(const char *path, json_t *packages, tj_error *err);

#endif
