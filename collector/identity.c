/* identity.c: decide who sent an ingest message (plain mode for now).
 *
 * The allowed-region list of every region is computed once at start-up
 * (a region and its subtree), so resolving costs one catalog lookup.
 *
 * INVARIANTS
 *   1. allowed[i] lists region i first, then its descendants; its length is
 *      catalog_region(i)->subtree_size.
 *   2. Nothing but identity_resolve() turns a message into a reporter id.
 */
#include "collector/identity.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/mem.h"

struct identity_ctx {
    const catalog_t *cat;
    int insecure;
    uint32_t **allowed; /* per region index */
};

static void add_subtree(const catalog_t *cat, int ri, uint32_t *list,
                        size_t *n)
{
    const region_t *r = catalog_region(cat, (size_t)ri);
    list[(*n)++] = r->code;
    for (size_t i = 0; i < r->n_children; i++) {
        add_subtree(cat, r->children[i], list, n);
    }
}

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
    c->insecure = insecure;
    size_t nr = catalog_region_count(cat);
    c->allowed = xcalloc(nr, sizeof *c->allowed);
    for (size_t i = 0; i < nr; i++) {
        size_t n = 0;
        c->allowed[i] = xcalloc(catalog_region(cat, i)->subtree_size,
                                sizeof **c->allowed);
        add_subtree(cat, (int)i, c->allowed[i], &n);
    }
    *out = c;
    return ERR_OK;
}

void identity_destroy(identity_ctx_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    identity_ctx_t *c = *self_p;
    for (size_t i = 0; i < catalog_region_count(c->cat); i++) {
        free(c->allowed[i]);
    }
    free(c->allowed);
    free(c);
    *self_p = NULL;
}

int identity_resolve(const identity_ctx_t *self, zmq_msg_t *frame,
                     const char *name, uint32_t region, identity_t *out,
                     char err[ERR_LEN])
{
    (void)frame; /* CURVE: zmq_msg_gets(frame, "User-Id") decides */
    if (region == 0) {
        /* Ping and Bye claim no region: they only keep a session alive
         * and may not carry data. */
        out->reporter = name;
        out->region = -1;
        out->allowed = NULL;
        out->n_allowed = 0;
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
    out->allowed = self->allowed[ri];
    out->n_allowed = catalog_region(self->cat, (size_t)ri)->subtree_size;
    return ERR_OK;
}
