/* table.c: terminal tables that line up with Chinese text.
 *
 * Display width is computed from our own UTF-8 decoder and a small East
 * Asian Width table, never from the locale or wcwidth(): hrssctl must line
 * up the same way under LANG=C, in cron mail and over ssh. Wide (W) and
 * Fullwidth (F) ranges take two columns; combining marks, zero-width
 * format characters and controls take none; everything else takes one.
 * A byte that does not start a valid UTF-8 sequence (bad lead, missing
 * continuation, overlong form, surrogate, beyond U+10FFFF) counts as one
 * column and decoding resumes at the next byte.
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
 *      fit (table_fit), as cell_scan() measures them.
 */
#include "admin/table.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

#define TABLE_MAGIC 0x7AB1E5EDu
#define TABLE_DEAD 0xDEADBEEFu

/* Returned by decode() for a byte that does not start valid UTF-8. */
#define BAD_CP 0xFFFFFFFFu

struct table {
    unsigned magic;
    size_t ncols;
    char **headers;            /* ncols owned strings */
    enum table_align *align;   /* ncols entries */
    char ***rows;              /* nrows arrays of ncols owned strings */
    size_t nrows;
    size_t cap;                /* allocated entries in rows */
    size_t *widths;            /* ncols display widths (INVARIANT 6) */
};

struct cp_range {
    uint32_t lo;
    uint32_t hi;
};

/* Zero-width code points: combining marks, zero-width and bidi format
 * characters, variation selectors, tags. Sorted, non-overlapping. */
static const struct cp_range zero_ranges[] = {
    {0x0300, 0x036F},   {0x0483, 0x0489},   {0x0591, 0x05BD},
    {0x0610, 0x061A},   {0x064B, 0x065F},   {0x1160, 0x11FF},
    {0x1AB0, 0x1AFF},   {0x1DC0, 0x1DFF},   {0x200B, 0x200F},
    {0x202A, 0x202E},   {0x2060, 0x2064},   {0x20D0, 0x20FF},
    {0x302A, 0x302D},   {0x3099, 0x309A},   {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F},   {0xFEFF, 0xFEFF},   {0xE0000, 0xE007F},
    {0xE0100, 0xE01EF},
};

/* East Asian Wide and Fullwidth code points. Sorted, non-overlapping.
 * Checked after zero_ranges, so the combining marks inside CJK blocks
 * (U+302A.., U+3099..) stay zero. */
static const struct cp_range wide_ranges[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},
    {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
    {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xA960, 0xA97F},
    {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},
    {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},
    {0x1B000, 0x1B16F}, {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF},
    {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

/* Growable output line; see the design note on trailing spaces. */
struct line {
    char *p;
    size_t len;
    size_t cap;
};

/* ------------------------------------------------------------------ */
/* UTF-8 and display width                                             */
/* ------------------------------------------------------------------ */

static bool in_ranges(uint32_t cp, const struct cp_range *r, size_t n)
{
    size_t lo = 0;
    size_t hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo) {
            hi = mid;
        } else if (cp > r[mid].hi) {
            lo = mid + 1;
        } else {
            return true;
        }
    }
    return false;
}

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp < 0xA0);
}

static size_t cp_width(uint32_t cp)
{
    if (is_control(cp)) {
        return 0;
    }
    if (in_ranges(cp, zero_ranges,
                  sizeof zero_ranges / sizeof zero_ranges[0])) {
        return 0;
    }
    if (in_ranges(cp, wide_ranges,
                  sizeof wide_ranges / sizeof wide_ranges[0])) {
        return 2;
    }
    return 1;
}

/* Decode the sequence starting at s[0] of a NUL-terminated string (s[0]
 * is not NUL). Sets *n to the bytes consumed (1 for an invalid byte) and
 * returns the code point or BAD_CP. The terminating NUL is not a
 * continuation byte, so a truncated sequence never reads past it. */
static uint32_t decode(const unsigned char *s, size_t *n)
{
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned char b0 = s[0];
    size_t len = 0;
    uint32_t cp = 0;

    *n = 1;
    if (b0 < 0x80) {
        return b0;
    }
    if (b0 >= 0xC0 && b0 < 0xE0) {
        len = 2;
        cp = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 < 0xF0) {
        len = 3;
        cp = b0 & 0x0Fu;
    } else if (b0 >= 0xF0 && b0 < 0xF8) {
        len = 4;
        cp = b0 & 0x07u;
    } else {
        return BAD_CP;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0u) != 0x80u) {
            return BAD_CP;
        }
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min_cp[len] || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        return BAD_CP;
    }
    *n = len;
    return cp;
}

size_t table_text_width(const char *s)
{
    size_t w = 0;
    size_t i = 0;
    if (s == NULL) {
        return 0;
    }
    const unsigned char *u = (const unsigned char *)s;
    while (u[i] != '\0') {
        size_t n = 0;
        uint32_t cp = decode(u + i, &n);
        w += cp == BAD_CP ? 1 : cp_width(cp);
        i += n;
    }
    return w;
}

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
        uint32_t cp = decode(u + i, &n);
        if (cp == BAD_CP || is_control(cp)) {
            w++;
            if (out != NULL) {
                line_fill(out, cp == BAD_CP ? '?' : ' ', 1);
            }
        } else {
            w += cp_width(cp);
            if (out != NULL) {
                line_put(out, s + i, n);
            }
        }
        i += n;
    }
    return w;
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
        t->nrows > t->cap) {
        return false;
    }
    for (size_t c = 0; c < t->ncols; c++) {
        if (t->headers[c] == NULL) {
            return false;
        }
        if (t->align[c] != TABLE_LEFT && t->align[c] != TABLE_RIGHT) {
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
    }
}

size_t table_rows(const table_t *t)
{
    assert(check_invariants(t));
    return t->nrows;
}

/* Append one line of cells (NULL: empty), padded to the columns'
 * widths, to @p l; a cell wider than its column gets no padding. */
static void put_row(const table_t *t, const char *const *cells,
                    struct line *l)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const char *cell = cells[c] != NULL ? cells[c] : "";
        size_t w = cell_scan(cell, NULL);
        size_t pad = w < t->widths[c] ? t->widths[c] - w : 0;
        if (c > 0) {
            line_fill(l, ' ', 2);
        }
        if (t->align[c] == TABLE_RIGHT) {
            line_fill(l, ' ', pad);
            cell_scan(cell, l);
        } else {
            cell_scan(cell, l);
            line_fill(l, ' ', pad);
        }
    }
}

void table_print_head(const table_t *t, FILE *f)
{
    assert(check_invariants(t));
    struct line l = {NULL, 0, 0};
    put_row(t, (const char *const *)t->headers, &l);
    line_flush(&l, f);
    for (size_t c = 0; c < t->ncols; c++) {
        if (c > 0) {
            line_fill(&l, ' ', 2);
        }
        line_fill(&l, '-', t->widths[c]);
    }
    line_flush(&l, f);
    free(l.p);
}

void table_print_row(const table_t *t, const char *const *cells, FILE *f)
{
    assert(check_invariants(t));
    assert(cells != NULL);
    struct line l = {NULL, 0, 0};
    put_row(t, cells, &l);
    line_flush(&l, f);
    free(l.p);
}

void table_print(const table_t *t, FILE *f)
{
    assert(check_invariants(t));
    struct line l = {NULL, 0, 0};
    table_print_head(t, f);
    for (size_t r = 0; r < t->nrows; r++) {
        put_row(t, (const char *const *)t->rows[r], &l);
        line_flush(&l, f);
    }
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
    }
    free(t->headers);
    free(t->align);
    free(t->widths);
    t->magic = TABLE_DEAD;
    free(t);
    *self_p = NULL;
}
