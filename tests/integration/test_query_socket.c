/* test_query_socket.c: the collector's query socket against clients that
 * ask what they may not (a backup without an admin key) and clients that
 * never read their answers, with real processes: the collector's memory
 * is read from /proc/PID/status while they try. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
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

/* Every indicator for every region for @p months months from 2023-01:
 * 19 x 102 x months facts. @return how many. */
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
                           n};
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

static void svc_start(inproc_svc_t *v, const qserve_opts_t *base)
{
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    seed_store(db, 1);
    hx_open_store(db, 0, &v->cat, &v->st);
    snprintf(v->backups, sizeof v->backups, "%s/backups", hx_dir);
    cr_assert_eq(mkdir(v->backups, 0700), 0);
    v->ctx = zmq_ctx_new();
    cr_assert_eq(pthread_create(&v->zap, NULL, zap_handler, v->ctx), 0);
    void *s = zmq_socket(v->ctx, ZMQ_ROUTER);
    int one = 1;
    zmq_setsockopt(s, ZMQ_PLAIN_SERVER, &one, sizeof one);
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

/* A DEALER of context @p ctx that logs in as @p user (PLAIN). */
static void *client_as(void *ctx, const char *endpoint, const char *user,
                       const char *routing_id)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
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
    svc_start(&v, NULL);
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

