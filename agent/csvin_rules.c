/* csvin_rules.c: the rows of one office file taken together.
 *
 * Design
 * ------
 * An index of the rows is sorted by (indicator, region, month, line):
 * the rows of one cell are then adjacent, in file order, and a cell's
 * previous month is the group just before it. Each group is compared with
 * its first row (the earliest line): another value is an error, the same
 * value a warning. The 万人 check compares a count cell's first row with
 * the first row of the same indicator and region one month earlier; the
 * "of which" check finds the whole's cell by binary search in the same
 * index. Messages print values as a file holds them: a count as a whole
 * number, a ratio as NUM/DEN.
 *
 * INVARIANTS
 *   1. The index holds each row exactly once; rows are never written.
 *   2. The factor test never overflows: it divides the larger value by
 *      the smaller (both positive) instead of multiplying.
 *   3. One finding per pair of rows and rule: a duplicate is reported
 *      against the group's first row, a 万人 jump on the later month, an
 *      "of which" on the part's row.
 */
#include "agent/csvin_rules.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/period.h"

/** A count this many times its previous month (or less) is suspect. */
#define JUMP_FACTOR 1000

/* qsort() has no context argument: the rows travel in the index. */
struct at {
    const csvin_row_t *r;
};

static int cmp_cell(const csvin_row_t *a, const csvin_row_t *b)
{
    if (a->indicator != b->indicator) {
        return a->indicator < b->indicator ? -1 : 1;
    }
    if (a->update.region != b->update.region) {
        return a->update.region < b->update.region ? -1 : 1;
    }
    if (a->update.yyyymm != b->update.yyyymm) {
        return a->update.yyyymm < b->update.yyyymm ? -1 : 1;
    }
    return 0;
}

static int cmp_at(const void *pa, const void *pb)
{
    const struct at *a = pa;
    const struct at *b = pb;
    int c = cmp_cell(a->r, b->r);
    if (c != 0) {
        return c;
    }
    return a->r->line < b->r->line ? -1 : (a->r->line > b->r->line);
}

/* A value as the file holds it. */
static void show(const value_t *v, char *buf, size_t len)
{
    if (v->is_ratio) {
        snprintf(buf, len, "%" PRId64 "/%" PRId64, v->num, v->den);
    } else {
        snprintf(buf, len, "%" PRId64, v->num);
    }
}

/* "(code, region, YYYY-MM)" of a row. */
static void cell_name(const csvin_row_t *r, char *buf, size_t len)
{
    char month[16];
    month_format_yyyymm(r->update.yyyymm, month, sizeof month);
    snprintf(buf, len, "(%s, %" PRIu32 ", %s)", r->update.indicator,
             r->update.region, month);
}

static int same_value(const value_t *a, const value_t *b)
{
    return a->is_ratio == b->is_ratio && a->num == b->num && a->den == b->den;
}

/* Report a row that gives its cell again, after @p first. */
static void duplicate(const csvin_row_t *first, const csvin_row_t *r,
                      csvin_rules_fn fn, void *arg)
{
    char msg[ERR_LEN];
    char cell[128];
    char here[48];
    char there[48];
    cell_name(r, cell, sizeof cell);
    show(&r->update.value, here, sizeof here);
    show(&first->update.value, there, sizeof there);
    if (same_value(&first->update.value, &r->update.value)) {
        snprintf(msg, sizeof msg,
                 "the same figure %s as line %zu, with the same value %s",
                 cell, first->line, here);
        fn(arg, 0, r->line, NULL, msg);
    } else {
        snprintf(msg, sizeof msg,
                 "%s, but line %zu gives %s for the same figure %s: keep "
                 "the right one",
                 here, first->line, there, cell);
        fn(arg, 1, r->line, r->update.value.is_ratio ? "numerator" : "value",
           msg);
    }
}

/* A count cell @p r after the same indicator and region's previous
 * month @p prev: both positive, one 1,000 times the other or more. */
static void jump(const csvin_row_t *prev, const csvin_row_t *r,
                 csvin_rules_fn fn, void *arg)
{
    int64_t a = prev->update.value.num;
    int64_t b = r->update.value.num;
    char msg[ERR_LEN];
    char month[16];
    if (r->update.value.is_ratio || a <= 0 || b <= 0) {
        return;
    }
    int64_t big = a > b ? a : b;
    int64_t small = a > b ? b : a;
    if (big / small < JUMP_FACTOR) {
        return;
    }
    month_format_yyyymm(prev->update.yyyymm, month, sizeof month);
    if (b < a) {
        snprintf(msg, sizeof msg,
                 "%" PRId64 " is about 1/%" PRId64 " of %" PRId64
                 " in %s (line %zu): was it typed in 万人? counts are "
                 "whole persons",
                 b, big / small, a, month, prev->line);
    } else {
        snprintf(msg, sizeof msg,
                 "%" PRId64 " is about %" PRId64 " times %" PRId64
                 " in %s (line %zu): was that one typed in 万人? counts "
                 "are whole persons",
                 b, big / small, a, month, prev->line);
    }
    fn(arg, 0, r->line, "value", msg);
}

/* The first row of @p key's cell with indicator @p ind, or NULL. */
static const csvin_row_t *find_cell(const struct at *idx, size_t n, int ind,
                                    const csvin_row_t *key)
{
    csvin_row_t probe = *key;
    size_t lo = 0;
    size_t hi = n;
    probe.indicator = ind;
    while (lo < hi) { /* the first index not below probe */
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_cell(idx[mid].r, &probe) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && cmp_cell(idx[lo].r, &probe) == 0 ? idx[lo].r : NULL;
}

/* An "of which" row @p r above its whole's row in the same file. */
static void part_above_whole(const catalog_t *cat, const struct at *idx,
                             size_t n, const csvin_row_t *r,
                             csvin_rules_fn fn, void *arg)
{
    const indicator_t *ind = catalog_indicator(cat, (size_t)r->indicator);
    char msg[ERR_LEN];
    char month[16];
    if (ind->part_of < 0 || r->update.value.is_ratio) {
        return;
    }
    const csvin_row_t *whole = find_cell(idx, n, ind->part_of, r);
    if (whole == NULL || whole->update.value.is_ratio ||
        r->update.value.num <= whole->update.value.num) {
        return;
    }
    month_format_yyyymm(r->update.yyyymm, month, sizeof month);
    snprintf(msg, sizeof msg,
             "%" PRId64 " for %s is above its whole, %" PRId64 " for %s "
             "(line %zu), in %" PRIu32 ", %s: an \"of which\" figure is "
             "a part of it",
             r->update.value.num, ind->code, whole->update.value.num,
             whole->update.indicator, whole->line, r->update.region, month);
    fn(arg, 0, r->line, "value", msg);
}

void csvin_rules_check(const catalog_t *cat, const csvin_row_t *rows,
                       size_t n, csvin_rules_fn fn, void *arg)
{
    struct at *idx = NULL;
    size_t g = 0; /* first index of the current group */
    size_t prev = SIZE_MAX; /* first index of the group before it */

    if (n == 0) {
        return;
    }
    idx = xcalloc(n, sizeof *idx);
    for (size_t i = 0; i < n; i++) {
        idx[i].r = &rows[i];
    }
    qsort(idx, n, sizeof *idx, cmp_at);
    for (size_t i = 0; i < n; i++) {
        const csvin_row_t *r = idx[i].r;
        if (i > g && cmp_cell(idx[g].r, r) == 0) {
            duplicate(idx[g].r, r, fn, arg);
            continue;
        }
        if (i > 0) {
            prev = g;
        }
        g = i;
        if (prev != SIZE_MAX) {
            const csvin_row_t *p = idx[prev].r;
            int32_t mp = 0;
            int32_t mr = 0;
            if (p->indicator == r->indicator &&
                p->update.region == r->update.region &&
                month_from_yyyymm(p->update.yyyymm, &mp) &&
                month_from_yyyymm(r->update.yyyymm, &mr) && mr == mp + 1) {
                jump(p, r, fn, arg);
            }
        }
        part_above_whole(cat, idx, n, r, fn, arg);
    }
    free(idx);
}
