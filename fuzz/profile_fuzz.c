/* libFuzzer target: the seccomp and the testjail profile parsers take
 * untrusted files (`--profile ./x.json` from a repository under test).
 * Files are not followed (no base directory); shipped names are. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp/profile.h"
#include "fuzz.h"

static void count_problem(void *ctx, const char *msg) {
  if (!msg[0])
    abort();
  ++*(int *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tj_error err = {0};
  struct tj_sc_policy p;
  if (tj_sc_policy_parse((const char *)data, size, "fuzz.json", &p, &err) == 0) {
    for (size_t i = 0; i < p.n_rules; i++)
      if (p.rules[i].n_names == 0 || p.rules[i].n_args > 64)
        abort(); /* the parser promises names and at most 64 comparisons */
    tj_sc_policy_free(&p);
  } else if (strnlen(err.msg, sizeof(err.msg)) >= sizeof(err.msg) || !err.msg[0])
    abort();
  struct tj_profile prof;
  memset(&err, 0, sizeof(err));
  if (tj_profile_parse((const char *)data, size, "fuzz.json", NULL, &prof, &err) == 0)
    tj_profile_free(&prof);
  else if (!err.msg[0])
    abort();
  /* profile check's mode: parsing goes on past problems, over half-filled data */
  int problems = 0;
  memset(&err, 0, sizeof(err));
  if (tj_profile_parse_all((const char *)data, size, "fuzz.json", NULL, &prof, count_problem, &problems, &err) == 0) {
    if (problems)
      abort(); /* a reported problem must fail the parse */
    tj_profile_free(&prof);
  } else if (!err.msg[0])
    abort();
  return 0;
}
