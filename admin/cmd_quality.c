/* cmd_quality.c: outliers, the figures flagged against their history.
 *
 * One row per flagged figure, in the answer's order (indicator, region,
 * month), paged through ctl_ask_pages(). Values and statistics are in raw
 * units (persons; a ratio's fraction) in every form, since they are
 * compared with each other, not with the plan. A z of +-infinity (the
 * history's MAD was 0) reads "inf"/"-inf" for people and is empty in CSV
 * and null in JSON; a test that had too little history has its points
 * only (the rest "-", empty, null).
 *
 * INVARIANTS
 *   1. Rows are in the order of the answer, pages in the order asked.
 *   2. Every answer is freed by ctl_ask_pages() once its rows are copied.
 */
#include "admin/cmd_quality.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum {
    O_IND, O_REGION, O_PERIOD, O_VALUE, O_REASONS,
    O_S_N, O_S_MED, O_S_MAD, O_S_Z,
    O_R_N, O_R_MED, O_R_MAD, O_R_Z, O_MIN, O_MAX, O_NCOLS
};

static const render_col_t outlier_cols[O_NCOLS] = {
    [O_IND] = {.type = CELL_INDICATOR, .head = "指标 indicator",
               .csv = "indicator", .csv2 = "indicator_name",
               .json = "indicator", .narrow = "指标",
               .flags = RENDER_WRAP},
    [O_REGION] = {.type = CELL_REGION, .head = "地区", .csv = "region",
                  .csv2 = "region_name", .json = "region"},
    [O_PERIOD] = {.type = CELL_TEXT, .head = "period", .json = "period"},
    [O_VALUE] = {.type = CELL_REAL, .head = "value", .json = "value"},
    [O_REASONS] = {.type = CELL_LIST, .head = "reasons", .json = "reasons",
                   .flags = RENDER_WRAP},
    [O_S_N] = {.type = CELL_INT, .head = "same-month n",
               .narrow = "sm n", .csv = "same_month_points",
               .json = "same_month_points", .drop = 2},
    [O_S_MED] = {.type = CELL_REAL, .head = "median", .json =
                 "same_month_median", .csv = "same_month_median", .drop = 2},
    [O_S_MAD] = {.type = CELL_REAL, .head = "MAD", .json = "same_month_mad",
                 .csv = "same_month_mad", .drop = 2},
    [O_S_Z] = {.type = CELL_REAL, .head = "z", .json = "same_month_z",
               .csv = "same_month_z"},
    [O_R_N] = {.type = CELL_INT, .head = "last-12 n", .narrow = "12 n",
               .csv = "last_12_points", .json = "last_12_points",
               .drop = 1},
    [O_R_MED] = {.type = CELL_REAL, .head = "median",
                 .json = "last_12_median", .csv = "last_12_median",
                 .drop = 1},
    [O_R_MAD] = {.type = CELL_REAL, .head = "MAD", .json = "last_12_mad",
                 .csv = "last_12_mad", .drop = 1},
    [O_R_Z] = {.type = CELL_REAL, .head = "z", .json = "last_12_z",
               .csv = "last_12_z"},
    [O_MIN] = {.type = CELL_REAL, .head = "min", .json = "range_min",
               .csv = "range_min", .flags = RENDER_NO_TABLE},
    [O_MAX] = {.type = CELL_REAL, .head = "max", .json = "range_max",
               .csv = "range_max", .flags = RENDER_NO_TABLE},
};

/* The reason names, by bit (proto/hrss.proto Outlier.reasons). */
static const char *const reason_names[] = {"same_month", "last_12",
                                           "range"};

static void test_cells(const Hrss__OutlierTest *t, cell_t *row, size_t at)
{
    row[at] = cell_int(t != NULL ? t->points : 0);
    if (t == NULL || t->points < 3) { /* not applied: too little history */
        row[at + 1] = cell_none("-");
        row[at + 2] = cell_none("-");
        row[at + 3] = cell_none("-");
        return;
    }
    row[at + 1] = cell_real(t->median);
    row[at + 2] = cell_real(t->mad);
    if (isinf(t->z)) {
        row[at + 3] = cell_none(t->z > 0 ? "inf" : "-inf");
    } else {
        row[at + 3] = cell_real(t->z);
    }
}

typedef struct outliers_acc {
    ctl_t *x;
    render_t *r;
} outliers_acc_t;

static int outliers_page(const Hrss__QueryResponse *page, void *arg)
{
    outliers_acc_t *acc = arg;
    ctl_t *x = acc->x;
    const Hrss__OutlierList *l = page->outliers;
    for (size_t i = 0; i < l->n_outliers; i++) {
        const Hrss__Outlier *o = l->outliers[i];
        const indicator_t *ind = ctl_indicator(x, o->indicator);
        char month[PERIOD_STR_LEN];
        char reg[16];
        const char *why[3];
        size_t n_why = 0;
        cell_t row[O_NCOLS];
        for (size_t b = 0; b < 3; b++) {
            if (o->reasons & (1u << b)) {
                why[n_why++] = reason_names[b];
            }
        }
        month_format_yyyymm(o->month, month, sizeof month);
        snprintf(reg, sizeof reg, "%u", o->region);
        row[O_IND] = cell_indicator(o->indicator, ind ? ind->name_zh : NULL);
        row[O_REGION] = cell_region(reg, ctl_region_name(x, o->region));
        row[O_PERIOD] = cell_text(month);
        row[O_VALUE] = cell_real(o->value);
        row[O_REASONS] = cell_list(why, n_why, NULL);
        row[O_MIN] = o->has_range_min ? cell_real(o->range_min)
                                      : cell_none(NULL);
        row[O_MAX] = o->has_range_max ? cell_real(o->range_max)
                                      : cell_none(NULL);
        test_cells(o->seasonal, row, O_S_N);
        test_cells(o->recent, row, O_R_N);
        render_add_row(acc->r, row);
    }
    return 0;
}

int cmd_quality_outliers(ctl_t *x, const ctl_args_t *a)
{
    Hrss__OutliersQ q = HRSS__OUTLIERS_Q__INIT;
    period_t p;
    uint32_t region = 0;
    int st = ctl_period_arg(a->period, "--period", &p);
    q.period = (char *)(uintptr_t)a->period;
    if (st == 0 && a->region != NULL) {
        st = ctl_region_arg(x, a->region, &region);
        q.has_region = 1;
        q.region = region;
    }
    if (st != 0) {
        return st;
    }
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_OUTLIERS;
    req.outliers = &q;
    outliers_acc_t acc = {x, ctl_render_new(x, outlier_cols, O_NCOLS)};
    st = ctl_ask_pages(x, &req, outliers_page, &acc);
    if (st == 0) {
        render_empty(acc.r, "no stored figure of the period is an outlier");
        ctl_print(x, acc.r);
    }
    render_destroy(&acc.r);
    return st;
}

/* ---------------------------------------------------------------------- */
/* ranges: bounds from the history, for the collector's --ranges file      */

typedef struct ranges_acc {
    ctl_t *x;
    int within;          /* catalog index of --region, or -1 */
    char ind[64];        /* the (indicator, region) being measured */
    uint32_t region;
    int is_ratio;
    double min, max;
    size_t n;            /* figures seen of it; 0: none yet */
    size_t rows;
} ranges_acc_t;

static void ranges_row(ranges_acc_t *acc)
{
    if (acc->n == 0) {
        return;
    }
    if (acc->is_ratio) {
        fprintf(acc->x->out, "%s,%u,%.6g,%.6g\n", acc->ind, acc->region,
                acc->min, acc->max);
    } else {
        fprintf(acc->x->out, "%s,%u,%.0f,%.0f\n", acc->ind, acc->region,
                acc->min, acc->max);
    }
    acc->rows++;
    acc->n = 0;
}

static int ranges_page(const Hrss__QueryResponse *page, void *arg)
{
    ranges_acc_t *acc = arg;
    const catalog_t *cat = acc->x->cat;
    for (size_t i = 0; i < page->facts->n_facts; i++) {
        const Hrss__Fact *f = page->facts->facts[i];
        int ri = catalog_region_find(cat, f->region);
        if (ri < 0 ||
            (acc->within >= 0 && !catalog_region_within(cat, ri,
                                                        acc->within))) {
            continue;
        }
        double v = f->is_ratio ? (f->denominator > 0
                                      ? (double)f->numerator /
                                            (double)f->denominator
                                      : 0)
                               : (double)f->numerator;
        if (acc->n == 0 || strcmp(acc->ind, f->indicator) != 0 ||
            acc->region != f->region) {
            ranges_row(acc);
            snprintf(acc->ind, sizeof acc->ind, "%s", f->indicator);
            acc->region = f->region;
            acc->is_ratio = f->is_ratio;
            acc->min = acc->max = v;
        }
        acc->min = v < acc->min ? v : acc->min;
        acc->max = v > acc->max ? v : acc->max;
        acc->n++;
    }
    return 0;
}

int cmd_quality_ranges(ctl_t *x, const ctl_args_t *a)
{
    if (x->fmt == RENDER_JSON) {
        return ctl_fail(CTL_EX_USAGE, "ranges writes the collector's "
                                      "--ranges CSV; --json does not apply");
    }
    period_t p;
    if (ctl_period_arg(a->from, "--from", &p) != 0 ||
        ctl_period_arg(a->to, "--to", &p) != 0) {
        return CTL_EX_USAGE;
    }
    uint32_t region = 0;
    if (a->region != NULL && ctl_region_arg(x, a->region, &region) != 0) {
        return 1;
    }
    ranges_acc_t acc = {.x = x, .within = -1};
    if (region != 0) {
        acc.within = catalog_region_find(x->cat, region);
    }
    Hrss__FactsQ q = HRSS__FACTS_Q__INIT;
    q.from = (char *)(uintptr_t)a->from;
    q.to = (char *)(uintptr_t)a->to;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    req.facts = &q;
    fprintf(x->out, "indicator,region,min,max\n");
    int st = ctl_ask_pages(x, &req, ranges_page, &acc);
    if (st == 0) {
        ranges_row(&acc);
    }
    return st;
}
