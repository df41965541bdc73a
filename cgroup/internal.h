/* Internals shared by cgroup.c and the two backends: the run cgroup object,
 * pure parsers (unit-tested without root) and dir-fd relative file helpers. */
#ifndef TJ_CGROUP_INTERNAL_H
#define TJ_CGROUP_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

#define TJ_CG_PREFIX "testjail-"
#define TJ_CG_NAME_MAX 80
#define TJ_CG_MAX_DIRS 5
/* Long enough for a process stuck in D state to finish exiting, short
 * enough that a wedged kernel does not hang the run forever. */
#define TJ_CG_KILL_TIMEOUT_MS 10000
#define TJ_CG_DEFAULT_CPU_PERIOD_US 100000

/* One directory of the run cgroup: the only one on v2, one per hierarchy
 * on v1 (memory and pids may sit at different paths). */
struct tj_cg_dir {
  char controller[32]; /* v1 hierarchy it was created for; "" on v2 */
  char rel[PATH_MAX];  /* below the mount point, libcgroup's name */
  char path[PATH_MAX]; /* absolute */
  int parent_fd;       /* O_PATH: our own cgroup in this hierarchy */
  int fd;              /* O_PATH|O_DIRECTORY: the run cgroup */
  int procs_fd;        /* O_WRONLY cgroup.procs, for tj_cg_enter */
};

struct tj_cgroup {
  enum tj_cg_mode mode;
  const struct tj_cg_ops *ops;
  char name[TJ_CG_NAME_MAX];
  struct tj_cg_dir dirs[TJ_CG_MAX_DIRS];
  int ndirs;
  /* Index into dirs per controller, -1 when not there. */
  int memory, pids, cpu, cpuacct, devices;
  /* Device access: "cgroup-v1", "bpf" or "", with why when "" (devices.c). */
  const char *devices_mode;
  char devices_why[256];
  bool has_memory_peak; /* v2 memory.peak */
  int64_t sampled_peak; /* -1 until sampled */
  /* Counter files kept open for tj_cg_sample_read (sample.c), opened on
   * first use: memory usage, pids.current, the OOM counter, PSI, the peak. */
  bool sampler_open;
  int sample_fd[5];
  /* tj_cg_create_in: the cgroup to create below instead of our own (on
   * v1, in the memory hierarchy); NULL: our own. */
  const tj_cgroup *parent;
};

/* sample.c: close what tj_cg_sample_read opened. */
void tj_cg_sampler_close(tj_cgroup *cg);

/* The "total=" stall times (microseconds) of the some and full lines of a
 * pressure file (memory.pressure). 0 or -EINVAL; a missing full line
 * leaves *full at -1. */
int tj_cg_psi_parse(const char *content, int64_t *some, int64_t *full);

/* ---- pure parsers (no I/O) ---- */

/* Find the path of controller in /proc/<pid>/cgroup text. controller NULL
 * or "" means the cgroup v2 line ("0::/path"); a v1 controller matches one
 * entry of the comma separated list ("cpu,cpuacct", "name=systemd").
 * 0, -ENOENT when absent, -ENAMETOOLONG when it does not fit. */
int tj_cg_proc_cgroup_find(const char *content, const char *controller, char *path, size_t size);

/* Value of key in a flat-keyed file ("oom_kill 3\n", "usage_usec 12").
 * 0, -ENOENT when the key is absent, -EINVAL when the value is no integer. */
int tj_cg_keyed_get(const char *content, const char *key, int64_t *value);

/* A single integer file ("1234\n"); "max" gives INT64_MAX. 0 or -EINVAL. */
int tj_cg_parse_int(const char *content, int64_t *value);

/* True when word is one of the space separated words of list
 * (cgroup.controllers, cgroup.subtree_control). */
bool tj_cg_list_has(const char *list, const char *word);

/* testjail-<pid>-<start>-<16 hex>. 0 or -ENAMETOOLONG. */
int tj_cg_make_name(char *buf, size_t size, pid_t pid, unsigned long long start, uint64_t rnd);

/* True when name is a run cgroup name; fills owner pid and start time. */
bool tj_cg_parse_name(const char *name, pid_t *pid, unsigned long long *start);

/* Field 3 (state) and 22 (starttime, clock ticks since boot) of
 * /proc/<pid>/stat text; the comm field may hold spaces and parentheses.
 * state may be NULL. 0 or -EINVAL. */
int tj_cg_stat_parse(const char *content, char *state, unsigned long long *start);

/* The directory showing own (a path in the hierarchy) for controller ctrl
 * (NULL: the cgroup2 hierarchy) in /proc/self/mountinfo text, which it
 * cuts up in place. The mount with the longest matching root wins. 0 or
 * -ENOENT. */
int tj_cg_mountinfo_find(char *mountinfo, const char *ctrl, const char *own, char *dir, size_t size);

/* ---- helpers with I/O (cgroup.c) ---- */

/* Message without a strerror suffix, code kept for the caller. */
int tj_cg_fail(tj_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Read a small file below dfd into buf (NUL-terminated): length or -errno. */
ssize_t tj_cg_read_at(int dfd, const char *file, char *buf, size_t size);
/* The whole file, however long (cgroup.procs of a fork bomb), into *out
 * (malloc'd, NUL-terminated): 0 or -errno. */
int tj_cg_read_all_at(int dfd, const char *file, char **out);
/* Write val in one write(2), as cgroupfs wants it: 0 or -errno. */
int tj_cg_write_at(int dfd, const char *file, const char *val);
int tj_cg_read_int_at(int dfd, const char *file, int64_t *value);
int tj_cg_read_keyed_at(int dfd, const char *file, const char *key, int64_t *value);

/* State and start time of pid (from /proc/<pid>/stat): 0 or -errno. */
int tj_cg_pid_stat(pid_t pid, char *state, unsigned long long *start);
/* True when name was made by this very process. */
bool tj_cg_name_is_mine(const char *name);

/* SIGKILL everything in cgroup.procs of dfd until it stays empty, waiting
 * on pidfds; never signals the caller itself. */
int tj_cg_sweep_kill(int dfd, const char *path, tj_error *err);
/* tj_cg_sweep_kill on dfd and every directory below it. */
int tj_cg_sweep_kill_tree(int dfd, const char *path, tj_error *err);
/* Remove every sub-directory of dfd bottom-up, sweeping each first.
 * ENOENT (someone else removed it) is success. */
int tj_cg_remove_children(int dfd, const char *path, tj_error *err);

/* Call fn for each stale run cgroup directly under own_fd (fn removes it
 * and counts). fn's first failure is kept in err and the walk goes on. */
typedef int (*tj_cg_gc_fn)(void *ctx, int own_fd, const char *name, tj_error *err);
int tj_cg_gc_dir(int own_fd, const char *own_path, tj_cg_gc_fn fn, void *ctx, tj_error *err);

void tj_cg_dir_init(struct tj_cg_dir *d);
void tj_cg_dir_close(struct tj_cg_dir *d);

/* ---- device access (devices.c) ---- */

#define TJ_CG_DEV_READ 2u /* as BPF_DEVCG_ACC_* */
#define TJ_CG_DEV_WRITE 4u
#define TJ_CG_DEV_MKNOD 1u

/* One allow rule: type 'c', 'b' or 'a' (both); -1 for a major or minor
 * means any ("*"). */
struct tj_cg_dev_rule {
  char type;
  int32_t major, minor;
  unsigned access; /* TJ_CG_DEV_* */
};

/* runc's default allow-list. */
extern const struct tj_cg_dev_rule tj_cg_dev_rules[];
extern const size_t tj_cg_n_dev_rules;

/* The rule as devices.allow takes it ("c 1:3 rwm", "b *:* m"): 0 or
 * -ENAMETOOLONG. */
int tj_cg_dev_rule_format(const struct tj_cg_dev_rule *r, char *buf, size_t size);

/* A BPF_PROG_TYPE_CGROUP_DEVICE program returning 1 for an access some
 * rule allows, else 0: the number of instructions, or -ENOSPC past max. */
struct bpf_insn;
int tj_cg_dev_bpf_build(const struct tj_cg_dev_rule *rules, size_t n, struct bpf_insn *out, size_t max);

/* v1: deny all in the devices cgroup dfd, then allow the list. */
int tj_cg_dev_v1_apply(int dfd, const char *path, tj_error *err);
/* v2: load the program and attach it to the cgroup dfd (root only: both
 * need CAP_SYS_ADMIN in the initial user namespace). */
int tj_cg_dev_bpf_attach(int dfd, const char *path, tj_error *err);
/* The v2 backend's hook once the run cgroup d exists: attach the program
 * where we may (root), else leave why in cg. Never fails the run: a
 * normal user's workload sits in a user namespace, where the kernel
 * refuses mknod of devices anyway. */
void tj_cg_dev_v2_hook(tj_cgroup *cg, const struct tj_cg_dir *d);

/* ---- backends ---- */

/* One per way of holding a run: cgroupfs v2, libcgroup v1/hybrid, and
 * "none" for a caller that may create no cgroup at all (not root, no
 * delegated v2 subtree). Chosen once per run cgroup by tj_cg_create. */
struct tj_cg_ops {
  bool clone_into;          /* dirs[0].fd takes clone3(CLONE_INTO_CGROUP) */
  bool peak_sampled;        /* memory.peak may be missing: sample instead */
  const char *memory_usage; /* memory.current / memory.usage_in_bytes */
  const char *memory_peak;  /* memory.peak / memory.max_usage_in_bytes */
  const char *oom_events;   /* the file holding "oom_kill N" */
  const char *pressure;     /* memory PSI, NULL where there is none */
  int (*create)(tj_cgroup *cg, const struct tj_cg_limits *lim, tj_error *err);
  int (*stats)(tj_cgroup *cg, struct tj_cg_stats *st, tj_error *err);
  int (*kill_all)(tj_cgroup *cg, tj_error *err);
  int64_t (*limit_hits)(tj_cgroup *cg);
  int (*remove)(tj_cgroup *cg, tj_error *err);
  int (*gc)(int *removed, tj_error *err);
  int (*probe)(struct tj_cg_info *info, tj_error *err);
};

extern const struct tj_cg_ops tj_cg_v2_ops, tj_cg_v1_ops, tj_cg_none_ops;

/* v2.c: whether the caller (not root) may create run cgroups in its own
 * cgroup: the directory, cgroup.procs and cgroup.subtree_control writable,
 * as systemd's Delegate= and the kernel's delegation model grant them.
 * false with why filled ("... is not delegated to uid N ..."); root gets
 * true. */
bool tj_cg_v2_delegated(char *why, size_t size);

/* ---- the "none" backend's pure parts (none.c) ---- */

/* True when any limit is asked for (memory, pids or cpu quota >= 0). */
bool tj_cg_limits_any(const struct tj_cg_limits *lim);

/* A run cgroup of the "none" backend, for a caller without cgroups. */
int tj_cg_none_new(tj_cgroup **out, tj_error *err);

#endif
