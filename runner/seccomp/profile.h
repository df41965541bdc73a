/* Profiles as data: OCI/Docker seccomp JSON -> struct tj_sc_policy, and
 * testjail profiles (limits + env + caps + seccomp) -> struct tj_profile,
 * applied under the command line's flags. Pure parsing: no libseccomp, no
 * kernel state, so it is unit-tested and fuzzed on its own. */
#ifndef TJ_PROFILE_H
#define TJ_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "seccomp/policy.h"
#include "common/rlimit.h"
#include "common/spec.h"

/* Parse an OCI or Docker seccomp object. source_name names the input in
 * messages: "FILE:LINE:COL: ..." for JSON syntax errors, "FILE: JSON.PATH:
 * ..." for schema errors. Syscall names unknown here are kept (the filter
 * builder skips and reports them). Returns 0 or < 0 with err set; out is
 * left empty on error. */
int tj_sc_policy_parse(const char *text, size_t len, const char *source_name, struct tj_sc_policy *out, tj_error *err);

/* A testjail profile. Unset values: -1 (numbers), NULL (pointers). */
struct tj_profile {
  char *source; /* file or shipped name, for messages */
  int64_t memory_bytes;
  int64_t pids;
  int64_t cpu_quota_us, cpu_period_us;
  int64_t wall_timeout_ms;
  int64_t build_memory_bytes;
  int64_t build_timeout_ms;
  int network; /* -1 unset, 0 none, 1 host */
  struct tj_rlimits rlimits;
  char **env; /* "NAME=VALUE" */
  size_t n_env;
  char **caps; /* "CAP_NET_RAW"... */
  size_t n_caps;
  struct tj_sc_policy *seccomp; /* NULL: the profile says nothing */
  char *seccomp_source;         /* where the seccomp rules were read (the profile itself when inline) */
  const char *seccomp_path;     /* JSON path prefix of the rules in seccomp_source: "" or "seccomp." */
};

/* Parse a testjail profile; a plain seccomp object (top-level
 * defaultAction) is a profile with only seccomp. base_dir: where a
 * "seccomp": "FILE" is resolved; NULL forbids files (shipped profiles,
 * fuzzing). */
int tj_profile_parse(const char *text, size_t len, const char *source_name, const char *base_dir,
                     struct tj_profile *out, tj_error *err);
void tj_profile_free(struct tj_profile *p);

/* NAME|FILE: a FILE has a '/' or ends in .json; anything else is a
 * shipped profile's name. */
bool tj_profile_arg_is_file(const char *arg);
int tj_profile_load(const char *arg, struct tj_profile *out, tj_error *err);

/* The same, going on past schema problems: each one goes to problem() (its
 * message as err would hold it) and parsing continues with the next field
 * or rule. A problem not reported that way (JSON syntax, a missing file)
 * is in err only. For `profile check`. */
typedef void (*tj_problem_fn)(void *ctx, const char *msg);
int tj_profile_load_all(const char *arg, struct tj_profile *out, tj_problem_fn problem, void *problem_ctx,
                        tj_error *err);
int tj_profile_parse_all(const char *text, size_t len, const char *source_name, const char *base_dir,
                         struct tj_profile *out, tj_problem_fn problem, void *problem_ctx, tj_error *err);

/* --seccomp NAME|FILE|unconfined: the policy of a shipped profile, of a
 * seccomp file, or of a testjail profile file's "seccomp". Allocated; free
 * with tj_sc_policy_free + free. */
int tj_sc_policy_load(const char *arg, struct tj_sc_policy **out, tj_error *err);

/* The shipped profiles, embedded at build time from profiles/NAME.json. */
const char *tj_profile_shipped(const char *name, size_t *len);
extern const char *const tj_profile_shipped_names[]; /* NULL-terminated */

/* Fill what the command line left unset: limits, network, rlimits by
 * name, env by name (the flags' --env come after and win), caps, seccomp
 * (when no --seccomp). Takes the profile's policy, env and caps over (p
 * may be freed after). build_* may be NULL (exec). */
int tj_profile_apply(struct tj_profile *p, struct tj_spec *spec, int64_t *build_memory_bytes, int64_t *build_timeout_ms,
                     tj_error *err);

#endif
