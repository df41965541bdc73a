#include "cmd/cmd.h"
#include "cmd/goargs.h"

#include "seccomp/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "sandbox/workdir.h"
#include "cmd/cli.h"
#include "go/job.h"
#include "report/live.h"
#include "report/plot.h"
#include "go/prebuild.h"
#include "go/shard.h"
#include "report/report.h"
#include "go/testout.h"
#include "common/util.h"
#include "verdict.h"
#include "common/error.h"

/* Worker -> parent: frames of output for fd 1 or 2, then the result. */
enum { FRAME_STDOUT = 1, FRAME_STDERR = 2, FRAME_RESULT = 3, FRAME_LIVE = 4 };

struct frame_hdr {
  uint8_t kind;
  uint32_t len;
} __attribute__((packed));

struct slot {
  pid_t pid;
  int fd;             /* read end of the worker's frame pipe, -1 at EOF */
  struct tj_buf in;   /* bytes not yet split into frames */
  struct tj_buf held; /* frames waiting for the package's turn to print */
  json_t *result;
  bool started, done;
  /* A package whose binary the shared build did not hand over builds on
   * its own once that build has ended. */
  bool ready;     /* handed over by the shared build */
  char *real;     /* the package's directory without symlinks, as getcwd says it */
  char token[32]; /* releases its stand-in there */
  bool released;
};

/* One run of testjail test, from the options to the exit code: what its
 * phases hand one another, and what test_run_end takes down. */
struct test_run {
  struct tj_test_opts opts;
  struct tj_go_args ga;
  struct tj_shard_timings timings;
  struct tj_go_env guess; /* go's settings read without go, for the build that starts early */
  struct tj_go_env go;    /* as go env said */
  int parallel;
  bool masked; /* our signals blocked; old_mask is the caller's */
  sigset_t old_mask;
  int sfd;                /* the signalfd of our signals */
  int stop[2];            /* the workers' stop_fd; stop[1] closed on the first signal */
  char workdir[PATH_MAX]; /* "" while there is none */
  tj_cgroup *total;       /* --memory-total */
  struct tj_prebuild pb;
  struct tj_package *pkgs;
  int n;
  json_t *shard_obj;      /* the report's shard object, under --shard */
  struct slot *slots;     /* one per package */
  int handed, with_tests; /* binaries handed over; packages with test files */
  struct tj_job proto;    /* every worker's job but for its package */
  struct tj_live live;    /* the status line; workers send what it shows as FRAME_LIVE */
  bool live_known;
  int head, running; /* the package printing now; workers alive */
  int interrupted;   /* the first signal but SIGQUIT */
  json_t *packages;  /* the packages' results, in order */
};

#define TEST_RUN_INIT                                                                                                  \
  {                                                                                                                    \
    .sfd = -1, .stop = {-1, -1}, .pb = {.fifo_rd = -1, .fifo_wr = -1, .done_rd = -1 }                                  \
  }

/* What a phase returns when the run goes on; else the exit code. */
enum { GO_ON = -1 };

static void release_slot(const char *workdir, struct slot *s) {
  if (s->token[0] && !s->released)
    tj_prebuild_release(workdir, s->token);
  s->released = true;
}

/* A binary the shared build hands over: which package, by directory. */
static void handed_over(void *ctx, const char *dir, const char *bin, const char *token) {
  struct test_run *t = ctx;
  int idx = -1;
  for (int i = 0; i < t->n && idx < 0; i++)
    if (t->slots[i].real && !t->slots[i].ready && !t->slots[i].started && strcmp(t->slots[i].real, dir) == 0)
      idx = i;
  char path[PATH_MAX];
  tj_error err = {0};
  /* go's work dir is in ours (GOTMPDIR), unless --env GOTMPDIR put it on
   * another filesystem: then the package builds on its own. */
  if (idx < 0 || tj_job_binary_path(t->workdir, idx, &t->pkgs[idx], path, sizeof(path), &err) < 0 ||
      rename(bin, path) < 0) {
    tj_prebuild_release(t->workdir, token);
    return;
  }
  t->slots[idx].ready = true;
  t->handed++;
  snprintf(t->slots[idx].token, sizeof(t->slots[idx].token), "%s", token);
}

static void this_host(struct tj_host *host, struct utsname *u, const char *go_version) {
  uname(u);
  enum tj_cg_mode m;
  *host = (struct tj_host){.cgroup = tj_cg_detect(&m, NULL) == 0 ? tj_cg_mode_name(m) : NULL,
                           .kernel = u->release,
                           .go = go_version && go_version[0] ? go_version : NULL};
}

/* testjail could not set itself up (its work directory, a signalfd): a
 * sandbox error, with a report that says so when one was asked for. */
static int setup_error(const char *report_path, const char *msg) {
  fprintf(stderr, "testjail: sandbox error: %s\n", msg);
  if (!report_path)
    return TJ_EXIT_USAGE;
  struct tj_verdict v = {.outcome = TJ_SANDBOX_ERROR};
  snprintf(v.outcome_name, sizeof(v.outcome_name), "sandbox_error");
  snprintf(v.diagnosis, sizeof(v.diagnosis), "sandbox error: %s", msg);
  struct utsname u;
  struct tj_host host;
  this_host(&host, &u, NULL);
  json_t *report = tj_report_top("test", &v, TJ_EXIT_USAGE, &host, NULL);
  json_object_set_new(report, "packages", json_array());
  tj_error err = {0};
  if (tj_report_write(report_path, report, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
  json_decref(report);
  return TJ_EXIT_USAGE;
}

static void frame_write(int fd, int kind, const char *buf, size_t len) {
  struct frame_hdr h = {.kind = (uint8_t)kind, .len = (uint32_t)len};
  tj_write_all(fd, (const char *)&h, sizeof(h));
  tj_write_all(fd, buf, len);
}

static void worker_sink(void *ctx, int fd, const char *buf, size_t len) {
  frame_write(*(int *)ctx, fd == STDERR_FILENO ? FRAME_STDERR : FRAME_STDOUT, buf, len);
}

static void worker_live(void *ctx, const struct tj_live_status *st) {
  frame_write(*(int *)ctx, FRAME_LIVE, (const char *)st, sizeof(*st));
}

/* Output goes to the terminal only once the status line is off it. */
static void print_out(struct test_run *t, int fd, const char *buf, size_t len) {
  tj_live_clear(&t->live);
  tj_write_all(fd, buf, len);
}

/* Hands the frames in buf to out (fd 1, 2) or to the slot's result. */
static void take_frames(struct test_run *t, struct slot *s, bool print) {
  size_t off = 0;
  while (s->in.len - off >= sizeof(struct frame_hdr)) {
    struct frame_hdr h;
    memcpy(&h, s->in.p + off, sizeof(h));
    if (s->in.len - off - sizeof(h) < h.len)
      break;
    const char *data = s->in.p + off + sizeof(h);
    if (h.kind == FRAME_RESULT) {
      json_decref(s->result);
      s->result = json_loadb(data, h.len, 0, NULL);
    } else if (h.kind == FRAME_LIVE) {
      struct tj_live_status st;
      if (h.len == sizeof(st)) {
        memcpy(&st, data, sizeof(st));
        st.phase[sizeof(st.phase) - 1] = st.package[sizeof(st.package) - 1] = st.test[sizeof(st.test) - 1] = 0;
        tj_live_update(&t->live, &st, false);
        t->live_known = true;
      }
    } else if (print) {
      print_out(t, h.kind == FRAME_STDERR ? STDERR_FILENO : STDOUT_FILENO, data, h.len);
    } else {
      tj_buf_add(&s->held, s->in.p + off, sizeof(h) + h.len);
    }
    off += sizeof(h) + h.len;
  }
  memmove(s->in.p, s->in.p + off, s->in.len - off);
  s->in.len -= off;
}

static void flush_held(struct test_run *t, struct slot *s) {
  struct tj_buf held = s->held;
  s->held = (struct tj_buf){0};
  size_t off = 0;
  while (off + sizeof(struct frame_hdr) <= held.len) {
    struct frame_hdr h;
    memcpy(&h, held.p + off, sizeof(h));
    if (h.kind != FRAME_LIVE)
      print_out(t, h.kind == FRAME_STDERR ? STDERR_FILENO : STDOUT_FILENO, held.p + off + sizeof(h), h.len);
    off += sizeof(h) + h.len;
  }
  tj_buf_free(&held);
}

static json_t *lost_worker(const char *pkg, int wstatus) {
  char msg[256];
  if (WIFSIGNALED(wstatus))
    snprintf(msg, sizeof(msg), "the worker for %s died of signal %d", pkg, WTERMSIG(wstatus));
  else
    snprintf(msg, sizeof(msg), "the worker for %s exited with status %d without a result", pkg,
             WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
  char diag[300];
  snprintf(diag, sizeof(diag), "sandbox error: %s", msg);
  return json_pack("{s:s,s:s,s:s,s:i,s:s,s:[s]}", "package", pkg, "phase", "test", "outcome", "sandbox_error",
                   "exit_code", TJ_EXIT_USAGE, "diagnosis", diag, "evidence", msg);
}

static _Noreturn void worker_main(const struct tj_job *proto, int index, int out_fd) {
  struct tj_job job = *proto;
  job.index = index;
  job.sink_ctx = &out_fd;
  job.live_ctx = &out_fd;
  json_t *r = tj_job_run(&job).json;
  if (r) {
    char *s = json_dumps(r, JSON_COMPACT);
    if (s)
      frame_write(out_fd, FRAME_RESULT, s, strlen(s));
    free(s);
  }
  _exit(r ? 0 : 1);
}

/* -coverprofile FILE: the packages' profiles in order under one mode line,
 * as go test writes it. */
static int merge_cover(const char *path, const char *mode, const char *workdir, int n, tj_error *err) {
  FILE *out = fopen(path, "we");
  if (!out)
    return tj_error_set(err, errno, "-coverprofile %s", path);
  bool moded = false;
  char dir[PATH_MAX], file[PATH_MAX + 16], *line = NULL;
  size_t cap = 0;
  for (int i = 0; i < n; i++) {
    tj_job_cover_dir(workdir, i, dir, sizeof(dir));
    snprintf(file, sizeof(file), "%s/profile", dir);
    FILE *in = fopen(file, "re");
    if (!in)
      continue;
    bool first = true;
    while (getline(&line, &cap, in) > 0) {
      bool mode_line = first && strncmp(line, "mode: ", 6) == 0;
      first = false;
      if (mode_line && moded)
        continue;
      moded |= mode_line;
      fputs(line, out);
    }
    fclose(in);
  }
  free(line);
  if (!moded)
    fprintf(out, "mode: %s\n", mode);
  if (fclose(out) != 0)
    return tj_error_set(err, errno, "-coverprofile %s", path);
  return 0;
}

static const char *env_of(const char *name) { return getenv(name); }

/* --shard: K and N settled, the timings read, before anything is made;
 * which shard this is goes to stderr once go list has answered. */
static int shard_setup(struct tj_test_opts *o, struct tj_shard_timings *timings, tj_error *err) {
  struct tj_shard *sh = &o->shard;
  if (!sh->on) {
    if (o->shard_count || o->shard_timings)
      return tj_error_set(err, 0, "%s needs --shard", o->shard_count ? "--shard-count" : "--shard-timings");
    return 0;
  }
  if (sh->is_auto) {
    if (tj_shard_resolve_auto(sh, o->shard_count, env_of, err) < 0)
      return -1;
  } else if (o->shard_count && o->shard_count != sh->count) {
    return tj_error_set(err, 0, "--shard-count %d disagrees with %s", o->shard_count, sh->source);
  }
  if (o->shard_timings && tj_shard_timings_load(o->shard_timings, timings, err) < 0)
    return -1;
  return 0;
}

/* Keeps the shard's packages of the resolved list (in its order) and
 * returns the report's shard object: the split of the whole list too, so a
 * merge can tell a lost shard's packages. */
static json_t *shard_filter(const struct tj_shard *sh, const struct tj_shard_timings *timings, struct tj_package *pkgs,
                            int *n, tj_error *err) {
  const char **paths = calloc((size_t)*n + 1, sizeof(*paths));
  int *of = calloc((size_t)*n + 1, sizeof(*of));
  for (int i = 0; paths && i < *n; i++)
    paths[i] = pkgs[i].import_path;
  const char *strategy = paths && of ? tj_shard_assign(paths, *n, timings, sh->count, of) : NULL;
  json_t *plan = json_array(), *mine = json_array();
  for (int s = 0; strategy && s < sh->count; s++)
    json_array_append_new(plan, json_array());
  int kept = 0;
  for (int i = 0; strategy && i < *n; i++) {
    json_array_append_new(json_array_get(plan, (size_t)of[i]), json_string(pkgs[i].import_path));
    if (of[i] == sh->index) {
      json_array_append_new(mine, json_string(pkgs[i].import_path));
      pkgs[kept++] = pkgs[i];
    } else {
      free(pkgs[i].import_path);
      free(pkgs[i].dir);
      free(pkgs[i].binary);
    }
  }
  free(paths);
  free(of);
  if (!strategy) {
    json_decref(plan);
    json_decref(mine);
    tj_error_set(err, ENOMEM, "--shard");
    return NULL;
  }
  int total = *n;
  *n = kept; /* the others are freed: never again, whatever comes next */
  json_t *o = json_pack("{s:i,s:i,s:s,s:s,s:o,s:i,s:o}", "index", sh->index, "count", sh->count, "strategy", strategy,
                        "source", sh->source, "packages", mine, "total_packages", total, "plan", plan);
  fprintf(stderr, "testjail: shard %d/%d (%s): %d of %d packages, split by %s\n", sh->index, sh->count, sh->source,
          kept, total, strategy);
  return o;
}

/* ---- the phases of a run, in order ---------------------------------------- */

/* The options and go test's flags checked, go found: bad input ends the
 * run here, before anything is made. */
static int read_options(struct test_run *t, int argc, char **argv) {
  struct tj_test_opts *o = &t->opts;
  tj_error err = {0};
  int r = tj_cli_parse_test(argc, argv, o, &err);
  if (r == TJ_CLI_HELP)
    return 0;
  if (r < 0 || tj_go_args_parse(o, &t->ga, &err) < 0 ||
      (o->junit_path && tj_report_check_path("--junit", o->junit_path, &err) < 0) ||
      shard_setup(o, &t->timings, &err) < 0 ||
      (t->ga.gflags.coverprofile && tj_report_check_path("-coverprofile", t->ga.gflags.coverprofile, &err) < 0))
    return tj_cmd_usage_error(err.msg);
  struct tj_cg_limits lim = {o->spec.memory_bytes, o->spec.pids, o->spec.cpu_quota_us, o->spec.cpu_period_us, false};
  char refused[1024];
  if (tj_cg_limits_refused(&lim, refused, sizeof(refused)) < 0)
    return tj_cmd_usage_error(refused);
  if (tj_go_find(&t->guess, &err) < 0)
    return tj_cmd_usage_error(err.msg);
  tj_go_guess(&t->guess);
  return GO_ON;
}

/* Signals are read from a signalfd: stop the workers, clean up, then die
 * of the same signal. Workers inherit the mask, so a signal meant for
 * them waits until their sandbox forwards it. Then the work directory, and
 * the --memory-total cgroup. */
static int set_up(struct test_run *t) {
  struct tj_test_opts *o = &t->opts;
  sigset_t mask;
  sigemptyset(&mask);
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(sigs); i++)
    sigaddset(&mask, sigs[i]);
  sigprocmask(SIG_BLOCK, &mask, &t->old_mask);
  t->masked = true;
  t->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  tj_error err = {0};
  int stale;
  tj_workdir_gc(&stale, &err); /* those of testjails killed before they could */
  err.msg[0] = 0;
  if (t->sfd < 0) {
    tj_error_set(&err, errno, "setting up (signalfd)");
    return setup_error(o->spec.report_path, err.msg);
  }
  if (tj_workdir_make(t->workdir, sizeof(t->workdir), &err) < 0) {
    t->workdir[0] = 0; /* not ours */
    return setup_error(o->spec.report_path, err.msg);
  }
  t->parallel = o->parallel;
  if (t->parallel <= 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    t->parallel = cpus > 0 ? (int)cpus : 1;
  }
  tj_cg_prepare();
  /* --memory-total: one cgroup over every test sandbox, made before the
   * workers fork, who create theirs below it; named after us, so a run
   * killed with SIGKILL leaves it to the next run's collection. */
  if (o->memory_total_bytes >= 0) {
    struct tj_cg_limits tl = {o->memory_total_bytes, -1, -1, -1, false};
    if (tj_cg_create(&tl, &t->total, &err) < 0) {
      tj_error_wrap(&err, "--memory-total");
      return tj_cmd_usage_error(err.msg);
    }
    o->spec.cg_parent = t->total;
  }
  return GO_ON;
}

static void start_shared_build(struct test_run *t, const struct tj_go_env *go, char **patterns, int n) {
  struct tj_job pre = {.opts = &t->opts, .go = go, .gflags = &t->ga.gflags, .workdir = t->workdir, .stop_fd = -1};
  tj_prebuild_start(&t->pb, &pre, patterns, n, t->parallel);
}

/* A shard builds only its packages: its build waits for go list. */
static void start_shard_build(struct test_run *t) {
  char **mine = calloc((size_t)t->n + 1, sizeof(*mine));
  for (int i = 0; mine && i < t->n; i++)
    mine[i] = t->pkgs[i].import_path;
  if (mine)
    start_shared_build(t, &t->go, mine, t->n);
  free(mine);
}

/* The packages to test: go list's answer, this shard's share of it. The
 * build starts first, on the patterns as given and go's settings as read
 * before, while go env and go list answer: they cost two go start-ups that
 * go test itself does not pay. */
static int plan(struct test_run *t) {
  const struct tj_test_opts *o = &t->opts;
  /* One package under --build-timeout builds once, alone: a build that
   * hangs would else hang twice, in the shared build and in its own. */
  bool single = o->n_packages == 0 || (o->n_packages == 1 && !strstr(o->packages[0], "..."));
  if (!(single && o->build_timeout_ms > 0) && !o->shard.on)
    start_shared_build(t, &t->guess, o->packages, o->n_packages);
  tj_error err = {0};
  int r = tj_go_resolve(o->packages, o->n_packages, t->ga.gflags.build, &t->go, &t->pkgs, &t->n, &err);
  if (r >= 0 && o->shard.on && !(t->shard_obj = shard_filter(&o->shard, &t->timings, t->pkgs, &t->n, &err)))
    r = -1;
  if (r >= 0 && t->ga.gflags.fuzz && t->n > 1)
    r = tj_error_set(&err, 0, "bad TESTFLAGS: -fuzz takes one package, as under go test (%d given)", t->n);
  if (r >= 0 && o->shard.on && t->n > 0 && !(t->n == 1 && o->build_timeout_ms > 0))
    start_shard_build(t);
  /* After the build's fork: a worker sees the stop once we close ours. */
  if (pipe2(t->stop, O_CLOEXEC) < 0)
    t->stop[0] = t->stop[1] = -1;
  if (r < 0 || !(t->slots = calloc((size_t)t->n + 1, sizeof(*t->slots)))) {
    if (!err.msg[0])
      tj_error_set(&err, ENOMEM, "setting up");
    /* Bad input: test_run_end leaves nothing of the build behind. */
    return tj_cmd_usage_error(err.msg);
  }
  return GO_ON;
}

/* Each worker's job and the status line; each package's directory as the
 * shared build will name it. */
static void prepare_workers(struct test_run *t) {
  const struct tj_test_opts *o = &t->opts;
  const struct tj_go_flags *gf = &t->ga.gflags;
  enum tj_out_mode mode = o->json ? TJ_OUT_JSON : (o->verbose || t->ga.verbose) ? TJ_OUT_VERBOSE : TJ_OUT_TEXT;
  /* go test streams the output in its local directory mode (no package
   * named) and with -bench or -fuzz; it shows passing packages' output
   * then, and with -list. */
  bool stream = o->n_packages == 0 || gf->bench || gf->fuzz;
  t->proto = (struct tj_job){.opts = o,
                             .go = &t->go,
                             .workdir = t->workdir,
                             .testflags = t->ga.testflags,
                             .gflags = gf,
                             .stream = stream,
                             .show_passing = stream || gf->list,
                             .has_timeout = t->ga.has_timeout,
                             .mode = mode,
                             .stop_fd = t->stop[0],
                             .sink = worker_sink,
                             .total = t->n};
  /* With --json another program (gotestsum) writes to the terminal: a line
   * we redraw would land in the middle of its output. */
  tj_live_init(&t->live, STDERR_FILENO, o->mon.quiet || mode == TJ_OUT_JSON);
  if (t->live.on) {
    t->proto.live = worker_live;
    t->proto.live_ctx = NULL; /* set per worker: its frame pipe */
  }
  if (t->live.on && t->pb.pid > 0) {
    /* Until a package's tests start, the shared build is what runs. */
    struct tj_live_status st = {
        .phase = "build", .total = 0, .mem_current = -1, .mem_limit = -1, .pids_current = -1, .pids_limit = -1};
    snprintf(st.package, sizeof(st.package), "%d package%s in one go test", t->n, t->n == 1 ? "" : "s");
    tj_live_update(&t->live, &st, false);
    t->live_known = true;
  }
  for (int i = 0; i < t->n; i++) {
    t->with_tests += t->pkgs[i].has_tests;
    if (t->pkgs[i].has_tests)
      t->slots[i].real = realpath(t->pkgs[i].dir, NULL);
  }
}

/* In the worker, after fork: none of the parent's other fds, and it dies
 * with testjail. */
static void enter_worker(const struct test_run *t, pid_t parent) {
  close(t->sfd);
  close(t->stop[1]);
  for (int i = 0; i < t->n; i++)
    if (t->slots[i].started && t->slots[i].fd >= 0)
      close(t->slots[i].fd);
  if (t->pb.fifo_rd >= 0)
    close(t->pb.fifo_rd), close(t->pb.fifo_wr);
  if (t->pb.done_rd >= 0)
    close(t->pb.done_rd);
  /* If testjail dies, even by SIGKILL, its workers follow, and each
   * worker's sandbox follows its worker. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent)
    _exit(1);
}

/* Package i's worker; one that cannot start is a lost worker's result. */
static void start_worker(struct test_run *t, int i) {
  struct slot *s = &t->slots[i];
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    s->result = lost_worker(t->pkgs[i].import_path, 0);
    s->done = true, s->fd = -1;
    return;
  }
  t->proto.pkg = &t->pkgs[i];
  t->proto.prebuilt = s->ready;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    enter_worker(t, parent);
    worker_main(&t->proto, i, p[1]);
  }
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    s->result = lost_worker(t->pkgs[i].import_path, 0);
    s->done = true, s->fd = -1;
  } else {
    s->pid = pid, s->fd = p[0], s->started = true;
    t->running++;
  }
}

static void start_workers(struct test_run *t) {
  while (!t->interrupted && t->running < t->parallel) {
    /* The earliest package that can start: its build is done, or its
     * build is its own. */
    int next = -1;
    for (int i = t->head; i < t->n && next < 0; i++) {
      const struct slot *s = &t->slots[i];
      if (!s->started && !s->done && (!t->pkgs[i].has_tests || t->pb.pid == 0 || s->ready))
        next = i;
    }
    if (next < 0)
      return;
    start_worker(t, next);
  }
}

/* Print what is in order: the head package streams, later ones wait. */
static void print_in_order(struct test_run *t) {
  while (t->head < t->n && t->slots[t->head].done) {
    flush_held(t, &t->slots[t->head]);
    t->head++;
    if (t->head < t->n)
      flush_held(t, &t->slots[t->head]);
  }
}

/* The first signal but SIGQUIT stops the run: the workers' stop hangs up,
 * and each worker and the shared build get the signal; another one kills
 * them. */
static void take_signals(struct test_run *t) {
  struct signalfd_siginfo si;
  while (read(t->sfd, &si, sizeof(si)) == sizeof(si)) {
    int sig = (int)si.ssi_signo;
    bool second = t->interrupted && sig != SIGQUIT;
    if (sig != SIGQUIT && !t->interrupted) {
      t->interrupted = sig;
      if (t->stop[1] >= 0) {
        close(t->stop[1]);
        t->stop[1] = -1;
      }
    }
    for (int i = 0; i < t->n; i++)
      if (t->slots[i].started && !t->slots[i].done)
        kill(t->slots[i].pid, second ? SIGKILL : sig);
    if (t->pb.pid > 0)
      kill(t->pb.pid, second ? SIGKILL : sig);
  }
}

/* Frames from package i's worker; at EOF, the worker reaped. */
static void read_worker(struct test_run *t, int i) {
  struct slot *s = &t->slots[i];
  char buf[65536];
  ssize_t k = read(s->fd, buf, sizeof(buf));
  if (k < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (k > 0) {
    tj_buf_add(&s->in, buf, (size_t)k);
    take_frames(t, s, i == t->head);
    return;
  }
  close(s->fd);
  s->fd = -1;
  release_slot(t->workdir, s);
  int ws = 0;
  while (waitpid(s->pid, &ws, 0) < 0 && errno == EINTR)
    ;
  if (!s->result)
    s->result = lost_worker(t->pkgs[i].import_path, ws);
  s->done = true;
  t->running--;
}

/* One poll over our signals, the shared build and the workers' pipes, and
 * what it found handled; false when the loop cannot go on. */
static bool wait_events(struct test_run *t) {
  /* the fixed slots, then one per package's worker */
  enum { P_SIGNAL, P_FIFO, P_BUILD_DONE, P_WORKERS };
  _cleanup_free_ struct pollfd *pfd = calloc((size_t)t->n + P_WORKERS, sizeof(*pfd));
  if (!pfd)
    return false;
  pfd[P_SIGNAL] = (struct pollfd){.fd = t->sfd, .events = POLLIN};
  pfd[P_FIFO] = (struct pollfd){.fd = t->pb.fifo_rd, .events = POLLIN};
  pfd[P_BUILD_DONE] = (struct pollfd){.fd = t->pb.done_rd, .events = POLLIN};
  for (int i = 0; i < t->n; i++) {
    const struct slot *s = &t->slots[i];
    pfd[P_WORKERS + i] = (struct pollfd){.fd = s->started && !s->done ? s->fd : -1, .events = POLLIN};
  }
  if (poll(pfd, (nfds_t)t->n + P_WORKERS, -1) < 0 && errno != EINTR)
    return false;
  if (pfd[P_SIGNAL].revents)
    take_signals(t);
  if (pfd[P_FIFO].revents)
    tj_prebuild_read(&t->pb, handed_over, t);
  if (pfd[P_BUILD_DONE].revents) {
    /* Handed over before it ended: in the FIFO by now. */
    tj_prebuild_read(&t->pb, handed_over, t);
    tj_prebuild_reap(&t->pb);
  }
  for (int i = 0; i < t->n; i++)
    if (pfd[P_WORKERS + i].revents && t->slots[i].fd >= 0)
      read_worker(t, i);
  return true;
}

/* The worker pool: -p packages at once, each as soon as its binary is
 * there, their output in package order. */
static void run_packages(struct test_run *t) {
  prepare_workers(t);
  fflush(stdout);
  fflush(stderr);
  while (t->head < t->n) {
    start_workers(t);
    /* Every binary handed over: go has nothing left to build, and may end
     * while the last tests run. */
    if (t->handed == t->with_tests)
      for (int i = 0; i < t->n; i++)
        if (t->slots[i].started)
          release_slot(t->workdir, &t->slots[i]);
    print_in_order(t);
    if (t->head >= t->n)
      break;
    if (t->interrupted && t->running == 0) {
      /* Packages never started: nothing to wait for. */
      break;
    }
    if (!wait_events(t))
      break;
    if (t->live_known && !t->live.drawn)
      tj_live_redraw(&t->live);
  }
  tj_live_clear(&t->live);
}

/* A shared build still running ends by itself once every stand-in is
 * released, or of the signal. */
static void stop_shared_build(struct test_run *t) {
  if (t->pb.pid > 0)
    kill(t->pb.pid, SIGTERM);
  tj_prebuild_end(&t->pb);
}

static void end_workers(struct test_run *t) {
  /* Only started workers: a slot never started has pid 0 and fd 0 (calloc),
   * and kill(0, SIGKILL) would take testjail's whole process group along
   * (seen in the v2 guest: -p 1, SIGTERM before the second package began). */
  for (int i = 0; i < t->n; i++)
    if (t->slots[i].started && t->slots[i].fd >= 0) {
      close(t->slots[i].fd);
      int ws;
      kill(t->slots[i].pid, SIGKILL);
      waitpid(t->slots[i].pid, &ws, 0);
    }
  /* Every stand-in still waiting (a package whose worker never ran) lets
   * go end; what go does after the last package is no use to us (with no
   * test files at all, its whole run): its sandbox ends it, cleanly. */
  for (int i = 0; i < t->n; i++)
    release_slot(t->workdir, &t->slots[i]);
  stop_shared_build(t);
}

static void merge_coverage(const struct test_run *t) {
  const struct tj_go_flags *gf = &t->ga.gflags;
  const char *covermode = gf->covermode ? gf->covermode : gf->race ? "atomic" : "set";
  tj_error err = {0};
  if (gf->coverprofile && merge_cover(gf->coverprofile, covermode, t->workdir, t->n, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
}

/* The run's verdict over the packages' results, and its exit code. */
static int run_verdict(struct test_run *t, struct tj_verdict *top) {
  const struct tj_test_opts *o = &t->opts;
  t->packages = json_array();
  for (int i = 0; i < t->n; i++)
    if (t->slots[i].result)
      json_array_append(t->packages, t->slots[i].result);
  int code = tj_report_run_verdict(t->packages, t->n, top);
  if (o->shard.on && t->n == 0 && !t->interrupted) {
    /* go test refuses an empty package list; a shard may get none. */
    code = 0;
    top->outcome = TJ_PASSED;
    snprintf(top->outcome_name, sizeof(top->outcome_name), "passed");
    snprintf(top->diagnosis, sizeof(top->diagnosis), "passed: shard %d/%d has no package (%d packages over %d shards)",
             o->shard.index, o->shard.count, (int)json_integer_value(json_object_get(t->shard_obj, "total_packages")),
             o->shard.count);
    fprintf(stderr, "testjail: %s; nothing ran\n", top->diagnosis);
  }
  return code;
}

static void write_plot(const struct test_run *t) {
  json_t *panels = json_array();
  size_t i;
  json_t *pr;
  json_array_foreach(t->packages, i, pr) {
    json_t *tl = json_object_get(pr, "timeline");
    json_array_append_new(panels, json_pack("{s:O?,s:O?}", "title", json_object_get(pr, "package"), "timeline", tl));
  }
  tj_error err = {0};
  if (tj_plot_write(t->opts.mon.plot_path, panels, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
  json_decref(panels);
}

static void write_report(const struct test_run *t, const struct tj_verdict *top, int code) {
  struct utsname u;
  struct tj_host host;
  this_host(&host, &u, t->go.version);
  json_t *report = tj_report_top("test", top, code, &host, NULL);
  json_object_set(report, "packages", t->packages);
  if (t->shard_obj)
    json_object_set(report, "shard", t->shard_obj);
  tj_error err = {0};
  if (tj_report_write(t->opts.spec.report_path, report, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
  json_decref(report);
}

/* The verdict, then what was asked for: go test's FAIL line, JUnit, the
 * plot, the report, and the summary table. Returns the exit code. */
static int write_results(struct test_run *t) {
  const struct tj_test_opts *o = &t->opts;
  struct tj_verdict top;
  int code = run_verdict(t, &top);
  if (code != 0 && code != TJ_EXIT_USAGE && t->proto.mode != TJ_OUT_JSON && o->n_packages > 0) {
    fflush(stdout);
    tj_write_all(STDOUT_FILENO, "FAIL\n", 5);
  }
  /* Written last: the reasons end up where the eye lands. Not with --json:
   * its reader (gotestsum) counts every stderr line as an error. */
  struct tj_buf summary = {0};
  if (t->n > 1 && !o->mon.quiet && t->proto.mode != TJ_OUT_JSON && !t->interrupted)
    tj_summary_table(&summary, t->packages);
  tj_error err = {0};
  if (o->junit_path && tj_junit_write(o->junit_path, t->packages, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
  if (o->mon.plot_path)
    write_plot(t);
  if (o->spec.report_path)
    write_report(t, &top, code);
  if (summary.len)
    tj_write_all(STDERR_FILENO, summary.p, summary.len);
  tj_buf_free(&summary);
  return code;
}

/* The one way out, on success and on every error: what the run made is
 * taken down, then a run stopped by a signal dies of it. */
static void test_run_end(struct test_run *t) {
  stop_shared_build(t);
  if (t->workdir[0])
    tj_remove_tree(t->workdir);
  tj_closep(&t->sfd);
  tj_closep(&t->stop[0]);
  tj_closep(&t->stop[1]);
  for (int i = 0; t->slots && i < t->n; i++) {
    json_decref(t->slots[i].result);
    tj_buf_free(&t->slots[i].in);
    tj_buf_free(&t->slots[i].held);
    free(t->slots[i].real);
  }
  free(t->slots);
  json_decref(t->packages);
  tj_cg_destroy(t->total, NULL);
  json_decref(t->shard_obj);
  tj_packages_free(t->pkgs, t->n);
  free(t->opts.packages);
  free(t->opts.testflags);
  tj_go_args_free(&t->ga);
  tj_shard_timings_free(&t->timings);
  if (!t->masked)
    return;
  tj_cmd_unmask(t->interrupted, &t->old_mask);
}

int tj_cmd_test(int argc, char **argv) {
  __attribute__((cleanup(test_run_end))) struct test_run t = TEST_RUN_INIT;
  int code = read_options(&t, argc, argv);
  if (code == GO_ON)
    code = set_up(&t);
  if (code == GO_ON)
    code = plan(&t);
  if (code != GO_ON)
    return code;
  run_packages(&t);
  end_workers(&t);
  merge_coverage(&t);
  return write_results(&t);
}
