/* test_ingest.c: the collector's ingest protocol spoken by hand, as a
 * hostile or broken client would: what it refuses, and that a refusal
 * stores nothing. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "common/keys.h"
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

static void send_raw(peer_t *p, const void *data, size_t len)
{
    cr_assert_eq(zmq_send(p->sock, data, len, 0), (int)len);
}

/* The next collector message, or NULL when none came in @p ms. */
static Hrss__CollectorMsg *recv_within(peer_t *p, int ms)
{
    zmq_pollitem_t item = {p->sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, ms) != 1) {
        return NULL;
    }
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

/* The next collector message, waiting at most 10 s. */
static Hrss__CollectorMsg *recv_msg(peer_t *p)
{
    Hrss__CollectorMsg *m = recv_within(p, 10000);
    cr_assert_not_null(m, "no answer in 10 s");
    return m;
}

/* The next message must be an Ack MALFORMED for seqs first..last whose
 * message contains @p why. */
static void expect_malformed(peer_t *p, const char *what, uint64_t first,
                             uint64_t last, const char *why)
{
    Hrss__CollectorMsg *m = recv_within(p, 10000);
    cr_assert_not_null(m, "%s: no answer in 10 s", what);
    cr_assert_eq(m->body_case, HRSS__COLLECTOR_MSG__BODY_ACK,
                 "%s: answered with body %d", what, (int)m->body_case);
    enum wire_ack st = WIRE_ACK_OK;
    cr_expect(wire_ack_from_proto(m->ack->status, &st));
    cr_expect_eq(st, WIRE_ACK_MALFORMED, "%s: status %d", what,
                 (int)m->ack->status);
    cr_expect_eq(m->ack->first_seq, first, "%s: first_seq %llu", what,
                 (unsigned long long)m->ack->first_seq);
    cr_expect_eq(m->ack->last_seq, last, "%s: last_seq %llu", what,
                 (unsigned long long)m->ack->last_seq);
    cr_expect_eq(m->ack->n_rejections, 0);
    cr_expect(m->ack->message != NULL && strstr(m->ack->message, why),
              "%s: message '%s', want '%s'", what,
              m->ack->message != NULL ? m->ack->message : "(none)", why);
    hrss__collector_msg__free_unpacked(m, NULL);
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

/* A batch of @p n count updates from @p first, named @p name, indicator
 * @p ind (NULL: a valid one), packed into @p out. */
static void pack_batch(buf_t *out, const char *name, uint32_t region,
                       uint64_t first, size_t n, const char *ind)
{
    Hrss__Update *u = calloc(n, sizeof *u);
    Hrss__Update **up = calloc(n, sizeof *up);
    cr_assert(u != NULL && up != NULL);
    for (size_t i = 0; i < n; i++) {
        hrss__update__init(&u[i]);
        u[i].seq = first + i;
        u[i].indicator = (char *)(uintptr_t)(ind ? ind : "urban_new_jobs");
        u[i].region = region;
        u[i].month = 202501;
        u[i].value_case = HRSS__UPDATE__VALUE_COUNT;
        u[i].count = 1;
        up[i] = &u[i];
    }
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)(uintptr_t)name;
    b.region = region;
    b.n_updates = n;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    wire_pack(&m.base, out);
    free(up);
    free(u);
}

static void pack_hello(buf_t *out, const char *name, uint32_t region,
                       uint32_t version)
{
    Hrss__Hello h = HRSS__HELLO__INIT;
    h.version = version;
    h.name = (char *)(uintptr_t)name;
    h.region = region;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_HELLO;
    m.hello = &h;
    wire_pack(&m.base, out);
}

static int count_reporter(const store_reporter_t *r, void *arg)
{
    (void)r;
    ++*(int *)arg;
    return 0;
}

/* Issue 8, item 10: messages the collector refused got no answer at all,
 * so the documented ACK_MALFORMED never came and a broken agent could
 * not tell why nothing happened. Every message that reaches the
 * collector is answered now: a malformed one with ACK_MALFORMED, why,
 * and the batch's seqs when they could be read. */
Test(ingest, every_malformed_message_is_answered_with_why)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, log);
    peer_t p;
    peer_connect(&p, coll.ingest);
    buf_t b;
    buf_init(&b);

    send_raw(&p, "\xff\xff\xff\xff", 4);
    expect_malformed(&p, "garbage", 0, 0, "not a valid agent message");
    send_raw(&p, "", 0);
    expect_malformed(&p, "an empty frame", 0, 0, "0 bytes");
    const unsigned char nobody[] = {0x78, 0x01};
    send_raw(&p, nobody, sizeof nobody);
    expect_malformed(&p, "no body", 0, 0, "no body");

    pack_batch(&b, "has space", 330106, 1, 3, NULL);
    send_raw(&p, b.data, b.len);
    expect_malformed(&p, "a name with a space", 1, 3, "agent name");
    pack_batch(&b, "bad\xC2\x85name", 330106, 1, 3, NULL);
    send_raw(&p, b.data, b.len);
    expect_malformed(&p, "a name with C1", 1, 3, "control character");
    pack_batch(&b, "office", 330106, 7, 2, "urban_new_jobs#tail");
    *(unsigned char *)memchr(b.data, '#', b.len) = '\0';
    send_raw(&p, b.data, b.len);
    expect_malformed(&p, "an embedded NUL", 7, 8, "canonical");
    pack_batch(&b, "office", 330106, 1, WIRE_MAX_BATCH + 1, NULL);
    send_raw(&p, b.data, b.len);
    expect_malformed(&p, "too many updates", 1, WIRE_MAX_BATCH + 1,
                     "updates (limit");
    pack_batch(&b, "office", 999999, 1, 2, NULL);
    send_raw(&p, b.data, b.len);
    expect_malformed(&p, "an unknown region", 1, 2, "unknown region");

    pack_hello(&b, "office", 330106, WIRE_VERSION + 1);
    send_raw(&p, b.data, b.len);
    expect_malformed(&p, "a hello of another version", 0, 0, "version");
    pack_hello(&b, "office", 999999, WIRE_VERSION);
    send_raw(&p, b.data, b.len);
    expect_malformed(&p, "a hello naming an unknown region", 0, 0,
                     "unknown region");

    /* Two frames where one is expected. */
    cr_assert_eq(zmq_send(p.sock, "a", 1, ZMQ_SNDMORE), 1);
    cr_assert_eq(zmq_send(p.sock, "b", 1, 0), 1);
    expect_malformed(&p, "two frames", 0, 0, "frames");

    /* And then a good agent is served as ever; nothing of the refused
     * messages was stored, not even a reporter. */
    send_hello(&p, "office", 330106);
    pack_batch(&b, "office", 330106, 1, 2, NULL);
    send_raw(&p, b.data, b.len);
    Hrss__CollectorMsg *a = recv_msg(&p);
    cr_assert_eq(a->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
    cr_expect_eq(a->ack->status, HRSS__ACK_STATUS__ACK_OK);
    cr_expect_eq(a->ack->next_seq, 3);
    hrss__collector_msg__free_unpacked(a, NULL);
    buf_fini(&b);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);

    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 0, &cat, &s);
    char err[ERR_LEN];
    int n = 0;
    cr_assert_eq(store_reporters(s, count_reporter, &n, err), ERR_OK);
    cr_expect_eq(n, 1, "%d reporters", n);
    store_close(&s);
    catalog_destroy(&cat);
}

/* A frame larger than any legal message plus CurveZMQ's margin never
 * reaches the collector: ZMQ_MAXMSGSIZE drops the connection. One inside
 * the margin is read and refused for its size. */
Test(ingest, frames_over_the_limit_are_dropped_before_they_are_read)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, log);
    peer_t p;
    peer_connect(&p, coll.ingest);
    size_t big = WIRE_MAX_AGENT_FRAME + 1;
    char *junk = calloc(1, big);
    cr_assert_not_null(junk);

    send_raw(&p, junk, WIRE_MAX_AGENT_MSG + 1);
    expect_malformed(&p, "one byte over the largest message", 0, 0,
                     "bytes (limit");

    send_raw(&p, junk, big);
    /* The connection is dropped with whatever followed the frame on it:
     * say hello until something answers. The answer is the Welcome: the
     * frame itself was never read. */
    Hrss__CollectorMsg *m = NULL;
    int64_t deadline = hx_now_ms() + 20000;
    buf_t b;
    buf_init(&b);
    pack_hello(&b, "office", 330106, WIRE_VERSION);
    while (m == NULL && hx_now_ms() < deadline) {
        send_raw(&p, b.data, b.len);
        m = recv_within(&p, 500);
    }
    cr_assert_not_null(m, "no answer to hello after the big frame");
    cr_expect_eq(m->body_case, HRSS__COLLECTOR_MSG__BODY_WELCOME,
                 "the oversized frame was read and answered");
    hrss__collector_msg__free_unpacked(m, NULL);
    buf_fini(&b);
    free(junk);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);
}

/* ---------------------------------------------------------------------- */
/* what a hostile peer can make the store keep (issue 8, item 5)          */

typedef struct rej_count {
    size_t n;
} rej_count_t;

static int count_rejection(const store_rejected_t *r, void *arg)
{
    (void)r;
    ((rej_count_t *)arg)->n++;
    return 0;
}

typedef struct one_rep {
    const char *id;
    store_reporter_t r;
    int found;
} one_rep_t;

static int find_reporter(const store_reporter_t *r, void *arg)
{
    one_rep_t *o = arg;
    if (strcmp(r->id, o->id) == 0) {
        o->r = *r;
        o->found = 1;
    }
    return 0;
}

/* Send @p n_batches batches of @p per rejected updates (an unknown
 * 63-byte indicator) from @p name, numbered from *@p seq on, at most
 * @p window unacknowledged, and check each ack. @return the number of
 * ACK_OK. */
static int flood_rejections(peer_t *p, const char *name, int n_batches,
                            size_t per, int window, uint64_t *seq)
{
    char ind[CATALOG_CODE_MAX + 1];
    memset(ind, 'z', CATALOG_CODE_MAX);
    ind[CATALOG_CODE_MAX] = '\0';
    buf_t b;
    buf_init(&b);
    int sent = 0;
    int acked = 0;
    int ok = 0;
    while (acked < n_batches) {
        while (sent < n_batches && sent - acked < window) {
            pack_batch(&b, name, 330106, *seq, per, ind);
            send_raw(p, b.data, b.len);
            *seq += per;
            sent++;
        }
        Hrss__CollectorMsg *a = recv_within(p, 60000);
        cr_assert_not_null(a, "no ack for batch %d in 60 s", acked);
        cr_assert_eq(a->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
        if (a->ack->status == HRSS__ACK_STATUS__ACK_OK) {
            cr_expect_eq(a->ack->n_rejections, per);
            ok++;
        } else if (a->ack->status == HRSS__ACK_STATUS__ACK_RETRY) {
            *seq = a->ack->first_seq; /* resend it, as an agent would */
        }
        hrss__collector_msg__free_unpacked(a, NULL);
        acked++;
    }
    buf_fini(&b);
    return ok;
}

/* A genuine office's report: @p n count updates from @p first for
 * @p region, each a different cell (ten indicators, months from 2021-01),
 * so that storing them takes new pages. */
static void pack_report(buf_t *out, const char *name, uint32_t region,
                        uint64_t first, size_t n)
{
    static const char *const ind[] = {
        "urban_new_jobs",          "vocational_skill_training",
        "pension_insured",         "unemployment_insured",
        "work_injury_insured",     "professional_technical_talent",
        "new_professional_qualifications", "postdoc_recruits",
        "skilled_talent",          "social_security_card_holders",
    };
    Hrss__Update *u = calloc(n, sizeof *u);
    Hrss__Update **up = calloc(n, sizeof *up);
    cr_assert(u != NULL && up != NULL && n <= 10 * 60);
    for (size_t i = 0; i < n; i++) {
        size_t m = i / 10;
        hrss__update__init(&u[i]);
        u[i].seq = first + i;
        u[i].indicator = (char *)(uintptr_t)ind[i % 10];
        u[i].region = region;
        u[i].month = (uint32_t)((2021 + m / 12) * 100 + m % 12 + 1);
        u[i].value_case = HRSS__UPDATE__VALUE_COUNT;
        u[i].count = (int64_t)(1000 + i);
        up[i] = &u[i];
    }
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)(uintptr_t)name;
    b.region = region;
    b.n_updates = n;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    wire_pack(&m.base, out);
    free(up);
    free(u);
}

/* Rejections were kept for ever: 22.7 MB of rejected updates filled a
 * 64 MiB map in 1.5 s, after which every genuine agent got ACK_RETRY.
 * Each agent now keeps its newest 1,000; all are counted and reported. */
Test(ingest, a_flood_of_rejected_updates_cannot_fill_the_store)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--insecure",
                          "--map-max-mib", "64", NULL};
    hx_collector_exec(&coll, db, log, argv);

    /* Before the cap, the map was full after about 125 batches of 2,000
     * in groups of 8, and then after a few hundred more one by one.
     * Refused batches are resent from their first seq, as agents do. */
    enum { BATCHES = 160, PER = 2000, SMALL = 100, SMALL_PER = 500 };
    peer_t flood;
    peer_connect(&flood, coll.ingest);
    int64_t t0 = hx_now_ms();
    uint64_t seq = 1;
    int ok = flood_rejections(&flood, "flood", BATCHES, PER, 8, &seq);
    ok += flood_rejections(&flood, "flood", SMALL, SMALL_PER, 1, &seq);
    cr_log_info("%d batches of %d and %d of %d rejected updates in %lld ms",
                BATCHES, PER, SMALL, SMALL_PER,
                (long long)(hx_now_ms() - t0));
    cr_expect_eq(ok, BATCHES + SMALL, "%d of %d flood batches were stored",
                 ok, BATCHES + SMALL);
    const uint64_t flooded = seq - 1;
    peer_close(&flood);

    /* A genuine agent is served: four full batches of an agent's, more
     * than the pages each commit frees (which a continuing flood would
     * take anyway). */
    peer_t p;
    peer_connect(&p, coll.ingest);
    send_hello(&p, "office", 330106);
    buf_t b;
    buf_init(&b);
    for (uint64_t first = 1; first <= 1501; first += 500) {
        pack_report(&b, "office", 330106, first, 500);
        send_raw(&p, b.data, b.len);
        Hrss__CollectorMsg *a = recv_msg(&p);
        cr_assert_eq(a->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
        cr_expect_eq(a->ack->status, HRSS__ACK_STATUS__ACK_OK,
                     "a genuine batch from %llu after the flood: status %d "
                     "(%s)",
                     (unsigned long long)first, (int)a->ack->status,
                     a->ack->message != NULL ? a->ack->message : "");
        cr_expect_eq(a->ack->n_rejections, 0);
        hrss__collector_msg__free_unpacked(a, NULL);
    }
    buf_fini(&b);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 30000), 0);

    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 0, &cat, &s);
    char err[ERR_LEN];
    rej_count_t rc = {0};
    cr_assert_eq(store_rejections(s, 0, count_rejection, &rc, err), ERR_OK,
                 "%s", err);
    cr_expect_eq(rc.n, STORE_DEFAULT_MAX_REJECTIONS, "%zu stored", rc.n);
    one_rep_t o = {"flood", {0}, 0};
    cr_assert_eq(store_reporters(s, find_reporter, &o, err), ERR_OK);
    cr_assert(o.found);
    cr_expect_eq(o.r.rejected, flooded, "every rejection is counted");
    cr_expect_eq(o.r.next_seq, flooded + 1);
    store_close(&s);
    catalog_destroy(&cat);
}

/* --max-rejections reaches the store: a collector told to keep 5 keeps
 * the newest 5 of 40 and counts all 40. */
Test(ingest, max_rejections_sets_how_many_are_kept)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--insecure",
                          "--max-rejections", "5", NULL};
    hx_collector_exec(&coll, db, log, argv);
    peer_t p;
    peer_connect(&p, coll.ingest);
    uint64_t seq = 1;
    cr_expect_eq(flood_rejections(&p, "few", 4, 10, 1, &seq), 4);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 30000), 0);

    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 0, &cat, &s);
    char err[ERR_LEN];
    rej_count_t rc = {0};
    cr_assert_eq(store_rejections(s, 0, count_rejection, &rc, err), ERR_OK,
                 "%s", err);
    cr_expect_eq(rc.n, 5, "%zu stored", rc.n);
    one_rep_t o = {"few", {0}, 0};
    cr_assert_eq(store_reporters(s, find_reporter, &o, err), ERR_OK);
    cr_assert(o.found);
    cr_expect_eq(o.r.rejected, 40);
    store_close(&s);
    catalog_destroy(&cat);
}

/* An empty batch from a new name made a permanent reporter record. */
Test(ingest, empty_batches_from_new_names_leave_nothing)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, log);
    peer_t p;
    peer_connect(&p, coll.ingest);
    buf_t b;
    buf_init(&b);
    /* At most 16 unanswered, as an agent keeps at most 5: the collector
     * queues 32 answers a peer (INGEST_HWM). */
    enum { NAMES = 500, WINDOW = 16 };
    int sent = 0;
    for (int got = 0; got < NAMES; got++) {
        while (sent < NAMES && sent - got < WINDOW) {
            char name[32];
            snprintf(name, sizeof name, "ghost-%d", sent++);
            pack_batch(&b, name, 330106, 1, 0, NULL);
            send_raw(&p, b.data, b.len);
        }
        Hrss__CollectorMsg *a = recv_msg(&p);
        cr_assert_eq(a->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
        cr_expect_eq(a->ack->status, HRSS__ACK_STATUS__ACK_OK);
        cr_expect_eq(a->ack->next_seq, 1);
        hrss__collector_msg__free_unpacked(a, NULL);
    }
    buf_fini(&b);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 0, &cat, &s);
    char err[ERR_LEN];
    int n = 0;
    cr_assert_eq(store_reporters(s, count_reporter, &n, err), ERR_OK);
    cr_expect_eq(n, 0, "%d reporter records from empty batches", n);
    store_close(&s);
    catalog_destroy(&cat);
}

/* ---------------------------------------------------------------------- */
/* log lines a peer can cause at will are counted, not repeated           */

/* How many lines of @p path contain @p needle. */
static int count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strstr(line, needle) != NULL) {
            n++;
        }
    }
    fclose(f);
    return n;
}

Test(ingest, bad_messages_are_logged_once_a_minute_with_a_count)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, log);
    peer_t p;
    peer_connect(&p, coll.ingest);
    enum { N = 50 };
    for (int i = 0; i < N; i++) {
        send_raw(&p, "\xff\xff", 2);
        expect_malformed(&p, "garbage", 0, 0, "not a valid agent message");
    }
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);
    /* The first at once; the others counted, and said at the end of the
     * minute or, as here, at the stop. */
    cr_expect_eq(count_lines(log, "bad ingest message"), 2, "%d lines",
                 count_lines(log, "bad ingest message"));
    cr_expect(hx_file_contains(log, "(49 more like this in the last "
                                    "minute)"));
}

/* When the store cannot take a group (here: the collector may not grow
 * data.mdb past 1 MiB, RLIMIT_FSIZE), each batch is answered ACK_RETRY;
 * that used to log one ERROR line per group, unthrottled. */
Test(ingest, store_failures_are_logged_once_a_minute_with_a_count)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    struct rlimit was;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
    struct rlimit small = {1 << 20, was.rlim_max};
    signal(SIGXFSZ, SIG_IGN); /* inherited: writes fail with EFBIG */
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    hx_collector_start(&coll, db, log);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
    signal(SIGXFSZ, SIG_DFL);

    peer_t p;
    peer_connect(&p, coll.ingest);
    send_hello(&p, "office", 330106);
    buf_t b;
    buf_init(&b);
    /* Reports until the store cannot take one... */
    uint64_t next = 1;
    int retries = 0;
    for (int i = 0; i < 100 && retries == 0; i++) {
        pack_report(&b, "office", 330106, next, 500);
        send_raw(&p, b.data, b.len);
        Hrss__CollectorMsg *a = recv_msg(&p);
        cr_assert_eq(a->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
        if (a->ack->status == HRSS__ACK_STATUS__ACK_RETRY) {
            retries++;
        } else {
            cr_assert_eq(a->ack->status, HRSS__ACK_STATUS__ACK_OK);
            next = a->ack->next_seq;
        }
        hrss__collector_msg__free_unpacked(a, NULL);
    }
    cr_assert_eq(retries, 1, "the store never failed");
    /* ... then the same batch again and again, each in a group of its
     * own, as an agent retrying would. */
    enum { AGAIN = 30 };
    for (int i = 0; i < AGAIN; i++) {
        send_raw(&p, b.data, b.len);
        Hrss__CollectorMsg *a = recv_msg(&p);
        cr_expect_eq(a->ack->status, HRSS__ACK_STATUS__ACK_RETRY);
        hrss__collector_msg__free_unpacked(a, NULL);
    }
    buf_fini(&b);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);
    int lines = count_lines(log, "cannot store");
    cr_expect_eq(lines, 2, "%d ERROR lines for %d failed groups", lines,
                 AGAIN + 1);
    cr_expect(hx_file_contains(log, "(30 more like this in the last "
                                    "minute)"));
}

/* ---------------------------------------------------------------------- */
/* fairness: one peer's flood does not hold up another's acks             */

/* The costliest frame to refuse: the largest batch the collector reads
 * (WIRE_MAX_AGENT_MSG bytes: 2,000 updates, every field at its widest),
 * unpacked whole and refused only at its last update, whose seq does not
 * follow. */
static void pack_costly(buf_t *out)
{
    static char ind[CATALOG_CODE_MAX + 1];
    static char name[WIRE_NAME_MAX + 1];
    memset(ind, 'z', CATALOG_CODE_MAX);
    memset(name, 'f', WIRE_NAME_MAX);
    Hrss__Update *u = calloc(WIRE_MAX_BATCH, sizeof *u);
    Hrss__Ratio *r = calloc(WIRE_MAX_BATCH, sizeof *r);
    Hrss__Update **up = calloc(WIRE_MAX_BATCH, sizeof *up);
    cr_assert(u != NULL && r != NULL && up != NULL);
    for (size_t i = 0; i < WIRE_MAX_BATCH; i++) {
        hrss__update__init(&u[i]);
        hrss__ratio__init(&r[i]);
        u[i].seq = UINT64_MAX - WIRE_MAX_BATCH + i; /* the last: a gap */
        u[i].indicator = ind;
        u[i].region = UINT32_MAX;
        u[i].month = UINT32_MAX;
        r[i].numerator = INT64_MIN;
        r[i].denominator = INT64_MIN;
        u[i].value_case = HRSS__UPDATE__VALUE_RATIO;
        u[i].ratio = &r[i];
        up[i] = &u[i];
    }
    u[WIRE_MAX_BATCH - 1].seq = UINT64_MAX;
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = name;
    b.region = UINT32_MAX;
    b.n_updates = WIRE_MAX_BATCH;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    wire_pack(&m.base, out);
    free(up);
    free(r);
    free(u);
}

/* A process that sends @p frame to @p ep as fast as the collector takes
 * it and never reads an answer, until killed. */
static pid_t start_flooder(const char *ep, const buf_t *frame)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid != 0) {
        return pid;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(1);
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    if (zmq_connect(s, ep) != 0) {
        _exit(1);
    }
    for (;;) {
        zmq_send(s, frame->data, frame->len, 0);
    }
}

typedef struct log_has {
    const char *path;
    const char *text;
} log_has_t;

static int log_has(void *arg)
{
    log_has_t *l = arg;
    return hx_file_contains(l->path, l->text);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The bound: while another peer floods the ingest socket with the
 * costliest frames to refuse, as fast as it can, a genuine agent's full
 * batch (500 updates) is acknowledged within FAIR_BOUND_MS. */
#define FAIR_BOUND_MS 1000

Test(ingest, a_flood_of_costly_frames_does_not_hold_up_a_genuine_agent)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, log);
    buf_t frame;
    buf_init(&frame);
    pack_costly(&frame);
    cr_assert_leq(frame.len, WIRE_MAX_AGENT_MSG);

    peer_t p;
    peer_connect(&p, coll.ingest);
    send_hello(&p, "office", 330106);
    pid_t fl = start_flooder(coll.ingest, &frame);
    /* The flood is under way once the collector has refused one. */
    log_has_t lh = {log, "bad ingest message"};
    cr_assert(hx_wait_until(log_has, &lh, 20000), "the flood never came");

    enum { ROUNDS = 40, PER = 500 };
    int64_t lat[ROUNDS];
    buf_t b;
    buf_init(&b);
    uint64_t next = 1;
    for (int i = 0; i < ROUNDS; i++) {
        pack_report(&b, "office", 330106, next, PER);
        int64_t t0 = hx_now_ms();
        send_raw(&p, b.data, b.len);
        Hrss__CollectorMsg *a = recv_within(&p, 30000);
        lat[i] = hx_now_ms() - t0;
        cr_assert_not_null(a, "no ack in 30 s during the flood");
        cr_assert_eq(a->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
        cr_assert_eq(a->ack->status, HRSS__ACK_STATUS__ACK_OK);
        next = a->ack->next_seq;
        hrss__collector_msg__free_unpacked(a, NULL);
    }
    kill(fl, SIGKILL);
    waitpid(fl, NULL, 0);
    buf_fini(&b);
    buf_fini(&frame);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 30000), 0);

    int64_t sorted[ROUNDS];
    memcpy(sorted, lat, sizeof sorted);
    qsort(sorted, ROUNDS, sizeof sorted[0], cmp_i64);
    cr_log_info("ack latency during the flood, ms: median %lld, 90th %lld, "
                "max %lld (%d acks of %d updates)",
                (long long)sorted[ROUNDS / 2],
                (long long)sorted[ROUNDS * 9 / 10],
                (long long)sorted[ROUNDS - 1], ROUNDS, PER);
    cr_expect_leq(sorted[ROUNDS - 1], FAIR_BOUND_MS,
                  "an ack took %lld ms (bound %d)",
                  (long long)sorted[ROUNDS - 1], FAIR_BOUND_MS);
    cr_expect_eq(count_lines(log, "cannot store"), 0);
}

/* A peer that sends faster than the collector refuses cannot make it
 * hold its frames without bound: the ingest socket queues 32 messages a
 * peer (ZMQ_RCVHWM) and the rest wait in the peer's TCP connection. With
 * the old 10,000, one flooding connection of the costliest frames made a
 * collector hold 2.1 GB. Seen from the peer: frames sent and not yet
 * answered (the collector answers each with ACK_MALFORMED). */
Test(ingest, a_flooding_peer_cannot_make_the_collector_buffer_its_frames)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, log);
    buf_t frame;
    buf_init(&frame);
    pack_costly(&frame);
    peer_t p;
    p.ctx = zmq_ctx_new();
    p.sock = zmq_socket(p.ctx, ZMQ_DEALER);
    int one = 1;
    int linger = 0;
    zmq_setsockopt(p.sock, ZMQ_SNDHWM, &one, sizeof one);
    zmq_setsockopt(p.sock, ZMQ_LINGER, &linger, sizeof linger);
    cr_assert_eq(zmq_connect(p.sock, coll.ingest), 0);

    /* The limit: the collector's 32, what the two TCP buffers hold on
     * loopback (a few MB: tens of frames), and our own queue of 1. */
    enum { LIMIT = 300 };
    long sent = 0;
    long answered = 0;
    long most = 0;
    int64_t end = hx_now_ms() + 3000;
    while (hx_now_ms() < end && most <= LIMIT) {
        if (zmq_send(p.sock, frame.data, frame.len, ZMQ_DONTWAIT) ==
            (int)frame.len) {
            sent++;
        }
        Hrss__CollectorMsg *a;
        while ((a = recv_within(&p, 0)) != NULL) {
            answered++;
            hrss__collector_msg__free_unpacked(a, NULL);
        }
        if (sent - answered > most) {
            most = sent - answered;
        }
        zmq_pollitem_t item = {p.sock, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0};
        zmq_poll(&item, 1, 10);
    }
    cr_log_info("%ld frames sent, %ld answered, at most %ld in between",
                sent, answered, most);
    cr_expect_gt(answered, 0, "the collector answered none");
    cr_expect_leq(most, LIMIT, "%ld frames of %zu bytes were in flight",
                  most, frame.len);
    buf_fini(&frame);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 30000), 0);
}

/* ---------------------------------------------------------------------- */
/* the frame limit under CurveZMQ                                          */

/* ZMQ_MAXMSGSIZE counts the encrypted frame under CurveZMQ (33 bytes
 * more): the ingest socket's limit, WIRE_MAX_AGENT_MSG plus
 * WIRE_CURVE_MARGIN, must let the largest legal message through an
 * authenticated connection, and still drop one that is larger than the
 * margin allows. */
Test(ingest, the_largest_legal_message_passes_a_curve_connection)
{
    char base[300];
    char err[ERR_LEN];
    keys_pair_t coll_key;
    keys_pair_t office_key;
    snprintf(base, sizeof base, "%s/collector", hx_dir);
    cr_assert_eq(keys_generate(base, &coll_key, err), ERR_OK, "%s", err);
    snprintf(base, sizeof base, "%s/office", hx_dir);
    cr_assert_eq(keys_generate(base, &office_key, err), ERR_OK, "%s", err);
    char agents[300];
    char text[200];
    snprintf(agents, sizeof agents, "%s/agents", hx_dir);
    int n = snprintf(text, sizeof text, "%s 330102 330102\n",
                     office_key.public_key);
    hx_write(agents, text, (size_t)n);

    char db[300];
    char log[300];
    char keyp[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    snprintf(keyp, sizeof keyp, "%s/collector.key", hx_dir);
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--key", keyp, "--agents",
                          agents, NULL};
    hx_coll_t coll;
    hx_collector_exec(&coll, db, log, argv);

    peer_t p;
    p.ctx = zmq_ctx_new();
    p.sock = zmq_socket(p.ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(p.sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(p.sock, ZMQ_CURVE_SERVERKEY, coll_key.public_key, 40);
    zmq_setsockopt(p.sock, ZMQ_CURVE_PUBLICKEY, office_key.public_key, 40);
    zmq_setsockopt(p.sock, ZMQ_CURVE_SECRETKEY, office_key.secret_key, 40);
    cr_assert_eq(zmq_connect(p.sock, coll.ingest), 0);

    /* The largest legal message is read: refused for its last seq, so
     * it was unpacked whole. */
    buf_t frame;
    buf_init(&frame);
    pack_costly(&frame);
    cr_assert_eq(frame.len, WIRE_MAX_AGENT_MSG);
    send_raw(&p, frame.data, frame.len);
    expect_malformed(&p, "the largest legal message over CURVE",
                     UINT64_MAX - WIRE_MAX_BATCH, UINT64_MAX,
                     "does not follow");

    /* A frame whose encryption passes the limit is dropped unread, with
     * the connection: say hello until something answers; it is the
     * Welcome. */
    buf_t big;
    buf_init(&big);
    buf_put(&big, frame.data, frame.len);
    while (big.len < WIRE_MAX_AGENT_FRAME) {
        buf_put_u8(&big, 0);
    }
    send_raw(&p, big.data, big.len);
    buf_t b;
    buf_init(&b);
    pack_hello(&b, "office", 330102, WIRE_VERSION);
    Hrss__CollectorMsg *m = NULL;
    int64_t deadline = hx_now_ms() + 20000;
    while (m == NULL && hx_now_ms() < deadline) {
        send_raw(&p, b.data, b.len);
        m = recv_within(&p, 500);
    }
    cr_assert_not_null(m, "no answer to hello after the big frame");
    cr_expect_eq(m->body_case, HRSS__COLLECTOR_MSG__BODY_WELCOME,
                 "the oversized frame was read and answered");
    hrss__collector_msg__free_unpacked(m, NULL);
    buf_fini(&b);
    buf_fini(&big);
    buf_fini(&frame);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);
}
