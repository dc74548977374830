/* chain.c: the audit chain (chain.h): appending a link in the writing
 * transaction, building the chain over a store from before it, and its
 * head for `hrssctl audit head` and the collector's Acks.
 *
 * Design
 * ------
 * Three writers append: write.c (each audit record of store_apply(),
 * with the transaction's chain_tip_t in its wctx_t), approve.c
 * (store_approval_log_put, every approvals_log entry, lock.c's included)
 * and comment.c (each comment). Each appends right after rec_put() of the
 * record it covers, hashing the value exactly as rec_put() left it
 * (sealed). The tip is read from the table the first time a transaction
 * appends (one cursor MDB_LAST), so a replay after MDB_MAP_FULL, which
 * begins a new transaction, starts from what is committed.
 *
 * A store written before the chain gets it at its first writable open
 * (env.c calls chain_build() in the opening transaction): audit in id
 * order, then approvals_log in id order, then comments in key order. The
 * order of those old records among the three tables is not known, so
 * the built chain proves only that nothing changed after the build.
 *
 * INVARIANTS
 *   1. Positions are 1, 2, ... without a gap: each append writes tip.pos
 *      + 1 with MDB_APPEND.
 *   2. hash(pos) is chain_hash() over hash(pos - 1) (zeros for 1) and the
 *      covered record as stored when it was appended.
 *   3. A chain record is written only in the transaction that writes the
 *      record it covers (or, at build, in the opening transaction).
 */
#include "store/chain.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/lmdbh.h"
#include "store/codec.h"
#include "store/env.h"
#include "store/rec.h"

MDB_dbi chain_table(const store_t *s, enum chain_type type)
{
    switch (type) {
    case CHAIN_AUDIT:
        return s->audit;
    case CHAIN_APPROVALS_LOG:
        return s->approvals_log;
    case CHAIN_COMMENTS:
        return s->comments;
    }
    return 0;
}

const char *chain_table_name(enum chain_type type)
{
    switch (type) {
    case CHAIN_AUDIT:
        return "audit";
    case CHAIN_APPROVALS_LOG:
        return "approvals_log";
    case CHAIN_COMMENTS:
        return "comments";
    }
    return "?";
}

int chain_open_db(store_t *s, MDB_txn *txn, unsigned flags,
                  char err[ERR_LEN])
{
    int mrc = mdb_dbi_open(txn, "chain", flags, &s->chain);
    s->has_chain = mrc == MDB_SUCCESS;
    if (mrc == MDB_SUCCESS || (mrc == MDB_NOTFOUND && !(flags & MDB_CREATE))) {
        if (!s->has_chain) {
            s->chain = 0;
        }
        return ERR_OK;
    }
    return lmdbh_fail(mrc, "cannot open database 'chain'", err);
}

void chain_hash(const uint8_t prev[CHAIN_HASH_LEN], uint64_t pos,
                enum chain_type type, const MDB_val *ref, const MDB_val *val,
                uint8_t out[CHAIN_HASH_LEN])
{
    uint8_t hdr[8 + 1 + 2];
    for (int i = 0; i < 8; i++) {
        hdr[i] = (uint8_t)(pos >> (56 - 8 * i));
    }
    hdr[8] = (uint8_t)type;
    hdr[9] = (uint8_t)(ref->mv_size >> 8);
    hdr[10] = (uint8_t)ref->mv_size;
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, CHAIN_HASH_LEN);
    crypto_generichash_update(&st, prev, CHAIN_HASH_LEN);
    crypto_generichash_update(&st, hdr, sizeof hdr);
    crypto_generichash_update(&st, ref->mv_data, ref->mv_size);
    crypto_generichash_update(&st, val->mv_data, val->mv_size);
    crypto_generichash_final(&st, out, CHAIN_HASH_LEN);
}

int chain_parse(const MDB_val *d, chain_rec_t *out)
{
    buf_reader_t r;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    memset(out, 0, sizeof *out);
    uint8_t ver = buf_get_u8(&r);
    uint8_t type = buf_get_u8(&r);
    uint32_t hi = buf_get_u8(&r);
    size_t n = (size_t)(hi << 8 | buf_get_u8(&r));
    if (r.bad || ver != CODEC_REC_V1 || type < CHAIN_AUDIT ||
        type > CHAIN_COMMENTS || n == 0 ||
        buf_remaining(&r) != n + CHAIN_HASH_LEN) {
        return ERR_CORRUPT;
    }
    out->type = (enum chain_type)type;
    out->ref.mv_size = n;
    out->ref.mv_data = (void *)(uintptr_t)(r.p + r.off);
    memcpy(out->hash, r.p + r.off + n, CHAIN_HASH_LEN);
    return ERR_OK;
}

int chain_tip_load(const store_t *s, MDB_txn *txn, chain_tip_t *tip)
{
    memset(tip, 0, sizeof *tip);
    tip->loaded = 1;
    if (!s->has_chain) {
        return ERR_OK;
    }
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, s->chain, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    MDB_val k;
    MDB_val d;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
    if (mrc == MDB_SUCCESS) {
        chain_rec_t c;
        rc = rec_unseal("chain", &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed("chain", &k,
                               lmdbh_id_parse(&k, CODEC_KEY_V1, &tip->pos));
        }
        if (rc == ERR_OK) {
            rc = rec_malformed("chain", &k, chain_parse(&d, &c));
        }
        if (rc == ERR_OK) {
            memcpy(tip->head, c.hash, CHAIN_HASH_LEN);
        }
    }
    return lmdbh_cursor_end(&cur, rc, mrc);
}

int chain_append(store_t *s, MDB_txn *txn, chain_tip_t *tip,
                 enum chain_type type, const MDB_val *key,
                 const buf_t *sealed)
{
    chain_tip_t once;
    int rc = ERR_OK;
    if (tip == NULL) {
        tip = &once;
        once.loaded = 0;
    }
    if (!tip->loaded) {
        rc = chain_tip_load(s, txn, tip);
        if (rc != ERR_OK) {
            return rc;
        }
    }
    assert(s->has_chain);
    assert(key->mv_size > 0 && key->mv_size <= 0xFFFF);
    uint64_t pos = tip->pos + 1;
    MDB_val val = {sealed->len, sealed->data};
    uint8_t h[CHAIN_HASH_LEN];
    chain_hash(tip->head, pos, type, key, &val, h);
    buf_t kb;
    buf_t vb;
    buf_init(&kb);
    buf_init(&vb);
    lmdbh_id_key(&kb, CODEC_KEY_V1, pos);
    buf_put_u8(&vb, CODEC_REC_V1);
    buf_put_u8(&vb, (uint8_t)type);
    buf_put_u8(&vb, (uint8_t)(key->mv_size >> 8));
    buf_put_u8(&vb, (uint8_t)key->mv_size);
    buf_put(&vb, key->mv_data, key->mv_size);
    buf_put(&vb, h, sizeof h);
    MDB_val k = lmdbh_val(&kb);
    rc = rec_put(txn, s->chain, &k, &vb, MDB_APPEND);
    buf_fini(&kb);
    buf_fini(&vb);
    if (rc == ERR_OK) {
        tip->pos = pos;
        memcpy(tip->head, h, CHAIN_HASH_LEN);
    }
    return rc;
}

/* Append a link for every record of @p type's table, in key order. The
 * values are copied first: a put into the chain may move the pages a
 * cursor's values point into. */
static int build_table(store_t *s, MDB_txn *txn, chain_tip_t *tip,
                       enum chain_type type)
{
    MDB_dbi dbi = chain_table(s, type);
    if (dbi == 0) {
        return ERR_OK;
    }
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, dbi, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_t vb;
    buf_init(&kb);
    buf_init(&vb);
    MDB_val k;
    MDB_val d;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        buf_reset(&kb);
        buf_reset(&vb);
        buf_put(&kb, k.mv_data, k.mv_size);
        buf_put(&vb, d.mv_data, d.mv_size);
        MDB_val ck = lmdbh_val(&kb);
        rc = chain_append(s, txn, tip, type, &ck, &vb);
        if (rc == ERR_OK) {
            mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
        }
    }
    buf_fini(&kb);
    buf_fini(&vb);
    return lmdbh_cursor_end(&cur, rc, mrc);
}

int chain_build(store_t *s, MDB_txn *txn, char err[ERR_LEN])
{
    chain_tip_t tip = {0};
    int rc = chain_tip_load(s, txn, &tip);
    if (rc != ERR_OK || tip.pos > 0) {
        return rc == ERR_OK ? rc : rec_fail(s->file, "chain", rc, err);
    }
    static const enum chain_type order[] = {CHAIN_AUDIT, CHAIN_APPROVALS_LOG,
                                            CHAIN_COMMENTS};
    for (size_t i = 0; rc == ERR_OK && i < 3; i++) {
        rc = build_table(s, txn, &tip, order[i]);
    }
    if (rc != ERR_OK && rc != ERR_FULL) {
        rec_fail(s->file, "cannot build the audit chain", rc, err);
    }
    return rc;
}

/* The time of the record a link covers: audit received_at, an approval
 * action's or a comment's at (their layouts: ARCHITECTURE "LMDB
 * layout"). 0 when it cannot be read. */
static int64_t covered_time(enum chain_type type, const MDB_val *d)
{
    size_t off = type == CHAIN_APPROVALS_LOG ? 1 + 4 + 4 + 1 : 1;
    if (d->mv_size < off + 8) {
        return 0;
    }
    buf_reader_t r;
    buf_reader_init(&r, (const unsigned char *)d->mv_data + off, 8);
    return buf_get_i64(&r);
}

int store_chain_head(store_t *self, store_chain_head_t *out,
                     char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    memset(out, 0, sizeof *out);
    out->present = self->has_chain;
    MDB_txn *txn = NULL;
    int rc = env_txn_begin(self, MDB_RDONLY, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    chain_tip_t tip;
    rc = chain_tip_load(self, txn, &tip);
    if (rc == ERR_OK && tip.pos > 0) {
        MDB_val k;
        MDB_val d;
        buf_t kb;
        buf_init(&kb);
        lmdbh_id_key(&kb, CODEC_KEY_V1, tip.pos);
        k = lmdbh_val(&kb);
        int found = 0;
        chain_rec_t c;
        rc = rec_get(txn, self->chain, "chain", &k, &d, &found);
        if (rc == ERR_OK && found) {
            rc = rec_malformed("chain", &k, chain_parse(&d, &c));
        }
        MDB_dbi dbi = rc == ERR_OK && found ? chain_table(self, c.type) : 0;
        if (dbi != 0) {
            MDB_val rd;
            rc = rec_get(txn, dbi, chain_table_name(c.type), &c.ref, &rd,
                         &found);
            if (rc == ERR_OK && found) {
                out->at = covered_time(c.type, &rd);
            }
        }
        buf_fini(&kb);
    }
    env_txn_abort(self, &txn);
    if (rc != ERR_OK) {
        return rec_fail(self->file, "audit head", rc, err);
    }
    out->position = tip.pos;
    memcpy(out->head, tip.head, sizeof out->head);
    return ERR_OK;
}
