/** @file identity.h
 *  @brief Who sent an ingest message, and which regions it may report.
 *
 *  The one place where identity is decided. In plain mode (--insecure) an
 *  agent is who its messages say it is; with CurveZMQ (a later step) the
 *  ZAP handler's User-Id on the frame will decide instead, and only this
 *  module changes.
 *
 *  Owns: its context, which borrows the catalog given to identity_new()
 *  (it must outlive the context). A resolved identity_t borrows from the
 *  message it was resolved from: the name the agent sent (with CURVE,
 *  the frame).
 *
 *  INVARIANTS
 *    1. Nothing but identity_resolve() turns a message into a reporter
 *       id.
 *    2. A resolved message that carries data has a region of the catalog
 *       (region >= 0): no batch is ever stored with "every region
 *       allowed". Only a message without data (ping, bye) resolves to -1.
 *    3. A message that names an unknown region, or a batch that names
 *       none, is ERR_PROTO with @p err naming the agent.
 */
#ifndef HRSS_IDENTITY_H
#define HRSS_IDENTITY_H
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "common/catalog.h"
#include "common/err.h"

typedef struct identity_ctx identity_ctx_t;

/** A resolved sender. Borrowed fields: in plain mode reporter is the
 *  name passed to identity_resolve(), valid while that message lives. */
typedef struct identity {
    const char *reporter;    /**< the id the store keys sequences by */
    int region;              /**< catalog index of the sender's region: it
                                  may report that region and those below
                                  it; -1 when the message claimed none (it
                                  may then report nothing) */
} identity_t;

/** @param[in] cat  Borrowed; must outlive the context.
 *  @return ERR_OK, ERR_INVAL (only plain mode exists yet: @p insecure must
 *          be 1). Caller owns *out and must identity_destroy() it. */
int identity_new(identity_ctx_t **out, const catalog_t *cat, int insecure,
                 char err[ERR_LEN]);

void identity_destroy(identity_ctx_t **self_p);

/** Resolve the sender of @p frame, which claims @p name and @p region.
 *  Messages that carry no data (ping, bye) claim region 0: then region is
 *  -1. A message that carries data (@p data nonzero: a batch) must name a
 *  region of the catalog.
 *  @return ERR_OK, ERR_PROTO (unknown or missing region: @p err says
 *          so). */
int identity_resolve(const identity_ctx_t *self, zmq_msg_t *frame,
                     const char *name, uint32_t region, int data,
                     identity_t *out, char err[ERR_LEN]);

#endif
