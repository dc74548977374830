/* test_receipts_restore.c: an office's own receipts, as `hrss-agent
 * receipts --csv` writes them, expose a collector store restored from an
 * older backup (`hrssctl audit verify --receipts`), with the real
 * collector, agent and hrssctl: the backup is taken between two of the
 * office's submissions, and put back in place while the collector is
 * stopped. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(receipts_restore, .init = hx_setup, .fini = hx_teardown,
          .timeout = 180);

/* The position and head of the receipts file's last line (the newest
 * acknowledgement): columns by the header's names. */
static void last_receipt(const char *csv, unsigned long long *pos,
                         char head[65])
{
    const char *hdr = "reporter,seq,indicator,region,month,value,outcome,"
                      "position,head,acked_at\n";
    cr_assert_eq(strncmp(csv, hdr, strlen(hdr)), 0, "%s", csv);
    const char *last = NULL;
    for (const char *p = csv + strlen(hdr); *p != '\0';) {
        last = p;
        const char *nl = strchr(p, '\n');
        cr_assert_not_null(nl, "%s", csv);
        p = nl + 1;
    }
    cr_assert_not_null(last, "no receipt: %s", csv);
    const char *f = last;
    for (int i = 0; i < 7; i++) { /* to the 8th column, position */
        f = strchr(f, ',');
        cr_assert_not_null(f, "%s", last);
        f++;
    }
    cr_assert_eq(sscanf(f, "%llu,%64[0-9a-f],", pos, head), 2, "%s", last);
    cr_assert_eq(strlen(head), 64, "%s", last);
}

Test(receipts_restore, an_office_receipts_expose_an_older_backup)
{
    char db[300], log[300], bak[300], state[300], csv1[300], csv2[300];
    char rcpt[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    snprintf(bak, sizeof bak, "%s/bak", hx_dir);
    snprintf(state, sizeof state, "%s/office", hx_dir);
    snprintf(csv1, sizeof csv1, "%s/january.csv", hx_dir);
    snprintf(csv2, sizeof csv2, "%s/february.csv", hx_dir);
    snprintf(rcpt, sizeof rcpt, "%s/receipts.csv", hx_dir);
    static const char jan[] = "indicator,period,value,region\n"
                              "urban_new_jobs,2025-01,100,330102\n"
                              "pension_insured,2025-01,50,330102\n";
    static const char feb[] = "indicator,period,value,region\n"
                              "urban_new_jobs,2025-02,110,330102\n"
                              "pension_insured,2025-02,51,330102\n";
    hx_write(csv1, jan, sizeof jan - 1);
    hx_write(csv2, feb, sizeof feb - 1);

    hx_coll_t c;
    hx_collector_start(&c, db, log);
    const char *base[] = {"hrss-agent", "--state-dir", state, "--region",
                          "330102", "--name", "office-a", "--collector",
                          c.ingest, "--insecure"};
#define AGENT(...)                                                          \
    {base[0], base[1], base[2], base[3], base[4], base[5], base[6],        \
     base[7], base[8], base[9], __VA_ARGS__, NULL}
    static char out[65536];
    const char *sub1[] = AGENT("submit", csv1);
    const char *sub2[] = AGENT("submit", csv2);
    const char *flush[] = AGENT("flush", "--timeout", "60");
    const char *rc[] = AGENT("receipts", "--csv");
    cr_assert_eq(hx_run(sub1, 30000, out, sizeof out), 0, "%s", out);
    cr_assert_eq(hx_run(flush, 90000, out, sizeof out), 0, "%s", out);

    /* The province's backup holds January; then February is accepted. */
    cr_assert_eq(hx_ctl(c.query, db, NULL, 1, out, sizeof out, "backup",
                        bak, NULL),
                 0, "%s", out);
    cr_assert_eq(hx_run(sub2, 30000, out, sizeof out), 0, "%s", out);
    cr_assert_eq(hx_run(flush, 90000, out, sizeof out), 0, "%s", out);

    /* The office's receipts: four figures, the newest acknowledged at
     * position 4 with the collector's head. */
    cr_assert_eq(hx_run_to(rc, rcpt, 30000, out, sizeof out), 0, "%s", out);
    static char file[65536];
    FILE *f = fopen(rcpt, "r");
    cr_assert_not_null(f);
    size_t n = fread(file, 1, sizeof file - 1, f);
    fclose(f);
    file[n] = '\0';
    unsigned long long pos = 0;
    char head[65];
    last_receipt(file, &pos, head);
    cr_assert_eq(pos, 4, "%s", file);
    char want[300];
    snprintf(want, sizeof want, "position 4\nhead %s\n", head);
    cr_assert_eq(hx_ctl(c.query, db, NULL, 0, out, sizeof out, "audit",
                        "head", NULL),
                 0, "%s", out);
    cr_assert_eq(strncmp(out, want, strlen(want)), 0,
                 "the collector's head is the office's receipt: %s / %s",
                 out, want);

    /* The store as it is: the receipts match. */
    cr_assert_eq(hx_collector_stop(&c, 10000), 0);
    cr_assert_eq(hx_ctl(c.query, db, NULL, 1, out, sizeof out, "audit",
                        "verify", "--receipts", rcpt, NULL),
                 0, "%s", out);
    cr_assert(strstr(out, "audit verify: sound: position 4") == out, "%s",
              out);

    /* The older backup put back in place: the office's newest receipt
     * names a position the store no longer has. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp %s/data.mdb %s/data.mdb", bak, db);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    int st = hx_ctl(c.query, db, NULL, 1, out, sizeof out, "audit",
                    "verify", "--receipts", rcpt, NULL);
    cr_assert_eq(st, 2, "%s", out);
    cr_assert(strstr(out, "(office-a, acked ") != NULL, "%s", out);
    cr_assert(strstr(out, "position 4 is beyond the chain's length 2") !=
                  NULL,
              "%s", out);
    cr_assert(strstr(out, "audit verify: DOES NOT MATCH: position 2") !=
                  NULL,
              "%s", out);
    /* Without the receipts, the restored store is sound in itself: only
     * the office's receipt tells. */
    cr_assert_eq(hx_ctl(c.query, db, NULL, 1, out, sizeof out, "audit",
                        "verify", NULL),
                 0, "%s", out);
#undef AGENT
}
