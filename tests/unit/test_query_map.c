/* test_query_map.c: breakdowns and series over a map that changes (issue
 * 14), through query_answer() and packed protobuf (store/answer_map.c).
 *
 * The shipped catalog: 下城区 330103 and 江干区 330104 until 2021-03,
 * 临平区 330113 and 钱塘区 330114 from 2021-04, 上城区 330102 redrawn in
 * 2021-04. A breakdown of Hangzhou for 2021 lists old and new districts,
 * each with its months; a series flags the changes of the region's own
 * territory and holds the region's months only. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "proto/hrss.pb-c.h"
#include "store/query.h"
#include "store_fixture.h"

#define ZJ 330000u
#define HZ 330100u
#define SC 330102u /* 上城区, redrawn */
#define XC 330103u /* 下城区, abolished after 2021-03 */
#define JG 330104u /* 江干区, abolished after 2021-03 */
#define GS 330105u /* 拱墅区, 下城区's successor */
#define XH 330106u /* 西湖区: reports nothing here */
#define LP 330113u /* 临平区, from 2021-04 */
#define QT 330114u /* 钱塘区, from 2021-04 */
#define JOBS "urban_new_jobs"
#define PENSION "pension_insured"

TestSuite(query_map, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

static query_ctx_t who = {.role = QUERY_ROLE_READ};

static Hrss__QueryResponse *ask(const Hrss__QueryRequest *q,
                                Hrss__QueryResponse__RCase want)
{
    size_t n = hrss__query_request__get_packed_size(q);
    uint8_t *b = xmalloc(n);
    cr_assert_eq(hrss__query_request__pack(q, b), n);
    buf_t out;
    buf_init(&out);
    query_answer(fx_store, &who, b, n, &out);
    free(b);
    Hrss__QueryResponse *r =
        hrss__query_response__unpack(NULL, out.len, out.data);
    buf_fini(&out);
    cr_assert_not_null(r, "response does not unpack");
    cr_assert_eq(r->code, HRSS__QUERY_STATUS__QUERY_OK, "code %d: %s",
                 r->code, r->error != NULL ? r->error : "");
    cr_assert_eq(r->r_case, want);
    return r;
}

static Hrss__QueryResponse *breakdown(const char *ind, uint32_t region,
                                      const char *period)
{
    Hrss__TotalQ t = HRSS__TOTAL_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    t.indicator = (char *)(uintptr_t)ind;
    t.region = region;
    t.period = (char *)(uintptr_t)period;
    q.q_case = HRSS__QUERY_REQUEST__Q_BREAKDOWN;
    q.breakdown = &t;
    return ask(&q, HRSS__QUERY_RESPONSE__R_BREAKDOWN);
}

static Hrss__QueryResponse *series(uint32_t region, const char *from,
                                   const char *to, const char *by)
{
    Hrss__SeriesQ s = HRSS__SERIES_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    s.indicator = JOBS;
    s.region = region;
    s.from = (char *)(uintptr_t)from;
    s.to = (char *)(uintptr_t)to;
    s.by = (char *)(uintptr_t)by;
    q.q_case = HRSS__QUERY_REQUEST__Q_SERIES;
    q.series = &s;
    return ask(&q, HRSS__QUERY_RESPONSE__R_SERIES);
}

/* 上城区 every month of 2020 and 2021 (5); 下城区 Jan-Mar 2021 (100);
 * 江干区 Jan-Feb 2021 (10); 临平区 Apr-Dec 2021 (1000); 钱塘区 Apr-Dec
 * (1); 下城区's pension stock Jan-Mar 2021 (700), 临平区's Apr-Dec (50). */
static void seed(void)
{
    update_t u[96];
    size_t n = 0;
    for (uint32_t y = 2020; y <= 2021; y++) {
        for (uint32_t m = 1; m <= 12; m++) {
            u[n] = fx_count(n + 1, JOBS, SC, y * 100 + m, 5);
            n++;
        }
    }
    for (uint32_t m = 1; m <= 12; m++) {
        uint32_t ym = 202100 + m;
        if (m <= 3) {
            u[n] = fx_count(n + 1, JOBS, XC, ym, 100);
            n++;
            u[n] = fx_count(n + 1, PENSION, XC, ym, 700);
            n++;
        }
        if (m <= 2) {
            u[n] = fx_count(n + 1, JOBS, JG, ym, 10);
            n++;
        }
        if (m >= 4) {
            u[n] = fx_count(n + 1, JOBS, LP, ym, 1000);
            n++;
            u[n] = fx_count(n + 1, JOBS, QT, ym, 1);
            n++;
            u[n] = fx_count(n + 1, PENSION, LP, ym, 50);
            n++;
        }
    }
    store_result_t r = fx_apply("t", u, n);
    cr_assert_eq(r.applied, n);
    cr_assert_eq(r.rejected, 0);
    store_result_fini(&r);
}

static const Hrss__Total *row(const Hrss__Breakdown *b, uint32_t region)
{
    for (size_t i = 0; i < b->n_children; i++) {
        if (b->children[i]->region == region) {
            return b->children[i];
        }
    }
    return NULL;
}

/* @p from, @p to: 0 for "not set"; @p months -1 for "not set". */
static void expect_map(const Hrss__Total *t, uint32_t from, uint32_t to,
                       int months)
{
    cr_assert_not_null(t);
    cr_expect_eq(t->has_valid_from, from != 0, "%u: has_valid_from",
                 t->region);
    cr_expect_eq(t->valid_from, from, "%u: valid_from %u", t->region,
                 t->valid_from);
    cr_expect_eq(t->has_valid_to, to != 0, "%u: has_valid_to", t->region);
    cr_expect_eq(t->valid_to, to, "%u: valid_to %u", t->region,
                 t->valid_to);
    cr_expect_eq(t->has_months_reported, months >= 0,
                 "%u: has_months_reported", t->region);
    cr_expect_eq(t->months_reported, months >= 0 ? (uint32_t)months : 0,
                 "%u: months_reported %u", t->region, t->months_reported);
}

Test(query_map, breakdown_2021_lists_old_and_new_districts_with_months)
{
    seed();
    Hrss__QueryResponse *r = breakdown(JOBS, HZ, "2021");
    const Hrss__Breakdown *b = r->breakdown;
    /* Every child of Hangzhou exists in some month of 2021. */
    cr_expect_eq(b->n_children, 15);
    expect_map(row(b, XC), 0, 202103, 3);
    cr_expect_eq(row(b, XC)->numerator, 300);
    expect_map(row(b, JG), 0, 202103, 2);
    cr_expect_eq(row(b, JG)->numerator, 20);
    expect_map(row(b, LP), 202104, 0, 9);
    cr_expect_eq(row(b, LP)->numerator, 9000);
    expect_map(row(b, QT), 202104, 0, 9);
    expect_map(row(b, SC), 0, 0, 12);
    expect_map(row(b, GS), 0, 0, 0);
    expect_map(row(b, XH), 0, 0, 0);
    /* The own row is one region's report; the total is not. */
    expect_map(b->own, 0, 0, 0);
    expect_map(b->total, 0, 0, -1);
    cr_expect_eq(b->total->numerator, 60 + 300 + 20 + 9000 + 9);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query_map, breakdown_of_a_stock_keeps_the_abolished_months)
{
    seed();
    Hrss__QueryResponse *r = breakdown(PENSION, HZ, "2021");
    const Hrss__Breakdown *b = r->breakdown;
    /* 下城区 is not in the year-end stock, but it reported three months. */
    expect_map(row(b, XC), 0, 202103, 3);
    cr_expect_eq(row(b, XC)->numerator, 0);
    cr_expect_eq(row(b, XC)->reporting, 0);
    expect_map(row(b, LP), 202104, 0, 9);
    cr_expect_eq(row(b, LP)->numerator, 50);
    cr_expect_eq(b->total->numerator, 50);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query_map, breakdown_under_one_map_has_no_months)
{
    seed();
    const char *periods[] = {"2020", "2021-05", "2021-Q1", "2022"};
    const size_t nchildren[] = {13, 13, 13, 13};
    for (size_t k = 0; k < 4; k++) {
        Hrss__QueryResponse *r = breakdown(JOBS, HZ, periods[k]);
        const Hrss__Breakdown *b = r->breakdown;
        cr_expect_eq(b->n_children, nchildren[k], "%s: %zu children",
                     periods[k], b->n_children);
        expect_map(b->own, 0, 0, -1);
        for (size_t i = 0; i < b->n_children; i++) {
            expect_map(b->children[i], 0, 0, -1);
        }
        hrss__query_response__free_unpacked(r, NULL);
    }
    /* The province's cities: no city's validity is narrower. */
    Hrss__QueryResponse *r = breakdown(JOBS, ZJ, "2021");
    for (size_t i = 0; i < r->breakdown->n_children; i++) {
        expect_map(r->breakdown->children[i], 0, 0, -1);
    }
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query_map, breakdown_of_the_abolished_district_itself)
{
    seed();
    Hrss__QueryResponse *r = breakdown(JOBS, XC, "2021");
    cr_expect_eq(r->breakdown->n_children, 0);
    expect_map(r->breakdown->own, 0, 202103, 3);
    expect_map(r->breakdown->total, 0, 202103, -1);
    cr_expect_eq(r->breakdown->total->numerator, 300);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query_map, series_of_a_redrawn_district_is_flagged)
{
    seed();
    Hrss__QueryResponse *r = series(SC, "2020-01", "2021-12", "month");
    const Hrss__TotalList *s = r->series;
    cr_expect_eq(s->n_totals, 24);
    cr_assert_eq(s->n_changes, 1);
    cr_expect_eq(s->changes[0]->month, 202104);
    cr_expect_str_eq(s->changes[0]->change, "redrawn");
    cr_expect_str_eq(s->changes[0]->note,
                     "the former 上城区 and the former 江干区 except 下沙 "
                     "and 白杨");
    cr_expect_eq(s->changes[0]->n_successors, 0);
    hrss__query_response__free_unpacked(r, NULL);
    /* By year: the same change, the 2021 point holding it. */
    r = series(SC, "2020", "2021", "year");
    cr_expect_eq(r->series->n_totals, 2);
    cr_expect_eq(r->series->n_changes, 1);
    hrss__query_response__free_unpacked(r, NULL);
    /* A range that starts with the new map compares nothing across it. */
    r = series(SC, "2021-04", "2021-12", "month");
    cr_expect_eq(r->series->n_totals, 9);
    cr_expect_eq(r->series->n_changes, 0);
    hrss__query_response__free_unpacked(r, NULL);
    r = series(SC, "2020-01", "2021-03", "month");
    cr_expect_eq(r->series->n_changes, 0);
    hrss__query_response__free_unpacked(r, NULL);
}

Test(query_map, series_of_the_city_and_the_province_are_not_flagged)
{
    seed();
    const uint32_t regions[] = {HZ, ZJ};
    for (size_t k = 0; k < 2; k++) {
        Hrss__QueryResponse *r =
            series(regions[k], "2020-01", "2021-12", "month");
        cr_expect_eq(r->series->n_totals, 24);
        cr_expect_eq(r->series->n_changes, 0, "%u flagged", regions[k]);
        cr_expect_eq(r->series->totals[15]->numerator, 5 + 1000 + 1,
                     "%u 2021-04", regions[k]);
        hrss__query_response__free_unpacked(r, NULL);
    }
}

Test(query_map, series_of_abolished_and_created_districts_hold_their_months)
{
    seed();
    Hrss__QueryResponse *r = series(XC, "2021-01", "2021-12", "month");
    const Hrss__TotalList *s = r->series;
    cr_assert_eq(s->n_totals, 3);
    cr_expect_str_eq(s->totals[0]->period, "2021-01");
    cr_expect_str_eq(s->totals[2]->period, "2021-03");
    cr_expect_eq(s->totals[2]->numerator, 100);
    cr_assert_eq(s->n_changes, 1);
    cr_expect_eq(s->changes[0]->month, 202104);
    cr_expect_str_eq(s->changes[0]->change, "abolished");
    cr_assert_eq(s->changes[0]->n_successors, 1);
    cr_expect_eq(s->changes[0]->successors[0], GS);
    hrss__query_response__free_unpacked(r, NULL);

    r = series(JG, "2021-01", "2021-12", "quarter");
    cr_assert_eq(r->series->n_totals, 1);
    cr_expect_str_eq(r->series->totals[0]->period, "2021-Q1");
    cr_assert_eq(r->series->n_changes, 1);
    cr_assert_eq(r->series->changes[0]->n_successors, 2);
    cr_expect_eq(r->series->changes[0]->successors[0], SC);
    cr_expect_eq(r->series->changes[0]->successors[1], QT);
    hrss__query_response__free_unpacked(r, NULL);

    r = series(LP, "2021-01", "2021-12", "month");
    cr_assert_eq(r->series->n_totals, 9);
    cr_expect_str_eq(r->series->totals[0]->period, "2021-04");
    cr_assert_eq(r->series->n_changes, 1);
    cr_expect_str_eq(r->series->changes[0]->change, "created");
    cr_expect_eq(r->series->changes[0]->month, 202104);
    hrss__query_response__free_unpacked(r, NULL);

    /* After its end an abolished district has no point at all. */
    r = series(XC, "2022-01", "2022-12", "month");
    cr_expect_eq(r->series->n_totals, 0);
    cr_expect_eq(r->series->n_changes, 0);
    hrss__query_response__free_unpacked(r, NULL);
}
