/* upgrade.c: a format-1 store becomes format 2 (record checksums) in the
 * opening transaction of the first writable open.
 *
 * Design
 * ------
 * Format 2 differs from format 1 only by the seal after every value
 * (rec.h). The tables whose records are the store's own (facts, audit,
 * cellhist, rejects, reporters) are walked once and every value is
 * rewritten sealed in place (mdb_cursor_put MDB_CURRENT: LMDB deletes and
 * reinserts a value whose size changed, and leaves the cursor on it). The
 * derived ones are not rewritten but remade, as after a catalog change:
 * the caller (env.c check_format) rebuilds agg and violations, and the
 * rejby index is emptied and its meta "rejidx_next" removed, so that
 * write_reindex() indexes every rejection again. The old meta integers
 * (rules_fp, rejidx_next) are removed; the caller writes them sealed.
 *
 * Everything happens in the caller's opening transaction: a crash midway
 * leaves the format-1 store as it was, and a full map replays the whole
 * open in a grown one (store_open).
 *
 * INVARIANTS
 *   1. Every record of the five tables keeps its key and its bytes; only
 *      the seal is added. Their record counts do not change.
 *   2. Nothing is committed here.
 */
#include <stdio.h>
#include <string.h>

#include "common/lmdbh.h"
#include "store/codec.h"
#include "store/env.h"

/* Seal every value of @p dbi. */
static int seal_table(MDB_txn *txn, MDB_dbi dbi, buf_t *kb, buf_t *vb)
{
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, dbi, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    MDB_val k;
    MDB_val d;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
    while (mrc == MDB_SUCCESS) {
        /* Copies: the put may move the bytes k and d point into. */
        buf_reset(kb);
        buf_put(kb, k.mv_data, k.mv_size);
        buf_reset(vb);
        buf_put(vb, d.mv_data, d.mv_size);
        MDB_val key = lmdbh_val(kb);
        lmdbh_seal(vb, &key);
        MDB_val val = lmdbh_val(vb);
        mrc = mdb_cursor_put(cur, &key, &val, MDB_CURRENT);
        if (mrc == MDB_SUCCESS) {
            mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
        }
    }
    return lmdbh_cursor_end(&cur, rc, mrc);
}

static int del_meta(MDB_txn *txn, MDB_dbi meta, const char *name)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name};
    int mrc = mdb_del(txn, meta, &k, NULL);
    return mrc == MDB_NOTFOUND ? ERR_OK : lmdbh_code(mrc);
}

int upgrade_format1(store_t *s, MDB_txn *txn, char err[ERR_LEN])
{
    const struct {
        const char *name;
        MDB_dbi dbi;
    } own[] = {
        {"facts", s->facts},         {"audit", s->audit},
        {"cellhist", s->cellhist},   {"rejects", s->rejects},
        {"reporters", s->reporters},
    };
    buf_t kb;
    buf_t vb;
    buf_init(&kb);
    buf_init(&vb);
    int rc = ERR_OK;
    const char *what = "meta";
    for (size_t i = 0; rc == ERR_OK && i < sizeof own / sizeof own[0]; i++) {
        what = own[i].name;
        rc = seal_table(txn, own[i].dbi, &kb, &vb);
    }
    buf_fini(&kb);
    buf_fini(&vb);
    if (rc == ERR_OK) {
        what = "rejby";
        rc = lmdbh_code(mdb_drop(txn, s->rejby, 0));
    }
    if (rc == ERR_OK) {
        what = "meta";
        rc = del_meta(txn, s->meta, CODEC_META_RULES_FP);
    }
    if (rc == ERR_OK) {
        rc = del_meta(txn, s->meta, CODEC_META_REJIDX_NEXT);
    }
    if (rc == ERR_OK) {
        rc = lmdbh_meta_put(txn, s->meta, CODEC_META_FORMAT, STORE_FORMAT, 4);
    }
    if (rc != ERR_OK && rc != ERR_FULL) {
        snprintf(err, ERR_LEN, "%.300s: upgrading the store to format %u "
                 "(table %s): %s", s->file, STORE_FORMAT, what, err_str(rc));
    }
    return rc;
}
