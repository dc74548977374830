/** @file progress.h
 *  @brief Where each indicator of the plan stands against its target:
 *         pure arithmetic on the catalog, the plan and totals (no I/O).
 *
 *  For an indicator at period P:
 *  - a cumulative target (cumulative_YYYY_YYYY, 〔〕) is measured on the
 *    total from the first month of its span through the end of P, cut at
 *    the span's end; the pace expects target × elapsed share of the span;
 *  - an annual target (annual_YYYY) on the total of P's year through the
 *    end of P; the pace expects target × months / 12;
 *  - a level target (level_YYYY: stocks, rates) on the value over P
 *    itself (a stock's last level, a rate's Σnum / Σden); the pace moves
 *    linearly from the baseline to the target over the plan's years
 *    (catalog_plan() first_year..last_year), or is the target when there
 *    is no baseline or the target does not lie above it.
 *  On track: at_least: value >= expected; at_most: value <= target. A
 *  period in which no region reported has no value, never zero.
 *
 *  Targets are per region (catalog targets.csv): a row is measured
 *  against the target it is given, a milestone's span ending in its
 *  year, and the plan's baseline only counts for the province's own
 *  (root) target: a region's value is never paced from the province's
 *  baseline. Without a target a row has its value only (and, given the
 *  province's total, its share of it), never the province's target.
 *
 *  Owns nothing: every function is a function of its arguments (the
 *  caller asks the totals); a row borrows its indicator from the catalog.
 *
 *  INVARIANTS
 *    1. 0 <= elapsed <= 1.
 *    2. has_value == 0 or has_target == 0 implies on_track == 0.
 *    3. The covered period never extends beyond the end of P.
 *    4. No year of the plan is written here: all come from
 *       catalog_plan().
 */
#ifndef HRSS_PROGRESS_H
#define HRSS_PROGRESS_H
#include <stdint.h>
#include <time.h>

#include "common/catalog.h"
#include "common/period.h"
#include "store/store.h"

/** What an indicator's value is taken over at P, and the span its pace
 *  runs on. Plain value struct. */
typedef struct progress_span {
    period_t covered;   /**< the value is the total over this; empty
                             (last < first) when the span starts after P */
    int32_t first;      /**< first month of the pace's span */
    int32_t last;       /**< last month of the pace's span */
    double elapsed;     /**< share of the span elapsed by the end of
                             covered, 0..1 */
} progress_span_t;

/** One indicator's standing. Raw units: persons for counts, a fraction
 *  (0.827, not 82.7) for ratios. Plain value struct. */
typedef struct progress_row {
    const indicator_t *ind;   /**< borrowed from the catalog */
    period_t covered;         /**< the period the value is taken over */
    int has_value;            /**< some region reported in it */
    int64_t num;              /**< a count's value or a ratio's numerator */
    int64_t den;              /**< a ratio's denominator (0 for counts) */
    double value;             /**< num, or num / den */
    double baseline;          /**< raw; valid when ind->has_baseline */
    double target;            /**< raw; NAN without a target */
    double target_shown;      /**< the same in the display unit, as the
                                   catalog gives it */
    double expected;          /**< where the plan's pace puts it by now */
    int has_target;           /**< measured against a target */
    int target_year;          /**< the target's year (a milestone's
                                   when before the plan's target year) */
    double share;             /**< value / target */
    int has_province;         /**< the province's total was given and
                                   has a value: province_value and
                                   province_share are set */
    double province_value;    /**< the province's value over covered */
    double province_share;    /**< value / province_value (counts; NAN
                                   for ratios or a province at 0) */
    double elapsed;           /**< fraction of the target's span elapsed */
    int on_track;             /**< at_least: value >= expected; at_most:
                                   value <= target */
    uint32_t reporting;
    uint32_t expected_regions;
    uint32_t approved_regions; /**< with every month of covered approved */
} progress_row_t;

/** The period @p ind's value is taken over at @p p, and its pace's span,
 *  for the plan @p plan: the province's target-year target. */
progress_span_t progress_span(const indicator_t *ind,
                              const catalog_plan_t *plan, const period_t *p);

/** The same for target @p tg of @p ind (a region's, or a milestone: its
 *  own basis years); NULL: no target, the indicator's own basis. */
progress_span_t progress_span_for(const indicator_t *ind,
                                  const catalog_target_t *tg,
                                  const catalog_plan_t *plan,
                                  const period_t *p);

/** @p ind's standing at @p p against the province's target-year target,
 *  with the plan's baseline, given @p t, the total over
 *  progress_span().covered (all zero when that period is empty).
 *  @param[out] out  Filled completely. */
void progress_row(const indicator_t *ind, const catalog_plan_t *plan,
                  const period_t *p, const store_total_t *t,
                  progress_row_t *out);

/** @p ind's standing at @p p against target @p tg (borrowed; NULL: none,
 *  the row has its value only), given @p t, the total over
 *  progress_span_for().covered. @p with_baseline: the plan's baseline
 *  applies (@p tg is the province's own).
 *  @param[out] out  Filled completely. */
void progress_row_for(const indicator_t *ind, const catalog_target_t *tg,
                      int with_baseline, const catalog_plan_t *plan,
                      const period_t *p, const store_total_t *t,
                      progress_row_t *out);

/** Add the province's total @p prov over the row's covered period: sets
 *  has_province, province_value and province_share. */
void progress_province(progress_row_t *r, const store_total_t *prov);

/** The period progress looks at when none is given: the current month
 *  (at @p now, in a zone @p tz seconds east of UTC) while the plan runs,
 *  its first month before it starts, its last year once it is over. */
period_t progress_default_period(const catalog_plan_t *plan, time_t now,
                                 long tz);

#endif
