#include "sccache.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* ---- SHA-256 (FIPS 180-4) ---------------------------------------------------- */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha_block(struct tj_sha256 *s, const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t v[8];
  memcpy(v, s->h, sizeof(v));
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) +
                  sha_k[i] + w[i];
    uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
    memmove(v + 1, v, 7 * sizeof(v[0]));
    v[4] += t1;
    v[0] = t1 + t2;
  }
  for (int i = 0; i < 8; i++)
    s->h[i] += v[i];
}

void tj_sha256_init(struct tj_sha256 *s) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memset(s, 0, sizeof(*s));
  memcpy(s->h, h0, sizeof(h0));
}

void tj_sha256_update(struct tj_sha256 *s, const void *data, size_t n) {
  const uint8_t *p = data;
  s->len += n;
  while (n) {
    size_t take = 64 - s->n < n ? 64 - s->n : n;
    memcpy(s->buf + s->n, p, take);
    s->n += take;
    p += take;
    n -= take;
    if (s->n == 64) {
      sha_block(s, s->buf);
      s->n = 0;
    }
  }
}

void tj_sha256_final(struct tj_sha256 *s, uint8_t out[32]) {
  uint64_t bits = s->len * 8;
  uint8_t pad[72] = {0x80};
  size_t padlen = (s->n < 56 ? 56 : 120) - s->n;
  for (int i = 0; i < 8; i++)
    pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
  tj_sha256_update(s, pad, padlen + 8);
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 4; j++)
      out[4 * i + j] = (uint8_t)(s->h[i] >> (24 - 8 * j));
}

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
