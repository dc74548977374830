/* chain.c: the audit chain (chain.h): appending records to the
 * transaction's link and writing it, building the chain over a store from
 * before it, and its head for `hrssctl audit head` and the collector's
 * Acks.
 *
 * Design
 * ------
 * Three writers append: write.c (each audit record of store_apply(),
 * with the transaction's chain_tip_t in its wctx_t, flushed before the
 * commit as the aggregates' accumulator is), approve.c
 * (store_approval_log_put, every approvals_log entry, lock.c's included)
 * and comment.c (each comment): these two append with no tip, so each of
 * their records is a link of its own, written at once. Each appends right
 * after rec_put() of the record it covers, hashing the value exactly as
 * rec_put() left it (sealed). The tip is read from the table the first
 * time a transaction appends (one cursor MDB_LAST), so a replay after
 * MDB_MAP_FULL, which begins a new transaction, starts from what is
 * committed, with no link half built.
 *
 * A link holds at most CHAIN_LINK_MAX records and CHAIN_VALUE_MAX bytes:
 * chain_append() writes the link and starts another before a record that
 * would pass either (a backfill or a big group commit makes several).
 * The digest of each record is the first 8 bytes of h(pos): verify
 * recomputes h from the previous link's full hash, and the first digest
 * that differs is the first record that does not match (chain_verify.c).
 *
 * A store written before the chain gets it at its first writable open
 * (env.c calls chain_build() in the opening transaction): audit in id
 * order, then approvals_log in id order, then comments in key order. The
 * order of those old records among the three tables is not known, so
 * the built chain proves only that nothing changed after the build.
 *
 * INVARIANTS
 *   1. Positions are 1, 2, ... without a gap: each link's first position
 *      is the previous link's end + 1, written with MDB_APPEND.
 *   2. h(pos) is chain_hash() over h(pos - 1) (zeros for 1) and the
 *      covered record as stored when it was appended; a link stores the
 *      first 8 bytes of each and its end's in full.
 *   3. A link is written only in the transaction that writes the records
 *      it covers (or, at build, in the opening transaction), and every
 *      record appended is in a link when that transaction commits
 *      (chain_flush()).
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

static uint16_t get_u16(buf_reader_t *r)
{
    uint32_t hi = buf_get_u8(r);
    return (uint16_t)(hi << 8 | buf_get_u8(r));
}

static int valid_type(unsigned t)
{
    return t >= CHAIN_AUDIT && t <= CHAIN_COMMENTS;
}

/* The groups of a CHAIN_LAYOUT_LINK value in @p r: well formed, making
 * exactly @p n records. */
static int parse_groups(buf_reader_t *r, size_t n)
{
    size_t have = 0;
    while (have < n && !r->bad) {
        uint8_t type = buf_get_u8(r);
        uint16_t count = get_u16(r);
        if (!valid_type(type) || count == 0 || have + count > n) {
            return ERR_CORRUPT;
        }
        if (type == CHAIN_COMMENTS) {
            for (uint16_t i = 0; i < count && !r->bad; i++) {
                uint8_t len = buf_get_u8(r);
                if (len == 0 || buf_remaining(r) < len) {
                    return ERR_CORRUPT;
                }
                r->off += len;
            }
        } else {
            uint64_t first = buf_get_u64(r);
            if (first == 0 || first + count < first) {
                return ERR_CORRUPT;
            }
        }
        have += count;
    }
    return r->bad ? ERR_CORRUPT : ERR_OK;
}

int chain_link_parse(const MDB_val *k, const MDB_val *d, chain_link_t *out)
{
    memset(out, 0, sizeof *out);
    if (lmdbh_id_parse(k, CODEC_KEY_V1, &out->end) != ERR_OK ||
        out->end == 0) {
        return ERR_CORRUPT;
    }
    buf_reader_t r;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    uint8_t layout = buf_get_u8(&r);
    out->layout = layout;
    if (layout == CHAIN_LAYOUT_ONE) { /* chain.h: `01 type reflen ref hash` */
        out->refs = r.p + r.off;
        uint8_t type = buf_get_u8(&r);
        size_t n = get_u16(&r);
        if (r.bad || !valid_type(type) || n == 0 ||
            buf_remaining(&r) != n + CHAIN_HASH_LEN) {
            return ERR_CORRUPT;
        }
        out->refs_len = 3 + n;
        out->n = 1;
        out->first = out->end;
        out->digests = r.p + r.off + n;
        memcpy(out->hash, r.p + r.off + n, CHAIN_HASH_LEN);
        return ERR_OK;
    }
    out->n = get_u16(&r);
    out->refs = r.p + r.off;
    if (r.bad || layout != CHAIN_LAYOUT_LINK || out->n == 0 ||
        out->n > out->end || parse_groups(&r, out->n) != ERR_OK ||
        buf_remaining(&r) != out->n * CHAIN_DIGEST_LEN + CHAIN_HASH_LEN) {
        return ERR_CORRUPT;
    }
    out->refs_len = (size_t)(r.p + r.off - out->refs);
    out->first = out->end - out->n + 1;
    out->digests = r.p + r.off;
    memcpy(out->hash, r.p + r.off + out->n * CHAIN_DIGEST_LEN,
           CHAIN_HASH_LEN);
    return ERR_OK;
}

void chain_refs_begin(chain_refs_t *it, const chain_link_t *l)
{
    memset(it, 0, sizeof *it);
    it->l = l;
    buf_reader_init(&it->r, l->refs, l->refs_len);
}

int chain_refs_next(chain_refs_t *it, enum chain_type *type, MDB_val *key)
{
    const chain_link_t *l = it->l;
    if (it->i >= l->n) {
        return 0;
    }
    it->i++;
    if (l->layout == CHAIN_LAYOUT_ONE) {
        *type = (enum chain_type)l->refs[0];
        key->mv_size = l->refs_len - 3;
        key->mv_data = (void *)(uintptr_t)(l->refs + 3);
        return 1;
    }
    if (it->left == 0) {
        it->type = (enum chain_type)buf_get_u8(&it->r);
        it->left = get_u16(&it->r);
        if (it->type != CHAIN_COMMENTS) {
            it->id = buf_get_u64(&it->r);
        }
    }
    it->left--;
    *type = it->type;
    if (it->type == CHAIN_COMMENTS) {
        key->mv_size = buf_get_u8(&it->r);
        key->mv_data = (void *)(uintptr_t)(it->r.p + it->r.off);
        it->r.off += key->mv_size;
        return 1;
    }
    it->kb[0] = CODEC_KEY_V1;
    for (int i = 0; i < 8; i++) {
        it->kb[1 + i] = (uint8_t)(it->id >> (56 - 8 * i));
    }
    it->id++;
    key->mv_size = 9;
    key->mv_data = it->kb;
    return 1;
}

int chain_tip_load(const store_t *s, MDB_txn *txn, chain_tip_t *tip)
{
    tip->loaded = 1;
    tip->pos = 0;
    memset(tip->head, 0, sizeof tip->head);
    tip->n = 0;
    tip->refs_len = 0;
    tip->group = 0;
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
        chain_link_t l;
        rc = rec_unseal("chain", &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed("chain", &k, chain_link_parse(&k, &d, &l));
        }
        if (rc == ERR_OK) {
            tip->pos = l.end;
            memcpy(tip->head, l.hash, CHAIN_HASH_LEN);
        }
    }
    return lmdbh_cursor_end(&cur, rc, mrc);
}

int chain_flush(store_t *s, MDB_txn *txn, chain_tip_t *tip)
{
    if (tip->n == 0) {
        return ERR_OK;
    }
    assert(s->has_chain);
    buf_t kb;
    buf_t vb;
    buf_init(&kb);
    buf_init(&vb);
    lmdbh_id_key(&kb, CODEC_KEY_V1, tip->pos);
    buf_put_u8(&vb, CHAIN_LAYOUT_LINK);
    buf_put_u8(&vb, (uint8_t)(tip->n >> 8));
    buf_put_u8(&vb, (uint8_t)tip->n);
    buf_put(&vb, tip->refs, tip->refs_len);
    buf_put(&vb, tip->digests, (size_t)tip->n * CHAIN_DIGEST_LEN);
    buf_put(&vb, tip->head, CHAIN_HASH_LEN);
    assert(vb.len + LMDBH_SEAL_LEN <= CHAIN_VALUE_MAX);
    MDB_val k = lmdbh_val(&kb);
    int rc = rec_put(txn, s->chain, &k, &vb, MDB_APPEND);
    buf_fini(&kb);
    buf_fini(&vb);
    if (rc == ERR_OK) {
        tip->n = 0;
        tip->refs_len = 0;
        tip->group = 0;
    }
    return rc;
}

/* The bytes the record (@p type, @p id or @p key) adds to @p tip's link,
 * and whether it continues the last group (*@p extend). */
static size_t record_bytes(const chain_tip_t *tip, enum chain_type type,
                           uint64_t id, const MDB_val *key, int *extend)
{
    *extend = 0;
    if (tip->n > 0 && tip->refs[tip->group] == (uint8_t)type) {
        const uint8_t *g = tip->refs + tip->group;
        uint32_t count = (uint32_t)g[1] << 8 | g[2];
        uint64_t first = 0;
        for (int i = 0; type != CHAIN_COMMENTS && i < 8; i++) {
            first = first << 8 | g[3 + i]; /* an id group's first id */
        }
        *extend = count < 0xFFFF &&
                  (type == CHAIN_COMMENTS || first + count == id);
    }
    size_t ref = type == CHAIN_COMMENTS ? 1 + key->mv_size : 0;
    if (!*extend) {
        ref = 3 + (type == CHAIN_COMMENTS ? ref : 8);
    }
    return ref + CHAIN_DIGEST_LEN;
}

/* The value @p tip's link would take now, seal included. */
static size_t link_bytes(const chain_tip_t *tip)
{
    return 3 + tip->refs_len + (size_t)tip->n * CHAIN_DIGEST_LEN +
           CHAIN_HASH_LEN + LMDBH_SEAL_LEN;
}

int chain_append(store_t *s, MDB_txn *txn, chain_tip_t *tip,
                 enum chain_type type, const MDB_val *key,
                 const buf_t *sealed)
{
    chain_tip_t once;
    int rc = ERR_OK;
    int own = tip == NULL;
    if (own) {
        once.loaded = 0;
        tip = &once;
    }
    if (!tip->loaded) {
        rc = chain_tip_load(s, txn, tip);
        if (rc != ERR_OK) {
            return rc;
        }
    }
    assert(s->has_chain);
    uint64_t id = 0;
    if (type == CHAIN_COMMENTS) {
        assert(key->mv_size > 0 && key->mv_size <= 0xFF);
    } else if (lmdbh_id_parse(key, CODEC_KEY_V1, &id) != ERR_OK) {
        assert(!"chain_append: not an id key");
        return ERR_INVAL;
    }
    int extend = 0;
    size_t more = record_bytes(tip, type, id, key, &extend);
    if (tip->n == CHAIN_LINK_MAX ||
        (tip->n > 0 && link_bytes(tip) + more > CHAIN_VALUE_MAX)) {
        rc = chain_flush(s, txn, tip);
        if (rc != ERR_OK) {
            return rc;
        }
        more = record_bytes(tip, type, id, key, &extend);
    }
    uint64_t pos = tip->pos + 1;
    MDB_val val = {sealed->len, sealed->data};
    uint8_t h[CHAIN_HASH_LEN];
    chain_hash(tip->head, pos, type, key, &val, h);
    uint8_t *p = tip->refs + tip->refs_len;
    if (extend) {
        uint8_t *g = tip->refs + tip->group;
        uint32_t count = ((uint32_t)g[1] << 8 | g[2]) + 1;
        g[1] = (uint8_t)(count >> 8);
        g[2] = (uint8_t)count;
    } else {
        tip->group = tip->refs_len;
        *p++ = (uint8_t)type;
        *p++ = 0;
        *p++ = 1;
        if (type != CHAIN_COMMENTS) {
            for (int i = 0; i < 8; i++) {
                *p++ = (uint8_t)(id >> (56 - 8 * i));
            }
        }
    }
    if (type == CHAIN_COMMENTS) {
        *p++ = (uint8_t)key->mv_size;
        memcpy(p, key->mv_data, key->mv_size);
        p += key->mv_size;
    }
    tip->refs_len = (size_t)(p - tip->refs);
    assert(link_bytes(tip) + CHAIN_DIGEST_LEN <= CHAIN_VALUE_MAX);
    (void)more;
    memcpy(tip->digests + (size_t)tip->n * CHAIN_DIGEST_LEN, h,
           CHAIN_DIGEST_LEN);
    tip->n++;
    tip->pos = pos;
    memcpy(tip->head, h, CHAIN_HASH_LEN);
    if (own) {
        rc = chain_flush(s, txn, tip);
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
    if (rc == ERR_OK) {
        rc = chain_flush(s, txn, &tip);
    }
    if (rc == ERR_OK && tip.pos > 0) {
        /* Said by every audit head and verify from now on: these records
         * were chained as found, not as written. A chain table dropped
         * behind the collector's back is rebuilt here too, and must not
         * pass unseen. */
        rc = rec_meta_put(txn, s->meta, CODEC_META_CHAIN_BUILT, tip.pos);
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
    if (rc == ERR_OK) {
        int found = 0;
        rc = rec_meta_get(txn, self->meta, CODEC_META_CHAIN_BUILT, 0,
                          &out->built_over, &found);
    }
    if (rc == ERR_OK && tip.pos > 0) {
        MDB_val k;
        MDB_val d;
        buf_t kb;
        buf_init(&kb);
        lmdbh_id_key(&kb, CODEC_KEY_V1, tip.pos);
        k = lmdbh_val(&kb);
        int found = 0;
        chain_link_t l;
        rc = rec_get(txn, self->chain, "chain", &k, &d, &found);
        if (rc == ERR_OK && found) {
            rc = rec_malformed("chain", &k, chain_link_parse(&k, &d, &l));
        }
        enum chain_type type = CHAIN_AUDIT;
        MDB_val ref = {0, NULL};
        chain_refs_t it; /* ref may be borrowed from it */
        if (rc == ERR_OK && found) { /* its last record */
            chain_refs_begin(&it, &l);
            while (chain_refs_next(&it, &type, &ref)) {
            }
        }
        MDB_dbi dbi = ref.mv_size > 0 ? chain_table(self, type) : 0;
        if (dbi != 0) {
            MDB_val rd;
            rc = rec_get(txn, dbi, chain_table_name(type), &ref, &rd,
                         &found);
            if (rc == ERR_OK && found) {
                out->at = covered_time(type, &rd);
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
