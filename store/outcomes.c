/* outcomes.c: the kept outcomes of a reporter's replayed seqs
 * (outcomes.h), read for the Ack of a batch that is partly a replay.
 *
 * rejby lists a reporter's kept rejection ids oldest first; a reporter's
 * seqs rise with its ids (each batch takes the next numbers), so the walk
 * starts at the newest (MDB_LAST_DUP) and stops at the first rejection
 * below lo: a replay is of the newest seqs, and this costs what the range
 * holds, not what the reporter ever had rejected.
 *
 * INVARIANTS
 *   1. One read-only transaction; every record read is unsealed and
 *      parsed before use (rec.h), a damaged one is ERR_CORRUPT.
 *   2. out[] is in ascending seq order, all in [lo, hi).
 */
#include "store/outcomes.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lmdbh.h"
#include "common/mem.h"
#include "store/codec.h"
#include "store/env.h"
#include "store/rec.h"
#include "store/write_int.h"

/* The rejection whose id is the rejby value @p d, into @p o. */
static int read_one(MDB_txn *txn, const store_t *s, const MDB_val *rk,
                    const MDB_val *d, buf_t *kb, store_rejection_t *o,
                    int *found)
{
    uint8_t copy[CODEC_REJIDX_LEN + LMDBH_SEAL_LEN];
    if (d->mv_size != sizeof copy) {
        return rec_malformed("rejby", rk, ERR_CORRUPT);
    }
    memcpy(copy, d->mv_data, sizeof copy);
    MDB_val v = {sizeof copy, copy};
    uint64_t id = 0;
    int rc = rec_unseal("rejby", rk, &v);
    if (rc == ERR_OK) {
        rc = rec_malformed("rejby", rk, codec_parse_rejidx(&v, &id));
    }
    if (rc != ERR_OK) {
        return rc;
    }
    codec_key_id(kb, id);
    MDB_val ik = lmdbh_val(kb);
    MDB_val rv;
    rc = rec_get(txn, s->rejects, "rejects", &ik, &rv, found);
    if (rc != ERR_OK || !*found) {
        return rc;
    }
    store_rejected_t rj;
    rc = rec_malformed("rejects", &ik, codec_parse_reject(&ik, &rv, &rj));
    if (rc == ERR_OK) {
        o->seq = rj.seq;
        o->reason = rj.reason;
        snprintf(o->message, sizeof o->message, "%s", rj.message);
    }
    return rc;
}

/* Walk @p rk's rejections from the newest while their seq >= @p lo. */
static int walk(MDB_txn *txn, const store_t *s, const MDB_val *rk,
                uint64_t lo, uint64_t hi, store_rejection_t **out, size_t *n,
                size_t *kept, uint64_t *oldest)
{
    MDB_cursor *cur = NULL;
    buf_t kb;
    int rc = lmdbh_code(mdb_cursor_open(txn, s->rejby, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    buf_init(&kb);
    MDB_val k = *rk;
    MDB_val d;
    size_t cap = 0;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_KEY);
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_cursor_count(cur, kept);
    }
    if (mrc == MDB_SUCCESS) { /* the oldest kept: trimmed ones lie below */
        store_rejection_t first;
        int found = 0;
        rc = read_one(txn, s, rk, &d, &kb, &first, &found);
        *oldest = found ? first.seq : 0;
        mrc = rc == ERR_OK ? mdb_cursor_get(cur, &k, &d, MDB_LAST_DUP)
                           : MDB_NOTFOUND;
    }
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        store_rejection_t r;
        int found = 0;
        rc = read_one(txn, s, rk, &d, &kb, &r, &found);
        if (rc != ERR_OK || (found && r.seq < lo)) {
            break;
        }
        if (found && r.seq < hi) {
            if (*n == cap) {
                cap = cap != 0 ? cap * 2 : 16;
                *out = xreallocarray(*out, cap, sizeof **out);
            }
            (*out)[(*n)++] = r;
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_PREV_DUP);
    }
    buf_fini(&kb);
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = rec_malformed("rejby", rk, lmdbh_code(mrc));
    }
    mdb_cursor_close(cur);
    /* Newest first: turn into seq order. */
    for (size_t i = 0; rc == ERR_OK && i < *n / 2; i++) {
        store_rejection_t t = (*out)[i];
        (*out)[i] = (*out)[*n - 1 - i];
        (*out)[*n - 1 - i] = t;
    }
    return rc;
}

int store_replay_outcomes(store_t *self, const char *reporter, uint64_t lo,
                          uint64_t hi, store_rejection_t **out, size_t *n,
                          uint64_t *known_from, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    *out = NULL;
    *n = 0;
    *known_from = UINT64_MAX;
    if (!codec_reporter_valid(reporter) || self->readonly) {
        snprintf(err, ERR_LEN, "%s",
                 self->readonly ? "the store is open read-only"
                                : "invalid reporter id");
        return ERR_INVAL;
    }
    MDB_txn *txn = NULL;
    int rc = env_txn_begin(self, MDB_RDONLY, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_init(&kb);
    codec_reporter_t p;
    int found = 0;
    rc = write_get_reporter(txn, self->reporters, &kb, reporter, &p, &found);
    size_t kept = 0;
    uint64_t oldest = 0;
    if (rc == ERR_OK && found && lo < hi) {
        codec_key_reporter(&kb, reporter);
        MDB_val rk = lmdbh_val(&kb);
        rc = walk(txn, self, &rk, lo, hi, out, n, &kept, &oldest);
    }
    buf_fini(&kb);
    env_txn_abort(self, &txn);
    if (rc != ERR_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
        return rec_fail(self->file, "replayed outcomes", rc, err);
    }
    if (!found || p.rejected <= kept) {
        *known_from = 1; /* nothing of it was ever trimmed */
    } else if (kept > 0 && oldest > 0) {
        *known_from = oldest;
    }
    return ERR_OK;
}
