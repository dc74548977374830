/* catalog_load.c: what every catalog file shares, and plan.csv.
 *
 * Each file is read with common/csv.h from the copy of its bytes
 * catalog.c holds for that (text[]), in place: catalog_table_init() reads
 * the header and maps it onto the file's column spec,
 * catalog_table_next() hands out data rows with their fields trimmed
 * (common/text, after CSV unquoting, so a quoted " x " is trimmed too)
 * and put in spec order, whatever order the file has them in. The fields
 * stay where they lie, for the catalog's life: a loader keeps a string by
 * keeping its pointer, nothing is copied. The per-file loaders
 * (catalog_ind.c, catalog_reg.c, and the plan file below) then only
 * check values.
 *
 * Every message is "FILE:LINE: reason" (catalog_bad), LINE being the CSV
 * line where the offending row starts, the header's line for column
 * problems.
 *
 * INVARIANTS
 *   1. After catalog_table_init() succeeds, col[k] is a distinct CSV
 *      position for every spec column k < ncols, or -1 for an optional
 *      one (its spec ends in '?') the header lacks; the header has
 *      nfields fields, each mapped to exactly one spec column.
 *   2. catalog_table_next() hands out only rows with exactly nfields
 *      fields, an absent optional column as "".
 *   3. catalog_table_fini() is safe after any catalog_table_init(),
 *      failed or not.
 */
#include "common/catalog_int.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

/* --- messages and values ---------------------------------------------- */

int catalog_bad(char err[ERR_LEN], const char *path, size_t line,
                const char *fmt, ...)
{
    if (err != NULL) {
        int n = snprintf(err, ERR_LEN, "%s:%zu: ", path, line);
        if (n >= 0 && n < ERR_LEN) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, (size_t)(ERR_LEN - n), fmt, ap);
            va_end(ap);
        }
    }
    return ERR_INVAL;
}

/* Exactly 4 digits, 1900..9999; see catalog_int.h. */
int catalog_parse_year4(const char *s, int *out)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1900) {
        return 0;
    }
    *out = v;
    return 1;
}

int catalog_parse_number(const char *s, double *out)
{
    char *end = NULL;
    if (*s == '\0' || strspn(s, "0123456789+-.eE") != strlen(s)) {
        return 0;
    }
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v)) {
        return 0;
    }
    *out = v;
    return 1;
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int catalog_parse_basis(const char *s, enum ind_basis *basis, int *from,
                        int *to)
{
    int f = 0;
    int t = 0;
    if (has_prefix(s, "cumulative_") && strlen(s) == 20 && s[15] == '_' &&
        catalog_parse_year4(s + 11, &f) && catalog_parse_year4(s + 16, &t) &&
        f <= t) {
        *basis = BASIS_CUMULATIVE;
    } else if (has_prefix(s, "level_") && strlen(s) == 10 &&
               catalog_parse_year4(s + 6, &f)) {
        *basis = BASIS_LEVEL;
        t = f;
    } else if (has_prefix(s, "annual_") && strlen(s) == 11 &&
               catalog_parse_year4(s + 7, &f)) {
        *basis = BASIS_ANNUAL;
        t = f;
    } else {
        return 0;
    }
    *from = f;
    *to = t;
    return 1;
}

/* See catalog_int.h: YYYY-MM exactly (7 bytes), month 01..12. */
int catalog_parse_month(const char *s, int32_t *out)
{
    int y = 0;
    if (strlen(s) != 7 || !catalog_parse_year4(s, &y) || s[4] != '-' ||
        s[5] < '0' || s[5] > '1' || s[6] < '0' || s[6] > '9') {
        return 0;
    }
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    if (m < 1 || m > 12) {
        return 0;
    }
    *out = (int32_t)y * 12 + m - 1;
    return 1;
}

/* See catalog_int.h: 1..9 digits, no leading zero. */
int catalog_parse_region_code(const char *s, uint32_t *out)
{
    size_t n = strlen(s);
    uint32_t v = 0;
    if (n < 1 || n > 9 || s[0] == '0') {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10u + (uint32_t)(s[i] - '0');
    }
    *out = v;
    return 1;
}

/* --- header mapping --------------------------------------------------- */

/* Whether spec @p spec names an optional column (it ends in '?'). */
static int spec_optional(const char *spec)
{
    size_t sl = strlen(spec);
    return sl > 0 && spec[sl - 1] == '?';
}

/* Match header name @p h against column spec @p spec. A spec ending in
 * "_YYYY" matches its prefix followed by a year; a spec ending in '?'
 * (optional) matches its name without the '?'; returns 1 on a match, 0
 * on none, -1 when the prefix matches but the year is bad. */
static int column_matches(const char *spec, const char *h, int *year)
{
    size_t sl = strlen(spec);
    if (spec_optional(spec)) {
        *year = 0;
        return strlen(h) == sl - 1 && strncmp(spec, h, sl - 1) == 0;
    }
    if (sl > 5 && strcmp(spec + sl - 5, "_YYYY") == 0) {
        size_t pl = sl - 4; /* keep the '_' */
        if (strncmp(spec, h, pl) != 0) {
            return 0;
        }
        if (strlen(h + pl) != 4 || !catalog_parse_year4(h + pl, year)) {
            return -1;
        }
        return 1;
    }
    *year = 0;
    return strcmp(spec, h) == 0;
}

/* Find each of @p ncols specs in the header row @p f (trimmed in place).
 * @param[out] col   CSV position of each spec.
 * @param[out] year  Year of each _YYYY spec, else 0. */
static int map_header(const char *path, size_t line, char **f, size_t nf,
                      const char *const *spec, size_t ncols, int *col,
                      int *year, char err[ERR_LEN])
{
    for (size_t k = 0; k < ncols; k++) {
        col[k] = -1;
        year[k] = 0;
    }
    for (size_t j = 0; j < nf; j++) {
        const char *h = NULL;
        f[j] = text_trim(f[j]);
        h = f[j];
        size_t k = 0;
        size_t near = ncols; /* a _YYYY spec whose prefix matched */
        int y = 0;
        for (k = 0; k < ncols; k++) {
            int m = column_matches(spec[k], h, &y);
            if (m > 0) {
                break;
            }
            if (m < 0 && near == ncols) {
                near = k;
            }
        }
        if (k == ncols && near < ncols) {
            return catalog_bad(err, path, line,
                               "column '%s' should be %s with a year "
                               "1900..9999",
                               h, spec[near]);
        }
        if (k == ncols) {
            return catalog_bad(err, path, line, "unknown column '%s'", h);
        }
        if (col[k] >= 0) {
            return catalog_bad(err, path, line, "duplicate column '%s'", h);
        }
        col[k] = (int)j;
        year[k] = y;
    }
    for (size_t k = 0; k < ncols; k++) {
        if (col[k] < 0 && !spec_optional(spec[k])) {
            return catalog_bad(err, path, line, "missing column '%s'",
                               spec[k]);
        }
    }
    return ERR_OK;
}

/* --- the header and row reader ---------------------------------------- */

int catalog_table_init(catalog_table_t *t, catalog_t *c,
                       enum catalog_file which, const char *path,
                       const char *const *spec, size_t ncols,
                       char err[ERR_LEN])
{
    size_t nf = 0;

    assert(ncols <= CATALOG_MAX_COLS);
    assert((size_t)which < CATALOG_NFILES && c->text[which] != NULL);
    memset(t, 0, sizeof *t);
    t->path = path;
    t->ncols = ncols;
    int rc = csv_open_buf(&t->rd, path, c->text[which], c->src_len[which]);
    assert(rc == ERR_OK);
    rc = csv_next(t->rd, &nf, &t->header, &t->header_line, err);
    if (rc == 0) {
        return catalog_bad(err, path, 1,
                           "empty file, expected a header row");
    }
    if (rc < 0) {
        return rc;
    }
    t->nfields = nf;
    return map_header(path, t->header_line, t->header, nf, spec, ncols,
                      t->col, t->year, err);
}

int catalog_table_next(catalog_table_t *t, char **v, size_t *line,
                       char err[ERR_LEN])
{
    size_t nf = 0;
    char **f = NULL;

    t->header = NULL; /* csv_next reuses its fields */
    int rc = csv_next(t->rd, &nf, &f, line, err);
    if (rc <= 0) {
        return rc;
    }
    if (nf != t->nfields) {
        return catalog_bad(err, t->path, *line, "%zu fields, header has %d",
                           nf, (int)t->nfields);
    }
    const size_t *len = csv_lengths(t->rd);
    for (size_t k = 0; k < t->ncols; k++) {
        /* An optional column the file does not have reads as empty. */
        v[k] = t->col[k] < 0 ? (char *)(uintptr_t)""
                             : text_trim_len(f[t->col[k]], len[t->col[k]]);
    }
    return 1;
}

void catalog_table_fini(catalog_table_t *t)
{
    csv_destroy(&t->rd);
    t->header = NULL;
}

/* --- the plan file ---------------------------------------------------- */

/* IANA names accepted for time_zone: zones that have kept one offset,
 * with no daylight saving, since before the plans this reads (China has
 * had none since 1991). Anything else is written UTC+HH:MM. */
static const struct {
    const char *name;
    long offset;
} fixed_zones[] = {
    {"Asia/Shanghai", 8 * 3600},   {"Asia/Chongqing", 8 * 3600},
    {"Asia/Harbin", 8 * 3600},     {"PRC", 8 * 3600},
    {"Asia/Hong_Kong", 8 * 3600},  {"Asia/Macau", 8 * 3600},
    {"Asia/Taipei", 8 * 3600},     {"Asia/Singapore", 8 * 3600},
    {"Asia/Tokyo", 9 * 3600},      {"UTC", 0},
    {"Etc/UTC", 0},
};

/* "UTC", "UTC+8", "UTC+08", "UTC+08:00", "UTC-05:30": hours 0..14,
 * minutes 00, 30 or 45. @return 1 and *offset, or 0. */
static int parse_utc_offset(const char *s, long *offset)
{
    if (strncmp(s, "UTC", 3) != 0 || (s[3] != '+' && s[3] != '-')) {
        return 0;
    }
    const char *p = s + 4;
    long h = 0;
    long m = 0;
    size_t nd = strspn(p, "0123456789");
    if (nd < 1 || nd > 2) {
        return 0;
    }
    for (size_t i = 0; i < nd; i++) {
        h = h * 10 + (p[i] - '0');
    }
    p += nd;
    if (*p == ':') {
        if (strspn(p + 1, "0123456789") != 2 || p[3] != '\0') {
            return 0;
        }
        m = (p[1] - '0') * 10 + (p[2] - '0');
        p += 3;
    }
    if (*p != '\0' || h > 14 || (m != 0 && m != 30 && m != 45) ||
        (h == 14 && m != 0)) {
        return 0;
    }
    *offset = (s[3] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return 1;
}

int catalog_parse_time_zone(const char *s, long *offset)
{
    for (size_t i = 0; i < sizeof fixed_zones / sizeof *fixed_zones; i++) {
        if (strcmp(s, fixed_zones[i].name) == 0) {
            *offset = fixed_zones[i].offset;
            return 1;
        }
    }
    return parse_utc_offset(s, offset);
}

int catalog_parse_small(const char *s, int lo, int hi, int *out)
{
    int v = 0;
    size_t n = strlen(s);
    if (n < 1 || n > 2 || strspn(s, "0123456789") != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) {
        return 0;
    }
    *out = v;
    return 1;
}

enum plan_key {
    PK_TITLE_ZH,
    PK_TITLE_EN,
    PK_TIME_ZONE,
    PK_DEADLINE_DAY,
    PK_DEADLINE_MONTHS,
    PK_N
};

static const char *const plan_key_name[PK_N] = {
    "title_zh", "title_en", "time_zone", "deadline_day",
    "deadline_months_after",
};

/* Check and keep the value of key @p k. */
static int plan_value(catalog_t *c, const char *path, size_t line,
                      enum plan_key k, const char *val, char err[ERR_LEN])
{
    catalog_plan_t *pl = &c->plan;
    switch (k) {
    case PK_TITLE_ZH:
        if (val[0] == '\0') {
            return catalog_bad(err, path, line, "empty title_zh");
        }
        pl->title_zh = val;
        return ERR_OK;
    case PK_TITLE_EN:
        pl->title_en = val;
        return ERR_OK;
    case PK_TIME_ZONE:
        if (!catalog_parse_time_zone(val, &pl->tz_offset)) {
            return catalog_bad(err, path, line,
                               "time_zone: '%s' is not a zone of one fixed "
                               "offset: expected Asia/Shanghai (or another "
                               "such IANA name) or UTC+HH:MM", val);
        }
        pl->time_zone = val;
        return ERR_OK;
    case PK_DEADLINE_DAY:
        if (!catalog_parse_small(val, 1, 31, &pl->deadline_day)) {
            return catalog_bad(err, path, line,
                               "deadline_day: '%s' is not a day 1..31",
                               val);
        }
        return ERR_OK;
    case PK_DEADLINE_MONTHS:
        if (!catalog_parse_small(val, 0, 12, &pl->deadline_months_after)) {
            return catalog_bad(err, path, line,
                               "deadline_months_after: '%s' is not a number "
                               "of months 0..12", val);
        }
        return ERR_OK;
    case PK_N:
        break;
    }
    return ERR_INVAL;
}

int catalog_load_plan(catalog_t *c, const char *path, char err[ERR_LEN])
{
    static const char *const pcol_name[] = {"key", "value"};
    int rc = ERR_OK;
    catalog_table_t t;
    size_t line = 0;
    size_t seen_line[PK_N] = {0};

    rc = catalog_table_init(&t, c, CATALOG_PLAN, path, pcol_name, 2, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    c->plan.title_en = "";
    c->plan.time_zone = CATALOG_DEFAULT_TIME_ZONE;
    c->plan.tz_offset = 8 * 3600;
    c->plan.deadline_day = CATALOG_DEFAULT_DEADLINE_DAY;
    c->plan.deadline_months_after = 1;
    for (;;) {
        char *v[2];
        rc = catalog_table_next(&t, v, &line, err);
        if (rc < 0) {
            goto fail;
        }
        if (rc == 0) {
            break;
        }
        size_t k = 0;
        while (k < PK_N && strcmp(v[0], plan_key_name[k]) != 0) {
            k++;
        }
        if (k == PK_N) {
            rc = catalog_bad(err, path, line,
                             "unknown key '%s' (expected title_zh, "
                             "title_en, time_zone, deadline_day or "
                             "deadline_months_after)", v[0]);
            goto fail;
        }
        if (seen_line[k] != 0) {
            rc = catalog_bad(err, path, line, "duplicate key '%s' (first on "
                             "line %zu)", v[0], seen_line[k]);
            goto fail;
        }
        seen_line[k] = line;
        rc = plan_value(c, path, line, (enum plan_key)k, v[1], err);
        if (rc != ERR_OK) {
            goto fail;
        }
    }
    rc = ERR_OK;
    if (seen_line[PK_TITLE_ZH] == 0) {
        rc = catalog_bad(err, path, t.header_line, "missing key 'title_zh'");
    }

fail:
    catalog_table_fini(&t);
    return rc;
}
