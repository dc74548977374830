/* reply.c: the response under construction and the memory it points to.
 *
 * Design
 * ------
 * Strings that store callbacks lend are valid only during the callback,
 * so the answers copy them into the pool at once. The pool reuses its last
 * string when the next one is equal, which keeps a 100k-fact export
 * (sorted by indicator) down to a handful of copies. Item arrays grow by
 * doubling and may move while a list is being collected, so pointers into
 * items (a rejection's Update and Ratio) are set only once collection is
 * over, in the pass that builds the pointer array. Packing goes through a
 * ProtobufCBuffer that appends to the caller's buf_t, so the response is
 * serialized once, straight into the caller's buffer.
 *
 * INVARIANTS
 *   1. After reply_fini() nothing the reply allocated is left.
 *   2. reply_dup() never returns NULL.
 *   3. Pointers into rp->items are handed out only by reply_ptrs() and
 *      reply_item(), after the last reply_push() of the answer.
 */
#include "store/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/wire.h"

void reply_init(reply_t *rp)
{
    static const Hrss__QueryResponse msg0 = HRSS__QUERY_RESPONSE__INIT;
    static const Hrss__Breakdown bd0 = HRSS__BREAKDOWN__INIT;
    static const Hrss__TotalList tl0 = HRSS__TOTAL_LIST__INIT;
    static const Hrss__RevisionList rv0 = HRSS__REVISION_LIST__INIT;
    static const Hrss__RejectionList rj0 = HRSS__REJECTION_LIST__INIT;
    static const Hrss__AgentList ag0 = HRSS__AGENT_LIST__INIT;
    static const Hrss__ViolationList vl0 = HRSS__VIOLATION_LIST__INIT;
    static const Hrss__FactList fl0 = HRSS__FACT_LIST__INIT;
    static const Hrss__CatalogFiles cf0 = HRSS__CATALOG_FILES__INIT;
    static const Hrss__Completeness cp0 = HRSS__COMPLETENESS__INIT;
    memset(rp, 0, sizeof *rp);
    rp->msg = msg0;
    rp->breakdown = bd0;
    rp->total_list = tl0;
    rp->revision_list = rv0;
    rp->rejection_list = rj0;
    rp->agent_list = ag0;
    rp->violation_list = vl0;
    rp->fact_list = fl0;
    rp->catalog = cf0;
    rp->completeness = cp0;
}

void reply_fini(reply_t *rp)
{
    free(rp->items.v);
    free(rp->ptrs);
    free(rp->many);
    free(rp->strv);
    for (size_t i = 0; i < rp->pool.n; i++) {
        free(rp->pool.v[i]);
    }
    free(rp->pool.v);
    memset(rp, 0, sizeof *rp);
}

char *reply_dup(reply_t *rp, const char *s)
{
    reply_pool_t *p = &rp->pool;
    if (s == NULL) {
        s = "";
    }
    if (p->n > 0 && strcmp(p->v[p->n - 1], s) == 0) {
        return p->v[p->n - 1];
    }
    if (p->n == p->cap) {
        p->cap = p->cap > 0 ? p->cap * 2 : 16;
        p->v = xreallocarray(p->v, p->cap, sizeof *p->v);
    }
    p->v[p->n] = xstrdup(s);
    p->n++;
    return p->v[p->n - 1];
}

void *reply_push(reply_t *rp)
{
    reply_vec_t *vec = &rp->items;
    if (vec->n == vec->cap) {
        vec->cap = vec->cap > 0 ? vec->cap * 2 : 64;
        vec->v = xreallocarray(vec->v, vec->cap, vec->size);
    }
    void *item = vec->v + vec->n * vec->size;
    memset(item, 0, vec->size);
    vec->n++;
    return item;
}

void *reply_item(const reply_t *rp, size_t i)
{
    return rp->items.v + i * rp->items.size;
}

void *reply_ptrs(reply_t *rp)
{
    void **pp = xcalloc(rp->items.n, sizeof *pp);
    rp->ptrs = pp;
    for (size_t i = 0; i < rp->items.n; i++) {
        pp[i] = reply_item(rp, i);
    }
    return pp;
}

void reply_total(reply_total_t *it, char *code, uint32_t region,
                 const period_t *p, const store_total_t *t)
{
    static const Hrss__Total init = HRSS__TOTAL__INIT;
    it->msg = init;
    period_format(p, it->period, sizeof it->period);
    it->msg.indicator = code;
    it->msg.region = region;
    it->msg.period = it->period;
    it->msg.is_ratio = t->is_ratio != 0;
    it->msg.numerator = t->num;
    it->msg.denominator = t->den;
    it->msg.reporting = t->reporting;
    it->msg.expected = t->expected;
}

void reply_error(reply_t *rp, int rc)
{
    rp->msg.code = wire_status_to_proto(rc);
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R__NOT_SET;
    rp->msg.total = NULL;
    if (rp->err[0] == '\0') {
        snprintf(rp->err, sizeof rp->err, "%s", err_str(rc));
    }
    rp->msg.error = rp->err;
}

/* ProtobufCBuffer that appends to a buf_t. */
typedef struct buf_sink {
    ProtobufCBuffer base;
    buf_t *out;
} buf_sink_t;

static void sink_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    buf_sink_t *sink = (buf_sink_t *)b;
    buf_put(sink->out, data, len);
}

void reply_pack(const reply_t *rp, buf_t *out)
{
    buf_sink_t sink = {{sink_append}, out};
    hrss__query_response__pack_to_buffer(&rp->msg, &sink.base);
}
