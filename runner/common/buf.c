#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDS(b, lit) tj_buf_add(b, lit, sizeof(lit) - 1)

void tj_buf_add(struct tj_buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
      return; /* out of memory: drop output rather than crash the owner of a sandbox */
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

void tj_buf_printf(struct tj_buf *b, const char *fmt, ...) {
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof(small)) {
    tj_buf_add(b, small, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big)
    return;
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  tj_buf_add(b, big, (size_t)n);
  free(big);
}

void tj_buf_free(struct tj_buf *b) {
  free(b->p);
  *b = (struct tj_buf){0};
}

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned *cp) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    len = 2, min = 0x80, c &= 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3, min = 0x800, c &= 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4, min = 0x10000, c &= 0x07;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
    return 0;
  *cp = c;
  return len;
}

void tj_utf8_add(struct tj_buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, start = 0;
  while (i < n) {
    unsigned cp;
    size_t k = utf8_seq(s + i, n - i, &cp);
    if (k && cp) {
      i += k;
      continue;
    }
    tj_buf_add(b, str + start, i - start);
    ADDS(b, "\xef\xbf\xbd");
    start = ++i;
  }
  tj_buf_add(b, str + start, i - start);
}

void tj_json_quote(struct tj_buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  ADDS(b, "\"");
  size_t i = 0;
  while (i < n) {
    unsigned cp;
    size_t k = utf8_seq(s + i, n - i, &cp);
    if (k == 0) {
      ADDS(b, "\\ufffd");
      i++;
      continue;
    }
    if (k == 1) {
      char c = (char)s[i];
      switch (c) {
      case '"':
        ADDS(b, "\\\"");
        break;
      case '\\':
        ADDS(b, "\\\\");
        break;
      case '\n':
        ADDS(b, "\\n");
        break;
      case '\r':
        ADDS(b, "\\r");
        break;
      case '\t':
        ADDS(b, "\\t");
        break;
      /* encoding/json escapes these for HTML safety; match it byte for byte */
      case '<':
      case '>':
      case '&':
        tj_buf_printf(b, "\\u%04x", (unsigned)c);
        break;
      default:
        if (s[i] < 0x20)
          tj_buf_printf(b, "\\u%04x", (unsigned)s[i]);
        else
          tj_buf_add(b, &c, 1);
      }
    } else if (cp == 0x2028 || cp == 0x2029) {
      tj_buf_printf(b, "\\u%04x", cp);
    } else {
      tj_buf_add(b, str + i, k);
    }
    i += k;
  }
  ADDS(b, "\"");
}

void tj_xml_escape(struct tj_buf *b, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    unsigned cp;
    size_t k = utf8_seq(s + i, n - i, &cp);
    if (k == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe || cp == 0xffff) {
      ADDS(b, "\xef\xbf\xbd");
      i += k ? k : 1;
      continue;
    }
    switch (cp) {
    case '&':
      ADDS(b, "&amp;");
      break;
    case '<':
      ADDS(b, "&lt;");
      break;
    case '>':
      ADDS(b, "&gt;");
      break;
    case '"':
      ADDS(b, "&quot;");
      break;
    case '\'':
      ADDS(b, "&apos;");
      break;
    case '\r':
      ADDS(b, "&#13;");
      break;
    default:
      tj_buf_add(b, str + i, k);
    }
    i += k;
  }
}
