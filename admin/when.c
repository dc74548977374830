/* when.c: see when.h. */
#include "admin/when.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "admin/zone.h"

static int all_digits(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (!isdigit((unsigned char)*s)) {
            return 0;
        }
    }
    return 1;
}

/* "+08:00", "-0530", "+08", "Z" into seconds east of UTC. */
static int parse_offset(const char *s, long *off)
{
    if (strcmp(s, "Z") == 0 || strcmp(s, "z") == 0) {
        *off = 0;
        return 0;
    }
    int h = 0;
    int m = 0;
    int n = 0;
    char sign = s[0];
    if (sign != '+' && sign != '-') {
        return -1;
    }
    int colon = sscanf(s + 1, "%2d:%2d%n", &h, &m, &n) == 2 &&
                s[1 + n] == '\0' && n == 5;
    if (colon) {
        /* +HH:MM: read */
    } else if (strlen(s + 1) == 4 && all_digits(s + 1)) {
        h = (s[1] - '0') * 10 + (s[2] - '0');
        m = (s[3] - '0') * 10 + (s[4] - '0');
    } else if (strlen(s + 1) == 2 && all_digits(s + 1)) {
        h = (s[1] - '0') * 10 + (s[2] - '0');
    } else {
        return -1;
    }
    if (h > 14 || m > 59) {
        return -1;
    }
    *off = (sign == '-' ? -1 : 1) * (long)(h * 3600 + m * 60);
    return 0;
}

int when_parse(const char *s, long plan_tz, int64_t *out, char *why,
               size_t len)
{
    if (all_digits(s)) {
        return zone_parse_time(s, 0, out) == 0 ? 0 : -1;
    }
    size_t n = strlen(s);
    if (n == 10) { /* YYYY-MM-DD: its last second in the plan's zone */
        int64_t t = 0;
        if (zone_parse_time(s, plan_tz, &t) != 0) {
            snprintf(why, len, "is not a date YYYY-MM-DD");
            return -1;
        }
        *out = t + 86400 - 1;
        return 0;
    }
    /* The date and time, then the offset: find where the offset begins
     * (after the 'T' and HH:MM[:SS]). */
    const char *tpos = strpbrk(s, "Tt ");
    if (n < 16 || tpos == NULL || tpos - s != 10) {
        snprintf(why, len, "is not ISO 8601 with an offset "
                           "(2025-11-03T10:00:00+08:00), a date "
                           "YYYY-MM-DD or unix seconds");
        return -1;
    }
    size_t k = 11;
    while (k < n && (isdigit((unsigned char)s[k]) || s[k] == ':')) {
        k++;
    }
    if (k == n) {
        snprintf(why, len, "has a time of day but no offset (add Z or "
                           "+08:00)");
        return -1;
    }
    char base[32];
    if (k >= sizeof base) {
        snprintf(why, len, "is too long");
        return -1;
    }
    memcpy(base, s, k);
    base[k] = '\0';
    base[10] = 'T';
    long off = 0;
    int64_t t = 0;
    if (parse_offset(s + k, &off) != 0) {
        snprintf(why, len, "has an offset '%s' that is not Z, +HH:MM, "
                           "+HHMM or +HH", s + k);
        return -1;
    }
    if (zone_parse_time(base, off, &t) != 0) {
        snprintf(why, len, "is not a valid date and time");
        return -1;
    }
    *out = t;
    return 0;
}

int when_parse_past(const char *s, long plan_tz, int64_t now, int64_t *out,
                    char *why, size_t len)
{
    int64_t t = 0;
    if (when_parse(s, plan_tz, &t, why, len) != 0) {
        return -1;
    }
    if (t > now) {
        /* A date is its day's last second: today's has not come yet. */
        int is_date = strlen(s) == 10 && s[4] == '-';
        if (!is_date || t - 86399 > now) {
            snprintf(why, len, "is in the future; the store can only say "
                               "what it was");
            return -1;
        }
        t = now;
    }
    *out = t;
    return 0;
}
