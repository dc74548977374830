/* answer_outl.c: the query server's answer to OutliersQ (answer.h):
 * the figures flagged as outliers (store_outliers()), paged by cell.
 *
 * INVARIANTS
 *   1. Items are in the store's order (indicator, region, month); each
 *      item's two tests are linked to it only after the last push
 *      (answer.h, invariant 3).
 */
#include "store/answer.h"
#include "store/outlier.h"
#include "store/resolve.h"

/* An outlier item: the message and its two tests, whose pointers are
 * set after the last push (INVARIANT 3). */
typedef struct outl_item {
    Hrss__Outlier o; /* first: reply_ptrs() points at the item */
    Hrss__OutlierTest seasonal;
    Hrss__OutlierTest recent;
} outl_item_t;

static void outl_link(outl_item_t *it)
{
    it->o.seasonal = &it->seasonal;
    it->o.recent = &it->recent;
}

static void outl_test(Hrss__OutlierTest *out, const store_outlier_test_t *t)
{
    static const Hrss__OutlierTest init = HRSS__OUTLIER_TEST__INIT;
    *out = init;
    out->points = t->points;
    out->median = t->median;
    out->mad = t->mad;
    out->z = t->z;
}

static int each_outlier(const store_outlier_t *o, void *arg)
{
    static const Hrss__Outlier init = HRSS__OUTLIER__INIT;
    reply_t *rp = arg;
    reply_key_t k = {.list = REPLY_LIST_OUTLIERS, .region = o->region,
                     .month = o->month};
    reply_key_str(&k, o->indicator);
    if (!reply_page_wants(rp, &k)) {
        return 0;
    }
    if (!reply_page_room(rp)) {
        return 1;
    }
    outl_item_t *it = reply_push(rp);
    it->o = init;
    it->o.indicator = reply_dup(rp, o->indicator);
    it->o.region = o->region;
    it->o.month = month_to_yyyymm(o->month);
    it->o.reasons = o->reasons;
    it->o.value = o->value;
    it->o.threshold = OUTLIER_THRESHOLD;
    if (o->reasons & 4u) { /* OUTLIER_RANGE */
        it->o.has_range_min = o->has_min;
        it->o.range_min = o->min;
        it->o.has_range_max = o->has_max;
        it->o.range_max = o->max;
    }
    outl_test(&it->seasonal, &o->seasonal);
    outl_test(&it->recent, &o->recent);
    outl_link(it);
    reply_page_took(rp, &k, hrss__outlier__get_packed_size(&it->o));
    return 0;
}

int answer_outliers(store_t *st, const Hrss__OutliersQ *q, reply_t *rp)
{
    const catalog_t *cat = store_catalog(st);
    int rc = ERR_OK;
    period_t p;
    uint32_t region = 0;
    rc = period_parse(resolve_str(q->period), &p, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    if (q->has_region && q->region != 0) {
        rc = resolve_region(cat, q->region, &region, rp->err);
        if (rc != ERR_OK) {
            goto out;
        }
    }
    rc = reply_page_begin(rp, REPLY_LIST_OUTLIERS, q->has_after, &q->after,
                          q->has_limit, q->limit);
    if (rc != ERR_OK) {
        goto out;
    }
    rp->items.size = sizeof(outl_item_t);
    rc = store_outliers(st, &p, region, each_outlier, rp, rp->err);
    if (rc == ERR_OK) {
        rc = reply_page_end(rp, &rp->outlier_list.has_next,
                            &rp->outlier_list.next);
    }
    if (rc != ERR_OK) {
        goto out;
    }
    for (size_t i = 0; i < rp->items.n; i++) {
        outl_link(reply_item(rp, i)); /* the items moved as they grew */
    }
    Hrss__Outlier **pp = reply_ptrs(rp);
    rp->outlier_list.n_outliers = rp->items.n;
    rp->outlier_list.outliers = pp;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_OUTLIERS;
    rp->msg.outliers = &rp->outlier_list;
out:
    return rc;
}
