/* wire.c: capped unpack + meaning checks for the ingest protocol, and the
 * mapping of the protocol's numbers to the C enums.
 *
 * The capped allocator refuses to let one message expand past
 * EXPANSION * len + SLACK bytes in memory, so a small hostile frame cannot
 * make protobuf-c allocate gigabytes (repeated empty submessages expand).
 *
 * INVARIANTS
 *   1. A message returned by an unpack function has its oneof case set and
 *      every string and submessage it needs non-NULL and bounded.
 *   2. On failure nothing is returned and nothing leaks.
 *   3. Each protocol number maps to exactly one C value and back
 *      (reasons[], statuses[], and the ack switches).
 */
#include "common/wire.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "common/mem.h"

#define EXPANSION 16
#define SLACK 4096

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

int wire_name_ok(const char *name)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > WIRE_NAME_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static int check_update(const Hrss__Update *u, size_t i, char err[ERR_LEN])
{
    if (u == NULL || u->indicator == NULL || u->indicator[0] == '\0' ||
        strlen(u->indicator) > CATALOG_CODE_MAX) {
        snprintf(err, ERR_LEN, "update %zu: missing or oversized indicator",
                 i);
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
        if (m->batch == NULL) {
            break;
        }
        name = m->batch->name;
        if (m->batch->n_updates > WIRE_MAX_BATCH) {
            snprintf(err, ERR_LEN, "batch: %zu updates (limit %d)",
                     m->batch->n_updates, WIRE_MAX_BATCH);
            return ERR_PROTO;
        }
        for (size_t i = 0; i < m->batch->n_updates; i++) {
            int rc = check_update(m->batch->updates[i], i, err);
            if (rc != ERR_OK) {
                return rc;
            }
        }
        break;
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
    if (!wire_name_ok(name)) {
        snprintf(err, ERR_LEN, "missing or invalid agent name");
        return ERR_PROTO;
    }
    return ERR_OK;
}

int wire_agent_unpack(const void *data, size_t len, Hrss__AgentMsg **out,
                      char err[ERR_LEN])
{
    *out = NULL;
    if (len == 0 || len > WIRE_MAX_MSG) {
        snprintf(err, ERR_LEN, "message of %zu bytes", len);
        return ERR_PROTO;
    }
    wire_cap_t cap;
    wire_cap_init(&cap, len * EXPANSION + SLACK);
    Hrss__AgentMsg *m = hrss__agent_msg__unpack(&cap.base, len, data);
    if (m == NULL) {
        snprintf(err, ERR_LEN, "not a valid agent message");
        return ERR_PROTO;
    }
    int rc = check_agent(m, err);
    if (rc != ERR_OK) {
        hrss__agent_msg__free_unpacked(m, NULL);
        return rc;
    }
    *out = m;
    return ERR_OK;
}

static int check_collector(const Hrss__CollectorMsg *m, char err[ERR_LEN])
{
    switch (m->body_case) {
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
    if (len == 0 || len > WIRE_MAX_MSG) {
        snprintf(err, ERR_LEN, "message of %zu bytes", len);
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
};

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
