/* store.c: figures, audit trail and aggregates of hrss in LMDB.
 *
 * Design
 * ------
 * A fact is the current value of one cell (indicator, region, month) as
 * reported by that region's office for its own units. Every accepted update
 * writes the fact, an audit record and a per-cell history index, and moves
 * the aggregates of the region and all its ancestors by exactly the change
 * it causes, all in the caller's write transaction. The reporter's next
 * expected sequence number is written in that same transaction, so data and
 * sequence can never disagree after a crash (effectively-once delivery).
 *
 * Aggregates exist per (indicator, node, month), (.., quarter) and
 * (.., year). Each holds, over the node's subtree, the sum of every
 * region's contribution for that period plus the number of regions that
 * reported in it. A region's contribution to a period is
 *   over_time = sum:  the sum of its months in the period;
 *   over_time = last: its last reported month inside the period.
 * Ratios carry numerator and denominator through the same sums, so a ratio
 * total is sum(num) / sum(den), never a mean of rates. An update recomputes
 * the region's contribution to its month, quarter and year before and after
 * the write (from at most 12 facts) and adds the difference to each
 * ancestor: O(depth) read-modify-writes, independent of how much data the
 * store holds. Year ranges for flows add year aggregates; year ranges for
 * stocks, and reporting counts over ranges, seek each region's facts.
 *
 * LMDB layout (format 1): see ARCHITECTURE.md. Every key starts with the
 * key version byte KEY_V1 and every value with REC_V1. Integers are
 * big-endian (common/buf), so keys sort numerically.
 *
 *   meta       "format" -> u32; "rules_fp" -> u64
 *   facts      V1 code\0 region:u32 month:u32 -> V1 kind:u8 num den
 *                                               received_at audit_id
 *   audit      V1 audit_id:u64 -> V1 received_at reporter\0 seq code\0
 *                                 region month has_old old(kind num den)
 *                                 new(kind num den)
 *   cellhist   V1 code\0 region month audit_id -> (empty)
 *   rejects    V1 rej_id:u64 -> V1 received_at reporter\0 seq code\0
 *                               region yyyymm kind num den reason message\0
 *   reporters  V1 id-bytes -> V1 next_seq first_seen last_contact applied
 *                             rejected
 *   agg        V1 'M'|'Q'|'Y' code\0 region period_start -> V1 num den
 *                                                           reporting:u32
 *   violations V1 code\0 region month -> V1 parent\0 value parent_value
 *
 * INVARIANTS
 *   1. For every reporter, next_seq - 1 == number of its updates applied or
 *      rejected, and next_seq is committed with the data it accounts for.
 *   2. For every aggregate key (K, I, node, P): num/den equal the sum over
 *      regions R in subtree(node) of contribution(I, R, P), and reporting
 *      equals the number of such R with at least one fact in P.
 *      store_verify() recomputes this from the facts.
 *   3. A fact exists iff its cell has at least one audit record; the fact
 *      holds the newest record's new value.
 *   4. A violation record exists iff both cells of an "of which" pair exist
 *      for the same region and month and the part exceeds the whole.
 *   5. Aggregate records that would be all zero with reporting 0 are
 *      deleted rather than stored.
 *   6. mdb_env_set_mapsize() runs only under the write lock of txn_lock, so
 *      no transaction of this process is open while the map is resized.
 */
#include "store/store.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/lmdbh.h"
#include "common/mem.h"

#define STORE_FORMAT 1u
#define KEY_V1 0x01
#define REC_V1 0x01
#define DEFAULT_MAP_SIZE ((size_t)64 << 20)
#define DEFAULT_MAP_MAX ((size_t)64 << 30)
#define MAX_SERIES_POINTS 1200

enum agg_kind { AGG_MONTH = 'M', AGG_QUARTER = 'Q', AGG_YEAR = 'Y' };

struct store {
    MDB_env *env;
    MDB_dbi meta, facts, audit, cellhist, rejects, reporters, agg, viol;
    const catalog_t *cat;
    int readonly;
    size_t map_size;
    size_t map_max;
    pthread_rwlock_t txn_lock;
};

/* A region's contribution to one period. */
typedef struct contrib {
    int64_t num;
    int64_t den;
    int present;
} contrib_t;

/* One month of one (indicator, region) inside a year. */
typedef struct slot {
    int present;
    value_t v;
} slot_t;

/* State of one write transaction. */
typedef struct wctx {
    store_t *s;
    MDB_txn *txn;
    uint64_t next_audit;
    uint64_t next_rej;
    buf_t key;
    buf_t val;
    buf_t key2;
} wctx_t;

/* ---------------------------------------------------------------------- */
/* errors                                                                  */

static int from_mdb(int mrc) { return lmdbh_code(mrc); }

static int mdb_fail(int mrc, const char *what, char err[ERR_LEN])
{
    return lmdbh_fail(mrc, what, err);
}

void store_result_fini(store_result_t *res)
{
    free(res->rejections);
    memset(res, 0, sizeof *res);
}

/* ---------------------------------------------------------------------- */
/* keys and records                                                        */

static void key_cell(buf_t *b, const char *code, uint32_t region,
                     int32_t month)
{
    buf_reset(b);
    buf_put_u8(b, KEY_V1);
    buf_put_str(b, code);
    buf_put_u32(b, region);
    buf_put_u32(b, (uint32_t)month);
}

static void key_agg(buf_t *b, enum agg_kind k, const char *code,
                    uint32_t region, int32_t start)
{
    buf_reset(b);
    buf_put_u8(b, KEY_V1);
    buf_put_u8(b, (uint8_t)k);
    buf_put_str(b, code);
    buf_put_u32(b, region);
    buf_put_u32(b, (uint32_t)start);
}

static void key_u64(buf_t *b, uint64_t id)
{
    buf_reset(b);
    buf_put_u8(b, KEY_V1);
    buf_put_u64(b, id);
}

static void key_reporter(buf_t *b, const char *id)
{
    buf_reset(b);
    buf_put_u8(b, KEY_V1);
    buf_put(b, id, strlen(id));
}

static MDB_val val_of(const buf_t *b) { return lmdbh_val(b); }

static void put_value(buf_t *b, const value_t *v)
{
    buf_put_u8(b, (uint8_t)(v->is_ratio ? 1 : 0));
    buf_put_i64(b, v->num);
    buf_put_i64(b, v->den);
}

static value_t get_value(buf_reader_t *r)
{
    value_t v;
    v.is_ratio = buf_get_u8(r) != 0;
    v.num = buf_get_i64(r);
    v.den = buf_get_i64(r);
    return v;
}

/* Parse a cell key (facts, violations, or the prefix of cellhist). */
static int parse_cell_key(const MDB_val *k, const char **code,
                          uint32_t *region, int32_t *month, size_t extra)
{
    buf_reader_t r;
    buf_reader_init(&r, k->mv_data, k->mv_size);
    if (buf_get_u8(&r) != KEY_V1) {
        return ERR_CORRUPT;
    }
    *code = buf_get_str(&r);
    *region = buf_get_u32(&r);
    *month = (int32_t)buf_get_u32(&r);
    if (r.bad || buf_remaining(&r) != extra) {
        return ERR_CORRUPT;
    }
    return ERR_OK;
}

typedef struct fact_rec {
    value_t v;
    int64_t received_at;
    uint64_t audit_id;
} fact_rec_t;

static int parse_fact(const MDB_val *d, fact_rec_t *f)
{
    buf_reader_t r;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != REC_V1) {
        return ERR_CORRUPT;
    }
    f->v = get_value(&r);
    f->received_at = buf_get_i64(&r);
    f->audit_id = buf_get_u64(&r);
    return buf_done(&r) ? ERR_OK : ERR_CORRUPT;
}

typedef struct agg_rec {
    int64_t num;
    int64_t den;
    uint32_t reporting;
} agg_rec_t;

static int parse_agg(const MDB_val *d, agg_rec_t *a)
{
    buf_reader_t r;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != REC_V1) {
        return ERR_CORRUPT;
    }
    a->num = buf_get_i64(&r);
    a->den = buf_get_i64(&r);
    a->reporting = buf_get_u32(&r);
    return buf_done(&r) ? ERR_OK : ERR_CORRUPT;
}

typedef struct reporter_rec {
    uint64_t next_seq;
    int64_t first_seen;
    int64_t last_contact;
    uint64_t applied;
    uint64_t rejected;
} reporter_rec_t;

static int parse_reporter(const MDB_val *d, reporter_rec_t *p)
{
    buf_reader_t r;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != REC_V1) {
        return ERR_CORRUPT;
    }
    p->next_seq = buf_get_u64(&r);
    p->first_seen = buf_get_i64(&r);
    p->last_contact = buf_get_i64(&r);
    p->applied = buf_get_u64(&r);
    p->rejected = buf_get_u64(&r);
    return buf_done(&r) ? ERR_OK : ERR_CORRUPT;
}

/* ---------------------------------------------------------------------- */
/* transactions                                                            */

/* Begin a transaction with txn_lock read-held; grows the view of the map
 * when another process has grown it (MDB_MAP_RESIZED). */
static int txn_begin(store_t *s, unsigned flags, MDB_txn **txn,
                     char err[ERR_LEN])
{
    for (int tries = 0;; tries++) {
        pthread_rwlock_rdlock(&s->txn_lock);
        int mrc = mdb_txn_begin(s->env, NULL, flags, txn);
        if (mrc == MDB_SUCCESS) {
            return ERR_OK;
        }
        pthread_rwlock_unlock(&s->txn_lock);
        if (mrc == MDB_MAP_RESIZED && tries < 3) {
            pthread_rwlock_wrlock(&s->txn_lock);
            mrc = mdb_env_set_mapsize(s->env, 0);
            pthread_rwlock_unlock(&s->txn_lock);
            if (mrc == MDB_SUCCESS) {
                continue;
            }
        }
        if (mrc == MDB_READERS_FULL && tries < 3) {
            int dead = 0;
            mdb_reader_check(s->env, &dead);
            if (dead > 0) {
                continue;
            }
        }
        *txn = NULL;
        return mdb_fail(mrc, "cannot begin transaction", err);
    }
}

static void txn_abort(store_t *s, MDB_txn **txn)
{
    if (*txn != NULL) {
        mdb_txn_abort(*txn);
        *txn = NULL;
        pthread_rwlock_unlock(&s->txn_lock);
    }
}

static int txn_commit(store_t *s, MDB_txn **txn)
{
    int mrc = mdb_txn_commit(*txn);
    *txn = NULL;
    pthread_rwlock_unlock(&s->txn_lock);
    return mrc;
}

/* ---------------------------------------------------------------------- */
/* open and close                                                          */

static int rebuild_derived(store_t *s, MDB_txn *txn, MDB_dbi agg,
                           MDB_dbi viol, char err[ERR_LEN]);

static int open_dbs(store_t *s, MDB_txn *txn, unsigned flags,
                    char err[ERR_LEN])
{
    const lmdbh_db_t t[] = {
        {"meta", &s->meta},           {"facts", &s->facts},
        {"audit", &s->audit},         {"cellhist", &s->cellhist},
        {"rejects", &s->rejects},     {"reporters", &s->reporters},
        {"agg", &s->agg},             {"violations", &s->viol},
    };
    return lmdbh_open_dbs(txn, t, sizeof t / sizeof t[0], flags, err);
}

/* Check the format, write it on a new store, rebuild derived data when
 * the catalog rules changed. */
static int check_format(store_t *s, MDB_txn *txn, int *changed,
                        char err[ERR_LEN])
{
    uint64_t format = 0;
    uint64_t fp = 0;
    int have_format = 0;
    int have_fp = 0;
    uint64_t want_fp = catalog_rules_fingerprint(s->cat);
    int rc = lmdbh_meta_get(txn, s->meta, "format", 0, &format,
                            &have_format);
    if (rc == ERR_OK) {
        rc = lmdbh_meta_get(txn, s->meta, "rules_fp", 0, &fp, &have_fp);
    }
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "store metadata unreadable: %s", err_str(rc));
        return rc;
    }
    *changed = 0;
    if (have_format && format != STORE_FORMAT) {
        snprintf(err, ERR_LEN,
                 "store format %llu, this program reads format %u",
                 (unsigned long long)format, STORE_FORMAT);
        return ERR_VERSION;
    }
    if (have_format && have_fp && fp == want_fp) {
        return ERR_OK;
    }
    if (s->readonly) {
        if (!have_format) {
            snprintf(err, ERR_LEN, "not an initialised hrss store");
            return ERR_NOTFOUND;
        }
        snprintf(err, ERR_LEN,
                 "the store's aggregates were built for another catalog; "
                 "open it writable once (start the collector) to rebuild");
        return ERR_VERSION;
    }
    rc = lmdbh_meta_put(txn, s->meta, "format", STORE_FORMAT, 4);
    if (rc == ERR_OK) {
        rc = lmdbh_meta_put(txn, s->meta, "rules_fp", want_fp, 8);
    }
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "cannot write store metadata: %s",
                 err_str(rc));
        return rc;
    }
    if (have_format) {
        *changed = 1;
        return rebuild_derived(s, txn, s->agg, s->viol, err);
    }
    return ERR_OK;
}

int store_open(store_t **out, const char *dir, const catalog_t *cat,
               const store_opts_t *opts, char err[ERR_LEN])
{
    int rc = ERR_OK;
    int mrc = MDB_SUCCESS;
    MDB_txn *txn = NULL;
    store_opts_t o = {0};
    if (opts != NULL) {
        o = *opts;
    }
    store_t *s = xcalloc(1, sizeof *s);
    s->cat = cat;
    s->readonly = o.readonly;
    s->map_size = o.map_size ? o.map_size : DEFAULT_MAP_SIZE;
    s->map_max = o.map_max ? o.map_max : DEFAULT_MAP_MAX;
    if (s->map_max < s->map_size) {
        s->map_max = s->map_size;
    }
    pthread_rwlock_init(&s->txn_lock, NULL);

    if (!s->readonly && mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, ERR_LEN, "cannot create %s: %s", dir, strerror(errno));
        rc = ERR_IO;
        goto fail;
    }
    if (s->readonly) {
        struct stat st;
        char path[4096];
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        if (stat(path, &st) != 0) {
            snprintf(err, ERR_LEN, "no store at %s: %s", dir,
                     strerror(errno));
            rc = ERR_NOTFOUND;
            goto fail;
        }
    }
    mrc = mdb_env_create(&s->env);
    if (mrc != MDB_SUCCESS) {
        rc = mdb_fail(mrc, "cannot create LMDB environment", err);
        goto fail;
    }
    mdb_env_set_maxdbs(s->env, 16);
    mdb_env_set_maxreaders(s->env, 126);
    if (!s->readonly) {
        mdb_env_set_mapsize(s->env, s->map_size);
    }
    mrc = mdb_env_open(s->env, dir,
                       MDB_NOTLS | (s->readonly ? MDB_RDONLY : 0u), 0640);
    if (mrc != MDB_SUCCESS) {
        char what[ERR_LEN / 2];
        snprintf(what, sizeof what, "cannot open store %.200s", dir);
        rc = mdb_fail(mrc, what, err);
        goto fail;
    }
    if (!s->readonly) {
        int dead = 0;
        mdb_reader_check(s->env, &dead);
        MDB_envinfo info;
        mdb_env_info(s->env, &info);
        if (info.me_mapsize > s->map_size) {
            s->map_size = info.me_mapsize;
        }
    }
    rc = txn_begin(s, s->readonly ? MDB_RDONLY : 0, &txn, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    rc = open_dbs(s, txn, s->readonly ? 0u : MDB_CREATE, err);
    if (rc == ERR_NOTFOUND) {
        snprintf(err, ERR_LEN, "%s is not an hrss store", dir);
    }
    if (rc != ERR_OK) {
        goto fail;
    }
    int changed = 0;
    rc = check_format(s, txn, &changed, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    /* Commit even a read-only transaction: database handles opened in a
     * transaction that aborts are closed with it. */
    mrc = txn_commit(s, &txn);
    if (mrc != MDB_SUCCESS) {
        rc = mdb_fail(mrc, "cannot initialise store", err);
        goto fail;
    }
    *out = s;
    return ERR_OK;

fail:
    txn_abort(s, &txn);
    if (s->env != NULL) {
        mdb_env_close(s->env);
    }
    pthread_rwlock_destroy(&s->txn_lock);
    free(s);
    return rc;
}

void store_close(store_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    store_t *s = *self_p;
    mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->txn_lock);
    free(s);
    *self_p = NULL;
}

/* ---------------------------------------------------------------------- */
/* contributions and aggregates                                            */

/* Load the facts of (code, region) for the 12 months of the year starting
 * at month index @p ystart into @p slots. */
static int load_year(MDB_txn *txn, MDB_dbi facts, const char *code,
                     uint32_t region, int32_t ystart, slot_t slots[12],
                     buf_t *kb)
{
    memset(slots, 0, 12 * sizeof slots[0]);
    MDB_cursor *cur = NULL;
    int mrc = mdb_cursor_open(txn, facts, &cur);
    if (mrc != MDB_SUCCESS) {
        return from_mdb(mrc);
    }
    key_cell(kb, code, region, ystart);
    MDB_val k = val_of(kb);
    MDB_val d;
    size_t prefix = kb->len - 4;
    int rc = ERR_OK;
    mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    while (mrc == MDB_SUCCESS) {
        if (k.mv_size != kb->len || memcmp(k.mv_data, kb->data, prefix)) {
            break;
        }
        const char *c;
        uint32_t r;
        int32_t m;
        fact_rec_t f;
        if (parse_cell_key(&k, &c, &r, &m, 0) != ERR_OK ||
            parse_fact(&d, &f) != ERR_OK) {
            rc = ERR_CORRUPT;
            break;
        }
        if (m > ystart + 11) {
            break;
        }
        slots[m - ystart].present = 1;
        slots[m - ystart].v = f.v;
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = from_mdb(mrc);
    }
    mdb_cursor_close(cur);
    return rc;
}

/* Contribution of slots [from, to] under the indicator's time rule. */
static contrib_t contrib_of(const slot_t *slots, int from, int to,
                            enum ind_over_time ot)
{
    contrib_t c = {0, 0, 0};
    for (int i = from; i <= to; i++) {
        if (!slots[i].present) {
            continue;
        }
        if (ot == OVER_SUM) {
            c.num += slots[i].v.num;
            c.den += slots[i].v.den;
        } else {
            c.num = slots[i].v.num;
            c.den = slots[i].v.den;
        }
        c.present = 1;
    }
    return c;
}

/* Add a delta to one aggregate record, deleting it when it becomes empty
 * (invariant 5). */
static int agg_add(MDB_txn *txn, MDB_dbi dbi, buf_t *kb, buf_t *vb,
                   int64_t dnum, int64_t dden, int drep)
{
    MDB_val k = val_of(kb);
    MDB_val d;
    agg_rec_t a = {0, 0, 0};
    int mrc = mdb_get(txn, dbi, &k, &d);
    if (mrc == MDB_SUCCESS) {
        if (parse_agg(&d, &a) != ERR_OK) {
            return ERR_CORRUPT;
        }
    } else if (mrc != MDB_NOTFOUND) {
        return from_mdb(mrc);
    }
    a.num += dnum;
    a.den += dden;
    a.reporting = (uint32_t)((int64_t)a.reporting + drep);
    if (a.num == 0 && a.den == 0 && a.reporting == 0) {
        mrc = mdb_del(txn, dbi, &k, NULL);
        return mrc == MDB_NOTFOUND ? ERR_OK : from_mdb(mrc);
    }
    buf_reset(vb);
    buf_put_u8(vb, REC_V1);
    buf_put_i64(vb, a.num);
    buf_put_i64(vb, a.den);
    buf_put_u32(vb, a.reporting);
    d = val_of(vb);
    return from_mdb(mdb_put(txn, dbi, &k, &d, 0));
}

/* Move the aggregates of region index @p ri and its ancestors for period
 * kind @p k starting at @p start by (after - before). */
static int agg_move(store_t *s, MDB_txn *txn, MDB_dbi dbi, buf_t *kb,
                    buf_t *vb, enum agg_kind k, const char *code, int ri,
                    int32_t start, contrib_t before, contrib_t after)
{
    int64_t dnum = after.num - before.num;
    int64_t dden = after.den - before.den;
    int drep = after.present - before.present;
    if (dnum == 0 && dden == 0 && drep == 0) {
        return ERR_OK;
    }
    for (int a = ri; a >= 0; a = catalog_region(s->cat, (size_t)a)->parent) {
        key_agg(kb, k, code, catalog_region(s->cat, (size_t)a)->code, start);
        int rc = agg_add(txn, dbi, kb, vb, dnum, dden, drep);
        if (rc != ERR_OK) {
            return rc;
        }
    }
    return ERR_OK;
}

/* Apply the aggregate change of one cell going from @p old_slots to
 * @p new_slots (the 12 months of the cell's year). */
static int agg_update(store_t *s, MDB_txn *txn, MDB_dbi dbi, buf_t *kb,
                      buf_t *vb, const indicator_t *ind, int ri,
                      int32_t ystart, int mi, const slot_t *old_slots,
                      const slot_t *new_slots)
{
    int q0 = mi - mi % 3;
    struct {
        enum agg_kind k;
        int from;
        int to;
    } per[3] = {
        {AGG_MONTH, mi, mi},
        {AGG_QUARTER, q0, q0 + 2},
        {AGG_YEAR, 0, 11},
    };
    for (int i = 0; i < 3; i++) {
        contrib_t before =
            contrib_of(old_slots, per[i].from, per[i].to, ind->over_time);
        contrib_t after =
            contrib_of(new_slots, per[i].from, per[i].to, ind->over_time);
        int rc = agg_move(s, txn, dbi, kb, vb, per[i].k, ind->code, ri,
                          ystart + per[i].from, before, after);
        if (rc != ERR_OK) {
            return rc;
        }
    }
    return ERR_OK;
}

/* ---------------------------------------------------------------------- */
/* violations                                                              */

static int get_fact(MDB_txn *txn, MDB_dbi facts, buf_t *kb, const char *code,
                    uint32_t region, int32_t month, fact_rec_t *f,
                    int *found)
{
    key_cell(kb, code, region, month);
    MDB_val k = val_of(kb);
    MDB_val d;
    int mrc = mdb_get(txn, facts, &k, &d);
    *found = 0;
    if (mrc == MDB_NOTFOUND) {
        return ERR_OK;
    }
    if (mrc != MDB_SUCCESS) {
        return from_mdb(mrc);
    }
    if (parse_fact(&d, f) != ERR_OK) {
        return ERR_CORRUPT;
    }
    *found = 1;
    return ERR_OK;
}

/* Recheck the "of which" pair (child, parent) for one region and month
 * and store or clear its violation record (invariant 4). */
static int viol_check(store_t *s, MDB_txn *txn, MDB_dbi viol, buf_t *kb,
                      buf_t *vb, const indicator_t *child, uint32_t region,
                      int32_t month)
{
    const indicator_t *parent =
        catalog_indicator(s->cat, (size_t)child->part_of);
    fact_rec_t cf;
    fact_rec_t pf;
    int have_c = 0;
    int have_p = 0;
    int rc = get_fact(txn, s->facts, kb, child->code, region, month, &cf,
                      &have_c);
    if (rc == ERR_OK) {
        rc = get_fact(txn, s->facts, kb, parent->code, region, month, &pf,
                      &have_p);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    key_cell(kb, child->code, region, month);
    MDB_val k = val_of(kb);
    if (have_c && have_p && cf.v.num > pf.v.num) {
        buf_reset(vb);
        buf_put_u8(vb, REC_V1);
        buf_put_str(vb, parent->code);
        buf_put_i64(vb, cf.v.num);
        buf_put_i64(vb, pf.v.num);
        MDB_val d = val_of(vb);
        return from_mdb(mdb_put(txn, viol, &k, &d, 0));
    }
    int mrc = mdb_del(txn, viol, &k, NULL);
    return mrc == MDB_NOTFOUND ? ERR_OK : from_mdb(mrc);
}

/* After a write to (ind, region, month): recheck every pair it is in. */
static int viol_after_write(store_t *s, MDB_txn *txn, MDB_dbi viol,
                            buf_t *kb, buf_t *vb, int ii, uint32_t region,
                            int32_t month)
{
    const indicator_t *ind = catalog_indicator(s->cat, (size_t)ii);
    int rc = ERR_OK;
    if (ind->part_of >= 0) {
        rc = viol_check(s, txn, viol, kb, vb, ind, region, month);
    }
    for (size_t j = 0; rc == ERR_OK && j < catalog_indicator_count(s->cat);
         j++) {
        const indicator_t *c = catalog_indicator(s->cat, j);
        if (c->part_of == ii) {
            rc = viol_check(s, txn, viol, kb, vb, c, region, month);
        }
    }
    return rc;
}

/* ---------------------------------------------------------------------- */
/* applying updates                                                        */

/* Check @p u against every rule (common/update); on success fill @p cell.
 * The message names the field first: "period: 2026-12 is later than the
 * current month 2026-11". */
static enum update_reason validate(const store_t *s, const store_batch_t *b,
                                   const update_t *u, update_cell_t *cell,
                                   char msg[STORE_MSG_LEN])
{
    update_scope_t sc = {s->cat, b->home, b->current_month};
    char why[UPDATE_MSG_LEN];
    enum update_reason r = update_check(&sc, u, cell, why);
    if (r != UPDATE_OK) {
        snprintf(msg, STORE_MSG_LEN, "%s: %s",
                 update_reason_field(r, &u->value), why);
    }
    return r;
}

static int put_audit(wctx_t *w, const store_batch_t *b,
                     const update_t *u, int32_t month,
                     const slot_t *old, uint64_t id)
{
    key_u64(&w->key2, id);
    buf_reset(&w->val);
    buf_put_u8(&w->val, REC_V1);
    buf_put_i64(&w->val, b->received_at);
    buf_put_str(&w->val, b->reporter);
    buf_put_u64(&w->val, u->seq);
    buf_put_str(&w->val, u->indicator);
    buf_put_u32(&w->val, u->region);
    buf_put_u32(&w->val, (uint32_t)month);
    buf_put_u8(&w->val, (uint8_t)old->present);
    put_value(&w->val, &old->v);
    put_value(&w->val, &u->value);
    MDB_val k = val_of(&w->key2);
    MDB_val d = val_of(&w->val);
    int mrc = mdb_put(w->txn, w->s->audit, &k, &d, MDB_APPEND);
    if (mrc != MDB_SUCCESS) {
        return from_mdb(mrc);
    }
    key_cell(&w->key2, u->indicator, u->region, month);
    buf_put_u64(&w->key2, id);
    k = val_of(&w->key2);
    d.mv_size = 0;
    d.mv_data = NULL;
    return from_mdb(mdb_put(w->txn, w->s->cellhist, &k, &d, 0));
}

static int apply_update(wctx_t *w, const store_batch_t *b,
                        const update_t *u, int ii, int ri,
                        int32_t month)
{
    store_t *s = w->s;
    const indicator_t *ind = catalog_indicator(s->cat, (size_t)ii);
    int32_t ystart = month - month % 12;
    int mi = (int)(month - ystart);
    slot_t old_slots[12];
    slot_t new_slots[12];
    int rc = load_year(w->txn, s->facts, ind->code, u->region, ystart,
                       old_slots, &w->key);
    if (rc != ERR_OK) {
        return rc;
    }
    uint64_t id = w->next_audit++;
    rc = put_audit(w, b, u, month, &old_slots[mi], id);
    if (rc != ERR_OK) {
        return rc;
    }
    key_cell(&w->key, ind->code, u->region, month);
    buf_reset(&w->val);
    buf_put_u8(&w->val, REC_V1);
    put_value(&w->val, &u->value);
    buf_put_i64(&w->val, b->received_at);
    buf_put_u64(&w->val, id);
    MDB_val k = val_of(&w->key);
    MDB_val d = val_of(&w->val);
    rc = from_mdb(mdb_put(w->txn, s->facts, &k, &d, 0));
    if (rc != ERR_OK) {
        return rc;
    }
    memcpy(new_slots, old_slots, sizeof new_slots);
    new_slots[mi].present = 1;
    new_slots[mi].v = u->value;
    rc = agg_update(s, w->txn, s->agg, &w->key, &w->val, ind, ri, ystart, mi,
                    old_slots, new_slots);
    if (rc != ERR_OK) {
        return rc;
    }
    return viol_after_write(s, w->txn, s->viol, &w->key, &w->val, ii,
                            u->region, month);
}

static int put_rejection(wctx_t *w, const store_batch_t *b,
                         const update_t *u, enum update_reason why,
                         const char *msg)
{
    key_u64(&w->key, w->next_rej++);
    buf_reset(&w->val);
    buf_put_u8(&w->val, REC_V1);
    buf_put_i64(&w->val, b->received_at);
    buf_put_str(&w->val, b->reporter);
    buf_put_u64(&w->val, u->seq);
    /* The code came off the wire: keep it bounded and NUL-free. */
    char code[CATALOG_CODE_MAX + 2];
    snprintf(code, sizeof code, "%s", u->indicator);
    buf_put_str(&w->val, code);
    buf_put_u32(&w->val, u->region);
    buf_put_u32(&w->val, u->yyyymm);
    put_value(&w->val, &u->value);
    buf_put_u8(&w->val, (uint8_t)why);
    buf_put_str(&w->val, msg);
    MDB_val k = val_of(&w->key);
    MDB_val d = val_of(&w->val);
    return from_mdb(mdb_put(w->txn, w->s->rejects, &k, &d, MDB_APPEND));
}

static int valid_reporter(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > STORE_REPORTER_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c < 0x20 || c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static int get_reporter(MDB_txn *txn, MDB_dbi dbi, buf_t *kb, const char *id,
                        reporter_rec_t *p, int *found)
{
    key_reporter(kb, id);
    MDB_val k = val_of(kb);
    MDB_val d;
    memset(p, 0, sizeof *p);
    p->next_seq = 1;
    *found = 0;
    int mrc = mdb_get(txn, dbi, &k, &d);
    if (mrc == MDB_NOTFOUND) {
        return ERR_OK;
    }
    if (mrc != MDB_SUCCESS) {
        return from_mdb(mrc);
    }
    *found = 1;
    return parse_reporter(&d, p);
}

static int put_reporter(wctx_t *w, const char *id, const reporter_rec_t *p)
{
    key_reporter(&w->key, id);
    buf_reset(&w->val);
    buf_put_u8(&w->val, REC_V1);
    buf_put_u64(&w->val, p->next_seq);
    buf_put_i64(&w->val, p->first_seen);
    buf_put_i64(&w->val, p->last_contact);
    buf_put_u64(&w->val, p->applied);
    buf_put_u64(&w->val, p->rejected);
    MDB_val k = val_of(&w->key);
    MDB_val d = val_of(&w->val);
    return from_mdb(mdb_put(w->txn, w->s->reporters, &k, &d, 0));
}

static int apply_batch(wctx_t *w, const store_batch_t *b, store_result_t *res)
{
    memset(res, 0, sizeof *res);
    if (b->reporter == NULL || !valid_reporter(b->reporter)) {
        res->status = STORE_BATCH_MALFORMED;
        return ERR_OK;
    }
    reporter_rec_t rep;
    int found = 0;
    int rc = get_reporter(w->txn, w->s->reporters, &w->key, b->reporter, &rep,
                          &found);
    if (rc != ERR_OK) {
        return rc;
    }
    if (!found) {
        rep.first_seen = b->received_at;
    }
    res->next_seq = rep.next_seq;
    for (size_t i = 0; i < b->n_updates; i++) {
        const update_t *u = &b->updates[i];
        if (u->seq != b->updates[0].seq + i || u->seq == 0 ||
            u->indicator == NULL) {
            res->status = STORE_BATCH_MALFORMED;
            return ERR_OK;
        }
    }
    rep.last_contact = b->received_at;
    if (b->n_updates > 0 && b->updates[0].seq > rep.next_seq) {
        res->status = STORE_BATCH_GAP;
        return put_reporter(w, b->reporter, &rep);
    }
    for (size_t i = 0; i < b->n_updates; i++) {
        const update_t *u = &b->updates[i];
        if (u->seq < rep.next_seq) {
            res->replayed++;
            continue;
        }
        update_cell_t cell;
        char msg[STORE_MSG_LEN];
        enum update_reason why = validate(w->s, b, u, &cell, msg);
        if (why == UPDATE_OK) {
            rc = apply_update(w, b, u, cell.indicator, cell.region,
                              cell.month);
            res->applied++;
            rep.applied++;
        } else {
            rc = put_rejection(w, b, u, why, msg);
            res->rejections = xreallocarray(res->rejections,
                                            res->rejected + 1,
                                            sizeof *res->rejections);
            store_rejection_t *rj = &res->rejections[res->rejected++];
            rj->seq = u->seq;
            rj->reason = why;
            memcpy(rj->message, msg, sizeof rj->message);
            rep.rejected++;
        }
        if (rc != ERR_OK) {
            return rc;
        }
        rep.next_seq = u->seq + 1;
    }
    res->next_seq = rep.next_seq;
    return put_reporter(w, b->reporter, &rep);
}

/* Next free id of an append-only table keyed by V1 id:u64. */
static int next_id(MDB_txn *txn, MDB_dbi dbi, uint64_t *out)
{
    return lmdbh_next_id(txn, dbi, KEY_V1, out);
}

static void results_clear(store_result_t *results, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        store_result_fini(&results[i]);
    }
}

/* Double the map (invariant 6). @return ERR_OK or ERR_FULL at map_max. */
static int grow_map(store_t *s, char err[ERR_LEN])
{
    if (s->map_size >= s->map_max) {
        snprintf(err, ERR_LEN,
                 "store full: the LMDB map is at its limit of %zu MiB",
                 s->map_max >> 20);
        return ERR_FULL;
    }
    size_t next = s->map_size * 2;
    if (next > s->map_max || next < s->map_size) {
        next = s->map_max;
    }
    pthread_rwlock_wrlock(&s->txn_lock);
    int mrc = mdb_env_set_mapsize(s->env, next);
    pthread_rwlock_unlock(&s->txn_lock);
    if (mrc != MDB_SUCCESS) {
        return mdb_fail(mrc, "cannot grow the LMDB map", err);
    }
    s->map_size = next;
    return ERR_OK;
}

int store_apply(store_t *self, const store_batch_t *batches, size_t n,
                store_result_t *results, char err[ERR_LEN])
{
    int rc = ERR_OK;
    wctx_t w;
    memset(&w, 0, sizeof w);
    w.s = self;
    buf_init(&w.key);
    buf_init(&w.val);
    buf_init(&w.key2);
    memset(results, 0, n * sizeof *results);
    if (self->readonly) {
        snprintf(err, ERR_LEN, "store is open read-only");
        rc = ERR_INVAL;
        goto out;
    }
    for (;;) {
        rc = txn_begin(self, 0, &w.txn, err);
        if (rc != ERR_OK) {
            break;
        }
        rc = next_id(w.txn, self->audit, &w.next_audit);
        if (rc == ERR_OK) {
            rc = next_id(w.txn, self->rejects, &w.next_rej);
        }
        for (size_t i = 0; rc == ERR_OK && i < n; i++) {
            rc = apply_batch(&w, &batches[i], &results[i]);
        }
        if (rc == ERR_OK) {
            int mrc = txn_commit(self, &w.txn);
            rc = from_mdb(mrc);
            if (rc != ERR_OK && rc != ERR_FULL) {
                mdb_fail(mrc, "cannot commit", err);
            }
        } else {
            txn_abort(self, &w.txn);
            if (rc != ERR_FULL) {
                snprintf(err, ERR_LEN, "cannot apply batch: %s",
                         err_str(rc));
            }
        }
        if (rc != ERR_FULL) {
            break;
        }
        results_clear(results, n);
        rc = grow_map(self, err);
        if (rc != ERR_OK) {
            break;
        }
    }
out:
    if (rc != ERR_OK) {
        results_clear(results, n);
    }
    buf_fini(&w.key);
    buf_fini(&w.val);
    buf_fini(&w.key2);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* queries                                                                 */

static int lookup(const store_t *s, const char *indicator, uint32_t region,
                  int *ii, int *ri, char err[ERR_LEN])
{
    *ii = catalog_indicator_find(s->cat, indicator);
    if (*ii < 0) {
        snprintf(err, ERR_LEN, "unknown indicator '%.64s'", indicator);
        return ERR_NOTFOUND;
    }
    *ri = catalog_region_find(s->cat, region);
    if (*ri < 0) {
        snprintf(err, ERR_LEN, "unknown region %u", region);
        return ERR_NOTFOUND;
    }
    return ERR_OK;
}

/* Cursor over the facts of (code, region) with months in [from, to]. */
typedef struct fact_iter {
    MDB_cursor *cur;
    buf_t key;
    size_t prefix;
    int32_t to; /* the bound to stop at: from when backwards */
    int started;
    int backwards;
} fact_iter_t;

static int fit_open(fact_iter_t *it, MDB_txn *txn, MDB_dbi facts,
                    const char *code, uint32_t region, int32_t from,
                    int32_t to, int backwards)
{
    memset(it, 0, sizeof *it);
    buf_init(&it->key);
    it->backwards = backwards;
    /* Forwards: seek the first month >= from, stop after `to`. Backwards:
     * seek past `to`, step back, stop before `from`. */
    key_cell(&it->key, code, region, backwards ? to + 1 : from);
    it->prefix = it->key.len - 4;
    it->to = backwards ? from : to;
    return from_mdb(mdb_cursor_open(txn, facts, &it->cur));
}

static void fit_close(fact_iter_t *it)
{
    if (it->cur != NULL) {
        mdb_cursor_close(it->cur);
    }
    buf_fini(&it->key);
}

/* Next fact of the iteration: 1 with *month and *f set, 0 at the end. */
static int fit_next(fact_iter_t *it, int32_t *month, fact_rec_t *f, int *rc)
{
    MDB_val k;
    MDB_val d;
    int mrc;
    *rc = ERR_OK;
    if (!it->started) {
        it->started = 1;
        k = val_of(&it->key);
        mrc = mdb_cursor_get(it->cur, &k, &d, MDB_SET_RANGE);
        if (it->backwards) {
            mrc = mdb_cursor_get(it->cur, &k, &d,
                                 mrc == MDB_SUCCESS ? MDB_PREV : MDB_LAST);
        }
    } else {
        mrc = mdb_cursor_get(it->cur, &k, &d,
                             it->backwards ? MDB_PREV : MDB_NEXT);
    }
    if (mrc == MDB_NOTFOUND) {
        return 0;
    }
    if (mrc != MDB_SUCCESS) {
        *rc = from_mdb(mrc);
        return 0;
    }
    if (k.mv_size != it->key.len ||
        memcmp(k.mv_data, it->key.data, it->prefix) != 0) {
        return 0;
    }
    const char *c;
    uint32_t r;
    if (parse_cell_key(&k, &c, &r, month, 0) != ERR_OK ||
        parse_fact(&d, f) != ERR_OK) {
        *rc = ERR_CORRUPT;
        return 0;
    }
    if (it->backwards ? *month < it->to : *month > it->to) {
        return 0;
    }
    return 1;
}

/* Own contribution of one region over [from, to], straight from facts. */
static int own_contrib(store_t *s, MDB_txn *txn, const indicator_t *ind,
                       uint32_t region, int32_t from, int32_t to,
                       contrib_t *c)
{
    fact_iter_t it;
    int rc = fit_open(&it, txn, s->facts, ind->code, region, from, to,
                      ind->over_time == OVER_LAST);
    int32_t m;
    fact_rec_t f;
    memset(c, 0, sizeof *c);
    while (rc == ERR_OK && fit_next(&it, &m, &f, &rc)) {
        c->num += f.v.num;
        c->den += f.v.den;
        c->present = 1;
        if (ind->over_time == OVER_LAST) {
            break; /* the newest month inside the period */
        }
    }
    fit_close(&it);
    return rc;
}

/* Whether a region has any fact in [from, to]. */
static int has_fact(store_t *s, MDB_txn *txn, const char *code,
                    uint32_t region, int32_t from, int32_t to, int *yes)
{
    fact_iter_t it;
    int rc = fit_open(&it, txn, s->facts, code, region, from, to, 0);
    int32_t m;
    fact_rec_t f;
    *yes = rc == ERR_OK && fit_next(&it, &m, &f, &rc);
    fit_close(&it);
    return rc;
}

static int get_agg(store_t *s, MDB_txn *txn, buf_t *kb, enum agg_kind k,
                   const char *code, uint32_t region, int32_t start,
                   agg_rec_t *a)
{
    key_agg(kb, k, code, region, start);
    MDB_val kv = val_of(kb);
    MDB_val d;
    memset(a, 0, sizeof *a);
    int mrc = mdb_get(txn, s->agg, &kv, &d);
    if (mrc == MDB_NOTFOUND) {
        return ERR_OK;
    }
    if (mrc != MDB_SUCCESS) {
        return from_mdb(mrc);
    }
    return parse_agg(&d, a);
}

/* Walk the subtree of region index @p ri, adding each region's own
 * contribution over a multi-year range (stocks), or only counting the
 * regions that reported (flows, whose values come from year aggregates). */
static int walk_range(store_t *s, MDB_txn *txn, const indicator_t *ind,
                      int ri, int32_t from, int32_t to, int values,
                      store_total_t *t)
{
    const region_t *r = catalog_region(s->cat, (size_t)ri);
    int rc = ERR_OK;
    if (values) {
        contrib_t c;
        rc = own_contrib(s, txn, ind, r->code, from, to, &c);
        t->num += c.num;
        t->den += c.den;
        t->reporting += (uint32_t)c.present;
    } else {
        int yes = 0;
        rc = has_fact(s, txn, ind->code, r->code, from, to, &yes);
        t->reporting += (uint32_t)yes;
    }
    for (size_t i = 0; rc == ERR_OK && i < r->n_children; i++) {
        rc = walk_range(s, txn, ind, r->children[i], from, to, values, t);
    }
    return rc;
}

static int total_in(store_t *s, MDB_txn *txn, int ii, int ri,
                    const period_t *p, store_total_t *t)
{
    const indicator_t *ind = catalog_indicator(s->cat, (size_t)ii);
    const region_t *r = catalog_region(s->cat, (size_t)ri);
    buf_t kb;
    buf_init(&kb);
    agg_rec_t a;
    int rc = ERR_OK;
    memset(t, 0, sizeof *t);
    t->is_ratio = ind->kind == IND_RATIO;
    t->expected = (uint32_t)r->subtree_size;

    enum agg_kind k = AGG_YEAR;
    int single = 1;
    if (p->first == p->last) {
        k = AGG_MONTH;
    } else if (p->last - p->first == 2 && p->first % 3 == 0) {
        k = AGG_QUARTER;
    } else if (p->last - p->first == 11 && p->first % 12 == 0) {
        k = AGG_YEAR;
    } else {
        single = 0;
    }
    if (single) {
        rc = get_agg(s, txn, &kb, k, ind->code, r->code, p->first, &a);
        t->num = a.num;
        t->den = a.den;
        t->reporting = a.reporting;
    } else if (ind->over_time == OVER_SUM) {
        /* Cover the range with the fewest aggregates: whole years, then
         * whole quarters, then months at the ragged ends. */
        for (int32_t m = p->first; rc == ERR_OK && m <= p->last;) {
            enum agg_kind part = AGG_MONTH;
            int32_t step = 1;
            if (m % 12 == 0 && m + 11 <= p->last) {
                part = AGG_YEAR;
                step = 12;
            } else if (m % 3 == 0 && m + 2 <= p->last) {
                part = AGG_QUARTER;
                step = 3;
            }
            rc = get_agg(s, txn, &kb, part, ind->code, r->code, m, &a);
            t->num += a.num;
            t->den += a.den;
            m += step;
        }
        if (rc == ERR_OK) {
            rc = walk_range(s, txn, ind, ri, p->first, p->last, 0, t);
        }
    } else {
        rc = walk_range(s, txn, ind, ri, p->first, p->last, 1, t);
    }
    buf_fini(&kb);
    return rc;
}

int store_total(store_t *self, const char *indicator, uint32_t region,
                const period_t *p, store_total_t *out, char err[ERR_LEN])
{
    int ii;
    int ri;
    MDB_txn *txn = NULL;
    memset(out, 0, sizeof *out);
    int rc = lookup(self, indicator, region, &ii, &ri, err);
    if (rc == ERR_OK) {
        rc = txn_begin(self, MDB_RDONLY, &txn, err);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    rc = total_in(self, txn, ii, ri, p, out);
    txn_abort(self, &txn);
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "total: %s", err_str(rc));
    }
    return rc;
}

static int own_in(store_t *s, MDB_txn *txn, int ii, uint32_t region,
                  const period_t *p, store_total_t *out)
{
    const indicator_t *ind = catalog_indicator(s->cat, (size_t)ii);
    contrib_t c;
    memset(out, 0, sizeof *out);
    int rc = own_contrib(s, txn, ind, region, p->first, p->last, &c);
    out->is_ratio = ind->kind == IND_RATIO;
    out->num = c.num;
    out->den = c.den;
    out->reporting = (uint32_t)c.present;
    out->expected = 1;
    return rc;
}

int store_own(store_t *self, const char *indicator, uint32_t region,
              const period_t *p, store_total_t *out, char err[ERR_LEN])
{
    int ii;
    int ri;
    MDB_txn *txn = NULL;
    memset(out, 0, sizeof *out);
    int rc = lookup(self, indicator, region, &ii, &ri, err);
    if (rc == ERR_OK) {
        rc = txn_begin(self, MDB_RDONLY, &txn, err);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    rc = own_in(self, txn, ii, region, p, out);
    txn_abort(self, &txn);
    if (rc != ERR_OK) {
        memset(out, 0, sizeof *out);
        snprintf(err, ERR_LEN, "own: %s", err_str(rc));
    }
    return rc;
}

int store_breakdown(store_t *self, const char *indicator, uint32_t region,
                    const period_t *p, store_total_t *own,
                    store_total_t **children, size_t *n, char err[ERR_LEN])
{
    int ii;
    int ri;
    MDB_txn *txn = NULL;
    memset(own, 0, sizeof *own);
    *children = NULL;
    *n = 0;
    int rc = lookup(self, indicator, region, &ii, &ri, err);
    if (rc == ERR_OK) {
        rc = txn_begin(self, MDB_RDONLY, &txn, err);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    const region_t *r = catalog_region(self->cat, (size_t)ri);
    store_total_t *kids = NULL;
    if (r->n_children > 0) {
        kids = xcalloc(r->n_children, sizeof *kids);
    }
    rc = own_in(self, txn, ii, region, p, own);
    for (size_t i = 0; rc == ERR_OK && i < r->n_children; i++) {
        rc = total_in(self, txn, ii, r->children[i], p, &kids[i]);
    }
    txn_abort(self, &txn);
    if (rc != ERR_OK) {
        free(kids);
        memset(own, 0, sizeof *own);
        snprintf(err, ERR_LEN, "breakdown: %s", err_str(rc));
        return rc;
    }
    *children = kids;
    *n = r->n_children;
    return ERR_OK;
}

int store_series(store_t *self, const char *indicator, uint32_t region,
                 const period_t *range, enum period_kind by,
                 store_point_t **points, size_t *n, char err[ERR_LEN])
{
    int ii;
    int ri;
    MDB_txn *txn = NULL;
    *points = NULL;
    *n = 0;
    int rc = lookup(self, indicator, region, &ii, &ri, err);
    if (rc != ERR_OK) {
        return rc;
    }
    if (by == PERIOD_RANGE) {
        snprintf(err, ERR_LEN, "a series is by month, quarter or year");
        return ERR_INVAL;
    }
    period_t first = period_of_month(by, range->first);
    if (first.first < range->first) {
        snprintf(err, ERR_LEN, "cannot split the period into %ss",
                 by == PERIOD_QUARTER ? "quarter" : "year");
        return ERR_INVAL;
    }
    int32_t step = by == PERIOD_MONTH ? 1 : by == PERIOD_QUARTER ? 3 : 12;
    size_t count = (size_t)((range->last - range->first + 1) / step);
    if (count > MAX_SERIES_POINTS) {
        snprintf(err, ERR_LEN, "series too long: %zu points (limit %d)",
                 count, MAX_SERIES_POINTS);
        return ERR_INVAL;
    }
    rc = txn_begin(self, MDB_RDONLY, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    store_point_t *pts = xcalloc(count, sizeof *pts);
    for (size_t i = 0; rc == ERR_OK && i < count; i++) {
        pts[i].period =
            period_of_month(by, range->first + (int32_t)i * step);
        rc = total_in(self, txn, ii, ri, &pts[i].period, &pts[i].total);
    }
    txn_abort(self, &txn);
    if (rc != ERR_OK) {
        free(pts);
        snprintf(err, ERR_LEN, "series: %s", err_str(rc));
        return rc;
    }
    *points = pts;
    *n = count;
    return ERR_OK;
}

int store_get(store_t *self, const char *indicator, uint32_t region,
              int32_t month, value_t *out, char err[ERR_LEN])
{
    int ii;
    int ri;
    MDB_txn *txn = NULL;
    int rc = lookup(self, indicator, region, &ii, &ri, err);
    if (rc == ERR_OK) {
        rc = txn_begin(self, MDB_RDONLY, &txn, err);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_init(&kb);
    fact_rec_t f;
    int found = 0;
    rc = get_fact(txn, self->facts, &kb,
                  catalog_indicator(self->cat, (size_t)ii)->code, region,
                  month, &f, &found);
    buf_fini(&kb);
    txn_abort(self, &txn);
    if (rc == ERR_OK && !found) {
        snprintf(err, ERR_LEN, "no value for %s in region %u", indicator,
                 region);
        return ERR_NOTFOUND;
    }
    if (rc == ERR_OK) {
        *out = f.v;
    }
    return rc;
}

static int parse_audit(const MDB_val *k, const MDB_val *d,
                       store_revision_t *rev)
{
    buf_reader_t r;
    buf_reader_init(&r, k->mv_data, k->mv_size);
    uint8_t kv = buf_get_u8(&r);
    rev->audit_id = buf_get_u64(&r);
    if (kv != KEY_V1 || !buf_done(&r)) {
        return ERR_CORRUPT;
    }
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != REC_V1) {
        return ERR_CORRUPT;
    }
    rev->received_at = buf_get_i64(&r);
    rev->reporter = buf_get_str(&r);
    rev->seq = buf_get_u64(&r);
    rev->indicator = buf_get_str(&r);
    rev->region = buf_get_u32(&r);
    rev->month = (int32_t)buf_get_u32(&r);
    rev->has_old = buf_get_u8(&r) != 0;
    rev->old_value = get_value(&r);
    rev->new_value = get_value(&r);
    return buf_done(&r) ? ERR_OK : ERR_CORRUPT;
}

int store_history(store_t *self, const char *indicator, uint32_t region,
                  int32_t month, store_revision_fn fn, void *arg,
                  char err[ERR_LEN])
{
    int ii;
    int ri;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int rc = lookup(self, indicator, region, &ii, &ri, err);
    if (rc == ERR_OK) {
        rc = txn_begin(self, MDB_RDONLY, &txn, err);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_init(&kb);
    key_cell(&kb, catalog_indicator(self->cat, (size_t)ii)->code, region,
             month);
    size_t prefix = kb.len;
    rc = from_mdb(mdb_cursor_open(txn, self->cellhist, &cur));
    MDB_val k = val_of(&kb);
    MDB_val d;
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE)
                           : MDB_NOTFOUND;
    while (rc == ERR_OK && mrc == MDB_SUCCESS && k.mv_size == prefix + 8 &&
           memcmp(k.mv_data, kb.data, prefix) == 0) {
        buf_reader_t r;
        buf_reader_init(&r, k.mv_data, k.mv_size);
        for (size_t i = 0; i < prefix; i++) {
            (void)buf_get_u8(&r);
        }
        buf_t ak;
        buf_init(&ak);
        key_u64(&ak, buf_get_u64(&r));
        MDB_val akv = val_of(&ak);
        MDB_val ad;
        mrc = mdb_get(txn, self->audit, &akv, &ad);
        store_revision_t rev;
        if (mrc != MDB_SUCCESS) {
            rc = mrc == MDB_NOTFOUND ? ERR_CORRUPT : from_mdb(mrc);
        } else {
            rc = parse_audit(&akv, &ad, &rev);
        }
        buf_fini(&ak);
        if (rc == ERR_OK && fn(&rev, arg) != 0) {
            break;
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = from_mdb(mrc);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    buf_fini(&kb);
    txn_abort(self, &txn);
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "history: %s", err_str(rc));
    }
    return rc;
}

/* Iterate a whole table from key @p start on; @p each parses and calls
 * back, returning ERR_OK to go on, 1 to stop, < 0 on error. */
typedef int (*scan_fn)(const MDB_val *k, const MDB_val *d, void *ctx);

static int scan(store_t *s, MDB_dbi dbi, const buf_t *start, scan_fn each,
                void *ctx, char err[ERR_LEN])
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int rc = txn_begin(s, MDB_RDONLY, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    rc = from_mdb(mdb_cursor_open(txn, dbi, &cur));
    MDB_val k = {0, NULL};
    MDB_val d;
    int mrc = MDB_NOTFOUND;
    if (rc == ERR_OK) {
        if (start != NULL) {
            k = val_of(start);
        }
        mrc = mdb_cursor_get(cur, &k, &d,
                             start != NULL ? MDB_SET_RANGE : MDB_FIRST);
    }
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        rc = each(&k, &d, ctx);
        if (rc != ERR_OK) {
            break;
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    if (rc == 1) {
        rc = ERR_OK;
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = from_mdb(mrc);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    txn_abort(s, &txn);
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "scan: %s", err_str(rc));
    }
    return rc;
}

typedef struct audit_ctx {
    store_revision_fn fn;
    void *arg;
} audit_ctx_t;

static int each_audit(const MDB_val *k, const MDB_val *d, void *ctx)
{
    audit_ctx_t *c = ctx;
    store_revision_t rev;
    int rc = parse_audit(k, d, &rev);
    if (rc != ERR_OK) {
        return rc;
    }
    return c->fn(&rev, c->arg) != 0 ? 1 : ERR_OK;
}

int store_audit(store_t *self, uint64_t from_id, store_revision_fn fn,
                void *arg, char err[ERR_LEN])
{
    audit_ctx_t c = {fn, arg};
    buf_t kb;
    buf_init(&kb);
    key_u64(&kb, from_id);
    int rc = scan(self, self->audit, &kb, each_audit, &c, err);
    buf_fini(&kb);
    return rc;
}

typedef struct rej_ctx {
    int64_t since;
    store_rejected_fn fn;
    void *arg;
} rej_ctx_t;

static int each_rejection(const MDB_val *k, const MDB_val *d, void *ctx)
{
    rej_ctx_t *c = ctx;
    store_rejected_t rj;
    buf_reader_t r;
    buf_reader_init(&r, k->mv_data, k->mv_size);
    uint8_t kv = buf_get_u8(&r);
    rj.id = buf_get_u64(&r);
    if (kv != KEY_V1 || !buf_done(&r)) {
        return ERR_CORRUPT;
    }
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != REC_V1) {
        return ERR_CORRUPT;
    }
    rj.received_at = buf_get_i64(&r);
    rj.reporter = buf_get_str(&r);
    rj.seq = buf_get_u64(&r);
    rj.indicator = buf_get_str(&r);
    rj.region = buf_get_u32(&r);
    rj.yyyymm = buf_get_u32(&r);
    rj.value = get_value(&r);
    uint8_t reason = buf_get_u8(&r);
    rj.reason = (enum update_reason)reason;
    rj.message = buf_get_str(&r);
    if (!buf_done(&r) || reason == UPDATE_OK || reason > UPDATE_REASON_MAX) {
        return ERR_CORRUPT;
    }
    if (rj.received_at < c->since) {
        return ERR_OK;
    }
    return c->fn(&rj, c->arg) != 0 ? 1 : ERR_OK;
}

int store_rejections(store_t *self, int64_t since, store_rejected_fn fn,
                     void *arg, char err[ERR_LEN])
{
    rej_ctx_t c = {since, fn, arg};
    return scan(self, self->rejects, NULL, each_rejection, &c, err);
}

typedef struct rep_ctx {
    store_reporter_fn fn;
    void *arg;
} rep_ctx_t;

static int each_reporter(const MDB_val *k, const MDB_val *d, void *ctx)
{
    rep_ctx_t *c = ctx;
    reporter_rec_t p;
    char id[STORE_REPORTER_MAX + 1];
    if (k->mv_size < 2 || k->mv_size > STORE_REPORTER_MAX + 1 ||
        parse_reporter(d, &p) != ERR_OK) {
        return ERR_CORRUPT;
    }
    buf_reader_t r;
    buf_reader_init(&r, k->mv_data, k->mv_size);
    if (buf_get_u8(&r) != KEY_V1) {
        return ERR_CORRUPT;
    }
    size_t n = k->mv_size - 1;
    for (size_t i = 0; i < n; i++) {
        id[i] = (char)buf_get_u8(&r);
    }
    id[n] = '\0';
    store_reporter_t rep = {id, p.next_seq, p.first_seen, p.last_contact,
                            p.applied, p.rejected};
    return c->fn(&rep, c->arg) != 0 ? 1 : ERR_OK;
}

int store_reporters(store_t *self, store_reporter_fn fn, void *arg,
                    char err[ERR_LEN])
{
    rep_ctx_t c = {fn, arg};
    return scan(self, self->reporters, NULL, each_reporter, &c, err);
}

int store_next_seq(store_t *self, const char *reporter, uint64_t *next,
                   char err[ERR_LEN])
{
    MDB_txn *txn = NULL;
    *next = 1;
    if (!valid_reporter(reporter)) {
        snprintf(err, ERR_LEN, "invalid reporter id");
        return ERR_INVAL;
    }
    int rc = txn_begin(self, MDB_RDONLY, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_init(&kb);
    reporter_rec_t p;
    int found = 0;
    rc = get_reporter(txn, self->reporters, &kb, reporter, &p, &found);
    buf_fini(&kb);
    txn_abort(self, &txn);
    if (rc == ERR_OK) {
        *next = p.next_seq;
    } else {
        snprintf(err, ERR_LEN, "reporter state: %s", err_str(rc));
    }
    return rc;
}

typedef struct viol_ctx {
    store_t *s;
    const period_t *p;
    int within;
    store_violation_fn fn;
    void *arg;
} viol_ctx_t;

static int each_violation(const MDB_val *k, const MDB_val *d, void *ctx)
{
    viol_ctx_t *c = ctx;
    store_violation_t v;
    const char *code;
    if (parse_cell_key(k, &code, &v.region, &v.month, 0) != ERR_OK) {
        return ERR_CORRUPT;
    }
    buf_reader_t r;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != REC_V1) {
        return ERR_CORRUPT;
    }
    (void)buf_get_str(&r);
    v.value = buf_get_i64(&r);
    v.parent_value = buf_get_i64(&r);
    if (!buf_done(&r)) {
        return ERR_CORRUPT;
    }
    int ii = catalog_indicator_find(c->s->cat, code);
    int ri = catalog_region_find(c->s->cat, v.region);
    if (ii < 0 || ri < 0) {
        return ERR_OK; /* left over from another catalog */
    }
    const indicator_t *ind = catalog_indicator(c->s->cat, (size_t)ii);
    if (ind->part_of < 0) {
        return ERR_OK;
    }
    if (c->p != NULL && (v.month < c->p->first || v.month > c->p->last)) {
        return ERR_OK;
    }
    if (c->within >= 0 && !catalog_region_within(c->s->cat, ri, c->within)) {
        return ERR_OK;
    }
    v.indicator = ind->code;
    v.parent = catalog_indicator(c->s->cat, (size_t)ind->part_of)->code;
    return c->fn(&v, c->arg) != 0 ? 1 : ERR_OK;
}

int store_violations(store_t *self, const period_t *p, uint32_t region,
                     store_violation_fn fn, void *arg, char err[ERR_LEN])
{
    viol_ctx_t c = {self, p, -1, fn, arg};
    if (region != 0) {
        c.within = catalog_region_find(self->cat, region);
        if (c.within < 0) {
            snprintf(err, ERR_LEN, "unknown region %u", region);
            return ERR_NOTFOUND;
        }
    }
    return scan(self, self->viol, NULL, each_violation, &c, err);
}

typedef struct facts_ctx {
    int32_t from;
    int32_t to;
    store_fact_fn fn;
    void *arg;
} facts_ctx_t;

static int each_fact(const MDB_val *k, const MDB_val *d, void *ctx)
{
    facts_ctx_t *c = ctx;
    store_fact_t f;
    fact_rec_t rec;
    if (parse_cell_key(k, &f.indicator, &f.region, &f.month, 0) != ERR_OK ||
        parse_fact(d, &rec) != ERR_OK) {
        return ERR_CORRUPT;
    }
    if (f.month < c->from || f.month > c->to) {
        return ERR_OK;
    }
    f.value = rec.v;
    f.received_at = rec.received_at;
    return c->fn(&f, c->arg) != 0 ? 1 : ERR_OK;
}

int store_facts(store_t *self, int32_t from, int32_t to, store_fact_fn fn,
                void *arg, char err[ERR_LEN])
{
    facts_ctx_t c = {from, to, fn, arg};
    return scan(self, self->facts, NULL, each_fact, &c, err);
}

/* ---------------------------------------------------------------------- */
/* rebuild and verify                                                      */

/* Recompute aggregates and violations from the facts into @p agg and
 * @p viol, which must be empty. Facts of indicators or regions no longer
 * in the catalog are kept but not aggregated. */
static int rebuild_derived(store_t *s, MDB_txn *txn, MDB_dbi agg,
                           MDB_dbi viol, char err[ERR_LEN])
{
    MDB_cursor *cur = NULL;
    int rc = from_mdb(mdb_drop(txn, agg, 0));
    if (rc == ERR_OK) {
        rc = from_mdb(mdb_drop(txn, viol, 0));
    }
    if (rc == ERR_OK) {
        rc = from_mdb(mdb_cursor_open(txn, s->facts, &cur));
    }
    buf_t kb;
    buf_t vb;
    buf_t kb2;
    buf_init(&kb);
    buf_init(&vb);
    buf_init(&kb2);
    MDB_val k;
    MDB_val d;
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &k, &d, MDB_FIRST)
                           : MDB_NOTFOUND;
    /* Facts are ordered by (code, region, month): gather one (code,
     * region, year) group at a time, then add its contributions. */
    char code[CATALOG_CODE_MAX + 1] = "";
    uint32_t region = 0;
    int32_t ystart = -1;
    slot_t slots[12];
    memset(slots, 0, sizeof slots);
    for (;;) {
        const char *c = "";
        uint32_t r = 0;
        int32_t m = 0;
        fact_rec_t f;
        int end = mrc != MDB_SUCCESS;
        if (!end && (parse_cell_key(&k, &c, &r, &m, 0) != ERR_OK ||
                     parse_fact(&d, &f) != ERR_OK)) {
            rc = ERR_CORRUPT;
            break;
        }
        if (ystart >= 0 && (end || strcmp(c, code) != 0 || r != region ||
                            m - m % 12 != ystart)) {
            int ii = catalog_indicator_find(s->cat, code);
            int ri = catalog_region_find(s->cat, region);
            for (int mi = 0; rc == ERR_OK && ii >= 0 && ri >= 0 && mi < 12;
                 mi++) {
                if (!slots[mi].present) {
                    continue;
                }
                /* Month by month, as if the facts arrived in order: the
                 * result is the same as any other order (invariant 2). */
                slot_t before[12];
                memcpy(before, slots, sizeof before);
                for (int j = mi; j < 12; j++) {
                    before[j].present = 0;
                }
                slot_t after[12];
                memcpy(after, before, sizeof after);
                after[mi] = slots[mi];
                rc = agg_update(s, txn, agg, &kb, &vb,
                                catalog_indicator(s->cat, (size_t)ii), ri,
                                ystart, mi, before, after);
                if (rc == ERR_OK) {
                    rc = viol_after_write(s, txn, viol, &kb2, &vb, ii,
                                          region, ystart + mi);
                }
            }
            memset(slots, 0, sizeof slots);
            ystart = -1;
        }
        if (end || rc != ERR_OK) {
            break;
        }
        if (ystart < 0) {
            snprintf(code, sizeof code, "%s", c);
            region = r;
            ystart = m - m % 12;
        }
        slots[m - ystart].present = 1;
        slots[m - ystart].v = f.v;
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = from_mdb(mrc);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    buf_fini(&kb);
    buf_fini(&vb);
    buf_fini(&kb2);
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "rebuilding aggregates: %s", err_str(rc));
    }
    return rc;
}

/* Compare two tables record by record. */
static int same_table(MDB_txn *txn, MDB_dbi a, MDB_dbi b, const char *what,
                      char err[ERR_LEN])
{
    MDB_cursor *ca = NULL;
    MDB_cursor *cb = NULL;
    int rc = from_mdb(mdb_cursor_open(txn, a, &ca));
    if (rc == ERR_OK) {
        rc = from_mdb(mdb_cursor_open(txn, b, &cb));
    }
    MDB_val ka, da, kb, db;
    int ra = rc == ERR_OK ? mdb_cursor_get(ca, &ka, &da, MDB_FIRST) : 1;
    int rb = rc == ERR_OK ? mdb_cursor_get(cb, &kb, &db, MDB_FIRST) : 1;
    long n = 0;
    while (rc == ERR_OK && (ra == MDB_SUCCESS || rb == MDB_SUCCESS)) {
        if (ra != MDB_SUCCESS || rb != MDB_SUCCESS ||
            ka.mv_size != kb.mv_size || da.mv_size != db.mv_size ||
            memcmp(ka.mv_data, kb.mv_data, ka.mv_size) != 0 ||
            memcmp(da.mv_data, db.mv_data, da.mv_size) != 0) {
            snprintf(err, ERR_LEN,
                     "%s differ from a recomputation at record %ld%s", what,
                     n,
                     ra != MDB_SUCCESS   ? " (stored table ends early)"
                     : rb != MDB_SUCCESS ? " (stored table has extra)"
                                         : "");
            rc = ERR_CORRUPT;
            break;
        }
        n++;
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

int store_verify(store_t *self, char err[ERR_LEN])
{
    MDB_txn *txn = NULL;
    MDB_dbi agg2;
    MDB_dbi viol2;
    if (self->readonly) {
        snprintf(err, ERR_LEN, "verify needs a writable store");
        return ERR_INVAL;
    }
    int rc = txn_begin(self, 0, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    rc = from_mdb(mdb_dbi_open(txn, "verify_agg", MDB_CREATE, &agg2));
    if (rc == ERR_OK) {
        rc = from_mdb(mdb_dbi_open(txn, "verify_viol", MDB_CREATE, &viol2));
    }
    if (rc == ERR_OK) {
        rc = rebuild_derived(self, txn, agg2, viol2, err);
    }
    if (rc == ERR_OK) {
        rc = same_table(txn, self->agg, agg2, "aggregates", err);
    }
    if (rc == ERR_OK) {
        rc = same_table(txn, self->viol, viol2, "violations", err);
    }
    /* Nothing of the recomputation is kept. */
    txn_abort(self, &txn);
    return rc;
}

int store_backup(store_t *self, const char *dest, char err[ERR_LEN])
{
    if (mkdir(dest, 0750) != 0 && errno != EEXIST) {
        snprintf(err, ERR_LEN, "cannot create %s: %s", dest,
                 strerror(errno));
        return ERR_IO;
    }
    int mrc = mdb_env_copy2(self->env, dest, MDB_CP_COMPACT);
    if (mrc != MDB_SUCCESS) {
        char what[ERR_LEN / 2];
        snprintf(what, sizeof what, "backup to %.200s", dest);
        return mdb_fail(mrc, what, err);
    }
    return ERR_OK;
}
