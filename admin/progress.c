/* progress.c: each indicator's value on its target's basis, and whether
 * it keeps the plan's pace.
 *
 * The pace is linear: by the end of month k of an n-month span, a
 * cumulative target should be k/n reached, and a level target k/n of the
 * way from its baseline. It is a yardstick, not a forecast. The plan
 * itself sets no intermediate milestones; a region's own may
 * (catalog targets.csv): a milestone's span ends with its year, so the
 * pace to it is measured the same way. The plan's baseline is the
 * province's and paces only the province's own target; a region's level
 * target without a baseline is the target itself. The plan's years come
 * from the catalog (catalog_plan()), never from here.
 *
 * Everything here is a function of its arguments: the totals are asked
 * by the caller (hrssctl progress asks them through admin/client), so the
 * arithmetic can be tested on numbers alone.
 *
 * INVARIANTS
 *   1. 0 <= elapsed <= 1.
 *   2. has_value == 0 or has_target == 0 implies on_track == 0.
 *   3. The covered period never extends beyond the end of P.
 */
#include "admin/progress.h"

#include <math.h>
#include <string.h>

#include "admin/units.h"

/* Absorbs the rounding of ratios computed from whole numbers. */
#define EPSILON 1e-9

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

progress_span_t progress_span_for(const indicator_t *ind,
                                  const catalog_target_t *tg,
                                  const catalog_plan_t *plan,
                                  const period_t *p)
{
    progress_span_t s;
    int from = tg != NULL ? tg->basis_from : ind->basis_from;
    int to = tg != NULL ? tg->basis_to : ind->basis_to;
    memset(&s, 0, sizeof s);
    s.covered = *p;
    s.first = month_make(plan->first_year, 1);
    s.last = month_make(plan->last_year, 12);
    switch (ind->basis) {
    case BASIS_CUMULATIVE:
        s.first = month_make(from, 1);
        s.last = month_make(to, 12);
        s.covered.kind = PERIOD_RANGE;
        s.covered.first = s.first;
        s.covered.last = p->last < s.last ? p->last : s.last;
        break;
    case BASIS_ANNUAL:
        s.first = month_make(month_year(p->last), 1);
        s.last = s.first + 11;
        s.covered.kind = PERIOD_RANGE;
        s.covered.first = s.first;
        s.covered.last = p->last;
        break;
    case BASIS_LEVEL:
        /* A milestone's pace ends with its year. */
        if (tg != NULL && tg->year < plan->last_year &&
            tg->year >= plan->first_year) {
            s.last = month_make(tg->year, 12);
        }
        break;
    }
    s.elapsed = clamp01((double)(s.covered.last - s.first + 1) /
                        (double)(s.last - s.first + 1));
    return s;
}

progress_span_t progress_span(const indicator_t *ind,
                              const catalog_plan_t *plan, const period_t *p)
{
    return progress_span_for(ind, NULL, plan, p);
}

void progress_row_for(const indicator_t *ind, const catalog_target_t *tg,
                      int with_baseline, const catalog_plan_t *plan,
                      const period_t *p, const store_total_t *t,
                      progress_row_t *out)
{
    progress_span_t s = progress_span_for(ind, tg, plan, p);
    int ratio = ind->kind == IND_RATIO;
    int baseline = with_baseline && ind->has_baseline;
    progress_row_t *r = out;
    memset(r, 0, sizeof *r);
    r->ind = ind;
    r->covered = s.covered;
    r->elapsed = s.elapsed;
    r->num = t->num;
    r->den = t->den;
    r->reporting = t->reporting;
    r->expected_regions = t->expected;
    r->approved_regions = t->approved;
    r->has_value = t->reporting > 0 && (!ratio || t->den > 0);
    r->value = ratio ? (t->den > 0 ? (double)t->num / (double)t->den : 0)
                     : (double)t->num;
    r->baseline = baseline ? units_raw(ind, ind->baseline) : 0;
    r->province_share = NAN;
    if (tg == NULL) {
        r->target = NAN;
        r->target_shown = NAN;
        r->expected = NAN;
        r->share = NAN;
        return;
    }
    r->has_target = 1;
    r->target_year = tg->year;
    r->target = units_raw(ind, tg->target);
    r->target_shown = tg->target;
    if (ind->basis == BASIS_LEVEL && ind->direction == DIR_AT_LEAST &&
        baseline && r->target > r->baseline) {
        r->expected = r->baseline + (r->target - r->baseline) * r->elapsed;
    } else if (ind->basis == BASIS_LEVEL) {
        r->expected = r->target;
    } else {
        r->expected = r->target * r->elapsed;
    }
    r->share = r->target != 0 ? r->value / r->target : NAN;
    if (!r->has_value) {
        r->on_track = 0;
    } else if (ind->direction == DIR_AT_MOST) {
        r->on_track = r->value <= r->target + EPSILON;
    } else {
        r->on_track = r->value + EPSILON >= r->expected;
    }
}

void progress_row(const indicator_t *ind, const catalog_plan_t *plan,
                  const period_t *p, const store_total_t *t,
                  progress_row_t *out)
{
    catalog_target_t tg;
    memset(&tg, 0, sizeof tg);
    tg.year = plan->target_year;
    tg.target = ind->target;
    tg.basis = ind->basis;
    tg.basis_from = ind->basis_from;
    tg.basis_to = ind->basis_to;
    progress_row_for(ind, &tg, 1, plan, p, t, out);
}

void progress_province(progress_row_t *r, const store_total_t *prov)
{
    int ratio = r->ind->kind == IND_RATIO;
    r->has_province = prov->reporting > 0 && (!ratio || prov->den > 0);
    r->province_share = NAN;
    r->province_value = 0;
    if (!r->has_province) {
        return;
    }
    r->province_value = ratio ? (double)prov->num / (double)prov->den
                              : (double)prov->num;
    if (!ratio && r->has_value && prov->num > 0) {
        r->province_share = r->value / r->province_value;
    }
}

period_t progress_default_period(const catalog_plan_t *plan, time_t now,
                                 long tz)
{
    int32_t first = month_make(plan->first_year, 1);
    int32_t last = month_make(plan->last_year, 12);
    int32_t cur = month_from_time(now, tz);
    if (cur > last) {
        return period_of_month(PERIOD_YEAR, last);
    }
    return period_of_month(PERIOD_MONTH, cur < first ? first : cur);
}
