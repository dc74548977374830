/* fast.c: the fastest ingest client (see fast.h).
 *
 * Frames are packed in advance, one per batch, and assigned to the
 * connections in turn, so each reporter's sequence numbers are
 * consecutive from 1 across its own batches.
 *
 * INVARIANTS
 *   1. At most `window` batches of one connection are unanswered.
 *   2. A batch counts as done only on an ACK_OK for it; any other status
 *      ends the run with -1.
 */
#include "bench/fast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bench/bx.h"
#include "common/buf.h"
#include "common/mem.h"
#include "common/wire.h"

typedef struct conn {
    void *sock;
    char name[32];
    size_t *batches;   /* indexes into the packed frames */
    size_t n_batches;
    size_t next;       /* next batch to send */
    size_t acked;
    int in_flight;
} conn_t;

static void send_hello(void *s, const char *name, uint32_t region)
{
    Hrss__Hello h = HRSS__HELLO__INIT;
    h.version = WIRE_VERSION;
    h.name = (char *)(uintptr_t)name;
    h.region = region;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_HELLO;
    m.hello = &h;
    buf_t b;
    buf_init(&b);
    wire_pack(&m.base, &b);
    zmq_send(s, b.data, b.len, 0);
    buf_fini(&b);
}

/* The next collector message within @p ms, or NULL. */
static Hrss__CollectorMsg *recv_msg(void *s, int ms)
{
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, ms) != 1) {
        return NULL;
    }
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, s, 0) < 0) {
        zmq_msg_close(&msg);
        return NULL;
    }
    Hrss__CollectorMsg *m = NULL;
    char err[ERR_LEN];
    if (wire_collector_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &m,
                              err) != ERR_OK) {
        m = NULL;
    }
    zmq_msg_close(&msg);
    return m;
}

/* Pack figures [first, first + n) as one batch of reporter @p name with
 * seqs from @p seq. */
static void pack_batch(buf_t *out, const catalog_t *cat, const char *name,
                       uint32_t region, size_t first, size_t n, uint64_t seq)
{
    Hrss__Update *w = xcalloc(n, sizeof *w);
    Hrss__Ratio *r = xcalloc(n, sizeof *r);
    Hrss__Update **wp = xcalloc(n, sizeof *wp);
    for (size_t i = 0; i < n; i++) {
        update_t u;
        bx_cell(cat, first + i, &u);
        hrss__update__init(&w[i]);
        w[i].seq = seq + i;
        w[i].indicator = (char *)(uintptr_t)u.indicator;
        w[i].region = u.region;
        w[i].month = u.yyyymm;
        if (u.value.is_ratio) {
            hrss__ratio__init(&r[i]);
            r[i].numerator = u.value.num;
            r[i].denominator = u.value.den;
            w[i].value_case = HRSS__UPDATE__VALUE_RATIO;
            w[i].ratio = &r[i];
        } else {
            w[i].value_case = HRSS__UPDATE__VALUE_COUNT;
            w[i].count = u.value.num;
        }
        wp[i] = &w[i];
    }
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)(uintptr_t)name;
    b.region = region;
    b.n_updates = n;
    b.updates = wp;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    wire_pack(&m.base, out);
    free(wp);
    free(r);
    free(w);
}

double fast_client(const catalog_t *cat, const char *ingest, size_t n,
                   size_t batch, int conns, int window, int sync,
                   size_t *rejected)
{
    uint32_t root = catalog_region(cat, (size_t)catalog_region_root(cat))->code;
    size_t nb = (n + batch - 1) / batch;
    buf_t *frames = xcalloc(nb, sizeof *frames);
    conn_t *cs = xcalloc((size_t)conns, sizeof *cs);
    void *zctx = zmq_ctx_new();
    double rate = -1;
    *rejected = 0;
    for (int j = 0; j < conns; j++) {
        snprintf(cs[j].name, sizeof cs[j].name, "fast-%d", j);
        cs[j].batches = xcalloc(nb / (size_t)conns + 1, sizeof(size_t));
    }
    for (size_t b = 0; b < nb; b++) {
        conn_t *c = &cs[b % (size_t)conns];
        size_t len = b + 1 < nb ? batch : n - b * batch;
        buf_init(&frames[b]);
        pack_batch(&frames[b], cat, c->name, root, b * batch, len,
                   1 + c->n_batches * batch);
        c->batches[c->n_batches++] = b;
    }
    for (int j = 0; j < conns; j++) {
        cs[j].sock = zmq_socket(zctx, ZMQ_DEALER);
        int linger = 0;
        int hwm = 1000;
        zmq_setsockopt(cs[j].sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(cs[j].sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(cs[j].sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_connect(cs[j].sock, ingest);
        send_hello(cs[j].sock, cs[j].name, root);
        Hrss__CollectorMsg *w = recv_msg(cs[j].sock, 10000);
        if (w == NULL || w->body_case != HRSS__COLLECTOR_MSG__BODY_WELCOME) {
            fprintf(stderr, "bench: no welcome from the collector\n");
            goto out;
        }
        hrss__collector_msg__free_unpacked(w, NULL);
    }
    zmq_pollitem_t *items = xcalloc((size_t)conns, sizeof *items);
    double t0 = bx_now();
    size_t done = 0;
    while (done < nb) {
        for (int j = 0; j < conns; j++) {
            conn_t *c = &cs[j];
            /* Synchronous: the next request only once the last one is
             * wholly answered. */
            int room = sync && c->in_flight > 0 ? 0 : window;
            while (c->in_flight < room && c->next < c->n_batches) {
                buf_t *f = &frames[c->batches[c->next]];
                zmq_send(c->sock, f->data, f->len, 0);
                c->next++;
                c->in_flight++;
            }
            items[j].socket = c->sock;
            items[j].events = ZMQ_POLLIN;
            items[j].revents = 0;
        }
        if (zmq_poll(items, conns, 30000) <= 0) {
            fprintf(stderr, "bench: no ack for 30 s\n");
            free(items);
            goto out;
        }
        for (int j = 0; j < conns; j++) {
            if (!(items[j].revents & ZMQ_POLLIN)) {
                continue;
            }
            Hrss__CollectorMsg *m = recv_msg(cs[j].sock, 0);
            while (m != NULL) {
                if (m->body_case == HRSS__COLLECTOR_MSG__BODY_ACK) {
                    if (m->ack->status != HRSS__ACK_STATUS__ACK_OK) {
                        fprintf(stderr, "bench: ack status %d: %s\n",
                                (int)m->ack->status,
                                m->ack->message ? m->ack->message : "");
                        hrss__collector_msg__free_unpacked(m, NULL);
                        free(items);
                        goto out;
                    }
                    *rejected += m->ack->n_rejections;
                    cs[j].in_flight--;
                    cs[j].acked++;
                    done++;
                }
                hrss__collector_msg__free_unpacked(m, NULL);
                m = recv_msg(cs[j].sock, 0);
            }
        }
    }
    rate = (double)n / (bx_now() - t0);
    free(items);
out:
    for (int j = 0; j < conns; j++) {
        if (cs[j].sock != NULL) {
            zmq_close(cs[j].sock);
        }
        free(cs[j].batches);
    }
    zmq_ctx_term(zctx);
    for (size_t b = 0; b < nb; b++) {
        buf_fini(&frames[b]);
    }
    free(frames);
    free(cs);
    return rate;
}

