/* test_lock.c: the automatic lock a number of days after a month's
 * deadline (store_set_lock_after), and the province's exceptions to it
 * (STORE_EXCEPT, STORE_UNEXCEPT). urban_new_jobs of 2025-10 is due by
 * 2025-11-10 23:59:59 Asia/Shanghai = 1762790399; 30 days later,
 * 2025-12-10 23:59:59 = 1765382399. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "store_fixture.h"

TestSuite(lock, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

#define CLOSES 1765382399

static uint64_t seq = 1;

/* One figure for 上城区 2025-10 received at @p at: the result. */
static store_result_t send_at(int64_t at, int64_t v)
{
    update_t u = fx_count(seq++, "urban_new_jobs", 330102, 202510, v);
    store_batch_t b = {"office", -1, at, FX_NOW_MONTH, &u, 1, NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(fx_store, &b, 1, &r, err), ERR_OK, "%s", err);
    return r;
}

static int act(enum store_approval_action a, const unsigned char *scope,
               char err[ERR_LEN])
{
    store_approval_req_t rq = {a, 330102, 2025 * 12 + 9, "zj", CLOSES,
                               scope};
    return store_approval_act(fx_store, &rq, NULL, err);
}

Test(lock, a_month_locks_the_given_days_after_its_deadline)
{
    store_set_lock_after(fx_store, 30);
    store_result_t r = send_at(CLOSES, 100);
    cr_expect_eq(r.applied, 1, "the last second is still open");
    store_result_fini(&r);
    r = send_at(CLOSES + 1, 130);
    cr_assert_eq(r.rejected, 1);
    cr_expect_eq(r.rejections[0].reason, UPDATE_PERIOD_LOCKED);
    cr_expect_str_eq(r.rejections[0].message,
                     "period: 2025-10 of region 330102 closed on "
                     "2025-12-10, 30 days after its deadline: the province "
                     "can grant an exception");
    store_result_fini(&r);
    /* Another month, still open; the lock off: open. */
    update_t u = fx_count(seq++, "urban_new_jobs", 330102, 202511, 5);
    store_batch_t b = {"office", -1, CLOSES + 1, FX_NOW_MONTH, &u, 1, NULL};
    char err[ERR_LEN];
    cr_assert_eq(store_apply(fx_store, &b, 1, &r, err), ERR_OK);
    cr_expect_eq(r.applied, 1);
    store_result_fini(&r);
    store_set_lock_after(fx_store, 0);
    r = send_at(CLOSES + 86400 * 400, 140);
    cr_expect_eq(r.applied, 1);
    store_result_fini(&r);
}

Test(lock, the_province_excepts_a_region_s_month)
{
    store_set_lock_after(fx_store, 30);
    char err[ERR_LEN];
    size_t n = catalog_region_count(fx_cat);
    unsigned char *hz = calloc(n, 1);
    int top = catalog_region_find(fx_cat, 330100);
    for (size_t i = 0; i < n; i++) {
        hz[i] = (unsigned char)catalog_region_within(fx_cat, (int)i, top);
    }
    cr_expect_eq(act(STORE_EXCEPT, hz, err), ERR_DENIED);
    cr_expect_str_eq(err, "except 330102 2025-10: zj may not: only the "
                          "province grants exceptions to the lock");
    free(hz);
    cr_assert_eq(act(STORE_EXCEPT, NULL, err), ERR_OK, "%s", err);
    cr_expect_eq(act(STORE_EXCEPT, NULL, err), ERR_INVAL);
    cr_expect_str_eq(err, "except 330102 2025-10: it has an exception "
                          "already");
    store_approval_t a;
    cr_assert_eq(store_approval_get(fx_store, 330102, 2025 * 12 + 9, &a,
                                    err), ERR_OK);
    cr_expect_eq(a.exception, 1);
    cr_expect_eq(a.state, STORE_OPEN);
    store_result_t r = send_at(CLOSES + 86400 * 5, 130);
    cr_expect_eq(r.applied, 1, "the exception lets it in");
    store_result_fini(&r);
    cr_assert_eq(act(STORE_UNEXCEPT, NULL, err), ERR_OK, "%s", err);
    r = send_at(CLOSES + 86400 * 6, 140);
    cr_expect_eq(r.rejected, 1);
    store_result_fini(&r);
    cr_expect_eq(act(STORE_UNEXCEPT, NULL, err), ERR_INVAL);
    cr_expect_str_eq(err, "unexcept 330102 2025-10: it has no exception");
}
