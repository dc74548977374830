/** @file tally.h
 *  @brief Internal to store/: the `tally` table, how many updates each
 *         reporter had accepted and rejected per (region, month), moved
 *         by the write path through a per-transaction accumulation.
 *
 *  `tally`:  01 region:u32 yyyymm:u32 reporter\0  ->
 *            01 accepted:u64 rejected:u64 (sealed, rec.h)
 *
 *  Raw values: a rejected update whose region or month is not valid
 *  (unknown_region, bad_month) counts under what it carried. Replays are
 *  not counted (the write path adds only applied and rejected updates);
 *  a dry run has no accumulation and counts nothing.
 *
 *  The accumulation folds a transaction's moves in memory (a batch of 19
 *  indicators of one office-month is one entry) and writes each touched
 *  record once at tally_flush(), inside the transaction: an aborted
 *  attempt (MDB_MAP_FULL, replayed) keeps nothing of it.
 *
 *  Came after store format 3 without a bump: a writable open creates the
 *  table and, for a store that had none, fills it in the same
 *  transaction from `audit` (accepted) and the kept `rejects`
 *  (rejected: older trimmed rejections are gone; reconcile says so).
 *
 *  INVARIANTS
 *    1. After tally_flush(), every tally record is what adding each
 *       tally_add() one at a time would have made; the map is empty.
 *    2. A record is written only inside the write transaction that
 *       applied or rejected the updates it counts.
 */
#ifndef HRSS_STORE_TALLY_H
#define HRSS_STORE_TALLY_H
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "store/store.h"

/** Entries held before tally_add() flushes by itself. */
#define TALLY_MAX_KEYS 4096

typedef struct tally_ent {
    uint32_t region;
    uint32_t yyyymm;
    uint64_t dacc;
    uint64_t drej;
    char reporter[STORE_REPORTER_MAX + 1];
} tally_ent_t;

typedef struct tally {
    MDB_txn *txn; /* borrowed */
    MDB_dbi dbi;
    tally_ent_t *e;
    size_t n;
    size_t cap;
    size_t last; /* the entry the last add hit: batches come in runs */
} tally_t;

/** Start an empty accumulation writing into @p dbi of @p txn. */
void tally_init(tally_t *t, MDB_txn *txn, MDB_dbi dbi);

/** Count one update of @p reporter for (@p region, @p yyyymm), accepted
 *  or not. @return ERR_OK, or a flush's failure. */
int tally_add(tally_t *t, const char *reporter, uint32_t region,
              uint32_t yyyymm, int accepted);

/** Write every folded count into the table; empty the map.
 *  @return ERR_OK, ERR_CORRUPT (a record that fails its check), or the
 *          LMDB failure (abort the transaction). */
int tally_flush(tally_t *t);

/** Free the map (what was not flushed is dropped). */
void tally_fini(tally_t *t);

/** tally key of (@p region, @p yyyymm, @p reporter) into @p b. */
void tally_key(buf_t *b, uint32_t region, uint32_t yyyymm,
               const char *reporter);

/** Parse a tally key and value (unsealed). @p reporter gets a copy.
 *  @return ERR_OK or ERR_CORRUPT. */
int tally_parse(const MDB_val *k, const MDB_val *d, uint32_t *region,
                uint32_t *yyyymm, char reporter[STORE_REPORTER_MAX + 1],
                uint64_t *accepted, uint64_t *rejected);

/** Open `tally` in @p txn: created (and filled from audit and rejects,
 *  when the store had none and @p fill) with MDB_CREATE in @p flags;
 *  without it an absent table leaves *@p dbi 0. @return ERR_OK or an
 *  ERR_* with @p err set. */
int tally_open(store_t *s, MDB_txn *txn, unsigned flags, int fill,
               MDB_dbi *dbi, char err[ERR_LEN]);

#endif
