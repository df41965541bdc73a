/* The go test -json streams of a sharded run's shards as one stream: each
 * package's events in the order they came, packages in import path order
 * (the merged report's order). Pure: the caller reads and writes. */
#ifndef TJ_STREAMMERGE_H
#define TJ_STREAMMERGE_H

#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

struct tj_stream {
  const char *name; /* for the errors: the file */
  const char *data;
  size_t len;
};

/* Appends the merged stream to out, each event line as it came. A line that
 * is not a JSON object with an Action ("FILE:LINE: ...") and a package
 * whose events are in two streams fail (a negative errno, err says which
 * line); out is then left as it was. Empty lines are dropped. */
int tj_stream_merge(const struct tj_stream *in, int n, struct tj_buf *out, tj_error *err);

#endif
