/* The command line: one option table that also holds the help text. */
#ifndef TJ_CLI_H
#define TJ_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "spec.h"

enum tj_cli_result { TJ_CLI_RUN = 0, TJ_CLI_HELP = 1 };

/* One row of an option table: the parser and the help come from it. Ids
 * below 256 are free for each command's own options; the sandbox options
 * use 256 and up. */
struct tj_option {
  const char *name;
  const char *metavar; /* NULL: takes no argument */
  int id;
  const char *help;
};

#define TJ_OPT_HELP 255 /* --help and -h; put {"help", NULL, TJ_OPT_HELP, ...} in a table */

/* Called for each option found: 0 to go on, TJ_CLI_HELP or < 0 to stop. */
typedef int (*tj_option_fn)(void *ctx, int id, const char *arg, tj_error *err);

/* getopt_long over several tables; stops at "--" or the first non-option.
 * Returns 0 with *first the index of the first operand (after "--") and
 * *dashdash telling whether "--" came before it; or what fn returned
 * (TJ_CLI_HELP, < 0). argv[0] is the command name, used in messages. */
int tj_cli_parse(int argc, char **argv, const struct tj_option *const *tables, const size_t *counts, int ntables,
                 tj_option_fn fn, void *ctx, int *first, bool *dashdash, tj_error *err);

/* The options every sandboxing command takes (--memory, --ulimit, ...). */
const struct tj_option *tj_cli_sandbox_options(size_t *n);
int tj_cli_sandbox_option(struct tj_spec *spec, int id, const char *arg, tj_error *err);
void tj_cli_print_options(FILE *out, const struct tj_option *opts, size_t n);
void tj_spec_defaults(struct tj_spec *spec);

/* `testjail exec [OPTIONS] -- COMMAND [ARG...]`; argv[0] is "exec".
 * Returns TJ_CLI_RUN, TJ_CLI_HELP (help printed to stdout) or < 0. */
struct tj_monitor_opts;
/* mon: where --plot and --sample-interval go (NULL: not offered). */
int tj_cli_parse_exec(int argc, char **argv, struct tj_spec *spec, struct tj_monitor_opts *mon, tj_error *err);

/* What test and bisect-memory watch while the tests run, and how they show
 * it: the timeline's sampling, --plot, the live view, GOMEMLIMIT. */
enum tj_gomemlimit { TJ_GOMEMLIMIT_INHERIT, TJ_GOMEMLIMIT_AUTO, TJ_GOMEMLIMIT_OFF, TJ_GOMEMLIMIT_SIZE };

struct tj_monitor_opts {
  int64_t sample_interval_ms; /* default 50 */
  const char *plot_path;      /* --plot FILE.svg, NULL: none */
  bool quiet;                 /* no live view */
  enum tj_gomemlimit gomemlimit;
  int64_t gomemlimit_bytes;   /* TJ_GOMEMLIMIT_SIZE */
};

#define TJ_DEFAULT_SAMPLE_MS 50

/* `testjail test [OPTIONS] [PACKAGE...] [-- TESTFLAGS...]`: the test
 * sandbox's spec plus the options of the build and of the output. */
struct tj_test_opts {
  struct tj_spec spec;         /* the test sandbox */
  int64_t build_memory_bytes;  /* -1: none */
  int64_t build_timeout_ms;    /* -1: none */
  int64_t memory_total_bytes;  /* --memory-total: one cgroup over every test sandbox of the run; -1: none */
  const char *vet;             /* NULL: go test's default subset */
  bool verbose, json;
  const char *junit_path;
  int parallel;                /* 0: the number of CPUs */
  char **packages;             /* NULL-terminated, owned; empty: "." */
  int n_packages;
  /* go test's flags before "--" (go test's own -v, -p, -json and -vet
   * taken out), then TESTFLAGS after it, then -args and the words go test
   * would hand the test binary as they are; owned array, strings borrowed */
  char **testflags;
  int n_testflags;
  struct tj_monitor_opts mon;
};

/* argv[0] is "test". Returns TJ_CLI_RUN, TJ_CLI_HELP or < 0. */
int tj_cli_parse_test(int argc, char **argv, struct tj_test_opts *opts, tj_error *err);
void tj_cli_help_test(FILE *out);

/* `testjail bisect-memory [OPTIONS] [PACKAGE] [-- TESTFLAGS...]`: the
 * options of test that make sense for one package, plus the search's. */
struct tj_bisect_opts {
  struct tj_test_opts test; /* spec, build, vet, mon, packages, testflags */
  int64_t tolerance_bytes;  /* default 1 MiB */
  int64_t floor_bytes;      /* -1: the default */
  int runs;                 /* default 1 */
};

/* argv[0] is "bisect-memory". Returns TJ_CLI_RUN, TJ_CLI_HELP or < 0. */
int tj_cli_parse_bisect(int argc, char **argv, struct tj_bisect_opts *opts, tj_error *err);
void tj_cli_help_bisect(FILE *out);

struct tj_init_spec;
/* `testjail init [OPTIONS] -- COMMAND [ARG...]`; argv[0] is "init".
 * Returns TJ_CLI_RUN, TJ_CLI_HELP (help printed to stdout) or < 0. */
int tj_cli_parse_init(int argc, char **argv, struct tj_init_spec *spec, tj_error *err);
void tj_cli_help_init(FILE *out);

void tj_cli_help_main(FILE *out);
void tj_cli_help_exec(FILE *out);
void tj_cli_help_doctor(FILE *out);
void tj_cli_help_profile(FILE *out);

#endif
