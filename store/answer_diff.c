/* answer_diff.c: the diff answer (store_diff, store/asof.c) and the
 * as-of wrapper of the answers that take QueryRequest.as_of.
 *
 * A diff holds every listed cell (at most STORE_DIFF_MAX_CELLS) and two
 * Totals per (indicator, month) in one block the reply frees
 * (reply_t.extra), since the reply's own members are for the other
 * answers.
 *
 * INVARIANTS
 *   1. Every string the Diff points to is the reply's (reply_dup) or the
 *      catalog's; everything else is in the one diff_mem_t block, freed
 *      by reply_fini().
 *   2. A request with as_of is answered from one as-of view, begun and
 *      ended around its answer on the calling thread, or refused
 *      ERR_INVAL (QUERY_INVAL) when its kind does not take one.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/mem.h"
#include "store/answer.h"
#include "store/asof.h"
#include "store/resolve.h"

typedef struct diff_mem {
    Hrss__Diff diff;
    Hrss__DiffCell *cells;
    Hrss__DiffCell **cellp;
    Hrss__DiffTotal *tots;
    Hrss__DiffTotal **totp;
    reply_total_t *rt; /* two per total: from, to */
} diff_mem_t;

static void diff_mem_free(void *p)
{
    diff_mem_t *m = p;
    if (m == NULL) {
        return;
    }
    free(m->cells);
    free(m->cellp);
    free(m->tots);
    free(m->totp);
    free(m->rt);
    free(m);
}

static void fill_cells(reply_t *rp, diff_mem_t *m, const catalog_t *cat,
                       const store_diff_cell_t *c, size_t n)
{
    static const Hrss__DiffCell init = HRSS__DIFF_CELL__INIT;
    m->cells = xcalloc(n + 1, sizeof *m->cells);
    m->cellp = xcalloc(n + 1, sizeof *m->cellp);
    for (size_t i = 0; i < n; i++) {
        Hrss__DiffCell *d = &m->cells[i];
        *d = init;
        const indicator_t *ind =
            catalog_indicator(cat, (size_t)catalog_indicator_find(
                                       cat, c[i].indicator));
        d->indicator = reply_dup(rp, ind->code);
        d->region = c[i].region;
        d->month = (uint32_t)((c[i].month / 12) * 100 + c[i].month % 12 + 1);
        d->is_ratio = ind->kind == IND_RATIO;
        d->has_from = c[i].has_from != 0;
        d->from_numerator = c[i].from.num;
        d->from_denominator = c[i].from.den;
        d->has_to = c[i].has_to != 0;
        d->to_numerator = c[i].to.num;
        d->to_denominator = c[i].to.den;
        m->cellp[i] = d;
    }
    m->diff.n_cells = n;
    m->diff.cells = m->cellp;
}

static void fill_totals(reply_t *rp, diff_mem_t *m, const catalog_t *cat,
                        uint32_t region,
                        const store_diff_total_t *t, size_t n)
{
    static const Hrss__DiffTotal init = HRSS__DIFF_TOTAL__INIT;
    m->tots = xcalloc(n + 1, sizeof *m->tots);
    m->totp = xcalloc(n + 1, sizeof *m->totp);
    m->rt = xcalloc(2 * n + 1, sizeof *m->rt);
    for (size_t i = 0; i < n; i++) {
        const indicator_t *ind = catalog_indicator(
            cat, (size_t)catalog_indicator_find(cat, t[i].indicator));
        period_t p = period_of_month(PERIOD_MONTH, t[i].month);
        char *code = reply_dup(rp, ind->code);
        reply_total(&m->rt[2 * i], code, region, &p, &t[i].from);
        reply_total(&m->rt[2 * i + 1], code, region, &p, &t[i].to);
        m->tots[i] = init;
        m->tots[i].from = &m->rt[2 * i].msg;
        m->tots[i].to = &m->rt[2 * i + 1].msg;
        m->totp[i] = &m->tots[i];
    }
    m->diff.n_totals = n;
    m->diff.totals = m->totp;
}

int answer_diff(store_t *st, const Hrss__DiffQ *q, reply_t *rp)
{
    static const Hrss__Diff init = HRSS__DIFF__INIT;
    const catalog_t *cat = store_catalog(st);
    uint32_t region = 0;
    const char *code = NULL;
    int rc = resolve_region(cat, q->has_region ? q->region : 0, &region,
                            rp->err);
    if (rc == ERR_OK && q->indicator != NULL) {
        int ii = -1;
        rc = resolve_indicator(cat, q->indicator, &ii, rp->err);
        code = rc == ERR_OK ? catalog_indicator(cat, (size_t)ii)->code : NULL;
    }
    if (rc != ERR_OK) {
        return rc;
    }
    store_diff_cell_t *cells = NULL;
    store_diff_total_t *tots = NULL;
    size_t n = 0;
    size_t nt = 0;
    int truncated = 0;
    rc = store_diff(st, q->from, q->to, region, code, &cells, &n, &tots, &nt,
                    &truncated, rp->err);
    if (rc == ERR_OK) {
        diff_mem_t *m = xcalloc(1, sizeof *m);
        rp->extra = m;
        rp->extra_free = diff_mem_free;
        m->diff = init;
        m->diff.from = q->from;
        m->diff.to = q->to;
        m->diff.region = region;
        m->diff.has_truncated = truncated != 0;
        m->diff.truncated = truncated != 0;
        fill_cells(rp, m, cat, cells, n);
        fill_totals(rp, m, cat, region, tots, nt);
        rp->msg.r_case = HRSS__QUERY_RESPONSE__R_DIFF;
        rp->msg.diff = &m->diff;
    }
    free(cells);
    free(tots);
    return rc;
}

int answer_as_of_begin(store_t *st, const Hrss__QueryRequest *q,
                       reply_t *rp)
{
    switch (q->q_case) {
    case HRSS__QUERY_REQUEST__Q_TOTAL:
    case HRSS__QUERY_REQUEST__Q_BREAKDOWN:
    case HRSS__QUERY_REQUEST__Q_SERIES:
    case HRSS__QUERY_REQUEST__Q_COMPLETENESS:
    case HRSS__QUERY_REQUEST__Q_FACTS:
        return store_asof_begin(st, q->as_of, rp->err);
    default:
        snprintf(rp->err, sizeof rp->err,
                 "as_of: only a total, breakdown, series, completeness or "
                 "facts query is answered as of a moment");
        return ERR_INVAL;
    }
}
