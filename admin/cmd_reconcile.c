/* cmd_reconcile.c: `hrssctl reconcile` (cmd_reconcile.h).
 *
 * One ReconcileQ (not paged), its rows sorted by reporter, region and
 * month, so that an office's rows read as its receipts do; submitted is
 * accepted + rejected (every update the collector answered, replays
 * once). Reporters whose count of rejections (reporters table) is above
 * what the tally holds lost the older ones to the rejections' cap before
 * the tally existed: said on stderr, since those months count fewer.
 *
 * INVARIANTS
 *   1. The answer is freed before return; rows are copied into the
 *      render first.
 */
#include "admin/cmd_reconcile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/period.h"

enum { R_REPORTER, R_REGION, R_MONTH, R_SUB, R_ACC, R_REJ, R_NCOLS };

static const render_col_t recon_cols[R_NCOLS] = {
    [R_REPORTER] = {.type = CELL_TEXT, .head = "reporter",
                    .json = "reporter"},
    [R_REGION] = {.type = CELL_REGION, .head = "地区", .csv = "region",
                  .csv2 = "region_name", .json = "region"},
    [R_MONTH] = {.type = CELL_TEXT, .head = "month", .json = "month"},
    [R_SUB] = {.type = CELL_INT, .head = "submitted", .json = "submitted"},
    [R_ACC] = {.type = CELL_INT, .head = "accepted", .json = "accepted"},
    [R_REJ] = {.type = CELL_INT, .head = "rejected", .json = "rejected"},
};

static int by_reporter(const void *a, const void *b)
{
    const Hrss__ReconcileRow *x = *(const Hrss__ReconcileRow *const *)a;
    const Hrss__ReconcileRow *y = *(const Hrss__ReconcileRow *const *)b;
    int c = strcmp(x->reporter, y->reporter);
    if (c != 0) {
        return c;
    }
    if (x->region != y->region) {
        return x->region < y->region ? -1 : 1;
    }
    return (x->month > y->month) - (x->month < y->month);
}

int cmd_reconcile(ctl_t *x, const ctl_args_t *a)
{
    Hrss__ReconcileQ q = HRSS__RECONCILE_Q__INIT;
    int st = ctl_list_scope(x, a, &q.period, &q.has_region, &q.region);
    if (st != 0) {
        return st;
    }
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_RECONCILE;
    req.reconcile = &q;
    Hrss__QueryResponse *resp = NULL;
    st = ctl_ask(x, &req, &resp);
    if (st != 0) {
        return st;
    }
    if (resp->r_case != HRSS__QUERY_RESPONSE__R_RECONCILE ||
        resp->reconcile == NULL) {
        hrss__query_response__free_unpacked(resp, NULL);
        return ctl_fail(1, "the collector does not know reconcile (an "
                           "older collector?)");
    }
    const Hrss__Reconciliation *r = resp->reconcile;
    if (r->n_rows > 1) {
        qsort(r->rows, r->n_rows, sizeof *r->rows, by_reporter);
    }
    render_t *out = ctl_render_new(x, recon_cols, R_NCOLS);
    for (size_t i = 0; i < r->n_rows; i++) {
        const Hrss__ReconcileRow *w = r->rows[i];
        char month[PERIOD_STR_LEN];
        char reg[16];
        cell_t row[R_NCOLS];
        month_format_yyyymm(w->month, month, sizeof month);
        snprintf(reg, sizeof reg, "%u", w->region);
        row[R_REPORTER] = cell_text(w->reporter);
        row[R_REGION] = cell_region(reg, ctl_region_name(x, w->region));
        row[R_MONTH] = cell_text(month);
        row[R_SUB] = cell_int((int64_t)(w->accepted + w->rejected));
        row[R_ACC] = cell_int((int64_t)w->accepted);
        row[R_REJ] = cell_int((int64_t)w->rejected);
        render_add_row(out, row);
    }
    render_empty(out, "no update of the period was answered for these "
                      "regions");
    ctl_print(x, out);
    render_destroy(&out);
    for (size_t i = 0; i < r->n_lost; i++) {
        const Hrss__ReconcileLost *l = r->lost[i];
        fprintf(stderr, "hrssctl: note: %s: %" PRIu64 " rejection%s were "
                        "trimmed (--max-rejections) before the collector "
                        "counted per month; its months count %" PRIu64
                        " rejected in all, not %" PRIu64 "\n",
                l->reporter, l->counted - l->tallied,
                l->counted - l->tallied == 1 ? "" : "s", l->tallied,
                l->counted);
    }
    hrss__query_response__free_unpacked(resp, NULL);
    return 0;
}
