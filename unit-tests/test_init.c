/* testjail init's pure parts: signal names, --rewrite, its command line,
 * the verdict from the container's counters and the termination message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "cmd/cli.h"
#include "init.h"

static void test_signal_names(void **state) {
  int sig;
  tj_error err = {0};
  assert_int_equal(tj_init_parse_signal("TERM", false, &sig, &err), 0);
  assert_int_equal(sig, SIGTERM);
  assert_int_equal(tj_init_parse_signal("sigusr1", false, &sig, &err), 0);
  assert_int_equal(sig, SIGUSR1);
  assert_int_equal(tj_init_parse_signal("9", false, &sig, &err), 0);
  assert_int_equal(sig, 9);
  assert_int_equal(tj_init_parse_signal("RTMIN+2", false, &sig, &err), 0);
  assert_int_equal(sig, SIGRTMIN + 2);
  assert_int_equal(tj_init_parse_signal("SIGRTMAX-1", false, &sig, &err), 0);
  assert_int_equal(sig, SIGRTMAX - 1);
  assert_int_equal(tj_init_parse_signal("0", true, &sig, &err), 0);
  assert_int_equal(sig, 0);
  assert_true(tj_init_parse_signal("0", false, &sig, &err) < 0);
  assert_true(tj_init_parse_signal("65", true, &sig, &err) < 0);
  assert_true(tj_init_parse_signal("NOPE", true, &sig, &err) < 0);
  assert_non_null(strstr(err.msg, "'NOPE'"));
  assert_true(tj_init_parse_signal("", true, &sig, &err) < 0);
  assert_true(tj_init_parse_signal("SIG", true, &sig, &err) < 0);
  assert_true(tj_init_parse_signal("RTMIN+99", true, &sig, &err) < 0);
}

static void test_rewrite(void **state) {
  struct tj_init_spec spec;
  tj_error err = {0};
  tj_init_spec_defaults(&spec);
  assert_int_equal(spec.rewrite[SIGTERM], -1);
  assert_int_equal(tj_init_parse_rewrite("TERM:QUIT", &spec, &err), 0);
  assert_int_equal(spec.rewrite[SIGTERM], SIGQUIT);
  assert_int_equal(tj_init_parse_rewrite("12:0", &spec, &err), 0);
  assert_int_equal(spec.rewrite[SIGUSR2], 0);
  assert_true(tj_init_parse_rewrite("TERM", &spec, &err) < 0);
  assert_true(tj_init_parse_rewrite(":TERM", &spec, &err) < 0);
  assert_true(tj_init_parse_rewrite("TERM:", &spec, &err) < 0);
  assert_true(tj_init_parse_rewrite("KILL:TERM", &spec, &err) < 0);
  assert_non_null(strstr(err.msg, "cannot be caught"));
  assert_true(tj_init_parse_rewrite("CHLD:TERM", &spec, &err) < 0);
  assert_true(tj_init_parse_rewrite("0:TERM", &spec, &err) < 0);
}

static int parse(struct tj_init_spec *spec, tj_error *err, ...) {
  static char *argv[32];
  int argc = 0;
  va_list ap;
  va_start(ap, err);
  argv[argc++] = "init";
  for (char *a; (a = va_arg(ap, char *));)
    argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  return tj_cli_parse_init(argc, argv, spec, err);
}

static void test_cli(void **state) {
  struct tj_init_spec spec;
  tj_error err = {0};
  assert_int_equal(parse(&spec, &err, "--", "cmd", "arg", NULL), TJ_CLI_RUN);
  assert_string_equal(spec.sandbox.argv[0], "cmd");
  assert_false(spec.single_child);
  assert_int_equal(spec.sandbox.grace_ms, 10000);
  assert_null(spec.termination_log);
  assert_int_equal(parse(&spec, &err, "--single-child", "--grace", "3s", "--rewrite", "TERM:INT", "--termination-log",
                         "/t", "--memory", "64M", "--pids-limit", "9", "--ulimit", "nofile=8", "--wall-timeout", "1m",
                         "--report", "r.json", "--", "cmd", NULL),
                   TJ_CLI_RUN);
  assert_true(spec.single_child);
  assert_int_equal(spec.sandbox.grace_ms, 3000);
  assert_int_equal(spec.rewrite[SIGTERM], SIGINT);
  assert_string_equal(spec.termination_log, "/t");
  assert_int_equal(spec.sandbox.memory_bytes, 64 << 20);
  assert_int_equal(spec.sandbox.pids, 9);
  assert_int_equal(spec.sandbox.rlimits.n, 1);
  assert_int_equal(spec.sandbox.wall_timeout_ms, 60000);
  assert_string_equal(spec.sandbox.report_path, "r.json");
  /* the sandbox's own namespaces are not init's */
  assert_true(parse(&spec, &err, "--network", "host", "--", "cmd", NULL) < 0);
  assert_true(parse(&spec, &err, "--bind", "/a", "--", "cmd", NULL) < 0);
  assert_true(parse(&spec, &err, "cmd", NULL) < 0);
  assert_non_null(strstr(err.msg, "missing '--'"));
  assert_true(parse(&spec, &err, "--", NULL) < 0);
  assert_true(parse(&spec, &err, "--termination-log", "", "--", "cmd", NULL) < 0);
  assert_true(parse(&spec, &err, "--grace", "0", "--", "cmd", NULL) < 0);
}

static void fill(struct tj_init_result *r, int wstatus) {
  memset(r, 0, sizeof(*r));
  r->run.status_known = true;
  r->run.wstatus = wstatus;
  r->run.cpu_ms = 10;
  r->run.duration_ms = 1500;
  r->run.stats = TJ_CG_STATS_UNKNOWN;
  r->memory_limit = r->pids_limit = -1;
  r->container_known = true;
  r->before.mode = r->after.mode = TJ_CG_HYBRID;
}

static void test_verdict_from_container(void **state) {
  static struct tj_init_spec spec;
  static struct tj_init_result r;
  struct tj_verdict v;
  char msg[TJ_TERMINATION_MAX + 1];
  tj_init_spec_defaults(&spec);

  /* Read-only tree: the container's oom_kill grew while the workload died of SIGKILL. */
  fill(&r, SIGKILL);
  r.before.oom_kills = 2;
  r.after.oom_kills = 3;
  r.memory_limit = 64 << 20;
  r.run.stats.oom_kills = 1; /* merged by tj_init_run */
  r.run.stats.memory_peak_bytes = 64 << 20;
  assert_int_equal(tj_init_verdict(&spec, &r, &v), 137);
  assert_int_equal(v.outcome, TJ_OOM_KILLED);
  tj_init_message(&r, &v, 137, msg, sizeof(msg));
  assert_non_null(strstr(msg, "OOM killed: memory peaked at 64 MiB of the 64 MiB limit"));
  assert_non_null(strstr(msg, "\noutcome=oom_killed exit_code=137 signal=SIGKILL duration=1.5s memory_limit=64MiB"));
  assert_non_null(strstr(msg, "cgroup=hybrid/container\n"));
  bool found = false;
  for (int i = 0; i < v.n_evidence; i++)
    found |= strcmp(v.evidence[i], "container cgroup oom_kill 2 -> 3") == 0;
  assert_true(found);

  /* A plain SIGKILL from outside, nothing grew. */
  fill(&r, SIGKILL);
  r.before.oom_kills = r.after.oom_kills = 0;
  r.run.stats.oom_kills = 0;
  assert_int_equal(tj_init_verdict(&spec, &r, &v), 137);
  assert_int_equal(v.outcome, TJ_SIGNALED);

  /* An exit status passes through; leftovers killed show in the figures. */
  fill(&r, 3 << 8);
  r.killed_after_grace = 2;
  assert_int_equal(tj_init_verdict(&spec, &r, &v), 3);
  assert_int_equal(v.outcome, TJ_EXIT_NONZERO);
  tj_init_message(&r, &v, 3, msg, sizeof(msg));
  assert_non_null(strstr(msg, "leftovers_killed=2\n"));

  /* Not found / not executable, and a set-up failure. */
  fill(&r, 0);
  r.run.launch = TJ_LAUNCH_NOT_FOUND;
  snprintf(r.run.message, sizeof(r.run.message), "x: command not found");
  assert_int_equal(tj_init_verdict(&spec, &r, &v), 127);
  r.run.launch = TJ_LAUNCH_SETUP_ERROR;
  assert_int_equal(tj_init_verdict(&spec, &r, &v), 125);
  assert_int_equal(v.outcome, TJ_SANDBOX_ERROR);

  /* The message never exceeds what it is given. */
  fill(&r, 0);
  tj_init_verdict(&spec, &r, &v);
  memset(v.diagnosis, 'x', sizeof(v.diagnosis) - 1);
  v.diagnosis[sizeof(v.diagnosis) - 1] = '\0';
  char small[64];
  tj_init_message(&r, &v, 0, small, sizeof(small));
  assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_signal_names),
      cmocka_unit_test(test_rewrite),
      cmocka_unit_test(test_cli),
      cmocka_unit_test(test_verdict_from_container),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
