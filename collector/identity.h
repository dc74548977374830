/** @file identity.h
 *  @brief Who sent an ingest message, and which regions it may report.
 *
 *  The one place where identity is decided. With CurveZMQ (the default)
 *  the sender is the agent whose key the ZAP handler admitted: its name
 *  and regions come from the agents file (collector/auth) through the
 *  User-Id that libzmq puts on every frame of the connection, never from
 *  what the message says about itself. In plain mode (--insecure) an
 *  agent is who its messages say it is, and may report its region and the
 *  regions below it.
 *
 *  Owns: its context, which borrows the catalog and the key lists given to
 *  identity_new() (both must outlive it). A resolved identity_t borrows:
 *  with CURVE from the key lists (valid until their next reload), in plain
 *  mode from the message it was resolved from (the name the agent sent).
 *
 *  INVARIANTS
 *    1. Nothing but identity_resolve() turns a message into a reporter
 *       id.
 *    2. A resolved message that carries data has a region set: with CURVE
 *       the key's regions (allowed != NULL), in plain mode a region of the
 *       catalog (region >= 0). No batch is ever stored with "every region
 *       allowed". Only a message without data (ping, bye) may resolve to
 *       neither.
 *    3. With CURVE, a frame without a User-Id, or whose User-Id names no
 *       agent listed any more, is ERR_DENIED; in plain mode a message that
 *       names an unknown region, or a batch that names none, is ERR_PROTO;
 *       @p err names the agent either way.
 */
#ifndef HRSS_IDENTITY_H
#define HRSS_IDENTITY_H
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "collector/auth.h"
#include "common/catalog.h"
#include "common/err.h"

typedef struct identity_ctx identity_ctx_t;

/** A resolved sender. Borrowed fields (see the file comment). */
typedef struct identity {
    const char *reporter;    /**< the id the store keys sequences by */
    int region;              /**< plain mode: catalog index of the sender's
                                  region, which it may report with those
                                  below it; -1 otherwise */
    const unsigned char *allowed; /**< CURVE: one byte per catalog region,
                                       the regions the key may report for;
                                       NULL in plain mode */
} identity_t;

/** @param[in] cat   Borrowed; must outlive the context.
 *  @param[in] keys  The key lists (CURVE), or NULL for plain mode.
 *                   Borrowed; must outlive the context.
 *  @return ERR_OK. Caller owns *out and must identity_destroy() it. */
int identity_new(identity_ctx_t **out, const catalog_t *cat,
                 const auth_t *keys, char err[ERR_LEN]);

void identity_destroy(identity_ctx_t **self_p);

/** Resolve the sender of @p frame (a frame of the message, whose User-Id
 *  decides with CURVE), which claims @p name and @p region. Messages that
 *  carry no data (ping, bye) claim region 0. A message that carries data
 *  (@p data nonzero: a batch) must, in plain mode, name a region of the
 *  catalog; with CURVE what it claims is ignored.
 *  @return ERR_OK, ERR_DENIED (CURVE: key not listed), ERR_PROTO (plain:
 *          unknown or missing region); @p err says which. */
int identity_resolve(const identity_ctx_t *self, zmq_msg_t *frame,
                     const char *name, uint32_t region, int data,
                     identity_t *out, char err[ERR_LEN]);

#endif
