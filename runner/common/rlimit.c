#include "common/rlimit.h"

#include <errno.h>
#include <string.h>

#include "common/parse.h"

static const struct {
  const char *name;
  int resource;
  bool bytes;
} names[] = {
    {"core", RLIMIT_CORE, true},         {"cpu", RLIMIT_CPU, false},
    {"data", RLIMIT_DATA, true},         {"fsize", RLIMIT_FSIZE, true},
    {"locks", RLIMIT_LOCKS, false},      {"memlock", RLIMIT_MEMLOCK, true},
    {"msgqueue", RLIMIT_MSGQUEUE, true}, {"nice", RLIMIT_NICE, false},
    {"nofile", RLIMIT_NOFILE, false},    {"nproc", RLIMIT_NPROC, false},
    {"rss", RLIMIT_RSS, true},           {"rtprio", RLIMIT_RTPRIO, false},
    {"rttime", RLIMIT_RTTIME, false},    {"sigpending", RLIMIT_SIGPENDING, false},
    {"stack", RLIMIT_STACK, true},       {"as", RLIMIT_AS, true},
};

const char *tj_rlimit_names(void) {
  return "core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime sigpending stack as";
}

static int parse_value(const char *arg, const char *v, bool bytes, rlim_t *out, tj_error *err) {
  int64_t n;
  tj_error sub = {0};
  if (strcmp(v, "unlimited") == 0 || strcmp(v, "-1") == 0) {
    *out = RLIM_INFINITY;
    return 0;
  }
  int r = bytes ? tj_parse_size(v, true, &n, &sub) : tj_parse_int(v, 0, INT64_MAX, &n, &sub);
  if (r < 0)
    return tj_error_set(err, 0, "invalid --ulimit '%s': %s", arg, sub.msg);
  *out = (rlim_t)n;
  return 0;
}

int tj_rlimit_parse(const char *arg, struct tj_rlimits *set, tj_error *err) {
  char buf[256];
  if (strlen(arg) >= sizeof(buf))
    return tj_error_set(err, 0, "invalid --ulimit '%.40s...': too long", arg);
  strcpy(buf, arg);
  char *eq = strchr(buf, '=');
  if (!eq)
    return tj_error_set(err, 0, "invalid --ulimit '%s': expected NAME=SOFT[:HARD]", arg);
  *eq = 0;
  size_t i;
  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcmp(buf, names[i].name) == 0)
      break;
  if (i == sizeof(names) / sizeof(names[0]))
    return tj_error_set(err, 0, "invalid --ulimit '%s': unknown name '%s' (known: %s)", arg, buf, tj_rlimit_names());
  char *soft_s = eq + 1, *hard_s = strchr(soft_s, ':');
  if (hard_s)
    *hard_s++ = 0;
  if (!*soft_s || (hard_s && !*hard_s))
    return tj_error_set(err, 0, "invalid --ulimit '%s': expected NAME=SOFT[:HARD]", arg);
  struct tj_rlimit rl = {.name = names[i].name, .resource = names[i].resource};
  if (parse_value(arg, soft_s, names[i].bytes, &rl.soft, err) < 0)
    return -EINVAL;
  rl.hard = rl.soft;
  if (hard_s && parse_value(arg, hard_s, names[i].bytes, &rl.hard, err) < 0)
    return -EINVAL;
  if (rl.hard != RLIM_INFINITY && (rl.soft == RLIM_INFINITY || rl.soft > rl.hard))
    return tj_error_set(err, 0, "invalid --ulimit '%s': soft limit above hard limit", arg);
  for (int k = 0; k < set->n; k++)
    if (set->v[k].resource == rl.resource) {
      set->v[k] = rl;
      return 0;
    }
  if (set->n >= TJ_MAX_RLIMITS)
    return tj_error_set(err, 0, "invalid --ulimit '%s': too many limits", arg);
  set->v[set->n++] = rl;
  return 0;
}

const struct tj_rlimit *tj_rlimit_find(const struct tj_rlimits *set, int resource) {
  for (int k = 0; k < set->n; k++)
    if (set->v[k].resource == resource)
      return &set->v[k];
  return NULL;
}

int tj_rlimit_apply(const struct tj_rlimits *set, const struct tj_rlimit **failed) {
  for (int k = 0; k < set->n; k++) {
    struct rlimit rl = {.rlim_cur = set->v[k].soft, .rlim_max = set->v[k].hard};
    if (setrlimit(set->v[k].resource, &rl) < 0) {
      *failed = &set->v[k];
      return -errno;
    }
  }
  return 0;
}

void tj_rlimit_lift_hard(const struct tj_rlimits *set, struct tj_rlimit_saved *saved) {
  for (int k = 0; k < set->n; k++) {
    struct rlimit rl;
    rlim_t want = set->v[k].hard;
    saved->lifted[k] = false;
    if (getrlimit(set->v[k].resource, &rl) < 0 || rl.rlim_max == RLIM_INFINITY ||
        (want != RLIM_INFINITY && want <= rl.rlim_max))
      continue;
    saved->old[k] = rl;
    rl.rlim_max = want;
    /* EPERM without CAP_SYS_RESOURCE: the workload's setrlimit then says so */
    saved->lifted[k] = setrlimit(set->v[k].resource, &rl) == 0;
  }
}

void tj_rlimit_restore(const struct tj_rlimits *set, const struct tj_rlimit_saved *saved) {
  for (int k = 0; k < set->n; k++)
    if (saved->lifted[k])
      (void)setrlimit(set->v[k].resource, &saved->old[k]);
}
