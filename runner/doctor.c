#include "doctor.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "contain.h"

extern char **environ;

static int check(FILE *out, bool ok, const char *what, const char *detail) {
  fprintf(out, "  [%s] %s%s%s\n", ok ? "ok" : "!!", what, detail && *detail ? ": " : "", detail ? detail : "");
  return ok ? 0 : 1;
}

static bool can_unshare(int flags) {
  pid_t p = fork();
  if (p < 0)
    return false;
  if (p == 0)
    _exit(unshare(flags) == 0 ? 0 : 1);
  int st;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int tj_doctor(FILE *out, bool gc) {
  int problems = 0;
  struct utsname u;
  uname(&u);
  fprintf(out, "testjail %s on Linux %s (%s)\n", TJ_VERSION, u.release, u.machine);

  struct tj_cg_info info;
  tj_error err = {0};
  if (tj_cg_probe(&info, &err) < 0) {
    fprintf(out, "cgroup mode: unknown\n");
    problems += check(out, false, "cgroups", err.msg);
  } else {
    fprintf(out, "cgroup mode: %s\n", tj_cg_mode_name(info.mode));
    if (info.mount_v2[0])
      fprintf(out, "cgroup2 mount: %s\n", info.mount_v2);
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
  }

  fprintf(out, "namespaces and kernel features:\n");
  problems += check(out, geteuid() == 0, "running as root",
                    geteuid() == 0 ? "" : "testjail needs root (or CAP_SYS_ADMIN) to create namespaces and cgroups");
  problems += check(out, can_unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS),
                    "mount, pid, net, ipc, uts namespaces", "");
  problems += check(out, can_unshare(CLONE_NEWCGROUP), "cgroup namespace", "");
  bool userns = can_unshare(CLONE_NEWUSER);
  problems += check(out, userns, "user namespaces", userns ? "" : "check /proc/sys/user/max_user_namespaces and kernel.unprivileged_userns_clone");
  struct seccomp_notif_sizes sizes;
  bool notif = syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0;
  problems += check(out, notif, "seccomp user notification", notif ? "" : "needs Linux 5.0 or newer");

  char gopath[PATH_MAX];
  tj_error sub = {0};
  bool go = tj_resolve_command("go", environ, gopath, sizeof(gopath), &sub) == TJ_RESOLVE_OK;
  problems += check(out, go, "Go toolchain", go ? gopath : "no 'go' in PATH: install golang-go (Debian) or put go in PATH");
  fprintf(out, problems ? "%d problem(s) found\n" : "everything testjail uses is available\n", problems);
  return problems;
}
