/* sender.c: the agent's event loop: spool -> collector, until acked.
 *
 * The rules of delivery (states, backoff, window, go-back-N, reconcile)
 * live in the pure state machine agent/delivery.c. This file owns what it
 * may not touch: the zmq context and DEALER socket, the spool, the clock,
 * the log, and the watch on the state directory (agent/watch.c). It feeds
 * the machine events and executes the actions it returns, in order:
 *
 *   one turn of sender_run():
 *     flush done? deadline passed?  -> return
 *     EV_WAKE    (reconnect when due, fill the window: SEND_BATCH ...)
 *     zmq_poll   (signal pipe, socket, inotify) until the machine's next
 *                timer, the deadline or the watch's next rescan
 *     watch      (take dropped inbox files)
 *     EV_WELCOME / EV_ACK for each message from the collector
 *     EV_TICK    (hello/ack/ping timeouts, ping when idle)
 *   on the way out: EV_STOP (Bye when READY, close)
 *
 *   action          executed by            result fed back
 *   CONNECT         connect_hello()        CONNECT_FAILED | SENT | SEND_FAILED
 *   SEND_BATCH      send_batch()           BATCH_SENT | NOTHING_QUEUED |
 *                                          SEND_FAILED
 *   SEND_PING       send_simple()          SENT | SEND_FAILED
 *   SEND_BYE        send_simple()          -
 *   CLOSE           zmq_close()            -
 *   SPOOL_ACK       spool_ack_info()       - (a failure ends the run)
 *   SPOOL_REBASE    spool_rebase()         - (a failure ends the run)
 *   NOTE            log_note()             -
 *
 * With run --metrics, the loop counts connections, batches sent and the
 * collector's answers, and at the top of each turn publishes them with
 * the spool's stats and the machine's state (agent/ametrics) for the
 * HTTP thread; nothing else of the loop is shared.
 *
 * The spool facts a collector message needs (spool_stats) are read just
 * before it is fed. The wire's ack status becomes the machine's in one
 * place, ack_status(), through common/wire.
 *
 * INVARIANTS
 *   1. The socket exists iff the machine's state != DOWN (delivery's
 *      invariant 4, mirrored here and asserted after each feed()).
 *   2. A result event is fed right after its action, before any other
 *      event (feed()).
 *   3. Nothing is deleted from the spool except by a SPOOL_ACK or
 *      SPOOL_REBASE action, which carries an N the collector sent.
 *   4. The borrowed parts of an event (rejections, the collector's
 *      message) outlive the execution of its actions.
 */
#include "agent/sender.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "agent/delivery.h"
#include "agent/watch.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mono.h"
#include "common/sigwake.h"
#include "common/wire.h"

/* How long a Bye may linger on the way out. */
#define BYE_LINGER_MS 500
/* ZeroMQ heartbeats to the collector: a PING this often; silence 3 times
 * as long drops the connection. */
#define SENDER_HEARTBEAT_MS 10000

typedef struct sender {
    const sender_opts_t *o;
    delivery_t *fsm;
    watch_t *watch;
    void *zctx;
    void *sock;
    spool_update_t *batch; /* DELIVERY_BATCH_MAX, for send_batch() */
    buf_t out;
    void *mon;             /* CURVE: events of sock's handshakes, or NULL */
    unsigned mon_seq;      /* names each monitor's inproc endpoint */
    int64_t refused_logged; /* when a refused key was last logged */
    ametrics_state_t ms;   /* what o->metrics shows (publish_metrics) */
    /* The ACK_OK being fed: its audit position and head go into the
     * receipts of what it acknowledges (NULL otherwise: a Welcome's
     * acknowledgement has none). Set and cleared by on_message(). */
    const spool_ackinfo_t *ackinfo;
} sender_t;

/* How often "the collector refused this office's key" is repeated. */
#define REFUSED_LOG_MS 600000

/* ------------------------------------------------------------ the wire */

/* The collector's verdict as the machine knows it (common/wire maps the
 * numbers). A status this agent does not know is a refusal, like
 * MALFORMED: resending would only be refused again. */
static enum wire_ack ack_status(Hrss__AckStatus st)
{
    enum wire_ack a = WIRE_ACK_MALFORMED;
    if (!wire_ack_from_proto(st, &a)) {
        a = WIRE_ACK_MALFORMED;
    }
    return a;
}

/* Without blocking: a full queue or no pipe is ERR_IO. */
static int send_msg(sender_t *s, const Hrss__AgentMsg *m)
{
    wire_pack(&m->base, &s->out);
    if (zmq_send(s->sock, s->out.data, s->out.len, ZMQ_DONTWAIT) < 0) {
        return ERR_IO;
    }
    return ERR_OK;
}

/* Close the socket and its monitor (if any). */
static void close_sock(sender_t *s)
{
    if (s->mon != NULL) {
        zmq_close(s->mon);
        s->mon = NULL;
    }
    if (s->sock != NULL) {
        zmq_close(s->sock);
        s->sock = NULL;
    }
}

/* CURVE: watch the new socket's handshakes, so that a key the collector
 * refuses is said in the log instead of looking like silence. */
static void monitor(sender_t *s)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://hrss-agent-monitor-%u", ++s->mon_seq);
    if (zmq_socket_monitor(s->sock, ep,
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0) {
        return;
    }
    s->mon = zmq_socket(s->zctx, ZMQ_PAIR);
    int linger = 0;
    if (s->mon != NULL) {
        zmq_setsockopt(s->mon, ZMQ_LINGER, &linger, sizeof linger);
    }
    if (s->mon != NULL && zmq_connect(s->mon, ep) != 0) {
        zmq_close(s->mon);
        s->mon = NULL;
    }
}

/* Read the monitor's events: [u16 event, u32 value][endpoint]. */
static void read_monitor(sender_t *s)
{
    while (s->mon != NULL) {
        zmq_msg_t ev;
        zmq_msg_t where;
        zmq_msg_init(&ev);
        zmq_msg_init(&where);
        if (zmq_msg_recv(&ev, s->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            zmq_msg_close(&where);
            return;
        }
        uint16_t event = 0;
        if (zmq_msg_size(&ev) >= 2) {
            memcpy(&event, zmq_msg_data(&ev), sizeof event);
        }
        if (zmq_msg_more(&ev)) {
            zmq_msg_recv(&where, s->mon, 0);
        }
        int64_t now = mono_ms();
        if (s->refused_logged == 0 || now - s->refused_logged >=
                                          REFUSED_LOG_MS) {
            s->refused_logged = now;
            if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
                log_err("the collector %s refused this office's key: its "
                        "public key is not in the collector's agents file "
                        "(send the .pub file to its operator)",
                        s->o->endpoint);
            } else {
                log_err("the CurveZMQ handshake with %s failed: is "
                        "--collector-key the collector's public key?",
                        s->o->endpoint);
            }
        }
        zmq_msg_close(&ev);
        zmq_msg_close(&where);
    }
}

/* CONNECT: a new DEALER to the collector, and Hello on it. */
static enum delivery_ev_kind connect_hello(sender_t *s)
{
    assert(s->sock == NULL);
    /* The context's first socket starts libzmq's threads: with the stop
     * signals blocked, so that they never run the handlers (sigwake). */
    sigwake_block(1);
    s->sock = zmq_socket(s->zctx, ZMQ_DEALER);
    sigwake_block(0);
    if (s->sock != NULL) {
        int linger = 0; /* a closed socket drops what its peer never got */
        int64_t maxmsg = WIRE_MAX_MSG;
        int ivl = 100;
        int ivl_max = 5000;
        zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
        zmq_setsockopt(s->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
        zmq_setsockopt(s->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max,
                       sizeof ivl_max);
        /* A collector gone silent (a partition, a frozen host) closes
         * this connection within SENDER_HEARTBEAT_MS * 3, on top of the
         * machine's own ack and ping timeouts. */
        int hb = SENDER_HEARTBEAT_MS;
        int hb_timeout = 3 * SENDER_HEARTBEAT_MS;
        zmq_setsockopt(s->sock, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
        zmq_setsockopt(s->sock, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout,
                       sizeof hb_timeout);
        if (s->o->key != NULL) {
            zmq_setsockopt(s->sock, ZMQ_CURVE_SERVERKEY, s->o->server_key,
                           KEYS_Z85_LEN - 1);
            zmq_setsockopt(s->sock, ZMQ_CURVE_PUBLICKEY,
                           s->o->key->public_key, KEYS_Z85_LEN - 1);
            zmq_setsockopt(s->sock, ZMQ_CURVE_SECRETKEY,
                           s->o->key->secret_key, KEYS_Z85_LEN - 1);
            monitor(s);
        }
    }
    if (s->sock == NULL || zmq_connect(s->sock, s->o->endpoint) != 0) {
        log_err("cannot connect to %s: %s", s->o->endpoint,
                zmq_strerror(zmq_errno()));
        close_sock(s);
        return DELIVERY_EV_CONNECT_FAILED;
    }
    Hrss__Hello h = HRSS__HELLO__INIT;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    h.version = WIRE_VERSION;
    h.name = (char *)(uintptr_t)s->o->name;
    h.region = s->o->region;
    m.body_case = HRSS__AGENT_MSG__BODY_HELLO;
    m.hello = &h;
    log_debug("hello to %s", s->o->endpoint);
    s->ms.connects++;
    return send_msg(s, &m) == ERR_OK ? DELIVERY_EV_SENT
                                     : DELIVERY_EV_SEND_FAILED;
}

/* SEND_PING and SEND_BYE: messages that carry only the agent's name. */
static enum delivery_ev_kind send_simple(sender_t *s,
                                         enum delivery_act_kind k)
{
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    Hrss__Ping p = HRSS__PING__INIT;
    Hrss__Bye b = HRSS__BYE__INIT;
    if (k == DELIVERY_ACT_SEND_PING) {
        p.name = (char *)(uintptr_t)s->o->name;
        m.body_case = HRSS__AGENT_MSG__BODY_PING;
        m.ping = &p;
    } else {
        assert(k == DELIVERY_ACT_SEND_BYE);
        b.name = (char *)(uintptr_t)s->o->name;
        m.body_case = HRSS__AGENT_MSG__BODY_BYE;
        m.bye = &b;
        int linger = BYE_LINGER_MS;
        zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger);
    }
    return send_msg(s, &m) == ERR_OK ? DELIVERY_EV_SENT
                                     : DELIVERY_EV_SEND_FAILED;
}

/* SEND_BATCH: read what is queued from @p sd->from and send it as one
 * Batch. Fills @p res with the result; fails only when the spool does. */
static int send_batch(sender_t *s, const delivery_send_t *sd,
                      delivery_event_t *res, char err[ERR_LEN])
{
    assert(sd->max <= DELIVERY_BATCH_MAX);
    size_t n = 0;
    int rc = spool_read(s->o->spool, sd->from, s->batch, sd->max, &n, err);
    if (rc != ERR_OK) {
        return rc;
    }
    if (n == 0) {
        res->kind = DELIVERY_EV_NOTHING_QUEUED;
        res->from = sd->from;
        return ERR_OK;
    }
    Hrss__Update *u = xcalloc(n, sizeof *u);
    Hrss__Update **up = xcalloc(n, sizeof *up);
    Hrss__Ratio *r = xcalloc(n, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        const spool_update_t *q = &s->batch[i];
        hrss__update__init(&u[i]);
        u[i].seq = q->seq;
        u[i].indicator = (char *)(uintptr_t)q->indicator;
        u[i].region = q->region;
        u[i].month = q->yyyymm;
        if (q->is_ratio) {
            hrss__ratio__init(&r[i]);
            r[i].numerator = q->num;
            r[i].denominator = q->den;
            u[i].value_case = HRSS__UPDATE__VALUE_RATIO;
            u[i].ratio = &r[i];
        } else {
            u[i].value_case = HRSS__UPDATE__VALUE_COUNT;
            u[i].count = q->num;
        }
        up[i] = &u[i];
    }
    Hrss__Batch b = HRSS__BATCH__INIT;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    b.name = (char *)(uintptr_t)s->o->name;
    b.region = s->o->region;
    b.n_updates = n;
    b.updates = up;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    if (send_msg(s, &m) == ERR_OK) {
        s->ms.batches_sent++;
        res->kind = DELIVERY_EV_BATCH_SENT;
        res->batch.first = s->batch[0].seq;
        res->batch.last = s->batch[n - 1].seq;
    } else {
        res->kind = DELIVERY_EV_SEND_FAILED;
    }
    free(u);
    free(up);
    free(r);
    return ERR_OK;
}

/* --------------------------------------------------- executing actions */

static const char *why_str(const delivery_note_t *n)
{
    switch (n->why) {
    case DELIVERY_WHY_HELLO_TIMEOUT:
        return "no answer to hello";
    case DELIVERY_WHY_ACK_TIMEOUT:
        return "no acknowledgement in time";
    case DELIVERY_WHY_PING_TIMEOUT:
        return "no answer to ping";
    case DELIVERY_WHY_RETRY:
        return n->text != NULL ? n->text : "collector asked to retry";
    case DELIVERY_WHY_NO_PIPE:
    default:
        return "lost the connection";
    }
}

static void log_note(const sender_t *s, const delivery_note_t *n)
{
    const char *ep = s->o->endpoint;
    switch (n->kind) {
    case DELIVERY_NOTE_DOWN:
        log_warn("collector %s: %s; retrying with backoff", ep, why_str(n));
        break;
    case DELIVERY_NOTE_STILL_DOWN:
        log_warn("collector %s still unreachable after %lld s", ep,
                 (long long)n->down_ms / 1000);
        break;
    case DELIVERY_NOTE_CONNECTED:
        log_info("connected to collector %s as %s, next seq %llu", ep,
                 s->o->name, (unsigned long long)n->next_seq);
        break;
    case DELIVERY_NOTE_RENUMBER:
        log_warn("collector expects seq %llu but this spool only reached "
                 "%llu (new or replaced state directory): renumbering %llu "
                 "queued update%s from %llu",
                 (unsigned long long)n->next_seq,
                 (unsigned long long)n->last_assigned,
                 (unsigned long long)n->queued, n->queued == 1 ? "" : "s",
                 (unsigned long long)n->next_seq);
        break;
    case DELIVERY_NOTE_LOST_DATA:
        log_err("collector expects seq %llu but it acknowledged up to %llu "
                "before: the collector lost data (restored from a backup?); "
                "updates %llu..%llu must be submitted again; renumbering "
                "the %llu queued update%s from %llu",
                (unsigned long long)n->next_seq,
                (unsigned long long)n->acked_next - 1,
                (unsigned long long)n->next_seq,
                (unsigned long long)n->acked_next - 1,
                (unsigned long long)n->queued, n->queued == 1 ? "" : "s",
                (unsigned long long)n->next_seq);
        break;
    case DELIVERY_NOTE_REJECTED:
        log_warn("collector rejected %llu update%s (see `hrss-agent "
                 "status`)",
                 (unsigned long long)n->count, n->count == 1 ? "" : "s");
        break;
    case DELIVERY_NOTE_REFUSED:
        log_err("collector refused batch %llu..%llu: %s",
                (unsigned long long)n->first, (unsigned long long)n->last,
                n->text != NULL ? n->text : "malformed");
        break;
    case DELIVERY_NOTE_BATCH_SENT:
        log_debug("sent batch %llu..%llu (%d in flight)",
                  (unsigned long long)n->first, (unsigned long long)n->last,
                  (int)n->count);
        break;
    }
}

/* Execute one action. A result-bearing one (always the last of its
 * event's) fills @p res and sets *more.
 * @return ERR_OK, or the spool's error (the run ends). */
static int execute(sender_t *s, const delivery_action_t *a,
                   delivery_event_t *res, bool *more, char err[ERR_LEN])
{
    int rc = ERR_OK;
    switch (a->kind) {
    case DELIVERY_ACT_CONNECT:
        res->kind = connect_hello(s);
        *more = true;
        break;
    case DELIVERY_ACT_CLOSE:
        close_sock(s);
        break;
    case DELIVERY_ACT_SEND_BATCH:
        rc = send_batch(s, &a->send, res, err);
        *more = rc == ERR_OK;
        break;
    case DELIVERY_ACT_SEND_PING:
        res->kind = send_simple(s, a->kind);
        *more = true;
        break;
    case DELIVERY_ACT_SEND_BYE:
        send_simple(s, a->kind);
        break;
    case DELIVERY_ACT_SPOOL_ACK: {
        spool_ackinfo_t unknown;
        memset(&unknown, 0, sizeof unknown);
        unknown.outcomes_unknown = 1;
        unknown.at = (int64_t)time(NULL);
        rc = spool_ack_info(s->o->spool, a->spool.next_seq,
                            a->spool.rejections, a->spool.n_rejections,
                            a->spool.outcomes_unknown ? &unknown
                                                      : s->ackinfo,
                            err);
        break;
    }
    case DELIVERY_ACT_SPOOL_REBASE:
        rc = spool_rebase(s->o->spool, a->spool.next_seq, err);
        break;
    case DELIVERY_ACT_NOTE:
        log_note(s, &a->note);
        break;
    }
    if (*more) {
        res->now = mono_ms();
    }
    return rc;
}

/* Hand @p ev to the machine and execute its actions; a result goes back
 * in at once, until no action asks for one (a window fills in one call).
 * @return ERR_OK, or a spool error: the remaining actions are dropped. */
static int feed(sender_t *s, const delivery_event_t *ev, char err[ERR_LEN])
{
    delivery_out_t out;
    delivery_event_t res;
    bool more = true;
    delivery_handle(s->fsm, ev, &out);
    while (more) {
        more = false;
        memset(&res, 0, sizeof res);
        for (size_t i = 0; i < out.n; i++) {
            int rc = execute(s, &out.act[i], &res, &more, err);
            if (rc != ERR_OK) {
                return rc;
            }
        }
        if (more) {
            delivery_handle(s->fsm, &res, &out);
        }
    }
    delivery_status_t st;
    delivery_status(s->fsm, &st);
    assert((s->sock != NULL) == (st.state != DELIVERY_DOWN));
    return ERR_OK;
}

static int feed_time(sender_t *s, enum delivery_ev_kind k, char err[ERR_LEN])
{
    delivery_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = k;
    ev.now = mono_ms();
    return feed(s, &ev, err);
}

/* ------------------------------------------------- messages from the wire */

static int read_facts(sender_t *s, delivery_spool_t *f, char err[ERR_LEN])
{
    spool_stats_t st;
    int rc = spool_stats(s->o->spool, &st, err);
    f->last_assigned = st.last_assigned;
    f->acked_next = st.acked_next;
    f->queued = st.queued;
    return rc;
}

/* @p r's reason name; when the collector sent none, its number's
 * (common/wire, common/update), "unknown" for REJ_NONE (an outcome the
 * collector no longer keeps), or "reason_N" for a number this agent does
 * not know. */
static void reason_name(const Hrss__Rejection *r, char *out, size_t cap)
{
    enum update_reason why = UPDATE_OK;
    if (r->reason_name[0] != '\0') {
        snprintf(out, cap, "%s", r->reason_name);
    } else if (r->reason == HRSS__REJECT_REASON__REJ_NONE) {
        snprintf(out, cap, "%s", SPOOL_OUTCOME_UNKNOWN);
    } else if (wire_reason_from_proto(r->reason, &why) && why != UPDATE_OK) {
        snprintf(out, cap, "%s", update_reason_name(why));
    } else {
        snprintf(out, cap, "reason_%u", (unsigned)r->reason);
    }
}

/* The collector's rejections as the spool records them; NULL when none.
 * Caller frees. */
static spool_rejection_t *rejections(const Hrss__Ack *a)
{
    if (a->n_rejections == 0) {
        return NULL;
    }
    spool_rejection_t *rj = xcalloc(a->n_rejections, sizeof *rj);
    for (size_t i = 0; i < a->n_rejections; i++) {
        rj[i].seq = a->rejections[i]->seq;
        rj[i].reason = a->rejections[i]->reason;
        reason_name(a->rejections[i], rj[i].reason_name,
                    sizeof rj[i].reason_name);
        snprintf(rj[i].message, sizeof rj[i].message, "%s",
                 a->rejections[i]->message);
        rj[i].at = (int64_t)time(NULL);
    }
    return rj;
}

/* What an Ack says beside its next_seq, for the receipts: its audit
 * position and head when it carries them (a head of another length than
 * 32 bytes is left out), and the time now. */
static void ack_info(const Hrss__Ack *a, spool_ackinfo_t *info)
{
    memset(info, 0, sizeof *info);
    info->has_position = a->has_audit_position;
    info->position = a->audit_position;
    info->has_head = a->has_audit_head &&
                     a->audit_head.len == sizeof info->head;
    if (info->has_head) {
        memcpy(info->head, a->audit_head.data, sizeof info->head);
    }
    info->at = (int64_t)time(NULL);
}

/* One validated message (wire_collector_unpack) into the machine. */
static int on_message(sender_t *s, const Hrss__CollectorMsg *m,
                      char err[ERR_LEN])
{
    int rc = ERR_OK;
    spool_rejection_t *rj = NULL;
    spool_ackinfo_t info;
    delivery_event_t ev;
    memset(&ev, 0, sizeof ev);
    if (m->body_case == HRSS__COLLECTOR_MSG__BODY_WELCOME) {
        ev.kind = DELIVERY_EV_WELCOME;
        ev.welcome.next_seq = m->welcome->next_seq;
        rc = read_facts(s, &ev.welcome.spool, err);
    } else {
        const Hrss__Ack *a = m->ack;
        log_debug("ack %d for %llu..%llu: next %llu", (int)a->status,
                  (unsigned long long)a->first_seq,
                  (unsigned long long)a->last_seq,
                  (unsigned long long)a->next_seq);
        ev.kind = DELIVERY_EV_ACK;
        ev.ack.status = ack_status(a->status);
        s->ms.acks[ev.ack.status]++;
        if (ev.ack.status == WIRE_ACK_OK) {
            s->ms.last_ack_at = (int64_t)time(NULL);
            ack_info(a, &info);
            s->ackinfo = &info;
        }
        ev.ack.next_seq = a->next_seq;
        ev.ack.first_seq = a->first_seq;
        ev.ack.last_seq = a->last_seq;
        ev.ack.message = a->message;
        rj = rejections(a);
        ev.ack.rejections = rj;
        ev.ack.n_rejections = rj != NULL ? a->n_rejections : 0;
        if (ev.ack.status == WIRE_ACK_GAP) {
            rc = read_facts(s, &ev.ack.spool, err);
        }
    }
    if (rc == ERR_OK) {
        ev.now = mono_ms();
        rc = feed(s, &ev, err); /* m, rj, info outlive the actions */
    }
    s->ackinfo = NULL;
    free(rj);
    return rc;
}

static int read_socket(sender_t *s, char err[ERR_LEN])
{
    while (s->sock != NULL) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, s->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return ERR_OK;
        }
        Hrss__CollectorMsg *m = NULL;
        char perr[ERR_LEN];
        int rc = ERR_OK;
        if (wire_collector_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg), &m,
                                  perr) != ERR_OK) {
            log_warn("bad message from the collector: %s", perr);
        } else {
            rc = on_message(s, m, err);
        }
        if (m != NULL) {
            hrss__collector_msg__free_unpacked(m, NULL);
        }
        zmq_msg_close(&msg);
        if (rc != ERR_OK) {
            return rc;
        }
    }
    return ERR_OK;
}

/* ------------------------------------------------------------- the loop */

/* With run --metrics: the spool and the machine as they are at the end
 * of this turn, for the HTTP thread (agent/ametrics). A spool that
 * cannot be read keeps the last figures: the run ends on its own error
 * elsewhere. */
static void publish_metrics(sender_t *s)
{
    if (s->o->metrics == NULL) {
        return;
    }
    char err[ERR_LEN];
    spool_stats_t st;
    if (spool_stats(s->o->spool, &st, err) == ERR_OK) {
        s->ms.spool = st;
    }
    delivery_status_t ds;
    delivery_status(s->fsm, &ds);
    s->ms.state = ds.state;
    ametrics_publish(s->o->metrics, &s->ms);
}

/* Whether the run is over before this turn: a flush with nothing left
 * (ERR_OK, or a spool error), or the deadline (ERR_TIMEOUT). */
static bool run_over(sender_t *s, int64_t now, int64_t deadline, int *rc,
                     char err[ERR_LEN])
{
    delivery_status_t ds;
    delivery_status(s->fsm, &ds);
    spool_stats_t st;
    if (s->o->until_empty && ds.state == DELIVERY_READY &&
        ds.in_flight == 0) {
        *rc = spool_stats(s->o->spool, &st, err);
        if (*rc != ERR_OK || st.queued == 0) {
            return true;
        }
    }
    if (deadline != 0 && now >= deadline) {
        char damage[ERR_LEN];
        spool_stats(s->o->spool, &st, err);
        /* "Nothing is lost" only of a queue that can still be sent. */
        int sound = spool_check_queue(s->o->spool, damage) == ERR_OK;
        snprintf(err, ERR_LEN,
                 "%s within %d s; %llu update%s remain%s queued in the "
                 "spool (%s%.300s)",
                 ds.ever_connected ? "not everything was acknowledged"
                                   : "the collector could not be reached",
                 s->o->timeout_ms / 1000, (unsigned long long)st.queued,
                 st.queued == 1 ? "" : "s", st.queued == 1 ? "s" : "",
                 sound ? "" : "but ",
                 sound ? "nothing is lost: `hrss-agent run` or another "
                         "flush will send them"
                       : damage);
        *rc = ERR_TIMEOUT;
        return true;
    }
    return false;
}

/* Wait for the signal pipe, the socket or the watch, at most until the
 * machine's next timer, the deadline or the watch's next rescan. */
static int wait_events(sender_t *s, int64_t now, int64_t deadline,
                       char err[ERR_LEN])
{
    int64_t wait = delivery_next_timer(s->fsm, now);
    if (deadline != 0 && deadline - now < wait) {
        wait = deadline - now;
    }
    wait = watch_wait(s->watch, now, wait);
    zmq_pollitem_t items[4];
    int ni = 0;
    if (s->o->wake_fd >= 0) {
        items[ni++] = (zmq_pollitem_t){NULL, s->o->wake_fd, ZMQ_POLLIN, 0};
    }
    if (s->sock != NULL) {
        items[ni++] = (zmq_pollitem_t){s->sock, 0, ZMQ_POLLIN, 0};
    }
    if (watch_fd(s->watch) >= 0) {
        items[ni++] =
            (zmq_pollitem_t){NULL, watch_fd(s->watch), ZMQ_POLLIN, 0};
    }
    if (s->mon != NULL) {
        items[ni++] = (zmq_pollitem_t){s->mon, 0, ZMQ_POLLIN, 0};
    }
    delivery_status_t ds;
    delivery_status(s->fsm, &ds);
    log_debug("state %d, %d in flight, next %llu: waiting %lld ms",
              (int)ds.state, ds.in_flight, (unsigned long long)ds.next_send,
              (long long)wait);
    if (zmq_poll(items, ni, (long)wait) < 0 && zmq_errno() != EINTR) {
        snprintf(err, ERR_LEN, "poll: %s", zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    return ERR_OK;
}

int sender_run(const sender_opts_t *o, char err[ERR_LEN])
{
    sender_t s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.zctx = zmq_ctx_new();
    /* Each process its own jitter: offices that lost the collector
     * together do not all come back in the same millisecond. */
    s.fsm = delivery_new(mono_ms(), (uint64_t)getpid() << 32 ^
                                       (uint64_t)time(NULL));
    s.batch = xcalloc(DELIVERY_BATCH_MAX, sizeof *s.batch);
    buf_init(&s.out);
    s.watch = watch_new(o->spool, o->csv, o->state_dir, o->watch_inbox);
    int64_t deadline = o->timeout_ms > 0 ? mono_ms() + o->timeout_ms : 0;
    int rc = ERR_OK;
    s.ms.started = (int64_t)time(NULL);
    watch_scan(s.watch);
    while (!*o->stop) {
        int64_t now = mono_ms();
        publish_metrics(&s);
        if (run_over(&s, now, deadline, &rc, err)) {
            break;
        }
        rc = feed_time(&s, DELIVERY_EV_WAKE, err);
        if (rc == ERR_OK) {
            rc = wait_events(&s, now, deadline, err);
        }
        if (rc != ERR_OK) {
            break;
        }
        watch_after_poll(s.watch);
        read_monitor(&s);
        rc = read_socket(&s, err);
        if (rc == ERR_OK) {
            rc = feed_time(&s, DELIVERY_EV_TICK, err);
        }
        if (rc != ERR_OK) {
            break;
        }
    }
    /* Bye when READY, then close; no spool action comes of it. After a
     * spool error the machine may not know of the socket: close it too. */
    char serr[ERR_LEN];
    (void)feed_time(&s, DELIVERY_EV_STOP, serr);
    close_sock(&s);
    zmq_ctx_term(s.zctx);
    watch_destroy(&s.watch);
    delivery_destroy(&s.fsm);
    free(s.batch);
    buf_fini(&s.out);
    return rc;
}
