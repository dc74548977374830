/* asof.c: answers as the store stood at a moment T, and the difference
 * between two moments (issue 14).
 *
 * Design
 * ------
 * The store as it stood at T is every audit record with received_at <= T
 * (a prefix of the audit ids: write.c INVARIANT 7) and every approval
 * action with at <= T. Facts are never deleted and each audit record
 * holds the cell's old value and its previous revision, so what changed
 * after T is undone by walking `audit` back from its last key while
 * received_at > T: the cell's earliest record after T says what it was
 * at T (has_old, old value, prev_id: the revision then in force, whose
 * received_at is one more lookup). The walk's cost is the revisions to
 * undo, never the store's size. Approvals likewise: `approvals_log` back
 * from its end while at > T; the earliest action after T on a region's
 * month says whether it was approved then (approve: no; unapprove,
 * accept, unaccept: yes; except/unexcept change no approval).
 *
 * The view is this thread's (like a pinned snapshot, snap.c), built in
 * one snapshot which stays pinned while it lives, so that every read of
 * the answer agrees with it. read.c consults it in three places:
 *   - its facts iterator (fit_next) and the facts listing hand out each
 *     cell as of T (asof_fact): skipped when it did not exist, else the
 *     revision then in force. So every rule that reads facts (own
 *     contributions, range walks, who reported, first reports) answers
 *     as of T with no rule of its own here;
 *   - a total of a node with children, which reads `agg` (the current
 *     store's sums), is corrected region by region (asof_total): the
 *     current total, plus for each region of the subtree with an undone
 *     cell of the indicator inside the period, its own contribution as
 *     of T less its own contribution now, both by read.c's own_contrib.
 *     Whatever rule own_contrib applies applies here too;
 *   - approved counts (asof_approved_span).
 *
 * INVARIANTS
 *   1. A thread has at most one view; while it lives the thread's reads of
 *      the store come from the snapshot it was built in (its own pin, or
 *      the thread's pin from before, which it leaves alone).
 *   2. view.cells[i] for a cell changed after T holds its state at T:
 *      existed == 0 when its first revision is after T; else the value,
 *      audit id and received_at of the revision in force at T.
 *   3. The cells are sorted by (indicator index, region index, month) once
 *      built, and `index` maps each cell key to its place.
 *   4. asof_total() leaves the facts view as it found it (suspension is
 *      counted, and undone on every path).
 *   5. A view is a function of its moment and its snapshot's txn id (the
 *      last write committed): the store keeps the last view a thread
 *      ended (store_t.asof_cache), and store_asof_begin() takes it
 *      instead of building only when both match its own pinned
 *      snapshot's. A progress (19 totals as of one moment, one request
 *      each) builds one view, not 19. A view is never changed after it
 *      is built, so handing it from one thread to another needs only the
 *      mutex that guards the slot.
 */
#include "store/asof.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"
#include "common/lmdbh.h"
#include "common/mem.h"
#include "store/env.h"
#include "store/rec.h"
#include "store/snap.h"

typedef struct asof_cell {
    int ii;          /* catalog indicator index, -1: not in the catalog */
    int rix;         /* catalog region index, -1 likewise */
    char *code;      /* owned copy */
    uint32_t region;
    int32_t month;
    int existed;     /* at T */
    codec_fact_t f;  /* at T, when existed */
} asof_cell_t;

struct asof {
    store_t *s;
    int64_t at;
    size_t txn_id;   /* the snapshot it was built in (mdb_txn_id) */
    asof_cell_t *cells;
    size_t n;
    size_t cap;
    hmap_t *index;   /* cell key -> place in cells */
    hmap_t *appr;    /* region:u32 month:u32 -> approved at T (0/1) */
    size_t n_appr;
};

/* This thread's view (INVARIANT 1). */
static _Thread_local struct {
    asof_t *v;
    int suspended;   /* asof_total reading the current figures */
    int pinned;      /* the view took the thread's pin */
} tl;

static void cell_key(buf_t *b, const char *code, uint32_t region,
                     int32_t month)
{
    buf_reset(b);
    buf_put_str(b, code);
    buf_put_u32(b, region);
    buf_put_u32(b, (uint32_t)month);
}

static void appr_key(unsigned char k[8], uint32_t region, int32_t month)
{
    uint32_t m = (uint32_t)month;
    for (int i = 0; i < 4; i++) {
        k[i] = (unsigned char)(region >> (24 - 8 * i));
        k[4 + i] = (unsigned char)(m >> (24 - 8 * i));
    }
}

static void view_free(asof_t **vp)
{
    asof_t *v = *vp;
    if (v == NULL) {
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        free(v->cells[i].code);
    }
    free(v->cells);
    hmap_destroy(&v->index);
    hmap_destroy(&v->appr);
    free(v);
    *vp = NULL;
}

/* Undo audit record @p rev (the newest not yet undone) in @p v. */
static void undo_revision(asof_t *v, buf_t *kb, const store_revision_t *rev)
{
    cell_key(kb, rev->indicator, rev->region, rev->month);
    int64_t at = 0;
    asof_cell_t *c;
    if (hmap_get(v->index, kb->data, kb->len, &at)) {
        c = &v->cells[at];
    } else {
        if (v->n == v->cap) {
            v->cap = v->cap == 0 ? 64 : 2 * v->cap;
            v->cells = xreallocarray(v->cells, v->cap, sizeof *v->cells);
        }
        c = &v->cells[v->n];
        memset(c, 0, sizeof *c);
        c->ii = catalog_indicator_find(v->s->cat, rev->indicator);
        c->rix = catalog_region_find(v->s->cat, rev->region);
        c->code = xstrdup(rev->indicator);
        c->region = rev->region;
        c->month = rev->month;
        hmap_put(v->index, kb->data, kb->len, (int64_t)v->n);
        v->n++;
    }
    c->existed = rev->has_old;
    c->f.v = rev->old_value;
    c->f.audit_id = rev->prev_id;
    c->f.received_at = 0;
}

/* Walk `audit` back from its end while received_at > at. */
static int undo_audit(asof_t *v, MDB_txn *txn, buf_t *kb)
{
    store_t *s = v->s;
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, s->audit, &cur));
    MDB_val k;
    MDB_val d;
    int mrc = MDB_NOTFOUND;
    if (rc == ERR_OK) {
        mrc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
    }
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        store_revision_t rev;
        rc = rec_unseal("audit", &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed("audit", &k, codec_parse_audit(&k, &d, &rev));
        }
        if (rc != ERR_OK || rev.received_at <= v->at) {
            break;
        }
        undo_revision(v, kb, &rev);
        snap_shed(s, txn, 1);
        mrc = mdb_cursor_get(cur, &k, &d, MDB_PREV);
    }
    if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND && rc == ERR_OK) {
        rc = lmdbh_code(mrc);
    }
    mdb_cursor_close(cur);
    return rc;
}

/* The received_at of each cell's revision in force at T. */
static int fill_received(asof_t *v, MDB_txn *txn, buf_t *kb)
{
    int rc = ERR_OK;
    for (size_t i = 0; rc == ERR_OK && i < v->n; i++) {
        asof_cell_t *c = &v->cells[i];
        if (!c->existed) {
            continue;
        }
        codec_key_id(kb, c->f.audit_id);
        MDB_val k = lmdbh_val(kb);
        MDB_val d;
        int found = 0;
        store_revision_t rev;
        rc = rec_get(txn, v->s->audit, "audit", &k, &d, &found);
        if (rc == ERR_OK && !found) {
            rc = rec_malformed("audit", &k, ERR_CORRUPT); /* broken chain */
        }
        if (rc == ERR_OK) {
            rc = rec_malformed("audit", &k, codec_parse_audit(&k, &d, &rev));
        }
        if (rc == ERR_OK && (strcmp(rev.indicator, c->code) != 0 ||
                             rev.region != c->region ||
                             rev.month != c->month)) {
            rc = rec_malformed("audit", &k, ERR_CORRUPT); /* another cell */
        }
        c->f.received_at = rc == ERR_OK ? rev.received_at : 0;
        snap_shed(v->s, txn, SNAP_SEEK_READS);
    }
    return rc;
}

/* Walk `approvals_log` back from its end while at > T. */
static int undo_approvals(asof_t *v, MDB_txn *txn)
{
    store_t *s = v->s;
    if (s->approvals_log == 0) {
        return ERR_OK; /* a store from before approvals */
    }
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, s->approvals_log, &cur));
    MDB_val k;
    MDB_val d;
    int mrc = MDB_NOTFOUND;
    if (rc == ERR_OK) {
        mrc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
    }
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        store_approval_event_t e;
        rc = rec_unseal("approvals_log", &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed("approvals_log", &k,
                               store_approval_log_parse(&k, &d, &e));
        }
        if (rc != ERR_OK || e.at <= v->at) {
            break;
        }
        if (e.action != STORE_EXCEPT && e.action != STORE_UNEXCEPT) {
            unsigned char key[8];
            appr_key(key, e.region, e.month);
            /* Newest first: the last put is the earliest action. */
            hmap_put(v->appr, key, sizeof key, e.action != STORE_APPROVE);
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_PREV);
    }
    if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND && rc == ERR_OK) {
        rc = lmdbh_code(mrc);
    }
    mdb_cursor_close(cur);
    v->n_appr = hmap_count(v->appr);
    return rc;
}

static int cmp_cell(const void *a, const void *b)
{
    const asof_cell_t *x = a;
    const asof_cell_t *y = b;
    if (x->ii != y->ii) {
        return x->ii < y->ii ? -1 : 1;
    }
    if (x->rix != y->rix) {
        return x->rix < y->rix ? -1 : 1;
    }
    if (x->region != y->region) {
        return x->region < y->region ? -1 : 1;
    }
    if (x->month != y->month) {
        return x->month < y->month ? -1 : 1;
    }
    return strcmp(x->code, y->code);
}

/* INVARIANT 3. */
static void view_sort(asof_t *v, buf_t *kb)
{
    if (v->n > 1) {
        qsort(v->cells, v->n, sizeof *v->cells, cmp_cell);
    }
    for (size_t i = 0; i < v->n; i++) {
        cell_key(kb, v->cells[i].code, v->cells[i].region,
                 v->cells[i].month);
        hmap_put(v->index, kb->data, kb->len, (int64_t)i);
    }
}

/* The view of @p s at @p at, built in @p txn. */
static int view_build(store_t *s, MDB_txn *txn, int64_t at, asof_t **out)
{
    asof_t *v = xcalloc(1, sizeof *v);
    v->s = s;
    v->at = at;
    v->index = hmap_new();
    v->appr = hmap_new();
    buf_t kb;
    buf_init(&kb);
    int rc = undo_audit(v, txn, &kb);
    if (rc == ERR_OK) {
        rc = fill_received(v, txn, &kb);
    }
    if (rc == ERR_OK) {
        rc = undo_approvals(v, txn);
    }
    if (rc == ERR_OK) {
        view_sort(v, &kb);
    }
    buf_fini(&kb);
    if (rc != ERR_OK) {
        view_free(&v);
    }
    *out = v;
    return rc;
}

/* Pin @p s for a view unless this thread did already; *took = 1 when
 * this call pinned. */
static int pin_for_view(store_t *s, int *took, char err[ERR_LEN])
{
    *took = 0;
    if (snap_pinned(s)) {
        return ERR_OK;
    }
    int rc = store_pin(s, err);
    *took = rc == ERR_OK;
    return rc;
}

/* The kept view when it is of @p at in the snapshot @p txn_id (the
 * store then was what it is now: INVARIANT 5), else NULL; the kept view
 * is the caller's either way (freed when it does not fit). */
static asof_t *cache_take(store_t *s, int64_t at, size_t txn_id)
{
    pthread_mutex_lock(&s->asof_mu);
    asof_t *v = s->asof_cache;
    s->asof_cache = NULL;
    pthread_mutex_unlock(&s->asof_mu);
    if (v != NULL && (v->at != at || v->txn_id != txn_id)) {
        view_free(&v);
    }
    return v;
}

/* Keep @p *vp for the next question (it replaces the one kept). */
static void cache_put(store_t *s, asof_t **vp)
{
    pthread_mutex_lock(&s->asof_mu);
    asof_t *old = s->asof_cache;
    s->asof_cache = *vp;
    pthread_mutex_unlock(&s->asof_mu);
    *vp = NULL;
    view_free(&old);
}

void asof_cache_free(store_t *s)
{
    pthread_mutex_lock(&s->asof_mu);
    view_free(&s->asof_cache);
    pthread_mutex_unlock(&s->asof_mu);
}

/* A view of @p at in this thread's pinned snapshot: the kept one when it
 * fits (@p reuse), else built. */
static int build_pinned_with(store_t *s, int64_t at, int reuse, asof_t **v,
                             char err[ERR_LEN])
{
    MDB_txn *txn = NULL;
    int rc = snap_begin(s, &txn, err);
    if (rc == ERR_OK) {
        size_t id = mdb_txn_id(txn);
        *v = reuse ? cache_take(s, at, id) : NULL;
        if (*v == NULL) {
            rc = view_build(s, txn, at, v);
            if (rc == ERR_OK) {
                (*v)->txn_id = id;
                atomic_fetch_add(&s->asof_builds, 1);
            }
        }
        snap_end(s, &txn);
        if (rc != ERR_OK) {
            rec_fail(s->file, "as of", rc, err);
        }
    }
    return rc;
}

static int build_pinned(store_t *s, int64_t at, asof_t **v,
                        char err[ERR_LEN])
{
    return build_pinned_with(s, at, 0, v, err);
}

int store_asof_begin(store_t *self, int64_t at, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    if (tl.v != NULL) {
        snprintf(err, ERR_LEN, "this thread answers as of a moment already");
        return ERR_INVAL;
    }
    int took = 0;
    int rc = pin_for_view(self, &took, err);
    asof_t *v = NULL;
    if (rc == ERR_OK) {
        rc = build_pinned_with(self, at, 1, &v, err);
    }
    if (rc != ERR_OK) {
        if (took) {
            store_unpin(self);
        }
        return rc;
    }
    tl.v = v;
    tl.suspended = 0;
    tl.pinned = took;
    return ERR_OK;
}

void store_asof_end(store_t *self)
{
    if (tl.v == NULL || tl.v->s != self) {
        return;
    }
    cache_put(self, &tl.v);
    if (tl.pinned) {
        store_unpin(self);
    }
    tl.pinned = 0;
    tl.suspended = 0;
}

void store_asof_forget(store_t *self)
{
    asof_cache_free(self);
}

unsigned long store_asof_builds(const store_t *self)
{
    return atomic_load(&self->asof_builds);
}

size_t store_asof_cells(const store_t *self)
{
    return tl.v != NULL && tl.v->s == self ? tl.v->n : 0;
}

const asof_t *asof_facts(const store_t *s)
{
    return tl.v != NULL && tl.v->s == s && tl.suspended == 0 ? tl.v : NULL;
}

const asof_t *asof_view(const store_t *s)
{
    return tl.v != NULL && tl.v->s == s ? tl.v : NULL;
}

int asof_fact(const asof_t *v, const char *code, uint32_t region,
              int32_t month, codec_fact_t *f)
{
    /* On the stack: this is every fact a read hands out. */
    unsigned char key[128];
    size_t len = strlen(code) + 1;
    int64_t at = 0;
    int found;
    if (len + 8 <= sizeof key) {
        memcpy(key, code, len);
        for (int i = 0; i < 4; i++) {
            key[len + (size_t)i] = (unsigned char)(region >> (24 - 8 * i));
            key[len + 4 + (size_t)i] =
                (unsigned char)((uint32_t)month >> (24 - 8 * i));
        }
        found = hmap_get(v->index, key, len + 8, &at);
    } else {
        buf_t kb;
        buf_init(&kb);
        cell_key(&kb, code, region, month);
        found = hmap_get(v->index, kb.data, kb.len, &at);
        buf_fini(&kb);
    }
    if (!found) {
        return 1;
    }
    const asof_cell_t *c = &v->cells[at];
    if (!c->existed) {
        return 0;
    }
    *f = c->f;
    return 1;
}

/* First cell of indicator @p ii (cells are sorted: INVARIANT 3). */
static size_t first_of(const asof_t *v, int ii)
{
    size_t lo = 0;
    size_t hi = v->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->cells[mid].ii < ii) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Own contribution of region @p code now (facts view suspended). */
static int own_now(store_t *s, MDB_txn *txn, asof_own_fn own,
                   const indicator_t *ind, uint32_t code, const period_t *p,
                   derive_contrib_t *c)
{
    tl.suspended++;
    int rc = own(s, txn, ind, code, p->first, p->last, c);
    tl.suspended--;
    return rc;
}

int asof_total(store_t *s, MDB_txn *txn, int ii, int ri, const period_t *p,
               store_total_t *t, asof_total_fn now, asof_own_fn own)
{
    const asof_t *v = tl.v;
    assert(v != NULL && v->s == s);
    tl.suspended++;
    int rc = now(s, txn, ii, ri, p, t);
    tl.suspended--;
    const indicator_t *ind = catalog_indicator(s->cat, (size_t)ii);
    size_t i = first_of(v, ii);
    while (rc == ERR_OK && i < v->n && v->cells[i].ii == ii) {
        const asof_cell_t *c = &v->cells[i];
        int hit = 0;
        size_t j = i;
        for (; j < v->n && v->cells[j].ii == ii &&
               v->cells[j].rix == c->rix && v->cells[j].region == c->region;
             j++) {
            hit |= v->cells[j].month >= p->first &&
                   v->cells[j].month <= p->last;
        }
        if (hit && c->rix >= 0 && catalog_region_within(s->cat, c->rix, ri)) {
            derive_contrib_t was;
            derive_contrib_t is;
            rc = own_now(s, txn, own, ind, c->region, p, &is);
            if (rc == ERR_OK) {
                rc = own(s, txn, ind, c->region, p->first, p->last, &was);
            }
            if (rc == ERR_OK) {
                t->num += was.num - is.num;
                t->den += was.den - is.den;
                t->reporting =
                    (uint32_t)((int64_t)t->reporting + was.present -
                               is.present);
            }
        }
        i = j;
    }
    return rc;
}

int asof_has_approvals(const asof_t *v)
{
    return v != NULL && v->n_appr > 0;
}

int asof_approved_span(const store_t *s, const asof_t *v, MDB_cursor *cur,
                       buf_t *kb, uint32_t region, int32_t from, int32_t to,
                       int *all)
{
    unsigned char key[8];
    int any = 0;
    for (int32_t m = from; v != NULL && v->n_appr > 0 && m <= to && !any;
         m++) {
        appr_key(key, region, m);
        any = hmap_get(v->appr, key, sizeof key, NULL);
    }
    if (!any) {
        return store_approved_span(s, cur, kb, region, from, to, all);
    }
    int rc = ERR_OK;
    *all = 1;
    for (int32_t m = from; rc == ERR_OK && *all && m <= to; m++) {
        int64_t was = 0;
        appr_key(key, region, m);
        if (hmap_get(v->appr, key, sizeof key, &was)) {
            *all = was != 0;
        } else {
            rc = store_approved_span(s, cur, kb, region, m, m, all);
        }
    }
    if (rc != ERR_OK) {
        *all = 0;
    }
    return rc;
}

/* ------------------------------------------------------------- the diff */

/* The value of cell @p c of the earlier view at the moment of view @p w:
 * w's state when w undid it, else the current fact. */
static int value_at(store_t *s, MDB_txn *txn, buf_t *kb, const asof_t *w,
                    const asof_cell_t *c, int *has, value_t *val)
{
    codec_fact_t f;
    int found = 0;
    int rc = derive_get_fact(txn, s->facts, kb, c->code, c->region,
                             c->month, &f, &found);
    *has = 0;
    memset(val, 0, sizeof *val);
    if (rc == ERR_OK && found && asof_fact(w, c->code, c->region, c->month,
                                           &f)) {
        *has = 1;
        *val = f.v;
    }
    return rc;
}

static int same_value(int ha, const value_t *a, int hb, const value_t *b)
{
    if (ha != hb) {
        return 0;
    }
    return !ha || (a->num == b->num && a->den == b->den);
}

typedef struct diff_out {
    store_diff_cell_t *cells;
    size_t n;
    size_t cap;
    int truncated;
} diff_out_t;

/* The cells of @p lo (the earlier view, a superset of the later's
 * cells) whose values at the two moments differ, into @p o. */
static int diff_cells(store_t *s, const asof_t *lo, const asof_t *v1,
                      const asof_t *v2, int ii, int ri, diff_out_t *o)
{
    MDB_txn *txn = NULL;
    char err[ERR_LEN];
    int rc = snap_begin(s, &txn, err);
    buf_t kb;
    buf_init(&kb);
    for (size_t i = 0; rc == ERR_OK && i < lo->n; i++) {
        const asof_cell_t *c = &lo->cells[i];
        if (c->ii < 0 || c->rix < 0 || (ii >= 0 && c->ii != ii) ||
            !catalog_region_within(s->cat, c->rix, ri)) {
            continue;
        }
        store_diff_cell_t d;
        memset(&d, 0, sizeof d);
        rc = value_at(s, txn, &kb, v1, c, &d.has_from, &d.from);
        if (rc == ERR_OK) {
            rc = value_at(s, txn, &kb, v2, c, &d.has_to, &d.to);
        }
        if (rc != ERR_OK || same_value(d.has_from, &d.from, d.has_to,
                                       &d.to)) {
            continue;
        }
        if (o->n == STORE_DIFF_MAX_CELLS) {
            o->truncated = 1;
            break;
        }
        d.indicator = catalog_indicator(s->cat, (size_t)c->ii)->code;
        d.region = c->region;
        d.month = c->month;
        if (o->n == o->cap) {
            o->cap = o->cap == 0 ? 64 : 2 * o->cap;
            o->cells = xreallocarray(o->cells, o->cap, sizeof *o->cells);
        }
        o->cells[o->n++] = d;
    }
    buf_fini(&kb);
    snap_end(s, &txn);
    return rc;
}

static int cmp_pair(const void *a, const void *b)
{
    const store_diff_total_t *x = a;
    const store_diff_total_t *y = b;
    int c = strcmp(x->indicator, y->indicator);
    if (c != 0) {
        return c;
    }
    return x->month < y->month ? -1 : x->month > y->month;
}

/* The region's month totals at both moments for each (indicator, month)
 * of the cells. */
static int diff_totals(store_t *s, asof_t *v1, asof_t *v2, uint32_t region,
                       const diff_out_t *o, store_diff_total_t **out,
                       size_t *nt, char err[ERR_LEN])
{
    store_diff_total_t *t = o->n > 0 ? xcalloc(o->n, sizeof *t) : NULL;
    size_t n = 0;
    for (size_t i = 0; i < o->n; i++) {
        t[n].indicator = o->cells[i].indicator;
        t[n].month = o->cells[i].month;
        n++;
    }
    if (n > 1) {
        qsort(t, n, sizeof *t, cmp_pair);
    }
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u == 0 || cmp_pair(&t[u - 1], &t[i]) != 0) {
            t[u++] = t[i];
        }
    }
    int rc = ERR_OK;
    for (size_t i = 0; rc == ERR_OK && i < u; i++) {
        period_t p = period_of_month(PERIOD_MONTH, t[i].month);
        tl.v = v1;
        rc = store_total(s, t[i].indicator, region, &p, &t[i].from, err);
        tl.v = v2;
        if (rc == ERR_OK) {
            rc = store_total(s, t[i].indicator, region, &p, &t[i].to, err);
        }
        tl.v = NULL;
    }
    if (rc != ERR_OK) {
        free(t);
        t = NULL;
        u = 0;
    }
    *out = t;
    *nt = u;
    return rc;
}

int store_diff(store_t *self, int64_t from, int64_t to, uint32_t region,
               const char *indicator, store_diff_cell_t **cells, size_t *n,
               store_diff_total_t **totals, size_t *nt, int *truncated,
               char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    *cells = NULL;
    *n = 0;
    *totals = NULL;
    *nt = 0;
    *truncated = 0;
    if (tl.v != NULL) {
        snprintf(err, ERR_LEN, "this thread answers as of a moment already");
        return ERR_INVAL;
    }
    int ii = -1;
    if (indicator != NULL) {
        ii = catalog_indicator_find(self->cat, indicator);
        if (ii < 0) {
            snprintf(err, ERR_LEN, "unknown indicator '%.64s'", indicator);
            return ERR_NOTFOUND;
        }
    }
    if (region == 0) {
        region = catalog_region(self->cat,
                                (size_t)catalog_region_root(self->cat))->code;
    }
    int ri = catalog_region_find(self->cat, region);
    if (ri < 0) {
        snprintf(err, ERR_LEN, "unknown region %u", region);
        return ERR_NOTFOUND;
    }
    int took = 0;
    asof_t *v1 = NULL;
    asof_t *v2 = NULL;
    diff_out_t o = {NULL, 0, 0, 0};
    int rc = pin_for_view(self, &took, err);
    if (rc == ERR_OK) {
        rc = build_pinned(self, from, &v1, err);
    }
    if (rc == ERR_OK) {
        rc = build_pinned(self, to, &v2, err);
    }
    if (rc == ERR_OK) {
        rc = diff_cells(self, v1->n >= v2->n ? v1 : v2, v1, v2, ii, ri, &o);
        if (rc != ERR_OK) {
            rec_fail(self->file, "diff", rc, err);
        }
    }
    if (rc == ERR_OK) {
        rc = diff_totals(self, v1, v2, region, &o, totals, nt, err);
    }
    view_free(&v1);
    view_free(&v2);
    if (took) {
        store_unpin(self);
    }
    if (rc != ERR_OK) {
        free(o.cells);
        return rc;
    }
    *cells = o.cells;
    *n = o.n;
    *truncated = o.truncated;
    return ERR_OK;
}
