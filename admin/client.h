/** @file client.h
 *  @brief hrssctl's way to ask questions: a running collector's query
 *         socket, or the store opened read-only in this process. Both go
 *         through store/query, so the answers are the same.
 *
 *  Owns: with client_connect(), the zmq context, the DEALER socket and a
 *  copy of the endpoint; with client_open_local(), the catalog loaded
 *  from the catalog directory and the store opened read-only; either
 *  way, the catalog client_catalog() fetched. Borrows nothing. A response
 *  client_call() returns is the caller's.
 *
 *  INVARIANTS
 *    1. A client asks either a collector or a local store, never both.
 *    2. client_catalog() fetches the catalog once; it does not change
 *       during the client's life.
 *    3. A request unanswered within the timeout fails (ERR_TIMEOUT) and
 *       the socket is replaced, so a late answer is never taken for the
 *       next request's.
 *    4. A local client parses its catalog once, and reads one snapshot
 *       for its whole life unless client_refresh() takes a newer one.
 */
#ifndef HRSS_CLIENT_H
#define HRSS_CLIENT_H
#include "common/catalog.h"
#include "common/err.h"
#include "common/keys.h"
#include "common/period.h"
#include "store/store.h"
#include "proto/hrss.pb-c.h"

typedef struct client client_t;

/** Ask the collector at @p endpoint; each call waits at most
 *  @p timeout_ms. Nothing is sent until the first call. With @p key (and
 *  @p server_key, the collector's Z85 public key) the socket is a
 *  CurveZMQ client; NULL for plain mode. Both are copied.
 *  Caller owns *out and must client_destroy() it. */
int client_connect(client_t **out, const char *endpoint, int timeout_ms,
                   const keys_pair_t *key, const char *server_key,
                   char err[ERR_LEN]);

/** Open the store in @p data_dir read-only, with the catalog in
 *  @p catalog_dir, and pin one snapshot of it: every answer of this
 *  client comes from the store as it was at open (store_pin()), whatever
 *  a collector writes meanwhile. The calling thread must be the one that
 *  asks. @return ERR_OK, ERR_NOTFOUND (no store), ERR_IO,
 *  ERR_INVAL (bad catalog), ERR_VERSION. */
int client_open_local(client_t **out, const char *data_dir,
                      const char *catalog_dir, char err[ERR_LEN]);

/** How hrssctl and hrss-web are told where to ask: either @p data_dir
 *  (with @p catalog_dir), or @p connect with the key files @p key and
 *  @p collector_key (both NULL: plain mode). Plain value struct of
 *  borrowed strings. */
typedef struct client_spec {
    const char *data_dir;
    const char *catalog_dir;
    const char *connect;
    const char *key;            /**< our secret key file */
    const char *collector_key;  /**< the collector's public key file */
    int timeout_ms;
} client_spec_t;

/** client_open_local() or client_connect() as @p spec says, the key
 *  files read first. @return as those, or the key files' errors. */
int client_open(client_t **out, const client_spec_t *spec,
                char err[ERR_LEN]);

void client_destroy(client_t **self_p);

/** A local client: drop the calling thread's snapshot and pin the store
 *  as it is now, so that the answers that follow (in this thread) see
 *  what was written since. No-op for a collector's client. For a
 *  long-lived reader (hrss-web), with client_release() after each run of
 *  questions. @return ERR_OK, or ERR_IO with @p err set. */
int client_refresh(client_t *self, char err[ERR_LEN]);

/** A local client: end the calling thread's snapshot, if any (a writer
 *  may then reuse the pages it held). No-op for a collector's client. */
void client_release(client_t *self);

/** Send @p req and unpack the answer.
 *  @param[out] resp  On ERR_OK: the response (its `code` may still say the
 *                    query failed). Caller frees it with
 *                    hrss__query_response__free_unpacked(*resp, NULL).
 *  @return ERR_OK, ERR_TIMEOUT (no answer in time; @p err names the
 *          endpoint), ERR_PROTO (garbled answer). */
int client_call(client_t *self, const Hrss__QueryRequest *req,
                Hrss__QueryResponse **resp, char err[ERR_LEN]);

/** 1 when questions are answered in this process (client_open_local()),
 *  0 when a collector answers them. */
int client_is_local(const client_t *self);

/** Total of @p indicator for @p region over @p p (one TotalQ).
 *  @return ERR_OK, or the query's error code with its message in @p err.
 */
int client_total(client_t *self, const char *indicator, uint32_t region,
                 const period_t *p, store_total_t *out, char err[ERR_LEN]);

/** client_total(), or with @p approved_only the total of approved
 *  figures only (TotalQ.approved_only; store_total_approved()). A
 *  collector too old to know it (its total says nothing of approvals)
 *  is ERR_VERSION, never its plain total.
 *  @return as client_total(). */
int client_total_q(client_t *self, const char *indicator, uint32_t region,
                   const period_t *p, int approved_only, store_total_t *out,
                   char err[ERR_LEN]);

/** The catalog the store is read with (fetched from the collector, or the
 *  local one). Borrowed; valid until client_destroy(). */
const catalog_t *client_catalog(client_t *self, char err[ERR_LEN]);

#endif
