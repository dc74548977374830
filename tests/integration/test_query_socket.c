/* test_query_socket.c: the collector's query socket against clients that
 * ask what they may not (a backup without an admin key) and clients that
 * never read their answers, with real processes: the collector's memory
 * is read from /proc/PID/status while they try. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "collector/qserve.h"
#include "common/buf.h"
#include "common/mem.h"
#include "common/period.h"
#include "proto/hrss.pb-c.h"
#include "store/query.h"
#include "harness.h"

TestSuite(qsock, .init = hx_setup, .fini = hx_teardown, .timeout = 300);

/* ---------------------------------------------------------------------- */
/* a store with many facts                                                 */

/* Every indicator for every region for @p months months from 2023-01,
 * in the months the region exists (下城区 and 江干区 ended in 2021-03:
 * their figures would be refused as region_not_valid). @return how
 * many. */
static size_t seed_store(const char *db, int months)
{
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 1, &cat, &s);
    size_t nind = catalog_indicator_count(cat);
    size_t nreg = catalog_region_count(cat);
    update_t *u = xcalloc(nind * (size_t)months, sizeof *u);
    uint64_t seq = 1;
    size_t total = 0;
    for (size_t r = 0; r < nreg; r++) {
        uint32_t region = catalog_region(cat, r)->code;
        size_t n = 0;
        for (size_t i = 0; i < nind; i++) {
            const indicator_t *ind = catalog_indicator(cat, i);
            for (int m = 0; m < months; m++) {
                int32_t mi = month_make(2023, 1) + m;
                if (!catalog_region_valid(cat, (int)r, mi)) {
                    continue;
                }
                uint32_t yyyymm = (uint32_t)(month_year(mi) * 100 +
                                             month_of_year(mi));
                update_t x = {seq++, ind->code, region, yyyymm,
                              {ind->kind == IND_RATIO, 0, 0}};
                if (ind->kind == IND_RATIO) {
                    x.value.num = 90 + m % 10;
                    x.value.den = 100;
                } else {
                    /* "of which" below its whole: no violations */
                    x.value.num = ind->part_of >= 0 ? 10 : 1000 + m;
                }
                u[n++] = x;
            }
        }
        store_batch_t b = {"seed", -1, 1764000000, month_make(2026, 11), u,
                           n, NULL};
        store_result_t res;
        char err[ERR_LEN];
        cr_assert_eq(store_apply(s, &b, 1, &res, err), ERR_OK, "%s", err);
        cr_assert_eq(res.rejected, 0);
        store_result_fini(&res);
        total += n;
    }
    free(u);
    store_close(&s);
    catalog_destroy(&cat);
    return total;
}

static void start(hx_coll_t *c, const char *db)
{
    char log[300];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_collector_start(c, db, log);
}

/* Run hrssctl against the collector's query socket. */
static int ctl(const hx_coll_t *c, char *out, size_t len,
               const char *const args[])
{
    const char *argv[16];
    int n = 0;
    argv[n++] = "hrssctl";
    argv[n++] = "--connect";
    argv[n++] = c->query;
    argv[n++] = "--insecure";
    for (int i = 0; args[i] != NULL && n < 15; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    return hx_run(argv, 120000, out, len);
}

static void pack_request(const Hrss__QueryRequest *q, buf_t *b)
{
    size_t n = hrss__query_request__get_packed_size(q);
    uint8_t *p = xmalloc(n);
    hrss__query_request__pack(q, p);
    buf_put(b, p, n);
    free(p);
}

/* ---------------------------------------------------------------------- */
/* item 3: backups                                                         */

/* Without an admin key (here: plain mode, no key at all) a backup is
 * refused, whatever the destination, and nothing is written anywhere. */
Test(qsock, anonymous_backup_is_refused)
{
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    seed_store(db, 1);
    hx_coll_t c;
    start(&c, db);
    static char out[65536];

    char dest[400];
    snprintf(dest, sizeof dest, "%s/stolen", hx_dir);
    const char *abs_args[] = {"backup", dest, NULL};
    cr_expect_eq(ctl(&c, out, sizeof out, abs_args), 1, "%s", out);
    cr_expect(strstr(out, "not authorized") != NULL, "%s", out);
    struct stat st;
    cr_expect_neq(stat(dest, &st), 0, "%s was written", dest);

    /* A relative name would land in the collector's working directory. */
    char rel[64];
    snprintf(rel, sizeof rel, "hrss-qsock-rel-%d", (int)getpid());
    const char *rel_args[] = {"backup", rel, NULL};
    cr_expect_eq(ctl(&c, out, sizeof out, rel_args), 1, "%s", out);
    cr_expect(strstr(out, "not authorized") != NULL, "%s", out);
    int written = stat(rel, &st) == 0;
    if (written) {
        char path[128];
        snprintf(path, sizeof path, "%s/data.mdb", rel);
        unlink(path);
        rmdir(rel);
    }
    cr_expect(!written, "%s was written in the collector's cwd", rel);
    cr_expect_eq(hx_collector_stop(&c, 10000), 0);
}

/* ---------------------------------------------------------------------- */
/* roles from the ZAP User-Id, with the query service in this process      */

/* A ZAP handler as collector/identity will have one: PLAIN user names
 * stand for keys here. "admin" -> "admin:alice", "reader" -> "read:bob",
 * "sneaky" -> "administrator" (not an admin's form); anyone else: 400. */
static void *zap_handler(void *arg)
{
    void *rep = zmq_socket(arg, ZMQ_REP);
    cr_assert_eq(zmq_bind(rep, "inproc://zeromq.zap.01"), 0);
    for (;;) {
        char frames[8][256];
        int n = 0;
        int more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, rep, 0) < 0) {
                zmq_msg_close(&m);
                zmq_close(rep);
                return NULL; /* ETERM: zmq_ctx_shutdown */
            }
            if (n < 8) {
                size_t len = zmq_msg_size(&m) < 255 ? zmq_msg_size(&m) : 255;
                memcpy(frames[n], zmq_msg_data(&m), len);
                frames[n][len] = '\0';
                n++;
            }
            more = zmq_msg_more(&m);
            zmq_msg_close(&m);
        }
        /* version, request id, domain, address, identity, mechanism,
         * user name, password */
        const char *user = n >= 7 ? frames[6] : "";
        const char *uid = strcmp(user, "admin") == 0    ? "admin:alice"
                          : strcmp(user, "reader") == 0 ? "read:bob"
                          : strcmp(user, "sneaky") == 0 ? "administrator"
                                                        : NULL;
        zmq_send(rep, "1.0", 3, ZMQ_SNDMORE);
        zmq_send(rep, frames[1], strlen(frames[1]), ZMQ_SNDMORE);
        zmq_send(rep, uid != NULL ? "200" : "400", 3, ZMQ_SNDMORE);
        zmq_send(rep, "", 0, ZMQ_SNDMORE);
        zmq_send(rep, uid != NULL ? uid : "", uid != NULL ? strlen(uid) : 0,
                 ZMQ_SNDMORE);
        zmq_send(rep, "", 0, 0);
    }
}

/* A query service in this process on a PLAIN socket whose ZAP handler
 * gives the User-Ids above. */
typedef struct inproc_svc {
    void *ctx;
    pthread_t zap;
    catalog_t *cat;
    store_t *st;
    qserve_t *q;
    char endpoint[64];
    char backups[300];
} inproc_svc_t;

static void svc_start(inproc_svc_t *v, const qserve_opts_t *base,
                      int months)
{
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    seed_store(db, months);
    hx_open_store(db, 0, &v->cat, &v->st);
    snprintf(v->backups, sizeof v->backups, "%s/backups", hx_dir);
    cr_assert_eq(mkdir(v->backups, 0700), 0);
    v->ctx = zmq_ctx_new();
    cr_assert_eq(pthread_create(&v->zap, NULL, zap_handler, v->ctx), 0);
    void *s = zmq_socket(v->ctx, ZMQ_ROUTER);
    int one = 1;
    zmq_setsockopt(s, ZMQ_PLAIN_SERVER, &one, sizeof one);
    qserve_prepare(s);
    cr_assert_eq(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof v->endpoint;
    zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, v->endpoint, &len);
    qserve_opts_t o = {0};
    if (base != NULL) {
        o = *base;
    }
    o.backup_dir = v->backups;
    cr_assert_eq(qserve_start(&v->q, v->ctx, s, v->st, &o), ERR_OK);
}

static void svc_stop(inproc_svc_t *v)
{
    qserve_stop(&v->q);
    zmq_ctx_shutdown(v->ctx);
    pthread_join(v->zap, NULL);
    zmq_ctx_term(v->ctx);
    store_close(&v->st);
    catalog_destroy(&v->cat);
}

/* A DEALER of context @p ctx that logs in as @p user (PLAIN); with
 * @p routing_id "never reads", one that takes one answer off the wire and
 * leaves the rest there. */
static void *client_as(void *ctx, const char *endpoint, const char *user,
                       const char *routing_id)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    if (routing_id != NULL && strcmp(routing_id, "never reads") == 0) {
        int one = 1;
        int small = 4096;
        zmq_setsockopt(s, ZMQ_RCVHWM, &one, sizeof one);
        zmq_setsockopt(s, ZMQ_RCVBUF, &small, sizeof small);
        routing_id = NULL;
    }
    zmq_setsockopt(s, ZMQ_PLAIN_USERNAME, user, strlen(user));
    zmq_setsockopt(s, ZMQ_PLAIN_PASSWORD, "pw", 2);
    if (routing_id != NULL) {
        zmq_setsockopt(s, ZMQ_ROUTING_ID, routing_id, strlen(routing_id));
    }
    cr_assert_eq(zmq_connect(s, endpoint), 0);
    return s;
}

/* Send @p q on @p s and wait at most 20 s for the answer. */
static Hrss__QueryResponse *call(void *s, const Hrss__QueryRequest *q)
{
    buf_t b;
    buf_init(&b);
    pack_request(q, &b);
    cr_assert_eq(zmq_send(s, b.data, b.len, 0), (int)b.len);
    buf_fini(&b);
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    cr_assert_eq(zmq_poll(&item, 1, 20000), 1, "no answer in 20 s");
    zmq_msg_t m;
    zmq_msg_init(&m);
    cr_assert_geq(zmq_msg_recv(&m, s, 0), 0);
    Hrss__QueryResponse *r = hrss__query_response__unpack(
        NULL, zmq_msg_size(&m), zmq_msg_data(&m));
    zmq_msg_close(&m);
    cr_assert_not_null(r);
    return r;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

static Hrss__QueryResponse *call_backup(void *s, const char *dest)
{
    Hrss__BackupQ bq = HRSS__BACKUP_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    bq.dest = (char *)(uintptr_t)dest;
    q.q_case = HRSS__QUERY_REQUEST__Q_BACKUP;
    q.backup = &bq;
    return call(s, &q);
}

static int exists_in(const char *dir, const char *name)
{
    char path[400];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

/* Only a frame whose ZAP User-Id is "admin:NAME" backs up, into the
 * backup directory; a reader, a User-Id of another form, or a routing id
 * that claims to be an admin is refused. */
Test(qsock, backup_role_comes_from_the_zap_user_id)
{
    inproc_svc_t v;
    svc_start(&v, NULL, 1);
    void *admin = client_as(v.ctx, v.endpoint, "admin", NULL);
    void *reader = client_as(v.ctx, v.endpoint, "reader", "admin:alice");
    void *sneaky = client_as(v.ctx, v.endpoint, "sneaky", NULL);

    Hrss__QueryResponse *r = call_backup(reader, "by-reader");
    cr_expect_eq(r->code, HRSS__QUERY_STATUS__QUERY_DENIED, "%s",
                 r->error != NULL ? r->error : "no error");
    hrss__query_response__free_unpacked(r, NULL);
    r = call_backup(sneaky, "by-sneaky");
    cr_expect_eq(r->code, HRSS__QUERY_STATUS__QUERY_DENIED);
    hrss__query_response__free_unpacked(r, NULL);
    r = call_backup(admin, "../escaped");
    cr_expect_eq(r->code, HRSS__QUERY_STATUS__QUERY_INVAL);
    hrss__query_response__free_unpacked(r, NULL);
    r = call_backup(admin, "by-admin");
    cr_expect_eq(r->code, HRSS__QUERY_STATUS__QUERY_OK, "%s",
                 r->error != NULL ? r->error : "");
    hrss__query_response__free_unpacked(r, NULL);
    cr_expect(exists_in(v.backups, "by-admin/data.mdb"));
    cr_expect(!exists_in(v.backups, "by-reader"));
    cr_expect(!exists_in(v.backups, "by-sneaky"));
    cr_expect(!exists_in(hx_dir, "escaped"));
    /* A reader still reads. */
    Hrss__AgentsQ aq = HRSS__AGENTS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_AGENTS;
    q.agents = &aq;
    r = call(reader, &q);
    cr_expect_eq(r->code, HRSS__QUERY_STATUS__QUERY_OK);
    hrss__query_response__free_unpacked(r, NULL);

    zmq_close(admin);
    zmq_close(reader);
    zmq_close(sneaky);
    svc_stop(&v);
}

/* ---------------------------------------------------------------------- */
/* item 4: the limits, with the query service in this process              */

/* @p n requests for the export's first page (about QUERY_PAGE_BYTES). */
static void send_page_request(void *s, int n)
{
    Hrss__FactsQ fq = HRSS__FACTS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    q.facts = &fq;
    fq.has_limit = 1;
    fq.limit = 10000;
    buf_t b;
    buf_init(&b);
    pack_request(&q, &b);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(zmq_send(s, b.data, b.len, ZMQ_DONTWAIT), (int)b.len);
    }
    buf_fini(&b);
}

typedef struct stats_wait {
    qserve_t *q;
    unsigned long cut_offs;
    unsigned long refused;
    int connections;
} stats_wait_t;

static int stats_reached(void *arg)
{
    stats_wait_t *w = arg;
    qserve_stats_t st;
    qserve_stats(w->q, &st);
    return st.cut_offs >= w->cut_offs && st.refused >= w->refused &&
           st.connections >= w->connections;
}

/* The largest page answer: a page's items, one more item, the rest. */
#define PAGE_ANSWER_MAX (QUERY_PAGE_BYTES + 4096)

/* Ask @p s for the agents until an answer to that comes (answers to its
 * earlier requests are read and dropped): 1 when one came within
 * @p timeout_ms. */
static int answered_again(void *s, int timeout_ms)
{
    Hrss__AgentsQ aq = HRSS__AGENTS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_AGENTS;
    q.agents = &aq;
    buf_t b;
    buf_init(&b);
    pack_request(&q, &b);
    int64_t deadline = hx_now_ms() + timeout_ms;
    int got = 0;
    while (!got && hx_now_ms() < deadline) {
        zmq_send(s, b.data, b.len, ZMQ_DONTWAIT);
        zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
        while (!got && zmq_poll(&item, 1, 100) == 1) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            cr_assert_geq(zmq_msg_recv(&m, s, 0), 0);
            Hrss__QueryResponse *r = hrss__query_response__unpack(
                NULL, zmq_msg_size(&m), zmq_msg_data(&m));
            zmq_msg_close(&m);
            cr_assert_not_null(r);
            got = r->r_case == HRSS__QUERY_RESPONSE__R_AGENTS;
            hrss__query_response__free_unpacked(r, NULL);
        }
    }
    buf_fini(&b);
    return got;
}

/* A client with peer_answers answers unread is cut off: its requests are
 * dropped and nothing more is queued for it; once it has read and the
 * cool off is over, it is answered again. */
Test(qsock, a_client_that_stops_reading_is_cut_off_then_served_again)
{
    qserve_opts_t o = {.peer_answers = 2, .cool_off_ms = 500};
    inproc_svc_t v;
    svc_start(&v, &o, 12);
    void *slow = client_as(v.ctx, v.endpoint, "reader", "never reads");
    send_page_request(slow, 60);
    stats_wait_t w = {v.q, 1, 0, 0};
    cr_assert(hx_wait_until(stats_reached, &w, 30000), "never cut off");
    qserve_stats_t st;
    qserve_stats(v.q, &st);
    cr_expect_leq(st.max_queued_bytes, 2 * PAGE_ANSWER_MAX,
                  "%zu bytes queued for one client", st.max_queued_bytes);
    cr_expect_lt(st.answered, 60, "every request was answered");
    /* Reading now: after the cool off, served again. */
    cr_expect(answered_again(slow, 20000), "never served again");
    zmq_close(slow);
    svc_stop(&v);
}

/* However many clients leave answers unread, the total zmq holds stays
 * within max_queued: past it, requests get a short "busy" error. */
Test(qsock, unread_answers_are_bounded_in_total)
{
    enum { N = 6 };
    qserve_opts_t o = {.max_queued = 3 * PAGE_ANSWER_MAX,
                       .cool_off_ms = 60000};
    inproc_svc_t v;
    svc_start(&v, &o, 12);
    void *slow[N];
    for (int i = 0; i < N; i++) {
        slow[i] = client_as(v.ctx, v.endpoint, "reader", "never reads");
        send_page_request(slow[i], 20);
    }
    stats_wait_t w = {v.q, 0, 1, 0};
    cr_assert(hx_wait_until(stats_reached, &w, 30000), "never busy");
    qserve_stats_t st;
    qserve_stats(v.q, &st);
    cr_expect_leq(st.max_queued_bytes, o.max_queued,
                  "%zu bytes queued, limit %zu", st.max_queued_bytes,
                  o.max_queued);
    for (int i = 0; i < N; i++) {
        zmq_close(slow[i]);
    }
    svc_stop(&v);
}

/* Over max_clients connections, a new client gets an error answer at
 * once; when one leaves, it is served. */
Test(qsock, too_many_clients_get_an_error_answer)
{
    qserve_opts_t o = {.max_clients = 2};
    inproc_svc_t v;
    svc_start(&v, &o, 1);
    void *a = client_as(v.ctx, v.endpoint, "reader", NULL);
    void *b = client_as(v.ctx, v.endpoint, "reader", NULL);
    cr_expect(answered_again(a, 10000));
    cr_expect(answered_again(b, 10000));
    void *c = client_as(v.ctx, v.endpoint, "reader", NULL);
    stats_wait_t w = {v.q, 0, 0, 3};
    cr_assert(hx_wait_until(stats_reached, &w, 10000), "3 connections");
    Hrss__AgentsQ aq = HRSS__AGENTS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_AGENTS;
    q.agents = &aq;
    Hrss__QueryResponse *r = call(c, &q);
    cr_expect_eq(r->code, HRSS__QUERY_STATUS__QUERY_FULL);
    cr_expect(r->error != NULL &&
              strstr(r->error, "too many query clients") != NULL);
    hrss__query_response__free_unpacked(r, NULL);
    zmq_close(a);
    cr_expect(answered_again(c, 10000), "not served once a client left");
    zmq_close(b);
    zmq_close(c);
    svc_stop(&v);
}

/* ---------------------------------------------------------------------- */
/* item 4: clients that never read                                         */

/* The kernel keeps each process's peak resident size (VmHWM); writing
 * "5" to /proc/PID/clear_refs starts it again from the size now, so the
 * peak of a phase is read exactly, without sampling. */
static void peak_reset(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/clear_refs", (int)pid);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert(fputs("5", f) >= 0 && fclose(f) == 0, "%s: %s", path,
              strerror(errno));
}

/* Clients that send requests and never read: a DEALER that takes at most
 * one answer off the wire (RCVHWM 1, a small kernel buffer). */
enum { FLOOD_CLIENTS = 8, FLOOD_REQUESTS = 250 };

typedef struct flood {
    void *ctx;
    void *sock[FLOOD_CLIENTS];
} flood_t;

/* Every other request asks for the whole export (too large for one
 * answer: a short error), the others for its first page (256 KiB). */
static void flood_start(flood_t *f, const char *endpoint)
{
    f->ctx = zmq_ctx_new();
    Hrss__FactsQ fq = HRSS__FACTS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    q.facts = &fq;
    buf_t req[2];
    buf_init(&req[0]);
    buf_init(&req[1]);
    pack_request(&q, &req[0]);
    fq.has_limit = 1;
    fq.limit = 10000;
    pack_request(&q, &req[1]);
    for (int i = 0; i < FLOOD_CLIENTS; i++) {
        void *s = zmq_socket(f->ctx, ZMQ_DEALER);
        int one = 1;
        int small = 65536;
        int linger = 0;
        int sndhwm = FLOOD_REQUESTS;
        zmq_setsockopt(s, ZMQ_RCVHWM, &one, sizeof one);
        zmq_setsockopt(s, ZMQ_RCVBUF, &small, sizeof small);
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(s, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm);
        cr_assert_eq(zmq_connect(s, endpoint), 0);
        f->sock[i] = s;
    }
    for (int k = 0; k < FLOOD_REQUESTS; k++) {
        for (int i = 0; i < FLOOD_CLIENTS; i++) {
            const buf_t *b = &req[k % 2];
            cr_assert_eq(zmq_send(f->sock[i], b->data, b->len, 0),
                         (int)b->len);
        }
    }
    buf_fini(&req[0]);
    buf_fini(&req[1]);
}

static void flood_stop(flood_t *f)
{
    for (int i = 0; i < FLOOD_CLIENTS; i++) {
        zmq_close(f->sock[i]);
    }
    zmq_ctx_term(f->ctx);
}

/* The most the collector's resident size may grow above what it was
 * after a normal export, while the flood is on (MiB): the query
 * service's own bounds (collector/qserve.h) plus the allocator's slack.
 * Beside it, the store's pages the flood's reads map again (the
 * collector gives them back after a large answer: at most the file). */
#define RSS_GROWTH_MIB 32

typedef struct flood_wait {
    const char *log;
    pid_t pid;
    long base;
    long allow; /* KiB */
} flood_wait_t;

/* Every flooding client cut off, or the collector grown past the bound
 * (then the test fails at once rather than waiting for the deadline). */
static int flood_absorbed(void *arg)
{
    flood_wait_t *w = arg;
    if (hx_proc_kib(w->pid, "VmHWM") - w->base > w->allow) {
        return 1;
    }
    return hx_file_count(w->log, "stopped reading its answers") >=
           FLOOD_CLIENTS;
}

Test(qsock, clients_that_never_read_do_not_grow_the_collector)
{
    /* ASan keeps freed memory in a quarantine (256 MiB by default) that
     * would count as growth: the collector's own, small. */
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=1",
             asan != NULL ? asan : "", asan != NULL && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    size_t nfacts = seed_store(db, 36);
    hx_coll_t c;
    start(&c, db);
    static char out[16 << 20];
    const char *export_args[] = {"export", "--format", "csv", NULL};

    /* A normal export first: it maps the store's pages and builds the
     * allocator's pools, so the baseline is a collector at work. */
    int64_t t_alone = hx_now_ms();
    cr_assert_eq(ctl(&c, out, sizeof out, export_args), 0, "%.2000s", out);
    t_alone = hx_now_ms() - t_alone;
    cr_assert_eq(count_lines(out), nfacts + 1);
    /* Page after page, the same CSV as from the store itself. */
    static char local[16 << 20];
    const char *local_argv[] = {"hrssctl", "--data-dir", db, "export",
                                "--format", "csv", NULL};
    cr_assert_eq(hx_run(local_argv, 120000, local, sizeof local), 0);
    cr_expect(strcmp(out, local) == 0, "--connect and --data-dir differ");
    peak_reset(c.pid);
    long base = hx_proc_kib(c.pid, "VmRSS");
    long base_anon = hx_proc_kib(c.pid, "RssAnon");
    cr_assert_gt(base, 0);

    flood_t f;
    flood_start(&f, c.query);

    /* A normal client is still answered, in full, during the flood. */
    int64_t t0 = hx_now_ms();
    int st = ctl(&c, out, sizeof out, export_args);
    int64_t took = hx_now_ms() - t0;
    cr_expect_eq(st, 0, "%.2000s", out);
    cr_expect_eq(count_lines(out), nfacts + 1);

    char file[400];
    struct stat sb;
    snprintf(file, sizeof file, "%s/data.mdb", db);
    cr_assert_eq(stat(file, &sb), 0);
    long allow = RSS_GROWTH_MIB * 1024L + (long)(sb.st_size / 1024);
    flood_wait_t w = {c.log, c.pid, base, allow};
    int absorbed = hx_wait_until(flood_absorbed, &w, 60000);
    long grew = hx_proc_kib(c.pid, "VmHWM") - base;
    long grew_anon = hx_proc_kib(c.pid, "RssAnon") - base_anon;
    cr_log_info("%zu facts; collector VmRSS %ld KiB after a normal "
                "export; its peak %ld KiB more during the flood (RssAnon "
                "%ld KiB more after it); the export took %lld ms alone, "
                "%lld ms during the flood",
                nfacts, base, grew, grew_anon, (long long)t_alone,
                (long long)took);
    cr_expect_leq(grew, allow,
                  "the collector grew by %ld KiB (bound %d MiB and the "
                  "store's %ld KiB)",
                  grew, RSS_GROWTH_MIB, (long)(sb.st_size / 1024));
    cr_expect(absorbed && hx_file_count(c.log, "stopped reading its "
                                               "answers") >= FLOOD_CLIENTS,
              "not every flooding client was cut off; see %s", c.log);
    flood_stop(&f);
    cr_expect_eq(hx_collector_stop(&c, 30000), 0);
}
