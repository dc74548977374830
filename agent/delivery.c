/* delivery.c: the agent's delivery state machine, go-back-N over a window.
 *
 * Pure: events in (with the monotonic time they happened at), actions out.
 * The loop (sender.c) owns the socket and the spool and executes the
 * actions; the results of CONNECT, SEND_BATCH and SEND_PING come back as
 * events. Nothing here reads a clock, touches a socket or the spool, or
 * logs: log lines leave as NOTE actions that the loop words.
 *
 *          on_wake(): reconnect_at reached: CONNECT (new socket + Hello)
 *   +------+ ---------------------------------------------------> +-------+
 *   | DOWN | <-- on_result(): CONNECT_FAILED, retry in 15 s ------ | HELLO |
 *   +------+ <-- on_tick(): hello timeout: go_down() ------------- +-------+
 *     ^  ^                                                            |
 *     |  |                                     Welcome(N): on_welcome(),
 *     |  |                                     reconcile(N), backoff reset
 *     |  |                                                            v
 *     |  +---- on_tick(): ack or ping timeout: go_down() ------- +-------+
 *     +------- on_ack(): RETRY: go_down(), trouble;              | READY |
 *              MALFORMED etc.: backoff max, go_down_quietly();   +-------+
 *              on_result(): a send found no pipe: go_down()        |   ^
 *                                                                  +---+
 *        fill(): SEND_BATCH from next_send while < WINDOW in flight
 *        on_ack(): OK N: SPOOL_ACK(N), batches below N leave the window
 *                  GAP N: go back, resend from N; Welcome(N) when idle:
 *                  reconcile(N)
 *
 * go_down() closes the socket, schedules the reconnection after the
 * current backoff, less a random part of up to half of it (jitter: 101
 * offices that lost the collector together do not return together), and
 * doubles it (0.1 s ... 15 s); the first time since the collector last
 * answered it notes why, then every 10 minutes that it is still away.
 * A Welcome resets the backoff, unless the collector is in trouble: it
 * answered the last batch with RETRY (it cannot store: disk full) or
 * refused it (MALFORMED, UNAUTHORIZED). A Welcome costs it nothing, so
 * only an ACK_OK ends the trouble; until then every reconnection waits
 * the grown backoff, and a refusal the longest. No path retries faster
 * than the backoff.
 *
 * The collector's next expected number N is the only truth: everything
 * below N is applied or rejected, so the spool drops it; everything from N
 * on is (re)sent. A resend of something applied is skipped by the
 * collector, so timeouts may resend freely: effectively once.
 *
 * reconcile(N), with the spool's facts read just before the event:
 *   N > last_assigned + 1 ... the spool never reached N (new or replaced
 *                             state directory): note, SPOOL_REBASE(N)
 *   N < acked_next .......... the collector acknowledged more before: it
 *                             lost data; note (an error), SPOOL_REBASE(N)
 *   acked_next < N, queued .. the collector took updates whose Ack the
 *                             spool never kept (lost, or the agent
 *                             stopped first): nothing acknowledged yet;
 *                             resend from acked_next, and the Ack of that
 *                             replay carries their kept rejections (an
 *                             older collector's none: all "accepted");
 *                             after DELIVERY_REPLAY_TRIES such replays
 *                             without an ACK_OK: SPOOL_ACK(N), outcomes
 *                             unknown
 *   otherwise ............... SPOOL_ACK(N)
 *
 * Network values (N, status) are input: any value is handled, none is
 * asserted on. Asserts guard the loop's side of the contract (results
 * follow their action; collector events only with a socket; time does not
 * go backwards) and this file's own bookkeeping.
 *
 * INVARIANTS (delivery_check_invariants)
 *   1. magic == DELIVERY_MAGIC while alive; delivery_destroy() overwrites it.
 *   2. Nothing is acknowledged to the spool except below an N the
 *      collector sent: every SPOOL_ACK / SPOOL_REBASE carries the N of the
 *      Welcome or Ack being handled (asserted in spool_op()).
 *   3. Batches in flight are consecutive: inflight[i].last + 1 ==
 *      inflight[i + 1].first, first <= last; when the window is not empty,
 *      next_send == inflight[newest].last + 1. 0 <= n_inflight <= WINDOW,
 *      and batches are in flight only in READY.
 *   4. The loop holds a socket (CONNECT asked, no CLOSE or CONNECT_FAILED
 *      since) iff state != DOWN.
 *   5. BACKOFF_MIN_MS <= backoff <= BACKOFF_MAX_MS, and backoff ==
 *      BACKOFF_MIN_MS in READY unless in trouble (only a Welcome leads
 *      there, and it resets the backoff when not in trouble; an ACK_OK
 *      ends the trouble and resets it).
 *   8. A reconnection is scheduled at most the backoff in force ahead,
 *      and at least half of it.
 *   6. A ping is outstanding only in READY.
 *   7. At most one result is awaited, and it fits the state: CONNECT in
 *      HELLO; SEND_BATCH in READY with room in the window; SEND_PING in
 *      READY with an empty window and no ping out.
 */
#include "agent/delivery.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "agent/spool.h"
#include "common/mem.h"

#define DELIVERY_MAGIC 0x44454C56u /* "DELV" */
#define DELIVERY_DEAD 0xDEADBEEFu

typedef struct flight {
    uint64_t first;
    uint64_t last;
    int64_t sent_at;
} flight_t;

/* The result event the loop owes us. */
enum pending { PENDING_NONE, PENDING_CONNECT, PENDING_BATCH, PENDING_PING };

struct delivery {
    unsigned magic;
    enum delivery_state state;
    bool sock;              /* the loop holds a socket (invariant 4) */
    enum pending pending;
    bool stopped;           /* EV_STOP handled: nothing may follow */
    int64_t last_now;       /* time of the previous event */
    int64_t reconnect_at;   /* DOWN: when to CONNECT */
    int64_t backoff;        /* the delay go_down() schedules next */
    int64_t hello_sent;
    bool ping_out;          /* a Ping is unanswered since ping_sent */
    int64_t ping_sent;
    int64_t last_tx;        /* last successful send */
    bool down;              /* gave up since the collector last answered */
    int64_t down_since;
    int64_t last_down_log;
    bool ever_connected;
    uint64_t next_send;
    flight_t inflight[DELIVERY_WINDOW];
    int n_inflight;
    int replay_tries;       /* replays since the last ACK_OK (reconcile) */
    bool have_n;            /* handling a collector message whose N ... */
    uint64_t collector_n;   /* ... is this (invariant 2) */
    bool trouble;           /* the last batch got RETRY or a refusal */
    uint64_t rng;           /* xorshift64 state for the jitter; never 0 */
};

bool delivery_check_invariants(const delivery_t *d)
{
    if (d == NULL || d->magic != DELIVERY_MAGIC) {
        return false;
    }
    if (d->state != DELIVERY_DOWN && d->state != DELIVERY_HELLO &&
        d->state != DELIVERY_READY) {
        return false;
    }
    if (d->sock != (d->state != DELIVERY_DOWN)) {
        return false;
    }
    if (d->have_n) {
        return false; /* set only while a collector event is handled */
    }
    if (d->n_inflight < 0 || d->n_inflight > DELIVERY_WINDOW ||
        (d->n_inflight > 0 && d->state != DELIVERY_READY)) {
        return false;
    }
    for (int i = 0; i < d->n_inflight; i++) {
        if (d->inflight[i].first > d->inflight[i].last) {
            return false;
        }
        if (i > 0 && d->inflight[i - 1].last + 1 != d->inflight[i].first) {
            return false;
        }
    }
    if (d->n_inflight > 0 &&
        d->next_send != d->inflight[d->n_inflight - 1].last + 1) {
        return false;
    }
    if (d->backoff < DELIVERY_BACKOFF_MIN_MS ||
        d->backoff > DELIVERY_BACKOFF_MAX_MS ||
        (d->state == DELIVERY_READY && !d->trouble &&
         d->backoff != DELIVERY_BACKOFF_MIN_MS) ||
        d->rng == 0) {
        return false;
    }
    if (d->ping_out && d->state != DELIVERY_READY) {
        return false;
    }
    switch (d->pending) {
    case PENDING_NONE:
        break;
    case PENDING_CONNECT:
        if (d->state != DELIVERY_HELLO) {
            return false;
        }
        break;
    case PENDING_BATCH:
        if (d->state != DELIVERY_READY || d->n_inflight >= DELIVERY_WINDOW) {
            return false;
        }
        break;
    case PENDING_PING:
        if (d->state != DELIVERY_READY || d->n_inflight != 0 || d->ping_out) {
            return false;
        }
        break;
    default:
        return false;
    }
    return !d->stopped || (d->state == DELIVERY_DOWN && !d->sock);
}

delivery_t *delivery_new(int64_t now, uint64_t seed)
{
    delivery_t *d = xcalloc(1, sizeof *d);
    d->rng = seed != 0 ? seed : 0x9E3779B97F4A7C15u;
    d->magic = DELIVERY_MAGIC;
    d->state = DELIVERY_DOWN;
    d->pending = PENDING_NONE;
    d->last_now = now;
    d->reconnect_at = now;
    d->backoff = DELIVERY_BACKOFF_MIN_MS;
    assert(delivery_check_invariants(d));
    return d;
}

void delivery_destroy(delivery_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    delivery_t *d = *self_p;
    assert(delivery_check_invariants(d));
    d->magic = DELIVERY_DEAD;
    free(d);
    *self_p = NULL;
}

/* ------------------------------------------------------------ actions */

static delivery_action_t *push(delivery_out_t *out, enum delivery_act_kind k)
{
    assert(out->n < DELIVERY_MAX_ACTIONS);
    /* A result-bearing action is always the last of an event's. */
    assert(out->n == 0 || (out->act[out->n - 1].kind != DELIVERY_ACT_CONNECT &&
                           out->act[out->n - 1].kind !=
                               DELIVERY_ACT_SEND_BATCH &&
                           out->act[out->n - 1].kind !=
                               DELIVERY_ACT_SEND_PING));
    delivery_action_t *a = &out->act[out->n++];
    memset(a, 0, sizeof *a);
    a->kind = k;
    return a;
}

static delivery_note_t *note(delivery_out_t *out, enum delivery_note_kind k)
{
    delivery_action_t *a = push(out, DELIVERY_ACT_NOTE);
    a->note.kind = k;
    return &a->note;
}

/* Ask for an action whose result must be the next event. */
static delivery_action_t *ask(delivery_t *d, delivery_out_t *out,
                              enum delivery_act_kind k, enum pending p)
{
    assert(d->pending == PENDING_NONE);
    d->pending = p;
    return push(out, k);
}

/* The only way anything reaches the spool (invariant 2). */
static void spool_op(delivery_t *d, delivery_out_t *out,
                     enum delivery_act_kind k, uint64_t n,
                     const struct spool_rejection *rej, size_t nrej)
{
    assert(k == DELIVERY_ACT_SPOOL_ACK || k == DELIVERY_ACT_SPOOL_REBASE);
    assert(d->have_n && n == d->collector_n);
    (void)d; /* read only by the assert */
    delivery_action_t *a = push(out, k);
    a->spool.next_seq = n;
    a->spool.rejections = rej;
    a->spool.n_rejections = nrej;
}

/* ------------------------------------------------------- transitions */

static void close_socket(delivery_t *d, delivery_out_t *out)
{
    assert(d->sock);
    push(out, DELIVERY_ACT_CLOSE);
    d->sock = false;
}

/* @p b less a random part of up to half of it: in [b - b / 2, b]. */
static int64_t jittered(delivery_t *d, int64_t b)
{
    uint64_t x = d->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    d->rng = x;
    return b - (int64_t)(x % (uint64_t)(b / 2 + 1));
}

/* Give up the socket: DOWN until the backoff has elapsed; the backoff
 * doubles for the time after. @p say: note why (once per outage, then
 * every UNREACHABLE_LOG_MS); false when the caller has noted it. */
static void give_up(delivery_t *d, int64_t now, bool say, enum delivery_why why,
                    const char *text, delivery_out_t *out)
{
    close_socket(d, out);
    if (say && !d->down) {
        d->down = true;
        d->down_since = now;
        d->last_down_log = now;
        delivery_note_t *n = note(out, DELIVERY_NOTE_DOWN);
        n->why = why;
        n->text = text;
    } else if (say && now - d->last_down_log >= DELIVERY_UNREACHABLE_LOG_MS) {
        d->last_down_log = now;
        note(out, DELIVERY_NOTE_STILL_DOWN)->down_ms = now - d->down_since;
    }
    d->state = DELIVERY_DOWN;
    d->n_inflight = 0;
    d->ping_out = false;
    d->reconnect_at = now + jittered(d, d->backoff);
    d->backoff = d->backoff * 2 > DELIVERY_BACKOFF_MAX_MS
                     ? DELIVERY_BACKOFF_MAX_MS
                     : d->backoff * 2;
}

static void go_down(delivery_t *d, int64_t now, enum delivery_why why,
                    const char *text, delivery_out_t *out)
{
    give_up(d, now, true, why, text, out);
}

static void go_down_quietly(delivery_t *d, int64_t now, delivery_out_t *out)
{
    give_up(d, now, false, DELIVERY_WHY_NO_PIPE, NULL, out);
}

/* Send the next batch if READY with room in the window; fill() is asked
 * again by on_result() after each batch sent, so this fills the window. */
static void fill(delivery_t *d, delivery_out_t *out)
{
    if (d->state == DELIVERY_READY && d->n_inflight < DELIVERY_WINDOW) {
        delivery_action_t *a =
            ask(d, out, DELIVERY_ACT_SEND_BATCH, PENDING_BATCH);
        a->send.from = d->next_send;
        a->send.max = DELIVERY_BATCH_MAX;
    }
}

static void on_wake(delivery_t *d, int64_t now, delivery_out_t *out)
{
    if (d->state == DELIVERY_DOWN && now >= d->reconnect_at) {
        ask(d, out, DELIVERY_ACT_CONNECT, PENDING_CONNECT);
        d->sock = true;
        d->state = DELIVERY_HELLO;
        d->hello_sent = now;
        return;
    }
    fill(d, out);
}

static void on_tick(delivery_t *d, int64_t now, delivery_out_t *out)
{
    bool ready = d->state == DELIVERY_READY;
    if (d->state == DELIVERY_HELLO &&
        now - d->hello_sent > DELIVERY_HELLO_TIMEOUT_MS) {
        go_down(d, now, DELIVERY_WHY_HELLO_TIMEOUT, NULL, out);
    } else if (ready && d->n_inflight > 0 &&
               now - d->inflight[0].sent_at > DELIVERY_ACK_TIMEOUT_MS) {
        go_down(d, now, DELIVERY_WHY_ACK_TIMEOUT, NULL, out);
    } else if (ready && d->ping_out &&
               now - d->ping_sent > DELIVERY_ACK_TIMEOUT_MS) {
        go_down(d, now, DELIVERY_WHY_PING_TIMEOUT, NULL, out);
    } else if (ready && d->n_inflight == 0 && !d->ping_out &&
               now - d->last_tx >= DELIVERY_PING_MS) {
        ask(d, out, DELIVERY_ACT_SEND_PING, PENDING_PING);
    }
}

static void on_stop(delivery_t *d, delivery_out_t *out)
{
    d->pending = PENDING_NONE;
    if (d->state == DELIVERY_READY) {
        push(out, DELIVERY_ACT_SEND_BYE);
    }
    if (d->sock) {
        close_socket(d, out);
    }
    d->state = DELIVERY_DOWN;
    d->n_inflight = 0;
    d->ping_out = false;
    d->stopped = true;
}

static void on_batch_sent(delivery_t *d, const delivery_batch_t *b,
                          int64_t now, delivery_out_t *out)
{
    assert(b->first <= b->last);
    if (b->first != d->next_send) {
        /* The spool no longer holds next_send (it was renumbered or
         * acknowledged from under us): carry on from what it holds. The
         * batches in flight cannot be consecutive with this one; forget
         * them. Their acks still count (an ACK_OK frees by N alone). */
        d->n_inflight = 0;
    }
    assert(d->n_inflight < DELIVERY_WINDOW);
    assert(d->n_inflight == 0 ||
           d->inflight[d->n_inflight - 1].last + 1 == b->first);
    flight_t *f = &d->inflight[d->n_inflight++];
    f->first = b->first;
    f->last = b->last;
    f->sent_at = now;
    d->next_send = b->last + 1;
    d->last_tx = now;
    delivery_note_t *n = note(out, DELIVERY_NOTE_BATCH_SENT);
    n->first = b->first;
    n->last = b->last;
    n->count = (uint64_t)d->n_inflight;
    fill(d, out);
}

static void on_result(delivery_t *d, const delivery_event_t *ev,
                      delivery_out_t *out)
{
    enum pending p = d->pending;
    d->pending = PENDING_NONE;
    switch (ev->kind) {
    case DELIVERY_EV_CONNECT_FAILED:
        assert(p == PENDING_CONNECT);
        /* Not the collector's fault but ours (a bad endpoint): no backoff
         * ladder, the loop has said why. */
        d->sock = false;
        d->state = DELIVERY_DOWN;
        d->reconnect_at = ev->now + jittered(d, DELIVERY_BACKOFF_MAX_MS);
        break;
    case DELIVERY_EV_SENT:
        assert(p == PENDING_CONNECT || p == PENDING_PING);
        d->last_tx = ev->now;
        if (p == PENDING_CONNECT) {
            d->hello_sent = ev->now;
        } else {
            d->ping_out = true;
            d->ping_sent = ev->now;
        }
        break;
    case DELIVERY_EV_SEND_FAILED:
        assert(p != PENDING_NONE);
        if (p == PENDING_CONNECT) {
            d->hello_sent = ev->now; /* the hello timeout will retry */
        } else {
            /* No pipe to the collector (it went away, and the socket has
             * not reconnected yet): start over on a fresh socket rather
             * than wait for a timer. */
            go_down(d, ev->now, DELIVERY_WHY_NO_PIPE, NULL, out);
        }
        break;
    case DELIVERY_EV_BATCH_SENT:
        assert(p == PENDING_BATCH);
        on_batch_sent(d, &ev->batch, ev->now, out);
        break;
    case DELIVERY_EV_NOTHING_QUEUED:
        assert(p == PENDING_BATCH);
        break;
    default:
        assert(!"not a result event");
        break;
    }
}

/* @return where sending resumes: @p n, or acked_next for a replay. */
static uint64_t reconcile(delivery_t *d, uint64_t n,
                          const delivery_spool_t *sp, delivery_out_t *out)
{
    if (n > sp->last_assigned + 1) {
        delivery_note_t *m = note(out, DELIVERY_NOTE_RENUMBER);
        m->next_seq = n;
        m->last_assigned = sp->last_assigned;
        m->queued = sp->queued;
        spool_op(d, out, DELIVERY_ACT_SPOOL_REBASE, n, NULL, 0);
    } else if (n < sp->acked_next) {
        delivery_note_t *m = note(out, DELIVERY_NOTE_LOST_DATA);
        m->next_seq = n;
        m->acked_next = sp->acked_next;
        m->queued = sp->queued;
        spool_op(d, out, DELIVERY_ACT_SPOOL_REBASE, n, NULL, 0);
    } else if (n > sp->acked_next && sp->queued > 0 &&
               d->replay_tries < DELIVERY_REPLAY_TRIES) {
        /* The collector took updates whose Ack this spool never kept (it
         * was lost, or the agent stopped first). Their outcomes were in
         * that Ack: resend them, and the collector's Ack of the replay
         * carries the rejections it still keeps (collector/replays.h). */
        d->replay_tries++;
        return sp->acked_next;
    } else if (n > sp->acked_next && sp->queued > 0) {
        /* Replays unanswered as often (a link losing the Acks): move on;
         * what this deletes has an unknown outcome. */
        spool_op(d, out, DELIVERY_ACT_SPOOL_ACK, n, NULL, 0);
        out->act[out->n - 1].spool.outcomes_unknown = true;
    } else {
        spool_op(d, out, DELIVERY_ACT_SPOOL_ACK, n, NULL, 0);
    }
    return n;
}

static void on_welcome(delivery_t *d, const delivery_welcome_t *w,
                       delivery_out_t *out)
{
    if (d->state == DELIVERY_READY && d->n_inflight > 0) {
        d->ping_out = false; /* a late answer; acks will follow */
        return;
    }
    uint64_t from = reconcile(d, w->next_seq, &w->spool, out);
    if (d->state == DELIVERY_HELLO) {
        if (d->down || !d->ever_connected) {
            note(out, DELIVERY_NOTE_CONNECTED)->next_seq = w->next_seq;
        }
        d->ever_connected = true;
    }
    d->state = DELIVERY_READY;
    d->ping_out = false;
    d->down = false;
    if (!d->trouble) {
        d->backoff = DELIVERY_BACKOFF_MIN_MS;
    }
    d->next_send = from;
    d->n_inflight = 0;
}

static void on_ack_ok(delivery_t *d, const delivery_ackmsg_t *a,
                      int64_t now, delivery_out_t *out)
{
    /* Reason 0 is an outcome the collector no longer keeps (a replay),
     * not a rejection: the receipts say "unknown". */
    size_t rejected = 0;
    for (size_t i = 0; i < a->n_rejections; i++) {
        rejected += spool_rejection_unknown(&a->rejections[i]) ? 0u : 1u;
    }
    if (rejected > 0) {
        note(out, DELIVERY_NOTE_REJECTED)->count = rejected;
    }
    d->trouble = false; /* it stores again */
    d->replay_tries = 0;
    d->backoff = DELIVERY_BACKOFF_MIN_MS;
    spool_op(d, out, DELIVERY_ACT_SPOOL_ACK, a->next_seq, a->rejections,
             a->n_rejections);
    int k = 0;
    while (k < d->n_inflight && d->inflight[k].last < a->next_seq) {
        k++;
    }
    memmove(d->inflight, d->inflight + k,
            (size_t)(d->n_inflight - k) * sizeof d->inflight[0]);
    d->n_inflight -= k;
    /* An ack shows the link alive: the oldest batch left gets its full
     * ack timeout from now. Batches sent together reach a slow link one
     * after another, so the last of a full window may arrive long after
     * it was handed to the socket; only a link that stops acknowledging
     * altogether is given up. */
    if (d->n_inflight > 0 && d->inflight[0].sent_at < now) {
        d->inflight[0].sent_at = now;
    }
    if (d->next_send < a->next_seq) {
        /* Only when the window emptied: a batch still in flight ends at
         * or beyond N, so next_send is past it already. */
        d->next_send = a->next_seq;
    }
    assert(d->n_inflight == 0 ||
           d->next_send == d->inflight[d->n_inflight - 1].last + 1);
}

static void on_ack(delivery_t *d, const delivery_ackmsg_t *a, int64_t now,
                   delivery_out_t *out)
{
    if (d->state != DELIVERY_READY) {
        return; /* nothing was sent on this socket that it could answer */
    }
    switch (a->status) {
    case WIRE_ACK_OK:
        on_ack_ok(d, a, now, out);
        break;
    case WIRE_ACK_GAP:
        /* Go back to what the collector expects; later acks for batches
         * in flight beyond it will be gaps too and change nothing. */
        if (a->next_seq < d->next_send) {
            d->next_send = reconcile(d, a->next_seq, &a->spool, out);
            d->n_inflight = 0;
        }
        break;
    case WIRE_ACK_RETRY:
        d->trouble = true;
        go_down(d, now, DELIVERY_WHY_RETRY, a->message, out);
        break;
    case WIRE_ACK_MALFORMED:
    case WIRE_ACK_UNAUTHORIZED:
    default: {
        /* Resending the same batch would be refused again: the error is
         * noted for an operator, and the next failures wait longest. */
        delivery_note_t *n = note(out, DELIVERY_NOTE_REFUSED);
        n->first = a->first_seq;
        n->last = a->last_seq;
        n->text = a->message;
        d->trouble = true;
        d->backoff = DELIVERY_BACKOFF_MAX_MS;
        go_down_quietly(d, now, out);
        break;
    }
    }
}

/* ---------------------------------------------------------- public API */

void delivery_handle(delivery_t *d, const delivery_event_t *ev,
                     delivery_out_t *out)
{
    assert(delivery_check_invariants(d));
    assert(!d->stopped);
    assert(ev->now >= d->last_now);
    out->n = 0;
    d->last_now = ev->now;
    bool result = ev->kind == DELIVERY_EV_CONNECT_FAILED ||
                  ev->kind == DELIVERY_EV_SENT ||
                  ev->kind == DELIVERY_EV_SEND_FAILED ||
                  ev->kind == DELIVERY_EV_BATCH_SENT ||
                  ev->kind == DELIVERY_EV_NOTHING_QUEUED;
    /* A result answers the action just asked for, and nothing else may
     * come between them; but EV_STOP may come at any time: a run that ends
     * on a spool error owes the result of the read it could not make. */
    assert(result == (d->pending != PENDING_NONE) ||
           (ev->kind == DELIVERY_EV_STOP && d->pending != PENDING_NONE));
    (void)result;
    switch (ev->kind) {
    case DELIVERY_EV_WAKE:
        on_wake(d, ev->now, out);
        break;
    case DELIVERY_EV_TICK:
        on_tick(d, ev->now, out);
        break;
    case DELIVERY_EV_STOP:
        on_stop(d, out);
        break;
    case DELIVERY_EV_WELCOME:
        assert(d->state != DELIVERY_DOWN); /* no socket, no message */
        d->have_n = true;
        d->collector_n = ev->welcome.next_seq;
        on_welcome(d, &ev->welcome, out);
        break;
    case DELIVERY_EV_ACK:
        assert(d->state != DELIVERY_DOWN);
        d->have_n = true;
        d->collector_n = ev->ack.next_seq;
        on_ack(d, &ev->ack, ev->now, out);
        break;
    default:
        on_result(d, ev, out);
        break;
    }
    d->have_n = false;
    assert(delivery_check_invariants(d));
}

int64_t delivery_next_timer(const delivery_t *d, int64_t now)
{
    assert(delivery_check_invariants(d));
    int64_t due = now;
    switch (d->state) {
    case DELIVERY_DOWN:
        due = d->reconnect_at;
        break;
    case DELIVERY_HELLO:
        due = d->hello_sent + DELIVERY_HELLO_TIMEOUT_MS + 1;
        break;
    case DELIVERY_READY:
        if (d->n_inflight > 0) {
            due = d->inflight[0].sent_at + DELIVERY_ACK_TIMEOUT_MS + 1;
        } else if (d->ping_out) {
            due = d->ping_sent + DELIVERY_ACK_TIMEOUT_MS + 1;
        } else {
            due = d->last_tx + DELIVERY_PING_MS;
        }
        break;
    }
    return due > now ? due - now : 0;
}

void delivery_status(const delivery_t *d, delivery_status_t *out)
{
    assert(delivery_check_invariants(d));
    out->state = d->state;
    out->in_flight = d->n_inflight;
    out->next_send = d->next_send;
    out->ever_connected = d->ever_connected;
}
