#include "cmd/report.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/util.h"
#include "go/testout.h"
#include "report/report.h"
#include "report/streammerge.h"
#include "verdict.h"

void tj_cmd_report_help(FILE *out) {
  fprintf(out, "Usage: testjail report merge OUT.json SHARD.json... [--junit FILE]\n"
               "       testjail report merge --json OUT.jsonl SHARD.jsonl...\n"
               "\n"
               "Merge the reports of a sharded run (testjail test --shard K/N --report SHARD.json, one\n"
               "per shard) into OUT.json, the report one unsharded run would have written: every\n"
               "package's result, in import path order, and the run-wide outcome and exit code decided\n"
               "as for one run (the first outcome present in the contract's order). A package no shard\n"
               "reported (a lost pod, a shard never run) or that two reports hold is sandbox_error,\n"
               "naming its shard. Reports of different package lists or testjail versions, or a file that\n"
               "is not a shard's report, are refused (exit 125, nothing written).\n"
               "\n"
               "With --json the files are go test -json streams (testjail test --shard K/N --json, one per\n"
               "shard; OUT.jsonl - is stdout): OUT gets each package's events in the order they came,\n"
               "packages in import path order, a package's build events (ImportPath) before its test\n"
               "events, and events that name no package last. A stream holds no list of its shard's\n"
               "packages, so it cannot tell a lost shard: a SHARD.jsonl that does not exist is refused,\n"
               "like a line that is not a JSON object with an Action, a package in two streams, a file\n"
               "given twice (exit 125, naming the file and line, nothing written). Name the streams there\n"
               "are, and merge the reports for the verdict and the lost shards. Exits 0 once written.\n"
               "\n"
               "Options:\n"
               "  --junit FILE   also write JUnit XML, as testjail test --junit writes it for one run: a\n"
               "                 testsuite per package with its verdict and a testcase per test, from the\n"
               "                 reports' tests.cases; not with --json\n"
               "  --json         merge go test -json streams instead of reports\n"
               "  -h, --help     show this help\n"
               "\n"
               "Exit status: as testjail test's for the merged outcome (0 passed, 1 tests_failed, ...,\n"
               "125 sandbox_error or bad input); with --json 0 once OUT is written, 125 for bad input.\n");
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "testjail: report merge: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  return TJ_EXIT_USAGE;
}

struct shard_in {
  const char *path;
  json_t *r;
  int index;
};

/* A shard's report, checked: a test report with a shard object. */
static const char *check_shard(json_t *r, int *index) {
  json_t *sh = json_object_get(r, "shard");
  if (!json_is_string(json_object_get(r, "testjail")) || !json_is_array(json_object_get(r, "packages")))
    return "not a testjail test report";
  if (!json_is_object(sh))
    return "a report of a run without --shard";
  json_t *idx = json_object_get(sh, "index"), *count = json_object_get(sh, "count"),
         *plan = json_object_get(sh, "plan");
  if (!json_is_integer(idx) || !json_is_integer(count) || !json_is_array(plan) ||
      json_array_size(plan) != (size_t)json_integer_value(count) || json_integer_value(idx) < 0 ||
      json_integer_value(idx) >= json_integer_value(count))
    return "its shard object has no index, count and plan";
  *index = (int)json_integer_value(idx);
  return NULL;
}

static json_t *lost(const char *pkg, const char *msg) {
  char diag[700];
  snprintf(diag, sizeof(diag), "sandbox error: %s", msg);
  return json_pack("{s:s,s:s,s:s,s:i,s:s,s:[s],s:n}", "package", pkg, "phase", "test", "outcome", "sandbox_error",
                   "exit_code", TJ_EXIT_USAGE, "diagnosis", diag, "evidence", msg, "duration_ms");
}

static int by_package(const void *a, const void *b) {
  return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "package")),
                json_string_value(json_object_get(*(json_t *const *)b, "package")));
}

/* A merge's reports and what it builds of them; merge_end takes them down. */
struct merge_run {
  struct shard_in *in;
  int n; /* reports loaded */
  json_t *packages, *report;
};

static void merge_end(struct merge_run *m) {
  for (int i = 0; i < m->n; i++)
    json_decref(m->in[i].r);
  free(m->in);
  json_decref(m->packages);
  json_decref(m->report);
}

/* The shards' reports, checked against the first one's version and plan: 0,
 * or the exit code of bad input. A shard's report that does not exist is a
 * lost shard (its pod never wrote one); a file that is not a shard's report
 * is a mistake. */
static int load_shards(struct merge_run *m, char **files, int nfiles) {
  int absent = 0;
  const char *first_absent = NULL;
  for (int f = 0; f < nfiles; f++) {
    json_error_t je;
    if (access(files[f], F_OK) < 0 && errno == ENOENT) {
      absent++;
      first_absent = first_absent ? first_absent : files[f];
      continue;
    }
    struct shard_in *sh = &m->in[m->n++];
    sh->path = files[f];
    sh->r = json_load_file(files[f], 0, &je);
    const char *why = sh->r ? check_shard(sh->r, &sh->index) : je.text;
    if (why)
      return usage("%s: not a shard's report (%s)", files[f], why);
    const char *v0 = json_string_value(json_object_get(m->in[0].r, "testjail"));
    const char *v = json_string_value(json_object_get(sh->r, "testjail"));
    if (strcmp(v0, v) != 0)
      return usage("%s: written by testjail %s, %s by %s: reports of different testjail versions", files[f], v,
                   m->in[0].path, v0);
    if (!json_equal(json_object_get(json_object_get(m->in[0].r, "shard"), "plan"),
                    json_object_get(json_object_get(sh->r, "shard"), "plan")))
      return usage("%s: a different package list or split than %s (the shards must resolve the same packages, with "
                   "the same --shard-timings)",
                   files[f], m->in[0].path);
  }
  if (m->n == 0)
    return usage("%s: no such file, nor any other SHARD.json given", first_absent);
  if (absent)
    fprintf(stderr, "testjail: report merge: %d of the reports given do not exist (%s%s): lost shards\n", absent,
            first_absent, absent > 1 ? ", ..." : "");
  return 0;
}

static bool have_shard(const struct merge_run *m, int index) {
  for (int i = 0; i < m->n; i++)
    if (m->in[i].index == index)
      return true;
  return false;
}

/* pkg's result: the one shard's that holds it, else a sandbox_error naming
 * the shards that hold it twice or the shard (index s of count) that lost it. */
static json_t *package_result(const struct merge_run *m, const char *pkg, size_t s, int count) {
  json_t *found = NULL;
  char where[600] = "";
  int seen = 0;
  for (int i = 0; i < m->n && pkg; i++) {
    size_t q;
    json_t *p;
    json_array_foreach(json_object_get(m->in[i].r, "packages"), q, p) {
      const char *pn = json_string_value(json_object_get(p, "package"));
      if (!pn || strcmp(pn, pkg) != 0)
        continue;
      size_t wl = strlen(where);
      snprintf(where + wl, sizeof(where) - wl, "%sshard %d (%s: %s)", seen ? " and " : "", m->in[i].index,
               m->in[i].path, json_string_value(json_object_get(p, "outcome")));
      seen++;
      found = p;
    }
  }
  char msg[700];
  if (seen == 1)
    return json_deep_copy(found);
  if (seen > 1)
    snprintf(msg, sizeof(msg), "%s has a result from more than one shard: %s", pkg, where);
  else if (have_shard(m, (int)s))
    snprintf(msg, sizeof(msg), "no result for %s: the report of shard %zu/%d holds none (interrupted?)", pkg, s, count);
  else
    snprintf(msg, sizeof(msg), "no result for %s: the report of shard %zu/%d is missing (a lost pod?)", pkg, s, count);
  return lost(pkg, msg);
}

/* Every package of the plan's, in import path order; returns how many. */
static int gather_packages(struct merge_run *m, json_t *plan) {
  int count = (int)json_array_size(plan), total = 0;
  size_t s, j;
  json_t *list, *name;
  json_array_foreach(plan, s, list) {
    json_array_foreach(list, j, name) {
      json_array_append_new(m->packages, package_result(m, json_string_value(name), s, count));
      total++;
    }
  }
  size_t np = json_array_size(m->packages);
  _cleanup_free_ json_t **sorted = calloc(np + 1, sizeof(*sorted));
  if (!sorted)
    return total;
  for (size_t i = 0; i < np; i++)
    sorted[i] = json_incref(json_array_get(m->packages, i));
  qsort(sorted, np, sizeof(*sorted), by_package);
  json_array_clear(m->packages);
  for (size_t i = 0; i < np; i++)
    json_array_append_new(m->packages, sorted[i]);
  return total;
}

/* The merged report: the run's verdict over every package, the first
 * shard's host, and the shard object of the whole run. */
static void build_report(struct merge_run *m, int total, struct tj_verdict *top, int *code) {
  json_t *sh0 = json_object_get(m->in[0].r, "shard"), *plan = json_object_get(sh0, "plan");
  int count = (int)json_array_size(plan);
  *code = tj_report_run_verdict(m->packages, total, top);
  if (total == 0) {
    *code = 0;
    top->outcome = TJ_PASSED;
    snprintf(top->outcome_name, sizeof(top->outcome_name), "passed");
    snprintf(top->diagnosis, sizeof(top->diagnosis), "passed: no package in any shard");
  }
  json_t *h = json_object_get(m->in[0].r, "host");
  struct tj_host host = {.cgroup = json_string_value(json_object_get(h, "cgroup")),
                         .kernel = json_string_value(json_object_get(h, "kernel")),
                         .go = json_string_value(json_object_get(h, "go"))};
  m->report = tj_report_top("test", top, *code, &host, NULL);
  json_object_set(m->report, "packages", m->packages);
  json_t *merged = json_array(), *missing = json_array(), *all = json_array(), *p;
  for (int k = 0; k < count; k++)
    json_array_append_new(have_shard(m, k) ? merged : missing, json_integer(k));
  size_t s;
  json_array_foreach(m->packages, s, p) json_array_append(all, json_object_get(p, "package"));
  json_object_set_new(m->report, "shard",
                      json_pack("{s:n,s:i,s:O,s:o,s:i,s:O,s:o,s:o}", "index", "count", count, "strategy",
                                json_object_get(sh0, "strategy"), "packages", all, "total_packages", total, "plan",
                                plan, "merged", merged, "missing", missing));
}

/* What the merge says on stderr once written: each lost shard, the verdict. */
static void tell_lost(const struct merge_run *m) {
  json_t *shard = json_object_get(m->report, "shard"), *plan = json_object_get(shard, "plan"), *k;
  int count = (int)json_array_size(plan);
  size_t s;
  json_array_foreach(json_object_get(shard, "missing"), s, k) {
    size_t n = json_array_size(json_array_get(plan, (size_t)json_integer_value(k)));
    fprintf(stderr, "testjail: report merge: no report of shard %d/%d: its %zu package%s count as sandbox_error\n",
            (int)json_integer_value(k), count, n, n == 1 ? "" : "s");
  }
}

static int merge(const char *out_path, const char *junit, char **files, int nfiles) {
  tj_error err = {0};
  if (tj_report_check_path("OUT", out_path, &err) < 0 || (junit && tj_report_check_path("--junit", junit, &err) < 0))
    return usage("%s", err.msg);
  __attribute__((cleanup(merge_end))) struct merge_run m = {.in = calloc((size_t)nfiles, sizeof(*m.in)),
                                                            .packages = json_array()};
  if (!m.in)
    return usage("out of memory");
  int rc = load_shards(&m, files, nfiles);
  if (rc != 0)
    return rc;
  int total = gather_packages(&m, json_object_get(json_object_get(m.in[0].r, "shard"), "plan"));
  struct tj_verdict top;
  int code;
  build_report(&m, total, &top, &code);
  if (tj_report_write(out_path, m.report, &err) < 0)
    return usage("%s", err.msg);
  if (junit && tj_junit_write(junit, m.packages, &err) < 0)
    fprintf(stderr, "testjail: %s\n", err.msg);
  tell_lost(&m);
  if (code != 0)
    fprintf(stderr, "testjail: %s\n", top.diagnosis);
  return code;
}

static int read_all(const char *path, struct tj_buf *b, struct stat *st) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, st) < 0)
    return -errno;
  if (S_ISDIR(st->st_mode))
    return -EISDIR;
  char chunk[65536];
  for (;;) {
    ssize_t r = read(fd, chunk, sizeof(chunk));
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -errno;
    if (r == 0)
      return 0;
    size_t len = b->len;
    tj_buf_add(b, chunk, (size_t)r);
    if (b->len != len + (size_t)r)
      return -ENOMEM;
  }
}

static int write_stream(const char *path, const struct tj_buf *b) {
  if (strcmp(path, "-") == 0)
    return tj_write_all(STDOUT_FILENO, b->p, b->len);
  char tmp[4096];
  if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
    return -ENAMETOOLONG;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    return -errno;
  int e = -tj_write_all(fd, b->p, b->len);
  if (close(fd) < 0 && !e)
    e = errno;
  if (!e && rename(tmp, path) < 0)
    e = errno;
  if (e)
    unlink(tmp);
  return -e;
}

/* --json: the shards' go test -json streams. A stream holds no list of
 * what its shard was to run, so a stream that is not there cannot be
 * counted as a lost shard (the report merge does that): it is bad input. */
static int merge_streams(const char *out_path, char **files, int nfiles) {
  tj_error err = {0};
  bool to_stdout = strcmp(out_path, "-") == 0;
  if (!to_stdout && tj_report_check_path("OUT", out_path, &err) < 0)
    return usage("%s", err.msg);
  struct stat out_st;
  bool out_exists = !to_stdout && stat(out_path, &out_st) == 0;
  struct tj_buf *data = calloc((size_t)nfiles, sizeof(*data));
  struct tj_stream *in = calloc((size_t)nfiles, sizeof(*in));
  struct stat *st = calloc((size_t)nfiles, sizeof(*st));
  struct tj_buf merged = {0};
  int rc = 0;
  if (!data || !in || !st)
    rc = usage("out of memory");
  for (int f = 0; f < nfiles && rc == 0; f++) {
    int r = read_all(files[f], &data[f], &st[f]), twice = -1;
    for (int g = 0; g < f && r == 0; g++)
      if (st[g].st_dev == st[f].st_dev && st[g].st_ino == st[f].st_ino)
        twice = g;
    if (r == -ENOENT)
      rc = usage("%s: no such file (a stream cannot say which packages its shard held: name only the streams "
                 "there are, and merge the reports to count a lost shard)",
                 files[f]);
    else if (r < 0)
      rc = usage("%s: %s", files[f], strerror(-r));
    else if (out_exists && st[f].st_dev == out_st.st_dev && st[f].st_ino == out_st.st_ino)
      rc = usage("%s: OUT is also one of the streams to merge", out_path);
    else if (twice >= 0)
      rc = usage("%s: given twice (as %s too)", files[f], files[twice]);
    in[f] = (struct tj_stream){.name = files[f], .data = data[f].p ? data[f].p : "", .len = data[f].len};
  }
  if (rc == 0 && tj_stream_merge(in, nfiles, &merged, &err) < 0)
    rc = usage("%s", err.msg);
  int w = rc == 0 ? write_stream(out_path, &merged) : 0;
  if (w < 0)
    rc = usage("%s: %s", out_path, strerror(-w));
  for (int f = 0; data && f < nfiles; f++)
    tj_buf_free(&data[f]);
  free(data);
  free(in);
  free(st);
  tj_buf_free(&merged);
  return rc;
}

int tj_cmd_report(int argc, char **argv) {
  if (argc < 2) {
    tj_cmd_report_help(stderr);
    return TJ_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    tj_cmd_report_help(stdout);
    return 0;
  }
  if (strcmp(argv[1], "merge") != 0)
    return usage("unknown subcommand '%s' (see 'testjail report --help')", argv[1]);
  const char *junit = NULL;
  bool json = false;
  char **files = calloc((size_t)argc, sizeof(*files));
  int nfiles = 0;
  bool dashdash = false;
  for (int i = 2; files && i < argc; i++) {
    const char *a = argv[i];
    if (!dashdash && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
      free(files);
      tj_cmd_report_help(stdout);
      return 0;
    }
    if (!dashdash && strcmp(a, "--") == 0) {
      dashdash = true;
    } else if (!dashdash && strcmp(a, "--junit") == 0) {
      if (i + 1 >= argc || !argv[i + 1][0]) {
        free(files);
        return usage("--junit needs a file name");
      }
      junit = argv[++i];
    } else if (!dashdash && strncmp(a, "--junit=", 8) == 0 && a[8]) {
      junit = a + 8;
    } else if (!dashdash && strcmp(a, "--json") == 0) {
      json = true;
    } else if (!dashdash && a[0] == '-' && a[1]) {
      free(files);
      return usage("unknown option '%s' (see 'testjail report --help')", a);
    } else {
      files[nfiles++] = argv[i];
    }
  }
  if (!files)
    return usage("out of memory");
  int rc;
  if (json && junit)
    rc = usage("--junit with --json: the JUnit comes from the reports (testjail report merge OUT.json "
               "SHARD.json... --junit FILE), or from the merged stream by a go test -json reader");
  else if (json && nfiles < 2)
    rc = usage("no %s given (usage: testjail report merge --json OUT.jsonl SHARD.jsonl...)",
               nfiles == 0 ? "OUT.jsonl" : "SHARD.jsonl");
  else if (json)
    rc = merge_streams(files[0], files + 1, nfiles - 1);
  else if (nfiles < 2)
    rc = usage("no %s given (usage: testjail report merge OUT.json SHARD.json...)",
               nfiles == 0 ? "OUT.json" : "SHARD.json");
  else
    rc = merge(files[0], junit, files + 1, nfiles - 1);
  free(files);
  return rc;
}
