#include "report/plot.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ML 78  /* margins of the plot area inside a panel */
#define MR 24
#define MT 34
#define MB 44
#define MIB (1024.0 * 1024.0)

static const char *span_fill[] = {"#dbe9f6", "#e5f2dc", "#f6eedb", "#eee0f3"};

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

static void panel(struct tj_buf *b, int index, const char *title, json_t *tl) {
  double y0 = (double)index * TJ_PLOT_PANEL_HEIGHT;
  double pw = TJ_PLOT_WIDTH - ML - MR, ph = TJ_PLOT_PANEL_HEIGHT - MT - MB;
  double left = ML, top = y0 + MT, bottom = top + ph;
  tj_buf_printf(b, "<g>\n");
  text(b, TJ_PLOT_WIDTH / 2.0, y0 + 20, "middle", " font-size=\"14\" font-weight=\"bold\"", title);
  json_t *t = json_object_get(tl, "t_ms"), *mem = json_object_get(tl, "memory_bytes");
  size_t n = json_array_size(t);
  if (!json_is_object(tl) || n == 0) {
    text(b, TJ_PLOT_WIDTH / 2.0, top + ph / 2, "middle", " fill=\"#666\"", "no samples for this run");
    tj_buf_printf(b, "</g>\n");
    return;
  }
  int64_t end = json_integer_value(json_object_get(tl, "end_ms"));
  int64_t tmax = int_at(t, n - 1);
  if (end > tmax)
    tmax = end;
  if (tmax <= 0)
    tmax = 1;
  int64_t limit = json_is_integer(json_object_get(tl, "limit_bytes"))
                      ? (int64_t)json_integer_value(json_object_get(tl, "limit_bytes"))
                      : -1;
  int64_t vmax = limit > 0 ? limit : 0;
  for (size_t i = 0; i < n; i++)
    if (int_at(mem, i) > vmax)
      vmax = int_at(mem, i);
  double ymax_mib = (double)vmax / MIB * 1.1;
  if (ymax_mib < 1)
    ymax_mib = 1;
  double ystep = nice_step(ymax_mib, 6);
  ymax_mib = ceil(ymax_mib / ystep) * ystep;
  double xstep = nice_step((double)tmax / 1000, 8);
  int xdec = xstep >= 1 ? 0 : (int)ceil(-log10(xstep) - 1e-9);
  int ydec = ystep >= 1 ? 0 : (int)ceil(-log10(ystep) - 1e-9);
#define X(ms) (left + (double)(ms) / (double)tmax * pw)
#define Y(bytes) (bottom - (double)(bytes) / MIB / ymax_mib * ph)

  /* test spans: top-level tests shaded across the plot, labelled at the top */
  json_t *tests = json_object_get(tl, "tests");
  size_t k;
  json_t *sp;
  int shade = 0;
  json_array_foreach(tests, k, sp) {
    if (json_integer_value(json_object_get(sp, "depth")) != 0)
      continue;
    int64_t s = json_integer_value(json_object_get(sp, "start_ms"));
    json_t *e = json_object_get(sp, "end_ms");
    int64_t en = json_is_integer(e) ? (int64_t)json_integer_value(e) : tmax;
    const char *name = json_string_value(json_object_get(sp, "name"));
    const char *status = json_string_value(json_object_get(sp, "status"));
    double x1 = X(s), x2 = X(en);
    if (x2 - x1 < 1)
      x2 = x1 + 1;
    tj_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">\n<title>", x1, top,
                  x2 - x1, ph, span_fill[shade++ % 4]);
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
      tj_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#333\">", x1 + 2, top + 12);
      tj_xml_escape(b, label, strlen(label));
      tj_buf_printf(b, "</text>\n");
    }
  }

  /* axes and grid */
  char lab[64];
  for (double v = 0; v <= ymax_mib + 1e-9; v += ystep) {
    double y = bottom - v / ymax_mib * ph;
    tj_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y, left + pw, y);
    snprintf(lab, sizeof(lab), "%.*f MiB", ydec, v);
    text(b, left - 6, y + 4, "end", " font-size=\"11\"", lab);
  }
  for (double s = 0; s <= (double)tmax / 1000 + 1e-9; s += xstep) {
    double x = left + s * 1000 / (double)tmax * pw;
    tj_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n", x, bottom, x,
                  bottom + 4);
    snprintf(lab, sizeof(lab), "%.*fs", xdec, s);
    text(b, x, bottom + 16, "middle", " font-size=\"11\"", lab);
  }
  tj_buf_printf(b,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                left, top, left, bottom, left, bottom, left + pw, bottom);
  text(b, left + pw / 2, bottom + 34, "middle", " font-size=\"11\" fill=\"#555\"", "time since the run started");

  /* the limit */
  if (limit > 0) {
    double y = Y(limit);
    tj_buf_printf(b,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c62828\" stroke-width=\"1.5\" "
                  "stroke-dasharray=\"6,4\"/>\n",
                  left, y, left + pw, y);
    snprintf(lab, sizeof(lab), "limit %.1f MiB", (double)limit / MIB);
    text(b, left + 4, y - 5, "start", " font-size=\"11\" fill=\"#c62828\"", lab);
  }

  /* memory */
  tj_buf_printf(b, "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"");
  for (size_t i = 0; i < n; i++) {
    int64_t v = int_at(mem, i);
    if (v >= 0)
      tj_buf_printf(b, "%.1f,%.1f ", X(int_at(t, i)), Y(v));
  }
  tj_buf_printf(b, "\"/>\n");

  /* the OOM moment */
  json_t *oom = json_object_get(tl, "oom");
  if (json_is_object(oom)) {
    int64_t at = json_integer_value(json_object_get(oom, "t_ms"));
    const char *who = json_string_value(json_object_get(oom, "test"));
    double x = X(at);
    tj_buf_printf(b,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b71c1c\" stroke-width=\"2\"/>\n"
                  "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#b71c1c\"/>\n",
                  x, top, x, bottom, x, top + 22);
    snprintf(lab, sizeof(lab), "OOM kill%s%s", who ? " in " : "", who ? who : "");
    text(b, x - 8, top + 26, "end", " font-size=\"12\" font-weight=\"bold\" fill=\"#b71c1c\"", lab);
  }
  tj_buf_printf(b, "</g>\n");
#undef X
#undef Y
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
