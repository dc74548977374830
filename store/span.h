/** @file span.h
 *  @brief Internal to store/: year spans, which answer a total over whole
 *         years (2021..2025) without visiting every region.
 *
 *  Concern: a total over several whole years needs two things that no sum
 *  of year aggregates gives: how many regions of the subtree reported in
 *  any year of the range, and, for an indicator whose value over time is
 *  its last one, each region's last value in the range. For a region R
 *  with a fact of indicator I in year Y, let prev(R, Y) be the last
 *  earlier year in which R has one, and next(R, Y) the first later year
 *  (or none). Over the years A..B:
 *
 *    reporting = #{(R, Y) : A <= Y <= B, prev(R, Y) is none or < A}
 *                (each region counted once: in its first year of the
 *                range)
 *    last-value total = sum over Y of agg Y(Y)
 *                       - sum{ c(R, Y) : A <= Y <= B, next(R, Y) <= B }
 *                (a year of R is superseded by its next one in the range)
 *
 *  where c(R, Y) is R's contribution to year Y (its last value in Y). The
 *  agg table keeps, for each node N of the region tree (leaves too), each
 *  indicator I and each year Y, two kinds of record (codec.h):
 *
 *    P(N, Y, p) = (0, 0, count)  the regions R of N's subtree with a fact
 *                                in Y and prev(R, Y) = p (p may be none)
 *    N(N, Y, n) = (sum of c(R, Y), count)  the same with next(R, Y) = n,
 *                                n not none; for over_time = last only
 *
 *  so that a range of Y years reads Y year aggregates and a few P and N
 *  records per year, whatever the number of regions (one P record per
 *  year in the usual case: every region reported the year before).
 *
 *  Kept by the write path through aggacc (span_cell: the prev and next
 *  years come from derive_load_year's cursor, no extra seek; only a
 *  region's first fact of a year, or a changed last value of a year that
 *  has a later one, moves a span), rebuilt from the facts in order by
 *  derive_rebuild (span_group), and checked by store_verify like every
 *  other agg record.
 *
 *  Owns nothing. Works in the caller's transaction and accumulator.
 *
 *  INVARIANTS
 *    1. After every write, the P and N records equal the definitions
 *       above over the facts table (store invariant 2: agg is derived).
 *    2. Facts are never removed (the write path only adds or replaces
 *       them), so a region's years only join: span_cell handles a year
 *       joining and a value changing, nothing else.
 *    3. span_total() == the per-region walk (read.c walk_range) for every
 *       range of whole years.
 */
#ifndef HRSS_STORE_SPAN_H
#define HRSS_STORE_SPAN_H
#include <lmdb.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "store/aggacc.h"
#include "store/derive.h"
#include "store/store.h"

/** The cell of (indicator index @p ii, region index @p ri) in the year
 *  starting at @p ystart went from @p before to @p after (its year's 12
 *  months; the facts table holds @p after); @p around: the region's years
 *  with facts around it, as derive_load_year() found them before the
 *  change. Moves the spans of the region and its ancestors. @p kb is
 *  scratch. @return ERR_OK, ERR_CORRUPT, LMDB failures. */
int span_cell(const catalog_t *cat, MDB_txn *txn, MDB_dbi facts,
              aggacc_t *acc, buf_t *kb, int ii, int ri, int32_t ystart,
              const derive_around_t *around, const derive_slot_t *before,
              const derive_slot_t *after);

/** What span_group() needs of the group before: its year and its
 *  contribution, when it was of the same indicator and region. */
typedef struct span_track {
    int valid;
    int ii;
    int ri;
    int32_t ystart;
    derive_contrib_t c;
} span_track_t;

/** Rebuild: the year @p ystart of (@p ii, @p ri) with the facts
 *  @p slots, the groups given in the facts table's order (@p t starts
 *  zeroed). @return ERR_OK or aggacc's failure. */
int span_group(const catalog_t *cat, aggacc_t *acc, buf_t *kb,
               span_track_t *t, int ii, int ri, int32_t ystart,
               const derive_slot_t slots[12]);

/** The total of @p ind at @p region over the whole years starting at
 *  months @p first .. @p last_y (@p last_y >= @p first, both year
 *  starts): adds its numerator, denominator and reporting regions to
 *  @p t. @p kb is scratch. @return ERR_OK, ERR_CORRUPT (noted), LMDB
 *  failures. */
int span_total(MDB_txn *txn, MDB_dbi agg, buf_t *kb, const indicator_t *ind,
               uint32_t region, int32_t first, int32_t last_y,
               store_total_t *t);

#endif
