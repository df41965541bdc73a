/* `testjail profile check FILE...` and `testjail profile show NAME`. */
#ifndef TJ_PROFILECMD_H
#define TJ_PROFILECMD_H

#include <stdio.h>

/* Validate one profile or seccomp file (or shipped name): every problem
 * goes to err as "FILE: JSON.PATH: message" (JSON syntax: the first, as
 * "FILE:LINE:COL: message"), warnings
 * as "FILE: JSON.PATH: warning: ...", a summary line to out. Returns the
 * number of warnings, or -1 when the file does not load. */
int tj_profile_check(const char *arg, FILE *out, FILE *err);

#endif
