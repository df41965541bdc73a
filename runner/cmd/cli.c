#include "cmd/cli.h"

#include "cmd/cmd.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/caps.h"
#include "go/goflag.h"
#include "init.h"
#include "common/parse.h"
#include "seccomp/profile.h"
#include "common/util.h"

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
  OPT_PROFILE = 300, /* 300-309: profiles; 310-319: seccomp and capabilities */
};

/* 310-319: seccomp and capabilities (300-309 belong to --profile). */
enum { OPT_SECCOMP = 310, OPT_CAP_ADD, OPT_CAP_DROP };
/* 320-329: isolation. */
enum { OPT_USERNS = 320, OPT_USERNS_RANGE, OPT_PRESERVE_FDS };
/* 330-339: the private /tmp. */
enum { OPT_TMPFS_SIZE = 330, OPT_TMP_DIR };

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
    {"network", "none|host", OPT_NETWORK,
     "none (default): own network namespace with loopback only; host: share the host's"},
    {"bind", "SRC[:DST]", OPT_BIND, "make the host path SRC writable inside at DST (default SRC); repeatable"},
    {"ro-bind", "SRC[:DST]", OPT_RO_BIND, "make the host path SRC visible read-only at DST; repeatable"},
    {"user", "UID[:GID]", OPT_USER,
     "run the workload with these numeric ids (default: stay root, without capabilities)"},
    {"env", "NAME=VALUE", OPT_ENV,
     "set a variable for the workload (the rest of the environment is inherited); repeatable"},
    {"report", "FILE", OPT_REPORT, "write the JSON report to FILE"},
    {"seccomp", "PROFILE", OPT_SECCOMP,
     "seccomp profile: a shipped name (default when not given), an OCI/Docker seccomp JSON file, or unconfined; "
     "every denied syscall is named with its process and Go test"},
    {"cap-add", "NAME", OPT_CAP_ADD,
     "keep this capability (CAP_ prefix optional, any case; ALL for every one); repeatable"},
    {"cap-drop", "NAME", OPT_CAP_DROP,
     "drop this capability from the default set (ALL: none but --cap-add); repeatable"},
    {"userns", "auto|host", OPT_USERNS,
     "auto (default): a user namespace: root inside, an unprivileged id range outside, writable binds idmapped; "
     "host: none (root only; root inside is host root without capabilities)"},
    {"userns-range", "START:COUNT", OPT_USERNS_RANGE,
     "the host ids that ids 0..COUNT-1 inside map to (root only; default: the testjail entry of /etc/subuid and "
     "/etc/subgid, else 1879048192:65536)"},
    {"preserve-fds", "N", OPT_PRESERVE_FDS,
     "keep the caller's descriptors 3..N+2 open for the workload (as runc); every other one beyond 0-2 is closed"},
    {"tmpfs-size", "SIZE", OPT_TMPFS_SIZE,
     "size of the private /tmp, a tmpfs whose files count against --memory (default: the kernel's, half the RAM)"},
    {"tmp-dir", "DIR", OPT_TMP_DIR,
     "use the host directory DIR as /tmp instead of the tmpfs: on disk, outside --memory; what the workload "
     "writes there is owned by the caller"},
    {"profile", "NAME|FILE", OPT_PROFILE,
     "a testjail profile: limits, network, env, capabilities and seccomp in one JSON file; NAME is a shipped one "
     "(default, strict, ci, unconfined), FILE has a '/' or ends in .json; flags given here win over it"},
    {"help", NULL, TJ_OPT_HELP, "show this help"},
};

/* One-letter names are short options (-v, -p N), as go test spells them. */
static bool is_short(const struct tj_option *o) { return o->name[0] && !o->name[1]; }

static void print_options(FILE *out, const struct tj_option *opts, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char left[64];
    snprintf(left, sizeof(left), "%s%s%s%s", is_short(&opts[i]) ? "-" : "--", opts[i].name, opts[i].metavar ? " " : "",
             opts[i].metavar ? opts[i].metavar : "");
    fprintf(out, "  %-28s %s\n", left, opts[i].help);
  }
}

void tj_cli_help_main(FILE *out) {
  fprintf(
      out,
      "Usage: testjail COMMAND [OPTIONS]\n"
      "\n"
      "Run a program in a namespaced cgroup sandbox with explicit memory, pids and rlimit\n"
      "limits, and say why it died: OOM kill, limit hit, timeout, signal, or its own failure.\n"
      "\n"
      "Commands:\n"
      "  test [OPTIONS] [GOTESTFLAGS] [PACKAGE...] [GOTESTFLAGS] [-- TESTFLAGS...]\n"
      "                                       build and run Go tests, each phase in its own sandbox\n"
      "  exec [OPTIONS] -- COMMAND [ARG...]   run COMMAND in the sandbox; its exit status passes through\n"
      "  init [OPTIONS] -- COMMAND [ARG...]   container entrypoint: PID 1 that forwards, reaps, drains, explains\n"
      "  bisect-memory [OPTIONS] [PACKAGE] [-- TESTFLAGS...]\n"
      "                                       find the smallest memory limit under which the tests pass\n"
      "  doctor [--gc]                        explain what this host supports; --gc removes stale cgroups and work directories\n"
      "  profile check FILE...                validate profiles and seccomp files; profile show NAME\n"
      "  report merge OUT.json SHARD.json... [--junit FILE]\n"
      "                                       merge the reports of a sharded test run (--shard) into one\n"
      "  report merge --json OUT.jsonl SHARD.jsonl...\n"
      "                                       merge their go test -json streams, packages in import path order\n"
      "  help [COMMAND]                       show help\n"
      "  --version                            print the version\n"
      "\n"
      "Run 'testjail help test' or 'testjail help exec' for the options and outcomes.\n");
}

static const struct tj_option exec_monitor_options[2];

void tj_cli_help_exec(FILE *out) {
  fprintf(out, "Usage: testjail exec [OPTIONS] -- COMMAND [ARG...]\n"
               "\n"
               "Run COMMAND inside a sandbox: new pid, mount, ipc, uts, net and cgroup namespaces, its own\n"
               "cgroup with the limits below, / read-only except the working directory, a private /tmp,\n"
               "no capabilities but --cap-add, no_new_privs, the seccomp profile (default: default) whose\n"
               "every denial is named with its process.\n"
               "testjail's init is PID 1 inside: it forwards SIGINT SIGTERM\n"
               "SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGWINCH to the command's process group, reaps zombies and\n"
               "kills whatever is left when the command exits. Works as `go test -exec 'testjail exec --'`.\n"
               "A Go test binary given -test.v (go test -v or -json) has its stream read on the way, so the\n"
               "diagnosis names the test that was running.\n"
               "\n"
               "Options:\n");
  print_options(out, sandbox_options, sizeof(sandbox_options) / sizeof(sandbox_options[0]));
  fprintf(out, "\nMonitoring options:\n");
  print_options(out, exec_monitor_options, TJ_ARRAY_SIZE(exec_monitor_options));
  fprintf(out, "\n"
               "SIZE: bytes, or with a suffix K, M, G (powers of 1024; KiB, MiB, GiB and Kubernetes' Ki, Mi, Gi too),\n"
               "a fraction with a suffix rounded down to whole bytes (1.5G, 0.5Gi).\n"
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
               "Explain what this host supports: the cgroup mode, where run cgroups go (as a normal user:\n"
               "the delegated subtree, or why there is none), the usable controllers, user namespaces and\n"
               "the others, clone3 into them, idmapped mounts on the working directory's file system,\n"
               "seccomp user notification and the Go toolchain; each missing piece marked [!!] with the\n"
               "reason and the fix. Exit status 0 only when nothing it checks is missing, else 1.\n"
               "\n"
               "  --gc     remove stale testjail cgroups and work directories left by runs whose owner is gone\n");
}

void tj_cli_help_profile(FILE *out) {
  fprintf(out, "Usage: testjail profile check FILE...\n"
               "       testjail profile show NAME\n"
               "\n"
               "check: load each testjail profile or OCI/Docker seccomp file (or shipped profile NAME) as\n"
               "--profile and --seccomp would, and print every problem: FILE:LINE:COL: for JSON syntax,\n"
               "FILE: JSON.PATH: for the rest (e.g. syscalls[3].action: unknown action). Warnings (syscall\n"
               "names unknown on this machine, rules whose action is the default action) do not fail.\n"
               "Exit status 0 when every file loads, 125 otherwise.\n"
               "\n"
               "show: print a shipped profile (default, strict, ci, unconfined), as embedded in testjail.\n");
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

static int parse_cap(const char *arg, bool add, struct tj_spec *spec, tj_error *err) {
  uint64_t bits;
  if (strcasecmp(arg, "ALL") == 0) {
    bits = add ? tj_caps_all() : ~0ULL;
  } else {
    int c = tj_cap_from_name(arg);
    if (c < 0)
      return tj_error_set(err, 0, "invalid %s '%s': unknown capability (e.g. NET_RAW, CAP_SYS_PTRACE, ALL)",
                          add ? "--cap-add" : "--cap-drop", arg);
    bits = 1ULL << c;
  }
  if (add)
    spec->cap_add |= bits;
  else
    spec->cap_drop |= bits;
  return 0;
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
    spec->network_given = true;
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
  case OPT_SECCOMP:
    if (!*arg)
      return tj_error_set(err, 0, "invalid --seccomp '': expected a profile name, a file or unconfined");
    spec->seccomp_arg = arg;
    return 0;
  case OPT_CAP_ADD:
  case OPT_CAP_DROP:
    return parse_cap(arg, id == OPT_CAP_ADD, spec, err);
  case OPT_USERNS:
    spec->userns_given = true;
    if (strcmp(arg, "auto") == 0)
      spec->userns = TJ_USERNS_AUTO;
    else if (strcmp(arg, "host") == 0)
      spec->userns = TJ_USERNS_HOST;
    else
      return tj_error_set(err, 0, "invalid --userns '%s': expected auto or host", arg);
    return 0;
  case OPT_USERNS_RANGE:
    return tj_parse_id_range(arg, &spec->userns_start, &spec->userns_count, err) < 0 ? -EINVAL : 0;
  case OPT_PRESERVE_FDS: {
    int64_t n;
    if (tj_parse_int(arg, 0, 1024, &n, &sub) < 0)
      return tj_error_set(err, 0, "invalid --preserve-fds '%s': expected a whole number from 0 to 1024", arg);
    spec->preserve_fds = (int)n;
    return 0;
  }
  case OPT_TMPFS_SIZE:
    if (tj_parse_size(arg, false, &spec->tmpfs_bytes, &sub) < 0)
      return tj_error_set(err, 0, "--tmpfs-size: %s", sub.msg);
    if (spec->tmpfs_bytes < 4096)
      return tj_error_set(err, 0, "invalid --tmpfs-size '%s': at least 4K", arg);
    if (spec->tmp_dir)
      return tj_error_set(err, 0, "--tmpfs-size %s: /tmp is --tmp-dir %s, no tmpfs", arg, spec->tmp_dir);
    return 0;
  case OPT_TMP_DIR: {
    struct stat st;
    if (!*arg)
      return tj_error_set(err, 0, "invalid --tmp-dir '': expected a directory");
    if (stat(arg, &st) < 0)
      return tj_error_set(err, errno, "--tmp-dir %s", arg);
    if (!S_ISDIR(st.st_mode))
      return tj_error_set(err, ENOTDIR, "--tmp-dir %s", arg);
    if (spec->tmpfs_bytes >= 0)
      return tj_error_set(err, 0, "--tmp-dir %s: no tmpfs to size with --tmpfs-size", arg);
    spec->tmp_dir = arg;
    return 0;
  }
  case OPT_PROFILE:
    if (spec->profile_name)
      return tj_error_set(err, 0, "--profile given twice ('%s', '%s'): give one", spec->profile_name, arg);
    if (!*arg)
      return tj_error_set(err, 0, "invalid --profile '': expected a profile name or a file");
    spec->profile_name = arg; /* applied once every flag is known: flags win */
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
  char shortopts[64] = "+:h";
  size_t k = 0, ns = strlen(shortopts);
  for (int t = 0; t < ntables; t++)
    for (size_t i = 0; i < counts[t]; i++) {
      longopts[k++] = (struct option){tables[t][i].name, tables[t][i].metavar ? required_argument : no_argument, NULL,
                                      tables[t][i].id};
      if (is_short(&tables[t][i]) && ns + 3 < sizeof(shortopts)) {
        shortopts[ns++] = tables[t][i].name[0];
        if (tables[t][i].metavar)
          shortopts[ns++] = ':';
        shortopts[ns] = 0;
      }
    }
  int c, r = 0, at = 1;
  optind = 1;
  opterr = 0;
  /* at: the element getopt works on (it stays put inside "-abc", so
   * argv[optind - 1] would name the one before). */
  while (at = optind, (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    const char *arg = at < argc ? argv[at] : argv[optind - 1];
    if (c == ':') {
      r = tj_error_set(err, 0, "option '%s' needs a value (see 'testjail %s --help')", arg, argv[0]);
      break;
    }
    /* -parallel is not -p with the value "arallel". */
    bool glued_word = optarg && at < argc && optarg == argv[at] + 2 && isalpha((unsigned char)optarg[0]);
    if (c == '?' || glued_word) {
      r = tj_error_set(err, 0, "unknown option '%s' (see 'testjail %s --help')", arg, argv[0]);
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

/* --profile fills what the flags left unset. */
static int apply_profile(struct tj_spec *spec, int64_t *build_memory, int64_t *build_timeout, tj_error *err) {
  if (!spec->profile_name)
    return 0;
  struct tj_profile p;
  if (tj_profile_load(spec->profile_name, &p, err) < 0)
    return tj_error_wrap(err, "--profile");
  int r = tj_profile_apply(&p, spec, build_memory, build_timeout, err);
  tj_profile_free(&p);
  return r < 0 ? tj_error_wrap(err, "--profile") : 0;
}

enum {
  OPT_JSON = 1,
  OPT_JUNIT,
  OPT_BUILD_MEMORY,
  OPT_BUILD_TIMEOUT,
  OPT_VET,
  OPT_MEMORY_TOTAL,
  OPT_SHARD,
  OPT_SHARD_COUNT,
  OPT_SHARD_TIMINGS,
  OPT_P = 'p', /* short options: the id is the letter */
  OPT_V = 'v',
};

static const struct tj_option test_options[] = {
    {"v", NULL, OPT_V, "verbose: print every test's output as go test -v does"},
    {"json", NULL, OPT_JSON,
     "(also -json) print a go test -json event stream on stdout (gotestsum and friends read it); the verdict comes as extra "
     "output events, and a kill (OOM, a limit, the timeout, a signal) fails each test it cut short with that reason and "
     "the test's time, as go test -json reports a failed test"},
    {"junit", "FILE", OPT_JUNIT, "write JUnit XML to FILE: a testsuite per package, the sandbox's verdict as an error"},
    {"p", "N", OPT_P, "test N packages at once, each in its own sandboxes (default: the number of CPUs, as go test)"},
    {"build-memory", "SIZE", OPT_BUILD_MEMORY, "memory limit of the build sandbox (default: none)"},
    {"build-timeout", "DURATION", OPT_BUILD_TIMEOUT, "wall-clock limit of the build sandbox (default: none)"},
    {"vet", "LIST", OPT_VET, "vet checks run by the build, as go test -vet: off, or a comma-separated list"},
    {"memory-total", "SIZE", OPT_MEMORY_TOTAL,
     "memory limit of all the test sandboxes of the run together (--memory is per package, and -p runs several "
     "at once): one cgroup over them"},
    {"shard", "K/N|auto", OPT_SHARD,
     "run only the K-th (0-based) of N shares of the resolved packages, split by package; auto: K and N from "
     "JOB_COMPLETION_INDEX (Kubernetes Indexed Job) with --shard-count, or CI_NODE_INDEX/CI_NODE_TOTAL (GitLab "
     "parallel:, 1-based); the report's shard object says which packages ran (merge: testjail report merge)"},
    {"shard-count", "N", OPT_SHARD_COUNT, "the number of shards for --shard auto (a Job's completions)"},
    {"shard-timings", "REPORT", OPT_SHARD_TIMINGS,
     "balance the shards by the packages' durations in an earlier testjail report (longest first; a package "
     "without one counts as their median); without it the split is by a hash of the import paths"},
};

/* ---- monitoring (test, bisect-memory) and bisect-memory's own options ---- */

enum {
  OPT_SAMPLE_INTERVAL = 200,
  OPT_PLOT,
  OPT_QUIET,
  OPT_GOMEMLIMIT,
  OPT_TOLERANCE,
  OPT_RUNS,
  OPT_FLOOR,
};

static const struct tj_option monitor_options[] = {
    {"sample-interval", "DURATION", OPT_SAMPLE_INTERVAL,
     "how often the memory timeline samples the sandbox's cgroup (default 50ms): memory.current or "
     "memory.usage_in_bytes, pids.current, and on cgroup v2 memory.pressure"},
    {"plot", "FILE.svg", OPT_PLOT,
     "draw memory over time as SVG (the name ends in .svg): the limit, the cgroup's recorded peak (marked where no sample saw "
     "it), the OOM moment and failure counters, each test's span coloured by status, pids against --pids-limit; one panel "
     "per package (test) or for the unlimited run, the largest failing and the smallest passing limit (bisect-memory)"},
    {"quiet", NULL, OPT_QUIET,
     "no live status line on stderr (it is shown only when stderr is a terminal, and not with --json); test: no summary "
     "table after several packages either (none with --json)"},
    {"gomemlimit", "auto|off|SIZE", OPT_GOMEMLIMIT,
     "GOMEMLIMIT for the tests (Go 1.19+): auto sets it to 90% of the memory limit; off and SIZE set it as given; "
     "default: the environment's (or --env's) is kept, and reported"},
};

static int monitor_option(struct tj_monitor_opts *m, int id, const char *arg, tj_error *err) {
  tj_error sub = {0};
  switch (id) {
  case OPT_SAMPLE_INTERVAL:
    if (tj_parse_duration(arg, &m->sample_interval_ms, &sub) < 0)
      return tj_error_set(err, 0, "--sample-interval: %s", sub.msg);
    if (m->sample_interval_ms < 5)
      return tj_error_set(err, 0, "invalid --sample-interval '%s': at least 5ms", arg);
    return 0;
  case OPT_PLOT:
    if (!*arg)
      return tj_error_set(err, 0, "invalid --plot '': expected a file name");
    /* SVG is the one format written: a name asking for another (.png) would
     * get an SVG under the wrong name. */
    if (strlen(arg) < 5 || strcasecmp(arg + strlen(arg) - 4, ".svg") != 0)
      return tj_error_set(err, 0, "invalid --plot '%s': the chart is SVG, the name must end in .svg", arg);
    m->plot_path = arg;
    return 0;
  case OPT_QUIET:
    m->quiet = true;
    return 0;
  case OPT_GOMEMLIMIT:
    if (strcmp(arg, "auto") == 0)
      m->gomemlimit = TJ_GOMEMLIMIT_AUTO;
    else if (strcmp(arg, "off") == 0)
      m->gomemlimit = TJ_GOMEMLIMIT_OFF;
    else if (tj_parse_size(arg, false, &m->gomemlimit_bytes, &sub) == 0)
      m->gomemlimit = TJ_GOMEMLIMIT_SIZE;
    else
      return tj_error_set(err, 0, "invalid --gomemlimit '%s': expected auto, off or a SIZE", arg);
    return 0;
  }
  return 1; /* not a monitoring option */
}

/* exec's share of them: the memory timeline of one command, and its plot. */
static const struct tj_option exec_monitor_options[2] = {
    {"sample-interval", "DURATION", OPT_SAMPLE_INTERVAL,
     "with --plot: how often the sandbox's cgroup is sampled (default 50ms)"},
    {"plot", "FILE.svg", OPT_PLOT,
     "draw the command's memory over time as SVG (the limit, the cgroup's recorded peak, the OOM moment, pids against "
     "--pids-limit); the report gets the timeline too"},
};

struct exec_ctx {
  struct tj_spec *spec;
  struct tj_monitor_opts *mon;
};

static int exec_option(void *ctx, int id, const char *arg, tj_error *err) {
  struct exec_ctx *c = ctx;
  if (id == TJ_OPT_HELP) {
    tj_cli_help_exec(stdout);
    return TJ_CLI_HELP;
  }
  if (id == OPT_SAMPLE_INTERVAL || id == OPT_PLOT)
    return monitor_option(c->mon, id, arg, err);
  return tj_cli_sandbox_option(c->spec, id, arg, err);
}

int tj_cli_parse_exec(int argc, char **argv, struct tj_spec *spec, struct tj_monitor_opts *mon, tj_error *err) {
  size_t n;
  const struct tj_option *tables[] = {tj_cli_sandbox_options(&n), exec_monitor_options};
  size_t counts[] = {n, mon ? TJ_ARRAY_SIZE(exec_monitor_options) : 0};
  bool dashdash = false;
  tj_spec_defaults(spec);
  if (mon)
    *mon = (struct tj_monitor_opts){.sample_interval_ms = TJ_DEFAULT_SAMPLE_MS};
  int first;
  struct exec_ctx ctx = {spec, mon};
  int r = tj_cli_parse(argc, argv, tables, counts, 2, exec_option, &ctx, &first, &dashdash, err);
  if (r != 0)
    return r;
  if (first >= argc || !dashdash) {
    if (first < argc)
      return tj_error_set(err, 0,
                          "missing '--' before the command '%s' (usage: testjail exec [OPTIONS] -- COMMAND [ARG...])",
                          argv[first]);
    return tj_error_set(err, 0, "no command given (usage: testjail exec [OPTIONS] -- COMMAND [ARG...])");
  }
  if (!argv[first][0])
    return tj_error_set(err, 0, "empty command name");
  spec->argv = &argv[first];
  if (apply_profile(spec, NULL, NULL, err) < 0)
    return -EINVAL;
  return TJ_CLI_RUN;
}

static void monitor_defaults(struct tj_monitor_opts *m) {
  memset(m, 0, sizeof(*m));
  m->sample_interval_ms = TJ_DEFAULT_SAMPLE_MS;
}

void tj_cli_help_test(FILE *out) {
  fprintf(out, "Usage: testjail test [OPTIONS] [GOTESTFLAGS] [PACKAGE...] [GOTESTFLAGS] [-- TESTFLAGS...]\n"
               "\n"
               "For each package (default \".\"; Go patterns such as ./... work), build the test binary\n"
               "(as go test does, with its vet checks) in a build sandbox, then run it in a test sandbox\n"
               "whose working directory is the package directory, and say why it ended. The build sandbox\n"
               "has its own limits (--build-memory, --build-timeout; none by default), shares the host's\n"
               "network and has GOCACHE writable; GOCACHE, GOPATH, GOFLAGS, GOPROXY and CGO_ENABLED are\n"
               "honoured. The sandbox options below apply to the test sandbox (--env, --bind, --ro-bind to\n"
               "both). TESTFLAGS go to the test binary, with or without the test. prefix (-run X, -count 1,\n"
               "-timeout 30s, -short...); -timeout defaults to 10m as under go test. go test's build flags\n"
               "among them go to the build (-race, -tags, -ldflags, -gcflags, -mod, -trimpath...), and\n"
               "-cover, -covermode, -coverpkg and -coverprofile FILE work as in go test (one profile of all\n"
               "packages, the coverage on each ok line); go test's -json, -vet and -p are testjail's\n"
               "--json, --vet and -p, either spelling, anywhere; -exec, -c and -o have no place here;\n"
               "-fuzz builds for fuzzing and takes one package, as in go test; -artifacts writes t.ArtifactDir\n"
               "under _artifacts of the working directory (or -outputdir), as go test. go test's test flags in\n"
               "GOFLAGS (-timeout=30m, -short) apply too, before TESTFLAGS.\n"
               "\n"
               "go test's flags may also stand before and among the packages, as go test takes them\n"
               "(testjail test -run X -count=1 -race ./...), mixed with the options below; they come\n"
               "before TESTFLAGS. As under go test: a boolean flag takes a value only as -flag=false; a\n"
               "word is a package until a go test flag follows the package list, and a word after that\n"
               "goes to the test binary with the rest up to '--'; a flag go test does not know goes to\n"
               "the test binary after the packages, and is an error before them; -args hands the rest to\n"
               "the binary as it is. testjail's own options take two dashes and may stand anywhere.\n"
               "The test binary is named as go test names it (strings.test, tool.test for tool/v2).\n"
               "\n"
               "The packages build in one go test -exec run (testjail __handoff hands each binary over);\n"
               "a package it could not build builds again alone (go test -c), for its own verdict.\n"
               "\n"
               "Output: go test's (ok/FAIL lines, --- FAIL blocks; -v: every test's output; a passing\n"
               "package's output too with -bench, -list, -fuzz or when no package is named), then one\n"
               "diagnosis line on stderr for each package whose outcome is not passed or tests_failed.\n"
               "\n"
               "Test options:\n");
  print_options(out, test_options, TJ_ARRAY_SIZE(test_options));
  fprintf(out, "\nMonitoring options:\n");
  print_options(out, monitor_options, TJ_ARRAY_SIZE(monitor_options));
  fprintf(out, "\nSandbox options (the test sandbox):\n");
  print_options(out, sandbox_options, TJ_ARRAY_SIZE(sandbox_options));
  fprintf(out, "\n"
               "SIZE: bytes, or with a suffix K, M, G (powers of 1024; KiB, MiB, GiB and Kubernetes' Ki, Mi, Gi too),\n"
               "a fraction with a suffix rounded down to whole bytes (1.5G, 0.5Gi).\n"
               "\n"
               "Capabilities: a root test binary gets Docker's default set (CHOWN DAC_OVERRIDE FOWNER\n"
               "FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE\n"
               "SETFCAP), as Go's suites expect of root; --cap-add/--cap-drop change it, --cap-drop ALL\n"
               "gives none; the build gets none. Seccomp: both sandboxes load the profile; each denied\n"
               "syscall is named with the test that made it (seccomp_denied if the run then failed, a\n"
               "warning if it passed).\n"
               "\n"
               "Outcomes and exit status (several packages: the first present in this order):\n"
               "  125 sandbox_error, usage error      3 oom_killed (build or test)   4 seccomp_denied\n"
               "    5 pids_limit, rlimit_<name>       6 timeout, test_timeout\n"
               "    7 init_panic, signaled, exit_nonzero                            2 build_failed\n"
               "    1 tests_failed, deadlock          0 passed\n"
               "Interrupted (SIGINT, SIGTERM, SIGHUP): the sandboxes are stopped, the work directory\n"
               "removed, and testjail dies of the same signal.\n");
}

struct test_ctx {
  struct tj_test_opts *opts;
};

static int test_option(void *ctx, int id, const char *arg, tj_error *err) {
  struct tj_test_opts *o = ((struct test_ctx *)ctx)->opts;
  tj_error sub = {0};
  int64_t v;
  switch (id) {
  case TJ_OPT_HELP:
    tj_cli_help_test(stdout);
    return TJ_CLI_HELP;
  case OPT_V: /* arg: "false" for -v=false, else NULL */
    o->verbose = !arg;
    return 0;
  case OPT_JSON:
    o->json = !arg;
    return 0;
  case OPT_JUNIT:
    if (!*arg)
      return tj_error_set(err, 0, "invalid --junit '': expected a file name");
    o->junit_path = arg;
    return 0;
  case OPT_P:
    if (tj_parse_int(arg, 1, 1024, &v, &sub) < 0)
      return tj_error_set(err, 0, "invalid -p '%s': expected a whole number from 1 to 1024", arg);
    o->parallel = (int)v;
    return 0;
  case OPT_BUILD_MEMORY:
    if (tj_parse_size(arg, false, &o->build_memory_bytes, &sub) < 0)
      return tj_error_set(err, 0, "--build-memory: %s", sub.msg);
    return 0;
  case OPT_BUILD_TIMEOUT:
    if (tj_parse_duration(arg, &o->build_timeout_ms, &sub) < 0)
      return tj_error_set(err, 0, "--build-timeout: %s", sub.msg);
    return 0;
  case OPT_MEMORY_TOTAL:
    if (tj_parse_size(arg, false, &o->memory_total_bytes, &sub) < 0)
      return tj_error_set(err, 0, "--memory-total: %s", sub.msg);
    return 0;
  case OPT_VET:
    if (!*arg || strchr(arg, ' '))
      return tj_error_set(err, 0, "invalid --vet '%s': expected off or a comma-separated list of checks", arg);
    o->vet = arg;
    return 0;
  case OPT_SHARD:
    return tj_shard_parse(arg, &o->shard, err);
  case OPT_SHARD_COUNT:
    if (tj_parse_int(arg, 1, 100000, &v, &sub) < 0)
      return tj_error_set(err, 0, "invalid --shard-count '%s': expected a whole number from 1 to 100000", arg);
    o->shard_count = (int)v;
    return 0;
  case OPT_SHARD_TIMINGS:
    if (!*arg)
      return tj_error_set(err, 0, "invalid --shard-timings '': expected a testjail report");
    o->shard_timings = arg;
    return 0;
  }
  int m = monitor_option(&o->mon, id, arg, err);
  if (m <= 0)
    return m;
  return tj_cli_sandbox_option(&o->spec, id, arg, err);
}

static void test_defaults(struct tj_test_opts *opts) {
  memset(opts, 0, sizeof(*opts));
  tj_spec_defaults(&opts->spec);
  opts->build_memory_bytes = opts->build_timeout_ms = opts->memory_total_bytes = -1;
  monitor_defaults(&opts->mon);
}

/* ---- packages among options: go test's grammar ---------------------------- */

struct pkg_parse {
  const struct tj_option *const *tables;
  const size_t *counts;
  int ntables;
  tj_option_fn fn;
  void *ctx;
  const char *cmd;
};

/* The option of one of the tables named name's first nl characters; with
 * prefix, also one it abbreviates unambiguously (getopt_long's rule). */
static const struct tj_option *find_option(const struct pkg_parse *pp, const char *name, size_t nl, bool prefix) {
  const struct tj_option *found = NULL;
  int n_found = 0;
  for (int t = 0; t < pp->ntables; t++)
    for (size_t i = 0; i < pp->counts[t]; i++) {
      const struct tj_option *o = &pp->tables[t][i];
      if (strlen(o->name) == nl && strncmp(o->name, name, nl) == 0)
        return o;
      if (prefix && nl && strncmp(o->name, name, nl) == 0 && (!found || found->id != o->id)) {
        found = o;
        n_found++;
      }
    }
  return n_found == 1 ? found : NULL;
}

enum flag_use { FLAG_OURS, FLAG_GO, FLAG_UNKNOWN, FLAG_ARGS };

/* Hands a testjail option to fn: its value after '=' or in the next
 * argument (*used: 1). */
static int our_option(const struct pkg_parse *pp, const struct tj_option *o, const char *arg, const char *eq,
                      const char *next, int *used, tj_error *err) {
  const char *value = eq ? eq + 1 : NULL;
  if (o->metavar && !value) {
    if (!next)
      return tj_error_set(err, 0, "option '%s' needs a value (see 'testjail %s --help')", arg, pp->cmd);
    value = next;
    *used = 1;
  } else if (!o->metavar && value) {
    return tj_error_set(err, 0, "option '%.*s' takes no value (see 'testjail %s --help')", (int)(eq - arg), arg,
                        pp->cmd);
  }
  return pp->fn(pp->ctx, o->id, value, err);
}

/* One argument that starts with '-' (not "--"), and perhaps its value:
 * testjail's own option (given to fn), a flag of go test's, the -args that
 * ends them, or a flag nobody here knows (the test binary's, if anyone's).
 * next: the argument after it, NULL at the end. */
static int one_flag(const struct pkg_parse *pp, const char *arg, const char *next, int *used, enum flag_use *use,
                    tj_error *err) {
  *used = 0;
  *use = FLAG_OURS;
  if (!strcmp(arg, "-h") || !strcmp(arg, "-help") || !strcmp(arg, "--help"))
    return pp->fn(pp->ctx, TJ_OPT_HELP, NULL, err);
  if (!strcmp(arg, "-args") || !strcmp(arg, "--args")) {
    *use = FLAG_ARGS;
    return 0;
  }
  bool dashes2 = arg[1] == '-';
  const char *name = arg + (dashes2 ? 2 : 1);
  const char *eq = strchr(name, '=');
  size_t nl = eq ? (size_t)(eq - name) : strlen(name);
  const char *gvalue;
  const struct tj_goflag *g = tj_goflag_parse(arg, &gvalue);
  const struct tj_option *o = find_option(pp, name, nl, false);
  if (o && dashes2 && !g)
    return our_option(pp, o, arg, eq, next, used, err);
  if (g) {
    if (tj_goflag_takes_next(g, gvalue)) {
      if (!next)
        return tj_error_set(err, 0, "option '%s' needs a value (see 'testjail %s --help')", arg, pp->cmd);
      gvalue = next;
      *used = 1;
    }
    /* -v, -p, -json, -vet: testjail's own too, spelled either way */
    if (o) {
      bool b = true;
      if (!o->metavar && gvalue && !tj_goflag_bool(gvalue, &b))
        return tj_error_set(err, 0, "invalid value \"%s\" for %.*s: expected true or false", gvalue, (int)(eq - arg),
                            arg);
      return pp->fn(pp->ctx, o->id, o->metavar ? gvalue : b ? NULL : "false", err);
    }
    if (g->owner == TJ_GOFLAG_GOTEST)
      return tj_error_set(err, 0, "%s: %s", arg, g->instead);
    *use = FLAG_GO;
    return 0;
  }
  if (dashes2) {
    o = find_option(pp, name, nl, true);
    if (!o)
      return tj_error_set(err, 0, "unknown option '%s' (see 'testjail %s --help')", arg, pp->cmd);
    return our_option(pp, o, arg, eq, next, used, err);
  }
  /* -p4, as getopt took it */
  o = find_option(pp, name, 1, false);
  if (o && o->metavar && name[1] >= '0' && name[1] <= '9')
    return pp->fn(pp->ctx, o->id, name + 1, err);
  o = find_option(pp, name, nl, false);
  if (o)
    return tj_error_set(err, 0, "unknown flag '%s': testjail's own options take two dashes (--%.*s)", arg, (int)nl,
                        name);
  *use = FLAG_UNKNOWN;
  return 0;
}

/* go test's flags before and among the packages, as go test takes them
 * (cmd/go/internal/test/testflag.go): a word is a package until a go test
 * flag follows the list; a word after that is the test binary's argument,
 * as is all that follows it, unless it is the value of a flag go test does
 * not know. Such a flag goes to the test binary only after the packages.
 * testjail's own options may stand anywhere and leave the list open. */
static int split_args(const struct pkg_parse *pp, char **argv, int from, int to, struct tj_test_opts *opts, int *tail,
                      tj_error *err) {
  bool listed = false, in_list = false, after_bare = false;
  const char *unknown_first = NULL;
  *tail = to;
  for (int i = from; i < to; i++) {
    const char *a = argv[i];
    bool was_after_bare = after_bare;
    after_bare = false;
    if (a[0] != '-' || !a[1]) {
      if (unknown_first)
        return tj_error_set(err, 0,
                            "unknown flag '%s' before the packages: go test hands a flag it does not know to the "
                            "test binary only after them (testjail %s PACKAGE... %s)",
                            unknown_first, pp->cmd, unknown_first);
      if (listed && !in_list) {
        if (was_after_bare) {
          opts->testflags[opts->n_testflags++] = argv[i];
          continue;
        }
        *tail = i;
        return 0;
      }
      if (!a[0])
        return tj_error_set(err, 0, "empty package name");
      listed = in_list = true;
      opts->packages[opts->n_packages++] = argv[i];
      continue;
    }
    int used;
    enum flag_use use;
    int r = one_flag(pp, a, i + 1 < to ? argv[i + 1] : NULL, &used, &use, err);
    if (r != 0)
      return r;
    if (use == FLAG_ARGS) {
      *tail = i + 1;
      return 0;
    }
    if (use == FLAG_GO || use == FLAG_UNKNOWN) {
      for (int k = 0; k <= used; k++)
        opts->testflags[opts->n_testflags++] = argv[i + k];
      in_list = false;
      if (use == FLAG_UNKNOWN) {
        if (!listed)
          unknown_first = a;
        listed = true;
        after_bare = !strchr(a, '=');
      }
    }
    i += used;
  }
  return 0;
}

/* TESTFLAGS after "--" as today, but for go test's own -json, -vet and -p,
 * which testjail takes itself. */
static int take_testflags(const struct pkg_parse *pp, char **argv, int from, int to, struct tj_test_opts *opts,
                          tj_error *err) {
  for (int i = from; i < to; i++) {
    const char *a = argv[i], *value;
    if (!strcmp(a, "-args") || !strcmp(a, "--args")) {
      while (i < to)
        opts->testflags[opts->n_testflags++] = argv[i++];
      break;
    }
    const struct tj_goflag *g = tj_goflag_parse(a, &value);
    int used = g && tj_goflag_takes_next(g, value) && i + 1 < to ? 1 : 0;
    if (g && g->owner == TJ_GOFLAG_GOTEST && find_option(pp, g->name, strlen(g->name), false)) {
      enum flag_use use;
      int r = one_flag(pp, a, i + 1 < to ? argv[i + 1] : NULL, &used, &use, err);
      if (r != 0)
        return r;
    } else {
      for (int k = 0; k <= used; k++)
        opts->testflags[opts->n_testflags++] = argv[i + k];
    }
    i += used;
  }
  return 0;
}

/* Packages, options, go test's flags before "--"; TESTFLAGS after it. The
 * go test flags come first in opts->testflags, then TESTFLAGS, then (after
 * -args) the words go test would hand the test binary as they are. */
static int parse_with_packages(int argc, char **argv, const struct tj_option *const *tables, const size_t *counts,
                               int ntables, tj_option_fn fn, void *ctx, struct tj_test_opts *opts, tj_error *err) {
  int dd = argc;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--") == 0) {
      dd = i;
      break;
    }
  opts->packages = calloc((size_t)argc + 1, sizeof(char *));
  opts->testflags = calloc((size_t)argc + 2, sizeof(char *));
  if (!opts->packages || !opts->testflags)
    return tj_error_set(err, ENOMEM, "parsing options");
  struct pkg_parse pp = {tables, counts, ntables, fn, ctx, argv[0]};
  int tail;
  int r = split_args(&pp, argv, 1, dd, opts, &tail, err);
  if (r == 0 && dd < argc)
    r = take_testflags(&pp, argv, dd + 1, argc, opts, err);
  if (r != 0)
    return r;
  if (tail < dd) {
    opts->testflags[opts->n_testflags++] = "-args";
    for (int i = tail; i < dd; i++)
      opts->testflags[opts->n_testflags++] = argv[i];
  }
  return TJ_CLI_RUN;
}

int tj_cli_parse_test(int argc, char **argv, struct tj_test_opts *opts, tj_error *err) {
  test_defaults(opts);
  size_t n;
  const struct tj_option *tables[] = {test_options, monitor_options, tj_cli_sandbox_options(&n)};
  size_t counts[] = {TJ_ARRAY_SIZE(test_options), TJ_ARRAY_SIZE(monitor_options), n};
  struct test_ctx ctx = {opts};
  int r = parse_with_packages(argc, argv, tables, counts, 3, test_option, &ctx, opts, err);
  if (r != TJ_CLI_RUN)
    return r;
  if (opts->json && opts->verbose)
    opts->verbose = false; /* go test -json implies -v; the stream carries everything */
  if (apply_profile(&opts->spec, &opts->build_memory_bytes, &opts->build_timeout_ms, err) < 0)
    return -EINVAL;
  return TJ_CLI_RUN;
}

/* ---- testjail bisect-memory ----------------------------------------------------- */

static const struct tj_option bisect_options[] = {
    {"tolerance", "SIZE", OPT_TOLERANCE,
     "stop when the smallest passing and the largest failing limit are this close (default 1M)"},
    {"runs", "N", OPT_RUNS, "run each limit N times; a limit passes only when every run passed (default 1)"},
    {"floor", "SIZE", OPT_FLOOR, "the lowest limit tried (default 4M; the upper bound when that is lower)"},
    {"build-memory", "SIZE", OPT_BUILD_MEMORY, "memory limit of the build sandbox (default: none)"},
    {"build-timeout", "DURATION", OPT_BUILD_TIMEOUT, "wall-clock limit of the build sandbox (default: none)"},
    {"vet", "LIST", OPT_VET, "vet checks run by the build, as go test -vet: off, or a comma-separated list"},
    {"shard", "K/N|auto", OPT_SHARD,
     "run only the K-th (0-based) of N shares of the resolved packages, split by package; auto: K and N from "
     "JOB_COMPLETION_INDEX (Kubernetes Indexed Job) with --shard-count, or CI_NODE_INDEX/CI_NODE_TOTAL (GitLab "
     "parallel:, 1-based); the report's shard object says which packages ran (merge: testjail report merge)"},
    {"shard-count", "N", OPT_SHARD_COUNT, "the number of shards for --shard auto (a Job's completions)"},
    {"shard-timings", "REPORT", OPT_SHARD_TIMINGS,
     "balance the shards by the packages' durations in an earlier testjail report (longest first; a package "
     "without one counts as their median); without it the split is by a hash of the import paths"},
};

void tj_cli_help_bisect(FILE *out) {
  size_t n;
  const struct tj_option *sandbox = tj_cli_sandbox_options(&n);
  fprintf(out, "Usage: testjail bisect-memory [OPTIONS] [GOTESTFLAGS] [PACKAGE] [GOTESTFLAGS] [-- TESTFLAGS...]\n"
               "\n"
               "Find the smallest memory limit under which the package's tests pass. Build the test binary once,\n"
               "run it once without a memory limit to measure its peak, then binary-search the limit between\n"
               "--floor and that peak (plus the tolerance) until the smallest passing and the largest failing\n"
               "limit are at most --tolerance apart. Each try is a full test run in its own sandbox (the\n"
               "sandbox options below apply, --memory excepted); TESTFLAGS (-run X to narrow it to one test)\n"
               "go to the binary. go test's flags may also stand before and after the package, as for\n"
               "testjail test (testjail bisect-memory -run TestBig -count=1 ./pkg).\n"
               "The answer is confirmed by running it again (a failure moves it up); a pass at a lower\n"
               "limit and a failure at a higher (or the same) one is reported as flaky.\n"
               "\n"
               "Prints a line per try (limit, outcome, peak, duration, the test running when it failed), then\n"
               "the answer: the smallest limit that passed every time, and the largest that failed with its\n"
               "outcome (oom_killed, or tests_failed from allocation errors) and test.\n"
               "\n"
               "Search options:\n");
  print_options(out, bisect_options, TJ_ARRAY_SIZE(bisect_options));
  fprintf(out, "\nMonitoring options:\n");
  print_options(out, monitor_options, TJ_ARRAY_SIZE(monitor_options));
  fprintf(out, "\nSandbox options (each try's test sandbox):\n");
  print_options(out, sandbox, n);
  fprintf(out, "\n"
               "SIZE: bytes, or with a suffix K, M, G (powers of 1024; KiB, MiB, GiB and Kubernetes' Ki, Mi, Gi too),\n"
               "a fraction with a suffix rounded down to whole bytes (1.5G, 0.5Gi).\n"
               "\n"
               "Exit status: 0 when a passing limit was found (flaky or not); when even the unlimited run\n"
               "fails, the code of its outcome as for test (1 tests_failed, 2 build_failed, 3 oom_killed, ...);\n"
               "3 when no limit up to 4 times the peak passed; 125 for bad input and sandbox errors.\n"
               "--report FILE writes the JSON report (mode \"bisect\", with a bisect object listing every try,\n"
               "each with its timeline).\n");
}

struct bisect_ctx {
  struct tj_bisect_opts *opts;
};

static int bisect_option(void *ctx, int id, const char *arg, tj_error *err) {
  struct tj_bisect_opts *o = ((struct bisect_ctx *)ctx)->opts;
  tj_error sub = {0};
  int64_t v;
  switch (id) {
  case TJ_OPT_HELP:
    tj_cli_help_bisect(stdout);
    return TJ_CLI_HELP;
  case OPT_TOLERANCE:
    if (tj_parse_size(arg, false, &o->tolerance_bytes, &sub) < 0)
      return tj_error_set(err, 0, "--tolerance: %s", sub.msg);
    if (o->tolerance_bytes < 4096)
      return tj_error_set(err, 0, "invalid --tolerance '%s': at least 4K (a page)", arg);
    return 0;
  case OPT_RUNS:
    if (tj_parse_int(arg, 1, 100, &v, &sub) < 0)
      return tj_error_set(err, 0, "invalid --runs '%s': expected a whole number from 1 to 100", arg);
    o->runs = (int)v;
    return 0;
  case OPT_FLOOR:
    if (tj_parse_size(arg, false, &o->floor_bytes, &sub) < 0)
      return tj_error_set(err, 0, "--floor: %s", sub.msg);
    return 0;
  case OPT_MEMORY:
    return tj_error_set(err, 0, "--memory: bisect-memory chooses the memory limit of each try itself");
  }
  struct test_ctx tc = {&o->test};
  return test_option(&tc, id, arg, err);
}

int tj_cli_parse_bisect(int argc, char **argv, struct tj_bisect_opts *opts, tj_error *err) {
  memset(opts, 0, sizeof(*opts));
  test_defaults(&opts->test);
  opts->tolerance_bytes = 1 << 20;
  opts->floor_bytes = -1;
  opts->runs = 1;
  size_t n;
  const struct tj_option *tables[] = {bisect_options, monitor_options, tj_cli_sandbox_options(&n)};
  size_t counts[] = {TJ_ARRAY_SIZE(bisect_options), TJ_ARRAY_SIZE(monitor_options), n};
  struct bisect_ctx ctx = {opts};
  int r = parse_with_packages(argc, argv, tables, counts, 3, bisect_option, &ctx, &opts->test, err);
  if (r != TJ_CLI_RUN)
    return r;
  if (opts->test.n_packages > 1)
    return tj_error_set(err, 0, "bisect-memory takes one package, got %d ('%s', '%s'...)", opts->test.n_packages,
                        opts->test.packages[0], opts->test.packages[1]);
  return TJ_CLI_RUN;
}

/* ---- testjail init ---------------------------------------------------------- */

enum {
  OPT_INIT_SINGLE_CHILD = 192,
  OPT_INIT_REWRITE,
  OPT_INIT_GRACE,
  OPT_INIT_TERMINATION_LOG,
};

static const struct tj_option init_options[] = {
    {"single-child", NULL, OPT_INIT_SINGLE_CHILD,
     "signals go to COMMAND alone (tini's default), which runs in a process group of its own; default: COMMAND "
     "gets a session of its own and signals go to its whole process group (dumb-init's default)"},
    {"rewrite", "FROM:TO", OPT_INIT_REWRITE,
     "send signal TO when FROM arrives (names or numbers: TERM:QUIT, 15:3); TO 0 drops FROM; repeatable"},
    {"grace", "DURATION", OPT_INIT_GRACE,
     "once COMMAND has exited, the time what it left gets between SIGTERM and SIGKILL; also between a "
     "--wall-timeout's SIGQUIT and the kill (default 10s)"},
    {"termination-log", "PATH", OPT_INIT_TERMINATION_LOG,
     "write the diagnosis and the key figures there, at most 4096 bytes (default " TJ_TERMINATION_LOG
     " when it exists: Kubernetes' terminationMessagePath)"},
    {"help", NULL, TJ_OPT_HELP, "show this help"},
};

/* The sandbox options that mean something in a container's own namespaces;
 * a name the sandbox table lacks (not yet there) is skipped. */
static const char *const init_sandbox_names[] = {"memory",  "pids-limit", "cpus",     "ulimit",       "wall-timeout",
                                                 "seccomp", "cap-add",    "cap-drop", "preserve-fds", "report"};

static size_t init_sandbox_options(struct tj_option *out) {
  size_t n, k = 0;
  const struct tj_option *all = tj_cli_sandbox_options(&n);
  for (size_t j = 0; j < TJ_ARRAY_SIZE(init_sandbox_names); j++)
    for (size_t i = 0; i < n; i++)
      if (strcmp(all[i].name, init_sandbox_names[j]) == 0)
        out[k++] = all[i];
  return k;
}

void tj_cli_help_init(FILE *out) {
  struct tj_option sandbox[TJ_ARRAY_SIZE(init_sandbox_names)];
  size_t n = init_sandbox_options(sandbox);
  fprintf(out, "Usage: testjail init [OPTIONS] -- COMMAND [ARG...]\n"
               "\n"
               "A container's entrypoint (ENTRYPOINT [\"testjail\", \"init\", \"--\"]). As PID 1, or as a child\n"
               "subreaper when not PID 1, it runs COMMAND, forwards every signal but SIGCHLD to it, reaps\n"
               "every zombie, and when COMMAND exits sends SIGTERM to what it left, SIGKILL after --grace,\n"
               "and exits with COMMAND's status (128+N when killed by signal N). SIGTSTP, SIGTTIN and SIGTTOU\n"
               "are forwarded (as SIGSTOP without --single-child), then testjail stops itself, as dumb-init.\n"
               "\n"
               "Then it says why COMMAND died: from the counters of a cgroup of its own where the cgroup\n"
               "tree is writable, else of the container's cgroup before and after (an OOM kill, a pids\n"
               "limit, an rlimit signal, the wall clock, any other signal): on stderr, in the termination\n"
               "message file that Kubernetes shows in 'kubectl describe pod', and with --report in JSON.\n"
               "A Go test binary given -test.v has its stdout passed through, unchanged, and read on the\n"
               "way, so the diagnosis names the test that was running.\n"
               "\n"
               "Options:\n");
  print_options(out, init_options, TJ_ARRAY_SIZE(init_options) - 1);
  print_options(out, sandbox, n);
  print_options(out, &init_options[TJ_ARRAY_SIZE(init_options) - 1], 1); /* --help last */
  fprintf(out, "\n"
               "--memory, --pids-limit and --cpus need a writable cgroup tree (a privileged or delegated\n"
               "container); --ulimit and --wall-timeout work anywhere. Unlike exec, init leaves the\n"
               "container's capabilities and seccomp filter alone unless --seccomp, --cap-add or\n"
               "--cap-drop is given (--seccomp default: testjail's filter, every denial named).\n"
               "\n"
               "Exit status: COMMAND's own; 125 when testjail itself fails or is misused; 126 when COMMAND\n"
               "cannot be executed; 127 when it is not found.\n");
}

static int init_option(void *ctx, int id, const char *arg, tj_error *err) {
  struct tj_init_spec *spec = ctx;
  tj_error sub = {0};
  switch (id) {
  case TJ_OPT_HELP:
    tj_cli_help_init(stdout);
    return TJ_CLI_HELP;
  case OPT_INIT_SINGLE_CHILD:
    spec->single_child = true;
    return 0;
  case OPT_INIT_REWRITE:
    return tj_init_parse_rewrite(arg, spec, err) < 0 ? -EINVAL : 0;
  case OPT_INIT_GRACE:
    if (tj_parse_duration(arg, &spec->sandbox.grace_ms, &sub) < 0)
      return tj_error_set(err, 0, "--grace: %s", sub.msg);
    return 0;
  case OPT_INIT_TERMINATION_LOG:
    if (!*arg)
      return tj_error_set(err, 0, "invalid --termination-log '': expected a file name");
    spec->termination_log = arg;
    return 0;
  }
  return tj_cli_sandbox_option(&spec->sandbox, id, arg, err);
}

int tj_cli_parse_init(int argc, char **argv, struct tj_init_spec *spec, tj_error *err) {
  struct tj_option sandbox[TJ_ARRAY_SIZE(init_sandbox_names)];
  const struct tj_option *tables[] = {init_options, sandbox};
  size_t counts[] = {TJ_ARRAY_SIZE(init_options), init_sandbox_options(sandbox)};
  bool dashdash = false;
  tj_init_spec_defaults(spec);
  int first;
  int r = tj_cli_parse(argc, argv, tables, counts, 2, init_option, spec, &first, &dashdash, err);
  if (r != 0)
    return r;
  if (first >= argc || !dashdash) {
    if (first < argc)
      return tj_error_set(err, 0,
                          "missing '--' before the command '%s' (usage: testjail init [OPTIONS] -- COMMAND [ARG...])",
                          argv[first]);
    return tj_error_set(err, 0, "no command given (usage: testjail init [OPTIONS] -- COMMAND [ARG...])");
  }
  if (!argv[first][0])
    return tj_error_set(err, 0, "empty command name");
  spec->sandbox.argv = &argv[first];
  return TJ_CLI_RUN;
}

int tj_cmd_usage_error(const char *msg) {
  fprintf(stderr, "testjail: %s\n", msg);
  return TJ_EXIT_USAGE;
}

void tj_cmd_unmask(int sig, const sigset_t *old) {
  if (sig) {
    signal(sig, SIG_DFL);
    sigprocmask(SIG_SETMASK, old, NULL);
    raise(sig);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
  }
  sigprocmask(SIG_SETMASK, old, NULL);
}
