/** @file cmdopts.h
 *  @brief The options of hrss-agent's subcommands status, check,
 *         receipts and keygen, parsed apart from agent/main.c: each parser
 *         fills a plain struct and, on a usage error, says why in
 *         @p err for the caller's one usage message.
 *
 *  INVARIANTS
 *    1. A parser returns 0 and fills its outputs, or CMDOPTS_USAGE with
 *       @p err set ("" when getopt_long has already said why on stderr).
 *    2. Each resets optind before parsing: a subcommand's argv starts
 *       with its own name.
 */
#ifndef HRSS_CMDOPTS_H
#define HRSS_CMDOPTS_H
#include "common/err.h"
#include "common/period.h"
#include "agent/receipts.h"

/** sysexits' EX_USAGE: what a parser returns for bad options. */
#define CMDOPTS_USAGE 64

/** check [--json] (and any command whose one option is --json).
 *  @return 0 or CMDOPTS_USAGE. */
int cmdopts_json(int argc, char **argv, int *json, char err[ERR_LEN]);

/** status [--json] [--due-days N]: @p due_days 0..DUE_DAYS_MAX (default
 *  DUE_DAYS_DEFAULT). @return 0 or CMDOPTS_USAGE. */
int cmdopts_status(int argc, char **argv, int *json, int *due_days,
                   char err[ERR_LEN]);

/** What `receipts` was asked. Plain value struct. */
typedef struct cmdopts_receipts {
    enum receipts_form form;  /**< table unless --json or --csv */
    int has_period;           /**< --period given */
    period_t period;
} cmdopts_receipts_t;

/** receipts [--period P] [--json | --csv]. @return 0 or CMDOPTS_USAGE. */
int cmdopts_receipts(int argc, char **argv, cmdopts_receipts_t *out,
                     char err[ERR_LEN]);

/** keygen --out NAME: @p out borrows from @p argv.
 *  @return 0 or CMDOPTS_USAGE. */
int cmdopts_keygen(int argc, char **argv, const char **out,
                   char err[ERR_LEN]);

#endif
