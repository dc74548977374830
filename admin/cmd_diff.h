/** @file cmd_diff.h
 *  @brief `hrssctl diff [IND] --from TIME --to TIME [--region CODE]`: the
 *         figures whose value changed between two moments (preliminary
 *         against revised), and the region's totals before and after.
 */
#ifndef HRSS_ADMIN_CMD_DIFF_H
#define HRSS_ADMIN_CMD_DIFF_H

#include "admin/ctl.h"

/** One DiffQ; a table (or --json/--csv rows) of the changed cells, then
 *  one row per (indicator, month) with the region's totals. */
int cmd_diff(ctl_t *x, const ctl_args_t *a);

#endif
