/* `testjail test`'s command line: options before and after packages, short
 * options as go test spells them, TESTFLAGS after "--", bad values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "go/goflag.h"
#include "go/job.h"

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

static void assert_flags(const struct tj_test_opts *o, const char *const *want) {
  int n = 0;
  for (; want[n]; n++) {
    assert_true(n < o->n_testflags);
    assert_string_equal(o->testflags[n], want[n]);
  }
  assert_int_equal(o->n_testflags, n);
}

/* go test's flags before and among the packages, as go test takes them. */
static void test_go_flags_among_packages(void **state) {
  static struct tj_test_opts o;
  tj_error err = {0};
  char *run[] = {"test", "-run", "X", "./...", NULL};
  assert_int_equal(parse(&o, run, &err), TJ_CLI_RUN);
  assert_int_equal(o.n_packages, 1);
  assert_string_equal(o.packages[0], "./...");
  assert_flags(&o, (const char *[]){"-run", "X", NULL});
  char *count[] = {"test", "-count=1", "-v", "./pkg", NULL};
  assert_int_equal(parse(&o, count, &err), TJ_CLI_RUN);
  assert_true(o.verbose);
  assert_flags(&o, (const char *[]){"-count=1", NULL});
  char *race[] = {"test", "-race", "-timeout", "30s", "./...", "--memory", "64M", "-cpu", "1,2", NULL};
  assert_int_equal(parse(&o, race, &err), TJ_CLI_RUN);
  assert_int_equal(o.spec.memory_bytes, 64 << 20);
  assert_flags(&o, (const char *[]){"-race", "-timeout", "30s", "-cpu", "1,2", NULL});
  /* go test's flags first, TESTFLAGS after them: the later one wins */
  char *both[] = {"test", "./a", "--cpus", "1", "-count", "2", "--", "-count=1", NULL};
  assert_int_equal(parse(&o, both, &err), TJ_CLI_RUN);
  assert_flags(&o, (const char *[]){"-count", "2", "-count=1", NULL});
  /* --cpu is go test's, not an abbreviation of --cpus (--mem is no
   * abbreviation either since --memory-total: it is ambiguous) */
  char *cpu[] = {"test", "--cpu", "2", "--memory", "1G", "./a", NULL};
  assert_int_equal(parse(&o, cpu, &err), TJ_CLI_RUN);
  assert_flags(&o, (const char *[]){"--cpu", "2", NULL});
  assert_int_equal(o.spec.memory_bytes, 1 << 30);
  /* testjail's options leave the package list open */
  char *ours[] = {"test", "./a", "--memory", "1G", "./b", "-p", "2", "./c", "-parallel", "4", NULL};
  assert_int_equal(parse(&o, ours, &err), TJ_CLI_RUN);
  assert_int_equal(o.n_packages, 3);
  assert_int_equal(o.parallel, 2);
  assert_flags(&o, (const char *[]){"-parallel", "4", NULL});
  /* a word after a go test flag that follows the packages is the binary's,
   * and so is all after it (go test: -count=1 ./b tests ./a alone) */
  char *after[] = {"test", "./a", "-count=1", "./b", "-run", "X", NULL};
  assert_int_equal(parse(&o, after, &err), TJ_CLI_RUN);
  assert_int_equal(o.n_packages, 1);
  assert_flags(&o, (const char *[]){"-count=1", "-args", "./b", "-run", "X", NULL});
  char *args[] = {"test", "./a", "-args", "-x", NULL};
  assert_int_equal(parse(&o, args, &err), TJ_CLI_RUN);
  assert_flags(&o, (const char *[]){"-args", "-x", NULL});
  char *p_glued[] = {"test", "-p2", "./a", NULL};
  assert_int_equal(parse(&o, p_glued, &err), TJ_CLI_RUN);
  assert_int_equal(o.parallel, 2);
}

/* A flag go test does not know: the binary's after the packages (with the
 * word after it as its value), an error before them. */
static void test_unknown_flags(void **state) {
  static struct tj_test_opts o;
  tj_error err = {0};
  char *after[] = {"test", "./a", "-update", "golden", "-run", "X", NULL};
  assert_int_equal(parse(&o, after, &err), TJ_CLI_RUN);
  assert_int_equal(o.n_packages, 1);
  assert_flags(&o, (const char *[]){"-update", "golden", "-run", "X", NULL});
  char *alone[] = {"test", "-update", NULL};
  assert_int_equal(parse(&o, alone, &err), TJ_CLI_RUN);
  assert_int_equal(o.n_packages, 0);
  assert_flags(&o, (const char *[]){"-update", NULL});
  char *before[] = {"test", "-update", "./a", NULL};
  assert_true(parse(&o, before, &err) < 0);
  assert_non_null(strstr(err.msg, "unknown flag '-update' before the packages"));
  char *single[] = {"test", "-memory", "1G", "./a", NULL};
  assert_true(parse(&o, single, &err) < 0);
  assert_non_null(strstr(err.msg, "'-memory'"));
  assert_non_null(strstr(err.msg, "--memory"));
  char *refused[] = {"test", "-exec", "x", "./a", NULL};
  assert_true(parse(&o, refused, &err) < 0);
  assert_non_null(strstr(err.msg, "-exec: testjail runs the test binary itself"));
  char *no_value[] = {"test", "./a", "-p", NULL};
  assert_true(parse(&o, no_value, &err) < 0);
  assert_non_null(strstr(err.msg, "option '-p' needs a value"));
  char *run[] = {"test", "./a", "-run", NULL};
  assert_true(parse(&o, run, &err) < 0);
  assert_non_null(strstr(err.msg, "option '-run' needs a value"));
  char *quiet[] = {"test", "--quiet=yes", NULL};
  assert_true(parse(&o, quiet, &err) < 0);
  assert_non_null(strstr(err.msg, "'--quiet' takes no value"));
}

/* -json as go test spells it, anywhere; --json too. */
static void test_json_spellings(void **state) {
  static struct tj_test_opts o;
  tj_error err = {0};
  char *before[] = {"test", "-json", "./a", NULL};
  char *among[] = {"test", "./a", "-json", "./b", NULL};
  char *after[] = {"test", "./a", "--", "-json", "-run", "X", NULL};
  char *dd[] = {"test", "./a", "--", "--json", NULL};
  char **ok[] = {before, among, after, dd};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(parse(&o, ok[i], &err), TJ_CLI_RUN);
    assert_true(o.json);
  }
  assert_int_equal(parse(&o, among, &err), TJ_CLI_RUN);
  assert_int_equal(o.n_packages, 2);
  assert_int_equal(parse(&o, after, &err), TJ_CLI_RUN);
  assert_flags(&o, (const char *[]){"-run", "X", NULL});
  char *off[] = {"test", "--json", "-json=false", NULL};
  assert_int_equal(parse(&o, off, &err), TJ_CLI_RUN);
  assert_false(o.json);
  char *bad[] = {"test", "-json=maybe", NULL};
  assert_true(parse(&o, bad, &err) < 0);
  assert_non_null(strstr(err.msg, "maybe"));
  /* the value of -run is no flag */
  char *value[] = {"test", "--", "-run", "-json", NULL};
  assert_int_equal(parse(&o, value, &err), TJ_CLI_RUN);
  assert_false(o.json);
  assert_flags(&o, (const char *[]){"-run", "-json", NULL});
  char *vet[] = {"test", "-vet", "off", "--", "-p=3", NULL};
  assert_int_equal(parse(&o, vet, &err), TJ_CLI_RUN);
  assert_string_equal(o.vet, "off");
  assert_int_equal(o.parallel, 3);
  assert_int_equal(o.n_testflags, 0);
}

/* cmd/go's testBinaryName in module mode. */
static void test_binary_name(void **state) {
  const char *cases[][3] = {
      {"strings", "strings", "strings.test"},          {"example.com/deep/strings", "strings", "strings.test"},
      {"example.com/tool/v2", "tool", "tool.test"},    {"example.com/tool/v1", "tool", "v1.test"},
      {"example.com/v2", "v2", "example.com.test"},    {"gopkg.in/yaml.v3", "yaml", "yaml.v3.test"},
      {"command-line-arguments", "main", "main.test"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char buf[256];
    tj_test_binary_name(cases[i][0], cases[i][1], buf, sizeof(buf));
    assert_string_equal(buf, cases[i][2]);
  }
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
  char *in[] = {"-race",         "-tags", "a,b",    "-run=X", "--ldflags=-s",
                "-coverprofile", "c.out", "-bench", ".",      "-covermode=atomic",
                "-update",       NULL};
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

/* -fullpath (Go 1.21) and -artifacts (Go 1.26) are the testing package's
 * booleans; -artifacts and -outputdir are kept for the run. */
static void test_testflags_fullpath_artifacts(void **state) {
  char *in[] = {"-fullpath", "--artifacts", "-outputdir", "out", NULL};
  char **out = NULL;
  bool v, timeout;
  struct tj_go_flags gf;
  tj_error err = {0};
  assert_int_equal(tj_testflags(in, 4, &out, &v, &timeout, &gf, &err), 0);
  const char *want[] = {"-test.fullpath", "-test.artifacts", "-test.outputdir=out", NULL};
  for (int i = 0; want[i]; i++)
    assert_string_equal(out[i], want[i]);
  assert_null(out[3]);
  assert_true(gf.artifacts);
  assert_string_equal(gf.outputdir, "out");
  assert_null(gf.build[0]);
  tj_testflags_free(out);
  tj_go_flags_free(&gf);
  char *off[] = {"-artifacts=false", "-test.fullpath=true", NULL};
  assert_int_equal(tj_testflags(off, 2, &out, &v, &timeout, &gf, &err), 0);
  assert_false(gf.artifacts);
  assert_string_equal(out[1], "-test.fullpath=true");
  tj_testflags_free(out);
  tj_go_flags_free(&gf);
  char *bad[] = {"-fullpath=maybe", NULL};
  assert_true(tj_testflags(bad, 1, &out, &v, &timeout, &gf, &err) < 0);
  assert_non_null(strstr(err.msg, "invalid value \"maybe\" for -fullpath: expected true or false"));
  /* before the packages, as go test takes them: a boolean takes no value */
  const struct tj_goflag *f;
  const char *value;
  assert_non_null(f = tj_goflag_parse("-artifacts", &value));
  assert_false(tj_goflag_takes_next(f, value));
  assert_non_null(f = tj_goflag_parse("-test.fullpath", &value));
  assert_int_equal(f->owner, TJ_GOFLAG_TEST);
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

/* The first line of a help text. */
static char *usage_line(void (*help)(FILE *)) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  help(f);
  fclose(f);
  *strchrnul(text, '\n') = 0;
  return text;
}

/* bisect-memory takes go test's flags where test does (one package): its
 * usage line says so, as test's does. */
static void test_bisect_usage_as_test(void **state) {
  static struct tj_bisect_opts o;
  tj_error err = {0};
  char *gof[] = {"bisect-memory", "-run", "TestBig", "-count=1", "./p", "-short", "--floor", "8M", NULL};
  assert_int_equal(parse_bisect(&o, gof, &err), TJ_CLI_RUN);
  assert_int_equal(o.test.n_packages, 1);
  assert_string_equal(o.test.packages[0], "./p");
  assert_int_equal(o.floor_bytes, 8 << 20);
  assert_int_equal(o.test.n_testflags, 4);
  char *bisect = usage_line(tj_cli_help_bisect), *test = usage_line(tj_cli_help_test);
  assert_string_equal(test,
                      "Usage: testjail test [OPTIONS] [GOTESTFLAGS] [PACKAGE...] [GOTESTFLAGS] [-- TESTFLAGS...]");
  assert_string_equal(
      bisect, "Usage: testjail bisect-memory [OPTIONS] [GOTESTFLAGS] [PACKAGE] [GOTESTFLAGS] [-- TESTFLAGS...]");
  free(bisect);
  free(test);
}

static void test_bisect_and_monitor_options(void **state) {
  static struct tj_bisect_opts o;
  tj_error err = {0};
  char *ok[] = {"bisect-memory",
                "--tolerance",
                "2M",
                "--runs",
                "3",
                "./p",
                "--floor",
                "8M",
                "--gomemlimit",
                "auto",
                "--sample-interval",
                "20ms",
                "--plot",
                "x.svg",
                "--quiet",
                "--pids-limit",
                "64",
                "--",
                "-run",
                "X",
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
  char *bad[][4] = {{"bisect-memory", "--memory", "64M", NULL},    {"bisect-memory", "--runs", "0", NULL},
                    {"bisect-memory", "--tolerance", "100", NULL}, {"bisect-memory", "--gomemlimit", "x", NULL},
                    {"bisect-memory", "./a", "./b", NULL},         {"bisect-memory", "--sample-interval", "1ms", NULL}};
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
      cmocka_unit_test(test_go_flags_among_packages),
      cmocka_unit_test(test_unknown_flags),
      cmocka_unit_test(test_json_spellings),
      cmocka_unit_test(test_binary_name),
      cmocka_unit_test(test_testflags),
      cmocka_unit_test(test_testflags_build),
      cmocka_unit_test(test_testflags_goflags),
      cmocka_unit_test(test_testflags_fullpath_artifacts),
      cmocka_unit_test(test_bisect_and_monitor_options),
      cmocka_unit_test(test_bisect_usage_as_test),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
