/* spool_verify.c: the whole-spool walk behind `hrss-agent check`
 * (spool.h: spool_verify, spool_check_queue).
 *
 * One read transaction, so that the cross-checks compare one snapshot
 * and a running agent is not held up (LMDB readers block no writer).
 * Tables are walked in order (meta, queue, rejects, sources, receipts
 * when the spool has it), record by record:
 *   - the record's size, seal and layout (spool_rec.c);
 *   - its key found again by a lookup, at the same record: a damaged
 *     branch page sends lookups (spool_read's, spool_has_source's)
 *     elsewhere while a walk still finds every leaf;
 *   - keys in order; in the queue, each seq from acked_next on, once,
 *     below next_assign, and none missing at the end; in rejects, no seq
 *     past next_assign; in receipts, none at or past acked_next (a
 *     receipt is written by the ack that deletes its update);
 *   - the walked count against LMDB's own (what `status` reports).
 * An LMDB error in a table (a damaged page it noticed) ends that table's
 * walk with a problem; the transaction is then renewed for the next
 * table, and the checks across tables are left out (complete = 0).
 *
 * INVARIANTS
 *   1. Writes nothing; every problem goes to the callback at most once,
 *      in the order found, and is counted even after the callback asked
 *      to stop (the walk stops then).
 *   2. A value is looked at only after its size was checked against
 *      SPOOL_REC_MAX (spool_seal_problem).
 *   3. A read-only handle follows the format of the walk's own snapshot
 *      (a writer may have upgraded the file since the open).
 */
#include "agent/spool_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/lmdbh.h"

typedef struct walk {
    spool_t *s;
    MDB_txn *txn;
    spool_problem_fn fn;
    void *arg;
    spool_verify_t *out;
    int stop;         /* the callback asked to stop */
    int counters_ok;  /* acked_next and next_assign were readable */
    int renewed;      /* a table's LMDB error renewed the txn */
    int broken;       /* the txn failed: renew before the next table */
    int queue_only;   /* spool_check_queue: meta is not walked */
    uint64_t expect;  /* queue: the next seq the walk must meet */
} walk_t;

static void problem(walk_t *w, enum spool_table t, const MDB_val *k,
                    const char *what)
{
    spool_problem_t p;
    memset(&p, 0, sizeof p);
    p.table = spool_table_name(t);
    if (k != NULL) {
        spool_key_text(t, k, p.key, sizeof p.key);
    }
    snprintf(p.what, sizeof p.what, "%s", what);
    spool_damage(w->s, t, k, what, p.text);
    w->out->problems++;
    if (!w->stop && w->fn != NULL && w->fn(&p, w->arg) != 0) {
        w->stop = 1;
    }
}

/* A problem of the file itself, outside any table. */
static void file_problem(walk_t *w, const char *what)
{
    spool_problem_t p;
    memset(&p, 0, sizeof p);
    p.table = "";
    snprintf(p.what, sizeof p.what, "%s", what);
    snprintf(p.text, sizeof p.text, "spool %.300s: %s", w->s->file, what);
    w->out->problems++;
    if (!w->stop && w->fn != NULL && w->fn(&p, w->arg) != 0) {
        w->stop = 1;
    }
}

/* A problem about seq @p seq of table @p t, which may have no key. */
static void seq_problem(walk_t *w, enum spool_table t, uint64_t seq,
                        const char *what)
{
    buf_t k;
    buf_init(&k);
    spool_key_seq(&k, seq);
    MDB_val kv = lmdbh_val(&k);
    problem(w, t, &kv, what);
    buf_fini(&k);
}

/* The value of @p k unsealed into @p d; a problem when it is not. */
static int unsealed(walk_t *w, enum spool_table t, const MDB_val *k,
                    MDB_val *d)
{
    char buf[80];
    const char *what = spool_seal_problem(w->s, k, d, buf, sizeof buf);
    if (what != NULL) {
        problem(w, t, k, what);
    }
    return what == NULL;
}

static int key_is(const MDB_val *k, const char *name)
{
    return k->mv_size == strlen(name) &&
           memcmp(k->mv_data, name, k->mv_size) == 0;
}

static void meta_record(walk_t *w, const MDB_val *k, MDB_val *d)
{
    if (key_is(k, "format")) {
        if (d->mv_size != 8 && d->mv_size != 4) {
            problem(w, SPOOL_T_META, k, "malformed record");
        }
        return; /* its value was read at the start (walk_begin) */
    }
    if (!unsealed(w, SPOOL_T_META, k, d)) {
        return;
    }
    int ok = 1;
    if (key_is(k, "next_assign") || key_is(k, "acked_next")) {
        ok = d->mv_size == 8 || (!w->s->sealed && d->mv_size == 4);
    } else if (key_is(k, "rejections_seen")) {
        ok = d->mv_size == 8; /* the seen mark: a u64, written sealed */
    } else if (key_is(k, "identity")) {
        char text[160];
        lmdbh_key_text(d, text, sizeof text);
        ok = d->mv_size > 2 && strlen(text) == d->mv_size &&
             memchr(d->mv_data, ' ', d->mv_size) != NULL;
    }
    if (!ok) {
        problem(w, SPOOL_T_META, k, "malformed record");
    }
}

/* Where seq @p seq stands against the queue's counters. */
static void queue_place(walk_t *w, const MDB_val *k, uint64_t seq)
{
    char what[160];
    uint64_t next = w->out->next_assign;
    if (seq >= next) {
        snprintf(what, sizeof what, "beyond the last assigned seq %llu (a "
                                    "damaged key)",
                 (unsigned long long)(next - 1));
        problem(w, SPOOL_T_QUEUE, k, what);
        return;
    }
    if (seq < w->out->acked_next) {
        snprintf(what, sizeof what, "below acked_next %llu: acknowledged "
                                    "but still queued",
                 (unsigned long long)w->out->acked_next);
        problem(w, SPOOL_T_QUEUE, k, what);
        return;
    }
    if (seq > w->expect) {
        snprintf(what, sizeof what, "missing (seqs %llu..%llu are not in "
                                    "the queue)",
                 (unsigned long long)w->expect,
                 (unsigned long long)(seq - 1));
        seq_problem(w, SPOOL_T_QUEUE, w->expect, what);
    }
    w->expect = seq + 1;
}

static void queue_record(walk_t *w, const MDB_val *k, MDB_val *d)
{
    uint64_t seq = 0;
    spool_update_t u;
    if (spool_parse_seq(k, &seq) != ERR_OK) {
        problem(w, SPOOL_T_QUEUE, k, "malformed key");
        return;
    }
    if (w->counters_ok && !w->renewed) {
        queue_place(w, k, seq);
    }
    if (unsealed(w, SPOOL_T_QUEUE, k, d) &&
        (spool_parse_queued(k, d, &u) != ERR_OK || u.indicator[0] == '\0')) {
        problem(w, SPOOL_T_QUEUE, k, "malformed record");
    }
}

static void rejects_record(walk_t *w, const MDB_val *k, MDB_val *d)
{
    uint64_t seq = 0;
    spool_rejection_t r;
    if (spool_parse_seq(k, &seq) != ERR_OK) {
        problem(w, SPOOL_T_REJECTS, k, "malformed key");
        return;
    }
    if (w->counters_ok && !w->renewed && seq >= w->out->next_assign) {
        problem(w, SPOOL_T_REJECTS, k,
                "beyond the last assigned seq (a damaged key)");
    }
    if (unsealed(w, SPOOL_T_REJECTS, k, d) &&
        spool_parse_rejection(k, d, &r) != ERR_OK) {
        problem(w, SPOOL_T_REJECTS, k, "malformed record");
    }
}

static void sources_record(walk_t *w, const MDB_val *k, MDB_val *d)
{
    if (!unsealed(w, SPOOL_T_SOURCES, k, d)) {
        return;
    }
    buf_reader_t r;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    int ok = buf_get_u8(&r) == SPOOL_REC_V1;
    buf_get_i64(&r);
    spool_cell_t c;
    if (!ok || !buf_done(&r) || k->mv_size == 0) {
        problem(w, SPOOL_T_SOURCES, k, "malformed record");
    } else if (spool_is_cell_key(k) && spool_parse_cell_key(k, &c) != ERR_OK) {
        problem(w, SPOOL_T_SOURCES, k, "malformed key");
    }
}

/* A receipt: only for an acknowledged seq (below acked_next), sealed,
 * its layout whole (spool_parse_receipt). */
static void receipts_record(walk_t *w, const MDB_val *k, MDB_val *d)
{
    uint64_t seq = 0;
    spool_receipt_t r;
    if (spool_parse_seq(k, &seq) != ERR_OK) {
        problem(w, SPOOL_T_RECEIPTS, k, "malformed key");
        return;
    }
    if (w->counters_ok && !w->renewed && seq >= w->out->acked_next) {
        problem(w, SPOOL_T_RECEIPTS, k,
                "not acknowledged yet (at or past acked_next: a damaged "
                "key)");
    }
    if (unsealed(w, SPOOL_T_RECEIPTS, k, d) &&
        spool_parse_receipt(k, d, &r) != ERR_OK) {
        problem(w, SPOOL_T_RECEIPTS, k, "malformed record");
    }
}

typedef void (*record_fn)(walk_t *w, const MDB_val *k, MDB_val *d);

/* Before record @p k of table @p t is looked at: say where the walk is,
 * check the key's order after @p last and find the key again by lookup.
 * @return 0, or an LMDB code that ends the table's walk. */
static int before_record(walk_t *w, enum spool_table t, const MDB_val *k,
                         const MDB_val *d, const buf_t *last)
{
    spool_verify_t *o = w->out;
    o->at_table = (int)t;
    o->at_key_len = (unsigned)(k->mv_size < sizeof o->at_key
                                   ? k->mv_size
                                   : sizeof o->at_key);
    memcpy(o->at_key, k->mv_data, o->at_key_len);
    o->records[t]++;
    MDB_val prev = lmdbh_val(last);
    if (last->len > 0 && mdb_cmp(w->txn, w->s->dbi[t], &prev, k) >= 0) {
        problem(w, t, k, "out of order (a damaged key)");
    }
    MDB_val lk = *k;
    MDB_val ld;
    int mrc = mdb_get(w->txn, w->s->dbi[t], &lk, &ld);
    if (mrc == MDB_SUCCESS && ld.mv_data == d->mv_data) {
        return MDB_SUCCESS;
    }
    if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        return mrc;
    }
    problem(w, t, k, "not found again by its key (an index page is "
                     "damaged)");
    return MDB_SUCCESS;
}

/* LMDB's count of table @p t against the walk's. */
static void check_count(walk_t *w, enum spool_table t)
{
    MDB_stat st;
    memset(&st, 0, sizeof st);
    if (mdb_stat(w->txn, w->s->dbi[t], &st) != MDB_SUCCESS ||
        st.ms_entries != w->out->records[t]) {
        char what[160];
        snprintf(what, sizeof what, "LMDB counts %llu records, the walk "
                                    "found %llu (a damaged page header)",
                 (unsigned long long)st.ms_entries,
                 (unsigned long long)w->out->records[t]);
        problem(w, t, NULL, what);
    }
}

static void walk_table(walk_t *w, enum spool_table t, record_fn each)
{
    MDB_cursor *cur = NULL;
    MDB_val kv;
    MDB_val dv;
    buf_t last;
    buf_init(&last);
    w->out->at_table = (int)t; /* no key yet: "table T" */
    w->out->at_key_len = 0;
    int mrc = mdb_cursor_open(w->txn, w->s->dbi[t], &cur);
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_cursor_get(cur, &kv, &dv, MDB_FIRST);
    }
    while (mrc == MDB_SUCCESS && !w->stop) {
        mrc = before_record(w, t, &kv, &dv, &last);
        if (mrc != MDB_SUCCESS) {
            break;
        }
        each(w, &kv, &dv);
        buf_reset(&last);
        buf_put(&last, kv.mv_data, kv.mv_size);
        mrc = mdb_cursor_get(cur, &kv, &dv, MDB_NEXT);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        char what[200];
        snprintf(what, sizeof what, "%s: the table cannot be read %s (LMDB: "
                                    "%s)",
                 last.len > 0 ? "after this key" : "from its start",
                 last.len > 0 ? "past it" : "", mdb_strerror(mrc));
        MDB_val lk = lmdbh_val(&last);
        problem(w, t, last.len > 0 ? &lk : NULL, what);
        w->broken = 1;
    } else if (mrc == MDB_NOTFOUND) {
        check_count(w, t);
    }
    buf_fini(&last);
}

/* The format and the queue's counters, from the walk's snapshot. */
static void walk_begin(walk_t *w)
{
    spool_verify_t *o = w->out;
    uint64_t format = 0;
    char err[ERR_LEN];
    if (lmdbh_meta_get(w->txn, w->s->dbi[SPOOL_T_META], "format", 0,
                       &format, NULL) == ERR_OK &&
        (format == SPOOL_FORMAT || format == SPOOL_FORMAT_1)) {
        o->format = (unsigned)format;
    } else {
        MDB_val k = {6, (void *)(uintptr_t)"format"};
        problem(w, SPOOL_T_META, &k, "unreadable format value");
    }
    if (w->s->readonly && o->format != 0) {
        w->s->sealed = o->format == SPOOL_FORMAT; /* INVARIANT 3 */
    }
    w->counters_ok =
        spool_meta_get(w->s, w->txn, "acked_next", &o->acked_next, err) ==
            ERR_OK &&
        spool_meta_get(w->s, w->txn, "next_assign", &o->next_assign, err) ==
            ERR_OK;
    if (!w->counters_ok && w->queue_only) {
        problem(w, SPOOL_T_META, NULL, "acked_next or next_assign cannot "
                                       "be read");
    }
    if (w->counters_ok && o->acked_next > o->next_assign) {
        MDB_val k = {10, (void *)(uintptr_t)"acked_next"};
        problem(w, SPOOL_T_META, &k, "past next_assign");
        w->counters_ok = 0;
    }
    w->expect = o->acked_next;
}

/* After the queue's walk: the seqs it must still hold. */
static void queue_end(walk_t *w)
{
    uint64_t next = w->out->next_assign;
    if (w->counters_ok && !w->renewed && !w->broken && !w->stop &&
        w->expect < next) {
        char what[160];
        snprintf(what, sizeof what, "missing (seqs %llu..%llu are not in "
                                    "the queue)",
                 (unsigned long long)w->expect,
                 (unsigned long long)(next - 1));
        seq_problem(w, SPOOL_T_QUEUE, w->expect, what);
    }
}

/* A new snapshot after a table's walk failed the transaction. */
static int renew(walk_t *w)
{
    if (!w->broken) {
        return MDB_SUCCESS;
    }
    mdb_txn_abort(w->txn);
    w->txn = NULL;
    w->broken = 0;
    w->renewed = 1;
    return mdb_txn_begin(w->s->env, NULL, MDB_RDONLY, &w->txn);
}

static int walk(spool_t *self, walk_t *w, char err[ERR_LEN])
{
    static const record_fn each[SPOOL_T_N + 1] = {
        meta_record, queue_record, rejects_record, sources_record,
        receipts_record};
    int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &w->txn);
    if (mrc != MDB_SUCCESS) {
        return spool_fail(mrc, "cannot read spool", err);
    }
    char why[200];
    int agree = lmdbh_metas_agree(self->env, why, sizeof why);
    if (agree <= 0) {
        file_problem(w, why);
    }
    walk_begin(w);
    for (int t = 0; mrc == MDB_SUCCESS && !w->stop && t <= SPOOL_T_RECEIPTS;
         t++) {
        if ((w->queue_only && t != SPOOL_T_QUEUE) ||
            (t == SPOOL_T_RECEIPTS && !self->have_receipts)) {
            continue;
        }
        walk_table(w, (enum spool_table)t, each[t]);
        if (t == SPOOL_T_QUEUE) {
            queue_end(w);
        }
        mrc = renew(w);
    }
    w->out->complete = !w->renewed && !w->stop && mrc == MDB_SUCCESS;
    if (w->txn != NULL) {
        mdb_txn_abort(w->txn);
    }
    if (mrc != MDB_SUCCESS) {
        return spool_fail(mrc, "cannot read spool", err);
    }
    return ERR_OK;
}

int spool_verify(spool_t *self, spool_problem_fn fn, void *arg,
                 spool_verify_t *out, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    memset(out, 0, sizeof *out);
    out->at_table = -1;
    out->acked_next = out->next_assign = 1;
    walk_t w;
    memset(&w, 0, sizeof w);
    w.s = self;
    w.fn = fn;
    w.arg = arg;
    w.out = out;
    return walk(self, &w, err);
}

static int first_problem(const spool_problem_t *p, void *arg)
{
    snprintf(arg, ERR_LEN, "%s", p->text);
    return 1;
}

int spool_check_queue(spool_t *self, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    spool_verify_t out;
    memset(&out, 0, sizeof out);
    out.acked_next = out.next_assign = 1;
    walk_t w;
    memset(&w, 0, sizeof w);
    w.s = self;
    w.fn = first_problem;
    w.arg = err;
    w.out = &out;
    w.queue_only = 1;
    int rc = walk(self, &w, err);
    if (rc == ERR_OK && out.problems > 0) {
        rc = ERR_CORRUPT;
    }
    return rc;
}

char *spool_verify_where(const spool_verify_t *v, char *out, size_t cap)
{
    char key[96] = "";
    out[0] = '\0';
    if (v->at_table < 0 || v->at_table > SPOOL_T_RECEIPTS) {
        return out;
    }
    enum spool_table t = (enum spool_table)v->at_table;
    if (v->at_key_len > 0) {
        MDB_val k = {v->at_key_len, (void *)(uintptr_t)v->at_key};
        spool_key_text(t, &k, key, sizeof key);
    }
    snprintf(out, cap, "table %s%s%s", spool_table_name(t),
             key[0] != '\0' ? ", " : "", key);
    return out;
}
