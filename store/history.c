/* history.c: one cell at a time: its current value (store_get) and its
 * history (store_history), the chain of its revisions from the one its
 * fact names back through each audit record's prev_id; and the time of a
 * cell's first report, which completeness (read.c) reads for timeliness.
 *
 * INVARIANTS
 *   1. A chain is followed only while ids fall (prev_id < id), so it
 *      ends; a record of another cell, a missing one or a loop is
 *      ERR_CORRUPT naming the audit key, never a wrong history.
 *   2. Every transaction begun here is ended before the function returns
 *      (snap_end; a pinned one stays, snap.c).
 */
#include "store/history.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lmdbh.h"
#include "common/mem.h"
#include "store/codec.h"
#include "store/derive.h"
#include "store/env.h"
#include "store/rec.h"
#include "store/snap.h"

/* Audit record @p id, which must be a revision of (@p code, @p region,
 * @p month), into @p rev (strings borrowed from @p txn). */
static int history_entry(store_t *s, MDB_txn *txn, buf_t *ak, uint64_t id,
                         const char *code, uint32_t region, int32_t month,
                         store_revision_t *rev)
{
    codec_key_id(ak, id);
    MDB_val akv = lmdbh_val(ak);
    MDB_val ad;
    int found = 0;
    int rc = rec_get(txn, s->audit, "audit", &akv, &ad, &found);
    if (rc == ERR_OK && !found) {
        rc = rec_malformed("audit", &akv, ERR_CORRUPT); /* a broken chain */
    }
    if (rc == ERR_OK) {
        rc = rec_malformed("audit", &akv, codec_parse_audit(&akv, &ad, rev));
    }
    if (rc == ERR_OK && (strcmp(rev->indicator, code) != 0 ||
                         rev->region != region || rev->month != month)) {
        rc = rec_malformed("audit", &akv, ERR_CORRUPT); /* another cell's */
    }
    return rc;
}

/* The first revision of the cell whose newest is audit record @p id:
 * the chain back through prev_id to 0 (ids fall, so it ends); its
 * received_at into *at. */
int history_first_received(store_t *s, MDB_txn *txn, buf_t *ak, uint64_t id,
                           const char *code, uint32_t region,
                           int32_t month, int64_t *at)
{
    int rc = ERR_OK;
    store_revision_t rev;
    while (rc == ERR_OK && id != 0) {
        rc = history_entry(s, txn, ak, id, code, region, month, &rev);
        if (rc == ERR_OK && rev.prev_id >= id) {
            MDB_val akv = lmdbh_val(ak);
            rc = rec_malformed("audit", &akv, ERR_CORRUPT); /* a loop */
        }
        id = rc == ERR_OK ? rev.prev_id : 0;
        *at = rc == ERR_OK ? rev.received_at : 0;
    }
    return rc;
}


int store_get(store_t *self, const char *indicator, uint32_t region,
              int32_t month, value_t *out, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    int ii;
    int ri;
    MDB_txn *txn = NULL;
    int rc = snap_lookup_begin(self, indicator, region, &ii, &ri, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_init(&kb);
    codec_fact_t f;
    int found = 0;
    rc = derive_get_fact(txn, self->facts, &kb,
                         catalog_indicator(self->cat, (size_t)ii)->code,
                         region, month, &f, &found);
    buf_fini(&kb);
    snap_end(self, &txn);
    if (rc == ERR_OK && !found) {
        snprintf(err, ERR_LEN, "no value for %s in region %u", indicator,
                 region);
        return ERR_NOTFOUND;
    }
    if (rc == ERR_OK) {
        *out = f.v;
    } else {
        rec_fail(self->file, "value", rc, err);
    }
    return rc;
}

/* A cell's history is the chain of its revisions from the one its fact
 * names back through prev_id (ids fall, so it ends); they are handed out
 * oldest first. */
int store_history(store_t *self, const char *indicator, uint32_t region,
                  int32_t month, store_revision_fn fn, void *arg,
                  char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    int ii;
    int ri;
    MDB_txn *txn = NULL;
    int rc = snap_lookup_begin(self, indicator, region, &ii, &ri, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    const char *code = catalog_indicator(self->cat, (size_t)ii)->code;
    buf_t kb;
    buf_init(&kb);
    codec_fact_t f;
    int found = 0;
    rc = derive_get_fact(txn, self->facts, &kb, code, region, month, &f,
                         &found);
    store_revision_t *revs = NULL;
    size_t n = 0;
    size_t cap = 0;
    for (uint64_t id = found ? f.audit_id : 0; rc == ERR_OK && id != 0;) {
        if (n == cap) {
            cap = cap == 0 ? 8 : 2 * cap;
            revs = xreallocarray(revs, cap, sizeof *revs);
        }
        rc = history_entry(self, txn, &kb, id, code, region, month, &revs[n]);
        id = rc == ERR_OK ? revs[n++].prev_id : 0;
    }
    while (rc == ERR_OK && n > 0 && fn(&revs[n - 1], arg) == 0) {
        n--;
    }
    free(revs);
    buf_fini(&kb);
    snap_end(self, &txn);
    if (rc != ERR_OK) {
        rec_fail(self->file, "history", rc, err);
    }
    return rc;
}
