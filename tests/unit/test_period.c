/* test_period.c: parsing and formatting of months, quarters, years and
 * year ranges. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/period.h"

static period_t parse_ok(const char *s)
{
    period_t p;
    char err[ERR_LEN];
    int rc = period_parse(s, &p, err);
    cr_assert_eq(rc, ERR_OK, "%s: %s", s, err);
    return p;
}

Test(period, month)
{
    period_t p = parse_ok("2025-10");
    cr_expect_eq(p.kind, PERIOD_MONTH);
    cr_expect_eq(p.first, month_make(2025, 10));
    cr_expect_eq(p.last, p.first);
    cr_expect_eq(month_year(p.first), 2025);
    cr_expect_eq(month_of_year(p.first), 10);
}

Test(period, quarter)
{
    period_t p = parse_ok("2025-Q4");
    cr_expect_eq(p.kind, PERIOD_QUARTER);
    cr_expect_eq(p.first, month_make(2025, 10));
    cr_expect_eq(p.last, month_make(2025, 12));
    p = parse_ok("2021-Q1");
    cr_expect_eq(p.first, month_make(2021, 1));
    cr_expect_eq(p.last, month_make(2021, 3));
}

Test(period, year_and_range)
{
    period_t p = parse_ok("2025");
    cr_expect_eq(p.kind, PERIOD_YEAR);
    cr_expect_eq(p.first, month_make(2025, 1));
    cr_expect_eq(p.last, month_make(2025, 12));
    p = parse_ok("2021..2025");
    cr_expect_eq(p.kind, PERIOD_RANGE);
    cr_expect_eq(p.first, month_make(2021, 1));
    cr_expect_eq(p.last, month_make(2025, 12));
    cr_expect_eq(p.last - p.first + 1, 60);
}

Test(period, format_round_trips)
{
    const char *forms[] = {"2025-10", "2025-01", "2025-Q4", "2025",
                           "2021..2025", "1999-Q2", "2021-01..2023-06",
                           "2024-03..2024-04"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        period_t p = parse_ok(forms[i]);
        char buf[PERIOD_STR_LEN];
        period_format(&p, buf, sizeof buf);
        cr_expect_str_eq(buf, forms[i]);
    }
}

Test(period, bad_forms_say_what_is_accepted)
{
    const char *bad[] = {"",        "2025-13", "2025-00", "2025-Q5",
                         "2025-Q0", "25-10",   "2025/10", "2025-1",
                         "2025..2021", "2025...2026", "20x5", "2025-10x", "2025-10..",
                         "..2025", "2025-Q3..2025-06", "2025..2025..2026",
                         "1800",    "2025-q4", " 2025"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        period_t p = {PERIOD_MONTH, 7, 7};
        char err[ERR_LEN] = "";
        int rc = period_parse(bad[i], &p, err);
        cr_expect_eq(rc, ERR_INVAL, "'%s' accepted", bad[i]);
        cr_expect(strstr(err, "YYYY-Qn") != NULL, "'%s': %s", bad[i], err);
        cr_expect_eq(p.first, 7, "output untouched on failure");
    }
}

Test(period, parse_month_only)
{
    int32_t m = 0;
    char err[ERR_LEN];
    cr_expect_eq(period_parse_month("2025-10", &m, err), ERR_OK);
    cr_expect_eq(m, month_make(2025, 10));
    cr_expect_eq(period_parse_month("2025-Q4", &m, err), ERR_INVAL);
    cr_expect_eq(period_parse_month("2025", &m, err), ERR_INVAL);
    cr_expect_eq(period_parse_month("2025-13", &m, err), ERR_INVAL);
}

Test(period, month_from_time_in_china_standard_time)
{
    /* 2025-12-31T16:30:00Z is 2026-01-01 00:30 in UTC+8. */
    time_t t = 1767198600;
    cr_expect_eq(month_from_time(t, 0), month_make(2025, 12));
    cr_expect_eq(month_from_time(t, 8 * 3600), month_make(2026, 1));
}

Test(period, containing_periods)
{
    int32_t m = month_make(2025, 8);
    period_t q = period_of_month(PERIOD_QUARTER, m);
    cr_expect_eq(q.first, month_make(2025, 7));
    cr_expect_eq(q.last, month_make(2025, 9));
    period_t y = period_of_month(PERIOD_YEAR, m);
    cr_expect_eq(y.first, month_make(2025, 1));
    cr_expect_eq(y.last, month_make(2025, 12));
    period_t mm = period_of_month(PERIOD_MONTH, m);
    cr_expect_eq(mm.first, m);
}

Test(period, ranges_of_any_forms)
{
    period_t p = parse_ok("2021-01..2023-06");
    cr_expect_eq(p.kind, PERIOD_RANGE);
    cr_expect_eq(p.first, month_make(2021, 1));
    cr_expect_eq(p.last, month_make(2023, 6));
    p = parse_ok("2024-Q2..2025");
    cr_expect_eq(p.first, month_make(2024, 4));
    cr_expect_eq(p.last, month_make(2025, 12));
    p = parse_ok("2025-03..2025-03");
    cr_expect_eq(p.first, p.last);
    char buf[PERIOD_STR_LEN];
    p = parse_ok("2024-Q2..2025");
    period_format(&p, buf, sizeof buf);
    cr_expect_str_eq(buf, "2024-04..2025-12");
    p = parse_ok("2021-01..2025-12");
    period_format(&p, buf, sizeof buf);
    cr_expect_str_eq(buf, "2021..2025", "whole years print as years");
}

Test(period, yyyymm_round_trips_through_month_indexes)
{
    cr_expect_eq(month_to_yyyymm(month_make(2025, 10)), 202510u);
    cr_expect_eq(month_to_yyyymm(month_make(1900, 1)), 190001u);
    cr_expect_eq(month_to_yyyymm(month_make(9999, 12)), 999912u);
    for (int32_t m = month_make(2019, 1); m <= month_make(2031, 12); m++) {
        int32_t back = -1;
        cr_assert(month_from_yyyymm(month_to_yyyymm(m), &back));
        cr_assert_eq(back, m);
    }
    static const uint32_t bad[] = {0, 202500, 202513, 189912, 1000001,
                                   2025, 20251};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t m = -7;
        cr_expect_eq(month_from_yyyymm(bad[i], &m), 0, "%u", bad[i]);
        cr_expect_eq(m, -7, "untouched on failure");
    }
    char buf[PERIOD_STR_LEN];
    month_format_yyyymm(202506, buf, sizeof buf);
    cr_expect_str_eq(buf, "2025-06");
    month_format_yyyymm(202513, buf, sizeof buf);
    cr_expect_str_eq(buf, "2025-13", "shows what was sent");
}
