/* A seccomp policy as data: an OCI/Docker seccomp object after parsing and
 * validation (profile.c), before translation into a filter (seccomp.c).
 * Keeping it libseccomp-free lets the parser be unit-tested and fuzzed on
 * its own and lets the supervisor decide a notified syscall from the same
 * rules the filter was built from. */
#ifndef TJ_POLICY_H
#define TJ_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

enum tj_sc_action {
  TJ_SC_ALLOW,
  TJ_SC_ERRNO,       /* errno_ret */
  TJ_SC_KILL_THREAD, /* SCMP_ACT_KILL / SCMP_ACT_KILL_THREAD */
  TJ_SC_KILL_PROCESS,
  TJ_SC_TRAP,
  TJ_SC_TRACE, /* errno_ret holds the trace value */
  TJ_SC_LOG,
  TJ_SC_NOTIFY,
};

enum tj_sc_op { TJ_SC_NE, TJ_SC_LT, TJ_SC_LE, TJ_SC_EQ, TJ_SC_GE, TJ_SC_GT, TJ_SC_MASKED_EQ };

struct tj_sc_arg {
  unsigned index; /* 0..5 */
  uint64_t value;
  uint64_t value_two; /* the mask's comparand for MASKED_EQ */
  enum tj_sc_op op;
};

/* includes/excludes of a Docker rule (OCI rules have neither). */
struct tj_sc_filter {
  char **caps; /* capability names as written, e.g. "CAP_SYS_ADMIN" */
  size_t n_caps;
  char **arches; /* OCI/Docker arch names, e.g. "SCMP_ARCH_X86_64" or "amd64" */
  size_t n_arches;
  unsigned min_kernel_major, min_kernel_minor; /* 0.0: none */
};

struct tj_sc_rule {
  char **names; /* syscall names as written (may be unknown here) */
  size_t n_names;
  enum tj_sc_action action;
  bool has_errno; /* errnoRet given */
  uint32_t errno_ret;
  struct tj_sc_arg *args;
  size_t n_args;
  struct tj_sc_filter includes, excludes;
  int line; /* where the rule starts in its file when known, else 0 */
};

struct tj_sc_policy {
  enum tj_sc_action default_action;
  bool has_default_errno;
  uint32_t default_errno; /* defaultErrnoRet */
  char **arches;          /* architectures, plus every archMap entry's arch and subArchitectures */
  size_t n_arches;
  struct tj_sc_rule *rules;
  size_t n_rules;
  bool unconfined; /* "unconfined": no filter at all */
  char *name;      /* profile name or file, for the report */
};

void tj_sc_policy_free(struct tj_sc_policy *p);

#endif
