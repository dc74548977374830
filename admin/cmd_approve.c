/* cmd_approve.c: hrssctl approve, unapprove, accept, unaccept and
 * approvals (cmd_approve.h).
 *
 * An approval is asked of the collector (ApproveQ), which alone writes
 * the store: with --data-dir the store is read-only and the answer says
 * so. On a plain collector the approver names themselves (--as NAME);
 * under CURVE the admin key's name and regions decide, and --as is
 * refused rather than ignored.
 *
 * INVARIANTS
 *   1. Nothing is printed on stdout for a refused action.
 *   2. approvals lists the subtree in catalog order, then the month's
 *      log oldest first (JSON: both; CSV: the states only).
 */
#include "admin/cmd_approve.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"

enum { S_REGION, S_STATE, S_BY, S_AT, S_EXC, S_NCOLS };

static const render_col_t state_cols[S_NCOLS] = {
    [S_REGION] = {.type = CELL_REGION, .head = "地区", .csv = "region",
                  .json = "region"},
    [S_STATE] = {.type = CELL_TEXT, .head = "state", .json = "state"},
    [S_BY] = {.type = CELL_TEXT, .head = "by", .json = "by"},
    [S_AT] = {.type = CELL_TIME, .head = "at", .json = "at"},
    [S_EXC] = {.type = CELL_BOOL, .head = "exception", .json = "exception"},
};

enum { E_ID, E_REGION, E_ACTION, E_BY, E_AT, E_NCOLS };

static const render_col_t event_cols[E_NCOLS] = {
    [E_ID] = {.type = CELL_ID, .head = "#", .json = "id"},
    [E_REGION] = {.type = CELL_REGION, .head = "地区", .csv = "region",
                  .json = "region"},
    [E_ACTION] = {.type = CELL_TEXT, .head = "action", .json = "action"},
    [E_BY] = {.type = CELL_TEXT, .head = "by", .json = "by"},
    [E_AT] = {.type = CELL_TIME, .head = "at", .json = "at"},
};

static void add_state(const ctl_t *x, render_t *r, const Hrss__Approval *a)
{
    char code[16];
    snprintf(code, sizeof code, "%u", a->region);
    cell_t row[S_NCOLS];
    row[S_REGION] = cell_region(code, ctl_region_name(x, a->region));
    row[S_STATE] = cell_text(a->state);
    row[S_BY] = a->by != NULL ? cell_text(a->by) : cell_none("-");
    row[S_AT] = a->has_at ? cell_time(a->at) : cell_none("-");
    row[S_EXC] = cell_bool(a->has_exception && a->exception);
    render_add_row(r, row);
}

static int act(ctl_t *x, const ctl_args_t *a, const char *action)
{
    uint32_t region = 0;
    if (a->region == NULL || a->period == NULL) {
        return ctl_fail(CTL_EX_USAGE, "%s takes --region CODE --period "
                                      "YYYY-MM", action);
    }
    if (ctl_region_arg(x, a->region, &region) != 0) {
        return 1;
    }
    Hrss__ApproveQ q = HRSS__APPROVE_Q__INIT;
    q.action = (char *)(uintptr_t)action;
    q.region = region;
    q.month = (char *)(uintptr_t)a->period;
    q.by = (char *)(uintptr_t)a->as;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_APPROVE;
    req.approve = &q;
    Hrss__QueryResponse *resp = NULL;
    int st = ctl_ask(x, &req, &resp);
    if (st != 0) {
        return st;
    }
    const Hrss__ApprovalList *l = resp->approvals;
    if (resp->r_case != HRSS__QUERY_RESPONSE__R_APPROVALS ||
        l->n_approvals != 1) {
        hrss__query_response__free_unpacked(resp, NULL);
        return ctl_fail(1, "the collector's answer is not an approval");
    }
    const Hrss__Approval *ap = l->approvals[0];
    if (x->fmt == RENDER_TABLE) {
        fprintf(x->out, "%s %u (%s) %s: %s%s%s%s\n", action, ap->region,
                ctl_region_name(x, ap->region), l->month, ap->state,
                ap->by != NULL ? " by " : "", ap->by != NULL ? ap->by : "",
                ap->has_exception && ap->exception
                    ? ", excepted from the automatic lock"
                    : "");
    } else {
        render_t *r = ctl_render_new(x, state_cols, S_NCOLS);
        add_state(x, r, ap);
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

int cmd_approve(ctl_t *x, const ctl_args_t *a)
{
    return act(x, a, "approve");
}

int cmd_unapprove(ctl_t *x, const ctl_args_t *a)
{
    return act(x, a, "unapprove");
}

int cmd_accept(ctl_t *x, const ctl_args_t *a)
{
    return act(x, a, "accept");
}

int cmd_unaccept(ctl_t *x, const ctl_args_t *a)
{
    return act(x, a, "unaccept");
}

int cmd_except(ctl_t *x, const ctl_args_t *a)
{
    return act(x, a, "except");
}

int cmd_unexcept(ctl_t *x, const ctl_args_t *a)
{
    return act(x, a, "unexcept");
}

/* The month's log, as rows of @p r. */
static void add_events(const ctl_t *x, render_t *r,
                       const Hrss__ApprovalList *l)
{
    for (size_t i = 0; i < l->n_log; i++) {
        const Hrss__ApprovalEvent *e = l->log[i];
        char code[16];
        snprintf(code, sizeof code, "%u", e->region);
        cell_t row[E_NCOLS];
        row[E_ID] = cell_id(e->id);
        row[E_REGION] = cell_region(code, ctl_region_name(x, e->region));
        row[E_ACTION] = cell_text(e->action);
        row[E_BY] = cell_text(e->by);
        row[E_AT] = cell_time(e->at);
        render_add_row(r, row);
    }
}

static void print_list(ctl_t *x, const Hrss__ApprovalList *l,
                       render_t *states, render_t *events)
{
    if (x->fmt == RENDER_JSON) {
        fputs("{\"month\": ", x->out);
        json_put_str(x->out, l->month);
        fputs(", \"approvals\": ", x->out);
        render_json_rows(states, x->out);
        fputs(",\n \"log\": ", x->out);
        render_json_rows(events, x->out);
        fputs("}\n", x->out);
        return;
    }
    if (x->fmt == RENDER_CSV) {
        ctl_print(x, states);
        return;
    }
    render_title(states, "approvals of %s", l->month);
    ctl_print(x, states);
    render_title(events, "\nactions on %s", l->month);
    render_empty(events, "no approval was taken or withdrawn");
    ctl_print(x, events);
}

int cmd_approvals(ctl_t *x, const ctl_args_t *a)
{
    uint32_t region = 0;
    if (a->period == NULL) {
        return ctl_fail(CTL_EX_USAGE, "approvals takes --period YYYY-MM "
                                      "[--region CODE]");
    }
    if (a->region != NULL && ctl_region_arg(x, a->region, &region) != 0) {
        return 1;
    }
    Hrss__ApprovalsQ q = HRSS__APPROVALS_Q__INIT;
    q.month = (char *)(uintptr_t)a->period;
    q.has_region = region != 0;
    q.region = region;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_APPROVALS;
    req.approvals = &q;
    Hrss__QueryResponse *resp = NULL;
    int st = ctl_ask(x, &req, &resp);
    if (st != 0) {
        return st;
    }
    if (resp->r_case != HRSS__QUERY_RESPONSE__R_APPROVALS) {
        hrss__query_response__free_unpacked(resp, NULL);
        return ctl_fail(1, "the collector's answer is not a list of "
                           "approvals");
    }
    const Hrss__ApprovalList *l = resp->approvals;
    render_t *states = ctl_render_new(x, state_cols, S_NCOLS);
    render_t *events = ctl_render_new(x, event_cols, E_NCOLS);
    for (size_t i = 0; i < l->n_approvals; i++) {
        add_state(x, states, l->approvals[i]);
    }
    add_events(x, events, l);
    print_list(x, l, states, events);
    render_destroy(&states);
    render_destroy(&events);
    hrss__query_response__free_unpacked(resp, NULL);
    return 0;
}
