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
 */
#ifndef HRSS_QSERVE_H
#define HRSS_QSERVE_H

#include "common/err.h"
#include "store/store.h"

typedef struct qserve qserve_t;

/** Start answering on @p sock (a bound ROUTER; taken over: the caller
 *  must not use it again) from @p st.
 *  @param[out] out  The running service; untouched on failure.
 *  @return ERR_OK, or ERR_IO when the thread cannot start (then @p sock
 *          is still the caller's). Caller owns *out and must
 *          qserve_stop() it. */
int qserve_start(qserve_t **out, void *sock, store_t *st);

/** Stop the thread, close the socket, free the service and set *self_p
 *  to NULL; no-op on NULL. */
void qserve_stop(qserve_t **self_p);

#endif
