/* deadline.c: due months, deadline instants and days late (deadline.h).
 *
 * Dates are counted as days since 1970-01-01 (Howard Hinnant's
 * days_from_civil and its inverse), so no struct tm, mktime or TZ is
 * involved: the plan's zone is a fixed offset, and local day N begins at
 * unix time N * 86400 - offset.
 *
 * INVARIANTS
 *   1. deadline_of() + 1 is a local midnight (deadline.h INVARIANT 1).
 *   2. Days are floored, also before 1970: floor_div() never truncates
 *      towards zero.
 */
#include "common/deadline.h"

#include <stdio.h>

#include "common/period.h"

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of the civil date y-m-d (m 1..12). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30,
                               31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

int deadline_due(const indicator_t *ind, int32_t month)
{
    int m = month_of_year(month);
    switch (ind->frequency) {
    case FREQ_QUARTERLY:
        return m % 3 == 0;
    case FREQ_YEARLY:
        return m == 12;
    case FREQ_MONTHLY:
        break;
    }
    return 1;
}

int64_t deadline_of(const catalog_plan_t *plan, const indicator_t *ind,
                    int32_t month)
{
    int32_t due = month + ind->due_months_after;
    int64_t y = month_year(due);
    int m = month_of_year(due);
    int d = ind->due_day < days_in_month(y, m) ? ind->due_day
                                               : days_in_month(y, m);
    int64_t next_day = days_from_civil(y, m, d) + 1;
    return next_day * DEADLINE_DAY_S - plan->tz_offset - 1;
}

int64_t deadline_local_day(int64_t t, long offset)
{
    return floor_div(t + offset, DEADLINE_DAY_S);
}

int64_t deadline_days_late(long offset, int64_t deadline, int64_t at)
{
    if (at <= deadline) {
        return 0;
    }
    return deadline_local_day(at, offset) -
           deadline_local_day(deadline, offset);
}

enum deadline_state deadline_state(const catalog_plan_t *plan,
                                   const indicator_t *ind, int32_t month,
                                   int64_t received, int64_t *days)
{
    if (days != NULL) {
        *days = 0;
    }
    if (!deadline_due(ind, month)) {
        return DEADLINE_NOT_DUE;
    }
    if (received == 0) {
        return DEADLINE_MISSING;
    }
    int64_t dl = deadline_of(plan, ind, month);
    int64_t late = deadline_days_late(plan->tz_offset, dl, received);
    if (days != NULL) {
        *days = late;
    }
    return late == 0 ? DEADLINE_ON_TIME : DEADLINE_LATE;
}

void deadline_format_date(int64_t t, long offset, char *buf, size_t len)
{
    int64_t y = 0;
    int m = 0;
    int d = 0;
    civil_from_days(deadline_local_day(t, offset), &y, &m, &d);
    snprintf(buf, len, "%04lld-%02d-%02d", (long long)y, m, d);
}
