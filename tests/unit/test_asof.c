/* test_asof.c: answers as of a moment (store/asof.c) against a replay of
 * the audit trail done here: a store gets revisions at several received_at
 * values (and approvals taken and withdrawn), then at several moments
 * every as-of total (counts and ratios, flows and stocks; a month, a
 * quarter, a year, a ragged range, several years; the province, a city,
 * a county), breakdown, series, completeness row and export must equal
 * what replaying the audit log (store_audit) and the approvals log up
 * to that moment gives, exactly. Then the diff between two moments, and
 * the write path's clamp of a clock stepped back. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/period.h"
#include "common/buf.h"
#include "proto/hrss.pb-c.h"
#include "store/asof.h"
#include "store/query.h"
#include "tests/unit/store_fixture.h"

#define T0 1764000000LL
#define ROUNDS 12
#define PER_ROUND 40

static const char *const INDS[] = {
    "urban_new_jobs",                  /* count, sum */
    "pension_insured",                 /* count, last */
    "urban_surveyed_unemployment_rate", /* ratio, sum */
    "e_social_security_card_coverage", /* ratio, last */
};
#define NIND 4

/* The regions written to: the province, two cities and three counties of
 * each (catalog order). */
static uint32_t regs[16];
static size_t nregs;

static void pick_regions(void)
{
    int root = catalog_region_root(fx_cat);
    const region_t *r = catalog_region(fx_cat, (size_t)root);
    nregs = 0;
    regs[nregs++] = r->code;
    for (size_t c = 0; c < 2 && c < r->n_children; c++) {
        const region_t *city = catalog_region(fx_cat, (size_t)r->children[c]);
        regs[nregs++] = city->code;
        for (size_t k = 0; k < 3 && k < city->n_children; k++) {
            regs[nregs++] =
                catalog_region(fx_cat, (size_t)city->children[k])->code;
        }
    }
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int64_t when(int round) { return T0 + 100 * round; }

static int32_t month_of(uint32_t yyyymm)
{
    return (int32_t)(yyyymm / 100) * 12 + (int32_t)(yyyymm % 100) - 1;
}

/* Rounds of updates, each one batch at its own time; approvals between
 * some of them. */
static void load(void)
{
    pick_regions();
    uint64_t seq = 1;
    char err[ERR_LEN];
    for (int round = 0; round < ROUNDS; round++) {
        update_t u[PER_ROUND];
        for (int i = 0; i < PER_ROUND; i++) {
            int ind = (int)(next_rand() % NIND);
            uint32_t region = regs[next_rand() % nregs];
            /* 2023-11 .. 2025-02: ranges cross years and quarters. */
            int32_t m = month_of(202311) + (int32_t)(next_rand() % 16);
            uint32_t yyyymm = (uint32_t)((m / 12) * 100 + m % 12 + 1);
            if (ind >= 2) {
                int64_t den = 10 + (int64_t)(next_rand() % 90);
                u[i] = fx_ratio(seq++, INDS[ind], region, yyyymm,
                                (int64_t)(next_rand() % (uint64_t)den), den);
            } else {
                u[i] = fx_count(seq++, INDS[ind], region, yyyymm,
                                (int64_t)(next_rand() % 1000));
            }
        }
        store_batch_t b = {"r", -1, when(round), FX_NOW_MONTH, u, PER_ROUND,
                           NULL};
        store_result_t res;
        cr_assert_eq(store_apply(fx_store, &b, 1, &res, err), ERR_OK, "%s",
                     err);
        store_result_fini(&res);
        if (round == 3 || round == 7) {
            /* A county's 2024-03 and 2024-04 approved, then (round 7) its
             * 2024-03 withdrawn. */
            for (int32_t m = month_of(202403); m <= month_of(202404); m++) {
                if (round == 7 && m != month_of(202403)) {
                    continue;
                }
                store_approval_req_t rq = {
                    round == 3 ? STORE_APPROVE : STORE_UNAPPROVE, regs[2],
                    m, "hz", when(round) + 50, NULL};
                cr_assert_eq(store_approval_act(fx_store, &rq, NULL, err),
                             ERR_OK, "%s", err);
            }
        }
    }
}

/* ----------------------------------------------------------- the replay */

typedef struct mcell {
    int ind;
    uint32_t region;
    int32_t month;
    value_t v;
    int64_t first_at;
    int64_t at;
} mcell_t;

typedef struct model {
    mcell_t cells[ROUNDS * PER_ROUND];
    size_t n;
    int64_t upto;
} model_t;

static int ind_of(const char *code)
{
    for (int i = 0; i < NIND; i++) {
        if (strcmp(INDS[i], code) == 0) {
            return i;
        }
    }
    return -1;
}

static const mcell_t *mfind(const model_t *m, int ind, uint32_t region,
                            int32_t month)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->cells[i].ind == ind && m->cells[i].region == region &&
            m->cells[i].month == month) {
            return &m->cells[i];
        }
    }
    return NULL;
}

static int replay_one(const store_revision_t *rev, void *arg)
{
    model_t *m = arg;
    if (rev->received_at > m->upto) {
        return 0; /* ids and times rise together, but look at them all */
    }
    int ind = ind_of(rev->indicator);
    cr_assert_geq(ind, 0);
    mcell_t *c = NULL;
    for (size_t i = 0; i < m->n && c == NULL; i++) {
        if (m->cells[i].ind == ind && m->cells[i].region == rev->region &&
            m->cells[i].month == rev->month) {
            c = &m->cells[i];
        }
    }
    if (c == NULL) {
        c = &m->cells[m->n++];
        c->ind = ind;
        c->region = rev->region;
        c->month = rev->month;
        c->first_at = rev->received_at;
        cr_assert(!rev->has_old);
    } else {
        cr_assert(rev->has_old);
        cr_assert_eq(rev->old_value.num, c->v.num);
    }
    c->v = rev->new_value;
    c->at = rev->received_at;
    return 0;
}

static void replay(model_t *m, int64_t t)
{
    char err[ERR_LEN];
    memset(m, 0, sizeof *m);
    m->upto = t;
    cr_assert_eq(store_audit(fx_store, 1, replay_one, m, err), ERR_OK, "%s",
                 err);
}

typedef struct appr_ctx {
    int64_t upto;
    uint32_t region;
    int approved;
} appr_ctx_t;

static int appr_one(const store_approval_event_t *e, void *arg)
{
    appr_ctx_t *c = arg;
    if (e->at <= c->upto && e->region == c->region) {
        if (e->action == STORE_APPROVE || e->action == STORE_ACCEPT ||
            e->action == STORE_UNACCEPT) {
            c->approved = 1;
        } else if (e->action == STORE_UNAPPROVE) {
            c->approved = 0;
        }
    }
    return 0;
}

/* Whether region's month was approved at t, from the approvals log. */
static int approved_at(uint32_t region, int32_t month, int64_t t)
{
    char err[ERR_LEN];
    appr_ctx_t c = {t, region, 0};
    cr_assert_eq(store_approval_log(fx_store, month, appr_one, &c, err),
                 ERR_OK);
    return c.approved;
}

/* Own contribution of @p region from the model. */
static void model_own(const model_t *m, int ind, uint32_t region,
                      const period_t *p, int64_t *num, int64_t *den,
                      int *present)
{
    const indicator_t *d = catalog_indicator(
        fx_cat, (size_t)catalog_indicator_find(fx_cat, INDS[ind]));
    int32_t last = INT32_MIN;
    *num = *den = 0;
    *present = 0;
    for (size_t i = 0; i < m->n; i++) {
        const mcell_t *c = &m->cells[i];
        if (c->ind != ind || c->region != region || c->month < p->first ||
            c->month > p->last) {
            continue;
        }
        *present = 1;
        if (d->over_time == OVER_LAST) {
            if (c->month > last) {
                last = c->month;
                *num = c->v.num;
                *den = c->v.den;
            }
        } else {
            *num += c->v.num;
            *den += c->v.den;
        }
    }
}

static store_total_t model_total(const model_t *m, int ind, uint32_t region,
                                 const period_t *p, int subtree)
{
    store_total_t t;
    memset(&t, 0, sizeof t);
    int ri = catalog_region_find(fx_cat, region);
    t.is_ratio = ind >= 2;
    for (size_t i = 0; i < catalog_region_count(fx_cat); i++) {
        if (subtree ? !catalog_region_within(fx_cat, (int)i, ri)
                    : (int)i != ri) {
            continue;
        }
        /* Only the regions of the period's map are expected (the
         * shipped catalog has Hangzhou's 2021 change; every month here
         * is after it, so the abolished districts never count). */
        if (!catalog_region_valid_in(fx_cat, (int)i, p->first, p->last)) {
            continue;
        }
        uint32_t code = catalog_region(fx_cat, i)->code;
        int64_t num;
        int64_t den;
        int present;
        model_own(m, ind, code, p, &num, &den, &present);
        t.num += num;
        t.den += den;
        t.reporting += (uint32_t)present;
        t.expected++;
        int all = 1;
        for (int32_t mo = p->first; all && mo <= p->last; mo++) {
            all = approved_at(code, mo, m->upto);
        }
        t.approved += (uint32_t)all;
    }
    return t;
}

static void assert_total(const store_total_t *got, const store_total_t *want,
                         const char *what)
{
    cr_assert_eq(got->num, want->num, "%s: num %lld, replay %lld", what,
                 (long long)got->num, (long long)want->num);
    cr_assert_eq(got->den, want->den, "%s: den %lld, replay %lld", what,
                 (long long)got->den, (long long)want->den);
    cr_assert_eq(got->reporting, want->reporting, "%s: reporting %u/%u",
                 what, got->reporting, want->reporting);
    cr_assert_eq(got->expected, want->expected, "%s: expected %u, replay %u",
                 what, got->expected, want->expected);
    cr_assert_eq(got->approved, want->approved, "%s: approved %u/%u", what,
                 got->approved, want->approved);
    cr_assert_eq(got->is_ratio, want->is_ratio, "%s: kind", what);
}

static const char *const PERIODS[] = {
    "2024-03", "2024-Q1", "2024", "2024-02..2024-07", "2023..2025",
    "2023-12", "2025-Q1",
};

/* Moments: before everything, at a batch's time exactly, between
 * batches (after an approval), and after the last. */
static int64_t moments[] = {T0 - 1, T0, T0 + 150, T0 + 350, T0 + 399,
                            T0 + 720, T0 + 777, T0 + 100 * ROUNDS};

Test(asof, totals_equal_the_replay, .init = fx_setup, .fini = fx_teardown,
     .timeout = 120)
{
    load();
    char err[ERR_LEN];
    for (size_t k = 0; k < sizeof moments / sizeof moments[0]; k++) {
        model_t *m = malloc(sizeof *m);
        replay(m, moments[k]);
        cr_assert_eq(store_asof_begin(fx_store, moments[k], err), ERR_OK,
                     "%s", err);
        for (int ind = 0; ind < NIND; ind++) {
            for (size_t pi = 0; pi < sizeof PERIODS / sizeof *PERIODS;
                 pi++) {
                period_t p;
                cr_assert_eq(period_parse(PERIODS[pi], &p, err), ERR_OK);
                for (size_t r = 0; r < nregs; r++) {
                    store_total_t got;
                    cr_assert_eq(store_total(fx_store, INDS[ind], regs[r],
                                             &p, &got, err),
                                 ERR_OK, "%s", err);
                    store_total_t want =
                        model_total(m, ind, regs[r], &p, 1);
                    char what[160];
                    snprintf(what, sizeof what, "T%zu %s %u %s", k,
                             INDS[ind], regs[r], PERIODS[pi]);
                    assert_total(&got, &want, what);
                }
            }
        }
        store_asof_end(fx_store);
        free(m);
    }
}

Test(asof, breakdown_and_series_equal_the_replay, .init = fx_setup,
     .fini = fx_teardown, .timeout = 120)
{
    load();
    char err[ERR_LEN];
    for (size_t k = 0; k < sizeof moments / sizeof moments[0]; k++) {
        model_t *m = malloc(sizeof *m);
        replay(m, moments[k]);
        cr_assert_eq(store_asof_begin(fx_store, moments[k], err), ERR_OK);
        for (int ind = 0; ind < NIND; ind++) {
            period_t p;
            cr_assert_eq(period_parse("2024", &p, err), ERR_OK);
            for (size_t r = 0; r < 2; r++) { /* the province, a city */
                store_total_t own;
                store_total_t *kids = NULL;
                size_t n = 0;
                cr_assert_eq(store_breakdown(fx_store, INDS[ind], regs[r],
                                             &p, &own, &kids, &n, err),
                             ERR_OK, "%s", err);
                store_total_t want = model_total(m, ind, regs[r], &p, 0);
                assert_total(&own, &want, "breakdown own");
                const region_t *rr = catalog_region(
                    fx_cat, (size_t)catalog_region_find(fx_cat, regs[r]));
                /* Every child, in catalog order; one of another map
                 * (an abolished district) is all zero, as the replay. */
                cr_assert_eq(n, rr->n_children);
                for (size_t c = 0; c < n; c++) {
                    uint32_t code =
                        catalog_region(fx_cat, (size_t)rr->children[c])->code;
                    want = model_total(m, ind, code, &p, 1);
                    assert_total(&kids[c], &want, "breakdown child");
                }
                free(kids);
            }
            period_t range;
            cr_assert_eq(period_parse("2023-11..2025-02", &range, err),
                         ERR_OK);
            store_point_t *pts = NULL;
            size_t n = 0;
            cr_assert_eq(store_series(fx_store, INDS[ind], regs[1], &range,
                                      PERIOD_MONTH, &pts, &n, err),
                         ERR_OK, "%s", err);
            cr_assert_eq(n, 16);
            for (size_t i = 0; i < n; i++) {
                store_total_t want =
                    model_total(m, ind, regs[1], &pts[i].period, 1);
                assert_total(&pts[i].total, &want, "series");
            }
            free(pts);
        }
        store_asof_end(fx_store);
        free(m);
    }
}

typedef struct comp_ctx {
    const model_t *m;
    int32_t month;
    size_t rows;
} comp_ctx_t;

static int comp_row(uint32_t region, const unsigned char *reported,
                    const int64_t *first_at, void *arg)
{
    comp_ctx_t *c = arg;
    for (int ind = 0; ind < NIND; ind++) {
        size_t k =
            (size_t)catalog_indicator_find(fx_cat, INDS[ind]);
        const mcell_t *mc = mfind(c->m, ind, region, c->month);
        cr_assert_eq(reported[k], mc != NULL, "%u %s", region, INDS[ind]);
        cr_assert_eq(first_at[k], mc != NULL ? mc->first_at : 0,
                     "%u %s: first report %lld", region, INDS[ind],
                     (long long)first_at[k]);
    }
    c->rows++;
    return 0;
}

typedef struct exp_ctx {
    const model_t *m;
    size_t n;
} exp_ctx_t;

static int exp_one(const store_fact_t *f, void *arg)
{
    exp_ctx_t *c = arg;
    int ind = ind_of(f->indicator);
    const mcell_t *mc = mfind(c->m, ind, f->region, f->month);
    cr_assert_not_null(mc, "%s %u %d: not in the replay", f->indicator,
                       f->region, f->month);
    cr_assert_eq(f->value.num, mc->v.num);
    cr_assert_eq(f->value.den, mc->v.den);
    cr_assert_eq(f->received_at, mc->at);
    c->n++;
    return 0;
}

Test(asof, completeness_and_export_equal_the_replay, .init = fx_setup,
     .fini = fx_teardown, .timeout = 120)
{
    load();
    char err[ERR_LEN];
    for (size_t k = 0; k < sizeof moments / sizeof moments[0]; k++) {
        model_t *m = malloc(sizeof *m);
        replay(m, moments[k]);
        cr_assert_eq(store_asof_begin(fx_store, moments[k], err), ERR_OK);
        for (int32_t mo = month_of(202311); mo <= month_of(202502); mo++) {
            period_t p = period_of_month(PERIOD_MONTH, mo);
            comp_ctx_t c = {m, mo, 0};
            cr_assert_eq(store_reported(fx_store, regs, nregs, &p, comp_row,
                                        &c, err),
                         ERR_OK, "%s", err);
            cr_assert_eq(c.rows, nregs);
        }
        exp_ctx_t e = {m, 0};
        cr_assert_eq(store_facts(fx_store, INT32_MIN, INT32_MAX, exp_one, &e,
                                 err),
                     ERR_OK);
        cr_assert_eq(e.n, m->n, "T%zu: %zu facts, replay %zu", k, e.n, m->n);
        store_asof_end(fx_store);
        free(m);
    }
}

Test(asof, diff_lists_changed_cells_and_totals, .init = fx_setup,
     .fini = fx_teardown, .timeout = 120)
{
    load();
    char err[ERR_LEN];
    const int64_t pairs[][2] = {{T0 + 150, T0 + 720}, {T0 - 1, T0 + 399},
                                {T0 + 720, T0 + 150}, {T0 + 350, T0 + 350}};
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        model_t *a = malloc(sizeof *a);
        model_t *b = malloc(sizeof *b);
        replay(a, pairs[k][0]);
        replay(b, pairs[k][1]);
        store_diff_cell_t *cells = NULL;
        store_diff_total_t *tot = NULL;
        size_t n = 0;
        size_t nt = 0;
        int trunc = 1;
        cr_assert_eq(store_diff(fx_store, pairs[k][0], pairs[k][1], regs[1],
                                NULL, &cells, &n, &tot, &nt, &trunc, err),
                     ERR_OK, "%s", err);
        cr_assert_eq(trunc, 0);
        /* Every cell of the city's subtree that differs, and no other. */
        size_t want = 0;
        int rcity = catalog_region_find(fx_cat, regs[1]);
        for (size_t i = 0; i < b->n; i++) {
            const mcell_t *y = &b->cells[i];
            const mcell_t *x = mfind(a, y->ind, y->region, y->month);
            if (!catalog_region_within(
                    fx_cat, catalog_region_find(fx_cat, y->region), rcity)) {
                continue;
            }
            if (x == NULL || x->v.num != y->v.num || x->v.den != y->v.den) {
                want++;
            }
        }
        for (size_t i = 0; i < a->n; i++) { /* there at T1 only */
            const mcell_t *x = &a->cells[i];
            if (mfind(b, x->ind, x->region, x->month) == NULL &&
                catalog_region_within(
                    fx_cat, catalog_region_find(fx_cat, x->region), rcity)) {
                want++;
            }
        }
        cr_assert_eq(n, want, "pair %zu: %zu cells, replay %zu", k, n, want);
        for (size_t i = 0; i < n; i++) {
            int ind = ind_of(cells[i].indicator);
            const mcell_t *x = mfind(a, ind, cells[i].region, cells[i].month);
            const mcell_t *y = mfind(b, ind, cells[i].region, cells[i].month);
            cr_assert_eq(cells[i].has_from, x != NULL);
            cr_assert_eq(cells[i].has_to, y != NULL);
            if (x != NULL) {
                cr_assert_eq(cells[i].from.num, x->v.num);
            }
            if (y != NULL) {
                cr_assert_eq(cells[i].to.num, y->v.num);
            }
        }
        cr_assert_eq(nt == 0, n == 0);
        for (size_t i = 0; i < nt; i++) {
            int ind = ind_of(tot[i].indicator);
            period_t p = period_of_month(PERIOD_MONTH, tot[i].month);
            store_total_t w1 = model_total(a, ind, regs[1], &p, 1);
            store_total_t w2 = model_total(b, ind, regs[1], &p, 1);
            assert_total(&tot[i].from, &w1, "diff before");
            assert_total(&tot[i].to, &w2, "diff after");
        }
        free(cells);
        free(tot);
        free(a);
        free(b);
    }
}

Test(asof, diff_refuses_unknown_region_and_indicator, .init = fx_setup,
     .fini = fx_teardown)
{
    char err[ERR_LEN];
    store_diff_cell_t *cells = NULL;
    store_diff_total_t *tot = NULL;
    size_t n = 0;
    size_t nt = 0;
    int trunc = 0;
    cr_assert_eq(store_diff(fx_store, 0, 1, 999999, NULL, &cells, &n, &tot,
                            &nt, &trunc, err),
                 ERR_NOTFOUND);
    cr_assert_str_eq(err, "unknown region 999999");
    cr_assert_eq(store_diff(fx_store, 0, 1, 0, "nope", &cells, &n, &tot, &nt,
                            &trunc, err),
                 ERR_NOTFOUND);
    cr_assert_null(cells);
}

Test(asof, one_view_per_thread_and_a_pin_left_alone, .init = fx_setup,
     .fini = fx_teardown)
{
    char err[ERR_LEN];
    update_t u = fx_count(1, "urban_new_jobs", 330102, 202401, 5);
    store_result_t res = fx_apply("r", &u, 1);
    store_result_fini(&res);
    cr_assert_eq(store_pin(fx_store, err), ERR_OK);
    cr_assert_eq(store_asof_begin(fx_store, 0, err), ERR_OK);
    cr_assert_eq(store_asof_cells(fx_store), 1);
    cr_assert_eq(store_asof_begin(fx_store, 0, err), ERR_INVAL);
    store_total_t t = fx_total("urban_new_jobs", 330000, "2024-01");
    cr_assert_eq(t.num, 0);
    cr_assert_eq(t.reporting, 0);
    store_asof_end(fx_store);
    cr_assert_eq(store_asof_cells(fx_store), 0);
    t = fx_total("urban_new_jobs", 330000, "2024-01");
    cr_assert_eq(t.num, 5);
    store_unpin(fx_store);
}

static int last_at(const store_revision_t *rev, void *arg)
{
    *(int64_t *)arg = rev->received_at;
    return 0;
}

Test(asof, a_clock_stepped_back_records_the_newest_time, .init = fx_setup,
     .fini = fx_teardown)
{
    char err[ERR_LEN];
    update_t u1 = fx_count(1, "urban_new_jobs", 330102, 202401, 5);
    update_t u2 = fx_count(2, "urban_new_jobs", 330102, 202402, 6);
    store_batch_t b1 = {"r", -1, T0 + 500, FX_NOW_MONTH, &u1, 1, NULL};
    store_batch_t b2 = {"r", -1, T0 + 10, FX_NOW_MONTH, &u2, 1, NULL};
    store_result_t res;
    cr_assert_eq(store_apply(fx_store, &b1, 1, &res, err), ERR_OK);
    store_result_fini(&res);
    cr_assert_eq(store_apply(fx_store, &b2, 1, &res, err), ERR_OK);
    store_result_fini(&res);
    int64_t at = 0;
    cr_assert_eq(store_audit(fx_store, 2, last_at, &at, err), ERR_OK);
    cr_assert_eq(at, T0 + 500, "the audit record took %lld", (long long)at);
    cr_assert_eq(store_history(fx_store, "urban_new_jobs", 330102,
                               month_of(202402), last_at, &at, err),
                 ERR_OK);
    cr_assert_eq(at, T0 + 500);
    /* As of just before: the second update is not there yet. */
    cr_assert_eq(store_asof_begin(fx_store, T0 + 499, err), ERR_OK);
    store_total_t t = fx_total("urban_new_jobs", 330102, "2024");
    cr_assert_eq(t.num, 0);
    store_asof_end(fx_store);
    cr_assert_eq(store_asof_begin(fx_store, T0 + 500, err), ERR_OK);
    t = fx_total("urban_new_jobs", 330102, "2024");
    cr_assert_eq(t.num, 11);
    store_asof_end(fx_store);
}

/* ------------------------------------------------------- over the query */

static Hrss__QueryResponse *ask(const Hrss__QueryRequest *q)
{
    size_t n = hrss__query_request__get_packed_size(q);
    uint8_t *b = malloc(n);
    hrss__query_request__pack(q, b);
    buf_t out;
    buf_init(&out);
    query_answer(fx_store, NULL, b, n, &out);
    free(b);
    Hrss__QueryResponse *r =
        hrss__query_response__unpack(NULL, out.len, out.data);
    buf_fini(&out);
    cr_assert_not_null(r);
    return r;
}

Test(asof, query_takes_as_of_for_five_kinds_only, .init = fx_setup,
     .fini = fx_teardown)
{
    update_t u = fx_count(1, "urban_new_jobs", 330102, 202401, 5);
    store_batch_t b = {"r", -1, T0, FX_NOW_MONTH, &u, 1, NULL};
    store_result_t res;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(fx_store, &b, 1, &res, err), ERR_OK);
    store_result_fini(&res);
    Hrss__TotalQ t = HRSS__TOTAL_Q__INIT;
    t.indicator = (char *)(uintptr_t)"urban_new_jobs";
    t.region = 0;
    t.period = (char *)(uintptr_t)"2024-01";
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_TOTAL;
    q.total = &t;
    q.has_as_of = 1;
    q.as_of = T0 - 1;
    Hrss__QueryResponse *r = ask(&q);
    cr_assert_eq(r->code, HRSS__QUERY_STATUS__QUERY_OK);
    cr_assert_eq(r->total->numerator, 0);
    cr_assert_eq(r->total->reporting, 0);
    hrss__query_response__free_unpacked(r, NULL);
    q.as_of = T0;
    r = ask(&q);
    cr_assert_eq(r->total->numerator, 5);
    hrss__query_response__free_unpacked(r, NULL);
    /* The view ended with the answer: the next one is now's. */
    cr_assert_eq(store_asof_cells(fx_store), 0);
    Hrss__AgentsQ ag = HRSS__AGENTS_Q__INIT;
    Hrss__QueryRequest q2 = HRSS__QUERY_REQUEST__INIT;
    q2.q_case = HRSS__QUERY_REQUEST__Q_AGENTS;
    q2.agents = &ag;
    q2.has_as_of = 1;
    q2.as_of = T0;
    r = ask(&q2);
    cr_assert_eq(r->code, HRSS__QUERY_STATUS__QUERY_INVAL);
    cr_assert_str_eq(r->error, "as_of: only a total, breakdown, series, "
                               "completeness or facts query is answered as "
                               "of a moment");
    hrss__query_response__free_unpacked(r, NULL);
}
