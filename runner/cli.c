#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

enum {
  OPT_MEMORY = 256,
  OPT_PIDS,
  OPT_CPUS,
  OPT_ULIMIT,
  OPT_WALL_TIMEOUT,
  OPT_GRACE,
  OPT_NETWORK,
  OPT_BIND,
  OPT_RO_BIND,
  OPT_USER,
  OPT_ENV,
  OPT_REPORT,
};

static const struct tj_option sandbox_options[] = {
    {"memory", "SIZE", OPT_MEMORY, "memory limit of the sandbox cgroup (swap off inside); e.g. 64M, 1G"},
    {"pids-limit", "N", OPT_PIDS, "maximum number of tasks (processes and threads) in the sandbox"},
    {"cpus", "X", OPT_CPUS, "CPU bandwidth, e.g. 0.5 or 2 (needs the cpu controller)"},
    {"ulimit", "NAME=SOFT[:HARD]", OPT_ULIMIT,
     "rlimit for the workload, docker's names (core cpu data fsize locks memlock msgqueue nice nofile nproc rss "
     "rtprio rttime sigpending stack as); byte-valued ones take SIZE; HARD defaults to SOFT; repeatable"},
    {"wall-timeout", "DURATION", OPT_WALL_TIMEOUT,
     "wall-clock limit (Go syntax: 90s, 5m, 1h30m); SIGQUIT first so Go prints its stacks, then SIGKILL after --grace"},
    {"grace", "DURATION", OPT_GRACE, "time between the timeout's SIGQUIT and the SIGKILL (default 2s)"},
    {"network", "none|host", OPT_NETWORK, "none (default): own network namespace with loopback only; host: share the host's"},
    {"bind", "SRC[:DST]", OPT_BIND, "make the host path SRC writable inside at DST (default SRC); repeatable"},
    {"ro-bind", "SRC[:DST]", OPT_RO_BIND, "make the host path SRC visible read-only at DST; repeatable"},
    {"user", "UID[:GID]", OPT_USER, "run the workload with these numeric ids (default: stay root, without capabilities)"},
    {"env", "NAME=VALUE", OPT_ENV, "set a variable for the workload (the rest of the environment is inherited); repeatable"},
    {"report", "FILE", OPT_REPORT, "write the JSON report to FILE"},
    {"help", NULL, TJ_OPT_HELP, "show this help"},
};

static void print_options(FILE *out, const struct tj_option *opts, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char left[64];
    snprintf(left, sizeof(left), "--%s%s%s", opts[i].name, opts[i].metavar ? " " : "",
             opts[i].metavar ? opts[i].metavar : "");
    fprintf(out, "  %-28s %s\n", left, opts[i].help);
  }
}

void tj_cli_help_main(FILE *out) {
  fprintf(out,
          "Usage: testjail COMMAND [OPTIONS]\n"
          "\n"
          "Run a program in a namespaced cgroup sandbox with explicit memory, pids and rlimit\n"
          "limits, and say why it died: OOM kill, limit hit, timeout, signal, or its own failure.\n"
          "\n"
          "Commands:\n"
          "  exec [OPTIONS] -- COMMAND [ARG...]   run COMMAND in the sandbox; its exit status passes through\n"
          "  doctor [--gc]                        explain what this host supports; --gc removes stale cgroups\n"
          "  help [COMMAND]                       show help\n"
          "  --version                            print the version\n"
          "\n"
          "Run 'testjail help exec' for the sandbox options and outcomes.\n");
}

void tj_cli_help_exec(FILE *out) {
  fprintf(out, "Usage: testjail exec [OPTIONS] -- COMMAND [ARG...]\n"
               "\n"
               "Run COMMAND inside a sandbox: new pid, mount, ipc, uts, net and cgroup namespaces, its own\n"
               "cgroup with the limits below, / read-only except the working directory, a private /tmp,\n"
               "no capabilities, no_new_privs. testjail's init is PID 1 inside: it forwards SIGINT SIGTERM\n"
               "SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGWINCH to the command's process group, reaps zombies and\n"
               "kills whatever is left when the command exits. Works as `go test -exec 'testjail exec --'`.\n"
               "\n"
               "Options:\n");
  print_options(out, sandbox_options, sizeof(sandbox_options) / sizeof(sandbox_options[0]));
  fprintf(out, "\n"
               "SIZE: bytes, or with a suffix K, M, G (powers of 1024; KiB, MiB, GiB too).\n"
               "\n"
               "Exit status: the command's own (128+N when killed by signal N); 125 when testjail itself\n"
               "fails or is misused; 126 when COMMAND cannot be executed; 127 when it is not found.\n"
               "When the run did not simply succeed, one diagnosis line goes to stderr.\n"
               "\n"
               "Outcomes (the report's \"outcome\"): passed, oom_killed, pids_limit, rlimit_cpu,\n"
               "rlimit_fsize, rlimit_nofile, rlimit_as, rlimit_nproc (rlimit_<name>), timeout, test_timeout,\n"
               "tests_failed, deadlock, init_panic, signaled, exit_nonzero, seccomp_denied, sandbox_error.\n");
}

void tj_cli_help_doctor(FILE *out) {
  fprintf(out, "Usage: testjail doctor [--gc]\n"
               "\n"
               "Explain what this host supports: the cgroup mode, where run cgroups go, the usable\n"
               "controllers, namespaces, seccomp user notification and the Go toolchain; each missing piece\n"
               "with the reason and the fix.\n"
               "\n"
               "  --gc     remove stale testjail cgroups left by runs whose owner is gone\n");
}

static int parse_bind(const char *arg, bool readonly, struct tj_spec *spec, tj_error *err) {
  const char *opt = readonly ? "--ro-bind" : "--bind";
  if (spec->n_binds >= TJ_MAX_BINDS)
    return tj_error_set(err, 0, "%s '%s': too many binds (at most %d)", opt, arg, TJ_MAX_BINDS);
  char *src = strdup(arg);
  if (!src)
    return tj_error_set(err, ENOMEM, "%s", opt);
  char *colon = strchr(src, ':');
  const char *dst = src;
  if (colon) {
    *colon = 0;
    dst = colon + 1;
  }
  if (src[0] != '/' || dst[0] != '/') {
    free(src);
    return tj_error_set(err, 0, "invalid %s '%s': paths must be absolute", opt, arg);
  }
  spec->binds[spec->n_binds++] = (struct tj_bind){.src = src, .dst = dst, .readonly = readonly};
  return 0;
}

void tj_spec_defaults(struct tj_spec *spec) {
  memset(spec, 0, sizeof(*spec));
  spec->memory_bytes = spec->pids = spec->cpu_quota_us = spec->wall_timeout_ms = -1;
  spec->grace_ms = 2000;
}

const struct tj_option *tj_cli_sandbox_options(size_t *n) {
  *n = sizeof(sandbox_options) / sizeof(sandbox_options[0]);
  return sandbox_options;
}

void tj_cli_print_options(FILE *out, const struct tj_option *opts, size_t n) { print_options(out, opts, n); }

int tj_cli_sandbox_option(struct tj_spec *spec, int id, const char *arg, tj_error *err) {
  tj_error sub = {0};
  switch (id) {
  case OPT_MEMORY:
    if (tj_parse_size(arg, false, &spec->memory_bytes, &sub) < 0)
      return tj_error_set(err, 0, "--memory: %s", sub.msg);
    return 0;
  case OPT_PIDS:
    if (tj_parse_int(arg, 1, 4194304, &spec->pids, &sub) < 0)
      return tj_error_set(err, 0, "invalid --pids-limit '%s': expected a whole number from 1 to 4194304", arg);
    return 0;
  case OPT_CPUS:
    return tj_parse_cpus(arg, &spec->cpu_quota_us, &spec->cpu_period_us, err) < 0 ? -EINVAL : 0;
  case OPT_ULIMIT:
    return tj_rlimit_parse(arg, &spec->rlimits, err) < 0 ? -EINVAL : 0;
  case OPT_WALL_TIMEOUT:
    if (tj_parse_duration(arg, &spec->wall_timeout_ms, &sub) < 0)
      return tj_error_set(err, 0, "--wall-timeout: %s", sub.msg);
    return 0;
  case OPT_GRACE:
    if (tj_parse_duration(arg, &spec->grace_ms, &sub) < 0)
      return tj_error_set(err, 0, "--grace: %s", sub.msg);
    return 0;
  case OPT_NETWORK:
    if (strcmp(arg, "none") == 0)
      spec->network_host = false;
    else if (strcmp(arg, "host") == 0)
      spec->network_host = true;
    else
      return tj_error_set(err, 0, "invalid --network '%s': expected none or host", arg);
    return 0;
  case OPT_BIND:
  case OPT_RO_BIND:
    return parse_bind(arg, id == OPT_RO_BIND, spec, err) < 0 ? -EINVAL : 0;
  case OPT_USER:
    if (tj_parse_user(arg, &spec->uid, &spec->gid, err) < 0)
      return -EINVAL;
    spec->has_user = true;
    return 0;
  case OPT_ENV:
    if (!strchr(arg, '=') || arg[0] == '=')
      return tj_error_set(err, 0, "invalid --env '%s': expected NAME=VALUE", arg);
    if (spec->n_env >= TJ_MAX_ENV)
      return tj_error_set(err, 0, "--env '%s': too many variables", arg);
    spec->env[spec->n_env++] = arg;
    return 0;
  case OPT_REPORT:
    if (!*arg)
      return tj_error_set(err, 0, "invalid --report '': expected a file name");
    spec->report_path = arg;
    return 0;
  }
  return tj_error_set(err, 0, "internal: unknown sandbox option %d", id);
}

int tj_cli_parse(int argc, char **argv, const struct tj_option *const *tables, const size_t *counts, int ntables,
                 tj_option_fn fn, void *ctx, int *first, bool *dashdash, tj_error *err) {
  size_t total = 0;
  for (int t = 0; t < ntables; t++)
    total += counts[t];
  struct option *longopts = calloc(total + 1, sizeof(*longopts));
  if (!longopts)
    return tj_error_set(err, ENOMEM, "parsing options");
  size_t k = 0;
  for (int t = 0; t < ntables; t++)
    for (size_t i = 0; i < counts[t]; i++)
      longopts[k++] = (struct option){tables[t][i].name, tables[t][i].metavar ? required_argument : no_argument,
                                      NULL, tables[t][i].id};
  int c, r = 0;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
    if (c == ':') {
      r = tj_error_set(err, 0, "option '%s' needs a value (see 'testjail %s --help')", argv[optind - 1], argv[0]);
      break;
    }
    if (c == '?') {
      r = tj_error_set(err, 0, "unknown option '%s' (see 'testjail %s --help')", argv[optind - 1], argv[0]);
      break;
    }
    r = fn(ctx, c == 'h' ? TJ_OPT_HELP : c, optarg, err);
    if (r != 0)
      break;
  }
  free(longopts);
  if (r != 0)
    return r;
  *dashdash = optind > 1 && optind <= argc && strcmp(argv[optind - 1], "--") == 0;
  *first = optind;
  return 0;
}

static int exec_option(void *ctx, int id, const char *arg, tj_error *err) {
  if (id == TJ_OPT_HELP) {
    tj_cli_help_exec(stdout);
    return TJ_CLI_HELP;
  }
  return tj_cli_sandbox_option(ctx, id, arg, err);
}

int tj_cli_parse_exec(int argc, char **argv, struct tj_spec *spec, tj_error *err) {
  size_t n;
  const struct tj_option *tables[] = {tj_cli_sandbox_options(&n)};
  bool dashdash = false;
  tj_spec_defaults(spec);
  int first;
  int r = tj_cli_parse(argc, argv, tables, &n, 1, exec_option, spec, &first, &dashdash, err);
  if (r != 0)
    return r;
  if (first >= argc || !dashdash) {
    if (first < argc)
      return tj_error_set(err, 0, "missing '--' before the command '%s' (usage: testjail exec [OPTIONS] -- COMMAND [ARG...])",
                          argv[first]);
    return tj_error_set(err, 0, "no command given (usage: testjail exec [OPTIONS] -- COMMAND [ARG...])");
  }
  if (!argv[first][0])
    return tj_error_set(err, 0, "empty command name");
  spec->argv = &argv[first];
  return TJ_CLI_RUN;
}
