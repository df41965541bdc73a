#ifndef TJ_PREBUILD_H
#define TJ_PREBUILD_H
/* Several packages build in one go test, as under go test itself: go loads
 * and vets what they share once, and a package's tests start as soon as its
 * binary is linked. go test -exec runs `testjail __handoff` in place of each
 * test binary; it moves the binary to <workdir>/<index>.test and names the
 * index on a FIFO that testjail test reads. A package the shared build does
 * not hand over (a compile or vet error, the build killed) builds again on
 * its own, so its verdict, output and evidence are those of a single build. */

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "job.h"

struct tj_prebuild {
  int fifo_rd, fifo_wr; /* testjail test's ends of the FIFO; -1 when off */
  int done_rd;          /* hangs up when the shared build has ended */
  pid_t pid;            /* the process running the shared build, 0 when none */
  char shim[4096];      /* the testjail go runs as -exec */
  char line[32];        /* a partial line read from the FIFO */
  size_t line_len;
};

/* Writes the package map, the FIFO and, where go could not reach testjail
 * (the host's /tmp is not the sandbox's), a copy of it into workdir, then
 * starts the shared build of the packages with tests in a child process
 * (proto: the options, go, workdir). 0 on success; -1 when the shared build
 * cannot be had: every package then builds on its own. */
int tj_prebuild_start(struct tj_prebuild *pb, const struct tj_job *proto, const struct tj_package *pkgs, int n,
                      int parallel);

/* Reads what the FIFO holds: ready[i] becomes true for each handed-over
 * package. */
void tj_prebuild_read(struct tj_prebuild *pb, bool *ready, int n);

/* The package's tests have run: its stand-in in the shared build ends. */
void tj_prebuild_release(const char *workdir, int index);

/* After done_rd hung up: reaps the shared build; pid becomes 0. */
void tj_prebuild_reap(struct tj_prebuild *pb);

/* Waits for the shared build to end, closes every fd. It ends by itself
 * once every stand-in is released, or of the signal testjail test
 * forwarded to it; killing it would leave its cgroups behind. */
void tj_prebuild_end(struct tj_prebuild *pb);

/* testjail __handoff WORKDIR BINARY [FLAGS]: go test -exec's stand-in. */
int tj_cmd_handoff(int argc, char **argv);

#endif
