/* ametrics.c: the agent's /metrics page.
 *
 * The sender's loop publishes a whole ametrics_state_t (a few hundred
 * bytes) at the end of each turn; the page copies the last one under the
 * mutex and writes from the copy. The oldest queued update's age and
 * nothing else is computed at scrape time, so it grows between turns
 * as it does in the spool.
 *
 * INVARIANTS
 *   1. `pub` is read and written only under `lock`.
 *   2. The page's numbers come from one published state (ametrics.h, 1).
 */
#include "agent/ametrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mem.h"
#include "common/metrics.h"
#include "common/wire.h"

_Static_assert(AMETRICS_ACK_KINDS == WIRE_ACK_RETRY + 1,
               "one count per enum wire_ack");

struct ametrics {
    pthread_mutex_t lock;
    ametrics_state_t pub; /* under lock */
};

ametrics_t *ametrics_new(void)
{
    ametrics_t *m = xcalloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void ametrics_destroy(ametrics_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    pthread_mutex_destroy(&(*self_p)->lock);
    free(*self_p);
    *self_p = NULL;
}

void ametrics_publish(ametrics_t *self, const ametrics_state_t *st)
{
    pthread_mutex_lock(&self->lock);
    self->pub = *st;
    pthread_mutex_unlock(&self->lock);
}

static void one(buf_t *out, const char *name, enum metrics_type type,
                const char *help, double v)
{
    metrics_family(out, name, type, help);
    metrics_double(out, name, NULL, 0, v);
}

static void page_spool(buf_t *out, const ametrics_state_t *s, time_t now)
{
    const spool_stats_t *sp = &s->spool;
    int64_t age = sp->queued > 0 && sp->oldest_submitted > 0
                      ? (int64_t)now - sp->oldest_submitted
                      : 0;
    one(out, "hrss_agent_queued", METRICS_GAUGE,
        "Updates in the spool waiting for the collector's "
        "acknowledgement: the backlog.", (double)sp->queued);
    one(out, "hrss_agent_oldest_queued_seconds", METRICS_GAUGE,
        "Seconds since the oldest queued update was submitted (0 when "
        "none is queued).", (double)(age > 0 ? age : 0));
    one(out, "hrss_agent_last_acked_seq", METRICS_GAUGE,
        "Highest seq the collector has acknowledged (stored); all below "
        "it are stored too.",
        (double)(sp->acked_next > 0 ? sp->acked_next - 1 : 0));
    one(out, "hrss_agent_last_queued_seq", METRICS_GAUGE,
        "Highest seq ever queued in this spool.",
        (double)sp->last_assigned);
    one(out, "hrss_agent_rejections", METRICS_GAUGE,
        "Updates the collector rejected, as recorded in the spool "
        "(hrss-agent status lists them).", (double)sp->rejections);
}

static void page_delivery(buf_t *out, const ametrics_state_t *s)
{
    static const char *const states[] = {
        [DELIVERY_DOWN] = "down", [DELIVERY_HELLO] = "hello",
        [DELIVERY_READY] = "ready"};
    static const char *const acks[AMETRICS_ACK_KINDS] = {
        [WIRE_ACK_OK] = "ok", [WIRE_ACK_GAP] = "gap",
        [WIRE_ACK_MALFORMED] = "malformed",
        [WIRE_ACK_UNAUTHORIZED] = "unauthorized",
        [WIRE_ACK_RETRY] = "retry"};
    one(out, "hrss_agent_last_ack_timestamp_seconds", METRICS_GAUGE,
        "When the collector last acknowledged a batch as stored (Ack OK), "
        "unix seconds; 0: not since this process started.",
        (double)s->last_ack_at);
    one(out, "hrss_agent_collector_connected", METRICS_GAUGE,
        "1 while the collector has welcomed this agent (batches flow).",
        s->state == DELIVERY_READY ? 1.0 : 0.0);
    metrics_family(out, "hrss_agent_delivery_state", METRICS_GAUGE,
                   "The delivery state: down (waiting to reconnect), "
                   "hello (connecting) or ready; 1 for the current one.");
    for (int i = DELIVERY_DOWN; i <= DELIVERY_READY; i++) {
        metrics_label_t l = {"state", states[i]};
        metrics_uint(out, "hrss_agent_delivery_state", &l, 1,
                     (int)s->state == i ? 1 : 0);
    }
    one(out, "hrss_agent_connects_total", METRICS_COUNTER,
        "Connections to the collector made (each begins with a Hello).",
        (double)s->connects);
    one(out, "hrss_agent_batches_sent_total", METRICS_COUNTER,
        "Batches sent to the collector, resends included.",
        (double)s->batches_sent);
    metrics_family(out, "hrss_agent_acks_total", METRICS_COUNTER,
                   "The collector's answers to batches, by status; retry: "
                   "it could not store (e.g. its disk is full).");
    for (int i = 0; i < AMETRICS_ACK_KINDS; i++) {
        metrics_label_t l = {"status", acks[i]};
        metrics_uint(out, "hrss_agent_acks_total", &l, 1, s->acks[i]);
    }
}

void ametrics_page(buf_t *out, void *arg)
{
    ametrics_t *self = arg;
    ametrics_state_t s;
    pthread_mutex_lock(&self->lock);
    s = self->pub;
    pthread_mutex_unlock(&self->lock);
    one(out, "hrss_agent_start_time_seconds", METRICS_GAUGE,
        "When this agent started, unix seconds.", (double)s.started);
    page_spool(out, &s, time(NULL));
    page_delivery(out, &s);
}
