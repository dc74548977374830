/* test_cell.c: how each cell type reads for people, in CSV and in JSON
 * (admin/cell.c). The rule under test: people get separators, the plan's
 * units, 〔〕 and names; scripts get raw units, codes and names apart.
 *
 * INVARIANTS
 *   1. Every string a cell function returns is freed here (ASan).
 *   2. No test depends on TZ or the locale.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/cell.h"
#include "admin/zone.h"

#define TZ ZONE_DEFAULT_OFFSET

static catalog_t *cat;

static void load(void)
{
    char err[ERR_LEN];
    cr_assert_eq(catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
}

static void unload(void)
{
    catalog_destroy(&cat);
}

TestSuite(cell, .init = load, .fini = unload);

static const indicator_t *ind(const char *code)
{
    int i = catalog_indicator_find(cat, code);
    cr_assert_geq(i, 0, "%s", code);
    return catalog_indicator(cat, (size_t)i);
}

/* The cell for people, CSV (fields joined by '|') and JSON under key
 * "k" (and "k2"), compared with @p people, @p csv and @p json. */
static void expect3(cell_t c, const char *people, const char *csv,
                    const char *json, int nest)
{
    char *s = cell_show(&c, TZ);
    cr_expect_str_eq(s, people, "people");
    free(s);

    char *f[CELL_MAX_FIELDS];
    cell_csv(&c, c.type, TZ, f);
    char joined[512] = "";
    for (size_t i = 0; i < cell_fields(c.type); i++) {
        cr_assert_not_null(f[i]);
        size_t n = strlen(joined);
        snprintf(joined + n, sizeof joined - n, "%s%s", i ? "|" : "", f[i]);
        free(f[i]);
    }
    cr_expect_str_eq(joined, csv, "csv of '%s'", people);

    char *out = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&out, &size);
    cr_assert_not_null(m);
    cell_put_json(&c, "k", "k2", nest, m);
    cr_assert_eq(fclose(m), 0);
    cr_expect_str_eq(out, json, "json of '%s'", people);
    free(out);
}

Test(cell, text_numbers_and_ids)
{
    expect3(cell_text("西湖区"), "西湖区", "西湖区", "\"k\": \"西湖区\"", 0);
    expect3(cell_text(NULL), "", "", "\"k\": \"\"", 0);
    expect3(cell_int(5484613), "5,484,613", "5484613", "\"k\": 5484613", 0);
    expect3(cell_int(-1234), "-1,234", "-1234", "\"k\": -1234", 0);
    expect3(cell_id(1141), "1141", "1141", "\"k\": 1141", 0);
    expect3(cell_real(10000), "10000", "10000", "\"k\": 10000", 0);
    expect3(cell_real(0.1 + 0.2), "0.3", "0.3", "\"k\": 0.3", 0);
    expect3(cell_real(NAN), "-", "", "\"k\": null", 0);
    expect3(cell_bool(1), "yes", "true", "\"k\": true", 0);
    expect3(cell_bool(0), "no", "false", "\"k\": false", 0);
}

Test(cell, nothing_and_absent)
{
    expect3(cell_none("-"), "-", "", "\"k\": null", 0);
    expect3(cell_none(NULL), "", "", "\"k\": null", 0);
    expect3(cell_absent(), "", "", "", 0);
    /* In a two-field column a missing value still fills both fields. */
    cell_t none = cell_none("-");
    char *f[CELL_MAX_FIELDS];
    cell_csv(&none, CELL_OF, TZ, f);
    cr_expect_str_eq(f[0], "");
    cr_expect_str_eq(f[1], "");
    free(f[0]);
    free(f[1]);
}

Test(cell, figures_counts_and_ratios)
{
    expect3(cell_figure(0, 1387, 0), "1,387", "1387", "\"k\": 1387", 0);
    expect3(cell_figure(1, 3073, 3740), "82.17% (3,073 / 3,740)",
            "0.821657754", "\"k\": 0.821657754", 0);
    expect3(cell_figure(1, 75, 94), "79.79% (75 / 94)", "0.7978723404",
            "\"k\": {\"numerator\": 75, \"denominator\": 94}", 1);
    expect3(cell_figure(0, 59640, 0), "59,640", "59640", "\"k\": 59640", 1);
    /* No denominator: no value, but the terms are kept when nested. */
    expect3(cell_figure(1, 0, 0), "-", "", "\"k\": null", 0);
    expect3(cell_figure(1, 0, 0), "-", "",
            "\"k\": {\"numerator\": 0, \"denominator\": 0}", 1);
}

Test(cell, plan_values_as_written_and_raw)
{
    const indicator_t *jobs = ind("urban_new_jobs");
    const indicator_t *pension = ind("pension_insured");
    const indicator_t *senior = ind("senior_title_talent");
    const indicator_t *rate = ind("urban_surveyed_unemployment_rate");
    const indicator_t *postdoc = ind("postdoc_recruits");
    /* The indicators table: %g, 〔〕 for a cumulative target. */
    expect3(cell_plan(jobs, 500, -1, 1), "〔500〕", "5000000",
            "\"k\": 5000000", 0);
    expect3(cell_plan(pension, 4355, -1, 0), "4355", "43550000",
            "\"k\": 43550000", 0);
    expect3(cell_plan(senior, 45.3, -1, 0), "45.3", "453000",
            "\"k\": 453000", 0);
    expect3(cell_plan(rate, 5.5, -1, 0), "5.5", "0.055", "\"k\": 0.055", 0);
    /* The progress table: rounded, with separators. */
    expect3(cell_plan(pension, 4355, 0, 0), "4,355", "43550000",
            "\"k\": 43550000", 0);
    expect3(cell_plan(postdoc, 1612, 0, 0), "1,612", "1612", "\"k\": 1612",
            0);
    /* Measured values in the display unit, raw for scripts. */
    expect3(cell_measure(jobs, 5484613), "548.46", "5484613",
            "\"k\": 5484613", 0);
    expect3(cell_measure(pension, 45051204), "4,505.12", "45051204",
            "\"k\": 45051204", 0);
    expect3(cell_measure(rate, 0.04790930442), "4.8", "0.04790930442",
            "\"k\": 0.04790930442", 0);
    expect3(cell_measure(postdoc, 1710), "1,710", "1710", "\"k\": 1710", 0);
}

Test(cell, shares_and_counts_of)
{
    expect3(cell_share(1.0969226), "109.7%", "1.0969226",
            "\"k\": 1.0969226", 0);
    expect3(cell_share(0.0064006), "0.6%", "0.0064006", "\"k\": 0.0064006",
            0);
    expect3(cell_share(NAN), "-", "", "\"k\": null", 0);
    expect3(cell_of(101, 102), "101/102", "101|102",
            "\"k\": 101, \"k2\": 102", 0);
}

Test(cell, times_at_the_display_offset)
{
    expect3(cell_time(1764000000), "2025-11-25 00:00:00",
            "2025-11-25 00:00:00", "\"k\": 1764000000", 0);
    cell_t t = cell_time(1764000000);
    char *s = cell_show(&t, -5 * 3600);
    cr_expect_str_eq(s, "2025-11-24 11:00:00");
    free(s);
}

Test(cell, codes_and_names_apart_for_scripts)
{
    expect3(cell_region("330106", "西湖区"), "西湖区 330106",
            "330106|西湖区", "\"k\": \"330106\"", 0);
    expect3(cell_indicator("senior_title_talent", "其中:高级职称人才数量"),
            "其中:高级职称人才数量", "senior_title_talent|其中:高级职称人才数量",
            "\"k\": \"senior_title_talent\"", 0);
    /* An indicator the catalog does not know shows its code. */
    expect3(cell_indicator("nosuch", NULL), "nosuch", "nosuch|",
            "\"k\": \"nosuch\"", 0);
}

Test(cell, lists)
{
    const char *items[] = {"urban_new_jobs", "pension_insured"};
    expect3(cell_list(items, 2, NULL), "urban_new_jobs, pension_insured",
            "urban_new_jobs pension_insured",
            "\"k\": [\"urban_new_jobs\", \"pension_insured\"]", 0);
    expect3(cell_list(items, 2, "all (nothing reported)"),
            "all (nothing reported)", "urban_new_jobs pension_insured",
            "\"k\": [\"urban_new_jobs\", \"pension_insured\"]", 0);
    expect3(cell_list(NULL, 0, NULL), "", "", "\"k\": []", 0);
}

Test(cell, dup_owns_its_strings)
{
    char code[] = "330106";
    char name[] = "西湖区";
    char item[] = "a";
    const char *items[] = {item};
    cell_t cells[] = {cell_region(code, name), cell_text(name),
                      cell_list(items, 1, name), cell_none(name),
                      cell_int(7)};
    cell_t copies[5];
    for (size_t i = 0; i < 5; i++) {
        copies[i] = cell_dup(&cells[i]);
    }
    memset(code, 'x', sizeof code - 1);
    memset(name, 'y', sizeof name - 1);
    item[0] = 'z';
    const char *want[] = {"西湖区 330106", "西湖区", "西湖区", "西湖区",
                          "7"};
    for (size_t i = 0; i < 5; i++) {
        char *s = cell_show(&copies[i], TZ);
        cr_expect_str_eq(s, want[i], "copy %zu", i);
        free(s);
        cell_fini(&copies[i]);
        cr_expect_eq(copies[i].type, CELL_ABSENT);
    }
}
