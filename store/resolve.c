/* resolve.c: the query server's reading of request fields.
 *
 * Design
 * ------
 * Requests name indicators by code or Chinese name and regions by code,
 * 0 meaning the catalog's root; answers always carry catalog codes. An
 * unknown indicator's error quotes at most QUOTE_MAX bytes of it, cut at a
 * UTF-8 character boundary, and suggests the SUGGEST_MAX codes nearest by
 * edit distance (ties in catalog order), unless the input is too long to
 * be near anything: common/suggest, the rule the office's agent shares
 * (a Chinese name gets the nearest Chinese names). protobuf-c leaves an
 * absent string NULL; resolve_str() reads it as "".
 *
 * INVARIANTS
 *   1. ERR_OK implies the outputs name catalog entries (codes borrowed
 *      from the catalog; never a Chinese name).
 *   2. The error message never exceeds ERR_LEN, whatever the input's size.
 *   3. Suggestions are common/suggest's (its invariants bound the work).
 */
#include "store/resolve.h"

#include <stdio.h>
#include <string.h>

#include "common/suggest.h"

/** Bytes of an unknown indicator quoted back in the error. */
#define QUOTE_MAX 128

const char *resolve_str(const char *s) { return s != NULL ? s : ""; }

/* Index of the indicator whose code or Chinese name is @p key. */
int resolve_indicator(const catalog_t *cat, const char *key,
                             int *out, /* OUT: catalog index */
                             char err[ERR_LEN])
{
    int rc = ERR_OK;
    char quoted[QUOTE_MAX + 1];
    *out = catalog_indicator_find(cat, key);
    if (*out >= 0) {
        goto out;
    }
    /* Quote at most QUOTE_MAX bytes, cut at a UTF-8 character boundary. */
    size_t n = strlen(key);
    if (n > QUOTE_MAX) {
        n = QUOTE_MAX;
        while (n > 0 && ((unsigned char)key[n] & 0xC0u) == 0x80u) {
            n--;
        }
    }
    memcpy(quoted, key, n);
    quoted[n] = '\0';
    snprintf(err, ERR_LEN, "unknown indicator '%s'", quoted);
    suggest_indicators(cat, key, err, ERR_LEN);
    rc = ERR_NOTFOUND;
out:
    return rc;
}

/* The catalog code of region @p code; 0 means the root. */
int resolve_region(const catalog_t *cat, uint32_t code,
                          uint32_t *out, /* OUT: catalog region code */
                          char err[ERR_LEN])
{
    int rc = ERR_OK;
    int i = code == 0 ? catalog_region_root(cat)
                      : catalog_region_find(cat, code);
    *out = 0;
    if (i < 0) {
        snprintf(err, ERR_LEN, "unknown region %u", code);
        rc = ERR_NOTFOUND;
        goto out;
    }
    *out = catalog_region(cat, (size_t)i)->code;
out:
    return rc;
}

int resolve_target(const catalog_t *cat, const char *indicator,
                   uint32_t region, resolve_target_t *t, char err[ERR_LEN])
{
    int rc = ERR_OK;
    int ii = -1;
    rc = resolve_indicator(cat, resolve_str(indicator), &ii, err);
    if (rc != ERR_OK) {
        goto out;
    }
    t->code = catalog_indicator(cat, (size_t)ii)->code;
    rc = resolve_region(cat, region, &t->region, err);
out:
    return rc;
}

int resolve_step(const char *by, enum period_kind *out,
                 char err[ERR_LEN])
{
    int rc = ERR_OK;
    if (strcmp(by, "month") == 0) {
        *out = PERIOD_MONTH;
    } else if (strcmp(by, "quarter") == 0) {
        *out = PERIOD_QUARTER;
    } else if (strcmp(by, "year") == 0) {
        *out = PERIOD_YEAR;
    } else {
        snprintf(err, ERR_LEN,
                 "bad series step '%.64s': expected month, quarter or year",
                 by);
        rc = ERR_INVAL;
    }
    return rc;
}
