/* test_timeliness.c: a month's completeness with timeliness, from the
 * store through query_answer(): on time, late (days) or missing by the
 * collector's time of a cell's first report, around the deadline of
 * 2025-10 (2025-11-10 23:59:59 Asia/Shanghai = 1762790399), a revision
 * after the deadline changing nothing, and the counts of a city with a
 * county that reported nothing.
 *
 * INVARIANTS
 *   1. Every expectation is an exact number or code.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "proto/hrss.pb-c.h"
#include "store/query.h"
#include "common/period.h"
#include "store_fixture.h"

#define HZ 330100u    /* 杭州市, 13 counties */
#define HZ_SC 330102u /* 上城区 */
#define HZ_GS 330105u /* 拱墅区 */
#define JOBS "urban_new_jobs"
#define PENSION "pension_insured"
#define DEADLINE 1762790399 /* 2025-11-10 23:59:59 UTC+8 */

static void apply_at(int64_t at, const update_t *u, size_t n)
{
    char err[ERR_LEN];
    store_batch_t b = {"t", -1, at, FX_NOW_MONTH, u, n, NULL};
    store_result_t res;
    cr_assert_eq(store_apply(fx_store, &b, 1, &res, err), ERR_OK, "%s", err);
    store_result_fini(&res);
}

static Hrss__QueryResponse *ask_completeness(const char *period,
                                             uint32_t region)
{
    query_ctx_t who = {.role = QUERY_ROLE_READ};
    Hrss__CompletenessQ cq = HRSS__COMPLETENESS_Q__INIT;
    cq.period = (char *)(uintptr_t)period;
    cq.has_region = 1;
    cq.region = region;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_COMPLETENESS;
    q.completeness = &cq;
    size_t n = hrss__query_request__get_packed_size(&q);
    uint8_t *b = xmalloc(n);
    hrss__query_request__pack(&q, b);
    buf_t out;
    buf_init(&out);
    query_answer(fx_store, &who, b, n, &out);
    free(b);
    Hrss__QueryResponse *r =
        hrss__query_response__unpack(NULL, out.len, out.data);
    buf_fini(&out);
    cr_assert_not_null(r);
    cr_assert_eq(r->code, HRSS__QUERY_STATUS__QUERY_OK, "%s",
                 r->error ? r->error : "");
    return r;
}

static const Hrss__RegionCompleteness *row_of(const Hrss__Completeness *c,
                                              uint32_t region)
{
    for (size_t i = 0; i < c->n_regions; i++) {
        if (c->regions[i]->region == region) {
            return c->regions[i];
        }
    }
    cr_assert_fail("no row for %u", region);
    return NULL;
}

/* Every indicator of @p region for 2025-10, first reported at @p at. */
static void report_all(uint32_t region, int64_t at, uint64_t *seq)
{
    size_t nind = catalog_indicator_count(fx_cat);
    update_t *u = xcalloc(nind, sizeof *u);
    for (size_t k = 0; k < nind; k++) {
        const indicator_t *ind = catalog_indicator(fx_cat, k);
        u[k] = ind->kind == IND_RATIO
                   ? fx_ratio((*seq)++, ind->code, region, 202510, 1, 2)
                   : fx_count((*seq)++, ind->code, region, 202510, 10);
    }
    apply_at(at, u, nind);
    free(u);
}

Test(timeliness, on_time_late_and_missing_around_the_deadline,
     .init = fx_setup, .fini = fx_teardown)
{
    /* 上城区: jobs at the last second (on time), pension one second
     * later (2025-11-11 00:00:00 Shanghai, still the 10th in UTC: 1 day
     * late); 拱墅区: jobs a day and a second later (2 days late). */
    update_t a = fx_count(1, JOBS, HZ_SC, 202510, 5);
    apply_at(DEADLINE, &a, 1);
    update_t b = fx_count(2, PENSION, HZ_SC, 202510, 7);
    apply_at(DEADLINE + 1, &b, 1);
    update_t c = fx_count(3, JOBS, HZ_GS, 202510, 9);
    apply_at(DEADLINE + 86400 + 1, &c, 1);
    /* A revision of 上城区's jobs after the deadline: still on time. */
    update_t d = fx_count(4, JOBS, HZ_SC, 202510, 6);
    apply_at(DEADLINE + 5 * 86400, &d, 1);

    Hrss__QueryResponse *r = ask_completeness("2025-10", HZ);
    const Hrss__Completeness *cp = r->completeness;
    size_t nind = catalog_indicator_count(fx_cat);
    cr_assert(cp->has_timeliness && cp->timeliness);
    cr_expect_str_eq(cp->time_zone, "Asia/Shanghai");
    cr_expect_eq(cp->tz_offset, 28800);
    cr_assert_eq(cp->n_deadlines, nind);
    cr_expect_str_eq(cp->deadlines[0]->indicator, JOBS);
    cr_expect_eq(cp->deadlines[0]->deadline, DEADLINE);

    const Hrss__RegionCompleteness *sc = row_of(cp, HZ_SC);
    cr_expect_eq(sc->expected, nind);
    cr_expect_eq(sc->n_reported, 2);
    cr_expect_eq(sc->on_time, 1);
    cr_expect_eq(sc->n_missing, nind - 2);
    cr_expect_eq(sc->n_not_due, 0);
    cr_assert_eq(sc->n_late, 1);
    cr_expect_str_eq(sc->late[0]->indicator, PENSION);
    cr_expect_eq(sc->late[0]->days_late, 1);
    cr_expect_eq(sc->late[0]->received_at, DEADLINE + 1);

    const Hrss__RegionCompleteness *gs = row_of(cp, HZ_GS);
    cr_expect_eq(gs->on_time, 0);
    cr_assert_eq(gs->n_late, 1);
    cr_expect_str_eq(gs->late[0]->indicator, JOBS);
    cr_expect_eq(gs->late[0]->days_late, 2);

    const Hrss__RegionCompleteness *hz = row_of(cp, HZ);
    cr_expect_eq(hz->n_reported, 0);
    cr_expect_eq(hz->n_missing, nind);
    cr_expect_eq(hz->on_time, 0);
    cr_expect_eq(hz->n_late, 0);
    hrss__query_response__free_unpacked(r, NULL);
}

/* A city of 14 regions where one county reported nothing and the city
 * itself reported everything one day late: 13 x 19 = 247 of 266 cells
 * reported, 12 x 19 = 228 on time. */
Test(timeliness, a_city_with_a_missing_county, .init = fx_setup,
     .fini = fx_teardown)
{
    size_t nind = catalog_indicator_count(fx_cat);
    int hz = catalog_region_find(fx_cat, HZ);
    const region_t *city = catalog_region(fx_cat, (size_t)hz);
    /* 15 children: 下城区 and 江干区 ended in 2021-03, so 2025-10
     * expects the 13 of the new map. */
    cr_assert_eq(city->n_children, 15);
    uint64_t seq = 1;
    /* In the order received: the store never records a time earlier
     * than its newest (write.c INVARIANT 7). */
    for (size_t i = 0; i < city->n_children; i++) {
        const region_t *county =
            catalog_region(fx_cat, (size_t)city->children[i]);
        if (county->code != HZ_GS &&
            catalog_region_valid(fx_cat, city->children[i],
                                 month_make(2025, 10))) {
            report_all(county->code, DEADLINE - 3600, &seq);
        }
    }
    report_all(HZ, DEADLINE + 3600, &seq);
    Hrss__QueryResponse *r = ask_completeness("2025-10", HZ);
    const Hrss__Completeness *cp = r->completeness;
    cr_assert_eq(cp->n_regions, 14);
    size_t expected = 0;
    size_t reported = 0;
    size_t on_time = 0;
    size_t late = 0;
    for (size_t i = 0; i < cp->n_regions; i++) {
        expected += cp->regions[i]->expected;
        reported += cp->regions[i]->n_reported;
        on_time += cp->regions[i]->on_time;
        late += cp->regions[i]->n_late;
    }
    cr_expect_eq(expected, 266);
    cr_expect_eq(reported, 247);
    cr_expect_eq(on_time, 228);
    cr_expect_eq(late, 19);
    cr_expect_eq(row_of(cp, HZ)->late[0]->days_late, 1);
    cr_expect_eq(row_of(cp, HZ_GS)->n_missing, nind);
    hrss__query_response__free_unpacked(r, NULL);
}

/* A quarter has no timeliness: the answer is as before. */
Test(timeliness, a_longer_period_has_none, .init = fx_setup,
     .fini = fx_teardown)
{
    update_t a = fx_count(1, JOBS, HZ_SC, 202510, 5);
    apply_at(DEADLINE + 86400 * 3, &a, 1);
    Hrss__QueryResponse *r = ask_completeness("2025-Q4", HZ_SC);
    const Hrss__Completeness *cp = r->completeness;
    cr_expect_not(cp->has_timeliness);
    cr_expect_eq(cp->n_deadlines, 0);
    cr_assert_eq(cp->n_regions, 1);
    cr_expect_eq(cp->regions[0]->n_reported, 1);
    cr_expect_not(cp->regions[0]->has_expected);
    cr_expect_eq(cp->regions[0]->n_late, 0);
    hrss__query_response__free_unpacked(r, NULL);
}
