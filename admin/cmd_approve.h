/** @file cmd_approve.h
 *  @brief hrssctl's approval commands: approve, unapprove, accept,
 *         unaccept a region's month (--region CODE --period YYYY-MM,
 *         [--as NAME] on a plain collector), and approvals (each
 *         region's state for a month and the actions taken).
 *
 *  Handlers as described in admin/ctl.h. Owns nothing beyond a call.
 *
 *  INVARIANTS
 *    1. An action is asked of the collector, which writes it; nothing is
 *       printed on stdout when it is refused (the collector's reason
 *       goes to stderr, exit 1).
 */
#ifndef HRSS_CMD_APPROVE_H
#define HRSS_CMD_APPROVE_H

#include "admin/ctl.h"

int cmd_approve(ctl_t *x, const ctl_args_t *a);
int cmd_unapprove(ctl_t *x, const ctl_args_t *a);
int cmd_accept(ctl_t *x, const ctl_args_t *a);
int cmd_unaccept(ctl_t *x, const ctl_args_t *a);
/** except/unexcept --region CODE --period YYYY-MM: the province lets a
 *  region's month in past the automatic lock (hrss-collector
 *  --lock-after-days), or withdraws that. */
int cmd_except(ctl_t *x, const ctl_args_t *a);
int cmd_unexcept(ctl_t *x, const ctl_args_t *a);
int cmd_approvals(ctl_t *x, const ctl_args_t *a);

#endif
