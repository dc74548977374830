/* test_due.c: the figures an office has due soon or overdue and not
 * queued (agent/due), for a fixed "now" around a deadline in
 * Asia/Shanghai, a quarterly indicator, queued cells, the months the
 * spool cannot speak for, and the 12-month window.
 *
 * Reference instants (computed independently with Python's
 * calendar.timegm):
 *   2025-11-09 10:00 +8 = 1762653600   2025-11-11 00:30 +8 = 1762792200
 *   2025-10-05 09:00 +8 = 1759626000   2025-09-15 12:00 +8 = 1757908800
 *   deadlines (23:59:59 +8): 2025-01's 2025-02-10 = 1739203199,
 *   2025-09's 2025-10-10 = 1760111999, 2025-10's 2025-11-10 =
 *   1762790399, 2025-11's 2025-12-10 = 1765382399, 2024-11's
 *   2024-12-10 = 1733846399
 *   days: 2025-02-10 .. 2025-11-09 = 272; 2025-10-10 .. 2025-11-09 = 30;
 *   2024-12-10 .. 2025-11-11 = 336
 *
 * INVARIANTS
 *   1. Every expectation is an exact number, none computed by the code
 *      under test.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "agent/due.h"
#include "common/period.h"

#define NOW_1109 1762653600  /* 2025-11-09 10:00 Asia/Shanghai */
#define NOW_1111 1762792200  /* 2025-11-11 00:30 */
#define NOW_1005 1759626000  /* 2025-10-05 09:00 */

static const char plan_csv[] =
    "key,value\n"
    "title_zh,测试规划\n"
    "time_zone,Asia/Shanghai\n"
    "deadline_day,10\n"
    "deadline_months_after,1\n";

/* A plan of one year, 2025: urban_new_jobs monthly, pension_insured
 * quarterly. */
static const char ind_csv[] =
    "no,code,name_zh,name_en,group_zh,unit_zh,kind,over_time,"
    "baseline_2024,target_2025,target_basis,direction,attribute,part_of,"
    "numerator_zh,denominator_zh,frequency\n"
    "1,urban_new_jobs,城镇新增就业人数,New urban jobs,就业,万人,count,sum,"
    ",100,cumulative_2025_2025,at_least,expected,,,,\n"
    "2,pension_insured,基本养老保险参保人数,Pension insured,社会保障,万人,"
    "count,last,4355,4500,level_2025,at_least,expected,,,,quarterly\n";

static const char reg_csv[] =
    "code,name_zh,name_en,level,parent_code\n"
    "330000,浙江省,Zhejiang,province,\n"
    "330100,杭州市,Hangzhou,city,330000\n"
    "330102,上城区,Shangcheng District,county,330100\n";

static catalog_t *cat;
static due_set_t *set;
static due_list_t out;
static const uint32_t one_region[] = {330102};

static void setup(void)
{
    char err[ERR_LEN];
    catalog_bytes_t f[CATALOG_NFILES];
    memset(f, 0, sizeof f);
    f[CATALOG_INDICATORS] =
        (catalog_bytes_t){"indicators.csv", ind_csv, sizeof ind_csv - 1};
    f[CATALOG_REGIONS] =
        (catalog_bytes_t){"regions.csv", reg_csv, sizeof reg_csv - 1};
    f[CATALOG_PLAN] =
        (catalog_bytes_t){"plan.csv", plan_csv, sizeof plan_csv - 1};
    cr_assert_eq(catalog_load_mem(&cat, f, err), ERR_OK, "%s", err);
    set = due_set_new();
}

static void teardown(void)
{
    due_list_fini(&out);
    due_set_destroy(&set);
    catalog_destroy(&cat);
}

TestSuite(due, .init = setup, .fini = teardown);

static void run(int64_t now, int days, int64_t since)
{
    due_opts_t o = {cat, one_region, 1, now, days, since};
    due_list_fini(&out);
    due_compute(&o, set, &out);
}

/* Item @p it is indicator @p ind, month YYYY-MM @p y/@p m. */
static void expect_item(const due_item_t *it, int ind, int y, int m,
                        int64_t deadline, int64_t days)
{
    cr_expect_eq(it->indicator, ind);
    cr_expect_eq(it->region, 330102);
    cr_expect_eq(it->month, month_make(y, m), "month %d-%d", y, m);
    cr_expect_eq(it->deadline, deadline);
    cr_expect_eq(it->days, days);
}

Test(due, the_day_before_the_deadline_october_is_due_in_one_day)
{
    run(NOW_1109, 14, 0);
    cr_expect_eq(out.first_month, month_make(2025, 1), "the plan's first");
    cr_expect_eq(out.last_month, month_make(2025, 11));
    cr_expect_eq(out.unknown_last, month_make(2024, 12));
    cr_assert_eq(out.n_due, 1, "2025-11 is due in 31 days: not listed");
    expect_item(&out.due[0], 0, 2025, 10, 1762790399, 1);
    /* 2025-01..09 monthly, 03, 06, 09 quarterly, oldest first; at one
     * deadline the catalog's order. */
    cr_assert_eq(out.n_overdue, 9 + 3);
    expect_item(&out.overdue[0], 0, 2025, 1, 1739203199, 272);
    expect_item(&out.overdue[2], 0, 2025, 3, 1739203199 + 86400 * 59, 213);
    expect_item(&out.overdue[3], 1, 2025, 3, 1739203199 + 86400 * 59, 213);
    expect_item(&out.overdue[10], 0, 2025, 9, 1760111999, 30);
    expect_item(&out.overdue[11], 1, 2025, 9, 1760111999, 30);
}

Test(due, half_an_hour_after_midnight_it_is_one_day_overdue)
{
    run(NOW_1111, 14, 0);
    cr_expect_eq(out.n_due, 0, "2025-11 is due in 29 days");
    cr_assert_eq(out.n_overdue, 10 + 3);
    expect_item(&out.overdue[12], 0, 2025, 10, 1762790399, 1);
    run(NOW_1111, 29, 0);
    cr_assert_eq(out.n_due, 1, "--due-days 29 reaches 2025-12-10");
    expect_item(&out.due[0], 0, 2025, 11, 1765382399, 29);
    run(NOW_1111, 28, 0);
    cr_expect_eq(out.n_due, 0);
}

Test(due, a_quarterly_figure_is_due_only_for_the_quarter_end)
{
    /* On 2025-10-05 September's figures are due on the 10th: both the
     * monthly and the quarterly one; August's only the monthly one. */
    due_set_add(set, "urban_new_jobs", 330102, 202509);
    run(NOW_1005, 14, 0);
    cr_assert_eq(out.n_due, 1);
    expect_item(&out.due[0], 1, 2025, 9, 1760111999, 5);
    cr_assert_eq(out.n_overdue, 8 + 2, "2025-01..08; 03 and 06");
    expect_item(&out.overdue[9], 0, 2025, 8, 1760111999 - 86400 * 30, 25);
}

Test(due, a_queued_cell_is_not_listed_others_are)
{
    due_set_add(set, "urban_new_jobs", 330102, 202510);
    due_set_add(set, "urban_new_jobs", 330102, 202510); /* re-submitted */
    due_set_add(set, "urban_new_jobs", 330103, 202509); /* not ours */
    run(NOW_1109, 14, 0);
    cr_expect_eq(out.n_due, 0);
    cr_assert_eq(out.n_overdue, 12);
    expect_item(&out.overdue[10], 0, 2025, 9, 1760111999, 30);
    cr_expect_eq(due_set_has(set, "urban_new_jobs", 330102, 202510), 1);
    cr_expect_eq(due_set_has(set, "pension_insured", 330102, 202510), 0);
}

Test(due, months_the_spool_cannot_speak_for_are_not_listed)
{
    /* Cell records since 2025-09-15: September is not known (an older
     * agent may have queued it on the 1st), October on is. */
    run(NOW_1111, 14, 1757908800);
    cr_expect_eq(out.unknown_last, month_make(2025, 9));
    cr_assert_eq(out.n_overdue, 1);
    expect_item(&out.overdue[0], 0, 2025, 10, 1762790399, 1);
    /* No records at all: nothing known, nothing listed. */
    run(NOW_1111, 14, -1);
    cr_expect_eq(out.unknown_last, month_make(2025, 11));
    cr_expect_eq(out.n_due + out.n_overdue, 0);
}

Test(due, several_regions_own_first_at_one_deadline)
{
    const uint32_t regions[] = {330102, 330100};
    due_opts_t o = {cat, regions, 2, NOW_1109, 14, 0};
    due_compute(&o, set, &out);
    cr_assert_eq(out.n_due, 2);
    cr_expect_eq(out.due[0].region, 330102);
    cr_expect_eq(out.due[1].region, 330100);
    cr_expect_eq(out.n_overdue, 24);
}

Test(due, overdue_looks_back_twelve_months_in_a_longer_plan)
{
    char err[ERR_LEN];
    catalog_t *shipped = NULL;
    cr_assert_eq(catalog_load_dir(&shipped, HRSS_TEST_CATALOG_DIR, err),
                 ERR_OK, "%s", err);
    due_opts_t o = {shipped, one_region, 1, NOW_1111, 14, 0};
    due_compute(&o, set, &out);
    cr_expect_eq(out.first_month, month_make(2024, 11));
    cr_expect_eq(out.last_month, month_make(2025, 11));
    /* 19 monthly indicators x 2024-11..2025-10. */
    cr_expect_eq(catalog_indicator_count(shipped), 19);
    cr_assert_eq(out.n_overdue, 19 * 12);
    cr_expect_eq(out.overdue[0].month, month_make(2024, 11));
    cr_expect_eq(out.overdue[0].deadline, 1733846399);
    cr_expect_eq(out.overdue[0].days, 336);
    due_list_fini(&out);
    catalog_destroy(&shipped);
}
