#include "seccomp/seccomp.h"

#include <ctype.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/caps.h"
#include "seccomp/sccache.h"
#include "common/spec.h"
#include "common/util.h"

/* ---- judging a policy ------------------------------------------------------- */

void tj_sc_env_here(struct tj_sc_env *env, uint64_t caps) {
  memset(env, 0, sizeof(*env));
  env->caps = caps;
  env->native_arch = seccomp_arch_native();
  struct utsname u;
  if (uname(&u) == 0)
    sscanf(u.release, "%d.%d", &env->kernel_major, &env->kernel_minor);
}

/* The names an includes/excludes arch list may use for an arch: Go's GOARCH
 * (as dockerd writes them), the kernel's, and OCI's SCMP_ARCH_*. */
static bool arch_named(uint32_t arch, const char *name) {
  static const struct {
    uint32_t arch;
    const char *names[3];
  } table[] = {
      {SCMP_ARCH_X86_64, {"amd64", "x86_64", "SCMP_ARCH_X86_64"}},
      {SCMP_ARCH_X86, {"386", "x86", "SCMP_ARCH_X86"}},
      {SCMP_ARCH_X32, {"x32", "x32", "SCMP_ARCH_X32"}},
      {SCMP_ARCH_AARCH64, {"arm64", "aarch64", "SCMP_ARCH_AARCH64"}},
      {SCMP_ARCH_ARM, {"arm", "arm", "SCMP_ARCH_ARM"}},
      {SCMP_ARCH_PPC64LE, {"ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE"}},
      {SCMP_ARCH_S390X, {"s390x", "s390x", "SCMP_ARCH_S390X"}},
      {SCMP_ARCH_RISCV64, {"riscv64", "riscv64", "SCMP_ARCH_RISCV64"}},
  };
  for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
    if (table[i].arch == arch)
      for (int j = 0; j < 3; j++)
        if (strcasecmp(table[i].names[j], name) == 0)
          return true;
  return false;
}

static bool has_cap(uint64_t caps, const char *name) {
  int c = tj_cap_from_name(name);
  return c >= 0 && c < 64 && (caps & (1ULL << c));
}

static bool kernel_at_least(const struct tj_sc_env *env, unsigned major, unsigned minor) {
  if ((unsigned)env->kernel_major != major)
    return (unsigned)env->kernel_major > major;
  return (unsigned)env->kernel_minor >= minor;
}

bool tj_sc_rule_active(const struct tj_sc_rule *r, const struct tj_sc_env *env) {
  const struct tj_sc_filter *ex = &r->excludes, *in = &r->includes;
  for (size_t i = 0; i < ex->n_arches; i++)
    if (arch_named(env->native_arch, ex->arches[i]))
      return false;
  for (size_t i = 0; i < ex->n_caps; i++)
    if (has_cap(env->caps, ex->caps[i]))
      return false;
  if ((ex->min_kernel_major || ex->min_kernel_minor) &&
      kernel_at_least(env, ex->min_kernel_major, ex->min_kernel_minor))
    return false;
  if (in->n_arches) {
    bool any = false;
    for (size_t i = 0; i < in->n_arches; i++)
      any |= arch_named(env->native_arch, in->arches[i]);
    if (!any)
      return false;
  }
  for (size_t i = 0; i < in->n_caps; i++)
    if (!has_cap(env->caps, in->caps[i]))
      return false;
  if ((in->min_kernel_major || in->min_kernel_minor) &&
      !kernel_at_least(env, in->min_kernel_major, in->min_kernel_minor))
    return false;
  return true;
}

int tj_sc_errno(const struct tj_sc_policy *p, const struct tj_sc_rule *rule) {
  if (rule && rule->has_errno)
    return (int)rule->errno_ret;
  if (p->has_default_errno)
    return (int)p->default_errno;
  return EPERM;
}

size_t tj_sc_arg_sets(const struct tj_sc_arg *args, size_t n) {
  if (n == 0)
    return 0;
  size_t per[6] = {0}, total = 1;
  for (size_t i = 0; i < n; i++)
    if (args[i].index < 6)
      per[args[i].index]++;
  for (int i = 0; i < 6; i++)
    if (per[i]) {
      total *= per[i];
      if (total > TJ_SC_MAX_SETS)
        return TJ_SC_MAX_SETS;
    }
  return total;
}

size_t tj_sc_arg_set(const struct tj_sc_arg *args, size_t n, size_t k, struct tj_sc_arg out[6]) {
  size_t m = 0;
  /* Mixed radix over the arguments: digit i picks one of argument i's comparisons. */
  for (unsigned idx = 0; idx < 6; idx++) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
      count += args[i].index == idx;
    if (!count)
      continue;
    size_t pick = k % count;
    k /= count;
    for (size_t i = 0; i < n; i++)
      if (args[i].index == idx && pick-- == 0) {
        out[m++] = args[i];
        break;
      }
  }
  return m;
}

bool tj_sc_arg_matches(const struct tj_sc_arg *a, uint64_t v) {
  switch (a->op) {
  case TJ_SC_NE:
    return v != a->value;
  case TJ_SC_LT:
    return v < a->value;
  case TJ_SC_LE:
    return v <= a->value;
  case TJ_SC_EQ:
    return v == a->value;
  case TJ_SC_GE:
    return v >= a->value;
  case TJ_SC_GT:
    return v > a->value;
  case TJ_SC_MASKED_EQ:
    return (v & a->value) == a->value_two;
  }
  return false;
}

static bool is_deny(enum tj_sc_action a) {
  return a == TJ_SC_ERRNO || a == TJ_SC_KILL_THREAD || a == TJ_SC_KILL_PROCESS || a == TJ_SC_NOTIFY;
}

uint32_t tj_sc_kernel_action(enum tj_sc_action a, uint32_t errno_ret) {
  switch (a) {
  case TJ_SC_ALLOW:
    return SCMP_ACT_ALLOW;
  case TJ_SC_LOG:
    return SCMP_ACT_LOG;
  case TJ_SC_TRAP:
    return SCMP_ACT_TRAP;
  case TJ_SC_TRACE:
    return SCMP_ACT_TRACE(errno_ret);
  case TJ_SC_ERRNO:
  case TJ_SC_KILL_THREAD:
  case TJ_SC_KILL_PROCESS:
  case TJ_SC_NOTIFY:
    return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_NOTIFY;
}

const char *tj_sc_action_name(enum tj_sc_action a) {
  switch (a) {
  case TJ_SC_ALLOW:
    return "SCMP_ACT_ALLOW";
  case TJ_SC_ERRNO:
    return "SCMP_ACT_ERRNO";
  case TJ_SC_KILL_THREAD:
    return "SCMP_ACT_KILL_THREAD";
  case TJ_SC_KILL_PROCESS:
    return "SCMP_ACT_KILL_PROCESS";
  case TJ_SC_TRAP:
    return "SCMP_ACT_TRAP";
  case TJ_SC_TRACE:
    return "SCMP_ACT_TRACE";
  case TJ_SC_LOG:
    return "SCMP_ACT_LOG";
  case TJ_SC_NOTIFY:
    return "SCMP_ACT_NOTIFY";
  }
  return "?";
}

/* An OCI/Docker arch name ("SCMP_ARCH_X86", "x86", "amd64") as a token; 0 unknown. */
static uint32_t arch_token(const char *name) {
  char buf[64];
  const char *s = strncasecmp(name, "SCMP_ARCH_", 10) == 0 ? name + 10 : name;
  size_t i = 0;
  for (; s[i] && i < sizeof(buf) - 1; i++)
    buf[i] = (char)tolower((unsigned char)s[i]);
  buf[i] = 0;
  if (strcmp(buf, "amd64") == 0)
    strcpy(buf, "x86_64");
  else if (strcmp(buf, "386") == 0)
    strcpy(buf, "x86");
  else if (strcmp(buf, "arm64") == 0)
    strcpy(buf, "aarch64");
  return seccomp_arch_resolve_name(buf);
}

/* The arches this machine runs besides its native one (the compat ABIs). */
static bool runnable_here(uint32_t native, uint32_t arch) {
  switch (native) {
  case SCMP_ARCH_X86_64:
    return arch == SCMP_ARCH_X86 || arch == SCMP_ARCH_X32;
  case SCMP_ARCH_AARCH64:
    return arch == SCMP_ARCH_ARM;
  case SCMP_ARCH_PPC64:
    return arch == SCMP_ARCH_PPC;
  case SCMP_ARCH_S390X:
    return arch == SCMP_ARCH_S390;
  default:
    return false;
  }
}

static int plan_program(struct tj_sc_plan *plan, tj_error *err);

int tj_sc_plan_init(struct tj_sc_plan *plan, const struct tj_sc_policy *p, const struct tj_sc_env *env, tj_error *err) {
  memset(plan, 0, sizeof(*plan));
  plan->policy = p;
  plan->env = *env;
  if (p->unconfined)
    return 0;
  plan->active = calloc(p->n_rules ? p->n_rules : 1, sizeof(bool));
  if (!plan->active)
    return tj_error_set(err, ENOMEM, "seccomp plan");
  for (size_t i = 0; i < p->n_arches; i++) {
    uint32_t a = arch_token(p->arches[i]);
    bool dup = a == env->native_arch;
    for (size_t j = 0; j < plan->n_arches; j++)
      dup |= plan->arches[j] == a;
    if (a && !dup && runnable_here(env->native_arch, a) && plan->n_arches < 8)
      plan->arches[plan->n_arches++] = a;
  }
  for (size_t i = 0; i < p->n_rules; i++) {
    const struct tj_sc_rule *r = &p->rules[i];
    plan->active[i] = tj_sc_rule_active(r, env);
    if (!plan->active[i])
      continue;
    for (size_t j = 0; r->action == TJ_SC_TRAP && j < r->n_names; j++) {
      size_t off = strlen(plan->trapped);
      snprintf(plan->trapped + off, sizeof(plan->trapped) - off, "%s%s", off ? ", " : "", r->names[j]);
    }
    for (size_t j = 0; j < r->n_names; j++) {
      bool known = seccomp_syscall_resolve_name_arch(env->native_arch, r->names[j]) != __NR_SCMP_ERROR;
      for (size_t k = 0; k < plan->n_arches && !known; k++)
        known = seccomp_syscall_resolve_name_arch(plan->arches[k], r->names[j]) != __NR_SCMP_ERROR;
      if (known)
        continue;
      bool seen = false;
      for (size_t k = 0; k < plan->n_skipped; k++)
        seen |= strcmp(plan->skipped[k], r->names[j]) == 0;
      if (seen)
        continue;
      plan->n_skipped_total++;
      if (plan->n_skipped < TJ_SC_MAX_SKIPPED)
        snprintf(plan->skipped[plan->n_skipped++], sizeof(plan->skipped[0]), "%s", r->names[j]);
    }
  }
  return plan_program(plan, err);
}

void tj_sc_plan_free(struct tj_sc_plan *plan) {
  free(plan->active);
  free(plan->prog);
  free(plan->sock_at);
  plan->active = NULL;
  plan->prog = NULL;
  plan->sock_at = NULL;
  plan->prog_len = plan->n_sock_at = 0;
}

static bool rule_names(const struct tj_sc_rule *r, const char *name) {
  for (size_t i = 0; i < r->n_names; i++)
    if (strcmp(r->names[i], name) == 0)
      return true;
  return false;
}

static bool args_match(const struct tj_sc_rule *r, const uint64_t args[6]) {
  size_t sets = tj_sc_arg_sets(r->args, r->n_args);
  if (sets == 0)
    return true;
  for (size_t k = 0; k < sets; k++) {
    struct tj_sc_arg set[6];
    size_t m = tj_sc_arg_set(r->args, r->n_args, k, set);
    bool all = true;
    for (size_t i = 0; i < m && all; i++)
      all = tj_sc_arg_matches(&set[i], args[set[i].index]);
    if (all)
      return true;
  }
  return false;
}

void tj_sc_decide(const struct tj_sc_plan *plan, uint32_t arch, int nr, const uint64_t args[6],
                  struct tj_sc_decision *d) {
  const struct tj_sc_policy *p = plan->policy;
  memset(d, 0, sizeof(*d));
  char *name = seccomp_syscall_resolve_num_arch(arch, nr);
  d->action = p->default_action;
  if (name) {
    for (size_t i = 0; i < p->n_rules; i++) {
      const struct tj_sc_rule *r = &p->rules[i];
      if (!plan->active[i] || !is_deny(r->action) || !rule_names(r, name) || !args_match(r, args))
        continue;
      d->action = r->action;
      d->rule = r;
      break;
    }
  }
  if (d->action == TJ_SC_ERRNO || d->action == TJ_SC_NOTIFY) {
    d->action = TJ_SC_ERRNO;
    d->err = tj_sc_errno(p, d->rule);
    /* glibc tries clone3 first and gives up on anything but ENOSYS
     * ("pthread_create failed"); a syscall newer than libseccomp is one the
     * caller must be able to fall back from too. */
    if (!name || strcmp(name, "clone3") == 0) {
      d->err = ENOSYS;
      d->enosys = true;
    }
  }
  free(name);
}

/* ---- building and loading the filter ---------------------------------------- */

static void ctx_releasep(scmp_filter_ctx *c) {
  if (*c)
    seccomp_release(*c);
}

/* exempt_fd >= 0: the rule must not catch a call whose first argument is
 * exempt_fd (the listener's hand-over). */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const struct tj_sc_rule *r, int exempt_fd) {
  size_t sets = tj_sc_arg_sets(r->args, r->n_args);
  for (size_t k = 0; k < (sets ? sets : 1); k++) {
    struct tj_sc_arg set[7];
    struct scmp_arg_cmp cmp[7];
    size_t m = sets ? tj_sc_arg_set(r->args, r->n_args, k, set) : 0;
    bool has_a0 = false;
    for (size_t i = 0; i < m; i++)
      has_a0 |= set[i].index == 0;
    if (exempt_fd >= 0 && !has_a0)
      set[m++] = (struct tj_sc_arg){.index = 0, .value = (uint64_t)exempt_fd, .op = TJ_SC_NE};
    static const enum scmp_compare ops[] = {
        [TJ_SC_NE] = SCMP_CMP_NE,
        [TJ_SC_LT] = SCMP_CMP_LT,
        [TJ_SC_LE] = SCMP_CMP_LE,
        [TJ_SC_EQ] = SCMP_CMP_EQ,
        [TJ_SC_GE] = SCMP_CMP_GE,
        [TJ_SC_GT] = SCMP_CMP_GT,
        [TJ_SC_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
    };
    for (size_t i = 0; i < m; i++)
      cmp[i] = (struct scmp_arg_cmp){
          .arg = set[i].index, .op = ops[set[i].op], .datum_a = set[i].value, .datum_b = set[i].value_two};
    int rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)m, cmp);
    if (rc < 0 && rc != -EEXIST)
      return rc;
  }
  return 0;
}

static int build(const struct tj_sc_plan *plan, int sock, scmp_filter_ctx *out, int *n_rules, tj_error *err) {
  const struct tj_sc_policy *p = plan->policy;
  uint32_t def = tj_sc_kernel_action(p->default_action, tj_sc_errno(p, NULL));
  __attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx)
    return tj_error_set(err, ENOMEM, "seccomp filter: seccomp_init");
  int rc;
  if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0)
    return tj_error_set(err, -rc, "seccomp filter: bad-architecture action");
  if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
    return tj_error_set(err, -rc, "seccomp filter: binary-tree optimisation");
  if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
    return tj_error_set(err, -rc, "seccomp filter: TSYNC");
  seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
  for (size_t i = 0; i < plan->n_arches; i++)
    if ((rc = seccomp_arch_add(ctx, plan->arches[i])) < 0 && rc != -EEXIST)
      return tj_error_set(err, -rc, "seccomp filter: adding an architecture");
  /* The hand-over of the listener must never be notified: nobody could
   * answer yet. Under a denying default, an allow rule for it; under an
   * allowing one, the profile's deny rules on sendmsg skip it (below). */
  if (sock >= 0 && def == SCMP_ACT_NOTIFY) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1, SCMP_A0(SCMP_CMP_EQ, (uint64_t)sock));
    if (rc < 0 && rc != -EEXIST)
      return tj_error_set(err, -rc, "seccomp filter: allowing the listener's hand-over");
  }
  int count = 0;
  for (size_t i = 0; i < p->n_rules; i++) {
    const struct tj_sc_rule *r = &p->rules[i];
    if (!plan->active[i])
      continue;
    uint32_t act = tj_sc_kernel_action(r->action, r->errno_ret);
    if (act == def)
      continue; /* libseccomp refuses it (-EACCES); the supervisor still reads the rule */
    for (size_t j = 0; j < r->n_names; j++) {
      int nr = seccomp_syscall_resolve_name(r->names[j]);
      if (nr == __NR_SCMP_ERROR)
        continue; /* in plan->skipped */
      int exempt = sock >= 0 && def != SCMP_ACT_NOTIFY && act == SCMP_ACT_NOTIFY && strcmp(r->names[j], "sendmsg") == 0
                       ? sock
                       : -1;
      rc = add_rule(ctx, act, nr, r, exempt);
      if (rc < 0 && rc != -EEXIST)
        return tj_error_set(err, -rc, "seccomp filter: rule for %s", r->names[j]);
      count++;
    }
  }
  *n_rules = count;
  *out = ctx;
  ctx = NULL;
  return 0;
}

int tj_sc_build_count(const struct tj_sc_plan *plan, tj_error *err) {
  if (plan->policy->unconfined)
    return 0;
  scmp_filter_ctx ctx = NULL;
  int n = 0;
  int rc = build(plan, -1, &ctx, &n, err);
  if (rc < 0)
    return rc;
  seccomp_release(ctx);
  return n;
}

/* ---- the kernel program and its cache ---------------------------------------- */

const char *tj_sc_cache_name(enum tj_sc_cache c) {
  switch (c) {
  case TJ_SC_CACHE_HIT:
    return "hit";
  case TJ_SC_CACHE_MISS:
    return "miss";
  case TJ_SC_CACHE_OFF:
    return "off";
  }
  return "off";
}

/* The listener's socket is made after the plan, and its number varies, so
 * the program is compiled with a stand-in that no comparison of the
 * profile uses (far from syscall numbers and arch tokens too): each
 * JEQ on it is one on the socket, patched by tj_sc_load. */
static uint32_t sock_mark(const struct tj_sc_policy *p) {
  for (uint32_t mark = 0x7ffc5ec0;; mark -= 0x1000) {
    bool used = false;
    for (size_t i = 0; i < p->n_rules && !used; i++)
      for (size_t j = 0; j < p->rules[i].n_args && !used; j++) {
        const struct tj_sc_arg *a = &p->rules[i].args[j];
        used = (uint32_t)a->value == mark || (uint32_t)(a->value >> 32) == mark || (uint32_t)a->value_two == mark ||
               (uint32_t)(a->value_two >> 32) == mark;
      }
    if (!used)
      return mark;
  }
}

static void hash_u64(struct tj_sha256 *s, uint64_t v) { tj_sha256_update(s, &v, sizeof(v)); }

static void hash_str(struct tj_sha256 *s, const char *str) {
  size_t n = str ? strlen(str) : 0;
  hash_u64(s, str ? n : UINT64_MAX);
  tj_sha256_update(s, str ? str : "", n);
}

static void hash_strs(struct tj_sha256 *s, char *const *v, size_t n) {
  hash_u64(s, n);
  for (size_t i = 0; i < n; i++)
    hash_str(s, v[i]);
}

static void hash_filter(struct tj_sha256 *s, const struct tj_sc_filter *f) {
  hash_strs(s, f->caps, f->n_caps);
  hash_strs(s, f->arches, f->n_arches);
  hash_u64(s, f->min_kernel_major);
  hash_u64(s, f->min_kernel_minor);
}

/* The running binary's GNU build ID: a change to how testjail builds the
 * filter must not meet a program cached by the binary before it, even
 * under the same version number. */
static int build_id_cb(struct dl_phdr_info *info, size_t size, void *data) {
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE)
      continue;
    const char *q = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = q + ph->p_memsz;
    while (q + sizeof(ElfW(Nhdr)) <= end) {
      const ElfW(Nhdr) *nh = (const void *)q;
      const char *name = q + sizeof(*nh), *desc = name + ((nh->n_namesz + 3) & ~3u);
      if (desc + nh->n_descsz > end)
        break;
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
        tj_sha256_update(data, desc, nh->n_descsz);
        return 1;
      }
      q = desc + ((nh->n_descsz + 3) & ~3u);
    }
  }
  return 1; /* the first object is the program itself */
}

/* Everything the program is made from: the profile as parsed, the plan's
 * judgement of it (rules on, extra arches), the capability set, kernel,
 * libseccomp and testjail. */
static void cache_key(const struct tj_sc_plan *plan, uint32_t mark, struct tj_scc_key *key) {
  const struct tj_sc_policy *p = plan->policy;
  struct tj_sha256 s;
  tj_sha256_init(&s);
  hash_str(&s, "testjail seccomp program");
  hash_u64(&s, TJ_SCC_VERSION);
#ifdef TJ_VERSION
  hash_str(&s, TJ_VERSION);
#endif
  dl_iterate_phdr(build_id_cb, &s);
  const struct scmp_version *v = seccomp_version();
  hash_u64(&s, v ? (uint64_t)v->major << 32 | v->minor << 16 | v->micro : 0);
  struct utsname u;
  if (uname(&u) == 0) {
    hash_str(&s, u.release);
    hash_str(&s, u.version);
    hash_str(&s, u.machine);
  }
  hash_u64(&s, plan->env.caps);
  hash_u64(&s, plan->env.native_arch);
  hash_u64(&s, (uint64_t)plan->env.kernel_major << 32 | (uint32_t)plan->env.kernel_minor);
  hash_u64(&s, plan->n_arches);
  for (size_t i = 0; i < plan->n_arches; i++)
    hash_u64(&s, plan->arches[i]);
  hash_u64(&s, mark);
  hash_u64(&s, p->default_action);
  hash_u64(&s, p->has_default_errno);
  hash_u64(&s, p->default_errno);
  hash_strs(&s, p->arches, p->n_arches);
  hash_u64(&s, p->n_rules);
  for (size_t i = 0; i < p->n_rules; i++) {
    const struct tj_sc_rule *r = &p->rules[i];
    hash_u64(&s, plan->active[i]);
    hash_strs(&s, r->names, r->n_names);
    hash_u64(&s, r->action);
    hash_u64(&s, r->has_errno);
    hash_u64(&s, r->errno_ret);
    hash_u64(&s, r->n_args);
    for (size_t j = 0; j < r->n_args; j++) {
      hash_u64(&s, r->args[j].index);
      hash_u64(&s, r->args[j].value);
      hash_u64(&s, r->args[j].value_two);
      hash_u64(&s, r->args[j].op);
    }
    hash_filter(&s, &r->includes);
    hash_filter(&s, &r->excludes);
  }
  tj_sha256_final(&s, key->b);
}

/* libseccomp's program for the plan, with mark for the socket. */
static int compile(const struct tj_sc_plan *plan, uint32_t mark, struct sock_filter **out, size_t *n_out,
                   tj_error *err) {
  __attribute__((cleanup(ctx_releasep))) scmp_filter_ctx ctx = NULL;
  int n = 0;
  int rc = build(plan, (int)mark, &ctx, &n, err);
  if (rc < 0)
    return rc;
  _cleanup_close_ int fd = memfd_create("testjail-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return tj_error_set(err, errno, "seccomp filter: memfd_create");
  if ((rc = seccomp_export_bpf(ctx, fd)) < 0)
    return tj_error_set(err, -rc, "seccomp filter: seccomp_export_bpf");
  off_t len = lseek(fd, 0, SEEK_END);
  if (len <= 0 || len % (off_t)sizeof(struct sock_filter) ||
      len > (off_t)(TJ_SCC_MAX_INSNS * sizeof(struct sock_filter)))
    return tj_error_set(err, E2BIG, "seccomp filter: a program of %lld bytes", (long long)len);
  _cleanup_free_ struct sock_filter *prog = malloc((size_t)len);
  if (!prog)
    return tj_error_set(err, ENOMEM, "seccomp filter");
  if (pread(fd, prog, (size_t)len, 0) != len)
    return tj_error_set(err, errno ? errno : EIO, "seccomp filter: reading the exported program");
  *out = steal_pointer(&prog);
  *n_out = (size_t)len / sizeof(struct sock_filter);
  return 0;
}

int tj_sc_compile(const struct tj_sc_plan *plan, int sock, struct sock_filter **prog, size_t *n, tj_error *err) {
  return compile(plan, (uint32_t)sock, prog, n, err);
}

/* Can TSYNC go with NEW_LISTENER (Linux 5.7)? libseccomp's own probe: an
 * unknown flag is EINVAL, a known one gets as far as the NULL program. */
static bool tsync_esrch_supported(void) {
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC_ESRCH, NULL) < 0 && errno == EFAULT;
}

/* The flags libseccomp 2.5 passes for our attributes (TSYNC on, a
 * listener when any action notifies); where TSYNC cannot go with a
 * listener it fails the load, we leave TSYNC out: the workload is one
 * thread. Then the socket's places in the program. */
static int finish_program(struct tj_sc_plan *plan, uint32_t mark, tj_error *err) {
  bool notify = false;
  size_t n_mark = 0;
  for (size_t i = 0; i < plan->prog_len; i++) {
    const struct sock_filter *f = &plan->prog[i];
    notify |= f->code == (BPF_RET | BPF_K) && (f->k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF;
    n_mark += f->code == (BPF_JMP | BPF_JEQ | BPF_K) && f->k == mark;
  }
  plan->prog_flags = SECCOMP_FILTER_FLAG_TSYNC;
  if (notify)
    plan->prog_flags = tsync_esrch_supported() ? SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
                                                     SECCOMP_FILTER_FLAG_NEW_LISTENER
                                               : SECCOMP_FILTER_FLAG_NEW_LISTENER;
  plan->sock_at = calloc(n_mark ? n_mark : 1, sizeof(*plan->sock_at));
  if (!plan->sock_at)
    return tj_error_set(err, ENOMEM, "seccomp plan");
  for (size_t i = 0; i < plan->prog_len; i++)
    if (plan->prog[i].code == (BPF_JMP | BPF_JEQ | BPF_K) && plan->prog[i].k == mark)
      plan->sock_at[plan->n_sock_at++] = (uint32_t)i;
  return 0;
}

static int plan_program(struct tj_sc_plan *plan, tj_error *err) {
  uint32_t mark = sock_mark(plan->policy);
  struct tj_scc_key key;
  cache_key(plan, mark, &key);
  char dir[4096];
  bool have_dir = tj_scc_dir(dir, sizeof(dir)) == 0;
  plan->cache = TJ_SC_CACHE_OFF;
  int r = have_dir ? tj_scc_read(dir, &key, &plan->prog, &plan->prog_len) : -ENOENT;
  if (r == 0) {
    plan->cache = TJ_SC_CACHE_HIT;
  } else {
    if ((r = compile(plan, mark, &plan->prog, &plan->prog_len, err)) < 0)
      return r;
    if (have_dir && tj_scc_write(dir, &key, plan->prog, plan->prog_len) == 0)
      plan->cache = TJ_SC_CACHE_MISS;
  }
  return finish_program(plan, mark, err);
}

static int send_fd(int sock, int fd) {
  char dummy = 'L';
  struct iovec iov = {.iov_base = &dummy, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof(u));
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ssize_t n;
  do
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == 1 ? 0 : -errno;
}

int tj_sc_load(const struct tj_sc_plan *plan, int sock, const char **what) {
  if (plan->policy->unconfined)
    return 0;
  /* Between vfork and exec: the plan's memory is PID 1's, written with
   * the same values whoever loads it. */
  for (size_t i = 0; i < plan->n_sock_at; i++)
    plan->prog[plan->sock_at[i]].k = (uint32_t)sock;
  struct sock_fprog fp = {.len = (unsigned short)plan->prog_len, .filter = plan->prog};
  /* What libseccomp does before the load (SCMP_FLTATR_CTL_NNP, on by
   * default): without CAP_SYS_ADMIN the kernel wants no_new_privs. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return *what = "no_new_privs", -errno;
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, plan->prog_flags, &fp);
  if (fd < 0 && errno == EBUSY && (plan->prog_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
    return *what = "seccomp(SECCOMP_SET_MODE_FILTER) with a listener (a seccomp filter testjail runs under holds "
                   "one already: one listener per chain; --seccomp unconfined runs without)",
           -EBUSY;
  if (fd < 0)
    return *what = "seccomp(SECCOMP_SET_MODE_FILTER)", -errno;
  if (!(plan->prog_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
    return fd == 0 ? 0 : (*what = "TSYNC", -ESRCH); /* TSYNC alone: > 0 names a thread not synced */
  /* Everything the hand-over needs is prepared: from the load on, only
   * sendmsg on sock (exempted in the filter) runs before exec. No close:
   * the listener is close-on-exec, and a close could itself be denied
   * and be counted against the workload. */
  int rc = send_fd(sock, (int)fd);
  if (rc < 0)
    *what = "handing the seccomp listener to testjail";
  return rc;
}

int tj_sc_recv_listener(int sock) {
  char dummy;
  struct iovec iov = {.iov_base = &dummy, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  ssize_t n;
  do
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof(int));
      return fd;
    }
  return -1;
}

/* ---- the supervisor ------------------------------------------------------- */

static void read_comm(int pid, char *buf, size_t len) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/comm", pid);
  buf[0] = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n < 0)
    n = 0;
  buf[n] = 0;
  char *nl = strchr(buf, '\n');
  if (nl)
    *nl = 0;
}

/* The thread's id in its innermost pid namespace: NSpid's last field. */
static int ns_pid(int pid) {
  char path[64], buf[2048];
  snprintf(path, sizeof(path), "/proc/%d/status", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0)
    return -1;
  buf[n] = 0;
  char *l = strstr(buf, "\nNSpid:");
  if (!l)
    return -1;
  l += 8;
  char *end = strchr(l, '\n');
  if (end)
    *end = 0;
  char *last = strrchr(l, '\t');
  return last ? atoi(last + 1) : atoi(l);
}

static struct tj_sc_denial *record(struct tj_sc_result *res, const char *name, const char *test,
                                   const struct tj_sc_decision *d) {
  /* ENOSYS fallbacks (clone3 in every test that starts a process) are one
   * entry per syscall, the first test named: they must not crowd denials
   * out of the table. */
  for (int i = 0; i < res->n_denials; i++) {
    struct tj_sc_denial *x = &res->denials[i];
    if (strcmp(x->syscall, name) == 0 && (d->enosys || strcmp(x->test, test) == 0) && x->err == d->err &&
        x->action == d->action)
      return x;
  }
  if (res->n_denials >= TJ_SC_MAX_DENIALS)
    return NULL;
  struct tj_sc_denial *x = &res->denials[res->n_denials++];
  memset(x, 0, sizeof(*x));
  snprintf(x->syscall, sizeof(x->syscall), "%s", name);
  snprintf(x->test, sizeof(x->test), "%s", test);
  x->action = d->action;
  x->err = d->err;
  x->enosys = d->enosys;
  x->pid = x->host_pid = -1;
  return x;
}

int tj_sc_handle(int listener, const struct tj_sc_plan *plan, struct tj_sc_result *res,
                 const char *(*running)(void *ctx), void *ctx) {
  struct seccomp_notif *req = NULL;
  struct seccomp_notif_resp *resp = NULL;
  if (seccomp_notify_alloc(&req, &resp) < 0)
    return -ENOMEM;
  int r = 0;
  /* The kernel refuses a request buffer that is not zeroed (EINVAL). */
  memset(req, 0, sizeof(*req));
  errno = 0;
  if (seccomp_notify_receive(listener, req) < 0) {
    /* libseccomp says -ECANCELED for every ioctl failure: errno says which.
     * ENOENT: the caller died or a signal took it out of the syscall. */
    r = (errno == ENOENT || errno == EINTR) ? 0 : -(errno ? errno : ECANCELED);
    goto out;
  }
  struct tj_sc_decision d;
  tj_sc_decide(plan, req->data.arch, req->data.nr, (const uint64_t *)req->data.args, &d);
  char *sname = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
  char name[48];
  if (sname)
    snprintf(name, sizeof(name), "%s", sname);
  else
    snprintf(name, sizeof(name), "syscall %d", req->data.nr);
  free(sname);
  /* The tests running, newest first, one a line: a thread cannot be tied
   * to a goroutine, so the first is named and the rest kept as suspects. */
  const char *tests = running ? running(ctx) : NULL;
  char test[96] = "", parallel[192] = "";
  if (tests) {
    size_t first = strcspn(tests, "\n");
    snprintf(test, sizeof(test), "%.*s", (int)first, tests);
    const char *rest = tests[first] ? tests + first + 1 : "";
    size_t l = strlen(rest);
    if (l >= sizeof(parallel)) /* whole names only */
      for (l = sizeof(parallel) - 1; l && rest[l] != '\n';)
        l--;
    snprintf(parallel, sizeof(parallel), "%.*s", (int)l, rest);
  }
  /* Read while the caller still waits for the answer: after it, a thread
   * that exits (the test binary's last test) takes its /proc entry along. */
  char comm[17];
  read_comm((int)req->pid, comm, sizeof(comm));
  int nspid = ns_pid((int)req->pid);

  bool kill = d.action == TJ_SC_KILL_THREAD || d.action == TJ_SC_KILL_PROCESS;
  if (!kill) {
    memset(resp, 0, sizeof(*resp));
    resp->id = req->id;
    resp->error = -d.err;
    resp->val = 0;
    resp->flags = 0;
    if (seccomp_notify_id_valid(listener, req->id) < 0)
      goto out; /* the caller is gone: it never saw a denial */
    errno = 0;
    if (seccomp_notify_respond(listener, resp) < 0)
      goto out; /* ENOENT: interrupted; the restarted call comes again */
  }
  struct tj_sc_denial *x = record(res, name, test, &d);
  if (x) {
    if (!x->parallel[0])
      snprintf(x->parallel, sizeof(x->parallel), "%s", parallel);
    if (x->host_pid < 0) {
      x->host_pid = (int)req->pid;
      x->pid = nspid;
      snprintf(x->comm, sizeof(x->comm), "%s", comm);
    }
    x->count++;
  }
  if (!d.enosys)
    res->total++;
  if (kill) {
    if (!res->killed)
      snprintf(res->kill_syscall, sizeof(res->kill_syscall), "%s", name);
    res->killed = true;
    r = 1;
  }
out:
  seccomp_notify_free(req, resp);
  return r;
}

static const struct tj_sc_denial *most(const struct tj_sc_result *r, const bool *taken) {
  const struct tj_sc_denial *best = NULL;
  for (int i = 0; i < r->n_denials; i++)
    if (!r->denials[i].enosys && !taken[i] && (!best || r->denials[i].count > best->count))
      best = &r->denials[i];
  return best;
}

const char *tj_sc_result_first(const struct tj_sc_result *r) {
  if (r->killed)
    return r->kill_syscall;
  bool taken[TJ_SC_MAX_DENIALS] = {0};
  const struct tj_sc_denial *d = most(r, taken);
  return d ? d->syscall : NULL;
}

void tj_sc_result_summary(const struct tj_sc_result *r, char *buf, size_t len) {
  bool taken[TJ_SC_MAX_DENIALS] = {0};
  size_t off = 0;
  buf[0] = 0;
  for (int shown = 0; shown < 4; shown++) {
    const struct tj_sc_denial *d = most(r, taken);
    if (!d)
      break;
    taken[d - r->denials] = true;
    char par[sizeof(d->parallel) * 2] = "";
    for (const char *q = d->parallel; d->test[0] && *q;) {
      size_t l = strcspn(q, "\n");
      size_t at = strlen(par);
      snprintf(par + at, sizeof(par) - at, "%s%.*s", at ? ", " : " or the parallel ", (int)l, q);
      q += l + (q[l] == '\n');
    }
    int w = snprintf(buf + off, len - off, "%s%s (%" PRId64 "x%s%s%s)", shown ? ", " : "", d->syscall, d->count,
                     d->test[0] ? ", in " : "", d->test, par);
    if (w < 0 || (size_t)w >= len - off)
      break;
    off += (size_t)w;
  }
  int more = 0;
  for (int i = 0; i < r->n_denials; i++)
    more += !r->denials[i].enosys && !taken[i];
  if (more && off < len)
    snprintf(buf + off, len - off, " and %d more", more);
}

/* ---- the spec's side -------------------------------------------------------- */

uint64_t tj_spec_caps(const struct tj_spec *spec) {
  bool root = !spec->has_user || spec->uid == 0;
  /* As docker run: the default set, plus --cap-add, minus --cap-drop;
   * --cap-drop ALL leaves only --cap-add. A profile's "capabilities"
   * replaces the default set. */
  uint64_t base = spec->root_default_caps && root ? tj_caps_docker_default() : 0;
  if (spec->n_profile_caps) {
    base = 0;
    for (size_t i = 0; i < spec->n_profile_caps; i++) {
      int c = tj_cap_from_name(spec->profile_caps[i]);
      if (strcasecmp(spec->profile_caps[i], "ALL") == 0)
        base |= tj_caps_all();
      else if (c >= 0)
        base |= 1ULL << c;
    }
  }
  if (spec->cap_drop == ~0ULL)
    return spec->cap_add & tj_caps_all();
  return ((base | spec->cap_add) & ~spec->cap_drop) & tj_caps_all();
}

int tj_spec_seccomp(struct tj_spec *spec, tj_error *err) {
  if (spec->seccomp_policy && !spec->seccomp_arg)
    return 0;
  struct tj_sc_policy *p = NULL;
  int r = tj_sc_policy_load(spec->seccomp_arg ? spec->seccomp_arg : "default", &p, err);
  if (r < 0)
    return r;
  spec->seccomp_policy = p;
  return 0;
}
