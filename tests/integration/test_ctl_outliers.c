/* test_ctl_outliers.c: `hrssctl outliers` against a collector (--connect)
 * and against the store itself (--data-dir): the same answer both ways,
 * with the reasons and statistics computed here from the figures the test
 * stored (store/outlier.h has the rule; test_outlier the unit cases). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/period.h"
#include "harness.h"

TestSuite(ctl_outliers, .init = hx_setup, .fini = hx_teardown,
          .timeout = 120);

typedef struct env {
    char db[300];
    char query[64];
    hx_coll_t coll;
} env_t;

/* Five years of 上城区's new jobs: ordinary months 100..104, a December
 * spike every year (1000 + 10 a year), June 2025 ten times its usual 100. */
static void env_start(env_t *e)
{
    snprintf(e->db, sizeof e->db, "%s/db", hx_dir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(e->db, 1, &cat, &s);
    update_t u[60];
    size_t n = 0;
    for (int y = 2021; y <= 2025; y++) {
        for (int mi = 0; mi < 12; mi++) {
            int64_t v = mi == 11 ? 1000 + 10 * (y - 2021)
                                 : 100 + (mi + y) % 5;
            if (y == 2025 && mi == 5) {
                v *= 10;
            }
            update_t one = {n + 1, "urban_new_jobs", 330102,
                            (uint32_t)(y * 100 + mi + 1), {0, v, 0}};
            u[n++] = one;
        }
    }
    store_batch_t b = {"test-agent", -1, 1764000000, month_make(2026, 11),
                       u, n, NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_assert_eq(r.applied, 60);
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

Test(ctl_outliers, json_csv_and_table_both_ways)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    /* 2025: only the tenfold June; the fifth December is not there. */
    BOTH(&e, out, "outliers", "--period", "2025", "--json");
    cr_expect_str_eq(
        out,
        "[\n  {\"indicator\": \"urban_new_jobs\", \"region\": \"330102\", "
        "\"period\": \"2025-06\", \"value\": 1000, \"reasons\": "
        "[\"same_month\", \"last_12\"], \"same_month_points\": 4, "
        "\"same_month_median\": 102.5, \"same_month_mad\": 1, "
        "\"same_month_z\": 605.36375, \"last_12_points\": 12, "
        "\"last_12_median\": 102.5, \"last_12_mad\": 1.5, "
        "\"last_12_z\": 403.5758333, \"range_min\": null, "
                         "\"range_max\": null}\n]\n");
    /* Over the five years: the first three Decembers too, judged by the
     * last 12 months alone (fewer than 3 earlier Decembers). */
    BOTH(&e, out, "outliers", "--period", "2021..2025", "--csv");
    cr_expect_str_eq(
        out,
        "indicator,indicator_name,region,region_name,period,value,reasons,"
        "same_month_points,same_month_median,same_month_mad,same_month_z,"
        "last_12_points,last_12_median,last_12_mad,last_12_z,range_min,"
                         "range_max\n"
        "urban_new_jobs,城镇新增就业人数,330102,上城区,2021-12,1000,last_12,"
        "0,,,,11,102,1,605.701,,\n"
        "urban_new_jobs,城镇新增就业人数,330102,上城区,2022-12,1010,last_12,"
        "1,,,,12,102,1,612.446,,\n"
        "urban_new_jobs,城镇新增就业人数,330102,上城区,2023-12,1020,last_12,"
        "2,,,,12,102.5,1.5,412.5691667,,\n"
        "urban_new_jobs,城镇新增就业人数,330102,上城区,2025-06,1000,"
        "same_month last_12,4,102.5,1,605.36375,12,102.5,1.5,403.5758333,,\n");
    BOTH(&e, out, "outliers", "--period", "2025-06", "--wide");
    cr_expect(strstr(out, "城镇新增就业人数") != NULL, "%s", out);
    cr_expect(strstr(out, "上城区 330102") != NULL, "%s", out);
    cr_expect(strstr(out, "605.364") != NULL, "%s", out);
    /* Another region, another month: nothing, said so. */
    BOTH(&e, out, "outliers", "--period", "2025", "--region", "330200");
    cr_expect(strstr(out, "no stored figure of the period is an outlier") !=
                  NULL, "%s", out);
    BOTH(&e, out, "outliers", "--period", "2024-12", "--json");
    cr_expect_str_eq(out, "[\n]\n");
    cr_expect_eq(hx_collector_stop(&e.coll, 10000), 0);
}

Test(ctl_outliers, a_period_is_required)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    cr_expect_eq(hx_ctl(e.query, e.db, NULL, 1, out, sizeof out, "outliers",
                        NULL),
                 64, "%s", out);
    cr_expect(strstr(out, "--period is required") != NULL, "%s", out);
    cr_expect_eq(hx_ctl(e.query, e.db, NULL, 0, out, sizeof out, "outliers",
                        "--period", "2025-13", NULL),
                 1, "%s", out);
    cr_expect(strstr(out, "bad period '2025-13'") != NULL, "%s", out);
    cr_expect_eq(hx_collector_stop(&e.coll, 10000), 0);
}
