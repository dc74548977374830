/** @file aggacc.h
 *  @brief Internal to store/: the aggregate changes of one transaction,
 *         folded in memory and written once per touched record.
 *
 *  Each cell change moves the month, quarter and year aggregates of its
 *  region and of every ancestor (derive.c): nine or more read-modify-
 *  writes of `agg` per figure, most of them of the same few records when a
 *  transaction holds a group of batches from a few offices. The write
 *  path adds each move here instead (aggacc_add: a hash map from the agg
 *  key to the sum of its deltas), and aggacc_flush() then reads, adds and
 *  writes every touched record once, in key order (LMDB's cheapest), and
 *  deletes those that come to nothing (derive.h INVARIANT 3).
 *
 *  Deltas commute, so a flush at any moment leaves `agg` as the one-by-one
 *  path would have; aggacc_add() flushes by itself when the map holds
 *  AGGACC_MAX_KEYS keys, which bounds its memory (a rebuild of a national
 *  store touches millions).
 *
 *  Owns its table. The transaction and database are borrowed: flush
 *  before the transaction commits, and do not read `agg` in between (the
 *  write path does not).
 *
 *  INVARIANTS
 *    1. After aggacc_flush(), every agg record equals what applying each
 *       added delta to it one at a time would have made, and the map is
 *       empty.
 *    2. n <= AGGACC_MAX_KEYS between calls.
 */
#ifndef HRSS_STORE_AGGACC_H
#define HRSS_STORE_AGGACC_H
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/catalog.h"

/** Longest agg key: V1, kind, code and its NUL, region, start, and a
 *  span's other year. */
#define AGGACC_KEY_MAX (2 + CATALOG_CODE_MAX + 1 + 4 + 4 + 4)
/** Keys held before aggacc_add() flushes by itself. */
#define AGGACC_MAX_KEYS 65536

typedef struct aggacc_ent {
    uint64_t hash;      /* 0: empty slot */
    int64_t dnum;
    int64_t dden;
    int64_t drep;
    uint8_t klen;
    uint8_t key[AGGACC_KEY_MAX];
} aggacc_ent_t;

typedef struct aggacc {
    MDB_txn *txn;       /* borrowed */
    MDB_dbi agg;
    aggacc_ent_t *tab;  /* open addressing, cap a power of two */
    size_t cap;
    size_t n;
    size_t *used;       /* the n slots in use, so that a flush costs O(n),
                           not O(cap) */
    buf_t vb;           /* scratch for a value */
} aggacc_t;

/** Start an empty accumulator writing into @p agg of @p txn. */
void aggacc_init(aggacc_t *a, MDB_txn *txn, MDB_dbi agg);

/** Add (@p dnum, @p dden, @p drep) to the aggregate under key @p key (an
 *  agg key, codec_key_agg). @return ERR_OK, or a flush's failure. */
int aggacc_add(aggacc_t *a, const buf_t *key, int64_t dnum, int64_t dden,
               int drep);

/** Write every folded change into `agg` and empty the map.
 *  @return ERR_OK, ERR_CORRUPT (a stored record that fails its check,
 *          noted), or the LMDB failure (the transaction is then unusable:
 *          abort it). */
int aggacc_flush(aggacc_t *a);

/** Free the table (whatever was not flushed is dropped). */
void aggacc_fini(aggacc_t *a);

#endif
