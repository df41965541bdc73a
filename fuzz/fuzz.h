/* What every libFuzzer target here shares: the entry point libFuzzer calls
 * (declared for -Wmissing-prototypes) and the input as a C string. */
#ifndef TJ_FUZZ_H
#define TJ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input for the parsers that take C strings
 * (a NUL inside ends the string there, as it would in a file read or an
 * argv); NULL when out of memory. The caller frees it. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    return NULL;
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

#endif
