/* test_wire.c: validated unpacking of ingest messages. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/delivery.h"
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

/* The collector's reading of a wire update: counts and ratios. */
Test(wire, update_get_reads_counts_and_ratios)
{
    Hrss__Update c = HRSS__UPDATE__INIT;
    c.seq = 7;
    c.indicator = "urban_new_jobs";
    c.region = 330102;
    c.month = 202510;
    c.value_case = HRSS__UPDATE__VALUE_COUNT;
    c.count = 1234;
    update_t u;
    memset(&u, 0xff, sizeof u);
    wire_update_get(&c, &u);
    cr_expect_eq(u.seq, 7);
    cr_expect_str_eq(u.indicator, "urban_new_jobs");
    cr_expect_eq(u.region, 330102);
    cr_expect_eq(u.yyyymm, 202510);
    cr_expect_eq(u.value.is_ratio, 0);
    cr_expect_eq(u.value.num, 1234);
    cr_expect_eq(u.value.den, 0);

    Hrss__Ratio r = HRSS__RATIO__INIT;
    r.numerator = 45;
    r.denominator = 50;
    c.value_case = HRSS__UPDATE__VALUE_RATIO;
    c.ratio = &r;
    wire_update_get(&c, &u);
    cr_expect_eq(u.value.is_ratio, 1);
    cr_expect_eq(u.value.num, 45);
    cr_expect_eq(u.value.den, 50);
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
        {UPDATE_PERIOD_LOCKED, 12, "REJ_PERIOD_LOCKED"},
        {UPDATE_REGION_NOT_VALID, 13, "REJ_REGION_NOT_VALID"},
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
    cr_expect_not(wire_reason_from_proto((Hrss__RejectReason)14, &back));
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

/* ---------------------------------------------------------------------- */
/* strings: clean UTF-8 text, within their limits (issue 8, item 7)       */

/* Unpack @p len bytes; @return the code, with the message freed. */
static int unpack_bytes(const void *data, size_t len, char err[ERR_LEN])
{
    Hrss__AgentMsg *got = NULL;
    err[0] = '\0';
    int rc = wire_agent_unpack(data, len, &got, err);
    if (got != NULL) {
        cr_expect_eq(rc, ERR_OK);
        hrss__agent_msg__free_unpacked(got, NULL);
    } else {
        cr_expect_neq(rc, ERR_OK);
    }
    return rc;
}

/* A batch of one count update named @p name with indicator @p ind. */
static void pack_batch(const char *name, const char *ind, buf_t *out)
{
    Hrss__Update u = HRSS__UPDATE__INIT;
    u.seq = 1;
    u.indicator = (char *)(uintptr_t)ind;
    u.region = 330102;
    u.month = 202501;
    u.value_case = HRSS__UPDATE__VALUE_COUNT;
    u.count = 999;
    Hrss__Update *up[1] = {&u};
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)(uintptr_t)name;
    b.region = 330102;
    b.n_updates = 1;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    pack_agent(&m, out);
}

/* Replace the first @p from byte of @p b with @p to (a NUL the packer
 * could not write itself). */
static void poke(buf_t *b, char from, char to)
{
    unsigned char *p = memchr(b->data, from, b->len);
    cr_assert_not_null(p);
    *p = (unsigned char)to;
}

/* protobuf-c NUL-terminates each string and gives no length: the tail
 * after an embedded NUL used to vanish, so "urban_new_jobs\0tail" was
 * stored as urban_new_jobs. */
Test(wire, an_embedded_nul_is_malformed)
{
    char err[ERR_LEN];
    buf_t b;
    buf_init(&b);
    pack_batch("agent-1", "urban_new_jobs#tail", &b);
    cr_expect_eq(unpack_bytes(b.data, b.len, err), ERR_OK, "%s", err);
    poke(&b, '#', '\0');
    cr_expect_eq(unpack_bytes(b.data, b.len, err), ERR_PROTO,
                 "urban_new_jobs\\0tail was accepted");
    cr_expect_neq(err[0], '\0');

    pack_batch("agent#1", "urban_new_jobs", &b);
    poke(&b, '#', '\0');
    cr_expect_eq(unpack_bytes(b.data, b.len, err), ERR_PROTO,
                 "a name with a NUL was accepted");
    buf_fini(&b);
}

Test(wire, every_string_must_be_clean_utf8)
{
    static const char *bad[] = {
        "\xFF\xFE",            /* not UTF-8 */
        "ab\xC0\xAF",          /* overlong */
        "\xED\xA0\x80x",       /* a surrogate */
        "bell\x07",            /* C0 */
        "del\x7F",             /* DEL */
        "nel\xC2\x85",         /* C1 */
        "csi\xC2\x9B" "2J",    /* C1 CSI: a terminal escape */
    };
    char err[ERR_LEN];
    buf_t b;
    buf_init(&b);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pack_batch("agent-1", bad[i], &b);
        cr_expect_eq(unpack_bytes(b.data, b.len, err), ERR_PROTO,
                     "indicator #%zu accepted", i);
        cr_expect(strstr(err, "indicator") != NULL, "#%zu: %s", i, err);
        pack_batch(bad[i], "urban_new_jobs", &b);
        cr_expect_eq(unpack_bytes(b.data, b.len, err), ERR_PROTO,
                     "batch name #%zu accepted", i);
        cr_expect_eq(unpack_hello(bad[i], WIRE_VERSION), ERR_PROTO,
                     "hello name #%zu accepted", i);
        cr_expect_not(wire_name_ok(bad[i]), "#%zu", i);
    }
    /* Names and codes in Chinese are text. */
    pack_batch("杭州市上城区", "城镇新增就业", &b);
    cr_expect_eq(unpack_bytes(b.data, b.len, err), ERR_OK, "%s", err);
    cr_expect(wire_name_ok("杭州市上城区"));
    /* An ideographic space is text, but a name has no ASCII space. */
    cr_expect_eq(unpack_hello("a b", WIRE_VERSION), ERR_PROTO);
    buf_fini(&b);
}

/* Ping and Bye carry a name too. */
Test(wire, ping_and_bye_names_are_checked)
{
    char err[ERR_LEN];
    Hrss__Ping p = HRSS__PING__INIT;
    Hrss__Bye y = HRSS__BYE__INIT;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    buf_t b;
    buf_init(&b);
    p.name = (char *)"nel\xC2\x85";
    m.body_case = HRSS__AGENT_MSG__BODY_PING;
    m.ping = &p;
    pack_agent(&m, &b);
    cr_expect_eq(unpack_bytes(b.data, b.len, err), ERR_PROTO);
    y.name = (char *)"\xFF";
    m.body_case = HRSS__AGENT_MSG__BODY_BYE;
    m.bye = &y;
    pack_agent(&m, &b);
    cr_expect_eq(unpack_bytes(b.data, b.len, err), ERR_PROTO);
    y.name = (char *)"ok";
    pack_agent(&m, &b);
    cr_expect_eq(unpack_bytes(b.data, b.len, err), ERR_OK, "%s", err);
    buf_fini(&b);
}

/* Our agents write what protobuf-c packs: each field once, in field
 * order, numbers in their shortest form, no field this version does not
 * know. Anything else can hide bytes from the checks (the NUL above) or
 * mean two things, and is refused. */
Test(wire, only_canonical_encodings_are_accepted)
{
    char err[ERR_LEN];
    /* Ping{name: "a"}: 1a 03 0a 01 61. */
    const unsigned char ok[] = {0x1a, 0x03, 0x0a, 0x01, 0x61};
    cr_assert_eq(unpack_bytes(ok, sizeof ok, err), ERR_OK, "%s", err);
    /* The same with the submessage length as an overlong varint. */
    const unsigned char overlong[] = {0x1a, 0x83, 0x00, 0x0a, 0x01, 0x61};
    cr_expect_eq(unpack_bytes(overlong, sizeof overlong, err), ERR_PROTO);
    cr_expect(strstr(err, "canonical") != NULL, "%s", err);
    /* The name twice: protobuf-c keeps the last. */
    const unsigned char twice[] = {0x1a, 0x06, 0x0a, 0x01, 0x61,
                                   0x0a, 0x01, 0x62};
    cr_expect_eq(unpack_bytes(twice, sizeof twice, err), ERR_PROTO);
    /* An unknown field (15 = 1) inside the Ping, and after it. */
    const unsigned char unknown_in[] = {0x1a, 0x05, 0x0a, 0x01, 0x61,
                                        0x78, 0x01};
    cr_expect_eq(unpack_bytes(unknown_in, sizeof unknown_in, err),
                 ERR_PROTO);
    const unsigned char unknown_after[] = {0x1a, 0x03, 0x0a, 0x01, 0x61,
                                           0x78, 0x01};
    cr_expect_eq(unpack_bytes(unknown_after, sizeof unknown_after, err),
                 ERR_PROTO);
    /* Two bodies: the oneof keeps the last. */
    const unsigned char two_bodies[] = {0x1a, 0x03, 0x0a, 0x01, 0x61,
                                        0x22, 0x03, 0x0a, 0x01, 0x62};
    cr_expect_eq(unpack_bytes(two_bodies, sizeof two_bodies, err),
                 ERR_PROTO);
}

/* Consecutive numbers are the wire's to check, so that the Ack can say
 * which update broke them. */
Test(wire, seqs_must_be_consecutive_and_nonzero)
{
    Hrss__Update u[3] = {HRSS__UPDATE__INIT, HRSS__UPDATE__INIT,
                         HRSS__UPDATE__INIT};
    Hrss__Update *up[3] = {&u[0], &u[1], &u[2]};
    for (int i = 0; i < 3; i++) {
        u[i].seq = (uint64_t)(5 + i);
        u[i].indicator = (char *)"urban_new_jobs";
        u[i].region = 330102;
        u[i].month = 202501;
        u[i].value_case = HRSS__UPDATE__VALUE_COUNT;
    }
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)"a";
    b.region = 330102;
    b.n_updates = 3;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    buf_t out;
    buf_init(&out);
    char err[ERR_LEN];
    pack_agent(&m, &out);
    cr_expect_eq(unpack_bytes(out.data, out.len, err), ERR_OK, "%s", err);

    u[2].seq = 8; /* 5, 6, 8 */
    pack_agent(&m, &out);
    Hrss__AgentMsg *got = NULL;
    wire_agent_info_t info;
    cr_expect_eq(wire_agent_unpack_info(out.data, out.len, &got, &info, err),
                 ERR_PROTO);
    cr_expect_null(got);
    cr_expect(strstr(err, "update 2") != NULL, "%s", err);
    /* What could be read of it, for the Ack. */
    cr_expect_eq(info.body, HRSS__AGENT_MSG__BODY_BATCH);
    cr_expect_eq(info.first_seq, 5);
    cr_expect_eq(info.last_seq, 8);

    u[0].seq = 0;
    u[1].seq = 1;
    u[2].seq = 2;
    pack_agent(&m, &out);
    cr_expect_eq(unpack_bytes(out.data, out.len, err), ERR_PROTO);
    cr_expect(strstr(err, "seq 0") != NULL, "%s", err);

    /* Garbage: nothing could be read. */
    cr_expect_eq(wire_agent_unpack_info("\xff\xff", 2, &got, &info, err),
                 ERR_PROTO);
    cr_expect_eq(info.body, 0);
    cr_expect_eq(info.first_seq, 0);
    cr_expect_eq(info.last_seq, 0);
    buf_fini(&out);
}

/* ---------------------------------------------------------------------- */
/* frame limits                                                            */

/* The largest Batch the collector must take: WIRE_MAX_BATCH updates, every
 * number at its widest varint, every string at its longest. @p extra adds
 * that many bytes to the last indicator (beyond what is legal). */
static void pack_largest_batch(size_t extra, buf_t *out)
{
    static char ind[CATALOG_CODE_MAX + 8];
    static char name[WIRE_NAME_MAX + 1];
    cr_assert(extra < 8);
    memset(ind, 'i', sizeof ind);
    ind[CATALOG_CODE_MAX] = '\0';
    memset(name, 'n', sizeof name);
    name[WIRE_NAME_MAX] = '\0';
    Hrss__Update *u = calloc(WIRE_MAX_BATCH, sizeof *u);
    Hrss__Ratio *r = calloc(WIRE_MAX_BATCH, sizeof *r);
    Hrss__Update **up = calloc(WIRE_MAX_BATCH, sizeof *up);
    cr_assert(u != NULL && r != NULL && up != NULL);
    char *last_ind = malloc(sizeof ind);
    cr_assert_not_null(last_ind);
    memset(last_ind, 'i', sizeof ind);
    last_ind[CATALOG_CODE_MAX + extra] = '\0';
    for (size_t i = 0; i < WIRE_MAX_BATCH; i++) {
        hrss__update__init(&u[i]);
        hrss__ratio__init(&r[i]);
        u[i].seq = UINT64_MAX - (WIRE_MAX_BATCH - 1) + i;
        u[i].indicator = i + 1 == WIRE_MAX_BATCH ? last_ind : ind;
        u[i].region = UINT32_MAX;
        u[i].month = UINT32_MAX;
        r[i].numerator = INT64_MIN; /* negative: ten bytes */
        r[i].denominator = INT64_MIN;
        u[i].value_case = HRSS__UPDATE__VALUE_RATIO;
        u[i].ratio = &r[i];
        up[i] = &u[i];
    }
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = name;
    b.region = UINT32_MAX;
    b.n_updates = WIRE_MAX_BATCH;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    pack_agent(&m, out);
    free(last_ind);
    free(up);
    free(r);
    free(u);
}

Test(wire, the_largest_legal_batch_fits_the_frame_limit)
{
    buf_t out;
    buf_init(&out);
    char err[ERR_LEN];
    pack_largest_batch(0, &out);
    cr_expect_eq(out.len, WIRE_MAX_AGENT_MSG,
                 "the largest batch is %zu bytes, the limit %d", out.len,
                 (int)WIRE_MAX_AGENT_MSG);
    cr_expect_eq(unpack_bytes(out.data, out.len, err), ERR_OK, "%s", err);
    cr_expect_eq(WIRE_MAX_AGENT_FRAME, WIRE_MAX_AGENT_MSG + 64,
                 "room for CurveZMQ's framing");

    /* One byte of string more is over the limit and refused for it. */
    pack_largest_batch(1, &out);
    cr_expect_gt(out.len, WIRE_MAX_AGENT_MSG);
    cr_expect_eq(unpack_bytes(out.data, out.len, err), ERR_PROTO);
    cr_expect(strstr(err, "bytes") != NULL, "%s", err);
    buf_fini(&out);
}

/* The agent sends at most DELIVERY_BATCH_MAX updates a batch
 * (agent/delivery.h; its header only, nothing of the agent is linked):
 * within the protocol's largest batch, so inside the frame limit whatever
 * they hold (the test above packs the largest one). */
Test(wire, the_agents_batches_are_inside_the_limit)
{
    cr_expect_leq(DELIVERY_BATCH_MAX, WIRE_MAX_BATCH);
    size_t agent_max = (size_t)WIRE_MAX_AGENT_MSG -
                       (size_t)(WIRE_MAX_BATCH - DELIVERY_BATCH_MAX) *
                           WIRE_UPDATE_MAX;
    cr_expect_leq(agent_max, WIRE_MAX_AGENT_MSG);
    cr_expect_eq(agent_max, WIRE_MAX_AGENT_MSG,
                 "DELIVERY_BATCH_MAX is the protocol's largest batch");
}

/* The largest Ack the collector sends (a rejection for each of
 * WIRE_MAX_BATCH updates, every string at its longest) fits what an agent
 * takes. */
Test(wire, the_largest_ack_fits_the_agents_limit)
{
    static char msg[WIRE_REJECTION_MSG_MAX + 1];
    static char name[WIRE_REASON_NAME_MAX + 1];
    static char text[WIRE_ACK_MSG_MAX + 1];
    memset(msg, 'm', sizeof msg - 1);
    memset(name, 'r', sizeof name - 1);
    memset(text, 't', sizeof text - 1);
    Hrss__Rejection *r = calloc(WIRE_MAX_BATCH, sizeof *r);
    Hrss__Rejection **rp = calloc(WIRE_MAX_BATCH, sizeof *rp);
    for (size_t i = 0; i < WIRE_MAX_BATCH; i++) {
        hrss__rejection__init(&r[i]);
        r[i].seq = UINT64_MAX;
        r[i].reason = HRSS__REJECT_REASON__REJ_VALUE_TOO_LARGE;
        r[i].reason_name = name;
        r[i].message = msg;
        rp[i] = &r[i];
    }
    Hrss__Ack a = HRSS__ACK__INIT;
    a.status = HRSS__ACK_STATUS__ACK_RETRY;
    a.next_seq = UINT64_MAX;
    a.first_seq = UINT64_MAX;
    a.last_seq = UINT64_MAX;
    a.n_rejections = WIRE_MAX_BATCH;
    a.rejections = rp;
    a.message = text;
    static uint8_t head[32];
    a.has_audit_position = 1;
    a.audit_position = UINT64_MAX;
    a.has_audit_head = 1;
    a.audit_head.len = sizeof head;
    a.audit_head.data = head;
    Hrss__CollectorMsg m = HRSS__COLLECTOR_MSG__INIT;
    m.body_case = HRSS__COLLECTOR_MSG__BODY_ACK;
    m.ack = &a;
    buf_t out;
    buf_init(&out);
    wire_pack(&m.base, &out);
    cr_expect_leq(out.len, WIRE_MAX_COLLECTOR_MSG, "%zu > %d", out.len,
                  (int)WIRE_MAX_COLLECTOR_MSG);
    Hrss__CollectorMsg *got = NULL;
    char err[ERR_LEN];
    cr_expect_eq(wire_collector_unpack(out.data, out.len, &got, err), ERR_OK,
                 "%s", err);
    hrss__collector_msg__free_unpacked(got, NULL);
    cr_expect_eq(WIRE_MAX_COLLECTOR_FRAME, WIRE_MAX_COLLECTOR_MSG + 64);
    buf_fini(&out);
    free(rp);
    free(r);
}

/* The collector's strings fit the limits the arithmetic assumed. */
Test(wire, reason_names_fit_their_limit)
{
    for (int r = 0; r <= UPDATE_REASON_MAX; r++) {
        const char *n = update_reason_name((enum update_reason)r);
        cr_expect_leq(strlen(n), WIRE_REASON_NAME_MAX, "%s", n);
    }
}
