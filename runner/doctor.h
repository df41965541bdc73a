/* `testjail doctor`: what this host supports, each missing piece with the
 * reason and the fix. */
#ifndef TJ_DOCTOR_H
#define TJ_DOCTOR_H

#include <stdbool.h>
#include <stdio.h>

/* Prints to out; returns the number of problems found (never fails). */
int tj_doctor(FILE *out, bool gc);

#endif
