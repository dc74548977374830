/** @file sender.h
 *  @brief The agent's delivery loop: spool -> collector, until acked.
 *
 *  The event loop around the pure state machine agent/delivery: it feeds
 *  the machine events (the clock, the collector's messages, the results
 *  of actions) and executes its actions against the socket and the spool;
 *  inbox files are taken through agent/watch. Only the process holding
 *  the agent's sender.lock runs it (agent/main.c).
 *
 *  Owns, for one sender_run(): the zmq context and DEALER socket, the
 *  delivery machine and the watch. Borrows everything sender_opts_t
 *  points to (the spool, the strings, the stop flag) for the run.
 *
 *  INVARIANTS
 *    1. Nothing is deleted from the spool but what the collector
 *       acknowledged: below an N it sent in a Welcome or an Ack.
 *    2. A socket to the collector exists iff the machine is not DOWN.
 *    3. A spool error ends the run with that error; the collector's
 *       absence or silence never does: it leads to a reconnection (and,
 *       for a flush, to ERR_TIMEOUT once timeout_ms has passed).
 *    4. With metrics, only copies of the loop's state are handed to
 *       another thread (ametrics_publish), at the top of each turn.
 */
#ifndef HRSS_SENDER_H
#define HRSS_SENDER_H
#include <signal.h>
#include <stdint.h>

#include "agent/ametrics.h"
#include "agent/csvin.h"
#include "agent/spool.h"
#include "common/err.h"
#include "common/keys.h"

/** Settings of one sender run. Plain value struct; pointers borrowed. */
typedef struct sender_opts {
    spool_t *spool;
    const char *endpoint;     /**< the collector's ingest endpoint */
    const char *name;         /**< agent name (plain-mode identity) */
    uint32_t region;          /**< the office's region code */
    const char *state_dir;    /**< for the inbox (run) */
    const update_scope_t *csv; /**< validation of inbox files (run) */
    int watch_inbox;          /**< run: take files dropped in STATE/inbox */
    int until_empty;          /**< flush: return once nothing is queued */
    int timeout_ms;           /**< flush: give up after this; 0 = never */
    volatile sig_atomic_t *stop; /**< set by a signal: finish and return */
    int wake_fd;              /**< readable when *stop was set (sigwake),
                                   or -1 */
    const keys_pair_t *key;   /**< CurveZMQ: this office's key pair, or
                                   NULL for plain mode */
    const char *server_key;   /**< CurveZMQ: the collector's public key
                                   (Z85), with key */
    ametrics_t *metrics;      /**< run --metrics: the state is published
                                   here at each turn; NULL: none */
} sender_opts_t;

/** Deliver the spool. Returns when *stop is set (ERR_OK), when the spool
 *  is empty and until_empty is set (ERR_OK), or when timeout_ms passes
 *  first (ERR_TIMEOUT, @p err says how much is still queued and whether
 *  the collector ever answered). Nothing is deleted from the spool that
 *  the collector did not acknowledge.
 *  @return ERR_OK, ERR_TIMEOUT, ERR_IO (spool failure). */
int sender_run(const sender_opts_t *o, char err[ERR_LEN]);

#endif
