/** @file auth.h
 *  @brief Who may connect to the collector, as whom, and for which
 *         regions: the agents and admins files, and the ZAP handler that
 *         admits only their keys.
 *
 *  Concern: authentication and authorization of CurveZMQ peers. The
 *  agents file lists the keys that may send figures (ingest socket), the
 *  admins file the keys that may ask questions (query socket):
 *
 *    agents:  <public key> <agent name> <region>[,<region>...]
 *    admins:  <public key> <name> read|admin [<region>[,<region>...]]
 *
 *  `#` starts a comment line; a region is a GB/T code of the catalog, and
 *  a code followed by a slash and a star (330100 then "/" then "*") means
 *  that region and every region below it (a city office reporting for its
 *  counties). An admin's optional regions
 *  limit which regions it acts for (default: the catalog's root and all
 *  below it). A malformed file is refused whole with "FILE:LINE: reason".
 *
 *  The ZAP handler (RFC 27) runs in its own thread on the collector's
 *  zmq context and must be started before any socket binds: a CURVE
 *  server with no handler accepts every key (LIBRARY-NOTES). It answers
 *  "200" for a key listed for the socket's ZAP domain (AUTH_DOMAIN_INGEST:
 *  agents; AUTH_DOMAIN_QUERY: admins) and "400" for anything else, and
 *  gives the connection a User-Id: the agent's name on the ingest socket,
 *  "admin:NAME" or "read:NAME" on the query socket. Every frame of the
 *  connection then carries that User-Id: the collector reads identity
 *  from it, never from what a message says about itself.
 *
 *  Owns: the lists (names, keys, region sets) and the handler's thread
 *  and socket. Borrows the catalog (must outlive it) and the zmq context.
 *  Pointers handed out (auth_agent_t) are borrowed and valid until the
 *  next auth_reload() or auth_destroy(), which only the thread that calls
 *  auth_agent() may call.
 *
 *  Threads: the handler's thread reads the lists under a mutex; the
 *  owning thread (the collector's main thread) reloads them under it and
 *  reads them without it (it is the only writer).
 *
 *  INVARIANTS
 *    1. Keys and agent names are unique within their file; every listed
 *       region is a region of the catalog.
 *    2. A reload either replaces both lists with the files' new contents
 *       or, when either file has an error, keeps both old lists.
 *    3. The handler admits a peer only with the CURVE mechanism and a key
 *       listed for the socket's domain.
 */
#ifndef HRSS_AUTH_H
#define HRSS_AUTH_H
#include <stddef.h>

#include "common/catalog.h"
#include "common/err.h"

/** The ZAP domains of the collector's two sockets (ZMQ_ZAP_DOMAIN). */
#define AUTH_DOMAIN_INGEST "hrss-ingest"
#define AUTH_DOMAIN_QUERY "hrss-query"

typedef struct auth auth_t;

/** A listed agent. Borrowed; valid until the next auth_reload(). */
typedef struct auth_agent {
    const char *name;              /**< the store's reporter id */
    const unsigned char *allowed;  /**< per catalog region index: 1 when
                                        the agent may report it */
} auth_agent_t;

/** Read the agents file @p agents_path and the admins file
 *  @p admins_path (NULL: no admins, the query socket admits no one).
 *  @param[out] out  The lists; untouched on failure.
 *  @return ERR_OK, ERR_IO (a file cannot be read), ERR_INVAL (malformed:
 *          "FILE:LINE: reason" in @p err). Caller owns *out and must
 *          auth_destroy() it. */
int auth_new(auth_t **out, const catalog_t *cat, const char *agents_path,
             const char *admins_path, char err[ERR_LEN]);

/** Read both files again. On any error both old lists stay in force and
 *  @p err says which file, line and why. @return ERR_OK, ERR_IO,
 *  ERR_INVAL. */
int auth_reload(auth_t *self, char err[ERR_LEN]);

/** Bind the ZAP endpoint in @p zctx and start the handler's thread. Call
 *  before any socket of @p zctx binds. @return ERR_OK or ERR_IO. */
int auth_zap_start(auth_t *self, void *zctx, char err[ERR_LEN]);

/** Stop the handler: call after zmq_ctx_shutdown() of its context (its
 *  receive then fails with ETERM), before zmq_ctx_term(). No-op when it
 *  was not started. */
void auth_zap_stop(auth_t *self);

/** Stop the handler if running, free the lists, set *self_p to NULL;
 *  no-op on NULL. */
void auth_destroy(auth_t **self_p);

/** The agent named @p name (a ZAP User-Id of the ingest socket), or NULL
 *  when no listed key has that name (any more). */
const auth_agent_t *auth_agent(const auth_t *self, const char *name);

/** Copy the regions of the admin key named @p name (one byte per catalog
 *  region index: 1 when its line covers the region) into @p out, which
 *  holds catalog_region_count() bytes. Callable from any thread (under
 *  the lists' lock, as the ZAP handler reads them).
 *  @return 1 when an admin of that name is listed now, else 0. */
int auth_admin_scope(auth_t *self, const char *name, unsigned char *out);

/** How many agents and admins are listed. */
void auth_counts(const auth_t *self, size_t *agents, size_t *admins);

#endif
