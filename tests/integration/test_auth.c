/* test_auth.c: CurveZMQ keys and per-office authorization, with the real
 * collector, agents and hrssctl on loopback: who may connect, for which
 * regions, and that no one can speak for another office.
 *
 * Keys are made in this process (common/keys, as `keygen` does); a test
 * that needs to say what a real agent would not (another office's name,
 * a neighbour's region) speaks the protocol itself over a CURVE DEALER. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "common/keys.h"
#include "common/wire.h"
#include "harness.h"

TestSuite(auth, .init = hx_setup, .fini = hx_teardown, .timeout = 120);

/* A key pair in hx_dir: NAME.key and NAME.pub. */
static void key(const char *name, keys_pair_t *kp)
{
    char base[300];
    char err[ERR_LEN];
    snprintf(base, sizeof base, "%s/%s", hx_dir, name);
    cr_assert_eq(keys_generate(base, kp, err), ERR_OK, "%s", err);
}

static const char *path(const char *name)
{
    static char p[4][300];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", hx_dir, name);
    return p[i];
}

/* The test's cast: the collector, 上城区's office (330102), 杭州市's
 * city office reporting for itself and its counties, an admin with read
 * access, one with admin access, and a key no file lists. */
typedef struct cast {
    keys_pair_t coll, shangcheng, hangzhou, reader, boss, stranger;
    hx_coll_t c;
} cast_t;

static void write_lists(cast_t *k, int with_hangzhou)
{
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "# office keys\n%s 330102 330102\n",
                     k->shangcheng.public_key);
    if (with_hangzhou) {
        n += snprintf(text + n, sizeof text - (size_t)n, "%s 330100 330100/*\n",
                      k->hangzhou.public_key);
    }
    hx_write(path("agents"), text, (size_t)n);
    n = snprintf(text, sizeof text, "%s reader read\n%s boss admin\n",
                 k->reader.public_key, k->boss.public_key);
    hx_write(path("admins"), text, (size_t)n);
}

static void start(cast_t *k, int with_hangzhou)
{
    key("collector", &k->coll);
    key("shangcheng", &k->shangcheng);
    key("hangzhou", &k->hangzhou);
    key("reader", &k->reader);
    key("boss", &k->boss);
    key("stranger", &k->stranger);
    write_lists(k, with_hangzhou);
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    char keyp[300];
    char agents[300];
    char admins[300];
    snprintf(keyp, sizeof keyp, "%s", path("collector.key"));
    snprintf(agents, sizeof agents, "%s", path("agents"));
    snprintf(admins, sizeof admins, "%s", path("admins"));
    char backups[300];
    snprintf(backups, sizeof backups, "%s", path("backups"));
    cr_assert_eq(mkdir(backups, 0700), 0);
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--key", keyp, "--agents",
                          agents, "--admins", admins, "--backup-dir",
                          backups, NULL};
    hx_collector_exec(&k->c, db, log, argv);
}

/* hrss-agent with key NAME.key as office REGION: submit one figure for
 * REGION, then flush (timeout 4 s). @return flush's exit status. */
static int office(cast_t *k, const char *name, const char *region,
                  const char *value, char *out, size_t len)
{
    char state[300];
    char keyp[300];
    char ckey[300];
    snprintf(state, sizeof state, "%s/state-%s", hx_dir, name);
    snprintf(keyp, sizeof keyp, "%s/%s.key", hx_dir, name);
    snprintf(ckey, sizeof ckey, "%s/collector.pub", hx_dir);
    const char *sub[] = {"hrss-agent", "--state-dir", state, "--region",
                         region, "submit", "--indicator", "urban_new_jobs",
                         "--period", "2025-10", "--value", value, NULL};
    cr_assert_eq(hx_run(sub, 30000, out, len), 0, "%s", out);
    const char *fl[] = {"hrss-agent", "--state-dir", state, "--region",
                        region, "--collector", k->c.ingest, "--key", keyp,
                        "--collector-key", ckey, "flush", "--timeout", "4",
                        NULL};
    return hx_run(fl, 30000, out, len);
}

/* Total of urban_new_jobs for @p region in 2025-10, from the store. */
static int64_t jobs(const char *db, uint32_t region, uint32_t *reporting)
{
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 0, &cat, &s);
    period_t p = {PERIOD_MONTH, month_make(2025, 10), month_make(2025, 10)};
    store_total_t t;
    char err[ERR_LEN];
    cr_assert_eq(store_total(s, "urban_new_jobs", region, &p, &t, err),
                 ERR_OK, "%s", err);
    store_close(&s);
    catalog_destroy(&cat);
    if (reporting != NULL) {
        *reporting = t.reporting;
    }
    return t.num;
}

/* A CurveZMQ DEALER to the ingest socket with key @p kp (NULL: plain). */
typedef struct peer {
    void *ctx;
    void *sock;
} peer_t;

static void peer_open(peer_t *p, const cast_t *k, const keys_pair_t *kp)
{
    p->ctx = zmq_ctx_new();
    p->sock = zmq_socket(p->ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (kp != NULL) {
        zmq_setsockopt(p->sock, ZMQ_CURVE_SERVERKEY, k->coll.public_key, 40);
        zmq_setsockopt(p->sock, ZMQ_CURVE_PUBLICKEY, kp->public_key, 40);
        zmq_setsockopt(p->sock, ZMQ_CURVE_SECRETKEY, kp->secret_key, 40);
    }
    cr_assert_eq(zmq_connect(p->sock, k->c.ingest), 0);
}

static void peer_close(peer_t *p)
{
    zmq_close(p->sock);
    zmq_ctx_term(p->ctx);
}

/* Send without blocking: a DEALER whose handshake failed has no pipe,
 * and then the message is simply not sent. */
static void peer_send(peer_t *p, const Hrss__AgentMsg *m)
{
    buf_t b;
    buf_init(&b);
    wire_pack(&m->base, &b);
    zmq_pollitem_t item = {p->sock, 0, ZMQ_POLLOUT, 0};
    if (zmq_poll(&item, 1, 2000) == 1) {
        cr_assert_eq(zmq_send(p->sock, b.data, b.len, ZMQ_DONTWAIT),
                     (int)b.len);
    }
    buf_fini(&b);
}

/* The next collector message within @p ms, or NULL. */
static Hrss__CollectorMsg *peer_recv(peer_t *p, int ms)
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

static void peer_hello(peer_t *p, const char *name, uint32_t region)
{
    Hrss__Hello h = HRSS__HELLO__INIT;
    h.version = WIRE_VERSION;
    h.name = (char *)(uintptr_t)name;
    h.region = region;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_HELLO;
    m.hello = &h;
    peer_send(p, &m);
}

/* A batch claiming @p name and @p region with one count per region of
 * @p regions, seqs from @p seq. */
static void peer_batch(peer_t *p, const char *name, uint32_t region,
                       uint64_t seq, const uint32_t *regions, size_t n,
                       int64_t value)
{
    Hrss__Update u[8];
    Hrss__Update *up[8];
    cr_assert_leq(n, 8);
    for (size_t i = 0; i < n; i++) {
        hrss__update__init(&u[i]);
        u[i].seq = seq + i;
        u[i].indicator = (char *)"urban_new_jobs";
        u[i].region = regions[i];
        u[i].month = 202510;
        u[i].value_case = HRSS__UPDATE__VALUE_COUNT;
        u[i].count = value;
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
    peer_send(p, &m);
}

static int log_has(void *arg)
{
    const char **a = arg;
    return hx_file_contains(a[0], a[1]);
}

/* ---------------------------------------------------------------------- */

Test(auth, an_unlisted_key_cannot_connect_and_nothing_is_stored)
{
    cast_t k;
    start(&k, 1);
    char out[4096];
    cr_expect_eq(office(&k, "stranger", "330102", "999", out, sizeof out),
                 69, "%s", out);
    cr_expect(strstr(out, "refused this office's key") != NULL,
              "the office is told why: %s", out);
    const char *a[] = {k.c.log, "refused a CURVE connection"};
    cr_expect(hx_wait_until(log_has, a, 10000), "the refusal is logged");
    cr_assert_eq(hx_collector_stop(&k.c, 10000), 0);
    uint32_t rep = 9;
    cr_expect_eq(jobs(k.c.dir, 330102, &rep), 0);
    cr_expect_eq(rep, 0);
}

Test(auth, a_plain_client_cannot_talk_to_a_curve_collector)
{
    cast_t k;
    start(&k, 1);
    peer_t p;
    peer_open(&p, &k, NULL);
    peer_hello(&p, "330102", 330102);
    cr_expect_null(peer_recv(&p, 2000), "a plain Hello was answered");
    uint32_t regions[] = {330102};
    peer_batch(&p, "330102", 330102, 1, regions, 1, 777);
    cr_expect_null(peer_recv(&p, 1000), "a plain Batch was answered");
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&k.c, 10000), 0);
    cr_expect_eq(jobs(k.c.dir, 330102, NULL), 0);
}

/* 上城区's key may report 上城区 only; 杭州市's key (its code followed by
 * a slash and a star) its counties too. */
Test(auth, an_office_reports_only_its_regions_a_city_key_its_counties)
{
    cast_t k;
    start(&k, 1);
    peer_t p;
    peer_open(&p, &k, &k.shangcheng);
    peer_hello(&p, "330102", 330102);
    Hrss__CollectorMsg *m = peer_recv(&p, 10000);
    cr_assert_not_null(m);
    cr_assert_eq(m->body_case, HRSS__COLLECTOR_MSG__BODY_WELCOME);
    hrss__collector_msg__free_unpacked(m, NULL);
    /* Its own district, its neighbour 拱墅区, its city, the province. */
    uint32_t regions[] = {330102, 330105, 330100, 330000};
    peer_batch(&p, "330102", 330102, 1, regions, 4, 10);
    m = peer_recv(&p, 10000);
    cr_assert_not_null(m);
    cr_assert_eq(m->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
    cr_expect_eq(m->ack->status, HRSS__ACK_STATUS__ACK_OK);
    cr_expect_eq(m->ack->next_seq, 5);
    cr_assert_eq(m->ack->n_rejections, 3);
    for (size_t i = 0; i < 3; i++) {
        cr_expect_eq(m->ack->rejections[i]->reason,
                     HRSS__REJECT_REASON__REJ_NOT_AUTHORIZED);
        cr_expect_eq(m->ack->rejections[i]->seq, 2 + i);
    }
    hrss__collector_msg__free_unpacked(m, NULL);
    peer_close(&p);

    /* The city office may report for a county below it. */
    char out[4096];
    cr_expect_eq(office(&k, "hangzhou", "330100", "5", out, sizeof out), 0,
                 "%s", out);
    peer_open(&p, &k, &k.hangzhou);
    peer_hello(&p, "330100", 330100);
    m = peer_recv(&p, 10000);
    cr_assert_not_null(m);
    cr_assert_eq(m->body_case, HRSS__COLLECTOR_MSG__BODY_WELCOME);
    uint64_t next = m->welcome->next_seq;
    hrss__collector_msg__free_unpacked(m, NULL);
    uint32_t county[] = {330106, 330203};
    peer_batch(&p, "330100", 330100, next, county, 2, 7);
    m = peer_recv(&p, 10000);
    cr_assert_not_null(m);
    cr_assert_eq(m->ack->n_rejections, 1, "宁波's 海曙区 is not Hangzhou's");
    cr_expect_eq(m->ack->rejections[0]->reason,
                 HRSS__REJECT_REASON__REJ_NOT_AUTHORIZED);
    hrss__collector_msg__free_unpacked(m, NULL);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&k.c, 10000), 0);

    cr_expect_eq(jobs(k.c.dir, 330102, NULL), 10);
    cr_expect_eq(jobs(k.c.dir, 330105, NULL), 0, "neighbour untouched");
    cr_expect_eq(jobs(k.c.dir, 330106, NULL), 7);
    cr_expect_eq(jobs(k.c.dir, 330203, NULL), 0);
    cr_expect_eq(jobs(k.c.dir, 330100, NULL), 10 + 5 + 7);
}

/* Item 1 of the issue: a client that says it is 上城区 used to learn its
 * next_seq and take its numbers, so the office's real figures were
 * acknowledged as replays and lost. Now the key decides who it is. */
Test(auth, no_one_can_send_under_another_offices_name)
{
    cast_t k;
    start(&k, 1);
    peer_t p;
    peer_open(&p, &k, &k.hangzhou); /* a listed key, but not 上城区's */
    peer_hello(&p, "330102", 330102);
    Hrss__CollectorMsg *m = peer_recv(&p, 10000);
    cr_assert_not_null(m);
    cr_assert_eq(m->body_case, HRSS__COLLECTOR_MSG__BODY_WELCOME);
    cr_expect_eq(m->welcome->next_seq, 1);
    hrss__collector_msg__free_unpacked(m, NULL);
    uint32_t regions[] = {330102, 330102, 330102};
    peer_batch(&p, "330102", 330102, 1, regions, 3, 123456);
    m = peer_recv(&p, 10000);
    cr_assert_not_null(m);
    hrss__collector_msg__free_unpacked(m, NULL);
    peer_close(&p);

    /* 上城区's own figures, sent by its agent with its key: all applied,
     * none taken for a replay. */
    char out[4096];
    cr_expect_eq(office(&k, "shangcheng", "330102", "42", out, sizeof out),
                 0, "%s", out);
    cr_assert_eq(hx_collector_stop(&k.c, 10000), 0);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(k.c.dir, 0, &cat, &s);
    char err[ERR_LEN];
    uint64_t next = 0;
    cr_expect_eq(store_next_seq(s, "330102", &next, err), ERR_OK);
    cr_expect_eq(next, 2, "330102 applied exactly its own one figure");
    cr_expect_eq(store_next_seq(s, "330100", &next, err), ERR_OK);
    cr_expect_eq(next, 4, "the impostor's numbers count as 330100's");
    store_close(&s);
    catalog_destroy(&cat);
    /* The impostor's figures were 杭州市's to send (330102 is below it),
     * but under its own name; 上城区's 42 is the last value. */
    cr_expect_eq(jobs(k.c.dir, 330102, NULL), 42);
}

Test(auth, an_agent_key_cannot_query_a_read_key_cannot_back_up)
{
    cast_t k;
    start(&k, 1);
    char out[4096];
    const char *shang[] = {"hrssctl", "--connect", k.c.query, "--key",
                           path("shangcheng.key"), "--collector-key",
                           path("collector.pub"), "--timeout", "3",
                           "agents", NULL};
    cr_expect_eq(hx_run(shang, 30000, out, sizeof out), 69, "%s", out);
    const char *rd[] = {"hrssctl", "--connect", k.c.query, "--key",
                        path("reader.key"), "--collector-key",
                        path("collector.pub"), "agents", NULL};
    cr_expect_eq(hx_run(rd, 30000, out, sizeof out), 0, "%s", out);
    const char *bk[] = {"hrssctl", "--connect", k.c.query, "--key",
                        path("reader.key"), "--collector-key",
                        path("collector.pub"), "backup", "nightly", NULL};
    cr_expect_eq(hx_run(bk, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "not authorized") != NULL, "%s", out);
    struct stat sb;
    cr_expect_neq(stat(path("backups/nightly"), &sb), 0);
    /* An admin's backup lands in --backup-dir under the plain name given;
     * a name that is a path does not. */
    const char *ad[] = {"hrssctl", "--connect", k.c.query, "--key",
                        path("boss.key"), "--collector-key",
                        path("collector.pub"), "backup", "nightly", NULL};
    cr_expect_eq(hx_run(ad, 30000, out, sizeof out), 0, "%s", out);
    cr_expect_eq(stat(path("backups/nightly/data.mdb"), &sb), 0);
    const char *esc[] = {"hrssctl", "--connect", k.c.query, "--key",
                         path("boss.key"), "--collector-key",
                         path("collector.pub"), "backup", "../escaped",
                         NULL};
    cr_expect_eq(hx_run(esc, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "not a plain name") != NULL, "%s", out);
    cr_expect_neq(stat(path("escaped"), &sb), 0);
    cr_assert_eq(hx_collector_stop(&k.c, 10000), 0);
}

Test(auth, sighup_adds_and_removes_an_office)
{
    cast_t k;
    start(&k, 0); /* 杭州市 not listed yet */
    char out[4096];
    cr_expect_eq(office(&k, "hangzhou", "330100", "1", out, sizeof out), 69,
                 "%s", out);
    write_lists(&k, 1);
    kill(k.c.pid, SIGHUP);
    const char *a[] = {k.c.log, "SIGHUP: 2 agent keys"};
    cr_assert(hx_wait_until(log_has, a, 10000), "no reload in the log");
    cr_expect_eq(office(&k, "hangzhou", "330100", "1", out, sizeof out), 0,
                 "%s", out);
    /* A file with an error keeps the lists in force. */
    hx_write(path("agents"), "not a key line\n", 15);
    kill(k.c.pid, SIGHUP);
    const char *b[] = {k.c.log, "the old lists stay in force"};
    cr_assert(hx_wait_until(log_has, b, 10000));
    cr_expect_eq(office(&k, "hangzhou", "330100", "2", out, sizeof out), 0,
                 "%s", out);
    /* Removed: 杭州市 can no longer send. */
    write_lists(&k, 0);
    kill(k.c.pid, SIGHUP);
    const char *c[] = {k.c.log, "SIGHUP: 1 agent keys"};
    cr_assert(hx_wait_until(log_has, c, 10000));
    cr_expect_eq(office(&k, "hangzhou", "330100", "3", out, sizeof out), 69,
                 "%s", out);
    cr_assert_eq(hx_collector_stop(&k.c, 10000), 0);
    cr_expect_eq(jobs(k.c.dir, 330100, NULL), 2);
}

Test(auth, a_secret_key_others_can_read_stops_start_up)
{
    keys_pair_t kp;
    key("collector", &kp);
    hx_write(path("agents"), "", 0);
    cr_assert_eq(chmod(path("collector.key"), 0644), 0);
    char out[4096];
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--key",
                          path("collector.key"), "--agents",
                          path("agents"), NULL};
    cr_expect_eq(hx_run(argv, 10000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "chmod 600") != NULL, "%s", out);
    /* An agent's key likewise. */
    key("office", &kp);
    cr_assert_eq(chmod(path("office.key"), 0640), 0);
    char state[300];
    snprintf(state, sizeof state, "%s/state", hx_dir);
    const char *fl[] = {"hrss-agent", "--state-dir", state, "--region",
                        "330102", "--collector", "tcp://127.0.0.1:1",
                        "--key", path("office.key"), "--collector-key",
                        path("collector.pub"), "flush", NULL};
    cr_expect_eq(hx_run(fl, 10000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "chmod 600") != NULL, "%s", out);
}

/* Item 9: --insecure used to be compulsory, so it gated nothing, and
 * tcp://0.0.0.0:* was accepted. Plain mode now binds loopback only. */
Test(auth, plain_mode_binds_loopback_only)
{
    char out[4096];
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    const char *wide[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://0.0.0.0:*", "--query", "tcp://127.0.0.1:*",
                          "--insecure", NULL};
    cr_expect_eq(hx_run(wide, 10000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "binds only loopback") != NULL, "%s", out);
    const char *star[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query", "tcp://*:*",
                          "--insecure", NULL};
    cr_expect_eq(hx_run(star, 10000, out, sizeof out), 1, "%s", out);
    const char *mixed[] = {"hrss-collector", "--data-dir", db, "--ingest",
                           "tcp://127.0.0.1:*", "--query",
                           "tcp://127.0.0.1:*", "--insecure", "--key",
                           "x.key", NULL};
    cr_expect_eq(hx_run(mixed, 10000, out, sizeof out), 64, "%s", out);
    cr_expect(strstr(out, "takes no --key") != NULL, "%s", out);
}
