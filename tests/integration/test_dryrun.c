/* test_dryrun.c: `hrss-agent submit --dry-run` with the real collector:
 * each row's fate as the collector would decide it (a locked month, an
 * "of which" figure above its whole), by file and line, and nothing kept
 * anywhere. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(dryrun, .init = hx_setup, .fini = hx_teardown, .timeout = 120);

Test(dryrun, says_what_would_happen_and_keeps_nothing)
{
    char db[300];
    char log[300];
    char csv[300];
    char state[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    snprintf(csv, sizeof csv, "%s/october.csv", hx_dir);
    snprintf(state, sizeof state, "%s/office", hx_dir);
    hx_coll_t c;
    hx_collector_start(&c, db, log);
    static char out[16384];
    const char *appr[] = {"hrssctl", "--connect", c.query, "--insecure",
                          "approve", "--region", "330105", "--period",
                          "2025-10", "--as", "li", NULL};
    cr_assert_eq(hx_run(appr, 30000, out, sizeof out), 0, "%s", out);
    static const char rows[] =
        "indicator,period,value,region\n"
        "urban_new_jobs,2025-10,100,330102\n"
        "urban_new_jobs,2025-10,7,330105\n"
        "professional_technical_talent,2025-10,50,330102\n"
        "senior_title_talent,2025-10,60,330102\n";
    hx_write(csv, rows, sizeof rows - 1);
    const char *dry[] = {"hrss-agent", "--state-dir", state, "--region",
                         "330100", "--collector", c.ingest, "--insecure",
                         "submit", "--dry-run", csv, NULL};
    cr_expect_eq(hx_run(dry, 30000, out, sizeof out), 65, "%s", out);
    char want[1200];
    snprintf(want, sizeof want,
             "%s:3: would be refused: period: 2025-10 of region 330105 is "
             "approved, so locked: changes need it unapproved first "
             "[period_locked]\n", csv);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    /* Both figures of the pair are flagged: the whole and its part. */
    for (int line = 4; line <= 5; line++) {
        snprintf(want, sizeof want,
                 "%s:%d: would be taken, flagged: of which: "
                 "senior_title_talent 60 would be above "
                 "professional_technical_talent 50\n", csv, line);
        cr_expect(strstr(out, want) != NULL, "%s", out);
    }
    cr_expect(strstr(out, "dry run: 3 rows would be taken (2 flagged), 1 "
                          "refused; nothing was queued or stored\n") != NULL,
              "%s", out);
    /* Nothing kept: no figure, no agent at the collector, no queue. */
    const char *total[] = {"hrssctl", "--connect", c.query, "--insecure",
                           "total", "urban_new_jobs", "--period", "2025-10",
                           "--json", NULL};
    cr_expect_eq(hx_run(total, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "\"value\": null") != NULL, "%s", out);
    const char *agents[] = {"hrssctl", "--connect", c.query, "--insecure",
                            "agents", "--csv", NULL};
    cr_expect_eq(hx_run(agents, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "330100") == NULL, "%s", out);
    const char *status[] = {"hrss-agent", "--state-dir", state, "--region",
                            "330100", "status", NULL};
    cr_expect_eq(hx_run(status, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "queued:          0 updates") != NULL, "%s", out);
    /* All rows fine: exit 0. */
    static const char good[] = "indicator,period,value,region\n"
                               "urban_new_jobs,2025-10,100,330102\n";
    hx_write(csv, good, sizeof good - 1);
    cr_expect_eq(hx_run(dry, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "dry run: 1 row would be taken (0 flagged), 0 "
                          "refused") != NULL, "%s", out);
    /* No collector: 69, said. */
    cr_assert_eq(hx_collector_stop(&c, 10000), 0);
}
