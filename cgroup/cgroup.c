/* Mode detection, run cgroup naming and collection of stale ones, the pure
 * parsers, and the public API over the backends' ops tables. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

/* ---- pure parsers ---- */

static bool controller_in_list(const char *list, size_t len, const char *want) {
  size_t wlen = strlen(want);
  const char *end = list + len;
  while (list < end) {
    const char *comma = memchr(list, ',', end - list);
    const char *tok_end = comma ? comma : end;
    if ((size_t)(tok_end - list) == wlen && memcmp(list, want, wlen) == 0)
      return true;
    list = tok_end + 1;
  }
  return false;
}

int tj_cg_proc_cgroup_find(const char *content, const char *controller, char *path, size_t size) {
  bool want_v2 = !controller || !*controller;
  const char *line = content;
  while (line && *line) {
    const char *eol = strchrnul(line, '\n');
    const char *c1 = memchr(line, ':', eol - line);
    const char *c2 = c1 ? memchr(c1 + 1, ':', eol - c1 - 1) : NULL;
    if (c2 && c2 + 1 < eol && c2[1] == '/') {
      const char *ctrls = c1 + 1;
      size_t ctrls_len = c2 - ctrls;
      bool match;
      if (want_v2)
        match = ctrls_len == 0 && c1 - line == 1 && line[0] == '0';
      else
        match = controller_in_list(ctrls, ctrls_len, controller);
      if (match) {
        size_t plen = eol - (c2 + 1);
        if (plen + 1 > size)
          return -ENAMETOOLONG;
        memcpy(path, c2 + 1, plen);
        path[plen] = '\0';
        return 0;
      }
    }
    line = *eol ? eol + 1 : eol;
  }
  return -ENOENT;
}

int tj_cg_parse_int(const char *content, int64_t *value) {
  const char *p = content;
  while (*p == ' ' || *p == '\t')
    p++;
  const char *end;
  if (strncmp(p, "max", 3) == 0) {
    *value = INT64_MAX;
    end = p + 3;
  } else {
    if (!(isdigit((unsigned char)*p) || (*p == '-' && isdigit((unsigned char)p[1]))))
      return -EINVAL;
    char *e;
    errno = 0;
    long long v = strtoll(p, &e, 10);
    if (errno)
      return -EINVAL;
    *value = v;
    end = e;
  }
  while (*end == ' ' || *end == '\t' || *end == '\n')
    end++;
  return *end ? -EINVAL : 0;
}

int tj_cg_keyed_get(const char *content, const char *key, int64_t *value) {
  size_t klen = strlen(key);
  const char *line = content;
  while (*line) {
    const char *eol = strchrnul(line, '\n');
    if ((size_t)(eol - line) > klen && memcmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == '\t')) {
      char num[32];
      size_t n = eol - (line + klen);
      if (n >= sizeof(num))
        return -EINVAL;
      memcpy(num, line + klen, n);
      num[n] = '\0';
      return tj_cg_parse_int(num, value);
    }
    line = *eol ? eol + 1 : eol;
  }
  return -ENOENT;
}

bool tj_cg_list_has(const char *list, const char *word) {
  size_t wlen = strlen(word);
  const char *p = list;
  while (*p) {
    while (*p && isspace((unsigned char)*p))
      p++;
    const char *start = p;
    while (*p && !isspace((unsigned char)*p))
      p++;
    if ((size_t)(p - start) == wlen && wlen && memcmp(start, word, wlen) == 0)
      return true;
  }
  return false;
}

int tj_cg_make_name(char *buf, size_t size, pid_t pid, unsigned long long start, uint64_t rnd) {
  int n = snprintf(buf, size, TJ_CG_PREFIX "%d-%llu-%016" PRIx64, (int)pid, start, rnd);
  return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Digits only (no sign, no spaces): pointer past them, NULL on none or
 * overflow. */
static const char *parse_udec(const char *p, unsigned long long *v) {
  if (!isdigit((unsigned char)*p))
    return NULL;
  unsigned long long x = 0;
  for (; isdigit((unsigned char)*p); p++) {
    unsigned d = *p - '0';
    if (x > (ULLONG_MAX - d) / 10)
      return NULL;
    x = x * 10 + d;
  }
  *v = x;
  return p;
}

bool tj_cg_parse_name(const char *name, pid_t *pid, unsigned long long *start) {
  size_t plen = strlen(TJ_CG_PREFIX);
  if (strncmp(name, TJ_CG_PREFIX, plen) != 0)
    return false;
  unsigned long long p, s;
  const char *q = parse_udec(name + plen, &p);
  if (!q || *q != '-' || p == 0 || p > INT_MAX)
    return false;
  q = parse_udec(q + 1, &s);
  if (!q || *q != '-')
    return false;
  q++;
  size_t hex = 0;
  for (; q[hex]; hex++)
    if (!isdigit((unsigned char)q[hex]) && !(q[hex] >= 'a' && q[hex] <= 'f'))
      return false;
  if (hex == 0 || hex > 32)
    return false;
  *pid = (pid_t)p;
  *start = s;
  return true;
}

int tj_cg_stat_parse(const char *content, char *state, unsigned long long *start) {
  const char *p = strrchr(content, ')');
  if (!p)
    return -EINVAL;
  p++;
  while (*p == ' ')
    p++;
  if (!*p || *p == '\n')
    return -EINVAL;
  if (state)
    *state = *p;
  /* After "pid (comm)" the next field is the 3rd: state. */
  for (int field = 3; field <= 22; field++) {
    while (*p == ' ')
      p++;
    if (!*p || *p == '\n')
      return -EINVAL;
    if (field == 22)
      return parse_udec(p, start) ? 0 : -EINVAL;
    while (*p && *p != ' ')
      p++;
  }
  return -EINVAL;
}

/* ---- small I/O helpers ---- */

int tj_cg_fail(tj_error *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->code = code;
  }
  return code ? -code : -1;
}

static ssize_t read_fd(int fd, char *buf, size_t size) {
  size_t len = 0;
  while (len + 1 < size) {
    ssize_t n = read(fd, buf + len, size - 1 - len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    if (n == 0)
      break;
    len += n;
  }
  buf[len] = '\0';
  return len;
}

ssize_t tj_cg_read_at(int dfd, const char *file, char *buf, size_t size) {
  _cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  return read_fd(fd, buf, size);
}

int tj_cg_read_all_at(int dfd, const char *file, char **out) {
  _cleanup_close_ int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  size_t cap = 4096, len = 0;
  _cleanup_free_ char *buf = malloc(cap);
  if (!buf)
    return -ENOMEM;
  for (;;) {
    ssize_t n = read_fd(fd, buf + len, cap - len);
    if (n < 0)
      return n;
    len += n;
    if (len + 1 < cap) /* read_fd stops short of a full buffer only at EOF */
      break;
    char *nb = realloc(buf, cap * 2);
    if (!nb)
      return -ENOMEM;
    buf = nb;
    cap *= 2;
  }
  *out = steal_pointer(&buf);
  return 0;
}

int tj_cg_write_at(int dfd, const char *file, const char *val) {
  _cleanup_close_ int fd = openat(dfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  size_t len = strlen(val);
  ssize_t n;
  do
    n = write(fd, val, len);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;
  return (size_t)n == len ? 0 : -EIO;
}

int tj_cg_read_int_at(int dfd, const char *file, int64_t *value) {
  char buf[128];
  ssize_t n = tj_cg_read_at(dfd, file, buf, sizeof(buf));
  if (n < 0)
    return n;
  return tj_cg_parse_int(buf, value);
}

int tj_cg_read_keyed_at(int dfd, const char *file, const char *key, int64_t *value) {
  char buf[4096];
  ssize_t n = tj_cg_read_at(dfd, file, buf, sizeof(buf));
  if (n < 0)
    return n;
  return tj_cg_keyed_get(buf, key, value);
}

/* ---- owners and names ---- */

int tj_cg_pid_stat(pid_t pid, char *state, unsigned long long *start) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n = read_fd(fd, buf, sizeof(buf));
  if (n < 0)
    return n;
  return tj_cg_stat_parse(buf, state, start);
}

static int self_starttime(unsigned long long *start) {
  static pid_t cached_pid;
  static unsigned long long cached_start;
  pid_t self = getpid();
  if (cached_pid != self) {
    int r = tj_cg_pid_stat(self, NULL, &cached_start);
    if (r < 0)
      return r;
    cached_pid = self;
  }
  *start = cached_start;
  return 0;
}

/* The pid namespace a name was made in: pids only mean something there, so
 * a run cgroup named by a testjail in another pid namespace (another
 * container sharing this cgroup parent) is never judged from ours. The
 * namespace's inode goes in the first 8 hex digits of the random part. */
static uint32_t pidns_tag(void) {
  struct stat st;
  return stat("/proc/self/ns/pid", &st) == 0 ? (uint32_t)st.st_ino : 0;
}

bool tj_cg_name_is_stale(const char *name) {
  pid_t pid;
  unsigned long long start, now;
  char state;
  if (!tj_cg_parse_name(name, &pid, &start))
    return false;
  const char *hex = strrchr(name, '-') + 1;
  char tag[9];
  snprintf(tag, sizeof(tag), "%08" PRIx32, pidns_tag());
  if (strlen(hex) != 16 || strncmp(hex, tag, 8) != 0)
    return false;
  int r = tj_cg_pid_stat(pid, &state, &now);
  if (r == -ENOENT || r == -ESRCH)
    return true;
  if (r < 0)
    return false; /* cannot tell: keep it */
  /* A zombie owner is gone too: an init that reaps late (or never) must
   * not keep its cgroups alive. */
  return now != start || state == 'Z' || state == 'X';
}

bool tj_cg_name_is_mine(const char *name) {
  pid_t pid;
  unsigned long long start, mine;
  return tj_cg_parse_name(name, &pid, &start) && pid == getpid() && self_starttime(&mine) == 0 && start == mine;
}

int tj_cg_new_name(char *buf, size_t size, tj_error *err) {
  unsigned long long start;
  int r = self_starttime(&start);
  if (r < 0)
    return tj_error_set(err, -r, "reading /proc/%d/stat", (int)getpid());
  uint64_t rnd;
  if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd)) {
    /* Early boot without entropy: the pid and start time already make the
     * name unique between processes; this only separates our own runs. */
    static uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    rnd = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ++counter;
  }
  rnd = ((uint64_t)pidns_tag() << 32) | (rnd & 0xffffffffu);
  r = tj_cg_make_name(buf, size, getpid(), start, rnd);
  if (r < 0)
    return tj_error_set(err, -r, "making a cgroup name");
  return 0;
}

/* ---- killing and removing ---- */

static int elapsed_ms(const struct timespec *since) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int)((now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000);
}

static void close_pollfds(struct pollfd *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i].fd >= 0)
      close(p[i].fd);
}

int tj_cg_sweep_kill(int dfd, const char *path, tj_error *err) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t self = getpid();
  for (;;) {
    _cleanup_free_ char *buf = NULL;
    int r = tj_cg_read_all_at(dfd, "cgroup.procs", &buf);
    if (r == -ENOENT || r == -ENODEV)
      return 0; /* the cgroup went away */
    if (r < 0)
      return tj_error_set(err, -r, "reading %s/cgroup.procs", path);

    size_t count = 1;
    for (const char *c = buf; *c; c++)
      count += *c == '\n';
    _cleanup_free_ struct pollfd *pfds = calloc(count, sizeof(*pfds));
    if (!pfds)
      return tj_error_set(err, ENOMEM, "sweeping %s", path);
    size_t npfd = 0;
    bool no_pidfd = false, any = false;
    for (char *p = buf, *next; *p; p = next) {
      long v = strtol(p, &next, 10);
      if (next == p)
        break;
      if (v <= 0 || v == self)
        continue;
      any = true;
      /* Signal and wait through one pidfd, so both reach the same process
       * and POLLIN says when it is gone, without sleeping. (A pid reused
       * between reading cgroup.procs and pidfd_open stays possible, as in
       * any sweep; v2's cgroup.kill has no such window.) */
      int pfd = (int)syscall(SYS_pidfd_open, (pid_t)v, 0);
      if (pfd < 0) {
        if (errno != ESRCH) { /* ENOSYS before 5.3, EMFILE */
          no_pidfd = true;
          kill((pid_t)v, SIGKILL);
        }
        continue;
      }
      if (syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH) {
        int e = errno;
        close(pfd);
        close_pollfds(pfds, npfd);
        return tj_error_set(err, e, "killing pid %ld of %s", v, path);
      }
      pfds[npfd++] = (struct pollfd){.fd = pfd, .events = POLLIN};
    }
    if (!any)
      return 0;

    size_t pending = npfd;
    while (pending > 0) {
      int left = TJ_CG_KILL_TIMEOUT_MS - elapsed_ms(&t0);
      if (left <= 0)
        break;
      int n = poll(pfds, npfd, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      for (size_t i = 0; i < npfd; i++)
        if (pfds[i].fd >= 0 && pfds[i].revents) {
          close(pfds[i].fd);
          pfds[i].fd = -1;
          pending--;
        }
    }
    close_pollfds(pfds, npfd);
    if (elapsed_ms(&t0) >= TJ_CG_KILL_TIMEOUT_MS)
      return tj_cg_fail(err, ETIMEDOUT,
                        "processes in %s/cgroup.procs still alive %d s after "
                        "SIGKILL",
                        path, TJ_CG_KILL_TIMEOUT_MS / 1000);
    if (no_pidfd) {
      /* Nothing to wait on (no pidfd before Linux 5.3): pace the rounds. */
      struct timespec ts = {0, 5 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
}

static void keep_first(int *first, tj_error *err, int r, const tj_error *e) {
  if (r < 0 && *first == 0) {
    *first = r;
    if (err)
      *err = *e;
  }
}

static bool is_subdir(int dfd, const struct dirent *de) {
  if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
    return false;
  if (de->d_type == DT_DIR)
    return true;
  struct stat st;
  return de->d_type == DT_UNKNOWN && fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static DIR *opendir_at(int dfd) {
  int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  DIR *d = fdopendir(fd);
  if (!d)
    close(fd);
  return d;
}

int tj_cg_sweep_kill_tree(int dfd, const char *path, tj_error *err) {
  int first = 0;
  tj_error e = {0};
  keep_first(&first, err, tj_cg_sweep_kill(dfd, path, &e), &e);
  _cleanup_closedir_ DIR *d = opendir_at(dfd);
  if (!d)
    return first;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!is_subdir(dirfd(d), de))
      continue;
    char sub[PATH_MAX];
    snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
    _cleanup_close_ int cfd = openat(dfd, de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (cfd >= 0)
      keep_first(&first, err, tj_cg_sweep_kill_tree(cfd, sub, &e), &e);
  }
  return first;
}

int tj_cg_remove_children(int dfd, const char *path, tj_error *err) {
  _cleanup_closedir_ DIR *d = opendir_at(dfd);
  if (!d)
    return errno == ENOENT ? 0 : tj_error_set(err, errno, "opening %s", path);
  int first = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!is_subdir(dirfd(d), de))
      continue;
    char sub[PATH_MAX];
    tj_error e = {0};
    snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
    _cleanup_close_ int cfd = openat(dfd, de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (cfd < 0) {
      if (errno != ENOENT)
        keep_first(&first, err, tj_error_set(&e, errno, "opening %s", sub), &e);
      continue;
    }
    keep_first(&first, err, tj_cg_remove_children(cfd, sub, &e), &e);
    keep_first(&first, err, tj_cg_sweep_kill(cfd, sub, &e), &e);
    if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
      keep_first(&first, err, tj_error_set(&e, errno, "removing %s", sub), &e);
  }
  return first;
}

int tj_cg_gc_dir(int own_fd, const char *own_path, tj_cg_gc_fn fn, void *ctx, tj_error *err) {
  _cleanup_closedir_ DIR *d = opendir_at(own_fd);
  if (!d)
    return tj_error_set(err, errno, "opening %s", own_path);
  int first = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    pid_t pid;
    unsigned long long start;
    if (!tj_cg_parse_name(de->d_name, &pid, &start) || !is_subdir(dirfd(d), de) || !tj_cg_name_is_stale(de->d_name))
      continue;
    tj_error e = {0};
    int r = fn(ctx, own_fd, de->d_name, &e);
    if (r != -ENOENT)
      keep_first(&first, err, r, &e);
  }
  return first;
}

void tj_cg_dir_init(struct tj_cg_dir *d) {
  memset(d, 0, sizeof(*d));
  d->parent_fd = d->fd = d->procs_fd = -1;
}

void tj_cg_dir_close(struct tj_cg_dir *d) {
  tj_closep(&d->procs_fd);
  tj_closep(&d->fd);
  tj_closep(&d->parent_fd);
  d->parent_fd = d->fd = d->procs_fd = -1;
}

/* ---- public API ---- */

const char *tj_cg_mode_name(enum tj_cg_mode mode) {
  switch (mode) {
  case TJ_CG_V2:
    return "v2";
  case TJ_CG_HYBRID:
    return "hybrid";
  case TJ_CG_V1:
    return "v1";
  case TJ_CG_NONE:
    return "none";
  }
  return "unknown";
}

int tj_cg_detect(enum tj_cg_mode *mode, tj_error *err) {
  struct statfs fs;
  if (statfs("/sys/fs/cgroup", &fs) < 0)
    return tj_error_set(err, errno, "statfs /sys/fs/cgroup");
  if (fs.f_type == CGROUP2_SUPER_MAGIC) {
    *mode = TJ_CG_V2;
    return 0;
  }
  if (fs.f_type == CGROUP_SUPER_MAGIC) {
    *mode = TJ_CG_V1;
    return 0;
  }
  if (fs.f_type != TMPFS_MAGIC)
    return tj_cg_fail(err, ENOTSUP,
                      "/sys/fs/cgroup is neither cgroup2 nor a tmpfs holding "
                      "cgroup v1 hierarchies (filesystem magic 0x%lx): mount "
                      "cgroup2 there (mount -t cgroup2 none /sys/fs/cgroup)",
                      (unsigned long)fs.f_type);
  if (statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
    *mode = TJ_CG_HYBRID;
  else
    *mode = TJ_CG_V1;
  return 0;
}

/* The backend for this host and caller. Root keeps the host's backend.
 * A normal user gets v2 only in a delegated subtree: v1 hierarchies are
 * not delegated safely (their limits are writable by the delegatee and
 * nothing stops it from leaving its subtree), so hybrid and v1 hosts give
 * a normal user no cgroup, as rootless podman does. why says why then. */
static int choose_backend(enum tj_cg_mode *mode, const struct tj_cg_ops **ops, char *why, size_t size, tj_error *err) {
  int r = tj_cg_detect(mode, err);
  if (r < 0)
    return r;
  *ops = *mode == TJ_CG_V2 ? &tj_cg_v2_ops : &tj_cg_v1_ops;
  if (geteuid() == 0)
    return 0;
  if (*mode != TJ_CG_V2) {
    snprintf(why, size,
             "this host has %s cgroups (memory, pids and cpu on cgroup v1, "
             "which only root may use)",
             tj_cg_mode_name(*mode));
    *ops = &tj_cg_none_ops;
  } else if (!tj_cg_v2_delegated(why, size)) {
    *ops = &tj_cg_none_ops;
  }
  return 0;
}

int tj_cg_probe(struct tj_cg_info *info, tj_error *err) {
  memset(info, 0, sizeof(*info));
  const struct tj_cg_ops *ops;
  int r = choose_backend(&info->mode, &ops, info->why_not_delegated, sizeof(info->why_not_delegated), err);
  if (r < 0)
    return r;
  info->rootless = geteuid() != 0;
  if (info->mode == TJ_CG_V2)
    snprintf(info->mount_v2, sizeof(info->mount_v2), "/sys/fs/cgroup");
  else if (info->mode == TJ_CG_HYBRID)
    snprintf(info->mount_v2, sizeof(info->mount_v2), "/sys/fs/cgroup/unified");
  return ops->probe(info, err);
}

static void cg_free(tj_cgroup *cg) {
  tj_cg_sampler_close(cg);
  for (int i = 0; i < TJ_CG_MAX_DIRS; i++)
    tj_cg_dir_close(&cg->dirs[i]);
  free(cg);
}

static tj_cgroup *cg_alloc(enum tj_cg_mode mode, const struct tj_cg_ops *ops) {
  tj_cgroup *cg = calloc(1, sizeof(*cg));
  if (!cg)
    return NULL;
  for (int i = 0; i < TJ_CG_MAX_DIRS; i++)
    tj_cg_dir_init(&cg->dirs[i]);
  cg->mode = mode;
  cg->ops = ops;
  cg->memory = cg->pids = cg->cpu = cg->cpuacct = cg->devices = -1;
  cg->devices_mode = "";
  cg->sampled_peak = -1;
  return cg;
}

int tj_cg_none_new(tj_cgroup **out, tj_error *err) {
  *out = cg_alloc(TJ_CG_NONE, &tj_cg_none_ops);
  return *out ? 0 : tj_error_set(err, ENOMEM, "allocating a cgroup");
}

/* Once in a process and the workers it forks after: the stale cgroups of
 * testjails that died go, and libcgroup reads the mounts (its start-up
 * costs ~3 ms where first touches of pages are dear). */
static bool prepared;

int tj_cg_prepare(void) {
  prepared = true;
  /* A stale cgroup we cannot remove must not stop this run; doctor --gc
   * reports it. */
  int removed;
  tj_error gc_err = {0};
  return tj_cg_gc(&removed, &gc_err);
}

int tj_cg_create(const struct tj_cg_limits *limits, tj_cgroup **out, tj_error *err) {
  return tj_cg_create_in(NULL, limits, out, err);
}

int64_t tj_cg_memory_limit_hits(tj_cgroup *cg) {
  return cg && cg->memory >= 0 && cg->ops->limit_hits ? cg->ops->limit_hits(cg) : -1;
}

int tj_cg_create_in(const tj_cgroup *parent, const struct tj_cg_limits *limits, tj_cgroup **out, tj_error *err) {
  static const struct tj_cg_limits none = {-1, -1, -1, -1, false};
  if (!limits)
    limits = &none;
  *out = NULL;
  enum tj_cg_mode mode;
  const struct tj_cg_ops *ops;
  char why[384] = "";
  int r = choose_backend(&mode, &ops, why, sizeof(why), err);
  if (r < 0)
    return r;
  if (ops == &tj_cg_none_ops) {
    if (!tj_cg_limits_any(limits)) {
      r = tj_cg_none_new(out, err);
      if (r >= 0 && limits->devices)
        snprintf((*out)->devices_why, sizeof((*out)->devices_why), "no cgroup: %s", why);
      return r;
    }
    char line[sizeof(err->msg)];
    tj_cg_refusal(line, sizeof(line), limits, mode, why);
    return tj_cg_fail(err, EPERM, "%s", line);
  }

  if (!prepared)
    (void)tj_cg_prepare();

  if (parent && parent->ops != ops)
    return tj_cg_fail(err, EINVAL, "the parent cgroup %s is of another backend", tj_cg_path(parent));
  tj_cgroup *cg = cg_alloc(mode, ops);
  if (!cg)
    return tj_error_set(err, ENOMEM, "allocating a cgroup");
  cg->parent = parent;
  r = tj_cg_new_name(cg->name, sizeof(cg->name), err);
  if (r >= 0)
    r = ops->create(cg, limits, err);
  if (r < 0) {
    tj_error ignored = {0};
    (void)ops->remove(cg, &ignored);
    cg_free(cg);
    return r;
  }
  *out = cg;
  return 0;
}

int tj_cg_clone_fd(const tj_cgroup *cg) { return cg && cg->ops->clone_into && cg->ndirs > 0 ? cg->dirs[0].fd : -1; }

int tj_cg_enter(const tj_cgroup *cg) {
  for (int i = 0; i < cg->ndirs; i++) {
    int fd = cg->dirs[i].procs_fd;
    if (fd < 0)
      continue;
    ssize_t n;
    do
      n = write(fd, "0", 1);
    while (n < 0 && errno == EINTR);
    if (n < 0)
      return -errno;
  }
  return 0;
}

int tj_cg_stats(tj_cgroup *cg, struct tj_cg_stats *st, tj_error *err) {
  *st = TJ_CG_STATS_UNKNOWN;
  int r = cg->ops->stats(cg, st, err);
  if (st->memory_peak_bytes >= 0)
    st->memory_peak_from = cg->ops->memory_peak;
  else if (cg->sampled_peak >= 0) {
    st->memory_peak_bytes = cg->sampled_peak;
    st->memory_peak_from = "sampled";
  }
  return r;
}

bool tj_cg_needs_sampling(const tj_cgroup *cg) {
  return cg && cg->ops->peak_sampled && cg->memory >= 0 && !cg->has_memory_peak;
}

void tj_cg_sample(tj_cgroup *cg) {
  if (!cg || cg->memory < 0)
    return;
  int64_t v;
  if (tj_cg_read_int_at(cg->dirs[cg->memory].fd, cg->ops->memory_usage, &v) == 0 && v > cg->sampled_peak)
    cg->sampled_peak = v;
}

int tj_cg_kill_all(tj_cgroup *cg, tj_error *err) { return cg->ops->kill_all(cg, err); }

int tj_cg_destroy(tj_cgroup *cg, tj_error *err) {
  if (!cg)
    return 0;
  tj_error later = {0};
  int r = tj_cg_kill_all(cg, err);
  int r2 = cg->ops->remove(cg, r < 0 ? &later : err);
  cg_free(cg);
  return r < 0 ? r : r2;
}

enum tj_cg_mode tj_cg_mode_of(const tj_cgroup *cg) { return cg->mode; }

bool tj_cg_is_none(const tj_cgroup *cg) { return cg->mode == TJ_CG_NONE; }

const char *tj_cg_devices(const tj_cgroup *cg, const char **why) {
  if (why)
    *why = cg->devices_why;
  return cg->devices_mode;
}

const char *tj_cg_path(const tj_cgroup *cg) {
  if (cg->memory >= 0)
    return cg->dirs[cg->memory].path;
  return cg->ndirs > 0 ? cg->dirs[0].path : "";
}

int tj_cg_gc(int *removed, tj_error *err) {
  *removed = 0;
  enum tj_cg_mode mode;
  const struct tj_cg_ops *ops;
  char why[384];
  int r = choose_backend(&mode, &ops, why, sizeof(why), err);
  if (r < 0)
    return r;
  return ops->gc(removed, err);
}
