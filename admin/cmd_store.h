/** @file cmd_store.h
 *  @brief hrssctl's commands on the store as a whole: `backup` (a hot
 *         copy) and `export` (every current value as an agent's CSV).
 *
 *  Handlers as described in admin/ctl.h.
 */
#ifndef HRSS_CMD_STORE_H
#define HRSS_CMD_STORE_H

#include "admin/ctl.h"

/** `backup DEST`: a compacted copy of the store in DEST (on the
 *  collector's host). */
int cmd_store_backup(ctl_t *x, const ctl_args_t *a);

/** `export --format csv [--from P --to P]`: always CSV, whatever
 *  --json/--csv say, because it is the agent's input format. */
int cmd_store_export(ctl_t *x, const ctl_args_t *a);

#endif
