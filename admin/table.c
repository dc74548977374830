/* table.c: terminal tables that line up with Chinese text.
 *
 * Display width (East Asian Width, never the locale) and where a line
 * may wrap are table_text.c's; this file lays tables out and prints them.
 *
 * table_print() writes sanitised cells so that what it measured is what
 * the terminal shows: every C0/C1 control and DEL (newline, CR, tab, ESC
 * ...) becomes one space, and an invalid byte becomes '?'. Besides keeping
 * columns aligned, this stops imported text from sending escape sequences
 * to the operator's terminal.
 *
 * Each output line is assembled in a private line buffer and trailing
 * spaces are trimmed before it is written, which covers every way a line
 * can end in padding (left-aligned last column, empty trailing cells,
 * cells that end in a space).
 *
 * Fitting a screen (table_set_width) is a layout computed at each print
 * from the widths measured so far (lay_out()), so the two-pass print of a
 * long list lays every row out the same way; a table that fits is printed
 * exactly as it would be without a screen, so a script that sets COLUMNS
 * wide enough sees no change. Giving way goes from what costs the reader
 * least to what costs most: shorter headers, then wrapping the columns
 * that hold prose (names, lists, messages: the caller says which), then
 * leaving out the columns the caller ranked as dispensable, then wrapping
 * down to one wide character. Numbers are never cut or wrapped: a figure
 * split over two lines is a figure misread.
 *
 * Wrapping follows table_text.c's breaks (spaces, around CJK, after '_').
 * A row whose cells wrap takes as many lines as its longest cell; the
 * other cells stand on its first line.
 *
 * INVARIANTS
 *   1. A live table has magic == TABLE_MAGIC; table_destroy() overwrites it
 *      so a use after destroy trips an assertion in debug builds.
 *   2. ncols >= 1; headers[c] and align[c] exist for every c < ncols and
 *      every header is an owned, non-NULL string.
 *   3. nrows <= cap; rows[r] for r < nrows is an owned array of ncols
 *      owned, non-NULL strings (a NULL cell is stored as "").
 *   4. table_text_width() and the width table_print() pads by agree for
 *      any text without controls or invalid bytes; with them,
 *      table_print() pads by the width of what it actually writes.
 *   5. No global mutable state: every function is reentrant.
 *   6. widths[c] is the widest of header c and column c's cells added or
 *      fit (table_fit), as cell_scan() measures them; cellw[c] the widest
 *      of the cells alone.
 *   7. give[c].narrow is NULL or an owned string; give[c].wrap_min is 0
 *      or >= 2.
 *   8. A layout shows at least one column, and a shown column's width is
 *      >= 1; it narrows no column that is neither wrapping nor headed by
 *      a narrow header.
 */
#include "admin/table.h"
#include "admin/table_int.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

#define TABLE_MAGIC 0x7AB1E5EDu
#define TABLE_DEAD 0xDEADBEEFu

struct table {
    unsigned magic;
    size_t ncols;
    char **headers;            /* ncols owned strings */
    enum table_align *align;   /* ncols entries */
    char ***rows;              /* nrows arrays of ncols owned strings */
    size_t nrows;
    size_t cap;                /* allocated entries in rows */
    size_t *widths;            /* ncols display widths (INVARIANT 6) */
    size_t *cellw;             /* ncols widest cells (INVARIANT 6) */
    table_give_t *give;        /* ncols; narrow owned (INVARIANT 7) */
    size_t screen;             /* screen width; 0: none */
};

/* How the table is printed at its screen's width (lay_out()). */
struct layout {
    bool narrow;    /* the short headers are used */
    bool *shown;    /* ncols */
    size_t *w;      /* ncols printed widths */
};


/* Growable output line; see the design note on trailing spaces. */
struct line {
    char *p;
    size_t len;
    size_t cap;
};

/* ------------------------------------------------------------------ */
/* Line buffer                                                         */
/* ------------------------------------------------------------------ */

/* Make room for @p extra more bytes. Callers skip zero-length appends,
 * so l->p is never NULL when memcpy/memset run. */
static void line_reserve(struct line *l, size_t extra)
{
    assert(extra <= SIZE_MAX - l->len);
    size_t need = l->len + extra;
    if (need <= l->cap) {
        return;
    }
    size_t cap = l->cap < 64 ? 64 : l->cap;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    l->p = xreallocarray(l->p, cap, 1);
    l->cap = cap;
}

static void line_put(struct line *l, const char *s, size_t n)
{
    if (n == 0) {
        return;
    }
    line_reserve(l, n);
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

static void line_fill(struct line *l, char c, size_t n)
{
    if (n == 0) {
        return;
    }
    line_reserve(l, n);
    memset(l->p + l->len, c, n);
    l->len += n;
}

/* Write the line without trailing spaces, then a newline; empty it. */
static void line_flush(struct line *l, FILE *f)
{
    size_t n = l->len;
    while (n > 0 && l->p[n - 1] == ' ') {
        n--;
    }
    if (n > 0) {
        fwrite(l->p, 1, n, f);
    }
    fputc('\n', f);
    l->len = 0;
}

/* Width of @p s as table_print() writes it: controls become a space and
 * invalid bytes a '?', one column each. When @p out is not NULL the
 * sanitised text is appended to it. */
static size_t cell_scan(const char *s, struct line *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t w = 0;
    size_t i = 0;
    while (u[i] != '\0') {
        size_t n = 0;
        uint32_t cp = table_decode(u + i, &n);
        if (cp == TABLE_BAD_CP || table_is_control(cp)) {
            w++;
            if (out != NULL) {
                line_fill(out, cp == TABLE_BAD_CP ? '?' : ' ', 1);
            }
        } else {
            w += table_cp_width(cp);
            if (out != NULL) {
                line_put(out, s + i, n);
            }
        }
        i += n;
    }
    return w;
}

void table_print_text(const char *text, size_t width, FILE *f)
{
    struct line l = {NULL, 0, 0};
    struct line clean = {NULL, 0, 0};
    const char *s = text;
    for (;;) {
        size_t n = strcspn(s, "\n");
        char *piece = xmalloc(n + 1);
        memcpy(piece, s, n);
        piece[n] = '\0';
        clean.len = 0;
        size_t w = cell_scan(piece, &clean);
        line_fill(&clean, '\0', 1);
        free(piece);
        const char *c = clean.p;
        if (width == 0 || w <= width) {
            line_put(&l, c, strlen(c));
            line_flush(&l, f);
        } else {
            while (*c != '\0') {
                size_t len = 0;
                size_t lw = 0;
                size_t next = table_wrap_line(c, width, &len, &lw);
                line_put(&l, c, len);
                line_flush(&l, f);
                c += next;
            }
        }
        if (s[n] == '\0') {
            break;
        }
        s += n + 1;
    }
    free(clean.p);
    free(l.p);
}

/* ------------------------------------------------------------------ */
/* Table                                                               */
/* ------------------------------------------------------------------ */

#ifndef NDEBUG
static bool check_invariants(const table_t *t)
{
    if (t == NULL || t->magic != TABLE_MAGIC || t->ncols == 0) {
        return false;
    }
    if (t->headers == NULL || t->align == NULL || t->widths == NULL ||
        t->cellw == NULL || t->give == NULL || t->nrows > t->cap) {
        return false;
    }
    for (size_t c = 0; c < t->ncols; c++) {
        if (t->headers[c] == NULL || t->cellw[c] > t->widths[c]) {
            return false;
        }
        if (t->align[c] != TABLE_LEFT && t->align[c] != TABLE_RIGHT) {
            return false;
        }
        if (t->give[c].wrap_min == 1) {
            return false;
        }
    }
    /* Only the newest row: checking all of them would make a debug build
     * quadratic in the row count. */
    if (t->nrows > 0) {
        char *const *row = t->rows[t->nrows - 1];
        for (size_t c = 0; c < t->ncols; c++) {
            if (row[c] == NULL) {
                return false;
            }
        }
    }
    return true;
}
#endif

table_t *table_new(size_t ncols, const char *const *headers,
                   const enum table_align *align)
{
    assert(ncols > 0);
    assert(headers != NULL);
    table_t *t = xcalloc(1, sizeof *t);
    t->magic = TABLE_MAGIC;
    t->ncols = ncols;
    t->headers = xcalloc(ncols, sizeof *t->headers);
    t->align = xcalloc(ncols, sizeof *t->align);
    t->widths = xcalloc(ncols, sizeof *t->widths);
    t->cellw = xcalloc(ncols, sizeof *t->cellw);
    t->give = xcalloc(ncols, sizeof *t->give);
    for (size_t c = 0; c < ncols; c++) {
        t->headers[c] = xstrdup(headers[c] != NULL ? headers[c] : "");
        /* A NULL align array means every column is left-aligned. */
        t->align[c] = align != NULL ? align[c] : TABLE_LEFT;
        t->widths[c] = cell_scan(t->headers[c], NULL);
    }
    assert(check_invariants(t));
    return t;
}

void table_add_row(table_t *t, const char *const *cells)
{
    assert(check_invariants(t));
    assert(cells != NULL);
    if (t->nrows == t->cap) {
        size_t cap = t->cap == 0 ? 16 : t->cap;
        if (t->cap != 0) {
            assert(cap <= SIZE_MAX / 2);
            cap *= 2;
        }
        t->rows = xreallocarray(t->rows, cap, sizeof *t->rows);
        t->cap = cap;
    }
    char **row = xcalloc(t->ncols, sizeof *row);
    for (size_t c = 0; c < t->ncols; c++) {
        row[c] = xstrdup(cells[c] != NULL ? cells[c] : "");
    }
    t->rows[t->nrows] = row;
    t->nrows++;
    table_fit(t, (const char *const *)row);
    assert(check_invariants(t));
}

void table_fit(table_t *t, const char *const *cells)
{
    assert(t != NULL && t->magic == TABLE_MAGIC);
    assert(cells != NULL);
    for (size_t c = 0; c < t->ncols; c++) {
        size_t w = cell_scan(cells[c] != NULL ? cells[c] : "", NULL);
        if (w > t->widths[c]) {
            t->widths[c] = w;
        }
        if (w > t->cellw[c]) {
            t->cellw[c] = w;
        }
    }
}

size_t table_rows(const table_t *t)
{
    assert(check_invariants(t));
    return t->nrows;
}

void table_set_give(table_t *t, size_t col, const table_give_t *g)
{
    assert(check_invariants(t));
    assert(col < t->ncols && g != NULL);
    free(t->give[col].narrow != NULL ? (void *)(uintptr_t)t->give[col].narrow
                                     : NULL);
    t->give[col] = *g;
    t->give[col].narrow = g->narrow != NULL ? xstrdup(g->narrow) : NULL;
    if (t->give[col].wrap_min == 1) {
        t->give[col].wrap_min = 2; /* room for one wide character */
    }
    assert(check_invariants(t));
}

void table_set_width(table_t *t, size_t width)
{
    assert(check_invariants(t));
    t->screen = width;
}

/* ------------------------------------------------------------------ */
/* Layout on a screen                                                  */
/* ------------------------------------------------------------------ */

static const char *head_of(const table_t *t, const struct layout *lay,
                           size_t c)
{
    return lay->narrow && t->give[c].narrow != NULL ? t->give[c].narrow
                                                    : t->headers[c];
}

/* Every shown column as wide as its header (as chosen) or widest cell. */
static void lay_natural(const table_t *t, struct layout *lay)
{
    for (size_t c = 0; c < t->ncols; c++) {
        size_t hw = cell_scan(head_of(t, lay, c), NULL);
        lay->w[c] = hw > t->cellw[c] ? hw : t->cellw[c];
    }
}

static size_t lay_total(const table_t *t, const struct layout *lay)
{
    size_t sum = 0;
    size_t n = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        if (lay->shown[c]) {
            sum += lay->w[c];
            n++;
        }
    }
    return sum + (n > 0 ? 2 * (n - 1) : 0);
}

static bool lay_fits(const table_t *t, const struct layout *lay)
{
    return lay_total(t, lay) <= t->screen;
}

/* The narrowest column @p c may be cut to: its wrap_min, or @p floor
 * when set; SIZE_MAX when it does not wrap. */
static size_t floor_of(const table_t *t, const struct layout *lay, size_t c,
                       size_t floor)
{
    if (!lay->shown[c] || t->give[c].wrap_min == 0) {
        return SIZE_MAX;
    }
    return floor > 0 ? floor : t->give[c].wrap_min;
}

/* Columns gained by cutting every wrapping column to @p level (but not
 * below its floor). */
static size_t gain_at(const table_t *t, const struct layout *lay,
                      size_t level, size_t floor)
{
    size_t g = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        size_t f = floor_of(t, lay, c, floor);
        size_t cap = level > f ? level : f;
        if (f != SIZE_MAX && lay->w[c] > cap) {
            g += lay->w[c] - cap;
        }
    }
    return g;
}

/* Narrow the wrapping columns, the widest first, none below its floor,
 * until the table fits the screen or they can give no more. The level
 * is searched (not stepped down a column at a time) so that a cell of a
 * megabyte costs no more than a short one. */
static void squeeze(const table_t *t, struct layout *lay, size_t floor)
{
    size_t total = lay_total(t, lay);
    if (total <= t->screen) {
        return;
    }
    size_t excess = total - t->screen;
    size_t lo = 0;
    size_t hi = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        if (floor_of(t, lay, c, floor) != SIZE_MAX && lay->w[c] > hi) {
            hi = lay->w[c];
        }
    }
    if (gain_at(t, lay, 0, floor) > excess) {
        /* The highest level that gains enough: gain_at() does not grow
         * with the level, and gains nothing at hi. */
        while (lo < hi) {
            size_t mid = lo + (hi - lo + 1) / 2;
            if (gain_at(t, lay, mid, floor) >= excess) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
    }
    /* Cut to the level; what that gains beyond the excess goes back, one
     * column to each column cut to the level itself (there are more of
     * them than columns to give back: the level above gains too little). */
    size_t over = gain_at(t, lay, lo, floor);
    over = over > excess ? over - excess : 0;
    for (size_t c = 0; c < t->ncols; c++) {
        size_t f = floor_of(t, lay, c, floor);
        size_t cap = lo > f ? lo : f;
        if (f == SIZE_MAX || lay->w[c] <= cap) {
            continue;
        }
        lay->w[c] = cap;
        if (over > 0 && cap == lo) {
            lay->w[c]++;
            over--;
        }
    }
}

/* The shown column to leave out next: the lowest drop rank, the
 * rightmost of equals; SIZE_MAX when none may go (the last column shown
 * never goes). */
static size_t next_drop(const table_t *t, const struct layout *lay)
{
    size_t best = SIZE_MAX;
    size_t shown = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        shown += lay->shown[c];
        if (lay->shown[c] && t->give[c].drop > 0 &&
            (best == SIZE_MAX || t->give[c].drop <= t->give[best].drop)) {
            best = c;
        }
    }
    return shown > 1 ? best : SIZE_MAX;
}

/* How the table prints at its screen's width (the design note); the
 * caller frees lay_free(). */
static void lay_out(const table_t *t, struct layout *lay)
{
    lay->narrow = false;
    lay->shown = xcalloc(t->ncols, sizeof *lay->shown);
    lay->w = xcalloc(t->ncols, sizeof *lay->w);
    for (size_t c = 0; c < t->ncols; c++) {
        lay->shown[c] = true;
        lay->w[c] = t->widths[c];
    }
    if (t->screen == 0 || lay_fits(t, lay)) {
        return;
    }
    lay->narrow = true;
    lay_natural(t, lay);
    for (;;) {
        squeeze(t, lay, 0);
        size_t c = lay_fits(t, lay) ? SIZE_MAX : next_drop(t, lay);
        if (c == SIZE_MAX) {
            break;
        }
        lay->shown[c] = false;
        lay_natural(t, lay);
    }
    if (!lay_fits(t, lay)) {
        squeeze(t, lay, 2);
    }
}

static void lay_free(struct layout *lay)
{
    free(lay->shown);
    free(lay->w);
}

int table_shown(const table_t *t, size_t col)
{
    assert(check_invariants(t));
    assert(col < t->ncols);
    struct layout lay;
    lay_out(t, &lay);
    int shown = lay.shown[col];
    lay_free(&lay);
    return shown;
}

/* Print one row of @p cells (NULL: empty) laid out by @p lay: a line,
 * or as many as its tallest wrapped cell takes on a screen. A cell wider
 * than its column that does not wrap is printed whole, unpadded. */
static void put_row(const table_t *t, const struct layout *lay,
                    const char *const *cells, struct line *l, FILE *f)
{
    struct line *clean = xcalloc(t->ncols, sizeof *clean);
    size_t *pos = xcalloc(t->ncols, sizeof *pos);
    for (size_t c = 0; c < t->ncols; c++) {
        if (lay->shown[c]) {
            cell_scan(cells[c] != NULL ? cells[c] : "", &clean[c]);
            line_fill(&clean[c], '\0', 1);
        }
    }
    bool more = true;
    while (more) {
        more = false;
        bool first = true;
        for (size_t c = 0; c < t->ncols; c++) {
            if (!lay->shown[c]) {
                continue;
            }
            const char *s = clean[c].p + pos[c];
            size_t len = strlen(s);
            size_t w = cell_scan(s, NULL);
            size_t next = len;
            if (t->screen > 0 && t->give[c].wrap_min > 0 && w > lay->w[c]) {
                next = table_wrap_line(s, lay->w[c], &len, &w);
            }
            pos[c] += next;
            more = more || clean[c].p[pos[c]] != '\0';
            size_t pad = w < lay->w[c] ? lay->w[c] - w : 0;
            if (!first) {
                line_fill(l, ' ', 2);
            }
            first = false;
            if (t->align[c] == TABLE_RIGHT) {
                line_fill(l, ' ', pad);
                line_put(l, s, len);
            } else {
                line_put(l, s, len);
                line_fill(l, ' ', pad);
            }
        }
        line_flush(l, f);
    }
    for (size_t c = 0; c < t->ncols; c++) {
        free(clean[c].p);
    }
    free(clean);
    free(pos);
}

/* The header row and the rule, laid out by @p lay. */
static void put_head(const table_t *t, const struct layout *lay,
                     struct line *l, FILE *f)
{
    const char **heads = xcalloc(t->ncols, sizeof *heads);
    for (size_t c = 0; c < t->ncols; c++) {
        heads[c] = head_of(t, lay, c);
    }
    put_row(t, lay, heads, l, f);
    free(heads);
    bool first = true;
    for (size_t c = 0; c < t->ncols; c++) {
        if (lay->shown[c]) {
            if (!first) {
                line_fill(l, ' ', 2);
            }
            first = false;
            line_fill(l, '-', lay->w[c]);
        }
    }
    /* The rule is all ASCII: a byte is a column. */
    if (t->screen > 0 && l->len > t->screen) {
        l->len = t->screen;
    }
    line_flush(l, f);
}

void table_print_head(const table_t *t, FILE *f)
{
    assert(check_invariants(t));
    struct line l = {NULL, 0, 0};
    struct layout lay;
    lay_out(t, &lay);
    put_head(t, &lay, &l, f);
    lay_free(&lay);
    free(l.p);
}

void table_print_row(const table_t *t, const char *const *cells, FILE *f)
{
    assert(check_invariants(t));
    assert(cells != NULL);
    struct line l = {NULL, 0, 0};
    struct layout lay;
    lay_out(t, &lay);
    put_row(t, &lay, cells, &l, f);
    lay_free(&lay);
    free(l.p);
}

void table_print(const table_t *t, FILE *f)
{
    assert(check_invariants(t));
    struct line l = {NULL, 0, 0};
    struct layout lay;
    lay_out(t, &lay);
    put_head(t, &lay, &l, f);
    for (size_t r = 0; r < t->nrows; r++) {
        put_row(t, &lay, (const char *const *)t->rows[r], &l, f);
    }
    lay_free(&lay);
    free(l.p);
}

void table_destroy(table_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    table_t *t = *self_p;
    assert(check_invariants(t));
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            free(t->rows[r][c]);
        }
        free(t->rows[r]);
    }
    free(t->rows);
    for (size_t c = 0; c < t->ncols; c++) {
        free(t->headers[c]);
        free((void *)(uintptr_t)t->give[c].narrow);
    }
    free(t->headers);
    free(t->align);
    free(t->widths);
    free(t->cellw);
    free(t->give);
    t->magic = TABLE_DEAD;
    free(t);
    *self_p = NULL;
}
