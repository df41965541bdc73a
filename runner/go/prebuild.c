#include "go/prebuild.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "common/util.h"
#include "common/error.h"

#define FIFO_FILE "handoff"
#define SHIM_FILE "testjail"

static int copy_file(const char *src, const char *dst, mode_t mode) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return -1;
  int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  struct stat st;
  int r = out < 0 || fstat(in, &st) < 0 ? -1 : 0;
  for (off_t left = r == 0 ? st.st_size : 0; left > 0;) {
    ssize_t k = sendfile(out, in, NULL, (size_t)left);
    if (k <= 0) {
      r = -1;
      break;
    }
    left -= k;
  }
  close(in);
  if (out >= 0 && close(out) < 0)
    r = -1;
  return r;
}

/* go splits -exec as a shell would, quotes included: a quote in a path
 * would break it. */
static bool quotable(const char *s) { return !strpbrk(s, "'\"\n"); }

static void discard(void *ctx, int fd, const char *buf, size_t len) { (void)ctx, (void)fd, (void)buf, (void)len; }

static _Noreturn void run_shared_build(const struct tj_job *proto, const struct tj_prebuild *pb, char **patterns, int n,
                                       int parallel) {
  const struct tj_test_opts *o = proto->opts;
  struct tj_spec bs;
  char gotmp[PATH_MAX + 32];
  struct tj_run_result res;
  tj_error err = {0};
  if (tj_job_build_spec(proto, &bs, "shared", gotmp, sizeof(gotmp), &err) < 0)
    _exit(1);
  char exec_cmd[2 * PATH_MAX + 32], vet[256] = "", p[32];
  snprintf(exec_cmd, sizeof(exec_cmd), "-exec='%s' __handoff '%s'", pb->shim, proto->workdir);
  if (o->vet)
    snprintf(vet, sizeof(vet), "-vet=%s", o->vet);
  snprintf(p, sizeof(p), "-p=%d", parallel);
  int nbf = 0;
  while (proto->gflags && proto->gflags->build[nbf])
    nbf++;
  char **argv = calloc((size_t)n + (size_t)nbf + 9, sizeof(char *));
  if (!argv)
    _exit(1);
  int k = 0;
  argv[k++] = (char *)proto->go->go;
  argv[k++] = "test";
  argv[k++] = "-count=1";
  /* The stand-in waits for the package's tests: no kill timer of go's. */
  argv[k++] = "-timeout=0";
  argv[k++] = p;
  argv[k++] = exec_cmd;
  if (vet[0])
    argv[k++] = vet;
  for (int i = 0; i < nbf; i++)
    argv[k++] = proto->gflags->build[i];
  for (int i = 0; i < n; i++)
    argv[k++] = patterns[i];
  if (n == 0)
    argv[k++] = ".";
  argv[k] = NULL;
  bs.argv = argv;
  /* What go says of a package that fails to build, its own build says
   * again, in order. */
  struct tj_sandbox_hooks hooks = {.on_output = discard};
  tj_sandbox_run(&bs, &hooks, &res, &err);
  _exit(0);
}

int tj_prebuild_start(struct tj_prebuild *pb, const struct tj_job *proto, char **patterns, int n, int parallel) {
  *pb = (struct tj_prebuild){.fifo_rd = -1, .fifo_wr = -1, .done_rd = -1};
  const char *wd = proto->workdir;
  char path[PATH_MAX];
  if (!quotable(wd) || !realpath("/proc/self/exe", pb->shim) || !quotable(pb->shim))
    return -1;
  /* The sandbox's /tmp is its own: a testjail under the host's is copied
   * into the work dir, which the build sandbox sees. */
  if (strncmp(pb->shim, "/tmp/", 5) == 0) {
    snprintf(path, sizeof(path), "%s/%s", wd, SHIM_FILE);
    if (copy_file(pb->shim, path, 0755) < 0)
      return -1;
    snprintf(pb->shim, sizeof(pb->shim), "%s", path);
  }
  snprintf(path, sizeof(path), "%s/%s", wd, FIFO_FILE);
  if (mkfifo(path, 0600) < 0)
    return -1;
  /* Our own write end: the FIFO never reads as hung up between shims. */
  pb->fifo_rd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  pb->fifo_wr = pb->fifo_rd < 0 ? -1 : open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  int done[2];
  if (pb->fifo_wr < 0 || pipe2(done, O_CLOEXEC) < 0) {
    tj_prebuild_end(pb);
    return -1;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    close(done[0]);
    close(pb->fifo_rd);
    close(pb->fifo_wr);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(1);
    run_shared_build(proto, pb, patterns, n, parallel);
  }
  close(done[1]);
  if (pid < 0) {
    close(done[0]);
    tj_prebuild_end(pb);
    return -1;
  }
  pb->pid = pid;
  pb->done_rd = done[0];
  return 0;
}

void tj_prebuild_read(struct tj_prebuild *pb, tj_prebuild_fn fn, void *ctx) {
  char buf[4096];
  ssize_t k;
  while (pb->fifo_rd >= 0 && (k = read(pb->fifo_rd, buf, sizeof(buf))) > 0) {
    for (ssize_t i = 0; i < k; i++) {
      if (buf[i] != '\n') {
        if (pb->line_len < sizeof(pb->line) - 1)
          pb->line[pb->line_len++] = buf[i];
        continue;
      }
      pb->line[pb->line_len] = 0;
      pb->line_len = 0;
      char *dir = pb->line, *bin = strchr(dir, '\t'), *token = bin ? strchr(bin + 1, '\t') : NULL;
      if (!token)
        continue;
      *bin++ = 0;
      *token++ = 0;
      fn(ctx, dir, bin, token);
    }
  }
}

void tj_prebuild_release(const char *workdir, const char *token) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s.done", workdir, token);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0)
    close(fd);
}

/* Until testjail test has run the package's tests (<token>.done appears):
 * go counts the stand-in as a running test, and keeps its -p builds and
 * tests at once, as under go test. */
static int wait_released(const char *wd, const char *token) {
  char name[64], path[PATH_MAX];
  snprintf(name, sizeof(name), "%s.done", token);
  snprintf(path, sizeof(path), "%s/%s", wd, name);
  int in = inotify_init1(IN_CLOEXEC);
  if (in < 0 || inotify_add_watch(in, wd, IN_CREATE | IN_MOVED_TO) < 0) {
    if (in >= 0)
      close(in);
    return -1;
  }
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  bool done = access(path, F_OK) == 0;
  while (!done) {
    ssize_t k = read(in, buf, sizeof(buf));
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      break;
    for (char *p = buf; p < buf + k;) {
      struct inotify_event *ev = (struct inotify_event *)p;
      done |= ev->len && strcmp(ev->name, name) == 0;
      p += sizeof(*ev) + ev->len;
    }
  }
  close(in);
  return done ? 0 : -1;
}

void tj_prebuild_reap(struct tj_prebuild *pb) {
  if (pb->pid > 0) {
    int ws;
    while (waitpid(pb->pid, &ws, 0) < 0 && errno == EINTR)
      ;
    pb->pid = 0;
  }
  if (pb->done_rd >= 0)
    close(pb->done_rd);
  pb->done_rd = -1;
}

void tj_prebuild_end(struct tj_prebuild *pb) {
  tj_prebuild_reap(pb);
  if (pb->fifo_rd >= 0)
    close(pb->fifo_rd);
  if (pb->fifo_wr >= 0)
    close(pb->fifo_wr);
  pb->fifo_rd = pb->fifo_wr = -1;
}

int tj_cmd_handoff(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr,
            "testjail: __handoff WORKDIR BINARY: testjail test's stand-in for go test -exec, not for direct use\n");
    return TJ_EXIT_USAGE;
  }
  const char *wd = argv[1], *bin = argv[2];
  char cwd[PATH_MAX], path[PATH_MAX], token[32], msg[PIPE_BUF + 1];
  if (!getcwd(cwd, sizeof(cwd)))
    return 1;
  /* Unique among the stand-ins of one sandbox, which are alive at once. */
  snprintf(token, sizeof(token), "%d", (int)getpid());
  int len = snprintf(msg, sizeof(msg), "%s\t%s\t%s\n", cwd, bin, token);
  /* Up to PIPE_BUF one write is never mixed with another stand-in's; a
   * longer one leaves the package to a build of its own. */
  if (len <= 0 || (size_t)len > PIPE_BUF || strpbrk(bin, "\t\n") || strpbrk(cwd, "\t\n"))
    return 1;
  snprintf(path, sizeof(path), "%s/%s", wd, FIFO_FILE);
  int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return 1;
  int r = write(fd, msg, (size_t)len) == len ? 0 : 1;
  close(fd);
  return r == 0 && wait_released(wd, token) == 0 ? 0 : 1;
}
