/* The merge of shards' go test -json streams: packages in import path
 * order, each package's events as they came, build events with their
 * package, the rest at the end; bad lines and doubled packages refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "report/streammerge.h"

#define S(name, text)                                                                                                  \
  { name, text, sizeof(text) - 1 }

static void expect(const struct tj_stream *in, int n, const char *want) {
  struct tj_buf out = {0};
  tj_error err = {0};
  int r = tj_stream_merge(in, n, &out, &err);
  assert_int_equal(r, 0);
  assert_string_equal(out.p ? out.p : "", want);
  tj_buf_free(&out);
}

static void expect_error(const struct tj_stream *in, int n, const char *msg) {
  struct tj_buf out = {0};
  tj_error err = {0};
  assert_true(tj_stream_merge(in, n, &out, &err) < 0);
  assert_string_equal(err.msg, msg);
  assert_int_equal(out.len, 0);
  tj_buf_free(&out);
}

static void test_package_order(void **state) {
  (void)state;
  struct tj_stream in[] = {
      S("s0", "{\"Action\":\"start\",\"Package\":\"x/c\"}\n"
              "{\"Action\":\"start\",\"Package\":\"x/a\"}\n"
              "{\"Action\":\"run\",\"Package\":\"x/c\",\"Test\":\"T\"}\n"
              "{\"Action\":\"pass\",\"Package\":\"x/a\"}\n"
              "{\"Action\":\"pass\",\"Package\":\"x/c\"}"), /* no newline at the end */
      S("s1", ""),
      S("s2", "\n{\"Action\":\"start\",\"Package\":\"x/b\"}\n{\"Action\":\"fail\",\"Package\":\"x/b\"}\n"),
  };
  expect(in, 3,
         "{\"Action\":\"start\",\"Package\":\"x/a\"}\n"
         "{\"Action\":\"pass\",\"Package\":\"x/a\"}\n"
         "{\"Action\":\"start\",\"Package\":\"x/b\"}\n"
         "{\"Action\":\"fail\",\"Package\":\"x/b\"}\n"
         "{\"Action\":\"start\",\"Package\":\"x/c\"}\n"
         "{\"Action\":\"run\",\"Package\":\"x/c\",\"Test\":\"T\"}\n"
         "{\"Action\":\"pass\",\"Package\":\"x/c\"}\n");
}

static void test_build_events(void **state) {
  (void)state;
  /* "P [P.test]" and "P.test" go with P, before its test events wherever
   * they stood; a dependency's with the package it comes before; an
   * ImportPath with nothing after it, and events naming no package, last
   * in input order. */
  struct tj_stream in[] = {
      S("s0", "{\"Action\":\"start\",\"Package\":\"x/b\"}\n"
              "{\"ImportPath\":\"x/b [x/b.test]\",\"Action\":\"build-output\"}\n"
              "{\"Action\":\"fail\",\"Package\":\"x/b\"}\n"
              "{\"Action\":\"note\"}\n"
              "{\"ImportPath\":\"x/dep\",\"Action\":\"build-fail\"}\n"
              "{\"Action\":\"fail\",\"Package\":\"x/a\",\"FailedBuild\":\"x/dep\"}\n"),
      S("s1", "{\"ImportPath\":\"x/c.test\",\"Action\":\"build-fail\"}\n"
              "{\"Action\":\"fail\",\"Package\":\"x/c\"}\n"
              "{\"ImportPath\":\"x/orphan\",\"Action\":\"build-fail\"}\n"),
  };
  expect(in, 2,
         "{\"ImportPath\":\"x/dep\",\"Action\":\"build-fail\"}\n"
         "{\"Action\":\"fail\",\"Package\":\"x/a\",\"FailedBuild\":\"x/dep\"}\n"
         "{\"ImportPath\":\"x/b [x/b.test]\",\"Action\":\"build-output\"}\n"
         "{\"Action\":\"start\",\"Package\":\"x/b\"}\n"
         "{\"Action\":\"fail\",\"Package\":\"x/b\"}\n"
         "{\"ImportPath\":\"x/c.test\",\"Action\":\"build-fail\"}\n"
         "{\"Action\":\"fail\",\"Package\":\"x/c\"}\n"
         "{\"Action\":\"note\"}\n"
         "{\"ImportPath\":\"x/orphan\",\"Action\":\"build-fail\"}\n");
}

static void test_bad_input(void **state) {
  (void)state;
  struct tj_stream text[] = {S("a.jsonl", "{\"Action\":\"start\",\"Package\":\"x/a\"}\nok  \tx/a\t0.1s\n")};
  expect_error(text, 1, "a.jsonl:2: not a go test -json event (a JSON object with an Action on each line)");
  struct tj_stream noaction[] = {S("b.jsonl", "{\"Package\":\"x/a\"}\n")};
  expect_error(noaction, 1, "b.jsonl:1: not a go test -json event (a JSON object with an Action on each line)");
  struct tj_stream array[] = {S("c.jsonl", "[1]\n")};
  expect_error(array, 1, "c.jsonl:1: not a go test -json event (a JSON object with an Action on each line)");
  struct tj_stream twice[] = {
      S("s0", "{\"Action\":\"start\",\"Package\":\"x/a\"}\n"),
      S("s1", "{\"Action\":\"start\",\"Package\":\"x/b\"}\n{\"Action\":\"pass\",\"Package\":\"x/a\"}\n"),
  };
  expect_error(twice, 2, "s1:2: events of x/a, which s0:1 has too (the same shard's stream given twice?)");
}

static void test_dependency_in_two_streams(void **state) {
  (void)state;
  /* every shard that needed a broken dependency printed its build: kept
   * with each package, as one unsharded testjail run writes it */
  struct tj_stream in[] = {
      S("s0", "{\"ImportPath\":\"x/dep\",\"Action\":\"build-fail\"}\n{\"Action\":\"fail\",\"Package\":\"x/b\"}\n"),
      S("s1", "{\"ImportPath\":\"x/dep\",\"Action\":\"build-fail\"}\n{\"Action\":\"fail\",\"Package\":\"x/a\"}\n"),
  };
  expect(in, 2,
         "{\"ImportPath\":\"x/dep\",\"Action\":\"build-fail\"}\n{\"Action\":\"fail\",\"Package\":\"x/a\"}\n"
         "{\"ImportPath\":\"x/dep\",\"Action\":\"build-fail\"}\n{\"Action\":\"fail\",\"Package\":\"x/b\"}\n");
}

static void test_empty(void **state) {
  (void)state;
  /* shards that got no package wrote nothing */
  struct tj_stream in[] = {S("s0", ""), S("s1", "\n")};
  expect(in, 2, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_package_order), cmocka_unit_test(test_build_events),
      cmocka_unit_test(test_bad_input),     cmocka_unit_test(test_dependency_in_two_streams),
      cmocka_unit_test(test_empty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
