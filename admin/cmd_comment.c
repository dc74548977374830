/* cmd_comment.c: hrssctl comment and followups (cmd_comment.h).
 *
 * A comment is asked of the collector (CommentQ), which alone writes the
 * store: with --data-dir the store is read-only and the answer says so.
 * On a plain collector the author names themselves (--as NAME); under
 * CURVE the admin key's name and regions decide, and --as is refused
 * rather than ignored. followups asks FollowupsQ page by page.
 *
 * INVARIANTS
 *   1. Nothing is printed on stdout for a refused comment.
 *   2. followups lists the marked cells in the collector's order
 *      (indicator code, region, month), one row per cell.
 */
#include "admin/cmd_comment.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { M_ID, M_IND, M_REGION, M_PERIOD, M_MARK, M_BY, M_AT, M_TEXT,
       M_NCOLS };

static const render_col_t comment_cols[M_NCOLS] = {
    [M_ID] = {.type = CELL_ID, .head = "#", .json = "id"},
    [M_IND] = {.type = CELL_INDICATOR, .head = "指标 indicator",
               .csv = "indicator", .json = "indicator",
               .flags = RENDER_WRAP},
    [M_REGION] = {.type = CELL_REGION, .head = "地区", .csv = "region",
                  .json = "region"},
    [M_PERIOD] = {.type = CELL_TEXT, .head = "period", .json = "period"},
    [M_MARK] = {.type = CELL_TEXT, .head = "mark", .json = "mark"},
    [M_BY] = {.type = CELL_TEXT, .head = "by", .json = "by"},
    [M_AT] = {.type = CELL_TIME, .head = "at", .json = "at"},
    [M_TEXT] = {.type = CELL_TEXT, .head = "comment", .json = "comment",
                .flags = RENDER_WRAP},
};

int cmd_comment(ctl_t *x, const ctl_args_t *a)
{
    uint32_t region = 0;
    if (a->follow_up != NULL && a->resolve != NULL) {
        return ctl_fail(CTL_EX_USAGE, "comment takes --follow-up or "
                                      "--resolve, not both");
    }
    if (ctl_region_arg(x, a->region, &region) != 0) {
        return 1;
    }
    Hrss__CommentQ q = HRSS__COMMENT_Q__INIT;
    q.indicator = (char *)(uintptr_t)a->pos[0];
    q.region = region;
    q.month = (char *)(uintptr_t)a->period;
    q.text = (char *)(uintptr_t)a->text;
    q.mark = a->follow_up != NULL ? "follow-up"
             : a->resolve != NULL ? "resolve"
                                  : NULL;
    q.by = (char *)(uintptr_t)a->as;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_COMMENT;
    req.comment = &q;
    Hrss__QueryResponse *resp = NULL;
    int st = ctl_ask(x, &req, &resp);
    if (st != 0) {
        return st;
    }
    if (resp->r_case != HRSS__QUERY_RESPONSE__R_COMMENTS ||
        resp->comments->n_comments != 1) {
        hrss__query_response__free_unpacked(resp, NULL);
        return ctl_fail(1, "the collector's answer is not a comment");
    }
    const Hrss__Comment *c = resp->comments->comments[0];
    char month[PERIOD_STR_LEN];
    month_format_yyyymm(c->month, month, sizeof month);
    if (x->fmt == RENDER_TABLE) {
        const char *did = strcmp(c->mark, "follow-up") == 0
                              ? ": marked for follow-up"
                          : strcmp(c->mark, "resolve") == 0
                              ? ": resolved"
                              : "";
        fprintf(x->out, "comment %llu on %s %u (%s) %s by %s%s\n",
                (unsigned long long)c->id, c->indicator, c->region,
                ctl_region_name(x, c->region), month, c->by, did);
    } else {
        render_t *r = ctl_render_new(x, comment_cols, M_NCOLS);
        const indicator_t *ind = ctl_indicator(x, c->indicator);
        char code[16];
        snprintf(code, sizeof code, "%u", c->region);
        cell_t row[M_NCOLS];
        row[M_ID] = cell_id(c->id);
        row[M_IND] = cell_indicator(c->indicator, ind ? ind->name_zh : NULL);
        row[M_REGION] = cell_region(code, ctl_region_name(x, c->region));
        row[M_PERIOD] = cell_text(month);
        row[M_MARK] = cell_text(c->mark);
        row[M_BY] = cell_text(c->by);
        row[M_AT] = cell_time(c->at);
        row[M_TEXT] = cell_text(c->text);
        render_add_row(r, row);
        if (x->fmt == RENDER_JSON) {
            render_json_row(r, 0, x->out);
            fputc('\n', x->out);
        } else {
            ctl_print(x, r);
        }
        render_destroy(&r);
    }
    hrss__query_response__free_unpacked(resp, NULL);
    return 0;
}

enum { F_IND, F_REGION, F_PERIOD, F_SINCE, F_MARKED_BY, F_MARKED, F_AT,
       F_BY, F_TEXT, F_NCOLS };

static const render_col_t followup_cols[F_NCOLS] = {
    [F_IND] = {.type = CELL_INDICATOR, .head = "指标 indicator",
               .csv = "indicator", .json = "indicator",
               .flags = RENDER_WRAP},
    [F_REGION] = {.type = CELL_REGION, .head = "地区", .csv = "region",
                  .json = "region"},
    [F_PERIOD] = {.type = CELL_TEXT, .head = "period", .json = "period"},
    [F_SINCE] = {.type = CELL_TIME, .head = "marked", .json = "marked_at",
                 .drop = 2},
    [F_MARKED_BY] = {.type = CELL_TEXT, .head = "marked by",
                     .json = "marked_by", .drop = 1},
    [F_MARKED] = {.type = CELL_TEXT, .json = "marked_comment"},
    [F_AT] = {.type = CELL_TIME, .head = "last comment", .json = "at"},
    [F_BY] = {.type = CELL_TEXT, .head = "by", .json = "by"},
    [F_TEXT] = {.type = CELL_TEXT, .head = "comment", .json = "comment",
                .flags = RENDER_WRAP},
};

typedef struct followups_acc {
    ctl_t *x;
    render_t *r;
} followups_acc_t;

static int followups_page(const Hrss__QueryResponse *page, void *arg)
{
    followups_acc_t *acc = arg;
    const Hrss__CommentList *l = page->comments;
    for (size_t i = 0; i < l->n_followups; i++) {
        const Hrss__Comment *m = l->followups[i]->marked;
        const Hrss__Comment *n = l->followups[i]->newest;
        const indicator_t *ind = ctl_indicator(acc->x, n->indicator);
        char month[PERIOD_STR_LEN];
        char code[16];
        month_format_yyyymm(n->month, month, sizeof month);
        snprintf(code, sizeof code, "%u", n->region);
        cell_t row[F_NCOLS];
        row[F_IND] = cell_indicator(n->indicator, ind ? ind->name_zh : NULL);
        row[F_REGION] = cell_region(code, ctl_region_name(acc->x, n->region));
        row[F_PERIOD] = cell_text(month);
        row[F_SINCE] = cell_time(m->at);
        row[F_MARKED_BY] = cell_text(m->by);
        row[F_MARKED] = cell_text(m->text);
        row[F_AT] = cell_time(n->at);
        row[F_BY] = cell_text(n->by);
        row[F_TEXT] = cell_text(n->text);
        render_add_row(acc->r, row);
    }
    return 0;
}

int cmd_followups(ctl_t *x, const ctl_args_t *a)
{
    Hrss__FollowupsQ q = HRSS__FOLLOWUPS_Q__INIT;
    int st = ctl_list_scope(x, a, &q.period, &q.has_region, &q.region);
    if (st != 0) {
        return st;
    }
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_FOLLOWUPS;
    req.followups = &q;
    followups_acc_t acc = {x, ctl_render_new(x, followup_cols, F_NCOLS)};
    st = ctl_ask_pages(x, &req, followups_page, &acc);
    if (st == 0) {
        render_empty(acc.r, "no cell is marked for follow-up");
        ctl_print(x, acc.r);
    }
    render_destroy(&acc.r);
    return st;
}
