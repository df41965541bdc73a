/* The caller's own cgroup, read only. In a container that is the
 * container's cgroup, seen through its cgroup namespace (v2) or through a
 * bind mount of it (v1), and readable where cgroupfs is mounted read-only,
 * as Kubernetes mounts it. testjail init reads it before and after the
 * workload to tell an OOM kill or a pids limit from any other death.
 *
 * The directory comes from /proc/self/cgroup and /proc/self/mountinfo: a
 * mount's root field says which part of the hierarchy it shows, so a v1
 * bind mount of /docker/<id> at /sys/fs/cgroup/memory is found too. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

/* v1 reports "no limit" as PAGE_COUNTER_MAX pages, just below INT64_MAX. */
#define V1_UNLIMITED (INT64_MAX / 2)

static ssize_t read_small(const char *path, char *buf, size_t size) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, buf + len, size - 1 - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0 || (len += (size_t)n) == size - 1)
      break;
  }
  buf[len] = '\0';
  return (ssize_t)len;
}

static bool path_within(const char *path, const char *root, size_t *skip) {
  if (strcmp(root, "/") == 0) {
    *skip = 0;
    return true;
  }
  size_t n = strlen(root);
  if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
    return false;
  *skip = n;
  return true;
}

int tj_cg_mountinfo_find(char *mountinfo, const char *ctrl, const char *own, char *dir, size_t size) {
  size_t best = 0;
  bool found = false;
  for (char *line = mountinfo, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    char *f[6], *save = NULL, *tok = strtok_r(line, " ", &save);
    int nf = 0;
    for (; tok && nf < 6; tok = strtok_r(NULL, " ", &save))
      f[nf++] = tok;
    while (tok && strcmp(tok, "-") != 0)
      tok = strtok_r(NULL, " ", &save); /* optional fields */
    char *fstype = tok ? strtok_r(NULL, " ", &save) : NULL;
    char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
    char *super = source ? strtok_r(NULL, " ", &save) : NULL;
    if (nf < 6 || !super)
      continue;
    if (ctrl ? strcmp(fstype, "cgroup") != 0 : strcmp(fstype, "cgroup2") != 0)
      continue;
    if (ctrl) {
      bool has = false;
      char *s2 = NULL;
      for (char *o = strtok_r(super, ",", &s2); o && !has; o = strtok_r(NULL, ",", &s2))
        has = strcmp(o, ctrl) == 0;
      if (!has)
        continue;
    }
    char *root = f[3], *mnt = f[4];
    tj_unescape_octal(root);
    tj_unescape_octal(mnt);
    size_t skip;
    if (!path_within(own, root, &skip) || (found && strlen(root) <= best))
      continue;
    const char *rest = own + skip;
    if (strcmp(rest, "/") == 0)
      rest = "";
    if ((size_t)snprintf(dir, size, "%s%s", mnt, rest) >= size)
      continue;
    best = strlen(root);
    found = true;
  }
  return found ? 0 : -ENOENT;
}

static int own_dir(const char *ctrl, bool v2, char *dir, size_t size) {
  char cg[8192], own[PATH_MAX];
  _cleanup_free_ char *mountinfo = malloc(1 << 16); /* a container's can be long */
  if (!mountinfo)
    return -ENOMEM;
  if (read_small("/proc/self/cgroup", cg, sizeof(cg)) < 0 ||
      tj_cg_proc_cgroup_find(cg, v2 ? NULL : ctrl, own, sizeof(own)) < 0)
    return -ENOENT;
  if (v2) {
    /* testjail may have stepped into a leaf of its cgroup to enable
     * controllers below it (v2.c): the cgroup it came from is the one. */
    char *slash = strrchr(own, '/');
    if (slash && tj_cg_name_is_mine(slash + 1))
      *(slash == own ? slash + 1 : slash) = '\0';
  }
  if (read_small("/proc/self/mountinfo", mountinfo, 1 << 16) < 0)
    return -ENOENT;
  return tj_cg_mountinfo_find(mountinfo, v2 ? NULL : ctrl, own, dir, size);
}

static void read_limit(int fd, const char *file, int64_t *out) {
  int64_t v;
  if (tj_cg_read_int_at(fd, file, &v) == 0)
    *out = v >= V1_UNLIMITED ? -1 : v;
}

int tj_cg_self_read(struct tj_cg_self *s, tj_error *err) {
  memset(s, 0, sizeof(*s));
  s->memory_limit = s->memory_peak = s->memory_current = s->oom_kills = s->memory_max_events = s->oom_group = -1;
  s->pids_limit = s->pids_current = s->pids_limit_hits = -1;
  int r = tj_cg_detect(&s->mode, err);
  if (r < 0)
    return r;
  bool v2 = s->mode == TJ_CG_V2;
  if (own_dir("memory", v2, s->memory_dir, sizeof(s->memory_dir)) < 0)
    s->memory_dir[0] = '\0';
  if (own_dir("pids", v2, s->pids_dir, sizeof(s->pids_dir)) < 0)
    s->pids_dir[0] = '\0';

  _cleanup_close_ int mfd = s->memory_dir[0] ? open(s->memory_dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (mfd >= 0 && v2) {
    read_limit(mfd, "memory.max", &s->memory_limit);
    tj_cg_read_keyed_at(mfd, "memory.events", "oom_kill", &s->oom_kills);
    tj_cg_read_keyed_at(mfd, "memory.events", "max", &s->memory_max_events);
    tj_cg_read_int_at(mfd, "memory.peak", &s->memory_peak);
    tj_cg_read_int_at(mfd, "memory.current", &s->memory_current);
    tj_cg_read_int_at(mfd, "memory.oom.group", &s->oom_group);
  } else if (mfd >= 0) {
    read_limit(mfd, "memory.limit_in_bytes", &s->memory_limit);
    /* v1 limits are hierarchical: an ancestor's may be the one that bites. */
    int64_t h;
    if (tj_cg_read_keyed_at(mfd, "memory.stat", "hierarchical_memory_limit", &h) == 0 && h < V1_UNLIMITED &&
        (s->memory_limit < 0 || h < s->memory_limit))
      s->memory_limit = h;
    tj_cg_read_keyed_at(mfd, "memory.oom_control", "oom_kill", &s->oom_kills);
    tj_cg_read_int_at(mfd, "memory.failcnt", &s->memory_max_events);
    tj_cg_read_int_at(mfd, "memory.max_usage_in_bytes", &s->memory_peak);
    tj_cg_read_int_at(mfd, "memory.usage_in_bytes", &s->memory_current);
  }
  _cleanup_close_ int pfd = s->pids_dir[0] ? open(s->pids_dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (pfd >= 0) {
    read_limit(pfd, "pids.max", &s->pids_limit);
    tj_cg_read_keyed_at(pfd, "pids.events", "max", &s->pids_limit_hits);
    tj_cg_read_int_at(pfd, "pids.current", &s->pids_current);
  }
  return 0;
}
