/* cgroup v2 backend: cgroupfs directly, every file relative to a directory
 * fd (Documentation/admin-guide/cgroup-v2.rst). libcgroup 2.0.2 cannot
 * drive v2 (it fails on the "0::/" line and on nested creation). */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

#define V2_MOUNT "/sys/fs/cgroup"

/* Our own cgroup: where run cgroups go. */
struct v2_home {
  char rel[PATH_MAX];  /* from /proc/self/cgroup, "/" for the (namespace) root */
  char path[PATH_MAX]; /* absolute */
  bool is_root;        /* the real root: exempt from no internal processes */
  int fd;              /* O_PATH|O_DIRECTORY */
};

static void v2_home_close(struct v2_home *h) { tj_closep(&h->fd); }
#define _cleanup_home_ __attribute__((cleanup(v2_home_close)))

static int v2_home_open(struct v2_home *h, tj_error *err) {
  h->fd = -1;
  char buf[8192];
  _cleanup_close_ int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return tj_error_set(err, errno, "opening /proc/self/cgroup");
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  if (n < 0)
    return tj_error_set(err, errno, "reading /proc/self/cgroup");
  buf[n] = '\0';
  int r = tj_cg_proc_cgroup_find(buf, NULL, h->rel, sizeof(h->rel));
  if (r < 0)
    return tj_cg_fail(err, -r, "no cgroup v2 line (0::/...) in /proc/self/cgroup");
  /* After an earlier run of this process moved it into a leaf of its own
   * cgroup (see v2_move_self), the leaf's parent stays the home. */
  char *slash = strrchr(h->rel, '/');
  if (slash && tj_cg_name_is_mine(slash + 1))
    *(slash == h->rel ? slash + 1 : slash) = '\0';
  bool ns_root = strcmp(h->rel, "/") == 0;
  if ((size_t)snprintf(h->path, sizeof(h->path), "%s%s", V2_MOUNT, ns_root ? "" : h->rel) >= sizeof(h->path))
    return tj_cg_fail(err, ENAMETOOLONG, "cgroup path %s%s too long", V2_MOUNT, h->rel);
  h->fd = open(h->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (h->fd < 0)
    return tj_error_set(err, errno, "opening our own cgroup %s", h->path);
  /* cgroup.type exists everywhere but on the real root; a cgroup
   * namespace root ("/" above) is not exempt from the rule. */
  h->is_root = faccessat(h->fd, "cgroup.type", F_OK, 0) < 0 && errno == ENOENT;
  return 0;
}

/* A run cgroup as the home of others: it holds no process, so enabling
 * controllers in it moves nobody. */
static int v2_home_of(struct v2_home *h, const tj_cgroup *parent, tj_error *err) {
  const struct tj_cg_dir *d = &parent->dirs[0];
  if (parent->ndirs < 1 || d->fd < 0)
    return tj_cg_fail(err, EINVAL, "the parent cgroup is gone");
  snprintf(h->rel, sizeof(h->rel), "%s", d->rel);
  snprintf(h->path, sizeof(h->path), "%s", d->path);
  h->is_root = false;
  h->fd = openat(d->fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  return h->fd < 0 ? tj_error_set(err, errno, "opening %s", d->path) : 0;
}

/* What systemd-run needs to give testjail a cgroup of its own: the
 * caller's user manager delegates to a normal user. */
static const char *scope_cmd(void) {
  return geteuid() == 0 ? "systemd-run --scope -p Delegate=yes" : "systemd-run --user --scope -p Delegate=yes";
}

/* Delegation as cgroup-v2.rst ("Delegation Containment") and systemd's
 * Delegate= grant it: the directory (to create children), cgroup.procs
 * (to move processes in) and cgroup.subtree_control (to enable
 * controllers) writable by us. */
static const char *const v2_delegated_files[] = {".", "cgroup.procs", "cgroup.subtree_control"};

/* 0, or the errno of the first of them we may not write, *which naming it. */
static int v2_writable_err(int dfd, const char **which) {
  for (size_t i = 0; i < TJ_ARRAY_SIZE(v2_delegated_files); i++) {
    *which = v2_delegated_files[i];
    if (faccessat(dfd, *which, W_OK, AT_EACCESS) < 0)
      return errno;
  }
  return 0;
}

static bool v2_writable(int dfd) {
  const char *which;
  return v2_writable_err(dfd, &which) == 0;
}

bool tj_cg_v2_delegated(char *why, size_t size) {
  if (geteuid() == 0)
    return true;
  _cleanup_home_ struct v2_home h = {.fd = -1};
  tj_error e = {0};
  if (v2_home_open(&h, &e) < 0) {
    snprintf(why, size, "%s", e.msg);
    return false;
  }
  const char *which;
  int r = v2_writable_err(h.fd, &which);
  if (r == 0)
    return true;
  struct stat st;
  if (r == EROFS)
    snprintf(why, size,
             "our cgroup %.200s is on a "
             "read-only mount",
             h.path);
  else if (fstatat(h.fd, which, &st, 0) == 0)
    snprintf(why, size,
             "our cgroup %.200s is not "
             "delegated to uid %u (%s belongs to uid %u)",
             h.path, (unsigned)geteuid(), strcmp(which, ".") == 0 ? "the directory" : which, (unsigned)st.st_uid);
  else
    snprintf(why, size,
             "our cgroup %.200s is not "
             "writable by uid %u (%s: %s)",
             h.path, (unsigned)geteuid(), which, strerror(r));
  return false;
}

/* The top of the delegated subtree our cgroup sits in: the highest
 * ancestor we may still write, below the mount (the real root is never
 * delegated). */
static void v2_delegation_root(const struct v2_home *h, char *out, size_t size) {
  char rel[PATH_MAX];
  snprintf(out, size, "%s", h->path);
  snprintf(rel, sizeof(rel), "%s", h->rel);
  for (char *slash; (slash = strrchr(rel, '/')) && slash != rel;) {
    *slash = '\0';
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s%s", V2_MOUNT, rel);
    _cleanup_close_ int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || !v2_writable(fd))
      return;
    snprintf(out, size, "%s", path);
  }
}

/* Who is in the cgroup (cgroup.procs): us, others. An unreadable list
 * counts as others. */
static void procs_in(int fd, bool *self, bool *others) {
  char buf[65536];
  *self = false;
  *others = true;
  if (tj_cg_read_at(fd, "cgroup.procs", buf, sizeof(buf)) < 0)
    return;
  *others = false;
  pid_t me = getpid();
  for (char *p = buf, *next; *p; p = next) {
    long v = strtol(p, &next, 10);
    if (next == p)
      break;
    if (v == me)
      *self = true;
    else
      *others = true;
  }
}

static bool others_in(int fd) {
  bool self, others;
  procs_in(fd, &self, &others);
  return others;
}

/* The leaf this process stepped into (v2_move_self) and the controllers
 * it then enabled in home: what the end of the run undoes (v2_leave_leaf).
 * A forked child inherits it; pid tells whose it is. */
static struct {
  pid_t pid;
  char name[TJ_CG_NAME_MAX];
  char enabled[64]; /* "-memory -pids " */
} v2_leaf;

/* The no-internal-processes rule: a non-root cgroup with processes of its
 * own cannot enable controllers for its children (EBUSY). When testjail is
 * alone in its cgroup it steps into a leaf, as crun and systemd do, and
 * steps back out when the run ends (v2_leave_leaf). A leaf left by a
 * testjail that was killed is named like a run cgroup, so GC collects it. */
static int v2_move_self(struct v2_home *h, tj_error *err) {
  char leaf[TJ_CG_NAME_MAX];
  int r = tj_cg_new_name(leaf, sizeof(leaf), err);
  if (r < 0)
    return r;
  if (mkdirat(h->fd, leaf, 0755) < 0)
    return tj_error_set(err, errno, "creating %s/%s", h->path, leaf);
  _cleanup_close_ int lfd = openat(h->fd, leaf, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  r = lfd < 0 ? -errno : tj_cg_write_at(lfd, "cgroup.procs", "0");
  if (r < 0) {
    unlinkat(h->fd, leaf, AT_REMOVEDIR);
    return tj_error_set(err, -r, "moving testjail into %s/%s/cgroup.procs", h->path, leaf);
  }
  v2_leaf.pid = getpid();
  snprintf(v2_leaf.name, sizeof(v2_leaf.name), "%s", leaf);
  v2_leaf.enabled[0] = '\0';
  return 0;
}

/* Back out of the leaf when the move did not help, so that we leave the
 * home as we found it. */
static void v2_move_back(struct v2_home *h) {
  char buf[8192], rel[PATH_MAX];
  _cleanup_close_ int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
  if (n < 0)
    return;
  buf[n] = '\0';
  if (tj_cg_proc_cgroup_find(buf, NULL, rel, sizeof(rel)) < 0)
    return;
  const char *leaf = strrchr(rel, '/');
  if (!leaf || !tj_cg_name_is_mine(leaf + 1))
    return;
  if (tj_cg_write_at(h->fd, "cgroup.procs", "0") == 0) {
    unlinkat(h->fd, leaf + 1, AT_REMOVEDIR);
    v2_leaf.pid = 0;
  }
}

/* True when the only cgroup below home is name. */
static bool v2_only_child(int home_fd, const char *name) {
  int dfd = openat(home_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *dir = dfd < 0 ? NULL : fdopendir(dfd);
  if (!dir) {
    if (dfd >= 0)
      close(dfd);
    return false;
  }
  bool only = true;
  for (struct dirent *e; only && (e = readdir(dir));)
    if (e->d_type == DT_DIR && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
        strcmp(e->d_name, name) != 0)
      only = false;
  closedir(dir);
  return only;
}

/* The end of a run: every cgroup testjail made goes, the leaf too, and
 * home is as we found it. A process cannot remove the cgroup it is in, and
 * home takes no process while controllers are enabled in it: so switch
 * off what we enabled, step back into home, remove the leaf. Only while
 * nothing else lives below home or in the leaf (a child we forked, a run
 * cgroup of another testjail): their controllers must stay. Otherwise the
 * leaf stays for GC, as after a kill. */
static void v2_leave_leaf(int home_fd) {
  if (v2_leaf.pid != getpid())
    return;
  _cleanup_close_ int lfd = openat(home_fd, v2_leaf.name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  bool self = false, others = true;
  if (lfd >= 0)
    procs_in(lfd, &self, &others);
  if (!self || others || !v2_only_child(home_fd, v2_leaf.name))
    return;
  if (v2_leaf.enabled[0] && tj_cg_write_at(home_fd, "cgroup.subtree_control", v2_leaf.enabled) < 0)
    return;
  if (tj_cg_write_at(home_fd, "cgroup.procs", "0") < 0)
    return;
  unlinkat(home_fd, v2_leaf.name, AT_REMOVEDIR);
  v2_leaf.pid = 0;
}

/* Make ctrl available to children of home. *ok tells whether it is; an
 * error only when needed (a limit was asked for). *moved: 0 not tried yet,
 * 1 testjail sits in its leaf, -1 tried and it did not help. */
static int v2_enable(struct v2_home *h, const char *ctrl, const char *file, bool needed, int *moved, bool *ok,
                     tj_error *err) {
  char avail[1024], on[1024];
  *ok = false;
  ssize_t n = tj_cg_read_at(h->fd, "cgroup.controllers", avail, sizeof(avail));
  if (n < 0)
    return tj_error_set(err, -n, "reading %s/cgroup.controllers", h->path);
  if (!tj_cg_list_has(avail, ctrl)) {
    if (!needed)
      return 0;
    if (h->is_root)
      return tj_cg_fail(err, ENODEV,
                        "%s needs the %s controller, which the cgroup2 "
                        "hierarchy at %s does not offer (absent from its "
                        "cgroup.controllers): it is bound to a cgroup v1 "
                        "hierarchy or disabled on the kernel command line "
                        "(cgroup_disable=, cgroup_no_v1=)",
                        file, ctrl, h->path);
    if (geteuid() != 0)
      return tj_cg_fail(err, ENODEV,
                        "%s needs the %s controller, which is not delegated to "
                        "%s (absent from its cgroup.controllers): the "
                        "delegation above it leaves %s out (systemd: "
                        "Delegate=memory pids cpu in a drop-in for "
                        "user@.service, set by root), or run as root",
                        file, ctrl, h->path, ctrl);
    return tj_cg_fail(err, ENODEV,
                      "%s needs the %s controller, which is not delegated to "
                      "%s (absent from its cgroup.controllers): enable it in "
                      "the parent's cgroup.subtree_control (echo +%s > "
                      "PARENT/cgroup.subtree_control) or run testjail in a "
                      "delegated cgroup (%s)",
                      file, ctrl, h->path, ctrl, scope_cmd());
  }
  n = tj_cg_read_at(h->fd, "cgroup.subtree_control", on, sizeof(on));
  if (n < 0)
    return tj_error_set(err, -n, "reading %s/cgroup.subtree_control", h->path);
  if (tj_cg_list_has(on, ctrl)) {
    *ok = true;
    return 0;
  }
  char val[64];
  snprintf(val, sizeof(val), "+%s", ctrl);
  /* Outside the root, look before writing: a threaded controller (pids,
   * cpu) CAN be enabled in a cgroup that holds processes, and that makes it
   * a thread root whose new children are invalid domains (clone3 into them
   * fails with EOPNOTSUPP). So: alone here, step into a leaf first; with
   * others here, enable nothing. */
  bool self = false, others = false;
  if (!h->is_root && *moved == 0)
    procs_in(h->fd, &self, &others);
  int r = 0;
  if (others)
    *moved = -1;
  if (!h->is_root && *moved == -1)
    r = -EBUSY;
  else if (!self)
    r = tj_cg_write_at(h->fd, "cgroup.subtree_control", val);
  if (self && !others) {
    tj_error e = {0};
    if (v2_move_self(h, &e) < 0) {
      *moved = -1;
      if (!needed)
        return 0;
      if (err)
        *err = e;
      return tj_error_wrap(err,
                           "enabling %s in %s/cgroup.subtree_control "
                           "(%s holds processes)",
                           ctrl, h->path, h->path);
    }
    *moved = 1;
    r = tj_cg_write_at(h->fd, "cgroup.subtree_control", val);
    if (r == -EBUSY) {
      v2_move_back(h);
      *moved = -1;
    }
  }
  if (r == 0) {
    if (*moved == 1 && v2_leaf.pid == getpid()) {
      size_t len = strlen(v2_leaf.enabled);
      snprintf(v2_leaf.enabled + len, sizeof(v2_leaf.enabled) - len, "-%s ", ctrl);
    }
    *ok = true;
    return 0;
  }
  if (!needed)
    return 0;
  if (r == -EBUSY)
    return tj_cg_fail(err, EBUSY,
                      "%s needs the %s controller enabled in "
                      "%s/cgroup.subtree_control, but %s holds other "
                      "processes and cgroup v2 allows no controllers below a "
                      "cgroup with processes of its own: move those processes "
                      "into a child cgroup, or start testjail in a cgroup of "
                      "its own (%s testjail ...)",
                      file, ctrl, h->path, h->path, scope_cmd());
  return tj_error_set(err, -r,
                      "enabling %s in %s/cgroup.subtree_control "
                      "(needed for %s)",
                      ctrl, h->path, file);
}

static int v2_write_limit(struct tj_cg_dir *d, const char *file, const char *ctrl, const char *val, tj_error *err) {
  int r = tj_cg_write_at(d->fd, file, val);
  if (r == -ENOENT)
    return tj_cg_fail(err, ENOENT, "controller %s not enabled under %s (no %s)", ctrl, d->path, file);
  if (r < 0)
    return tj_error_set(err, -r, "writing %s to %s/%s", val, d->path, file);
  return 0;
}

static int tj_cg_v2_create(tj_cgroup *cg, const struct tj_cg_limits *lim, tj_error *err) {
  _cleanup_home_ struct v2_home h = {.fd = -1};
  int r = cg->parent ? v2_home_of(&h, cg->parent, err) : v2_home_open(&h, err);
  if (r < 0)
    return r;
  int moved = 0;
  bool mem_ok = false, pids_ok = false, cpu_ok = false;
  r = v2_enable(&h, "memory", "memory.max", lim->memory_bytes >= 0, &moved, &mem_ok, err);
  if (r >= 0)
    r = v2_enable(&h, "pids", "pids.max", lim->pids >= 0, &moved, &pids_ok, err);
  if (r >= 0 && lim->cpu_quota_us >= 0)
    r = v2_enable(&h, "cpu", "cpu.max", true, &moved, &cpu_ok, err);
  if (r < 0) {
    v2_leave_leaf(h.fd); /* a refused run leaves nothing either */
    return r;
  }

  struct tj_cg_dir *d = &cg->dirs[0];
  if ((size_t)snprintf(d->rel, sizeof(d->rel), "%s/%s", strcmp(h.rel, "/") == 0 ? "" : h.rel, cg->name) >=
          sizeof(d->rel) ||
      (size_t)snprintf(d->path, sizeof(d->path), "%s/%s", h.path, cg->name) >= sizeof(d->path))
    return tj_cg_fail(err, ENAMETOOLONG, "cgroup path under %s too long", h.path);
  if (mkdirat(h.fd, cg->name, 0755) < 0) {
    r = tj_error_set(err, errno, "creating %s", d->path);
    v2_leave_leaf(h.fd);
    return r;
  }
  d->parent_fd = steal_fd(&h.fd);
  cg->ndirs = 1;
  d->fd = openat(d->parent_fd, cg->name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (d->fd < 0)
    return tj_error_set(err, errno, "opening %s", d->path);
  if (lim->devices)
    tj_cg_dev_v2_hook(cg, d);

  cg->memory = mem_ok ? 0 : -1;
  cg->pids = pids_ok ? 0 : -1;
  cg->cpu = cpu_ok ? 0 : -1;
  cg->cpuacct = 0; /* cpu.stat usage_usec is there without the cpu controller */

  char val[64];
  if (lim->memory_bytes >= 0) {
    snprintf(val, sizeof(val), "%lld", (long long)lim->memory_bytes);
    r = v2_write_limit(d, "memory.max", "memory", val, err);
    if (r < 0)
      return r;
    /* No memory.swap.max means no swap accounting (or no swap support):
     * nothing to switch off. */
    r = tj_cg_write_at(d->fd, "memory.swap.max", "0");
    if (r < 0 && r != -ENOENT)
      return tj_error_set(err, -r, "writing 0 to %s/memory.swap.max", d->path);
  }
  if (lim->pids >= 0) {
    snprintf(val, sizeof(val), "%lld", (long long)lim->pids);
    r = v2_write_limit(d, "pids.max", "pids", val, err);
    if (r < 0)
      return r;
  }
  if (lim->cpu_quota_us >= 0) {
    long long period = lim->cpu_period_us > 0 ? lim->cpu_period_us : TJ_CG_DEFAULT_CPU_PERIOD_US;
    snprintf(val, sizeof(val), "%lld %lld", (long long)lim->cpu_quota_us, period);
    r = v2_write_limit(d, "cpu.max", "cpu", val, err);
    if (r < 0)
      return r;
  }
  cg->has_memory_peak = mem_ok && faccessat(d->fd, "memory.peak", F_OK, 0) == 0;
  d->procs_fd = openat(d->fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
  if (d->procs_fd < 0)
    return tj_error_set(err, errno, "opening %s/cgroup.procs", d->path);
  return 0;
}

static int64_t tj_cg_v2_limit_hits(tj_cgroup *cg) {
  int64_t v = -1;
  tj_cg_read_keyed_at(cg->dirs[0].fd, "memory.events.local", "max", &v);
  return v;
}

static int tj_cg_v2_stats(tj_cgroup *cg, struct tj_cg_stats *st, tj_error *err) {
  (void)err;
  if (cg->ndirs < 1 || cg->dirs[0].fd < 0)
    return 0;
  int fd = cg->dirs[0].fd;
  /* Each counter on its own: one missing file (older kernel) leaves that
   * one unknown (-1) rather than failing the report. */
  if (cg->memory >= 0) {
    tj_cg_read_keyed_at(fd, "memory.events", "oom_kill", &st->oom_kills);
    tj_cg_read_keyed_at(fd, "memory.events", "max", &st->memory_max_events);
    if (cg->has_memory_peak)
      tj_cg_read_int_at(fd, "memory.peak", &st->memory_peak_bytes);
    tj_cg_read_int_at(fd, "memory.current", &st->memory_current_bytes);
    tj_cg_read_keyed_at(fd, "memory.stat", "shmem", &st->memory_shmem_bytes);
  }
  if (cg->pids >= 0) {
    tj_cg_read_keyed_at(fd, "pids.events", "max", &st->pids_limit_hits);
    tj_cg_read_int_at(fd, "pids.peak", &st->pids_peak);
    tj_cg_read_int_at(fd, "pids.current", &st->pids_current);
  }
  tj_cg_read_keyed_at(fd, "cpu.stat", "usage_usec", &st->cpu_usage_us);
  return 0;
}

/* Wait for "populated 0" in cgroup.events: kernfs wakes pollers with
 * POLLPRI on every change, and each read re-arms. */
static int v2_wait_empty(int dfd, const char *path, tj_error *err) {
  _cleanup_close_ int fd = openat(dfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT || errno == ENODEV ? 0 : tj_error_set(err, errno, "opening %s/cgroup.events", path);
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    char buf[256];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n < 0)
      return errno == ENODEV ? 0 : tj_error_set(err, errno, "reading %s/cgroup.events", path);
    buf[n] = '\0';
    int64_t populated;
    if (tj_cg_keyed_get(buf, "populated", &populated) < 0)
      return tj_cg_fail(err, EINVAL, "no \"populated\" in %s/cgroup.events", path);
    if (populated == 0)
      return 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left = TJ_CG_KILL_TIMEOUT_MS - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
    if (left <= 0)
      return tj_cg_fail(err, ETIMEDOUT,
                        "%s still populated %d s after SIGKILL (a zombie not "
                        "reaped by its parent, or a task stuck in the kernel)",
                        path, TJ_CG_KILL_TIMEOUT_MS / 1000);
    struct pollfd p = {.fd = fd, .events = POLLPRI};
    if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
      return tj_error_set(err, errno, "waiting on %s/cgroup.events", path);
  }
}

static int v2_kill_dir(int dfd, const char *path, tj_error *err) {
  int r = tj_cg_write_at(dfd, "cgroup.kill", "1");
  if (r == -ENOENT) /* before Linux 5.14 */
    r = tj_cg_sweep_kill_tree(dfd, path, err);
  else if (r == -ENODEV)
    return 0; /* removed under us */
  else if (r < 0)
    return tj_error_set(err, -r, "writing 1 to %s/cgroup.kill", path);
  if (r < 0)
    return r;
  return v2_wait_empty(dfd, path, err);
}

static int tj_cg_v2_kill_all(tj_cgroup *cg, tj_error *err) {
  if (cg->ndirs < 1 || cg->dirs[0].fd < 0)
    return 0;
  return v2_kill_dir(cg->dirs[0].fd, cg->dirs[0].path, err);
}

static int v2_remove_dir(int parent_fd, const char *name, const char *path, tj_error *err) {
  _cleanup_close_ int fd = openat(parent_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? 0 : tj_error_set(err, errno, "opening %s", path);
  int r = tj_cg_remove_children(fd, path, err);
  if (r < 0)
    return r;
  if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return tj_error_set(err, errno, "removing %s", path);
  return 0;
}

static int tj_cg_v2_remove(tj_cgroup *cg, tj_error *err) {
  if (cg->ndirs < 1 || cg->dirs[0].parent_fd < 0)
    return 0;
  struct tj_cg_dir *d = &cg->dirs[0];
  int r = v2_remove_dir(d->parent_fd, cg->name, d->path, err);
  if (r == 0) {
    v2_leave_leaf(d->parent_fd);
    cg->ndirs = 0;
  }
  return r;
}

struct v2_gc_ctx {
  const char *home;
  int removed;
};

static int v2_gc_one(void *ctx, int own_fd, const char *name, tj_error *err) {
  struct v2_gc_ctx *c = ctx;
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s", c->home, name);
  _cleanup_close_ int fd = openat(own_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? -ENOENT : tj_error_set(err, errno, "opening %s", path);
  int r = v2_kill_dir(fd, path, err);
  if (r >= 0)
    r = v2_remove_dir(own_fd, name, path, err);
  if (r >= 0)
    c->removed++;
  return r;
}

static int tj_cg_v2_gc(int *removed, tj_error *err) {
  _cleanup_home_ struct v2_home h = {.fd = -1};
  int r = v2_home_open(&h, err);
  if (r < 0)
    return r;
  struct v2_gc_ctx c = {.home = h.path};
  r = tj_cg_gc_dir(h.fd, h.path, v2_gc_one, &c, err);
  *removed = c.removed;
  return r;
}

static int tj_cg_v2_probe(struct tj_cg_info *info, tj_error *err) {
  _cleanup_home_ struct v2_home h = {.fd = -1};
  int r = v2_home_open(&h, err);
  if (r < 0)
    return r;
  if ((size_t)snprintf(info->own_memory, sizeof(info->own_memory), "%s", h.path) >= sizeof(info->own_memory))
    return tj_cg_fail(err, ENAMETOOLONG, "cgroup path %s too long", h.path);
  if (info->rootless)
    v2_delegation_root(&h, info->delegated_root, sizeof(info->delegated_root));
  memcpy(info->own_pids, info->own_memory, sizeof(info->own_pids));
  memcpy(info->own_cpu, info->own_memory, sizeof(info->own_cpu));
  char avail[1024], on[1024];
  ssize_t n = tj_cg_read_at(h.fd, "cgroup.controllers", avail, sizeof(avail));
  if (n < 0)
    return tj_error_set(err, -n, "reading %s/cgroup.controllers", h.path);
  n = tj_cg_read_at(h.fd, "cgroup.subtree_control", on, sizeof(on));
  if (n < 0)
    return tj_error_set(err, -n, "reading %s/cgroup.subtree_control", h.path);
  bool busy = !h.is_root && others_in(h.fd);
  struct {
    const char *name;
    bool *has;
    char *why;
  } c[] = {{"memory", &info->has_memory, info->why_memory},
           {"pids", &info->has_pids, info->why_pids},
           {"cpu", &info->has_cpu, info->why_cpu}};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(c); i++) {
    *c[i].has = false;
    if (!tj_cg_list_has(avail, c[i].name) && info->rootless)
      snprintf(c[i].why, 256,
               "not delegated to %.120s (absent from its cgroup.controllers): "
               "the delegation above it leaves it out",
               h.path);
    else if (!tj_cg_list_has(avail, c[i].name) && h.is_root)
      snprintf(c[i].why, 256,
               "not offered by the cgroup2 hierarchy (absent from "
               "cgroup.controllers): bound to a v1 hierarchy or disabled "
               "on the kernel command line");
    else if (!tj_cg_list_has(avail, c[i].name))
      snprintf(c[i].why, 256,
               "not delegated to %.120s (absent from its cgroup.controllers): "
               "enable it in the parent's cgroup.subtree_control",
               h.path);
    else if (!tj_cg_list_has(on, c[i].name) && busy)
      snprintf(c[i].why, 256,
               "%.80s holds other processes, so %s cannot be enabled in its "
               "cgroup.subtree_control: start testjail in a cgroup of its "
               "own (%s)",
               h.path, c[i].name, scope_cmd());
    else
      *c[i].has = true;
  }
  return 0;
}

const struct tj_cg_ops tj_cg_v2_ops = {
    .clone_into = true,
    .peak_sampled = true, /* memory.peak came in Linux 5.19 */
    .memory_usage = "memory.current",
    .memory_peak = "memory.peak",
    .oom_events = "memory.events",
    .pressure = "memory.pressure",
    .create = tj_cg_v2_create,
    .stats = tj_cg_v2_stats,
    .kill_all = tj_cg_v2_kill_all,
    .limit_hits = tj_cg_v2_limit_hits,
    .remove = tj_cg_v2_remove,
    .gc = tj_cg_v2_gc,
    .probe = tj_cg_v2_probe,
};
