#include "seccomp/sccache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

void tj_sha256_init(struct tj_sha256 *s) { SHA256Init(&s->ctx); }

void tj_sha256_update(struct tj_sha256 *s, const void *data, size_t n) { SHA256Update(&s->ctx, data, n); }

void tj_sha256_final(struct tj_sha256 *s, uint8_t out[32]) { SHA256Final(out, &s->ctx); }

/* ---- the file's format ----------------------------------------------------- */

static const char magic[8] = "TJSCBPF";

size_t tj_scc_image_size(size_t n_insns) { return sizeof(struct tj_scc_header) + n_insns * sizeof(struct sock_filter); }

static void prog_sum(const struct sock_filter *prog, size_t n, uint8_t out[32]) {
  struct tj_sha256 s;
  tj_sha256_init(&s);
  tj_sha256_update(&s, prog, n * sizeof(*prog));
  tj_sha256_final(&s, out);
}

void tj_scc_encode(void *image, const struct tj_scc_key *key, const struct sock_filter *prog, size_t n) {
  struct tj_scc_header h = {.version = TJ_SCC_VERSION, .n_insns = (uint32_t)n};
  memcpy(h.magic, magic, sizeof(h.magic));
  memcpy(h.key, key->b, sizeof(h.key));
  prog_sum(prog, n, h.sum);
  memcpy(image, &h, sizeof(h));
  memcpy((char *)image + sizeof(h), prog, n * sizeof(*prog));
}

int tj_scc_decode(const void *image, size_t len, const struct tj_scc_key *key, const struct sock_filter **prog,
                  size_t *n) {
  struct tj_scc_header h;
  if (len < sizeof(h))
    return -EINVAL;
  memcpy(&h, image, sizeof(h));
  if (memcmp(h.magic, magic, sizeof(magic)) != 0)
    return -EINVAL;
  if (h.version != TJ_SCC_VERSION || memcmp(h.key, key->b, sizeof(h.key)) != 0)
    return -ESTALE;
  if (h.n_insns == 0 || h.n_insns > TJ_SCC_MAX_INSNS || len != tj_scc_image_size(h.n_insns))
    return -EINVAL;
  const struct sock_filter *p = (const struct sock_filter *)((const char *)image + sizeof(h));
  uint8_t sum[32];
  prog_sum(p, h.n_insns, sum);
  if (memcmp(sum, h.sum, sizeof(sum)) != 0)
    return -EINVAL;
  *prog = p;
  *n = h.n_insns;
  return 0;
}

/* ---- the directory and its files -------------------------------------------- */

int tj_scc_dir(char *buf, size_t len) {
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  int w;
  /* The XDG base directory spec: a relative path is invalid, ignore it. */
  if (xdg && xdg[0] == '/')
    w = snprintf(buf, len, "%s/testjail/seccomp", xdg);
  else if (home && home[0] == '/')
    w = snprintf(buf, len, "%s/.cache/testjail/seccomp", home);
  else
    return -ENOENT;
  return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

static void file_name(const struct tj_scc_key *key, char name[70]) {
  for (int i = 0; i < 32; i++)
    snprintf(name + 2 * i, 3, "%02x", key->b[i]);
  strcpy(name + 64, ".bpf");
}

/* The program decides what the workload may do: a directory or file that
 * another user can write is not used (ssh's rule for its key files). */
static int open_trusted_dir(const char *dir) {
  _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return -errno;
  if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
    return -EPERM;
  return steal_fd(&fd);
}

int tj_scc_read(const char *dir, const struct tj_scc_key *key, struct sock_filter **prog, size_t *n) {
  _cleanup_close_ int dfd = open_trusted_dir(dir);
  if (dfd < 0)
    return dfd == -EPERM ? -EPERM : -ENOENT;
  char name[70];
  file_name(key, name);
  /* O_NONBLOCK: a FIFO planted under the name must not hang the run. */
  _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return -ENOENT;
  if (!S_ISREG(st.st_mode) || st.st_size > (off_t)tj_scc_image_size(TJ_SCC_MAX_INSNS))
    return -ENOENT;
  if (st.st_uid != geteuid() || (st.st_mode & 077))
    return -EPERM;
  size_t len = (size_t)st.st_size;
  _cleanup_free_ char *image = malloc(len ? len : 1);
  if (!image)
    return -ENOMEM;
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, image + got, len - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -ENOENT;
    got += (size_t)r;
  }
  const struct sock_filter *p;
  size_t count;
  if (tj_scc_decode(image, len, key, &p, &count) < 0)
    return -ENOENT;
  struct sock_filter *copy = malloc(count * sizeof(*copy));
  if (!copy)
    return -ENOMEM;
  memcpy(copy, p, count * sizeof(*copy));
  *prog = copy;
  *n = count;
  return 0;
}

/* mkdir -p with mode 0700 for what it creates. */
static int make_dirs(const char *dir) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
    return -ENAMETOOLONG;
  for (char *s = path + 1;; s++) {
    if (*s != '/' && *s)
      continue;
    char c = *s;
    *s = 0;
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
      return -errno;
    if (!c)
      return 0;
    *s = c;
  }
}

int tj_scc_write(const char *dir, const struct tj_scc_key *key, const struct sock_filter *prog, size_t n) {
  if (n == 0 || n > TJ_SCC_MAX_INSNS)
    return -EINVAL;
  int r = make_dirs(dir);
  if (r < 0)
    return r;
  _cleanup_close_ int dfd = open_trusted_dir(dir);
  if (dfd < 0)
    return dfd;
  size_t len = tj_scc_image_size(n);
  _cleanup_free_ char *image = malloc(len);
  if (!image)
    return -ENOMEM;
  tj_scc_encode(image, key, prog, n);
  char name[70], tmp[96];
  file_name(key, name);
  snprintf(tmp, sizeof(tmp), ".%.16s.%d.tmp", name, (int)getpid());
  _cleanup_close_ int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return -errno;
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, image + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      r = w < 0 ? -errno : -EIO;
      break;
    }
    done += (size_t)w;
  }
  /* Readers see the old file or the whole new one, never a part. */
  if (r == 0 && close(steal_fd(&fd)) < 0)
    r = -errno;
  if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
    r = -errno;
  if (r < 0)
    unlinkat(dfd, tmp, 0);
  return r;
}
