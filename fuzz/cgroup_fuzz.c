/* libFuzzer target: the cgroup file parsers. The files are the kernel's,
 * but a workload can shape their contents (its own cgroup paths in
 * /proc/self/cgroup and mountinfo, a bind mount named with blanks and
 * newlines) and a container runtime can mount anything there. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "fuzz.h"

static const char *const keys[] = {"oom_kill",   "max",       "oom",  "low",
                                   "high",       "anon",      "file", "hierarchical_memory_limit",
                                   "usage_usec", "total_rss", ""};
static const char *const ctrls[] = {NULL, "", "memory", "pids", "cpu", "cpuacct", "name=systemd"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fuzz_cstring(data, size);
  if (!s)
    return 0;
  int64_t v, some, full;
  for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
    int r = tj_cg_keyed_get(s, keys[i], &v);
    if (r != 0 && r != -ENOENT && r != -EINVAL)
      abort();
  }
  tj_cg_parse_int(s, &v);
  int r = tj_cg_psi_parse(s, &some, &full);
  if (r != 0 && r != -EINVAL)
    abort();
  tj_cg_list_has(s, "memory");
  tj_cg_list_has(s, "");
  char path[PATH_MAX], small[8];
  for (size_t i = 0; i < sizeof(ctrls) / sizeof(*ctrls); i++) {
    r = tj_cg_proc_cgroup_find(s, ctrls[i], path, sizeof(path));
    if (r == 0 && strnlen(path, sizeof(path)) == sizeof(path))
      abort();
    r = tj_cg_proc_cgroup_find(s, ctrls[i], small, sizeof(small));
    if (r != 0 && r != -ENOENT && r != -ENAMETOOLONG)
      abort();
  }
  char state;
  unsigned long long start;
  pid_t pid;
  tj_cg_stat_parse(s, &state, &start);
  tj_cg_stat_parse(s, NULL, &start);
  tj_cg_parse_name(s, &pid, &start);
  /* mountinfo is cut up in place: a fresh copy for each lookup */
  const char *owns[] = {"/", "/user.slice", s};
  for (size_t c = 0; c < 3; c++)
    for (size_t o = 0; o < 3; o++) {
      char *m = malloc(size + 1);
      if (!m)
        break;
      memcpy(m, s, size + 1);
      r = tj_cg_mountinfo_find(m, ctrls[c], owns[o] == s ? "/x/y" : owns[o], path, sizeof(path));
      if (r == 0 && strnlen(path, sizeof(path)) == sizeof(path))
        abort();
      r = tj_cg_mountinfo_find(m, ctrls[c], "/", small, sizeof(small));
      free(m);
    }
  free(s);
  return 0;
}
