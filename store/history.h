/** @file history.h
 *  @brief Internal to store/: a cell's revisions through the audit trail
 *         (history.c; the public store_get() and store_history() are
 *         there too).
 *
 *  Owns nothing: works in the caller's transaction and scratch buffer.
 */
#ifndef HRSS_STORE_HISTORY_H
#define HRSS_STORE_HISTORY_H
#include <lmdb.h>
#include <stdint.h>

#include "common/buf.h"
#include "store/store.h"

/** The received_at of the first revision of the cell (@p code,
 *  @p region, @p month) whose newest is audit record @p id into *@p at:
 *  the chain back through prev_id. @p ak is scratch.
 *  @return ERR_OK or ERR_CORRUPT (noted: a broken or looping chain, a
 *          record of another cell), LMDB failures. */
int history_first_received(store_t *s, MDB_txn *txn, buf_t *ak, uint64_t id,
                           const char *code, uint32_t region,
                           int32_t month, int64_t *at);

#endif
