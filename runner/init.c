#include "init.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/contain.h"
#include "common/parse.h"
#include "report/report.h"
#include "common/rlimit.h"
#include "common/caps.h"
#include "seccomp/seccomp.h"
#include "sandbox/evidence.h"
#include "sandbox/preexec.h"
#include "sandbox/supervise.h"
#include "common/util.h"
#include "go/gowatch.h"
#include "common/error.h"

extern char **environ;

/* After the SIGKILL, how long a process stuck in the kernel may keep init
 * from exiting. */
#define KILL_BACKSTOP_MS 10000
/* Low enough that the OOM killer takes the workload first, not -1000:
 * init stays killable when nothing else is left. */
#define INIT_OOM_SCORE_ADJ "-999"

/* ---- pure parts ---------------------------------------------------------- */

void tj_init_spec_defaults(struct tj_init_spec *spec) {
  memset(spec, 0, sizeof(*spec));
  tj_spec_defaults(&spec->sandbox);
  spec->sandbox.grace_ms = TJ_INIT_GRACE_MS;
  for (int i = 0; i < TJ_INIT_NSIG; i++)
    spec->rewrite[i] = -1;
}

int tj_init_parse_signal(const char *s, bool allow_zero, int *sig, tj_error *err) {
  int64_t n;
  tj_error sub = {0};
  const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  if (isdigit((unsigned char)*s)) {
    if (tj_parse_int(s, allow_zero ? 0 : 1, SIGRTMAX, &n, &sub) == 0) {
      *sig = (int)n;
      return 0;
    }
  } else if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
    bool max = toupper((unsigned char)name[3]) == 'A';
    n = 0;
    if (!name[5] || (name[5] == (max ? '-' : '+') && tj_parse_int(name + 6, 0, SIGRTMAX - SIGRTMIN, &n, &sub) == 0)) {
      *sig = max ? SIGRTMAX - (int)n : SIGRTMIN + (int)n;
      return 0;
    }
  } else if (*name) {
    for (int i = 1; i < SIGRTMIN; i++) {
      const char *a = sigabbrev_np(i);
      if (a && strcasecmp(a, name) == 0) {
        *sig = i;
        return 0;
      }
    }
  }
  return tj_error_set(err, 0, "unknown signal '%s': expected a name (TERM, SIGTERM, RTMIN+1) or a number from %d to %d",
                      s, allow_zero ? 0 : 1, SIGRTMAX);
}

int tj_init_parse_rewrite(const char *arg, struct tj_init_spec *spec, tj_error *err) {
  const char *colon = strchr(arg, ':');
  char from[32];
  if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(from) || !colon[1])
    return tj_error_set(err, 0, "invalid --rewrite '%s': expected FROM:TO, e.g. TERM:QUIT or 15:3 (TO 0 drops FROM)",
                        arg);
  memcpy(from, arg, (size_t)(colon - arg));
  from[colon - arg] = '\0';
  int f, t;
  tj_error sub = {0};
  if (tj_init_parse_signal(from, false, &f, &sub) < 0 || tj_init_parse_signal(colon + 1, true, &t, &sub) < 0)
    return tj_error_set(err, 0, "invalid --rewrite '%s': %s", arg, sub.msg);
  if (f == SIGKILL || f == SIGSTOP || f == SIGCHLD)
    return tj_error_set(err, 0, "invalid --rewrite '%s': %s", arg,
                        f == SIGCHLD ? "SIGCHLD is init's own, never forwarded"
                                     : "SIGKILL and SIGSTOP cannot be caught");
  spec->rewrite[f] = t;
  return 0;
}

static int64_t min_limit(int64_t a, int64_t b) {
  if (a < 0)
    return b;
  if (b < 0)
    return a;
  return a < b ? a : b;
}

static int64_t delta(int64_t before, int64_t after) { return before < 0 || after < 0 ? -1 : after - before; }

/* A counter seen twice, in the workload's cgroup and as the growth of the
 * container's: v2 counts events up the tree and v1 where they happened, so
 * the larger one never counts a kill twice. */
static int64_t either(int64_t a, int64_t b) { return a > b ? a : b; }

/* "64.0MiB": a size without the space, for key=value figures. */
static void figure_size(int64_t bytes, char *buf, size_t len) {
  if (bytes < 0) {
    snprintf(buf, len, "%s", bytes == -1 ? "?" : "none");
    return;
  }
  char tmp[32];
  tj_format_size(bytes, tmp, sizeof(tmp));
  size_t k = 0;
  for (const char *p = tmp; *p && k + 1 < len; p++)
    if (*p != ' ')
      buf[k++] = *p;
  buf[k] = '\0';
}

static void figure_int(int64_t v, const char *unknown, char *buf, size_t len) {
  if (v < 0)
    snprintf(buf, len, "%s", unknown);
  else
    snprintf(buf, len, "%" PRId64, v);
}

int tj_init_verdict(const struct tj_init_spec *spec, const struct tj_init_result *res, struct tj_verdict *v) {
  const struct tj_run_result *run = &res->run;
  struct tj_evidence ev = tj_run_evidence(&spec->sandbox, run,
                                          /* only a Go test binary's -test.v stream is read; any other
                                           * output goes straight to the container's */
                                          res->go_watched ? &run->notes : NULL);
  ev.memory_limit = res->memory_limit; /* the container's, when it set none */
  ev.pids_limit = res->pids_limit;
  ev.private_tmp = false; /* the container's own /tmp */
  char sc_summary[400];
  tj_run_seccomp_evidence(run, &ev, sc_summary, sizeof(sc_summary));
  int code = tj_run_transparent_verdict(run, &ev, sc_summary, v);
  if (res->container_known) {
    const struct tj_cg_self *b = &res->before, *a = &res->after;
    if (a->oom_kills >= 0 && b->oom_kills >= 0 && v->n_evidence < TJ_MAX_EVIDENCE)
      snprintf(v->evidence[v->n_evidence++], sizeof(v->evidence[0]),
               "container cgroup oom_kill %" PRId64 " -> %" PRId64, b->oom_kills, a->oom_kills);
    if (a->pids_limit_hits >= 0 && b->pids_limit_hits >= 0 && v->n_evidence < TJ_MAX_EVIDENCE)
      snprintf(v->evidence[v->n_evidence++], sizeof(v->evidence[0]),
               "container cgroup pids.events max %" PRId64 " -> %" PRId64, b->pids_limit_hits, a->pids_limit_hits);
  }
  if (res->killed_after_grace > 0 && v->n_evidence < TJ_MAX_EVIDENCE)
    snprintf(v->evidence[v->n_evidence++], sizeof(v->evidence[0]),
             "%d leftover process(es) killed after the %.3gs grace", res->killed_after_grace,
             (double)spec->sandbox.grace_ms / 1000);
  return code;
}

void tj_init_message(const struct tj_init_result *res, const struct tj_verdict *v, int code, char *buf, size_t len) {
  const struct tj_run_result *run = &res->run;
  const struct tj_cg_stats *st = &run->stats;
  char sig[16] = "none", mlim[32], mpeak[32], oom[24], plim[24], phits[24];
  if (run->status_known && WIFSIGNALED(run->wstatus)) {
    const char *a = sigabbrev_np(WTERMSIG(run->wstatus));
    snprintf(sig, sizeof(sig), "SIG%s", a ? a : "?");
  }
  figure_size(res->memory_limit < 0 ? -2 : res->memory_limit, mlim, sizeof(mlim));
  figure_size(st->memory_peak_bytes, mpeak, sizeof(mpeak));
  figure_int(st->oom_kills, "?", oom, sizeof(oom));
  figure_int(res->pids_limit, "none", plim, sizeof(plim));
  figure_int(st->pids_limit_hits, "?", phits, sizeof(phits));
  char where[32] = "none";
  if (res->own_cgroup || res->container_known)
    snprintf(where, sizeof(where), "%s/%s", tj_cg_mode_name(res->own_cgroup ? res->run.cg_mode : res->after.mode),
             res->own_cgroup ? "workload" : "container");
  int n = snprintf(buf, len,
                   "%s\noutcome=%s exit_code=%d signal=%s duration=%.3gs memory_limit=%s memory_peak=%s "
                   "oom_kills=%s pids_limit=%s pids_limit_hits=%s cgroup=%s\n",
                   v->diagnosis, v->outcome_name, code, sig, (double)run->duration_ms / 1000, mlim, mpeak, oom, plim,
                   phits, where);
  if (n > 0 && (size_t)n < len && res->killed_after_grace > 0)
    snprintf(buf + n - 1, len - (size_t)n + 1, " leftovers_killed=%d\n", res->killed_after_grace);
}

/* ---- files ------------------------------------------------------------- */

const char *tj_init_termination_path(const struct tj_init_spec *spec) {
  if (spec->termination_log)
    return spec->termination_log;
  return access(TJ_TERMINATION_LOG, F_OK) == 0 ? TJ_TERMINATION_LOG : NULL;
}

static int check_writable(const char *opt, const char *path, tj_error *err) {
  if (access(path, W_OK) == 0)
    return 0;
  if (errno != ENOENT)
    return tj_error_set(err, errno, "%s %s", opt, path);
  char copy[PATH_MAX];
  snprintf(copy, sizeof(copy), "%s", path);
  const char *dir = dirname(copy);
  if (access(dir, W_OK | X_OK) < 0)
    return tj_error_set(err, errno, "%s %s: directory %s", opt, path, dir);
  return 0;
}

int tj_init_check_paths(const struct tj_init_spec *spec, tj_error *err) {
  if (spec->termination_log && check_writable("--termination-log", spec->termination_log, err) < 0)
    return -EINVAL;
  if (spec->sandbox.report_path && check_writable("--report", spec->sandbox.report_path, err) < 0)
    return -EINVAL;
  return 0;
}

int tj_init_write_termination_log(const char *path, const char *msg, tj_error *err) {
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0)
    return tj_error_set(err, errno, "writing the termination message %s", path);
  size_t n = strnlen(msg, TJ_TERMINATION_MAX);
  while (n > 0) {
    ssize_t w = write(fd, msg, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return tj_error_set(err, errno, "writing the termination message %s", path);
    msg += w;
    n -= (size_t)w;
  }
  return 0;
}

static json_t *int_or_null(int64_t v) { return v < 0 ? json_null() : json_integer(v); }

static json_t *self_json(const struct tj_cg_self *s) {
  json_t *o = json_object();
  json_object_set_new(o, "memory_limit_bytes", int_or_null(s->memory_limit));
  json_object_set_new(o, "memory_peak_bytes", int_or_null(s->memory_peak));
  json_object_set_new(o, "oom_kills", int_or_null(s->oom_kills));
  json_object_set_new(o, "memory_max_events", int_or_null(s->memory_max_events));
  json_object_set_new(o, "pids_limit", int_or_null(s->pids_limit));
  json_object_set_new(o, "pids_current", int_or_null(s->pids_current));
  json_object_set_new(o, "pids_limit_hits", int_or_null(s->pids_limit_hits));
  return o;
}

json_t *tj_init_report(const struct tj_init_spec *spec, const struct tj_init_result *res, const struct tj_verdict *v,
                       int code) {
  struct tj_spec in_force = spec->sandbox;
  in_force.memory_bytes = res->memory_limit;
  in_force.pids = res->pids_limit;
  struct utsname u;
  uname(&u);
  struct tj_host host = {.cgroup = res->container_known ? tj_cg_mode_name(res->after.mode) : NULL, .kernel = u.release};
  json_t *top = tj_report_top("init", v, code, &host, tj_report_run(&in_force, &res->run, v));
  if (!res->own_cgroup && res->container_known && res->after.memory_dir[0])
    json_object_set_new(top, "cgroup", json_string(res->after.memory_dir));

  json_t *init = json_object();
  json_object_set_new(init, "pid1", json_boolean(res->pid1));
  json_object_set_new(init, "single_child", json_boolean(spec->single_child));
  json_object_set_new(init, "workload_cgroup", res->own_cgroup ? json_string(res->run.cgroup_path) : json_null());
  json_object_set_new(init, "workload_cgroup_why_not", res->own_cgroup ? json_null() : json_string(res->no_cgroup_why));
  json_t *c = json_object();
  if (res->container_known) {
    json_object_set_new(c, "memory", res->after.memory_dir[0] ? json_string(res->after.memory_dir) : json_null());
    json_object_set_new(c, "pids", res->after.pids_dir[0] ? json_string(res->after.pids_dir) : json_null());
    json_object_set_new(c, "before", self_json(&res->before));
    json_object_set_new(c, "after", self_json(&res->after));
  }
  json_object_set_new(init, "container_cgroup", res->container_known ? c : (json_decref(c), json_null()));
  json_object_set_new(init, "grace_ms", json_integer(spec->sandbox.grace_ms));
  json_object_set_new(init, "leftovers", int_or_null(res->leftovers));
  json_object_set_new(init, "leftovers_killed", json_integer(res->killed_after_grace));
  json_object_set_new(init, "drain_ms", json_integer(res->drain_ms));
  const char *tlog = tj_init_termination_path(spec);
  json_object_set_new(init, "termination_log", tlog ? json_string(tlog) : json_null());
  json_object_set_new(top, "init", init);
  return top;
}

/* ---- the process side ---------------------------------------------------- */

int tj_init_become_reaper(bool *pid1, tj_error *err) {
  *pid1 = getpid() == 1;
  if (!*pid1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    return tj_error_set(err, errno, "prctl(PR_SET_CHILD_SUBREAPER)");
  return 0;
}

enum phase { RUNNING, DRAINING, KILLING, DONE };

struct init_state {
  const struct tj_init_spec *spec;
  struct tj_init_result *res;
  bool pid1;
  pid_t child; /* the workload; 0 once reaped */
  pid_t pgid;  /* its process group (its own pid) */
  int pidfd;
  int tfd;
  enum phase phase;
  bool ignore_hup, ignore_cont; /* the pair that our TIOCNOTTY sends us */
  int64_t start_ms, exit_ms;
  const struct tj_sc_plan *sc_plan; /* NULL: no filter */
  int sc_sock, sc_listener;         /* -1 when none */
  int out_fd;                       /* the Go test binary's stdout; -1 when none or at its end */
  struct tj_gowatch *watch;
};

static void arm(int tfd, int64_t ms) {
  struct itimerspec its = {0};
  its.it_value.tv_sec = ms / 1000;
  its.it_value.tv_nsec = (ms % 1000) * 1000000 + (ms == 0);
  timerfd_settime(tfd, 0, &its, NULL);
}

static ssize_t read_file(const char *path, char *buf, size_t size) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n;
  do
    n = read(fd, buf, size - 1);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;
  buf[n] = '\0';
  return n;
}

/* Every live (not zombie) descendant of ours, from the ppid links in /proc:
 * the processes the workload may leave behind. -1 without a /proc of our
 * own pid namespace. */
static int descendants(pid_t **out) {
  *out = NULL;
  /* A /proc of another pid namespace (the host's, under `unshare --pid`
   * without --mount-proc) would name other processes with our pids. */
  char link[32];
  ssize_t len = readlink("/proc/self", link, sizeof(link) - 1);
  if (len <= 0 || (link[len] = '\0', atol(link) != (long)getpid()))
    return -1;
  _cleanup_closedir_ DIR *d = opendir("/proc");
  if (!d)
    return -1;
  struct link {
    pid_t pid, ppid;
    bool zombie;
  };
  _cleanup_free_ struct link *all = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    char *end, path[64], buf[512];
    long pid = strtol(de->d_name, &end, 10);
    if (*end || pid <= 0)
      continue;
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (read_file(path, buf, sizeof(buf)) <= 0)
      continue;
    const char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
    char state;
    int ppid;
    if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 256;
      struct link *na = realloc(all, cap * sizeof(*all));
      if (!na)
        return -1;
      all = na;
    }
    all[n++] = (struct link){(pid_t)pid, (pid_t)ppid, state == 'Z' || state == 'X'};
  }
  pid_t *found = calloc(n + 1, sizeof(*found));
  if (!found)
    return -1;
  size_t nf = 0;
  bool *taken = calloc(n + 1, sizeof(*taken));
  if (!taken) {
    free(found);
    return -1;
  }
  /* Breadth first from us: found[] doubles as the queue of parents. */
  pid_t self = getpid();
  for (size_t q = 0;; q++) {
    pid_t parent = q == 0 ? self : found[q - 1];
    for (size_t i = 0; i < n; i++)
      if (!taken[i] && all[i].ppid == parent) {
        taken[i] = true;
        found[nf++] = all[i].pid;
      }
    if (q >= nf)
      break;
  }
  size_t live = 0;
  for (size_t k = 0; k < nf; k++)
    for (size_t i = 0; i < n; i++)
      if (all[i].pid == found[k] && !all[i].zombie)
        found[live++] = found[k];
  free(taken);
  *out = found;
  return (int)live;
}

/* What is left of the workload: its process group, when the id cannot
 * have been reused (the leader is not reaped yet, or the whole pid
 * namespace is ours), and every descendant. Returns how many descendants
 * got sig; -1 when /proc cannot tell (no /proc in a FROM scratch image):
 * then PID 1 signals its whole namespace, and a subreaper can reach only
 * the process group. */
static int signal_leftovers(struct init_state *s, int sig) {
  pid_t *d;
  int n = descendants(&d);
  if (n < 0) {
    kill(s->pid1 ? -1 : -s->pgid, sig);
    return -1;
  }
  if (s->child || s->pid1)
    kill(-s->pgid, sig);
  for (int i = 0; i < n; i++)
    kill(d[i], sig);
  free(d);
  return n;
}

/* Reap every zombie: the workload's status when it is among them. Returns
 * whether children are left. */
static bool reap(struct init_state *s) {
  for (;;) {
    int ws;
    struct rusage ru;
    pid_t p = wait4(-1, &ws, WNOHANG, &ru);
    if (p > 0) {
      if (p == s->child) {
        s->res->run.status_known = true;
        s->res->run.wstatus = ws;
        s->res->run.cpu_ms = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                             (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
        s->child = 0;
        s->exit_ms = tj_now_ms();
        if (s->pidfd >= 0)
          close(s->pidfd);
        s->pidfd = -1;
      }
      continue;
    }
    if (p < 0 && errno == EINTR)
      continue;
    return p == 0 || errno != ECHILD;
  }
}

static void to_workload(struct init_state *s, int sig, bool group) {
  if (!s->child)
    return;
  if (group && kill(-s->pgid, sig) == 0)
    return;
  if (s->pidfd < 0 || pidfd_send_signal(s->pidfd, sig, NULL, 0) < 0)
    kill(s->child, sig);
}

static void on_signal(struct init_state *s, int sig, int code, pid_t sender) {
  if (sig == SIGCHLD || sig <= 0 || sig >= TJ_INIT_NSIG)
    return;
  /* Raised by the kernel for a write of our own (SIGPIPE, SIGXFSZ): ours,
   * not the workload's. */
  if (code == SI_USER && sender == getpid())
    return;
  if ((sig == SIGHUP && s->ignore_hup) || (sig == SIGCONT && s->ignore_cont)) {
    *(sig == SIGHUP ? &s->ignore_hup : &s->ignore_cont) = false;
    return;
  }
  bool tty_stop = sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
  int to = s->spec->rewrite[sig] >= 0 ? s->spec->rewrite[sig] : sig;
  /* The workload's own session makes its process group orphaned, and the
   * kernel drops a stop signal's default action there: send SIGSTOP, as
   * dumb-init does. */
  if (tty_stop && !s->spec->single_child && s->spec->rewrite[sig] < 0)
    to = SIGSTOP;
  if (s->phase != RUNNING) {
    if (to)
      signal_leftovers(s, to);
    return;
  }
  if (to)
    to_workload(s, to, !s->spec->single_child);
  /* dumb-init: the job that runs init stops too, as the terminal's user
   * expects. The kernel ignores this for PID 1. */
  if (tty_stop)
    kill(getpid(), SIGSTOP);
}

static void on_timer(struct init_state *s) {
  uint64_t ticks;
  if (read(s->tfd, &ticks, sizeof(ticks)) != sizeof(ticks))
    return;
  struct tj_run_result *run = &s->res->run;
  switch (s->phase) {
  case RUNNING:
    if (!run->timed_out) {
      /* SIGQUIT first: a Go binary prints every goroutine's stack. */
      run->timed_out = true;
      to_workload(s, SIGQUIT, !s->spec->single_child);
      arm(s->tfd, s->spec->sandbox.grace_ms);
    } else {
      run->sent_kill = true;
      to_workload(s, SIGKILL, true);
      signal_leftovers(s, SIGKILL);
    }
    break;
  case DRAINING: {
    int n = signal_leftovers(s, SIGKILL);
    s->res->killed_after_grace = n < 0 ? 1 : n;
    s->phase = KILLING;
    arm(s->tfd, KILL_BACKSTOP_MS);
    break;
  }
  case KILLING:
    snprintf(s->res->note, sizeof(s->res->note),
             "processes left by the workload still there %d s after SIGKILL (%s); "
             "exiting anyway",
             KILL_BACKSTOP_MS / 1000,
             s->pid1 || access("/proc/self", F_OK) == 0
                 ? "stuck in the kernel?"
                 : "without /proc a subreaper finds only the workload's process group");
    s->phase = DONE;
    break;
  case DONE:
    break;
  }
}

/* The workload has exited: SIGTERM (and SIGCONT, for stopped ones) to
 * what it left, SIGKILL after the grace. */
static void start_drain(struct init_state *s, bool children_left) {
  if (!children_left) {
    s->phase = DONE;
    return;
  }
  int n = signal_leftovers(s, SIGTERM);
  signal_leftovers(s, SIGCONT);
  s->res->leftovers = n;
  s->phase = DRAINING;
  arm(s->tfd, s->spec->sandbox.grace_ms);
}

/* The workload's filter: its listener arrives on sc_sock, then each denied
 * syscall is answered here as the profile says; a kill action kills the
 * workload's process group. */
static void on_seccomp(struct init_state *s, short sock_events, short listener_events) {
  if (sock_events && s->sc_sock >= 0) {
    s->sc_listener = tj_sc_recv_listener(s->sc_sock);
    close(s->sc_sock);
    s->sc_sock = -1;
  }
  if (s->sc_listener < 0 || !listener_events)
    return;
  int r = (listener_events & POLLIN) ? tj_sc_handle(s->sc_listener, s->sc_plan, &s->res->run.seccomp, NULL, NULL) : -1;
  if (r < 0) {
    close(s->sc_listener);
    s->sc_listener = -1;
  } else if (r == 1 && s->child) {
    kill(-s->pgid, SIGKILL);
    kill(s->child, SIGKILL);
  }
}

/* Pass what the Go test binary wrote on to our stdout, unchanged, and
 * read it on the way. Returns false at its end (or nothing to read now). */
static bool pass_output(struct init_state *s) {
  char buf[65536];
  if (s->out_fd < 0)
    return false;
  ssize_t n = read(s->out_fd, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return false;
  if (n <= 0) {
    close(s->out_fd);
    s->out_fd = -1;
    return false;
  }
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break; /* nobody reads us: keep draining the workload all the same */
    off += w;
  }
  tj_gowatch_feed(s->watch, buf, (size_t)n);
  return true;
}

enum { POLL_SIGNAL, POLL_TIMER, POLL_PIDFD, POLL_SC_SOCK, POLL_SC_LISTENER, POLL_OUTPUT, POLL_N };

static void loop(struct init_state *s, int sfd, const sigset_t *all) {
  bool children_left = reap(s);
  if (!s->child)
    start_drain(s, children_left);
  while (s->phase != DONE) {
    struct pollfd pfd[POLL_N] = {
        [POLL_SIGNAL] = {.fd = sfd, .events = POLLIN},
        [POLL_TIMER] = {.fd = s->tfd, .events = POLLIN},
        [POLL_PIDFD] = {.fd = s->pidfd, .events = POLLIN},
        [POLL_SC_SOCK] = {.fd = s->sc_sock, .events = POLLIN},
        [POLL_SC_LISTENER] = {.fd = s->sc_listener, .events = POLLIN},
        [POLL_OUTPUT] = {.fd = s->out_fd, .events = POLLIN},
    };
    if (poll(pfd, POLL_N, -1) < 0) {
      if (errno == EINTR)
        continue;
      /* poll itself failed (ENOMEM): wait for one signal the plain way
       * rather than spin or give up on the workload. */
      siginfo_t si;
      if (sigwaitinfo(all, &si) > 0)
        on_signal(s, si.si_signo, si.si_code, si.si_pid);
    }
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
      on_signal(s, (int)si.ssi_signo, si.ssi_code, (pid_t)si.ssi_pid);
    if (pfd[POLL_TIMER].revents & POLLIN)
      on_timer(s);
    if (pfd[POLL_SC_SOCK].revents || pfd[POLL_SC_LISTENER].revents)
      on_seccomp(s, pfd[POLL_SC_SOCK].revents, pfd[POLL_SC_LISTENER].revents);
    if (pfd[POLL_OUTPUT].revents)
      pass_output(s);
    bool was_running = s->child != 0;
    children_left = reap(s);
    if (was_running && !s->child) {
      struct itimerspec off = {0}; /* the wall clock stops with the workload */
      timerfd_settime(s->tfd, 0, &off, NULL);
      start_drain(s, children_left);
    } else if (s->phase == KILLING && children_left) {
      signal_leftovers(s, SIGKILL); /* what forked since the last round */
    }
    if ((s->phase == DRAINING || s->phase == KILLING) && !children_left)
      s->phase = DONE;
  }
}

/* ---- the workload's side of the fork --------------------------------------- */

struct child_args {
  const struct tj_init_spec *spec;
  const char *exe;
  const tj_cgroup *cg;
  int msg_fd;
  const char *oom_score_adj; /* to restore; "" when init kept its own */
  uint64_t caps;
  bool caps_asked; /* --cap-add/--cap-drop or a profile list: else caps stay */
  const struct tj_sc_plan *sc_plan;
  int sc_sock;
  int out_fd; /* its stdout, or -1: the container's */
};

static _Noreturn void run_child(const struct child_args *c) {
  const struct tj_spec *spec = &c->spec->sandbox;
  if (!c->spec->single_child) {
    /* Its own session (dumb-init): signals reach everything it starts, and
     * it takes the terminal, if any, for job control inside. */
    if (setsid() < 0) {
      tj_child_msg_send(c->msg_fd, TJ_MSG_SETUP, errno, "setsid for the workload: %s", strerror(errno));
      _exit(TJ_EXIT_USAGE);
    }
    ioctl(STDIN_FILENO, TIOCSCTTY, 0);
  } else {
    /* Its own process group, in the foreground of the terminal if any
     * (tini); SIGTTOU is still blocked here, so tcsetpgrp cannot stop us. */
    setpgid(0, 0);
    tcsetpgrp(STDIN_FILENO, getpgrp());
  }
  if (c->cg && tj_cg_enter(c->cg) < 0) {
    tj_child_msg_send(c->msg_fd, TJ_MSG_SETUP, errno, "moving the workload into %s: %s", tj_cg_path(c->cg),
                      strerror(errno));
    _exit(TJ_EXIT_USAGE);
  }
  if (c->out_fd >= 0 && dup2(c->out_fd, STDOUT_FILENO) < 0) {
    tj_child_msg_send(c->msg_fd, TJ_MSG_SETUP, errno, "stdout for the workload: %s", strerror(errno));
    _exit(TJ_EXIT_USAGE);
  }
  if (c->oom_score_adj[0]) {
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      if (write(fd, c->oom_score_adj, strlen(c->oom_score_adj)) < 0) {
        /* stays at init's value: the workload is then as protected as init */
      }
      close(fd);
    }
  }
  /* Capabilities, then seccomp, last before exec: the steps above need
   * syscalls a profile may deny. Without --cap-add/--cap-drop (or a
   * profile's list) the container's set stays, as under tini; a non-root
   * init has nothing to drop. */
  struct tj_preexec p = {.rlimits = &spec->rlimits,
                         .drop_caps = geteuid() == 0 && c->caps_asked,
                         .caps = c->caps,
                         .preserve_fds = spec->preserve_fds,
                         .sc_plan = c->sc_plan,
                         .sc_sock = c->sc_sock,
                         .msg_fd = c->msg_fd,
                         .exe = c->exe,
                         .argv = spec->argv,
                         .envp = environ};
  tj_preexec_run(&p);
}

static pid_t spawn(const struct child_args *c, int cgfd, int *pidfd) {
  struct clone_args ca = {.flags = CLONE_PIDFD, .pidfd = (uint64_t)(uintptr_t)pidfd, .exit_signal = SIGCHLD};
  if (cgfd >= 0) {
    ca.flags |= CLONE_INTO_CGROUP;
    ca.cgroup = (uint64_t)cgfd;
  }
  pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
  if (pid < 0 && cgfd >= 0) {
    ca.flags &= ~(uint64_t)CLONE_INTO_CGROUP; /* the child moves itself (tj_cg_enter) */
    pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
  }
  if (pid < 0 && errno == ENOSYS) {
    *pidfd = -1; /* before Linux 5.3: SIGCHLD alone says when it exits */
    pid = fork();
  }
  if (pid == 0)
    run_child(c);
  return pid;
}

/* Read what the child says before exec; EOF: the exec succeeded. */
static void read_launch(struct tj_run_result *run, int fd) {
  struct tj_child_msg m;
  ssize_t n;
  do
    n = read(fd, &m, sizeof(m));
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)sizeof(m))
    return;
  m.text[sizeof(m.text) - 1] = '\0';
  if (m.kind == TJ_MSG_EXEC)
    run->launch = m.err == ENOENT ? TJ_LAUNCH_NOT_FOUND : TJ_LAUNCH_NOT_EXECUTABLE;
  else
    run->launch = TJ_LAUNCH_SETUP_ERROR;
  snprintf(run->message, sizeof(run->message), "%s", m.text);
}

/* Lower our OOM score so that the OOM killer takes the workload, not init,
 * when the container's memory runs out (without a child cgroup nothing
 * else separates them). Needs CAP_SYS_RESOURCE; without it nothing
 * changes. orig gets the value the workload should have back, or "". */
static void protect_from_oom(char *orig, size_t len) {
  orig[0] = '\0';
  char cur[32];
  if (read_file("/proc/self/oom_score_adj", cur, sizeof(cur)) <= 0)
    return;
  cur[strcspn(cur, "\n")] = '\0';
  if (atoi(cur) <= atoi(INIT_OOM_SCORE_ADJ))
    return;
  _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd >= 0 && write(fd, INIT_OOM_SCORE_ADJ, strlen(INIT_OOM_SCORE_ADJ)) > 0)
    snprintf(orig, len, "%s", cur);
}

static void restore_oom(const char *orig) {
  if (!orig[0])
    return;
  _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd >= 0 && write(fd, orig, strlen(orig)) < 0) {
    /* we keep the lower score; we exit right after */
  }
}

/* What the termination message says if testjail never gets to write its
 * own: when a SIGKILL from outside or an OOM kill of the whole container
 * (memory.oom.group=1, the kubelet's default on cgroup v2 since 1.28) takes
 * init with the workload. Overwritten at the end. */
static void write_premortem(const struct tj_init_spec *spec, const struct tj_init_result *res) {
  const char *path = tj_init_termination_path(spec);
  if (!path)
    return;
  char lim[32], msg[512];
  figure_size(res->memory_limit < 0 ? -2 : res->memory_limit, lim, sizeof(lim));
  bool group = res->container_known && res->before.oom_group == 1;
  snprintf(msg, sizeof(msg),
           "killed together with testjail init while %s ran: %s\n"
           "outcome=killed_with_init memory_limit=%s oom_group=%s\n",
           spec->sandbox.argv[0],
           group ? "an OOM kill of the whole container (memory.oom.group=1) if the reason is OOMKilled, else a "
                   "SIGKILL from outside"
                 : "a SIGKILL from outside (or the OOM killer picked init)",
           lim,
           group                                                ? "1"
           : res->container_known && res->before.oom_group == 0 ? "0"
                                                                : "?");
  tj_init_write_termination_log(path, msg, NULL);
}

static bool has_memory(tj_cgroup *cg) {
  struct tj_cg_stats st;
  return tj_cg_stats(cg, &st, NULL) == 0 && st.memory_current_bytes >= 0;
}

static void merge_counters(struct tj_init_result *res, const struct tj_cg_stats *cg) {
  struct tj_cg_stats *st = &res->run.stats;
  const struct tj_cg_self *b = &res->before, *a = &res->after;
  *st = *cg;
  if (!res->container_known)
    return;
  st->oom_kills = either(cg->oom_kills, delta(b->oom_kills, a->oom_kills));
  st->pids_limit_hits = either(cg->pids_limit_hits, delta(b->pids_limit_hits, a->pids_limit_hits));
  if (st->memory_max_events < 0)
    st->memory_max_events = delta(b->memory_max_events, a->memory_max_events);
  /* Without a cgroup of its own the workload's peak is the container's. */
  if (st->memory_peak_bytes < 0)
    st->memory_peak_bytes = a->memory_peak;
}

/* The filter's plan and the socket its listener comes back on; no socket
 * (sc_p[0] -1) when unconfined. */
static int init_seccomp(const struct tj_init_spec *spec, struct tj_init_result *res, struct tj_sc_plan *plan,
                        int sc_p[2], tj_error *err) {
  const struct tj_sc_policy *p = spec->sandbox.seccomp_policy;
  struct tj_sc_result *r = &res->run.seccomp;
  snprintf(r->profile, sizeof(r->profile), "%s", !p || p->unconfined ? "unconfined" : p->name ? p->name : "custom");
  if (!p || p->unconfined)
    return 0;
  struct tj_sc_env env;
  tj_sc_env_here(&env, res->run.caps);
  if (tj_sc_plan_init(plan, p, &env, err) < 0)
    return -1;
  snprintf(r->trapped, sizeof(r->trapped), "%s", plan->trapped);
  snprintf(r->cache, sizeof(r->cache), "%s", tj_sc_cache_name(plan->cache));
  for (size_t i = 0; i < plan->n_skipped; i++)
    snprintf(r->skipped[r->n_skipped++], sizeof(r->skipped[0]), "%s", plan->skipped[i]);
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sc_p) < 0)
    return tj_error_set(err, errno, "socketpair for the seccomp listener");
  return 0;
}

static bool caps_asked(const struct tj_spec *sb) { return sb->cap_add || sb->cap_drop || sb->n_profile_caps; }

/* The result before the run: the limits asked for, nothing measured yet. */
static void result_start(const struct tj_init_spec *spec, struct tj_init_result *res) {
  memset(res, 0, sizeof(*res));
  const struct tj_cg_stats unknown = TJ_CG_STATS_UNKNOWN;
  res->run.cpu_ms = -1;
  res->run.stats = unknown;
  res->leftovers = 0;
  res->memory_limit = spec->sandbox.memory_bytes;
  res->pids_limit = spec->sandbox.pids;
  res->pid1 = getpid() == 1;
  const struct tj_spec *sb = &spec->sandbox;
  res->run.caps = caps_asked(sb) ? tj_spec_caps(sb) : tj_caps_effective();
}

/* The workload's executable into exe; false, with the launch failure in
 * res, when there is none to run. */
static bool resolve_workload(const struct tj_init_spec *spec, struct tj_init_result *res, char *exe, size_t len) {
  tj_error sub = {0};
  switch (tj_resolve_command(spec->sandbox.argv[0], environ, exe, len, &sub)) {
  case TJ_RESOLVE_OK:
    return true;
  case TJ_RESOLVE_NOT_FOUND:
    res->run.launch = TJ_LAUNCH_NOT_FOUND;
    break;
  case TJ_RESOLVE_NOT_EXECUTABLE:
    res->run.launch = TJ_LAUNCH_NOT_EXECUTABLE;
    break;
  }
  snprintf(res->run.message, sizeof(res->run.message), "%s", sub.msg);
  return false;
}

/* A child cgroup where the tree is writable: an OOM kill then takes the
 * workload, and its counters are the workload's alone. Asked-for limits
 * need it; otherwise a read-only tree (the Kubernetes default) only
 * means the container's counters must do (*cg NULL). */
static int workload_cgroup(const struct tj_init_spec *spec, struct tj_init_result *res, tj_cgroup **cg, tj_error *err) {
  const struct tj_spec *sp = &spec->sandbox;
  bool limits = sp->memory_bytes >= 0 || sp->pids >= 0 || sp->cpu_quota_us >= 0;
  struct tj_cg_limits lim = {sp->memory_bytes, sp->pids, sp->cpu_quota_us, sp->cpu_period_us, false};
  tj_error sub = {0};
  *cg = NULL;
  if (tj_cg_create(&lim, cg, &sub) < 0) {
    if (limits) {
      if (err)
        *err = sub;
      return tj_error_wrap(err, "creating the workload's cgroup");
    }
    snprintf(res->no_cgroup_why, sizeof(res->no_cgroup_why), "%s", sub.msg);
    *cg = NULL;
  } else if (!limits && !has_memory(*cg)) {
    /* Only cpuacct was writable, say: no use for telling an OOM kill. */
    snprintf(res->no_cgroup_why, sizeof(res->no_cgroup_why), "the memory controller is not writable here");
    tj_cg_destroy(*cg, &sub);
    *cg = NULL;
  } else {
    res->own_cgroup = true;
    res->run.cg_mode = tj_cg_mode_of(*cg);
    snprintf(res->run.cgroup_path, sizeof(res->run.cgroup_path), "%s", tj_cg_path(*cg));
  }
  return 0;
}

/* A Go test binary's -test.v stream says which tests ran when it died:
 * read on its way to our stdout (s->out_fd). Any other workload keeps the
 * container's stdout itself. The pipe's write end for the workload, or -1. */
static int watch_go_output(struct init_state *s) {
  int out_p[2] = {-1, -1};
  s->out_fd = -1;
  if (!tj_gowatch_start(s->watch, s->spec->sandbox.argv))
    return -1;
  if (pipe2(out_p, O_CLOEXEC) < 0) {
    tj_gowatch_stop(s->watch);
    return -1;
  }
  s->out_fd = out_p[0];
  s->watch->notes = &s->res->run.notes;
  s->res->go_watched = true;
  return out_p[1];
}

/* The workload cloned into cg, with its filter and pipes, and what it said
 * of its exec. On failure nothing of it is left open. */
static int start_workload(struct init_state *s, const char *exe, tj_cgroup *cg, const char *oom_orig,
                          struct tj_sc_plan *sc_plan, tj_error *err) {
  const struct tj_init_spec *spec = s->spec;
  struct tj_init_result *res = s->res;
  int msg_p[2];
  if (pipe2(msg_p, O_CLOEXEC) < 0)
    return tj_error_set(err, errno, "creating a pipe");
  _cleanup_close_ int msg_r = msg_p[0], msg_w = msg_p[1];
  int sc_p[2] = {-1, -1};
  tj_error sub = {0};
  if (init_seccomp(spec, res, sc_plan, sc_p, &sub) < 0) {
    if (err)
      *err = sub;
    return -EINVAL;
  }
  _cleanup_close_ int sc_r = sc_p[0], sc_w = sc_p[1];
  s->sc_plan = sc_r >= 0 ? sc_plan : NULL;
  s->sc_sock = s->sc_listener = -1;
  _cleanup_close_ int out_w = watch_go_output(s);
  _cleanup_close_ int out_r = s->out_fd;
  struct child_args ca = {.spec = spec,
                          .exe = exe,
                          .cg = cg,
                          .msg_fd = msg_w,
                          .oom_score_adj = oom_orig,
                          .caps = res->run.caps,
                          .caps_asked = caps_asked(&spec->sandbox),
                          .sc_plan = s->sc_plan,
                          .sc_sock = sc_w,
                          .out_fd = out_w};
  s->start_ms = tj_now_ms();
  pid_t pid = spawn(&ca, tj_cg_clone_fd(cg), &s->pidfd);
  int e = errno;
  close(steal_fd(&msg_w));
  if (sc_w >= 0)
    close(steal_fd(&sc_w));
  if (out_w >= 0)
    close(steal_fd(&out_w));
  if (pid < 0) {
    s->out_fd = -1;
    tj_gowatch_stop(s->watch);
    return tj_error_set(err, e, "starting %s", spec->sandbox.argv[0]);
  }
  s->sc_sock = steal_fd(&sc_r);
  s->out_fd = steal_fd(&out_r);
  s->child = s->pgid = pid;
  read_launch(&res->run, msg_r);
  return 0;
}

/* Until the workload is gone and the sandbox drained, then the rest of the
 * Go binary's stream. */
static void supervise(struct init_state *s, int sfd, const sigset_t *all) {
  if (s->out_fd >= 0)
    fcntl(s->out_fd, F_SETFL, O_NONBLOCK);
  loop(s, sfd, all);
  /* Every writer is gone with the workload's processes: the rest of it. */
  while (pass_output(s))
    ;
  if (s->out_fd >= 0)
    close(s->out_fd);
  tj_gowatch_close(s->watch);
  tj_gowatch_stop(s->watch);
}

/* The run's times and counters, the workload's cgroup removed. */
static void finish_run(struct init_state *s, tj_cgroup *cg, const char *oom_orig) {
  struct tj_init_result *res = s->res;
  const struct tj_cg_stats unknown = TJ_CG_STATS_UNKNOWN;
  tj_error sub = {0};
  res->run.duration_ms = (s->exit_ms ? s->exit_ms : tj_now_ms()) - s->start_ms;
  res->drain_ms = s->exit_ms ? tj_now_ms() - s->exit_ms : 0;
  if (s->pidfd >= 0)
    close(s->pidfd);
  if (s->sc_sock >= 0)
    close(s->sc_sock);
  if (s->sc_listener >= 0)
    close(s->sc_listener);
  struct tj_cg_stats cgst = unknown;
  if (cg && tj_cg_stats(cg, &cgst, &sub) < 0)
    cgst = unknown;
  if (cg && tj_cg_destroy(cg, &sub) < 0)
    snprintf(res->note, sizeof(res->note), "removing the workload's cgroup: %s", sub.msg);
  if (res->container_known && tj_cg_self_read(&res->after, &sub) < 0)
    res->container_known = false;
  merge_counters(res, &cgst);
  restore_oom(oom_orig);
}

int tj_init_run(const struct tj_init_spec *spec, struct tj_init_result *res, tj_error *err) {
  result_start(spec, res);
  struct init_state s = {.spec = spec, .res = res, .pid1 = res->pid1, .pidfd = -1, .tfd = -1};

  /* Block every signal first: what arrives before the workload exists is
   * kept for it. The workload gets an empty mask back. */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  _cleanup_close_ int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
  _cleanup_close_ int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (sfd < 0 || tfd < 0) {
    int e = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    return tj_error_set(err, e, "creating the signalfd and timerfd");
  }
  s.tfd = tfd;

  char exe[PATH_MAX];
  if (!resolve_workload(spec, res, exe, sizeof(exe)))
    return 0;

  /* The container's own counters, before anything moves. */
  tj_error sub = {0};
  res->container_known = tj_cg_self_read(&res->before, &sub) == 0;
  if (res->container_known) {
    res->memory_limit = min_limit(spec->sandbox.memory_bytes, res->before.memory_limit);
    res->pids_limit = min_limit(spec->sandbox.pids, res->before.pids_limit);
  }
  tj_cgroup *cg = NULL;
  int r = workload_cgroup(spec, res, &cg, err);
  if (r < 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
  }

  /* As dumb-init: a session leader gives up its terminal so that the
   * workload's session can take it; that sends us one SIGHUP and SIGCONT. */
  if (!spec->single_child && getsid(0) == getpid() && ioctl(STDIN_FILENO, TIOCNOTTY) == 0)
    s.ignore_hup = s.ignore_cont = true;

  write_premortem(spec, res);
  char oom_orig[32];
  protect_from_oom(oom_orig, sizeof(oom_orig));
  __attribute__((cleanup(tj_sc_plan_free))) struct tj_sc_plan sc_plan = {0};
  struct tj_gowatch watch;
  s.watch = &watch;
  r = start_workload(&s, exe, cg, oom_orig, &sc_plan, err);
  if (r < 0) {
    restore_oom(oom_orig);
    tj_cg_destroy(cg, &sub);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
  }
  /* From here on init never gives up: it waits for the workload and
   * drains, whatever fails. */
  if (spec->sandbox.wall_timeout_ms > 0)
    arm(tfd, spec->sandbox.wall_timeout_ms);
  supervise(&s, sfd, &all);
  finish_run(&s, cg, oom_orig);
  /* Signals stay blocked: one that came now (a second `docker stop`) must
   * not end init before it has written the diagnosis and passed the
   * workload's status on. */
  return 0;
}
