/* The sandbox spec: what one run must look like. Built once from the
 * options, then only read. */
#ifndef TJ_SPEC_H
#define TJ_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/rlimit.h"

struct tj_sc_policy;
struct tj_cgroup;

struct tj_bind {
  const char *src;
  const char *dst;
  bool readonly;
};

/* --userns: auto gives every sandbox a user namespace (root inside, an
 * unprivileged id range outside); host runs without one. */
enum tj_userns_mode { TJ_USERNS_AUTO, TJ_USERNS_HOST };

#define TJ_MAX_BINDS 64
#define TJ_MAX_ENV 256

struct tj_spec {
  int64_t memory_bytes; /* -1: none */
  int64_t pids;         /* -1: none */
  int64_t cpu_quota_us; /* -1: none */
  int64_t cpu_period_us;
  int64_t wall_timeout_ms; /* -1: none */
  int64_t grace_ms;
  bool network_host;
  struct tj_rlimits rlimits;
  struct tj_bind binds[TJ_MAX_BINDS];
  int n_binds;
  bool has_user;
  uid_t uid;
  gid_t gid;
  /* --cap-add/--cap-drop as capability bits; cap_drop ~0 is ALL. */
  uint64_t cap_add, cap_drop;
  bool root_default_caps;      /* test phase: a root workload starts from Docker's default set */
  bool merge_output;           /* stderr into the stdout pipe: one stream, in the order written */
  bool null_stdin;             /* stdin is /dev/null, not testjail's own */
  const char *seccomp_arg;     /* --seccomp as given; NULL: the profile's, else the default one */
  const char *env[TJ_MAX_ENV]; /* NAME=VALUE set on top of the inherited environment */
  int n_env;
  const char *report_path;
  const char *workdir; /* NULL: the current directory; bound read-write */
  char *const *argv;   /* the command */
  /* --profile / --seccomp (profile.h). seccomp_policy NULL: nothing said. */
  struct tj_sc_policy *seccomp_policy;
  enum tj_userns_mode userns;
  bool userns_given;  /* --userns host: no fallback warning */
  uid_t userns_start; /* --userns-range START:COUNT; count 0: not given */
  uint32_t userns_count;
  int preserve_fds; /* fds 3..N+2 stay open for the workload */
  const char *profile_name;
  bool network_given;  /* --network given: the profile's network does not apply */
  char **profile_caps; /* the profile's "capabilities" */
  size_t n_profile_caps;
  int64_t tmpfs_bytes; /* --tmpfs-size of the private /tmp; -1: the kernel's default (half the RAM) */
  const char *tmp_dir; /* --tmp-dir: a host directory as /tmp instead of the tmpfs; NULL: none */
  /* --memory-total: the run-wide cgroup the sandbox's cgroup goes below
   * (made and removed by the run); NULL: our own cgroup */
  const struct tj_cgroup *cg_parent;
};

/* No limits, the default grace; what every command starts from. */
void tj_spec_defaults(struct tj_spec *spec);

#endif
