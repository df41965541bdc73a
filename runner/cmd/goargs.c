#include "cmd/goargs.h"

#include <errno.h>
#include <stdlib.h>

#include "report/report.h"
#include "seccomp/seccomp.h"

int tj_go_args_parse(struct tj_test_opts *o, struct tj_go_args *a, tj_error *err) {
  *a = (struct tj_go_args){0};
  if (o->spec.report_path && tj_report_check_path("--report", o->spec.report_path, err) < 0)
    return -EINVAL;
  if (o->mon.plot_path && tj_report_check_path("--plot", o->mon.plot_path, err) < 0)
    return -EINVAL;
  if (tj_spec_seccomp(&o->spec, err) < 0)
    return -EINVAL;
  char **given = NULL;
  int n_given = 0;
  if (tj_testflags_goflags(o->testflags, o->n_testflags, &given, &n_given) < 0)
    return tj_error_set(err, ENOMEM, "go test's flags");
  int r = tj_testflags(given, n_given, &a->testflags, &a->verbose, &a->has_timeout, &a->gflags, err);
  free(given);
  return r < 0 ? r : 0;
}

void tj_go_args_free(struct tj_go_args *a) {
  tj_testflags_free(a->testflags);
  a->testflags = NULL;
  tj_go_flags_free(&a->gflags);
}
