/* GOMAXPROCS for the tests: who decides it, and the value, for each Go
 * release, GODEBUG and --cpus; DefaultGODEBUG read from a binary's build
 * info. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "go/gomaxprocs.h"

static struct tj_gmp decide(int minor, double cpus, int ncpu, bool sees) {
  struct tj_gmp_in in = {.go_minor = minor,
                         .cpu_quota_us = cpus < 0 ? -1 : (int64_t)(cpus * 100000),
                         .cpu_period_us = 100000,
                         .ncpu = ncpu,
                         .runtime_sees_cgroup = sees};
  struct tj_gmp g;
  tj_gomaxprocs_decide(&in, &g);
  return g;
}

static void test_no_cpus_is_the_cpu_count(void **state) {
  struct tj_gmp g = decide(26, -1, 8, true);
  assert_int_equal(g.value, 8);
  assert_int_equal(g.set, 0);
  assert_string_equal(g.source, "runtime (cpu count)");
  g = decide(19, -1, 0, false);
  assert_int_equal(g.value, -1);
}

static void test_old_go_gets_it_from_testjail(void **state) {
  struct tj_gmp g = decide(19, 1.5, 8, true);
  assert_int_equal(g.set, 2);
  assert_int_equal(g.value, 2);
  assert_string_equal(g.source, "testjail");
  assert_int_equal(decide(24, 0.5, 8, true).set, 1);
  assert_int_equal(decide(19, 16, 4, false).set, 4);
  assert_int_equal(decide(0, 3, 0, false).set, 3);
}

static void test_go125_runtime_reads_the_limit(void **state) {
  struct tj_gmp g = decide(25, 3, 8, true);
  assert_int_equal(g.set, 0);
  assert_int_equal(g.value, 3);
  assert_string_equal(g.source, "runtime (cgroup cpu limit)");
  assert_int_equal(decide(26, 1, 8, true).value, 2);   /* at least 2 */
  assert_int_equal(decide(26, 0.2, 1, true).value, 1); /* at most the CPUs */
  assert_int_equal(decide(26, 2.01, 8, true).value, 3);
}

static void test_go125_without_its_cgroup_testjail_stands_in(void **state) {
  struct tj_gmp g = decide(26, 1, 8, false);
  assert_int_equal(g.set, 2);
  assert_string_equal(g.source, "testjail");
  assert_non_null(g.note);
}

static void test_containermaxprocs_off(void **state) {
  struct tj_gmp_in in = {.go_minor = 26,
                         .cpu_quota_us = 100000,
                         .cpu_period_us = 100000,
                         .ncpu = 8,
                         .runtime_sees_cgroup = true,
                         .godebug_default = "asynctimerchan=1,containermaxprocs=0"};
  struct tj_gmp g;
  tj_gomaxprocs_decide(&in, &g);
  assert_int_equal(g.set, 1);
  assert_string_equal(g.source, "testjail");
  assert_non_null(strstr(g.note, "containermaxprocs=0"));
  in.godebug = "containermaxprocs=0,containermaxprocs=1"; /* the environment's wins, its last one */
  tj_gomaxprocs_decide(&in, &g);
  assert_int_equal(g.set, 0);
  assert_int_equal(g.value, 2);
}

static void test_user_value_wins(void **state) {
  struct tj_gmp_in in = {.go_minor = 19, .cpu_quota_us = 100000, .cpu_period_us = 100000, .ncpu = 2, .user = "6"};
  struct tj_gmp g;
  tj_gomaxprocs_decide(&in, &g);
  assert_int_equal(g.value, 6);
  assert_int_equal(g.set, 0);
  assert_string_equal(g.source, "env");
  in.user = "+3";
  in.user_inherited = true;
  tj_gomaxprocs_decide(&in, &g);
  assert_int_equal(g.value, 3);
  assert_string_equal(g.source, "inherited");
}

/* The runtime ignores what it cannot parse: the default applies, and
 * testjail leaves the user's setting alone. */
static void test_user_value_ignored(void **state) {
  static const char *const bad[] = {"", "0", "-2", "two", "3x", "99999999999"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct tj_gmp_in in = {.go_minor = 19, .cpu_quota_us = 100000, .cpu_period_us = 100000, .ncpu = 2, .user = bad[i]};
    struct tj_gmp g;
    tj_gomaxprocs_decide(&in, &g);
    assert_int_equal(g.set, 0);
    assert_int_equal(g.value, 2);
    assert_string_equal(g.source, "runtime (cpu count)");
    assert_non_null(g.note);
  }
}

static void test_godebug_get(void **state) {
  char v[16];
  assert_null(tj_godebug_get(NULL, "containermaxprocs", v, sizeof(v)));
  assert_null(tj_godebug_get("xcontainermaxprocs=0,containermaxprocsx=0", "containermaxprocs", v, sizeof(v)));
  assert_string_equal(tj_godebug_get("a=1,containermaxprocs=0,b=2", "containermaxprocs", v, sizeof(v)), "0");
  assert_string_equal(tj_godebug_get("containermaxprocs=0,,containermaxprocs=1", "containermaxprocs", v, sizeof(v)),
                      "1");
}

/* A 64-bit ELF with a .shstrtab and a .go.buildinfo section holding data. */
static void write_elf(const char *path, const char *data, size_t n) {
  static const char names[] = "\0.shstrtab\0.go.buildinfo";
  Elf64_Ehdr eh = {0};
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = 3;
  eh.e_shstrndx = 1;
  size_t names_off = sizeof(eh), data_off = names_off + sizeof(names);
  eh.e_shoff = data_off + n;
  Elf64_Shdr sh[3] = {{0},
                      {.sh_name = 1, .sh_offset = names_off, .sh_size = sizeof(names)},
                      {.sh_name = 11, .sh_offset = data_off, .sh_size = n}};
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fwrite(&eh, sizeof(eh), 1, f);
  fwrite(names, sizeof(names), 1, f);
  fwrite(data, n, 1, f);
  fwrite(sh, sizeof(sh), 1, f);
  fclose(f);
}

static void test_binary_godebug(void **state) {
  char path[] = "/tmp/tj-gmp-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  char buf[256];
  static const char info[] = "\xff Go buildinf:\x08\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                             "\x09go1.26.8\x60"
                             "0w\xaf\x0c\x92t\x08\x02"
                             "A\xe1\xc1\x07\xe9\xd9\xf2path\texample.com/x.test\n"
                             "build\t-compiler=gc\nbuild\tDefaultGODEBUG=containermaxprocs=0,updatemaxprocs=0\n"
                             "build\tGOOS=linux\n";
  write_elf(path, info, sizeof(info) - 1);
  assert_int_equal(tj_go_binary_godebug(path, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "containermaxprocs=0,updatemaxprocs=0");

  static const char plain[] = "\xff Go buildinf:\x08\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                              "path\tx\nbuild\tGOOS=linux\n";
  write_elf(path, plain, sizeof(plain) - 1);
  assert_int_equal(tj_go_binary_godebug(path, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "");

  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("#!/bin/sh\necho not a Go binary\n", f);
  fclose(f);
  assert_int_equal(tj_go_binary_godebug(path, buf, sizeof(buf)), -ENOEXEC);
  unlink(path);
  assert_int_equal(tj_go_binary_godebug(path, buf, sizeof(buf)), -ENOENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_cpus_is_the_cpu_count),
      cmocka_unit_test(test_old_go_gets_it_from_testjail),
      cmocka_unit_test(test_go125_runtime_reads_the_limit),
      cmocka_unit_test(test_go125_without_its_cgroup_testjail_stands_in),
      cmocka_unit_test(test_containermaxprocs_off),
      cmocka_unit_test(test_user_value_wins),
      cmocka_unit_test(test_user_value_ignored),
      cmocka_unit_test(test_godebug_get),
      cmocka_unit_test(test_binary_godebug),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
