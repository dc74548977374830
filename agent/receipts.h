/** @file receipts.h
 *  @brief What `hrss-agent receipts` prints: the office's receipts (the
 *         spool's record of every update the collector acknowledged), as
 *         a table per month, the receipts file (CSV), or JSON.
 *
 *  The receipts file is the contract with `hrssctl audit verify
 *  --receipts`: a header line
 *  `reporter,seq,indicator,region,month,value,outcome,position,head,acked_at`
 *  then one line per receipt in seq order (README, An office's receipts).
 *
 *  INVARIANTS
 *    1. The three forms count the same receipts: those whose month lies
 *       in the period (all without one).
 *    2. What came from the collector (outcome) reaches the terminal only
 *       through the table code (controls as spaces) and JSON only through
 *       json_put_str().
 */
#ifndef HRSS_RECEIPTS_H
#define HRSS_RECEIPTS_H
#include <stdio.h>

#include "agent/spool.h"
#include "common/err.h"
#include "common/period.h"

enum receipts_form { RECEIPTS_TABLE, RECEIPTS_CSV, RECEIPTS_JSON };

/** Print the receipts of @p sp whose month lies in @p period (NULL: all)
 *  to @p f in @p form, naming the reporter @p reporter (borrowed; the
 *  name the collector knows the agent by). The table ends with a line
 *  saying how many updates still wait for an answer (@p queued).
 *  @return ERR_OK, or the spool's error with @p err set. */
int receipts_print(spool_t *sp, const char *reporter, const period_t *period,
                   uint64_t queued, enum receipts_form form, FILE *f,
                   char err[ERR_LEN]);

/** `hrss-agent receipts`: receipts_print() to @p f, the reporter named
 *  by the spool's identity (else @p name_opt, borrowed, may be NULL),
 *  with the count of queued updates; a spool error is said on stderr.
 *  @return the exit status: 0, or 1 after a spool error. */
int receipts_command(spool_t *sp, const char *name_opt,
                     const period_t *period, enum receipts_form form,
                     FILE *f);

/** "YYYY-MM-DDTHH:MM:SSZ" of @p t into @p out (at least 21 bytes). */
void receipts_iso_time(int64_t t, char *out, size_t cap);

#endif
