/* verify.c: store_verify(), the check that the derived tables (agg,
 * violations) are exactly what the facts imply.
 *
 * Design
 * ------
 * In one write transaction that is always aborted, derive_rebuild()
 * recomputes both tables from the facts into two scratch databases
 * (verify_agg, verify_viol), and same_table() compares them with the
 * stored ones record by record, byte for byte. Any difference in a key,
 * a value or the number of records is ERR_CORRUPT with the position of
 * the first one. Since the incremental write path and the rebuild share
 * derive_cell(), a difference means lost or reordered writes, or records
 * damaged on disk, not two arithmetics that disagree.
 *
 * INVARIANTS
 *   1. store_verify() changes nothing: its transaction is aborted on every
 *      path, the scratch databases included.
 *   2. ERR_OK only when both tables are byte-identical to the
 *      recomputation (store invariants 2, 4 and 5).
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/lmdbh.h"
#include "store/codec.h"
#include "store/derive.h"
#include "store/env.h"
#include "store/store.h"

/* Compare two tables record by record: stored @p a (table @p table) and
 * recomputed @p b. */
static int same_table(MDB_txn *txn, MDB_dbi a, MDB_dbi b, const char *table,
                      const char *what, char err[ERR_LEN])
{
    MDB_cursor *ca = NULL;
    MDB_cursor *cb = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, a, &ca));
    if (rc == ERR_OK) {
        rc = lmdbh_code(mdb_cursor_open(txn, b, &cb));
    }
    MDB_val ka, da, kb, db;
    int ra = rc == ERR_OK ? mdb_cursor_get(ca, &ka, &da, MDB_FIRST) : 1;
    int rb = rc == ERR_OK ? mdb_cursor_get(cb, &kb, &db, MDB_FIRST) : 1;
    while (rc == ERR_OK && (ra == MDB_SUCCESS || rb == MDB_SUCCESS)) {
        if (ra != MDB_SUCCESS || rb != MDB_SUCCESS ||
            ka.mv_size != kb.mv_size || da.mv_size != db.mv_size ||
            memcmp(ka.mv_data, kb.mv_data, ka.mv_size) != 0 ||
            memcmp(da.mv_data, db.mv_data, da.mv_size) != 0) {
            /* Name the first key out of step: the stored one, or the
             * recomputed one the stored table lacks. */
            int stored = ra == MDB_SUCCESS &&
                         (rb != MDB_SUCCESS ||
                          mdb_cmp(txn, a, &ka, &kb) <= 0);
            char kt[200];
            codec_key_text(table, stored ? &ka : &kb, kt, sizeof kt);
            snprintf(err, ERR_LEN,
                     "%s differ from a recomputation from the facts: table "
                     "%s, key %s: %s", what, table, kt,
                     !stored ? "missing"
                     : rb == MDB_SUCCESS && mdb_cmp(txn, a, &ka, &kb) == 0
                         ? "wrong value"
                         : "should not be there");
            rc = ERR_CORRUPT;
            break;
        }
        ra = mdb_cursor_get(ca, &ka, &da, MDB_NEXT);
        rb = mdb_cursor_get(cb, &kb, &db, MDB_NEXT);
    }
    if (ca != NULL) {
        mdb_cursor_close(ca);
    }
    if (cb != NULL) {
        mdb_cursor_close(cb);
    }
    return rc;
}

int verify_derived(store_t *s, MDB_txn *txn, char err[ERR_LEN])
{
    MDB_dbi agg2;
    MDB_dbi viol2;
    const lmdbh_db_t scratch[] = {
        {"verify_agg", &agg2},
        {"verify_viol", &viol2},
    };
    int rc = lmdbh_open_dbs(txn, scratch, 2, MDB_CREATE, err);
    if (rc == ERR_OK) {
        rc = derive_rebuild(s->cat, txn, s->facts, agg2, viol2, s->file,
                            err);
    }
    if (rc == ERR_OK) {
        rc = same_table(txn, s->agg, agg2, "agg", "aggregates", err);
    }
    if (rc == ERR_OK) {
        rc = same_table(txn, s->viol, viol2, "violations", "violations", err);
    }
    return rc;
}

int verify_derived_txn(store_t *s, char err[ERR_LEN])
{
    for (;;) {
        MDB_txn *txn = NULL;
        int rc = env_txn_begin(s, 0, &txn, err);
        if (rc == ERR_OK) {
            rc = verify_derived(s, txn, err);
        }
        /* Nothing of the recomputation is kept (INVARIANT 1). */
        env_txn_abort(s, &txn);
        if (rc != ERR_FULL) {
            return rc;
        }
        /* The scratch copy filled the map: the file does not grow (the
         * transaction is aborted), only the map it may use. */
        rc = env_grow_map(s, err);
        if (rc != ERR_OK) {
            return rc;
        }
    }
}

int store_verify(store_t *self, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    if (self->readonly) {
        snprintf(err, ERR_LEN, "verify needs a writable store");
        return ERR_INVAL;
    }
    return verify_derived_txn(self, err);
}
