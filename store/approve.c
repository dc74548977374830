/* approve.c: approvals of a region's month, and the locks they make
 * (store.h: store_approval_act, store_approval_get, store_approvals,
 * store_approval_log, store_locked; env.h: store_approvals_any and
 * store_approved_span, which read.c counts approved regions with).
 *
 * Levels follow the region tree. A region's month is approved when the
 * level responsible for it says its figures are final: a county by its
 * city, a city (once every county below it is approved) by itself, and
 * the province accepts each city's approval; the province's own month
 * is approved once every city's is accepted. Approved (or accepted), a
 * region's month is locked: store_apply() refuses its updates with
 * UPDATE_PERIOD_LOCKED (write.c asks store_locked_txn()).
 *
 *   OPEN --approve--> APPROVED --accept (cities, by the province)--> ACCEPTED
 *   OPEN <-unapprove- APPROVED <-unaccept----------------------------- ACCEPTED
 *
 * Rules (each refusal says which, ERR_INVAL; a scope that does not cover
 * the region, ERR_DENIED):
 *   approve R    R is OPEN; the asker's scope covers R; every child of R
 *                is APPROVED or ACCEPTED (the root: every child ACCEPTED)
 *   unapprove R  R is APPROVED; the scope covers R; R's parent is OPEN
 *   accept R     R is a child of the root and APPROVED; the scope covers
 *                the root (the province)
 *   unaccept R   R is ACCEPTED; the scope covers the root; the root is
 *                OPEN
 *
 * Tables: "approvals", key CODEC_KEY_V1 region:u32 month:u32 -> the
 * state, who and when (an OPEN region has no record); "approvals_log",
 * key CODEC_KEY_V1 id:u64 -> every action taken (region, month, action,
 * who, when), never deleted: the audit trail of approvals. Both records
 * sealed (rec.c). Both tables are created by a writable open; a store
 * from before them opens read-only with every month OPEN.
 *
 * INVARIANTS
 *   1. A region's month is APPROVED or ACCEPTED only while every region
 *      below it is too (the rules above keep it: nothing below can be
 *      unapproved while its parent is not OPEN).
 *   2. Every change of a record is one log record in the same
 *      transaction; refused actions change and log nothing.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/lmdbh.h"
#include "store/codec.h"
#include "store/chain.h"
#include "store/env.h"
#include "store/rec.h"
#include "store/snap.h"

/* ------------------------------------------------------------- records */

static void key_approval(buf_t *b, uint32_t region, int32_t month)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_KEY_V1);
    buf_put_u32(b, region);
    buf_put_u32(b, (uint32_t)month);
}

static void put_approval(buf_t *b, const store_approval_t *a)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    buf_put_u8(b, (uint8_t)a->state);
    buf_put_i64(b, a->at);
    buf_put_str(b, a->by);
}

static int parse_approval(const MDB_val *k, const MDB_val *d,
                          store_approval_t *a)
{
    buf_reader_t r;
    memset(a, 0, sizeof *a);
    buf_reader_init(&r, k->mv_data, k->mv_size);
    if (buf_get_u8(&r) != CODEC_KEY_V1) {
        return ERR_CORRUPT;
    }
    a->region = buf_get_u32(&r);
    a->month = (int32_t)buf_get_u32(&r);
    if (!buf_done(&r)) {
        return ERR_CORRUPT;
    }
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != CODEC_REC_V1) {
        return ERR_CORRUPT;
    }
    unsigned st = buf_get_u8(&r);
    a->at = buf_get_i64(&r);
    const char *by = buf_get_str(&r);
    if (!buf_done(&r) || (st != STORE_APPROVED && st != STORE_ACCEPTED) ||
        strlen(by) > STORE_REPORTER_MAX) {
        return ERR_CORRUPT;
    }
    a->state = (enum store_approval_state)st;
    memcpy(a->by, by, strlen(by) + 1);
    return ERR_OK;
}

static void put_log(buf_t *b, const store_approval_req_t *rq)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    buf_put_u32(b, rq->region);
    buf_put_u32(b, (uint32_t)rq->month);
    buf_put_u8(b, (uint8_t)rq->action);
    buf_put_i64(b, rq->at);
    buf_put_str(b, rq->by);
}

static int parse_log(const MDB_val *k, const MDB_val *d,
                     store_approval_event_t *e)
{
    buf_reader_t r;
    memset(e, 0, sizeof *e);
    buf_reader_init(&r, k->mv_data, k->mv_size);
    if (buf_get_u8(&r) != CODEC_KEY_V1) {
        return ERR_CORRUPT;
    }
    e->id = buf_get_u64(&r);
    if (!buf_done(&r)) {
        return ERR_CORRUPT;
    }
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != CODEC_REC_V1) {
        return ERR_CORRUPT;
    }
    e->region = buf_get_u32(&r);
    e->month = (int32_t)buf_get_u32(&r);
    unsigned act = buf_get_u8(&r);
    e->at = buf_get_i64(&r);
    const char *by = buf_get_str(&r);
    if (!buf_done(&r) || act > STORE_UNEXCEPT ||
        strlen(by) > STORE_REPORTER_MAX) {
        return ERR_CORRUPT;
    }
    e->action = (enum store_approval_action)act;
    memcpy(e->by, by, strlen(by) + 1);
    return ERR_OK;
}

int store_approval_rec_parse(const MDB_val *k, const MDB_val *d,
                             store_approval_t *a)
{
    return parse_approval(k, d, a);
}

int store_approval_log_parse(const MDB_val *k, const MDB_val *d,
                             store_approval_event_t *e)
{
    return parse_log(k, d, e);
}

/* The state of @p region's @p month in @p txn: OPEN when no record (or
 * no table: a store from before approvals). */
static int get_state(const store_t *s, MDB_txn *txn, buf_t *kb,
                     uint32_t region, int32_t month, store_approval_t *out)
{
    memset(out, 0, sizeof *out);
    out->region = region;
    out->month = month;
    out->state = STORE_OPEN;
    if (s->approvals == 0) {
        return ERR_OK;
    }
    key_approval(kb, region, month);
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    int found = 0;
    int rc = rec_get(txn, s->approvals, "approvals", &k, &d, &found);
    if (rc == ERR_OK && found) {
        rc = rec_malformed("approvals", &k, parse_approval(&k, &d, out));
    }
    if (rc == ERR_OK) {
        rc = store_exception_txn(s, txn, kb, region, month, &out->exception);
    }
    return rc;
}

int store_locked_txn(const store_t *s, MDB_txn *txn, buf_t *kb,
                     uint32_t region, int32_t month, int *locked)
{
    store_approval_t a;
    int rc = get_state(s, txn, kb, region, month, &a);
    *locked = rc == ERR_OK && a.state != STORE_OPEN;
    return rc;
}

/* The approved months of a region, for totals (read.c): the keys of one
 * region are adjacent and in month order, so its months from..to are one
 * seek and a walk of at most to - from + 1 records. An OPEN month has no
 * record, so every month is approved iff the walk finds them all. */
int store_approvals_any(const store_t *s, MDB_txn *txn, int *any)
{
    *any = 0;
    if (s->approvals == 0) {
        return ERR_OK;
    }
    MDB_stat st;
    int rc = lmdbh_code(mdb_stat(txn, s->approvals, &st));
    *any = rc == ERR_OK && st.ms_entries > 0;
    return rc;
}

int store_approved_span(const store_t *s, MDB_cursor *cur, buf_t *kb,
                        uint32_t region, int32_t from, int32_t to,
                        int *all)
{
    (void)s;
    *all = 0;
    key_approval(kb, region, from);
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    int64_t found = 0;
    int rc = ERR_OK;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    while (mrc == MDB_SUCCESS) {
        store_approval_t a;
        rc = rec_unseal("approvals", &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed("approvals", &k, parse_approval(&k, &d, &a));
        }
        if (rc != ERR_OK || a.region != region || a.month > to) {
            break;
        }
        found++;
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = lmdbh_code(mrc);
    }
    *all = rc == ERR_OK && found == (int64_t)to - from + 1;
    return rc;
}

/* ------------------------------------------------------------- the rules */

static const char *action_word(enum store_approval_action a)
{
    switch (a) {
    case STORE_APPROVE: return "approve";
    case STORE_UNAPPROVE: return "unapprove";
    case STORE_ACCEPT: return "accept";
    case STORE_UNACCEPT: return "unaccept";
    case STORE_EXCEPT: return "except";
    case STORE_UNEXCEPT: return "unexcept";
    }
    return "?";
}

const char *store_approval_state_name(enum store_approval_state st)
{
    switch (st) {
    case STORE_OPEN: return "open";
    case STORE_APPROVED: return "approved";
    case STORE_ACCEPTED: return "accepted";
    }
    return "?";
}

const char *store_approval_action_name(enum store_approval_action a)
{
    return action_word(a);
}

/* Why @p rq may not be done now, into @p err (ERR_INVAL, ERR_DENIED), or
 * ERR_OK with the region's new state in *@p next. */
static int check_rules(const store_t *s, MDB_txn *txn, buf_t *kb,
                       const store_approval_req_t *rq, int ri,
                       const store_approval_t *cur,
                       enum store_approval_state *next, char err[ERR_LEN])
{
    const catalog_t *cat = s->cat;
    const region_t *r = catalog_region(cat, (size_t)ri);
    int root = catalog_region_root(cat);
    int needs_root = rq->action == STORE_ACCEPT ||
                     rq->action == STORE_UNACCEPT;
    int scope = needs_root ? root : ri;
    char month[16];
    month_format(rq->month, month, sizeof month);
    if (rq->allowed != NULL && !rq->allowed[scope]) {
        snprintf(err, ERR_LEN, "%s %s %s: %s may not: its scope does not "
                               "cover %s", action_word(rq->action),
                 r->code_str, month, rq->by,
                 needs_root ? "the province" : r->code_str);
        return ERR_DENIED;
    }
    enum store_approval_state want = rq->action == STORE_APPROVE
                                         ? STORE_OPEN
                                     : rq->action == STORE_ACCEPT
                                         ? STORE_APPROVED
                                     : rq->action == STORE_UNAPPROVE
                                         ? STORE_APPROVED
                                         : STORE_ACCEPTED;
    if ((rq->action == STORE_ACCEPT || rq->action == STORE_UNACCEPT) &&
        r->parent != root) {
        snprintf(err, ERR_LEN, "%s %s %s: only a city's approval is "
                               "accepted (by the province)",
                 action_word(rq->action), r->code_str, month);
        return ERR_INVAL;
    }
    if (cur->state != want) {
        snprintf(err, ERR_LEN, "%s %s %s: it is %s, not %s",
                 action_word(rq->action), r->code_str, month,
                 store_approval_state_name(cur->state),
                 store_approval_state_name(want));
        return ERR_INVAL;
    }
    store_approval_t other;
    int rc = ERR_OK;
    if (rq->action == STORE_APPROVE) {
        enum store_approval_state least = ri == root ? STORE_ACCEPTED
                                                     : STORE_APPROVED;
        for (size_t i = 0; rc == ERR_OK && i < r->n_children; i++) {
            const region_t *c = catalog_region(cat, (size_t)r->children[i]);
            rc = get_state(s, txn, kb, c->code, rq->month, &other);
            if (rc == ERR_OK && other.state < least) {
                snprintf(err, ERR_LEN, "approve %s %s: %s %s (%s) is %s: "
                                       "every region below must be %s "
                                       "first",
                         r->code_str, month, c->name_zh, c->code_str,
                         month, store_approval_state_name(other.state),
                         store_approval_state_name(least));
                return ERR_INVAL;
            }
        }
    }
    int guard = rq->action == STORE_UNAPPROVE ? r->parent
                : rq->action == STORE_UNACCEPT ? root
                                               : -1;
    if (rc == ERR_OK && guard >= 0) {
        const region_t *p = catalog_region(cat, (size_t)guard);
        rc = get_state(s, txn, kb, p->code, rq->month, &other);
        if (rc == ERR_OK && other.state != STORE_OPEN) {
            snprintf(err, ERR_LEN, "%s %s %s: %s %s is %s: unapprove it "
                                   "first",
                     action_word(rq->action), r->code_str, month,
                     p->name_zh, p->code_str,
                     store_approval_state_name(other.state));
            return ERR_INVAL;
        }
    }
    *next = rq->action == STORE_APPROVE || rq->action == STORE_UNACCEPT
                ? STORE_APPROVED
            : rq->action == STORE_ACCEPT ? STORE_ACCEPTED
                                         : STORE_OPEN;
    return rc;
}

int store_approval_log_put(store_t *s, MDB_txn *txn, buf_t *kb, buf_t *vb,
                           const store_approval_req_t *rq)
{
    uint64_t id = 0;
    int rc = lmdbh_next_id(txn, s->approvals_log, CODEC_KEY_V1, &id);
    if (rc == ERR_OK) {
        codec_key_id(kb, id);
        MDB_val k = lmdbh_val(kb);
        put_log(vb, rq);
        rc = rec_put(txn, s->approvals_log, &k, vb, MDB_APPEND);
    }
    if (rc == ERR_OK) { /* its audit chain link, in the same txn */
        MDB_val k = lmdbh_val(kb);
        rc = chain_append(s, txn, NULL, CHAIN_APPROVALS_LOG, &k, vb);
    }
    return rc;
}

/* Write the new state and its log record (INVARIANT 2). */
static int record(store_t *s, MDB_txn *txn, buf_t *kb, buf_t *vb,
                  const store_approval_req_t *rq,
                  enum store_approval_state next, store_approval_t *out)
{
    store_approval_t a = {.region = rq->region, .month = rq->month,
                          .state = next, .at = rq->at};
    snprintf(a.by, sizeof a.by, "%s", rq->by);
    key_approval(kb, rq->region, rq->month);
    MDB_val k = lmdbh_val(kb);
    int rc;
    if (next == STORE_OPEN) {
        rc = lmdbh_code(mdb_del(txn, s->approvals, &k, NULL));
    } else {
        put_approval(vb, &a);
        rc = rec_put(txn, s->approvals, &k, vb, 0);
    }
    if (rc == ERR_OK) {
        rc = store_approval_log_put(s, txn, kb, vb, rq);
    }
    if (rc == ERR_OK && out != NULL) {
        *out = a;
    }
    return rc;
}

static int act_once(store_t *s, const store_approval_req_t *rq, int ri,
                    store_approval_t *out, char err[ERR_LEN])
{
    MDB_txn *txn = NULL;
    buf_t kb;
    buf_t vb;
    buf_init(&kb);
    buf_init(&vb);
    int rc = env_txn_begin(s, 0, &txn, err);
    store_approval_t cur;
    enum store_approval_state next = STORE_OPEN;
    int exc = rq->action == STORE_EXCEPT || rq->action == STORE_UNEXCEPT;
    if (rc == ERR_OK && exc) {
        rc = store_exception_act(s, txn, &kb, &vb, rq, out, err);
    } else {
        if (rc == ERR_OK) {
            rc = get_state(s, txn, &kb, rq->region, rq->month, &cur);
        }
        if (rc == ERR_OK) {
            rc = check_rules(s, txn, &kb, rq, ri, &cur, &next, err);
        }
        if (rc == ERR_OK) {
            rc = record(s, txn, &kb, &vb, rq, next, out);
        }
        if (rc == ERR_OK && out != NULL) {
            out->exception = cur.exception;
        }
    }
    if (rc == ERR_OK) {
        rc = env_txn_commit(s, &txn, "approval", err);
    } else {
        if (rc == ERR_CORRUPT) {
            rec_fail(s->file, "approval", rc, err);
        } else if (rc != ERR_INVAL && rc != ERR_DENIED && err[0] == '\0') {
            snprintf(err, ERR_LEN, "approval: %s", err_str(rc));
        }
        env_txn_abort(s, &txn);
    }
    buf_fini(&kb);
    buf_fini(&vb);
    return rc;
}

int store_approval_act(store_t *self, const store_approval_req_t *rq,
                       store_approval_t *out, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    err[0] = '\0';
    if (self->readonly || self->approvals == 0) {
        snprintf(err, ERR_LEN, "%.300s is open read-only here: approvals are "
                               "written by the collector (hrssctl "
                               "--connect)", self->file);
        return ERR_INVAL;
    }
    int ri = catalog_region_find(self->cat, rq->region);
    if (ri < 0) {
        snprintf(err, ERR_LEN, "unknown region %u", rq->region);
        return ERR_NOTFOUND;
    }
    if (rq->by == NULL || !codec_reporter_valid(rq->by)) {
        snprintf(err, ERR_LEN, "an approval needs a name: 1 to %d printable "
                               "bytes", STORE_REPORTER_MAX);
        return ERR_INVAL;
    }
    int rc;
    for (;;) {
        rc = act_once(self, rq, ri, out, err);
        if (rc != ERR_FULL) {
            break;
        }
        rc = env_grow_map(self, err);
        if (rc != ERR_OK) {
            break;
        }
        err[0] = '\0';
    }
    return rc;
}

/* ------------------------------------------------------------- reading */

int store_approval_get(store_t *self, uint32_t region, int32_t month,
                       store_approval_t *out, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    MDB_txn *txn = NULL;
    int rc = snap_begin(self, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_init(&kb);
    rc = get_state(self, txn, &kb, region, month, out);
    buf_fini(&kb);
    snap_end(self, &txn);
    return rc == ERR_OK ? rc : rec_fail(self->file, "approvals", rc, err);
}

/* Depth-first from @p ri: each region's state, the region before its
 * children (catalog order); only the regions that exist in the month
 * (catalog validity: the month's map). */
static int walk(store_t *s, MDB_txn *txn, buf_t *kb, int ri, int32_t month,
                store_approval_fn fn, void *arg, int *stop)
{
    const region_t *r = catalog_region(s->cat, (size_t)ri);
    store_approval_t a;
    int rc = ERR_OK;
    if (catalog_region_valid(s->cat, ri, month)) {
        rc = get_state(s, txn, kb, r->code, month, &a);
        if (rc != ERR_OK || *stop) {
            return rc;
        }
        *stop = fn(&a, arg) != 0;
    }
    for (size_t i = 0; rc == ERR_OK && !*stop && i < r->n_children; i++) {
        rc = walk(s, txn, kb, r->children[i], month, fn, arg, stop);
    }
    return rc;
}

int store_approvals(store_t *self, int32_t month, uint32_t under,
                    store_approval_fn fn, void *arg, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    int ri = under == 0 ? catalog_region_root(self->cat)
                        : catalog_region_find(self->cat, under);
    if (ri < 0) {
        snprintf(err, ERR_LEN, "unknown region %u", under);
        return ERR_NOTFOUND;
    }
    MDB_txn *txn = NULL;
    int rc = snap_begin(self, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_init(&kb);
    int stop = 0;
    rc = walk(self, txn, &kb, ri, month, fn, arg, &stop);
    buf_fini(&kb);
    snap_end(self, &txn);
    return rc == ERR_OK ? rc : rec_fail(self->file, "approvals", rc, err);
}

int store_approval_log(store_t *self, int32_t month,
                       store_approval_event_fn fn, void *arg,
                       char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    if (self->approvals_log == 0) {
        return ERR_OK;
    }
    MDB_txn *txn = NULL;
    int rc = snap_begin(self, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    MDB_cursor *cur = NULL;
    rc = lmdbh_code(mdb_cursor_open(txn, self->approvals_log, &cur));
    MDB_val k;
    MDB_val d;
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &k, &d, MDB_FIRST)
                           : MDB_NOTFOUND;
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        store_approval_event_t e;
        rc = rec_unseal("approvals_log", &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed("approvals_log", &k, parse_log(&k, &d, &e));
        }
        if (rc == ERR_OK && e.month == month && fn(&e, arg) != 0) {
            break;
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = lmdbh_code(mrc);
    }
    mdb_cursor_close(cur);
    snap_end(self, &txn);
    return rc == ERR_OK ? rc : rec_fail(self->file, "approvals_log", rc, err);
}
