/** @file cmd_audit.h
 *  @brief hrssctl's questions about the data's state rather than its
 *         figures: who has reported (`completeness`), what a figure was
 *         (`history`), what was refused (`rejections`), who sends
 *         (`agents`) and which "of which" rules are broken
 *         (`violations`).
 *
 *  Handlers as described in admin/ctl.h; each asks one query and prints
 *  one row per item of the answer.
 *
 *  Owns nothing beyond a call: each answer, and the result it is
 *  rendered into, is freed before the handler returns; the ctl_t and the
 *  arguments are borrowed.
 *
 *  INVARIANTS (shared by the cmd_* modules)
 *    1. Errors go to stderr and come back as the exit status
 *       (admin/ctl.h); stdout carries only the answer, printed once the
 *       query has succeeded.
 *    2. Rows are in the order of the answer.
 *    3. --csv and --json print raw units: whole numbers, a ratio's
 *       fraction, codes and names in separate fields. Times read at the
 *       display offset in tables and CSV, as unix seconds in JSON.
 */
#ifndef HRSS_CMD_AUDIT_H
#define HRSS_CMD_AUDIT_H

#include "admin/ctl.h"

/** `completeness --period P [--region CODE]`. */
int cmd_audit_completeness(ctl_t *x, const ctl_args_t *a);

/** `history IND --region CODE --period YYYY-MM`: every value received. */
int cmd_audit_history(ctl_t *x, const ctl_args_t *a);

/** `rejections [--since TIME]`. */
int cmd_audit_rejections(ctl_t *x, const ctl_args_t *a);

/** `agents`: each agent's sequence numbers and contacts. */
int cmd_audit_agents(ctl_t *x, const ctl_args_t *a);

/** `violations [--period P] [--region CODE]`. */
int cmd_audit_violations(ctl_t *x, const ctl_args_t *a);

#endif
