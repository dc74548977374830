/** @file cmd_catalog.h
 *  @brief hrssctl's catalog commands: `indicators` (the plan's table)
 *         and `regions` (the region tree).
 *
 *  Handlers as described in admin/ctl.h; they ask the collector nothing
 *  beyond the catalog the run already holds.
 *
 *  Owns nothing beyond a call: the result it renders is freed before the
 *  handler returns; the ctl_t, its catalog and the arguments are
 *  borrowed.
 *
 *  INVARIANTS (shared by the cmd_* modules)
 *    1. Errors go to stderr and come back as the exit status
 *       (admin/ctl.h); stdout carries only the answer.
 *    2. One row per indicator or region, in catalog order.
 *    3. Baselines and targets are shown as the plan writes them (display
 *       units, 〔〕) in tables, in raw units in CSV and JSON.
 *    4. No year of the plan is written in code: headers come from
 *       catalog_plan().
 */
#ifndef HRSS_CMD_CATALOG_H
#define HRSS_CMD_CATALOG_H

#include "admin/ctl.h"

/** `indicators`: every indicator with its unit, kind, baseline, target
 *  and basis; CSV and JSON in raw units. */
int cmd_catalog_indicators(ctl_t *x, const ctl_args_t *a);

/** `regions [--under CODE]`: the regions, or CODE and those below it. */
int cmd_catalog_regions(ctl_t *x, const ctl_args_t *a);

#endif
