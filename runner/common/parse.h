/* Pure parsers for what users type: sizes, durations, numbers, ids. */
#ifndef TJ_PARSE_H
#define TJ_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* "64M", "1G", "512KiB", "4096": powers of 1024. 0 is rejected unless
 * allow_zero. Result in bytes, at most INT64_MAX. */
int tj_parse_size(const char *s, bool allow_zero, int64_t *out, tj_error *err);

/* Go duration syntax: "90s", "1h30m", "500ms", "1.5s", "2m3.5s"; units ns
 * us (µs) ms s m h. A bare number is rejected (Go does the same). Result in
 * milliseconds, rounded up; 0 and negative rejected. */
int tj_parse_duration(const char *s, int64_t *out_ms, tj_error *err);

/* A decimal integer in [min, max]: digits only, after a '-' where min is
 * negative; no '+', blank or other text. */
int tj_parse_int(const char *s, int64_t min, int64_t max, int64_t *out, tj_error *err);

/* "1.5" CPUs -> quota and period in microseconds (period 100000). */
int tj_parse_cpus(const char *s, int64_t *quota_us, int64_t *period_us, tj_error *err);

/* "UID[:GID]": numeric only (no NSS lookups inside a sandbox). GID defaults to UID. */
int tj_parse_user(const char *s, uid_t *uid, gid_t *gid, tj_error *err);

/* --userns-range START:COUNT: START >= 1 (0 is host root), the range within
 * 32-bit ids. */
int tj_parse_id_range(const char *s, uid_t *start, uint32_t *count, tj_error *err);

/* Human size for diagnoses: "64.0 MiB", "512 B". */
void tj_format_size(int64_t bytes, char *buf, size_t len);

#endif
