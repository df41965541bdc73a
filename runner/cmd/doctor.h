/* `testjail doctor`: what this host supports, each missing piece with the
 * reason and the fix. */
#ifndef TJ_DOCTOR_H
#define TJ_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Prints to out; returns the number of problems found (never fails): the
 * command exits 0 only when it is 0. */
int tj_doctor(FILE *out, bool gc);

/* ---- pure parts (unit-tested) ---- */

/* What decides why the kernel refused a user namespace or a clone3 into
 * new namespaces. -1 where a value is unknown (a sysctl file missing). */
struct tj_doctor_facts {
  bool root;                      /* geteuid() == 0 */
  bool cap_sys_admin;             /* in CapEff of /proc/self/status */
  int seccomp_mode;               /* Seccomp: of /proc/self/status (2: filter) */
  bool in_container;              /* /.dockerenv, /run/.containerenv */
  long max_user_namespaces;       /* /proc/sys/user/max_user_namespaces */
  long apparmor_restrict_userns;  /* kernel.apparmor_restrict_unprivileged_userns */
  long unprivileged_userns_clone; /* kernel.unprivileged_userns_clone (Debian, older kernels) */
};

/* CapEff and the Seccomp mode from /proc/<pid>/status text. 0 or -EINVAL
 * when a field is missing (Seccomp: is absent without CONFIG_SECCOMP:
 * mode 0 then). */
int tj_doctor_status_parse(const char *status, uint64_t *cap_eff, int *seccomp_mode);

/* The steps of trying a user namespace as the sandbox will use it. */
enum tj_userns_step {
  TJ_USERNS_UNSHARE, /* unshare(CLONE_NEWUSER) */
  TJ_USERNS_MAP,     /* writing uid_map/gid_map (own id to 0) */
  TJ_USERNS_MOUNTNS, /* a mount namespace inside it (CAP_SYS_ADMIN there) */
};

/* Why the step failed with err, and the fix, in one line (no newline). */
void tj_doctor_userns_cause(const struct tj_doctor_facts *f, enum tj_userns_step step, int err, char *buf, size_t size);

/* Why clone3 into new namespaces (what the sandbox does) failed with err,
 * and the fix, in one line. */
void tj_doctor_clone3_cause(const struct tj_doctor_facts *f, int err, char *buf, size_t size);

#endif
