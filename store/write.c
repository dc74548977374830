/* write.c: the store's write path: batches from reporters applied in one
 * group-commit transaction, with their sequence numbers.
 *
 * Design
 * ------
 * store_apply() runs every batch of one call in ONE write transaction and
 * returns after the commit, so whatever the results report is durable.
 * For a batch from reporter X whose next expected number is E (reporters
 * table):
 *
 *   reporter id invalid, or seqs not consecutive .. MALFORMED, nothing kept
 *   first seq > E ................................ GAP, only last_contact
 *   else, for each update u:
 *     u.seq < E ........ replay: skipped
 *     invalid .......... rejected (common/update's reason, kept in
 *                        `rejects`); consumes its number: E = u.seq + 1
 *     valid ............ applied (apply_update); E = u.seq + 1
 *   reporters[X] = E and the counters, in the same transaction
 *
 * Applying an update loads the cell's year of facts (at most 12), appends
 * the audit record and its cellhist index, writes the fact, and lets
 * derive_cell() move the aggregates and recheck violations by exactly the
 * change. On MDB_MAP_FULL, from a put or from the commit, the transaction
 * is aborted, the map doubled (env_grow_map) and the whole call replayed;
 * at map_max the call fails with ERR_FULL and nothing of it is kept.
 *
 * INVARIANTS
 *   1. A reporter's next_seq grows by exactly the number of updates of
 *      the batch applied or rejected, and is committed with them
 *      (asserted in apply_batch; store invariant 1).
 *   2. Every update of a batch is counted once: applied + rejected +
 *      replayed == n_updates, unless the batch was refused whole.
 *   3. Audit and rejection ids are handed out consecutively from the
 *      tables' next free ids, in the transaction that writes them.
 *   4. When store_apply() fails, the results are empty and nothing of
 *      the call is in the store.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lmdbh.h"
#include "common/mem.h"
#include "store/codec.h"
#include "store/derive.h"
#include "store/env.h"

/* State of one write transaction. */
typedef struct wctx {
    store_t *s;
    MDB_txn *txn;
    uint64_t next_audit;
    uint64_t next_rej;
    buf_t key;
    buf_t val;
    buf_t key2;
} wctx_t;

void store_result_fini(store_result_t *res)
{
    free(res->rejections);
    memset(res, 0, sizeof *res);
}

/* Check @p u against every rule (common/update); on success fill @p cell.
 * The message names the field first: "period: 2026-12 is later than the
 * current month 2026-11". */
static enum update_reason validate(const store_t *s, const store_batch_t *b,
                                   const update_t *u, update_cell_t *cell,
                                   char msg[STORE_MSG_LEN])
{
    update_scope_t sc = {s->cat, b->home, b->current_month};
    char why[UPDATE_MSG_LEN];
    enum update_reason r = update_check(&sc, u, cell, why);
    if (r != UPDATE_OK) {
        snprintf(msg, STORE_MSG_LEN, "%s: %s",
                 update_reason_field(r, &u->value), why);
    }
    return r;
}

static int put_audit(wctx_t *w, const store_batch_t *b, const update_t *u,
                     int32_t month, const derive_slot_t *old, uint64_t id)
{
    store_revision_t rev = {
        .audit_id = id,
        .received_at = b->received_at,
        .reporter = b->reporter,
        .seq = u->seq,
        .indicator = u->indicator,
        .region = u->region,
        .month = month,
        .has_old = old->present,
        .old_value = old->v, /* zeros when there was none */
        .new_value = u->value,
    };
    codec_key_id(&w->key2, id);
    codec_put_audit(&w->val, &rev);
    MDB_val k = lmdbh_val(&w->key2);
    MDB_val d = lmdbh_val(&w->val);
    int rc = lmdbh_code(mdb_put(w->txn, w->s->audit, &k, &d, MDB_APPEND));
    if (rc != ERR_OK) {
        return rc;
    }
    codec_key_cellhist(&w->key2, u->indicator, u->region, month, id);
    k = lmdbh_val(&w->key2);
    d.mv_size = 0;
    d.mv_data = NULL;
    return lmdbh_code(mdb_put(w->txn, w->s->cellhist, &k, &d, 0));
}

static int apply_update(wctx_t *w, const store_batch_t *b, const update_t *u,
                        const update_cell_t *cell)
{
    store_t *s = w->s;
    const indicator_t *ind =
        catalog_indicator(s->cat, (size_t)cell->indicator);
    int32_t month = cell->month;
    int32_t ystart = month - month % 12;
    int mi = (int)(month - ystart);
    derive_slot_t old_slots[12];
    derive_slot_t new_slots[12];
    int rc = derive_load_year(w->txn, s->facts, ind->code, u->region, ystart,
                              old_slots, &w->key);
    if (rc != ERR_OK) {
        return rc;
    }
    uint64_t id = w->next_audit++;
    rc = put_audit(w, b, u, month, &old_slots[mi], id);
    if (rc != ERR_OK) {
        return rc;
    }
    codec_fact_t f = {u->value, b->received_at, id};
    codec_key_cell(&w->key, ind->code, u->region, month);
    codec_put_fact(&w->val, &f);
    MDB_val k = lmdbh_val(&w->key);
    MDB_val d = lmdbh_val(&w->val);
    rc = lmdbh_code(mdb_put(w->txn, s->facts, &k, &d, 0));
    if (rc != ERR_OK) {
        return rc;
    }
    memcpy(new_slots, old_slots, sizeof new_slots);
    new_slots[mi].present = 1;
    new_slots[mi].v = u->value;
    return derive_cell(s->cat, w->txn, s->facts, s->agg, s->viol, &w->key,
                       &w->val, cell->indicator, cell->region, ystart, mi,
                       old_slots, new_slots);
}

static int put_rejection(wctx_t *w, const store_batch_t *b,
                         const update_t *u, enum update_reason why,
                         const char *msg)
{
    store_rejected_t rj = {
        .id = 0, /* the key, not the record */
        .received_at = b->received_at,
        .reporter = b->reporter,
        .seq = u->seq,
        .indicator = u->indicator,
        .region = u->region,
        .yyyymm = u->yyyymm,
        .value = u->value,
        .reason = why,
        .message = msg,
    };
    codec_key_id(&w->key, w->next_rej++);
    codec_put_reject(&w->val, &rj);
    MDB_val k = lmdbh_val(&w->key);
    MDB_val d = lmdbh_val(&w->val);
    return lmdbh_code(mdb_put(w->txn, w->s->rejects, &k, &d, MDB_APPEND));
}

/* Reporter @p id's state; a reporter never seen starts at next_seq 1. */
static int get_reporter(MDB_txn *txn, MDB_dbi dbi, buf_t *kb, const char *id,
                        codec_reporter_t *p, int *found)
{
    codec_key_reporter(kb, id);
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    memset(p, 0, sizeof *p);
    p->next_seq = 1;
    int rc = lmdbh_get(txn, dbi, &k, &d, found);
    if (rc == ERR_OK && *found) {
        rc = codec_parse_reporter(&d, p);
    }
    return rc;
}

static int put_reporter(wctx_t *w, const char *id, const codec_reporter_t *p)
{
    codec_key_reporter(&w->key, id);
    codec_put_reporter(&w->val, p);
    MDB_val k = lmdbh_val(&w->key);
    MDB_val d = lmdbh_val(&w->val);
    return lmdbh_code(mdb_put(w->txn, w->s->reporters, &k, &d, 0));
}

/* 1 when the batch's updates carry consecutive numbers from 1 up. */
static int consecutive(const store_batch_t *b)
{
    for (size_t i = 0; i < b->n_updates; i++) {
        const update_t *u = &b->updates[i];
        if (u->seq != b->updates[0].seq + i || u->seq == 0 ||
            u->indicator == NULL) {
            return 0;
        }
    }
    return 1;
}

/* The updates of a batch that does not skip ahead of @p rep->next_seq:
 * skip replays, reject or apply the others, advancing @p rep. */
static int apply_updates(wctx_t *w, const store_batch_t *b,
                         codec_reporter_t *rep, store_result_t *res)
{
    for (size_t i = 0; i < b->n_updates; i++) {
        const update_t *u = &b->updates[i];
        int rc = ERR_OK;
        if (u->seq < rep->next_seq) {
            res->replayed++;
            continue;
        }
        update_cell_t cell;
        char msg[STORE_MSG_LEN];
        enum update_reason why = validate(w->s, b, u, &cell, msg);
        if (why == UPDATE_OK) {
            rc = apply_update(w, b, u, &cell);
            res->applied++;
            rep->applied++;
        } else {
            rc = put_rejection(w, b, u, why, msg);
            if (res->rejections == NULL) {
                /* Room for every update left, once: growing it one by one
                 * copied O(n^2) bytes for a batch of rejections. */
                res->rejections = xcalloc(b->n_updates - i,
                                          sizeof *res->rejections);
            }
            store_rejection_t *rj = &res->rejections[res->rejected++];
            rj->seq = u->seq;
            rj->reason = why;
            memcpy(rj->message, msg, sizeof rj->message);
            rep->rejected++;
        }
        if (rc != ERR_OK) {
            return rc;
        }
        rep->next_seq = u->seq + 1;
    }
    return ERR_OK;
}

static int apply_batch(wctx_t *w, const store_batch_t *b, store_result_t *res)
{
    memset(res, 0, sizeof *res);
    if (b->reporter == NULL || !codec_reporter_valid(b->reporter)) {
        res->status = STORE_BATCH_MALFORMED;
        return ERR_OK;
    }
    codec_reporter_t rep;
    int found = 0;
    int rc = get_reporter(w->txn, w->s->reporters, &w->key, b->reporter, &rep,
                          &found);
    if (rc != ERR_OK) {
        return rc;
    }
    if (!found) {
        rep.first_seen = b->received_at;
    }
    res->next_seq = rep.next_seq;
    if (!consecutive(b)) {
        res->status = STORE_BATCH_MALFORMED;
        return ERR_OK;
    }
    rep.last_contact = b->received_at;
    if (b->n_updates > 0 && b->updates[0].seq > rep.next_seq) {
        res->status = STORE_BATCH_GAP;
        return put_reporter(w, b->reporter, &rep);
    }
    const codec_reporter_t was = rep;
    rc = apply_updates(w, b, &rep, res);
    if (rc != ERR_OK) {
        return rc;
    }
    /* INVARIANTS 1 and 2: the number moved by exactly what was consumed
     * (unsigned arithmetic: also right if a seq from the wire wrapped). */
    assert(rep.next_seq == was.next_seq + res->applied + res->rejected);
    assert(rep.applied == was.applied + res->applied);
    assert(rep.rejected == was.rejected + res->rejected);
    assert(res->applied + res->rejected + res->replayed == b->n_updates);
    (void)was;
    res->next_seq = rep.next_seq;
    return put_reporter(w, b->reporter, &rep);
}

static void results_clear(store_result_t *results, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        store_result_fini(&results[i]);
    }
}

/* One attempt: every batch in one transaction, committed. ERR_FULL means
 * the map filled; nothing was kept. */
static int apply_once(wctx_t *w, const store_batch_t *batches, size_t n,
                      store_result_t *results, char err[ERR_LEN])
{
    store_t *s = w->s;
    int rc = env_txn_begin(s, 0, &w->txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    rc = lmdbh_next_id(w->txn, s->audit, CODEC_KEY_V1, &w->next_audit);
    if (rc == ERR_OK) {
        rc = lmdbh_next_id(w->txn, s->rejects, CODEC_KEY_V1, &w->next_rej);
    }
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        rc = apply_batch(w, &batches[i], &results[i]);
    }
    if (rc != ERR_OK) {
        env_txn_abort(s, &w->txn);
        if (rc != ERR_FULL) {
            snprintf(err, ERR_LEN, "cannot apply batch: %s", err_str(rc));
        }
        return rc;
    }
    return env_txn_commit(s, &w->txn, "cannot commit", err);
}

int store_apply(store_t *self, const store_batch_t *batches, size_t n,
                store_result_t *results, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    int rc = ERR_OK;
    wctx_t w;
    memset(&w, 0, sizeof w);
    w.s = self;
    buf_init(&w.key);
    buf_init(&w.val);
    buf_init(&w.key2);
    memset(results, 0, n * sizeof *results);
    if (self->readonly) {
        snprintf(err, ERR_LEN, "store is open read-only");
        rc = ERR_INVAL;
        goto out;
    }
    for (;;) {
        rc = apply_once(&w, batches, n, results, err);
        if (rc != ERR_FULL) {
            break;
        }
        results_clear(results, n);
        rc = env_grow_map(self, err);
        if (rc != ERR_OK) {
            break;
        }
    }
out:
    if (rc != ERR_OK) {
        results_clear(results, n);
    }
    buf_fini(&w.key);
    buf_fini(&w.val);
    buf_fini(&w.key2);
    return rc;
}

/* Here rather than with the other reads: it is the write path's sequence
 * state, read with the same get_reporter(). */
int store_next_seq(store_t *self, const char *reporter, uint64_t *next,
                   char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    MDB_txn *txn = NULL;
    *next = 1;
    if (!codec_reporter_valid(reporter)) {
        snprintf(err, ERR_LEN, "invalid reporter id");
        return ERR_INVAL;
    }
    int rc = env_txn_begin(self, MDB_RDONLY, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_init(&kb);
    codec_reporter_t p;
    int found = 0;
    rc = get_reporter(txn, self->reporters, &kb, reporter, &p, &found);
    buf_fini(&kb);
    env_txn_abort(self, &txn);
    if (rc == ERR_OK) {
        *next = p.next_seq;
    } else {
        snprintf(err, ERR_LEN, "reporter state: %s", err_str(rc));
    }
    return rc;
}
