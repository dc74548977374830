/* test_catalog_targets.c: targets per region and year (targets.csv).
 *
 * The shipped catalog gives the province's 19 targets in targets.csv;
 * the fixtures in tests/fixtures/targets/ are loaded in its place, beside
 * the shipped indicators.csv, regions.csv and plan.csv, through
 * catalog_load_mem(): a city's own targets with a milestone, and one bad
 * file per kind of error, each with its exact "FILE:LINE: FIELD: reason".
 *
 * INVARIANTS
 *   1. Every catalog and buffer a test makes is freed in that test.
 *   2. Nothing is written to disk.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "common/file.h"

#define FIX HRSS_TEST_FIXTURES_DIR "/targets/"

/* The shipped catalog with @p targets (NULL: no targets file) and, when
 * @p ind is set, these bytes for indicators.csv. */
static int load(const char *targets, size_t tlen, const char *ind,
                catalog_t **out, char err[ERR_LEN])
{
    char *data[CATALOG_NFILES] = {NULL};
    catalog_bytes_t files[CATALOG_NFILES] = {{NULL, NULL, 0}};
    for (size_t i = 0; i < CATALOG_TARGETS; i++) {
        char path[512];
        size_t len = 0;
        enum catalog_file f = (enum catalog_file)i;
        snprintf(path, sizeof path, "%s/%s", HRSS_TEST_CATALOG_DIR,
                 catalog_file_name(f));
        cr_assert_eq(file_read(path, 1 << 20, &data[i], &len, err), ERR_OK,
                     "%s", err);
        files[i] = (catalog_bytes_t){catalog_file_name(f), data[i], len};
    }
    if (ind != NULL) {
        files[CATALOG_INDICATORS].data = ind;
        files[CATALOG_INDICATORS].len = strlen(ind);
    }
    files[CATALOG_TARGETS] =
        (catalog_bytes_t){"targets.csv", targets, tlen};
    int rc = catalog_load_mem(out, files, err);
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        free(data[i]);
    }
    return rc;
}

/* load() with the fixture @p name. */
static int load_fixture(const char *name, catalog_t **out,
                        char err[ERR_LEN])
{
    char path[512];
    char *t = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, FIX "%s", name);
    cr_assert_eq(file_read(path, 1 << 20, &t, &len, err), ERR_OK, "%s",
                 err);
    int rc = load(t, len, NULL, out, err);
    free(t);
    return rc;
}

static void expect_refused(const char *name, const char *message)
{
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_expect_eq(load_fixture(name, &c, err), ERR_INVAL, "%s", name);
    cr_expect_null(c);
    cr_expect_str_eq(err, message, "%s", name);
}

static size_t ind(const catalog_t *c, const char *code)
{
    int i = catalog_indicator_find(c, code);
    cr_assert_geq(i, 0, "%s", code);
    return (size_t)i;
}

static int reg(const catalog_t *c, uint32_t code)
{
    int r = catalog_region_find(c, code);
    cr_assert_geq(r, 0, "%u", code);
    return r;
}

Test(targets, shipped_province_targets_are_in_targets_csv)
{
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(catalog_load_dir(&c, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
    const char *data = NULL;
    size_t len = 0;
    catalog_source(c, CATALOG_TARGETS, &data, &len);
    cr_expect_not_null(data);
    cr_expect_gt(len, 100);
    int root = catalog_region_root(c);
    cr_assert_eq(catalog_target_count(c), 19);
    for (size_t i = 0; i < 19; i++) {
        const indicator_t *in = catalog_indicator(c, i);
        const catalog_target_t *t = catalog_target_find(c, i, root, 2025);
        cr_assert_not_null(t, "%s", in->code);
        cr_expect_eq(catalog_target(c, i), t);
        cr_expect_eq(t->target, in->target);
        cr_expect_eq(t->basis, in->basis);
        cr_expect_eq(t->basis_from, in->basis_from);
        cr_expect_eq(t->basis_to, in->basis_to);
        /* No milestones: every year of the plan measures against 2025. */
        cr_expect_eq(catalog_target_at(c, i, root, 2023), t);
        cr_expect_null(catalog_target_find(c, i, root, 2023));
    }
    const catalog_target_t *pen =
        catalog_target_find(c, ind(c, "pension_insured"), root, 2025);
    cr_expect_eq(pen->target, 4500.0);
    /* A city has none of its own: never the province's. */
    int hz = reg(c, 330100);
    cr_expect_null(catalog_target_at(c, ind(c, "pension_insured"), hz,
                                     2025));
    cr_expect_eq(catalog_region_has_targets(c, root), 1);
    cr_expect_eq(catalog_region_has_targets(c, hz), 0);
    catalog_destroy(&c);
}

Test(targets, a_city_s_own_targets_and_milestone)
{
    catalog_t *c = NULL;
    catalog_t *plain = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(load_fixture("targets.csv", &c, err), ERR_OK, "%s", err);
    cr_assert_eq(load(NULL, 0, NULL, &plain, err), ERR_OK, "%s", err);
    int hz = reg(c, 330100);
    int root = catalog_region_root(c);
    size_t jobs = ind(c, "urban_new_jobs");
    /* 19 province targets from indicators.csv and 4 of Hangzhou's. */
    cr_expect_eq(catalog_target_count(c), 23);
    cr_expect_eq(catalog_target_count(plain), 19);
    const catalog_target_t *t = catalog_target_at(c, jobs, hz, 2023);
    cr_assert_not_null(t);
    cr_expect_eq(t->year, 2023);
    cr_expect_eq(t->target, 70.0);
    cr_expect_eq(t->basis, BASIS_CUMULATIVE);
    cr_expect_eq(t->basis_from, 2021);
    cr_expect_eq(t->basis_to, 2023);
    /* 2024 has no milestone: the 2025 target. */
    t = catalog_target_at(c, jobs, hz, 2024);
    cr_assert_not_null(t);
    cr_expect_eq(t->year, 2025);
    cr_expect_eq(t->target, 120.0);
    cr_expect_eq(t->basis_to, 2025);
    /* By its Chinese name, the basis left empty: level_2025. */
    t = catalog_target_at(c, ind(c, "dispute_mediation_success_rate"), hz,
                          2025);
    cr_assert_not_null(t);
    cr_expect_eq(t->target, 82.0);
    cr_expect_eq(t->basis, BASIS_LEVEL);
    cr_expect_eq(t->basis_from, 2025);
    /* The province keeps indicators.csv's; a county has none. */
    cr_expect_eq(catalog_target_at(c, jobs, root, 2023)->target, 500.0);
    cr_expect_null(catalog_target_at(c, jobs, reg(c, 330102), 2025));
    cr_expect_null(catalog_target_at(c, ind(c, "skilled_talent"), hz, 2025));
    cr_expect_eq(catalog_region_has_targets(c, hz), 1);
    /* Sorted by indicator, region, year. */
    for (size_t i = 1; i < catalog_target_count(c); i++) {
        const catalog_target_t *a = catalog_target(c, i - 1);
        const catalog_target_t *b = catalog_target(c, i);
        cr_expect(a->indicator < b->indicator ||
                  (a->indicator == b->indicator &&
                   (a->region < b->region ||
                    (a->region == b->region && a->year < b->year))));
    }
    /* Targets change no aggregate: the store's fingerprints stay. */
    cr_expect_eq(catalog_rules_fingerprint(c),
                 catalog_rules_fingerprint(plain));
    cr_expect_eq(catalog_region_fingerprint(c),
                 catalog_region_fingerprint(plain));
    catalog_destroy(&plain);
    catalog_destroy(&c);
}

Test(targets, each_bad_row_is_named_with_file_line_and_field)
{
    expect_refused("unknown_indicator.csv",
                   "targets.csv:3: indicator: unknown indicator "
                   "'urban_new_jobs_x'");
    expect_refused("unknown_region.csv",
                   "targets.csv:2: region: unknown region '330199' (not "
                   "in regions.csv)");
    expect_refused("bad_year.csv",
                   "targets.csv:2: year: '2026' is not a year of the plan "
                   "(2021-2025)");
    expect_refused("duplicate.csv",
                   "targets.csv:4: duplicate target for (pension_insured, "
                   "330100, 2025) (first on line 2)");
    expect_refused("bad_basis.csv",
                   "targets.csv:2: basis: pension_insured cannot have "
                   "'cumulative_2021_2023' in 2023: its target_basis is "
                   "level, so expected level_2023 (or empty)");
    expect_refused("province_differs.csv",
                   "targets.csv:2: target: 4600 for (pension_insured, "
                   "330000, 2025) differs from indicators.csv:5's "
                   "target_2025 4500: give the province's target in one "
                   "place");
    expect_refused("ratio_above_100.csv",
                   "targets.csv:2: target: 120 % is above 100% for the "
                   "ratio urban_surveyed_unemployment_rate");
}

Test(targets, more_bad_rows)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"indicator,region,year,target,basis\n"
         "pension_insured,330100,25,600,\n",
         "targets.csv:2: year: '25' is not a year of the plan (2021-2025)"},
        {"indicator,region,year,target,basis\n"
         "pension_insured,330100,2025,-1,\n",
         "targets.csv:2: target: '-1' is not a number >= 0"},
        {"indicator,region,year,target,basis\n"
         "pension_insured,330100,2025,,\n",
         "targets.csv:2: target: empty"},
        {"indicator,region,year,target,basis\n"
         "pension_insured,330100,2025,600,level2025\n",
         "targets.csv:2: basis: bad basis 'level2025': expected "
         "level_2025 (or empty)"},
        {"indicator,region,year,target,basis\n"
         "urban_new_jobs,330100,2025,100,cumulative_2022_2025\n",
         "targets.csv:2: basis: urban_new_jobs cannot have "
         "'cumulative_2022_2025' in 2025: its target_basis is cumulative, "
         "so expected cumulative_2021_2025 (or empty)"},
        {"indicator,region,year,target\n"
         "pension_insured,330100,2025,600\n",
         "targets.csv:1: missing column 'basis'"},
        {"indicator,region,year,target,basis\n"
         "pension_insured,330100,2025,600\n",
         "targets.csv:2: 4 fields, header has 5"},
        {"", "targets.csv:1: empty file, expected a header row"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        catalog_t *c = NULL;
        char err[ERR_LEN] = "";
        cr_expect_eq(load(cases[i].text, strlen(cases[i].text), NULL, &c,
                          err),
                     ERR_INVAL, "case %zu", i);
        cr_expect_null(c);
        cr_expect_str_eq(err, cases[i].message, "case %zu", i);
    }
}

/* indicators.csv's pension_insured (line 5) with target_2025 @p target. */
static char *indicators_with(const char *target)
{
    char path[512];
    char *text = NULL;
    size_t len = 0;
    char err[ERR_LEN];
    snprintf(path, sizeof path, "%s/indicators.csv", HRSS_TEST_CATALOG_DIR);
    cr_assert_eq(file_read(path, 1 << 20, &text, &len, err), ERR_OK);
    char *at = strstr(text, ",4355,4500,");
    cr_assert_not_null(at);
    size_t cap = len + 16;
    char *out = malloc(cap);
    cr_assert_not_null(out);
    snprintf(out, cap, "%.*s,4355,%s,%s", (int)(at - text), text, target,
             at + strlen(",4355,4500,"));
    free(text);
    return out;
}

Test(targets, one_truth_for_the_province_s_target)
{
    static const char province[] = "indicator,region,year,target,basis\n"
                                   "pension_insured,330000,2025,4600,\n";
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    /* indicators.csv leaves it empty: targets.csv's. */
    char *ind_csv = indicators_with("");
    cr_assert_eq(load(province, sizeof province - 1, ind_csv, &c, err),
                 ERR_OK, "%s", err);
    size_t pen = ind(c, "pension_insured");
    cr_expect_eq(catalog_indicator(c, pen)->target, 4600.0);
    cr_expect_eq(catalog_indicator(c, pen)->has_target, 1);
    cr_expect_eq(catalog_target_at(c, pen, catalog_region_root(c), 2024)
                     ->target,
                 4600.0);
    catalog_destroy(&c);
    /* Empty in both: no target at all. */
    cr_expect_eq(load(NULL, 0, ind_csv, &c, err), ERR_INVAL);
    cr_expect_str_eq(err, "indicators.csv:5: no target for "
                          "'pension_insured': give it in targets.csv "
                          "(region 330000, year 2025) or in target_2025");
    free(ind_csv);
    /* The same number in both is one truth. */
    ind_csv = indicators_with("4600");
    cr_expect_eq(load(province, sizeof province - 1, ind_csv, &c, err),
                 ERR_OK, "%s", err);
    catalog_destroy(&c);
    free(ind_csv);
}
