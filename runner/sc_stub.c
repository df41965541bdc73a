/* Until the profile parser lands (branch profile): weak stand-ins so the
 * runtime can be built and tried. "unconfined", and "default" as a small
 * deny list. Replaced by profile.c's strong definitions on merge. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "policy.h"

__attribute__((weak)) void tj_sc_policy_free(struct tj_sc_policy *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->n_rules; i++)
    free(p->rules[i].names);
  free(p->rules);
  free(p->name);
  memset(p, 0, sizeof(*p));
}

__attribute__((weak)) int tj_sc_policy_load(const char *arg, struct tj_sc_policy **out, tj_error *err) {
  static char *deny[] = {"ptrace", "mount", "umount2", "keyctl", "add_key", "request_key", "bpf", "setns", "reboot"};
  static char *enosys[] = {"clone3"};
  static struct tj_sc_arg userns = {.index = 0, .value = 0x10000000, .value_two = 0x10000000, .op = TJ_SC_MASKED_EQ};
  static char *unshare[] = {"unshare"};
  struct tj_sc_policy *p = calloc(1, sizeof(*p));
  if (!p)
    return tj_error_set(err, ENOMEM, "--seccomp");
  p->name = strdup(arg);
  if (strcmp(arg, "unconfined") == 0) {
    p->unconfined = true;
  } else if (strcmp(arg, "default") == 0) {
    p->default_action = TJ_SC_ALLOW;
    p->rules = calloc(3, sizeof(*p->rules));
    p->n_rules = 3;
    p->rules[0] = (struct tj_sc_rule){.names = malloc(sizeof(deny)), .n_names = 9, .action = TJ_SC_ERRNO};
    memcpy(p->rules[0].names, deny, sizeof(deny));
    p->rules[1] = (struct tj_sc_rule){.names = malloc(sizeof(enosys)), .n_names = 1, .action = TJ_SC_ERRNO,
                                      .has_errno = true, .errno_ret = ENOSYS};
    memcpy(p->rules[1].names, enosys, sizeof(enosys));
    p->rules[2] = (struct tj_sc_rule){.names = malloc(sizeof(unshare)), .n_names = 1, .action = TJ_SC_ERRNO,
                                      .args = &userns, .n_args = 1};
    memcpy(p->rules[2].names, unshare, sizeof(unshare));
  } else {
    free(p->name);
    free(p);
    return tj_error_set(err, 0, "invalid --seccomp '%s': profiles are not available in this build yet", arg);
  }
  *out = p;
  return 0;
}
