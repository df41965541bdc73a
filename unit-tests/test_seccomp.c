/* The seccomp translation's decisions: includes/excludes, errno choice,
 * argument splitting, the supervisor's answer, and what the filter builder
 * skips; the compiled program's cache and its checks; the caps a spec
 * gives; the verdict's seccomp lines. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "common/caps.h"
#include "cmd/cli.h"
#include "seccomp/profile.h"
#include "seccomp/sccache.h"
#include "seccomp/seccomp.h"
#include "common/util.h"
#include "verdict.h"

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
  struct tj_sc_arg b[] = {{.index = 0, .value = 1},
                          {.index = 0, .value = 2},
                          {.index = 2, .value = 1},
                          {.index = 2, .value = 2},
                          {.index = 2, .value = 3}};
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
static struct tj_sc_arg pers_args[] = {{.index = 0, .value = 0, .op = TJ_SC_EQ},
                                       {.index = 0, .value = 8, .op = TJ_SC_EQ}};
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
  s.root_default_caps = true;            /* the test phase, as root */
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
  struct tj_evidence ev = {.status_known = true,
                           .exited = true,
                           .exit_code = 1,
                           .oom_kills = 0,
                           .pids_limit_hits = 0,
                           .memory_peak = -1,
                           .cpu_ms = -1,
                           .memory_limit = -1,
                           .pids_limit = -1,
                           .wall_timeout_ms = -1,
                           .notes = &notes,
                           .go_test = true};
  struct tj_sc_result r;
  memset(&r, 0, sizeof(r));
  r.n_denials = 2;
  r.total = 3;
  r.denials[0] = (struct tj_sc_denial){.syscall = "bpf", .count = 1, .action = TJ_SC_ERRNO, .err = EPERM};
  r.denials[1] =
      (struct tj_sc_denial){.syscall = "ptrace", .test = "TestAttach", .count = 2, .action = TJ_SC_ERRNO, .err = EPERM};
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
  many.denials[0] =
      (struct tj_sc_denial){.syscall = "clone3", .count = 9, .action = TJ_SC_ERRNO, .err = ENOSYS, .enosys = true};
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

/* ---- the compiled program's cache ---------------------------------------- */

static char cache_home[64]; /* XDG_CACHE_HOME for every plan of this file */

static void hex(const uint8_t *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", b[i]);
}

static void sha_hex(const void *p, size_t n, char out[65]) {
  struct tj_sha256 s;
  uint8_t d[32];
  tj_sha256_init(&s);
  /* in uneven pieces: the block boundary must not matter */
  for (size_t off = 0; off < n;) {
    size_t take = n - off < 7 ? n - off : 7;
    tj_sha256_update(&s, (const char *)p + off, take);
    off += take;
  }
  tj_sha256_final(&s, d);
  hex(d, 32, out);
}

static void test_sha256(void **state) {
  char h[65], buf[768];
  sha_hex("", 0, h);
  assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sha_hex("abc", 3, h);
  assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  memset(buf, 'a', 64);
  sha_hex(buf, 55, h); /* the padding's edges: 55, 56 and 64 bytes */
  assert_string_equal(h, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  sha_hex(buf, 56, h);
  assert_string_equal(h, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  sha_hex(buf, 64, h);
  assert_string_equal(h, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  for (int i = 0; i < 768; i++)
    buf[i] = (char)(i % 256);
  sha_hex(buf, 768, h);
  assert_string_equal(h, "f3a25aa93aa2fbba28d79260535bbd6a5eb0fc1c24a8b0f04e12b484c1dfe363");
}

static const struct sock_filter three[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
                                           BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1),
                                           BPF_STMT(BPF_RET | BPF_K, 0x7fff0000)};

static void test_cache_image(void **state) {
  struct tj_scc_key key = {{1, 2, 3}}, other = {{1, 2, 4}};
  size_t len = tj_scc_image_size(3);
  char *img = malloc(len + 1);
  tj_scc_encode(img, &key, three, 3);
  const struct sock_filter *prog;
  size_t n;
  assert_int_equal(tj_scc_decode(img, len, &key, &prog, &n), 0);
  assert_int_equal(n, 3);
  assert_memory_equal(prog, three, sizeof(three));
  /* truncated, too long, another key */
  assert_int_equal(tj_scc_decode(img, len - 1, &key, &prog, &n), -EINVAL);
  assert_int_equal(tj_scc_decode(img, 10, &key, &prog, &n), -EINVAL);
  assert_int_equal(tj_scc_decode(img, len + 1, &key, &prog, &n), -EINVAL);
  assert_int_equal(tj_scc_decode(img, len, &other, &prog, &n), -ESTALE);
  /* one bit of the program flipped: the checksum */
  img[len - 1] ^= 1;
  assert_int_equal(tj_scc_decode(img, len, &key, &prog, &n), -EINVAL);
  img[len - 1] ^= 1;
  /* another format version; another magic */
  struct tj_scc_header *h = (struct tj_scc_header *)img;
  h->version++;
  assert_int_equal(tj_scc_decode(img, len, &key, &prog, &n), -ESTALE);
  h->version--;
  h->magic[0] = 'X';
  assert_int_equal(tj_scc_decode(img, len, &key, &prog, &n), -EINVAL);
  h->magic[0] = 'T';
  /* a length the file does not have */
  h->n_insns = 2;
  assert_int_equal(tj_scc_decode(img, len, &key, &prog, &n), -EINVAL);
  h->n_insns = 0;
  assert_int_equal(tj_scc_decode(img, tj_scc_image_size(0), &key, &prog, &n), -EINVAL);
  free(img);
}

/* The only file in dir ending in .bpf. */
static void cache_file(const char *dir, char *path, size_t len) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  path[0] = 0;
  while ((e = readdir(d)))
    if (strstr(e->d_name, ".bpf")) {
      assert_string_equal(path, ""); /* only one */
      snprintf(path, len, "%s/%s", dir, e->d_name);
    }
  closedir(d);
  assert_string_not_equal(path, "");
}

static void test_cache_files(void **state) {
  char dir[128], path[256];
  snprintf(dir, sizeof(dir), "%s/files/a/b", cache_home);
  struct tj_scc_key key = {{9, 9}};
  struct sock_filter *prog = NULL;
  size_t n = 0;
  assert_int_equal(tj_scc_read(dir, &key, &prog, &n), -ENOENT);
  assert_int_equal(tj_scc_write(dir, &key, three, 3), 0); /* makes the directories */
  cache_file(dir, path, sizeof(path));
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(stat(dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  assert_int_equal(tj_scc_read(dir, &key, &prog, &n), 0);
  assert_int_equal(n, 3);
  assert_memory_equal(prog, three, sizeof(three));
  free(prog);
  /* another key's file put under this key's name: ignored */
  struct tj_scc_key other = {{9, 8}};
  char *img = malloc(tj_scc_image_size(3));
  tj_scc_encode(img, &other, three, 3);
  FILE *w = fopen(path, "w");
  fwrite(img, 1, tj_scc_image_size(3), w);
  fclose(w);
  free(img);
  assert_int_equal(tj_scc_read(dir, &key, &prog, &n), -ENOENT);
  /* a truncated file is ignored, and rewriting replaces it */
  assert_int_equal(truncate(path, 40), 0);
  assert_int_equal(tj_scc_read(dir, &key, &prog, &n), -ENOENT);
  assert_int_equal(tj_scc_write(dir, &key, three, 3), 0);
  assert_int_equal(tj_scc_read(dir, &key, &prog, &n), 0);
  free(prog);
  /* writable by others: not trusted */
  assert_int_equal(chmod(path, 0622), 0);
  assert_int_equal(tj_scc_read(dir, &key, &prog, &n), -EPERM);
  assert_int_equal(chmod(path, 0600), 0);
  assert_int_equal(chmod(dir, 0777), 0);
  assert_int_equal(tj_scc_read(dir, &key, &prog, &n), -EPERM);
  assert_true(tj_scc_write(dir, &key, three, 3) < 0);
  assert_int_equal(chmod(dir, 0700), 0);
  /* a directory that cannot be made: an error for the caller to ignore */
  char file[160];
  snprintf(file, sizeof(file), "%s/plain", cache_home);
  FILE *f = fopen(file, "w");
  fclose(f);
  snprintf(dir, sizeof(dir), "%s/plain/seccomp", cache_home);
  assert_true(tj_scc_write(dir, &key, three, 3) < 0);
  assert_int_equal(tj_scc_read(dir, &key, &prog, &n), -ENOENT);
}

static void corrupt(const char *path, long at) {
  FILE *f = fopen(path, "r+");
  assert_non_null(f);
  fseek(f, at, at < 0 ? SEEK_END : SEEK_SET);
  int c = fgetc(f);
  fseek(f, -1, SEEK_CUR);
  fputc(c ^ 0x40, f);
  fclose(f);
}

static void test_plan_cache(void **state) {
  char dir[128], path[256];
  snprintf(dir, sizeof(dir), "%s/plan", cache_home);
  setenv("XDG_CACHE_HOME", dir, 1);
  snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/testjail/seccomp");
  struct tj_sc_policy p = policy();
  struct tj_sc_env e = env_with(0);
  struct tj_sc_plan plan, again;
  tj_error err = {0};
  assert_int_equal(tj_sc_plan_init(&plan, &p, &e, &err), 0);
  assert_int_equal(plan.cache, TJ_SC_CACHE_MISS);
  assert_string_equal(tj_sc_cache_name(plan.cache), "miss");
  assert_true(plan.prog_len > 0);
  assert_int_equal(plan.n_sock_at, 1); /* the denying default's allow for the hand-over */
  cache_file(dir, path, sizeof(path));
  assert_int_equal(tj_sc_plan_init(&again, &p, &e, &err), 0);
  assert_int_equal(again.cache, TJ_SC_CACHE_HIT);
  assert_int_equal(again.prog_len, plan.prog_len);
  assert_memory_equal(again.prog, plan.prog, plan.prog_len * sizeof(plan.prog[0]));
  assert_int_equal(again.prog_flags, plan.prog_flags);
  tj_sc_plan_free(&again);
  /* corrupt in the header's key, then in the program: a miss, rewritten */
  long at[] = {20, -3};
  for (int i = 0; i < 2; i++) {
    corrupt(path, at[i]);
    assert_int_equal(tj_sc_plan_init(&again, &p, &e, &err), 0);
    assert_int_equal(again.cache, TJ_SC_CACHE_MISS);
    assert_memory_equal(again.prog, plan.prog, plan.prog_len * sizeof(plan.prog[0]));
    tj_sc_plan_free(&again);
    assert_int_equal(tj_sc_plan_init(&again, &p, &e, &err), 0);
    assert_int_equal(again.cache, TJ_SC_CACHE_HIT);
    tj_sc_plan_free(&again);
  }
  /* another capability set, another file */
  struct tj_sc_env e2 = env_with(1);
  assert_int_equal(tj_sc_plan_init(&again, &p, &e2, &err), 0);
  assert_int_equal(again.cache, TJ_SC_CACHE_MISS);
  tj_sc_plan_free(&again);
  /* a changed errno in one rule, another key */
  p.rules[0].errno_ret++;
  assert_int_equal(tj_sc_plan_init(&again, &p, &e, &err), 0);
  assert_int_equal(again.cache, TJ_SC_CACHE_MISS);
  p.rules[0].errno_ret--;
  tj_sc_plan_free(&again);
  /* nowhere to keep it: off, and still a program */
  unsetenv("XDG_CACHE_HOME");
  char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
  unsetenv("HOME");
  assert_int_equal(tj_sc_plan_init(&again, &p, &e, &err), 0);
  assert_int_equal(again.cache, TJ_SC_CACHE_OFF);
  assert_int_equal(again.prog_len, plan.prog_len);
  tj_sc_plan_free(&again);
  if (home)
    setenv("HOME", home, 1);
  free(home);
  setenv("XDG_CACHE_HOME", cache_home, 1);
  tj_sc_plan_free(&plan);
}

/* The cached program with the socket patched in is the one libseccomp
 * compiles for that socket: under a denying default (an allow for
 * sendmsg on it) and under an allowing one with a deny of sendmsg (the
 * deny skips it). */
static void test_sock_patch(void **state) {
  static char *n_sendmsg[] = {"sendmsg"}, *n_ptrace[] = {"ptrace"};
  struct tj_sc_rule allow_rules[] = {{.names = n_ptrace, .n_names = 1, .action = TJ_SC_ALLOW}};
  struct tj_sc_rule deny_rules[] = {{.names = n_sendmsg, .n_names = 1, .action = TJ_SC_ERRNO},
                                    {.names = n_ptrace, .n_names = 1, .action = TJ_SC_KILL_PROCESS}};
  struct tj_sc_policy ps[] = {
      {.default_action = TJ_SC_ERRNO, .rules = allow_rules, .n_rules = 1},
      {.default_action = TJ_SC_ALLOW, .rules = deny_rules, .n_rules = 2},
  };
  struct tj_sc_env e;
  tj_sc_env_here(&e, 0);
  for (int i = 0; i < 2; i++) {
    struct tj_sc_plan plan;
    tj_error err = {0};
    assert_int_equal(tj_sc_plan_init(&plan, &ps[i], &e, &err), 0);
    assert_true(plan.n_sock_at >= 1);
    assert_true(plan.prog_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER);
    int socks[] = {3, 7, 1023};
    for (int k = 0; k < 3; k++) {
      for (size_t j = 0; j < plan.n_sock_at; j++)
        plan.prog[plan.sock_at[j]].k = (uint32_t)socks[k];
      struct sock_filter *want = NULL;
      size_t n = 0;
      assert_int_equal(tj_sc_compile(&plan, socks[k], &want, &n, &err), 0);
      assert_int_equal(n, plan.prog_len);
      assert_memory_equal(want, plan.prog, n * sizeof(*want));
      free(want);
    }
    tj_sc_plan_free(&plan);
  }
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
      cmocka_unit_test(test_sha256),
      cmocka_unit_test(test_cache_image),
      cmocka_unit_test(test_cache_files),
      cmocka_unit_test(test_plan_cache),
      cmocka_unit_test(test_sock_patch),
  };
  /* Plans compile and cache their program: not in the user's cache. */
  snprintf(cache_home, sizeof(cache_home), "/tmp/tj-unit-seccomp.XXXXXX");
  if (!mkdtemp(cache_home))
    return 1;
  setenv("XDG_CACHE_HOME", cache_home, 1);
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  tj_remove_tree(cache_home);
  return failed;
}
