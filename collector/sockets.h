/** @file sockets.h
 *  @brief The collector's ZeroMQ listening sockets: binding a ROUTER with
 *         its limits, heartbeats and (with a key) CurveZMQ, which
 *         endpoints plain mode may bind, and DATA_DIR/endpoints.
 *
 *  Owns nothing: a socket it binds is the caller's to close.
 *
 *  INVARIANTS
 *    1. Every option is set before the bind (libzmq copies them into the
 *       listener then); a CURVE server is bound only with its ZAP domain.
 *    2. Both sockets send heartbeats and drop a peer silent for three.
 *    3. DATA_DIR/endpoints is replaced whole (file_write_atomic): a reader
 *       never sees half of it.
 */
#ifndef HRSS_SOCKETS_H
#define HRSS_SOCKETS_H
#include <stddef.h>

#include "common/keys.h"

/** 1 when plain mode may bind @p ep: loopback TCP, ipc:// or inproc://. */
int sockets_is_local(const char *ep);

/** A bound ROUTER on @p endpoint, or NULL after logging why. With @p key
 *  a CurveZMQ server in ZAP domain @p domain (the ZAP handler must be
 *  running). @p heartbeat_ms (0: the default) is its heartbeat interval;
 *  @p prepare (may be NULL) sets the socket's own options last. */
void *sockets_bind_router(void *zctx, const char *endpoint, int mandatory,
                          const keys_pair_t *key, const char *domain,
                          int heartbeat_ms, void (*prepare)(void *sock));

/** The endpoint @p s bound (its port when it asked for *), or "?". */
void sockets_last_endpoint(void *s, char *buf, size_t len);

/** Write DATA_DIR/endpoints: ingest=, query= and, when not NULL,
 *  metrics= lines. A failure is logged, not fatal. */
void sockets_write_endpoints(const char *dir, const char *ingest,
                             const char *query, const char *metrics);

#endif
