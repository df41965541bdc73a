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
 * The escape attempts (mknod-open ... syslog) each try one way out of the
 * sandbox and exit 0 when it was refused, 1 when it WORKED, 2 when they
 * cannot tell; see "escape attempts" below.
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
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
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
    {SIGHUP, "SIGHUP"},       {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},   {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"},
    {SIGABRT, "SIGABRT"},     {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},     {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"},
    {SIGSEGV, "SIGSEGV"},     {SIGUSR2, "SIGUSR2"}, {SIGPIPE, "SIGPIPE"},   {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
    {SIGSTKFLT, "SIGSTKFLT"}, {SIGCHLD, "SIGCHLD"}, {SIGCONT, "SIGCONT"},   {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"},
    {SIGTTIN, "SIGTTIN"},     {SIGTTOU, "SIGTTOU"}, {SIGURG, "SIGURG"},     {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
    {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"}, {SIGWINCH, "SIGWINCH"}, {SIGIO, "SIGIO"},     {SIGPWR, "SIGPWR"},
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
        ;       /* EOF: the child exited, we are an orphan now */
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
    if ((to_out && write_all(STDOUT_FILENO, chunk, used) < 0) || (to_err && write_all(STDERR_FILENO, chunk, used) < 0))
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
  static const char *const keys[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", NULL};
  return print_status(keys);
}

static int cmd_ids(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: ids");
  gid_t groups[256];
  int ng = getgroups(256, groups);
  say("uid=%d gid=%d euid=%d egid=%d groups=", (int)getuid(), (int)getgid(), (int)geteuid(), (int)getegid());
  for (int i = 0; i < ng; i++)
    say("%s%d", i ? "," : "", (int)groups[i]);
  say("\n");
  return 0;
}

/* One syscall a seccomp profile may deny, with harmless arguments; prints
 * the result, exits 1 when it failed. */
static int cmd_syscall(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: syscall ptrace|keyctl|getppid");
  long r;
  if (!strcmp(argv[0], "ptrace")) {
    r = syscall(SYS_ptrace, 2 /* PTRACE_PEEKDATA */, 999999, 0, 0);
  } else if (!strcmp(argv[0], "keyctl")) {
    r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
  } else if (!strcmp(argv[0], "getppid")) {
    r = syscall(SYS_getppid);
  } else {
    usage_exit("usage: syscall ptrace|keyctl|getppid");
  }
  if (r < 0) {
    say("%s: %s\n", argv[0], strerror(errno));
    return 1;
  }
  say("%s: %ld\n", argv[0], r);
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

/* A seccomp filter that allows everything but holds a listener, as a
 * container runtime's notify filter would: a second listener in the same
 * chain is refused (EBUSY), so testjail's own cannot be made. */
static int cmd_listener_exec(int argc, char **argv) {
  if (argc < 1)
    usage_exit("usage: listener-exec CMD [ARG...]");
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {.len = 1, .filter = &allow};
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) {
    err("seccomp NEW_LISTENER: %s\n", strerror(errno));
    return 2;
  }
  /* kept open across exec (it is made close-on-exec): the filter's
   * listener lives as long as its last descriptor */
  if (fcntl((int)fd, F_SETFD, 0) < 0) {
    err("fcntl: %s\n", strerror(errno));
    return 2;
  }
  execvp(argv[0], argv);
  err("exec %s: %s\n", argv[0], strerror(errno));
  return 127;
}

/* ---- escape attempts ----------------------------------------------------
 *
 * Each subcommand below tries one way out of a sandbox and says what
 * happened on stdout, one line per step, and in its exit status:
 *   0  refused: every step was refused (the errno name is printed)
 *   1  WORKED: the attempt got through (the sandbox failed)
 *   2  cannot tell: something needed for the attempt was missing, or an
 *      answer that is neither a success nor a refusal came back
 * Steps that change something on success undo it at once (a node made is
 * unlinked, a key revoked, a traced process detached); nothing is ever
 * written to a sysctl but the value just read from it. */

enum { ATTEMPT_REFUSED = 0, ATTEMPT_WORKED = 1, ATTEMPT_UNCLEAR = 2 };

/* The worse of two results: worked beats cannot tell beats refused. */
static int worse(int a, int b) {
  if (a == ATTEMPT_WORKED || b == ATTEMPT_WORKED)
    return ATTEMPT_WORKED;
  if (a == ATTEMPT_UNCLEAR || b == ATTEMPT_UNCLEAR)
    return ATTEMPT_UNCLEAR;
  return ATTEMPT_REFUSED;
}

static const char *errname(int e) {
  const char *n = strerrorname_np(e);
  return n ? n : "E?";
}

/* The errors that mean "not allowed" or "not there to be had". */
static bool refusal_errno(int e) { return e == EPERM || e == EACCES || e == ENOENT || e == EROFS; }

static int refused(const char *what, int e) {
  say("refused: %s: %s\n", what, errname(e));
  return ATTEMPT_REFUSED;
}

static int unclear(const char *what, const char *why) {
  say("cannot tell: %s: %s\n", what, why);
  return ATTEMPT_UNCLEAR;
}

/* A failed step: a refusal errno is a refusal, anything else cannot tell. */
static int failed_step(const char *what, int e) {
  if (refusal_errno(e))
    return refused(what, e);
  return unclear(what, errname(e));
}

#define worked(...) (say("WORKED: " __VA_ARGS__), ATTEMPT_WORKED)

/* Printable prefix of a buffer, for the evidence line. */
static const char *printable(const char *buf, ssize_t n) {
  static char s[81];
  ssize_t k = 0;
  for (; k < n && k < 80; k++)
    s[k] = isprint((unsigned char)buf[k]) ? buf[k] : '.';
  s[k] = 0;
  return s;
}

static int parse_devnum(const char *s, unsigned *maj, unsigned *min) {
  char *end;
  errno = 0;
  unsigned long a = strtoul(s, &end, 10);
  if (errno || end == s || *end != ':')
    return -1;
  const char *m = end + 1;
  unsigned long b = strtoul(m, &end, 10);
  if (errno || end == m || *end)
    return -1;
  *maj = (unsigned)a;
  *min = (unsigned)b;
  return 0;
}

/* mknod-open b|c MAJ:MIN: make the node in the working directory, open it,
 * read one block. Opening is the escape (the device's whole contents). */
static int cmd_mknod_open(int argc, char **argv) {
  unsigned maj, min;
  if (argc != 2 || (strcmp(argv[0], "b") && strcmp(argv[0], "c")) || parse_devnum(argv[1], &maj, &min) < 0)
    usage_exit("usage: mknod-open b|c MAJ:MIN");
  mode_t type = argv[0][0] == 'b' ? S_IFBLK : S_IFCHR;
  char node[64], what[128];
  snprintf(node, sizeof(node), "tjhelper-node-%d", (int)getpid());
  snprintf(what, sizeof(what), "mknod %s %s %u:%u in the working directory", node, argv[0], maj, min);
  if (mknod(node, type | 0600, makedev(maj, min)) < 0)
    return failed_step(what, errno);
  say("mknod: made %s %u:%u\n", argv[0], maj, min);
  int fd = open(node, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  int e = errno;
  unlink(node);
  snprintf(what, sizeof(what), "open of the %s %u:%u node", argv[0], maj, min);
  if (fd < 0) {
    if (e == ENXIO || e == ENODEV)
      return unclear(what, "no such device on this host (ENXIO/ENODEV), nothing to refuse");
    return failed_step(what, e);
  }
  char buf[512];
  ssize_t n = read(fd, buf, sizeof(buf));
  e = errno;
  close(fd);
  if (n < 0)
    return worked("%s: opened (read: %s)\n", what, errname(e));
  return worked("%s: opened, read %zd bytes\n", what, n);
}

/* open-dev PATH...: open each device node (made by the host, where the
 * sandbox cannot make one) and read one block. */
static int cmd_open_dev(int argc, char **argv) {
  if (argc < 1)
    usage_exit("usage: open-dev PATH...");
  int res = ATTEMPT_REFUSED;
  for (int i = 0; i < argc; i++) {
    char what[PATH_MAX + 32];
    struct stat st;
    snprintf(what, sizeof(what), "open of the device node %s", argv[i]);
    if (stat(argv[i], &st) < 0 || !(S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode))) {
      res = worse(res, unclear(what, "not a device node here"));
      continue;
    }
    int fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
      int e = errno;
      res = worse(res, e == ENXIO || e == ENODEV ? unclear(what, "no such device on this host (ENXIO/ENODEV)")
                                                 : failed_step(what, e));
      continue;
    }
    char buf[512];
    ssize_t n = read(fd, buf, sizeof(buf));
    int e = errno;
    close(fd);
    res = worse(res, n < 0 ? worked("%s: opened (read: %s)\n", what, errname(e))
                           : worked("%s: opened, read %zd bytes\n", what, n));
  }
  return res;
}

/* use-devs PATH...: the device nodes a sandbox must keep usable: each opens
 * for reading and writing, reads, takes a write (/dev/full's ENOSPC is its
 * answer). Exit 0 when all do, 1 otherwise. Not an escape attempt. */
static int cmd_use_devs(int argc, char **argv) {
  if (argc < 1)
    usage_exit("usage: use-devs PATH...");
  int res = 0;
  for (int i = 0; i < argc; i++) {
    int fd = open(argv[i], O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
      say("FAILED: open %s: %s\n", argv[i], errname(errno));
      res = 1;
      continue;
    }
    char buf[16];
    ssize_t r = read(fd, buf, sizeof(buf));
    int re = errno;
    ssize_t w = write(fd, "x", 1);
    int we = errno;
    close(fd);
    /* A pty master with nothing written reads EAGAIN: it opened and works. */
    if ((r < 0 && re != EAGAIN) || (w < 0 && we != ENOSPC)) {
      say("FAILED: %s: read %s, write %s\n", argv[i], r < 0 ? errname(re) : "ok", w < 0 ? errname(we) : "ok");
      res = 1;
      continue;
    }
    say("ok: %s: read %s, write %s\n", argv[i], r < 0 ? errname(re) : "done", w < 0 ? errname(we) : "ok");
  }
  return res;
}

/* open-write PATH...: open each PATH for writing, write nothing. */
static int cmd_open_write(int argc, char **argv) {
  if (argc < 1)
    usage_exit("usage: open-write PATH...");
  int res = ATTEMPT_REFUSED;
  for (int i = 0; i < argc; i++) {
    char what[PATH_MAX + 32];
    snprintf(what, sizeof(what), "open %s for writing", argv[i]);
    int fd = open(argv[i], O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
      res = worse(res, failed_step(what, errno));
      continue;
    }
    close(fd);
    res = worse(res, worked("%s: opened\n", what));
  }
  return res;
}

/* rewrite PATH: write a sysctl-like file's own value back to it. */
static int cmd_rewrite(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: rewrite PATH");
  char what[PATH_MAX + 32], buf[256];
  snprintf(what, sizeof(what), "read %s", argv[0]);
  int fd = open(argv[0], O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return unclear(what, errname(errno));
  ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  if (n <= 0)
    return unclear(what, n < 0 ? errname(errno) : "empty");
  snprintf(what, sizeof(what), "write %s with its own value %s", argv[0], printable(buf, n - (buf[n - 1] == '\n')));
  fd = open(argv[0], O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return failed_step(what, errno);
  ssize_t w = write(fd, buf, (size_t)n);
  int e = errno;
  close(fd);
  if (w < 0)
    return failed_step(what, e);
  return worked("%s: wrote %zd bytes\n", what, w);
}

/* read PATH...: each must give nothing: an error, an empty file, an empty
 * directory. Any byte read or any entry listed is the escape. */
static int read_one(const char *path) {
  char what[PATH_MAX + 16];
  snprintf(what, sizeof(what), "read %s", path);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return failed_step(what, errno);
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    DIR *d = fdopendir(fd);
    if (!d) {
      close(fd);
      return unclear(what, errname(errno));
    }
    struct dirent *de;
    long n = 0;
    char first[NAME_MAX + 1] = "";
    errno = 0;
    while ((de = readdir(d)))
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && n++ == 0)
        snprintf(first, sizeof(first), "%s", de->d_name);
    int e = errno;
    closedir(d);
    if (n > 0)
      return worked("%s: a directory of %ld entries (%s...)\n", what, n, first);
    if (e)
      return failed_step(what, e);
    say("refused: %s: an empty directory\n", what);
    return ATTEMPT_REFUSED;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof(buf));
  int e = errno;
  close(fd);
  if (n < 0)
    return failed_step(what, e);
  if (n == 0) {
    say("refused: %s: empty\n", what);
    return ATTEMPT_REFUSED;
  }
  return worked("%s: %zd bytes: %s\n", what, n, printable(buf, n));
}

static int cmd_read(int argc, char **argv) {
  if (argc < 1)
    usage_exit("usage: read PATH...");
  int res = ATTEMPT_REFUSED;
  for (int i = 0; i < argc; i++)
    res = worse(res, read_one(argv[i]));
  return res;
}

/* create PATH...: create each file (O_EXCL); one made is unlinked again. */
static int cmd_create(int argc, char **argv) {
  if (argc < 1)
    usage_exit("usage: create PATH...");
  int res = ATTEMPT_REFUSED;
  for (int i = 0; i < argc; i++) {
    char what[PATH_MAX + 16];
    snprintf(what, sizeof(what), "create %s", argv[i]);
    int fd = open(argv[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      res = worse(res, errno == EEXIST ? unclear(what, "EEXIST: it is there already") : failed_step(what, errno));
      continue;
    }
    close(fd);
    unlink(argv[i]);
    res = worse(res, worked("%s: created (and removed)\n", what));
  }
  return res;
}

/* connect-unix PATH: connect to a listening unix socket. */
static int cmd_connect_unix(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: connect-unix PATH");
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(argv[0]) >= sizeof(sa.sun_path))
    usage_exit("connect-unix: path too long");
  strcpy(sa.sun_path, argv[0]);
  char what[PATH_MAX + 16];
  snprintf(what, sizeof(what), "connect to %s", argv[0]);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return unclear("socket(AF_UNIX)", errname(errno));
  int r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
  int e = errno;
  close(s);
  if (r == 0)
    return worked("%s: connected\n", what);
  if (e == ECONNREFUSED)
    return unclear(what, "ECONNREFUSED: a socket file without a listener (is the listener gone?)");
  return failed_step(what, e);
}

/* listen-unix PATH: (outside the sandbox) bind a socket at PATH, mode 0600,
 * listen, and leave a daemon holding it; returns once it is listening, so
 * the caller needs no wait. The daemon lives until it is killed. */
static int cmd_listen_unix(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: listen-unix PATH");
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(argv[0]) >= sizeof(sa.sun_path))
    usage_exit("listen-unix: path too long");
  strcpy(sa.sun_path, argv[0]);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  mode_t old = umask(0177);
  if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 16) < 0) {
    err("listen-unix %s: %s\n", argv[0], strerror(errno));
    return 1;
  }
  umask(old);
  pid_t pid = fork();
  if (pid < 0) {
    err("fork: %s\n", strerror(errno));
    return 1;
  }
  if (pid > 0) {
    say("listening %d\n", (int)pid);
    return 0;
  }
  setsid();
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c >= 0)
      close(c);
  }
}

/* read-fd N: is descriptor N open (inherited from the caller)? */
static int cmd_read_fd(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: read-fd N");
  int fd = (int)parse_long(argv[0], "fd");
  char what[64], link[64], target[PATH_MAX] = "?";
  snprintf(what, sizeof(what), "fd %d", fd);
  if (fcntl(fd, F_GETFD) < 0)
    return errno == EBADF ? refused(what, EBADF) : unclear(what, errname(errno));
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t l = readlink(link, target, sizeof(target) - 1);
  if (l >= 0)
    target[l] = 0;
  char buf[256];
  ssize_t n = pread(fd, buf, sizeof(buf), 0);
  if (n < 0)
    return worked("%s is open (%s), pread: %s\n", what, target, errname(errno));
  return worked("%s is open (%s): %s\n", what, target, printable(buf, n));
}

/* mount FSTYPE [OPTIONS]: mount a file system on a new directory of the
 * working directory (tmpfs; cgroup with a v1 controller, the way to a
 * release_agent of one's own). */
static int cmd_mount(int argc, char **argv) {
  if (argc < 1 || argc > 2)
    usage_exit("usage: mount FSTYPE [OPTIONS]");
  char dir[64], what[128];
  snprintf(dir, sizeof(dir), "tjhelper-mnt-%d", (int)getpid());
  snprintf(what, sizeof(what), "mount %s%s%s", argv[0], argc > 1 ? " -o " : "", argc > 1 ? argv[1] : "");
  if (mkdir(dir, 0700) < 0)
    return unclear("mkdir in the working directory", errname(errno));
  int r = mount("tjhelper", dir, argv[0], MS_NOSUID | MS_NODEV | MS_NOEXEC, argc > 1 ? argv[1] : NULL);
  int e = errno;
  if (r == 0)
    umount2(dir, MNT_DETACH);
  rmdir(dir);
  if (r == 0)
    return worked("%s on %s: mounted\n", what, dir);
  if (e == ENODEV)
    return unclear(what, "ENODEV: the kernel lacks this file system");
  return failed_step(what, e);
}

static int try_open_write(const char *path) {
  char what[PATH_MAX + 32];
  snprintf(what, sizeof(what), "open %s for writing", path);
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return failed_step(what, errno);
  close(fd);
  return worked("%s: opened\n", what);
}

/* ---- userns-mount: a nested user namespace, then mounts ---------------- */

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  if (write(fd, text, strlen(text)) < 0)
    say("  %s: %s\n", path, errname(errno));
  close(fd);
}

/* Map our own ids to 0, as `unshare -r` does. */
static void map_self(uid_t uid, gid_t gid) {
  char line[64];
  write_file("/proc/self/setgroups", "deny");
  snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)gid);
  write_file("/proc/self/gid_map", line);
  snprintf(line, sizeof(line), "0 %u 1\n", (unsigned)uid);
  write_file("/proc/self/uid_map", line);
}

/* The mount id of PATH, or -1. */
static long long mount_id(const char *path) {
  struct statx stx;
  if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
    return -1;
  return (long long)stx.stx_mnt_id;
}

static bool is_mount_point(const char *path) {
  char parent[PATH_MAX];
  snprintf(parent, sizeof(parent), "%s", path);
  char *slash = strrchr(parent, '/');
  if (!slash)
    return false;
  if (slash == parent)
    slash[1] = 0;
  else
    *slash = 0;
  long long a = mount_id(path), b = mount_id(parent);
  return a >= 0 && b >= 0 && a != b;
}

/* The first cgroup v1 controller in use on this host (a hierarchy of its
 * own in /proc/cgroups), the one a fresh cgroup v1 mount may name. */
static bool first_v1_controller(char *out, size_t outsz) {
  FILE *f = fopen("/proc/cgroups", "re");
  if (!f)
    return false;
  char line[256], name[64];
  int hier, num, enabled;
  bool found = false;
  while (!found && fgets(line, sizeof(line), f))
    if (sscanf(line, "%63s %d %d %d", name, &hier, &num, &enabled) == 4 && hier > 0 && enabled) {
      snprintf(out, outsz, "%s", name);
      found = true;
    }
  fclose(f);
  return found;
}

/* Runs as PID 1 of a new pid namespace, in new user, mount and net
 * namespaces: a fresh proc or sysfs shows what the sandbox masks, a fresh
 * cgroup v1 hierarchy has a release_agent of its own, and an
 * unmount or a read-write remount of a masked or read-only path undoes the
 * masking. The kernel must refuse all of them (mount_too_revealing, locked
 * mounts). */
static int nested_mounts(void) {
  int res = ATTEMPT_REFUSED;
  char ctrl[64];
  bool v1 = first_v1_controller(ctrl, sizeof(ctrl));
  /* A fresh proc or sysfs is itself the unmasked view. A cgroup v1
   * hierarchy mounted in a cgroup namespace of one's own is allowed; its
   * release_agent opening for write (CVE-2022-0492) is the escape. */
  const struct {
    const char *type, *data, *probe;
    bool mount_is_escape;
  } fresh[] = {{"proc", NULL, "timer_list", true},
               {"sysfs", NULL, "firmware", true},
               {v1 ? "cgroup" : "cgroup2", v1 ? ctrl : NULL, v1 ? "release_agent" : "cgroup.procs", false}};
  for (size_t i = 0; i < sizeof(fresh) / sizeof(fresh[0]); i++) {
    char what[64];
    snprintf(what, sizeof(what), "mount a fresh %s%s%s on /tmp", fresh[i].type, fresh[i].data ? " -o " : "",
             fresh[i].data ? fresh[i].data : "");
    if (mount(fresh[i].type, "/tmp", fresh[i].type, MS_NOSUID | MS_NODEV | MS_NOEXEC, fresh[i].data) < 0) {
      int e = errno;
      res = worse(res, refusal_errno(e) || e == EBUSY ? refused(what, e) : unclear(what, errname(e)));
      continue;
    }
    char probe[64];
    snprintf(probe, sizeof(probe), "/tmp/%s", fresh[i].probe);
    if (fresh[i].mount_is_escape) {
      res = worse(res, worked("%s: mounted\n", what));
      read_one(probe);
    } else {
      say("%s: mounted\n", what);
      res = worse(res, try_open_write(probe));
    }
    umount2("/tmp", MNT_DETACH);
  }
  static const char *const masked[] = {
      "/proc/sys",
      "/proc/sysrq-trigger",
      "/proc/irq",
      "/proc/bus",
      "/proc/fs",
      "/proc/kcore",
      "/proc/keys",
      "/proc/timer_list",
      "/proc/sched_debug",
      "/proc/latency_stats",
      "/proc/acpi",
      "/proc/scsi",
      "/sys/firmware",
      "/sys/devices/virtual/powercap",
      "/sys",
      "/sys/fs/cgroup",
  };
  int seen = 0;
  for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
    const char *p = masked[i];
    if (!is_mount_point(p))
      continue;
    seen++;
    char what[PATH_MAX];
    struct statvfs sv;
    if (statvfs(p, &sv) == 0 && (sv.f_flag & ST_RDONLY)) {
      snprintf(what, sizeof(what), "remount %s read-write", p);
      if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND, NULL) == 0)
        res = worse(res, worked("%s: remounted\n", what));
      else
        res = worse(res, errno == EINVAL ? refused(what, errno) : failed_step(what, errno));
    }
    snprintf(what, sizeof(what), "unmount %s", p);
    if (umount2(p, MNT_DETACH) == 0)
      res = worse(res, worked("%s: unmounted\n", what));
    else /* EINVAL: a locked mount, which a less privileged namespace may not undo */
      res = worse(res, errno == EINVAL ? refused(what, errno) : failed_step(what, errno));
  }
  say("userns-mount: %d masked or read-only paths are mounts of their own\n", seen);
  return res;
}

/* In the new user namespace: map, then a child in the new pid namespace
 * does the mounts (proc needs a pid namespace that this user namespace
 * owns). */
static int in_new_userns(uid_t uid, gid_t gid, bool fork_for_pidns) {
  map_self(uid, gid);
  if (!fork_for_pidns)
    return nested_mounts();
  pid_t c = fork();
  if (c < 0)
    return unclear("fork into the new pid namespace", errname(errno));
  if (c == 0)
    _exit(nested_mounts());
  int st;
  while (waitpid(c, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) ? WEXITSTATUS(st) : unclear("the nested child", "killed by a signal");
}

static int wait_result(pid_t c, const char *what) {
  int st;
  while (waitpid(c, &st, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED(st) && WEXITSTATUS(st) <= ATTEMPT_UNCLEAR)
    return WEXITSTATUS(st);
  return unclear(what, WIFSIGNALED(st) ? sig_name(WTERMSIG(st)) : "an unexpected exit status");
}

/* userns-mount: both ways into new namespaces, unshare(2) and clone(2)
 * (a seccomp filter may check one and forget the other). */
static int cmd_userns_mount(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: userns-mount");
  const int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
  uid_t uid = geteuid();
  gid_t gid = getegid();
  int res;

  pid_t c = fork();
  if (c < 0)
    return unclear("fork", errname(errno));
  if (c == 0) {
    if (unshare(flags) < 0)
      _exit(failed_step("unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWCGROUP)", errno));
    say("unshare(CLONE_NEWUSER|...): done\n");
    _exit(in_new_userns(uid, gid, true));
  }
  res = wait_result(c, "the unshare child");

  c = (pid_t)syscall(SYS_clone, (long)(flags | SIGCHLD), 0L, 0L, 0L, 0L);
  if (c < 0)
    return worse(res, failed_step("clone(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWCGROUP)", errno));
  if (c == 0) {
    say("clone(CLONE_NEWUSER|...): done\n");
    _exit(in_new_userns(uid, gid, false));
  }
  return worse(res, wait_result(c, "the clone child"));
}

/* ---- shocker: open_by_handle_at ---------------------------------------- */

/* The 2014 "shocker" escape: a file handle names an inode of the whole file
 * system, not of the bind mount the sandbox shows, so opening one (with
 * CAP_DAC_READ_SEARCH) reaches any file of the host's disk. Here: the
 * working directory's own handle, then the file system root's (ext4 and
 * friends: inode 2, generation 0, as the exploit forged it). */
static int cmd_shocker(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: shocker");
  struct file_handle *fh = calloc(1, sizeof(*fh) + MAX_HANDLE_SZ);
  if (!fh)
    return unclear("calloc", "out of memory");
  fh->handle_bytes = MAX_HANDLE_SZ;
  int mnt_id;
  if (name_to_handle_at(AT_FDCWD, ".", fh, &mnt_id, 0) < 0) {
    if (errno == EOPNOTSUPP)
      return unclear("name_to_handle_at .", "the working directory's file system has no file handles");
    return failed_step("name_to_handle_at .", errno);
  }
  int dir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return unclear("open .", errname(errno));
  int res = ATTEMPT_REFUSED;
  int fd = open_by_handle_at(dir, fh, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    res = worked("open_by_handle_at with the handle of .: opened\n");
  } else {
    res = failed_step("open_by_handle_at with the handle of .", errno);
  }
  if (fh->handle_type == 1 /* FILEID_INO32_GEN */ && fh->handle_bytes >= 8) {
    uint32_t root[2] = {2, 0};
    memcpy(fh->f_handle, root, sizeof(root));
    fh->handle_bytes = 8;
    fd = open_by_handle_at(dir, fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      DIR *d = fdopendir(fd);
      long n = 0;
      while (d && readdir(d))
        n++;
      if (d)
        closedir(d);
      res = worse(
          res, worked("open_by_handle_at with a forged handle of inode 2 (the disk's root): opened, %ld entries\n", n));
    } else if (errno == ESTALE) {
      say("open_by_handle_at with a forged handle of inode 2: ESTALE (not this file system's root)\n");
    } else {
      res = worse(res, failed_step("open_by_handle_at with a forged handle of inode 2", errno));
    }
  }
  close(dir);
  free(fh);
  return res;
}

/* ---- setns FD|PATH ------------------------------------------------------- */

static int cmd_setns(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: setns FD|PATH");
  char what[PATH_MAX + 32];
  int fd;
  bool by_fd = isdigit((unsigned char)argv[0][0]);
  if (by_fd) {
    fd = (int)parse_long(argv[0], "fd");
    snprintf(what, sizeof(what), "setns to the namespace of fd %d", fd);
    if (fcntl(fd, F_GETFD) < 0)
      return unclear(what, "no such descriptor (was it passed in?)");
  } else {
    snprintf(what, sizeof(what), "setns to %s", argv[0]);
    fd = open(argv[0], O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return failed_step(what, errno);
  }
  struct stat target;
  if (fstat(fd, &target) < 0)
    return unclear(what, errname(errno));
  static const char *const own[] = {"net", "mnt", "pid", "ipc", "uts", "user", "cgroup", "time"};
  for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
    char p[64];
    struct stat st;
    snprintf(p, sizeof(p), "/proc/self/ns/%s", own[i]);
    if (stat(p, &st) == 0 && st.st_ino == target.st_ino && st.st_dev == target.st_dev)
      return unclear(what, "that is the sandbox's own namespace");
  }
  if (setns(fd, 0) < 0) {
    int e = errno;
    return e == EINVAL ? unclear(what, "EINVAL: not a namespace?") : failed_step(what, e);
  }
  return worked("%s: entered\n", what);
}

/* ---- cgroup-write -------------------------------------------------------- */

/* Does DIR/cgroup.procs list PID? */
static bool procs_has(const char *dir, pid_t pid) {
  char p[PATH_MAX];
  snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
  FILE *f = fopen(p, "re");
  if (!f)
    return false;
  long v;
  bool found = false;
  while (!found && fscanf(f, "%ld", &v) == 1)
    found = v == pid;
  fclose(f);
  return found;
}

/* The cgroup directory under ROOT whose cgroup.procs lists PID, depth-first,
 * at most DEPTH levels down; into OUT. */
static bool find_own_cgroup(const char *root, pid_t pid, int depth, char *out, size_t outsz) {
  if (procs_has(root, pid)) {
    snprintf(out, outsz, "%s", root);
    return true;
  }
  if (depth == 0)
    return false;
  DIR *d = opendir(root);
  if (!d)
    return false;
  struct dirent *de;
  bool found = false;
  while (!found && (de = readdir(d))) {
    if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    char sub[PATH_MAX];
    if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", root, de->d_name) >= sizeof(sub))
      continue;
    found = find_own_cgroup(sub, pid, depth - 1, out, outsz);
  }
  closedir(d);
  return found;
}

/* cgroup-write: in every cgroup hierarchy mounted under /sys/fs/cgroup, open
 * for writing (writing nothing) the files a workload escapes or spreads
 * through: release_agent (v1: a host program run as root when a cgroup
 * empties), our cgroup's notify_on_release, and the cgroup.procs of the
 * cgroup above ours (moving a process out of the sandbox's limits). */
static int cmd_cgroup_write(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: cgroup-write");
  FILE *mi = fopen("/proc/self/mountinfo", "re");
  if (!mi)
    return unclear("read /proc/self/mountinfo", errname(errno));
  char line[4096];
  int res = ATTEMPT_REFUSED, hierarchies = 0;
  pid_t self = getpid();
  while (fgets(line, sizeof(line), mi)) {
    char mnt[PATH_MAX], fstype[64];
    char *sep = strstr(line, " - ");
    if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 || sscanf(sep + 3, "%63s", fstype) != 1)
      continue;
    if ((strcmp(fstype, "cgroup") && strcmp(fstype, "cgroup2")) || strncmp(mnt, "/sys/fs/cgroup", 14))
      continue;
    hierarchies++;
    char p[PATH_MAX + 32], own[PATH_MAX];
    if (!strcmp(fstype, "cgroup")) {
      snprintf(p, sizeof(p), "%s/release_agent", mnt);
      res = worse(res, try_open_write(p));
    }
    if (!find_own_cgroup(mnt, self, 8, own, sizeof(own))) {
      say("%s: our own cgroup is not in this view\n", mnt);
      continue;
    }
    if (!strcmp(fstype, "cgroup")) {
      snprintf(p, sizeof(p), "%s/notify_on_release", own);
      res = worse(res, try_open_write(p));
    }
    if (!strcmp(own, mnt)) {
      say("%s: our cgroup is the root of this view, no parent in sight\n", mnt);
      continue;
    }
    snprintf(p, sizeof(p), "%s", own);
    *strrchr(p, '/') = 0;
    strcat(p, "/cgroup.procs");
    res = worse(res, try_open_write(p));
  }
  fclose(mi);
  if (hierarchies == 0)
    say("cgroup-write: no cgroup hierarchy mounted under /sys/fs/cgroup\n");
  return res;
}

/* ---- keyctl ---------------------------------------------------------------- */

/* The kernel keyring is not namespaced by the pid or mount namespace: a
 * key added to the session keyring or read from the user keyring is shared
 * with the host's processes of the same uid. */
static int cmd_keyctl(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: keyctl");
  int res;
  long id = syscall(SYS_add_key, "user", "tjhelper-escape", "x", 1L, -3L /* KEY_SPEC_SESSION_KEYRING */);
  if (id >= 0) {
    syscall(SYS_keyctl, 3L /* KEYCTL_REVOKE */, id);
    res = worked("add_key to the session keyring: key %ld (revoked again)\n", id);
  } else {
    res = failed_step("add_key to the session keyring", errno);
  }
  char buf[256];
  long n = syscall(SYS_keyctl, 11L /* KEYCTL_READ */, -4L /* KEY_SPEC_USER_KEYRING */, buf, (long)sizeof(buf));
  if (n >= 0)
    res = worse(res, worked("keyctl(KEYCTL_READ) of the user keyring: %ld bytes (%ld keys)\n", n, n / 4));
  else
    res = worse(res, failed_step("keyctl(KEYCTL_READ) of the user keyring", errno));
  return res;
}

/* ---- bpf ----------------------------------------------------------------- */

static int cmd_bpf(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: bpf");
  int res;
  union bpf_attr map = {.map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1};
  long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &map, sizeof(map));
  if (fd >= 0) {
    close((int)fd);
    res = worked("bpf(BPF_MAP_CREATE): map fd %ld\n", fd);
  } else {
    res = failed_step("bpf(BPF_MAP_CREATE)", errno);
  }
  struct bpf_insn insns[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0}, /* r0 = 0 */
      {.code = BPF_JMP | BPF_EXIT},
  };
  union bpf_attr prog = {
      .prog_type = BPF_PROG_TYPE_SOCKET_FILTER,
      .insn_cnt = sizeof(insns) / sizeof(insns[0]),
      .insns = (uintptr_t)insns,
      .license = (uintptr_t) "GPL",
  };
  fd = syscall(SYS_bpf, BPF_PROG_LOAD, &prog, sizeof(prog));
  if (fd >= 0) {
    close((int)fd);
    res = worse(res, worked("bpf(BPF_PROG_LOAD) of a socket filter: prog fd %ld\n", fd));
  } else {
    res = worse(res, failed_step("bpf(BPF_PROG_LOAD) of a socket filter", errno));
  }
  return res;
}

/* ---- ptrace PID, kill PID ---------------------------------------------- */

/* PTRACE_SEIZE has PTRACE_ATTACH's permission check without stopping the
 * tracee: a stopped PID 1 would hang the sandbox after we exit. */
static int cmd_ptrace(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: ptrace PID");
  pid_t pid = (pid_t)parse_long(argv[0], "pid");
  char what[64];
  snprintf(what, sizeof(what), "ptrace(PTRACE_SEIZE) of pid %d", (int)pid);
  if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
    return errno == ESRCH ? unclear(what, "ESRCH: no such process") : failed_step(what, errno);
  return worked("%s: attached (detached at exit)\n", what);
}

/* kill PID [MARK]: a pid that shows in our /proc is a sandbox process of the
 * same number (cannot tell), unless its command line carries MARK: then it
 * is the outside process itself, visible, and the kill is tried. */
static int cmd_kill(int argc, char **argv) {
  if (argc < 1 || argc > 2)
    usage_exit("usage: kill PID [MARK]");
  pid_t pid = (pid_t)parse_long(argv[0], "pid");
  char what[64], proc[64];
  snprintf(what, sizeof(what), "kill -KILL %d", (int)pid);
  snprintf(proc, sizeof(proc), "/proc/%d/cmdline", (int)pid);
  if (pid <= 1 || pid == getpid())
    return unclear(what, "that pid is a process of the sandbox itself");
  int fd = open(proc, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char cmd[4096];
    ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
    close(fd);
    cmd[n > 0 ? n : 0] = 0;
    for (ssize_t k = 0; k < n; k++)
      if (!cmd[k])
        cmd[k] = ' ';
    if (argc < 2 || !strstr(cmd, argv[1]))
      return unclear(what, "that pid is a process of the sandbox itself");
    say("the outside process is visible: %s\n", printable(cmd, n));
  }
  if (kill(pid, SIGKILL) < 0)
    return errno == ESRCH ? refused(what, ESRCH) : failed_step(what, errno);
  return worked("%s: sent\n", what);
}

/* ---- tiocsti TEXT, tty-pending ------------------------------------------- */

static bool inject(int fd, const char *text) {
  for (const char *p = text; *p; p++)
    if (ioctl(fd, TIOCSTI, p) < 0)
      return false;
  return true;
}

/* Push TEXT into the input of the caller's terminal, as if typed: the
 * caller's shell runs it after the sandbox exits. Through an inherited
 * terminal descriptor as it is, then after taking the terminal as our
 * controlling one (a new session and TIOCSCTTY), then through /dev/tty. */
static int cmd_tiocsti(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: tiocsti TEXT");
  int tty = -1;
  for (int fd = 0; fd <= 2 && tty < 0; fd++)
    if (isatty(fd))
      tty = fd;
  int devtty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  int devtty_errno = errno;
  /* The caller makes sure it has a terminal (tty-pending outside says so):
   * none reaching us here is the sandbox keeping it away. */
  if (tty < 0 && devtty < 0) {
    say("refused: TIOCSTI: no terminal reaches this process (fds 0-2 are none, /dev/tty: %s)\n", errname(devtty_errno));
    return ATTEMPT_REFUSED;
  }
  int res = ATTEMPT_REFUSED;
  if (tty >= 0) {
    char what[64];
    snprintf(what, sizeof(what), "TIOCSTI on fd %d", tty);
    if (inject(tty, argv[0]))
      res = worked("%s: injected\n", what);
    else
      res = failed_step(what, errno);
    pid_t c = fork();
    if (c == 0) {
      if (setsid() < 0)
        _exit(unclear("setsid", errname(errno)));
      if (ioctl(tty, TIOCSCTTY, 0) < 0)
        _exit(failed_step("TIOCSCTTY on the inherited terminal in a new session", errno));
      if (inject(tty, argv[0]))
        _exit(worked("TIOCSTI after TIOCSCTTY: injected\n"));
      _exit(failed_step("TIOCSTI after TIOCSCTTY", errno));
    }
    res = worse(res, c < 0 ? unclear("fork", errname(errno)) : wait_result(c, "the TIOCSCTTY child"));
  }
  if (devtty >= 0) {
    if (inject(devtty, argv[0]))
      res = worse(res, worked("TIOCSTI on /dev/tty: injected\n"));
    else
      res = worse(res, failed_step("TIOCSTI on /dev/tty", errno));
    close(devtty);
  } else {
    say("open /dev/tty: %s\n", errname(devtty_errno));
  }
  return res;
}

/* tty-pending: (outside) how many bytes wait in the terminal's input. */
static int cmd_tty_pending(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: tty-pending");
  int n = 0;
  if (!isatty(0) || ioctl(0, FIONREAD, &n) < 0) {
    say("tty-pending: stdin is not a terminal\n");
    return 2;
  }
  say("pending %d\n", n);
  return 0;
}

/* ---- io-uring, chroot-escape, syslog ------------------------------------ */

static int cmd_io_uring(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: io-uring");
  char params[120] = {0}; /* struct io_uring_params, zeroed */
  long fd = syscall(425 /* io_uring_setup */, 1L, params);
  if (fd >= 0) {
    close((int)fd);
    return worked("io_uring_setup: ring fd %ld\n", fd);
  }
  if (errno == ENOSYS)
    return refused("io_uring_setup", ENOSYS);
  return failed_step("io_uring_setup", errno);
}

/* The classic chroot break-out: chroot into a subdirectory while keeping
 * the working directory outside it, walk up, chroot("."). Where the sandbox
 * only chroots (no pivot_root and unmount of the old root) this reaches the
 * host's /. PROBE is a host path the sandbox hides. */
static int cmd_chroot_escape(int argc, char **argv) {
  if (argc != 1)
    usage_exit("usage: chroot-escape PROBE");
  const char *probe = argv[0];
  char what[PATH_MAX + 64];
  snprintf(what, sizeof(what), "reach %s by chroot and ..", probe);
  if (access(probe, F_OK) == 0)
    return unclear(what, "it is visible without any escape");
  char dir[64];
  snprintf(dir, sizeof(dir), "tjhelper-chroot-%d", (int)getpid());
  if (mkdir(dir, 0700) < 0)
    return unclear("mkdir in the working directory", errname(errno));
  int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = chroot(dir);
  int e = errno;
  int res;
  if (r < 0) {
    res = failed_step("chroot into a subdirectory", e);
  } else {
    for (int i = 0; i < 256; i++)
      if (chdir("..") < 0)
        break;
    if (chroot(".") < 0) {
      res = failed_step("chroot(\".\") after walking up", errno);
    } else if (access(probe, F_OK) == 0) {
      res = worked("%s: it is visible now\n", what);
    } else {
      res = failed_step(what, errno);
    }
  }
  if (here >= 0)
    unlinkat(here, dir, AT_REMOVEDIR);
  return res;
}

static int cmd_syslog(int argc, char **argv) {
  (void)argv;
  if (argc)
    usage_exit("usage: syslog");
  char buf[256];
  int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf));
  if (n < 0)
    return failed_step("syslog(SYSLOG_ACTION_READ_ALL)", errno);
  if (n == 0) {
    say("refused: syslog(SYSLOG_ACTION_READ_ALL): empty\n");
    return ATTEMPT_REFUSED;
  }
  return worked("syslog(SYSLOG_ACTION_READ_ALL): %d bytes of the host's kernel log: %s\n", n, printable(buf, n));
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
    {"syscall", cmd_syscall, "ptrace|keyctl|getppid: make one syscall, exit 1 when it fails"},
    {"ready-then-exec", cmd_ready_then_exec, "CMD [ARG...]: print ready, exec CMD"},
    {"listener-exec", cmd_listener_exec, "CMD [ARG...]: hold a seccomp listener (allow-all filter), exec CMD"},
    /* escape attempts: exit 0 refused, 1 worked, 2 cannot tell */
    {"mknod-open", cmd_mknod_open, "b|c MAJ:MIN: make a device node in the cwd, open it"},
    {"open-dev", cmd_open_dev, "PATH...: open each device node, read one block"},
    {"use-devs", cmd_use_devs, "PATH...: open each device read-write, read and write (exit 1 when one fails)"},
    {"open-write", cmd_open_write, "PATH...: open each for writing (nothing written)"},
    {"rewrite", cmd_rewrite, "PATH: write a sysctl file's own value back"},
    {"read", cmd_read, "PATH...: read each file or list each directory; must give nothing"},
    {"create", cmd_create, "PATH...: create each file (removed again)"},
    {"connect-unix", cmd_connect_unix, "PATH: connect to a unix socket"},
    {"listen-unix", cmd_listen_unix, "PATH: (outside) leave a daemon listening at PATH, mode 0600"},
    {"read-fd", cmd_read_fd, "N: is fd N open, what does it read"},
    {"mount", cmd_mount, "FSTYPE [OPTIONS]: mount a file system in the cwd"},
    {"cgroup-write", cmd_cgroup_write,
     ": open release_agent, notify_on_release, the parent's cgroup.procs for writing"},
    {"userns-mount", cmd_userns_mount, ": new user+mount+pid+net namespaces, then proc/sysfs mounts and unmasking"},
    {"shocker", cmd_shocker, ": open_by_handle_at with the cwd's and the disk root's handle"},
    {"setns", cmd_setns, "FD|PATH: enter that namespace"},
    {"keyctl", cmd_keyctl, ": add_key to the session keyring, read the user keyring"},
    {"bpf", cmd_bpf, ": BPF_MAP_CREATE and BPF_PROG_LOAD"},
    {"ptrace", cmd_ptrace, "PID: PTRACE_SEIZE the process"},
    {"kill", cmd_kill, "PID [MARK]: SIGKILL a process outside the sandbox (MARK: in its command line)"},
    {"tiocsti", cmd_tiocsti, "TEXT: push TEXT into the caller's terminal input"},
    {"tty-pending", cmd_tty_pending, ": (outside) bytes waiting in the terminal's input"},
    {"io-uring", cmd_io_uring, ": io_uring_setup"},
    {"chroot-escape", cmd_chroot_escape, "PROBE: chroot, walk up with .., look for PROBE"},
    {"syslog", cmd_syslog, ": read the kernel log with syslog(2)"},
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
