/* upgrade.c: older stores become format 3 in the opening transaction of
 * the first writable open.
 *
 * Design
 * ------
 * Format 1 -> 2: format 2 differs from format 1 only by the seal after
 * every value (rec.h). The tables whose records are the store's own
 * (facts, audit, cellhist, rejects, reporters) are walked once and every
 * value is rewritten sealed in place (mdb_cursor_put MDB_CURRENT: LMDB
 * deletes and reinserts a value whose size changed, and leaves the cursor
 * on it). The rejby index is emptied and its meta "rejidx_next" removed,
 * so that write_reindex() indexes every rejection again. The old meta
 * integers (rules_fp, rejidx_next) are removed; the caller writes them
 * sealed.
 *
 * Format 2 -> 3 (codec.h: IND codes, compact values, chained audit
 * records, no cellhist): every fact is re-keyed and rewritten; every
 * audit record is rewritten with the id of its cell's previous revision,
 * which cellhist gives (its keys are the cell and the audit id, in
 * order); then cellhist is deleted. An old fact key has the code's first
 * byte ([0-9a-z]) where a new one has an IND byte (1..19, or 0xFF), so
 * the facts are converted in place, re-seeking the first old key each
 * time. The derived tables are not converted but remade: the caller (env.c
 * check_format) rebuilds agg and violations, as after a catalog change.
 *
 * Everything happens in the caller's opening transaction: a crash midway
 * leaves the old store as it was, and a full map replays the whole open
 * in a grown one (store_open).
 *
 * INVARIANTS
 *   1. 1 -> 2: every record of the five tables keeps its key and its
 *      bytes; only the seal is added. Their record counts do not change.
 *   2. 2 -> 3: as many facts and audit records after as before, each
 *      with the same cell, values, ids and times; a damaged record stops
 *      the upgrade (ERR_CORRUPT naming it), never is dropped.
 *   3. Nothing is committed here.
 */
#include <stdio.h>
#include <string.h>

#include "common/lmdbh.h"
#include "store/codec.h"
#include "store/env.h"
#include "store/rec.h"

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
    MDB_dbi cellhist = 0;
    int mrc = mdb_dbi_open(txn, "cellhist", 0, &cellhist);
    if (mrc != MDB_SUCCESS) {
        snprintf(err, ERR_LEN, "%.300s: upgrading the store to format 2: "
                 "table cellhist: %s", s->file, mdb_strerror(mrc));
        return lmdbh_code(mrc);
    }
    const struct {
        const char *name;
        MDB_dbi dbi;
    } own[] = {
        {"facts", s->facts},         {"audit", s->audit},
        {"cellhist", cellhist},      {"rejects", s->rejects},
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
        rc = lmdbh_meta_put(txn, s->meta, CODEC_META_FORMAT,
                            STORE_FORMAT_NOSPANS, 4);
    }
    if (rc != ERR_OK && rc != ERR_FULL) {
        snprintf(err, ERR_LEN, "%.300s: upgrading the store to format 2 "
                 "(table %s): %s", s->file, what, err_str(rc));
    }
    return rc;
}

/* --- format 2 -> 3 ------------------------------------------------------- */

/* A format-2 cell key: V1 code\0 region month, and then @p tail bytes. */
static int old_cell(const MDB_val *k, size_t tail, const char **code,
                    uint32_t *region, int32_t *month)
{
    buf_reader_t r;
    buf_reader_init(&r, k->mv_data, k->mv_size);
    int ok = buf_get_u8(&r) == CODEC_KEY_V1;
    *code = buf_get_str(&r);
    *region = buf_get_u32(&r);
    *month = (int32_t)buf_get_u32(&r);
    return ok && !r.bad && *code != NULL && buf_remaining(&r) == tail
               ? ERR_OK
               : ERR_CORRUPT;
}

/* 1 when @p k is a format-2 facts key (its code's first byte where
 * format 3 has an IND byte). */
static int old_fact_key(const MDB_val *k)
{
    const unsigned char *p = k->mv_data;
    return k->mv_size > 2 && p[0] == CODEC_KEY_V1 && p[1] >= '0' &&
           p[1] <= 'z';
}

/* Rewrite the fact under (@p k, @p d), a format-2 one, as format 3. */
static int convert_fact(MDB_txn *txn, MDB_dbi facts, const MDB_val *k,
                        const MDB_val *d, buf_t *kb, buf_t *vb)
{
    const char *code;
    uint32_t region;
    int32_t month;
    MDB_val v = *d;
    int rc = rec_unseal("facts", k, &v);
    if (rc == ERR_OK) {
        rc = rec_malformed("facts", k, old_cell(k, 0, &code, &region,
                                                &month));
    }
    if (rc != ERR_OK) {
        return rc;
    }
    buf_reader_t r;
    buf_reader_init(&r, v.mv_data, v.mv_size);
    int ok = buf_get_u8(&r) == CODEC_REC_V1;
    codec_fact_t f;
    f.v = codec_get_full_value(&r);
    f.received_at = buf_get_i64(&r);
    f.audit_id = buf_get_u64(&r);
    if (!ok || !buf_done(&r)) {
        return rec_malformed("facts", k, ERR_CORRUPT);
    }
    codec_key_cell(kb, code, region, month);
    codec_put_fact(vb, &f);
    MDB_val old_key = *k; /* LMDB's calls take no const */
    int mrc = mdb_del(txn, facts, &old_key, NULL);
    if (mrc != MDB_SUCCESS) {
        return lmdbh_code(mrc);
    }
    MDB_val nk = lmdbh_val(kb);
    return rec_put(txn, facts, &nk, vb, MDB_NOOVERWRITE);
}

static int convert_facts(store_t *s, MDB_txn *txn, buf_t *kb, buf_t *vb,
                         buf_t *sk)
{
    static const unsigned char first_old[2] = {CODEC_KEY_V1, '0'};
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, s->facts, &cur));
    int mrc = MDB_SUCCESS;
    while (rc == ERR_OK) {
        MDB_val k = {sizeof first_old, (void *)(uintptr_t)first_old};
        MDB_val d;
        mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
        if (mrc != MDB_SUCCESS || !old_fact_key(&k)) {
            break;
        }
        buf_reset(sk); /* the key, out of the page the delete changes */
        buf_put(sk, k.mv_data, k.mv_size);
        MDB_val kc = lmdbh_val(sk);
        rc = convert_fact(txn, s->facts, &kc, &d, kb, vb);
    }
    return lmdbh_cursor_end(&cur, rc, mrc);
}

/* Rewrite audit record @p id, a format-2 one, as format 3 with previous
 * revision @p prev; @p hk (the cellhist key naming it) for messages. */
static int convert_audit(store_t *s, MDB_txn *txn, const MDB_val *hk,
                         uint64_t id, uint64_t prev, buf_t *kb, buf_t *vb)
{
    codec_key_id(kb, id);
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    int found = 0;
    int rc = rec_get(txn, s->audit, "audit", &k, &d, &found);
    if (rc == ERR_OK && !found) {
        rc = rec_malformed("cellhist", hk, ERR_CORRUPT);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    buf_reader_t r;
    buf_reader_init(&r, d.mv_data, d.mv_size);
    int ok = buf_get_u8(&r) == CODEC_REC_V1;
    store_revision_t rev;
    memset(&rev, 0, sizeof rev);
    rev.audit_id = id;
    rev.received_at = buf_get_i64(&r);
    rev.reporter = buf_get_str(&r);
    rev.seq = buf_get_u64(&r);
    rev.indicator = buf_get_str(&r);
    rev.region = buf_get_u32(&r);
    rev.month = (int32_t)buf_get_u32(&r);
    rev.has_old = buf_get_u8(&r) != 0;
    rev.old_value = codec_get_full_value(&r);
    rev.new_value = codec_get_full_value(&r);
    rev.prev_id = prev;
    if (!ok || !buf_done(&r) || rev.reporter == NULL ||
        rev.indicator == NULL || (prev != 0) != rev.has_old) {
        return rec_malformed("audit", &k, ERR_CORRUPT);
    }
    if (!rev.has_old) {
        memset(&rev.old_value, 0, sizeof rev.old_value);
    }
    codec_put_audit(vb, &rev); /* copies the strings out of the page */
    return rec_put(txn, s->audit, &k, vb, 0);
}

/* Chain every audit record to its cell's previous one, in cellhist's
 * order (cell, audit id), then delete cellhist. */
static int convert_audit_chains(store_t *s, MDB_txn *txn, MDB_dbi cellhist,
                                buf_t *kb, buf_t *vb, buf_t *last)
{
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, cellhist, &cur));
    MDB_val k;
    MDB_val d;
    uint64_t prev = 0;
    buf_reset(last); /* the previous entry's cell */
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &k, &d, MDB_FIRST)
                           : MDB_NOTFOUND;
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        const char *code;
        uint32_t region;
        int32_t month;
        rc = rec_unseal("cellhist", &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed("cellhist", &k,
                               old_cell(&k, 8, &code, &region, &month));
        }
        if (rc != ERR_OK) {
            break;
        }
        buf_reader_t r;
        buf_reader_init(&r, (const unsigned char *)k.mv_data + k.mv_size - 8,
                        8);
        uint64_t id = buf_get_u64(&r);
        size_t cell = k.mv_size - 8;
        if (last->len != cell || memcmp(last->data, k.mv_data, cell) != 0) {
            prev = 0; /* a new cell */
            buf_reset(last);
            buf_put(last, k.mv_data, cell);
        }
        if (id <= prev) {
            rc = rec_malformed("cellhist", &k, ERR_CORRUPT);
            break;
        }
        rc = convert_audit(s, txn, &k, id, prev, kb, vb);
        prev = id;
        if (rc == ERR_OK) {
            mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
        }
    }
    rc = lmdbh_cursor_end(&cur, rc, mrc);
    if (rc == ERR_OK) {
        rc = lmdbh_code(mdb_drop(txn, cellhist, 1));
    }
    return rc;
}

int upgrade_format2(store_t *s, MDB_txn *txn, char err[ERR_LEN])
{
    MDB_dbi cellhist = 0;
    const char *what = "cellhist";
    int rc = lmdbh_code(mdb_dbi_open(txn, "cellhist", 0, &cellhist));
    buf_t kb;
    buf_t vb;
    buf_t sk;
    buf_init(&kb);
    buf_init(&vb);
    buf_init(&sk);
    if (rc == ERR_OK) {
        what = "facts";
        rc = convert_facts(s, txn, &kb, &vb, &sk);
    }
    if (rc == ERR_OK) {
        what = "audit";
        rc = convert_audit_chains(s, txn, cellhist, &kb, &vb, &sk);
    }
    buf_fini(&kb);
    buf_fini(&vb);
    buf_fini(&sk);
    if (rc == ERR_OK) {
        rc = lmdbh_meta_put(txn, s->meta, CODEC_META_FORMAT, STORE_FORMAT, 4);
    }
    if (rc != ERR_OK && rc != ERR_FULL) {
        char why[ERR_LEN];
        rec_fail(s->file, what, rc, why);
        snprintf(err, ERR_LEN, "upgrading the store to format %u: %.400s",
                 STORE_FORMAT, why);
    }
    return rc;
}
