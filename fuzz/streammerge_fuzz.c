/* libFuzzer target: the go test -json streams report merge --json reads (a
 * test's output is in them, and they are whatever a shard left on disk).
 * The input is split in two streams at its first NUL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/streammerge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *nul = memchr(p, 0, size);
  size_t a = nul ? (size_t)(nul - p) : size;
  struct tj_stream in[2] = {{"a", p, a}, {"b", nul ? nul + 1 : p + size, nul ? size - a - 1 : 0}};
  struct tj_buf out = {0};
  tj_error err = {0};
  int r = tj_stream_merge(in, 2, &out, &err);
  if (r < 0 && (!err.msg[0] || out.len))
    abort();
  if (r == 0) {
    /* every non-empty line once, each with its newline */
    size_t want = 0, lines = 0, got = 0;
    for (int s = 0; s < 2; s++)
      for (size_t i = 0, start = 0; i <= in[s].len; i++)
        if (i == in[s].len || in[s].data[i] == '\n') {
          if (i > start)
            want += i - start + 1, lines++;
          start = i + 1;
        }
    for (size_t i = 0; i < out.len; i++)
      got += out.p[i] == '\n';
    if (out.len != want || got < lines)
      abort();
  }
  tj_buf_free(&out);
  return 0;
}
