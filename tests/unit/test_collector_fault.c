/* test_collector_fault.c: the collector never acknowledges a batch whose
 * commit failed. collector_run() runs in a thread of the test with the
 * LMDB fault shim; the test speaks the real protocol over a DEALER socket
 * on the endpoints the collector bound (tcp://127.0.0.1:*). */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "collector/collector.h"
#include "common/buf.h"
#include "common/catalog.h"
#include "common/period.h"
#include "common/wire.h"
#include "mdbfault.h"
#include "proto/hrss.pb-c.h"
#include "store/store.h"

#define NAME "office-330102"
#define REGION 330102u
#define WAIT_MS 20000 /* a bound for each answer, not an expected time */

static char dir[256];
static char db[300];

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    mdbfault_reset();
    snprintf(dir, sizeof dir, "/tmp/hrss-collf-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/db", dir);
}

static void teardown(void)
{
    mdbfault_reset();
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(collector_fault, .init = setup, .fini = teardown, .timeout = 60);

/* ---------------------------------------------------------------------- */
/* the collector in a thread                                               */

typedef struct running {
    collector_cfg_t cfg;
    volatile sig_atomic_t stop;
    int wake[2];
    pthread_t thread;
    int status;
    char ingest[300];
    char query[300];
} running_t;

static void *collector_main(void *arg)
{
    running_t *r = arg;
    r->status = collector_run(&r->cfg, &r->stop);
    return NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* DATA_DIR/endpoints is written once both sockets are bound. */
static int read_endpoints(running_t *r)
{
    char path[400];
    snprintf(path, sizeof path, "%s/endpoints", db);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    char line[256];
    int got = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "ingest=", 7) == 0) {
            snprintf(r->ingest, sizeof r->ingest, "%s", line + 7);
            got |= 1;
        } else if (strncmp(line, "query=", 6) == 0) {
            snprintf(r->query, sizeof r->query, "%s", line + 6);
            got |= 2;
        }
    }
    fclose(f);
    return got == 3;
}

static void start(running_t *r, size_t map_max)
{
    memset(r, 0, sizeof *r);
    cr_assert_eq(pipe(r->wake), 0);
    r->cfg.data_dir = db;
    r->cfg.ingest = "tcp://127.0.0.1:*";
    r->cfg.query = "tcp://127.0.0.1:*";
    r->cfg.catalog_dir = HRSS_TEST_CATALOG_DIR;
    r->cfg.insecure = 1;
    r->cfg.tz_offset = 8 * 3600;
    r->cfg.map_max = map_max;
    r->cfg.wake_fd = r->wake[0];
    cr_assert_eq(pthread_create(&r->thread, NULL, collector_main, r), 0);
    /* Poll for the file with a deadline (the collector opens its store
     * and binds first). */
    int64_t deadline = now_ms() + WAIT_MS;
    while (!read_endpoints(r)) {
        cr_assert_lt(now_ms(), deadline, "the collector did not bind");
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* As SIGTERM does in main.c: set the flag, wake the poll. */
static void stop(running_t *r)
{
    r->stop = 1;
    cr_assert_eq(write(r->wake[1], "x", 1), 1);
    cr_assert_eq(pthread_join(r->thread, NULL), 0);
    cr_expect_eq(r->status, 0, "collector_run failed");
    close(r->wake[0]);
    close(r->wake[1]);
}

/* ---------------------------------------------------------------------- */
/* an agent speaking the protocol                                          */

static void send_msg(void *sock, const Hrss__AgentMsg *m)
{
    buf_t out;
    buf_init(&out);
    wire_pack(&m->base, &out);
    cr_assert_eq(zmq_send(sock, out.data, out.len, 0), (int)out.len);
    buf_fini(&out);
}

/* The next collector message; the caller frees it. */
static Hrss__CollectorMsg *recv_msg(void *sock)
{
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    cr_assert_eq(zmq_poll(&item, 1, WAIT_MS), 1, "no answer within %d ms",
                 WAIT_MS);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    cr_assert_geq(zmq_msg_recv(&msg, sock, 0), 0);
    char err[ERR_LEN];
    Hrss__CollectorMsg *m = NULL;
    cr_assert_eq(wire_collector_unpack(zmq_msg_data(&msg),
                                       zmq_msg_size(&msg), &m, err),
                 ERR_OK, "%s", err);
    zmq_msg_close(&msg);
    return m;
}

/* Hello; @return the collector's next expected seq from the Welcome. */
static uint64_t hello(void *sock)
{
    Hrss__Hello h = HRSS__HELLO__INIT;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    h.version = WIRE_VERSION;
    h.name = (char *)(uintptr_t)NAME;
    h.region = REGION;
    m.body_case = HRSS__AGENT_MSG__BODY_HELLO;
    m.hello = &h;
    send_msg(sock, &m);
    Hrss__CollectorMsg *w = recv_msg(sock);
    cr_assert_eq(w->body_case, HRSS__COLLECTOR_MSG__BODY_WELCOME);
    uint64_t next = w->welcome->next_seq;
    hrss__collector_msg__free_unpacked(w, NULL);
    return next;
}

#define N_UPD 3

/* Send the batch of seqs 1..3; @return its Ack (caller frees). */
static Hrss__CollectorMsg *send_batch(void *sock)
{
    Hrss__Update u[N_UPD];
    Hrss__Update *up[N_UPD];
    for (int i = 0; i < N_UPD; i++) {
        hrss__update__init(&u[i]);
        u[i].seq = (uint64_t)i + 1;
        u[i].indicator = (char *)(uintptr_t)"urban_new_jobs";
        u[i].region = REGION;
        u[i].month = 202501 + (uint32_t)i;
        u[i].value_case = HRSS__UPDATE__VALUE_COUNT;
        u[i].count = 100 * (i + 1);
        up[i] = &u[i];
    }
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)(uintptr_t)NAME;
    b.region = REGION;
    b.n_updates = N_UPD;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    send_msg(sock, &m);
    Hrss__CollectorMsg *a = recv_msg(sock);
    cr_assert_eq(a->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
    cr_expect_eq(a->ack->first_seq, 1);
    cr_expect_eq(a->ack->last_seq, N_UPD);
    return a;
}

static int count_rev(const store_revision_t *r, void *arg)
{
    (void)r;
    (*(size_t *)arg)++;
    return 0;
}

Test(collector_fault, failed_commit_is_never_acknowledged)
{
    running_t r;
    start(&r, 0);
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    cr_assert_eq(zmq_connect(sock, r.ingest), 0, "%s", r.ingest);
    cr_assert_eq(hello(sock), 1);

    /* The next commit is this batch's group: it fails. */
    mdbfault_arm(MDBFAULT_COMMIT, 1, EIO);
    Hrss__CollectorMsg *a = send_batch(sock);
    cr_expect_eq(mdbfault_failures(MDBFAULT_COMMIT), 1,
                 "the batch's commit was not the one that failed");
    cr_expect_eq(a->ack->status, HRSS__ACK_STATUS__ACK_RETRY,
                 "ack status %d for a batch that was not stored",
                 (int)a->ack->status);
    cr_expect(a->ack->message != NULL && a->ack->message[0] != '\0');
    hrss__collector_msg__free_unpacked(a, NULL);
    /* Nothing of it is stored: the collector still expects seq 1. */
    cr_expect_eq(hello(sock), 1, "next_seq moved for an unstored batch");

    /* The fault is gone: the resend is applied, and a second resend is a
     * replay that changes nothing. */
    mdbfault_disarm(MDBFAULT_COMMIT);
    a = send_batch(sock);
    cr_expect_eq(a->ack->status, HRSS__ACK_STATUS__ACK_OK);
    cr_expect_eq(a->ack->next_seq, N_UPD + 1);
    hrss__collector_msg__free_unpacked(a, NULL);
    a = send_batch(sock);
    cr_expect_eq(a->ack->status, HRSS__ACK_STATUS__ACK_OK);
    cr_expect_eq(a->ack->next_seq, N_UPD + 1);
    hrss__collector_msg__free_unpacked(a, NULL);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    stop(&r);

    /* Stored once: one audit record per update, the values sent. */
    char err[ERR_LEN];
    catalog_t *cat = NULL;
    store_t *s = NULL;
    cr_assert_eq(catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err), ERR_OK);
    store_opts_t ro = {.readonly = 1};
    cr_assert_eq(store_open(&s, db, cat, &ro, err), ERR_OK, "%s", err);
    size_t revs = 0;
    cr_assert_eq(store_audit(s, 0, count_rev, &revs, err), ERR_OK);
    cr_expect_eq(revs, N_UPD, "%zu audit records for %d updates", revs,
                 N_UPD);
    uint64_t next = 0;
    cr_assert_eq(store_next_seq(s, NAME, &next, err), ERR_OK);
    cr_expect_eq(next, N_UPD + 1);
    value_t v;
    cr_assert_eq(store_get(s, "urban_new_jobs", REGION, month_make(2025, 3),
                           &v, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(v.num, 300);
    store_close(&s);
    catalog_destroy(&cat);
}

/* A full map at the limit: ACK_RETRY too, and the agent keeps its data
 * (the collector must not call it malformed or acknowledge it). */
Test(collector_fault, full_store_asks_for_a_retry)
{
    running_t r;
    start(&r, (size_t)128 << 20); /* one doubling of the 64 MiB map */
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    cr_assert_eq(zmq_connect(sock, r.ingest), 0);
    cr_assert_eq(hello(sock), 1);
    /* Every put fails with MDB_MAP_FULL: the store grows to its limit,
     * then gives up. */
    mdbfault_arm_from(MDBFAULT_PUT, 1, 0, MDB_MAP_FULL);
    Hrss__CollectorMsg *a = send_batch(sock);
    cr_expect_eq(a->ack->status, HRSS__ACK_STATUS__ACK_RETRY);
    cr_expect_eq(mdbfault_last_mapsize(), (size_t)128 << 20);
    hrss__collector_msg__free_unpacked(a, NULL);
    mdbfault_disarm(MDBFAULT_PUT);
    cr_expect_eq(hello(sock), 1);
    a = send_batch(sock);
    cr_expect_eq(a->ack->status, HRSS__ACK_STATUS__ACK_OK);
    cr_expect_eq(a->ack->next_seq, N_UPD + 1);
    hrss__collector_msg__free_unpacked(a, NULL);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    stop(&r);
}
