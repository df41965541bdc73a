/* The Go side of `testjail test`, and the only place that knows the go
 * command: `go env` and `go list` to resolve what to test, go test's flags,
 * then for one package the build sandbox (go test -c) and the test sandbox
 * (the binary, -test.v parsed as it streams), each judged by the verdict. */
#ifndef TJ_JOB_H
#define TJ_JOB_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

#include "go/opts.h"
#include "common/error.h"
#include "report/live.h"
#include "verdict.h"

struct tj_go_env {
  char go[PATH_MAX];      /* the go command, resolved in PATH */
  char version[32];       /* "go1.19.8" */
  int minor;              /* 19 */
  char gocache[PATH_MAX]; /* "" when off */
  char gomodcache[PATH_MAX];
  char goroot[PATH_MAX];
  bool goflags_ldflags; /* GOFLAGS sets -ldflags: leave the link alone */
  /* Where go finds the main module (go.mod) and the workspace (go.work)
   * from the working directory; "" when none. */
  char modroot[PATH_MAX];
  char workroot[PATH_MAX];
};

struct tj_package {
  char *import_path;
  char *dir;
  char *binary; /* the test binary's file name, as go test names it */
  bool has_tests;
};

/* The name go test gives a package's test binary (cmd/go's testBinaryName),
 * so ps and stack traces show the package: the import path's last element
 * + ".test", the one before a major version (example.com/tool/v2:
 * tool.test, module mode), the package name for files named on the
 * command line (command-line-arguments). */
void tj_test_binary_name(const char *import_path, const char *name, char *buf, size_t len);

/* Where package index's test binary goes: a directory of its own in the
 * work directory, as two packages may share a name; made here. */
int tj_job_binary_path(const char *workdir, int index, const struct tj_package *pkg, char *buf, size_t len,
                       tj_error *err);

/* Finds go in PATH, then runs `go env` and `go list` of the patterns (none:
 * "."). No go, a package that does not exist, a directory without Go files,
 * a pattern matching nothing: an error naming it. A package go can find
 * but not build is listed: its build will say why. */
int tj_go_resolve(char **patterns, int n, char **build_flags, struct tj_go_env *env, struct tj_package **pkgs,
                  int *n_pkgs, tj_error *err);

/* The pure halves of tj_go_resolve, for go's untrusted output: `go env
 * -json` into env's version, cache and flags fields; `go list -json`'s
 * stream of objects appended to *pkgs (the caller frees them, on failure
 * too). 0, or -1 with an error naming what was wrong. */
int tj_go_env_parse(struct tj_go_env *env, const char *out, size_t len, tj_error *err);
int tj_go_list_parse(const char *out, size_t len, struct tj_package **pkgs, int *n_pkgs, tj_error *err);

/* The go command in PATH (env zeroed, then env->go), or a usage error. */
int tj_go_find(struct tj_go_env *env, tj_error *err);

/* What go env would say (GOCACHE, GOMODCACHE, GOFLAGS, GOROOT, the
 * version) from the environment, go's env file and the defaults, without
 * starting go. true when all of it is known; else go env must say. */
bool tj_go_guess(struct tj_go_env *env);
void tj_packages_free(struct tj_package *pkgs, int n);

/* TESTFLAGS as the test binary takes them: go test's flags get the test.
 * prefix (-run X -> -test.run=X), values checked; -v and the test binary's
 * own flags pass as given. *verbose is set for -v, *has_timeout for
 * -timeout. The result is NULL-terminated; free it with tj_testflags_free. */
/* go test's build flags among TESTFLAGS (-race, -tags, -ldflags, -cover,
 * -coverprofile...): they go to the build, not to the binary. */
struct tj_go_flags {
  char **build;             /* for go test -c and the shared build; NULL-terminated */
  bool bench, list;         /* -bench, -list: go test shows passing packages' output */
  bool fuzz;                /* -fuzz: one package, built for fuzzing */
  bool cover;               /* -cover, -covermode, -coverpkg or -coverprofile */
  const char *coverprofile; /* as given: relative to the working directory */
  const char *covermode;    /* as given; NULL: go's default (set, atomic under -race) */
  bool race;
  bool artifacts;        /* -artifacts: t.ArtifactDir under the output directory */
  const char *outputdir; /* -outputdir as given: relative to the working directory */
};
int tj_testflags(char **flags, int n, char ***out, bool *verbose, bool *has_timeout, struct tj_go_flags *gf,
                 tj_error *err);
void tj_testflags_free(char **flags);

/* go test applies the test flags in GOFLAGS (-timeout=30m, -count=1, -v,
 * -short...) too: flags with those first, for tj_testflags, so the ones
 * given win. Free *out alone (its strings are borrowed). */
int tj_testflags_goflags(char **flags, int n, char ***out, int *n_out);
void tj_go_flags_free(struct tj_go_flags *gf);

/* Where package index's test binary writes its -coverprofile (a directory
 * holding "profile"). */
void tj_job_cover_dir(const char *workdir, int index, char *buf, size_t len);

enum tj_out_mode { TJ_OUT_TEXT, TJ_OUT_VERBOSE, TJ_OUT_JSON };

/* Where the job's output goes, in order: fd 1 or 2. */
typedef void (*tj_job_sink)(void *ctx, int fd, const char *buf, size_t len);

struct tj_job {
  const struct tj_test_opts *opts;
  const struct tj_go_env *go;
  const struct tj_package *pkg;
  const char *workdir; /* private, for the test binary */
  int index;
  char **testflags;                 /* from tj_testflags */
  const struct tj_go_flags *gflags; /* NULL: none */
  bool has_timeout;
  /* Passing packages' output is shown (go test's local directory mode,
   * -bench, -list, -fuzz), not only their ok line. */
  bool show_passing;
  /* go test streams the binary's output (local directory mode, -bench,
   * -fuzz) and so keeps none to read: a failure always gets its exit
   * status line, an ok line no coverage and no [no tests to run]. */
  bool stream;
  enum tj_out_mode mode;
  int stop_fd; /* readable or hung up: stop before the next phase */
  tj_job_sink sink;
  void *sink_ctx;
  int total;         /* packages in the run, for the live view */
  const char *phase; /* the live view's phase label; NULL: build / test */
  /* The live view's status as it changes (phase, samples, running test);
   * NULL: none. */
  void (*live)(void *ctx, const struct tj_live_status *st);
  void *live_ctx;
  /* The binary is already built (by the shared build of testcmd's
   * packages): only the test phase runs. */
  bool prebuilt;
};

/* A package's result: its report object, and what callers act on typed
 * beside it, so that nobody reads the object back. */
struct tj_pkg_result {
  json_t *json; /* NULL only when out of memory */
  enum tj_outcome outcome;
  char outcome_name[32]; /* the report's: "rlimit" has no enum of its own */
  char diagnosis[512];
  /* of the phase's sandbox run; -1 (peak, duration) and 0 (signal) when
   * none ran */
  int64_t peak_bytes;
  int64_t duration_ms;
  int signal; /* the binary's terminating signal */
  /* the test phase only: the innermost test running at the end, else the
   * one running at the OOM kill, else the first that failed; "" */
  char test[96];
  /* GOMEMLIMIT as the tests got it ("": none) and where it came from
   * ("auto", "option", "env", "inherited"; NULL: none) */
  char gomemlimit[32];
  const char *gomemlimit_source;
};

/* Builds and tests one package. Returns its result: package, phase,
 * outcome, exit_code, diagnosis, the run's report fields, tests {passed,
 * failed, skipped, failed_names, running, cases [{name, status,
 * duration_ms, output}]}. */
struct tj_pkg_result tj_job_run(const struct tj_job *job);

/* The two phases apart (bisect-memory builds once, tests many times).
 * tj_job_build: 0 with the binary at bin, or -1 with *failure the package's
 * result (build_failed, an OOM kill of the build, ...). tj_job_test: the
 * test phase of bin in a sandbox as spec says (its limits), with the
 * result as tj_job_run's, plus "timeline" and "gomemlimit". */
int tj_job_build(const struct tj_job *job, const char *bin, struct tj_pkg_result *failure);

/* The build sandbox: its own limits, the network (GOPROXY and module
 * downloads work as under go test), GOCACHE and the work dir writable, go's
 * work dir (GOTMPDIR) at <workdir>/<tag>.gotmp, set in gotmp ("" when the
 * user's --env GOTMPDIR wins or it cannot be made). */
int tj_job_build_spec(const struct tj_job *job, struct tj_spec *bs, const char *tag, char *gotmp, size_t gotmp_len,
                      tj_error *err);
struct tj_pkg_result tj_job_test(const struct tj_job *job, const struct tj_spec *spec, const char *bin);

#endif
