/** @file cmd_check.h
 *  @brief hrssctl's `check`: the offline check of a whole store file
 *         (store_check), with the collector stopped.
 *
 *  Handler as described in admin/ctl.h. Unlike every other command it
 *  opens the store itself (ctl_t.data_dir, ctl_t.catalog_dir), not
 *  through a client: the check needs a scratch write transaction, which
 *  LMDB would make the collector's writes wait for, so it takes the
 *  collector's lock (DATA_DIR/collector.lock) and refuses while a
 *  collector holds it.
 *
 *  INVARIANTS
 *    1. Nothing in DATA_DIR changes but the lock file and LMDB's
 *       lock.mdb: store_check writes nothing, and the open refuses a
 *       store that would need an upgrade or a rebuild.
 *    2. Exit 0 only when the store is sound (every record, checksum,
 *       cross reference and aggregate); 1 when damage was found or the
 *       check could not be made, with stderr saying which.
 */
#ifndef HRSS_CMD_CHECK_H
#define HRSS_CMD_CHECK_H

#include "admin/ctl.h"

/** `check` (--data-dir only): one line per problem on stdout, then a
 *  summary; --json: one object. */
int cmd_check(ctl_t *x, const ctl_args_t *a);

#endif
