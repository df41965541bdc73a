#include "sandbox/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "common/error.h"

void tj_forward_sigset(sigset_t *set) {
  sigemptyset(set);
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
    sigaddset(set, sigs[i]);
}

static _Noreturn void setup_failed(const struct tj_supervise_args *a, const char *msg) {
  tj_child_msg_send(a->err_fd, TJ_MSG_SETUP, 0, "%s", msg);
  _exit(TJ_EXIT_USAGE);
}

static _Noreturn void run_workload(const struct tj_supervise_args *a) {
  const struct tj_spec *spec = a->spec;
  /* A process group of its own, for the signals, but not a session
   * leader: a session leader without a terminal that opens a pty (os/signal
   * TestTerminalSignal does) makes it its controlling terminal, and then its
   * children cannot (EPERM from TIOCSCTTY). PID 1 leads the session. */
  if (setpgid(0, 0) < 0 || dup2(a->out_fd, STDOUT_FILENO) < 0 ||
      dup2(spec->merge_output ? a->out_fd : a->errout_fd, STDERR_FILENO) < 0) {
    tj_child_msg_send(a->err_fd, TJ_MSG_SETUP, errno, "preparing the workload's process group and output: %s",
                      strerror(errno));
    _exit(TJ_EXIT_USAGE);
  }
  if (spec->null_stdin) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || dup2(fd, STDIN_FILENO) < 0) {
      tj_child_msg_send(a->err_fd, TJ_MSG_SETUP, errno, "stdin from /dev/null: %s", strerror(errno));
      _exit(TJ_EXIT_USAGE);
    }
    close(fd);
  }
  struct tj_preexec p = {.rlimits = &spec->rlimits,
                         .drop_caps = true,
                         .has_user = spec->has_user,
                         .uid = spec->uid,
                         .gid = spec->gid,
                         .caps = a->caps,
                         .preserve_fds = spec->preserve_fds,
                         .sc_plan = a->sc_plan,
                         .sc_sock = a->sc_sock,
                         .msg_fd = a->err_fd,
                         .exe = a->plan->exe,
                         .argv = spec->argv,
                         .envp = a->envp};
  tj_preexec_run(&p);
}

/* Created by clone3 in a new user namespace, PID 1 still carries the
 * caller's host ids, which the namespace does not map: it becomes root of
 * the namespace (the unprivileged host range) before it makes anything,
 * and drops the caller's supplementary groups, which would otherwise go on
 * opening group-readable host files. */
static void become_ns_root(const struct tj_supervise_args *a) {
  tj_error err = {0};
  if (setresgid(0, 0, 0) < 0) {
    tj_error_set(&err, errno, "setresgid(0) in the user namespace");
    setup_failed(a, err.msg);
  }
  if (!a->rootless && setgroups(0, NULL) < 0) {
    tj_error_set(&err, errno, "setgroups in the user namespace");
    setup_failed(a, err.msg);
  }
  if (setresuid(0, 0, 0) < 0) {
    tj_error_set(&err, errno, "setresuid(0) in the user namespace");
    setup_failed(a, err.msg);
  }
}

_Noreturn void tj_supervise_main(const struct tj_supervise_args *a) {
  tj_error err = {0};
  char go;
  /* If the outer testjail dies, even by SIGKILL, PID 1 dies and the kernel
   * kills the whole pid namespace with it. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
    setup_failed(a, "PR_SET_PDEATHSIG failed");
  if (read(a->sync_fd, &go, 1) != 1)
    _exit(TJ_EXIT_USAGE); /* the outer testjail is gone */
  /* A session without a terminal: nothing inside can be stopped by job
   * control of the caller's terminal. */
  if (setsid() < 0)
    setup_failed(a, "setsid failed");
  if (tj_cg_enter(a->cg) < 0)
    setup_failed(a, "entering the run cgroup failed");
  if (a->userns) {
    become_ns_root(a);
    /* The kernel clears the parent-death signal when the ids change: arm it
     * again, then look whether the outer testjail died in between (it holds
     * the sync pipe's write end until it has collected the run). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
      setup_failed(a, "PR_SET_PDEATHSIG failed");
    struct pollfd pfd = {.fd = a->sync_fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR)))
      _exit(TJ_EXIT_USAGE);
  }
  close(a->sync_fd);
  /* The workload may share PID 1's ids (root of the namespace): a
   * non-dumpable PID 1 keeps /proc/1/mem, /proc/1/exe and ptrace out of
   * its reach (runc does the same for its init). */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    setup_failed(a, "PR_SET_DUMPABLE failed");
  if (unshare(CLONE_NEWCGROUP) < 0) {
    tj_error_set(&err, errno, "unshare(CLONE_NEWCGROUP)");
    setup_failed(a, err.msg);
  }
  if (tj_contain_setup(a->plan, &err) < 0)
    setup_failed(a, err.msg);

  sigset_t mask = a->forward;
  sigaddset(&mask, SIGCHLD);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) {
    tj_error_set(&err, errno, "signalfd");
    setup_failed(a, err.msg);
  }
  /* vfork: the workload's set-up writes nothing PID 1 reads again, and a
   * fork would copy PID 1's page tables and take a copy-on-write fault on
   * every page either of them touches before the exec. */
  pid_t w = vfork();
  if (w < 0) {
    tj_error_set(&err, errno, "starting the workload: vfork");
    setup_failed(a, err.msg);
  }
  if (w == 0)
    run_workload(a);
  close(a->err_fd);
  close(a->out_fd);
  close(a->errout_fd);
  if (a->sc_sock >= 0)
    close(a->sc_sock); /* the outer testjail sees EOF when the workload has none to send */

  /* From here on PID 1 never exits on an internal error: it waits for the
   * workload, then drains the namespace. */
  struct tj_status_msg st = {.wstatus = -1, .cpu_ms = -1};
  bool done = false;
  for (;;) {
    int ws;
    struct rusage ru;
    pid_t p;
    while ((p = wait4(-1, &ws, WNOHANG, &ru)) > 0) {
      if (p == w) {
        st.wstatus = ws;
        st.cpu_ms = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
        done = true;
        kill(-1, SIGKILL); /* everything else in the namespace */
      }
    }
    if (p < 0 && errno == ECHILD && done)
      break;
    struct signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof(si));
    if (n != sizeof(si) || si.ssi_signo == SIGCHLD || done)
      continue;
    if (kill(-w, (int)si.ssi_signo) < 0)
      kill(w, (int)si.ssi_signo);
  }
  if (write(a->status_fd, &st, sizeof(st)) < 0) {}
  _exit(0);
}
