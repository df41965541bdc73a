/* The "none" backend: a caller that may create no cgroup (not root, and no
 * cgroup v2 subtree delegated to it) still runs what asked for no limit.
 * Nothing is created; the pid namespace alone ends every process of the
 * run. Every counter stays unknown (-1), never a made-up 0. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int none_stats(tj_cgroup *cg, struct tj_cg_stats *st, tj_error *err) {
  (void)cg, (void)st, (void)err;
  return 0;
}

static int none_cg(tj_cgroup *cg, tj_error *err) {
  (void)cg, (void)err;
  return 0;
}

static int none_create(tj_cgroup *cg, const struct tj_cg_limits *lim, tj_error *err) {
  (void)cg;
  return tj_cg_limits_any(lim) ? tj_cg_fail(err, EPERM, "cgroup limits need a cgroup") : 0;
}

static int none_gc(int *removed, tj_error *err) {
  (void)err;
  *removed = 0;
  return 0;
}

static int none_probe(struct tj_cg_info *info, tj_error *err) {
  (void)err;
  char *why[] = {info->why_memory, info->why_pids, info->why_cpu};
  for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
    snprintf(why[i], sizeof(info->why_memory), "no delegated cgroup v2 subtree");
  return 0;
}

const struct tj_cg_ops tj_cg_none_ops = {
    .create = none_create,
    .stats = none_stats,
    .kill_all = none_cg,
    .remove = none_cg,
    .gc = none_gc,
    .probe = none_probe,
};

bool tj_cg_limits_any(const struct tj_cg_limits *lim) {
  return lim && (lim->memory_bytes >= 0 || lim->pids >= 0 || lim->cpu_quota_us >= 0);
}

int tj_cg_refusal(char *buf, size_t size, const struct tj_cg_limits *lim, enum tj_cg_mode host, const char *why) {
  const char *asked[3];
  int n = 0;
  if (lim->memory_bytes >= 0)
    asked[n++] = "--memory";
  if (lim->pids >= 0)
    asked[n++] = "--pids-limit";
  if (lim->cpu_quota_us >= 0)
    asked[n++] = "--cpus";
  char opts[64] = "";
  for (int i = 0; i < n; i++)
    snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts), "%s%s",
             i == 0       ? ""
             : i == n - 1 ? " and "
                          : ", ",
             asked[i]);
  /* systemd delegates cgroup v2 only: on a hybrid or v1 host the user's
   * way out goes through booting with cgroup v2 first. */
  const char *v2_first = host == TJ_CG_V2 ? "" : "boot with systemd.unified_cgroup_hierarchy=1 and ";
  return snprintf(buf, size,
                  "%s %s a cgroup, and no delegated cgroup v2 subtree: %s: "
                  "%srun under `systemd-run --user "
                  "--scope -p Delegate=yes testjail ...`, or as root",
                  n ? opts : "cgroup limits", n == 1 ? "needs" : "need", why && *why ? why : "none can be made",
                  v2_first);
}

int tj_cg_limits_refused(const struct tj_cg_limits *lim, char *buf, size_t size) {
  if (!tj_cg_limits_any(lim) || geteuid() == 0)
    return 0;
  struct tj_cg_info info;
  tj_error err = {0};
  if (tj_cg_probe(&info, &err) < 0 || !info.rootless || info.delegated_root[0])
    return 0; /* tj_cg_create says what is wrong, with its file */
  tj_cg_refusal(buf, size, lim, info.mode, info.why_not_delegated);
  return -1;
}
