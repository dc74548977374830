/* test_update.c: the domain layer (common/update.c): every rule a figure
 * obeys, the order they apply in, the field each concerns, and the
 * parsing of what people write. Runs against the shipped catalog as the
 * office of 杭州市 (330100) in November 2026. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "common/period.h"
#include "common/update.h"

#ifndef HRSS_TEST_CATALOG_DIR
#error "HRSS_TEST_CATALOG_DIR must name the shipped catalog directory"
#endif

static catalog_t *cat;
static update_scope_t hz; /* 杭州市, 2026-11 */

static void setup(void)
{
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
    hz.cat = cat;
    hz.home = catalog_region_find(cat, 330100);
    cr_assert_geq(hz.home, 0);
    hz.current_month = month_make(2026, 11);
}

static void teardown(void) { catalog_destroy(&cat); }

TestSuite(update, .init = setup, .fini = teardown, .timeout = 30);

static update_t count(const char *ind, uint32_t region, uint32_t yyyymm,
                      int64_t v)
{
    update_t u = {1, ind, region, yyyymm, {0, v, 0}};
    return u;
}

static update_t ratio(const char *ind, uint32_t region, uint32_t yyyymm,
                      int64_t num, int64_t den)
{
    update_t u = {1, ind, region, yyyymm, {1, num, den}};
    return u;
}

/* update_check must give @p want, on field @p field, with @p msg. */
static void expect(const update_scope_t *sc, update_t u,
                   enum update_reason want, const char *field,
                   const char *msg)
{
    char got[UPDATE_MSG_LEN] = "";
    update_cell_t cell = {-7, -7, -7};
    enum update_reason r = update_check(sc, &u, &cell, got);
    cr_expect_eq(r, want, "%s: got %s (%s), want %s", u.indicator,
                 update_reason_name(r), got, update_reason_name(want));
    if (want == UPDATE_OK) {
        cr_expect_neq(cell.indicator, -7, "cell filled on success");
        return;
    }
    cr_expect_eq(cell.indicator, -7, "cell untouched on failure");
    cr_expect_str_eq(update_reason_field(r, &u.value), field);
    cr_expect_str_eq(got, msg);
}

Test(update, reason_numbers_are_stable)
{
    /* Stored on disk in the store's rejections: never renumber. */
    cr_expect_eq(UPDATE_OK, 0);
    cr_expect_eq(UPDATE_UNKNOWN_INDICATOR, 1);
    cr_expect_eq(UPDATE_UNKNOWN_REGION, 2);
    cr_expect_eq(UPDATE_REGION_NOT_ALLOWED, 3);
    cr_expect_eq(UPDATE_BAD_MONTH, 4);
    cr_expect_eq(UPDATE_FUTURE_MONTH, 5);
    cr_expect_eq(UPDATE_NEGATIVE, 6);
    cr_expect_eq(UPDATE_WRONG_KIND, 7);
    cr_expect_eq(UPDATE_ZERO_DENOMINATOR, 8);
    cr_expect_eq(UPDATE_NUMERATOR_GT_DENOMINATOR, 9);
    cr_expect_eq(UPDATE_TOO_LARGE, 10);
    cr_expect_eq(UPDATE_NOT_AUTHORIZED, 11);
    cr_expect_eq(UPDATE_PERIOD_LOCKED, 12);
    cr_expect_eq(UPDATE_REGION_NOT_VALID, 13);
    cr_expect_eq(UPDATE_REASON_MAX, 13);
    cr_expect_str_eq(update_reason_name(UPDATE_REGION_NOT_VALID),
                     "region_not_valid");
    cr_expect_str_eq(update_reason_field(UPDATE_REGION_NOT_VALID, NULL),
                     "region");
    cr_expect_str_eq(update_reason_name(UPDATE_PERIOD_LOCKED),
                     "period_locked");
    cr_expect_str_eq(update_reason_field(UPDATE_PERIOD_LOCKED, NULL),
                     "period");
    cr_expect_str_eq(update_reason_name(UPDATE_OK), "none");
    cr_expect_str_eq(update_reason_name(UPDATE_NEGATIVE), "negative_value");
    cr_expect_str_eq(update_reason_name(UPDATE_TOO_LARGE),
                     "value_too_large");
    cr_expect_str_eq(update_reason_name((enum update_reason)99), "unknown");
    cr_expect_null(update_reason_field(UPDATE_OK, NULL));
}

Test(update, a_valid_update_lands_in_its_cell)
{
    update_t u = count("urban_new_jobs", 330102, 202610, 12);
    update_cell_t cell;
    char msg[UPDATE_MSG_LEN];
    cr_assert_eq(update_check(&hz, &u, &cell, msg), UPDATE_OK, "%s", msg);
    cr_expect_eq(cell.indicator, catalog_indicator_find(cat,
                                                        "urban_new_jobs"));
    cr_expect_eq(cell.region, catalog_region_find(cat, 330102));
    cr_expect_eq(cell.month, month_make(2026, 10));
    /* The home region itself, and the current month, are fine. */
    expect(&hz, count("urban_new_jobs", 330100, 202611, 0), UPDATE_OK, NULL,
           NULL);
    expect(&hz, ratio("dispute_mediation_success_rate", 330100, 202611, 10,
                      10),
           UPDATE_OK, NULL, NULL);
}

Test(update, each_rule_names_its_field)
{
    expect(&hz, count("nosuch", 330102, 202610, 1), UPDATE_UNKNOWN_INDICATOR,
           "indicator", "unknown indicator 'nosuch'");
    expect(&hz, count("urban_new_jobs", 339999, 202610, 1),
           UPDATE_UNKNOWN_REGION, "region", "unknown region code 339999");
    expect(&hz, count("urban_new_jobs", 330203, 202610, 1),
           UPDATE_REGION_NOT_ALLOWED, "region",
           "330203 is not 330100 or below it");
    expect(&hz, count("urban_new_jobs", 330000, 202610, 1),
           UPDATE_REGION_NOT_ALLOWED, "region",
           "330000 is not 330100 or below it");
    expect(&hz, count("urban_new_jobs", 330102, 202613, 1),
           UPDATE_BAD_MONTH, "period", "202613 is not a valid YYYYMM");
    expect(&hz, count("urban_new_jobs", 330102, 189912, 1),
           UPDATE_BAD_MONTH, "period", "189912 is not a valid YYYYMM");
    expect(&hz, count("urban_new_jobs", 330102, 202612, 1),
           UPDATE_FUTURE_MONTH, "period",
           "2026-12 is later than the current month 2026-11");
    expect(&hz, count("urban_new_jobs", 330102, 202610, -1),
           UPDATE_NEGATIVE, "value", "-1 is negative");
    expect(&hz, count("urban_new_jobs", 330102, 202610,
                      UPDATE_MAX_VALUE + 1),
           UPDATE_TOO_LARGE, "value", "1000000000001 exceeds 10^12");
    expect(&hz, count("dispute_mediation_success_rate", 330102, 202610, 5),
           UPDATE_WRONG_KIND, "value",
           "dispute_mediation_success_rate is a ratio: give a numerator "
           "and a denominator");
    expect(&hz, ratio("urban_new_jobs", 330102, 202610, 1, 2),
           UPDATE_WRONG_KIND, "numerator",
           "urban_new_jobs is a count: give a value, not a ratio");
    expect(&hz, ratio("dispute_mediation_success_rate", 330102, 202610, -1,
                      2),
           UPDATE_NEGATIVE, "numerator", "-1 is negative");
    expect(&hz, ratio("dispute_mediation_success_rate", 330102, 202610, 0, 0),
           UPDATE_ZERO_DENOMINATOR, "denominator", "must be positive, not 0");
    expect(&hz, ratio("dispute_mediation_success_rate", 330102, 202610, 0,
                      -3),
           UPDATE_ZERO_DENOMINATOR, "denominator",
           "must be positive, not -3");
    expect(&hz, ratio("dispute_mediation_success_rate", 330102, 202610, 11,
                      10),
           UPDATE_NUMERATOR_GT_DENOMINATOR, "numerator",
           "11 > denominator 10");
    expect(&hz, ratio("dispute_mediation_success_rate", 330102, 202610, 5,
                      UPDATE_MAX_VALUE + 1),
           UPDATE_TOO_LARGE, "denominator", "1000000000001 exceeds 10^12");
    expect(&hz, ratio("dispute_mediation_success_rate", 330102, 202610,
                      UPDATE_MAX_VALUE + 1, UPDATE_MAX_VALUE + 2),
           UPDATE_TOO_LARGE, "numerator", "1000000000001 exceeds 10^12");
}

Test(update, rules_apply_in_a_fixed_order)
{
    /* Everything wrong at once: the indicator is reported first, then the
     * region, the month, the value. */
    expect(&hz, count("nosuch", 339999, 202613, -1),
           UPDATE_UNKNOWN_INDICATOR, "indicator", "unknown indicator 'nosuch'");
    expect(&hz, count("urban_new_jobs", 339999, 202613, -1),
           UPDATE_UNKNOWN_REGION, "region", "unknown region code 339999");
    expect(&hz, count("urban_new_jobs", 330102, 202613, -1),
           UPDATE_BAD_MONTH, "period", "202613 is not a valid YYYYMM");
    expect(&hz, count("urban_new_jobs", 330102, 202701, -1),
           UPDATE_FUTURE_MONTH, "period",
           "2027-01 is later than the current month 2026-11");
}

Test(update, home_minus_one_allows_every_region)
{
    update_scope_t any = hz;
    any.home = -1;
    expect(&any, count("urban_new_jobs", 330203, 202610, 1), UPDATE_OK, NULL,
           NULL);
    expect(&any, count("urban_new_jobs", 339999, 202610, 1),
           UPDATE_UNKNOWN_REGION, "region", "unknown region code 339999");
}

Test(update, the_wire_carries_codes_people_write_names)
{
    int ii = -1;
    char msg[UPDATE_MSG_LEN];
    cr_expect_eq(update_check_indicator(cat, "城镇新增就业人数", 1, &ii, msg),
                 UPDATE_OK);
    cr_expect_eq(ii, catalog_indicator_find(cat, "urban_new_jobs"));
    cr_expect_eq(update_check_indicator(cat, "城镇新增就业人数", 0, &ii, msg),
                 UPDATE_UNKNOWN_INDICATOR);
    cr_expect_eq(ii, -1);
    expect(&hz, count("城镇新增就业人数", 330102, 202610, 1),
           UPDATE_UNKNOWN_INDICATOR, "indicator",
           "unknown indicator '城镇新增就业人数'");
}

Test(update, messages_quote_input_safely)
{
    char q[UPDATE_QUOTE_LEN];
    update_quote(q, sizeof q, "a\nb\x7f");
    cr_expect_str_eq(q, "a?b?");
    /* 30 three-byte characters are 90 bytes: cut at 21 characters. */
    char longer[128] = "";
    for (int i = 0; i < 30; i++) {
        strcat(longer, "指");
    }
    update_quote(q, sizeof q, longer);
    cr_expect_eq(strlen(q), 63 + 3);
    cr_expect_str_eq(q + 63, "...");
}

Test(update, parse_month_forms)
{
    static const struct {
        const char *in;
        int year;
        int month;
    } ok[] = {
        {"2025-10", 2025, 10}, {"2025/10", 2025, 10}, {"2025/1", 2025, 1},
        {"202510", 2025, 10},  {"2025-10-31", 2025, 10},
        {"2025/7/31", 2025, 7},
    };
    char why[ERR_LEN];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int32_t m = -1;
        cr_expect_eq(update_parse_month(ok[i].in, &m, why, sizeof why),
                     ERR_OK, "%s: %s", ok[i].in, why);
        cr_expect_eq(m, month_make(ok[i].year, ok[i].month), "%s", ok[i].in);
    }
    static const struct {
        const char *in;
        const char *why;
    } bad[] = {
        {"2025-13", "'2025-13': month must be 1..12"},
        {"202500", "'202500': month must be 1..12"},
        {"1899-12", "'1899-12': year must be 1900..9999"},
        {"2025-10-32", "'2025-10-32': day must be 1..31"},
        {"2025-10/01", "'2025-10/01' is not a month (expected YYYY-MM, "
                       "YYYY/MM, YYYYMM or YYYY-MM-DD)"},
        {"Oct 2025", "'Oct 2025' is not a month (expected YYYY-MM, YYYY/MM, "
                     "YYYYMM or YYYY-MM-DD)"},
        {"", "'' is not a month (expected YYYY-MM, YYYY/MM, YYYYMM or "
             "YYYY-MM-DD)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int32_t m = -1;
        cr_expect_eq(update_parse_month(bad[i].in, &m, why, sizeof why),
                     ERR_INVAL, "%s", bad[i].in);
        cr_expect_eq(m, -1, "untouched on failure");
        cr_expect_str_eq(why, bad[i].why);
    }
}

Test(update, parse_amount_as_spreadsheets_write_it)
{
    static const struct {
        const char *in;
        int64_t v;
    } ok[] = {
        {"0", 0},           {"1234", 1234},        {"1,234", 1234},
        {"12,345,678", 12345678}, {"12000.0", 12000}, {"7.00", 7},
        {"-5", -5},         {"1000000000001", INT64_C(1000000000001)},
        {"9223372036854775799", INT64_C(9223372036854775799)},
    };
    char why[ERR_LEN];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = -99;
        cr_expect_eq(update_parse_amount(ok[i].in, &v, why, sizeof why),
                     ERR_OK, "%s: %s", ok[i].in, why);
        cr_expect_eq(v, ok[i].v, "%s", ok[i].in);
    }
    static const struct {
        const char *in;
        const char *why;
    } bad[] = {
        {"12.5", "'12.5' is not a whole number"},
        {"12.", "'12.' is not a whole number"},
        {"1e3", "'1e3' is not a whole number"},
        {"", "'' is not a whole number"},
        {"-", "'-' is not a whole number"},
        {"1,23", "'1,23' has misplaced thousands separators"},
        {"1234,567", "'1234,567' has misplaced thousands separators"},
        {",123", "',123' has misplaced thousands separators"},
        {"99999999999999999999", "'99999999999999999999' is far beyond "
                                 "10^12"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = -99;
        cr_expect_eq(update_parse_amount(bad[i].in, &v, why, sizeof why),
                     ERR_INVAL, "%s", bad[i].in);
        cr_expect_eq(v, -99, "untouched on failure");
        cr_expect_str_eq(why, bad[i].why);
    }
}

Test(update, parse_region_codes)
{
    char why[ERR_LEN];
    uint32_t code = 0;
    cr_expect_eq(update_parse_region("330102", &code, why, sizeof why),
                 ERR_OK);
    cr_expect_eq(code, 330102);
    cr_expect_eq(update_parse_region("杭州市", &code, why, sizeof why),
                 ERR_INVAL);
    cr_expect_str_eq(why, "'杭州市' is not a region code");
    cr_expect_eq(update_parse_region("1234567890", &code, why, sizeof why),
                 ERR_INVAL);
    cr_expect_eq(update_parse_region("", &code, why, sizeof why), ERR_INVAL);
}

/* A key's region set: only the regions it lists, whatever the home says
 * (a CurveZMQ office reports for what the agents file gives it). */
Test(update, a_region_set_limits_what_a_key_may_report)
{
    unsigned char *allowed =
        calloc(catalog_region_count(cat), sizeof *allowed);
    cr_assert_not_null(allowed);
    allowed[catalog_region_find(cat, 330102)] = 1;
    update_scope_t key = hz;
    key.home = -1;
    key.allowed = allowed;
    expect(&key, count("urban_new_jobs", 330102, 202610, 1), UPDATE_OK, NULL,
           NULL);
    expect(&key, count("urban_new_jobs", 330105, 202610, 1),
           UPDATE_NOT_AUTHORIZED, "region",
           "330105 is not a region this office's key may report for");
    expect(&key, count("urban_new_jobs", 330100, 202610, 1),
           UPDATE_NOT_AUTHORIZED, "region",
           "330100 is not a region this office's key may report for");
    cr_expect_str_eq(update_reason_name(UPDATE_NOT_AUTHORIZED),
                     "not_authorized");
    free(allowed);
}
