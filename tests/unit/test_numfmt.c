/* test_numfmt.c: numbers for people (admin/numfmt.c): thousands
 * separators, rounding half away from zero on the decimal the value was
 * written as, truncation into short buffers.
 *
 * INVARIANTS
 *   1. No test depends on the process locale.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "admin/numfmt.h"

static void expect_int(int64_t v, const char *want)
{
    char buf[32];
    memset(buf, 'Z', sizeof buf);
    numfmt_int(v, buf, sizeof buf);
    cr_expect_str_eq(buf, want, "numfmt_int(%lld)", (long long)v);
}

Test(numfmt, int_values)
{
    expect_int(0, "0");
    expect_int(7, "7");
    expect_int(999, "999");
    expect_int(1000, "1,000");
    expect_int(-999, "-999");
    expect_int(-1000, "-1,000");
    expect_int(-1234, "-1,234");
    expect_int(100000, "100,000");
    expect_int(1234567, "1,234,567");
    expect_int(INT64_MAX, "9,223,372,036,854,775,807");
    expect_int(INT64_MIN, "-9,223,372,036,854,775,808");
}

Test(numfmt, int_truncates_safely)
{
    char buf[6];
    numfmt_int(1234567, buf, sizeof buf);
    cr_expect_str_eq(buf, "1,234");
    char one[1] = {'Z'};
    numfmt_int(5, one, sizeof one);
    cr_expect_eq(one[0], '\0');
    char untouched[4] = "abc";
    numfmt_int(5, untouched, 0);
    cr_expect_str_eq(untouched, "abc");
}

static void expect_fixed(double v, int dec, const char *want)
{
    char buf[64];
    memset(buf, 'Z', sizeof buf);
    numfmt_fixed(v, dec, buf, sizeof buf);
    cr_expect_str_eq(buf, want, "numfmt_fixed(%.17g, %d)", v, dec);
}

Test(numfmt, fixed_values)
{
    expect_fixed(4355.0, 2, "4,355.00");
    expect_fixed(4355.004, 2, "4,355.00");
    expect_fixed(-1234.5, 1, "-1,234.5");
    expect_fixed(1234567.891, 2, "1,234,567.89");
    expect_fixed(999.0, 0, "999");
    expect_fixed(0.0, 0, "0");
    expect_fixed(0.0, 3, "0.000");
    expect_fixed(0.07, 2, "0.07");
    expect_fixed(123456789012345.67, 2, "123,456,789,012,345.67");
    expect_fixed(1e20, 0, "100,000,000,000,000,000,000");
    expect_fixed(1e15, 2, "1,000,000,000,000,000.00");
}

/* Rounding is half away from zero on the decimal the value was written
 * as (its shortest round-trip form), not on the binary double, and not
 * printf's ties-to-even: 0.5 -> "1", 2.5 -> "3", and 4355.005 (stored as
 * 4355.00499999...) -> "4,355.01". */
Test(numfmt, fixed_rounds_half_away_from_zero)
{
    expect_fixed(0.5, 0, "1");
    expect_fixed(1.5, 0, "2");
    expect_fixed(2.5, 0, "3");
    expect_fixed(-0.5, 0, "-1");
    expect_fixed(-2.5, 0, "-3");
    expect_fixed(0.49, 0, "0");
    expect_fixed(4355.005, 2, "4,355.01");
    expect_fixed(1.005, 2, "1.01");
    expect_fixed(12.345, 2, "12.35");
    expect_fixed(0.005, 2, "0.01");
    expect_fixed(0.0049, 2, "0.00");
    expect_fixed(0.0005, 2, "0.00");
    expect_fixed(999.995, 2, "1,000.00");
    expect_fixed(99999.5, 0, "100,000");
    expect_fixed(-999.95, 1, "-1,000.0");
}

Test(numfmt, fixed_negative_zero_and_non_finite)
{
    expect_fixed(-0.001, 2, "0.00");
    expect_fixed(-0.0, 2, "0.00");
    expect_fixed(-0.004, 2, "0.00");
    expect_fixed(-0.005, 2, "-0.01");
    expect_fixed(-1e-300, 0, "0");
    expect_fixed(NAN, 2, "-");
    expect_fixed(INFINITY, 2, "-");
    expect_fixed(-INFINITY, 0, "-");
}

Test(numfmt, fixed_clamps_decimals)
{
    expect_fixed(1.23456789, 9, "1.234568");
    expect_fixed(1.23456789, 6, "1.234568");
    expect_fixed(1.5, -3, "2");
    expect_fixed(1234.0, 6, "1,234.000000");
}

Test(numfmt, fixed_extremes_and_truncation)
{
    char big[512];
    numfmt_fixed(1.7976931348623157e308, 6, big, sizeof big);
    /* 309 integer digits, 102 separators, ".000000". */
    cr_expect_eq(strlen(big), 309 + 102 + 7);
    cr_expect_eq(strncmp(big, "179,769,313,486,231,570,000,", 28), 0);
    cr_expect_str_eq(big + strlen(big) - 10, "000.000000");

    numfmt_fixed(-1.7976931348623157e308, 0, big, sizeof big);
    cr_expect_eq(big[0], '-');
    cr_expect_eq(strlen(big), 1 + 309 + 102);

    expect_fixed(5e-324, 6, "0.000000");

    char small[8];
    numfmt_fixed(-1234567.5, 2, small, sizeof small);
    cr_expect_str_eq(small, "-1,234,");
    char none[2] = "Z";
    numfmt_fixed(NAN, 2, none, 0);
    cr_expect_str_eq(none, "Z");
}
