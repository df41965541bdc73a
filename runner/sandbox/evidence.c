#include "sandbox/evidence.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "common/error.h"
#include "common/util.h"
#include "seccomp/seccomp.h"

struct tj_evidence tj_run_evidence(const struct tj_spec *spec, const struct tj_run_result *res,
                                   const struct tj_notes *notes) {
  return (struct tj_evidence){
      .status_known = res->status_known && res->launch == TJ_LAUNCH_OK,
      .exited = WIFEXITED(res->wstatus),
      .exit_code = WIFEXITED(res->wstatus) ? WEXITSTATUS(res->wstatus) : -1,
      .signal = WIFSIGNALED(res->wstatus) ? WTERMSIG(res->wstatus) : 0,
      .timed_out = res->timed_out,
      .sent_kill = res->sent_kill,
      .wall_timeout_ms = spec->wall_timeout_ms,
      .oom_kills = res->stats.oom_kills,
      .pids_limit_hits = res->stats.pids_limit_hits,
      .memory_peak = res->stats.memory_peak_bytes,
      .cpu_ms = res->cpu_ms,
      .memory_limit = spec->memory_bytes,
      .memory_shmem = res->stats.memory_shmem_bytes,
      .private_tmp = !spec->tmp_dir,
      .memory_max_events = res->stats.memory_max_events,
      .memory_total_hits = spec->cg_parent ? res->parent_limit_hits : -1,
      .pids_limit = spec->pids,
      .rlimits = &spec->rlimits,
      .notes = notes,
      .setup_error = res->launch != TJ_LAUNCH_OK ? res->message : NULL,
  };
}

void tj_run_seccomp_evidence(const struct tj_run_result *res, struct tj_evidence *ev, char *summary, size_t len) {
  const struct tj_sc_result *s = &res->seccomp;
  ev->seccomp_filtered = strcmp(s->profile, "unconfined") != 0 && s->profile[0];
  ev->seccomp_denials = s->total;
  ev->seccomp_syscall = tj_sc_result_first(s);
  tj_sc_result_summary(s, summary, len);
  ev->seccomp_summary = summary;
  ev->seccomp_errno = 0;
  for (int i = 0; i < s->n_denials; i++)
    if (ev->seccomp_syscall && strcmp(s->denials[i].syscall, ev->seccomp_syscall) == 0 && !s->denials[i].enosys) {
      ev->seccomp_errno = s->denials[i].action == TJ_SC_ERRNO ? s->denials[i].err : 0;
      if (s->killed && s->denials[i].action != TJ_SC_ERRNO)
        ev->seccomp_kill = tj_sc_action_name(s->denials[i].action);
      break;
    }
  ev->seccomp_trapped = s->trapped[0] ? s->trapped : NULL;
  ev->n_seccomp_tests = 0;
  ev->seccomp_untested = false;
  for (int i = 0; i < s->n_denials; i++) {
    const struct tj_sc_denial *d = &s->denials[i];
    if (d->enosys)
      continue;
    if (!d->test[0] || ev->n_seccomp_tests == (int)TJ_ARRAY_SIZE(ev->seccomp_tests))
      ev->seccomp_untested = true;
    else
      ev->seccomp_tests[ev->n_seccomp_tests++] = d->test;
  }
}

int tj_run_transparent_verdict(const struct tj_run_result *res, const struct tj_evidence *ev, const char *sc_summary,
                               struct tj_verdict *v) {
  if (res->launch == TJ_LAUNCH_NOT_FOUND || res->launch == TJ_LAUNCH_NOT_EXECUTABLE) {
    memset(v, 0, sizeof(*v));
    v->outcome = TJ_EXIT_NONZERO;
    snprintf(v->outcome_name, sizeof(v->outcome_name), "exit_nonzero");
    snprintf(v->diagnosis, sizeof(v->diagnosis), "%s%s", res->message,
             res->launch == TJ_LAUNCH_NOT_FOUND ? "" : " (cannot execute)");
    if (ev->seccomp_denials > 0) {
      /* The profile denied the exec itself (or what it needs). */
      v->outcome = TJ_SECCOMP_DENIED;
      snprintf(v->outcome_name, sizeof(v->outcome_name), "seccomp_denied");
      snprintf(v->diagnosis, sizeof(v->diagnosis), "seccomp denied %s: %s (cannot execute)", sc_summary, res->message);
    }
    return res->launch == TJ_LAUNCH_NOT_FOUND ? 127 : 126;
  }
  tj_verdict_decide(ev, v);
  if (v->outcome == TJ_SANDBOX_ERROR)
    return TJ_EXIT_USAGE;
  if (WIFSIGNALED(res->wstatus))
    return 128 + WTERMSIG(res->wstatus);
  return WEXITSTATUS(res->wstatus);
}
