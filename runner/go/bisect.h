/* The search of `testjail bisect-memory`, apart from running anything: it
 * asks a runner (the real one runs the test binary in a sandbox with that
 * memory limit; unit tests pass a fake) and decides the next limit. Pure.
 *
 * 1. measure: `runs` runs without a limit; their peak plus the tolerance
 *    is the upper bound.
 * 2. the bound must pass: if it fails, raise it by half until it passes
 *    (at most 4 times the peak).
 * 3. binary search between the floor and the bound, each limit run `runs`
 *    times and passing only when every run passed, until the smallest
 *    passing and the largest failing limit are at most `tolerance` apart;
 *    the floor itself is tried when nothing below the answer failed.
 * 4. confirm: the answer is run `runs` times more; if that fails, the next
 *    passing limit up is the answer; with none left, a limit an eighth (at
 *    least the tolerance) above all tried is tried; the gap between the new
 *    answer and the largest failure below it is bisected again down to the
 *    tolerance, and that answer confirmed in turn.
 * The answer is read from all the tries (tj_bisect_answer): the smallest
 * limit at which every try passed above every failure (else the smallest at
 * which every try passed), the largest below it at which one failed; flaky
 * when some limit passed while one more than the tolerance higher failed. */
#ifndef TJ_BISECT_H
#define TJ_BISECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "verdict.h"

#define TJ_BISECT_UNLIMITED (-1)
#define TJ_BISECT_DEFAULT_FLOOR (4LL << 20)

enum tj_bisect_kind { TJ_TRY_MEASURE, TJ_TRY_SEARCH, TJ_TRY_CONFIRM };

struct tj_bisect_try {
  enum tj_bisect_kind kind; /* set by the search */
  int64_t limit_bytes;      /* TJ_BISECT_UNLIMITED or bytes; set by the search */
  /* filled by the runner: */
  bool passed;
  char outcome[32];
  enum tj_outcome verdict; /* the outcome, typed */
  int64_t peak_bytes;      /* -1: unknown */
  int64_t duration_ms;
  char running[96];    /* the test running when it failed, "" */
  char diagnosis[512]; /* the try's, as its result says it */
};

/* Run once at limit; fill out. < 0 stops the search (interrupted, a fault
 * that is no try's result); that value is returned by tj_bisect_search. */
typedef int (*tj_bisect_run_fn)(void *ctx, int64_t limit, struct tj_bisect_try *out);

struct tj_bisect_cfg {
  int64_t floor_bytes; /* the lowest limit tried */
  int64_t tolerance_bytes;
  int runs; /* >= 1 */
};

struct tj_bisect_answer {
  bool unlimited_failed;  /* no unlimited run passed: nothing to search */
  int64_t unlimited_peak; /* max peak of the unlimited runs that passed; -1 */
  int64_t min_passing;    /* -1: no limit passed every time */
  int64_t max_failing;    /* -1: none below min_passing failed */
  int max_failing_try;    /* index of the last failed try at max_failing, -1 */
  int unlimited_fail_try; /* index of a failed unlimited try, -1 */
  bool flaky;
};

struct tj_bisect {
  struct tj_bisect_cfg cfg;
  struct tj_bisect_try *tries;
  int n, cap;
};

void tj_bisect_init(struct tj_bisect *b, const struct tj_bisect_cfg *cfg);
void tj_bisect_free(struct tj_bisect *b);

/* Runs the whole search through run. 0 when done (read the answer), or
 * what run returned (< 0), or -ENOMEM, or -ENODATA when the unlimited run
 * passed with no peak known. */
int tj_bisect_search(struct tj_bisect *b, tj_bisect_run_fn run, void *ctx);

/* The answer from the tries so far. */
void tj_bisect_answer(const struct tj_bisect *b, struct tj_bisect_answer *a);

/* bisect-memory's `bisect` object (contract): min_passing_bytes,
 * max_failing_bytes, unlimited_peak_bytes, flaky, tries [{limit_bytes,
 * outcome, peak_bytes, duration_ms, kind, test, diagnosis, timeline}];
 * results[i] is try i's result object as tj_job_test made it (borrowed). */
json_t *tj_bisect_report(const struct tj_bisect *b, const struct tj_bisect_answer *a, json_t *results);

#endif
