/* What the test and bisect-memory commands ask of the Go layer: the test
 * sandbox's spec, the build's, the output's and the monitor's options. The
 * command line (cmd/cli.c) fills them. */
#ifndef TJ_GO_OPTS_H
#define TJ_GO_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/spec.h"
#include "go/shard.h"

/* What test and bisect-memory watch while the tests run, and how they show
 * it: the timeline's sampling, --plot, the live view, GOMEMLIMIT. */
enum tj_gomemlimit { TJ_GOMEMLIMIT_INHERIT, TJ_GOMEMLIMIT_AUTO, TJ_GOMEMLIMIT_OFF, TJ_GOMEMLIMIT_SIZE };

struct tj_monitor_opts {
  int64_t sample_interval_ms; /* default 50 */
  const char *plot_path;      /* --plot FILE.svg, NULL: none */
  bool quiet;                 /* no live view */
  enum tj_gomemlimit gomemlimit;
  int64_t gomemlimit_bytes; /* TJ_GOMEMLIMIT_SIZE */
};

#define TJ_DEFAULT_SAMPLE_MS 50

/* `testjail test [OPTIONS] [PACKAGE...] [-- TESTFLAGS...]`: the test
 * sandbox's spec plus the options of the build and of the output. */
struct tj_test_opts {
  struct tj_spec spec;        /* the test sandbox */
  int64_t build_memory_bytes; /* -1: none */
  int64_t build_timeout_ms;   /* -1: none */
  int64_t memory_total_bytes; /* --memory-total: one cgroup over every test sandbox of the run; -1: none */
  const char *vet;            /* NULL: go test's default subset */
  bool verbose, json;
  const char *junit_path;
  int parallel;    /* 0: the number of CPUs */
  char **packages; /* NULL-terminated, owned; empty: "." */
  int n_packages;
  /* go test's flags before "--" (go test's own -v, -p, -json and -vet
   * taken out), then TESTFLAGS after it, then -args and the words go test
   * would hand the test binary as they are; owned array, strings borrowed */
  char **testflags;
  int n_testflags;
  struct tj_monitor_opts mon;
  /* --shard K/N|auto, --shard-count N (0: not given), --shard-timings REPORT */
  struct tj_shard shard;
  int shard_count;
  const char *shard_timings;
};

/* `testjail bisect-memory [OPTIONS] [PACKAGE] [-- TESTFLAGS...]`: the
 * options of test that make sense for one package, plus the search's. */
struct tj_bisect_opts {
  struct tj_test_opts test; /* spec, build, vet, mon, packages, testflags */
  int64_t tolerance_bytes;  /* default 1 MiB */
  int64_t floor_bytes;      /* -1: the default */
  int runs;                 /* default 1 */
};

#endif
