/* A growing NUL-terminated byte buffer: the renderers write into one and
 * the caller writes it out. Out of memory drops output instead of failing
 * the owner of a sandbox. */
#ifndef TJ_BUF_H
#define TJ_BUF_H

#include <stddef.h>

struct tj_buf {
  char *p;
  size_t len, cap;
};

void tj_buf_add(struct tj_buf *b, const char *s, size_t n);
void tj_buf_printf(struct tj_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tj_buf_free(struct tj_buf *b);

/* s appended with each byte that starts no valid UTF-8 sequence, and each
 * NUL, replaced by U+FFFD (as tj_xml_escape replaces them), so it is a JSON
 * string that jansson reads back: it refuses invalid UTF-8 and, by default,
 * \u0000. */
void tj_utf8_add(struct tj_buf *b, const char *s, size_t n);

/* s as a JSON string (quotes included); invalid UTF-8 becomes U+FFFD, as
 * Go's encoding/json does. */
void tj_json_quote(struct tj_buf *b, const char *s, size_t n);

/* s made safe for XML text and attributes: escaped, without the control
 * characters XML 1.0 forbids, invalid UTF-8 replaced. */
void tj_xml_escape(struct tj_buf *b, const char *s, size_t n);

#endif
