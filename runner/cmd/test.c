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

/* The parent's status line; workers send what it shows as FRAME_LIVE. */
static struct tj_live live;
static bool live_known;

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
  bool prebuilt;  /* handed over by the shared build */
  char token[32]; /* releases its stand-in there */
  bool released;
};

static void release_slot(const char *workdir, struct slot *s) {
  if (s->token[0] && !s->released)
    tj_prebuild_release(workdir, s->token);
  s->released = true;
}

/* Binaries the shared build hands over: which package, by directory. */
struct handoff {
  const struct tj_package *pkgs;
  int n;
  struct slot *slots;
  bool *ready;
  const char *workdir;
  char **real; /* each package's directory without symlinks, as getcwd says it */
  int handed;
};

static void handed_over(void *ctx, const char *dir, const char *bin, const char *token) {
  struct handoff *h = ctx;
  int idx = -1;
  for (int i = 0; h->real && i < h->n && idx < 0; i++)
    if (h->real[i] && !h->ready[i] && !h->slots[i].started && strcmp(h->real[i], dir) == 0)
      idx = i;
  char path[PATH_MAX];
  tj_error err = {0};
  /* go's work dir is in ours (GOTMPDIR), unless --env GOTMPDIR put it on
   * another filesystem: then the package builds on its own. */
  if (idx < 0 || tj_job_binary_path(h->workdir, idx, &h->pkgs[idx], path, sizeof(path), &err) < 0 ||
      rename(bin, path) < 0) {
    tj_prebuild_release(h->workdir, token);
    return;
  }
  h->ready[idx] = true;
  h->handed++;
  snprintf(h->slots[idx].token, sizeof(h->slots[idx].token), "%s", token);
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
  uname(&u);
  enum tj_cg_mode m;
  struct tj_host host = {.cgroup = tj_cg_detect(&m, NULL) == 0 ? tj_cg_mode_name(m) : NULL, .kernel = u.release};
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
static void print_out(int fd, const char *buf, size_t len) {
  tj_live_clear(&live);
  tj_write_all(fd, buf, len);
}

/* Hands the frames in buf to out (fd 1, 2) or to the slot's result. */
static void take_frames(struct slot *s, bool print) {
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
        tj_live_update(&live, &st, false);
        live_known = true;
      }
    } else if (print) {
      print_out(h.kind == FRAME_STDERR ? STDERR_FILENO : STDOUT_FILENO, data, h.len);
    } else {
      tj_buf_add(&s->held, s->in.p + off, sizeof(h) + h.len);
    }
    off += sizeof(h) + h.len;
  }
  memmove(s->in.p, s->in.p + off, s->in.len - off);
  s->in.len -= off;
}

static void flush_held(struct slot *s) {
  struct tj_buf held = s->held;
  s->held = (struct tj_buf){0};
  size_t off = 0;
  while (off + sizeof(struct frame_hdr) <= held.len) {
    struct frame_hdr h;
    memcpy(&h, held.p + off, sizeof(h));
    if (h.kind != FRAME_LIVE)
      print_out(h.kind == FRAME_STDERR ? STDERR_FILENO : STDOUT_FILENO, held.p + off + sizeof(h), h.len);
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
  return json_pack("{s:s,s:s,s:s,s:i,s:s,s:f,s:i,s:[s]}", "package", pkg, "phase", "test", "outcome", "sandbox_error",
                   "exit_code", TJ_EXIT_USAGE, "diagnosis", diag, "elapsed", 0.0, "_outcome", TJ_SANDBOX_ERROR,
                   "evidence", msg);
}

static _Noreturn void worker_main(const struct tj_job *proto, int index, int out_fd) {
  struct tj_job job = *proto;
  job.index = index;
  job.sink_ctx = &out_fd;
  job.live_ctx = &out_fd;
  json_t *r = tj_job_run(&job);
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
static json_t *shard_filter(const struct tj_shard *sh, const struct tj_shard_timings *timings,
                            struct tj_package *pkgs, int *n, tj_error *err) {
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
  json_t *o = json_pack("{s:i,s:i,s:s,s:s,s:o,s:i,s:o}", "index", sh->index, "count", sh->count, "strategy", strategy,
                        "source", sh->source, "packages", mine, "total_packages", *n, "plan", plan);
  fprintf(stderr, "testjail: shard %d/%d (%s): %d of %d packages, split by %s\n", sh->index, sh->count, sh->source, kept,
          *n, strategy);
  *n = kept;
  return o;
}

int tj_cmd_test(int argc, char **argv) {
  struct tj_test_opts opts = {0};
  tj_error err = {0};
  int r = tj_cli_parse_test(argc, argv, &opts, &err);
  if (r == TJ_CLI_HELP)
    return 0;
  if (r < 0)
    return tj_cmd_usage_error(err.msg);
  __attribute__((cleanup(tj_go_args_free))) struct tj_go_args ga = {0};
  if (tj_go_args_parse(&opts, &ga, &err) < 0)
    return tj_cmd_usage_error(err.msg);
  if (opts.junit_path && tj_report_check_path("--junit", opts.junit_path, &err) < 0)
    return tj_cmd_usage_error(err.msg);
  __attribute__((cleanup(tj_shard_timings_free))) struct tj_shard_timings timings = {0};
  if (shard_setup(&opts, &timings, &err) < 0)
    return tj_cmd_usage_error(err.msg);
  char **testflags = ga.testflags;
  bool flag_v = ga.verbose, has_timeout = ga.has_timeout;
  struct tj_go_flags *gflags = &ga.gflags;
  if (gflags->coverprofile && tj_report_check_path("-coverprofile", gflags->coverprofile, &err) < 0) {
    return tj_cmd_usage_error(err.msg);
  }
  struct tj_cg_limits lim = {opts.spec.memory_bytes, opts.spec.pids, opts.spec.cpu_quota_us,
                            opts.spec.cpu_period_us, false};
  char refused[1024];
  if (tj_cg_limits_refused(&lim, refused, sizeof(refused)) < 0) {
    return tj_cmd_usage_error(refused);
  }
  struct tj_go_env go = {0}, guess = {0};
  if (tj_go_find(&guess, &err) < 0) {
    return tj_cmd_usage_error(err.msg);
  }
  tj_go_guess(&guess);

  /* Signals are read from a signalfd: stop the workers, clean up, then die
   * of the same signal. Workers inherit the mask, so a signal meant for
   * them waits until their sandbox forwards it. */
  sigset_t mask, old;
  sigemptyset(&mask);
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(sigs); i++)
    sigaddset(&mask, sigs[i]);
  sigprocmask(SIG_BLOCK, &mask, &old);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  int stop[2] = {-1, -1};
  char workdir[PATH_MAX];
  int stale;
  tj_workdir_gc(&stale, &err); /* those of testjails killed before they could */
  err.msg[0] = 0;
  if (sfd < 0 || tj_workdir_make(workdir, sizeof(workdir), &err) < 0) {
    if (sfd < 0)
      tj_error_set(&err, errno, "setting up (signalfd)");
    if (sfd >= 0)
      close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return setup_error(opts.spec.report_path, err.msg);
  }
  int parallel = opts.parallel;
  if (parallel <= 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    parallel = cpus > 0 ? (int)cpus : 1;
  }
  /* The build starts now, on the patterns as given and go's settings as
   * read here, while go env and go list answer: they cost two go start-ups
   * that go test itself does not pay. */
  tj_cg_prepare();
  /* --memory-total: one cgroup over every test sandbox, made before the
   * workers fork, who create theirs below it; named after us, so a run
   * killed with SIGKILL leaves it to the next run's collection. */
  tj_cgroup *total = NULL;
  if (opts.memory_total_bytes >= 0) {
    struct tj_cg_limits tl = {opts.memory_total_bytes, -1, -1, -1, false};
    if (tj_cg_create(&tl, &total, &err) < 0) {
      tj_error_wrap(&err, "--memory-total");
      tj_remove_tree(workdir);
      close(sfd);
      sigprocmask(SIG_SETMASK, &old, NULL);
      return tj_cmd_usage_error(err.msg);
    }
    opts.spec.cg_parent = total;
  }
  struct tj_prebuild pb = {.fifo_rd = -1, .fifo_wr = -1, .done_rd = -1};
  struct tj_job pre = {.opts = &opts, .go = &guess, .gflags = gflags, .workdir = workdir, .stop_fd = -1};
  /* One package under --build-timeout builds once, alone: a build that
   * hangs would else hang twice, in the shared build and in its own. */
  bool single = opts.n_packages == 0 || (opts.n_packages == 1 && !strstr(opts.packages[0], "..."));
  /* A shard builds only its packages: its build waits for go list. */
  if (!(single && opts.build_timeout_ms > 0) && !opts.shard.on)
    tj_prebuild_start(&pb, &pre, opts.packages, opts.n_packages, parallel);

  struct tj_package *pkgs = NULL;
  int n = 0;
  struct slot *slots = NULL;
  json_t *shard_obj = NULL;
  int rr = tj_go_resolve(opts.packages, opts.n_packages, gflags->build, &go, &pkgs, &n, &err);
  if (rr >= 0 && opts.shard.on && !(shard_obj = shard_filter(&opts.shard, &timings, pkgs, &n, &err)))
    rr = -1;
  if (rr >= 0 && gflags->fuzz && n > 1)
    rr = tj_error_set(&err, 0, "bad TESTFLAGS: -fuzz takes one package, as under go test (%d given)", n);
  if (rr >= 0 && opts.shard.on && n > 0 && !(n == 1 && opts.build_timeout_ms > 0)) {
    char **mine = calloc((size_t)n + 1, sizeof(*mine));
    for (int i = 0; mine && i < n; i++)
      mine[i] = pkgs[i].import_path;
    pre.go = &go;
    if (mine)
      tj_prebuild_start(&pb, &pre, mine, n, parallel);
    free(mine);
  }
  /* After the build's fork: a worker sees the stop once we close ours. */
  if (pipe2(stop, O_CLOEXEC) < 0)
    stop[0] = stop[1] = -1;
  if (rr < 0 || !(slots = calloc((size_t)n + 1, sizeof(*slots)))) {
    if (!err.msg[0])
      tj_error_set(&err, ENOMEM, "setting up");
    /* Bad input: nothing of the build stays behind. */
    if (pb.pid > 0)
      kill(pb.pid, SIGTERM);
    tj_prebuild_end(&pb);
    tj_remove_tree(workdir);
    tj_cg_destroy(total, NULL);
    tj_packages_free(pkgs, n);
    json_decref(shard_obj);
    close(sfd);
    if (stop[0] >= 0)
      close(stop[0]), close(stop[1]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return tj_cmd_usage_error(err.msg);
  }

  enum tj_out_mode mode = opts.json ? TJ_OUT_JSON : (opts.verbose || flag_v) ? TJ_OUT_VERBOSE : TJ_OUT_TEXT;
  /* go test streams the output in its local directory mode (no package
   * named) and with -bench or -fuzz; it shows passing packages' output
   * then, and with -list. */
  bool stream = opts.n_packages == 0 || gflags->bench || gflags->fuzz;
  struct tj_job proto = {.opts = &opts, .go = &go, .workdir = workdir, .testflags = testflags, .gflags = gflags,
                         .stream = stream, .show_passing = stream || gflags->list,
                         .has_timeout = has_timeout, .mode = mode, .want_junit = opts.junit_path != NULL,
                         .stop_fd = stop[0], .sink = worker_sink, .total = n};
  /* With --json another program (gotestsum) writes to the terminal: a line
   * we redraw would land in the middle of its output. */
  tj_live_init(&live, STDERR_FILENO, opts.mon.quiet || mode == TJ_OUT_JSON);
  if (live.on) {
    proto.live = worker_live;
    proto.live_ctx = NULL; /* set per worker: its frame pipe */
  }
  if (live.on && pb.pid > 0) {
    /* Until a package's tests start, the shared build is what runs. */
    struct tj_live_status st = {.phase = "build", .total = 0, .mem_current = -1, .mem_limit = -1,
                                .pids_current = -1, .pids_limit = -1};
    snprintf(st.package, sizeof(st.package), "%d package%s in one go test", n, n == 1 ? "" : "s");
    tj_live_update(&live, &st, false);
    live_known = true;
  }
  pid_t parent = getpid();
  int head = 0, running = 0, interrupted = 0, with_tests = 0;
  for (int i = 0; i < n; i++)
    with_tests += pkgs[i].has_tests;
  /* A package whose binary the shared build did not hand over builds on
   * its own once that build has ended. */
  bool *ready = n > 0 ? calloc((size_t)n, sizeof(bool)) : NULL;
  struct handoff ho = {.pkgs = pkgs, .n = n, .slots = slots, .ready = ready, .workdir = workdir,
                       .real = n > 0 ? calloc((size_t)n, sizeof(char *)) : NULL};
  for (int i = 0; ho.real && i < n; i++)
    if (pkgs[i].has_tests)
      ho.real[i] = realpath(pkgs[i].dir, NULL);
  fflush(stdout);
  fflush(stderr);
  while (head < n) {
    while (!interrupted && running < parallel) {
      /* The earliest package that can start: its build is done, or its
       * build is its own. */
      int next = -1;
      for (int i = head; i < n && next < 0; i++)
        if (!slots[i].started && !slots[i].done && (!pkgs[i].has_tests || pb.pid == 0 || (ready && ready[i])))
          next = i;
      if (next < 0)
        break;
      struct slot *s = &slots[next];
      int p[2];
      if (pipe2(p, O_CLOEXEC) < 0) {
        s->result = lost_worker(pkgs[next].import_path, 0);
        s->done = true, s->fd = -1;
        continue;
      }
      proto.pkg = &pkgs[next];
      proto.prebuilt = s->prebuilt = ready && ready[next];
      pid_t pid = fork();
      if (pid == 0) {
        close(p[0]);
        close(sfd);
        close(stop[1]);
        for (int i = 0; i < n; i++)
          if (slots[i].started && slots[i].fd >= 0)
            close(slots[i].fd);
        if (pb.fifo_rd >= 0)
          close(pb.fifo_rd), close(pb.fifo_wr);
        if (pb.done_rd >= 0)
          close(pb.done_rd);
        /* If testjail dies, even by SIGKILL, its workers follow, and each
         * worker's sandbox follows its worker. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
          _exit(1);
        worker_main(&proto, next, p[1]);
      }
      close(p[1]);
      if (pid < 0) {
        close(p[0]);
        s->result = lost_worker(pkgs[next].import_path, 0);
        s->done = true, s->fd = -1;
      } else {
        s->pid = pid, s->fd = p[0], s->started = true;
        running++;
      }
    }
    /* Every binary handed over: go has nothing left to build, and may end
     * while the last tests run. */
    if (ho.handed == with_tests)
      for (int i = 0; i < n; i++)
        if (slots[i].started)
          release_slot(workdir, &slots[i]);
    /* Print what is in order: the head package streams, later ones wait. */
    while (head < n && slots[head].done) {
      flush_held(&slots[head]);
      head++;
      if (head < n)
        flush_held(&slots[head]);
    }
    if (head >= n)
      break;
    if (interrupted && running == 0) {
      /* Packages never started: nothing to wait for. */
      break;
    }
    /* the fixed slots, then one per package's worker */
    enum { P_SIGNAL, P_FIFO, P_BUILD_DONE, P_WORKERS };
    struct pollfd *pfd = calloc((size_t)n + P_WORKERS, sizeof(*pfd));
    if (!pfd)
      break;
    pfd[P_SIGNAL] = (struct pollfd){.fd = sfd, .events = POLLIN};
    pfd[P_FIFO] = (struct pollfd){.fd = pb.fifo_rd, .events = POLLIN};
    pfd[P_BUILD_DONE] = (struct pollfd){.fd = pb.done_rd, .events = POLLIN};
    for (int i = 0; i < n; i++)
      pfd[P_WORKERS + i] =
          (struct pollfd){.fd = slots[i].started && !slots[i].done ? slots[i].fd : -1, .events = POLLIN};
    if (poll(pfd, (nfds_t)n + P_WORKERS, -1) < 0 && errno != EINTR) {
      free(pfd);
      break;
    }
    if (pfd[P_SIGNAL].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
        int sig = (int)si.ssi_signo;
        bool second = interrupted && sig != SIGQUIT;
        if (sig != SIGQUIT && !interrupted) {
          interrupted = sig;
          if (stop[1] >= 0) {
            close(stop[1]);
            stop[1] = -1;
          }
        }
        for (int i = 0; i < n; i++)
          if (slots[i].started && !slots[i].done)
            kill(slots[i].pid, second ? SIGKILL : sig);
        if (pb.pid > 0)
          kill(pb.pid, second ? SIGKILL : sig);
      }
    }
    if (pfd[P_FIFO].revents)
      tj_prebuild_read(&pb, handed_over, &ho);
    if (pfd[P_BUILD_DONE].revents) {
      /* Handed over before it ended: in the FIFO by now. */
      tj_prebuild_read(&pb, handed_over, &ho);
      tj_prebuild_reap(&pb);
    }
    for (int i = 0; i < n; i++) {
      struct slot *s = &slots[i];
      if (!pfd[P_WORKERS + i].revents || s->fd < 0)
        continue;
      char buf[65536];
      ssize_t k = read(s->fd, buf, sizeof(buf));
      if (k < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (k > 0) {
        tj_buf_add(&s->in, buf, (size_t)k);
        take_frames(s, i == head);
        continue;
      }
      close(s->fd);
      s->fd = -1;
      release_slot(workdir, s);
      int ws = 0;
      while (waitpid(s->pid, &ws, 0) < 0 && errno == EINTR)
        ;
      if (!s->result)
        s->result = lost_worker(pkgs[i].import_path, ws);
      s->done = true;
      running--;
    }
    free(pfd);
    if (live_known && !live.drawn)
      tj_live_redraw(&live);
  }
  tj_live_clear(&live);
  /* Only started workers: a slot never started has pid 0 and fd 0 (calloc),
   * and kill(0, SIGKILL) would take testjail's whole process group along
   * (seen in the v2 guest: -p 1, SIGTERM before the second package began). */
  for (int i = 0; i < n; i++)
    if (slots[i].started && slots[i].fd >= 0) {
      close(slots[i].fd);
      int ws;
      kill(slots[i].pid, SIGKILL);
      waitpid(slots[i].pid, &ws, 0);
    }
  /* Every stand-in still waiting (a package whose worker never ran) lets
   * go end; what go does after the last package is no use to us (with no
   * test files at all, its whole run): its sandbox ends it, cleanly. */
  for (int i = 0; i < n; i++)
    release_slot(workdir, &slots[i]);
  if (pb.pid > 0)
    kill(pb.pid, SIGTERM);
  tj_prebuild_end(&pb);
  free(ready);
  for (int i = 0; ho.real && i < n; i++)
    free(ho.real[i]);
  free(ho.real);
  const char *covermode = gflags->covermode ? gflags->covermode : gflags->race ? "atomic" : "set";
  if (gflags->coverprofile && merge_cover(gflags->coverprofile, covermode, workdir, n, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
  tj_remove_tree(workdir);
  close(sfd);
  close(stop[0]);
  if (stop[1] >= 0)
    close(stop[1]);

  json_t *packages = json_array();
  for (int i = 0; i < n; i++)
    if (slots[i].result)
      json_array_append(packages, slots[i].result);
  struct tj_verdict top;
  int code = tj_report_run_verdict(packages, n, &top);
  if (opts.shard.on && n == 0 && !interrupted) {
    /* go test refuses an empty package list; a shard may get none. */
    code = 0;
    top.outcome = TJ_PASSED;
    snprintf(top.outcome_name, sizeof(top.outcome_name), "passed");
    snprintf(top.diagnosis, sizeof(top.diagnosis), "passed: shard %d/%d has no package (%d packages over %d shards)",
             opts.shard.index, opts.shard.count, (int)json_integer_value(json_object_get(shard_obj, "total_packages")),
             opts.shard.count);
    fprintf(stderr, "testjail: %s; nothing ran\n", top.diagnosis);
  }
  if (code != 0 && code != TJ_EXIT_USAGE && mode != TJ_OUT_JSON && opts.n_packages > 0) {
    fflush(stdout);
    tj_write_all(STDOUT_FILENO, "FAIL\n", 5);
  }
  /* Written last: the reasons end up where the eye lands. Not with --json:
   * its reader (gotestsum) counts every stderr line as an error. */
  struct tj_buf summary = {0};
  if (n > 1 && !opts.mon.quiet && mode != TJ_OUT_JSON && !interrupted)
    tj_summary_table(&summary, packages);

  if (opts.junit_path && tj_junit_write(opts.junit_path, packages, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
  if (opts.mon.plot_path) {
    json_t *panels = json_array();
    size_t pi;
    json_t *pr;
    json_array_foreach(packages, pi, pr) {
      json_t *tl = json_object_get(pr, "timeline");
      json_array_append_new(panels, json_pack("{s:O?,s:O?}", "title", json_object_get(pr, "package"), "timeline", tl));
    }
    if (tj_plot_write(opts.mon.plot_path, panels, &err) < 0)
      fprintf(stderr, "testjail: %s\n", err.msg);
    json_decref(panels);
  }
  if (opts.spec.report_path) {
    size_t i;
    json_t *p;
    json_array_foreach(packages, i, p) {
      json_object_del(p, "_outcome");
      json_object_del(p, "elapsed");
    }
    struct utsname u;
    uname(&u);
    enum tj_cg_mode m;
    struct tj_host host = {.cgroup = tj_cg_detect(&m, NULL) == 0 ? tj_cg_mode_name(m) : NULL, .kernel = u.release,
                           .go = go.version[0] ? go.version : NULL};
    json_t *report = tj_report_top("test", &top, code, &host, NULL);
    json_object_set(report, "packages", packages);
    if (shard_obj)
      json_object_set(report, "shard", shard_obj);
    if (tj_report_write(opts.spec.report_path, report, &err) < 0)
      fprintf(stderr, "testjail: %s\n", err.msg);
    json_decref(report);
  }
  json_decref(packages);
  if (summary.len)
    tj_write_all(STDERR_FILENO, summary.p, summary.len);
  tj_buf_free(&summary);
  for (int i = 0; i < n; i++) {
    json_decref(slots[i].result);
    tj_buf_free(&slots[i].in);
    tj_buf_free(&slots[i].held);
  }
  free(slots);
  tj_cg_destroy(total, NULL);
  json_decref(shard_obj);
  tj_packages_free(pkgs, n);
  free(opts.packages);
  free(opts.testflags);
  if (interrupted) {
    signal(interrupted, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    raise(interrupted);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, interrupted);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  return code;
}
