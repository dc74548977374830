/* lock.c: the automatic lock of a month some days after its deadline,
 * and the province's exceptions to it (store.h: store_set_lock_after,
 * STORE_EXCEPT, STORE_UNEXCEPT).
 *
 * With lock_after_days N > 0, an update for (indicator, region, month)
 * received later than the indicator's deadline for that month (the
 * catalog's, common/deadline.h) plus N days is refused with
 * UPDATE_PERIOD_LOCKED, unless the "exceptions" table holds the region's
 * month: the province let it in late. write.c asks store_lock_txn()
 * after the approvals' lock.
 *
 * Table "exceptions": key CODEC_KEY_V1 region:u32 month:u32 (as
 * "approvals") -> CODEC_REC_V1 at:i64 by\0, sealed. Granting and
 * withdrawing are logged in approvals_log (actions except, unexcept).
 *
 * INVARIANTS
 *   1. Only a scope that covers the root (the province) grants or
 *      withdraws an exception; each change is one approvals_log record in
 *      the same transaction; a refused one changes nothing.
 *   2. The lock depends on the batch's received_at only: the same batch
 *      at the same time gets the same answer (a replay, a dry run).
 */
#include <stdio.h>
#include <string.h>

#include "common/deadline.h"
#include "common/lmdbh.h"
#include "store/codec.h"
#include "store/env.h"
#include "store/rec.h"

int store_exception_rec_parse(const MDB_val *k, const MDB_val *d)
{
    buf_reader_t r;
    buf_reader_init(&r, k->mv_data, k->mv_size);
    if (buf_get_u8(&r) != CODEC_KEY_V1) {
        return ERR_CORRUPT;
    }
    (void)buf_get_u32(&r); /* region */
    (void)buf_get_u32(&r); /* month */
    if (!buf_done(&r)) {
        return ERR_CORRUPT;
    }
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != CODEC_REC_V1) {
        return ERR_CORRUPT;
    }
    (void)buf_get_i64(&r); /* at */
    const char *by = buf_get_str(&r);
    return buf_done(&r) && strlen(by) <= STORE_REPORTER_MAX ? ERR_OK
                                                           : ERR_CORRUPT;
}

void store_set_lock_after(store_t *self, int days)
{
    self->lock_after_days = days > 0 ? days : 0;
}

static void key_exc(buf_t *b, uint32_t region, int32_t month)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_KEY_V1);
    buf_put_u32(b, region);
    buf_put_u32(b, (uint32_t)month);
}

int store_exception_txn(const store_t *s, MDB_txn *txn, buf_t *kb,
                        uint32_t region, int32_t month, int *has)
{
    *has = 0;
    if (s->exceptions == 0) {
        return ERR_OK;
    }
    key_exc(kb, region, month);
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    return rec_get(txn, s->exceptions, "exceptions", &k, &d, has);
}

int store_exception_act(store_t *s, MDB_txn *txn, buf_t *kb, buf_t *vb,
                        const store_approval_req_t *rq,
                        store_approval_t *out, char err[ERR_LEN])
{
    int root = catalog_region_root(s->cat);
    int grant = rq->action == STORE_EXCEPT;
    char month[PERIOD_STR_LEN];
    month_format(rq->month, month, sizeof month);
    if (rq->allowed != NULL && !rq->allowed[root]) {
        snprintf(err, ERR_LEN, "%s %u %s: %s may not: only the province "
                               "grants exceptions to the lock",
                 grant ? "except" : "unexcept", rq->region, month, rq->by);
        return ERR_DENIED;
    }
    int has = 0;
    int rc = store_exception_txn(s, txn, kb, rq->region, rq->month, &has);
    if (rc == ERR_OK && has == grant) {
        snprintf(err, ERR_LEN, "%s %u %s: %s", grant ? "except" : "unexcept",
                 rq->region, month,
                 grant ? "it has an exception already"
                       : "it has no exception");
        return ERR_INVAL;
    }
    key_exc(kb, rq->region, rq->month);
    MDB_val k = lmdbh_val(kb);
    if (rc == ERR_OK && grant) {
        buf_reset(vb);
        buf_put_u8(vb, CODEC_REC_V1);
        buf_put_i64(vb, rq->at);
        buf_put_str(vb, rq->by);
        rc = rec_put(txn, s->exceptions, &k, vb, 0);
    } else if (rc == ERR_OK) {
        rc = lmdbh_code(mdb_del(txn, s->exceptions, &k, NULL));
    }
    if (rc == ERR_OK) {
        rc = store_approval_log_put(s, txn, kb, vb, rq);
    }
    store_approval_t a;
    int locked = 0;
    if (rc == ERR_OK && out != NULL) {
        rc = store_locked_txn(s, txn, kb, rq->region, rq->month, &locked);
        memset(&a, 0, sizeof a);
        a.region = rq->region;
        a.month = rq->month;
        a.state = STORE_OPEN;
        a.exception = grant;
        *out = a;
    }
    (void)locked;
    return rc;
}

int store_lock_txn(const store_t *s, MDB_txn *txn, buf_t *kb,
                   const update_cell_t *cell, uint32_t region,
                   int64_t received_at, char msg[STORE_MSG_LEN])
{
    if (s->lock_after_days <= 0) {
        return ERR_OK;
    }
    const catalog_plan_t *plan = catalog_plan(s->cat);
    const indicator_t *ind = catalog_indicator(s->cat, (size_t)cell->indicator);
    int64_t closes = deadline_of(plan, ind, cell->month) +
                     (int64_t)s->lock_after_days * DEADLINE_DAY_S;
    if (received_at <= closes) {
        return ERR_OK;
    }
    int has = 0;
    int rc = store_exception_txn(s, txn, kb, region, cell->month, &has);
    if (rc == ERR_OK && !has) {
        char month[PERIOD_STR_LEN];
        char day[16];
        month_format(cell->month, month, sizeof month);
        deadline_format_date(closes, plan->tz_offset, day, sizeof day);
        snprintf(msg, STORE_MSG_LEN,
                 "period: %s of region %u closed on %s, %d days after its "
                 "deadline: the province can grant an exception", month,
                 region, day, s->lock_after_days);
    }
    return rc;
}
