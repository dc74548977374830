/** @file deadline.h
 *  @brief When a month's figure is due, and whether a report was on time.
 *
 *  The rule is the catalog's (common/catalog.h): indicator I's figure for
 *  month M is due when I's frequency makes M a reporting month (monthly:
 *  every month; quarterly: 03, 06, 09, 12; yearly: 12), by the end of
 *  day I.due_day of month M + I.due_months_after, in the plan's time zone
 *  (a fixed offset; a due_day past that month's last day is its last
 *  day). With the shipped plan: 2025-10 is due by 2025-11-10 23:59:59
 *  Asia/Shanghai, which is 2025-11-10 15:59:59 UTC.
 *
 *  The deadline instant is that last second (unix seconds). A report
 *  received at or before it is on time; after it, late by the number of
 *  calendar days in the plan's zone from the due day to the day it was
 *  received (2025-11-11 00:00:00 local is 1 day late, and so is
 *  2025-11-11 23:59:59; 2025-11-12 00:00:00 is 2). Which time counts is
 *  the caller's: the collector's commit time of the cell's first report
 *  (its first audit record), so a revision never changes timeliness.
 *
 *  Owns nothing: pure functions of their arguments.
 *
 *  INVARIANTS
 *    1. deadline_of() is the last second of a local day:
 *       (deadline + 1 + offset) is a multiple of 86400.
 *    2. deadline_days_late() is 0 exactly when at <= deadline, and rises
 *       by one at each local midnight after it.
 *    3. No global state, no time zone database, no locale.
 */
#ifndef HRSS_DEADLINE_H
#define HRSS_DEADLINE_H
#include <stdint.h>

#include "common/catalog.h"

/** Seconds in a day; days late are counted in these. */
#define DEADLINE_DAY_S 86400

/** The state of one cell (indicator, region, month) against its
 *  deadline. */
enum deadline_state {
    DEADLINE_NOT_DUE, /**< the indicator has no figure due that month */
    DEADLINE_ON_TIME, /**< first received at or before the deadline */
    DEADLINE_LATE,    /**< first received after it */
    DEADLINE_MISSING, /**< due, not received */
};

/** 1 when @p ind has a figure due for month index @p month, else 0. */
int deadline_due(const indicator_t *ind, int32_t month);

/** The deadline instant of @p ind's figure for month index @p month:
 *  unix seconds of the last second of its due day in @p plan's zone
 *  (computed for any month, due or not). */
int64_t deadline_of(const catalog_plan_t *plan, const indicator_t *ind,
                    int32_t month);

/** Calendar days, in the zone at @p offset (seconds east of UTC), from
 *  the day of @p deadline to the day of @p at: 0 when @p at <=
 *  @p deadline, else >= 1. */
int64_t deadline_days_late(long offset, int64_t deadline, int64_t at);

/** The state of a cell: not due, else missing when @p received is 0,
 *  else on time or late by *days (0 unless late; may be NULL) for a
 *  first report received at unix time @p received. */
enum deadline_state deadline_state(const catalog_plan_t *plan,
                                   const indicator_t *ind, int32_t month,
                                   int64_t received, int64_t *days);

/** The local date of @p t at @p offset as "YYYY-MM-DD" into @p buf
 *  (11 bytes at least). */
void deadline_format_date(int64_t t, long offset, char *buf, size_t len);

/** The local day number (days since 1970-01-01) of unix time @p t at
 *  @p offset. */
int64_t deadline_local_day(int64_t t, long offset);

#endif
