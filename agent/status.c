/* status.c: what `hrss-agent status` prints, and the rejections `flush`
 * reports (status.h).
 *
 * The seen mark (spool "rejections_seen") splits the rejections: those
 * above it are new to the office. Text output lists new ones first, then
 * earlier ones, and afterwards raises the mark to the newest rejection
 * it printed, so the next status calls them earlier. `flush` prints only
 * the new ones (to stderr) and raises the mark the same way. The JSON
 * form marks each rejection "new" and writes nothing: scripts that poll
 * it do not take the news away from the person at the office.
 *
 *   rejection seq:  1 .. seen | seen+1 .. newest
 *                   earlier   | new  --(status text, flush)--> earlier
 *
 * After the rejections comes the deadlines part (status_due_*): the
 * spool's cell records (spool_cells) give what this office ever
 * queued; agent/due computes, for a "now" the caller passes (the CLI
 * time(NULL)), what is due within --due-days or overdue and not in
 * them, for the office's --region and each region at or below it that
 * it ever queued for (a city office that sends its counties' figures
 * sees theirs; a county that reports on its own is not listed).
 *
 * INVARIANTS
 *   1. What the collector said reaches the terminal only through
 *      text_clean() and JSON only through json_put_str().
 *   2. The seen mark is raised to the highest seq printed, after the
 *      printing, never past it (a rejection recorded meanwhile stays
 *      new).
 */
#include "agent/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/deadline.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/period.h"
#include "common/text.h"

typedef struct rej_out {
    FILE *f;
    int json;
    int which;     /* text: 1 new ones, 0 earlier ones */
    uint64_t seen; /* the mark when the listing began */
    uint64_t n;    /* printed */
    uint64_t top;  /* highest seq printed */
} rej_out_t;

/* "V" of a count, "NUM/DEN" of a ratio. */
static void value_text(const spool_update_t *u, char *out, size_t cap)
{
    if (u->is_ratio) {
        snprintf(out, cap, "%lld/%lld", (long long)u->num,
                 (long long)u->den);
    } else {
        snprintf(out, cap, "%lld", (long long)u->num);
    }
}

char *status_rejection_line(const spool_rejection_t *r, char *out,
                            size_t cap)
{
    char reason[3 * sizeof r->reason_name];
    char message[3 * sizeof r->message];
    text_clean(reason, sizeof reason, r->reason_name, 0);
    text_clean(message, sizeof message, r->message, 0);
    const spool_update_t *u = &r->update;
    if (u->indicator[0] == '\0') {
        snprintf(out, cap, "seq %llu: (the update had left the spool): "
                           "%s [%s]",
                 (unsigned long long)r->seq, message, reason);
        return out;
    }
    char ind[3 * sizeof u->indicator];
    char month[16] = "";
    char value[48];
    text_clean(ind, sizeof ind, u->indicator, 0);
    if (u->yyyymm != 0) {
        month_format_yyyymm(u->yyyymm, month, sizeof month);
    }
    value_text(u, value, sizeof value);
    snprintf(out, cap, "seq %llu: %s %u %s value %s: %s [%s]",
             (unsigned long long)r->seq, ind, u->region, month, value,
             message, reason);
    return out;
}

static void print_json(const rej_out_t *o, const spool_rejection_t *r)
{
    const spool_update_t *u = &r->update;
    char month[16] = "";
    char region[16] = "";
    if (u->yyyymm != 0) {
        month_format_yyyymm(u->yyyymm, month, sizeof month);
    }
    if (u->region != 0) {
        snprintf(region, sizeof region, "%u", u->region);
    }
    fprintf(o->f, "%s\n    {\"seq\": %llu, \"new\": %s, \"reason\": ",
            o->n ? "," : "", (unsigned long long)r->seq,
            r->seq > o->seen ? "true" : "false");
    json_put_str(o->f, r->reason_name);
    fprintf(o->f, ", \"message\": ");
    json_put_str(o->f, r->message);
    fprintf(o->f, ", \"indicator\": ");
    json_put_str(o->f, u->indicator);
    fprintf(o->f, ", \"region\": ");
    json_put_str(o->f, region);
    fprintf(o->f, ", \"period\": ");
    json_put_str(o->f, month);
    if (u->indicator[0] == '\0') {
        fprintf(o->f, ", \"value\": null");
    } else if (u->is_ratio) {
        fprintf(o->f, ", \"numerator\": %lld, \"denominator\": %lld",
                (long long)u->num, (long long)u->den);
    } else {
        fprintf(o->f, ", \"value\": %lld", (long long)u->num);
    }
    fprintf(o->f, ", \"at\": %lld}", (long long)r->at);
}

static int print_rejection(const spool_rejection_t *r, void *arg)
{
    rej_out_t *o = arg;
    if (o->json) {
        print_json(o, r);
    } else {
        if ((r->seq > o->seen) != o->which) {
            return 0;
        }
        char line[1024];
        fprintf(o->f, "  %s\n", status_rejection_line(r, line, sizeof line));
    }
    if (r->seq > o->top) {
        o->top = r->seq;
    }
    o->n++;
    return 0;
}

static int status_json(spool_t *sp, const status_view_t *v, char err[ERR_LEN])
{
    rej_out_t ro = {stdout, 1, 0, v->st.seen, 0, 0};
    printf("{\n  \"queued\": %llu,\n  \"oldest_queued_age_s\": ",
           (unsigned long long)v->st.queued);
    if (v->age >= 0) {
        printf("%lld", v->age);
    } else {
        printf("null");
    }
    printf(",\n  \"last_acked_seq\": %llu,\n  \"last_assigned_seq\": "
           "%llu,\n  \"sender_running\": %s,\n  \"sender_pid\": ",
           (unsigned long long)v->st.acked_next - 1,
           (unsigned long long)v->st.last_assigned,
           v->running ? "true" : "false");
    if (v->running) {
        printf("%ld", v->holder);
    } else {
        printf("null");
    }
    printf(",\n  \"rejections_new\": %llu,\n  \"rejections\": [",
           (unsigned long long)v->st.unseen);
    int rc = spool_rejections(sp, print_rejection, &ro, err);
    printf("%s],\n  \"deadlines\": ", ro.n ? "\n  " : "");
    status_due_json(stdout, v->due);
    printf("\n}\n");
    return rc;
}

/* Print the new (@p which 1) or earlier (0) rejections under @p title;
 * ro->top rises to the highest seq printed. */
static int list_part(spool_t *sp, rej_out_t *ro, int which, uint64_t count,
                     const char *title, char err[ERR_LEN])
{
    if (count == 0) {
        return ERR_OK;
    }
    fprintf(ro->f, "%s\n", title);
    ro->which = which;
    return spool_rejections(sp, print_rejection, ro, err);
}

static int status_text(spool_t *sp, const status_view_t *v, char err[ERR_LEN])
{
    const spool_stats_t *st = &v->st;
    rej_out_t ro = {stdout, 0, 1, st->seen, 0, 0};
    printf("state dir:       %s\n", v->state_dir);
    printf("sender:          %s", v->running ? "running" : "not running");
    if (v->running) {
        printf(" (pid %ld)", v->holder);
    }
    printf("\nqueued:          %llu update%s",
           (unsigned long long)st->queued, st->queued == 1 ? "" : "s");
    if (v->age >= 0) {
        printf(", oldest submitted %lld s ago", v->age);
    }
    printf("\nlast acked seq:  %llu\nlast queued seq: %llu\n"
           "rejections:      %llu",
           (unsigned long long)st->acked_next - 1,
           (unsigned long long)st->last_assigned,
           (unsigned long long)st->rejections);
    if (st->rejections > 0 && st->unseen > 0) {
        printf(" (%llu new: not shown before)",
               (unsigned long long)st->unseen);
    } else if (st->rejections > 0) {
        printf(" (none new)");
    }
    printf("\n");
    /* Counted in another transaction than the listing: a rejection
     * recorded in between is listed where it belongs all the same. */
    int rc = list_part(sp, &ro, 1, st->unseen,
                       "new rejections (not shown before; the collector "
                       "did not store these):",
                       err);
    if (rc == ERR_OK) {
        rc = list_part(sp, &ro, 0, st->rejections - st->unseen,
                       "earlier rejections:", err);
    }
    if (rc == ERR_OK) {
        status_due_text(stdout, v->due);
    }
    if (rc == ERR_OK && ro.top > st->seen) {
        rc = spool_mark_seen(sp, ro.top, err);
    }
    return rc;
}

int status_print(spool_t *sp, const status_view_t *v, int json,
                 char err[ERR_LEN])
{
    return json ? status_json(sp, v, err) : status_text(sp, v, err);
}

int status_report_new(spool_t *sp, FILE *f, uint64_t *n, char err[ERR_LEN])
{
    spool_stats_t st;
    *n = 0;
    int rc = spool_stats(sp, &st, err);
    if (rc != ERR_OK || st.unseen == 0) {
        return rc;
    }
    fprintf(f, "hrss-agent: the collector rejected %llu update%s (not "
               "stored; correct and submit again):\n",
            (unsigned long long)st.unseen, st.unseen == 1 ? "" : "s");
    rej_out_t ro = {f, 0, 1, st.seen, 0, 0};
    rc = spool_rejections(sp, print_rejection, &ro, err);
    *n = ro.n;
    if (rc == ERR_OK && ro.top > st.seen) {
        rc = spool_mark_seen(sp, ro.top, err);
    }
    return rc;
}

/* The deadlines part (status.h status_due_*). */

typedef struct cells_in {
    const catalog_t *cat;
    const refused_t *refused;
    int home;          /* the office's region, catalog index */
    due_set_t *set;
    uint32_t *regions; /* [0] the home region */
    size_t n;
    size_t cap;
} cells_in_t;

static int take_cell(const spool_cell_t *c, void *arg)
{
    cells_in_t *in = arg;
    /* A cell whose figures were all refused is still due: it stays out
     * of the set of cells the office has done. */
    if (refused_find(in->refused, c->indicator, c->region, c->yyyymm) ==
            NULL ||
        !refused_knows(in->refused, c->first_at)) {
        due_set_add(in->set, c->indicator, c->region, c->yyyymm);
    }
    int ri = catalog_region_find(in->cat, c->region);
    if (ri < 0 || !catalog_region_within(in->cat, ri, in->home)) {
        return 0;
    }
    for (size_t i = 0; i < in->n; i++) {
        if (in->regions[i] == c->region) {
            return 0;
        }
    }
    if (in->n == in->cap) {
        in->cap *= 2;
        in->regions = xreallocarray(in->regions, in->cap,
                                    sizeof *in->regions);
    }
    in->regions[in->n++] = c->region;
    return 0;
}

static int region_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a;
    uint32_t y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int status_due_load(spool_t *sp, const catalog_t *cat, int region,
                    int64_t now, int due_days, status_due_t *out,
                    char err[ERR_LEN])
{
    memset(out, 0, sizeof *out);
    out->cat = cat;
    out->now = now;
    out->due_days = due_days;
    /* A damaged queue or receipt is named by the rest of status (and by
     * check): here it only means that no cell can be told refused, as
     * before receipts. */
    char ignored[ERR_LEN];
    if (refused_load(sp, &out->refused, ignored) != ERR_OK) {
        refused_fini(&out->refused);
    }
    cells_in_t in = {cat, &out->refused, region, due_set_new(), NULL, 1, 8};
    in.regions = xcalloc(in.cap, sizeof *in.regions);
    in.regions[0] = catalog_region(cat, (size_t)region)->code;
    int rc = spool_cells(sp, take_cell, &in, &out->since, err);
    if (in.n > 2) {
        qsort(in.regions + 1, in.n - 1, sizeof *in.regions, region_cmp);
    }
    out->regions = in.regions;
    out->n_regions = in.n;
    if (rc == ERR_OK) {
        due_opts_t o = {cat, in.regions, in.n, now, due_days, out->since};
        due_compute(&o, in.set, &out->list);
    }
    due_set_destroy(&in.set);
    return rc;
}

void status_due_fini(status_due_t *d)
{
    if (d == NULL) {
        return;
    }
    free(d->regions);
    refused_fini(&d->refused);
    due_list_fini(&d->list);
    memset(d, 0, sizeof *d);
}

/* "UTC+8", "UTC-3:30" of @p off seconds east. */
static void zone_text(long off, char *buf, size_t len)
{
    long a = off < 0 ? -off : off;
    if (a % 3600 == 0) {
        snprintf(buf, len, "UTC%c%ld", off < 0 ? '-' : '+', a / 3600);
    } else {
        snprintf(buf, len, "UTC%c%ld:%02ld", off < 0 ? '-' : '+', a / 3600,
                 a % 3600 / 60);
    }
}

/* The refused cell @p it lists, or NULL (never queued). */
static const refused_cell_t *refusal_of(const status_due_t *d,
                                        const due_item_t *it)
{
    const indicator_t *ind = catalog_indicator(d->cat, (size_t)it->indicator);
    return refused_find(&d->refused, ind->code, it->region,
                        month_to_yyyymm(it->month));
}

/* How many of @p n items @p v are refused cells. */
static size_t count_refused(const status_due_t *d, const due_item_t *v,
                            size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += refusal_of(d, &v[i]) != NULL;
    }
    return k;
}

static void item_line(FILE *f, const status_due_t *d, const due_item_t *it,
                      int overdue)
{
    const catalog_plan_t *plan = catalog_plan(d->cat);
    const indicator_t *ind = catalog_indicator(d->cat, (size_t)it->indicator);
    char date[16];
    char month[PERIOD_STR_LEN];
    char when[48];
    deadline_format_date(it->deadline, plan->tz_offset, date, sizeof date);
    month_format(it->month, month, sizeof month);
    if (overdue) {
        snprintf(when, sizeof when, "%lld day%s overdue",
                 (long long)it->days, it->days == 1 ? "" : "s");
    } else if (it->days == 0) {
        snprintf(when, sizeof when, "today");
    } else {
        snprintf(when, sizeof when, "in %lld day%s", (long long)it->days,
                 it->days == 1 ? "" : "s");
    }
    const refused_cell_t *rf = refusal_of(d, it);
    char reason[3 * sizeof rf->reason] = "";
    if (rf != NULL) {
        text_clean(reason, sizeof reason, rf->reason, 0);
    }
    fprintf(f, "  due %s (%s%s%s): %s %u %s %s\n", date, when,
            rf != NULL ? ", refused: " : "", reason, month, it->region,
            ind->name_zh, ind->code);
}

void status_due_text(FILE *f, const status_due_t *d)
{
    if (d == NULL) {
        fprintf(f, "deadlines:       not shown (no --region)\n");
        return;
    }
    const catalog_plan_t *plan = catalog_plan(d->cat);
    const due_list_t *l = &d->list;
    char zone[24];
    char a[PERIOD_STR_LEN];
    char b[PERIOD_STR_LEN];
    zone_text(plan->tz_offset, zone, sizeof zone);
    fprintf(f, "deadlines:       %s (%s), region%s", plan->time_zone, zone,
            d->n_regions == 1 ? "" : "s");
    for (size_t i = 0; i < d->n_regions; i++) {
        fprintf(f, " %u", d->regions[i]);
    }
    fprintf(f, "\n                 (queued: by this agent; the province "
               "counts when the\n                 collector received a "
               "figure: hrssctl completeness)\n");
    fprintf(f, "due soon:        %zu figure%s not queued%s, due within %d "
               "day%s\n",
            l->n_due, l->n_due == 1 ? "" : "s",
            count_refused(d, l->due, l->n_due) ? " or refused" : "",
            d->due_days,
            d->due_days == 1 ? "" : "s");
    for (size_t i = 0; i < l->n_due; i++) {
        item_line(f, d, &l->due[i], 0);
    }
    month_format(l->unknown_last + 1, a, sizeof a);
    month_format(l->last_month, b, sizeof b);
    fprintf(f, "overdue:         %zu figure%s never queued%s", l->n_overdue,
            l->n_overdue == 1 ? "" : "s",
            count_refused(d, l->overdue, l->n_overdue) ? " or refused" : "");
    if (l->unknown_last < l->last_month) {
        fprintf(f, " (months %s..%s)", a, b);
    }
    fprintf(f, "\n");
    for (size_t i = 0; i < l->n_overdue; i++) {
        item_line(f, d, &l->overdue[i], 1);
    }
    if (l->unknown_last >= l->first_month) {
        month_format(l->first_month, a, sizeof a);
        month_format(l->unknown_last, b, sizeof b);
        fprintf(f, "not known:       %s..%s: an older hrss-agent queued "
                   "here without\n                 a record of what; "
                   "not listed%s\n",
                a, b, d->since < 0 ? " (recorded from the next submit on)"
                                   : "");
    }
}

static void item_json(FILE *f, const status_due_t *d, const due_item_t *it,
                      int overdue, int first)
{
    const catalog_plan_t *plan = catalog_plan(d->cat);
    const indicator_t *ind = catalog_indicator(d->cat, (size_t)it->indicator);
    char date[16];
    char month[PERIOD_STR_LEN];
    char region[16];
    deadline_format_date(it->deadline, plan->tz_offset, date, sizeof date);
    month_format(it->month, month, sizeof month);
    snprintf(region, sizeof region, "%u", it->region);
    fprintf(f, "%s\n      {\"indicator\": ", first ? "" : ",");
    json_put_str(f, ind->code);
    fprintf(f, ", \"name_zh\": ");
    json_put_str(f, ind->name_zh);
    fprintf(f, ", \"region\": \"%s\", \"period\": \"%s\", \"deadline\": "
               "%lld, \"deadline_date\": \"%s\", \"%s\": %lld",
            region, month, (long long)it->deadline, date,
            overdue ? "days_overdue" : "days_left", (long long)it->days);
    /* Only a refused cell has the member: a reader of older output sees
     * the same items. */
    const refused_cell_t *rf = refusal_of(d, it);
    if (rf != NULL) {
        fprintf(f, ", \"refused\": ");
        json_put_str(f, rf->reason);
    }
    fputc('}', f);
}

void status_due_json(FILE *f, const status_due_t *d)
{
    if (d == NULL) {
        fprintf(f, "null");
        return;
    }
    const catalog_plan_t *plan = catalog_plan(d->cat);
    const due_list_t *l = &d->list;
    char a[PERIOD_STR_LEN];
    char b[PERIOD_STR_LEN];
    fprintf(f, "{\n    \"time_zone\": ");
    json_put_str(f, plan->time_zone);
    fprintf(f, ",\n    \"tz_offset\": %ld,\n    \"now\": %lld,\n    "
               "\"due_days\": %d,\n    \"regions\": [",
            plan->tz_offset, (long long)d->now, d->due_days);
    for (size_t i = 0; i < d->n_regions; i++) {
        fprintf(f, "%s\"%u\"", i ? ", " : "", d->regions[i]);
    }
    month_format(l->unknown_last + 1, a, sizeof a);
    month_format(l->last_month, b, sizeof b);
    if (l->unknown_last < l->last_month) {
        fprintf(f, "],\n    \"months\": [\"%s\", \"%s\"],\n", a, b);
    } else {
        fprintf(f, "],\n    \"months\": null,\n");
    }
    month_format(l->first_month, a, sizeof a);
    month_format(l->unknown_last, b, sizeof b);
    if (l->unknown_last >= l->first_month) {
        fprintf(f, "    \"unknown_months\": [\"%s\", \"%s\"],\n", a, b);
    } else {
        fprintf(f, "    \"unknown_months\": null,\n");
    }
    fprintf(f, "    \"due\": [");
    for (size_t i = 0; i < l->n_due; i++) {
        item_json(f, d, &l->due[i], 0, i == 0);
    }
    fprintf(f, "%s],\n    \"overdue\": [", l->n_due ? "\n    " : "");
    for (size_t i = 0; i < l->n_overdue; i++) {
        item_json(f, d, &l->overdue[i], 1, i == 0);
    }
    fprintf(f, "%s]\n  }", l->n_overdue ? "\n    " : "");
}
