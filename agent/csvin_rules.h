/** @file csvin_rules.h
 *  @brief The rules about a file's rows taken together (part of the csvin
 *         module): one figure given twice, a count 1,000 times its own
 *         previous month, an "of which" figure above its whole.
 *
 *  Each row on its own has passed csvin's checks; these look at the rows
 *  of one file side by side:
 *    - two rows for the same cell (indicator, region, month) with
 *      different values: an error (which one is right?);
 *    - the same cell twice with the same value: a warning;
 *    - a count 1,000 times (or more) above or below the same cell's
 *      previous month in the file, both positive: a warning ("typed in
 *      万人?");
 *    - a count whose indicator is part_of another above that other's
 *      figure for the same region and month in the file: a warning.
 *
 *  Owns nothing; borrows the catalog and the rows for the call.
 *
 *  INVARIANTS
 *    1. Rows are only read; the report sees lines of the file in no
 *       particular order (csvin sorts nothing it hands out).
 *    2. Work is O(n log n) in the rows, whatever they hold.
 */
#ifndef HRSS_CSVIN_RULES_H
#define HRSS_CSVIN_RULES_H
#include <stddef.h>

#include "agent/csvin.h"
#include "common/catalog.h"

/** Told of each finding: @p is_error 1 for an error, 0 for a warning;
 *  @p line the row's CSV line; @p field the column ("value", ...) or
 *  NULL; @p msg the reason (borrowed for the call). */
typedef void (*csvin_rules_fn)(void *arg, int is_error, size_t line,
                               const char *field, const char *msg);

/** Check @p rows[n] together and report each finding to @p fn. */
void csvin_rules_check(const catalog_t *cat, const csvin_row_t *rows,
                       size_t n, csvin_rules_fn fn, void *arg);

#endif
