/** @file listing.h
 *  @brief `hrss-agent indicators` and `hrss-agent regions`: what the
 *         agent's catalog accepts in an office's file, as a table that
 *         lines up in a terminal (admin/table: a CJK character is two
 *         columns wide).
 *
 *  Owns nothing between calls; the catalog it loads is freed before it
 *  returns.
 *
 *  INVARIANTS
 *    1. One row per indicator, or per region at or below the one asked
 *       for, in catalog order; nothing but the table goes to @p out.
 *    2. Every row says what a file gives for it: an indicator's code and
 *       name (either may be written), what it counts or which two counts
 *       make its ratio; a region's code and name (either may be written).
 */
#ifndef HRSS_LISTING_H
#define HRSS_LISTING_H
#include <stdio.h>

#include "common/err.h"

/** What to list. */
enum listing_what { LISTING_INDICATORS, LISTING_REGIONS };

/** Load the catalog in @p catalog_dir (NULL: the installed one) and print
 *  the table of @p what to @p out. For regions, @p region (a code; NULL
 *  for all) limits the list to it and the regions below it.
 *  @return ERR_OK; ERR_NOTFOUND when @p region is no region of the
 *          catalog; ERR_IO or ERR_INVAL when the catalog does not load
 *          (@p err says why). Output errors are the caller's (ferror). */
int listing_print(enum listing_what what, const char *catalog_dir,
                  const char *region, FILE *out, char err[ERR_LEN]);

#endif
