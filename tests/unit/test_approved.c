/* test_approved.c: how much of a total is approved (store/read.c with
 * store/approve.c): store_total_t.approved in totals, breakdowns and
 * series, and store_total_approved(), the total of approved figures
 * only. 杭州市 (330100) has 13 counties; 上城区 330102, 拱墅区 330105 and
 * 西湖区 330106 report 2025-Q4, and so does the city itself:
 *
 *   region  urban_new_jobs (flow)  pension_insured (stock)  mediation
 *           Oct  Nov  Dec          Oct  Nov  Dec             (ratio, each
 *   330100  1000 1000 1000         900  910  920             month)
 *   330102   100  110  120         500  510  520              8/10
 *   330105    10   20   30          50   60   70              1/10
 *   330106     1    2    3           5    6    7              9/10
 *
 * 上城区 is approved for Oct, Nov and Dec, 拱墅区 for Oct only, 西湖区
 * and the city never. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/period.h"
#include "store_fixture.h"

TestSuite(approved, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

static const uint32_t REGIONS[] = {330100, 330102, 330105, 330106};
static const int64_t JOBS[4][3] = {
    {1000, 1000, 1000}, {100, 110, 120}, {10, 20, 30}, {1, 2, 3}};
static const int64_t INSURED[4][3] = {
    {900, 910, 920}, {500, 510, 520}, {50, 60, 70}, {5, 6, 7}};
static const int64_t MEDIATED[4] = {8, 8, 1, 9}; /* of 10 */

static void approve(uint32_t region, int32_t yyyymm)
{
    int32_t month = (yyyymm / 100) * 12 + yyyymm % 100 - 1;
    store_approval_req_t rq = {STORE_APPROVE, region, month, "hz",
                               1762000000, NULL};
    store_approval_t out;
    char err[ERR_LEN];
    cr_assert_eq(store_approval_act(fx_store, &rq, &out, err), ERR_OK,
                 "%u %d: %s", region, yyyymm, err);
}

/* The figures above, without approvals. */
static void load(void)
{
    update_t u[4 * 3 * 3];
    size_t n = 0;
    for (size_t r = 0; r < 4; r++) {
        for (uint32_t m = 0; m < 3; m++) {
            uint32_t ym = 202510 + m;
            u[n] = fx_count(n + 1, "urban_new_jobs", REGIONS[r], ym,
                            JOBS[r][m]);
            n++;
            u[n] = fx_count(n + 1, "pension_insured", REGIONS[r], ym,
                            INSURED[r][m]);
            n++;
            u[n] = fx_ratio(n + 1, "dispute_mediation_success_rate",
                            REGIONS[r], ym, MEDIATED[r], 10);
            n++;
        }
    }
    store_result_t res = fx_apply("office", u, n);
    cr_assert_eq(res.applied, n);
    store_result_fini(&res);
}

static void load_and_approve(void)
{
    load();
    approve(330102, 202510);
    approve(330102, 202511);
    approve(330102, 202512);
    approve(330105, 202510);
}

static store_total_t approved_only(const char *ind, uint32_t region,
                                   const char *period)
{
    char err[ERR_LEN];
    period_t p;
    cr_assert_eq(period_parse(period, &p, err), ERR_OK, "%s", err);
    store_total_t t;
    cr_assert_eq(store_total_approved(fx_store, ind, region, &p, &t, err),
                 ERR_OK, "%s", err);
    return t;
}

Test(approved, no_approvals_nothing_approved)
{
    load();
    store_total_t t = fx_total("urban_new_jobs", 330100, "2025-10");
    cr_expect_eq(t.num, 1111);
    cr_expect_eq(t.reporting, 4);
    cr_expect_eq(t.expected, 14);
    cr_expect_eq(t.approved, 0);
    t = approved_only("urban_new_jobs", 330100, "2025-Q4");
    cr_expect_eq(t.num, 0);
    cr_expect_eq(t.reporting, 0, "no approved figure: no report");
    cr_expect_eq(t.approved, 0);
    cr_expect_eq(t.expected, 14);
}

Test(approved, a_month_counts_the_regions_approved_in_it)
{
    load_and_approve();
    store_total_t t = fx_total("urban_new_jobs", 330100, "2025-10");
    cr_expect_eq(t.num, 1111, "the total is unchanged");
    cr_expect_eq(t.approved, 2);
    cr_expect_eq(t.expected, 14);
    cr_expect_eq(fx_total("urban_new_jobs", 330000, "2025-10").approved, 2);
    cr_expect_eq(fx_total("urban_new_jobs", 330102, "2025-10").approved, 1);
    cr_expect_eq(fx_total("urban_new_jobs", 330106, "2025-10").approved, 0);
    /* Approval is of a region's month, not of one indicator. */
    cr_expect_eq(fx_total("pension_insured", 330100, "2025-10").approved, 2);
    cr_expect_eq(fx_total("urban_new_jobs", 330100, "2025-09").approved, 0);
}

Test(approved, a_quarter_counts_a_region_only_with_all_three_months)
{
    load_and_approve();
    store_total_t t = fx_total("urban_new_jobs", 330100, "2025-Q4");
    cr_expect_eq(t.num, 3396);
    cr_expect_eq(t.approved, 1, "拱墅区 has only October approved");
    cr_expect_eq(fx_total("urban_new_jobs", 330100, "2025").approved, 0,
                 "the year has open months");
    cr_expect_eq(fx_total("urban_new_jobs", 330102, "2025-10..2025-12")
                     .approved, 1);
    cr_expect_eq(fx_total("urban_new_jobs", 330100, "2025-10..2025-11")
                     .approved, 1);
}

Test(approved, approved_only_flows_add_the_approved_regions_months)
{
    load_and_approve();
    store_total_t t = approved_only("urban_new_jobs", 330100, "2025-10");
    cr_expect_eq(t.num, 100 + 10);
    cr_expect_eq(t.den, 0);
    cr_expect_eq(t.reporting, 2);
    cr_expect_eq(t.approved, 2);
    cr_expect_eq(t.expected, 14);
    cr_expect_eq(t.is_ratio, 0);
    t = approved_only("urban_new_jobs", 330100, "2025-Q4");
    cr_expect_eq(t.num, 100 + 110 + 120);
    cr_expect_eq(t.reporting, 1);
    cr_expect_eq(t.approved, 1);
    t = approved_only("urban_new_jobs", 330000, "2025-Q4");
    cr_expect_eq(t.num, 330);
    cr_expect_eq(t.expected, 102);
    t = approved_only("urban_new_jobs", 330100, "2025");
    cr_expect_eq(t.num, 0);
    cr_expect_eq(t.reporting, 0);
}

Test(approved, approved_only_stocks_take_each_regions_last_month)
{
    load_and_approve();
    store_total_t t = approved_only("pension_insured", 330100, "2025-10");
    cr_expect_eq(t.num, 500 + 50);
    t = approved_only("pension_insured", 330100, "2025-Q4");
    cr_expect_eq(t.num, 520, "上城区's December, not a sum");
    cr_expect_eq(t.reporting, 1);
    /* A ragged range: the same rule. */
    t = approved_only("pension_insured", 330100, "2025-10..2025-11");
    cr_expect_eq(t.num, 510);
}

Test(approved, approved_only_ratios_sum_numerators_and_denominators)
{
    load_and_approve();
    store_total_t t = approved_only("dispute_mediation_success_rate", 330100,
                                    "2025-10");
    cr_expect_eq(t.is_ratio, 1);
    cr_expect_eq(t.num, 8 + 1);
    cr_expect_eq(t.den, 20);
    t = approved_only("dispute_mediation_success_rate", 330100, "2025-Q4");
    cr_expect_eq(t.num, 24);
    cr_expect_eq(t.den, 30);
    cr_expect_eq(t.approved, 1);
}

Test(approved, breakdowns_and_series_say_it_per_part)
{
    load_and_approve();
    char err[ERR_LEN];
    period_t p;
    cr_assert_eq(period_parse("2025-10", &p, err), ERR_OK);
    store_total_t own;
    store_total_t *kids = NULL;
    size_t n = 0;
    cr_assert_eq(store_breakdown(fx_store, "urban_new_jobs", 330100, &p, &own,
                                 &kids, &n, err),
                 ERR_OK, "%s", err);
    cr_assert_eq(n, 15); /* every child; 下城区 and 江干区 ended 2021-03 */
    cr_expect_eq(own.approved, 0, "the city's own month is open");
    uint32_t sum = own.approved;
    const region_t *hzr =
        catalog_region(fx_cat, (size_t)catalog_region_find(fx_cat, 330100));
    for (size_t i = 0; i < n; i++) {
        uint32_t code = catalog_region(fx_cat, (size_t)hzr->children[i])->code;
        uint32_t want = code == 330102 || code == 330105 ? 1 : 0;
        cr_expect_eq(kids[i].approved, want, "child %zu", i);
        sum += kids[i].approved;
    }
    cr_expect_eq(sum, fx_total("urban_new_jobs", 330100, "2025-10").approved);
    free(kids);
    cr_assert_eq(period_parse("2025-Q4", &p, err), ERR_OK);
    store_point_t *pts = NULL;
    cr_assert_eq(store_series(fx_store, "urban_new_jobs", 330100, &p,
                              PERIOD_MONTH, &pts, &n, err),
                 ERR_OK, "%s", err);
    cr_assert_eq(n, 3);
    cr_expect_eq(pts[0].total.approved, 2);
    cr_expect_eq(pts[1].total.approved, 1);
    cr_expect_eq(pts[2].total.approved, 1);
    free(pts);
    /* store_own: the region itself. */
    store_total_t o;
    cr_assert_eq(period_parse("2025-Q4", &p, err), ERR_OK);
    cr_assert_eq(store_own(fx_store, "urban_new_jobs", 330102, &p, &o, err),
                 ERR_OK);
    cr_expect_eq(o.approved, 1);
}

Test(approved, a_city_approved_whole_is_its_total)
{
    load_and_approve();
    const region_t *hz =
        catalog_region(fx_cat, (size_t)catalog_region_find(fx_cat, 330100));
    for (size_t i = 0; i < hz->n_children; i++) {
        uint32_t c = catalog_region(fx_cat, (size_t)hz->children[i])->code;
        if (c != 330102 && c != 330105) {
            approve(c, 202510);
        }
    }
    approve(330100, 202510);
    const char *inds[] = {"urban_new_jobs", "pension_insured",
                          "dispute_mediation_success_rate"};
    for (size_t i = 0; i < 3; i++) {
        store_total_t all = fx_total(inds[i], 330100, "2025-10");
        store_total_t ok = approved_only(inds[i], 330100, "2025-10");
        cr_expect_eq(all.approved, 14);
        cr_expect_eq(ok.num, all.num, "%s", inds[i]);
        cr_expect_eq(ok.den, all.den, "%s", inds[i]);
        cr_expect_eq(ok.reporting, all.reporting, "%s", inds[i]);
        cr_expect_eq(ok.approved, 14);
    }
    cr_expect_eq(fx_total("urban_new_jobs", 330000, "2025-10").approved, 14);
    cr_expect_eq(approved_only("urban_new_jobs", 330000, "2025-Q4").num, 330);
}

Test(approved, unknown_indicator_or_region_fails_with_zero_outputs)
{
    load_and_approve();
    char err[ERR_LEN];
    period_t p;
    cr_assert_eq(period_parse("2025-10", &p, err), ERR_OK);
    store_total_t t;
    memset(&t, 0xff, sizeof t);
    cr_expect_eq(store_total_approved(fx_store, "nope", 330100, &p, &t, err),
                 ERR_NOTFOUND);
    cr_expect_eq(t.approved, 0);
    cr_expect_eq(t.num, 0);
    cr_expect_eq(store_total_approved(fx_store, "urban_new_jobs", 1, &p, &t,
                                      err),
                 ERR_NOTFOUND);
    cr_expect(strstr(err, "unknown region") != NULL, "%s", err);
}
