/* The sandbox's filesystem and identity, set up by testjail's PID 1 inside
 * the new namespaces: a read-only copy of the host's mount tree, the working
 * directory and --bind paths writable, a private /tmp, a minimal /dev, a
 * fresh /proc, hostname testjail, loopback up. */
#ifndef TJ_CONTAIN_H
#define TJ_CONTAIN_H

#include <limits.h>
#include <stdbool.h>

#include "error.h"
#include "spec.h"

#define TJ_MAX_PLAN_BINDS (TJ_MAX_BINDS + 2)

struct tj_plan_bind {
  char *src; /* resolved host path, owned */
  char *dst; /* owned */
  bool readonly;
  bool is_dir;
};

/* Resolved on the host side before anything is created, so bad input fails
 * early and leaves nothing behind. */
struct tj_contain_plan {
  char workdir[PATH_MAX];
  char exe[PATH_MAX]; /* absolute path of the command, as execve will use it */
  struct tj_plan_bind binds[TJ_MAX_PLAN_BINDS];
  int n_binds;
  bool new_net;
  bool mount_cgroup2; /* v2 host: show the run's own cgroup at /sys/fs/cgroup */
};

enum tj_resolve_status { TJ_RESOLVE_OK, TJ_RESOLVE_NOT_FOUND, TJ_RESOLVE_NOT_EXECUTABLE };

/* Find the command like execvp would (PATH from the workload's environment
 * envp). Returns the status; *err says why when not OK. */
enum tj_resolve_status tj_resolve_command(const char *cmd, char *const *envp, char *out, size_t len,
                                          tj_error *err);

int tj_contain_prepare(const struct tj_spec *spec, const char *exe, struct tj_contain_plan *plan, tj_error *err);
void tj_contain_plan_free(struct tj_contain_plan *plan);

/* In PID 1 of the new pid and mount namespaces. */
int tj_contain_setup(const struct tj_contain_plan *plan, tj_error *err);

#endif
