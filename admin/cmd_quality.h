/** @file cmd_quality.h
 *  @brief hrssctl's questions about figures that look wrong against their
 *         own history: `outliers` (store/outlier.h has the rule).
 *
 *  Handlers as described in admin/ctl.h; the INVARIANTS of the cmd_*
 *  modules (admin/cmd_audit.h) hold. Owns nothing beyond a call.
 */
#ifndef HRSS_CMD_QUALITY_H
#define HRSS_CMD_QUALITY_H

#include "admin/ctl.h"

/** `outliers --period P [--region CODE]`: the flagged figures of P's
 *  months at or below the region, with the reasons and statistics. */
int cmd_quality_outliers(ctl_t *x, const ctl_args_t *a);

#endif
