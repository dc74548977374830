/* test_regions_view.c: what hrssctl shows of the map change of April 2021
 * (issue 14): a breakdown of Hangzhou for 2021 lists the old and the new
 * districts with the months each reported, a series of a redrawn
 * district is flagged and footnoted (Hangzhou's is not), an abolished
 * district's series holds its months, and `regions` shows each region's
 * months and the changes. Both ways: --connect and --data-dir. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/period.h"
#include "harness.h"

TestSuite(regions_view, .init = hx_setup, .fini = hx_teardown,
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

/* 上城区 every month of 2020 and 2021 (5); 下城区 Jan-Mar 2021 (100);
 * 江干区 Jan-Feb 2021 (10); 临平区 and 钱塘区 Apr-Dec 2021 (1000, 1). */
static void env_start(env_t *e)
{
    snprintf(e->db, sizeof e->db, "%s/db", hx_dir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(e->db, 1, &cat, &s);
    update_t u[80];
    size_t n = 0;
    const char *jobs = "urban_new_jobs";
    for (uint32_t y = 2020; y <= 2021; y++) {
        for (uint32_t m = 1; m <= 12; m++) {
            u[n] = cnt(n + 1, jobs, 330102, y * 100 + m, 5);
            n++;
        }
    }
    for (uint32_t m = 1; m <= 12; m++) {
        if (m <= 3) {
            u[n] = cnt(n + 1, jobs, 330103, 202100 + m, 100);
            n++;
        }
        if (m <= 2) {
            u[n] = cnt(n + 1, jobs, 330104, 202100 + m, 10);
            n++;
        }
        if (m >= 4) {
            u[n] = cnt(n + 1, jobs, 330113, 202100 + m, 1000);
            n++;
            u[n] = cnt(n + 1, jobs, 330114, 202100 + m, 1);
            n++;
        }
    }
    store_batch_t b = {"test-agent", -1, 1764000000, month_make(2026, 11),
                       u, n, NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_assert_eq(r.rejected, 0);
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

/* The line of @p out that starts with @p start (after any spaces), or
 * NULL; copied into @p line. */
static const char *line_of(const char *out, const char *start, char *line,
                           size_t len)
{
    for (const char *p = out; p != NULL && *p != '\0';) {
        const char *e = strchr(p, '\n');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        const char *q = p;
        while (*q == ' ' && q < p + n) {
            q++;
        }
        if (strncmp(q, start, strlen(start)) == 0) {
            snprintf(line, len, "%.*s", (int)n, p);
            return line;
        }
        p = e != NULL ? e + 1 : NULL;
    }
    return NULL;
}

Test(regions_view, breakdown_2021_lists_both_maps_with_months)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    BOTH(&e, out, "breakdown", "urban_new_jobs", "--period", "2021",
         "--region", "330100");
    cr_expect_str_eq(
        out,
        "城镇新增就业人数 (urban_new_jobs), 2021\n"
        "\n"
        "code    地区                      value  reporting  approved  months\n"
        "------  ------------------------  -----  ---------  --------  "
        "----------------\n"
        "330100  杭州市 本级 (own report)      -        0/1         0  "
        "2021-01..12 (0)\n"
        "330102  上城区                       60        1/1         0  "
        "2021-01..12 (12)\n"
        "330103  下城区                      300        1/1         0  "
        "2021-01..03 (3)\n"
        "330104  江干区                       20        1/1         0  "
        "2021-01..03 (2)\n"
        "330105  拱墅区                        -        0/1         0  "
        "2021-01..12 (0)\n"
        "330106  西湖区                        -        0/1         0  "
        "2021-01..12 (0)\n"
        "330108  滨江区                        -        0/1         0  "
        "2021-01..12 (0)\n"
        "330109  萧山区                        -        0/1         0  "
        "2021-01..12 (0)\n"
        "330110  余杭区                        -        0/1         0  "
        "2021-01..12 (0)\n"
        "330111  富阳区                        -        0/1         0  "
        "2021-01..12 (0)\n"
        "330112  临安区                        -        0/1         0  "
        "2021-01..12 (0)\n"
        "330113  临平区                    9,000        1/1         0  "
        "2021-04..12 (9)\n"
        "330114  钱塘区                        9        1/1         0  "
        "2021-04..12 (9)\n"
        "330122  桐庐县                        -        0/1         0  "
        "2021-01..12 (0)\n"
        "330127  淳安县                        -        0/1         0  "
        "2021-01..12 (0)\n"
        "330182  建德市                        -        0/1         0  "
        "2021-01..12 (0)\n"
        "330100  杭州市 合计 (total)       9,389       5/16         0\n");
    BOTH(&e, out, "breakdown", "urban_new_jobs", "--period", "2021",
         "--region", "330100", "--json");
    cr_expect(strstr(out, "\"region\": \"330103\", \"period\": \"2021\", "
                          "\"kind\": \"count\", \"value\": 300, "
                          "\"reporting_regions\": 1, \"expected_regions\": "
                          "1, \"approved_regions\": 0, \"valid_to\": "
                          "\"2021-03\", \"months_reported\": 3}") != NULL,
              "%s", out);
    cr_expect(strstr(out, "\"region\": \"330113\", \"period\": \"2021\", "
                          "\"kind\": \"count\", \"value\": 9000, "
                          "\"reporting_regions\": 1, \"expected_regions\": "
                          "1, \"approved_regions\": 0, \"valid_from\": "
                          "\"2021-04\", \"months_reported\": 9}") != NULL,
              "%s", out);
    cr_expect(strstr(out, "\"total\": {\"indicator\": \"urban_new_jobs\", "
                          "\"region\": \"330100\", \"period\": \"2021\", "
                          "\"kind\": \"count\", \"value\": 9389, "
                          "\"reporting_regions\": 5, \"expected_regions\": "
                          "16, \"approved_regions\": 0}}") != NULL,
              "%s", out);
    BOTH(&e, out, "breakdown", "urban_new_jobs", "--period", "2021",
         "--region", "330100", "--csv");
    cr_expect(strstr(out, "part,indicator,region,period,kind,value,"
                          "numerator,denominator,reporting_regions,"
                          "expected_regions,approved_regions,valid_from,"
                          "valid_to,months_reported\n"
                          "own,urban_new_jobs,330100,2021,count,,,,0,1,0,"
                          ",,0\n"
                          "child,urban_new_jobs,330102,2021,count,60,,,1,1,"
                          "0,,,12\n"
                          "child,urban_new_jobs,330103,2021,count,300,,,1,"
                          "1,0,,2021-03,3\n") == out,
              "%s", out);
    cr_expect(strstr(out, "\nchild,urban_new_jobs,330113,2021,count,9000,,,"
                          "1,1,0,2021-04,,9\n") != NULL, "%s", out);
    cr_expect(strstr(out, "\ntotal,urban_new_jobs,330100,2021,count,9389,,,"
                          "5,16,0,,,\n") != NULL, "%s", out);
    /* Under one map: no months column, no months keys. */
    BOTH(&e, out, "breakdown", "urban_new_jobs", "--period", "2021-05",
         "--region", "330100");
    cr_expect(strstr(out, "months") == NULL, "%s", out);
    cr_expect(strstr(out, "下城区") == NULL, "%s", out);
    cr_expect(strstr(out, "临平区") != NULL, "%s", out);
    BOTH(&e, out, "breakdown", "urban_new_jobs", "--period", "2020",
         "--region", "330100", "--json");
    cr_expect(strstr(out, "months_reported") == NULL, "%s", out);
    cr_expect(strstr(out, "\"330113\"") == NULL, "%s", out);
    cr_expect(strstr(out, "\"330103\"") != NULL, "%s", out);
}

Test(regions_view, series_flags_the_redrawn_district_not_the_city)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    char line[512];
    BOTH(&e, out, "series", "urban_new_jobs", "--from", "2020-01", "--to",
         "2021-12", "--region", "330102", "--by", "quarter");
    cr_expect_str_eq(out,
                     "城镇新增就业人数, 上城区 330102\n"
                     "\n"
                     "period   value  reporting  approved  change\n"
                     "-------  -----  ---------  --------  ------\n"
                     "2020-Q1     15        1/1         0\n"
                     "2020-Q2     15        1/1         0\n"
                     "2020-Q3     15        1/1         0\n"
                     "2020-Q4     15        1/1         0\n"
                     "2021-Q1     15        1/1         0\n"
                     "2021-Q2     15        1/1         0  *1\n"
                     "2021-Q3     15        1/1         0\n"
                     "2021-Q4     15        1/1         0\n"
                     "\n"
                     "*1 2021-04: 上城区 redrawn: the former 上城区 and the "
                     "former 江干区 except 下沙 and 白杨\n");
    /* By month: the mark on 2021-04; --csv names it on that row. */
    BOTH(&e, out, "series", "urban_new_jobs", "--from", "2020-01", "--to",
         "2021-12", "--region", "330102");
    cr_expect_str_eq(line_of(out, "2021-04", line, sizeof line),
                     "2021-04      5        1/1         0  *1");
    cr_expect_str_eq(line_of(out, "2021-03", line, sizeof line),
                     "2021-03      5        1/1         0");
    BOTH(&e, out, "series", "urban_new_jobs", "--from", "2020-01", "--to",
         "2021-12", "--region", "330102", "--csv");
    cr_expect(strstr(out, "\nurban_new_jobs,330102,2021-04,count,5,,,1,1,0,"
                          "2021-04 redrawn\nurban_new_jobs,330102,2021-05,"
                          "count,5,,,1,1,0,\n") != NULL, "%s", out);
    /* Hangzhou keeps its territory: no mark, no footnote, no column. */
    BOTH(&e, out, "series", "urban_new_jobs", "--from", "2020-01", "--to",
         "2021-12", "--region", "330100");
    cr_expect(strstr(out, "*1") == NULL && strstr(out, "change") == NULL,
              "%s", out);
    cr_expect_str_eq(line_of(out, "2021-04", line, sizeof line),
                     "2021-04  1,006       3/14         0");
    BOTH(&e, out, "series", "urban_new_jobs", "--from", "2020-01", "--to",
         "2021-12", "--region", "330100", "--json");
    cr_expect(strstr(out, "changes") == NULL, "%s", out);
}

Test(regions_view, series_of_the_abolished_district_holds_its_months)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    BOTH(&e, out, "series", "urban_new_jobs", "--from", "2021-01", "--to",
         "2021-12", "--region", "330103");
    cr_expect_str_eq(out,
                     "城镇新增就业人数, 下城区 330103\n"
                     "\n"
                     "period   value  reporting  approved  change\n"
                     "-------  -----  ---------  --------  ------\n"
                     "2021-01    100        1/1         0\n"
                     "2021-02    100        1/1         0\n"
                     "2021-03    100        1/1         0  *1\n"
                     "\n"
                     "*1 2021-04: 下城区 abolished: merged with the former "
                     "拱墅区 into the new 拱墅区; to 330105 拱墅区\n");
    BOTH(&e, out, "series", "urban_new_jobs", "--from", "2021-01", "--to",
         "2021-12", "--region", "330103", "--json");
    cr_expect_str_eq(
        out,
        "[\n"
        "  {\"indicator\": \"urban_new_jobs\", \"region\": \"330103\", "
        "\"period\": \"2021-01\", \"kind\": \"count\", \"value\": 100, "
        "\"reporting_regions\": 1, \"expected_regions\": 1, "
        "\"approved_regions\": 0},\n"
        "  {\"indicator\": \"urban_new_jobs\", \"region\": \"330103\", "
        "\"period\": \"2021-02\", \"kind\": \"count\", \"value\": 100, "
        "\"reporting_regions\": 1, \"expected_regions\": 1, "
        "\"approved_regions\": 0},\n"
        "  {\"indicator\": \"urban_new_jobs\", \"region\": \"330103\", "
        "\"period\": \"2021-03\", \"kind\": \"count\", \"value\": 100, "
        "\"reporting_regions\": 1, \"expected_regions\": 1, "
        "\"approved_regions\": 0, \"changes\": [{\"month\": \"2021-04\", "
        "\"change\": \"abolished\", \"note\": \"merged with the former 拱墅区 "
        "into the new 拱墅区\", \"successors\": [\"330105\"]}]}\n"
        "]\n");
}

/* A total of a district off the map in the period is no missing report:
 * the table says when it exists (before, only "0 of 0 regions"). */
Test(regions_view, a_total_off_the_map_says_when_the_region_exists)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2022", "--region",
         "330103");
    cr_expect_str_eq(out,
                     "城镇新增就业人数 (urban_new_jobs)\n"
                     "region:    下城区 330103\n"
                     "period:    2022\n"
                     "value:     - (no report)\n"
                     "reporting: 0 of 0 regions\n"
                     "approved:  0 of 0 regions\n"
                     "note:      下城区 330103 is not on the map then: it "
                     "exists through 2021-03\n");
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2020", "--region",
         "330113");
    cr_expect(strstr(out, "note:      临平区 330113 is not on the map then: "
                          "it exists from 2021-04\n") != NULL,
              "%s", out);
    BOTH(&e, out, "total", "urban_new_jobs", "--period", "2021", "--region",
         "330103");
    cr_expect(strstr(out, "note:") == NULL, "on the map in 2021: %s", out);
}

Test(regions_view, regions_show_validity_and_changes)
{
    env_t e;
    env_start(&e);
    static char out[65536];
    char line[512];
    BOTH(&e, out, "regions", "--under", "330100");
    cr_expect(strstr(out, "code    名称    name                 level   "
                          "parent  valid\n") == out, "%s", out);
    cr_expect_str_eq(line_of(out, "330103", line, sizeof line),
                     "330103  下城区  Xiacheng District    county  330100  "
                     "..2021-03");
    cr_expect_str_eq(line_of(out, "330113", line, sizeof line),
                     "330113  临平区  Linping District     county  330100  "
                     "2021-04..");
    cr_expect_str_eq(line_of(out, "330102", line, sizeof line),
                     "330102  上城区  Shangcheng District  county  330100");
    BOTH(&e, out, "regions", "--under", "330100", "--csv");
    cr_expect(strstr(out, "\n330104,江干区,Jianggan District,county,330100,"
                          ",2021-03\n") != NULL, "%s", out);
    cr_expect(strstr(out, "\n330114,钱塘区,Qiantang District,county,330100,"
                          "2021-04,\n") != NULL, "%s", out);
    BOTH(&e, out, "regions", "--under", "330100", "--json");
    cr_expect(strstr(out, "\"code\": \"330106\", \"name_zh\": \"西湖区\", "
                          "\"name_en\": \"Xihu District\", \"level\": "
                          "\"county\", \"parent\": \"330100\", "
                          "\"expected_regions\": 1, \"valid_from\": null, "
                          "\"valid_to\": null}") != NULL, "%s", out);
    BOTH(&e, out, "regions", "--changes", "--csv");
    cr_expect_str_eq(
        out,
        "effective_month,change,code,name_zh,successors,note\n"
        "2021-04,abolished,330103,下城区,330105,merged with the former 拱墅区 "
        "into the new 拱墅区\n"
        "2021-04,abolished,330104,江干区,330102 330114,into the new 上城区 "
        "except the 下沙 and 白杨 streets which went to 钱塘区\n"
        "2021-04,redrawn,330102,上城区,,the former 上城区 and the former "
        "江干区 except 下沙 and 白杨\n"
        "2021-04,redrawn,330105,拱墅区,,the former 下城区 and the former "
        "拱墅区\n"
        "2021-04,redrawn,330110,余杭区,330113,kept 12 western streets and "
        "towns; the eastern 8 formed 临平区\n"
        "2021-04,redrawn,330109,萧山区,330114,the 河庄 义蓬 新湾 临江 and 前进 "
        "streets went to 钱塘区\n"
        "2021-04,created,330113,临平区,,from the former 余杭区: 临平 东湖 南苑 "
        "星桥 运河 乔司 崇贤 streets and 塘栖 town\n"
        "2021-04,created,330114,钱塘区,,from 江干区's 下沙 and 白杨 streets and "
        "萧山区's 河庄 义蓬 新湾 临江 前进 streets\n");
    BOTH(&e, out, "regions", "--changes");
    cr_expect_str_eq(line_of(out, "2021-04  abolished  330104", line,
                             sizeof line),
                     "2021-04  abolished  330104  江干区  330102 上城区, "
                     "330114 钱塘区  into the new 上城区 except the 下沙 and "
                     "白杨 streets which went to 钱塘区");
    /* Below Ningbo nothing changed. */
    BOTH(&e, out, "regions", "--changes", "--under", "330200");
    cr_expect_str_eq(out, "no change of the map\n");
}
