/* go test's flag vocabulary (go help testflag, go help build): the flags it
 * knows, which take a value, and whose they are. Pure lookups, shared by
 * the command line (flags before and among the packages) and the job
 * (TESTFLAGS as the test binary and the build take them). */
#ifndef TJ_GOFLAG_H
#define TJ_GOFLAG_H

#include <stdbool.h>
#include <stddef.h>

enum tj_goflag_owner {
  TJ_GOFLAG_TEST,   /* the testing package's: -run, -count, -v... (also as -test.run) */
  TJ_GOFLAG_BUILD,  /* the build's: -race, -tags, -cover... */
  TJ_GOFLAG_GOTEST, /* go test's own: -json, -vet, -p, -exec, -c, -o... */
};

/* The value a flag takes; TJ_GOFLAG_BOOL takes one only as -name=V. */
enum tj_goflag_kind {
  TJ_GOFLAG_BOOL,
  TJ_GOFLAG_INT,
  TJ_GOFLAG_DURATION,
  TJ_GOFLAG_STRING,
  TJ_GOFLAG_SHUFFLE,
  TJ_GOFLAG_BENCHTIME
};

struct tj_goflag {
  const char *name;
  enum tj_goflag_owner owner;
  enum tj_goflag_kind kind;
  /* go test's own: what to use instead where testjail does not take it */
  const char *instead;
};

/* The flag named by name's first nl characters, or NULL. */
const struct tj_goflag *tj_goflag_named(const char *name, size_t nl);

/* arg as go's flag package reads it: "-name", "--name", "-name=V", and the
 * testing package's flags also as "-test.name". NULL when arg is no flag
 * go test knows (a word, "--", "-", or the test binary's own flag). *value:
 * what follows '=' (NULL when none). */
const struct tj_goflag *tj_goflag_parse(const char *arg, const char **value);

/* The next argument is the flag's value (-run X, not -v X). */
static inline bool tj_goflag_takes_next(const struct tj_goflag *f, const char *value) {
  return !value && f->kind != TJ_GOFLAG_BOOL;
}

/* Go's strconv.ParseBool: 1 t T TRUE true True, 0 f F FALSE false False. */
bool tj_goflag_bool(const char *v, bool *out);

/* v is a value f takes; else *expect says what it takes. */
bool tj_goflag_valid(const struct tj_goflag *f, const char *v, const char **expect);

#endif
