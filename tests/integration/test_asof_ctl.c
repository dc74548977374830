/* test_asof_ctl.c: hrssctl --as-of and diff against a real collector
 * (--connect) and its store (--data-dir): the same bytes both ways, the
 * figures as they stood at each moment, and clear refusals. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/period.h"
#include "store/store.h"
#include "tests/integration/harness.h"

TestSuite(asof_ctl, .init = hx_setup, .fini = hx_teardown, .timeout = 120);

/* 2025-11-25 00:00 +08:00, and three days later. */
#define T1 1764000000LL
#define T2 (T1 + 3 * 86400)

typedef struct env {
    char db[300];
    hx_coll_t coll;
} env_t;

static void apply_at(store_t *s, int64_t at, const update_t *u, size_t n)
{
    store_batch_t b = {"test-agent", -1, at, month_make(2026, 11), u, n,
                       NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_assert_eq(r.applied, n);
    store_result_fini(&r);
}

static void env_start(env_t *e)
{
    snprintf(e->db, sizeof e->db, "%s/db", hx_dir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(e->db, 1, &cat, &s);
    update_t first[] = {
        {1, "urban_new_jobs", 330102, 202501, {0, 100, 0}},
        {2, "urban_new_jobs", 330105, 202501, {0, 50, 0}},
        {3, "pension_insured", 330102, 202501, {0, 100, 0}},
    };
    update_t later[] = {
        {4, "urban_new_jobs", 330102, 202501, {0, 130, 0}}, /* revised */
        {5, "urban_new_jobs", 330203, 202501, {0, 7, 0}},   /* new */
    };
    apply_at(s, T1, first, 3);
    apply_at(s, T2, later, 2);
    store_close(&s);
    catalog_destroy(&cat);
    char log[300];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_collector_start(&e->coll, e->db, log);
}

#define BOTH(e, out, ...)                                                   \
    HX_CTL_BOTH((e)->coll.query, (e)->db, NULL, out, __VA_ARGS__)

Test(asof_ctl, totals_as_they_stood)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    /* The end of 2025-11-26 in the plan's zone: before the revision. */
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2025-01",
         "--as-of", "2025-11-26", "--json");
    cr_expect(strstr(out, "hrssctl: as of 2025-11-26 23:59:59 UTC+8 (unix "
                          "1764172799): the store as it stood then\n") !=
                  NULL, "%s", out);
    cr_expect(strstr(out, "\"value\": 150, \"reporting_regions\": 2, ") !=
                  NULL, "%s", out);
    /* ISO 8601 with an offset, at the first batch's second exactly. */
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2025-01",
         "--as-of", "2025-11-24T16:00:00Z", "--json");
    cr_expect(strstr(out, "\"value\": 150, ") != NULL, "%s", out);
    /* One second earlier: nothing yet. */
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2025-01",
         "--as-of", "1763999999", "--json");
    cr_expect(strstr(out, "\"value\": null, \"reporting_regions\": 0, ") !=
                  NULL, "%s", out);
    /* Now. */
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2025-01",
         "--json");
    cr_expect(strstr(out, "\"value\": 187, \"reporting_regions\": 3, ") !=
                  NULL, "%s", out);
    /* A table says it is an as-of answer on its first line. */
    BOTH(&e, out, "breakdown", "urban_new_jobs", "--period", "2025-01",
         "--region", "330100", "--as-of", "2025-11-26T12:00:00+08:00");
    cr_expect(strncmp(out, "as of 2025-11-26 12:00:00 UTC+8: the store as "
                           "it stood then\n", 56) == 0, "%s", out);
    BOTH(&e, out, "series", "urban_new_jobs", "--from", "2025-01", "--to",
         "2025-03", "--as-of", "2025-11-26", "--csv");
    cr_expect(strstr(out, "urban_new_jobs,330000,2025-01,count,150,,,2,102")
                  != NULL, "%s", out);
    cr_expect_eq(hx_collector_stop(&e.coll, 10000), 0);
}

Test(asof_ctl, export_and_completeness_as_they_stood)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    BOTH(&e, out, "export", "--format", "csv", "--as-of", "2025-11-26");
    cr_expect(strstr(out, "urban_new_jobs,2025-01,100,,,330102\n") != NULL,
              "%s", out);
    cr_expect(strstr(out, "330203") == NULL, "%s", out);
    BOTH(&e, out, "export", "--format", "csv");
    cr_expect(strstr(out, "urban_new_jobs,2025-01,130,,,330102\n") != NULL,
              "%s", out);
    cr_expect(strstr(out, "330203") != NULL, "%s", out);
    BOTH(&e, out, "completeness", "--period", "2025-01", "--region",
         "330200", "--as-of", "2025-11-26", "--json");
    cr_expect(strstr(out, "\"reported_cells\": 0, ") != NULL, "%s", out);
    BOTH(&e, out, "completeness", "--period", "2025-01", "--region",
         "330200", "--json");
    cr_expect(strstr(out, "\"reported_cells\": 1, \"on_time_cells\": 0, "
                          "\"late_cells\": 1, ") != NULL,
              "%s", out);
    cr_expect_eq(hx_collector_stop(&e.coll, 10000), 0);
}

Test(asof_ctl, diff_preliminary_against_revised)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    char to[32];
    snprintf(to, sizeof to, "%lld", (long long)T2);
    BOTH(&e, out, "diff", "--from", "2025-11-26", "--to", to, "--csv");
    cr_expect_str_eq(out,
        "row,indicator,指标,region,地区,month,kind,before,after,"
        "reporting_before,expected,reporting_after,expected_after\n"
        "cell,urban_new_jobs,城镇新增就业人数,330102,上城区,2025-01,count,"
        "100,130,,,,\n"
        "cell,urban_new_jobs,城镇新增就业人数,330203,海曙区,2025-01,count,"
        ",7,,,,\n"
        "total,urban_new_jobs,城镇新增就业人数,330000,浙江省,2025-01,count,"
        "150,187,2,102,3,102\n");
    /* A region narrows it; nothing changed before T1. */
    BOTH(&e, out, "diff", "urban_new_jobs", "--from", "2025-11-26", "--to",
         to, "--region", "330100", "--json");
    cr_expect(strstr(out, "330203") == NULL, "%s", out);
    cr_expect(strstr(out, "\"before\": 100, \"after\": 130") != NULL, "%s",
              out);
    BOTH(&e, out, "diff", "--from", "1763000000", "--to", "1763500000");
    cr_expect(strstr(out, ": 0 figures changed\n") != NULL, "%s", out);
    cr_expect_eq(hx_collector_stop(&e.coll, 10000), 0);
}

Test(asof_ctl, bad_times_are_refused_clearly)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    int st = hx_ctl(e.coll.query, e.db, NULL, 0, out, sizeof out, "total",
                    "urban_new_jobs", "--period", "2025", "--as-of",
                    "2025-11-26T10:00", NULL);
    cr_expect_eq(st, 64);
    cr_expect_str_eq(out, "hrssctl: --as-of: '2025-11-26T10:00' has a time "
                          "of day but no offset (add Z or +08:00)\n");
    st = hx_ctl(e.coll.query, e.db, NULL, 1, out, sizeof out, "total",
                "urban_new_jobs", "--period", "2025", "--as-of",
                "2999-01-01", NULL);
    cr_expect_eq(st, 64);
    cr_expect(strstr(out, "--as-of: '2999-01-01' is in the future") != NULL,
              "%s", out);
    st = hx_ctl(e.coll.query, e.db, NULL, 0, out, sizeof out, "history",
                "urban_new_jobs", "--region", "330102", "--period",
                "2025-01", "--as-of", "2025-11-26", NULL);
    cr_expect_eq(st, 64);
    cr_expect(strstr(out, "history does not take --as-of") != NULL, "%s",
              out);
    st = hx_ctl(e.coll.query, e.db, NULL, 0, out, sizeof out, "diff",
                "--from", "yesterday", "--to", "2025-11-26", NULL);
    cr_expect_eq(st, 64);
    cr_expect(strstr(out, "--from: 'yesterday' is not ISO 8601") != NULL,
              "%s", out);
    cr_expect_eq(hx_collector_stop(&e.coll, 10000), 0);
}
