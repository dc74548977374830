/* store_fixture.c: see store_fixture.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "store_fixture.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char fx_dir[256];
catalog_t *fx_cat;
store_t *fx_store;

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void fx_rm_rf(const char *path) { nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

void fx_setup(void)
{
    char err[ERR_LEN];
    snprintf(fx_dir, sizeof fx_dir, "/tmp/hrss-test-XXXXXX");
    cr_assert_not_null(mkdtemp(fx_dir));
    int rc = catalog_load_dir(&fx_cat, HRSS_TEST_CATALOG_DIR, err);
    cr_assert_eq(rc, ERR_OK, "catalog: %s", err);
    char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    rc = store_open(&fx_store, db, fx_cat, NULL, err);
    cr_assert_eq(rc, ERR_OK, "store_open: %s", err);
}

void fx_teardown(void)
{
    store_close(&fx_store);
    catalog_destroy(&fx_cat);
    fx_rm_rf(fx_dir);
}

update_t fx_count(uint64_t seq, const char *ind, uint32_t region,
                        uint32_t yyyymm, int64_t v)
{
    update_t u = {seq, ind, region, yyyymm, {0, v, 0}};
    return u;
}

update_t fx_ratio(uint64_t seq, const char *ind, uint32_t region,
                        uint32_t yyyymm, int64_t num, int64_t den)
{
    update_t u = {seq, ind, region, yyyymm, {1, num, den}};
    return u;
}

store_result_t fx_apply(const char *reporter, const update_t *u,
                        size_t n)
{
    char err[ERR_LEN];
    store_batch_t b = {reporter, -1, 1764000000, FX_NOW_MONTH, u, n, NULL};
    store_result_t res;
    int rc = store_apply(fx_store, &b, 1, &res, err);
    cr_assert_eq(rc, ERR_OK, "store_apply: %s", err);
    return res;
}

store_total_t fx_total(const char *ind, uint32_t region, const char *period)
{
    char err[ERR_LEN];
    period_t p;
    cr_assert_eq(period_parse(period, &p, err), ERR_OK, "%s", err);
    store_total_t t;
    int rc = store_total(fx_store, ind, region, &p, &t, err);
    cr_assert_eq(rc, ERR_OK, "store_total: %s", err);
    return t;
}

void fx_write_moved_catalog(const char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s && cp %s/indicators.csv %s/plan.csv %s/ && "
             "sed 's/^330102,\\(.*\\),330100,,$/330102,\\1,330200,,/' "
             "%s/regions.csv > %s/regions.csv",
             dir, HRSS_TEST_CATALOG_DIR, HRSS_TEST_CATALOG_DIR, dir,
             HRSS_TEST_CATALOG_DIR, dir);
    cr_assert_eq(system(cmd), 0);
}
