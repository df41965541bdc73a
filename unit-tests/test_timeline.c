/* The timeline (samples, test spans, the OOM moment, its JSON), the live
 * view's line, the plot's SVG and the PSI parser: pure parts, no root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "report/live.h"
#include "report/plot.h"
#include "report/timeline.h"

static struct tj_cg_sample sample(int64_t mem, int64_t oom) {
  return (struct tj_cg_sample){.memory_bytes = mem, .pids = 3, .oom_kills = oom, .psi_some_us = -1,
                               .psi_full_us = -1};
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

static void test_live_line(void **state) {
  struct tj_live_status s = {.index = 2, .total = 5, .mem_current = 48 << 20, .mem_limit = 64 << 20,
                             .pids_current = 7, .pids_limit = 64};
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
      cmocka_unit_test(test_timeline_series_spans_oom), cmocka_unit_test(test_plot_without_samples),
      cmocka_unit_test(test_live_line),                 cmocka_unit_test(test_live_off_when_not_a_terminal),
      cmocka_unit_test(test_psi_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
