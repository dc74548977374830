/* test_audit_chain.c: the audit chain end to end (issue 14): the real
 * collector puts the chain's position and head into every ACK_OK,
 * `hrssctl audit head` says the same through the collector and from the
 * store, and an office's receipts expose a store restored from an older
 * backup to `hrssctl audit verify --receipts`, before and after the
 * restored store took new figures; and a figure edited in the file, its
 * checksum fixed, is named by `audit verify`. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/lmdbh.h"
#include "common/wire.h"
#include "harness.h"

TestSuite(audit_chain, .init = hx_setup, .fini = hx_teardown,
          .timeout = 300);

#define OFFICE "office-a"

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

static void hello(peer_t *p)
{
    Hrss__Hello h = HRSS__HELLO__INIT;
    h.version = WIRE_VERSION;
    h.name = (char *)OFFICE;
    h.region = 330102;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_HELLO;
    m.hello = &h;
    send_msg(p, &m);
    Hrss__CollectorMsg *w = recv_msg(p);
    cr_assert_eq(w->body_case, HRSS__COLLECTOR_MSG__BODY_WELCOME);
    hrss__collector_msg__free_unpacked(w, NULL);
}

/* Send updates @p first and @p first + 1 (months 2025-@p first.., value
 * @p v) and take the Ack: its audit position, and its head in hex. */
static uint64_t send_two(peer_t *p, uint64_t first, int64_t v, char *hex)
{
    Hrss__Update u[2];
    Hrss__Update *up[2];
    for (int i = 0; i < 2; i++) {
        hrss__update__init(&u[i]);
        u[i].seq = first + (uint64_t)i;
        u[i].indicator = (char *)"urban_new_jobs";
        u[i].region = 330102;
        u[i].month = 202500 + (uint32_t)first + (uint32_t)i;
        u[i].value_case = HRSS__UPDATE__VALUE_COUNT;
        u[i].count = v + i;
        up[i] = &u[i];
    }
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)OFFICE;
    b.region = 330102;
    b.n_updates = 2;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    send_msg(p, &m);
    Hrss__CollectorMsg *a = recv_msg(p);
    cr_assert_eq(a->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
    cr_assert_eq(a->ack->status, HRSS__ACK_STATUS__ACK_OK);
    cr_assert_eq(a->ack->n_rejections, 0);
    cr_assert(a->ack->has_audit_position);
    cr_assert(a->ack->has_audit_head);
    cr_assert_eq(a->ack->audit_head.len, 32);
    for (size_t i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", a->ack->audit_head.data[i]);
    }
    uint64_t pos = a->ack->audit_position;
    hrss__collector_msg__free_unpacked(a, NULL);
    return pos;
}

/* Put the backup @p bak's data file in place of the store @p db's. */
static void restore(const char *bak, const char *db)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp %s/data.mdb %s/data.mdb", bak, db);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

Test(audit_chain, receipts_expose_a_store_restored_from_an_older_backup)
{
    char db[300];
    char log[300];
    char bak[300];
    char rcpt[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    snprintf(bak, sizeof bak, "%s/bak", hx_dir);
    snprintf(rcpt, sizeof rcpt, "%s/receipts.csv", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, log);
    peer_t p;
    peer_connect(&p, coll.ingest);
    hello(&p);
    char h2[65];
    char h4[65];
    cr_assert_eq(send_two(&p, 1, 100, h2), 2);

    /* The head the Ack gave, both ways. */
    static char out[4096];
    char want[200];
    snprintf(want, sizeof want, "position 2\nhead %s\n", h2);
    cr_assert_eq(hx_ctl(coll.query, db, NULL, 0, out, sizeof out, "audit",
                        "head", "--csv", NULL), 0, "%s", out);
    HX_CTL_BOTH(coll.query, db, NULL, out, "audit", "head", "--json");
    cr_assert(strstr(out, h2) != NULL, "%s", out);
    cr_assert_eq(hx_ctl(coll.query, db, NULL, 1, out, sizeof out, "audit",
                        "head", NULL), 0, "%s", out);
    cr_assert_eq(strncmp(out, want, strlen(want)), 0, "%s", out);

    /* A backup, then two more figures: the office keeps both receipts. */
    cr_assert_eq(hx_ctl(coll.query, db, NULL, 1, out, sizeof out, "backup",
                        bak, NULL), 0, "%s", out);
    cr_assert_eq(send_two(&p, 3, 300, h4), 4);
    char csv[1024];
    snprintf(csv, sizeof csv,
             "acked_at,reporter,seq,indicator,region,month,value,outcome,"
             "position,head,extra\n"
             "2026-12-01T05:10:00Z," OFFICE ",2,urban_new_jobs,330102,"
             "2025-02,101,accepted,2,%s,x\n"
             "2026-12-01T05:11:00Z," OFFICE ",4,urban_new_jobs,330102,"
             "2025-04,301,accepted,4,%s,x\n"
             "2026-12-01T05:12:00Z," OFFICE ",5,urban_new_jobs,330102,"
             "2030-01,1,future_month,,,x\n",
             h2, h4);
    hx_write(rcpt, csv, strlen(csv));

    /* While the collector runs, against its live store (a hot copy). */
    int st = hx_ctl(coll.query, db, NULL, 1, out, sizeof out, "audit",
                    "verify", "--receipts", rcpt, NULL);
    snprintf(want, sizeof want, "audit verify: sound: position 4, head %s; "
             "4 records, 4 facts, 2 receipts checked (1 without position "
             "and head skipped)\n", h4);
    cr_assert_eq(st, 0, "%s", out);
    cr_assert_str_eq(out, want);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);

    /* The older backup restored in place. */
    restore(bak, db);
    st = hx_ctl(coll.query, db, NULL, 1, out, sizeof out, "audit", "verify",
                "--receipts", rcpt, NULL);
    char want2[1024];
    snprintf(want2, sizeof want2,
             "audit verify: receipt line 3 (" OFFICE ", acked "
             "2026-12-01T05:11:00Z): position 4 is beyond the chain's "
             "length 2: the store lost records the collector had "
             "acknowledged (restored from an older backup?)\n"
             "audit verify: DOES NOT MATCH: position 2, head %s; 2 records, "
             "2 facts, 2 receipts checked (1 without position and head "
             "skipped); the lines above say where\n", h2);
    cr_assert_eq(st, 2, "%s", out);
    cr_assert_str_eq(out, want2);

    /* ... and after the restored store took other figures. */
    hx_collector_restart(&coll);
    peer_connect(&p, coll.ingest);
    hello(&p);
    char h4b[65];
    cr_assert_eq(send_two(&p, 3, 500, h4b), 4);
    cr_assert_str_neq(h4b, h4);
    peer_close(&p);
    st = hx_ctl(coll.query, db, NULL, 1, out, sizeof out, "audit", "verify",
                "--receipts", rcpt, NULL);
    snprintf(want2, sizeof want2,
             "audit verify: receipt line 3 (" OFFICE ", acked "
             "2026-12-01T05:11:00Z): position 4 has another hash than the "
             "collector acknowledged: the chain was rewritten (edited, or "
             "restored and written since)\n"
             "audit verify: DOES NOT MATCH: position 4, head %s; 4 records, "
             "4 facts, 2 receipts checked (1 without position and head "
             "skipped); the lines above say where\n", h4b);
    cr_assert_eq(st, 2, "%s", out);
    cr_assert_str_eq(out, want2);
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);
}

Test(audit_chain, usage_and_receipts_errors_have_their_own_exit_status)
{
    char db[300];
    char log[300];
    char rcpt[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    snprintf(rcpt, sizeof rcpt, "%s/bad.csv", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, log);
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);
    static char out[4096];
    cr_assert_eq(hx_ctl(NULL, db, NULL, 1, out, sizeof out, "audit", "tail",
                        NULL), 64, "%s", out);
    cr_assert_eq(hx_ctl(NULL, db, NULL, 1, out, sizeof out, "audit", "head",
                        "--receipts", rcpt, NULL), 64, "%s", out);
    cr_assert_eq(hx_ctl(NULL, db, NULL, 1, out, sizeof out, "audit",
                        "verify", "--receipts", rcpt, NULL), 66, "%s", out);
    const char bad[] = "position,head\n3,0123\n";
    hx_write(rcpt, bad, strlen(bad));
    cr_assert_eq(hx_ctl(NULL, db, NULL, 1, out, sizeof out, "audit",
                        "verify", "--receipts", rcpt, NULL), 65, "%s", out);
    char want[512];
    snprintf(want, sizeof want, "hrssctl: %s:2: head: '0123' is not 64 "
             "lowercase hex digits\n", rcpt);
    cr_assert_str_eq(out, want);
    /* An empty store: an empty chain, sound. */
    cr_assert_eq(hx_ctl(NULL, db, NULL, 1, out, sizeof out, "audit",
                        "verify", NULL), 0, "%s", out);
    cr_assert_str_eq(out, "audit verify: sound: position 0, head "
                          "0000000000000000000000000000000000000000000000000"
                          "000000000000000; 0 records, 0 facts, 0 receipts "
                          "checked\n");
}

/* Someone with the file edits one byte of an accepted figure and fixes
 * its checksum: `hrssctl audit verify` names that record, exit 2. */
Test(audit_chain, a_figure_edited_in_the_file_is_named_by_audit_verify)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, log);
    peer_t p;
    peer_connect(&p, coll.ingest);
    hello(&p);
    char h[65];
    cr_assert_eq(send_two(&p, 1, 100, h), 2);
    peer_close(&p);
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);

    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi audit;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 32);
    cr_assert_eq(mdb_env_open(env, db, MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "audit", 0, &audit), 0);
    buf_t kb;
    buf_t rec;
    buf_init(&kb);
    buf_init(&rec);
    lmdbh_id_key(&kb, 0x01, 2);
    MDB_val k = lmdbh_val(&kb);
    MDB_val d;
    cr_assert_eq(mdb_get(txn, audit, &k, &d), 0);
    buf_put(&rec, d.mv_data, d.mv_size - LMDBH_SEAL_LEN);
    rec.data[rec.len - 1] ^= 0x02; /* 101 -> 103 */
    lmdbh_seal(&rec, &k);
    MDB_val v = lmdbh_val(&rec);
    cr_assert_eq(mdb_put(txn, audit, &k, &v, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    buf_fini(&kb);
    buf_fini(&rec);

    static char out[4096];
    int st = hx_ctl(NULL, db, NULL, 1, out, sizeof out, "audit", "verify",
                    "--tz-offset-hours", "0", NULL);
    cr_assert_eq(st, 2, "%s", out);
    char *nl = strchr(out, '\n');
    cr_assert_not_null(nl);
    *nl = '\0';
    cr_assert(strncmp(out, "audit verify: chain position 2 (audit record 2: "
                           "城镇新增就业人数 330102 2025-02, from " OFFICE
                           " at ", strlen("audit verify: chain position 2 "
                                          "(audit record 2: 城镇新增就业人数 "
                                          "330102 2025-02, from " OFFICE
                                          " at ")) == 0,
              "%s", out);
    cr_assert(strstr(out, "+00:00): hash does not match") != NULL, "%s",
              out);
}
