/* Sampling a run cgroup while it runs (timeline, live view). The files are
 * opened once and read with pread at offset 0, which makes kernfs generate
 * the content afresh: one syscall per file per sample. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

enum { S_MEMORY, S_PIDS, S_OOM, S_PSI, S_PEAK, S_COUNT };

void tj_cg_sampler_close(tj_cgroup *cg) {
  if (!cg || !cg->sampler_open)
    return;
  for (int i = 0; i < S_COUNT; i++)
    if (cg->sample_fd[i] >= 0)
      close(cg->sample_fd[i]);
  cg->sampler_open = false;
}

static int open_in(const tj_cgroup *cg, int dir, const char *file) {
  if (dir < 0)
    return -1;
  return openat(cg->dirs[dir].fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

static void sampler_open(tj_cgroup *cg) {
  const struct tj_cg_ops *ops = cg->ops;
  cg->sample_fd[S_MEMORY] = open_in(cg, cg->memory, ops->memory_usage);
  cg->sample_fd[S_PIDS] = open_in(cg, cg->pids, "pids.current");
  cg->sample_fd[S_OOM] = open_in(cg, cg->memory, ops->oom_events);
  /* PSI needs CONFIG_PSI and psi=1: the file may well be missing. */
  cg->sample_fd[S_PSI] = ops->pressure ? open_in(cg, cg->memory, ops->pressure) : -1;
  /* memory.peak came in Linux 5.19: missing on older v2 kernels. */
  cg->sample_fd[S_PEAK] = open_in(cg, cg->memory, ops->memory_peak);
  cg->sampler_open = true;
}

static ssize_t pread_all(int fd, char *buf, size_t size) {
  if (fd < 0)
    return -EBADF;
  ssize_t n;
  do
    n = pread(fd, buf, size - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;
  buf[n] = 0;
  return n;
}

int tj_cg_psi_parse(const char *content, int64_t *some, int64_t *full) {
  *some = *full = -1;
  for (const char *line = content; *line;) {
    const char *eol = strchrnul(line, '\n');
    int64_t *dst = strncmp(line, "some ", 5) == 0 ? some : strncmp(line, "full ", 5) == 0 ? full : NULL;
    const char *t = dst ? strstr(line, " total=") : NULL;
    if (dst && t && t < eol) {
      char *end;
      errno = 0;
      long long v = strtoll(t + 7, &end, 10);
      if (errno || end == t + 7 || v < 0)
        return -EINVAL;
      *dst = v;
    }
    line = *eol ? eol + 1 : eol;
  }
  return *some >= 0 ? 0 : -EINVAL;
}

void tj_cg_sample_read(tj_cgroup *cg, struct tj_cg_sample *s) {
  *s = (struct tj_cg_sample){-1, -1, -1, -1, -1, -1};
  if (!cg)
    return;
  if (!cg->sampler_open)
    sampler_open(cg);
  char buf[512];
  if (pread_all(cg->sample_fd[S_MEMORY], buf, sizeof(buf)) > 0 && tj_cg_parse_int(buf, &s->memory_bytes) == 0 &&
      s->memory_bytes > cg->sampled_peak)
    cg->sampled_peak = s->memory_bytes;
  if (pread_all(cg->sample_fd[S_PIDS], buf, sizeof(buf)) > 0)
    (void)tj_cg_parse_int(buf, &s->pids);
  if (pread_all(cg->sample_fd[S_OOM], buf, sizeof(buf)) > 0)
    (void)tj_cg_keyed_get(buf, "oom_kill", &s->oom_kills);
  if (pread_all(cg->sample_fd[S_PSI], buf, sizeof(buf)) > 0)
    (void)tj_cg_psi_parse(buf, &s->psi_some_us, &s->psi_full_us);
  if (pread_all(cg->sample_fd[S_PEAK], buf, sizeof(buf)) > 0)
    (void)tj_cg_parse_int(buf, &s->memory_peak_bytes);
}
