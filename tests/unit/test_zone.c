/* test_zone.c: times at a fixed offset from UTC (admin/zone.c): what
 * tables show, what --since reads, and the label headers carry.
 *
 * 1764000000 is 2025-11-24 16:00:00 UTC, 2025-11-25 00:00:00 in UTC+8.
 *
 * INVARIANTS
 *   1. No test depends on TZ or the locale.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "admin/zone.h"

#define T0 INT64_C(1764000000)

static void expect_time(int64_t t, long offset, const char *want)
{
    char buf[ZONE_TIME_LEN];
    zone_format_time(t, offset, buf, sizeof buf);
    cr_expect_str_eq(buf, want, "%lld at %ld", (long long)t, offset);
}

Test(zone, format_at_offsets)
{
    expect_time(T0, ZONE_DEFAULT_OFFSET, "2025-11-25 00:00:00");
    expect_time(T0, 0, "2025-11-24 16:00:00");
    expect_time(T0, -5 * 3600, "2025-11-24 11:00:00");
    expect_time(0, 0, "1970-01-01 00:00:00");
    expect_time(T0 + 59, 14 * 3600, "2025-11-25 06:00:59");
}

static void expect_parse(const char *s, long offset, int64_t want)
{
    int64_t t = -1;
    cr_expect_eq(zone_parse_time(s, offset, &t), ERR_OK, "'%s'", s);
    cr_expect_eq(t, want, "'%s' at %ld: %lld", s, offset, (long long)t);
}

Test(zone, parse_dates_at_the_offset)
{
    expect_parse("2025-11-25", ZONE_DEFAULT_OFFSET, T0);
    expect_parse("2025-11-25T00:00", ZONE_DEFAULT_OFFSET, T0);
    expect_parse("2025-11-25 00:00:01", ZONE_DEFAULT_OFFSET, T0 + 1);
    expect_parse("2025-11-24T16:00:00", 0, T0);
    expect_parse("2025-11-24 11:00", -5 * 3600, T0);
}

Test(zone, parse_unix_seconds)
{
    expect_parse("0", ZONE_DEFAULT_OFFSET, 0);
    expect_parse("176400000", ZONE_DEFAULT_OFFSET, 176400000);
    /* Ten digits: every unix time from 2001 to 2286. */
    expect_parse("1764000000", ZONE_DEFAULT_OFFSET, T0);
    expect_parse("1764000000", -5 * 3600, T0);
}

Test(zone, parse_reads_back_what_format_wrote)
{
    char buf[ZONE_TIME_LEN];
    long offsets[] = {ZONE_DEFAULT_OFFSET, 0, -12 * 3600, 14 * 3600};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        zone_format_time(T0 + 12345, offsets[i], buf, sizeof buf);
        expect_parse(buf, offsets[i], T0 + 12345);
    }
}

Test(zone, parse_rejects_what_is_not_a_time)
{
    const char *bad[] = {"", "yesterday", "2025-13-01", "2025-11-32",
                         "2025-11-25X00:00", "2025-11-25 24:00",
                         "2025-11-25 00:60", "2025-11-25 00:00:00Z",
                         "12abc", "2025/11/25"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 42;
        cr_expect_eq(zone_parse_time(bad[i], 0, &t), ERR_INVAL, "'%s'",
                     bad[i]);
        cr_expect_eq(t, 42, "'%s' wrote its output", bad[i]);
    }
}

static void expect_label(long offset, const char *want)
{
    char buf[ZONE_LABEL_LEN];
    zone_label(offset, buf, sizeof buf);
    cr_expect_str_eq(buf, want, "offset %ld", offset);
}

Test(zone, label_names_the_offset)
{
    expect_label(ZONE_DEFAULT_OFFSET, "UTC+8");
    expect_label(0, "UTC");
    expect_label(-5 * 3600, "UTC-5");
    expect_label(14 * 3600, "UTC+14");
    expect_label(-12 * 3600, "UTC-12");
    expect_label(5 * 3600 + 1800, "UTC+5:30");
    expect_label(-(9 * 3600 + 1800), "UTC-9:30");
}

static void expect_iso(int64_t t, long offset, const char *want)
{
    char buf[ZONE_ISO_LEN];
    zone_format_iso(t, offset, buf, sizeof buf);
    cr_expect_str_eq(buf, want, "%lld at %ld", (long long)t, offset);
}

/* The as-of moment in JSON answers: ISO 8601 with the offset spelled. */
Test(zone, iso_carries_the_offset)
{
    expect_iso(T0 - 1, ZONE_DEFAULT_OFFSET, "2025-11-24T23:59:59+08:00");
    expect_iso(T0, 0, "2025-11-24T16:00:00+00:00");
    expect_iso(T0, -5 * 3600, "2025-11-24T11:00:00-05:00");
    expect_iso(T0, -(9 * 3600 + 30 * 60), "2025-11-24T06:30:00-09:30");
    expect_iso(T0, 5 * 3600 + 45 * 60, "2025-11-24T21:45:00+05:45");
}
