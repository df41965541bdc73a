/* libFuzzer target: the -test.v stream parser and its renderers. The bytes
 * come from a test binary and a test can print anything: NUL bytes, huge
 * lines, invalid UTF-8, lines that look like "--- FAIL" or "=== RUN". The
 * first byte picks framing and where the stream is cut into reads, as a
 * pipe would cut it; with bits 0xC8 set the input is repeated into a
 * stream of over 1 MiB (a line far beyond what a test keeps). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "go/gotest.h"
#include "go/testout.h"
#include "fuzz.h"

struct sink {
  struct tj_gotest *gt;
  struct tj_buf text, json;
};

static void check_json_line(const struct tj_buf *b) {
  /* every event line must be JSON that reads back, whatever the test printed */
  json_error_t jerr;
  json_t *o = json_loadb(b->p, b->len, JSON_ALLOW_NUL, &jerr);
  if (!json_is_object(o))
    abort();
  json_decref(o);
}

static void emit(void *ctx, const struct tj_gt_event *ev) {
  struct sink *s = ctx;
  if ((ev->action == TJ_GT_OUTPUT) != (ev->output != NULL) || !ev->test)
    abort();
  struct timespec when = {1700000000, 5};
  s->json.len = 0;
  tj_json_event(&s->json, &when, "example.com/p", ev);
  check_json_line(&s->json);
  tj_text_event(&s->text, s->gt, ev);
  if (s->text.len > (1 << 20))
    s->text.len = 0; /* only crashes matter; keep memory flat */
}

/* xorshift: a cheap, deterministic source of read sizes */
static uint32_t next(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0];
  data++, size--;
  struct sink s = {0};
  s.gt = tj_gotest_new(mode & 1, emit, &s);
  if (!s.gt)
    abort();
  uint32_t x = 0x9e3779b9u ^ mode;
  size_t total = size;
  if ((mode & 0xC8) == 0xC8 && size)
    total = ((1 << 20) / size + 1) * size;
  for (size_t off = 0; off < total;) {
    size_t n = mode & 2 ? total - off : 1 + next(&x) % (mode & 4 ? 7 : 4096);
    size_t at = off % (size ? size : 1);
    if (n > size - at)
      n = size - at;
    tj_gotest_feed(s.gt, (const char *)data + at, n);
    off += n;
  }
  if (mode & 8)
    tj_gotest_fail_unfinished(s.gt, "testjail: killed by the memory limit\n");
  if (mode & 16)
    tj_gotest_exited(s.gt, mode & 32);
  tj_gotest_close(s.gt, 0.5);
  int n, passed, failed, skipped;
  const struct tj_gt_test *t = tj_gotest_tests(s.gt, &n);
  tj_gotest_counts(s.gt, &passed, &failed, &skipped);
  if (passed + failed + skipped > n || n < 0)
    abort();
  for (int i = 0; i < n; i++) {
    if (t[i].parent >= i || t[i].parent < -1 || t[i].output_bytes > TJ_GT_MAX_TEST_OUTPUT + (1 << 20))
      abort();
    if (i < 64 && tj_gotest_find(s.gt, t[i].name) < 0) /* a linear lookup: not for all */
      abort();
  }
  tj_gotest_result(s.gt);
  tj_gotest_free(s.gt);
  /* the escapers take the same bytes: XML and JSON that must stay valid */
  struct tj_buf b = {0};
  tj_json_quote(&b, (const char *)data, size);
  json_t *str = json_loadb(b.p, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
  if (!json_is_string(str))
    abort();
  json_decref(str);
  b.len = 0;
  tj_xml_escape(&b, (const char *)data, size);
  for (size_t i = 0; i < b.len; i++)
    if ((unsigned char)b.p[i] < 0x20 && b.p[i] != '\t' && b.p[i] != '\n' && b.p[i] != '\r')
      abort();
  tj_buf_free(&b);
  tj_buf_free(&s.text);
  tj_buf_free(&s.json);
  return 0;
}
