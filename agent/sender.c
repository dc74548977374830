/* sender.c: deliver the spool to the collector, go-back-N.
 *
 * State machine (sender_run):
 *
 *            reconnect_at reached: open_socket() sends Hello
 *   ┌──────┐ ───────────────────────────────────────────> ┌───────┐
 *   │ DOWN │                                              │ HELLO │
 *   └──────┘ <───────────────────── hello timeout ─────── └───────┘
 *      ^       close_socket(), backoff doubles                │ Welcome(N):
 *      │                                                      │ on_welcome()
 *      │ ack timeout, ACK_RETRY, MALFORMED:                   v
 *      │ close_socket(), backoff                          ┌───────┐
 *      └───────────────────────────────────────────────── │ READY │ ─┐
 *                                                         └───────┘  │
 *             fill_window(): up to WINDOW batches of BATCH_MAX       │
 *             Ack(N): on_ack() deletes < N from the spool  <─────────┘
 *             Gap(N): go back, resend from N
 *
 * The collector's next expected number N is the only truth: everything
 * below N is applied or rejected, so the spool drops it; everything from N
 * on is (re)sent. A resend of something already applied is skipped by the
 * collector, so timeouts can resend freely: effectively once.
 *
 * INVARIANTS
 *   1. Nothing is deleted from the spool except below an N the collector
 *      sent (spool_ack, one transaction with the rejections it reported).
 *   2. Batches in flight are consecutive: inflight[i].last + 1 ==
 *      inflight[i + 1].first, and next_send == last of the newest + 1.
 *   3. The socket exists iff state != DOWN.
 */
#include "agent/sender.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "agent/watch.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/wire.h"

#define BATCH_MAX 500
#define WINDOW 4
#define HELLO_TIMEOUT_MS 2000
#define ACK_TIMEOUT_MS 3000
#define PING_MS 60000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 15000
#define UNREACHABLE_LOG_MS 600000

enum state { S_DOWN, S_HELLO, S_READY };

typedef struct flight {
    uint64_t first;
    uint64_t last;
    int64_t sent_ms;
} flight_t;

typedef struct sender {
    const sender_opts_t *o;
    void *zctx;
    void *sock;
    enum state state;
    int64_t reconnect_at;
    int64_t backoff;
    int64_t hello_sent;
    int64_t ping_sent;    /* 0 when no ping is unanswered */
    int64_t last_tx;
    int64_t down_since;   /* 0 while the collector answers */
    int64_t last_down_log;
    int ever_connected;
    uint64_t next_send;
    flight_t inflight[WINDOW];
    int n_inflight;
    spool_update_t *batch;
    buf_t out;
    watch_t *watch;
    unsigned long acked_total;
} sender_t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_socket(sender_t *s, const char *why)
{
    if (s->sock != NULL) {
        zmq_close(s->sock); /* linger 0: drop what the old peer never got */
        s->sock = NULL;
    }
    int64_t now = now_ms();
    if (why != NULL) {
        if (s->down_since == 0) {
            s->down_since = now;
            s->last_down_log = now;
            log_warn("collector %s: %s; retrying with backoff", s->o->endpoint,
                     why);
        } else if (now - s->last_down_log >= UNREACHABLE_LOG_MS) {
            s->last_down_log = now;
            log_warn("collector %s still unreachable after %lld s",
                     s->o->endpoint, (long long)(now - s->down_since) / 1000);
        }
    }
    s->state = S_DOWN;
    s->n_inflight = 0;
    s->ping_sent = 0;
    s->reconnect_at = now + s->backoff;
    s->backoff = s->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                 : s->backoff * 2;
}

static int send_msg(sender_t *s, const Hrss__AgentMsg *m)
{
    wire_pack(&m->base, &s->out);
    if (zmq_send(s->sock, s->out.data, s->out.len, ZMQ_DONTWAIT) < 0) {
        return ERR_IO; /* queue full: the timeout will resend */
    }
    s->last_tx = now_ms();
    return ERR_OK;
}

static void open_socket(sender_t *s)
{
    s->sock = zmq_socket(s->zctx, ZMQ_DEALER);
    int linger = 0;
    int64_t maxmsg = WIRE_MAX_MSG;
    int ivl = 100;
    int ivl_max = 5000;
    zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(s->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(s->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
    if (zmq_connect(s->sock, s->o->endpoint) != 0) {
        log_err("cannot connect to %s: %s", s->o->endpoint,
                zmq_strerror(zmq_errno()));
        zmq_close(s->sock);
        s->sock = NULL;
        s->reconnect_at = now_ms() + BACKOFF_MAX_MS;
        return;
    }
    Hrss__Hello h = HRSS__HELLO__INIT;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    h.version = WIRE_VERSION;
    h.name = (char *)(uintptr_t)s->o->name;
    h.region = s->o->region;
    m.body_case = HRSS__AGENT_MSG__BODY_HELLO;
    m.hello = &h;
    send_msg(s, &m);
    s->state = S_HELLO;
    s->hello_sent = now_ms();
}

/* Send batches until the window is full or the spool has no more. */
static int fill_window(sender_t *s, char err[ERR_LEN])
{
    while (s->state == S_READY && s->n_inflight < WINDOW) {
        size_t n = 0;
        int rc = spool_read(s->o->spool, s->next_send, s->batch, BATCH_MAX,
                            &n, err);
        if (rc != ERR_OK) {
            return rc;
        }
        if (n == 0) {
            return ERR_OK;
        }
        if (s->batch[0].seq != s->next_send) {
            /* The collector expects a number the spool no longer has;
             * on_welcome() rebases, so this is only a moment's race. */
            s->next_send = s->batch[0].seq;
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
        int src = send_msg(s, &m);
        free(u);
        free(up);
        free(r);
        if (src != ERR_OK) {
            /* No pipe to the collector (it went away and the socket has
             * not reconnected yet): start over on a fresh socket rather
             * than wait for a timer. */
            close_socket(s, "lost the connection");
            return ERR_OK;
        }
        flight_t *f = &s->inflight[s->n_inflight++];
        f->first = s->batch[0].seq;
        f->last = s->batch[n - 1].seq;
        f->sent_ms = now_ms();
        s->next_send = f->last + 1;
        log_debug("sent batch %llu..%llu (%d in flight)",
                  (unsigned long long)f->first, (unsigned long long)f->last,
                  s->n_inflight);
    }
    return ERR_OK;
}

/* The collector expects @p next: reconcile the spool with it. */
static int reconcile(sender_t *s, uint64_t next, char err[ERR_LEN])
{
    spool_stats_t st;
    int rc = spool_stats(s->o->spool, &st, err);
    if (rc != ERR_OK) {
        return rc;
    }
    if (next > st.last_assigned + 1) {
        log_warn("collector expects seq %llu but this spool only reached "
                 "%llu (new or replaced state directory): renumbering %llu "
                 "queued updates from %llu",
                 (unsigned long long)next,
                 (unsigned long long)st.last_assigned,
                 (unsigned long long)st.queued, (unsigned long long)next);
        return spool_rebase(s->o->spool, next, err);
    }
    if (next < st.acked_next) {
        log_err("collector expects seq %llu but it acknowledged up to %llu "
                "before: the collector lost data (restored from a backup?); "
                "updates %llu..%llu must be submitted again; renumbering "
                "the %llu queued updates from %llu",
                (unsigned long long)next,
                (unsigned long long)st.acked_next - 1,
                (unsigned long long)next,
                (unsigned long long)st.acked_next - 1,
                (unsigned long long)st.queued, (unsigned long long)next);
        return spool_rebase(s->o->spool, next, err);
    }
    return spool_ack(s->o->spool, next, NULL, 0, err);
}

static int on_welcome(sender_t *s, uint64_t next, char err[ERR_LEN])
{
    if (s->state == S_READY && s->n_inflight > 0) {
        s->ping_sent = 0; /* a late answer; acks will follow */
        return ERR_OK;
    }
    int rc = reconcile(s, next, err);
    if (rc != ERR_OK) {
        return rc;
    }
    if (s->state == S_HELLO) {
        if (s->down_since != 0 || !s->ever_connected) {
            log_info("connected to collector %s as %s, next seq %llu",
                     s->o->endpoint, s->o->name, (unsigned long long)next);
        }
        s->ever_connected = 1;
    }
    s->state = S_READY;
    s->ping_sent = 0;
    s->down_since = 0;
    s->backoff = BACKOFF_MIN_MS;
    s->next_send = next;
    s->n_inflight = 0;
    return ERR_OK;
}

static int on_ack(sender_t *s, const Hrss__Ack *a, char err[ERR_LEN])
{
    log_debug("ack %d for %llu..%llu: next %llu", (int)a->status,
              (unsigned long long)a->first_seq,
              (unsigned long long)a->last_seq,
              (unsigned long long)a->next_seq);
    switch (a->status) {
    case HRSS__ACK_STATUS__ACK_OK: {
        spool_rejection_t *rj = NULL;
        if (a->n_rejections > 0) {
            rj = xcalloc(a->n_rejections, sizeof *rj);
            for (size_t i = 0; i < a->n_rejections; i++) {
                rj[i].seq = a->rejections[i]->seq;
                rj[i].reason = a->rejections[i]->reason;
                snprintf(rj[i].reason_name, sizeof rj[i].reason_name, "%s",
                         a->rejections[i]->reason_name);
                snprintf(rj[i].message, sizeof rj[i].message, "%s",
                         a->rejections[i]->message);
                rj[i].at = (int64_t)time(NULL);
            }
            log_warn("collector rejected %zu updates (see `hrss-agent "
                     "status`)", a->n_rejections);
        }
        int rc = spool_ack(s->o->spool, a->next_seq, rj, a->n_rejections,
                           err);
        free(rj);
        if (rc != ERR_OK) {
            return rc;
        }
        int k = 0;
        while (k < s->n_inflight && s->inflight[k].last < a->next_seq) {
            k++;
        }
        memmove(s->inflight, s->inflight + k,
                (size_t)(s->n_inflight - k) * sizeof s->inflight[0]);
        s->n_inflight -= k;
        if (s->next_send < a->next_seq) {
            s->next_send = a->next_seq;
        }
        s->acked_total += (unsigned long)k;
        s->backoff = BACKOFF_MIN_MS;
        return ERR_OK;
    }
    case HRSS__ACK_STATUS__ACK_GAP:
        /* Go back to what the collector expects; later acks for batches
         * in flight beyond it will be gaps too and change nothing. */
        if (a->next_seq < s->next_send) {
            int rc = reconcile(s, a->next_seq, err);
            if (rc != ERR_OK) {
                return rc;
            }
            s->next_send = a->next_seq;
            s->n_inflight = 0;
        }
        return ERR_OK;
    case HRSS__ACK_STATUS__ACK_RETRY:
        close_socket(s, a->message != NULL ? a->message
                                           : "collector asked to retry");
        return ERR_OK;
    default:
        log_err("collector refused batch %llu..%llu: %s",
                (unsigned long long)a->first_seq,
                (unsigned long long)a->last_seq,
                a->message != NULL ? a->message : "malformed");
        close_socket(s, NULL);
        s->backoff = BACKOFF_MAX_MS;
        return ERR_OK;
    }
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
        } else if (m->body_case == HRSS__COLLECTOR_MSG__BODY_WELCOME) {
            rc = on_welcome(s, m->welcome->next_seq, err);
        } else if (s->state == S_READY) {
            rc = on_ack(s, m->ack, err);
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

static void check_timeouts(sender_t *s, int64_t now)
{
    if (s->state == S_HELLO && now - s->hello_sent > HELLO_TIMEOUT_MS) {
        close_socket(s, "no answer to hello");
    } else if (s->state == S_READY && s->n_inflight > 0 &&
               now - s->inflight[0].sent_ms > ACK_TIMEOUT_MS) {
        close_socket(s, "no acknowledgement in time");
    } else if (s->state == S_READY && s->ping_sent != 0 &&
               now - s->ping_sent > ACK_TIMEOUT_MS) {
        close_socket(s, "no answer to ping");
    } else if (s->state == S_READY && s->n_inflight == 0 &&
               s->ping_sent == 0 && now - s->last_tx >= PING_MS) {
        Hrss__Ping p = HRSS__PING__INIT;
        Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
        p.name = (char *)(uintptr_t)s->o->name;
        m.body_case = HRSS__AGENT_MSG__BODY_PING;
        m.ping = &p;
        if (send_msg(s, &m) == ERR_OK) {
            s->ping_sent = now;
        } else {
            close_socket(s, "lost the connection");
        }
    }
}

/* Milliseconds until the next timer of the state machine. */
static int64_t next_timer(const sender_t *s, int64_t now)
{
    int64_t due = now + PING_MS;
    switch (s->state) {
    case S_DOWN:
        due = s->reconnect_at;
        break;
    case S_HELLO:
        due = s->hello_sent + HELLO_TIMEOUT_MS + 1;
        break;
    case S_READY:
        if (s->n_inflight > 0) {
            due = s->inflight[0].sent_ms + ACK_TIMEOUT_MS + 1;
        } else if (s->ping_sent != 0) {
            due = s->ping_sent + ACK_TIMEOUT_MS + 1;
        } else {
            due = s->last_tx + PING_MS;
        }
        break;
    }
    return due > now ? due - now : 0;
}

static void say_bye(sender_t *s)
{
    if (s->state != S_READY) {
        return;
    }
    Hrss__Bye b = HRSS__BYE__INIT;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    b.name = (char *)(uintptr_t)s->o->name;
    m.body_case = HRSS__AGENT_MSG__BODY_BYE;
    m.bye = &b;
    int linger = 500;
    zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger);
    send_msg(s, &m);
}

int sender_run(const sender_opts_t *o, char err[ERR_LEN])
{
    sender_t s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.zctx = zmq_ctx_new();
    s.backoff = BACKOFF_MIN_MS;
    s.reconnect_at = now_ms();
    s.batch = xcalloc(BATCH_MAX, sizeof *s.batch);
    buf_init(&s.out);
    s.watch = watch_new(o->spool, o->csv, o->state_dir, o->watch_inbox);
    int64_t deadline = o->timeout_ms > 0 ? now_ms() + o->timeout_ms : 0;
    int rc = ERR_OK;
    watch_scan(s.watch);
    while (!*o->stop) {
        int64_t now = now_ms();
        if (o->until_empty && s.state == S_READY && s.n_inflight == 0) {
            spool_stats_t st;
            rc = spool_stats(o->spool, &st, err);
            if (rc != ERR_OK || st.queued == 0) {
                break;
            }
        }
        if (deadline != 0 && now >= deadline) {
            spool_stats_t st;
            spool_stats(o->spool, &st, err);
            snprintf(err, ERR_LEN,
                     "%s within %d s; %llu updates remain queued in the "
                     "spool (nothing is lost: `hrss-agent run` or another "
                     "flush will send them)",
                     s.ever_connected ? "not everything was acknowledged"
                                      : "the collector could not be reached",
                     o->timeout_ms / 1000, (unsigned long long)st.queued);
            rc = ERR_TIMEOUT;
            break;
        }
        if (s.state == S_DOWN && now >= s.reconnect_at) {
            open_socket(&s);
        }
        rc = fill_window(&s, err);
        if (rc != ERR_OK) {
            break;
        }
        int64_t wait = next_timer(&s, now);
        if (deadline != 0 && deadline - now < wait) {
            wait = deadline - now;
        }
        wait = watch_wait(s.watch, now, wait);
        zmq_pollitem_t items[3];
        int ni = 0;
        if (o->wake_fd >= 0) {
            items[ni++] = (zmq_pollitem_t){NULL, o->wake_fd, ZMQ_POLLIN, 0};
        }
        if (s.sock != NULL) {
            items[ni++] = (zmq_pollitem_t){s.sock, 0, ZMQ_POLLIN, 0};
        }
        if (watch_fd(s.watch) >= 0) {
            items[ni++] =
                (zmq_pollitem_t){NULL, watch_fd(s.watch), ZMQ_POLLIN, 0};
        }
        log_debug("state %d, %d in flight, next %llu: waiting %lld ms",
                  (int)s.state, s.n_inflight,
                  (unsigned long long)s.next_send, (long long)wait);
        int n = zmq_poll(items, ni, (long)wait);
        if (n < 0 && zmq_errno() != EINTR) {
            snprintf(err, ERR_LEN, "poll: %s", zmq_strerror(zmq_errno()));
            rc = ERR_IO;
            break;
        }
        watch_after_poll(s.watch);
        rc = read_socket(&s, err);
        if (rc != ERR_OK) {
            break;
        }
        check_timeouts(&s, now_ms());
    }
    say_bye(&s);
    if (s.sock != NULL) {
        zmq_close(s.sock);
    }
    zmq_ctx_term(s.zctx);
    watch_destroy(&s.watch);
    free(s.batch);
    buf_fini(&s.out);
    return rc;
}
