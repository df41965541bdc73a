/* testjail: argv -> options -> spec -> sandbox run -> verdict -> report -> exit code. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/bisect.h"
#include "cmd/cli.h"
#include "cmd/doctor.h"
#include "init.h"
#include "report/plot.h"
#include "go/prebuild.h"
#include "sandbox/preexec.h"
#include "cmd/profile.h"
#include "cmd/report.h"
#include "report/report.h"
#include "sandbox/sandbox.h"
#include "seccomp/seccomp.h"
#include "cmd/test.h"
#include "report/timeline.h"
#include "verdict.h"
#include "common/error.h"


static int usage_error(const char *msg) {
  fprintf(stderr, "testjail: %s\n", msg);
  return TJ_EXIT_USAGE;
}

static void exec_sample(void *ctx, int64_t t_ms, const struct tj_cg_sample *s) {
  tj_timeline_sample(ctx, t_ms, s);
}

static int cmd_exec(int argc, char **argv) {
  struct tj_spec spec;
  struct tj_monitor_opts mon;
  tj_error err = {0};
  int r = tj_cli_parse_exec(argc, argv, &spec, &mon, &err);
  if (r == TJ_CLI_HELP)
    return 0;
  if (r < 0)
    return usage_error(err.msg);
  if (spec.report_path && tj_report_check_path("--report", spec.report_path, &err) < 0)
    return usage_error(err.msg);
  if (mon.plot_path && tj_report_check_path("--plot", mon.plot_path, &err) < 0)
    return usage_error(err.msg);
  int missing;
  if (tj_preexec_check_fds(spec.preserve_fds, &missing) < 0) {
    fprintf(stderr, "testjail: --preserve-fds %d: descriptor %d is not open\n", spec.preserve_fds, missing);
    return TJ_EXIT_USAGE;
  }
  if (tj_spec_seccomp(&spec, &err) < 0)
    return usage_error(err.msg);

  /* The timeline only where it is drawn: sampling costs a timer and reads. */
  static struct tj_timeline tl;
  bool tl_on = mon.plot_path && tj_timeline_init(&tl, mon.sample_interval_ms, spec.memory_bytes,
                                                 tj_timeline_hint(spec.wall_timeout_ms, mon.sample_interval_ms)) == 0;
  struct tj_sandbox_hooks hooks = {.on_sample = tl_on ? exec_sample : NULL, .ctx = &tl,
                                   .sample_interval_ms = tl_on ? mon.sample_interval_ms : 0};
  static struct tj_run_result res;
  if (tj_sandbox_run(&spec, &hooks, &res, &err) < 0)
    return usage_error(err.msg);

  struct tj_evidence ev = {
      .status_known = res.status_known && res.launch == TJ_LAUNCH_OK,
      .exited = WIFEXITED(res.wstatus),
      .exit_code = WIFEXITED(res.wstatus) ? WEXITSTATUS(res.wstatus) : -1,
      .signal = WIFSIGNALED(res.wstatus) ? WTERMSIG(res.wstatus) : 0,
      .timed_out = res.timed_out,
      .sent_kill = res.sent_kill,
      .wall_timeout_ms = spec.wall_timeout_ms,
      .oom_kills = res.stats.oom_kills,
      .pids_limit_hits = res.stats.pids_limit_hits,
      .memory_peak = res.stats.memory_peak_bytes,
      .cpu_ms = res.cpu_ms,
      .memory_limit = spec.memory_bytes,
      .pids_limit = spec.pids,
      .rlimits = &spec.rlimits,
      .notes = &res.notes,
      .setup_error = res.launch == TJ_LAUNCH_SETUP_ERROR ? res.message : NULL,
  };
  char sc_summary[400];
  tj_run_seccomp_evidence(&res, &ev, sc_summary, sizeof(sc_summary));
  struct tj_verdict v;
  int code;
  if (res.launch == TJ_LAUNCH_NOT_FOUND || res.launch == TJ_LAUNCH_NOT_EXECUTABLE) {
    memset(&v, 0, sizeof(v));
    v.outcome = TJ_EXIT_NONZERO;
    snprintf(v.outcome_name, sizeof(v.outcome_name), "exit_nonzero");
    code = res.launch == TJ_LAUNCH_NOT_FOUND ? 127 : 126;
    snprintf(v.diagnosis, sizeof(v.diagnosis), "%s%s", res.message,
             res.launch == TJ_LAUNCH_NOT_FOUND ? "" : " (cannot execute)");
    if (ev.seccomp_denials > 0) {
      /* The profile denied the exec itself (or what it needs). */
      v.outcome = TJ_SECCOMP_DENIED;
      snprintf(v.outcome_name, sizeof(v.outcome_name), "seccomp_denied");
      snprintf(v.diagnosis, sizeof(v.diagnosis), "seccomp denied %s: %s (cannot execute)", sc_summary, res.message);
    }
  } else {
    tj_verdict_decide(&ev, &v);
    if (v.outcome == TJ_SANDBOX_ERROR)
      code = TJ_EXIT_USAGE;
    else if (WIFSIGNALED(res.wstatus))
      code = 128 + WTERMSIG(res.wstatus);
    else
      code = WEXITSTATUS(res.wstatus);
  }
  if (res.isolation.fallback[0])
    fprintf(stderr, "testjail: warning: %s; running as --userns host\n", res.isolation.fallback);
  if (v.outcome != TJ_PASSED)
    fprintf(stderr, "testjail: %s\n", v.diagnosis);
  else if (v.warning[0])
    fprintf(stderr, "testjail: warning: %s\n", v.warning);

  if (spec.report_path) {
    struct utsname u;
    uname(&u);
    struct tj_host host = {.cgroup = res.cgroup_path[0] ? tj_cg_mode_name(res.cg_mode) : NULL, .kernel = u.release};
    if (!host.cgroup) {
      enum tj_cg_mode m;
      if (tj_cg_detect(&m, NULL) == 0)
        host.cgroup = tj_cg_mode_name(m);
    }
    json_t *run = tj_report_run(&spec, &res, &v);
    if (tl_on)
      json_object_set_new(run, "timeline", tj_timeline_json(&tl));
    json_t *report = tj_report_top("exec", &v, code, &host, run);
    if (tj_report_write(spec.report_path, report, &err) < 0)
      fprintf(stderr, "testjail: %s\n", err.msg);
    json_decref(report);
  }
  if (tl_on) {
    json_t *panels = json_pack("[{s:s,s:o}]", "title", spec.argv[0], "timeline", tj_timeline_json(&tl));
    if (!panels || tj_plot_write(mon.plot_path, panels, &err) < 0)
      fprintf(stderr, "testjail: %s\n", panels ? err.msg : "--plot: out of memory");
    json_decref(panels);
    tj_timeline_free(&tl);
  }
  return code;
}

/* Container entrypoint: the exit status is the workload's, whatever comes
 * after it started; the diagnosis goes to stderr, the termination message
 * file and the report. */
static int cmd_init(int argc, char **argv) {
  static struct tj_init_spec spec;
  static struct tj_init_result res;
  tj_error err = {0};
  int r = tj_cli_parse_init(argc, argv, &spec, &err);
  if (r == TJ_CLI_HELP)
    return 0;
  /* An entrypoint stays transparent, as tini is: the container's own
   * capabilities and seccomp filter rule unless a filter is asked for. */
  if (r < 0 || tj_init_check_paths(&spec, &err) < 0 ||
      (spec.sandbox.seccomp_arg && tj_spec_seccomp(&spec.sandbox, &err) < 0))
    return usage_error(err.msg);
  bool pid1;
  if (tj_init_become_reaper(&pid1, &err) < 0)
    return usage_error(err.msg);
  if (!pid1)
    fprintf(stderr, "testjail: init: not PID 1 (pid %d): registered as a child subreaper, so orphans are reaped "
                    "here\n", (int)getpid());
  if (tj_init_run(&spec, &res, &err) < 0)
    return usage_error(err.msg);

  struct tj_verdict v;
  int code = tj_init_verdict(&spec, &res, &v);
  char msg[TJ_TERMINATION_MAX + 1];
  tj_init_message(&res, &v, code, msg, sizeof(msg));
  if (v.outcome != TJ_PASSED) {
    for (char *line = msg, *nl; line && *line; line = nl ? nl + 1 : NULL) {
      nl = strchr(line, '\n');
      fprintf(stderr, "testjail: %.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
    }
  }
  else if (v.warning[0])
    fprintf(stderr, "testjail: warning: %s\n", v.warning);
  if (res.note[0])
    fprintf(stderr, "testjail: init: %s\n", res.note);
  const char *tlog = tj_init_termination_path(&spec);
  if (tlog && tj_init_write_termination_log(tlog, msg, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
  if (spec.sandbox.report_path) {
    json_t *report = tj_init_report(&spec, &res, &v, code);
    if (tj_report_write(spec.sandbox.report_path, report, &err) < 0)
      fprintf(stderr, "testjail: %s\n", err.msg);
    json_decref(report);
  }
  return code;
}

static int cmd_doctor(int argc, char **argv) {
  bool gc = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--gc") == 0)
      gc = true;
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      tj_cli_help_doctor(stdout);
      return 0;
    } else {
      fprintf(stderr, "testjail: doctor: unknown option '%s' (see 'testjail doctor --help')\n", argv[i]);
      return TJ_EXIT_USAGE;
    }
  }
  return tj_doctor(stdout, gc) == 0 ? 0 : 1;
}

static int cmd_help(const char *topic) {
  if (!topic)
    tj_cli_help_main(stdout);
  else if (strcmp(topic, "test") == 0)
    tj_cli_help_test(stdout);
  else if (strcmp(topic, "exec") == 0)
    tj_cli_help_exec(stdout);
  else if (strcmp(topic, "init") == 0)
    tj_cli_help_init(stdout);
  else if (strcmp(topic, "doctor") == 0)
    tj_cli_help_doctor(stdout);
  else if (strcmp(topic, "bisect-memory") == 0)
    tj_cli_help_bisect(stdout);
  else if (strcmp(topic, "profile") == 0)
    tj_cli_help_profile(stdout);
  else if (strcmp(topic, "report") == 0)
    tj_cmd_report_help(stdout);
  else {
    fprintf(stderr, "testjail: help: unknown command '%s' (commands: test, exec, init, bisect-memory, doctor, profile, report)\n", topic);
    return TJ_EXIT_USAGE;
  }
  return 0;
}

int main(int argc, char **argv) {
  /* A reader of our output that goes away must not kill the sandbox's owner. */
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    tj_cli_help_main(stderr);
    return TJ_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "test") == 0)
    return tj_cmd_test(argc - 1, argv + 1);
  if (strcmp(cmd, "exec") == 0)
    return cmd_exec(argc - 1, argv + 1);
  if (strcmp(cmd, "bisect-memory") == 0)
    return tj_cmd_bisect(argc - 1, argv + 1);
  if (strcmp(cmd, "init") == 0)
    return cmd_init(argc - 1, argv + 1);
  if (strcmp(cmd, "doctor") == 0)
    return cmd_doctor(argc - 1, argv + 1);
  if (strcmp(cmd, "profile") == 0)
    return tj_cmd_profile(argc - 1, argv + 1);
  if (strcmp(cmd, "report") == 0)
    return tj_cmd_report(argc - 1, argv + 1);
  if (strcmp(cmd, "__handoff") == 0)
    return tj_cmd_handoff(argc - 1, argv + 1);
  if (strcmp(cmd, "help") == 0)
    return cmd_help(argc > 2 ? argv[2] : NULL);
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
    return cmd_help(NULL);
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("testjail %s\n", TJ_VERSION);
    return 0;
  }
  fprintf(stderr, "testjail: unknown command '%s' (see 'testjail --help')\n", cmd);
  return TJ_EXIT_USAGE;
}
