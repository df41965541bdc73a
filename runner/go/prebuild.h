#ifndef TJ_PREBUILD_H
#define TJ_PREBUILD_H
/* The packages build in one go test, as under go test itself: go loads and
 * vets what they share once, and a package's tests start as soon as its
 * binary is linked. The build starts with the user's patterns before go
 * list has answered. go test -exec runs `testjail __handoff` in place of
 * each test binary: it names its directory and binary on a FIFO that
 * testjail test reads, and waits until testjail test has run that
 * package's tests, so go keeps -p builds and tests at once. A package the
 * shared build does not hand over (a compile or vet error, the build
 * killed) builds again on its own, so its verdict, output and evidence are
 * those of a single build. */

#include <stdbool.h>
#include <sys/types.h>

#include "go/job.h"

struct tj_prebuild {
  int fifo_rd, fifo_wr; /* testjail test's ends of the FIFO; -1 when off */
  int done_rd;          /* hangs up when the shared build has ended */
  pid_t pid;            /* the process running the shared build, 0 when none */
  char shim[4096];      /* the testjail go runs as -exec */
  char line[4096];      /* a partial line read from the FIFO */
  size_t line_len;
};

/* Makes the FIFO and, where go could not reach testjail (the host's /tmp
 * is not the sandbox's), a copy of it in the work dir, then starts go test
 * on patterns (none: ".") in a build sandbox, in a child process (proto:
 * the options, go, workdir). 0 on success; -1 when there is no shared
 * build: every package then builds on its own. */
int tj_prebuild_start(struct tj_prebuild *pb, const struct tj_job *proto, char **patterns, int n, int parallel);

/* Hands each message the FIFO holds to fn: the package's directory, its
 * binary (in go's work dir, kept until the stand-in is released) and the
 * token that releases it. */
typedef void (*tj_prebuild_fn)(void *ctx, const char *dir, const char *bin, const char *token);
void tj_prebuild_read(struct tj_prebuild *pb, tj_prebuild_fn fn, void *ctx);

/* The stand-in of token ends: its package's tests have run, or will run on
 * a binary of their own. */
void tj_prebuild_release(const char *workdir, const char *token);

/* After done_rd hung up: reaps the shared build; pid becomes 0. */
void tj_prebuild_reap(struct tj_prebuild *pb);

/* Waits for the shared build to end, closes every fd. It ends by itself
 * once every stand-in is released, or of a signal testjail test forwarded
 * to it; killing it would leave its cgroups behind. */
void tj_prebuild_end(struct tj_prebuild *pb);

/* testjail __handoff WORKDIR BINARY [FLAGS]: go test -exec's stand-in. */
int tj_cmd_handoff(int argc, char **argv);

#endif
