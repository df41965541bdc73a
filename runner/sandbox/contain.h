/* The sandbox's filesystem and identity, set up by testjail's PID 1 inside
 * the new namespaces: a read-only copy of the host's mount tree, the working
 * directory and --bind paths writable, a private /tmp, a minimal /dev, a
 * fresh /proc, hostname testjail, loopback up. */
#ifndef TJ_CONTAIN_H
#define TJ_CONTAIN_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/spec.h"

#define TJ_MAX_PLAN_BINDS (TJ_MAX_BINDS + 2)

struct tj_plan_bind {
  char *src; /* resolved host path, owned */
  char *dst; /* owned */
  bool readonly;
  bool is_dir;
  int fd;        /* the tree opened by the outer testjail (tj_contain_open_binds), else -1 */
  bool idmapped; /* fd is an idmapped tree */
  /* --tmp-dir, a bind below /tmp: where in dst the first component starts
   * that was not in DIR before the run (its mount point is made there);
   * 0: none */
  size_t made_at;
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
  /* Root inside is an unprivileged id on the host: host directories that
   * the rest of the world may not search (/root) are covered by an empty
   * tmpfs, with mount points made in it for the binds below them. */
  bool host_ids_unmapped;
  char *covers[TJ_MAX_PLAN_BINDS]; /* owned */
  int n_covers;
  int64_t tmpfs_bytes; /* the private /tmp's size; -1: the kernel's default */
  bool tmp_bound;      /* --tmp-dir: a bind is /tmp, no tmpfs */
};

/* What the workload cannot see or change, whatever its ids: runc's and
 * Docker's lists. */
extern const char *const tj_masked_paths[];
extern const char *const tj_readonly_paths[];

enum tj_resolve_status { TJ_RESOLVE_OK, TJ_RESOLVE_NOT_FOUND, TJ_RESOLVE_NOT_EXECUTABLE };

/* Find the command like execvp would (PATH from the workload's environment
 * envp). Returns the status; *err says why when not OK. */
enum tj_resolve_status tj_resolve_command(const char *cmd, char *const *envp, char *out, size_t len, tj_error *err);
/* others_only: PATH entries the rest of the world may not reach are passed
 * by, as the sandbox's root (who owns no host file) would pass them. */
enum tj_resolve_status tj_resolve_command_as(const char *cmd, char *const *envp, bool others_only, char *out,
                                             size_t len, tj_error *err);

/* host_ids_unmapped: the sandbox's root is not host root (a user namespace
 * with an id range of its own). */
int tj_contain_prepare(const struct tj_spec *spec, const char *exe, bool host_ids_unmapped,
                       struct tj_contain_plan *plan, tj_error *err);
/* In the outer testjail, as host root: every bind's tree opened here, the
 * writable ones idmapped through userns_fd, since the sandbox's root may not
 * even search the directories they are in. < 0 with err when a writable
 * path cannot be idmapped. */
int tj_contain_open_binds(struct tj_contain_plan *plan, int userns_fd, tj_error *err);
void tj_contain_close_binds(struct tj_contain_plan *plan);
/* Everything the plan owns released; the plan is empty after. */
void tj_contain_plan_clear(struct tj_contain_plan *plan);
void tj_contain_plan_free(struct tj_contain_plan *plan);

/* --tmp-dir: before the run, note which mount points below /tmp the
 * sandbox will make in DIR; after it, remove those still empty, through
 * DIR without following links. No-ops without --tmp-dir. */
void tj_contain_tmp_dir_mark(struct tj_contain_plan *plan);
void tj_contain_tmp_dir_clean(const struct tj_contain_plan *plan);

/* In PID 1 of the new pid and mount namespaces. */
int tj_contain_setup(const struct tj_contain_plan *plan, tj_error *err);

#endif
