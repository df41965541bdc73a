/* GOMAXPROCS for the tests: what the Go runtime of the test binary will
 * choose in the test sandbox, and when testjail sets it instead so that the
 * tests see --cpus. Pure logic, apart from reading a binary's build info. */
#ifndef TJ_GOMAXPROCS_H
#define TJ_GOMAXPROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tj_gmp_in {
  int go_minor;         /* the Go release of the binary: 19 for go1.19; 0 unknown */
  int64_t cpu_quota_us; /* --cpus; < 0: none */
  int64_t cpu_period_us;
  int ncpu;                    /* CPUs the sandbox may run on; <= 0 unknown */
  bool runtime_sees_cgroup;    /* the runtime can find the sandbox cgroup's cpu limit */
  const char *user;            /* GOMAXPROCS of --env or the environment; NULL: unset */
  bool user_inherited;         /* from the environment, not --env */
  const char *godebug;         /* the sandbox's GODEBUG; NULL: unset */
  const char *godebug_default; /* the binary's DefaultGODEBUG; NULL: unknown */
};

struct tj_gmp {
  int value;          /* the GOMAXPROCS the tests start with; -1 unknown */
  const char *source; /* env, inherited, testjail, runtime (cgroup cpu limit), runtime (cpu count) */
  int set;            /* > 0: testjail puts GOMAXPROCS=set in the tests' environment */
  const char *note;   /* why, where it is not obvious; NULL: none */
};

void tj_gomaxprocs_decide(const struct tj_gmp_in *in, struct tj_gmp *out);

/* The value of key in a GODEBUG list ("a=1,b=0"), the last one winning, as
 * the runtime reads it; NULL when absent. Copied into buf. */
const char *tj_godebug_get(const char *list, const char *key, char *buf, size_t len);

/* The DefaultGODEBUG of a Go binary (its module's go version, godebug
 * lines, //go:debug directives) from the build info in its .go.buildinfo
 * section: 0 with buf filled ("" when the binary has none), or a negative
 * errno when the file is no 64-bit ELF or has no build info. */
int tj_go_binary_godebug(const char *path, char *buf, size_t len);

#endif
