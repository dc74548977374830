/** @file csvin_fields.h
 *  @brief Fields as clerks write them (part of the csvin module): an
 *         indicator's name with stray spaces, a month in Chinese or with a
 *         dot, a region by its name.
 *
 *  Each function reads one field that csvin has already folded
 *  (full-width forms to ASCII) and trimmed. Reasons are written without
 *  the field's name, as common/update writes them.
 *
 *  Owns nothing; borrows the catalog for the call.
 *
 *  INVARIANTS
 *    1. A reason never holds a control byte of the input (quoted through
 *       update_quote()) and fits ERR_LEN.
 *    2. Whatever is found is a catalog entry of the scope's catalog.
 */
#ifndef HRSS_CSVIN_FIELDS_H
#define HRSS_CSVIN_FIELDS_H
#include <stdint.h>

#include "common/catalog.h"
#include "common/err.h"
#include "common/update.h"

/** Indicator @p s: its code or Chinese name (update_check_indicator),
 *  else the same without spaces ("其中: 高级..."). Unknown: @p why says so
 *  and names the nearest (common/suggest, as hrssctl does).
 *  @return the catalog index, or -1. */
int csvin_fields_indicator(const catalog_t *cat, const char *s,
                           char why[ERR_LEN]);

/** A month in a form clerks write that common/update does not read:
 *  YYYY年M[M]月, YYYY年M[M]月份, YYYY.M[M].
 *  @param[out] yyyymm  On 1: year * 100 + month (the month unchecked).
 *  @return 1 for such a form, 0 for none (left to update_parse_month),
 *          -1 for YYYY.1, which is ambiguous (Excel writes 2025.10 as
 *          2025.1). */
int csvin_fields_month(const char *s, uint32_t *yyyymm);

/** Region @p s given by its name (not digits): the one region of the
 *  catalog with that name, or, when several have it, the one among them
 *  at or below the scope's home. Only found, not checked against the
 *  scope (update_check_region() does that).
 *  @return ERR_OK with *code, or ERR_INVAL with @p why: unknown, or
 *          ambiguous with the candidates (code and parent's name). */
int csvin_fields_region(const update_scope_t *o, const char *s,
                        uint32_t *code, char why[ERR_LEN]);

/** Whether month index @p month lies before the catalog's plan (its
 *  first year's January); if so @p why says so and how to send it
 *  anyway (submit --allow-before-plan). @return 1 before, 0 not. */
int csvin_fields_before_plan(const catalog_t *cat, int32_t month,
                             char why[ERR_LEN]);

#endif
