/* testjail: argv to a command, and the command's result to the exit code.
 * The commands live in cmd/; this table serves dispatch and help. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "cmd/report.h"
#include "common/error.h"
#include "go/prebuild.h"

struct command {
  const char *name;
  int (*run)(int argc, char **argv); /* argv[0] is the command's name */
  void (*help)(FILE *out);           /* NULL: internal, not listed */
};

static const struct command commands[] = {
    {"test", tj_cmd_test, tj_cli_help_test},       {"exec", tj_cmd_exec, tj_cli_help_exec},
    {"init", tj_cmd_init, tj_cli_help_init},       {"bisect-memory", tj_cmd_bisect, tj_cli_help_bisect},
    {"doctor", tj_cmd_doctor, tj_cli_help_doctor}, {"profile", tj_cmd_profile, tj_cli_help_profile},
    {"report", tj_cmd_report, tj_cmd_report_help}, {"__handoff", tj_cmd_handoff, NULL},
};

static const struct command *find(const char *name) {
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static int cmd_help(const char *topic) {
  if (!topic) {
    tj_cli_help_main(stdout);
    return 0;
  }
  const struct command *c = find(topic);
  if (c && c->help) {
    c->help(stdout);
    return 0;
  }
  fprintf(stderr, "testjail: help: unknown command '%s' (commands:", topic);
  const char *sep = " ";
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (commands[i].help) {
      fprintf(stderr, "%s%s", sep, commands[i].name);
      sep = ", ";
    }
  fprintf(stderr, ")\n");
  return TJ_EXIT_USAGE;
}

int main(int argc, char **argv) {
  /* A reader of our output that goes away must not kill the sandbox's owner. */
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    tj_cli_help_main(stderr);
    return TJ_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  const struct command *c = find(cmd);
  if (c)
    return c->run(argc - 1, argv + 1);
  if (strcmp(cmd, "help") == 0)
    return cmd_help(argc > 2 ? argv[2] : NULL);
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
    return cmd_help(NULL);
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("testjail %s\n", TJ_VERSION);
    return 0;
  }
  fprintf(stderr, "testjail: unknown command '%s' (see 'testjail --help')\n", cmd);
  return TJ_EXIT_USAGE;
}
