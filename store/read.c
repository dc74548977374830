/* read.c: the store's read path: totals, own reports, breakdowns, series,
 * and who reported what (single values and a cell's history are
 * history.c's; the listings of the audit trail, rejections, reporters,
 * violations and facts are list.c's).
 *
 * Design
 * ------
 * Every public function runs in one read-only transaction (env.c), so an
 * answer made of several lookups (a breakdown's own report and children, a
 * series' points) comes from one snapshot. A total for one month, quarter
 * or year is one `agg` lookup. A range of flows adds the fewest whole
 * years, quarters and ragged months, and counts the reporting regions by
 * seeking each region's facts; a range of stocks seeks each region's last
 * fact in the range (fact_iter_t backwards). Who reported what (store_reported, the
 * completeness answer) is one seek per region and indicator through one
 * cursor, in one transaction. Every total also counts the regions whose
 * every month of the period is approved (approved_in: one seek per region
 * of the subtree in the approvals table, nothing when it is empty), and
 * an approved-only total (store_total_approved) adds those regions' own
 * contributions from their facts, as a range walk does. Transactions come
 * from snap.c: a new one per question, or the snapshot the thread pinned.
 * Costs: ARCHITECTURE.md, "Query costs". While this thread answers as
 * of a moment (store/asof.c), the facts iterator and the facts listing
 * hand out each cell as it stood then, a total of a node with children
 * (read from `agg`, which is now's) is corrected by asof_total(), and
 * approved counts are read through the view's approvals.
 *
 * INVARIANTS
 *   1. Every transaction begun here is ended before the function returns,
 *      on every path (snap_end; a pinned one stays, snap.c).
 *   2. Strings handed to callbacks point into LMDB's pages or the catalog
 *      and are not used after the callback returns.
 *   3. On failure, outputs are zero/NULL and err says why.
 *   4. store_breakdown(): own + sum(children) == store_total() of the
 *      region, read in one snapshot.
 *   5. store_reported() reads every region's row in one transaction and
 *      holds one row (one byte per indicator, and for a month the time
 *      of each cell's first report: its audit chain's oldest record) at
 *      a time.
 *   6. Completeness counts its reads (snap_shed), which gives
 *      back the store's mapped pages every SNAP_SHED_READS of them; a
 *      range walk does not (one seek per region; the collector gives
 *      pages back after the answer).
 *   7. A total's approved count is read in the snapshot of its figures;
 *      an approved-only total is the sum of the own contributions of
 *      exactly the regions its approved count counts.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lmdbh.h"
#include "common/mem.h"
#include "store/asof.h"
#include "store/codec.h"
#include "store/derive.h"
#include "store/env.h"
#include "store/rec.h"
#include "store/history.h"
#include "store/snap.h"
#include "store/span.h"
#include "store/store.h"

#define MAX_SERIES_POINTS 1200

/* Cursor over the facts of (code, region) with months in [from, to]. */
typedef struct fact_iter {
    MDB_cursor *cur;
    buf_t key;
    size_t prefix;
    int32_t to; /* the bound to stop at: from when backwards */
    int started;
    int backwards;
    int borrowed; /* cur is the caller's: not closed here */
    const char *code;    /* borrowed from the caller */
    uint32_t key_region;
    const asof_t *view;  /* as of a moment (asof.c), or NULL */
} fact_iter_t;

/* @p cur: a cursor on facts to use (the caller's, left open), or NULL to
 * open one. */
static int fit_open(fact_iter_t *it, MDB_txn *txn, const store_t *s,
                    MDB_cursor *cur, const char *code, uint32_t region,
                    int32_t from, int32_t to, int backwards)
{
    memset(it, 0, sizeof *it);
    buf_init(&it->key);
    it->code = code;
    it->key_region = region;
    it->view = asof_facts(s);
    it->backwards = backwards;
    /* Forwards: seek the first month >= from, stop after `to`. Backwards:
     * seek past `to`, step back, stop before `from`. */
    codec_key_cell(&it->key, code, region, backwards ? to + 1 : from);
    it->prefix = it->key.len - 4;
    it->to = backwards ? from : to;
    if (cur != NULL) {
        it->cur = cur;
        it->borrowed = 1;
        return ERR_OK;
    }
    return lmdbh_code(mdb_cursor_open(txn, s->facts, &it->cur));
}

static void fit_close(fact_iter_t *it)
{
    if (it->cur != NULL && !it->borrowed) {
        mdb_cursor_close(it->cur);
    }
    buf_fini(&it->key);
}

/* Next fact of the iteration as it is now: 1 with *month and *f set, 0
 * at the end. */
static int fit_step(fact_iter_t *it, int32_t *month, codec_fact_t *f,
                    int *rc)
{
    MDB_val k;
    MDB_val d;
    int mrc;
    *rc = ERR_OK;
    if (!it->started) {
        it->started = 1;
        k = lmdbh_val(&it->key);
        mrc = mdb_cursor_get(it->cur, &k, &d, MDB_SET_RANGE);
        if (it->backwards) {
            mrc = mdb_cursor_get(it->cur, &k, &d,
                                 mrc == MDB_SUCCESS ? MDB_PREV : MDB_LAST);
        }
    } else {
        mrc = mdb_cursor_get(it->cur, &k, &d,
                             it->backwards ? MDB_PREV : MDB_NEXT);
    }
    if (mrc == MDB_NOTFOUND) {
        return 0;
    }
    if (mrc != MDB_SUCCESS) {
        *rc = lmdbh_code(mrc);
        return 0;
    }
    if (k.mv_size != it->key.len ||
        memcmp(k.mv_data, it->key.data, it->prefix) != 0) {
        return 0;
    }
    const char *c;
    uint32_t r;
    if (rec_unseal("facts", &k, &d) != ERR_OK ||
        rec_malformed("facts", &k, codec_parse_cell_key(&k, &c, &r, month)) ||
        rec_malformed("facts", &k, codec_parse_fact(&d, f))) {
        *rc = ERR_CORRUPT;
        return 0;
    }
    if (it->backwards ? *month < it->to : *month > it->to) {
        return 0;
    }
    return 1;
}

/* Next fact of the iteration, as of the view's moment when there is one
 * (asof.c: a cell that did not exist then is passed over, another has
 * the revision then in force). */
static int fit_next(fact_iter_t *it, int32_t *month, codec_fact_t *f,
                    int *rc)
{
    int yes;
    do {
        yes = fit_step(it, month, f, rc);
    } while (yes && it->view != NULL &&
             !asof_fact(it->view, it->code, it->key_region, *month, f));
    return yes;
}

/* Own contribution of one region over [from, to], straight from facts;
 * with @p months, also how many months have a fact (a stock then reads
 * every month of the range, not only its newest). */
static int own_contrib(store_t *s, MDB_txn *txn, const indicator_t *ind,
                       uint32_t region, int32_t from, int32_t to,
                       derive_contrib_t *c, uint32_t *months)
{
    fact_iter_t it;
    int rc = fit_open(&it, txn, s, NULL, ind->code, region, from,
                      to, ind->over_time == OVER_LAST);
    int32_t m;
    codec_fact_t f;
    memset(c, 0, sizeof *c);
    while (rc == ERR_OK && fit_next(&it, &m, &f, &rc)) {
        /* A stock's value is the newest month inside the period. */
        if (ind->over_time != OVER_LAST || !c->present) {
            c->num += f.v.num;
            c->den += f.v.den;
        }
        c->present = 1;
        if (months != NULL) {
            (*months)++;
        } else if (ind->over_time == OVER_LAST) {
            break;
        }
    }
    fit_close(&it);
    return rc;
}

/* Whether a region has any fact in [from, to]; through @p cur when not
 * NULL. */
static int has_fact(store_t *s, MDB_txn *txn, MDB_cursor *cur,
                    const char *code, uint32_t region, int32_t from,
                    int32_t to, int *yes)
{
    fact_iter_t it;
    int rc = fit_open(&it, txn, s, cur, code, region, from, to, 0);
    int32_t m;
    codec_fact_t f;
    *yes = rc == ERR_OK && fit_next(&it, &m, &f, &rc);
    fit_close(&it);
    return rc;
}

static int get_agg(store_t *s, MDB_txn *txn, buf_t *kb,
                   enum codec_agg_kind k, const char *code, uint32_t region,
                   int32_t start, codec_agg_t *a)
{
    return derive_get_agg(txn, s->agg, kb, k, code, region, start, a);
}

/* Clip [*from, *to] to region index @p ri's validity. @return 0 when
 * nothing is left. */
static int clip_valid(const catalog_t *cat, int ri, int32_t *from,
                      int32_t *to)
{
    const region_t *r = catalog_region(cat, (size_t)ri);
    if (*from < r->valid_from) {
        *from = r->valid_from;
    }
    if (*to > r->valid_to) {
        *to = r->valid_to;
    }
    return *from <= *to;
}

/* Region index @p ri's contribution to its ancestors over [from, to]
 * (derive_contrib_at's rule, from the facts): a flow's months inside its
 * validity, a stock only when it exists in month @p to. */
static int contrib_of(store_t *s, MDB_txn *txn, const indicator_t *ind,
                      int ri, int32_t from, int32_t to, derive_contrib_t *c)
{
    memset(c, 0, sizeof *c);
    if ((ind->over_time == OVER_LAST &&
         !catalog_region_valid(s->cat, ri, to)) ||
        !clip_valid(s->cat, ri, &from, &to)) {
        return ERR_OK;
    }
    return own_contrib(s, txn, ind, catalog_region(s->cat, (size_t)ri)->code,
                       from, to, c, NULL);
}

/* contrib_of() for a region given by its code (asof.c corrects a total
 * region by region with it: the same rule as the aggregates). */
static int contrib_code(store_t *s, MDB_txn *txn, const indicator_t *ind,
                        uint32_t region, int32_t from, int32_t to,
                        derive_contrib_t *c)
{
    int ri = catalog_region_find(s->cat, region);
    if (ri < 0) {
        memset(c, 0, sizeof *c);
        return ERR_OK;
    }
    return contrib_of(s, txn, ind, ri, from, to, c);
}

/* Walk the subtree of region index @p ri, adding each region's
 * contribution over a multi-year range (stocks), or only counting the
 * regions that reported inside their validity (flows, whose values come
 * from year aggregates). */
static int walk_range(store_t *s, MDB_txn *txn, const indicator_t *ind,
                      int ri, int32_t from, int32_t to, int values,
                      store_total_t *t)
{
    const region_t *r = catalog_region(s->cat, (size_t)ri);
    int rc = ERR_OK;
    if (values) {
        derive_contrib_t c;
        rc = contrib_of(s, txn, ind, ri, from, to, &c);
        t->num += c.num;
        t->den += c.den;
        t->reporting += (uint32_t)c.present;
    } else {
        int yes = 0;
        int32_t f = from;
        int32_t l = to;
        if (clip_valid(s->cat, ri, &f, &l)) {
            rc = has_fact(s, txn, NULL, ind->code, r->code, f, l, &yes);
        }
        t->reporting += (uint32_t)yes;
    }
    /* No snap_shed here: one total touches one seek per region, and
     * dropping the map midway made the next seeks fault the pages in
     * again (a national 2021..2025 total went from 2.6 to 25 ms). A
     * long-lived reader gives the pages back after its answer
     * (collector/qserve). */
    for (size_t i = 0; rc == ERR_OK && i < r->n_children; i++) {
        rc = walk_range(s, txn, ind, r->children[i], from, to, values, t);
    }
    return rc;
}

/* A stock over whole years from spans (span.h) still counts the last
 * year of a region of @p ri's subtree that no longer exists at the
 * range's end: take it out, with its reporting. Only the catalog's
 * bounded regions can be such (few): one backwards seek each. */
static int span_stock_fix(store_t *s, MDB_txn *txn, const indicator_t *ind,
                          int ri, const period_t *p, store_total_t *t)
{
    size_t nb = 0;
    const int *b = catalog_region_bounded(s->cat, &nb);
    int rc = ERR_OK;
    for (size_t k = 0; rc == ERR_OK && k < nb; k++) {
        const region_t *r = catalog_region(s->cat, (size_t)b[k]);
        int32_t from = p->first;
        int32_t to = p->last;
        if (catalog_region_valid(s->cat, b[k], p->last) ||
            !catalog_region_within(s->cat, b[k], ri) ||
            !clip_valid(s->cat, b[k], &from, &to)) {
            continue;
        }
        fact_iter_t it;
        int32_t m;
        codec_fact_t f;
        rc = fit_open(&it, txn, s, NULL, ind->code, r->code, from, to,
                      1);
        if (rc == ERR_OK && fit_next(&it, &m, &f, &rc)) {
            t->reporting--; /* its first year's P record counted it */
            if (m - m % 12 + 11 <= r->valid_to) { /* its c(R, last year) */
                t->num -= f.v.num;
                t->den -= f.v.den;
            }
        }
        fit_close(&it);
    }
    return rc;
}

/* Sum of a flow over a range that is not one month, quarter or year:
 * whole years, then whole quarters, then months at the ragged ends. */
static int sum_range(store_t *s, MDB_txn *txn, buf_t *kb,
                     const indicator_t *ind, uint32_t region,
                     const period_t *p, store_total_t *t)
{
    int rc = ERR_OK;
    codec_agg_t a;
    for (int32_t m = p->first; rc == ERR_OK && m <= p->last;) {
        enum codec_agg_kind part = CODEC_AGG_MONTH;
        int32_t step = 1;
        if (m % 12 == 0 && m + 11 <= p->last) {
            part = CODEC_AGG_YEAR;
            step = 12;
        } else if (m % 3 == 0 && m + 2 <= p->last) {
            part = CODEC_AGG_QUARTER;
            step = 3;
        }
        rc = get_agg(s, txn, kb, part, ind->code, region, m, &a);
        t->num += a.num;
        t->den += a.den;
        m += step;
    }
    return rc;
}

/* Approved regions (approve.c): one cursor on the approvals table for
 * a whole walk. */
typedef struct appr_walk {
    MDB_cursor *cur;
    buf_t kb;
    const indicator_t *ind; /* approved-only sums of it; NULL: count */
} appr_walk_t;

/* Count the regions of region index @p ri (its subtree when @p subtree)
 * whose every month of @p p is approved into t->approved and, for an
 * approved-only total (w->ind), add each one's own contribution (the
 * same rule own_contrib applies to every region of a range walk) to t.
 * Every region is looked at: INVARIANT 1 of approve.c (a region is
 * approved only while all below it are) is not relied on, so a region
 * added to the catalog under an approved one is not taken for approved. */
static int appr_walk(store_t *s, MDB_txn *txn, appr_walk_t *w, int ri,
                     const period_t *p, int subtree, store_total_t *t)
{
    const region_t *r = catalog_region(s->cat, (size_t)ri);
    int all = 0;
    int rc = ERR_OK;
    /* A region that does not exist in p is not expected, so not counted
     * approved either (approved <= expected). */
    if (catalog_region_valid_in(s->cat, ri, p->first, p->last)) {
        rc = asof_approved_span(s, asof_view(s), w->cur, &w->kb, r->code,
                                p->first, p->last, &all);
    }
    if (rc == ERR_OK && all) {
        t->approved++;
        if (w->ind != NULL) {
            derive_contrib_t c;
            rc = contrib_of(s, txn, w->ind, ri, p->first, p->last, &c);
            t->num += c.num;
            t->den += c.den;
            t->reporting += (uint32_t)c.present;
        }
    }
    for (size_t i = 0; subtree && rc == ERR_OK && i < r->n_children; i++) {
        rc = appr_walk(s, txn, w, r->children[i], p, subtree, t);
    }
    return rc;
}

/* appr_walk() from @p ri, when the store has any approval at all: a
 * store without (the approvals table empty, or none) costs one
 * mdb_stat. */
static int approved_in(store_t *s, MDB_txn *txn, const indicator_t *ind,
                       int ri, const period_t *p, int subtree,
                       store_total_t *t)
{
    int any = 0;
    int rc = store_approvals_any(s, txn, &any);
    any = any || asof_has_approvals(asof_view(s)); /* approved at T */
    if (rc != ERR_OK || !any) {
        return rc;
    }
    appr_walk_t w = {NULL, {0}, ind};
    buf_init(&w.kb);
    rc = lmdbh_code(mdb_cursor_open(txn, s->approvals, &w.cur));
    if (rc == ERR_OK) {
        rc = appr_walk(s, txn, &w, ri, p, subtree, t);
        mdb_cursor_close(w.cur);
    }
    buf_fini(&w.kb);
    return rc;
}

/* A region's own figures for @p p, clipped to its validity: an abolished
 * region answers for its months (330103's 2021 stock is its 2021-03
 * value, months 3); outside them it expects nothing. */
static int own_in(store_t *s, MDB_txn *txn, int ii, uint32_t region,
                  const period_t *p, store_total_t *out)
{
    const indicator_t *ind = catalog_indicator(s->cat, (size_t)ii);
    derive_contrib_t c;
    memset(out, 0, sizeof *out);
    memset(&c, 0, sizeof c);
    int32_t from = p->first;
    int32_t to = p->last;
    int rc = ERR_OK;
    out->is_ratio = ind->kind == IND_RATIO;
    if (!clip_valid(s->cat, catalog_region_find(s->cat, region), &from,
                    &to)) {
        return ERR_OK;
    }
    rc = own_contrib(s, txn, ind, region, from, to, &c, &out->months);
    out->num = c.num;
    out->den = c.den;
    out->reporting = (uint32_t)c.present;
    out->expected = 1;
    if (rc == ERR_OK) {
        rc = approved_in(s, txn, NULL, catalog_region_find(s->cat, region),
                         p, 0, out);
    }
    return rc;
}

static int total_in(store_t *s, MDB_txn *txn, int ii, int ri,
                    const period_t *p, store_total_t *t)
{
    const indicator_t *ind = catalog_indicator(s->cat, (size_t)ii);
    const region_t *r = catalog_region(s->cat, (size_t)ri);
    if (r->n_children == 0) { /* no aggregates: its facts are its total */
        return own_in(s, txn, ii, r->code, p, t);
    }
    memset(t, 0, sizeof *t);
    t->is_ratio = ind->kind == IND_RATIO;
    period_t clipped = *p; /* the region's own months of p */
    if (!clip_valid(s->cat, ri, &clipped.first, &clipped.last)) {
        return ERR_OK;
    }
    p = &clipped;
    if (asof_facts(s) != NULL) { /* `agg` is now's: corrected (asof.c) */
        return asof_total(s, txn, ii, ri, p, t, total_in, contrib_code);
    }
    buf_t kb;
    buf_init(&kb);
    int rc = ERR_OK;
    t->expected = (uint32_t)catalog_region_expected(
        s->cat, ri, p->first, p->last, ind->over_time == OVER_LAST);

    enum codec_agg_kind k = CODEC_AGG_YEAR;
    int single = 1;
    if (p->first == p->last) {
        k = CODEC_AGG_MONTH;
    } else if (p->last - p->first == 2 && p->first % 3 == 0) {
        k = CODEC_AGG_QUARTER;
    } else if (p->last - p->first == 11 && p->first % 12 == 0) {
        k = CODEC_AGG_YEAR;
    } else {
        single = 0;
    }
    if (single) {
        codec_agg_t a;
        rc = get_agg(s, txn, &kb, k, ind->code, r->code, p->first, &a);
        t->num = a.num;
        t->den = a.den;
        t->reporting = a.reporting;
    } else if (p->first % 12 == 0 && (p->last + 1) % 12 == 0) {
        rc = span_total(txn, s->agg, &kb, ind, r->code, p->first,
                        p->last - 11, t);
        if (rc == ERR_OK && ind->over_time == OVER_LAST) {
            rc = span_stock_fix(s, txn, ind, ri, p, t);
        }
    } else if (ind->over_time == OVER_SUM) {
        rc = sum_range(s, txn, &kb, ind, r->code, p, t);
        if (rc == ERR_OK) {
            rc = walk_range(s, txn, ind, ri, p->first, p->last, 0, t);
        }
    } else {
        rc = walk_range(s, txn, ind, ri, p->first, p->last, 1, t);
    }
    buf_fini(&kb);
    if (rc == ERR_OK) {
        rc = approved_in(s, txn, NULL, ri, p, 1, t);
    }
    return rc;
}

/* The approved-only total of store_total_approved(). */
static int approved_total_in(store_t *s, MDB_txn *txn, int ii, int ri,
                             const period_t *p, store_total_t *t)
{
    const indicator_t *ind = catalog_indicator(s->cat, (size_t)ii);
    memset(t, 0, sizeof *t);
    t->is_ratio = ind->kind == IND_RATIO;
    t->expected = (uint32_t)catalog_region_expected(
        s->cat, ri, p->first, p->last, ind->over_time == OVER_LAST);
    return approved_in(s, txn, ind, ri, p, 1, t);
}

enum total_mode { TOTAL_ALL, TOTAL_OWN, TOTAL_APPROVED };

/* store_total(), store_own() or store_total_approved(), by @p mode. */
static int one_total(store_t *self, const char *indicator, uint32_t region,
                     const period_t *p, enum total_mode mode,
                     store_total_t *out, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    int ii;
    int ri;
    MDB_txn *txn = NULL;
    memset(out, 0, sizeof *out);
    int rc = snap_lookup_begin(self, indicator, region, &ii, &ri, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    rc = mode == TOTAL_OWN ? own_in(self, txn, ii, region, p, out)
         : mode == TOTAL_APPROVED
             ? approved_total_in(self, txn, ii, ri, p, out)
             : total_in(self, txn, ii, ri, p, out);
    snap_end(self, &txn);
    if (rc != ERR_OK) {
        memset(out, 0, sizeof *out);
        rec_fail(self->file, mode == TOTAL_OWN ? "own" : "total", rc, err);
    }
    return rc;
}

int store_total(store_t *self, const char *indicator, uint32_t region,
                const period_t *p, store_total_t *out, char err[ERR_LEN])
{
    return one_total(self, indicator, region, p, TOTAL_ALL, out, err);
}

int store_total_approved(store_t *self, const char *indicator,
                         uint32_t region, const period_t *p,
                         store_total_t *out, char err[ERR_LEN])
{
    return one_total(self, indicator, region, p, TOTAL_APPROVED, out, err);
}

int store_own(store_t *self, const char *indicator, uint32_t region,
              const period_t *p, store_total_t *out, char err[ERR_LEN])
{
    return one_total(self, indicator, region, p, TOTAL_OWN, out, err);
}

int store_breakdown(store_t *self, const char *indicator, uint32_t region,
                    const period_t *p, store_total_t *own,
                    store_total_t **children, size_t *n, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    int ii;
    int ri;
    MDB_txn *txn = NULL;
    memset(own, 0, sizeof *own);
    *children = NULL;
    *n = 0;
    int rc = snap_lookup_begin(self, indicator, region, &ii, &ri, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    const region_t *r = catalog_region(self->cat, (size_t)ri);
    store_total_t *kids = NULL;
    if (r->n_children > 0) {
        kids = xcalloc(r->n_children, sizeof *kids);
    }
    rc = own_in(self, txn, ii, region, p, own);
    const indicator_t *ind = catalog_indicator(self->cat, (size_t)ii);
    for (size_t i = 0; rc == ERR_OK && i < r->n_children; i++) {
        rc = total_in(self, txn, ii, r->children[i], p, &kids[i]);
        /* A child's row is its contribution to the total (INVARIANT 4):
         * for a stock, nothing from a child gone by the period's end. */
        if (rc == ERR_OK && ind->over_time == OVER_LAST &&
            !catalog_region_valid(self->cat, r->children[i], p->last)) {
            int is_ratio = kids[i].is_ratio;
            uint32_t months = kids[i].months; /* it did report them */
            memset(&kids[i], 0, sizeof kids[i]);
            kids[i].is_ratio = is_ratio;
            kids[i].months = months;
        }
    }
    snap_end(self, &txn);
    if (rc != ERR_OK) {
        free(kids);
        memset(own, 0, sizeof *own);
        rec_fail(self->file, "breakdown", rc, err);
        return rc;
    }
    *children = kids;
    *n = r->n_children;
    return ERR_OK;
}

/* One region's row of store_reported(): @p row[k] for indicator k, and
 * for a one-month period (@p first not NULL) @p first[k], the collector's
 * time of the cell's first report (0: none). */
static int reported_row(store_t *s, MDB_txn *txn, MDB_cursor *cur,
                        buf_t *ak, uint32_t region, const period_t *p,
                        unsigned char *row, int64_t *first)
{
    int rc = ERR_OK;
    int32_t from = p->first; /* the region's own months of p */
    int32_t to = p->last;
    (void)clip_valid(s->cat, catalog_region_find(s->cat, region), &from,
                     &to);
    for (size_t k = 0; rc == ERR_OK && k < catalog_indicator_count(s->cat);
         k++) {
        const char *code = catalog_indicator(s->cat, k)->code;
        fact_iter_t it;
        int32_t m;
        codec_fact_t f;
        rc = fit_open(&it, txn, s, cur, code, region, from, to, 0);
        int yes = rc == ERR_OK && fit_next(&it, &m, &f, &rc);
        fit_close(&it);
        row[k] = (unsigned char)yes;
        if (first != NULL) {
            first[k] = 0;
            if (rc == ERR_OK && yes) {
                rc = history_first_received(s, txn, ak, f.audit_id, code, region, m,
                                    &first[k]);
            }
        }
    }
    return rc;
}

int store_reported(store_t *self, const uint32_t *regions, size_t n,
                   const period_t *p, store_reported_fn fn, void *arg,
                   char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    for (size_t i = 0; i < n; i++) {
        if (catalog_region_find(self->cat, regions[i]) < 0) {
            snprintf(err, ERR_LEN, "unknown region %u", regions[i]);
            return ERR_NOTFOUND;
        }
    }
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int rc = snap_begin(self, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    /* One cursor for every seek: the answer is one snapshot, and costs
     * one seek per region and indicator (and, for a month, one read per
     * revision of each reported cell: its first report's time). */
    size_t nind = catalog_indicator_count(self->cat);
    unsigned char *row = xcalloc(nind + 1, 1);
    int64_t *first = p->first == p->last
                         ? xcalloc(nind + 1, sizeof *first) : NULL;
    buf_t ak;
    buf_init(&ak);
    rc = lmdbh_code(mdb_cursor_open(txn, self->facts, &cur));
    unsigned seeks = (unsigned)nind;
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        rc = reported_row(self, txn, cur, &ak, regions[i], p, row, first);
        if (rc == ERR_OK && fn(regions[i], row, first, arg) != 0) {
            break;
        }
        snap_shed(self, txn, seeks * SNAP_SEEK_READS);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    buf_fini(&ak);
    free(row);
    free(first);
    snap_end(self, &txn);
    if (rc != ERR_OK) {
        rec_fail(self->file, "completeness", rc, err);
    }
    return rc;
}

/* Number of @p by periods in @p range; ERR_INVAL when it does not split
 * into them or has more than MAX_SERIES_POINTS. */
static int series_count(const period_t *range, enum period_kind by,
                        int32_t *step, size_t *count, char err[ERR_LEN])
{
    if (by == PERIOD_RANGE) {
        snprintf(err, ERR_LEN, "a series is by month, quarter or year");
        return ERR_INVAL;
    }
    period_t first = period_of_month(by, range->first);
    if (first.first < range->first) {
        snprintf(err, ERR_LEN, "cannot split the period into %ss",
                 by == PERIOD_QUARTER ? "quarter" : "year");
        return ERR_INVAL;
    }
    *step = by == PERIOD_MONTH ? 1 : by == PERIOD_QUARTER ? 3 : 12;
    *count = (size_t)((range->last - range->first + 1) / *step);
    if (*count > MAX_SERIES_POINTS) {
        snprintf(err, ERR_LEN, "series too long: %zu points (limit %d)",
                 *count, MAX_SERIES_POINTS);
        return ERR_INVAL;
    }
    return ERR_OK;
}

int store_series(store_t *self, const char *indicator, uint32_t region,
                 const period_t *range, enum period_kind by,
                 store_point_t **points, size_t *n, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    int ii;
    int ri;
    int32_t step = 1;
    size_t count = 0;
    MDB_txn *txn = NULL;
    *points = NULL;
    *n = 0;
    int rc = snap_lookup_begin(self, indicator, region, &ii, &ri, &txn, err);
    if (rc == ERR_OK) {
        rc = series_count(range, by, &step, &count, err);
    }
    if (rc != ERR_OK) {
        snap_end(self, &txn);
        return rc;
    }
    store_point_t *pts = xcalloc(count, sizeof *pts);
    for (size_t i = 0; rc == ERR_OK && i < count; i++) {
        pts[i].period =
            period_of_month(by, range->first + (int32_t)i * step);
        rc = total_in(self, txn, ii, ri, &pts[i].period, &pts[i].total);
    }
    snap_end(self, &txn);
    if (rc != ERR_OK) {
        free(pts);
        rec_fail(self->file, "series", rc, err);
        return rc;
    }
    *points = pts;
    *n = count;
    return ERR_OK;
}
