#include "cmd/profile.h"
#include "cmd/cmd.h"

#include <seccomp.h>
#include <string.h>
#include <sys/utsname.h>

#include "cmd/cli.h"
#include "seccomp/profile.h"
#include "common/util.h"
#include "common/error.h"

static const char *action_name(enum tj_sc_action a) {
  static const char *const names[] = {
      [TJ_SC_ALLOW] = "SCMP_ACT_ALLOW",
      [TJ_SC_ERRNO] = "SCMP_ACT_ERRNO",
      [TJ_SC_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
      [TJ_SC_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
      [TJ_SC_TRAP] = "SCMP_ACT_TRAP",
      [TJ_SC_TRACE] = "SCMP_ACT_TRACE",
      [TJ_SC_LOG] = "SCMP_ACT_LOG",
      [TJ_SC_NOTIFY] = "SCMP_ACT_NOTIFY",
  };
  return (unsigned)a < TJ_ARRAY_SIZE(names) ? names[a] : "?";
}

/* The names a Docker rule's includes/excludes may give this machine's
 * architecture: Go's (amd64) and libseccomp's. */
static bool arch_is_native(const char *name) {
  uint32_t native = seccomp_arch_native();
  if (strncmp(name, "SCMP_ARCH_", 10) == 0) {
    char lower[32];
    size_t i = 0;
    for (const char *p = name + 10; *p && i + 1 < sizeof(lower); p++)
      lower[i++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    lower[i] = 0;
    return seccomp_arch_resolve_name(lower) == native;
  }
  static const struct {
    const char *go, *scmp;
  } go_names[] = {{"amd64", "x86_64"}, {"386", "x86"}, {"arm64", "aarch64"},   {"ppc64le", "ppc64le"},
                  {"s390x", "s390x"},  {"arm", "arm"}, {"riscv64", "riscv64"}, {"x86", "x86"}};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(go_names); i++)
    if (strcmp(name, go_names[i].go) == 0)
      return seccomp_arch_resolve_name(go_names[i].scmp) == native;
  return seccomp_arch_resolve_name(name) == native;
}

/* A rule limited to other architectures names syscalls of theirs. */
static bool rule_applies_here(const struct tj_sc_rule *r) {
  for (size_t i = 0; i < r->excludes.n_arches; i++)
    if (arch_is_native(r->excludes.arches[i]))
      return false;
  if (r->includes.n_arches == 0)
    return true;
  for (size_t i = 0; i < r->includes.n_arches; i++)
    if (arch_is_native(r->includes.arches[i]))
      return true;
  return false;
}

static uint32_t effective_errno(bool has, uint32_t value, const struct tj_sc_policy *p) {
  if (has)
    return value;
  return p->has_default_errno ? p->default_errno : 1; /* EPERM, as runc */
}

struct problems {
  FILE *out;
  int n;
};

static void print_problem(void *ctx, const char *msg) {
  struct problems *p = ctx;
  fprintf(p->out, "%s\n", msg);
  p->n++;
}

int tj_profile_check(const char *arg, FILE *out, FILE *err) {
  struct tj_profile prof;
  tj_error e = {0};
  struct problems probs = {err, 0};
  if (tj_profile_load_all(arg, &prof, print_problem, &probs, &e) < 0) {
    if (probs.n == 0)
      fprintf(err, "%s\n", e.msg);
    return -1;
  }
  int warnings = 0;
  const struct tj_sc_policy *p = prof.seccomp;
  const char *src = prof.seccomp_source ? prof.seccomp_source : prof.source;
  const char *pre = prof.seccomp_path ? prof.seccomp_path : "";
  struct utsname u;
  uname(&u);
  for (size_t i = 0; p && !p->unconfined && i < p->n_rules; i++) {
    const struct tj_sc_rule *r = &p->rules[i];
    if (r->action == p->default_action &&
        (r->action != TJ_SC_ERRNO || effective_errno(r->has_errno, r->errno_ret, p) ==
                                         effective_errno(p->has_default_errno, p->default_errno, p))) {
      fprintf(err, "%s: %ssyscalls[%zu]: warning: the action is the default action (%s): the rule has no effect\n", src,
              pre, i, action_name(r->action));
      warnings++;
    }
    if (!rule_applies_here(r))
      continue;
    for (size_t k = 0; k < r->n_names; k++)
      if (seccomp_syscall_resolve_name(r->names[k]) == __NR_SCMP_ERROR) {
        fprintf(err, "%s: %ssyscalls[%zu]: warning: syscall \"%s\" is unknown on %s to libseccomp %u.%u: skipped\n",
                src, pre, i, r->names[k], u.machine, seccomp_version()->major, seccomp_version()->minor);
        warnings++;
      }
  }
  if (!p)
    fprintf(out, "%s: ok: no seccomp policy (the default profile applies)", prof.source);
  else if (p->unconfined)
    fprintf(out, "%s: ok: seccomp unconfined", prof.source);
  else
    fprintf(out, "%s: ok: %zu rule%s, default %s", prof.source, p->n_rules, p->n_rules == 1 ? "" : "s",
            action_name(p->default_action));
  if (warnings)
    fprintf(out, ", %d warning%s", warnings, warnings == 1 ? "" : "s");
  fprintf(out, "\n");
  tj_profile_free(&prof);
  return warnings;
}

static int cmd_show(int argc, char **argv) {
  if (argc != 1) {
    fprintf(stderr, "testjail: profile show: give one shipped profile's name (");
    for (size_t i = 0; tj_profile_shipped_names[i]; i++)
      fprintf(stderr, "%s%s", i ? ", " : "", tj_profile_shipped_names[i]);
    fprintf(stderr, ")\n");
    return TJ_EXIT_USAGE;
  }
  size_t len;
  const char *text = tj_profile_shipped(argv[0], &len);
  if (!text) {
    fprintf(stderr, "testjail: profile show: unknown profile '%s' (shipped: ", argv[0]);
    for (size_t i = 0; tj_profile_shipped_names[i]; i++)
      fprintf(stderr, "%s%s", i ? ", " : "", tj_profile_shipped_names[i]);
    fprintf(stderr, ")\n");
    return TJ_EXIT_USAGE;
  }
  fwrite(text, 1, len, stdout);
  return 0;
}

int tj_cmd_profile(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "testjail: profile: no subcommand (check or show; see 'testjail profile --help')\n");
    return TJ_EXIT_USAGE;
  }
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      tj_cli_help_profile(stdout);
      return 0;
    }
  if (strcmp(argv[1], "show") == 0)
    return cmd_show(argc - 2, argv + 2);
  if (strcmp(argv[1], "check") != 0) {
    fprintf(stderr, "testjail: profile: unknown subcommand '%s' (check or show; see 'testjail profile --help')\n",
            argv[1]);
    return TJ_EXIT_USAGE;
  }
  int first = 2;
  if (first < argc && strcmp(argv[first], "--") == 0)
    first++;
  if (first >= argc) {
    fprintf(stderr, "testjail: profile check: no file given (usage: testjail profile check FILE...)\n");
    return TJ_EXIT_USAGE;
  }
  int bad = 0;
  for (int i = first; i < argc; i++)
    if (tj_profile_check(argv[i], stdout, stderr) < 0)
      bad++;
  return bad ? TJ_EXIT_USAGE : 0;
}
