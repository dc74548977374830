/* test_ranges.c: bounds set by hand (hrss-collector --ranges) flag a
 * figure outside them as an outlier, with the real collector, agent and
 * hrssctl; `hrssctl ranges` writes a file the collector takes; a bad file
 * is refused naming its line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(ranges, .init = hx_setup, .fini = hx_teardown, .timeout = 120);

static void start(hx_coll_t *c, const char *db, const char *ranges)
{
    char log[300];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query", "tcp://127.0.0.1:*",
                          "--insecure", "--ranges", ranges, NULL};
    hx_collector_exec(c, db, log, argv);
}

/* 上城区 sends urban_new_jobs for 2025-10 = @p value; flush's status. */
static int send(const hx_coll_t *c, const char *value, char *out,
                size_t len)
{
    char state[300];
    snprintf(state, sizeof state, "%s/office", hx_dir);
    const char *sub[] = {"hrss-agent", "--state-dir", state, "--region",
                         "330102", "submit", "--indicator", "urban_new_jobs",
                         "--period", "2025-10", "--value", value, NULL};
    cr_assert_eq(hx_run(sub, 30000, out, len), 0, "%s", out);
    const char *fl[] = {"hrss-agent", "--state-dir", state, "--region",
                        "330102", "--collector", c->ingest, "--insecure",
                        "flush", "--timeout", "10", NULL};
    return hx_run(fl, 30000, out, len);
}

Test(ranges, a_figure_outside_its_bounds_is_flagged_not_refused)
{
    char db[300];
    char file[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(file, sizeof file, "%s/ranges.csv", hx_dir);
    static const char text[] = "indicator,region,min,max\n"
                               "urban_new_jobs,330102,10,500\n"
                               "劳动人事争议调解成功率,330102,0.7,\n";
    hx_write(file, text, sizeof text - 1);
    hx_coll_t c;
    start(&c, db, file);
    static char out[16384];
    cr_expect_eq(send(&c, "1000", out, sizeof out), 0, "%s", out);
    const char *q[] = {"hrssctl", "--connect", c.query, "--insecure",
                       "outliers", "--period", "2025-10", "--json", NULL};
    cr_assert_eq(hx_run(q, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "\"reasons\": [\"range\"]") != NULL, "%s", out);
    cr_expect(strstr(out, "\"range_min\": 10, \"range_max\": 500") != NULL,
              "%s", out);
    /* Back inside: the flag goes. */
    cr_expect_eq(send(&c, "400", out, sizeof out), 0, "%s", out);
    cr_assert_eq(hx_run(q, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "[\n]") != NULL, "%s", out);
    /* hrssctl ranges: the history as a file the collector takes. */
    char gen[300];
    snprintf(gen, sizeof gen, "%s/generated.csv", hx_dir);
    const char *r[] = {"hrssctl", "--connect", c.query, "--insecure",
                       "ranges", "--from", "2025-01", "--to", "2025-12",
                       NULL};
    cr_assert_eq(hx_run_to(r, gen, 30000, out, sizeof out), 0, "%s", out);
    cr_assert_eq(hx_collector_stop(&c, 10000), 0);
    cr_expect_eq(hx_file_contains(gen, "indicator,region,min,max\n"
                                       "urban_new_jobs,330102,400,400\n"),
                 1);
    start(&c, db, gen);
    cr_assert_eq(hx_collector_stop(&c, 10000), 0);
}

Test(ranges, a_bad_file_is_refused_naming_its_line)
{
    char db[300];
    char file[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(file, sizeof file, "%s/ranges.csv", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    static const char text[] = "indicator,region,min,max\n"
                               "urban_new_jobs,330102,10,500\n"
                               "urban_new_jobs,330102,500,10\n";
    hx_write(file, text, sizeof text - 1);
    static char out[8192];
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query", "tcp://127.0.0.1:*",
                          "--insecure", "--ranges", file, NULL};
    cr_expect_eq(hx_run(argv, 30000, out, sizeof out), 1, "%s", out);
    char want[400];
    snprintf(want, sizeof want, "ranges: %s:3: min: above max", file);
    cr_expect(strstr(out, want) != NULL, "%s", out);
}
