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
 *   tally[region, month, X] += accepted / rejected (not replays), folded
 *   per transaction (tally.h) and written before the commit
 *   reporters[X] = E and the counters, in the same transaction; but a
 *   reporter never seen gets a record only when the batch consumed a
 *   number (an empty batch or a gap from a new name leaves nothing)
 *
 * Rejections are capped per reporter (store_opts_t.max_rejections): each
 * stored one is also listed under its reporter in rejby, a DUPSORT table
 * whose values are the rejection ids in order, so the count is
 * mdb_cursor_count() and the oldest the first value: O(log n) a
 * rejection, however many there were. Keeping a new one when the
 * reporter has max_rejections deletes its oldest record first
 * (trim_rejections). The ids stay increasing: the newest rejection of
 * the store is its reporter's newest, never the one deleted.
 * meta "rejidx_next" is the first id not yet indexed; write_reindex()
 * (at a writable open) indexes from there, so a store written before the
 * index, or by a program that does not know it, gets it, and trims every
 * reporter to the cap, which may have been lowered.
 *
 * Applying an update loads the cell's year of facts (at most 12), appends
 * the audit record (chained to the cell's previous one, whose id the old
 * fact holds), writes the fact, and lets
 * derive_cell() move the aggregates and recheck violations by exactly the
 * change, and outlier_cell() flag the figure against its cell's history
 * or clear the cell's flag. On MDB_MAP_FULL, from a put or from the commit, the transaction
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
 *   5. A reporter record exists only for a reporter with an update
 *      applied or rejected (apply_batch).
 *   6. rejby holds exactly the stored rejections, under their
 *      reporter's key, at most max_rejections each; meta "rejidx_next"
 *      is the next rejection id whenever a transaction of this file
 *      commits.
 *   7. Audit records' received_at never falls with their ids: an update
 *      received at a time earlier than the newest record's (a clock
 *      stepped back) is recorded, audit and fact, with the newest
 *      record's time, so that "the store as it stood at T" is a prefix
 *      of the audit trail (store/asof.c walks back from its end).
 *   8. Each audit record is appended to the audit chain (chain.h) right
 *      after it, in the same transaction, whose last link is written
 *      before the commit; the results carry the chain's position and
 *      head as committed (a link's end).
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
#include "store/outlier.h"
#include "store/rec.h"
#include "store/span.h"
#include "store/write_int.h"


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
    update_scope_t sc = {s->cat, b->home, b->current_month, b->allowed};
    char why[UPDATE_MSG_LEN];
    enum update_reason r = update_check(&sc, u, cell, why);
    if (r != UPDATE_OK) {
        snprintf(msg, STORE_MSG_LEN, "%s: %s",
                 update_reason_field(r, &u->value), why);
    }
    return r;
}

/* A valid update for a month its region has approved (approve.c), or
 * one past the automatic lock without an exception (lock.c), is
 * refused: UPDATE_PERIOD_LOCKED. */
static int check_lock(wctx_t *w, const store_batch_t *b, const update_t *u,
                      const update_cell_t *cell, enum update_reason *why,
                      char msg[STORE_MSG_LEN])
{
    int locked = 0;
    int rc = store_locked_txn(w->s, w->txn, &w->key2, u->region, cell->month,
                              &locked);
    if (rc == ERR_OK && locked) {
        char month[PERIOD_STR_LEN];
        month_format(cell->month, month, sizeof month);
        *why = UPDATE_PERIOD_LOCKED;
        snprintf(msg, STORE_MSG_LEN, "period: %s of region %u is approved, "
                 "so locked: changes need it unapproved first", month,
                 u->region);
        return ERR_OK;
    }
    msg[0] = '\0';
    if (rc == ERR_OK) {
        rc = store_lock_txn(w->s, w->txn, &w->key2, cell, u->region,
                            b->received_at, msg);
    }
    if (rc == ERR_OK && msg[0] != '\0') {
        *why = UPDATE_PERIOD_LOCKED;
    }
    return rc;
}

static int put_audit(wctx_t *w, const store_batch_t *b, const update_t *u,
                     int32_t month, const derive_slot_t *old, uint64_t id,
                     int64_t at)
{
    store_revision_t rev = {
        .audit_id = id,
        .received_at = at,
        .reporter = b->reporter,
        .seq = u->seq,
        .indicator = u->indicator,
        .region = u->region,
        .month = month,
        .prev_id = old->present ? old->audit_id : 0,
        .has_old = old->present,
        .old_value = old->v, /* zeros when there was none */
        .new_value = u->value,
    };
    codec_key_id(&w->key2, id);
    codec_put_audit(&w->val, &rev);
    MDB_val k = lmdbh_val(&w->key2);
    int rc = rec_put(w->txn, w->s->audit, &k, &w->val, MDB_APPEND);
    if (rc == ERR_OK) { /* the audit chain's link, in the same txn */
        rc = chain_append(w->s, w->txn, &w->tip, CHAIN_AUDIT, &k, &w->val);
    }
    return rc;
}

void store_set_ranges(store_t *self, const store_ranges_t *r)
{
    self->ranges = r;
}

/* @p cell's hand-set bounds, or NULL. */
static const store_range_t *range_of(const store_t *s,
                                     const update_cell_t *cell)
{
    const store_ranges_t *r = s->ranges;
    if (r == NULL || r->count == 0) {
        return NULL;
    }
    size_t i = (size_t)cell->indicator * r->n_regions + (size_t)cell->region;
    if (i >= r->n || !(r->v[i].has_min || r->v[i].has_max)) {
        return NULL;
    }
    return &r->v[i];
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
    derive_around_t around;
    int rc = ERR_OK;
    if (w->year.valid && w->year.ii == cell->indicator &&
        w->year.region == u->region && w->year.ystart == ystart) {
        memcpy(old_slots, w->year.slots, sizeof old_slots);
        around = w->year.around;
    } else {
        w->year.valid = 0;
        rc = derive_load_year(w->txn, s->facts, ind->code, u->region,
                              ystart, old_slots, &around, &w->key);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    uint64_t id = w->next_audit++;
    /* INVARIANT 7: a clock stepped back gives the newest time, so the
     * store as it stood at T is a prefix of the audit ids (asof.c). */
    int64_t at = b->received_at < w->audit_floor ? w->audit_floor
                                                 : b->received_at;
    w->audit_floor = at;
    rc = put_audit(w, b, u, month, &old_slots[mi], id, at);
    if (rc != ERR_OK) {
        return rc;
    }
    codec_fact_t f = {u->value, at, id};
    codec_key_cell(&w->key, ind->code, u->region, month);
    codec_put_fact(&w->val, &f);
    MDB_val k = lmdbh_val(&w->key);
    rc = rec_put(w->txn, s->facts, &k, &w->val, 0);
    if (rc != ERR_OK) {
        return rc;
    }
    memcpy(new_slots, old_slots, sizeof new_slots);
    new_slots[mi].present = 1;
    new_slots[mi].v = u->value;
    new_slots[mi].audit_id = id;
    w->year.valid = 1;
    w->year.ii = cell->indicator;
    w->year.region = u->region;
    w->year.ystart = ystart;
    memcpy(w->year.slots, new_slots, sizeof new_slots);
    w->year.around = around;
    rc = derive_cell(s->cat, w->txn, s->facts, &w->acc, s->viol, &w->key,
                     &w->val, cell->indicator, cell->region, ystart, mi,
                     old_slots, new_slots);
    if (rc == ERR_OK) {
        rc = span_cell(s->cat, w->txn, s->facts, &w->acc, &w->key,
                       cell->indicator, cell->region, ystart, &around,
                       old_slots, new_slots);
    }
    if (rc == ERR_OK) { /* the figure against its history (outlier.h) */
        rc = outlier_cell(w->txn, s->facts, s->outliers, ind->code,
                          u->region, month, &u->value, range_of(s, cell),
                          &w->key, &w->val);
    }
    return rc;
}

/* Delete reporter @p rkey's oldest stored rejections (record and index
 * entry) until at most @p keep remain. @p kb is scratch for a key. */
static int trim_rejections(MDB_txn *txn, const store_t *s,
                           const MDB_val *rkey, size_t keep, buf_t *kb)
{
    for (;;) {
        MDB_cursor *cur = NULL;
        int rc = lmdbh_code(mdb_cursor_open(txn, s->rejby, &cur));
        if (rc != ERR_OK) {
            return rc;
        }
        MDB_val k = *rkey;
        MDB_val d;
        size_t n = 0;
        /* As stored, seal included: a dup is deleted by its bytes. */
        uint8_t oldest[CODEC_REJIDX_LEN + LMDBH_SEAL_LEN];
        int mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_KEY);
        if (mrc == MDB_SUCCESS) {
            mrc = mdb_cursor_count(cur, &n);
        }
        if (mrc == MDB_SUCCESS && n > keep) {
            if (d.mv_size != sizeof oldest) {
                mrc = MDB_CORRUPTED;
            } else {
                memcpy(oldest, d.mv_data, sizeof oldest);
            }
        }
        mdb_cursor_close(cur);
        if (mrc == MDB_NOTFOUND || (mrc == MDB_SUCCESS && n <= keep)) {
            return ERR_OK;
        }
        if (mrc != MDB_SUCCESS) {
            return rec_malformed("rejby", rkey, lmdbh_code(mrc));
        }
        MDB_val rec = {sizeof oldest, oldest};
        uint64_t id = 0;
        rc = rec_unseal("rejby", rkey, &rec);
        if (rc == ERR_OK) {
            rc = rec_malformed("rejby", rkey, codec_parse_rejidx(&rec, &id));
        }
        d.mv_size = sizeof oldest;
        d.mv_data = oldest;
        MDB_val rk = *rkey; /* LMDB's calls take no const */
        if (rc == ERR_OK) {
            rc = lmdbh_code(mdb_del(txn, s->rejby, &rk, &d));
        }
        if (rc != ERR_OK) {
            return rc;
        }
        codec_key_id(kb, id);
        MDB_val ik = lmdbh_val(kb);
        mrc = mdb_del(txn, s->rejects, &ik, NULL);
        if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
            return lmdbh_code(mrc);
        }
    }
}

/* List rejection @p id under reporter key @p rkey; an entry already
 * there is fine (write_reindex may meet it again). */
static int index_rejection(MDB_txn *txn, const store_t *s,
                           const MDB_val *rkey, uint64_t id, buf_t *vb)
{
    codec_put_rejidx(vb, id);
    lmdbh_seal(vb, rkey);
    MDB_val k = *rkey; /* LMDB's calls take no const */
    MDB_val d = lmdbh_val(vb);
    int mrc = mdb_put(txn, s->rejby, &k, &d, MDB_NODUPDATA);
    return mrc == MDB_KEYEXIST ? ERR_OK : lmdbh_code(mrc);
}

/* Keep rejection @p u of batch @p b: make room under the reporter's cap,
 * then write the record and its index entry. */
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
    codec_key_reporter(&w->key2, b->reporter);
    MDB_val rk = lmdbh_val(&w->key2);
    int rc = trim_rejections(w->txn, w->s, &rk, w->s->max_rejections - 1,
                             &w->key);
    if (rc != ERR_OK) {
        return rc;
    }
    uint64_t id = w->next_rej++;
    codec_key_id(&w->key, id);
    codec_put_reject(&w->val, &rj);
    MDB_val k = lmdbh_val(&w->key);
    rc = rec_put(w->txn, w->s->rejects, &k, &w->val, MDB_APPEND);
    if (rc == ERR_OK) {
        rc = index_rejection(w->txn, w->s, &rk, id, &w->val);
    }
    w->rejected = 1;
    return rc;
}

/* Reporter @p id's state; a reporter never seen starts at next_seq 1. */
int write_get_reporter(MDB_txn *txn, MDB_dbi dbi, buf_t *kb, const char *id,
                       codec_reporter_t *p, int *found)
{
    codec_key_reporter(kb, id);
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    memset(p, 0, sizeof *p);
    p->next_seq = 1;
    int rc = rec_get(txn, dbi, "reporters", &k, &d, found);
    if (rc == ERR_OK && *found) {
        rc = rec_malformed("reporters", &k, codec_parse_reporter(&d, p));
    }
    return rc;
}

static int put_reporter(wctx_t *w, const char *id, const codec_reporter_t *p)
{
    codec_key_reporter(&w->key, id);
    codec_put_reporter(&w->val, p);
    MDB_val k = lmdbh_val(&w->key);
    return rec_put(w->txn, w->s->reporters, &k, &w->val, 0);
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
int write_apply_updates(wctx_t *w, const store_batch_t *b,
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
            rc = check_lock(w, b, u, &cell, &why, msg);
        }
        if (rc != ERR_OK) {
            return rc;
        }
        if (w->tally != NULL) {
            /* Raw region and month: a rejected invalid one counts under
             * what it carried (tally.h). */
            rc = tally_add(w->tally, b->reporter, u->region, u->yyyymm,
                           why == UPDATE_OK);
        }
        if (rc != ERR_OK) {
            return rc;
        }
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
    int rc = write_get_reporter(w->txn, w->s->reporters, &w->key, b->reporter, &rep,
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
        /* INVARIANT 5: a gap from a name never seen leaves nothing. */
        return found ? put_reporter(w, b->reporter, &rep) : ERR_OK;
    }
    const codec_reporter_t was = rep;
    rc = write_apply_updates(w, b, &rep, res);
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
    if (!found && rep.next_seq == was.next_seq) {
        return ERR_OK; /* INVARIANT 5: nothing consumed, nothing kept */
    }
    return put_reporter(w, b->reporter, &rep);
}

static void results_clear(store_result_t *results, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        store_result_fini(&results[i]);
    }
}

/* The newest audit record's received_at into w->audit_floor (0 for
 * none): one lookup per transaction. */
static int audit_floor(wctx_t *w)
{
    w->audit_floor = 0;
    if (w->next_audit <= 1) {
        return ERR_OK;
    }
    codec_key_id(&w->key2, w->next_audit - 1);
    MDB_val k = lmdbh_val(&w->key2);
    MDB_val d;
    int found = 0;
    int rc = rec_get(w->txn, w->s->audit, "audit", &k, &d, &found);
    store_revision_t rev;
    if (rc == ERR_OK && found) {
        rc = rec_malformed("audit", &k, codec_parse_audit(&k, &d, &rev));
        w->audit_floor = rc == ERR_OK ? rev.received_at : 0;
    }
    return rc;
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
    w->rejected = 0;
    w->year.valid = 0; /* what an aborted attempt read is gone */
    aggacc_init(&w->acc, w->txn, s->agg);
    tally_t tally;
    tally_init(&tally, w->txn, s->tally);
    w->tally = &tally;
    rc = lmdbh_next_id(w->txn, s->audit, CODEC_KEY_V1, &w->next_audit);
    if (rc == ERR_OK) { /* once per transaction, never cached across */
        rc = chain_tip_load(s, w->txn, &w->tip);
    }
    if (rc == ERR_OK) {
        rc = audit_floor(w);
    }
    if (rc == ERR_OK) {
        rc = lmdbh_next_id(w->txn, s->rejects, CODEC_KEY_V1, &w->next_rej);
    }
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        rc = apply_batch(w, &batches[i], &results[i]);
    }
    if (rc == ERR_OK) {
        rc = aggacc_flush(&w->acc); /* every touched aggregate, once */
    }
    aggacc_fini(&w->acc);
    if (rc == ERR_OK) {
        rc = tally_flush(&tally); /* each office-month touched, once */
    }
    if (rc == ERR_OK) {
        rc = chain_flush(s, w->txn, &w->tip); /* the last link (chain.h) */
    }
    tally_fini(&tally);
    w->tally = NULL;
    if (rc == ERR_OK && w->rejected) {
        /* INVARIANT 6: everything below next_rej is indexed. */
        rc = rec_meta_put(w->txn, s->meta, CODEC_META_REJIDX_NEXT,
                          w->next_rej);
    }
    if (rc != ERR_OK) {
        env_txn_abort(s, &w->txn);
        if (rc != ERR_FULL) {
            rec_fail(s->file, "cannot apply batch", rc, err);
        }
        return rc;
    }
    rc = env_txn_commit(s, &w->txn, "cannot commit", err);
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        /* The chain after this commit: every batch's Ack carries it. */
        results[i].audit_position = w->tip.pos;
        memcpy(results[i].audit_head, w->tip.head,
               sizeof results[i].audit_head);
    }
    return rc;
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

/* ---------------------------------------------------------------------- */
/* the rejections index at open                                           */

/* Index the rejections from meta rejidx_next on. *@p changed is set when
 * something was written. */
static int reindex_new(MDB_txn *txn, const store_t *s, buf_t *kb, buf_t *vb,
                       int *changed)
{
    uint64_t from = 1;
    uint64_t next = 1;
    int found = 0;
    int rc = rec_meta_get(txn, s->meta, CODEC_META_REJIDX_NEXT, 1, &from,
                          &found);
    if (rc == ERR_OK) {
        rc = lmdbh_next_id(txn, s->rejects, CODEC_KEY_V1, &next);
    }
    if (rc != ERR_OK || from >= next) {
        return rc;
    }
    MDB_cursor *cur = NULL;
    rc = lmdbh_code(mdb_cursor_open(txn, s->rejects, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    codec_key_id(kb, from);
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        store_rejected_t rj;
        /* A damaged record cannot be listed under its reporter; it stays
         * for store_rejections() to report, outside the cap. */
        if (lmdbh_unseal(&k, &d) == ERR_OK &&
            codec_parse_reject(&k, &d, &rj) == ERR_OK &&
            codec_reporter_valid(rj.reporter)) {
            codec_key_reporter(kb, rj.reporter);
            MDB_val rk = lmdbh_val(kb);
            rc = index_rejection(txn, s, &rk, rj.id, vb);
        }
        if (rc == ERR_OK) {
            mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
        }
    }
    rc = lmdbh_cursor_end(&cur, rc, mrc);
    if (rc == ERR_OK) {
        rc = rec_meta_put(txn, s->meta, CODEC_META_REJIDX_NEXT, next);
        *changed = 1;
    }
    return rc;
}

/* A reporters key, copied out of LMDB. */
typedef struct rkey {
    size_t len;
    unsigned char k[STORE_REPORTER_MAX + 1];
} rkey_t;

/* Trim every reporter with more than max_rejections. The keys are
 * gathered first, so that no deletion moves the cursor that finds them. */
static int trim_all(MDB_txn *txn, const store_t *s, buf_t *kb, int *changed)
{
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, s->rejby, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    rkey_t *over = NULL;
    size_t n_over = 0;
    MDB_val k;
    MDB_val d;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
    while (mrc == MDB_SUCCESS) {
        size_t n = 0;
        mrc = mdb_cursor_count(cur, &n);
        if (mrc == MDB_SUCCESS && n > s->max_rejections) {
            if (k.mv_size > sizeof over[0].k) {
                mrc = MDB_CORRUPTED;
                break;
            }
            over = xreallocarray(over, n_over + 1, sizeof *over);
            over[n_over].len = k.mv_size;
            memcpy(over[n_over].k, k.mv_data, k.mv_size);
            n_over++;
        }
        if (mrc == MDB_SUCCESS) {
            mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT_NODUP);
        }
    }
    rc = lmdbh_cursor_end(&cur, rc, mrc);
    for (size_t i = 0; rc == ERR_OK && i < n_over; i++) {
        MDB_val rk = {over[i].len, over[i].k};
        rc = trim_rejections(txn, s, &rk, s->max_rejections, kb);
        *changed = 1;
    }
    free(over);
    return rc;
}

static int reindex_once(store_t *s, char err[ERR_LEN])
{
    MDB_txn *txn = NULL;
    int rc = env_txn_begin(s, 0, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_t vb;
    buf_init(&kb);
    buf_init(&vb);
    int changed = 0;
    rc = reindex_new(txn, s, &kb, &vb, &changed);
    if (rc == ERR_OK) {
        rc = trim_all(txn, s, &kb, &changed);
    }
    buf_fini(&kb);
    buf_fini(&vb);
    if (rc != ERR_OK || !changed) {
        env_txn_abort(s, &txn);
        if (rc != ERR_OK && rc != ERR_FULL) {
            rec_fail(s->file, "cannot index the rejections", rc, err);
        }
        return rc;
    }
    return env_txn_commit(s, &txn, "cannot index the rejections", err);
}

int write_reindex(store_t *s, char err[ERR_LEN])
{
    for (;;) {
        int rc = reindex_once(s, err);
        if (rc != ERR_FULL) {
            return rc;
        }
        rc = env_grow_map(s, err);
        if (rc != ERR_OK) {
            return rc;
        }
    }
}

/* Here rather than with the other reads: it is the write path's sequence
 * state, read with the same write_get_reporter(). */
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
    rc = write_get_reporter(txn, self->reporters, &kb, reporter, &p, &found);
    buf_fini(&kb);
    env_txn_abort(self, &txn);
    if (rc == ERR_OK) {
        *next = p.next_seq;
    } else {
        rec_fail(self->file, "reporter state", rc, err);
    }
    return rc;
}
