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

#include "error.h"
#include "gotest.h"

struct tj_buf {
  char *p;
  size_t len, cap;
};

void tj_buf_add(struct tj_buf *b, const char *s, size_t n);
void tj_buf_printf(struct tj_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tj_buf_free(struct tj_buf *b);

/* s as a JSON string (quotes included); invalid UTF-8 becomes U+FFFD, as
 * Go's encoding/json does. */
void tj_json_quote(struct tj_buf *b, const char *s, size_t n);

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

/* s made safe for XML text and attributes: escaped, without the control
 * characters XML 1.0 forbids, invalid UTF-8 replaced. */
void tj_xml_escape(struct tj_buf *b, const char *s, size_t n);

#endif
