/* spool_receipts.c: the office's receipts (spool.h spool_receipts()):
 * one record per update the collector acknowledged, written by the ack
 * that deletes it from the queue, in the same transaction.
 *
 * Table "receipts" (came after spool format 2 without a bump: a writable
 * open creates it, a read-only open of an older spool finds none and
 * reads no receipts):
 *
 *   KEY_V1 seq:u64be -> REC_V1 IND\0 region:u32 yyyymm:u32 is_ratio:u8
 *                       num:i64 den:i64 submitted_at:i64 outcome\0
 *                       has_position:u8 [position:u64] has_head:u8
 *                       [head:32 bytes] acked_at:i64          (sealed)
 *
 * outcome is "accepted", the Ack's reason_name for that seq, or
 * "unknown": a replayed update (its first Ack lost) whose rejection the
 * collector no longer keeps (reason 0, REJ_NONE; collector/replays.h).
 * An ack from an older collector carries no position and head, and
 * neither does one written by spool_ack(): has_position = has_head = 0. Receipts are never deleted: an
 * office sends some 1,500 figures a year, about 100 bytes each.
 *
 * INVARIANTS
 *   1. A receipt is written only in the transaction that deletes its
 *      update from the queue (spool_queue.c delete_below), so each
 *      acknowledged update has at most one, and a crash keeps both or
 *      neither.
 *   2. Every receipt read is unsealed and parsed whole before it is
 *      handed out; one that fails is ERR_CORRUPT naming its seq.
 */
#include "agent/spool_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/lmdbh.h"
#include "common/update.h"
#include "common/wire.h"

int spool_receipts_open(spool_t *s, MDB_txn *txn, unsigned flags)
{
    int mrc = mdb_dbi_open(txn, "receipts", flags,
                           &s->dbi[SPOOL_T_RECEIPTS]);
    s->have_receipts = mrc == MDB_SUCCESS;
    return mrc == MDB_NOTFOUND ? ERR_OK : lmdbh_code(mrc);
}

/* "accepted", or the reason of @p seq's rejection in @p rej, into
 * @p out: its name; without one, its number's (the wire's number mapped
 * by common/wire to common/update's name), "unknown" for reason 0, and
 * "reason_N" only for a number this agent does not know. Never
 * "rejected": that is no reason. */
static void outcome_of(uint64_t seq, const spool_rejection_t *rej,
                       size_t nrej, char *out, size_t cap)
{
    enum update_reason why = UPDATE_OK;
    for (size_t i = 0; i < nrej; i++) {
        if (rej[i].seq != seq) {
            continue;
        }
        if (rej[i].reason_name[0] != '\0') {
            snprintf(out, cap, "%s", rej[i].reason_name);
        } else if (spool_rejection_unknown(&rej[i])) {
            snprintf(out, cap, "%s", SPOOL_OUTCOME_UNKNOWN);
        } else if (wire_reason_from_proto((Hrss__RejectReason)rej[i].reason,
                                          &why) &&
                   why != UPDATE_OK) {
            snprintf(out, cap, "%s", update_reason_name(why));
        } else { /* a number newer than this agent */
            snprintf(out, cap, "reason_%u", (unsigned)rej[i].reason);
        }
        return;
    }
    snprintf(out, cap, "%s", SPOOL_OUTCOME_ACCEPTED);
}

int spool_receipt_put(const spool_t *s, MDB_txn *txn, const MDB_val *k,
                      const MDB_val *d, const spool_rejection_t *rej,
                      size_t nrej, const spool_ackinfo_t *info)
{
    char ignored[ERR_LEN];
    spool_update_t u;
    if (!s->have_receipts ||
        spool_get_queued(s, k, d, &u, ignored) != ERR_OK) {
        return ERR_OK;
    }
    char outcome[SPOOL_OUTCOME_MAX + 1];
    outcome_of(u.seq, rej, nrej, outcome, sizeof outcome);
    if (info != NULL && info->outcomes_unknown) {
        snprintf(outcome, sizeof outcome, "%s", SPOOL_OUTCOME_UNKNOWN);
    }
    buf_t v;
    buf_init(&v);
    buf_put_u8(&v, SPOOL_REC_V1);
    spool_put_update(&v, &u);
    buf_put_str(&v, outcome);
    int has_pos = info != NULL && info->has_position;
    int has_head = info != NULL && info->has_head;
    buf_put_u8(&v, (uint8_t)has_pos);
    if (has_pos) {
        buf_put_u64(&v, info->position);
    }
    buf_put_u8(&v, (uint8_t)has_head);
    if (has_head) {
        buf_put(&v, info->head, sizeof info->head);
    }
    buf_put_i64(&v, info != NULL ? info->at : (int64_t)time(NULL));
    /* The key is the queue's: KEY_V1 seq. Copy it, the queue's MDB_val
     * is borrowed from the page the put may move. */
    buf_t kb;
    buf_init(&kb);
    spool_key_seq(&kb, u.seq);
    MDB_val kv = lmdbh_val(&kb);
    int rc = spool_put(s, txn, SPOOL_T_RECEIPTS, &kv, &v, 0);
    buf_fini(&kb);
    buf_fini(&v);
    return rc;
}

int spool_parse_receipt(const MDB_val *k, const MDB_val *d,
                        spool_receipt_t *r)
{
    memset(r, 0, sizeof *r);
    int rc = spool_parse_seq(k, &r->update.seq);
    buf_reader_t rd;
    buf_reader_init(&rd, d->mv_data, d->mv_size);
    if (buf_get_u8(&rd) != SPOOL_REC_V1) {
        rc = ERR_CORRUPT;
    }
    snprintf(r->update.indicator, sizeof r->update.indicator, "%s",
             buf_get_str(&rd));
    r->update.region = buf_get_u32(&rd);
    r->update.yyyymm = buf_get_u32(&rd);
    r->update.is_ratio = buf_get_u8(&rd) != 0;
    r->update.num = buf_get_i64(&rd);
    r->update.den = buf_get_i64(&rd);
    r->update.submitted_at = buf_get_i64(&rd);
    snprintf(r->outcome, sizeof r->outcome, "%s", buf_get_str(&rd));
    r->has_position = buf_get_u8(&rd) != 0;
    if (r->has_position) {
        r->position = buf_get_u64(&rd);
    }
    r->has_head = buf_get_u8(&rd) != 0;
    for (size_t i = 0; r->has_head && i < sizeof r->head; i++) {
        r->head[i] = buf_get_u8(&rd);
    }
    r->acked_at = buf_get_i64(&rd);
    if (rc == ERR_OK && (!buf_done(&rd) || r->outcome[0] == '\0' ||
                         r->update.indicator[0] == '\0')) {
        rc = ERR_CORRUPT;
    }
    return rc;
}

int spool_receipts(spool_t *self, spool_receipt_fn fn, void *arg,
                   char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    err[0] = '\0';
    if (!self->have_receipts) {
        return ERR_OK;
    }
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn));
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "cannot read spool %.300s: %s", self->file,
                 err_str(rc));
        return rc;
    }
    int mrc = mdb_cursor_open(txn, self->dbi[SPOOL_T_RECEIPTS], &cur);
    MDB_val k;
    MDB_val d;
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
    }
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        spool_receipt_t r;
        rc = spool_unseal(self, SPOOL_T_RECEIPTS, &k, &d, err);
        if (rc == ERR_OK && spool_parse_receipt(&k, &d, &r) != ERR_OK) {
            rc = spool_damage(self, SPOOL_T_RECEIPTS, &k, "malformed record",
                              err);
        }
        if (rc == ERR_OK && fn(&r, arg) != 0) {
            break;
        }
        if (rc == ERR_OK) {
            mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
        }
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = spool_lmdb(self, SPOOL_T_RECEIPTS, mrc, err);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    return rc;
}

int spool_identity_name(spool_t *self, char *out, size_t cap,
                        char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    static const char key[] = "identity";
    MDB_val k = {sizeof key - 1, (void *)(uintptr_t)key};
    MDB_val d;
    MDB_txn *txn = NULL;
    int found = 0;
    out[0] = '\0';
    err[0] = '\0';
    int rc = lmdbh_code(mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn));
    if (rc == ERR_OK) {
        rc = lmdbh_get(txn, self->dbi[SPOOL_T_META], &k, &d, &found);
    }
    if (rc == ERR_OK && found) {
        rc = spool_unseal(self, SPOOL_T_META, &k, &d, err);
    }
    if (rc == ERR_OK && found) {
        /* "NAME REGION": the name is what comes before the last space. */
        size_t n = d.mv_size;
        const char *p = d.mv_data;
        while (n > 0 && p[n - 1] != ' ') {
            n--;
        }
        n = n > 0 ? n - 1 : d.mv_size;
        snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
    }
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    if (rc != ERR_OK && err[0] == '\0') {
        snprintf(err, ERR_LEN, "cannot read spool %.300s: %s", self->file,
                 err_str(rc));
    }
    return rc;
}
