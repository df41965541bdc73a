/* The split of a package list over shards: deterministic, each package in
 * exactly one shard, balanced by earlier durations; --shard and its
 * environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "go/shard.h"

#define NPKG 40

static char names[NPKG][64];
static const char *paths[NPKG];

static void make_paths(void) {
  for (int i = 0; i < NPKG; i++) {
    snprintf(names[i], sizeof(names[i]), "example.com/gen/p%02d", i);
    paths[i] = names[i];
  }
}

static void test_hash_split(void **state) {
  (void)state;
  make_paths();
  for (int count = 1; count <= 7; count++) {
    int a[NPKG], b[NPKG], per[8] = {0};
    assert_string_equal(tj_shard_assign(paths, NPKG, NULL, count, a), "hash");
    /* the same list in another order: the same shards */
    const char *rev[NPKG];
    for (int i = 0; i < NPKG; i++)
      rev[i] = paths[NPKG - 1 - i];
    assert_non_null(tj_shard_assign(rev, NPKG, NULL, count, b));
    for (int i = 0; i < NPKG; i++) {
      assert_in_range(a[i], 0, count - 1);
      assert_int_equal(a[i], b[NPKG - 1 - i]);
      per[a[i]]++;
    }
    /* every shard gets its share, to one package */
    for (int s = 0; s < count; s++)
      assert_in_range(per[s], NPKG / count, (NPKG + count - 1) / count);
  }
  /* more shards than packages: the rest are empty */
  int one[1];
  assert_non_null(tj_shard_assign(paths, 1, NULL, 5, one));
  assert_in_range(one[0], 0, 4);
}

static void test_fnv1a(void **state) {
  (void)state;
  /* the published FNV-1a 64 test vectors */
  assert_true(tj_shard_fnv1a("") == 0xcbf29ce484222325ULL);
  assert_true(tj_shard_fnv1a("a") == 0xaf63dc4c8601ec8cULL);
  assert_true(tj_shard_fnv1a("foobar") == 0x85944171f73967e8ULL);
}

static void test_timings_balance(void **state) {
  (void)state;
  make_paths();
  struct tj_shard_timing t[NPKG];
  int64_t total = 0;
  unsigned seed = 7;
  /* skewed: a few long packages, many short ones */
  for (int i = 0; i < NPKG; i++) {
    seed = seed * 1103515245u + 12345u;
    int64_t ms = i < 4 ? 3000 + (int64_t)(seed % 2000) : 50 + (int64_t)(seed % 900);
    t[i] = (struct tj_shard_timing){.import_path = names[i], .ms = ms};
    total += ms;
  }
  struct tj_shard_timings tt = {t, NPKG};
  for (int count = 2; count <= 6; count++) {
    int a[NPKG], b[NPKG];
    int64_t load[8] = {0}, maxl = 0, maxpkg = 0;
    assert_string_equal(tj_shard_assign(paths, NPKG, &tt, count, a), "timings");
    assert_non_null(tj_shard_assign(paths, NPKG, &tt, count, b));
    assert_memory_equal(a, b, sizeof(a));
    for (int i = 0; i < NPKG; i++) {
      load[a[i]] += t[i].ms;
      maxpkg = t[i].ms > maxpkg ? t[i].ms : maxpkg;
    }
    for (int s = 0; s < count; s++)
      maxl = load[s] > maxl ? load[s] : maxl;
    /* the ideal: the even share, or the longest package if it is longer */
    int64_t ideal = total / count > maxpkg ? total / count : maxpkg;
    assert_true(maxl * 100 <= ideal * 120);
  }
}

static void test_median(void **state) {
  (void)state;
  /* two long known packages and two unknown ones over 2 shards: the
   * unknown count at the median (500), so they do not both pile up on the
   * shard the hash would pick */
  char *p[] = {"a", "b", "c", "d"};
  struct tj_shard_timing t[] = {{"a", 1000}, {"b", 0}};
  struct tj_shard_timings tt = {t, 2};
  int s[4];
  assert_string_equal(tj_shard_assign((const char *const *)p, 4, &tt, 2, s), "timings");
  /* LPT: a(1000) -> 0; c(500) -> 1; d(500) -> 1; b(0) -> 0 */
  assert_int_equal(s[0], 0);
  assert_int_equal(s[2], 1);
  assert_int_equal(s[3], 1);
  assert_int_equal(s[1], 0);
  /* timings naming none of the packages: the hash */
  struct tj_shard_timing other[] = {{"zzz", 5}};
  struct tj_shard_timings ot = {other, 1};
  assert_string_equal(tj_shard_assign((const char *const *)p, 4, &ot, 2, s), "hash");
}

static void test_parse(void **state) {
  (void)state;
  struct tj_shard s;
  tj_error err = {0};
  assert_int_equal(tj_shard_parse("0/1", &s, &err), 0);
  assert_int_equal(s.count, 1);
  assert_int_equal(tj_shard_parse("3/4", &s, &err), 0);
  assert_int_equal(s.index, 3);
  assert_int_equal(s.count, 4);
  assert_int_equal(tj_shard_parse("auto", &s, &err), 0);
  assert_true(s.is_auto);
  const char *bad[] = {"4/4",   "1/0",  "0/0", "-1/3",          "a/3",  "1/",   "/3",   "3",
                       "1/3/4", "1 /3", "",    "99999999999/3", "+1/3", "1/+3", "-0/3", "0/ 3"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err.msg[0] = 0;
    assert_true(tj_shard_parse(bad[i], &s, &err) < 0);
    assert_non_null(strstr(err.msg, "--shard"));
    assert_non_null(strstr(err.msg, bad[i]));
  }
}

static const char *env_vals[4][2];
static const char *fake_env(const char *name) {
  for (int i = 0; i < 4; i++)
    if (env_vals[i][0] && strcmp(env_vals[i][0], name) == 0)
      return env_vals[i][1];
  return NULL;
}
static void set_env(const char *a, const char *av, const char *b, const char *bv) {
  memset(env_vals, 0, sizeof(env_vals));
  env_vals[0][0] = a, env_vals[0][1] = av, env_vals[1][0] = b, env_vals[1][1] = bv;
}

static void test_auto(void **state) {
  (void)state;
  struct tj_shard s = {.on = true, .is_auto = true};
  tj_error err = {0};
  set_env("JOB_COMPLETION_INDEX", "2", NULL, NULL);
  assert_int_equal(tj_shard_resolve_auto(&s, 4, fake_env, &err), 0);
  assert_int_equal(s.index, 2);
  assert_int_equal(s.count, 4);
  assert_non_null(strstr(s.source, "JOB_COMPLETION_INDEX"));
  assert_true(tj_shard_resolve_auto(&s, 0, fake_env, &err) < 0); /* no --shard-count */
  assert_non_null(strstr(err.msg, "--shard-count"));
  assert_true(tj_shard_resolve_auto(&s, 2, fake_env, &err) < 0); /* 2 >= 2 */
  set_env("CI_NODE_INDEX", "1", "CI_NODE_TOTAL", "3");
  assert_int_equal(tj_shard_resolve_auto(&s, 0, fake_env, &err), 0);
  assert_int_equal(s.index, 0); /* 1-based there */
  assert_int_equal(s.count, 3);
  assert_non_null(strstr(s.source, "CI_NODE_INDEX"));
  assert_true(tj_shard_resolve_auto(&s, 4, fake_env, &err) < 0);
  set_env("CI_NODE_INDEX", "0", "CI_NODE_TOTAL", "3");
  assert_true(tj_shard_resolve_auto(&s, 0, fake_env, &err) < 0);
  set_env("CI_NODE_INDEX", "1", NULL, NULL);
  assert_true(tj_shard_resolve_auto(&s, 0, fake_env, &err) < 0);
  assert_non_null(strstr(err.msg, "CI_NODE_TOTAL"));
  set_env(NULL, NULL, NULL, NULL);
  assert_true(tj_shard_resolve_auto(&s, 3, fake_env, &err) < 0);
  assert_non_null(strstr(err.msg, "JOB_COMPLETION_INDEX"));
}

static void test_timings_file(void **state) {
  (void)state;
  char path[] = "/tmp/tj-shard-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("{\"testjail\":\"0.1\",\"mode\":\"test\",\"packages\":[{\"package\":\"a\",\"duration_ms\":12},"
        "{\"package\":\"b\",\"duration_ms\":null}]}",
        f);
  fclose(f);
  struct tj_shard_timings t;
  tj_error err = {0};
  assert_int_equal(tj_shard_timings_load(path, &t, &err), 0);
  assert_int_equal(t.n, 1);
  assert_string_equal(t.t[0].import_path, "a");
  assert_int_equal(t.t[0].ms, 12);
  tj_shard_timings_free(&t);
  const char *bad[] = {"not json", "{\"packages\":[]}", "{\"testjail\":\"0.1\",\"mode\":\"exec\"}",
                       "{\"testjail\":\"0.1\",\"packages\":[{\"duration_ms\":3}]}"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    f = fopen(path, "w");
    fputs(bad[i], f);
    fclose(f);
    assert_true(tj_shard_timings_load(path, &t, &err) < 0);
    assert_non_null(strstr(err.msg, path));
    assert_null(t.t);
  }
  unlink(path);
  assert_true(tj_shard_timings_load(path, &t, &err) < 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hash_split),   cmocka_unit_test(test_fnv1a), cmocka_unit_test(test_timings_balance),
      cmocka_unit_test(test_median),       cmocka_unit_test(test_parse), cmocka_unit_test(test_auto),
      cmocka_unit_test(test_timings_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
