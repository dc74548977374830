/* progress.c: each indicator's value on its target's basis, and whether
 * it keeps the plan's pace.
 *
 * The pace is linear: by the end of month k of an n-month span, a
 * cumulative target should be k/n reached, and a level target k/n of the
 * way from its baseline. It is a yardstick, not a forecast; the plan
 * itself sets no intermediate milestones. The plan's years come from the
 * catalog (catalog_plan()), never from here.
 *
 * Everything here is a function of its arguments: the totals are asked
 * by the caller (hrssctl progress asks them through admin/client), so the
 * arithmetic can be tested on numbers alone.
 *
 * INVARIANTS
 *   1. 0 <= elapsed <= 1.
 *   2. has_value == 0 implies on_track == 0.
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

progress_span_t progress_span(const indicator_t *ind,
                              const catalog_plan_t *plan, const period_t *p)
{
    progress_span_t s;
    memset(&s, 0, sizeof s);
    s.covered = *p;
    s.first = month_make(plan->first_year, 1);
    s.last = month_make(plan->last_year, 12);
    switch (ind->basis) {
    case BASIS_CUMULATIVE:
        s.first = month_make(ind->basis_from, 1);
        s.last = month_make(ind->basis_to, 12);
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
        break;
    }
    s.elapsed = clamp01((double)(s.covered.last - s.first + 1) /
                        (double)(s.last - s.first + 1));
    return s;
}

void progress_row(const indicator_t *ind, const catalog_plan_t *plan,
                  const period_t *p, const store_total_t *t,
                  progress_row_t *out)
{
    progress_span_t s = progress_span(ind, plan, p);
    int ratio = ind->kind == IND_RATIO;
    progress_row_t *r = out;
    memset(r, 0, sizeof *r);
    r->ind = ind;
    r->covered = s.covered;
    r->elapsed = s.elapsed;
    r->target = units_raw(ind, ind->target);
    r->baseline = ind->has_baseline ? units_raw(ind, ind->baseline) : 0;
    r->num = t->num;
    r->den = t->den;
    r->reporting = t->reporting;
    r->expected_regions = t->expected;
    r->has_value = t->reporting > 0 && (!ratio || t->den > 0);
    r->value = ratio ? (t->den > 0 ? (double)t->num / (double)t->den : 0)
                     : (double)t->num;
    if (ind->basis == BASIS_LEVEL && ind->direction == DIR_AT_LEAST &&
        ind->has_baseline && r->target > r->baseline) {
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
