/* bisect-memory's search against fake runners: a deterministic threshold,
 * a need above the unlimited peak, an unlimited failure, the floor, a flaky
 * need, a runner that stops the search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "go/bisect.h"

#define MiB (1LL << 20)

struct fake {
  int64_t need; /* passes at limit >= need */
  int64_t unlimited_peak;
  int64_t high_need; /* flaky: every other run needs this much */
  bool unlimited_fails;
  int calls, stop_after; /* stop_after > 0: return -EINTR on that call */
  int high_after;        /* > 0: from this call on, high_need always */
};

static int fake_run(void *ctx, int64_t limit, struct tj_bisect_try *t) {
  struct fake *f = ctx;
  f->calls++;
  if (f->stop_after && f->calls == f->stop_after)
    return -EINTR;
  int64_t need = f->need;
  if (f->high_need && (f->high_after ? f->calls > f->high_after : f->calls % 2 == 0))
    need = f->high_need;
  if (limit == TJ_BISECT_UNLIMITED) {
    t->passed = !f->unlimited_fails;
    t->peak_bytes = f->unlimited_peak;
  } else {
    t->passed = limit >= need;
    t->peak_bytes = t->passed ? need : limit;
  }
  snprintf(t->outcome, sizeof(t->outcome), "%s", t->passed ? "passed" : "oom_killed");
  if (!t->passed)
    snprintf(t->running, sizeof(t->running), "TestAlloc");
  t->duration_ms = 10;
  return 0;
}

static void search(struct tj_bisect *b, struct fake *f, int64_t floor, int64_t tol, int runs,
                   struct tj_bisect_answer *a) {
  struct tj_bisect_cfg cfg = {.floor_bytes = floor, .tolerance_bytes = tol, .runs = runs};
  tj_bisect_init(b, &cfg);
  assert_int_equal(tj_bisect_search(b, fake_run, f), 0);
  tj_bisect_answer(b, a);
}

static void test_threshold_within_tolerance(void **state) {
  struct fake f = {.need = 83 * MiB + 12345, .unlimited_peak = 90 * MiB};
  struct tj_bisect b;
  struct tj_bisect_answer a;
  search(&b, &f, 4 * MiB, MiB, 1, &a);
  assert_false(a.unlimited_failed);
  assert_false(a.flaky);
  assert_int_equal(a.unlimited_peak, 90 * MiB);
  assert_true(a.min_passing >= f.need);
  assert_true(a.max_failing < f.need);
  assert_true(a.min_passing - a.max_failing <= MiB);
  assert_int_equal(a.min_passing % 4096, 0);
  assert_int_equal(b.tries[a.max_failing_try].limit_bytes, a.max_failing);
  assert_string_equal(b.tries[a.max_failing_try].outcome, "oom_killed");
  assert_string_equal(b.tries[a.max_failing_try].running, "TestAlloc");
  /* measure, the bound, ~log2(86) halvings, one confirmation */
  assert_true(b.n <= 12);
  assert_int_equal(b.tries[0].kind, TJ_TRY_MEASURE);
  assert_int_equal(b.tries[b.n - 1].kind, TJ_TRY_CONFIRM);
  assert_int_equal(b.tries[b.n - 1].limit_bytes, a.min_passing);
  tj_bisect_free(&b);
}

static void test_runs_repeat_each_step(void **state) {
  struct fake f = {.need = 20 * MiB, .unlimited_peak = 30 * MiB};
  struct tj_bisect b;
  struct tj_bisect_answer a;
  search(&b, &f, 4 * MiB, MiB, 3, &a);
  assert_int_equal(b.n % 3, 0);
  for (int i = 0; i < b.n; i += 3) {
    assert_int_equal(b.tries[i].limit_bytes, b.tries[i + 1].limit_bytes);
    assert_int_equal(b.tries[i].limit_bytes, b.tries[i + 2].limit_bytes);
  }
  assert_true(a.min_passing >= 20 * MiB && a.min_passing - a.max_failing <= MiB);
  assert_false(a.flaky);
  tj_bisect_free(&b);
}

static void test_need_above_peak_raises_bound(void **state) {
  struct fake f = {.need = 50 * MiB, .unlimited_peak = 40 * MiB};
  struct tj_bisect b;
  struct tj_bisect_answer a;
  search(&b, &f, 4 * MiB, MiB, 1, &a);
  assert_true(a.min_passing >= 50 * MiB);
  assert_true(a.max_failing >= 40 * MiB); /* the failed bound counts */
  assert_true(a.min_passing - a.max_failing <= MiB);
  tj_bisect_free(&b);
}

static void test_nothing_passes(void **state) {
  struct fake f = {.need = 1000 * MiB, .unlimited_peak = 10 * MiB};
  struct tj_bisect b;
  struct tj_bisect_answer a;
  search(&b, &f, 4 * MiB, MiB, 1, &a);
  assert_int_equal(a.min_passing, -1);
  assert_true(a.max_failing >= 40 * MiB);
  assert_false(a.unlimited_failed);
  tj_bisect_free(&b);
}

static void test_unlimited_fails(void **state) {
  struct fake f = {.need = 10 * MiB, .unlimited_peak = 10 * MiB, .unlimited_fails = true};
  struct tj_bisect b;
  struct tj_bisect_answer a;
  search(&b, &f, 4 * MiB, MiB, 2, &a);
  assert_true(a.unlimited_failed);
  assert_false(a.flaky);
  assert_int_equal(b.n, 2);
  assert_int_equal(a.min_passing, -1);
  assert_true(a.unlimited_fail_try >= 0);
  tj_bisect_free(&b);
}

static void test_floor_passes(void **state) {
  struct fake f = {.need = 2 * MiB, .unlimited_peak = 12 * MiB};
  struct tj_bisect b;
  struct tj_bisect_answer a;
  search(&b, &f, 4 * MiB, MiB, 1, &a);
  assert_int_equal(a.min_passing, 4 * MiB);
  assert_int_equal(a.max_failing, -1);
  tj_bisect_free(&b);
}

static void test_flaky_detected(void **state) {
  /* every other run needs 40 MiB instead of 10 */
  struct fake f = {.need = 10 * MiB, .high_need = 40 * MiB, .unlimited_peak = 42 * MiB};
  struct tj_bisect b;
  struct tj_bisect_answer a;
  search(&b, &f, 4 * MiB, MiB, 2, &a);
  assert_true(a.flaky);
  /* the answer passed every time: only limits that cover the high need do */
  assert_true(a.min_passing >= 40 * MiB);
  tj_bisect_free(&b);
}

/* A steady need's search: the number of tries before the confirmation (a
 * fake's high_after, to change the need just then), and its answer unless
 * answer is NULL. */
static int tries_before_confirm(struct fake probe, int64_t floor, int64_t *answer) {
  struct tj_bisect b;
  struct tj_bisect_answer a;
  search(&b, &probe, floor, MiB, 1, &a);
  int n = b.n - 1;
  if (answer)
    *answer = a.min_passing;
  tj_bisect_free(&b);
  return n;
}

/* The last try confirmed the answer and passed. */
static void assert_confirmed(const struct tj_bisect *b, const struct tj_bisect_answer *a) {
  assert_int_equal(b->tries[b->n - 1].kind, TJ_TRY_CONFIRM);
  assert_int_equal(b->tries[b->n - 1].limit_bytes, a->min_passing);
  assert_true(b->tries[b->n - 1].passed);
}

static void test_confirmation_moves_answer(void **state) {
  /* the need grows just when the answer is confirmed: that confirmation
   * fails, and the answer moves up to the next limit that passed every time */
  int before_confirm = tries_before_confirm((struct fake){.need = 10 * MiB, .unlimited_peak = 42 * MiB}, 4 * MiB, NULL);
  struct tj_bisect b;
  struct tj_bisect_answer a;
  struct fake f = {.need = 10 * MiB, .high_need = 40 * MiB, .unlimited_peak = 42 * MiB, .high_after = before_confirm};
  search(&b, &f, 4 * MiB, MiB, 1, &a);
  assert_true(a.flaky);
  assert_true(a.min_passing >= 40 * MiB);
  for (int i = 0; i < b.n; i++)
    if (b.tries[i].limit_bytes == a.min_passing)
      assert_true(b.tries[i].passed);
  assert_confirmed(&b, &a);
  tj_bisect_free(&b);
}

static void test_confirmation_failure_narrowed_to_tolerance(void **state) {
  /* the need grows by half the tolerance just when the answer is
   * confirmed: the answer moves up to the next limit that passed every
   * time, further than the tolerance from the highest failure, and the gap
   * is bisected again, so the answer keeps the resolution asked for */
  int64_t first;
  int before_confirm =
      tries_before_confirm((struct fake){.need = 10 * MiB, .unlimited_peak = 42 * MiB}, 4 * MiB, &first);
  struct tj_bisect b;
  struct tj_bisect_answer a;
  struct fake f = {
      .need = 10 * MiB, .high_need = 10 * MiB + MiB / 2, .unlimited_peak = 42 * MiB, .high_after = before_confirm};
  search(&b, &f, 4 * MiB, MiB, 1, &a);
  assert_true(a.min_passing > first);
  assert_true(a.min_passing >= f.high_need);
  assert_true(a.max_failing >= 0);
  assert_true(a.min_passing - a.max_failing <= MiB);
  assert_false(a.flaky);
  assert_confirmed(&b, &a);
  tj_bisect_free(&b);
}

static void test_confirmation_fails_at_the_bound(void **state) {
  /* the only limit that passed is the bound; its confirmation fails: the
   * search goes above every limit tried until one passes and is confirmed */
  /* the floor just under the peak: only the bound passes */
  int64_t first;
  int before_confirm =
      tries_before_confirm((struct fake){.need = 20 * MiB, .unlimited_peak = 30 * MiB}, 29 * MiB, &first);
  assert_int_equal(first, 29 * MiB);
  struct tj_bisect b;
  struct tj_bisect_answer a;
  struct fake f = {.need = 20 * MiB, .high_need = 33 * MiB, .unlimited_peak = 30 * MiB, .high_after = before_confirm};
  search(&b, &f, 29 * MiB, MiB, 1, &a);
  assert_true(a.flaky);
  assert_true(a.min_passing >= 33 * MiB);
  assert_confirmed(&b, &a);
  tj_bisect_free(&b);
}

static void test_runner_stops_search(void **state) {
  struct fake f = {.need = 10 * MiB, .unlimited_peak = 20 * MiB, .stop_after = 3};
  struct tj_bisect b;
  struct tj_bisect_cfg cfg = {.floor_bytes = 4 * MiB, .tolerance_bytes = MiB, .runs = 1};
  tj_bisect_init(&b, &cfg);
  assert_int_equal(tj_bisect_search(&b, fake_run, &f), -EINTR);
  assert_int_equal(b.n, 2);
  tj_bisect_free(&b);
}

/* the answer a search with this tolerance reads from these tries */
static struct tj_bisect_answer answer_of(struct tj_bisect_try *t, int n, int64_t tol) {
  struct tj_bisect b;
  struct tj_bisect_cfg cfg = {.floor_bytes = MiB, .tolerance_bytes = tol, .runs = 1};
  tj_bisect_init(&b, &cfg);
  b.tries = t;
  b.n = n;
  struct tj_bisect_answer a;
  tj_bisect_answer(&b, &a);
  return a;
}

static void test_answer_from_tries(void **state) {
  /* pass at 30, fail at 40: flaky; min passing 30 (every try there passed) */
  struct tj_bisect_try t[] = {
      {.limit_bytes = TJ_BISECT_UNLIMITED, .passed = true, .peak_bytes = 50 * MiB},
      {.limit_bytes = 40 * MiB, .passed = false},
      {.limit_bytes = 30 * MiB, .passed = true},
      {.limit_bytes = 20 * MiB, .passed = false},
      {.limit_bytes = 25 * MiB, .passed = true},
      {.limit_bytes = 25 * MiB, .passed = false},
  };
  struct tj_bisect_answer a = answer_of(t, 6, MiB);
  assert_true(a.flaky);
  assert_int_equal(a.min_passing, 30 * MiB);
  assert_int_equal(a.max_failing, 25 * MiB);
  assert_int_equal(a.max_failing_try, 5);
  assert_int_equal(a.unlimited_peak, 50 * MiB);
}

static void test_wobble_within_tolerance(void **state) {
  /* a pass at 54 and a failure at 55 with a 2 MiB tolerance: the need moves
   * by less than the resolution asked for; not flaky, and the answer is the
   * lowest limit that passed every time above every failure */
  struct tj_bisect_try t[] = {
      {.limit_bytes = TJ_BISECT_UNLIMITED, .passed = true, .peak_bytes = 54 * MiB},
      {.limit_bytes = 56 * MiB, .passed = true},
      {.limit_bytes = 30 * MiB, .passed = false},
      {.limit_bytes = 54 * MiB, .passed = true},
      {.limit_bytes = 55 * MiB, .passed = false},
  };
  struct tj_bisect_answer a = answer_of(t, 5, 2 * MiB);
  assert_false(a.flaky);
  assert_int_equal(a.min_passing, 56 * MiB);
  assert_int_equal(a.max_failing, 55 * MiB);
  /* the same failure 3 MiB above the pass, more than the tolerance: flaky */
  t[4].limit_bytes = 57 * MiB;
  assert_true(answer_of(t, 5, 2 * MiB).flaky);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_threshold_within_tolerance),
      cmocka_unit_test(test_runs_repeat_each_step),
      cmocka_unit_test(test_need_above_peak_raises_bound),
      cmocka_unit_test(test_nothing_passes),
      cmocka_unit_test(test_unlimited_fails),
      cmocka_unit_test(test_floor_passes),
      cmocka_unit_test(test_flaky_detected),
      cmocka_unit_test(test_wobble_within_tolerance),
      cmocka_unit_test(test_confirmation_moves_answer),
      cmocka_unit_test(test_confirmation_failure_narrowed_to_tolerance),
      cmocka_unit_test(test_confirmation_fails_at_the_bound),
      cmocka_unit_test(test_runner_stops_search),
      cmocka_unit_test(test_answer_from_tries),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
