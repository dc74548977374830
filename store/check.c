/* check.c: store_check(), the offline check of a whole store file.
 *
 * Design
 * ------
 * One read-only transaction in which
 *   1. every table is walked record by record: each value's seal is
 *      checked and each key and value parsed (check_table, one parser
 *      per table in parses());
 *   2. the records that point at each other are followed: a fact to the
 *      audit record that set it (same cell, same value) and on through
 *      the cell's chain of revisions, counting them; an audit record to
 *      the previous revision it names (same cell, its new value this
 *      one's old); a rejby entry to its rejection; an outlier to its
 *      fact, whose value it must hold (cross_*); and every
 *      audit record must be in some cell's chain (the counts agree);
 *      The audit chain's records (chain.h) are walked for their seals and
 *      layout; their hashes are `hrssctl audit verify`'s (chain_verify.c);
 *      so are approvals, approvals_log, exceptions, comments and
 *      followups (when the store has them);
 *   3. then, when nothing was wrong with the facts, the aggregates and
 *      violations are compared with a recomputation, in a write
 *      transaction that is always aborted (verify_derived_txn: the
 *      recomputation needs scratch databases, and may grow the map).
 * Each problem is handed to the caller's callback as one line naming the
 * file, the table and the key, and the walk goes on (a cursor error ends
 * that table's walk), so one run lists all the damage it can see.
 *
 * INVARIANTS
 *   1. Nothing is written: both transactions are aborted on every path.
 *   2. ERR_OK only when no problem was reported; every problem reported
 *      makes the result ERR_CORRUPT.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/lmdbh.h"
#include "store/chain.h"
#include "store/codec.h"
#include "store/env.h"
#include "store/tally.h"
#include "store/outlier.h"
#include "store/rec.h"

typedef struct chk {
    store_t *s;
    MDB_txn *txn;
    store_problem_fn fn;
    void *arg;
    store_check_counts_t *counts;
    buf_t kb;
    int facts_bad; /* a fact that failed: the recomputation would too */
    int audit_bad; /* an audit record failed: chains may end early */
    uint64_t audits;  /* audit records walked */
    uint64_t chained; /* revisions reached from the facts */
} chk_t;

static void problem(chk_t *c, const char *table, const MDB_val *k,
                    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(chk_t *c, const char *table, const MDB_val *k,
                    const char *fmt, ...)
{
    char why[256];
    char kt[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    char line[ERR_LEN];
    if (k != NULL) {
        codec_key_text(table, k, kt, sizeof kt);
        snprintf(line, sizeof line, "%.200s: table %s, key %.120s: %.150s",
                 c->s->file, table, kt, why);
    } else {
        snprintf(line, sizeof line, "%.200s: table %s: %.250s", c->s->file,
                 table, why);
    }
    c->counts->problems++;
    if (strcmp(table, "facts") == 0) {
        c->facts_bad = 1;
    }
    if (strcmp(table, "audit") == 0) {
        c->audit_bad = 1;
    }
    c->fn(line, c->arg);
}

/* The audit record @p id, parsed into @p rev; 0 when absent or bad. */
static int audit_of(chk_t *c, uint64_t id, store_revision_t *rev)
{
    codec_key_id(&c->kb, id);
    MDB_val k = lmdbh_val(&c->kb);
    MDB_val d;
    int found = 0;
    return lmdbh_get(c->txn, c->s->audit, &k, &d, &found) == ERR_OK &&
           found && lmdbh_unseal(&k, &d) == ERR_OK &&
           codec_parse_audit(&k, &d, rev) == ERR_OK;
}

static int same_cell(const store_revision_t *r, const char *code,
                     uint32_t region, int32_t month)
{
    return strcmp(r->indicator, code) == 0 && r->region == region &&
           r->month == month;
}

/* A fact is the new value of the audit record it names; its chain of
 * revisions is counted (each link is checked from its own record, in
 * cross_audit). */
static void cross_fact(chk_t *c, const MDB_val *k, const MDB_val *d)
{
    const char *code;
    uint32_t region;
    int32_t month;
    codec_fact_t f;
    store_revision_t rev;
    if (codec_parse_cell_key(k, &code, &region, &month) != ERR_OK ||
        codec_parse_fact(d, &f) != ERR_OK) {
        return; /* reported by rec_ok */
    }
    if (!audit_of(c, f.audit_id, &rev)) {
        problem(c, "facts", k, "its audit record %llu is missing or damaged",
                (unsigned long long)f.audit_id);
        return;
    }
    if (!same_cell(&rev, code, region, month) ||
        rev.new_value.num != f.v.num || rev.new_value.den != f.v.den) {
        problem(c, "facts", k, "differs from its audit record %llu",
                (unsigned long long)f.audit_id);
        return;
    }
    c->chained++;
    /* prev_id < audit_id (codec): the walk ends. */
    while (rev.prev_id != 0 && audit_of(c, rev.prev_id, &rev) &&
           same_cell(&rev, code, region, month)) {
        c->chained++;
    }
}

/* An outlier is of a stored fact and holds that fact's value: a revision
 * re-checks its cell (outlier.c), so the two never part. The statistics
 * are not recomputed: they describe the history when it was stored. */
static void cross_outlier(chk_t *c, const MDB_val *k, const MDB_val *d)
{
    outlier_t o;
    codec_fact_t f;
    MDB_val fd;
    int found = 0;
    if (outlier_parse(d, &o) != ERR_OK) {
        return;
    }
    int rc = lmdbh_get(c->txn, c->s->facts, k, &fd, &found);
    if (rc == ERR_OK && !found) {
        problem(c, "outliers", k, "no fact of this cell");
        return;
    }
    if (rc != ERR_OK || lmdbh_unseal(k, &fd) != ERR_OK ||
        codec_parse_fact(&fd, &f) != ERR_OK) {
        return; /* the fact's own walk reports it */
    }
    if (outlier_value(&f.v) != o.value) {
        problem(c, "outliers", k, "value %.17g is not its fact's %.17g",
                o.value, outlier_value(&f.v));
    }
}

/* An audit record's previous revision is of its cell, and its new value
 * is this one's old. */
static void cross_audit(chk_t *c, const MDB_val *k, const MDB_val *d)
{
    store_revision_t rev;
    store_revision_t prev;
    if (codec_parse_audit(k, d, &rev) != ERR_OK) {
        return;
    }
    c->audits++;
    if (rev.prev_id == 0) {
        return;
    }
    if (!audit_of(c, rev.prev_id, &prev) ||
        !same_cell(&prev, rev.indicator, rev.region, rev.month)) {
        problem(c, "audit", k, "its previous revision %llu is missing, "
                "damaged or of another cell",
                (unsigned long long)rev.prev_id);
    } else if (prev.new_value.is_ratio != rev.old_value.is_ratio ||
               prev.new_value.num != rev.old_value.num ||
               prev.new_value.den != rev.old_value.den) {
        problem(c, "audit", k, "its old value is not the new value of its "
                "previous revision %llu", (unsigned long long)rev.prev_id);
    }
}

/* A rejby entry names a stored rejection of its reporter. */
static void cross_rejby(chk_t *c, const MDB_val *k, const MDB_val *d)
{
    uint64_t id;
    char who[STORE_REPORTER_MAX + 1];
    store_rejected_t rj;
    if (codec_parse_rejidx(d, &id) != ERR_OK ||
        codec_parse_reporter_key(k, who) != ERR_OK) {
        return;
    }
    codec_key_id(&c->kb, id);
    MDB_val rk = lmdbh_val(&c->kb);
    MDB_val rd;
    int found = 0;
    if (lmdbh_get(c->txn, c->s->rejects, &rk, &rd, &found) != ERR_OK ||
        !found || lmdbh_unseal(&rk, &rd) != ERR_OK ||
        codec_parse_reject(&rk, &rd, &rj) != ERR_OK ||
        strcmp(rj.reporter, who) != 0) {
        problem(c, "rejby", k, "rejection %llu is missing or not this "
                "reporter's", (unsigned long long)id);
    }
}

/* 1 when record (@p k, @p d) of @p table, seal already cut, parses. */
static int parses(const catalog_t *cat, const char *table, const MDB_val *k,
                  const MDB_val *d)
{
    const char *code;
    uint32_t region;
    int32_t month;
    uint64_t id;
    char who[STORE_REPORTER_MAX + 1];
    if (strcmp(table, "facts") == 0) {
        codec_fact_t f;
        return codec_parse_cell_key(k, &code, &region, &month) == ERR_OK &&
               codec_parse_fact(d, &f) == ERR_OK;
    }
    if (strcmp(table, "violations") == 0) {
        codec_violation_t v;
        return codec_parse_violation(k, d, &v) == ERR_OK;
    }
    if (strcmp(table, "outliers") == 0) {
        outlier_t o;
        return codec_parse_cell_key(k, &code, &region, &month) == ERR_OK &&
               outlier_parse(d, &o) == ERR_OK;
    }
    if (strcmp(table, "audit") == 0) {
        store_revision_t rev;
        return codec_parse_audit(k, d, &rev) == ERR_OK;
    }
    if (strcmp(table, "rejects") == 0) {
        store_rejected_t rj;
        return codec_parse_reject(k, d, &rj) == ERR_OK;
    }
    if (strcmp(table, "reporters") == 0) {
        codec_reporter_t r;
        return codec_parse_reporter_key(k, who) == ERR_OK &&
               codec_parse_reporter(d, &r) == ERR_OK;
    }
    if (strcmp(table, "rejby") == 0) {
        return codec_parse_reporter_key(k, who) == ERR_OK &&
               codec_parse_rejidx(d, &id) == ERR_OK;
    }
    if (strcmp(table, "agg") == 0) {
        codec_agg_t a;
        return codec_parse_agg(d, &a) == ERR_OK;
    }
    if (strcmp(table, "tally") == 0) {
        uint64_t acc;
        uint64_t rej;
        uint32_t yyyymm;
        return tally_parse(k, d, &region, &yyyymm, who, &acc, &rej) ==
               ERR_OK;
    }
    if (strcmp(table, "approvals") == 0) {
        store_approval_t a;
        return store_approval_rec_parse(k, d, &a) == ERR_OK;
    }
    if (strcmp(table, "approvals_log") == 0) {
        store_approval_event_t e;
        return store_approval_log_parse(k, d, &e) == ERR_OK;
    }
    if (strcmp(table, "exceptions") == 0) {
        return store_exception_rec_parse(k, d) == ERR_OK;
    }
    if (strcmp(table, "comments") == 0) {
        return comment_rec_parse(cat, k, d) == ERR_OK;
    }
    if (strcmp(table, "followups") == 0) {
        return followup_rec_parse(k, d) == ERR_OK;
    }
    if (strcmp(table, "chain") == 0) { /* chain.h: the layout only; the
                                          hashes are audit verify's */
        chain_link_t cl;
        return chain_link_parse(k, d, &cl) == ERR_OK;
    }
    return d->mv_size == 8; /* meta: a u64 */
}

/* meta "format" is the one bare value: 4 bytes, STORE_FORMAT. */
static int is_format(const MDB_val *k)
{
    return k->mv_size == strlen(CODEC_META_FORMAT) &&
           memcmp(k->mv_data, CODEC_META_FORMAT, k->mv_size) == 0;
}

static void check_record(chk_t *c, const char *table, const MDB_val *k,
                         MDB_val *d)
{
    if (strcmp(table, "meta") == 0 && is_format(k)) {
        if (d->mv_size != 4) {
            problem(c, table, k, "not a 4-byte format number");
        }
        return;
    }
    if (lmdbh_unseal(k, d) != ERR_OK) {
        problem(c, table, k, "checksum mismatch");
        return;
    }
    if (!parses(c->s->cat, table, k, d)) {
        problem(c, table, k, "malformed record");
        return;
    }
    if (strcmp(table, "facts") == 0) {
        cross_fact(c, k, d);
    } else if (strcmp(table, "audit") == 0) {
        cross_audit(c, k, d);
    } else if (strcmp(table, "rejby") == 0) {
        cross_rejby(c, k, d);
    } else if (strcmp(table, "outliers") == 0) {
        cross_outlier(c, k, d);
    }
}

static int check_table(chk_t *c, const char *table, MDB_dbi dbi)
{
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(c->txn, dbi, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    MDB_val k;
    MDB_val d;
    char last[256] = "(none)";
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
    while (mrc == MDB_SUCCESS) {
        c->counts->records++;
        codec_key_text(table, &k, last, sizeof last);
        check_record(c, table, &k, &d);
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (mrc != MDB_NOTFOUND) {
        /* The tree itself is damaged: what lies beyond is unreachable. */
        problem(c, table, NULL, "cannot read past key %s: %s", last,
                mdb_strerror(mrc));
    }
    return ERR_OK;
}

int store_check(store_t *self, store_problem_fn fn, void *arg,
                store_check_counts_t *counts, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    memset(counts, 0, sizeof *counts);
    err[0] = '\0';
    if (self->readonly) {
        snprintf(err, ERR_LEN, "check needs a store opened for it");
        return ERR_INVAL;
    }
    chk_t c = {self, NULL, fn, arg, counts, {0}, 0, 0, 0, 0};
    int rc = env_txn_begin(self, MDB_RDONLY, &c.txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    char metas[200];
    if (lmdbh_metas_agree(self->env, metas, sizeof metas) <= 0) {
        char line[ERR_LEN];
        snprintf(line, sizeof line, "%.200s: %.300s", self->file, metas);
        counts->problems++;
        fn(line, arg);
    }
    buf_init(&c.kb);
    const struct {
        const char *name;
        MDB_dbi dbi;
    } t[] = {
        {"meta", self->meta},         {"facts", self->facts},
        {"audit", self->audit},       {"rejects", self->rejects},
        {"reporters", self->reporters},
        {"rejby", self->rejby},       {"agg", self->agg},
        {"violations", self->viol},
    };
    for (size_t i = 0; rc == ERR_OK && i < sizeof t / sizeof t[0]; i++) {
        rc = check_table(&c, t[i].name, t[i].dbi);
    }
    if (rc == ERR_OK && self->has_outliers) { /* env.h INVARIANT 8 */
        rc = check_table(&c, "outliers", self->outliers);
    }
    if (rc == ERR_OK && self->tally != 0) { /* absent: an older store */
        rc = check_table(&c, "tally", self->tally);
    }
    if (rc == ERR_OK && self->has_chain) { /* env.h: absent before it */
        rc = check_table(&c, "chain", self->chain);
    }
    /* Tables a store from before them lacks (their dbi is then 0). */
    const struct {
        const char *name;
        MDB_dbi dbi;
    } later[] = {
        {"approvals", self->approvals}, {"approvals_log", self->approvals_log},
        {"exceptions", self->exceptions}, {"comments", self->comments},
        {"followups", self->followups},
    };
    for (size_t i = 0; rc == ERR_OK && i < sizeof later / sizeof later[0];
         i++) {
        if (later[i].dbi != 0) {
            rc = check_table(&c, later[i].name, later[i].dbi);
        }
    }
    if (rc == ERR_OK && !c.facts_bad && !c.audit_bad &&
        c.chained != c.audits) {
        problem(&c, "audit", NULL, "%llu records, %llu of them in the cells' "
                "histories (a revision that no fact's chain reaches)",
                (unsigned long long)c.audits, (unsigned long long)c.chained);
    }
    buf_fini(&c.kb);
    env_txn_abort(self, &c.txn); /* INVARIANT 1 */
    if (rc == ERR_OK && !c.facts_bad) {
        char why[ERR_LEN];
        int vr = verify_derived_txn(self, why);
        if (vr == ERR_CORRUPT) {
            c.counts->problems++;
            char line[ERR_LEN];
            snprintf(line, sizeof line, "%.200s: %.300s", self->file, why);
            fn(line, arg);
        } else if (vr != ERR_OK) {
            rc = vr;
            snprintf(err, ERR_LEN, "%s", why);
        }
        counts->derived_checked = vr == ERR_OK;
    }
    if (rc == ERR_OK && counts->problems > 0) {
        snprintf(err, ERR_LEN, "%.300s: %llu problem%s found", self->file,
                 (unsigned long long)counts->problems,
                 counts->problems == 1 ? "" : "s");
        rc = ERR_CORRUPT;
    } else if (rc != ERR_OK && err[0] == '\0') {
        rec_fail(self->file, "check", rc, err);
    }
    return rc;
}
