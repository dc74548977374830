/** @file delivery.h
 *  @brief The agent's delivery state machine: events in, actions out.
 *
 *  Pure logic: no sockets, no spool, no clock, no logging. The caller (the
 *  event loop in agent/sender.c) feeds one event at a time with the
 *  monotonic time it happened at, executes the actions it gets back in
 *  order, and feeds the result of a result-bearing action (CONNECT,
 *  SEND_BATCH, SEND_PING) back as the next event before anything else.
 *  Everything the machine must know about the spool comes in as event
 *  data; everything it wants done to the spool or the socket goes out as
 *  an action. See delivery.c for the state diagram.
 *
 *  Owns only its own state (delivery_t); the loop owns the socket and the
 *  spool. Borrows what an event points to (the collector's rejections and
 *  message) and passes it on in that event's actions: it must outlive
 *  their execution.
 *
 *  INVARIANTS (what the loop may rely on; delivery.c lists them all)
 *    1. Nothing is acknowledged to the spool except below an N the
 *       collector sent: every SPOOL_ACK and SPOOL_REBASE carries the N of
 *       the Welcome or Ack being handled.
 *    2. The loop holds a socket (CONNECT asked, no CLOSE or
 *       CONNECT_FAILED since) iff the state is not DOWN.
 *    3. At most one result is awaited, asked by the last action of an
 *       event: CONNECT in HELLO; SEND_BATCH in READY with room in the
 *       window; SEND_PING in READY with nothing in flight.
 *    4. At most DELIVERY_WINDOW batches are in flight, only in READY, and
 *       they are consecutive: each begins after the last seq of the one
 *       before.
 *    5. The backoff stays within DELIVERY_BACKOFF_MIN_MS ..
 *       DELIVERY_BACKOFF_MAX_MS; a reconnection waits between half of it
 *       and all of it (jitter). It is at its minimum in READY, except
 *       after the collector answered RETRY (it cannot store) or refused
 *       a batch: then only an ACK_OK resets it, not a Welcome, so an
 *       agent never retries a failing collector faster than the backoff.
 *    6. Network values (N, status) are never asserted on: any is handled.
 */
#ifndef HRSS_DELIVERY_H
#define HRSS_DELIVERY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wire.h"

/** Most updates in one batch. */
#define DELIVERY_BATCH_MAX 2000
/** Most batches in flight (unacknowledged) at once. */
#define DELIVERY_WINDOW 4
/** Replays of updates whose Ack was lost (resent from acked_next so that
 *  the replay's Ack says their outcomes) tried before a Welcome
 *  acknowledges them with unknown outcomes: a link that loses every Ack
 *  must not keep the agent resending the same window. */
#define DELIVERY_REPLAY_TRIES 3
/** A Hello unanswered for longer than this: give up the socket. */
#define DELIVERY_HELLO_TIMEOUT_MS 2000
/** No answer for this long to the oldest batch in flight (counted from
 *  its sending, or from the last ack if later) or to a ping: give up. */
#define DELIVERY_ACK_TIMEOUT_MS 3000
/** Ping after this long without sending anything. */
#define DELIVERY_PING_MS 60000
/** Reconnection backoff: starts here, doubles per failure, up to MAX;
 *  each wait is jittered down by up to half. */
#define DELIVERY_BACKOFF_MIN_MS 100
#define DELIVERY_BACKOFF_MAX_MS 15000
/** While the collector stays away, say so again this often. */
#define DELIVERY_UNREACHABLE_LOG_MS 600000
/** Most actions one event can produce. */
#define DELIVERY_MAX_ACTIONS 8

typedef struct delivery delivery_t;

enum delivery_state {
    DELIVERY_DOWN,  /**< no socket; reconnect when the backoff has elapsed */
    DELIVERY_HELLO, /**< socket open, Hello sent, waiting for Welcome */
    DELIVERY_READY, /**< welcomed: batches flow */
};

/** What the spool says, read by the loop just before a collector message
 *  is fed (spool_stats()). Plain value struct. */
typedef struct delivery_spool {
    uint64_t last_assigned; /**< highest seq ever assigned (0 if none) */
    uint64_t acked_next;    /**< next_seq of the last ack (1 if never) */
    uint64_t queued;        /**< updates waiting (for the log only) */
} delivery_spool_t;

/* Rejections pass through the machine untouched: it never looks inside. */
struct spool_rejection;

enum delivery_ev_kind {
    /* Time-driven, fed by the loop on every turn. */
    DELIVERY_EV_WAKE,   /**< top of a loop turn: reconnect when due, then
                             fill the window */
    DELIVERY_EV_TICK,   /**< after waiting: expire what is overdue, ping
                             when idle */
    DELIVERY_EV_STOP,   /**< the loop ends: say goodbye, close. May take
                             the place of an owed result; nothing may
                             follow it */
    /* From the collector (only while a socket is open). */
    DELIVERY_EV_WELCOME, /**< Welcome{next_seq}; uses .welcome */
    DELIVERY_EV_ACK,     /**< Ack{...}; uses .ack */
    /* Results of actions. */
    DELIVERY_EV_CONNECT_FAILED, /**< CONNECT: no socket (loop logged why) */
    DELIVERY_EV_SENT,           /**< CONNECT's Hello, or SEND_PING, left */
    DELIVERY_EV_SEND_FAILED,    /**< any send: no pipe to the collector */
    DELIVERY_EV_BATCH_SENT,     /**< SEND_BATCH: sent; uses .batch */
    DELIVERY_EV_NOTHING_QUEUED, /**< SEND_BATCH: nothing queued from .from */
};

typedef struct delivery_welcome {
    uint64_t next_seq;      /**< collector's N (network input: any value) */
    delivery_spool_t spool; /**< read just before */
} delivery_welcome_t;

typedef struct delivery_ackmsg {
    enum wire_ack status;
    uint64_t next_seq;  /**< network input: any value */
    uint64_t first_seq; /**< the batch it answers (for the log) */
    uint64_t last_seq;
    /** The collector's rejections, as spool_rejection_t. Borrowed: must
     *  stay valid until the actions of this event have been executed. */
    const struct spool_rejection *rejections;
    size_t n_rejections;
    /** The collector's message, or NULL. Borrowed, like rejections. */
    const char *message;
    /** Read just before; needed for GAP (may be zero otherwise). */
    delivery_spool_t spool;
} delivery_ackmsg_t;

typedef struct delivery_batch {
    uint64_t first; /**< seq of the first update sent, <= last */
    uint64_t last;  /**< seq of the last update sent */
} delivery_batch_t;

/** One event. Tagged by kind; only the member named there is read. */
typedef struct delivery_event {
    enum delivery_ev_kind kind;
    int64_t now; /**< monotonic ms; never earlier than the previous event */
    union {
        delivery_welcome_t welcome; /**< EV_WELCOME */
        delivery_ackmsg_t ack;      /**< EV_ACK */
        delivery_batch_t batch;     /**< EV_BATCH_SENT */
        uint64_t from;              /**< EV_NOTHING_QUEUED */
    };
} delivery_event_t;

/** Why the machine gave up a socket (DELIVERY_NOTE_DOWN). */
enum delivery_why {
    DELIVERY_WHY_HELLO_TIMEOUT, /**< no answer to hello */
    DELIVERY_WHY_ACK_TIMEOUT,   /**< no acknowledgement in time */
    DELIVERY_WHY_PING_TIMEOUT,  /**< no answer to ping */
    DELIVERY_WHY_NO_PIPE,       /**< a send found no pipe */
    DELIVERY_WHY_RETRY,         /**< ACK_RETRY; .text = its message/NULL */
};

/** Something worth a log line; the loop words it and picks the level
 *  given after each kind. Fields not named for a kind are zero. */
enum delivery_note_kind {
    DELIVERY_NOTE_DOWN,       /**< warn: .why, .text: lost the collector */
    DELIVERY_NOTE_STILL_DOWN, /**< warn: .down_ms: still unreachable */
    DELIVERY_NOTE_CONNECTED,  /**< info: .next_seq: (re)connected */
    DELIVERY_NOTE_RENUMBER,   /**< warn: .next_seq beyond .last_assigned:
                                   new state dir; .queued renumbered */
    DELIVERY_NOTE_LOST_DATA,  /**< error: .next_seq below .acked_next: the
                                   collector lost data; .queued renumbered */
    DELIVERY_NOTE_REJECTED,   /**< warn: .count updates rejected */
    DELIVERY_NOTE_REFUSED,    /**< error: batch .first...last refused;
                                   .text = the collector's message/NULL */
    DELIVERY_NOTE_BATCH_SENT, /**< debug: .first...last, .count in flight */
};

typedef struct delivery_note {
    enum delivery_note_kind kind;
    enum delivery_why why;
    /** Borrowed from the event's message; valid as long as it is. */
    const char *text;
    uint64_t next_seq;
    uint64_t last_assigned;
    uint64_t acked_next;
    uint64_t queued;
    uint64_t first;
    uint64_t last;
    uint64_t count;
    int64_t down_ms;
} delivery_note_t;

enum delivery_act_kind {
    /** Open a new socket to the collector and send Hello on it. Result:
     *  EV_CONNECT_FAILED (no socket), else EV_SENT or EV_SEND_FAILED. */
    DELIVERY_ACT_CONNECT,
    /** Close the socket, dropping whatever it still holds. */
    DELIVERY_ACT_CLOSE,
    /** Read at most .send.max updates queued from seq .send.from on and
     *  send them as one Batch. Result: EV_BATCH_SENT, EV_NOTHING_QUEUED or
     *  EV_SEND_FAILED. */
    DELIVERY_ACT_SEND_BATCH,
    /** Send a Ping. Result: EV_SENT or EV_SEND_FAILED. */
    DELIVERY_ACT_SEND_PING,
    /** Send a Bye, letting it linger briefly. No result. */
    DELIVERY_ACT_SEND_BYE,
    /** spool_ack(.spool.next_seq, .spool.rejections, .spool.n_rejections).
     *  A failure is the loop's to report; the machine expects none. */
    DELIVERY_ACT_SPOOL_ACK,
    /** spool_rebase(.spool.next_seq): renumber what is queued from it. */
    DELIVERY_ACT_SPOOL_REBASE,
    /** Log .note. */
    DELIVERY_ACT_NOTE,
};

typedef struct delivery_send {
    uint64_t from;
    size_t max;
} delivery_send_t;

typedef struct delivery_spool_op {
    uint64_t next_seq; /**< always an N the collector sent */
    /** Borrowed from the event (see delivery_ackmsg_t); NULL with 0. */
    const struct spool_rejection *rejections;
    size_t n_rejections;
    /** ACT_SPOOL_ACK of a Welcome after DELIVERY_REPLAY_TRIES replays
     *  went unanswered: the outcomes of what it deletes are unknown
     *  (receipts say so), not accepted. */
    bool outcomes_unknown;
} delivery_spool_op_t;

/** One action. Tagged by kind; only the member named there is set. */
typedef struct delivery_action {
    enum delivery_act_kind kind;
    union {
        delivery_send_t send;      /**< ACT_SEND_BATCH */
        delivery_spool_op_t spool; /**< ACT_SPOOL_ACK, ACT_SPOOL_REBASE */
        delivery_note_t note;      /**< ACT_NOTE */
    };
} delivery_action_t;

/** The actions of one event, to be executed in order. At most one of them
 *  bears a result (CONNECT, SEND_BATCH, SEND_PING), and it is the last. */
typedef struct delivery_out {
    size_t n;
    delivery_action_t act[DELIVERY_MAX_ACTIONS];
} delivery_out_t;

/** A snapshot for the loop's decisions and logs. Plain value struct. */
typedef struct delivery_status {
    enum delivery_state state;
    int in_flight;       /**< batches sent and not acknowledged */
    uint64_t next_send;  /**< first seq of the next batch */
    bool ever_connected; /**< a Welcome was ever received */
} delivery_status_t;

/** A new machine, DOWN, due to connect at @p now (monotonic ms).
 *  @p seed starts the jitter of its reconnection delays (any value; the
 *  loop gives each process its own, tests a fixed one).
 *  Never NULL. Caller owns return value and must destroy it. */
delivery_t *delivery_new(int64_t now, uint64_t seed);

/** Free the machine and set *self_p to NULL; no-op when *self_p is NULL. */
void delivery_destroy(delivery_t **self_p);

/** Handle one event.
 *  @param[in]  ev   The event; its borrowed pointers must outlive the
 *                   execution of the actions.
 *  @param[out] out  Receives the actions (out->n may be 0); overwritten.
 *  A result event must follow the action that asked for it, before any
 *  other event but EV_STOP; collector events only while a socket is open
 *  (state != DOWN). Breaking that order is a programmer error (asserted),
 *  as is a time earlier than the previous event's. Network
 *  values (next_seq, status) are never asserted on: any value is handled.
 */
void delivery_handle(delivery_t *self, const delivery_event_t *ev,
                     delivery_out_t *out);

/** Milliseconds from @p now until the machine next needs an EV_WAKE or
 *  EV_TICK (0 when overdue). */
int64_t delivery_next_timer(const delivery_t *self, int64_t now);

/** Current state, for the loop's decisions and logs. */
void delivery_status(const delivery_t *self, delivery_status_t *out);

/** True when every invariant listed in delivery.c holds. Asserted at each
 *  public entry point (so it costs nothing under NDEBUG); tests call it. */
bool delivery_check_invariants(const delivery_t *self);

#endif
