/* spool_rec.c: the bytes of the spool (spool_int.h): keys, records, their
 * seals, and the one message format for damage.
 *
 * Layout (spool format 2; every key of queue and rejects starts with
 * KEY_V1, every value with REC_V1; integers big-endian):
 *   meta     "format" -> u64 2, NOT sealed: every version of the agent
 *                        reads it to learn which format a file is, and
 *                        refuses one it does not know;
 *            "next_assign" -> u64 next number to hand out;
 *            "acked_next" -> u64 collector's next expected, as last acked;
 *            "identity" -> "NAME REGION" of the agent that owns the spool
 *   queue    V1 seq:u64 -> V1 indicator\0 region:u32 yyyymm:u32 kind:u8
 *                          num:i64 den:i64 submitted_at:i64
 *   rejects  V1 seq:u64 -> V1 at:i64 reason:u32 reason_name\0 message\0
 *                          has_update:u8 [update record as in queue]
 *   sources  source-key bytes -> V1 at:i64 ("inbox:NAME:SIZE:MTIME",
 *            "cell:IND:REGION:YYYYMM", "cells:since": spool_cells.c)
 * Every value but meta "format" is followed by its seal (common/lmdbh):
 * the CRC-32C of its key and its bytes, 4 bytes big-endian. Format 1 is
 * the same without the seals (and meta integers of 4 or 8 bytes).
 *
 * A seal covers the key, so a record moved to another key by a damaged
 * key fails it too; the size limit comes before the checksum, so that a
 * damaged length in an LMDB page never makes us read past the record.
 *
 * INVARIANTS
 *   1. spool_parse_queued(spool_put_update(u)) == u, and a parser accepts
 *      only a V1 record read to its last byte (never reads outside it).
 *   2. spool_unseal() accepts a value only when its seal matches its key
 *      and bytes, and only when it is at most SPOOL_REC_MAX bytes.
 *   3. Every ERR_CORRUPT of this file comes with spool_damage()'s message,
 *      but those of the two parsers, which the callers word.
 */
#include "agent/spool_int.h"

#include <stdio.h>
#include <string.h>

#include "common/lmdbh.h"

const char *spool_table_name(enum spool_table t)
{
    static const char *const names[SPOOL_T_N + 1] = {
        "meta", "queue", "rejects", "sources", "receipts"};
    return t <= SPOOL_T_RECEIPTS ? names[t] : "?";
}

void spool_key_seq(buf_t *b, uint64_t seq)
{
    lmdbh_id_key(b, SPOOL_KEY_V1, seq);
}

int spool_parse_seq(const MDB_val *k, uint64_t *seq)
{
    return lmdbh_id_parse(k, SPOOL_KEY_V1, seq);
}

char *spool_key_text(enum spool_table t, const MDB_val *k, char *out,
                     size_t cap)
{
    uint64_t seq = 0;
    char text[80];
    if ((t == SPOOL_T_QUEUE || t == SPOOL_T_REJECTS ||
         t == SPOOL_T_RECEIPTS) &&
        spool_parse_seq(k, &seq) == ERR_OK) {
        snprintf(out, cap, "seq %llu", (unsigned long long)seq);
    } else {
        snprintf(out, cap, "key %s", lmdbh_key_text(k, text, sizeof text));
    }
    return out;
}

int spool_damage_at(const spool_t *s, enum spool_table t, const char *where,
                    const char *what, char err[ERR_LEN])
{
    snprintf(err, ERR_LEN, "spool %.240s: table %s%s%.60s: %.160s", s->file,
             spool_table_name(t), where[0] != '\0' ? ", " : "", where,
             what);
    return ERR_CORRUPT;
}

int spool_damage(const spool_t *s, enum spool_table t, const MDB_val *k,
                 const char *what, char err[ERR_LEN])
{
    char key[96] = "";
    if (k != NULL) {
        spool_key_text(t, k, key, sizeof key);
    }
    return spool_damage_at(s, t, key, what, err);
}

void spool_seal(const spool_t *s, buf_t *v, const MDB_val *k)
{
    if (s->sealed) {
        lmdbh_seal(v, k);
    }
}

const char *spool_seal_problem(const spool_t *s, const MDB_val *k,
                               MDB_val *v, char *buf, size_t cap)
{
    if (v->mv_size > SPOOL_REC_MAX) {
        snprintf(buf, cap, "record of %zu bytes, more than any spool record",
                 v->mv_size);
        return buf;
    }
    if (s->sealed && lmdbh_unseal(k, v) != ERR_OK) {
        return "checksum mismatch";
    }
    return NULL;
}

int spool_unseal(const spool_t *s, enum spool_table t, const MDB_val *k,
                 MDB_val *v, char err[ERR_LEN])
{
    char buf[80];
    const char *what = spool_seal_problem(s, k, v, buf, sizeof buf);
    return what != NULL ? spool_damage(s, t, k, what, err) : ERR_OK;
}

void spool_put_update(buf_t *b, const spool_update_t *u)
{
    buf_put_str(b, u->indicator);
    buf_put_u32(b, u->region);
    buf_put_u32(b, u->yyyymm);
    buf_put_u8(b, (uint8_t)(u->is_ratio ? 1 : 0));
    buf_put_i64(b, u->num);
    buf_put_i64(b, u->den);
    buf_put_i64(b, u->submitted_at);
}

static void get_update(buf_reader_t *r, spool_update_t *u)
{
    snprintf(u->indicator, sizeof u->indicator, "%s", buf_get_str(r));
    u->region = buf_get_u32(r);
    u->yyyymm = buf_get_u32(r);
    u->is_ratio = buf_get_u8(r) != 0;
    u->num = buf_get_i64(r);
    u->den = buf_get_i64(r);
    u->submitted_at = buf_get_i64(r);
}

int spool_parse_queued(const MDB_val *k, const MDB_val *d, spool_update_t *u)
{
    memset(u, 0, sizeof *u);
    if (spool_parse_seq(k, &u->seq) != ERR_OK) {
        return ERR_CORRUPT;
    }
    buf_reader_t r;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != SPOOL_REC_V1) {
        return ERR_CORRUPT;
    }
    get_update(&r, u);
    return buf_done(&r) ? ERR_OK : ERR_CORRUPT;
}

int spool_parse_rejection(const MDB_val *k, const MDB_val *d,
                          spool_rejection_t *r)
{
    memset(r, 0, sizeof *r);
    int rc = spool_parse_seq(k, &r->seq);
    buf_reader_t rd;
    buf_reader_init(&rd, d->mv_data, d->mv_size);
    if (buf_get_u8(&rd) != SPOOL_REC_V1) {
        rc = ERR_CORRUPT;
    }
    r->at = buf_get_i64(&rd);
    r->reason = buf_get_u32(&rd);
    snprintf(r->reason_name, sizeof r->reason_name, "%s", buf_get_str(&rd));
    snprintf(r->message, sizeof r->message, "%s", buf_get_str(&rd));
    if (buf_get_u8(&rd)) {
        get_update(&rd, &r->update);
        r->update.seq = r->seq;
    }
    if (rc == ERR_OK && !buf_done(&rd)) {
        rc = ERR_CORRUPT;
    }
    return rc;
}

int spool_get_queued(const spool_t *s, const MDB_val *k, const MDB_val *d,
                     spool_update_t *u, char err[ERR_LEN])
{
    MDB_val v = *d;
    memset(u, 0, sizeof *u);
    int rc = spool_unseal(s, SPOOL_T_QUEUE, k, &v, err);
    if (rc == ERR_OK && spool_parse_queued(k, &v, u) != ERR_OK) {
        rc = spool_damage(s, SPOOL_T_QUEUE, k, "malformed record", err);
    }
    return rc;
}

static MDB_val name_key(const char *name)
{
    MDB_val k;
    k.mv_size = strlen(name);
    k.mv_data = (void *)(uintptr_t)name;
    return k;
}

/* Meta value @p name into *@p out. @p counter: one of the counters,
 * which format 2 always writes (absent is a damaged key) and which are
 * never 0; else a value that may be absent (*out = 0) or 0. */
static int meta_u64(const spool_t *s, MDB_txn *txn, const char *name,
                    int counter, uint64_t *out, char err[ERR_LEN])
{
    MDB_val k = name_key(name);
    MDB_val d;
    int have = 0;
    *out = counter ? 1 : 0;
    int rc = lmdbh_get(txn, s->dbi[SPOOL_T_META], &k, &d, &have);
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "cannot read spool %.300s: %s", s->file,
                 err_str(rc));
        return rc;
    }
    if (!have) {
        /* Format 2 writes both counters when it makes a spool, so one
         * not found is a damaged key, never "1" (format 1 wrote them
         * only when they moved). */
        return counter && s->sealed
                   ? spool_damage(s, SPOOL_T_META, &k,
                                  "missing (a damaged key?)", err)
                   : ERR_OK;
    }
    rc = spool_unseal(s, SPOOL_T_META, &k, &d, err);
    if (rc != ERR_OK) {
        return rc;
    }
    buf_reader_t r;
    buf_reader_init(&r, d.mv_data, d.mv_size);
    uint64_t v = counter && d.mv_size == 4 && !s->sealed ? buf_get_u32(&r)
                                                         : buf_get_u64(&r);
    if (!buf_done(&r) || (counter && v == 0)) {
        return spool_damage(s, SPOOL_T_META, &k, "malformed record", err);
    }
    *out = v;
    return ERR_OK;
}

int spool_meta_get(const spool_t *s, MDB_txn *txn, const char *name,
                   uint64_t *out, char err[ERR_LEN])
{
    return meta_u64(s, txn, name, 1, out, err);
}

int spool_seen_get(const spool_t *s, MDB_txn *txn, uint64_t *out,
                   char err[ERR_LEN])
{
    /* absent: made before the mark, or nothing shown yet */
    return meta_u64(s, txn, "rejections_seen", 0, out, err);
}

int spool_put(const spool_t *s, MDB_txn *txn, enum spool_table t,
              const MDB_val *k, buf_t *v, unsigned flags)
{
    spool_seal(s, v, k);
    MDB_val kv = *k;
    MDB_val dv = lmdbh_val(v);
    return lmdbh_code(mdb_put(txn, s->dbi[t], &kv, &dv, flags));
}

int spool_meta_put(const spool_t *s, MDB_txn *txn, const char *name,
                   uint64_t v)
{
    buf_t b;
    buf_init(&b);
    buf_put_u64(&b, v);
    MDB_val k = name_key(name);
    int rc = spool_put(s, txn, SPOOL_T_META, &k, &b, 0);
    buf_fini(&b);
    return rc;
}

int spool_finish(MDB_txn **txn, int rc, int *mrc)
{
    *mrc = MDB_SUCCESS;
    if (*txn == NULL) {
        return rc;
    }
    if (rc == ERR_OK) {
        *mrc = mdb_txn_commit(*txn);
        rc = lmdbh_code(*mrc);
    } else {
        mdb_txn_abort(*txn);
    }
    *txn = NULL;
    return rc;
}

int spool_fail(int mrc, const char *what, char err[ERR_LEN])
{
    if (mrc == MDB_MAP_FULL) {
        snprintf(err, ERR_LEN, "%s: the spool is full", what);
        return ERR_FULL;
    }
    return lmdbh_fail(mrc, what, err);
}

int spool_lmdb(const spool_t *s, enum spool_table t, int mrc,
               char err[ERR_LEN])
{
    int rc = lmdbh_code(mrc);
    if (rc == ERR_CORRUPT) {
        char what[160];
        snprintf(what, sizeof what, "the file is damaged (LMDB: %s)",
                 mdb_strerror(mrc));
        spool_damage(s, t, NULL, what, err);
    } else if (rc != ERR_OK && rc != ERR_NOTFOUND) {
        snprintf(err, ERR_LEN, "cannot read spool %.300s: %s", s->file,
                 mdb_strerror(mrc));
    }
    return rc;
}

int spool_say(int rc, int mrc, const char *what, char err[ERR_LEN])
{
    if (rc == ERR_OK) {
        return ERR_OK;
    }
    if (mrc != MDB_SUCCESS) {
        return spool_fail(mrc, what, err);
    }
    if (rc == ERR_CORRUPT && err[0] != '\0') {
        return rc; /* named the record already (spool_damage()) */
    }
    snprintf(err, ERR_LEN, "%s: %s", what, err_str(rc));
    return rc;
}
