/* comment.c: comments on a cell, and the cells marked for follow-up
 * (store.h: store_comment_add, store_comments, store_followups).
 *
 * Anyone who may write comments (the query server decides: an admin key
 * within its regions, or a name on a plain collector) may add one to any
 * cell (indicator, region, month), whether it holds a figure or not: a
 * missing figure is worth following up too. A comment may also mark the
 * cell for follow-up, or clear that mark (saying what was done):
 *
 *   UNMARKED --comment with STORE_FOLLOW_UP--> MARKED
 *   MARKED   --comment with STORE_RESOLVE----> UNMARKED
 *   either   --comment with STORE_NOTE-------> the same (MARKED: the
 *                                              followups record names it
 *                                              as the newest)
 *
 * (store_comment_add makes every transition; a mark the cell cannot take
 * is refused with ERR_INVAL and nothing written.)
 *
 * Tables (both sealed, rec.c; created by a writable open, absent from an
 * older store opened otherwise, which then has no comments):
 *   "comments":  key CODEC_KEY_V1 IND region:u32 month:u32 id:u64 (the
 *                cell's key, codec_key_cell, then the comment's number in
 *                the cell), so that a cell's comments are adjacent and in
 *                order; value CODEC_REC_V1 at:i64 mark:u8 by\0 text\0.
 *   "followups": key the cell's key (codec_key_cell); value CODEC_REC_V1
 *                marked:u64 newest:u64, the ids of the comment that
 *                marked the cell and of its newest comment.
 *
 * INVARIANTS
 *   1. A cell's comments are numbered 1..n without gaps, n at most
 *      STORE_COMMENTS_PER_CELL (which bounds a history answer), and are
 *      never changed or deleted.
 *   2. A followups record exists iff the newest comment of the cell that
 *      set a mark set STORE_FOLLOW_UP; it names that comment and the
 *      cell's newest comment, and is written in the transaction that adds
 *      the comment.
 *   3. A comment's text is 1..STORE_COMMENT_MAX bytes of valid UTF-8
 *      without control characters and not only spaces; its author passed
 *      codec_reporter_valid().
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/lmdbh.h"
#include "common/text.h"
#include "store/codec.h"
#include "store/chain.h"
#include "store/env.h"
#include "store/rec.h"
#include "store/snap.h"

int comment_open_dbs(store_t *s, MDB_txn *txn, unsigned flags,
                     char err[ERR_LEN])
{
    static const char *const names[] = {"comments", "followups"};
    MDB_dbi *dbis[] = {&s->comments, &s->followups};
    for (size_t i = 0; i < 2; i++) {
        int mrc = mdb_dbi_open(txn, names[i], flags, dbis[i]);
        if (mrc == MDB_NOTFOUND && !(flags & MDB_CREATE)) {
            *dbis[i] = 0;
            continue;
        }
        if (mrc != MDB_SUCCESS) {
            char what[64];
            snprintf(what, sizeof what, "cannot open database '%s'",
                     names[i]);
            return lmdbh_fail(mrc, what, err);
        }
    }
    return ERR_OK;
}

const char *store_comment_mark_name(enum store_comment_mark m)
{
    switch (m) {
    case STORE_NOTE: return "note";
    case STORE_FOLLOW_UP: return "follow-up";
    case STORE_RESOLVE: return "resolve";
    }
    return "?";
}

/* ------------------------------------------------------------- records */

static void key_comment(buf_t *b, const char *code, uint32_t region,
                        int32_t month, uint64_t id)
{
    codec_key_cell(b, code, region, month);
    buf_put_u64(b, id);
}

static void put_comment(buf_t *b, const store_comment_req_t *rq)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    buf_put_i64(b, rq->at);
    buf_put_u8(b, (uint8_t)rq->mark);
    buf_put_str(b, rq->by);
    buf_put_str(b, rq->text);
}

/* A comments key: the cell (IND borrowed: catalog or key bytes) and the
 * comment's number. */
static int parse_comment_key(const MDB_val *k, const char **code,
                             uint32_t *region, int32_t *month, uint64_t *id)
{
    buf_reader_t r;
    buf_reader_init(&r, k->mv_data, k->mv_size);
    if (buf_get_u8(&r) != CODEC_KEY_V1) {
        return ERR_CORRUPT;
    }
    *code = codec_get_ind(&r);
    *region = buf_get_u32(&r);
    *month = (int32_t)buf_get_u32(&r);
    *id = buf_get_u64(&r);
    return buf_done(&r) && *id != 0 ? ERR_OK : ERR_CORRUPT;
}

/* A comments record into @p c; its indicator is the catalog's code
 * (borrowed), NULL when the catalog has no such indicator. */
static int parse_comment(const catalog_t *cat, const MDB_val *k,
                         const MDB_val *d, store_comment_t *c)
{
    buf_reader_t r;
    const char *code = NULL;
    memset(c, 0, sizeof *c);
    if (parse_comment_key(k, &code, &c->region, &c->month, &c->id) !=
        ERR_OK) {
        return ERR_CORRUPT;
    }
    int ii = catalog_indicator_find(cat, code);
    c->indicator = ii >= 0 ? catalog_indicator(cat, (size_t)ii)->code : NULL;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != CODEC_REC_V1) {
        return ERR_CORRUPT;
    }
    c->at = buf_get_i64(&r);
    unsigned mark = buf_get_u8(&r);
    const char *by = buf_get_str(&r);
    const char *text = buf_get_str(&r);
    if (!buf_done(&r) || mark > STORE_RESOLVE ||
        strlen(by) > STORE_REPORTER_MAX || strlen(text) > STORE_COMMENT_MAX) {
        return ERR_CORRUPT;
    }
    c->mark = (enum store_comment_mark)mark;
    memcpy(c->by, by, strlen(by) + 1);
    memcpy(c->text, text, strlen(text) + 1);
    return ERR_OK;
}

static void put_followup(buf_t *b, uint64_t marked, uint64_t newest)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    buf_put_u64(b, marked);
    buf_put_u64(b, newest);
}

static int parse_followup(const MDB_val *d, uint64_t *marked,
                          uint64_t *newest)
{
    buf_reader_t r;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != CODEC_REC_V1) {
        return ERR_CORRUPT;
    }
    *marked = buf_get_u64(&r);
    *newest = buf_get_u64(&r);
    return buf_done(&r) && *marked != 0 && *marked <= *newest ? ERR_OK
                                                              : ERR_CORRUPT;
}

int comment_rec_parse(const catalog_t *cat, const MDB_val *k,
                      const MDB_val *d)
{
    store_comment_t c;
    return parse_comment(cat, k, d, &c);
}

int followup_rec_parse(const MDB_val *k, const MDB_val *d)
{
    const char *code = NULL;
    uint32_t region = 0;
    int32_t month = 0;
    uint64_t marked = 0;
    uint64_t newest = 0;
    if (codec_parse_cell_key(k, &code, &region, &month) != ERR_OK) {
        return ERR_CORRUPT;
    }
    return parse_followup(d, &marked, &newest);
}

/* The cell's followups record: *@p found, and the two ids. */
static int get_followup(const store_t *s, MDB_txn *txn, buf_t *kb,
                        const char *code, uint32_t region, int32_t month,
                        int *found, uint64_t *marked, uint64_t *newest)
{
    codec_key_cell(kb, code, region, month);
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    *found = 0;
    int rc = rec_get(txn, s->followups, "followups", &k, &d, found);
    if (rc == ERR_OK && *found) {
        rc = rec_malformed("followups", &k,
                           parse_followup(&d, marked, newest));
    }
    return rc;
}

/* The cell's comment @p id (which must exist: INVARIANT 1/2). */
static int get_comment(const store_t *s, MDB_txn *txn, buf_t *kb,
                       const char *code, uint32_t region, int32_t month,
                       uint64_t id, store_comment_t *out)
{
    key_comment(kb, code, region, month, id);
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    int found = 0;
    int rc = rec_get(txn, s->comments, "comments", &k, &d, &found);
    if (rc == ERR_OK && !found) {
        rc = ERR_CORRUPT; /* named by a followups record, yet missing */
    }
    if (rc == ERR_OK) {
        rc = rec_malformed("comments", &k, parse_comment(s->cat, &k, &d, out));
    }
    return rc;
}

/* The number of the cell's newest comment (0: none), through one cursor:
 * the key after the cell's last possible one, and back one. */
static int last_id(const store_t *s, MDB_txn *txn, buf_t *kb,
                   const char *code, uint32_t region, int32_t month,
                   uint64_t *out)
{
    *out = 0;
    codec_key_cell(kb, code, region, month);
    size_t prefix = kb->len;
    buf_put_u64(kb, UINT64_MAX);
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, s->comments, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_cursor_get(cur, &k, &d, MDB_PREV);
    } else if (mrc == MDB_NOTFOUND) {
        mrc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
    }
    if (mrc == MDB_SUCCESS && k.mv_size == prefix + 8 &&
        memcmp(k.mv_data, kb->data, prefix) == 0) {
        const char *c = NULL;
        uint32_t r = 0;
        int32_t m = 0;
        rc = rec_malformed("comments", &k,
                           parse_comment_key(&k, &c, &r, &m, out));
    }
    return lmdbh_cursor_end(&cur, rc, mrc);
}

/* ------------------------------------------------------------- adding */

/* Why @p rq's text may not be stored, into @p err. */
static int check_text(const char *what, const char *text, char err[ERR_LEN])
{
    size_t len = text != NULL ? strlen(text) : 0;
    size_t at = 0;
    enum text_fault f = len > 0 ? text_check(text, &at) : TEXT_CLEAN;
    size_t blank = strspn(len > 0 ? text : "", " ");
    if (len == 0 || blank == len) {
        snprintf(err, ERR_LEN, "%s: a comment needs text (--text): what is "
                               "to be followed up, or what was done",
                 what);
        return ERR_INVAL;
    }
    if (len > STORE_COMMENT_MAX) {
        snprintf(err, ERR_LEN, "%s: the text is %zu bytes, more than the %d "
                               "a comment may have",
                 what, len, STORE_COMMENT_MAX);
        return ERR_INVAL;
    }
    if (f != TEXT_CLEAN) {
        snprintf(err, ERR_LEN, "%s: the text has %s at byte %zu: one line "
                               "of plain text, please",
                 what, text_fault_str(f), at);
        return ERR_INVAL;
    }
    return ERR_OK;
}

static int add_once(store_t *s, const store_comment_req_t *rq,
                    const char *code, const char *what,
                    store_comment_t *out, char err[ERR_LEN])
{
    MDB_txn *txn = NULL;
    buf_t kb;
    buf_t vb;
    buf_init(&kb);
    buf_init(&vb);
    int rc = env_txn_begin(s, 0, &txn, err);
    int marked = 0;
    uint64_t since = 0;
    uint64_t newest = 0;
    uint64_t id = 0;
    if (rc == ERR_OK) {
        rc = get_followup(s, txn, &kb, code, rq->region, rq->month, &marked,
                          &since, &newest);
    }
    if (rc == ERR_OK) {
        rc = last_id(s, txn, &kb, code, rq->region, rq->month, &id);
    }
    if (rc == ERR_OK && id >= STORE_COMMENTS_PER_CELL) {
        snprintf(err, ERR_LEN, "%s: the cell has %d comments, as many as a "
                               "cell keeps",
                 what, STORE_COMMENTS_PER_CELL);
        rc = ERR_INVAL;
    } else if (rc == ERR_OK && rq->mark == STORE_FOLLOW_UP && marked) {
        store_comment_t m;
        rc = get_comment(s, txn, &kb, code, rq->region, rq->month, since, &m);
        if (rc == ERR_OK) {
            snprintf(err, ERR_LEN, "%s: the cell is already marked for "
                                   "follow-up (comment %llu, by %s)",
                     what, (unsigned long long)since, m.by);
            rc = ERR_INVAL;
        }
    } else if (rc == ERR_OK && rq->mark == STORE_RESOLVE && !marked) {
        snprintf(err, ERR_LEN, "%s: the cell is not marked for follow-up",
                 what);
        rc = ERR_INVAL;
    }
    id++;
    if (rc == ERR_OK) {
        key_comment(&kb, code, rq->region, rq->month, id);
        MDB_val k = lmdbh_val(&kb);
        put_comment(&vb, rq);
        rc = rec_put(txn, s->comments, &k, &vb, 0);
        if (rc == ERR_OK) { /* its audit chain link, in the same txn */
            rc = chain_append(s, txn, NULL, CHAIN_COMMENTS, &k, &vb);
        }
    }
    if (rc == ERR_OK) {
        codec_key_cell(&kb, code, rq->region, rq->month);
        MDB_val k = lmdbh_val(&kb);
        if (rq->mark == STORE_RESOLVE) {
            rc = lmdbh_code(mdb_del(txn, s->followups, &k, NULL));
        } else if (rq->mark == STORE_FOLLOW_UP || marked) {
            put_followup(&vb, rq->mark == STORE_FOLLOW_UP ? id : since, id);
            rc = rec_put(txn, s->followups, &k, &vb, 0);
        }
    }
    if (rc == ERR_OK) {
        rc = env_txn_commit(s, &txn, "comment", err);
    } else {
        if (rc == ERR_CORRUPT) {
            rec_fail(s->file, "comment", rc, err);
        } else if (rc != ERR_INVAL && err[0] == '\0') {
            snprintf(err, ERR_LEN, "comment: %s", err_str(rc));
        }
        env_txn_abort(s, &txn);
    }
    if (rc == ERR_OK && out != NULL) {
        memset(out, 0, sizeof *out);
        out->indicator = code;
        out->region = rq->region;
        out->month = rq->month;
        out->id = id;
        out->at = rq->at;
        out->mark = rq->mark;
        snprintf(out->by, sizeof out->by, "%s", rq->by);
        snprintf(out->text, sizeof out->text, "%s", rq->text);
    }
    buf_fini(&kb);
    buf_fini(&vb);
    return rc;
}

int store_comment_add(store_t *self, const store_comment_req_t *rq,
                      store_comment_t *out, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    err[0] = '\0';
    if (self->readonly || self->comments == 0) {
        snprintf(err, ERR_LEN, "%.300s is open read-only here: comments are "
                               "written by the collector (hrssctl "
                               "--connect)", self->file);
        return ERR_INVAL;
    }
    int ii = rq->indicator != NULL
                 ? catalog_indicator_find(self->cat, rq->indicator)
                 : -1;
    if (ii < 0) {
        snprintf(err, ERR_LEN, "unknown indicator '%.64s'",
                 rq->indicator != NULL ? rq->indicator : "");
        return ERR_NOTFOUND;
    }
    const char *code = catalog_indicator(self->cat, (size_t)ii)->code;
    int ri = catalog_region_find(self->cat, rq->region);
    if (ri < 0) {
        snprintf(err, ERR_LEN, "unknown region %u", rq->region);
        return ERR_NOTFOUND;
    }
    char month[PERIOD_STR_LEN];
    month_format(rq->month, month, sizeof month);
    char what[160];
    snprintf(what, sizeof what, "%s %s %s %s",
             rq->mark == STORE_NOTE ? "comment"
                                    : store_comment_mark_name(rq->mark),
             code, catalog_region(self->cat, (size_t)ri)->code_str, month);
    if (rq->by == NULL || !codec_reporter_valid(rq->by)) {
        snprintf(err, ERR_LEN, "%s: a comment needs a name: 1 to %d "
                               "printable bytes", what, STORE_REPORTER_MAX);
        return ERR_INVAL;
    }
    if (rq->allowed != NULL && !rq->allowed[ri]) {
        snprintf(err, ERR_LEN, "%s: %s may not: its scope does not cover %s",
                 what, rq->by, catalog_region(self->cat, (size_t)ri)->code_str);
        return ERR_DENIED;
    }
    int rc = check_text(what, rq->text, err);
    if (rc != ERR_OK) {
        return rc;
    }
    for (;;) {
        rc = add_once(self, rq, code, what, out, err);
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

int store_comments(store_t *self, const char *indicator, uint32_t region,
                   int32_t month, store_comment_fn fn, void *arg,
                   char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    int ii = catalog_indicator_find(self->cat, indicator);
    if (ii < 0) {
        snprintf(err, ERR_LEN, "unknown indicator '%.64s'", indicator);
        return ERR_NOTFOUND;
    }
    if (self->comments == 0) {
        return ERR_OK;
    }
    const char *code = catalog_indicator(self->cat, (size_t)ii)->code;
    MDB_txn *txn = NULL;
    int rc = snap_begin(self, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_init(&kb);
    codec_key_cell(&kb, code, region, month);
    size_t prefix = kb.len;
    MDB_cursor *cur = NULL;
    rc = lmdbh_code(mdb_cursor_open(txn, self->comments, &cur));
    MDB_val k = lmdbh_val(&kb);
    MDB_val d;
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE)
                           : MDB_NOTFOUND;
    uint64_t want = 1;
    while (rc == ERR_OK && mrc == MDB_SUCCESS && k.mv_size > prefix &&
           memcmp(k.mv_data, kb.data, prefix) == 0) {
        store_comment_t c;
        rc = rec_unseal("comments", &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed("comments", &k,
                               parse_comment(self->cat, &k, &d, &c));
        }
        if (rc == ERR_OK && c.id != want++) {
            rc = rec_malformed("comments", &k, ERR_CORRUPT); /* INV. 1 */
        }
        if (rc != ERR_OK || fn(&c, arg) != 0) {
            break;
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    rc = lmdbh_cursor_end(&cur, rc, mrc);
    buf_fini(&kb);
    snap_end(self, &txn);
    return rc == ERR_OK ? rc : rec_fail(self->file, "comments", rc, err);
}

int store_followups(store_t *self, const period_t *p, uint32_t under,
                    store_followup_fn fn, void *arg, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    int within = -1;
    if (under != 0) {
        within = catalog_region_find(self->cat, under);
        if (within < 0) {
            snprintf(err, ERR_LEN, "unknown region %u", under);
            return ERR_NOTFOUND;
        }
    }
    if (self->followups == 0) {
        return ERR_OK;
    }
    MDB_txn *txn = NULL;
    int rc = snap_begin(self, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    buf_t kb;
    buf_init(&kb);
    MDB_cursor *cur = NULL;
    rc = lmdbh_code(mdb_cursor_open(txn, self->followups, &cur));
    MDB_val k;
    MDB_val d;
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &k, &d, MDB_FIRST)
                           : MDB_NOTFOUND;
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        const char *code = NULL;
        uint32_t region = 0;
        int32_t month = 0;
        uint64_t marked = 0;
        uint64_t newest = 0;
        rc = rec_unseal("followups", &k, &d);
        if (rc == ERR_OK) {
            rc = rec_malformed("followups", &k,
                               codec_parse_cell_key(&k, &code, &region,
                                                    &month));
        }
        if (rc == ERR_OK) {
            rc = rec_malformed("followups", &k,
                               parse_followup(&d, &marked, &newest));
        }
        int ii = rc == ERR_OK ? catalog_indicator_find(self->cat, code) : -1;
        int ri = rc == ERR_OK ? catalog_region_find(self->cat, region) : -1;
        int wanted = ii >= 0 && ri >= 0 &&
                     (p == NULL || (month >= p->first && month <= p->last)) &&
                     (within < 0 ||
                      catalog_region_within(self->cat, ri, within));
        if (rc == ERR_OK && wanted) {
            const char *c = catalog_indicator(self->cat, (size_t)ii)->code;
            store_followup_t f;
            rc = get_comment(self, txn, &kb, c, region, month, marked,
                             &f.marked);
            if (rc == ERR_OK) {
                rc = get_comment(self, txn, &kb, c, region, month, newest,
                                 &f.newest);
            }
            if (rc == ERR_OK && fn(&f, arg) != 0) {
                break;
            }
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    rc = lmdbh_cursor_end(&cur, rc, mrc);
    buf_fini(&kb);
    snap_end(self, &txn);
    return rc == ERR_OK ? rc : rec_fail(self->file, "followups", rc, err);
}
