/** @file table.h
 *  @brief Terminal tables that line up with Chinese text, and number
 *         formatting for people (thousands separators).
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

/** Print as RFC 4180 CSV (header row first; fields quoted when they hold
 *  a comma, quote, CR or LF; CRLF line ends are not used: LF). */
void table_print_csv(const table_t *t, FILE *f);

/** Destroy and set *self_p to NULL; no-op on NULL. */
void table_destroy(table_t **self_p);

/** Display width of UTF-8 text in terminal columns. Invalid bytes count
 *  one column each. */
size_t text_width(const char *s);

/** @p v with thousands separators: 1234567 -> "1,234,567", -1234 ->
 *  "-1,234". @p buf of at least 32 bytes. */
void fmt_int(int64_t v, char *buf, size_t len);

/** @p v rounded to @p decimals (0..6) with thousands separators in the
 *  integer part: 4355.004 with 2 -> "4,355.00". Non-finite -> "-". */
void fmt_fixed(double v, int decimals, char *buf, size_t len);

/** Write one CSV field, quoted when needed. */
void csv_put_field(FILE *f, const char *s);

#endif
