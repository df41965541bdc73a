#include "report/plot.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ML 78 /* margins of the plot area inside a panel */
#define MR 24
#define MT 34
#define MB 60
#define MIB (1024.0 * 1024.0)

/* A test span's colour says how it ended; "running": still running when
 * the run ended, the test a kill cut short. */
static const struct {
  const char *status, *fill, *legend;
} span_kind[] = {
    {"pass", "#c8e6c9", "passed"},
    {"fail", "#ffcdd2", "failed"},
    {"skip", "#e0e0e0", "skipped"},
    {"running", "#ffcc80", "running when the run ended"},
};
#define N_SPAN_KINDS (sizeof(span_kind) / sizeof(span_kind[0]))

/* Sampling missed the peak when the cgroup's own peak is above every sample
 * by more than this: memory that grows steadily is always a little above
 * the last sample, which is no spike. */
static int64_t missed_tolerance(int64_t peak) { return peak / 50 > (1 << 20) ? peak / 50 : 1 << 20; }

static size_t span_kind_of(const char *status) {
  for (size_t i = 0; i < N_SPAN_KINDS; i++)
    if (status && strcmp(status, span_kind[i].status) == 0)
      return i;
  return N_SPAN_KINDS - 1;
}

static double nice_step(double range, int max_ticks) {
  double raw = range / max_ticks, mag = pow(10, floor(log10(raw > 0 ? raw : 1)));
  double steps[] = {1, 2, 5, 10};
  for (size_t i = 0; i < 4; i++)
    if (steps[i] * mag >= raw)
      return steps[i] * mag;
  return 10 * mag;
}

static void text(struct tj_buf *b, double x, double y, const char *anchor, const char *extra, const char *s) {
  tj_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y, anchor, extra);
  tj_xml_escape(b, s, strlen(s));
  tj_buf_printf(b, "</text>\n");
}

static int64_t int_at(json_t *a, size_t i) {
  json_t *v = json_array_get(a, i);
  return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static int64_t int_of(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static int64_t max_of(json_t *a) {
  int64_t m = -1;
  for (size_t i = 0; i < json_array_size(a); i++)
    if (int_at(a, i) > m)
      m = int_at(a, i);
  return m;
}

/* The plot area of one panel and its scales. */
struct area {
  double left, top, bottom, pw, ph;
  int64_t tmax;
  double ymax_mib;
};

static double ax(const struct area *a, int64_t ms) { return a->left + (double)ms / (double)a->tmax * a->pw; }
static double ay(const struct area *a, int64_t bytes) { return a->bottom - (double)bytes / MIB / a->ymax_mib * a->ph; }

/* Between which two samples the peak counter reached the recorded peak:
 * the spike sampling missed happened there. Without a per-sample counter
 * (a kernel without memory.peak) the whole run. */
static void missed_window(json_t *tl, int64_t peak, int64_t tmax, int64_t *from, int64_t *to) {
  json_t *t = json_object_get(tl, "t_ms"), *pk = json_object_get(tl, "memory_peak_bytes");
  size_t n = json_array_size(t);
  *from = 0;
  *to = tmax;
  if (!json_is_array(pk))
    return;
  for (size_t i = 0; i < n; i++)
    if (int_at(pk, i) >= peak) {
      *from = i ? int_at(t, i - 1) : 0;
      *to = int_at(t, i);
      return;
    }
  *from = n ? int_at(t, n - 1) : 0;
}

/* The cgroup's recorded peak across the panel, the spike sampling missed,
 * and the limit's counters under the axis. */
static void recorded(struct tj_buf *b, const struct area *a, json_t *tl, int64_t peak, int64_t sample_max) {
  json_t *rec = json_object_get(tl, "recorded");
  const char *from = json_string_value(json_object_get(rec, "memory_peak_from"));
  char lab[160];
  if (peak >= 0) {
    double y = ay(a, peak);
    tj_buf_printf(b,
                  "<line class=\"peak\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#6a1b9a\" "
                  "stroke-width=\"1.5\" stroke-dasharray=\"2,3\"/>\n",
                  a->left, y, a->left + a->pw, y);
    snprintf(lab, sizeof(lab), "recorded peak %.1f MiB (%s)", (double)peak / MIB, from ? from : "cgroup");
    text(b, a->left + a->pw - 4, y - 5, "end", " class=\"peak-label\" font-size=\"11\" fill=\"#6a1b9a\"", lab);
  }
  if (peak >= 0 && sample_max >= 0 && peak - sample_max > missed_tolerance(peak)) {
    int64_t t1, t2;
    missed_window(tl, peak, a->tmax, &t1, &t2);
    double x1 = ax(a, t1), x2 = ax(a, t2), y = ay(a, peak);
    if (x2 - x1 < 3)
      x2 = x1 + 3;
    double xm = (x1 + x2) / 2;
    tj_buf_printf(b,
                  "<rect class=\"missed\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#6a1b9a\" "
                  "fill-opacity=\"0.18\" stroke=\"#6a1b9a\" stroke-dasharray=\"3,2\"/>\n"
                  "<path d=\"M%.1f,%.1f l-6,-10 h12 z\" fill=\"#6a1b9a\"/>\n",
                  x1, y, x2 - x1, a->bottom - y, xm, y);
    snprintf(lab, sizeof(lab), "sampling missed the peak: %.1f MiB above the highest sample",
             (double)(peak - sample_max) / MIB);
    /* beside the band, kept inside the plot: about 6.6 px a character */
    double w = 6.6 * (double)strlen(lab);
    bool right = xm > a->left + a->pw / 2;
    double x = right ? fmax(x1 - 4, a->left + w) : fmin(x2 + 4, a->left + a->pw - w);
    text(b, x, y + 14, right ? "end" : "start",
         " class=\"missed-label\" font-size=\"11\" font-weight=\"bold\" fill=\"#4a148c\"", lab);
  }
  if (!json_is_object(rec))
    return;
  int64_t ev = int_of(rec, "memory_max_events"), kills = int_of(rec, "oom_kills"),
          phits = int_of(rec, "pids_limit_hits");
  bool v1 = from && strcmp(from, "memory.max_usage_in_bytes") == 0;
  size_t len = (size_t)snprintf(lab, sizeof(lab), "at the end:");
  if (ev >= 0 && len < sizeof(lab))
    len += (size_t)snprintf(lab + len, sizeof(lab) - len, " %s %lld", v1 ? "memory.failcnt" : "memory.events max",
                            (long long)ev);
  if (kills >= 0 && len < sizeof(lab))
    len += (size_t)snprintf(lab + len, sizeof(lab) - len, " oom_kill %lld", (long long)kills);
  if (phits >= 0 && int_of(tl, "pids_limit") >= 0 && len < sizeof(lab))
    len += (size_t)snprintf(lab + len, sizeof(lab) - len, " pids.events max %lld", (long long)phits);
  if (ev >= 0 || kills >= 0)
    text(b, a->left + a->pw, a->bottom + 50, "end", " class=\"counters\" font-size=\"11\" fill=\"#555\"", lab);
}

/* The number of tasks on its own scale, the pids limit at a fixed height. */
static void pids_against_limit(struct tj_buf *b, const struct area *a, json_t *tl, int64_t limit) {
  json_t *t = json_object_get(tl, "t_ms"), *pids = json_object_get(tl, "pids");
  /* the limit at two thirds of the height, below where the memory limit usually is */
  double top = (double)(max_of(pids) > limit ? max_of(pids) : limit) * 1.5;
#define PY(v) (a->bottom - (double)(v) / top * a->ph)
  tj_buf_printf(b,
                "<line class=\"pids-limit\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#00796b\" "
                "stroke-width=\"1.5\" stroke-dasharray=\"1,3\"/>\n",
                a->left, PY(limit), a->left + a->pw, PY(limit));
  char lab[96];
  int64_t ppeak = int_of(json_object_get(tl, "recorded"), "pids_peak");
  if (ppeak >= 0)
    snprintf(lab, sizeof(lab), "pids limit %lld (peak %lld tasks)", (long long)limit, (long long)ppeak);
  else
    snprintf(lab, sizeof(lab), "pids limit %lld", (long long)limit);
  text(b, a->left + a->pw - 4, PY(limit) + 13, "end", " font-size=\"11\" fill=\"#00796b\"", lab);
  tj_buf_printf(b, "<polyline class=\"pids\" fill=\"none\" stroke=\"#00796b\" stroke-width=\"1.2\" points=\"");
  for (size_t i = 0; i < json_array_size(t); i++)
    if (int_at(pids, i) >= 0)
      tj_buf_printf(b, "%.1f,%.1f ", ax(a, int_at(t, i)), PY(int_at(pids, i)));
  tj_buf_printf(b, "\"/>\n");
#undef PY
}

static void legend(struct tj_buf *b, const struct area *a, const bool *seen) {
  double x = a->left;
  for (size_t i = 0; i < N_SPAN_KINDS; i++) {
    if (!seen[i])
      continue;
    tj_buf_printf(b, "<rect class=\"legend-%s\" x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>\n",
                  span_kind[i].status, x, a->bottom + 41, span_kind[i].fill);
    text(b, x + 14, a->bottom + 50, "start", " font-size=\"11\"", span_kind[i].legend);
    x += 24 + 6.2 * (double)strlen(span_kind[i].legend);
  }
}

/* The memory axis's top in MiB, a round number of steps (*step) above vmax
 * and a tenth. */
static double mib_scale(int64_t vmax, double *step) {
  double ymax_mib = (double)vmax / MIB * 1.1;
  if (ymax_mib < 1)
    ymax_mib = 1;
  *step = nice_step(ymax_mib, 6);
  return ceil(ymax_mib / *step) * *step;
}

/* A top-level test's span, shaded across the plot and labelled at the top
 * where it has room; seen gets its kind for the legend. */
static void test_span(struct tj_buf *b, const struct area *a, json_t *sp, bool *seen) {
  int64_t s = json_integer_value(json_object_get(sp, "start_ms"));
  json_t *e = json_object_get(sp, "end_ms");
  int64_t en = json_is_integer(e) ? (int64_t)json_integer_value(e) : a->tmax;
  const char *name = json_string_value(json_object_get(sp, "name"));
  const char *status = json_string_value(json_object_get(sp, "status"));
  double x1 = ax(a, s), x2 = ax(a, en);
  if (x2 - x1 < 1)
    x2 = x1 + 1;
  size_t kind = span_kind_of(status);
  seen[kind] = true;
  tj_buf_printf(b,
                "<rect class=\"span-%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                "stroke=\"white\">\n<title>",
                span_kind[kind].status, x1, a->top, x2 - x1, a->ph, span_kind[kind].fill);
  char tip[256];
  snprintf(tip, sizeof(tip), "%s (%s) %.3fs - %.3fs", name ? name : "?", status ? status : "?", (double)s / 1000,
           (double)en / 1000);
  tj_xml_escape(b, tip, strlen(tip));
  tj_buf_printf(b, "</title></rect>\n");
  /* a label only where it has room: about 6.5 px a character at 10 px */
  if (name && x2 - x1 > 24) {
    char label[96];
    size_t room = (size_t)((x2 - x1 - 4) / 6.5);
    snprintf(label, sizeof(label), "%.*s", (int)(room < sizeof(label) - 1 ? room : sizeof(label) - 1), name);
    tj_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#333\">", x1 + 2, a->top + 12);
    tj_xml_escape(b, label, strlen(label));
    tj_buf_printf(b, "</text>\n");
  }
}

/* The grid at every ystep MiB, the time ticks, both axes. */
static void axes(struct tj_buf *b, const struct area *a, double ystep) {
  double xstep = nice_step((double)a->tmax / 1000, 8);
  int xdec = xstep >= 1 ? 0 : (int)ceil(-log10(xstep) - 1e-9);
  int ydec = ystep >= 1 ? 0 : (int)ceil(-log10(ystep) - 1e-9);
  double left = a->left, bottom = a->bottom, pw = a->pw;
  char lab[64];
  for (double v = 0; v <= a->ymax_mib + 1e-9; v += ystep) {
    double y = bottom - v / a->ymax_mib * a->ph;
    tj_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y, left + pw,
                  y);
    snprintf(lab, sizeof(lab), "%.*f MiB", ydec, v);
    text(b, left - 6, y + 4, "end", " font-size=\"11\"", lab);
  }
  for (double s = 0; s <= (double)a->tmax / 1000 + 1e-9; s += xstep) {
    double x = left + s * 1000 / (double)a->tmax * pw;
    tj_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n", x, bottom, x,
                  bottom + 4);
    snprintf(lab, sizeof(lab), "%.*fs", xdec, s);
    text(b, x, bottom + 16, "middle", " font-size=\"11\"", lab);
  }
  tj_buf_printf(b,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                left, a->top, left, bottom, left, bottom, left + pw, bottom);
  text(b, left + pw / 2, bottom + 34, "middle", " font-size=\"11\" fill=\"#555\"", "time since the run started");
}

/* The memory limit as a dashed line, and the samples' memory under it. */
static void memory_against_limit(struct tj_buf *b, const struct area *a, json_t *tl, int64_t limit) {
  if (limit > 0) {
    double y = ay(a, limit);
    tj_buf_printf(b,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c62828\" stroke-width=\"1.5\" "
                  "stroke-dasharray=\"6,4\"/>\n",
                  a->left, y, a->left + a->pw, y);
    char lab[64];
    snprintf(lab, sizeof(lab), "limit %.1f MiB", (double)limit / MIB);
    text(b, a->left + 4, y - 5, "start", " font-size=\"11\" fill=\"#c62828\"", lab);
  }
  json_t *t = json_object_get(tl, "t_ms"), *mem = json_object_get(tl, "memory_bytes");
  tj_buf_printf(b, "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"");
  for (size_t i = 0; i < json_array_size(t); i++) {
    int64_t v = int_at(mem, i);
    if (v >= 0)
      tj_buf_printf(b, "%.1f,%.1f ", ax(a, int_at(t, i)), ay(a, v));
  }
  tj_buf_printf(b, "\"/>\n");
}

/* The OOM kill's moment, and the test it came in. */
static void oom_mark(struct tj_buf *b, const struct area *a, json_t *oom) {
  int64_t at = json_integer_value(json_object_get(oom, "t_ms"));
  const char *who = json_string_value(json_object_get(oom, "test"));
  double x = ax(a, at);
  tj_buf_printf(b,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b71c1c\" stroke-width=\"2\"/>\n"
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#b71c1c\"/>\n",
                x, a->top, x, a->bottom, x, a->top + 22);
  char lab[64];
  snprintf(lab, sizeof(lab), "OOM kill%s%s", who ? " in " : "", who ? who : "");
  text(b, x - 8, a->top + 26, "end", " font-size=\"12\" font-weight=\"bold\" fill=\"#b71c1c\"", lab);
}

static void panel(struct tj_buf *b, int index, const char *title, json_t *tl) {
  double y0 = (double)index * TJ_PLOT_PANEL_HEIGHT;
  struct area a = {.left = ML, .top = y0 + MT, .pw = TJ_PLOT_WIDTH - ML - MR, .ph = TJ_PLOT_PANEL_HEIGHT - MT - MB};
  a.bottom = a.top + a.ph;
  tj_buf_printf(b, "<g>\n");
  text(b, TJ_PLOT_WIDTH / 2.0, y0 + 20, "middle", " font-size=\"14\" font-weight=\"bold\"", title);
  json_t *t = json_object_get(tl, "t_ms");
  size_t n = json_array_size(t);
  if (!json_is_object(tl) || n == 0) {
    text(b, TJ_PLOT_WIDTH / 2.0, a.top + a.ph / 2, "middle", " fill=\"#666\"", "no samples for this run");
    tj_buf_printf(b, "</g>\n");
    return;
  }
  int64_t end = json_integer_value(json_object_get(tl, "end_ms"));
  a.tmax = int_at(t, n - 1);
  if (end > a.tmax)
    a.tmax = end;
  if (a.tmax <= 0)
    a.tmax = 1;
  int64_t limit = json_is_integer(json_object_get(tl, "limit_bytes"))
                      ? (int64_t)json_integer_value(json_object_get(tl, "limit_bytes"))
                      : -1;
  int64_t sample_max = max_of(json_object_get(tl, "memory_bytes"));
  int64_t peak = int_of(json_object_get(tl, "recorded"), "memory_peak_bytes");
  int64_t vmax = limit > 0 ? limit : 0;
  if (sample_max > vmax)
    vmax = sample_max;
  if (peak > vmax)
    vmax = peak;
  double ystep;
  a.ymax_mib = mib_scale(vmax, &ystep);

  size_t k;
  json_t *sp;
  bool seen[N_SPAN_KINDS] = {false};
  json_array_foreach(json_object_get(tl, "tests"), k, sp) {
    if (json_integer_value(json_object_get(sp, "depth")) == 0)
      test_span(b, &a, sp, seen);
  }
  axes(b, &a, ystep);
  memory_against_limit(b, &a, tl, limit);
  int64_t plimit = int_of(tl, "pids_limit");
  if (plimit > 0)
    pids_against_limit(b, &a, tl, plimit);
  recorded(b, &a, tl, peak, sample_max);
  legend(b, &a, seen);
  json_t *oom = json_object_get(tl, "oom");
  if (json_is_object(oom))
    oom_mark(b, &a, oom);
  tj_buf_printf(b, "</g>\n");
}

void tj_plot_svg(struct tj_buf *out, json_t *panels) {
  size_t n = json_array_size(panels);
  int h = TJ_PLOT_PANEL_HEIGHT * (int)(n ? n : 1);
  tj_buf_printf(out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                TJ_PLOT_WIDTH, h, TJ_PLOT_WIDTH, h);
  size_t i;
  json_t *p;
  json_array_foreach(panels, i, p) {
    const char *title = json_string_value(json_object_get(p, "title"));
    panel(out, (int)i, title ? title : "", json_object_get(p, "timeline"));
  }
  if (n == 0)
    text(out, TJ_PLOT_WIDTH / 2.0, TJ_PLOT_PANEL_HEIGHT / 2.0, "middle", "", "no runs");
  tj_buf_printf(out, "</svg>\n");
}

int tj_plot_write(const char *path, json_t *panels, tj_error *err) {
  struct tj_buf b = {0};
  tj_plot_svg(&b, panels);
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
  FILE *f = fopen(tmp, "we");
  int r = 0;
  bool ok = f && fwrite(b.p, 1, b.len, f) == b.len;
  int e = errno ? errno : EIO;
  if (f && fclose(f) != 0 && ok) {
    ok = false;
    e = errno;
  }
  if (!ok) {
    unlink(tmp);
    r = tj_error_set(err, e, "writing the plot %s", path);
  } else if (rename(tmp, path) < 0) {
    e = errno;
    unlink(tmp);
    r = tj_error_set(err, e, "writing the plot %s", path);
  }
  tj_buf_free(&b);
  return r;
}
