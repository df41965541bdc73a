/* `testjail test`: argv -> options -> packages -> one worker process per
 * package (build sandbox, test sandbox), -p at a time, output grouped per
 * package in order -> aggregated verdict -> report, JUnit -> exit code. */
#ifndef TJ_TESTCMD_H
#define TJ_TESTCMD_H

/* argv[0] is "test". Prints, and returns the exit code of the contract. */
int tj_cmd_test(int argc, char **argv);

#endif
