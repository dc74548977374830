/** @file asof.h
 *  @brief Answers as the store stood at a moment T (issue 14): the as-of
 *         view of one snapshot, and the difference between two moments.
 *
 *  "The store as it stood at T" is every audit record with received_at
 *  <= T, a prefix of the audit trail (write.c INVARIANT 7), and every
 *  approvals_log action with at <= T. A view is the overlay of the cells
 *  changed after T (walked back from the audit trail's end: its cost is
 *  the revisions to undo, not the store) and of the region-months whose
 *  approval changed after T. While a view is begun on a thread, every
 *  read of that thread on the store (store_total, store_own,
 *  store_breakdown, store_series, store_total_approved, store_reported,
 *  store_facts, store_facts_from) answers as of T, from the one snapshot
 *  the view was built in (pinned for the view's life).
 *
 *  Owns: the thread's view (cells and approvals overlays), freed by
 *  store_asof_end(). Borrows the store.
 *
 *  Threads: one view per thread at a time; views of different threads
 *  are independent.
 */
#ifndef HRSS_STORE_ASOF_H
#define HRSS_STORE_ASOF_H
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/** Begin answering as of @p at (unix seconds) on this thread: pins a
 *  snapshot of @p self unless the thread pinned one already (then that
 *  one is used), and builds the view from it. A @p at before the first
 *  audit record answers an empty store (every cell is undone).
 *  @return ERR_OK; ERR_INVAL (this thread has a view already, or pinned
 *          another store); ERR_CORRUPT, ERR_IO with @p err set, and then
 *          no view and no pin of its own are left. */
int store_asof_begin(store_t *self, int64_t at, char err[ERR_LEN]);

/** End this thread's view (and the pin store_asof_begin() took, not one
 *  the thread held before); no-op when there is none. */
void store_asof_end(store_t *self);

/** How many views store_asof_begin() and store_diff() built in @p self
 *  (a view kept from the question before, same moment and no write
 *  since, is not built again): for tests and benchmarks. */
unsigned long store_asof_builds(const store_t *self);

/** Drop the view @p self keeps for the next question (INVARIANT 5 of
 *  asof.c), so that the next store_asof_begin() builds one: benchmarks
 *  time a view built that way. */
void store_asof_forget(store_t *self);

/** How many cells this thread's view undoes (0 without a view). */
size_t store_asof_cells(const store_t *self);

/** One cell whose value differs between two moments. Plain value
 *  struct; @p indicator is borrowed from the store's catalog. */
typedef struct store_diff_cell {
    const char *indicator;
    uint32_t region;
    int32_t month;
    int has_from;       /**< 0: the cell did not exist at the first moment */
    value_t from;
    int has_to;         /**< 0: nor at the second (never, facts stay) */
    value_t to;
} store_diff_cell_t;

/** The total of the diff's region for one (indicator, month) a changed
 *  cell touched, at each moment. Plain value struct. */
typedef struct store_diff_total {
    const char *indicator;
    int32_t month;
    store_total_t from;
    store_total_t to;
} store_diff_total_t;

/** Most cells one diff lists; beyond, *truncated is set. */
#define STORE_DIFF_MAX_CELLS 10000

/** The cells of @p indicator (NULL: every one) in @p region's subtree
 *  (0: the root) whose value at @p to differs from @p from, in
 *  (indicator, region, month) order, and @p region's month totals at
 *  both moments for each (indicator, month) among them, in that order;
 *  all from one snapshot. Cost: the revisions after min(@p from, @p to).
 *  @param[out] cells   Caller owns and must free(); NULL when *n is 0.
 *  @param[out] totals  Likewise.
 *  @return ERR_OK, ERR_NOTFOUND (unknown indicator or region, @p err
 *          says which), ERR_INVAL (this thread has a view), or a store
 *          failure; on failure outputs are NULL/0. */
int store_diff(store_t *self, int64_t from, int64_t to, uint32_t region,
               const char *indicator, store_diff_cell_t **cells, size_t *n,
               store_diff_total_t **totals, size_t *nt, int *truncated,
               char err[ERR_LEN]);

/* --- for read.c ---------------------------------------------------------- */

#include <lmdb.h>

#include "store/codec.h"
#include "store/derive.h"

typedef struct asof asof_t;

/** This thread's view of @p s for reading facts, or NULL (none, or
 *  suspended by asof_total while it reads the current figures). */
const asof_t *asof_facts(const store_t *s);

/** This thread's view of @p s for approvals (never suspended), or NULL. */
const asof_t *asof_view(const store_t *s);

/** Cell (@p code, @p region, @p month) with its current fact @p f as of
 *  the view: 0 when it did not exist then (skip it), else 1 with @p f
 *  set to the revision in force then (value, received_at, audit_id). */
int asof_fact(const asof_t *v, const char *code, uint32_t region,
              int32_t month, codec_fact_t *f);

/** Own contribution of one region over [from, to] with the rule read.c
 *  applies to every region (own_contrib), read through the facts view in
 *  force when called. */
typedef int (*asof_own_fn)(store_t *s, MDB_txn *txn, const indicator_t *ind,
                           uint32_t region, int32_t from, int32_t to,
                           derive_contrib_t *c);
/** A total with every rule read.c has, as it reads now. */
typedef int (*asof_total_fn)(store_t *s, MDB_txn *txn, int ii, int ri,
                             const period_t *p, store_total_t *t);

/** The total of indicator @p ii in the subtree of region index @p ri over
 *  @p p as of this thread's view: @p now read with the facts view
 *  suspended (aggregates are of the current store), then, for each
 *  region of the subtree with a cell of @p ii inside @p p in the view,
 *  its own contribution as of T less its own contribution now. */
int asof_total(store_t *s, MDB_txn *txn, int ii, int ri, const period_t *p,
               store_total_t *t, asof_total_fn now, asof_own_fn own);

/** store_approved_span() as of this thread's view (@p v may be NULL:
 *  the table as it is). */
int asof_approved_span(const store_t *s, const asof_t *v, MDB_cursor *cur,
                       buf_t *kb, uint32_t region, int32_t from, int32_t to,
                       int *all);

/** 1 when the view holds approvals undone (a store whose approvals
 *  table is empty now may have had some at T). */
int asof_has_approvals(const asof_t *v);

#endif
