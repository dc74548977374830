/** @file ranges.h
 *  @brief The collector's ranges file: bounds set by hand for an
 *         indicator in a region, outside which a stored figure is flagged
 *         as an outlier (reason "range"; store_set_ranges()).
 *
 *  The file is CSV with the header `indicator,region,min,max`: an
 *  indicator code (or its Chinese name), a region code (or name), and
 *  bounds in raw units (whole persons; a ratio's as a fraction, 0.95),
 *  either of which may be empty. `hrssctl ranges` prints one from the
 *  figures' history, to be edited.
 *
 *  Owns the table it returns. Borrows the catalog for the call.
 *
 *  INVARIANTS
 *    1. A file with a bad row is refused whole, naming the file, line,
 *       field and reason: an unknown indicator or region, a number that
 *       does not parse, is negative or not finite, a ratio bound above 1,
 *       min above max, a row without any bound, or a pair given twice.
 */
#ifndef HRSS_COLLECTOR_RANGES_H
#define HRSS_COLLECTOR_RANGES_H

#include "common/catalog.h"
#include "common/err.h"
#include "store/store.h"

/** Read @p path against @p cat. @return ERR_OK; ERR_IO (unreadable) or
 *  ERR_INVAL ("FILE:LINE: FIELD: reason") with @p err set. Caller owns
 *  *out and must ranges_destroy() it. */
int ranges_load(store_ranges_t **out, const char *path,
                const catalog_t *cat, char err[ERR_LEN]);

void ranges_destroy(store_ranges_t **self_p);

#endif
