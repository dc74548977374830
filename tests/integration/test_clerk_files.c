/* test_clerk_files.c: files as offices' clerks save them, through the real
 * hrss-agent (issue 11): an Excel GBK file with a title, remarks, names
 * and Chinese months delivered to a real collector and stored; UTF-16;
 * workbooks, duplicates and months before the plan refused with their
 * messages and exit 65; --allow-before-plan; the indicators and regions
 * commands. Fixtures: tests/fixtures/clerk/. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "admin/table.h"
#include "common/period.h"
#include "harness.h"

#ifndef HRSS_TEST_FIXTURES_DIR
#error "HRSS_TEST_FIXTURES_DIR must name tests/fixtures"
#endif

TestSuite(clerk_files, .init = hx_setup, .fini = hx_teardown,
          .timeout = 120);

static char out[65536];

/* hrss-agent --state-dir HX/agent --region 330100 [--collector EP
 * --insecure] ARGS... */
static int agent(const char *endpoint, const char *const args[])
{
    char state[300];
    const char *argv[32];
    size_t n = 0;
    snprintf(state, sizeof state, "%s/agent", hx_dir);
    argv[n++] = "hrss-agent";
    argv[n++] = "--state-dir";
    argv[n++] = state;
    argv[n++] = "--region";
    argv[n++] = "330100";
    if (endpoint != NULL) {
        argv[n++] = "--collector";
        argv[n++] = endpoint;
        argv[n++] = "--insecure";
    }
    for (size_t i = 0; args[i] != NULL && n < 31; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    return hx_run(argv, 60000, out, sizeof out);
}

static const char *fixture(const char *name)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 512, "%s/clerk/%s", HRSS_TEST_FIXTURES_DIR, name);
    return p;
}

static int64_t stored(const char *db, const char *ind, uint32_t region,
                      int y, int m)
{
    catalog_t *cat = NULL;
    store_t *s = NULL;
    char err[ERR_LEN];
    value_t v = {0, -1, -1};
    hx_open_store(db, 0, &cat, &s);
    cr_expect_eq(store_get(s, ind, region, month_make(y, m), &v, err),
                 ERR_OK, "%s: %s", ind, err);
    store_close(&s);
    catalog_destroy(&cat);
    return v.num;
}

Test(clerk_files, excel_gbk_and_utf16_files_are_delivered)
{
    hx_coll_t c;
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_collector_start(&c, db, log);

    const char *sub1[] = {"submit", fixture("excel_gbk.csv"), NULL};
    cr_assert_eq(agent(c.ingest, sub1), 0, "%s", out);
    cr_expect(strstr(out, "queued 4 updates") != NULL, "%s", out);
    cr_expect(strstr(out, "excel_gbk.csv:3: note: header: column '备注' "
                          "ignored") != NULL,
              "%s", out);
    const char *sub2[] = {"submit", fixture("utf16le.csv"), NULL};
    cr_assert_eq(agent(c.ingest, sub2), 0, "%s", out);
    cr_expect(strstr(out, "queued 2 updates") != NULL, "%s", out);
    const char *fl[] = {"flush", "--timeout", "60", NULL};
    cr_assert_eq(agent(c.ingest, fl), 0, "%s", out);
    cr_assert_eq(hx_collector_stop(&c, 20000), 0);

    /* 上城区 by name, "1,234", ４５６ in full width, 2025年10月份. */
    cr_expect_eq(stored(db, "urban_new_jobs", 330102, 2025, 10), 1234);
    cr_expect_eq(stored(db, "senior_title_talent", 330102, 2025, 10), 456);
    cr_expect_eq(stored(db, "urban_new_jobs", 330105, 2025, 9), 1200);
    cr_expect_eq(stored(db, "dispute_mediation_success_rate", 330102, 2025,
                        10),
                 45);
}

/* Submitting @p name must fail with exit 65, say @p want, queue nothing. */
static void refused(const char *name, const char *want)
{
    const char *sub[] = {"submit", fixture(name), NULL};
    cr_expect_eq(agent(NULL, sub), 65, "%s: %s", name, out);
    cr_expect(strstr(out, want) != NULL, "%s: %s", name, out);
    cr_expect(strstr(out, "hrss-agent: nothing was queued") != NULL, "%s",
              out);
}

Test(clerk_files, bad_files_are_refused_with_reasons)
{
    refused("workbook_xlsx.csv",
            "/workbook_xlsx.csv: this is an Excel workbook: save it as CSV "
            "(UTF-8 or GBK)\n");
    refused("workbook_xls.csv",
            "/workbook_xls.csv: this is an Excel workbook: save it as CSV "
            "(UTF-8 or GBK)\n");
    refused("duplicate_cells.csv",
            "/duplicate_cells.csv:3: value: 1300, but line 2 gives 1200 for "
            "the same figure (urban_new_jobs, 330102, 2025-10): keep the "
            "right one\n");
    refused("clerk_errors.csv",
            "/clerk_errors.csv:2: value: '246.88' is not a whole number: "
            "counts are whole persons, not 万人\n");
    refused("before_plan.csv",
            "/before_plan.csv:2: period: 2020-12 is before the plan "
            "(2021-01..2025-12); to send it anyway: hrss-agent submit "
            "--allow-before-plan\n");
}

Test(clerk_files, before_the_plan_with_the_flag_and_warnings_shown)
{
    const char *sub[] = {"submit", "--allow-before-plan",
                         fixture("before_plan.csv"), NULL};
    cr_expect_eq(agent(NULL, sub), 0, "%s", out);
    cr_expect(strstr(out, "queued 2 updates") != NULL, "%s", out);
    const char *one[] = {"submit", "--indicator", "urban_new_jobs",
                         "--period", "2020-06", "--value", "5", NULL};
    cr_expect_eq(agent(NULL, one), 65, "%s", out);
    cr_expect(strstr(out, "--period: 2020-06 is before the plan") != NULL,
              "%s", out);
    const char *one_ok[] = {"submit", "--allow-before-plan", "--indicator",
                            "urban_new_jobs", "--period", "2020-06",
                            "--value", "5", NULL};
    cr_expect_eq(agent(NULL, one_ok), 0, "%s", out);
    const char *warn[] = {"submit", fixture("wan_jump.csv"), NULL};
    cr_expect_eq(agent(NULL, warn), 0, "%s", out);
    cr_expect(strstr(out, "/wan_jump.csv:3: warning: value: 123 is about "
                          "1/10036 of 1234500 in 2025-09 (line 2): was it "
                          "typed in 万人?") != NULL,
              "%s", out);
    cr_expect(strstr(out, "queued 3 updates") != NULL, "%s", out);
}

/* Every line of @p text that holds @p key has it at the same display
 * column as the first. @return the number of such lines. */
static int same_column(char *text, const char *const keys[])
{
    long col = -1;
    int lines = 0;
    for (char *line = text; *line != '\0';) {
        char *end = strchr(line, '\n');
        cr_assert_not_null(end);
        *end = '\0';
        for (size_t k = 0; keys[k] != NULL; k++) {
            char *at = strstr(line, keys[k]);
            if (at == NULL) {
                continue;
            }
            char save = *at;
            *at = '\0';
            long c = (long)table_text_width(line);
            *at = save;
            if (col < 0) {
                col = c;
            }
            cr_expect_eq(c, col, "%s", line);
            lines++;
            break;
        }
        line = end + 1;
    }
    return lines;
}

Test(clerk_files, indicators_and_regions_tables)
{
    const char *ind[] = {"indicators", NULL};
    cr_assert_eq(agent(NULL, ind), 0, "%s", out);
    cr_expect(strstr(out, "其中:高级职称人才数量") != NULL, "%s", out);
    const char *kinds[] = {"  kind ", "  count ", "  ratio ", NULL};
    cr_expect_eq(same_column(out, kinds), 20);

    const char *reg[] = {"hrss-agent", "regions", NULL};
    cr_assert_eq(hx_run(reg, 60000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "330200  宁波市") != NULL, "%s", out);
    cr_expect(strstr(out, "330102  上城区") != NULL, "%s", out);
    const char *levels[] = {"  level ", "  city ", "  county ", NULL};
    cr_expect_gt(same_column(out, levels), 90);
    /* The office's own (--region 330100): 杭州市 and its counties. */
    const char *mine[] = {"hrss-agent", "--region", "330100", "regions",
                          NULL};
    cr_assert_eq(hx_run(mine, 60000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "330102  上城区") != NULL, "%s", out);
    cr_expect(strstr(out, "宁波市") == NULL, "%s", out);
    const char *bad[] = {"hrss-agent", "--region", "999999", "regions",
                         NULL};
    cr_expect_eq(hx_run(bad, 60000, out, sizeof out), 64, "%s", out);
}
