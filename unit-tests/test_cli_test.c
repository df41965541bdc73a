/* `testjail test`'s command line: options before and after packages, short
 * options as go test spells them, TESTFLAGS after "--", bad values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../runner/cli.h"
#include "../runner/job.h"

static int parse(struct tj_test_opts *o, char **argv, tj_error *err) {
  int argc = 0;
  while (argv[argc])
    argc++;
  return tj_cli_parse_test(argc, argv, o, err);
}

static void test_options_around_packages(void **state) {
  static struct tj_test_opts o;
  tj_error err = {0};
  char *argv[] = {"test", "-v", "--memory", "64M", "./a", "-p", "3", "./b/...", "--json", "--", "-run", "X", NULL};
  assert_int_equal(parse(&o, argv, &err), TJ_CLI_RUN);
  assert_int_equal(o.n_packages, 2);
  assert_string_equal(o.packages[0], "./a");
  assert_string_equal(o.packages[1], "./b/...");
  assert_int_equal(o.parallel, 3);
  assert_true(o.json);
  assert_false(o.verbose); /* -json carries everything */
  assert_int_equal(o.spec.memory_bytes, 64 << 20);
  assert_int_equal(o.n_testflags, 2);
  assert_string_equal(o.testflags[0], "-run");
}

static void test_build_options_and_errors(void **state) {
  static struct tj_test_opts o;
  tj_error err = {0};
  char *ok[] = {"test", "--build-memory", "1G", "--build-timeout", "5m", "--vet=off", NULL};
  assert_int_equal(parse(&o, ok, &err), TJ_CLI_RUN);
  assert_int_equal(o.build_memory_bytes, 1LL << 30);
  assert_int_equal(o.build_timeout_ms, 300000);
  assert_string_equal(o.vet, "off");
  assert_int_equal(o.n_packages, 0);
  char *bad_p[] = {"test", "-p", "0", NULL};
  assert_true(parse(&o, bad_p, &err) < 0);
  assert_non_null(strstr(err.msg, "-p"));
  char *bad_mem[] = {"test", "--build-memory", "lots", NULL};
  assert_true(parse(&o, bad_mem, &err) < 0);
  assert_non_null(strstr(err.msg, "--build-memory"));
  char *unknown[] = {"test", "./a", "--frobnicate", NULL};
  assert_true(parse(&o, unknown, &err) < 0);
  assert_non_null(strstr(err.msg, "--frobnicate"));
}

/* go test's flags typed before "--" are named whole, with where they go:
 * getopt stops inside "-run" at 'r', and "-parallel" is no -p "arallel". */
static void test_go_flags_before_dashdash(void **state) {
  static struct tj_test_opts o;
  tj_error err = {0};
  char *run[] = {"test", "./a", "-run", "TestX", NULL};
  assert_true(parse(&o, run, &err) < 0);
  assert_non_null(strstr(err.msg, "unknown option '-run': go test's flags go after '--'"));
  char *count[] = {"test", "-count=2", NULL};
  assert_true(parse(&o, count, &err) < 0);
  assert_non_null(strstr(err.msg, "'-count=2'"));
  char *parallel[] = {"test", "-parallel", "4", "./a", NULL};
  assert_true(parse(&o, parallel, &err) < 0);
  assert_non_null(strstr(err.msg, "unknown option '-parallel': go test's flags go after '--'"));
  char *p_glued[] = {"test", "-p2", "./a", NULL};
  assert_int_equal(parse(&o, p_glued, &err), TJ_CLI_RUN);
  assert_int_equal(o.parallel, 2);
  char *no_value[] = {"test", "./a", "-p", NULL};
  assert_true(parse(&o, no_value, &err) < 0);
  assert_non_null(strstr(err.msg, "option '-p' needs a value"));
}

static void test_testflags(void **state) {
  char *in[] = {"-run", "TestA", "-test.count=1", "--short", "-v", "-timeout", "30s", "-update", "-args", "-x", NULL};
  char **out = NULL;
  bool v, timeout;
  struct tj_go_flags gf;
  tj_error err = {0};
  assert_int_equal(tj_testflags(in, 10, &out, &v, &timeout, &gf, &err), 0);
  const char *want[] = {"-test.run=TestA", "-test.count=1", "-test.short", "-test.timeout=30s", "-update", "-x", NULL};
  for (int i = 0; want[i]; i++)
    assert_string_equal(out[i], want[i]);
  assert_null(out[6]);
  assert_true(v);
  assert_true(timeout);
  assert_null(gf.build[0]); /* -x after -args is the binary's */
  tj_testflags_free(out);
  tj_go_flags_free(&gf);
  char *bad[] = {"-count=many", NULL};
  assert_true(tj_testflags(bad, 1, &out, &v, &timeout, &gf, &err) < 0);
  assert_non_null(strstr(err.msg, "many"));
  char *missing[] = {"-run", NULL};
  assert_true(tj_testflags(missing, 1, &out, &v, &timeout, &gf, &err) < 0);
  char *zero[] = {"-timeout=0", "-benchtime=100x", NULL};
  assert_int_equal(tj_testflags(zero, 2, &out, &v, &timeout, &gf, &err), 0);
  assert_false(gf.bench);
  tj_testflags_free(out);
  tj_go_flags_free(&gf);
}

/* go test's build flags go to the build, as go test does with them. */
static void test_testflags_build(void **state) {
  char *in[] = {"-race", "-tags", "a,b", "-run=X", "--ldflags=-s", "-coverprofile", "c.out", "-bench", ".",
                "-covermode=atomic", "-update", NULL};
  char **out = NULL;
  bool v, timeout;
  struct tj_go_flags gf;
  tj_error err = {0};
  assert_int_equal(tj_testflags(in, 11, &out, &v, &timeout, &gf, &err), 0);
  const char *build[] = {"-race", "-tags=a,b", "-ldflags=-s", "-cover", "-covermode=atomic", NULL};
  for (int i = 0; build[i]; i++)
    assert_string_equal(gf.build[i], build[i]);
  assert_null(gf.build[5]);
  const char *test[] = {"-test.run=X", "-test.bench=.", "-update", NULL};
  for (int i = 0; test[i]; i++)
    assert_string_equal(out[i], test[i]);
  assert_null(out[3]);
  assert_true(gf.cover);
  assert_true(gf.bench);
  assert_string_equal(gf.coverprofile, "c.out");
  assert_string_equal(gf.covermode, "atomic");
  assert_true(gf.race);
  tj_testflags_free(out);
  tj_go_flags_free(&gf);
  char *mode[] = {"-covermode=lines", NULL};
  assert_true(tj_testflags(mode, 1, &out, &v, &timeout, &gf, &err) < 0);
  assert_non_null(strstr(err.msg, "-covermode"));
  char *json[] = {"-json", NULL};
  assert_true(tj_testflags(json, 1, &out, &v, &timeout, &gf, &err) < 0);
  assert_non_null(strstr(err.msg, "--json"));
  char *tags[] = {"-tags", NULL};
  assert_true(tj_testflags(tags, 1, &out, &v, &timeout, &gf, &err) < 0);
  assert_non_null(strstr(err.msg, "needs a value"));
}

/* GOFLAGS' test flags come first (go test applies them too); its build
 * flags are go's own business. */
static void test_testflags_goflags(void **state) {
  setenv("GOENV", "off", 1);
  setenv("GOFLAGS", "-mod=mod -count=1  -run=TestX -trimpath -v", 1);
  char *given[] = {"-run", "TestY", NULL};
  char **all = NULL;
  int n = 0;
  assert_int_equal(tj_testflags_goflags(given, 2, &all, &n), 0);
  const char *want[] = {"-count=1", "-run=TestX", "-v", "-run", "TestY"};
  assert_int_equal(n, 5);
  for (int i = 0; i < n; i++)
    assert_string_equal(all[i], want[i]);
  free(all);
  unsetenv("GOFLAGS");
  assert_int_equal(tj_testflags_goflags(given, 2, &all, &n), 0);
  assert_int_equal(n, 2);
  free(all);
}

static int parse_bisect(struct tj_bisect_opts *o, char **argv, tj_error *err) {
  int argc = 0;
  while (argv[argc])
    argc++;
  return tj_cli_parse_bisect(argc, argv, o, err);
}

static void test_bisect_and_monitor_options(void **state) {
  static struct tj_bisect_opts o;
  tj_error err = {0};
  char *ok[] = {"bisect-memory", "--tolerance", "2M", "--runs", "3", "./p", "--floor", "8M", "--gomemlimit", "auto",
                "--sample-interval", "20ms", "--plot", "x.svg", "--quiet", "--pids-limit", "64", "--", "-run", "X",
                NULL};
  assert_int_equal(parse_bisect(&o, ok, &err), TJ_CLI_RUN);
  assert_int_equal(o.tolerance_bytes, 2 << 20);
  assert_int_equal(o.runs, 3);
  assert_int_equal(o.floor_bytes, 8 << 20);
  assert_int_equal(o.test.n_packages, 1);
  assert_string_equal(o.test.packages[0], "./p");
  assert_int_equal(o.test.mon.gomemlimit, TJ_GOMEMLIMIT_AUTO);
  assert_int_equal(o.test.mon.sample_interval_ms, 20);
  assert_string_equal(o.test.mon.plot_path, "x.svg");
  assert_true(o.test.mon.quiet);
  assert_int_equal(o.test.spec.pids, 64);
  assert_int_equal(o.test.spec.memory_bytes, -1);
  assert_int_equal(o.test.n_testflags, 2);
  char *defaults[] = {"bisect-memory", NULL};
  assert_int_equal(parse_bisect(&o, defaults, &err), TJ_CLI_RUN);
  assert_int_equal(o.tolerance_bytes, 1 << 20);
  assert_int_equal(o.runs, 1);
  assert_int_equal(o.floor_bytes, -1);
  assert_int_equal(o.test.mon.sample_interval_ms, 50);
  assert_int_equal(o.test.mon.gomemlimit, TJ_GOMEMLIMIT_INHERIT);
  char *size[] = {"bisect-memory", "--gomemlimit", "512MiB", NULL};
  assert_int_equal(parse_bisect(&o, size, &err), TJ_CLI_RUN);
  assert_int_equal(o.test.mon.gomemlimit_bytes, 512 << 20);
  char *bad[][4] = {{"bisect-memory", "--memory", "64M", NULL}, {"bisect-memory", "--runs", "0", NULL},
                    {"bisect-memory", "--tolerance", "100", NULL}, {"bisect-memory", "--gomemlimit", "x", NULL},
                    {"bisect-memory", "./a", "./b", NULL},        {"bisect-memory", "--sample-interval", "1ms", NULL}};
  const char *names[] = {"--memory", "--runs", "--tolerance", "--gomemlimit", "one package", "--sample-interval"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_true(parse_bisect(&o, bad[i], &err) < 0);
    assert_non_null(strstr(err.msg, names[i]));
  }
  static struct tj_test_opts t;
  char *test[] = {"test", "--plot", "p.svg", "--gomemlimit", "off", "./x", NULL};
  assert_int_equal(parse(&t, test, &err), TJ_CLI_RUN);
  assert_string_equal(t.mon.plot_path, "p.svg");
  assert_int_equal(t.mon.gomemlimit, TJ_GOMEMLIMIT_OFF);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_options_around_packages),
      cmocka_unit_test(test_build_options_and_errors),
      cmocka_unit_test(test_go_flags_before_dashdash),
      cmocka_unit_test(test_testflags),
      cmocka_unit_test(test_testflags_build),
      cmocka_unit_test(test_testflags_goflags),
      cmocka_unit_test(test_bisect_and_monitor_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
