/** @file cmd_catalog.h
 *  @brief hrssctl's catalog commands: `indicators` (the plan's table)
 *         and `regions` (the region tree).
 *
 *  Handlers as described in admin/ctl.h; they ask the collector nothing
 *  beyond the catalog the run already holds.
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
