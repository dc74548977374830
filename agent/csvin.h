/** @file csvin.h
 *  @brief An office's CSV of figures, read into validated updates.
 *
 *  Each row is checked against an update_scope_t (the agent's region, which
 *  rows default to and must lie at or below, and the current month) by the
 *  rules of common/update. The file is taken whole or not at all: every
 *  bad row is reported ("FILE:LINE: FIELD: reason") and no row is returned
 *  when there is any. Encoding is detected: UTF-8 (with or without BOM),
 *  else GB18030 (a superset of GBK, as Excel in China saves CSV),
 *  converted with iconv. Only what is particular to files (encoding,
 *  columns, which columns a row fills) is decided here.
 *
 *  Columns (header row, any order, names case-insensitive):
 *    indicator | 指标        code or Chinese name (其中: prefix optional)
 *    period    | 月份 | 期间  YYYY-MM (also YYYY/MM, YYYYMM, YYYY-MM-DD)
 *    value     | 数值 | 值    for counts
 *    numerator | 分子        for ratios, with
 *    denominator | 分母
 *    region    | 地区 | 地区代码   optional; GB/T code; default: the
 *                                  agent's region
 *
 *  Owns nothing between calls. The rows array and the error text a call
 *  returns are the caller's to free(); each row's indicator code is
 *  borrowed from the scope's catalog, valid as long as it.
 *
 *  INVARIANTS
 *    1. ERR_OK: *errors is NULL, *n <= CSVIN_MAX_ROWS and every row
 *       passes update_check() against the scope (with seq 0).
 *    2. Failure: *rows is NULL, *n is 0 and *errors is a non-empty list
 *       of at most CSVIN_MAX_ERRORS + 1 lines.
 *    3. No error line holds a control byte of the input (those read as
 *       '?'), so the list splits cleanly at '\n'.
 */
#ifndef HRSS_CSVIN_H
#define HRSS_CSVIN_H
#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"
#include "common/err.h"
#include "common/update.h"

/** Most errors listed for one file; later ones are counted only. */
#define CSVIN_MAX_ERRORS 100
/** Most data rows in one file. */
#define CSVIN_MAX_ROWS 1000000

/** One validated figure. Plain value struct. */
typedef struct csvin_row {
    int indicator;     /**< catalog index */
    update_t update;   /**< seq 0; indicator is the catalog code, borrowed
                            from the catalog */
    size_t line;       /**< CSV line the row came from */
} csvin_row_t;

/** Read and validate the CSV file at @p path.
 *  @param[out] rows    On ERR_OK: array of *n rows in file order; caller
 *                      owns and must free(). NULL on failure.
 *  @param[out] errors  On ERR_INVAL/ERR_IO: newline-separated messages,
 *                      "PATH:LINE: FIELD: reason" (at most
 *                      CSVIN_MAX_ERRORS, then "PATH: N more errors");
 *                      caller owns and must free(). NULL on ERR_OK.
 *  @return ERR_OK, ERR_IO (unreadable), ERR_INVAL (any bad row, bad
 *          header, bad encoding, empty file, too many rows). */
int csvin_read_file(const char *path, const update_scope_t *o,
                    csvin_row_t **rows, size_t *n, char **errors);

/** The same for @p len bytes at @p data; @p name is used in messages. */
int csvin_parse(const char *name, const char *data, size_t len,
                const update_scope_t *o, csvin_row_t **rows, size_t *n,
                char **errors);

#endif
