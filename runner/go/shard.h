/* Sharding a test run by package: which of N shards runs which package of
 * the resolved list. The split is a pure function of the list (and of an
 * earlier report's durations), so N machines that resolve the same list
 * agree on it without talking to each other. */
#ifndef TJ_SHARD_H
#define TJ_SHARD_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct tj_shard {
  bool on;
  bool is_auto; /* --shard auto: index and count come from the environment */
  int index;    /* 0-based */
  int count;
  char source[96]; /* where index and count came from, for the note on stderr */
};

/* --shard K/N (0-based K < N) or auto. */
int tj_shard_parse(const char *arg, struct tj_shard *s, tj_error *err);

/* --shard auto: JOB_COMPLETION_INDEX (Kubernetes Indexed Job, 0-based) with
 * count_opt (--shard-count N, 0: not given; Kubernetes puts no completions
 * count in the pod's environment), else CI_NODE_INDEX/CI_NODE_TOTAL (GitLab
 * parallel:, 1-based; count_opt, if given, must agree). env: getenv or a
 * stand-in for tests. */
int tj_shard_resolve_auto(struct tj_shard *s, int count_opt, const char *(*env)(const char *name), tj_error *err);

/* Earlier durations by import path (milliseconds). */
struct tj_shard_timing {
  char *import_path;
  int64_t ms;
};

struct tj_shard_timings {
  struct tj_shard_timing *t;
  int n;
};

/* The packages[] of a testjail test report (or a merged one): package and
 * duration_ms. Anything else is an error naming path. */
int tj_shard_timings_load(const char *path, struct tj_shard_timings *out, tj_error *err);
void tj_shard_timings_free(struct tj_shard_timings *t);

/* Assigns each of the n import paths a shard in [0, count): with timings
 * (NULL or empty: none), longest-processing-time first over the earlier
 * durations, a package without one counted at their median; else the
 * packages ordered by the FNV-1a hash of their import path, dealt round the
 * shards. Ties break by import path, so the order of paths does not matter.
 * Returns the strategy's name ("timings" or "hash"), NULL when out of
 * memory. */
const char *tj_shard_assign(const char *const *paths, int n, const struct tj_shard_timings *timings, int count,
                            int *shard_of);

uint64_t tj_shard_fnv1a(const char *s);

#endif
