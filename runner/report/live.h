/* The live view: one status line on stderr, redrawn in place while a run
 * goes on (phase, package n of N, elapsed, memory current / limit with a
 * bar, pids current / limit, the test running). Only when stderr is a
 * terminal and not --quiet, so CI logs stay clean. Whoever writes output
 * calls tj_live_clear first, so the line never mixes with it. */
#ifndef TJ_LIVE_H
#define TJ_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the line shows; plain data, so a worker process can send it as is. */
struct tj_live_status {
  char phase[40]; /* "build", "test", "try 3: 42.0 MiB" */
  char package[160];
  int index, total;               /* package index+1 of total; total 0: not shown */
  int64_t mem_current, mem_limit; /* -1: unknown / none */
  int64_t pids_current, pids_limit;
  char test[96]; /* "" when none */
};

struct tj_live {
  bool on;
  int fd;
  bool drawn;
  int64_t t0_ms, last_draw_ms;
  struct tj_live_status st;
};

/* On when !quiet, fd is a terminal and TERM is not "dumb". */
void tj_live_init(struct tj_live *l, int fd, bool quiet);
/* Take a new status; redraws at most every 100 ms unless force. */
void tj_live_update(struct tj_live *l, const struct tj_live_status *s, bool force);
/* Erase the line (before other output); the next update draws it again. */
void tj_live_clear(struct tj_live *l);
void tj_live_redraw(struct tj_live *l);

/* Pure: the line's text (no escape codes) for a terminal cols wide. */
size_t tj_live_format(char *buf, size_t len, const struct tj_live_status *s, int64_t elapsed_ms, int cols);

#endif
