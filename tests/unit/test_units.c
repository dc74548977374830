/* test_units.c: the plan's display units against raw units
 * (admin/units.c), on the shipped catalog's indicators.
 *
 * INVARIANTS
 *   1. The catalog is loaded and destroyed in each test.
 */
#include <criterion/criterion.h>

#include "admin/units.h"

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

static const indicator_t *ind(const char *code)
{
    int i = catalog_indicator_find(cat, code);
    cr_assert_geq(i, 0, "%s", code);
    return catalog_indicator(cat, (size_t)i);
}

TestSuite(units, .init = load, .fini = unload);

Test(units, counts_in_wan_persons_and_persons)
{
    const indicator_t *jobs = ind("urban_new_jobs");       /* 万人 */
    const indicator_t *postdoc = ind("postdoc_recruits");  /* 人 */
    cr_expect_eq(units_raw(jobs, 500), 5000000.0);
    cr_expect_float_eq(units_raw(ind("senior_title_talent"), 45.3), 453000.0,
                       1e-6);
    cr_expect_float_eq(units_display(jobs, 5484613), 548.4613, 1e-12);
    cr_expect_eq(units_raw(postdoc, 1100), 1100.0);
    cr_expect_eq(units_display(postdoc, 1710), 1710.0);
    cr_expect_eq(units_decimals(jobs), 2);
    cr_expect_eq(units_decimals(postdoc), 0);
    cr_expect_eq(units_decimals(ind("social_security_card_holders")), 2);
}

Test(units, ratios_in_percent)
{
    const indicator_t *rate = ind("urban_surveyed_unemployment_rate");
    /* Raw is the plan value times 1/100, the same double every caller
     * gets. */
    cr_expect_eq(units_raw(rate, 5.5), 5.5 * (1.0 / 100));
    cr_expect_float_eq(units_raw(rate, 5.5), 0.055, 1e-15);
    cr_expect_float_eq(units_display(rate, 0.0479), 4.79, 1e-12);
    cr_expect_eq(units_decimals(rate), 1);
}
