/** @file cmd_figures.h
 *  @brief hrssctl's questions about figures: `total`, `breakdown` and
 *         `series` of one indicator.
 *
 *  Handlers as described in admin/ctl.h. All three print the same
 *  columns for scripts (indicator, region, period, kind, value,
 *  numerator, denominator, reporting_regions, expected_regions), so a
 *  script reads any of them the same way; `breakdown --csv` adds a first
 *  column `part` (own, child, total).
 *
 *  Owns nothing beyond a call: each answer, and the result it is
 *  rendered into, is freed before the handler returns; the ctl_t and the
 *  arguments are borrowed.
 *
 *  INVARIANTS (shared by the cmd_* modules)
 *    1. Errors go to stderr and come back as the exit status
 *       (admin/ctl.h); stdout carries only the answer, printed once the
 *       query has succeeded.
 *    2. Rows are in the order of the answer: a breakdown's own report,
 *       its children in catalog order, then its total; a series' periods
 *       in time order.
 *    3. For scripts every total has the same columns, in raw units
 *       (whole persons, or a ratio's fraction): a ratio always gives its
 *       numerator and denominator, a count never does.
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
