#include "go/job.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "sandbox/contain.h"
#include "go/gomaxprocs.h"
#include "go/goflag.h"
#include "go/gotest.h"
#include "go/gowatch.h"
#include "common/parse.h"
#include "report/report.h"
#include "sandbox/evidence.h"
#include "sandbox/sandbox.h"
#include "go/testout.h"
#include "report/timeline.h"
#include "common/util.h"
#include "verdict.h"

extern char **environ;

/* ---- running the go command on the host -------------------------------- */

struct capture {
  char *const *argv; /* argv[0] an absolute path */
  struct tj_buf out, err;
  int wstatus;
  pid_t pid;
  int fd[2]; /* read ends: stdout, stderr */
};

static void capture_free(struct capture *c) {
  tj_buf_free(&c->out);
  tj_buf_free(&c->err);
}

/* Runs the commands at once, stdout and stderr captured. A child starts as
 * from a shell: our blocked signals and ignored SIGPIPE are not its
 * business. */
static int capture_all(struct capture *c, int n, tj_error *err) {
  int started = 0, r = 0;
  for (; started < n; started++) {
    int op[2], ep[2];
    c[started].fd[0] = c[started].fd[1] = -1;
    if (pipe2(op, O_CLOEXEC) < 0) {
      r = tj_error_set(err, errno, "running %s: pipe", c[started].argv[0]);
      break;
    }
    if (pipe2(ep, O_CLOEXEC) < 0) {
      r = tj_error_set(err, errno, "running %s: pipe", c[started].argv[0]);
      close(op[0]), close(op[1]);
      break;
    }
    pid_t pid = fork();
    if (pid == 0) {
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, NULL);
      signal(SIGPIPE, SIG_DFL);
      int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (devnull >= 0)
        dup2(devnull, STDIN_FILENO);
      if (dup2(op[1], STDOUT_FILENO) < 0 || dup2(ep[1], STDERR_FILENO) < 0)
        _exit(127);
      execv(c[started].argv[0], c[started].argv);
      dprintf(STDERR_FILENO, "%s: %s\n", c[started].argv[0], strerror(errno));
      _exit(127);
    }
    close(op[1]);
    close(ep[1]);
    if (pid < 0) {
      r = tj_error_set(err, errno, "running %s: fork", c[started].argv[0]);
      close(op[0]), close(ep[0]);
      break;
    }
    c[started].pid = pid;
    c[started].fd[0] = op[0];
    c[started].fd[1] = ep[0];
  }
  struct pollfd pfd[8];
  for (;;) {
    int k = 0;
    for (int i = 0; i < started; i++)
      for (int j = 0; j < 2; j++)
        pfd[k++] = (struct pollfd){.fd = c[i].fd[j], .events = POLLIN};
    bool open_fds = false;
    for (int i = 0; i < k; i++)
      open_fds |= pfd[i].fd >= 0;
    if (!open_fds)
      break;
    if (poll(pfd, (nfds_t)k, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (int i = 0; i < k; i++) {
      if (pfd[i].fd < 0 || !pfd[i].revents)
        continue;
      struct capture *cp = &c[i / 2];
      char buf[65536];
      ssize_t got = read(pfd[i].fd, buf, sizeof(buf));
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0) {
        close(pfd[i].fd);
        cp->fd[i % 2] = -1;
        continue;
      }
      tj_buf_add(i % 2 ? &cp->err : &cp->out, buf, (size_t)got);
    }
  }
  for (int i = 0; i < started; i++) {
    for (int j = 0; j < 2; j++)
      if (c[i].fd[j] >= 0)
        close(c[i].fd[j]);
    while (waitpid(c[i].pid, &c[i].wstatus, 0) < 0 && errno == EINTR)
      ;
  }
  return r;
}

/* The first line of s, without "go: " in front. */
static void first_line(const char *s, char *buf, size_t len) {
  if (!s)
    s = "";
  while (*s == '\n')
    s++;
  if (strncmp(s, "go: ", 4) == 0)
    s += 4;
  size_t n = strcspn(s, "\n");
  snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), s);
}

static void copy_str(char *dst, size_t len, json_t *v) {
  const char *s = json_string_value(v);
  snprintf(dst, len, "%s", s ? s : "");
}

static int parse_go_env(struct tj_go_env *env, const struct capture *c, tj_error *err) {
  if (!WIFEXITED(c->wstatus) || WEXITSTATUS(c->wstatus) != 0) {
    char line[400];
    first_line(c->err.p, line, sizeof(line));
    return tj_error_set(err, 0, "go env failed: %s", line[0] ? line : "no message");
  }
  return tj_go_env_parse(env, c->out.p ? c->out.p : "", c->out.len, err);
}

/* The minor release of "go1.N[.P|rcK...]"; 0 when it is not Go 1 or N is
 * not a plain number of a sane size (GOVERSION comes from a go.mod's
 * toolchain line too). */
static int go_minor(const char *version) {
  if (strncmp(version, "go1.", 4) != 0)
    return 0;
  const char *p = version + 4;
  int n = 0, digits = 0;
  for (; *p >= '0' && *p <= '9'; p++)
    if (++digits > 4)
      return 0;
    else
      n = n * 10 + (*p - '0');
  return digits ? n : 0;
}

int tj_go_env_parse(struct tj_go_env *env, const char *out, size_t len, tj_error *err) {
  json_error_t jerr;
  json_t *o = json_loadb(out, len, 0, &jerr);
  if (!json_is_object(o)) {
    json_decref(o);
    return tj_error_set(err, 0, "go env -json: unreadable output (%s)", jerr.text);
  }
  copy_str(env->version, sizeof(env->version), json_object_get(o, "GOVERSION"));
  copy_str(env->gocache, sizeof(env->gocache), json_object_get(o, "GOCACHE"));
  copy_str(env->gomodcache, sizeof(env->gomodcache), json_object_get(o, "GOMODCACHE"));
  copy_str(env->goroot, sizeof(env->goroot), json_object_get(o, "GOROOT"));
  const char *goflags = json_string_value(json_object_get(o, "GOFLAGS"));
  env->goflags_ldflags = goflags && strstr(goflags, "ldflags");
  json_decref(o);
  if (strcmp(env->gocache, "off") == 0)
    env->gocache[0] = 0;
  env->minor = go_minor(env->version);
  return 0;
}

void tj_packages_free(struct tj_package *pkgs, int n) {
  for (int i = 0; pkgs && i < n; i++) {
    free(pkgs[i].import_path);
    free(pkgs[i].dir);
    free(pkgs[i].binary);
  }
  free(pkgs);
}

static bool nonempty_array(json_t *o, const char *key) { return json_array_size(json_object_get(o, key)) > 0; }

/* The nearest directory at or above dir holding file, into out ("" if none). */
static void find_up(const char *dir, const char *file, char *out, size_t len) {
  char d[PATH_MAX], f[PATH_MAX + 16];
  out[0] = 0;
  if (!realpath(dir, d))
    return;
  for (;;) {
    snprintf(f, sizeof(f), "%s/%s", strcmp(d, "/") ? d : "", file);
    if (access(f, F_OK) == 0) {
      snprintf(out, len, "%s", d);
      return;
    }
    char *slash = strrchr(d, '/');
    if (!slash || slash == d)
      return;
    *slash = 0;
  }
}

int tj_go_find(struct tj_go_env *env, tj_error *err) {
  memset(env, 0, sizeof(*env));
  tj_error sub = {0};
  if (tj_resolve_command("go", environ, env->go, sizeof(env->go), &sub) != TJ_RESOLVE_OK)
    return tj_error_set(err, 0,
                        "go: not found in PATH (testjail test builds with the Go toolchain: install it, "
                        "e.g. apt-get install golang-go)");
  find_up(".", "go.mod", env->modroot, sizeof(env->modroot));
  const char *gowork = getenv("GOWORK");
  if (gowork && *gowork) {
    char copy[PATH_MAX];
    snprintf(copy, sizeof(copy), "%s", gowork);
    char *slash = strrchr(copy, '/');
    if (strcmp(gowork, "off") != 0 && slash) {
      *slash = 0;
      if (!realpath(copy[0] ? copy : "/", env->workroot))
        env->workroot[0] = 0;
    }
  } else {
    find_up(".", "go.work", env->workroot, sizeof(env->workroot));
  }
  return 0;
}

/* A value as go sees it: the environment, then go's env file. */
static void go_setting(const char *key, const char *file, char *out, size_t len) {
  const char *v = getenv(key);
  out[0] = 0;
  if (v && *v) {
    snprintf(out, len, "%s", v);
    return;
  }
  FILE *f = file ? fopen(file, "re") : NULL;
  char line[PATH_MAX + 64];
  size_t kl = strlen(key);
  while (f && fgets(line, sizeof(line), f))
    if (strncmp(line, key, kl) == 0 && line[kl] == '=') {
      line[strcspn(line, "\n")] = 0;
      snprintf(out, len, "%s", line + kl + 1);
    }
  if (f)
    fclose(f);
}

/* go's env file (go env -w), "" when off. */
static void go_env_file(char *file, size_t len) {
  const char *goenv = getenv("GOENV"), *home = getenv("HOME"), *xc = getenv("XDG_CONFIG_HOME");
  file[0] = 0;
  if (goenv && *goenv)
    snprintf(file, len, "%s", strcmp(goenv, "off") == 0 ? "" : goenv);
  else if (xc && *xc == '/')
    snprintf(file, len, "%s/go/env", xc);
  else if (home && *home)
    snprintf(file, len, "%s/.config/go/env", home);
}

bool tj_go_guess(struct tj_go_env *env) {
  char file[PATH_MAX], v[PATH_MAX];
  const char *home = getenv("HOME"), *xh = getenv("XDG_CACHE_HOME");
  go_env_file(file, sizeof(file));
  const char *f = file[0] ? file : NULL;
  go_setting("GOCACHE", f, v, sizeof(v));
  if (v[0])
    snprintf(env->gocache, sizeof(env->gocache), "%s", strcmp(v, "off") == 0 ? "" : v);
  else if (xh && *xh == '/')
    snprintf(env->gocache, sizeof(env->gocache), "%s/go-build", xh);
  else if (home && *home)
    snprintf(env->gocache, sizeof(env->gocache), "%s/.cache/go-build", home);
  go_setting("GOMODCACHE", f, v, sizeof(v));
  if (v[0]) {
    snprintf(env->gomodcache, sizeof(env->gomodcache), "%s", v);
  } else {
    go_setting("GOPATH", f, v, sizeof(v));
    v[strcspn(v, ":")] = 0;
    if (v[0])
      snprintf(env->gomodcache, sizeof(env->gomodcache), "%s/pkg/mod", v);
    else if (home && *home)
      snprintf(env->gomodcache, sizeof(env->gomodcache), "%s/go/pkg/mod", home);
  }
  go_setting("GOFLAGS", f, v, sizeof(v));
  env->goflags_ldflags = strstr(v, "ldflags") != NULL;
  /* GOROOT as go finds its own: the setting, else two levels above the
   * real path of the go command; the version from its VERSION file. */
  char exe[PATH_MAX];
  go_setting("GOROOT", f, v, sizeof(v));
  if (v[0]) {
    snprintf(env->goroot, sizeof(env->goroot), "%s", v);
  } else if (realpath(env->go, exe)) {
    for (int up = 0; up < 2; up++) {
      char *slash = strrchr(exe, '/');
      if (slash)
        *slash = 0;
    }
    snprintf(env->goroot, sizeof(env->goroot), "%s", exe);
  }
  snprintf(exe, sizeof(exe), "%s/pkg/tool", env->goroot);
  if (!env->goroot[0] || !env->gocache[0] || access(exe, F_OK) < 0)
    return false;
  snprintf(exe, sizeof(exe), "%s/VERSION", env->goroot);
  FILE *vf = fopen(exe, "re");
  bool ok = vf && fgets(v, sizeof(v), vf);
  if (vf)
    fclose(vf);
  v[strcspn(v, "\n")] = 0;
  env->minor = ok ? go_minor(v) : 0;
  if (env->minor == 0)
    return false;
  snprintf(env->version, sizeof(env->version), "%s", v);
  /* From Go 1.21 on, go may switch to the toolchain go.mod names (and its
   * GOROOT): only go env knows, unless GOTOOLCHAIN=local. */
  if (env->minor >= 21) {
    go_setting("GOTOOLCHAIN", f, v, sizeof(v));
    return strcmp(v, "local") == 0;
  }
  return true;
}

/* The build flags that change which files a package has. */
static bool selects_files(const char *flag) {
  static const char *const names[] = {"-tags=", "-race", "-msan", "-asan", "-mod=", "-modfile=", "-overlay="};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(names); i++)
    if (strncmp(flag, names[i], strlen(names[i])) == 0)
      return true;
  return false;
}

/* The caller frees *pkgs (tj_packages_free) on failure too. */
int tj_go_list_parse(const char *out, size_t len, struct tj_package **pkgs, int *n_pkgs, tj_error *err) {
  const char *p = out;
  size_t left = len;
  char line[480];
  int cap = 0;
  while (left) {
    while (left && (*p == '\n' || *p == ' '))
      p++, left--;
    if (!left)
      break;
    json_error_t jerr;
    json_t *o = json_loadb(p, left, JSON_DISABLE_EOF_CHECK, &jerr);
    if (!o) {
      return tj_error_set(err, 0, "go list: unreadable output (%s)", jerr.text);
    }
    p += jerr.position;
    left -= (size_t)jerr.position;
    const char *ip = json_string_value(json_object_get(o, "ImportPath"));
    const char *dir = json_string_value(json_object_get(o, "Dir"));
    const char *name = json_string_value(json_object_get(o, "Name"));
    const char *perr = json_string_value(json_object_get(json_object_get(o, "Error"), "Err"));
    if (!name || !*name || !dir) {
      /* Not a package go could find: say what go says, or that the pattern
       * matched nothing. */
      if (perr) {
        first_line(perr, line, sizeof(line));
        char *hint = strstr(line, "; to add it:");
        if (hint)
          *hint = 0;
        tj_error_set(err, 0, "package %s: %s", ip ? ip : "?", line);
      } else {
        tj_error_set(err, 0, "pattern %s matched no packages", ip ? ip : "?");
      }
      json_decref(o);
      return -1;
    }
    if (*n_pkgs == cap) {
      cap = cap ? cap * 2 : 16;
      struct tj_package *np = realloc(*pkgs, (size_t)cap * sizeof(**pkgs));
      if (!np) {
        json_decref(o);
        return tj_error_set(err, ENOMEM, "go list");
      }
      *pkgs = np;
    }
    struct tj_package *pk = &(*pkgs)[(*n_pkgs)++];
    pk->import_path = strdup(ip ? ip : name);
    pk->dir = strdup(dir);
    char bname[PATH_MAX];
    tj_test_binary_name(pk->import_path, name, bname, sizeof(bname));
    pk->binary = strdup(bname);
    pk->has_tests = nonempty_array(o, "TestGoFiles") || nonempty_array(o, "XTestGoFiles");
    json_decref(o);
    if (!pk->import_path || !pk->dir || !pk->binary)
      return tj_error_set(err, ENOMEM, "go list");
  }
  return 0;
}

/* go env and go list at once: each costs a go start-up. */
int tj_go_resolve(char **patterns, int n, char **build_flags, struct tj_go_env *env, struct tj_package **pkgs,
                  int *n_pkgs, tj_error *err) {
  *pkgs = NULL;
  *n_pkgs = 0;
  if (tj_go_find(env, err) < 0)
    return -1;
  static char dot[] = ".";
  char *env_argv[] = {env->go, "env", "-json", "GOVERSION", "GOCACHE", "GOMODCACHE", "GOROOT", "GOFLAGS", NULL};
  int nbf = 0;
  while (build_flags && build_flags[nbf])
    nbf++;
  char **argv = calloc((size_t)n + (size_t)nbf + 7, sizeof(char *));
  if (!argv)
    return tj_error_set(err, ENOMEM, "go list");
  int k = 0;
  argv[k++] = (char *)env->go;
  argv[k++] = "list";
  argv[k++] = "-e";
  /* -find and only the fields needed: no dependency walk, no staleness
   * check per package; what cannot build is the build's to say. */
  argv[k++] = "-find";
  argv[k++] = "-json=ImportPath,Dir,Name,TestGoFiles,XTestGoFiles,Error";
  for (int i = 0; i < nbf; i++)
    if (selects_files(build_flags[i]))
      argv[k++] = build_flags[i];
  if (n == 0)
    argv[k++] = dot;
  for (int i = 0; i < n; i++)
    argv[k++] = patterns[i];
  argv[k] = NULL;
  struct capture c[2] = {{.argv = env_argv}, {.argv = argv}};
  /* Where everything go env would say is known without it, one go start-up
   * less. */
  bool known = tj_go_guess(env);
  int r = known ? capture_all(&c[1], 1, err) : capture_all(c, 2, err);
  free(argv);
  if (r < 0 || (!known && (r = parse_go_env(env, &c[0], err)) < 0))
    goto done;
  struct tj_buf out = c[1].out, errout = c[1].err;
  int ws = c[1].wstatus;
  char line[480];
  /* go's "matched no packages" is a warning; for testjail it is bad input. */
  const char *warn = errout.p ? strstr(errout.p, "matched no packages") : NULL;
  if (warn) {
    const char *start = warn;
    while (start > errout.p && start[-1] != '\n')
      start--;
    first_line(start, line, sizeof(line));
    r = tj_error_set(err, 0, "%s", line);
    goto done;
  }
  if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
    first_line(errout.p, line, sizeof(line));
    r = tj_error_set(err, 0, "go list: %s", line[0] ? line : "failed without a message");
    goto done;
  }
  r = tj_go_list_parse(out.p ? out.p : "", out.len, pkgs, n_pkgs, err);
  if (r == 0 && *n_pkgs == 0)
    r = tj_error_set(err, 0, "no packages to test");
done:
  if (r < 0) {
    tj_packages_free(*pkgs, *n_pkgs);
    *pkgs = NULL;
    *n_pkgs = 0;
  }
  capture_free(&c[0]);
  capture_free(&c[1]);
  return r;
}

/* ---- TESTFLAGS ----------------------------------------------------------- */

/* The flag named want is the one of name's first nl characters. */
static bool named(const char *want, const char *name, size_t nl) {
  return strlen(want) == nl && strncmp(want, name, nl) == 0;
}

/* The testing package's flag of name's first nl characters, or NULL. */
static const struct tj_goflag *test_flag(const char *name, size_t nl) {
  const struct tj_goflag *f = tj_goflag_named(name, nl);
  return f && f->owner == TJ_GOFLAG_TEST ? f : NULL;
}

void tj_go_flags_free(struct tj_go_flags *gf) {
  tj_testflags_free(gf->build);
  *gf = (struct tj_go_flags){0};
}

static bool add_build_flag(struct tj_go_flags *gf, int *nb, const char *name, const char *value) {
  char *f;
  if (asprintf(&f, "-%s%s%s", name, value ? "=" : "", value ? value : "") < 0)
    return false;
  gf->build[(*nb)++] = f;
  return true;
}

/* Returns 1 when flags[*i] was a build flag (taken, *i moved past its
 * value), 0 when not, < 0 on bad input. */
static int build_flag(char **flags, int n, int *i, struct tj_go_flags *gf, int *nb, tj_error *err) {
  const char *a = flags[*i];
  const char *name = a + (a[1] == '-' ? 2 : 1);
  const char *eq = strchr(name, '=');
  size_t nl = eq ? (size_t)(eq - name) : strlen(name);
  const struct tj_goflag *g = tj_goflag_named(name, nl);
  if (g && g->owner == TJ_GOFLAG_GOTEST)
    return tj_error_set(err, 0, "bad TESTFLAGS: %s: %s", a, g->instead);
  bool profile = named("coverprofile", name, nl);
  if ((!g || g->owner != TJ_GOFLAG_BUILD) && !profile)
    return 0;
  const char *value = eq ? eq + 1 : NULL;
  if (!value && (profile || g->kind != TJ_GOFLAG_BOOL)) {
    if (*i + 1 >= n)
      return tj_error_set(err, 0, "bad TESTFLAGS: %s needs a value", a);
    value = flags[++*i];
  }
  char fname[32];
  snprintf(fname, sizeof(fname), "%.*s", (int)nl, name);
  if (profile) {
    if (!*value)
      return tj_error_set(err, 0, "bad TESTFLAGS: %s needs a file name", a);
    gf->coverprofile = value;
    gf->cover = true;
    for (int j = 0; j < *nb; j++)
      if (strcmp(gf->build[j], "-cover") == 0)
        return 1;
    return add_build_flag(gf, nb, "cover", NULL) ? 1 : tj_error_set(err, ENOMEM, "TESTFLAGS");
  }
  if (strcmp(fname, "covermode") == 0 && strcmp(value, "set") && strcmp(value, "count") && strcmp(value, "atomic"))
    return tj_error_set(err, 0, "bad TESTFLAGS: invalid value \"%s\" for -covermode: expected set, count or atomic",
                        value);
  gf->cover |= strncmp(fname, "cover", 5) == 0;
  if (strcmp(fname, "covermode") == 0)
    gf->covermode = value;
  gf->race |= strcmp(fname, "race") == 0 && (!value || strcmp(value, "false") != 0);
  return add_build_flag(gf, nb, fname, value) ? 1 : tj_error_set(err, ENOMEM, "TESTFLAGS");
}

int tj_testflags_goflags(char **flags, int n, char ***out, int *n_out) {
  char setting[8192];
  char file[PATH_MAX];
  go_env_file(file, sizeof(file));
  go_setting("GOFLAGS", file[0] ? file : NULL, setting, sizeof(setting));
  /* one allocation: the array, then the copy of GOFLAGS its words point into */
  size_t slots = (size_t)n + strlen(setting) / 2 + 2, len = strlen(setting) + 1;
  char **all = calloc(1, slots * sizeof(char *) + len);
  if (!all)
    return -ENOMEM;
  char *goflags = memcpy((char *)(all + slots), setting, len);
  int k = 0;
  char *save = NULL;
  for (char *t = strtok_r(goflags, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
    const char *name = t + (t[0] == '-' && t[1] == '-' ? 2 : 1);
    size_t nl = strcspn(name, "=");
    if (t[0] == '-' && test_flag(name, nl))
      all[k++] = t;
  }
  for (int i = 0; i < n; i++)
    all[k++] = flags[i];
  *out = all;
  *n_out = k;
  return 0;
}

void tj_testflags_free(char **flags) {
  for (char **f = flags; f && *f; f++)
    free(*f);
  free(flags);
}

static int testflags(char **flags, int n, char ***out, bool *verbose, bool *has_timeout, struct tj_go_flags *gf,
                     tj_error *err);

int tj_testflags(char **flags, int n, char ***out, bool *verbose, bool *has_timeout, struct tj_go_flags *gf,
                 tj_error *err) {
  *gf = (struct tj_go_flags){0};
  int r = testflags(flags, n, out, verbose, has_timeout, gf, err);
  if (r < 0)
    tj_go_flags_free(gf);
  return r;
}

static int testflags(char **flags, int n, char ***out, bool *verbose, bool *has_timeout, struct tj_go_flags *gf,
                     tj_error *err) {
  *verbose = *has_timeout = false;
  char **res = calloc((size_t)n + 1, sizeof(char *));
  gf->build = calloc((size_t)n + 2, sizeof(char *));
  if (!res || !gf->build) {
    free(res);
    return tj_error_set(err, ENOMEM, "TESTFLAGS");
  }
  int k = 0, nb = 0;
  for (int i = 0; i < n; i++) {
    const char *a = flags[i];
    if (strcmp(a, "-args") == 0 || strcmp(a, "--args") == 0) {
      for (i++; i < n; i++)
        res[k++] = strdup(flags[i]);
      break;
    }
    if (a[0] != '-' || !a[1] || strcmp(a, "--") == 0) {
      res[k++] = strdup(a);
      continue;
    }
    const char *name = a + (a[1] == '-' ? 2 : 1);
    if (strncmp(name, "test.", 5) != 0) {
      int b = build_flag(flags, n, &i, gf, &nb, err);
      if (b < 0) {
        tj_testflags_free(res);
        return b;
      }
      if (b > 0)
        continue;
    }
    if (strncmp(name, "test.", 5) == 0)
      name += 5;
    const char *eq = strchr(name, '=');
    size_t nl = eq ? (size_t)(eq - name) : strlen(name);
    const struct tj_goflag *f = test_flag(name, nl);
    if (!f) {
      res[k++] = strdup(a); /* the test's own flag: the binary judges it */
      continue;
    }
    const char *value = eq ? eq + 1 : NULL;
    if (tj_goflag_takes_next(f, value)) {
      if (i + 1 >= n) {
        tj_testflags_free(res);
        return tj_error_set(err, 0, "bad TESTFLAGS: %s needs a value", a);
      }
      value = flags[++i];
    }
    const char *expect = "";
    if (value && !tj_goflag_valid(f, value, &expect)) {
      tj_testflags_free(res);
      return tj_error_set(err, 0, "bad TESTFLAGS: invalid value \"%s\" for %.*s: expected %s", value,
                          (int)(nl + 1 + (name - a) - 1), a, expect);
    }
    if (strcmp(f->name, "v") == 0) {
      *verbose = !value || (strcmp(value, "false") && strcmp(value, "0") && strcmp(value, "f") && strcmp(value, "F") &&
                            strcmp(value, "FALSE") && strcmp(value, "False"));
      continue; /* the binary always runs with -test.v */
    }
    if (strcmp(f->name, "paniconexit0") == 0)
      continue;
    if (strcmp(f->name, "timeout") == 0)
      *has_timeout = true;
    if (strcmp(f->name, "bench") == 0 && value && *value)
      gf->bench = true;
    if (strcmp(f->name, "list") == 0 && value && *value)
      gf->list = true;
    if (strcmp(f->name, "artifacts") == 0)
      (void)(value ? tj_goflag_bool(value, &gf->artifacts) : (gf->artifacts = true));
    if (strcmp(f->name, "outputdir") == 0)
      gf->outputdir = value;
    /* go test builds a binary for fuzzing with -fuzz, and hands it the
     * corpus cache under GOCACHE. */
    if (strcmp(f->name, "fuzz") == 0 && value && *value) {
      gf->fuzz = true;
      if (!add_build_flag(gf, &nb, "fuzz", value)) {
        tj_testflags_free(res);
        return tj_error_set(err, ENOMEM, "TESTFLAGS");
      }
    }
    if (asprintf(&res[k++], "-test.%s%s%s", f->name, value ? "=" : "", value ? value : "") < 0)
      res[k - 1] = NULL;
  }
  for (int i = 0; i < k; i++)
    if (!res[i]) {
      tj_testflags_free(res);
      return tj_error_set(err, ENOMEM, "TESTFLAGS");
    }
  *out = res;
  return 0;
}

/* ---- one package --------------------------------------------------------- */

struct line_asm {
  struct tj_buf line[3]; /* per fd */
};

struct job_ctx {
  bool json_started;       /* the package's start event is out (Go 1.20+) */
  bool failing_unfinished; /* tj_gotest_fail_unfinished's events: not the timeline's */
  const struct tj_job *job;
  struct tj_gotest *gt;
  struct tj_buf text; /* TJ_OUT_TEXT: shown only when the package fails */
  struct line_asm asm_;
  struct tj_build_notes build;
  bool no_tests_to_run;
  char coverage[160]; /* the binary's last "coverage: ..." line, for the ok line */
  struct tj_timeline tl;
  bool tl_on;
  int64_t start_mono; /* the test run's start, CLOCK_MONOTONIC ms */
  struct tj_live_status st;
  char gomemlimit_env[64];
  char gomaxprocs_env[32];
  char pwd_env[PATH_MAX + 8], path_env[PATH_MAX * 2];
  char failed_build[PATH_MAX]; /* go's ID of the package whose build failed (build-fail) */
  /* the phases' specs and the paths their argv and binds point into: they
   * live as long as the job */
  struct tj_spec build_spec, test_spec;
  char gotmp[PATH_MAX + 32];
  char cover_dir[PATH_MAX], cover_flag[PATH_MAX + 32];
  char art_dir[PATH_MAX + 16], art_flag[PATH_MAX + 32];
  char fuzzcache[PATH_MAX + 64];
  char running[512];        /* job_running's answer */
  struct tj_run_result res; /* the phase's sandbox run, ~46 KiB */
  struct tj_pkg_result out; /* the result's typed half, filled as its json is made */
};

static void sink(const struct job_ctx *c, int fd, const char *buf, size_t len) {
  if (len)
    c->job->sink(c->job->sink_ctx, fd, buf, len);
}

static void sink_str(const struct job_ctx *c, int fd, const char *s) { sink(c, fd, s, strlen(s)); }

static void timeline_event(struct job_ctx *c, const struct tj_gt_event *ev);

/* A benchmark's bare name: -test.v prints it before the benchmark runs, go
 * test's text has only the result line. */
static bool bench_name_line(const struct tj_gt_event *ev) {
  if (ev->action != TJ_GT_OUTPUT || ev->output_len < 11 || memcmp(ev->output, "Benchmark", 9) != 0 ||
      ev->output[ev->output_len - 1] != '\n')
    return false;
  for (size_t i = 9; i + 1 < ev->output_len; i++)
    if (ev->output[i] == ' ' || ev->output[i] == '\t')
      return false;
  return true;
}

static void on_event(void *ctx, const struct tj_gt_event *ev) {
  struct job_ctx *c = ctx;
  if (!c->failing_unfinished)
    timeline_event(c, ev);
  switch (c->job->mode) {
  case TJ_OUT_JSON: {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tj_buf b = {0};
    if (!c->json_started && c->job->go->minor >= 20) {
      /* test2json opens each package with a start event since Go 1.20 */
      struct tj_gt_event start = {.action = TJ_GT_START, .elapsed = -1};
      tj_json_event(&b, &now, c->job->pkg->import_path, &start);
    }
    c->json_started = true;
    tj_json_event(&b, &now, c->job->pkg->import_path, ev);
    sink(c, STDOUT_FILENO, b.p, b.len);
    tj_buf_free(&b);
    break;
  }
  case TJ_OUT_VERBOSE:
    if (ev->action == TJ_GT_OUTPUT)
      sink(c, STDOUT_FILENO, ev->output, ev->output_len);
    break;
  case TJ_OUT_TEXT:
    if (!(c->job->gflags && c->job->gflags->bench && bench_name_line(ev)))
      tj_text_event(&c->text, c->gt, ev);
    break;
  }
}

/* The binary's stdout and stderr are one stream for go test; here they are
 * two pipes, so whole lines from each are fed in arrival order. */
static void test_output(void *ctx, int fd, const char *buf, size_t len) {
  struct job_ctx *c = ctx;
  struct tj_buf *l = &c->asm_.line[fd == STDERR_FILENO ? 2 : 1];
  while (len) {
    const char *nl = memchr(buf, '\n', len);
    size_t take = nl ? (size_t)(nl - buf) + 1 : len;
    tj_buf_add(l, buf, take);
    if (nl || l->len >= 65536) {
      if (strstr(l->p, "testing: warning: no tests to run"))
        c->no_tests_to_run = true;
      if (strncmp(l->p, "coverage: ", 10) == 0)
        snprintf(c->coverage, sizeof(c->coverage), "%.*s", (int)strcspn(l->p, "\n"), l->p);
      tj_gotest_feed(c->gt, l->p, l->len);
      l->len = 0;
    }
    buf += take;
    len -= take;
  }
}

/* A last line without its newline gets one, as go test adds it. */
static void flush_test_output(struct job_ctx *c) {
  for (int i = 1; i <= 2; i++)
    if (c->asm_.line[i].len) {
      tj_buf_add(&c->asm_.line[i], "\n", 1);
      tj_gotest_feed(c->gt, c->asm_.line[i].p, c->asm_.line[i].len);
      c->asm_.line[i].len = 0;
    }
}

/* From Go 1.24 on, go test -json reports a build's output as build-output
 * events on stdout (and its failure as build-fail), where older releases
 * printed it on stderr. */
static bool json_build(const struct tj_job *job) { return job->mode == TJ_OUT_JSON && job->go->minor >= 24; }

static void build_output(void *ctx, int fd, const char *buf, size_t len) {
  struct job_ctx *c = ctx;
  /* go test prints the compiler's and vet's complaints on stderr; with
   * -json its events on stdout */
  sink(c, json_build(c->job) ? fd : STDERR_FILENO, buf, len);
}

static void build_line(void *ctx, int fd, const char *line, size_t len) {
  struct job_ctx *c = ctx;
  if (!json_build(c->job) || fd != STDOUT_FILENO || !len || line[0] != '{') {
    tj_build_notes_line(&c->build, line, len);
    return;
  }
  json_t *o = json_loadb(line, len, 0, NULL);
  const char *action = json_string_value(json_object_get(o, "Action"));
  const char *out = json_string_value(json_object_get(o, "Output"));
  const char *id = json_string_value(json_object_get(o, "ImportPath"));
  if (action && strcmp(action, "build-output") == 0 && out)
    tj_build_notes_line(&c->build, out, strcspn(out, "\n"));
  else if (action && strcmp(action, "build-fail") == 0 && id && !c->failed_build[0])
    snprintf(c->failed_build, sizeof(c->failed_build), "%s", id);
  json_decref(o);
}

static bool stopped(const struct tj_job *job) {
  if (job->stop_fd < 0)
    return false;
  struct pollfd p = {.fd = job->stop_fd, .events = POLLIN};
  return poll(&p, 1, 0) > 0;
}

static bool add_bind(struct tj_spec *s, const char *src, bool ro) {
  struct stat st;
  if (!src || !*src || stat(src, &st) < 0)
    return true; /* nothing to bind */
  for (int i = 0; i < s->n_binds; i++)
    if (strcmp(s->binds[i].dst, src) == 0)
      return true;
  if (s->n_binds >= TJ_MAX_BINDS)
    return false;
  s->binds[s->n_binds++] = (struct tj_bind){.src = src, .dst = src, .readonly = ro};
  return true;
}

/* go creates GOCACHE and GOMODCACHE when it first needs them (MkdirAll,
 * 0777 before umask); inside the sandbox the rest of / is read-only, so
 * they are made here first, or a fresh machine's first build fails. */
static void make_go_dir(const char *dir) {
  char buf[PATH_MAX];
  if (!dir || dir[0] != '/' || snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
    return;
  for (char *p = buf + 1;; p++) {
    if (*p && *p != '/')
      continue;
    char c = *p;
    *p = 0;
    if (mkdir(buf, 0777) < 0 && errno != EEXIST)
      return; /* go says why, inside */
    if (!c)
      return;
    *p = c;
  }
}

/* Whether path or a directory above it is one others may not search: the
 * sandbox covers such a directory, hiding all but what is bound below it. */
static bool behind_cover(const char *path) {
  char buf[PATH_MAX];
  if (path[0] != '/' || snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
    return false;
  for (char *p = buf + 1;; p++) {
    if (*p && *p != '/')
      continue;
    char c = *p;
    *p = 0;
    struct stat st;
    if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode) && !(st.st_mode & S_IXOTH))
      return true;
    if (!c)
      return false;
    *p = c;
  }
}

/* The sandbox's private /tmp hides the host's, and a covered directory
 * (root's 0700 home, a mktemp -d) the rest of its tree: a module or
 * workspace kept there stays visible (read-only) around a package directory
 * inside it, as it does anywhere else (go.mod for a build started below the
 * module root, the module's testdata for the tests). */
static bool add_go_roots(struct tj_spec *s, const struct tj_go_env *go) {
  const char *roots[] = {go->workroot, go->modroot};
  char wd[PATH_MAX];
  if (!realpath(s->workdir ? s->workdir : ".", wd))
    wd[0] = 0;
  for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
    if ((strncmp(roots[i], "/tmp/", 5) == 0 || behind_cover(roots[i])) && strcmp(roots[i], wd) != 0 &&
        !add_bind(s, roots[i], true))
      return false; /* the working directory itself stays writable */
  return true;
}

static bool add_env(struct tj_spec *s, const char *kv) {
  if (s->n_env >= TJ_MAX_ENV)
    return false;
  s->env[s->n_env++] = kv;
  return true;
}

/* The result's common fields; typed, they go into c->out too. */
static json_t *result_base(struct job_ctx *c, const char *phase, const struct tj_verdict *v) {
  const struct tj_job *job = c->job;
  c->out.outcome = v->outcome;
  snprintf(c->out.outcome_name, sizeof(c->out.outcome_name), "%s", v->outcome_name);
  snprintf(c->out.diagnosis, sizeof(c->out.diagnosis), "%s", v->diagnosis);
  json_t *r = json_object();
  json_object_set_new(r, "package", json_string(job->pkg->import_path));
  json_object_set_new(r, "phase", json_string(phase));
  json_object_set_new(r, "outcome", json_string(v->outcome_name));
  json_object_set_new(r, "exit_code", json_integer(tj_outcome_exit_code(v->outcome)));
  json_object_set_new(r, "diagnosis", json_string(v->diagnosis));
  return r;
}

/* The line a verdict gets on stderr, or NULL when it needs none. */
static char *diagnosis_line(const struct job_ctx *c, const struct tj_verdict *v) {
  char *line = NULL;
  if ((v->outcome == TJ_PASSED || v->outcome == TJ_TESTS_FAILED) && v->warning[0]) {
    if (asprintf(&line, "testjail: %s: warning: %s\n", c->job->pkg->import_path, v->warning) < 0)
      return NULL;
  } else if (v->outcome == TJ_PASSED || (v->outcome == TJ_TESTS_FAILED && !v->crashed)) {
    return NULL;
  } else if (asprintf(&line, "testjail: %s: %s\n", c->job->pkg->import_path, v->diagnosis) < 0) {
    return NULL;
  }
  return line;
}

static void diagnose(struct job_ctx *c, const struct tj_verdict *v) {
  char *line = diagnosis_line(c, v);
  if (!line)
    return;
  /* -json: stdout is the event stream and the verdict rides in it. */
  if (c->job->mode == TJ_OUT_JSON && c->gt)
    tj_gotest_feed(c->gt, line, strlen(line));
  else
    sink_str(c, STDERR_FILENO, line);
  free(line);
}

static json_t *no_test_files(struct job_ctx *c) {
  const struct tj_job *job = c->job;
  char *line = NULL;
  if (asprintf(&line, "?   \t%s\t[no test files]\n", job->pkg->import_path) < 0)
    return NULL;
  if (job->mode == TJ_OUT_JSON) {
    tj_gotest_feed(c->gt, line, strlen(line));
    tj_gotest_close(c->gt, 0);
  } else {
    sink_str(c, STDOUT_FILENO, line);
  }
  free(line);
  struct tj_verdict v = {.outcome = TJ_PASSED};
  snprintf(v.outcome_name, sizeof(v.outcome_name), "passed");
  snprintf(v.diagnosis, sizeof(v.diagnosis), "no test files");
  json_t *r = result_base(c, "test", &v);
  json_object_set_new(r, "no_test_files", json_true());
  json_object_set_new(r, "tests",
                      json_pack("{s:i,s:i,s:i,s:[],s:[],s:[]}", "passed", 0, "failed", 0, "skipped", 0, "failed_names",
                                "running", "cases"));
  return r;
}

/* What the report's run fields say of res, typed. */
static void run_facts(struct job_ctx *c, const struct tj_run_result *res) {
  c->out.peak_bytes = res->stats.memory_peak_bytes >= 0 ? res->stats.memory_peak_bytes : -1;
  c->out.duration_ms = res->duration_ms;
  c->out.signal = res->status_known && WIFSIGNALED(res->wstatus) ? WTERMSIG(res->wstatus) : 0;
}

static json_t *build_failed(struct job_ctx *c, const struct tj_spec *spec, const struct tj_run_result *res,
                            const struct tj_verdict *v) {
  const struct tj_job *job = c->job;
  char *line = NULL;
  if (asprintf(&line, "FAIL\t%s [build failed]\n", job->pkg->import_path) < 0)
    return NULL;
  if (job->mode == TJ_OUT_JSON && job->go->minor >= 22) {
    /* As go test -json of Go 1.22+: the FAIL line as output, then a fail
     * event, which names the build that failed from 1.24 on. */
    tj_gotest_feed(c->gt, line, strlen(line));
    if (json_build(job))
      tj_gotest_failed_build(c->gt, c->failed_build[0] ? c->failed_build : job->pkg->import_path);
    diagnose(c, v);
    tj_gotest_close(c->gt, 0);
  } else if (job->mode == TJ_OUT_JSON) {
    /* As go test -json of Go 1.19 to 1.21: a plain line, no event, so
     * consumers count a build failure as go's own. */
    sink_str(c, STDOUT_FILENO, line);
    diagnose(c, v);
    tj_gotest_close(c->gt, 0);
  } else {
    sink_str(c, STDOUT_FILENO, line);
    diagnose(c, v);
  }
  free(line);
  json_t *r = result_base(c, "build", v);
  run_facts(c, res);
  json_t *run = tj_report_run(spec, res, v);
  json_object_update(r, run);
  json_decref(run);
  return r;
}

/* "exit status 2", "signal: killed": what go test says of a binary that
 * failed without printing anything. */
static void exit_text(int wstatus, char *buf, size_t len) {
  if (WIFSIGNALED(wstatus)) {
    const char *s = strsignal(WTERMSIG(wstatus));
    snprintf(buf, len, "signal: %s", s ? s : "unknown");
    if (buf[8])
      buf[8] = (char)(buf[8] | 0x20);
  } else {
    snprintf(buf, len, "exit status %d", WEXITSTATUS(wstatus));
  }
}

static json_t *tests_json(const struct tj_gotest *gt) {
  int n, passed, failed, skipped;
  const struct tj_gt_test *t = tj_gotest_tests(gt, &n);
  tj_gotest_counts(gt, &passed, &failed, &skipped);
  json_t *names = json_array(), *running = json_array();
  for (int i = 0; i < n; i++) {
    if (tj_gt_test_failed(&t[i]))
      json_array_append_new(names, json_string(t[i].name));
    if (t[i].status == TJ_GT_RUNNING)
      json_array_append_new(running, json_string(t[i].name));
  }
  return json_pack("{s:i,s:i,s:i,s:o,s:o,s:o}", "passed", passed, "failed", failed, "skipped", skipped, "failed_names",
                   names, "running", running, "cases", tj_test_cases(gt));
}

/* ---- the timeline and the live view ----------------------------------------- */

static void live_send(struct job_ctx *c) {
  if (c->job->live)
    c->job->live(c->job->live_ctx, &c->st);
}

static void set_phase(struct job_ctx *c, const char *phase, int64_t mem_limit, int64_t pids_limit) {
  snprintf(c->st.phase, sizeof(c->st.phase), "%s", c->job->phase ? c->job->phase : phase);
  c->st.mem_current = c->st.pids_current = -1;
  c->st.mem_limit = mem_limit;
  c->st.pids_limit = pids_limit;
  c->st.test[0] = 0;
  live_send(c);
}

static void run_started(void *ctx, int64_t start_mono_ms) { ((struct job_ctx *)ctx)->start_mono = start_mono_ms; }

static void run_sample(void *ctx, int64_t t_ms, const struct tj_cg_sample *s) {
  struct job_ctx *c = ctx;
  if (c->tl_on)
    tj_timeline_sample(&c->tl, t_ms, s);
  c->st.mem_current = s->memory_bytes;
  c->st.pids_current = s->pids;
  live_send(c);
}

/* Test boundaries for the timeline, from the parser's events. */
static void timeline_event(struct job_ctx *c, const struct tj_gt_event *ev) {
  if (!c->tl_on || !ev->test || !ev->test[0])
    return;
  int64_t t = tj_now_ms() - c->start_mono;
  switch (ev->action) {
  case TJ_GT_RUN:
    tj_timeline_test_start(&c->tl, ev->test, t);
    break;
  case TJ_GT_PASS:
    tj_timeline_test_end(&c->tl, ev->test, "pass", t);
    break;
  case TJ_GT_FAIL:
    tj_timeline_test_end(&c->tl, ev->test, "fail", t);
    break;
  case TJ_GT_SKIP:
    tj_timeline_test_end(&c->tl, ev->test, "skip", t);
    break;
  default:
    return;
  }
  snprintf(c->st.test, sizeof(c->st.test), "%s", tj_timeline_running(&c->tl));
  live_send(c);
}

/* GOMEMLIMIT for the tests (Go 1.19 reads it at start-up): set from the
 * option, or what the environment already holds; reported either way. */
static json_t *gomemlimit(struct job_ctx *c, struct tj_spec *ts) {
  const struct tj_monitor_opts *m = &c->job->opts->mon;
  const char *value = NULL, *source = NULL;
  switch (m->gomemlimit) {
  case TJ_GOMEMLIMIT_AUTO:
    if (ts->memory_bytes > 0) {
      /* 90%: room for what the runtime does not count (stacks of cgo
       * threads, the binary's own pages) before the cgroup limit. */
      snprintf(c->gomemlimit_env, sizeof(c->gomemlimit_env), "GOMEMLIMIT=%lld", (long long)(ts->memory_bytes / 10 * 9));
      source = "auto";
    }
    break;
  case TJ_GOMEMLIMIT_OFF:
    snprintf(c->gomemlimit_env, sizeof(c->gomemlimit_env), "GOMEMLIMIT=off");
    source = "option";
    break;
  case TJ_GOMEMLIMIT_SIZE:
    snprintf(c->gomemlimit_env, sizeof(c->gomemlimit_env), "GOMEMLIMIT=%lld", (long long)m->gomemlimit_bytes);
    source = "option";
    break;
  case TJ_GOMEMLIMIT_INHERIT:
    break;
  }
  if (source) {
    if (!add_env(ts, c->gomemlimit_env))
      return NULL;
    value = c->gomemlimit_env + strlen("GOMEMLIMIT=");
  } else {
    for (int i = ts->n_env - 1; i >= 0 && !value; i--)
      if (strncmp(ts->env[i], "GOMEMLIMIT=", 11) == 0)
        value = ts->env[i] + 11, source = "env";
    if (!value && (value = getenv("GOMEMLIMIT")))
      source = "inherited";
  }
  snprintf(c->out.gomemlimit, sizeof(c->out.gomemlimit), "%s", value ? value : "");
  c->out.gomemlimit_source = source;
  json_t *o = json_object();
  json_object_set_new(o, "value", value ? json_string(value) : json_null());
  json_object_set_new(o, "source", source ? json_string(source) : json_null());
  if (value && c->job->go->minor > 0 && c->job->go->minor < 19)
    json_object_set_new(o, "note", json_string("Go before 1.19 ignores GOMEMLIMIT"));
  return o;
}

/* GOMAXPROCS for the tests: --cpus shows in runtime.GOMAXPROCS(0), as in a
 * container with that limit; testjail sets it where the runtime would not
 * (tj_gomaxprocs_decide). Reported either way. The limit stays as it is
 * for the whole run, so the runtime's own updates (GODEBUG updatemaxprocs,
 * Go 1.25) keep the value reported unless a test changes its affinity. */
static json_t *gomaxprocs(struct job_ctx *c, struct tj_spec *ts, const char *bin) {
  struct tj_gmp_in in = {
      .go_minor = c->job->go->minor, .cpu_quota_us = ts->cpu_quota_us, .cpu_period_us = ts->cpu_period_us};
  for (int i = ts->n_env - 1; i >= 0; i--) {
    if (!in.user && strncmp(ts->env[i], "GOMAXPROCS=", 11) == 0)
      in.user = ts->env[i] + 11;
    if (!in.godebug && strncmp(ts->env[i], "GODEBUG=", 8) == 0)
      in.godebug = ts->env[i] + 8;
  }
  if (!in.user && (in.user = getenv("GOMAXPROCS")))
    in.user_inherited = true;
  if (!in.godebug)
    in.godebug = getenv("GODEBUG");
  /* The runtime counts the CPUs of its affinity mask; the sandbox keeps ours. */
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
    in.ncpu = CPU_COUNT(&cpus);
  /* The runtime finds its cgroup's limit through /proc/self/cgroup and a
   * cgroupfs mount whose root holds that path. In the sandbox's cgroup
   * namespace the path is "/": only the sandbox's own cgroup2 mount (v2)
   * has that root; the host's v1 mounts it keeps have roots outside the
   * namespace ("/.."), so on v1 and hybrid hosts the runtime sees no limit. */
  enum tj_cg_mode mode;
  tj_error err = {0};
  in.runtime_sees_cgroup = tj_cg_detect(&mode, &err) == 0 && mode == TJ_CG_V2;
  char dflt[4096];
  if (tj_go_binary_godebug(bin, dflt, sizeof(dflt)) == 0)
    in.godebug_default = dflt;
  struct tj_gmp g;
  tj_gomaxprocs_decide(&in, &g);
  if (g.set > 0) {
    snprintf(c->gomaxprocs_env, sizeof(c->gomaxprocs_env), "GOMAXPROCS=%d", g.set);
    if (!add_env(ts, c->gomaxprocs_env))
      return NULL;
  }
  json_t *o = json_object();
  json_object_set_new(o, "value", g.value > 0 ? json_integer(g.value) : json_null());
  json_object_set_new(o, "source", json_string(g.source));
  if (g.note)
    json_object_set_new(o, "note", json_string(g.note));
  return o;
}

/* ---- the phases ------------------------------------------------------------- */

static json_t *setup_result(struct job_ctx *c, const tj_error *err) {
  const struct tj_job *job = c->job;
  struct tj_verdict v;
  memset(&v, 0, sizeof(v));
  v.outcome = TJ_SANDBOX_ERROR;
  snprintf(v.outcome_name, sizeof(v.outcome_name), "sandbox_error");
  snprintf(v.diagnosis, sizeof(v.diagnosis), "sandbox error: %s", err->msg);
  snprintf(v.evidence[v.n_evidence++], sizeof(v.evidence[0]), "%s", err->msg);
  if (job->mode == TJ_OUT_JSON) {
    char *line = NULL;
    if (asprintf(&line, "FAIL\t%s [setup failed]\n", job->pkg->import_path) >= 0) {
      tj_gotest_feed(c->gt, line, strlen(line));
      free(line);
    }
    diagnose(c, &v);
    tj_gotest_exited(c->gt, false);
    tj_gotest_close(c->gt, 0);
  } else {
    char *line = NULL;
    if (asprintf(&line, "FAIL\t%s [setup failed]\n", job->pkg->import_path) >= 0) {
      sink_str(c, STDOUT_FILENO, line);
      free(line);
    }
    diagnose(c, &v);
  }
  json_t *result = result_base(c, "test", &v);
  json_t *ev = json_array();
  json_array_append_new(ev, json_string(err->msg));
  json_object_set_new(result, "evidence", ev);
  return result;
}

/* The tests running now (innermost), newest first, one a line (more than
 * one under t.Parallel), for naming a seccomp denial. */
static const char *job_running(void *ctx) {
  struct job_ctx *c = ctx;
  return tj_gowatch_running_lines(c->gt, c->running, sizeof(c->running));
}

/* cmd/go's isVersionElement: v2, v3..., not v0, v1 or v01 */
static bool major_version(const char *s, size_t n) {
  if (n < 2 || s[0] != 'v' || s[1] == '0' || (s[1] == '1' && n == 2))
    return false;
  for (size_t i = 1; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

void tj_test_binary_name(const char *import_path, const char *name, char *buf, size_t len) {
  if (strcmp(import_path, "command-line-arguments") == 0) {
    snprintf(buf, len, "%s.test", name);
    return;
  }
  const char *last = strrchr(import_path, '/');
  const char *elem = last ? last + 1 : import_path;
  size_t n = strlen(elem);
  if (last && major_version(elem, n)) {
    const char *prev = last;
    while (prev > import_path && prev[-1] != '/')
      prev--;
    elem = prev;
    n = (size_t)(last - prev);
  }
  snprintf(buf, len, "%.*s.test", (int)n, elem);
}

int tj_job_binary_path(const char *workdir, int index, const struct tj_package *pkg, char *buf, size_t len,
                       tj_error *err) {
  snprintf(buf, len, "%s/%d", workdir, index);
  /* 0711 as the work directory: a --user workload reaches its binary */
  if (mkdir(buf, 0711) < 0 && errno != EEXIST)
    return tj_error_set(err, errno, "the test binary's directory %s", buf);
  size_t used = strlen(buf);
  snprintf(buf + used, len - used, "/%s", pkg->binary);
  return 0;
}

void tj_job_cover_dir(const char *workdir, int index, char *buf, size_t len) {
  snprintf(buf, len, "%s/%d.cover", workdir, index);
}

int tj_job_build_spec(const struct tj_job *job, struct tj_spec *bs, const char *tag, char *gotmp, size_t gotmp_len,
                      tj_error *err) {
  const struct tj_test_opts *o = job->opts;
  tj_spec_defaults(bs);
  bs->memory_bytes = o->build_memory_bytes;
  bs->wall_timeout_ms = o->build_timeout_ms;
  bs->grace_ms = o->spec.grace_ms;
  bs->network_host = true;
  bs->null_stdin = true;
  bs->seccomp_policy = o->spec.seccomp_policy; /* the build is filtered too; no capabilities */
  for (int i = 0; i < o->spec.n_binds; i++)
    bs->binds[bs->n_binds++] = o->spec.binds[i];
  for (int i = 0; i < o->spec.n_env; i++)
    bs->env[bs->n_env++] = o->spec.env[i];
  make_go_dir(job->go->gocache);
  make_go_dir(job->go->gomodcache);
  if (!add_bind(bs, job->workdir, false) || !add_bind(bs, job->go->gocache, false) ||
      !add_bind(bs, job->go->gomodcache, false) || !add_go_roots(bs, job->go))
    return tj_error_set(err, 0, "too many --bind paths for the build sandbox");
  /* go's work dir on the host's disk, next to the binary, as under go test:
   * on the sandbox's tmpfs /tmp every page the linker maps faults alone, and
   * the build took twice as long. --env GOTMPDIR=... still wins. */
  bool user_gotmp = false;
  for (int i = 0; i < bs->n_env; i++)
    user_gotmp |= strncmp(bs->env[i], "GOTMPDIR=", 9) == 0;
  int gl = snprintf(gotmp, gotmp_len, "GOTMPDIR=%s/%s.gotmp", job->workdir, tag);
  if (user_gotmp || gl <= 0 || (size_t)gl >= gotmp_len || (mkdir(gotmp + 9, 0700) < 0 && errno != EEXIST)) {
    gotmp[0] = 0;
    return 0;
  }
  if (!add_env(bs, gotmp))
    return tj_error_set(err, 0, "too many --env settings for the build sandbox");
  return 0;
}

/* The build: go test -c into bin, with its own limits. NULL when built. */
static json_t *build_phase(struct job_ctx *c, const char *bin) {
  const struct tj_job *job = c->job;
  const struct tj_test_opts *o = job->opts;
  tj_error err = {0};
  struct tj_verdict v;
  char vet[256] = "";
  if (o->vet)
    snprintf(vet, sizeof(vet), "-vet=%s", o->vet);
  /* go test links a binary it does not keep without DWARF, and the link
   * takes a fifth less time: the same here, unless GOFLAGS says otherwise
   * (a -ldflags here would replace the user's). */
  int nbf = 0;
  while (job->gflags && job->gflags->build[nbf])
    nbf++;
  _cleanup_free_ char **bargv = calloc((size_t)nbf + 10, sizeof(char *));
  if (!bargv) {
    tj_error_set(&err, ENOMEM, "build");
    return setup_result(c, &err);
  }
  int bk = 0;
  bargv[bk++] = (char *)job->go->go;
  bargv[bk++] = "test";
  bargv[bk++] = "-c";
  bargv[bk++] = "-o";
  bargv[bk++] = (char *)bin;
  if (!job->go->goflags_ldflags)
    bargv[bk++] = "-ldflags=-w";
  if (json_build(job))
    bargv[bk++] = "-json";
  if (vet[0])
    bargv[bk++] = vet;
  for (int i = 0; i < nbf; i++)
    bargv[bk++] = job->gflags->build[i];
  bargv[bk++] = job->pkg->import_path;
  bargv[bk] = NULL;
  struct tj_spec *bs = &c->build_spec;
  char *gotmp = c->gotmp;
  char tag[16];
  snprintf(tag, sizeof(tag), "%d", job->index);
  if (tj_job_build_spec(job, bs, tag, gotmp, sizeof(c->gotmp), &err) < 0)
    return setup_result(c, &err);
  bs->argv = bargv;
  set_phase(c, "build", bs->memory_bytes, -1);
  struct tj_sandbox_hooks bh = {.on_output = build_output,
                                .on_line = build_line,
                                .ctx = c,
                                .sample_interval_ms = job->live ? o->mon.sample_interval_ms : 0,
                                .on_sample = job->live ? run_sample : NULL};
  int rr = tj_sandbox_run(bs, &bh, &c->res, &err);
  /* go removed its own work dir in it (unless the build was killed: the
   * work dir goes whole at the end). */
  if (gotmp[0])
    rmdir(gotmp + 9);
  if (rr < 0)
    return setup_result(c, &err);
  struct tj_evidence bev = tj_run_evidence(bs, &c->res, NULL);
  char sc_summary[400];
  tj_run_seccomp_evidence(&c->res, &bev, sc_summary, sizeof(sc_summary));
  tj_verdict_build(&bev, &c->build, &v);
  if (v.outcome != TJ_PASSED)
    return build_failed(c, bs, &c->res, &v);
  return NULL;
}

/* -test.v=test2json (Go 1.20+), as go test -json runs the binary: its
 * framing tells the testing package's lines from the tests' own. -v shows
 * the stream itself, as go test -v, which runs plain -test.v: its results of
 * subtests nest under their parent's, test2json's do not. */
static bool framed(const struct tj_job *job) { return job->go->minor >= 20 && job->mode != TJ_OUT_VERBOSE; }

/* The test sandbox's spec: the run's, in the package directory, with go
 * test's environment and the toolchain's paths. */
static int test_spec_prepare(struct job_ctx *c, const struct tj_spec *spec, tj_error *err) {
  const struct tj_job *job = c->job;
  struct tj_spec *ts = &c->test_spec;
  *ts = *spec;
  ts->report_path = NULL;
  ts->workdir = job->pkg->dir;
  /* Lead's decision: Go's suites take root-only paths when getuid() is 0
   * and pass under docker as root, with docker's default capabilities. */
  ts->root_default_caps = true;
  /* go test gives the binary one pipe for both: "testing: warning: no
   * tests to run" (stderr) lands before "PASS" (stdout). */
  ts->merge_output = true;
  /* and no stdin: a test that reads it gets EOF, as under go test */
  ts->null_stdin = true;
  snprintf(c->pwd_env, sizeof(c->pwd_env), "PWD=%s", job->pkg->dir);
  const char *host_path = getenv("PATH");
  /* Go 1.19 puts GOROOT/bin first in the tests' PATH. */
  snprintf(c->path_env, sizeof(c->path_env), "PATH=%s/bin%s%s", job->go->goroot, host_path ? ":" : "",
           host_path ? host_path : "");
  /* The module cache read-only, as the tests see it under go test: a suite
   * that runs the go command itself needs its dependencies from there. */
  if (!add_bind(ts, job->go->gocache, false) || !add_bind(ts, job->go->gomodcache, true) ||
      !add_go_roots(ts, job->go) || !add_env(ts, c->pwd_env) || (job->go->goroot[0] && !add_env(ts, c->path_env)))
    return tj_error_set(err, 0, "too many --bind or --env settings for the test sandbox");
  return 0;
}

/* -coverprofile: the binary writes its profile into a directory of the
 * work dir; testcmd merges them, as go test does. */
static int cover_prepare(struct job_ctx *c, tj_error *err) {
  const struct tj_job *job = c->job;
  char *cover_dir = c->cover_dir;
  tj_job_cover_dir(job->workdir, job->index, cover_dir, sizeof(c->cover_dir));
  snprintf(c->cover_flag, sizeof(c->cover_flag), "-test.coverprofile=%s/profile", cover_dir);
  if ((mkdir(cover_dir, 0777) < 0 && errno != EEXIST) || chmod(cover_dir, 0777) < 0 ||
      !add_bind(&c->test_spec, cover_dir, false))
    return tj_error_set(err, errno, "the coverage profile's directory %s", cover_dir);
  return 0;
}

/* -artifacts: go test hands the binary -test.outputdir, its own working
 * directory unless -outputdir names another, made absolute; the binary
 * writes under _artifacts there, the one directory made writable. */
static int artifacts_prepare(struct job_ctx *c, tj_error *err) {
  char cwd[PATH_MAX], dir[PATH_MAX + 1];
  const char *od = c->job->gflags->outputdir;
  if (!getcwd(cwd, sizeof(cwd)))
    cwd[0] = 0;
  snprintf(dir, sizeof(dir), "%s%s%s", od && od[0] == '/' ? "" : cwd, od && od[0] != '/' ? "/" : "", od ? od : "");
  snprintf(c->art_dir, sizeof(c->art_dir), "%s/_artifacts", dir);
  snprintf(c->art_flag, sizeof(c->art_flag), "-test.outputdir=%s", dir);
  if ((mkdir(c->art_dir, 0777) < 0 && errno != EEXIST) || !add_bind(&c->test_spec, c->art_dir, false))
    return tj_error_set(err, errno, "-artifacts: the directory %s", c->art_dir);
  return 0;
}

/* The binary's argv, as go test runs it; NULL when out of memory. */
static char **test_argv(struct job_ctx *c, const char *bin, bool profile, bool artifacts) {
  const struct tj_job *job = c->job;
  int nf = 0;
  while (job->testflags && job->testflags[nf])
    nf++;
  char **targv = calloc((size_t)nf + 8, sizeof(char *));
  if (!targv)
    return NULL;
  int k = 0;
  targv[k++] = (char *)bin;
  targv[k++] = framed(job) ? "-test.v=test2json" : "-test.v";
  targv[k++] = "-test.paniconexit0";
  /* Fuzzing runs until -fuzztime, as under go test. */
  bool fuzz = job->gflags && job->gflags->fuzz;
  if (!job->has_timeout && !fuzz)
    targv[k++] = "-test.timeout=10m";
  if (fuzz && job->go->gocache[0]) {
    snprintf(c->fuzzcache, sizeof(c->fuzzcache), "-test.fuzzcachedir=%s/fuzz/%s", job->go->gocache,
             job->pkg->import_path);
    targv[k++] = c->fuzzcache;
  }
  if (profile)
    targv[k++] = c->cover_flag;
  if (artifacts)
    targv[k++] = c->art_flag; /* in place of the -outputdir given, which it makes absolute */
  for (int i = 0; i < nf; i++)
    if (!artifacts || strncmp(job->testflags[i], "-test.outputdir=", 16) != 0)
      targv[k++] = job->testflags[i];
  return targv;
}

/* The binary in its sandbox, with the live hooks and the timeline. */
static int test_run(struct job_ctx *c, tj_error *err) {
  const struct tj_job *job = c->job;
  struct tj_spec *ts = &c->test_spec;
  int64_t interval = job->opts->mon.sample_interval_ms > 0 ? job->opts->mon.sample_interval_ms : TJ_DEFAULT_SAMPLE_MS;
  c->tl_on = tj_timeline_init(&c->tl, interval, ts->memory_bytes, tj_timeline_hint(ts->wall_timeout_ms, interval)) == 0;
  set_phase(c, "test", ts->memory_bytes, ts->pids);
  struct tj_sandbox_hooks th = {.on_output = test_output,
                                .on_start = run_started,
                                .on_sample = run_sample,
                                .sample_interval_ms = interval,
                                .running_test = job_running,
                                .ctx = c};
  if (tj_sandbox_run(ts, &th, &c->res, err) < 0)
    return -1;
  flush_test_output(c);
  if (c->res.isolation.fallback[0]) {
    char *w = NULL;
    if (asprintf(&w, "testjail: %s: warning: %s; running as --userns host\n", job->pkg->import_path,
                 c->res.isolation.fallback) >= 0) {
      sink_str(c, STDERR_FILENO, w);
      free(w);
    }
  }
  return 0;
}

/* The run's verdict, with what the test stream told of the tests. */
static void test_verdict(struct job_ctx *c, struct tj_verdict *v) {
  const struct tj_spec *ts = &c->test_spec;
  struct tj_notes notes = c->res.notes;
  tj_gowatch_notes(c->gt, &notes);
  struct tj_evidence tev = tj_run_evidence(ts, &c->res, &notes);
  tev.go_test = true;
  if (ts->cg_parent)
    tev.memory_total_limit = c->job->opts->memory_total_bytes;
  char sc_summary[400];
  tj_run_seccomp_evidence(&c->res, &tev, sc_summary, sizeof(sc_summary));
  tj_verdict_decide(&tev, v);
}

/* go test's closing line for the package: "ok" or how the binary ended,
 * then "FAIL". */
static void test_trailer(const struct job_ctx *c, bool ok, double elapsed, char *trailer, size_t len) {
  const struct tj_job *job = c->job;
  char secs[32], why[64] = "";
  tj_format_seconds(secs, sizeof(secs), elapsed);
  bool any = job->mode == TJ_OUT_TEXT ? c->text.len > 0 : tj_gotest_any_output(c->gt);
  if ((!any || job->stream) && c->res.status_known)
    exit_text(c->res.wstatus, why, sizeof(why));
  bool cov = c->coverage[0] && !job->stream;
  if (ok)
    snprintf(trailer, len, "ok  \t%s\t%s%s%s%s\n", job->pkg->import_path, secs, cov ? "\t" : "", cov ? c->coverage : "",
             c->no_tests_to_run && !job->stream ? " [no tests to run]" : "");
  else
    snprintf(trailer, len, "%s%sFAIL\t%s\t%s\n", why, why[0] ? "\n" : "", job->pkg->import_path, secs);
}

/* The end of the package's event stream: the unfinished tests failed with
 * the verdict, go test's trailer, the diagnosis, the package's result. */
static void close_test_stream(struct job_ctx *c, const struct tj_verdict *v, bool ok, const char *trailer,
                              double elapsed) {
  /* The tests a kill cut short fail with its reason, as go test -json
   * reports a failed test (gotestsum shows it at the test). */
  char *line = tj_outcome_imposed(v->outcome) ? diagnosis_line(c, v) : NULL;
  if (line) {
    c->failing_unfinished = true;
    tj_gotest_fail_unfinished(c->gt, line);
    c->failing_unfinished = false;
    free(line);
  }
  /* go test's own lines after the binary's: framed like a report line, so
   * they end the tests still open and belong to the package */
  const char *t = trailer;
  for (const char *nl; framed(c->job) && (nl = strchr(t, '\n')); t = nl + 1) {
    tj_gotest_feed(c->gt, "\x16", 1);
    tj_gotest_feed(c->gt, t, (size_t)(nl - t) + 1);
  }
  tj_gotest_feed(c->gt, t, strlen(t));
  diagnose(c, v);
  tj_gotest_exited(c->gt, ok);
  tj_gotest_close(c->gt, elapsed);
}

/* What the user sees of the package once its binary ended. */
static void show_test_end(struct job_ctx *c, const struct tj_verdict *v, bool ok, const char *trailer, double elapsed) {
  const struct tj_job *job = c->job;
  /* A flag the binary refused is a usage error: its one line says it all. */
  bool usage = v->outcome == TJ_SANDBOX_ERROR && c->res.launch == TJ_LAUNCH_OK;
  if (usage && job->mode != TJ_OUT_JSON) {
    diagnose(c, v);
  } else if (job->mode == TJ_OUT_TEXT) {
    if ((!ok || job->show_passing) && c->text.len) {
      sink(c, STDOUT_FILENO, c->text.p, c->text.len);
      if (c->text.p[c->text.len - 1] != '\n')
        sink_str(c, STDOUT_FILENO, "\n");
    }
    sink_str(c, STDOUT_FILENO, trailer);
    diagnose(c, v);
  } else {
    close_test_stream(c, v, ok, trailer, elapsed);
  }
}

/* out.test: the innermost test running at the end, else the one the OOM
 * kill hit, else the first that failed. */
static void result_test(struct job_ctx *c) {
  int n;
  const struct tj_gt_test *t = tj_gotest_tests(c->gt, &n);
  const char *name = NULL, *failed = NULL;
  for (int i = 0; i < n; i++) {
    if (t[i].status == TJ_GT_RUNNING)
      name = t[i].name;
    if (!failed && tj_gt_test_failed(&t[i]))
      failed = t[i].name;
  }
  if (!name && c->tl_on && c->tl.oom_ms >= 0 && c->tl.oom_test[0])
    name = c->tl.oom_test;
  if (!name)
    name = failed;
  snprintf(c->out.test, sizeof(c->out.test), "%s", name ? name : "");
}

/* The package's result for the report; takes gml and gmp. */
static json_t *test_result(struct job_ctx *c, const struct tj_verdict *v, json_t *gml, json_t *gmp) {
  const struct tj_spec *ts = &c->test_spec;
  json_t *result = result_base(c, "test", v);
  run_facts(c, &c->res);
  json_t *run = tj_report_run(ts, &c->res, v);
  json_object_update(result, run);
  json_decref(run);
  json_object_set_new(result, "tests", tests_json(c->gt));
  json_object_set_new(result, "gomemlimit", gml);
  json_object_set_new(result, "gomaxprocs", gmp);
  if (c->tl_on) {
    tj_timeline_finish(&c->tl, &c->res.stats, ts->pids);
    json_object_set_new(result, "timeline", tj_timeline_json(&c->tl));
  }
  result_test(c);
  return result;
}

/* The test: the binary in the package directory, as go test runs it, in a
 * sandbox as spec says. */
static json_t *test_phase(struct job_ctx *c, const struct tj_spec *spec, const char *bin) {
  const struct tj_job *job = c->job;
  tj_error err = {0};
  if (test_spec_prepare(c, spec, &err) < 0)
    return setup_result(c, &err);
  json_auto_t *gml = gomemlimit(c, &c->test_spec);
  json_auto_t *gmp = gml ? gomaxprocs(c, &c->test_spec, bin) : NULL;
  if (!gmp) {
    tj_error_set(&err, 0, "too many --env settings for the test sandbox");
    return setup_result(c, &err);
  }
  bool profile = job->gflags && job->gflags->coverprofile;
  bool artifacts = job->gflags && job->gflags->artifacts;
  if ((profile && cover_prepare(c, &err) < 0) || (artifacts && artifacts_prepare(c, &err) < 0))
    return setup_result(c, &err);
  _cleanup_free_ char **targv = test_argv(c, bin, profile, artifacts);
  if (!targv)
    return NULL;
  c->test_spec.argv = targv;
  if (test_run(c, &err) < 0)
    return setup_result(c, &err);
  struct tj_verdict v;
  test_verdict(c, &v);
  double elapsed = (double)c->res.duration_ms / 1000;
  bool ok =
      c->res.status_known && WIFEXITED(c->res.wstatus) && WEXITSTATUS(c->res.wstatus) == 0 && v.outcome == TJ_PASSED;
  char trailer[PATH_MAX + 64];
  test_trailer(c, ok, elapsed, trailer, sizeof(trailer));
  show_test_end(c, &v, ok, trailer, elapsed);
  return test_result(c, &v, steal_pointer(&gml), steal_pointer(&gmp));
}

static double job_clock(void *ctx) { return (double)tj_now_ms() / 1000; }

/* A result before its phase made one (or when it could not, out of memory). */
static const struct tj_pkg_result no_result = {.outcome = TJ_SANDBOX_ERROR, .peak_bytes = -1, .duration_ms = -1};

static bool ctx_init(struct job_ctx *c, const struct tj_job *job) {
  memset(c, 0, sizeof(*c));
  c->job = job;
  c->st.index = job->index + 1;
  c->st.total = job->total;
  snprintf(c->st.package, sizeof(c->st.package), "%s", job->pkg->import_path);
  c->st.mem_current = c->st.mem_limit = c->st.pids_current = c->st.pids_limit = -1;
  c->out = no_result;
  c->gt = tj_gotest_new(framed(job), on_event, c);
  if (c->gt)
    tj_gotest_set_clock(c->gt, job_clock);
  return c->gt != NULL;
}

static void ctx_free(struct job_ctx *c) {
  tj_gotest_free(c->gt);
  tj_buf_free(&c->text);
  for (int i = 0; i < 3; i++)
    tj_buf_free(&c->asm_.line[i]);
  if (c->tl_on)
    tj_timeline_free(&c->tl);
}

/* c's result with json, c taken down. */
static struct tj_pkg_result ctx_result(struct job_ctx *c, json_t *json) {
  c->out.json = json;
  struct tj_pkg_result r = c->out;
  ctx_free(c);
  return r;
}

struct tj_pkg_result tj_job_run(const struct tj_job *job) {
  struct job_ctx c;
  if (!ctx_init(&c, job))
    return no_result;
  json_t *result = NULL;
  char bin[PATH_MAX];
  tj_error err = {0};
  if (!job->pkg->has_tests) {
    result = no_test_files(&c);
  } else if (tj_job_binary_path(job->workdir, job->index, job->pkg, bin, sizeof(bin), &err) < 0) {
    result = setup_result(&c, &err);
  } else if ((job->prebuilt && access(bin, X_OK) == 0) || !(result = build_phase(&c, bin))) {
    if (stopped(job)) {
      tj_error_set(&err, EINTR, "stopped before the tests ran");
      result = setup_result(&c, &err);
    } else {
      result = test_phase(&c, &job->opts->spec, bin);
    }
    unlink(bin);
  }
  return ctx_result(&c, result);
}

int tj_job_build(const struct tj_job *job, const char *bin, struct tj_pkg_result *failure) {
  struct job_ctx c;
  *failure = no_result;
  if (!ctx_init(&c, job))
    return -ENOMEM;
  *failure = ctx_result(&c, build_phase(&c, bin));
  return failure->json ? -1 : 0;
}

struct tj_pkg_result tj_job_test(const struct tj_job *job, const struct tj_spec *spec, const char *bin) {
  struct job_ctx c;
  if (!ctx_init(&c, job))
    return no_result;
  return ctx_result(&c, test_phase(&c, spec, bin));
}
