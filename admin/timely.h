/** @file timely.h
 *  @brief The summaries of a month's completeness: per city and for the
 *         region asked about, cells expected, reported, on time and late,
 *         and the reporting and on-time rates.
 *
 *  A cell is (indicator due that month, region). Reporting rate =
 *  reported cells / expected cells; on-time rate = cells first reported
 *  by their deadline / expected cells. Only due cells count, so both are
 *  at most 1 (a figure not due that month, reported anyway, counts in
 *  neither). With no expected cell both rates are 0.
 *
 *  Summaries: the region asked about (its whole subtree), then each of
 *  its children that has children of its own (the cities, under the
 *  province), in catalog order.
 *
 *  Owns: a timely_t owns its sums; borrows the catalog until destroyed.
 *
 *  INVARIANTS
 *    1. For every sum: on_time + late <= reported <= expected.
 *    2. Sum 0 is the top region's and holds every row added; a row adds
 *       to at most one other sum, its city's.
 */
#ifndef HRSS_TIMELY_H
#define HRSS_TIMELY_H
#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"

typedef struct timely_sum {
    uint32_t region;
    uint64_t regions;   /**< rows added */
    uint64_t expected;  /**< cells due */
    uint64_t reported;  /**< of them reported */
    uint64_t on_time;   /**< of them first reported by the deadline */
    uint64_t late;      /**< of them after it */
} timely_sum_t;

typedef struct timely timely_t;

/** Summaries below region @p top (a catalog code). NULL when @p top is
 *  not in @p cat. Caller owns return value and must destroy it. */
timely_t *timely_new(const catalog_t *cat, uint32_t top);

/** Destroy and set *self_p to NULL; no-op on NULL. */
void timely_destroy(timely_t **self_p);

/** Add one region's row: @p expected cells due, @p missing of them not
 *  reported, @p on_time and @p late of the reported ones. A region not
 *  at or below the top is ignored. Values are clamped so that
 *  INVARIANT 1 holds whatever a collector sent. */
void timely_add(timely_t *self, uint32_t region, uint64_t expected,
                uint64_t missing, uint64_t on_time, uint64_t late);

/** Number of summaries (>= 1). */
size_t timely_count(const timely_t *self);

/** Summary @p i: 0 the top's, then its cities'. Borrowed; valid until
 *  the next timely_add() or destroy. */
const timely_sum_t *timely_sum(const timely_t *self, size_t i);

/** @p n / @p expected, 0 when nothing is expected, never above 1. */
double timely_rate(uint64_t n, uint64_t expected);

#endif
