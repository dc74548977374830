/** @file csvin.h
 *  @brief An office's CSV of figures, read into validated updates.
 *
 *  Each row is checked against an update_scope_t (the agent's region, which
 *  rows default to and must lie at or below, and the current month) by the
 *  rules of common/update, then the rows together (agent/csvin_rules). The
 *  file is taken whole or not at all: every bad row is reported
 *  ("FILE:LINE: FIELD: reason") and no row is returned when there is any.
 *  Findings that do not refuse the file are warnings ("FILE:LINE: warning:
 *  FIELD: reason") and notes ("FILE:LINE: note: ..."), handed back beside
 *  the rows or the errors. Only what is particular to files (encoding,
 *  columns, which columns a row fills, how clerks write fields) is decided
 *  here.
 *
 *  Encoding (agent/csvin_decode): UTF-8 (with or without BOM), UTF-16
 *  with a BOM, else GB18030 (a superset of GBK, as Excel in China saves
 *  CSV). An Excel workbook or other non-text file is named as such.
 *
 *  What offices save is read tolerantly: full-width forms fold to ASCII
 *  in every field and header (其中：, （含…）, ２０２５), title rows before
 *  the header are skipped (the header must be among the first
 *  CSVIN_HEADER_SEARCH rows), blank rows (Excel's ",,,,,") and columns
 *  with other names (备注) are ignored, the latter with a note.
 *
 *  Columns (header row, any order, names case-insensitive):
 *    indicator | 指标 | 指标名称 | 指标代码   code or Chinese name (其中:
 *                                          prefix optional)
 *    period    | 月份 | 期间 | 年月   YYYY-MM (also YYYY/MM, YYYYMM,
 *                                   YYYY-MM-DD, YYYY年MM月[份], YYYY.MM)
 *    value     | 数值 | 值    for counts (whole persons)
 *    numerator | 分子        for ratios, with
 *    denominator | 分母
 *    region    | 地区 | 地区代码 | 地区名称   optional; GB/T code or the
 *                                          catalog's name; default: the
 *                                          agent's region
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
 *    3. No error or warning line holds a control byte of the input (those
 *       read as '?'), so the lists split cleanly at '\n'.
 *    4. ERR_OK: no two rows give the same cell (indicator, region, month)
 *       different values, and no row's month is before the plan's first
 *       unless opts->allow_before_plan.
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
/** The header is looked for in this many first rows (titles above it). */
#define CSVIN_HEADER_SEARCH 5

/** How a file is read. Plain value struct; all zero is the default. */
typedef struct csvin_opts {
    int allow_before_plan; /**< accept months before the plan's first
                                (submit --allow-before-plan) */
} csvin_opts_t;

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

/** csvin_parse() with options, handing back the warnings too.
 *  @param opts          NULL for the defaults.
 *  @param[out] warnings May be NULL. Else, on any outcome: NULL when
 *                       there are none, or newline-separated lines
 *                       "NAME:LINE: warning: FIELD: reason" and
 *                       "NAME:LINE: note: ..." (at most CSVIN_MAX_ERRORS,
 *                       then "NAME: N more warnings"); caller owns and
 *                       must free(). */
int csvin_parse_ex(const char *name, const char *data, size_t len,
                   const update_scope_t *o, const csvin_opts_t *opts,
                   csvin_row_t **rows, size_t *n, char **errors,
                   char **warnings);

/** csvin_read_file() with options and warnings, as csvin_parse_ex(). */
int csvin_read_file_ex(const char *path, const update_scope_t *o,
                       const csvin_opts_t *opts, csvin_row_t **rows,
                       size_t *n, char **errors, char **warnings);

#endif
