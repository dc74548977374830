/* spool_v1.c: a format-1 spool written through LMDB (spool_v1.h). */
#include "spool_v1.h"

#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"

void spool_v1_update(uint64_t seq, spool_update_t *u)
{
    static const char *const codes[] = {"urban_new_jobs", "pension_insured",
                                        "unemployment_rate_urban",
                                        "labor_dispute_mediation_rate"};
    memset(u, 0, sizeof *u);
    u->seq = seq;
    snprintf(u->indicator, sizeof u->indicator, "%s", codes[seq % 4]);
    u->region = 330100 + (uint32_t)(seq % 90);
    u->yyyymm = 202101 + (uint32_t)(seq % 12);
    u->is_ratio = seq % 7 == 0;
    u->num = (int64_t)(seq * 1000 + 7);
    u->den = u->is_ratio ? (int64_t)(seq * 2000 + 9) : 0;
    u->submitted_at = 1700000000 + (int64_t)seq;
}

void spool_v1_rejection(uint64_t seq, spool_rejection_t *r)
{
    memset(r, 0, sizeof *r);
    r->seq = seq;
    r->at = 1700001000 + (int64_t)seq;
    r->reason = (uint32_t)(seq % 9);
    snprintf(r->reason_name, sizeof r->reason_name, "reason_%llu",
             (unsigned long long)seq);
    snprintf(r->message, sizeof r->message, "figure %llu refused",
             (unsigned long long)seq);
    if (seq % 2) {
        spool_v1_update(seq, &r->update);
    }
}

static void put_fields(buf_t *b, const spool_update_t *u)
{
    buf_put_str(b, u->indicator);
    buf_put_u32(b, u->region);
    buf_put_u32(b, u->yyyymm);
    buf_put_u8(b, (uint8_t)(u->is_ratio ? 1 : 0));
    buf_put_i64(b, u->num);
    buf_put_i64(b, u->den);
    buf_put_i64(b, u->submitted_at);
}

static void put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
                const buf_t *v, unsigned flags)
{
    MDB_val kv = {klen, (void *)(uintptr_t)k};
    MDB_val dv = {v->len, v->data};
    int rc = mdb_put(txn, dbi, &kv, &dv, flags);
    cr_assert_eq(rc, 0, "format-1 put: %s", mdb_strerror(rc));
}

static void meta_u64(MDB_txn *txn, MDB_dbi dbi, const char *name,
                     uint64_t v)
{
    buf_t b;
    buf_init(&b);
    buf_put_u64(&b, v);
    put(txn, dbi, name, strlen(name), &b, 0);
    buf_fini(&b);
}

static void seq_key(buf_t *k, uint64_t seq)
{
    buf_reset(k);
    buf_put_u8(k, 0x01);
    buf_put_u64(k, seq);
}

static void write_queue(MDB_txn *txn, MDB_dbi dbi, const spool_v1_t *spec)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    uint64_t first = spec->acked_next ? spec->acked_next : 1;
    for (size_t i = 0; i < spec->queued; i++) {
        spool_update_t u;
        spool_v1_update(first + i, &u);
        seq_key(&k, u.seq);
        buf_reset(&v);
        buf_put_u8(&v, 0x01);
        put_fields(&v, &u);
        put(txn, dbi, k.data, k.len, &v, MDB_APPEND);
    }
    buf_fini(&k);
    buf_fini(&v);
}

static void write_rejects(MDB_txn *txn, MDB_dbi dbi, size_t n)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    for (uint64_t seq = 1; seq <= n; seq++) {
        spool_rejection_t r;
        spool_v1_rejection(seq, &r);
        seq_key(&k, seq);
        buf_reset(&v);
        buf_put_u8(&v, 0x01);
        buf_put_i64(&v, r.at);
        buf_put_u32(&v, r.reason);
        buf_put_str(&v, r.reason_name);
        buf_put_str(&v, r.message);
        buf_put_u8(&v, (uint8_t)(seq % 2));
        if (seq % 2) {
            put_fields(&v, &r.update);
        }
        put(txn, dbi, k.data, k.len, &v, 0);
    }
    buf_fini(&k);
    buf_fini(&v);
}

void spool_v1_write(const char *dir, const spool_v1_t *spec)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi meta, queue, rejects, sources;
    cr_assert(mkdir(dir, 0750) == 0, "mkdir %s", dir);
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    mdb_env_set_mapsize(env, spec->map_size ? spec->map_size
                                            : (size_t)64 << 20);
    cr_assert_eq(mdb_env_open(env, dir, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta), 0);
    cr_assert_eq(mdb_dbi_open(txn, "queue", MDB_CREATE, &queue), 0);
    cr_assert_eq(mdb_dbi_open(txn, "rejects", MDB_CREATE, &rejects), 0);
    cr_assert_eq(mdb_dbi_open(txn, "sources", MDB_CREATE, &sources), 0);
    meta_u64(txn, meta, "format", 1);
    uint64_t first = spec->acked_next ? spec->acked_next : 1;
    if (spec->queued > 0 || spec->acked_next > 0) {
        meta_u64(txn, meta, "next_assign", first + spec->queued);
    }
    if (spec->acked_next > 0) {
        meta_u64(txn, meta, "acked_next", spec->acked_next);
    }
    if (spec->identity != NULL) {
        buf_t v;
        buf_init(&v);
        buf_put(&v, spec->identity, strlen(spec->identity));
        put(txn, meta, "identity", 8, &v, 0);
        buf_fini(&v);
    }
    write_queue(txn, queue, spec);
    write_rejects(txn, rejects, spec->rejections);
    buf_t v;
    buf_init(&v);
    for (size_t i = 1; i <= spec->sources; i++) {
        char key[64];
        int n = snprintf(key, sizeof key, "inbox:f%zu.csv:%zu:%zu", i, i, i);
        buf_reset(&v);
        buf_put_u8(&v, 0x01);
        buf_put_i64(&v, 1700002000 + (int64_t)i);
        put(txn, sources, key, (size_t)n, &v, 0);
    }
    buf_fini(&v);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}
