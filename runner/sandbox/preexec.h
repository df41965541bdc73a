/* The one path from a prepared child to the workload's exec, shared by the
 * sandbox's PID 1 (exec, test, bisect-memory) and by init: rlimits,
 * capabilities, signals back to their defaults, every descriptor beyond
 * 0-2 (and --preserve-fds) closed, the seccomp filter last, then exec. A
 * step that fails sends its message to the parent and exits 125; an exec
 * that fails sends its errno and exits 126 or 127. */
#ifndef TJ_PREEXEC_H
#define TJ_PREEXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/rlimit.h"

struct tj_sc_plan;

struct tj_preexec {
  const struct tj_rlimits *rlimits;
  bool drop_caps; /* false: keep the capabilities there are (init without --cap-*) */
  bool has_user;  /* switch to uid:gid */
  uid_t uid;
  gid_t gid;
  uint64_t caps;                    /* what the workload keeps */
  int preserve_fds;                 /* 3..preserve_fds+2 stay open */
  const struct tj_sc_plan *sc_plan; /* NULL: no filter */
  int sc_sock;                      /* where the filter's listener goes */
  int msg_fd;                       /* close-on-exec pipe to the parent */
  const char *exe;
  char *const *argv;
  char *const *envp;
};

/* Setup failures travel to the parent through a close-on-exec pipe; EOF
 * without a message means the workload's exec succeeded. */
enum tj_msg_kind { TJ_MSG_SETUP = 1, TJ_MSG_EXEC = 2 };

struct tj_child_msg {
  int kind;
  int err; /* errno */
  char text[496];
};

void tj_child_msg_send(int fd, int kind, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

_Noreturn void tj_preexec_run(const struct tj_preexec *p);

/* Checked where the options are read: the caller's descriptors 3..n+2 are
 * open (else the workload would get one of testjail's own there). */
int tj_preexec_check_fds(int n, int *missing);

#endif
