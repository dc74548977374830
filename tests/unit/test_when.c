/* test_when.c: the moments --as-of and diff take (admin/when.h). */
#include <criterion/criterion.h>

#include "admin/when.h"

#define CST (8 * 3600L)

static int64_t ok(const char *s, long tz)
{
    char why[160] = "";
    int64_t t = -1;
    cr_assert_eq(when_parse(s, tz, &t, why, sizeof why), 0, "%s: %s", s,
                 why);
    return t;
}

static void bad(const char *s, const char *why_want)
{
    char why[160] = "";
    int64_t t = 42;
    cr_assert_eq(when_parse(s, CST, &t, why, sizeof why), -1, "%s", s);
    cr_assert_eq(t, 42, "output untouched on failure");
    cr_assert_str_eq(why, why_want, "%s", s);
}

Test(when, iso_8601_with_an_offset)
{
    cr_assert_eq(ok("2025-11-03T10:00:00+08:00", 0), 1762135200);
    cr_assert_eq(ok("2025-11-03T02:00:00Z", 0), 1762135200);
    cr_assert_eq(ok("2025-11-03T02:00Z", 0), 1762135200);
    cr_assert_eq(ok("2025-11-03T10:00:00+0800", 0), 1762135200);
    cr_assert_eq(ok("2025-11-03T10:00:00+08", 0), 1762135200);
    cr_assert_eq(ok("2025-11-02T21:30:00-04:30", 0), 1762135200);
}

Test(when, a_date_is_the_end_of_that_day_in_the_plan_zone)
{
    /* 2025-11-04 00:00 +08:00 is 1762185600. */
    cr_assert_eq(ok("2025-11-03", CST), 1762185600 - 1);
    cr_assert_eq(ok("2025-11-03", 0), 1762185600 + 8 * 3600 - 1);
}

Test(when, unix_seconds)
{
    cr_assert_eq(ok("1762135200", CST), 1762135200);
}

Test(when, refusals_say_why)
{
    bad("2025-11-03T10:00", "has a time of day but no offset (add Z or "
                            "+08:00)");
    bad("2025-11-03T10:00:00+8", "has an offset '+8' that is not Z, +HH:MM, "
                                 "+HHMM or +HH");
    bad("2025-13-03", "is not a date YYYY-MM-DD");
    bad("yesterday", "is not ISO 8601 with an offset "
                     "(2025-11-03T10:00:00+08:00), a date YYYY-MM-DD or "
                     "unix seconds");
    bad("2025-11-03T25:00:00Z", "is not a valid date and time");
}

/* "As of today" is the store as it stands: today's date (its last second
 * still to come) means now; tomorrow's, or a time after now, is refused.
 * Before when_parse_past(), `diff --from yesterday --to today` was
 * refused as "in the future". */
Test(when, today_means_now_and_later_is_refused)
{
    int64_t now = 1762135200; /* 2025-11-03 10:00 +08:00 */
    char why[160] = "";
    int64_t t = 0;
    cr_assert_eq(when_parse_past("2025-11-03", CST, now, &t, why, sizeof why),
                 0, "%s", why);
    cr_assert_eq(t, now);
    cr_assert_eq(when_parse_past("2025-11-02", CST, now, &t, why, sizeof why),
                 0, "%s", why);
    cr_assert_eq(t, 1762099200 - 1); /* 2025-11-03 00:00 +08:00, - 1 */
    t = 42;
    cr_assert_eq(when_parse_past("2025-11-04", CST, now, &t, why, sizeof why),
                 -1);
    cr_assert_str_eq(why, "is in the future; the store can only say what "
                          "it was");
    cr_assert_eq(t, 42, "output untouched on failure");
    cr_assert_eq(when_parse_past("2025-11-03T10:00:01+08:00", CST, now, &t,
                                 why, sizeof why),
                 -1);
    cr_assert_eq(when_parse_past("2025-11-03T10:00:00+08:00", CST, now, &t,
                                 why, sizeof why),
                 0, "%s", why);
    cr_assert_eq(t, now);
}
