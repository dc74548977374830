/* wire.c: capped unpack + meaning checks for the ingest protocol, and the
 * mapping of the protocol's numbers to the C enums.
 *
 * The capped allocator refuses to let one message expand past
 * EXPANSION * len + SLACK bytes in memory, so a small hostile frame cannot
 * make protobuf-c allocate gigabytes (repeated empty submessages expand).
 *
 * An agent message is checked in three steps, cheapest and most telling
 * first: its meaning (check_agent: body, names, versions, counts, seqs,
 * each string clean text within its limit), then that no message in it
 * carries an unknown field (protobuf-c keeps them and would pack them
 * back), then that packing it gives back exactly the bytes received
 * (same_as_input: a ProtobufCBuffer that compares instead of copying, so
 * the check allocates nothing). The last step is what makes the string
 * checks whole: the strings they saw are the strings that were sent.
 *
 * INVARIANTS
 *   1. A message returned by an unpack function has its oneof case set and
 *      every string and submessage it needs non-NULL and bounded.
 *   2. An agent message returned is canonical and has no unknown field,
 *      so strlen() of each of its strings is its length on the wire.
 *   3. On failure nothing is returned and nothing leaks.
 *   4. Each protocol number maps to exactly one C value and back
 *      (reasons[], statuses[], and the ack switches).
 */
#include "common/wire.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "common/mem.h"
#include "common/text.h"

#define EXPANSION 16
#define SLACK 4096

/* The arithmetic of wire.h holds only while these lengths fit the varint
 * widths it assumes. */
_Static_assert(WIRE_UPDATE_MAX - 2 < 128, "an Update's length is 1 byte");
_Static_assert(WIRE_NAME_MAX < 128 && CATALOG_CODE_MAX < 128,
               "string lengths are 1 byte");
_Static_assert(WIRE_MAX_AGENT_MSG - 4 < (1 << 21),
               "a Batch's length is at most 3 bytes");
_Static_assert(WIRE_REJECTION_MAX - 3 < (1 << 14) &&
                   WIRE_ACK_MSG_MAX < (1 << 14) &&
                   WIRE_REJECTION_MSG_MAX < (1 << 14),
               "a Rejection's and the messages' lengths are 2 bytes");
_Static_assert(WIRE_REASON_NAME_MAX < 128, "a reason_name's length is 1");
_Static_assert(WIRE_MAX_COLLECTOR_MSG - 4 < (1 << 21),
               "an Ack's length is at most 3 bytes");

static void *cap_alloc(void *data, size_t size)
{
    wire_cap_t *c = data;
    if (size > c->limit - c->used) {
        return NULL;
    }
    c->used += size;
    return malloc(size);
}

static void cap_free(void *data, void *ptr)
{
    (void)data;
    free(ptr);
}

void wire_cap_init(wire_cap_t *cap, size_t limit)
{
    cap->base.alloc = cap_alloc;
    cap->base.free = cap_free;
    cap->base.allocator_data = cap;
    cap->used = 0;
    cap->limit = limit;
}

/* Check string @p s of field @p what: present, 1..@p max bytes, clean
 * text. The message names the field and the position, never the bytes. */
static int check_text(const char *what, const char *s, size_t max,
                      char err[ERR_LEN])
{
    size_t n = s != NULL ? strlen(s) : 0;
    size_t at = 0;
    if (n == 0) {
        snprintf(err, ERR_LEN, "%s: missing or empty", what);
        return ERR_PROTO;
    }
    if (n > max) {
        snprintf(err, ERR_LEN, "%s: %zu bytes (limit %zu)", what, n, max);
        return ERR_PROTO;
    }
    enum text_fault f = text_check(s, &at);
    if (f != TEXT_CLEAN) {
        snprintf(err, ERR_LEN, "%s: %s at byte %zu", what,
                 text_fault_str(f), at);
        return ERR_PROTO;
    }
    return ERR_OK;
}

static int check_name(const char *name, char err[ERR_LEN])
{
    int rc = check_text("agent name", name, WIRE_NAME_MAX, err);
    if (rc != ERR_OK) {
        return rc;
    }
    const char *sp = strchr(name, ' ');
    if (sp != NULL) {
        snprintf(err, ERR_LEN, "agent name: a space at byte %zu",
                 (size_t)(sp - name));
        return ERR_PROTO;
    }
    return ERR_OK;
}

int wire_name_ok(const char *name)
{
    char err[ERR_LEN];
    return check_name(name, err) == ERR_OK;
}

/* Update @p i of a batch; @p prev is the seq before it (0 for the first). */
static int check_update(const Hrss__Update *u, size_t i, uint64_t prev,
                        char err[ERR_LEN])
{
    if (u == NULL) {
        snprintf(err, ERR_LEN, "update %zu: missing", i);
        return ERR_PROTO;
    }
    char what[48];
    snprintf(what, sizeof what, "update %zu: indicator", i);
    int rc = check_text(what, u->indicator, CATALOG_CODE_MAX, err);
    if (rc != ERR_OK) {
        return rc;
    }
    if (u->seq == 0) {
        snprintf(err, ERR_LEN, "update %zu: seq 0 (seqs start at 1)", i);
        return ERR_PROTO;
    }
    if (i > 0 && u->seq != prev + 1) {
        snprintf(err, ERR_LEN,
                 "update %zu: seq %llu does not follow %llu (a batch's "
                 "seqs are consecutive)",
                 i, (unsigned long long)u->seq, (unsigned long long)prev);
        return ERR_PROTO;
    }
    if (u->value_case == HRSS__UPDATE__VALUE_RATIO && u->ratio == NULL) {
        snprintf(err, ERR_LEN, "update %zu: empty ratio", i);
        return ERR_PROTO;
    }
    if (u->value_case != HRSS__UPDATE__VALUE_COUNT &&
        u->value_case != HRSS__UPDATE__VALUE_RATIO) {
        snprintf(err, ERR_LEN, "update %zu: no value", i);
        return ERR_PROTO;
    }
    return ERR_OK;
}

static int check_agent(const Hrss__AgentMsg *m, char err[ERR_LEN])
{
    const char *name = NULL;
    switch (m->body_case) {
    case HRSS__AGENT_MSG__BODY_HELLO:
        if (m->hello == NULL || m->hello->version != WIRE_VERSION) {
            snprintf(err, ERR_LEN, "hello: unsupported protocol version");
            return ERR_PROTO;
        }
        name = m->hello->name;
        break;
    case HRSS__AGENT_MSG__BODY_BATCH:
    case HRSS__AGENT_MSG__BODY_DRY_RUN: {
        const Hrss__Batch *b = m->body_case == HRSS__AGENT_MSG__BODY_BATCH
                                   ? m->batch
                                   : m->dry_run;
        if (b == NULL) {
            break;
        }
        name = b->name;
        if (b->n_updates > WIRE_MAX_BATCH) {
            snprintf(err, ERR_LEN, "batch: %zu updates (limit %d)",
                     b->n_updates, WIRE_MAX_BATCH);
            return ERR_PROTO;
        }
        for (size_t i = 0; i < b->n_updates; i++) {
            uint64_t prev = i > 0 ? b->updates[i - 1]->seq : 0;
            int rc = check_update(b->updates[i], i, prev, err);
            if (rc != ERR_OK) {
                return rc;
            }
        }
        break;
    }
    case HRSS__AGENT_MSG__BODY_PING:
        name = m->ping != NULL ? m->ping->name : NULL;
        break;
    case HRSS__AGENT_MSG__BODY_BYE:
        name = m->bye != NULL ? m->bye->name : NULL;
        break;
    default:
        snprintf(err, ERR_LEN, "message has no body");
        return ERR_PROTO;
    }
    return check_name(name, err);
}

/* 1 when @p m or a message inside it carries a field this version does
 * not know. */
static int has_unknown_fields(const Hrss__AgentMsg *m)
{
    const ProtobufCMessage *body = NULL;
    switch (m->body_case) {
    case HRSS__AGENT_MSG__BODY_HELLO: body = &m->hello->base; break;
    case HRSS__AGENT_MSG__BODY_BATCH: body = &m->batch->base; break;
    case HRSS__AGENT_MSG__BODY_PING: body = &m->ping->base; break;
    case HRSS__AGENT_MSG__BODY_BYE: body = &m->bye->base; break;
    case HRSS__AGENT_MSG__BODY_DRY_RUN: body = &m->dry_run->base; break;
    default: break;
    }
    if (m->base.n_unknown_fields > 0 ||
        (body != NULL && body->n_unknown_fields > 0)) {
        return 1;
    }
    const Hrss__Batch *b = m->body_case == HRSS__AGENT_MSG__BODY_BATCH
                               ? m->batch
                           : m->body_case == HRSS__AGENT_MSG__BODY_DRY_RUN
                               ? m->dry_run
                               : NULL;
    if (b != NULL) {
        for (size_t i = 0; i < b->n_updates; i++) {
            const Hrss__Update *u = b->updates[i];
            /* count and ratio share their storage (a oneof). */
            if (u->base.n_unknown_fields > 0 ||
                (u->value_case == HRSS__UPDATE__VALUE_RATIO &&
                 u->ratio->base.n_unknown_fields > 0)) {
                return 1;
            }
        }
    }
    return 0;
}

/* A ProtobufCBuffer that compares what is packed into it with the bytes
 * received. base must stay the first member (protobuf-c calls append with
 * &base). */
typedef struct same_buf {
    ProtobufCBuffer base;
    const uint8_t *want;
    size_t len;
    size_t pos;       /* bytes matched so far */
    int differs;
} same_buf_t;

static void same_append(ProtobufCBuffer *b, size_t n, const uint8_t *data)
{
    same_buf_t *s = (same_buf_t *)b;
    if (s->differs) {
        return;
    }
    if (n > s->len - s->pos || memcmp(s->want + s->pos, data, n) != 0) {
        s->differs = 1;
        return;
    }
    s->pos += n;
}

/* 1 when packing @p m gives exactly the @p len bytes at @p data; else 0,
 * with *@p at near the first difference. */
static int same_as_input(const ProtobufCMessage *m, const void *data,
                         size_t len, size_t *at)
{
    same_buf_t s = {{same_append}, data, len, 0, 0};
    protobuf_c_message_pack_to_buffer(m, &s.base);
    *at = s.pos;
    return !s.differs && s.pos == len;
}

static void fill_info(const Hrss__AgentMsg *m, wire_agent_info_t *info)
{
    info->body = (int)m->body_case;
    const Hrss__Batch *b =
        m->body_case == HRSS__AGENT_MSG__BODY_BATCH ? m->batch : NULL;
    if (b != NULL && b->n_updates > 0 && b->updates[0] != NULL &&
        b->updates[b->n_updates - 1] != NULL) {
        info->first_seq = b->updates[0]->seq;
        info->last_seq = b->updates[b->n_updates - 1]->seq;
    }
}

int wire_agent_unpack_info(const void *data, size_t len,
                           Hrss__AgentMsg **out, wire_agent_info_t *info,
                           char err[ERR_LEN])
{
    *out = NULL;
    memset(info, 0, sizeof *info);
    if (len == 0 || len > WIRE_MAX_AGENT_MSG) {
        snprintf(err, ERR_LEN, "message of %zu bytes (limit %d)", len,
                 (int)WIRE_MAX_AGENT_MSG);
        return ERR_PROTO;
    }
    wire_cap_t cap;
    wire_cap_init(&cap, len * EXPANSION + SLACK);
    Hrss__AgentMsg *m = hrss__agent_msg__unpack(&cap.base, len, data);
    if (m == NULL) {
        snprintf(err, ERR_LEN, "not a valid agent message");
        return ERR_PROTO;
    }
    fill_info(m, info);
    int rc = check_agent(m, err);
    size_t at = 0;
    if (rc == ERR_OK && has_unknown_fields(m)) {
        snprintf(err, ERR_LEN, "a field protocol version %d does not have",
                 WIRE_VERSION);
        rc = ERR_PROTO;
    }
    if (rc == ERR_OK && !same_as_input(&m->base, data, len, &at)) {
        snprintf(err, ERR_LEN,
                 "not in canonical form near byte %zu (a NUL inside a "
                 "string, an overlong number, or a field twice)",
                 at);
        rc = ERR_PROTO;
    }
    if (rc != ERR_OK) {
        hrss__agent_msg__free_unpacked(m, NULL);
        return rc;
    }
    *out = m;
    return ERR_OK;
}

int wire_agent_unpack(const void *data, size_t len, Hrss__AgentMsg **out,
                      char err[ERR_LEN])
{
    wire_agent_info_t info;
    return wire_agent_unpack_info(data, len, out, &info, err);
}

/* Every Rejection of @p r (@p n of them) complete. */
static int check_rejections(Hrss__Rejection *const *r, size_t n,
                            const char *what, char err[ERR_LEN])
{
    for (size_t i = 0; i < n; i++) {
        if (r[i] == NULL || r[i]->message == NULL ||
            r[i]->reason_name == NULL) {
            snprintf(err, ERR_LEN, "%s: incomplete rejection %zu", what, i);
            return ERR_PROTO;
        }
    }
    return ERR_OK;
}

static int check_collector(const Hrss__CollectorMsg *m, char err[ERR_LEN])
{
    switch (m->body_case) {
    case HRSS__COLLECTOR_MSG__BODY_DRY_RUN:
        if (m->dry_run == NULL) {
            break;
        }
        if (check_rejections(m->dry_run->rejections,
                             m->dry_run->n_rejections, "dry run",
                             err) != ERR_OK) {
            return ERR_PROTO;
        }
        return check_rejections(m->dry_run->notes, m->dry_run->n_notes,
                                "dry run", err);
    case HRSS__COLLECTOR_MSG__BODY_WELCOME:
        if (m->welcome == NULL) {
            break;
        }
        return ERR_OK;
    case HRSS__COLLECTOR_MSG__BODY_ACK:
        if (m->ack == NULL) {
            break;
        }
        for (size_t i = 0; i < m->ack->n_rejections; i++) {
            const Hrss__Rejection *r = m->ack->rejections[i];
            if (r == NULL || r->message == NULL || r->reason_name == NULL) {
                snprintf(err, ERR_LEN, "ack: incomplete rejection %zu", i);
                return ERR_PROTO;
            }
        }
        return ERR_OK;
    default:
        break;
    }
    snprintf(err, ERR_LEN, "collector message has no body");
    return ERR_PROTO;
}

int wire_collector_unpack(const void *data, size_t len,
                          Hrss__CollectorMsg **out, char err[ERR_LEN])
{
    *out = NULL;
    if (len == 0 || len > WIRE_MAX_COLLECTOR_MSG) {
        snprintf(err, ERR_LEN, "message of %zu bytes (limit %d)", len,
                 (int)WIRE_MAX_COLLECTOR_MSG);
        return ERR_PROTO;
    }
    wire_cap_t cap;
    wire_cap_init(&cap, len * EXPANSION + SLACK);
    Hrss__CollectorMsg *m = hrss__collector_msg__unpack(&cap.base, len, data);
    if (m == NULL) {
        snprintf(err, ERR_LEN, "not a valid collector message");
        return ERR_PROTO;
    }
    int rc = check_collector(m, err);
    if (rc != ERR_OK) {
        hrss__collector_msg__free_unpacked(m, NULL);
        return rc;
    }
    *out = m;
    return ERR_OK;
}

/* ---------------------------------------------------------------------- */
/* protocol numbers: every mapping is an explicit switch, so that the C
 * enums can change without changing what travels (test_wire pins both). */

Hrss__AckStatus wire_ack_to_proto(enum wire_ack a)
{
    switch (a) {
    case WIRE_ACK_OK: return HRSS__ACK_STATUS__ACK_OK;
    case WIRE_ACK_GAP: return HRSS__ACK_STATUS__ACK_GAP;
    case WIRE_ACK_MALFORMED: return HRSS__ACK_STATUS__ACK_MALFORMED;
    case WIRE_ACK_UNAUTHORIZED: return HRSS__ACK_STATUS__ACK_UNAUTHORIZED;
    case WIRE_ACK_RETRY: return HRSS__ACK_STATUS__ACK_RETRY;
    }
    assert(!"unknown enum wire_ack");
    return HRSS__ACK_STATUS__ACK_MALFORMED;
}

int wire_ack_from_proto(Hrss__AckStatus p, enum wire_ack *out)
{
    switch (p) {
    case HRSS__ACK_STATUS__ACK_OK: *out = WIRE_ACK_OK; return 1;
    case HRSS__ACK_STATUS__ACK_GAP: *out = WIRE_ACK_GAP; return 1;
    case HRSS__ACK_STATUS__ACK_MALFORMED: *out = WIRE_ACK_MALFORMED; return 1;
    case HRSS__ACK_STATUS__ACK_UNAUTHORIZED:
        *out = WIRE_ACK_UNAUTHORIZED;
        return 1;
    case HRSS__ACK_STATUS__ACK_RETRY: *out = WIRE_ACK_RETRY; return 1;
    default: return 0;
    }
}

/* The two enums, side by side: the one table both directions read. */
static const struct {
    enum update_reason c;
    Hrss__RejectReason p;
} reasons[] = {
    {UPDATE_OK, HRSS__REJECT_REASON__REJ_NONE},
    {UPDATE_UNKNOWN_INDICATOR, HRSS__REJECT_REASON__REJ_UNKNOWN_INDICATOR},
    {UPDATE_UNKNOWN_REGION, HRSS__REJECT_REASON__REJ_UNKNOWN_REGION},
    {UPDATE_REGION_NOT_ALLOWED,
     HRSS__REJECT_REASON__REJ_REGION_NOT_ALLOWED},
    {UPDATE_BAD_MONTH, HRSS__REJECT_REASON__REJ_BAD_MONTH},
    {UPDATE_FUTURE_MONTH, HRSS__REJECT_REASON__REJ_FUTURE_MONTH},
    {UPDATE_NEGATIVE, HRSS__REJECT_REASON__REJ_NEGATIVE_VALUE},
    {UPDATE_WRONG_KIND, HRSS__REJECT_REASON__REJ_WRONG_KIND},
    {UPDATE_ZERO_DENOMINATOR, HRSS__REJECT_REASON__REJ_ZERO_DENOMINATOR},
    {UPDATE_NUMERATOR_GT_DENOMINATOR,
     HRSS__REJECT_REASON__REJ_NUMERATOR_GT_DENOMINATOR},
    {UPDATE_TOO_LARGE, HRSS__REJECT_REASON__REJ_VALUE_TOO_LARGE},
    {UPDATE_NOT_AUTHORIZED, HRSS__REJECT_REASON__REJ_NOT_AUTHORIZED},
    {UPDATE_PERIOD_LOCKED, HRSS__REJECT_REASON__REJ_PERIOD_LOCKED},
    {UPDATE_REGION_NOT_VALID, HRSS__REJECT_REASON__REJ_REGION_NOT_VALID},
};

void wire_update_set(Hrss__Update *w, Hrss__Ratio *ratio, const update_t *u)
{
    hrss__update__init(w);
    w->seq = u->seq;
    w->indicator = (char *)(uintptr_t)u->indicator;
    w->region = u->region;
    w->month = u->yyyymm;
    if (u->value.is_ratio) {
        hrss__ratio__init(ratio);
        ratio->numerator = u->value.num;
        ratio->denominator = u->value.den;
        w->value_case = HRSS__UPDATE__VALUE_RATIO;
        w->ratio = ratio;
    } else {
        w->value_case = HRSS__UPDATE__VALUE_COUNT;
        w->count = u->value.num;
    }
}

void wire_update_get(const Hrss__Update *w, update_t *u)
{
    u->seq = w->seq;
    u->indicator = w->indicator;
    u->region = w->region;
    u->yyyymm = w->month;
    if (w->value_case == HRSS__UPDATE__VALUE_RATIO) {
        u->value.is_ratio = 1;
        u->value.num = w->ratio->numerator;
        u->value.den = w->ratio->denominator;
    } else {
        u->value.is_ratio = 0;
        u->value.num = w->count;
        u->value.den = 0;
    }
}

Hrss__RejectReason wire_reason_to_proto(enum update_reason r)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        if (reasons[i].c == r) {
            return reasons[i].p;
        }
    }
    assert(!"unknown enum update_reason");
    return HRSS__REJECT_REASON__REJ_NONE;
}

int wire_reason_from_proto(Hrss__RejectReason p, enum update_reason *out)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        if (reasons[i].p == p) {
            *out = reasons[i].c;
            return 1;
        }
    }
    return 0;
}

static const struct {
    int c;
    Hrss__QueryStatus p;
} statuses[] = {
    {ERR_OK, HRSS__QUERY_STATUS__QUERY_OK},
    {ERR_NOMEM, HRSS__QUERY_STATUS__QUERY_NOMEM},
    {ERR_IO, HRSS__QUERY_STATUS__QUERY_IO},
    {ERR_PROTO, HRSS__QUERY_STATUS__QUERY_PROTO},
    {ERR_NOTFOUND, HRSS__QUERY_STATUS__QUERY_NOTFOUND},
    {ERR_FULL, HRSS__QUERY_STATUS__QUERY_FULL},
    {ERR_CORRUPT, HRSS__QUERY_STATUS__QUERY_CORRUPT},
    {ERR_INVAL, HRSS__QUERY_STATUS__QUERY_INVAL},
    {ERR_VERSION, HRSS__QUERY_STATUS__QUERY_VERSION},
    {ERR_TIMEOUT, HRSS__QUERY_STATUS__QUERY_TIMEOUT},
    {ERR_DENIED, HRSS__QUERY_STATUS__QUERY_DENIED},
};

Hrss__QueryStatus wire_status_to_proto(int err_code)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        if (statuses[i].c == err_code) {
            return statuses[i].p;
        }
    }
    return HRSS__QUERY_STATUS__QUERY_IO;
}

int wire_status_from_proto(Hrss__QueryStatus p)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        if (statuses[i].p == p) {
            return statuses[i].c;
        }
    }
    return ERR_PROTO;
}

void wire_pack(const ProtobufCMessage *msg, buf_t *out)
{
    buf_reset(out);
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *tmp = xmalloc(n);
    size_t w = protobuf_c_message_pack(msg, tmp);
    buf_put(out, tmp, w);
    free(tmp);
}
