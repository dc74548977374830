/** @file resolve.h
 *  @brief Internal to the query server (store/query): request fields
 *         (indicator code or name, region code or 0, series step) resolved
 *         against the catalog, with error messages that say what was wrong.
 *
 *  Owns nothing; every returned string is borrowed from the catalog (valid
 *  as long as it) or, for resolve_str(), from the request.
 *
 *  INVARIANTS
 *    1. ERR_OK implies the outputs name catalog entries: codes, never a
 *       Chinese name; region 0 resolved to the root's code.
 *    2. On failure @p err says what was wrong, within ERR_LEN bytes
 *       whatever the size of the input.
 */
#ifndef HRSS_STORE_RESOLVE_H
#define HRSS_STORE_RESOLVE_H
#include <stdint.h>

#include "common/catalog.h"
#include "common/err.h"
#include "common/period.h"

/** A string from the request: protobuf-c leaves an absent one NULL; this
 *  returns "" for it. */
const char *resolve_str(const char *s);

/** Index of the indicator whose code or Chinese name is @p key.
 *  @return ERR_OK, or ERR_NOTFOUND with "unknown indicator 'x'; did you
 *          mean: a, b, c?" in @p err. */
int resolve_indicator(const catalog_t *cat, const char *key,
                      int *out, /* OUT: catalog index */
                      char err[ERR_LEN]);

/** The catalog code of region @p code; 0 means the root.
 *  @return ERR_OK, or ERR_NOTFOUND with @p err set (*out = 0). */
int resolve_region(const catalog_t *cat, uint32_t code,
                   uint32_t *out, /* OUT: catalog region code */
                   char err[ERR_LEN]);

/** What a total-like request names: indicator code and region code. */
typedef struct resolve_target {
    const char *code; /**< borrowed from the catalog */
    uint32_t region;
} resolve_target_t;

/** resolve_indicator() (NULL read as "") then resolve_region(). */
int resolve_target(const catalog_t *cat, const char *indicator,
                   uint32_t region, resolve_target_t *t, char err[ERR_LEN]);

/** "month", "quarter" or "year" into @p out; else ERR_INVAL. */
int resolve_step(const char *by, enum period_kind *out, char err[ERR_LEN]);

#endif
