/* test_delivery_fsm.c: the delivery state machine alone (agent/delivery.c):
 * synthetic events at synthetic times in, the exact actions out. No
 * sockets, no spool, no clock, no sleeps. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>

#include "agent/delivery.h"
#include "agent/spool.h"

#define T0 1000000 /* an arbitrary start on the monotonic clock */
#define SEED 42    /* the jitter's: any fixed value */

static const char *const act_names[] = {
    [DELIVERY_ACT_CONNECT] = "CONNECT",
    [DELIVERY_ACT_CLOSE] = "CLOSE",
    [DELIVERY_ACT_SEND_BATCH] = "SEND_BATCH",
    [DELIVERY_ACT_SEND_PING] = "SEND_PING",
    [DELIVERY_ACT_SEND_BYE] = "SEND_BYE",
    [DELIVERY_ACT_SPOOL_ACK] = "SPOOL_ACK",
    [DELIVERY_ACT_SPOOL_REBASE] = "SPOOL_REBASE",
    [DELIVERY_ACT_NOTE] = "NOTE",
};

static delivery_out_t out;

/* ------------------------------------------------------------ feeding */

static const delivery_out_t *feed(delivery_t *d, const delivery_event_t *ev)
{
    memset(&out, 0xA5, sizeof out); /* stale actions must not survive */
    delivery_handle(d, ev, &out);
    cr_assert(delivery_check_invariants(d), "invariants after event %d",
              (int)ev->kind);
    return &out;
}

static const delivery_out_t *on(delivery_t *d, enum delivery_ev_kind k,
                                int64_t now)
{
    return feed(d, &(delivery_event_t){.kind = k, .now = now});
}

static delivery_spool_t facts(uint64_t last_assigned, uint64_t acked_next,
                              uint64_t queued)
{
    return (delivery_spool_t){last_assigned, acked_next, queued};
}

static const delivery_out_t *welcome(delivery_t *d, int64_t now, uint64_t n,
                                     delivery_spool_t sp)
{
    return feed(d, &(delivery_event_t){.kind = DELIVERY_EV_WELCOME,
                                       .now = now,
                                       .welcome = {n, sp}});
}

static delivery_ackmsg_t ackmsg(enum wire_ack st, uint64_t n,
                                uint64_t first, uint64_t last)
{
    return (delivery_ackmsg_t){
        .status = st, .next_seq = n, .first_seq = first, .last_seq = last};
}

static const delivery_out_t *ack_full(delivery_t *d, int64_t now,
                                      const delivery_ackmsg_t *a)
{
    return feed(d, &(delivery_event_t){
                       .kind = DELIVERY_EV_ACK, .now = now, .ack = *a});
}

static const delivery_out_t *ack(delivery_t *d, int64_t now,
                                 enum wire_ack st, uint64_t n,
                                 uint64_t first, uint64_t last)
{
    delivery_ackmsg_t a = ackmsg(st, n, first, last);
    return ack_full(d, now, &a);
}

static const delivery_out_t *sent(delivery_t *d, int64_t now, uint64_t first,
                                  uint64_t last)
{
    return feed(d, &(delivery_event_t){.kind = DELIVERY_EV_BATCH_SENT,
                                       .now = now,
                                       .batch = {first, last}});
}

static const delivery_out_t *nothing_from(delivery_t *d, int64_t now,
                                          uint64_t from)
{
    return feed(d, &(delivery_event_t){
                       .kind = DELIVERY_EV_NOTHING_QUEUED,
                       .now = now,
                       .from = from});
}

/* --------------------------------------------------------- expectations */

/* The actions are exactly these kinds, in this order. */
static void expect(const delivery_out_t *o, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    cr_assert_eq(o->n, n, "got %zu actions (first %s), expected %zu", o->n,
                 o->n > 0 ? act_names[o->act[0].kind] : "-", n);
    for (size_t i = 0; i < n; i++) {
        enum delivery_act_kind k = (enum delivery_act_kind)va_arg(ap, int);
        cr_assert_eq(o->act[i].kind, k, "action %zu is %s, expected %s", i,
                     act_names[o->act[i].kind], act_names[k]);
    }
    va_end(ap);
}

static const delivery_note_t *note_at(const delivery_out_t *o, size_t i,
                                      enum delivery_note_kind k)
{
    cr_assert_lt(i, o->n);
    cr_assert_eq(o->act[i].kind, DELIVERY_ACT_NOTE, "action %zu: %s", i,
                 act_names[o->act[i].kind]);
    cr_assert_eq(o->act[i].note.kind, k, "note %zu is %d, expected %d", i,
                 (int)o->act[i].note.kind, (int)k);
    return &o->act[i].note;
}

static void expect_spool(const delivery_out_t *o, size_t i,
                         enum delivery_act_kind k, uint64_t n)
{
    cr_assert_lt(i, o->n);
    cr_assert_eq(o->act[i].kind, k, "action %zu: %s", i,
                 act_names[o->act[i].kind]);
    cr_assert_eq(o->act[i].spool.next_seq, n, "spool op at %llu, not %llu",
                 (unsigned long long)o->act[i].spool.next_seq,
                 (unsigned long long)n);
}

static void expect_send_from(const delivery_out_t *o, size_t i, uint64_t from)
{
    cr_assert_lt(i, o->n);
    cr_assert_eq(o->act[i].kind, DELIVERY_ACT_SEND_BATCH, "action %zu: %s",
                 i, act_names[o->act[i].kind]);
    cr_assert_eq(o->act[i].send.from, from, "send from %llu, not %llu",
                 (unsigned long long)o->act[i].send.from,
                 (unsigned long long)from);
    cr_assert_eq(o->act[i].send.max, DELIVERY_BATCH_MAX);
}

static void expect_down(const delivery_out_t *o, enum delivery_why why)
{
    expect(o, 2, DELIVERY_ACT_CLOSE, DELIVERY_ACT_NOTE);
    cr_assert_eq(note_at(o, 1, DELIVERY_NOTE_DOWN)->why, why);
}

static delivery_status_t status(const delivery_t *d)
{
    delivery_status_t st;
    delivery_status(d, &st);
    return st;
}

/* ------------------------------------------------------------ scenarios */

/* WAKE -> CONNECT, the Hello leaves, Welcome(n) -> READY. */
static void connect_ready(delivery_t *d, int64_t now, uint64_t n,
                          delivery_spool_t sp)
{
    expect(on(d, DELIVERY_EV_WAKE, now), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SENT, now), 0);
    welcome(d, now, n, sp);
    cr_assert_eq(status(d).state, DELIVERY_READY);
}

/* From a WAKE at @p now, send @p count batches of @p size from @p from;
 * when the window still has room, the spool then has nothing more. */
static void send_batches(delivery_t *d, int64_t now, uint64_t from,
                         uint64_t size, int count)
{
    const delivery_out_t *o = on(d, DELIVERY_EV_WAKE, now);
    expect(o, 1, DELIVERY_ACT_SEND_BATCH);
    expect_send_from(o, 0, from);
    for (int i = 0; i < count; i++) {
        int before = status(d).in_flight;
        o = sent(d, now, from, from + size - 1);
        const delivery_note_t *n = note_at(o, 0, DELIVERY_NOTE_BATCH_SENT);
        cr_assert_eq(n->first, from);
        cr_assert_eq(n->last, from + size - 1);
        cr_assert_eq(n->count, (uint64_t)before + 1);
        from += size;
        if (before + 1 < DELIVERY_WINDOW) {
            expect(o, 2, DELIVERY_ACT_NOTE, DELIVERY_ACT_SEND_BATCH);
            expect_send_from(o, 1, from);
        } else {
            expect(o, 1, DELIVERY_ACT_NOTE);
        }
    }
    if (status(d).in_flight < DELIVERY_WINDOW) {
        expect(nothing_from(d, now, from), 0);
    }
    cr_assert_eq(status(d).next_send, from);
}

/* The machine waits for backoff @p b: between half of it and all of it
 * (jitter). @return the wait. */
static int64_t expect_wait(delivery_t *d, int64_t now, int64_t b)
{
    int64_t w = delivery_next_timer(d, now);
    cr_assert(w >= b - b / 2 && w <= b, "waits %lld ms for a backoff of %lld",
              (long long)w, (long long)b);
    return w;
}

/* Reconnect after a failure: the backoff in force is @p backoff. */
static int64_t reconnect_after(delivery_t *d, int64_t now, int64_t backoff)
{
    int64_t delay = expect_wait(d, now, backoff);
    expect(on(d, DELIVERY_EV_WAKE, now + delay - 1), 0);
    expect(on(d, DELIVERY_EV_WAKE, now + delay), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SENT, now + delay), 0);
    return now + delay;
}

/* ---------------------------------------------------------------- tests */

Test(delivery, connects_on_first_wake_and_welcome_makes_ready)
{
    delivery_t *d = delivery_new(T0, SEED);
    cr_assert_eq(status(d).state, DELIVERY_DOWN);
    cr_assert_eq(delivery_next_timer(d, T0), 0, "connect at once");
    cr_assert_not(status(d).ever_connected);

    expect(on(d, DELIVERY_EV_WAKE, T0), 1, DELIVERY_ACT_CONNECT);
    cr_assert_eq(status(d).state, DELIVERY_HELLO);
    expect(on(d, DELIVERY_EV_SENT, T0 + 1), 0);
    cr_assert_eq(delivery_next_timer(d, T0 + 1),
                 DELIVERY_HELLO_TIMEOUT_MS + 1);
    expect(on(d, DELIVERY_EV_WAKE, T0 + 2), 0); /* no batch before Welcome */

    const delivery_out_t *o = welcome(d, T0 + 5, 1, facts(0, 1, 0));
    expect(o, 2, DELIVERY_ACT_SPOOL_ACK, DELIVERY_ACT_NOTE);
    expect_spool(o, 0, DELIVERY_ACT_SPOOL_ACK, 1);
    cr_assert_null(o->act[0].spool.rejections);
    cr_assert_eq(o->act[0].spool.n_rejections, 0);
    cr_assert_eq(note_at(o, 1, DELIVERY_NOTE_CONNECTED)->next_seq, 1);
    delivery_status_t st = status(d);
    cr_assert_eq(st.state, DELIVERY_READY);
    cr_assert_eq(st.next_send, 1);
    cr_assert_eq(st.in_flight, 0);
    cr_assert(st.ever_connected);

    o = on(d, DELIVERY_EV_WAKE, T0 + 6);
    expect(o, 1, DELIVERY_ACT_SEND_BATCH);
    expect_send_from(o, 0, 1);
    expect(nothing_from(d, T0 + 6, 1), 0);
    expect(on(d, DELIVERY_EV_TICK, T0 + 7), 0);
    delivery_destroy(&d);
    cr_assert_null(d);
    delivery_destroy(&d); /* harmless twice */
}

Test(delivery, welcome_within_the_spool_resends_what_it_never_acked)
{
    delivery_t *d = delivery_new(T0, SEED);
    expect(on(d, DELIVERY_EV_WAKE, T0), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SENT, T0), 0);
    /* Edge of the range: N == last_assigned + 1 (everything delivered,
     * the Ack lost): nothing is acknowledged; 5..20 go again, so that
     * the Ack of the replay says their outcomes. */
    const delivery_out_t *o = welcome(d, T0, 21, facts(20, 5, 16));
    expect(o, 1, DELIVERY_ACT_NOTE);
    cr_assert_eq(status(d).next_send, 5);
    o = on(d, DELIVERY_EV_WAKE, T0);
    expect(o, 1, DELIVERY_ACT_SEND_BATCH);
    expect_send_from(o, 0, 5);
    expect(sent(d, T0, 5, 20), 2, DELIVERY_ACT_NOTE,
           DELIVERY_ACT_SEND_BATCH);
    expect(nothing_from(d, T0, 21), 0);
    /* The replay's Ack acknowledges, with the outcomes it carries. */
    o = ack(d, T0 + 1, WIRE_ACK_OK, 21, 5, 20);
    expect(o, 1, DELIVERY_ACT_SPOOL_ACK);
    expect_spool(o, 0, DELIVERY_ACT_SPOOL_ACK, 21);
    delivery_destroy(&d);

    d = delivery_new(T0, SEED);
    expect(on(d, DELIVERY_EV_WAKE, T0), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SENT, T0), 0);
    /* ... and N == acked_next (nothing new applied) */
    o = welcome(d, T0, 5, facts(20, 5, 16));
    expect(o, 2, DELIVERY_ACT_SPOOL_ACK, DELIVERY_ACT_NOTE);
    expect_spool(o, 0, DELIVERY_ACT_SPOOL_ACK, 5);
    cr_assert_eq(status(d).next_send, 5);
    delivery_destroy(&d);
}

/* A link that loses every Ack: after DELIVERY_REPLAY_TRIES replays
 * without an ACK_OK, the Welcome acknowledges with unknown outcomes
 * instead of resending the same window again. */
Test(delivery, unanswered_replays_end_in_an_ack_with_unknown_outcomes)
{
    delivery_t *d = delivery_new(T0, SEED);
    int64_t t = T0;
    expect(on(d, DELIVERY_EV_WAKE, t), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SENT, t), 0);
    for (int i = 0; i < DELIVERY_REPLAY_TRIES; i++) {
        const delivery_out_t *o = welcome(d, t, 21, facts(20, 5, 16));
        for (size_t k = 0; k < o->n; k++) {
            cr_assert_neq(o->act[k].kind, DELIVERY_ACT_SPOOL_ACK);
        }
        cr_assert_eq(status(d).next_send, 5);
        expect(on(d, DELIVERY_EV_WAKE, t), 1, DELIVERY_ACT_SEND_BATCH);
        expect(sent(d, t, 5, 20), 2, DELIVERY_ACT_NOTE,
               DELIVERY_ACT_SEND_BATCH);
        expect(nothing_from(d, t, 21), 0);
        t += DELIVERY_ACK_TIMEOUT_MS + 1;
        expect_down(on(d, DELIVERY_EV_TICK, t), DELIVERY_WHY_ACK_TIMEOUT);
        t = reconnect_after(d, t, DELIVERY_BACKOFF_MIN_MS);
    }
    const delivery_out_t *o = welcome(d, t, 21, facts(20, 5, 16));
    cr_assert_eq(o->act[0].kind, DELIVERY_ACT_SPOOL_ACK);
    expect_spool(o, 0, DELIVERY_ACT_SPOOL_ACK, 21);
    cr_assert(o->act[0].spool.outcomes_unknown);
    cr_assert_eq(status(d).next_send, 21);
    delivery_destroy(&d);
}

Test(delivery, hello_timeout_goes_down_with_backoff_doubling_to_the_cap)
{
    delivery_t *d = delivery_new(T0, SEED);
    int64_t t = T0;
    expect(on(d, DELIVERY_EV_WAKE, t), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SENT, t), 0);
    expect(on(d, DELIVERY_EV_TICK, t + DELIVERY_HELLO_TIMEOUT_MS), 0);
    t += DELIVERY_HELLO_TIMEOUT_MS + 1;
    expect_down(on(d, DELIVERY_EV_TICK, t), DELIVERY_WHY_HELLO_TIMEOUT);
    cr_assert_eq(status(d).state, DELIVERY_DOWN);

    static const int64_t delays[] = {100,  200,  400,   800,   1600,
                                     3200, 6400, 12800, 15000, 15000};
    for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++) {
        t = reconnect_after(d, t, delays[i]);
        t += DELIVERY_HELLO_TIMEOUT_MS + 1;
        /* Down already said: no second note within ten minutes. */
        expect(on(d, DELIVERY_EV_TICK, t), 1, DELIVERY_ACT_CLOSE);
    }
    expect_wait(d, t, DELIVERY_BACKOFF_MAX_MS);

    /* Success resets the backoff and says so, since it had been down. */
    t = reconnect_after(d, t, DELIVERY_BACKOFF_MAX_MS);
    const delivery_out_t *o = welcome(d, t, 1, facts(0, 1, 0));
    expect(o, 2, DELIVERY_ACT_SPOOL_ACK, DELIVERY_ACT_NOTE);
    note_at(o, 1, DELIVERY_NOTE_CONNECTED);
    o = on(d, DELIVERY_EV_WAKE, t);
    expect(o, 1, DELIVERY_ACT_SEND_BATCH);
    expect_down(on(d, DELIVERY_EV_SEND_FAILED, t), DELIVERY_WHY_NO_PIPE);
    t = reconnect_after(d, t, DELIVERY_BACKOFF_MIN_MS);
    t += DELIVERY_HELLO_TIMEOUT_MS + 1;
    expect(on(d, DELIVERY_EV_TICK, t), 1, DELIVERY_ACT_CLOSE);
    expect_wait(d, t, 2 * DELIVERY_BACKOFF_MIN_MS);
    delivery_destroy(&d);
}

Test(delivery, still_unreachable_is_noted_every_ten_minutes)
{
    delivery_t *d = delivery_new(T0, SEED);
    int64_t t = T0;
    expect(on(d, DELIVERY_EV_WAKE, t), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SENT, t), 0);
    t += DELIVERY_HELLO_TIMEOUT_MS + 1;
    int64_t first_down = t;
    expect_down(on(d, DELIVERY_EV_TICK, t), DELIVERY_WHY_HELLO_TIMEOUT);
    int notes = 0;
    int64_t last_note = t;
    while (t < first_down + 2 * DELIVERY_UNREACHABLE_LOG_MS + 60000) {
        t = reconnect_after(d, t, delivery_next_timer(d, t));
        t += DELIVERY_HELLO_TIMEOUT_MS + 1;
        const delivery_out_t *o = on(d, DELIVERY_EV_TICK, t);
        if (t - last_note < DELIVERY_UNREACHABLE_LOG_MS) {
            expect(o, 1, DELIVERY_ACT_CLOSE);
            continue;
        }
        expect(o, 2, DELIVERY_ACT_CLOSE, DELIVERY_ACT_NOTE);
        cr_assert_eq(note_at(o, 1, DELIVERY_NOTE_STILL_DOWN)->down_ms,
                     t - first_down);
        last_note = t;
        notes++;
    }
    cr_assert_eq(notes, 2);
    delivery_destroy(&d);
}

Test(delivery, connect_failure_retries_after_the_longest_backoff)
{
    delivery_t *d = delivery_new(T0, SEED);
    expect(on(d, DELIVERY_EV_WAKE, T0), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_CONNECT_FAILED, T0), 0); /* the loop says why */
    cr_assert_eq(status(d).state, DELIVERY_DOWN);
    expect_wait(d, T0, DELIVERY_BACKOFF_MAX_MS);
    /* The backoff ladder itself is untouched. */
    int64_t t = reconnect_after(d, T0, DELIVERY_BACKOFF_MAX_MS);
    t += DELIVERY_HELLO_TIMEOUT_MS + 1;
    expect_down(on(d, DELIVERY_EV_TICK, t), DELIVERY_WHY_HELLO_TIMEOUT);
    expect_wait(d, t, DELIVERY_BACKOFF_MIN_MS);
    delivery_destroy(&d);
}

Test(delivery, hello_send_failure_waits_for_the_hello_timeout)
{
    delivery_t *d = delivery_new(T0, SEED);
    expect(on(d, DELIVERY_EV_WAKE, T0), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SEND_FAILED, T0 + 10), 0);
    cr_assert_eq(status(d).state, DELIVERY_HELLO);
    expect(on(d, DELIVERY_EV_TICK, T0 + 10 + DELIVERY_HELLO_TIMEOUT_MS), 0);
    expect_down(on(d, DELIVERY_EV_TICK, T0 + 11 + DELIVERY_HELLO_TIMEOUT_MS),
                DELIVERY_WHY_HELLO_TIMEOUT);
    delivery_destroy(&d);
}

Test(delivery, a_full_window_and_an_ack_frees_a_slot)
{
    const uint64_t w = DELIVERY_WINDOW * DELIVERY_BATCH_MAX; /* in flight */
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(w + 1000, 1, w + 1000));
    send_batches(d, T0, 1, DELIVERY_BATCH_MAX, DELIVERY_WINDOW);
    cr_assert_eq(status(d).in_flight, DELIVERY_WINDOW);
    cr_assert_eq(status(d).next_send, w + 1);
    expect(on(d, DELIVERY_EV_WAKE, T0 + 1), 0); /* the window is full */
    expect(on(d, DELIVERY_EV_TICK, T0 + 1), 0);

    const uint64_t b = DELIVERY_BATCH_MAX;
    const delivery_out_t *o = ack(d, T0 + 2, WIRE_ACK_OK, b + 1, 1, b);
    expect(o, 1, DELIVERY_ACT_SPOOL_ACK);
    expect_spool(o, 0, DELIVERY_ACT_SPOOL_ACK, b + 1);
    cr_assert_eq(status(d).in_flight, DELIVERY_WINDOW - 1);
    cr_assert_eq(status(d).next_send, w + 1);

    o = on(d, DELIVERY_EV_WAKE, T0 + 3);
    expect(o, 1, DELIVERY_ACT_SEND_BATCH);
    expect_send_from(o, 0, w + 1);
    expect(sent(d, T0 + 3, w + 1, w + b), 1, DELIVERY_ACT_NOTE);
    cr_assert_eq(status(d).in_flight, DELIVERY_WINDOW);
    cr_assert_eq(status(d).next_send, w + b + 1);
    delivery_destroy(&d);
}

/* A full window sent at once reaches a slow link one batch after another:
 * while acks keep coming, even seconds apart, the link is not given up;
 * once they stop for the ack timeout, it is. */
Test(delivery, a_slow_link_that_keeps_acknowledging_is_not_given_up)
{
    const uint64_t w = DELIVERY_WINDOW * DELIVERY_BATCH_MAX;
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(w, 1, w));
    send_batches(d, T0, 1, DELIVERY_BATCH_MAX, DELIVERY_WINDOW);
    int64_t t = T0;
    for (uint64_t k = 1; k < DELIVERY_WINDOW; k++) {
        t += DELIVERY_ACK_TIMEOUT_MS - 100; /* each just within the bound */
        expect(on(d, DELIVERY_EV_TICK, t), 0);
        uint64_t n = k * DELIVERY_BATCH_MAX + 1;
        expect(ack(d, t, WIRE_ACK_OK, n, n - DELIVERY_BATCH_MAX, n - 1), 1,
               DELIVERY_ACT_SPOOL_ACK);
        cr_assert_eq(status(d).state, DELIVERY_READY, "after ack %llu",
                     (unsigned long long)k);
    }
    cr_assert_eq(status(d).in_flight, 1);
    expect(on(d, DELIVERY_EV_TICK, t + DELIVERY_ACK_TIMEOUT_MS), 0);
    expect_down(on(d, DELIVERY_EV_TICK, t + DELIVERY_ACK_TIMEOUT_MS + 1),
                DELIVERY_WHY_ACK_TIMEOUT);
    delivery_destroy(&d);
}

Test(delivery, ack_ok_frees_only_the_batches_below_n)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(2000, 1, 2000));
    send_batches(d, T0, 1, 500, 4);

    expect(ack(d, T0 + 1, WIRE_ACK_OK, 1001, 501, 1000), 1,
           DELIVERY_ACT_SPOOL_ACK);
    cr_assert_eq(status(d).in_flight, 2, "1..500 and 501..1000 acked");
    cr_assert_eq(status(d).next_send, 2001);

    /* N inside 1001..1500: that batch is not fully acknowledged yet. */
    const delivery_out_t *o = ack(d, T0 + 2, WIRE_ACK_OK, 1200, 1001,
                                  1500);
    expect_spool(o, 0, DELIVERY_ACT_SPOOL_ACK, 1200);
    cr_assert_eq(status(d).in_flight, 2);
    cr_assert_eq(status(d).next_send, 2001);
    /* N == 1500, that batch's last: seq 1500 itself is not applied. */
    expect(ack(d, T0 + 2, WIRE_ACK_OK, 1500, 1001, 1500), 1,
           DELIVERY_ACT_SPOOL_ACK);
    cr_assert_eq(status(d).in_flight, 2);

    expect(ack(d, T0 + 3, WIRE_ACK_OK, 2001, 1501, 2000), 1,
           DELIVERY_ACT_SPOOL_ACK);
    cr_assert_eq(status(d).in_flight, 0);
    cr_assert_eq(status(d).next_send, 2001);
    delivery_destroy(&d);
}

Test(delivery, ack_ok_with_rejections_hands_them_to_the_spool)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(500, 1, 500));
    send_batches(d, T0, 1, 500, 1);
    spool_rejection_t rej[2];
    memset(rej, 0, sizeof rej);
    rej[0].seq = 7;
    rej[0].reason = 5; /* REJ_FUTURE_MONTH */
    rej[1].seq = 9;
    rej[1].reason = 12; /* REJ_PERIOD_LOCKED */
    delivery_ackmsg_t a = ackmsg(WIRE_ACK_OK, 501, 1, 500);
    a.rejections = rej;
    a.n_rejections = 2;
    const delivery_out_t *o = ack_full(d, T0 + 1, &a);
    expect(o, 2, DELIVERY_ACT_NOTE, DELIVERY_ACT_SPOOL_ACK);
    cr_assert_eq(note_at(o, 0, DELIVERY_NOTE_REJECTED)->count, 2);
    expect_spool(o, 1, DELIVERY_ACT_SPOOL_ACK, 501);
    cr_assert_eq(o->act[1].spool.rejections, rej);
    cr_assert_eq(o->act[1].spool.n_rejections, 2);
    cr_assert_eq(status(d).in_flight, 0);
    delivery_destroy(&d);
}

/* Reason 0 (REJ_NONE) in an Ack is a replayed update whose outcome the
 * collector no longer keeps: handed to the spool (its receipt says
 * "unknown"), not counted as rejected. */
Test(delivery, ack_ok_with_an_unknown_outcome_does_not_count_it_rejected)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(500, 1, 500));
    send_batches(d, T0, 1, 500, 1);
    spool_rejection_t rej[2];
    memset(rej, 0, sizeof rej);
    rej[0].seq = 3;
    rej[0].reason = SPOOL_REASON_UNKNOWN;
    rej[1].seq = 9;
    rej[1].reason = 12;
    delivery_ackmsg_t a = ackmsg(WIRE_ACK_OK, 501, 1, 500);
    a.rejections = rej;
    a.n_rejections = 2;
    const delivery_out_t *o = ack_full(d, T0 + 1, &a);
    expect(o, 2, DELIVERY_ACT_NOTE, DELIVERY_ACT_SPOOL_ACK);
    cr_assert_eq(note_at(o, 0, DELIVERY_NOTE_REJECTED)->count, 1);
    cr_assert_eq(o->act[1].spool.n_rejections, 2);
    rej[1].reason = SPOOL_REASON_UNKNOWN;
    send_batches(d, T0 + 2, 501, 500, 1);
    a = ackmsg(WIRE_ACK_OK, 1001, 501, 1000);
    a.rejections = rej;
    a.n_rejections = 2;
    o = ack_full(d, T0 + 3, &a);
    expect(o, 1, DELIVERY_ACT_SPOOL_ACK);
    delivery_destroy(&d);
}

Test(delivery, ack_gap_goes_back_and_later_gaps_change_nothing)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(2000, 1, 2000));
    send_batches(d, T0, 1, 500, 4);
    /* 1..500 never arrived: the collector answers 501..1000 with GAP 1. */
    delivery_ackmsg_t a = ackmsg(WIRE_ACK_GAP, 1, 501, 1000);
    a.spool = facts(2000, 1, 2000);
    const delivery_out_t *o = ack_full(d, T0 + 1, &a);
    expect(o, 1, DELIVERY_ACT_SPOOL_ACK);
    expect_spool(o, 0, DELIVERY_ACT_SPOOL_ACK, 1);
    cr_assert_eq(status(d).in_flight, 0);
    cr_assert_eq(status(d).next_send, 1);

    /* The gaps for 1001..1500 and 1501..2000 follow: nothing to do. */
    a.first_seq = 1001;
    a.last_seq = 1500;
    expect(ack_full(d, T0 + 1, &a), 0);
    a.first_seq = 1501;
    a.last_seq = 2000;
    expect(ack_full(d, T0 + 1, &a), 0);
    cr_assert_eq(status(d).next_send, 1);

    /* Everything from N goes again. */
    send_batches(d, T0 + 2, 1, 500, 4);
    /* A gap at or beyond next_send is no reason to go back. */
    a = ackmsg(WIRE_ACK_GAP, 2001, 2001, 2500);
    expect(ack_full(d, T0 + 3, &a), 0);
    cr_assert_eq(status(d).in_flight, 4);
    delivery_destroy(&d);
}

Test(delivery, ack_gap_below_what_was_acked_means_the_collector_lost_data)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1001, facts(2000, 1001, 1000));
    send_batches(d, T0, 1001, 500, 2);
    delivery_ackmsg_t a = ackmsg(WIRE_ACK_GAP, 300, 1001, 1500);
    a.spool = facts(2000, 1001, 1000);
    const delivery_out_t *o = ack_full(d, T0 + 1, &a);
    expect(o, 2, DELIVERY_ACT_NOTE, DELIVERY_ACT_SPOOL_REBASE);
    const delivery_note_t *n = note_at(o, 0, DELIVERY_NOTE_LOST_DATA);
    cr_assert_eq(n->next_seq, 300);
    cr_assert_eq(n->acked_next, 1001);
    expect_spool(o, 1, DELIVERY_ACT_SPOOL_REBASE, 300);
    cr_assert_eq(status(d).next_send, 300);
    cr_assert_eq(status(d).in_flight, 0);
    delivery_destroy(&d);
}

Test(delivery, ack_retry_goes_down_with_backoff)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(1000, 1, 1000));
    send_batches(d, T0, 1, 500, 2);
    delivery_ackmsg_t a = ackmsg(WIRE_ACK_RETRY, 1, 1, 500);
    a.message = "the store is full";
    const delivery_out_t *o = ack_full(d, T0 + 10, &a);
    expect_down(o, DELIVERY_WHY_RETRY);
    cr_assert_eq(o->act[1].note.text, a.message);
    delivery_status_t st = status(d);
    cr_assert_eq(st.state, DELIVERY_DOWN);
    cr_assert_eq(st.in_flight, 0);
    /* The backoff grows while the collector keeps failing. */
    int64_t t = reconnect_after(d, T0 + 10, DELIVERY_BACKOFF_MIN_MS);
    t += DELIVERY_HELLO_TIMEOUT_MS + 1;
    expect(on(d, DELIVERY_EV_TICK, t), 1, DELIVERY_ACT_CLOSE);
    expect_wait(d, t, 2 * DELIVERY_BACKOFF_MIN_MS);
    delivery_destroy(&d);

    d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(1000, 1, 1000));
    send_batches(d, T0, 1, 500, 1);
    o = ack(d, T0 + 1, WIRE_ACK_RETRY, 1, 1, 500);
    expect_down(o, DELIVERY_WHY_RETRY);
    cr_assert_null(o->act[1].note.text, "no message: the loop words it");
    delivery_destroy(&d);
}

Test(delivery, refused_batch_is_an_error_and_sets_the_longest_backoff)
{
    static const enum wire_ack refusals[] = {WIRE_ACK_MALFORMED,
                                             WIRE_ACK_UNAUTHORIZED};
    for (size_t i = 0; i < 2; i++) {
        delivery_t *d = delivery_new(T0, SEED);
        connect_ready(d, T0, 1, facts(1000, 1, 1000));
        send_batches(d, T0, 1, 500, 2);
        delivery_ackmsg_t a = ackmsg(refusals[i], 1, 1, 500);
        a.message = "seqs not consecutive";
        const delivery_out_t *o = ack_full(d, T0 + 10, &a);
        /* The error, then the socket goes without a "down" warning. */
        expect(o, 2, DELIVERY_ACT_NOTE, DELIVERY_ACT_CLOSE);
        const delivery_note_t *n = note_at(o, 0, DELIVERY_NOTE_REFUSED);
        cr_assert_eq(n->first, 1);
        cr_assert_eq(n->last, 500);
        cr_assert_eq(n->text, a.message);
        cr_assert_eq(status(d).state, DELIVERY_DOWN);
        cr_assert_eq(status(d).in_flight, 0);
        /* Sending it again at once would be refused again: this
         * reconnection and every failure after it wait the longest. */
        int64_t t = reconnect_after(d, T0 + 10, DELIVERY_BACKOFF_MAX_MS);
        t += DELIVERY_HELLO_TIMEOUT_MS + 1;
        expect_down(on(d, DELIVERY_EV_TICK, t), DELIVERY_WHY_HELLO_TIMEOUT);
        expect_wait(d, t, DELIVERY_BACKOFF_MAX_MS);
        delivery_destroy(&d);
    }
}

Test(delivery, reconnect_after_a_quiet_refusal_is_not_announced)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(500, 1, 500));
    send_batches(d, T0, 1, 500, 1);
    expect(ack(d, T0 + 1, WIRE_ACK_MALFORMED, 1, 1, 500), 2,
           DELIVERY_ACT_NOTE, DELIVERY_ACT_CLOSE);
    int64_t t = reconnect_after(d, T0 + 1, DELIVERY_BACKOFF_MAX_MS);
    /* No "down" was said, so no "connected" either. */
    const delivery_out_t *o = welcome(d, t, 1, facts(500, 1, 500));
    expect(o, 1, DELIVERY_ACT_SPOOL_ACK);
    cr_assert_eq(status(d).state, DELIVERY_READY);
    delivery_destroy(&d);
}

Test(delivery, ack_timeout_goes_down_and_reconnect_resends_from_n)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(1500, 1, 1500));
    int64_t t = T0 + 100;
    send_batches(d, t, 1, 500, 1);
    /* A second batch later: the timeout runs from the oldest. */
    const delivery_out_t *o = on(d, DELIVERY_EV_WAKE, t + 2000);
    expect_send_from(o, 0, 501);
    expect(sent(d, t + 2000, 501, 1000), 2, DELIVERY_ACT_NOTE,
           DELIVERY_ACT_SEND_BATCH);
    expect(nothing_from(d, t + 2000, 1001), 0);
    cr_assert_eq(delivery_next_timer(d, t + 2000),
                 DELIVERY_ACK_TIMEOUT_MS + 1 - 2000);
    expect(on(d, DELIVERY_EV_TICK, t + DELIVERY_ACK_TIMEOUT_MS), 0);
    t += DELIVERY_ACK_TIMEOUT_MS + 1;
    expect_down(on(d, DELIVERY_EV_TICK, t), DELIVERY_WHY_ACK_TIMEOUT);
    cr_assert_eq(status(d).in_flight, 0);

    /* The collector had applied 1..500: it says 501; 1.. goes again
     * (its Ack was lost: the replay's Ack carries the outcomes). */
    t = reconnect_after(d, t, DELIVERY_BACKOFF_MIN_MS);
    o = welcome(d, t, 501, facts(1500, 1, 1500));
    expect(o, 1, DELIVERY_ACT_NOTE);
    cr_assert_eq(note_at(o, 0, DELIVERY_NOTE_CONNECTED)->next_seq, 501);
    send_batches(d, t, 1, 500, 3);
    delivery_destroy(&d);
}

Test(delivery, pings_after_a_minute_idle_and_gives_up_unanswered)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(0, 1, 0));
    expect(on(d, DELIVERY_EV_WAKE, T0), 1, DELIVERY_ACT_SEND_BATCH);
    expect(nothing_from(d, T0, 1), 0);
    cr_assert_eq(delivery_next_timer(d, T0), DELIVERY_PING_MS);
    expect(on(d, DELIVERY_EV_TICK, T0 + DELIVERY_PING_MS - 1), 0);
    int64_t p = T0 + DELIVERY_PING_MS;
    expect(on(d, DELIVERY_EV_TICK, p), 1, DELIVERY_ACT_SEND_PING);
    expect(on(d, DELIVERY_EV_SENT, p), 0);
    cr_assert_eq(delivery_next_timer(d, p), DELIVERY_ACK_TIMEOUT_MS + 1);
    expect(on(d, DELIVERY_EV_TICK, p + DELIVERY_ACK_TIMEOUT_MS), 0);
    expect_down(on(d, DELIVERY_EV_TICK, p + DELIVERY_ACK_TIMEOUT_MS + 1),
                DELIVERY_WHY_PING_TIMEOUT);
    delivery_destroy(&d);
}

Test(delivery, answered_ping_keeps_ready_and_a_batch_resets_idle)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(0, 1, 0));
    int64_t p = T0 + DELIVERY_PING_MS;
    expect(on(d, DELIVERY_EV_TICK, p), 1, DELIVERY_ACT_SEND_PING);
    expect(on(d, DELIVERY_EV_SENT, p), 0);
    /* The Welcome answering it reconciles but does not say "connected". */
    const delivery_out_t *o = welcome(d, p + 5, 1, facts(0, 1, 0));
    expect(o, 1, DELIVERY_ACT_SPOOL_ACK);
    expect(on(d, DELIVERY_EV_TICK, p + DELIVERY_ACK_TIMEOUT_MS + 1), 0);
    cr_assert_eq(delivery_next_timer(d, p + 5), DELIVERY_PING_MS - 5);

    /* A batch sent counts as traffic: the next ping is a minute later. */
    int64_t b = p + 4000;
    send_batches(d, b, 1, 10, 1);
    expect(ack(d, b + 1, WIRE_ACK_OK, 11, 1, 10), 1,
           DELIVERY_ACT_SPOOL_ACK);
    expect(on(d, DELIVERY_EV_TICK, b + DELIVERY_PING_MS - 1), 0);
    expect(on(d, DELIVERY_EV_TICK, b + DELIVERY_PING_MS), 1,
           DELIVERY_ACT_SEND_PING);
    /* A ping that finds no pipe: down at once. */
    expect_down(on(d, DELIVERY_EV_SEND_FAILED, b + DELIVERY_PING_MS),
                DELIVERY_WHY_NO_PIPE);
    delivery_destroy(&d);
}

Test(delivery, late_welcome_with_batches_in_flight_changes_nothing)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(0, 1, 0));
    int64_t p = T0 + DELIVERY_PING_MS;
    expect(on(d, DELIVERY_EV_TICK, p), 1, DELIVERY_ACT_SEND_PING);
    expect(on(d, DELIVERY_EV_SENT, p), 0);
    /* Updates arrive; batches leave before the ping's answer. */
    send_batches(d, p + 1, 1, 500, 2);
    const delivery_out_t *o = welcome(d, p + 10, 1, facts(1000, 1, 1000));
    expect(o, 0); /* no reconcile: acks for the batches will follow */
    delivery_status_t st = status(d);
    cr_assert_eq(st.in_flight, 2);
    cr_assert_eq(st.next_send, 1001);
    expect(ack(d, p + 20, WIRE_ACK_OK, 1001, 501, 1000), 1,
           DELIVERY_ACT_SPOOL_ACK);
    /* The ping counts as answered: no ping timeout. */
    expect(on(d, DELIVERY_EV_TICK, p + DELIVERY_ACK_TIMEOUT_MS + 1), 0);
    cr_assert_eq(status(d).state, DELIVERY_READY);
    delivery_destroy(&d);
}

Test(delivery, welcome_below_acked_next_means_the_collector_lost_data)
{
    delivery_t *d = delivery_new(T0, SEED);
    expect(on(d, DELIVERY_EV_WAKE, T0), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SENT, T0), 0);
    const delivery_out_t *o = welcome(d, T0, 1, facts(1500, 1001, 500));
    expect(o, 3, DELIVERY_ACT_NOTE, DELIVERY_ACT_SPOOL_REBASE,
           DELIVERY_ACT_NOTE);
    const delivery_note_t *n = note_at(o, 0, DELIVERY_NOTE_LOST_DATA);
    cr_assert_eq(n->next_seq, 1);
    cr_assert_eq(n->acked_next, 1001);
    cr_assert_eq(n->queued, 500);
    expect_spool(o, 1, DELIVERY_ACT_SPOOL_REBASE, 1);
    note_at(o, 2, DELIVERY_NOTE_CONNECTED);
    cr_assert_eq(status(d).next_send, 1);
    send_batches(d, T0, 1, 500, 1);
    delivery_destroy(&d);
}

Test(delivery, welcome_beyond_the_spool_means_a_new_state_dir)
{
    delivery_t *d = delivery_new(T0, SEED);
    expect(on(d, DELIVERY_EV_WAKE, T0), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SENT, T0), 0);
    const delivery_out_t *o = welcome(d, T0, 5000, facts(10, 1, 10));
    expect(o, 3, DELIVERY_ACT_NOTE, DELIVERY_ACT_SPOOL_REBASE,
           DELIVERY_ACT_NOTE);
    const delivery_note_t *n = note_at(o, 0, DELIVERY_NOTE_RENUMBER);
    cr_assert_eq(n->next_seq, 5000);
    cr_assert_eq(n->last_assigned, 10);
    cr_assert_eq(n->queued, 10);
    expect_spool(o, 1, DELIVERY_ACT_SPOOL_REBASE, 5000);
    cr_assert_eq(status(d).next_send, 5000);
    send_batches(d, T0, 5000, 10, 1);
    delivery_destroy(&d);
}

Test(delivery, send_failure_goes_down_at_once)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(2000, 1, 2000));
    const delivery_out_t *o = on(d, DELIVERY_EV_WAKE, T0 + 1);
    expect_send_from(o, 0, 1);
    expect(sent(d, T0 + 1, 1, 500), 2, DELIVERY_ACT_NOTE,
           DELIVERY_ACT_SEND_BATCH);
    expect_down(on(d, DELIVERY_EV_SEND_FAILED, T0 + 1),
                DELIVERY_WHY_NO_PIPE);
    delivery_status_t st = status(d);
    cr_assert_eq(st.state, DELIVERY_DOWN);
    cr_assert_eq(st.in_flight, 0);
    expect_wait(d, T0 + 1, DELIVERY_BACKOFF_MIN_MS);
    expect(on(d, DELIVERY_EV_TICK, T0 + 2), 0); /* already down */
    delivery_destroy(&d);
}

Test(delivery, batch_from_a_renumbered_spool_restarts_the_window)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(1000, 1, 1000));
    const delivery_out_t *o = on(d, DELIVERY_EV_WAKE, T0);
    expect_send_from(o, 0, 1);
    expect(sent(d, T0, 1, 500), 2, DELIVERY_ACT_NOTE,
           DELIVERY_ACT_SEND_BATCH);
    /* Asked for 501.., the spool's first is 9000: carry on from there. */
    o = sent(d, T0, 9000, 9499);
    expect(o, 2, DELIVERY_ACT_NOTE, DELIVERY_ACT_SEND_BATCH);
    expect_send_from(o, 1, 9500);
    expect(nothing_from(d, T0, 9500), 0);
    cr_assert_eq(status(d).in_flight, 1);
    cr_assert_eq(status(d).next_send, 9500);
    delivery_destroy(&d);
}

Test(delivery, stop_says_bye_only_when_ready)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(0, 1, 0));
    expect(on(d, DELIVERY_EV_STOP, T0 + 1), 2, DELIVERY_ACT_SEND_BYE,
           DELIVERY_ACT_CLOSE);
    cr_assert_eq(status(d).state, DELIVERY_DOWN);
    delivery_destroy(&d);

    d = delivery_new(T0, SEED);
    expect(on(d, DELIVERY_EV_WAKE, T0), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SENT, T0), 0);
    expect(on(d, DELIVERY_EV_STOP, T0 + 1), 1, DELIVERY_ACT_CLOSE);
    delivery_destroy(&d);

    d = delivery_new(T0, SEED);
    expect(on(d, DELIVERY_EV_STOP, T0), 0);
    delivery_destroy(&d);

    /* A run that ends on a spool error stops while a read is owed. */
    d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(10, 1, 10));
    expect(on(d, DELIVERY_EV_WAKE, T0), 1, DELIVERY_ACT_SEND_BATCH);
    expect(on(d, DELIVERY_EV_STOP, T0), 2, DELIVERY_ACT_SEND_BYE,
           DELIVERY_ACT_CLOSE);
    delivery_destroy(&d);
}

Test(delivery, hostile_collector_values_are_handled_not_asserted)
{
    delivery_t *d = delivery_new(T0, SEED);
    expect(on(d, DELIVERY_EV_WAKE, T0), 1, DELIVERY_ACT_CONNECT);
    expect(on(d, DELIVERY_EV_SENT, T0), 0);
    /* An ack before any Welcome answers nothing this socket sent. */
    expect(ack(d, T0, WIRE_ACK_OK, 99, 1, 500), 0);
    expect(ack(d, T0, WIRE_ACK_GAP, 0, 1, 500), 0);
    expect(ack(d, T0, WIRE_ACK_MALFORMED, 0, 1, 500), 0);
    cr_assert_eq(status(d).state, DELIVERY_HELLO);
    welcome(d, T0, 1, facts(2000, 1, 2000));
    send_batches(d, T0, 1, 500, 4);
    /* An OK far beyond anything sent: the spool is told (N came from
     * the collector), the window empties, nothing breaks. */
    const delivery_out_t *o = ack(d, T0 + 1, WIRE_ACK_OK, UINT64_MAX,
                                  7, 3);
    expect_spool(o, 0, DELIVERY_ACT_SPOOL_ACK, UINT64_MAX);
    cr_assert_eq(status(d).in_flight, 0);
    cr_assert_eq(status(d).next_send, UINT64_MAX);
    /* A gap back to 0 with odd spool facts. */
    delivery_ackmsg_t a = ackmsg(WIRE_ACK_GAP, 0, 5, 1);
    a.spool = facts(0, 1, 0);
    o = ack_full(d, T0 + 2, &a);
    expect_spool(o, 1, DELIVERY_ACT_SPOOL_REBASE, 0);
    cr_assert_eq(status(d).next_send, 0);
    /* A status value out of range goes the refused way. */
    o = ack(d, T0 + 3, (enum wire_ack)77, 1, 1, 1);
    expect(o, 2, DELIVERY_ACT_NOTE, DELIVERY_ACT_CLOSE);
    cr_assert_eq(status(d).state, DELIVERY_DOWN);
    delivery_destroy(&d);
}

/* A collector that cannot store (disk full) answers every batch with
 * RETRY, and welcomes every reconnection: the Welcome used to reset the
 * backoff, so agents came back every ~120 ms. Only an ACK_OK resets it. */
Test(delivery, a_collector_that_cannot_store_is_retried_ever_slower)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(500, 1, 500));
    int64_t t = T0;
    int64_t b = DELIVERY_BACKOFF_MIN_MS;
    int64_t waited = 0;
    for (int i = 0; i < 12; i++) {
        send_batches(d, t, 1, 500, 1);
        expect_down(ack(d, t + 1, WIRE_ACK_RETRY, 1, 1, 500),
                    DELIVERY_WHY_RETRY);
        int64_t next = reconnect_after(d, t + 1, b);
        waited += next - (t + 1);
        t = next;
        const delivery_out_t *o = welcome(d, t, 1, facts(500, 1, 500));
        expect_spool(o, 0, DELIVERY_ACT_SPOOL_ACK, 1);
        cr_assert_eq(status(d).state, DELIVERY_READY);
        b = 2 * b > DELIVERY_BACKOFF_MAX_MS ? DELIVERY_BACKOFF_MAX_MS : 2 * b;
    }
    /* 0.1 + 0.2 + ... + 12.8 + 15 + 15 + 15 s, each at least halved. */
    cr_assert_geq(waited, 35000, "12 retries in %lld ms", (long long)waited);
    /* It stores again: the next trouble starts from the shortest wait. */
    send_batches(d, t, 1, 500, 1);
    expect_spool(ack(d, t + 1, WIRE_ACK_OK, 501, 1, 500), 0,
                 DELIVERY_ACT_SPOOL_ACK, 501);
    expect_send_from(on(d, DELIVERY_EV_WAKE, t + 2), 0, 501);
    expect_down(on(d, DELIVERY_EV_SEND_FAILED, t + 2), DELIVERY_WHY_NO_PIPE);
    expect_wait(d, t + 2, DELIVERY_BACKOFF_MIN_MS);
    delivery_destroy(&d);
}

/* A batch the collector refuses is refused again when resent: every
 * reconnection after a refusal waits the longest, Welcome or not. */
Test(delivery, a_refused_batch_is_resent_at_the_longest_backoff_each_time)
{
    delivery_t *d = delivery_new(T0, SEED);
    connect_ready(d, T0, 1, facts(500, 1, 500));
    int64_t t = T0;
    for (int i = 0; i < 4; i++) {
        send_batches(d, t, 1, 500, 1);
        expect(ack(d, t + 1, WIRE_ACK_MALFORMED, 1, 1, 500), 2,
               DELIVERY_ACT_NOTE, DELIVERY_ACT_CLOSE);
        t = reconnect_after(d, t + 1, DELIVERY_BACKOFF_MAX_MS);
        welcome(d, t, 1, facts(500, 1, 500));
        cr_assert_eq(status(d).state, DELIVERY_READY);
    }
    delivery_destroy(&d);
}

/* Offices that lost the collector together do not return together: each
 * wait is the backoff less a random part of up to half of it. */
Test(delivery, reconnections_are_jittered)
{
    int64_t first[2];
    for (int k = 0; k < 2; k++) {
        delivery_t *d = delivery_new(T0, (uint64_t)k + 1);
        int64_t t = T0;
        int64_t lo = DELIVERY_BACKOFF_MAX_MS;
        int64_t hi = 0;
        for (int i = 0; i < 20; i++) {
            expect(on(d, DELIVERY_EV_WAKE, t), 1, DELIVERY_ACT_CONNECT);
            expect(on(d, DELIVERY_EV_CONNECT_FAILED, t), 0);
            int64_t w = expect_wait(d, t, DELIVERY_BACKOFF_MAX_MS);
            if (i == 0) {
                first[k] = w;
            }
            lo = w < lo ? w : lo;
            hi = w > hi ? w : hi;
            t += w;
        }
        cr_assert_lt(lo, hi, "20 waits of %lld ms", (long long)lo);
        delivery_destroy(&d);
    }
    cr_assert_neq(first[0], first[1], "two seeds, one wait");
}
