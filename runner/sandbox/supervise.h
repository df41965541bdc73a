/* testjail's PID 1 inside the sandbox: finishes the set-up, starts the
 * workload as its child, forwards signals to the workload's process group,
 * reaps every zombie, and when the workload exits kills what is left and
 * hands the workload's status to the outer testjail. */
#ifndef TJ_SUPERVISE_H
#define TJ_SUPERVISE_H

#include <signal.h>
#include <stdint.h>

#include "cgroup/cgroup.h"
#include "sandbox/contain.h"
#include "common/spec.h"

#include "sandbox/preexec.h"

struct tj_sc_plan;

struct tj_status_msg {
  int wstatus;
  int64_t cpu_ms; /* the workload and the children it waited for */
};

struct tj_supervise_args {
  const struct tj_spec *spec;
  const struct tj_contain_plan *plan;
  const tj_cgroup *cg;
  char *const *envp;
  sigset_t forward; /* blocked by the caller before clone */
  int sync_fd;      /* read end: the outer testjail says go, or dies */
  int err_fd;       /* write end of the message pipe */
  int status_fd;    /* write end of the status pipe */
  int out_fd, errout_fd;
  uint64_t caps;                    /* what the workload keeps */
  const struct tj_sc_plan *sc_plan; /* NULL: no seccomp filter */
  int sc_sock;                      /* the workload sends the filter's listener here */
  bool userns;                      /* PID 1 is in a new user namespace: become root there */
  bool rootless;                    /* ... whose maps allow no setgroups */
};

/* Runs as PID 1 of the new pid namespace; never returns. */
_Noreturn void tj_supervise_main(const struct tj_supervise_args *a);

/* The signals forwarded to the workload. */
void tj_forward_sigset(sigset_t *set);

#endif
