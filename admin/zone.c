/* zone.c: wall-clock times at a fixed offset from UTC.
 *
 * A fixed offset is all hrssctl needs: the province keeps one time all
 * year, and --tz-offset-hours covers an operator elsewhere. gmtime_r()
 * and timegm() on the shifted value do the calendar arithmetic, so TZ
 * and the locale never matter.
 *
 * INVARIANTS
 *   1. zone_parse_time(zone_format_time(t, o), o) == t for every t a
 *      struct tm can hold.
 *   2. No global mutable state.
 */
#include "admin/zone.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void zone_format_time(int64_t t, long offset, char *buf, size_t len)
{
    time_t local = (time_t)(t + offset);
    struct tm tm;
    gmtime_r(&local, &tm);
    snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void zone_format_iso(int64_t t, long offset, char *buf, size_t len)
{
    time_t local = (time_t)(t + offset);
    struct tm tm;
    gmtime_r(&local, &tm);
    long a = offset < 0 ? -offset : offset;
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+', a / 3600,
             a % 3600 / 60);
}

int zone_parse_time(const char *s, long offset, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end != s && *end == '\0' && errno == 0) {
        *out = v;
        return ERR_OK;
    }
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    int n = 0;
    char sep = 0;
    int k = sscanf(s, "%4d-%2d-%2d%n%c%2d:%2d%n:%2d%n", &y, &mo, &d, &n,
                   &sep, &h, &mi, &n, &se, &n);
    if (k < 3 || s[n] != '\0' || (k > 3 && sep != 'T' && sep != ' ') ||
        mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        se > 60) {
        return ERR_INVAL;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *out = (int64_t)timegm(&tm) - offset;
    return ERR_OK;
}

void zone_label(long offset, char *buf, size_t len)
{
    long a = offset < 0 ? -offset : offset;
    char sign = offset < 0 ? '-' : '+';
    if (offset == 0) {
        snprintf(buf, len, "UTC");
    } else if (a % 3600 == 0) {
        snprintf(buf, len, "UTC%c%ld", sign, a / 3600);
    } else {
        snprintf(buf, len, "UTC%c%ld:%02ld", sign, a / 3600, a % 3600 / 60);
    }
}
