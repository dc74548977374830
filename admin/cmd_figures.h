/** @file cmd_figures.h
 *  @brief hrssctl's questions about figures: `total`, `breakdown` and
 *         `series` of one indicator.
 *
 *  Handlers as described in admin/ctl.h. All three print the same
 *  columns for scripts (indicator, region, period, kind, value,
 *  numerator, denominator, reporting_regions, expected_regions), so a
 *  script reads any of them the same way; `breakdown --csv` adds a first
 *  column `part` (own, child, total).
 */
#ifndef HRSS_CMD_FIGURES_H
#define HRSS_CMD_FIGURES_H

#include "admin/ctl.h"

/** `total IND --period P [--region CODE]`. */
int cmd_figures_total(ctl_t *x, const ctl_args_t *a);

/** `breakdown IND --period P [--region CODE]`: the region's own report,
 *  each child's total and the region's total. */
int cmd_figures_breakdown(ctl_t *x, const ctl_args_t *a);

/** `series IND --from P --to P [--region CODE] [--by month|quarter|year]`.
 */
int cmd_figures_series(ctl_t *x, const ctl_args_t *a);

#endif
