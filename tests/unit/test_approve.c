/* test_approve.c: approvals of a region's month (store/approve.c): the
 * order of levels, scopes, the lock they make on updates, and their
 * audit trail. Hangzhou (330100) has 13 counties; 上城区 is 330102. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/period.h"
#include "store_fixture.h"

TestSuite(approve, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

static const int32_t OCT = 2025 * 12 + 9; /* 2025-10 */

/* The regions at or below @p code, as an approver's scope. Caller frees. */
static unsigned char *scope_of(uint32_t code)
{
    size_t n = catalog_region_count(fx_cat);
    unsigned char *a = calloc(n, 1);
    int top = catalog_region_find(fx_cat, code);
    cr_assert_geq(top, 0);
    for (size_t i = 0; i < n; i++) {
        a[i] = (unsigned char)catalog_region_within(fx_cat, (int)i, top);
    }
    return a;
}

/* Take @p action on @p region's 2025-10 as @p by with @p scope; the
 * store's code, its message in @p err. */
static int act(enum store_approval_action action, uint32_t region,
               const char *by, const unsigned char *scope,
               char err[ERR_LEN])
{
    store_approval_req_t rq = {action, region, OCT, by, 1762000000, scope};
    store_approval_t out;
    err[0] = '\0';
    return store_approval_act(fx_store, &rq, &out, err);
}

static enum store_approval_state state_of(uint32_t region)
{
    store_approval_t a;
    char err[ERR_LEN];
    cr_assert_eq(store_approval_get(fx_store, region, OCT, &a, err), ERR_OK,
                 "%s", err);
    return a.state;
}

/* Approve every county of Hangzhou but @p except (0: none). */
static void approve_counties(const unsigned char *scope, uint32_t except)
{
    const region_t *hz =
        catalog_region(fx_cat, (size_t)catalog_region_find(fx_cat, 330100));
    char err[ERR_LEN];
    for (size_t i = 0; i < hz->n_children; i++) {
        const region_t *c = catalog_region(fx_cat, (size_t)hz->children[i]);
        if (c->code != except) {
            cr_assert_eq(act(STORE_APPROVE, c->code, "hz", scope, err),
                         ERR_OK, "%u: %s", c->code, err);
        }
    }
}

Test(approve, a_locked_month_refuses_updates_until_unapproved)
{
    unsigned char *hz = scope_of(330100);
    update_t u1 = fx_count(1, "urban_new_jobs", 330102, 202510, 100);
    store_result_t r = fx_apply("a", &u1, 1);
    cr_assert_eq(r.applied, 1);
    store_result_fini(&r);
    char err[ERR_LEN];
    cr_assert_eq(act(STORE_APPROVE, 330102, "hz-admin", hz, err), ERR_OK,
                 "%s", err);
    cr_expect_eq(state_of(330102), STORE_APPROVED);
    /* The approved month: refused, saying why; others are not locked. */
    update_t u[] = {
        fx_count(2, "urban_new_jobs", 330102, 202510, 130),
        fx_ratio(3, "dispute_mediation_success_rate", 330102, 202510, 8, 10),
        fx_count(4, "urban_new_jobs", 330102, 202511, 5),
        fx_count(5, "urban_new_jobs", 330105, 202510, 7),
    };
    r = fx_apply("a", u, 4);
    cr_expect_eq(r.applied, 2);
    cr_assert_eq(r.rejected, 2);
    cr_expect_eq(r.rejections[0].seq, 2);
    cr_expect_eq(r.rejections[0].reason, UPDATE_PERIOD_LOCKED);
    cr_expect_str_eq(r.rejections[0].message,
                     "period: 2025-10 of region 330102 is approved, so "
                     "locked: changes need it unapproved first");
    cr_expect_eq(r.rejections[1].seq, 3);
    cr_expect_eq(r.rejections[1].reason, UPDATE_PERIOD_LOCKED);
    store_result_fini(&r);
    store_total_t t = fx_total("urban_new_jobs", 330102, "2025-10");
    cr_expect_eq(t.num, 100, "the locked figure kept its value");
    /* Unapproved: the same update is taken. */
    cr_assert_eq(act(STORE_UNAPPROVE, 330102, "hz-admin", hz, err), ERR_OK,
                 "%s", err);
    cr_expect_eq(state_of(330102), STORE_OPEN);
    update_t again = fx_count(6, "urban_new_jobs", 330102, 202510, 130);
    r = fx_apply("a", &again, 1);
    cr_expect_eq(r.applied, 1);
    cr_expect_eq(r.rejected, 0);
    store_result_fini(&r);
    t = fx_total("urban_new_jobs", 330102, "2025-10");
    cr_expect_eq(t.num, 130);
    free(hz);
}

Test(approve, a_city_waits_for_every_county)
{
    unsigned char *hz = scope_of(330100);
    char err[ERR_LEN];
    approve_counties(hz, 330127); /* 淳安县 left open */
    cr_expect_eq(act(STORE_APPROVE, 330100, "hz", hz, err), ERR_INVAL);
    cr_expect_str_eq(err, "approve 330100 2025-10: 淳安县 330127 (2025-10) "
                          "is open: every region below must be approved "
                          "first");
    cr_expect_eq(state_of(330100), STORE_OPEN);
    cr_assert_eq(act(STORE_APPROVE, 330127, "hz", hz, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(act(STORE_APPROVE, 330100, "hz", hz, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(state_of(330100), STORE_APPROVED);
    /* Twice is refused, not repeated. */
    cr_expect_eq(act(STORE_APPROVE, 330100, "hz", hz, err), ERR_INVAL);
    cr_expect_str_eq(err, "approve 330100 2025-10: it is approved, not open");
    /* The province's month waits for every city's acceptance. */
    cr_expect_eq(act(STORE_APPROVE, 330000, "zj", NULL, err), ERR_INVAL);
    cr_expect_str_eq(err, "approve 330000 2025-10: 杭州市 330100 (2025-10) "
                          "is approved: every region below must be "
                          "accepted first");
    free(hz);
}

Test(approve, the_province_accepts_a_city)
{
    unsigned char *hz = scope_of(330100);
    char err[ERR_LEN];
    approve_counties(hz, 0);
    cr_assert_eq(act(STORE_APPROVE, 330100, "hz", hz, err), ERR_OK, "%s",
                 err);
    /* Only the province accepts, and only cities. */
    cr_expect_eq(act(STORE_ACCEPT, 330100, "hz", hz, err), ERR_DENIED);
    cr_expect_str_eq(err, "accept 330100 2025-10: hz may not: its scope "
                          "does not cover the province");
    cr_expect_eq(act(STORE_ACCEPT, 330102, "zj", NULL, err), ERR_INVAL);
    cr_expect_str_eq(err, "accept 330102 2025-10: only a city's approval is "
                          "accepted (by the province)");
    cr_expect_eq(act(STORE_ACCEPT, 330100, "zj", NULL, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(state_of(330100), STORE_ACCEPTED);
    /* Accepted is still locked. */
    update_t u = fx_count(1, "pension_insured", 330100, 202510, 9);
    store_result_t r = fx_apply("a", &u, 1);
    cr_expect_eq(r.rejected, 1);
    cr_expect_eq(r.rejections[0].reason, UPDATE_PERIOD_LOCKED);
    store_result_fini(&r);
    free(hz);
}

Test(approve, unapproving_goes_top_down)
{
    unsigned char *hz = scope_of(330100);
    char err[ERR_LEN];
    approve_counties(hz, 0);
    cr_assert_eq(act(STORE_APPROVE, 330100, "hz", hz, err), ERR_OK, "%s",
                 err);
    cr_assert_eq(act(STORE_ACCEPT, 330100, "zj", NULL, err), ERR_OK, "%s",
                 err);
    /* A county under an approved city: unapprove the city first; the
     * city while accepted: unaccept first. */
    cr_expect_eq(act(STORE_UNAPPROVE, 330102, "hz", hz, err), ERR_INVAL);
    cr_expect_str_eq(err, "unapprove 330102 2025-10: 杭州市 330100 is "
                          "accepted: unapprove it first");
    cr_expect_eq(act(STORE_UNAPPROVE, 330100, "hz", hz, err), ERR_INVAL);
    cr_expect_str_eq(err, "unapprove 330100 2025-10: it is accepted, not "
                          "approved");
    cr_expect_eq(act(STORE_UNACCEPT, 330100, "hz", hz, err), ERR_DENIED);
    cr_expect_eq(act(STORE_UNACCEPT, 330100, "zj", NULL, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(act(STORE_UNAPPROVE, 330100, "hz", hz, err), ERR_OK, "%s",
                 err);
    /* The province may unapprove what the city approved. */
    cr_expect_eq(act(STORE_UNAPPROVE, 330102, "zj", NULL, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(state_of(330102), STORE_OPEN);
    cr_expect_eq(state_of(330105), STORE_APPROVED);
    free(hz);
}

Test(approve, a_scope_covers_only_its_regions)
{
    unsigned char *nb = scope_of(330200);
    char err[ERR_LEN];
    cr_expect_eq(act(STORE_APPROVE, 330102, "nb", nb, err), ERR_DENIED);
    cr_expect_str_eq(err, "approve 330102 2025-10: nb may not: its scope "
                          "does not cover 330102");
    cr_expect_eq(state_of(330102), STORE_OPEN);
    cr_expect_eq(act(STORE_APPROVE, 999999, "nb", nb, err), ERR_NOTFOUND);
    cr_expect_eq(act(STORE_APPROVE, 330203, "", nb, err), ERR_INVAL);
    free(nb);
}

typedef struct events {
    store_approval_event_t v[16];
    size_t n;
} events_t;

static int take_event(const store_approval_event_t *e, void *arg)
{
    events_t *l = arg;
    if (l->n < 16) {
        l->v[l->n++] = *e;
    }
    return 0;
}

typedef struct states {
    uint32_t region[32];
    enum store_approval_state state[32];
    size_t n;
} states_t;

static int take_state(const store_approval_t *a, void *arg)
{
    states_t *l = arg;
    if (l->n < 32) {
        l->region[l->n] = a->region;
        l->state[l->n++] = a->state;
    }
    return 0;
}

Test(approve, every_action_is_logged_and_listed)
{
    unsigned char *hz = scope_of(330100);
    char err[ERR_LEN];
    cr_assert_eq(act(STORE_APPROVE, 330102, "li", hz, err), ERR_OK);
    cr_assert_eq(act(STORE_APPROVE, 330102, "li", hz, err), ERR_INVAL);
    cr_assert_eq(act(STORE_UNAPPROVE, 330102, "wang", hz, err), ERR_OK);
    cr_assert_eq(act(STORE_APPROVE, 330105, "li", hz, err), ERR_OK);
    events_t ev = {.n = 0};
    cr_assert_eq(store_approval_log(fx_store, OCT, take_event, &ev, err),
                 ERR_OK, "%s", err);
    /* Refused actions leave no trace. */
    cr_assert_eq(ev.n, 3);
    cr_expect_eq(ev.v[0].id, 1);
    cr_expect_eq(ev.v[0].region, 330102);
    cr_expect_eq(ev.v[0].action, STORE_APPROVE);
    cr_expect_str_eq(ev.v[0].by, "li");
    cr_expect_eq(ev.v[0].at, 1762000000);
    cr_expect_eq(ev.v[1].action, STORE_UNAPPROVE);
    cr_expect_str_eq(ev.v[1].by, "wang");
    cr_expect_eq(ev.v[2].region, 330105);
    /* Another month has none. */
    events_t none = {.n = 0};
    cr_assert_eq(store_approval_log(fx_store, OCT + 1, take_event, &none,
                                    err), ERR_OK);
    cr_expect_eq(none.n, 0);
    /* The list: Hangzhou, then its 13 counties in catalog order. */
    states_t st = {.n = 0};
    cr_assert_eq(store_approvals(fx_store, OCT, 330100, take_state, &st, err),
                 ERR_OK, "%s", err);
    cr_assert_eq(st.n, 14);
    cr_expect_eq(st.region[0], 330100);
    cr_expect_eq(st.state[0], STORE_OPEN);
    cr_expect_eq(st.region[1], 330102);
    cr_expect_eq(st.state[1], STORE_OPEN);
    cr_expect_eq(st.region[2], 330105);
    cr_expect_eq(st.state[2], STORE_APPROVED);
    free(hz);
}
