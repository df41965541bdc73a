/* Pure parts of the cgroup layer: no root, no cgroupfs. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup/internal.h"
#include "common/util.h"

static const char hybrid[] = "9:name=systemd:/\n"
                             "8:pids:/\n"
                             "4:memory:/process_api/095d8c91e694cf1b622763c2b8816d3d\n"
                             "2:cpuacct:/\n"
                             "1:cpu:/\n"
                             "0::/\n";

static const char v1_comounted[] = "12:cpu,cpuacct:/user.slice\n"
                                   "5:memory:/user.slice/user-0.slice/session-1.scope\n"
                                   "1:name=systemd:/user.slice/user-0.slice/session-1.scope\n";

static const char v2[] = "0::/user.slice/user-1000.slice/session-2.scope\n";

static void test_proc_cgroup_hybrid(void **state) {
  (void)state;
  char p[256];
  assert_int_equal(tj_cg_proc_cgroup_find(hybrid, "memory", p, sizeof(p)), 0);
  assert_string_equal(p, "/process_api/095d8c91e694cf1b622763c2b8816d3d");
  assert_int_equal(tj_cg_proc_cgroup_find(hybrid, "pids", p, sizeof(p)), 0);
  assert_string_equal(p, "/");
  assert_int_equal(tj_cg_proc_cgroup_find(hybrid, NULL, p, sizeof(p)), 0);
  assert_string_equal(p, "/");
  assert_int_equal(tj_cg_proc_cgroup_find(hybrid, "name=systemd", p, sizeof(p)), 0);
  assert_string_equal(p, "/");
  assert_int_equal(tj_cg_proc_cgroup_find(hybrid, "blkio", p, sizeof(p)), -ENOENT);
  /* "cpu" must not match "cpuacct" and the other way round. */
  assert_int_equal(tj_cg_proc_cgroup_find("2:cpuacct:/a\n1:cpu:/b\n", "cpu", p, sizeof(p)), 0);
  assert_string_equal(p, "/b");
}

static void test_proc_cgroup_v1(void **state) {
  (void)state;
  char p[256];
  assert_int_equal(tj_cg_proc_cgroup_find(v1_comounted, "cpuacct", p, sizeof(p)), 0);
  assert_string_equal(p, "/user.slice");
  assert_int_equal(tj_cg_proc_cgroup_find(v1_comounted, "cpu", p, sizeof(p)), 0);
  assert_string_equal(p, "/user.slice");
  assert_int_equal(tj_cg_proc_cgroup_find(v1_comounted, "memory", p, sizeof(p)), 0);
  assert_string_equal(p, "/user.slice/user-0.slice/session-1.scope");
  /* Pure v1: no v2 line. */
  assert_int_equal(tj_cg_proc_cgroup_find(v1_comounted, "", p, sizeof(p)), -ENOENT);
  assert_int_equal(tj_cg_proc_cgroup_find(v1_comounted, "pids", p, sizeof(p)), -ENOENT);
}

static void test_proc_cgroup_v2(void **state) {
  (void)state;
  char p[256];
  assert_int_equal(tj_cg_proc_cgroup_find(v2, NULL, p, sizeof(p)), 0);
  assert_string_equal(p, "/user.slice/user-1000.slice/session-2.scope");
  assert_int_equal(tj_cg_proc_cgroup_find(v2, "memory", p, sizeof(p)), -ENOENT);
  /* No trailing newline, a colon inside the path, too small a buffer. */
  assert_int_equal(tj_cg_proc_cgroup_find("0::/a:b", NULL, p, sizeof(p)), 0);
  assert_string_equal(p, "/a:b");
  assert_int_equal(tj_cg_proc_cgroup_find(v2, NULL, p, 8), -ENAMETOOLONG);
  assert_int_equal(tj_cg_proc_cgroup_find("", NULL, p, sizeof(p)), -ENOENT);
  assert_int_equal(tj_cg_proc_cgroup_find("garbage\n0:/x\n", NULL, p, sizeof(p)), -ENOENT);
}

static void test_keyed(void **state) {
  (void)state;
  const char *events = "low 0\nhigh 0\nmax 17\noom 2\noom_kill 1\noom_group_kill 0\n";
  int64_t v = -1;
  assert_int_equal(tj_cg_keyed_get(events, "oom_kill", &v), 0);
  assert_int_equal(v, 1);
  assert_int_equal(tj_cg_keyed_get(events, "oom", &v), 0);
  assert_int_equal(v, 2);
  assert_int_equal(tj_cg_keyed_get(events, "max", &v), 0);
  assert_int_equal(v, 17);
  assert_int_equal(tj_cg_keyed_get(events, "oom_group", &v), -ENOENT);
  assert_int_equal(tj_cg_keyed_get(events, "swap", &v), -ENOENT);

  const char *oom_control = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
  assert_int_equal(tj_cg_keyed_get(oom_control, "oom_kill", &v), 0);
  assert_int_equal(v, 3);

  assert_int_equal(tj_cg_keyed_get("max 0", "max", &v), 0);
  assert_int_equal(v, 0);

  const char *cpu_stat = "usage_usec 123456789\nuser_usec 1\nsystem_usec 2\n"
                         "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n";
  assert_int_equal(tj_cg_keyed_get(cpu_stat, "usage_usec", &v), 0);
  assert_int_equal(v, 123456789);

  assert_int_equal(tj_cg_keyed_get("populated 1\nfrozen 0\n", "populated", &v), 0);
  assert_int_equal(v, 1);
  assert_int_equal(tj_cg_keyed_get("max x\n", "max", &v), -EINVAL);
  assert_int_equal(tj_cg_keyed_get("", "max", &v), -ENOENT);
}

static void test_parse_int(void **state) {
  (void)state;
  int64_t v;
  assert_int_equal(tj_cg_parse_int("67108864\n", &v), 0);
  assert_int_equal(v, 67108864);
  assert_int_equal(tj_cg_parse_int("max\n", &v), 0);
  assert_true(v == INT64_MAX);
  assert_int_equal(tj_cg_parse_int("-1\n", &v), 0);
  assert_int_equal(v, -1);
  assert_int_equal(tj_cg_parse_int("", &v), -EINVAL);
  assert_int_equal(tj_cg_parse_int("12 34", &v), -EINVAL);
  assert_int_equal(tj_cg_parse_int("99999999999999999999", &v), -EINVAL);
}

/* A file of each length around the reader's first buffer (4096) and
 * several times it reads back whole. */
static void test_read_all(void **state) {
  (void)state;
  char dir[] = "/tmp/tj-test-cgroup-XXXXXX";
  assert_non_null(mkdtemp(dir));
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true(dfd >= 0);
  const size_t lens[] = {0, 1, 4094, 4095, 4096, 4097, 8191, 20000};
  char *want = malloc(20001);
  assert_non_null(want);
  for (size_t i = 0; i < 20000; i++)
    want[i] = i % 7 == 6 ? '\n' : (char)('0' + i % 10);
  for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
    int fd = openat(dfd, "cgroup.procs", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, want, lens[i]), (ssize_t)lens[i]);
    close(fd);
    char *got = NULL;
    assert_int_equal(tj_cg_read_all_at(dfd, "cgroup.procs", &got), 0);
    assert_int_equal(strlen(got), lens[i]);
    assert_memory_equal(got, want, lens[i]);
    free(got);
  }
  char *none = NULL;
  assert_int_equal(tj_cg_read_all_at(dfd, "missing", &none), -ENOENT);
  assert_null(none);
  assert_int_equal(unlinkat(dfd, "cgroup.procs", 0), 0);
  close(dfd);
  assert_int_equal(rmdir(dir), 0);
  free(want);
}

/* mountinfo writes a blank, tab, newline or backslash in a path as \ooo. */
static void test_mountinfo_escapes(void **state) {
  (void)state;
  char mi[] = "30 25 0:26 /a\\134b /sys/fs/cgroup/my\\040cg rw shared:4 - cgroup2 cgroup2 rw\n";
  char dir[256];
  assert_int_equal(tj_cg_mountinfo_find(mi, NULL, "/a\\b/c", dir, sizeof(dir)), 0);
  assert_string_equal(dir, "/sys/fs/cgroup/my cg/c");
  char s[] = "tab\\011nl\\012\\400\\08\\1";
  tj_unescape_octal(s);
  assert_string_equal(s, "tab\tnl\n\\400\\08\\1"); /* past \377, not octal, cut short: as they are */
}

static void test_list_has(void **state) {
  (void)state;
  assert_true(tj_cg_list_has("cpuset cpu io memory pids\n", "memory"));
  assert_true(tj_cg_list_has("cpuset cpu io memory pids\n", "pids"));
  assert_true(tj_cg_list_has("cpuset cpu io memory pids\n", "cpu"));
  assert_false(tj_cg_list_has("cpuset io memory\n", "cpu"));
  assert_false(tj_cg_list_has("", "memory"));
  assert_false(tj_cg_list_has("\n", "memory"));
}

static void test_name_roundtrip(void **state) {
  (void)state;
  char name[TJ_CG_NAME_MAX];
  assert_int_equal(tj_cg_make_name(name, sizeof(name), 4242, 987654321ULL, 0xdeadbeef01234567ULL), 0);
  assert_string_equal(name, "testjail-4242-987654321-deadbeef01234567");
  pid_t pid;
  unsigned long long start;
  assert_true(tj_cg_parse_name(name, &pid, &start));
  assert_int_equal(pid, 4242);
  assert_true(start == 987654321ULL);

  assert_int_equal(tj_cg_make_name(name, 10, 1, 2, 3), -ENAMETOOLONG);
  /* Small random part: still 16 hex digits. */
  assert_int_equal(tj_cg_make_name(name, sizeof(name), 1, 0, 5), 0);
  assert_string_equal(name, "testjail-1-0-0000000000000005");
}

static void test_name_rejects(void **state) {
  (void)state;
  pid_t pid;
  unsigned long long start;
  const char *bad[] = {
      "testjail",
      "testjail-",
      "testjail-12",
      "testjail-12-34",
      "testjail-12-34-",
      "testjail-0-34-ab",    /* pid 0 */
      "testjail--1-34-ab",   /* sign */
      "testjail-12-34-xyz",  /* not hex */
      "testjail-12-34-ABCD", /* upper case is not ours */
      "testjail-12-34-ab/c",
      "testjail-99999999999-1-ab", /* pid overflow */
      "testjail-12-99999999999999999999999-ab",
      "testjail-12-34-0123456789abcdef0123456789abcdef0", /* 33 hex */
      "Testjail-12-34-ab",
      "other-12-34-ab",
      "testjail-12-34-ab ",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (tj_cg_parse_name(bad[i], &pid, &start))
      fail_msg("accepted %s", bad[i]);
  assert_true(tj_cg_parse_name("testjail-1-0-a", &pid, &start));
}

static void test_stat_starttime(void **state) {
  (void)state;
  unsigned long long st;
  char st_state = 0;
  /* comm with spaces and a ')' inside: only the last ')' ends it. */
  const char *stat = "4242 (a b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 "
                     "1 2 0 0 20 0 1 0 7777 12345 100 18446744073709551615\n";
  assert_int_equal(tj_cg_stat_parse(stat, &st_state, &st), 0);
  assert_true(st == 7777ULL);
  assert_int_equal(st_state, 'S');
  const char *real = "1 (systemd) Z 0 1 1 0 -1 4194560 50000 100000 90 300 "
                     "100 200 300 400 20 0 1 0 12 170000000 3000 "
                     "18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 "
                     "17 0 0 0 0 0 0\n";
  assert_int_equal(tj_cg_stat_parse(real, &st_state, &st), 0);
  assert_true(st == 12ULL);
  assert_int_equal(st_state, 'Z');
  assert_int_equal(tj_cg_stat_parse(real, NULL, &st), 0);
  assert_int_equal(tj_cg_stat_parse("1 (x) S 0 1", &st_state, &st), -EINVAL);
  assert_int_equal(tj_cg_stat_parse("1 (x)", &st_state, &st), -EINVAL);
  assert_int_equal(tj_cg_stat_parse("no paren", &st_state, &st), -EINVAL);
}

static void test_self_name(void **state) {
  (void)state;
  /* Reads /proc/self/stat, which any user can. */
  char name[TJ_CG_NAME_MAX], other[TJ_CG_NAME_MAX];
  tj_error err = {0};
  assert_int_equal(tj_cg_new_name(name, sizeof(name), &err), 0);
  assert_int_equal(tj_cg_new_name(other, sizeof(other), &err), 0);
  assert_string_not_equal(name, other);
  assert_true(tj_cg_name_is_mine(name));
  assert_false(tj_cg_name_is_stale(name));

  pid_t pid;
  unsigned long long start;
  assert_true(tj_cg_parse_name(name, &pid, &start));
  /* Same pid, another start time: the pid was reused, the owner is gone. */
  char reused[TJ_CG_NAME_MAX];
  uint64_t rnd = strtoull(strrchr(name, '-') + 1, NULL, 16);
  tj_cg_make_name(reused, sizeof(reused), pid, start + 1, rnd);
  assert_false(tj_cg_name_is_mine(reused));
  assert_true(tj_cg_name_is_stale(reused));
  /* The same, named in another pid namespace: pids there mean nothing here. */
  tj_cg_make_name(reused, sizeof(reused), pid, start + 1, rnd ^ (1ull << 40));
  assert_false(tj_cg_name_is_stale(reused));
  assert_false(tj_cg_name_is_stale("not-ours"));
}

/* ---- no cgroup: the refusal line and the "none" run cgroup ---- */

static void test_limits_any(void **state) {
  (void)state;
  struct tj_cg_limits none = {-1, -1, -1, -1, false};
  assert_false(tj_cg_limits_any(&none));
  assert_false(tj_cg_limits_any(NULL));
  /* A period alone is no limit: cpu.max without a quota is "max". */
  struct tj_cg_limits period = {-1, -1, -1, 100000, false};
  assert_false(tj_cg_limits_any(&period));
  struct tj_cg_limits mem0 = {0, -1, -1, -1, false};
  assert_true(tj_cg_limits_any(&mem0));
  struct tj_cg_limits pids = {-1, 10, -1, -1, false};
  assert_true(tj_cg_limits_any(&pids));
  struct tj_cg_limits cpu = {-1, -1, 50000, 100000, false};
  assert_true(tj_cg_limits_any(&cpu));
}

static void test_refusal_one_option(void **state) {
  (void)state;
  char buf[512];
  struct tj_cg_limits mem = {64 << 20, -1, -1, -1, false};
  tj_cg_refusal(buf, sizeof(buf), &mem, TJ_CG_V2, "our cgroup X is not delegated to uid 1000");
  assert_string_equal(buf, "--memory needs a cgroup, and no delegated cgroup v2 subtree: our "
                           "cgroup X is not delegated to uid 1000: run under `systemd-run "
                           "--user --scope -p Delegate=yes testjail ...`, or as root");
  assert_null(strchr(buf, '\n'));
}

static void test_refusal_several_options(void **state) {
  (void)state;
  char buf[512];
  struct tj_cg_limits all = {1 << 20, 5, 50000, 100000, false};
  tj_cg_refusal(buf, sizeof(buf), &all, TJ_CG_V2, "why");
  assert_non_null(
      strstr(buf, "--memory, --pids-limit and --cpus need a cgroup, and no delegated cgroup v2 subtree: why: "));
  struct tj_cg_limits two = {-1, 5, 50000, 100000, false};
  tj_cg_refusal(buf, sizeof(buf), &two, TJ_CG_V2, "why");
  assert_non_null(strstr(buf, "--pids-limit and --cpus need a cgroup"));
}

static void test_refusal_hybrid_needs_v2_first(void **state) {
  (void)state;
  char buf[512];
  struct tj_cg_limits pids = {-1, 5, -1, -1, false};
  tj_cg_refusal(buf, sizeof(buf), &pids, TJ_CG_HYBRID, "this host has hybrid cgroups");
  /* systemd delegates cgroup v2 only: the user's way out starts there. */
  assert_non_null(strstr(buf, "boot with systemd.unified_cgroup_hierarchy=1 and run under "
                              "`systemd-run --user --scope -p Delegate=yes testjail ...`, or as root"));
  tj_cg_refusal(buf, sizeof(buf), &pids, TJ_CG_V2, "w");
  assert_null(strstr(buf, "unified_cgroup_hierarchy"));
}

static void test_none_cgroup(void **state) {
  (void)state;
  tj_cgroup *cg = NULL;
  tj_error err = {0};
  assert_int_equal(tj_cg_none_new(&cg, &err), 0);
  assert_non_null(cg);
  assert_true(tj_cg_is_none(cg));
  assert_int_equal(tj_cg_mode_of(cg), TJ_CG_NONE);
  assert_string_equal(tj_cg_mode_name(TJ_CG_NONE), "none");
  assert_int_equal(tj_cg_clone_fd(cg), -1);
  assert_int_equal(tj_cg_enter(cg), 0);
  assert_string_equal(tj_cg_path(cg), "");
  assert_false(tj_cg_needs_sampling(cg));
  tj_cg_sample(cg);

  struct tj_cg_stats st;
  memset(&st, 0, sizeof(st));
  assert_int_equal(tj_cg_stats(cg, &st, &err), 0);
  const int64_t *f = (const int64_t *)&st;
  for (size_t i = 0; i < offsetof(struct tj_cg_stats, memory_peak_from) / sizeof(int64_t); i++)
    assert_int_equal(f[i], -1); /* unknown, never a made-up 0 */
  assert_null(st.memory_peak_from);

  struct tj_cg_sample s;
  memset(&s, 0, sizeof(s));
  tj_cg_sample_read(cg, &s);
  assert_int_equal(s.memory_bytes, -1);
  assert_int_equal(s.pids, -1);
  assert_int_equal(s.oom_kills, -1);
  assert_int_equal(s.psi_some_us, -1);
  assert_int_equal(s.psi_full_us, -1);
  assert_int_equal(s.memory_peak_bytes, -1);

  assert_int_equal(tj_cg_kill_all(cg, &err), 0);
  assert_int_equal(tj_cg_destroy(cg, &err), 0);
  assert_int_equal(err.code, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_proc_cgroup_hybrid),
      cmocka_unit_test(test_proc_cgroup_v1),
      cmocka_unit_test(test_proc_cgroup_v2),
      cmocka_unit_test(test_keyed),
      cmocka_unit_test(test_parse_int),
      cmocka_unit_test(test_read_all),
      cmocka_unit_test(test_mountinfo_escapes),
      cmocka_unit_test(test_list_has),
      cmocka_unit_test(test_name_roundtrip),
      cmocka_unit_test(test_name_rejects),
      cmocka_unit_test(test_stat_starttime),
      cmocka_unit_test(test_self_name),
      cmocka_unit_test(test_limits_any),
      cmocka_unit_test(test_refusal_one_option),
      cmocka_unit_test(test_refusal_several_options),
      cmocka_unit_test(test_refusal_hybrid_needs_v2_first),
      cmocka_unit_test(test_none_cgroup),
  };
  return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
