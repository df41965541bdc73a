/* The work directory of test and bisect-memory (the test binaries), under
 * $TMPDIR or /tmp, named like a run cgroup after its owner, so that the
 * next run or `doctor --gc` removes the ones whose testjail was killed. */
#ifndef TJ_WORKDIR_H
#define TJ_WORKDIR_H

#include <stddef.h>

#include "common/error.h"

/* $TMPDIR when absolute, else /tmp. */
const char *tj_workdir_parent(void);

/* mkdir PARENT/testjail-PID-START-HEX, mode 0711 (a --user workload must
 * reach its binary). */
int tj_workdir_make(char *buf, size_t size, tj_error *err);

/* Remove work directories of testjails that are gone: ours only (owned by
 * our euid), without following symlinks or crossing mounts. The count
 * removed goes to *removed. */
int tj_workdir_gc(int *removed, tj_error *err);

#endif
