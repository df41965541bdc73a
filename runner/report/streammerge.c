#include "report/streammerge.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

enum ev_kind { EV_PACKAGE, EV_BUILD, EV_OTHER };

struct ev {
  const char *p;
  size_t len;
  int file, line;
  size_t seq; /* input order: stream, then line */
  enum ev_kind kind;
  char *key; /* Package, or the package an ImportPath names */
  size_t group;
  int phase; /* within a package: 0 its build, 1 its tests */
};

struct evs {
  struct ev *v;
  size_t n, cap;
};

static void evs_free(struct evs *e) {
  for (size_t i = 0; i < e->n; i++)
    free(e->v[i].key);
  free(e->v);
}

static int add_line(struct evs *e, const struct tj_stream *s, int file, int line, const char *p, size_t len,
                    tj_error *err) {
  json_t *o = json_loadb(p, len, 0, NULL);
  if (!json_is_object(o) || !json_is_string(json_object_get(o, "Action"))) {
    json_decref(o);
    return tj_error_set(err, 0, "%s:%d: not a go test -json event (a JSON object with an Action on each line)", s->name,
                        line);
  }
  if (e->n == e->cap) {
    size_t cap = e->cap ? 2 * e->cap : 256;
    struct ev *v = realloc(e->v, cap * sizeof(*v));
    if (!v) {
      json_decref(o);
      return tj_error_set(err, ENOMEM, "%s:%d", s->name, line);
    }
    e->v = v;
    e->cap = cap;
  }
  const char *pkg = json_string_value(json_object_get(o, "Package"));
  const char *ip = json_string_value(json_object_get(o, "ImportPath"));
  struct ev *ev = &e->v[e->n];
  *ev = (struct ev){.p = p, .len = len, .file = file, .line = line, .seq = e->n, .kind = EV_OTHER};
  /* go 1.24+ reports builds with an ImportPath such as "P [P.test]" */
  if (pkg && *pkg) {
    ev->kind = EV_PACKAGE;
    ev->key = strdup(pkg);
  } else if (ip && *ip) {
    ev->kind = EV_BUILD;
    ev->key = strndup(ip, strcspn(ip, " "));
  }
  json_decref(o);
  if (ev->kind != EV_OTHER && !ev->key)
    return tj_error_set(err, ENOMEM, "%s:%d", s->name, line);
  e->n++;
  return 0;
}

static int by_key_then_seq(const void *a, const void *b) {
  const struct ev *x = *(struct ev *const *)a, *y = *(struct ev *const *)b;
  int c = strcmp(x->key, y->key);
  return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int by_group_then_seq(const void *a, const void *b) {
  const struct ev *x = a, *y = b;
  if (x->group != y->group)
    return x->group < y->group ? -1 : 1;
  if (x->phase != y->phase)
    return x->phase - y->phase;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

static int find(char *const *pkgs, size_t n, const char *key) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(pkgs[mid], key);
    if (c == 0)
      return (int)mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* The packages with events, sorted; a package in two streams is an error. */
static int packages(const struct evs *e, const struct tj_stream *in, char ***out, size_t *nout, tj_error *err) {
  size_t n = 0;
  for (size_t i = 0; i < e->n; i++)
    n += e->v[i].kind == EV_PACKAGE;
  _cleanup_free_ struct ev **sorted = calloc(n + 1, sizeof(*sorted));
  char **pkgs = calloc(n + 1, sizeof(*pkgs));
  if (!sorted || !pkgs) {
    free(pkgs);
    return tj_error_set(err, ENOMEM, "merging the streams");
  }
  n = 0;
  for (size_t i = 0; i < e->n; i++)
    if (e->v[i].kind == EV_PACKAGE)
      sorted[n++] = &e->v[i];
  qsort(sorted, n, sizeof(*sorted), by_key_then_seq);
  size_t np = 0;
  for (size_t i = 0, first = 0; i < n; i++) {
    if (i == 0 || strcmp(sorted[i]->key, sorted[first]->key) != 0) {
      first = i;
      pkgs[np++] = sorted[i]->key;
    } else if (sorted[i]->file != sorted[first]->file) {
      free(pkgs);
      return tj_error_set(err, 0, "%s:%d: events of %s, which %s:%d has too (the same shard's stream given twice?)",
                          in[sorted[i]->file].name, sorted[i]->line, sorted[i]->key, in[sorted[first]->file].name,
                          sorted[first]->line);
    }
  }
  *out = pkgs;
  *nout = np;
  return 0;
}

/* A build event goes with the package it names; else (a dependency that
 * failed to build) with the package it comes before in its stream, as
 * testjail writes a failed build's events before each package it failed. */
static void assign_groups(struct evs *e, char *const *pkgs, size_t np) {
  size_t next = np;
  for (size_t i = e->n; i-- > 0;) {
    struct ev *ev = &e->v[i];
    if (i + 1 == e->n || e->v[i + 1].file != ev->file)
      next = np;
    ev->group = np;
    ev->phase = 1;
    if (ev->kind == EV_PACKAGE) {
      ev->group = (size_t)find(pkgs, np, ev->key);
      next = ev->group;
    } else if (ev->kind == EV_BUILD) {
      int g = find(pkgs, np, ev->key);
      size_t kl = strlen(ev->key);
      if (g < 0 && kl > 5 && strcmp(ev->key + kl - 5, ".test") == 0) {
        ev->key[kl - 5] = 0; /* the test binary's link: "P.test" */
        g = find(pkgs, np, ev->key);
      }
      ev->group = g >= 0 ? (size_t)g : next;
      ev->phase = ev->group < np ? 0 : 1;
    }
  }
}

int tj_stream_merge(const struct tj_stream *in, int n, struct tj_buf *out, tj_error *err) {
  struct evs e = {0};
  int r = 0;
  for (int f = 0; f < n && r == 0; f++) {
    const char *p = in[f].data, *end = p + in[f].len;
    for (int line = 1; p < end && r == 0; line++) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
      if (len)
        r = add_line(&e, &in[f], f, line, p, len, err);
      p += len + 1;
    }
  }
  char **pkgs = NULL;
  size_t np = 0;
  if (r == 0)
    r = packages(&e, in, &pkgs, &np, err);
  if (r == 0) {
    assign_groups(&e, pkgs, np);
    if (e.n)
      qsort(e.v, e.n, sizeof(*e.v), by_group_then_seq);
    size_t before = out->len, want = before;
    for (size_t i = 0; i < e.n; i++) {
      tj_buf_add(out, e.v[i].p, e.v[i].len);
      tj_buf_add(out, "\n", 1);
      want += e.v[i].len + 1;
    }
    if (out->len != want) {
      out->len = before;
      r = tj_error_set(err, ENOMEM, "merging the streams");
    }
  }
  free(pkgs);
  evs_free(&e);
  return r;
}
