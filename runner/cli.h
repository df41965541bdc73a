/* The command line: one option table that also holds the help text. */
#ifndef TJ_CLI_H
#define TJ_CLI_H

#include <stdio.h>

#include "error.h"
#include "spec.h"

enum tj_cli_result { TJ_CLI_RUN = 0, TJ_CLI_HELP = 1 };

/* `testjail exec [OPTIONS] -- COMMAND [ARG...]`; argv[0] is "exec".
 * Returns TJ_CLI_RUN, TJ_CLI_HELP (help printed to stdout) or < 0. */
int tj_cli_parse_exec(int argc, char **argv, struct tj_spec *spec, tj_error *err);

void tj_cli_help_main(FILE *out);
void tj_cli_help_exec(FILE *out);
void tj_cli_help_doctor(FILE *out);

#endif
