#include "report/report.h"

#include "common/buf.h"
#include "common/caps.h"
#include "sandbox/contain.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static json_t *int_or_null(int64_t v) { return v < 0 ? json_null() : json_integer(v); }

static json_t *rlim_json(rlim_t v) { return v == RLIM_INFINITY ? json_null() : json_integer((json_int_t)v); }

/* seccomp: {profile, denials: [{syscall, count, test, parallel, pid, host_pid, comm, action, errno}], enosys, skipped,
 * killed, trapped} */
static json_t *seccomp_json(const struct tj_sc_result *r) {
  json_t *o = json_object();
  json_object_set_new(o, "profile", json_string(r->profile[0] ? r->profile : "unconfined"));
  json_t *a = json_array(), *fallbacks = json_array();
  for (int i = 0; i < r->n_denials; i++) {
    const struct tj_sc_denial *d = &r->denials[i];
    json_t *x = json_object();
    json_object_set_new(x, "syscall", json_string(d->syscall));
    json_object_set_new(x, "count", json_integer(d->count));
    json_object_set_new(x, "test", d->test[0] ? json_string(d->test) : json_null());
    /* t.Parallel: the call may have come from one of these instead */
    json_t *par = json_array();
    for (const char *q = d->parallel; *q;) {
      size_t l = strcspn(q, "\n");
      json_array_append_new(par, json_stringn(q, l));
      q += l + (q[l] == '\n');
    }
    json_object_set_new(x, "parallel", par);
    json_object_set_new(x, "pid", d->pid > 0 ? json_integer(d->pid) : json_null());
    json_object_set_new(x, "host_pid", d->host_pid > 0 ? json_integer(d->host_pid) : json_null());
    json_object_set_new(x, "comm", d->comm[0] ? json_string(d->comm) : json_null());
    json_object_set_new(x, "action", json_string(tj_sc_action_name(d->action)));
    const char *en = d->action == TJ_SC_ERRNO ? strerrorname_np(d->err) : NULL;
    json_object_set_new(x, "errno", en ? json_string(en) : json_null());
    /* clone3 and syscalls newer than libseccomp answered ENOSYS so callers
     * fall back: listed, not counted as denials. */
    json_array_append_new(d->enosys ? fallbacks : a, x);
  }
  json_object_set_new(o, "denials", a);
  json_object_set_new(o, "enosys", fallbacks);
  json_t *sk = json_array();
  for (size_t i = 0; i < r->n_skipped; i++)
    json_array_append_new(sk, json_string(r->skipped[i]));
  json_object_set_new(o, "skipped", sk);
  json_object_set_new(o, "killed", json_boolean(r->killed));
  json_object_set_new(o, "trapped", r->trapped[0] ? json_string(r->trapped) : json_null());
  if (r->cache[0])
    json_object_set_new(o, "cache", json_string(r->cache));
  return o;
}

static json_t *caps_json(uint64_t caps) {
  json_t *a = json_array();
  for (int c = 0; c < 64; c++)
    if (caps & (1ULL << c)) {
      char n[48];
      tj_cap_name(c, n, sizeof(n));
      json_array_append_new(a, json_string(n));
    }
  return a;
}

static json_t *str_list(const char *const *v, int n) {
  json_t *a = json_array();
  for (int i = 0; n < 0 ? v[i] != NULL : i < n; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

/* isolation: {userns, rootless, uid_map, gid_map, map_source, idmapped, covered, masked_paths, readonly_paths,
 * fds_closed, preserve_fds, fallback, devices, devices_note} */
static json_t *isolation_json(const struct tj_isolation *iso) {
  json_t *o = json_object();
  json_object_set_new(o, "userns", json_boolean(iso->userns));
  json_object_set_new(o, "rootless", json_boolean(iso->rootless));
  json_object_set_new(o, "uid_map", iso->userns ? json_string(iso->uid_map) : json_null());
  json_object_set_new(o, "gid_map", iso->userns ? json_string(iso->gid_map) : json_null());
  json_object_set_new(o, "map_source", iso->userns ? json_string(iso->map_source) : json_null());
  const char *idm[TJ_ISO_MAX_PATHS], *cov[TJ_ISO_MAX_PATHS];
  for (int i = 0; i < iso->n_idmapped; i++)
    idm[i] = iso->idmapped[i];
  for (int i = 0; i < iso->n_covered; i++)
    cov[i] = iso->covered[i];
  json_object_set_new(o, "idmapped", str_list(idm, iso->n_idmapped));
  json_object_set_new(o, "covered", str_list(cov, iso->n_covered));
  json_object_set_new(o, "masked_paths", str_list(tj_masked_paths, -1));
  json_object_set_new(o, "readonly_paths", str_list(tj_readonly_paths, -1));
  json_object_set_new(o, "fds_closed", json_true());
  json_object_set_new(o, "preserve_fds", json_integer(iso->preserve_fds));
  json_object_set_new(o, "fallback", iso->fallback[0] ? json_string(iso->fallback) : json_null());
  json_object_set_new(o, "devices", json_string(iso->devices[0] ? iso->devices : "none"));
  json_object_set_new(o, "devices_note", iso->devices_why[0] ? json_string(iso->devices_why) : json_null());
  return o;
}

json_t *tj_report_run(const struct tj_spec *spec, const struct tj_run_result *res, const struct tj_verdict *v) {
  json_t *run = json_object();
  json_t *exit = json_object();
  bool signaled = res->status_known && WIFSIGNALED(res->wstatus);
  char sig[32] = "";
  if (signaled) {
    const char *abbrev = sigabbrev_np(WTERMSIG(res->wstatus));
    snprintf(sig, sizeof(sig), "SIG%s", abbrev ? abbrev : "?");
  }
  json_object_set_new(exit, "code",
                      res->status_known && WIFEXITED(res->wstatus) ? json_integer(WEXITSTATUS(res->wstatus))
                                                                   : json_null());
  json_object_set_new(exit, "signal", signaled ? json_string(sig) : json_null());
  json_object_set_new(run, "exit", exit);
  json_object_set_new(run, "duration_ms", json_integer(res->duration_ms));

  json_t *limits = json_object();
  json_object_set_new(limits, "memory_bytes", int_or_null(spec->memory_bytes));
  json_object_set_new(limits, "pids", int_or_null(spec->pids));
  json_object_set_new(limits, "wall_timeout_ms", int_or_null(spec->wall_timeout_ms));
  json_object_set_new(limits, "cpus",
                      spec->cpu_quota_us < 0 ? json_null()
                                             : json_real((double)spec->cpu_quota_us / (double)spec->cpu_period_us));
  json_t *rl = json_object();
  for (int i = 0; i < spec->rlimits.n; i++)
    json_object_set_new(rl, spec->rlimits.v[i].name,
                        json_pack("[oo]", rlim_json(spec->rlimits.v[i].soft), rlim_json(spec->rlimits.v[i].hard)));
  json_object_set_new(limits, "rlimits", rl);
  json_object_set_new(run, "limits", limits);

  json_t *usage = json_object();
  json_object_set_new(usage, "memory_peak_bytes", int_or_null(res->stats.memory_peak_bytes));
  json_object_set_new(usage, "oom_kills", int_or_null(res->stats.oom_kills));
  json_object_set_new(usage, "pids_peak", int_or_null(res->stats.pids_peak));
  json_object_set_new(usage, "pids_limit_hits", int_or_null(res->stats.pids_limit_hits));
  int64_t cpu = res->stats.cpu_usage_us >= 0 ? res->stats.cpu_usage_us / 1000 : res->cpu_ms;
  json_object_set_new(usage, "cpu_ms", int_or_null(cpu));
  json_object_set_new(run, "usage", usage);

  json_object_set_new(run, "seccomp", seccomp_json(&res->seccomp));
  json_object_set_new(run, "capabilities", caps_json(res->caps));
  json_object_set_new(run, "isolation", isolation_json(&res->isolation));
  if (v->warning[0])
    json_object_set_new(run, "warnings", json_pack("[s]", v->warning));
  json_object_set_new(run, "cgroup", res->cgroup_path[0] ? json_string(res->cgroup_path) : json_null());

  json_t *ev = json_array();
  for (int i = 0; i < v->n_evidence; i++)
    json_array_append_new(ev, json_string(v->evidence[i]));
  if (res->cg_mode == TJ_CG_NONE)
    json_array_append_new(ev, json_string("no cgroup (a normal user without a delegated cgroup v2 subtree): "
                                          "memory, pids and cpu counters unknown"));
  json_object_set_new(run, "evidence", ev);

  json_t *tail = json_array();
  char **lines = NULL;
  int n = tj_run_tail_lines(res, 30, &lines);
  for (int i = 0; i < n; i++) {
    /* test2json's framing marks (^V, -test.v=test2json) are no output */
    char *w = lines[i];
    for (const char *r = lines[i]; *r; r++)
      if (*r != '\x16')
        *w++ = *r;
    *w = 0;
    /* Output need not be UTF-8: kept visible, as the worker's result and
     * the report must still read back as JSON. */
    struct tj_buf b = {0};
    tj_utf8_add(&b, lines[i], strlen(lines[i]));
    json_array_append_new(tail, json_stringn(b.p ? b.p : "", b.len));
    tj_buf_free(&b);
    free(lines[i]);
  }
  free(lines);
  json_object_set_new(run, "output_tail", tail);
  return run;
}

json_t *tj_report_top(const char *mode, const struct tj_verdict *v, int exit_code, const struct tj_host *host,
                      json_t *run) {
  json_t *top = json_object();
  json_object_set_new(top, "testjail", json_string(TJ_VERSION));
  json_object_set_new(top, "mode", json_string(mode));
  json_object_set_new(top, "outcome", json_string(v->outcome_name));
  json_object_set_new(top, "exit_code", json_integer(exit_code));
  json_object_set_new(top, "diagnosis", json_string(v->diagnosis));
  json_t *h = json_object();
  json_object_set_new(h, "cgroup", host->cgroup ? json_string(host->cgroup) : json_null());
  json_object_set_new(h, "kernel", host->kernel ? json_string(host->kernel) : json_null());
  json_object_set_new(h, "go", host->go ? json_string(host->go) : json_null());
  json_object_set_new(top, "host", h);
  if (run) {
    json_object_update(top, run);
    json_decref(run);
  }
  return top;
}

static enum tj_outcome package_outcome(json_t *p) {
  enum tj_outcome o;
  return tj_outcome_from_name(json_string_value(json_object_get(p, "outcome")), &o) ? o : TJ_SANDBOX_ERROR;
}

int tj_report_run_verdict(json_t *packages, int n_total, struct tj_verdict *top) {
  memset(top, 0, sizeof(*top));
  top->outcome = TJ_SANDBOX_ERROR;
  snprintf(top->outcome_name, sizeof(top->outcome_name), "sandbox_error");
  snprintf(top->diagnosis, sizeof(top->diagnosis), "interrupted before any package finished");
  json_t *best = NULL, *p;
  int not_passed = 0;
  size_t i;
  json_array_foreach(packages, i, p) {
    enum tj_outcome o = package_outcome(p);
    not_passed += o != TJ_PASSED;
    if (!best || tj_outcome_rank(o) < tj_outcome_rank(package_outcome(best)))
      best = p;
  }
  if (best) {
    const char *name = json_string_value(json_object_get(best, "outcome"));
    const char *diag = json_string_value(json_object_get(best, "diagnosis"));
    top->outcome = package_outcome(best);
    snprintf(top->outcome_name, sizeof(top->outcome_name), "%s",
             top->outcome == TJ_SANDBOX_ERROR ? "sandbox_error" : name);
    if (n_total == 1)
      snprintf(top->diagnosis, sizeof(top->diagnosis), "%s", diag ? diag : "");
    else if (top->outcome == TJ_PASSED)
      snprintf(top->diagnosis, sizeof(top->diagnosis), "passed: all %d packages", n_total);
    else
      snprintf(top->diagnosis, sizeof(top->diagnosis), "%s: %s (%d of %d packages not passed)",
               json_string_value(json_object_get(best, "package")), diag ? diag : "", not_passed, n_total);
  }
  return tj_outcome_exit_code(top->outcome);
}

int tj_report_write(const char *path, json_t *report, tj_error *err) {
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
  if (json_dump_file(report, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) < 0) {
    int e = errno;
    unlink(tmp);
    return tj_error_set(err, e ? e : EIO, "writing the report %s", path);
  }
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return tj_error_set(err, e, "writing the report %s", path);
  }
  return 0;
}

int tj_report_check_path(const char *opt, const char *path, tj_error *err) {
  char *copy = strdup(path);
  if (!copy)
    return tj_error_set(err, ENOMEM, "%s", opt);
  const char *dir = dirname(copy);
  int r = access(dir, W_OK | X_OK) < 0 ? tj_error_set(err, errno, "%s %s: directory %s", opt, path, dir) : 0;
  free(copy);
  return r;
}
