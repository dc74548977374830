/* test_ingest.c: the collector's ingest protocol spoken by hand, as a
 * hostile or broken client would: what it refuses, and that a refusal
 * stores nothing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "common/wire.h"
#include "harness.h"

TestSuite(ingest, .init = hx_setup, .fini = hx_teardown, .timeout = 120);

typedef struct peer {
    void *ctx;
    void *sock;
} peer_t;

static void peer_connect(peer_t *p, const char *ep)
{
    p->ctx = zmq_ctx_new();
    p->sock = zmq_socket(p->ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger);
    cr_assert_eq(zmq_connect(p->sock, ep), 0);
}

static void peer_close(peer_t *p)
{
    zmq_close(p->sock);
    zmq_ctx_term(p->ctx);
}

static void send_msg(peer_t *p, const Hrss__AgentMsg *m)
{
    buf_t b;
    buf_init(&b);
    wire_pack(&m->base, &b);
    cr_assert_eq(zmq_send(p->sock, b.data, b.len, 0), (int)b.len);
    buf_fini(&b);
}

/* The next collector message, waiting at most 10 s. */
static Hrss__CollectorMsg *recv_msg(peer_t *p)
{
    zmq_pollitem_t item = {p->sock, 0, ZMQ_POLLIN, 0};
    cr_assert_eq(zmq_poll(&item, 1, 10000), 1, "no answer in 10 s");
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    cr_assert_geq(zmq_msg_recv(&msg, p->sock, 0), 0);
    Hrss__CollectorMsg *m = NULL;
    char err[ERR_LEN];
    cr_assert_eq(wire_collector_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg),
                                       &m, err),
                 ERR_OK, "%s", err);
    zmq_msg_close(&msg);
    return m;
}

static void send_hello(peer_t *p, const char *name, uint32_t region)
{
    Hrss__Hello h = HRSS__HELLO__INIT;
    h.version = WIRE_VERSION;
    h.name = (char *)(uintptr_t)name;
    h.region = region;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_HELLO;
    m.hello = &h;
    send_msg(p, &m);
    Hrss__CollectorMsg *w = recv_msg(p);
    cr_assert_eq(w->body_case, HRSS__COLLECTOR_MSG__BODY_WELCOME);
    hrss__collector_msg__free_unpacked(w, NULL);
}

/* One count update in a batch that claims @p batch_region. */
static void send_batch(peer_t *p, const char *name, uint32_t batch_region,
                       uint32_t region)
{
    Hrss__Update u = HRSS__UPDATE__INIT;
    u.seq = 1;
    u.indicator = (char *)"urban_new_jobs";
    u.region = region;
    u.month = 202501;
    u.value_case = HRSS__UPDATE__VALUE_COUNT;
    u.count = 999;
    Hrss__Update *up[1] = {&u};
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)(uintptr_t)name;
    b.region = batch_region;
    b.n_updates = 1;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    send_msg(p, &m);
}

/* A batch that names no region used to be stored with "every region
 * allowed": an office could write any other office's figures. */
Test(ingest, a_batch_that_names_no_region_is_refused)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, log);

    peer_t p;
    peer_connect(&p, coll.ingest);
    send_hello(&p, "rogue", 330106);
    send_batch(&p, "rogue", 0, 330402); /* 嘉兴 南湖区: not its region */
    Hrss__CollectorMsg *a = recv_msg(&p);
    cr_assert_eq(a->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
    enum wire_ack st = WIRE_ACK_OK;
    cr_assert(wire_ack_from_proto(a->ack->status, &st));
    cr_expect_eq(st, WIRE_ACK_MALFORMED, "status %d", (int)a->ack->status);
    hrss__collector_msg__free_unpacked(a, NULL);

    /* The same batch with its region is checked as usual: rejected, its
     * number consumed, nothing applied. */
    send_batch(&p, "rogue", 330106, 330402);
    a = recv_msg(&p);
    cr_assert_eq(a->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
    cr_assert(wire_ack_from_proto(a->ack->status, &st));
    cr_expect_eq(st, WIRE_ACK_OK);
    cr_assert_eq(a->ack->n_rejections, 1);
    cr_expect_eq(a->ack->rejections[0]->reason,
                 HRSS__REJECT_REASON__REJ_REGION_NOT_ALLOWED);
    cr_expect_str_eq(a->ack->rejections[0]->message,
                     "region: 330402 is not 330106 or below it");
    hrss__collector_msg__free_unpacked(a, NULL);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);

    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 0, &cat, &s);
    period_t per = {PERIOD_MONTH, month_make(2025, 1), month_make(2025, 1)};
    store_total_t t;
    char err[ERR_LEN];
    cr_assert_eq(store_total(s, "urban_new_jobs", 330402, &per, &t, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(t.num, 0, "nothing of the refused batch was stored");
    cr_expect_eq(t.reporting, 0);
    store_close(&s);
    catalog_destroy(&cat);
}
