#include "sandbox/contain.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "sandbox/userns.h"
#include "common/util.h"

#define STAGE "/tmp"
#define NEWROOT STAGE "/.testjail-root"

static bool path_under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

static const char *env_get(char *const *envp, const char *name) {
  size_t n = strlen(name);
  for (; envp && *envp; envp++)
    if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
      return *envp + n + 1;
  return NULL;
}

static enum tj_resolve_status check_exe(const char *path, tj_error *err) {
  struct stat st;
  if (stat(path, &st) < 0)
    return tj_error_set(err, errno, "%s", path), TJ_RESOLVE_NOT_FOUND;
  if (S_ISDIR(st.st_mode))
    return tj_error_set(err, EISDIR, "%s", path), TJ_RESOLVE_NOT_EXECUTABLE;
  if (access(path, X_OK) < 0)
    return tj_error_set(err, errno, "%s", path), TJ_RESOLVE_NOT_EXECUTABLE;
  return TJ_RESOLVE_OK;
}

/* Whether a process that owns none of the host's files (the sandbox's root
 * under a user namespace) may search every directory above path. */
static bool others_may_reach(const char *path) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof(buf), "%s", path);
  for (char *p = strchr(buf + 1, '/'); p; p = strchr(p + 1, '/')) {
    *p = 0;
    struct stat st;
    if (stat(buf, &st) < 0 || !(st.st_mode & S_IXOTH))
      return false;
    *p = '/';
  }
  return true;
}

enum tj_resolve_status tj_resolve_command(const char *cmd, char *const *envp, char *out, size_t len, tj_error *err) {
  return tj_resolve_command_as(cmd, envp, false, out, len, err);
}

enum tj_resolve_status tj_resolve_command_as(const char *cmd, char *const *envp, bool others_only, char *out,
                                             size_t len, tj_error *err) {
  if (strchr(cmd, '/')) {
    if (cmd[0] == '/') {
      snprintf(out, len, "%s", cmd);
    } else {
      char cwd[PATH_MAX];
      if (!getcwd(cwd, sizeof(cwd)))
        return tj_error_set(err, errno, "getcwd"), TJ_RESOLVE_NOT_FOUND;
      snprintf(out, len, "%s/%s", cwd, cmd);
    }
    return check_exe(out, err);
  }
  const char *path = env_get(envp, "PATH");
  if (!path)
    path = "/usr/local/bin:/usr/bin:/bin";
  enum tj_resolve_status best = TJ_RESOLVE_NOT_FOUND;
  char found_noexec[PATH_MAX] = "";
  for (const char *p = path;; p = strchr(p, ':') + 1) {
    const char *end = strchrnul(p, ':');
    int n = (int)(end - p);
    char cand[PATH_MAX];
    snprintf(cand, sizeof(cand), "%.*s/%s", n ? n : 1, n ? p : ".", cmd);
    tj_error sub = {0};
    enum tj_resolve_status s = check_exe(cand, &sub);
    if (s == TJ_RESOLVE_OK && others_only && !others_may_reach(cand))
      s = TJ_RESOLVE_NOT_FOUND; /* the workload's own PATH search passes it by */
    if (s == TJ_RESOLVE_OK) {
      snprintf(out, len, "%s", cand);
      return TJ_RESOLVE_OK;
    }
    if (s == TJ_RESOLVE_NOT_EXECUTABLE && best == TJ_RESOLVE_NOT_FOUND) {
      best = s;
      snprintf(found_noexec, sizeof(found_noexec), "%s", cand);
    }
    if (!*end)
      break;
  }
  if (best == TJ_RESOLVE_NOT_EXECUTABLE)
    tj_error_set(err, EACCES, "%s", found_noexec);
  else
    tj_error_set(err, 0, "%s: command not found", cmd);
  return best;
}

static int mkdir_p(const char *path, mode_t mode);

static int add_bind(struct tj_contain_plan *plan, const char *src, const char *dst, bool readonly, const char *what,
                    tj_error *err) {
  if (plan->n_binds >= TJ_MAX_PLAN_BINDS)
    return tj_error_set(err, 0, "%s: too many binds", what);
  struct tj_plan_bind *b = &plan->binds[plan->n_binds];
  struct stat st;
  b->src = realpath(src, NULL);
  if (!b->src || stat(b->src, &st) < 0)
    return tj_error_set(err, errno, "%s: source %s", what, src);
  plan->n_binds++;
  if (!(b->dst = strdup(dst)))
    return tj_error_set(err, ENOMEM, "%s", what);
  /* "/a/b/" and "/a/b" are one mount point */
  size_t n = strlen(b->dst);
  while (n > 1 && b->dst[n - 1] == '/')
    b->dst[--n] = 0;
  b->readonly = readonly;
  b->is_dir = S_ISDIR(st.st_mode);
  b->fd = -1;
  b->idmapped = false;
  return 0;
}

/* Bind i shows path at its place: not the root, nor --tmp-dir's /tmp,
 * whose content is another directory than the host's /tmp. */
static bool bind_shows(const struct tj_contain_plan *plan, int i, const char *path) {
  const char *dst = plan->binds[i].dst;
  return strcmp(dst, "/") != 0 && !(plan->tmp_bound && strcmp(dst, "/tmp") == 0) && path_under(path, dst);
}

static bool under_bind(const struct tj_contain_plan *plan, const char *path) {
  for (int i = 0; i < plan->n_binds; i++)
    if (strcmp(plan->binds[i].dst, "/") != 0 && path_under(path, plan->binds[i].dst))
      return true;
  return false;
}

static bool under_cover(const struct tj_contain_plan *plan, const char *path) {
  for (int i = 0; i < plan->n_covers; i++)
    if (path_under(path, plan->covers[i]))
      return true;
  return false;
}

/* Mount points testjail makes itself, each a fresh tmpfs or proc that the
 * sandbox's root may search. */
static bool own_mount_area(const char *path) {
  return path_under(path, "/tmp") || path_under(path, "/dev") || path_under(path, "/run") || path_under(path, "/proc");
}

/* The topmost directory above path that the rest of the world may not
 * search, unless a bind or another cover already leads past it. */
static int add_cover(struct tj_contain_plan *plan, const char *path, tj_error *err) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof(buf), "%s", path);
  for (char *p = strchr(buf + 1, '/'); p; p = strchr(p + 1, '/')) {
    *p = 0;
    struct stat st;
    bool stop = own_mount_area(buf) || under_cover(plan, buf) || under_bind(plan, buf);
    if (!stop && stat(buf, &st) == 0 && S_ISDIR(st.st_mode) && !(st.st_mode & S_IXOTH)) {
      if (plan->n_covers >= TJ_MAX_PLAN_BINDS)
        return tj_error_set(err, 0, "%s: too many directories to cover", path);
      if (!(plan->covers[plan->n_covers] = strdup(buf)))
        return tj_error_set(err, ENOMEM, "%s", path);
      plan->n_covers++;
      return 0;
    }
    *p = '/';
    if (stop)
      return 0;
  }
  return 0;
}

static int plan_covers(struct tj_contain_plan *plan, tj_error *err) {
  for (int i = 0; i < plan->n_binds; i++)
    if (add_cover(plan, plan->binds[i].dst, err) < 0)
      return -EINVAL;
  if (add_cover(plan, plan->workdir, err) < 0 || add_cover(plan, plan->exe, err) < 0)
    return -EINVAL;
  /* A command below a covered directory is bound where it was. */
  if (under_cover(plan, plan->exe) && !under_bind(plan, plan->exe) &&
      add_bind(plan, plan->exe, plan->exe, true, "command", err) < 0)
    return -EINVAL;
  return 0;
}

static int bind_depth_cmp(const void *a, const void *b) {
  const struct tj_plan_bind *x = a, *y = b;
  size_t lx = strlen(x->dst), ly = strlen(y->dst);
  return lx < ly ? -1 : lx > ly;
}

int tj_contain_prepare(const struct tj_spec *spec, const char *exe, bool host_ids_unmapped,
                       struct tj_contain_plan *plan, tj_error *err) {
  memset(plan, 0, sizeof(*plan));
  plan->host_ids_unmapped = host_ids_unmapped;
  if (spec->workdir) {
    if (!realpath(spec->workdir, plan->workdir))
      return tj_error_set(err, errno, "working directory %s", spec->workdir);
  } else if (!getcwd(plan->workdir, sizeof(plan->workdir))) {
    return tj_error_set(err, errno, "reading the working directory");
  }
  snprintf(plan->exe, sizeof(plan->exe), "%s", exe);
  plan->new_net = !spec->network_host;
  plan->tmpfs_bytes = spec->tmpfs_bytes;
  /* First of the binds below /tmp (they go in by depth), so they stay
   * visible on top of it; writable binds are idmapped, so what the
   * workload writes there is the caller's. */
  if (spec->tmp_dir) {
    char what[PATH_MAX + 16];
    snprintf(what, sizeof(what), "--tmp-dir %s", spec->tmp_dir);
    if (add_bind(plan, spec->tmp_dir, "/tmp", false, what, err) < 0)
      return -EINVAL;
    plan->tmp_bound = true;
  }
  if (strcmp(plan->workdir, "/") != 0 &&
      add_bind(plan, plan->workdir, plan->workdir, false, "working directory", err) < 0)
    return -EINVAL;
  for (int i = 0; i < spec->n_binds; i++) {
    char what[PATH_MAX + 16];
    snprintf(what, sizeof(what), "%s %s", spec->binds[i].readonly ? "--ro-bind" : "--bind", spec->binds[i].src);
    if (add_bind(plan, spec->binds[i].src, spec->binds[i].dst, spec->binds[i].readonly, what, err) < 0)
      return -EINVAL;
  }
  /* The private /tmp would hide a command that lives under the host's /tmp
   * (go test -exec runs /tmp/go-build.../x.test): bind it back read-only. */
  if (path_under(exe, "/tmp")) {
    bool covered = false;
    for (int i = 0; i < plan->n_binds; i++)
      covered |= bind_shows(plan, i, exe);
    if (!covered && add_bind(plan, exe, exe, true, "command", err) < 0)
      return -EINVAL;
  }
  /* go test -exec hands the binary files to write in its work dir under
   * the host's /tmp (-test.coverprofile=/tmp/go-build.../_cover_.out):
   * their directories stay writable. */
  for (int i = 1; spec->argv && spec->argv[i]; i++) {
    const char *a = spec->argv[i], *eq = strchr(a, '=');
    /* go test -fuzz keeps the corpus it finds in GOCACHE, which is
     * read-only inside: that one directory is written, created as the
     * binary would create it. */
    if (strncmp(a, "-test.fuzzcachedir=/", 20) == 0 && strcmp(eq + 1, "/") != 0) {
      int r = mkdir_p(eq + 1, 0777);
      if (r < 0)
        return tj_error_set(err, -r, "-test.fuzzcachedir %s", eq + 1);
      if (add_bind(plan, eq + 1, eq + 1, false, "the fuzzing cache", err) < 0)
        return -EINVAL;
      continue;
    }
    if (strncmp(a, "-test.", 6) != 0 || !eq || !path_under(eq + 1, "/tmp"))
      continue;
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", eq + 1);
    struct stat st;
    char *slash = strrchr(dir, '/');
    /* a directory given (-test.outputdir) is the one to write in */
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
      if (!slash)
        continue;
      *slash = 0;
    }
    bool covered = false;
    for (int j = 0; j < plan->n_binds; j++)
      covered |= !plan->binds[j].readonly && bind_shows(plan, j, dir);
    if (covered || strcmp(dir, "/tmp") == 0 || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
      continue;
    if (add_bind(plan, dir, dir, false, "an output path of the test binary", err) < 0)
      return -EINVAL;
  }
  /* /run is private: a resolver configuration kept there (systemd-resolved's
   * stub) stays visible to a sandbox that shares the host's network. */
  char resolv[PATH_MAX];
  if (!plan->new_net && realpath("/etc/resolv.conf", resolv) && path_under(resolv, "/run") &&
      add_bind(plan, resolv, resolv, true, "/etc/resolv.conf", err) < 0)
    return -EINVAL;
  if (host_ids_unmapped && plan_covers(plan, err) < 0)
    return -EINVAL;
  qsort(plan->binds, (size_t)plan->n_binds, sizeof(plan->binds[0]), bind_depth_cmp);
  return 0;
}

int tj_contain_open_binds(struct tj_contain_plan *plan, int userns_fd, tj_error *err) {
  for (int i = 0; i < plan->n_binds; i++) {
    struct tj_plan_bind *b = &plan->binds[i];
    if (!b->readonly) {
      if (tj_idmapped_tree(b->src, userns_fd, &b->fd, err) < 0)
        return -EINVAL;
      b->idmapped = true;
      continue;
    }
    /* A read-only bind (the module root, --ro-bind) is idmapped too where
     * it can be, so that the caller's own tree reads as it does for the
     * caller (a 0700 module directory of root's, say); where it cannot, it
     * is bound as it is, its files "nobody"'s inside. */
    tj_error ignored = {0};
    _cleanup_close_ int fd = -1;
    if (tj_idmapped_tree(b->src, userns_fd, &fd, &ignored) == 0)
      b->idmapped = true;
    else
      fd = open_tree(AT_FDCWD, b->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
    if (fd < 0 || mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro, sizeof(ro)) < 0)
      return tj_error_set(err, errno, "bind %s", b->src);
    b->fd = steal_fd(&fd);
  }
  return 0;
}

void tj_contain_close_binds(struct tj_contain_plan *plan) {
  for (int i = 0; i < plan->n_binds; i++)
    if (plan->binds[i].fd >= 0) {
      close(plan->binds[i].fd);
      plan->binds[i].fd = -1;
    }
}

void tj_contain_plan_clear(struct tj_contain_plan *plan) {
  tj_contain_close_binds(plan);
  for (int i = 0; i < plan->n_binds; i++) {
    free(plan->binds[i].src);
    free(plan->binds[i].dst);
  }
  for (int i = 0; i < plan->n_covers; i++)
    free(plan->covers[i]);
  memset(plan, 0, sizeof(*plan));
}

void tj_contain_plan_free(struct tj_contain_plan *plan) {
  if (!plan)
    return;
  tj_contain_plan_clear(plan);
  free(plan);
}

static int mkdir_p(const char *path, mode_t mode) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof(buf), "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = 0;
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
      return -errno;
    *p = '/';
  }
  if (mkdir(buf, mode) < 0 && errno != EEXIST)
    return -errno;
  return 0;
}

static int touch(const char *path) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof(dir), "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = 0;
    int r = mkdir_p(dir, 0755);
    if (r < 0)
      return r;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno == EEXIST ? 0 : -errno;
  close(fd);
  return 0;
}

/* Make a mount point for dst inside the new root: possible only where the
 * new root is writable (the private /tmp, /dev and /run, and the covers). */
static int ensure_mountpoint(const struct tj_contain_plan *plan, const struct tj_plan_bind *b, const char *target,
                             tj_error *err) {
  struct stat st;
  if (stat(target, &st) == 0) {
    if (!!S_ISDIR(st.st_mode) != b->is_dir)
      return tj_error_set(err, 0, "bind %s to %s: one is a directory and the other is not", b->src, b->dst);
    return 0;
  }
  if (!path_under(b->dst, "/tmp") && !path_under(b->dst, "/dev") && !path_under(b->dst, "/run") &&
      !under_cover(plan, b->dst))
    return tj_error_set(err, ENOENT, "bind destination %s (outside /tmp it must already exist)", b->dst);
  int r = b->is_dir ? mkdir_p(target, 0755) : touch(target);
  if (r < 0)
    return tj_error_set(err, -r, "creating bind destination %s", b->dst);
  return 0;
}

static int setup_dev(tj_error *err) {
  static const char *nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  char path[PATH_MAX];
  if (mount("tmpfs", NEWROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
    return tj_error_set(err, errno, "mounting tmpfs on /dev");
  for (size_t i = 0; i < TJ_ARRAY_SIZE(nodes); i++) {
    char host[64];
    snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
    snprintf(path, sizeof(path), NEWROOT "/dev/%s", nodes[i]);
    if (access(host, F_OK) < 0)
      continue;
    int r = touch(path);
    if (r < 0)
      return tj_error_set(err, -r, "creating /dev/%s", nodes[i]);
    if (mount(host, path, NULL, MS_BIND, NULL) < 0)
      return tj_error_set(err, errno, "binding %s", host);
  }
  static const char *links[][2] = {{"/proc/self/fd", "fd"},
                                   {"/proc/self/fd/0", "stdin"},
                                   {"/proc/self/fd/1", "stdout"},
                                   {"/proc/self/fd/2", "stderr"},
                                   {"pts/ptmx", "ptmx"}};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(links); i++) {
    snprintf(path, sizeof(path), NEWROOT "/dev/%s", links[i][1]);
    if (symlink(links[i][0], path) < 0)
      return tj_error_set(err, errno, "creating /dev/%s", links[i][1]);
  }
  if (mkdir(NEWROOT "/dev/pts", 0755) < 0 || mkdir(NEWROOT "/dev/shm", 01777) < 0)
    return tj_error_set(err, errno, "creating /dev/pts and /dev/shm");
  if (mount("devpts", NEWROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620") < 0)
    return tj_error_set(err, errno, "mounting devpts on /dev/pts");
  if (mount("tmpfs", NEWROOT "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
    return tj_error_set(err, errno, "mounting tmpfs on /dev/shm");
  return 0;
}

const char *const tj_readonly_paths[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs",
                                         NULL};
const char *const tj_masked_paths[] = {"/proc/kcore",
                                       "/proc/keys",
                                       "/proc/timer_list",
                                       "/proc/timer_stats",
                                       "/proc/sched_debug",
                                       "/proc/latency_stats",
                                       "/proc/acpi",
                                       "/proc/asound",
                                       "/proc/scsi",
                                       "/sys/firmware",
                                       "/sys/devices/virtual/powercap",
                                       NULL};

/* runc's floor: kernel knobs read-only (a sysctl is checked against its
 * owner, root, not against capabilities), kernel internals hidden: a file
 * under /dev/null, a directory under an empty read-only tmpfs. */
static int mask_paths(tj_error *err) {
  char path[PATH_MAX];
  for (const char *const *p = tj_readonly_paths; *p; p++) {
    snprintf(path, sizeof(path), NEWROOT "%s", *p);
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
      if (errno == ENOENT)
        continue;
      return tj_error_set(err, errno, "binding %s", *p);
    }
    if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
      return tj_error_set(err, errno, "making %s read-only", *p);
  }
  for (const char *const *p = tj_masked_paths; *p; p++) {
    snprintf(path, sizeof(path), NEWROOT "%s", *p);
    struct stat st;
    if (stat(path, &st) < 0)
      continue;
    int r = S_ISDIR(st.st_mode)
                ? mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555")
                : mount(NEWROOT "/dev/null", path, NULL, MS_BIND, NULL);
    if (r < 0)
      return tj_error_set(err, errno, "masking %s", *p);
  }
  return 0;
}

/* Host daemons' sockets live under /run: a private tmpfs there (and on
 * /var/run where it is not the usual symlink) keeps them out of reach
 * unless --bind names one. */
static int private_run(tj_error *err) {
  const char *dirs[] = {NEWROOT "/run", NEWROOT "/var/run"};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(dirs); i++) {
    struct stat st;
    if (lstat(dirs[i], &st) < 0 || !S_ISDIR(st.st_mode))
      continue;
    if (mount("tmpfs", dirs[i], "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m") < 0)
      return tj_error_set(err, errno, "mounting the private %s", dirs[i] + strlen(NEWROOT));
  }
  return 0;
}

static int mount_covers(const struct tj_contain_plan *plan, tj_error *err) {
  for (int i = 0; i < plan->n_covers; i++) {
    char target[PATH_MAX + sizeof(NEWROOT)];
    snprintf(target, sizeof(target), NEWROOT "%s", plan->covers[i]);
    if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
      return tj_error_set(err, errno, "covering %s", plan->covers[i]);
  }
  return 0;
}

/* The copy of / already holds the host's cgroup2 there, and the kernel
 * refuses the same hierarchy on top of itself (EBUSY). In a user namespace
 * the copy is locked and cannot be taken off: a tmpfs goes in between. */
static int mount_own_cgroup2(tj_error *err) {
  const char *dir = NEWROOT "/sys/fs/cgroup";
  if (umount2(dir, MNT_DETACH) < 0 && mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k") < 0)
    return tj_error_set(err, errno, "covering the host's /sys/fs/cgroup");
  if (mount("cgroup2", dir, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0)
    return tj_error_set(err, errno, "mounting the sandbox's own cgroup2 on /sys/fs/cgroup");
  return 0;
}

static int loopback_up(tj_error *err) {
  _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return tj_error_set(err, errno, "socket for bringing up lo");
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
    return tj_error_set(err, errno, "reading flags of lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
    return tj_error_set(err, errno, "bringing up lo");
  return 0;
}

int tj_contain_setup(const struct tj_contain_plan *plan, tj_error *err) {
  int bind_fds[TJ_MAX_PLAN_BINDS];
  int n_fds = 0, r = -1;
  _cleanup_close_ int rootfd = -1;

  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return tj_error_set(err, errno, "making / private");

  /* Detached copies first: the staging tmpfs below hides the host's /tmp. */
  for (; n_fds < plan->n_binds; n_fds++) {
    const struct tj_plan_bind *b = &plan->binds[n_fds];
    if (b->fd >= 0) {
      bind_fds[n_fds] = dup(b->fd);
      if (bind_fds[n_fds] < 0) {
        tj_error_set(err, errno, "bind %s", b->src);
        goto out;
      }
      continue;
    }
    bind_fds[n_fds] = open_tree(AT_FDCWD, b->src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (bind_fds[n_fds] < 0) {
      tj_error_set(err, errno, "bind %s", b->src);
      goto out;
    }
    /* No device node or set-id program made in a writable path works. */
    struct mount_attr a = {.attr_set = b->readonly ? MOUNT_ATTR_RDONLY : MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID};
    if (mount_setattr(bind_fds[n_fds], "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0) {
      tj_error_set(err, errno, "making %s %s", b->src, b->readonly ? "read-only" : "nodev");
      n_fds++;
      goto out;
    }
  }
  rootfd = open_tree(AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  /* nodev too: a device node with open bits somewhere on the host's disks
   * must not open through the host's view, also where no device cgroup
   * stands behind it (a normal user's sandbox); /dev is the sandbox's own,
   * and a path --bind names stays as it is. */
  struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV};
  if (rootfd < 0 || mount_setattr(rootfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro, sizeof(ro)) < 0) {
    tj_error_set(err, errno, "copying the mount tree of / read-only (open_tree/mount_setattr need Linux 5.12)");
    goto out;
  }
  if (mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64k") < 0 || mkdir(NEWROOT, 0755) < 0) {
    tj_error_set(err, errno, "staging the new root under " STAGE);
    goto out;
  }
  if (move_mount(rootfd, "", AT_FDCWD, NEWROOT, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    tj_error_set(err, errno, "attaching the new root at " NEWROOT);
    goto out;
  }
  char tmp_opts[64] = "mode=1777";
  if (plan->tmpfs_bytes > 0)
    snprintf(tmp_opts, sizeof(tmp_opts), "mode=1777,size=%" PRId64, plan->tmpfs_bytes);
  if (!plan->tmp_bound && mount("tmpfs", NEWROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmp_opts) < 0) {
    tj_error_set(err, errno, "mounting the private /tmp (%s)", tmp_opts);
    goto out;
  }
  if (setup_dev(err) < 0)
    goto out;
  if (mount("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
    tj_error_set(err, errno, "mounting /proc");
    goto out;
  }
  if (mask_paths(err) < 0 || private_run(err) < 0 || mount_covers(plan, err) < 0)
    goto out;
  if (plan->mount_cgroup2 && mount_own_cgroup2(err) < 0)
    goto out;
  for (int i = 0; i < plan->n_binds; i++) {
    const struct tj_plan_bind *b = &plan->binds[i];
    char target[PATH_MAX + sizeof(NEWROOT)];
    snprintf(target, sizeof(target), NEWROOT "%s", b->dst);
    if (ensure_mountpoint(plan, b, target, err) < 0)
      goto out;
    if (move_mount(bind_fds[i], "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
      tj_error_set(err, errno, "bind %s to %s", b->src, b->dst);
      goto out;
    }
  }
  /* Nothing writes to /dev once its nodes are there; read-only, it takes no
   * device node a workload with CAP_MKNOD would make (its /dev/shm and
   * /dev/pts stay writable, and nodev). */
  if (mount(NULL, NEWROOT "/dev", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0) {
    tj_error_set(err, errno, "making /dev read-only");
    goto out;
  }
  if (chdir(NEWROOT) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
    tj_error_set(err, errno, "pivot_root into the new root");
    goto out;
  }
  if (chdir(plan->workdir) < 0) {
    tj_error_set(err, errno, "entering the working directory %s", plan->workdir);
    goto out;
  }
  if (sethostname("testjail", 8) < 0) {
    tj_error_set(err, errno, "setting the hostname");
    goto out;
  }
  if (plan->new_net && loopback_up(err) < 0)
    goto out;
  r = 0;
out:
  for (int i = 0; i < n_fds; i++)
    close(bind_fds[i]);
  return r;
}

/* ---- --tmp-dir's mount points ------------------------------------------- */

static int tmp_dir_fd(const struct tj_contain_plan *plan) {
  for (int i = 0; plan->tmp_bound && i < plan->n_binds; i++)
    if (strcmp(plan->binds[i].dst, "/tmp") == 0)
      return open(plan->binds[i].src, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return -1;
}

void tj_contain_tmp_dir_mark(struct tj_contain_plan *plan) {
  _cleanup_close_ int dir = tmp_dir_fd(plan);
  if (dir < 0)
    return;
  for (int i = 0; i < plan->n_binds; i++) {
    struct tj_plan_bind *b = &plan->binds[i];
    b->made_at = 0;
    if (strncmp(b->dst, "/tmp/", 5) != 0)
      continue;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", b->dst + 5);
    struct stat st;
    for (char *p = path;; p++) {
      char *slash = strchr(p, '/');
      if (slash)
        *slash = 0;
      bool missing = fstatat(dir, path, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
      if (missing) {
        b->made_at = 5 + (size_t)(p - path);
        break;
      }
      if (!slash)
        break;
      *slash = '/';
      p = slash;
    }
  }
}

/* parent of rel (a path below dir), opened without leaving dir or
 * following a link: the workload may have put links in their place. */
static int open_beneath(int dir, const char *rel) {
  struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
  return (int)syscall(SYS_openat2, dir, rel[0] ? rel : ".", &how, sizeof(how));
}

void tj_contain_tmp_dir_clean(const struct tj_contain_plan *plan) {
  _cleanup_close_ int dir = tmp_dir_fd(plan);
  if (dir < 0)
    return;
  /* deepest first (the binds are sorted by depth): a shared parent goes
   * with the last of its children */
  for (int i = plan->n_binds - 1; i >= 0; i--) {
    const struct tj_plan_bind *b = &plan->binds[i];
    if (!b->made_at)
      continue;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", b->dst + 5);
    size_t stop = b->made_at - 5;
    bool leaf = true;
    for (;;) {
      char *slash = strrchr(path, '/');
      const char *name = slash ? slash + 1 : path;
      if (slash)
        *slash = 0;
      _cleanup_close_ int parent = open_beneath(dir, slash ? path : "");
      struct stat st;
      if (parent < 0 || fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        break;
      /* the file mount point of a file bind: only as made, empty */
      bool file = leaf && !b->is_dir && S_ISREG(st.st_mode) && st.st_size == 0;
      if (!file && !S_ISDIR(st.st_mode))
        break;
      if (unlinkat(parent, name, file ? 0 : AT_REMOVEDIR) < 0) /* not empty: the workload's files stay */
        break;
      leaf = false;
      if (!slash || (size_t)(name - path) <= stop)
        break;
    }
  }
}
