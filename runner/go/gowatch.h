/* A Go test binary's -test.v stream read on its way through `exec` and
 * `init` (and `test`'s own), with the -test.v parser of gotest.c: which
 * tests were running when the binary died, for the diagnosis and for
 * naming a seccomp denial's test. */
#ifndef TJ_GOWATCH_H
#define TJ_GOWATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "go/gotest.h"
#include "verdict.h"

struct tj_gowatch {
  struct tj_gotest *gt;
  /* Where whole lines go too, when nothing else notes them (init, whose
   * workload writes to the container's own stdout); NULL: nowhere. */
  struct tj_notes *notes;
  char line[1024];
  size_t line_len;
  char running[512]; /* tj_gowatch_running's answer */
};

/* Starts watching when argv runs a Go test binary with -test.v (any
 * spelling, tj_gotest_verbose_argv); false otherwise, or when out of
 * memory: then nothing changes. */
bool tj_gowatch_start(struct tj_gowatch *w, char *const *argv);
void tj_gowatch_feed(struct tj_gowatch *w, const char *buf, size_t len);
/* End of the stream: the table's running tests go into w->notes, if any. */
void tj_gowatch_close(struct tj_gowatch *w);
void tj_gowatch_stop(struct tj_gowatch *w);

/* notes' running tests from the parser's table: the innermost ones, most
 * recent last, as the diagnosis names them. */
void tj_gowatch_notes(const struct tj_gotest *gt, struct tj_notes *notes);

/* The innermost running tests, newest first, one a line, in buf; NULL
 * when none. */
const char *tj_gowatch_running_lines(const struct tj_gotest *gt, char *buf, size_t len);

/* A sandbox hook's running_test over a started watch (ctx). */
const char *tj_gowatch_running(void *ctx);

#endif
