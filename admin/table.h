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
 *    5. A column is as wide as its widest header or cell, added or fit.
 */
#ifndef HRSS_TABLE_H
#define HRSS_TABLE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct table table_t;

enum table_align { TABLE_LEFT, TABLE_RIGHT };

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

/** Display width of UTF-8 text in terminal columns. Invalid bytes count
 *  one column each. */
size_t table_text_width(const char *s);

#endif
