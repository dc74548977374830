/* recon_counts.c: see recon_counts.h. */
#include "recon_counts.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

recon_counts_t recon_from_receipts(char *csv, const char *reporter)
{
    recon_counts_t c;
    memset(&c, 0, sizeof c);
    char *save = NULL;
    char *line = strtok_r(csv, "\n", &save);
    cr_assert_not_null(line);
    cr_assert_str_eq(line, "reporter,seq,indicator,region,month,value,"
                           "outcome,position,head,acked_at");
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char rep[64], ind[64], month[16], value[32], outcome[32];
        unsigned long long seq;
        unsigned region;
        int y, m;
        cr_assert_eq(sscanf(line, "%63[^,],%llu,%63[^,],%u,%15[^,],%31[^,],"
                                  "%31[^,],",
                            rep, &seq, ind, &region, month, value, outcome),
                     7, "%s", line);
        cr_assert_str_eq(rep, reporter, "%s", line);
        cr_assert_eq(sscanf(month, "%d-%d", &y, &m), 2, "%s", line);
        cr_assert(y == 2025 && m >= 1 && m <= 12, "%s", line);
        cr_assert(seq >= 1 && seq <= RECON_MAX_SEQ, "%s", line);
        snprintf(c.outcome[seq], sizeof c.outcome[seq], "%s", outcome);
        c.sub[m]++;
        if (strcmp(outcome, "accepted") == 0) {
            c.acc[m]++;
        } else if (strcmp(outcome, "unknown") == 0) {
            c.unk[m]++;
        } else {
            c.rej[m]++;
        }
    }
    return c;
}

recon_counts_t recon_from_reconcile(char *csv, const char *reporter)
{
    recon_counts_t c;
    memset(&c, 0, sizeof c);
    char *save = NULL;
    char *line = strtok_r(csv, "\n", &save);
    cr_assert_not_null(line);
    cr_assert_str_eq(line, "reporter,region,region_name,month,submitted,"
                           "accepted,rejected");
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char rep[64], name[128];
        unsigned region, sub, acc, rej;
        int y, m;
        cr_assert_eq(sscanf(line, "%63[^,],%u,%127[^,],%d-%d,%u,%u,%u", rep,
                            &region, name, &y, &m, &sub, &acc, &rej),
                     8, "%s", line);
        cr_assert_str_eq(rep, reporter, "%s", line);
        cr_assert(y == 2025 && m >= 1 && m <= 12, "%s", line);
        c.sub[m] += sub;
        c.acc[m] += acc;
        c.rej[m] += rej;
    }
    return c;
}
