/* Error objects: library code fills one and returns a negative errno;
 * only main() prints. */
#ifndef TJ_ERROR_H
#define TJ_ERROR_H

#include <stdarg.h>

/* The exit code of bad input and of a sandbox testjail could not set up
 * (the contract's sandbox_error): what a workload cannot exit with by
 * accident, as with docker run and podman. */
#define TJ_EXIT_USAGE 125

typedef struct tj_error {
  int code;      /* positive errno value, 0 when unset */
  char msg[512]; /* human text, already naming the input or path */
} tj_error;

/* Fill err with errno_value and a formatted message, return -errno_value
 * (or -1 when errno_value is 0). ": strerror" is appended when errno_value
 * is non-zero. */
int tj_error_set(tj_error *err, int errno_value, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prepend context: "ctx: previous message". Returns -err->code or -1. */
int tj_error_wrap(tj_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
