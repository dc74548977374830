/* cmd_plan.c: hrssctl progress, the plan's indicators against their
 * targets.
 *
 * The arithmetic is admin/progress.c's; this file asks the totals it
 * needs (one TotalQ per indicator, over the period progress_span() says)
 * and lays the rows out. For people the table speaks the plan's language
 * (its title, 〔〕 for cumulative targets, display units, "2020 基期"
 * and "2025 目标" for this plan); for scripts every figure is raw and the
 * JSON object per indicator also gives the basis, the period covered, the
 * expected value and the elapsed share.
 *
 * INVARIANTS
 *   1. No plan year, length or title is written here: all come from
 *      catalog_plan().
 *   2. Rows are in catalog order; an indicator without a report in its
 *      period shows "-" (null in JSON), never 0.
 */
#include "admin/cmd_plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/mem.h"

enum { P_IND, P_NAME, P_KIND, P_UNIT, P_SCALE, P_BASIS, P_PERIOD, P_BASE,
       P_TARGET, P_DIR, P_VALUE, P_NUM, P_DEN, P_SHARE, P_EXPECTED,
       P_ELAPSED, P_ON_TRACK, P_STATUS, P_REGIONS, P_NCOLS };

static const render_col_t progress_cols[P_NCOLS] = {
    [P_IND] = {.type = CELL_INDICATOR, .head = "指标 indicator",
               .csv = "indicator", .json = "indicator", .narrow = "指标",
               .flags = RENDER_WRAP},
    [P_NAME] = {.type = CELL_TEXT, .json = "name_zh"},
    [P_KIND] = {.type = CELL_TEXT, .json = "kind"},
    [P_UNIT] = {.type = CELL_TEXT, .head = "单位", .json = "display_unit"},
    [P_SCALE] = {.type = CELL_REAL, .json = "unit_scale"},
    [P_BASIS] = {.type = CELL_TEXT, .json = "basis"},
    [P_PERIOD] = {.type = CELL_TEXT, .json = "period"},
    /* The first to go on a screen too narrow (about 60 columns). */
    [P_BASE] = {.type = CELL_PLAN, .json = "baseline",   /* head: year */
                .drop = 1},
    [P_TARGET] = {.type = CELL_PLAN, .json = "target"},  /* head: year */
    [P_DIR] = {.type = CELL_TEXT, .json = "direction"},
    [P_VALUE] = {.type = CELL_PLAN, .head = "现值 value", .json = "value",
                 .narrow = "现值"},
    [P_NUM] = {.type = CELL_INT, .json = "numerator"},
    [P_DEN] = {.type = CELL_INT, .json = "denominator"},
    [P_SHARE] = {.type = CELL_SHARE, .head = "完成 share", .json = "share",
                 .narrow = "完成"},
    [P_EXPECTED] = {.type = CELL_REAL, .json = "expected"},
    [P_ELAPSED] = {.type = CELL_REAL, .json = "elapsed"},
    [P_ON_TRACK] = {.type = CELL_BOOL, .json = "on_track"},
    [P_STATUS] = {.type = CELL_TEXT, .head = "进度 status", .narrow = "进度"},
    [P_REGIONS] = {.type = CELL_OF, .head = "regions",
                   .csv = "reporting_regions", .csv2 = "expected_regions",
                   .json = "reporting_regions", .json2 = "expected_regions"},
};

/* A figure as the plan writes it: whole, or with one decimal. */
static cell_t planned(const indicator_t *ind, double v, int bracket)
{
    return cell_plan(ind, v, v == floor(v) ? 0 : 1, bracket);
}

/* @p cov is room for the covered period's text, which must outlive the
 * row. */
static void progress_cells(const progress_row_t *r, char *cov, size_t len,
                           cell_t row[P_NCOLS])
{
    const indicator_t *ind = r->ind;
    int ratio = ind->kind == IND_RATIO;
    period_format(&r->covered, cov, len);
    row[P_IND] = cell_indicator(ind->code, ind->name_zh);
    row[P_NAME] = cell_text(ind->name_zh);
    row[P_KIND] = cell_text(ctl_kind_word(ind));
    row[P_UNIT] = cell_text(ind->unit_zh);
    row[P_SCALE] = cell_real(ind->unit_scale);
    row[P_BASIS] = cell_text(ctl_basis_word(ind));
    row[P_PERIOD] = cell_text(cov);
    row[P_BASE] = ind->has_baseline ? planned(ind, ind->baseline, 0)
                                    : cell_none("");
    row[P_TARGET] = planned(ind, ind->target,
                            ind->basis == BASIS_CUMULATIVE);
    row[P_DIR] = cell_text(ctl_direction_word(ind));
    row[P_VALUE] = r->has_value ? cell_measure(ind, r->value)
                                : cell_none("-");
    row[P_NUM] = ratio ? cell_int(r->num) : cell_absent();
    row[P_DEN] = ratio ? cell_int(r->den) : cell_absent();
    row[P_SHARE] = r->has_value ? cell_share(r->share) : cell_none("-");
    row[P_EXPECTED] = cell_real(r->expected);
    row[P_ELAPSED] = cell_real(r->elapsed);
    row[P_ON_TRACK] = cell_bool(r->on_track);
    row[P_STATUS] = cell_text(!r->has_value ? "no data"
                              : r->on_track ? "on track"
                                            : "behind");
    row[P_REGIONS] = cell_of(r->reporting, r->expected_regions);
}

/* "five-year" for a plan of five years. */
static void plan_length(const catalog_plan_t *plan, char *buf, size_t len)
{
    static const char *const words[] = {"one", "two", "three", "four",
                                        "five", "six", "seven", "eight",
                                        "nine", "ten"};
    int n = plan->last_year - plan->first_year + 1;
    if (n >= 1 && n <= 10) {
        snprintf(buf, len, "%s-year", words[n - 1]);
    } else {
        snprintf(buf, len, "%d-year", n);
    }
}

/* The result with the plan's title, year headers and footer. */
static render_t *progress_view(const catalog_t *cat, uint32_t region,
                               const char *region_name, const char *per,
                               long tz, size_t width)
{
    const catalog_plan_t *plan = catalog_plan(cat);
    char base_head[32];
    char target_head[32];
    char length[24];
    render_col_t cols[P_NCOLS];
    snprintf(base_head, sizeof base_head, "%d 基期", plan->baseline_year);
    snprintf(target_head, sizeof target_head, "%d 目标",
             plan->target_year);
    for (size_t c = 0; c < P_NCOLS; c++) {
        cols[c] = progress_cols[c];
    }
    cols[P_BASE].head = base_head;
    cols[P_TARGET].head = target_head;
    /* On a narrow screen the years go: the title and footer name them. */
    cols[P_BASE].narrow = "基期";
    cols[P_TARGET].narrow = "目标";
    render_t *r = render_new(cols, P_NCOLS, tz);
    render_width(r, width);
    render_title(r, "%s progress — %s %u, period %s", plan->title_zh,
                 region_name, region, per);
    plan_length(plan, length, sizeof length);
    render_footer(r,
                  "〔〕 %s cumulative target (%d-%d); value = cumulative "
                  "through %s.\n"
                  "on track = at or above a straight line from the %d "
                  "baseline (or from 0) to the target.",
                  length, plan->first_year, plan->last_year, per,
                  plan->baseline_year);
    return r;
}

void cmd_plan_print(FILE *f, enum render_fmt fmt, const catalog_t *cat,
                    uint32_t region, const char *region_name,
                    const period_t *p, const progress_row_t *rows, long tz,
                    size_t width)
{
    char per[PERIOD_STR_LEN];
    period_format(p, per, sizeof per);
    render_t *r = progress_view(cat, region, region_name, per, tz, width);
    for (size_t i = 0; i < catalog_indicator_count(cat); i++) {
        char cov[PERIOD_STR_LEN];
        cell_t row[P_NCOLS];
        progress_cells(&rows[i], cov, sizeof cov, row);
        render_add_row(r, row);
    }
    if (fmt == RENDER_JSON) {
        fprintf(f, "{\"region\": \"%u\", \"period\": ", region);
        json_put_str(f, per);
        fprintf(f, ", \"indicators\": ");
        render_json_rows(r, f);
        fprintf(f, "}\n");
    } else {
        render_print(r, fmt, f);
    }
    render_destroy(&r);
}

int cmd_plan_progress(ctl_t *x, const ctl_args_t *a)
{
    const catalog_plan_t *plan = catalog_plan(x->cat);
    period_t p;
    uint32_t region;
    int st = 0;
    if (a->period != NULL) {
        st = ctl_period_arg(a->period, "--period", &p);
    } else {
        p = progress_default_period(plan, time(NULL), x->tz);
    }
    if (st == 0) {
        st = ctl_region_arg(x, a->region, &region);
    }
    if (st != 0) {
        return st;
    }
    size_t n = catalog_indicator_count(x->cat);
    progress_row_t *rows = xcalloc(n, sizeof *rows);
    for (size_t i = 0; i < n && st == 0; i++) {
        const indicator_t *ind = catalog_indicator(x->cat, i);
        progress_span_t s = progress_span(ind, plan, &p);
        store_total_t t;
        char err[ERR_LEN];
        memset(&t, 0, sizeof t);
        if (s.covered.last >= s.covered.first) {
            int rc = client_total(x->c, ind->code, region, &s.covered, &t,
                                  err);
            if (rc != ERR_OK) {
                st = ctl_fail_client(rc, err);
            }
        }
        progress_row(ind, plan, &p, &t, &rows[i]);
    }
    if (st == 0) {
        cmd_plan_print(stdout, x->fmt, x->cat, region,
                       ctl_region_name(x, region), &p, rows, x->tz,
                       x->width);
    }
    free(rows);
    return st;
}
