/** @file render.h
 *  @brief Rows of typed cells printed one way for every command: an
 *         aligned table for people, CSV or JSON for scripts.
 *
 *  A command describes its columns once (type, table header, CSV
 *  header(s), JSON key(s)), adds rows of cells (admin/cell.h), and prints
 *  the result in the form asked for. A column may appear in only some
 *  forms: a table shows the plan's units and a Chinese name where CSV has
 *  the code and the name, JSON keeps keys the table has no room for.
 *
 *  Table: the header row, a rule, the rows, aligned by display width
 *  (admin/table.h); numbers, figures, shares and counts right-aligned,
 *  text left. An optional title (followed by a blank line), footer (after
 *  a blank line) and a text shown instead of a table without rows are
 *  printed only in the table form. A time column's header gets the
 *  display zone appended: "received (UTC+8)".
 *
 *  CSV: RFC 4180 (fields quoted when they hold a comma, quote, CR or LF;
 *  LF line ends), header row first, raw units.
 *
 *  JSON: an array of objects, one per row, keys in column order (or the
 *  order render_order_json() sets), raw units; render_json_row() and
 *  render_json_rows() let a command put them inside its own envelope.
 *
 *  On a screen (render_width): the table fits the screen's width as
 *  admin/table.h lays it out. A column may have a shorter header for a
 *  narrow screen (@p narrow), may wrap (RENDER_WRAP: names, lists,
 *  messages, never numbers), and may be left out when nothing else makes
 *  the table fit (@p drop: rank 1 first); a note after the footer then
 *  names what was left out and says that --wide shows it. Title, footer
 *  and empty text wrap at the screen's width. A table that fits is
 *  printed as without a screen. CSV and JSON never change.
 *
 *  A list too long to hold is printed in pieces, each piece's rows
 *  forgotten once printed: CSV (render_csv_flush), JSON
 *  (render_json_flush) and the table, in two passes over the rows
 *  (render_table_fit, then render_table_flush) since its columns are as
 *  wide as their widest cell.
 *
 *  Owns: a result (render_t) owns copies of its column descriptions and
 *  of every cell added, strings included, until render_destroy().
 *  Borrows nothing: what is passed in may go once the call returns.
 *
 *  INVARIANTS
 *    1. Every CSV line, the header row included, has the same number of
 *       fields: the sum over the CSV columns of cell_fields(type).
 *    2. Which column goes where, and under which header or key, is data
 *       in the column descriptions: nothing here knows a command.
 *    3. Cells are formatted only when printed, so one result prints the
 *       same rows in every form.
 *    4. Printed in pieces, a result prints what it would have printed
 *       whole, holding only the rows added since the last piece.
 *    5. The screen's width changes the table form only.
 */
#ifndef HRSS_RENDER_H
#define HRSS_RENDER_H
#include <stddef.h>
#include <stdio.h>

#include "admin/cell.h"

enum render_fmt { RENDER_TABLE, RENDER_CSV, RENDER_JSON };

/** Column flags. */
#define RENDER_NO_TABLE 1u  /**< not in the table */
#define RENDER_NO_CSV 2u    /**< not in CSV */
#define RENDER_NEST 4u      /**< JSON of a CELL_FIGURE ratio: {"numerator",
                                 "denominator"} rather than its fraction */
#define RENDER_WRAP 8u      /**< on a narrow screen the table may narrow
                                 the column to RENDER_WRAP_MIN and wrap
                                 its cells */

/** The narrowest a RENDER_WRAP column is cut to before columns are left
 *  out: eight Chinese characters. */
#define RENDER_WRAP_MIN 16

/** One column. Plain value struct; its strings are copied by
 *  render_new().
 *  - In the table when @p head is set and RENDER_NO_TABLE is not.
 *  - In CSV unless RENDER_NO_CSV: one-field types under @p csv, or
 *    @p head when @p csv is NULL; CELL_OF under @p csv and @p csv2;
 *    CELL_REGION and CELL_INDICATOR under @p csv (the code) and @p csv2
 *    (the name; @p head when NULL).
 *  - In JSON when @p json is set (CELL_OF: @p json and @p json2). */
typedef struct render_col {
    enum cell_type type; /**< every cell is of this type, ABSENT or NONE */
    const char *head;
    const char *csv;
    const char *csv2;
    const char *json;
    const char *json2;
    unsigned flags;
    const char *narrow;  /**< table header on a narrow screen; NULL: head */
    unsigned drop;       /**< 0: always in the table; else left out on a
                              screen too narrow, rank 1 first */
} render_col_t;

typedef struct render render_t;

/** New result with @p ncols columns (copied). Times are shown @p tz
 *  seconds east of UTC. Caller owns return value and must destroy it. */
render_t *render_new(const render_col_t *cols, size_t ncols, long tz);

/** Destroy and set *self_p to NULL; no-op on NULL. */
void render_destroy(render_t **self_p);

/** Append a row of ncols cells; the cells and their strings are copied. */
void render_add_row(render_t *self, const cell_t *cells);

/** Number of rows added so far. */
size_t render_rows(const render_t *self);

/** Lay the table out for a screen @p width columns wide; 0 (the
 *  default): no screen, every column whole. */
void render_width(render_t *self, size_t width);

/** Text printed above the table, then a blank line (table form only). */
void render_title(render_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Text printed after a blank line below the table (table form only). */
void render_footer(render_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Text printed instead of a table that has no rows (table form only). */
void render_empty(render_t *self, const char *text);

/** Order JSON keys by @p order (ncols column indexes, copied) rather than
 *  by column. */
void render_order_json(render_t *self, const size_t *order);

/** A text member @p key: @p value (copied) that every row's JSON object
 *  ends with, after the columns' (an as-of answer's "as_of"). Replaces
 *  the one set before. Only JSON has it. */
void render_json_member(render_t *self, const char *key, const char *value);

/** Print in form @p fmt: the table (with title, footer or the empty
 *  text), the CSV, or the JSON array of every row followed by a newline.
 */
void render_print(const render_t *self, enum render_fmt fmt, FILE *f);

/** CSV in pieces, for a list too long to hold: print the header row on
 *  the first call, then every row added since the last call, and forget
 *  those rows (their memory is reused by the next ones). The calls
 *  together print what render_print(RENDER_CSV) would have printed of
 *  all the rows. */
void render_csv_flush(render_t *self, FILE *f);

/** A table in two passes, for a list too long to hold: add the rows and
 *  call render_table_fit() (it measures them, then forgets them) until
 *  every row was fit; then add the same rows again and call
 *  render_table_flush() (its first call prints the title and the header
 *  row, then it prints the rows added since, and forgets them); then
 *  render_table_end() (the rest, the footer). The calls together print
 *  what render_print(RENDER_TABLE) would have printed of all the rows
 *  (the empty text when none was fit). A row of the second pass wider
 *  than those fit is printed whole, its columns not padded. */
void render_table_fit(render_t *self);
void render_table_flush(render_t *self, FILE *f);
void render_table_end(render_t *self, FILE *f);

/** JSON in pieces: render_json_flush() prints "[" on its first call, then
 *  every row added since the last call, and forgets them;
 *  render_json_end() prints the rest and "\n]" (no newline after it).
 *  Together they print what render_json_rows() would have printed of
 *  all the rows. */
void render_json_flush(render_t *self, FILE *f);
void render_json_end(render_t *self, FILE *f);

/** Print row @p row as one JSON object ({"key": value, ...}). */
void render_json_row(const render_t *self, size_t row, FILE *f);

/** Print every row as a JSON array: "[", each object on its own line
 *  indented by two spaces, then "\n]" (no newline after it). */
void render_json_rows(const render_t *self, FILE *f);

#endif
