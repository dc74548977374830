/** @file cmd_store.h
 *  @brief hrssctl's commands on the store as a whole: `backup` (a hot
 *         copy) and `export` (every current value as an agent's CSV).
 *
 *  Handlers as described in admin/ctl.h.
 *
 *  Owns nothing beyond a call: each answer, and the result it is
 *  rendered into, is freed before the handler returns; the ctl_t and the
 *  arguments are borrowed.
 *
 *  INVARIANTS (shared by the cmd_* modules)
 *    1. Errors go to stderr and come back as the exit status
 *       (admin/ctl.h); stdout carries only the answer, printed once the
 *       query has succeeded (export: each page once it has; a failure
 *       midway leaves the pages before it printed and exits non-zero).
 *    2. export prints the agent's CSV format (indicator, period, value,
 *       numerator, denominator, region; raw units), rows in the order of
 *       the answer, so a sheet can be corrected and submitted again;
 *       with --json it is a usage error. It holds one page at a time.
 *    3. backup over the query socket asks for a plain NAME that the
 *       collector writes into its --backup-dir (admin keys only); with
 *       --data-dir it writes the directory given, on this host.
 */
#ifndef HRSS_CMD_STORE_H
#define HRSS_CMD_STORE_H

#include "admin/ctl.h"

/** `backup NAME|DIR`: a compacted copy of the store in the collector's
 *  --backup-dir/NAME, or in DIR with --data-dir. */
int cmd_store_backup(ctl_t *x, const ctl_args_t *a);

/** `export --format csv [--from P --to P]`: CSV, the agent's input
 *  format, with or without --csv; --json is a usage error. */
int cmd_store_export(ctl_t *x, const ctl_args_t *a);

#endif
