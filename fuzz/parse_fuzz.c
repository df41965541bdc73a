/* libFuzzer target: what users type on the command line and in profiles:
 * sizes, durations, numbers, CPUs, ids, --ulimit, signal names. Each
 * parser gets the input as one C string; a parse either succeeds with a
 * value in its documented range or fails with a message. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"
#include "common/parse.h"
#include "common/rlimit.h"
#include "fuzz.h"

static void failed(int r, const tj_error *err) {
  if (r >= 0 || !err->msg[0] || strnlen(err->msg, sizeof(err->msg)) >= sizeof(err->msg))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fuzz_cstring(data, size);
  if (!s)
    return 0;
  tj_error err = {0};
  int64_t v, q, p;
  int r;
  if ((r = tj_parse_size(s, size & 1, &v, &err)) == 0) {
    if (v < 0 || (v == 0 && !(size & 1)))
      abort();
    char buf[32];
    tj_format_size(v, buf, sizeof(buf));
  } else
    failed(r, &err);
  memset(&err, 0, sizeof(err));
  if ((r = tj_parse_duration(s, &v, &err)) == 0) {
    if (v <= 0)
      abort();
  } else
    failed(r, &err);
  memset(&err, 0, sizeof(err));
  if ((r = tj_parse_int(s, -5, 1000, &v, &err)) == 0) {
    if (v < -5 || v > 1000)
      abort();
  } else
    failed(r, &err);
  memset(&err, 0, sizeof(err));
  if ((r = tj_parse_cpus(s, &q, &p, &err)) == 0) {
    if (q <= 0 || p <= 0)
      abort();
  } else
    failed(r, &err);
  uid_t uid, start;
  gid_t gid;
  uint32_t count;
  memset(&err, 0, sizeof(err));
  if ((r = tj_parse_user(s, &uid, &gid, &err)) < 0)
    failed(r, &err);
  memset(&err, 0, sizeof(err));
  if ((r = tj_parse_id_range(s, &start, &count, &err)) == 0) {
    if (start < 1 || (uint64_t)start + count > (1ULL << 32))
      abort();
  } else
    failed(r, &err);
  struct tj_rlimits set = {0};
  memset(&err, 0, sizeof(err));
  for (int i = 0; i < TJ_MAX_RLIMITS + 2; i++) /* a full table must fail, not overflow */
    if ((r = tj_rlimit_parse(s, &set, &err)) < 0) {
      failed(r, &err);
      break;
    }
  for (int i = 0; i < set.n; i++)
    if (set.v[i].soft > set.v[i].hard || tj_rlimit_find(&set, set.v[i].resource) != &set.v[i])
      abort();
  int sig;
  memset(&err, 0, sizeof(err));
  if ((r = tj_init_parse_signal(s, size & 1, &sig, &err)) == 0) {
    if (sig < 0 || sig > SIGRTMAX || (sig == 0 && !(size & 1)))
      abort();
  } else
    failed(r, &err);
  struct tj_init_spec spec;
  tj_init_spec_defaults(&spec);
  memset(&err, 0, sizeof(err));
  if ((r = tj_init_parse_rewrite(s, &spec, &err)) < 0)
    failed(r, &err);
  free(s);
  return 0;
}
