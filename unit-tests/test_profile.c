/* Profiles as data: OCI/Docker seccomp JSON, testjail profiles, their
 * errors (positions and JSON paths), the shipped profiles' meaning, and
 * how --profile sits under the flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "seccomp/profile.h"
#include "cmd/profile.h"

static char data_dir[PATH_MAX];

/* Parse text as a seccomp file named t.json; return the error message or NULL. */
static const char *policy_error(const char *text) {
  static tj_error err;
  struct tj_sc_policy p;
  memset(&err, 0, sizeof(err));
  if (tj_sc_policy_parse(text, strlen(text), "t.json", &p, &err) == 0) {
    tj_sc_policy_free(&p);
    return NULL;
  }
  return err.msg;
}

static const char *profile_error(const char *text) {
  static tj_error err;
  struct tj_profile p;
  memset(&err, 0, sizeof(err));
  if (tj_profile_parse(text, strlen(text), "p.json", NULL, &p, &err) == 0) {
    tj_profile_free(&p);
    return NULL;
  }
  return err.msg;
}

#define ALLOW "{\"defaultAction\": \"SCMP_ACT_ALLOW\", "

static void test_json_syntax_positions(void **state) {
  assert_string_equal(policy_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["),
                      "t.json:1:49: ']' expected near end of file");
  assert_string_equal(policy_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [{\"names\": [\"read\"] "
                                   "\"action\": 1}]}"),
                      "t.json:2:42: '}' expected near '\"action\"'");
  assert_string_equal(policy_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"defaultAction\": \"SCMP_ACT_LOG\"}"),
                      "t.json:2:16: duplicate object key near '\"defaultAction\"'");
  assert_string_equal(
      policy_error(ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
                         "\"args\": [{\"index\": 0, \"value\": 18446744073709551616, \"op\": \"SCMP_CMP_EQ\"}]}]}"),
      "t.json:1:148: too big integer near '18446744073709551616'");
  assert_string_equal(policy_error("[]"), "t.json: expected a JSON object at the top level, got an array");
  assert_non_null(strstr(policy_error(""), "t.json:"));
}

static void test_schema_paths(void **state) {
  assert_string_equal(policy_error("{}"), "t.json: missing \"defaultAction\"");
  assert_string_equal(policy_error("{\"defaultAction\": 7}"),
                      "t.json: defaultAction: expected an action name (SCMP_ACT_...), got an integer");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": {}}"), "t.json: syscalls: expected an array, got an object");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": \"read\", \"action\": \"SCMP_ACT_ERRNO\"}]}"),
                      "t.json: syscalls[0].names: expected an array of strings, got a string");
  assert_string_equal(
      policy_error(ALLOW
                   "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\"}, {\"names\": [\"write\"],"
                   " \"action\": \"SCMP_ACT_FOO\"}]}"),
      "t.json: syscalls[1].action: unknown action \"SCMP_ACT_FOO\" (known: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, "
      "SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG, "
      "SCMP_ACT_NOTIFY)");
  assert_string_equal(policy_error("{\"defaultAction\": \"SCMP_ACT_DENY\"}"),
                      "t.json: defaultAction: unknown action \"SCMP_ACT_DENY\" (known: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, "
                      "SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, "
                      "SCMP_ACT_LOG, SCMP_ACT_NOTIFY)");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
                                         "\"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_FOO\"}]}]}"),
                      "t.json: syscalls[0].args[0].op: unknown comparison \"SCMP_CMP_FOO\" (known: SCMP_CMP_NE, "
                      "SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
                                         "\"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}, "
                                         "{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}"),
                      "t.json: syscalls[0].args[1].index: 6 is too large (at most 5)");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
                                         "\"args\": [{\"index\": 0, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}]}"),
                      "t.json: syscalls[0].args[0].value: -1 is negative");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
                                         "\"args\": [{\"index\": 0, \"value\": 1.5, \"op\": \"SCMP_CMP_EQ\"}]}]}"),
                      "t.json: syscalls[0].args[0].value: expected a whole number, got a number with a fraction");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
                                         "\"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}"),
                      "t.json: syscalls[0].args[0]: missing \"value\"");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
                                         "\"errnoRet\": 99999}]}"),
                      "t.json: syscalls[0].errnoRet: 99999 is too large (at most 4095)");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", "
                                         "\"errnoRet\": 1}]}"),
                      "t.json: syscalls[0].errnoRet: errnoRet goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE only");
  assert_string_equal(
      policy_error(ALLOW "\"syscalls\": [{\"nmes\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\"}]}"),
      "t.json: syscalls[0].nmes: unknown field \"nmes\" (known: name, names, action, errnoRet, errno, args, "
      "includes, excludes, comment)");
  assert_string_equal(
      policy_error(ALLOW "\"syscals\": []}"),
      "t.json: syscals: unknown field \"syscals\" (known: defaultAction, defaultErrnoRet, architectures, "
      "archMap, syscalls, defaultErrno, flags, listenerPath, listenerMetadata, allowErrnoZero, comment)");
  assert_string_equal(policy_error(ALLOW "\"archMap\": [{\"architecture\": 3}]}"),
                      "t.json: archMap[0].architecture: expected an architecture name (SCMP_ARCH_...), got an integer");
  assert_string_equal(
      policy_error(ALLOW "\"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": "
                         "[\"SCMP_ARCH_X86\", \"x32\"]}]}"),
      "t.json: archMap[0].subArchitectures[1]: unknown architecture \"x32\" (expected SCMP_ARCH_X86_64, "
      "SCMP_ARCH_AARCH64, ...)");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": [], \"action\": \"SCMP_ACT_ERRNO\"}]}"),
                      "t.json: syscalls[0].names: empty list");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": [\"re ad\"], \"action\": \"SCMP_ACT_ERRNO\"}]}"),
                      "t.json: syscalls[0].names[0]: \"re ad\" is not a syscall name");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"action\": \"SCMP_ACT_ERRNO\"}]}"),
                      "t.json: syscalls[0]: no syscall: give \"names\": [...]");
  assert_string_equal(policy_error(ALLOW "\"architectures\": [\"SCMP_ARCH_X86_46\"]}"),
                      "t.json: architectures[0]: unknown architecture \"SCMP_ARCH_X86_46\" (expected SCMP_ARCH_X86_64, "
                      "SCMP_ARCH_AARCH64, ...)");
  assert_string_equal(policy_error(ALLOW "\"flags\": [\"SECCOMP_FILTER_FLAG_FOO\"]}"),
                      "t.json: flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
                                         "\"includes\": {\"caps\": [\"sys_admin\"]}}]}"),
                      "t.json: syscalls[0].includes.caps[0]: \"sys_admin\" is not a capability name (CAP_...)");
  assert_string_equal(policy_error(ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", "
                                         "\"errno\": \"EPERM\", \"errnoRet\": 38}]}"),
                      "t.json: syscalls[0].errno: \"EPERM\" is 1, but the number given is 38");
}

static void test_min_kernel(void **state) {
  const char *bad[] = {"4", "4.x", "v5.1", "5.8.1", "5.", ".8", "", "0.1", "5.8-rc1", "99999999.1"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char text[256], want[256];
    snprintf(text, sizeof(text),
             ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"excludes\": "
                   "{\"minKernel\": \"%s\"}}]}",
             bad[i]);
    snprintf(
        want, sizeof(want),
        "t.json: syscalls[0].excludes.minKernel: invalid kernel version \"%s\": expected MAJOR.MINOR, e.g. \"5.8\"",
        bad[i]);
    const char *got = policy_error(text);
    assert_non_null(got);
    assert_string_equal(got, want);
  }
  struct tj_sc_policy p;
  tj_error err = {0};
  const char *ok = ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": "
                         "{\"minKernel\": \"5.10\"}}]}";
  assert_int_equal(tj_sc_policy_parse(ok, strlen(ok), "t.json", &p, &err), 0);
  assert_int_equal(p.rules[0].includes.min_kernel_major, 5);
  assert_int_equal(p.rules[0].includes.min_kernel_minor, 10);
  tj_sc_policy_free(&p);
}

static void test_errno_zero(void **state) {
  const char *zero = ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 0}]}";
  assert_string_equal(policy_error(zero),
                      "t.json: syscalls[0].errnoRet: SCMP_ACT_ERRNO with errno 0 makes the syscall look successful "
                      "without running it; set \"allowErrnoZero\": true in the seccomp object if that is really meant");
  assert_non_null(policy_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 0}"));
  const char *allowed = "{\"allowErrnoZero\": true, \"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                        "[\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 0}]}";
  struct tj_sc_policy p;
  tj_error err = {0};
  assert_int_equal(tj_sc_policy_parse(allowed, strlen(allowed), "t.json", &p, &err), 0);
  assert_true(p.rules[0].has_errno);
  assert_int_equal(p.rules[0].errno_ret, 0);
  tj_sc_policy_free(&p);
  /* errno 0 with SCMP_ACT_TRACE is a trace value, not a fake success */
  assert_null(
      policy_error(ALLOW "\"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 0}]}"));
}

static void test_full_oci(void **state) {
  const char *text =
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"architectures\": [\"SCMP_ARCH_X86_64\"],"
      " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"], \"listenerPath\": \"/run/x.sock\", \"comment\": \"hi\","
      " \"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},"
      " {\"name\": \"personality\", \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 8,"
      " \"op\": \"SCMP_CMP_EQ\"}], \"comment\": \"x\"},"
      " {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_NOTIFY\", \"args\": [{\"index\": 0, \"value\": 2114060288,"
      " \"valueTwo\": 0, \"op\": \"SCMP_CMP_MASKED_EQ\"}], \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"], \"arches\":"
      " [\"amd64\"]}, \"excludes\": null},"
      " {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_KILL\"}, {\"names\": [\"mseal\"], \"action\": \"SCMP_ACT_ERRNO\","
      " \"errno\": \"EPERM\"}]}";
  struct tj_sc_policy p;
  tj_error err = {0};
  assert_int_equal(tj_sc_policy_parse(text, strlen(text), "oci.json", &p, &err), 0);
  assert_int_equal(p.default_action, TJ_SC_ERRNO);
  assert_true(p.has_default_errno);
  assert_int_equal(p.default_errno, 38);
  assert_int_equal(p.n_arches, 1);
  assert_string_equal(p.arches[0], "SCMP_ARCH_X86_64");
  assert_int_equal(p.n_rules, 5);
  assert_int_equal(p.rules[0].n_names, 2);
  assert_string_equal(p.rules[0].names[1], "write");
  assert_false(p.rules[0].has_errno);
  assert_string_equal(p.rules[1].names[0], "personality");
  assert_int_equal(p.rules[1].n_args, 1);
  assert_int_equal(p.rules[1].args[0].op, TJ_SC_EQ);
  assert_int_equal(p.rules[1].args[0].value, 8);
  assert_int_equal(p.rules[2].action, TJ_SC_NOTIFY);
  assert_int_equal(p.rules[2].args[0].op, TJ_SC_MASKED_EQ);
  assert_int_equal(p.rules[2].args[0].value, 2114060288);
  assert_int_equal(p.rules[2].args[0].value_two, 0);
  assert_int_equal(p.rules[2].includes.n_caps, 1);
  assert_string_equal(p.rules[2].includes.arches[0], "amd64");
  assert_int_equal(p.rules[3].action, TJ_SC_KILL_THREAD);
  assert_true(p.rules[4].has_errno);
  assert_int_equal(p.rules[4].errno_ret, EPERM);
  assert_string_equal(p.name, "oci.json");
  tj_sc_policy_free(&p);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "re");
  if (!f)
    return NULL;
  char *buf = malloc(8 << 20);
  *len = fread(buf, 1, 8 << 20, f);
  fclose(f);
  return buf;
}

static const struct tj_sc_rule *find_rule(const struct tj_sc_policy *p, const char *name, size_t *idx) {
  for (size_t i = idx ? *idx : 0; i < p->n_rules; i++)
    for (size_t k = 0; k < p->rules[i].n_names; k++)
      if (strcmp(p->rules[i].names[k], name) == 0) {
        if (idx)
          *idx = i + 1;
        return &p->rules[i];
      }
  return NULL;
}

static bool has_arch(const struct tj_sc_policy *p, const char *a) {
  for (size_t i = 0; i < p->n_arches; i++)
    if (strcmp(p->arches[i], a) == 0)
      return true;
  return false;
}

static void test_docker_default(void **state) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof(path), "%s/moby-profiles-seccomp-default.json", data_dir);
  size_t len = 0;
  char *text = slurp(path, &len);
  assert_non_null(text);
  struct tj_sc_policy p;
  tj_error err = {0};
  int r = tj_sc_policy_parse(text, len, path, &p, &err);
  if (r < 0)
    fail_msg("%s", err.msg);
  free(text);
  assert_int_equal(p.default_action, TJ_SC_ERRNO);
  assert_int_equal(p.default_errno, EPERM);
  /* archMap flattened: x86_64 with its sub-architectures x86 and x32 */
  assert_true(has_arch(&p, "SCMP_ARCH_X86_64"));
  assert_true(has_arch(&p, "SCMP_ARCH_X86"));
  assert_true(has_arch(&p, "SCMP_ARCH_X32"));
  assert_true(has_arch(&p, "SCMP_ARCH_AARCH64"));
  assert_true(p.n_rules > 20);
  /* clone3: ENOSYS unless CAP_SYS_ADMIN */
  size_t at3 = 0;
  const struct tj_sc_rule *c3;
  while ((c3 = find_rule(&p, "clone3", &at3)) && c3->action != TJ_SC_ERRNO)
    ;
  assert_non_null(c3);
  assert_int_equal(c3->errno_ret, ENOSYS);
  assert_string_equal(c3->excludes.caps[0], "CAP_SYS_ADMIN");
  /* mount is allowed only with CAP_SYS_ADMIN: the include must survive */
  size_t at = 0;
  const struct tj_sc_rule *m;
  bool mount_gated = false, min_kernel = false;
  while ((m = find_rule(&p, "mount", &at)))
    mount_gated |=
        m->action == TJ_SC_ALLOW && m->includes.n_caps == 1 && strcmp(m->includes.caps[0], "CAP_SYS_ADMIN") == 0;
  for (size_t i = 0; i < p.n_rules; i++)
    min_kernel |= p.rules[i].includes.min_kernel_major == 4 && p.rules[i].includes.min_kernel_minor == 8;
  assert_true(mount_gated);
  assert_true(min_kernel);
  tj_sc_policy_free(&p);
}

static void test_podman_default(void **state) {
  const char *path = "/usr/share/containers/seccomp.json"; /* Debian: golang-github-containers-common */
  if (access(path, R_OK) != 0) {
    print_message("SKIP podman: %s absent (apt-get install golang-github-containers-common)\n", path);
    skip();
  }
  struct tj_sc_policy *p;
  tj_error err = {0};
  if (tj_sc_policy_load(path, &p, &err) < 0)
    fail_msg("%s", err.msg);
  assert_int_equal(p->default_action, TJ_SC_ERRNO);
  assert_int_equal(p->default_errno, ENOSYS);
  assert_true(has_arch(p, "SCMP_ARCH_X86"));
  assert_non_null(find_rule(p, "read", NULL));
  assert_string_equal(p->name, path);
  tj_sc_policy_free(p);
  free(p);
}

/* Does the rule deny this personality(2) argument? Comparisons on one
 * argument are alternatives, as runc and the filter builder read them. */
static bool cmp(const struct tj_sc_arg *a, uint64_t x) {
  switch (a->op) {
  case TJ_SC_NE:
    return x != a->value;
  case TJ_SC_LT:
    return x < a->value;
  case TJ_SC_LE:
    return x <= a->value;
  case TJ_SC_EQ:
    return x == a->value;
  case TJ_SC_GE:
    return x >= a->value;
  case TJ_SC_GT:
    return x > a->value;
  case TJ_SC_MASKED_EQ:
    return (x & a->value) == a->value_two;
  }
  return false;
}

static bool denied(const struct tj_sc_policy *p, const char *name, uint64_t arg0) {
  size_t at = 0;
  const struct tj_sc_rule *r;
  bool deny = p->default_action != TJ_SC_ALLOW;
  while ((r = find_rule(p, name, &at))) {
    bool match = r->n_args == 0;
    for (size_t i = 0; i < r->n_args; i++)
      match |= r->args[i].index == 0 && cmp(&r->args[i], arg0);
    if (match)
      deny = r->action != TJ_SC_ALLOW;
  }
  return deny;
}

static struct tj_sc_policy *shipped_policy(const char *name) {
  struct tj_sc_policy *p;
  tj_error err = {0};
  if (tj_sc_policy_load(name, &p, &err) < 0)
    fail_msg("%s", err.msg);
  return p;
}

static void free_policy(struct tj_sc_policy *p) {
  tj_sc_policy_free(p);
  free(p);
}

static void test_shipped_default(void **state) {
  struct tj_sc_policy *p = shipped_policy("default");
  assert_int_equal(p->default_action, TJ_SC_ALLOW);
  const char *deny[] = {"mount",
                        "umount2",
                        "pivot_root",
                        "move_mount",
                        "fsopen",
                        "fsconfig",
                        "fsmount",
                        "fspick",
                        "open_tree",
                        "mount_setattr",
                        "ptrace",
                        "process_vm_readv",
                        "process_vm_writev",
                        "bpf",
                        "perf_event_open",
                        "keyctl",
                        "add_key",
                        "request_key",
                        "kexec_load",
                        "kexec_file_load",
                        "init_module",
                        "finit_module",
                        "delete_module",
                        "reboot",
                        "swapon",
                        "swapoff",
                        "setns",
                        "open_by_handle_at",
                        "userfaultfd",
                        "acct",
                        "quotactl",
                        "clock_settime",
                        "clock_adjtime",
                        "settimeofday",
                        "adjtimex",
                        "stime",
                        "iopl",
                        "ioperm",
                        "lookup_dcookie",
                        "nfsservctl",
                        "vhangup"};
  for (size_t i = 0; i < sizeof(deny) / sizeof(deny[0]); i++) {
    const struct tj_sc_rule *r = find_rule(p, deny[i], NULL);
    if (!r)
      fail_msg("default does not deny %s", deny[i]);
    assert_int_equal(r->action, TJ_SC_ERRNO);
    assert_int_equal(r->errno_ret, EPERM);
    assert_true(denied(p, deny[i], 0));
  }
  const struct tj_sc_rule *c3 = find_rule(p, "clone3", NULL);
  assert_non_null(c3);
  assert_int_equal(c3->errno_ret, ENOSYS);
  /* unshare: only new user namespaces */
  assert_true(denied(p, "unshare", 0x10000000));              /* CLONE_NEWUSER */
  assert_true(denied(p, "unshare", 0x10000000 | 0x00020000)); /* | CLONE_NEWNS */
  assert_false(denied(p, "unshare", 0x00020000));             /* CLONE_NEWNS alone: Go's syscall tests */
  assert_false(denied(p, "unshare", 0x40000000));             /* CLONE_NEWNET */
  assert_false(denied(p, "clone", 0));
  assert_false(denied(p, "read", 0));
  /* personality: Docker's safe values pass, the rest is denied */
  const uint64_t safe[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
  for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++)
    if (denied(p, "personality", safe[i]))
      fail_msg("personality(%#llx) denied", (unsigned long long)safe[i]);
  const uint64_t unsafe[] = {0x1,
                             0x9,
                             0x40000 /* ADDR_NO_RANDOMIZE */,
                             0x400000 /* READ_IMPLIES_EXEC */,
                             0x100000,
                             0x20048,
                             0x80000000,
                             0xfffffffe,
                             0x7fffffff,
                             0x8000000};
  for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
    if (!denied(p, "personality", unsafe[i]))
      fail_msg("personality(%#llx) allowed", (unsigned long long)unsafe[i]);
  free_policy(p);
}

static void test_shipped_others(void **state) {
  struct tj_sc_policy *p = shipped_policy("strict");
  assert_int_equal(p->default_action, TJ_SC_ERRNO);
  assert_int_equal(p->default_errno, ENOSYS);
  const char *need[] = {"read",  "write",       "mmap",   "clone", "execve",
                        "futex", "epoll_pwait", "socket", "wait4", "exit_group"};
  for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
    if (denied(p, need[i], 0))
      fail_msg("strict denies %s", need[i]);
  const char * not [] = {"ptrace", "mount", "bpf", "clone3", "unshare", "setns", "keyctl"};
  for (size_t i = 0; i < sizeof(not ) / sizeof(not [0]); i++)
    if (!denied(p, not [i], 0))
      fail_msg("strict allows %s", not [i]);
  free_policy(p);

  p = shipped_policy("unconfined");
  assert_true(p->unconfined);
  free_policy(p);
  p = shipped_policy("ci"); /* ci's seccomp is default's */
  assert_non_null(find_rule(p, "ptrace", NULL));
  assert_string_equal(p->name, "ci");
  free_policy(p);

  struct tj_profile prof;
  tj_error err = {0};
  assert_int_equal(tj_profile_load("ci", &prof, &err), 0);
  assert_int_equal(prof.memory_bytes, 2LL << 30);
  assert_int_equal(prof.pids, 4096);
  assert_int_equal(prof.wall_timeout_ms, 30 * 60 * 1000);
  assert_int_equal(prof.build_memory_bytes, 4LL << 30);
  assert_int_equal(prof.rlimits.n, 2);
  tj_profile_free(&prof);

  for (size_t i = 0; tj_profile_shipped_names[i]; i++) {
    size_t len;
    const char *text = tj_profile_shipped(tj_profile_shipped_names[i], &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
  }
  assert_null(tj_profile_shipped("nosuch", &(size_t){0}));
}

static void test_testjail_profile(void **state) {
  const char *text = "{\"description\": \"x\", \"memory\": \"512M\", \"pids_limit\": 64, \"cpus\": 1.5,"
                     " \"ulimits\": {\"nofile\": \"1024:4096\", \"core\": 0}, \"wall_timeout\": \"10m\","
                     " \"build\": {\"memory\": \"1G\", \"timeout\": \"5m\"}, \"network\": \"host\","
                     " \"env\": {\"A\": \"1\", \"B\": \"two\"}, \"capabilities\": [\"CAP_NET_RAW\"],"
                     " \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"ptrace\"],"
                     " \"action\": \"SCMP_ACT_ERRNO\"}]}}";
  struct tj_profile p;
  tj_error err = {0};
  if (tj_profile_parse(text, strlen(text), "p.json", NULL, &p, &err) < 0)
    fail_msg("%s", err.msg);
  assert_int_equal(p.memory_bytes, 512 << 20);
  assert_int_equal(p.pids, 64);
  assert_int_equal(p.cpu_quota_us, 150000);
  assert_int_equal(p.cpu_period_us, 100000);
  assert_int_equal(p.wall_timeout_ms, 600000);
  assert_int_equal(p.build_memory_bytes, 1 << 30);
  assert_int_equal(p.build_timeout_ms, 300000);
  assert_int_equal(p.network, 1);
  const struct tj_rlimit *nofile = tj_rlimit_find(&p.rlimits, RLIMIT_NOFILE);
  assert_non_null(nofile);
  assert_int_equal(nofile->soft, 1024);
  assert_int_equal(nofile->hard, 4096);
  assert_int_equal(p.n_env, 2);
  assert_string_equal(p.env[1], "B=two");
  assert_int_equal(p.n_caps, 1);
  assert_non_null(p.seccomp);
  assert_string_equal(p.seccomp_path, "seccomp.");
  assert_string_equal(p.seccomp->rules[0].names[0], "ptrace");
  tj_profile_free(&p);

  /* a plain seccomp object is a profile with only seccomp */
  const char *plain = "{\"defaultAction\": \"SCMP_ACT_LOG\"}";
  assert_int_equal(tj_profile_parse(plain, strlen(plain), "s.json", NULL, &p, &err), 0);
  assert_int_equal(p.memory_bytes, -1);
  assert_int_equal(p.seccomp->default_action, TJ_SC_LOG);
  tj_profile_free(&p);

  assert_string_equal(
      profile_error("{\"memory\": \"12Q\"}"),
      "p.json: memory: invalid size '12Q': unknown suffix 'Q' (use K, M, G, KiB, MiB, GiB or Ki, Mi, Gi)");
  assert_string_equal(profile_error("{\"memory\": true}"),
                      "p.json: memory: expected a size such as \"512M\" or a number of bytes, got a boolean");
  assert_string_equal(profile_error("{\"pids_limit\": 99999999999}"),
                      "p.json: pids_limit: 99999999999 is too large (at most 4194304)");
  assert_string_equal(profile_error("{\"wall_timeout\": \"10\"}"),
                      "p.json: wall_timeout: invalid duration '10': missing or unknown unit (ns, us, ms, s, m, h)");
  assert_string_equal(profile_error("{\"build\": {\"timout\": \"1m\"}}"),
                      "p.json: build.timout: unknown field \"timout\" (known: memory, timeout, comment)");
  assert_string_equal(profile_error("{\"network\": \"bridge\"}"),
                      "p.json: network: \"bridge\": expected \"none\" or \"host\"");
  assert_string_equal(profile_error("{\"env\": {\"A\": 1}}"), "p.json: env.A: expected a string, got an integer");
  assert_string_equal(profile_error("{\"capabilities\": [\"NET_RAW\"]}"),
                      "p.json: capabilities[0]: \"NET_RAW\" is not a capability name (CAP_... or ALL)");
  assert_string_equal(profile_error("{\"capabilities\": [\"CAP_NET_RAW\", \"CAP_NET_RWA\"]}"),
                      "p.json: capabilities[1]: unknown capability \"CAP_NET_RWA\"");
  assert_null(profile_error("{\"capabilities\": [\"ALL\", \"CAP_BPF\"]}"));
  assert_non_null(strstr(profile_error("{\"ulimits\": {\"nofiles\": 10}}"),
                         "p.json: ulimits.nofiles: unknown name 'nofiles' (known: core "));
  assert_string_equal(profile_error("{\"ulimits\": {\"nofile\": \"10:5\"}}"),
                      "p.json: ulimits.nofile: soft limit above hard limit");
  assert_string_equal(profile_error("{\"cpus\": \"x\"}"),
                      "p.json: cpus: \"x\": expected a positive number such as 0.5 or 2");
  assert_string_equal(profile_error("{\"cpus\": [1]}"),
                      "p.json: cpus: expected a number of CPUs such as 1.5, got an array");
  assert_string_equal(profile_error("{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\":"
                                    " [\"read\"], \"action\": \"SCMP_ACT_FOO\"}]}}"),
                      "p.json: seccomp.syscalls[0].action: unknown action \"SCMP_ACT_FOO\" (known: SCMP_ACT_ALLOW, "
                      "SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, "
                      "SCMP_ACT_TRACE, SCMP_ACT_LOG, SCMP_ACT_NOTIFY)");
  assert_string_equal(profile_error("{\"seccomp\": 3}"),
                      "p.json: seccomp: expected a seccomp object, a profile name or a file, got an integer");
  /* without a base directory (shipped profiles, fuzzing) files are refused */
  assert_string_equal(profile_error("{\"seccomp\": \"x.json\"}"),
                      "p.json: seccomp: 'x.json': a shipped profile can refer only to shipped profiles");
  assert_string_equal(profile_error("{\"seccomp\": \"nosuch\"}"),
                      "p.json: seccomp: unknown profile 'nosuch' (shipped: default, strict, ci, unconfined; a file "
                      "needs a '/' or the .json suffix)");
  assert_non_null(strstr(profile_error("{\"memroy\": \"1G\"}"), "p.json: memroy: unknown field \"memroy\" (known: "));
}

static void write_file(const char *dir, const char *name, const char *text) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "we");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_files(void **state) {
  char dir[] = "/tmp/tjprofile.XXXXXX";
  assert_non_null(mkdtemp(dir));
  char sub[PATH_MAX], path[PATH_MAX + 16];
  snprintf(sub, sizeof(sub), "%s/sub", dir);
  assert_int_equal(mkdir(sub, 0700), 0);
  write_file(sub, "sc.json",
             "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"bpf\"], "
             "\"action\": \"SCMP_ACT_ERRNO\"}]}");
  write_file(dir, "p.json", "{\"memory\": \"64M\", \"seccomp\": \"sub/sc.json\"}");
  write_file(dir, "loop.json", "{\"seccomp\": \"loop.json\"}");
  write_file(dir, "bad.json", "{\"seccomp\": \"sub/broken.json\"}");
  write_file(sub, "broken.json",
             "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n\"syscalls\": [{\"names\": [\"bpf\"], "
             "\"action\": \"SCMP_ACT_EROR\"}]}");
  struct tj_profile p;
  tj_error err = {0};
  snprintf(path, sizeof(path), "%s/p.json", dir);
  if (tj_profile_load(path, &p, &err) < 0)
    fail_msg("%s", err.msg);
  assert_int_equal(p.memory_bytes, 64 << 20);
  assert_non_null(p.seccomp);
  assert_string_equal(p.seccomp->rules[0].names[0], "bpf");
  char want[PATH_MAX + 32];
  snprintf(want, sizeof(want), "%s/sub/sc.json", dir);
  assert_string_equal(p.seccomp_source, want);
  tj_profile_free(&p);

  snprintf(path, sizeof(path), "%s/loop.json", dir);
  assert_true(tj_profile_load(path, &p, &err) < 0);
  snprintf(want, sizeof(want), "%s: seccomp: 'loop.json': profiles refer to each other more than 8 deep (a loop?)",
           path);
  assert_string_equal(err.msg, want);

  snprintf(path, sizeof(path), "%s/bad.json", dir);
  assert_true(tj_profile_load(path, &p, &err) < 0);
  snprintf(want, sizeof(want),
           "%s/bad.json: seccomp: %s/sub/broken.json: syscalls[0].action: unknown action \"SCMP_ACT_EROR\"", dir, dir);
  assert_memory_equal(err.msg, want, strlen(want));

  snprintf(path, sizeof(path), "%s/none.json", dir);
  assert_true(tj_profile_load(path, &p, &err) < 0);
  snprintf(want, sizeof(want), "%s/none.json: No such file or directory", dir);
  assert_string_equal(err.msg, want);
  assert_true(tj_profile_load(dir, &p, &err) < 0); /* a '/': a file, and a directory is not one */
  assert_non_null(strstr(err.msg, "not a regular file"));

  /* --seccomp FILE of a testjail profile takes its seccomp */
  struct tj_sc_policy *sp;
  snprintf(path, sizeof(path), "%s/p.json", dir);
  assert_int_equal(tj_sc_policy_load(path, &sp, &err), 0);
  assert_string_equal(sp->name, path);
  free_policy(sp);
  write_file(dir, "nosc.json", "{\"memory\": \"1G\"}");
  snprintf(path, sizeof(path), "%s/nosc.json", dir);
  assert_true(tj_sc_policy_load(path, &sp, &err) < 0);
  assert_non_null(strstr(err.msg, "the profile has no \"seccomp\""));
  assert_int_equal(tj_sc_policy_load("unconfined", &sp, &err), 0);
  assert_true(sp->unconfined);
  free_policy(sp);

  const char *names[] = {"sub/sc.json", "sub/broken.json", "sub", "p.json", "loop.json", "bad.json", "nosc.json"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    assert_int_equal(i == 2 ? rmdir(path) : unlink(path), 0);
  }
  assert_int_equal(rmdir(dir), 0);
}

static void test_check_warnings(void **state) {
  char dir[] = "/tmp/tjprofile.XXXXXX", path[PATH_MAX];
  assert_non_null(mkdtemp(dir));
  write_file(dir, "w.json",
             "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1, \"syscalls\": ["
             "{\"names\": [\"read\", \"no_such_syscall\"], \"action\": \"SCMP_ACT_ALLOW\"},"
             "{\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ERRNO\"},"
             "{\"names\": [\"arm_only_thing\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\":"
             " {\"arches\": [\"arm64\"]}}]}");
  snprintf(path, sizeof(path), "%s/w.json", dir);
  char *out = NULL, *errs = NULL;
  size_t no, ne;
  FILE *fo = open_memstream(&out, &no), *fe = open_memstream(&errs, &ne);
  assert_int_equal(tj_profile_check(path, fo, fe), 2);
  fclose(fo);
  fclose(fe);
  char want[PATH_MAX * 2];
  snprintf(want, sizeof(want), "%s: syscalls[0]: warning: syscall \"no_such_syscall\" is unknown on ", path);
  assert_non_null(strstr(errs, want));
  snprintf(want, sizeof(want),
           "%s: syscalls[1]: warning: the action is the default action (SCMP_ACT_ERRNO): the rule has no effect\n",
           path);
  assert_non_null(strstr(errs, want));
  assert_null(strstr(errs, "arm_only_thing")); /* limited to another architecture */
  snprintf(want, sizeof(want), "%s: ok: 3 rules, default SCMP_ACT_ERRNO, 2 warnings\n", path);
  assert_string_equal(out, want);
  free(out);
  free(errs);

  fo = open_memstream(&out, &no);
  fe = open_memstream(&errs, &ne);
  assert_int_equal(tj_profile_check("nosuch.json", fo, fe), -1);
  fclose(fo);
  fclose(fe);
  assert_string_equal(errs, "nosuch.json: No such file or directory\n");
  assert_string_equal(out, "");
  free(out);
  free(errs);
  unlink(path);
  rmdir(dir);
}

static void collect(void *ctx, const char *msg) {
  FILE *f = ctx;
  fprintf(f, "%s\n", msg);
}

/* profile check reports every problem, not the first only; the rest stop at the first. */
static void test_all_problems(void **state) {
  const char *text =
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"bogus\": 1, \"syscalls\": ["
      "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_FOO\", \"errnoRet\": 1},"
      "{\"names\": [\"x\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 9, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]},"
      "{\"names\": [\"ok\"], \"action\": \"SCMP_ACT_ERRNO\"}, 7]}";
  char *buf = NULL;
  size_t n;
  FILE *f = open_memstream(&buf, &n);
  struct tj_profile p;
  tj_error err = {0};
  assert_true(tj_profile_parse_all(text, strlen(text), "m.json", NULL, &p, collect, f, &err) < 0);
  fclose(f);
  assert_string_equal(
      buf, "m.json: bogus: unknown field \"bogus\" (known: defaultAction, defaultErrnoRet, architectures, "
           "archMap, syscalls, defaultErrno, flags, listenerPath, listenerMetadata, allowErrnoZero, comment)\n"
           "m.json: syscalls[0].action: unknown action \"SCMP_ACT_FOO\" (known: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, "
           "SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, "
           "SCMP_ACT_LOG, SCMP_ACT_NOTIFY)\n"
           "m.json: syscalls[1].args[0].index: 9 is too large (at most 5)\n"
           "m.json: syscalls[1].args[0].value: -1 is negative\n"
           "m.json: syscalls[3]: expected an object, got an integer\n");
  free(buf);
  /* without a callback: the first problem only */
  assert_true(tj_profile_parse(text, strlen(text), "m.json", NULL, &p, &err) < 0);
  assert_non_null(strstr(err.msg, "m.json: bogus: unknown field"));

  const char *prof = "{\"memory\": \"12Q\", \"network\": \"bridge\", \"env\": {\"B\": 2, \"C\": \"ok\"}, \"seccomp\": "
                     "{\"defaultAction\": \"SCMP_ACT_NOPE\"}}";
  buf = NULL;
  f = open_memstream(&buf, &n);
  assert_true(tj_profile_parse_all(prof, strlen(prof), "p.json", NULL, &p, collect, f, &err) < 0);
  fclose(f);
  assert_string_equal(
      buf, "p.json: memory: invalid size '12Q': unknown suffix 'Q' (use K, M, G, KiB, MiB, GiB or Ki, Mi, Gi)\n"
           "p.json: network: \"bridge\": expected \"none\" or \"host\"\n"
           "p.json: env.B: expected a string, got an integer\n"
           "p.json: seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\" (known: SCMP_ACT_ALLOW, "
           "SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, "
           "SCMP_ACT_TRACE, SCMP_ACT_LOG, SCMP_ACT_NOTIFY)\n");
  free(buf);
}

static int parse_exec(struct tj_spec *spec, const char **args) {
  char *argv[32];
  int argc = 0;
  argv[argc++] = "exec";
  for (; *args; args++)
    argv[argc++] = (char *)*args;
  argv[argc] = NULL;
  tj_error err = {0};
  int r = tj_cli_parse_exec(argc, argv, spec, NULL, &err);
  if (r < 0)
    print_message("parse_exec: %s\n", err.msg);
  return r;
}

static void test_flags_win(void **state) {
  char dir[] = "/tmp/tjprofile.XXXXXX", path[PATH_MAX];
  assert_non_null(mkdtemp(dir));
  write_file(dir, "p.json",
             "{\"memory\": \"1G\", \"pids_limit\": 100, \"network\": \"host\", \"wall_timeout\": \"1m\","
             " \"ulimits\": {\"nofile\": 100, \"nproc\": 50}, \"env\": {\"A\": \"profile\", \"B\": \"profile\"},"
             " \"seccomp\": \"strict\"}");
  snprintf(path, sizeof(path), "%s/p.json", dir);
  struct tj_spec spec;
  const char *a1[] = {"--memory",  "64M",       "--network", "none", "--env", "A=flag", "--ulimit",
                      "nofile=10", "--profile", path,        "--",   "true",  NULL};
  assert_int_equal(parse_exec(&spec, a1), TJ_CLI_RUN);
  assert_int_equal(spec.memory_bytes, 64 << 20); /* flag */
  assert_int_equal(spec.pids, 100);              /* profile */
  assert_int_equal(spec.wall_timeout_ms, 60000);
  assert_false(spec.network_host); /* --network none wins over the profile's host */
  assert_int_equal(tj_rlimit_find(&spec.rlimits, RLIMIT_NOFILE)->soft, 10);
  assert_int_equal(tj_rlimit_find(&spec.rlimits, RLIMIT_NPROC)->soft, 50);
  assert_int_equal(spec.n_env, 2);
  assert_string_equal(spec.env[0], "B=profile");
  assert_string_equal(spec.env[1], "A=flag");
  assert_non_null(spec.seccomp_policy);
  assert_string_equal(spec.seccomp_policy->name, "strict");
  assert_string_equal(spec.profile_name, path);
  free_policy(spec.seccomp_policy);

  const char *a2[] = {"--profile", path, "--", "true", NULL};
  assert_int_equal(parse_exec(&spec, a2), TJ_CLI_RUN);
  assert_true(spec.network_host);
  assert_int_equal(spec.memory_bytes, 1 << 30);
  free_policy(spec.seccomp_policy);

  const char *a3[] = {"--profile", "ci", "--profile", "strict", "--", "true", NULL};
  assert_true(parse_exec(&spec, a3) < 0);
  const char *a4[] = {"--profile", "nosuch", "--", "true", NULL};
  assert_true(parse_exec(&spec, a4) < 0);

  /* test: the profile's build limits, under --build-memory */
  struct tj_test_opts o;
  tj_error err = {0};
  char *t1[] = {"test", "--profile", "ci", "--build-memory", "3G", "./pkg", NULL};
  assert_int_equal(tj_cli_parse_test(6, t1, &o, &err), TJ_CLI_RUN);
  assert_int_equal(o.build_memory_bytes, 3LL << 30);
  assert_int_equal(o.build_timeout_ms, 20 * 60 * 1000);
  assert_int_equal(o.spec.memory_bytes, 2LL << 30);
  free_policy(o.spec.seccomp_policy);
  free(o.packages);
  unlink(path);
  rmdir(dir);
}

int main(int argc, char **argv) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n < 0)
    return 1;
  self[n] = 0;
  snprintf(data_dir, sizeof(data_dir), "%s/data", dirname(self));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_syntax_positions),
      cmocka_unit_test(test_schema_paths),
      cmocka_unit_test(test_min_kernel),
      cmocka_unit_test(test_errno_zero),
      cmocka_unit_test(test_full_oci),
      cmocka_unit_test(test_docker_default),
      cmocka_unit_test(test_podman_default),
      cmocka_unit_test(test_shipped_default),
      cmocka_unit_test(test_shipped_others),
      cmocka_unit_test(test_testjail_profile),
      cmocka_unit_test(test_files),
      cmocka_unit_test(test_check_warnings),
      cmocka_unit_test(test_flags_win),
      cmocka_unit_test(test_all_problems),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
