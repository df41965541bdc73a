#include "seccomp/profile.h"

#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/parse.h"
#include "common/util.h"

#define MAX_PROFILE_BYTES (4 << 20)
#define MAX_DEPTH 8    /* profiles naming seccomp files naming profiles... */
#define MAX_ERRNO 4095 /* the kernel's errno range; SECCOMP_RET_DATA above it is not an errno */

/* Parsing context: where we are, for messages. */
struct pctx {
  const char *src;
  tj_error *err;
  bool allow_errno_zero;
  tj_problem_fn problem; /* NULL: the first problem ends the parse */
  void *problem_ctx;
};

/* A field's problem: with a problem callback (profile check) it is reported
 * and parsing goes on with the next field; else, or when out of memory, the
 * function returns. Needs `bool bad` and `struct pctx *c` in scope. */
#define STEP(expr)                                                                                                     \
  do {                                                                                                                 \
    int r_ = (expr);                                                                                                   \
    if (r_ < 0) {                                                                                                      \
      if (r_ == -ENOMEM || !c->problem)                                                                                \
        return r_;                                                                                                     \
      bad = true;                                                                                                      \
    }                                                                                                                  \
  } while (0)

static int fail(struct pctx *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct pctx *c, const char *path, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (path && *path)
    tj_error_set(c->err, 0, "%s: %s: %s", c->src, path, msg);
  else
    tj_error_set(c->err, 0, "%s: %s", c->src, msg);
  if (c->problem)
    c->problem(c->problem_ctx, c->err->msg);
  return -EINVAL;
}

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "an array";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
    return "an integer";
  case JSON_REAL:
    return "a number with a fraction";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  case JSON_NULL:
    return "null";
  }
  return "something else";
}

/* "prefix.key" or "key" at the top; keys are cut short in messages. */
static void path_key(char *buf, size_t len, const char *prefix, const char *key) {
  snprintf(buf, len, "%s%s%.64s", prefix, *prefix ? "." : "", key);
}

static void path_index(char *buf, size_t len, const char *prefix, const char *key, size_t i) {
  snprintf(buf, len, "%s%s%.64s[%zu]", prefix, *prefix ? "." : "", key, i);
}

/* An optional field: JSON null counts as absent (Go writes nil slices and
 * pointers as null). */
static json_t *get(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  return json_is_null(v) ? NULL : v;
}

static int check_keys(struct pctx *c, json_t *obj, const char *prefix, const char *const *known) {
  bool bad = false;
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    bool ok = strcmp(key, "comment") == 0;
    for (const char *const *k = known; *k && !ok; k++)
      ok = strcmp(key, *k) == 0;
    if (!ok) {
      char p[256], list[300] = "";
      path_key(p, sizeof(p), prefix, key);
      for (const char *const *k = known; *k; k++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s, ", *k);
      STEP(fail(c, p, "unknown field \"%.64s\" (known: %scomment)", key, list));
    }
  }
  return bad ? -EINVAL : 0;
}

static int want(struct pctx *c, json_t *v, json_type t, const char *path, const char *what) {
  bool ok = json_typeof(v) == t || (t == JSON_TRUE && json_is_boolean(v));
  if (!ok)
    return fail(c, path, "expected %s, got %s", what, type_name(v));
  return 0;
}

static int get_uint(struct pctx *c, json_t *v, uint64_t max, const char *path, uint64_t *out) {
  if (!json_is_integer(v))
    return fail(c, path, "expected a whole number, got %s", type_name(v));
  json_int_t n = json_integer_value(v);
  if (n < 0)
    return fail(c, path, "%" JSON_INTEGER_FORMAT " is negative", n);
  if ((uint64_t)n > max)
    return fail(c, path, "%" JSON_INTEGER_FORMAT " is too large (at most %" PRIu64 ")", n, max);
  *out = (uint64_t)n;
  return 0;
}

static char *xstrdup(struct pctx *c, const char *s) {
  char *d = strdup(s);
  if (!d)
    tj_error_set(c->err, ENOMEM, "%s", c->src);
  return d;
}

static void free_strv(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

/* Append the strings of array v to *vec. */
static int take_strings(struct pctx *c, json_t *v, const char *path, bool allow_empty, char ***vec, size_t *n) {
  if (want(c, v, JSON_ARRAY, path, "an array of strings") < 0)
    return -EINVAL;
  size_t k = json_array_size(v);
  if (k == 0 && !allow_empty)
    return fail(c, path, "empty list");
  char **nv = realloc(*vec, (*n + k + 1) * sizeof(char *));
  if (!nv)
    return tj_error_set(c->err, ENOMEM, "%s", c->src);
  *vec = nv;
  size_t i;
  json_t *e;
  json_array_foreach(v, i, e) {
    char p[256];
    snprintf(p, sizeof(p), "%s[%zu]", path, i);
    if (!json_is_string(e))
      return fail(c, p, "expected a string, got %s", type_name(e));
    if (!json_string_length(e))
      return fail(c, p, "empty string");
    if (!(nv[*n] = xstrdup(c, json_string_value(e))))
      return -ENOMEM;
    (*n)++;
  }
  return 0;
}

static const struct {
  const char *name;
  enum tj_sc_action action;
} actions[] = {
    {"SCMP_ACT_ALLOW", TJ_SC_ALLOW},
    {"SCMP_ACT_ERRNO", TJ_SC_ERRNO},
    {"SCMP_ACT_KILL", TJ_SC_KILL_THREAD},
    {"SCMP_ACT_KILL_THREAD", TJ_SC_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", TJ_SC_KILL_PROCESS},
    {"SCMP_ACT_TRAP", TJ_SC_TRAP},
    {"SCMP_ACT_TRACE", TJ_SC_TRACE},
    {"SCMP_ACT_LOG", TJ_SC_LOG},
    {"SCMP_ACT_NOTIFY", TJ_SC_NOTIFY},
};

static int get_action(struct pctx *c, json_t *v, const char *path, enum tj_sc_action *out) {
  if (want(c, v, JSON_STRING, path, "an action name (SCMP_ACT_...)") < 0)
    return -EINVAL;
  const char *s = json_string_value(v);
  for (size_t i = 0; i < TJ_ARRAY_SIZE(actions); i++)
    if (strcmp(s, actions[i].name) == 0) {
      *out = actions[i].action;
      return 0;
    }
  return fail(c, path,
              "unknown action \"%.64s\" (known: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, "
              "SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_TRACE, SCMP_ACT_LOG, SCMP_ACT_NOTIFY)",
              s);
}

static const struct {
  const char *name;
  enum tj_sc_op op;
} ops[] = {
    {"SCMP_CMP_NE", TJ_SC_NE},
    {"SCMP_CMP_LT", TJ_SC_LT},
    {"SCMP_CMP_LE", TJ_SC_LE},
    {"SCMP_CMP_EQ", TJ_SC_EQ},
    {"SCMP_CMP_GE", TJ_SC_GE},
    {"SCMP_CMP_GT", TJ_SC_GT},
    {"SCMP_CMP_MASKED_EQ", TJ_SC_MASKED_EQ},
};

/* The architectures libseccomp and the OCI spec know. */
static const char *const arch_names[] = {
    "SCMP_ARCH_NATIVE",      "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",       "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",     "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64",    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",    "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",  "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",        "SCMP_ARCH_SH",     "SCMP_ARCH_SHEB",
};

/* list: path names an array, so the index goes into the message. */
static int check_arches(struct pctx *c, char **v, size_t from, size_t n, const char *path, bool list) {
  for (size_t i = from; i < n; i++) {
    bool ok = false;
    for (size_t k = 0; k < TJ_ARRAY_SIZE(arch_names) && !ok; k++)
      ok = strcmp(v[i], arch_names[k]) == 0;
    if (!ok) {
      char p[280];
      snprintf(p, sizeof(p), list ? "%s[%zu]" : "%s", path, i - from);
      return fail(c, p, "unknown architecture \"%.64s\" (expected SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64, ...)", v[i]);
    }
  }
  return 0;
}

static bool syscall_name_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 64)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
      return false;
  return true;
}

/* allow_all: "ALL" as docker run --cap-add takes it (granted capabilities only). */
static int take_caps(struct pctx *c, json_t *v, const char *path, bool allow_all, char ***vec, size_t *n) {
  size_t before = *n;
  int r = take_strings(c, v, path, true, vec, n);
  if (r < 0)
    return r;
  for (size_t i = before; i < *n; i++) {
    const char *s = (*vec)[i];
    if (allow_all && strcmp(s, "ALL") == 0)
      continue;
    bool ok = strncmp(s, "CAP_", 4) == 0 && s[4];
    for (const char *q = s; *q && ok; q++)
      ok = (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_';
    if (!ok) {
      char p[280];
      snprintf(p, sizeof(p), "%s[%zu]", path, i - before);
      return fail(c, p, "\"%.64s\" is not a capability name (CAP_...%s)", s, allow_all ? " or ALL" : "");
    }
  }
  return 0;
}

static int parse_filter(struct pctx *c, json_t *v, const char *path, struct tj_sc_filter *f) {
  static const char *const known[] = {"caps", "arches", "minKernel", NULL};
  if (want(c, v, JSON_OBJECT, path, "an object") < 0)
    return -EINVAL;
  bool bad = false;
  char p[256];
  json_t *e;
  STEP(check_keys(c, v, path, known));
  if ((e = get(v, "caps"))) {
    path_key(p, sizeof(p), path, "caps");
    STEP(take_caps(c, e, p, false, &f->caps, &f->n_caps));
  }
  if ((e = get(v, "arches"))) {
    path_key(p, sizeof(p), path, "arches");
    STEP(take_strings(c, e, p, true, &f->arches, &f->n_arches));
  }
  if ((e = get(v, "minKernel"))) {
    path_key(p, sizeof(p), path, "minKernel");
    if (want(c, e, JSON_STRING, p, "a kernel version \"X.Y\"") < 0)
      return -EINVAL;
    const char *s = json_string_value(e);
    unsigned major, minor;
    int used = 0;
    /* As dockerd: "X.Y" only; "4.8-rc1" or "5" would be a guess. */
    if (s[0] < '0' || s[0] > '9' || sscanf(s, "%5u.%5u%n", &major, &minor, &used) != 2 || s[used] || !strchr(s, '.') ||
        s[strcspn(s, ".") + 1] < '0' || s[strcspn(s, ".") + 1] > '9' || major == 0)
      return fail(c, p, "invalid kernel version \"%.64s\": expected MAJOR.MINOR, e.g. \"5.8\"", s);
    f->min_kernel_major = major;
    f->min_kernel_minor = minor;
  }
  return bad ? -EINVAL : 0;
}

static int parse_op(struct pctx *c, json_t *v, const char *path, struct tj_sc_arg *a) {
  char p[256];
  json_t *e;
  path_key(p, sizeof(p), path, "op");
  if (!(e = json_object_get(v, "op")))
    return fail(c, path, "missing \"op\"");
  if (want(c, e, JSON_STRING, p, "a comparison (SCMP_CMP_...)") < 0)
    return -EINVAL;
  for (size_t i = 0; i < TJ_ARRAY_SIZE(ops); i++)
    if (strcmp(json_string_value(e), ops[i].name) == 0) {
      a->op = ops[i].op;
      return 0;
    }
  return fail(c, p,
              "unknown comparison \"%.64s\" (known: SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, "
              "SCMP_CMP_GT, SCMP_CMP_MASKED_EQ)",
              json_string_value(e));
}

static int parse_arg(struct pctx *c, json_t *v, const char *path, struct tj_sc_arg *a) {
  static const char *const known[] = {"index", "value", "valueTwo", "op", NULL};
  if (want(c, v, JSON_OBJECT, path, "an object") < 0)
    return -EINVAL;
  bool bad = false;
  char p[256];
  uint64_t u;
  json_t *e;
  STEP(check_keys(c, v, path, known));
  path_key(p, sizeof(p), path, "index");
  if (!(e = json_object_get(v, "index")))
    STEP(fail(c, path, "missing \"index\""));
  else if (get_uint(c, e, 5, p, &u) < 0)
    STEP(-EINVAL);
  else
    a->index = (unsigned)u;
  path_key(p, sizeof(p), path, "value");
  if (!(e = json_object_get(v, "value")))
    STEP(fail(c, path, "missing \"value\""));
  else
    STEP(get_uint(c, e, INT64_MAX, p, &a->value));
  if ((e = get(v, "valueTwo"))) {
    path_key(p, sizeof(p), path, "valueTwo");
    STEP(get_uint(c, e, INT64_MAX, p, &a->value_two));
  }
  STEP(parse_op(c, v, path, a));
  return bad ? -EINVAL : 0;
}

/* containers/common (Podman) writes the errno's name too: "errno": "EPERM". */
static const struct {
  const char *name;
  int value;
} errno_names[] = {
#define E(x)                                                                                                           \
  { #x, x }
    E(EPERM),           E(ENOENT),       E(ESRCH),       E(EINTR),  E(EIO),     E(ENXIO),      E(E2BIG),
    E(ENOEXEC),         E(EBADF),        E(ECHILD),      E(EAGAIN), E(ENOMEM),  E(EACCES),     E(EFAULT),
    E(EBUSY),           E(EEXIST),       E(EXDEV),       E(ENODEV), E(ENOTDIR), E(EISDIR),     E(EINVAL),
    E(ENFILE),          E(EMFILE),       E(ENOTTY),      E(EFBIG),  E(ENOSPC),  E(ESPIPE),     E(EROFS),
    E(EMLINK),          E(EPIPE),        E(ERANGE),      E(ENOSYS), E(ENOTSUP), E(EOPNOTSUPP), E(EAFNOSUPPORT),
    E(EPROTONOSUPPORT), E(ECONNREFUSED), E(ENETUNREACH),
#undef E
};

/* Merge an errno name (name_v, may be NULL) with a numeric errnoRet. */
static int errno_by_name(struct pctx *c, json_t *name_v, const char *path, bool *has, uint32_t *value) {
  if (!name_v)
    return 0;
  if (want(c, name_v, JSON_STRING, path, "an errno name such as \"EPERM\"") < 0)
    return -EINVAL;
  const char *s = json_string_value(name_v);
  for (size_t i = 0; i < TJ_ARRAY_SIZE(errno_names); i++)
    if (strcmp(s, errno_names[i].name) == 0) {
      if (*has && *value != (uint32_t)errno_names[i].value)
        return fail(c, path, "\"%s\" is %d, but the number given is %u", s, errno_names[i].value, *value);
      *has = true;
      *value = (uint32_t)errno_names[i].value;
      return 0;
    }
  return fail(c, path, "unknown errno name \"%.64s\" (give the number instead)", s);
}

static int check_errno(struct pctx *c, enum tj_sc_action action, uint64_t v, const char *path) {
  if (action == TJ_SC_ERRNO && v == 0 && !c->allow_errno_zero)
    return fail(c, path,
                "SCMP_ACT_ERRNO with errno 0 makes the syscall look successful without running it; set "
                "\"allowErrnoZero\": true in the seccomp object if that is really meant");
  return 0;
}

static int rule_names(struct pctx *c, json_t *v, const char *path, struct tj_sc_rule *r) {
  char p[256];
  json_t *e;
  bool bad = false;
  if ((e = get(v, "name"))) {
    path_key(p, sizeof(p), path, "name");
    if (want(c, e, JSON_STRING, p, "a syscall name") < 0)
      STEP(-EINVAL);
    else if (!syscall_name_ok(json_string_value(e)))
      STEP(fail(c, p, "\"%.64s\" is not a syscall name", json_string_value(e)));
    else {
      if (!(r->names = calloc(2, sizeof(char *))) || !(r->names[0] = xstrdup(c, json_string_value(e))))
        return tj_error_set(c->err, ENOMEM, "%s", c->src);
      r->n_names = 1;
    }
  }
  if ((e = get(v, "names"))) {
    path_key(p, sizeof(p), path, "names");
    size_t before = r->n_names;
    int rt = take_strings(c, e, p, r->n_names > 0, &r->names, &r->n_names);
    if (rt < 0)
      return rt;
    for (size_t i = before; i < r->n_names; i++)
      if (!syscall_name_ok(r->names[i])) {
        char pi[280];
        snprintf(pi, sizeof(pi), "%s[%zu]", p, i - before);
        STEP(fail(c, pi, "\"%.64s\" is not a syscall name", r->names[i]));
      }
  }
  if (r->n_names == 0 && !bad)
    return fail(c, path, "no syscall: give \"names\": [...]");
  return bad ? -EINVAL : 0;
}

/* errnoRet and Podman's errno name, once the action is known. */
static int rule_errno(struct pctx *c, json_t *v, const char *path, struct tj_sc_rule *r) {
  char p[256];
  json_t *e;
  bool bad = false;
  if ((e = get(v, "errnoRet"))) {
    uint64_t u;
    path_key(p, sizeof(p), path, "errnoRet");
    if (r->action != TJ_SC_ERRNO && r->action != TJ_SC_TRACE)
      STEP(fail(c, p, "errnoRet goes with SCMP_ACT_ERRNO or SCMP_ACT_TRACE only"));
    else if (get_uint(c, e, r->action == TJ_SC_TRACE ? 0xffff : MAX_ERRNO, p, &u) < 0 ||
             check_errno(c, r->action, u, p) < 0)
      STEP(-EINVAL);
    else {
      r->has_errno = true;
      r->errno_ret = (uint32_t)u;
    }
  }
  if ((e = get(v, "errno"))) {
    path_key(p, sizeof(p), path, "errno");
    if (r->action != TJ_SC_ERRNO)
      STEP(fail(c, p, "errno goes with SCMP_ACT_ERRNO only"));
    else if (!bad)
      STEP(errno_by_name(c, e, p, &r->has_errno, &r->errno_ret));
  }
  return bad ? -EINVAL : 0;
}

static int rule_args(struct pctx *c, json_t *e, const char *p, struct tj_sc_rule *r) {
  if (want(c, e, JSON_ARRAY, p, "an array") < 0)
    return -EINVAL;
  size_t n = json_array_size(e);
  /* Comparisons on different arguments all must hold; several on one
   * argument are alternatives (runc splits them into rules). */
  if (n > 64)
    return fail(c, p, "%zu comparisons: at most 64", n);
  if (n && !(r->args = calloc(n, sizeof(*r->args))))
    return tj_error_set(c->err, ENOMEM, "%s", c->src);
  bool bad = false;
  size_t i;
  json_t *a;
  json_array_foreach(e, i, a) {
    char pa[280];
    snprintf(pa, sizeof(pa), "%s[%zu]", p, i);
    STEP(parse_arg(c, a, pa, &r->args[i]));
    r->n_args++;
  }
  return bad ? -EINVAL : 0;
}

static int parse_rule(struct pctx *c, json_t *v, const char *path, struct tj_sc_rule *r) {
  static const char *const known[] = {"name", "names",    "action",   "errnoRet", "errno",
                                      "args", "includes", "excludes", NULL};
  if (want(c, v, JSON_OBJECT, path, "an object") < 0)
    return -EINVAL;
  bool bad = false;
  char p[256];
  json_t *e;
  STEP(check_keys(c, v, path, known));
  STEP(rule_names(c, v, path, r));
  path_key(p, sizeof(p), path, "action");
  int ra = (e = json_object_get(v, "action")) ? get_action(c, e, p, &r->action) : fail(c, path, "missing \"action\"");
  STEP(ra);
  if (ra == 0)
    STEP(rule_errno(c, v, path, r));
  if ((e = get(v, "args"))) {
    path_key(p, sizeof(p), path, "args");
    STEP(rule_args(c, e, p, r));
  }
  if ((e = get(v, "includes"))) {
    path_key(p, sizeof(p), path, "includes");
    STEP(parse_filter(c, e, p, &r->includes));
  }
  if ((e = get(v, "excludes"))) {
    path_key(p, sizeof(p), path, "excludes");
    STEP(parse_filter(c, e, p, &r->excludes));
  }
  return bad ? -EINVAL : 0;
}

static void free_filter(struct tj_sc_filter *f) {
  free_strv(f->caps, f->n_caps);
  free_strv(f->arches, f->n_arches);
}

void tj_sc_policy_free(struct tj_sc_policy *p) {
  if (!p)
    return;
  free_strv(p->arches, p->n_arches);
  for (size_t i = 0; i < p->n_rules; i++) {
    struct tj_sc_rule *r = &p->rules[i];
    free_strv(r->names, r->n_names);
    free(r->args);
    free_filter(&r->includes);
    free_filter(&r->excludes);
  }
  free(p->rules);
  free(p->name);
  memset(p, 0, sizeof(*p));
}

static int policy_archmap(struct pctx *c, json_t *e, const char *p, struct tj_sc_policy *out) {
  if (want(c, e, JSON_ARRAY, p, "an array") < 0)
    return -EINVAL;
  bool bad = false;
  size_t i;
  json_t *m;
  json_array_foreach(e, i, m) {
    static const char *const mknown[] = {"architecture", "subArchitectures", NULL};
    char pm[280], pf[300];
    snprintf(pm, sizeof(pm), "%s[%zu]", p, i);
    if (want(c, m, JSON_OBJECT, pm, "an object") < 0) {
      STEP(-EINVAL);
      continue;
    }
    STEP(check_keys(c, m, pm, mknown));
    json_t *a = json_object_get(m, "architecture");
    path_key(pf, sizeof(pf), pm, "architecture");
    if (!a)
      STEP(fail(c, pm, "missing \"architecture\""));
    else if (want(c, a, JSON_STRING, pf, "an architecture name (SCMP_ARCH_...)") < 0)
      STEP(-EINVAL);
    else {
      char **nv = realloc(out->arches, (out->n_arches + 1) * sizeof(char *));
      if (!nv)
        return tj_error_set(c->err, ENOMEM, "%s", c->src);
      out->arches = nv;
      if (!(nv[out->n_arches] = xstrdup(c, json_string_value(a))))
        return -ENOMEM;
      size_t before = out->n_arches++;
      STEP(check_arches(c, out->arches, before, out->n_arches, pf, false));
    }
    if ((a = get(m, "subArchitectures"))) {
      path_key(pf, sizeof(pf), pm, "subArchitectures");
      size_t before = out->n_arches;
      int rt = take_strings(c, a, pf, true, &out->arches, &out->n_arches);
      if (rt < 0)
        STEP(rt);
      else
        STEP(check_arches(c, out->arches, before, out->n_arches, pf, true));
    }
  }
  return bad ? -EINVAL : 0;
}

static const char *const filter_flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                           "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};

/* Validated, not carried: testjail sets the filter flags it needs itself. */
static int policy_flags(struct pctx *c, json_t *e, const char *p) {
  if (want(c, e, JSON_ARRAY, p, "an array of strings") < 0)
    return -EINVAL;
  bool bad = false;
  size_t i;
  json_t *f;
  json_array_foreach(e, i, f) {
    char pf[280];
    snprintf(pf, sizeof(pf), "%s[%zu]", p, i);
    if (want(c, f, JSON_STRING, pf, "a flag name (SECCOMP_FILTER_FLAG_...)") < 0) {
      STEP(-EINVAL);
      continue;
    }
    bool ok = false;
    for (size_t k = 0; k < TJ_ARRAY_SIZE(filter_flags) && !ok; k++)
      ok = strcmp(json_string_value(f), filter_flags[k]) == 0;
    if (!ok)
      STEP(fail(c, pf, "unknown flag \"%.64s\"", json_string_value(f)));
  }
  return bad ? -EINVAL : 0;
}

static int policy_syscalls(struct pctx *c, json_t *e, const char *prefix, const char *p, struct tj_sc_policy *out) {
  if (want(c, e, JSON_ARRAY, p, "an array") < 0)
    return -EINVAL;
  size_t n = json_array_size(e);
  if (n && !(out->rules = calloc(n, sizeof(*out->rules))))
    return tj_error_set(c->err, ENOMEM, "%s", c->src);
  bool bad = false;
  size_t i;
  json_t *r;
  json_array_foreach(e, i, r) {
    char pr[256];
    path_index(pr, sizeof(pr), prefix, "syscalls", i);
    out->n_rules++; /* counted first so a half-filled rule is freed */
    STEP(parse_rule(c, r, pr, &out->rules[i]));
  }
  return bad ? -EINVAL : 0;
}

/* prefix: "" for a seccomp file, "seccomp" inside a testjail profile. */
static int parse_policy_obj(struct pctx *c, json_t *root, const char *prefix, struct tj_sc_policy *out) {
  static const char *const known[] = {
      "defaultAction", "defaultErrnoRet", "architectures",    "archMap",        "syscalls", "defaultErrno",
      "flags",         "listenerPath",    "listenerMetadata", "allowErrnoZero", NULL};
  bool bad = false;
  char p[256];
  json_t *e;
  STEP(check_keys(c, root, prefix, known));
  if ((e = get(root, "allowErrnoZero"))) {
    path_key(p, sizeof(p), prefix, "allowErrnoZero");
    if (want(c, e, JSON_TRUE, p, "true or false") < 0)
      STEP(-EINVAL);
    else
      c->allow_errno_zero = json_is_true(e);
  }
  path_key(p, sizeof(p), prefix, "defaultAction");
  int ra = (e = json_object_get(root, "defaultAction")) ? get_action(c, e, p, &out->default_action)
                                                        : fail(c, prefix, "missing \"defaultAction\"");
  STEP(ra);
  int rd = 0;
  if ((e = get(root, "defaultErrnoRet")) && ra == 0) {
    uint64_t u;
    path_key(p, sizeof(p), prefix, "defaultErrnoRet");
    if (get_uint(c, e, MAX_ERRNO, p, &u) < 0 || check_errno(c, out->default_action, u, p) < 0)
      STEP(rd = -EINVAL);
    else {
      out->has_default_errno = true;
      out->default_errno = (uint32_t)u;
    }
  }
  path_key(p, sizeof(p), prefix, "defaultErrno");
  if (rd == 0)
    STEP(errno_by_name(c, get(root, "defaultErrno"), p, &out->has_default_errno, &out->default_errno));
  if ((e = get(root, "architectures"))) {
    path_key(p, sizeof(p), prefix, "architectures");
    int rt = take_strings(c, e, p, true, &out->arches, &out->n_arches);
    if (rt < 0)
      STEP(rt);
    else
      STEP(check_arches(c, out->arches, 0, out->n_arches, p, true));
  }
  if ((e = get(root, "archMap"))) {
    path_key(p, sizeof(p), prefix, "archMap");
    STEP(policy_archmap(c, e, p, out));
  }
  if ((e = get(root, "flags"))) {
    path_key(p, sizeof(p), prefix, "flags");
    STEP(policy_flags(c, e, p));
  }
  static const char *const strings[] = {"listenerPath", "listenerMetadata"};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(strings); i++)
    if ((e = get(root, strings[i]))) {
      path_key(p, sizeof(p), prefix, strings[i]);
      STEP(want(c, e, JSON_STRING, p, "a string"));
    }
  if ((e = get(root, "syscalls"))) {
    path_key(p, sizeof(p), prefix, "syscalls");
    STEP(policy_syscalls(c, e, prefix, p, out));
  }
  return bad ? -EINVAL : 0;
}

static json_t *load_json(struct pctx *c, const char *text, size_t len) {
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    if (je.line > 0)
      tj_error_set(c->err, 0, "%s:%d:%d: %s", c->src, je.line, je.column, je.text);
    else
      tj_error_set(c->err, 0, "%s: %s", c->src, je.text);
    return NULL;
  }
  if (!json_is_object(root)) {
    fail(c, NULL, "expected a JSON object at the top level, got %s", type_name(root));
    json_decref(root);
    return NULL;
  }
  return root;
}

int tj_sc_policy_parse(const char *text, size_t len, const char *source_name, struct tj_sc_policy *out, tj_error *err) {
  struct pctx c = {.src = source_name ? source_name : "<input>", .err = err};
  memset(out, 0, sizeof(*out));
  json_t *root = load_json(&c, text, len);
  if (!root)
    return -EINVAL;
  int r = parse_policy_obj(&c, root, "", out);
  if (r == 0 && !(out->name = xstrdup(&c, c.src)))
    r = -ENOMEM;
  json_decref(root);
  if (r < 0)
    tj_sc_policy_free(out);
  return r < 0 ? r : 0;
}

/* ---- shipped profiles and files ------------------------------------------------ */

/* profiles_data.S embeds profiles/NAME.json as tj_profile_NAME .. _end (NUL-terminated). */
#define SHIPPED(n) extern const char tj_profile_##n[], tj_profile_##n##_end[];
SHIPPED(default)
SHIPPED(strict)
SHIPPED(ci)
SHIPPED(unconfined)

const char *const tj_profile_shipped_names[] = {"default", "strict", "ci", "unconfined", NULL};

const char *tj_profile_shipped(const char *name, size_t *len) {
  static const struct {
    const char *name, *start, *end;
  } t[] = {
      {"default", tj_profile_default, tj_profile_default_end},
      {"strict", tj_profile_strict, tj_profile_strict_end},
      {"ci", tj_profile_ci, tj_profile_ci_end},
      {"unconfined", tj_profile_unconfined, tj_profile_unconfined_end},
  };
  for (size_t i = 0; i < TJ_ARRAY_SIZE(t); i++)
    if (strcmp(name, t[i].name) == 0) {
      *len = (size_t)(t[i].end - t[i].start) - 1;
      return t[i].start;
    }
  return NULL;
}

bool tj_profile_arg_is_file(const char *arg) {
  size_t n = strlen(arg);
  return strchr(arg, '/') || (n >= 5 && strcmp(arg + n - 5, ".json") == 0);
}

static int read_file(const char *path, char **out, size_t *len, tj_error *err) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return tj_error_set(err, errno, "%s", path);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return tj_error_set(err, errno, "%s", path);
  if (!S_ISREG(st.st_mode))
    return tj_error_set(err, 0, "%s: not a regular file", path);
  if (st.st_size > MAX_PROFILE_BYTES)
    return tj_error_set(err, 0, "%s: too large for a profile (%lld bytes, at most %d)", path, (long long)st.st_size,
                        MAX_PROFILE_BYTES);
  _cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
  if (!buf)
    return tj_error_set(err, ENOMEM, "%s", path);
  size_t got = 0;
  while (got <= (size_t)st.st_size) {
    ssize_t k = read(fd, buf + got, (size_t)st.st_size + 1 - got);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      return tj_error_set(err, errno, "reading %s", path);
    if (k == 0)
      break;
    got += (size_t)k;
  }
  if (got > (size_t)st.st_size)
    return tj_error_set(err, 0, "%s: changed while being read", path);
  buf[got] = 0;
  *out = steal_pointer(&buf);
  *len = got;
  return 0;
}

static int profile_parse_depth(const char *text, size_t len, const char *source_name, const char *base_dir,
                               struct tj_profile *out, int depth, tj_problem_fn problem, void *problem_ctx,
                               tj_error *err);

/* "default, strict, ..." into buf */
static const char *shipped_list(char *buf, size_t size) {
  buf[0] = 0;
  for (size_t i = 0; tj_profile_shipped_names[i]; i++)
    snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? ", " : "", tj_profile_shipped_names[i]);
  return buf;
}

/* NAME|FILE -> a profile; base_dir resolves relative files (NULL: the cwd,
 * or files forbidden when forbid_files). */
static int profile_load_depth(const char *arg, const char *base_dir, bool forbid_files, struct tj_profile *out,
                              int depth, tj_problem_fn problem, void *problem_ctx, tj_error *err) {
  memset(out, 0, sizeof(*out));
  if (depth > MAX_DEPTH) {
    tj_error_set(err, 0, "'%s': profiles refer to each other more than %d deep (a loop?)", arg, MAX_DEPTH);
    err->code = ELOOP; /* passed up unwrapped, so the message names the outermost file once */
    return -ELOOP;
  }
  if (!tj_profile_arg_is_file(arg)) {
    size_t len;
    const char *text = tj_profile_shipped(arg, &len);
    char names[128];
    if (!text)
      return tj_error_set(err, 0, "unknown profile '%s' (shipped: %s; a file needs a '/' or the .json suffix)", arg,
                          shipped_list(names, sizeof(names)));
    return profile_parse_depth(text, len, arg, NULL, out, depth, problem, problem_ctx, err);
  }
  if (forbid_files)
    return tj_error_set(err, 0, "'%s': a shipped profile can refer only to shipped profiles", arg);
  _cleanup_free_ char *path = NULL;
  if (arg[0] != '/' && base_dir && strcmp(base_dir, ".") != 0) {
    if (asprintf(&path, "%s/%s", base_dir, arg) < 0)
      return tj_error_set(err, ENOMEM, "%s", arg);
  } else if (!(path = strdup(arg)))
    return tj_error_set(err, ENOMEM, "%s", arg);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (read_file(path, &text, &len, err) < 0)
    return -EINVAL;
  _cleanup_free_ char *dircopy = strdup(path);
  if (!dircopy)
    return tj_error_set(err, ENOMEM, "%s", path);
  return profile_parse_depth(text, len, path, dirname(dircopy), out, depth, problem, problem_ctx, err);
}

static int size_or_bytes(struct pctx *c, json_t *v, const char *path, int64_t *out) {
  tj_error sub = {0};
  if (json_is_integer(v)) {
    if (json_integer_value(v) <= 0)
      return fail(c, path, "must be greater than 0");
    *out = json_integer_value(v);
    return 0;
  }
  if (want(c, v, JSON_STRING, path, "a size such as \"512M\" or a number of bytes") < 0)
    return -EINVAL;
  if (tj_parse_size(json_string_value(v), false, out, &sub) < 0)
    return fail(c, path, "%s", sub.msg);
  return 0;
}

static int duration(struct pctx *c, json_t *v, const char *path, int64_t *out) {
  tj_error sub = {0};
  if (want(c, v, JSON_STRING, path, "a duration such as \"90s\" or \"10m\"") < 0)
    return -EINVAL;
  if (tj_parse_duration(json_string_value(v), out, &sub) < 0)
    return fail(c, path, "%s", sub.msg);
  return 0;
}

/* parse.c and rlimit.c name the flag ("invalid --cpus 'x': ..."); in a
 * profile the JSON path names the field, so keep the reason only. */
static const char *flag_reason(const char *msg) {
  const char *q = strncmp(msg, "invalid --", 10) == 0 ? strstr(msg, "': ") : NULL;
  return q ? q + 3 : msg;
}

static int profile_pids(struct pctx *c, json_t *e, struct tj_profile *out) {
  uint64_t u;
  if (get_uint(c, e, 4194304, "pids_limit", &u) < 0)
    return -EINVAL;
  if (u == 0)
    return fail(c, "pids_limit", "must be at least 1");
  out->pids = (int64_t)u;
  return 0;
}

static int profile_cpus(struct pctx *c, json_t *e, struct tj_profile *out) {
  tj_error sub = {0};
  char buf[64];
  if (json_is_string(e))
    snprintf(buf, sizeof(buf), "%.60s", json_string_value(e));
  else if (json_is_integer(e))
    snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(e));
  else if (json_is_real(e))
    snprintf(buf, sizeof(buf), "%.6g", json_real_value(e));
  else
    return fail(c, "cpus", "expected a number of CPUs such as 1.5, got %s", type_name(e));
  if (tj_parse_cpus(buf, &out->cpu_quota_us, &out->cpu_period_us, &sub) < 0)
    return fail(c, "cpus", "\"%s\": %s", buf, flag_reason(sub.msg));
  return 0;
}

static int profile_build(struct pctx *c, json_t *e, struct tj_profile *out) {
  static const char *const bknown[] = {"memory", "timeout", NULL};
  json_t *b;
  if (want(c, e, JSON_OBJECT, "build", "an object") < 0)
    return -EINVAL;
  bool bad = false;
  STEP(check_keys(c, e, "build", bknown));
  if ((b = get(e, "memory")))
    STEP(size_or_bytes(c, b, "build.memory", &out->build_memory_bytes));
  if ((b = get(e, "timeout")))
    STEP(duration(c, b, "build.timeout", &out->build_timeout_ms));
  return bad ? -EINVAL : 0;
}

static int profile_network(struct pctx *c, json_t *e, struct tj_profile *out) {
  if (want(c, e, JSON_STRING, "network", "\"none\" or \"host\"") < 0)
    return -EINVAL;
  if (strcmp(json_string_value(e), "none") == 0)
    out->network = 0;
  else if (strcmp(json_string_value(e), "host") == 0)
    out->network = 1;
  else
    return fail(c, "network", "\"%.64s\": expected \"none\" or \"host\"", json_string_value(e));
  return 0;
}

static int profile_ulimits(struct pctx *c, json_t *e, struct tj_profile *out) {
  if (want(c, e, JSON_OBJECT, "ulimits", "an object such as {\"nofile\": \"1024:4096\"}") < 0)
    return -EINVAL;
  bool bad = false;
  const char *key;
  json_t *v;
  json_object_foreach(e, key, v) {
    tj_error sub = {0};
    char p[256], arg[160];
    path_key(p, sizeof(p), "ulimits", key);
    if (json_is_string(v))
      snprintf(arg, sizeof(arg), "%.64s=%.64s", key, json_string_value(v));
    else if (json_is_integer(v) && json_integer_value(v) >= 0)
      snprintf(arg, sizeof(arg), "%.64s=%" JSON_INTEGER_FORMAT, key, json_integer_value(v));
    else {
      STEP(fail(c, p, "expected \"SOFT[:HARD]\" or a number, got %s", type_name(v)));
      continue;
    }
    if (strchr(key, '=') || tj_rlimit_parse(arg, &out->rlimits, &sub) < 0)
      STEP(fail(c, p, "%s", sub.msg[0] ? flag_reason(sub.msg) : "invalid name"));
  }
  return bad ? -EINVAL : 0;
}

static int profile_env(struct pctx *c, json_t *e, struct tj_profile *out) {
  if (want(c, e, JSON_OBJECT, "env", "an object such as {\"NAME\": \"VALUE\"}") < 0)
    return -EINVAL;
  if (json_object_size(e) > TJ_MAX_ENV)
    return fail(c, "env", "too many variables (at most %d)", TJ_MAX_ENV);
  if (!(out->env = calloc(json_object_size(e) + 1, sizeof(char *))))
    return tj_error_set(c->err, ENOMEM, "%s", c->src);
  bool bad = false;
  const char *key;
  json_t *v;
  json_object_foreach(e, key, v) {
    char p[256];
    path_key(p, sizeof(p), "env", key);
    if (!key[0] || strchr(key, '='))
      STEP(fail(c, p, "invalid variable name \"%.64s\"", key));
    else if (want(c, v, JSON_STRING, p, "a string") < 0)
      STEP(-EINVAL);
    else {
      if (asprintf(&out->env[out->n_env], "%s=%s", key, json_string_value(v)) < 0)
        return tj_error_set(c->err, ENOMEM, "%s", c->src);
      out->n_env++;
    }
  }
  return bad ? -EINVAL : 0;
}

static int profile_caps(struct pctx *c, json_t *e, struct tj_profile *out) {
  if (take_caps(c, e, "capabilities", true, &out->caps, &out->n_caps) < 0)
    return -EINVAL;
  /* These are granted, so a misspelt one must not pass unnoticed. */
  bool bad = false;
  for (size_t i = 0; i < out->n_caps; i++) {
    char lower[64], p[64];
    size_t k = 0;
    if (strcmp(out->caps[i], "ALL") == 0)
      continue;
    for (const char *q = out->caps[i] + 4; *q && k + 1 < sizeof(lower); q++)
      lower[k++] = (char)tolower((unsigned char)*q);
    lower[k] = 0;
    snprintf(p, sizeof(p), "capabilities[%zu]", i);
    if (capng_name_to_capability(lower) < 0)
      STEP(fail(c, p, "unknown capability \"%.64s\"", out->caps[i]));
  }
  return bad ? -EINVAL : 0;
}

static int profile_seccomp(struct pctx *c, json_t *e, const char *base_dir, bool forbid_files, struct tj_profile *out,
                           int depth) {
  if (json_is_object(e)) {
    if (!(out->seccomp = calloc(1, sizeof(*out->seccomp))))
      return tj_error_set(c->err, ENOMEM, "%s", c->src);
    if (!(out->seccomp->name = xstrdup(c, c->src)) || !(out->seccomp_source = xstrdup(c, c->src)))
      return -ENOMEM;
    out->seccomp_path = "seccomp.";
    return parse_policy_obj(c, e, "seccomp", out->seccomp);
  }
  if (!json_is_string(e))
    return fail(c, "seccomp", "expected a seccomp object, a profile name or a file, got %s", type_name(e));
  const char *s = json_string_value(e);
  if (strcmp(s, "unconfined") == 0) {
    if (!(out->seccomp = calloc(1, sizeof(*out->seccomp))))
      return tj_error_set(c->err, ENOMEM, "%s", c->src);
    out->seccomp->unconfined = true;
    out->seccomp->default_action = TJ_SC_ALLOW;
    if (!(out->seccomp->name = xstrdup(c, "unconfined")) || !(out->seccomp_source = xstrdup(c, c->src)))
      return -ENOMEM;
    out->seccomp_path = "";
    return 0;
  }
  tj_error sub = {0};
  struct tj_profile ref;
  if (profile_load_depth(s, base_dir, forbid_files, &ref, depth + 1, NULL, NULL, &sub) < 0) {
    if (sub.code == ELOOP && depth > 0) {
      *c->err = sub;
      return -ELOOP;
    }
    return sub.code == ENOMEM ? tj_error_set(c->err, ENOMEM, "%s", c->src) : fail(c, "seccomp", "%s", sub.msg);
  }
  if (!ref.seccomp) {
    tj_profile_free(&ref);
    return fail(c, "seccomp", "'%.200s' has no seccomp policy", s);
  }
  out->seccomp = steal_pointer(&ref.seccomp);
  out->seccomp_source = steal_pointer(&ref.seccomp_source);
  out->seccomp_path = ref.seccomp_path;
  free(out->seccomp->name);
  out->seccomp->name = xstrdup(c, s);
  tj_profile_free(&ref);
  return out->seccomp->name ? 0 : -ENOMEM;
}

static int parse_profile_obj(struct pctx *c, json_t *root, const char *base_dir, bool forbid_files,
                             struct tj_profile *out, int depth) {
  static const char *const known[] = {"description", "memory",  "pids_limit", "cpus",         "ulimits", "wall_timeout",
                                      "build",       "network", "env",        "capabilities", "seccomp", NULL};
  bool bad = false;
  json_t *e;
  STEP(check_keys(c, root, "", known));
  if ((e = get(root, "description")))
    STEP(want(c, e, JSON_STRING, "description", "a string"));
  if ((e = get(root, "memory")))
    STEP(size_or_bytes(c, e, "memory", &out->memory_bytes));
  if ((e = get(root, "pids_limit")))
    STEP(profile_pids(c, e, out));
  if ((e = get(root, "cpus")))
    STEP(profile_cpus(c, e, out));
  if ((e = get(root, "wall_timeout")))
    STEP(duration(c, e, "wall_timeout", &out->wall_timeout_ms));
  if ((e = get(root, "build")))
    STEP(profile_build(c, e, out));
  if ((e = get(root, "network")))
    STEP(profile_network(c, e, out));
  if ((e = get(root, "ulimits")))
    STEP(profile_ulimits(c, e, out));
  if ((e = get(root, "env")))
    STEP(profile_env(c, e, out));
  if ((e = get(root, "capabilities")))
    STEP(profile_caps(c, e, out));
  if ((e = get(root, "seccomp")))
    STEP(profile_seccomp(c, e, base_dir, forbid_files, out, depth));
  return bad ? -EINVAL : 0;
}

static void profile_init(struct tj_profile *p) {
  memset(p, 0, sizeof(*p));
  p->memory_bytes = p->pids = p->cpu_quota_us = p->cpu_period_us = p->wall_timeout_ms = -1;
  p->build_memory_bytes = p->build_timeout_ms = -1;
  p->network = -1;
}

static int profile_parse_depth(const char *text, size_t len, const char *source_name, const char *base_dir,
                               struct tj_profile *out, int depth, tj_problem_fn problem, void *problem_ctx,
                               tj_error *err) {
  struct pctx c = {
      .src = source_name ? source_name : "<input>", .err = err, .problem = problem, .problem_ctx = problem_ctx};
  profile_init(out);
  if (!(out->source = strdup(c.src)))
    return tj_error_set(err, ENOMEM, "%s", c.src);
  json_t *root = load_json(&c, text, len);
  if (!root) {
    tj_profile_free(out);
    return -EINVAL;
  }
  int r;
  if (json_object_get(root, "defaultAction")) {
    /* A plain OCI/Docker seccomp file: a profile with only seccomp. */
    r = (out->seccomp = calloc(1, sizeof(*out->seccomp))) ? 0 : tj_error_set(err, ENOMEM, "%s", c.src);
    if (r == 0)
      r = parse_policy_obj(&c, root, "", out->seccomp);
    if (r == 0 && (!(out->seccomp->name = strdup(c.src)) || !(out->seccomp_source = strdup(c.src))))
      r = tj_error_set(err, ENOMEM, "%s", c.src);
    out->seccomp_path = "";
  } else
    r = parse_profile_obj(&c, root, base_dir, base_dir == NULL, out, depth);
  json_decref(root);
  if (r < 0) {
    tj_profile_free(out);
    return r;
  }
  return 0;
}

int tj_profile_parse(const char *text, size_t len, const char *source_name, const char *base_dir,
                     struct tj_profile *out, tj_error *err) {
  return profile_parse_depth(text, len, source_name, base_dir, out, 0, NULL, NULL, err);
}

void tj_profile_free(struct tj_profile *p) {
  if (!p)
    return;
  free(p->source);
  free_strv(p->env, p->n_env);
  free_strv(p->caps, p->n_caps);
  if (p->seccomp) {
    tj_sc_policy_free(p->seccomp);
    free(p->seccomp);
  }
  free(p->seccomp_source);
  profile_init(p);
}

int tj_profile_load(const char *arg, struct tj_profile *out, tj_error *err) {
  profile_init(out);
  if (!*arg)
    return tj_error_set(err, 0, "empty profile name");
  return profile_load_depth(arg, NULL, false, out, 0, NULL, NULL, err);
}

int tj_profile_parse_all(const char *text, size_t len, const char *source_name, const char *base_dir,
                         struct tj_profile *out, tj_problem_fn problem, void *problem_ctx, tj_error *err) {
  return profile_parse_depth(text, len, source_name, base_dir, out, 0, problem, problem_ctx, err);
}

int tj_profile_load_all(const char *arg, struct tj_profile *out, tj_problem_fn problem, void *problem_ctx,
                        tj_error *err) {
  profile_init(out);
  if (!*arg)
    return tj_error_set(err, 0, "empty profile name");
  return profile_load_depth(arg, NULL, false, out, 0, problem, problem_ctx, err);
}

int tj_sc_policy_load(const char *arg, struct tj_sc_policy **out, tj_error *err) {
  *out = NULL;
  struct tj_profile p;
  if (strcmp(arg, "unconfined") == 0 && !tj_profile_arg_is_file(arg)) {
    if (!(*out = calloc(1, sizeof(**out))) || !((*out)->name = strdup("unconfined"))) {
      free(*out);
      *out = NULL;
      return tj_error_set(err, ENOMEM, "--seccomp");
    }
    (*out)->unconfined = true;
    return 0;
  }
  int r = tj_profile_load(arg, &p, err);
  if (r < 0)
    return r;
  if (!p.seccomp) {
    tj_profile_free(&p);
    return tj_error_set(err, 0, "%s: the profile has no \"seccomp\"", arg);
  }
  *out = steal_pointer(&p.seccomp);
  free((*out)->name);
  (*out)->name = strdup(arg);
  tj_profile_free(&p);
  if (!(*out)->name) {
    tj_sc_policy_free(*out);
    free(*out);
    *out = NULL;
    return tj_error_set(err, ENOMEM, "%s", arg);
  }
  return 0;
}

/* ---- applying a profile under the flags ------------------------------------------ */

int tj_profile_apply(struct tj_profile *p, struct tj_spec *spec, int64_t *build_memory_bytes, int64_t *build_timeout_ms,
                     tj_error *err) {
  if (spec->memory_bytes < 0)
    spec->memory_bytes = p->memory_bytes;
  if (spec->pids < 0)
    spec->pids = p->pids;
  if (spec->cpu_quota_us < 0 && p->cpu_quota_us > 0) {
    spec->cpu_quota_us = p->cpu_quota_us;
    spec->cpu_period_us = p->cpu_period_us;
  }
  if (spec->wall_timeout_ms < 0)
    spec->wall_timeout_ms = p->wall_timeout_ms;
  if (build_memory_bytes && *build_memory_bytes < 0)
    *build_memory_bytes = p->build_memory_bytes;
  if (build_timeout_ms && *build_timeout_ms < 0)
    *build_timeout_ms = p->build_timeout_ms;
  if (!spec->network_given && p->network >= 0)
    spec->network_host = p->network == 1;
  for (int i = 0; i < p->rlimits.n; i++)
    if (!tj_rlimit_find(&spec->rlimits, p->rlimits.v[i].resource) && spec->rlimits.n < TJ_MAX_RLIMITS)
      spec->rlimits.v[spec->rlimits.n++] = p->rlimits.v[i];

  /* The profile's variables go first, minus those a flag sets: build_env
   * adds spec->env in order, and a name set twice would reach the
   * workload twice. */
  const char *env[TJ_MAX_ENV];
  int n = 0;
  for (size_t i = 0; i < p->n_env; i++) {
    size_t nl = strcspn(p->env[i], "=") + 1;
    bool flagged = false;
    for (int j = 0; j < spec->n_env && !flagged; j++)
      flagged = strncmp(spec->env[j], p->env[i], nl) == 0;
    if (!flagged) {
      if (n + spec->n_env >= TJ_MAX_ENV)
        return tj_error_set(err, 0, "%s: too many environment variables with the --env flags (at most %d)", p->source,
                            TJ_MAX_ENV);
      env[n++] = p->env[i];
    }
  }
  for (int j = 0; j < spec->n_env; j++)
    env[n + j] = spec->env[j];
  memcpy(spec->env, env, (size_t)(n + spec->n_env) * sizeof(char *));
  spec->n_env += n;
  /* The strings now belong to the spec, which lives as long as the run. */
  for (size_t i = 0; i < p->n_env; i++) {
    bool used = false;
    for (int j = 0; j < n && !used; j++)
      used = env[j] == p->env[i];
    if (!used)
      free(p->env[i]);
  }
  free(p->env);
  p->env = NULL;
  p->n_env = 0;

  if (p->n_caps && !spec->profile_caps) {
    spec->profile_caps = steal_pointer(&p->caps);
    spec->n_profile_caps = p->n_caps;
    p->n_caps = 0;
  }
  if (!spec->seccomp_policy && p->seccomp)
    spec->seccomp_policy = steal_pointer(&p->seccomp);
  return 0;
}
