#include "cmd/cmd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "common/error.h"
#include "common/util.h"
#include "init.h"
#include "report/report.h"
#include "seccomp/seccomp.h"
#include "verdict.h"

/* Container entrypoint: the exit status is the workload's, whatever comes
 * after it started; the diagnosis goes to stderr, the termination message
 * file and the report. */
int tj_cmd_init(int argc, char **argv) {
  _cleanup_free_ struct tj_init_spec *spec = calloc(1, sizeof(*spec));
  _cleanup_free_ struct tj_init_result *res = calloc(1, sizeof(*res));
  if (!spec || !res)
    return tj_cmd_usage_error("out of memory");
  tj_error err = {0};
  int r = tj_cli_parse_init(argc, argv, spec, &err);
  if (r == TJ_CLI_HELP)
    return 0;
  /* An entrypoint stays transparent, as tini is: the container's own
   * capabilities and seccomp filter rule unless a filter is asked for. */
  if (r < 0 || tj_init_check_paths(spec, &err) < 0 ||
      (spec->sandbox.seccomp_arg && tj_spec_seccomp(&spec->sandbox, &err) < 0))
    return tj_cmd_usage_error(err.msg);
  bool pid1;
  if (tj_init_become_reaper(&pid1, &err) < 0)
    return tj_cmd_usage_error(err.msg);
  if (!pid1)
    fprintf(stderr,
            "testjail: init: not PID 1 (pid %d): registered as a child subreaper, so orphans are reaped "
            "here\n",
            (int)getpid());
  if (tj_init_run(spec, res, &err) < 0)
    return tj_cmd_usage_error(err.msg);

  struct tj_verdict v;
  int code = tj_init_verdict(spec, res, &v);
  char msg[TJ_TERMINATION_MAX + 1];
  tj_init_message(res, &v, code, msg, sizeof(msg));
  if (v.outcome != TJ_PASSED) {
    for (char *line = msg, *nl; line && *line; line = nl ? nl + 1 : NULL) {
      nl = strchr(line, '\n');
      fprintf(stderr, "testjail: %.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
    }
  } else if (v.warning[0])
    fprintf(stderr, "testjail: warning: %s\n", v.warning);
  if (res->note[0])
    fprintf(stderr, "testjail: init: %s\n", res->note);
  const char *tlog = tj_init_termination_path(spec);
  if (tlog && tj_init_write_termination_log(tlog, msg, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
  if (spec->sandbox.report_path) {
    json_t *report = tj_init_report(spec, res, &v, code);
    if (tj_report_write(spec->sandbox.report_path, report, &err) < 0)
      fprintf(stderr, "testjail: %s\n", err.msg);
    json_decref(report);
  }
  return code;
}
