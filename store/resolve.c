/* resolve.c: the query server's reading of request fields.
 *
 * Design
 * ------
 * Requests name indicators by code or Chinese name and regions by code,
 * 0 meaning the catalog's root; answers always carry catalog codes. An
 * unknown indicator's error quotes at most QUOTE_MAX bytes of it, cut at a
 * UTF-8 character boundary, and suggests the SUGGEST_MAX codes nearest by
 * edit distance (ties in catalog order), unless the input is too long to
 * be near anything. protobuf-c leaves an absent string NULL; resolve_str()
 * reads it as "".
 *
 * INVARIANTS
 *   1. ERR_OK implies the outputs name catalog entries (codes borrowed
 *      from the catalog; never a Chinese name).
 *   2. The error message never exceeds ERR_LEN, whatever the input's size.
 *   3. edit_distance() only runs on strings of at most SUGGEST_MAX_INPUT
 *      bytes (its row lives on the stack).
 */
#include "store/resolve.h"

#include <stdio.h>
#include <string.h>

/** How many indicator codes an unknown indicator's error suggests. */
#define SUGGEST_MAX 3
/** Longer unknown indicators get no suggestions: nothing is close. */
#define SUGGEST_MAX_INPUT (2 * CATALOG_CODE_MAX)
/** Bytes of an unknown indicator quoted back in the error. */
#define QUOTE_MAX 128

const char *resolve_str(const char *s) { return s != NULL ? s : ""; }

/* Append @p s to the NUL-terminated @p err, truncating at ERR_LEN. */
static void err_append(char err[ERR_LEN], const char *s)
{
    size_t used = strlen(err);
    size_t n = strlen(s);
    if (n > ERR_LEN - 1 - used) {
        n = ERR_LEN - 1 - used;
    }
    memcpy(err + used, s, n);
    err[used + n] = '\0';
}

/* Levenshtein distance between @p a and @p b, both at most
 * SUGGEST_MAX_INPUT bytes (callers check). */
static size_t edit_distance(const char *a, size_t la, const char *b,
                            size_t lb)
{
    size_t row[SUGGEST_MAX_INPUT + 1];
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] == b[j - 1] ? 0u : 1u);
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Append "; did you mean: a, b, c?" with the codes closest to @p key,
 * ties in catalog order. */
static void suggest(const catalog_t *cat, const char *key, char err[ERR_LEN])
{
    size_t lk = strlen(key);
    size_t best_d[SUGGEST_MAX];
    size_t best_i[SUGGEST_MAX];
    size_t nbest = 0;
    if (lk > SUGGEST_MAX_INPUT) {
        return;
    }
    for (size_t i = 0; i < catalog_indicator_count(cat); i++) {
        const char *code = catalog_indicator(cat, i)->code;
        size_t lc = strlen(code);
        if (lc > SUGGEST_MAX_INPUT) {
            continue;
        }
        size_t d = edit_distance(key, lk, code, lc);
        size_t at = nbest;
        while (at > 0 && best_d[at - 1] > d) {
            at--;
        }
        if (at >= SUGGEST_MAX) {
            continue;
        }
        size_t last = nbest < SUGGEST_MAX ? nbest : SUGGEST_MAX - 1;
        for (size_t k = last; k > at; k--) {
            best_d[k] = best_d[k - 1];
            best_i[k] = best_i[k - 1];
        }
        best_d[at] = d;
        best_i[at] = i;
        if (nbest < SUGGEST_MAX) {
            nbest++;
        }
    }
    for (size_t k = 0; k < nbest; k++) {
        err_append(err, k == 0 ? "; did you mean: " : ", ");
        err_append(err, catalog_indicator(cat, best_i[k])->code);
    }
    if (nbest > 0) {
        err_append(err, "?");
    }
}

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
    suggest(cat, key, err);
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
