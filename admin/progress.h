/** @file progress.h
 *  @brief Where each indicator of the plan stands against its target.
 */
#ifndef HRSS_PROGRESS_H
#define HRSS_PROGRESS_H
#include <stdint.h>
#include <time.h>

#include "admin/client.h"
#include "common/catalog.h"
#include "common/period.h"

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
    double target;            /**< raw */
    double expected;          /**< where the plan's pace puts it by now */
    double share;             /**< value / target */
    double elapsed;           /**< fraction of the target's span elapsed */
    int on_track;             /**< at_least: value >= expected; at_most:
                                   value <= target */
    uint32_t reporting;
    uint32_t expected_regions;
} progress_row_t;

/** The period progress looks at when none is given: the current month
 *  (in a zone @p tz seconds east of UTC) while the plan runs, its last
 *  year once it is over. */
period_t progress_default_period(const catalog_t *cat, time_t now, long tz);

/** Compute one row per indicator of @p cat, in catalog order, for the
 *  region @p region (0: the root) at period @p p:
 *  - cumulative targets: the total from the first month of the target's
 *    span through the end of @p p (cut at the span's end); expected =
 *    target × elapsed share of the span;
 *  - annual targets: the total of @p p's year through the end of @p p;
 *    expected = target × months / 12;
 *  - level targets: the value over @p p itself (a stock's last level, a
 *    rate's sum(num)/sum(den)); expected moves linearly from the 2020
 *    baseline to the target over the plan (or is the target when there is
 *    no baseline or the target is below it).
 *  @param[out] rows  catalog_indicator_count(cat) entries.
 *  @return ERR_OK or the first query error (message in @p err). */
int progress_compute(client_t *c, const catalog_t *cat, const period_t *p,
                     uint32_t region, progress_row_t *rows,
                     char err[ERR_LEN]);

#endif
