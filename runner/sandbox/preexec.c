#include "sandbox/preexec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/caps.h"
#include "seccomp/seccomp.h"
#include "common/util.h"
#include "common/error.h"

void tj_child_msg_send(int fd, int kind, int err, const char *fmt, ...) {
  struct tj_child_msg m = {.kind = kind, .err = err};
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m.text, sizeof(m.text), fmt, ap);
  va_end(ap);
  /* One write below PIPE_BUF is atomic: the reader gets all or nothing. */
  if (write(fd, &m, sizeof(m)) < 0) {}
}

int tj_preexec_check_fds(int n, int *missing) {
  for (int fd = 3; fd < 3 + n; fd++)
    if (fcntl(fd, F_GETFD) < 0) {
      *missing = fd;
      return -EBADF;
    }
  return 0;
}

/* Everything the caller left open beyond 0-2 is gone at exec: a workload
 * must not read the caller's files or sockets through an inherited fd.
 * CLOEXEC rather than close, so the message pipe and the seccomp socket
 * still work until then. */
static int close_inherited(int preserve) {
  unsigned first = 3u + (unsigned)preserve;
  if (syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
    if (errno != ENOSYS && errno != EINVAL)
      return -errno;
    for (int fd = (int)first; fd < 65536; fd++)
      fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  for (int fd = 3; fd < 3 + preserve; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0 && fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
      return -errno;
  }
  return 0;
}

static _Noreturn void fail(const struct tj_preexec *p, int err, const char *what) {
  tj_child_msg_send(p->msg_fd, TJ_MSG_SETUP, err, "%s: %s", what, strerror(err));
  _exit(TJ_EXIT_USAGE);
}

_Noreturn void tj_preexec_run(const struct tj_preexec *p) {
  const struct tj_rlimit *bad = NULL;
  int r = tj_rlimit_apply(p->rlimits, &bad);
  if (r < 0) {
    struct rlimit now;
    if (r == -EPERM && getrlimit(bad->resource, &now) == 0 && now.rlim_max != RLIM_INFINITY &&
        (bad->hard == RLIM_INFINITY || bad->hard > now.rlim_max))
      tj_child_msg_send(p->msg_fd, TJ_MSG_SETUP, -r,
                        "--ulimit %s: the hard limit asked for is above the %llu testjail was given, and testjail "
                        "could not raise its own (that needs CAP_SYS_RESOURCE%s)",
                        bad->name, (unsigned long long)now.rlim_max,
                        bad->resource == RLIMIT_NOFILE ? ", and nofile stays within fs.nr_open" : "");
    else
      tj_child_msg_send(p->msg_fd, TJ_MSG_SETUP, -r, "--ulimit %s: setrlimit: %s", bad->name, strerror(-r));
    _exit(TJ_EXIT_USAGE);
  }
  if (p->drop_caps) {
    const char *what = "";
    r = tj_caps_drop(p->has_user, p->uid, p->gid, p->caps, &what);
    if (r < 0) {
      tj_child_msg_send(p->msg_fd, TJ_MSG_SETUP, -r, "dropping privileges: %s: %s", what, strerror(-r));
      _exit(TJ_EXIT_USAGE);
    }
  }
  /* The workload starts as from a shell: default dispositions, empty mask.
   * Before the filter: a workload stuck in a denied syscall must still die
   * of the signals it is sent. */
  tj_reset_signal_dispositions();
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, NULL);
  if ((r = close_inherited(p->preserve_fds)) < 0)
    fail(p, -r, "closing inherited descriptors");
  if (p->sc_plan) {
    const char *what = "";
    r = tj_sc_load(p->sc_plan, p->sc_sock, &what);
    if (r < 0) {
      tj_child_msg_send(p->msg_fd, TJ_MSG_SETUP, -r, "seccomp: %s: %s", what, strerror(-r));
      _exit(TJ_EXIT_USAGE);
    }
  }
  execve(p->exe, p->argv, p->envp);
  int e = errno;
  tj_child_msg_send(p->msg_fd, TJ_MSG_EXEC, e, "%s: %s", p->argv[0], strerror(e));
  _exit(e == ENOENT ? 127 : 126);
}
