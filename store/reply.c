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
 * Pages: a list answer takes items through reply_page_wants() (after the
 * request's position?), reply_page_room() (does one more fit?) and
 * reply_page_took() (count it). A position is an item's key in the order
 * the store lists them, so a page goes on from where the last one ended
 * even when items came or went in between; it is encoded with a version
 * byte and its list's kind, and checked like any input when it comes
 * back. Sizes are each item's packed size plus its framing, counted as
 * the items are taken, so a list stops growing in memory at its budget.
 *
 * INVARIANTS
 *   1. After reply_fini() nothing the reply allocated is left.
 *   2. reply_dup() never returns NULL.
 *   3. Pointers into rp->items are handed out only by reply_ptrs() and
 *      reply_item(), after the last reply_push() of the answer.
 *   4. A page takes an item only when reply_page_room() said so: at most
 *      `limit` items, and at most `budget` bytes before its last item.
 */
#include "store/reply.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/wire.h"
#include "store/query.h"

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
    static const Hrss__OutlierList ol0 = HRSS__OUTLIER_LIST__INIT;
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
    rp->outlier_list = ol0;
    static const Hrss__Reconciliation rc0 = HRSS__RECONCILIATION__INIT;
    rp->recon = rc0;
    static const Hrss__AuditHead ah0 = HRSS__AUDIT_HEAD__INIT;
    rp->audit_head = ah0;
}

void reply_fini(reply_t *rp)
{
    buf_fini(&rp->next);
    free(rp->items.v);
    free(rp->ptrs);
    free(rp->many);
    free(rp->strv);
    free(rp->changes);
    free(rp->change_ptrs);
    free(rp->change_succ);
    free(rp->late);
    free(rp->late_ptrs);
    free(rp->deadlines);
    free(rp->deadline_ptrs);
    if (rp->extra_free != NULL) {
        rp->extra_free(rp->extra);
    }
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
    it->msg.has_approved = 1;
    it->msg.approved = t->approved;
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

/* ---------------------------------------------------------------------- */
/* pages                                                                   */

/* A position on the wire (`after`, `next`); opaque to clients:
 *   01 list:u8 str\0 region:u32 month:u32 id:u64  */
#define KEY_VERSION 1

/* Bytes a repeated message field adds around each item: its tag and a
 * length of up to three bytes (items are far below 2 MiB). */
#define ITEM_FRAMING 4

void reply_key_str(reply_key_t *k, const char *s)
{
    size_t n = strlen(s);
    if (n > REPLY_KEY_STR) {
        n = REPLY_KEY_STR;
    }
    memcpy(k->str, s, n);
    k->str[n] = '\0';
}

static int key_cmp(const reply_key_t *a, const reply_key_t *b)
{
    int c = strcmp(a->str, b->str);
    if (c != 0) {
        return c;
    }
    if (a->region != b->region) {
        return a->region < b->region ? -1 : 1;
    }
    if (a->month != b->month) {
        return a->month < b->month ? -1 : 1;
    }
    if (a->id != b->id) {
        return a->id < b->id ? -1 : 1;
    }
    return 0;
}

static void key_encode(const reply_key_t *k, buf_t *out)
{
    buf_reset(out);
    buf_put_u8(out, KEY_VERSION);
    buf_put_u8(out, (uint8_t)k->list);
    buf_put_str(out, k->str);
    buf_put_u32(out, k->region);
    buf_put_u32(out, (uint32_t)k->month);
    buf_put_u64(out, k->id);
}

static int key_decode(const ProtobufCBinaryData *b, enum reply_list list,
                      reply_key_t *k)
{
    buf_reader_t r;
    buf_reader_init(&r, b->data, b->len);
    memset(k, 0, sizeof *k);
    uint8_t version = buf_get_u8(&r);
    uint8_t kind = buf_get_u8(&r);
    const char *str = buf_get_str(&r);
    size_t n = strlen(str);
    k->list = list;
    k->region = buf_get_u32(&r);
    k->month = (int32_t)buf_get_u32(&r);
    k->id = buf_get_u64(&r);
    if (!buf_done(&r) || version != KEY_VERSION || kind != (uint8_t)list ||
        n > REPLY_KEY_STR) {
        return ERR_INVAL;
    }
    memcpy(k->str, str, n + 1);
    return ERR_OK;
}

int reply_page_begin(reply_t *rp, enum reply_list list, int has_after,
                     const ProtobufCBinaryData *after, int has_limit,
                     uint32_t limit)
{
    reply_page_t *pg = &rp->page;
    memset(pg, 0, sizeof *pg);
    pg->paged = has_limit || has_after;
    if (pg->paged) {
        pg->limit = limit == 0 || limit > QUERY_PAGE_MAX_ITEMS
                        ? QUERY_PAGE_MAX_ITEMS
                        : limit;
        pg->budget = rp->page_bytes < rp->max_answer / 2
                         ? rp->page_bytes
                         : rp->max_answer / 2;
    } else {
        pg->limit = SIZE_MAX;
        pg->budget = rp->max_answer;
    }
    if (has_after) {
        if (key_decode(after, list, &pg->after) != ERR_OK) {
            snprintf(rp->err, sizeof rp->err,
                     "malformed page position (after): not a `next` of "
                     "this list");
            return ERR_INVAL;
        }
        pg->has_after = 1;
    }
    pg->last.list = list;
    return ERR_OK;
}

int reply_page_wants(const reply_t *rp, const reply_key_t *k)
{
    return !rp->page.has_after || key_cmp(k, &rp->page.after) > 0;
}

int reply_page_room(reply_t *rp)
{
    reply_page_t *pg = &rp->page;
    if (pg->n > 0 && (pg->n >= pg->limit || pg->bytes >= pg->budget)) {
        pg->full = 1;
        return 0;
    }
    return 1;
}

void reply_page_took(reply_t *rp, const reply_key_t *k, size_t packed)
{
    reply_page_t *pg = &rp->page;
    pg->n++;
    pg->bytes += packed + ITEM_FRAMING;
    pg->last = *k;
}

int reply_page_end(reply_t *rp, protobuf_c_boolean *has_next,
                   ProtobufCBinaryData *next)
{
    reply_page_t *pg = &rp->page;
    *has_next = 0;
    if (!pg->full) {
        return ERR_OK;
    }
    if (!pg->paged) {
        snprintf(rp->err, sizeof rp->err,
                 "the list is over the limit of one answer (%zu bytes): "
                 "ask for it in pages (limit, then after = next); hrssctl "
                 "does",
                 rp->max_answer);
        return ERR_FULL;
    }
    key_encode(&pg->last, &rp->next);
    next->data = rp->next.data;
    next->len = rp->next.len;
    *has_next = 1;
    return ERR_OK;
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
