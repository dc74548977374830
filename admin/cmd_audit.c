/* cmd_audit.c: completeness, history, rejections, agents, violations.
 *
 * Each command asks one query, page after page (ctl_ask_pages), and
 * renders one row per item of the answer. For people: times at the
 * display offset (the header says which), counts with separators, a
 * region as "name code"; for scripts: whole numbers, a ratio's
 * fraction, codes and names in separate fields, and in JSON unix
 * seconds.
 *
 * INVARIANTS
 *   1. Rows are in the order of the answer, pages in the order asked.
 *   2. Every answer is freed in the function that asked for it (a page
 *      by ctl_ask_pages(), once its rows are copied).
 *   3. completeness holds one page of its answer at a time (printed or
 *      measured, then forgotten), never the whole answer.
 */
#include "admin/cmd_audit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/timely.h"
#include "admin/zone.h"
#include "common/mem.h"
#include "common/json.h"
#include "common/mem.h"

/* ---------------------------------------------------------------------- */
/* completeness                                                            */

enum { C_CODE, C_NAME, C_COUNT, C_REPORTED, C_ON_TIME, C_LATE, C_MISSING,
       C_NCOLS };

/* A month's columns; a longer period's are the same without on time and
 * late (C_ON_TIME and C_LATE left out: completeness_cols_for()). */
static const render_col_t completeness_cols[C_NCOLS] = {
    [C_CODE] = {.type = CELL_TEXT, .head = "code", .json = "region"},
    [C_NAME] = {.type = CELL_TEXT, .head = "地区", .json = "name_zh"},
    [C_COUNT] = {.type = CELL_OF, .head = "reported", .csv = "reported",
                 .csv2 = "indicators"},
    [C_REPORTED] = {.type = CELL_LIST, .json = "reported"},
    [C_ON_TIME] = {.type = CELL_OF, .head = "on time", .csv = "on_time",
                   .csv2 = "expected", .json = "on_time",
                   .json2 = "expected"},
    [C_LATE] = {.type = CELL_LIST, .head = "late (days)", .csv = "late",
                .json = "late", .flags = RENDER_WRAP},
    [C_MISSING] = {.type = CELL_LIST, .head = "missing", .json = "missing",
                   .flags = RENDER_WRAP},
};

/* Regions asked for in one page of a completeness: what hrssctl holds
 * at once, whatever the number of regions (a page of 102 rows is a
 * province's whole answer). */
#define COMPLETENESS_PAGE 100

/* What one reading of a completeness answer does with its rows. */
enum comp_pass {
    COMP_COUNT, /* count them (and, for a table, fit its columns) */
    COMP_PRINT, /* print them */
};

/* A completeness answer read page by page: its counts, and the rows of
 * the page at hand (never more: the table and the JSON need the counts
 * before the rows, so they read the answer twice). */
typedef struct completeness_acc {
    ctl_t *x;
    render_t *r;
    enum comp_pass pass;
    char period[64];   /* canonical form, from the first page */
    uint32_t region;
    int pages;
    size_t regions;
    size_t complete;
    size_t silent;
    int month;          /* the period is one month: timeliness columns */
    int timeliness;     /* the answer carries timeliness */
    timely_t *sums;     /* a month's summaries (count pass) */
    int64_t deadline;   /* the first indicator's deadline */
    int one_deadline;   /* every indicator's is the same */
    char time_zone[64];
    long tz_offset;
} completeness_acc_t;

static void print_completeness_head(const completeness_acc_t *c,
                                    size_t nind)
{
    fprintf(c->x->out, "{\"period\": ");
    json_put_str(c->x->out, c->period);
    fprintf(c->x->out, ", \"region\": \"%u\", \"expected_regions\": %zu, "
           "\"complete_regions\": %zu, \"silent_regions\": %zu, "
           "\"indicators\": %zu, \"regions\": ",
           c->region, c->regions, c->complete, c->silent, nind);
}

/* The late cells of a row, into @p items (n_late strings of @p buf's):
 * "code:days" for scripts, "code (N d)" in a table (so that a narrow
 * screen wraps between code and days, never inside the number). */
static void late_items(const Hrss__RegionCompleteness *rc, int table,
                       char (*buf)[96], const char **items)
{
    for (size_t i = 0; i < rc->n_late; i++) {
        snprintf(buf[i], sizeof buf[i], table ? "%s (%u d)" : "%s:%u",
                 rc->late[i]->indicator, rc->late[i]->days_late);
        items[i] = buf[i];
    }
}

static void add_region_row(completeness_acc_t *acc,
                           const Hrss__RegionCompleteness *rc, size_t nind)
{
    char code[16];
    cell_t row[C_NCOLS];
    char (*buf)[96] = xcalloc(rc->n_late + 1, sizeof *buf);
    const char **items = xcalloc(rc->n_late + 1, sizeof *items);
    snprintf(code, sizeof code, "%u", rc->region);
    row[C_CODE] = cell_text(code);
    row[C_NAME] = cell_text(ctl_region_name(acc->x, rc->region));
    row[C_COUNT] = cell_of(rc->n_reported, nind);
    row[C_REPORTED] = cell_list((const char *const *)rc->reported,
                                rc->n_reported, NULL);
    row[C_ON_TIME] = cell_none("-");
    row[C_LATE] = cell_none("-");
    if (rc->has_expected) {
        late_items(rc, acc->x->fmt == RENDER_TABLE, buf, items);
        row[C_ON_TIME] = cell_of(rc->on_time, rc->expected);
        row[C_LATE] = cell_list(items, rc->n_late, NULL);
    }
    row[C_MISSING] = cell_list((const char *const *)rc->missing,
                               rc->n_missing,
                               rc->n_reported == 0 ? "all (nothing reported)"
                                                   : NULL);
    if (!acc->month) {
        /* The columns of a longer period: no on time, no late. */
        row[C_ON_TIME] = row[C_MISSING];
    }
    render_add_row(acc->r, row);
    free(items);
    free(buf);
}

/* What the first page says of the month's deadlines and zone. */
static void note_deadlines(completeness_acc_t *acc,
                           const Hrss__Completeness *c)
{
    acc->timeliness = c->has_timeliness && c->timeliness;
    if (!acc->timeliness) {
        return;
    }
    acc->one_deadline = c->n_deadlines > 0;
    acc->deadline = c->n_deadlines > 0 ? c->deadlines[0]->deadline : 0;
    for (size_t i = 1; i < c->n_deadlines; i++) {
        acc->one_deadline &= c->deadlines[i]->deadline == acc->deadline;
    }
    snprintf(acc->time_zone, sizeof acc->time_zone, "%s",
             c->time_zone != NULL ? c->time_zone : "");
    acc->tz_offset = c->has_tz_offset ? (long)c->tz_offset : 0;
}

static int completeness_page(const Hrss__QueryResponse *page, void *arg)
{
    completeness_acc_t *acc = arg;
    const Hrss__Completeness *c = page->completeness;
    size_t nind = catalog_indicator_count(acc->x->cat);
    enum render_fmt fmt = acc->x->fmt;
    if (acc->pages++ == 0) {
        snprintf(acc->period, sizeof acc->period, "%s", c->period);
        acc->region = c->region;
        note_deadlines(acc, c);
    }
    for (size_t i = 0; i < c->n_regions; i++) {
        const Hrss__RegionCompleteness *rc = c->regions[i];
        acc->complete += rc->n_missing == 0;
        acc->silent += rc->n_reported == 0;
        if (acc->pass == COMP_COUNT && acc->sums != NULL &&
            rc->has_expected) {
            timely_add(acc->sums, rc->region, rc->expected, rc->n_missing,
                       rc->on_time, rc->n_late);
        }
        if (acc->pass == COMP_PRINT || fmt == RENDER_TABLE) {
            add_region_row(acc, rc, nind);
        }
    }
    acc->regions += c->n_regions;
    if (acc->pass == COMP_COUNT) {
        if (fmt == RENDER_TABLE) {
            render_table_fit(acc->r);
        }
    } else if (fmt == RENDER_TABLE) {
        render_table_flush(acc->r, acc->x->out);
    } else if (fmt == RENDER_JSON) {
        render_json_flush(acc->r, acc->x->out);
    } else {
        render_csv_flush(acc->r, acc->x->out);
    }
    return 0;
}

/* Read the answer once, with @p acc's pass (its counts start from 0). */
static int read_completeness(ctl_t *x, Hrss__QueryRequest *req,
                             completeness_acc_t *acc)
{
    acc->pages = 0;
    acc->regions = 0;
    acc->complete = 0;
    acc->silent = 0;
    return ctl_ask_pages(x, req, completeness_page, acc);
}

/* The summaries' columns (a month's table). */
enum { S_REGION, S_EXPECTED, S_REPORTED, S_ON_TIME, S_LATE,
       S_MISSING, S_RATE, S_ON_TIME_RATE, S_NCOLS };

static const render_col_t summary_cols[S_NCOLS] = {
    [S_REGION] = {.type = CELL_REGION, .head = "summary"},
    [S_EXPECTED] = {.type = CELL_INT, .head = "cells"},
    [S_REPORTED] = {.type = CELL_INT, .head = "reported"},
    [S_ON_TIME] = {.type = CELL_INT, .head = "on time"},
    [S_LATE] = {.type = CELL_INT, .head = "late"},
    [S_MISSING] = {.type = CELL_INT, .head = "missing"},
    [S_RATE] = {.type = CELL_SHARE, .head = "reporting"},
    [S_ON_TIME_RATE] = {.type = CELL_SHARE, .head = "on-time"},
};

/* "2025-11-10 23:59:59 Asia/Shanghai (UTC+8)", or "by indicator". */
static void deadline_text(const completeness_acc_t *acc, char *buf,
                          size_t len)
{
    char when[ZONE_TIME_LEN];
    char label[ZONE_LABEL_LEN];
    if (!acc->one_deadline) {
        snprintf(buf, len, "each indicator's own (catalog)");
        return;
    }
    zone_format_time(acc->deadline, acc->tz_offset, when, sizeof when);
    zone_label(acc->tz_offset, label, sizeof label);
    snprintf(buf, len, "%s %s (%s)", when, acc->time_zone, label);
}

/* A month's summaries after its table: per city and for the region. */
static void print_summary_table(const completeness_acc_t *acc)
{
    ctl_t *x = acc->x;
    render_t *r = ctl_render_new(x, summary_cols, S_NCOLS);
    char dl[160];
    deadline_text(acc, dl, sizeof dl);
    render_title(r, "deadline %s", dl);
    for (size_t i = 0; i < timely_count(acc->sums); i++) {
        const timely_sum_t *t = timely_sum(acc->sums, i);
        char code[16];
        cell_t row[S_NCOLS];
        snprintf(code, sizeof code, "%u", t->region);
        row[S_REGION] = cell_region(code, ctl_region_name(x, t->region));
        row[S_EXPECTED] = cell_int((int64_t)t->expected);
        row[S_REPORTED] = cell_int((int64_t)t->reported);
        row[S_ON_TIME] = cell_int((int64_t)t->on_time);
        row[S_LATE] = cell_int((int64_t)t->late);
        row[S_MISSING] = cell_int((int64_t)(t->expected - t->reported));
        row[S_RATE] = cell_share(timely_rate(t->reported, t->expected));
        row[S_ON_TIME_RATE] =
            cell_share(timely_rate(t->on_time, t->expected));
        render_add_row(r, row);
    }
    render_footer(r, "cells = indicators due x regions; on time = first "
                     "stored by the deadline; reporting = reported / cells; "
                     "on-time = on time / cells.");
    fputc('\n', x->out);
    render_print(r, RENDER_TABLE, x->out);
    render_destroy(&r);
}

/* The same in JSON, closing the object the head opened. */
static void print_summary_json(const completeness_acc_t *acc)
{
    FILE *f = acc->x->out;
    fprintf(f, ", \"time_zone\": ");
    json_put_str(f, acc->time_zone);
    fprintf(f, ", \"tz_offset\": %ld, \"deadline\": ", acc->tz_offset);
    if (acc->one_deadline) {
        fprintf(f, "%lld", (long long)acc->deadline);
    } else {
        fprintf(f, "null");
    }
    fprintf(f, ", \"summaries\": [");
    for (size_t i = 0; i < timely_count(acc->sums); i++) {
        const timely_sum_t *t = timely_sum(acc->sums, i);
        fprintf(f, "%s\n  {\"region\": \"%u\", \"regions\": %llu, "
                   "\"expected_cells\": %llu, \"reported_cells\": %llu, "
                   "\"on_time_cells\": %llu, \"late_cells\": %llu, "
                   "\"missing_cells\": %llu, \"reporting_rate\": %.10g, "
                   "\"on_time_rate\": %.10g}",
                i == 0 ? "" : ",", t->region,
                (unsigned long long)t->regions,
                (unsigned long long)t->expected,
                (unsigned long long)t->reported,
                (unsigned long long)t->on_time,
                (unsigned long long)t->late,
                (unsigned long long)(t->expected - t->reported),
                timely_rate(t->reported, t->expected),
                timely_rate(t->on_time, t->expected));
    }
    fprintf(f, "\n]");
}

/* Printed as it is read, in the memory of one page: CSV at once; the
 * table and JSON begin with counts (and the table's columns are as wide
 * as their widest cell), so the answer is read twice, a first time for
 * the counts and widths, a second for the rows. With --data-dir both
 * readings are of one snapshot (the client's pin). Over the socket each
 * page is a snapshot of its own (ARCHITECTURE: consistency of a paged
 * answer): when the store changed between the readings, the rows show
 * the second and a note on stderr says so. A month adds timeliness: per
 * row on time/expected and the late cells (code:days), and after the
 * rows (table and JSON) the summaries per city and for the region. */
int cmd_audit_completeness(ctl_t *x, const ctl_args_t *a)
{
    period_t p;
    uint32_t region;
    int st = ctl_period_region(x, a, &p, &region);
    if (st != 0) {
        return st;
    }
    Hrss__CompletenessQ q = HRSS__COMPLETENESS_Q__INIT;
    q.period = (char *)(uintptr_t)a->period;
    q.has_region = 1;
    q.region = region;
    q.has_limit = 1;
    q.limit = COMPLETENESS_PAGE;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_COMPLETENESS;
    req.completeness = &q;
    size_t nind = catalog_indicator_count(x->cat);
    completeness_acc_t acc;
    memset(&acc, 0, sizeof acc);
    acc.x = x;
    acc.pass = COMP_PRINT;
    acc.month = p.first == p.last;
    if (acc.month) {
        acc.r = ctl_render_new(x, completeness_cols, C_NCOLS);
    } else {
        render_col_t cols[C_NCOLS - 2];
        memcpy(cols, completeness_cols, C_ON_TIME * sizeof *cols);
        cols[C_ON_TIME] = completeness_cols[C_MISSING];
        acc.r = ctl_render_new(x, cols, C_NCOLS - 2);
    }
    if (x->fmt == RENDER_CSV) {
        st = read_completeness(x, &req, &acc);
        if (st == 0) {
            render_csv_flush(acc.r, x->out); /* the header of no rows */
        }
        goto out;
    }
    acc.pass = COMP_COUNT;
    acc.sums = acc.month ? timely_new(x->cat, region) : NULL;
    st = read_completeness(x, &req, &acc);
    if (st != 0) {
        goto out;
    }
    completeness_acc_t first = acc;
    if (x->fmt == RENDER_JSON) {
        print_completeness_head(&acc, nind);
    } else {
        render_title(acc.r, "%s: %zu of %zu region%s reported every "
                            "indicator, %zu reported nothing",
                     acc.period, acc.complete, acc.regions,
                     acc.regions == 1 ? "" : "s", acc.silent);
    }
    acc.pass = COMP_PRINT;
    st = read_completeness(x, &req, &acc);
    if (st != 0) {
        goto out;
    }
    int summaries = acc.timeliness && acc.sums != NULL;
    if (x->fmt == RENDER_JSON) {
        render_json_end(acc.r, x->out);
        if (summaries) {
            print_summary_json(&acc);
        }
        ctl_json_as_of(x, x->out);
        fprintf(x->out, "}\n");
    } else {
        render_table_end(acc.r, x->out);
        if (summaries) {
            print_summary_table(&acc);
        }
    }
    if (acc.regions != first.regions || acc.complete != first.complete ||
        acc.silent != first.silent) {
        ctl_fail(0, "the store changed while completeness was read: the "
                    "counts above are of a first reading (%zu of %zu "
                    "regions complete, %zu silent), the rows of a second "
                    "(%zu of %zu, %zu)",
                 first.complete, first.regions, first.silent, acc.complete,
                 acc.regions, acc.silent);
    }
out:
    timely_destroy(&acc.sums);
    render_destroy(&acc.r);
    return st;
}

/* ---------------------------------------------------------------------- */
/* history                                                                 */

enum { H_ID, H_WHEN, H_AGENT, H_SEQ, H_IND, H_REGION, H_PERIOD, H_KIND,
       H_OLD, H_NEW, H_OLD_NUM, H_OLD_DEN, H_NEW_NUM, H_NEW_DEN, H_NCOLS };

static const render_col_t history_cols[H_NCOLS] = {
    [H_ID] = {.type = CELL_ID, .json = "audit_id"},
    [H_WHEN] = {.type = CELL_TIME, .head = "received",
                .json = "received_at"},
    [H_AGENT] = {.type = CELL_TEXT, .head = "agent", .json = "agent",
                 .flags = RENDER_WRAP},
    [H_SEQ] = {.type = CELL_ID, .head = "seq", .json = "seq"},
    [H_IND] = {.type = CELL_TEXT, .json = "indicator"},
    [H_REGION] = {.type = CELL_TEXT, .json = "region"},
    [H_PERIOD] = {.type = CELL_TEXT, .json = "period"},
    [H_KIND] = {.type = CELL_TEXT, .json = "kind"},
    [H_OLD] = {.type = CELL_FIGURE, .head = "old", .json = "old",
               .flags = RENDER_NEST},
    [H_NEW] = {.type = CELL_FIGURE, .head = "new", .json = "new",
               .flags = RENDER_NEST},
    /* A ratio's parts in CSV (JSON nests them in old and new). */
    [H_OLD_NUM] = {.type = CELL_INT, .csv = "old_numerator"},
    [H_OLD_DEN] = {.type = CELL_INT, .csv = "old_denominator"},
    [H_NEW_NUM] = {.type = CELL_INT, .csv = "new_numerator"},
    [H_NEW_DEN] = {.type = CELL_INT, .csv = "new_denominator"},
};

/* A ratio's part for CSV: empty for counts and for no old value. */
static cell_t part(const Hrss__Revision *v, int present, int64_t n)
{
    return v->is_ratio && present ? cell_int(n) : cell_absent();
}

/* With comments (RevisionList.comments), history's rows are revisions
 * and comments in time order, under more columns: the comment and its
 * mark for people and CSV, and for JSON keys of their own, so that a
 * revision's object keeps the keys and order it always had and a
 * comment's is {"indicator", "region", "period", "kind": "comment",
 * "comment_id", "at", "by", "comment", "mark"}. The time and agent
 * columns of people and CSV show a comment's time and author. */
enum { X_RECV = H_NCOLS, X_AGENT, X_CID, X_AT, X_BY, X_TEXT, X_MARK,
       X_NCOLS };

static const render_col_t comment_cols[X_NCOLS - H_NCOLS] = {
    [X_RECV - H_NCOLS] = {.type = CELL_TIME, .json = "received_at"},
    [X_AGENT - H_NCOLS] = {.type = CELL_TEXT, .json = "agent"},
    [X_CID - H_NCOLS] = {.type = CELL_ID, .json = "comment_id"},
    [X_AT - H_NCOLS] = {.type = CELL_TIME, .json = "at"},
    [X_BY - H_NCOLS] = {.type = CELL_TEXT, .json = "by"},
    [X_TEXT - H_NCOLS] = {.type = CELL_TEXT, .head = "comment",
                          .json = "comment", .flags = RENDER_WRAP},
    [X_MARK - H_NCOLS] = {.type = CELL_TEXT, .head = "mark",
                          .json = "mark"},
};

static const size_t comment_json_order[X_NCOLS] = {
    H_ID, X_RECV, X_AGENT, H_SEQ, H_IND, H_REGION, H_PERIOD, H_KIND, H_OLD,
    H_NEW, X_CID, X_AT, X_BY, X_TEXT, X_MARK, H_WHEN, H_AGENT, H_OLD_NUM,
    H_OLD_DEN, H_NEW_NUM, H_NEW_DEN};

typedef struct history_acc {
    ctl_t *x;
    render_t *r;          /* made at the first page: its columns depend
                             on whether the cell has comments */
    size_t ncols;         /* H_NCOLS, or X_NCOLS with comments */
    Hrss__RevisionList *first; /* the first page's comments, kept */
    Hrss__QueryResponse *keep; /* the first page, while they are */
    size_t next;          /* its comments printed so far */
} history_acc_t;

static void add_comment(history_acc_t *acc, const Hrss__Comment *c)
{
    char month[PERIOD_STR_LEN];
    char reg[16];
    cell_t row[X_NCOLS];
    month_format_yyyymm(c->month, month, sizeof month);
    snprintf(reg, sizeof reg, "%u", c->region);
    for (size_t i = 0; i < X_NCOLS; i++) {
        row[i] = cell_absent();
    }
    row[H_WHEN] = cell_time(c->at);
    row[H_AGENT] = cell_text(c->by);
    row[H_IND] = cell_text(c->indicator);
    row[H_REGION] = cell_text(reg);
    row[H_PERIOD] = cell_text(month);
    row[H_KIND] = cell_text("comment");
    row[X_CID] = cell_id(c->id);
    row[X_AT] = cell_time(c->at);
    row[X_BY] = cell_text(c->by);
    row[X_TEXT] = cell_text(c->text);
    row[X_MARK] = cell_text(c->mark);
    render_add_row(acc->r, row);
}

/* The kept comments made before @p t (all of them: INT64_MAX). */
static void comments_before(history_acc_t *acc, int64_t t)
{
    while (acc->first != NULL && acc->next < acc->first->n_comments &&
           acc->first->comments[acc->next]->at < t) {
        add_comment(acc, acc->first->comments[acc->next++]);
    }
}

static void history_start(history_acc_t *acc, const Hrss__RevisionList *l)
{
    if (l == NULL || l->n_comments == 0) {
        acc->ncols = H_NCOLS;
        acc->r = ctl_render_new(acc->x, history_cols, H_NCOLS);
        return;
    }
    render_col_t cols[X_NCOLS];
    memcpy(cols, history_cols, sizeof history_cols);
    memcpy(cols + H_NCOLS, comment_cols, sizeof comment_cols);
    cols[H_WHEN].json = NULL; /* X_RECV and X_AT say it in JSON */
    cols[H_AGENT].json = NULL;
    acc->ncols = X_NCOLS;
    acc->r = ctl_render_new(acc->x, cols, X_NCOLS);
    render_order_json(acc->r, comment_json_order);
}

static int history_page(const Hrss__QueryResponse *page, void *arg)
{
    history_acc_t *acc = arg;
    const Hrss__RevisionList *l = page->history;
    if (acc->r == NULL) {
        history_start(acc, l);
    }
    for (size_t i = 0; i < l->n_revisions; i++) {
        const Hrss__Revision *v = l->revisions[i];
        char month[PERIOD_STR_LEN];
        char reg[16];
        cell_t row[X_NCOLS];
        comments_before(acc, v->received_at);
        month_format_yyyymm(v->month, month, sizeof month);
        snprintf(reg, sizeof reg, "%u", v->region);
        row[H_ID] = cell_id(v->audit_id);
        row[H_WHEN] = cell_time(v->received_at);
        row[H_AGENT] = cell_text(v->agent);
        row[H_SEQ] = cell_id(v->seq);
        row[H_IND] = cell_text(v->indicator);
        row[H_REGION] = cell_text(reg);
        row[H_PERIOD] = cell_text(month);
        row[H_KIND] = cell_text(v->is_ratio ? "ratio" : "count");
        row[H_OLD] = v->has_old ? cell_figure(v->is_ratio, v->old_numerator,
                                              v->old_denominator)
                                : cell_none("-");
        row[H_NEW] = cell_figure(v->is_ratio, v->new_numerator,
                                 v->new_denominator);
        row[H_OLD_NUM] = part(v, v->has_old, v->old_numerator);
        row[H_OLD_DEN] = part(v, v->has_old, v->old_denominator);
        row[H_NEW_NUM] = part(v, 1, v->new_numerator);
        row[H_NEW_DEN] = part(v, 1, v->new_denominator);
        for (size_t c = H_NCOLS; c < X_NCOLS; c++) {
            row[c] = cell_absent();
        }
        row[X_RECV] = row[H_WHEN];
        row[X_AGENT] = row[H_AGENT];
        render_add_row(acc->r, row);
    }
    return 0;
}

/* Keep the first page's comments: pages are freed once read. */
static int history_first(const Hrss__QueryResponse *page, void *arg)
{
    history_acc_t *acc = arg;
    if (acc->r == NULL && page->history->n_comments > 0) {
        size_t n = hrss__query_response__get_packed_size(page);
        uint8_t *b = xmalloc(n);
        hrss__query_response__pack(page, b);
        acc->keep = hrss__query_response__unpack(NULL, n, b);
        free(b);
        acc->first = acc->keep != NULL ? acc->keep->history : NULL;
    }
    return history_page(page, arg);
}

int cmd_audit_history(ctl_t *x, const ctl_args_t *a)
{
    uint32_t region;
    int st = ctl_region_arg(x, a->region, &region);
    if (st != 0) {
        return st;
    }
    Hrss__HistoryQ q = HRSS__HISTORY_Q__INIT;
    q.indicator = (char *)(uintptr_t)a->pos[0];
    q.region = region;
    q.month = (char *)(uintptr_t)a->period;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_HISTORY;
    req.history = &q;
    history_acc_t acc = {.x = x};
    st = ctl_ask_pages(x, &req, history_first, &acc);
    if (st == 0) {
        if (acc.r == NULL) {
            history_start(&acc, NULL);
        }
        comments_before(&acc, INT64_MAX);
        render_empty(acc.r, "no value was ever received for this cell");
        ctl_print(x, acc.r);
    }
    if (acc.keep != NULL) {
        hrss__query_response__free_unpacked(acc.keep, NULL);
    }
    render_destroy(&acc.r);
    return st;
}

/* ---------------------------------------------------------------------- */
/* rejections                                                              */

enum { J_ID, J_WHEN, J_AGENT, J_SEQ, J_IND, J_REGION, J_PERIOD, J_REASON,
       J_MESSAGE, J_NCOLS };

static const render_col_t rejection_cols[J_NCOLS] = {
    [J_ID] = {.type = CELL_ID, .json = "id"},
    [J_WHEN] = {.type = CELL_TIME, .head = "received",
                .json = "received_at"},
    [J_AGENT] = {.type = CELL_TEXT, .head = "agent", .json = "agent",
                 .flags = RENDER_WRAP, .drop = 4},
    [J_SEQ] = {.type = CELL_ID, .head = "seq", .json = "seq", .drop = 2},
    [J_IND] = {.type = CELL_TEXT, .head = "indicator", .json = "indicator",
               .flags = RENDER_WRAP},
    [J_REGION] = {.type = CELL_TEXT, .head = "region", .json = "region",
                  .drop = 3},
    [J_PERIOD] = {.type = CELL_TEXT, .head = "period", .json = "period"},
    /* The message says it in words. */
    [J_REASON] = {.type = CELL_TEXT, .head = "reason", .json = "reason",
                  .drop = 1},
    [J_MESSAGE] = {.type = CELL_TEXT, .head = "message",
                   .json = "message", .flags = RENDER_WRAP},
};

static int rejections_page(const Hrss__QueryResponse *page, void *arg)
{
    render_t *r = arg;
    const Hrss__RejectionList *l = page->rejections;
    for (size_t i = 0; i < l->n_rejections; i++) {
        const Hrss__RejectedUpdate *v = l->rejections[i];
        char month[PERIOD_STR_LEN];
        char reg[16];
        cell_t row[J_NCOLS];
        month_format_yyyymm(v->update->month, month, sizeof month);
        snprintf(reg, sizeof reg, "%u", v->update->region);
        row[J_ID] = cell_id(v->id);
        row[J_WHEN] = cell_time(v->received_at);
        row[J_AGENT] = cell_text(v->agent);
        row[J_SEQ] = cell_id(v->update->seq);
        row[J_IND] = cell_text(v->update->indicator);
        row[J_REGION] = cell_text(reg);
        row[J_PERIOD] = cell_text(month);
        row[J_REASON] = cell_text(v->reason_name);
        row[J_MESSAGE] = cell_text(v->message);
        render_add_row(r, row);
    }
    return 0;
}

int cmd_audit_rejections(ctl_t *x, const ctl_args_t *a)
{
    Hrss__RejectionsQ q = HRSS__REJECTIONS_Q__INIT;
    if (a->since != NULL) {
        int64_t t;
        if (zone_parse_time(a->since, x->tz, &t) != ERR_OK) {
            return ctl_fail(CTL_EX_USAGE, "--since: '%s' is not unix "
                                          "seconds or "
                                          "YYYY-MM-DD[THH:MM[:SS]]",
                            a->since);
        }
        q.has_since = 1;
        q.since = t;
    }
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_REJECTIONS;
    req.rejections = &q;
    render_t *r = ctl_render_new(x, rejection_cols, J_NCOLS);
    int st = ctl_ask_pages(x, &req, rejections_page, r);
    if (st == 0) {
        render_empty(r, "no rejected updates");
        ctl_print(x, r);
    }
    render_destroy(&r);
    return st;
}

/* ---------------------------------------------------------------------- */
/* agents                                                                  */

enum { A_AGENT, A_NEXT, A_APPLIED, A_REJECTED, A_FIRST, A_LAST, A_NCOLS };

static const render_col_t agent_cols[A_NCOLS] = {
    [A_AGENT] = {.type = CELL_TEXT, .head = "agent", .json = "agent",
                 .flags = RENDER_WRAP},
    [A_NEXT] = {.type = CELL_INT, .head = "next seq", .json = "next_seq"},
    [A_APPLIED] = {.type = CELL_INT, .head = "applied", .json = "applied"},
    [A_REJECTED] = {.type = CELL_INT, .head = "rejected",
                    .json = "rejected"},
    [A_FIRST] = {.type = CELL_TIME, .head = "first seen",
                 .json = "first_seen", .drop = 1},
    [A_LAST] = {.type = CELL_TIME, .head = "last contact",
                .json = "last_contact"},
};

static int agents_page(const Hrss__QueryResponse *page, void *arg)
{
    render_t *r = arg;
    const Hrss__AgentList *l = page->agents;
    for (size_t i = 0; i < l->n_agents; i++) {
        const Hrss__AgentState *v = l->agents[i];
        cell_t row[A_NCOLS];
        row[A_AGENT] = cell_text(v->id);
        row[A_NEXT] = cell_int((int64_t)v->next_seq);
        row[A_APPLIED] = cell_int((int64_t)v->applied);
        row[A_REJECTED] = cell_int((int64_t)v->rejected);
        row[A_FIRST] = cell_time(v->first_seen);
        row[A_LAST] = cell_time(v->last_contact);
        render_add_row(r, row);
    }
    return 0;
}

int cmd_audit_agents(ctl_t *x, const ctl_args_t *a)
{
    (void)a;
    Hrss__AgentsQ q = HRSS__AGENTS_Q__INIT;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_AGENTS;
    req.agents = &q;
    render_t *r = ctl_render_new(x, agent_cols, A_NCOLS);
    int st = ctl_ask_pages(x, &req, agents_page, r);
    if (st == 0) {
        ctl_print(x, r);
    }
    render_destroy(&r);
    return st;
}

/* ---------------------------------------------------------------------- */
/* violations                                                              */

enum { V_IND, V_VALUE, V_PARENT, V_PVALUE, V_REGION, V_PERIOD, V_NCOLS };

static const render_col_t violation_cols[V_NCOLS] = {
    [V_IND] = {.type = CELL_INDICATOR, .head = "其中 indicator",
               .csv = "indicator", .json = "indicator", .narrow = "其中",
               .flags = RENDER_WRAP},
    [V_VALUE] = {.type = CELL_INT, .head = "value", .json = "value"},
    [V_PARENT] = {.type = CELL_INDICATOR, .head = "parent",
                  .csv = "parent code", .json = "parent",
                  .flags = RENDER_WRAP},
    [V_PVALUE] = {.type = CELL_INT, .head = "parent value",
                  .json = "parent_value"},
    [V_REGION] = {.type = CELL_REGION, .head = "地区", .csv = "region",
                  .json = "region"},
    [V_PERIOD] = {.type = CELL_TEXT, .head = "period", .json = "period"},
};

/* The JSON keys keep the order they always had. */
static const size_t violation_json_order[V_NCOLS] = {
    V_IND, V_PARENT, V_REGION, V_PERIOD, V_VALUE, V_PVALUE};

typedef struct violations_acc {
    ctl_t *x;
    render_t *r;
} violations_acc_t;

static int violations_page(const Hrss__QueryResponse *page, void *arg)
{
    violations_acc_t *acc = arg;
    ctl_t *x = acc->x;
    const Hrss__ViolationList *l = page->violations;
    for (size_t i = 0; i < l->n_violations; i++) {
        const Hrss__Violation *v = l->violations[i];
        const indicator_t *ci = ctl_indicator(x, v->indicator);
        const indicator_t *pi = ctl_indicator(x, v->parent);
        char month[PERIOD_STR_LEN];
        char reg[16];
        cell_t row[V_NCOLS];
        month_format_yyyymm(v->month, month, sizeof month);
        snprintf(reg, sizeof reg, "%u", v->region);
        row[V_IND] = cell_indicator(v->indicator, ci ? ci->name_zh : NULL);
        row[V_VALUE] = cell_int(v->value);
        row[V_PARENT] = cell_indicator(v->parent, pi ? pi->name_zh : NULL);
        row[V_PVALUE] = cell_int(v->parent_value);
        row[V_REGION] = cell_region(reg, ctl_region_name(x, v->region));
        row[V_PERIOD] = cell_text(month);
        render_add_row(acc->r, row);
    }
    return 0;
}

int cmd_audit_violations(ctl_t *x, const ctl_args_t *a)
{
    Hrss__ViolationsQ q = HRSS__VIOLATIONS_Q__INIT;
    int st = ctl_list_scope(x, a, &q.period, &q.has_region, &q.region);
    if (st != 0) {
        return st;
    }
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_VIOLATIONS;
    req.violations = &q;
    violations_acc_t acc = {x, ctl_render_new(x, violation_cols, V_NCOLS)};
    render_order_json(acc.r, violation_json_order);
    st = ctl_ask_pages(x, &req, violations_page, &acc);
    if (st == 0) {
        render_empty(acc.r, "no stored figure breaks an \"of which\" rule");
        ctl_print(x, acc.r);
    }
    render_destroy(&acc.r);
    return st;
}
