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

/* JUnit XML of the packages (each the result object of one package: package,
 * outcome, diagnosis, elapsed, evidence, junit_tests [{name, status,
 * elapsed, output}]) to path, atomically. */
int tj_junit_write(const char *path, json_t *packages, tj_error *err);

#endif
