/* test_store_regions.c: totals over a map that changes (issue 14).
 *
 * The shipped catalog has Hangzhou's districts before and after April
 * 2021: 下城区 330103 and 江干区 330104 exist until 2021-03, 临平区
 * 330113 and 钱塘区 330114 from 2021-04. Flows add over whichever
 * districts existed in each month; a stock counts only the districts that
 * exist at the period's end; a figure outside a region's months is
 * refused; an abolished region answers for its own months. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "store_fixture.h"

#define ZJ 330000u
#define HZ 330100u
#define SC 330102u /* 上城区, redrawn */
#define XC 330103u /* 下城区, abolished after 2021-03 */
#define JG 330104u /* 江干区, abolished after 2021-03 */
#define LP 330113u /* 临平区, from 2021-04 */
#define QT 330114u /* 钱塘区, from 2021-04 */
#define JOBS "urban_new_jobs"
#define PENSION "pension_insured"

TestSuite(regions, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

static void expect(store_total_t t, int64_t num, uint32_t reporting,
                   uint32_t expected)
{
    cr_expect_eq(t.num, num, "num %lld, want %lld", (long long)t.num,
                 (long long)num);
    cr_expect_eq(t.reporting, reporting, "reporting %u, want %u",
                 t.reporting, reporting);
    cr_expect_eq(t.expected, expected, "expected %u, want %u", t.expected,
                 expected);
}

static void verify(void)
{
    char err[ERR_LEN];
    cr_assert_eq(store_verify(fx_store, err), ERR_OK, "store_verify: %s",
                 err);
}

static store_total_t own(const char *ind, uint32_t region, const char *per)
{
    period_t p;
    store_total_t t;
    char err[ERR_LEN];
    cr_assert_eq(period_parse(per, &p, err), ERR_OK, "%s", err);
    cr_assert_eq(store_own(fx_store, ind, region, &p, &t, err), ERR_OK, "%s",
                 err);
    return t;
}

/* Flows: old districts Jan-Mar, new ones Apr-Dec, 上城区 all year. */
static void apply_flows(void)
{
    update_t u[64];
    size_t n = 0;
    for (uint32_t m = 1; m <= 12; m++) {
        uint32_t ym = 202100 + m;
        u[n] = fx_count(n + 1, JOBS, SC, ym, 5);
        n++;
        if (m <= 3) {
            u[n] = fx_count(n + 1, JOBS, XC, ym, 100);
            n++;
            u[n] = fx_count(n + 1, JOBS, JG, ym, 10);
            n++;
        } else {
            u[n] = fx_count(n + 1, JOBS, LP, ym, 1000);
            n++;
            u[n] = fx_count(n + 1, JOBS, QT, ym, 1);
            n++;
        }
    }
    store_result_t r = fx_apply("t", u, n);
    cr_assert_eq(r.applied, n);
    cr_assert_eq(r.rejected, 0);
    store_result_fini(&r);
}

Test(regions, flow_total_adds_old_and_new_districts_months)
{
    apply_flows();
    /* 12*5 + 3*100 + 3*10 + 9*1000 + 9*1 */
    int64_t year = 60 + 300 + 30 + 9000 + 9;
    /* Every one of the 16 regions exists in some month of 2021. */
    expect(fx_total(JOBS, HZ, "2021"), year, 5, 16);
    expect(fx_total(JOBS, ZJ, "2021"), year, 5, 104);
    /* Q1 expects the old map (14 regions), Q2 the new one. */
    expect(fx_total(JOBS, HZ, "2021-Q1"), 15 + 300 + 30, 3, 14);
    expect(fx_total(JOBS, HZ, "2021-Q2"), 15 + 3000 + 3, 3, 14);
    expect(fx_total(JOBS, HZ, "2021-03"), 5 + 100 + 10, 3, 14);
    expect(fx_total(JOBS, HZ, "2021-04"), 5 + 1000 + 1, 3, 14);
    /* Ranges: ragged months and whole years take other paths. */
    expect(fx_total(JOBS, HZ, "2021-02..2021-05"),
           4 * 5 + 2 * 110 + 2 * 1001, 5, 16);
    expect(fx_total(JOBS, HZ, "2021..2025"), year, 5, 16);
    expect(fx_total(JOBS, HZ, "2022..2025"), 0, 0, 14);
    /* The abolished district answers for its months. */
    expect(fx_total(JOBS, XC, "2021"), 300, 1, 1);
    expect(fx_total(JOBS, XC, "2022"), 0, 0, 0);
    expect(fx_total(JOBS, LP, "2021"), 9000, 1, 1);
    verify();
}

/* Stocks: 下城区 reported 2020-12 and Jan-Mar 2021, 江干区 only 2020-12,
 * 临平区 Apr-Dec 2021, 上城区 2021-12. */
static void apply_stocks(void)
{
    update_t u[32];
    size_t n = 0;
    u[n] = fx_count(n + 1, PENSION, XC, 202012, 600);
    n++;
    u[n] = fx_count(n + 1, PENSION, JG, 202012, 900);
    n++;
    for (uint32_t m = 1; m <= 3; m++) {
        u[n] = fx_count(n + 1, PENSION, XC, 202100 + m, 700);
        n++;
    }
    for (uint32_t m = 4; m <= 12; m++) {
        u[n] = fx_count(n + 1, PENSION, LP, 202100 + m, 40 + m);
        n++;
    }
    u[n] = fx_count(n + 1, PENSION, SC, 202112, 10);
    n++;
    store_result_t r = fx_apply("s", u, n);
    cr_assert_eq(r.applied, n);
    cr_assert_eq(r.rejected, 0);
    store_result_fini(&r);
}

Test(regions, stock_year_end_excludes_abolished_districts)
{
    apply_stocks();
    /* 临平区's December (52) + 上城区's (10); 330103 and 330104 are gone
     * by December: expected 16 - 2. */
    expect(fx_total(PENSION, HZ, "2021"), 62, 2, 14);
    expect(fx_total(PENSION, ZJ, "2021"), 62, 2, 102);
    expect(fx_total(PENSION, HZ, "2021-Q4"), 62, 2, 14);
    /* Q1 ends in March: the old map's stock. */
    expect(fx_total(PENSION, HZ, "2021-Q1"), 700, 1, 14);
    expect(fx_total(PENSION, HZ, "2020"), 1500, 2, 14);
    /* Whole-year ranges (spans) and ragged ranges (the walk) agree. */
    expect(fx_total(PENSION, HZ, "2020..2021"), 62, 2, 14);
    expect(fx_total(PENSION, HZ, "2021..2025"), 62, 2, 14);
    expect(fx_total(PENSION, HZ, "2020-12..2021-11"), 51, 1, 14);
    /* A range ending in March: 江干区 still exists then, and its last
     * report inside the range is 2020-12's. */
    expect(fx_total(PENSION, HZ, "2020-06..2021-03"), 1600, 2, 14);
    expect(fx_total(PENSION, ZJ, "2020..2021"), 62, 2, 102);
    /* 下城区's own 2021 stock is its 2021-03 value. */
    expect(own(PENSION, XC, "2021"), 700, 1, 1);
    expect(fx_total(PENSION, XC, "2021"), 700, 1, 1);
    expect(fx_total(PENSION, XC, "2020..2021"), 700, 1, 1);
    expect(own(PENSION, LP, "2021-Q1"), 0, 0, 0);
    verify();
}

Test(regions, breakdown_rows_add_up_to_the_total)
{
    apply_flows();
    apply_stocks();
    const char *inds[] = {JOBS, PENSION};
    for (size_t k = 0; k < 2; k++) {
        period_t p;
        char err[ERR_LEN];
        store_total_t o;
        store_total_t *kids = NULL;
        size_t n = 0;
        cr_assert_eq(period_parse("2021", &p, err), ERR_OK);
        cr_assert_eq(store_breakdown(fx_store, inds[k], HZ, &p, &o, &kids,
                                     &n, err),
                     ERR_OK, "%s", err);
        store_total_t t = fx_total(inds[k], HZ, "2021");
        int64_t sum = o.num;
        uint32_t exp = o.expected;
        for (size_t i = 0; i < n; i++) {
            sum += kids[i].num;
            exp += kids[i].expected;
        }
        cr_expect_eq(sum, t.num, "%s: rows %lld, total %lld", inds[k],
                     (long long)sum, (long long)t.num);
        cr_expect_eq(exp, t.expected, "%s: expected %u vs %u", inds[k], exp,
                     t.expected);
        free(kids);
    }
}

Test(regions, figure_outside_validity_is_rejected)
{
    update_t u[] = {
        fx_count(1, JOBS, LP, 202102, 5),  /* 临平区 before it existed */
        fx_count(2, JOBS, XC, 202104, 5),  /* 下城区 after its end */
        fx_count(3, JOBS, LP, 202104, 5),  /* fine */
        fx_count(4, JOBS, XC, 202103, 5),  /* fine */
    };
    store_result_t r = fx_apply("t", u, 4);
    cr_assert_eq(r.applied, 2);
    cr_assert_eq(r.rejected, 2);
    cr_assert_eq(r.rejections[0].seq, 1);
    cr_assert_eq(r.rejections[0].reason, UPDATE_REGION_NOT_VALID);
    cr_assert_str_eq(r.rejections[0].message,
                     "region: 330113 临平区 is valid from 2021-04");
    cr_assert_eq(r.rejections[1].reason, UPDATE_REGION_NOT_VALID);
    cr_assert_str_eq(r.rejections[1].message,
                     "region: 330103 下城区 was abolished after 2021-03 "
                     "(see 330105 拱墅区)");
    cr_assert_str_eq(update_reason_name(UPDATE_REGION_NOT_VALID),
                     "region_not_valid");
    expect(fx_total(JOBS, HZ, "2021"), 10, 2, 16);
    verify();
}
