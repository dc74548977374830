/** @file qserve.h
 *  @brief The collector's query service: a thread with its own ROUTER
 *         socket answering hrssctl's QueryRequests with query_answer().
 *
 *  Concern: moving query frames between the query socket and the query
 *  server (store/query), in a thread of its own, so that answering never
 *  delays ingest (LMDB readers do not block the writer).
 *
 *  Owns: the thread and, once started, the query socket (bound by the
 *  caller, then handed over: each zmq socket is used by one thread), its
 *  monitor socket, and the ledger of the answers zmq holds for clients
 *  (freed by the last of the service and those answers). Borrows the
 *  store, which must outlive qserve_stop(), and the zmq context, which
 *  must outlive the service.
 *
 *  INVARIANTS
 *    1. Every request frame gets at most one answer, to the peer that
 *       sent it.
 *    2. After qserve_start() returns, only the service's thread touches
 *       the socket; qserve_stop() joins it and closes the socket.
 *    3. A request is answered as an admin only when its frame's ZAP
 *       User-Id begins "admin:"; never from the routing id.
 *    4. Answers that clients have not taken off the wire stay within the
 *       limits (qserve_opts_t): a request that would pass them is
 *       dropped (its client is cut off) or gets a short error answer,
 *       never a buffered one.
 */
#ifndef HRSS_QSERVE_H
#define HRSS_QSERVE_H

#include <stddef.h>

#include "collector/auth.h"
#include "common/err.h"
#include "store/store.h"

typedef struct qserve qserve_t;

/** Default limits (qserve_opts_t, 0 fields). With them the query
 *  service holds at most QSERVE_MAX_QUEUED bytes of answers that clients
 *  have not taken off the wire yet, in total; at most QSERVE_PEER_ANSWERS
 *  answers (each at most QUERY_MAX_ANSWER, a page at most about
 *  QUERY_PAGE_BYTES) for one client; at most QSERVE_RCVHWM requests
 *  (each at most QUERY_MAX_REQUEST) waiting on one connection; and it
 *  serves at most QSERVE_MAX_CLIENTS clients at a time. */
#define QSERVE_MAX_QUEUED ((size_t)16 << 20)
#define QSERVE_PEER_ANSWERS 4
#define QSERVE_MAX_CLIENTS 64
#define QSERVE_COOL_OFF_MS 10000
#define QSERVE_SNDHWM 4
#define QSERVE_RCVHWM 4

/** Settings of the query service; 0 (NULL) fields take the defaults.
 *  Plain value struct; its strings are copied by qserve_start(). */
typedef struct qserve_opts {
    const char *backup_dir; /**< admins' backups go in here; NULL: none */
    size_t max_answer;      /**< one answer, bytes (QUERY_MAX_ANSWER) */
    size_t max_queued;      /**< answers zmq holds, in total, bytes */
    int peer_answers;       /**< answers zmq holds for one client; one
                                 more request cuts the client off */
    int max_clients;        /**< clients served at once, and connections
                                 beyond which a new client is refused */
    int cool_off_ms;        /**< how long a client cut off gets nothing */
    auth_t *auth;           /**< CURVE: the key lists, for an admin's
                                 scope (approvals); NULL: a plain
                                 collector, where anyone may approve
                                 under a name (store/query.h). Borrowed:
                                 must outlive the service */
} qserve_opts_t;

/** Counters, for tests and logs. Plain value struct. */
typedef struct qserve_stats {
    size_t queued_bytes;     /**< answers zmq holds now */
    size_t max_queued_bytes; /**< the most it held at once */
    int connections;         /**< open, from the socket monitor */
    unsigned long answered;
    unsigned long dropped;   /**< requests of clients cut off */
    unsigned long cut_offs;
    unsigned long refused;   /**< error answers: too many clients, busy */
} qserve_stats_t;

/** Set the query socket's per-connection limits: ZMQ_SNDHWM
 *  (QSERVE_SNDHWM), ZMQ_RCVHWM (QSERVE_RCVHWM), ZMQ_SNDBUF (256 KiB),
 *  ZMQ_MAXMSGSIZE (QUERY_MAX_REQUEST + 4 KiB) and ZMQ_ROUTER_MANDATORY.
 *  libzmq copies a socket's options into its listener when it binds, so
 *  call this after zmq_socket() and before zmq_bind(): set later, they do
 *  not apply to the connections the listener accepts. */
void qserve_prepare(void *sock);

/** Start answering on @p sock (a ROUTER of context @p zctx, prepared
 *  with qserve_prepare() and bound; taken over: the caller must not use
 *  it again) from @p st. Sets the socket's monitor (one per socket: the
 *  caller must not monitor it).
 *  A request's role is its ZAP User-Id: "admin:NAME" may back up (into
 *  opts->backup_dir), anything else, or none, only read.
 *  @param[in] opts  Borrowed for the call; NULL: no backups.
 *  @param[out] out  The running service; untouched on failure.
 *  @return ERR_OK, or ERR_IO when the thread cannot start (then @p sock
 *          is still the caller's). Caller owns *out and must
 *          qserve_stop() it. */
int qserve_start(qserve_t **out, void *zctx, void *sock, store_t *st,
                 const qserve_opts_t *opts);

/** The service's counters now; callable from any thread. */
void qserve_stats(qserve_t *self, qserve_stats_t *out);

/** Stop the thread, close the socket (answers nobody read are dropped),
 *  free the service and set *self_p to NULL; no-op on NULL. */
void qserve_stop(qserve_t **self_p);

#endif
