/* go env -json and go list -json output, parsed apart from running go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "go/job.h"

static void test_go_env(void **state) {
  struct tj_go_env env;
  memset(&env, 0, sizeof(env));
  tj_error err = {0};
  const char *out = "{\"GOCACHE\": \"off\", \"GOFLAGS\": \"-ldflags=-s\", \"GOMODCACHE\": \"/m\", "
                    "\"GOROOT\": \"/r\", \"GOVERSION\": \"go1.22.12\"}";
  assert_int_equal(tj_go_env_parse(&env, out, strlen(out), &err), 0);
  assert_string_equal(env.version, "go1.22.12");
  assert_int_equal(env.minor, 22);
  assert_string_equal(env.gocache, "");
  assert_string_equal(env.gomodcache, "/m");
  assert_true(env.goflags_ldflags);
  assert_int_equal(tj_go_env_parse(&env, "[1]", 3, &err), -1);
  assert_non_null(strstr(err.msg, "go env -json: unreadable output"));
  /* a version too long for the field is cut, not overrun */
  const char *devel = "{\"GOVERSION\": \"devel go1.27-0123456789abcdef0123456789abcdef\"}";
  assert_int_equal(tj_go_env_parse(&env, devel, strlen(devel), &err), 0);
  assert_int_equal(env.minor, 0);
}

/* Found by fuzz/gojson_fuzz: a GOVERSION whose minor overflows an int
 * came out negative. */
static void test_go_env_huge_minor(void **state) {
  struct tj_go_env env = {0};
  tj_error err = {0};
  const char *out = "{\"GOVERSION\": \"go1.888888888888888888888888\", \"GOROOT\": \"/go\"}";
  assert_int_equal(tj_go_env_parse(&env, out, strlen(out), &err), 0);
  assert_int_equal(env.minor, 0);
  const char *ok = "{\"GOVERSION\": \"go1.26rc2\", \"GOROOT\": \"/go\"}";
  assert_int_equal(tj_go_env_parse(&env, ok, strlen(ok), &err), 0);
  assert_int_equal(env.minor, 26);
}

static void test_go_list(void **state) {
  struct tj_package *pkgs = NULL;
  int n = 0;
  tj_error err = {0};
  const char *out = "{\"Dir\": \"/s/p\", \"ImportPath\": \"example.com/tool/v2\", \"Name\": \"tool\", "
                    "\"TestGoFiles\": [\"a_test.go\"]}\n{\"Dir\": \"/s/q\", \"ImportPath\": \"example.com/q\", "
                    "\"Name\": \"q\"}\n";
  assert_int_equal(tj_go_list_parse(out, strlen(out), &pkgs, &n, &err), 0);
  assert_int_equal(n, 2);
  assert_string_equal(pkgs[0].binary, "tool.test");
  assert_true(pkgs[0].has_tests);
  assert_false(pkgs[1].has_tests);
  tj_packages_free(pkgs, n);
  pkgs = NULL, n = 0;
  const char *missing = "{\"ImportPath\": \"example.com/x\", \"Error\": {\"Err\": \"no required module provides "
                        "package example.com/x; to add it:\\n\\tgo get example.com/x\"}}";
  assert_int_equal(tj_go_list_parse(missing, strlen(missing), &pkgs, &n, &err), -1);
  assert_string_equal(err.msg, "package example.com/x: no required module provides package example.com/x");
  tj_packages_free(pkgs, n);
  pkgs = NULL, n = 0;
  /* a good object, then garbage: an error, the first kept for the caller to free */
  const char *torn = "{\"Dir\": \"/s/p\", \"ImportPath\": \"p\", \"Name\": \"p\"}\n{\"Dir\": ";
  assert_int_equal(tj_go_list_parse(torn, strlen(torn), &pkgs, &n, &err), -1);
  assert_non_null(strstr(err.msg, "go list: unreadable output"));
  assert_int_equal(n, 1);
  tj_packages_free(pkgs, n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_go_env),
      cmocka_unit_test(test_go_env_huge_minor),
      cmocka_unit_test(test_go_list),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
