/* test_wire.c: validated unpacking of ingest messages. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/wire.h"

static size_t pack_agent(const Hrss__AgentMsg *m, buf_t *b)
{
    wire_pack(&m->base, b);
    return b->len;
}

Test(wire, batch_round_trip)
{
    Hrss__Ratio r = HRSS__RATIO__INIT;
    r.numerator = 1;
    r.denominator = 10;
    Hrss__Update u[2] = {HRSS__UPDATE__INIT, HRSS__UPDATE__INIT};
    u[0].seq = 7;
    u[0].indicator = (char *)"urban_new_jobs";
    u[0].region = 330102;
    u[0].month = 202510;
    u[0].value_case = HRSS__UPDATE__VALUE_COUNT;
    u[0].count = 5;
    u[1] = u[0];
    u[1].seq = 8;
    u[1].value_case = HRSS__UPDATE__VALUE_RATIO;
    u[1].ratio = &r;
    Hrss__Update *up[2] = {&u[0], &u[1]};
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)"agent-1";
    b.region = 330102;
    b.n_updates = 2;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    buf_t out;
    buf_init(&out);
    pack_agent(&m, &out);
    Hrss__AgentMsg *got = NULL;
    char err[ERR_LEN];
    cr_assert_eq(wire_agent_unpack(out.data, out.len, &got, err), ERR_OK,
                 "%s", err);
    cr_assert_eq(got->batch->n_updates, 2);
    cr_expect_eq(got->batch->updates[1]->ratio->denominator, 10);
    cr_expect_str_eq(got->batch->name, "agent-1");
    hrss__agent_msg__free_unpacked(got, NULL);
    buf_fini(&out);
}

Test(wire, garbage_and_empty_are_refused)
{
    Hrss__AgentMsg *got = NULL;
    char err[ERR_LEN];
    cr_expect_eq(wire_agent_unpack("", 0, &got, err), ERR_PROTO);
    cr_expect_null(got);
    const unsigned char junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    cr_expect_eq(wire_agent_unpack(junk, sizeof junk, &got, err), ERR_PROTO);
    /* A valid encoding with no body set. */
    const unsigned char unknown_field[] = {0x78, 0x01}; /* field 15 = 1 */
    cr_expect_eq(wire_agent_unpack(unknown_field, sizeof unknown_field, &got,
                                   err), ERR_PROTO);
    cr_expect(strstr(err, "no body") != NULL, "%s", err);
}

static int unpack_hello(const char *name, uint32_t version)
{
    Hrss__Hello h = HRSS__HELLO__INIT;
    h.version = version;
    h.name = (char *)(uintptr_t)name;
    h.region = 330100;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_HELLO;
    m.hello = &h;
    buf_t out;
    buf_init(&out);
    pack_agent(&m, &out);
    Hrss__AgentMsg *got = NULL;
    char err[ERR_LEN];
    int rc = wire_agent_unpack(out.data, out.len, &got, err);
    if (got != NULL) {
        hrss__agent_msg__free_unpacked(got, NULL);
    }
    buf_fini(&out);
    return rc;
}

Test(wire, names_and_versions_are_checked)
{
    cr_expect_eq(unpack_hello("ok-name", WIRE_VERSION), ERR_OK);
    cr_expect_eq(unpack_hello("", WIRE_VERSION), ERR_PROTO);
    cr_expect_eq(unpack_hello("has space", WIRE_VERSION), ERR_PROTO);
    cr_expect_eq(unpack_hello("tab\tname", WIRE_VERSION), ERR_PROTO);
    char longname[WIRE_NAME_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    cr_expect_eq(unpack_hello(longname, WIRE_VERSION), ERR_PROTO);
    longname[WIRE_NAME_MAX] = '\0';
    cr_expect_eq(unpack_hello(longname, WIRE_VERSION), ERR_OK);
    cr_expect_eq(unpack_hello("ok", 2), ERR_PROTO);
}

Test(wire, update_without_value_or_too_many_updates)
{
    Hrss__Update u = HRSS__UPDATE__INIT;
    u.seq = 1;
    u.indicator = (char *)"x";
    u.region = 1;
    u.month = 202501;
    Hrss__Update *up[1] = {&u};
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)"a";
    b.region = 1;
    b.n_updates = 1;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    buf_t out;
    buf_init(&out);
    pack_agent(&m, &out);
    Hrss__AgentMsg *got = NULL;
    char err[ERR_LEN];
    cr_expect_eq(wire_agent_unpack(out.data, out.len, &got, err), ERR_PROTO);
    cr_expect(strstr(err, "no value") != NULL, "%s", err);

    u.value_case = HRSS__UPDATE__VALUE_COUNT;
    Hrss__Update **many = calloc(WIRE_MAX_BATCH + 1, sizeof *many);
    for (int i = 0; i <= WIRE_MAX_BATCH; i++) {
        many[i] = &u;
    }
    b.n_updates = WIRE_MAX_BATCH + 1;
    b.updates = many;
    pack_agent(&m, &out);
    cr_expect_eq(wire_agent_unpack(out.data, out.len, &got, err), ERR_PROTO);
    cr_expect(strstr(err, "limit") != NULL, "%s", err);
    free(many);
    buf_fini(&out);
}

Test(wire, collector_ack_round_trip)
{
    Hrss__Rejection r = HRSS__REJECTION__INIT;
    r.seq = 3;
    r.reason = 5;
    r.reason_name = (char *)"future_month";
    r.message = (char *)"later than now";
    Hrss__Rejection *rp[1] = {&r};
    Hrss__Ack a = HRSS__ACK__INIT;
    a.status = HRSS__ACK_STATUS__ACK_OK;
    a.next_seq = 11;
    a.first_seq = 1;
    a.last_seq = 10;
    a.n_rejections = 1;
    a.rejections = rp;
    Hrss__CollectorMsg m = HRSS__COLLECTOR_MSG__INIT;
    m.body_case = HRSS__COLLECTOR_MSG__BODY_ACK;
    m.ack = &a;
    buf_t out;
    buf_init(&out);
    wire_pack(&m.base, &out);
    Hrss__CollectorMsg *got = NULL;
    char err[ERR_LEN];
    cr_assert_eq(wire_collector_unpack(out.data, out.len, &got, err), ERR_OK);
    cr_expect_eq(got->ack->next_seq, 11);
    cr_expect_str_eq(got->ack->rejections[0]->reason_name, "future_month");
    hrss__collector_msg__free_unpacked(got, NULL);
    cr_expect_eq(wire_collector_unpack("", 0, &got, err), ERR_PROTO);
    buf_fini(&out);
}

/* Every protocol number, pinned: renumbering a C enum must not change what
 * travels, and every mapping must go both ways. */
Test(wire, ack_status_numbers_are_pinned)
{
    static const struct {
        enum wire_ack c;
        int wire;
    } t[] = {
        {WIRE_ACK_OK, 0},           {WIRE_ACK_GAP, 1},
        {WIRE_ACK_MALFORMED, 2},    {WIRE_ACK_UNAUTHORIZED, 3},
        {WIRE_ACK_RETRY, 4},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        cr_expect_eq((int)wire_ack_to_proto(t[i].c), t[i].wire);
        enum wire_ack back = WIRE_ACK_RETRY;
        cr_expect(wire_ack_from_proto((Hrss__AckStatus)t[i].wire, &back));
        cr_expect_eq(back, t[i].c);
    }
    enum wire_ack back = WIRE_ACK_OK;
    cr_expect_not(wire_ack_from_proto((Hrss__AckStatus)5, &back));
    cr_expect_not(wire_ack_from_proto((Hrss__AckStatus)-1, &back));
}

Test(wire, reject_reason_numbers_are_pinned)
{
    static const struct {
        enum update_reason c;
        int wire;
        const char *name;
    } t[] = {
        {UPDATE_OK, 0, "REJ_NONE"},
        {UPDATE_UNKNOWN_INDICATOR, 1, "REJ_UNKNOWN_INDICATOR"},
        {UPDATE_UNKNOWN_REGION, 2, "REJ_UNKNOWN_REGION"},
        {UPDATE_REGION_NOT_ALLOWED, 3, "REJ_REGION_NOT_ALLOWED"},
        {UPDATE_BAD_MONTH, 4, "REJ_BAD_MONTH"},
        {UPDATE_FUTURE_MONTH, 5, "REJ_FUTURE_MONTH"},
        {UPDATE_NEGATIVE, 6, "REJ_NEGATIVE_VALUE"},
        {UPDATE_WRONG_KIND, 7, "REJ_WRONG_KIND"},
        {UPDATE_ZERO_DENOMINATOR, 8, "REJ_ZERO_DENOMINATOR"},
        {UPDATE_NUMERATOR_GT_DENOMINATOR, 9, "REJ_NUMERATOR_GT_DENOMINATOR"},
        {UPDATE_TOO_LARGE, 10, "REJ_VALUE_TOO_LARGE"},
        {UPDATE_NOT_AUTHORIZED, 11, "REJ_NOT_AUTHORIZED"},
    };
    cr_assert_eq(sizeof t / sizeof t[0], UPDATE_REASON_MAX + 1);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        cr_expect_eq((int)wire_reason_to_proto(t[i].c), t[i].wire);
        enum update_reason back = UPDATE_OK;
        cr_expect(wire_reason_from_proto((Hrss__RejectReason)t[i].wire,
                                         &back));
        cr_expect_eq(back, t[i].c);
        /* The schema's own names agree with the numbers. */
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
            &hrss__reject_reason__descriptor, t[i].wire);
        cr_assert_not_null(v, "%d is not in hrss.RejectReason", t[i].wire);
        cr_expect_str_eq(v->name, t[i].name);
    }
    enum update_reason back = UPDATE_OK;
    cr_expect_not(wire_reason_from_proto((Hrss__RejectReason)12, &back));
    cr_expect_eq(hrss__reject_reason__descriptor.n_values,
                 UPDATE_REASON_MAX + 1);
}

Test(wire, query_status_numbers_are_pinned)
{
    static const struct {
        int c;
        int wire;
    } t[] = {
        {ERR_OK, 0},        {ERR_NOMEM, -1},   {ERR_IO, -2},
        {ERR_PROTO, -3},    {ERR_NOTFOUND, -4}, {ERR_FULL, -5},
        {ERR_CORRUPT, -6},  {ERR_INVAL, -7},   {ERR_VERSION, -8},
        {ERR_TIMEOUT, -10}, {ERR_DENIED, -12},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        cr_expect_eq((int)wire_status_to_proto(t[i].c), t[i].wire, "%s",
                     err_str(t[i].c));
        cr_expect_eq(wire_status_from_proto((Hrss__QueryStatus)t[i].wire),
                     t[i].c);
    }
    cr_expect_eq(hrss__query_status__descriptor.n_values,
                 sizeof t / sizeof t[0]);
    cr_expect_eq(wire_status_from_proto((Hrss__QueryStatus)-42), ERR_PROTO);
}
