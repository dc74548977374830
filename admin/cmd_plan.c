/* cmd_plan.c: hrssctl progress, the plan's indicators against their
 * targets.
 *
 * The arithmetic is admin/progress.c's; this file asks the totals it
 * needs (one TotalQ per indicator, over the period progress_span_for()
 * says, and for a region below the province the province's total over
 * the same period, for its share) and lays the rows out. A region is
 * measured against its own targets (catalog targets.csv: the milestone
 * of the period's year, else the target year's), never the province's:
 * without one its row says "no target" and shows its value and its share
 * of the province's total. The province reads as it did before targets
 * were per region. For people the table speaks the plan's language
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
 *   3. A row below the province shows a target, a pace or a baseline
 *      only of its own region: never the province's.
 */
#include "admin/cmd_plan.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "admin/zone.h"
#include "common/json.h"
#include "common/mem.h"

enum { P_IND, P_NAME, P_KIND, P_UNIT, P_SCALE, P_BASIS, P_PERIOD, P_BASE,
       P_TARGET, P_TYEAR, P_DIR, P_VALUE, P_NUM, P_DEN, P_SHARE, P_OFPROV,
       P_EXPECTED, P_ELAPSED, P_ON_TRACK, P_STATUS, P_REGIONS, P_APPR,
       P_TSRC, P_TREGION, P_PROV, P_NCOLS };

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
    [P_TYEAR] = {.type = CELL_ID, .head = "年 year", .csv = "target_year",
                 .json = "target_year"},
    [P_DIR] = {.type = CELL_TEXT, .json = "direction"},
    [P_VALUE] = {.type = CELL_PLAN, .head = "现值 value", .json = "value",
                 .narrow = "现值"},
    [P_NUM] = {.type = CELL_INT, .json = "numerator"},
    [P_DEN] = {.type = CELL_INT, .json = "denominator"},
    [P_SHARE] = {.type = CELL_SHARE, .head = "完成 share", .json = "share",
                 .narrow = "完成"},
    [P_OFPROV] = {.type = CELL_SHARE, .head = "占全省 of province",
                  .csv = "share_of_province", .json = "share_of_province",
                  .narrow = "占全省"},
    [P_EXPECTED] = {.type = CELL_REAL, .json = "expected"},
    [P_ELAPSED] = {.type = CELL_REAL, .json = "elapsed"},
    [P_ON_TRACK] = {.type = CELL_BOOL, .json = "on_track"},
    [P_STATUS] = {.type = CELL_TEXT, .head = "进度 status", .narrow = "进度"},
    [P_REGIONS] = {.type = CELL_OF, .head = "regions",
                   .csv = "reporting_regions", .csv2 = "expected_regions",
                   .json = "reporting_regions", .json2 = "expected_regions"},
    /* Not in the table, which has no room for it at 80 columns: the
     * footer gives it per period covered (approved_footer). */
    [P_APPR] = {.type = CELL_INT, .csv = "approved_regions",
                .json = "approved_regions", .flags = RENDER_NO_TABLE},
    [P_TSRC] = {.type = CELL_TEXT, .csv = "target_source",
                .json = "target_source", .flags = RENDER_NO_TABLE},
    [P_TREGION] = {.type = CELL_TEXT, .csv = "target_region",
                   .json = "target_region", .flags = RENDER_NO_TABLE},
    [P_PROV] = {.type = CELL_REAL, .csv = "province_value",
                .json = "province_value", .flags = RENDER_NO_TABLE},
};

/* JSON keys: those of before targets were per region, then the new. */
static const size_t progress_json_order[P_NCOLS] = {
    P_IND, P_NAME, P_KIND, P_UNIT, P_SCALE, P_BASIS, P_PERIOD, P_BASE,
    P_TARGET, P_DIR, P_VALUE, P_NUM, P_DEN, P_SHARE, P_EXPECTED, P_ELAPSED,
    P_ON_TRACK, P_STATUS, P_REGIONS, P_APPR, P_TSRC, P_TREGION, P_TYEAR,
    P_PROV, P_OFPROV,
};

/* What the rows of one progress answer have in common. */
typedef struct view {
    int is_root;           /* the province: the plan's baseline applies */
    int approved_only;     /* progress --approved */
    const char *code;      /* the region's code text */
    size_t with_target;    /* rows measured against a target */
    size_t milestones;     /* of which a milestone (before the plan's
                              target year) */
} view_t;

/* A figure as the plan writes it: whole, or with one decimal. */
static cell_t planned(const indicator_t *ind, double v, int bracket)
{
    return cell_plan(ind, v, v == floor(v) ? 0 : 1, bracket);
}

static const char *status_of(const progress_row_t *r)
{
    return !r->has_target  ? "no target"
           : !r->has_value ? "no data"
           : r->on_track   ? "on track"
                           : "behind";
}

/* @p cov is room for the covered period's text, which must outlive the
 * row. */
static void progress_cells(const progress_row_t *r, const view_t *v,
                           char *cov, size_t len, cell_t row[P_NCOLS])
{
    const indicator_t *ind = r->ind;
    int ratio = ind->kind == IND_RATIO;
    int tg = r->has_target;
    period_format(&r->covered, cov, len);
    row[P_IND] = cell_indicator(ind->code, ind->name_zh);
    row[P_NAME] = cell_text(ind->name_zh);
    row[P_KIND] = cell_text(ctl_kind_word(ind));
    row[P_UNIT] = cell_text(ind->unit_zh);
    row[P_SCALE] = cell_real(ind->unit_scale);
    row[P_BASIS] = cell_text(ctl_basis_word(ind));
    row[P_PERIOD] = cell_text(cov);
    /* The plan's baselines are the province's. */
    row[P_BASE] = v->is_root && ind->has_baseline
                      ? planned(ind, ind->baseline, 0)
                      : cell_none("");
    row[P_TARGET] = tg ? planned(ind, r->target_shown,
                                 ind->basis == BASIS_CUMULATIVE)
                       : cell_none("-");
    row[P_TYEAR] = tg ? cell_id((uint64_t)r->target_year) : cell_none("-");
    row[P_DIR] = cell_text(ctl_direction_word(ind));
    row[P_VALUE] = r->has_value ? cell_measure(ind, r->value)
                                : cell_none("-");
    row[P_NUM] = !ratio ? cell_absent()
                 : r->reporting > 0 ? cell_int(r->num)
                                    : cell_none("-");
    row[P_DEN] = !ratio ? cell_absent()
                 : r->reporting > 0 ? cell_int(r->den)
                                    : cell_none("-");
    row[P_SHARE] = tg && r->has_value ? cell_share(r->share)
                                      : cell_none("-");
    row[P_OFPROV] = v->is_root ? cell_absent()
                    : r->has_province && !isnan(r->province_share)
                        ? cell_share(r->province_share)
                        : cell_none("-");
    row[P_EXPECTED] = tg ? cell_real(r->expected) : cell_none("");
    row[P_ELAPSED] = cell_real(r->elapsed);
    row[P_ON_TRACK] = tg ? cell_bool(r->on_track) : cell_none("");
    row[P_STATUS] = cell_text(status_of(r));
    row[P_REGIONS] = cell_of(r->reporting, r->expected_regions);
    row[P_APPR] = cell_int(r->approved_regions);
    row[P_TSRC] = cell_text(tg ? "own" : "none");
    row[P_TREGION] = tg ? cell_text(v->code) : cell_none("");
    row[P_PROV] = v->is_root        ? cell_absent()
                  : r->has_province ? cell_real(r->province_value)
                                    : cell_none("");
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

/* The footer being written: lines appended, cut at its size. */
typedef struct footer {
    char text[2048];
    size_t len;
} footer_t;

static void add_line(footer_t *ft, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_line(footer_t *ft, const char *fmt, ...)
{
    va_list ap;
    if (ft->len > 0 && ft->len + 1 < sizeof ft->text) {
        ft->text[ft->len++] = '\n';
        ft->text[ft->len] = '\0';
    }
    if (ft->len + 1 >= sizeof ft->text) {
        return;
    }
    va_start(ap, fmt);
    int w = vsnprintf(ft->text + ft->len, sizeof ft->text - ft->len, fmt,
                      ap);
    va_end(ap);
    if (w > 0) {
        ft->len += (size_t)w < sizeof ft->text - ft->len
                       ? (size_t)w
                       : sizeof ft->text - ft->len - 1;
    }
}

/* The footer's lines about targets, for a region that is not the
 * province (whose targets are the plan's). */
static void target_footer(footer_t *ft, const catalog_t *cat,
                          const view_t *v, const char *region_name,
                          size_t n)
{
    const char *prov = catalog_region(cat, (size_t)catalog_region_root(cat))
                           ->name_zh;
    if (v->with_target == 0) {
        add_line(ft,
                 "no target for %s %s: the plan's targets are %s's, and "
                 "%s has none of its own in targets.csv.",
                 region_name, v->code, prov, region_name);
    } else {
        add_line(ft,
                 "on track = at or above a straight line from 0 to a "
                 "cumulative target, at or above a level target (the %d "
                 "baselines are %s's).",
                 catalog_plan(cat)->baseline_year, prov);
        add_line(ft, "targets: %s's own (targets.csv)%s%s%s.", region_name,
                 v->with_target < n ? "; \"no target\": " : "",
                 v->with_target < n ? region_name : "",
                 v->with_target < n ? " has none of its own for it" : "");
    }
    add_line(ft, "占全省 = %s's share of %s's total.", region_name, prov);
}

/* The footer's line of approved regions: one figure per period the
 * rows cover (a cumulative, a level and an annual basis cover different
 * ones), in the rows' order. */
static void approved_footer(footer_t *ft, const progress_row_t *rows,
                            size_t n)
{
    char line[1024];
    size_t len = 0;
    line[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < i && !(rows[k].covered.first == rows[i].covered.first &&
                          rows[k].covered.last == rows[i].covered.last)) {
            k++;
        }
        if (k < i || len + 1 >= sizeof line) {
            continue; /* said already */
        }
        char cov[PERIOD_STR_LEN];
        period_format(&rows[i].covered, cov, sizeof cov);
        int w = snprintf(line + len, sizeof line - len, "%s%u/%u over %s",
                         len > 0 ? ", " : "", rows[i].approved_regions,
                         rows[i].expected_regions, cov);
        if (w > 0) {
            len += (size_t)w < sizeof line - len ? (size_t)w
                                                 : sizeof line - len - 1;
        }
    }
    add_line(ft, "approved regions (every month of the period approved): "
                 "%s.", line);
}

/* The result with the plan's title, year headers and footer. */
static render_t *progress_view(const catalog_t *cat, const view_t *v,
                               uint32_t region, const char *region_name,
                               const char *per, long tz, size_t width,
                               const progress_row_t *rows)
{
    const catalog_plan_t *plan = catalog_plan(cat);
    size_t n = catalog_indicator_count(cat);
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
    cols[P_TARGET].head = v->milestones > 0 ? "目标 target" : target_head;
    /* On a narrow screen the years go: the title and footer name them. */
    cols[P_BASE].narrow = "基期";
    cols[P_TARGET].narrow = "目标";
    /* The province reads as before targets were per region; the year of
     * a target shows once a milestone is among them. */
    if (v->milestones == 0) {
        cols[P_TYEAR].flags |= RENDER_NO_TABLE;
    }
    if (v->is_root) {
        cols[P_OFPROV].flags |= RENDER_NO_TABLE | RENDER_NO_CSV;
        cols[P_PROV].flags |= RENDER_NO_CSV;
        if (v->milestones == 0) {
            cols[P_TYEAR].flags |= RENDER_NO_CSV;
            cols[P_TSRC].flags |= RENDER_NO_CSV;
            cols[P_TREGION].flags |= RENDER_NO_CSV;
        }
    }
    render_t *r = render_new(cols, P_NCOLS, tz);
    render_width(r, width);
    render_order_json(r, progress_json_order);
    render_title(r, "%s progress%s — %s %u, period %s", plan->title_zh,
                 v->approved_only ? " (approved figures only)" : "",
                 region_name, region, per);
    plan_length(plan, length, sizeof length);
    footer_t ft;
    ft.len = 0;
    ft.text[0] = '\0';
    add_line(&ft,
             "〔〕 %s cumulative target (%d-%d); value = cumulative "
             "through %s.",
             length, plan->first_year, plan->last_year, per);
    if (v->is_root) {
        add_line(&ft,
                 "on track = at or above a straight line from the %d "
                 "baseline (or from 0) to the target.",
                 plan->baseline_year);
    }
    if (v->milestones > 0) {
        add_line(&ft,
                 "年 year: the target's; before %d a milestone, paced to "
                 "the end of that year.",
                 plan->target_year);
    }
    if (!v->is_root) {
        target_footer(&ft, cat, v, region_name, n);
    }
    approved_footer(&ft, rows, n);
    if (v->approved_only) {
        add_line(&ft,
                 "approved figures only: a value counts only the regions "
                 "whose every month of its period is approved; regions = "
                 "those of them that reported.");
    }
    render_footer(r, "%s", ft.text);
    return r;
}

void cmd_plan_print(FILE *f, enum render_fmt fmt, const catalog_t *cat,
                    uint32_t region, const char *region_name,
                    const period_t *p, const progress_row_t *rows, long tz,
                    size_t width)
{
    cmd_plan_print_q(f, fmt, cat, region, region_name, p, rows, tz, width,
                     0);
}

/* cmd_plan_print_q(); JSON's object ends with "as_of": @p as_of when it
 * is not NULL (an answer as of a moment, ctl_json_as_of()). */
static void print_progress(FILE *f, enum render_fmt fmt, const catalog_t *cat,
                           uint32_t region, const char *region_name,
                           const period_t *p, const progress_row_t *rows,
                           long tz, size_t width, int approved_only,
                           const char *as_of)
{
    const catalog_plan_t *plan = catalog_plan(cat);
    const region_t *root =
        catalog_region(cat, (size_t)catalog_region_root(cat));
    char per[PERIOD_STR_LEN];
    char code[16];
    view_t v;
    size_t n = catalog_indicator_count(cat);
    memset(&v, 0, sizeof v);
    snprintf(code, sizeof code, "%u", region);
    v.is_root = region == root->code;
    v.approved_only = approved_only;
    v.code = code;
    for (size_t i = 0; i < n; i++) {
        v.with_target += rows[i].has_target != 0;
        v.milestones += rows[i].has_target &&
                        rows[i].target_year < plan->target_year;
    }
    period_format(p, per, sizeof per);
    render_t *r = progress_view(cat, &v, region, region_name, per, tz,
                                width, rows);
    for (size_t i = 0; i < n; i++) {
        char cov[PERIOD_STR_LEN];
        cell_t row[P_NCOLS];
        progress_cells(&rows[i], &v, cov, sizeof cov, row);
        render_add_row(r, row);
    }
    if (fmt == RENDER_JSON) {
        fprintf(f, "{\"region\": \"%u\", \"period\": ", region);
        json_put_str(f, per);
        fprintf(f, ", \"province\": \"%u\", \"targets\": \"%s\", "
                   "\"approved_only\": %s, \"indicators\": ",
                root->code,
                v.with_target == n   ? "own"
                : v.with_target == 0 ? "none"
                                     : "partial",
                approved_only ? "true" : "false");
        render_json_rows(r, f);
        if (as_of != NULL) {
            fprintf(f, ", \"as_of\": ");
            json_put_str(f, as_of);
        }
        fprintf(f, "}\n");
    } else {
        render_print(r, fmt, f);
    }
    render_destroy(&r);
}

void cmd_plan_print_q(FILE *f, enum render_fmt fmt, const catalog_t *cat,
                      uint32_t region, const char *region_name,
                      const period_t *p, const progress_row_t *rows,
                      long tz, size_t width, int approved_only)
{
    print_progress(f, fmt, cat, region, region_name, p, rows, tz, width,
                   approved_only, NULL);
}

/* One total (of approved figures only when @p approved; as of x's
 * moment, if any), or the exit status of its failure. Asked through
 * ctl_ask(), as client_total_q() would, so that --as-of and the server's
 * faults (ctl_t.server_fault) hold for progress too. */
static int ask(ctl_t *x, const char *code, uint32_t region,
               const period_t *p, int approved, store_total_t *t)
{
    char per[PERIOD_STR_LEN];
    period_format(p, per, sizeof per);
    Hrss__TotalQ q = HRSS__TOTAL_Q__INIT;
    q.indicator = (char *)(uintptr_t)code;
    q.region = region;
    q.period = per;
    q.has_approved_only = approved != 0;
    q.approved_only = approved != 0;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_TOTAL;
    req.total = &q;
    Hrss__QueryResponse *r = NULL;
    memset(t, 0, sizeof *t);
    int st = ctl_ask(x, &req, &r);
    if (st != 0) {
        return st;
    }
    if (r->r_case != HRSS__QUERY_RESPONSE__R_TOTAL) {
        x->server_fault = 1;
        st = ctl_fail(1, "the collector's answer is not a total");
    } else if (approved && !r->total->has_approved) {
        /* It ignored approved_only: its total is of every figure. */
        x->server_fault = 1;
        st = ctl_fail(1, "the collector is too old for approved-only "
                         "totals");
    } else {
        t->is_ratio = r->total->is_ratio;
        t->num = r->total->numerator;
        t->den = r->total->denominator;
        t->reporting = r->total->reporting;
        t->expected = r->total->expected;
        t->approved = r->total->approved;
    }
    hrss__query_response__free_unpacked(r, NULL);
    return st;
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
    int ri = catalog_region_find(x->cat, region);
    int root = catalog_region_root(x->cat);
    uint32_t root_code = catalog_region(x->cat, (size_t)root)->code;
    int year = month_year(p.last);
    size_t n = catalog_indicator_count(x->cat);
    progress_row_t *rows = xcalloc(n, sizeof *rows);
    for (size_t i = 0; i < n && st == 0 && ri >= 0; i++) {
        const indicator_t *ind = catalog_indicator(x->cat, i);
        /* The region's own target, never the province's for a city. */
        const catalog_target_t *tg = catalog_target_at(x->cat, i, ri, year);
        progress_span_t s = progress_span_for(ind, tg, plan, &p);
        store_total_t t;
        store_total_t prov;
        memset(&t, 0, sizeof t);
        memset(&prov, 0, sizeof prov);
        if (s.covered.last >= s.covered.first) {
            st = ask(x, ind->code, region, &s.covered, a->approved, &t);
            if (st == 0 && ri != root) {
                st = ask(x, ind->code, root_code, &s.covered, a->approved,
                         &prov);
            }
        }
        progress_row_for(ind, tg, ri == root, plan, &p, &t, &rows[i]);
        if (ri != root) {
            progress_province(&rows[i], &prov);
        }
    }
    if (st == 0) {
        char iso[ZONE_ISO_LEN];
        ctl_as_of_iso(x, iso, sizeof iso);
        print_progress(x->out, x->fmt, x->cat, region,
                       ctl_region_name(x, region), &p, rows, x->tz,
                       x->width, a->approved, x->has_as_of ? iso : NULL);
    }
    free(rows);
    return st;
}
