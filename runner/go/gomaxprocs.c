#include "go/gomaxprocs.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

/* As the runtime parses GOMAXPROCS (strconv.ParseInt(s, 10, 32), n > 0);
 * anything else it ignores. */
static int parse_procs(const char *s) {
  if (!s)
    return -1;
  if (*s == '+')
    s++;
  if (*s < '0' || *s > '9')
    return -1;
  long long n = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    if ((n = n * 10 + (*s - '0')) > INT_MAX)
      return -1;
  return *s || n == 0 ? -1 : (int)n;
}

const char *tj_godebug_get(const char *list, const char *key, char *buf, size_t len) {
  const char *found = NULL;
  size_t kl = strlen(key), n = 0;
  for (const char *p = list; p && *p;) {
    size_t fl = strcspn(p, ",");
    if (fl > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
      found = p + kl + 1;
      n = fl - kl - 1;
    }
    p += fl + (p[fl] == ',');
  }
  if (!found)
    return NULL;
  snprintf(buf, len, "%.*s", (int)n, found);
  return buf;
}

static bool setting_off(const char *godebug, const char *godebug_default, const char *key) {
  char v[32];
  const char *s = tj_godebug_get(godebug, key, v, sizeof(v));
  if (!s)
    s = tj_godebug_get(godebug_default, key, v, sizeof(v));
  return s && strcmp(s, "0") == 0;
}

/* Rounded up, at least lo, at most the CPU count (when known). */
static int procs_for(const struct tj_gmp_in *in, int lo) {
  int64_t n = (in->cpu_quota_us + in->cpu_period_us - 1) / in->cpu_period_us;
  if (n < lo)
    n = lo;
  if (in->ncpu > 0 && n > in->ncpu)
    n = in->ncpu;
  return n > INT_MAX ? INT_MAX : (int)n;
}

void tj_gomaxprocs_decide(const struct tj_gmp_in *in, struct tj_gmp *out) {
  memset(out, 0, sizeof(*out));
  int user = parse_procs(in->user);
  if (user > 0) {
    out->value = user;
    out->source = in->user_inherited ? "inherited" : "env";
    return;
  }
  if (in->user)
    out->note = "GOMAXPROCS is not a positive number: the Go runtime ignores it";
  bool limited = in->cpu_quota_us >= 0 && in->cpu_period_us > 0;
  /* Go 1.25's default: the cgroup's quota/period rounded up, at least 2,
   * at most the CPU count (runtime/cgroup_linux.go). GODEBUG
   * containermaxprocs=0, the default of a module whose go line is older,
   * turns it off. */
  bool aware = in->go_minor >= 25 && !setting_off(in->godebug, in->godebug_default, "containermaxprocs");
  if (limited && aware && in->runtime_sees_cgroup) {
    out->value = in->ncpu > 0 ? procs_for(in, 2) : -1;
    out->source = "runtime (cgroup cpu limit)";
  } else if (!limited || in->user) {
    out->value = in->ncpu > 0 ? in->ncpu : -1;
    out->source = "runtime (cpu count)";
  } else {
    out->value = out->set = procs_for(in, aware ? 2 : 1);
    out->source = "testjail";
    if (aware)
      out->note = "the Go runtime does not find the sandbox's cgroup v1 cpu limit: set as the runtime would";
    else if (in->go_minor >= 25)
      out->note = "GODEBUG containermaxprocs=0 (a setting or the module's go version): the Go runtime "
                  "ignores the cgroup's cpu limit";
  }
}

/* Go's build info: a section starting "\xff Go buildinf:", the module info
 * in it as text, one "build\tKEY=VALUE" line per build setting
 * (debug/buildinfo, runtime/debug.BuildInfo). */
int tj_go_binary_godebug(const char *path, char *buf, size_t len) {
  buf[0] = 0;
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shstrndx >= eh.e_shnum)
    return -ENOEXEC;
  _cleanup_free_ Elf64_Shdr *sh = calloc(eh.e_shnum, sizeof(Elf64_Shdr));
  size_t shsize = (size_t)eh.e_shnum * sizeof(Elf64_Shdr);
  if (!sh || pread(fd, sh, shsize, (off_t)eh.e_shoff) != (ssize_t)shsize)
    return -ENOEXEC;
  const Elf64_Shdr *strs = &sh[eh.e_shstrndx];
  const char want[] = ".go.buildinfo";
  for (int i = 0; i < eh.e_shnum; i++) {
    char name[sizeof(want)];
    if (sh[i].sh_name >= strs->sh_size ||
        pread(fd, name, sizeof(name), (off_t)(strs->sh_offset + sh[i].sh_name)) != (ssize_t)sizeof(name) ||
        memcmp(name, want, sizeof(want)) != 0)
      continue;
    size_t n = sh[i].sh_size < (1 << 20) ? sh[i].sh_size : (1 << 20);
    _cleanup_free_ char *data = malloc(n + 1);
    if (!data || pread(fd, data, n, (off_t)sh[i].sh_offset) != (ssize_t)n || n < 16 ||
        memcmp(data, "\xff Go buildinf:", 14) != 0)
      return -ENOEXEC;
    data[n] = 0;
    const char key[] = "\nbuild\tDefaultGODEBUG=";
    const char *v = memmem(data, n, key, sizeof(key) - 1);
    if (v) {
      v += sizeof(key) - 1;
      snprintf(buf, len, "%.*s", (int)strcspn(v, "\n"), v);
    }
    return 0;
  }
  return -ENOENT;
}
