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

/** `ranges --from P --to P [--region CODE]`: for each indicator and
 *  region with figures in the period, the smallest and largest, as the
 *  CSV the collector's --ranges takes (indicator,region,min,max; raw
 *  units, a ratio as a fraction), to be edited. CSV only. */
int cmd_quality_ranges(ctl_t *x, const ctl_args_t *a);

#endif
