/* cgroup v1 / hybrid backend on libcgroup (Debian 12: 2.0.2) for mount
 * discovery, own paths, creation and deletion.
 *
 * Traps of 2.0.2 avoided here: cgroup_strerror() crashes on ECGNONEMPTY and
 * is off by one from ECGEOF (50023) on, so v1_strerror() below maps codes
 * itself; cgroup_get_cgroup() + cgroup_modify_cgroup() rewrites every file
 * and zeroes failcnt and max_usage_in_bytes; a struct cgroup has one name
 * for all its controllers while our path differs per hierarchy in hybrid
 * mode, so each hierarchy gets its own struct. Limits and counters are
 * written and read with openat() on the run cgroup's directory: libcgroup's
 * value setter reports neither the file nor the errno, and its getter goes
 * through cgroup_get_cgroup(). */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <dlfcn.h>
#include <link.h>
#include <libcgroup.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/util.h"

static const struct {
  int code;
  const char *text;
} v1_errors[] = {
    {ECGROUPNOTCOMPILED, "cgroups not compiled into the kernel"},
    {ECGROUPNOTMOUNTED, "no cgroup hierarchy mounted"},
    {ECGROUPNOTEXIST, "cgroup does not exist"},
    {ECGROUPNOTCREATED, "cgroup not created"},
    {ECGROUPSUBSYSNOTMOUNTED, "controller not mounted"},
    {ECGROUPNOTOWNER, "not owner"},
    {ECGROUPMULTIMOUNTED, "controllers bound to different mount points"},
    {ECGROUPNOTALLOWED, "operation not allowed"},
    {ECGMAXVALUESEXCEEDED, "too many values"},
    {ECGCONTROLLEREXISTS, "controller already exists"},
    {ECGVALUEEXISTS, "value already exists"},
    {ECGINVAL, "invalid argument"},
    {ECGCONTROLLERCREATEFAILED, "controller creation failed"},
    {ECGFAIL, "operation failed"},
    {ECGROUPNOTINITIALIZED, "libcgroup not initialized"},
    {ECGROUPVALUENOTEXIST, "control file does not exist"},
    {ECGOTHER, "system error"},
    {ECGROUPNOTEQUAL, "cgroups are not equal"},
    {ECGCONTROLLERNOTEQUAL, "controllers are not equal"},
    {ECGROUPPARSEFAIL, "cannot parse rules"},
    {ECGROUPNORULES, "no rules"},
    {ECGMOUNTFAIL, "mount failed"},
    {ECGEOF, "end of list"},
    {ECGCONFIGPARSEFAIL, "cannot parse configuration"},
    {ECGNAMESPACEPATHS, "namespace paths"},
    {ECGNAMESPACECONTROLLER, "namespace controller"},
    {ECGMOUNTNAMESPACE, "mount namespace"},
    {ECGROUPUNSUPP, "operation not supported"},
    {ECGCANTSETVALUE, "cannot set value"},
    {ECGNONEMPTY, "cgroup is not empty"},
};

static const char *v1_strerror(int code) {
  for (size_t i = 0; i < TJ_ARRAY_SIZE(v1_errors); i++)
    if (v1_errors[i].code == code)
      return v1_errors[i].text;
  return "unknown libcgroup error";
}

static int v1_errno(int code) {
  switch (code) {
  case ECGOTHER:
    return cgroup_get_last_errno() ? cgroup_get_last_errno() : EIO;
  case ECGROUPNOTOWNER:
    return EPERM;
  case ECGROUPNOTALLOWED:
    return EACCES;
  case ECGROUPNOTEXIST:
    return ENOENT;
  case ECGROUPNOTMOUNTED:
  case ECGROUPSUBSYSNOTMOUNTED:
    return ENODEV;
  case ECGNONEMPTY:
    return EBUSY;
  case ECGINVAL:
    return EINVAL;
  default:
    return EIO;
  }
}

/* libcgroup reports a descriptor it could not open as "not mounted" or a
 * bare "system error": out of descriptors (EMFILE, ENFILE) when two more
 * cannot be had now, else 0. */
static int fd_shortage(void) {
  int a = open("/", O_PATH | O_CLOEXEC), e = a < 0 ? errno : 0;
  int b = a < 0 ? -1 : open("/", O_PATH | O_CLOEXEC);
  if (a >= 0 && b < 0)
    e = errno;
  if (a >= 0)
    close(a);
  if (b >= 0)
    close(b);
  return e == EMFILE || e == ENFILE ? e : 0;
}

static int v1_fail(tj_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int v1_fail(tj_error *err, int code, const char *fmt, ...) {
  char ctx[384];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx, sizeof(ctx), fmt, ap);
  va_end(ap);
  if (code == ECGOTHER && cgroup_get_last_errno())
    return tj_error_set(err, cgroup_get_last_errno(), "%s (libcgroup)", ctx);
  int shortage = fd_shortage();
  if (shortage)
    return tj_error_set(err, shortage, "%s (libcgroup)", ctx);
  return tj_cg_fail(err, v1_errno(code), "%s: libcgroup: %s (%d)", ctx, v1_strerror(code), code);
}

/* libcgroup's default logger prints to stdout; library code stays quiet. */
static void v1_quiet(void *ud, int level, const char *fmt, va_list ap) { (void)ud, (void)level, (void)fmt, (void)ap; }

/* 0 when libcgroup knows the mounts, else its code (ECGROUPNOTMOUNTED: no
 * hierarchy at all, which only matters when a limit is asked for). */
/* cgroup_init() zeroes libcgroup's 800 KiB mount table, still untouched
 * bss at that point: 200 page faults, a fifth of the sandbox's start-up
 * where a fault is expensive (nested and PVM guests). One
 * MADV_POPULATE_WRITE maps the table in one go; where the symbol's size is
 * unknown (static builds) a lower bound from the table's shape is used. */
extern char cg_mount_table[];

static void prefault_mount_table(void) {
  size_t len = 100 /* CG_CONTROLLER_MAX, internal */ * 2 * FILENAME_MAX;
  Dl_info info;
  const ElfW(Sym) *sym = NULL;
  if (dladdr1(cg_mount_table, &info, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_size > 0)
    len = sym->st_size;
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t start = ((uintptr_t)cg_mount_table + page - 1) & ~(page - 1);
  uintptr_t end = ((uintptr_t)cg_mount_table + len) & ~(page - 1);
  if (end > start)
    (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE); /* old kernels: just faults */
}

static int v1_init(void) {
  static bool done;
  static int result;
  if (!done) {
    prefault_mount_table();
    cgroup_set_logger(v1_quiet, CGROUP_LOG_ERROR, NULL);
    result = cgroup_init();
    done = true;
  }
  return result;
}

/* Where a controller's hierarchy is mounted and where we sit in it. */
struct v1_hier {
  char mount[PATH_MAX];
  char own[PATH_MAX];  /* below mount, "/" or "/a/b" */
  char path[PATH_MAX]; /* mount + own: where run cgroups go */
};

static int own_path_fallback(const char *ctrl, char *out, size_t size) {
  char buf[8192];
  _cleanup_close_ int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  if (n < 0)
    return -errno;
  buf[n] = '\0';
  return tj_cg_proc_cgroup_find(buf, ctrl, out, size);
}

/* 0, or -ENODEV with why filled when the controller cannot be used. */
static int v1_hier_find(const char *ctrl, struct v1_hier *hh, char *why, size_t whylen) {
  int r = v1_init();
  if (r) {
    int e = r == ECGOTHER ? cgroup_get_last_errno() : 0;
    if (!e)
      e = fd_shortage();
    if (e)
      snprintf(why, whylen, "libcgroup could not read the mounts: %s", strerror(e));
    else
      snprintf(why, whylen, "no cgroup hierarchy is mounted (libcgroup: %s)", v1_strerror(r));
    return -ENODEV;
  }
  char *mp = NULL;
  r = cgroup_get_subsys_mount_point(ctrl, &mp);
  if (r || !mp) {
    free(mp);
    snprintf(why, whylen,
             "the %s controller is not mounted as a cgroup v1 hierarchy (see "
             "/proc/mounts; e.g. mount -t cgroup -o %s cgroup "
             "/sys/fs/cgroup/%s)",
             ctrl, ctrl, ctrl);
    return -ENODEV;
  }
  snprintf(hh->mount, sizeof(hh->mount), "%s", mp);
  free(mp);
  struct statfs fs;
  if (statfs(hh->mount, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
    snprintf(why, whylen,
             "the %s controller sits on the cgroup2 hierarchy %.200s, which the "
             "v1 backend does not drive: boot with "
             "systemd.unified_cgroup_hierarchy=1 for pure cgroup v2",
             ctrl, hh->mount);
    return -ENODEV;
  }
  char *cur = NULL;
  if (cgroup_get_current_controller_path(getpid(), ctrl, &cur) == 0 && cur && cur[0] == '/') {
    snprintf(hh->own, sizeof(hh->own), "%s", cur);
  } else if (own_path_fallback(ctrl, hh->own, sizeof(hh->own)) < 0) {
    free(cur);
    snprintf(why, whylen, "no %s line in /proc/self/cgroup", ctrl);
    return -ENODEV;
  }
  free(cur);
  bool root = strcmp(hh->own, "/") == 0;
  if ((size_t)snprintf(hh->path, sizeof(hh->path), "%s%s", hh->mount, root ? "" : hh->own) >= sizeof(hh->path)) {
    snprintf(why, whylen, "the path of our %s cgroup is too long", ctrl);
    return -ENODEV;
  }
  if (access(hh->path, W_OK) < 0) {
    snprintf(why, whylen, "cannot create cgroups in %.300s: %s", hh->path, strerror(errno));
    return -ENODEV;
  }
  return 0;
}

/* libcgroup's name of a group: its path below the hierarchy's mount. */
static struct cgroup *v1_lib_group(const char *rel, const char *ctrl) {
  struct cgroup *c = cgroup_new_cgroup(rel);
  if (c && !cgroup_add_controller(c, ctrl))
    cgroup_free(&c);
  return c;
}

static int v1_mkdir(tj_cgroup *cg, const char *ctrl, const struct v1_hier *hh, tj_error *err) {
  struct tj_cg_dir *d = &cg->dirs[cg->ndirs];
  bool root = strcmp(hh->own, "/") == 0;
  snprintf(d->controller, sizeof(d->controller), "%s", ctrl);
  if ((size_t)snprintf(d->rel, sizeof(d->rel), "%s/%s", root ? "" : hh->own, cg->name) >= sizeof(d->rel) ||
      (size_t)snprintf(d->path, sizeof(d->path), "%s/%s", hh->path, cg->name) >= sizeof(d->path))
    return tj_cg_fail(err, ENAMETOOLONG, "cgroup path under %s too long", hh->path);
  d->parent_fd = open(hh->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (d->parent_fd < 0)
    return tj_error_set(err, errno, "opening %s", hh->path);

  struct cgroup *c = v1_lib_group(d->rel, ctrl);
  if (!c) {
    tj_cg_dir_close(d);
    return tj_error_set(err, ENOMEM, "creating %s", d->path);
  }
  int r = cgroup_create_cgroup(c, 1);
  cgroup_free(&c);
  /* Counted even on failure: removal copes with a directory that is not
   * there, and must not miss one that is. */
  cg->ndirs++;
  if (r)
    return v1_fail(err, r, "creating %s", d->path);
  d->fd = openat(d->parent_fd, cg->name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (d->fd < 0)
    return tj_error_set(err, errno, "opening %s", d->path);
  d->procs_fd = openat(d->fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
  if (d->procs_fd < 0)
    return tj_error_set(err, errno, "opening %s/cgroup.procs", d->path);
  return 0;
}

static int v1_write(const struct tj_cg_dir *d, const char *file, long long v, tj_error *err) {
  char val[32];
  snprintf(val, sizeof(val), "%lld", v);
  int r = tj_cg_write_at(d->fd, file, val);
  if (r == -ENOENT)
    return tj_cg_fail(err, ENOENT, "controller %s not enabled under %s (no %s)", d->controller, d->path, file);
  if (r < 0)
    return tj_error_set(err, -r, "writing %s to %s/%s", val, d->path, file);
  return 0;
}

static int v1_apply(tj_cgroup *cg, const struct tj_cg_limits *lim, tj_error *err) {
  int r;
  if (lim->memory_bytes >= 0) {
    const struct tj_cg_dir *d = &cg->dirs[cg->memory];
    r = v1_write(d, "memory.limit_in_bytes", lim->memory_bytes, err);
    if (r < 0)
      return r;
    /* memory+swap a page above: no swap to speak of, and the memory
     * counter, not memsw (charged first), is the one that fails at the
     * limit: the kernel counts failcnt on it alone (Linux 6.18: memsw's
     * stays 0), and --memory-total tells by it whose limit was hit. Absent
     * without swap accounting (swapaccount=0): nothing to switch off. */
    if (faccessat(d->fd, "memory.memsw.limit_in_bytes", F_OK, 0) == 0) {
      r = v1_write(d, "memory.memsw.limit_in_bytes", lim->memory_bytes + 4096, err);
      if (r < 0)
        return r;
    }
  }
  if (lim->pids >= 0) {
    r = v1_write(&cg->dirs[cg->pids], "pids.max", lim->pids, err);
    if (r < 0)
      return r;
  }
  if (lim->cpu_quota_us >= 0) {
    const struct tj_cg_dir *d = &cg->dirs[cg->cpu];
    long long period = lim->cpu_period_us > 0 ? lim->cpu_period_us : TJ_CG_DEFAULT_CPU_PERIOD_US;
    r = v1_write(d, "cpu.cfs_period_us", period, err);
    if (r >= 0)
      r = v1_write(d, "cpu.cfs_quota_us", lim->cpu_quota_us, err);
    if (r < 0)
      return r;
  }
  return 0;
}

static int tj_cg_v1_create(tj_cgroup *cg, const struct tj_cg_limits *lim, tj_error *err) {
  struct {
    const char *ctrl;
    const char *file; /* what needs it, for the message */
    bool needed, wanted;
    int *slot;
  } want[] = {
      {"memory", "memory.limit_in_bytes", lim->memory_bytes >= 0, true, &cg->memory},
      {"pids", "pids.max", lim->pids >= 0, true, &cg->pids},
      {"cpu", "cpu.cfs_quota_us", lim->cpu_quota_us >= 0, lim->cpu_quota_us >= 0, &cg->cpu},
      {"cpuacct", "cpuacct.usage", false, true, &cg->cpuacct},
      {"devices", "devices.deny", false, lim->devices, &cg->devices},
  };
  char mounts[TJ_CG_MAX_DIRS][PATH_MAX];
  for (size_t i = 0; i < TJ_ARRAY_SIZE(want); i++) {
    if (!want[i].wanted)
      continue;
    struct v1_hier hh;
    char why[512];
    if (v1_hier_find(want[i].ctrl, &hh, why, sizeof(why)) < 0) {
      if (want[i].slot == &cg->devices)
        snprintf(cg->devices_why, sizeof(cg->devices_why), "%s", why);
      if (!want[i].needed)
        continue;
      return tj_cg_fail(err, ENODEV, "%s needs the %s controller: %s", want[i].file, want[i].ctrl, why);
    }
    if (cg->parent && cg->parent->memory >= 0 && strcmp(want[i].ctrl, "memory") == 0) {
      /* below the parent's memory cgroup: its limit holds for all of them
       * (memory.use_hierarchy 1, all that recent kernels offer) */
      const struct tj_cg_dir *pd = &cg->parent->dirs[cg->parent->memory];
      snprintf(hh.own, sizeof(hh.own), "%s", pd->rel);
      snprintf(hh.path, sizeof(hh.path), "%s", pd->path);
    }
    /* Co-mounted controllers (cpu,cpuacct) share one directory. */
    for (int j = 0; j < cg->ndirs; j++)
      if (strcmp(mounts[j], hh.mount) == 0)
        *want[i].slot = j;
    if (*want[i].slot >= 0)
      continue;
    int idx = cg->ndirs;
    snprintf(mounts[idx], sizeof(mounts[idx]), "%s", hh.mount);
    tj_error e = {0};
    int r = v1_mkdir(cg, want[i].ctrl, &hh, &e);
    if (r < 0) {
      if (want[i].needed) {
        if (err)
          *err = e;
        return r;
      }
      if (want[i].slot == &cg->devices)
        snprintf(cg->devices_why, sizeof(cg->devices_why), "%s", e.msg);
      continue; /* stats only: go without; the directory, if any, is removed */
    }
    *want[i].slot = idx;
  }
  int r = v1_apply(cg, lim, err);
  if (r < 0 || cg->devices < 0)
    return r;
  /* Once the directory is there, a list half written (all denied, nothing
   * allowed yet) would break /dev/null: a failure here fails the run. */
  r = tj_cg_dev_v1_apply(cg->dirs[cg->devices].fd, cg->dirs[cg->devices].path, err);
  if (r < 0)
    return r;
  cg->devices_mode = "cgroup-v1";
  return 0;
}

static int64_t tj_cg_v1_limit_hits(tj_cgroup *cg) {
  int fd = cg->dirs[cg->memory].fd;
  int64_t mem, memsw;
  if (tj_cg_read_int_at(fd, "memory.failcnt", &mem) < 0)
    return -1;
  if (tj_cg_read_int_at(fd, "memory.memsw.failcnt", &memsw) == 0)
    mem += memsw;
  return mem;
}

static int tj_cg_v1_stats(tj_cgroup *cg, struct tj_cg_stats *st, tj_error *err) {
  (void)err;
  if (cg->memory >= 0) {
    int fd = cg->dirs[cg->memory].fd;
    tj_cg_read_keyed_at(fd, "memory.oom_control", "oom_kill", &st->oom_kills);
    tj_cg_read_int_at(fd, "memory.max_usage_in_bytes", &st->memory_peak_bytes);
    tj_cg_read_int_at(fd, "memory.usage_in_bytes", &st->memory_current_bytes);
    /* total_: the run cgroup's descendants too, as the usage counts them */
    if (tj_cg_read_keyed_at(fd, "memory.stat", "total_shmem", &st->memory_shmem_bytes) < 0)
      tj_cg_read_keyed_at(fd, "memory.stat", "shmem", &st->memory_shmem_bytes);
    /* With memsw at the same limit the memory+swap counter is charged
     * first and takes the failure; one failed charge never counts in both. */
    int64_t mem, memsw;
    if (tj_cg_read_int_at(fd, "memory.failcnt", &mem) == 0) {
      if (tj_cg_read_int_at(fd, "memory.memsw.failcnt", &memsw) == 0)
        mem += memsw;
      st->memory_max_events = mem;
    }
  }
  if (cg->pids >= 0) {
    int fd = cg->dirs[cg->pids].fd;
    tj_cg_read_keyed_at(fd, "pids.events", "max", &st->pids_limit_hits);
    tj_cg_read_int_at(fd, "pids.peak", &st->pids_peak);
    tj_cg_read_int_at(fd, "pids.current", &st->pids_current);
  }
  if (cg->cpuacct >= 0) {
    int64_t ns;
    if (tj_cg_read_int_at(cg->dirs[cg->cpuacct].fd, "cpuacct.usage", &ns) == 0)
      st->cpu_usage_us = ns / 1000;
  }
  return 0;
}

static int tj_cg_v1_kill_all(tj_cgroup *cg, tj_error *err) {
  int first = 0;
  for (int i = 0; i < cg->ndirs; i++) {
    struct tj_cg_dir *d = &cg->dirs[i];
    if (d->fd < 0)
      continue;
    tj_error e = {0};
    int r = tj_cg_sweep_kill_tree(d->fd, d->path, &e);
    if (r < 0 && !first) {
      first = r;
      if (err)
        *err = e;
    }
  }
  return first;
}

/* Sweep, remove what lies below, then the group itself through libcgroup.
 * CGFLAG_DELETE_EMPTY_ONLY: the default would migrate leftover tasks into
 * our own cgroup, which belongs to whoever started us. */
static int v1_delete(int parent_fd, const char *name, const char *rel, const char *ctrl, const char *path,
                     tj_error *err) {
  _cleanup_close_ int fd = openat(parent_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? -ENOENT : tj_error_set(err, errno, "opening %s", path);
  int r = tj_cg_sweep_kill_tree(fd, path, err);
  if (r >= 0)
    r = tj_cg_remove_children(fd, path, err);
  if (r < 0)
    return r;
  struct cgroup *c = v1_lib_group(rel, ctrl);
  if (!c)
    return tj_error_set(err, ENOMEM, "removing %s", path);
  int lr = cgroup_delete_cgroup_ext(c, CGFLAG_DELETE_EMPTY_ONLY);
  cgroup_free(&c);
  if (lr)
    return v1_fail(err, lr, "removing %s", path);
  return 0;
}

static int tj_cg_v1_remove(tj_cgroup *cg, tj_error *err) {
  int first = 0;
  for (int i = cg->ndirs - 1; i >= 0; i--) {
    struct tj_cg_dir *d = &cg->dirs[i];
    if (d->parent_fd < 0)
      continue;
    tj_error e = {0};
    int r = v1_delete(d->parent_fd, cg->name, d->rel, d->controller, d->path, &e);
    if (r == -ENOENT)
      r = 0;
    if (r < 0 && !first) {
      first = r;
      if (err)
        *err = e;
    }
  }
  if (!first)
    cg->ndirs = 0;
  return first;
}

/* Names collected in every hierarchy count once. */
struct v1_gc_ctx {
  const char *ctrl;
  const struct v1_hier *hh;
  char (*names)[TJ_CG_NAME_MAX];
  int nnames, cap;
};

static int v1_gc_one(void *ctx, int own_fd, const char *name, tj_error *err) {
  struct v1_gc_ctx *c = ctx;
  bool root = strcmp(c->hh->own, "/") == 0;
  char rel[PATH_MAX], path[PATH_MAX];
  if ((size_t)snprintf(rel, sizeof(rel), "%s/%s", root ? "" : c->hh->own, name) >= sizeof(rel) ||
      (size_t)snprintf(path, sizeof(path), "%s/%s", c->hh->path, name) >= sizeof(path))
    return tj_cg_fail(err, ENAMETOOLONG, "path of %s under %s too long", name, c->hh->path);
  int r = v1_delete(own_fd, name, rel, c->ctrl, path, err);
  if (r < 0)
    return r;
  for (int i = 0; i < c->nnames; i++)
    if (strcmp(c->names[i], name) == 0)
      return 0;
  if (c->nnames == c->cap) {
    int cap = c->cap ? c->cap * 2 : 16;
    void *n = realloc(c->names, cap * sizeof(*c->names));
    if (!n)
      return 0;
    c->names = n;
    c->cap = cap;
  }
  snprintf(c->names[c->nnames++], TJ_CG_NAME_MAX, "%s", name);
  return 0;
}

static int tj_cg_v1_gc(int *removed, tj_error *err) {
  static const char *const ctrls[] = {"memory", "pids", "cpu", "cpuacct", "devices"};
  char done[TJ_ARRAY_SIZE(ctrls)][PATH_MAX];
  int ndone = 0, first = 0;
  struct v1_gc_ctx c = {0};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(ctrls); i++) {
    struct v1_hier hh;
    char why[512];
    if (v1_hier_find(ctrls[i], &hh, why, sizeof(why)) < 0)
      continue;
    bool seen = false;
    for (int j = 0; j < ndone; j++)
      seen |= strcmp(done[j], hh.path) == 0;
    if (seen)
      continue;
    snprintf(done[ndone++], PATH_MAX, "%s", hh.path);
    _cleanup_close_ int own_fd = open(hh.path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    tj_error e = {0};
    int r;
    if (own_fd < 0) {
      r = tj_error_set(&e, errno, "opening %s", hh.path);
    } else {
      c.ctrl = ctrls[i];
      c.hh = &hh;
      r = tj_cg_gc_dir(own_fd, hh.path, v1_gc_one, &c, &e);
    }
    if (r < 0 && !first) {
      first = r;
      if (err)
        *err = e;
    }
  }
  *removed = c.nnames;
  free(c.names);
  return first;
}

static int tj_cg_v1_probe(struct tj_cg_info *info, tj_error *err) {
  (void)err;
  struct {
    const char *ctrl;
    char *own;
    bool *has;
    char *why;
  } c[] = {{"memory", info->own_memory, &info->has_memory, info->why_memory},
           {"pids", info->own_pids, &info->has_pids, info->why_pids},
           {"cpu", info->own_cpu, &info->has_cpu, info->why_cpu}};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(c); i++) {
    struct v1_hier hh;
    *c[i].has = v1_hier_find(c[i].ctrl, &hh, c[i].why, 256) == 0;
    if (*c[i].has && (size_t)snprintf(c[i].own, 512, "%s", hh.path) >= 512) {
      *c[i].has = false;
      snprintf(c[i].why, 256, "the path of our %s cgroup is too long", c[i].ctrl);
    }
  }
  return 0;
}

const struct tj_cg_ops tj_cg_v1_ops = {
    .memory_usage = "memory.usage_in_bytes",
    .memory_peak = "memory.max_usage_in_bytes",
    .oom_events = "memory.oom_control",
    .create = tj_cg_v1_create,
    .stats = tj_cg_v1_stats,
    .limit_hits = tj_cg_v1_limit_hits,
    .kill_all = tj_cg_v1_kill_all,
    .remove = tj_cg_v1_remove,
    .gc = tj_cg_v1_gc,
    .probe = tj_cg_v1_probe,
};
