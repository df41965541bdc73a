#include "go/testout.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/parse.h"
#include "common/util.h"

#define ADDS(b, lit) tj_buf_add(b, lit, sizeof(lit) - 1)

/* Go's RFC3339Nano: fraction without trailing zeros, Z for UTC. */
static void format_time(struct tj_buf *b, const struct timespec *ts) {
  struct tm tm;
  time_t sec = ts->tv_sec;
  localtime_r(&sec, &tm);
  char date[64];
  strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
  tj_buf_add(b, date, strlen(date));
  if (ts->tv_nsec) {
    char frac[16];
    snprintf(frac, sizeof(frac), ".%09ld", ts->tv_nsec);
    size_t n = strlen(frac);
    while (frac[n - 1] == '0')
      n--;
    tj_buf_add(b, frac, n);
  }
  long off = tm.tm_gmtoff;
  if (off == 0)
    ADDS(b, "Z");
  else
    tj_buf_printf(b, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
}

/* A float64 as encoding/json writes the few values test2json produces. */
static void format_float(struct tj_buf *b, double v) {
  char num[64];
  snprintf(num, sizeof(num), "%.3f", v);
  size_t n = strlen(num);
  while (n > 1 && num[n - 1] == '0')
    n--;
  if (num[n - 1] == '.')
    n--;
  tj_buf_add(b, num, n);
}

static const char *action_name(enum tj_gt_action a) {
  switch (a) {
  case TJ_GT_RUN:
    return "run";
  case TJ_GT_PAUSE:
    return "pause";
  case TJ_GT_CONT:
    return "cont";
  case TJ_GT_PASS:
    return "pass";
  case TJ_GT_FAIL:
    return "fail";
  case TJ_GT_SKIP:
    return "skip";
  case TJ_GT_BENCH:
    return "bench";
  case TJ_GT_OUTPUT:
    return "output";
  case TJ_GT_START:
    return "start";
  }
  return "output";
}

void tj_json_event(struct tj_buf *b, const struct timespec *when, const char *pkg, const struct tj_gt_event *ev) {
  ADDS(b, "{");
  if (when) {
    ADDS(b, "\"Time\":\"");
    format_time(b, when);
    ADDS(b, "\",");
  }
  tj_buf_printf(b, "\"Action\":\"%s\"", action_name(ev->action));
  if (pkg && *pkg) {
    ADDS(b, ",\"Package\":");
    tj_json_quote(b, pkg, strlen(pkg));
  }
  if (ev->test && *ev->test) {
    ADDS(b, ",\"Test\":");
    tj_json_quote(b, ev->test, strlen(ev->test));
  }
  if (ev->action != TJ_GT_OUTPUT && ev->elapsed >= 0) {
    ADDS(b, ",\"Elapsed\":");
    format_float(b, ev->elapsed);
  }
  if (ev->action == TJ_GT_OUTPUT) {
    ADDS(b, ",\"Output\":");
    tj_json_quote(b, ev->output, ev->output_len);
  }
  if (ev->failed_build) {
    ADDS(b, ",\"FailedBuild\":");
    tj_json_quote(b, ev->failed_build, strlen(ev->failed_build));
  }
  ADDS(b, "}\n");
}

static void indent(struct tj_buf *b, int depth) {
  for (int i = 0; i < depth; i++)
    ADDS(b, "    ");
}

/* A failed test as the testing package prints it without -test.v: the
 * report line, then what it logged and its failed subtests, each level
 * indented by four more spaces. */
static void render_failed(struct tj_buf *b, const struct tj_gt_test *tests, int i, int level) {
  const struct tj_gt_test *t = &tests[i];
  indent(b, level);
  tj_buf_printf(b, "--- FAIL: %s (%.2fs)\n", t->name, t->elapsed < 0 ? 0.0 : t->elapsed);
  for (int k = 0; k < t->n_items; k++) {
    const struct tj_gt_item *it = &t->items[k];
    if (it->child >= 0) {
      if (tests[it->child].status == TJ_GT_FAILED && level < 64)
        render_failed(b, tests, it->child, level + 1);
    } else if (tj_gt_is_log_line(it->line, it->len)) {
      indent(b, level);
      tj_buf_add(b, it->line, it->len);
    }
  }
}

static void render_top(struct tj_buf *b, const struct tj_gotest *t, const char *name) {
  int n, i = tj_gotest_find(t, name);
  const struct tj_gt_test *tests = tj_gotest_tests(t, &n);
  if (i >= 0 && tests[i].parent < 0)
    render_failed(b, tests, i, 0);
}

void tj_text_event(struct tj_buf *b, const struct tj_gotest *t, const struct tj_gt_event *ev) {
  if (ev->action == TJ_GT_OUTPUT) {
    /* A test's log lines come with its --- FAIL block, or never. */
    if (ev->directive || ((ev->test[0] || ev->root_log) && tj_gt_is_log_line(ev->output, ev->output_len)))
      return;
    if (ev->log_at && ev->test[0]) {
      tj_buf_add(b, ev->output, ev->log_at);
      return;
    }
    if (ev->fail_head && ev->test[0])
      render_top(b, t, ev->test);
    tj_buf_add(b, ev->output, ev->output_len);
    return;
  }
  if (ev->action == TJ_GT_FAIL && ev->test[0] && !ev->fail_head)
    render_top(b, t, ev->test);
}

void tj_format_seconds(char *buf, size_t len, double seconds) { snprintf(buf, len, "%.3fs", seconds); }

json_t *tj_test_cases(const struct tj_gotest *gt) {
  static const char *status[] = {"running", "paused", "pass", "fail", "skip"};
  int n;
  const struct tj_gt_test *t = tj_gotest_tests(gt, &n);
  json_t *a = json_array();
  for (int i = 0; i < n; i++) {
    json_t *o = json_pack("{s:s,s:s,s:o}", "name", t[i].name, "status",
                          tj_gt_test_failed(&t[i]) ? "fail" : status[t[i].status], "duration_ms",
                          t[i].elapsed < 0 ? json_null() : json_integer((json_int_t)llround(t[i].elapsed * 1000)));
    if (!o)
      continue;
    if (t[i].status != TJ_GT_PASSED) {
      struct tj_buf out = {0};
      for (int k = 0; k < t[i].n_items; k++)
        if (t[i].items[k].child < 0)
          tj_utf8_add(&out, t[i].items[k].line, t[i].items[k].len);
      json_object_set_new(o, "output", json_stringn(out.p ? out.p : "", out.len));
      tj_buf_free(&out);
    }
    json_array_append_new(a, o);
  }
  return a;
}

static void xml_attr(struct tj_buf *b, const char *name, const char *value) {
  tj_buf_printf(b, " %s=\"", name);
  tj_xml_escape(b, value, strlen(value));
  ADDS(b, "\"");
}

static const char *jstr(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "";
}

static double jnum(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_number(v) ? json_number_value(v) : 0;
}

/* A package's time: its run's duration_ms (none: it never ran). */
static double package_seconds(json_t *pkg) { return jnum(pkg, "duration_ms") / 1000.0; }

static void package_error_text(struct tj_buf *b, json_t *pkg) {
  json_t *ev = json_object_get(pkg, "evidence"), *v;
  size_t i;
  json_array_foreach(ev, i, v) {
    const char *s = json_string_value(v);
    if (s) {
      tj_xml_escape(b, s, strlen(s));
      ADDS(b, "\n");
    }
  }
}

static void render_suite(struct tj_buf *b, json_t *pkg, int *tot, int *fail, int *err, int *skip, double *time) {
  const char *name = jstr(pkg, "package"), *outcome = jstr(pkg, "outcome"), *diag = jstr(pkg, "diagnosis");
  bool verdict_error = strcmp(outcome, "passed") != 0 && strcmp(outcome, "tests_failed") != 0;
  json_t *tests = json_object_get(json_object_get(pkg, "tests"), "cases"), *t;
  size_t i;
  int n = 0, nf = 0, ne = 0, ns = 0;
  bool error_placed = false;
  struct tj_buf cases = {0};
  json_array_foreach(tests, i, t) {
    const char *status = jstr(t, "status");
    const char *out = jstr(t, "output");
    bool running = strcmp(status, "running") == 0 || strcmp(status, "paused") == 0;
    n++;
    ADDS(&cases, "    <testcase");
    xml_attr(&cases, "classname", name);
    xml_attr(&cases, "name", jstr(t, "name"));
    tj_buf_printf(&cases, " time=\"%.3f\">", jnum(t, "duration_ms") / 1000.0);
    if (strcmp(status, "fail") == 0) {
      nf++;
      ADDS(&cases, "\n      <failure message=\"Failed\" type=\"\">");
      tj_xml_escape(&cases, out, strlen(out));
      ADDS(&cases, "</failure>\n    ");
    } else if (strcmp(status, "skip") == 0) {
      ns++;
      ADDS(&cases, "\n      <skipped message=\"");
      tj_xml_escape(&cases, out, strlen(out));
      ADDS(&cases, "\"></skipped>\n    ");
    } else if (running && verdict_error) {
      /* the binary died while this test ran: the sandbox's verdict is its error */
      ne++;
      error_placed = true;
      ADDS(&cases, "\n      <error");
      xml_attr(&cases, "message", diag);
      xml_attr(&cases, "type", outcome);
      ADDS(&cases, ">");
      package_error_text(&cases, pkg);
      tj_xml_escape(&cases, out, strlen(out));
      ADDS(&cases, "</error>\n    ");
    }
    ADDS(&cases, "</testcase>\n");
  }
  if (verdict_error && !error_placed) {
    n++, ne++;
    ADDS(&cases, "    <testcase");
    xml_attr(&cases, "classname", name);
    xml_attr(&cases, "name", strcmp(jstr(pkg, "phase"), "build") == 0 ? "[build]" : "[test binary]");
    tj_buf_printf(&cases, " time=\"%.3f\">\n      <error", package_seconds(pkg));
    xml_attr(&cases, "message", diag);
    xml_attr(&cases, "type", outcome);
    ADDS(&cases, ">");
    package_error_text(&cases, pkg);
    ADDS(&cases, "</error>\n    </testcase>\n");
  }
  double secs = package_seconds(pkg);
  ADDS(b, "  <testsuite");
  xml_attr(b, "name", name);
  tj_buf_printf(b, " tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n", n, nf, ne, ns, secs);
  ADDS(b, "    <properties>\n      <property");
  xml_attr(b, "name", "testjail.outcome");
  xml_attr(b, "value", outcome);
  ADDS(b, "></property>\n      <property");
  xml_attr(b, "name", "testjail.diagnosis");
  xml_attr(b, "value", diag);
  ADDS(b, "></property>\n    </properties>\n");
  if (cases.len)
    tj_buf_add(b, cases.p, cases.len);
  ADDS(b, "  </testsuite>\n");
  tj_buf_free(&cases);
  *tot += n, *fail += nf, *err += ne, *skip += ns, *time += secs;
}

enum { COL_PACKAGE, COL_OUTCOME, COL_TIME, COL_PEAK, COL_DIAGNOSIS, N_COLS };

static void summary_row(struct tj_buf *b, char cells[N_COLS][600], const int *width) {
  size_t start = b->len;
  for (int i = 0; i < N_COLS; i++)
    tj_buf_printf(b, "%-*s%s", i + 1 < N_COLS ? width[i] : 0, cells[i], i + 1 < N_COLS ? "  " : "");
  while (b->len > start && b->p[b->len - 1] == ' ')
    b->len--;
  ADDS(b, "\n");
}

static void summary_cells(json_t *pkg, char cells[N_COLS][600]) {
  snprintf(cells[COL_PACKAGE], 600, "%s", jstr(pkg, "package"));
  snprintf(cells[COL_OUTCOME], 600, "%s", jstr(pkg, "outcome"));
  tj_format_seconds(cells[COL_TIME], 600, package_seconds(pkg));
  json_t *peak = json_object_get(json_object_get(pkg, "usage"), "memory_peak_bytes");
  if (json_is_integer(peak))
    tj_format_size(json_integer_value(peak), cells[COL_PEAK], 600);
  else
    snprintf(cells[COL_PEAK], 600, "-");
  const char *diag = jstr(pkg, "diagnosis");
  snprintf(cells[COL_DIAGNOSIS], 600, "%s", strcmp(diag, "passed") == 0 ? "" : diag);
}

void tj_summary_table(struct tj_buf *b, json_t *packages) {
  char cells[N_COLS][600] = {"PACKAGE", "OUTCOME", "TIME", "PEAK MEMORY", "DIAGNOSIS"};
  int width[N_COLS] = {0};
  size_t i;
  json_t *pkg;
  for (int c = 0; c < N_COLS; c++)
    width[c] = (int)strlen(cells[c]);
  json_array_foreach(packages, i, pkg) {
    char row[N_COLS][600];
    summary_cells(pkg, row);
    for (int c = 0; c < N_COLS; c++)
      if ((int)strlen(row[c]) > width[c])
        width[c] = (int)strlen(row[c]);
  }
  summary_row(b, cells, width);
  json_array_foreach(packages, i, pkg) {
    summary_cells(pkg, cells);
    summary_row(b, cells, width);
  }
}

int tj_junit_write(const char *path, json_t *packages, tj_error *err) {
  struct tj_buf suites = {0}, doc = {0};
  int n = 0, nf = 0, ne = 0, ns = 0;
  double secs = 0;
  size_t i;
  json_t *pkg;
  json_array_foreach(packages, i, pkg) render_suite(&suites, pkg, &n, &nf, &ne, &ns, &secs);
  tj_buf_printf(&doc,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<testsuites tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
                n, nf, ne, ns, secs);
  if (suites.len)
    tj_buf_add(&doc, suites.p, suites.len);
  ADDS(&doc, "</testsuites>\n");
  tj_buf_free(&suites);

  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
  int r = 0;
  _cleanup_fclose_ FILE *f = fopen(tmp, "we");
  if (!f || fwrite(doc.p, 1, doc.len, f) != doc.len || fflush(f) != 0) {
    r = tj_error_set(err, errno ? errno : EIO, "writing the JUnit report %s", path);
  } else if (rename(tmp, path) < 0) {
    r = tj_error_set(err, errno, "writing the JUnit report %s", path);
  }
  if (r < 0)
    unlink(tmp);
  tj_buf_free(&doc);
  return r;
}
