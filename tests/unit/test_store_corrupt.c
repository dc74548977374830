/* test_store_corrupt.c: malformed records written straight into the
 * store's LMDB databases (layout: store/codec.h, ARCHITECTURE.md) are
 * reported as ERR_CORRUPT (or another clean error) by every reader, never
 * crash it, and a write that meets one keeps nothing. The records are
 * written with a valid checksum (format 2's seal, common/lmdbh), as a
 * bug of ours would write them, so that the parsers behind the checksum
 * are what is tested; test_store_check flips bytes under the seal. */
#include <criterion/criterion.h>
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/lmdbh.h"
#include "store/codec.h"
#include "store_fixture.h"

#define JOBS "urban_new_jobs"
#define PENSION "pension_insured"
#define PROF "professional_technical_talent"
#define SENIOR "senior_title_talent"
#define AGENT "agent-x"
#define V1 0x01

TestSuite(store_corrupt, .init = fx_setup, .fini = fx_teardown,
          .timeout = 60);

/* ---------------------------------------------------------------------- */
/* raw LMDB access, with the store closed                                  */

static void db_path(char *out, size_t len)
{
    snprintf(out, len, "%s/db", fx_dir);
}

/* Figures in every table: facts, a revision, a rejection, a violation. */
static void populate(void)
{
    update_t u[] = {
        fx_count(1, JOBS, 330102, 202501, 100),
        fx_count(2, JOBS, 330102, 202502, 200),
        fx_count(3, JOBS, 330102, 202501, 130),
        fx_count(4, PENSION, 330102, 202503, 70),
        fx_count(5, PROF, 330105, 202506, 10),
        fx_count(6, SENIOR, 330105, 202506, 12),
        fx_count(7, JOBS, 330102, 203001, 1), /* rejected: future */
    };
    store_result_t r = fx_apply(AGENT, u, 7);
    cr_assert_eq(r.applied, 6);
    cr_assert_eq(r.rejected, 1);
    store_result_fini(&r);
}

typedef struct raw {
    MDB_env *env;
    MDB_txn *txn;
} raw_t;

static void raw_open(raw_t *w)
{
    char db[300];
    db_path(db, sizeof db);
    cr_assert_eq(mdb_env_create(&w->env), 0);
    mdb_env_set_maxdbs(w->env, 16);
    cr_assert_eq(mdb_env_open(w->env, db, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(w->env, NULL, 0, &w->txn), 0);
}

static MDB_dbi raw_dbi(raw_t *w, const char *name)
{
    MDB_dbi dbi;
    cr_assert_eq(mdb_dbi_open(w->txn, name, 0, &dbi), 0, "%s", name);
    return dbi;
}

/* Put @p v (NULL: empty) under @p k, sealed unless @p bare. */
static void raw_put_as(raw_t *w, const char *db, const buf_t *k,
                       const buf_t *v, int bare)
{
    MDB_val kv = {k->len, k->data};
    buf_t sealed;
    buf_init(&sealed);
    if (v != NULL) {
        buf_put(&sealed, v->data, v->len);
    }
    if (!bare) {
        lmdbh_seal(&sealed, &kv);
    }
    MDB_val dv = {sealed.len, sealed.data};
    int rc = mdb_put(w->txn, raw_dbi(w, db), &kv, &dv, 0);
    buf_fini(&sealed);
    cr_assert_eq(rc, 0, "put into %s: %s", db, mdb_strerror(rc));
}

static void raw_put(raw_t *w, const char *db, const buf_t *k, const buf_t *v)
{
    raw_put_as(w, db, k, v, 0);
}

static void raw_del(raw_t *w, const char *db, const buf_t *k)
{
    MDB_val kv = {k->len, k->data};
    int rc = mdb_del(w->txn, raw_dbi(w, db), &kv, NULL);
    cr_assert_eq(rc, 0, "del from %s: %s", db, mdb_strerror(rc));
}

/* Replace the value of the first record of @p db (a valid one) by the
 * first @p keep bytes of it, or flip its version byte when keep is 0. */
static void raw_mangle_first(raw_t *w, const char *db, size_t keep)
{
    MDB_dbi dbi = raw_dbi(w, db);
    MDB_cursor *cur = NULL;
    cr_assert_eq(mdb_cursor_open(w->txn, dbi, &cur), 0);
    MDB_val k;
    MDB_val d;
    cr_assert_eq(mdb_cursor_get(cur, &k, &d, MDB_FIRST), 0, "%s empty", db);
    unsigned char key[512];
    unsigned char val[512];
    cr_assert(k.mv_size <= sizeof key && d.mv_size <= sizeof val);
    memcpy(key, k.mv_data, k.mv_size);
    memcpy(val, d.mv_data, d.mv_size);
    MDB_val nk = {k.mv_size, key};
    MDB_val nd = {d.mv_size, val};
    cr_assert_eq(lmdbh_unseal(&nk, &nd), ERR_OK, "%s: a sealed record", db);
    if (keep > 0) {
        cr_assert_lt(keep, nd.mv_size);
        nd.mv_size = keep;
    } else {
        val[0] = 0x7f;
    }
    mdb_cursor_close(cur);
    buf_t v;
    buf_init(&v);
    buf_put(&v, val, nd.mv_size);
    lmdbh_seal(&v, &nk); /* a bad record with a good checksum */
    nd.mv_size = v.len;
    nd.mv_data = v.data;
    cr_assert_eq(mdb_put(w->txn, dbi, &nk, &nd, 0), 0);
    buf_fini(&v);
}

static void raw_close(raw_t *w)
{
    cr_assert_eq(mdb_txn_commit(w->txn), 0);
    mdb_env_close(w->env);
}

/* Close the store, run @p f on the raw environment, reopen the store. */
static void corrupt(void (*f)(raw_t *w))
{
    char err[ERR_LEN];
    char db[300];
    db_path(db, sizeof db);
    store_close(&fx_store);
    raw_t w;
    raw_open(&w);
    f(&w);
    raw_close(&w);
    cr_assert_eq(store_open(&fx_store, db, fx_cat, NULL, err), ERR_OK, "%s",
                 err);
}

/* ---------------------------------------------------------------------- */
/* what the readers say                                                    */

static int on_fact(const store_fact_t *f, void *arg)
{
    (void)f;
    (*(int *)arg)++;
    return 0;
}

static int on_rev(const store_revision_t *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

static int on_rej(const store_rejected_t *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

static int on_rep(const store_reporter_t *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

static int on_viol(const store_violation_t *v, void *arg)
{
    (void)v;
    (*(int *)arg)++;
    return 0;
}

/* rc must be ERR_CORRUPT and err must say why (not "Successful", LMDB's
 * text for 0). */
#define EXPECT_CORRUPT(call, what)                                          \
    do {                                                                    \
        char err_[ERR_LEN] = "";                                            \
        int rc_ = (call);                                                   \
        cr_expect_eq(rc_, ERR_CORRUPT, "%s: rc %d (%s), err '%s'", what,    \
                     rc_, err_str(rc_), err_);                              \
        cr_expect(err_[0] != '\0' && strstr(err_, "Successful") == NULL,    \
                  "%s: the message does not say why: '%s'", what, err_);    \
    } while (0)

static period_t period(const char *text)
{
    char err[ERR_LEN];
    period_t p;
    cr_assert_eq(period_parse(text, &p, err), ERR_OK, "%s", err);
    return p;
}

/* A write that meets the corrupt record fails cleanly and keeps nothing:
 * the reporter's next_seq does not move. */
static void expect_apply_refused(const update_t *u, int want)
{
    char err[ERR_LEN] = "";
    uint64_t before = 0;
    int have = store_next_seq(fx_store, AGENT, &before, err) == ERR_OK;
    store_batch_t b = {AGENT, -1, 1764000000, FX_NOW_MONTH, u, 1, NULL};
    store_result_t r;
    int rc = store_apply(fx_store, &b, 1, &r, err);
    cr_expect_eq(rc, want, "store_apply: rc %d (%s), err '%s'", rc,
                 err_str(rc), err);
    cr_expect(r.applied == 0 && r.rejected == 0 && r.next_seq == 0,
              "a refused apply reported results");
    uint64_t after = 0;
    if (have) {
        cr_expect_eq(store_next_seq(fx_store, AGENT, &after, err), ERR_OK);
        cr_expect_eq(after, before, "next_seq moved");
    }
}

/* ---------------------------------------------------------------------- */
/* facts                                                                   */

static void truncate_first_fact(raw_t *w)
{
    raw_mangle_first(w, "facts", 9); /* version, kind, half of num */
}

Test(store_corrupt, truncated_fact)
{
    populate();
    corrupt(truncate_first_fact);
    /* The first fact (codes sort bytewise): pension_insured 330102
     * 2025-03. */
    char err[ERR_LEN];
    value_t v;
    period_t p = period("2025-03");
    store_total_t t;
    int n = 0;
    EXPECT_CORRUPT(store_get(fx_store, PENSION, 330102, month_make(2025, 3),
                             &v, err_),
                   "store_get");
    EXPECT_CORRUPT(store_facts(fx_store, INT32_MIN, INT32_MAX, on_fact, &n,
                               err_),
                   "store_facts");
    EXPECT_CORRUPT(store_own(fx_store, PENSION, 330102, &p, &t, err_),
                   "store_own");
    /* A stock over months that are not whole years reads the facts
     * (whole years read the year spans, span.h). */
    p = period("2021-01..2025-11");
    EXPECT_CORRUPT(store_total(fx_store, PENSION, 330000, &p, &t, err_),
                   "store_total");
    EXPECT_CORRUPT(store_verify(fx_store, err_), "store_verify");
    /* The message names the file, the table and the record. */
    cr_expect_eq(store_get(fx_store, PENSION, 330102, month_make(2025, 3),
                           &v, err),
                 ERR_CORRUPT);
    cr_expect(strstr(err, "/db/data.mdb: table facts, key pension_insured "
                          "330102 2025-03: malformed record") != NULL,
              "%s", err);
    /* Writing a cell of the same year reads it. */
    update_t u = fx_count(8, PENSION, 330102, 202504, 71);
    expect_apply_refused(&u, ERR_CORRUPT);
    /* Other cells are fine. */
    cr_expect_eq(store_get(fx_store, JOBS, 330102, month_make(2025, 1), &v,
                           err),
                 ERR_OK, "%s", err);
    cr_expect_eq(v.num, 130);
}

static void fact_version(raw_t *w)
{
    raw_mangle_first(w, "facts", 0);
}

Test(store_corrupt, fact_of_another_version)
{
    populate();
    corrupt(fact_version);
    value_t v;
    int n = 0;
    EXPECT_CORRUPT(store_get(fx_store, PENSION, 330102, month_make(2025, 3),
                             &v, err_),
                   "store_get");
    EXPECT_CORRUPT(store_facts(fx_store, INT32_MIN, INT32_MAX, on_fact, &n,
                               err_),
                   "store_facts");
    EXPECT_CORRUPT(store_verify(fx_store, err_), "store_verify");
}

/* A fact key whose month is no month at all (the top bit set: negative as
 * a month index), with a well-formed value. */
static void fact_bad_month(raw_t *w)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    codec_key_cell(&k, JOBS, 330105, (int32_t)0xfffffff0u);
    codec_fact_t f = {{0, 5, 0}, 1764000000, 1};
    codec_put_fact(&v, &f);
    raw_put(w, "facts", &k, &v);
    buf_fini(&k);
    buf_fini(&v);
}

Test(store_corrupt, fact_with_an_impossible_month)
{
    populate();
    corrupt(fact_bad_month);
    int n = 0;
    store_total_t t;
    period_t p = period("2021-01..2025-11"); /* not whole years: walks */
    EXPECT_CORRUPT(store_facts(fx_store, INT32_MIN, INT32_MAX, on_fact, &n,
                               err_),
                   "store_facts");
    EXPECT_CORRUPT(store_verify(fx_store, err_), "store_verify");
    EXPECT_CORRUPT(store_total(fx_store, JOBS, 330100, &p, &t, err_),
                   "store_total");
    EXPECT_CORRUPT(store_own(fx_store, JOBS, 330105, &p, &t, err_),
                   "store_own");
    /* A write to the region's cells loads the facts of the year. */
    update_t u = fx_count(8, JOBS, 330105, 202501, 1);
    expect_apply_refused(&u, ERR_CORRUPT);
}

/* Two well-formed facts of one region and year whose values the store
 * could never have accepted (above 10^12): a sum of them overflows. */
static void fact_huge_values(raw_t *w)
{
    for (int m = 1; m <= 2; m++) {
        buf_t k;
        buf_t v;
        buf_init(&k);
        buf_init(&v);
        codec_key_cell(&k, JOBS, 330106, month_make(2025, m));
        codec_fact_t f = {{0, INT64_MAX, 0}, 1764000000, 1};
        codec_put_fact(&v, &f);
        raw_put(w, "facts", &k, &v);
        buf_fini(&k);
        buf_fini(&v);
    }
}

Test(store_corrupt, facts_with_impossible_values)
{
    populate();
    corrupt(fact_huge_values);
    int n = 0;
    value_t v;
    store_total_t t;
    period_t p = period("2025");
    EXPECT_CORRUPT(store_get(fx_store, JOBS, 330106, month_make(2025, 1), &v,
                             err_),
                   "store_get");
    EXPECT_CORRUPT(store_own(fx_store, JOBS, 330106, &p, &t, err_),
                   "store_own");
    p = period("2024-01..2025-11");
    EXPECT_CORRUPT(store_total(fx_store, JOBS, 330100, &p, &t, err_),
                   "store_total");
    EXPECT_CORRUPT(store_facts(fx_store, INT32_MIN, INT32_MAX, on_fact, &n,
                               err_),
                   "store_facts");
    EXPECT_CORRUPT(store_verify(fx_store, err_), "store_verify");
    update_t u = fx_count(8, JOBS, 330106, 202503, 1);
    expect_apply_refused(&u, ERR_CORRUPT);
}

/* A fact key cut short: no month. */
static void fact_short_key(raw_t *w)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    codec_key_cell(&k, JOBS, 330105, 0);
    k.len -= 4; /* no month */
    buf_put_u8(&v, V1);
    raw_put(w, "facts", &k, &v);
    buf_fini(&k);
    buf_fini(&v);
}

Test(store_corrupt, fact_with_a_short_key)
{
    populate();
    corrupt(fact_short_key);
    int n = 0;
    EXPECT_CORRUPT(store_facts(fx_store, INT32_MIN, INT32_MAX, on_fact, &n,
                               err_),
                   "store_facts");
    EXPECT_CORRUPT(store_verify(fx_store, err_), "store_verify");
}

/* ---------------------------------------------------------------------- */
/* aggregates, audit, rejections, reporters, violations, meta             */

static void truncate_first_agg(raw_t *w)
{
    raw_mangle_first(w, "agg", 12);
}

Test(store_corrupt, truncated_aggregate)
{
    populate();
    corrupt(truncate_first_agg);
    /* The first aggregate: 'M' (month) of pension_insured for 330000,
     * 2025-03 ('M' < 'Q' < 'Y', then codes and regions in byte order). */
    store_total_t t;
    period_t p = period("2025-03");
    memset(&t, 0x5a, sizeof t);
    EXPECT_CORRUPT(store_total(fx_store, PENSION, 330000, &p, &t, err_),
                   "store_total");
    cr_expect(t.num == 0 && t.den == 0 && t.reporting == 0 &&
                  t.expected == 0,
              "out not cleared on failure: num %lld, expected %u",
              (long long)t.num, t.expected);
    EXPECT_CORRUPT(store_verify(fx_store, err_), "store_verify");
    /* Moving that aggregate reads it. */
    update_t u = fx_count(8, PENSION, 330106, 202503, 3);
    expect_apply_refused(&u, ERR_CORRUPT);
}

static void truncate_first_audit(raw_t *w)
{
    raw_mangle_first(w, "audit", 20);
}

Test(store_corrupt, truncated_audit_record)
{
    populate();
    corrupt(truncate_first_audit);
    int n = 0;
    /* The first audit record is seq 1: urban_new_jobs 330102 2025-01. */
    EXPECT_CORRUPT(store_history(fx_store, JOBS, 330102, month_make(2025, 1),
                                 on_rev, &n, err_),
                   "store_history");
    EXPECT_CORRUPT(store_audit(fx_store, 0, on_rev, &n, err_),
                   "store_audit");
}

static void drop_first_audit(raw_t *w)
{
    buf_t k;
    buf_init(&k);
    buf_put_u8(&k, V1);
    buf_put_u64(&k, 1);
    raw_del(w, "audit", &k);
    buf_fini(&k);
}

Test(store_corrupt, history_pointing_at_a_missing_audit_record)
{
    populate();
    corrupt(drop_first_audit);
    int n = 0;
    EXPECT_CORRUPT(store_history(fx_store, JOBS, 330102, month_make(2025, 1),
                                 on_rev, &n, err_),
                   "store_history");
}

static void audit_bad_key(raw_t *w)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    buf_put_u8(&k, V1);
    buf_put_u64(&k, 99);
    buf_put_u8(&k, 0); /* one byte too many: also the last key */
    buf_put_u8(&v, V1);
    raw_put(w, "audit", &k, &v);
    buf_fini(&k);
    buf_fini(&v);
}

Test(store_corrupt, audit_key_of_the_wrong_size)
{
    populate();
    corrupt(audit_bad_key);
    int n = 0;
    EXPECT_CORRUPT(store_audit(fx_store, 0, on_rev, &n, err_),
                   "store_audit");
    /* The next audit id comes from the last key. */
    update_t u = fx_count(8, JOBS, 330102, 202503, 1);
    expect_apply_refused(&u, ERR_CORRUPT);
}

static void rejection_version(raw_t *w)
{
    raw_mangle_first(w, "rejects", 0);
}

static void truncate_rejection(raw_t *w)
{
    raw_mangle_first(w, "rejects", 30);
}

Test(store_corrupt, bad_rejection_records)
{
    populate();
    corrupt(rejection_version);
    int n = 0;
    EXPECT_CORRUPT(store_rejections(fx_store, 0, on_rej, &n, err_),
                   "store_rejections (version)");
    corrupt(truncate_rejection);
    EXPECT_CORRUPT(store_rejections(fx_store, 0, on_rej, &n, err_),
                   "store_rejections (truncated)");
}

static void truncate_reporter(raw_t *w)
{
    raw_mangle_first(w, "reporters", 10);
}

Test(store_corrupt, truncated_reporter)
{
    populate();
    corrupt(truncate_reporter);
    int n = 0;
    uint64_t next = 0;
    EXPECT_CORRUPT(store_reporters(fx_store, on_rep, &n, err_),
                   "store_reporters");
    EXPECT_CORRUPT(store_next_seq(fx_store, AGENT, &next, err_),
                   "store_next_seq");
    update_t u = fx_count(8, JOBS, 330102, 202503, 1);
    expect_apply_refused(&u, ERR_CORRUPT);
}

static void reporter_long_key(raw_t *w)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    buf_put_u8(&k, V1);
    for (int i = 0; i < 100; i++) {
        buf_put_u8(&k, 'z');
    }
    buf_put_u8(&v, V1);
    for (int i = 0; i < 5; i++) {
        buf_put_u64(&v, 1);
    }
    raw_put(w, "reporters", &k, &v);
    buf_fini(&k);
    buf_fini(&v);
}

Test(store_corrupt, reporter_id_longer_than_allowed)
{
    populate();
    corrupt(reporter_long_key);
    int n = 0;
    EXPECT_CORRUPT(store_reporters(fx_store, on_rep, &n, err_),
                   "store_reporters");
}

static void truncate_violation(raw_t *w)
{
    raw_mangle_first(w, "violations", 5);
}

Test(store_corrupt, truncated_violation)
{
    populate();
    corrupt(truncate_violation);
    int n = 0;
    EXPECT_CORRUPT(store_violations(fx_store, NULL, 0, on_viol, &n, err_),
                   "store_violations");
    EXPECT_CORRUPT(store_verify(fx_store, err_), "store_verify");
}

static void meta_format_garbage(raw_t *w)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    buf_put(&k, "format", 6);
    buf_put(&v, "xyz", 3);
    raw_put_as(w, "meta", &k, &v, 1); /* "format" is the one bare value */
    buf_fini(&k);
    buf_fini(&v);
}

Test(store_corrupt, unreadable_format_refuses_to_open)
{
    populate();
    char db[300];
    db_path(db, sizeof db);
    store_close(&fx_store);
    raw_t w;
    raw_open(&w);
    meta_format_garbage(&w);
    raw_close(&w);
    store_t *s = NULL;
    char err[ERR_LEN] = "";
    cr_expect_eq(store_open(&s, db, fx_cat, NULL, err), ERR_CORRUPT, "%s",
                 err);
    cr_expect_null(s);
    cr_expect(strstr(err, "metadata") != NULL, "err: %s", err);
    store_opts_t ro = {.readonly = 1};
    cr_expect_eq(store_open(&s, db, fx_cat, &ro, err), ERR_CORRUPT, "%s",
                 err);
    cr_expect_null(s);
}

/* ---------------------------------------------------------------------- */
/* damaged files (issue 9): refused at open, naming the file, never a     */
/* crash and never taken for a new store                                   */

static const uint32_t many_regions[] = {330102, 330105, 330106, 330108,
                                        330109, 330110, 330111, 330112,
                                        330122, 330127};

/* 600 figures in six commits: a file of many pages, so that the pages an
 * open reads (the main database's root, meta's) lie anywhere in it. */
static void populate_many(void)
{
    update_t u[100];
    uint64_t seq = 1;
    for (int b = 0; b < 6; b++) {
        for (int i = 0; i < 100; i++) {
            int k = b * 100 + i;
            uint32_t yyyymm = (uint32_t)(202101 + (k % 60) / 12 * 100 +
                                         (k % 60) % 12);
            u[i] = fx_count(seq++, JOBS, many_regions[k / 60], yyyymm,
                            1000 + k);
        }
        store_result_t r = fx_apply(AGENT, u, 100);
        cr_assert_eq(r.applied, 100);
        store_result_fini(&r);
    }
}

static off_t file_size(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
    return st.st_size;
}

/* A copy of the closed store's data.mdb as DIR/data.mdb, cut to @p size
 * bytes. */
static void copy_cut(const char *dir, off_t size)
{
    char from[300];
    char to[400];
    snprintf(from, sizeof from, "%s/db/data.mdb", fx_dir);
    snprintf(to, sizeof to, "%s/data.mdb", dir);
    cr_assert_eq(mkdir(dir, 0750), 0, "%s: %s", dir, strerror(errno));
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    cr_assert(in != NULL && out != NULL);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        cr_assert_eq(fwrite(chunk, 1, n, out), n);
    }
    fclose(in);
    cr_assert_eq(fclose(out), 0);
    cr_assert_eq(truncate(to, size), 0);
}

/* store_open, writable and read-only, refuses @p dir with @p want and a
 * message naming DIR/data.mdb and containing @p says; the file keeps its
 * size. */
static void expect_refused(const char *dir, int want, const char *says)
{
    char path[400];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat before;
    int had = stat(path, &before) == 0;
    store_opts_t rw = {0};
    store_opts_t ro = {.readonly = 1};
    const store_opts_t *opts[] = {&rw, &ro};
    for (int i = 0; i < 2; i++) {
        store_t *s = NULL;
        char err[ERR_LEN] = "";
        int rc = store_open(&s, dir, fx_cat, opts[i], err);
        cr_expect_eq(rc, want, "%s open of %s: rc %d (%s), err '%s'",
                     i ? "read-only" : "writable", dir, rc, err_str(rc),
                     err);
        cr_expect_null(s);
        if (s != NULL) {
            store_close(&s);
        }
        cr_expect(strstr(err, path) != NULL && strstr(err, says) != NULL,
                  "the message names neither %s nor '%s': %s", path, says,
                  err);
        struct stat after;
        if (had) {
            cr_expect_eq(stat(path, &after), 0);
            cr_expect_eq(after.st_size, before.st_size, "%s changed size",
                         path);
        } else {
            cr_expect_neq(stat(path, &after), 0, "%s was created", path);
        }
    }
}

Test(store_corrupt, an_empty_data_file_is_refused_not_taken_for_new)
{
    populate();
    store_close(&fx_store);
    char db[300];
    char data[400];
    db_path(db, sizeof db);
    snprintf(data, sizeof data, "%s/data.mdb", db);
    cr_assert_eq(truncate(data, 0), 0);
    expect_refused(db, ERR_CORRUPT, "0 bytes");
}

Test(store_corrupt, a_truncated_data_file_is_refused_before_any_read)
{
    populate_many();
    store_close(&fx_store);
    char data[300];
    snprintf(data, sizeof data, "%s/db/data.mdb", fx_dir);
    off_t size = file_size(data);
    cr_assert_gt(size, 40 * 4096, "too few pages: %lld", (long long)size);
    const off_t cuts[] = {size / 2, size / 10 * 9, size - 1000,
                          size - 4096, 3 * 4096, 4096 + 1000};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char dir[300];
        snprintf(dir, sizeof dir, "%s/cut%zu", fx_dir, i);
        copy_cut(dir, cuts[i]);
        expect_refused(dir, ERR_CORRUPT, "truncated");
    }
    /* Shorter than LMDB's two meta pages: LMDB itself refuses it. */
    char dir[300];
    snprintf(dir, sizeof dir, "%s/cut-meta", fx_dir);
    copy_cut(dir, 4096 + 8);
    expect_refused(dir, ERR_VERSION, "not an LMDB file");
    /* The whole copy opens. */
    snprintf(dir, sizeof dir, "%s/whole", fx_dir);
    copy_cut(dir, size);
    char err[ERR_LEN];
    store_opts_t ro = {.readonly = 1};
    store_t *s = NULL;
    cr_assert_eq(store_open(&s, dir, fx_cat, &ro, err), ERR_OK, "%s", err);
    store_close(&s);
}

Test(store_corrupt, a_missing_data_file_beside_its_lock_file_is_refused)
{
    populate();
    store_close(&fx_store);
    char db[300];
    char data[400];
    db_path(db, sizeof db);
    snprintf(data, sizeof data, "%s/data.mdb", db);
    cr_assert_eq(unlink(data), 0);
    char err[ERR_LEN] = "";
    store_t *s = NULL;
    cr_expect_eq(store_open(&s, db, fx_cat, NULL, err), ERR_CORRUPT, "%s",
                 err);
    cr_expect_null(s);
    cr_expect(strstr(err, data) != NULL && strstr(err, "lock.mdb") != NULL,
              "%s", err);
    struct stat st;
    cr_expect_neq(stat(data, &st), 0, "a new data.mdb was created");
    store_opts_t ro = {.readonly = 1};
    cr_expect_eq(store_open(&s, db, fx_cat, &ro, err), ERR_NOTFOUND, "%s",
                 err);
    cr_expect(strstr(err, data) != NULL, "%s", err);
}

/* An LMDB environment that is not an hrss store: a named database and a
 * record, no format key. */
static void other_environment(const char *dir)
{
    cr_assert_eq(mkdir(dir, 0750), 0);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 4);
    cr_assert_eq(mdb_env_open(env, dir, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "things", MDB_CREATE, &dbi), 0);
    MDB_val k = {5, (void *)(uintptr_t)"thing"};
    MDB_val d = {3, (void *)(uintptr_t)"one"};
    cr_assert_eq(mdb_put(txn, dbi, &k, &d, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* The newest transaction id of the environment in @p dir. */
static size_t env_txnid(const char *dir)
{
    MDB_env *env = NULL;
    MDB_envinfo info;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_open(env, dir, MDB_NOTLS | MDB_RDONLY, 0640), 0);
    cr_assert_eq(mdb_env_info(env, &info), 0);
    mdb_env_close(env);
    return info.me_last_txnid;
}

Test(store_corrupt, an_environment_without_the_format_key_is_refused)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/other", fx_dir);
    other_environment(dir);
    size_t txnid = env_txnid(dir);
    expect_refused(dir, ERR_CORRUPT, "not an hrss store");
    cr_expect_eq(env_txnid(dir), txnid, "the refused open wrote");
}

/* A new store is made where there was none: a directory that does not
 * exist, an empty one, one with only the collector's own files, or an
 * environment LMDB created in which nothing was ever committed (a first
 * start that died at once). */
Test(store_corrupt, a_new_store_only_where_there_was_none)
{
    char dir[300];
    char path[400];
    char err[ERR_LEN];
    store_t *s = NULL;
    snprintf(dir, sizeof dir, "%s/empty", fx_dir);
    cr_assert_eq(mkdir(dir, 0750), 0);
    cr_expect_eq(store_open(&s, dir, fx_cat, NULL, err), ERR_OK, "%s", err);
    store_close(&s);

    snprintf(dir, sizeof dir, "%s/collector", fx_dir);
    cr_assert_eq(mkdir(dir, 0750), 0);
    const char *own[] = {"collector.lock", "endpoints"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, own[i]);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs("x\n", f);
        fclose(f);
    }
    cr_expect_eq(store_open(&s, dir, fx_cat, NULL, err), ERR_OK, "%s", err);
    store_close(&s);

    snprintf(dir, sizeof dir, "%s/never-committed", fx_dir);
    cr_assert_eq(mkdir(dir, 0750), 0);
    MDB_env *env = NULL;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_open(env, dir, MDB_NOTLS, 0640), 0);
    mdb_env_close(env);
    cr_assert_eq(env_txnid(dir), 0);
    cr_expect_eq(store_open(&s, dir, fx_cat, NULL, err), ERR_OK, "%s", err);
    store_close(&s);
    cr_expect_gt(env_txnid(dir), 0);
}

/* ---------------------------------------------------------------------- */
/* an aggregate that disagrees with its facts, with a good checksum        */

static void agg_off_by_one(raw_t *w)
{
    MDB_dbi dbi = raw_dbi(w, "agg");
    MDB_cursor *cur = NULL;
    cr_assert_eq(mdb_cursor_open(w->txn, dbi, &cur), 0);
    MDB_val k;
    MDB_val d;
    cr_assert_eq(mdb_cursor_get(cur, &k, &d, MDB_FIRST), 0);
    unsigned char key[512];
    cr_assert(k.mv_size <= sizeof key);
    memcpy(key, k.mv_data, k.mv_size);
    MDB_val nk = {k.mv_size, key};
    cr_assert_eq(lmdbh_unseal(&nk, &d), ERR_OK);
    buf_t v;
    buf_init(&v);
    buf_put(&v, d.mv_data, d.mv_size);
    v.data[8] ^= 1; /* the low byte of num (after the version byte) */
    lmdbh_seal(&v, &nk);
    MDB_val nd = {v.len, v.data};
    mdb_cursor_close(cur);
    cr_assert_eq(mdb_put(w->txn, dbi, &nk, &nd, 0), 0);
    buf_fini(&v);
}

typedef struct lines {
    int n;
    char first[ERR_LEN];
} lines_t;

static void on_line(const char *line, void *arg)
{
    lines_t *l = arg;
    if (l->n++ == 0) {
        snprintf(l->first, sizeof l->first, "%s", line);
    }
}

Test(store_corrupt, an_aggregate_that_disagrees_with_its_facts_is_named)
{
    populate();
    char err[ERR_LEN] = "";
    store_check_counts_t n;
    lines_t l = {0, ""};
    cr_assert_eq(store_check(fx_store, on_line, &l, &n, err), ERR_OK, "%s",
                 err);
    cr_assert_eq(n.problems, 0);
    cr_assert(n.derived_checked && n.records > 20);
    corrupt(agg_off_by_one);
    cr_assert_eq(store_verify(fx_store, err), ERR_CORRUPT);
    cr_expect(strstr(err, "table agg, key ") != NULL &&
                  strstr(err, "wrong value") != NULL, "%s", err);
    cr_assert_eq(store_check(fx_store, on_line, &l, &n, err), ERR_CORRUPT);
    cr_expect_eq(l.n, 1, "one problem: %s", l.first);
    cr_expect(strstr(l.first, "/db/data.mdb: aggregates differ") != NULL &&
                  strstr(l.first, "table agg, key ") != NULL, "%s", l.first);
    cr_expect(strstr(err, "1 problem found") != NULL, "%s", err);
}
