/* tjhelper: the workload of testjail's integration tests. One static binary
 * with one subcommand per behaviour the sandbox must survive or classify
 * (crun's tests/init.c and bubblewrap's try-syscall are the model).
 *
 *   tjhelper [--tag=ANY] SUBCOMMAND [ARG...]
 *
 * --tag is ignored: it only puts a unique marker into /proc/PID/cmdline so a
 * test can look for leftover processes with pgrep/pidwait -f. Forked
 * children keep the marker because they keep the parent's argv.
 *
 * Messages that mimic Go 1.19 (what testjail's verdict engine matches) go to
 * stderr; progress and "ready" go to stdout. Both are unbuffered (write(2)).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

static void out(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(int fd, const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n >= sizeof(buf))
    n = sizeof(buf) - 1;
  for (const char *p = buf; n > 0;) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    p += w;
    n -= w;
  }
}

#define say(...) out(STDOUT_FILENO, __VA_ARGS__)
#define err(...) out(STDERR_FILENO, __VA_ARGS__)

static _Noreturn void usage_exit(const char *why) {
  err("tjhelper: %s (see the comment at the top of tjhelper.c)\n", why);
  exit(64);
}

static long parse_long(const char *s, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 0) {
    err("tjhelper: bad %s: %s\n", what, s);
    exit(64);
  }
  return v;
}

/* Go's syscall error strings are strerror() in lower case. */
static const char *go_strerror(int e) {
  static char buf[128];
  snprintf(buf, sizeof(buf), "%s", strerror(e));
  buf[0] = (char)tolower((unsigned char)buf[0]);
  return buf;
}

/* ---- signal names ------------------------------------------------------ */

static const struct {
  int sig;
  const char *name;
} signames[] = {
    {SIGHUP, "SIGHUP"},     {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"},
    {SIGILL, "SIGILL"},     {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"},
    {SIGBUS, "SIGBUS"},     {SIGFPE, "SIGFPE"},       {SIGKILL, "SIGKILL"},
    {SIGUSR1, "SIGUSR1"},   {SIGSEGV, "SIGSEGV"},     {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"},   {SIGALRM, "SIGALRM"},     {SIGTERM, "SIGTERM"},
    {SIGSTKFLT, "SIGSTKFLT"}, {SIGCHLD, "SIGCHLD"},   {SIGCONT, "SIGCONT"},
    {SIGSTOP, "SIGSTOP"},   {SIGTSTP, "SIGTSTP"},     {SIGTTIN, "SIGTTIN"},
    {SIGTTOU, "SIGTTOU"},   {SIGURG, "SIGURG"},       {SIGXCPU, "SIGXCPU"},
    {SIGXFSZ, "SIGXFSZ"},   {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"},
    {SIGWINCH, "SIGWINCH"}, {SIGIO, "SIGIO"},         {SIGPWR, "SIGPWR"},
    {SIGSYS, "SIGSYS"},
};

static const char *sig_name(int sig) {
  static char buf[32];
  for (size_t i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
    if (signames[i].sig == sig)
      return signames[i].name;
  snprintf(buf, sizeof(buf), "SIG%d", sig);
  return buf;
}

/* "SIGTERM", "TERM" or "15". */
static int sig_parse(const char *s) {
  if (isdigit((unsigned char)*s))
    return (int)parse_long(s, "signal number");
  for (size_t i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
    if (!strcasecmp(s, signames[i].name) || !strcasecmp(s, signames[i].name + 3))
      return signames[i].sig;
  err("tjhelper: unknown signal %s\n", s);
  exit(64);
}

static void set_default(int sig) {
  struct sigaction sa = {.sa_handler = SIG_DFL};
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void set_ignore(int sig) {
  struct sigaction sa = {.sa_handler = SIG_IGN};
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}

/* Block forever without burning CPU; signals with default actions still
 * kill us. */
static _Noreturn void pause_forever(void) {
  for (;;)
    pause();
}

/* ---- alloc MIB --------------------------------------------------------- */

static int cmd_alloc(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: alloc MIB");
  long total = parse_long(argv[0], "MiB count");
  long pagesz = sysconf(_SC_PAGESIZE);
  for (long i = 1; i <= total; i++) {
    char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      err("alloc: mmap after %ld MiB: cannot allocate memory\n", i - 1);
      return 1;
    }
    for (long off = 0; off < MIB; off += pagesz)
      p[off] = (char)(i + off); /* touch every page: it must be resident */
    if (i % 16 == 0)
      say("alloc: %ld MiB\n", i);
  }
  say("alloc: done %ld MiB\n", total);
  return 0;
}

/* ---- forkbomb [MAX] ---------------------------------------------------- */

/* Children pause forever and keep stdout open: only the sandbox can end them.
 * MAX (default 1024) keeps an accidental run without a pids limit bounded. */
static int cmd_forkbomb(int argc, char **argv) {
  if (argc > 1)
    usage_exit("usage: forkbomb [MAX]");
  long max = argc ? parse_long(argv[0], "max") : 1024;
  long n;
  for (n = 0; n < max; n++) {
    pid_t pid = fork();
    if (pid < 0) {
      int e = errno;
      say("forkbomb: %ld children\n", n);
      err("fork: %s\n", strerror(e));
      return 1;
    }
    if (pid == 0)
      pause_forever();
  }
  say("forkbomb: %ld children, no limit hit\n", n);
  return 0;
}

/* ---- spin [--ignore-sigxcpu] ------------------------------------------- */

static int cmd_spin(int argc, char **argv) {
  if (argc > 1 || (argc == 1 && strcmp(argv[0], "--ignore-sigxcpu")))
    usage_exit("usage: spin [--ignore-sigxcpu]");
  if (argc == 1)
    set_ignore(SIGXCPU); /* as the Go runtime does */
  else
    set_default(SIGXCPU);
  say("ready\n");
  volatile uint64_t x = 0;
  for (;;)
    x++;
}

/* ---- fsize MIB [PATH] [--ignore-sigxfsz] ------------------------------- */

static int cmd_fsize(int argc, char **argv) {
  bool ignore = false;
  const char *path = "tjhelper.fsize";
  long mib = -1;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--ignore-sigxfsz"))
      ignore = true;
    else if (mib < 0)
      mib = parse_long(argv[i], "MiB count");
    else
      path = argv[i];
  }
  if (mib < 0)
    usage_exit("usage: fsize MIB [PATH] [--ignore-sigxfsz]");
  if (ignore)
    set_ignore(SIGXFSZ); /* as the Go runtime does: EFBIG instead of death */
  else
    set_default(SIGXFSZ);

  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    err("open %s: %s\n", path, go_strerror(errno));
    return 1;
  }
  static char block[1 << 16];
  memset(block, 'x', sizeof(block));
  long long want = (long long)mib * MIB, done = 0;
  while (done < want) {
    size_t n = sizeof(block);
    if ((long long)n > want - done)
      n = (size_t)(want - done);
    ssize_t w = write(fd, block, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      int e = errno;
      say("fsize: wrote %lld bytes\n", done);
      if (e == EFBIG)
        err("write: file too large\n");
      else
        err("write %s: %s\n", path, go_strerror(e));
      return 1;
    }
    done += w;
  }
  close(fd);
  say("fsize: wrote %lld bytes\n", done);
  return 0;
}

/* ---- nofile N [--raise-soft] ------------------------------------------- */

static int cmd_nofile(int argc, char **argv) {
  if (argc < 1 || argc > 2 || (argc == 2 && strcmp(argv[1], "--raise-soft")))
    usage_exit("usage: nofile N [--raise-soft]");
  long n = parse_long(argv[0], "count");
  if (argc == 2) { /* Go 1.19 raises the soft limit to the hard one at start */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  for (long i = 0; i < n; i++) {
    if (open("/dev/null", O_RDONLY) < 0) {
      int e = errno;
      say("nofile: opened %ld\n", i);
      if (e == EMFILE)
        err("open: too many open files\n");
      else
        err("open /dev/null: %s\n", go_strerror(e));
      return 1;
    }
  }
  say("nofile: opened %ld\n", n);
  return 0;
}

/* ---- sleep SECONDS|forever --------------------------------------------- */

static int cmd_sleep(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: sleep SECONDS|forever");
  say("ready\n");
  if (!strcmp(argv[0], "forever"))
    pause_forever();
  struct timespec ts = {.tv_sec = parse_long(argv[0], "seconds")};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
  say("slept %s\n", argv[0]);
  return 0;
}

/* ---- signals [--exit-on SIG|none] [--exit-code N] [--fork] ------------- */

/* Every catchable signal is blocked and read with sigwaitinfo, so nothing
 * (not even a SIG_IGN inherited from a non-interactive shell) hides one.
 * With --fork, a child in the same process group does the same and prints
 * "child got SIG..." to show a signal reached the whole group. */
static int signal_loop(const char *prefix, int exit_on, int exit_code) {
  sigset_t set;
  sigfillset(&set);
  sigdelset(&set, SIGKILL);
  sigdelset(&set, SIGSTOP);
  /* Synchronous faults must stay deliverable. */
  sigdelset(&set, SIGSEGV);
  sigdelset(&set, SIGBUS);
  sigdelset(&set, SIGILL);
  sigdelset(&set, SIGFPE);
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    if (sig < 0)
      continue;
    if (sig == SIGCHLD && !*prefix)
      continue; /* our --fork child: reaped at exit */
    say("%sgot %s\n", prefix, sig_name(sig));
    if (sig == exit_on)
      return exit_code;
  }
}

static int cmd_signals(int argc, char **argv) {
  int exit_on = SIGTERM, exit_code = 0;
  bool do_fork = false;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--exit-on") && i + 1 < argc) {
      i++;
      exit_on = strcmp(argv[i], "none") ? sig_parse(argv[i]) : 0;
    } else if (!strcmp(argv[i], "--exit-code") && i + 1 < argc) {
      exit_code = (int)parse_long(argv[++i], "exit code");
    } else if (!strcmp(argv[i], "--fork")) {
      do_fork = true;
    } else {
      usage_exit("usage: signals [--exit-on SIG|none] [--exit-code N] [--fork]");
    }
  }
  sigset_t set;
  sigfillset(&set);
  /* Faults keep their default action: blocked but never waited for, a sent
   * SIGSEGV would stay pending forever. */
  sigdelset(&set, SIGSEGV);
  sigdelset(&set, SIGBUS);
  sigdelset(&set, SIGILL);
  sigdelset(&set, SIGFPE);
  sigprocmask(SIG_BLOCK, &set, NULL);

  pid_t child = -1;
  if (do_fork) {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0 || (child = fork()) < 0) {
      err("fork: %s\n", strerror(errno));
      return 1;
    }
    if (child == 0) {
      close(ready[0]);
      close(ready[1]); /* EOF tells the parent we are in the loop */
      _exit(signal_loop("child ", exit_on, exit_code));
    }
    close(ready[1]);
    char c;
    while (read(ready[0], &c, 1) < 0 && errno == EINTR)
      ;
    close(ready[0]);
  }
  say("ready\n");
  int code = signal_loop("", exit_on, exit_code);
  if (child > 0) {
    int st;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR)
      ;
  }
  return code;
}

/* ---- orphan [--keep-stdio] --------------------------------------------- */

/* The classic double-fork daemon: new session, SIGTERM/SIGHUP/SIGINT
 * ignored, sleeping forever. Only a kill of everything in the sandbox (pid
 * namespace or cgroup) ends it. Without --keep-stdio it closes its stdio
 * like a well-behaved daemon; with it, it keeps the output pipe open, as the
 * orphan of a `go test -v` hang does. */
static int cmd_orphan(int argc, char **argv) {
  bool keep = argc == 1 && !strcmp(argv[0], "--keep-stdio");
  if (argc > 1 || (argc == 1 && !keep))
    usage_exit("usage: orphan [--keep-stdio]");
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    err("pipe: %s\n", strerror(errno));
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    err("fork: %s\n", strerror(errno));
    return 1;
  }
  if (child == 0) {
    close(p[0]);
    setsid();
    pid_t gc = fork();
    if (gc < 0)
      _exit(1);
    if (gc > 0)
      _exit(0);
    set_ignore(SIGTERM);
    set_ignore(SIGHUP);
    set_ignore(SIGINT);
    /* Only now, with SIGTERM ignored, may the caller count on the daemon. */
    gc = getpid();
    if (write(p[1], &gc, sizeof(gc)) != sizeof(gc))
      _exit(1);
    if (!keep) {
      int null = open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      if (null > 2)
        close(null);
    }
    close(p[1]);
    pause_forever();
  }
  close(p[1]);
  pid_t gc = -1;
  ssize_t r;
  while ((r = read(p[0], &gc, sizeof(gc))) < 0 && errno == EINTR)
    ;
  int st;
  waitpid(child, &st, 0);
  if (r != sizeof(gc)) {
    err("orphan: the daemon did not start\n");
    return 1;
  }
  say("orphan %d\n", (int)gc);
  return 0;
}

/* ---- zombies N --------------------------------------------------------- */

/* State letter of /proc/PID/stat, or 0 when the process is gone. */
static char proc_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = 0;
  char *rp = strrchr(buf, ')'); /* comm may contain spaces and parens */
  return rp && rp[1] == ' ' ? rp[2] : 0;
}

/* N children each fork a grandchild and exit; each grandchild waits until its
 * parent is gone, so it is an orphan (reparented to PID 1 or a subreaper),
 * and exits. Unless PID 1 reaps, they stay zombies. Their pids come back
 * through one pipe; a second pipe, whose write ends only the grandchildren
 * hold, reaches EOF once they have all exited. Then /proc is watched for a
 * bounded time (reaping is asynchronous) for any of them still in state Z. */
static int cmd_zombies(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: zombies N");
  long n = parse_long(argv[0], "count");
  if (n < 1 || n > 1024)
    usage_exit("zombies: N must be 1..1024");
  pid_t *gcs = calloc(n, sizeof(*gcs)), *kids = calloc(n, sizeof(*kids));
  int pids[2], alive[2];
  if (!gcs || !kids || pipe2(pids, O_CLOEXEC) < 0 || pipe2(alive, O_CLOEXEC) < 0) {
    err("zombies: %s\n", strerror(errno));
    return 1;
  }
  for (long i = 0; i < n; i++) {
    pid_t c = fork();
    if (c < 0) {
      err("fork: %s\n", strerror(errno));
      return 1;
    }
    if (c > 0) {
      kids[i] = c;
      continue;
    }
    /* child */
    close(pids[0]);
    close(alive[0]);
    int parent_gone[2];
    if (pipe2(parent_gone, O_CLOEXEC) < 0)
      _exit(1);
    pid_t g = fork();
    if (g < 0)
      _exit(1);
    if (g == 0) {
      close(pids[1]);
      close(parent_gone[1]);
      char ch;
      while (read(parent_gone[0], &ch, 1) < 0 && errno == EINTR)
        ; /* EOF: the child exited, we are an orphan now */
      _exit(0); /* closes alive[1] */
    }
    close(alive[1]);
    if (write(pids[1], &g, sizeof(g)) != sizeof(g))
      _exit(1);
    _exit(0); /* closes parent_gone[1]: the grandchild goes on */
  }
  close(pids[1]);
  close(alive[1]);
  long got = 0;
  while (got < n) {
    ssize_t r = read(pids[0], &gcs[got], sizeof(pid_t));
    if (r < 0 && errno == EINTR)
      continue;
    if (r != sizeof(pid_t))
      break;
    got++;
  }
  if (got != n) {
    err("zombies: only %ld of %ld grandchildren started\n", got, n);
    return 1;
  }
  /* Our own children: reaping them is our job, not PID 1's. By pid, so
   * that as PID 1 or a subreaper we would not reap the grandchildren too. */
  for (long i = 0; i < n; i++) {
    int st;
    while (waitpid(kids[i], &st, 0) < 0 && errno == EINTR)
      ;
  }
  char ch;
  ssize_t r;
  while ((r = read(alive[0], &ch, 1)) < 0 && errno == EINTR)
    ; /* EOF: every grandchild has exited */

  long zombies = 0;
  for (int tries = 0; tries < 500; tries++) { /* at most 5 s */
    zombies = 0;
    for (long i = 0; i < n; i++)
      if (proc_state(gcs[i]) == 'Z')
        zombies++;
    if (zombies == 0)
      break;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  free(gcs);
  free(kids);
  say("zombies: %ld\n", zombies);
  return zombies ? 1 : 0;
}

/* ---- output MIB [--to stdout|stderr|both] ------------------------------ */

/* 64-byte lines "%08lx " + 54 letters + "\n": line k is the same on every
 * run, so a sha256 of the stream is reproducible. With --to both, the same
 * stream goes to stdout and to stderr in alternating 64 KiB chunks, which
 * deadlocks a parent that drains only one pipe at a time. */
static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int cmd_output(int argc, char **argv) {
  int to_out = 1, to_err = 0;
  if (argc == 3 && !strcmp(argv[1], "--to")) {
    to_out = !strcmp(argv[2], "stdout") || !strcmp(argv[2], "both");
    to_err = !strcmp(argv[2], "stderr") || !strcmp(argv[2], "both");
    if (!to_out && !to_err)
      usage_exit("output: --to stdout|stderr|both");
  } else if (argc != 1) {
    usage_exit("usage: output MIB [--to stdout|stderr|both]");
  }
  long mib = parse_long(argv[0], "MiB count");
  static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01";
  static char chunk[1 << 16];
  long lines = mib * MIB / 64, line = 0;
  while (line < lines) {
    size_t used = 0;
    while (used + 64 <= sizeof(chunk) && line < lines) {
      char *l = chunk + used;
      snprintf(l, 10, "%08lx ", line);
      for (int k = 0; k < 54; k++)
        l[9 + k] = letters[(line + k) % 54];
      l[63] = '\n';
      used += 64;
      line++;
    }
    if ((to_out && write_all(STDOUT_FILENO, chunk, used) < 0) ||
        (to_err && write_all(STDERR_FILENO, chunk, used) < 0))
      return 1;
  }
  return 0;
}

/* ---- small ones -------------------------------------------------------- */

static int cmd_exit(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: exit CODE");
  return (int)(parse_long(argv[0], "exit code") & 0xff);
}

static int cmd_kill_self(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: kill-self SIGNAME");
  int sig = sig_parse(argv[0]);
  set_default(sig);
  struct rlimit nocore = {0, 0}; /* a core dump would only slow the test */
  setrlimit(RLIMIT_CORE, &nocore);
  kill(getpid(), sig);
  err("kill-self: still alive after %s (its default action is not to die)\n", sig_name(sig));
  return 1;
}

static int cmd_pid(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: pid");
  say("pid %d ppid %d\n", (int)getpid(), (int)getppid());
  return 0;
}

/* Prints the lines of /proc/self/status whose key is in keys[]. */
static int print_status(const char *const keys[]) {
  FILE *f = fopen("/proc/self/status", "re");
  if (!f) {
    err("open /proc/self/status: %s\n", strerror(errno));
    return 1;
  }
  char line[1024];
  while (fgets(line, sizeof(line), f))
    for (int i = 0; keys[i]; i++) {
      size_t k = strlen(keys[i]);
      if (!strncmp(line, keys[i], k) && line[k] == ':')
        say("%s", line);
    }
  fclose(f);
  return 0;
}

static int cmd_caps(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: caps");
  static const char *const keys[] = {"CapInh", "CapPrm", "CapEff", "CapBnd",
                                     "CapAmb", "NoNewPrivs", "Seccomp", NULL};
  return print_status(keys);
}

static int cmd_ids(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: ids");
  gid_t groups[256];
  int ng = getgroups(256, groups);
  say("uid=%d gid=%d euid=%d egid=%d groups=", (int)getuid(), (int)getgid(),
      (int)geteuid(), (int)getegid());
  for (int i = 0; i < ng; i++)
    say("%s%d", i ? "," : "", (int)groups[i]);
  say("\n");
  return 0;
}

static int cmd_ready_then_exec(int argc, char **argv) {
  if (argc < 1)
    usage_exit("usage: ready-then-exec CMD [ARG...]");
  say("ready\n");
  execvp(argv[0], argv);
  err("exec %s: %s\n", argv[0], strerror(errno));
  return 127;
}

static const struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *help;
} cmds[] = {
    {"alloc", cmd_alloc, "MIB: allocate and touch MIB MiB, progress every 16 MiB"},
    {"forkbomb", cmd_forkbomb, "[MAX]: fork pausing children until fork fails"},
    {"spin", cmd_spin, "[--ignore-sigxcpu]: burn CPU forever"},
    {"fsize", cmd_fsize, "MIB [PATH] [--ignore-sigxfsz]: write MIB MiB to PATH"},
    {"nofile", cmd_nofile, "N [--raise-soft]: open /dev/null N times"},
    {"sleep", cmd_sleep, "SECONDS|forever: print ready, sleep"},
    {"signals", cmd_signals, "[--exit-on SIG|none] [--exit-code N] [--fork]: print signals received"},
    {"orphan", cmd_orphan, "[--keep-stdio]: leave a daemon that ignores SIGTERM"},
    {"zombies", cmd_zombies, "N: make N orphaned zombies, check PID 1 reaps them"},
    {"output", cmd_output, "MIB [--to stdout|stderr|both]: deterministic output"},
    {"exit", cmd_exit, "CODE: exit with CODE"},
    {"kill-self", cmd_kill_self, "SIG: die by SIG"},
    {"pid", cmd_pid, ": print pid and ppid"},
    {"caps", cmd_caps, ": print capability sets, NoNewPrivs, Seccomp"},
    {"ids", cmd_ids, ": print uid, gid, euid, egid, groups"},
    {"ready-then-exec", cmd_ready_then_exec, "CMD [ARG...]: print ready, exec CMD"},
};

int main(int argc, char **argv) {
  int i = 1;
  while (i < argc && !strncmp(argv[i], "--tag=", 6))
    i++;
  if (i >= argc) {
    err("usage: tjhelper [--tag=MARKER] SUBCOMMAND [ARG...]\n");
    for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
      err("  %s %s\n", cmds[k].name, cmds[k].help);
    return 64;
  }
  for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
    if (!strcmp(argv[i], cmds[k].name))
      return cmds[k].fn(argc - i - 1, argv + i + 1);
  err("tjhelper: unknown subcommand %s\n", argv[i]);
  return 64;
}
