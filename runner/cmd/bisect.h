/* `testjail bisect-memory`: argv -> options -> the package -> one build ->
 * the search (bisect.h) with a runner that runs the test binary in a
 * sandbox per try -> the table, the answer, the report, the plot -> exit
 * code. */
#ifndef TJ_BISECTCMD_H
#define TJ_BISECTCMD_H

/* argv[0] is "bisect-memory". Prints, and returns the exit code: 0 when a
 * passing limit was found; when even the unlimited run fails, the code of
 * its outcome as for test; the code of the largest failing try's outcome
 * when no limit up to 4 times the peak passed; 125 for usage and sandbox
 * errors. */
int tj_cmd_bisect(int argc, char **argv);

#endif
