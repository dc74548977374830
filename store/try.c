/* try.c: store_try(), a dry run of a batch (store.h): every rule and
 * lock store_apply() checks, the "of which" violations and the outlier
 * flags the figures would leave once all are in, in a write transaction
 * that is always aborted. It runs write.c's own path (write_int.h), so
 * the answer is the one store_apply() would give.
 *
 * INVARIANTS
 *   1. Nothing of a dry run is kept: its transaction is aborted on every
 *      path, the reporter's numbers included.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lmdbh.h"
#include "common/mem.h"
#include "store/codec.h"
#include "store/env.h"
#include "store/outlier.h"
#include "store/rec.h"
#include "store/write_int.h"

/* The "of which" violation @p u's cell takes part in after the run, as
 * a note ("" when none): as the part, or as the whole of another. */
static int violation_note(wctx_t *w, const update_t *u, int32_t month,
                          char note[STORE_MSG_LEN])
{
    const catalog_t *cat = w->s->cat;
    int me = catalog_indicator_find(cat, u->indicator);
    for (size_t i = 0; me >= 0 && i < catalog_indicator_count(cat); i++) {
        const indicator_t *ind = catalog_indicator(cat, i);
        if ((int)i != me && ind->part_of != me) {
            continue;
        }
        if ((int)i == me && ind->part_of < 0) {
            continue;
        }
        codec_key_cell(&w->key2, ind->code, u->region, month);
        MDB_val k = lmdbh_val(&w->key2);
        MDB_val d;
        int found = 0;
        int rc = rec_get(w->txn, w->s->viol, "violations", &k, &d, &found);
        codec_violation_t v;
        if (rc == ERR_OK && found) {
            rc = rec_malformed("violations", &k,
                               codec_parse_violation(&k, &d, &v));
        }
        if (rc != ERR_OK) {
            return rc;
        }
        if (found) {
            snprintf(note, STORE_MSG_LEN,
                     "of which: %s %lld would be above %s %lld", v.code,
                     (long long)v.value, v.parent,
                     (long long)v.parent_value);
            return ERR_OK;
        }
    }
    return ERR_OK;
}

/* The outlier flag @p u's cell would get (store/outlier.c), as a note
 * ("" when none). */
static int outlier_note(wctx_t *w, const update_t *u, int32_t month,
                        char note[STORE_MSG_LEN])
{
    if (!w->s->has_outliers) {
        return ERR_OK;
    }
    codec_key_cell(&w->key2, u->indicator, u->region, month);
    MDB_val k = lmdbh_val(&w->key2);
    MDB_val d;
    int found = 0;
    outlier_t o;
    int rc = rec_get(w->txn, w->s->outliers, "outliers", &k, &d, &found);
    if (rc == ERR_OK && found) {
        rc = rec_malformed("outliers", &k, outlier_parse(&d, &o));
    }
    if (rc == ERR_OK && found) {
        const outlier_test_t *t = (o.reasons & OUTLIER_SEASONAL)
                                      ? &o.seasonal
                                      : &o.recent;
        snprintf(note, STORE_MSG_LEN,
                 "outlier: %g against a median of %g (modified z %.1f, "
                 "%s)", o.value, t->median, t->z,
                 (o.reasons & OUTLIER_SEASONAL)
                     ? "the same month of earlier years"
                     : "the last 12 months");
    }
    return rc;
}

/* Apply @p b renumbered from its reporter's next number, note what each
 * update would do, and abort: nothing is kept. */
static int try_once(wctx_t *w, const store_batch_t *b, store_try_item_t *it,
                    char err[ERR_LEN])
{
    store_t *s = w->s;
    store_result_t res;
    memset(&res, 0, sizeof res);
    int rc = env_txn_begin(s, 0, &w->txn, err);
    w->tip.loaded = 0; /* the chain links it appends are aborted with it */
    if (rc != ERR_OK) {
        return rc;
    }
    w->year.valid = 0;
    aggacc_init(&w->acc, w->txn, s->agg);
    codec_reporter_t rep = {.next_seq = 1};
    int found = 0;
    rc = lmdbh_next_id(w->txn, s->audit, CODEC_KEY_V1, &w->next_audit);
    if (rc == ERR_OK) {
        rc = lmdbh_next_id(w->txn, s->rejects, CODEC_KEY_V1, &w->next_rej);
    }
    if (rc == ERR_OK) {
        rc = write_get_reporter(w->txn, s->reporters, &w->key, b->reporter, &rep,
                          &found);
    }
    update_t *u = xcalloc(b->n_updates ? b->n_updates : 1, sizeof *u);
    uint64_t first = rep.next_seq;
    for (size_t i = 0; i < b->n_updates; i++) {
        u[i] = b->updates[i];
        u[i].seq = first + i;
    }
    store_batch_t nb = *b;
    nb.updates = u;
    if (rc == ERR_OK) {
        rc = write_apply_updates(w, &nb, &rep, &res);
    }
    if (rc == ERR_OK) {
        rc = aggacc_flush(&w->acc);
    }
    for (size_t i = 0; rc == ERR_OK && i < res.rejected; i++) {
        store_try_item_t *t = &it[res.rejections[i].seq - first];
        t->rejected = 1;
        t->reason = res.rejections[i].reason;
        memcpy(t->message, res.rejections[i].message, sizeof t->message);
    }
    for (size_t i = 0; rc == ERR_OK && i < b->n_updates; i++) {
        update_cell_t cell;
        char why[UPDATE_MSG_LEN];
        update_scope_t sc = {s->cat, b->home, b->current_month, b->allowed};
        if (!it[i].rejected &&
            update_check(&sc, &u[i], &cell, why) == UPDATE_OK) {
            rc = violation_note(w, &u[i], cell.month, it[i].note);
            if (rc == ERR_OK && it[i].note[0] == '\0') {
                rc = outlier_note(w, &u[i], cell.month, it[i].note);
            }
        }
    }
    aggacc_fini(&w->acc);
    env_txn_abort(s, &w->txn); /* always: a dry run keeps nothing */
    store_result_fini(&res);
    free(u);
    if (rc != ERR_OK && rc != ERR_FULL) {
        rec_fail(s->file, "dry run", rc, err);
    }
    return rc;
}

int store_try(store_t *self, const store_batch_t *b, store_try_item_t *items,
              char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    memset(items, 0, b->n_updates * sizeof *items);
    if (self->readonly) {
        snprintf(err, ERR_LEN, "store is open read-only");
        return ERR_INVAL;
    }
    if (b->reporter == NULL || !codec_reporter_valid(b->reporter)) {
        snprintf(err, ERR_LEN, "a dry run needs a reporter's name");
        return ERR_INVAL;
    }
    wctx_t w;
    memset(&w, 0, sizeof w);
    w.s = self;
    buf_init(&w.key);
    buf_init(&w.val);
    buf_init(&w.key2);
    int rc;
    for (;;) {
        rc = try_once(&w, b, items, err);
        if (rc != ERR_FULL) {
            break;
        }
        memset(items, 0, b->n_updates * sizeof *items);
        rc = env_grow_map(self, err);
        if (rc != ERR_OK) {
            break;
        }
    }
    buf_fini(&w.key);
    buf_fini(&w.val);
    buf_fini(&w.key2);
    return rc;
}
