/* test_receipts.c: an office's receipts (`hrss-agent receipts`) and the
 * province's `hrssctl reconcile` agree, month by month, with the real
 * collector and agent: figures accepted, figures the collector rejected
 * (a month the province approved, so locked), and a file sent again. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "recon_counts.h"

TestSuite(receipts, .init = hx_setup, .fini = hx_teardown, .timeout = 180);

Test(receipts, an_office_and_the_province_agree_month_by_month)
{
    char db[300], log[300], csv[300], csv2[300], state[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    snprintf(csv, sizeof csv, "%s/first.csv", hx_dir);
    snprintf(csv2, sizeof csv2, "%s/second.csv", hx_dir);
    snprintf(state, sizeof state, "%s/office", hx_dir);
    hx_coll_t c;
    hx_collector_start(&c, db, log);
    static char out[65536];
    static char other[65536];
    /* The province approves 2025-03 of 330102: figures for it are
     * rejected (period_locked), which the agent cannot know. */
    const char *appr[] = {"hrssctl", "--connect", c.query, "--insecure",
                          "approve", "--region", "330102", "--period",
                          "2025-03", "--as", "li", NULL};
    cr_assert_eq(hx_run(appr, 30000, out, sizeof out), 0, "%s", out);
    static const char rows[] =
        "indicator,period,value,region\n"
        "urban_new_jobs,2025-01,100,330102\n"
        "pension_insured,2025-01,50,330102\n"
        "urban_new_jobs,2025-02,110,330102\n"
        "urban_new_jobs,2025-03,120,330102\n"
        "pension_insured,2025-03,55,330102\n";
    hx_write(csv, rows, sizeof rows - 1);
    /* A second file revises January and sends March again. */
    static const char rows2[] =
        "indicator,period,value,region\n"
        "urban_new_jobs,2025-01,101,330102\n"
        "urban_new_jobs,2025-03,121,330102\n";
    hx_write(csv2, rows2, sizeof rows2 - 1);
    const char *base[] = {"hrss-agent", "--state-dir", state, "--region",
                          "330102", "--name", "office-a", "--collector",
                          c.ingest, "--insecure"};
#define AGENT(...)                                                          \
    {base[0], base[1], base[2], base[3], base[4], base[5], base[6],        \
     base[7], base[8], base[9], __VA_ARGS__, NULL}
    const char *sub1[] = AGENT("submit", csv);
    cr_assert_eq(hx_run(sub1, 30000, out, sizeof out), 0, "%s", out);
    const char *flush[] = AGENT("flush", "--timeout", "60");
    /* 65: the rejections are listed. */
    cr_assert_eq(hx_run(flush, 90000, out, sizeof out), 65, "%s", out);
    const char *sub2[] = AGENT("submit", csv2);
    cr_assert_eq(hx_run(sub2, 30000, out, sizeof out), 0, "%s", out);
    cr_assert_eq(hx_run(flush, 90000, out, sizeof out), 65, "%s", out);

    const char *rc[] = AGENT("receipts", "--period", "2025", "--csv");
    cr_assert_eq(hx_run_to(rc, NULL, 30000, out, sizeof out), 0, "%s", out);
    recon_counts_t agent = recon_from_receipts(out, "office-a");
    /* The only rejections are of the approved (locked) March. */
    for (int s = 1; s <= RECON_MAX_SEQ; s++) {
        if (agent.outcome[s][0] != '\0' &&
            strcmp(agent.outcome[s], "accepted") != 0) {
            cr_expect_str_eq(agent.outcome[s], "period_locked", "seq %d", s);
        }
    }
    cr_assert_eq(hx_ctl(c.query, db, NULL, 0, other, sizeof other,
                        "reconcile", "--region", "330102", "--period",
                        "2025", "--csv", NULL),
                 0, "%s", other);
    recon_counts_t prov = recon_from_reconcile(other, "office-a");
    for (int m = 1; m <= 12; m++) {
        cr_expect_eq(agent.sub[m], prov.sub[m], "2025-%02d submitted %u/%u",
                     m, agent.sub[m], prov.sub[m]);
        cr_expect_eq(agent.acc[m], prov.acc[m], "2025-%02d accepted %u/%u",
                     m, agent.acc[m], prov.acc[m]);
        cr_expect_eq(agent.rej[m], prov.rej[m], "2025-%02d rejected %u/%u",
                     m, agent.rej[m], prov.rej[m]);
    }
    /* And the numbers themselves. */
    cr_expect_eq(agent.sub[1], 3);
    cr_expect_eq(agent.acc[1], 3);
    cr_expect_eq(agent.sub[2], 1);
    cr_expect_eq(agent.acc[2], 1);
    cr_expect_eq(agent.sub[3], 3);
    cr_expect_eq(agent.rej[3], 3);
    cr_expect_eq(agent.acc[3], 0);
    /* The table form says the same for January. */
    const char *tab[] = AGENT("receipts", "--period", "2025-01");
    cr_assert_eq(hx_run(tab, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "2025-01          3         3         0") != NULL,
              "%s", out);
    /* --data-dir answers as --connect does. */
    static char conn[65536];
    static char dir[65536];
    cr_assert_eq(hx_ctl(c.query, db, NULL, 0, conn, sizeof conn,
                        "reconcile", "--region", "330102", "--period",
                        "2025", NULL),
                 0, "%s", conn);
    cr_assert_eq(hx_collector_stop(&c, 10000), 0);
    cr_assert_eq(hx_ctl(c.query, db, NULL, 1, dir, sizeof dir, "reconcile",
                        "--region", "330102", "--period", "2025", NULL),
                 0, "%s", dir);
    cr_expect_str_eq(conn, dir);
    cr_expect(strstr(conn, "上城区") != NULL, "%s", conn);
#undef AGENT
}
