/* test_ctl.c: hrssctl against a collector (--connect) and against the store
 * itself (--data-dir): the same answers, checked against numbers computed
 * here from the figures the test stored; raw units in every command's
 * CSV and JSON; the command line held to the command table; and progress
 * on a store built for another plan's catalog (--catalog). */
#include <criterion/criterion.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin/table.h"
#include "common/period.h"
#include "harness.h"

TestSuite(ctl, .init = hx_setup, .fini = hx_teardown, .timeout = 120);

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

static update_t rat(uint64_t seq, const char *ind, uint32_t region,
                          uint32_t yyyymm, int64_t n, int64_t d)
{
    update_t u = {seq, ind, region, yyyymm, {1, n, d}};
    return u;
}

/* The figures every test reads. */
static void env_start(env_t *e)
{
    snprintf(e->db, sizeof e->db, "%s/db", hx_dir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(e->db, 1, &cat, &s);
    update_t u[] = {
        cnt(1, "urban_new_jobs", 330102, 202501, 100),
        cnt(2, "urban_new_jobs", 330102, 202502, 200),
        cnt(3, "urban_new_jobs", 330105, 202501, 50),
        cnt(4, "urban_new_jobs", 330100, 202501, 1000),
        cnt(5, "urban_new_jobs", 330203, 202503, 7),
        rat(6, "dispute_mediation_success_rate", 330102, 202501, 1, 10),
        rat(7, "dispute_mediation_success_rate", 330105, 202501, 90, 100),
        rat(8, "dispute_mediation_success_rate", 330203, 202501, 5, 10),
        cnt(9, "pension_insured", 330102, 202501, 100),
        cnt(10, "pension_insured", 330102, 202503, 120),
        cnt(11, "pension_insured", 330105, 202502, 50),
        cnt(12, "pension_insured", 330200, 202412, 70),
        cnt(13, "professional_technical_talent", 330105, 202506, 10),
        cnt(14, "senior_title_talent", 330105, 202506, 12),
        cnt(15, "urban_new_jobs", 330102, 202501, 130), /* a revision */
        cnt(16, "urban_new_jobs", 330102, 203001, 1),   /* rejected */
    };
    store_batch_t b = {"test-agent", -1, 1764000000, month_make(2026, 11),
                       u, sizeof u / sizeof u[0], NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_assert_eq(r.rejected, 1);
    store_result_fini(&r);
    store_close(&s);
    catalog_destroy(&cat);
    char log[300];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_collector_start(&e->coll, e->db, log);
    snprintf(e->query, sizeof e->query, "%s", e->coll.query);
}

/* hrssctl in mode 0 (--connect) or 1 (--data-dir); args NULL-terminated. */
#define ctl(e, mode, out, len, ...)                                         \
    hx_ctl((e)->query, (e)->db, NULL, mode, out, len, __VA_ARGS__)

#define BOTH(e, out, ...)                                                   \
    HX_CTL_BOTH((e)->query, (e)->db, NULL, out, __VA_ARGS__)

Test(ctl, total_json_counts_ratios_stocks_partial)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    /* 330100 Q1: own 1000 + 上城区 (130 revised + 200) + 拱墅区 50 */
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2025-Q1",
         "--region", "330100", "--json");
    cr_expect_str_eq(out, "{\"indicator\": \"urban_new_jobs\", \"region\": "
                          "\"330100\", \"period\": \"2025-Q1\", \"kind\": "
                          "\"count\", \"value\": 1380, "
                          "\"reporting_regions\": 3, \"expected_regions\": "
                          "14, \"approved_regions\": 0}\n");
    /* A ratio over three regions: (1+90+5)/(10+100+10), not a mean. */
    BOTH(&e, out, "total", "劳动人事争议调解成功率", "--period", "2025-01",
         "--json");
    cr_expect_str_eq(out, "{\"indicator\": \"dispute_mediation_success_rate\""
                          ", \"region\": \"330000\", \"period\": "
                          "\"2025-01\", \"kind\": \"ratio\", \"value\": 0.8, "
                          "\"numerator\": 96, \"denominator\": 120, "
                          "\"reporting_regions\": 3, \"expected_regions\": "
                          "102, \"approved_regions\": 0}\n");
    /* A stock over a year, regions' last months differ: 上城区 March 120 +
     * 拱墅区 February 50; 宁波市 reported only in 2024. */
    BOTH(&e, out, "total", "pension_insured", "--period", "2025", "--json");
    cr_expect(strstr(out, "\"value\": 170, \"reporting_regions\": 2, "
                          "\"expected_regions\": 102") != NULL, "%s", out);
    BOTH(&e, out, "total", "pension_insured", "--period", "2024..2025",
         "--json");
    cr_expect(strstr(out, "\"value\": 240, \"reporting_regions\": 3") != NULL,
              "%s", out);
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2025", "--csv");
    cr_expect(strstr(out, "urban_new_jobs,330000,2025,count,1387,,,4,102,0") !=
                  NULL, "%s", out);
    /* The table for people. */
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2025");
    cr_expect(strstr(out, "1,387 人") != NULL, "%s", out);
    cr_expect(strstr(out, "4 of 102 regions (partial)\napproved:  0 of 102 "
                          "regions\n") != NULL, "%s", out);
    cr_expect_eq(hx_collector_stop(&e.coll, 10000), 0);
}

Test(ctl, breakdown_json_own_and_children)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    BOTH(&e, out, "breakdown", "urban_new_jobs", "--period", "2025-Q1",
         "--region", "330100", "--json");
    cr_expect(strstr(out, "{\"own\": {\"indicator\": \"urban_new_jobs\", "
                          "\"region\": \"330100\", \"period\": \"2025-Q1\", "
                          "\"kind\": \"count\", \"value\": 1000, "
                          "\"reporting_regions\": 1, \"expected_regions\": 1, "
                          "\"approved_regions\": 0}") != NULL, "%s", out);
    cr_expect(strstr(out, "\"region\": \"330102\", \"period\": \"2025-Q1\", "
                          "\"kind\": \"count\", \"value\": 330,") != NULL,
              "%s", out);
    cr_expect(strstr(out, "\"region\": \"330105\", \"period\": \"2025-Q1\", "
                          "\"kind\": \"count\", \"value\": 50,") != NULL,
              "%s", out);
    /* 西湖区 did not report: no report, not 0. */
    cr_expect(strstr(out, "\"region\": \"330106\", \"period\": \"2025-Q1\", "
                          "\"kind\": \"count\", \"value\": null,") != NULL,
              "%s", out);
    cr_expect(strstr(out, "\"total\": {\"indicator\": \"urban_new_jobs\", "
                          "\"region\": \"330100\", \"period\": \"2025-Q1\", "
                          "\"kind\": \"count\", \"value\": 1380, "
                          "\"reporting_regions\": 3, \"expected_regions\": "
                          "14, \"approved_regions\": 0}") != NULL, "%s", out);
    /* 13 children */
    size_t n = 0;
    for (const char *p = out;
         (p = strstr(p, "\"expected_regions\": 1, \"approved_regions\": 0}"));
         p++) {
        n++;
    }
    cr_expect_eq(n, 14, "own + 13 counties: %s", out);
}

static double json_number(const char *json, const char *anchor,
                          const char *key)
{
    const char *a = strstr(json, anchor);
    cr_assert_not_null(a, "no %s in %s", anchor, json);
    const char *k = strstr(a, key);
    cr_assert_not_null(k, "no %s after %s", key, anchor);
    return strtod(k + strlen(key), NULL);
}

Test(ctl, progress_json_against_the_plan)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    BOTH(&e, out, "progress", "--period", "2025", "--json");
    /* cumulative: all of 2021..2025 = 1387 persons of 500万 */
    const char *jobs = "\"indicator\": \"urban_new_jobs\"";
    cr_expect_eq(json_number(out, jobs, "\"value\": "), 1387);
    cr_expect_float_eq(json_number(out, jobs, "\"share\": "),
                       1387.0 / 5000000.0, 1e-12);
    cr_expect_float_eq(json_number(out, jobs, "\"target\": "), 5e6, 1e-3);
    cr_expect(strstr(strstr(out, jobs), "\"on_track\": false") != NULL);
    /* a level: pension at the end of 2025, baseline 4355万 */
    const char *pen = "\"indicator\": \"pension_insured\"";
    cr_expect_eq(json_number(out, pen, "\"value\": "), 170);
    cr_expect_float_eq(json_number(out, pen, "\"baseline\": "), 43550000.0,
                       1e-3);
    cr_expect_float_eq(json_number(out, pen, "\"expected\": "), 45000000.0,
                       1e-3);
    /* a rate: 96/120 = 80% against a floor of 80% */
    const char *med = "\"indicator\": \"dispute_mediation_success_rate\"";
    cr_expect_float_eq(json_number(out, med, "\"value\": "), 0.8, 1e-12);
    cr_expect_float_eq(json_number(out, med, "\"target\": "), 0.8, 1e-12);
    cr_expect_float_eq(json_number(out, med, "\"share\": "), 1.0, 1e-12);
    cr_expect(strstr(strstr(out, med), "\"on_track\": true") != NULL, "%s",
              out);
    /* nothing reported: null, not zero */
    const char *un = "\"indicator\": \"urban_surveyed_unemployment_rate\"";
    cr_expect(strstr(strstr(out, un), "\"value\": null") != NULL, "%s", out);

    /* The table: the plan's units, every line the same display width. */
    BOTH(&e, out, "progress", "--period", "2025");
    cr_expect(strstr(out, "〔500〕") != NULL, "%s", out);
    cr_expect(strstr(out, "0.14") != NULL, "1387 persons = 0.14 万人: %s",
              out);
    cr_expect(strstr(out, "80.0      100.0%  on track") != NULL, "%s", out);
    char *line = strstr(out, "指标 indicator");
    cr_assert_not_null(line);
    size_t width = 0;
    int rows = 0;
    while (line != NULL && *line != '\n' && *line != '\0') {
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl);
        *nl = '\0';
        size_t w = table_text_width(line);
        if (width == 0) {
            width = w;
        }
        cr_expect_eq(w, width, "misaligned line: '%s'", line);
        rows++;
        line = nl + 1;
    }
    cr_expect_eq(rows, 2 + 19);
}

/* Expect @p line as a whole line of @p out. */
static void expect_line(const char *out, const char *line)
{
    size_t n = strlen(line);
    const char *p = out;
    int found = 0;
    while (!found && p != NULL && *p != '\0') {
        found = strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0');
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    cr_expect(found, "no line '%s' in:\n%s", line, out);
}

/* A month's completeness table as hrssctl printed it when it held the
 * whole answer: the counts in the title, every column as wide as its
 * widest cell, Chinese names lined up by display width; then the
 * summaries. hrssctl reads the answer twice a page at a time (counts and
 * widths, then rows): @p out must still be that table, of @p rows
 * regions. */
static void expect_completeness_table(const char *out, size_t rows)
{
    const char *head = strstr(out, "\n\ncode    地区");
    cr_assert_not_null(head, "%s", out);
    const char *rule = strchr(head + 2, '\n');
    cr_assert_not_null(rule);
    rule++;
    size_t w[6] = {0};
    size_t k = 0;
    const char *p = rule;
    for (; *p != '\n' && k < 6; k++) {
        w[k] = strspn(p, "-");
        p += w[k];
        p += strspn(p, " ");
    }
    cr_assert_eq(k, 6, "rule: %.80s", rule);
    cr_expect_eq(w[0], 6);
    cr_expect_eq(w[2], strlen("reported"));
    cr_expect_eq(w[3], strlen("on time"));
    size_t prefix = w[0] + 2 + w[1] + 2 + w[2];
    size_t n = 0;
    for (const char *line = p + 1; *line != '\0' && *line != '\n'; n++) {
        const char *nl = strchr(line, '\n');
        cr_assert_not_null(nl);
        char buf[4096];
        size_t len = (size_t)(nl - line);
        cr_assert_lt(len, sizeof buf);
        memcpy(buf, line, len);
        buf[len] = '\0';
        char *of = strstr(buf, "/19");
        cr_assert_not_null(of, "row '%s'", buf);
        of[3] = '\0';
        cr_expect_eq(table_text_width(buf), prefix, "misaligned: '%s'",
                     buf);
        line = nl + 1;
    }
    cr_expect_eq(n, rows);
    cr_expect(strstr(out, "\n\ndeadline 2025-02-10 23:59:59 Asia/Shanghai "
                          "(UTC+8)\n\nsummary ") != NULL, "%s", out);
}

Test(ctl, completeness_table_is_what_one_answer_printed)
{
    env_t e;
    env_start(&e);
    static char out[262144];
    BOTH(&e, out, "completeness", "--period", "2025-06", "--region",
         "330105");
    cr_expect(strncmp(out,
                      "2025-06: 0 of 1 region reported every indicator, 0 "
                      "reported nothing\n"
                      "\n"
                      "code    地区    reported  on time  late (days)  ",
                      110) == 0, "%s", out);
    /* Figures of 2025-06 first stored on 2025-11-25 (UTC+8): due
     * 2025-07-10, 138 days late; the rest missing. */
    cr_expect(strstr(out, "\n330105  拱墅区      2/19     0/19  "
                          "professional_technical_talent (138 d), "
                          "senior_title_talent (138 d)  urban_new_jobs, "
                          "urban_surveyed_unemployment_rate, ") != NULL,
              "%s", out);
    expect_line(out, "deadline 2025-07-10 23:59:59 Asia/Shanghai (UTC+8)");
    expect_line(out, "summary        cells  reported  on time  late  "
                     "missing  reporting  on-time");
    expect_line(out, "拱墅区 330105     19         2        0     2       "
                     "17      10.5%     0.0%");
    BOTH(&e, out, "completeness", "--period", "2025-01", "--region",
         "330100");
    cr_expect(strstr(out, "2025-01: 0 of 14 regions reported every "
                          "indicator, 11 reported nothing\n\n"
                          "code    地区    reported  on time  late (days)  ")
                  == out, "%s", out);
    const char *xh = strstr(out, "\n330106  西湖区      0/19     0/19   ");
    cr_assert_not_null(xh, "%s", out);
    const char *xe = strchr(xh + 1, '\n');
    cr_assert_not_null(xe);
    cr_expect(strncmp(xe - strlen("  all (nothing reported)"),
                      "  all (nothing reported)", 24) == 0, "%s", out);
    expect_completeness_table(out, 14);
    /* 6 of 266 cells reported, all late. */
    expect_line(out, "杭州市 330100    266         6        0     6      "
                     "260       2.3%     0.0%");
    /* The province: 102 regions, more than one page. */
    BOTH(&e, out, "completeness", "--period", "2025-01");
    cr_expect(strncmp(out, "2025-01: 0 of 102 regions reported every "
                           "indicator, 98 reported nothing\n", 68) == 0,
              "%s", out);
    expect_completeness_table(out, 102);
    BOTH(&e, out, "completeness", "--period", "2025-01", "--json");
    cr_expect(strstr(out, "\"expected_regions\": 102, \"complete_regions\": "
                          "0, \"silent_regions\": 98, \"indicators\": 19, "
                          "\"regions\": [\n  {\"region\": \"330000\"") !=
                  NULL,
              "%s", out);
    size_t objects = 0;
    for (const char *q = strstr(out, "\n  {\"region\": \""); q != NULL;
         q = strstr(q + 1, "\n  {\"region\": \"")) {
        objects++;
    }
    /* 102 regions, then the province's and 11 cities' summaries. */
    cr_expect_eq(objects, 102 + 12);
    cr_expect(strstr(out, "], \"time_zone\": \"Asia/Shanghai\", "
                          "\"tz_offset\": 28800, \"deadline\": 1739203199, "
                          "\"summaries\": [\n  {\"region\": \"330000\", "
                          "\"regions\": 102, \"expected_cells\": 1938, ")
                  != NULL, "%s", out);
    cr_expect(strstr(out, "\n]}\n") == out + strlen(out) - 4, "%s", out);
    /* A quarter: no timeliness, the columns as before. */
    BOTH(&e, out, "completeness", "--period", "2025-Q1", "--region",
         "330105");
    cr_expect(strstr(out, "\ncode    地区    reported  missing\n") != NULL,
              "%s", out);
    cr_expect_null(strstr(out, "deadline"), "%s", out);
}

Test(ctl, completeness_json_names_who_is_missing)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    BOTH(&e, out, "completeness", "--period", "2025-01", "--region", "杭州市",
         "--json");
    cr_expect(strstr(out, "\"region\": \"330100\", \"expected_regions\": 14, "
                          "\"complete_regions\": 0, \"silent_regions\": 11, "
                          "\"indicators\": 19") != NULL, "%s", out);
    cr_expect(strstr(out, "{\"region\": \"330102\", \"name_zh\": \"上城区\", "
                          "\"reported\": [\"urban_new_jobs\", "
                          "\"pension_insured\", "
                          "\"dispute_mediation_success_rate\"], \"on_time\": "
                          "0, \"expected\": 19, \"late\": [\"urban_new_jobs:"
                          "288\", \"pension_insured:288\", "
                          "\"dispute_mediation_success_rate:288\"], "
                          "\"missing\": "
                          "[\"urban_surveyed_unemployment_rate\"") != NULL,
              "%s", out);
    cr_expect(strstr(out, "{\"region\": \"330100\", \"name_zh\": \"杭州市\", "
                          "\"reported\": [\"urban_new_jobs\"]") != NULL,
              "%s", out);
    cr_expect(strstr(out, "{\"region\": \"330106\", \"name_zh\": \"西湖区\", "
                          "\"reported\": [], \"on_time\": 0, \"expected\": 19, "
                          "\"late\": [], \"missing\": [") != NULL,
              "%s", out);
}

Test(ctl, other_commands_both_ways)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    BOTH(&e, out, "indicators", "--json");
    cr_expect(strstr(out, "\"code\": \"e_social_security_card_coverage\"") !=
              NULL);
    BOTH(&e, out, "regions", "--under", "330200");
    cr_expect(strstr(out, "海曙区") != NULL && strstr(out, "杭州市") == NULL,
              "%s", out);
    BOTH(&e, out, "series", "urban_new_jobs", "--from", "2025-01", "--to",
         "2025-03", "--region", "330100", "--json");
    cr_expect(strstr(out, "\"period\": \"2025-02\", \"kind\": \"count\", "
                          "\"value\": 200,") != NULL, "%s", out);
    BOTH(&e, out, "history", "urban_new_jobs", "--region", "330102",
         "--period", "2025-01", "--json");
    cr_expect(strstr(out, "\"old\": null, \"new\": 100}") != NULL, "%s", out);
    cr_expect(strstr(out, "\"old\": 100, \"new\": 130}") != NULL, "%s", out);
    BOTH(&e, out, "rejections", "--json");
    cr_expect(strstr(out, "\"reason\": \"future_month\"") != NULL, "%s", out);
    /* received at 1764000000 = 2025-11-25 00:00:00 in UTC+8 */
    BOTH(&e, out, "rejections", "--since", "2025-11-25T00:00", "--json");
    cr_expect(strstr(out, "future_month") != NULL, "%s", out);
    BOTH(&e, out, "rejections", "--since", "2025-11-25 00:00:01");
    cr_expect(strstr(out, "no rejected updates") != NULL, "%s", out);
    BOTH(&e, out, "agents", "--json");
    cr_expect(strstr(out, "\"agent\": \"test-agent\", \"next_seq\": 17, "
                          "\"applied\": 15, \"rejected\": 1") != NULL,
              "%s", out);
    BOTH(&e, out, "violations", "--json");
    cr_expect(strstr(out, "\"indicator\": \"senior_title_talent\", "
                          "\"parent\": \"professional_technical_talent\", "
                          "\"region\": \"330105\", \"period\": \"2025-06\", "
                          "\"value\": 12, \"parent_value\": 10") != NULL,
              "%s", out);
    BOTH(&e, out, "export", "--format", "csv", "--from", "2025-01", "--to",
         "2025-01");
    cr_expect(strstr(out, "indicator,period,value,numerator,denominator,"
                          "region\n") == out, "%s", out);
    cr_expect(strstr(out, "urban_new_jobs,2025-01,130,,,330102\n") != NULL,
              "%s", out);
    cr_expect(strstr(out, "dispute_mediation_success_rate,2025-01,,90,100,"
                          "330105\n") != NULL, "%s", out);
    cr_expect(strstr(out, "2025-03") == NULL, "%s", out);

    /* A backup over the query socket needs an admin key (plain mode has
     * none); hrssctl --data-dir writes one where its operator says. */
    char dest[400];
    snprintf(dest, sizeof dest, "%s/backup", hx_dir);
    cr_expect_eq(ctl(&e, 0, out, sizeof out, "backup", dest, NULL), 1, "%s",
                 out);
    cr_expect(strstr(out, "not authorized") != NULL, "%s", out);
    struct stat sb;
    cr_expect_neq(stat(dest, &sb), 0, "%s written", dest);
    cr_assert_eq(ctl(&e, 1, out, sizeof out, "backup", dest, NULL), 0, "%s",
                 out);
    char said[500];
    snprintf(said, sizeof said, "backup written to %s/data.mdb\n", dest);
    cr_expect_str_eq(out, said);
    cr_expect_eq(ctl(&e, 1, out, sizeof out, "backup", dest, NULL), 1, "%s",
                 out);
    cr_expect(strstr(out, "already exists") != NULL, "%s", out);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(dest, 0, &cat, &s);
    period_t p;
    char err[ERR_LEN];
    period_parse("2025", &p, err);
    store_total_t t;
    cr_assert_eq(store_total(s, "urban_new_jobs", 330000, &p, &t, err),
                 ERR_OK);
    cr_expect_eq(t.num, 1387);
    store_close(&s);
    catalog_destroy(&cat);
}

Test(ctl, errors_are_clear_and_nonzero)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    for (int mode = 0; mode < 2; mode++) {
        cr_expect_eq(ctl(&e, mode, out, sizeof out, "total", "urban_new_job",
                         "--period", "2025", NULL), 1);
        cr_expect(strstr(out, "did you mean: urban_new_jobs") != NULL, "%s",
                  out);
        cr_expect_eq(ctl(&e, mode, out, sizeof out, "total", "urban_new_jobs",
                         "--period", "2025-13", NULL), 1);
        cr_expect(strstr(out, "YYYY-Qn") != NULL, "%s", out);
        cr_expect_eq(ctl(&e, mode, out, sizeof out, "total", "urban_new_jobs",
                         "--period", "2025", "--region", "999999", NULL), 1);
        cr_expect(strstr(out, "999999") != NULL, "%s", out);
        cr_expect_eq(ctl(&e, mode, out, sizeof out, "frobnicate", NULL), 64);
    }
    /* Nothing answers on a port the test holds without listening: the
     * connection is refused, and no other process can take the port. */
    hx_port_t dead;
    hx_port_hold(&dead, 0);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", dead.port);
    const char *argv[] = {"hrssctl", "--connect", ep, "--insecure",
                          "--timeout", "1", "agents", NULL};
    cr_expect_eq(hx_run(argv, 30000, out, sizeof out), 69);
    cr_expect(strstr(out, "did not answer within 1 s") != NULL, "%s", out);
    hx_port_release(&dead);
    const char *nodb[] = {"hrssctl", "--data-dir", "/nonexistent/hrss",
                          "agents", NULL};
    cr_expect_eq(hx_run(nodb, 30000, out, sizeof out), 1);
    cr_expect(strstr(out, "/nonexistent/hrss") != NULL, "%s", out);
}

Test(ctl, command_line_is_checked_against_the_command_table)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    for (int mode = 0; mode < 2; mode++) {
        /* One output form at a time. */
        cr_expect_eq(ctl(&e, mode, out, sizeof out, "agents", "--json",
                         "--csv", NULL), 64);
        cr_expect(strstr(out, "--json or --csv, not both") != NULL, "%s",
                  out);
        /* An option the command does not take is a usage error. */
        cr_expect_eq(ctl(&e, mode, out, sizeof out, "indicators",
                         "--period", "2025", NULL), 64);
        cr_expect(strstr(out, "indicators does not take --period") != NULL,
                  "%s", out);
        cr_expect_eq(ctl(&e, mode, out, sizeof out, "total",
                         "urban_new_jobs", "--period", "2025", "--since",
                         "0", NULL), 64);
        /* Arguments are counted once, from the table. */
        cr_expect_eq(ctl(&e, mode, out, sizeof out, "total", "--period",
                         "2025", NULL), 64);
        cr_expect(strstr(out, "total takes one INDICATOR") != NULL, "%s",
                  out);
        cr_expect_eq(ctl(&e, mode, out, sizeof out, "history",
                         "urban_new_jobs", "--region", "330102", NULL), 64);
        cr_expect(strstr(out, "history takes INDICATOR --region CODE "
                              "--period YYYY-MM") != NULL, "%s", out);
        cr_expect_eq(ctl(&e, mode, out, sizeof out, "agents", "extra",
                         NULL), 64);
        cr_expect(strstr(out, "agents takes no arguments") != NULL, "%s",
                  out);
    }
    /* export writes the agent's CSV: --json is refused, not ignored. */
    cr_expect_eq(ctl(&e, 1, out, sizeof out, "export", "--format", "csv",
                     "--json", NULL), 64);
    cr_expect(strstr(out, "--json does not apply") != NULL, "%s", out);
    /* COMMAND --help: that command's usage; --help alone: all of them. */
    cr_expect_eq(ctl(&e, 1, out, sizeof out, "series", "--help", NULL), 0);
    cr_expect(strstr(out, "usage: hrssctl [OPTIONS] series IND --from P "
                          "--to P [--region CODE]\n") == out, "%s", out);
    cr_expect(strstr(out, "[--by month|quarter|year]") != NULL, "%s", out);
    cr_expect(strstr(out, "  breakdown ") == NULL, "%s", out);
    const char *help[] = {"hrssctl", "--help", NULL};
    cr_expect_eq(hx_run(help, 30000, out, sizeof out), 0);
    const char *cmds[] = {"indicators", "regions", "total", "breakdown",
                          "series", "progress", "completeness", "history",
                          "rejections", "agents", "violations", "backup",
                          "export"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "\n  %s ", cmds[i]);
        cr_expect(strstr(out, line) != NULL, "%s missing: %s", cmds[i], out);
    }
}

Test(ctl, csv_and_json_keep_raw_units_in_every_command)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    /* progress: codes beside names, persons and fractions, no 〔〕. */
    BOTH(&e, out, "progress", "--period", "2025", "--csv");
    expect_line(out, "indicator,指标 indicator,单位,2020 基期,2025 目标,"
                     "现值 value,完成 share,进度 status,reporting_regions,"
                     "expected_regions,approved_regions");
    /* A cumulative flow's progress covers 2021-01..2025: it expects the
     * regions of both of Hangzhou's maps, 102 + 下城区 and 江干区 (to
     * 2021-03); the stock and the ratio of 2025 expect 2025's 102. */
    expect_line(out, "urban_new_jobs,城镇新增就业人数,万人,,5000000,1387,"
                     "0.0002774,behind,4,104,0");
    expect_line(out, "pension_insured,基本养老保险参保人数,万人,43550000,"
                     "45000000,170,3.777777778e-06,behind,2,102,0");
    expect_line(out, "dispute_mediation_success_rate,劳动人事争议调解成功率,"
                     "%,0.8,0.8,0.8,1,on track,3,102,0");
    expect_line(out, "urban_surveyed_unemployment_rate,城镇调查失业率,%,,"
                     "0.055,,,no data,0,102,0");
    cr_expect(strstr(out, "〔") == NULL && strchr(out, '"') == NULL, "%s",
              out);
    /* indicators: the plan's figures in raw units too. */
    BOTH(&e, out, "indicators", "--csv");
    expect_line(out, "no,code,指标,单位,kind,over time,2020,2025 目标,basis,"
                     "direction");
    expect_line(out, "1,urban_new_jobs,城镇新增就业人数,万人,count,sum,,"
                     "5000000,cumulative,at least");
    expect_line(out, "8,senior_title_talent,其中:高级职称人才数量,万人,count,"
                     "last,453000,550000,level,at least");
    expect_line(out, "2,urban_surveyed_unemployment_rate,城镇调查失业率,%,"
                     "ratio,sum,,0.055,level,at most");
    cr_expect(strstr(out, "〔") == NULL, "%s", out);
    BOTH(&e, out, "indicators", "--json");
    cr_expect(strstr(out, "\"unit_scale\": 10000, \"kind\": \"count\", "
                          "\"over_time\": \"last\", \"baseline\": 43550000, "
                          "\"target\": 45000000,") != NULL, "%s", out);
    cr_expect(strstr(out, "\"baseline\": null, \"target\": 0.055,") != NULL,
              "%s", out);
    /* violations: code and name apart, no separators. */
    BOTH(&e, out, "violations", "--csv");
    cr_expect_str_eq(out, "indicator,其中 indicator,value,parent code,parent,"
                          "parent value,region,地区,period\n"
                          "senior_title_talent,其中:高级职称人才数量,12,"
                          "professional_technical_talent,"
                          "专业技术人才总量(含在管理岗位的专技人才),10,330105,"
                          "拱墅区,2025-06\n");
    /* history: no value is empty, not "-". */
    BOTH(&e, out, "history", "urban_new_jobs", "--region", "330102",
         "--period", "2025-01", "--csv");
    cr_expect_str_eq(out, "received (UTC+8),agent,seq,old,new,old_numerator,"
                          "old_denominator,new_numerator,new_denominator\n"
                          "2025-11-25 00:00:00,test-agent,1,,100,,,,\n"
                          "2025-11-25 00:00:00,test-agent,15,100,130,,,,\n");
    /* A ratio: its fraction, and its parts so that nothing is lost. */
    BOTH(&e, out, "history", "dispute_mediation_success_rate", "--region",
         "330105", "--period", "2025-01", "--csv");
    expect_line(out, "2025-11-25 00:00:00,test-agent,7,,0.9,,,90,100");
    /* agents and completeness: numbers, one to a field. */
    BOTH(&e, out, "agents", "--csv");
    cr_expect_str_eq(out, "agent,next seq,applied,rejected,first seen (UTC+8),"
                          "last contact (UTC+8)\n"
                          "test-agent,17,15,1,2025-11-25 00:00:00,"
                          "2025-11-25 00:00:00\n");
    BOTH(&e, out, "completeness", "--period", "2025-01", "--region",
         "330100", "--csv");
    expect_line(out, "code,地区,reported,indicators,on_time,expected,late,"
                     "missing");
    expect_line(out, "330102,上城区,3,19,0,19,urban_new_jobs:288 "
                     "pension_insured:288 dispute_mediation_success_rate:288,"
                     "urban_surveyed_unemployment_rate "
                     "vocational_skill_training unemployment_insured "
                     "work_injury_insured professional_technical_talent "
                     "senior_title_talent new_professional_qualifications "
                     "postdoc_recruits skilled_talent highly_skilled_talent "
                     "new_skill_certificates new_senior_skill_certificates "
                     "arbitration_closure_rate labour_inspection_closure_rate "
                     "social_security_card_holders "
                     "e_social_security_card_coverage");
    cr_expect(strstr(out, "all (nothing reported)") == NULL, "%s", out);
}

Test(ctl, times_are_labelled_with_the_display_zone)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    BOTH(&e, out, "agents");
    cr_expect(strstr(out, "first seen (UTC+8)   last contact (UTC+8)\n") !=
                  NULL, "%s", out);
    BOTH(&e, out, "agents", "--tz-offset-hours", "-5");
    cr_expect(strstr(out, "first seen (UTC-5)   last contact (UTC-5)\n") !=
                  NULL, "%s", out);
    cr_expect(strstr(out, "2025-11-24 11:00:00") != NULL, "%s", out);
    BOTH(&e, out, "rejections", "--tz-offset-hours", "0");
    cr_expect(strstr(out, "received (UTC)  ") == out, "%s", out);
}

/* A 2026-2030 plan under another title, for a store built with it. */
static void write_plan_2030(const char *dir)
{
    static const char ind[] =
        "no,code,name_zh,name_en,group_zh,unit_zh,kind,over_time,"
        "baseline_2025,target_2030,target_basis,direction,attribute,part_of,"
        "numerator_zh,denominator_zh\n"
        "1,jobs,新增就业,New jobs,就业,万人,count,sum,,600,"
        "cumulative_2026_2030,at_least,expected,,,\n"
        "2,insured,参保人数,Insured,社保,万人,count,last,4600,4900,"
        "level_2030,at_least,expected,,,\n"
        "3,jobless,失业率,Unemployment,就业,%,ratio,sum,,5,level_2030,"
        "at_most,expected,,失业人数,劳动力\n";
    static const char reg[] = "code,name_zh,name_en,level,parent_code\n"
                              "330000,浙江省,Zhejiang,province,\n"
                              "330100,杭州市,Hangzhou,city,330000\n";
    static const char plan[] = "key,value\ntitle_zh,某省“十五五”规划\n";
    const char *files[][2] = {{"indicators.csv", ind},
                              {"regions.csv", reg},
                              {"plan.csv", plan}};
    cr_assert_eq(mkdir(dir, 0700), 0);
    for (size_t i = 0; i < 3; i++) {
        char path[400];
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        hx_write(path, files[i][1], strlen(files[i][1]));
    }
}

Test(ctl, progress_follows_another_plan)
{
    char catdir[300];
    char db[300];
    snprintf(catdir, sizeof catdir, "%s/plan2030", hx_dir);
    snprintf(db, sizeof db, "%s/db2030", hx_dir);
    write_plan_2030(catdir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    char err[ERR_LEN];
    cr_assert_eq(catalog_load_dir(&cat, catdir, err), ERR_OK, "%s", err);
    store_opts_t o = {.readonly = 0};
    cr_assert_eq(store_open(&s, db, cat, &o, err), ERR_OK, "%s", err);
    update_t u[] = {
        cnt(1, "jobs", 330100, 202601, 1000000),
        cnt(2, "jobs", 330100, 202703, 700000),
        cnt(3, "jobs", 330100, 202708, 50),  /* after P: not counted */
        cnt(4, "insured", 330100, 202706, 46900000),
        rat(5, "jobless", 330100, 202706, 45, 1000),
    };
    store_batch_t b = {"plan-agent", -1, 1764000000, month_make(2027, 12),
                       u, sizeof u / sizeof u[0], NULL};
    store_result_t r;
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_assert_eq(r.rejected, 0);
    store_result_fini(&r);
    store_close(&s);
    catalog_destroy(&cat);

    static char out[65536];
    const char *argv[] = {"hrssctl", "--data-dir", db, "--catalog", catdir,
                          "progress", "--period", "2027-06", NULL};
    cr_assert_eq(hx_run(argv, 60000, out, sizeof out), 0, "%s", out);
    /* 2027-06 is month 18 of 60: 180万 of the 〔600〕 due, 4,690 of
     * 4,600 -> 4,900 due. */
    cr_expect_str_eq(
        out,
        "某省“十五五”规划 progress — 浙江省 330000, period 2027-06\n"
        "\n"
        "指标 indicator  单位  2025 基期  2030 目标  现值 value  完成 share  "
        "进度 status  regions\n"
        "--------------  ----  ---------  ---------  ----------  ----------  "
        "-----------  -------\n"
        "新增就业        万人               〔600〕      170.00       28.3%  "
        "behind           1/2\n"
        "参保人数        万人      4,600      4,900    4,690.00       95.7%  "
        "on track         1/2\n"
        "失业率          %                        5         4.5       90.0%  "
        "on track         1/2\n"
        "\n"
        "〔〕 five-year cumulative target (2026-2030); value = cumulative "
        "through 2027-06.\n"
        "on track = at or above a straight line from the 2025 baseline (or "
        "from 0) to the target.\n"
        "approved regions (every month of the period approved): 0/2 over "
        "2026-01..2027-06, 0/2 over 2027-06.\n");
    const char *json[] = {"hrssctl", "--data-dir", db, "--catalog", catdir,
                          "progress", "--period", "2027-06", "--json", NULL};
    cr_assert_eq(hx_run(json, 60000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "\"indicator\": \"jobs\", \"name_zh\": \"新增就业\", "
                          "\"kind\": \"count\", \"display_unit\": \"万人\", "
                          "\"unit_scale\": 10000, \"basis\": \"cumulative\", "
                          "\"period\": \"2026-01..2027-06\", \"baseline\": "
                          "null, \"target\": 6000000, \"direction\": "
                          "\"at_least\", \"value\": 1700000, \"share\": "
                          "0.2833333333, \"expected\": 1800000, \"elapsed\": "
                          "0.3, \"on_track\": false") != NULL, "%s", out);
}

/* Output that cannot be written is an error, not a silent success:
 * `export > /dev/full` used to exit 0. */
Test(ctl, output_that_cannot_be_written_is_an_error)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    const char *cmds[][4] = {
        {"export", "--format", "csv", NULL},
        {"regions", NULL},
        {"indicators", "--json", NULL},
        {"total", "urban_new_jobs", "--csv", NULL},
    };
    for (int mode = 0; mode < 2; mode++) {
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
            const char *argv[12];
            int n = 0;
            argv[n++] = "hrssctl";
            if (mode == 0) {
                argv[n++] = "--connect";
                argv[n++] = e.query;
                argv[n++] = "--insecure";
            } else {
                argv[n++] = "--data-dir";
                argv[n++] = e.db;
            }
            for (int k = 0; cmds[i][k] != NULL; k++) {
                argv[n++] = cmds[i][k];
            }
            if (strcmp(cmds[i][0], "total") == 0) {
                argv[n++] = "--period";
                argv[n++] = "2025";
            }
            argv[n] = NULL;
            int st = hx_run_to(argv, "/dev/full", 60000, out, sizeof out);
            cr_expect_eq(st, 74, "%s (mode %d): exit %d, %s", cmds[i][0],
                         mode, st, out);
            cr_expect(strstr(out, "No space left on device") != NULL,
                      "%s (mode %d): %s", cmds[i][0], mode, out);
        }
    }
    /* --help writes to stdout too, in every binary, and so does the
     * agent's status. */
    const char *progs[] = {"hrssctl", "hrss-agent", "hrss-collector"};
    for (size_t i = 0; i < 3; i++) {
        const char *help[] = {progs[i], "--help", NULL};
        cr_expect_eq(hx_run_to(help, "/dev/full", 60000, out, sizeof out), 74,
                     "%s --help: %s", progs[i], out);
        cr_expect(strstr(out, "No space left on device") != NULL, "%s: %s",
                  progs[i], out);
    }
    char state[300];
    snprintf(state, sizeof state, "%s/agent-state", hx_dir);
    const char *status[] = {"hrss-agent", "--state-dir", state, "status",
                            NULL};
    cr_expect_eq(hx_run(status, 60000, out, sizeof out), 0, "%s", out);
    cr_expect_eq(hx_run_to(status, "/dev/full", 60000, out, sizeof out), 74,
                 "%s", out);
}

/* Every binary says its version: project()'s and, from a checkout, the
 * commit. */
Test(ctl, every_binary_tells_its_version)
{
    static char out[4096];
    const char *progs[] = {"hrssctl", "hrss-agent", "hrss-collector",
                           "hrss-demo-gen"};
    regex_t re;
    cr_assert_eq(regcomp(&re, "^([a-z-]+) [0-9]+\\.[0-9]+\\.[0-9]+"
                              "( \\(git [0-9a-f]{7,40}(-dirty)?\\))?\n$",
                         REG_EXTENDED), 0);
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        const char *argv[] = {progs[i], "--version", NULL};
        cr_expect_eq(hx_run(argv, 60000, out, sizeof out), 0, "%s: %s",
                     progs[i], out);
        regmatch_t m[2];
        cr_expect_eq(regexec(&re, out, 2, m, 0), 0, "%s: '%s'", progs[i],
                     out);
        cr_expect(strncmp(out, progs[i], strlen(progs[i])) == 0 &&
                      out[strlen(progs[i])] == ' ',
                  "%s: '%s'", progs[i], out);
    }
    regfree(&re);
}

