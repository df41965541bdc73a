/* --ulimit NAME=SOFT[:HARD]: docker's names, parsed purely, applied in the
 * workload just before exec. */
#ifndef TJ_RLIMIT_H
#define TJ_RLIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "common/error.h"

#define TJ_MAX_RLIMITS 16

struct tj_rlimit {
  const char *name; /* docker name, static storage */
  int resource;     /* RLIMIT_* */
  rlim_t soft, hard;
};

struct tj_rlimits {
  struct tj_rlimit v[TJ_MAX_RLIMITS];
  int n;
};

/* Parse "nofile=64", "fsize=1M:2M", "cpu=1", "core=unlimited". A later
 * setting of the same name replaces an earlier one. */
int tj_rlimit_parse(const char *arg, struct tj_rlimits *set, tj_error *err);

/* The setting for resource, or NULL. */
const struct tj_rlimit *tj_rlimit_find(const struct tj_rlimits *set, int resource);

/* Space-separated list of the accepted names, for help and errors. */
const char *tj_rlimit_names(void);

/* setrlimit each; async-signal-safe. On failure returns -errno and sets
 * *failed to the offending entry. */
int tj_rlimit_apply(const struct tj_rlimits *set, const struct tj_rlimit **failed);

/* This process's limits before tj_rlimit_lift_hard, to put back. */
struct tj_rlimit_saved {
  struct rlimit old[TJ_MAX_RLIMITS];
  bool lifted[TJ_MAX_RLIMITS];
};

/* Raise this process's hard limits to those of set where they are lower,
 * as far as privilege allows, until tj_rlimit_restore. Called around the
 * clone into a user namespace: in there no process may raise a hard limit
 * above what it inherited. */
void tj_rlimit_lift_hard(const struct tj_rlimits *set, struct tj_rlimit_saved *saved);
void tj_rlimit_restore(const struct tj_rlimits *set, const struct tj_rlimit_saved *saved);

#endif
