/* The commands, as main.c's table calls them: each parses its options,
 * makes its library calls, prints, and returns the exit code. argv[0] is
 * the command's name. */
#ifndef TJ_CMD_H
#define TJ_CMD_H

#include <signal.h>

/* test: the packages, one worker process per package (build sandbox, test
 * sandbox), -p at a time, output grouped per package in order, the
 * aggregated verdict, report and JUnit; the exit code of the contract. */
int tj_cmd_test(int argc, char **argv);
int tj_cmd_exec(int argc, char **argv);
int tj_cmd_init(int argc, char **argv);
/* bisect-memory: one build, then the search (go/bisect.h) running the test
 * binary in a sandbox per try; 0 when a passing limit was found; when even
 * the unlimited run fails, the code of its outcome as for test; the code of
 * the largest failing try's outcome when no limit up to 4 times the peak
 * passed; TJ_EXIT_USAGE for usage and sandbox errors. */
int tj_cmd_bisect(int argc, char **argv);
int tj_cmd_doctor(int argc, char **argv);
/* profile check|show: 0, or TJ_EXIT_USAGE on a bad file or usage. */
int tj_cmd_profile(int argc, char **argv);

/* Bad input or a sandbox not set up: "testjail: MSG" on stderr, and the
 * exit code that says so (TJ_EXIT_USAGE). */
int tj_cmd_usage_error(const char *msg);

/* The command's signal mask back to old; when sig (a signal that stopped
 * the command) is not 0, die of it first, as the shell that ran us expects. */
void tj_cmd_unmask(int sig, const sigset_t *old);

#endif
