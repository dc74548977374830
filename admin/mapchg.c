/* mapchg.c: how hrssctl shows a map that changes (mapchg.h).
 *
 * Design
 * ------
 * The collector sends a breakdown row's validity (valid_from/valid_to,
 * YYYYMM, only when narrower than the period) and its months_reported,
 * and a series' changes (RegionChange); this file turns them into the
 * table's words. A row's months are its validity clipped to the row's
 * period: the period's canonical text is parsed back (period.h), so a
 * row needs nothing but its Total.
 *
 * INVARIANTS
 *   1. Every output is NUL-terminated and fits its buffer (snprintf).
 *   2. An unparsable period (a newer collector's form) gives "" rather
 *      than a guess.
 */
#include "admin/mapchg.h"

#include <string.h>

#include "admin/cell.h"
#include "common/period.h"

void mapchg_yyyymm(uint32_t yyyymm, char *out, size_t len)
{
    month_format_yyyymm(yyyymm, out, len);
}

/* "YYYY-MM" of month index @p m. */
static void month_str(int32_t m, char *out, size_t len)
{
    mapchg_yyyymm(month_to_yyyymm(m), out, len);
}

int mapchg_has_months(const Hrss__Total *t)
{
    return t->has_valid_from || t->has_valid_to || t->has_months_reported;
}

void mapchg_months(const Hrss__Total *t, char *out, size_t len)
{
    period_t p;
    char err[ERR_LEN];
    out[0] = '\0';
    if (!mapchg_has_months(t) || period_parse(t->period, &p, err) != 0) {
        return;
    }
    int32_t m;
    if (t->has_valid_from && month_from_yyyymm(t->valid_from, &m) &&
        m > p.first) {
        p.first = m;
    }
    if (t->has_valid_to && month_from_yyyymm(t->valid_to, &m) &&
        m < p.last) {
        p.last = m;
    }
    char a[16];
    char b[16];
    month_str(p.first, a, sizeof a);
    month_str(p.last, b, sizeof b);
    /* Inside one year the second month drops its year: 2021-01..03. */
    const char *second = p.first / 12 == p.last / 12 ? b + 5 : b;
    int n = p.first == p.last
                ? snprintf(out, len, "%s", a)
                : snprintf(out, len, "%s..%s", a, second);
    if (t->has_months_reported && n >= 0 && (size_t)n < len) {
        snprintf(out + n, len - (size_t)n, " (%u)", t->months_reported);
    }
}

long mapchg_mark_point(const Hrss__TotalList *s, const Hrss__RegionChange *c)
{
    int32_t at;
    if (s->n_totals == 0 || !month_from_yyyymm(c->month, &at)) {
        return s->n_totals == 0 ? -1 : (long)s->n_totals - 1;
    }
    for (size_t i = 0; i < s->n_totals; i++) {
        period_t p;
        char err[ERR_LEN];
        if (period_parse(s->totals[i]->period, &p, err) == 0 &&
            p.last >= at) {
            return (long)i;
        }
    }
    return (long)s->n_totals - 1;
}

void mapchg_footnote(const ctl_t *x, uint32_t region,
                     const Hrss__RegionChange *c, size_t k, char *out,
                     size_t len)
{
    char month[16];
    mapchg_yyyymm(c->month, month, sizeof month);
    int n = snprintf(out, len, "*%zu %s: %s %s", k, month,
                     ctl_region_name(x, region), c->change);
    if (c->note != NULL && c->note[0] != '\0' && n >= 0 &&
        (size_t)n < len) {
        n += snprintf(out + n, len - (size_t)n, ": %s", c->note);
    }
    for (size_t i = 0; i < c->n_successors && n >= 0 && (size_t)n < len;
         i++) {
        n += snprintf(out + n, len - (size_t)n, "%s%u %s",
                      i == 0 ? "; to " : ", ", c->successors[i],
                      ctl_region_name(x, c->successors[i]));
    }
}

void mapchg_brief(const Hrss__RegionChange *c, char *out, size_t len)
{
    char month[16];
    mapchg_yyyymm(c->month, month, sizeof month);
    snprintf(out, len, "%s %s", month, c->change);
}

void mapchg_json(const Hrss__RegionChange *c, FILE *f)
{
    char month[16];
    mapchg_yyyymm(c->month, month, sizeof month);
    cell_t m = cell_text(month);
    cell_t ch = cell_text(c->change);
    cell_t note = c->note != NULL ? cell_text(c->note) : cell_none("");
    fputc('{', f);
    cell_put_json(&m, "month", NULL, 0, f);
    fputs(", ", f);
    cell_put_json(&ch, "change", NULL, 0, f);
    fputs(", ", f);
    cell_put_json(&note, "note", NULL, 0, f);
    fputs(", \"successors\": [", f);
    for (size_t i = 0; i < c->n_successors; i++) {
        fprintf(f, "%s\"%u\"", i ? ", " : "", c->successors[i]);
    }
    fputs("]}", f);
}

void mapchg_validity(const region_t *r, char *out, size_t len)
{
    char a[16] = "";
    char b[16] = "";
    out[0] = '\0';
    if (r->valid_from == CATALOG_OPEN_FROM && r->valid_to == CATALOG_OPEN_TO) {
        return;
    }
    if (r->valid_from != CATALOG_OPEN_FROM) {
        month_str(r->valid_from, a, sizeof a);
    }
    if (r->valid_to != CATALOG_OPEN_TO) {
        month_str(r->valid_to, b, sizeof b);
    }
    snprintf(out, len, "%s..%s", a, b);
}
