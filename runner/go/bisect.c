#include "go/bisect.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096
/* the number of confirmations is bounded by the distinct limits tried;
 * this only guards against a runner that never settles */
#define MAX_CONFIRM 16
/* halvings of the gaps that failed confirmations open: 4 KiB pages between
 * the floor and 4x the peak take fewer than 40 each */
#define MAX_NARROW 128

static int64_t align_up(int64_t v) { return (v + PAGE - 1) / PAGE * PAGE; }
static int64_t align_down(int64_t v) { return v / PAGE * PAGE; }

void tj_bisect_init(struct tj_bisect *b, const struct tj_bisect_cfg *cfg) {
  memset(b, 0, sizeof(*b));
  b->cfg = *cfg;
  if (b->cfg.runs < 1)
    b->cfg.runs = 1;
  if (b->cfg.tolerance_bytes < PAGE)
    b->cfg.tolerance_bytes = PAGE;
  if (b->cfg.floor_bytes < PAGE)
    b->cfg.floor_bytes = PAGE;
}

void tj_bisect_free(struct tj_bisect *b) {
  free(b->tries);
  b->tries = NULL;
  b->n = b->cap = 0;
}

static int try_once(struct tj_bisect *b, enum tj_bisect_kind kind, int64_t limit, tj_bisect_run_fn run, void *ctx) {
  if (b->n == b->cap) {
    int cap = b->cap ? b->cap * 2 : 32;
    struct tj_bisect_try *p = realloc(b->tries, (size_t)cap * sizeof(*p));
    if (!p)
      return -ENOMEM;
    b->tries = p;
    b->cap = cap;
  }
  struct tj_bisect_try *t = &b->tries[b->n];
  memset(t, 0, sizeof(*t));
  t->peak_bytes = -1;
  int r = run(ctx, limit, t);
  if (r < 0)
    return r;
  t->kind = kind; /* the runner cannot change what was asked */
  t->limit_bytes = limit;
  b->n++;
  return t->passed ? 1 : 0;
}

/* runs times at limit: 1 when every run passed, 0 when one failed, < 0. */
static int step(struct tj_bisect *b, enum tj_bisect_kind kind, int64_t limit, tj_bisect_run_fn run, void *ctx) {
  int all = 1;
  for (int i = 0; i < b->cfg.runs; i++) {
    int r = try_once(b, kind, limit, run, ctx);
    if (r < 0)
      return r;
    all &= r;
  }
  return all;
}

/* Unlimited is above every limit. */
static int64_t rank(int64_t limit) { return limit == TJ_BISECT_UNLIMITED ? INT64_MAX : limit; }

void tj_bisect_answer(const struct tj_bisect *b, struct tj_bisect_answer *a) {
  *a = (struct tj_bisect_answer){
      .unlimited_peak = -1, .min_passing = -1, .max_failing = -1, .max_failing_try = -1, .unlimited_fail_try = -1};
  bool unlimited_passed = false, any_unlimited = false, any_pass = false;
  int64_t lowest_pass = INT64_MAX, highest_fail = -1;
  for (int i = 0; i < b->n; i++) {
    const struct tj_bisect_try *t = &b->tries[i];
    int64_t r = rank(t->limit_bytes);
    any_pass |= t->passed;
    if (t->passed && r < lowest_pass)
      lowest_pass = r;
    if (!t->passed && r > highest_fail)
      highest_fail = r;
    if (t->limit_bytes == TJ_BISECT_UNLIMITED) {
      any_unlimited = true;
      if (t->passed) {
        unlimited_passed = true;
        if (t->peak_bytes > a->unlimited_peak)
          a->unlimited_peak = t->peak_bytes;
      } else {
        a->unlimited_fail_try = i;
      }
      continue;
    }
  }
  /* the answer: the lowest limit that passed every time above every failure,
   * or, with none there, the lowest that passed every time */
  int64_t above = -1;
  for (int i = 0; i < b->n; i++) {
    const struct tj_bisect_try *t = &b->tries[i];
    if (!t->passed || t->limit_bytes == TJ_BISECT_UNLIMITED)
      continue;
    bool every = true;
    for (int j = 0; j < b->n && every; j++)
      every = b->tries[j].limit_bytes != t->limit_bytes || b->tries[j].passed;
    if (!every)
      continue;
    if (a->min_passing < 0 || t->limit_bytes < a->min_passing)
      a->min_passing = t->limit_bytes;
    if (t->limit_bytes > highest_fail && (above < 0 || t->limit_bytes < above))
      above = t->limit_bytes;
  }
  if (above >= 0)
    a->min_passing = above;
  a->unlimited_failed = any_unlimited && !unlimited_passed;
  /* a need that moves by less than the tolerance asked for is within the
   * answer's resolution, not flaky */
  a->flaky = any_pass && lowest_pass <= highest_fail && highest_fail - lowest_pass > b->cfg.tolerance_bytes;
  for (int i = 0; i < b->n; i++) {
    const struct tj_bisect_try *t = &b->tries[i];
    if (t->passed || t->limit_bytes == TJ_BISECT_UNLIMITED)
      continue;
    if (a->min_passing >= 0 && t->limit_bytes >= a->min_passing)
      continue;
    if (t->limit_bytes >= a->max_failing) {
      a->max_failing = t->limit_bytes;
      a->max_failing_try = i;
    }
  }
}

static bool confirmed(const struct tj_bisect *b, int64_t limit) {
  for (int i = 0; i < b->n; i++)
    if (b->tries[i].kind == TJ_TRY_CONFIRM && b->tries[i].limit_bytes == limit)
      return true;
  return false;
}

int tj_bisect_search(struct tj_bisect *b, tj_bisect_run_fn run, void *ctx) {
  int r = step(b, TJ_TRY_MEASURE, TJ_BISECT_UNLIMITED, run, ctx);
  if (r < 0)
    return r;
  struct tj_bisect_answer a;
  tj_bisect_answer(b, &a);
  if (a.unlimited_failed)
    return 0;
  if (a.unlimited_peak <= 0)
    return -ENODATA;

  /* the upper bound must pass; a tolerance above the peak, since a run may
   * need a little more than the one measured */
  int64_t lo = -1, hi = align_up(a.unlimited_peak + b->cfg.tolerance_bytes);
  for (;;) {
    if ((r = step(b, TJ_TRY_SEARCH, hi, run, ctx)) < 0)
      return r;
    if (r)
      break;
    lo = hi;
    if (hi >= 4 * a.unlimited_peak)
      return 0; /* nothing passes: the answer says so */
    hi = align_up(hi + hi / 2);
  }

  /* binary search; lo is a tested failure, or the untested floor */
  bool lo_tested = lo >= 0;
  if (!lo_tested)
    lo = align_down(b->cfg.floor_bytes < hi ? b->cfg.floor_bytes : hi);
  while (hi - lo > b->cfg.tolerance_bytes) {
    int64_t mid = align_down(lo + (hi - lo) / 2);
    if (mid <= lo || mid >= hi)
      break;
    if ((r = step(b, TJ_TRY_SEARCH, mid, run, ctx)) < 0)
      return r;
    if (r) {
      hi = mid;
    } else {
      lo = mid;
      lo_tested = true;
    }
  }
  if (!lo_tested && lo < hi && lo > 0 && (r = step(b, TJ_TRY_SEARCH, lo, run, ctx)) < 0)
    return r;

  /* confirm the answer; a failure moves it up to the next limit that passed
   * every time, or, with none left, to a new one above all tried, and the
   * gap from the highest failure below it is bisected again down to the
   * tolerance */
  for (int steps = 0, narrowed = 0; steps < MAX_CONFIRM;) {
    tj_bisect_answer(b, &a);
    if (a.min_passing >= 0) {
      int64_t mid = a.max_failing >= 0 ? align_down(a.max_failing + (a.min_passing - a.max_failing) / 2) : -1;
      if (a.min_passing - a.max_failing > b->cfg.tolerance_bytes && mid > a.max_failing && mid < a.min_passing &&
          narrowed < MAX_NARROW) {
        if ((r = step(b, TJ_TRY_SEARCH, mid, run, ctx)) < 0)
          return r;
        narrowed++;
        continue;
      }
      if (confirmed(b, a.min_passing))
        break;
      if ((r = step(b, TJ_TRY_CONFIRM, a.min_passing, run, ctx)) < 0)
        return r;
      steps++;
      continue;
    }
    int64_t top = 0;
    for (int k = 0; k < b->n; k++)
      if (b->tries[k].limit_bytes > top)
        top = b->tries[k].limit_bytes;
    int64_t up = top / 8 > b->cfg.tolerance_bytes ? top / 8 : b->cfg.tolerance_bytes;
    int64_t next = align_up(top + up);
    if (next > 4 * a.unlimited_peak)
      break;
    if ((r = step(b, TJ_TRY_SEARCH, next, run, ctx)) < 0)
      return r;
    steps++;
  }
  return 0;
}

static json_t *int_or_null(int64_t v) { return v >= 0 ? json_integer(v) : json_null(); }

json_t *tj_bisect_report(const struct tj_bisect *b, const struct tj_bisect_answer *a, json_t *results) {
  static const char *kinds[] = {"measure", "search", "confirm"};
  json_t *o = json_object();
  json_object_set_new(o, "min_passing_bytes", int_or_null(a->min_passing));
  json_object_set_new(o, "max_failing_bytes", int_or_null(a->max_failing));
  json_object_set_new(o, "unlimited_peak_bytes", int_or_null(a->unlimited_peak));
  json_object_set_new(o, "flaky", json_boolean(a->flaky));
  json_object_set_new(o, "tolerance_bytes", json_integer(b->cfg.tolerance_bytes));
  json_object_set_new(o, "floor_bytes", json_integer(b->cfg.floor_bytes));
  json_object_set_new(o, "runs", json_integer(b->cfg.runs));
  const struct tj_bisect_try *mf = a->max_failing_try >= 0 ? &b->tries[a->max_failing_try] : NULL;
  json_object_set_new(o, "max_failing_outcome", mf ? json_string(mf->outcome) : json_null());
  json_object_set_new(o, "max_failing_test", mf && mf->running[0] ? json_string(mf->running) : json_null());
  json_t *tries = json_array();
  for (int i = 0; i < b->n; i++) {
    const struct tj_bisect_try *t = &b->tries[i];
    json_t *r = json_array_get(results, (size_t)i);
    json_t *tj = json_object();
    json_object_set_new(tj, "limit_bytes", int_or_null(t->limit_bytes));
    json_object_set_new(tj, "outcome", json_string(t->outcome));
    json_object_set_new(tj, "peak_bytes", int_or_null(t->peak_bytes));
    json_object_set_new(tj, "duration_ms", int_or_null(t->duration_ms));
    json_object_set_new(tj, "kind", json_string(kinds[t->kind]));
    json_object_set_new(tj, "test", t->running[0] ? json_string(t->running) : json_null());
    json_object_set_new(tj, "diagnosis", t->diagnosis[0] ? json_string(t->diagnosis) : json_null());
    json_t *g = json_object_get(r, "gomemlimit");
    json_object_set_new(tj, "gomemlimit", g ? json_incref(g) : json_null());
    json_t *tl = json_object_get(r, "timeline");
    json_object_set_new(tj, "timeline", tl ? json_incref(tl) : json_null());
    json_array_append_new(tries, tj);
  }
  json_object_set_new(o, "tries", tries);
  return o;
}
