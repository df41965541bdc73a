/* The sandbox's user namespace: which host ids root inside maps to, the
 * maps written for the sandbox's PID 1, and idmapped copies of writable
 * paths, so that what the workload writes as root inside is owned by the
 * invoking user outside. Root and normal users alike: as root, ids 0..N-1
 * inside map to an unprivileged range; as a normal user, the caller's own
 * uid and gid map to 0. */
#ifndef TJ_USERNS_H
#define TJ_USERNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/spec.h"

/* Used when /etc/subuid has no entry for a "testjail" user: above the ids
 * systemd hands out to users and containers (up to 0x6FFFFFFF), below 2^31. */
#define TJ_USERNS_DEFAULT_START 1879048192u
#define TJ_USERNS_DEFAULT_COUNT 65536u

struct tj_idmap {
  bool active;   /* the sandbox gets a user namespace */
  bool rootless; /* the caller is not root: its own ids map to 0, one each */
  uid_t uid_start;
  gid_t gid_start;
  uint32_t count;
  /* A normal user with subordinate ids (subuid(5)) and the setuid helpers
   * newuidmap and newgidmap: ids 1..sub_count inside map to its range, so
   * tests that switch to other ids work. 0 without. */
  uid_t sub_uid_start;
  gid_t sub_gid_start;
  uint32_t sub_count;
  char newuidmap[256], newgidmap[256];
  char source[96]; /* where the range came from, for the report */
};

/* The first "NAME:START:COUNT" line of a subordinate-id file (subuid(5))
 * whose NAME is name or the numeric owner. 0 when found, -ENOENT otherwise. */
int tj_subid_find(const char *content, const char *name, uid_t owner, uint32_t *start, uint32_t *count);

/* The map for spec as this caller: none with --userns host; as root, the
 * --userns-range, else /etc/subuid and /etc/subgid's testjail entries,
 * else the default range; as a normal user, its own ids. */
int tj_userns_choose(const struct tj_spec *spec, struct tj_idmap *m, tj_error *err);

/* Writes uid_map, setgroups ("deny" for a normal user, who may not map
 * groups otherwise) and gid_map of the process pid; a normal user's
 * subordinate range through newuidmap and newgidmap. */
int tj_userns_write_maps(pid_t pid, const struct tj_idmap *m, tj_error *err);

/* A user namespace with map m, held by the returned fd, for idmapped
 * mounts (a short-lived child creates it). */
int tj_userns_open(const struct tj_idmap *m, int *fd, tj_error *err);

/* A detached copy of the mount tree at path, nodev and nosuid, its ids
 * shifted through the user namespace userns_fd. -EINVAL and friends where
 * the file system cannot be idmapped. */
int tj_idmapped_tree(const char *path, int userns_fd, int *out, tj_error *err);

/* "0 1879048192 65536"; "0 1000 1\n1 100000 65536" with a subordinate range */
void tj_idmap_format(const struct tj_idmap *m, bool gid, char *buf, size_t len);

/* Why a user namespace could not be made (errno of clone/unshare): the
 * cause and the fix, from what /proc/sys says. */
void tj_userns_refusal(int err, char *buf, size_t len);

#endif
