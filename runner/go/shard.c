#include "go/shard.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"

uint64_t tj_shard_fnv1a(const char *s) {
  uint64_t h = 14695981039346656037ULL;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}

/* A whole number in [lo, hi], nothing else in s; the callers name the input. */
static bool whole(const char *s, int lo, int hi, int *out) {
  int64_t v;
  tj_error ignored = {0};
  if (tj_parse_int(s, lo, hi, &v, &ignored) < 0)
    return false;
  *out = (int)v;
  return true;
}

#define MAX_SHARDS 100000

int tj_shard_parse(const char *arg, struct tj_shard *s, tj_error *err) {
  *s = (struct tj_shard){.on = true};
  if (strcmp(arg, "auto") == 0) {
    s->is_auto = true;
    return 0;
  }
  char k[32], n[32];
  const char *slash = strchr(arg, '/');
  if (!slash || (size_t)(slash - arg) >= sizeof(k) || strlen(slash + 1) >= sizeof(n))
    return tj_error_set(err, 0, "invalid --shard '%s': expected K/N (0 <= K < N) or auto", arg);
  snprintf(k, sizeof(k), "%.*s", (int)(slash - arg), arg);
  snprintf(n, sizeof(n), "%s", slash + 1);
  if (!whole(n, 1, MAX_SHARDS, &s->count))
    return tj_error_set(err, 0, "invalid --shard '%s': N must be a whole number from 1 to %d", arg, MAX_SHARDS);
  if (!whole(k, 0, s->count - 1, &s->index))
    return tj_error_set(err, 0, "invalid --shard '%s': K must be a whole number from 0 to N-1 (%d)", arg, s->count - 1);
  snprintf(s->source, sizeof(s->source), "--shard %s", arg);
  return 0;
}

int tj_shard_resolve_auto(struct tj_shard *s, int count_opt, const char *(*env)(const char *name), tj_error *err) {
  const char *jci = env("JOB_COMPLETION_INDEX");
  const char *cni = env("CI_NODE_INDEX"), *cnt = env("CI_NODE_TOTAL");
  if (jci && *jci) {
    if (count_opt <= 0)
      return tj_error_set(err, 0,
                          "--shard auto: JOB_COMPLETION_INDEX=%s is set but not the number of shards: give "
                          "--shard-count N (the Job's completions)",
                          jci);
    s->count = count_opt;
    if (!whole(jci, 0, count_opt - 1, &s->index))
      return tj_error_set(err, 0,
                          "--shard auto: JOB_COMPLETION_INDEX='%s' is not a whole number from 0 to %d "
                          "(--shard-count %d)",
                          jci, count_opt - 1, count_opt);
    snprintf(s->source, sizeof(s->source), "JOB_COMPLETION_INDEX=%d, --shard-count %d", s->index, count_opt);
    return 0;
  }
  if (cni && *cni) {
    int total, idx;
    if (!whole(cnt, 1, MAX_SHARDS, &total))
      return tj_error_set(err, 0, "--shard auto: CI_NODE_INDEX=%s needs CI_NODE_TOTAL, a whole number from 1 (is '%s')",
                          cni, cnt ? cnt : "unset");
    if (!whole(cni, 1, total, &idx))
      return tj_error_set(err, 0, "--shard auto: CI_NODE_INDEX='%s' is not a whole number from 1 to CI_NODE_TOTAL (%d)",
                          cni, total);
    if (count_opt > 0 && count_opt != total)
      return tj_error_set(err, 0, "--shard auto: --shard-count %d disagrees with CI_NODE_TOTAL=%d", count_opt, total);
    s->index = idx - 1;
    s->count = total;
    snprintf(s->source, sizeof(s->source), "CI_NODE_INDEX=%d/CI_NODE_TOTAL=%d (1-based)", idx, total);
    return 0;
  }
  return tj_error_set(err, 0,
                      "--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor "
                      "CI_NODE_INDEX/CI_NODE_TOTAL (GitLab parallel:) is set; give --shard K/N");
}

int tj_shard_timings_load(const char *path, struct tj_shard_timings *out, tj_error *err) {
  *out = (struct tj_shard_timings){0};
  json_error_t je;
  json_t *r = json_load_file(path, 0, &je);
  if (!r)
    return tj_error_set(err, 0, "--shard-timings %s: not a testjail report (%s)", path, je.text);
  json_t *pk = json_object_get(r, "packages");
  if (!json_is_string(json_object_get(r, "testjail")) || !json_is_array(pk)) {
    json_decref(r);
    return tj_error_set(err, 0, "--shard-timings %s: not a testjail test report (no testjail version or packages[])",
                        path);
  }
  out->t = calloc(json_array_size(pk) + 1, sizeof(*out->t));
  size_t i;
  json_t *p;
  json_array_foreach(pk, i, p) {
    const char *name = json_string_value(json_object_get(p, "package"));
    json_t *d = json_object_get(p, "duration_ms");
    if (!name || !out->t) {
      json_decref(r);
      tj_shard_timings_free(out);
      return tj_error_set(err, 0, "--shard-timings %s: packages[%zu] has no package name", path, i);
    }
    if (!json_is_number(d) || json_number_value(d) < 0)
      continue; /* unknown: the median stands in */
    out->t[out->n].import_path = strdup(name);
    out->t[out->n].ms = (int64_t)json_number_value(d);
    if (!out->t[out->n].import_path)
      break;
    out->n++;
  }
  json_decref(r);
  return 0;
}

void tj_shard_timings_free(struct tj_shard_timings *t) {
  for (int i = 0; t->t && i < t->n; i++)
    free(t->t[i].import_path);
  free(t->t);
  *t = (struct tj_shard_timings){0};
}

struct item {
  const char *path;
  int index;
  int64_t ms;
  uint64_t hash;
};

static int by_ms_desc(const void *a, const void *b) {
  const struct item *x = a, *y = b;
  if (x->ms != y->ms)
    return x->ms > y->ms ? -1 : 1;
  return strcmp(x->path, y->path);
}

static int by_hash(const void *a, const void *b) {
  const struct item *x = a, *y = b;
  if (x->hash != y->hash)
    return x->hash < y->hash ? -1 : 1;
  return strcmp(x->path, y->path);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static const struct tj_shard_timing *timing_of(const struct tj_shard_timings *t, const char *path) {
  for (int i = 0; i < t->n; i++)
    if (strcmp(t->t[i].import_path, path) == 0)
      return &t->t[i];
  return NULL;
}

const char *tj_shard_assign(const char *const *paths, int n, const struct tj_shard_timings *timings, int count,
                            int *shard_of) {
  if (n <= 0)
    return timings && timings->n > 0 ? "timings" : "hash";
  struct item *it = calloc((size_t)n, sizeof(*it));
  int64_t *known = calloc((size_t)n, sizeof(*known)), *load = calloc((size_t)count, sizeof(*load));
  if (!it || !known || !load) {
    free(it), free(known), free(load);
    return NULL;
  }
  int nk = 0;
  for (int i = 0; i < n; i++) {
    it[i] = (struct item){.path = paths[i], .index = i, .ms = -1, .hash = tj_shard_fnv1a(paths[i])};
    const struct tj_shard_timing *t = timings ? timing_of(timings, paths[i]) : NULL;
    if (t)
      it[i].ms = known[nk++] = t->ms;
  }
  const char *strategy = "hash";
  if (nk > 0) {
    strategy = "timings";
    qsort(known, (size_t)nk, sizeof(*known), cmp_i64);
    int64_t median = nk % 2 ? known[nk / 2] : (known[nk / 2 - 1] + known[nk / 2]) / 2;
    for (int i = 0; i < n; i++)
      if (it[i].ms < 0)
        it[i].ms = median;
    qsort(it, (size_t)n, sizeof(*it), by_ms_desc);
    for (int i = 0; i < n; i++) {
      int best = 0;
      for (int s = 1; s < count; s++)
        if (load[s] < load[best])
          best = s;
      /* A package of 0ms still counts, so they spread too. */
      load[best] += it[i].ms + 1;
      shard_of[it[i].index] = best;
    }
  } else {
    qsort(it, (size_t)n, sizeof(*it), by_hash);
    for (int i = 0; i < n; i++)
      shard_of[it[i].index] = i % count;
  }
  free(it), free(known), free(load);
  return strategy;
}
