/* update.c: the rules every figure obeys, and the parsing of its fields.
 *
 * The checks are split by field so that a reader of a whole file (csvin)
 * can report every bad field of a row, while update_check() applies them
 * all in a fixed order and stops at the first, which is what a stored
 * rejection records. Both paths run the same code, so a file refused by
 * an agent would be rejected for the same reason by the collector.
 *
 * Messages name values, not fields ("2026-12 is later than the current
 * month 2026-11"); update_reason_field() gives the field, and callers put
 * it in front.
 *
 * INVARIANTS
 *   1. A check returns UPDATE_OK iff the value satisfies its rule, and then
 *      fills its outputs; on failure msg holds a NUL-terminated reason.
 *   2. update_check(u) == UPDATE_OK implies: the indicator is a catalog
 *      code, the region lies at or below the scope's home, the month is a
 *      valid month not later than the current one, and the value passes
 *      update_check_value() for the indicator.
 *   3. Every accepted value v has 0 <= v.num <= UPDATE_MAX_VALUE, and for
 *      ratios 0 < v.den <= UPDATE_MAX_VALUE and v.num <= v.den; for counts
 *      v.den == 0.
 *   4. Messages never contain a control byte taken from the input.
 */
#include "common/update.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/period.h"

/* Bytes of input quoted in a message. */
#define QUOTE_MAX 64

const char *update_reason_name(enum update_reason reason)
{
    switch (reason) {
    case UPDATE_OK: return "none";
    case UPDATE_UNKNOWN_INDICATOR: return "unknown_indicator";
    case UPDATE_UNKNOWN_REGION: return "unknown_region";
    case UPDATE_REGION_NOT_ALLOWED: return "region_not_allowed";
    case UPDATE_BAD_MONTH: return "bad_month";
    case UPDATE_FUTURE_MONTH: return "future_month";
    case UPDATE_NEGATIVE: return "negative_value";
    case UPDATE_WRONG_KIND: return "wrong_kind";
    case UPDATE_ZERO_DENOMINATOR: return "zero_denominator";
    case UPDATE_NUMERATOR_GT_DENOMINATOR: return "numerator_gt_denominator";
    case UPDATE_TOO_LARGE: return "value_too_large";
    case UPDATE_NOT_AUTHORIZED: return "not_authorized";
    case UPDATE_PERIOD_LOCKED: return "period_locked";
    case UPDATE_REGION_NOT_VALID: return "region_not_valid";
    }
    return "unknown";
}

const char *update_reason_field(enum update_reason reason, const value_t *v)
{
    int is_ratio = v != NULL && v->is_ratio;
    switch (reason) {
    case UPDATE_OK: return NULL;
    case UPDATE_UNKNOWN_INDICATOR: return "indicator";
    case UPDATE_UNKNOWN_REGION:
    case UPDATE_REGION_NOT_ALLOWED:
    case UPDATE_NOT_AUTHORIZED:
    case UPDATE_REGION_NOT_VALID: return "region";
    case UPDATE_BAD_MONTH:
    case UPDATE_FUTURE_MONTH:
    case UPDATE_PERIOD_LOCKED: return "period";
    case UPDATE_WRONG_KIND:
    case UPDATE_NEGATIVE: return is_ratio ? "numerator" : "value";
    case UPDATE_TOO_LARGE:
        if (is_ratio && v->num <= UPDATE_MAX_VALUE) {
            return "denominator";
        }
        return is_ratio ? "numerator" : "value";
    case UPDATE_ZERO_DENOMINATOR: return "denominator";
    case UPDATE_NUMERATOR_GT_DENOMINATOR: return "numerator";
    }
    return "update";
}

void update_quote(char *dst, size_t size, const char *s)
{
    size_t n = strlen(s);
    size_t i = 0;
    int cut = 0;

    assert(size >= UPDATE_QUOTE_LEN);
    (void)size;
    if (n > QUOTE_MAX) {
        n = QUOTE_MAX;
        /* Back off continuation bytes so no character is split. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0u) == 0x80u) {
            n--;
        }
        cut = 1;
    }
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        dst[i] = (ch < 0x20u || ch == 0x7Fu) ? '?' : s[i];
    }
    if (cut) {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
}

/* ---------------------------------------------------------------------- */
/* rules                                                                   */

enum update_reason update_check_indicator(const catalog_t *cat,
                                          const char *key, int names,
                                          int *ii, char msg[UPDATE_MSG_LEN])
{
    int i = catalog_indicator_find(cat, key);
    *ii = -1;
    if (i >= 0 && !names &&
        strcmp(catalog_indicator(cat, (size_t)i)->code, key) != 0) {
        i = -1; /* a Chinese name where only codes are accepted */
    }
    if (i < 0) {
        char q[UPDATE_QUOTE_LEN];
        update_quote(q, sizeof q, key);
        snprintf(msg, UPDATE_MSG_LEN, "unknown indicator '%s'", q);
        return UPDATE_UNKNOWN_INDICATOR;
    }
    *ii = i;
    return UPDATE_OK;
}

enum update_reason update_check_region(const update_scope_t *sc,
                                       uint32_t code, int *ri,
                                       char msg[UPDATE_MSG_LEN])
{
    int i = catalog_region_find(sc->cat, code);
    *ri = -1;
    if (i < 0) {
        snprintf(msg, UPDATE_MSG_LEN, "unknown region code %" PRIu32,
                 code);
        return UPDATE_UNKNOWN_REGION;
    }
    if (sc->home >= 0 && !catalog_region_within(sc->cat, i, sc->home)) {
        snprintf(msg, UPDATE_MSG_LEN, "%" PRIu32 " is not %s or below it",
                 code, catalog_region(sc->cat, (size_t)sc->home)->code_str);
        return UPDATE_REGION_NOT_ALLOWED;
    }
    if (sc->allowed != NULL && !sc->allowed[i]) {
        snprintf(msg, UPDATE_MSG_LEN,
                 "%" PRIu32 " is not a region this office's key may report "
                 "for", code);
        return UPDATE_NOT_AUTHORIZED;
    }
    *ri = i;
    return UPDATE_OK;
}

enum update_reason update_check_valid(const catalog_t *cat, int ri,
                                      int32_t month,
                                      char msg[UPDATE_MSG_LEN])
{
    const region_t *r = catalog_region(cat, (size_t)ri);
    char m[PERIOD_STR_LEN];
    if (month < r->valid_from) {
        month_format(r->valid_from, m, sizeof m);
        snprintf(msg, UPDATE_MSG_LEN, "%s %s is valid from %s", r->code_str,
                 r->name_zh, m);
        return UPDATE_REGION_NOT_VALID;
    }
    if (month > r->valid_to) {
        /* Where its territory went, from its abolition in
         * region-changes.csv. */
        char see[80] = "";
        size_t used = 0;
        for (size_t k = 0; k < r->n_changes; k++) {
            const region_change_t *ch = catalog_change(cat, (size_t)r->changes[k]);
            if (ch->kind != CHANGE_ABOLISHED) {
                continue;
            }
            for (size_t j = 0; j < ch->n_successors; j++) {
                const region_t *s =
                    catalog_region(cat, (size_t)ch->successors[j]);
                int n = snprintf(see + used, sizeof see - used, "%s%s %s",
                                 j == 0 ? " (see " : ", ", s->code_str,
                                 s->name_zh);
                if (n < 0 || (size_t)n >= sizeof see - used) {
                    break;
                }
                used += (size_t)n;
            }
            if (used > 0 && used + 2 <= sizeof see) {
                see[used++] = ')';
                see[used] = '\0';
            }
        }
        month_format(r->valid_to, m, sizeof m);
        snprintf(msg, UPDATE_MSG_LEN, "%s %s was abolished after %s%s",
                 r->code_str, r->name_zh, m, see);
        return UPDATE_REGION_NOT_VALID;
    }
    return UPDATE_OK;
}

enum update_reason update_check_month(const update_scope_t *sc,
                                      int32_t month,
                                      char msg[UPDATE_MSG_LEN])
{
    if (month > sc->current_month) {
        char m1[PERIOD_STR_LEN];
        char m2[PERIOD_STR_LEN];
        month_format(month, m1, sizeof m1);
        month_format(sc->current_month, m2, sizeof m2);
        snprintf(msg, UPDATE_MSG_LEN,
                 "%s is later than the current month %s", m1, m2);
        return UPDATE_FUTURE_MONTH;
    }
    return UPDATE_OK;
}

enum update_reason update_check_value(const indicator_t *ind,
                                      const value_t *v,
                                      char msg[UPDATE_MSG_LEN])
{
    /* Every producer of a value (csvin, the command line, the collector
     * from the wire's count) sets a count's den to 0: anything else is a
     * bug in the caller, not input to refuse. */
    assert(v->is_ratio || v->den == 0);
    if (ind->kind == IND_RATIO && !v->is_ratio) {
        snprintf(msg, UPDATE_MSG_LEN,
                 "%s is a ratio: give a numerator and a denominator",
                 ind->code);
        return UPDATE_WRONG_KIND;
    }
    if (ind->kind == IND_COUNT && v->is_ratio) {
        snprintf(msg, UPDATE_MSG_LEN,
                 "%s is a count: give a value, not a ratio", ind->code);
        return UPDATE_WRONG_KIND;
    }
    if (v->num < 0) {
        snprintf(msg, UPDATE_MSG_LEN, "%" PRId64 " is negative", v->num);
        return UPDATE_NEGATIVE;
    }
    if (v->num > UPDATE_MAX_VALUE) {
        snprintf(msg, UPDATE_MSG_LEN, "%" PRId64 " exceeds 10^12", v->num);
        return UPDATE_TOO_LARGE;
    }
    if (!v->is_ratio) {
        return UPDATE_OK;
    }
    if (v->den <= 0) {
        snprintf(msg, UPDATE_MSG_LEN, "must be positive, not %" PRId64,
                 v->den);
        return UPDATE_ZERO_DENOMINATOR;
    }
    if (v->den > UPDATE_MAX_VALUE) {
        snprintf(msg, UPDATE_MSG_LEN, "%" PRId64 " exceeds 10^12", v->den);
        return UPDATE_TOO_LARGE;
    }
    if (v->num > v->den) {
        snprintf(msg, UPDATE_MSG_LEN, "%" PRId64 " > denominator %" PRId64,
                 v->num, v->den);
        return UPDATE_NUMERATOR_GT_DENOMINATOR;
    }
    return UPDATE_OK;
}

enum update_reason update_check(const update_scope_t *sc, const update_t *u,
                                update_cell_t *cell,
                                char msg[UPDATE_MSG_LEN])
{
    int ii = -1;
    int ri = -1;
    int32_t month = 0;
    enum update_reason why =
        update_check_indicator(sc->cat, u->indicator, 0, &ii, msg);
    if (why == UPDATE_OK) {
        why = update_check_region(sc, u->region, &ri, msg);
    }
    if (why == UPDATE_OK && !month_from_yyyymm(u->yyyymm, &month)) {
        snprintf(msg, UPDATE_MSG_LEN, "%" PRIu32 " is not a valid YYYYMM",
                 u->yyyymm);
        why = UPDATE_BAD_MONTH;
    }
    /* Right after the region's own checks, once the month is known: a
     * figure for a region that did not exist then is the region's fault,
     * whatever else is wrong with it. */
    if (why == UPDATE_OK) {
        why = update_check_valid(sc->cat, ri, month, msg);
    }
    if (why == UPDATE_OK) {
        why = update_check_month(sc, month, msg);
    }
    if (why == UPDATE_OK) {
        why = update_check_value(catalog_indicator(sc->cat, (size_t)ii),
                                 &u->value, msg);
    }
    if (why == UPDATE_OK) {
        cell->indicator = ii;
        cell->region = ri;
        cell->month = month;
    }
    return why;
}

/* ---------------------------------------------------------------------- */
/* parsing what people write                                               */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Parse 1..@p max digits at *s into *v and advance *s. 0 if none. */
static int take_digits(const char **s, int max, int *v)
{
    int n = 0;
    *v = 0;
    while (n < max && is_digit((*s)[n])) {
        *v = *v * 10 + ((*s)[n] - '0');
        n++;
    }
    *s += n;
    return n;
}

int update_parse_month(const char *s, int32_t *month, char *why,
                       size_t size)
{
    char q[UPDATE_QUOTE_LEN];
    const char *p = s;
    int y = 0;
    int m = 0;
    int d = 1;

    update_quote(q, sizeof q, s);
    if (strlen(s) == 6 && strspn(s, "0123456789") == 6) {
        /* YYYYMM as text: the year's four digits, then the month's two. */
        (void)take_digits(&p, 4, &y);
        (void)take_digits(&p, 2, &m);
    } else {
        char sep = 0;
        p = s;
        if (take_digits(&p, 4, &y) != 4 || (*p != '-' && *p != '/')) {
            goto bad_form;
        }
        sep = *p++;
        if (take_digits(&p, 2, &m) == 0) {
            goto bad_form;
        }
        if (*p == sep) {
            p++;
            if (take_digits(&p, 2, &d) == 0) {
                goto bad_form;
            }
        }
        if (*p != '\0') {
            goto bad_form;
        }
    }
    if (y < PERIOD_MIN_YEAR || y > PERIOD_MAX_YEAR) {
        snprintf(why, size, "'%s': year must be %d..%d", q, PERIOD_MIN_YEAR,
                 PERIOD_MAX_YEAR);
        return ERR_INVAL;
    }
    if (m < 1 || m > 12) {
        snprintf(why, size, "'%s': month must be 1..12", q);
        return ERR_INVAL;
    }
    if (d < 1 || d > 31) {
        snprintf(why, size, "'%s': day must be 1..31", q);
        return ERR_INVAL;
    }
    *month = month_make(y, m);
    return ERR_OK;

bad_form:
    snprintf(why, size,
             "'%s' is not a month (expected YYYY-MM, YYYY/MM, YYYYMM or "
             "YYYY-MM-DD)",
             q);
    return ERR_INVAL;
}

int update_parse_amount(const char *s, int64_t *out, char *why, size_t size)
{
    char q[UPDATE_QUOTE_LEN];
    const char *p = s;
    int64_t v = 0;
    int big = 0;
    size_t group = 0; /* digits since the last separator */
    int commas = 0;
    int ndigits = 0;
    int neg = 0;

    update_quote(q, sizeof q, s);
    if (*p == '-') {
        neg = 1;
        p++;
    }
    for (; *p != '\0' && *p != '.'; p++) {
        if (is_digit(*p)) {
            if (v > (INT64_MAX - 9) / 10) {
                big = 1;
            } else {
                v = v * 10 + (*p - '0');
            }
            group++;
            ndigits++;
        } else if (*p == ',') {
            /* The first group has 1..3 digits, every later one 3. */
            if (group == 0 || group > 3 || (commas > 0 && group != 3)) {
                goto bad_commas;
            }
            commas++;
            group = 0;
        } else {
            goto not_whole;
        }
    }
    if (ndigits == 0) {
        goto not_whole;
    }
    if (commas > 0 && group != 3) {
        goto bad_commas;
    }
    if (*p == '.') {
        p++;
        if (*p == '\0') {
            goto not_whole;
        }
        while (*p == '0') {
            p++;
        }
        if (*p != '\0') {
            goto not_whole;
        }
    }
    if (big) {
        snprintf(why, size, "'%s' is far beyond 10^12", q);
        return ERR_INVAL;
    }
    *out = neg ? -v : v;
    return ERR_OK;

bad_commas:
    snprintf(why, size, "'%s' has misplaced thousands separators", q);
    return ERR_INVAL;
not_whole:
    snprintf(why, size, "'%s' is not a whole number", q);
    return ERR_INVAL;
}

int update_parse_region(const char *s, uint32_t *out, char *why, size_t size)
{
    uint32_t v = 0;
    size_t n = strlen(s);
    if (n == 0 || n > 9 || strspn(s, "0123456789") != n) {
        char q[UPDATE_QUOTE_LEN];
        update_quote(q, sizeof q, s);
        snprintf(why, size, "'%s' is not a region code", q);
        return ERR_INVAL;
    }
    for (size_t i = 0; i < n; i++) {
        v = v * 10u + (uint32_t)(s[i] - '0');
    }
    *out = v;
    return ERR_OK;
}
