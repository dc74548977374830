/* period.c: parse and format months, quarters, years and year ranges.
 *
 * Everything is reduced to an inclusive range of month indexes
 * (year * 12 + month - 1) so the store can treat all period forms alike.
 *
 * INVARIANTS
 *   1. A parsed period has PERIOD_MIN_YEAR <= year <= PERIOD_MAX_YEAR for
 *      both ends and first <= last.
 *   2. period_format(period_parse(s)) == s for every canonical s.
 *   3. A range is [FROM.first, TO.last] of two single periods.
 */
#include "common/period.h"

#include <stdio.h>
#include <string.h>

int32_t month_make(int year, int month)
{
    return (int32_t)(year * 12 + (month - 1));
}

int month_year(int32_t m) { return (int)(m / 12); }

int month_of_year(int32_t m) { return (int)(m % 12) + 1; }

uint32_t month_to_yyyymm(int32_t m)
{
    return (uint32_t)(month_year(m) * 100 + month_of_year(m));
}

int month_from_yyyymm(uint32_t yyyymm, int32_t *out)
{
    uint32_t y = yyyymm / 100;
    uint32_t m = yyyymm % 100;
    if (y < PERIOD_MIN_YEAR || y > PERIOD_MAX_YEAR || m < 1 || m > 12) {
        return 0;
    }
    *out = month_make((int)y, (int)m);
    return 1;
}

void month_format_yyyymm(uint32_t yyyymm, char *buf, size_t len)
{
    snprintf(buf, len, "%04u-%02u", yyyymm / 100, yyyymm % 100);
}

int32_t month_from_time(time_t t, long utc_offset)
{
    time_t local = t + (time_t)utc_offset;
    struct tm tm;
    gmtime_r(&local, &tm);
    return month_make(tm.tm_year + 1900, tm.tm_mon + 1);
}

/* Parse exactly @p n ASCII digits at @p s into *out. */
static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

static int year_ok(int y)
{
    return y >= PERIOD_MIN_YEAR && y <= PERIOD_MAX_YEAR;
}

static int bad(const char *s, const char *why, char err[ERR_LEN])
{
    snprintf(err, ERR_LEN, "bad period '%s': %s; expected " PERIOD_FORMS,
             s, why);
    return ERR_INVAL;
}

int period_parse_month(const char *s, int32_t *out, char err[ERR_LEN])
{
    int y = 0;
    int m = 0;
    if (strlen(s) != 7 || !digits(s, 4, &y) || s[4] != '-' ||
        !digits(s + 5, 2, &m)) {
        snprintf(err, ERR_LEN, "bad month '%s': expected YYYY-MM", s);
        return ERR_INVAL;
    }
    if (!year_ok(y) || m < 1 || m > 12) {
        snprintf(err, ERR_LEN,
                 "bad month '%s': month must be 01..12, year %d..%d", s,
                 PERIOD_MIN_YEAR, PERIOD_MAX_YEAR);
        return ERR_INVAL;
    }
    *out = month_make(y, m);
    return ERR_OK;
}

/* One period that is not a range. */
static int parse_single(const char *s, size_t len, period_t *p)
{
    int y = 0;
    int n = 0;
    if (len < 4 || !digits(s, 4, &y) || !year_ok(y)) {
        return 0;
    }
    if (len == 4) {
        p->kind = PERIOD_YEAR;
        p->first = month_make(y, 1);
        p->last = month_make(y, 12);
    } else if (len == 7 && s[4] == '-' && s[5] == 'Q' && digits(s + 6, 1, &n)) {
        if (n < 1 || n > 4) {
            return 0;
        }
        p->kind = PERIOD_QUARTER;
        p->first = month_make(y, 3 * n - 2);
        p->last = month_make(y, 3 * n);
    } else if (len == 7 && s[4] == '-' && digits(s + 5, 2, &n)) {
        if (n < 1 || n > 12) {
            return 0;
        }
        p->kind = PERIOD_MONTH;
        p->first = p->last = month_make(y, n);
    } else {
        return 0;
    }
    return 1;
}

int period_parse(const char *s, period_t *out, char err[ERR_LEN])
{
    size_t len = strlen(s);
    period_t p;
    const char *dots = strstr(s, "..");
    if (dots == NULL) {
        if (!parse_single(s, len, &p)) {
            return bad(s, "not a month, quarter or year", err);
        }
        *out = p;
        return ERR_OK;
    }
    period_t a;
    period_t b;
    size_t alen = (size_t)(dots - s);
    if (!parse_single(s, alen, &a) ||
        !parse_single(dots + 2, len - alen - 2, &b)) {
        return bad(s, "a range needs a period on each side of '..'", err);
    }
    if (b.last < a.first) {
        return bad(s, "the range ends before it starts", err);
    }
    p.kind = PERIOD_RANGE;
    p.first = a.first;
    p.last = b.last;
    *out = p;
    return ERR_OK;
}

void month_format(int32_t m, char *buf, size_t len)
{
    snprintf(buf, len, "%04d-%02d", month_year(m), month_of_year(m));
}

void period_format(const period_t *p, char *buf, size_t len)
{
    switch (p->kind) {
    case PERIOD_MONTH:
        month_format(p->first, buf, len);
        break;
    case PERIOD_QUARTER:
        snprintf(buf, len, "%04d-Q%d", month_year(p->first),
                 (month_of_year(p->first) - 1) / 3 + 1);
        break;
    case PERIOD_YEAR:
        snprintf(buf, len, "%04d", month_year(p->first));
        break;
    case PERIOD_RANGE:
        if (p->first % 12 == 0 && p->last % 12 == 11) {
            snprintf(buf, len, "%04d..%04d", month_year(p->first),
                     month_year(p->last));
        } else {
            snprintf(buf, len, "%04d-%02d..%04d-%02d", month_year(p->first),
                     month_of_year(p->first), month_year(p->last),
                     month_of_year(p->last));
        }
        break;
    }
}

period_t period_of_month(enum period_kind kind, int32_t m)
{
    period_t p;
    p.kind = kind;
    switch (kind) {
    case PERIOD_QUARTER:
        p.first = m - (m % 3);
        p.last = p.first + 2;
        break;
    case PERIOD_YEAR:
    case PERIOD_RANGE:
        p.kind = PERIOD_YEAR;
        p.first = m - (m % 12);
        p.last = p.first + 11;
        break;
    case PERIOD_MONTH:
    default:
        p.first = p.last = m;
        break;
    }
    return p;
}
