/* render.c: one layout for every answer: table, CSV or JSON.
 *
 * The result keeps copies of its cells and formats them only when it is
 * printed, in the form asked for: cell_show() for the table (laid out by
 * admin/table.c, which measures display width), cell_csv() for CSV,
 * cell_put_json() for JSON. Which column goes where, and under which
 * header or key, is data in the column descriptions; nothing here knows a
 * command.
 *
 * Text in a result may come from the wire, from office files or from an
 * old store, so it is shown through common/text's one rule: in the table
 * (cells, title, footer, empty text) and in CSV every control becomes
 * U+FFFD, as does ill-formed UTF-8, but for the LF of CSV fields (quoted,
 * RFC 4180) and of multi-line titles and footers; JSON escapes controls
 * instead (common/json). U+FFFD is one column wide, so a cleaned cell is
 * measured as it is printed and the table lines up.
 *
 * Alignment follows the column's type: whatever is a number for people
 * (counts, figures, plan values, shares, "n/m", ids) is right-aligned,
 * everything else left-aligned.
 *
 * CSV may also be printed in pieces (render_csv_flush: the header once,
 * then the rows added since, which are then forgotten), so that a list
 * too long to hold (an export) is printed page by page in the memory of
 * one page; so may JSON (render_json_flush), and the table in two passes
 * over the same rows (a completeness): render_table_fit() widens the
 * columns of a table that holds no row (`stream`) and forgets the rows,
 * render_table_flush() prints the rows against those widths. What is
 * printed in pieces is what render_print() prints: the same title,
 * header row, rule, rows, empty text and footer, in the same places.
 *
 * A screen's width (render_width) is handed to the table with each
 * column's way of giving way (a narrow header, RENDER_WRAP, a drop
 * rank): admin/table.c decides the layout. Here only the text around the
 * table wraps, and a note names the columns left out, so that a reader
 * never takes a missing column for a missing figure.
 *
 * INVARIANTS
 *   1. A live result has magic == RENDER_MAGIC; destroy overwrites it.
 *   2. cells holds nrows * ncols owned cell_dup() copies, row-major;
 *      nrows <= cap.
 *   3. Every column's strings are owned copies; json_order, when set, is
 *      a permutation of 0..ncols-1.
 *   4. Every CSV line has the same number of fields: the sum over the CSV
 *      columns of cell_fields(type).
 *   5. What render_print() writes is valid UTF-8 with no control
 *      character but LF (and JSON's escapes): no cell can send an escape
 *      sequence to a terminal.
 *   6. render_csv_flush() prints the header row once, on its first call,
 *      and each row once; so do render_table_flush() and
 *      render_json_flush() ("[" for JSON). stream, when set, holds no row.
 */
#include "admin/render.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin/table.h"
#include "admin/zone.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/text.h"

#define RENDER_MAGIC 0x5E4DE7EDu
#define RENDER_DEAD 0xDEADBEEFu

struct render {
    unsigned magic;
    size_t ncols;
    render_col_t *cols;   /* owned strings */
    cell_t *cells;        /* nrows * ncols owned copies */
    size_t nrows;
    size_t cap;           /* rows allocated */
    long tz;
    char *title;          /* NULL when none */
    char *footer;
    char *empty;
    size_t *json_order;   /* NULL: column order */
    char *json_key;       /* render_json_member(): NULL when none */
    char *json_value;
    bool csv_started;     /* render_csv_flush() printed the header */
    table_t *stream;      /* the table printed in pieces: widths only */
    size_t fitted;        /* rows render_table_fit() measured */
    bool table_started;   /* render_table_flush() printed the title */
    bool table_empty;     /* ... and the empty text (nothing was fit) */
    bool table_head;      /* ... and the header row */
    bool json_started;    /* render_json_flush() printed "[" */
    size_t json_printed;  /* rows it printed */
    size_t width;         /* the screen's; 0: none */
};

#ifndef NDEBUG
static bool check_invariants(const render_t *r)
{
    if (r == NULL || r->magic != RENDER_MAGIC || r->cols == NULL ||
        r->nrows > r->cap) {
        return false;
    }
    if (r->json_order != NULL) {
        for (size_t c = 0; c < r->ncols; c++) {
            if (r->json_order[c] >= r->ncols) {
                return false;
            }
        }
    }
    return true;
}
#endif

static const char *dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

static void release(const char *s)
{
    free((void *)(uintptr_t)s);
}

/* @p s as text_clean() shows it, in a new string. */
static char *cleaned(const char *s, unsigned flags)
{
    size_t n = text_clean(NULL, 0, s, flags) + 1;
    char *c = xmalloc(n);
    text_clean(c, n, s, flags);
    return c;
}

render_t *render_new(const render_col_t *cols, size_t ncols, long tz)
{
    assert(cols != NULL && ncols > 0);
    render_t *r = xcalloc(1, sizeof *r);
    r->magic = RENDER_MAGIC;
    r->ncols = ncols;
    r->tz = tz;
    r->cols = xcalloc(ncols, sizeof *r->cols);
    for (size_t c = 0; c < ncols; c++) {
        r->cols[c] = cols[c];
        r->cols[c].head = dup_or_null(cols[c].head);
        r->cols[c].csv = dup_or_null(cols[c].csv);
        r->cols[c].csv2 = dup_or_null(cols[c].csv2);
        r->cols[c].json = dup_or_null(cols[c].json);
        r->cols[c].json2 = dup_or_null(cols[c].json2);
        r->cols[c].narrow = dup_or_null(cols[c].narrow);
    }
    assert(check_invariants(r));
    return r;
}

void render_destroy(render_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    render_t *r = *self_p;
    assert(check_invariants(r));
    for (size_t i = 0; i < r->nrows * r->ncols; i++) {
        cell_fini(&r->cells[i]);
    }
    free(r->cells);
    for (size_t c = 0; c < r->ncols; c++) {
        release(r->cols[c].head);
        release(r->cols[c].csv);
        release(r->cols[c].csv2);
        release(r->cols[c].json);
        release(r->cols[c].json2);
        release(r->cols[c].narrow);
    }
    free(r->cols);
    free(r->title);
    free(r->footer);
    free(r->empty);
    free(r->json_order);
    free(r->json_key);
    free(r->json_value);
    table_destroy(&r->stream);
    r->magic = RENDER_DEAD;
    free(r);
    *self_p = NULL;
}

void render_add_row(render_t *self, const cell_t *cells)
{
    assert(check_invariants(self));
    if (self->nrows == self->cap) {
        self->cap = self->cap == 0 ? 16 : self->cap * 2;
        self->cells = xreallocarray(self->cells, self->cap * self->ncols,
                                    sizeof *self->cells);
    }
    cell_t *row = self->cells + self->nrows * self->ncols;
    for (size_t c = 0; c < self->ncols; c++) {
        assert(cells[c].type == self->cols[c].type ||
               cells[c].type == CELL_ABSENT || cells[c].type == CELL_NONE);
        row[c] = cell_dup(&cells[c]);
    }
    self->nrows++;
}

size_t render_rows(const render_t *self)
{
    assert(check_invariants(self));
    return self->nrows;
}

/* printf into a new string. */
__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt,
                                                           va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    assert(n >= 0);
    char *s = xmalloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, again);
    va_end(again);
    return s;
}

void render_width(render_t *self, size_t width)
{
    assert(check_invariants(self));
    self->width = width;
}

void render_title(render_t *self, const char *fmt, ...)
{
    va_list ap;
    assert(check_invariants(self));
    va_start(ap, fmt);
    free(self->title);
    self->title = vformat(fmt, ap);
    va_end(ap);
}

void render_footer(render_t *self, const char *fmt, ...)
{
    va_list ap;
    assert(check_invariants(self));
    va_start(ap, fmt);
    free(self->footer);
    self->footer = vformat(fmt, ap);
    va_end(ap);
}

void render_empty(render_t *self, const char *text)
{
    assert(check_invariants(self));
    free(self->empty);
    self->empty = xstrdup(text);
}

void render_json_member(render_t *self, const char *key, const char *value)
{
    assert(check_invariants(self));
    free(self->json_key);
    free(self->json_value);
    self->json_key = xstrdup(key);
    self->json_value = xstrdup(value);
}

void render_order_json(render_t *self, const size_t *order)
{
    free(self->json_order);
    self->json_order = xcalloc(self->ncols, sizeof *self->json_order);
    memcpy(self->json_order, order, self->ncols * sizeof *order);
    assert(check_invariants(self));
}

/* ------------------------------------------------------------------ */
/* table                                                               */

static bool in_table(const render_col_t *col)
{
    return col->head != NULL && !(col->flags & RENDER_NO_TABLE);
}

static enum table_align align_of(enum cell_type t)
{
    switch (t) {
    case CELL_INT:
    case CELL_ID:
    case CELL_REAL:
    case CELL_FIGURE:
    case CELL_PLAN:
    case CELL_SHARE:
    case CELL_OF:
        return TABLE_RIGHT;
    default:
        return TABLE_LEFT;
    }
}

/* The header of @p col, with the display zone for a time column. */
static char *header(const render_t *r, const render_col_t *col,
                    const char *text)
{
    if (col->type != CELL_TIME) {
        return xstrdup(text);
    }
    char zone[ZONE_LABEL_LEN];
    zone_label(r->tz, zone, sizeof zone);
    size_t n = strlen(text) + strlen(zone) + 4;
    char *s = xmalloc(n);
    snprintf(s, n, "%s (%s)", text, zone);
    return s;
}

static size_t table_cols(const render_t *r)
{
    size_t n = 0;
    for (size_t c = 0; c < r->ncols; c++) {
        n += in_table(&r->cols[c]);
    }
    return n;
}

/* A table with the result's table columns, no rows; NULL when it has
 * none. */
static table_t *new_table(const render_t *r)
{
    size_t n = table_cols(r);
    if (n == 0) {
        return NULL;
    }
    char **heads = xcalloc(n, sizeof *heads);
    enum table_align *align = xcalloc(n, sizeof *align);
    n = 0;
    for (size_t c = 0; c < r->ncols; c++) {
        if (in_table(&r->cols[c])) {
            heads[n] = header(r, &r->cols[c], r->cols[c].head);
            align[n] = align_of(r->cols[c].type);
            n++;
        }
    }
    table_t *t = table_new(n, (const char *const *)heads, align);
    table_set_width(t, r->width);
    n = 0;
    for (size_t c = 0; c < r->ncols; c++) {
        const render_col_t *col = &r->cols[c];
        if (!in_table(col)) {
            continue;
        }
        char *narrow = col->narrow != NULL ? header(r, col, col->narrow)
                                           : NULL;
        table_give_t give = {narrow,
                             col->flags & RENDER_WRAP ? RENDER_WRAP_MIN : 0,
                             col->drop};
        table_set_give(t, n++, &give);
        free(narrow);
    }
    for (size_t c = 0; c < n; c++) {
        free(heads[c]);
    }
    free(heads);
    free(align);
    return t;
}

/* Text around the table (title, footer, empty text) and a newline:
 * cleaned, and wrapped at the screen's width. */
static void put_text(const render_t *r, const char *text, FILE *f)
{
    if (r->width == 0) {
        text_put_clean(f, text, TEXT_KEEP_LF);
        fputc('\n', f);
        return;
    }
    char *s = cleaned(text, TEXT_KEEP_LF);
    table_print_text(s, r->width, f);
    free(s);
}

/* After the footer: which columns @p t left out to fit the screen, so
 * that none is taken for a figure that is missing. */
static void put_left_out(const render_t *r, const table_t *t, FILE *f)
{
    if (t == NULL || r->width == 0) {
        return;
    }
    char *note = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&note, &len);
    if (m == NULL) {
        return;
    }
    size_t k = 0;
    size_t out = 0;
    for (size_t c = 0; c < r->ncols; c++) {
        if (!in_table(&r->cols[c])) {
            continue;
        }
        if (!table_shown(t, k++)) {
            fprintf(m, "%s%s", out++ > 0 ? ", " : "", r->cols[c].head);
        }
    }
    fprintf(m, " left out to fit %zu columns; --wide shows %s.", r->width,
            out > 1 ? "them" : "it");
    fclose(m);
    if (out > 0) {
        fputc('\n', f);
        put_text(r, note, f);
    }
    free(note);
}

/* Row @p i's table cells as shown (cleaned) into @p cells; @return how
 * many, each to be freed (free_shown). */
static size_t shown_row(const render_t *r, size_t i, char **cells)
{
    size_t k = 0;
    for (size_t c = 0; c < r->ncols; c++) {
        if (in_table(&r->cols[c])) {
            char *shown = cell_show(&r->cells[i * r->ncols + c], r->tz);
            cells[k++] = cleaned(shown, 0);
            free(shown);
        }
    }
    return k;
}

static void free_shown(char **cells, size_t k)
{
    for (size_t c = 0; c < k; c++) {
        free(cells[c]);
    }
}

/* Print the table of every row; @return it (NULL when it has no
 * column), for put_left_out(); the caller destroys it. */
static table_t *print_table(const render_t *r, FILE *f)
{
    table_t *t = new_table(r);
    if (t == NULL) {
        return NULL;
    }
    char **cells = xcalloc(r->ncols, sizeof *cells);
    for (size_t i = 0; i < r->nrows; i++) {
        size_t k = shown_row(r, i, cells);
        table_add_row(t, (const char *const *)cells);
        free_shown(cells, k);
    }
    table_print(t, f);
    free(cells);
    return t;
}

/* Forget the rows added so far (printed in pieces); their memory is
 * reused by the next ones. */
static void forget_rows(render_t *r)
{
    for (size_t i = 0; i < r->nrows * r->ncols; i++) {
        cell_fini(&r->cells[i]);
    }
    r->nrows = 0;
}

void render_table_fit(render_t *self)
{
    assert(check_invariants(self));
    if (self->stream == NULL) {
        self->stream = new_table(self);
    }
    if (self->stream != NULL) {
        char **cells = xcalloc(self->ncols, sizeof *cells);
        for (size_t i = 0; i < self->nrows; i++) {
            size_t k = shown_row(self, i, cells);
            table_fit(self->stream, (const char *const *)cells);
            free_shown(cells, k);
        }
        free(cells);
    }
    self->fitted += self->nrows;
    forget_rows(self);
}

void render_table_flush(render_t *self, FILE *f)
{
    assert(check_invariants(self));
    if (!self->table_started) {
        self->table_started = true;
        if (self->stream == NULL) {
            self->stream = new_table(self);
        }
        if (self->title != NULL) {
            put_text(self, self->title, f);
            fputc('\n', f);
        }
        /* render_print()'s test, over both passes. */
        if (self->fitted == 0 && self->nrows == 0 && self->empty != NULL) {
            put_text(self, self->empty, f);
            self->table_empty = true;
        }
    }
    /* Rows after the empty text (none were fit) still get their header. */
    if (!self->table_head && (!self->table_empty || self->nrows > 0)) {
        self->table_head = true;
        if (self->stream != NULL) {
            table_print_head(self->stream, f);
        }
    }
    if (self->stream != NULL) {
        char **cells = xcalloc(self->ncols, sizeof *cells);
        for (size_t i = 0; i < self->nrows; i++) {
            size_t k = shown_row(self, i, cells);
            table_print_row(self->stream, (const char *const *)cells, f);
            free_shown(cells, k);
        }
        free(cells);
    }
    forget_rows(self);
}

void render_table_end(render_t *self, FILE *f)
{
    render_table_flush(self, f);
    if (self->footer != NULL) {
        fputc('\n', f);
        put_text(self, self->footer, f);
    }
    put_left_out(self, self->table_head ? self->stream : NULL, f);
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */

static bool in_csv(const render_col_t *col)
{
    return !(col->flags & RENDER_NO_CSV) &&
           (col->csv != NULL || col->head != NULL);
}

/* Write one CSV field, cleaned (LF is the one control kept), quoted when
 * it holds a comma, quote, CR or LF. */
static void csv_field(const char *raw, FILE *f)
{
    char *s = cleaned(raw, TEXT_KEEP_LF);
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        free(s);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] == '"') {
            fputc('"', f);
        }
        fputc(s[i], f);
    }
    fputc('"', f);
    free(s);
}

/* Write the fields of one line, then LF. A line that is one empty field
 * would be a blank line, which CSV readers (ours included) skip: it is
 * written as "" so that the row survives. */
static void csv_line(char *const *fields, size_t n, FILE *f)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            fputc(',', f);
        }
        csv_field(fields[i], f);
    }
    if (n == 1 && fields[0][0] == '\0') {
        fputs("\"\"", f);
    }
    fputc('\n', f);
}

/* The CSV headers of @p col into @p out; returns how many. */
static size_t csv_headers(const render_t *r, const render_col_t *col,
                          char *out[CELL_MAX_FIELDS])
{
    const char *first = col->csv != NULL ? col->csv : col->head;
    out[0] = header(r, col, first);
    if (cell_fields(col->type) == 1) {
        return 1;
    }
    const char *second = col->csv2;
    if (second == NULL && col->type != CELL_OF) {
        second = col->head;
    }
    out[1] = xstrdup(second != NULL ? second : "");
    return 2;
}

/* CSV lines: the header row when @p header, then every row. */
static void print_csv_lines(const render_t *r, int header, FILE *f)
{
    size_t width = 0;
    for (size_t c = 0; c < r->ncols; c++) {
        width += in_csv(&r->cols[c]) ? cell_fields(r->cols[c].type) : 0;
    }
    /* cell_csv() may clear CELL_MAX_FIELDS entries at the last column. */
    char **fields = xcalloc(width + CELL_MAX_FIELDS, sizeof *fields);
    for (size_t i = header ? 0 : 1; i <= r->nrows; i++) {
        size_t n = 0;
        for (size_t c = 0; c < r->ncols; c++) {
            const render_col_t *col = &r->cols[c];
            if (!in_csv(col)) {
                continue;
            }
            /* Line 0 is the header row. */
            if (i == 0) {
                n += csv_headers(r, col, fields + n);
            } else {
                cell_csv(&r->cells[(i - 1) * r->ncols + c], col->type,
                         r->tz, fields + n);
                n += cell_fields(col->type);
            }
        }
        assert(n == width);
        csv_line(fields, n, f);
        for (size_t k = 0; k < n; k++) {
            free(fields[k]);
        }
    }
    free(fields);
}

static void print_csv(const render_t *r, FILE *f)
{
    print_csv_lines(r, 1, f);
}

void render_csv_flush(render_t *self, FILE *f)
{
    assert(check_invariants(self));
    print_csv_lines(self, !self->csv_started, f);
    self->csv_started = true;
    forget_rows(self);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

void render_json_row(const render_t *self, size_t row, FILE *f)
{
    assert(check_invariants(self));
    assert(row < self->nrows);
    const char *sep = "";
    fputc('{', f);
    for (size_t k = 0; k < self->ncols; k++) {
        size_t c = self->json_order != NULL ? self->json_order[k] : k;
        const render_col_t *col = &self->cols[c];
        const cell_t *cell = &self->cells[row * self->ncols + c];
        if (col->json == NULL || cell->type == CELL_ABSENT) {
            continue;
        }
        fputs(sep, f);
        cell_put_json(cell, col->json, col->json2,
                      (col->flags & RENDER_NEST) != 0, f);
        sep = ", ";
    }
    if (self->json_key != NULL) {
        fputs(sep, f);
        json_put_str(f, self->json_key);
        fputs(": ", f);
        json_put_str(f, self->json_value);
    }
    fputc('}', f);
}

void render_json_rows(const render_t *self, FILE *f)
{
    assert(check_invariants(self));
    fputc('[', f);
    for (size_t i = 0; i < self->nrows; i++) {
        fputs(i > 0 ? ",\n  " : "\n  ", f);
        render_json_row(self, i, f);
    }
    fputs("\n]", f);
}

void render_json_flush(render_t *self, FILE *f)
{
    assert(check_invariants(self));
    if (!self->json_started) {
        fputc('[', f);
        self->json_started = true;
    }
    for (size_t i = 0; i < self->nrows; i++) {
        fputs(self->json_printed++ > 0 ? ",\n  " : "\n  ", f);
        render_json_row(self, i, f);
    }
    forget_rows(self);
}

void render_json_end(render_t *self, FILE *f)
{
    render_json_flush(self, f);
    fputs("\n]", f);
}

void render_print(const render_t *self, enum render_fmt fmt, FILE *f)
{
    assert(check_invariants(self));
    switch (fmt) {
    case RENDER_JSON:
        render_json_rows(self, f);
        fputc('\n', f);
        break;
    case RENDER_CSV:
        print_csv(self, f);
        break;
    case RENDER_TABLE: {
        table_t *t = NULL;
        if (self->title != NULL) {
            put_text(self, self->title, f);
            fputc('\n', f);
        }
        if (self->nrows == 0 && self->empty != NULL) {
            put_text(self, self->empty, f);
        } else {
            t = print_table(self, f);
        }
        if (self->footer != NULL) {
            fputc('\n', f);
            put_text(self, self->footer, f);
        }
        put_left_out(self, t, f);
        table_destroy(&t);
        break;
    }
    }
}
