/* qserve.c: the collector's query thread.
 *
 * The main thread binds the query socket and hands it over; from then on
 * only this thread uses it (a zmq socket is not thread-safe). The thread
 * polls with a short timeout so that qserve_stop() is noticed, reads one
 * [routing id][request] message at a time, and sends back at most one
 * answer built by query_answer().
 *
 * Roles: the request frame carries the ZAP handler's User-Id when the
 * socket authenticates (CURVE): "admin:NAME" asks as QUERY_ROLE_ADMIN,
 * anything else, or nothing (plain mode), as QUERY_ROLE_READ; so a plain
 * collector takes no backups. The routing id is never a credential: the
 * peer chooses it.
 *
 * Memory: what a client does not read must not pile up here. Every
 * answer is handed to zmq as a message whose free function (answer_gone,
 * run by zmq's I/O thread once the bytes are in the kernel, or dropped
 * with a dead peer) gives its bytes back to the ledger. So the ledger
 * knows, exactly, how many answers and bytes zmq holds, in total and for
 * each client, and a request is answered only while both stay under
 * their limits (qserve.h):
 *
 *   request ──> client known? ── no ──> table full, or connections over
 *      │                                the limit? ── yes ──> error
 *      │                                  (QUERY_FULL "too many clients")
 *      ├── cut off (until cut_until)? ──────────────────────> dropped
 *      ├── peer_answers answers unread? ── cut off now ─────> dropped
 *      ├── query_answer(); would the total pass max_queued? ─> error
 *      │                                     (QUERY_FULL "busy")
 *      └── send (DONTWAIT, ROUTER_MANDATORY): EAGAIN, its pipe is full
 *          ──> cut off; EHOSTUNREACH, it left ──> forgotten
 *
 * A client cut off gets no answer for cool_off_ms (its requests are read
 * and dropped, so they cost nothing either); then it is served again if
 * it has read its answers meanwhile. zmq's own per-connection limits
 * (SNDHWM, RCVHWM, SNDBUF, MAXMSGSIZE) are a second line; libzmq copies
 * a socket's options into its listener at bind time, so they are set by
 * qserve_prepare() before the bind, never later. libzmq 4.3.4 has no
 * stable call to close one peer's connection, so the connection itself
 * stays until the client closes it. Connections are counted from a socket monitor
 * (ZMQ_EVENT_ACCEPTED / DISCONNECTED): a new client while there are more
 * than max_clients gets an error answer.
 *
 * Memory after an answer: a large one (a page of an export, a
 * completeness) maps store pages that stay in the collector's resident
 * size (LMDB reads through mmap), and glibc keeps the heap it freed. So
 * the memory is given back (give_back: store_release_pages unmaps the
 * store's pages, the page cache keeps them; malloc_trim(0) returns the
 * free heap of every arena) at two moments:
 *
 *   - during a run of requests (an export's pages), after an answer
 *     that left the resident size (/proc/self/statm) more than 10%
 *     above what it was before the request or after the last give-back
 *     (settle), so that a long run stays bounded while the pages a run
 *     of requests reads again stay mapped;
 *   - once the thread is idle (settle_idle): no request for IDLE_MS and
 *     zmq holding none of our answers, if the process grew since the
 *     last give-back. Only then is an answer's own memory free: zmq's
 *     I/O thread frees it once it is on the wire, after settle() ran.
 *     Without this the store's pages mapped since the last give-back
 *     (up to 10% more) stayed after a command.
 *
 * malloc_trim() returns the free chunks of a thread's arena but never
 * its top chunk: glibc trims that only on a free, and only above a
 * threshold it raises to twice the largest block it ever unmapped (an
 * answer's). So the query thread's arena kept its last answers' blocks
 * (about 0.5 MiB at national scale) whatever the trims; the collector
 * fixes glibc's thresholds at start (collector/main.c) so that a block
 * above 128 KiB is mmapped and unmapped when freed, by whichever thread,
 * and an arena gives back a free top above 128 KiB.
 *
 * The packed answer itself is handed to zmq (buf_take), not copied: the
 * thread keeps no buffer as large as its largest answer between
 * requests, and an answer is in memory once, not twice.
 *
 * INVARIANTS
 *   1. A request of more than one frame after the routing id is answered
 *      from its first frame; the extra frames are read and dropped.
 *   2. Only the service's thread uses the socket and the monitor socket
 *      between start and stop.
 *   3. ledger.bytes is the sum of the sizes of the answers zmq holds, and
 *      a client's queued the number of its answers zmq holds: both rise
 *      before a send and fall in answer_gone(), exactly once per answer.
 *   4. An answer is sent only when ledger.bytes stays within max_queued
 *      and its client has fewer than peer_answers queued.
 *   5. A client slot is reused only when its queued is 0 and it is not
 *      cut off, so answer_gone() never touches another client's count.
 *   6. The ledger is freed by the last of the service and the answers
 *      still in zmq (refs), never before.
 *   7. After an answer, the process is at most 10% above its resident
 *      size before the request or at the last give-back, or it gives
 *      back the store's mapped pages and the allocator's free memory;
 *      and once idle with no answer in zmq it gives them back if it
 *      grew at all since the last give-back.
 */
#include "collector/qserve.h"

#include <assert.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mono.h"
#include "common/wire.h"
#include "proto/hrss.pb-c.h"
#include "store/query.h"

/* How often the thread looks at the stop flag, in ms. */
#define POLL_MS 200
/* How long without a request before the thread gives back what the
 * answers left (settle_idle), in ms: longer than the usual pause between
 * the requests of one command (a progress, the pages of a completeness;
 * an export that pauses longer to print a page only maps its next
 * page's path again), short enough to be done soon after the command. */
#define IDLE_MS 100
/* Kernel send buffer of each query connection (SO_SNDBUF). */
#define SNDBUF_BYTES (256 << 10)
/* A request frame may be this much over QUERY_MAX_REQUEST on the wire
 * (CURVE's box), before zmq drops the peer. */
#define FRAME_SLACK 4096
/* Longest routing id zmq gives or takes. */
#define RID_MAX 255

/* One client: a routing id that sent requests, and what it has unread. */
typedef struct client {
    int in_use;
    unsigned char rid[RID_MAX];
    size_t rid_len;
    atomic_int queued;     /* its answers zmq holds (answer_gone) */
    int64_t last_ms;       /* its last request */
    int64_t cut_until_ms;  /* no answers before this; 0: never cut */
    char name[80];         /* for the log: User-Id or Peer-Address */
} client_t;

/* What zmq holds of our answers; shared with zmq's I/O thread. */
typedef struct ledger {
    atomic_int refs;       /* the service + one per answer in zmq */
    atomic_size_t bytes;
    atomic_size_t max_bytes;
    size_t nclients;
    client_t clients[];
} ledger_t;

/* The hint of one answer in zmq. */
typedef struct ticket {
    ledger_t *l;
    client_t *c;           /* NULL for an answer to an unknown client */
    size_t size;
} ticket_t;

struct qserve {
    void *sock;
    void *mon;             /* PAIR connected to the socket's monitor */
    char mon_ep[64];
    store_t *st;
    char *backup_dir;
    size_t max_answer;
    size_t max_queued;
    int peer_answers;
    int max_clients;
    int cool_off_ms;
    auth_t *auth;          /* NULL: plain (opts->auth) */
    unsigned char *scope;  /* an admin's regions, per request (approvals) */
    ledger_t *l;
    pthread_t thread;
    atomic_int stop;
    atomic_int connections;
    int over_logged;       /* the connection limit was logged */
    atomic_ulong answered;
    atomic_ulong dropped;
    atomic_ulong cut_offs;
    atomic_ulong refused;
    long rest_kib;         /* resident size after the last give-back */
    int64_t idle_at;       /* give back once idle from then on
                              (settle_idle); 0: nothing to give back */
};

#ifndef NDEBUG
static int check_invariants(qserve_t *q)
{
    assert(q != NULL && q->sock != NULL && q->l != NULL);
    assert(q->max_answer > 0 && q->max_queued > 0);
    assert(q->peer_answers > 0 && q->max_clients > 0 &&
           q->cool_off_ms > 0);
    assert(q->l->nclients == (size_t)q->max_clients);
    assert(atomic_load(&q->l->refs) >= 1);
    assert(atomic_load(&q->connections) >= 0);
    return 1;
}
#endif

static void ledger_unref(ledger_t *l)
{
    if (atomic_fetch_sub(&l->refs, 1) == 1) {
        free(l);
    }
}

/* zmq is done with an answer (written to the kernel, or dropped with its
 * peer): give its bytes back (INVARIANT 3). Runs in zmq's I/O thread, or
 * in ours when a send fails. */
static void answer_gone(void *data, void *hint)
{
    ticket_t *t = hint;
    ledger_t *l = t->l;
    atomic_fetch_sub(&l->bytes, t->size);
    if (t->c != NULL) {
        atomic_fetch_sub(&t->c->queued, 1); /* last touch of the client */
    }
    free(data);
    free(t);
    ledger_unref(l);
}

/* Read and drop the rest of a multi-frame message (INVARIANT 1). */
static void drop_rest(void *sock, zmq_msg_t *last)
{
    int more = zmq_msg_more(last);
    while (more) {
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        if (zmq_msg_recv(&extra, sock, 0) < 0) {
            zmq_msg_close(&extra);
            return;
        }
        more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
    }
}

/* Who sent @p req: the ZAP handler's User-Id, "admin:NAME" for an admin
 * key (collector/identity.c); anything else, and no ZAP at all (plain
 * mode), is a reader. */
static enum query_role role_of(zmq_msg_t *req)
{
    const char *uid = zmq_msg_gets(req, "User-Id");
    if (uid != NULL && strncmp(uid, "admin:", 6) == 0 && uid[6] != '\0') {
        return QUERY_ROLE_ADMIN;
    }
    return QUERY_ROLE_READ;
}

/* An admin key's name and its regions now (auth_admin_scope), for an
 * approval; nothing for a reader or on a plain collector. */
static void approver_of(qserve_t *q, zmq_msg_t *req, query_ctx_t *ctx)
{
    const char *uid = zmq_msg_gets(req, "User-Id");
    if (q->auth == NULL || ctx->role != QUERY_ROLE_ADMIN || uid == NULL) {
        return;
    }
    if (auth_admin_scope(q->auth, uid + 6, q->scope)) {
        ctx->who = uid + 6;
        ctx->scope = q->scope;
    }
}

/* A name for the log: the authenticated user, else the peer's address. */
static void name_of(zmq_msg_t *req, char *out, size_t len)
{
    const char *uid = zmq_msg_gets(req, "User-Id");
    const char *addr = zmq_msg_gets(req, "Peer-Address");
    snprintf(out, len, "%.40s%s%.32s", uid != NULL ? uid : "",
             uid != NULL && addr != NULL ? "@" : "",
             addr != NULL ? addr : (uid != NULL ? "" : "?"));
}

/* ---------------------------------------------------------------------- */
/* clients                                                                 */

static client_t *client_find(qserve_t *q, zmq_msg_t *rid)
{
    size_t n = zmq_msg_size(rid);
    const void *p = zmq_msg_data(rid);
    for (size_t i = 0; i < q->l->nclients; i++) {
        client_t *c = &q->l->clients[i];
        if (c->in_use && c->rid_len == n && memcmp(c->rid, p, n) == 0) {
            return c;
        }
    }
    return NULL;
}

/* A slot for a new client: a free one, or the one idle longest among
 * those with nothing in zmq and not cut off (INVARIANT 5); NULL when
 * every client has answers unread or is cut off. */
static client_t *client_take(qserve_t *q, zmq_msg_t *rid, int64_t now)
{
    client_t *best = NULL;
    for (size_t i = 0; i < q->l->nclients; i++) {
        client_t *c = &q->l->clients[i];
        if (!c->in_use) {
            best = c;
            break;
        }
        if (atomic_load(&c->queued) == 0 && c->cut_until_ms <= now &&
            (best == NULL || c->last_ms < best->last_ms)) {
            best = c;
        }
    }
    size_t n = zmq_msg_size(rid);
    if (best == NULL || n > RID_MAX) {
        return NULL;
    }
    best->in_use = 1;
    memcpy(best->rid, zmq_msg_data(rid), n);
    best->rid_len = n;
    best->last_ms = now;
    best->cut_until_ms = 0;
    return best;
}

/* ---------------------------------------------------------------------- */
/* answers                                                                 */

/* A packed error response: code from @p rc, message @p msg. */
static void pack_error(buf_t *out, int rc, const char *msg)
{
    Hrss__QueryResponse r = HRSS__QUERY_RESPONSE__INIT;
    r.code = wire_status_to_proto(rc);
    r.error = (char *)(uintptr_t)msg;
    size_t n = hrss__query_response__get_packed_size(&r);
    uint8_t *p = xmalloc(n);
    hrss__query_response__pack(&r, p);
    buf_reset(out);
    buf_put(out, p, n);
    free(p);
}

/* Hand @p out's bytes to zmq for the peer @p rid, accounted to @p c (may
 * be NULL); @p out is left empty. @return 0, or the errno of the failed
 * send (nothing is then held). */
static int send_answer(qserve_t *q, zmq_msg_t *rid, client_t *c, buf_t *out)
{
    ledger_t *l = q->l;
    ticket_t *t = xmalloc(sizeof *t);
    size_t len = 0;
    void *data = buf_take(out, &len); /* freed by answer_gone() */
    t->l = l;
    t->c = c;
    t->size = len;
    atomic_fetch_add(&l->refs, 1);
    size_t now = atomic_fetch_add(&l->bytes, len) + len;
    size_t max = atomic_load(&l->max_bytes);
    while (now > max &&
           !atomic_compare_exchange_weak(&l->max_bytes, &max, now)) {
    }
    if (c != NULL) {
        atomic_fetch_add(&c->queued, 1);
    }
    zmq_msg_t m;
    int rc = zmq_msg_init_data(&m, data, len, answer_gone, t);
    if (rc != 0) { /* cannot happen with a free function and data */
        answer_gone(data, t);
        return EINVAL;
    }
    int err = 0;
    if (zmq_send(q->sock, zmq_msg_data(rid), zmq_msg_size(rid),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_msg_send(&m, q->sock, ZMQ_DONTWAIT) < 0) {
        err = zmq_errno();
        zmq_msg_close(&m); /* runs answer_gone() */
    }
    return err;
}

static void cut_off(qserve_t *q, client_t *c, int64_t now, const char *why)
{
    c->cut_until_ms = now + q->cool_off_ms;
    atomic_fetch_add(&q->cut_offs, 1);
    atomic_fetch_add(&q->dropped, 1);
    log_warn("query client %s stopped reading its answers (%s): no "
             "answers for %.1f s",
             c->name, why, q->cool_off_ms / 1000.0);
}

/* This process's resident size (KiB), from /proc/self/statm; 0 when it
 * cannot be read. */
static long resident_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0;
    long pages = 0;
    if (f == NULL) {
        return 0;
    }
    if (fscanf(f, "%ld %ld", &size, &pages) != 2) {
        pages = 0;
    }
    fclose(f);
    return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Give back what answers leave behind (INVARIANT 7): the store's pages
 * the reads mapped, and the allocator's free memory, which glibc keeps
 * otherwise. */
static void give_back(qserve_t *q)
{
    char err[ERR_LEN];
    if (store_release_pages(q->st, err) != ERR_OK) {
        log_warn("query thread: %s", err);
    }
    malloc_trim(0);
    q->rest_kib = resident_kib();
}

/* After an answer that left the process more than 10% above its size
 * before it, or above its size at the last give-back (pages of a list
 * each add a little): give back now, within the run of requests. */
static void settle(qserve_t *q, long before_kib)
{
    long now = resident_kib();
    long base = before_kib < q->rest_kib || q->rest_kib == 0 ? before_kib
                                                             : q->rest_kib;
    if (now <= 0 || base <= 0 || now <= base + base / 10) {
        return;
    }
    give_back(q);
}

/* Idle since q->idle_at and zmq holds none of our answers (their blocks
 * are free now): give back whatever the process grew by since the last
 * give-back. */
static void settle_idle(qserve_t *q)
{
    if (q->idle_at == 0 || mono_ms() < q->idle_at ||
        atomic_load(&q->l->bytes) > 0) {
        return; /* not due, or answers still in zmq: at a later turn */
    }
    q->idle_at = 0;
    long now = resident_kib();
    if (now > 0 && now > q->rest_kib) {
        give_back(q);
    }
}

/* Answer one waiting request, if there is one. */
static void serve_one(qserve_t *q, buf_t *out)
{
    zmq_msg_t rid;
    zmq_msg_t req;
    zmq_msg_init(&rid);
    zmq_msg_init(&req);
    if (zmq_msg_recv(&rid, q->sock, ZMQ_DONTWAIT) < 0) {
        goto out;
    }
    if (!zmq_msg_more(&rid) || zmq_msg_recv(&req, q->sock, 0) < 0) {
        goto out;
    }
    drop_rest(q->sock, &req);
    int64_t now = mono_ms();
    client_t *c = client_find(q, &rid);
    if (c == NULL) {
        int conns = atomic_load(&q->connections);
        if (conns <= q->max_clients) {
            c = client_take(q, &rid, now);
        }
        if (c == NULL) {
            char msg[128];
            snprintf(msg, sizeof msg,
                     "too many query clients (limit %d): try again later",
                     q->max_clients);
            pack_error(out, ERR_FULL, msg);
            atomic_fetch_add(&q->refused, 1);
            if (atomic_load(&q->l->bytes) + out->len <= q->max_queued) {
                send_answer(q, &rid, NULL, out);
            }
            goto out;
        }
        name_of(&req, c->name, sizeof c->name);
    }
    c->last_ms = now;
    if (c->cut_until_ms > now) {
        atomic_fetch_add(&q->dropped, 1);
        goto out;
    }
    int unread = atomic_load(&c->queued);
    if (unread >= q->peer_answers) {
        char why[48];
        snprintf(why, sizeof why, "%d answers unread", unread);
        cut_off(q, c, now, why);
        goto out;
    }
    long before_kib = resident_kib();
    buf_reset(out);
    query_ctx_t ctx = {.role = role_of(&req),
                       .backup_dir = q->backup_dir,
                       .max_answer = q->max_answer,
                       .plain = q->auth == NULL};
    approver_of(q, &req, &ctx);
    query_answer(q->st, &ctx, zmq_msg_data(&req), zmq_msg_size(&req), out);
    if (atomic_load(&q->l->bytes) + out->len > q->max_queued) {
        pack_error(out, ERR_FULL, "the collector is busy: too many answers "
                                  "unread by its clients; try again");
        atomic_fetch_add(&q->refused, 1);
        if (atomic_load(&q->l->bytes) + out->len > q->max_queued) {
            goto out;
        }
    }
    int err = send_answer(q, &rid, c, out);
    if (err == EAGAIN) {
        cut_off(q, c, now, "its connection is full");
    } else if (err == EHOSTUNREACH) {
        if (atomic_load(&c->queued) == 0) {
            c->in_use = 0; /* gone before its answer */
        }
    } else if (err == 0) {
        atomic_fetch_add(&q->answered, 1);
    }
    settle(q, before_kib);
    q->idle_at = mono_ms() + IDLE_MS;
out:
    zmq_msg_close(&rid);
    zmq_msg_close(&req);
}

/* ---------------------------------------------------------------------- */
/* connections                                                             */

/* Count one monitor event: [u16 event, u32 value][endpoint]. */
static void monitor_one(qserve_t *q)
{
    zmq_msg_t ev;
    zmq_msg_init(&ev);
    if (zmq_msg_recv(&ev, q->mon, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&ev);
        return;
    }
    uint16_t event = 0;
    if (zmq_msg_size(&ev) >= sizeof event) {
        memcpy(&event, zmq_msg_data(&ev), sizeof event);
    }
    drop_rest(q->mon, &ev);
    zmq_msg_close(&ev);
    int n = atomic_load(&q->connections);
    if (event == ZMQ_EVENT_ACCEPTED) {
        n++;
    } else if (event == ZMQ_EVENT_DISCONNECTED && n > 0) {
        n--;
    }
    atomic_store(&q->connections, n);
    if (n > q->max_clients && !q->over_logged) {
        log_warn("%d query connections, over the limit of %d: new clients "
                 "get an error answer",
                 n, q->max_clients);
        q->over_logged = 1;
    } else if (n <= q->max_clients) {
        q->over_logged = 0;
    }
}

static void *serve(void *arg)
{
    qserve_t *q = arg;
    buf_t out;
    buf_init(&out);
    q->rest_kib = resident_kib();
    zmq_pollitem_t items[2] = {{q->sock, 0, ZMQ_POLLIN, 0},
                               {q->mon, 0, ZMQ_POLLIN, 0}};
    while (!atomic_load(&q->stop)) {
        long timeout = POLL_MS;
        if (q->idle_at != 0) {
            int64_t left = q->idle_at - mono_ms();
            /* Past due with answers in zmq: look again at the next turn. */
            timeout = left <= 0 ? POLL_MS : left < POLL_MS ? (long)left
                                                           : POLL_MS;
        }
        if (zmq_poll(items, q->mon != NULL ? 2 : 1, timeout) > 0) {
            if (items[1].revents & ZMQ_POLLIN) {
                monitor_one(q);
            }
            if (items[0].revents & ZMQ_POLLIN) {
                serve_one(q, &out);
            }
        }
        settle_idle(q);
    }
    buf_fini(&out);
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* start and stop                                                          */

void qserve_prepare(void *sock)
{
    int hwm = QSERVE_SNDHWM;
    int rcv = QSERVE_RCVHWM;
    int sndbuf = SNDBUF_BYTES;
    int one = 1;
    int64_t maxmsg = QUERY_MAX_REQUEST + FRAME_SLACK;
    zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(sock, ZMQ_RCVHWM, &rcv, sizeof rcv);
    zmq_setsockopt(sock, ZMQ_SNDBUF, &sndbuf, sizeof sndbuf);
    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
}

/* The socket monitor and our end of it; NULL mon when it cannot be made
 * (connections are then not counted, and not limited). */
static void monitor_start(qserve_t *q, void *zctx)
{
    snprintf(q->mon_ep, sizeof q->mon_ep, "inproc://hrss-qserve-%p",
             (void *)q);
    if (zmq_socket_monitor(q->sock, q->mon_ep,
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) !=
        0) {
        log_warn("query connections are not counted: %s",
                 zmq_strerror(zmq_errno()));
        return;
    }
    q->mon = zmq_socket(zctx, ZMQ_PAIR);
    if (q->mon == NULL || zmq_connect(q->mon, q->mon_ep) != 0) {
        log_warn("query connections are not counted: %s",
                 zmq_strerror(zmq_errno()));
        if (q->mon != NULL) {
            zmq_close(q->mon);
            q->mon = NULL;
        }
        zmq_socket_monitor(q->sock, NULL, 0);
    }
}

static void monitor_stop(qserve_t *q)
{
    if (q->mon != NULL) {
        zmq_socket_monitor(q->sock, NULL, 0);
        int linger = 0;
        zmq_setsockopt(q->mon, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(q->mon);
        q->mon = NULL;
    }
}

int qserve_start(qserve_t **out, void *zctx, void *sock, store_t *st,
                 const qserve_opts_t *opts)
{
    qserve_opts_t o = {0};
    if (opts != NULL) {
        o = *opts;
    }
    qserve_t *q = xcalloc(1, sizeof *q);
    q->sock = sock;
    q->st = st;
    if (o.backup_dir != NULL) {
        q->backup_dir = xstrdup(o.backup_dir);
    }
    q->max_answer = o.max_answer > 0 ? o.max_answer : QUERY_MAX_ANSWER;
    q->max_queued = o.max_queued > 0 ? o.max_queued : QSERVE_MAX_QUEUED;
    q->peer_answers = o.peer_answers > 0 ? o.peer_answers
                                         : QSERVE_PEER_ANSWERS;
    q->max_clients = o.max_clients > 0 ? o.max_clients : QSERVE_MAX_CLIENTS;
    q->cool_off_ms = o.cool_off_ms > 0 ? o.cool_off_ms : QSERVE_COOL_OFF_MS;
    q->auth = o.auth;
    q->scope = xcalloc(catalog_region_count(store_catalog(st)) + 1, 1);
    size_t nclients = (size_t)q->max_clients;
    q->l = xcalloc(1, sizeof *q->l + nclients * sizeof q->l->clients[0]);
    q->l->nclients = nclients;
    atomic_init(&q->l->refs, 1);
    atomic_init(&q->l->bytes, 0);
    atomic_init(&q->l->max_bytes, 0);
    for (size_t i = 0; i < nclients; i++) {
        atomic_init(&q->l->clients[i].queued, 0);
    }
    atomic_init(&q->stop, 0);
    atomic_init(&q->connections, 0);
    atomic_init(&q->answered, 0);
    atomic_init(&q->dropped, 0);
    atomic_init(&q->cut_offs, 0);
    atomic_init(&q->refused, 0);
    /* Socket-wide, so effective at once even if the caller did not
     * prepare the socket; the per-connection limits need
     * qserve_prepare() before the bind. */
    int one = 1;
    zmq_setsockopt(sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    monitor_start(q, zctx);
    if (pthread_create(&q->thread, NULL, serve, q) != 0) {
        monitor_stop(q);
        ledger_unref(q->l);
        free(q->backup_dir);
        free(q->scope);
        free(q);
        return ERR_IO;
    }
    assert(check_invariants(q));
    *out = q;
    return ERR_OK;
}

void qserve_stats(qserve_t *self, qserve_stats_t *out)
{
    assert(check_invariants(self));
    memset(out, 0, sizeof *out);
    out->queued_bytes = atomic_load(&self->l->bytes);
    out->max_queued_bytes = atomic_load(&self->l->max_bytes);
    out->connections = atomic_load(&self->connections);
    out->answered = atomic_load(&self->answered);
    out->dropped = atomic_load(&self->dropped);
    out->cut_offs = atomic_load(&self->cut_offs);
    out->refused = atomic_load(&self->refused);
}

void qserve_stop(qserve_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    qserve_t *q = *self_p;
    assert(check_invariants(q));
    atomic_store(&q->stop, 1);
    pthread_join(q->thread, NULL);
    monitor_stop(q);
    /* Answers nobody read are abandoned, not waited for. */
    int linger = 0;
    zmq_setsockopt(q->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(q->sock);
    ledger_unref(q->l); /* answers still in zmq hold it (INVARIANT 6) */
    free(q->backup_dir);
    free(q->scope);
    free(q);
    *self_p = NULL;
}
