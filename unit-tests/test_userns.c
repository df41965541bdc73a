/* The user namespace's id range: /etc/subuid lines, --userns-range, and the
 * isolation options on the command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "cmd/cli.h"
#include "common/parse.h"
#include "sandbox/userns.h"

static void test_subid_lines(void **state) {
  uint32_t s = 0, n = 0;
  const char *file = "alice:100000:65536\n"
                     "# not a comment in subuid(5), just a name that never matches\n"
                     "testjail:bad:65536\n"
                     "testjail:200000:0\n"
                     "testjail:300000:65536\n"
                     "testjail:400000:65536\n";
  /* malformed and empty ranges are passed by; the first good one wins */
  assert_int_equal(tj_subid_find(file, "testjail", (uid_t)-1, &s, &n), 0);
  assert_int_equal(s, 300000);
  assert_int_equal(n, 65536);
  assert_int_equal(tj_subid_find(file, "alice", (uid_t)-1, &s, &n), 0);
  assert_int_equal(s, 100000);
  assert_int_equal(tj_subid_find(file, "bob", (uid_t)-1, &s, &n), -ENOENT);
  /* an entry may name the owner by uid */
  assert_int_equal(tj_subid_find("1000:500000:1000\n", "nobody-here", 1000, &s, &n), 0);
  assert_int_equal(s, 500000);
  assert_int_equal(n, 1000);
  /* no trailing newline, a CRLF line, a range past 32 bits */
  assert_int_equal(tj_subid_find("testjail:10:20", "testjail", (uid_t)-1, &s, &n), 0);
  assert_int_equal(n, 20);
  assert_int_equal(tj_subid_find("testjail:10:20\r\n", "testjail", (uid_t)-1, &s, &n), 0);
  assert_int_equal(tj_subid_find("testjail:4294967000:65536\n", "testjail", (uid_t)-1, &s, &n), -ENOENT);
  /* a prefix of the name is not the name */
  assert_int_equal(tj_subid_find("testjail2:10:20\n", "testjail", (uid_t)-1, &s, &n), -ENOENT);
  assert_int_equal(tj_subid_find("", "testjail", (uid_t)-1, &s, &n), -ENOENT);
}

static void test_id_range(void **state) {
  uid_t start;
  uint32_t count;
  tj_error err = {0};
  assert_int_equal(tj_parse_id_range("100000:65536", &start, &count, &err), 0);
  assert_int_equal(start, 100000);
  assert_int_equal(count, 65536);
  const char *bad[] = {"0:65536",        "100000", "100000:0", ":5",    "5:",   "x:5",
                       "4294967290:100", "-1:5",   "",         "1:2:3", "+1:5", "1:4294967295"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    memset(&err, 0, sizeof(err));
    assert_true(tj_parse_id_range(bad[i], &start, &count, &err) < 0);
    assert_non_null(strstr(err.msg, "--userns-range"));
  }
}

static int parse(struct tj_spec *spec, tj_error *err, int argc, char **argv) {
  struct tj_monitor_opts mon;
  return tj_cli_parse_exec(argc, argv, spec, &mon, err);
}

static void test_map_format(void **state) {
  (void)state;
  struct tj_idmap m = {.active = true, .rootless = true, .uid_start = 1000, .gid_start = 1001, .count = 1};
  char buf[96];
  tj_idmap_format(&m, false, buf, sizeof(buf));
  assert_string_equal(buf, "0 1000 1");
  m.sub_uid_start = 100000;
  m.sub_gid_start = 200000;
  m.sub_count = 65536;
  tj_idmap_format(&m, false, buf, sizeof(buf));
  assert_string_equal(buf, "0 1000 1\n1 100000 65536");
  tj_idmap_format(&m, true, buf, sizeof(buf));
  assert_string_equal(buf, "0 1001 1\n1 200000 65536");
}

static void test_cli(void **state) {
  struct tj_spec spec;
  tj_error err = {0};
  char *def[] = {"exec", "--", "x", NULL};
  assert_int_equal(parse(&spec, &err, 3, def), TJ_CLI_RUN);
  assert_int_equal(spec.userns, TJ_USERNS_AUTO);
  assert_int_equal(spec.preserve_fds, 0);
  char *host[] = {"exec", "--userns", "host", "--userns-range", "70000:1000", "--preserve-fds", "2", "--", "x", NULL};
  assert_int_equal(parse(&spec, &err, 9, host), TJ_CLI_RUN);
  assert_int_equal(spec.userns, TJ_USERNS_HOST);
  assert_int_equal(spec.userns_start, 70000);
  assert_int_equal(spec.userns_count, 1000);
  assert_int_equal(spec.preserve_fds, 2);
  char *bad_mode[] = {"exec", "--userns", "keep-id", "--", "x", NULL};
  assert_true(parse(&spec, &err, 5, bad_mode) < 0);
  assert_non_null(strstr(err.msg, "keep-id"));
  char *bad_fds[] = {"exec", "--preserve-fds", "-1", "--", "x", NULL};
  assert_true(parse(&spec, &err, 5, bad_fds) < 0);
  assert_non_null(strstr(err.msg, "--preserve-fds"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_subid_lines),
      cmocka_unit_test(test_id_range),
      cmocka_unit_test(test_cli),
      cmocka_unit_test(test_map_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
