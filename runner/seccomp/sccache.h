/* Compiled seccomp programs kept between runs, so a warm run loads the
 * filter without libseccomp (issue 19, Speed). One file per key under
 * $XDG_CACHE_HOME/testjail/seccomp (else ~/.cache/testjail/seccomp):
 * a header (magic, format version, the key, the program's length and its
 * SHA-256), then the program. A file that fails any check is a miss; a
 * directory that cannot be used means no cache, never an error. */
#ifndef TJ_SCCACHE_H
#define TJ_SCCACHE_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>
#include <sha2.h> /* libmd */

struct tj_sha256 {
  SHA2_CTX ctx;
};

void tj_sha256_init(struct tj_sha256 *s);
void tj_sha256_update(struct tj_sha256 *s, const void *p, size_t n);
void tj_sha256_final(struct tj_sha256 *s, uint8_t out[32]);

/* SHA-256 of everything the program depends on: a key chosen by a profile
 * must not be able to collide with another profile's. */
struct tj_scc_key {
  uint8_t b[32];
};

#define TJ_SCC_VERSION 1
#define TJ_SCC_MAX_INSNS 0xffff /* sock_fprog.len is an unsigned short */

struct tj_scc_header {
  char magic[8];
  uint32_t version;
  uint32_t n_insns;
  uint8_t key[32];
  uint8_t sum[32]; /* SHA-256 of the program */
};

/* A file's image: header, then the program. */
size_t tj_scc_image_size(size_t n_insns);
void tj_scc_encode(void *image, const struct tj_scc_key *key, const struct sock_filter *prog, size_t n);

/* 0 when image is a whole, intact file of this format for key, with
 * *prog and *n pointing into it; else -EINVAL (-ESTALE: another key or
 * format version). */
int tj_scc_decode(const void *image, size_t len, const struct tj_scc_key *key, const struct sock_filter **prog,
                  size_t *n);

/* The cache's directory from the environment; -ENOENT when neither
 * XDG_CACHE_HOME nor HOME is an absolute path. */
int tj_scc_dir(char *buf, size_t len);

/* The program cached for key under dir, copied into *prog (malloc'd).
 * -ENOENT: none or unusable; -EPERM: dir or file not ours or writable by
 * others (not trusted: another user could choose our filter). */
int tj_scc_read(const char *dir, const struct tj_scc_key *key, struct sock_filter **prog, size_t *n);

/* Store it atomically (a temp file renamed over), mode 0600, creating dir
 * (0700) as needed. < 0 when the directory cannot be written. */
int tj_scc_write(const char *dir, const struct tj_scc_key *key, const struct sock_filter *prog, size_t n);

#endif
