/* test_deadline.c: due months, deadline instants and days late, exactly,
 * around the boundary and across the time zone.
 *
 * Reference instants (computed independently with Python's
 * calendar.timegm):
 *   2025-11-10 15:59:59 UTC = 1762790399  (2025-11-10 23:59:59 UTC+8)
 *   2025-11-10 16:00:00 UTC = 1762790400  (2025-11-11 00:00:00 UTC+8)
 *   2025-11-11 15:59:59 UTC = 1762876799  (2025-11-11 23:59:59 UTC+8)
 *   2025-11-11 16:00:00 UTC = 1762876800  (2025-11-12 00:00:00 UTC+8)
 *   2025-11-10 23:59:59 UTC = 1762819199
 *   2024-03-01 15:59:59 UTC = 1709308799, 2025-02-28 15:59:59 UTC =
 *   1740758399, 2026-01-10 15:59:59 UTC = 1768060799
 *
 * INVARIANTS
 *   1. Every expectation is an exact number, none computed by the code
 *      under test.
 */
#include <criterion/criterion.h>

#include "common/deadline.h"
#include "common/period.h"

static catalog_plan_t plan_at(long offset)
{
    catalog_plan_t p = {0};
    p.time_zone = "test";
    p.tz_offset = offset;
    p.deadline_day = 10;
    p.deadline_months_after = 1;
    return p;
}

static indicator_t ind_due(enum ind_frequency f, int day, int after)
{
    indicator_t i = {0};
    i.code = "x";
    i.frequency = f;
    i.due_day = day;
    i.due_months_after = after;
    return i;
}

Test(deadline, shipped_rule_is_the_10th_at_midnight_shanghai)
{
    catalog_plan_t p = plan_at(8 * 3600);
    indicator_t i = ind_due(FREQ_MONTHLY, 10, 1);
    cr_expect_eq(deadline_of(&p, &i, month_make(2025, 10)), 1762790399);
    /* December's is in January of the next year. */
    cr_expect_eq(deadline_of(&p, &i, month_make(2025, 12)), 1768060799);
}

Test(deadline, in_utc_the_same_rule_ends_eight_hours_later)
{
    catalog_plan_t p = plan_at(0);
    indicator_t i = ind_due(FREQ_MONTHLY, 10, 1);
    cr_expect_eq(deadline_of(&p, &i, month_make(2025, 10)), 1762819199);
}

Test(deadline, a_day_past_the_month_end_is_its_last_day)
{
    catalog_plan_t p = plan_at(8 * 3600);
    indicator_t i = ind_due(FREQ_MONTHLY, 31, 1);
    /* 2024-01 due in February 2024 (leap): 29th; 2025-01: 28th. */
    cr_expect_eq(deadline_of(&p, &i, month_make(2024, 1)),
                 1709308799 - 86400);  /* 2024-02-29 23:59:59 +8 */
    cr_expect_eq(deadline_of(&p, &i, month_make(2025, 1)), 1740758399);
}

Test(deadline, on_time_at_the_last_second_late_one_second_after)
{
    catalog_plan_t p = plan_at(8 * 3600);
    indicator_t i = ind_due(FREQ_MONTHLY, 10, 1);
    int32_t m = month_make(2025, 10);
    int64_t days = -1;
    cr_expect_eq(deadline_state(&p, &i, m, 1762790399, &days),
                 DEADLINE_ON_TIME);
    cr_expect_eq(days, 0);
    cr_expect_eq(deadline_state(&p, &i, m, 1700000000, &days),
                 DEADLINE_ON_TIME);
    cr_expect_eq(days, 0);
    /* 2025-11-11 00:00:00 in Shanghai, still 2025-11-10 in UTC: late,
     * by one day (the plan's zone decides, not UTC's date). */
    cr_expect_eq(deadline_state(&p, &i, m, 1762790400, &days),
                 DEADLINE_LATE);
    cr_expect_eq(days, 1);
    /* 2025-11-11 00:30 Shanghai = 2025-11-10 16:30 UTC. */
    cr_expect_eq(deadline_state(&p, &i, m, 1762792200, &days),
                 DEADLINE_LATE);
    cr_expect_eq(days, 1);
    cr_expect_eq(deadline_state(&p, &i, m, 1762876799, &days),
                 DEADLINE_LATE);
    cr_expect_eq(days, 1);
    cr_expect_eq(deadline_state(&p, &i, m, 1762876800, &days),
                 DEADLINE_LATE);
    cr_expect_eq(days, 2);
    cr_expect_eq(deadline_state(&p, &i, m, 1762876800 + 29 * 86400, &days),
                 DEADLINE_LATE);
    cr_expect_eq(days, 31);
}

/* The same instant is on time under a UTC plan and late under the
 * Shanghai plan: 2025-11-10 16:30 UTC is the 10th in UTC, the 11th in
 * Shanghai. */
Test(deadline, the_zone_decides_which_day_a_report_fell_on)
{
    catalog_plan_t utc = plan_at(0);
    catalog_plan_t cst = plan_at(8 * 3600);
    indicator_t i = ind_due(FREQ_MONTHLY, 10, 1);
    int32_t m = month_make(2025, 10);
    int64_t days = -1;
    cr_expect_eq(deadline_state(&utc, &i, m, 1762792200, &days),
                 DEADLINE_ON_TIME);
    cr_expect_eq(days, 0);
    cr_expect_eq(deadline_state(&cst, &i, m, 1762792200, &days),
                 DEADLINE_LATE);
    cr_expect_eq(days, 1);
    /* Under UTC, 2025-11-11 00:00:00 UTC is 1 day late. */
    cr_expect_eq(deadline_state(&utc, &i, m, 1762819200, &days),
                 DEADLINE_LATE);
    cr_expect_eq(days, 1);
}

Test(deadline, missing_and_not_due)
{
    catalog_plan_t p = plan_at(8 * 3600);
    indicator_t mon = ind_due(FREQ_MONTHLY, 10, 1);
    indicator_t qtr = ind_due(FREQ_QUARTERLY, 10, 1);
    indicator_t yr = ind_due(FREQ_YEARLY, 10, 1);
    int64_t days = -1;
    cr_expect_eq(deadline_state(&p, &mon, month_make(2025, 10), 0, &days),
                 DEADLINE_MISSING);
    cr_expect_eq(days, 0);
    cr_expect_eq(deadline_state(&p, &qtr, month_make(2025, 10), 0, NULL),
                 DEADLINE_NOT_DUE);
    cr_expect_eq(deadline_state(&p, &qtr, month_make(2025, 9), 0, NULL),
                 DEADLINE_MISSING);
    cr_expect_eq(deadline_state(&p, &yr, month_make(2025, 11), 5, NULL),
                 DEADLINE_NOT_DUE);
    cr_expect_eq(deadline_state(&p, &yr, month_make(2025, 12), 0, NULL),
                 DEADLINE_MISSING);
    for (int mo = 1; mo <= 12; mo++) {
        cr_expect_eq(deadline_due(&qtr, month_make(2025, mo)), mo % 3 == 0);
        cr_expect_eq(deadline_due(&yr, month_make(2025, mo)), mo == 12);
        cr_expect_eq(deadline_due(&mon, month_make(2025, mo)), 1);
    }
}

Test(deadline, per_indicator_day_and_months_after)
{
    catalog_plan_t p = plan_at(8 * 3600);
    /* Due on the 20th of the same month. */
    indicator_t i = ind_due(FREQ_MONTHLY, 20, 0);
    /* 2025-10-20 23:59:59 +8 = 2025-10-20 15:59:59 UTC = 1760975999. */
    cr_expect_eq(deadline_of(&p, &i, month_make(2025, 10)), 1760975999);
}

Test(deadline, local_dates)
{
    char buf[16];
    deadline_format_date(1762790399, 8 * 3600, buf, sizeof buf);
    cr_expect_str_eq(buf, "2025-11-10");
    deadline_format_date(1762790400, 8 * 3600, buf, sizeof buf);
    cr_expect_str_eq(buf, "2025-11-11");
    deadline_format_date(1762790400, 0, buf, sizeof buf);
    cr_expect_str_eq(buf, "2025-11-10");
    deadline_format_date(-1, 0, buf, sizeof buf);
    cr_expect_str_eq(buf, "1969-12-31");
}
