/* test_store_damage.c: a damaged store file with the real binaries.
 * Issue 9 measured 200 single-byte flips of a store: 79 gave different
 * answers with exit 0 and 2 crashed. Here: a flipped record is named by
 * hrssctl check (file, table, key) and by every query that meets it; no
 * flip ever gives a wrong answer with exit 0 or a crash; check runs
 * offline only; a format-1 store (before checksums) is upgraded by the
 * collector and answers exactly as before. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/lmdbh.h"
#include "harness.h"
#include "store/codec.h"

TestSuite(damage, .init = hx_setup, .fini = hx_teardown, .timeout = 240);

#define CAT HRSS_TEST_CATALOG_DIR
#define OUT_LEN (1 << 20)

static update_t cnt(uint64_t seq, const char *ind, uint32_t region,
                    uint32_t yyyymm, int64_t v)
{
    update_t u = {seq, ind, region, yyyymm, {0, v, 0}};
    return u;
}

/* A store in DIR with figures in every table: 3 indicators x 4 regions x
 * 24 months, a revision of each of 10 cells, a rejection and an "of
 * which" figure above its whole. */
static void populate(const char *dir)
{
    catalog_t *cat = NULL;
    store_t *s = NULL;
    char err[ERR_LEN];
    cr_assert_eq(catalog_load_dir(&cat, CAT, err), ERR_OK, "%s", err);
    cr_assert_eq(store_open(&s, dir, cat, NULL, err), ERR_OK, "%s", err);
    static update_t u[400];
    const char *ind[] = {"urban_new_jobs", "pension_insured",
                         "vocational_skill_training"};
    const uint32_t reg[] = {330102, 330105, 330106, 330212};
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        for (int r = 0; r < 4; r++) {
            for (int m = 0; m < 24; m++) {
                uint32_t ym = (uint32_t)((2023 + m / 12) * 100 + m % 12 + 1);
                n++;
                u[n - 1] = cnt(n, ind[i], reg[r], ym, 1000 * (i + 1) + m + r);
            }
        }
    }
    for (int k = 0; k < 10; k++, n++) {
        u[n] = cnt(n + 1, ind[0], reg[k % 4], 202301u + (uint32_t)k, 77 + k);
    }
    u[n] = cnt(n + 1, "professional_technical_talent", 330102, 202406, 10);
    n++;
    u[n] = cnt(n + 1, "senior_title_talent", 330102, 202406, 12);
    n++;
    u[n] = cnt(n + 1, ind[0], 330102, 209901, 5); /* rejected: future */
    n++;
    store_batch_t b = {"agent-d", -1, 1764000000, month_make(2026, 11), u, n,
                       NULL};
    store_result_t res;
    cr_assert_eq(store_apply(s, &b, 1, &res, err), ERR_OK, "%s", err);
    cr_assert_eq(res.rejected, 1);
    store_result_fini(&res);
    store_close(&s);
    catalog_destroy(&cat);
}

/* The answers compared before and after a flip. */
static const char *const queries[][8] = {
    {"export", "--format", "csv", NULL},
    {"agents", NULL},
    {"rejections", NULL},
    {"violations", NULL},
    {"history", "urban_new_jobs", "--region", "330102", "--period", "2023-01",
     NULL},
    {"total", "urban_new_jobs", "--period", "2024", NULL},
    {"total", "pension_insured", "--period", "2022..2024", NULL},
};
#define NQ (sizeof queries / sizeof queries[0])

static int ctl(const char *db, const char *const *q, char *out, size_t len)
{
    const char *argv[16] = {"hrssctl", "--data-dir", db, "--catalog", CAT};
    size_t n = 5;
    for (size_t i = 0; q[i] != NULL; i++) {
        argv[n++] = q[i];
    }
    argv[n] = NULL;
    return hx_run(argv, 60000, out, len);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb");
    FILE *b = fopen(to, "wb");
    cr_assert(a != NULL && b != NULL, "copy %s -> %s", from, to);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) {
        cr_assert_eq(fwrite(buf, 1, n, b), n);
    }
    fclose(a);
    cr_assert_eq(fclose(b), 0);
}

static long file_size(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s", path);
    return (long)st.st_size;
}

static void xor_byte(const char *path, long off, unsigned char x)
{
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    cr_assert_eq(fseek(f, off, SEEK_SET), 0);
    int c = fgetc(f);
    cr_assert_neq(c, EOF);
    cr_assert_eq(fseek(f, off, SEEK_SET), 0);
    fputc(c ^ x, f);
    cr_assert_eq(fclose(f), 0);
}

/* Offset of the first occurrence of @p pat at or after @p from in file
 * @p path, or -1. */
static long find_bytes(const char *path, long from, const void *pat,
                       size_t n)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    long size = file_size(path);
    unsigned char *b = malloc((size_t)size);
    cr_assert_eq(fread(b, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    long at = -1;
    for (long i = from; i + (long)n <= size && at < 0; i++) {
        if (memcmp(b + i, pat, n) == 0) {
            at = i;
        }
    }
    free(b);
    return at;
}

/* Each query's exit status and answer for one store. */
typedef struct answers {
    int st[NQ];
    char out[NQ][OUT_LEN];
} answers_t;

/* Ask the store in @p db every query; fails the test on a crash (exit
 * >= 128). */
static void answers(const char *db, answers_t *a)
{
    for (size_t i = 0; i < NQ; i++) {
        a->st[i] = ctl(db, queries[i], a->out[i], OUT_LEN);
        cr_assert_lt(a->st[i], 128, "hrssctl %s died (status %d) on %s: "
                     "%.300s", queries[i][0], a->st[i], db, a->out[i]);
    }
}

static int check_store(const char *db, char *out, size_t len)
{
    const char *argv[] = {"hrssctl", "--data-dir", db, "--catalog", CAT,
                          "check", NULL};
    int st = hx_run(argv, 60000, out, len);
    cr_assert_lt(st, 128, "hrssctl check died (status %d): %.300s", st, out);
    return st;
}

Test(damage, check_names_a_flipped_record_and_queries_refuse_it)
{
    char db[300];
    char file[320];
    static char out[OUT_LEN];
    snprintf(db, sizeof db, "%s/store", hx_dir);
    snprintf(file, sizeof file, "%s/data.mdb", db);
    populate(db);
    cr_assert_eq(check_store(db, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "sound") != NULL, "%s", out);
    /* The fact pension_insured 330105 2023-02 (2002 persons, as populate
     * wrote it): its key and the start of its value, as in a leaf page
     * (a branch page holds keys without values). */
    buf_t k;
    buf_init(&k);
    codec_key_cell(&k, "pension_insured", 330105, month_make(2023, 2));
    size_t klen = k.len;
    buf_put_u8(&k, 1);      /* record version */
    buf_put_u8(&k, 0);      /* a count */
    buf_put_i64(&k, 2002);  /* its value */
    /* Every copy: pages LMDB freed (copy-on-write) keep old ones. */
    int copies = 0;
    for (long at = 0; (at = find_bytes(file, at, k.data, k.len)) >= 0;
         at++) {
        xor_byte(file, at + (long)klen + 9, 0x01); /* 2002 -> 2003 */
        copies++;
    }
    cr_assert_gt(copies, 0, "the fact is in the file");
    buf_fini(&k);
    cr_assert_eq(check_store(db, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "table facts, key pension_insured 330105 2023-02: "
                          "checksum mismatch") != NULL, "%s", out);
    cr_expect(strstr(out, file) != NULL, "names the file: %s", out);
    /* Every question that reads it says so, naming it; none answers. */
    const char *const own[] = {"total", "pension_insured", "--period",
                               "2023-01..2023-02", "--region", "330105",
                               NULL};
    cr_expect_eq(ctl(db, own, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "table facts, key pension_insured 330105 2023-02")
                  != NULL, "%s", out);
    cr_expect_eq(ctl(db, queries[0], out, sizeof out), 1, "export: %s", out);
    cr_expect(strstr(out, "checksum mismatch") != NULL, "%s", out);
}

Test(damage, random_byte_flips_never_give_a_wrong_answer_or_a_crash)
{
    char db[300];
    char file[320];
    char fdb[300];
    char ffile[320];
    char lock[320];
    static answers_t truth;
    static answers_t got;
    static char out[OUT_LEN];
    snprintf(db, sizeof db, "%s/store", hx_dir);
    snprintf(file, sizeof file, "%s/data.mdb", db);
    snprintf(fdb, sizeof fdb, "%s/flip", hx_dir);
    snprintf(ffile, sizeof ffile, "%s/data.mdb", fdb);
    snprintf(lock, sizeof lock, "%s/lock.mdb", fdb);
    populate(db);
    answers(db, &truth);
    for (size_t q = 0; q < NQ; q++) {
        cr_assert_eq(truth.st[q], 0, "%s: %s", queries[q][0], truth.out[q]);
    }
    long size = file_size(file);
    cr_assert_eq(mkdir(fdb, 0750), 0);
    uint64_t x = 0x9e3779b97f4a7c15u; /* fixed: the same flips every run */
    int changed = 0;
    int refused = 0;
    for (int i = 0; i < 60; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        long off = (long)((x >> 17) % (uint64_t)size);
        unsigned char bits = (unsigned char)(1u + (x >> 8) % 255u);
        copy_file(file, ffile);
        xor_byte(ffile, off, bits);
        answers(fdb, &got);
        int st = check_store(fdb, out, sizeof out);
        int differs = 0;
        for (size_t q = 0; q < NQ; q++) {
            int same = got.st[q] == 0 && strcmp(got.out[q], truth.out[q]) == 0;
            /* Whatever differs is a refusal, never another answer. */
            cr_assert(same || got.st[q] != 0,
                      "flip %d (offset %ld, xor 0x%02x): hrssctl %s answered "
                      "with exit 0 and another answer", i, off, bits,
                      queries[q][0]);
            differs |= !same;
        }
        if (differs) {
            changed++;
            cr_expect_eq(st, 1, "flip %d (offset %ld): an answer changed but "
                         "check said: %.300s", i, off, out);
        }
        refused += st != 0;
        remove(ffile);
        remove(lock);
    }
    cr_log_info("60 flips: %d changed some answer (all refused), check "
                "refused %d", changed, refused);
}

/* LMDB's meta pages carry no checksum: a flip in the older one's
 * transaction id can make it the newest, and LMDB then opens the commit
 * before the last as if nothing had happened. check compares the two. */
Test(damage, check_finds_a_meta_page_that_would_open_an_older_commit)
{
    char db[300];
    char file[320];
    static char out[OUT_LEN];
    snprintf(db, sizeof db, "%s/store", hx_dir);
    snprintf(file, sizeof file, "%s/data.mdb", db);
    populate(db);
    cr_assert_eq(check_store(db, out, sizeof out), 0, "%s", out);
    long psize = sysconf(_SC_PAGESIZE);
    uint64_t id[2];
    FILE *f = fopen(file, "rb");
    cr_assert_not_null(f);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(fseek(f, i * psize + 144, SEEK_SET), 0);
        cr_assert_eq(fread(&id[i], sizeof id[i], 1, f), 1);
    }
    fclose(f);
    cr_assert(id[0] + 1 == id[1] || id[1] + 1 == id[0], "%llu %llu",
              (unsigned long long)id[0], (unsigned long long)id[1]);
    int older = id[0] < id[1] ? 0 : 1;
    xor_byte(file, older * psize + 144 + 4, 0x01); /* + 2^32 */
    cr_assert_eq(check_store(db, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "meta pages disagree") != NULL &&
                  strstr(out, file) != NULL, "%s", out);
}

/* In the store in @p db: delete audit record @p del (0: none), and copy
 * audit record @p from's bytes, resealed, to a new record @p to (0:
 * none). */
static void edit_audit(const char *db, uint64_t del, uint64_t from,
                       uint64_t to)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi audit;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    cr_assert_eq(mdb_env_open(env, db, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "audit", 0, &audit), 0);
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    if (from != 0) {
        codec_key_id(&k, from);
        MDB_val kv = lmdbh_val(&k);
        MDB_val d;
        cr_assert_eq(mdb_get(txn, audit, &kv, &d), 0);
        cr_assert_eq(lmdbh_unseal(&kv, &d), ERR_OK);
        buf_put(&v, d.mv_data, d.mv_size);
        codec_key_id(&k, to);
        kv = lmdbh_val(&k);
        lmdbh_seal(&v, &kv);
        MDB_val nv = lmdbh_val(&v);
        cr_assert_eq(mdb_put(txn, audit, &kv, &nv, MDB_NOOVERWRITE), 0);
    }
    if (del != 0) {
        codec_key_id(&k, del);
        MDB_val kv = lmdbh_val(&k);
        cr_assert_eq(mdb_del(txn, audit, &kv, NULL), 0);
    }
    buf_fini(&k);
    buf_fini(&v);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* A cell's history is the chain of its audit records back from its fact
 * (store format 3): check follows every link and counts the records the
 * chains reach. populate() applied 288 figures (audit ids 1..288), then
 * revised urban_new_jobs 330102 2023-01 (id 1) as id 289. */
Test(damage, check_follows_the_chains_of_revisions)
{
    char db[300];
    static char out[OUT_LEN];
    snprintf(db, sizeof db, "%s/store", hx_dir);
    populate(db);
    const char *const hist[] = {"history", "urban_new_jobs", "--region",
                                "330102", "--period", "2023-01", NULL};
    cr_assert_eq(ctl(db, hist, out, sizeof out), 0, "%s", out);
    cr_assert(strstr(out, "agent-d") != NULL, "%s", out);
    /* A record no chain reaches (a copy of one, under a new id). */
    edit_audit(db, 0, 2, 5000);
    cr_assert_eq(check_store(db, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "table audit: 301 records, 300 of them in the "
                          "cells' histories") != NULL, "%s", out);
    /* A link to a revision that is gone: check names the record that
     * points at it, and the cell's history refuses to answer. */
    edit_audit(db, 5000, 0, 0);
    edit_audit(db, 1, 0, 0);
    cr_assert_eq(check_store(db, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "table audit, key 289: its previous revision 1 "
                          "is missing") != NULL, "%s", out);
    cr_expect_eq(ctl(db, hist, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "table audit, key 1") != NULL, "%s", out);
}

/* The big-endian u32 at *@p at of @p b; moves *@p at past it. */
static size_t take_len(const buf_t *b, size_t *at)
{
    buf_reader_t r;
    buf_reader_init(&r, b->data + *at, 4);
    *at += 4;
    return buf_get_u32(&r);
}

/* The format-2 store that the hrss of ad32d25 (the last before format 3)
 * wrote for populate()'s figures, compacted (mdb_env_copy2): copied into
 * @p db. tests/fixtures/store-format2/README says how it was made. */
static void format2_store(const char *db)
{
    char to[400];
    cr_assert_eq(mkdir(db, 0750), 0, "%s", db);
    snprintf(to, sizeof to, "%s/data.mdb", db);
    copy_file(HRSS_TEST_FIXTURES_DIR "/store-format2/data.mdb", to);
}

/* Turn the format-2 store in @p db into the format-1 store an older hrss
 * wrote: every value without its seal, meta integers bare, format 1. */
static void downgrade(const char *db)
{
    MDB_env *env;
    MDB_txn *txn;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, (size_t)64 << 20);
    cr_assert_eq(mdb_env_open(env, db, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    const char *tables[] = {"meta",    "facts",     "audit", "cellhist",
                            "rejects", "reporters", "agg",   "violations",
                            "rejby"};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        MDB_dbi dbi;
        int dup = strcmp(tables[t], "rejby") == 0;
        cr_assert_eq(mdb_dbi_open(txn, tables[t], 0, &dbi), 0, "%s",
                     tables[t]);
        /* Gather, empty the table, put back without seals. */
        buf_t all;
        buf_init(&all);
        MDB_cursor *cur;
        MDB_val k;
        MDB_val d;
        cr_assert_eq(mdb_cursor_open(txn, dbi, &cur), 0);
        for (int rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
            int bare = k.mv_size == 6 && memcmp(k.mv_data, "format", 6) == 0;
            if (!bare) {
                cr_assert_eq(lmdbh_unseal(&k, &d), ERR_OK, "%s", tables[t]);
            }
            buf_put_u32(&all, (uint32_t)k.mv_size);
            buf_put(&all, k.mv_data, k.mv_size);
            buf_put_u32(&all, (uint32_t)d.mv_size);
            buf_put(&all, d.mv_data, d.mv_size);
        }
        mdb_cursor_close(cur);
        cr_assert_eq(mdb_drop(txn, dbi, 0), 0);
        for (size_t at = 0; at < all.len;) {
            MDB_val nk;
            MDB_val nd;
            nk.mv_size = take_len(&all, &at);
            nk.mv_data = all.data + at;
            at += nk.mv_size;
            nd.mv_size = take_len(&all, &at);
            nd.mv_data = all.data + at;
            at += nd.mv_size;
            if (nk.mv_size == 6 && memcmp(nk.mv_data, "format", 6) == 0) {
                static const unsigned char one[4] = {0, 0, 0, 1};
                nd.mv_data = (void *)(uintptr_t)one;
            }
            cr_assert_eq(mdb_put(txn, dbi, &nk, &nd, dup ? MDB_NODUPDATA : 0),
                         0, "%s", tables[t]);
        }
        buf_fini(&all);
    }
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* Start and stop the collector on the store in @p db, of format @p from,
 * which it upgrades and says so; then every answer must be @p before's
 * and check must find the store sound. */
static void upgraded_as_it_was(const char *db, unsigned from,
                               const answers_t *before)
{
    static answers_t after;
    static char out[OUT_LEN];
    hx_coll_t c;
    char log[320];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_collector_start(&c, db, log);
    cr_assert_eq(hx_collector_stop(&c, 30000), 0, "the collector stopped");
    FILE *f = fopen(log, "r");
    cr_assert_not_null(f, "%s", log);
    size_t n = fread(out, 1, OUT_LEN - 1, f);
    out[n] = '\0';
    fclose(f);
    char said[400];
    snprintf(said, sizeof said, "store: upgraded %s/data.mdb from format %u "
             "to 3", db, from);
    cr_expect(strstr(out, said) != NULL, "the log does not say '%s': %s",
              said, out);
    answers(db, &after);
    for (size_t q = 0; q < NQ; q++) {
        cr_expect_eq(after.st[q], before->st[q], "%s", queries[q][0]);
        cr_expect_str_eq(after.out[q], before->out[q], "%s", queries[q][0]);
    }
    cr_assert_eq(check_store(db, out, sizeof out), 0, "%s", out);
}

/* The answers of populate()'s figures in a store of this format. */
static void answers_now(answers_t *a)
{
    char db[300];
    snprintf(db, sizeof db, "%s/now", hx_dir);
    populate(db);
    answers(db, a);
}

Test(damage, a_format_1_store_is_upgraded_by_the_collector)
{
    char db[300];
    static answers_t before;
    static char out[OUT_LEN];
    snprintf(db, sizeof db, "%s/store", hx_dir);
    answers_now(&before);
    format2_store(db);
    downgrade(db);
    /* Read-only, nothing can upgrade it: a clear refusal. */
    cr_assert_eq(ctl(db, queries[0], out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "store format 1") != NULL &&
                  strstr(out, "start hrss-collector on it once") != NULL,
              "%s", out);
    cr_assert_eq(check_store(db, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "store format 1") != NULL, "%s", out);
    /* The collector upgrades it at start; then every answer is as it was
     * and check finds it sound. */
    upgraded_as_it_was(db, 1, &before);
}

Test(damage, check_runs_only_with_the_collector_stopped)
{
    char db[300];
    char log[320];
    static char out[OUT_LEN];
    snprintf(db, sizeof db, "%s/store", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    populate(db);
    hx_coll_t c;
    hx_collector_start(&c, db, log);
    cr_assert_eq(check_store(db, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "in use by a collector (pid") != NULL, "%s", out);
    cr_assert_eq(hx_collector_stop(&c, 30000), 0);
    cr_assert_eq(check_store(db, out, sizeof out), 0, "%s", out);
    /* A directory without a store: no store is made. */
    char none[300];
    snprintf(none, sizeof none, "%s/none", hx_dir);
    cr_assert_eq(mkdir(none, 0750), 0);
    cr_assert_eq(check_store(none, out, sizeof out), 1, "%s", out);
    char f[320];
    snprintf(f, sizeof f, "%s/data.mdb", none);
    struct stat st;
    cr_expect_neq(stat(f, &st), 0, "check made a store in %s", none);
    const char *viaconn[] = {"hrssctl", "--connect", "tcp://127.0.0.1:1",
                             "--insecure", "check", NULL};
    cr_expect_eq(hx_run(viaconn, 10000, out, sizeof out), 64, "%s", out);
}

/* Format 2 (before compact records, chained revisions and year spans):
 * refused read-only, saying what to do; the collector rewrites its facts
 * and audit records and rebuilds its aggregates at start, and every
 * answer, a cell's history and a stock over whole years among them, is
 * as it was. */
Test(damage, a_format_2_store_is_upgraded_by_the_collector)
{
    char db[300];
    static answers_t before;
    static char out[OUT_LEN];
    snprintf(db, sizeof db, "%s/store", hx_dir);
    answers_now(&before);
    format2_store(db);
    cr_assert_eq(ctl(db, queries[NQ - 1], out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "store format 2 (an older layout)") != NULL &&
                  strstr(out, "start hrss-collector on it once") != NULL,
              "%s", out);
    upgraded_as_it_was(db, 2, &before);
}
