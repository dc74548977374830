/* list.c: the store's listings: one cursor over a table (store_scan) and
 * the listings built on it: the audit trail, rejections, reporters,
 * violations and facts.
 *
 * Design
 * ------
 * Moved out of read.c (its totals and series stay there). store_scan()
 * runs one read-only transaction (snap.c: a new one, or the snapshot the
 * thread pinned) and walks one cursor from the table's first key or a
 * position (the facts from a page's position: one seek), handing each
 * unsealed record to the caller's callback; parsing is codec.c's, so a
 * bad record stops the listing with ERR_CORRUPT.
 *
 * INVARIANTS
 *   1. Every transaction begun here is ended before the function returns,
 *      on every path (snap_end; a pinned one stays, snap.c).
 *   2. Strings handed to callbacks point into LMDB's pages or the catalog
 *      and are not used after the callback returns.
 *   3. A scan counts its reads (snap_shed), which gives back the store's
 *      mapped pages every SNAP_SHED_READS of them.
 *   4. A callback's nonzero return other than an error code stops the
 *      scan with ERR_OK.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lmdbh.h"
#include "common/mem.h"
#include "store/asof.h"
#include "store/codec.h"
#include "store/env.h"
#include "store/rec.h"
#include "store/snap.h"
#include "store/store.h"

int store_scan(store_t *s, MDB_dbi dbi, const char *table,
               const buf_t *start, store_scan_fn each, void *ctx,
               char err[ERR_LEN])
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int rc = snap_begin(s, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    rc = lmdbh_code(mdb_cursor_open(txn, dbi, &cur));
    MDB_val k = {0, NULL};
    MDB_val d;
    int mrc = MDB_NOTFOUND;
    if (rc == ERR_OK) {
        if (start != NULL) {
            k = lmdbh_val(start);
        }
        mrc = mdb_cursor_get(cur, &k, &d,
                             start != NULL ? MDB_SET_RANGE : MDB_FIRST);
    }
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        rc = rec_unseal(table, &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed(table, &k, each(&k, &d, ctx));
        }
        if (rc != ERR_OK) {
            break;
        }
        snap_shed(s, txn, 1);
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    if (rc == 1) {
        rc = ERR_OK; /* the callback stopped the scan */
    }
    rc = lmdbh_cursor_end(&cur, rc, mrc);
    snap_end(s, &txn);
    if (rc != ERR_OK) {
        rec_fail(s->file, table, rc, err);
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
    int rc = codec_parse_audit(k, d, &rev);
    if (rc != ERR_OK) {
        return rc;
    }
    return c->fn(&rev, c->arg) != 0 ? 1 : ERR_OK;
}

int store_audit(store_t *self, uint64_t from_id, store_revision_fn fn,
                void *arg, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    audit_ctx_t c = {fn, arg};
    buf_t kb;
    buf_init(&kb);
    codec_key_id(&kb, from_id);
    int rc = store_scan(self, self->audit, "audit", &kb, each_audit, &c, err);
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
    if (codec_parse_reject(k, d, &rj) != ERR_OK) {
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
    assert(store_check_invariants(self));
    rej_ctx_t c = {since, fn, arg};
    return store_scan(self, self->rejects, "rejects", NULL, each_rejection, &c, err);
}

typedef struct rep_ctx {
    store_reporter_fn fn;
    void *arg;
} rep_ctx_t;

static int each_reporter(const MDB_val *k, const MDB_val *d, void *ctx)
{
    rep_ctx_t *c = ctx;
    codec_reporter_t p;
    char id[STORE_REPORTER_MAX + 1];
    if (codec_parse_reporter_key(k, id) != ERR_OK ||
        codec_parse_reporter(d, &p) != ERR_OK) {
        return ERR_CORRUPT;
    }
    store_reporter_t rep = {id, p.next_seq, p.first_seen, p.last_contact,
                            p.applied, p.rejected};
    return c->fn(&rep, c->arg) != 0 ? 1 : ERR_OK;
}

int store_reporters(store_t *self, store_reporter_fn fn, void *arg,
                    char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    rep_ctx_t c = {fn, arg};
    return store_scan(self, self->reporters, "reporters", NULL, each_reporter, &c,
                err);
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
    codec_violation_t cv;
    if (codec_parse_violation(k, d, &cv) != ERR_OK) {
        return ERR_CORRUPT;
    }
    int ii = catalog_indicator_find(c->s->cat, cv.code);
    int ri = catalog_region_find(c->s->cat, cv.region);
    if (ii < 0 || ri < 0) {
        return ERR_OK; /* left over from another catalog */
    }
    const indicator_t *ind = catalog_indicator(c->s->cat, (size_t)ii);
    if (ind->part_of < 0) {
        return ERR_OK;
    }
    if (c->p != NULL && (cv.month < c->p->first || cv.month > c->p->last)) {
        return ERR_OK;
    }
    if (c->within >= 0 && !catalog_region_within(c->s->cat, ri, c->within)) {
        return ERR_OK;
    }
    /* Names from the catalog, not the record: they outlive the callback
     * and follow the catalog the store is read with. */
    store_violation_t v = {
        ind->code,
        catalog_indicator(c->s->cat, (size_t)ind->part_of)->code,
        cv.region,
        cv.month,
        cv.value,
        cv.parent_value,
    };
    return c->fn(&v, c->arg) != 0 ? 1 : ERR_OK;
}

int store_violations(store_t *self, const period_t *p, uint32_t region,
                     store_violation_fn fn, void *arg, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    viol_ctx_t c = {self, p, -1, fn, arg};
    if (region != 0) {
        c.within = catalog_region_find(self->cat, region);
        if (c.within < 0) {
            snprintf(err, ERR_LEN, "unknown region %u", region);
            return ERR_NOTFOUND;
        }
    }
    return store_scan(self, self->viol, "violations", NULL, each_violation, &c, err);
}

typedef struct facts_ctx {
    const asof_t *view; /* as of a moment, or NULL */
    int32_t from;
    int32_t to;
    store_fact_fn fn;
    void *arg;
} facts_ctx_t;

static int each_fact(const MDB_val *k, const MDB_val *d, void *ctx)
{
    facts_ctx_t *c = ctx;
    store_fact_t f;
    codec_fact_t rec;
    if (codec_parse_cell_key(k, &f.indicator, &f.region, &f.month) !=
            ERR_OK ||
        codec_parse_fact(d, &rec) != ERR_OK) {
        return ERR_CORRUPT;
    }
    if (f.month < c->from || f.month > c->to) {
        return ERR_OK;
    }
    if (c->view != NULL &&
        !asof_fact(c->view, f.indicator, f.region, f.month, &rec)) {
        return ERR_OK; /* not there yet at the view's moment */
    }
    f.value = rec.v;
    f.received_at = rec.received_at;
    return c->fn(&f, c->arg) != 0 ? 1 : ERR_OK;
}

int store_facts(store_t *self, int32_t from, int32_t to, store_fact_fn fn,
                void *arg, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    facts_ctx_t c = {asof_facts(self), from, to, fn, arg};
    return store_scan(self, self->facts, "facts", NULL, each_fact, &c, err);
}

int store_facts_from(store_t *self, const char *indicator, uint32_t region,
                     int32_t month, int32_t from, int32_t to,
                     store_fact_fn fn, void *arg, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    facts_ctx_t c = {asof_facts(self), from, to, fn, arg};
    buf_t kb;
    buf_init(&kb);
    codec_key_cell(&kb, indicator, region, month);
    int rc = store_scan(self, self->facts, "facts", &kb, each_fact, &c, err);
    buf_fini(&kb);
    return rc;
}
