/** @file cmd_plan.h
 *  @brief hrssctl `progress`: every indicator of the plan against its
 *         target, at a period and for a region.
 *
 *  The arithmetic is admin/progress's; this module asks one total per
 *  indicator over the period progress_span() says and lays the rows out.
 *
 *  Owns nothing beyond a call: the rows it collects are freed before
 *  cmd_plan_progress() returns; cmd_plan_print() borrows everything it
 *  is given for the call.
 *
 *  INVARIANTS (shared by the cmd_* modules)
 *    1. Errors go to stderr and come back as the exit status
 *       (admin/ctl.h); stdout carries only the answer, printed once every
 *       total has been answered.
 *    2. Rows are in catalog order; an indicator without a report in its
 *       period shows "-" (null in JSON), never 0.
 *    3. Tables speak the plan's language (its title, display units, 〔〕);
 *       CSV and JSON give every figure in raw units.
 *    4. No plan year, length or title is written in code: all come from
 *       catalog_plan().
 */
#ifndef HRSS_CMD_PLAN_H
#define HRSS_CMD_PLAN_H
#include <stdio.h>

#include "admin/ctl.h"
#include "admin/progress.h"

/** `progress [--period P] [--region CODE] [--approved]`: asks each
 *  indicator's total over its progress_span() (with --approved, of
 *  approved figures only, the province's for 占全省 too) and prints
 *  cmd_plan_print_q(). Without --period: progress_default_period() now. */
int cmd_plan_progress(ctl_t *x, const ctl_args_t *a);

/** Print the progress of region @p region (named @p region_name) at
 *  @p p to @p f in form @p fmt: @p rows holds one progress_row() per
 *  indicator of @p cat, in catalog order. The table's title, year
 *  headers and footer come from catalog_plan(@p cat); CSV and JSON are in
 *  raw units. Times are not involved; @p tz is the display offset. The
 *  table fits a screen @p width columns wide (0: whole; render_width). */
void cmd_plan_print(FILE *f, enum render_fmt fmt, const catalog_t *cat,
                    uint32_t region, const char *region_name,
                    const period_t *p, const progress_row_t *rows, long tz,
                    size_t width);

/** cmd_plan_print(), of approved figures only when @p approved_only
 *  (progress --approved: the rows' totals are store_total_approved()'s):
 *  the title and footer say so, and JSON's "approved_only" is true. */
void cmd_plan_print_q(FILE *f, enum render_fmt fmt, const catalog_t *cat,
                      uint32_t region, const char *region_name,
                      const period_t *p, const progress_row_t *rows,
                      long tz, size_t width, int approved_only);

#endif
