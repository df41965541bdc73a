/* A run's result as the verdict's evidence: built here only, for exec,
 * init and both phases of test. */
#ifndef TJ_EVIDENCE_H
#define TJ_EVIDENCE_H

#include <stddef.h>

#include "common/spec.h"
#include "sandbox/sandbox.h"
#include "verdict.h"

/* The counters, status and limits of res under spec; notes (the -test.v
 * stream's facts) may be NULL. Points into spec, res and notes. */
struct tj_evidence tj_run_evidence(const struct tj_spec *spec, const struct tj_run_result *res,
                                   const struct tj_notes *notes);

/* The seccomp side of the evidence; summary (the diagnosis' "ptrace (1x,
 * in TestAttach)") must outlive ev. */
void tj_run_seccomp_evidence(const struct tj_run_result *res, struct tj_evidence *ev, char *summary, size_t len);

/* exec's and init's verdict: the workload's own status passes through
 * (128+N for signal N; 127 and 126 when the command is missing or cannot
 * run), TJ_EXIT_USAGE when testjail failed. ev from tj_run_evidence and
 * tj_run_seccomp_evidence (sc_summary its summary). Returns the exit code. */
int tj_run_transparent_verdict(const struct tj_run_result *res, const struct tj_evidence *ev, const char *sc_summary,
                               struct tj_verdict *v);

#endif
