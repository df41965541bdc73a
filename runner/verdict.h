/* The verdict: a pure function from evidence (exit status or signal, cgroup
 * counter deltas, limits, notable output lines, timer state) to an outcome.
 * Kernel counters outrank signals; signals outrank output patterns, because
 * several kills look identical from the exit status alone
 * (shared/notes/go-evidence.md). */
#ifndef TJ_VERDICT_H
#define TJ_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rlimit.h"

enum tj_outcome {
  TJ_PASSED,
  TJ_TESTS_FAILED,
  TJ_BUILD_FAILED,
  TJ_OOM_KILLED,
  TJ_SECCOMP_DENIED,
  TJ_PIDS_LIMIT,
  TJ_RLIMIT, /* rlimit_<name> */
  TJ_TIMEOUT,
  TJ_TEST_TIMEOUT,
  TJ_INIT_PANIC,
  TJ_DEADLOCK,
  TJ_SIGNALED,
  TJ_EXIT_NONZERO,
  TJ_SANDBOX_ERROR,
};

/* Output lines worth remembering; matched as the output streams by. */
enum tj_pattern {
  TJ_PAT_NOFILE,       /* too many open files (EMFILE) */
  TJ_PAT_FSIZE,        /* file too large (EFBIG) */
  TJ_PAT_NOMEM,        /* cannot allocate memory, out of memory */
  TJ_PAT_NOTHREAD,     /* failed to create new OS thread, pthread_create failed, EAGAIN on fork */
  TJ_PAT_TEST_TIMEOUT, /* panic: test timed out after */
  TJ_PAT_DEADLOCK,     /* all goroutines are asleep - deadlock! */
  TJ_PAT_PANIC,        /* panic: / fatal error: at line start */
  TJ_PAT_TEST_FAIL,    /* --- FAIL: */
  TJ_PAT_FAIL_LINE,    /* a bare FAIL line (go test's summary) */
  TJ_PAT_SIGSYS,       /* SIGSYS: bad system call */
  TJ_PAT_BADFLAG,      /* the testing package refused a flag */
  TJ_PAT_COUNT
};

#define TJ_NOTES_RUNNING 16
#define TJ_NOTE_LEN 200

struct tj_notes {
  bool seen[TJ_PAT_COUNT];
  char first[TJ_PAT_COUNT][TJ_NOTE_LEN]; /* first matching line */
  bool test_started;                     /* an "=== RUN" was seen */
  char running[TJ_NOTES_RUNNING][96];    /* tests started and not ended */
  int n_running;
  char failed[8][96]; /* first failing tests */
  int n_failed;
  /* A signal the Go runtime caught and died of with exit status 2, as it
   * prints it: "SIGSEGV: segmentation violation", then "PC=... sigcode=0"
   * (sigcode <= 0: sent by a process, SI_USER/SI_TKILL, not a fault). */
  char rt_signal[TJ_NOTE_LEN];
  int rt_sigcode;
  bool rt_sigcode_known;
};

/* Feed one complete output line (without the newline). */
void tj_notes_line(struct tj_notes *notes, const char *line, size_t len);

struct tj_evidence {
  bool status_known; /* false when the workload's status never arrived */
  bool exited;
  int exit_code;
  int signal;
  bool timed_out; /* testjail's wall clock fired */
  bool sent_kill; /* ... and testjail had to SIGKILL after the grace */
  int64_t wall_timeout_ms;
  int64_t oom_kills, pids_limit_hits, memory_peak, cpu_ms; /* -1 unknown */
  int64_t memory_limit, pids_limit;                        /* -1 none */
  int64_t memory_shmem;      /* tmpfs pages charged at the end (memory.stat shmem); -1 unknown */
  bool private_tmp;          /* /tmp was the sandbox's own tmpfs (not --tmp-dir) */
  int64_t memory_max_events; /* the sandbox's own memory limit hit (memory.events max, failcnt); -1 unknown */
  /* --memory-total: the run-wide cgroup over every package's sandbox, its
   * limit and how often that limit was hit during this run; > 0 when set */
  int64_t memory_total_limit, memory_total_hits;
  const struct tj_rlimits *rlimits;
  const struct tj_notes *notes;
  int64_t seccomp_denials;
  const char *seccomp_syscall;
  const char *seccomp_summary; /* "ptrace (1x, in TestAttach), bpf (2x)"; NULL: from seccomp_syscall */
  int seccomp_errno;           /* what the most frequent denial answered; 0 for a kill */
  const char *seccomp_kill;    /* a kill action killed the sandbox: its action's name */
  bool seccomp_filtered;       /* a filter was loaded: a SIGSYS is its doing */
  const char *seccomp_trapped; /* "ptrace, bpf": what the profile TRAPs (a SIGSYS came from one of them) */
  /* The Go tests the denials came in, to tell a failure they explain from
   * one they do not (a parallel test's denial, a test that skipped after
   * it). seccomp_untested: one came outside any test, or too many tests. */
  const char *seccomp_tests[8];
  int n_seccomp_tests;
  bool seccomp_untested;
  const char *setup_error; /* non-NULL: the sandbox could not be set up */
  bool go_test;            /* a test binary run by `testjail test`: its flag errors are usage errors */
};

#define TJ_MAX_EVIDENCE 10

struct tj_verdict {
  enum tj_outcome outcome;
  char rlimit_name[16];
  char outcome_name[32];
  char diagnosis[512];
  char evidence[TJ_MAX_EVIDENCE][256];
  int n_evidence;
  char warning[512]; /* passed, but with something a person should see (seccomp denials) */
  /* tests_failed by a panic or fatal error that ended the binary: its
   * stacks (every goroutine's, for a fatal error) bury the reason, so it is
   * said again after them */
  bool crashed;
};

void tj_verdict_decide(const struct tj_evidence *ev, struct tj_verdict *v);

/* What a `go test -c` build printed that decides its verdict: the first
 * compiler and vet errors (file:line: message), and cgo's missing C
 * compiler. */
#define TJ_BUILD_ERRORS 5

struct tj_build_notes {
  char errors[TJ_BUILD_ERRORS][TJ_NOTE_LEN];
  int n_errors, total_errors;
  char first_other[TJ_NOTE_LEN]; /* the first line that is not a "# pkg" header */
  char cgo_cc[64];               /* cgo: C compiler "X" not found */
};

void tj_build_notes_line(struct tj_build_notes *b, const char *line, size_t len);

/* The build phase: like tj_verdict_decide, but whatever is not the
 * sandbox's doing (a kernel counter, testjail's timer, a signal, a set-up
 * error) is build_failed, with go's first errors. Diagnoses say "build". */
void tj_verdict_build(const struct tj_evidence *ev, const struct tj_build_notes *b, struct tj_verdict *v);

/* Several packages: the smaller rank wins (contract order: sandbox_error,
 * oom_killed, seccomp_denied, limits, timeouts, the exit-7 class,
 * build_failed, deadlock and tests_failed, passed). */
int tj_outcome_rank(enum tj_outcome o);

/* The outcome was imposed on the tests, not caused by them: a kill by the
 * kernel or testjail (OOM, a limit, the wall clock, a signal, seccomp). */
bool tj_outcome_imposed(enum tj_outcome o);

/* "passed", "oom_killed", ... ("rlimit" for TJ_RLIMIT; use v->outcome_name). */
const char *tj_outcome_name(enum tj_outcome o);

/* The other way: "rlimit_<name>" is TJ_RLIMIT; false for a name that is
 * no outcome. */
bool tj_outcome_from_name(const char *name, enum tj_outcome *o);

/* The exit code of `testjail test` for an outcome (contract table). */
int tj_outcome_exit_code(enum tj_outcome o);

#endif
