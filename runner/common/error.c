#include "common/error.h"

#include <stdio.h>
#include <string.h>

int tj_error_set(tj_error *err, int errno_value, const char *fmt, ...) {
  va_list ap;
  if (err) {
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->code = errno_value;
    if (errno_value) {
      size_t n = strlen(err->msg);
      snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errno_value));
    }
  }
  return errno_value ? -errno_value : -1;
}

int tj_error_wrap(tj_error *err, const char *fmt, ...) {
  if (!err)
    return -1;
  char prefix[256], old[sizeof(err->msg)];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof(prefix), fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof(old));
  snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
  return err->code ? -err->code : -1;
}
