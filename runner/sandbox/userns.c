#include "sandbox/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

int tj_subid_find(const char *content, const char *name, uid_t owner, uint32_t *start, uint32_t *count) {
  char owner_s[16];
  snprintf(owner_s, sizeof(owner_s), "%u", (unsigned)owner);
  for (const char *line = content; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    const char *c1 = strchr(line, ':');
    const char *eol = strchrnul(line, '\n');
    if (!c1 || c1 > eol)
      continue;
    size_t n = (size_t)(c1 - line);
    bool match =
        (strlen(name) == n && strncmp(line, name, n) == 0) || (strlen(owner_s) == n && strncmp(line, owner_s, n) == 0);
    if (!match)
      continue;
    char *end;
    errno = 0;
    unsigned long s = strtoul(c1 + 1, &end, 10);
    if (errno || *end != ':' || end > eol || s == 0 || s > 0xfffffffeUL)
      continue;
    unsigned long k = strtoul(end + 1, &end, 10);
    if (errno || (end != eol && *end != '\r') || k == 0 || s + k - 1 > 0xfffffffeUL)
      continue;
    *start = (uint32_t)s;
    *count = (uint32_t)k;
    return 0;
  }
  return -ENOENT;
}

static int subid_lookup_as(const char *file, const char *name, uid_t owner, uint32_t *start, uint32_t *count) {
  _cleanup_fclose_ FILE *f = fopen(file, "re");
  if (!f)
    return -errno;
  char buf[65536];
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  buf[n] = 0;
  return tj_subid_find(buf, name, owner, start, count);
}

/* testjail runs as root here: a "testjail" user's entry (useradd --system
 * testjail gives one) is the range set aside for it. */
static int subid_lookup(const char *file, uint32_t *start, uint32_t *count) {
  return subid_lookup_as(file, "testjail", (uid_t)-1, start, count);
}

/* The caller's login name from /etc/passwd, read directly: a static
 * binary's getpwuid would need glibc's NSS modules at run time. */
static void own_name(uid_t uid, char *name, size_t len) {
  name[0] = 0;
  _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
  char line[1024];
  while (f && fgets(line, sizeof(line), f)) {
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2 || strtoul(c2 + 1, NULL, 10) != uid || c2[1] < '0' || c2[1] > '9')
      continue;
    snprintf(name, len, "%.*s", (int)(c1 - line), line);
    return;
  }
}

static bool find_helper(const char *name, char *out, size_t len) {
  const char *path = getenv("PATH");
  char buf[4096];
  snprintf(buf, sizeof(buf), "%s:/usr/bin:/bin", path && *path ? path : "");
  for (char *save = NULL, *dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
    if (dir[0] != '/')
      continue;
    snprintf(out, len, "%s/%s", dir, name);
    if (access(out, X_OK) == 0)
      return true;
  }
  out[0] = 0;
  return false;
}

/* A normal user's subordinate range, where subuid(5), subgid(5) and both
 * helpers are there (Debian's uidmap package). */
static void rootless_range(struct tj_idmap *m) {
  char name[256];
  own_name(m->uid_start, name, sizeof(name));
  uint32_t us, uc, gs, gc;
  if (subid_lookup_as("/etc/subuid", name[0] ? name : "", m->uid_start, &us, &uc) < 0 ||
      subid_lookup_as("/etc/subgid", name[0] ? name : "", m->uid_start, &gs, &gc) < 0 ||
      !find_helper("newuidmap", m->newuidmap, sizeof(m->newuidmap)) ||
      !find_helper("newgidmap", m->newgidmap, sizeof(m->newgidmap)))
    return;
  m->sub_uid_start = us;
  m->sub_gid_start = gs;
  m->sub_count = uc < gc ? uc : gc;
  if (m->sub_count > 0xfffffffeu - 1)
    m->sub_count = 0xfffffffeu - 1;
  snprintf(m->source, sizeof(m->source), "the caller's own ids, and its /etc/subuid and /etc/subgid ranges");
}

int tj_userns_choose(const struct tj_spec *spec, struct tj_idmap *m, tj_error *err) {
  memset(m, 0, sizeof(*m));
  bool root = geteuid() == 0;
  if (spec->userns == TJ_USERNS_HOST) {
    if (!root)
      return tj_error_set(err, 0, "--userns host needs root: without it the sandbox is made in a user namespace");
    return 0;
  }
  m->active = true;
  if (!root) {
    if (spec->userns_count)
      return tj_error_set(err, 0, "--userns-range needs root: a normal user's own ids map to root inside");
    m->rootless = true;
    m->uid_start = geteuid();
    m->gid_start = getegid();
    m->count = 1;
    snprintf(m->source, sizeof(m->source), "the caller's own ids");
    rootless_range(m);
    return 0;
  }
  if (spec->userns_count) {
    m->uid_start = m->gid_start = spec->userns_start;
    m->count = spec->userns_count;
    snprintf(m->source, sizeof(m->source), "--userns-range");
    return 0;
  }
  uint32_t us, uc, gs, gc;
  if (subid_lookup("/etc/subuid", &us, &uc) == 0 && subid_lookup("/etc/subgid", &gs, &gc) == 0) {
    m->uid_start = us;
    m->gid_start = gs;
    m->count = uc < gc ? uc : gc;
    snprintf(m->source, sizeof(m->source), "/etc/subuid and /etc/subgid (testjail)");
    return 0;
  }
  m->uid_start = m->gid_start = TJ_USERNS_DEFAULT_START;
  m->count = TJ_USERNS_DEFAULT_COUNT;
  snprintf(m->source, sizeof(m->source), "default");
  return 0;
}

void tj_idmap_format(const struct tj_idmap *m, bool gid, char *buf, size_t len) {
  int k = snprintf(buf, len, "0 %u %u", (unsigned)(gid ? m->gid_start : m->uid_start), (unsigned)m->count);
  if (m->sub_count && k > 0 && (size_t)k < len)
    snprintf(buf + k, len - (size_t)k, "\n1 %u %u", (unsigned)(gid ? m->sub_gid_start : m->sub_uid_start),
             (unsigned)m->sub_count);
}

/* newuidmap PID 0 UID 1 1 START COUNT: the setuid helper checks the range
 * against subuid(5) and writes the map a normal user may not. */
static int run_helper(const char *helper, pid_t pid, unsigned own, unsigned start, unsigned count, tj_error *err) {
  char a_pid[16], a_own[16], a_start[16], a_count[16];
  snprintf(a_pid, sizeof(a_pid), "%d", (int)pid);
  snprintf(a_own, sizeof(a_own), "%u", own);
  snprintf(a_start, sizeof(a_start), "%u", start);
  snprintf(a_count, sizeof(a_count), "%u", count);
  char *argv[] = {(char *)helper, a_pid, "0", a_own, "1", "1", a_start, a_count, NULL};
  char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
  pid_t c = fork();
  if (c < 0)
    return tj_error_set(err, errno, "starting %s", helper);
  if (c == 0) {
    int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (nul >= 0)
      dup2(nul, STDOUT_FILENO);
    execve(helper, argv, envp);
    _exit(127);
  }
  int ws;
  while (waitpid(c, &ws, 0) < 0)
    if (errno != EINTR)
      return tj_error_set(err, errno, "waiting for %s", helper);
  if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
    return tj_error_set(err, 0, "%s %s 0 %s 1 1 %s %s failed (status %d)", helper, a_pid, a_own, a_start, a_count,
                        WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
  return 0;
}

static int write_proc(pid_t pid, const char *file, const char *text, tj_error *err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
    return tj_error_set(err, errno, "writing '%s' to %s", text, path);
  return 0;
}

int tj_userns_write_maps(pid_t pid, const struct tj_idmap *m, tj_error *err) {
  if (m->sub_count) {
    if (run_helper(m->newuidmap, pid, (unsigned)m->uid_start, (unsigned)m->sub_uid_start, m->sub_count, err) < 0 ||
        run_helper(m->newgidmap, pid, (unsigned)m->gid_start, (unsigned)m->sub_gid_start, m->sub_count, err) < 0)
      return -EPERM;
    return 0;
  }
  char map[64];
  tj_idmap_format(m, false, map, sizeof(map));
  if (write_proc(pid, "uid_map", map, err) < 0)
    return -EPERM;
  /* An unprivileged writer may map its own gid only once setgroups is off
   * (user_namespaces(7)): it could otherwise drop a group that denies it. */
  if (m->rootless && write_proc(pid, "setgroups", "deny", err) < 0)
    return -EPERM;
  tj_idmap_format(m, true, map, sizeof(map));
  if (write_proc(pid, "gid_map", map, err) < 0)
    return -EPERM;
  return 0;
}

static int hold_userns(void *arg) {
  (void)arg;
  for (;;)
    pause();
  return 0;
}

int tj_userns_open(const struct tj_idmap *m, int *fd, tj_error *err) {
  /* The child only holds its namespace while we write its maps and open
   * it: it shares our memory (CLONE_VM), so no page table is copied, and
   * it ends by SIGKILL. */
  char stack[8192] __attribute__((aligned(16)));
  pid_t pid = clone(hold_userns, stack + sizeof(stack), CLONE_NEWUSER | CLONE_VM | SIGCHLD, NULL);
  if (pid < 0)
    return tj_error_set(err, errno, "creating a user namespace");
  int r = 0;
  if (tj_userns_write_maps(pid, m, err) == 0) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
      r = tj_error_set(err, errno, "opening %s", path);
  } else {
    r = -EPERM;
  }
  kill(pid, SIGKILL); /* the fd keeps its namespace */
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return r;
}

static void idmap_submounts(int treefd, const char *path, const struct mount_attr *a) {
  _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f)
    return;
  size_t n = strlen(path);
  char line[8192];
  while (fgets(line, sizeof(line), f)) {
    char mp[4096];
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
      continue;
    tj_unescape_octal(mp);
    if (strncmp(mp, path, n) != 0 || (strcmp(path, "/") != 0 && mp[n] != '/') || !mp[n] || !mp[n + 1])
      continue;
    const char *rel = strcmp(path, "/") == 0 ? mp + 1 : mp + n + 1;
    if (mount_setattr(treefd, rel, AT_SYMLINK_NOFOLLOW, (struct mount_attr *)a, sizeof(*a)) < 0) {
      struct mount_attr plain = {.attr_set = MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID};
      mount_setattr(treefd, rel, AT_SYMLINK_NOFOLLOW, &plain, sizeof(plain));
    }
  }
}

int tj_idmapped_tree(const char *path, int userns_fd, int *out, tj_error *err) {
  _cleanup_close_ int fd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (fd < 0)
    return tj_error_set(err, errno, "copying the mount of %s", path);
  struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID,
                         .userns_fd = (uint64_t)userns_fd};
  if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0) {
    /* One mount below path on a file system without idmap support fails
     * the whole tree: idmap the others one by one, and leave that one as
     * it is (its files show as nobody inside). */
    if (errno != EINVAL || mount_setattr(fd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
      return tj_error_set(err, errno, "idmapping %s", path);
    idmap_submounts(fd, path, &a);
  }
  *out = steal_fd(&fd);
  return 0;
}

static long read_sysctl(const char *path) {
  char buf[32];
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  return strtol(buf, NULL, 10);
}

void tj_userns_refusal(int e, char *buf, size_t len) {
  if (read_sysctl("/proc/sys/user/max_user_namespaces") == 0)
    snprintf(buf, len, "user.max_user_namespaces is 0 (sysctl -w user.max_user_namespaces=15000 allows them)");
  else if (geteuid() != 0 && read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
    snprintf(buf, len,
             "AppArmor restricts unprivileged user namespaces "
             "(kernel.apparmor_restrict_unprivileged_userns=1: set it to 0, or run as root)");
  else if (geteuid() != 0 && read_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == 0)
    snprintf(buf, len, "unprivileged user namespaces are off (sysctl -w kernel.unprivileged_userns_clone=1)");
  else if (e == EPERM)
    snprintf(buf, len,
             "EPERM: in a container, its seccomp profile or missing CAP_SYS_ADMIN refuses them "
             "(run the container privileged or with an unconfined seccomp profile)");
  else
    snprintf(buf, len, "%s", strerror(e));
}
