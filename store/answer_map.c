/* answer_map.c: the query server's breakdowns and series (answer.h), the
 * two answers that show a change of the map.
 *
 * Design
 * ------
 * The catalog's regions have a validity (valid_from..valid_to) and
 * region-changes.csv says what each change of the map did (catalog.h).
 * The store already answers a region for its own months only; here the
 * answers say so:
 *  - A breakdown lists the children that exist in some month of the
 *    period. A row whose region exists in only part of the period carries
 *    its first (valid_from) or last (valid_to) month; when the period
 *    crosses a change (some listed region's validity is narrower than
 *    the period), every row that is one region's own report (the own
 *    row, a child without children) also carries months_reported, so
 *    Hangzhou's 2021 lists 330103 with 2021-01..03 and 330113 with
 *    2021-04..12, each with the months it reported. Under one map the
 *    rows are as before the map could change.
 *  - A series holds the points whose period meets the region's validity
 *    (330103 over 2021 by month: three points) and lists each change of
 *    the region's own territory (catalog change rows naming it) whose
 *    month falls after the range's first month and within it: the points
 *    before and after it are not of the same territory. A city whose
 *    districts were redrawn among themselves keeps its territory and is
 *    not flagged.
 *
 * INVARIANTS
 *   1. A breakdown's total is own + sum(listed children), from the same
 *      snapshot (store_breakdown); an unlisted child contributes nothing.
 *   2. valid_from / valid_to are set only when the region's validity
 *      starts after the period's first month / ends before its last.
 *   3. A series' changes are the region's own catalog changes with
 *      first < month <= last of the range, by month; every point holds
 *      at least one month of the region's validity.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/mem.h"
#include "store/answer.h"
#include "store/resolve.h"

/* 1 when region @p r exists in only part of @p p. */
static int narrower(const region_t *r, const period_t *p)
{
    return r->valid_from > p->first || r->valid_to < p->last;
}

/* INVARIANT 2, and months_reported when @p months (a region's own
 * report in a breakdown that crosses a change). */
static void set_map(Hrss__Total *m, const region_t *r, const period_t *p,
                    int months, const store_total_t *t)
{
    if (r->valid_from > p->first) {
        m->has_valid_from = 1;
        m->valid_from = month_to_yyyymm(r->valid_from);
    }
    if (r->valid_to < p->last) {
        m->has_valid_to = 1;
        m->valid_to = month_to_yyyymm(r->valid_to);
    }
    if (months) {
        m->has_months_reported = 1;
        m->months_reported = t->months;
    }
}

int answer_breakdown(store_t *st, const Hrss__TotalQ *q, reply_t *rp)
{
    const catalog_t *cat = store_catalog(st);
    int rc = ERR_OK;
    resolve_target_t t;
    period_t p;
    store_total_t own;
    store_total_t *kids = NULL;
    size_t n = 0;
    if (q->has_approved_only && q->approved_only) {
        snprintf(rp->err, sizeof rp->err,
                 "approved_only is for a total, not a breakdown");
        rc = ERR_INVAL;
        goto out;
    }
    rc = resolve_target(cat, q->indicator, q->region, &t, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = period_parse(resolve_str(q->period), &p, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = store_breakdown(st, t.code, t.region, &p, &own, &kids, &n,
                         rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    const region_t *r =
        catalog_region(cat, (size_t)catalog_region_find(cat, t.region));
    assert(n == r->n_children);
    char *code = reply_dup(rp, t.code);
    store_total_t sum = own;
    sum.months = 0; /* an aggregate's */
    rp->many = xcalloc(n + 1, sizeof *rp->many);
    Hrss__Total **pp = xcalloc(n + 1, sizeof *pp);
    rp->ptrs = pp;
    int crosses = narrower(r, &p);
    size_t listed = 0;
    for (size_t i = 0; i < n; i++) {
        /* Children that exist in some month of p: a later map's
         * districts are not rows of an earlier year, nor the reverse
         * (their contributions are then nothing: the sum holds). */
        if (!catalog_region_valid_in(cat, r->children[i], p.first,
                                     p.last)) {
            continue;
        }
        const region_t *child =
            catalog_region(cat, (size_t)r->children[i]);
        crosses |= narrower(child, &p);
        kids[listed] = kids[i];
        reply_total(&rp->many[listed], code, child->code, &p, &kids[i]);
        pp[listed] = &rp->many[listed].msg;
        listed++;
        sum.num += kids[i].num;
        sum.den += kids[i].den;
        sum.reporting += kids[i].reporting;
        sum.expected += kids[i].expected;
        sum.approved += kids[i].approved;
    }
    for (size_t i = 0; i < listed; i++) {
        const region_t *child = catalog_region(
            cat, (size_t)catalog_region_find(cat, pp[i]->region));
        set_map(pp[i], child, &p, crosses && child->n_children == 0,
                &kids[i]);
    }
    reply_total(&rp->one[0], code, t.region, &p, &own);
    reply_total(&rp->one[1], code, t.region, &p, &sum);
    set_map(&rp->one[0].msg, r, &p, crosses, &own);
    set_map(&rp->one[1].msg, r, &p, 0, &sum);
    rp->breakdown.own = &rp->one[0].msg;
    rp->breakdown.total = &rp->one[1].msg;
    rp->breakdown.n_children = listed;
    rp->breakdown.children = pp;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_BREAKDOWN;
    rp->msg.breakdown = &rp->breakdown;
out:
    free(kids);
    return rc;
}

/* The series' changes (INVARIANT 3) into rp->total_list. */
static void series_changes(const catalog_t *cat, const region_t *r,
                           const period_t *range, reply_t *rp)
{
    static const Hrss__RegionChange init = HRSS__REGION_CHANGE__INIT;
    size_t n = 0;
    size_t nsucc = 0;
    for (size_t i = 0; i < r->n_changes; i++) {
        const region_change_t *c = catalog_change(cat, (size_t)r->changes[i]);
        if (c->month > range->first && c->month <= range->last) {
            n++;
            nsucc += c->n_successors;
        }
    }
    if (n == 0) {
        return;
    }
    Hrss__RegionChange *ch = xcalloc(n, sizeof *ch);
    Hrss__RegionChange **cp = xcalloc(n, sizeof *cp);
    uint32_t *succ = xcalloc(nsucc + 1, sizeof *succ);
    rp->changes = ch;
    rp->change_ptrs = cp;
    rp->change_succ = succ;
    size_t k = 0;
    for (size_t i = 0; i < r->n_changes; i++) {
        const region_change_t *c = catalog_change(cat, (size_t)r->changes[i]);
        if (c->month <= range->first || c->month > range->last) {
            continue;
        }
        ch[k] = init;
        ch[k].month = month_to_yyyymm(c->month);
        /* The catalog's words: valid while the store is. */
        ch[k].change = (char *)(uintptr_t)catalog_change_kind_name(c->kind);
        if (c->note != NULL && c->note[0] != '\0') {
            ch[k].note = reply_dup(rp, c->note);
        }
        ch[k].n_successors = c->n_successors;
        ch[k].successors = c->n_successors > 0 ? succ : NULL;
        for (size_t j = 0; j < c->n_successors; j++) {
            *succ++ = catalog_region(cat, (size_t)c->successors[j])->code;
        }
        cp[k] = &ch[k];
        k++;
    }
    rp->total_list.n_changes = n;
    rp->total_list.changes = cp;
}

int answer_series(store_t *st, const Hrss__SeriesQ *q, reply_t *rp)
{
    const catalog_t *cat = store_catalog(st);
    int rc = ERR_OK;
    resolve_target_t t;
    period_t from;
    period_t to;
    enum period_kind by = PERIOD_MONTH;
    store_point_t *pts = NULL;
    size_t n = 0;
    rc = resolve_target(cat, q->indicator, q->region, &t, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = period_parse(resolve_str(q->from), &from, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = period_parse(resolve_str(q->to), &to, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    if (from.first > to.last) {
        char a[PERIOD_STR_LEN];
        char b[PERIOD_STR_LEN];
        period_format(&from, a, sizeof a);
        period_format(&to, b, sizeof b);
        snprintf(rp->err, sizeof rp->err,
                 "series: --from %s starts after --to %s ends", a, b);
        rc = ERR_INVAL;
        goto out;
    }
    rc = resolve_step(resolve_str(q->by), &by, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    period_t range = {PERIOD_RANGE, from.first, to.last};
    rc = store_series(st, t.code, t.region, &range, by, &pts, &n, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    int ri = catalog_region_find(cat, t.region);
    char *code = reply_dup(rp, t.code);
    rp->many = xcalloc(n + 1, sizeof *rp->many);
    Hrss__Total **pp = xcalloc(n + 1, sizeof *pp);
    rp->ptrs = pp;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        /* The region's months only: an abolished district's series
         * ends with it, a created one's begins with it. */
        if (!catalog_region_valid_in(cat, ri, pts[i].period.first,
                                     pts[i].period.last)) {
            continue;
        }
        reply_total(&rp->many[kept], code, t.region, &pts[i].period,
                    &pts[i].total);
        pp[kept] = &rp->many[kept].msg;
        kept++;
    }
    rp->total_list.n_totals = kept;
    rp->total_list.totals = pp;
    series_changes(cat, catalog_region(cat, (size_t)ri), &range, rp);
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_SERIES;
    rp->msg.series = &rp->total_list;
out:
    free(pts);
    return rc;
}
