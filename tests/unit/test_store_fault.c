/* test_store_fault.c: the store under LMDB failures (tests/fault shim). A
 * batch whose transaction fails is never acknowledged and leaves no
 * trace; a full map grows and the batch is replayed once; at map_max the
 * store refuses, keeping nothing; a failing open fails cleanly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdbfault.h"
#include "store_fixture.h"

#define JOBS "urban_new_jobs"
#define MEDIATION "dispute_mediation_success_rate"
#define PROF "professional_technical_talent"
#define SENIOR "senior_title_talent"
#define AGENT "agent-x"
#define MIB ((size_t)1 << 20)

static void setup(void)
{
    mdbfault_reset();
    fx_setup();
}

static void teardown(void)
{
    mdbfault_reset();
    fx_teardown();
}

TestSuite(store_fault, .init = setup, .fini = teardown, .timeout = 60);

/* ---------------------------------------------------------------------- */
/* what the store holds                                                    */

typedef struct digest {
    size_t audit;
    size_t rejects;
    size_t facts;
    size_t reporters;
    size_t violations;
    uint64_t hash; /* over every fact and reporter record */
    uint64_t next_seq;
} digest_t;

static void mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= UINT64_C(1099511628211);
    }
}

static int count_rev(const store_revision_t *r, void *arg)
{
    (void)r;
    ((digest_t *)arg)->audit++;
    return 0;
}

static int count_rej(const store_rejected_t *r, void *arg)
{
    (void)r;
    ((digest_t *)arg)->rejects++;
    return 0;
}

static int hash_fact(const store_fact_t *f, void *arg)
{
    digest_t *d = arg;
    d->facts++;
    mix(&d->hash, f->indicator, strlen(f->indicator));
    mix(&d->hash, &f->region, sizeof f->region);
    mix(&d->hash, &f->month, sizeof f->month);
    mix(&d->hash, &f->value.num, sizeof f->value.num);
    mix(&d->hash, &f->value.den, sizeof f->value.den);
    return 0;
}

static int hash_reporter(const store_reporter_t *r, void *arg)
{
    digest_t *d = arg;
    d->reporters++;
    mix(&d->hash, r->id, strlen(r->id));
    mix(&d->hash, &r->next_seq, sizeof r->next_seq);
    mix(&d->hash, &r->last_contact, sizeof r->last_contact);
    mix(&d->hash, &r->applied, sizeof r->applied);
    mix(&d->hash, &r->rejected, sizeof r->rejected);
    return 0;
}

static int count_viol(const store_violation_t *v, void *arg)
{
    (void)v;
    ((digest_t *)arg)->violations++;
    return 0;
}

static digest_t digest_of(store_t *s)
{
    char err[ERR_LEN];
    digest_t d;
    memset(&d, 0, sizeof d);
    d.hash = UINT64_C(14695981039346656037);
    cr_assert_eq(store_audit(s, 0, count_rev, &d, err), ERR_OK, "%s", err);
    cr_assert_eq(store_rejections(s, 0, count_rej, &d, err), ERR_OK);
    cr_assert_eq(store_facts(s, INT32_MIN, INT32_MAX, hash_fact, &d, err),
                 ERR_OK, "%s", err);
    cr_assert_eq(store_reporters(s, hash_reporter, &d, err), ERR_OK);
    cr_assert_eq(store_violations(s, NULL, 0, count_viol, &d, err), ERR_OK);
    cr_assert_eq(store_next_seq(s, AGENT, &d.next_seq, err), ERR_OK);
    return d;
}

static void expect_same(const digest_t *a, const digest_t *b,
                        const char *what)
{
    cr_expect_eq(a->audit, b->audit, "%s: audit %zu -> %zu", what, a->audit,
                 b->audit);
    cr_expect_eq(a->rejects, b->rejects, "%s: rejections %zu -> %zu", what,
                 a->rejects, b->rejects);
    cr_expect_eq(a->facts, b->facts, "%s: facts %zu -> %zu", what, a->facts,
                 b->facts);
    cr_expect_eq(a->violations, b->violations, "%s: violations", what);
    cr_expect_eq(a->next_seq, b->next_seq, "%s: next_seq %llu -> %llu", what,
                 (unsigned long long)a->next_seq,
                 (unsigned long long)b->next_seq);
    cr_expect_eq(a->hash, b->hash, "%s: facts or reporters changed", what);
}

static void expect_empty_results(const store_result_t *r, const char *what)
{
    cr_expect(r->status == STORE_BATCH_OK && r->next_seq == 0 &&
                  r->applied == 0 && r->replayed == 0 && r->rejected == 0 &&
                  r->rejections == NULL,
              "%s: results not empty (next %llu, applied %zu, rejected %zu)",
              what, (unsigned long long)r->next_seq, r->applied,
              r->rejected);
}

/* ---------------------------------------------------------------------- */
/* the batches                                                             */

/* Batch 1: seqs 1..3. */
static void apply_first(void)
{
    update_t u[] = {
        fx_count(1, JOBS, 330102, 202501, 100),
        fx_count(2, JOBS, 330102, 202502, 200),
        fx_count(3, JOBS, 330105, 202501, 50),
    };
    store_result_t r = fx_apply(AGENT, u, 3);
    cr_assert_eq(r.applied, 3);
    store_result_fini(&r);
}

/* Batch 2: seqs 4..8: a revision, an "of which" pair that violates, a
 * rejection (future month) and a ratio: every table is written. */
static update_t second[5];

static store_batch_t second_batch(void)
{
    second[0] = fx_count(4, JOBS, 330102, 202501, 130);
    second[1] = fx_count(5, PROF, 330105, 202506, 10);
    second[2] = fx_count(6, SENIOR, 330105, 202506, 12);
    second[3] = fx_count(7, JOBS, 330102, 203001, 1);
    second[4] = fx_ratio(8, MEDIATION, 330102, 202501, 1, 10);
    store_batch_t b = {AGENT, -1, 1764000000, FX_NOW_MONTH, second, 5, NULL};
    return b;
}

/* Apply batch 2 and check it was applied exactly as new data. */
static void apply_second_ok(store_t *s)
{
    char err[ERR_LEN];
    store_batch_t b = second_batch();
    store_result_t r;
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_expect_eq(r.status, STORE_BATCH_OK);
    cr_expect_eq(r.applied, 4);
    cr_expect_eq(r.rejected, 1);
    cr_expect_eq(r.replayed, 0);
    cr_expect_eq(r.next_seq, 9);
    store_result_fini(&r);
}

/* What the store holds after batches 1 and 2, each applied once. */
static void expect_both_once(store_t *s)
{
    char err[ERR_LEN];
    digest_t d = digest_of(s);
    cr_expect_eq(d.audit, 3 + 4, "audit records: %zu", d.audit);
    cr_expect_eq(d.rejects, 1);
    cr_expect_eq(d.facts, 3 + 3);
    cr_expect_eq(d.violations, 1);
    cr_expect_eq(d.next_seq, 9);
    value_t v;
    cr_assert_eq(store_get(s, JOBS, 330102, month_make(2025, 1), &v, err),
                 ERR_OK);
    cr_expect_eq(v.num, 130);
    cr_expect_eq(store_verify(s, err), ERR_OK, "%s", err);
}

/* Apply batch 2 with the fault armed: it must fail with @p want, report
 * nothing, and leave the store as it was (also after a reopen); then the
 * same batch goes through once, and a resend of it changes nothing. */
static void second_fails(enum mdbfault_op op, unsigned nth, int code,
                         int want, const char *want_err)
{
    char err[ERR_LEN];
    apply_first();
    digest_t before = digest_of(fx_store);
    store_batch_t b = second_batch();
    store_result_t r;
    memset(&r, 0xa5, sizeof r); /* must come back empty */
    mdbfault_arm(op, nth, code);
    int rc = store_apply(fx_store, &b, 1, &r, err);
    cr_assert_eq(mdbfault_failures(op), 1, "the fault was not reached");
    cr_expect_eq(rc, want, "rc %d (%s): %s", rc, err_str(rc), err);
    cr_expect(strstr(err, want_err) != NULL, "err: %s", err);
    expect_empty_results(&r, "failed apply");
    digest_t after = digest_of(fx_store);
    expect_same(&before, &after, "failed apply");

    mdbfault_disarm(op);
    store_close(&fx_store);
    char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    cr_assert_eq(store_open(&fx_store, db, fx_cat, NULL, err), ERR_OK, "%s",
                 err);
    after = digest_of(fx_store);
    expect_same(&before, &after, "failed apply, reopened");

    apply_second_ok(fx_store);
    cr_assert_eq(store_apply(fx_store, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_expect_eq(r.replayed, 5, "a resend is a replay");
    cr_expect_eq(r.applied + r.rejected, 0);
    store_result_fini(&r);
    expect_both_once(fx_store);
}

/* ---------------------------------------------------------------------- */
/* a failed transaction is never acknowledged                              */

Test(store_fault, commit_eio_is_not_acknowledged)
{
    second_fails(MDBFAULT_COMMIT, 1, EIO, ERR_IO, strerror(EIO));
}

Test(store_fault, commit_enospc_is_not_acknowledged)
{
    second_fails(MDBFAULT_COMMIT, 1, ENOSPC, ERR_IO, strerror(ENOSPC));
}

Test(store_fault, failed_begin_is_not_acknowledged)
{
    second_fails(MDBFAULT_TXN_BEGIN, 1, EIO, ERR_IO, strerror(EIO));
}

Test(store_fault, failed_violation_delete_is_not_acknowledged)
{
    /* the "of which" check clears a violation record that is not there */
    second_fails(MDBFAULT_DEL, 1, EIO, ERR_IO, "cannot apply batch");
}

/* Every put of the batch, one at a time: whichever fails, nothing of the
 * batch is kept. */
Test(store_fault, a_failed_put_anywhere_is_not_acknowledged)
{
    char err[ERR_LEN];
    apply_first();
    digest_t before = digest_of(fx_store);
    store_batch_t b = second_batch();
    unsigned nth = 1;
    for (;; nth++) {
        store_result_t r;
        mdbfault_arm(MDBFAULT_PUT, nth, nth % 2 ? EIO : ENOSPC);
        unsigned long failed = mdbfault_failures(MDBFAULT_PUT);
        int rc = store_apply(fx_store, &b, 1, &r, err);
        if (mdbfault_failures(MDBFAULT_PUT) == failed) {
            /* past the batch's last put: it went through */
            cr_assert_eq(rc, ERR_OK, "%s", err);
            store_result_fini(&r);
            mdbfault_disarm(MDBFAULT_PUT);
            break;
        }
        char what[64];
        snprintf(what, sizeof what, "put %u failed", nth);
        cr_expect_eq(rc, ERR_IO, "%s: rc %d", what, rc);
        expect_empty_results(&r, what);
        digest_t after = digest_of(fx_store);
        expect_same(&before, &after, what);
    }
    cr_expect_gt(nth, 10, "only %u puts: the batch writes every table", nth);
    expect_both_once(fx_store);
}

/* ---------------------------------------------------------------------- */
/* a full map grows                                                        */

/* MDB_MAP_FULL once: the map doubles and the batch is applied once. */
static void second_grows(enum mdbfault_op op, unsigned nth)
{
    apply_first();
    mdbfault_reset();
    mdbfault_arm(op, nth, MDB_MAP_FULL);
    apply_second_ok(fx_store);
    cr_expect_eq(mdbfault_failures(op), 1, "the fault was not reached");
    cr_expect_eq(mdbfault_calls(MDBFAULT_SET_MAPSIZE), 1);
    cr_expect_eq(mdbfault_last_mapsize(), 128 * MIB,
                 "the 64 MiB map grew to %zu", mdbfault_last_mapsize());
    expect_both_once(fx_store);
}

Test(store_fault, map_full_on_put_grows_and_replays)
{
    second_grows(MDBFAULT_PUT, 3);
}

Test(store_fault, map_full_on_commit_grows_and_replays)
{
    second_grows(MDBFAULT_COMMIT, 1);
    cr_expect_eq(mdbfault_calls(MDBFAULT_COMMIT), 2, "one replay");
}

static void open_small(store_t **s, size_t size, size_t max)
{
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/small", fx_dir);
    store_opts_t o = {.map_size = size, .map_max = max};
    cr_assert_eq(store_open(s, db, fx_cat, &o, err), ERR_OK, "%s", err);
}

Test(store_fault, map_full_at_map_max_keeps_nothing)
{
    char err[ERR_LEN];
    store_t *s = NULL;
    open_small(&s, 1 * MIB, 4 * MIB);
    digest_t before = digest_of(s);
    update_t u[] = {
        fx_count(1, JOBS, 330102, 202501, 100),
        fx_count(2, JOBS, 330102, 202502, 200),
        fx_count(3, JOBS, 330105, 202501, 50),
    };
    store_batch_t b = {AGENT, -1, 1764000000, FX_NOW_MONTH, u, 3, NULL};
    store_result_t r;
    mdbfault_reset();
    mdbfault_arm_from(MDBFAULT_PUT, 1, 0, MDB_MAP_FULL); /* every put */
    int rc = store_apply(s, &b, 1, &r, err);
    cr_expect_eq(rc, ERR_FULL, "rc %d: %s", rc, err);
    cr_expect(strstr(err, "limit of 4 MiB") != NULL, "err: %s", err);
    expect_empty_results(&r, "full store");
    cr_expect_eq(mdbfault_calls(MDBFAULT_SET_MAPSIZE), 2, "1 -> 2 -> 4 MiB");
    cr_expect_eq(mdbfault_last_mapsize(), 4 * MIB);
    mdbfault_disarm(MDBFAULT_PUT);
    digest_t after = digest_of(s);
    expect_same(&before, &after, "full store");
    cr_expect_eq(after.audit + after.facts + after.reporters, 0);
    /* Room again (here: the fault cleared): the batch goes through. */
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_expect_eq(r.applied, 3);
    cr_expect_eq(r.next_seq, 4);
    store_result_fini(&r);
    store_close(&s);
}

Test(store_fault, map_that_cannot_grow_keeps_nothing)
{
    char err[ERR_LEN];
    apply_first();
    digest_t before = digest_of(fx_store);
    store_batch_t b = second_batch();
    store_result_t r;
    mdbfault_arm(MDBFAULT_COMMIT, 1, MDB_MAP_FULL);
    mdbfault_arm(MDBFAULT_SET_MAPSIZE, 1, EINVAL);
    int rc = store_apply(fx_store, &b, 1, &r, err);
    cr_expect_neq(rc, ERR_OK);
    cr_expect(strstr(err, "cannot grow the LMDB map") != NULL, "err: %s",
              err);
    expect_empty_results(&r, "map not grown");
    digest_t after = digest_of(fx_store);
    expect_same(&before, &after, "map not grown");
    apply_second_ok(fx_store);
    expect_both_once(fx_store);
}

/* ---------------------------------------------------------------------- */
/* open and begin                                                          */

Test(store_fault, failed_env_open_fails_cleanly)
{
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    store_t *s = (store_t *)(uintptr_t)0x5a5a; /* must stay untouched */
    mdbfault_arm(MDBFAULT_ENV_OPEN, 1, EIO);
    cr_expect_eq(store_open(&s, db, fx_cat, NULL, err), ERR_IO);
    cr_expect_eq(s, (store_t *)(uintptr_t)0x5a5a, "*out written on failure");
    cr_expect(strstr(err, "cannot open store") != NULL &&
                  strstr(err, strerror(EIO)) != NULL,
              "err: %s", err);
    store_opts_t ro = {.readonly = 1};
    mdbfault_arm(MDBFAULT_ENV_OPEN, 1, EACCES);
    cr_expect_eq(store_open(&s, db, fx_cat, &ro, err), ERR_IO);
    cr_expect_eq(s, (store_t *)(uintptr_t)0x5a5a, "*out written on failure");
    cr_expect(strstr(err, strerror(EACCES)) != NULL, "err: %s", err);
}

Test(store_fault, failed_first_commit_leaves_no_half_made_store)
{
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/new", fx_dir);
    store_t *s = NULL;
    mdbfault_arm(MDBFAULT_COMMIT, 1, ENOSPC);
    cr_expect_eq(store_open(&s, db, fx_cat, NULL, err), ERR_IO);
    cr_expect_null(s);
    cr_expect(strstr(err, strerror(ENOSPC)) != NULL, "err: %s", err);
    /* Read-only, it is not a store yet. */
    store_opts_t ro = {.readonly = 1};
    cr_expect_eq(store_open(&s, db, fx_cat, &ro, err), ERR_NOTFOUND, "%s",
                 err);
    cr_assert_eq(store_open(&s, db, fx_cat, NULL, err), ERR_OK, "%s", err);
    update_t u = fx_count(1, JOBS, 330102, 202501, 5);
    store_batch_t b = {AGENT, -1, 1764000000, FX_NOW_MONTH, &u, 1, NULL};
    store_result_t r;
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    store_result_fini(&r);
    store_close(&s);
}

/* A crash in the middle of the rebuild a catalog change starts (here
 * its commit fails, as a crash before it would) leaves the store as it
 * was; the next start rebuilds it whole. */
Test(store_fault, a_rebuild_cut_short_is_done_again_at_the_next_open)
{
    char err[ERR_LEN];
    char db[300];
    char catdir[300];
    apply_first();
    digest_t before = digest_of(fx_store);
    store_close(&fx_store);
    snprintf(db, sizeof db, "%s/db", fx_dir);
    snprintf(catdir, sizeof catdir, "%s/cat", fx_dir);
    fx_write_moved_catalog(catdir);
    catalog_t *moved = NULL;
    cr_assert_eq(catalog_load_dir(&moved, catdir, err), ERR_OK, "%s", err);
    store_t *s = NULL;
    mdbfault_reset();
    mdbfault_arm(MDBFAULT_COMMIT, 1, EIO);
    cr_expect_eq(store_open(&s, db, moved, NULL, err), ERR_IO);
    cr_expect_null(s);
    /* Nothing of it was kept: the old catalog still reads the store. */
    cr_assert_eq(store_open(&fx_store, db, fx_cat, NULL, err), ERR_OK, "%s",
                 err);
    digest_t same = digest_of(fx_store);
    expect_same(&before, &same, "after a rebuild cut short");
    store_close(&fx_store);
    /* The next start with the new catalog rebuilds. */
    catalog_destroy(&fx_cat);
    fx_cat = moved;
    cr_assert_eq(store_open(&fx_store, db, fx_cat, NULL, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(store_verify(fx_store, err), ERR_OK, "%s", err);
    cr_expect_eq(fx_total(JOBS, 330200, "2025-01").num, 100, "上城区 in 宁波市");
    cr_expect_eq(fx_total(JOBS, 330100, "2025-01").num, 50);
}

Test(store_fault, reader_adopts_a_map_grown_elsewhere)
{
    char err[ERR_LEN];
    apply_first();
    mdbfault_reset();
    /* What another process's growth looks like to this one. */
    mdbfault_arm(MDBFAULT_TXN_BEGIN, 1, MDB_MAP_RESIZED);
    store_total_t t = fx_total(JOBS, 330100, "2025-01");
    cr_expect_eq(t.num, 150);
    cr_expect_eq(mdbfault_failures(MDBFAULT_TXN_BEGIN), 1);
    cr_expect_eq(mdbfault_calls(MDBFAULT_SET_MAPSIZE), 1);
    cr_expect_eq(mdbfault_last_mapsize(), 0, "set_mapsize(0) adopts it");
    (void)err;
}

Test(store_fault, full_reader_table_is_a_clean_error)
{
    char err[ERR_LEN];
    apply_first();
    mdbfault_arm_from(MDBFAULT_TXN_BEGIN, 1, 0, MDB_READERS_FULL);
    period_t p;
    cr_assert_eq(period_parse("2025", &p, err), ERR_OK);
    store_total_t t;
    memset(&t, 0x5a, sizeof t);
    int rc = store_total(fx_store, JOBS, 330100, &p, &t, err);
    cr_expect_eq(rc, ERR_IO);
    cr_expect(strstr(err, "MDB_READERS_FULL") != NULL, "err: %s", err);
    cr_expect(t.num == 0 && t.reporting == 0, "out not cleared");
    uint64_t next = 7;
    cr_expect_eq(store_next_seq(fx_store, AGENT, &next, err), ERR_IO);
    mdbfault_reset();
    cr_expect_eq(fx_total(JOBS, 330100, "2025").num, 350);
}
