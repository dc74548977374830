/* test_ctl_targets.c: issue 11 through the real hrssctl and collector:
 * progress --region measures a region against its own targets (catalog
 * targets.csv, tests/fixtures/targets/targets.csv appended to the shipped
 * one) or says it has none; a count nobody reported prints "-" and JSON
 * null, a reported zero 0; a bad targets.csv stops hrssctl naming file,
 * line and field.
 *
 * The figures (persons): 杭州市's counties report urban_new_jobs
 * 400,000 + 200,000 by 2023-06 (its milestone 〔70〕万 through 2023:
 * 583,333 due), pension_insured 3,000,000 + 2,911,100 = 591.11万 in
 * 2023-06 (its own target 620, not the province's 4,500), skilled_talent
 * 100,000 (no target of its own; 宁波市 400,000: 20% of the province).
 *
 * INVARIANTS
 *   1. Everything a test writes is under hx_dir; every collector it
 *      starts is stopped.
 *   2. --connect and --data-dir give the same bytes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/period.h"
#include "harness.h"

TestSuite(ctl_targets, .init = hx_setup, .fini = hx_teardown,
          .timeout = 120);

typedef struct env {
    char cat[300];
    char db[300];
    hx_coll_t coll;
} env_t;

static update_t cnt(uint64_t seq, const char *ind, uint32_t region,
                    uint32_t yyyymm, int64_t v)
{
    update_t u = {seq, ind, region, yyyymm, {0, v, 0}};
    return u;
}

/* The shipped catalog in @p dir; targets.csv the shipped one with the
 * fixture's rows after it when @p city_targets. */
static void write_catalog(const char *dir, int city_targets)
{
    char cmd[2048];
    cr_assert_eq(mkdir(dir, 0700), 0);
    snprintf(cmd, sizeof cmd,
             "cp %s/indicators.csv %s/regions.csv %s/plan.csv %s/",
             HRSS_TEST_CATALOG_DIR, HRSS_TEST_CATALOG_DIR,
             HRSS_TEST_CATALOG_DIR, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    if (city_targets) {
        snprintf(cmd, sizeof cmd,
                 "cat %s/targets.csv > %s/targets.csv && "
                 "tail -n +2 %s/targets/targets.csv >> %s/targets.csv",
                 HRSS_TEST_CATALOG_DIR, dir, HRSS_TEST_FIXTURES_DIR, dir);
        cr_assert_eq(system(cmd), 0, "%s", cmd);
    }
}

static void env_start(env_t *e, int city_targets)
{
    snprintf(e->cat, sizeof e->cat, "%s/cat", hx_dir);
    snprintf(e->db, sizeof e->db, "%s/db", hx_dir);
    write_catalog(e->cat, city_targets);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    char err[ERR_LEN];
    cr_assert_eq(catalog_load_dir(&cat, e->cat, err), ERR_OK, "%s", err);
    store_opts_t o = {.readonly = 0};
    cr_assert_eq(store_open(&s, e->db, cat, &o, err), ERR_OK, "%s", err);
    update_t u[] = {
        cnt(1, "urban_new_jobs", 330102, 202301, 400000),
        cnt(2, "urban_new_jobs", 330105, 202302, 200000),
        cnt(3, "pension_insured", 330102, 202306, 3000000),
        cnt(4, "pension_insured", 330105, 202306, 2911100),
        cnt(5, "pension_insured", 330200, 202306, 40000000),
        cnt(6, "skilled_talent", 330102, 202306, 100000),
        cnt(7, "skilled_talent", 330200, 202306, 400000),
        cnt(8, "urban_new_jobs", 330106, 202301, 0), /* a reported zero */
    };
    store_batch_t b = {"test-agent", -1, 1764000000, month_make(2026, 11),
                       u, sizeof u / sizeof u[0], NULL};
    store_result_t r;
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_assert_eq(r.rejected, 0);
    store_result_fini(&r);
    store_close(&s);
    catalog_destroy(&cat);
    char log[300];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    const char *argv[] = {"hrss-collector", "--data-dir", e->db,
                          "--catalog", e->cat, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--insecure", NULL};
    hx_collector_exec(&e->coll, e->db, log, argv);
}

/* hrssctl over --connect (mode 0) or --data-dir with the test's catalog
 * (mode 1); args NULL-terminated. */
#define ctl(e, mode, out, len, ...)                                         \
    hx_ctl((e)->coll.query, (e)->db, (e)->cat, mode, out, len, __VA_ARGS__)

#define BOTH(e, out, ...)                                                   \
    HX_CTL_BOTH((e)->coll.query, (e)->db, (e)->cat, out, __VA_ARGS__)

/* The line of @p out that holds @p name; it must hold each of the
 * NULL-terminated words after it, in order. */
static void expect_line(const char *out, const char *name, ...)
{
    const char *l = strstr(out, name);
    cr_assert_not_null(l, "no %s in %s", name, out);
    const char *end = strchr(l, '\n');
    cr_assert_not_null(end);
    va_list ap;
    va_start(ap, name);
    const char *w;
    const char *at = l;
    while ((w = va_arg(ap, const char *)) != NULL) {
        const char *p = strstr(at, w);
        cr_expect(p != NULL && p < end, "%s: no '%s' in: %.*s", name, w,
                  (int)(end - l), l);
        at = p != NULL ? p + strlen(w) : at;
    }
    va_end(ap);
}

Test(ctl_targets, a_city_is_measured_against_its_own_targets)
{
    env_t e;
    env_start(&e, 1);
    static char out[65536];
    BOTH(&e, out, "progress", "--region", "330100", "--period", "2023-06");
    expect_line(out, "基本养老保险参保人数", " 620 ", " 2025 ", "591.11",
                "95.3%", "12.9%", "behind", NULL);
    expect_line(out, "城镇新增就业人数", "〔70〕", " 2023 ", "60.00",
                "85.7%", "on track", NULL);
    expect_line(out, "技能人才总量", "10.00", "20.0%", "no target", NULL);
    /* Never the province's target or baseline. */
    cr_expect(strstr(out, "4,500") == NULL, "%s", out);
    cr_expect(strstr(out, "4,355") == NULL, "%s", out);
    cr_expect(strstr(out, "targets: 杭州市's own (targets.csv)") != NULL,
              "%s", out);

    BOTH(&e, out, "progress", "--region", "330100", "--period", "2023-06",
         "--json");
    cr_expect(strstr(out, "\"targets\": \"partial\"") != NULL, "%s", out);
    const char *pen = strstr(out, "\"indicator\": \"pension_insured\"");
    cr_assert_not_null(pen, "%s", out);
    cr_expect(strstr(pen, "\"baseline\": null, \"target\": 6200000, ") ==
                  strstr(pen, "\"baseline\""),
              "%s", pen);
    cr_expect(strstr(pen, "\"target_source\": \"own\", \"target_region\": "
                          "\"330100\", \"target_year\": 2025, "
                          "\"province_value\": 45911100, ") != NULL,
              "%s", pen);
    const char *sk = strstr(out, "\"indicator\": \"skilled_talent\"");
    cr_assert_not_null(sk, "%s", out);
    cr_expect(strstr(sk, "\"target\": null, ") != NULL, "%s", sk);
    cr_expect(strstr(sk, "\"target_source\": \"none\", \"target_region\": "
                          "null, \"target_year\": null, \"province_value\": "
                          "500000, \"share_of_province\": 0.2}") != NULL,
              "%s", sk);

    /* A city without targets: values and shares, "no target for". */
    BOTH(&e, out, "progress", "--region", "330200", "--period", "2023-06");
    cr_expect(strstr(out, "no target for 宁波市 330200: the plan's targets "
                          "are 浙江省's") != NULL,
              "%s", out);
    expect_line(out, "基本养老保险参保人数", "4,000.00", "87.1%",
                "no target", NULL);
    cr_expect(strstr(out, "behind") == NULL, "%s", out);

    /* The province: as before targets were per region. */
    BOTH(&e, out, "progress", "--period", "2023-06");
    cr_expect(strstr(out, "  2020 基期  2025 目标  现值 value  完成 share  "
                          "进度 status  regions\n") != NULL,
              "%s", out);
    expect_line(out, "基本养老保险参保人数", "4,355", "4,500", "4,591.11",
                NULL);
    cr_expect(strstr(out, "占全省") == NULL, "%s", out);
    cr_expect_eq(hx_collector_stop(&e.coll, 10000), 0);
}

/* A collector whose catalog has no targets.csv (as before it existed):
 * the province's come from indicators.csv; a city has none. */
Test(ctl_targets, a_catalog_without_targets_csv)
{
    env_t e;
    env_start(&e, 0);
    static char out[65536];
    BOTH(&e, out, "progress", "--period", "2023-06", "--json");
    cr_expect(strstr(out, "\"target\": 45000000, ") != NULL, "%s", out);
    BOTH(&e, out, "progress", "--region", "330100", "--period", "2023-06",
         "--json");
    cr_expect(strstr(out, "\"targets\": \"none\"") != NULL, "%s", out);
    cr_expect_eq(hx_collector_stop(&e.coll, 10000), 0);
}

Test(ctl_targets, no_report_is_not_zero)
{
    env_t e;
    env_start(&e, 1);
    static char out[65536];
    /* Nobody reported in 2022. */
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2022");
    cr_expect(strstr(out, "value:     - (no report)\n") != NULL, "%s", out);
    cr_expect(strstr(out, "0 人") == NULL, "%s", out);
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2022", "--json");
    cr_expect_str_eq(out, "{\"indicator\": \"urban_new_jobs\", \"region\": "
                          "\"330000\", \"period\": \"2022\", \"kind\": "
                          "\"count\", \"value\": null, "
                          "\"reporting_regions\": 0, \"expected_regions\": "
                          "102, \"approved_regions\": 0}\n");
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2022", "--csv");
    cr_expect(strstr(out, "\nurban_new_jobs,330000,2022,count,,,,0,102,0\n") !=
                  NULL,
              "%s", out);
    /* A ratio's terms too. */
    BOTH(&e, out, "total", "dispute_mediation_success_rate", "--period",
         "2022", "--json");
    cr_expect(strstr(out, "\"value\": null, \"numerator\": null, "
                          "\"denominator\": null, \"reporting_regions\": 0") !=
                  NULL,
              "%s", out);
    /* A reported zero is 0: 西湖区 (330106) in 2023-01. */
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2023-01",
         "--region", "330106", "--json");
    cr_expect(strstr(out, "\"value\": 0, \"reporting_regions\": 1") != NULL,
              "%s", out);
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2023-01",
         "--region", "330106");
    cr_expect(strstr(out, "value:     0 人") != NULL, "%s", out);
    /* breakdown: 330106 reported 0, 330108 nothing. */
    BOTH(&e, out, "breakdown", "urban_new_jobs", "--period", "2023-01",
         "--region", "330100", "--json");
    cr_expect(strstr(out, "\"region\": \"330106\", \"period\": \"2023-01\", "
                          "\"kind\": \"count\", \"value\": 0,") != NULL,
              "%s", out);
    cr_expect(strstr(out, "\"region\": \"330108\", \"period\": \"2023-01\", "
                          "\"kind\": \"count\", \"value\": null,") != NULL,
              "%s", out);
    BOTH(&e, out, "breakdown", "urban_new_jobs", "--period", "2023-01",
         "--region", "330100");
    expect_line(out, "西湖区", " 0 ", NULL);
    expect_line(out, "滨江区", " - ", NULL);
    /* series: months without a report. */
    BOTH(&e, out, "series", "urban_new_jobs", "--from", "2023-01", "--to",
         "2023-03", "--json");
    cr_expect(strstr(out, "\"period\": \"2023-03\", \"kind\": \"count\", "
                          "\"value\": null,") != NULL,
              "%s", out);
    cr_expect(strstr(out, "\"period\": \"2023-01\", \"kind\": \"count\", "
                          "\"value\": 400000,") != NULL,
              "%s", out);
    BOTH(&e, out, "series", "urban_new_jobs", "--from", "2023-01", "--to",
         "2023-03");
    expect_line(out, "2023-03", " - ", NULL);
    /* progress: no report in the period. */
    BOTH(&e, out, "progress", "--period", "2022", "--json");
    const char *pen = strstr(out, "\"indicator\": \"pension_insured\"");
    cr_assert_not_null(pen);
    cr_expect(strstr(pen, "\"value\": null, \"share\": null") != NULL, "%s",
              pen);
    cr_expect_eq(hx_collector_stop(&e.coll, 10000), 0);
}

Test(ctl_targets, a_bad_targets_file_is_named)
{
    char cat[300];
    char db[300];
    static char out[65536];
    snprintf(cat, sizeof cat, "%s/cat", hx_dir);
    snprintf(db, sizeof db, "%s/db", hx_dir);
    write_catalog(cat, 0);
    catalog_t *c = NULL;
    store_t *s = NULL;
    char err[ERR_LEN];
    cr_assert_eq(catalog_load_dir(&c, cat, err), ERR_OK, "%s", err);
    store_opts_t o = {.readonly = 0};
    cr_assert_eq(store_open(&s, db, c, &o, err), ERR_OK, "%s", err);
    store_close(&s);
    catalog_destroy(&c);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp %s/targets/duplicate.csv %s/targets.csv",
             HRSS_TEST_FIXTURES_DIR, cat);
    cr_assert_eq(system(cmd), 0);
    const char *argv[] = {"hrssctl", "--data-dir", db, "--catalog", cat,
                          "progress", NULL};
    cr_expect_neq(hx_run(argv, 60000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "/cat/targets.csv:4: duplicate target for "
                          "(pension_insured, 330100, 2025) (first on line "
                          "2)") != NULL,
              "%s", out);
}
