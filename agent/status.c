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
 * INVARIANTS
 *   1. What the collector said reaches the terminal only through
 *      text_clean() and JSON only through json_put_str().
 *   2. The seen mark is raised to the highest seq printed, after the
 *      printing, never past it (a rejection recorded meanwhile stays
 *      new).
 */
#include "agent/status.h"

#include <stdio.h>

#include "common/json.h"
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
    printf("%s]\n}\n", ro.n ? "\n  " : "");
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
