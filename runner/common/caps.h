/* Dropping privileges in the workload just before exec, keeping only the
 * capabilities asked for. */
#ifndef TJ_CAPS_H
#define TJ_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Clear every capability set (effective, permitted, inheritable, bounding,
 * ambient) but the bits of keep, which go into all five so they survive
 * exec for a root or a non-root workload; switch ids when has_user, set
 * no_new_privs, then verify each set. On failure returns -errno and points
 * *what at a static description. */
int tj_caps_drop(bool has_user, uid_t uid, gid_t gid, uint64_t keep, const char **what);

/* "CAP_NET_RAW", "net_raw", "Net_Raw" -> 13; -1 when unknown. */
int tj_cap_from_name(const char *name);

/* "CAP_NET_RAW" for 13 into buf. */
void tj_cap_name(int cap, char *buf, size_t len);

/* The calling process's effective set. */
uint64_t tj_caps_effective(void);

/* Every capability this kernel knows. */
uint64_t tj_caps_all(void);

/* Docker's default set for a root workload: CHOWN DAC_OVERRIDE FOWNER
 * FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT
 * MKNOD AUDIT_WRITE SETFCAP. */
uint64_t tj_caps_docker_default(void);

/* "CAP_CHOWN,CAP_KILL" (or "" for none) into buf. */
void tj_caps_format(uint64_t caps, char *buf, size_t len);

#endif
