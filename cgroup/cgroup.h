/* The cgroup layer: one small opaque API over a cgroup v2 backend (cgroupfs,
 * directory-fd relative) and a v1/hybrid backend (libcgroup).
 *
 * Every run gets its own cgroup, named testjail-<ownerpid>-<owner start
 * time>-<random>, created under the caller's own cgroup in each hierarchy it
 * needs. The name lets a later run (or `testjail doctor --gc`) tell that
 * the owner is gone and collect it. Functions return 0 or a negative errno
 * and fill err; they never print or exit. */
#ifndef TJ_CGROUP_H
#define TJ_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* TJ_CG_NONE is never a host's mode (tj_cg_detect): it is the mode of a
 * run cgroup that does not exist because the caller may create none. */
enum tj_cg_mode { TJ_CG_V2, TJ_CG_HYBRID, TJ_CG_V1, TJ_CG_NONE };

/* Limits; -1 means "not asked for": never an error when unavailable. */
struct tj_cg_limits {
  int64_t memory_bytes; /* memory.max / memory.limit_in_bytes; swap off */
  int64_t pids;         /* pids.max */
  int64_t cpu_quota_us; /* cpu.max / cpu.cfs_quota_us, with cpu_period_us */
  int64_t cpu_period_us;
  /* runc's device allow-list (a v1 devices cgroup or a v2 device program):
   * not a limit, so never a reason to refuse a run; tj_cg_devices says
   * whether it took. */
  bool devices;
};

/* Counters of one run cgroup; -1 means unknown (never a made-up 0). */
struct tj_cg_stats {
  int64_t memory_peak_bytes; /* memory.peak / max_usage_in_bytes / sampled */
  int64_t memory_current_bytes;
  int64_t oom_kills;         /* memory.events oom_kill / oom_control oom_kill */
  int64_t memory_max_events; /* memory.events max / memory.failcnt */
  int64_t pids_peak;         /* pids.peak where present */
  int64_t pids_current;
  int64_t pids_limit_hits;      /* pids.events max */
  int64_t cpu_usage_us;         /* cpu.stat usage_usec / cpuacct.usage */
  const char *memory_peak_from; /* the file memory_peak_bytes was read from, or "sampled"; NULL: unknown */
  /* memory.stat shmem (v1 total_shmem): tmpfs pages, the private /tmp's
   * among them, charged to the cgroup and never reclaimed without swap */
  int64_t memory_shmem_bytes;
};

/* Every counter unknown (-1), before anything was read. */
#define TJ_CG_STATS_UNKNOWN                                                                                            \
  ((struct tj_cg_stats){.memory_peak_bytes = -1,                                                                       \
                        .memory_current_bytes = -1,                                                                    \
                        .oom_kills = -1,                                                                               \
                        .memory_max_events = -1,                                                                       \
                        .pids_peak = -1,                                                                               \
                        .pids_current = -1,                                                                            \
                        .pids_limit_hits = -1,                                                                         \
                        .cpu_usage_us = -1,                                                                            \
                        .memory_peak_from = NULL,                                                                      \
                        .memory_shmem_bytes = -1})

struct tj_cg_info {
  enum tj_cg_mode mode;
  char mount_v2[256];   /* cgroup2 mount point, "" if none */
  char own_memory[512]; /* directory where run cgroups go, per controller */
  char own_pids[512];
  char own_cpu[512];
  bool has_memory, has_pids, has_cpu;                /* usable for run cgroups */
  char why_memory[256], why_pids[256], why_cpu[256]; /* reason when not */
  /* Probed as a normal user (not root): run cgroups need a cgroup v2
   * subtree delegated to us. delegated_root is its top (the highest
   * ancestor of our cgroup we may still write), "" when there is none;
   * why_not_delegated says why ("this host has hybrid cgroups ..."), and
   * then no run cgroup is made. */
  bool rootless;
  char delegated_root[512];
  char why_not_delegated[384];
};

typedef struct tj_cgroup tj_cgroup;

const char *tj_cg_mode_name(enum tj_cg_mode mode); /* "v2", "hybrid", "v1", "none" */

/* statfs on /sys/fs/cgroup and /sys/fs/cgroup/unified. */
int tj_cg_detect(enum tj_cg_mode *mode, tj_error *err);

/* What `testjail doctor` shows; no state is changed. */
int tj_cg_probe(struct tj_cg_info *info, tj_error *err);

/* Collect stale run cgroups (owner gone) under our own cgroups first, then
 * create the run cgroup with the limits applied. A requested limit whose
 * controller is missing or not delegated fails with a message naming the
 * controller, the file and what to do.
 * Not root (geteuid() != 0): the run cgroup goes in our own cgroup when it
 * is a delegated cgroup v2 subtree (systemd's user@UID.service and scopes
 * run with Delegate=yes); where there is none (hybrid/v1 hosts, a session
 * scope owned by root), a requested limit fails with -EPERM and one line
 * naming the options, the reason and the ways out, and without limits the
 * result is a "none" run cgroup (tj_cg_is_none): nothing is created, every
 * call below is a no-op and every counter unknown (-1). */
int tj_cg_create(const struct tj_cg_limits *limits, tj_cgroup **out, tj_error *err);

/* The same, below parent (a run cgroup of this process or of the one that
 * forked it) rather than in our own cgroup, so that parent's limits hold
 * for all of its children together (--memory-total). On v1 the memory
 * hierarchy nests; the others stay in our own cgroup. parent NULL:
 * tj_cg_create. */
int tj_cg_create_in(const tj_cgroup *parent, const struct tj_cg_limits *limits, tj_cgroup **out, tj_error *err);

/* How often cg's own memory limit was hit, not one of its children's: v2
 * memory.events.local max, v1 memory.failcnt (+ memsw). -1: unknown. */
int64_t tj_cg_memory_limit_hits(tj_cgroup *cg);

/* The one line refusing limits without a cgroup (what tj_cg_create says
 * then; doctor says it too): the options asked for (--memory,
 * --pids-limit, --cpus), why there is no delegated subtree, and the ways
 * out (systemd's user delegation, or root; on hybrid/v1 hosts cgroup v2
 * first). Returns the length, as snprintf. */
int tj_cg_refusal(char *buf, size_t size, const struct tj_cg_limits *lim, enum tj_cg_mode host, const char *why);

/* Before a command builds anything: -1 with the refusal in buf when
 * limits are asked for by a normal user without a delegated subtree (what
 * tj_cg_create would refuse for every run later), else 0. */
int tj_cg_limits_refused(const struct tj_cg_limits *lim, char *buf, size_t size);

/* Owner-stamped names, "testjail-PID-STARTTIME-HEX", for run cgroups and
 * anything else a run leaves on disk (test's work directory): a fresh one
 * for this process, and whether a name's owner is gone (pid dead or reused
 * in this pid namespace; false for a live owner or a name not ours). */
int tj_cg_new_name(char *buf, size_t size, tj_error *err);
bool tj_cg_name_is_stale(const char *name);

/* What tj_cg_create does first, once a process: removes stale cgroups of
 * testjails that died and sets up the backend. A process that forks many
 * sandbox owners calls it before, so they do not each pay for it. */
int tj_cg_prepare(void);

/* v2: an O_PATH directory fd for clone3(CLONE_INTO_CGROUP); -1 on v1 and none. */
int tj_cg_clone_fd(const tj_cgroup *cg);

/* In a freshly cloned child: move the calling process into the run cgroup
 * (writes "0" to pre-opened cgroup.procs fds; a no-op when the child was
 * cloned into it). Uses no malloc and no stdio. */
int tj_cg_enter(const tj_cgroup *cg);

int tj_cg_stats(tj_cgroup *cg, struct tj_cg_stats *st, tj_error *err);

/* True where the kernel keeps no memory peak (no memory.peak): the caller
 * then calls tj_cg_sample() now and then, and stats report the sampled max. */
bool tj_cg_needs_sampling(const tj_cgroup *cg);
void tj_cg_sample(tj_cgroup *cg);

/* One reading of the counters that change during a run, for a timeline and
 * a live view; -1 where unknown or not kept (PSI exists on v2 only). */
struct tj_cg_sample {
  int64_t memory_bytes;      /* memory.current / memory.usage_in_bytes */
  int64_t pids;              /* pids.current */
  int64_t oom_kills;         /* memory.events / memory.oom_control oom_kill */
  int64_t psi_some_us;       /* memory.pressure: total time some tasks stalled */
  int64_t psi_full_us;       /* ... and all of them */
  int64_t memory_peak_bytes; /* memory.peak / max_usage_in_bytes so far */
};

/* Reads them through files opened on the first call and kept open (pread
 * into a stack buffer: no allocation, no path walk per sample); also feeds
 * the sampled memory peak. Cheap enough for every few milliseconds. */
void tj_cg_sample_read(tj_cgroup *cg, struct tj_cg_sample *s);

/* SIGKILL every process in the run cgroup (v2 cgroup.kill, else a
 * cgroup.procs sweep) and wait until it is empty (v2: cgroup.events
 * populated 0). Zombies whose parent is the caller must be reaped by the
 * caller for v2's populated to drop: call after reaping the direct child. */
int tj_cg_kill_all(tj_cgroup *cg, tj_error *err);

/* kill_all, rmdir every directory created, free. NULL is fine. */
int tj_cg_destroy(tj_cgroup *cg, tj_error *err);

enum tj_cg_mode tj_cg_mode_of(const tj_cgroup *cg); /* TJ_CG_NONE: none */

/* How device access is enforced in the run cgroup: "cgroup-v1" (devices
 * controller), "bpf" (a v2 BPF_CGROUP_DEVICE program) or "" (not at all);
 * why says why not ("" when it is, or when it was not asked for). */
const char *tj_cg_devices(const tj_cgroup *cg, const char **why);
bool tj_cg_is_none(const tj_cgroup *cg);
const char *tj_cg_path(const tj_cgroup *cg); /* e.g. the memory hierarchy dir; "" for none */

/* Remove stale testjail cgroups (owner pid gone or reused) under our own
 * cgroups; *removed gets how many. */
int tj_cg_gc(int *removed, tj_error *err);

/* The counters of the cgroup the caller itself sits in (in a container: the
 * container's own cgroup), for which read access suffices (self.c). -1:
 * unknown; for the limits also "none". */
struct tj_cg_self {
  enum tj_cg_mode mode;
  char memory_dir[512], pids_dir[512]; /* "" when not found */
  int64_t memory_limit;                /* memory.max / memory.limit_in_bytes (v1: or an ancestor's) */
  int64_t memory_peak;                 /* memory.peak / memory.max_usage_in_bytes */
  int64_t memory_current;
  int64_t oom_kills;         /* memory.events / memory.oom_control oom_kill */
  int64_t memory_max_events; /* memory.events max / memory.failcnt */
  int64_t oom_group;         /* v2 memory.oom.group: 1 when an OOM kill takes every process */
  int64_t pids_limit;        /* pids.max */
  int64_t pids_current;
  int64_t pids_limit_hits; /* pids.events max */
};

/* Read them now; a file that is missing leaves its field at -1. Fails only
 * when the cgroup mode cannot be told (no /sys/fs/cgroup). */
int tj_cg_self_read(struct tj_cg_self *s, tj_error *err);

#endif
