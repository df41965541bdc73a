/* The JSON report (shared/CONTRACT.md): built from the run's facts and the
 * verdict, written with jansson. */
#ifndef TJ_REPORT_H
#define TJ_REPORT_H

#include <jansson.h>

#include "common/error.h"
#include "sandbox/sandbox.h"
#include "common/spec.h"
#include "verdict.h"

struct tj_host {
  const char *cgroup; /* "v2", "hybrid", "v1" or NULL */
  const char *kernel;
  const char *go; /* NULL when not used */
};

/* One run's object: exit, duration_ms, limits, usage, seccomp, evidence,
 * output_tail. */
json_t *tj_report_run(const struct tj_spec *spec, const struct tj_run_result *res, const struct tj_verdict *v);

/* The top level: testjail, mode, outcome, exit_code, diagnosis, host; the
 * run's fields are merged in (exec) when run is not NULL (stolen). */
json_t *tj_report_top(const char *mode, const struct tj_verdict *v, int exit_code, const struct tj_host *host,
                      json_t *run);

/* Before any run: the directory an output file (--report, --junit, --plot)
 * goes to must be writable; the error names the option and the path. */
int tj_report_check_path(const char *opt, const char *path, tj_error *err);

/* The verdict of a whole test run from its packages' result objects
 * (package, outcome, diagnosis), as one run and a merge of shards decide
 * it: the first outcome in the contract's order; for one package (n_total
 * 1) its diagnosis, else the package and a count of n_total. Without a
 * result: sandbox_error. Returns the exit code. An outcome name that is
 * none counts as sandbox_error. */
int tj_report_run_verdict(json_t *packages, int n_total, struct tj_verdict *top);

/* Write atomically (temp file + rename). */
int tj_report_write(const char *path, json_t *report, tj_error *err);

#endif
