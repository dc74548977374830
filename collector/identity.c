/* identity.c: decide who sent an ingest message (plain mode for now).
 *
 * A sender's region decides what it may report: that region and those
 * below it (the store checks each update against it, common/update).
 *
 * INVARIANTS
 *   1. Nothing but identity_resolve() turns a message into a reporter id.
 *   2. A resolved message that carries data has region >= 0: no batch is
 *      ever stored with "every region allowed".
 */
#include "collector/identity.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/mem.h"

struct identity_ctx {
    const catalog_t *cat;
};

int identity_new(identity_ctx_t **out, const catalog_t *cat, int insecure,
                 char err[ERR_LEN])
{
    if (!insecure) {
        snprintf(err, ERR_LEN,
                 "authentication (CurveZMQ) is not implemented yet: run in "
                 "plain mode with --insecure on a trusted network");
        return ERR_INVAL;
    }
    identity_ctx_t *c = xcalloc(1, sizeof *c);
    c->cat = cat;
    *out = c;
    return ERR_OK;
}

void identity_destroy(identity_ctx_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    free(*self_p);
    *self_p = NULL;
}

int identity_resolve(const identity_ctx_t *self, zmq_msg_t *frame,
                     const char *name, uint32_t region, int data,
                     identity_t *out, char err[ERR_LEN])
{
    (void)frame; /* CURVE: zmq_msg_gets(frame, "User-Id") decides */
    if (region == 0 && data) {
        snprintf(err, ERR_LEN, "agent '%s' sent a batch that names no "
                 "region", name);
        return ERR_PROTO;
    }
    if (region == 0) {
        /* Ping and Bye claim no region: they only keep a session alive
         * and may not carry data. */
        out->reporter = name;
        out->region = -1;
        return ERR_OK;
    }
    int ri = catalog_region_find(self->cat, region);
    if (ri < 0) {
        snprintf(err, ERR_LEN, "agent '%s' names unknown region %u", name,
                 region);
        return ERR_PROTO;
    }
    out->reporter = name;
    out->region = ri;
    return ERR_OK;
}
