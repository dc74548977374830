/** @file cmd_reconcile.h
 *  @brief hrssctl reconcile: per office (reporter) and month, the
 *         updates the collector accepted and rejected, to compare with
 *         an office's `hrss-agent receipts`.
 *
 *  Handlers as described in admin/ctl.h; the INVARIANTS of the cmd_*
 *  modules (admin/cmd_audit.h) hold. Owns nothing beyond a call.
 */
#ifndef HRSS_CMD_RECONCILE_H
#define HRSS_CMD_RECONCILE_H

#include "admin/ctl.h"

/** `reconcile [--region CODE] [--period P]`: rows (reporter, region,
 *  month, submitted, accepted, rejected) for regions at or below CODE
 *  (default every region) and months in P (default every month); then,
 *  on stderr, a line per reporter whose older rejections were trimmed
 *  before the collector counted them. */
int cmd_reconcile(ctl_t *x, const ctl_args_t *a);

#endif
