/* test_web_faults.c: hrss-web's status when the fault is not the
 * request's: a collector (or store) that fails answers 500 with its
 * message, the request's own fault stays 400, and hrssctl's exit
 * statuses do not change. (A collector that does not answer, 503:
 * test_web.c.) A fake query endpoint stands for the failing collector.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "common/buf.h"
#include "common/period.h"
#include "common/wire.h"
#include "harness.h"
#include "proto/hrss.pb-c.h"
#include "web_harness.h"

TestSuite(web_faults, .init = hx_setup, .fini = hx_teardown,
          .timeout = 180);

static char db[300];

/* A store with a figure or two: what hrss-web's catalog comes from. */
static void fill_store(void)
{
    snprintf(db, sizeof db, "%s/db", hx_dir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 1, &cat, &s);
    update_t u[] = {{1, "urban_new_jobs", 330102, 202501, {0, 100, 0}}};
    store_batch_t b = {"test-agent", -1, 1764000000, month_make(2026, 11),
                       u, 1, NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    store_result_fini(&r);
    store_close(&s);
    catalog_destroy(&cat);
}

/* A collector whose store fails: a query endpoint that passes the
 * catalog question on to a real collector (hrss-web asks it once, at
 * start) and answers every other one with `code` and a message. */
typedef struct fake_q {
    void *ctx;
    void *front;         /* ROUTER: hrss-web connects here */
    void *back;          /* DEALER to the real collector */
    char ep[64];         /* front's endpoint, as bound */
    _Atomic int code;    /* Hrss__QueryStatus of the answers */
    pthread_t th;
} fake_q_t;

static void *fake_q_run(void *arg)
{
    fake_q_t *f = arg;
    for (;;) {
        zmq_msg_t id;
        zmq_msg_t req;
        zmq_msg_init(&id);
        zmq_msg_init(&req);
        if (zmq_msg_recv(&id, f->front, 0) < 0 ||
            zmq_msg_recv(&req, f->front, 0) < 0) {
            zmq_msg_close(&id);
            zmq_msg_close(&req);
            break; /* ETERM: the test is done */
        }
        Hrss__QueryRequest *q = hrss__query_request__unpack(
            NULL, zmq_msg_size(&req), zmq_msg_data(&req));
        buf_t ans;
        buf_init(&ans);
        if (q != NULL && q->q_case == HRSS__QUERY_REQUEST__Q_CATALOG) {
            zmq_msg_t a;
            zmq_msg_init(&a);
            zmq_pollitem_t it = {f->back, 0, ZMQ_POLLIN, 0};
            if (zmq_msg_send(&req, f->back, 0) >= 0 &&
                zmq_poll(&it, 1, 10000) == 1 &&
                zmq_msg_recv(&a, f->back, 0) >= 0) {
                buf_put(&ans, zmq_msg_data(&a), zmq_msg_size(&a));
            }
            zmq_msg_close(&a);
        } else {
            Hrss__QueryResponse r = HRSS__QUERY_RESPONSE__INIT;
            r.code = (Hrss__QueryStatus)f->code;
            r.error = "fake: the store could not be read (EIO)";
            wire_pack(&r.base, &ans);
        }
        hrss__query_request__free_unpacked(q, NULL);
        zmq_send(f->front, zmq_msg_data(&id), zmq_msg_size(&id),
                 ZMQ_SNDMORE);
        zmq_send(f->front, ans.data, ans.len, 0);
        buf_fini(&ans);
        zmq_msg_close(&id);
        zmq_msg_close(&req);
    }
    int linger = 0;
    zmq_setsockopt(f->front, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(f->back, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(f->front);
    zmq_close(f->back);
    return NULL;
}

/* Bind on a port the kernel picks, in front of collector @p real. */
static void fake_q_start(fake_q_t *f, const char *real)
{
    f->ctx = zmq_ctx_new();
    f->front = zmq_socket(f->ctx, ZMQ_ROUTER);
    f->back = zmq_socket(f->ctx, ZMQ_DEALER);
    f->code = HRSS__QUERY_STATUS__QUERY_IO;
    cr_assert_eq(zmq_bind(f->front, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof f->ep;
    cr_assert_eq(zmq_getsockopt(f->front, ZMQ_LAST_ENDPOINT, f->ep, &len),
                 0);
    cr_assert_eq(zmq_connect(f->back, real), 0);
    cr_assert_eq(pthread_create(&f->th, NULL, fake_q_run, f), 0);
}

static void fake_q_stop(fake_q_t *f)
{
    zmq_ctx_shutdown(f->ctx);
    pthread_join(f->th, NULL);
    zmq_ctx_term(f->ctx);
}

/* A failure of the collector or its store is the server's: 500 with
 * the collector's message; the request's own fault stays 400, and
 * hrssctl's exit status (1, a failed query) does not change. */
Test(web_faults, collector_faults_are_500)
{
    fill_store();
    hx_coll_t coll;
    char log[300];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_collector_start(&coll, db, log);
    fake_q_t f;
    fake_q_start(&f, coll.query);
    web_t w;
    const char *const more[] = {"--connect", f.ep, "--insecure",
                                "--timeout", "3", NULL};
    web_start(&w, more);
    static const char *const paths[] = {
        "/api/total?indicator=urban_new_jobs&period=2025",
        "/api/breakdown?indicator=urban_new_jobs&period=2025"
        "&as_of=2025-11-26",
        "/api/series?indicator=urban_new_jobs&from=2025-01&to=2025-03",
        "/api/progress?period=2025",            /* client_total_q() */
        "/api/completeness?period=2025-01",     /* pages */
        "/api/agents",
    };
    static const int codes[] = {HRSS__QUERY_STATUS__QUERY_IO,
                                HRSS__QUERY_STATUS__QUERY_NOMEM,
                                HRSS__QUERY_STATUS__QUERY_CORRUPT,
                                HRSS__QUERY_STATUS__QUERY_VERSION,
                                HRSS__QUERY_STATUS__QUERY_TIMEOUT};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        f.code = codes[i % (sizeof codes / sizeof codes[0])];
        web_expect_refused(&w, paths[i], 500,
                           "fake: the store could not be read (EIO)");
    }
    /* The request's fault, said by the collector: 400. */
    f.code = HRSS__QUERY_STATUS__QUERY_NOTFOUND;
    web_expect_refused(&w, "/api/total?indicator=urban_new_jobs&period=2025",
                       400, "fake: the store could not be read");
    f.code = HRSS__QUERY_STATUS__QUERY_INVAL;
    web_expect_refused(&w, "/api/progress?period=2025", 400,
                       "fake: the store could not be read");
    /* ... or found before asking. */
    web_expect_refused(&w, "/api/total?indicator=urban_new_jobs&period=2025"
                           "&region=999999", 400, "unknown region '999999'");
    web_expect_refused(&w, "/api/progress?period=2025&as_of=2025-11-03T10:00",
                       400, "as_of: '2025-11-03T10:00' has a time of day");
    /* hrssctl: 1, as documented, for either. */
    static char out[8192];
    f.code = HRSS__QUERY_STATUS__QUERY_IO;
    cr_expect_eq(hx_ctl(f.ep, NULL, NULL, 0, out, sizeof out, "total",
                        "urban_new_jobs", "--period", "2025", "--json",
                        NULL),
                 1, "%s", out);
    cr_expect(strstr(out, "hrssctl: fake: the store could not be read") !=
                  NULL, "%s", out);
    cr_expect_eq(hx_ctl(f.ep, NULL, NULL, 0, out, sizeof out, "progress",
                        "--period", "2025", NULL),
                 1, "%s", out);
    web_stop(&w);
    fake_q_stop(&f);
    cr_expect_eq(hx_collector_stop(&coll, 10000), 0);
}
