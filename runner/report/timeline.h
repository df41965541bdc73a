/* The memory timeline of one run: the cgroup's counters sampled at a fixed
 * interval, the span of each test (from the -test.v stream's events) and the
 * moment of the first OOM kill, and what the cgroup recorded itself when the
 * run ended (its memory peak, the limit's failure counters), which a sample
 * interval can miss. Pure: filled by the caller, rendered to the
 * report's JSON; a plot is drawn from that JSON (plot.h). */
#ifndef TJ_TIMELINE_H
#define TJ_TIMELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup/cgroup.h"

struct tj_tl_span {
  char *name;
  int depth;                /* 0 for a top-level test */
  int64_t start_ms, end_ms; /* end -1: still running when the run ended */
  char status[8];           /* "pass", "fail", "skip", "" while running */
};

struct tj_timeline {
  int64_t interval_ms;
  int64_t limit_bytes; /* -1: none */
  size_t n, cap;       /* samples */
  int64_t *t_ms, *memory, *pids, *psi_some, *psi_full;
  int64_t *peak; /* the cgroup's own peak counter at each sample */
  bool any_psi;
  struct tj_tl_span *spans;
  size_t n_spans, cap_spans;
  int64_t oom_ms;     /* -1: no OOM kill seen */
  char oom_test[96];  /* the innermost test running then */
  int64_t end_ms;     /* last time seen */
  int64_t pids_limit; /* -1: none */
  bool finished;      /* tj_timeline_finish was called */
  struct tj_cg_stats final;
};

/* capacity_hint: samples to allocate up front (e.g. the wall timeout over
 * the interval), so that sampling rarely allocates. */
int tj_timeline_init(struct tj_timeline *tl, int64_t interval_ms, int64_t limit_bytes, size_t capacity_hint);
/* The hint for a run under wall_timeout_ms (-1: none) sampled every interval_ms. */
size_t tj_timeline_hint(int64_t wall_timeout_ms, int64_t interval_ms);
void tj_timeline_free(struct tj_timeline *tl);

/* Samples must come in time order; a time earlier than the last one is
 * clamped to it, so the series stays monotonic. */
void tj_timeline_sample(struct tj_timeline *tl, int64_t t_ms, const struct tj_cg_sample *s);

void tj_timeline_test_start(struct tj_timeline *tl, const char *name, int64_t t_ms);
/* status "pass", "fail" or "skip"; the latest running span of that name. */
void tj_timeline_test_end(struct tj_timeline *tl, const char *name, const char *status, int64_t t_ms);

/* What the cgroup counted over the whole run, read after it ended, and the
 * pids limit (-1: none). */
void tj_timeline_finish(struct tj_timeline *tl, const struct tj_cg_stats *st, int64_t pids_limit);

/* The innermost test running now ("" when none). */
const char *tj_timeline_running(const struct tj_timeline *tl);

/* {interval_ms, limit_bytes, t_ms[], memory_bytes[], pids[],
 *  memory_pressure_some_us[], memory_pressure_full_us[] (null entries where
 *  not kept), memory_peak_bytes[] (the peak counter at each sample),
 *  tests [{name, depth, start_ms, end_ms, status}], oom {t_ms, test} | null,
 *  pids_limit, recorded {memory_peak_bytes, memory_peak_from,
 *  memory_max_events, oom_kills, pids_peak, pids_limit_hits} | null} */
json_t *tj_timeline_json(const struct tj_timeline *tl);

#endif
