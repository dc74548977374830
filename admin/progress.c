/* progress.c: each indicator's value on its target's basis, and whether
 * it keeps the plan's pace.
 *
 * The pace is linear: by the end of month k of an n-month span, a
 * cumulative target should be k/n reached, and a level target k/n of the
 * way from its baseline. It is a yardstick, not a forecast; the plan
 * itself sets no intermediate milestones.
 *
 * INVARIANTS
 *   1. rows[i].ind == catalog_indicator(cat, i).
 *   2. 0 <= rows[i].elapsed <= 1.
 */
#include "admin/progress.h"

#include <math.h>
#include <string.h>

/* First and last month of the plan: the widest span of any target. */
static void plan_span(const catalog_t *cat, int32_t *first, int32_t *last)
{
    int from = 9999;
    int to = 0;
    for (size_t i = 0; i < catalog_indicator_count(cat); i++) {
        const indicator_t *ind = catalog_indicator(cat, i);
        int f = ind->basis == BASIS_CUMULATIVE ? ind->basis_from
                                               : ind->basis_to - 4;
        from = f < from ? f : from;
        to = ind->basis_to > to ? ind->basis_to : to;
    }
    if (to == 0) {
        from = to = 2025;
    }
    *first = month_make(from, 1);
    *last = month_make(to, 12);
}

period_t progress_default_period(const catalog_t *cat, time_t now, long tz)
{
    int32_t first;
    int32_t last;
    plan_span(cat, &first, &last);
    int32_t cur = month_from_time(now, tz);
    if (cur > last) {
        return period_of_month(PERIOD_YEAR, last);
    }
    return period_of_month(PERIOD_MONTH, cur < first ? first : cur);
}

static double clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

int progress_compute(client_t *c, const catalog_t *cat, const period_t *p,
                     uint32_t region, progress_row_t *rows,
                     char err[ERR_LEN])
{
    int32_t plan_first;
    int32_t plan_last;
    plan_span(cat, &plan_first, &plan_last);
    for (size_t i = 0; i < catalog_indicator_count(cat); i++) {
        const indicator_t *ind = catalog_indicator(cat, i);
        progress_row_t *r = &rows[i];
        memset(r, 0, sizeof *r);
        r->ind = ind;
        int ratio = ind->kind == IND_RATIO;
        double scale = ratio ? 1.0 / ind->unit_scale : ind->unit_scale;
        r->target = ind->target * scale;
        r->baseline = ind->has_baseline ? ind->baseline * scale : 0;

        period_t q = *p;
        int32_t span_first = plan_first;
        int32_t span_last = plan_last;
        switch (ind->basis) {
        case BASIS_CUMULATIVE:
            span_first = month_make(ind->basis_from, 1);
            span_last = month_make(ind->basis_to, 12);
            q.kind = PERIOD_RANGE;
            q.first = span_first;
            q.last = p->last < span_last ? p->last : span_last;
            break;
        case BASIS_ANNUAL:
            span_first = p->last - p->last % 12;
            span_last = span_first + 11;
            q.kind = PERIOD_RANGE;
            q.first = span_first;
            q.last = p->last;
            break;
        case BASIS_LEVEL:
        default:
            break;
        }
        r->covered = q;
        r->elapsed = clamp01((double)(q.last - span_first + 1) /
                             (double)(span_last - span_first + 1));
        store_total_t t;
        memset(&t, 0, sizeof t);
        if (q.last >= q.first) {
            int rc = client_total(c, ind->code, region, &q, &t, err);
            if (rc != ERR_OK) {
                return rc;
            }
        }
        r->num = t.num;
        r->den = t.den;
        r->reporting = t.reporting;
        r->expected_regions = t.expected;
        r->has_value = t.reporting > 0 && (!ratio || t.den > 0);
        r->value = ratio ? (t.den > 0 ? (double)t.num / (double)t.den : 0)
                         : (double)t.num;
        if (ind->basis == BASIS_LEVEL && ind->direction == DIR_AT_LEAST &&
            ind->has_baseline && r->target > r->baseline) {
            r->expected = r->baseline + (r->target - r->baseline) * r->elapsed;
        } else if (ind->basis == BASIS_LEVEL) {
            r->expected = r->target;
        } else {
            r->expected = r->target * r->elapsed;
        }
        r->share = r->target != 0 ? r->value / r->target : NAN;
        /* 1e-9 absorbs rounding of ratios computed from whole numbers */
        if (!r->has_value) {
            r->on_track = 0;
        } else if (ind->direction == DIR_AT_MOST) {
            r->on_track = r->value <= r->target + 1e-9;
        } else {
            r->on_track = r->value + 1e-9 >= r->expected;
        }
    }
    return ERR_OK;
}
