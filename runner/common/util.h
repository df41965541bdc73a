/* Scoped cleanup helpers (GNU cleanup attribute) and small fd utilities. */
#ifndef TJ_UTIL_H
#define TJ_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Milliseconds on the monotonic clock: durations, deadlines, timelines. */
static inline int64_t tj_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void tj_freep(void *p) { free(*(void **)p); }
static inline void tj_closep(int *fd) {
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void tj_fclosep(FILE **f) {
  if (*f)
    fclose(*f);
}
static inline void tj_closedirp(DIR **d) {
  if (*d)
    closedir(*d);
}

#define _cleanup_free_ __attribute__((cleanup(tj_freep)))
#define _cleanup_close_ __attribute__((cleanup(tj_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(tj_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(tj_closedirp)))

/* Hand ownership over: returns the value and leaves a harmless one behind. */
#define steal_pointer(pp)                                                                                              \
  ({                                                                                                                   \
    __typeof__(*(pp)) _v = *(pp);                                                                                      \
    *(pp) = NULL;                                                                                                      \
    _v;                                                                                                                \
  })
#define steal_fd(fdp)                                                                                                  \
  ({                                                                                                                   \
    int _v = *(fdp);                                                                                                   \
    *(fdp) = -1;                                                                                                       \
    _v;                                                                                                                \
  })

#define TJ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Write all of buf, retrying on EINTR: 0, or -errno when the reader went
 * away or the disk is full. Callers whose run and verdict go on anyway
 * ignore it. */
static inline int tj_write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -errno;
    if (w == 0)
      return -EIO;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Every disposition back to SIG_DFL before exec. The raw syscall, because
 * glibc refuses its internal signals 32 and 33 (EINVAL), and an ignored one
 * inherited from our caller would otherwise reach the workload. */
static inline void tj_reset_signal_dispositions(void) {
  struct {
    unsigned long handler, flags, restorer, mask;
  } dfl = {0};
  for (int s = 1; s < 65; s++)
    if (s != 9 && s != 19) /* SIGKILL, SIGSTOP */
      syscall(SYS_rt_sigaction, s, &dfl, NULL, 8);
}

static inline int tj_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)ftw;
  if (flag == FTW_DP)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

/* rm -rf of a work directory of our own (no symlink is followed). */
static inline void tj_remove_tree(const char *dir) { nftw(dir, tj_rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* In place: /proc/self/mountinfo's \ooo escapes (of blanks, tabs, newlines
 * and backslashes in paths) back to the bytes; anything else stays. */
static inline void tj_unescape_octal(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 3;
    } else {
      *w++ = *r;
    }
  }
  *w = '\0';
}

#endif
