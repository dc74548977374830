/* cmd_store.c: backup and export of the store as a whole.
 *
 * export writes the columns an agent reads (indicator, period, value,
 * numerator, denominator, region), so a sheet can be corrected and sent
 * back: a count fills value, a ratio numerator and denominator.
 *
 * export asks for the facts page after page (ctl_ask_pages): no answer
 * is larger than the collector's cap, and the CSV is the same. Each page
 * is printed as it comes and then forgotten (render_csv_flush), so an
 * export's memory is one page's, whatever the store's size. With
 * --data-dir every page comes from the snapshot the client pinned (one
 * export, one snapshot); over the socket each page is a snapshot of its
 * own (ARCHITECTURE, "Query protocol").
 *
 * INVARIANTS
 *   1. export's output is the agent's CSV format in every output form.
 *   2. export holds at most one page of rows.
 */
#include "admin/cmd_store.h"

#include <stdio.h>
#include <string.h>

#include "common/json.h"

int cmd_store_backup(ctl_t *x, const ctl_args_t *a)
{
    Hrss__BackupQ q = HRSS__BACKUP_Q__INIT;
    q.dest = (char *)(uintptr_t)a->pos[0];
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_BACKUP;
    req.backup = &q;
    Hrss__QueryResponse *resp = NULL;
    int st = ctl_ask(x, &req, &resp);
    if (st != 0) {
        return st;
    }
    hrss__query_response__free_unpacked(resp, NULL);
    if (x->fmt == RENDER_JSON) {
        fprintf(x->out, "{\"backup\": ");
        json_put_str(x->out, a->pos[0]);
        fprintf(x->out, "}\n");
    } else if (client_is_local(x->c)) {
        fprintf(x->out, "backup written to %s/data.mdb\n", a->pos[0]);
    } else {
        fprintf(x->out, "backup written to %s/data.mdb in the collector's backup "
               "directory\n", a->pos[0]);
    }
    return 0;
}

enum { E_IND, E_PERIOD, E_VALUE, E_NUM, E_DEN, E_REGION, E_NCOLS };

static const render_col_t export_cols[E_NCOLS] = {
    [E_IND] = {.type = CELL_TEXT, .head = "indicator"},
    [E_PERIOD] = {.type = CELL_TEXT, .head = "period"},
    [E_VALUE] = {.type = CELL_INT, .head = "value"},
    [E_NUM] = {.type = CELL_INT, .head = "numerator"},
    [E_DEN] = {.type = CELL_INT, .head = "denominator"},
    [E_REGION] = {.type = CELL_TEXT, .head = "region"},
};

/* The export's rows and where they are printed. */
typedef struct export_acc {
    render_t *r;
    FILE *out;
} export_acc_t;

static int export_page(const Hrss__QueryResponse *page, void *arg)
{
    export_acc_t *acc = arg;
    render_t *r = acc->r;
    for (size_t i = 0; i < page->facts->n_facts; i++) {
        const Hrss__Fact *f = page->facts->facts[i];
        char month[PERIOD_STR_LEN];
        char reg[16];
        cell_t row[E_NCOLS];
        month_format_yyyymm(f->month, month, sizeof month);
        snprintf(reg, sizeof reg, "%u", f->region);
        row[E_IND] = cell_text(f->indicator);
        row[E_PERIOD] = cell_text(month);
        row[E_VALUE] = f->is_ratio ? cell_none(NULL)
                                   : cell_int(f->numerator);
        row[E_NUM] = f->is_ratio ? cell_int(f->numerator) : cell_none(NULL);
        row[E_DEN] = f->is_ratio ? cell_int(f->denominator)
                                 : cell_none(NULL);
        row[E_REGION] = cell_text(reg);
        render_add_row(r, row);
    }
    /* Printed page by page: an export holds one page, whatever the
     * store's size. */
    render_csv_flush(r, acc->out);
    return 0;
}

int cmd_store_export(ctl_t *x, const ctl_args_t *a)
{
    if (a->format == NULL || strcmp(a->format, "csv") != 0) {
        return ctl_fail(CTL_EX_USAGE, "export needs --format csv");
    }
    if (x->fmt == RENDER_JSON) {
        /* The export is the agent's CSV, to be corrected and sent back. */
        return ctl_fail(CTL_EX_USAGE, "export writes CSV (--format csv); "
                                      "--json does not apply");
    }
    Hrss__FactsQ q = HRSS__FACTS_Q__INIT;
    period_t p;
    int st = 0;
    if (a->from != NULL) {
        st = ctl_period_arg(a->from, "--from", &p);
        q.from = (char *)(uintptr_t)a->from;
    }
    if (st == 0 && a->to != NULL) {
        st = ctl_period_arg(a->to, "--to", &p);
        q.to = (char *)(uintptr_t)a->to;
    }
    if (st != 0) {
        return st;
    }
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    req.facts = &q;
    export_acc_t acc = {ctl_render_new(x, export_cols, E_NCOLS), x->out};
    st = ctl_ask_pages(x, &req, export_page, &acc);
    render_destroy(&acc.r);
    return st;
}
