/* test_asof_cache.c: questions as of one moment reuse one view (asof.c
 * INVARIANT 5): a progress asks 19 totals as of T, one request each,
 * and builds the view once; a write in between, or another moment,
 * builds again, and every answer is the store as it stood at T.
 *
 * INVARIANTS
 *   1. Every expectation is an exact value, none computed by the code
 *      under test.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "store/asof.h"
#include "store_fixture.h"

TestSuite(asof_cache, .init = fx_setup, .fini = fx_teardown, .timeout = 30);

/* Apply one figure of 上城区 330102 for 2025-01 received at @p at. */
static void put_at(uint64_t seq, int64_t value, int64_t at)
{
    char err[ERR_LEN];
    update_t u = fx_count(seq, "urban_new_jobs", 330102, 202501, value);
    store_batch_t b = {"office", -1, at, FX_NOW_MONTH, &u, 1, NULL};
    store_result_t res;
    cr_assert_eq(store_apply(fx_store, &b, 1, &res, err), ERR_OK, "%s", err);
    cr_assert_eq(res.rejected, 0);
    store_result_fini(&res);
}

/* The total of 330102's 2025-01 as of @p at. */
static int64_t total_as_of(int64_t at)
{
    char err[ERR_LEN];
    cr_assert_eq(store_asof_begin(fx_store, at, err), ERR_OK, "%s", err);
    store_total_t t = fx_total("urban_new_jobs", 330102, "2025-01");
    store_asof_end(fx_store);
    return t.num;
}

Test(asof_cache, one_view_for_questions_as_of_one_moment)
{
    put_at(1, 5, 1000000000);
    put_at(2, 7, 1000002000);
    unsigned long b0 = store_asof_builds(fx_store);
    cr_expect_eq(total_as_of(1000001500), 5);
    cr_expect_eq(store_asof_builds(fx_store), b0 + 1);
    for (int i = 0; i < 18; i++) { /* the rest of a progress */
        cr_expect_eq(total_as_of(1000001500), 5);
    }
    cr_expect_eq(store_asof_builds(fx_store), b0 + 1,
                 "19 questions as of one moment built %lu views",
                 store_asof_builds(fx_store) - b0);
    /* A write in between: built again, and still the store as it stood
     * then (the new revision came after). */
    put_at(3, 9, 1000003000);
    cr_expect_eq(total_as_of(1000001500), 5);
    cr_expect_eq(store_asof_builds(fx_store), b0 + 2);
    /* Another moment: another view. */
    cr_expect_eq(total_as_of(1000002500), 7);
    cr_expect_eq(store_asof_builds(fx_store), b0 + 3);
    cr_expect_eq(total_as_of(1000003000), 9);
    cr_expect_eq(total_as_of(1000001500), 5);
    cr_expect_eq(store_asof_builds(fx_store), b0 + 5);
    /* Today's answer is not touched by the kept view. */
    store_total_t now = fx_total("urban_new_jobs", 330102, "2025-01");
    cr_expect_eq(now.num, 9);
}
