/** @file derive.h
 *  @brief Internal to store/: the data derived from the facts, that is the
 *         `agg` and `violations` tables, kept exact by the write path one
 *         cell change at a time and rebuilt whole when the catalog's rules
 *         change or store_verify() recomputes them.
 *
 *  Concern: the contribution arithmetic. A region's contribution to a
 *  period is, for over_time = sum, the sum of its months in the period and,
 *  for over_time = last, its last reported month inside the period; ratios
 *  carry numerator and denominator through the same sums. A cell change
 *  moves the month, quarter and year aggregates of the region and of each
 *  ancestor by (after - before), and rechecks the "of which" pairs of the
 *  cell. The incremental path (write.c) and the rebuild (derive_rebuild)
 *  use the same function, derive_cell(), so they cannot disagree.
 *
 *  Owns nothing: all functions work in the caller's transaction, with the
 *  caller's scratch buffers, on the database handles they are given (the
 *  store's own, or verify's scratch tables).
 *
 *  INVARIANTS (the store's invariants 2, 4 and 5, store.h/ARCHITECTURE.md)
 *    1. Every agg record equals the sum of contributions over its node's
 *       subtree, with reporting = the regions that reported in the period;
 *       there are agg records for nodes with children only (a leaf's
 *       totals are read from its facts).
 *    2. A violation record exists iff both cells of an "of which" pair
 *       exist for the same region and month and the part exceeds the whole.
 *    3. An agg record that would be all zero with reporting 0 is deleted.
 */
#ifndef HRSS_STORE_DERIVE_H
#define HRSS_STORE_DERIVE_H
#include <lmdb.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "common/update.h"
#include "store/aggacc.h"
#include "store/codec.h"
#include "store/store.h"

/** One month of one (indicator, region) inside a year. */
typedef struct derive_slot {
    int present;
    value_t v;
    uint64_t audit_id; /**< the revision that set it (when present) */
} derive_slot_t;

/** A region's contribution to one period. */
typedef struct derive_contrib {
    int64_t num;
    int64_t den;
    int present;
} derive_contrib_t;

/** The years around one year of a region's facts. */
typedef struct derive_around {
    int32_t prev; /**< start of the last earlier year with a fact, or
                       CODEC_SPAN_NONE */
    int32_t next; /**< start of the first later year with a fact, or
                       CODEC_SPAN_NONE */
} derive_around_t;

/** Load the facts of (@p code, @p region) for the 12 months of the year
 *  starting at month index @p ystart into @p slots (absent months have
 *  present == 0) and, when @p around is not NULL, which years around it
 *  have facts (the same cursor's neighbours: no extra seek). @p kb is
 *  scratch.
 *  @return ERR_OK, ERR_CORRUPT (a fact that does not parse), LMDB
 *          failures. */
int derive_load_year(MDB_txn *txn, MDB_dbi facts, const char *code,
                     uint32_t region, int32_t ystart, derive_slot_t slots[12],
                     derive_around_t *around, buf_t *kb);

/** The first node whose aggregates a change of region index @p ri moves:
 *  @p ri itself, or its parent when it has no children (a leaf's
 *  aggregates would be its own facts: store/read.c reads those), -1 when
 *  there is none. */
int derive_first_node(const catalog_t *cat, int ri);

/** The contribution of months @p from..@p to of @p slots under the time
 *  rule @p ot: their sum, or the last present one. */
derive_contrib_t derive_contrib(const derive_slot_t *slots, int from, int to,
                                enum ind_over_time ot);

/** derive_contrib() under region index @p ri's validity (catalog.h), the
 *  months being those of the year starting at month index @p ystart: a
 *  flow adds only its months inside the validity; a stock counts only
 *  when the region exists in month @p to (then its last month present
 *  inside the validity). This is a region's contribution to its
 *  ancestors. */
derive_contrib_t derive_contrib_at(const catalog_t *cat, int ri,
                                   int32_t ystart,
                                   const derive_slot_t *slots, int from,
                                   int to, enum ind_over_time ot);

/** 1 when some present month of @p slots (the year from @p ystart) lies
 *  inside region @p ri's validity. */
int derive_any_valid(const catalog_t *cat, int ri, int32_t ystart,
                     const derive_slot_t *slots);

/** The fact of one cell. @p kb is scratch.
 *  @param[out] found  1 when the cell has a fact, else 0.
 *  @return ERR_OK, ERR_CORRUPT, LMDB failures. */
int derive_get_fact(MDB_txn *txn, MDB_dbi facts, buf_t *kb, const char *code,
                    uint32_t region, int32_t month, codec_fact_t *f,
                    int *found);

/** The agg record (@p k, @p code, @p region, @p start) into @p a (all
 *  zero when there is none). @p kb is scratch.
 *  @return ERR_OK, ERR_CORRUPT (noted), LMDB failures. */
int derive_get_agg(MDB_txn *txn, MDB_dbi agg, buf_t *kb,
                   enum codec_agg_kind k, const char *code, uint32_t region,
                   int32_t start, codec_agg_t *a);

/** The cell (indicator index @p ii, region index @p ri, month
 *  @p ystart + @p mi) went from @p before to @p after (the 12 months of its
 *  year; the facts table already holds @p after): move the aggregates in
 *  @p agg and recheck the cell's "of which" pairs into @p viol.
 *  @p kb, @p vb are scratch. @return ERR_OK, ERR_CORRUPT, LMDB failures
 *  (the transaction is then unusable for more writes: abort it). */
int derive_cell(const catalog_t *cat, MDB_txn *txn, MDB_dbi facts,
                aggacc_t *acc, MDB_dbi viol, buf_t *kb, buf_t *vb, int ii,
                int ri, int32_t ystart, int mi, const derive_slot_t *before,
                const derive_slot_t *after);

/** Empty @p agg and @p viol and recompute them from the facts of
 *  @p facts. Facts of indicators or regions no longer in the catalog are
 *  kept but not aggregated. @return ERR_OK or a code with @p err set
 *  (naming the store's @p file and the damaged record, if one is). */
int derive_rebuild(const catalog_t *cat, MDB_txn *txn, MDB_dbi facts,
                   MDB_dbi agg, MDB_dbi viol, const char *file,
                   char err[ERR_LEN]);

#endif
