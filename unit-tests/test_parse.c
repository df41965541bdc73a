/* Sizes, durations, --ulimit, --user, --cpus and the exec command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cmd/cli.h"
#include "common/parse.h"
#include "common/rlimit.h"

static void test_sizes(void **state) {
  int64_t v;
  tj_error err = {0};
  assert_int_equal(tj_parse_size("64M", false, &v, &err), 0);
  assert_int_equal(v, 64 << 20);
  assert_int_equal(tj_parse_size("1G", false, &v, &err), 0);
  assert_int_equal(v, 1 << 30);
  assert_int_equal(tj_parse_size("512KiB", false, &v, &err), 0);
  assert_int_equal(v, 512 << 10);
  assert_int_equal(tj_parse_size("4096", false, &v, &err), 0);
  assert_int_equal(v, 4096);
  assert_int_equal(tj_parse_size("2mib", false, &v, &err), 0);
  assert_int_equal(v, 2 << 20);
  assert_true(tj_parse_size("0", false, &v, &err) < 0);
  assert_non_null(strstr(err.msg, "'0'"));
  assert_int_equal(tj_parse_size("0", true, &v, &err), 0);
  assert_true(tj_parse_size("-1M", false, &v, &err) < 0);
  assert_true(tj_parse_size("12Q", false, &v, &err) < 0);
  assert_non_null(strstr(err.msg, "12Q"));
  assert_true(tj_parse_size("99999999999999999999", false, &v, &err) < 0);
  assert_true(tj_parse_size("9999999999G", false, &v, &err) < 0);
  assert_true(tj_parse_size("", false, &v, &err) < 0);
  assert_true(tj_parse_size("M", false, &v, &err) < 0);
  /* Kubernetes' suffixes, and fractions with a suffix as docker takes them */
  assert_int_equal(tj_parse_size("512Mi", false, &v, &err), 0);
  assert_int_equal(v, 512 << 20);
  assert_int_equal(tj_parse_size("2Gi", false, &v, &err), 0);
  assert_int_equal(v, 2LL << 30);
  assert_int_equal(tj_parse_size("1.5G", false, &v, &err), 0);
  assert_int_equal(v, 3LL << 29);
  assert_int_equal(tj_parse_size("0.5Ki", false, &v, &err), 0);
  assert_int_equal(v, 512);
  assert_int_equal(tj_parse_size("0.1K", false, &v, &err), 0);
  assert_int_equal(v, 102); /* whole bytes, rounded down */
  assert_true(tj_parse_size("1.5", false, &v, &err) < 0);
  assert_non_null(strstr(err.msg, "fraction of a byte"));
  assert_true(tj_parse_size("1.G", false, &v, &err) < 0);
  assert_true(tj_parse_size("0.0001K", false, &v, &err) < 0); /* 0 bytes */
}

static void test_durations(void **state) {
  int64_t ms;
  tj_error err = {0};
  assert_int_equal(tj_parse_duration("90s", &ms, &err), 0);
  assert_int_equal(ms, 90000);
  assert_int_equal(tj_parse_duration("1h30m", &ms, &err), 0);
  assert_int_equal(ms, 5400000);
  assert_int_equal(tj_parse_duration("500ms", &ms, &err), 0);
  assert_int_equal(ms, 500);
  assert_int_equal(tj_parse_duration("1.5s", &ms, &err), 0);
  assert_int_equal(ms, 1500);
  assert_int_equal(tj_parse_duration("2m3.5s", &ms, &err), 0);
  assert_int_equal(ms, 123500);
  assert_int_equal(tj_parse_duration("10us", &ms, &err), 0);
  assert_int_equal(ms, 1); /* rounded up, never 0 */
  assert_true(tj_parse_duration("10", &ms, &err) < 0);
  assert_non_null(strstr(err.msg, "'10'"));
  assert_true(tj_parse_duration("0s", &ms, &err) < 0);
  assert_true(tj_parse_duration("-5s", &ms, &err) < 0);
  assert_true(tj_parse_duration("5x", &ms, &err) < 0);
  assert_true(tj_parse_duration("", &ms, &err) < 0);
  assert_true(tj_parse_duration("s", &ms, &err) < 0);
  assert_true(tj_parse_duration("1e400s", &ms, &err) < 0);
}

static void test_ulimit(void **state) {
  struct tj_rlimits set = {0};
  tj_error err = {0};
  assert_int_equal(tj_rlimit_parse("nofile=64", &set, &err), 0);
  assert_int_equal(set.n, 1);
  assert_int_equal(set.v[0].soft, 64);
  assert_int_equal(set.v[0].hard, 64);
  assert_int_equal(tj_rlimit_parse("fsize=1M:2M", &set, &err), 0);
  const struct tj_rlimit *f = tj_rlimit_find(&set, RLIMIT_FSIZE);
  assert_non_null(f);
  assert_int_equal(f->soft, 1 << 20);
  assert_int_equal(f->hard, 2 << 20);
  assert_int_equal(tj_rlimit_parse("nofile=32:128", &set, &err), 0);
  assert_int_equal(set.n, 2); /* replaced, not added */
  assert_int_equal(tj_rlimit_find(&set, RLIMIT_NOFILE)->hard, 128);
  assert_int_equal(tj_rlimit_parse("core=unlimited", &set, &err), 0);
  assert_true(tj_rlimit_find(&set, RLIMIT_CORE)->soft == RLIM_INFINITY);
  assert_int_equal(tj_rlimit_parse("cpu=1:unlimited", &set, &err), 0);
  assert_true(tj_rlimit_parse("bogus=1", &set, &err) < 0);
  assert_non_null(strstr(err.msg, "bogus"));
  assert_true(tj_rlimit_parse("nofile=10:5", &set, &err) < 0);
  assert_non_null(strstr(err.msg, "soft limit above hard"));
  assert_true(tj_rlimit_parse("nofile", &set, &err) < 0);
  assert_true(tj_rlimit_parse("nofile=", &set, &err) < 0);
  assert_true(tj_rlimit_parse("nofile=1:", &set, &err) < 0);
  assert_true(tj_rlimit_parse("nofile=1M", &set, &err) < 0); /* not byte-valued */
  assert_true(tj_rlimit_parse("unlimited=unlimited:5", &set, &err) < 0);
  assert_true(tj_rlimit_parse("stack=unlimited:8M", &set, &err) < 0);
}

static void test_user_cpus(void **state) {
  uid_t u;
  gid_t g;
  tj_error err = {0};
  assert_int_equal(tj_parse_user("65534:65533", &u, &g, &err), 0);
  assert_int_equal(u, 65534);
  assert_int_equal(g, 65533);
  assert_int_equal(tj_parse_user("1000", &u, &g, &err), 0);
  assert_int_equal(g, 1000);
  assert_true(tj_parse_user("nobody", &u, &g, &err) < 0);
  assert_true(tj_parse_user("1:x", &u, &g, &err) < 0);
  assert_true(tj_parse_user("-1", &u, &g, &err) < 0);
  assert_int_equal(tj_parse_user("4294967294:0", &u, &g, &err), 0);
  assert_int_equal(u, 4294967294u);
  assert_int_equal(g, 0);
  assert_true(tj_parse_user("4294967295", &u, &g, &err) < 0); /* (uid_t)-1: no id */
  assert_true(tj_parse_user("1:2:3", &u, &g, &err) < 0);
  assert_true(tj_parse_user("1:", &u, &g, &err) < 0);
  const char *longer = "0000000000000000000000000000000000000000000000000000000000000001";
  assert_true(tj_parse_user(longer, &u, &g, &err) < 0);
  assert_non_null(strstr(err.msg, "--user"));
  assert_non_null(strstr(err.msg, longer));
  int64_t q, p;
  assert_int_equal(tj_parse_cpus("0.5", &q, &p, &err), 0);
  assert_int_equal(q, 50000);
  assert_int_equal(p, 100000);
  assert_true(tj_parse_cpus("0", &q, &p, &err) < 0);
  assert_true(tj_parse_cpus("abc", &q, &p, &err) < 0);
  assert_true(tj_parse_cpus("0.001", &q, &p, &err) < 0);
}

static int parse(struct tj_spec *spec, tj_error *err, int argc, char **argv) {
  return tj_cli_parse_exec(argc, argv, spec, NULL, err);
}

static void test_cli(void **state) {
  struct tj_spec spec;
  tj_error err = {0};
  char *ok[] = {"exec",           "--memory", "64M",       "--pids-limit", "16",    "--ulimit", "cpu=1",
                "--wall-timeout", "5s",       "--network", "host",         "--env", "A=B",      "--bind",
                "/src:/dst",      "--",       "prog",      "-x",           NULL};
  assert_int_equal(parse(&spec, &err, 18, ok), TJ_CLI_RUN);
  assert_int_equal(spec.memory_bytes, 64 << 20);
  assert_int_equal(spec.pids, 16);
  assert_int_equal(spec.wall_timeout_ms, 5000);
  assert_true(spec.network_host);
  assert_int_equal(spec.n_env, 1);
  assert_string_equal(spec.binds[0].dst, "/dst");
  assert_string_equal(spec.argv[0], "prog");
  assert_string_equal(spec.argv[1], "-x");

  char *no_dashdash[] = {"exec", "--memory", "64M", "prog", NULL};
  assert_true(parse(&spec, &err, 4, no_dashdash) < 0);
  assert_non_null(strstr(err.msg, "missing '--'"));
  char *nothing[] = {"exec", NULL};
  assert_true(parse(&spec, &err, 1, nothing) < 0);
  assert_non_null(strstr(err.msg, "no command"));
  char *bare[] = {"exec", "prog", NULL};
  assert_true(parse(&spec, &err, 2, bare) < 0);
  assert_non_null(strstr(err.msg, "missing '--'"));
  char *help[] = {"exec", "--help", NULL};
  assert_int_equal(parse(&spec, &err, 2, help), TJ_CLI_HELP);
  char *no_cmd[] = {"exec", "--memory", "64M", "--", NULL};
  assert_true(parse(&spec, &err, 4, no_cmd) < 0);
  assert_non_null(strstr(err.msg, "no command"));
  char *bad_opt[] = {"exec", "--frobnicate", "--", "x", NULL};
  assert_true(parse(&spec, &err, 4, bad_opt) < 0);
  assert_non_null(strstr(err.msg, "--frobnicate"));
  char *missing_val[] = {"exec", "--memory", NULL};
  assert_true(parse(&spec, &err, 2, missing_val) < 0);
  assert_non_null(strstr(err.msg, "--memory"));
  char *bad_net[] = {"exec", "--network", "bridge", "--", "x", NULL};
  assert_true(parse(&spec, &err, 5, bad_net) < 0);
  assert_non_null(strstr(err.msg, "bridge"));
  char *rel_bind[] = {"exec", "--bind", "rel", "--", "x", NULL};
  assert_true(parse(&spec, &err, 5, rel_bind) < 0);
  char *bad_env[] = {"exec", "--env", "NOVALUE", "--", "x", NULL};
  assert_true(parse(&spec, &err, 5, bad_env) < 0);
  char *bad_pids[] = {"exec", "--pids-limit", "0", "--", "x", NULL};
  assert_true(parse(&spec, &err, 5, bad_pids) < 0);
  assert_non_null(strstr(err.msg, "--pids-limit"));
}

static void test_int(void **state) {
  int64_t v;
  tj_error err = {0};
  assert_int_equal(tj_parse_int("0", 0, 9, &v, &err), 0);
  assert_int_equal(v, 0);
  assert_int_equal(tj_parse_int("-5", -5, 9, &v, &err), 0);
  assert_int_equal(v, -5);
  assert_int_equal(tj_parse_int("9", 0, 9, &v, &err), 0);
  assert_int_equal(v, 9);
  /* in [0, 9]: digits only ("-0" and "+1" are not how a count is written) */
  const char *bad[] = {"10", "", "-", "+1", " 1", "1 ", "-0", "-1", "1x", "0x1", "99999999999999999999"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err.msg[0] = 0;
    assert_true(tj_parse_int(bad[i], 0, 9, &v, &err) < 0);
    assert_non_null(strstr(err.msg, bad[i]));
  }
  /* in [-5, 9]: a '-' in front, then digits */
  const char *bad_signed[] = {"-6", "-", "--1", "-+1", "- 1", "+1"};
  for (size_t i = 0; i < sizeof(bad_signed) / sizeof(bad_signed[0]); i++) {
    err.msg[0] = 0;
    assert_true(tj_parse_int(bad_signed[i], -5, 9, &v, &err) < 0);
    assert_non_null(strstr(err.msg, bad_signed[i]));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sizes),     cmocka_unit_test(test_durations), cmocka_unit_test(test_ulimit),
      cmocka_unit_test(test_user_cpus), cmocka_unit_test(test_cli),       cmocka_unit_test(test_int),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
