/* recon_counts.h: the two sides of a reconciliation as tests read them:
 * an office's `hrss-agent receipts --csv` and the province's `hrssctl
 * reconcile --csv`, summed per month of 2025 (issue 14). Shared by
 * test_receipts.c and test_lost_ack.c. */
#ifndef HRSS_TESTS_RECON_COUNTS_H
#define HRSS_TESTS_RECON_COUNTS_H

/* Highest seq whose outcome is kept. */
#define RECON_MAX_SEQ 63

/* Per month of 2025 (index 1..12): submitted, accepted, rejected and (a
 * receipt only) unknown; and each seq's outcome (receipts only). */
typedef struct recon_counts {
    unsigned sub[13], acc[13], rej[13], unk[13];
    char outcome[RECON_MAX_SEQ + 1][32];
} recon_counts_t;

/* Sum the receipts file @p csv (modified: strtok) of @p reporter: every
 * line must be the reporter's, of a month of 2025, with a seq up to
 * RECON_MAX_SEQ; "accepted", "unknown", any other outcome a rejection. */
recon_counts_t recon_from_receipts(char *csv, const char *reporter);

/* Sum reconcile's CSV rows (@p csv, modified) of @p reporter per month;
 * every row must be the reporter's and of 2025. */
recon_counts_t recon_from_reconcile(char *csv, const char *reporter);

#endif
