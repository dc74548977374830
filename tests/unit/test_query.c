/* test_query.c: query_answer() end to end through packed protobuf, with
 * exact expected numbers for every query kind and for every error path. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/mem.h"
#include "common/wire.h"
#include "proto/hrss.pb-c.h"
#include "store/query.h"
#include "store_fixture.h"

#define ZJ 330000u    /* 浙江省 */
#define HZ 330100u    /* 杭州市 */
#define HZ_SC 330102u /* 上城区 */
#define HZ_GS 330105u /* 拱墅区 */
#define NB 330200u    /* 宁波市 */
#define NB_HS 330203u /* 海曙区 */

#define JOBS "urban_new_jobs"
#define JOBS_ZH "城镇新增就业人数"
#define MEDIATION "dispute_mediation_success_rate"
#define PROF "professional_technical_talent"
#define SENIOR "senior_title_talent"

TestSuite(query, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

/* ------------------------------------------------------------------ */
/* helpers                                                             */

/* Create an empty file. */
static void touch_file(const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fclose(f);
}

/* Who the requests of a test come from: a reader unless the test says
 * otherwise (each test runs in a process of its own). */
static query_ctx_t who = {.role = QUERY_ROLE_READ};

/* Answer raw request bytes; the caller frees the response. */
static Hrss__QueryResponse *ask_raw(const uint8_t *req, size_t len)
{
    buf_t out;
    buf_init(&out);
    query_answer(fx_store, &who, req, len, &out);
    cr_assert_gt(out.len, 0, "no response bytes");
    Hrss__QueryResponse *r =
        hrss__query_response__unpack(NULL, out.len, out.data);
    buf_fini(&out);
    cr_assert_not_null(r, "response does not unpack");
    return r;
}

static Hrss__QueryResponse *ask(const Hrss__QueryRequest *q)
{
    size_t n = hrss__query_request__get_packed_size(q);
    uint8_t *b = xmalloc(n);
    size_t packed = hrss__query_request__pack(q, b);
    cr_assert_eq(packed, n);
    Hrss__QueryResponse *r = ask_raw(b, n);
    free(b);
    return r;
}

static void ok(const Hrss__QueryResponse *r, Hrss__QueryResponse__RCase rc)
{
    cr_assert_eq(r->code, HRSS__QUERY_STATUS__QUERY_OK, "code %d: %s",
                 r->code,
                 r->error != NULL ? r->error : "(no message)");
    cr_assert_eq(r->r_case, rc, "payload case %d, want %d", (int)r->r_case,
                 (int)rc);
}

static void fails(const Hrss__QueryResponse *r, int code, const char *part)
{
    cr_assert_eq(wire_status_from_proto(r->code), code,
                 "code %d, want %d (%s)", r->code, code,
                 r->error != NULL ? r->error : "(no message)");
    cr_assert_eq(r->r_case, HRSS__QUERY_RESPONSE__R__NOT_SET);
    cr_assert_not_null(r->error);
    cr_assert_not_null(strstr(r->error, part), "'%s' not in '%s'", part,
                       r->error);
}

static Hrss__QueryResponse *ask_total(char *ind, uint32_t region,
                                      char *period, int breakdown)
{
    Hrss__TotalQ t = HRSS__TOTAL_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    t.indicator = ind;
    t.region = region;
    t.period = period;
    if (breakdown) {
        q.q_case = HRSS__QUERY_REQUEST__Q_BREAKDOWN;
        q.breakdown = &t;
    } else {
        q.q_case = HRSS__QUERY_REQUEST__Q_TOTAL;
        q.total = &t;
    }
    return ask(&q);
}

static Hrss__QueryResponse *ask_series(char *ind, uint32_t region,
                                       char *from, char *to, char *by)
{
    Hrss__SeriesQ s = HRSS__SERIES_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    s.indicator = ind;
    s.region = region;
    s.from = from;
    s.to = to;
    s.by = by;
    q.q_case = HRSS__QUERY_REQUEST__Q_SERIES;
    q.series = &s;
    return ask(&q);
}

static Hrss__QueryResponse *ask_facts(char *from, char *to)
{
    Hrss__FactsQ f = HRSS__FACTS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    f.from = from;
    f.to = to;
    q.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    q.facts = &f;
    return ask(&q);
}

static Hrss__QueryResponse *ask_violations(char *period, int has_region,
                                           uint32_t region)
{
    Hrss__ViolationsQ v = HRSS__VIOLATIONS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    v.period = period;
    v.has_region = has_region != 0;
    v.region = region;
    q.q_case = HRSS__QUERY_REQUEST__Q_VIOLATIONS;
    q.violations = &v;
    return ask(&q);
}

static void expect_total(const Hrss__Total *t, const char *ind,
                         uint32_t region, const char *period, int is_ratio,
                         int64_t num, int64_t den, uint32_t reporting,
                         uint32_t expected)
{
    cr_assert_not_null(t);
    cr_expect_str_eq(t->indicator, ind);
    cr_expect_eq(t->region, region, "region %u, want %u", t->region, region);
    cr_expect_str_eq(t->period, period);
    cr_expect_eq(t->is_ratio != 0, is_ratio != 0);
    cr_expect_eq(t->numerator, num, "numerator %lld, want %lld",
                 (long long)t->numerator, (long long)num);
    cr_expect_eq(t->denominator, den, "denominator %lld, want %lld",
                 (long long)t->denominator, (long long)den);
    cr_expect_eq(t->reporting, reporting, "reporting %u, want %u",
                 t->reporting, reporting);
    cr_expect_eq(t->expected, expected, "expected %u, want %u", t->expected,
                 expected);
}

static void apply(const char *reporter, const update_t *u, size_t n)
{
    store_result_t res = fx_apply(reporter, u, n);
    cr_assert_eq(res.status, STORE_BATCH_OK);
    store_result_fini(&res);
}

/* 上城区 100 and 拱墅区 50 new jobs in 2025-01. */
static void seed_jobs(void)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, HZ_GS, 202501, 50),
    };
    apply("hz", u, 2);
}

/* ------------------------------------------------------------------ */
/* total                                                               */

Test(query, total_of_a_count)
{
    seed_jobs();
    Hrss__QueryResponse *r = ask_total(JOBS, HZ, "2025-01", 0);
    ok(r, HRSS__QUERY_RESPONSE__R_TOTAL);
    cr_expect_null(r->error);
    expect_total(r->total, JOBS, HZ, "2025-01", 0, 150, 0, 2, 14);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, total_by_chinese_name_answers_with_code)
{
    seed_jobs();
    Hrss__QueryResponse *r = ask_total(JOBS_ZH, HZ, "2025-01", 0);
    ok(r, HRSS__QUERY_RESPONSE__R_TOTAL);
    expect_total(r->total, JOBS, HZ, "2025-01", 0, 150, 0, 2, 14);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, total_of_a_ratio)
{
    update_t u[] = {
        fx_ratio(1, MEDIATION, HZ_SC, 202501, 1, 10),
        fx_ratio(2, MEDIATION, HZ_GS, 202501, 90, 100),
    };
    apply("hz", u, 2);
    Hrss__QueryResponse *r = ask_total(MEDIATION, HZ, "2025-01", 0);
    ok(r, HRSS__QUERY_RESPONSE__R_TOTAL);
    expect_total(r->total, MEDIATION, HZ, "2025-01", 1, 91, 110, 2, 14);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, region_zero_is_the_province)
{
    seed_jobs();
    Hrss__QueryResponse *r = ask_total(JOBS, 0, "2025-01", 0);
    ok(r, HRSS__QUERY_RESPONSE__R_TOTAL);
    expect_total(r->total, JOBS, ZJ, "2025-01", 0, 150, 0, 2, 102);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, total_period_is_canonical)
{
    seed_jobs();
    update_t u[] = {fx_count(3, JOBS, HZ_SC, 202503, 7)};
    apply("hz", u, 1);
    /* "2025" and the range "2025..2025" both cover the year. */
    Hrss__QueryResponse *r = ask_total(JOBS, HZ, "2025-Q1", 0);
    ok(r, HRSS__QUERY_RESPONSE__R_TOTAL);
    expect_total(r->total, JOBS, HZ, "2025-Q1", 0, 157, 0, 2, 14);
    hrss__query_response__free_unpacked(r, NULL);
    r = ask_total(JOBS, HZ, "2025", 0);
    ok(r, HRSS__QUERY_RESPONSE__R_TOTAL);
    expect_total(r->total, JOBS, HZ, "2025", 0, 157, 0, 2, 14);
    hrss__query_response__free_unpacked(r, NULL);
    r = ask_total(JOBS, HZ, "2024..2025", 0);
    ok(r, HRSS__QUERY_RESPONSE__R_TOTAL);
    expect_total(r->total, JOBS, HZ, "2024..2025", 0, 157, 0, 2, 14);
    hrss__query_response__free_unpacked(r, NULL);
}

/* ------------------------------------------------------------------ */
/* breakdown                                                           */

Test(query, breakdown_own_plus_children_is_total)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ, 202501, 5),      /* the city's own units */
        fx_count(2, JOBS, HZ_SC, 202501, 100),
        fx_count(3, JOBS, HZ_GS, 202501, 50),
        fx_count(4, JOBS, NB_HS, 202501, 30),
    };
    apply("prov", u, 4);
    Hrss__QueryResponse *r = ask_total(JOBS, HZ, "2025-01", 1);
    ok(r, HRSS__QUERY_RESPONSE__R_BREAKDOWN);
    const Hrss__Breakdown *b = r->breakdown;
    expect_total(b->own, JOBS, HZ, "2025-01", 0, 5, 0, 1, 1);
    expect_total(b->total, JOBS, HZ, "2025-01", 0, 155, 0, 3, 14);
    int hz = catalog_region_find(fx_cat, HZ);
    const region_t *reg = catalog_region(fx_cat, (size_t)hz);
    /* The children that exist in 2025-01: 13 of the 15 (下城区 and
     * 江干区 ended in 2021-03), in catalog order. */
    cr_assert_eq(reg->n_children, 15);
    cr_assert_eq(b->n_children, 13);
    int64_t sum = b->own->numerator;
    uint32_t reporting = b->own->reporting;
    uint32_t expected = b->own->expected;
    size_t k = 0;
    for (size_t i = 0; i < b->n_children; i++, k++) {
        while (!catalog_region_valid(fx_cat, reg->children[k],
                                     month_make(2025, 1))) {
            k++;
        }
        const region_t *c =
            catalog_region(fx_cat, (size_t)reg->children[k]);
        cr_expect_eq(b->children[i]->region, c->code);
        cr_expect_str_eq(b->children[i]->indicator, JOBS);
        cr_expect_str_eq(b->children[i]->period, "2025-01");
        sum += b->children[i]->numerator;
        reporting += b->children[i]->reporting;
        expected += b->children[i]->expected;
    }
    cr_expect_eq(b->children[0]->region, HZ_SC);
    cr_expect_eq(b->children[0]->numerator, 100);
    cr_expect_eq(b->children[1]->region, HZ_GS);
    cr_expect_eq(b->children[1]->numerator, 50);
    cr_expect_eq(sum, b->total->numerator);
    cr_expect_eq(reporting, b->total->reporting);
    cr_expect_eq(expected, b->total->expected);
    store_total_t t = fx_total(JOBS, HZ, "2025-01");
    cr_expect_eq(t.num, b->total->numerator);
    cr_expect_eq(t.reporting, b->total->reporting);
    cr_expect_eq(t.expected, b->total->expected);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, breakdown_of_province_and_of_a_leaf)
{
    seed_jobs();
    update_t u[] = {fx_count(3, JOBS, NB_HS, 202501, 30)};
    apply("hz", u, 1);
    Hrss__QueryResponse *r = ask_total(JOBS, 0, "2025-01", 1);
    ok(r, HRSS__QUERY_RESPONSE__R_BREAKDOWN);
    const Hrss__Breakdown *b = r->breakdown;
    expect_total(b->own, JOBS, ZJ, "2025-01", 0, 0, 0, 0, 1);
    expect_total(b->total, JOBS, ZJ, "2025-01", 0, 180, 0, 3, 102);
    cr_assert_geq(b->n_children, 2);
    cr_expect_eq(b->children[0]->region, HZ);
    cr_expect_eq(b->children[0]->numerator, 150);
    cr_expect_eq(b->children[1]->region, NB);
    cr_expect_eq(b->children[1]->numerator, 30);
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_total(JOBS, HZ_SC, "2025-01", 1);
    ok(r, HRSS__QUERY_RESPONSE__R_BREAKDOWN);
    cr_expect_eq(r->breakdown->n_children, 0);
    expect_total(r->breakdown->own, JOBS, HZ_SC, "2025-01", 0, 100, 0, 1, 1);
    expect_total(r->breakdown->total, JOBS, HZ_SC, "2025-01", 0, 100, 0, 1,
                 1);
    hrss__query_response__free_unpacked(r, NULL);
}

/* ------------------------------------------------------------------ */
/* series                                                              */

Test(query, series_by_quarter)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, HZ_SC, 202503, 10),
        fx_count(3, JOBS, HZ_GS, 202505, 50),
        fx_count(4, JOBS, HZ_GS, 202512, 1),
    };
    apply("hz", u, 4);
    Hrss__QueryResponse *r = ask_series(JOBS, HZ, "2025-Q1", "2025",
                                        "quarter");
    ok(r, HRSS__QUERY_RESPONSE__R_SERIES);
    cr_assert_eq(r->series->n_totals, 4);
    Hrss__Total **t = r->series->totals;
    expect_total(t[0], JOBS, HZ, "2025-Q1", 0, 110, 0, 1, 14);
    expect_total(t[1], JOBS, HZ, "2025-Q2", 0, 50, 0, 1, 14);
    expect_total(t[2], JOBS, HZ, "2025-Q3", 0, 0, 0, 0, 14);
    expect_total(t[3], JOBS, HZ, "2025-Q4", 0, 1, 0, 1, 14);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, series_by_month_and_year)
{
    seed_jobs();
    Hrss__QueryResponse *r = ask_series(JOBS_ZH, 0, "2024-12", "2025-02",
                                        "month");
    ok(r, HRSS__QUERY_RESPONSE__R_SERIES);
    cr_assert_eq(r->series->n_totals, 3);
    expect_total(r->series->totals[0], JOBS, ZJ, "2024-12", 0, 0, 0, 0,
                 102);
    expect_total(r->series->totals[1], JOBS, ZJ, "2025-01", 0, 150, 0, 2,
                 102);
    expect_total(r->series->totals[2], JOBS, ZJ, "2025-02", 0, 0, 0, 0,
                 102);
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_series(JOBS, HZ, "2024..2025", "2025", "year");
    ok(r, HRSS__QUERY_RESPONSE__R_SERIES);
    cr_assert_eq(r->series->n_totals, 2);
    expect_total(r->series->totals[0], JOBS, HZ, "2024", 0, 0, 0, 0, 14);
    expect_total(r->series->totals[1], JOBS, HZ, "2025", 0, 150, 0, 2, 14);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, series_errors)
{
    Hrss__QueryResponse *r = ask_series(JOBS, HZ, "2025", "2025", "week");
    fails(r, ERR_INVAL, "month, quarter or year");
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_series(JOBS, HZ, "2025-02", "2025-01", "month");
    fails(r, ERR_INVAL, "starts after");
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_series(JOBS, HZ, "2025", "2025-13", "month");
    fails(r, ERR_INVAL, "YYYY-Qn");
    hrss__query_response__free_unpacked(r, NULL);

    /* 2025-02 cannot start a quarter: the store's own check. */
    r = ask_series(JOBS, HZ, "2025-02", "2025", "quarter");
    fails(r, ERR_INVAL, "quarter");
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_series("nope", HZ, "2025", "2025", "month");
    fails(r, ERR_NOTFOUND, "unknown indicator 'nope'");
    hrss__query_response__free_unpacked(r, NULL);
}

/* ------------------------------------------------------------------ */
/* history                                                             */

static Hrss__QueryResponse *ask_history(char *ind, uint32_t region,
                                        char *month)
{
    Hrss__HistoryQ h = HRSS__HISTORY_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    h.indicator = ind;
    h.region = region;
    h.month = month;
    q.q_case = HRSS__QUERY_REQUEST__Q_HISTORY;
    q.history = &h;
    return ask(&q);
}

Test(query, history_with_two_revisions)
{
    update_t a[] = {fx_count(1, JOBS, HZ_SC, 202501, 100)};
    update_t b[] = {fx_count(2, JOBS, HZ_SC, 202501, 120)};
    apply("hz", a, 1);
    apply("hz", b, 1);
    Hrss__QueryResponse *r = ask_history(JOBS_ZH, HZ_SC, "2025-01");
    ok(r, HRSS__QUERY_RESPONSE__R_HISTORY);
    cr_assert_eq(r->history->n_revisions, 2);
    Hrss__Revision *r0 = r->history->revisions[0];
    Hrss__Revision *r1 = r->history->revisions[1];
    cr_expect_str_eq(r0->agent, "hz");
    cr_expect_str_eq(r0->indicator, JOBS);
    cr_expect_eq(r0->seq, 1);
    cr_expect_eq(r0->region, HZ_SC);
    cr_expect_eq(r0->month, 202501);
    cr_expect_eq(r0->received_at, 1764000000);
    cr_expect_not(r0->has_old);
    cr_expect_eq(r0->new_numerator, 100);
    cr_expect_eq(r0->new_denominator, 0);
    cr_expect_not(r0->is_ratio);
    cr_expect_eq(r1->seq, 2);
    cr_expect(r1->has_old);
    cr_expect_eq(r1->old_numerator, 100);
    cr_expect_eq(r1->new_numerator, 120);
    cr_expect_gt(r1->audit_id, r0->audit_id);
    hrss__query_response__free_unpacked(r, NULL);

    /* Another month of the same cell: no revisions, still success. */
    r = ask_history(JOBS, HZ_SC, "2025-02");
    ok(r, HRSS__QUERY_RESPONSE__R_HISTORY);
    cr_expect_eq(r->history->n_revisions, 0);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, history_wants_a_month)
{
    Hrss__QueryResponse *r = ask_history(JOBS, HZ_SC, "2025-Q1");
    fails(r, ERR_INVAL, "YYYY-MM");
    hrss__query_response__free_unpacked(r, NULL);
}

/* ------------------------------------------------------------------ */
/* rejections, agents                                                  */

static Hrss__QueryResponse *ask_rejections(int has_since, int64_t since)
{
    Hrss__RejectionsQ rq = HRSS__REJECTIONS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    rq.has_since = has_since != 0;
    rq.since = since;
    q.q_case = HRSS__QUERY_REQUEST__Q_REJECTIONS;
    q.rejections = &rq;
    return ask(&q);
}

Test(query, rejections)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, HZ_SC, 202513, 5),
        fx_ratio(3, MEDIATION, HZ_SC, 202501, 11, 10),
    };
    apply("hz", u, 3);
    Hrss__QueryResponse *r = ask_rejections(0, 0);
    ok(r, HRSS__QUERY_RESPONSE__R_REJECTIONS);
    cr_assert_eq(r->rejections->n_rejections, 2);
    Hrss__RejectedUpdate *a = r->rejections->rejections[0];
    cr_expect_str_eq(a->agent, "hz");
    cr_expect_eq(a->received_at, 1764000000);
    cr_expect_eq(a->reason, HRSS__REJECT_REASON__REJ_BAD_MONTH);
    cr_expect_str_eq(a->reason_name, "bad_month");
    cr_expect_neq(a->message[0], '\0');
    cr_assert_not_null(a->update);
    cr_expect_eq(a->update->seq, 2);
    cr_expect_str_eq(a->update->indicator, JOBS);
    cr_expect_eq(a->update->region, HZ_SC);
    cr_expect_eq(a->update->month, 202513);
    cr_assert_eq(a->update->value_case, HRSS__UPDATE__VALUE_COUNT);
    cr_expect_eq(a->update->count, 5);
    Hrss__RejectedUpdate *b = r->rejections->rejections[1];
    cr_expect_str_eq(b->reason_name, "numerator_gt_denominator");
    cr_assert_eq(b->update->value_case, HRSS__UPDATE__VALUE_RATIO);
    cr_expect_eq(b->update->ratio->numerator, 11);
    cr_expect_eq(b->update->ratio->denominator, 10);
    cr_expect_gt(b->id, a->id);
    hrss__query_response__free_unpacked(r, NULL);

    /* since is inclusive; later than every rejection gives none. */
    r = ask_rejections(1, 1764000000);
    ok(r, HRSS__QUERY_RESPONSE__R_REJECTIONS);
    cr_expect_eq(r->rejections->n_rejections, 2);
    hrss__query_response__free_unpacked(r, NULL);
    r = ask_rejections(1, 1764000001);
    ok(r, HRSS__QUERY_RESPONSE__R_REJECTIONS);
    cr_expect_eq(r->rejections->n_rejections, 0);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, agents)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, HZ_SC, 202513, 5),
        fx_count(3, JOBS, HZ_GS, 202501, 50),
    };
    apply("hz", u, 3);
    update_t v[] = {fx_count(1, JOBS, NB_HS, 202501, 30)};
    apply("nb", v, 1);
    Hrss__AgentsQ aq = HRSS__AGENTS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_AGENTS;
    q.agents = &aq;
    Hrss__QueryResponse *r = ask(&q);
    ok(r, HRSS__QUERY_RESPONSE__R_AGENTS);
    cr_assert_eq(r->agents->n_agents, 2);
    const Hrss__AgentState *hz = r->agents->agents[0];
    const Hrss__AgentState *nb = r->agents->agents[1];
    if (strcmp(hz->id, "hz") != 0) {
        hz = r->agents->agents[1];
        nb = r->agents->agents[0];
    }
    cr_expect_str_eq(hz->id, "hz");
    cr_expect_eq(hz->next_seq, 4);
    cr_expect_eq(hz->applied, 2);
    cr_expect_eq(hz->rejected, 1);
    cr_expect_eq(hz->first_seen, 1764000000);
    cr_expect_eq(hz->last_contact, 1764000000);
    cr_expect_str_eq(nb->id, "nb");
    cr_expect_eq(nb->next_seq, 2);
    cr_expect_eq(nb->applied, 1);
    hrss__query_response__free_unpacked(r, NULL);
}

/* ------------------------------------------------------------------ */
/* violations                                                          */

Test(query, violations)
{
    update_t u[] = {
        fx_count(1, SENIOR, HZ_SC, 202501, 600),
        fx_count(2, PROF, HZ_SC, 202501, 500),
        fx_count(3, SENIOR, HZ_GS, 202501, 10),  /* fine */
        fx_count(4, PROF, HZ_GS, 202501, 500),
    };
    apply("hz", u, 4);
    Hrss__QueryResponse *r = ask_violations(NULL, 0, 0);
    ok(r, HRSS__QUERY_RESPONSE__R_VIOLATIONS);
    cr_assert_eq(r->violations->n_violations, 1);
    const Hrss__Violation *v = r->violations->violations[0];
    cr_expect_str_eq(v->indicator, SENIOR);
    cr_expect_str_eq(v->parent, PROF);
    cr_expect_eq(v->region, HZ_SC);
    cr_expect_eq(v->month, 202501);
    cr_expect_eq(v->value, 600);
    cr_expect_eq(v->parent_value, 500);
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_violations("2025-Q1", 1, HZ);
    ok(r, HRSS__QUERY_RESPONSE__R_VIOLATIONS);
    cr_expect_eq(r->violations->n_violations, 1);
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_violations(NULL, 1, 0); /* region 0: everything */
    ok(r, HRSS__QUERY_RESPONSE__R_VIOLATIONS);
    cr_expect_eq(r->violations->n_violations, 1);
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_violations("2024", 0, 0);
    ok(r, HRSS__QUERY_RESPONSE__R_VIOLATIONS);
    cr_expect_eq(r->violations->n_violations, 0);
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_violations(NULL, 1, NB);
    ok(r, HRSS__QUERY_RESPONSE__R_VIOLATIONS);
    cr_expect_eq(r->violations->n_violations, 0);
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_violations(NULL, 1, 339999);
    fails(r, ERR_NOTFOUND, "unknown region 339999");
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_violations("2025-Q0", 0, 0);
    fails(r, ERR_INVAL, "YYYY-Qn");
    hrss__query_response__free_unpacked(r, NULL);
}

/* ------------------------------------------------------------------ */
/* facts                                                               */

Test(query, facts_export_and_filter)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202412, 7),
        fx_count(2, JOBS, HZ_SC, 202501, 100),
        fx_count(3, JOBS, HZ_GS, 202502, 50),
        fx_ratio(4, MEDIATION, HZ_SC, 202501, 1, 10),
    };
    apply("hz", u, 4);
    Hrss__QueryResponse *r = ask_facts(NULL, NULL);
    ok(r, HRSS__QUERY_RESPONSE__R_FACTS);
    cr_assert_eq(r->facts->n_facts, 4);
    int seen_ratio = 0;
    for (size_t i = 0; i < r->facts->n_facts; i++) {
        const Hrss__Fact *f = r->facts->facts[i];
        cr_expect_eq(f->received_at, 1764000000);
        if (strcmp(f->indicator, MEDIATION) == 0) {
            seen_ratio = 1;
            cr_expect(f->is_ratio);
            cr_expect_eq(f->region, HZ_SC);
            cr_expect_eq(f->month, 202501);
            cr_expect_eq(f->numerator, 1);
            cr_expect_eq(f->denominator, 10);
        }
    }
    cr_expect(seen_ratio);
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_facts("2025", NULL);
    ok(r, HRSS__QUERY_RESPONSE__R_FACTS);
    cr_expect_eq(r->facts->n_facts, 3);
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_facts(NULL, "2024");
    ok(r, HRSS__QUERY_RESPONSE__R_FACTS);
    cr_assert_eq(r->facts->n_facts, 1);
    cr_expect_eq(r->facts->facts[0]->month, 202412);
    cr_expect_eq(r->facts->facts[0]->numerator, 7);
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_facts("2025-02", "2025-02");
    ok(r, HRSS__QUERY_RESPONSE__R_FACTS);
    cr_assert_eq(r->facts->n_facts, 1);
    cr_expect_eq(r->facts->facts[0]->region, HZ_GS);
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_facts("2026", "2025");
    fails(r, ERR_INVAL, "starts after");
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_facts("last year", NULL);
    fails(r, ERR_INVAL, "YYYY-Qn");
    hrss__query_response__free_unpacked(r, NULL);
}

/* ------------------------------------------------------------------ */
/* pages                                                               */

/* 300 months of one indicator for every region: 30,600 facts, about
 * 1.2 MB packed, more than one answer may hold. */
static size_t seed_many_facts(void)
{
    enum { MONTHS = 300 };
    size_t nreg = catalog_region_count(fx_cat);
    update_t *u = xcalloc(MONTHS, sizeof *u);
    uint64_t seq = 1;
    size_t seeded = 0;
    for (size_t ri = 0; ri < nreg; ri++) {
        uint32_t code = catalog_region(fx_cat, ri)->code;
        /* Only regions that exist in all 300 months (not the districts
         * of Hangzhou's 2021 change): a figure outside a region's months
         * is refused. */
        if (!catalog_region_valid(fx_cat, (int)ri, month_make(2001, 1)) ||
            !catalog_region_valid(fx_cat, (int)ri,
                                  month_make(2001, 1) + MONTHS - 1)) {
            continue;
        }
        seeded++;
        for (int m = 0; m < MONTHS; m++) {
            int32_t mi = month_make(2001, 1) + m;
            uint32_t yyyymm = (uint32_t)(month_year(mi) * 100 +
                                         month_of_year(mi));
            u[m] = fx_count(seq, JOBS, code, yyyymm, (int64_t)ri + m);
            seq++;
        }
        apply("bulk", u, MONTHS);
    }
    free(u);
    return seeded * MONTHS;
}

/* The paging fields of a list request. */
typedef struct page_fields {
    protobuf_c_boolean *has_after;
    ProtobufCBinaryData *after;
    protobuf_c_boolean *has_limit;
    uint32_t *limit;
} page_fields_t;

static page_fields_t fields_of(Hrss__QueryRequest *q)
{
    page_fields_t f = {0};
#define PF(m) {&q->m->has_after, &q->m->after, &q->m->has_limit, &q->m->limit}
    switch (q->q_case) {
    case HRSS__QUERY_REQUEST__Q_HISTORY: f = (page_fields_t)PF(history);
        break;
    case HRSS__QUERY_REQUEST__Q_REJECTIONS:
        f = (page_fields_t)PF(rejections);
        break;
    case HRSS__QUERY_REQUEST__Q_AGENTS: f = (page_fields_t)PF(agents);
        break;
    case HRSS__QUERY_REQUEST__Q_VIOLATIONS:
        f = (page_fields_t)PF(violations);
        break;
    case HRSS__QUERY_REQUEST__Q_FACTS: f = (page_fields_t)PF(facts);
        break;
    case HRSS__QUERY_REQUEST__Q_COMPLETENESS:
        f = (page_fields_t)PF(completeness);
        break;
    default: cr_assert_fail("not a list request");
    }
#undef PF
    return f;
}

/* A list answer's items and its `next` (NULL: the last page). */
static size_t items_of(const Hrss__QueryResponse *r,
                       ProtobufCMessage ***items,
                       const ProtobufCBinaryData **next)
{
#define LIST(field, arr, n)                                                 \
    *items = (ProtobufCMessage **)r->field->arr;                          \
    *next = r->field->has_next ? &r->field->next : NULL;                  \
    return r->field->n
    switch (r->r_case) {
    case HRSS__QUERY_RESPONSE__R_HISTORY:
        LIST(history, revisions, n_revisions);
    case HRSS__QUERY_RESPONSE__R_REJECTIONS:
        LIST(rejections, rejections, n_rejections);
    case HRSS__QUERY_RESPONSE__R_AGENTS: LIST(agents, agents, n_agents);
    case HRSS__QUERY_RESPONSE__R_VIOLATIONS:
        LIST(violations, violations, n_violations);
    case HRSS__QUERY_RESPONSE__R_FACTS: LIST(facts, facts, n_facts);
    case HRSS__QUERY_RESPONSE__R_COMPLETENESS:
        LIST(completeness, regions, n_regions);
    default: cr_assert_fail("not a list answer");
    }
#undef LIST
    return 0;
}

/* Every item of the list @p q asks for, packed one after the other, in
 * @p all: page after page of at most @p limit items when @p limit > 0
 * (checking each page's size), or in one answer. @return item count. */
static size_t fetch_all(Hrss__QueryRequest *q, uint32_t limit, buf_t *all,
                        size_t *pages)
{
    page_fields_t f = fields_of(q);
    buf_t cursor;
    buf_init(&cursor);
    size_t total = 0;
    *pages = 0;
    *f.has_limit = limit > 0;
    *f.limit = limit;
    *f.has_after = 0;
    for (;;) {
        size_t n = hrss__query_request__get_packed_size(q);
        uint8_t *b = xmalloc(n);
        hrss__query_request__pack(q, b);
        buf_t out;
        buf_init(&out);
        query_answer(fx_store, &who, b, n, &out);
        free(b);
        cr_assert_leq(out.len, QUERY_MAX_ANSWER, "an answer of %zu bytes",
                      out.len);
        if (limit > 0) {
            cr_assert_leq(out.len, QUERY_PAGE_BYTES + 4096,
                          "a page of %zu bytes", out.len);
        }
        Hrss__QueryResponse *r =
            hrss__query_response__unpack(NULL, out.len, out.data);
        buf_fini(&out);
        cr_assert_not_null(r);
        cr_assert_eq(r->code, HRSS__QUERY_STATUS__QUERY_OK, "%s",
                     r->error != NULL ? r->error : "");
        ProtobufCMessage **items;
        const ProtobufCBinaryData *next;
        size_t k = items_of(r, &items, &next);
        (*pages)++;
        if (limit > 0) {
            cr_assert_leq(k, limit);
        } else {
            cr_assert_null(next, "an answer asked whole has a next");
        }
        for (size_t i = 0; i < k; i++) {
            size_t m = protobuf_c_message_get_packed_size(items[i]);
            uint8_t *ib = xmalloc(m);
            protobuf_c_message_pack(items[i], ib);
            buf_put_u32(all, (uint32_t)m);
            buf_put(all, ib, m);
            free(ib);
        }
        total += k;
        int more = next != NULL;
        if (more) {
            cr_assert_gt(k, 0, "an empty page with a next");
            buf_reset(&cursor);
            buf_put(&cursor, next->data, next->len);
            f.after->data = cursor.data;
            f.after->len = cursor.len;
            *f.has_after = 1;
        }
        hrss__query_response__free_unpacked(r, NULL);
        if (!more) {
            break;
        }
        cr_assert_lt(*pages, 100000, "pages never end");
    }
    buf_fini(&cursor);
    return total;
}

/* Pages hold everything once, in order, and no answer is over the cap;
 * asked whole, a list that does not fit is refused, not cut. */
Test(query, facts_come_in_pages)
{
    size_t nfacts = seed_many_facts();
    Hrss__FactsQ fq = HRSS__FACTS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    q.facts = &fq;
    buf_t all;
    buf_init(&all);
    size_t pages = 0;
    cr_expect_eq(fetch_all(&q, QUERY_PAGE_MAX_ITEMS, &all, &pages), nfacts);
    /* about 39 bytes a fact: pages end by size, not by count */
    cr_expect_geq(pages, 4, "%zu pages", pages);
    buf_t small;
    buf_init(&small);
    cr_expect_eq(fetch_all(&q, 1000, &small, &pages), nfacts);
    cr_expect_eq(pages, (nfacts + 999) / 1000);
    cr_expect(all.len == small.len &&
                  memcmp(all.data, small.data, all.len) == 0,
              "pages of 1000 differ from pages by size");
    buf_fini(&small);

    /* In key order, each fact once. */
    buf_reader_t rd;
    buf_reader_init(&rd, all.data, all.len);
    char prev[64] = "";
    uint32_t prev_region = 0;
    uint32_t prev_month = 0;
    for (size_t i = 0; i < nfacts; i++) {
        uint32_t m = buf_get_u32(&rd);
        cr_assert_leq(m, buf_remaining(&rd));
        Hrss__Fact *f = hrss__fact__unpack(NULL, m, rd.p + rd.off);
        cr_assert_not_null(f);
        rd.off += m;
        int c = strcmp(prev, f->indicator);
        cr_assert(c < 0 || (c == 0 && (prev_region < f->region ||
                                       (prev_region == f->region &&
                                        prev_month < f->month))),
                  "fact %zu out of order", i);
        snprintf(prev, sizeof prev, "%s", f->indicator);
        prev_region = f->region;
        prev_month = f->month;
        hrss__fact__free_unpacked(f, NULL);
    }
    cr_expect(buf_done(&rd));
    buf_fini(&all);

    /* Whole: over QUERY_MAX_ANSWER, so refused. */
    Hrss__QueryResponse *r = ask_facts(NULL, NULL);
    fails(r, ERR_FULL, "pages");
    hrss__query_response__free_unpacked(r, NULL);
    /* A filtered list that fits comes whole. */
    r = ask_facts("2005", "2005");
    ok(r, HRSS__QUERY_RESPONSE__R_FACTS);
    /* seed_many_facts left out the 4 districts of Hangzhou's change. */
    cr_expect_eq(r->facts->n_facts, (catalog_region_count(fx_cat) - 4) * 12);
    cr_expect_not(r->facts->has_next);
    hrss__query_response__free_unpacked(r, NULL);
}

/* Every kind of list: its pages, however small, hold exactly what the
 * whole answer holds. */
static void same_in_pages(Hrss__QueryRequest *q, size_t want)
{
    buf_t whole;
    buf_t paged;
    buf_init(&whole);
    buf_init(&paged);
    size_t pages = 0;
    size_t got = fetch_all(q, 0, &whole, &pages);
    cr_assert_eq(got, want, "kind %d: %zu items, want %zu", (int)q->q_case,
                 got, want);
    cr_assert_eq(pages, 1);
    for (uint32_t limit = 1; limit <= 3; limit++) {
        buf_reset(&paged);
        cr_assert_eq(fetch_all(q, limit, &paged, &pages), want);
        cr_expect_eq(pages, want == 0 ? 1 : (want + limit - 1) / limit,
                     "limit %u: %zu pages", limit, pages);
        cr_expect(paged.len == whole.len &&
                      memcmp(paged.data, whole.data, whole.len) == 0,
                  "limit %u: the pages differ from the whole list", limit);
    }
    /* By size: a page budget smaller than one item still moves on. */
    who.page_bytes = 1;
    buf_reset(&paged);
    cr_assert_eq(fetch_all(q, QUERY_PAGE_MAX_ITEMS, &paged, &pages), want);
    cr_expect_eq(pages, want == 0 ? 1 : want);
    cr_expect(paged.len == whole.len &&
              memcmp(paged.data, whole.data, whole.len) == 0);
    who.page_bytes = 0;
    buf_fini(&whole);
    buf_fini(&paged);
}

Test(query, every_list_in_pages)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, HZ_SC, 202513, 5),       /* rejected */
        fx_count(3, JOBS, HZ_SC, 202501, 110),
        fx_count(4, JOBS, HZ_SC, 202501, 120),
        fx_count(5, SENIOR, HZ_SC, 202501, 600),
        fx_count(6, PROF, HZ_SC, 202501, 500),     /* a violation */
        fx_count(7, SENIOR, HZ_GS, 202502, 60),
        fx_count(8, PROF, HZ_GS, 202502, 50),      /* another */
        fx_count(9, SENIOR, NB_HS, 202503, 9),
        fx_count(10, PROF, NB_HS, 202503, 8),      /* and another */
        fx_ratio(11, MEDIATION, HZ_SC, 202501, 11, 10), /* rejected */
        fx_count(12, JOBS, HZ_GS, 209901, 1),      /* rejected */
    };
    apply("hz", u, sizeof u / sizeof u[0]);
    update_t v[] = {fx_count(1, JOBS, NB_HS, 202501, 30)};
    apply("nb", v, 1);
    apply("zz", v, 1);

    Hrss__HistoryQ hq = HRSS__HISTORY_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    hq.indicator = JOBS;
    hq.region = HZ_SC;
    hq.month = "2025-01";
    q.q_case = HRSS__QUERY_REQUEST__Q_HISTORY;
    q.history = &hq;
    same_in_pages(&q, 3);

    Hrss__RejectionsQ rq = HRSS__REJECTIONS_Q__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_REJECTIONS;
    q.rejections = &rq;
    same_in_pages(&q, 3);

    Hrss__AgentsQ aq = HRSS__AGENTS_Q__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_AGENTS;
    q.agents = &aq;
    same_in_pages(&q, 3);

    Hrss__ViolationsQ vq = HRSS__VIOLATIONS_Q__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_VIOLATIONS;
    q.violations = &vq;
    same_in_pages(&q, 3);
    vq.has_region = 1;
    vq.region = HZ;
    same_in_pages(&q, 2);

    Hrss__FactsQ fq = HRSS__FACTS_Q__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    q.facts = &fq;
    same_in_pages(&q, 8);
    fq.from = "2025-02";
    same_in_pages(&q, 4);

    Hrss__CompletenessQ cq = HRSS__COMPLETENESS_Q__INIT;
    cq.period = "2025-01";
    cq.has_region = 1;
    cq.region = HZ;
    q.q_case = HRSS__QUERY_REQUEST__Q_COMPLETENESS;
    q.completeness = &cq;
    same_in_pages(&q, 14);
}

/* Items added between pages: one behind the cursor is not seen, one
 * ahead of it is seen once; nothing is seen twice. */
Test(query, pages_follow_positions_not_counts)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 1),
        fx_count(2, JOBS, HZ_SC, 202503, 3),
        fx_count(3, JOBS, HZ_SC, 202505, 5),
    };
    apply("hz", u, 3);
    Hrss__FactsQ fq = HRSS__FACTS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    q.facts = &fq;
    fq.has_limit = 1;
    fq.limit = 2;
    Hrss__QueryResponse *r = ask(&q);
    ok(r, HRSS__QUERY_RESPONSE__R_FACTS);
    cr_assert_eq(r->facts->n_facts, 2);
    cr_assert(r->facts->has_next);
    uint8_t cur[256];
    cr_assert_leq(r->facts->next.len, sizeof cur);
    memcpy(cur, r->facts->next.data, r->facts->next.len);
    fq.has_after = 1;
    fq.after.data = cur;
    fq.after.len = r->facts->next.len;
    hrss__query_response__free_unpacked(r, NULL);
    update_t v[] = {
        fx_count(4, JOBS, HZ_SC, 202502, 2), /* behind the cursor */
        fx_count(5, JOBS, HZ_SC, 202504, 4), /* ahead of it */
        fx_count(6, JOBS, HZ_SC, 202503, 33), /* the cursor's own: a
                                                 revision, not seen */
    };
    apply("hz", v, 3);
    r = ask(&q);
    ok(r, HRSS__QUERY_RESPONSE__R_FACTS);
    cr_assert_eq(r->facts->n_facts, 2);
    cr_expect_eq(r->facts->facts[0]->month, 202504);
    cr_expect_eq(r->facts->facts[1]->month, 202505);
    cr_expect_not(r->facts->has_next);
    hrss__query_response__free_unpacked(r, NULL);
}

/* A cursor is checked like any input: garbage, another list's cursor, or
 * a completeness position past the end is malformed. */
Test(query, bad_cursors_are_refused)
{
    seed_jobs();
    Hrss__FactsQ fq = HRSS__FACTS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    q.facts = &fq;
    static uint8_t junk[] = {0xff, 0x00, 0x01};
    fq.has_after = 1;
    fq.after.data = junk;
    fq.after.len = sizeof junk;
    Hrss__QueryResponse *r = ask(&q);
    fails(r, ERR_INVAL, "after");
    hrss__query_response__free_unpacked(r, NULL);
    fq.after.len = 0;
    r = ask(&q);
    fails(r, ERR_INVAL, "after");
    hrss__query_response__free_unpacked(r, NULL);

    /* A rejections cursor given to agents. */
    update_t u[] = {fx_count(3, JOBS, HZ_SC, 202513, 1),
                    fx_count(4, JOBS, HZ_SC, 202513, 2)};
    apply("hz", u, 2);
    Hrss__RejectionsQ rq = HRSS__REJECTIONS_Q__INIT;
    rq.has_limit = 1;
    rq.limit = 1;
    q.q_case = HRSS__QUERY_REQUEST__Q_REJECTIONS;
    q.rejections = &rq;
    r = ask(&q);
    ok(r, HRSS__QUERY_RESPONSE__R_REJECTIONS);
    cr_assert(r->rejections->has_next);
    uint8_t cur[64];
    size_t len = r->rejections->next.len;
    cr_assert_leq(len, sizeof cur);
    memcpy(cur, r->rejections->next.data, len);
    hrss__query_response__free_unpacked(r, NULL);
    Hrss__AgentsQ aq = HRSS__AGENTS_Q__INIT;
    aq.has_after = 1;
    aq.after.data = cur;
    aq.after.len = len;
    q.q_case = HRSS__QUERY_REQUEST__Q_AGENTS;
    q.agents = &aq;
    r = ask(&q);
    fails(r, ERR_INVAL, "after");
    hrss__query_response__free_unpacked(r, NULL);
}

/* No answer is larger than the cap: one that would be is an error that
 * says so, never a cut answer. */
Test(query, answers_over_the_cap_are_refused)
{
    seed_jobs();
    who.max_answer = 2000; /* the catalog's files are about 8.6 KB */
    Hrss__CatalogQ cq = HRSS__CATALOG_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_CATALOG;
    q.catalog = &cq;
    Hrss__QueryResponse *r = ask(&q);
    fails(r, ERR_FULL, "limit of 2000 bytes");
    hrss__query_response__free_unpacked(r, NULL);
    who.max_answer = 0;
    r = ask(&q);
    ok(r, HRSS__QUERY_RESPONSE__R_CATALOG);
    hrss__query_response__free_unpacked(r, NULL);
}

/* ------------------------------------------------------------------ */
/* backup                                                              */

static Hrss__QueryResponse *ask_backup(const char *dest)
{
    Hrss__BackupQ bq = HRSS__BACKUP_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    bq.dest = (char *)(uintptr_t)dest;
    q.q_case = HRSS__QUERY_REQUEST__Q_BACKUP;
    q.backup = &bq;
    return ask(&q);
}

/* An admin with a backup directory, fx_dir/backups. */
static void as_admin(char *dir, size_t len)
{
    snprintf(dir, len, "%s/backups", fx_dir);
    cr_assert_eq(mkdir(dir, 0700), 0);
    who.role = QUERY_ROLE_ADMIN;
    who.backup_dir = dir;
}

/* The names in directory @p dir, other than . and .., joined by spaces. */
static void dir_names(const char *dir, char *out, size_t len)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    out[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            size_t n = strlen(out);
            snprintf(out + n, len - n, "%s%s", n > 0 ? " " : "", e->d_name);
        }
    }
    closedir(d);
}

Test(query, backup_then_reopen_read_only)
{
    seed_jobs();
    char dir[300];
    as_admin(dir, sizeof dir);
    Hrss__QueryResponse *r = ask_backup("2025-01-31_nightly");
    ok(r, HRSS__QUERY_RESPONSE__R__NOT_SET);
    cr_expect_null(r->error);
    hrss__query_response__free_unpacked(r, NULL);

    char dest[400];
    snprintf(dest, sizeof dest, "%s/2025-01-31_nightly", dir);
    char err[ERR_LEN];
    store_t *copy = NULL;
    store_opts_t opts = {.readonly = 1};
    int rc = store_open(&copy, dest, fx_cat, &opts, err);
    cr_assert_eq(rc, ERR_OK, "reopen: %s", err);
    period_t p;
    cr_assert_eq(period_parse("2025-01", &p, err), ERR_OK);
    store_total_t t;
    rc = store_total(copy, JOBS, HZ, &p, &t, err);
    cr_assert_eq(rc, ERR_OK, "%s", err);
    cr_expect_eq(t.num, 150);
    cr_expect_eq(t.reporting, 2);

    /* The read-only copy answers queries too. */
    Hrss__TotalQ tq = HRSS__TOTAL_Q__INIT;
    Hrss__QueryRequest q2 = HRSS__QUERY_REQUEST__INIT;
    tq.indicator = JOBS;
    tq.region = HZ;
    tq.period = "2025-01";
    q2.q_case = HRSS__QUERY_REQUEST__Q_TOTAL;
    q2.total = &tq;
    size_t n = hrss__query_request__get_packed_size(&q2);
    uint8_t *b = xmalloc(n);
    hrss__query_request__pack(&q2, b);
    buf_t out;
    buf_init(&out);
    query_answer(copy, NULL, b, n, &out);
    free(b);
    r = hrss__query_response__unpack(NULL, out.len, out.data);
    buf_fini(&out);
    cr_assert_not_null(r);
    ok(r, HRSS__QUERY_RESPONSE__R_TOTAL);
    expect_total(r->total, JOBS, HZ, "2025-01", 0, 150, 0, 2, 14);
    hrss__query_response__free_unpacked(r, NULL);
    store_close(&copy);
}

/* The copy is the owner's and the group's only, whatever the umask, and
 * nothing else is left in the backup directory (no temporary copy). */
Test(query, backup_modes_and_no_leftovers)
{
    seed_jobs();
    char dir[300];
    as_admin(dir, sizeof dir);
    mode_t old = umask(0);
    Hrss__QueryResponse *r = ask_backup("b1");
    umask(old);
    ok(r, HRSS__QUERY_RESPONSE__R__NOT_SET);
    hrss__query_response__free_unpacked(r, NULL);
    char path[400];
    struct stat st;
    snprintf(path, sizeof path, "%s/b1", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 07777, 0750, "directory mode %o",
                 st.st_mode & 07777);
    snprintf(path, sizeof path, "%s/b1/data.mdb", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 07777, 0640, "data.mdb mode %o",
                 st.st_mode & 07777);
    char names[256];
    dir_names(dir, names, sizeof names);
    cr_expect_str_eq(names, "b1");
    snprintf(path, sizeof path, "%s/b1", dir);
    dir_names(path, names, sizeof names);
    cr_expect_str_eq(names, "data.mdb");
}

/* Only the admin role backs up; a reader learns nothing about where. */
Test(query, backup_needs_the_admin_role)
{
    seed_jobs();
    char dir[300];
    as_admin(dir, sizeof dir);
    who.role = QUERY_ROLE_READ;
    Hrss__QueryResponse *r = ask_backup("b1");
    fails(r, ERR_DENIED, "not authorized");
    cr_expect_null(strstr(r->error, dir));
    cr_expect_eq(r->code, HRSS__QUERY_STATUS__QUERY_DENIED);
    hrss__query_response__free_unpacked(r, NULL);
    /* No context at all is a reader. */
    Hrss__BackupQ bq = HRSS__BACKUP_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    bq.dest = "b2";
    q.q_case = HRSS__QUERY_REQUEST__Q_BACKUP;
    q.backup = &bq;
    size_t n = hrss__query_request__get_packed_size(&q);
    uint8_t *b = xmalloc(n);
    hrss__query_request__pack(&q, b);
    buf_t out;
    buf_init(&out);
    query_answer(fx_store, NULL, b, n, &out);
    free(b);
    r = hrss__query_response__unpack(NULL, out.len, out.data);
    buf_fini(&out);
    fails(r, ERR_DENIED, "not authorized");
    hrss__query_response__free_unpacked(r, NULL);
    char names[256];
    dir_names(dir, names, sizeof names);
    cr_expect_str_eq(names, "", "written: %s", names);
    /* An admin of a collector without a backup directory: refused. */
    who.role = QUERY_ROLE_ADMIN;
    who.backup_dir = NULL;
    r = ask_backup("b3");
    fails(r, ERR_DENIED, "--backup-dir");
    hrss__query_response__free_unpacked(r, NULL);
}

/* A name, never a path: nothing is written outside the backup
 * directory. */
Test(query, backup_names_are_plain)
{
    seed_jobs();
    char dir[300];
    as_admin(dir, sizeof dir);
    char longname[QUERY_BACKUP_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    const char *bad[] = {"../escaped", "..", ".", "a/b", "/tmp/abs",
                         ".hidden", "a b", "a\\b", "名字", longname};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Hrss__QueryResponse *r = ask_backup(bad[i]);
        fails(r, ERR_INVAL, "not a plain name");
        hrss__query_response__free_unpacked(r, NULL);
    }
    Hrss__QueryResponse *r = ask_backup("");
    fails(r, ERR_INVAL, "destination");
    hrss__query_response__free_unpacked(r, NULL);
    char names[256];
    dir_names(dir, names, sizeof names);
    cr_expect_str_eq(names, "", "written: %s", names);
    dir_names(fx_dir, names, sizeof names);
    cr_expect_str_eq(names, "backups db", "written: %s", names);
    /* The longest plain name is fine. */
    longname[QUERY_BACKUP_NAME_MAX] = '\0';
    r = ask_backup(longname);
    ok(r, HRSS__QUERY_RESPONSE__R__NOT_SET);
    hrss__query_response__free_unpacked(r, NULL);
}

/* An existing name is never written into or replaced: a directory (even
 * an empty one), a file, a symlink to elsewhere. */
Test(query, backup_refuses_an_existing_destination)
{
    seed_jobs();
    char dir[300];
    as_admin(dir, sizeof dir);
    char path[400];
    char target[400];
    snprintf(path, sizeof path, "%s/empty", dir);
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/file", dir);
    touch_file(path);
    snprintf(target, sizeof target, "%s/elsewhere", fx_dir);
    cr_assert_eq(mkdir(target, 0700), 0);
    snprintf(path, sizeof path, "%s/link", dir);
    cr_assert_eq(symlink(target, path), 0);
    const char *names[] = {"empty", "file", "link"};
    for (size_t i = 0; i < 3; i++) {
        Hrss__QueryResponse *r = ask_backup(names[i]);
        fails(r, ERR_INVAL, "already exists");
        hrss__query_response__free_unpacked(r, NULL);
    }
    char got[256];
    dir_names(target, got, sizeof got);
    cr_expect_str_eq(got, "", "written through the symlink: %s", got);
    snprintf(path, sizeof path, "%s/empty", dir);
    dir_names(path, got, sizeof got);
    cr_expect_str_eq(got, "", "written into: %s", got);
    /* A second backup under the first one's name is refused too. */
    Hrss__QueryResponse *r = ask_backup("once");
    ok(r, HRSS__QUERY_RESPONSE__R__NOT_SET);
    hrss__query_response__free_unpacked(r, NULL);
    r = ask_backup("once");
    fails(r, ERR_INVAL, "already exists");
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, backup_failure_is_reported)
{
    char dir[300];
    as_admin(dir, sizeof dir);
    char missing[400];
    snprintf(missing, sizeof missing, "%s/no/such/dir", fx_dir);
    who.backup_dir = missing;
    Hrss__QueryResponse *r = ask_backup("b1");
    fails(r, ERR_IO, "no/such/dir");
    hrss__query_response__free_unpacked(r, NULL);
}

/* hrssctl --data-dir: a local operator backs up to a path. */
Test(query, local_backup_goes_to_the_path_given)
{
    seed_jobs();
    who.role = QUERY_ROLE_ADMIN;
    who.backup_any_path = 1;
    char dest[400];
    snprintf(dest, sizeof dest, "%s/local/", fx_dir);
    Hrss__QueryResponse *r = ask_backup(dest);
    ok(r, HRSS__QUERY_RESPONSE__R__NOT_SET);
    hrss__query_response__free_unpacked(r, NULL);
    snprintf(dest, sizeof dest, "%s/local/data.mdb", fx_dir);
    struct stat st;
    cr_expect_eq(stat(dest, &st), 0);
    snprintf(dest, sizeof dest, "%s/local", fx_dir);
    r = ask_backup(dest);
    fails(r, ERR_INVAL, "already exists");
    hrss__query_response__free_unpacked(r, NULL);
    snprintf(dest, sizeof dest, "%s/..", fx_dir);
    r = ask_backup(dest);
    fails(r, ERR_INVAL, "names no new directory");
    hrss__query_response__free_unpacked(r, NULL);
}

/* ------------------------------------------------------------------ */
/* malformed requests and lookup errors                                */

Test(query, garbage_is_malformed)
{
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x07};
    Hrss__QueryResponse *r = ask_raw(garbage, sizeof garbage);
    fails(r, ERR_PROTO, "malformed query request");
    hrss__query_response__free_unpacked(r, NULL);

    /* A length that runs past the end. */
    static const uint8_t cut[] = {0x0a, 0x20, 0x0a, 0x01, 'x'};
    r = ask_raw(cut, sizeof cut);
    fails(r, ERR_PROTO, "malformed query request");
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, empty_request_is_malformed)
{
    static const uint8_t none[1] = {0};
    Hrss__QueryResponse *r = ask_raw(none, 0);
    fails(r, ERR_PROTO, "malformed query request");
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_raw(NULL, 0);
    fails(r, ERR_PROTO, "malformed query request");
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, no_oneof_case_is_malformed)
{
    /* Only an unknown field: unpacks fine, but asks nothing. */
    static const uint8_t unknown[] = {0x78, 0x01}; /* field 15, varint 1 */
    Hrss__QueryResponse *r = ask_raw(unknown, sizeof unknown);
    fails(r, ERR_PROTO, "malformed query request");
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, missing_required_field_is_malformed)
{
    /* total { indicator = "x" } without region and period. */
    static const uint8_t partial[] = {0x0a, 0x03, 0x0a, 0x01, 'x'};
    Hrss__QueryResponse *r = ask_raw(partial, sizeof partial);
    fails(r, ERR_PROTO, "malformed query request");
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, oversized_request_is_malformed)
{
    /* A valid request padded past the limit with a long period string. */
    size_t n = QUERY_MAX_REQUEST + 1;
    char *period = xmalloc(n);
    memset(period, '9', n - 1);
    period[n - 1] = '\0';
    Hrss__QueryResponse *r = ask_total(JOBS, HZ, period, 0);
    fails(r, ERR_PROTO, "malformed query request");
    hrss__query_response__free_unpacked(r, NULL);

    /* Just under the limit it is parsed, and the period is what's bad. */
    period[QUERY_MAX_REQUEST - 64] = '\0';
    r = ask_total(JOBS, HZ, period, 0);
    fails(r, ERR_INVAL, "bad period");
    hrss__query_response__free_unpacked(r, NULL);
    free(period);
}

Test(query, bad_period)
{
    Hrss__QueryResponse *r = ask_total(JOBS, HZ, "2025-Q5", 0);
    fails(r, ERR_INVAL, "YYYY-Qn");
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_total(JOBS, HZ, "", 1);
    fails(r, ERR_INVAL, "YYYY-Qn");
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, unknown_indicator_suggests_codes)
{
    Hrss__QueryResponse *r = ask_total("urban_new_job", HZ, "2025-01", 0);
    fails(r, ERR_NOTFOUND, "unknown indicator 'urban_new_job'");
    cr_expect_not_null(strstr(r->error, "did you mean: urban_new_jobs"),
                       "%s", r->error);
    /* The one near enough (common/suggest.c INVARIANT 4). */
    cr_expect_str_eq(r->error, "unknown indicator 'urban_new_job'; did you "
                               "mean: urban_new_jobs?");
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_total("pension_insure", HZ, "2025-01", 1);
    fails(r, ERR_NOTFOUND, "did you mean: pension_insured");
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_total("", HZ, "2025-01", 0);
    fails(r, ERR_NOTFOUND, "unknown indicator ''");
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, unknown_indicator_long_input_is_bounded)
{
    char key[400];
    memset(key, 'z', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    Hrss__QueryResponse *r = ask_total(key, HZ, "2025-01", 0);
    fails(r, ERR_NOTFOUND, "unknown indicator 'zzz");
    cr_expect_lt(strlen(r->error), ERR_LEN);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query, unknown_region)
{
    Hrss__QueryResponse *r = ask_total(JOBS, 999999, "2025-01", 0);
    fails(r, ERR_NOTFOUND, "unknown region 999999");
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_series(JOBS, 123, "2025", "2025", "month");
    fails(r, ERR_NOTFOUND, "unknown region 123");
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_history(JOBS, 123, "2025-01");
    fails(r, ERR_NOTFOUND, "unknown region 123");
    hrss__query_response__free_unpacked(r, NULL);
}

/* The response is appended after whatever the caller's buffer holds. */
Test(query, answer_appends_to_buffer)
{
    seed_jobs();
    buf_t out;
    buf_init(&out);
    buf_put(&out, "AB", 2);
    static const uint8_t none[1] = {0};
    query_answer(fx_store, NULL, none, 0, &out);
    cr_assert_gt(out.len, 2);
    cr_expect_eq(out.data[0], 'A');
    cr_expect_eq(out.data[1], 'B');
    Hrss__QueryResponse *r =
        hrss__query_response__unpack(NULL, out.len - 2, out.data + 2);
    cr_assert_not_null(r);
    cr_expect_eq(r->code, HRSS__QUERY_STATUS__QUERY_PROTO);
    hrss__query_response__free_unpacked(r, NULL);
    buf_fini(&out);
}
