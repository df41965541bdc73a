/* `testjail report merge OUT.json SHARD.json... [--junit FILE]`: the
 * reports of a sharded run's shards as the report of one run. */
#ifndef TJ_CMD_REPORT_H
#define TJ_CMD_REPORT_H

#include <stdio.h>

/* argv[0] is "report". Returns the merged run's exit code (as testjail
 * test's), 125 for bad input. */
int tj_cmd_report(int argc, char **argv);
void tj_cmd_report_help(FILE *out);

#endif
