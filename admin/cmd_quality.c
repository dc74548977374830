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

enum {
    O_IND, O_REGION, O_PERIOD, O_VALUE, O_REASONS,
    O_S_N, O_S_MED, O_S_MAD, O_S_Z,
    O_R_N, O_R_MED, O_R_MAD, O_R_Z, O_NCOLS
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
};

/* The reason names, by bit (proto/hrss.proto Outlier.reasons). */
static const char *const reason_names[] = {"same_month", "last_12"};

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
        const char *why[2];
        size_t n_why = 0;
        cell_t row[O_NCOLS];
        for (size_t b = 0; b < 2; b++) {
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
