/** @file cmd_comment.h
 *  @brief hrssctl's comment commands: comment (a comment on a cell,
 *         which may mark it for follow-up or clear the mark) and
 *         followups (the cells marked now).
 *
 *  Handlers as described in admin/ctl.h. Owns nothing beyond a call.
 *
 *  INVARIANTS
 *    1. A comment is asked of the collector, which writes it; nothing is
 *       printed on stdout when it is refused (the collector's reason goes
 *       to stderr, exit 1).
 */
#ifndef HRSS_CMD_COMMENT_H
#define HRSS_CMD_COMMENT_H

#include "admin/ctl.h"

int cmd_comment(ctl_t *x, const ctl_args_t *a);
int cmd_followups(ctl_t *x, const ctl_args_t *a);

#endif
