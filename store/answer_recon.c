/* answer_recon.c: the query server's answer to ReconcileQ (answer.h):
 * store_reconcile() as a Reconciliation, whole (not paged: a province's
 * offices times the months asked, a few thousand rows at most; the
 * answer's size cap still holds, QUERY_FULL past it).
 *
 * INVARIANTS
 *   1. Rows are in the store's order (region, month, reporter); the
 *      pointers into the items are taken after the last push (answer.h,
 *      invariant 3).
 */
#include "store/answer.h"
#include "store/resolve.h"

/* One pushed item: a row, or a lost entry (the list's pointer then
 * points at its second member). */
typedef struct recon_item {
    Hrss__ReconcileRow row; /* first: reply_ptrs() points at the item */
    Hrss__ReconcileLost lost;
} recon_item_t;

int answer_reconcile(store_t *st, const Hrss__ReconcileQ *q, reply_t *rp)
{
    static const Hrss__ReconcileRow row0 = HRSS__RECONCILE_ROW__INIT;
    static const Hrss__ReconcileLost lost0 = HRSS__RECONCILE_LOST__INIT;
    const catalog_t *cat = store_catalog(st);
    period_t p;
    const period_t *pp = NULL;
    uint32_t region = 0;
    store_recon_t r = {0};
    int rc = ERR_OK;
    if (q->period != NULL && q->period[0] != '\0') {
        rc = period_parse(q->period, &p, rp->err);
        pp = &p;
    }
    if (rc == ERR_OK && q->has_region && q->region != 0) {
        rc = resolve_region(cat, q->region, &region, rp->err);
    }
    if (rc == ERR_OK) {
        rc = store_reconcile(st, region, pp, &r, rp->err);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    rp->items.size = sizeof(recon_item_t);
    for (size_t i = 0; i < r.n; i++) {
        recon_item_t *it = reply_push(rp);
        it->row = row0;
        it->row.reporter = reply_dup(rp, r.rows[i].reporter);
        it->row.region = r.rows[i].region;
        it->row.month = r.rows[i].yyyymm;
        it->row.accepted = r.rows[i].accepted;
        it->row.rejected = r.rows[i].rejected;
    }
    for (size_t i = 0; i < r.n_lost; i++) {
        recon_item_t *it = reply_push(rp);
        it->lost = lost0;
        it->lost.reporter = reply_dup(rp, r.lost[i].reporter);
        it->lost.counted = r.lost[i].counted;
        it->lost.tallied = r.lost[i].tallied;
    }
    void **pv = NULL;
    if (rp->items.n > 0) {
        pv = reply_ptrs(rp);
        for (size_t i = r.n; i < rp->items.n; i++) {
            pv[i] = &((recon_item_t *)reply_item(rp, i))->lost;
        }
    }
    rp->recon.n_rows = r.n;
    rp->recon.rows = r.n > 0 ? (Hrss__ReconcileRow **)pv : NULL;
    rp->recon.n_lost = r.n_lost;
    rp->recon.lost = r.n_lost > 0 ? (Hrss__ReconcileLost **)(pv + r.n)
                                  : NULL;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_RECONCILE;
    rp->msg.reconcile = &rp->recon;
    store_recon_fini(&r);
    return ERR_OK;
}
