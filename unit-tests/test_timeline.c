/* The timeline (samples, test spans, the OOM moment, its JSON), the live
 * view's line, the plot's SVG and the PSI parser: pure parts, no root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "report/live.h"
#include "report/plot.h"
#include "report/timeline.h"

static struct tj_cg_sample sample(int64_t mem, int64_t oom) {
  return (struct tj_cg_sample){
      .memory_bytes = mem, .pids = 3, .oom_kills = oom, .psi_some_us = -1, .psi_full_us = -1, .memory_peak_bytes = -1};
}

static void test_timeline_series_spans_oom(void **state) {
  struct tj_timeline tl;
  assert_int_equal(tj_timeline_init(&tl, 50, 64 << 20, 2), 0);
  for (int i = 0; i < 600; i++) { /* grows past the initial capacity */
    struct tj_cg_sample s = sample((int64_t)i << 16, 0);
    tj_timeline_sample(&tl, i * 50, &s);
    if (i == 10)
      tj_timeline_test_start(&tl, "TestA", i * 50);
    if (i == 20)
      tj_timeline_test_start(&tl, "TestA/sub", i * 50);
    if (i == 30)
      tj_timeline_test_end(&tl, "TestA/sub", "pass", i * 50);
    if (i == 40)
      tj_timeline_test_start(&tl, "TestB", i * 50);
  }
  assert_string_equal(tj_timeline_running(&tl), "TestB");
  struct tj_cg_sample oom = sample(1 << 20, 1);
  tj_timeline_sample(&tl, 29000, &oom); /* earlier than the last: clamped */
  assert_int_equal(tl.n, 601);
  assert_int_equal(tl.t_ms[600], 29950);
  assert_int_equal(tl.oom_ms, 29950);
  assert_string_equal(tl.oom_test, "TestB");
  struct tj_cg_sample later = sample(0, 2);
  tj_timeline_sample(&tl, 31000, &later);
  assert_int_equal(tl.oom_ms, 29950); /* the first kill only */

  json_t *j = tj_timeline_json(&tl);
  assert_int_equal(json_array_size(json_object_get(j, "t_ms")), 602);
  assert_true(json_is_null(json_object_get(j, "memory_pressure_some_us")));
  assert_int_equal(json_integer_value(json_object_get(j, "limit_bytes")), 64 << 20);
  json_t *tests = json_object_get(j, "tests");
  assert_int_equal(json_array_size(tests), 3);
  json_t *sub = json_array_get(tests, 1);
  assert_string_equal(json_string_value(json_object_get(sub, "name")), "TestA/sub");
  assert_int_equal(json_integer_value(json_object_get(sub, "depth")), 1);
  assert_string_equal(json_string_value(json_object_get(sub, "status")), "pass");
  assert_true(json_is_null(json_object_get(json_array_get(tests, 2), "end_ms")));
  assert_string_equal(json_string_value(json_object_get(json_object_get(j, "oom"), "test")), "TestB");

  /* the plot of it: one panel, its size, the OOM mark, the limit, a label */
  json_t *panels = json_pack("[{s:s,s:O}]", "title", "pkg <x>", "timeline", j);
  struct tj_buf b = {0};
  tj_plot_svg(&b, panels);
  assert_non_null(strstr(b.p, "width=\"900\" height=\"320\""));
  assert_non_null(strstr(b.p, "OOM kill in TestB"));
  assert_non_null(strstr(b.p, "limit 64.0 MiB"));
  assert_non_null(strstr(b.p, "pkg &lt;x&gt;"));
  assert_non_null(strstr(b.p, "<polyline"));
  assert_null(strstr(b.p, "nan"));
  tj_buf_free(&b);
  json_decref(panels);
  json_decref(j);
  tj_timeline_free(&tl);
}

static void test_plot_without_samples(void **state) {
  json_t *panels = json_pack("[{s:s,s:n},{s:s,s:{}}]", "title", "a", "timeline", "title", "b", "timeline");
  struct tj_buf b = {0};
  tj_plot_svg(&b, panels);
  assert_non_null(strstr(b.p, "height=\"640\""));
  assert_non_null(strstr(b.p, "no samples for this run"));
  tj_buf_free(&b);
  json_decref(panels);
}

/* The attribute attr of the first element whose class is cls, "" if none. */
static const char *attr_of(const char *svg, const char *cls, const char *attr, char *out, size_t size) {
  char key[64];
  snprintf(key, sizeof(key), "class=\"%s\"", cls);
  out[0] = 0;
  const char *el = strstr(svg, key);
  if (!el)
    return out;
  const char *end = strchr(el, '>');
  snprintf(key, sizeof(key), " %s=\"", attr);
  const char *a = strstr(el, key);
  if (a && a < end) {
    a += strlen(key);
    snprintf(out, size, "%.*s", (int)(strchr(a, '"') - a), a);
  }
  return out;
}

/* Flat at 10 MiB in every sample; the cgroup's counter rises to peak
 * between the samples at 1000 and 1100 ms. */
static json_t *spiky_run(int64_t peak, int64_t pids_limit) {
  struct tj_timeline tl;
  assert_int_equal(tj_timeline_init(&tl, 100, 256 << 20, 0), 0);
  for (int i = 0; i <= 20; i++) {
    struct tj_cg_sample s = sample(10 << 20, 0);
    s.pids = 30;
    s.memory_peak_bytes = i < 11 ? 10 << 20 : peak;
    tj_timeline_sample(&tl, i * 100, &s);
    if (i == 1)
      tj_timeline_test_start(&tl, "TestPasses", i * 100);
    if (i == 5) {
      tj_timeline_test_end(&tl, "TestPasses", "pass", i * 100);
      tj_timeline_test_start(&tl, "TestFails", i * 100);
    }
    if (i == 9) {
      tj_timeline_test_end(&tl, "TestFails", "fail", i * 100);
      tj_timeline_test_start(&tl, "TestDies", i * 100);
    }
  }
  struct tj_cg_stats st = {.memory_peak_bytes = peak,
                           .memory_current_bytes = -1,
                           .oom_kills = 1,
                           .memory_max_events = 7,
                           .pids_peak = 31,
                           .pids_current = -1,
                           .pids_limit_hits = 2,
                           .cpu_usage_us = -1,
                           .memory_peak_from = "memory.max_usage_in_bytes"};
  tj_timeline_finish(&tl, &st, pids_limit);
  json_t *j = tj_timeline_json(&tl);
  tj_timeline_free(&tl);
  return j;
}

static char *plot_of(json_t *tl) {
  json_t *panels = json_pack("[{s:s,s:o}]", "title", "p", "timeline", tl);
  struct tj_buf b = {0};
  tj_plot_svg(&b, panels);
  json_decref(panels);
  return b.p;
}

static void test_plot_recorded_peak_missed(void **state) {
  json_t *j = spiky_run(200 << 20, -1);
  json_t *rec = json_object_get(j, "recorded");
  assert_int_equal(json_integer_value(json_object_get(rec, "memory_peak_bytes")), 200 << 20);
  assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "memory_peak_bytes"), 11)), 200 << 20);
  assert_true(json_is_null(json_object_get(j, "pids_limit")));
  char *svg = plot_of(j);
  assert_non_null(strstr(svg, "recorded peak 200.0 MiB (memory.max_usage_in_bytes)"));
  assert_non_null(strstr(svg, "sampling missed the peak: 190.0 MiB above the highest sample"));
  /* the band lies between the samples at 1.0 s and 1.1 s: x = 78 + t/2000 * 798 */
  char v[64];
  assert_string_equal(attr_of(svg, "missed", "x", v, sizeof(v)), "477.0");
  assert_string_equal(attr_of(svg, "missed", "width", v, sizeof(v)), "39.9");
  assert_non_null(strstr(svg, "at the end: memory.failcnt 7 oom_kill 1"));
  assert_null(strstr(svg, "pids.events"));
  /* spans coloured by how they ended, a legend for each kind shown */
  assert_string_equal(attr_of(svg, "span-pass", "fill", v, sizeof(v)), "#c8e6c9");
  assert_string_equal(attr_of(svg, "span-fail", "fill", v, sizeof(v)), "#ffcdd2");
  assert_string_equal(attr_of(svg, "span-running", "fill", v, sizeof(v)), "#ffcc80");
  assert_null(strstr(svg, "span-skip"));
  assert_non_null(strstr(svg, "running when the run ended"));
  assert_null(strstr(svg, "skipped"));
  /* no pids limit: no pids line */
  assert_null(strstr(svg, "class=\"pids"));
  free(svg);
}

static void test_plot_peak_seen_by_sampling(void **state) {
  /* half a MiB above the samples: growth between two samples, no spike */
  char *svg = plot_of(spiky_run((10 << 20) + (512 << 10), 32));
  assert_non_null(strstr(svg, "recorded peak 10.5 MiB"));
  assert_null(strstr(svg, "class=\"missed\""));
  assert_null(strstr(svg, "sampling missed"));
  /* pids against their limit: 32 of a scale up to 48 (32 * 1.5) */
  char v[64];
  attr_of(svg, "pids-limit", "y1", v, sizeof(v));
  assert_string_equal(v, "109.3"); /* top 34 + 226 * (1 - 32 / 48) */
  assert_non_null(strstr(svg, "pids limit 32 (peak 31 tasks)"));
  assert_non_null(strstr(svg, "class=\"pids\""));
  assert_non_null(strstr(svg, "pids.events max 2"));
  free(svg);
}

static void test_live_line(void **state) {
  struct tj_live_status s = {
      .index = 2, .total = 5, .mem_current = 48 << 20, .mem_limit = 64 << 20, .pids_current = 7, .pids_limit = 64};
  strcpy(s.phase, "test");
  strcpy(s.package, "example.com/p");
  strcpy(s.test, "TestBig");
  char buf[256];
  tj_live_format(buf, sizeof(buf), &s, 65400, 200);
  assert_string_equal(buf, "test 2/5 example.com/p  1:05.4  mem 48.0/64.0 MiB [#######---] 75%  pids 7/64  TestBig");
  /* never wider than the terminal, so one \r redraws it */
  size_t n = tj_live_format(buf, sizeof(buf), &s, 0, 20);
  assert_int_equal(n, 19);
  assert_int_equal(strlen(buf), 19);
  struct tj_live_status none = {.mem_current = -1, .mem_limit = -1, .pids_current = -1, .pids_limit = -1};
  tj_live_format(buf, sizeof(buf), &none, 0, 80);
  assert_string_equal(buf, "run  0:00.0");
  s.mem_limit = -1;
  s.pids_limit = -1;
  tj_live_format(buf, sizeof(buf), &s, 0, 200);
  assert_non_null(strstr(buf, "mem 48.0 MiB  pids 7  TestBig"));
}

static void test_live_off_when_not_a_terminal(void **state) {
  struct tj_live l;
  int p[2];
  assert_int_equal(pipe(p), 0);
  tj_live_init(&l, p[1], false);
  assert_false(l.on);
  struct tj_live_status s = {.mem_current = -1};
  tj_live_update(&l, &s, true);
  tj_live_clear(&l);
  close(p[1]);
  char c;
  assert_int_equal(read(p[0], &c, 1), 0); /* nothing written */
  close(p[0]);
}

static void test_psi_parse(void **state) {
  int64_t some, full;
  assert_int_equal(tj_cg_psi_parse("some avg10=0.00 avg60=1.50 avg300=0.00 total=12345\n"
                                   "full avg10=0.00 avg60=0.00 avg300=0.00 total=678\n",
                                   &some, &full),
                   0);
  assert_int_equal(some, 12345);
  assert_int_equal(full, 678);
  assert_int_equal(tj_cg_psi_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=9\n", &some, &full), 0);
  assert_int_equal(some, 9);
  assert_int_equal(full, -1);
  assert_true(tj_cg_psi_parse("", &some, &full) < 0);
  assert_true(tj_cg_psi_parse("some avg10=0.00 total=x\n", &some, &full) < 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_timeline_series_spans_oom),
      cmocka_unit_test(test_plot_without_samples),
      cmocka_unit_test(test_live_line),
      cmocka_unit_test(test_live_off_when_not_a_terminal),
      cmocka_unit_test(test_psi_parse),
      cmocka_unit_test(test_plot_recorded_peak_missed),
      cmocka_unit_test(test_plot_peak_seen_by_sampling),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
