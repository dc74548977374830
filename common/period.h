/** @file period.h
 *  @brief Months, quarters, years and ranges of them, as month indexes.
 *
 *  A month is stored as a month index: year * 12 + (month - 1), so that
 *  consecutive months are consecutive integers and a period is an
 *  inclusive range [first, last] of month indexes. Offices report months
 *  ("2025-10"); queries also take "2025-Q4", "2025", "2021..2025", and
 *  any range FROM..TO of these forms ("2021-01..2023-06").
 *
 *  Owns nothing: pure functions over plain values, safe from any thread.
 *
 *  INVARIANTS
 *    1. A parsed period has first <= last, and both ends lie in the years
 *       PERIOD_MIN_YEAR..PERIOD_MAX_YEAR (1900..9999).
 *    2. A month is one month; a quarter the three months from January,
 *       April, July or October; a year January..December; a range FROM..TO
 *       is [FROM.first, TO.last] of two single periods.
 *    3. period_format(period_parse(s)) == s for every canonical s, and a
 *       formatted period fits in PERIOD_STR_LEN bytes.
 *    4. month_to_yyyymm() and month_from_yyyymm() are inverse on valid
 *       months, and no other module converts between YYYYMM and month
 *       indexes.
 *    5. A parse failure leaves the output untouched.
 */
#ifndef HRSS_PERIOD_H
#define HRSS_PERIOD_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/err.h"

#define PERIOD_MIN_YEAR 1900
#define PERIOD_MAX_YEAR 9999
/** Buffer size that holds any formatted period ("1900-01..9999-12"). */
#define PERIOD_STR_LEN 24

/** The accepted forms, for error messages and --help. */
#define PERIOD_FORMS "YYYY-MM (month), YYYY-Qn (quarter), YYYY (year), or " \
                     "an inclusive range FROM..TO of these (2021..2025, "  \
                     "2021-01..2023-06)"

enum period_kind { PERIOD_MONTH, PERIOD_QUARTER, PERIOD_YEAR, PERIOD_RANGE };

/** Plain value struct: an inclusive range of month indexes. */
typedef struct period {
    enum period_kind kind;
    int32_t first; /**< first month index */
    int32_t last;  /**< last month index, inclusive */
} period_t;

/** Month index of @p year / @p month (1..12); no range check. */
int32_t month_make(int year, int month);
/** Calendar year of a month index. */
int month_year(int32_t m);
/** Month of year, 1..12. */
int month_of_year(int32_t m);
/** YYYYMM (202510) of a month index: the form of months on the wire, in
 *  files and on disk. Every conversion between the two goes through this
 *  pair. */
uint32_t month_to_yyyymm(int32_t m);
/** Month index of @p yyyymm into *@p out when it is a valid month
 *  (PERIOD_MIN_YEAR..PERIOD_MAX_YEAR, 01..12). @return 1, or 0 (and *out
 *  untouched) when it is not. */
int month_from_yyyymm(uint32_t yyyymm, int32_t *out);
/** "YYYY-MM" of @p yyyymm into @p buf (PERIOD_STR_LEN is enough); a value
 *  that is not a valid month prints the same way ("2025-13"), so a
 *  rejected figure shows what was sent. */
void month_format_yyyymm(uint32_t yyyymm, char *buf, size_t len);
/** Month index of the current month at time @p t in a zone @p utc_offset
 *  seconds east of UTC (China Standard Time is 8 * 3600). */
int32_t month_from_time(time_t t, long utc_offset);

/** Parse a period in any of the PERIOD_FORMS.
 *  @param[out] out  Filled on success; untouched on failure.
 *  @param[out] err  On failure: what was wrong and the accepted forms.
 *  @return ERR_OK or ERR_INVAL. */
int period_parse(const char *s, period_t *out, char err[ERR_LEN]);

/** Parse only the month form YYYY-MM. @return ERR_OK or ERR_INVAL. */
int period_parse_month(const char *s, int32_t *out, char err[ERR_LEN]);

/** Canonical text of @p p ("2025-10", "2025-Q4", "2025", "2021..2025",
 *  "2021-01..2023-06": a range of whole years prints as years, any other
 *  range as months)
 *  into @p buf of @p len bytes (PERIOD_STR_LEN is always enough). */
void period_format(const period_t *p, char *buf, size_t len);
/** "YYYY-MM" of a month index into @p buf (at least 8 bytes). */
void month_format(int32_t m, char *buf, size_t len);

/** The month, quarter or year that contains month @p m. */
period_t period_of_month(enum period_kind kind, int32_t m);

#endif
