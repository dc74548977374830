/* status.c: what `hrss-agent status` prints (status.h). */
#include "agent/status.h"

#include <stdio.h>

#include "common/json.h"
#include "common/period.h"
#include "common/text.h"

typedef struct rej_out {
    int json;
    int n;
} rej_out_t;

static int print_rejection(const spool_rejection_t *r, void *arg)
{
    rej_out_t *o = arg;
    char month[16] = "";
    if (r->update.yyyymm != 0) {
        month_format_yyyymm(r->update.yyyymm, month, sizeof month);
    }
    if (o->json) {
        printf("%s\n    {\"seq\": %llu, \"reason\": ", o->n ? "," : "",
               (unsigned long long)r->seq);
        json_put_str(stdout, r->reason_name);
        printf(", \"message\": ");
        json_put_str(stdout, r->message);
        printf(", \"indicator\": ");
        json_put_str(stdout, r->update.indicator);
        printf(", \"region\": %u, \"period\": ", r->update.region);
        json_put_str(stdout, month);
        printf(", \"at\": %lld}", (long long)r->at);
    } else {
        /* What the collector said is shown cleaned (common/text): no
         * control or bad byte of it reaches the terminal. */
        char reason[3 * sizeof r->reason_name];
        char message[3 * sizeof r->message];
        text_clean(reason, sizeof reason, r->reason_name, 0);
        text_clean(message, sizeof message, r->message, 0);
        printf("  seq %-8llu %-26s %s\n", (unsigned long long)r->seq,
               reason, message);
    }
    o->n++;
    return 0;
}

static int status_json(spool_t *sp, const status_view_t *v, char err[ERR_LEN])
{
    rej_out_t ro = {1, 0};
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
    printf(",\n  \"rejections\": [");
    int rc = spool_rejections(sp, print_rejection, &ro, err);
    printf("%s]\n}\n", ro.n ? "\n  " : "");
    return rc;
}

static int status_text(spool_t *sp, const status_view_t *v, char err[ERR_LEN])
{
    rej_out_t ro = {0, 0};
    printf("state dir:       %s\n", v->state_dir);
    printf("sender:          %s", v->running ? "running" : "not running");
    if (v->running) {
        printf(" (pid %ld)", v->holder);
    }
    printf("\nqueued:          %llu update%s",
           (unsigned long long)v->st.queued, v->st.queued == 1 ? "" : "s");
    if (v->age >= 0) {
        printf(", oldest submitted %lld s ago", v->age);
    }
    printf("\nlast acked seq:  %llu\nlast queued seq: %llu\n"
           "rejections:      %llu\n",
           (unsigned long long)v->st.acked_next - 1,
           (unsigned long long)v->st.last_assigned,
           (unsigned long long)v->st.rejections);
    return spool_rejections(sp, print_rejection, &ro, err);
}

int status_print(spool_t *sp, const status_view_t *v, int json,
                 char err[ERR_LEN])
{
    return json ? status_json(sp, v, err) : status_text(sp, v, err);
}
