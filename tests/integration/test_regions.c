/* test_regions.c: the map change of April 2021 through the real collector
 * and hrssctl (issue 14): completeness of a month expects the districts
 * of that month's map, a figure for a district outside its months is
 * rejected (and listed so), and Hangzhou's 2021 totals cover both maps.
 * Both ways: --connect (the collector sends its catalog, region changes
 * included) and --data-dir. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/period.h"
#include "harness.h"

TestSuite(regions_ctl, .init = hx_setup, .fini = hx_teardown,
          .timeout = 120);

typedef struct env {
    char db[300];
    char query[64];
    hx_coll_t coll;
} env_t;

static update_t cnt(uint64_t seq, const char *ind, uint32_t region,
                    uint32_t yyyymm, int64_t v)
{
    update_t u = {seq, ind, region, yyyymm, {0, v, 0}};
    return u;
}

static void env_start(env_t *e)
{
    snprintf(e->db, sizeof e->db, "%s/db", hx_dir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(e->db, 1, &cat, &s);
    update_t u[] = {
        cnt(1, "urban_new_jobs", 330103, 202101, 100),
        cnt(2, "urban_new_jobs", 330104, 202101, 10),
        cnt(3, "urban_new_jobs", 330113, 202102, 7), /* not yet: refused */
        cnt(4, "urban_new_jobs", 330113, 202104, 1000),
        cnt(5, "urban_new_jobs", 330114, 202104, 1),
        cnt(6, "pension_insured", 330103, 202103, 700),
        cnt(7, "pension_insured", 330113, 202112, 50),
    };
    store_batch_t b = {"test-agent", -1, 1764000000, month_make(2026, 11),
                       u, sizeof u / sizeof u[0], NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_assert_eq(r.rejected, 1);
    cr_assert_eq(r.rejections[0].reason, UPDATE_REGION_NOT_VALID);
    store_result_fini(&r);
    store_close(&s);
    catalog_destroy(&cat);
    char log[300];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_collector_start(&e->coll, e->db, log);
    snprintf(e->query, sizeof e->query, "%s", e->coll.query);
}

#define BOTH(e, out, ...)                                                   \
    HX_CTL_BOTH((e)->query, (e)->db, NULL, out, __VA_ARGS__)

/* The line of region @p code in a completeness table, or NULL. */
static const char *row_of(const char *out, const char *code)
{
    char key[16];
    snprintf(key, sizeof key, "\n%s  ", code);
    return strstr(out, key);
}

Test(regions_ctl, completeness_of_a_month_expects_that_months_map)
{
    env_t e;
    env_start(&e);
    static char out[262144];
    BOTH(&e, out, "completeness", "--period", "2021-01", "--region",
         "330100");
    cr_expect(strstr(out, "2021-01: 0 of 14 regions reported every "
                          "indicator, 12 reported nothing\n") == out,
              "%s", out);
    cr_expect_not_null(row_of(out, "330103"), "%s", out);
    cr_expect_not_null(row_of(out, "330104"), "%s", out);
    cr_expect_null(row_of(out, "330113"), "%s", out);
    cr_expect_null(row_of(out, "330114"), "%s", out);
    BOTH(&e, out, "completeness", "--period", "2021-04", "--region",
         "330100");
    cr_expect(strstr(out, "2021-04: 0 of 14 regions reported every "
                          "indicator, 12 reported nothing\n") == out,
              "%s", out);
    cr_expect_null(row_of(out, "330103"), "%s", out);
    cr_expect_null(row_of(out, "330104"), "%s", out);
    cr_expect_not_null(row_of(out, "330113"), "%s", out);
    cr_expect_not_null(row_of(out, "330114"), "%s", out);
}

Test(regions_ctl, totals_cover_both_maps_and_the_rejection_is_listed)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2021", "--region",
         "330100", "--json");
    cr_expect_str_eq(out, "{\"indicator\": \"urban_new_jobs\", \"region\": "
                          "\"330100\", \"period\": \"2021\", \"kind\": "
                          "\"count\", \"value\": 1111, "
                          "\"reporting_regions\": 4, \"expected_regions\": "
                          "16, \"approved_regions\": 0}\n");
    /* The year-end stock: 下城区 is gone by December. */
    BOTH(&e, out, "total", "pension_insured", "--period", "2021",
         "--region", "330100", "--json");
    cr_expect_str_eq(out, "{\"indicator\": \"pension_insured\", \"region\": "
                          "\"330100\", \"period\": \"2021\", \"kind\": "
                          "\"count\", \"value\": 50, "
                          "\"reporting_regions\": 1, \"expected_regions\": "
                          "14, \"approved_regions\": 0}\n");
    /* 下城区 answers for its months. */
    BOTH(&e, out, "total", "pension_insured", "--period", "2021",
         "--region", "330103", "--json");
    cr_expect(strstr(out, "\"value\": 700, \"reporting_regions\": 1, "
                          "\"expected_regions\": 1") != NULL,
              "%s", out);
    BOTH(&e, out, "rejections");
    cr_expect(strstr(out, "region_not_valid") != NULL, "%s", out);
    cr_expect(strstr(out, "330113 临平区 is valid from 2021-04") != NULL,
              "%s", out);
}
