/* test_store.c: the store's aggregation rules, sequencing, rejections,
 * violations, durability, with exact expected numbers. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fixture.h"

#define HZ 330100u      /* 杭州市 */
#define HZ_SC 330102u   /* 上城区 */
#define HZ_GS 330105u   /* 拱墅区 */
#define NB 330200u      /* 宁波市 */
#define NB_HS 330203u   /* 海曙区 */
#define ZJ 330000u      /* 浙江省 */

#define JOBS "urban_new_jobs"
#define PENSION "pension_insured"
#define MEDIATION "dispute_mediation_success_rate"
#define ECARD "e_social_security_card_coverage"
#define PROF "professional_technical_talent"
#define SENIOR "senior_title_talent"

TestSuite(store, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

static void expect(store_total_t t, int64_t num, int64_t den,
                   uint32_t reporting, uint32_t expected)
{
    cr_expect_eq(t.num, num, "num %lld, want %lld", (long long)t.num,
                 (long long)num);
    cr_expect_eq(t.den, den, "den %lld, want %lld", (long long)t.den,
                 (long long)den);
    cr_expect_eq(t.reporting, reporting, "reporting %u, want %u",
                 t.reporting, reporting);
    cr_expect_eq(t.expected, expected, "expected %u, want %u", t.expected,
                 expected);
}

static void verify(void)
{
    char err[ERR_LEN];
    int rc = store_verify(fx_store, err);
    cr_assert_eq(rc, ERR_OK, "store_verify: %s", err);
}

Test(store, flows_sum_over_months_and_regions)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, HZ_SC, 202502, 200),
        fx_count(3, JOBS, HZ_GS, 202501, 50),
        fx_count(4, JOBS, NB_HS, 202503, 7),
        fx_count(5, JOBS, NB_HS, 202404, 1000),
    };
    store_result_t r = fx_apply("t", u, 5);
    cr_assert_eq(r.applied, 5);
    cr_assert_eq(r.next_seq, 6);
    store_result_fini(&r);

    expect(fx_total(JOBS, HZ_SC, "2025"), 300, 0, 1, 1);
    expect(fx_total(JOBS, HZ_SC, "2025-02"), 200, 0, 1, 1);
    expect(fx_total(JOBS, HZ, "2025-01"), 150, 0, 2, 14);
    expect(fx_total(JOBS, HZ, "2025-Q1"), 350, 0, 2, 14);
    expect(fx_total(JOBS, HZ, "2025-Q2"), 0, 0, 0, 14);
    expect(fx_total(JOBS, ZJ, "2025-01"), 150, 0, 2, 102);
    expect(fx_total(JOBS, ZJ, "2025-Q1"), 357, 0, 3, 102);
    expect(fx_total(JOBS, ZJ, "2025"), 357, 0, 3, 102);
    expect(fx_total(JOBS, ZJ, "2024"), 1000, 0, 1, 102);
    /* A flow over years that include 2021 expects both of Hangzhou's
     * maps: 102 + 下城区 and 江干区 (to 2021-03). */
    expect(fx_total(JOBS, ZJ, "2021..2025"), 1357, 0, 3, 104);
    expect(fx_total(JOBS, ZJ, "2021..2023"), 0, 0, 0, 104);
    expect(fx_total(JOBS, NB, "2024..2025"), 1007, 0, 1, 1 + 10);
    /* Ranges that are not whole years. */
    expect(fx_total(JOBS, ZJ, "2024-04..2025-02"), 1000 + 300 + 50, 0, 3,
           102);
    expect(fx_total(JOBS, ZJ, "2025-02..2025-03"), 207, 0, 2, 102);
    expect(fx_total(JOBS, ZJ, "2024-05..2024-12"), 0, 0, 0, 102);
    verify();
}

Test(store, stocks_take_last_month_per_region_then_sum)
{
    update_t u[] = {
        fx_count(1, PENSION, HZ_SC, 202501, 1000),
        fx_count(2, PENSION, HZ_SC, 202503, 1200),
        fx_count(3, PENSION, HZ_GS, 202502, 500),
        fx_count(4, PENSION, HZ_SC, 202511, 1300),
        fx_count(5, PENSION, HZ_SC, 202412, 900),
        fx_count(6, PENSION, NB_HS, 202406, 400),
    };
    store_result_t r = fx_apply("t", u, 6);
    cr_assert_eq(r.applied, 6);
    store_result_fini(&r);

    /* Q1: 上城区 last is March (1200), 拱墅区 February (500). */
    expect(fx_total(PENSION, HZ, "2025-Q1"), 1700, 0, 2, 14);
    /* The year: 上城区 November (1300) + 拱墅区 February (500). */
    expect(fx_total(PENSION, HZ, "2025"), 1800, 0, 2, 14);
    expect(fx_total(PENSION, ZJ, "2025"), 1800, 0, 2, 102);
    /* A single month holds only who reported that month. */
    expect(fx_total(PENSION, HZ, "2025-02"), 500, 0, 1, 14);
    expect(fx_total(PENSION, HZ, "2025-Q4"), 1300, 0, 1, 14);
    /* Range: each region's last month inside 2024..2025. */
    expect(fx_total(PENSION, ZJ, "2024..2025"), 1300 + 500 + 400, 0, 3, 102);
    expect(fx_total(PENSION, ZJ, "2024"), 900 + 400, 0, 2, 102);
    expect(fx_total(PENSION, ZJ, "2021..2024"), 900 + 400, 0, 2, 102);
    /* 2024-06..2025-02: 上城区 Jan 2025 (1000), 拱墅区 Feb (500), 海曙区
     * June 2024 (400). */
    expect(fx_total(PENSION, ZJ, "2024-06..2025-02"), 1900, 0, 3, 102);
    verify();
}

Test(store, ratio_is_sum_of_parts_not_mean_of_rates)
{
    update_t u[] = {
        fx_ratio(1, MEDIATION, HZ_SC, 202501, 1, 10),
        fx_ratio(2, MEDIATION, HZ_GS, 202501, 90, 100),
        fx_ratio(3, MEDIATION, HZ_SC, 202502, 9, 10),
    };
    store_result_t r = fx_apply("t", u, 3);
    cr_assert_eq(r.applied, 3);
    store_result_fini(&r);

    store_total_t t = fx_total(MEDIATION, HZ, "2025-01");
    expect(t, 91, 110, 2, 14);
    cr_expect(t.is_ratio);
    /* A flow ratio adds its months too: 上城区 Q1 = (1+9)/(10+10). */
    expect(fx_total(MEDIATION, HZ_SC, "2025-Q1"), 10, 20, 1, 1);
    expect(fx_total(MEDIATION, ZJ, "2025"), 100, 120, 2, 102);
    expect(fx_total(MEDIATION, ZJ, "2021..2025"), 100, 120, 2, 104);
    verify();
}

Test(store, stock_ratio_takes_last_month)
{
    update_t u[] = {
        fx_ratio(1, ECARD, HZ_SC, 202501, 30, 100),
        fx_ratio(2, ECARD, HZ_SC, 202506, 40, 100),
        fx_ratio(3, ECARD, NB_HS, 202503, 500, 1000),
    };
    store_result_t r = fx_apply("t", u, 3);
    store_result_fini(&r);
    expect(fx_total(ECARD, ZJ, "2025"), 540, 1100, 2, 102);
    expect(fx_total(ECARD, ZJ, "2025-Q1"), 530, 1100, 2, 102);
    expect(fx_total(ECARD, ZJ, "2023..2025"), 540, 1100, 2, 102);
    verify();
}

Test(store, city_total_is_own_report_plus_counties)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ, 202501, 1000),
        fx_count(2, JOBS, HZ_SC, 202501, 100),
        fx_count(3, JOBS, HZ_GS, 202501, 50),
    };
    store_result_t r = fx_apply("t", u, 3);
    store_result_fini(&r);
    expect(fx_total(JOBS, HZ, "2025-01"), 1150, 0, 3, 14);
    expect(fx_total(JOBS, ZJ, "2025-01"), 1150, 0, 3, 102);

    char err[ERR_LEN];
    period_t p;
    cr_assert_eq(period_parse("2025-01", &p, err), ERR_OK);
    store_total_t own;
    cr_assert_eq(store_own(fx_store, JOBS, HZ, &p, &own, err), ERR_OK);
    expect(own, 1000, 0, 1, 1);
}

Test(store, revision_moves_every_level_by_the_difference)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, HZ_GS, 202501, 50),
        fx_count(3, JOBS, NB_HS, 202501, 7),
    };
    store_result_t r = fx_apply("t", u, 3);
    store_result_fini(&r);
    const char *periods[] = {"2025-01", "2025-Q1", "2025", "2021..2025"};
    const uint32_t regions[] = {HZ_SC, HZ, ZJ};
    int64_t before[3][4];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++) {
            before[i][j] = fx_total(JOBS, regions[i], periods[j]).num;
        }
    }
    update_t rev = fx_count(4, JOBS, HZ_SC, 202501, 130);
    r = fx_apply("t", &rev, 1);
    cr_assert_eq(r.applied, 1);
    store_result_fini(&r);
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 4; j++) {
            store_total_t t = fx_total(JOBS, regions[i], periods[j]);
            cr_expect_eq(t.num, before[i][j] + 30, "%u %s: %lld",
                         regions[i], periods[j], (long long)t.num);
        }
    }
    /* Reporting counts do not change on a revision. */
    expect(fx_total(JOBS, ZJ, "2025-01"), 187, 0, 3, 102);
    /* Ningbo is untouched. */
    expect(fx_total(JOBS, NB, "2025"), 7, 0, 1, 11);
    verify();
}

typedef struct hist {
    int n;
    store_revision_t r[8];
} hist_t;

static int collect_rev(const store_revision_t *rev, void *arg)
{
    hist_t *h = arg;
    if (h->n < 8) {
        h->r[h->n] = *rev;
        h->r[h->n].reporter = NULL; /* borrowed: not kept */
        h->r[h->n].indicator = NULL;
    }
    h->n++;
    return 0;
}

Test(store, revision_history_keeps_every_value)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, HZ_SC, 202501, 130),
        fx_count(3, JOBS, HZ_SC, 202502, 1),
    };
    store_result_t r = fx_apply("t", u, 3);
    store_result_fini(&r);
    update_t again = fx_count(1, JOBS, HZ_SC, 202501, 90);
    r = fx_apply("other", &again, 1);
    store_result_fini(&r);

    char err[ERR_LEN];
    hist_t h = {0};
    int rc = store_history(fx_store, JOBS, HZ_SC, month_make(2025, 1),
                           collect_rev, &h, err);
    cr_assert_eq(rc, ERR_OK, "%s", err);
    cr_assert_eq(h.n, 3);
    cr_expect_eq(h.r[0].has_old, 0);
    cr_expect_eq(h.r[0].new_value.num, 100);
    cr_expect_eq(h.r[1].has_old, 1);
    cr_expect_eq(h.r[1].old_value.num, 100);
    cr_expect_eq(h.r[1].new_value.num, 130);
    cr_expect_eq(h.r[1].seq, 2);
    cr_expect_eq(h.r[2].old_value.num, 130);
    cr_expect_eq(h.r[2].new_value.num, 90);
    cr_expect_eq(h.r[2].received_at, 1764000000);
    cr_expect(h.r[0].audit_id < h.r[1].audit_id);

    value_t v;
    cr_assert_eq(store_get(fx_store, JOBS, HZ_SC, month_make(2025, 1), &v,
                           err), ERR_OK);
    cr_expect_eq(v.num, 90);
    expect(fx_total(JOBS, HZ_SC, "2025-01"), 90, 0, 1, 1);
}

Test(store, replayed_batch_changes_nothing)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, HZ_SC, 202502, 200),
        fx_count(3, JOBS, HZ_GS, 202501, 50),
    };
    store_result_t r = fx_apply("a", u, 3);
    store_result_fini(&r);
    store_result_t again = fx_apply("a", u, 3);
    cr_expect_eq(again.status, STORE_BATCH_OK);
    cr_expect_eq(again.applied, 0);
    cr_expect_eq(again.replayed, 3);
    cr_expect_eq(again.next_seq, 4);
    store_result_fini(&again);
    expect(fx_total(JOBS, ZJ, "2025"), 350, 0, 2, 102);

    /* Overlapping batch: 2..4 applies only 4, with a different value for
     * 2 that must be ignored (it was applied already). */
    update_t o[] = {
        fx_count(2, JOBS, HZ_SC, 202502, 999999),
        fx_count(3, JOBS, HZ_GS, 202501, 50),
        fx_count(4, JOBS, NB_HS, 202501, 5),
    };
    r = fx_apply("a", o, 3);
    cr_expect_eq(r.applied, 1);
    cr_expect_eq(r.replayed, 2);
    cr_expect_eq(r.next_seq, 5);
    store_result_fini(&r);
    expect(fx_total(JOBS, ZJ, "2025"), 355, 0, 3, 102);

    hist_t h = {0};
    char err[ERR_LEN];
    store_history(fx_store, JOBS, HZ_SC, month_make(2025, 2), collect_rev,
                  &h, err);
    cr_expect_eq(h.n, 1, "a replay must not add a revision");
    verify();
}

Test(store, batch_that_skips_ahead_is_refused_whole)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, HZ_SC, 202502, 200),
    };
    store_result_t r = fx_apply("a", u, 2);
    store_result_fini(&r);
    update_t g[] = {
        fx_count(5, JOBS, HZ_SC, 202503, 1),
        fx_count(6, JOBS, HZ_SC, 202504, 1),
    };
    r = fx_apply("a", g, 2);
    cr_expect_eq(r.status, STORE_BATCH_GAP);
    cr_expect_eq(r.next_seq, 3);
    cr_expect_eq(r.applied, 0);
    store_result_fini(&r);
    expect(fx_total(JOBS, ZJ, "2025"), 300, 0, 1, 102);

    char err[ERR_LEN];
    uint64_t next = 0;
    cr_assert_eq(store_next_seq(fx_store, "a", &next, err), ERR_OK);
    cr_expect_eq(next, 3);
    cr_assert_eq(store_next_seq(fx_store, "never-seen", &next, err), ERR_OK);
    cr_expect_eq(next, 1);

    /* A batch whose numbers are not consecutive is malformed. */
    update_t bad[] = {
        fx_count(3, JOBS, HZ_SC, 202503, 1),
        fx_count(5, JOBS, HZ_SC, 202504, 1),
    };
    r = fx_apply("a", bad, 2);
    cr_expect_eq(r.status, STORE_BATCH_MALFORMED);
    cr_expect_eq(r.applied, 0);
    store_result_fini(&r);
    cr_assert_eq(store_next_seq(fx_store, "a", &next, err), ERR_OK);
    cr_expect_eq(next, 3);
}

typedef struct rej_list {
    int n;
    enum update_reason reason[16];
    uint64_t seq[16];
} rej_list_t;

static int collect_rej(const store_rejected_t *rj, void *arg)
{
    rej_list_t *l = arg;
    if (l->n < 16) {
        l->reason[l->n] = rj->reason;
        l->seq[l->n] = rj->seq;
    }
    l->n++;
    return 0;
}

Test(store, each_rejection_reason)
{
    update_t u[] = {
        fx_count(1, "no_such_indicator", HZ_SC, 202501, 1),
        fx_count(2, JOBS, 999999, 202501, 1),
        fx_count(3, JOBS, HZ_GS, 202513, 1),
        fx_count(4, JOBS, HZ_GS, 202612, 1),
        fx_count(5, JOBS, HZ_GS, 202501, -1),
        fx_count(6, MEDIATION, HZ_GS, 202501, 5),
        fx_ratio(7, MEDIATION, HZ_GS, 202501, 0, 0),
        fx_ratio(8, MEDIATION, HZ_GS, 202501, 11, 10),
        fx_count(9, JOBS, HZ_GS, 202501, INT64_C(2000000000000)),
        fx_count(10, JOBS, NB_HS, 202501, 1), /* not allowed */
        fx_count(11, JOBS, HZ_GS, 202501, 42), /* fine */
        fx_ratio(12, JOBS, HZ_GS, 202502, 1, 2),
    };
    const enum update_reason want[] = {
        UPDATE_UNKNOWN_INDICATOR, UPDATE_UNKNOWN_REGION,
        UPDATE_BAD_MONTH,         UPDATE_FUTURE_MONTH,
        UPDATE_NEGATIVE,          UPDATE_WRONG_KIND,
        UPDATE_ZERO_DENOMINATOR,  UPDATE_NUMERATOR_GT_DENOMINATOR,
        UPDATE_TOO_LARGE,         UPDATE_REGION_NOT_ALLOWED,
        UPDATE_WRONG_KIND,
    };
    const uint64_t want_seq[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12};
    int home = catalog_region_find(fx_cat, HZ);
    store_batch_t b = {"hz", home, 1764000000, FX_NOW_MONTH, u, 12, NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(fx_store, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_assert_eq(r.rejected, 11);
    cr_expect_eq(r.applied, 1);
    cr_expect_eq(r.next_seq, 13, "rejections consume their numbers");
    for (size_t i = 0; i < 11; i++) {
        cr_expect_eq(r.rejections[i].reason, want[i], "#%zu: %s (%s)", i,
                     update_reason_name(r.rejections[i].reason),
                     r.rejections[i].message);
        cr_expect_eq(r.rejections[i].seq, want_seq[i]);
        cr_expect_neq(r.rejections[i].message[0], '\0');
    }
    cr_expect(strstr(r.rejections[3].message, "2026-12") != NULL, "%s",
              r.rejections[3].message);
    cr_expect(strstr(r.rejections[0].message, "no_such_indicator") != NULL);
    store_result_fini(&r);

    rej_list_t l = {0};
    cr_assert_eq(store_rejections(fx_store, 0, collect_rej, &l, err), ERR_OK);
    cr_assert_eq(l.n, 11);
    for (int i = 0; i < 11; i++) {
        cr_expect_eq(l.reason[i], want[i]);
        cr_expect_eq(l.seq[i], want_seq[i]);
    }
    rej_list_t later = {0};
    store_rejections(fx_store, 1764000001, collect_rej, &later, err);
    cr_expect_eq(later.n, 0);
    expect(fx_total(JOBS, ZJ, "2025-01"), 42, 0, 1, 102);
    cr_expect_str_eq(update_reason_name(UPDATE_FUTURE_MONTH),
                     "future_month");
    verify();
}

typedef struct viol_list {
    int n;
    store_violation_t v[4];
} viol_list_t;

static int collect_viol(const store_violation_t *v, void *arg)
{
    viol_list_t *l = arg;
    if (l->n < 4) {
        l->v[l->n] = *v;
    }
    l->n++;
    return 0;
}

static viol_list_t violations(const period_t *p, uint32_t region)
{
    viol_list_t l = {0};
    char err[ERR_LEN];
    cr_assert_eq(store_violations(fx_store, p, region, collect_viol, &l, err),
                 ERR_OK, "%s", err);
    return l;
}

Test(store, of_which_violation_flagged_then_cleared)
{
    update_t u[] = {
        fx_count(1, PROF, HZ_SC, 202501, 500),
        fx_count(2, SENIOR, HZ_SC, 202501, 600),
        fx_count(3, SENIOR, HZ_GS, 202501, 10), /* no parent yet: fine */
    };
    store_result_t r = fx_apply("a", u, 3);
    cr_expect_eq(r.applied, 3, "violations never block data");
    store_result_fini(&r);

    viol_list_t l = violations(NULL, 0);
    cr_assert_eq(l.n, 1);
    cr_expect_str_eq(l.v[0].indicator, SENIOR);
    cr_expect_str_eq(l.v[0].parent, PROF);
    cr_expect_eq(l.v[0].region, HZ_SC);
    cr_expect_eq(l.v[0].month, month_make(2025, 1));
    cr_expect_eq(l.v[0].value, 600);
    cr_expect_eq(l.v[0].parent_value, 500);
    /* The stored figure is there all the same. */
    expect(fx_total(SENIOR, HZ, "2025-01"), 610, 0, 2, 14);

    /* Filters. */
    period_t p;
    char err[ERR_LEN];
    period_parse("2024", &p, err);
    cr_expect_eq(violations(&p, 0).n, 0);
    period_parse("2025-Q1", &p, err);
    cr_expect_eq(violations(&p, HZ).n, 1);
    cr_expect_eq(violations(&p, NB).n, 0);

    /* Correcting the parent clears it. */
    update_t fix = fx_count(4, PROF, HZ_SC, 202501, 700);
    r = fx_apply("a", &fix, 1);
    store_result_fini(&r);
    cr_expect_eq(violations(NULL, 0).n, 0);

    /* A parent arriving below an existing child flags it; correcting the
     * child clears it again. */
    update_t late[] = {
        fx_count(5, PROF, HZ_GS, 202501, 5),
    };
    r = fx_apply("a", late, 1);
    store_result_fini(&r);
    l = violations(NULL, 0);
    cr_assert_eq(l.n, 1);
    cr_expect_eq(l.v[0].region, HZ_GS);
    update_t fix2 = fx_count(6, SENIOR, HZ_GS, 202501, 5);
    r = fx_apply("a", &fix2, 1);
    store_result_fini(&r);
    cr_expect_eq(violations(NULL, 0).n, 0, "equal is not a violation");
    verify();
}

Test(store, data_survives_close_and_reopen)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, PENSION, HZ_GS, 202501, 5000),
        fx_ratio(3, MEDIATION, NB_HS, 202501, 3, 4),
    };
    store_result_t r = fx_apply("a", u, 3);
    store_result_fini(&r);
    store_close(&fx_store);
    cr_assert_null(fx_store);

    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    cr_assert_eq(store_open(&fx_store, db, fx_cat, NULL, err), ERR_OK, "%s",
                 err);
    expect(fx_total(JOBS, ZJ, "2025"), 100, 0, 1, 102);
    expect(fx_total(PENSION, ZJ, "2025"), 5000, 0, 1, 102);
    expect(fx_total(MEDIATION, ZJ, "2025"), 3, 4, 1, 102);
    uint64_t next = 0;
    cr_assert_eq(store_next_seq(fx_store, "a", &next, err), ERR_OK);
    cr_expect_eq(next, 4);
    /* Replaying after the restart still changes nothing. */
    r = fx_apply("a", u, 3);
    cr_expect_eq(r.replayed, 3);
    store_result_fini(&r);
    expect(fx_total(JOBS, ZJ, "2025"), 100, 0, 1, 102);

    /* A read-only open sees the same. */
    store_t *ro = NULL;
    store_opts_t o = {.readonly = 1};
    cr_assert_eq(store_open(&ro, db, fx_cat, &o, err), ERR_OK, "%s", err);
    period_t p;
    period_parse("2025", &p, err);
    store_total_t t;
    cr_assert_eq(store_total(ro, JOBS, ZJ, &p, &t, err), ERR_OK);
    cr_expect_eq(t.num, 100);
    store_batch_t b = {"a", -1, 0, FX_NOW_MONTH, u, 1, NULL};
    cr_expect_neq(store_apply(ro, &b, 1, &r, err), ERR_OK);
    store_close(&ro);
}

Test(store, readonly_open_of_missing_store_fails_clearly)
{
    store_t *ro = NULL;
    store_opts_t o = {.readonly = 1};
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/nothing-here", fx_dir);
    cr_expect_eq(store_open(&ro, db, fx_cat, &o, err), ERR_NOTFOUND);
    cr_expect_null(ro);
    cr_expect(strstr(err, "nothing-here") != NULL, "%s", err);
}

Test(store, unknown_indicator_or_region_in_queries)
{
    char err[ERR_LEN];
    period_t p;
    period_parse("2025", &p, err);
    store_total_t t;
    cr_expect_eq(store_total(fx_store, "nope", ZJ, &p, &t, err),
                 ERR_NOTFOUND);
    cr_expect(strstr(err, "nope") != NULL);
    cr_expect_eq(store_total(fx_store, JOBS, 123, &p, &t, err),
                 ERR_NOTFOUND);
    cr_expect(strstr(err, "123") != NULL);
}

Test(store, series_by_month_quarter_year)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202401, 1),
        fx_count(2, JOBS, HZ_SC, 202405, 2),
        fx_count(3, JOBS, HZ_GS, 202512, 4),
    };
    store_result_t r = fx_apply("a", u, 3);
    store_result_fini(&r);
    char err[ERR_LEN];
    period_t range;
    period_parse("2024..2025", &range, err);
    store_point_t *pts = NULL;
    size_t n = 0;
    cr_assert_eq(store_series(fx_store, JOBS, HZ, &range, PERIOD_QUARTER,
                              &pts, &n, err), ERR_OK, "%s", err);
    cr_assert_eq(n, 8);
    int64_t want[8] = {1, 2, 0, 0, 0, 0, 0, 4};
    for (size_t i = 0; i < 8; i++) {
        cr_expect_eq(pts[i].total.num, want[i], "point %zu", i);
        cr_expect_eq(pts[i].period.kind, PERIOD_QUARTER);
    }
    free(pts);
    cr_assert_eq(store_series(fx_store, JOBS, ZJ, &range, PERIOD_YEAR, &pts,
                              &n, err), ERR_OK);
    cr_assert_eq(n, 2);
    cr_expect_eq(pts[0].total.num, 3);
    cr_expect_eq(pts[1].total.num, 4);
    free(pts);
    cr_assert_eq(store_series(fx_store, JOBS, ZJ, &range, PERIOD_MONTH, &pts,
                              &n, err), ERR_OK);
    cr_assert_eq(n, 24);
    cr_expect_eq(pts[4].total.num, 2);
    free(pts);
    period_t month;
    period_parse("2025-03", &month, err);
    cr_expect_eq(store_series(fx_store, JOBS, ZJ, &month, PERIOD_YEAR, &pts,
                              &n, err), ERR_INVAL);
}

/* The (@p k mod 100)th region that exists in every month (the shipped
 * catalog has 100: not Hangzhou's four districts of the 2021 change,
 * whose figures are refused outside their months). */
static uint32_t open_region(int k)
{
    int want = k % 100;
    for (size_t i = 0; i < catalog_region_count(fx_cat); i++) {
        const region_t *rg = catalog_region(fx_cat, i);
        if (rg->valid_from == CATALOG_OPEN_FROM &&
            rg->valid_to == CATALOG_OPEN_TO && want-- == 0) {
            return rg->code;
        }
    }
    cr_assert_fail("fewer than 100 open regions");
    return 0;
}

/* The map grows on demand, and a map at its limit refuses the whole call
 * while keeping what was there. */
Test(store, full_map_grows_then_refuses_without_losing_data)
{
    store_close(&fx_store);
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/small", fx_dir);
    store_opts_t o = {.map_size = 1 << 20, .map_max = 4 << 20};
    cr_assert_eq(store_open(&fx_store, db, fx_cat, &o, err), ERR_OK, "%s",
                 err);
    enum { N = 500 };
    update_t *u = calloc(N, sizeof *u);
    uint64_t seq = 1;
    int full = 0;
    int64_t applied_total = 0;
    for (int round = 0; round < 200 && !full; round++) {
        for (int i = 0; i < N; i++) {
            int k = round * N + i;
            u[i] = fx_count(seq + (uint64_t)i, JOBS,
                            open_region(k),
                            (uint32_t)((2000 + (k / 100) / 12) * 100 +
                                       (k / 100) % 12 + 1),
                            1);
        }
        store_batch_t b = {"big", -1, 1, FX_NOW_MONTH, u, N, NULL};
        store_result_t r;
        int rc = store_apply(fx_store, &b, 1, &r, err);
        if (rc == ERR_FULL) {
            full = 1;
            cr_expect(strstr(err, "full") != NULL, "%s", err);
            cr_expect_eq(r.applied, 0);
            break;
        }
        cr_assert_eq(rc, ERR_OK, "%s", err);
        cr_assert_eq(r.applied, N);
        store_result_fini(&r);
        seq += N;
        applied_total += N;
    }
    free(u);
    cr_assert(full, "a 4 MiB map must fill up");
    cr_assert(applied_total > N, "the map must have grown past 1 MiB");
    uint64_t next = 0;
    cr_assert_eq(store_next_seq(fx_store, "big", &next, err), ERR_OK);
    cr_expect_eq(next, seq, "nothing of the refused call was kept");
    expect(fx_total(JOBS, ZJ, "2000..2030"), applied_total, 0, 100, 104);
    verify();
}

/* store_space: the pages in use grow with the data, the map doubles when
 * they fill it, and the limit is map_max. */
Test(store, space_follows_the_data_and_the_map)
{
    store_close(&fx_store);
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/small", fx_dir);
    store_opts_t o = {.map_size = 1 << 20, .map_max = 8 << 20};
    cr_assert_eq(store_open(&fx_store, db, fx_cat, &o, err), ERR_OK, "%s",
                 err);
    store_space_t sp;
    cr_assert_eq(store_space(fx_store, &sp, err), ERR_OK, "%s", err);
    cr_expect_eq(sp.map_bytes, 1 << 20);
    cr_expect_eq(sp.map_max_bytes, 8 << 20);
    cr_expect(sp.used_bytes > 0 && sp.used_bytes < sp.map_bytes, "%llu",
              (unsigned long long)sp.used_bytes);
    uint64_t first_used = sp.used_bytes;
    enum { N = 500 };
    update_t *u = calloc(N, sizeof *u);
    uint64_t seq = 1;
    for (int round = 0; round < 100 && sp.map_bytes == 1 << 20; round++) {
        for (int i = 0; i < N; i++) {
            int k = round * N + i;
            u[i] = fx_count(seq + (uint64_t)i, JOBS,
                            open_region(k),
                            (uint32_t)((2000 + (k / 100) / 12) * 100 +
                                       (k / 100) % 12 + 1),
                            1);
        }
        store_batch_t b = {"big", -1, 1, FX_NOW_MONTH, u, N, NULL};
        store_result_t r;
        cr_assert_eq(store_apply(fx_store, &b, 1, &r, err), ERR_OK, "%s",
                     err);
        store_result_fini(&r);
        seq += N;
        cr_assert_eq(store_space(fx_store, &sp, err), ERR_OK, "%s", err);
        cr_expect_leq(sp.used_bytes, sp.map_bytes);
    }
    free(u);
    cr_expect_eq(sp.map_bytes, 2 << 20, "the map did not double: %llu",
                 (unsigned long long)sp.map_bytes);
    cr_expect_gt(sp.used_bytes, first_used);
    cr_expect_gt(sp.used_bytes, 1 << 19);
}

/* Model check: random updates and revisions against a brute-force model
 * computed straight from the definition of each rule. */
#define M_REG 5
#define M_MON 48 /* 2022-01 .. 2025-12 */
#define M_Y0 2022
static const uint32_t m_regions[M_REG] = {HZ, HZ_SC, HZ_GS, NB, NB_HS};
static const char *const m_inds[4] = {JOBS, PENSION, MEDIATION, ECARD};

typedef struct cell {
    int present;
    int64_t num;
    int64_t den;
} cell_t;

static cell_t model[4][M_REG][M_MON];

static void model_total(int ind, uint32_t node, int from, int to,
                        int64_t *num, int64_t *den, uint32_t *rep)
{
    char err[ERR_LEN];
    int node_i = catalog_region_find(fx_cat, node);
    int is_last = ind == 1 || ind == 3;
    *num = *den = 0;
    *rep = 0;
    for (int r = 0; r < M_REG; r++) {
        int ri = catalog_region_find(fx_cat, m_regions[r]);
        if (!catalog_region_within(fx_cat, ri, node_i)) {
            continue;
        }
        int any = 0;
        int64_t n = 0;
        int64_t d = 0;
        for (int m = from; m <= to; m++) {
            if (!model[ind][r][m].present) {
                continue;
            }
            any = 1;
            if (is_last) {
                n = model[ind][r][m].num;
                d = model[ind][r][m].den;
            } else {
                n += model[ind][r][m].num;
                d += model[ind][r][m].den;
            }
        }
        *num += n;
        *den += d;
        *rep += (uint32_t)any;
    }
    (void)err;
}

/* Compare every total of the model's indicators, nodes and periods. */
static void expect_model_totals(void)
{
    const uint32_t nodes[] = {ZJ, HZ, HZ_SC, NB, NB_HS, 330300};
    const char *periods[] = {"2024-01", "2024-07", "2025-12", "2024-Q1",
                             "2024-Q3", "2025-Q2", "2025-Q4", "2024",
                             "2025",    "2024..2025", "2023..2025",
                             "2025..2026", "2024-02..2025-11",
                             "2024-Q2..2025-Q3", "2024-12..2025-01",
                             "2022..2025", "2021..2023", "2022..2023",
                             "2023..2024", "2022-01..2025-11"};
    for (int ind = 0; ind < 4; ind++) {
        for (size_t ni = 0; ni < sizeof nodes / sizeof nodes[0]; ni++) {
            for (size_t pi = 0; pi < sizeof periods / sizeof periods[0];
                 pi++) {
                char err[ERR_LEN];
                period_t p;
                period_parse(periods[pi], &p, err);
                int from = p.first - month_make(M_Y0, 1);
                int to = p.last - month_make(M_Y0, 1);
                from = from < 0 ? 0 : from;
                to = to >= M_MON ? M_MON - 1 : to;
                int64_t num;
                int64_t den;
                uint32_t rep;
                model_total(ind, nodes[ni], from, to, &num, &den, &rep);
                store_total_t t = fx_total(m_inds[ind], nodes[ni],
                                           periods[pi]);
                cr_expect_eq(t.num, num, "%s %u %s: num %lld want %lld",
                             m_inds[ind], nodes[ni], periods[pi],
                             (long long)t.num, (long long)num);
                cr_expect_eq(t.den, den, "%s %u %s: den", m_inds[ind],
                             nodes[ni], periods[pi]);
                cr_expect_eq(t.reporting, rep, "%s %u %s: reporting %u "
                             "want %u", m_inds[ind], nodes[ni], periods[pi],
                             t.reporting, rep);
            }
        }
    }
}

/* A random update of the model's cells (@p run > 0: months of one cell's
 * year in a row, as an office's sheet lists them), recorded in the model. */
static update_t model_update(uint64_t seq, int run, int *last_ind,
                             int *last_r, int *last_m)
{
    int ind = rand() % 4;
    int r = rand() % M_REG;
    int m = rand() % M_MON;
    if (run > 0 && *last_ind >= 0) {
        ind = *last_ind;
        r = *last_r;
        m = *last_m - *last_m % 12 + rand() % 12; /* same year */
    }
    *last_ind = ind;
    *last_r = r;
    *last_m = m;
    uint32_t yyyymm = (uint32_t)((M_Y0 + m / 12) * 100 + m % 12 + 1);
    if (ind >= 2) {
        int64_t den = 1 + rand() % 1000;
        int64_t num = rand() % (den + 1);
        model[ind][r][m] = (cell_t){1, num, den};
        return fx_ratio(seq, m_inds[ind], m_regions[r], yyyymm, num, den);
    }
    int64_t v = rand() % 100000;
    model[ind][r][m] = (cell_t){1, v, 0};
    return fx_count(seq, m_inds[ind], m_regions[r], yyyymm, v);
}

Test(store, random_updates_match_brute_force_model)
{
    srand(12345);
    memset(model, 0, sizeof model);
    uint64_t seq = 1;
    int li = -1;
    int lr = 0;
    int lm = 0;
    for (int batch = 0; batch < 40; batch++) {
        update_t u[25];
        int n = 1 + rand() % 25;
        for (int i = 0; i < n; i++) {
            u[i] = model_update(seq + (uint64_t)i, 0, &li, &lr, &lm);
        }
        store_result_t res = fx_apply("model", u, (size_t)n);
        cr_assert_eq(res.applied, (size_t)n);
        store_result_fini(&res);
        seq += (uint64_t)n;
    }
    expect_model_totals();
    verify();
}

/* The write path as the collector drives it: several reporters' batches
 * in one store_apply (one transaction: aggregate changes folded in memory
 * and written once, aggregate.c), runs of one cell's year (the year's
 * facts kept between updates), revisions of a cell inside one transaction
 * and across them. The totals must match the model, and store_verify the
 * recomputation from the facts. */
Test(store, random_groups_of_batches_match_brute_force_model)
{
    char err[ERR_LEN];
    srand(777);
    memset(model, 0, sizeof model);
    const char *who[4] = {"grp-a", "grp-b", "grp-c", "grp-d"};
    uint64_t seq[4] = {1, 1, 1, 1};
    static update_t u[8][40];
    int li = -1;
    int lr = 0;
    int lm = 0;
    for (int round = 0; round < 60; round++) {
        int nb = 1 + rand() % 8;
        store_batch_t b[8];
        for (int k = 0; k < nb; k++) {
            int r = rand() % 4;
            int n = 1 + rand() % 40;
            int run = rand() % 2;
            for (int i = 0; i < n; i++) {
                u[k][i] = model_update(seq[r] + (uint64_t)i, run && i > 0,
                                       &li, &lr, &lm);
            }
            b[k] = (store_batch_t){who[r], -1, 1764000000 + round,
                                   FX_NOW_MONTH, u[k], (size_t)n, NULL};
            seq[r] += (uint64_t)n;
        }
        store_result_t res[8];
        cr_assert_eq(store_apply(fx_store, b, (size_t)nb, res, err), ERR_OK,
                     "%s", err);
        for (int k = 0; k < nb; k++) {
            cr_assert_eq(res[k].applied, b[k].n_updates, "round %d", round);
            store_result_fini(&res[k]);
        }
    }
    expect_model_totals();
    verify();
}

Test(store, breakdown_own_plus_children_is_the_total)
{
    update_t u[] = {
        fx_count(1, PENSION, HZ, 202501, 1000),
        fx_count(2, PENSION, HZ, 202503, 1100),
        fx_count(3, PENSION, HZ_SC, 202502, 300),
        fx_count(4, PENSION, HZ_GS, 202501, 50),
        fx_count(5, PENSION, NB_HS, 202501, 7),
    };
    store_result_t r = fx_apply("a", u, 5);
    store_result_fini(&r);
    char err[ERR_LEN];
    period_t p;
    period_parse("2025-Q1", &p, err);
    store_total_t own;
    store_total_t *kids = NULL;
    size_t n = 0;
    cr_assert_eq(store_breakdown(fx_store, PENSION, HZ, &p, &own, &kids, &n,
                                 err), ERR_OK, "%s", err);
    /* Every child, in catalog order: 15 with 下城区 and 江干区, whose
     * rows are nothing in 2025 (they ended in 2021-03). */
    cr_assert_eq(n, 15);
    expect(own, 1100, 0, 1, 1);
    const region_t *hz = catalog_region(fx_cat, (size_t)catalog_region_find(
                                                    fx_cat, HZ));
    int64_t sum = own.num;
    for (size_t i = 0; i < n; i++) {
        uint32_t code = catalog_region(fx_cat, (size_t)hz->children[i])->code;
        int64_t want = code == HZ_SC ? 300 : code == HZ_GS ? 50 : 0;
        cr_expect_eq(kids[i].num, want, "%u", code);
        cr_expect_eq(kids[i].expected,
                     code == 330103 || code == 330104 ? 0 : 1);
        sum += kids[i].num;
    }
    free(kids);
    cr_expect_eq(sum, fx_total(PENSION, HZ, "2025-Q1").num);
    expect(fx_total(PENSION, HZ, "2025-Q1"), 1450, 0, 3, 14);

    /* Province: own (nothing) + one total per city. */
    cr_assert_eq(store_breakdown(fx_store, PENSION, ZJ, &p, &own, &kids, &n,
                                 err), ERR_OK);
    cr_assert_eq(n, 11);
    expect(own, 0, 0, 0, 1);
    cr_expect_eq(kids[0].num, 1450);
    cr_expect_eq(kids[1].num, 7);
    free(kids);
    /* A county has no children. */
    cr_assert_eq(store_breakdown(fx_store, PENSION, HZ_SC, &p, &own, &kids,
                                 &n, err), ERR_OK);
    cr_expect_eq(n, 0);
    cr_expect_null(kids);
    expect(own, 300, 0, 1, 1);
}

Test(store, aggregates_rebuilt_when_the_region_tree_changes)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, HZ_GS, 202501, 50),
        fx_count(3, PROF, HZ_SC, 202501, 5),
        fx_count(4, SENIOR, HZ_SC, 202501, 6),
    };
    store_result_t r = fx_apply("a", u, 4);
    store_result_fini(&r);
    store_close(&fx_store);

    char err[ERR_LEN];
    char db[300];
    char catdir[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    snprintf(catdir, sizeof catdir, "%s/cat", fx_dir);
    fx_write_moved_catalog(catdir);
    catalog_t *moved = NULL;
    cr_assert_eq(catalog_load_dir(&moved, catdir, err), ERR_OK, "%s", err);
    cr_assert_eq(catalog_region(moved, (size_t)catalog_region(
                     moved, (size_t)catalog_region_find(moved, HZ_SC))
                     ->parent)->code, NB);

    /* Read-only cannot rebuild: it refuses and says why. */
    store_opts_t ro = {.readonly = 1};
    store_t *s = NULL;
    cr_expect_eq(store_open(&s, db, moved, &ro, err), ERR_VERSION);
    cr_expect(strstr(err, "catalog") != NULL, "%s", err);

    /* A writable open rebuilds the aggregates for the new tree. */
    catalog_destroy(&fx_cat);
    fx_cat = moved;
    cr_assert_eq(store_open(&fx_store, db, fx_cat, NULL, err), ERR_OK, "%s",
                 err);
    expect(fx_total(JOBS, HZ, "2025-01"), 50, 0, 1, 13);
    expect(fx_total(JOBS, NB, "2025-01"), 100, 0, 1, 12);
    expect(fx_total(JOBS, ZJ, "2025-01"), 150, 0, 2, 102);
    cr_expect_eq(violations(NULL, 0).n, 1, "violations survive a rebuild");
    verify();
}

/* Fill the store at @p db, opened with a map of exactly @p map bytes,
 * until not even one more update fits. @return the updates applied. */
static uint64_t fill_to_the_brim(const char *db, size_t map)
{
    static const uint32_t regions[] = {330102, 330105, 330106, 330108,
                                       330109, 330110, 330111, 330112,
                                       330203, 330205, 330206, 330211};
    /* Every count indicator, varying fastest: the aggregates a rebuild
     * must write again are then far more than the few pages a full map
     * still has free (one update's worth), whatever else each figure
     * costs (audit chain, tally). */
    const char *inds[64];
    size_t nind = 0;
    for (size_t i = 0; i < catalog_indicator_count(fx_cat) && nind < 64;
         i++) {
        const indicator_t *ind = catalog_indicator(fx_cat, i);
        if (ind->kind == IND_COUNT) {
            inds[nind++] = ind->code;
        }
    }
    cr_assert_gt(nind, 4);
    char err[ERR_LEN];
    store_opts_t o = {.map_size = map, .map_max = map};
    store_t *s = NULL;
    cr_assert_eq(store_open(&s, db, fx_cat, &o, err), ERR_OK, "%s", err);
    update_t u[200];
    uint64_t seq = 1;
    uint64_t applied = 0;
    size_t n = 200; /* then 20, then 1: until not even one more fits */
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            uint64_t k = seq + i - 1;
            uint32_t m = (uint32_t)(k / nind % 60);
            u[i] = fx_count(seq + i, inds[k % nind],
                            regions[k / (nind * 60) % 12],
                            (2021 + m / 12) * 100 + m % 12 + 1,
                            (int64_t)(k % 100000));
        }
        store_batch_t b = {"a", -1, 1764000000, FX_NOW_MONTH, u, n, NULL};
        store_result_t r;
        int rc = store_apply(s, &b, 1, &r, err);
        if (rc == ERR_FULL && n == 1) {
            break;
        }
        if (rc == ERR_FULL) {
            n /= n == 200 ? 10 : 20;
            continue;
        }
        cr_assert_eq(rc, ERR_OK, "%s", err);
        applied += r.applied;
        seq += n;
        store_result_fini(&r);
    }
    store_close(&s);
    return applied;
}

/* A catalog change on a store whose map is full: the rebuild used to run
 * in the opening transaction without map growth and stop the collector
 * ("storage full"), whatever --map-max-mib said. */
Test(store, a_rebuild_at_open_grows_the_map)
{
    char err[ERR_LEN];
    char db[300];
    char catdir[300];
    snprintf(db, sizeof db, "%s/full", fx_dir);
    snprintf(catdir, sizeof catdir, "%s/cat", fx_dir);
    uint64_t applied = fill_to_the_brim(db, 1 << 20);
    cr_assert_gt(applied, 1000, "only %llu updates fit in 1 MiB",
                 (unsigned long long)applied);
    fx_write_moved_catalog(catdir);
    catalog_t *moved = NULL;
    cr_assert_eq(catalog_load_dir(&moved, catdir, err), ERR_OK, "%s", err);
    store_close(&fx_store);
    catalog_destroy(&fx_cat);
    fx_cat = moved;
    /* At its limit, it says so and keeps the store as it was. */
    store_opts_t tight = {.map_size = 1 << 20, .map_max = 1 << 20};
    cr_expect_eq(store_open(&fx_store, db, fx_cat, &tight, err), ERR_FULL);
    cr_expect(strstr(err, "limit") != NULL, "%s", err);
    cr_assert_null(fx_store);
    /* With room to grow, it grows and rebuilds. */
    store_opts_t roomy = {.map_size = 1 << 20, .map_max = 16 << 20};
    cr_assert_eq(store_open(&fx_store, db, fx_cat, &roomy, err), ERR_OK,
                 "%s", err);
    verify();
    store_total_t t = fx_total(JOBS, NB, "2021..2025");
    cr_expect_gt(t.num, 0, "上城区 counts for 宁波市 now");
}

typedef struct rep_list {
    int n;
    char id[4][STORE_REPORTER_MAX + 1];
    store_reporter_t r[4];
} rep_list_t;

static int collect_rep(const store_reporter_t *rep, void *arg)
{
    rep_list_t *l = arg;
    if (l->n < 4) {
        snprintf(l->id[l->n], sizeof l->id[0], "%s", rep->id);
        l->r[l->n] = *rep;
    }
    l->n++;
    return 0;
}

static int count_rev(const store_revision_t *rev, void *arg)
{
    (void)rev;
    ++*(int *)arg;
    return 0;
}

Test(store, reporters_state_audit_trail_and_backup)
{
    update_t a[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 1),
        fx_count(2, JOBS, HZ_SC, 202513, 1), /* rejected */
        fx_count(3, JOBS, HZ_SC, 202501, 2),
    };
    store_result_t r = fx_apply("agent-a", a, 3);
    store_result_fini(&r);
    update_t b = fx_count(1, JOBS, NB_HS, 202501, 5);
    r = fx_apply("agent-b", &b, 1);
    store_result_fini(&r);

    char err[ERR_LEN];
    rep_list_t l = {0};
    cr_assert_eq(store_reporters(fx_store, collect_rep, &l, err), ERR_OK);
    cr_assert_eq(l.n, 2);
    cr_expect_str_eq(l.id[0], "agent-a");
    cr_expect_eq(l.r[0].next_seq, 4);
    cr_expect_eq(l.r[0].applied, 2);
    cr_expect_eq(l.r[0].rejected, 1);
    cr_expect_eq(l.r[0].last_contact, 1764000000);
    cr_expect_str_eq(l.id[1], "agent-b");
    cr_expect_eq(l.r[1].next_seq, 2);

    int n = 0;
    cr_assert_eq(store_audit(fx_store, 0, count_rev, &n, err), ERR_OK);
    cr_expect_eq(n, 3, "two accepted from a, one from b");

    char dest[300];
    snprintf(dest, sizeof dest, "%s/backup", fx_dir);
    cr_assert_eq(store_backup(fx_store, dest, err), ERR_OK, "%s", err);
    store_t *copy = NULL;
    cr_assert_eq(store_open(&copy, dest, fx_cat, NULL, err), ERR_OK, "%s",
                 err);
    period_t p;
    period_parse("2025-01", &p, err);
    store_total_t t;
    cr_assert_eq(store_total(copy, JOBS, ZJ, &p, &t, err), ERR_OK);
    cr_expect_eq(t.num, 7);
    cr_expect_eq(t.reporting, 2);
    cr_expect_eq(store_verify(copy, err), ERR_OK, "%s", err);
    store_close(&copy);
}

/* A backup runs a read transaction of its own for the whole copy; a map
 * growth in another thread meanwhile would unmap pages under it. Backups
 * in one thread while the writer grows the map several times must neither
 * crash nor fail. */
typedef struct backup_loop {
    store_t *st;
    const char *dir;
    volatile int stop;
    int done;
    int failed;
} backup_loop_t;

static void *backups(void *arg)
{
    backup_loop_t *bl = arg;
    char err[ERR_LEN];
    while (!bl->stop) {
        char dest[320];
        snprintf(dest, sizeof dest, "%s/bk%d", bl->dir, bl->done % 4);
        fx_rm_rf(dest);
        if (store_backup(bl->st, dest, err) != ERR_OK) {
            bl->failed++;
        }
        bl->done++;
    }
    return NULL;
}

Test(store, backup_and_map_growth_exclude_each_other)
{
    store_close(&fx_store);
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/grow", fx_dir);
    store_opts_t o = {.map_size = 256 << 10, .map_max = 256 << 20};
    cr_assert_eq(store_open(&fx_store, db, fx_cat, &o, err), ERR_OK, "%s",
                 err);
    backup_loop_t bl = {fx_store, fx_dir, 0, 0, 0};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, backups, &bl), 0);
    enum { N = 400 };
    update_t *u = calloc(N, sizeof *u);
    uint64_t seq = 1;
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < N; i++) {
            int k = round * N + i;
            u[i] = fx_count(seq + (uint64_t)i, JOBS,
                            open_region(k),
                            (uint32_t)((2000 + (k / 100) / 12) * 100 +
                                       (k / 100) % 12 + 1),
                            1);
        }
        store_batch_t b = {"grow", -1, 1, FX_NOW_MONTH, u, N, NULL};
        store_result_t r;
        cr_assert_eq(store_apply(fx_store, &b, 1, &r, err), ERR_OK, "%s",
                     err);
        store_result_fini(&r);
        seq += N;
    }
    bl.stop = 1;
    pthread_join(th, NULL);
    free(u);
    cr_expect(bl.done > 0, "no backup ran");
    cr_expect_eq(bl.failed, 0, "%d of %d backups failed", bl.failed,
                 bl.done);
    verify();
}

/* Damaged records on disk come back as ERR_CORRUPT from every reader and
 * from the write path: never an assertion, never a crash. */
static void damage(const char *db, const char *table, const void *key,
                   size_t klen, const void *val, size_t vlen)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), MDB_SUCCESS);
    mdb_env_set_maxdbs(env, 16);
    cr_assert_eq(mdb_env_open(env, db, MDB_NOTLS, 0640), MDB_SUCCESS);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), MDB_SUCCESS);
    cr_assert_eq(mdb_dbi_open(txn, table, 0, &dbi), MDB_SUCCESS);
    MDB_val k = {klen, (void *)(uintptr_t)key};
    MDB_val d = {vlen, (void *)(uintptr_t)val};
    if (key == NULL) { /* the first record, value cut by one byte */
        MDB_cursor *cur = NULL;
        cr_assert_eq(mdb_cursor_open(txn, dbi, &cur), MDB_SUCCESS);
        cr_assert_eq(mdb_cursor_get(cur, &k, &d, MDB_FIRST), MDB_SUCCESS);
        unsigned char cut[256];
        cr_assert(d.mv_size > 1 && d.mv_size <= sizeof cut);
        memcpy(cut, d.mv_data, d.mv_size - 1);
        d.mv_size--;
        d.mv_data = cut;
        cr_assert_eq(mdb_cursor_put(cur, &k, &d, MDB_CURRENT), MDB_SUCCESS);
        mdb_cursor_close(cur);
    } else {
        cr_assert_eq(mdb_put(txn, dbi, &k, &d, 0), MDB_SUCCESS);
    }
    cr_assert_eq(mdb_txn_commit(txn), MDB_SUCCESS);
    mdb_env_close(env);
}

static int no_fact(const store_fact_t *f, void *arg)
{
    (void)f;
    (void)arg;
    return 0;
}

static int no_rej(const store_rejected_t *r, void *arg)
{
    (void)r;
    (void)arg;
    return 0;
}

static int no_rep(const store_reporter_t *r, void *arg)
{
    (void)r;
    (void)arg;
    return 0;
}

Test(store, damaged_records_are_corrupt_not_a_crash)
{
    update_t u = fx_count(1, JOBS, HZ_SC, 202501, 5);
    store_result_t r = fx_apply("a", &u, 1);
    store_result_fini(&r);
    store_close(&fx_store);
    char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    damage(db, "facts", NULL, 0, NULL, 0);
    damage(db, "reporters", "\x01" "bad", 4, "\x01\x00", 2);
    damage(db, "rejects", "\x01\0\0\0\0\0\0\0\x01", 9, "\x02", 1);
    char err[ERR_LEN];
    cr_assert_eq(store_open(&fx_store, db, fx_cat, NULL, err), ERR_OK, "%s",
                 err);

    value_t v;
    cr_expect_eq(store_facts(fx_store, INT32_MIN, INT32_MAX, no_fact, NULL,
                             err),
                 ERR_CORRUPT);
    cr_expect_eq(store_get(fx_store, JOBS, HZ_SC, 2025 * 12, &v, err),
                 ERR_CORRUPT);
    period_t p;
    store_total_t t;
    period_parse("2025-01..2025-02", &p, err);
    cr_expect_eq(store_total(fx_store, JOBS, HZ, &p, &t, err), ERR_CORRUPT);
    cr_expect_eq(t.num, 0, "outputs cleared on failure");
    cr_expect_eq(store_rejections(fx_store, 0, no_rej, NULL, err),
                 ERR_CORRUPT);
    cr_expect_eq(store_reporters(fx_store, no_rep, NULL, err), ERR_CORRUPT);
    uint64_t next = 0;
    cr_expect_eq(store_next_seq(fx_store, "bad", &next, err), ERR_CORRUPT);

    store_result_t res;
    update_t again = fx_count(2, JOBS, HZ_SC, 202502, 6);
    store_batch_t b = {"a", -1, 1, FX_NOW_MONTH, &again, 1, NULL};
    cr_expect_eq(store_apply(fx_store, &b, 1, &res, err), ERR_CORRUPT,
                 "the cell's year holds a damaged fact");
    cr_expect_eq(res.applied, 0);
    store_batch_t b2 = {"bad", -1, 1, FX_NOW_MONTH, &u, 1, NULL};
    cr_expect_eq(store_apply(fx_store, &b2, 1, &res, err), ERR_CORRUPT,
                 "the reporter's record is damaged");
    cr_expect_eq(store_verify(fx_store, err), ERR_CORRUPT);
}

/* ---------------------------------------------------------------------- */
/* what a hostile reporter can make the store keep (issue 8, item 5)      */

static int count_reporters(void)
{
    rep_list_t l = {0};
    char err[ERR_LEN];
    cr_assert_eq(store_reporters(fx_store, collect_rep, &l, err), ERR_OK,
                 "%s", err);
    return l.n;
}

/* Apply one batch from @p reporter received at @p at. */
static store_result_t apply_at(const char *reporter, const update_t *u,
                               size_t n, int64_t at)
{
    char err[ERR_LEN];
    store_batch_t b = {reporter, -1, at, FX_NOW_MONTH, u, n, NULL};
    store_result_t res;
    cr_assert_eq(store_apply(fx_store, &b, 1, &res, err), ERR_OK, "%s", err);
    return res;
}

/* An empty batch from a name never seen made a reporter record that was
 * kept for ever: a peer could fill the store with names alone. */
Test(store, a_batch_that_consumes_no_number_creates_no_reporter)
{
    store_result_t r = apply_at("ghost", NULL, 0, 1000);
    cr_expect_eq(r.status, STORE_BATCH_OK);
    cr_expect_eq(r.next_seq, 1);
    store_result_fini(&r);
    cr_expect_eq(count_reporters(), 0, "an empty batch made a reporter");

    /* A batch that skips ahead of a new name's seq 1 consumes nothing
     * either. */
    update_t g = fx_count(5, JOBS, HZ_SC, 202501, 1);
    r = apply_at("ghost-2", &g, 1, 1000);
    cr_expect_eq(r.status, STORE_BATCH_GAP);
    cr_expect_eq(r.next_seq, 1);
    store_result_fini(&r);
    cr_expect_eq(count_reporters(), 0, "a gap made a reporter");

    /* An existing reporter's empty batch or gap only refreshes its last
     * contact. */
    update_t u = fx_count(1, JOBS, HZ_SC, 202501, 1);
    r = apply_at("real", &u, 1, 1000);
    store_result_fini(&r);
    r = apply_at("real", NULL, 0, 2000);
    cr_expect_eq(r.next_seq, 2);
    store_result_fini(&r);
    rep_list_t l = {0};
    char err[ERR_LEN];
    cr_assert_eq(store_reporters(fx_store, collect_rep, &l, err), ERR_OK);
    cr_assert_eq(l.n, 1);
    cr_expect_str_eq(l.id[0], "real");
    cr_expect_eq(l.r[0].first_seen, 1000);
    cr_expect_eq(l.r[0].last_contact, 2000);
    cr_expect_eq(l.r[0].next_seq, 2);
    r = apply_at("real", &g, 1, 3000);
    cr_expect_eq(r.status, STORE_BATCH_GAP);
    store_result_fini(&r);
    l.n = 0;
    cr_assert_eq(store_reporters(fx_store, collect_rep, &l, err), ERR_OK);
    cr_expect_eq(l.r[0].last_contact, 3000);
    verify();
}

/* The stored rejections, oldest first: each reporter's seqs. */
typedef struct rej_seqs {
    size_t n;
    char reporter[2048][8];
    uint64_t seq[2048];
    uint64_t id[2048];
} rej_seqs_t;

static int collect_rej_seq(const store_rejected_t *rj, void *arg)
{
    rej_seqs_t *l = arg;
    if (l->n < 2048) {
        snprintf(l->reporter[l->n], sizeof l->reporter[0], "%s",
                 rj->reporter);
        l->seq[l->n] = rj->seq;
        l->id[l->n] = rj->id;
    }
    l->n++;
    return 0;
}

/* The seqs of @p reporter's stored rejections, in a string "3 4 5". */
static const char *stored_seqs(const char *reporter)
{
    static rej_seqs_t l;
    static char out[4096];
    char err[ERR_LEN];
    memset(&l, 0, sizeof l);
    cr_assert_eq(store_rejections(fx_store, 0, collect_rej_seq, &l, err),
                 ERR_OK, "%s", err);
    size_t len = 0;
    out[0] = '\0';
    uint64_t last_id = 0;
    for (size_t i = 0; i < l.n && i < 2048; i++) {
        cr_assert_gt(l.id[i], last_id, "rejection ids keep growing");
        last_id = l.id[i];
        if (strcmp(l.reporter[i], reporter) == 0 && len < sizeof out - 24) {
            len += (size_t)snprintf(out + len, sizeof out - len, "%s%llu",
                                    len > 0 ? " " : "",
                                    (unsigned long long)l.seq[i]);
        }
    }
    return out;
}

static void reopen(const store_opts_t *o)
{
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    store_close(&fx_store);
    cr_assert_eq(store_open(&fx_store, db, fx_cat, o, err), ERR_OK, "%s",
                 err);
}

/* @p n updates from @p first with an unknown indicator: all rejected. */
static update_t *rejected_updates(uint64_t first, size_t n)
{
    update_t *u = calloc(n, sizeof *u);
    cr_assert_not_null(u);
    for (size_t i = 0; i < n; i++) {
        u[i] = fx_count(first + i, "no_such_indicator", HZ_SC, 202501, 1);
    }
    return u;
}

static uint64_t rejected_count(const char *reporter)
{
    rep_list_t l = {0};
    char err[ERR_LEN];
    cr_assert_eq(store_reporters(fx_store, collect_rep, &l, err), ERR_OK);
    for (int i = 0; i < l.n && i < 4; i++) {
        if (strcmp(l.id[i], reporter) == 0) {
            return l.r[i].rejected;
        }
    }
    cr_assert_fail("no reporter %s", reporter);
    return 0;
}

/* Rejections were kept for ever: 22.7 MB of rejected updates filled a
 * 64 MiB map in 1.5 s, and then every genuine agent got ACK_RETRY. Each
 * reporter now keeps its newest max_rejections; all of them are still
 * counted and reported to the agent. */
Test(store, each_reporter_keeps_only_its_newest_rejections)
{
    store_opts_t o = {.max_rejections = 3};
    reopen(&o);
    update_t *u = rejected_updates(1, 5);
    store_result_t r = apply_at("a", u, 5, 1000);
    cr_expect_eq(r.rejected, 5, "every rejection is reported");
    cr_expect_eq(r.next_seq, 6);
    store_result_fini(&r);
    cr_expect_str_eq(stored_seqs("a"), "3 4 5");
    cr_expect_eq(rejected_count("a"), 5, "every rejection is counted");
    free(u);

    /* Another reporter has a cap of its own. */
    u = rejected_updates(1, 2);
    r = apply_at("b", u, 2, 1000);
    store_result_fini(&r);
    free(u);
    cr_expect_str_eq(stored_seqs("b"), "1 2");
    cr_expect_str_eq(stored_seqs("a"), "3 4 5");

    /* Later ones push the oldest out, across batches and groups. */
    update_t more[] = {
        fx_count(6, "no_such_indicator", HZ_SC, 202501, 1),
        fx_count(7, JOBS, HZ_SC, 202501, 1), /* applied */
        fx_count(8, JOBS, HZ_SC, 202513, 1), /* bad month */
    };
    r = apply_at("a", more, 3, 2000);
    cr_expect_eq(r.rejected, 2);
    cr_expect_eq(r.applied, 1);
    store_result_fini(&r);
    cr_expect_str_eq(stored_seqs("a"), "5 6 8");
    cr_expect_eq(rejected_count("a"), 7);
    cr_expect_str_eq(stored_seqs("b"), "1 2");
    verify();

    /* The cap holds across a restart, and one group of many batches from
     * the same reporter keeps it too. */
    reopen(&o);
    update_t *x = rejected_updates(9, 4);
    update_t *y = rejected_updates(13, 4);
    store_batch_t bs[2] = {{"a", -1, 3000, FX_NOW_MONTH, x, 4, NULL},
                           {"a", -1, 3000, FX_NOW_MONTH, y, 4, NULL}};
    store_result_t rs[2];
    char err[ERR_LEN];
    cr_assert_eq(store_apply(fx_store, bs, 2, rs, err), ERR_OK, "%s", err);
    cr_expect_eq(rs[0].rejected + rs[1].rejected, 8);
    store_result_fini(&rs[0]);
    store_result_fini(&rs[1]);
    free(x);
    free(y);
    cr_expect_str_eq(stored_seqs("a"), "14 15 16");
    cr_expect_eq(rejected_count("a"), 15);
}

Test(store, the_default_cap_is_1000_rejections_per_reporter)
{
    enum { N = 1001 };
    update_t *u = rejected_updates(1, N);
    store_result_t r = apply_at("a", u, N, 1000);
    cr_expect_eq(r.rejected, N);
    store_result_fini(&r);
    free(u);
    const char *s = stored_seqs("a");
    cr_expect(strncmp(s, "2 3 4 ", 6) == 0, "%.40s", s);
    cr_expect(strstr(s, " 1001") != NULL);
    rej_seqs_t *l = calloc(1, sizeof *l);
    char err[ERR_LEN];
    cr_assert_eq(store_rejections(fx_store, 0, collect_rej_seq, l, err),
                 ERR_OK);
    cr_expect_eq(l->n, 1000);
    free(l);
    cr_expect_eq(rejected_count("a"), N);
}

/* A lower cap takes effect at the next open: the oldest go at once. */
Test(store, a_lower_cap_trims_at_the_next_open)
{
    update_t *u = rejected_updates(1, 6);
    store_result_t r = apply_at("a", u, 6, 1000);
    store_result_fini(&r);
    free(u);
    cr_expect_str_eq(stored_seqs("a"), "1 2 3 4 5 6");
    store_opts_t o = {.max_rejections = 2};
    reopen(&o);
    cr_expect_str_eq(stored_seqs("a"), "5 6");
    /* A read-only open changes nothing. */
    store_opts_t ro = {.readonly = 1, .max_rejections = 1};
    reopen(&ro);
    cr_expect_str_eq(stored_seqs("a"), "5 6");
    reopen(&o);
    u = rejected_updates(7, 1);
    r = apply_at("a", u, 1, 2000);
    store_result_fini(&r);
    free(u);
    cr_expect_str_eq(stored_seqs("a"), "6 7");
    verify();
}

/* A store written before the cap existed has rejections in no index: it
 * opens, they are indexed and trimmed like any others. Simulated by
 * removing the index and its meta key with LMDB itself. */
Test(store, rejections_from_before_the_cap_are_indexed_at_open)
{
    update_t *u = rejected_updates(1, 10);
    store_result_t r = apply_at("a", u, 10, 1000);
    store_result_fini(&r);
    free(u);
    u = rejected_updates(1, 2);
    r = apply_at("b", u, 2, 1000);
    store_result_fini(&r);
    free(u);
    store_close(&fx_store);

    char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi idx;
    MDB_dbi meta;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, (size_t)64 << 20);
    cr_assert_eq(mdb_env_open(env, db, 0, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "rejby", 0, &idx), 0);
    cr_assert_eq(mdb_drop(txn, idx, 1), 0);
    cr_assert_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    MDB_val k = {strlen("rejidx_next"), (void *)(uintptr_t)"rejidx_next"};
    cr_assert_eq(mdb_del(txn, meta, &k, NULL), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    store_opts_t o = {.max_rejections = 4};
    reopen(&o);
    cr_expect_str_eq(stored_seqs("a"), "7 8 9 10");
    cr_expect_str_eq(stored_seqs("b"), "1 2");
    u = rejected_updates(11, 1);
    r = apply_at("a", u, 1, 2000);
    store_result_fini(&r);
    free(u);
    cr_expect_str_eq(stored_seqs("a"), "8 9 10 11");
    verify();
}
