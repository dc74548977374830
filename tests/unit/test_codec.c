/* test_codec.c: the store's key and record layouts (store/codec): every
 * kind round-trips, format-1 bytes stay what stores on disk hold, and a
 * truncated, extended or wrong-version record is ERR_CORRUPT. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/lmdbh.h"
#include "common/period.h"
#include "store/codec.h"

static MDB_val val(const buf_t *b)
{
    MDB_val v = {b->len, b->data};
    return v;
}

static void hex(const buf_t *b, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < b->len && n + 3 < cap; i++) {
        n += (size_t)snprintf(out + n, cap - n, "%02x", b->data[i]);
    }
}

/* Every proper prefix, the record with one byte more, and the record with
 * another version byte must all be refused by @p parse. */
typedef int (*parse_fn)(const MDB_val *d, void *out);

static void expect_refuses_damage(const buf_t *good, parse_fn parse,
                                  void *out, const char *what)
{
    unsigned char bytes[512];
    cr_assert(good->len + 1 <= sizeof bytes);
    memcpy(bytes, good->data, good->len);
    for (size_t n = 0; n < good->len; n++) {
        MDB_val d = {n, bytes};
        cr_expect_eq(parse(&d, out), ERR_CORRUPT,
                     "%s cut to %zu of %zu bytes was accepted", what, n,
                     good->len);
    }
    bytes[good->len] = 0;
    MDB_val longer = {good->len + 1, bytes};
    cr_expect_eq(parse(&longer, out), ERR_CORRUPT,
                 "%s with a trailing byte was accepted", what);
    bytes[0] = 0x02;
    MDB_val v2 = {good->len, bytes};
    cr_expect_eq(parse(&v2, out), ERR_CORRUPT,
                 "%s with version byte 2 was accepted", what);
}

static int parse_fact(const MDB_val *d, void *out)
{
    return codec_parse_fact(d, out);
}

static int parse_agg(const MDB_val *d, void *out)
{
    return codec_parse_agg(d, out);
}

static int parse_reporter(const MDB_val *d, void *out)
{
    return codec_parse_reporter(d, out);
}

static int parse_cell(const MDB_val *k, void *out)
{
    codec_violation_t *v = out;
    return codec_parse_cell_key(k, &v->code, &v->region, &v->month);
}

/* Key of audit and rejects records written by the store: id 7. */
static buf_t id_key(uint64_t id)
{
    buf_t k;
    buf_init(&k);
    codec_key_id(&k, id);
    return k;
}

static MDB_val g_key; /* for the record parsers that need their key */

static int parse_audit(const MDB_val *d, void *out)
{
    return codec_parse_audit(&g_key, d, out);
}

static int parse_reject(const MDB_val *d, void *out)
{
    return codec_parse_reject(&g_key, d, out);
}

static int parse_violation(const MDB_val *d, void *out)
{
    return codec_parse_violation(&g_key, d, out);
}

Test(codec, fact_round_trips)
{
    buf_t b;
    buf_init(&b);
    codec_fact_t f = {{1, 93, 100}, 1764000000, 42};
    codec_put_fact(&b, &f);
    char h[256];
    hex(&b, h, sizeof h);
    cr_expect_str_eq(h,
                     "01" "01" "000000000000005d" "0000000000000064"
                     "0000000069248100" "000000000000002a");
    codec_fact_t g;
    MDB_val d = val(&b);
    cr_assert_eq(codec_parse_fact(&d, &g), ERR_OK);
    cr_expect_eq(g.v.is_ratio, 1);
    cr_expect_eq(g.v.num, 93);
    cr_expect_eq(g.v.den, 100);
    cr_expect_eq(g.received_at, 1764000000);
    cr_expect_eq(g.audit_id, 42);
    expect_refuses_damage(&b, parse_fact, &g, "fact");
    /* A count has no denominator on disk. */
    codec_fact_t c = {{0, 2468000, 0}, 1764000000, 43};
    codec_put_fact(&b, &c);
    hex(&b, h, sizeof h);
    cr_expect_str_eq(h, "01" "00" "000000000025a8a0" "0000000069248100"
                        "000000000000002b");
    d = val(&b);
    cr_assert_eq(codec_parse_fact(&d, &g), ERR_OK);
    cr_expect(g.v.is_ratio == 0 && g.v.num == 2468000 && g.v.den == 0);
    expect_refuses_damage(&b, parse_fact, &g, "count fact");
    b.data[1] = 2; /* no such kind */
    cr_expect_eq(codec_parse_fact(&d, &g), ERR_CORRUPT);
    buf_fini(&b);
}

Test(codec, agg_round_trips_and_refuses_damage)
{
    buf_t b;
    buf_init(&b);
    codec_agg_t a = {-5, 7, 3};
    codec_put_agg(&b, &a);
    cr_expect_eq(b.len, 1 + 8 + 8 + 4);
    codec_agg_t g;
    MDB_val d = val(&b);
    cr_assert_eq(codec_parse_agg(&d, &g), ERR_OK);
    cr_expect_eq(g.num, -5);
    cr_expect_eq(g.den, 7);
    cr_expect_eq(g.reporting, 3);
    expect_refuses_damage(&b, parse_agg, &g, "agg");
    buf_fini(&b);
}

Test(codec, reporter_record_and_key_round_trip)
{
    buf_t b;
    buf_init(&b);
    codec_reporter_t p = {12, 100, 200, 9, 2};
    codec_put_reporter(&b, &p);
    codec_reporter_t g;
    MDB_val d = val(&b);
    cr_assert_eq(codec_parse_reporter(&d, &g), ERR_OK);
    cr_expect_eq(g.next_seq, 12);
    cr_expect_eq(g.first_seen, 100);
    cr_expect_eq(g.last_contact, 200);
    cr_expect_eq(g.applied, 9);
    cr_expect_eq(g.rejected, 2);
    expect_refuses_damage(&b, parse_reporter, &g, "reporter");

    char id[STORE_REPORTER_MAX + 1];
    codec_key_reporter(&b, "hz-上城");
    d = val(&b);
    cr_assert_eq(codec_parse_reporter_key(&d, id), ERR_OK);
    cr_expect_str_eq(id, "hz-上城");
    MDB_val only_version = {1, b.data};
    cr_expect_eq(codec_parse_reporter_key(&only_version, id), ERR_CORRUPT);
    b.data[0] = 0x02;
    cr_expect_eq(codec_parse_reporter_key(&d, id), ERR_CORRUPT);
    unsigned char long_key[STORE_REPORTER_MAX + 2];
    memset(long_key, 'a', sizeof long_key);
    long_key[0] = CODEC_KEY_V1;
    MDB_val too_long = {sizeof long_key, long_key};
    cr_expect_eq(codec_parse_reporter_key(&too_long, id), ERR_CORRUPT);
    buf_fini(&b);
}

Test(codec, reporter_ids_are_checked)
{
    cr_expect(codec_reporter_valid("agent-1"));
    cr_expect(!codec_reporter_valid(""));
    cr_expect(!codec_reporter_valid("tab\there"));
    char big[STORE_REPORTER_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_expect(!codec_reporter_valid(big));
    big[STORE_REPORTER_MAX] = '\0';
    cr_expect(codec_reporter_valid(big));
}

Test(codec, cell_keys_round_trip)
{
    buf_t b;
    buf_init(&b);
    /* A code outside the plan's list is spelt out after 0xFF. */
    codec_key_cell(&b, "jobs", 330102, 2025 * 12);
    char h[256];
    hex(&b, h, sizeof h);
    cr_expect_str_eq(h, "01" "ff" "6a6f627300" "00050976" "00005eec");
    codec_violation_t v;
    MDB_val k = val(&b);
    cr_assert_eq(codec_parse_cell_key(&k, &v.code, &v.region, &v.month),
                 ERR_OK);
    cr_expect_str_eq(v.code, "jobs");
    cr_expect_eq(v.region, 330102);
    cr_expect_eq(v.month, 2025 * 12);
    expect_refuses_damage(&b, parse_cell, &v, "cell key");
    /* A plan code is one byte, its place in the list. */
    codec_key_cell(&b, "urban_new_jobs", 330102, 2025 * 12);
    hex(&b, h, sizeof h);
    cr_expect_str_eq(h, "01" "10" "00050976" "00005eec");
    k = val(&b);
    cr_assert_eq(codec_parse_cell_key(&k, &v.code, &v.region, &v.month),
                 ERR_OK);
    cr_expect_str_eq(v.code, "urban_new_jobs");
    expect_refuses_damage(&b, parse_cell, &v, "plan cell key");
    /* No place 0 or 20, and a plan code is never spelt out. */
    b.data[1] = 0;
    cr_expect_eq(codec_parse_cell_key(&k, &v.code, &v.region, &v.month),
                 ERR_CORRUPT);
    b.data[1] = 20;
    cr_expect_eq(codec_parse_cell_key(&k, &v.code, &v.region, &v.month),
                 ERR_CORRUPT);
    buf_reset(&b);
    buf_put_u8(&b, CODEC_KEY_V1);
    buf_put_u8(&b, CODEC_IND_OTHER);
    buf_put_str(&b, "urban_new_jobs");
    buf_put_u32(&b, 330102);
    buf_put_u32(&b, 2025 * 12);
    k = val(&b);
    cr_expect_eq(codec_parse_cell_key(&k, &v.code, &v.region, &v.month),
                 ERR_CORRUPT);
    buf_fini(&b);
}

/* Keys sort as their codes do: the plan's codes by their bytes, any
 * other code after them. */
Test(codec, indicator_bytes_sort_as_the_codes)
{
    static const char *const codes[] = {
        "arbitration_closure_rate", "e_social_security_card_coverage",
        "pension_insured", "senior_title_talent", "skilled_talent",
        "urban_new_jobs", "urban_surveyed_unemployment_rate",
        "vocational_skill_training", "work_injury_insured", "a_local_one",
    };
    size_t n = sizeof codes / sizeof codes[0];
    buf_t a;
    buf_t b;
    buf_init(&a);
    buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            codec_key_cell(&a, codes[i], 330100, 2024 * 12);
            codec_key_cell(&b, codes[j], 330100, 2024 * 12);
            size_t m = a.len < b.len ? a.len : b.len;
            int c = memcmp(a.data, b.data, m);
            c = c != 0 ? c : (a.len > b.len) - (a.len < b.len);
            int other_i = i == n - 1;
            int other_j = j == n - 1;
            int want = other_i != other_j ? other_i - other_j
                                          : strcmp(codes[i], codes[j]);
            cr_expect_eq(c < 0, want < 0, "%s vs %s", codes[i], codes[j]);
            cr_expect_eq(c == 0, want == 0, "%s vs %s", codes[i], codes[j]);
        }
    }
    buf_fini(&a);
    buf_fini(&b);
}

Test(codec, agg_key_has_its_period_kind_byte)
{
    buf_t b;
    buf_init(&b);
    codec_key_agg(&b, CODEC_AGG_QUARTER, "x", 1, 3);
    char h[256];
    hex(&b, h, sizeof h);
    cr_expect_str_eq(h, "01" "51" "ff" "7800" "00000001" "00000003");
    codec_key_agg(&b, CODEC_AGG_YEAR, "pension_insured", 1, 3);
    hex(&b, h, sizeof h);
    cr_expect_str_eq(h, "01" "59" "09" "00000001" "00000003");
    buf_fini(&b);
}

Test(codec, audit_round_trips_and_refuses_damage)
{
    buf_t k = id_key(7);
    buf_t b;
    buf_init(&b);
    store_revision_t rev = {7,        1764000000, "agent-a",
                            3,        "pension_insured", 330102,
                            2025 * 12 + 5, 5, 1, {0, 10, 0},
                            {0, 12, 0}};
    codec_put_audit(&b, &rev);
    store_revision_t g;
    g_key = val(&k);
    MDB_val d = val(&b);
    cr_assert_eq(codec_parse_audit(&g_key, &d, &g), ERR_OK);
    cr_expect_eq(g.audit_id, 7);
    cr_expect_eq(g.received_at, 1764000000);
    cr_expect_str_eq(g.reporter, "agent-a");
    cr_expect_eq(g.seq, 3);
    cr_expect_str_eq(g.indicator, "pension_insured");
    cr_expect_eq(g.region, 330102);
    cr_expect_eq(g.month, 2025 * 12 + 5);
    cr_expect_eq(g.prev_id, 5);
    cr_expect_eq(g.has_old, 1);
    cr_expect_eq(g.old_value.num, 10);
    cr_expect_eq(g.new_value.num, 12);
    expect_refuses_damage(&b, parse_audit, &g, "audit");
    MDB_val short_key = {k.len - 1, k.data};
    cr_expect_eq(codec_parse_audit(&short_key, &d, &g), ERR_CORRUPT);
    /* A chain goes back: a previous revision at or after this one, or an
     * old value without a previous revision, is damage. */
    rev.prev_id = 7;
    codec_put_audit(&b, &rev);
    d = val(&b);
    cr_expect_eq(codec_parse_audit(&g_key, &d, &g), ERR_CORRUPT);
    rev.prev_id = 0;
    codec_put_audit(&b, &rev);
    d = val(&b);
    cr_expect_eq(codec_parse_audit(&g_key, &d, &g), ERR_CORRUPT);
    /* A first revision: no old value on disk, and none parsed. */
    rev.has_old = 0;
    codec_put_audit(&b, &rev);
    cr_expect_eq(b.len, 1 + 8 + 8 + 8 + 1 + 4 + 4 + 8 + 1 + 9);
    d = val(&b);
    cr_assert_eq(codec_parse_audit(&g_key, &d, &g), ERR_OK);
    cr_expect(g.has_old == 0 && g.prev_id == 0 && g.old_value.num == 0 &&
              g.new_value.num == 12);
    expect_refuses_damage(&b, parse_audit, &g, "first audit");
    buf_fini(&b);
    buf_fini(&k);
}

Test(codec, rejection_round_trips_and_refuses_damage)
{
    buf_t k = id_key(9);
    buf_t b;
    buf_init(&b);
    store_rejected_t rj = {9,      1764000001, "agent-b",
                           4,      "urban_new_jobs", 330105,
                           202513, {1, 3, 0}, UPDATE_BAD_MONTH,
                           "period: 202513 is not a valid YYYYMM"};
    codec_put_reject(&b, &rj);
    store_rejected_t g;
    g_key = val(&k);
    MDB_val d = val(&b);
    cr_assert_eq(codec_parse_reject(&g_key, &d, &g), ERR_OK);
    cr_expect_eq(g.id, 9);
    cr_expect_eq(g.received_at, 1764000001);
    cr_expect_str_eq(g.reporter, "agent-b");
    cr_expect_eq(g.seq, 4);
    cr_expect_str_eq(g.indicator, "urban_new_jobs");
    cr_expect_eq(g.region, 330105);
    cr_expect_eq(g.yyyymm, 202513);
    cr_expect_eq(g.value.is_ratio, 1);
    cr_expect_eq(g.value.num, 3);
    cr_expect_eq(g.reason, UPDATE_BAD_MONTH);
    cr_expect_str_eq(g.message, "period: 202513 is not a valid YYYYMM");
    expect_refuses_damage(&b, parse_reject, &g, "rejection");

    rj.reason = UPDATE_OK;
    codec_put_reject(&b, &rj);
    d = val(&b);
    cr_expect_eq(codec_parse_reject(&g_key, &d, &g), ERR_CORRUPT,
                 "reason 0 is not a rejection");
    rj.reason = (enum update_reason)(UPDATE_REASON_MAX + 1);
    codec_put_reject(&b, &rj);
    d = val(&b);
    cr_expect_eq(codec_parse_reject(&g_key, &d, &g), ERR_CORRUPT);
    buf_fini(&b);
    buf_fini(&k);
}

Test(codec, rejection_keeps_a_bounded_indicator)
{
    char huge[300];
    memset(huge, 'q', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    buf_t k = id_key(1);
    buf_t b;
    buf_init(&b);
    store_rejected_t rj = {1, 0, "a", 1, huge, 0, 0, {0, 0, 0},
                           UPDATE_UNKNOWN_INDICATOR, "m"};
    codec_put_reject(&b, &rj);
    store_rejected_t g;
    g_key = val(&k);
    MDB_val d = val(&b);
    cr_assert_eq(codec_parse_reject(&g_key, &d, &g), ERR_OK);
    cr_expect_eq(strlen(g.indicator), CATALOG_CODE_MAX + 1);
    buf_fini(&b);
    buf_fini(&k);
}

Test(codec, violation_round_trips_and_refuses_damage)
{
    buf_t k;
    buf_t b;
    buf_init(&k);
    buf_init(&b);
    codec_key_cell(&k, "senior_title_talent", 330106, 2025 * 12 + 5);
    codec_put_violation(&b, "professional_technical_talent", 20, 10);
    codec_violation_t g;
    g_key = val(&k);
    MDB_val d = val(&b);
    cr_assert_eq(codec_parse_violation(&g_key, &d, &g), ERR_OK);
    cr_expect_str_eq(g.code, "senior_title_talent");
    cr_expect_eq(g.region, 330106);
    cr_expect_eq(g.month, 2025 * 12 + 5);
    cr_expect_str_eq(g.parent, "professional_technical_talent");
    cr_expect_eq(g.value, 20);
    cr_expect_eq(g.parent_value, 10);
    expect_refuses_damage(&b, parse_violation, &g, "violation");
    buf_fini(&b);
    buf_fini(&k);
}

/* A year span key (format 3) is an agg key of a year start followed by
 * the other year, none written as 0xFFFFFFFF; its text says which. */
Test(codec, span_key_round_trips_and_refuses_damage)
{
    buf_t b;
    buf_init(&b);
    char text[128];
    int32_t other = 0;
    codec_key_span(&b, CODEC_AGG_PREV, "urban_new_jobs", 330100,
                   month_make(2024, 1), month_make(2023, 1));
    MDB_val k = lmdbh_val(&b);
    cr_expect_eq(codec_parse_span_other(&k, &other), ERR_OK);
    cr_expect_eq(other, month_make(2023, 1));
    cr_expect_str_eq(codec_key_text("agg", &k, text, sizeof text),
                     "P urban_new_jobs 330100 2024-01 < 2023");
    codec_key_span(&b, CODEC_AGG_NEXT, "pension_insured", 330000,
                   month_make(2025, 1), CODEC_SPAN_NONE);
    k = lmdbh_val(&b);
    cr_expect_eq(codec_parse_span_other(&k, &other), ERR_OK);
    cr_expect_eq(other, CODEC_SPAN_NONE);
    cr_expect_str_eq(codec_key_text("agg", &k, text, sizeof text),
                     "N pension_insured 330000 2025-01 > -");
    /* Not a span: a year aggregate's key, a month that starts no year, an
     * other year out of range. */
    codec_key_agg(&b, CODEC_AGG_YEAR, "pension_insured", 330000,
                  month_make(2025, 1));
    k = lmdbh_val(&b);
    cr_expect_eq(codec_parse_span_other(&k, &other), ERR_CORRUPT);
    codec_key_span(&b, CODEC_AGG_PREV, "pension_insured", 330000,
                   month_make(2025, 3), CODEC_SPAN_NONE);
    k = lmdbh_val(&b);
    cr_expect_eq(codec_parse_span_other(&k, &other), ERR_CORRUPT);
    codec_key_span(&b, CODEC_AGG_NEXT, "pension_insured", 330000,
                   month_make(2025, 1), 7);
    k = lmdbh_val(&b);
    cr_expect_eq(codec_parse_span_other(&k, &other), ERR_CORRUPT);
    buf_fini(&b);
}
