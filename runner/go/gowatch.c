#include "go/gowatch.h"

#include <stdio.h>
#include <string.h>

bool tj_gowatch_start(struct tj_gowatch *w, char *const *argv) {
  memset(w, 0, sizeof(*w));
  bool framing;
  if (!argv || !argv[0] || !tj_gotest_verbose_argv(argv, &framing))
    return false;
  w->gt = tj_gotest_new(framing, NULL, NULL);
  return w->gt != NULL;
}

void tj_gowatch_feed(struct tj_gowatch *w, const char *buf, size_t len) {
  if (!w->gt)
    return;
  tj_gotest_feed(w->gt, buf, len);
  for (size_t i = 0; w->notes && i < len; i++) {
    if (buf[i] == '\n') {
      tj_notes_line(w->notes, w->line, w->line_len);
      w->line_len = 0;
    } else if (w->line_len < sizeof(w->line)) {
      w->line[w->line_len++] = buf[i];
    }
  }
}

void tj_gowatch_close(struct tj_gowatch *w) {
  if (!w->gt)
    return;
  tj_gotest_close(w->gt, 0);
  if (w->notes && w->line_len)
    tj_notes_line(w->notes, w->line, w->line_len);
  w->line_len = 0;
  if (w->notes)
    tj_gowatch_notes(w->gt, w->notes);
}

void tj_gowatch_stop(struct tj_gowatch *w) {
  tj_gotest_free(w->gt);
  w->gt = NULL;
}

void tj_gowatch_notes(const struct tj_gotest *gt, struct tj_notes *notes) {
  const char *names[TJ_NOTES_RUNNING];
  int n = tj_gotest_running(gt, names, TJ_NOTES_RUNNING);
  notes->n_running = n;
  for (int i = 0; i < n; i++)
    snprintf(notes->running[i], sizeof(notes->running[0]), "%s", names[i]);
}

const char *tj_gowatch_running_lines(const struct tj_gotest *gt, char *buf, size_t len) {
  const char *names[64];
  int n = tj_gotest_running(gt, names, 64);
  size_t off = 0;
  for (int i = n - 1; i >= 0; i--) {
    int k = snprintf(buf + off, len - off, "%s%s", off ? "\n" : "", names[i]);
    if (k < 0 || (size_t)k >= len - off) {
      buf[off] = 0;
      break;
    }
    off += (size_t)k;
  }
  return off ? buf : NULL;
}

const char *tj_gowatch_running(void *ctx) {
  struct tj_gowatch *w = ctx;
  return w->gt ? tj_gowatch_running_lines(w->gt, w->running, sizeof(w->running)) : NULL;
}
