/* catalog_tgt.c: targets.csv, the targets per region and year, into the
 * catalog.
 *
 * Design
 * ------
 * A target is what one region should reach for one indicator in one year:
 * the plan's target year, or an earlier year (a milestone). The file has
 * the columns indicator,region,year,target,basis:
 *
 *   indicator  a code or Chinese name of indicators.csv
 *   region     a code of regions.csv
 *   year       four digits, one of the plan's years
 *   target     a number >= 0 in the indicator's display unit, as in
 *              indicators.csv (万人, %, 人 ...); a ratio's at most 100%
 *   basis      at the plan's target year the indicator's target_basis
 *              (indicators.csv); in an earlier year (a milestone) the
 *              same kind ending that year (cumulative_2021_2023 for a
 *              cumulative 2021-2025 indicator in 2023, level_2023,
 *              annual_2023); or empty for that
 *
 * The basis is fully determined by the indicator and the year, so a row
 * that gives another one is refused with the basis expected: progress
 * measures a region's target on the plan's own basis, and a city's
 * cumulative target adds up the same months as the province's.
 *
 * Rows are checked as they are read, in the order of the columns, so the
 * first bad field of the first bad row is the one reported, as
 * "targets.csv:LINE: FIELD: reason". Then, for each indicator, the root
 * region's target at the target year: from targets.csv when it has one
 * (indicators.csv's target_YYYY must then be empty or the same number:
 * one truth, checked), else from indicators.csv (catalogs from before
 * targets.csv), else the load fails naming the indicator's line. Last the
 * targets are sorted by (indicator, region, year) and indexed.
 *
 * Targets enter no fingerprint: they change no aggregate, and a store
 * need not be rebuilt when an office adds its own.
 *
 * INVARIANTS
 *   1. tgt has n_tgt entries, the loader's line array as many; by_target
 *      maps the key of every target to its index in tgt (after the sort,
 *      in the sorted tgt).
 *   2. No two targets share (indicator, region, year); every year lies in
 *      plan.first_year..plan.last_year; at the target year the basis is
 *      the indicator's target_basis, in another year its kind ending in
 *      that year (a cumulative one from the indicator's first year).
 *   3. After catalog_load_targets() succeeds, every indicator has
 *      has_target and a target (root, target_year) equal to its target.
 */
#include "common/catalog_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

enum tcol { TC_INDICATOR, TC_REGION, TC_YEAR, TC_TARGET, TC_BASIS, TC_N };

static const char *const tcol_name[TC_N] = {
    "indicator", "region", "year", "target", "basis",
};

/* The map key of (indicator, region, year). */
typedef struct tkey {
    int32_t ind;
    int32_t region;
    int32_t year;
} tkey_t;

static tkey_t key_of(int ind, int region, int year)
{
    tkey_t k;
    memset(&k, 0, sizeof k);
    k.ind = ind;
    k.region = region;
    k.year = year;
    return k;
}

/* The basis indicator @p ind has in @p year: its target_basis at the
 * plan's target year @p last, else its kind ending in @p year. */
static void basis_in(const indicator_t *ind, int year, int last,
                     catalog_target_t *t)
{
    t->basis = ind->basis;
    if (year == last) {
        t->basis_from = ind->basis_from;
        t->basis_to = ind->basis_to;
        return;
    }
    t->basis_from = ind->basis == BASIS_CUMULATIVE ? ind->basis_from : year;
    t->basis_to = year;
}

static void basis_text(const catalog_target_t *t, char *buf, size_t len)
{
    switch (t->basis) {
    case BASIS_CUMULATIVE:
        snprintf(buf, len, "cumulative_%d_%d", t->basis_from, t->basis_to);
        break;
    case BASIS_LEVEL:
        snprintf(buf, len, "level_%d", t->basis_to);
        break;
    case BASIS_ANNUAL:
        snprintf(buf, len, "annual_%d", t->basis_to);
        break;
    }
}

/* Append @p t, read on CSV line @p line (0: from indicators.csv), to
 * c->tgt and @p lines (the loader's, as long as tgt). */
static void push_target(catalog_t *c, const catalog_target_t *t,
                        size_t line, size_t **lines)
{
    if (c->n_tgt == c->cap_tgt) {
        c->cap_tgt = c->cap_tgt ? c->cap_tgt * 2 : 64;
        c->tgt = xreallocarray(c->tgt, c->cap_tgt, sizeof *c->tgt);
        *lines = xreallocarray(*lines, c->cap_tgt, sizeof **lines);
    }
    (*lines)[c->n_tgt] = line;
    c->tgt[c->n_tgt++] = *t;
}

/* indicator and region of a row. */
static int check_who(const catalog_t *c, const char *path, size_t line,
                     char *const *v, catalog_target_t *t, char err[ERR_LEN])
{
    uint32_t code = 0;
    int i = catalog_find_str(c->by_code, v[TC_INDICATOR]);
    if (i < 0) {
        i = catalog_find_str(c->by_name, v[TC_INDICATOR]);
    }
    if (i < 0) {
        return catalog_bad(err, path, line,
                           "indicator: unknown indicator '%s'",
                           v[TC_INDICATOR]);
    }
    int r = catalog_parse_region_code(v[TC_REGION], &code)
                ? catalog_find_region(c, code)
                : -1;
    if (r < 0) {
        return catalog_bad(err, path, line,
                           "region: unknown region '%s' (not in "
                           "regions.csv)", v[TC_REGION]);
    }
    t->indicator = i;
    t->region = r;
    return ERR_OK;
}

/* year, target and basis of a row whose indicator is known. */
static int check_what(const catalog_t *c, const char *path, size_t line,
                      char *const *v, catalog_target_t *t, char err[ERR_LEN])
{
    const indicator_t *ind = &c->ind[t->indicator];
    const catalog_plan_t *plan = &c->plan;
    int year = 0;
    if (strlen(v[TC_YEAR]) != 4 || !catalog_parse_year4(v[TC_YEAR], &year) ||
        year < plan->first_year || year > plan->last_year) {
        return catalog_bad(err, path, line,
                           "year: '%s' is not a year of the plan (%d-%d)",
                           v[TC_YEAR], plan->first_year, plan->last_year);
    }
    if (!catalog_parse_number(v[TC_TARGET], &t->target) ||
        t->target < 0) {
        return catalog_bad(err, path, line,
                           "target: '%s' is not a number >= 0",
                           v[TC_TARGET]);
    }
    if (ind->kind == IND_RATIO && t->target > ind->unit_scale) {
        return catalog_bad(err, path, line,
                           "target: %s %s is above 100%% for the ratio %s",
                           v[TC_TARGET], ind->unit_zh, ind->code);
    }
    t->year = year;
    basis_in(ind, year, plan->last_year, t);
    if (ind->basis == BASIS_CUMULATIVE && year < ind->basis_from) {
        return catalog_bad(err, path, line,
                           "year: %d is before %s's cumulative span "
                           "starts (%d)",
                           year, ind->code, ind->basis_from);
    }
    char want[32];
    basis_text(t, want, sizeof want);
    if (v[TC_BASIS][0] != '\0' && strcmp(v[TC_BASIS], want) != 0) {
        enum ind_basis b;
        int from = 0;
        int to = 0;
        if (!catalog_parse_basis(v[TC_BASIS], &b, &from, &to)) {
            return catalog_bad(err, path, line,
                               "basis: bad basis '%s': expected %s (or "
                               "empty)", v[TC_BASIS], want);
        }
        return catalog_bad(err, path, line,
                           "basis: %s cannot have '%s' in %d: its "
                           "target_basis is %s, so expected %s (or empty)",
                           ind->code, v[TC_BASIS], year,
                           ind->basis == BASIS_CUMULATIVE ? "cumulative"
                           : ind->basis == BASIS_LEVEL    ? "level"
                                                          : "annual",
                           want);
    }
    return ERR_OK;
}

/* Read every row of targets.csv into c->tgt, keys into by_target. */
static int read_file(catalog_t *c, const char *path, size_t **lines,
                     char err[ERR_LEN])
{
    catalog_table_t t;
    size_t line = 0;
    int rc = catalog_table_init(&t, c, CATALOG_TARGETS, path, tcol_name,
                                TC_N, err);
    while (rc == ERR_OK) {
        char *v[TC_N];
        catalog_target_t tg;
        int64_t first = 0;
        rc = catalog_table_next(&t, v, &line, err);
        if (rc <= 0) {
            break;
        }
        memset(&tg, 0, sizeof tg);
        for (size_t k = 0; k < TC_N; k++) {
            if (k != TC_BASIS && v[k][0] == '\0') {
                rc = catalog_bad(err, path, line, "%s: empty",
                                 tcol_name[k]);
                goto out;
            }
        }
        rc = check_who(c, path, line, v, &tg, err);
        if (rc == ERR_OK) {
            rc = check_what(c, path, line, v, &tg, err);
        }
        if (rc != ERR_OK) {
            break;
        }
        tkey_t key = key_of(tg.indicator, tg.region, tg.year);
        if (hmap_get(c->by_target, &key, sizeof key, &first)) {
            rc = catalog_bad(err, path, line,
                             "duplicate target for (%s, %s, %d) (first on "
                             "line %zu)",
                             c->ind[tg.indicator].code,
                             c->reg[tg.region].code_str, tg.year,
                             (*lines)[first]);
            break;
        }
        hmap_put(c->by_target, &key, sizeof key, (int64_t)c->n_tgt);
        push_target(c, &tg, line, lines);
    }
out:
    catalog_table_fini(&t);
    return rc;
}

/* The root's target of every indicator at the target year: targets.csv's
 * (checked against indicators.csv's), else indicators.csv's. */
static int root_targets(catalog_t *c, const char *path, const char *ind_path,
                        size_t **lines, char err[ERR_LEN])
{
    int year = c->plan.target_year;
    for (size_t i = 0; i < c->n_ind; i++) {
        indicator_t *ind = &c->ind[i];
        tkey_t key = key_of((int)i, c->root, year);
        int64_t k = 0;
        if (hmap_get(c->by_target, &key, sizeof key, &k)) {
            const catalog_target_t *t = &c->tgt[k];
            if (ind->has_target && ind->target != t->target) {
                return catalog_bad(err, path, (*lines)[k],
                                   "target: %g for (%s, %s, %d) differs "
                                   "from %s:%zu's target_%d %g: give the "
                                   "province's target in one place",
                                   t->target, ind->code,
                                   c->reg[c->root].code_str, year, ind_path,
                                   c->ind_line[i], year, ind->target);
            }
            ind->target = t->target;
            ind->has_target = 1;
            continue;
        }
        if (!ind->has_target) {
            return catalog_bad(err, ind_path, c->ind_line[i],
                               "no target for '%s': give it in targets.csv "
                               "(region %s, year %d) or in target_%d",
                               ind->code, c->reg[c->root].code_str, year,
                               year);
        }
        catalog_target_t t;
        memset(&t, 0, sizeof t);
        t.indicator = (int)i;
        t.region = c->root;
        t.year = year;
        t.target = ind->target;
        basis_in(ind, year, year, &t);
        push_target(c, &t, 0, lines);
    }
    return ERR_OK;
}

static int cmp_target(const void *a, const void *b)
{
    const catalog_target_t *x = a;
    const catalog_target_t *y = b;
    if (x->indicator != y->indicator) {
        return x->indicator < y->indicator ? -1 : 1;
    }
    if (x->region != y->region) {
        return x->region < y->region ? -1 : 1;
    }
    return (x->year > y->year) - (x->year < y->year);
}

int catalog_load_targets(catalog_t *c, const char *path,
                         const char *ind_path, char err[ERR_LEN])
{
    int rc = ERR_OK;
    size_t *lines = NULL;
    c->by_target = hmap_new();
    if (c->src[CATALOG_TARGETS] != NULL) {
        rc = read_file(c, path, &lines, err);
    }
    if (rc == ERR_OK) {
        rc = root_targets(c, path, ind_path, &lines, err);
    }
    free(lines);
    if (rc != ERR_OK) {
        return rc;
    }
    if (c->n_tgt > 1) {
        qsort(c->tgt, c->n_tgt, sizeof *c->tgt, cmp_target);
    }
    hmap_destroy(&c->by_target);
    c->by_target = hmap_new();
    for (size_t i = 0; i < c->n_tgt; i++) {
        tkey_t key = key_of(c->tgt[i].indicator, c->tgt[i].region,
                            c->tgt[i].year);
        hmap_put(c->by_target, &key, sizeof key, (int64_t)i);
    }
    return ERR_OK;
}
