/** @file qserve.h
 *  @brief The collector's query service: a thread with its own ROUTER
 *         socket answering hrssctl's QueryRequests with query_answer().
 *
 *  Concern: moving query frames between the query socket and the query
 *  server (store/query), in a thread of its own, so that answering never
 *  delays ingest (LMDB readers do not block the writer).
 *
 *  Owns: the thread and, once started, the query socket (bound by the
 *  caller, then handed over: each zmq socket is used by one thread).
 *  Borrows the store, which must outlive qserve_stop().
 *
 *  INVARIANTS
 *    1. Every request frame gets at most one answer, to the peer that
 *       sent it.
 *    2. After qserve_start() returns, only the service's thread touches
 *       the socket; qserve_stop() joins it and closes the socket.
 *    3. A request is answered as an admin only when its frame's ZAP
 *       User-Id begins "admin:"; never from the routing id.
 */
#ifndef HRSS_QSERVE_H
#define HRSS_QSERVE_H

#include "common/err.h"
#include "store/store.h"

typedef struct qserve qserve_t;

/** Settings of the query service. Plain value struct; its strings are
 *  copied by qserve_start(). */
typedef struct qserve_opts {
    const char *backup_dir; /**< admins' backups go in here; NULL: none */
} qserve_opts_t;

/** Start answering on @p sock (a bound ROUTER of context @p zctx; taken
 *  over: the caller must not use it again) from @p st.
 *  A request's role is its ZAP User-Id: "admin:NAME" may back up (into
 *  opts->backup_dir), anything else, or none, only read.
 *  @param[in] opts  Borrowed for the call; NULL: no backups.
 *  @param[out] out  The running service; untouched on failure.
 *  @return ERR_OK, or ERR_IO when the thread cannot start (then @p sock
 *          is still the caller's). Caller owns *out and must
 *          qserve_stop() it. */
int qserve_start(qserve_t **out, void *zctx, void *sock, store_t *st,
                 const qserve_opts_t *opts);

/** Stop the thread, close the socket, free the service and set *self_p
 *  to NULL; no-op on NULL. */
void qserve_stop(qserve_t **self_p);

#endif
