#include "cmd/cmd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cmd/cli.h"
#include "common/error.h"
#include "common/util.h"
#include "go/gowatch.h"
#include "report/plot.h"
#include "report/report.h"
#include "report/timeline.h"
#include "sandbox/evidence.h"
#include "sandbox/preexec.h"
#include "sandbox/sandbox.h"
#include "seccomp/seccomp.h"
#include "verdict.h"

struct exec_ctx {
  struct tj_timeline *tl;
  struct tj_gowatch *watch;
};

static void exec_sample(void *ctx, int64_t t_ms, const struct tj_cg_sample *s) {
  tj_timeline_sample(((struct exec_ctx *)ctx)->tl, t_ms, s);
}

static const char *exec_running(void *ctx) { return tj_gowatch_running(((struct exec_ctx *)ctx)->watch); }

/* The Go test binary's -test.v stream is on stdout (the testing package's
 * own lines); stacks and panics on stderr pass by. */
static void exec_line(void *ctx, int fd, const char *line, size_t len) {
  if (fd != STDOUT_FILENO)
    return;
  struct tj_gowatch *w = ((struct exec_ctx *)ctx)->watch;
  tj_gowatch_feed(w, line, len);
  tj_gowatch_feed(w, "\n", 1);
}

int tj_cmd_exec(int argc, char **argv) {
  struct tj_spec spec;
  struct tj_monitor_opts mon;
  tj_error err = {0};
  int r = tj_cli_parse_exec(argc, argv, &spec, &mon, &err);
  if (r == TJ_CLI_HELP)
    return 0;
  if (r < 0)
    return tj_cmd_usage_error(err.msg);
  if (spec.report_path && tj_report_check_path("--report", spec.report_path, &err) < 0)
    return tj_cmd_usage_error(err.msg);
  if (mon.plot_path && tj_report_check_path("--plot", mon.plot_path, &err) < 0)
    return tj_cmd_usage_error(err.msg);
  int missing;
  if (tj_preexec_check_fds(spec.preserve_fds, &missing) < 0) {
    fprintf(stderr, "testjail: --preserve-fds %d: descriptor %d is not open\n", spec.preserve_fds, missing);
    return TJ_EXIT_USAGE;
  }
  if (tj_spec_seccomp(&spec, &err) < 0)
    return tj_cmd_usage_error(err.msg);

  /* The timeline only where it is drawn: sampling costs a timer and reads. */
  _cleanup_free_ struct tj_timeline *tl = calloc(1, sizeof(*tl));
  _cleanup_free_ struct tj_run_result *res = calloc(1, sizeof(*res));
  _cleanup_free_ struct tj_gowatch *watch = calloc(1, sizeof(*watch));
  if (!tl || !res || !watch)
    return tj_cmd_usage_error("out of memory");
  bool tl_on = mon.plot_path && tj_timeline_init(tl, mon.sample_interval_ms, spec.memory_bytes,
                                                 tj_timeline_hint(spec.wall_timeout_ms, mon.sample_interval_ms)) == 0;
  bool go = tj_gowatch_start(watch, spec.argv);
  struct exec_ctx ctx = {.tl = tl, .watch = watch};
  struct tj_sandbox_hooks hooks = {.on_sample = tl_on ? exec_sample : NULL,
                                   .on_line = go ? exec_line : NULL,
                                   .running_test = go ? exec_running : NULL,
                                   .ctx = &ctx,
                                   .sample_interval_ms = tl_on ? mon.sample_interval_ms : 0};
  r = tj_sandbox_run(&spec, &hooks, res, &err);
  if (go) {
    watch->notes = &res->notes; /* the sandbox noted the lines; the table knows the running tests */
    tj_gowatch_close(watch);
    tj_gowatch_stop(watch);
  }
  if (r < 0)
    return tj_cmd_usage_error(err.msg);

  struct tj_evidence ev = tj_run_evidence(&spec, res, &res->notes);
  char sc_summary[400];
  tj_run_seccomp_evidence(res, &ev, sc_summary, sizeof(sc_summary));
  struct tj_verdict v;
  int code = tj_run_transparent_verdict(res, &ev, sc_summary, &v);
  if (tl_on)
    tj_timeline_finish(tl, &res->stats, spec.pids);
  if (res->isolation.fallback[0])
    fprintf(stderr, "testjail: warning: %s; running as --userns host\n", res->isolation.fallback);
  if (v.outcome != TJ_PASSED)
    fprintf(stderr, "testjail: %s\n", v.diagnosis);
  else if (v.warning[0])
    fprintf(stderr, "testjail: warning: %s\n", v.warning);

  if (spec.report_path) {
    struct utsname u;
    uname(&u);
    struct tj_host host = {.cgroup = res->cgroup_path[0] ? tj_cg_mode_name(res->cg_mode) : NULL, .kernel = u.release};
    if (!host.cgroup) {
      enum tj_cg_mode m;
      if (tj_cg_detect(&m, NULL) == 0)
        host.cgroup = tj_cg_mode_name(m);
    }
    json_t *run = tj_report_run(&spec, res, &v);
    if (tl_on)
      json_object_set_new(run, "timeline", tj_timeline_json(tl));
    json_t *report = tj_report_top("exec", &v, code, &host, run);
    if (tj_report_write(spec.report_path, report, &err) < 0)
      fprintf(stderr, "testjail: %s\n", err.msg);
    json_decref(report);
  }
  if (tl_on) {
    json_t *panels = json_pack("[{s:s,s:o}]", "title", spec.argv[0], "timeline", tj_timeline_json(tl));
    if (!panels || tj_plot_write(mon.plot_path, panels, &err) < 0)
      fprintf(stderr, "testjail: %s\n", panels ? err.msg : "--plot: out of memory");
    json_decref(panels);
    tj_timeline_free(tl);
  }
  return code;
}
