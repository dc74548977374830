/* cmd_figures.c: totals, breakdowns and series of one indicator.
 *
 * A total for people is a small block (name, region, period, value with
 * the plan's unit, how many regions reported); a breakdown and a series
 * are tables. For scripts every total is one row of the same columns,
 * the stable format of `total --json`:
 *   {"indicator", "region", "period", "kind": "count"|"ratio", "value",
 *    "numerator" and "denominator" (ratios only), "reporting_regions",
 *    "expected_regions", "approved_regions"}
 * in whole persons, or a ratio's fraction (null without a denominator).
 * A total no region reported is "no report", not zero: its value (and a
 * ratio's numerator and denominator) print "-" and JSON null, an empty
 * CSV field; a reported zero prints 0. approved_regions is how many of
 * the expected regions have every month of the period approved (table:
 * the "approved" column after "reporting"; JSON and CSV: after the
 * reporting/expected pair, which stays one cell).
 *
 * A map that changes (admin/mapchg.h): a breakdown whose period crosses a
 * change shows a "months" column (the region's months of the period and,
 * for one region's report, how many it reported: "2021-01..03 (3)");
 * CSV always has valid_from, valid_to, months_reported (empty when the
 * collector sent none), JSON has the keys only when sent. A series that
 * crosses a change of the region's territory marks the first point of
 * the new map ("*1" in a "change" column) and explains each mark under
 * the table; its CSV has a map_change column ("2021-04 redrawn" on the
 * marked point), its JSON the marked point's "changes" (their month,
 * change, note and successors).
 *
 * As of a moment (--as-of, hrss-web's as_of): the JSON says when, in an
 * "as_of" member ("2025-11-26T23:59:59+08:00", the display offset) that
 * ends the total's object and the breakdown's, and, a series being an
 * array with no top level of its own, every point's object (before its
 * "changes"). Without --as-of the JSON has no such member: byte for byte
 * what it was. CSV has no place for it (stderr says it: main.c).
 *
 * INVARIANTS
 *   1. Every total is rendered through total_row() and the columns of
 *      figure_cols(): the three commands cannot drift apart.
 *   2. A ratio's numerator and denominator are always given to scripts
 *      (null without a report); a count has none (empty CSV fields, no
 *      JSON keys).
 *   3. reporting == 0 shows no number: "-", null, "".
 */
#include "admin/cmd_figures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/mapchg.h"
#include "admin/numfmt.h"
#include "admin/zone.h"
#include "common/mem.h"
#include "common/text.h"

enum { T_PART, T_IND, T_CODE, T_LABEL, T_PERIOD, T_KIND, T_VALUE, T_NUM,
       T_DEN, T_REP, T_APPR, T_MONTHS, T_VFROM, T_VTO, T_MREP, T_MARK,
       T_CHG, T_NCOLS };

static const render_col_t total_cols[T_NCOLS] = {
    [T_PART] = {.type = CELL_TEXT, .head = "part",
                .flags = RENDER_NO_TABLE},
    [T_IND] = {.type = CELL_TEXT, .csv = "indicator", .json = "indicator"},
    [T_CODE] = {.type = CELL_TEXT, .head = "code", .csv = "region",
                .json = "region"},
    [T_LABEL] = {.type = CELL_TEXT, .head = "地区",
                 .flags = RENDER_NO_CSV | RENDER_WRAP},
    [T_PERIOD] = {.type = CELL_TEXT, .head = "period", .json = "period"},
    [T_KIND] = {.type = CELL_TEXT, .csv = "kind", .json = "kind"},
    [T_VALUE] = {.type = CELL_FIGURE, .head = "value", .json = "value"},
    [T_NUM] = {.type = CELL_INT, .csv = "numerator", .json = "numerator"},
    [T_DEN] = {.type = CELL_INT, .csv = "denominator",
               .json = "denominator"},
    [T_REP] = {.type = CELL_OF, .head = "reporting",
               .csv = "reporting_regions", .csv2 = "expected_regions",
               .json = "reporting_regions", .json2 = "expected_regions"},
    [T_APPR] = {.type = CELL_INT, .head = "approved",
                .csv = "approved_regions", .json = "approved_regions"},
    [T_MONTHS] = {.type = CELL_TEXT, .head = "months",
                  .flags = RENDER_NO_CSV},
    [T_VFROM] = {.type = CELL_TEXT, .csv = "valid_from",
                 .json = "valid_from"},
    [T_VTO] = {.type = CELL_TEXT, .csv = "valid_to", .json = "valid_to"},
    [T_MREP] = {.type = CELL_INT, .csv = "months_reported",
                .json = "months_reported"},
    [T_MARK] = {.type = CELL_TEXT, .head = "change",
                .flags = RENDER_NO_CSV},
    [T_CHG] = {.type = CELL_TEXT, .csv = "map_change"},
};

enum shape { SHAPE_TOTAL, SHAPE_BREAKDOWN, SHAPE_SERIES };

/* The columns of @p shape: a breakdown's table has the region code and
 * label, a series' table the period; only a breakdown has a part and
 * the months, only a series the map's changes. @p map: the answer
 * crosses a change of the map (the table's months or change column). */
static void figure_cols(enum shape shape, int map, render_col_t cols[T_NCOLS])
{
    const unsigned hidden = RENDER_NO_TABLE | RENDER_NO_CSV;
    for (size_t c = 0; c < T_NCOLS; c++) {
        cols[c] = total_cols[c];
    }
    if (shape != SHAPE_BREAKDOWN) {
        cols[T_PART].flags = hidden;
        cols[T_CODE].flags |= RENDER_NO_TABLE;
        cols[T_LABEL].flags = hidden;
        cols[T_MONTHS].flags = hidden;
        for (size_t c = T_VFROM; c <= T_MREP; c++) {
            cols[c].flags = hidden;
            cols[c].json = NULL;
        }
    } else {
        cols[T_PERIOD].flags |= RENDER_NO_TABLE;
    }
    if (shape != SHAPE_SERIES) {
        cols[T_MARK].flags = hidden;
        cols[T_CHG].flags = hidden;
    }
    if (!map) {
        cols[T_MONTHS].flags |= RENDER_NO_TABLE;
        cols[T_MARK].flags |= RENDER_NO_TABLE;
    }
}

/* Room for the text of one row's cells, which must outlive the row. */
typedef struct row_text {
    char code[16];
    char months[MAPCHG_LEN];
    char from[16];
    char to[16];
} row_text_t;

/* One total as a row: @p part for a breakdown's CSV (else NULL), @p label
 * for a breakdown's table (else NULL). */
static void total_row(const Hrss__Total *t, const char *part,
                      const char *label, row_text_t *txt,
                      cell_t row[T_NCOLS])
{
    char *code = txt->code;
    snprintf(code, sizeof txt->code, "%u", t->region);
    row[T_PART] = part != NULL ? cell_text(part) : cell_absent();
    row[T_IND] = cell_text(t->indicator);
    row[T_CODE] = cell_text(code);
    row[T_LABEL] = label != NULL ? cell_text(label) : cell_absent();
    row[T_PERIOD] = cell_text(t->period);
    row[T_KIND] = cell_text(t->is_ratio ? "ratio" : "count");
    int none = t->reporting == 0; /* no report: not a zero */
    row[T_VALUE] = none ? cell_none("-")
                        : cell_figure(t->is_ratio, t->numerator,
                                      t->denominator);
    row[T_NUM] = !t->is_ratio ? cell_absent()
                 : none       ? cell_none("-")
                              : cell_int(t->numerator);
    row[T_DEN] = !t->is_ratio ? cell_absent()
                 : none       ? cell_none("-")
                              : cell_int(t->denominator);
    row[T_REP] = cell_of(t->reporting, t->expected);
    row[T_APPR] = cell_int(t->approved);
    mapchg_months(t, txt->months, sizeof txt->months);
    row[T_MONTHS] = cell_text(txt->months);
    mapchg_yyyymm(t->valid_from, txt->from, sizeof txt->from);
    mapchg_yyyymm(t->valid_to, txt->to, sizeof txt->to);
    row[T_VFROM] = t->has_valid_from ? cell_text(txt->from) : cell_absent();
    row[T_VTO] = t->has_valid_to ? cell_text(txt->to) : cell_absent();
    row[T_MREP] = t->has_months_reported ? cell_int(t->months_reported)
                                         : cell_absent();
    row[T_MARK] = cell_absent();
    row[T_CHG] = cell_absent();
}

static void add_total(render_t *r, const Hrss__Total *t, const char *part,
                      const char *label)
{
    row_text_t txt;
    cell_t row[T_NCOLS];
    total_row(t, part, label, &txt, row);
    render_add_row(r, row);
}

/* total and breakdown: INDICATOR --period P [--region CODE], one TotalQ
 * sent as @p kind. On success *r holds the answer. main.c saw to the one
 * INDICATOR. */
static int ask_total(ctl_t *x, const ctl_args_t *a,
                     Hrss__QueryRequest__QCase kind,
                     Hrss__QueryResponse **r)
{
    period_t p;
    uint32_t region;
    int st = ctl_period_region(x, a, &p, &region);
    if (st != 0) {
        return st;
    }
    Hrss__TotalQ q = HRSS__TOTAL_Q__INIT;
    q.indicator = (char *)(uintptr_t)a->pos[0];
    q.region = region;
    q.period = (char *)(uintptr_t)a->period;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = kind;
    if (kind == HRSS__QUERY_REQUEST__Q_TOTAL) {
        req.total = &q;
    } else {
        req.breakdown = &q;
    }
    return ctl_ask(x, &req, r);
}

/* The block a person reads: a count in persons and in the plan's unit
 * (万人), a ratio as a percentage with its terms. */
static void print_total_human(const ctl_t *x, const Hrss__Total *t)
{
    const indicator_t *ind = ctl_indicator(x, t->indicator);
    cell_t fig = cell_figure(t->is_ratio, t->numerator, t->denominator);
    char *shown = cell_show(&fig, x->tz);
    /* An unknown code and the period are the collector's words. */
    text_put_clean(x->out, ind ? ind->name_zh : t->indicator, 0);
    fputs(" (", x->out);
    text_put_clean(x->out, t->indicator, 0);
    fprintf(x->out, ")\nregion:    %s %u\n", ctl_region_name(x, t->region),
           t->region);
    fputs("period:    ", x->out);
    text_put_clean(x->out, t->period, 0);
    fputc('\n', x->out);
    if (t->reporting == 0) {
        /* Nobody reported: not a zero. */
        fprintf(x->out, "value:     - (no report)");
    } else {
        fprintf(x->out, "value:     %s%s", shown, t->is_ratio ? "" : " 人");
    }
    if (t->reporting > 0 && !t->is_ratio && ind != NULL &&
        ind->unit_scale > 1) {
        char disp[40];
        numfmt_fixed((double)t->numerator / ind->unit_scale, 2, disp,
                     sizeof disp);
        fprintf(x->out, " (%s %s)", disp, ind->unit_zh);
    }
    fprintf(x->out, "\nreporting: %u of %u region%s%s\n", t->reporting, t->expected,
           t->expected == 1 ? "" : "s",
           t->reporting < t->expected ? " (partial)" : "");
    fprintf(x->out, "approved:  %u of %u region%s\n", t->approved,
            t->expected, t->expected == 1 ? "" : "s");
    int ri = catalog_region_find(x->cat, t->region);
    if (t->expected == 0 && ri >= 0) {
        /* Not a missing report: the region was not on the map then. */
        char valid[48];
        mapchg_validity(catalog_region(x->cat, (size_t)ri), valid,
                        sizeof valid);
        char *dots = strstr(valid, "..");
        if (dots != NULL) { /* "..B", "A..", "A..B" in words */
            *dots = '\0';
            const char *to = dots + 2;
            fprintf(x->out, "note:      %s %u is not on the map then: it "
                            "exists%s%s%s%s\n",
                    ctl_region_name(x, t->region), t->region,
                    valid[0] != '\0' ? " from " : "", valid,
                    to[0] != '\0' ? " through " : "", to);
        }
    }
    free(shown);
}

/* An answer as of a moment: each JSON object of @p r ends with "as_of"
 * (ctl_json_as_of()'s text). */
static void as_of_member(const ctl_t *x, render_t *r)
{
    if (x->has_as_of) {
        char iso[ZONE_ISO_LEN];
        ctl_as_of_iso(x, iso, sizeof iso);
        render_json_member(r, "as_of", iso);
    }
}

int cmd_figures_total(ctl_t *x, const ctl_args_t *a)
{
    Hrss__QueryResponse *resp = NULL;
    int st = ask_total(x, a, HRSS__QUERY_REQUEST__Q_TOTAL, &resp);
    if (st != 0) {
        return st;
    }
    if (x->fmt == RENDER_TABLE) {
        print_total_human(x, resp->total);
    } else {
        render_col_t cols[T_NCOLS];
        figure_cols(SHAPE_TOTAL, 0, cols);
        render_t *r = ctl_render_new(x, cols, T_NCOLS);
        add_total(r, resp->total, NULL, NULL);
        as_of_member(x, r);
        if (x->fmt == RENDER_JSON) {
            /* One object, not an array: the stable total --json. */
            render_json_row(r, 0, x->out);
            fprintf(x->out, "\n");
        } else {
            ctl_print(x, r);
        }
        render_destroy(&r);
    }
    hrss__query_response__free_unpacked(resp, NULL);
    return 0;
}

/* {"own": {...},
 *  "children": [
 *   {...}, ...],
 *  "total": {...}[, "as_of": "..."]} */
static void print_breakdown_json(const ctl_t *x, const render_t *r,
                                 size_t n_children)
{
    FILE *out = x->out;
    fprintf(out, "{\"own\": ");
    render_json_row(r, 0, out);
    fprintf(out, ",\n \"children\": [");
    for (size_t i = 0; i < n_children; i++) {
        fprintf(out, "%s\n  ", i ? "," : "");
        render_json_row(r, 1 + i, out);
    }
    fprintf(out, "],\n \"total\": ");
    render_json_row(r, 1 + n_children, out);
    ctl_json_as_of(x, out);
    fprintf(out, "}\n");
}

int cmd_figures_breakdown(ctl_t *x, const ctl_args_t *a)
{
    Hrss__QueryResponse *resp = NULL;
    int st = ask_total(x, a, HRSS__QUERY_REQUEST__Q_BREAKDOWN, &resp);
    if (st != 0) {
        return st;
    }
    const Hrss__Breakdown *b = resp->breakdown;
    int map = mapchg_has_months(b->own);
    for (size_t i = 0; i < b->n_children; i++) {
        map |= mapchg_has_months(b->children[i]);
    }
    render_col_t cols[T_NCOLS];
    figure_cols(SHAPE_BREAKDOWN, map, cols);
    render_t *r = ctl_render_new(x, cols, T_NCOLS);
    char label[128];
    snprintf(label, sizeof label, "%s 本级 (own report)",
             ctl_region_name(x, b->own->region));
    add_total(r, b->own, "own", label);
    for (size_t i = 0; i < b->n_children; i++) {
        add_total(r, b->children[i], "child",
                  ctl_region_name(x, b->children[i]->region));
    }
    snprintf(label, sizeof label, "%s 合计 (total)",
             ctl_region_name(x, b->total->region));
    add_total(r, b->total, "total", label);
    const indicator_t *ind = ctl_indicator(x, b->total->indicator);
    render_title(r, "%s (%s), %s", ind ? ind->name_zh : b->total->indicator,
                 b->total->indicator, b->total->period);
    if (x->fmt == RENDER_JSON) {
        print_breakdown_json(x, r, b->n_children);
    } else {
        ctl_print(x, r);
    }
    render_destroy(&r);
    hrss__query_response__free_unpacked(resp, NULL);
    return 0;
}

/* Point @p i of a series, with the marks of the changes it carries
 * ("*1", "*1 *2"; CSV "2021-04 redrawn"). */
static void series_row(render_t *r, const Hrss__TotalList *s, size_t i)
{
    row_text_t txt;
    cell_t row[T_NCOLS];
    char mark[MAPCHG_LEN] = "";
    char chg[4 * MAPCHG_LEN] = "";
    total_row(s->totals[i], NULL, NULL, &txt, row);
    for (size_t k = 0; k < s->n_changes; k++) {
        if (mapchg_mark_point(s, s->changes[k]) != (long)i) {
            continue;
        }
        char brief[MAPCHG_LEN];
        mapchg_brief(s->changes[k], brief, sizeof brief);
        size_t m = strlen(mark);
        size_t c = strlen(chg);
        snprintf(mark + m, sizeof mark - m, "%s*%zu", m ? " " : "", k + 1);
        snprintf(chg + c, sizeof chg - c, "%s%s", c ? "; " : "", brief);
    }
    row[T_MARK] = mark[0] ? cell_text(mark) : cell_absent();
    row[T_CHG] = chg[0] ? cell_text(chg) : cell_absent();
    render_add_row(r, row);
}

/* Under the table: one line per change, "*1 2021-04: 上城区 redrawn: ..." */
static void series_footer(const ctl_t *x, render_t *r,
                          const Hrss__TotalList *s, uint32_t region)
{
    size_t len = s->n_changes * 1024 + 1;
    char *text = xmalloc(len);
    size_t n = 0;
    text[0] = '\0';
    for (size_t k = 0; k < s->n_changes && n < len; k++) {
        if (k > 0) {
            text[n++] = '\n';
        }
        mapchg_footnote(x, region, s->changes[k], k + 1, text + n, len - n);
        n += strlen(text + n);
    }
    render_footer(r, "%s", text);
    free(text);
}

/* The series' JSON array, the point a change marks carrying "changes":
 * [{"month", "change", "note", "successors"}, ...]. */
static void print_series_json(FILE *out, const render_t *r,
                              const Hrss__TotalList *s)
{
    fputc('[', out);
    for (size_t i = 0; i < s->n_totals; i++) {
        fputs(i > 0 ? ",\n  " : "\n  ", out);
        char *obj = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&obj, &len);
        if (m == NULL) {
            render_json_row(r, i, out); /* no room to add to it */
            continue;
        }
        render_json_row(r, i, m);
        fclose(m);
        size_t here = 0;
        for (size_t k = 0; k < s->n_changes; k++) {
            if (mapchg_mark_point(s, s->changes[k]) != (long)i) {
                continue;
            }
            if (here++ == 0) {
                /* The object less its closing brace. */
                fwrite(obj, 1, len > 0 ? len - 1 : 0, out);
                fputs(", \"changes\": [", out);
            } else {
                fputs(", ", out);
            }
            mapchg_json(s->changes[k], out);
        }
        fputs(here > 0 ? "]}" : obj, out);
        free(obj);
    }
    fputs("\n]\n", out);
}

int cmd_figures_series(ctl_t *x, const ctl_args_t *a)
{
    period_t p;
    uint32_t region;
    int st = ctl_period_arg(a->from, "--from", &p);
    if (st == 0) {
        st = ctl_period_arg(a->to, "--to", &p);
    }
    if (st == 0) {
        st = ctl_region_arg(x, a->region, &region);
    }
    if (st != 0) {
        return st;
    }
    Hrss__SeriesQ q = HRSS__SERIES_Q__INIT;
    q.indicator = (char *)(uintptr_t)a->pos[0];
    q.region = region;
    q.from = (char *)(uintptr_t)a->from;
    q.to = (char *)(uintptr_t)a->to;
    q.by = (char *)(uintptr_t)(a->by != NULL ? a->by : "month");
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_SERIES;
    req.series = &q;
    Hrss__QueryResponse *resp = NULL;
    st = ctl_ask(x, &req, &resp);
    if (st != 0) {
        return st;
    }
    const Hrss__TotalList *s = resp->series;
    render_col_t cols[T_NCOLS];
    figure_cols(SHAPE_SERIES, s->n_changes > 0, cols);
    render_t *r = ctl_render_new(x, cols, T_NCOLS);
    for (size_t i = 0; i < s->n_totals; i++) {
        series_row(r, s, i);
    }
    /* A JSON array has no top level to put it in: each point says it. */
    as_of_member(x, r);
    const indicator_t *ind = ctl_indicator(x, a->pos[0]);
    render_title(r, "%s, %s %u", ind ? ind->name_zh : a->pos[0],
                 ctl_region_name(x, region), region);
    if (s->n_changes > 0) {
        series_footer(x, r, s, region);
    }
    if (x->fmt == RENDER_JSON && s->n_changes > 0) {
        print_series_json(x->out, r, s);
    } else {
        ctl_print(x, r);
    }
    render_destroy(&r);
    hrss__query_response__free_unpacked(resp, NULL);
    return 0;
}
