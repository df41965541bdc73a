/* The device allow-list: its text form for a v1 devices cgroup, and the
 * BPF_CGROUP_DEVICE program built from it, run here on a small interpreter
 * of the instructions the builder uses, against the rules' own meaning. */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup/internal.h"

#define ACC_ALL (TJ_CG_DEV_READ | TJ_CG_DEV_WRITE | TJ_CG_DEV_MKNOD)

/* What the rules say: some rule covers the type, the numbers and every
 * access bit asked for. */
static int rules_allow(const struct tj_cg_dev_rule *r, size_t n, char type, uint32_t maj, uint32_t min, unsigned acc) {
  for (size_t i = 0; i < n; i++)
    if ((r[i].type == 'a' || r[i].type == type) && (r[i].major < 0 || (uint32_t)r[i].major == maj) &&
        (r[i].minor < 0 || (uint32_t)r[i].minor == min) && (acc & ~r[i].access) == 0)
      return 1;
  return 0;
}

/* The kernel's verdict, for the subset of eBPF the builder emits; fails the
 * test on anything else, on a jump out of the program or on a fall off its
 * end. */
static int run_prog(const struct bpf_insn *p, int n, char type, uint32_t maj, uint32_t min, unsigned acc) {
  struct bpf_cgroup_dev_ctx ctx = {
      .access_type = (acc << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
      .major = maj,
      .minor = min,
  };
  uint64_t reg[11] = {0};
  int pc = 0;
  for (int steps = 0; steps < 4096; steps++) {
    assert_in_range(pc, 0, n - 1);
    const struct bpf_insn *i = &p[pc++];
    uint64_t imm = (uint64_t)(int64_t)i->imm;
    switch (i->code) {
    case BPF_LDX | BPF_MEM | BPF_W:
      assert_int_equal(i->src_reg, BPF_REG_1);
      assert_in_range(i->off, 0, sizeof(ctx) - 4);
      assert_int_equal(i->off % 4, 0);
      reg[i->dst_reg] = *(uint32_t *)((char *)&ctx + i->off);
      break;
    case BPF_ALU64 | BPF_MOV | BPF_X:
      reg[i->dst_reg] = reg[i->src_reg];
      break;
    case BPF_ALU64 | BPF_MOV | BPF_K:
      reg[i->dst_reg] = imm;
      break;
    case BPF_ALU64 | BPF_AND | BPF_K:
      reg[i->dst_reg] &= imm;
      break;
    case BPF_ALU64 | BPF_RSH | BPF_K:
      reg[i->dst_reg] >>= i->imm;
      break;
    case BPF_JMP | BPF_JNE | BPF_K:
      if (reg[i->dst_reg] != imm)
        pc += i->off;
      break;
    case BPF_JMP | BPF_EXIT:
      return (int)reg[0];
    default:
      fail_msg("instruction %d: opcode 0x%02x not expected", pc - 1, i->code);
    }
  }
  fail_msg("the program did not end");
  return -1;
}

static void test_format(void **state) {
  (void)state;
  char buf[64];
  struct tj_cg_dev_rule null = {'c', 1, 3, ACC_ALL}, mk = {'b', -1, -1, TJ_CG_DEV_MKNOD},
                        pts = {'c', 136, -1, TJ_CG_DEV_READ | TJ_CG_DEV_WRITE};
  assert_int_equal(tj_cg_dev_rule_format(&null, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "c 1:3 rwm");
  assert_int_equal(tj_cg_dev_rule_format(&mk, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "b *:* m");
  assert_int_equal(tj_cg_dev_rule_format(&pts, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "c 136:* rw");
  assert_int_equal(tj_cg_dev_rule_format(&null, buf, 5), -ENAMETOOLONG);
}

/* runc's list: the nodes a sandbox needs, mknod of anything, nothing else. */
static void test_default_list(void **state) {
  (void)state;
  const struct tj_cg_dev_rule *r = tj_cg_dev_rules;
  size_t n = tj_cg_n_dev_rules;
  static const struct {
    uint32_t maj, min;
  } usable[] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}, {136, 0}, {136, 41}};
  for (size_t i = 0; i < sizeof(usable) / sizeof(usable[0]); i++)
    assert_true(rules_allow(r, n, 'c', usable[i].maj, usable[i].min, ACC_ALL));
  assert_true(rules_allow(r, n, 'b', 7, 0, TJ_CG_DEV_MKNOD));
  assert_true(rules_allow(r, n, 'c', 1, 1, TJ_CG_DEV_MKNOD));
  assert_false(rules_allow(r, n, 'b', 7, 0, TJ_CG_DEV_READ));
  assert_false(rules_allow(r, n, 'b', 8, 0, TJ_CG_DEV_WRITE));
  assert_false(rules_allow(r, n, 'b', 1, 3, TJ_CG_DEV_READ));    /* null's numbers, block type */
  assert_false(rules_allow(r, n, 'c', 1, 1, TJ_CG_DEV_READ));    /* /dev/mem */
  assert_false(rules_allow(r, n, 'c', 1, 11, TJ_CG_DEV_READ));   /* /dev/kmsg */
  assert_false(rules_allow(r, n, 'c', 5, 1, TJ_CG_DEV_READ));    /* /dev/console */
  assert_false(rules_allow(r, n, 'c', 10, 200, TJ_CG_DEV_READ)); /* /dev/net/tun */
  char buf[64];
  tj_cg_dev_rule_format(&r[0], buf, sizeof(buf));
  assert_string_equal(buf, "c *:* m");
}

/* Every type, number and access combination near the rules' edges gets the
 * same answer from the program as from the rules. */
static void check_program(const struct tj_cg_dev_rule *r, size_t n) {
  struct bpf_insn prog[256];
  int len = tj_cg_dev_bpf_build(r, n, prog, 256);
  assert_true(len > 0);
  static const uint32_t nums[] = {0, 1, 2, 3, 5, 7, 8, 9, 11, 136, 137, 0xffff, 0xfffff};
  const size_t nn = sizeof(nums) / sizeof(nums[0]);
  for (int t = 0; t < 2; t++)
    for (size_t a = 0; a < nn; a++)
      for (size_t b = 0; b < nn; b++)
        for (unsigned acc = 1; acc <= ACC_ALL; acc++) {
          char type = t ? 'b' : 'c';
          int want = rules_allow(r, n, type, nums[a], nums[b], acc);
          int got = run_prog(prog, len, type, nums[a], nums[b], acc);
          if (want != got)
            fail_msg("%c %u:%u access %u: program says %d, rules %d", type, nums[a], nums[b], acc, got, want);
        }
}

static void test_program_default_list(void **state) {
  (void)state;
  check_program(tj_cg_dev_rules, tj_cg_n_dev_rules);
}

static void test_program_other_lists(void **state) {
  (void)state;
  const struct tj_cg_dev_rule all[] = {{'a', -1, -1, ACC_ALL}};
  const struct tj_cg_dev_rule read_only[] = {{'b', 7, -1, TJ_CG_DEV_READ}, {'a', 1, 3, TJ_CG_DEV_WRITE}};
  check_program(all, 1);
  check_program(read_only, 2);
  check_program(NULL, 0); /* nothing allowed */
  struct bpf_insn prog[256];
  int len = tj_cg_dev_bpf_build(NULL, 0, prog, 256);
  assert_int_equal(run_prog(prog, len, 'c', 1, 3, TJ_CG_DEV_READ), 0);
}

static void test_program_too_long(void **state) {
  (void)state;
  struct bpf_insn prog[10];
  assert_int_equal(tj_cg_dev_bpf_build(tj_cg_dev_rules, tj_cg_n_dev_rules, prog, 10), -ENOSPC);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format),
      cmocka_unit_test(test_default_list),
      cmocka_unit_test(test_program_default_list),
      cmocka_unit_test(test_program_other_lists),
      cmocka_unit_test(test_program_too_long),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
