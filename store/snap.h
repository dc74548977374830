/** @file snap.h
 *  @brief Internal to store/: the read transactions of the read path,
 *         and the snapshot a thread may pin for a run (store_pin()).
 *
 *  Concern: which transaction a question is read in. read.c begins and
 *  ends every read through snap_begin()/snap_end(): a new read-only
 *  transaction (env.c), or the one this thread pinned on this store,
 *  which snap_end() leaves open. snap.c also gives back the store's
 *  mapped pages (store_release_pages()), also as a long read goes
 *  (snap_shed()).
 *
 *  Owns: the pinned transaction of each thread (at most one), from
 *  store_pin() to store_unpin().
 *
 *  INVARIANTS
 *    1. A pinned transaction is used only by the thread that pinned it
 *       (thread-local), and only for reads of the store it was begun on.
 *    2. snap_end() ends exactly the transactions snap_begin() began, never
 *       the pinned one.
 */
#ifndef HRSS_STORE_SNAP_H
#define HRSS_STORE_SNAP_H
#include <lmdb.h>
#include <stdint.h>

#include "common/err.h"
#include "store/store.h"

/** A read-only transaction on @p s: this thread's pinned one, or a new
 *  one (env_txn_begin()). @return ERR_OK or an ERR_* code, @p err set. */
int snap_begin(store_t *s, MDB_txn **txn, char err[ERR_LEN]);

/** End what snap_begin() gave (a pinned transaction stays open) and set
 *  *@p txn to NULL; no-op on NULL. */
void snap_end(store_t *s, MDB_txn **txn);

/** The start of every question about one (@p indicator, @p region):
 *  their catalog indexes into *@p ii and *@p ri, then snap_begin().
 *  @return ERR_OK, ERR_NOTFOUND (unknown indicator or region, @p err
 *          says which) or snap_begin()'s failure; *@p txn is NULL unless
 *          ERR_OK. */
int snap_lookup_begin(store_t *s, const char *indicator, uint32_t region,
                      int *ii, int *ri, MDB_txn **txn, char err[ERR_LEN]);

/** 1 when this thread pinned @p s (store_pin()). */
int snap_pinned(const store_t *s);

/** For a long read in @p txn (open: it holds txn_lock, so the map
 *  stays where it is; no transaction is begun): count @p reads more (1 per record read in key order,
 *  more for a seek, which maps more pages) and give back the store's
 *  mapped pages (store_release_pages()) each time this thread's count
 *  passes SNAP_SHED_READS, so that a reader's resident size stays
 *  bounded however much of the store it reads, over one call or many
 *  (the pages of a list). A failure only costs memory: it is ignored. */
void snap_shed(store_t *s, MDB_txn *txn, unsigned reads);

/** Reads between two give-backs (snap_shed()). */
#define SNAP_SHED_READS 8192u
/** What one seek counts for: it maps about as many pages as 64 records
 *  read in order. */
#define SNAP_SEEK_READS 64u

#endif
