/* test_try.c: store_try(), the dry run behind `hrss-agent submit
 * --dry-run`: what each figure would meet (rules, a locked month, an "of
 * which" figure above its whole), and nothing kept. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/period.h"
#include "store_fixture.h"

TestSuite(try, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

static uint64_t next_seq(const char *reporter)
{
    uint64_t n = 0;
    char err[ERR_LEN];
    cr_assert_eq(store_next_seq(fx_store, reporter, &n, err), ERR_OK, "%s",
                 err);
    return n;
}

static int count_audit(const store_revision_t *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

Test(try, says_what_each_figure_would_meet_and_keeps_nothing)
{
    update_t before[] = {
        fx_count(1, "professional_technical_talent", 330102, 202510, 50),
        fx_count(2, "urban_new_jobs", 330105, 202510, 7),
    };
    store_result_t r = fx_apply("office", before, 2);
    store_result_fini(&r);
    char err[ERR_LEN];
    store_approval_req_t rq = {STORE_APPROVE, 330105, 2025 * 12 + 9, "li",
                               1762000000, NULL};
    cr_assert_eq(store_approval_act(fx_store, &rq, NULL, err), ERR_OK, "%s",
                 err);
    /* seqs are ignored: the office's numbers do not move. */
    update_t u[] = {
        fx_count(90, "urban_new_jobs", 330102, 202510, 100),
        fx_count(91, "urban_new_jobs", 330102, 203001, 1),
        fx_count(92, "senior_title_talent", 330102, 202510, 60),
        fx_count(93, "urban_new_jobs", 330105, 202510, 8),
        fx_ratio(94, "urban_new_jobs", 330102, 202511, 1, 2),
    };
    store_batch_t b = {"office", -1, 1764000000, FX_NOW_MONTH, u, 5, NULL};
    store_try_item_t it[5];
    cr_assert_eq(store_try(fx_store, &b, it, err), ERR_OK, "%s", err);
    cr_expect_eq(it[0].rejected, 0);
    cr_expect_str_eq(it[0].note, "");
    cr_expect_eq(it[1].rejected, 1);
    cr_expect_eq(it[1].reason, UPDATE_FUTURE_MONTH);
    cr_expect_eq(it[2].rejected, 0);
    cr_expect_str_eq(it[2].note, "of which: senior_title_talent 60 would be "
                                 "above professional_technical_talent 50");
    cr_expect_eq(it[3].rejected, 1);
    cr_expect_eq(it[3].reason, UPDATE_PERIOD_LOCKED);
    cr_expect_str_eq(it[3].message, "period: 2025-10 of region 330105 is "
                                    "approved, so locked: changes need it "
                                    "unapproved first");
    cr_expect_eq(it[4].rejected, 1);
    cr_expect_eq(it[4].reason, UPDATE_WRONG_KIND);
    /* Nothing kept: numbers, figures, history, violations, rejections. */
    cr_expect_eq(next_seq("office"), 3);
    store_total_t t = fx_total("urban_new_jobs", 330102, "2025-10");
    cr_expect_eq(t.reporting, 0);
    int n = 0;
    cr_assert_eq(store_history(fx_store, "urban_new_jobs", 330102,
                               2025 * 12 + 9, count_audit, &n, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(n, 0);
    cr_expect_eq(next_seq("someone-new"), 1);
    cr_expect_eq(store_verify(fx_store, err), ERR_OK, "%s", err);
    /* A name never seen may try too, and is still never seen after. */
    b.reporter = "someone-new";
    cr_assert_eq(store_try(fx_store, &b, it, err), ERR_OK, "%s", err);
    cr_expect_eq(it[0].rejected, 0);
    cr_expect_eq(next_seq("someone-new"), 1);
}

Test(try, says_when_a_figure_would_be_an_outlier)
{
    update_t h[6];
    for (int i = 0; i < 6; i++) {
        h[i] = fx_count((uint64_t)i + 1, "urban_new_jobs", 330102,
                        (uint32_t)(202504 + i), 100 + i);
    }
    store_result_t r = fx_apply("office", h, 6);
    store_result_fini(&r);
    update_t u[] = {fx_count(1, "urban_new_jobs", 330102, 202510, 1000),
                    fx_count(2, "urban_new_jobs", 330102, 202511, 104)};
    store_batch_t b = {"office", -1, 1764000000, FX_NOW_MONTH, u, 2, NULL};
    store_try_item_t it[2];
    char err[ERR_LEN];
    cr_assert_eq(store_try(fx_store, &b, it, err), ERR_OK, "%s", err);
    cr_expect_eq(it[0].rejected, 0);
    cr_expect_str_eq(it[0].note, "outlier: 1000 against a median of 102.5 "
                                 "(modified z 403.6, the last 12 months)");
    cr_expect_str_eq(it[1].note, "");
    store_total_t t = fx_total("urban_new_jobs", 330102, "2025-10");
    cr_expect_eq(t.reporting, 0, "nothing kept");
}
