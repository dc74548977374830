/* tally.c: the `tally` table (tally.h): per reporter, region and month,
 * the updates accepted and rejected; its accumulation in the write
 * transaction, its filling for a store written before it, and
 * store_reconcile() (store.h), which reads it for `hrssctl reconcile`.
 *
 * reconcile: rows of the subtree's regions and the period's months; a
 * listed reporter's rows under a region the catalog does not know (a
 * rejected unknown_region figure) come too, so that an office's counts
 * per month are whole. For each listed reporter whose `reporters`
 * counter of rejections is above what the tally holds for it, a "lost"
 * entry says how many (rejections trimmed before the tally existed).
 * `reporters` is read before `tally` (each in its own snapshot), so a
 * write in between can only raise the tally: no false "lost".
 *
 * INVARIANTS
 *   1. See tally.h. 2. store_reconcile() hands out rows in key order
 *      (region, month, reporter) and nothing on failure.
 */
#include "store/tally.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lmdbh.h"
#include "common/mem.h"
#include "store/codec.h"
#include "store/env.h"
#include "store/rec.h"

#define TALLY_V1 0x01

void tally_key(buf_t *b, uint32_t region, uint32_t yyyymm,
               const char *reporter)
{
    buf_reset(b);
    buf_put_u8(b, TALLY_V1);
    buf_put_u32(b, region);
    buf_put_u32(b, yyyymm);
    buf_put_str(b, reporter);
}

int tally_parse(const MDB_val *k, const MDB_val *d, uint32_t *region,
                uint32_t *yyyymm, char reporter[STORE_REPORTER_MAX + 1],
                uint64_t *accepted, uint64_t *rejected)
{
    buf_reader_t r;
    buf_reader_init(&r, k->mv_data, k->mv_size);
    int ok = buf_get_u8(&r) == TALLY_V1;
    *region = buf_get_u32(&r);
    *yyyymm = buf_get_u32(&r);
    const char *rep = buf_get_str(&r);
    ok = ok && buf_done(&r) && rep[0] != '\0' &&
         strlen(rep) <= STORE_REPORTER_MAX;
    snprintf(reporter, STORE_REPORTER_MAX + 1, "%s", rep);
    buf_reader_init(&r, d->mv_data, d->mv_size);
    ok = ok && buf_get_u8(&r) == TALLY_V1;
    *accepted = buf_get_u64(&r);
    *rejected = buf_get_u64(&r);
    ok = ok && buf_done(&r);
    return ok ? ERR_OK : ERR_CORRUPT;
}

void tally_init(tally_t *t, MDB_txn *txn, MDB_dbi dbi)
{
    memset(t, 0, sizeof *t);
    t->txn = txn;
    t->dbi = dbi;
}

void tally_fini(tally_t *t)
{
    free(t->e);
    memset(t, 0, sizeof *t);
}

static int same(const tally_ent_t *e, const char *reporter, uint32_t region,
                uint32_t yyyymm)
{
    return e->region == region && e->yyyymm == yyyymm &&
           strcmp(e->reporter, reporter) == 0;
}

int tally_add(tally_t *t, const char *reporter, uint32_t region,
              uint32_t yyyymm, int accepted)
{
    size_t i = t->last;
    if (i >= t->n || !same(&t->e[i], reporter, region, yyyymm)) {
        for (i = 0; i < t->n; i++) {
            if (same(&t->e[i], reporter, region, yyyymm)) {
                break;
            }
        }
    }
    if (i == t->n) {
        if (t->n == TALLY_MAX_KEYS) {
            int rc = tally_flush(t);
            if (rc != ERR_OK) {
                return rc;
            }
            i = 0;
        }
        if (t->n == t->cap) {
            t->cap = t->cap != 0 ? t->cap * 2 : 16;
            t->e = xreallocarray(t->e, t->cap, sizeof *t->e);
        }
        tally_ent_t *e = &t->e[t->n++];
        memset(e, 0, sizeof *e);
        e->region = region;
        e->yyyymm = yyyymm;
        snprintf(e->reporter, sizeof e->reporter, "%s", reporter);
    }
    t->last = i;
    if (accepted) {
        t->e[i].dacc++;
    } else {
        t->e[i].drej++;
    }
    return ERR_OK;
}

int tally_flush(tally_t *t)
{
    int rc = ERR_OK;
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    for (size_t i = 0; rc == ERR_OK && i < t->n; i++) {
        const tally_ent_t *e = &t->e[i];
        tally_key(&k, e->region, e->yyyymm, e->reporter);
        MDB_val kv = lmdbh_val(&k);
        MDB_val dv;
        int found = 0;
        uint64_t acc = 0;
        uint64_t rej = 0;
        rc = rec_get(t->txn, t->dbi, "tally", &kv, &dv, &found);
        if (rc == ERR_OK && found) {
            uint32_t r2;
            uint32_t m2;
            char who[STORE_REPORTER_MAX + 1];
            rc = rec_malformed("tally", &kv,
                               tally_parse(&kv, &dv, &r2, &m2, who, &acc,
                                           &rej));
        }
        if (rc == ERR_OK) {
            buf_reset(&v);
            buf_put_u8(&v, TALLY_V1);
            buf_put_u64(&v, acc + e->dacc);
            buf_put_u64(&v, rej + e->drej);
            rc = rec_put(t->txn, t->dbi, &kv, &v, 0);
        }
    }
    buf_fini(&k);
    buf_fini(&v);
    t->n = 0;
    t->last = 0;
    return rc;
}

/* Fill a new tally in @p txn from `audit` (each accepted update) and the
 * kept `rejects`. */
static int fill(store_t *s, MDB_txn *txn, MDB_dbi dbi)
{
    tally_t t;
    tally_init(&t, txn, dbi);
    MDB_cursor *cur = NULL;
    MDB_val k;
    MDB_val d;
    int rc = lmdbh_code(mdb_cursor_open(txn, s->audit, &cur));
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &k, &d, MDB_FIRST)
                           : MDB_NOTFOUND;
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        store_revision_t rev;
        rc = rec_unseal("audit", &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed("audit", &k, codec_parse_audit(&k, &d, &rev));
        }
        if (rc == ERR_OK) {
            rc = tally_add(&t, rev.reporter, rev.region,
                           month_to_yyyymm(rev.month), 1);
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    rc = lmdbh_cursor_end(&cur, rc, mrc);
    if (rc == ERR_OK) {
        rc = lmdbh_code(mdb_cursor_open(txn, s->rejects, &cur));
        mrc = rc == ERR_OK ? mdb_cursor_get(cur, &k, &d, MDB_FIRST)
                           : MDB_NOTFOUND;
    }
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        store_rejected_t rj;
        rc = rec_unseal("rejects", &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed("rejects", &k,
                               codec_parse_reject(&k, &d, &rj));
        }
        if (rc == ERR_OK) {
            rc = tally_add(&t, rj.reporter, rj.region, rj.yyyymm, 0);
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    rc = lmdbh_cursor_end(&cur, rc, mrc);
    if (rc == ERR_OK) {
        rc = tally_flush(&t);
    }
    tally_fini(&t);
    return rc;
}

int tally_open(store_t *s, MDB_txn *txn, unsigned flags, int fill_it,
               MDB_dbi *dbi, char err[ERR_LEN])
{
    *dbi = 0;
    int mrc = mdb_dbi_open(txn, "tally", 0, dbi);
    if (mrc == MDB_NOTFOUND && !(flags & MDB_CREATE)) {
        *dbi = 0;
        return ERR_OK;
    }
    int fresh = mrc == MDB_NOTFOUND;
    if (fresh) {
        mrc = mdb_dbi_open(txn, "tally", MDB_CREATE, dbi);
    }
    if (mrc != MDB_SUCCESS) {
        *dbi = 0;
        return lmdbh_fail(mrc, "cannot open database 'tally'", err);
    }
    int rc = ERR_OK;
    if (fresh && fill_it) {
        rc = fill(s, txn, *dbi);
        if (rc != ERR_OK) {
            rec_fail(s->file, "cannot fill the tally table", rc, err);
        }
    }
    return rc;
}

/* ------------------------------------------------------- reconcile */

typedef struct recon_ctx {
    const catalog_t *cat;
    int within;          /* catalog index of the subtree's root, or -1 */
    const period_t *p;
    store_recon_t *out;
    size_t cap;
    size_t cap_lost;
    int pass;            /* 0: the subtree, 1: listed reporters' unknown
                            regions */
    char err[ERR_LEN];
} recon_ctx_t;

static int listed(const store_recon_t *o, const char *reporter)
{
    for (size_t i = 0; i < o->n_lost; i++) {
        if (strcmp(o->lost[i].reporter, reporter) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int in_period(const period_t *p, uint32_t yyyymm)
{
    int32_t m = 0;
    return p == NULL ||
           (month_from_yyyymm(yyyymm, &m) && m >= p->first && m <= p->last);
}

/* Each tally record (store_scan); lost[] holds every reporter of the
 * whole table here, with its tallied rejections, until the end. */
static int each_tally(const MDB_val *k, const MDB_val *d, void *arg)
{
    recon_ctx_t *c = arg;
    store_recon_row_t row;
    memset(&row, 0, sizeof row);
    int rc = rec_malformed("tally", k,
                           tally_parse(k, d, &row.region, &row.yyyymm,
                                       row.reporter, &row.accepted,
                                       &row.rejected));
    if (rc != ERR_OK) {
        return rc;
    }
    int ri = catalog_region_find(c->cat, row.region);
    int li = listed(c->out, row.reporter);
    if (c->pass == 1) {
        if (li >= 0 && c->out->lost[li].shown && ri < 0 &&
            in_period(c->p, row.yyyymm)) {
            goto keep;
        }
        return ERR_OK;
    }
    if (li < 0) {
        if (c->out->n_lost == c->cap_lost) {
            c->cap_lost = c->cap_lost != 0 ? c->cap_lost * 2 : 16;
            c->out->lost = xreallocarray(c->out->lost, c->cap_lost,
                                         sizeof *c->out->lost);
        }
        li = (int)c->out->n_lost++;
        memset(&c->out->lost[li], 0, sizeof c->out->lost[li]);
        snprintf(c->out->lost[li].reporter, sizeof c->out->lost[li].reporter,
                 "%s", row.reporter);
    }
    c->out->lost[li].tallied += row.rejected;
    if (ri < 0 || (c->within >= 0 &&
                   !catalog_region_within(c->cat, ri, c->within)) ||
        !in_period(c->p, row.yyyymm)) {
        return ERR_OK;
    }
    c->out->lost[li].shown = 1;
keep:
    if (c->out->n == c->cap) {
        c->cap = c->cap != 0 ? c->cap * 2 : 64;
        c->out->rows = xreallocarray(c->out->rows, c->cap,
                                     sizeof *c->out->rows);
    }
    c->out->rows[c->out->n++] = row;
    return ERR_OK;
}

/* Each reporter (store_scan, before the tally): an entry with its
 * counter of rejections. */
static int each_reporter(const MDB_val *k, const MDB_val *d, void *arg)
{
    recon_ctx_t *c = arg;
    char id[STORE_REPORTER_MAX + 1];
    codec_reporter_t r;
    int rc = rec_malformed("reporters", k, codec_parse_reporter_key(k, id));
    if (rc == ERR_OK) {
        rc = rec_malformed("reporters", k, codec_parse_reporter(d, &r));
    }
    if (rc != ERR_OK) {
        return rc;
    }
    if (c->out->n_lost == c->cap_lost) {
        c->cap_lost = c->cap_lost != 0 ? c->cap_lost * 2 : 16;
        c->out->lost = xreallocarray(c->out->lost, c->cap_lost,
                                     sizeof *c->out->lost);
    }
    store_recon_lost_t *l = &c->out->lost[c->out->n_lost++];
    memset(l, 0, sizeof *l);
    snprintf(l->reporter, sizeof l->reporter, "%s", id);
    l->counted = r.rejected;
    return ERR_OK;
}

static int by_key(const void *a, const void *b)
{
    const store_recon_row_t *x = a;
    const store_recon_row_t *y = b;
    if (x->region != y->region) {
        return x->region < y->region ? -1 : 1;
    }
    if (x->yyyymm != y->yyyymm) {
        return x->yyyymm < y->yyyymm ? -1 : 1;
    }
    return strcmp(x->reporter, y->reporter);
}

void store_recon_fini(store_recon_t *r)
{
    free(r->rows);
    free(r->lost);
    memset(r, 0, sizeof *r);
}

int store_reconcile(store_t *self, uint32_t region, const period_t *p,
                    store_recon_t *out, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    memset(out, 0, sizeof *out);
    recon_ctx_t c;
    memset(&c, 0, sizeof c);
    c.cat = self->cat;
    c.p = p;
    c.out = out;
    c.within = region != 0 ? catalog_region_find(self->cat, region) : -1;
    if (region != 0 && c.within < 0) {
        snprintf(err, ERR_LEN, "region %u is not in the catalog", region);
        return ERR_NOTFOUND;
    }
    if (self->tally == 0) {
        snprintf(err, ERR_LEN, "%.300s: this store has no tally table yet; "
                 "start the collector once (it fills it)", self->file);
        return ERR_VERSION;
    }
    int rc = store_scan(self, self->reporters, "reporters", NULL,
                        each_reporter, &c, err);
    if (rc == ERR_OK) {
        rc = store_scan(self, self->tally, "tally", NULL, each_tally, &c,
                        err);
    }
    if (rc == ERR_OK) {
        c.pass = 1;
        rc = store_scan(self, self->tally, "tally", NULL, each_tally, &c,
                        err);
    }
    if (rc != ERR_OK) {
        store_recon_fini(out);
        return rc;
    }
    /* Keep only the shown reporters' entries, and only when rejections
     * were lost. */
    size_t j = 0;
    for (size_t i = 0; i < out->n_lost; i++) {
        if (out->lost[i].shown && out->lost[i].counted > out->lost[i].tallied) {
            out->lost[j++] = out->lost[i];
        }
    }
    out->n_lost = j;
    if (out->n > 1) {
        qsort(out->rows, out->n, sizeof *out->rows, by_key);
    }
    return ERR_OK;
}
