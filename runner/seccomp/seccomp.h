/* A seccomp policy (policy.h) turned into a libseccomp filter, and the
 * supervisor's side of it. Every deny (ERRNO, KILL*) becomes a user
 * notification in the kernel filter, so the outer testjail sees it; it then
 * decides from the same rules what the profile wanted (the errno, or a kill)
 * and records who asked: syscall, thread, comm and the running Go test.
 * ALLOW and LOG stay in the kernel; TRAP and TRACE act as written. */
#ifndef TJ_SECCOMP_H
#define TJ_SECCOMP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "seccomp/policy.h"
#include "seccomp/profile.h"

/* What includes/excludes of Docker rules are judged against: the
 * workload's real capability set, the machine's architecture and kernel. */
struct tj_sc_env {
  uint64_t caps;        /* bit n: capability n */
  uint32_t native_arch; /* SCMP_ARCH_* token */
  int kernel_major, kernel_minor;
};

/* The env of this machine for a workload with caps. */
void tj_sc_env_here(struct tj_sc_env *env, uint64_t caps);

/* dockerd's evaluation of a rule's includes (all must hold) and excludes
 * (any excludes). */
bool tj_sc_rule_active(const struct tj_sc_rule *r, const struct tj_sc_env *env);

/* The errno a deny answers with: the rule's errnoRet, else the profile's
 * defaultErrnoRet, else EPERM. rule NULL: the default action's. */
int tj_sc_errno(const struct tj_sc_policy *p, const struct tj_sc_rule *rule);

/* Comparisons on the same argument cannot share one libseccomp rule
 * (-EINVAL): like runc, each is its own rule (OR), combined with the
 * comparisons on the other arguments (the cartesian product). Returns how
 * many argument sets the rule becomes (0 when it has no arguments, capped
 * at TJ_SC_MAX_SETS); tj_sc_arg_set fills set k (at most 6 comparisons). */
#define TJ_SC_MAX_SETS 64
size_t tj_sc_arg_sets(const struct tj_sc_arg *args, size_t n);
size_t tj_sc_arg_set(const struct tj_sc_arg *args, size_t n, size_t k, struct tj_sc_arg out[6]);

/* Does one comparison hold for a syscall argument? */
bool tj_sc_arg_matches(const struct tj_sc_arg *a, uint64_t v);

/* The kernel filter's action for a policy action: denies become NOTIFY. */
uint32_t tj_sc_kernel_action(enum tj_sc_action a, uint32_t errno_ret);

#define TJ_SC_MAX_SKIPPED 32

enum tj_sc_cache { TJ_SC_CACHE_OFF, TJ_SC_CACHE_MISS, TJ_SC_CACHE_HIT };

struct sock_filter;

/* A policy judged for one sandbox: which rules apply, which names are
 * unknown here (skipped and reported), which extra arches the filter
 * covers. Built in the outer testjail before anything starts, then read by
 * the workload (to build the filter) and by the supervisor. */
struct tj_sc_plan {
  const struct tj_sc_policy *policy;
  struct tj_sc_env env;
  bool *active; /* per rule */
  char skipped[TJ_SC_MAX_SKIPPED][48];
  size_t n_skipped, n_skipped_total;
  uint32_t arches[8]; /* besides the native one */
  size_t n_arches;
  char trapped[96]; /* "ptrace, bpf": the active TRAP rules' names */
  /* The kernel program, compiled here or read from the cache (sccache.h),
   * so that the workload's side only patches in its socket and calls
   * seccomp(2): no libseccomp, no malloc between fork and exec. */
  struct sock_filter *prog;
  size_t prog_len;
  unsigned prog_flags; /* SECCOMP_FILTER_FLAG_* as libseccomp would pass them */
  uint32_t *sock_at;   /* instructions comparing with the listener's socket */
  size_t n_sock_at;
  enum tj_sc_cache cache;
};

/* Judge p for env and get its kernel program: from the cache when a valid
 * entry exists, else compiled by libseccomp and stored. A cache that
 * cannot be used is never an error. */
int tj_sc_plan_init(struct tj_sc_plan *plan, const struct tj_sc_policy *p, const struct tj_sc_env *env, tj_error *err);
void tj_sc_plan_free(struct tj_sc_plan *plan);

/* "hit", "miss" (compiled and stored now) or "off" (no usable cache
 * directory): for the report's seccomp section. */
const char *tj_sc_cache_name(enum tj_sc_cache c);

/* The profile's answer to a denied syscall. */
struct tj_sc_decision {
  enum tj_sc_action action;
  int err;                       /* for ERRNO: the errno to answer */
  const struct tj_sc_rule *rule; /* NULL: the default action */
  bool enosys;                   /* clone3 or a syscall unknown to libseccomp: ENOSYS so callers fall back */
};

/* From the first active deny rule that names the syscall (by its name on
 * arch) and whose arguments match, else the default action. */
void tj_sc_decide(const struct tj_sc_plan *plan, uint32_t arch, int nr, const uint64_t args[6],
                  struct tj_sc_decision *d);

/* In the workload, after ids and caps: load the plan's program with a
 * listener and send the listener over sock (SCM_RIGHTS). sock's sendmsg
 * stays allowed in the kernel whatever the profile says, so the hand-over
 * can never wait on itself. Async-signal-safe (it runs between vfork and
 * exec). On failure -errno and *what. */
int tj_sc_load(const struct tj_sc_plan *plan, int sock, const char **what);

/* Build the filter without loading it (for tests and `profile check`):
 * returns the number of kernel rules added, or -errno. */
int tj_sc_build_count(const struct tj_sc_plan *plan, tj_error *err);

/* libseccomp's program for the plan with the listener's socket at sock,
 * compiled now (a malloc'd copy): what a cached program patched for sock
 * must equal. For tests. */
int tj_sc_compile(const struct tj_sc_plan *plan, int sock, struct sock_filter **prog, size_t *n, tj_error *err);

/* ---- the supervisor ------------------------------------------------------- */

#define TJ_SC_MAX_DENIALS 32

struct tj_sc_denial {
  char syscall[48];
  char test[96];      /* "" when no Go test was running */
  char parallel[192]; /* other tests running then (t.Parallel), one a line; the caller may be one */
  int pid;            /* the first thread, in the sandbox's pid namespace (NSpid); -1 unknown */
  int host_pid;       /* the same thread in the supervisor's */
  char comm[17];
  enum tj_sc_action action;
  int err; /* ERRNO: the errno answered */
  int64_t count;
  bool enosys; /* an ENOSYS fallback (clone3, unknown syscall): not counted as a denial */
};

/* What a run's report says about seccomp. */
struct tj_sc_result {
  char profile[128]; /* "" when no filter */
  struct tj_sc_denial denials[TJ_SC_MAX_DENIALS];
  int n_denials;
  int64_t total; /* every counted denial, including ones past the table */
  bool killed;   /* a kill action fired: the sandbox was killed */
  char kill_syscall[48];
  char skipped[TJ_SC_MAX_SKIPPED][48];
  size_t n_skipped;
  char trapped[96]; /* the syscalls the profile TRAPs or KILLs in the kernel: a SIGSYS came from one of them */
  char cache[8];    /* the compiled filter's cache: tj_sc_cache_name(); "" when no filter */
};

/* The name of the first counted denial (most frequent first), NULL if none. */
const char *tj_sc_result_first(const struct tj_sc_result *r);

/* "ptrace (1x, in TestAttach), bpf (2x)" for the diagnosis. */
void tj_sc_result_summary(const struct tj_sc_result *r, char *buf, size_t len);

/* Reads one notification from the listener, records it, answers it.
 * running(ctx) names the Go test running now (or NULL). Returns 1 when a
 * kill action asks for the sandbox to die, 0 otherwise, < 0 when the
 * listener is gone. */
int tj_sc_handle(int listener, const struct tj_sc_plan *plan, struct tj_sc_result *res,
                 const char *(*running)(void *ctx), void *ctx);

/* Receive the listener the workload sent over sock; -1 when none came. */
int tj_sc_recv_listener(int sock);

const char *tj_sc_action_name(enum tj_sc_action a);

/* ---- the spec's side -------------------------------------------------------- */

struct tj_spec;

/* The capabilities the workload keeps: Docker's default set for a root
 * workload when root_default_caps and no --cap-*, else none; plus --cap-add,
 * minus --cap-drop (--cap-drop ALL: only --cap-add). */
uint64_t tj_spec_caps(const struct tj_spec *spec);

/* Load --seccomp (or the default profile) into spec->seccomp_policy unless a
 * profile already set one. */
int tj_spec_seccomp(struct tj_spec *spec, tj_error *err);

#endif
