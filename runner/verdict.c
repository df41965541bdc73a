#include "verdict.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/parse.h"
#include "common/error.h"

static const struct {
  enum tj_pattern pat;
  const char *needle;
  bool line_start;
} patterns[] = {
    {TJ_PAT_NOFILE, "too many open files", false},
    {TJ_PAT_FSIZE, "file too large", false},
    {TJ_PAT_NOMEM, "cannot allocate memory", false},
    {TJ_PAT_NOMEM, "out of memory", false},
    {TJ_PAT_NOMEM, "failed to reserve page summary memory", false},
    {TJ_PAT_NOTHREAD, "failed to create new OS thread", false},
    {TJ_PAT_NOTHREAD, "pthread_create failed", false},
    {TJ_PAT_NOTHREAD, "resource temporarily unavailable", false},
    {TJ_PAT_TEST_TIMEOUT, "panic: test timed out after", true},
    {TJ_PAT_DEADLOCK, "all goroutines are asleep - deadlock!", false},
    {TJ_PAT_PANIC, "panic: ", true},
    {TJ_PAT_PANIC, "fatal error: ", true},
    {TJ_PAT_TEST_FAIL, "--- FAIL: ", false},
    {TJ_PAT_SIGSYS, "SIGSYS: bad system call", true},
    {TJ_PAT_BADFLAG, "flag provided but not defined: ", true},
    {TJ_PAT_BADFLAG, "invalid value \"", true},
};

static void copy_name(char *dst, size_t len, const char *src, size_t n) {
  size_t k = 0;
  while (k < n && k + 1 < len && src[k] != ' ' && src[k] != '\t' && src[k] != '\r')
    dst[k] = src[k], k++;
  dst[k] = 0;
}

static void running_add(struct tj_notes *n, const char *name, size_t len) {
  char buf[96];
  copy_name(buf, sizeof(buf), name, len);
  for (int i = 0; i < n->n_running; i++)
    if (strcmp(n->running[i], buf) == 0)
      return;
  if (n->n_running < TJ_NOTES_RUNNING)
    strcpy(n->running[n->n_running++], buf);
}

static void running_remove(struct tj_notes *n, const char *name, size_t len) {
  char buf[96];
  copy_name(buf, sizeof(buf), name, len);
  for (int i = 0; i < n->n_running; i++)
    if (strcmp(n->running[i], buf) == 0) {
      memmove(n->running[i], n->running[i + 1], (size_t)(n->n_running - i - 1) * sizeof(n->running[0]));
      n->n_running--;
      return;
    }
}

static bool starts(const char *s, size_t len, const char *prefix) {
  size_t n = strlen(prefix);
  return len >= n && memcmp(s, prefix, n) == 0;
}

/* "SIGSEGV: segmentation violation": the Go runtime's first line about a
 * signal it caught and dies of (runtime.sighandler's dieFromSignal path). */
static bool runtime_signal_line(const char *s) {
  if (strncmp(s, "SIG", 3) != 0)
    return false;
  const char *p = s + 3;
  while ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
    p++;
  return p > s + 3 && p[0] == ':' && p[1] == ' ';
}

static void runtime_signal_note(struct tj_notes *notes, const char *buf) {
  if (!notes->rt_signal[0] && runtime_signal_line(buf)) {
    snprintf(notes->rt_signal, sizeof(notes->rt_signal), "%s", buf);
    return;
  }
  const char *code =
      notes->rt_signal[0] && !notes->rt_sigcode_known && strncmp(buf, "PC=", 3) == 0 ? strstr(buf, " sigcode=") : NULL;
  if (code && sscanf(code + 9, "%d", &notes->rt_sigcode) == 1)
    notes->rt_sigcode_known = true;
}

static void notes_segment(struct tj_notes *notes, const char *line, size_t len) {
  char buf[1024];
  size_t n = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;
  memcpy(buf, line, n);
  buf[n] = 0;
  runtime_signal_note(notes, buf);
  /* Subtest result lines are indented; strip that for the test stream. */
  const char *t = buf;
  while (*t == ' ' || *t == '\t')
    t++;
  size_t tl = strlen(t);
  if (starts(t, tl, "=== RUN   ") || starts(t, tl, "=== CONT  ")) {
    notes->test_started = true;
    running_add(notes, t + 10, tl - 10);
  } else if (starts(t, tl, "--- PASS: ") || starts(t, tl, "--- SKIP: ")) {
    running_remove(notes, t + 10, tl - 10);
  } else if (starts(t, tl, "--- FAIL: ")) {
    running_remove(notes, t + 10, tl - 10);
    /* Once each: -count=N fails a test N times, and a fuzz target reports
     * its failing input under its own name. */
    char name[sizeof(notes->failed[0])];
    copy_name(name, sizeof(name), t + 10, tl - 10);
    bool seen = false;
    for (int i = 0; i < notes->n_failed; i++)
      seen |= strcmp(notes->failed[i], name) == 0;
    if (!seen && notes->n_failed < 8)
      memcpy(notes->failed[notes->n_failed++], name, sizeof(name));
  }
  if (strcmp(buf, "FAIL") == 0 || starts(buf, n, "FAIL\t")) {
    if (!notes->seen[TJ_PAT_FAIL_LINE]) {
      notes->seen[TJ_PAT_FAIL_LINE] = true;
      snprintf(notes->first[TJ_PAT_FAIL_LINE], TJ_NOTE_LEN, "%.*s", TJ_NOTE_LEN - 1, buf);
    }
  }
  for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
    enum tj_pattern p = patterns[i].pat;
    if (notes->seen[p])
      continue;
    bool hit =
        patterns[i].line_start ? starts(buf, n, patterns[i].needle) : strcasestr(buf, patterns[i].needle) != NULL;
    if (hit) {
      notes->seen[p] = true;
      snprintf(notes->first[p], TJ_NOTE_LEN, "%.*s", TJ_NOTE_LEN - 1, buf);
    }
  }
}

/* Under -test.v=test2json (what go test -json runs from Go 1.20 on) the
 * testing package puts ^V before each of its own lines; one not at the
 * start ends the output before it (test2json's indexEOL). */
void tj_notes_line(struct tj_notes *notes, const char *line, size_t len) {
  for (;;) {
    const char *mark = memchr(line, '\x16', len);
    size_t seg = mark ? (size_t)(mark - line) : len;
    if (seg || !mark)
      notes_segment(notes, line, seg);
    if (!mark)
      return;
    line += seg + 1;
    len -= seg + 1;
  }
}

const char *tj_outcome_name(enum tj_outcome o) {
  switch (o) {
  case TJ_PASSED:
    return "passed";
  case TJ_TESTS_FAILED:
    return "tests_failed";
  case TJ_BUILD_FAILED:
    return "build_failed";
  case TJ_OOM_KILLED:
    return "oom_killed";
  case TJ_SECCOMP_DENIED:
    return "seccomp_denied";
  case TJ_PIDS_LIMIT:
    return "pids_limit";
  case TJ_RLIMIT:
    return "rlimit";
  case TJ_TIMEOUT:
    return "timeout";
  case TJ_TEST_TIMEOUT:
    return "test_timeout";
  case TJ_INIT_PANIC:
    return "init_panic";
  case TJ_DEADLOCK:
    return "deadlock";
  case TJ_SIGNALED:
    return "signaled";
  case TJ_EXIT_NONZERO:
    return "exit_nonzero";
  case TJ_SANDBOX_ERROR:
    return "sandbox_error";
  }
  return "sandbox_error";
}

bool tj_outcome_from_name(const char *name, enum tj_outcome *o) {
  if (!name)
    return false;
  if (strncmp(name, "rlimit_", 7) == 0 && name[7]) {
    *o = TJ_RLIMIT;
    return true;
  }
  for (int i = TJ_PASSED; i <= TJ_SANDBOX_ERROR; i++)
    if (i != TJ_RLIMIT && strcmp(name, tj_outcome_name((enum tj_outcome)i)) == 0) {
      *o = (enum tj_outcome)i;
      return true;
    }
  return false;
}

int tj_outcome_rank(enum tj_outcome o) {
  switch (o) {
  case TJ_SANDBOX_ERROR:
    return 0;
  case TJ_OOM_KILLED:
    return 1;
  case TJ_SECCOMP_DENIED:
    return 2;
  case TJ_PIDS_LIMIT:
  case TJ_RLIMIT:
    return 3;
  case TJ_TIMEOUT:
  case TJ_TEST_TIMEOUT:
    return 4;
  case TJ_INIT_PANIC:
  case TJ_SIGNALED:
  case TJ_EXIT_NONZERO:
    return 5;
  case TJ_BUILD_FAILED:
    return 6;
  case TJ_DEADLOCK:
    return 7;
  case TJ_TESTS_FAILED:
    return 8;
  case TJ_PASSED:
    return 9;
  }
  return 0;
}

bool tj_outcome_imposed(enum tj_outcome o) {
  switch (o) {
  case TJ_OOM_KILLED:
  case TJ_SECCOMP_DENIED:
  case TJ_PIDS_LIMIT:
  case TJ_RLIMIT:
  case TJ_TIMEOUT:
  case TJ_SIGNALED:
    return true;
  default:
    return false;
  }
}

int tj_outcome_exit_code(enum tj_outcome o) {
  switch (o) {
  case TJ_PASSED:
    return 0;
  case TJ_TESTS_FAILED:
  case TJ_DEADLOCK:
    return 1;
  case TJ_BUILD_FAILED:
    return 2;
  case TJ_OOM_KILLED:
    return 3;
  case TJ_SECCOMP_DENIED:
    return 4;
  case TJ_PIDS_LIMIT:
  case TJ_RLIMIT:
    return 5;
  case TJ_TIMEOUT:
  case TJ_TEST_TIMEOUT:
    return 6;
  case TJ_INIT_PANIC:
  case TJ_SIGNALED:
  case TJ_EXIT_NONZERO:
    return 7;
  case TJ_SANDBOX_ERROR:
    return TJ_EXIT_USAGE;
  }
  return TJ_EXIT_USAGE;
}

static void add_evidence(struct tj_verdict *v, const char *fmt, ...) {
  if (v->n_evidence >= TJ_MAX_EVIDENCE)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->evidence[v->n_evidence++], sizeof(v->evidence[0]), fmt, ap);
  va_end(ap);
}

static void set_outcome(struct tj_verdict *v, enum tj_outcome o, const char *rlimit) {
  v->outcome = o;
  if (o == TJ_RLIMIT) {
    snprintf(v->rlimit_name, sizeof(v->rlimit_name), "%s", rlimit);
    snprintf(v->outcome_name, sizeof(v->outcome_name), "rlimit_%s", rlimit);
  } else {
    snprintf(v->outcome_name, sizeof(v->outcome_name), "%s", tj_outcome_name(o));
  }
}

static void diag(struct tj_verdict *v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->diagnosis, sizeof(v->diagnosis), fmt, ap);
  va_end(ap);
}

/* " while running TestX" or "" */
static void running_suffix(const struct tj_notes *n, char *buf, size_t len) {
  buf[0] = 0;
  if (!n || n->n_running == 0)
    return;
  size_t off = (size_t)snprintf(buf, len, " while running %s", n->running[n->n_running - 1]);
  if (n->n_running > 1 && off < len)
    snprintf(buf + off, len - off, " (and %d more)", n->n_running - 1);
}

static void format_limit(rlim_t v, bool bytes, char *buf, size_t len) {
  if (v == RLIM_INFINITY)
    snprintf(buf, len, "unlimited");
  else if (bytes)
    tj_format_size((int64_t)v, buf, len);
  else
    snprintf(buf, len, "%llu", (unsigned long long)v);
}

static bool rlimit_hit(const struct tj_evidence *ev, struct tj_verdict *v, const char *run) {
  const struct tj_rlimits *rl = ev->rlimits;
  const struct tj_notes *n = ev->notes;
  const struct tj_rlimit *cpu = rl ? tj_rlimit_find(rl, RLIMIT_CPU) : NULL;
  const struct tj_rlimit *fsize = rl ? tj_rlimit_find(rl, RLIMIT_FSIZE) : NULL;
  const struct tj_rlimit *as = rl ? tj_rlimit_find(rl, RLIMIT_AS) : NULL;
  const struct tj_rlimit *nproc = rl ? tj_rlimit_find(rl, RLIMIT_NPROC) : NULL;
  const struct tj_rlimit *nofile = rl ? tj_rlimit_find(rl, RLIMIT_NOFILE) : NULL;
  char lim[64];
  bool killed = ev->status_known && !ev->exited;

  if (killed && ev->signal == SIGXCPU) {
    set_outcome(v, TJ_RLIMIT, "cpu");
    diag(v, "CPU time limit hit: killed by SIGXCPU%s", run);
    return true;
  }
  /* Go ignores SIGXCPU, so the kill comes at the hard limit as a SIGKILL
   * that looks like any other: the CPU time used tells it apart. The kernel
   * enforces the limit on its tick-sampled CPU clock, while rusage and
   * cpuacct count the precise runtime; on a busy virtual machine the kill
   * was seen at 81% of the limit by the precise count. Two thirds leaves
   * room for busier machines and still tells an early outside kill apart. */
  if (killed && ev->signal == SIGKILL && cpu && cpu->hard != RLIM_INFINITY && ev->cpu_ms >= 0 &&
      ev->cpu_ms * 3 >= (int64_t)cpu->hard * 2000) {
    set_outcome(v, TJ_RLIMIT, "cpu");
    add_evidence(v, "cpu time %.2fs, at RLIMIT_CPU hard %llus (within the kernel's accounting error)",
                 (double)ev->cpu_ms / 1000, (unsigned long long)cpu->hard);
    diag(v, "CPU time limit hit: killed by SIGKILL after %.2fs of CPU (--ulimit cpu hard limit %llus)%s",
         (double)ev->cpu_ms / 1000, (unsigned long long)cpu->hard, run);
    return true;
  }
  /* A shell between testjail and the process that hit the limit reports its
   * death as 128+N (sh -c 'head -c 5M /dev/zero >f' under fsize=1M exits
   * 153): with the limit of signal N set, that limit is the likely cause. */
  int shell_sig =
      ev->status_known && ev->exited && ev->exit_code > 128 && ev->exit_code < 128 + 65 ? ev->exit_code - 128 : 0;
  if (shell_sig == SIGXFSZ && fsize && fsize->soft != RLIM_INFINITY) {
    format_limit(fsize->soft, true, lim, sizeof(lim));
    set_outcome(v, TJ_RLIMIT, "fsize");
    add_evidence(v, "exit status %d: 128+SIGXFSZ, a shell's word for a child killed by SIGXFSZ", ev->exit_code);
    diag(v,
         "file size limit hit, likely: exit status %d is a shell's report of a process killed by SIGXFSZ, "
         "the signal of --ulimit fsize (%s)%s",
         ev->exit_code, lim, run);
    return true;
  }
  if ((shell_sig == SIGXCPU || shell_sig == SIGKILL) && cpu && cpu->soft != RLIM_INFINITY &&
      (shell_sig == SIGXCPU ||
       (ev->cpu_ms >= 0 && cpu->hard != RLIM_INFINITY && ev->cpu_ms * 3 >= (int64_t)cpu->hard * 2000))) {
    set_outcome(v, TJ_RLIMIT, "cpu");
    add_evidence(v, "exit status %d: 128+%s, a shell's word for a child killed by it", ev->exit_code,
                 shell_sig == SIGXCPU ? "SIGXCPU" : "SIGKILL");
    diag(v,
         "CPU time limit hit, likely: exit status %d is a shell's report of a process killed by %s, the signal "
         "of --ulimit cpu (%llus)%s",
         ev->exit_code, shell_sig == SIGXCPU ? "SIGXCPU" : "SIGKILL",
         (unsigned long long)(shell_sig == SIGXCPU ? cpu->soft : cpu->hard), run);
    return true;
  }
  if (killed && ev->signal == SIGXFSZ) {
    format_limit(fsize ? fsize->soft : RLIM_INFINITY, true, lim, sizeof(lim));
    set_outcome(v, TJ_RLIMIT, "fsize");
    diag(v, "file size limit hit: killed by SIGXFSZ writing past %s (--ulimit fsize)%s", lim, run);
    return true;
  }
  if (!n)
    return false;
  if (n->seen[TJ_PAT_FSIZE]) {
    format_limit(fsize ? fsize->soft : RLIM_INFINITY, true, lim, sizeof(lim));
    set_outcome(v, TJ_RLIMIT, "fsize");
    add_evidence(v, "output: %s", n->first[TJ_PAT_FSIZE]);
    diag(v, "file size limit hit: a write failed with \"file too large\" (RLIMIT_FSIZE %s)%s", lim, run);
    return true;
  }
  if (n->seen[TJ_PAT_NOFILE]) {
    char hard[64];
    format_limit(nofile ? nofile->soft : RLIM_INFINITY, false, lim, sizeof(lim));
    format_limit(nofile ? nofile->hard : RLIM_INFINITY, false, hard, sizeof(hard));
    set_outcome(v, TJ_RLIMIT, "nofile");
    add_evidence(v, "output: %s", n->first[TJ_PAT_NOFILE]);
    if (nofile)
      diag(v, "open files limit hit: \"too many open files\" (RLIMIT_NOFILE %s:%s)%s", lim, hard, run);
    else
      diag(v, "open files limit hit: \"too many open files\" (the inherited RLIMIT_NOFILE)%s", run);
    return true;
  }
  if (as && n->seen[TJ_PAT_NOMEM]) {
    format_limit(as->soft, true, lim, sizeof(lim));
    set_outcome(v, TJ_RLIMIT, "as");
    add_evidence(v, "output: %s", n->first[TJ_PAT_NOMEM]);
    diag(v, "address space limit hit: \"%s\" (RLIMIT_AS %s)%s", n->first[TJ_PAT_NOMEM], lim, run);
    return true;
  }
  if (nproc && n->seen[TJ_PAT_NOTHREAD]) {
    format_limit(nproc->soft, false, lim, sizeof(lim));
    set_outcome(v, TJ_RLIMIT, "nproc");
    add_evidence(v, "output: %s", n->first[TJ_PAT_NOTHREAD]);
    diag(v, "process limit hit: \"%s\" (RLIMIT_NPROC %s)%s", n->first[TJ_PAT_NOTHREAD], lim, run);
    return true;
  }
  return false;
}

/* "ptrace (1x, in TestAttach)" or the bare syscall name. */
static const char *seccomp_what(const struct tj_evidence *ev) {
  if (ev->seccomp_summary && ev->seccomp_summary[0])
    return ev->seccomp_summary;
  return ev->seccomp_syscall ? ev->seccomp_syscall : "a syscall";
}

static void seccomp_denied(const struct tj_evidence *ev, struct tj_verdict *v, const char *run) {
  set_outcome(v, TJ_SECCOMP_DENIED, NULL);
  const char *who = ev->go_test ? "the test" : "the command";
  if (ev->seccomp_denials <= 0) {
    /* Only the kernel acted: a TRAP rule or a bad architecture. A zombie's
     * /proc/PID/syscall reads -1 (its stack is gone), so the profile's
     * TRAP rules are the best account of which syscall it was. */
    const char *what = ev->go_test ? "the test binary" : "the command";
    if (ev->notes && ev->notes->seen[TJ_PAT_SIGSYS])
      add_evidence(v, "output: %s", ev->notes->first[TJ_PAT_SIGSYS]);
    if (ev->seccomp_trapped)
      diag(v, "seccomp killed %s with SIGSYS: the profile TRAPs %s%s", what, ev->seccomp_trapped, run);
    else
      diag(v, "seccomp killed %s with SIGSYS (a syscall of an architecture the profile does not allow)%s", what, run);
    return;
  }
  add_evidence(v, "seccomp denials %" PRId64, ev->seccomp_denials);
  if (ev->seccomp_kill) {
    diag(v, "seccomp denied %s: the profile's %s killed the sandbox", seccomp_what(ev), ev->seccomp_kill);
    return;
  }
  const char *en = ev->seccomp_errno > 0 ? strerrorname_np(ev->seccomp_errno) : NULL;
  if (en)
    diag(v, "seccomp denied %s: %s failed after %s", seccomp_what(ev), who, en);
  else
    diag(v, "seccomp denied %s: %s failed after the denial", seccomp_what(ev), who);
}

/* Whether the denials can explain the failure. They cannot when every
 * denial came in a named test and none of those failed or was still
 * running when the binary ended: then the failing tests failed on their
 * own (net/http's TestLinuxSendfile runs strace, which is denied ptrace,
 * and skips, while another test fails), and the denials are a warning. */
static bool denials_explain(const struct tj_evidence *ev) {
  const struct tj_notes *n = ev->notes;
  if (!ev->go_test || !n || ev->seccomp_untested || ev->n_seccomp_tests == 0 || n->n_failed == 0 ||
      n->n_failed == (int)(sizeof(n->failed) / sizeof(n->failed[0])) || (ev->status_known && !ev->exited))
    return true;
  for (int i = 0; i < ev->n_seccomp_tests; i++) {
    for (int k = 0; k < n->n_failed; k++)
      if (strcmp(ev->seccomp_tests[i], n->failed[k]) == 0)
        return true;
    for (int k = 0; k < n->n_running; k++)
      if (strcmp(ev->seccomp_tests[i], n->running[k]) == 0)
        return true;
  }
  return false;
}

static void decide(const struct tj_evidence *ev, struct tj_verdict *v);

/* "; 190 MiB of it files in tmpfs (/tmp ...)" when files in tmpfs (the
 * private /tmp, /dev/shm) held a quarter of the memory or more: the kernel
 * cannot reclaim them without swap, and go test on the host keeps them on
 * disk, so it is what tells the two apart. */
static void shmem_note(const struct tj_evidence *ev, char *buf, size_t len) {
  buf[0] = 0;
  int64_t base = ev->memory_limit >= 0 ? ev->memory_limit : ev->memory_peak;
  if (ev->memory_shmem <= 0 || base <= 0 || ev->memory_shmem < base / 4)
    return;
  char sz[32];
  tj_format_size(ev->memory_shmem, sz, sizeof(sz));
  snprintf(buf, len, "; %s of it files in tmpfs%s", sz,
           ev->private_tmp ? " (the private /tmp is a tmpfs charged to --memory; --tmp-dir DIR puts it on disk)"
                           : " (memory.stat shmem: /tmp, /dev/shm)");
}

/* Denials the outcome does not account for (the run passed, or they came
 * only in tests that did not fail) are a warning. */
void tj_verdict_decide(const struct tj_evidence *ev, struct tj_verdict *v) {
  decide(ev, v);
  if (ev->seccomp_denials > 0 && v->outcome != TJ_SECCOMP_DENIED) {
    const char *en = ev->seccomp_errno > 0 ? strerrorname_np(ev->seccomp_errno) : NULL;
    snprintf(v->warning, sizeof(v->warning), "seccomp denied %s%s%s, %s", seccomp_what(ev), en ? " with " : "",
             en ? en : "", v->outcome == TJ_PASSED ? "yet the run passed" : "in tests that did not fail");
  }
}

static void decide(const struct tj_evidence *ev, struct tj_verdict *v) {
  memset(v, 0, sizeof(*v));
  const struct tj_notes *n = ev->notes;
  char run[200], peak[32], limit[32];
  running_suffix(n, run, sizeof(run));
  bool killed = ev->status_known && !ev->exited;
  const char *signame = killed ? sigabbrev_np(ev->signal) : NULL;

  if (ev->setup_error) {
    set_outcome(v, TJ_SANDBOX_ERROR, NULL);
    diag(v, "sandbox error: %s", ev->setup_error);
    add_evidence(v, "%s", ev->setup_error);
    return;
  }
  if (ev->status_known) {
    if (ev->exited)
      add_evidence(v, "exit status %d", ev->exit_code);
    else
      add_evidence(v, "killed by SIG%s", signame ? signame : "?");
  }
  if (ev->oom_kills > 0)
    add_evidence(v, "oom_kill %" PRId64, ev->oom_kills);
  if (ev->oom_kills > 0 && ev->memory_shmem >= 0)
    add_evidence(v, "memory.stat shmem %" PRId64, ev->memory_shmem);
  if (ev->pids_limit_hits > 0)
    add_evidence(v, "pids.events max %" PRId64, ev->pids_limit_hits);

  if (ev->status_known && ev->exited && ev->exit_code == 0 && !ev->timed_out) {
    set_outcome(v, TJ_PASSED, NULL);
    diag(v, "passed");
    return;
  }
  if (ev->timed_out) {
    set_outcome(v, TJ_TIMEOUT, NULL);
    add_evidence(v, "wall clock %" PRId64 "ms elapsed", ev->wall_timeout_ms);
    diag(v, "timeout: still running after the %.3gs wall-clock limit; sent SIGQUIT%s%s",
         (double)ev->wall_timeout_ms / 1000, ev->sent_kill ? ", then killed everything after the grace period" : "",
         run);
    return;
  }
  if (ev->oom_kills > 0) {
    set_outcome(v, TJ_OOM_KILLED, NULL);
    /* The killer may hit a process a test started (runtime's tests build
     * programs with the go command): that test then fails, and the binary
     * goes on. It was the one running at the kill. */
    if (!run[0] && n && n->n_failed > 0)
      snprintf(run, sizeof(run), " while running %s, which then failed (the OOM killer hit a process it started)",
               n->failed[n->n_failed - 1]);
    if (ev->memory_peak >= 0)
      tj_format_size(ev->memory_peak, peak, sizeof(peak));
    else
      strcpy(peak, "an unknown amount");
    char shm[160] = "";
    shmem_note(ev, shm, sizeof(shm));
    /* The run-wide cgroup's limit, not the sandbox's own, made the kernel
     * kill: the other packages running then share the blame. */
    bool own_hit = ev->memory_limit >= 0 && ev->memory_max_events > 0;
    if (ev->memory_total_limit > 0 && ev->memory_total_hits > 0 && !own_hit) {
      tj_format_size(ev->memory_total_limit, limit, sizeof(limit));
      add_evidence(v, "--memory-total cgroup's limit hit %" PRId64 "x", ev->memory_total_hits);
      diag(v,
           "OOM killed: the run's --memory-total of %s was hit (all packages' test sandboxes together, not "
           "this package's own limit); this one peaked at %s (oom_kill %" PRId64 ")%s%s",
           limit, peak, ev->oom_kills, run, shm);
      return;
    }
    if (ev->memory_limit >= 0) {
      tj_format_size(ev->memory_limit, limit, sizeof(limit));
      diag(v, "OOM killed: memory peaked at %s of the %s limit (oom_kill %" PRId64 ")%s%s", peak, limit, ev->oom_kills,
           run, shm);
    } else {
      diag(v, "OOM killed: memory peaked at %s (oom_kill %" PRId64 ")%s%s", peak, ev->oom_kills, run, shm);
    }
    return;
  }
  /* Go catches SIGSYS, prints "SIGSYS: bad system call" and exits 2. */
  bool sigsys = (killed && ev->signal == SIGSYS) || (n && n->seen[TJ_PAT_SIGSYS]);
  if ((ev->seccomp_denials > 0 && denials_explain(ev)) || (sigsys && ev->seccomp_filtered)) {
    seccomp_denied(ev, v, run);
    return;
  }
  if (ev->pids_limit_hits > 0) {
    set_outcome(v, TJ_PIDS_LIMIT, NULL);
    if (n && n->seen[TJ_PAT_NOTHREAD])
      add_evidence(v, "output: %s", n->first[TJ_PAT_NOTHREAD]);
    diag(v,
         "pids limit hit: the kernel refused %" PRId64 " new task(s) at the limit of %" PRId64 " (pids.events max)%s",
         ev->pids_limit_hits, ev->pids_limit, run);
    return;
  }
  if (rlimit_hit(ev, v, run))
    return;
  if (killed) {
    set_outcome(v, TJ_SIGNALED, NULL);
    if (ev->signal == SIGKILL)
      diag(v, "killed by SIGKILL, not sent by testjail: no OOM kill, no limit hit%s", run);
    else if (ev->signal == SIGSYS)
      diag(v, "killed by SIGSYS (bad system call: a seccomp filter or an unknown syscall)%s", run);
    else
      diag(v, "killed by SIG%s (%s)%s", signame ? signame : "?", strsignal(ev->signal), run);
    return;
  }
  if (!ev->status_known) {
    set_outcome(v, TJ_SANDBOX_ERROR, NULL);
    diag(v, "sandbox error: the workload's exit status was lost");
    return;
  }
  if (ev->go_test && n && !n->test_started && n->seen[TJ_PAT_BADFLAG] && ev->exit_code == 2) {
    set_outcome(v, TJ_SANDBOX_ERROR, NULL);
    add_evidence(v, "output: %s", n->first[TJ_PAT_BADFLAG]);
    diag(v, "bad TESTFLAGS: the test binary said \"%s\"", n->first[TJ_PAT_BADFLAG]);
    return;
  }
  if (n && n->seen[TJ_PAT_TEST_TIMEOUT]) {
    set_outcome(v, TJ_TEST_TIMEOUT, NULL);
    add_evidence(v, "output: %s", n->first[TJ_PAT_TEST_TIMEOUT]);
    diag(v, "Go test timeout: %s%s", n->first[TJ_PAT_TEST_TIMEOUT], run);
    return;
  }
  if (n && n->seen[TJ_PAT_DEADLOCK]) {
    set_outcome(v, TJ_DEADLOCK, NULL);
    add_evidence(v, "output: %s", n->first[TJ_PAT_DEADLOCK]);
    diag(v, "deadlock: all goroutines are asleep%s; the runtime ended the binary, later tests never ran", run);
    return;
  }
  /* The Go runtime dies of most fatal signals it catches with exit status
   * 2, not by the signal: named, and told apart from a fault of the code. */
  if (n && n->rt_signal[0] && ev->exited && ev->exit_code == 2) {
    char sig[32];
    bool sent = n->rt_sigcode_known && n->rt_sigcode <= 0;
    snprintf(sig, sizeof(sig), "%.*s", (int)strcspn(n->rt_signal, ":"), n->rt_signal);
    set_outcome(v, TJ_SIGNALED, NULL);
    add_evidence(v, "output: %s", n->rt_signal);
    if (n->rt_sigcode_known)
      add_evidence(v, "sigcode=%d", n->rt_sigcode);
    char how[96] = "";
    if (sent)
      snprintf(how, sizeof(how), ", sent (sigcode=%d: by kill or raise, not a fault of the code)", n->rt_sigcode);
    diag(v, "%s%s%s: the Go runtime caught it and ended the binary with exit status 2", sig, how, run);
    return;
  }
  if (n && !n->test_started && n->seen[TJ_PAT_PANIC]) {
    set_outcome(v, TJ_INIT_PANIC, NULL);
    add_evidence(v, "output: %s", n->first[TJ_PAT_PANIC]);
    diag(v, "died before any test started: %s", n->first[TJ_PAT_PANIC]);
    return;
  }
  if (n && (n->n_failed > 0 || n->seen[TJ_PAT_TEST_FAIL] || (n->test_started && n->seen[TJ_PAT_PANIC]))) {
    set_outcome(v, TJ_TESTS_FAILED, NULL);
    char names[300] = "";
    size_t off = 0;
    for (int i = 0; i < n->n_failed && off < sizeof(names); i++)
      off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i ? ", " : "", n->failed[i]);
    /* A fatal error (concurrent map writes, stack overflow) is no panic:
     * nothing recovers it, and it ends the binary there. */
    v->crashed = n->seen[TJ_PAT_PANIC] && n->n_running > 0;
    if (n->seen[TJ_PAT_PANIC] && n->n_running > 0 && strncmp(n->first[TJ_PAT_PANIC], "fatal error:", 12) == 0)
      diag(v, "tests failed: %s crashed the Go runtime: %s; the binary ended, later tests never ran",
           n->running[n->n_running - 1], n->first[TJ_PAT_PANIC]);
    else if (n->seen[TJ_PAT_PANIC] && n->n_running > 0)
      diag(v, "tests failed: %s panicked: %s", n->running[n->n_running - 1], n->first[TJ_PAT_PANIC]);
    else
      diag(v, "tests failed: %s", off ? names : "see output");
    return;
  }
  set_outcome(v, TJ_EXIT_NONZERO, NULL);
  if (ev->go_test && n && !n->test_started)
    diag(v,
         "exited with status %d before any test started, with no panic and no failing test (os.Exit in TestMain "
         "or an init function?)",
         ev->exit_code);
  else
    diag(v, "exited with status %d%s%s", ev->exit_code, n && n->test_started ? " without a failing test" : "", run);
}

/* "file.go:12:5: message" or "file.go:12: message" */
static bool is_go_error(const char *s) {
  const char *colon = strstr(s, ".go:");
  if (!colon || strchr(s, ' ') < colon)
    return false;
  const char *p = colon + 4;
  if (*p < '0' || *p > '9')
    return false;
  while (*p >= '0' && *p <= '9')
    p++;
  if (*p == ':' && p[1] >= '0' && p[1] <= '9') {
    p++;
    while (*p >= '0' && *p <= '9')
      p++;
  }
  return p[0] == ':' && p[1] == ' ';
}

void tj_build_notes_line(struct tj_build_notes *b, const char *line, size_t len) {
  char buf[TJ_NOTE_LEN];
  snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) ? len : sizeof(buf) - 1), line);
  const char *cgo = strstr(buf, "cgo: C compiler \"");
  if (cgo && !b->cgo_cc[0]) {
    const char *name = cgo + 17, *end = strchr(name, '"');
    if (end)
      snprintf(b->cgo_cc, sizeof(b->cgo_cc), "%.*s", (int)(end - name), name);
  }
  if (is_go_error(buf)) {
    if (b->n_errors < TJ_BUILD_ERRORS)
      strcpy(b->errors[b->n_errors++], buf);
    b->total_errors++;
  } else if (!b->first_other[0] && buf[0] && buf[0] != '#') {
    strcpy(b->first_other, buf);
  }
}

void tj_verdict_build(const struct tj_evidence *ev, const struct tj_build_notes *b, struct tj_verdict *v) {
  struct tj_evidence e = *ev;
  e.notes = NULL; /* compiler output is no test's output */
  tj_verdict_decide(&e, v);
  char buf[512];
  switch (v->outcome) {
  case TJ_PASSED:
  case TJ_SANDBOX_ERROR:
    return;
  case TJ_TIMEOUT:
    diag(v, "build timeout: go test -c still running after the %.3gs --build-timeout%s",
         (double)ev->wall_timeout_ms / 1000, ev->sent_kill ? "; killed after the grace period" : "");
    return;
  case TJ_OOM_KILLED:
    snprintf(buf, sizeof(buf), "%s", v->diagnosis);
    diag(v, "build %s%s", buf, ev->memory_limit >= 0 ? " (the build's own limit: raise --build-memory)" : "");
    return;
  case TJ_SECCOMP_DENIED:
  case TJ_PIDS_LIMIT:
  case TJ_RLIMIT:
  case TJ_SIGNALED:
    snprintf(buf, sizeof(buf), "%s", v->diagnosis);
    diag(v, "build: %s", buf);
    return;
  default:
    break;
  }
  set_outcome(v, TJ_BUILD_FAILED, NULL);
  if (b->cgo_cc[0]) {
    add_evidence(v, "cgo: C compiler \"%s\" not found", b->cgo_cc);
    diag(v,
         "build failed: cgo needs the C compiler \"%s\", which is not installed: install it (e.g. apt-get install "
         "gcc) or build without cgo (CGO_ENABLED=0, e.g. --env CGO_ENABLED=0)",
         b->cgo_cc);
    return;
  }
  for (int i = 0; i < b->n_errors; i++)
    add_evidence(v, "%s", b->errors[i]);
  if (b->n_errors > 0)
    diag(v, "build failed: %s%s", b->errors[0], b->total_errors > 1 ? " (and more, see the output)" : "");
  else if (b->first_other[0])
    diag(v, "build failed: %s", b->first_other);
  else
    diag(v, "build failed: go test -c exited with status %d", ev->exit_code);
}
