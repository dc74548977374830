/** @file table.h
 *  @brief Terminal tables that line up with Chinese text.
 *
 *  Display width follows Unicode East Asian Width: Wide and Fullwidth
 *  characters (CJK ideographs, kana, hangul, fullwidth forms such as
 *  "（" and "％") take two columns; combining marks, zero-width format
 *  characters and controls zero; others one. A byte that does not start
 *  valid UTF-8 counts as one column. Neither the locale nor wcwidth() is
 *  consulted, so tables line up the same under LANG=C.
 *
 *  A table too long to hold is printed in two passes over its rows:
 *  table_fit() with every row (the columns widen, nothing is kept), then
 *  table_print_head() and table_print_row() with each row again. The
 *  lines are those table_print() would print had the rows been added.
 *
 *  A table may be fit to a screen (table_set_width): when its natural
 *  width (every column as wide as its widest header or cell, two spaces
 *  between columns) is wider than the screen, it gives way, in this
 *  order, until it fits: (1) every column with a short header
 *  (table_give_t.narrow) uses it; (2) the columns that may wrap
 *  (wrap_min) are narrowed, the widest first, down to their wrap_min, and
 *  their headers and cells wrap onto continuation lines (at spaces, or
 *  between wide characters); (3) columns with a drop rank are left out,
 *  rank 1 first (the narrowed columns then get back what they can); (4)
 *  the columns that wrap go down to 2 (one wide character). Other
 *  columns (numbers) are never cut. A table that fits is printed as it
 *  would be without a screen; the rule never runs past the screen, but a
 *  screen too narrow even for (4) gets rows wider than itself.
 *
 *  Owns: a table owns copies of its headers, alignments and cells, until
 *  table_destroy(). Borrows nothing.
 *
 *  INVARIANTS
 *    1. table_print() pads by the width of what it writes: every control
 *       character (C0, C1, DEL) is printed as a space and every invalid
 *       byte as '?', so imported text can neither break the alignment
 *       nor send escape sequences to the terminal.
 *    2. For text without controls or invalid bytes, table_text_width() is
 *       the width table_print() pads by.
 *    3. No printed line ends in a space.
 *    4. No global mutable state: every function is reentrant.
 *    5. A column is as wide as its widest header or cell, added or fit,
 *       unless the table was narrowed to fit a screen.
 *    6. With a screen width set, a line is wider than the screen only when
 *       the columns that are never cut (with two spaces between them and
 *       2 for each wrapping column) are: never the rule.
 */
#ifndef HRSS_TABLE_H
#define HRSS_TABLE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct table table_t;

enum table_align { TABLE_LEFT, TABLE_RIGHT };

/** How a column gives way on a screen too narrow for the table. Plain
 *  value struct; zero: it does not. */
typedef struct table_give {
    const char *narrow;  /**< shorter header when the table does not fit;
                              NULL: the header (copied) */
    size_t wrap_min;     /**< 0: never narrowed; else the column may be
                              narrowed to this many columns (at least 2),
                              its header and cells wrapped */
    unsigned drop;       /**< 0: always shown; else left out when nothing
                              else makes the table fit, rank 1 first */
} table_give_t;

/** New table with @p ncols columns. @p headers and @p align are copied.
 *  Caller owns the table and must table_destroy() it. */
table_t *table_new(size_t ncols, const char *const *headers,
                   const enum table_align *align);

/** Append a row of @p ncols cells (copied; NULL prints as empty). */
void table_add_row(table_t *t, const char *const *cells);

/** Number of rows added so far. */
size_t table_rows(const table_t *t);

/** Widen the columns to fit a row of @p ncols cells (NULL: empty) as
 *  table_print() would print it; the row is not kept. */
void table_fit(table_t *t, const char *const *cells);

/** Print the header row and the rule, as wide as the headers and every
 *  row added or fit so far. */
void table_print_head(const table_t *t, FILE *f);

/** Print one row of @p ncols cells (NULL: empty), padded to the widths
 *  so far; a cell wider than its column (not fit) is printed whole. */
void table_print_row(const table_t *t, const char *const *cells, FILE *f);

/** Print: the header row, a rule of '-' as wide as each column, then the
 *  rows; columns separated by two spaces, each padded to its widest cell
 *  by display width (left or right aligned); no trailing spaces. */
void table_print(const table_t *t, FILE *f);

/** Destroy and set *self_p to NULL; no-op on NULL. */
void table_destroy(table_t **self_p);

/** How column @p col (< ncols) gives way on a narrow screen; @p g is
 *  copied. */
void table_set_give(table_t *t, size_t col, const table_give_t *g);

/** Fit the table to a screen @p width columns wide (0: no screen, the
 *  default: the table as wide as it takes). Takes effect at the next
 *  print, over the widths added or fit by then. */
void table_set_width(table_t *t, size_t width);

/** Whether column @p col is printed at the screen's width, with the
 *  widths added or fit so far (false: left out to fit). */
int table_shown(const table_t *t, size_t col);

/** Print @p text followed by a newline: each of its lines (LF-separated)
 *  as is when it fits @p width columns (or @p width is 0), else wrapped
 *  as a table's cells wrap, without trailing spaces. @p text is printed
 *  as table_print() prints a cell but for its LFs (controls as spaces,
 *  invalid bytes as '?'). */
void table_print_text(const char *text, size_t width, FILE *f);

/** Display width of UTF-8 text in terminal columns. Invalid bytes count
 *  one column each. */
size_t table_text_width(const char *s);

#endif
