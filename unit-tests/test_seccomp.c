/* The seccomp translation's decisions: includes/excludes, errno choice,
 * argument splitting, the supervisor's answer, and what the filter builder
 * skips; the caps a spec gives; the verdict's seccomp lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runner/caps.h"
#include "../runner/cli.h"
#include "../runner/profile.h"
#include "../runner/seccomp.h"
#include "../runner/verdict.h"

static char *names_ptrace[] = {"ptrace"};
static char *names_clone3[] = {"clone3"};
static char *names_personality[] = {"personality"};
static char *caps_admin[] = {"CAP_SYS_ADMIN"};
static char *caps_two[] = {"CAP_SYS_ADMIN", "CAP_NET_ADMIN"};
static char *arch_amd64[] = {"amd64"};
static char *arch_arm64[] = {"arm64"};

static struct tj_sc_env env_with(uint64_t caps) {
  struct tj_sc_env e = {.caps = caps, .native_arch = SCMP_ARCH_X86_64, .kernel_major = 5, .kernel_minor = 10};
  return e;
}

static void test_includes_caps_need_all(void **state) {
  struct tj_sc_rule r = {.names = names_ptrace, .n_names = 1, .action = TJ_SC_ALLOW};
  r.includes.caps = caps_two;
  r.includes.n_caps = 2;
  struct tj_sc_env e = env_with(1ULL << CAP_SYS_ADMIN);
  assert_false(tj_sc_rule_active(&r, &e));
  e.caps |= 1ULL << CAP_NET_ADMIN;
  assert_true(tj_sc_rule_active(&r, &e));
}

static void test_excludes_caps_any(void **state) {
  struct tj_sc_rule r = {.names = names_clone3, .n_names = 1, .action = TJ_SC_ERRNO};
  r.excludes.caps = caps_admin;
  r.excludes.n_caps = 1;
  struct tj_sc_env e = env_with(0);
  assert_true(tj_sc_rule_active(&r, &e));
  e.caps = 1ULL << CAP_SYS_ADMIN;
  assert_false(tj_sc_rule_active(&r, &e));
}

static void test_arches_and_kernel(void **state) {
  struct tj_sc_rule r = {.names = names_ptrace, .n_names = 1, .action = TJ_SC_ALLOW};
  struct tj_sc_env e = env_with(0);
  r.includes.arches = arch_amd64;
  r.includes.n_arches = 1;
  assert_true(tj_sc_rule_active(&r, &e));
  r.includes.arches = arch_arm64;
  assert_false(tj_sc_rule_active(&r, &e));
  r.includes.n_arches = 0;
  r.excludes.arches = arch_amd64;
  r.excludes.n_arches = 1;
  assert_false(tj_sc_rule_active(&r, &e));
  r.excludes.n_arches = 0;
  r.includes.min_kernel_major = 4;
  r.includes.min_kernel_minor = 8;
  assert_true(tj_sc_rule_active(&r, &e)); /* 5.10 >= 4.8 */
  r.includes.min_kernel_major = 5;
  r.includes.min_kernel_minor = 11;
  assert_false(tj_sc_rule_active(&r, &e));
  r.includes.min_kernel_major = 0;
  r.includes.min_kernel_minor = 0;
  r.excludes.min_kernel_major = 5;
  r.excludes.min_kernel_minor = 10;
  assert_false(tj_sc_rule_active(&r, &e)); /* excluded from 5.10 on */
}

static void test_errno_choice(void **state) {
  struct tj_sc_policy p = {.default_action = TJ_SC_ERRNO};
  struct tj_sc_rule r = {.action = TJ_SC_ERRNO};
  assert_int_equal(tj_sc_errno(&p, NULL), EPERM);
  assert_int_equal(tj_sc_errno(&p, &r), EPERM);
  p.has_default_errno = true;
  p.default_errno = ENOSYS; /* podman's defaultErrnoRet 38 */
  assert_int_equal(tj_sc_errno(&p, NULL), ENOSYS);
  assert_int_equal(tj_sc_errno(&p, &r), ENOSYS);
  r.has_errno = true;
  r.errno_ret = EACCES;
  assert_int_equal(tj_sc_errno(&p, &r), EACCES);
}

static void test_kernel_actions(void **state) {
  assert_int_equal(tj_sc_kernel_action(TJ_SC_ERRNO, 1), SCMP_ACT_NOTIFY);
  assert_int_equal(tj_sc_kernel_action(TJ_SC_KILL_PROCESS, 0), SCMP_ACT_NOTIFY);
  assert_int_equal(tj_sc_kernel_action(TJ_SC_KILL_THREAD, 0), SCMP_ACT_NOTIFY);
  assert_int_equal(tj_sc_kernel_action(TJ_SC_ALLOW, 0), SCMP_ACT_ALLOW);
  assert_int_equal(tj_sc_kernel_action(TJ_SC_LOG, 0), SCMP_ACT_LOG);
  assert_int_equal(tj_sc_kernel_action(TJ_SC_TRAP, 0), SCMP_ACT_TRAP);
  assert_int_equal(tj_sc_kernel_action(TJ_SC_TRACE, 7), SCMP_ACT_TRACE(7));
}

static void test_arg_splitting(void **state) {
  /* Docker's personality rules: one value each. Two values on arg0 in one
   * rule are an OR: two sets; with one comparison on arg1, each set has it. */
  struct tj_sc_arg a[] = {{.index = 0, .value = 0, .op = TJ_SC_EQ},
                          {.index = 0, .value = 8, .op = TJ_SC_EQ},
                          {.index = 1, .value = 3, .op = TJ_SC_NE}};
  assert_int_equal(tj_sc_arg_sets(a, 0), 0);
  assert_int_equal(tj_sc_arg_sets(a, 1), 1);
  assert_int_equal(tj_sc_arg_sets(a, 2), 2);
  assert_int_equal(tj_sc_arg_sets(a, 3), 2);
  struct tj_sc_arg set[6];
  assert_int_equal(tj_sc_arg_set(a, 3, 0, set), 2);
  assert_int_equal(set[0].value, 0);
  assert_int_equal(set[1].index, 1);
  assert_int_equal(tj_sc_arg_set(a, 3, 1, set), 2);
  assert_int_equal(set[0].value, 8);
  assert_int_equal(set[1].index, 1);
  struct tj_sc_arg b[] = {{.index = 0, .value = 1}, {.index = 0, .value = 2}, {.index = 2, .value = 1},
                          {.index = 2, .value = 2}, {.index = 2, .value = 3}};
  assert_int_equal(tj_sc_arg_sets(b, 5), 6);
}

static void test_arg_matches(void **state) {
  struct tj_sc_arg m = {.index = 0, .value = 0x10000000, .value_two = 0x10000000, .op = TJ_SC_MASKED_EQ};
  assert_true(tj_sc_arg_matches(&m, 0x10000000 | 0x20000));
  assert_false(tj_sc_arg_matches(&m, 0x20000));
  struct tj_sc_arg le = {.value = 5, .op = TJ_SC_LE};
  assert_true(tj_sc_arg_matches(&le, 5));
  assert_false(tj_sc_arg_matches(&le, 6));
}

/* default ERRNO 1; ptrace ERRNO EACCES; clone3 ERRNO (EPERM by default);
 * personality allowed for 0 and 8 (two comparisons on arg0); an unknown name. */
static char *names_unknown[] = {"no_such_syscall_tj", "getpid"};
static char *names_getpid[] = {"getpid"};
static struct tj_sc_arg pers_args[] = {{.index = 0, .value = 0, .op = TJ_SC_EQ}, {.index = 0, .value = 8, .op = TJ_SC_EQ}};
static struct tj_sc_rule rules[] = {
    {.names = names_ptrace, .n_names = 1, .action = TJ_SC_ERRNO, .has_errno = true, .errno_ret = EACCES},
    {.names = names_clone3, .n_names = 1, .action = TJ_SC_ERRNO},
    {.names = names_personality, .n_names = 1, .action = TJ_SC_ALLOW, .args = pers_args, .n_args = 2},
    {.names = names_unknown, .n_names = 2, .action = TJ_SC_ALLOW},
    {.names = names_getpid, .n_names = 1, .action = TJ_SC_KILL_PROCESS},
};

static struct tj_sc_policy policy(void) {
  struct tj_sc_policy p = {.default_action = TJ_SC_ERRNO, .rules = rules, .n_rules = 4, .name = "unit"};
  return p;
}

static void test_plan_skips_unknown_names(void **state) {
  struct tj_sc_policy p = policy();
  struct tj_sc_env e = env_with(0);
  struct tj_sc_plan plan;
  tj_error err = {0};
  assert_int_equal(tj_sc_plan_init(&plan, &p, &e, &err), 0);
  assert_int_equal(plan.n_skipped, 1);
  assert_string_equal(plan.skipped[0], "no_such_syscall_tj");
  /* Every rule becomes a kernel rule: the known names, the OR split of
   * personality's two values, the ERRNO rules skipped (their action is the
   * default's NOTIFY: libseccomp would say -EACCES) but read by the
   * supervisor. */
  int n = tj_sc_build_count(&plan, &err);
  assert_true(n >= 2);
  tj_sc_plan_free(&plan);
}

static void test_plan_arches(void **state) {
  char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"};
  struct tj_sc_policy p = policy();
  p.arches = arches;
  p.n_arches = 4;
  struct tj_sc_env e = env_with(0);
  struct tj_sc_plan plan;
  tj_error err = {0};
  assert_int_equal(tj_sc_plan_init(&plan, &p, &e, &err), 0);
  assert_int_equal(plan.n_arches, 2); /* x86 and x32 run here; aarch64 does not */
  assert_true(tj_sc_build_count(&plan, &err) >= 2);
  tj_sc_plan_free(&plan);
}

static void test_decide(void **state) {
  struct tj_sc_policy p = policy();
  p.n_rules = 5;
  struct tj_sc_env e = env_with(0);
  struct tj_sc_plan plan;
  tj_error err = {0};
  assert_int_equal(tj_sc_plan_init(&plan, &p, &e, &err), 0);
  uint64_t args[6] = {0};
  struct tj_sc_decision d;
  uint32_t a = SCMP_ARCH_X86_64;
  tj_sc_decide(&plan, a, seccomp_syscall_resolve_name_arch(a, "ptrace"), args, &d);
  assert_int_equal(d.action, TJ_SC_ERRNO);
  assert_int_equal(d.err, EACCES);
  /* clone3: ENOSYS whatever the profile says, so glibc falls back to clone */
  tj_sc_decide(&plan, a, seccomp_syscall_resolve_name_arch(a, "clone3"), args, &d);
  assert_int_equal(d.err, ENOSYS);
  assert_true(d.enosys);
  /* the default: EPERM */
  tj_sc_decide(&plan, a, seccomp_syscall_resolve_name_arch(a, "mount"), args, &d);
  assert_int_equal(d.action, TJ_SC_ERRNO);
  assert_int_equal(d.err, EPERM);
  assert_null(d.rule);
  assert_false(d.enosys);
  /* a number libseccomp does not know: ENOSYS */
  tj_sc_decide(&plan, a, 1000, args, &d);
  assert_int_equal(d.err, ENOSYS);
  /* a kill action */
  tj_sc_decide(&plan, a, seccomp_syscall_resolve_name_arch(a, "getpid"), args, &d);
  assert_int_equal(d.action, TJ_SC_KILL_PROCESS);
  /* personality(0x20000) matches neither allowed value: the default */
  args[0] = 0x20000;
  tj_sc_decide(&plan, a, seccomp_syscall_resolve_name_arch(a, "personality"), args, &d);
  assert_int_equal(d.err, EPERM);
  tj_sc_plan_free(&plan);
}

static void test_rule_equal_to_default_is_skipped(void **state) {
  /* default ALLOW and an ALLOW rule: libseccomp would refuse it (-EACCES) */
  static char *n[] = {"read"};
  struct tj_sc_rule r[] = {{.names = n, .n_names = 1, .action = TJ_SC_ALLOW}};
  struct tj_sc_policy p = {.default_action = TJ_SC_ALLOW, .rules = r, .n_rules = 1};
  struct tj_sc_env e = env_with(0);
  struct tj_sc_plan plan;
  tj_error err = {0};
  assert_int_equal(tj_sc_plan_init(&plan, &p, &e, &err), 0);
  assert_int_equal(tj_sc_build_count(&plan, &err), 0);
  tj_sc_plan_free(&plan);
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  char *buf = malloc(1 << 20);
  *len = fread(buf, 1, (1 << 20) - 1, f);
  buf[*len] = 0;
  fclose(f);
  return buf;
}

/* Docker's profile: ptrace allowed from 4.8 on, the CAP_SYS_ADMIN group only
 * with that capability, clone3 ENOSYS without it. */
static void test_docker_profile(void **state) {
  size_t len = 0;
  char *text = read_all("unit-tests/data/moby-profiles-seccomp-default.json", &len);
  assert_non_null(text);
  struct tj_sc_policy p;
  tj_error err = {0};
  assert_int_equal(tj_sc_policy_parse(text, len, "moby", &p, &err), 0);
  free(text);
  struct tj_sc_env e = env_with(tj_caps_docker_default());
  struct tj_sc_plan plan;
  assert_int_equal(tj_sc_plan_init(&plan, &p, &e, &err), 0);
  assert_true(tj_sc_build_count(&plan, &err) > 300);
  uint64_t args[6] = {0};
  struct tj_sc_decision d;
  uint32_t a = SCMP_ARCH_X86_64;
  tj_sc_decide(&plan, a, seccomp_syscall_resolve_name_arch(a, "clone3"), args, &d);
  assert_int_equal(d.err, ENOSYS);
  assert_non_null(d.rule); /* Docker's own errnoRet 38 rule */
  tj_sc_decide(&plan, a, seccomp_syscall_resolve_name_arch(a, "mount"), args, &d);
  assert_int_equal(d.err, EPERM);
  bool mount_allowed = false;
  for (size_t i = 0; i < p.n_rules; i++)
    for (size_t j = 0; j < p.rules[i].n_names; j++)
      if (strcmp(p.rules[i].names[j], "mount") == 0 && p.rules[i].action == TJ_SC_ALLOW)
        mount_allowed |= plan.active[i];
  assert_false(mount_allowed);
  tj_sc_plan_free(&plan);
  e.caps |= 1ULL << CAP_SYS_ADMIN;
  assert_int_equal(tj_sc_plan_init(&plan, &p, &e, &err), 0);
  mount_allowed = false;
  for (size_t i = 0; i < p.n_rules; i++)
    for (size_t j = 0; j < p.rules[i].n_names; j++)
      if (strcmp(p.rules[i].names[j], "mount") == 0 && p.rules[i].action == TJ_SC_ALLOW)
        mount_allowed |= plan.active[i];
  assert_true(mount_allowed);
  tj_sc_plan_free(&plan);
  tj_sc_policy_free(&p);
}

static void test_cap_names(void **state) {
  assert_int_equal(tj_cap_from_name("NET_RAW"), CAP_NET_RAW);
  assert_int_equal(tj_cap_from_name("cap_net_raw"), CAP_NET_RAW);
  assert_int_equal(tj_cap_from_name("Cap_Sys_Ptrace"), CAP_SYS_PTRACE);
  assert_int_equal(tj_cap_from_name("NO_SUCH_CAP"), -1);
  assert_int_equal(tj_cap_from_name(""), -1);
  char buf[48];
  tj_cap_name(CAP_NET_RAW, buf, sizeof(buf));
  assert_string_equal(buf, "CAP_NET_RAW");
}

static void test_spec_caps(void **state) {
  struct tj_spec s;
  tj_spec_defaults(&s);
  assert_int_equal(tj_spec_caps(&s), 0); /* exec and init: none */
  s.root_default_caps = true;          /* the test phase, as root */
  assert_int_equal(tj_spec_caps(&s), tj_caps_docker_default());
  s.has_user = true;
  s.uid = 1000;
  assert_int_equal(tj_spec_caps(&s), 0);
  s.has_user = false;
  tj_error err = {0};
  assert_int_equal(tj_cli_sandbox_option(&s, 312, "ALL", &err), 0);
  assert_int_equal(tj_spec_caps(&s), 0);
  assert_int_equal(tj_cli_sandbox_option(&s, 311, "net_raw", &err), 0);
  assert_int_equal(tj_spec_caps(&s), 1ULL << CAP_NET_RAW);
  assert_true(tj_cli_sandbox_option(&s, 311, "bogus", &err) < 0);
  assert_non_null(strstr(err.msg, "--cap-add 'bogus'"));
  tj_spec_defaults(&s);
  s.root_default_caps = true;
  assert_int_equal(tj_cli_sandbox_option(&s, 312, "CAP_NET_RAW", &err), 0);
  /* docker's semantics: the default set minus the one dropped */
  assert_int_equal(tj_spec_caps(&s), tj_caps_docker_default() & ~(1ULL << CAP_NET_RAW));
  assert_int_equal(tj_cli_sandbox_option(&s, 311, "SYS_PTRACE", &err), 0);
  assert_true(tj_spec_caps(&s) & (1ULL << CAP_SYS_PTRACE));
  s.has_user = true;
  s.uid = 1000;
  assert_int_equal(tj_spec_caps(&s), 1ULL << CAP_SYS_PTRACE); /* non-root: no default set */
}

static void test_verdict_lines(void **state) {
  struct tj_notes notes;
  memset(&notes, 0, sizeof(notes));
  struct tj_evidence ev = {.status_known = true, .exited = true, .exit_code = 1, .oom_kills = 0, .pids_limit_hits = 0,
                           .memory_peak = -1, .cpu_ms = -1, .memory_limit = -1, .pids_limit = -1,
                           .wall_timeout_ms = -1, .notes = &notes, .go_test = true};
  struct tj_sc_result r;
  memset(&r, 0, sizeof(r));
  r.n_denials = 2;
  r.total = 3;
  r.denials[0] = (struct tj_sc_denial){.syscall = "bpf", .count = 1, .action = TJ_SC_ERRNO, .err = EPERM};
  r.denials[1] = (struct tj_sc_denial){.syscall = "ptrace", .test = "TestAttach", .count = 2, .action = TJ_SC_ERRNO,
                                       .err = EPERM};
  char sum[300];
  tj_sc_result_summary(&r, sum, sizeof(sum));
  assert_string_equal(sum, "ptrace (2x, in TestAttach), bpf (1x)");
  assert_string_equal(tj_sc_result_first(&r), "ptrace");
  /* t.Parallel: the others running then, as suspects (a name may hold a comma) */
  snprintf(r.denials[1].parallel, sizeof(r.denials[1].parallel), "TestA\nTestB/x,y");
  tj_sc_result_summary(&r, sum, sizeof(sum));
  assert_string_equal(sum, "ptrace (2x, in TestAttach or the parallel TestA, TestB/x,y), bpf (1x)");
  r.denials[1].parallel[0] = 0;
  tj_sc_result_summary(&r, sum, sizeof(sum));
  /* ENOSYS fallbacks are neither named nor counted; past four, "and N more" */
  struct tj_sc_result many;
  memset(&many, 0, sizeof(many));
  many.denials[0] = (struct tj_sc_denial){.syscall = "clone3", .count = 9, .action = TJ_SC_ERRNO, .err = ENOSYS,
                                          .enosys = true};
  const char *names6[] = {"a", "b", "c", "d", "e", "f"};
  for (int i = 0; i < 6; i++)
    many.denials[1 + i] = (struct tj_sc_denial){.count = 6 - i, .action = TJ_SC_ERRNO, .err = EPERM};
  for (int i = 0; i < 6; i++)
    snprintf(many.denials[1 + i].syscall, sizeof(many.denials[0].syscall), "%s", names6[i]);
  many.n_denials = 7;
  char sum2[300];
  tj_sc_result_summary(&many, sum2, sizeof(sum2));
  assert_string_equal(sum2, "a (6x), b (5x), c (4x), d (3x) and 2 more");
  assert_string_equal(tj_sc_result_first(&many), "a");
  ev.seccomp_denials = r.total;
  ev.seccomp_syscall = "ptrace";
  ev.seccomp_summary = sum;
  ev.seccomp_errno = EPERM;
  struct tj_verdict v;
  tj_verdict_decide(&ev, &v);
  assert_string_equal(v.outcome_name, "seccomp_denied");
  assert_string_equal(v.diagnosis, "seccomp denied ptrace (2x, in TestAttach), bpf (1x): the test failed after EPERM");
  assert_int_equal(tj_outcome_exit_code(v.outcome), 4);
  ev.exit_code = 0;
  tj_verdict_decide(&ev, &v);
  assert_string_equal(v.outcome_name, "passed");
  assert_non_null(strstr(v.warning, "seccomp denied ptrace (2x, in TestAttach)"));
  /* a kill action */
  ev.exited = false;
  ev.signal = 9;
  ev.seccomp_errno = 0;
  ev.seccomp_kill = "SCMP_ACT_KILL_PROCESS";
  tj_verdict_decide(&ev, &v);
  assert_string_equal(v.outcome_name, "seccomp_denied");
  assert_non_null(strstr(v.diagnosis, "SCMP_ACT_KILL_PROCESS killed the sandbox"));
  /* SIGSYS from the kernel with no notification */
  ev.seccomp_denials = 0;
  ev.seccomp_kill = NULL;
  ev.signal = 31;
  ev.seccomp_filtered = true;
  tj_verdict_decide(&ev, &v);
  assert_string_equal(v.outcome_name, "seccomp_denied");
  ev.seccomp_filtered = false;
  tj_verdict_decide(&ev, &v);
  assert_string_equal(v.outcome_name, "signaled");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_includes_caps_need_all),
      cmocka_unit_test(test_excludes_caps_any),
      cmocka_unit_test(test_arches_and_kernel),
      cmocka_unit_test(test_errno_choice),
      cmocka_unit_test(test_kernel_actions),
      cmocka_unit_test(test_arg_splitting),
      cmocka_unit_test(test_arg_matches),
      cmocka_unit_test(test_plan_skips_unknown_names),
      cmocka_unit_test(test_plan_arches),
      cmocka_unit_test(test_decide),
      cmocka_unit_test(test_rule_equal_to_default_is_skipped),
      cmocka_unit_test(test_docker_profile),
      cmocka_unit_test(test_cap_names),
      cmocka_unit_test(test_spec_caps),
      cmocka_unit_test(test_verdict_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
