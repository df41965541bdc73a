#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <dirent.h>
#include <inttypes.h>
#include <sys/resource.h>
#include <seccomp.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/contain.h"
#include "sandbox/supervise.h"
#include "sandbox/userns.h"
#include "common/util.h"

extern char **environ;

#define SAMPLE_INTERVAL_MS 50

struct stream {
  const struct tj_sandbox_hooks *hooks;
  int fd;  /* read end, -1 once at EOF */
  int out; /* where it goes: 1 or 2 */
  bool out_broken;
  char line[1024];
  size_t line_len;
  bool line_truncated;
};

static void plan_freep(struct tj_contain_plan **p) { tj_contain_plan_free(*p); }

static char **build_env(const struct tj_spec *spec) {
  size_t n = 0;
  while (environ && environ[n])
    n++;
  char **envp = calloc(n + (size_t)spec->n_env + 1, sizeof(char *));
  if (!envp)
    return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    size_t nl = strcspn(environ[i], "=");
    bool overridden = false;
    for (int j = 0; j < spec->n_env; j++)
      overridden |= strncmp(spec->env[j], environ[i], nl + 1) == 0;
    /* An inherited temp dir names a host directory: inside, /tmp is private
     * and the rest read-only, so t.TempDir() and go build would fail. The
     * private /tmp serves instead; --env TMPDIR=... still sets one. */
    bool host_tmp = strncmp(environ[i], "TMPDIR=", 7) == 0 || strncmp(environ[i], "GOTMPDIR=", 9) == 0;
    if (!overridden && !host_tmp)
      envp[k++] = environ[i];
  }
  for (int j = 0; j < spec->n_env; j++)
    envp[k++] = (char *)spec->env[j];
  return envp;
}

static void tail_add(struct tj_run_result *res, const char *buf, size_t n) {
  for (size_t i = 0; i < n; i++) {
    res->tail[res->tail_pos++] = buf[i];
    if (res->tail_pos == TJ_TAIL_BYTES) {
      res->tail_pos = 0;
      res->tail_wrapped = true;
    }
  }
}

static void write_all(struct stream *s, const char *buf, size_t n) {
  if (s->hooks && s->hooks->on_output) {
    s->hooks->on_output(s->hooks->ctx, s->out, buf, n);
    return;
  }
  while (n && !s->out_broken) {
    ssize_t w = write(s->out, buf, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      s->out_broken = true; /* keep draining the sandbox even if nobody reads us */
      return;
    }
    buf += w;
    n -= (size_t)w;
  }
}

static void end_line(struct tj_run_result *res, struct stream *s) {
  tj_notes_line(&res->notes, s->line, s->line_len);
  if (s->hooks && s->hooks->on_line)
    s->hooks->on_line(s->hooks->ctx, s->out, s->line, s->line_len);
  s->line_len = 0;
}

static void feed_lines(struct tj_run_result *res, struct stream *s, const char *buf, size_t n, bool flush) {
  for (size_t i = 0; i < n; i++) {
    if (buf[i] == '\n')
      end_line(res, s);
    else if (s->line_len < sizeof(s->line) - 1)
      s->line[s->line_len++] = buf[i];
  }
  if (flush && s->line_len)
    end_line(res, s);
}

/* Returns false at EOF or when nothing more can be read right now. */
static bool pump(struct tj_run_result *res, struct stream *s) {
  char buf[65536];
  if (s->fd < 0)
    return false;
  ssize_t n = read(s->fd, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return false;
  if (n <= 0) {
    feed_lines(res, s, NULL, 0, true);
    close(s->fd);
    s->fd = -1;
    return false;
  }
  write_all(s, buf, (size_t)n);
  tail_add(res, buf, (size_t)n);
  feed_lines(res, s, buf, (size_t)n, false);
  return true;
}

static int arm_timer(int tfd, int64_t ms, bool periodic) {
  struct itimerspec its = {0};
  its.it_value.tv_sec = ms / 1000;
  its.it_value.tv_nsec = (ms % 1000) * 1000000;
  if (periodic)
    its.it_interval = its.it_value;
  return timerfd_settime(tfd, 0, &its, NULL);
}

/* Sampling: the memory.peak fallback where the kernel keeps none, and the
 * caller's timeline when it asks for one. */
static bool sampling_wanted(const struct tj_sandbox_hooks *hooks) {
  return hooks && hooks->on_sample && hooks->sample_interval_ms > 0;
}

static int sampling_timer(tj_cgroup *cg, const struct tj_sandbox_hooks *hooks) {
  if (!tj_cg_needs_sampling(cg) && !sampling_wanted(hooks))
    return -1;
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (tfd >= 0)
    arm_timer(tfd, sampling_wanted(hooks) ? hooks->sample_interval_ms : SAMPLE_INTERVAL_MS, true);
  return tfd;
}

static void sampling_tick(tj_cgroup *cg, const struct tj_sandbox_hooks *hooks, int64_t start) {
  if (!sampling_wanted(hooks)) {
    if (tj_cg_needs_sampling(cg))
      tj_cg_sample(cg);
    return;
  }
  struct tj_cg_sample s;
  tj_cg_sample_read(cg, &s);
  hooks->on_sample(hooks->ctx, tj_now_ms() - start, &s);
}

static void set_launch(struct tj_run_result *res, enum tj_launch l, const char *msg) {
  if (res->launch != TJ_LAUNCH_OK)
    return; /* the first failure is the cause */
  res->launch = l;
  snprintf(res->message, sizeof(res->message), "%s", msg);
}

static void read_child_msg(struct tj_run_result *res, int *fd) {
  struct tj_child_msg m;
  ssize_t n = read(*fd, &m, sizeof(m));
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n == (ssize_t)sizeof(m)) {
    m.text[sizeof(m.text) - 1] = 0;
    if (m.kind == TJ_MSG_EXEC)
      set_launch(res, m.err == ENOENT ? TJ_LAUNCH_NOT_FOUND : TJ_LAUNCH_NOT_EXECUTABLE, m.text);
    else
      set_launch(res, TJ_LAUNCH_SETUP_ERROR, m.text);
    return;
  }
  close(*fd);
  *fd = -1;
}

/* ---- seccomp: the listener and its notifications ---------------------------- */

struct sc_watch {
  struct tj_run_result *res;
  const struct tj_sandbox_hooks *hooks;
  struct stream *streams;
  const struct tj_sc_plan *plan;
  int sock;     /* the workload sends the listener here; -1 once done */
  int listener; /* -1 until it came */
};

static const char *notes_running(void *ctx) {
  const struct tj_notes *n = ctx;
  return n->n_running > 0 ? n->running[n->n_running - 1] : NULL;
}

/* What the workload printed before the syscall is in the pipes: take it
 * first, so "=== RUN" lines name the test that made it. */
static void drain_ready(struct tj_run_result *res, struct stream *streams) {
  for (int round = 0; round < 64; round++) {
    struct pollfd p[2] = {{.fd = streams[0].fd, .events = POLLIN}, {.fd = streams[1].fd, .events = POLLIN}};
    if (poll(p, 2, 0) <= 0)
      return;
    bool any = false;
    for (int i = 0; i < 2; i++)
      if (p[i].revents)
        any |= pump(res, &streams[i]);
    if (!any)
      return;
  }
}

/* Returns true when a kill action wants the sandbox dead. */
static bool sc_ready(struct sc_watch *w, bool sock_ready, short listener_events) {
  if (sock_ready && w->sock >= 0) {
    w->listener = tj_sc_recv_listener(w->sock);
    close(w->sock);
    w->sock = -1;
  }
  if (w->listener < 0 || !listener_events)
    return false;
  if (!(listener_events & POLLIN)) {
    close(w->listener); /* hung up: every filtered task is gone */
    w->listener = -1;
    return false;
  }
  drain_ready(w->res, w->streams);
  const char *(*running)(void *) = notes_running;
  void *ctx = &w->res->notes;
  if (w->hooks && w->hooks->running_test) {
    running = w->hooks->running_test;
    ctx = w->hooks->ctx;
  }
  int r = tj_sc_handle(w->listener, w->plan, &w->res->seccomp, running, ctx);
  if (r < 0) {
    close(w->listener); /* every filtered task is gone */
    w->listener = -1;
  }
  return r == 1;
}

static void sc_result_init(const struct tj_spec *spec, const struct tj_sc_plan *plan, struct tj_run_result *res) {
  const struct tj_sc_policy *p = spec->seccomp_policy;
  snprintf(res->seccomp.profile, sizeof(res->seccomp.profile), "%s",
           !p || p->unconfined ? "unconfined"
           : p->name           ? p->name
                               : "custom");
  if (plan) {
    snprintf(res->seccomp.trapped, sizeof(res->seccomp.trapped), "%s", plan->trapped);
    snprintf(res->seccomp.cache, sizeof(res->seccomp.cache), "%s", tj_sc_cache_name(plan->cache));
  }
  for (size_t i = 0; plan && i < plan->n_skipped; i++)
    snprintf(res->seccomp.skipped[res->seccomp.n_skipped++], sizeof(res->seccomp.skipped[0]), "%s", plan->skipped[i]);
}

static void isolation_result(const struct tj_idmap *m, const struct tj_contain_plan *plan, const struct tj_spec *spec,
                             struct tj_isolation *iso) {
  iso->userns = m->active;
  iso->rootless = m->rootless;
  if (m->active) {
    tj_idmap_format(m, false, iso->uid_map, sizeof(iso->uid_map));
    tj_idmap_format(m, true, iso->gid_map, sizeof(iso->gid_map));
    snprintf(iso->map_source, sizeof(iso->map_source), "%s", m->source);
  }
  iso->n_idmapped = 0;
  for (int i = 0; i < plan->n_binds && iso->n_idmapped < TJ_ISO_MAX_PATHS; i++)
    if (m->active && !m->rootless && plan->binds[i].idmapped)
      snprintf(iso->idmapped[iso->n_idmapped++], sizeof(iso->idmapped[0]), "%s", plan->binds[i].dst);
  iso->n_covered = 0;
  for (int i = 0; i < plan->n_covers && iso->n_covered < TJ_ISO_MAX_PATHS; i++)
    snprintf(iso->covered[iso->n_covered++], sizeof(iso->covered[0]), "%s", plan->covers[i]);
  iso->preserve_fds = spec->preserve_fds;
}

static void devices_result(const tj_cgroup *cg, bool userns, struct tj_isolation *iso) {
  const char *why;
  const char *mode = tj_cg_devices(cg, &why);
  snprintf(iso->devices, sizeof(iso->devices), "%s", mode[0] ? mode : userns ? "userns-only" : "none");
  snprintf(iso->devices_why, sizeof(iso->devices_why), "%s", mode[0] ? "" : why);
}

/* The user namespace and the plan that goes with it. As root, the writable
 * paths are idmapped here; where the kernel or a file system cannot (no
 * user namespaces, a file system without idmap support), the run goes on
 * without one, as --userns host, and the result says why. */
static int isolation_prepare(const struct tj_spec *spec, const char *exe, struct tj_idmap *m,
                             struct tj_contain_plan *plan, struct tj_run_result *res, tj_error *err) {
  bool privileged_map = m->active && !m->rootless;
  if (tj_contain_prepare(spec, exe, privileged_map, plan, err) < 0)
    return -EINVAL;
  if (privileged_map) {
    _cleanup_close_ int nsfd = -1;
    tj_error why = {0};
    char cause[256] = "";
    if (tj_userns_open(m, &nsfd, &why) < 0) {
      tj_userns_refusal(why.code ? why.code : EPERM, cause, sizeof(cause));
    } else if (tj_contain_open_binds(plan, nsfd, &why) < 0) {
      snprintf(cause, sizeof(cause), "%s (the file system cannot be idmapped)", why.msg);
    }
    if (cause[0]) {
      snprintf(res->isolation.fallback, sizeof(res->isolation.fallback), "no user namespace: %s", cause);
      tj_contain_plan_clear(plan);
      memset(m, 0, sizeof(*m));
      if (tj_contain_prepare(spec, exe, false, plan, err) < 0)
        return -EINVAL;
    }
  }
  isolation_result(m, plan, spec, &res->isolation);
  return 0;
}

/* Descriptors a run holds at once at most (pipes, pidfd, signalfd, timers,
 * cgroup directories, binds, the seccomp socket and cache), with room. */
#define RUN_FDS 40

/* Out of descriptors half-way, each step would fail its own way, and
 * libcgroup's as "not mounted": say it once, before anything is made. */
static int fd_headroom(tj_error *err) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
    return 0;
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return errno == EMFILE || errno == ENFILE
               ? tj_error_set(err, errno, "RLIMIT_NOFILE (ulimit -n) is %llu", (unsigned long long)rl.rlim_cur)
               : 0;
  long open_fds = -3; /* ".", ".." and the directory's own */
  while (readdir(d))
    open_fds++;
  closedir(d);
  if ((unsigned long long)open_fds + RUN_FDS > (unsigned long long)rl.rlim_cur)
    return tj_error_set(err, EMFILE, "%ld descriptors open of RLIMIT_NOFILE (ulimit -n) %llu: a run needs %d more",
                        open_fds, (unsigned long long)rl.rlim_cur, RUN_FDS);
  return 0;
}

int tj_sandbox_run(const struct tj_spec *spec, const struct tj_sandbox_hooks *hooks, struct tj_run_result *res,
                   tj_error *err) {
  memset(res, 0, sizeof(*res));
  res->cpu_ms = -1;
  res->caps = tj_spec_caps(spec);
  struct tj_cg_stats unknown = TJ_CG_STATS_UNKNOWN;
  res->stats = unknown;

  _cleanup_free_ char **envp = build_env(spec);
  if (!envp)
    return tj_error_set(err, ENOMEM, "building the environment");
  char exe[PATH_MAX];
  tj_error sub = {0};
  if (fd_headroom(&sub) < 0) {
    set_launch(res, TJ_LAUNCH_SETUP_ERROR, sub.msg);
    return 0;
  }
  struct tj_idmap idmap;
  if (tj_userns_choose(spec, &idmap, &sub) < 0) {
    set_launch(res, TJ_LAUNCH_SETUP_ERROR, sub.msg);
    return 0;
  }
  switch (tj_resolve_command_as(spec->argv[0], envp, idmap.active && !idmap.rootless, exe, sizeof(exe), &sub)) {
  case TJ_RESOLVE_OK:
    break;
  case TJ_RESOLVE_NOT_FOUND:
    set_launch(res, TJ_LAUNCH_NOT_FOUND, sub.msg);
    return 0;
  case TJ_RESOLVE_NOT_EXECUTABLE:
    set_launch(res, TJ_LAUNCH_NOT_EXECUTABLE, sub.msg);
    return 0;
  }
  __attribute__((cleanup(plan_freep))) struct tj_contain_plan *plan = calloc(1, sizeof(*plan));
  if (!plan)
    return tj_error_set(err, ENOMEM, "plan");
  if (isolation_prepare(spec, exe, &idmap, plan, res, &sub) < 0) {
    set_launch(res, TJ_LAUNCH_SETUP_ERROR, sub.msg);
    return 0;
  }
  tj_contain_tmp_dir_mark(plan);

  __attribute__((cleanup(tj_sc_plan_free))) struct tj_sc_plan sc_plan = {0};
  bool filtered = spec->seccomp_policy && !spec->seccomp_policy->unconfined;
  if (filtered) {
    struct tj_sc_env env;
    tj_sc_env_here(&env, res->caps);
    if (tj_sc_plan_init(&sc_plan, spec->seccomp_policy, &env, &sub) < 0) {
      set_launch(res, TJ_LAUNCH_SETUP_ERROR, sub.msg);
      return 0;
    }
  }
  sc_result_init(spec, filtered ? &sc_plan : NULL, res);
  struct sc_watch scw = {.res = res, .hooks = hooks, .plan = &sc_plan, .sock = -1, .listener = -1};
  int sc_p[2] = {-1, -1};

  struct tj_cg_limits lim = {spec->memory_bytes, spec->pids, spec->cpu_quota_us, spec->cpu_period_us, true};
  tj_cgroup *cg = NULL;
  res->parent_limit_hits = -1;
  if (tj_cg_create_in(spec->cg_parent, &lim, &cg, &sub) < 0) {
    set_launch(res, TJ_LAUNCH_SETUP_ERROR, sub.msg);
    return 0;
  }
  int64_t parent_hits = tj_cg_memory_limit_hits((tj_cgroup *)spec->cg_parent);
  res->cg_mode = tj_cg_mode_of(cg);
  devices_result(cg, idmap.active, &res->isolation);
  snprintf(res->cgroup_path, sizeof(res->cgroup_path), "%s", tj_cg_path(cg));
  plan->mount_cgroup2 = res->cg_mode == TJ_CG_V2;

  int out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, sync_p[2] = {-1, -1}, msg_p[2] = {-1, -1}, st_p[2] = {-1, -1};
  int sfd = -1, wall_tfd = -1, sample_tfd = -1, pidfd = -1, mntns = -1;
  int rc = 0;
  sigset_t forward, blocked, old_mask;
  tj_forward_sigset(&forward);
  blocked = forward;
  sigaddset(&blocked, SIGCHLD);

  if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0 || pipe2(sync_p, O_CLOEXEC) < 0 ||
      pipe2(msg_p, O_CLOEXEC) < 0 || pipe2(st_p, O_CLOEXEC) < 0 ||
      (filtered && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sc_p) < 0)) {
    snprintf(sub.msg, sizeof(sub.msg), "creating the sandbox's pipes: %s", strerror(errno));
    set_launch(res, TJ_LAUNCH_SETUP_ERROR, sub.msg);
    goto teardown;
  }
  sigprocmask(SIG_BLOCK, &blocked, &old_mask);
  sfd = signalfd(-1, &forward, SFD_CLOEXEC | SFD_NONBLOCK);
  wall_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (sfd < 0 || wall_tfd < 0) {
    snprintf(sub.msg, sizeof(sub.msg), "creating %s: %s", sfd < 0 ? "a signalfd" : "a timerfd", strerror(errno));
    set_launch(res, TJ_LAUNCH_SETUP_ERROR, sub.msg);
    goto teardown;
  }
  sample_tfd = sampling_timer(cg, hooks);

  struct clone_args ca = {0};
  ca.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD;
  if (plan->new_net)
    ca.flags |= CLONE_NEWNET;
  struct tj_rlimit_saved rl_saved = {0};
  if (idmap.active) {
    ca.flags |= CLONE_NEWUSER;
    tj_rlimit_lift_hard(&spec->rlimits, &rl_saved);
  }
  int cgfd = tj_cg_clone_fd(cg);
  if (cgfd >= 0) {
    ca.flags |= CLONE_INTO_CGROUP;
    ca.cgroup = (uint64_t)cgfd;
  }
  ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
  ca.exit_signal = SIGCHLD;
  int64_t start = tj_now_ms();
  if (hooks && hooks->on_start)
    hooks->on_start(hooks->ctx, start);
  pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
  int clone_errno = errno;
  if (pid != 0)
    tj_rlimit_restore(&spec->rlimits, &rl_saved); /* the workload has them: testjail's own back */
  if (pid < 0) {
    int e = clone_errno;
    if (idmap.active) {
      char why[256];
      tj_userns_refusal(e, why, sizeof(why));
      tj_error_set(&sub, 0, "clone3 into a new user namespace: %s", why);
    } else {
      tj_error_set(&sub, e, "clone3 into new namespaces");
    }
    set_launch(res, TJ_LAUNCH_SETUP_ERROR, sub.msg);
    goto teardown;
  }
  if (pid == 0) {
    close(out_p[0]);
    close(err_p[0]);
    close(sync_p[1]);
    close(msg_p[0]);
    close(st_p[0]);
    if (sc_p[0] >= 0)
      close(sc_p[0]);
    struct tj_supervise_args a = {.caps = res->caps,
                                  .sc_plan = filtered ? &sc_plan : NULL,
                                  .sc_sock = sc_p[1],
                                  .spec = spec,
                                  .plan = plan,
                                  .cg = cg,
                                  .envp = envp,
                                  .forward = forward,
                                  .sync_fd = sync_p[0],
                                  .err_fd = msg_p[1],
                                  .status_fd = st_p[1],
                                  .out_fd = out_p[1],
                                  .errout_fd = err_p[1],
                                  .userns = idmap.active,
                                  .rootless = idmap.rootless && !idmap.sub_count};
    tj_supervise_main(&a);
  }
  /* The sandbox's mount namespace outlives its processes while we hold
   * it, and with it the private /tmp's pages, still charged: the stats can
   * tell how much of an OOM kill's memory was files in it. */
  char nspath[64];
  snprintf(nspath, sizeof(nspath), "/proc/%d/ns/mnt", (int)pid);
  mntns = open(nspath, O_RDONLY | O_CLOEXEC);
  close(out_p[1]);
  close(err_p[1]);
  close(sync_p[0]);
  close(msg_p[1]);
  close(st_p[1]);
  out_p[1] = err_p[1] = sync_p[0] = msg_p[1] = st_p[1] = -1;
  if (sc_p[1] >= 0)
    close(sc_p[1]);
  sc_p[1] = -1;
  scw.sock = steal_fd(&sc_p[0]);
  tj_contain_close_binds(plan); /* PID 1 has its copies */
  if (idmap.active && tj_userns_write_maps(pid, &idmap, &sub) < 0) {
    set_launch(res, TJ_LAUNCH_SETUP_ERROR, sub.msg);
    pidfd_send_signal(pidfd, SIGKILL, NULL, 0); /* it never got the go */
  } else if (write(sync_p[1], "g", 1) != 1) {
    /* PID 1 died before it could start: its status tells the rest. */
  }
  if (spec->wall_timeout_ms > 0)
    arm_timer(wall_tfd, spec->wall_timeout_ms, false);
  sampling_tick(cg, hooks, start);

  struct stream streams[2] = {{.hooks = hooks, .fd = out_p[0], .out = STDOUT_FILENO},
                              {.hooks = hooks, .fd = err_p[0], .out = STDERR_FILENO}};
  out_p[0] = err_p[0] = -1;
  int msg_fd = msg_p[0];
  msg_p[0] = -1;
  bool pid1_done = false;
  scw.streams = streams;
  while (!pid1_done) {
    enum { P_STDOUT, P_STDERR, P_MSG, P_SIGNAL, P_PID1, P_WALL, P_SAMPLE, P_SC_SOCK, P_SC_LISTENER, P_N };
    struct pollfd pfd[P_N] = {
        [P_STDOUT] = {.fd = streams[0].fd, .events = POLLIN},
        [P_STDERR] = {.fd = streams[1].fd, .events = POLLIN},
        [P_MSG] = {.fd = msg_fd, .events = POLLIN},
        [P_SIGNAL] = {.fd = sfd, .events = POLLIN},
        [P_PID1] = {.fd = pidfd, .events = POLLIN},
        [P_WALL] = {.fd = wall_tfd, .events = POLLIN},
        [P_SAMPLE] = {.fd = sample_tfd, .events = POLLIN},
        [P_SC_SOCK] = {.fd = scw.sock, .events = POLLIN},
        [P_SC_LISTENER] = {.fd = scw.listener, .events = POLLIN},
    };
    if (poll(pfd, P_N, -1) < 0) {
      if (errno == EINTR)
        continue;
      break; /* cannot wait any more: kill it all below */
    }
    if (pfd[P_STDOUT].revents)
      pump(res, &streams[0]);
    if (pfd[P_STDERR].revents)
      pump(res, &streams[1]);
    if (pfd[P_MSG].revents)
      read_child_msg(res, &msg_fd);
    if (pfd[P_SIGNAL].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof(si)) == sizeof(si))
        pidfd_send_signal(pidfd, (int)si.ssi_signo, NULL, 0);
    }
    if (pfd[P_WALL].revents) {
      uint64_t ticks;
      if (read(wall_tfd, &ticks, sizeof(ticks)) == sizeof(ticks)) {
        if (!res->timed_out) {
          /* SIGQUIT makes a Go binary print every goroutine's stack,
           * naming the test that hung; the kill follows after the grace. */
          res->timed_out = true;
          pidfd_send_signal(pidfd, SIGQUIT, NULL, 0);
          arm_timer(wall_tfd, spec->grace_ms, false);
        } else {
          res->sent_kill = true;
          pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
        }
      }
    }
    if (pfd[P_SAMPLE].revents) {
      uint64_t ticks;
      if (read(sample_tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
        sampling_tick(cg, hooks, start);
    }
    if ((pfd[P_SC_SOCK].revents || pfd[P_SC_LISTENER].revents) &&
        sc_ready(&scw, pfd[P_SC_SOCK].revents, pfd[P_SC_LISTENER].revents))
      pidfd_send_signal(pidfd, SIGKILL, NULL, 0); /* the profile's kill action: the whole sandbox */
    if (pfd[P_PID1].revents)
      pid1_done = true;
  }
  res->duration_ms = tj_now_ms() - start;
  if (!pid1_done)
    pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
  int ws;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
    ;
  struct tj_status_msg st;
  if (read(st_p[0], &st, sizeof(st)) == (ssize_t)sizeof(st) && st.wstatus != -1) {
    res->status_known = true;
    res->wstatus = st.wstatus;
    res->cpu_ms = st.cpu_ms;
  } else if (res->sent_kill || res->seccomp.killed) {
    /* testjail's own SIGKILL took PID 1 and the workload together. */
    res->status_known = true;
    res->wstatus = SIGKILL;
  }
  sampling_tick(cg, hooks, start);
  if (tj_cg_kill_all(cg, &sub) < 0)
    set_launch(res, TJ_LAUNCH_SETUP_ERROR, sub.msg);
  /* Every writer is gone now: take what is left in the pipes and stop. */
  for (int i = 0; i < 2; i++) {
    if (streams[i].fd >= 0)
      fcntl(streams[i].fd, F_SETFL, O_NONBLOCK);
    while (pump(res, &streams[i]))
      ;
    if (streams[i].fd >= 0) {
      feed_lines(res, &streams[i], NULL, 0, true);
      close(streams[i].fd);
    }
  }
  if (msg_fd >= 0) {
    fcntl(msg_fd, F_SETFL, O_NONBLOCK);
    read_child_msg(res, &msg_fd);
    if (msg_fd >= 0)
      close(msg_fd);
  }
  if (tj_cg_stats(cg, &res->stats, &sub) < 0)
    res->stats = unknown;
  if (mntns >= 0)
    close(steal_fd(&mntns));
  int64_t hits = tj_cg_memory_limit_hits((tj_cgroup *)spec->cg_parent);
  if (parent_hits >= 0 && hits >= parent_hits)
    res->parent_limit_hits = hits - parent_hits;
  /* rusage is scaled from ticks and reads well below the precise runtime
   * the kernel holds against RLIMIT_CPU on a busy machine; the cgroup's
   * counter is that precise runtime (for the whole sandbox). */
  if (res->stats.cpu_usage_us / 1000 > res->cpu_ms)
    res->cpu_ms = res->stats.cpu_usage_us / 1000;
  if (res->status_known && WIFEXITED(res->wstatus) && res->launch == TJ_LAUNCH_OK && !res->timed_out) {
    /* nothing to add */
  }

teardown:
  tj_contain_tmp_dir_clean(plan);
  if (tj_cg_destroy(cg, &sub) < 0 && rc == 0)
    set_launch(res, TJ_LAUNCH_SETUP_ERROR, sub.msg);
  int fds[] = {out_p[0], out_p[1], err_p[0],   err_p[1], sync_p[0], sync_p[1], msg_p[0], msg_p[1],     st_p[0], st_p[1],
               sfd,      wall_tfd, sample_tfd, pidfd,    sc_p[0],   sc_p[1],   scw.sock, scw.listener, mntns};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(fds); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  if (sfd >= 0 || wall_tfd >= 0) {
    /* Drop what arrived while blocked rather than let it hit us now. */
    struct timespec zero = {0};
    while (sigtimedwait(&forward, NULL, &zero) > 0)
      ;
  }
  sigprocmask(SIG_SETMASK, &old_mask, NULL);
  return rc;
}

int tj_run_tail_lines(const struct tj_run_result *res, int max_lines, char ***lines) {
  size_t len = res->tail_wrapped ? TJ_TAIL_BYTES : res->tail_pos;
  size_t begin = res->tail_wrapped ? res->tail_pos : 0;
  char *flat = malloc(len + 1);
  if (!flat)
    return -ENOMEM;
  for (size_t i = 0; i < len; i++)
    flat[i] = res->tail[(begin + i) % TJ_TAIL_BYTES];
  flat[len] = 0;
  while (len && flat[len - 1] == '\n')
    flat[--len] = 0;
  char **out = calloc((size_t)max_lines + 1, sizeof(char *));
  if (!out) {
    free(flat);
    return -ENOMEM;
  }
  int n = 0;
  size_t end = len;
  /* Walk back from the end; a first line cut by the ring is dropped. */
  while (n < max_lines && end > 0) {
    size_t s = end;
    while (s > 0 && flat[s - 1] != '\n')
      s--;
    if (s == 0 && res->tail_wrapped)
      break;
    out[n++] = strndup(flat + s, end - s);
    end = s ? s - 1 : 0;
  }
  for (int i = 0; i < n / 2; i++) {
    char *t = out[i];
    out[i] = out[n - 1 - i];
    out[n - 1 - i] = t;
  }
  free(flat);
  *lines = out;
  return n;
}
