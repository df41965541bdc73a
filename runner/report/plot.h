/* --plot: an SVG chart of memory over time, drawn from the report's
 * timeline objects (timeline.h): one panel per run, each with axes (seconds,
 * MiB), the memory line, the limit line, the OOM moment, and each test's
 * span shaded and labelled. Plain SVG 1.1 that browsers and rsvg-convert
 * read. Pure: rendered into a buffer. */
#ifndef TJ_PLOT_H
#define TJ_PLOT_H

#include <jansson.h>

#include "common/error.h"
#include "common/buf.h"

#define TJ_PLOT_WIDTH 900
#define TJ_PLOT_PANEL_HEIGHT 320

/* panels: [{"title": "...", "timeline": {...}}]; a panel without a timeline
 * says so instead of drawing one. The SVG is TJ_PLOT_WIDTH wide and
 * TJ_PLOT_PANEL_HEIGHT high per panel. */
void tj_plot_svg(struct tj_buf *out, json_t *panels);

/* Render and write to path atomically. */
int tj_plot_write(const char *path, json_t *panels, tj_error *err);

#endif
