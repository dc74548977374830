/** @file table.h
 *  @brief Terminal tables that line up with Chinese text.
 *
 *  Display width follows Unicode East Asian Width: Wide and Fullwidth
 *  characters (CJK ideographs, kana, hangul, fullwidth forms such as
 *  "（" and "％") take two columns, combining marks zero, others one.
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
