/* ranges.c: the collector's ranges file (ranges.h).
 *
 *   file -> csv rows -> header check -> one bound pair per (indicator,
 *   region) into a dense table [indicator * regions + region]
 *
 * INVARIANTS: see ranges.h.
 */
#include "collector/ranges.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "common/mem.h"

static const char *const header[] = {"indicator", "region", "min", "max"};

/* A bound: "" (none), else a finite number >= 0 (<= 1 for a ratio).
 * @return NULL, or why not. */
static const char *bound(const char *s, int is_ratio, int *has, double *v)
{
    *has = 0;
    if (s[0] == '\0') {
        return NULL;
    }
    char *end = NULL;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(x)) {
        return "not a number";
    }
    if (x < 0) {
        return "negative";
    }
    if (is_ratio && x > 1) {
        return "above 1 (a ratio's bound is a fraction, 0.95 for 95%)";
    }
    *has = 1;
    *v = x;
    return NULL;
}

/* One data row into @p t. @return NULL, or why not (its field in
 * *field). */
static const char *take_row(store_ranges_t *t, const catalog_t *cat,
                            char **f, const char **field)
{
    int ii = catalog_indicator_find(cat, f[0]);
    *field = "indicator";
    if (ii < 0) {
        return "not an indicator of the catalog";
    }
    *field = "region";
    int ri = catalog_region_find_str(cat, f[1]);
    if (ri < 0) {
        return "not a region code of the catalog";
    }
    int is_ratio = catalog_indicator(cat, (size_t)ii)->kind == IND_RATIO;
    store_range_t r = {0, 0, 0, 0};
    const char *why = NULL;
    *field = "min";
    why = bound(f[2], is_ratio, &r.has_min, &r.min);
    if (why == NULL) {
        *field = "max";
        why = bound(f[3], is_ratio, &r.has_max, &r.max);
    }
    if (why == NULL && !r.has_min && !r.has_max) {
        why = "neither min nor max is given";
    }
    if (why == NULL && r.has_min && r.has_max && r.min > r.max) {
        *field = "min";
        why = "above max";
    }
    store_range_t *slot = &t->v[(size_t)ii * t->n_regions + (size_t)ri];
    if (why == NULL && (slot->has_min || slot->has_max)) {
        *field = "region";
        why = "this indicator and region are given above already";
    }
    if (why == NULL) {
        *slot = r;
        t->count++;
    }
    return why;
}

static int read_rows(store_ranges_t *t, csv_reader_t *csv,
                     const catalog_t *cat, char err[ERR_LEN])
{
    size_t nf = 0;
    char **f = NULL;
    size_t line = 0;
    int rc;
    int first = 1;
    while ((rc = csv_next(csv, &nf, &f, &line, err)) == 1) {
        const char *field = NULL;
        const char *why = NULL;
        if (nf != 4) {
            why = "not 4 fields (indicator,region,min,max)";
        } else if (first) {
            for (size_t i = 0; i < 4 && why == NULL; i++) {
                if (strcmp(f[i], header[i]) != 0) {
                    why = "the header must be indicator,region,min,max";
                }
            }
        } else {
            why = take_row(t, cat, f, &field);
        }
        if (why != NULL) {
            snprintf(err, ERR_LEN, "%s:%zu: %s%s%s", csv_name(csv), line,
                     field != NULL ? field : "", field != NULL ? ": " : "",
                     why);
            return ERR_INVAL;
        }
        first = 0;
    }
    return rc == 0 ? ERR_OK : ERR_INVAL;
}

int ranges_load(store_ranges_t **out, const char *path,
                const catalog_t *cat, char err[ERR_LEN])
{
    csv_reader_t *csv = NULL;
    int rc = csv_open_file(&csv, path, err);
    if (rc != ERR_OK) {
        return rc;
    }
    store_ranges_t *t = xcalloc(1, sizeof *t);
    t->n_regions = catalog_region_count(cat);
    t->n = catalog_indicator_count(cat) * t->n_regions;
    t->v = xcalloc(t->n, sizeof *t->v);
    rc = read_rows(t, csv, cat, err);
    csv_destroy(&csv);
    if (rc != ERR_OK) {
        ranges_destroy(&t);
        return rc;
    }
    *out = t;
    return ERR_OK;
}

void ranges_destroy(store_ranges_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    free((*self_p)->v);
    free(*self_p);
    *self_p = NULL;
}
