#include "cmd/cmd.h"
#include "cmd/goargs.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "sandbox/workdir.h"
#include "go/bisect.h"
#include "seccomp/seccomp.h"
#include "cmd/cli.h"
#include "go/job.h"
#include "report/live.h"
#include "report/plot.h"
#include "report/report.h"
#include "common/util.h"
#include "verdict.h"
#include "common/error.h"

/* One bisect-memory run, from the options to the exit code: what its
 * phases and the search's tries hand one another, and what
 * bisect_run_end takes down. */
struct bisect_run {
  struct tj_bisect_opts opts;
  struct tj_go_args ga;
  struct tj_go_env go;
  struct tj_package *pkgs; /* the one package */
  int n;
  bool masked; /* our signals blocked; old_mask is the caller's */
  sigset_t old_mask;
  int sfd;                 /* our SIGINT/SIGTERM/SIGHUP */
  int interrupted;         /* the signal that stops us */
  char workdir[PATH_MAX];  /* "" while there is none */
  char bin[PATH_MAX + 32]; /* the test binary, built once */
  struct tj_job job;
  struct tj_live live;
  bool show_output; /* the measuring runs print like go test; the tries do not */
  bool header_due;  /* the table's header, after the first run's go test output */
  json_t *results;  /* each try's result, in order */
  /* GOMEMLIMIT as a limited try got it (as the first run did, before
   * one): to print, and the report's object of it */
  char gomemlimit[32];
  const char *gomemlimit_source;
  json_t *gomemlimit_json;
  int count;
  struct tj_bisect b;
  struct tj_bisect_answer a;
  struct tj_pkg_result failure; /* the build's result when it failed (json NULL else) */
  struct tj_verdict top;
};

#define BISECT_RUN_INIT                                                                                                \
  { .sfd = -1 }

/* What a phase returns when the run goes on; else the exit code. */
enum { GO_ON = -1 };

static void out_sink(void *ctx, int fd, const char *buf, size_t len) {
  struct bisect_run *br = ctx;
  if (!br->show_output)
    return;
  tj_live_clear(&br->live);
  tj_write_all(fd, buf, len);
}

static void live_cb(void *ctx, const struct tj_live_status *st) {
  struct bisect_run *br = ctx;
  tj_live_update(&br->live, st, false);
}

static void say(struct bisect_run *br, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct bisect_run *br, const char *fmt, ...) {
  tj_live_clear(&br->live);
  fflush(stdout);
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fflush(stdout);
}

static void mib(char *buf, size_t len, int64_t bytes) {
  if (bytes < 0)
    snprintf(buf, len, "?");
  else
    snprintf(buf, len, "%.2f MiB", (double)bytes / (1 << 20));
}

static bool check_signals(struct bisect_run *br) {
  struct signalfd_siginfo si;
  while (read(br->sfd, &si, sizeof(si)) == sizeof(si))
    if (!br->interrupted)
      br->interrupted = (int)si.ssi_signo;
  return br->interrupted != 0;
}

static int bisect_try(void *ctx, int64_t limit, struct tj_bisect_try *t) {
  struct bisect_run *br = ctx;
  if (check_signals(br))
    return -EINTR;
  struct tj_spec spec = br->opts.test.spec;
  spec.memory_bytes = limit;
  char phase[40], lim[32];
  mib(lim, sizeof(lim), limit);
  br->count++;
  if (limit == TJ_BISECT_UNLIMITED)
    snprintf(phase, sizeof(phase), "try %d: no limit", br->count);
  else
    snprintf(phase, sizeof(phase), "try %d: %s", br->count, lim);
  br->job.phase = phase;
  br->show_output = limit == TJ_BISECT_UNLIMITED;
  struct tj_pkg_result res = tj_job_test(&br->job, &spec, br->bin);
  json_t *r = res.json;
  br->show_output = false;
  if (!r)
    return -ENOMEM;
  t->verdict = res.outcome;
  snprintf(t->outcome, sizeof(t->outcome), "%s", res.outcome_name);
  t->passed = res.outcome == TJ_PASSED;
  t->peak_bytes = res.peak_bytes;
  t->duration_ms = res.duration_ms;
  snprintf(t->diagnosis, sizeof(t->diagnosis), "%s", res.diagnosis);
  if (!t->passed)
    snprintf(t->running, sizeof(t->running), "%s", res.test);
  /* what a limited try ran with (auto sets nothing without a limit) */
  if (!br->gomemlimit_json || limit != TJ_BISECT_UNLIMITED) {
    snprintf(br->gomemlimit, sizeof(br->gomemlimit), "%s", res.gomemlimit);
    br->gomemlimit_source = res.gomemlimit_source;
    json_decref(br->gomemlimit_json);
    br->gomemlimit_json = json_incref(json_object_get(r, "gomemlimit"));
  }
  /* A signal we forwarded to the tests is no result of theirs. */
  int sig = res.outcome == TJ_SIGNALED ? res.signal : 0;
  if (check_signals(br) || sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
    if (!br->interrupted)
      br->interrupted = sig;
    json_decref(r);
    return -EINTR;
  }
  json_array_append_new(br->results, r);
  char peakbuf[32], durbuf[32];
  mib(peakbuf, sizeof(peakbuf), t->peak_bytes);
  snprintf(durbuf, sizeof(durbuf), "%.2fs", (double)t->duration_ms / 1000);
  if (br->header_due)
    say(br, "%-4s %-14s %-14s %-12s %8s  %s\n", "try", "limit", "outcome", "peak", "time", "test");
  br->header_due = false;
  say(br, "%-4d %-14s %-14s %-12s %8s  %s\n", br->count, limit == TJ_BISECT_UNLIMITED ? "none" : lim, t->outcome,
      peakbuf, durbuf, t->running);
  return 0;
}

static void gomemlimit_line(struct bisect_run *br) {
  const char *value = br->gomemlimit[0] ? br->gomemlimit : NULL;
  const char *source = br->gomemlimit_source;
  if (br->opts.test.mon.gomemlimit == TJ_GOMEMLIMIT_AUTO) {
    char eg[32];
    mib(eg, sizeof(eg), value ? atoll(value) : -1);
    say(br, "GOMEMLIMIT: 90%% of each try's limit (--gomemlimit auto), e.g. %s; none for the unlimited runs\n", eg);
  } else if (!value)
    say(br, "GOMEMLIMIT: not set (the Go runtime has no soft limit; --gomemlimit auto sets one from each limit)\n");
  else
    say(br, "GOMEMLIMIT=%s (%s)\n", value,
        !source                        ? ""
        : !strcmp(source, "inherited") ? "inherited from the environment"
        : !strcmp(source, "env")       ? "from --env"
                                       : "from --gomemlimit");
}

/* Panels: the unlimited run, the largest failing limit, the smallest passing. */
static json_t *plot_panels(const struct tj_bisect *b, const struct tj_bisect_answer *a, json_t *results,
                           const char *pkg) {
  json_t *panels = json_array();
  char title[256], lim[32];
  int first_pass = -1, last_at_min = -1;
  for (int i = 0; i < b->n; i++) {
    if (first_pass < 0 && b->tries[i].limit_bytes == TJ_BISECT_UNLIMITED)
      first_pass = i;
    if (a->min_passing >= 0 && b->tries[i].limit_bytes == a->min_passing)
      last_at_min = i;
  }
  if (first_pass >= 0) {
    mib(lim, sizeof(lim), b->tries[first_pass].peak_bytes);
    snprintf(title, sizeof(title), "%s: no limit (%s, peak %s)", pkg, b->tries[first_pass].outcome, lim);
    json_array_append_new(panels, json_pack("{s:s,s:O?}", "title", title, "timeline",
                                            json_object_get(json_array_get(results, (size_t)first_pass), "timeline")));
  }
  if (a->max_failing_try >= 0) {
    const struct tj_bisect_try *t = &b->tries[a->max_failing_try];
    mib(lim, sizeof(lim), t->limit_bytes);
    snprintf(title, sizeof(title), "largest failing limit %s: %s%s%s", lim, t->outcome, t->running[0] ? " in " : "",
             t->running);
    json_array_append_new(panels,
                          json_pack("{s:s,s:O?}", "title", title, "timeline",
                                    json_object_get(json_array_get(results, (size_t)a->max_failing_try), "timeline")));
  }
  if (last_at_min >= 0) {
    mib(lim, sizeof(lim), a->min_passing);
    snprintf(title, sizeof(title), "smallest passing limit %s", lim);
    json_array_append_new(panels, json_pack("{s:s,s:O?}", "title", title, "timeline",
                                            json_object_get(json_array_get(results, (size_t)last_at_min), "timeline")));
  }
  return panels;
}

/* ---- the phases of a run, in order ---------------------------------------- */

/* The options and go test's flags checked, the one package resolved: bad
 * input ends the run here, before anything is made. */
static int read_options(struct bisect_run *br, int argc, char **argv) {
  struct tj_test_opts *o = &br->opts.test;
  tj_error err = {0};
  int r = tj_cli_parse_bisect(argc, argv, &br->opts, &err);
  if (r == TJ_CLI_HELP)
    return 0;
  /* the tests run under the profile they run under in test */
  if (r < 0 || tj_go_args_parse(o, &br->ga, &err) < 0)
    return tj_cmd_usage_error(err.msg);
  /* Bisection sets memory limits: without a memory controller to set them
   * in (a normal user without a delegated subtree, say) it is refused
   * before anything is built. */
  struct tj_cg_limits want = {.memory_bytes = 1, .pids = -1, .cpu_quota_us = -1};
  char refused[1024];
  int k = snprintf(refused, sizeof(refused), "bisect-memory sets memory limits: ");
  if (tj_cg_limits_refused(&want, refused + k, sizeof(refused) - k) < 0)
    return tj_cmd_usage_error(refused);
  if (tj_go_resolve(o->packages, o->n_packages, br->ga.gflags.build, &br->go, &br->pkgs, &br->n, &err) < 0)
    return tj_cmd_usage_error(err.msg);
  if (br->n != 1 || !br->pkgs[0].has_tests) {
    char msg[600];
    if (br->n != 1)
      snprintf(msg, sizeof(msg), "bisect-memory takes one package; the pattern matched %d", br->n);
    else
      snprintf(msg, sizeof(msg), "package %s has no test files: nothing to bisect", br->pkgs[0].import_path);
    return tj_cmd_usage_error(msg);
  }
  return GO_ON;
}

/* Our signals on a signalfd, checked between the tries; the work
 * directory; the job every try runs. */
static int set_up(struct bisect_run *br) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, &br->old_mask);
  br->masked = true;
  br->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  br->results = json_array();
  tj_error err = {0};
  int stale;
  tj_workdir_gc(&stale, &err);
  err.msg[0] = 0;
  if (br->sfd < 0) {
    tj_error_set(&err, errno, "setting up (signalfd)");
    return tj_cmd_usage_error(err.msg);
  }
  if (tj_workdir_make(br->workdir, sizeof(br->workdir), &err) < 0) {
    br->workdir[0] = 0; /* not ours */
    return tj_cmd_usage_error(err.msg);
  }
  if (tj_job_binary_path(br->workdir, 0, &br->pkgs[0], br->bin, sizeof(br->bin), &err) < 0)
    return tj_cmd_usage_error(err.msg);
  tj_live_init(&br->live, STDERR_FILENO, br->opts.test.mon.quiet);
  br->job = (struct tj_job){.opts = &br->opts.test,
                            .go = &br->go,
                            .pkg = &br->pkgs[0],
                            .workdir = br->workdir,
                            .testflags = br->ga.testflags,
                            .gflags = &br->ga.gflags,
                            .has_timeout = br->ga.has_timeout,
                            .mode = TJ_OUT_TEXT,
                            .stop_fd = -1,
                            .sink = out_sink,
                            .sink_ctx = br,
                            .total = 1,
                            .live = br->live.on ? live_cb : NULL,
                            .live_ctx = br};
  struct tj_bisect_cfg cfg = {.floor_bytes = br->opts.floor_bytes >= 0 ? br->opts.floor_bytes : TJ_BISECT_DEFAULT_FLOOR,
                              .tolerance_bytes = br->opts.tolerance_bytes,
                              .runs = br->opts.runs};
  tj_bisect_init(&br->b, &cfg);
  tj_bisect_answer(&br->b, &br->a);
  return GO_ON;
}

/* The one build, with the compiler's errors shown as go test shows them:
 * true when it built; else the top verdict says why not. */
static bool build(struct bisect_run *br) {
  struct tj_verdict *top = &br->top;
  br->show_output = true;
  int r = tj_job_build(&br->job, br->bin, &br->failure);
  br->show_output = false;
  if (r < 0 && !br->failure.json) {
    top->outcome = TJ_SANDBOX_ERROR;
    snprintf(top->diagnosis, sizeof(top->diagnosis), "sandbox error: out of memory building %s",
             br->pkgs[0].import_path);
  } else if (br->failure.json) {
    top->outcome = br->failure.outcome;
    snprintf(top->diagnosis, sizeof(top->diagnosis), "%s", br->failure.diagnosis);
  }
  return r >= 0 && !br->failure.json;
}

/* The passing limit found, with the failing one below it; the top verdict
 * when no answer came. */
static void found(struct bisect_run *br, const char *pk) {
  const struct tj_bisect_answer *a = &br->a;
  struct tj_verdict *top = &br->top;
  char lo[32], hi[32];
  top->outcome = TJ_PASSED;
  mib(hi, sizeof(hi), a->min_passing);
  size_t off = (size_t)snprintf(top->diagnosis, sizeof(top->diagnosis), "passes with %s (%lld bytes)", hi,
                                (long long)a->min_passing);
  if (a->max_failing_try >= 0) {
    const struct tj_bisect_try *t = &br->b.tries[a->max_failing_try];
    mib(lo, sizeof(lo), a->max_failing);
    off += (size_t)snprintf(top->diagnosis + off, sizeof(top->diagnosis) - off, "; fails with %s: %s%s%s", lo,
                            t->outcome, t->running[0] ? " while running " : "", t->running);
  } else {
    off += (size_t)snprintf(top->diagnosis + off, sizeof(top->diagnosis) - off, "; nothing lower was tried (--floor)");
  }
  snprintf(top->diagnosis + off, sizeof(top->diagnosis) - off, "; unlimited peak %s", pk);
}

/* The top verdict of a search that returned r. */
static void judge(struct bisect_run *br, int r) {
  const struct tj_bisect_answer *a = &br->a;
  struct tj_verdict *top = &br->top;
  char lo[32], pk[32];
  mib(pk, sizeof(pk), a->unlimited_peak);
  if (r == -EINTR || br->interrupted) {
    top->outcome = TJ_SANDBOX_ERROR;
    snprintf(top->diagnosis, sizeof(top->diagnosis), "interrupted by SIG%s after %d tries",
             sigabbrev_np(br->interrupted ? br->interrupted : SIGINT), br->b.n);
  } else if (r == -ENODATA) {
    top->outcome = TJ_SANDBOX_ERROR;
    snprintf(top->diagnosis, sizeof(top->diagnosis),
             "the unlimited run passed but its memory peak is unknown (no memory controller?): nothing to search");
  } else if (r < 0) {
    top->outcome = TJ_SANDBOX_ERROR;
    snprintf(top->diagnosis, sizeof(top->diagnosis), "sandbox error: %s", strerror(-r));
  } else if (a->unlimited_failed) {
    const struct tj_bisect_try *t = &br->b.tries[a->unlimited_fail_try];
    top->outcome = t->verdict;
    snprintf(top->diagnosis, sizeof(top->diagnosis), "fails even without a memory limit: %s", t->diagnosis);
  } else if (a->min_passing < 0) {
    const struct tj_bisect_try *t = &br->b.tries[a->max_failing_try];
    top->outcome = t->verdict;
    mib(lo, sizeof(lo), a->max_failing);
    snprintf(top->diagnosis, sizeof(top->diagnosis),
             "no limit passed up to %s (unlimited peak %s): %s%s%s; the tests need memory the cgroup counts "
             "differently, or they are flaky",
             lo, pk, t->outcome, t->running[0] ? " while running " : "", t->running);
  } else {
    found(br, pk);
  }
}

/* The search, a try a line in the table, and what it found. */
static void search(struct bisect_run *br) {
  const struct tj_bisect_cfg *cfg = &br->b.cfg;
  say(br, "bisect-memory %s: tolerance %.2f MiB, floor %.2f MiB, %d run%s per limit\n", br->pkgs[0].import_path,
      (double)cfg->tolerance_bytes / (1 << 20), (double)cfg->floor_bytes / (1 << 20), cfg->runs,
      cfg->runs > 1 ? "s" : "");
  br->header_due = true;
  int r = tj_bisect_search(&br->b, bisect_try, br);
  tj_bisect_answer(&br->b, &br->a);
  judge(br, r);
  if (br->a.flaky && !br->interrupted)
    say(br, "flaky: a limit passed while a higher (or the same) one failed: the memory the tests need varies "
            "from run to run (--runs N repeats each limit)\n");
  if (!br->interrupted && br->b.n)
    gomemlimit_line(br);
}

/* The answer on stdout, or why there is none on stderr; the exit code. */
static int answer(struct bisect_run *br) {
  struct tj_verdict *top = &br->top;
  tj_live_clear(&br->live);
  snprintf(top->outcome_name, sizeof(top->outcome_name), "%s", tj_outcome_name(top->outcome));
  if (br->failure.json)
    snprintf(top->outcome_name, sizeof(top->outcome_name), "%s", br->failure.outcome_name);
  if (top->outcome == TJ_PASSED)
    say(br, "answer: %s\n", top->diagnosis);
  else
    fprintf(stderr, "testjail: %s: %s\n", br->pkgs[0].import_path, top->diagnosis);
  return tj_outcome_exit_code(top->outcome);
}

static void write_plot(const struct bisect_run *br) {
  json_t *panels = plot_panels(&br->b, &br->a, br->results, br->pkgs[0].import_path);
  tj_error err = {0};
  if (tj_plot_write(br->opts.test.mon.plot_path, panels, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
  json_decref(panels);
}

static void write_report(struct bisect_run *br, int code) {
  struct utsname u;
  uname(&u);
  enum tj_cg_mode m;
  struct tj_host host = {.cgroup = tj_cg_detect(&m, NULL) == 0 ? tj_cg_mode_name(m) : NULL,
                         .kernel = u.release,
                         .go = br->go.version[0] ? br->go.version : NULL};
  json_t *report = tj_report_top("bisect", &br->top, code, &host, NULL);
  json_object_set_new(report, "package", json_string(br->pkgs[0].import_path));
  json_t *bo = tj_bisect_report(&br->b, &br->a, br->results);
  json_object_set(bo, "gomemlimit", br->gomemlimit_json ? br->gomemlimit_json : json_null());
  json_object_set_new(report, "bisect", bo);
  if (br->failure.json)
    json_object_set_new(report, "build", steal_pointer(&br->failure.json));
  tj_error err = {0};
  if (tj_report_write(br->opts.test.spec.report_path, report, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
  json_decref(report);
}

/* The one way out, on success and on every error: what the run made is
 * taken down, then a run stopped by a signal dies of it. */
static void bisect_run_end(struct bisect_run *br) {
  /* A build the OOM killer ended leaves go's work dir in ours. */
  if (br->workdir[0])
    tj_remove_tree(br->workdir);
  json_decref(br->failure.json);
  json_decref(br->gomemlimit_json);
  json_decref(br->results);
  tj_bisect_free(&br->b);
  tj_packages_free(br->pkgs, br->n);
  free(br->opts.test.packages);
  free(br->opts.test.testflags);
  tj_go_args_free(&br->ga);
  tj_closep(&br->sfd);
  if (!br->masked)
    return;
  tj_cmd_unmask(br->interrupted, &br->old_mask);
}

int tj_cmd_bisect(int argc, char **argv) {
  __attribute__((cleanup(bisect_run_end))) struct bisect_run br = BISECT_RUN_INIT;
  int code = read_options(&br, argc, argv);
  if (code == GO_ON)
    code = set_up(&br);
  if (code != GO_ON)
    return code;
  if (build(&br))
    search(&br);
  code = answer(&br);
  if (br.opts.test.mon.plot_path)
    write_plot(&br);
  if (br.opts.test.spec.report_path)
    write_report(&br, code);
  return code;
}
