/* aggacc.c: aggregate deltas folded per transaction (aggacc.h).
 *
 * Design
 * ------
 * Open addressing with linear probing over a power-of-two table of
 * entries that hold their key, keyed by 64-bit FNV-1a (a hash of 0 is
 * moved to 1: 0 marks an empty slot). The table doubles at 50% load. A
 * flush gathers the used entries, sorts them by key bytes (memcmp, then
 * length: LMDB's default order, since every agg key starts with the same
 * version byte), and for each reads the stored record (rec_get: its seal
 * is checked), adds the delta and writes it (rec_put) or deletes it when
 * it comes to nothing. Sorted puts touch each leaf page once.
 *
 * INVARIANTS
 *   1. (aggacc.h.) Entries with an all-zero delta are skipped at flush.
 *   2. cap is 0 or a power of two, and n < cap / 2 after every add;
 *      used[0..n) are exactly the slots whose hash is not 0.
 */
#include "store/aggacc.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/lmdbh.h"
#include "common/mem.h"
#include "store/codec.h"
#include "store/rec.h"

void aggacc_init(aggacc_t *a, MDB_txn *txn, MDB_dbi agg)
{
    memset(a, 0, sizeof *a);
    a->txn = txn;
    a->agg = agg;
    buf_init(&a->vb);
}

void aggacc_fini(aggacc_t *a)
{
    free(a->tab);
    free(a->used);
    buf_fini(&a->vb);
    memset(a, 0, sizeof *a);
}

static aggacc_ent_t *slot(aggacc_ent_t *tab, size_t cap, uint64_t h,
                          const uint8_t *key, size_t klen)
{
    size_t i = (size_t)h & (cap - 1);
    for (;;) {
        aggacc_ent_t *e = &tab[i];
        if (e->hash == 0 || (e->hash == h && e->klen == klen &&
                             memcmp(e->key, key, klen) == 0)) {
            return e;
        }
        i = (i + 1) & (cap - 1);
    }
}

static void grow(aggacc_t *a)
{
    size_t cap = a->cap ? a->cap * 2 : 1024;
    aggacc_ent_t *tab = xcalloc(cap, sizeof *tab);
    for (size_t i = 0; i < a->n; i++) {
        aggacc_ent_t *e = &a->tab[a->used[i]];
        aggacc_ent_t *to = slot(tab, cap, e->hash, e->key, e->klen);
        *to = *e;
        a->used[i] = (size_t)(to - tab);
    }
    free(a->tab);
    a->tab = tab;
    a->cap = cap;
    a->used = xreallocarray(a->used, cap / 2, sizeof *a->used);
}

int aggacc_add(aggacc_t *a, const buf_t *key, int64_t dnum, int64_t dden,
               int drep)
{
    if (key->len > AGGACC_KEY_MAX) {
        return ERR_INVAL; /* codec_key_agg never makes one */
    }
    if (a->n >= AGGACC_MAX_KEYS) {
        int rc = aggacc_flush(a);
        if (rc != ERR_OK) {
            return rc;
        }
    }
    if ((a->n + 1) * 2 > a->cap) {
        grow(a);
    }
    uint64_t h = hash_fnv1a(HASH_FNV_BASIS, key->data, key->len);
    h = h ? h : 1;
    aggacc_ent_t *e = slot(a->tab, a->cap, h, key->data, key->len);
    if (e->hash == 0) {
        e->hash = h;
        e->klen = (uint8_t)key->len;
        memcpy(e->key, key->data, key->len);
        a->used[a->n++] = (size_t)(e - a->tab);
    }
    e->dnum += dnum;
    e->dden += dden;
    e->drep += drep;
    return ERR_OK;
}

static int by_key(const void *x, const void *y)
{
    const aggacc_ent_t *a = *(const aggacc_ent_t *const *)x;
    const aggacc_ent_t *b = *(const aggacc_ent_t *const *)y;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    return c != 0 ? c : (int)a->klen - (int)b->klen;
}

/* Read, add and write (or delete) the record of one entry. */
static int apply(aggacc_t *a, const aggacc_ent_t *e)
{
    MDB_val k = {e->klen, (void *)(uintptr_t)e->key};
    MDB_val d;
    codec_agg_t v = {0, 0, 0};
    int found = 0;
    int rc = rec_get(a->txn, a->agg, "agg", &k, &d, &found);
    if (rc == ERR_OK && found) {
        rc = rec_malformed("agg", &k, codec_parse_agg(&d, &v));
    }
    if (rc != ERR_OK) {
        return rc;
    }
    v.num += e->dnum;
    v.den += e->dden;
    v.reporting = (uint32_t)((int64_t)v.reporting + e->drep);
    if (v.num == 0 && v.den == 0 && v.reporting == 0) {
        if (!found) {
            return ERR_OK;
        }
        return lmdbh_code(mdb_del(a->txn, a->agg, &k, NULL));
    }
    codec_put_agg(&a->vb, &v);
    return rec_put(a->txn, a->agg, &k, &a->vb, 0);
}

int aggacc_flush(aggacc_t *a)
{
    if (a->n == 0) {
        return ERR_OK;
    }
    aggacc_ent_t **order = xcalloc(a->n, sizeof *order);
    size_t m = 0;
    for (size_t i = 0; i < a->n; i++) {
        aggacc_ent_t *e = &a->tab[a->used[i]];
        if (e->dnum != 0 || e->dden != 0 || e->drep != 0) {
            order[m++] = e;
        }
    }
    qsort(order, m, sizeof *order, by_key);
    int rc = ERR_OK;
    for (size_t i = 0; rc == ERR_OK && i < m; i++) {
        rc = apply(a, order[i]);
    }
    free(order);
    for (size_t i = 0; i < a->n; i++) {
        memset(&a->tab[a->used[i]], 0, sizeof a->tab[0]);
    }
    a->n = 0;
    return rc;
}
