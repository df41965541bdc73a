/* What test and bisect-memory both check and parse before anything runs:
 * the output paths, the seccomp profile, go test's flags (GOFLAGS' test
 * flags first, as go test applies them). */
#ifndef TJ_CMD_GOARGS_H
#define TJ_CMD_GOARGS_H

#include <stdbool.h>

#include "common/error.h"
#include "go/job.h"
#include "go/opts.h"

struct tj_go_args {
  char **testflags; /* for the test binary; owned */
  bool verbose;     /* -v / -test.v given */
  bool has_timeout; /* a -timeout given */
  struct tj_go_flags gflags;
};

/* --report and --plot writable, the profile loaded, the flags parsed into
 * a. Fills err (naming the input) and returns < 0 on bad input. */
int tj_go_args_parse(struct tj_test_opts *o, struct tj_go_args *a, tj_error *err);

/* For __attribute__((cleanup)). */
void tj_go_args_free(struct tj_go_args *a);

#endif
