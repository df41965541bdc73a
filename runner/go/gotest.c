#include "go/gotest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* A directive longer than this is not one (test2json keeps 4 KiB); longer
 * output lines pass through in pieces. */
#define IN_MAX 65536
#define MAX_REPORT 256
#define FRAME_MARKER '\x16'

struct report {
  enum tj_gt_action action;
  char *name;
  double elapsed;
};

struct tj_gotest {
  bool framing;
  tj_gt_emit_fn emit;
  void *ctx;
  tj_gt_clock_fn now;
  char *in;
  size_t in_len;
  bool mid; /* inside a line longer than IN_MAX */
  struct report report[MAX_REPORT];
  int n_report;
  char *test_name; /* whom plain output belongs to */
  const char *result;
  struct tj_gt_test *tests;
  int n_tests, cap_tests;
  /* Tests by name, so a stream of thousands of tests (or a test printing
   * fake "=== RUN" lines) is not quadratic: per name the latest test and
   * the latest unfinished one; below[i] is the unfinished one of test i's
   * name that test i hid. An end finds the latest unfinished test, so the
   * unfinished ones of a name form a stack. */
  struct name_slot {
    int latest, top;
  } * slots;
  size_t n_slots, used_slots; /* n_slots: 0 or a power of two */
  int *below;
  bool started, any_output;
  bool head_shown; /* a fail_head went out for report[0] */
  bool root_named; /* the last directive named no test */
  /* test2json's needMarker: after a framed directive, only framed lines
   * are directives */
  bool need_marker;
  char *failed_build;
};

struct tj_gotest *tj_gotest_new(bool framing, tj_gt_emit_fn emit, void *ctx) {
  struct tj_gotest *p = calloc(1, sizeof(*p));
  if (!p)
    return NULL;
  p->in = malloc(IN_MAX);
  p->test_name = strdup("");
  if (!p->in || !p->test_name) {
    tj_gotest_free(p);
    return NULL;
  }
  p->framing = framing;
  p->emit = emit;
  p->ctx = ctx;
  return p;
}

void tj_gotest_free(struct tj_gotest *p) {
  if (!p)
    return;
  for (int i = 0; i < p->n_tests; i++) {
    for (int j = 0; j < p->tests[i].n_items; j++)
      free(p->tests[i].items[j].line);
    free(p->tests[i].items);
    free(p->tests[i].name);
  }
  for (int i = 0; i < p->n_report; i++)
    free(p->report[i].name);
  free(p->slots);
  free(p->below);
  free(p->tests);
  free(p->in);
  free(p->test_name);
  free(p->failed_build);
  free(p);
}

static size_t name_hash(const char *name, size_t len) {
  size_t h = 2166136261u;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)name[i]) * 16777619u;
  return h;
}

/* The slot of that name, or the empty one where it would go. */
static struct name_slot *slot_of(const struct tj_gotest *p, const char *name, size_t len) {
  if (!p->n_slots)
    return NULL;
  for (size_t i = name_hash(name, len) & (p->n_slots - 1);; i = (i + 1) & (p->n_slots - 1)) {
    struct name_slot *sl = &p->slots[i];
    const char *n = sl->latest >= 0 ? p->tests[sl->latest].name : NULL;
    if (!n || (strlen(n) == len && memcmp(n, name, len) == 0))
      return sl;
  }
}

/* Room for one more name; false when out of memory. */
static bool slots_grow(struct tj_gotest *p) {
  if (2 * (p->used_slots + 1) <= p->n_slots)
    return true;
  size_t n = p->n_slots ? 2 * p->n_slots : 64;
  struct name_slot *old = p->slots, *fresh = malloc(n * sizeof(*fresh));
  if (!fresh)
    return false;
  for (size_t i = 0; i < n; i++)
    fresh[i] = (struct name_slot){-1, -1};
  size_t old_n = p->n_slots;
  p->slots = fresh;
  p->n_slots = n;
  for (size_t i = 0; i < old_n; i++)
    if (old[i].latest >= 0) {
      const char *name = p->tests[old[i].latest].name;
      *slot_of(p, name, strlen(name)) = old[i];
    }
  free(old);
  return true;
}

static int find_test(struct tj_gotest *p, const char *name, size_t len, bool unfinished) {
  const struct name_slot *sl = slot_of(p, name, len);
  if (!sl)
    return -1;
  return unfinished ? sl->top : sl->latest;
}

/* Test i, the top of its name's stack, has ended. */
static void test_ended(struct tj_gotest *p, int i) {
  struct name_slot *sl = slot_of(p, p->tests[i].name, strlen(p->tests[i].name));
  if (sl && sl->top == i)
    sl->top = p->below[i];
}

static bool add_item(struct tj_gt_test *t, int child, const char *line, size_t len) {
  if (t->n_items == t->cap_items) {
    int cap = t->cap_items ? t->cap_items * 2 : 8;
    struct tj_gt_item *items = realloc(t->items, (size_t)cap * sizeof(*items));
    if (!items)
      return false;
    t->items = items;
    t->cap_items = cap;
  }
  struct tj_gt_item *it = &t->items[t->n_items];
  it->child = child;
  it->line = NULL;
  it->len = len;
  if (line) {
    if (!(it->line = malloc(len + 1)))
      return false;
    memcpy(it->line, line, len);
    it->line[len] = 0;
  }
  t->n_items++;
  return true;
}

/* Subtest names may contain '/' themselves: the parent is the longest
 * prefix at a '/' that names a test still going. */
static int find_parent(struct tj_gotest *p, const char *name) {
  for (const char *s = strrchr(name, '/'); s;) {
    int i = find_test(p, name, (size_t)(s - name), true);
    if (i >= 0)
      return i;
    const char *prev = s;
    s = NULL;
    for (const char *q = name; q < prev; q++)
      if (*q == '/')
        s = q;
  }
  return -1;
}

static void track(struct tj_gotest *p, const struct tj_gt_event *e) {
  size_t nl = strlen(e->test);
  switch (e->action) {
  case TJ_GT_RUN: {
    p->started = true;
    if (p->n_tests == p->cap_tests) {
      int cap = p->cap_tests ? p->cap_tests * 2 : 32;
      struct tj_gt_test *t = realloc(p->tests, (size_t)cap * sizeof(*t));
      if (!t)
        return;
      p->tests = t;
      int *below = realloc(p->below, (size_t)cap * sizeof(*below));
      if (!below)
        return;
      p->below = below;
      p->cap_tests = cap;
    }
    int parent = find_parent(p, e->test);
    char *name = strdup(e->test);
    if (!name || !slots_grow(p)) {
      free(name);
      return;
    }
    p->tests[p->n_tests] = (struct tj_gt_test){.name = name,
                                               .parent = parent,
                                               .depth = parent >= 0 ? p->tests[parent].depth + 1 : 0,
                                               .status = TJ_GT_RUNNING,
                                               .elapsed = -1,
                                               .run_at = p->now ? p->now(p->ctx) : -1};
    struct name_slot *sl = slot_of(p, name, nl);
    if (sl->latest < 0)
      p->used_slots++;
    p->below[p->n_tests] = sl->latest < 0 ? -1 : sl->top;
    sl->latest = sl->top = p->n_tests++;
    return;
  }
  case TJ_GT_PAUSE:
  case TJ_GT_CONT: {
    int i = find_test(p, e->test, nl, true);
    if (i >= 0)
      p->tests[i].status = e->action == TJ_GT_PAUSE ? TJ_GT_PAUSED : TJ_GT_RUNNING;
    return;
  }
  case TJ_GT_PASS:
  case TJ_GT_FAIL:
  case TJ_GT_SKIP: {
    int i = find_test(p, e->test, nl, true);
    if (i < 0)
      return;
    test_ended(p, i);
    struct tj_gt_test *t = &p->tests[i];
    t->status = e->action == TJ_GT_PASS ? TJ_GT_PASSED : e->action == TJ_GT_FAIL ? TJ_GT_FAILED : TJ_GT_SKIPPED;
    t->elapsed = e->elapsed;
    if (t->parent >= 0)
      add_item(&p->tests[t->parent], i, NULL, 0);
    return;
  }
  case TJ_GT_OUTPUT: {
    if (!nl || e->directive)
      return;
    int i = find_test(p, e->test, nl, false);
    if (i < 0)
      return;
    struct tj_gt_test *t = &p->tests[i];
    if (t->output_bytes + e->output_len <= TJ_GT_MAX_TEST_OUTPUT) {
      if (e->log_at)
        add_item(t, -1, e->output, e->log_at);
      add_item(t, -1, e->output + e->log_at, e->output_len - e->log_at);
    }
    t->output_bytes += e->output_len;
    return;
  }
  case TJ_GT_BENCH:
  case TJ_GT_START:
    return;
  }
}

static void emit(struct tj_gotest *p, struct tj_gt_event *e) {
  if (!e->test)
    e->test = p->test_name;
  track(p, e);
  if (p->emit)
    p->emit(p->ctx, e);
}

bool tj_gt_is_log_line(const char *s, size_t n) {
  size_t sp = 0;
  while (sp < n && s[sp] == ' ')
    sp++;
  return sp >= 4 && sp % 4 == 0 && sp < n;
}

static void output_at(struct tj_gotest *p, const char *line, size_t len, bool directive, size_t log_at) {
  if (!len)
    return;
  p->any_output = true;
  struct tj_gt_event e = {.action = TJ_GT_OUTPUT,
                          .elapsed = -1,
                          .output = line,
                          .output_len = len,
                          .directive = directive,
                          .root_log = p->root_named && !directive,
                          .log_at = log_at};
  if (!directive && p->n_report == 1 && p->report[0].action == TJ_GT_FAIL && !p->head_shown &&
      !tj_gt_is_log_line(line, len))
    e.fail_head = p->head_shown = true;
  emit(p, &e);
}

static void output(struct tj_gotest *p, const char *line, size_t len, bool directive) {
  output_at(p, line, len, directive, 0);
}

static void set_test_name(struct tj_gotest *p, const char *name, size_t len) {
  char *n = strndup(name, len);
  if (!n)
    return;
  free(p->test_name);
  p->test_name = n;
}

static void flush_report(struct tj_gotest *p, int depth) {
  set_test_name(p, "", 0);
  while (p->n_report > depth) {
    struct report *r = &p->report[--p->n_report];
    struct tj_gt_event e = {
        .action = r->action, .test = r->name, .elapsed = r->elapsed, .fail_head = p->n_report == 0 && p->head_shown};
    emit(p, &e);
    free(r->name);
  }
  if (p->n_report == 0)
    p->head_shown = false;
}

/* Where a report's duration starts: its last " (", or NULL. */
static const char *last_paren(const char *s, size_t n) {
  const char *paren = NULL;
  for (size_t i = 0; i + 1 < n; i++)
    if (s[i] == ' ' && s[i + 1] == '(')
      paren = s + i;
  return paren;
}

/* Without -test.v=test2json framing (Go < 1.20), output without a final
 * newline runs into the next report line: "dots...--- PASS: TestX (0.01s)".
 * The offset of such a report of a test still running, else 0. */
static size_t embedded_report(struct tj_gotest *p, const char *line, size_t len) {
  static const char *const marks[] = {"--- PASS: ", "--- FAIL: ", "--- SKIP: "};
  size_t best = 0;
  for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
    size_t ml = strlen(marks[m]);
    for (const char *q = line + 1; (q = memmem(q, len - (size_t)(q - line), marks[m], ml)); q++) {
      const char *name = q + ml, *end = line + len;
      if (end - name < 5 || memcmp(end - 3, "s)\n", 3) != 0)
        continue;
      const char *paren = last_paren(name, (size_t)(end - name));
      if (paren && find_test(p, name, (size_t)(paren - name), true) >= 0 && (size_t)(q - line) > best)
        best = (size_t)(q - line);
    }
  }
  /* The report's own indent (a subtest's) goes with it. */
  while (best >= 4 && memcmp(line + best - 4, "    ", 4) == 0)
    best -= 4;
  return best;
}

static bool has_prefix(const char *s, size_t len, const char *prefix) {
  size_t n = strlen(prefix);
  return len >= n && memcmp(s, prefix, n) == 0;
}

static bool equals(const char *s, size_t len, const char *what) {
  return strlen(what) == len && memcmp(s, what, len) == 0;
}

static const char *trim(const char *s, size_t *len) {
  while (*len && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
    s++, (*len)--;
  while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t' || s[*len - 1] == '\n' || s[*len - 1] == '\r'))
    (*len)--;
  return s;
}

static const struct {
  const char *prefix;
  int action; /* -1: === NAME, attribution only */
} updates[] = {{"=== RUN   ", TJ_GT_RUN},
               {"=== PAUSE ", TJ_GT_PAUSE},
               {"=== CONT  ", TJ_GT_CONT},
               {"=== NAME  ", -1},
               {"=== FUZZ  ", TJ_GT_RUN}},
  reports[] = {
      {"--- PASS: ", TJ_GT_PASS}, {"--- FAIL: ", TJ_GT_FAIL}, {"--- SKIP: ", TJ_GT_SKIP}, {"--- BENCH: ", TJ_GT_BENCH}};

/* The same for a t.Log line streamed under -test.v: "half a line    x_test.go:7: msg". */
static size_t embedded_log(const char *line, size_t len) {
  for (size_t k = 1; k + 4 < len; k++) {
    if (line[k - 1] == ' ' || memcmp(line + k, "    ", 4) != 0)
      continue;
    size_t i = k;
    while (i + 4 <= len && memcmp(line + i, "    ", 4) == 0)
      i += 4;
    size_t name = i;
    while (i < len && (isalnum((unsigned char)line[i]) || line[i] == '_' || line[i] == '-' || line[i] == '.'))
      i++;
    if (i - name < 4 || memcmp(line + i - 3, ".go", 3) != 0 || i >= len || line[i] != ':')
      continue;
    size_t digits = ++i;
    while (i < len && isdigit((unsigned char)line[i]))
      i++;
    if (i > digits && i + 1 < len && line[i] == ':' && line[i + 1] == ' ')
      return k;
  }
  return 0;
}

/* A test status line ("=== RUN", "--- FAIL: ...") taken apart. */
struct status_line {
  const char *orig; /* the whole line, for the output */
  size_t orig_len;
  const char *name; /* the test's name in it */
  size_t nlen;
  int kind;   /* into reports[] or updates[] */
  int indent; /* a report's depth: four spaces a level */
  bool saw_marker;
};

/* A report's "(0.01s)" after the name: its seconds, or -1; nlen loses it. */
static double report_elapsed(const char *name, size_t *nlen) {
  double elapsed = -1;
  const char *paren = last_paren(name, *nlen);
  if (!paren)
    return elapsed;
  if (*nlen >= 2 && name[*nlen - 2] == 's' && name[*nlen - 1] == ')') {
    char num[64];
    size_t k = (size_t)(name + *nlen - 2 - (paren + 2));
    if (k < sizeof(num)) {
      memcpy(num, paren + 2, k);
      num[k] = 0;
      char *end;
      double t = strtod(num, &end);
      if (end != num && !*end)
        elapsed = t;
    }
  }
  *nlen = (size_t)(paren - name);
  return elapsed;
}

/* "--- PASS: name (0.01s)": pending until the reports of its subtests,
 * indented below it, are in. */
static void handle_report(struct tj_gotest *p, struct status_line *l) {
  double elapsed = report_elapsed(l->name, &l->nlen);
  const char *name = l->name;
  size_t nlen = l->nlen;
  int indent = l->indent;
  /* Nested deeper than any pending report; or a fuzz target's failure,
   * which reports the target again inside its own block. */
  if (p->n_report < indent || (indent > 0 && strlen(p->report[indent - 1].name) == nlen &&
                               memcmp(p->report[indent - 1].name, name, nlen) == 0)) {
    output(p, l->orig, l->orig_len, false);
    return;
  }
  p->need_marker = l->saw_marker;
  flush_report(p, indent);
  if (p->n_report == MAX_REPORT) {
    output(p, l->orig, l->orig_len, false);
    return;
  }
  char *n = strndup(name, nlen);
  if (!n)
    return;
  p->report[p->n_report++] = (struct report){.action = reports[l->kind].action, .name = n, .elapsed = elapsed};
  int ti = reports[l->kind].action == TJ_GT_FAIL ? find_test(p, name, nlen, true) : -1;
  if (ti >= 0)
    p->tests[ti].fail_reported = true;
  set_test_name(p, name, nlen);
  output(p, l->orig, l->orig_len, true);
}

/* "=== RUN name" and its kin: the test output goes to from here, and its
 * event. */
static void handle_update(struct tj_gotest *p, const struct status_line *l) {
  p->need_marker = l->saw_marker;
  flush_report(p, 0);
  set_test_name(p, l->name, l->nlen);
  if (updates[l->kind].action < 0) {
    /* Under test2json's framing "=== NAME" only names the test that output
     * goes to: no event, as test2json; a plain -test.v stream keeps it. */
    if (!p->framing)
      output(p, l->orig, l->orig_len, true);
    return;
  }
  struct tj_gt_event e = {.action = (enum tj_gt_action)updates[l->kind].action, .test = p->test_name, .elapsed = -1};
  if (e.action == TJ_GT_PAUSE)
    output(p, l->orig, l->orig_len, true);
  emit(p, &e);
  if (e.action != TJ_GT_PAUSE)
    output(p, l->orig, l->orig_len, true);
}

static void handle_line(struct tj_gotest *p, const char *line, size_t len) {
  bool saw_marker = false;
  if (p->need_marker && line[0] != FRAME_MARKER) {
    output_at(p, line, len, false, p->test_name[0] ? embedded_log(line, len) : 0);
    return;
  }
  if (line[0] == FRAME_MARKER) {
    saw_marker = true;
    line++, len--;
  } else if (!p->framing && len > 10 && p->test_name && p->test_name[0]) {
    size_t k = embedded_report(p, line, len);
    if (!k)
      k = embedded_log(line, len);
    if (k > 0) {
      output(p, line, k, false);
      line += k, len -= k;
    }
  }
  /* "=== NAME" of the root can lose its trailing spaces */
  if (equals(line, len, "=== NAME\n") || equals(line, len, "=== NAME\r\n"))
    line = "=== NAME  \n", len = strlen(line);
  if (equals(line, len, "PASS\n") || equals(line, len, "FAIL\n") || has_prefix(line, len, "FAIL\t")) {
    p->need_marker = saw_marker;
    p->root_named = false;
    flush_report(p, 0);
    output(p, line, len, false);
    p->result = line[0] == 'P' ? "pass" : "fail";
    return;
  }
  /* A binary without tests prints only "?   \tpkg\t[no test files]". */
  if (has_prefix(line, len, "?   \t") && len >= 17 && memcmp(line + len - 17, "\t[no test files]\n", 17) == 0 &&
      p->n_report == 0)
    p->result = "skip";

  struct status_line l = {.orig = line, .orig_len = len, .kind = -1, .saw_marker = saw_marker};
  bool is_report = false;
  for (size_t i = 0; i < sizeof(updates) / sizeof(updates[0]); i++)
    if (has_prefix(line, len, updates[i].prefix))
      l.kind = (int)i;
  if (l.kind < 0) {
    while (has_prefix(line, len, "    "))
      line += 4, len -= 4, l.indent++;
    for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++)
      if (has_prefix(line, len, reports[i].prefix))
        l.kind = (int)i, is_report = true;
  }
  if (l.kind < 0) {
    /* Indented output belongs to the subtest at that depth of the pending
     * reports (non-verbose output after a --- line). */
    if (l.indent > 0 && l.indent <= p->n_report)
      set_test_name(p, p->report[l.indent - 1].name, strlen(p->report[l.indent - 1].name));
    output(p, l.orig, l.orig_len, false);
    return;
  }
  size_t plen = strlen(is_report ? reports[l.kind].prefix : updates[l.kind].prefix);
  l.nlen = len - plen;
  l.name = trim(line + plen, &l.nlen);
  p->root_named = !is_report && l.nlen == 0;
  if (is_report)
    handle_report(p, &l);
  else
    handle_update(p, &l);
}

/* test2json's indexEOL: a line ends after a newline, or before a framing
 * marker that does not begin it (a test's output without a final newline,
 * then the testing package's next line). */
static const char *line_end(const struct tj_gotest *p, const char *buf, size_t len, bool *at_marker) {
  *at_marker = false;
  for (size_t i = 0; i < len; i++) {
    if (buf[i] == '\n')
      return buf + i;
    if (p->framing && buf[i] == FRAME_MARKER && (i > 0 || p->in_len > 0 || p->mid)) {
      *at_marker = true;
      return buf + i;
    }
  }
  return NULL;
}

void tj_gotest_feed(struct tj_gotest *p, const char *buf, size_t len) {
  while (len) {
    bool at_marker;
    const char *nl = line_end(p, buf, len, &at_marker);
    size_t take = nl ? (size_t)(nl - buf) + !at_marker : len;
    if (p->mid) {
      /* the rest of an overlong line: plain output */
      output(p, buf, take, false);
      p->mid = !nl;
    } else if (p->in_len + take > IN_MAX) {
      output(p, p->in, p->in_len, false);
      output(p, buf, take, false);
      p->in_len = 0;
      p->mid = !nl;
    } else {
      memcpy(p->in + p->in_len, buf, take);
      p->in_len += take;
      if (nl) {
        handle_line(p, p->in, p->in_len);
        p->in_len = 0;
      }
    }
    buf += take;
    len -= take;
  }
}

void tj_gotest_set_clock(struct tj_gotest *p, tj_gt_clock_fn now) { p->now = now; }

void tj_gotest_fail_unfinished(struct tj_gotest *p, const char *line) {
  if (p->in_len) {
    output(p, p->in, p->in_len, false);
    p->in_len = 0;
  }
  flush_report(p, 0);
  double now = p->now ? p->now(p->ctx) : -1;
  /* A subtest comes after its parent in the table. */
  for (int i = p->n_tests - 1; i >= 0; i--) {
    const struct tj_gt_test *t = &p->tests[i];
    if (t->status > TJ_GT_PAUSED)
      continue;
    double secs = now >= 0 && t->run_at >= 0 && now > t->run_at ? now - t->run_at : 0;
    /* to the hundredth, as the testing package reports a test's time */
    secs = (double)(long long)(secs * 100 + 0.5) / 100;
    struct tj_gt_event out = {
        .action = TJ_GT_OUTPUT, .test = t->name, .elapsed = -1, .output = line, .output_len = strlen(line)};
    struct tj_gt_event fail = {.action = TJ_GT_FAIL, .test = t->name, .elapsed = secs};
    if (p->emit) {
      p->emit(p->ctx, &out);
      p->emit(p->ctx, &fail);
    }
  }
}

void tj_gotest_exited(struct tj_gotest *p, bool success) { p->result = success ? "pass" : "fail"; }

void tj_gotest_failed_build(struct tj_gotest *p, const char *id) {
  free(p->failed_build);
  p->failed_build = id ? strdup(id) : NULL;
}

void tj_gotest_close(struct tj_gotest *p, double elapsed) {
  if (p->in_len) {
    output(p, p->in, p->in_len, false);
    p->in_len = 0;
  }
  flush_report(p, 0);
  if (!p->result)
    return;
  struct tj_gt_event e = {.action = strcmp(p->result, "pass") == 0   ? TJ_GT_PASS
                                    : strcmp(p->result, "skip") == 0 ? TJ_GT_SKIP
                                                                     : TJ_GT_FAIL,
                          .test = "",
                          .elapsed = elapsed};
  if (e.action == TJ_GT_FAIL)
    e.failed_build = p->failed_build;
  emit(p, &e);
}

const struct tj_gt_test *tj_gotest_tests(const struct tj_gotest *p, int *n) {
  *n = p->n_tests;
  return p->tests;
}

bool tj_gt_test_failed(const struct tj_gt_test *t) {
  return t->status == TJ_GT_FAILED || (t->status <= TJ_GT_PAUSED && t->fail_reported);
}

void tj_gotest_counts(const struct tj_gotest *p, int *passed, int *failed, int *skipped) {
  *passed = *failed = *skipped = 0;
  for (int i = 0; i < p->n_tests; i++) {
    *passed += p->tests[i].status == TJ_GT_PASSED;
    *failed += tj_gt_test_failed(&p->tests[i]);
    *skipped += p->tests[i].status == TJ_GT_SKIPPED;
  }
}

int tj_gotest_find(const struct tj_gotest *p, const char *name) {
  const struct name_slot *sl = slot_of(p, name, strlen(name));
  return sl ? sl->latest : -1;
}

const char *tj_gotest_result(const struct tj_gotest *p) { return p->result; }
bool tj_gotest_started(const struct tj_gotest *p) { return p->started; }
bool tj_gotest_any_output(const struct tj_gotest *p) { return p->any_output; }

/* Test i runs and none of its subtests does. */
static bool running_leaf(const struct tj_gotest *p, int i) {
  if (p->tests[i].status != TJ_GT_RUNNING)
    return false;
  for (int j = i + 1; j < p->n_tests; j++)
    if (p->tests[j].parent == i && p->tests[j].status == TJ_GT_RUNNING)
      return false;
  return true;
}

int tj_gotest_running(const struct tj_gotest *p, const char **names, int max) {
  int k = 0;
  for (int i = 0; i < p->n_tests && k < max; i++)
    if (running_leaf(p, i))
      names[k++] = p->tests[i].name;
  return k;
}

/* Go's flag package: -name or --name, then =value for a bool flag; its
 * boolean spellings are strconv.ParseBool's. */
bool tj_gotest_verbose_argv(char *const *argv, bool *framing) {
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  bool verbose = false;
  *framing = false;
  for (int i = 1; argv[i] && strcmp(argv[i], "--") != 0; i++) {
    const char *a = argv[i];
    if (a[0] != '-')
      continue;
    a += a[1] == '-' ? 2 : 1;
    if (strncmp(a, "test.v", 6) != 0 || (a[6] != '\0' && a[6] != '='))
      continue;
    const char *val = a[6] ? a + 7 : "true";
    bool on = strcmp(val, "test2json") == 0;
    for (size_t k = 0; k < sizeof(yes) / sizeof(yes[0]); k++)
      on |= strcmp(val, yes[k]) == 0;
    /* the last one wins, as flag.Parse sets it again */
    verbose = on;
    *framing = on && strcmp(val, "test2json") == 0;
  }
  return verbose;
}
