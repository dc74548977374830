/* collector.c: ingest agents' batches with group commit; serve queries.
 *
 * Ingest loop (main thread, ROUTER socket):
 *
 *     poll ──> drain a group of messages without blocking
 *               │  unpack + validate (wire), identify (identity)
 *               ▼
 *          store_apply(all batches)   one LMDB write transaction
 *               │  commit returned: everything below is durable
 *               ▼
 *          send one Ack per batch, then Welcome for hellos and pings
 *
 * Fairness: a group is what was waiting, but at most MAX_GROUP messages,
 * GROUP_PEER_MAX from one peer (routing id), GROUP_MAX_BYTES of payload
 * and GROUP_MAX_UPDATES updates; it closes after the message that
 * reaches a limit. ROUTER takes messages from its peers' pipes in turn,
 * so a peer that sent while another floods is served in the next group,
 * and a group holds at most a few of the flood's frames: a genuine
 * agent's ack waits for at most two groups, whatever one peer sends
 * (test_ingest measures it). Each connection is a peer to ROUTER, so a
 * flood over N connections delays others about N / GROUP_PEER_MAX groups.
 *
 * A message that cannot be taken (not an AgentMsg, malformed, an unknown
 * region) is answered too: ACK_MALFORMED with the reason, and the seqs of
 * the batch when they could be read (wire_agent_unpack_info); its sender
 * is known by its routing id, whatever it sent.
 *
 * Nothing is acknowledged before the transaction that holds it commits;
 * if the store cannot take a group (map full at its limit, I/O error),
 * every batch in it gets ACK_RETRY and the agents keep the data.
 *
 * Query thread (collector/qserve): its own ROUTER socket (bound by the
 * main thread, then handed over), answering each request with
 * query_answer() on the same store; LMDB readers never block the writer.
 *
 * Sessions: an agent is "connected" from its first message and
 * "disconnected" on Bye or after SESSION_IDLE seconds of silence (agents
 * ping every 60 s); both are logged once.
 *
 * Metrics (collector/cmetrics): the loop counts as it goes (messages
 * refused, batches and their updates by outcome, commit times, groups the
 * store refused and why, each agent's last contact and seqs) into live
 * counters only it touches; with --metrics it publishes them after each
 * group's replies and once a second, and the HTTP thread (common/httpd)
 * writes /metrics from the last snapshot. That thread never touches a
 * zmq socket, the store or the loop's state.
 *
 * Log lines a peer can cause at will (a bad message, a group the store
 * cannot take, a hello it cannot answer) are rate-limited by cause
 * (ratelog): the first is logged at once, the others within RATELOG_WINDOW
 * seconds are counted, and one line at the end of the window, or at the
 * stop, gives the latest with "(N more like this in the last minute)".
 * A flood thus costs one line a minute a cause, and nothing is hidden.
 *
 * INVARIANTS
 *   1. An Ack for a batch is sent only after store_apply() returned ERR_OK
 *      for the group containing it.
 *   2. Each zmq socket is used by one thread only.
 *   3. Unpacked messages live until the replies that borrow from them are
 *      sent.
 *   4. Every message received gets exactly one answer, but a valid Bye:
 *      an Ack for a batch, a Welcome for a hello or a ping (none when the
 *      store cannot say its next seq: the agent's hello times out and it
 *      backs off), and ACK_UNAUTHORIZED or ACK_MALFORMED for anything
 *      that could not be taken. Answers are
 *      sent with ZMQ_DONTWAIT and at most INGEST_HWM are queued for a
 *      peer: one that keeps more messages than that unanswered (an agent
 *      keeps at most 5) may lose answers beyond it; it never stalls the
 *      loop.
 *   5. The metrics snapshot is published only between groups, after the
 *      replies of the last one: a scrape never sees half a group.
 */
#include "collector/collector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "collector/auth.h"
#include "collector/cmetrics.h"
#include "collector/dryrun.h"
#include "collector/identity.h"
#include "collector/lists.h"
#include "collector/qserve.h"
#include "collector/ranges.h"
#include "collector/ratelog.h"
#include "collector/replays.h"
#include "collector/sockets.h"
#include "common/buf.h"
#include "common/catalog.h"
#include "common/httpd.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/metrics.h"
#include "common/mono.h"
#include "common/period.h"
#include "common/pidlock.h"
#include "common/sigwake.h"
#include "common/wire.h"
#include "store/store.h"

#define MAX_GROUP 256
#define GROUP_PEER_MAX 16     /* an agent has at most 4 batches in flight */
#define GROUP_MAX_BYTES (1 << 20)
#define GROUP_MAX_UPDATES 8192
#define SESSION_IDLE 180
#define MAX_SESSIONS 4096
/* Messages queued per peer on the ingest socket, each way. An agent has
 * at most 4 batches and a ping in flight; beyond that a peer's frames
 * wait in its own TCP connection, not in our memory: at most 32 *
 * WIRE_MAX_AGENT_FRAME = 7 MB in and 32 * WIRE_MAX_COLLECTOR_FRAME =
 * 20 MB of answers out a connection (10,000 let one flooding connection
 * take 2.1 GB). The answers queued for a peer never outnumber its
 * messages unanswered, so only a peer with more than 32 of those can
 * lose answers (INVARIANT 4). */
#define INGEST_HWM 32

/* An Ack never exceeds what an agent takes (WIRE_MAX_COLLECTOR_MSG): its
 * rejection messages come from the store, its message from an err[]. */
_Static_assert(STORE_MSG_LEN - 1 <= WIRE_REJECTION_MSG_MAX,
               "a rejection's message fits the wire's limit");
_Static_assert(ERR_LEN - 1 <= WIRE_ACK_MSG_MAX,
               "an Ack's message fits the wire's limit");

typedef struct session {
    char name[WIRE_NAME_MAX + 1];
    uint32_t region;
    time_t last_seen;
    int agent;               /* its index in c->metrics, or -1 */
} session_t;

/* One received message of a group. */
typedef struct entry {
    zmq_msg_t rid;           /* routing id frame */
    size_t size;             /* bytes of its other frames */
    Hrss__AgentMsg *msg;     /* NULL when it failed to parse */
    wire_agent_info_t info;  /* what could be read of it, also when bad */
    char err[ERR_LEN];
    identity_t who;
    int ok;                  /* parsed and identified */
    int denied;              /* identified as a key no longer listed */
    size_t batch;            /* index into batches[] for a batch */
    int agent;               /* its sender in c->metrics, or -1 */
} entry_t;

typedef struct coll {
    const collector_cfg_t *cfg;
    catalog_t *cat;
    store_t *store;
    identity_ctx_t *ident;
    auth_t *auth;             /* CURVE: the key lists; NULL in plain mode */
    store_ranges_t *ranges;   /* --ranges, or NULL (store_set_ranges) */
    keys_pair_t key;          /* CURVE: the collector's own key */
    void *zctx;
    void *ingest;
    void *query;
    qserve_t *qserve;
    cmetrics_t *metrics;      /* counted always; served with --metrics */
    httpd_t *httpd;           /* --metrics: the /metrics server, or NULL */
    session_t *sessions;
    size_t n_sessions;
    unsigned long batches_total;
    unsigned long updates_total;
    ratelog_t rl[CAUSE_N];
    entry_t *ent;             /* one ingest group: MAX_GROUP entries */
    store_batch_t *batches;   /* its batches, nb of them */
    store_result_t *results;
    size_t nb;
    int lock_fd;              /* DATA_DIR/collector.lock, held; or -1 */
} coll_t;

/* ---------------------------------------------------------------------- */
/* sessions                                                                */

/* A message from agent @p name: open its session or note the time.
 * @return its index in c->metrics (-1: not tracked). */
static int session_touch(coll_t *c, const char *name, uint32_t region,
                         time_t now)
{
    for (size_t i = 0; i < c->n_sessions; i++) {
        if (strcmp(c->sessions[i].name, name) == 0) {
            c->sessions[i].last_seen = now;
            if (c->sessions[i].region == 0) {
                c->sessions[i].region = region;
            }
            cmetrics_agent_seen(c->metrics, c->sessions[i].agent, now);
            return c->sessions[i].agent;
        }
    }
    int agent = cmetrics_agent(c->metrics, name, region);
    cmetrics_agent_seen(c->metrics, agent, now);
    if (c->n_sessions == MAX_SESSIONS) {
        return agent;
    }
    session_t *s = &c->sessions[c->n_sessions++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->region = region;
    s->last_seen = now;
    s->agent = agent;
    if (region != 0) {
        log_info("agent %s (region %u) connected", name, region);
    } else {
        log_info("agent %s connected", name);
    }
    return agent;
}

static void session_drop(coll_t *c, size_t i, const char *why)
{
    log_info("agent %s disconnected (%s)", c->sessions[i].name, why);
    cmetrics_agent_down(c->metrics, c->sessions[i].agent);
    c->sessions[i] = c->sessions[--c->n_sessions];
}

static void session_bye(coll_t *c, const char *name)
{
    for (size_t i = 0; i < c->n_sessions; i++) {
        if (strcmp(c->sessions[i].name, name) == 0) {
            session_drop(c, i, "said goodbye");
            return;
        }
    }
}

static void sessions_expire(coll_t *c, time_t now)
{
    for (size_t i = 0; i < c->n_sessions;) {
        if (now - c->sessions[i].last_seen > SESSION_IDLE) {
            session_drop(c, i, "silent for 3 minutes");
        } else {
            i++;
        }
    }
}

/* ---------------------------------------------------------------------- */
/* ingest                                                                  */

/* Send the packed message in @p out to @p rid. */
static void send_packed(coll_t *c, zmq_msg_t *rid, const buf_t *out)
{
    if (zmq_send(c->ingest, zmq_msg_data(rid), zmq_msg_size(rid),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        return; /* peer gone (ROUTER_MANDATORY): it will resend */
    }
    zmq_send(c->ingest, out->data, out->len, ZMQ_DONTWAIT);
}

static void send_reply(coll_t *c, zmq_msg_t *rid, const ProtobufCMessage *m,
                       buf_t *out)
{
    wire_pack(m, out);
    send_packed(c, rid, out);
}

/* Receive one [routing id][payload] message without blocking.
 * @return 1 when a message was taken, 0 when none is waiting. */
static int recv_entry(coll_t *c, entry_t *e)
{
    zmq_msg_t payload;
    memset(e, 0, sizeof *e);
    zmq_msg_init(&e->rid);
    if (zmq_msg_recv(&e->rid, c->ingest, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&e->rid);
        return 0;
    }
    zmq_msg_init(&payload);
    int frames = 1;
    int more = zmq_msg_more(&e->rid);
    while (more) {
        zmq_msg_close(&payload);
        zmq_msg_init(&payload);
        if (zmq_msg_recv(&payload, c->ingest, 0) < 0) {
            break;
        }
        frames++;
        e->size += zmq_msg_size(&payload);
        more = zmq_msg_more(&payload);
    }
    if (frames != 2) {
        snprintf(e->err, sizeof e->err, "%d frames, expected 2", frames);
    } else if (wire_agent_unpack_info(zmq_msg_data(&payload),
                                      zmq_msg_size(&payload), &e->msg,
                                      &e->info, e->err) == ERR_OK) {
        const char *name = NULL;
        uint32_t region = 0;
        switch (e->msg->body_case) {
        case HRSS__AGENT_MSG__BODY_HELLO:
            name = e->msg->hello->name;
            region = e->msg->hello->region;
            break;
        case HRSS__AGENT_MSG__BODY_BATCH:
            name = e->msg->batch->name;
            region = e->msg->batch->region;
            break;
        case HRSS__AGENT_MSG__BODY_DRY_RUN:
            name = e->msg->dry_run->name;
            region = e->msg->dry_run->region;
            break;
        case HRSS__AGENT_MSG__BODY_PING:
            name = e->msg->ping->name;
            break;
        case HRSS__AGENT_MSG__BODY_BYE:
            name = e->msg->bye->name;
            break;
        default:
            break;
        }
        /* The payload frame carries the connection's ZAP User-Id. */
        int rc = identity_resolve(
            c->ident, &payload, name, region,
            e->msg->body_case == HRSS__AGENT_MSG__BODY_BATCH ||
                e->msg->body_case == HRSS__AGENT_MSG__BODY_DRY_RUN,
            &e->who, e->err);
        e->ok = rc == ERR_OK;
        e->denied = rc == ERR_DENIED;
    }
    zmq_msg_close(&payload);
    return 1;
}

static void entry_fini(entry_t *e)
{
    if (e->msg != NULL) {
        hrss__agent_msg__free_unpacked(e->msg, NULL);
    }
    zmq_msg_close(&e->rid);
}

/* What the agent is told about a batch the store took. */
static enum wire_ack ack_of(enum store_batch_status st)
{
    switch (st) {
    case STORE_BATCH_OK: return WIRE_ACK_OK;
    case STORE_BATCH_GAP: return WIRE_ACK_GAP;
    case STORE_BATCH_MALFORMED: return WIRE_ACK_MALFORMED;
    }
    return WIRE_ACK_MALFORMED;
}

/* Answer a message that could not be taken (INVARIANT 4): its key is
 * not listed (any more), or it is malformed. */
static void send_refused(coll_t *c, entry_t *e, buf_t *out)
{
    Hrss__Ack ack = HRSS__ACK__INIT;
    Hrss__CollectorMsg m = HRSS__COLLECTOR_MSG__INIT;
    ack.status = wire_ack_to_proto(e->denied ? WIRE_ACK_UNAUTHORIZED
                                             : WIRE_ACK_MALFORMED);
    ack.first_seq = e->info.first_seq;
    ack.last_seq = e->info.last_seq;
    ack.message = e->err;
    m.body_case = HRSS__COLLECTOR_MSG__BODY_ACK;
    m.ack = &ack;
    send_reply(c, &e->rid, &m.base, out);
}

/* Answer a batch that was taken: @p stored says whether its group
 * committed (else ACK_RETRY with @p why). */
static void send_ack(coll_t *c, entry_t *e, const store_result_t *r,
                     int stored, const char *why, buf_t *out)
{
    Hrss__Ack ack = HRSS__ACK__INIT;
    Hrss__CollectorMsg m = HRSS__COLLECTOR_MSG__INIT;
    ack.first_seq = e->info.first_seq;
    ack.last_seq = e->info.last_seq;
    replays_ack_t ra = {0};
    if (!stored) {
        ack.status = wire_ack_to_proto(WIRE_ACK_RETRY);
        ack.message = (char *)(uintptr_t)why;
    } else {
        ack.status = wire_ack_to_proto(ack_of(r->status));
        ack.next_seq = r->next_seq;
        if (r->status == STORE_BATCH_OK) {
            /* The audit chain after the commit: the agent's receipt. */
            ack.has_audit_position = 1;
            ack.audit_position = r->audit_position;
            ack.has_audit_head = 1;
            ack.audit_head.len = STORE_HASH_LEN;
            ack.audit_head.data = (uint8_t *)(uintptr_t)r->audit_head;
        }
        if (r->status == STORE_BATCH_MALFORMED) {
            /* The wire checks both first; kept for a store that would. */
            ack.message = (char *)"refused by the store: invalid reporter "
                                  "id or seqs not consecutive";
        }
        /* Every rejection, the replayed seqs' kept ones first. */
        replays_ack(c->store, e->who.reporter, e->info.first_seq, r, &ra);
        if (ra.err[0] != '\0') {
            ratelog(c->rl, CAUSE_STORE_FAILED, time(NULL),
                    "replayed outcomes of %s unknown: %s", e->who.reporter,
                    ra.err);
        }
        ack.n_rejections = ra.n;
        ack.rejections = ra.rejp;
    }
    m.body_case = HRSS__COLLECTOR_MSG__BODY_ACK;
    m.ack = &ack;
    send_reply(c, &e->rid, &m.base, out);
    replays_ack_fini(&ra);
}

static void send_welcome(coll_t *c, entry_t *e, time_t now, buf_t *out)
{
    char err[ERR_LEN];
    uint64_t next = 0;
    if (store_next_seq(c->store, e->who.reporter, &next, err) != ERR_OK) {
        ratelog(c->rl, CAUSE_WELCOME, now, "cannot answer agent %s: %s",
                e->who.reporter, err);
        return;
    }
    cmetrics_agent_next(c->metrics, e->agent, next);
    Hrss__Welcome w = HRSS__WELCOME__INIT;
    Hrss__CollectorMsg m = HRSS__COLLECTOR_MSG__INIT;
    w.next_seq = next;
    m.body_case = HRSS__COLLECTOR_MSG__BODY_WELCOME;
    m.welcome = &w;
    send_reply(c, &e->rid, &m.base, out);
}

/* The store batch of entry @p e (a Batch from an identified sender). */
static void add_batch(coll_t *c, entry_t *e, time_t now, int32_t cur_month)
{
    const Hrss__Batch *b = e->msg->batch;
    update_t *u = xcalloc(b->n_updates ? b->n_updates : 1, sizeof *u);
    for (size_t i = 0; i < b->n_updates; i++) {
        wire_update_get(b->updates[i], &u[i]);
    }
    store_batch_t *sb = &c->batches[c->nb];
    sb->reporter = e->who.reporter;
    sb->home = e->who.region;
    sb->allowed = e->who.allowed;
    sb->received_at = (int64_t)now;
    sb->current_month = cur_month;
    sb->updates = u;
    sb->n_updates = b->n_updates;
    e->batch = c->nb++;
}

/* How many of the first @p n entries of the group came from the peer of
 * entry n - 1 (itself included). */
static size_t from_same_peer(coll_t *c, size_t n)
{
    zmq_msg_t *rid = &c->ent[n - 1].rid;
    size_t len = zmq_msg_size(rid);
    size_t same = 0;
    for (size_t i = 0; i < n; i++) {
        zmq_msg_t *r = &c->ent[i].rid;
        if (zmq_msg_size(r) == len &&
            memcmp(zmq_msg_data(r), zmq_msg_data(rid), len) == 0) {
            same++;
        }
    }
    return same;
}

/* Receive a group of what is waiting into c->ent, and the batches among
 * them into c->batches: it closes after the message that reaches one of
 * the group limits (fairness, above). @return how many. */
static size_t take_group(coll_t *c, time_t now)
{
    size_t n = 0;
    size_t bytes = 0;
    size_t updates = 0;
    int32_t cur_month = month_from_time(now, c->cfg->tz_offset);
    c->nb = 0;
    while (n < MAX_GROUP && recv_entry(c, &c->ent[n])) {
        entry_t *e = &c->ent[n++];
        bytes += e->size;
        e->agent = -1;
        if (e->msg == NULL || !e->ok) {
            ratelog(c->rl, CAUSE_BAD_MESSAGE, now, "bad ingest message: %s",
                    e->err);
            cmetrics_refused(c->metrics, e->denied);
        } else {
            e->agent = session_touch(
                c, e->who.reporter,
                e->who.region >= 0
                    ? catalog_region(c->cat, (size_t)e->who.region)->code
                    : 0,
                now);
            if (e->msg->body_case == HRSS__AGENT_MSG__BODY_BATCH) {
                add_batch(c, e, now, cur_month);
                updates += e->msg->batch->n_updates;
                cmetrics_agent_sent(c->metrics, e->agent, e->info.last_seq);
            }
        }
        if (bytes >= GROUP_MAX_BYTES || updates >= GROUP_MAX_UPDATES ||
            from_same_peer(c, n) >= GROUP_PEER_MAX) {
            break;
        }
    }
    return n;
}

/* Answer the @p n entries of the group; @p stored says whether the
 * group's transaction committed (INVARIANT 1: acks follow the commit). */
static void reply_group(coll_t *c, size_t n, int stored, const char *why,
                        time_t now, buf_t *out)
{
    for (size_t i = 0; i < n; i++) {
        entry_t *e = &c->ent[i];
        if (e->msg == NULL || !e->ok) {
            send_refused(c, e, out);
            continue;
        }
        switch (e->msg->body_case) {
        case HRSS__AGENT_MSG__BODY_BATCH:
            send_ack(c, e, stored ? &c->results[e->batch] : NULL, stored,
                     why, out);
            if (stored) {
                c->batches_total++;
                c->updates_total += c->results[e->batch].applied;
                cmetrics_batch(c->metrics, e->agent,
                               &c->results[e->batch]);
            }
            break;
        case HRSS__AGENT_MSG__BODY_HELLO:
        case HRSS__AGENT_MSG__BODY_PING:
            send_welcome(c, e, now, out);
            break;
        case HRSS__AGENT_MSG__BODY_BYE:
            session_bye(c, e->who.reporter);
            break;
        case HRSS__AGENT_MSG__BODY_DRY_RUN: /* after the group's commit */
            dryrun_answer(c->store, &e->who, (int64_t)now,
                          month_from_time(now, c->cfg->tz_offset),
                          e->msg->dry_run, out);
            send_packed(c, &e->rid, out);
            break;
        default:
            break;
        }
    }
}

/* The store's size into the metrics (after a commit, once a second). */
static void note_space(coll_t *c)
{
    char err[ERR_LEN];
    store_space_t sp;
    if (store_space(c->store, &sp, err) == ERR_OK) {
        cmetrics_space(c->metrics, &sp);
    }
}

/* Apply the group's batches in one transaction (none: nothing to do).
 * @return 1 when stored, 0 when the store could not take them (@p err
 * says why). */
static int commit_group(coll_t *c, time_t now, char err[ERR_LEN])
{
    if (c->nb == 0) {
        return 1;
    }
    log_debug("committing %zu batches in one transaction", c->nb);
    double t0 = mono_s();
    int rc = store_apply(c->store, c->batches, c->nb, c->results, err);
    if (rc == ERR_OK) {
        cmetrics_commit(c->metrics, mono_s() - t0);
        note_space(c);
        return 1;
    }
    ratelog(c->rl, CAUSE_STORE_FAILED, now,
            "cannot store %zu batches (agents will retry): %s", c->nb, err);
    enum cmetrics_failure why = CMETRICS_OTHER;
    if (strstr(err, "disk full") != NULL) { /* lmdbh_fail's words */
        why = CMETRICS_DISK_FULL;
    } else if (rc == ERR_FULL) {
        why = CMETRICS_MAP_FULL;
    }
    cmetrics_store_failed(c->metrics, why, c->nb);
    return 0;
}

/* Take what is waiting (up to MAX_GROUP), commit it as one transaction,
 * then reply. */
static void ingest_group(coll_t *c, buf_t *out)
{
    time_t now = time(NULL) + c->cfg->clock_offset;
    size_t n = take_group(c, now);
    if (n == 0) {
        return;
    }
    char err[ERR_LEN] = "";
    int stored = commit_group(c, now, err);
    /* The agents' operators see this: say what the collector's must fix
     * when it is the disk, without the collector's paths. */
    reply_group(c, n, stored,
                strstr(err, "disk full") != NULL
                    ? "the collector cannot store data now (its disk is "
                      "full); retry later"
                    : "the collector cannot store data now; retry later",
                now, out);
    for (size_t i = 0; i < c->nb; i++) {
        free((void *)(uintptr_t)c->batches[i].updates);
        if (stored) {
            store_result_fini(&c->results[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        entry_fini(&c->ent[i]);
    }
    if (c->httpd != NULL) {
        cmetrics_sessions(c->metrics, c->n_sessions);
        cmetrics_publish(c->metrics); /* the group's replies are sent */
    }
}

/* ---------------------------------------------------------------------- */
/* start and stop                                                          */

/* The ingest socket's own options (sockets_bind_router's prepare): a frame
 * limit from the largest legal agent message, CurveZMQ's margin
 * included, and INGEST_HWM messages queued a peer each way. */
static void ingest_prepare(void *sock)
{
    int64_t maxmsg = WIRE_MAX_AGENT_FRAME;
    int hwm = INGEST_HWM;
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
}

static void coll_close(coll_t *c)
{
    httpd_stop(&c->httpd); /* first: its thread reads c->metrics */
    qserve_stop(&c->qserve);
    if (c->query != NULL) {
        zmq_close(c->query);
    }
    if (c->ingest != NULL) {
        zmq_close(c->ingest);
    }
    if (c->zctx != NULL) {
        /* The ZAP handler's receive ends with ETERM (LIBRARY-NOTES:
         * closing its socket from here would abort inside libzmq). */
        zmq_ctx_shutdown(c->zctx);
        if (c->auth != NULL) {
            auth_zap_stop(c->auth);
        }
        zmq_ctx_term(c->zctx);
    }
    identity_destroy(&c->ident);
    auth_destroy(&c->auth);
    store_close(&c->store);
    ranges_destroy(&c->ranges);
    if (c->lock_fd >= 0) {
        close(c->lock_fd); /* after the store: the lock covers it */
        c->lock_fd = -1;
    }
    catalog_destroy(&c->cat);
    cmetrics_destroy(&c->metrics);
    free(c->sessions);
    free(c->ent);
    free(c->batches);
    free(c->results);
}

/* One collector per data directory: a second one would share the store
 * and overwrite DATA_DIR/endpoints. The directory is made here when
 * missing, as the store would. @return 0, or -1 after logging why. */
static int lock_data_dir(coll_t *c)
{
    const char *dir = c->cfg->data_dir;
    char path[4200];
    char err[ERR_LEN];
    long holder = 0;
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        log_err("cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/collector.lock", dir);
    int got = pidlock_take(path, 0, NULL, &c->lock_fd, &holder, err);
    if (got < 0) {
        log_err("%s", err);
        return -1;
    }
    if (got == 0) {
        if (holder > 0) {
            log_err("%s is in use by another collector (pid %ld); one "
                    "collector per data directory", dir, holder);
        } else {
            log_err("%s is in use by another collector; one collector "
                    "per data directory", dir);
        }
        return -1;
    }
    return 0;
}

/* --metrics: serve the page from c->metrics. Started before zmq's
 * threads exist, so that no other thread opens descriptors while
 * common/httpd starts (httpd.h). @return 0, or -1 after logging why. */
static int start_metrics(coll_t *c)
{
    char err[ERR_LEN];
    httpd_addr_t addr;
    if (c->cfg->metrics == NULL) {
        return 0;
    }
    if (httpd_addr_parse(c->cfg->metrics, &addr, err) != ERR_OK ||
        httpd_start(&c->httpd, &addr, "/metrics", METRICS_CONTENT_TYPE,
                    cmetrics_page, c->metrics, err) != ERR_OK) {
        log_err("--metrics: %s", err);
        return -1;
    }
    note_space(c);
    cmetrics_publish(c->metrics);
    log_info("metrics at %s", httpd_url(c->httpd));
    return 0;
}

/* Load the catalog, open the store, start the metrics server, bind both
 * sockets, start the query thread. On failure the reason is logged and
 * @p c is left for coll_close(). @return 0 or -1. */
static int coll_open(coll_t *c)
{
    const collector_cfg_t *cfg = c->cfg;
    char err[ERR_LEN];
    if (catalog_load_dir(&c->cat, cfg->catalog_dir, err) != ERR_OK) {
        log_err("catalog: %s", err);
        return -1;
    }
    if (lists_open(c->cfg, c->cat, &c->key, &c->auth) != 0) {
        return -1;
    }
    if (identity_new(&c->ident, c->cat, c->auth, err) != ERR_OK) {
        log_err("%s", err);
        return -1;
    }
    if (lock_data_dir(c) != 0) {
        return -1;
    }
    store_opts_t so = {.map_max = cfg->map_max,
                       .max_rejections = cfg->max_rejections};
    if (store_open(&c->store, cfg->data_dir, c->cat, &so, err) != ERR_OK) {
        log_err("store: %s", err);
        return -1;
    }
    if (store_upgraded_from(c->store) != 0) {
        log_info("store: upgraded %s/data.mdb from format %u to %u",
                 cfg->data_dir, store_upgraded_from(c->store), STORE_FORMAT);
    }
    store_set_lock_after(c->store, cfg->lock_after_days);
    if (cfg->clock_offset != 0) {
        log_warn("the clock of receipt is moved by %ld s "
                 "(HRSS_CLOCK_OFFSET_S): for demos and tests only",
                 cfg->clock_offset);
    }
    if (cfg->lock_after_days > 0) {
        log_info("store: a month locks %d days after its deadline",
                 cfg->lock_after_days);
    }
    if (lists_load_ranges(c->cfg, c->cat, c->store, &c->ranges) != 0 ||
        start_metrics(c) != 0) {
        return -1;
    }
    c->zctx = zmq_ctx_new();
    /* The ZAP handler first: a CURVE server without one admits every key
     * (LIBRARY-NOTES). */
    if (c->auth != NULL && auth_zap_start(c->auth, c->zctx, err) != ERR_OK) {
        log_err("%s", err);
        return -1;
    }
    const keys_pair_t *key = c->auth != NULL ? &c->key : NULL;
    c->ingest = sockets_bind_router(c->zctx, cfg->ingest, 1, key,
                            AUTH_DOMAIN_INGEST, cfg->heartbeat_ms,
                            ingest_prepare);
    c->query = c->ingest != NULL
                   ? sockets_bind_router(c->zctx, cfg->query, 0, key,
                                 AUTH_DOMAIN_QUERY, cfg->heartbeat_ms,
                                 qserve_prepare)
                   : NULL;
    if (c->query == NULL) {
        return -1;
    }
    char ing[256];
    char qry[256];
    sockets_last_endpoint(c->ingest, ing, sizeof ing);
    sockets_last_endpoint(c->query, qry, sizeof qry);
    sockets_write_endpoints(cfg->data_dir, ing, qry,
                    c->httpd != NULL ? httpd_url(c->httpd) : NULL);
    qserve_opts_t qo = {.backup_dir = cfg->backup_dir, .auth = c->auth};
    if (qserve_start(&c->qserve, c->zctx, c->query, c->store, &qo) !=
        ERR_OK) {
        log_err("cannot start the query thread");
        return -1;
    }
    c->query = NULL; /* the query thread's now (INVARIANT 2) */
    c->sessions = xcalloc(MAX_SESSIONS, sizeof *c->sessions);
    c->ent = xcalloc(MAX_GROUP, sizeof *c->ent);
    c->batches = xcalloc(MAX_GROUP, sizeof *c->batches);
    c->results = xcalloc(MAX_GROUP, sizeof *c->results);
    log_info("started: data %s, ingest %s, query %s, %zu indicators, %zu "
             "regions, %s",
             cfg->data_dir, ing, qry, catalog_indicator_count(c->cat),
             catalog_region_count(c->cat),
             cfg->insecure ? "plain mode (--insecure: no authentication)"
                           : "authenticated");
    return 0;
}

/* Once a second with --metrics: what changes without a group (sessions
 * that expired, the query service, the store grown by another process),
 * then publish. */
static void publish_metrics(coll_t *c)
{
    if (c->httpd == NULL) {
        return;
    }
    qserve_stats_t q;
    qserve_stats(c->qserve, &q);
    cmetrics_queries(c->metrics, &q);
    cmetrics_sessions(c->metrics, c->n_sessions);
    note_space(c);
    cmetrics_publish(c->metrics);
}

int collector_run(const collector_cfg_t *cfg, volatile sig_atomic_t *stop)
{
    coll_t c;
    memset(&c, 0, sizeof c);
    c.cfg = cfg;
    c.lock_fd = -1;
    c.metrics = cmetrics_new(time(NULL));
    int status = 1;
    buf_t out;
    buf_init(&out);

    /* Its threads start with the signals blocked: handlers run here. */
    sigwake_block(1);
    int opened = coll_open(&c);
    sigwake_block(0);
    if (opened != 0) {
        goto out;
    }
    zmq_pollitem_t items[2] = {{c.ingest, 0, ZMQ_POLLIN, 0},
                               {NULL, cfg->wake_fd, ZMQ_POLLIN, 0}};
    time_t last_house = time(NULL);
    status = 0;
    while (!*stop) {
        int n = zmq_poll(items, cfg->wake_fd >= 0 ? 2 : 1, 1000);
        if (n < 0 && zmq_errno() != EINTR) {
            log_err("poll: %s", zmq_strerror(zmq_errno()));
            status = 1;
            break;
        }
        if (n > 0 && (items[0].revents & ZMQ_POLLIN)) {
            ingest_group(&c, &out);
        }
        if (n > 0 && cfg->wake_fd >= 0 && (items[1].revents & ZMQ_POLLIN)) {
            sigwake_drain();
        }
        if (cfg->reload != NULL && *cfg->reload) {
            *cfg->reload = 0;
            lists_reload(c.cfg, c.cat, c.store, c.auth, &c.ranges);
        }
        time_t now = time(NULL);
        if (now != last_house) {
            sessions_expire(&c, now);
            ratelog_tick(c.rl, now, 0);
            last_house = now;
            publish_metrics(&c);
        }
    }
    ratelog_tick(c.rl, time(NULL), 1);
    log_info("stopping: %lu batches, %lu updates applied since start",
             c.batches_total, c.updates_total);

out:
    coll_close(&c);
    buf_fini(&out);
    if (status == 0) {
        log_info("stopped");
    }
    return status;
}
