/* cmd_diff.c: `hrssctl diff`: what changed between two moments.
 *
 * One DiffQ (store/asof.c store_diff). Every row has the same columns:
 *   {"row": "cell"|"total", "indicator", "region", "month", "kind",
 *    "before", "after", "reporting_before"/"expected" and
 *    "reporting_after"/"expected" (totals only)}
 * A cell row is one figure (indicator, region, month) whose value at
 * --to differs from --from; "before" is "—" (JSON null, empty CSV) when
 * the figure did not exist yet. A total row is the region's total of
 * the indicator for that month at each moment, for every (indicator,
 * month) a listed figure touched. Times: admin/when.h.
 *
 * INVARIANTS
 *   1. A figure that did not exist (or a total nobody reported) shows no
 *      number: "—", null, "".
 *   2. Cell rows come first, in (indicator, region, month) order, then
 *      the totals in (indicator, month) order: the collector's order.
 */
#include "admin/cmd_diff.h"

#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include "admin/when.h"
#include "admin/zone.h"

enum { D_ROW, D_IND, D_REGION, D_MONTH, D_KIND, D_BEFORE, D_AFTER,
       D_REP_BEFORE, D_REP_AFTER, D_NCOLS };

static const render_col_t diff_cols[D_NCOLS] = {
    [D_ROW] = {.type = CELL_TEXT, .head = "row", .json = "row"},
    [D_IND] = {.type = CELL_INDICATOR, .head = "指标", .csv = "indicator",
               .json = "indicator", .flags = RENDER_WRAP},
    [D_REGION] = {.type = CELL_REGION, .head = "地区", .csv = "region",
                  .json = "region"},
    [D_MONTH] = {.type = CELL_TEXT, .head = "month", .json = "month"},
    [D_KIND] = {.type = CELL_TEXT, .csv = "kind", .json = "kind"},
    [D_BEFORE] = {.type = CELL_FIGURE, .head = "before", .json = "before"},
    [D_AFTER] = {.type = CELL_FIGURE, .head = "after", .json = "after"},
    [D_REP_BEFORE] = {.type = CELL_OF, .head = "reporting before",
                      .csv = "reporting_before", .csv2 = "expected",
                      .json = "reporting_before", .json2 = "expected"},
    [D_REP_AFTER] = {.type = CELL_OF, .head = "reporting after",
                     .csv = "reporting_after", .csv2 = "expected_after",
                     .json = "reporting_after", .json2 = "expected_after"},
};

static int time_arg(const ctl_t *x, const char *flag, const char *s,
                    int64_t *t)
{
    char why[160];
    if (when_parse_past(s, catalog_plan(x->cat)->tz_offset,
                        (int64_t)time(NULL), t, why, sizeof why) != 0) {
        return ctl_fail(CTL_EX_USAGE, "--%s: '%s' %s", flag, s, why);
    }
    return 0;
}

static void month_text(uint32_t yyyymm, char buf[16])
{
    snprintf(buf, 16, "%04u-%02u", yyyymm / 100, yyyymm % 100);
}

static void add_cell(render_t *r, const ctl_t *x, const Hrss__DiffCell *c)
{
    char code[16];
    char month[16];
    snprintf(code, sizeof code, "%u", c->region);
    month_text(c->month, month);
    const indicator_t *ind = ctl_indicator(x, c->indicator);
    cell_t row[D_NCOLS];
    row[D_ROW] = cell_text("cell");
    row[D_IND] = cell_indicator(c->indicator,
                                ind != NULL ? ind->name_zh : NULL);
    row[D_REGION] = cell_region(code, ctl_region_name(x, c->region));
    row[D_MONTH] = cell_text(month);
    row[D_KIND] = cell_text(c->is_ratio ? "ratio" : "count");
    row[D_BEFORE] = c->has_from ? cell_figure(c->is_ratio, c->from_numerator,
                                              c->from_denominator)
                                : cell_none("—");
    row[D_AFTER] = c->has_to ? cell_figure(c->is_ratio, c->to_numerator,
                                           c->to_denominator)
                             : cell_none("—");
    row[D_REP_BEFORE] = cell_absent();
    row[D_REP_AFTER] = cell_absent();
    render_add_row(r, row);
}

static cell_t total_figure(const Hrss__Total *t)
{
    return t->reporting == 0 ? cell_none("—")
                             : cell_figure(t->is_ratio, t->numerator,
                                           t->denominator);
}

static void add_total(render_t *r, const ctl_t *x, const Hrss__DiffTotal *t)
{
    char code[16];
    snprintf(code, sizeof code, "%u", t->from->region);
    const indicator_t *ind = ctl_indicator(x, t->from->indicator);
    cell_t row[D_NCOLS];
    row[D_ROW] = cell_text("total");
    row[D_IND] = cell_indicator(t->from->indicator,
                                ind != NULL ? ind->name_zh : NULL);
    row[D_REGION] = cell_region(code, ctl_region_name(x, t->from->region));
    row[D_MONTH] = cell_text(t->from->period);
    row[D_KIND] = cell_text(t->from->is_ratio ? "ratio" : "count");
    row[D_BEFORE] = total_figure(t->from);
    row[D_AFTER] = total_figure(t->to);
    row[D_REP_BEFORE] = cell_of(t->from->reporting, t->from->expected);
    row[D_REP_AFTER] = cell_of(t->to->reporting, t->to->expected);
    render_add_row(r, row);
}

int cmd_diff(ctl_t *x, const ctl_args_t *a)
{
    Hrss__DiffQ q = HRSS__DIFF_Q__INIT;
    uint32_t region = 0;
    int st = time_arg(x, "from", a->from, &q.from);
    if (st == 0) {
        st = time_arg(x, "to", a->to, &q.to);
    }
    if (st == 0) {
        st = ctl_region_arg(x, a->region, &region);
    }
    if (st != 0) {
        return st;
    }
    q.has_region = 1;
    q.region = region;
    q.indicator = a->npos > 0 ? (char *)(uintptr_t)a->pos[0] : NULL;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_DIFF;
    req.diff = &q;
    Hrss__QueryResponse *resp = NULL;
    st = ctl_ask(x, &req, &resp);
    if (st != 0) {
        return st;
    }
    const Hrss__Diff *d = resp->diff;
    if (resp->r_case != HRSS__QUERY_RESPONSE__R_DIFF || d == NULL) {
        hrss__query_response__free_unpacked(resp, NULL);
        return ctl_fail(1, "the collector sent no diff (an older one?)");
    }
    render_t *r = ctl_render_new(x, diff_cols, D_NCOLS);
    for (size_t i = 0; i < d->n_cells; i++) {
        add_cell(r, x, d->cells[i]);
    }
    for (size_t i = 0; i < d->n_totals; i++) {
        add_total(r, x, d->totals[i]);
    }
    if (x->fmt == RENDER_TABLE) {
        char t1[ZONE_TIME_LEN];
        char t2[ZONE_TIME_LEN];
        char label[ZONE_LABEL_LEN];
        zone_format_time(d->from, x->tz, t1, sizeof t1);
        zone_format_time(d->to, x->tz, t2, sizeof t2);
        zone_label(x->tz, label, sizeof label);
        fprintf(x->out, "from %s to %s %s: %zu figure%s changed\n", t1, t2,
                label, d->n_cells, d->n_cells == 1 ? "" : "s");
    }
    if (d->has_truncated && d->truncated) {
        fprintf(stderr, "hrssctl: diff: more than %zu figures changed; "
                        "these are the first (narrow --region or name an "
                        "indicator)\n", d->n_cells);
    }
    ctl_print(x, r);
    render_destroy(&r);
    hrss__query_response__free_unpacked(resp, NULL);
    return 0;
}
