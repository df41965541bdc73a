#include "common/parse.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tj_parse_int(const char *s, int64_t min, int64_t max, int64_t *out, tj_error *err) {
  char *end;
  /* strtoll would also take blanks and a '+' in front, and "-0" for a count */
  const char *digits = s && *s == '-' && min < 0 ? s + 1 : s;
  if (!s || !isdigit((unsigned char)*digits))
    return tj_error_set(err, 0, "'%s' is not a number", s ? s : "");
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end)
    return tj_error_set(err, 0, "'%s' is not a number", s);
  if (errno == ERANGE || v < min || v > max)
    return tj_error_set(err, 0, "'%s' is out of range [%" PRId64 ", %" PRId64 "]", s, min, max);
  *out = v;
  return 0;
}

int tj_parse_size(const char *s, bool allow_zero, int64_t *out, tj_error *err) {
  static const struct {
    const char *suffix;
    int shift;
  } units[] = {
      {"", 0},    {"b", 0},  {"k", 10},  {"kb", 10},  {"kib", 10}, {"ki", 10}, {"m", 20},  {"mb", 20},  {"mib", 20},
      {"mi", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}, {"gi", 30},  {"t", 40},  {"tb", 40}, {"tib", 40}, {"ti", 40},
  };
  char *end;
  if (!s || !isdigit((unsigned char)*s))
    return tj_error_set(err, 0, "invalid size '%s': expected a number of bytes with an optional K, M or G suffix",
                        s ? s : "");
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno == ERANGE)
    return tj_error_set(err, 0, "invalid size '%s': too large", s);
  /* 1.5G, 0.5Gi: as docker and Kubernetes take them; whole bytes, rounded down. */
  unsigned long long frac = 0, scale = 1;
  bool fraction = *end == '.';
  if (fraction) {
    if (!isdigit((unsigned char)end[1]))
      return tj_error_set(err, 0, "invalid size '%s': expected digits after the '.'", s);
    for (end++; isdigit((unsigned char)*end); end++)
      if (scale < 1000000000000000ULL)
        frac = frac * 10 + (unsigned long long)(*end - '0'), scale *= 10;
  }
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    if (strcasecmp(end, units[i].suffix) != 0)
      continue;
    if (fraction && units[i].shift == 0)
      return tj_error_set(err, 0, "invalid size '%s': a fraction of a byte (a fraction needs a K, M or G suffix)", s);
    if (v > (unsigned long long)(INT64_MAX >> units[i].shift))
      return tj_error_set(err, 0, "invalid size '%s': too large", s);
    /* below INT64_MAX: the fraction adds less than one unit */
    unsigned __int128 bytes =
        ((unsigned __int128)v << units[i].shift) + ((unsigned __int128)frac << units[i].shift) / scale;
    if (bytes == 0 && !allow_zero)
      return tj_error_set(err, 0, "invalid size '%s': must be greater than 0", s);
    *out = (int64_t)bytes;
    return 0;
  }
  return tj_error_set(err, 0, "invalid size '%s': unknown suffix '%s' (use K, M, G, KiB, MiB, GiB or Ki, Mi, Gi)", s,
                      end);
}

int tj_parse_duration(const char *s, int64_t *out_ms, tj_error *err) {
  static const struct {
    const char *unit;
    double ns;
  } units[] = {
      {"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
  };
  if (!s || !*s)
    return tj_error_set(err, 0, "invalid duration '': expected e.g. 90s, 5m, 1h30m");
  const char *p = s;
  double total_ns = 0;
  while (*p) {
    if (!isdigit((unsigned char)*p) && *p != '.')
      return tj_error_set(err, 0, "invalid duration '%s': expected e.g. 90s, 5m, 1h30m", s);
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno == ERANGE || !isfinite(v))
      return tj_error_set(err, 0, "invalid duration '%s': expected e.g. 90s, 5m, 1h30m", s);
    p = end;
    size_t best = 0, best_len = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
      size_t n = strlen(units[i].unit);
      if (n > best_len && strncmp(p, units[i].unit, n) == 0) {
        best = i;
        best_len = n;
      }
    }
    if (!best_len)
      return tj_error_set(err, 0, "invalid duration '%s': missing or unknown unit (ns, us, ms, s, m, h)", s);
    total_ns += v * units[best].ns;
    p += best_len;
  }
  if (total_ns <= 0)
    return tj_error_set(err, 0, "invalid duration '%s': must be greater than 0", s);
  double ms = ceil(total_ns / 1e6);
  if (ms > (double)INT64_MAX / 2)
    return tj_error_set(err, 0, "invalid duration '%s': too large", s);
  *out_ms = (int64_t)ms;
  return 0;
}

int tj_parse_cpus(const char *s, int64_t *quota_us, int64_t *period_us, tj_error *err) {
  char *end;
  if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '.'))
    return tj_error_set(err, 0, "invalid --cpus '%s': expected a positive number such as 0.5 or 2", s ? s : "");
  errno = 0;
  double v = strtod(s, &end);
  if (*end || errno || !isfinite(v) || v <= 0 || v > 4096)
    return tj_error_set(err, 0, "invalid --cpus '%s': expected a positive number such as 0.5 or 2", s);
  *period_us = 100000;
  *quota_us = (int64_t)llround(v * 100000);
  if (*quota_us < 1000) /* the kernel's minimum cfs quota is 1 ms */
    return tj_error_set(err, 0, "invalid --cpus '%s': at least 0.01", s);
  return 0;
}

/* The highest uid or gid: (uid_t)-1 means "no id" to the kernel. */
#define ID_MAX 0xfffffffe

/* "A" or "A:B", whole numbers in [lo, ID_MAX]; B is A where there is none. */
static bool id_pair(const char *s, int64_t lo, int64_t *a, int64_t *b) {
  tj_error ignored = {0};
  char buf[64];
  if (strlen(s) >= sizeof(buf))
    return false;
  strcpy(buf, s);
  char *colon = strchr(buf, ':');
  if (colon)
    *colon = 0;
  if (tj_parse_int(buf, lo, ID_MAX, a, &ignored) < 0)
    return false;
  *b = *a;
  return !colon || tj_parse_int(colon + 1, lo, ID_MAX, b, &ignored) == 0;
}

int tj_parse_user(const char *s, uid_t *uid, gid_t *gid, tj_error *err) {
  int64_t u, g;
  if (!s || !id_pair(s, 0, &u, &g))
    return tj_error_set(err, 0, "invalid --user '%s': expected numeric UID[:GID]", s ? s : "");
  *uid = (uid_t)u;
  *gid = (gid_t)g;
  return 0;
}

int tj_parse_id_range(const char *s, uid_t *start, uint32_t *count, tj_error *err) {
  int64_t a, n;
  if (!s || !strchr(s, ':'))
    return tj_error_set(err, 0, "invalid --userns-range '%s': expected START:COUNT", s ? s : "");
  if (!id_pair(s, 1, &a, &n))
    return tj_error_set(err, 0, "invalid --userns-range '%s': expected START:COUNT, whole numbers, START above 0", s);
  if (a + n - 1 > ID_MAX)
    return tj_error_set(err, 0, "invalid --userns-range '%s': the range ends past 4294967294", s);
  *start = (uid_t)a;
  *count = (uint32_t)n;
  return 0;
}

void tj_format_size(int64_t bytes, char *buf, size_t len) {
  static const char *names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)bytes;
  size_t i = 0;
  while (v >= 1024 && i + 1 < sizeof(names) / sizeof(names[0])) {
    v /= 1024;
    i++;
  }
  if (i == 0)
    snprintf(buf, len, "%" PRId64 " B", bytes);
  else if (v == (double)(int64_t)v)
    snprintf(buf, len, "%.0f %s", v, names[i]);
  else
    snprintf(buf, len, "%.1f %s", v, names[i]);
}
