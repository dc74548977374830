/* test_faults.c: faults an unattended site meets (issue 9), shown with
 * the real daemons: a second collector on a data directory in use, an
 * agent's spool with two senders. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TestSuite(faults, .init = hx_setup, .fini = hx_teardown, .timeout = 120);

static void read_text(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    fclose(f);
}

/* A second collector on a --data-dir in use used to start and overwrite
 * DATA_DIR/endpoints, sharing the store with the first. */
Test(faults, a_second_collector_on_a_data_dir_in_use_refuses_to_start)
{
    char dir[300];
    char log[300];
    char path[400];
    snprintf(dir, sizeof dir, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t c;
    hx_collector_start(&c, dir, log);
    snprintf(path, sizeof path, "%s/endpoints", dir);
    char before[512];
    read_text(path, before, sizeof before);

    static char out[8192];
    const char *argv[] = {"hrss-collector", "--data-dir", dir, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--insecure", NULL};
    int st = hx_run(argv, 30000, out, sizeof out);
    cr_expect_neq(st, 0, "%s", out);
    char want[128];
    snprintf(want, sizeof want, "in use by another collector (pid %d)",
             (int)c.pid);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    cr_expect(strstr(out, dir) != NULL, "%s", out);
    char after[512];
    read_text(path, after, sizeof after);
    cr_expect_str_eq(after, before, "DATA_DIR/endpoints was overwritten");

    /* The first one still answers. */
    const char *q[] = {"hrssctl", "--connect", c.query, "--insecure",
                       "agents", NULL};
    cr_expect_eq(hx_run(q, 30000, out, sizeof out), 0, "%s", out);

    /* Once it is gone (even by SIGKILL, no clean-up), a new one starts. */
    hx_collector_kill(&c);
    hx_collector_restart(&c);
    cr_expect_eq(hx_collector_stop(&c, 10000), 0);
}
