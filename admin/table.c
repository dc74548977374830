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
 * Wrapping breaks a line before a space (the space is dropped), before a
 * wide character (CJK text has no spaces) unless it is closing
 * punctuation or follows opening punctuation, before an opening bracket,
 * and after a '_' or '/' (indicator codes, paths); a run with no such
 * place is cut where it reaches the width.
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
/* Wrapping                                                            */
/* ------------------------------------------------------------------ */

/* Opening punctuation: no line ends after it. */
static bool is_opener(uint32_t cp)
{
    static const uint32_t open[] = {'(',    '[',    '{',    0x2018, 0x201C,
                                    0x3008, 0x300A, 0x300C, 0x300E, 0x3010,
                                    0x3014, 0x3016, 0x3018, 0x301A, 0xFF08,
                                    0xFF3B, 0xFF5B};
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        if (cp == open[i]) {
            return true;
        }
    }
    return false;
}

/* Closing punctuation: no line starts with it. */
static bool is_closer(uint32_t cp)
{
    static const uint32_t close[] = {
        ')',    ']',    '}',    ',',    '.',    ':',    ';',    '!',
        '?',    '%',    0x2019, 0x201D, 0x3001, 0x3002, 0x3009, 0x300B,
        0x300D, 0x300F, 0x3011, 0x3015, 0x3017, 0x3019, 0x301B, 0xFF01,
        0xFF05, 0xFF09, 0xFF0C, 0xFF0E, 0xFF1A, 0xFF1B, 0xFF1F, 0xFF3D,
        0xFF5D};
    for (size_t i = 0; i < sizeof close / sizeof close[0]; i++) {
        if (cp == close[i]) {
            return true;
        }
    }
    return false;
}

/* Whether a line may end between @p prev and @p cp (neither a space):
 * around wide characters, before an opening bracket, and after the '_'
 * or '/' inside a code or a path. */
static bool may_break(uint32_t prev, uint32_t cp)
{
    if (is_opener(prev) || is_closer(cp)) {
        return false;
    }
    return cp_width(cp) == 2 || is_opener(cp) || prev == '_' ||
           prev == '/';
}

/* The first line of @p s (sanitised: valid UTF-8, no control) wrapped at
 * @p w columns: *len bytes of @p s, *width columns, no trailing space.
 * At least one character is taken, even one wider than @p w.
 * @return where the next line starts (its leading spaces skipped). */
static size_t wrap_line(const char *s, size_t w, size_t *len, size_t *width)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    size_t col = 0;
    size_t brk = 0; /* 0: no place to break seen yet */
    size_t brk_col = 0;
    uint32_t prev = 0;
    while (u[i] != '\0') {
        size_t n = 0;
        uint32_t cp = decode(u + i, &n);
        size_t cw = cp_width(cp);
        if (i > 0 && ((cp == ' ' && prev != ' ') ||
                      (cp != ' ' && prev != ' ' && may_break(prev, cp)))) {
            brk = i;
            brk_col = col;
        }
        if (i > 0 && col + cw > w) {
            break;
        }
        col += cw;
        prev = cp;
        i += n;
    }
    size_t next = i;
    if (u[i] != '\0' && brk > 0) {
        next = brk;
        col = brk_col;
    }
    *len = next;
    while (*len > 0 && s[*len - 1] == ' ') {
        (*len)--;
        col--;
    }
    *width = col;
    while (s[next] == ' ') {
        next++;
    }
    return next;
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
                size_t next = wrap_line(c, width, &len, &lw);
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
                next = wrap_line(s, lay->w[c], &len, &w);
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
