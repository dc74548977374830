/** @file table_int.h
 *  @brief Inside admin/table: display width and wrapping of UTF-8 text
 *         (table_text.c), shared with the table itself (table.c). Not
 *         for other modules: they use admin/table.h.
 *
 *  Owns nothing: pure functions of their arguments.
 */
#ifndef HRSS_TABLE_INT_H
#define HRSS_TABLE_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Returned by table_decode() for a byte that does not start valid
 *  UTF-8. */
#define TABLE_BAD_CP 0xFFFFFFFFu

/** C0 and C1 controls and DEL. */
bool table_is_control(uint32_t cp);

/** Columns @p cp takes: 0 (controls, combining and format characters),
 *  2 (East Asian Wide and Fullwidth) or 1. */
size_t table_cp_width(uint32_t cp);

/** Decode the sequence at s[0] of a NUL-terminated string (s[0] is not
 *  NUL). Sets *n to the bytes consumed (1 for an invalid byte).
 *  @return the code point, or TABLE_BAD_CP. */
uint32_t table_decode(const unsigned char *s, size_t *n);

/** The first line of @p s (sanitised: valid UTF-8, no control) wrapped
 *  at @p w columns: *len bytes of @p s, *width columns, no trailing
 *  space. At least one character is taken, even one wider than @p w.
 *  @return where the next line starts (its leading spaces skipped). */
size_t table_wrap_line(const char *s, size_t w, size_t *len,
                       size_t *width);

#endif
