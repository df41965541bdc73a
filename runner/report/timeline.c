#include "report/timeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(struct tj_timeline *tl, size_t cap) {
  int64_t **cols[] = {&tl->t_ms, &tl->memory, &tl->pids, &tl->psi_some, &tl->psi_full, &tl->peak};
  for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
    int64_t *p = realloc(*cols[i], cap * sizeof(int64_t));
    if (!p)
      return -ENOMEM;
    *cols[i] = p;
  }
  tl->cap = cap;
  return 0;
}

int tj_timeline_init(struct tj_timeline *tl, int64_t interval_ms, int64_t limit_bytes, size_t capacity_hint) {
  memset(tl, 0, sizeof(*tl));
  tl->interval_ms = interval_ms;
  tl->limit_bytes = limit_bytes;
  tl->oom_ms = -1;
  tl->pids_limit = -1;
  if (capacity_hint < 256)
    capacity_hint = 256;
  if (capacity_hint > 1 << 20)
    capacity_hint = 1 << 20;
  return grow(tl, capacity_hint);
}

size_t tj_timeline_hint(int64_t wall_timeout_ms, int64_t interval_ms) {
  return wall_timeout_ms > 0 && interval_ms > 0 ? (size_t)(wall_timeout_ms / interval_ms) + 2 : 4096;
}

void tj_timeline_free(struct tj_timeline *tl) {
  free(tl->t_ms);
  free(tl->memory);
  free(tl->pids);
  free(tl->psi_some);
  free(tl->psi_full);
  free(tl->peak);
  for (size_t i = 0; i < tl->n_spans; i++)
    free(tl->spans[i].name);
  free(tl->spans);
  memset(tl, 0, sizeof(*tl));
  tl->oom_ms = -1;
}

const char *tj_timeline_running(const struct tj_timeline *tl) {
  const struct tj_tl_span *best = NULL;
  for (size_t i = 0; i < tl->n_spans; i++)
    if (tl->spans[i].end_ms < 0 && (!best || tl->spans[i].depth >= best->depth))
      best = &tl->spans[i];
  return best ? best->name : "";
}

static int64_t clamp_time(struct tj_timeline *tl, int64_t t_ms) {
  if (t_ms < tl->end_ms)
    t_ms = tl->end_ms;
  tl->end_ms = t_ms;
  return t_ms;
}

void tj_timeline_sample(struct tj_timeline *tl, int64_t t_ms, const struct tj_cg_sample *s) {
  t_ms = clamp_time(tl, t_ms);
  if (tl->n == tl->cap && grow(tl, tl->cap ? tl->cap * 2 : 256) < 0)
    return; /* out of memory: the series stops, the run goes on */
  size_t i = tl->n++;
  tl->t_ms[i] = t_ms;
  tl->memory[i] = s->memory_bytes;
  tl->pids[i] = s->pids;
  tl->psi_some[i] = s->psi_some_us;
  tl->psi_full[i] = s->psi_full_us;
  tl->peak[i] = s->memory_peak_bytes;
  tl->any_psi |= s->psi_some_us >= 0;
  if (tl->oom_ms < 0 && s->oom_kills > 0) {
    tl->oom_ms = t_ms;
    snprintf(tl->oom_test, sizeof(tl->oom_test), "%s", tj_timeline_running(tl));
  }
}

void tj_timeline_test_start(struct tj_timeline *tl, const char *name, int64_t t_ms) {
  t_ms = clamp_time(tl, t_ms);
  if (tl->n_spans == tl->cap_spans) {
    size_t cap = tl->cap_spans ? tl->cap_spans * 2 : 32;
    struct tj_tl_span *p = realloc(tl->spans, cap * sizeof(*p));
    if (!p)
      return;
    tl->spans = p;
    tl->cap_spans = cap;
  }
  char *copy = strdup(name);
  if (!copy)
    return;
  int depth = 0;
  for (const char *c = name; *c; c++)
    depth += *c == '/';
  tl->spans[tl->n_spans++] = (struct tj_tl_span){.name = copy, .depth = depth, .start_ms = t_ms, .end_ms = -1};
}

void tj_timeline_test_end(struct tj_timeline *tl, const char *name, const char *status, int64_t t_ms) {
  t_ms = clamp_time(tl, t_ms);
  for (size_t i = tl->n_spans; i-- > 0;)
    if (tl->spans[i].end_ms < 0 && strcmp(tl->spans[i].name, name) == 0) {
      tl->spans[i].end_ms = t_ms;
      snprintf(tl->spans[i].status, sizeof(tl->spans[i].status), "%s", status);
      return;
    }
}

void tj_timeline_finish(struct tj_timeline *tl, const struct tj_cg_stats *st, int64_t pids_limit) {
  tl->final = *st;
  tl->pids_limit = pids_limit;
  tl->finished = true;
}

static json_t *column(const int64_t *v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, v[i] < 0 ? json_null() : json_integer(v[i]));
  return a;
}

json_t *tj_timeline_json(const struct tj_timeline *tl) {
  json_t *o = json_object();
  json_object_set_new(o, "interval_ms", json_integer(tl->interval_ms));
  json_object_set_new(o, "limit_bytes", tl->limit_bytes < 0 ? json_null() : json_integer(tl->limit_bytes));
  json_object_set_new(o, "t_ms", column(tl->t_ms, tl->n));
  json_object_set_new(o, "memory_bytes", column(tl->memory, tl->n));
  json_object_set_new(o, "pids", column(tl->pids, tl->n));
  json_object_set_new(o, "memory_pressure_some_us", tl->any_psi ? column(tl->psi_some, tl->n) : json_null());
  json_object_set_new(o, "memory_pressure_full_us", tl->any_psi ? column(tl->psi_full, tl->n) : json_null());
  json_t *tests = json_array();
  for (size_t i = 0; i < tl->n_spans; i++) {
    const struct tj_tl_span *sp = &tl->spans[i];
    json_t *t = json_object();
    json_object_set_new(t, "name", json_string(sp->name));
    json_object_set_new(t, "depth", json_integer(sp->depth));
    json_object_set_new(t, "start_ms", json_integer(sp->start_ms));
    json_object_set_new(t, "end_ms", sp->end_ms < 0 ? json_null() : json_integer(sp->end_ms));
    json_object_set_new(t, "status", sp->status[0] ? json_string(sp->status) : json_string("running"));
    json_array_append_new(tests, t);
  }
  json_object_set_new(o, "tests", tests);
  if (tl->oom_ms >= 0)
    json_object_set_new(o, "oom",
                        json_pack("{s:I,s:o}", "t_ms", (json_int_t)tl->oom_ms, "test",
                                  tl->oom_test[0] ? json_string(tl->oom_test) : json_null()));
  else
    json_object_set_new(o, "oom", json_null());
  json_object_set_new(o, "end_ms", json_integer(tl->end_ms));
  bool any_peak = false;
  for (size_t i = 0; i < tl->n && !any_peak; i++)
    any_peak = tl->peak[i] >= 0;
  json_object_set_new(o, "memory_peak_bytes", any_peak ? column(tl->peak, tl->n) : json_null());
  json_object_set_new(o, "pids_limit", tl->pids_limit < 0 ? json_null() : json_integer(tl->pids_limit));
  if (tl->finished) {
    const struct tj_cg_stats *f = &tl->final;
    json_t *r = json_object();
    json_object_set_new(r, "memory_peak_bytes",
                        f->memory_peak_bytes < 0 ? json_null() : json_integer(f->memory_peak_bytes));
    json_object_set_new(r, "memory_peak_from", f->memory_peak_from ? json_string(f->memory_peak_from) : json_null());
    json_object_set_new(r, "memory_max_events",
                        f->memory_max_events < 0 ? json_null() : json_integer(f->memory_max_events));
    json_object_set_new(r, "oom_kills", f->oom_kills < 0 ? json_null() : json_integer(f->oom_kills));
    json_object_set_new(r, "pids_peak", f->pids_peak < 0 ? json_null() : json_integer(f->pids_peak));
    json_object_set_new(r, "pids_limit_hits", f->pids_limit_hits < 0 ? json_null() : json_integer(f->pids_limit_hits));
    json_object_set_new(o, "recorded", r);
  } else {
    json_object_set_new(o, "recorded", json_null());
  }
  return o;
}
