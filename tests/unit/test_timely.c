/* test_timely.c: the summaries of a month's completeness (admin/timely):
 * cells expected, reported, on time, late per city and province, and
 * the rates, exactly, for a city with a county that reported nothing.
 *
 * INVARIANTS
 *   1. Every expectation is an exact number.
 */
#include <criterion/criterion.h>

#include "common/period.h"

#include "admin/timely.h"

#ifndef HRSS_TEST_CATALOG_DIR
#error "HRSS_TEST_CATALOG_DIR must name the shipped catalog directory"
#endif

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

/* 杭州市 (14 regions, 19 indicators due): the city reported all 19 a day
 * late, 12 counties all 19 on time, 拱墅区 330105 nothing. */
static void add_hangzhou(timely_t *t)
{
    int hz = catalog_region_find(cat, 330100);
    const region_t *city = catalog_region(cat, (size_t)hz);
    timely_add(t, 330100, 19, 0, 0, 19);
    for (size_t i = 0; i < city->n_children; i++) {
        uint32_t code = catalog_region(cat, (size_t)city->children[i])->code;
        /* A month of 2025: the map after 2021-04 (completeness lists
         * only the regions valid in the month). */
        if (!catalog_region_valid(cat, city->children[i],
                                  month_make(2025, 6))) {
            continue;
        }
        if (code == 330105) {
            timely_add(t, code, 19, 19, 0, 0);
        } else {
            timely_add(t, code, 19, 0, 19, 0);
        }
    }
}

Test(timely, a_city_with_a_missing_county, .init = load, .fini = unload)
{
    timely_t *t = timely_new(cat, 330100);
    cr_assert_not_null(t);
    add_hangzhou(t);
    cr_assert_eq(timely_count(t), 1); /* counties have no children */
    const timely_sum_t *s = timely_sum(t, 0);
    cr_expect_eq(s->region, 330100);
    cr_expect_eq(s->regions, 14);
    cr_expect_eq(s->expected, 266);
    cr_expect_eq(s->reported, 247);
    cr_expect_eq(s->on_time, 228);
    cr_expect_eq(s->late, 19);
    /* 247/266 = 13/14, 228/266 = 12/14 exactly as doubles divide. */
    cr_expect_eq(timely_rate(s->reported, s->expected), 247.0 / 266.0);
    cr_expect_eq(timely_rate(s->on_time, s->expected), 228.0 / 266.0);
    cr_expect_eq((int)(timely_rate(s->reported, s->expected) * 1000 + 0.5),
                 929);
    cr_expect_eq((int)(timely_rate(s->on_time, s->expected) * 1000 + 0.5),
                 857);
    timely_destroy(&t);
    cr_expect_null(t);
}

Test(timely, province_sums_cities, .init = load, .fini = unload)
{
    timely_t *t = timely_new(cat, 330000);
    cr_assert_eq(timely_count(t), 12); /* the province and 11 cities */
    add_hangzhou(t);
    timely_add(t, 330000, 19, 19, 0, 0); /* the province: nothing */
    timely_add(t, 330203, 19, 1, 18, 0); /* 海曙区 (宁波市) */
    timely_add(t, 110000, 19, 0, 19, 0); /* not in the catalog: ignored */
    const timely_sum_t *p = timely_sum(t, 0);
    cr_expect_eq(p->regions, 16);
    cr_expect_eq(p->expected, 304);
    cr_expect_eq(p->reported, 265);
    cr_expect_eq(p->on_time, 246);
    const timely_sum_t *hz = timely_sum(t, 1);
    cr_expect_eq(hz->region, 330100);
    cr_expect_eq(hz->expected, 266);
    cr_expect_eq(hz->reported, 247);
    const timely_sum_t *nb = timely_sum(t, 2);
    cr_expect_eq(nb->region, 330200);
    cr_expect_eq(nb->expected, 19);
    cr_expect_eq(nb->reported, 18);
    cr_expect_eq(nb->on_time, 18);
    cr_expect_eq(timely_sum(t, 3)->expected, 0);
    cr_expect_eq(timely_rate(0, 0), 0.0);
    timely_destroy(&t);
}

/* Whatever a collector sends, rates stay within 0..1. */
Test(timely, rates_never_exceed_one, .init = load, .fini = unload)
{
    timely_t *t = timely_new(cat, 330102);
    timely_add(t, 330102, 2, 0, 5, 7);
    const timely_sum_t *s = timely_sum(t, 0);
    cr_expect_eq(s->reported, 2);
    cr_expect_eq(s->on_time, 2);
    cr_expect_eq(s->late, 0);
    cr_expect_eq(timely_rate(s->on_time, s->expected), 1.0);
    cr_expect_eq(timely_rate(9, 3), 1.0);
    cr_expect_null(timely_new(cat, 999999));
    timely_destroy(&t);
}
