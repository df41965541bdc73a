#include "report/live.h"
#include "common/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 10

static void mib(char *buf, size_t len, int64_t bytes) { snprintf(buf, len, "%.1f", (double)bytes / (1 << 20)); }

size_t tj_live_format(char *buf, size_t len, const struct tj_live_status *s, int64_t elapsed_ms, int cols) {
  if (!len)
    return 0;
  size_t off = 0;
#define PUT(...)                                                                                                       \
  do {                                                                                                                 \
    if (off < len)                                                                                                     \
      off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__);                                                      \
  } while (0)
  PUT("%s", s->phase[0] ? s->phase : "run");
  if (s->total > 0)
    PUT(" %d/%d", s->index, s->total);
  if (s->package[0])
    PUT(" %s", s->package);
  PUT("  %"
      "lld:%02lld.%lld",
      (long long)(elapsed_ms / 60000), (long long)(elapsed_ms / 1000 % 60), (long long)(elapsed_ms / 100 % 10));
  char cur[32], lim[32];
  if (s->mem_current >= 0) {
    mib(cur, sizeof(cur), s->mem_current);
    if (s->mem_limit > 0) {
      mib(lim, sizeof(lim), s->mem_limit);
      int64_t pct = s->mem_current * 100 / s->mem_limit;
      int fill = (int)(s->mem_current * BAR_WIDTH / s->mem_limit);
      if (fill > BAR_WIDTH)
        fill = BAR_WIDTH;
      char bar[BAR_WIDTH + 1];
      for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '-';
      bar[BAR_WIDTH] = 0;
      PUT("  mem %s/%s MiB [%s] %lld%%", cur, lim, bar, (long long)pct);
    } else {
      PUT("  mem %s MiB", cur);
    }
  }
  if (s->pids_current >= 0) {
    if (s->pids_limit > 0)
      PUT("  pids %lld/%lld", (long long)s->pids_current, (long long)s->pids_limit);
    else
      PUT("  pids %lld", (long long)s->pids_current);
  }
  if (s->test[0])
    PUT("  %s", s->test);
#undef PUT
  if (off >= len)
    off = len - 1;
  /* Never wrap: a wrapped line cannot be erased with one \r. */
  if (cols > 1 && off > (size_t)cols - 1)
    off = (size_t)cols - 1;
  buf[off] = 0;
  return off;
}

void tj_live_init(struct tj_live *l, int fd, bool quiet) {
  memset(l, 0, sizeof(*l));
  l->fd = fd;
  const char *term = getenv("TERM");
  l->on = !quiet && isatty(fd) && !(term && strcmp(term, "dumb") == 0);
  l->t0_ms = tj_now_ms();
}

void tj_live_redraw(struct tj_live *l) {
  if (!l->on)
    return;
  struct winsize ws;
  int cols = ioctl(l->fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
  char line[512], out[540];
  int64_t now = tj_now_ms();
  tj_live_format(line, sizeof(line), &l->st, now - l->t0_ms, cols);
  int n = snprintf(out, sizeof(out), "\r\033[K%s", line);
  tj_write_all(l->fd, out, (size_t)n);
  l->drawn = true;
  l->last_draw_ms = now;
}

void tj_live_update(struct tj_live *l, const struct tj_live_status *s, bool force) {
  if (!l->on)
    return;
  l->st = *s;
  if (force || !l->drawn || tj_now_ms() - l->last_draw_ms >= 100)
    tj_live_redraw(l);
}

void tj_live_clear(struct tj_live *l) {
  if (!l->on || !l->drawn)
    return;
  tj_write_all(l->fd, "\r\033[K", 4);
  l->drawn = false;
}
