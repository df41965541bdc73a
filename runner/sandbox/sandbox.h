/* The parent side of one sandbox run: creates the run cgroup, clones
 * testjail's PID 1 into new namespaces (straight into the cgroup on v2),
 * streams the workload's output through while noting what matters, forwards
 * signals, enforces the wall clock, then collects the status and the cgroup
 * counters and removes the cgroup. */
#ifndef TJ_SANDBOX_H
#define TJ_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"
#include "seccomp/seccomp.h"
#include "common/spec.h"
#include "verdict.h"

enum tj_launch {
  TJ_LAUNCH_OK,
  TJ_LAUNCH_SETUP_ERROR,    /* testjail could not build the sandbox: 125 */
  TJ_LAUNCH_NOT_EXECUTABLE, /* 126 */
  TJ_LAUNCH_NOT_FOUND,      /* 127 */
};

#define TJ_TAIL_BYTES 16384
#define TJ_ISO_MAX_PATHS 16

/* How the workload was kept from the host, for the report. */
struct tj_isolation {
  bool userns;   /* a user namespace; false: --userns host or the fallback */
  bool rootless; /* the caller's own ids map to root inside */
  char uid_map[96], gid_map[96];
  char map_source[96];
  char idmapped[TJ_ISO_MAX_PATHS][256]; /* writable paths whose ids are shifted */
  int n_idmapped;
  char covered[TJ_ISO_MAX_PATHS][256]; /* host directories hidden under an empty tmpfs */
  int n_covered;
  int preserve_fds;
  char fallback[512]; /* why there is no user namespace although one was wanted */
  /* How device access is held to runc's allow-list: "cgroup-v1", "bpf",
   * "userns-only" (no cgroup rule, but the kernel refuses mknod of devices
   * in a user namespace) or "none"; devices_why says why not a cgroup. */
  char devices[16];
  char devices_why[256];
};

struct tj_run_result {
  enum tj_launch launch;
  char message[512]; /* why, when launch is not OK */
  bool status_known;
  int wstatus;
  int64_t cpu_ms;
  bool timed_out, sent_kill;
  int64_t duration_ms;
  struct tj_cg_stats stats;
  enum tj_cg_mode cg_mode;
  char cgroup_path[512];
  /* spec->cg_parent's own memory limit hit during the run (--memory-total);
   * -1: none or unknown */
  int64_t parent_limit_hits;
  struct tj_notes notes;
  char tail[TJ_TAIL_BYTES]; /* ring of the last output bytes */
  size_t tail_pos;
  bool tail_wrapped;
  uint64_t caps; /* the capabilities the workload kept */
  struct tj_sc_result seccomp;
  struct tj_isolation isolation;
};

/* What the caller wants to see while the run goes on. */
struct tj_sandbox_hooks {
  /* Output chunks as they arrive (fd 1 or 2). NULL: copy them to our own
   * stdout and stderr. */
  void (*on_output)(void *ctx, int fd, const char *buf, size_t len);
  /* Each complete output line (without the newline), after the notes saw it. */
  void (*on_line)(void *ctx, int fd, const char *line, size_t len);
  /* The Go tests running now, newest first, one a line, for naming a
   * seccomp denial; NULL: the last "=== RUN" the notes saw. */
  const char *(*running_test)(void *ctx);
  /* The cgroup's counters every sample_interval_ms while the run goes on,
   * once at its start and once after the workload ended; t_ms counts from
   * the start of the run (the clock of duration_ms). on_start gets that
   * start on CLOCK_MONOTONIC, in ms, before any output or sample. */
  int64_t sample_interval_ms;
  void (*on_sample)(void *ctx, int64_t t_ms, const struct tj_cg_sample *s);
  void (*on_start)(void *ctx, int64_t start_mono_ms);
  void *ctx;
};

/* Runs spec. Returns 0 when res describes the run (including set-up
 * failures, in res->launch); < 0 only for failures before anything started.
 * hooks may be NULL. */
int tj_sandbox_run(const struct tj_spec *spec, const struct tj_sandbox_hooks *hooks, struct tj_run_result *res,
                   tj_error *err);

/* The last max_lines lines of the output, in order; caller frees each and the array. */
int tj_run_tail_lines(const struct tj_run_result *res, int max_lines, char ***lines);

#endif
