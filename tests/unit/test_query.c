/* test_query.c: query_answer() end to end through packed protobuf, with
 * exact expected numbers for every query kind and for every error path. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Answer raw request bytes; the caller frees the response. */
static Hrss__QueryResponse *ask_raw(const uint8_t *req, size_t len)
{
    buf_t out;
    buf_init(&out);
    query_answer(fx_store, req, len, &out);
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
    cr_assert_eq(b->n_children, reg->n_children);
    cr_assert_eq(b->n_children, 13);
    int64_t sum = b->own->numerator;
    uint32_t reporting = b->own->reporting;
    uint32_t expected = b->own->expected;
    for (size_t i = 0; i < b->n_children; i++) {
        const region_t *c =
            catalog_region(fx_cat, (size_t)reg->children[i]);
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

/* Many facts: the list grows far past its first allocation. */
Test(query, facts_many)
{
    enum { MONTHS = 240, BATCH = 240 };
    size_t nreg = catalog_region_count(fx_cat);
    update_t *u = xcalloc(BATCH, sizeof *u);
    uint64_t seq = 1;
    for (size_t ri = 0; ri < nreg; ri++) {
        uint32_t code = catalog_region(fx_cat, ri)->code;
        for (int m = 0; m < MONTHS; m++) {
            int32_t mi = month_make(2005, 1) + m;
            uint32_t yyyymm = (uint32_t)(month_year(mi) * 100 +
                                         month_of_year(mi));
            u[m] = fx_count(seq, JOBS, code, yyyymm, (int64_t)ri + m);
            seq++;
        }
        apply("bulk", u, BATCH);
    }
    free(u);
    Hrss__QueryResponse *r = ask_facts(NULL, NULL);
    ok(r, HRSS__QUERY_RESPONSE__R_FACTS);
    cr_expect_eq(r->facts->n_facts, nreg * MONTHS);
    for (size_t i = 0; i < r->facts->n_facts; i++) {
        cr_assert_str_eq(r->facts->facts[i]->indicator, JOBS);
    }
    hrss__query_response__free_unpacked(r, NULL);

    r = ask_facts("2005", "2005");
    ok(r, HRSS__QUERY_RESPONSE__R_FACTS);
    cr_expect_eq(r->facts->n_facts, nreg * 12);
    hrss__query_response__free_unpacked(r, NULL);
}

/* ------------------------------------------------------------------ */
/* backup                                                              */

Test(query, backup_then_reopen_read_only)
{
    seed_jobs();
    char dest[320];
    snprintf(dest, sizeof dest, "%s/backup", fx_dir);
    Hrss__BackupQ bq = HRSS__BACKUP_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    bq.dest = dest;
    q.q_case = HRSS__QUERY_REQUEST__Q_BACKUP;
    q.backup = &bq;
    Hrss__QueryResponse *r = ask(&q);
    ok(r, HRSS__QUERY_RESPONSE__R__NOT_SET);
    cr_expect_null(r->error);
    hrss__query_response__free_unpacked(r, NULL);

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
    query_answer(copy, b, n, &out);
    free(b);
    r = hrss__query_response__unpack(NULL, out.len, out.data);
    buf_fini(&out);
    cr_assert_not_null(r);
    ok(r, HRSS__QUERY_RESPONSE__R_TOTAL);
    expect_total(r->total, JOBS, HZ, "2025-01", 0, 150, 0, 2, 14);
    hrss__query_response__free_unpacked(r, NULL);
    store_close(&copy);
}

Test(query, backup_failure_is_reported)
{
    char dest[320];
    snprintf(dest, sizeof dest, "%s/no/such/dir", fx_dir);
    Hrss__BackupQ bq = HRSS__BACKUP_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    bq.dest = dest;
    q.q_case = HRSS__QUERY_REQUEST__Q_BACKUP;
    q.backup = &bq;
    Hrss__QueryResponse *r = ask(&q);
    fails(r, ERR_IO, "no/such/dir");
    hrss__query_response__free_unpacked(r, NULL);

    bq.dest = "";
    r = ask(&q);
    fails(r, ERR_INVAL, "destination");
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
    cr_expect_eq(r->error[strlen(r->error) - 1], '?');
    /* Exactly three suggestions. */
    const char *s = strstr(r->error, "did you mean:");
    cr_assert_not_null(s);
    int commas = 0;
    for (; *s != '\0'; s++) {
        commas += *s == ',';
    }
    cr_expect_eq(commas, 2, "%s", r->error);
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
    query_answer(fx_store, none, 0, &out);
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
