/** @file cmd_chain.h
 *  @brief hrssctl's `audit head` and `audit verify [--receipts FILE]`: the
 *         audit chain (store/chain.h, issue 14).
 *
 *  `audit head` asks the collector (AuditHeadQ) or, with --data-dir, reads
 *  the store itself: the chain's length and head, which the province may
 *  publish. `audit verify` (--data-dir only) recomputes the chain, checks
 *  the records, facts and aggregates against it (store_audit_verify), and
 *  each receipt of FILE (the agent's receipts CSV, README "Receipts").
 *  It reads one snapshot and may run while a collector writes: with the
 *  collector's lock free it checks DIR in place (holding the lock); with a
 *  collector running it checks a hot copy made in $TMPDIR (a backup,
 *  mdb_env_copy2: one consistent snapshot) and removes it afterwards, so
 *  that its scratch transaction never makes the collector's writes wait.
 *
 *  INVARIANTS
 *    1. Nothing in DIR changes but the lock file and LMDB's lock.mdb.
 *    2. Exit 0 only when everything holds; CTL_EX_MISMATCH when the store
 *       does not match (a problem line each, then a summary); 1 when the
 *       verification could not be made; CTL_EX_DATAERR / CTL_EX_NOINPUT
 *       for a receipts file that is malformed / cannot be read.
 */
#ifndef HRSS_CMD_CHAIN_H
#define HRSS_CMD_CHAIN_H

#include "admin/ctl.h"

/** Exit status of `audit verify` when the store does not match. */
#define CTL_EX_MISMATCH 2
/** ... when the receipts file is malformed (sysexits EX_DATAERR). */
#define CTL_EX_DATAERR 65
/** ... when it cannot be read (EX_NOINPUT). */
#define CTL_EX_NOINPUT 66

/** `audit head|verify`: @p a->pos[0] says which. */
int cmd_chain(ctl_t *x, const ctl_args_t *a);

#endif
