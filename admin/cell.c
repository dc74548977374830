/* cell.c: typed values and how each reads for people, in CSV and in JSON.
 *
 * Every formatting decision of hrssctl's answers lives here, once per
 * type: thousands separators and the plan's display units for people,
 * raw units for scripts. Numbers for scripts use %lld / %llu for whole
 * numbers and %.10g for fractions, the form the JSON output has always
 * had; a non-finite real is null in JSON and an empty CSV field.
 *
 * INVARIANTS
 *   1. cell_csv() fills exactly cell_fields(col) strings, whatever the
 *      cell (a NONE or ABSENT cell in a two-field column gives two).
 *   2. No output for scripts contains a thousands separator, a 〔〕 or a
 *      percent sign that the value itself did not contain.
 *   3. A cell_dup() copy shares no memory with its original.
 */
#include "admin/cell.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "admin/numfmt.h"
#include "admin/units.h"
#include "admin/zone.h"
#include "common/json.h"
#include "common/mem.h"

/* Room for any one number as text (digits, separators, 〔〕, decimals). */
#define NUM_LEN 96

/* ------------------------------------------------------------------ */
/* constructors                                                        */

static cell_t make(enum cell_type t)
{
    cell_t c;
    memset(&c, 0, sizeof c);
    c.type = t;
    return c;
}

cell_t cell_absent(void)
{
    return make(CELL_ABSENT);
}

cell_t cell_none(const char *shown)
{
    cell_t c = make(CELL_NONE);
    c.v.text = shown;
    return c;
}

cell_t cell_text(const char *s)
{
    cell_t c = make(CELL_TEXT);
    c.v.text = s;
    return c;
}

cell_t cell_int(int64_t v)
{
    cell_t c = make(CELL_INT);
    c.v.i = v;
    return c;
}

cell_t cell_id(uint64_t v)
{
    cell_t c = make(CELL_ID);
    c.v.id = v;
    return c;
}

cell_t cell_real(double v)
{
    cell_t c = make(CELL_REAL);
    c.v.real = v;
    return c;
}

cell_t cell_bool(int v)
{
    cell_t c = make(CELL_BOOL);
    c.v.flag = v != 0;
    return c;
}

cell_t cell_figure(int is_ratio, int64_t num, int64_t den)
{
    cell_t c = make(CELL_FIGURE);
    c.v.fig.is_ratio = is_ratio != 0;
    c.v.fig.num = num;
    c.v.fig.den = den;
    return c;
}

cell_t cell_plan(const indicator_t *ind, double shown, int decimals,
                 int bracket)
{
    cell_t c = make(CELL_PLAN);
    c.v.plan.shown = shown;
    c.v.plan.decimals = decimals;
    c.v.plan.bracket = bracket != 0;
    c.v.plan.raw = units_raw(ind, shown);
    c.v.plan.is_ratio = ind->kind == IND_RATIO;
    return c;
}

cell_t cell_measure(const indicator_t *ind, double raw)
{
    cell_t c = make(CELL_PLAN);
    c.v.plan.shown = units_display(ind, raw);
    c.v.plan.decimals = units_decimals(ind);
    c.v.plan.raw = raw;
    c.v.plan.is_ratio = ind->kind == IND_RATIO;
    return c;
}

cell_t cell_share(double fraction)
{
    cell_t c = make(CELL_SHARE);
    c.v.real = fraction;
    return c;
}

cell_t cell_of(uint64_t n, uint64_t m)
{
    cell_t c = make(CELL_OF);
    c.v.of.n = n;
    c.v.of.m = m;
    return c;
}

cell_t cell_time(int64_t t)
{
    cell_t c = make(CELL_TIME);
    c.v.i = t;
    return c;
}

cell_t cell_region(const char *code, const char *name)
{
    cell_t c = make(CELL_REGION);
    c.v.coded.code = code;
    c.v.coded.name = name;
    return c;
}

cell_t cell_indicator(const char *code, const char *name)
{
    cell_t c = make(CELL_INDICATOR);
    c.v.coded.code = code;
    c.v.coded.name = name;
    return c;
}

cell_t cell_list(const char *const *items, size_t n, const char *shown)
{
    cell_t c = make(CELL_LIST);
    c.v.list.items = items;
    c.v.list.n = n;
    c.v.list.shown = shown;
    return c;
}

size_t cell_fields(enum cell_type t)
{
    return t == CELL_OF || t == CELL_REGION || t == CELL_INDICATOR ? 2 : 1;
}

/* ------------------------------------------------------------------ */
/* ownership                                                           */

static const char *dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

cell_t cell_dup(const cell_t *c)
{
    cell_t d = *c;
    switch (c->type) {
    case CELL_NONE:
    case CELL_TEXT:
        d.v.text = dup_or_null(c->v.text);
        break;
    case CELL_REGION:
    case CELL_INDICATOR:
        d.v.coded.code = dup_or_null(c->v.coded.code);
        d.v.coded.name = dup_or_null(c->v.coded.name);
        break;
    case CELL_LIST: {
        const char **items = xcalloc(c->v.list.n + 1, sizeof *items);
        for (size_t i = 0; i < c->v.list.n; i++) {
            items[i] = xstrdup(c->v.list.items[i]);
        }
        d.v.list.items = items;
        d.v.list.shown = dup_or_null(c->v.list.shown);
        break;
    }
    default:
        break;
    }
    return d;
}

/* The copies are ours (cell_dup), so casting const away to free is
 * sound. */
static void release(const char *s)
{
    free((void *)(uintptr_t)s);
}

void cell_fini(cell_t *c)
{
    switch (c->type) {
    case CELL_NONE:
    case CELL_TEXT:
        release(c->v.text);
        break;
    case CELL_REGION:
    case CELL_INDICATOR:
        release(c->v.coded.code);
        release(c->v.coded.name);
        break;
    case CELL_LIST:
        for (size_t i = 0; i < c->v.list.n; i++) {
            release(c->v.list.items[i]);
        }
        free((void *)(uintptr_t)c->v.list.items);
        release(c->v.list.shown);
        break;
    default:
        break;
    }
    *c = make(CELL_ABSENT);
}

/* ------------------------------------------------------------------ */
/* text                                                                */

static char *str_or_empty(const char *s)
{
    return xstrdup(s != NULL ? s : "");
}

/* The items joined by @p sep. */
static char *join(const struct cell_list *l, const char *sep)
{
    size_t seplen = strlen(sep);
    size_t len = 1;
    for (size_t i = 0; i < l->n; i++) {
        len += strlen(l->items[i]) + seplen;
    }
    char *s = xmalloc(len);
    size_t o = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (i > 0) {
            memcpy(s + o, sep, seplen);
            o += seplen;
        }
        size_t n = strlen(l->items[i]);
        memcpy(s + o, l->items[i], n);
        o += n;
    }
    s[o] = '\0';
    return s;
}

/* A raw plan value for scripts: whole persons, or a fraction; "" when it
 * is not finite. @p len is at least 1. */
static void plan_raw(const struct cell_plan *p, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!isfinite(p->raw)) {
        return;
    }
    if (p->is_ratio) {
        snprintf(buf, len, "%.10g", p->raw);
    } else {
        snprintf(buf, len, "%lld", llround(p->raw));
    }
}

/* "1,234", or "82.17% (91 / 110)", or "-" for a ratio without a
 * denominator. */
static void show_figure(const struct cell_figure *f, char *buf, size_t len)
{
    char pct[NUM_LEN];
    char a[32];
    char b[32];
    if (!f->is_ratio) {
        numfmt_int(f->num, buf, len);
        return;
    }
    if (f->den <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    numfmt_int(f->num, a, sizeof a);
    numfmt_int(f->den, b, sizeof b);
    numfmt_fixed(100.0 * (double)f->num / (double)f->den, 2, pct,
                 sizeof pct);
    snprintf(buf, len, "%s%% (%s / %s)", pct, a, b);
}

static void show_plan(const struct cell_plan *p, char *buf, size_t len)
{
    char num[NUM_LEN];
    if (p->decimals < 0) {
        snprintf(num, sizeof num, "%g", p->shown);
    } else {
        numfmt_fixed(p->shown, p->decimals, num, sizeof num);
    }
    snprintf(buf, len, p->bracket ? "〔%s〕" : "%s", num);
}

char *cell_show(const cell_t *c, long tz)
{
    char buf[2 * NUM_LEN];
    buf[0] = '\0';
    switch (c->type) {
    case CELL_ABSENT:
        break;
    case CELL_NONE:
    case CELL_TEXT:
        return str_or_empty(c->v.text);
    case CELL_INT:
        numfmt_int(c->v.i, buf, sizeof buf);
        break;
    case CELL_ID:
        snprintf(buf, sizeof buf, "%" PRIu64, c->v.id);
        break;
    case CELL_REAL:
        if (isfinite(c->v.real)) {
            snprintf(buf, sizeof buf, "%g", c->v.real);
        } else {
            snprintf(buf, sizeof buf, "-");
        }
        break;
    case CELL_BOOL:
        snprintf(buf, sizeof buf, "%s", c->v.flag ? "yes" : "no");
        break;
    case CELL_FIGURE:
        show_figure(&c->v.fig, buf, sizeof buf);
        break;
    case CELL_PLAN:
        show_plan(&c->v.plan, buf, sizeof buf);
        break;
    case CELL_SHARE:
        if (isfinite(c->v.real)) {
            char pct[NUM_LEN];
            numfmt_fixed(100.0 * c->v.real, 1, pct, sizeof pct);
            snprintf(buf, sizeof buf, "%s%%", pct);
        } else {
            snprintf(buf, sizeof buf, "-");
        }
        break;
    case CELL_OF:
        snprintf(buf, sizeof buf, "%" PRIu64 "/%" PRIu64, c->v.of.n,
                 c->v.of.m);
        break;
    case CELL_TIME:
        zone_format_time(c->v.i, tz, buf, sizeof buf);
        break;
    case CELL_REGION: {
        const char *name = c->v.coded.name != NULL ? c->v.coded.name : "?";
        const char *code = c->v.coded.code != NULL ? c->v.coded.code : "";
        size_t n = strlen(name) + strlen(code) + 2;
        char *s = xmalloc(n);
        snprintf(s, n, "%s %s", name, code);
        return s;
    }
    case CELL_INDICATOR:
        return str_or_empty(c->v.coded.name != NULL ? c->v.coded.name
                                                    : c->v.coded.code);
    case CELL_LIST:
        if (c->v.list.shown != NULL) {
            return xstrdup(c->v.list.shown);
        }
        return join(&c->v.list, ", ");
    }
    return xstrdup(buf);
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */

/* The one-field raw text of a cell of a one-field type. */
static char *raw_text(const cell_t *c, long tz)
{
    char buf[NUM_LEN];
    buf[0] = '\0';
    switch (c->type) {
    case CELL_TEXT:
        return str_or_empty(c->v.text);
    case CELL_INT:
        snprintf(buf, sizeof buf, "%" PRId64, c->v.i);
        break;
    case CELL_ID:
        snprintf(buf, sizeof buf, "%" PRIu64, c->v.id);
        break;
    case CELL_REAL:
    case CELL_SHARE:
        if (isfinite(c->v.real)) {
            snprintf(buf, sizeof buf, "%.10g", c->v.real);
        }
        break;
    case CELL_BOOL:
        snprintf(buf, sizeof buf, "%s", c->v.flag ? "true" : "false");
        break;
    case CELL_FIGURE:
        if (!c->v.fig.is_ratio) {
            snprintf(buf, sizeof buf, "%" PRId64, c->v.fig.num);
        } else if (c->v.fig.den > 0) {
            snprintf(buf, sizeof buf, "%.10g",
                     (double)c->v.fig.num / (double)c->v.fig.den);
        }
        break;
    case CELL_PLAN:
        plan_raw(&c->v.plan, buf, sizeof buf);
        break;
    case CELL_TIME:
        zone_format_time(c->v.i, tz, buf, sizeof buf);
        break;
    case CELL_LIST:
        return join(&c->v.list, " ");
    default:
        break;
    }
    return xstrdup(buf);
}

void cell_csv(const cell_t *c, enum cell_type col, long tz,
              char *out[CELL_MAX_FIELDS])
{
    size_t n = cell_fields(col);
    char num[NUM_LEN];
    for (size_t i = 0; i < CELL_MAX_FIELDS; i++) {
        out[i] = NULL;
    }
    switch (c->type) {
    case CELL_ABSENT:
    case CELL_NONE:
        for (size_t i = 0; i < n; i++) {
            out[i] = xstrdup("");
        }
        return;
    case CELL_OF:
        snprintf(num, sizeof num, "%" PRIu64, c->v.of.n);
        out[0] = xstrdup(num);
        snprintf(num, sizeof num, "%" PRIu64, c->v.of.m);
        out[1] = xstrdup(num);
        break;
    case CELL_REGION:
    case CELL_INDICATOR:
        out[0] = str_or_empty(c->v.coded.code);
        out[1] = str_or_empty(c->v.coded.name);
        break;
    default:
        out[0] = raw_text(c, tz);
        break;
    }
    assert(n == cell_fields(c->type));
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

static void json_real(double v, FILE *f)
{
    if (isfinite(v)) {
        fprintf(f, "%.10g", v);
    } else {
        fputs("null", f);
    }
}

static void json_figure(const struct cell_figure *g, int nest, FILE *f)
{
    if (!g->is_ratio) {
        fprintf(f, "%" PRId64, g->num);
    } else if (nest) {
        fprintf(f, "{\"numerator\": %" PRId64 ", \"denominator\": %" PRId64
                   "}",
                g->num, g->den);
    } else if (g->den > 0) {
        json_real((double)g->num / (double)g->den, f);
    } else {
        fputs("null", f);
    }
}

static void json_list(const struct cell_list *l, FILE *f)
{
    fputc('[', f);
    for (size_t i = 0; i < l->n; i++) {
        fputs(i > 0 ? ", " : "", f);
        json_put_str(f, l->items[i]);
    }
    fputc(']', f);
}

void cell_put_json(const cell_t *c, const char *key, const char *key2,
                   int nest, FILE *f)
{
    char num[NUM_LEN];
    if (c->type == CELL_ABSENT) {
        return;
    }
    json_put_str(f, key);
    fputs(": ", f);
    switch (c->type) {
    case CELL_ABSENT:
    case CELL_NONE:
        fputs("null", f);
        break;
    case CELL_TEXT:
        json_put_str(f, c->v.text != NULL ? c->v.text : "");
        break;
    case CELL_INT:
    case CELL_TIME:
        fprintf(f, "%" PRId64, c->v.i);
        break;
    case CELL_ID:
        fprintf(f, "%" PRIu64, c->v.id);
        break;
    case CELL_REAL:
    case CELL_SHARE:
        json_real(c->v.real, f);
        break;
    case CELL_BOOL:
        fputs(c->v.flag ? "true" : "false", f);
        break;
    case CELL_FIGURE:
        json_figure(&c->v.fig, nest, f);
        break;
    case CELL_PLAN:
        plan_raw(&c->v.plan, num, sizeof num);
        fputs(num[0] != '\0' ? num : "null", f);
        break;
    case CELL_OF:
        fprintf(f, "%" PRIu64 ", ", c->v.of.n);
        json_put_str(f, key2 != NULL ? key2 : "");
        fprintf(f, ": %" PRIu64, c->v.of.m);
        break;
    case CELL_REGION:
    case CELL_INDICATOR:
        json_put_str(f, c->v.coded.code != NULL ? c->v.coded.code : "");
        break;
    case CELL_LIST:
        json_list(&c->v.list, f);
        break;
    }
}
