/* test_tally.c: the store's tally (store/tally.h) and store_reconcile():
 * exact counts per reporter, region and month; replays and dry runs
 * count nothing; a store from before the table gets it filled. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>

#include "common/period.h"
#include "store_fixture.h"

TestSuite(tally, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

static store_recon_t recon(uint32_t region, const char *period)
{
    char err[ERR_LEN];
    period_t p;
    cr_assert_eq(period_parse(period, &p, err), ERR_OK, "%s", err);
    store_recon_t r;
    cr_assert_eq(store_reconcile(fx_store, region, &p, &r, err), ERR_OK,
                 "%s", err);
    return r;
}

static void expect_row(const store_recon_t *r, size_t i, const char *who,
                       uint32_t region, uint32_t yyyymm, uint64_t acc,
                       uint64_t rej)
{
    cr_assert_lt(i, r->n);
    cr_expect_str_eq(r->rows[i].reporter, who);
    cr_expect_eq(r->rows[i].region, region, "row %zu region %u", i,
                 r->rows[i].region);
    cr_expect_eq(r->rows[i].yyyymm, yyyymm, "row %zu month %u", i,
                 r->rows[i].yyyymm);
    cr_expect_eq(r->rows[i].accepted, acc, "row %zu accepted %llu", i,
                 (unsigned long long)r->rows[i].accepted);
    cr_expect_eq(r->rows[i].rejected, rej, "row %zu rejected %llu", i,
                 (unsigned long long)r->rows[i].rejected);
}

/* office-a: 2025-01 two accepted and a negative count; 2025-02 one; a
 * future month (2026-12); an unknown region. office-b: 330203 once. */
static void apply_sample(void)
{
    update_t a[] = {
        fx_count(1, "urban_new_jobs", 330102, 202501, 10),
        fx_count(2, "pension_insured", 330102, 202501, 5),
        fx_count(3, "urban_new_jobs", 330102, 202502, 11),
        fx_count(4, "pension_insured", 330102, 202501, -1),
        fx_count(5, "urban_new_jobs", 330102, 202612, 9),
        fx_count(6, "urban_new_jobs", 999999, 202501, 9),
    };
    store_result_t res = fx_apply("office-a", a, 6);
    cr_assert_eq(res.applied, 3);
    cr_assert_eq(res.rejected, 3);
    store_result_fini(&res);
    update_t b[] = {fx_count(1, "urban_new_jobs", 330203, 202501, 7)};
    res = fx_apply("office-b", b, 1);
    cr_assert_eq(res.applied, 1);
    store_result_fini(&res);
}

Test(tally, counts_each_office_month_and_not_replays)
{
    apply_sample();
    /* The same batch again: every update a replay. */
    update_t a[] = {fx_count(1, "urban_new_jobs", 330102, 202501, 10)};
    store_result_t res = fx_apply("office-a", a, 1);
    cr_assert_eq(res.replayed, 1);
    store_result_fini(&res);

    store_recon_t r = recon(330100, "2025");
    cr_assert_eq(r.n, 3, "%zu rows", r.n);
    expect_row(&r, 0, "office-a", 330102, 202501, 2, 1);
    expect_row(&r, 1, "office-a", 330102, 202502, 1, 0);
    /* The unknown region's rejection, under what it carried. */
    expect_row(&r, 2, "office-a", 999999, 202501, 0, 1);
    cr_expect_eq(r.n_lost, 0);
    store_recon_fini(&r);

    r = recon(330000, "2026");
    cr_assert_eq(r.n, 1);
    expect_row(&r, 0, "office-a", 330102, 202612, 0, 1);
    store_recon_fini(&r);

    r = recon(330000, "2025-01");
    cr_assert_eq(r.n, 3);
    expect_row(&r, 0, "office-a", 330102, 202501, 2, 1);
    expect_row(&r, 1, "office-b", 330203, 202501, 1, 0);
    expect_row(&r, 2, "office-a", 999999, 202501, 0, 1);
    store_recon_fini(&r);
}

Test(tally, a_dry_run_counts_nothing)
{
    char err[ERR_LEN];
    update_t a[] = {fx_count(1, "urban_new_jobs", 330102, 202501, 10),
                    fx_count(2, "urban_new_jobs", 330102, 202612, 10)};
    store_batch_t b = {"office-a", -1, 1764000000, FX_NOW_MONTH, a, 2, NULL};
    store_try_item_t items[2];
    cr_assert_eq(store_try(fx_store, &b, items, err), ERR_OK, "%s", err);
    store_recon_t r = recon(0, "2021..2030");
    cr_expect_eq(r.n, 0);
    store_recon_fini(&r);
}

/* Close the store, drop its tally as a store from before it has none,
 * and open it again with @p max_rejections. */
static void reopen_without_tally(size_t max_rejections)
{
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    store_close(&fx_store);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 32), 0);
    cr_assert_eq(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    cr_assert_eq(mdb_env_open(env, db, 0, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "tally", 0, &dbi), 0);
    cr_assert_eq(mdb_drop(txn, dbi, 1), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    /* Read-only: no tally, and reconcile says to start the collector. */
    store_opts_t ro = {0};
    ro.readonly = 1;
    cr_assert_eq(store_open(&fx_store, db, fx_cat, &ro, err), ERR_OK, "%s",
                 err);
    store_recon_t r;
    cr_expect_eq(store_reconcile(fx_store, 0, NULL, &r, err), ERR_VERSION);
    cr_expect(strstr(err, "start the collector once") != NULL, "%s", err);
    store_close(&fx_store);
    store_opts_t o = {0};
    o.max_rejections = max_rejections;
    cr_assert_eq(store_open(&fx_store, db, fx_cat, &o, err), ERR_OK, "%s",
                 err);
}

Test(tally, a_store_from_before_it_is_filled_at_its_first_writable_open)
{
    apply_sample();
    reopen_without_tally(0);
    store_recon_t r = recon(330100, "2025");
    cr_assert_eq(r.n, 3, "%zu rows", r.n);
    expect_row(&r, 0, "office-a", 330102, 202501, 2, 1);
    expect_row(&r, 1, "office-a", 330102, 202502, 1, 0);
    expect_row(&r, 2, "office-a", 999999, 202501, 0, 1);
    cr_expect_eq(r.n_lost, 0);
    store_recon_fini(&r);
}

Test(tally, rejections_trimmed_before_it_are_named_lost)
{
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    store_close(&fx_store);
    store_opts_t o = {0};
    o.max_rejections = 1;
    cr_assert_eq(store_open(&fx_store, db, fx_cat, &o, err), ERR_OK, "%s",
                 err);
    update_t a[] = {
        fx_count(1, "urban_new_jobs", 330102, 202501, -1),
        fx_count(2, "urban_new_jobs", 330102, 202502, -1),
        fx_count(3, "urban_new_jobs", 330102, 202503, -1),
        fx_count(4, "urban_new_jobs", 330102, 202503, 4),
    };
    store_result_t res = fx_apply("office-a", a, 4);
    cr_assert_eq(res.rejected, 3);
    store_result_fini(&res);
    /* Counted exactly while the tally exists, whatever the cap kept. */
    store_recon_t r = recon(330102, "2025-Q1");
    cr_assert_eq(r.n, 3);
    expect_row(&r, 0, "office-a", 330102, 202501, 0, 1);
    expect_row(&r, 2, "office-a", 330102, 202503, 1, 1);
    cr_expect_eq(r.n_lost, 0);
    store_recon_fini(&r);

    reopen_without_tally(1);
    r = recon(330102, "2025-Q1");
    cr_assert_eq(r.n, 1, "%zu rows", r.n); /* the one kept rejection */
    expect_row(&r, 0, "office-a", 330102, 202503, 1, 1);
    cr_assert_eq(r.n_lost, 1);
    cr_expect_str_eq(r.lost[0].reporter, "office-a");
    cr_expect_eq(r.lost[0].counted, 3);
    cr_expect_eq(r.lost[0].tallied, 1);
    store_recon_fini(&r);
}
