/* spool_upgrade.c: a format-1 spool made format 2 in place, at the first
 * writable open (spool_int.h: spool_upgrade).
 *
 * Format 2 is format 1 with a seal after every value but meta "format"
 * (spool_rec.c), and with both meta counters always present, so the
 * upgrade rewrites every value once, table by table, with its seal,
 * writes a counter format 1 had not written yet (as 1, the value its
 * absence meant), and sets "format" to 2: all in one transaction,
 * so that a crash or a full disk leaves the format-1 spool as it was, to
 * be upgraded at the next open. Nothing is parsed or dropped: a record
 * that was damaged before is sealed as it is and still fails to parse
 * (ERR_CORRUPT when read, listed by `check`), one too large to be a
 * record is left unsealed (its size marks it), so the upgrade never
 * loses or blocks a queued update.
 *
 * The transaction copies every page of the spool (LMDB never overwrites
 * a page a reader may see), so it needs about twice the room the spool
 * takes: when the map is full, it is aborted, the map doubled and the
 * whole transaction done again (LIBRARY-NOTES: grow only while no
 * transaction is open; none is, at open). The spool's own limit is put
 * back afterwards.
 *
 * A spool that says format 1 but whose every value already carries a
 * valid seal is a format-2 spool with a damaged format value: sealing it
 * again would make every record unreadable, so it is refused.
 *
 * INVARIANTS
 *   1. After a committed upgrade every value but meta "format" of at most
 *      SPOOL_REC_MAX bytes is the format-1 value followed by its seal, and
 *      meta "format" is 2; after a failed one the file is unchanged.
 *   2. The map is resized only between transactions of this process.
 */
#include "agent/spool_int.h"

#include <stdio.h>
#include <string.h>

#include "common/lmdbh.h"

/* The largest map the upgrade grows to. */
#define UPGRADE_MAP_MAX ((size_t)64 << 30)

typedef struct seal_count {
    uint64_t values;  /* values looked at */
    uint64_t already; /* of which the seal held already */
} seal_count_t;

static int is_format_key(enum spool_table t, const MDB_val *k)
{
    return t == SPOOL_T_META && k->mv_size == 6 &&
           memcmp(k->mv_data, "format", 6) == 0;
}

/* Replace the value under the cursor of table @p t by itself sealed, and
 * move the cursor to the next record (found again by its key first:
 * the put may have split the page under it). */
static int seal_one(MDB_cursor *cur, MDB_val *kv, MDB_val *dv, buf_t *k,
                    buf_t *v, seal_count_t *c)
{
    buf_reset(k);
    buf_put(k, kv->mv_data, kv->mv_size);
    MDB_val key = lmdbh_val(k);
    MDB_val probe = *dv;
    c->values++;
    c->already += lmdbh_unseal(&key, &probe) == ERR_OK;
    buf_reset(v);
    buf_put(v, dv->mv_data, dv->mv_size);
    lmdbh_seal(v, &key);
    MDB_val nv = lmdbh_val(v);
    int mrc = mdb_cursor_put(cur, &key, &nv, MDB_CURRENT);
    if (mrc == MDB_SUCCESS) {
        *kv = lmdbh_val(k);
        mrc = mdb_cursor_get(cur, kv, dv, MDB_SET);
    }
    return mrc == MDB_SUCCESS ? mdb_cursor_get(cur, kv, dv, MDB_NEXT) : mrc;
}

/* Seal every value of table @p t in @p txn. @return an LMDB code. */
static int seal_table(spool_t *s, MDB_txn *txn, enum spool_table t,
                      seal_count_t *c)
{
    MDB_cursor *cur = NULL;
    MDB_val kv;
    MDB_val dv;
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    int mrc = mdb_cursor_open(txn, s->dbi[t], &cur);
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_cursor_get(cur, &kv, &dv, MDB_FIRST);
    }
    while (mrc == MDB_SUCCESS) {
        if (is_format_key(t, &kv) || dv.mv_size > SPOOL_REC_MAX) {
            mrc = mdb_cursor_get(cur, &kv, &dv, MDB_NEXT);
            continue;
        }
        mrc = seal_one(cur, &kv, &dv, &k, &v, c);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    buf_fini(&k);
    buf_fini(&v);
    return mrc == MDB_NOTFOUND ? MDB_SUCCESS : mrc;
}

/* Meta counter @p name as 1, sealed, unless it is there: format 1 wrote
 * the counters only once they moved, format 2 keeps them always.
 * @return an LMDB code. */
static int counter_if_absent(spool_t *s, MDB_txn *txn, const char *name)
{
    buf_t v;
    buf_init(&v);
    buf_put_u64(&v, 1);
    MDB_val kv = {strlen(name), (void *)(uintptr_t)name};
    lmdbh_seal(&v, &kv);
    MDB_val dv = lmdbh_val(&v);
    int mrc = mdb_put(txn, s->dbi[SPOOL_T_META], &kv, &dv, MDB_NOOVERWRITE);
    buf_fini(&v);
    return mrc == MDB_KEYEXIST ? MDB_SUCCESS : mrc;
}

/* One attempt: every table sealed and the format set, committed.
 * @return an LMDB code; *@p refused set when the values were sealed
 * already (nothing committed). */
static int upgrade_once(spool_t *s, int *refused)
{
    MDB_txn *txn = NULL;
    seal_count_t c = {0, 0};
    *refused = 0;
    int mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
    for (int t = 0; mrc == MDB_SUCCESS && t < SPOOL_T_N; t++) {
        mrc = seal_table(s, txn, (enum spool_table)t, &c);
    }
    if (mrc == MDB_SUCCESS && c.values > 0 && c.already == c.values) {
        *refused = 1;
        mdb_txn_abort(txn);
        return MDB_SUCCESS;
    }
    if (mrc == MDB_SUCCESS) {
        mrc = counter_if_absent(s, txn, "next_assign");
    }
    if (mrc == MDB_SUCCESS) {
        mrc = counter_if_absent(s, txn, "acked_next");
    }
    if (mrc == MDB_SUCCESS) {
        buf_t v;
        buf_init(&v);
        buf_put_u64(&v, SPOOL_FORMAT); /* unsealed: spool_rec.c */
        MDB_val kv = {6, (void *)(uintptr_t)"format"};
        MDB_val dv = lmdbh_val(&v);
        mrc = mdb_put(txn, s->dbi[SPOOL_T_META], &kv, &dv, 0);
        buf_fini(&v);
    }
    if (mrc == MDB_SUCCESS && !s->have_receipts) {
        /* The receipts table, which open_tables() leaves to this
         * transaction for a format-1 spool (one transaction in all). */
        mrc = mdb_dbi_open(txn, "receipts", MDB_CREATE,
                           &s->dbi[SPOOL_T_RECEIPTS]);
    }
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_txn_commit(txn);
        s->have_receipts = mrc == MDB_SUCCESS;
        return mrc;
    }
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    return mrc;
}

int spool_upgrade(spool_t *s, char err[ERR_LEN])
{
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    size_t map = info.me_mapsize;
    int refused = 0;
    s->sealed = 1;
    int mrc = upgrade_once(s, &refused);
    while (mrc == MDB_MAP_FULL && map <= UPGRADE_MAP_MAX / 2) {
        map *= 2;
        mrc = mdb_env_set_mapsize(s->env, map);
        if (mrc == MDB_SUCCESS) {
            mrc = upgrade_once(s, &refused);
        }
    }
    /* Back to the spool's own limit (LMDB keeps what the file needs). */
    mdb_env_set_mapsize(s->env, s->max_bytes);
    mdb_env_info(s->env, &info);
    s->max_bytes = info.me_mapsize;
    if (refused) {
        MDB_val k = {6, (void *)(uintptr_t)"format"};
        s->sealed = 0;
        return spool_damage(s, SPOOL_T_META, &k,
                            "says format 1, but every record is sealed as "
                            "in format 2: the format value is damaged; not "
                            "upgrading",
                            err);
    }
    if (mrc != MDB_SUCCESS) {
        s->sealed = 0;
        char what[ERR_LEN / 2];
        snprintf(what, sizeof what, "cannot upgrade spool %.200s to format "
                                    "%u", s->file, SPOOL_FORMAT);
        return lmdbh_fail(mrc, what, err);
    }
    s->format = SPOOL_FORMAT;
    return ERR_OK;
}
