/* testjail init: a container's entrypoint. As PID 1 (or, when not, a child
 * subreaper) it starts the workload in a session of its own, forwards every
 * signal to it, reaps every zombie, drains what the workload leaves behind
 * when it exits (SIGTERM, --grace, SIGKILL), and passes its exit status
 * through. Then it says why the workload died, from the counters of the
 * child cgroup it ran the workload in (where the cgroup tree is writable)
 * and of its own, the container's, cgroup before and after. */
#ifndef TJ_INIT_H
#define TJ_INIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"
#include "common/error.h"
#include "sandbox/sandbox.h"
#include "common/spec.h"
#include "verdict.h"

#define TJ_INIT_NSIG 65 /* signals 1..64 */
#define TJ_TERMINATION_LOG "/dev/termination-log"
#define TJ_TERMINATION_MAX 4096 /* what the kubelet reads of it */
#define TJ_INIT_GRACE_MS 10000

struct tj_init_spec {
  struct tj_spec sandbox;      /* limits, rlimits, wall timeout, grace (of the drain), report, argv */
  bool single_child;           /* signals to the workload alone, not its process group */
  int rewrite[TJ_INIT_NSIG];   /* -1: forward as received; 0: drop; else the signal sent instead */
  const char *termination_log; /* NULL: TJ_TERMINATION_LOG when it exists */
};

struct tj_init_result {
  struct tj_run_result run; /* status, timers, duration, counters: what the verdict and report read */
  bool pid1;
  bool own_cgroup;                  /* the workload ran in a child cgroup (run.cgroup_path) */
  char no_cgroup_why[256];          /* why not, when not */
  bool container_known;             /* before and after were read */
  struct tj_cg_self before, after;  /* the cgroup testjail itself sits in */
  int64_t memory_limit, pids_limit; /* in force: the smaller of the option and the container's; -1 none */
  int leftovers;                    /* processes still there when the workload exited; -1 unknown */
  int killed_after_grace;           /* of those, still there after the grace: SIGKILLed */
  int64_t drain_ms;
  char note[512]; /* a problem after the start that changed nothing for the workload */
  /* The workload is a Go test binary run with -test.v: its stdout came
   * through a pipe, unchanged, and run.notes hold what it said (the tests
   * running at its end). */
  bool go_watched;
};

void tj_init_spec_defaults(struct tj_init_spec *spec);

/* "TERM", "SIGTERM", "15", "RTMIN+2". allow_zero: "0" is valid (no signal). */
int tj_init_parse_signal(const char *s, bool allow_zero, int *sig, tj_error *err);

/* --rewrite FROM:TO into spec->rewrite. */
int tj_init_parse_rewrite(const char *arg, struct tj_init_spec *spec, tj_error *err);

/* The termination message file in use: the option's, else
 * TJ_TERMINATION_LOG when that exists, else NULL. */
const char *tj_init_termination_path(const struct tj_init_spec *spec);

/* Fail early (nothing started) when a file the run will write cannot be. */
int tj_init_check_paths(const struct tj_init_spec *spec, tj_error *err);

/* Stay PID 1, or become a child subreaper; *pid1 tells which. */
int tj_init_become_reaper(bool *pid1, tj_error *err);

/* Run the workload to its end and drain. Returns 0 when res describes the
 * run (a workload that could not be executed included: res->run.launch);
 * < 0 only when nothing was started. Once the workload runs, nothing makes
 * it return early. All signals stay blocked on return, so that a late one
 * cannot end testjail before the caller has passed the status on. */
int tj_init_run(const struct tj_init_spec *spec, struct tj_init_result *res, tj_error *err);

/* The verdict; returns the exit code: the workload's own status (128+N for
 * signal N), 126/127 when it could not be executed, 125 when testjail failed. */
int tj_init_verdict(const struct tj_init_spec *spec, const struct tj_init_result *res, struct tj_verdict *v);

/* The termination message: the diagnosis, then a line of key figures
 * (key=value). NUL-terminated; truncated to len - 1 bytes. */
void tj_init_message(const struct tj_init_result *res, const struct tj_verdict *v, int code, char *buf, size_t len);

/* Write at most TJ_TERMINATION_MAX bytes of msg to path. */
int tj_init_write_termination_log(const char *path, const char *msg, tj_error *err);

/* The JSON report, mode "init". */
json_t *tj_init_report(const struct tj_init_spec *spec, const struct tj_init_result *res, const struct tj_verdict *v,
                       int code);

#endif
