/* identity.c: decide who sent an ingest message.
 *
 * With CurveZMQ the ZAP handler (collector/auth) admitted the connection
 * and named it: the User-Id of the frame is an agent's name in the agents
 * file, looked up again for each message so that a key removed by a
 * reload stops being accepted at once, even on a connection made before.
 * In plain mode a sender's claimed region decides what it may report:
 * that region and those below it. Either way the store checks each update
 * against the result (common/update).
 *
 * INVARIANTS
 *   1. Nothing but identity_resolve() turns a message into a reporter id.
 *   2. A resolved message that carries data has a region set (CURVE:
 *      allowed != NULL; plain: region >= 0): no batch is ever stored with
 *      "every region allowed".
 */
#include "collector/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

struct identity_ctx {
    const catalog_t *cat;
    const auth_t *keys; /* NULL: plain mode */
};

int identity_new(identity_ctx_t **out, const catalog_t *cat,
                 const auth_t *keys, char err[ERR_LEN])
{
    (void)err;
    identity_ctx_t *c = xcalloc(1, sizeof *c);
    c->cat = cat;
    c->keys = keys;
    *out = c;
    return ERR_OK;
}

/* With CURVE: the agent the ZAP handler admitted, by its User-Id. */
static int resolve_key(const identity_ctx_t *self, zmq_msg_t *frame,
                       const char *name, identity_t *out, char err[ERR_LEN])
{
    const char *user = zmq_msg_gets(frame, "User-Id");
    const auth_agent_t *a = auth_agent(self->keys, user);
    if (a == NULL) {
        snprintf(err, ERR_LEN, "a message claiming to be '%.64s' came on a "
                 "connection whose key is not (or no longer) listed", name);
        return ERR_DENIED;
    }
    out->reporter = a->name;
    out->region = -1;
    out->allowed = a->allowed;
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
    memset(out, 0, sizeof *out);
    if (self->keys != NULL) {
        return resolve_key(self, frame, name, out, err);
    }
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
