#include "go/goflag.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "common/util.h"

#define TEST(n, k)                                                                                                     \
  { n, TJ_GOFLAG_TEST, TJ_GOFLAG_##k, NULL }
#define BUILD(n, k)                                                                                                    \
  { n, TJ_GOFLAG_BUILD, TJ_GOFLAG_##k, NULL }
#define GOTEST(n, k, why)                                                                                              \
  { n, TJ_GOFLAG_GOTEST, TJ_GOFLAG_##k, why }

static const struct tj_goflag flags[] = {
    /* The testing package's, Go 1.19 and later (go help testflag). */
    TEST("bench", STRING),
    TEST("benchmem", BOOL),
    TEST("benchtime", BENCHTIME),
    TEST("blockprofile", STRING),
    TEST("blockprofilerate", INT),
    TEST("count", INT),
    TEST("coverprofile", STRING),
    TEST("cpu", STRING),
    TEST("cpuprofile", STRING),
    TEST("failfast", BOOL),
    TEST("fuzz", STRING),
    TEST("fuzzcachedir", STRING),
    TEST("fuzzminimizetime", BENCHTIME),
    TEST("fuzztime", BENCHTIME),
    TEST("list", STRING),
    TEST("memprofile", STRING),
    TEST("memprofilerate", INT),
    TEST("mutexprofile", STRING),
    TEST("mutexprofilefraction", INT),
    TEST("outputdir", STRING),
    TEST("parallel", INT),
    TEST("paniconexit0", BOOL),
    TEST("run", STRING),
    TEST("short", BOOL),
    TEST("shuffle", SHUFFLE),
    TEST("skip", STRING),
    TEST("timeout", DURATION),
    TEST("trace", STRING),
    TEST("v", BOOL),
    TEST("testlogfile", STRING),
    TEST("gocoverdir", STRING),
    /* -fullpath since Go 1.21, -artifacts since Go 1.26 (t.ArtifactDir) */
    TEST("fullpath", BOOL),
    TEST("artifacts", BOOL),
    /* The build's (go help build); go test hands them to the build. */
    BUILD("a", BOOL),
    BUILD("asan", BOOL),
    BUILD("asmflags", STRING),
    BUILD("buildmode", STRING),
    BUILD("buildvcs", BOOL),
    BUILD("compiler", STRING),
    BUILD("cover", BOOL),
    BUILD("covermode", STRING),
    BUILD("coverpkg", STRING),
    BUILD("gccgoflags", STRING),
    BUILD("gcflags", STRING),
    BUILD("installsuffix", STRING),
    BUILD("ldflags", STRING),
    BUILD("linkshared", BOOL),
    BUILD("mod", STRING),
    BUILD("modcacherw", BOOL),
    BUILD("modfile", STRING),
    BUILD("msan", BOOL),
    BUILD("overlay", STRING),
    BUILD("pgo", STRING),
    BUILD("pkgdir", STRING),
    BUILD("race", BOOL),
    BUILD("tags", STRING),
    BUILD("toolexec", STRING),
    BUILD("trimpath", BOOL),
    BUILD("work", BOOL),
    BUILD("x", BOOL),
    /* go test's own: testjail test does the first three itself; the rest
     * have no place here. */
    GOTEST("json", BOOL, "use testjail test --json"),
    GOTEST("vet", STRING, "use testjail test --vet"),
    GOTEST("p", INT, "use testjail test -p N"),
    GOTEST("exec", STRING, "testjail runs the test binary itself"),
    GOTEST("c", BOOL, "testjail test runs the tests it builds"),
    GOTEST("o", STRING, "testjail test runs the tests it builds"),
    GOTEST("i", BOOL, "testjail test runs the tests it builds"),
    GOTEST("n", BOOL, "testjail test runs the tests it builds"),
};

const struct tj_goflag *tj_goflag_named(const char *name, size_t nl) {
  for (size_t i = 0; i < TJ_ARRAY_SIZE(flags); i++)
    if (strlen(flags[i].name) == nl && strncmp(flags[i].name, name, nl) == 0)
      return &flags[i];
  return NULL;
}

const struct tj_goflag *tj_goflag_parse(const char *arg, const char **value) {
  *value = NULL;
  if (arg[0] != '-' || !arg[1] || strcmp(arg, "--") == 0)
    return NULL;
  const char *name = arg + (arg[1] == '-' ? 2 : 1);
  bool prefixed = strncmp(name, "test.", 5) == 0;
  if (prefixed)
    name += 5;
  const char *eq = strchr(name, '=');
  size_t nl = eq ? (size_t)(eq - name) : strlen(name);
  const struct tj_goflag *f = tj_goflag_named(name, nl);
  if (!f || (prefixed && f->owner != TJ_GOFLAG_TEST))
    return NULL;
  *value = eq ? eq + 1 : NULL;
  return f;
}

bool tj_goflag_bool(const char *v, bool *out) {
  static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
  static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
  for (size_t i = 0; i < TJ_ARRAY_SIZE(yes); i++) {
    if (strcmp(v, yes[i]) == 0)
      return *out = true, true;
    if (strcmp(v, no[i]) == 0)
      return *out = false, true;
  }
  return false;
}

static bool valid_int(const char *v) {
  char *end;
  errno = 0;
  strtoll(v, &end, 0);
  return *v && !*end && errno == 0;
}

static bool valid_duration(const char *v) {
  if (strcmp(v, "0") == 0)
    return true; /* Go: 0 means no timeout */
  int64_t ms;
  tj_error e = {0};
  return tj_parse_duration(v, &ms, &e) == 0;
}

bool tj_goflag_valid(const struct tj_goflag *f, const char *v, const char **expect) {
  bool b;
  switch (f->kind) {
  case TJ_GOFLAG_BOOL:
    *expect = "true or false";
    return tj_goflag_bool(v, &b);
  case TJ_GOFLAG_INT:
    *expect = "a whole number";
    return valid_int(v);
  case TJ_GOFLAG_DURATION:
    *expect = "a duration such as 30s or 5m";
    return valid_duration(v);
  case TJ_GOFLAG_BENCHTIME: {
    *expect = "a duration such as 1s, or a count such as 100x";
    size_t n = strlen(v);
    if (n > 1 && v[n - 1] == 'x') {
      char num[32];
      snprintf(num, sizeof(num), "%.*s", (int)(n - 1), v);
      return valid_int(num);
    }
    return valid_duration(v);
  }
  case TJ_GOFLAG_SHUFFLE:
    *expect = "off, on or a seed";
    return !strcmp(v, "off") || !strcmp(v, "on") || valid_int(v);
  case TJ_GOFLAG_STRING:
    *expect = "";
    return true;
  }
  return true;
}
