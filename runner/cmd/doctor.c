#include "cmd/doctor.h"

#include "cmd/cli.h"
#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "sandbox/contain.h"
#include "sandbox/workdir.h"
#include "common/util.h"

extern char **environ;

#define CAP_SYS_ADMIN_BIT 21
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)

/* ---- pure parts ---- */

int tj_doctor_status_parse(const char *status, uint64_t *cap_eff, int *seccomp_mode) {
  const char *c = strstr(status, "\nCapEff:");
  if (!c)
    return -EINVAL;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(c + 8, &end, 16);
  if (errno || end == c + 8)
    return -EINVAL;
  *cap_eff = v;
  const char *s = strstr(status, "\nSeccomp:");
  *seccomp_mode = s ? atoi(s + 9) : 0;
  return 0;
}

static const char container_fix[] = "run the container with --privileged, or with --cap-add SYS_ADMIN and "
                                    "--security-opt seccomp=unconfined";

void tj_doctor_userns_cause(const struct tj_doctor_facts *f, enum tj_userns_step step, int err, char *buf,
                            size_t size) {
  static const char *const what[] = {
      [TJ_USERNS_UNSHARE] = "unshare(CLONE_NEWUSER)",
      [TJ_USERNS_MAP] = "writing uid_map/gid_map of a new user namespace",
      [TJ_USERNS_MOUNTNS] = "a mount namespace inside a new user namespace",
  };
  char cause[384];
  bool denied = err == EPERM || err == EACCES;
  if (step == TJ_USERNS_UNSHARE && err == ENOSPC && f->max_user_namespaces == 0)
    snprintf(cause, sizeof(cause),
             "user.max_user_namespaces is 0 (user namespaces switched off): "
             "sysctl -w user.max_user_namespaces=15000 as root");
  else if (step == TJ_USERNS_UNSHARE && err == ENOSPC)
    snprintf(cause, sizeof(cause), "the limit user.max_user_namespaces (%ld) is reached", f->max_user_namespaces);
  else if (step == TJ_USERNS_UNSHARE && err == EINVAL)
    snprintf(cause, sizeof(cause), "the kernel is built without user namespaces (CONFIG_USER_NS)");
  else if (denied && !f->root && step == TJ_USERNS_UNSHARE && f->unprivileged_userns_clone == 0)
    snprintf(cause, sizeof(cause),
             "kernel.unprivileged_userns_clone is 0: sysctl -w "
             "kernel.unprivileged_userns_clone=1 as root, or run as root");
  else if (denied && !f->root && f->apparmor_restrict_userns == 1)
    /* Ubuntu 23.10+: the namespace may be created, but AppArmor takes its
     * capabilities unless a profile allows "userns,". */
    snprintf(cause, sizeof(cause),
             "kernel.apparmor_restrict_unprivileged_userns is 1: give testjail "
             "an AppArmor profile with \"userns,\", or sysctl -w "
             "kernel.apparmor_restrict_unprivileged_userns=0 as root, or run as root");
  else if (denied && f->seccomp_mode == 2 && !f->cap_sys_admin)
    snprintf(cause, sizeof(cause),
             "a seccomp filter denies it (a container without CAP_SYS_ADMIN under "
             "its runtime's default profile): %s",
             container_fix);
  else if (denied && f->in_container)
    snprintf(cause, sizeof(cause), "this container does not allow it: %s", container_fix);
  else if (denied)
    snprintf(cause, sizeof(cause),
             "refused by the kernel: testjail runs in a chroot (no user "
             "namespace there), or a security module (SELinux, AppArmor) denies it");
  else
    snprintf(cause, sizeof(cause), "unexpected");
  snprintf(buf, size, "%s: %s: %s", what[step], strerror(err), cause);
}

void tj_doctor_clone3_cause(const struct tj_doctor_facts *f, int err, char *buf, size_t size) {
  char cause[384];
  bool denied = err == EPERM || err == EACCES;
  if (err == ENOSYS)
    snprintf(cause, sizeof(cause),
             "clone3 needs Linux 5.3, or a container's seccomp profile hides it "
             "(older Docker and containerd defaults): a newer kernel or runtime, "
             "or --security-opt seccomp=unconfined");
  else if (denied && (f->root ? !f->cap_sys_admin : f->seccomp_mode == 2 && !f->cap_sys_admin))
    snprintf(cause, sizeof(cause), "a container without privileges (no CAP_SYS_ADMIN%s): %s",
             f->seccomp_mode == 2 ? ", a seccomp filter" : "", container_fix);
  else if (denied && f->in_container)
    snprintf(cause, sizeof(cause), "this container does not allow new namespaces: %s", container_fix);
  else if (denied && !f->root)
    snprintf(cause, sizeof(cause), "user namespaces are refused (see above)");
  else if (err == ENOSPC)
    snprintf(cause, sizeof(cause), "a namespace limit is reached (/proc/sys/user/max_*_namespaces)");
  else if (err == EINVAL)
    snprintf(cause, sizeof(cause), "the kernel lacks a namespace type (CONFIG_*_NS)");
  else
    snprintf(cause, sizeof(cause), "unexpected");
  snprintf(buf, size, "%s: %s", strerror(err), cause);
}

/* ---- probes: each in a child, so nothing here changes ---- */

struct probe_result {
  int step;
  int err; /* 0: it worked */
};

typedef void (*probe_fn)(struct probe_result *r);

static struct probe_result run_probe(probe_fn fn) {
  struct probe_result r = {0, 0};
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return (struct probe_result){0, errno};
  pid_t pid = fork();
  if (pid < 0) {
    r.err = errno;
    close(p[0]);
    close(p[1]);
    return r;
  }
  if (pid == 0) {
    close(p[0]);
    fn(&r);
    _exit(write(p[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
  }
  close(p[1]);
  ssize_t n;
  do
    n = read(p[0], &r, sizeof(r));
  while (n < 0 && errno == EINTR);
  close(p[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t)sizeof(r))
    r = (struct probe_result){0, ECHILD};
  return r;
}

static int write_file(const char *path, const char *text) {
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  return write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -errno;
}

/* As the sandbox uses one: created, our ids mapped to 0, and a mount
 * namespace made inside it (the first use of its capabilities). */
static void probe_userns(struct probe_result *r) {
  uid_t uid = geteuid();
  gid_t gid = getegid();
  char map[64];
  r->step = TJ_USERNS_UNSHARE;
  if (unshare(CLONE_NEWUSER) < 0) {
    r->err = errno;
    return;
  }
  r->step = TJ_USERNS_MAP;
  int e = write_file("/proc/self/setgroups", "deny");
  snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
  if (e == 0)
    e = write_file("/proc/self/uid_map", map);
  snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
  if (e == 0)
    e = write_file("/proc/self/gid_map", map);
  if (e < 0) {
    r->err = -e;
    return;
  }
  r->step = TJ_USERNS_MOUNTNS;
  if (unshare(CLONE_NEWNS) < 0)
    r->err = errno;
}

/* A normal user gets these namespaces only inside a user namespace. */
static int own_userns(void) { return geteuid() == 0 ? 0 : CLONE_NEWUSER; }

static void probe_namespaces(struct probe_result *r) {
  if (unshare(own_userns() | NS_FLAGS) < 0)
    r->err = errno;
}

static void probe_cgroupns(struct probe_result *r) {
  if (unshare(own_userns() | CLONE_NEWCGROUP) < 0)
    r->err = errno;
}

/* What the sandbox does: clone3 straight into the new namespaces. */
static void probe_clone3(struct probe_result *r) {
  struct clone_args ca = {.flags = (uint64_t)(own_userns() | NS_FLAGS), .exit_signal = SIGCHLD};
  pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
  if (pid < 0) {
    r->err = errno;
    return;
  }
  if (pid == 0)
    _exit(0);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
}

static long read_sysctl(const char *path) {
  char buf[64];
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  return strtol(buf, NULL, 10);
}

static void gather_facts(struct tj_doctor_facts *f) {
  memset(f, 0, sizeof(*f));
  f->root = geteuid() == 0;
  char status[8192];
  _cleanup_close_ int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, status, sizeof(status) - 1);
  uint64_t caps = 0;
  if (n > 0) {
    status[n] = '\0';
    if (tj_doctor_status_parse(status, &caps, &f->seccomp_mode) == 0)
      f->cap_sys_admin = caps & (1ULL << CAP_SYS_ADMIN_BIT);
  }
  f->in_container = access("/.dockerenv", F_OK) == 0 || access("/run/.containerenv", F_OK) == 0;
  f->max_user_namespaces = read_sysctl("/proc/sys/user/max_user_namespaces");
  f->apparmor_restrict_userns = read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  f->unprivileged_userns_clone = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
}

/* ---- idmapped mounts (root only) ---- */

static const char *fs_name(long type) {
  static const struct {
    long type;
    const char *name;
  } names[] = {{EXT4_SUPER_MAGIC, "ext4"},         {XFS_SUPER_MAGIC, "xfs"},
               {BTRFS_SUPER_MAGIC, "btrfs"},       {TMPFS_MAGIC, "tmpfs"},
               {OVERLAYFS_SUPER_MAGIC, "overlay"}, {V9FS_MAGIC, "9p"},
               {NFS_SUPER_MAGIC, "nfs"},           {0x65735546, "fuse"}};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(names); i++)
    if (names[i].type == type)
      return names[i].name;
  return NULL;
}

/* A user namespace with a mapping, held by a child blocked on a pipe that
 * ends when we close our end: 0 and *pid, *hold, or -errno. */
static int userns_holder(pid_t *pid, int *hold) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -errno;
  pid_t c = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
  if (c < 0) {
    int e = errno;
    close(p[0]);
    close(p[1]);
    return -e;
  }
  if (c == 0) {
    char b;
    close(p[1]);
    while (read(p[0], &b, 1) < 0 && errno == EINTR)
      ;
    _exit(0);
  }
  close(p[0]);
  *pid = c;
  *hold = p[1];
  char path[64];
  int r = 0;
  const char *files[] = {"uid_map", "gid_map"};
  for (size_t i = 0; i < 2 && r == 0; i++) {
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)c, files[i]);
    r = write_file(path, "0 65534 1\n");
  }
  return r;
}

/* Idmap a detached copy of dir's mount, as the sandbox does for writable
 * binds; the copy goes with its fd, so nothing stays mounted. 0 or -errno,
 * step naming what failed. */
static int try_idmap(const char *dir, const char **step) {
  pid_t pid = -1;
  int hold = -1;
  *step = "a user namespace with a mapping";
  int r = userns_holder(&pid, &hold);
  if (r == 0) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
    _cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
    *step = "open_tree(OPEN_TREE_CLONE)";
    _cleanup_close_ int tree =
        ns < 0 ? -1 : (int)syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    r = ns < 0 || tree < 0 ? -errno : 0;
    if (r == 0) {
      *step = "mount_setattr(MOUNT_ATTR_IDMAP)";
      struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ns};
      if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
        r = -errno;
    }
  }
  if (hold >= 0)
    close(hold);
  if (pid > 0)
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
      ;
  return r;
}

/* ---- the report ---- */

static int check(FILE *out, bool ok, const char *what, const char *detail) {
  fprintf(out, "  [%s] %s%s%s\n", ok ? "ok" : "!!", what, detail && *detail ? ": " : "", detail ? detail : "");
  return ok ? 0 : 1;
}

static int check_idmap(FILE *out) {
  char cwd[PATH_MAX], what[PATH_MAX + 64], why[512];
  if (!getcwd(cwd, sizeof(cwd)))
    snprintf(cwd, sizeof(cwd), ".");
  struct statfs fs;
  const char *type = statfs(cwd, &fs) == 0 ? fs_name((long)fs.f_type) : NULL;
  snprintf(what, sizeof(what), "idmapped mounts on the working directory's file system (%s%s%s)", cwd, type ? ", " : "",
           type ? type : "");
  if (geteuid() != 0)
    return check(out, true, what, "not needed: your own files map to root inside");
  const char *step;
  int r = try_idmap(cwd, &step);
  if (r == 0)
    return check(out, true, what, "");
  if (r == -ENOSYS)
    snprintf(why, sizeof(why), "%s: %s: idmapped mounts need Linux 5.12", step, strerror(-r));
  else if (r == -EINVAL)
    snprintf(why, sizeof(why),
             "%s: %s: this file system cannot be idmapped (tmpfs before Linux 6.3, "
             "network and FUSE file systems): files the workload writes here would be owned "
             "by its unprivileged ids outside",
             step, strerror(-r));
  else
    snprintf(why, sizeof(why), "%s: %s", step, strerror(-r));
  return check(out, false, what, why);
}

static int check_cgroups(FILE *out, bool gc) {
  int problems = 0;
  struct tj_cg_info info;
  tj_error err = {0};
  if (tj_cg_probe(&info, &err) < 0) {
    fprintf(out, "cgroup mode: unknown\n");
    return check(out, false, "cgroups", err.msg);
  }
  fprintf(out, "cgroup mode: %s\n", tj_cg_mode_name(info.mode));
  if (info.mount_v2[0])
    fprintf(out, "cgroup2 mount: %s\n", info.mount_v2);
  bool none = info.rootless && !info.delegated_root[0];
  if (info.rootless) {
    char why[600];
    struct tj_cg_limits all = {0, 0, 0, -1, false};
    tj_cg_refusal(why, sizeof(why), &all, info.mode, info.why_not_delegated);
    problems += check(out, !none, "delegated cgroup v2 subtree", none ? why : info.delegated_root);
  }
  if (none) {
    fprintf(out, "controllers: none usable without a delegated cgroup v2 subtree (runs without "
                 "--memory, --pids-limit and --cpus still work)\n");
  } else {
    fprintf(out, "run cgroups go under:\n  memory: %s\n  pids:   %s\n  cpu:    %s\n",
            info.own_memory[0] ? info.own_memory : "-", info.own_pids[0] ? info.own_pids : "-",
            info.own_cpu[0] ? info.own_cpu : "-");
    fprintf(out, "controllers:\n");
    problems += check(out, info.has_memory, "memory (--memory, OOM detection)", info.has_memory ? "" : info.why_memory);
    problems += check(out, info.has_pids, "pids (--pids-limit)", info.has_pids ? "" : info.why_pids);
    problems += check(out, info.has_cpu, "cpu (--cpus)", info.has_cpu ? "" : info.why_cpu);
  }
  if (gc) {
    int removed = 0;
    if (tj_cg_gc(&removed, &err) < 0)
      problems += check(out, false, "stale cgroup collection", err.msg);
    else
      fprintf(out, "removed %d stale testjail cgroup(s)\n", removed);
    if (tj_workdir_gc(&removed, &err) < 0)
      problems += check(out, false, "stale work directory collection", err.msg);
    else
      fprintf(out, "removed %d stale testjail work director%s\n", removed, removed == 1 ? "y" : "ies");
  }
  return problems;
}

static int check_namespaces(FILE *out, const struct tj_doctor_facts *f) {
  int problems = 0;
  char why[512];
  const char *inside = f->root ? "" : " (inside a user namespace)";
  char what[128];

  struct probe_result r = run_probe(probe_userns);
  if (r.err)
    tj_doctor_userns_cause(f, (enum tj_userns_step)r.step, r.err, why, sizeof(why));
  bool userns = r.err == 0;
  problems += check(out, userns, "user namespaces", userns ? "" : why);

  r = run_probe(probe_namespaces);
  snprintf(what, sizeof(what), "mount, pid, net, ipc, uts namespaces%s", inside);
  problems += check(out, r.err == 0, what, r.err ? strerror(r.err) : "");
  r = run_probe(probe_cgroupns);
  snprintf(what, sizeof(what), "cgroup namespace%s", inside);
  problems += check(out, r.err == 0, what, r.err ? strerror(r.err) : "");
  r = run_probe(probe_clone3);
  if (r.err)
    tj_doctor_clone3_cause(f, r.err, why, sizeof(why));
  problems += check(out, r.err == 0, "clone3 into new namespaces", r.err ? why : "");
  return problems;
}

int tj_doctor(FILE *out, bool gc) {
  int problems = 0;
  struct utsname u;
  uname(&u);
  fprintf(out, "testjail %s on Linux %s (%s)\n", TJ_VERSION, u.release, u.machine);
  struct tj_doctor_facts f;
  gather_facts(&f);
  if (f.root)
    fprintf(out, "running as root\n");
  else
    fprintf(out,
            "running as uid %u (not root): the workload is root inside a user namespace "
            "and you outside; cgroup limits need a delegated cgroup v2 subtree\n",
            (unsigned)geteuid());

  problems += check_cgroups(out, gc);

  fprintf(out, "namespaces and kernel features:\n");
  problems += check_namespaces(out, &f);
  problems += check_idmap(out);
  struct seccomp_notif_sizes sizes;
  bool notif = syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0;
  problems += check(out, notif, "seccomp user notification", notif ? "" : "needs Linux 5.0 or newer");

  char gopath[PATH_MAX];
  tj_error sub = {0};
  bool go = tj_resolve_command("go", environ, gopath, sizeof(gopath), &sub) == TJ_RESOLVE_OK;
  problems +=
      check(out, go, "Go toolchain", go ? gopath : "no 'go' in PATH: install golang-go (Debian) or put go in PATH");
  fprintf(out, problems ? "%d problem(s) found\n" : "everything testjail uses is available\n", problems);
  return problems;
}

int tj_cmd_doctor(int argc, char **argv) {
  bool gc = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--gc") == 0)
      gc = true;
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      tj_cli_help_doctor(stdout);
      return 0;
    } else {
      fprintf(stderr, "testjail: doctor: unknown option '%s' (see 'testjail doctor --help')\n", argv[i]);
      return TJ_EXIT_USAGE;
    }
  }
  return tj_doctor(stdout, gc) == 0 ? 0 : 1;
}
