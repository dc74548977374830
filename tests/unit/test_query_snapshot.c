/* test_query_snapshot.c: which read transactions an answer takes (issue
 * 10). Linked with the LMDB fault shim only to count mdb_txn_begin:
 * a completeness answer is read in one transaction, so it is one
 * snapshot, and a store pinned for a run (hrssctl --data-dir) answers
 * every question of it, pages included, from the snapshot it pinned. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "mdbfault.h"
#include "proto/hrss.pb-c.h"
#include "store/query.h"
#include "store_fixture.h"

#define ZJ 330000u    /* 浙江省 */
#define HZ_SC 330102u /* 上城区 */
#define NB_HS 330203u /* 海曙区 */
#define JOBS "urban_new_jobs"

TestSuite(qsnap, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

static Hrss__QueryResponse *ask(const Hrss__QueryRequest *q)
{
    size_t n = hrss__query_request__get_packed_size(q);
    uint8_t *b = xmalloc(n);
    hrss__query_request__pack(q, b);
    buf_t out;
    buf_init(&out);
    query_answer(fx_store, NULL, b, n, &out);
    free(b);
    Hrss__QueryResponse *r =
        hrss__query_response__unpack(NULL, out.len, out.data);
    buf_fini(&out);
    cr_assert_not_null(r);
    cr_assert_eq(r->code, HRSS__QUERY_STATUS__QUERY_OK, "%s",
                 r->error != NULL ? r->error : "");
    return r;
}

static Hrss__QueryResponse *ask_completeness(char *period)
{
    Hrss__CompletenessQ c = HRSS__COMPLETENESS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    c.period = period;
    q.q_case = HRSS__QUERY_REQUEST__Q_COMPLETENESS;
    q.completeness = &c;
    return ask(&q);
}

/* Every fact from its pages of at most @p limit items; @return how many
 * and how many pages, and the value of (JOBS, HZ_SC, 2025-01) in *v. */
static size_t facts_in_pages(uint32_t limit, size_t *pages, int64_t *v)
{
    Hrss__FactsQ f = HRSS__FACTS_Q__INIT;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_FACTS;
    q.facts = &f;
    f.has_limit = 1;
    f.limit = limit;
    buf_t after;
    buf_init(&after);
    size_t n = 0;
    *pages = 0;
    for (;;) {
        Hrss__QueryResponse *r = ask(&q);
        (*pages)++;
        for (size_t i = 0; i < r->facts->n_facts; i++) {
            const Hrss__Fact *x = r->facts->facts[i];
            if (strcmp(x->indicator, JOBS) == 0 && x->region == HZ_SC &&
                x->month == 202501) {
                *v = x->numerator;
            }
        }
        n += r->facts->n_facts;
        int more = r->facts->has_next;
        if (more) {
            buf_reset(&after);
            buf_put(&after, r->facts->next.data, r->facts->next.len);
            f.has_after = 1;
            f.after.data = after.data;
            f.after.len = after.len;
        }
        hrss__query_response__free_unpacked(r, NULL);
        if (!more) {
            break;
        }
    }
    buf_fini(&after);
    return n;
}

static void seed(void)
{
    update_t u[] = {
        fx_count(1, JOBS, HZ_SC, 202501, 100),
        fx_count(2, JOBS, NB_HS, 202501, 200),
        fx_count(3, "vocational_skill_training", HZ_SC, 202501, 7),
        fx_count(4, JOBS, HZ_SC, 202502, 5),
        fx_count(5, JOBS, NB_HS, 202412, 5),
    };
    store_result_t res = fx_apply("seed", u, sizeof u / sizeof u[0]);
    store_result_fini(&res);
}

/* Was: one transaction per region and indicator (19 x 102 here, 59,000
 * at national scale), so the answer was no snapshot. */
Test(qsnap, a_completeness_answer_is_read_in_one_transaction)
{
    seed();
    mdbfault_reset();
    Hrss__QueryResponse *r = ask_completeness("2025-01");
    unsigned long txns = mdbfault_calls(MDBFAULT_TXN_BEGIN);
    cr_assert_eq(r->completeness->n_regions, 102);
    size_t reported = 0;
    for (size_t i = 0; i < r->completeness->n_regions; i++) {
        const Hrss__RegionCompleteness *c = r->completeness->regions[i];
        cr_assert_eq(c->n_reported + c->n_missing, 19);
        reported += c->n_reported;
        if (c->region == HZ_SC) {
            cr_expect_eq(c->n_reported, 2);
        }
    }
    cr_expect_eq(reported, 3);
    hrss__query_response__free_unpacked(r, NULL);
    cr_expect_eq(txns, 1, "the answer began %lu transactions", txns);
}

/* A pinned store answers from the snapshot it pinned, whatever is
 * written meanwhile, and begins no transaction of its own. */
Test(qsnap, a_pinned_store_answers_every_page_from_one_snapshot)
{
    seed();
    char err[ERR_LEN];
    cr_assert_eq(store_pin(fx_store, err), ERR_OK, "%s", err);
    update_t u[] = {fx_count(6, JOBS, HZ_SC, 202501, 999),
                    fx_count(7, JOBS, ZJ, 202503, 1)};
    store_result_t res = fx_apply("seed", u, 2);
    store_result_fini(&res);

    mdbfault_reset();
    size_t pages = 0;
    int64_t v = 0;
    size_t n = facts_in_pages(1, &pages, &v);
    Hrss__QueryResponse *c = ask_completeness("2025-01");
    hrss__query_response__free_unpacked(c, NULL);
    store_total_t t = fx_total(JOBS, ZJ, "2025-01");
    cr_expect_eq(mdbfault_calls(MDBFAULT_TXN_BEGIN), 0);
    cr_expect_eq(n, 5, "%zu facts: the write after the pin is seen", n);
    cr_expect_geq(pages, 5);
    cr_expect_eq(v, 100);
    cr_expect_eq(t.num, 300);

    store_unpin(fx_store);
    n = facts_in_pages(2, &pages, &v);
    cr_expect_eq(n, 6);
    cr_expect_eq(v, 999);
    cr_expect_eq(fx_total(JOBS, ZJ, "2025-01").num, 1199);
    store_unpin(fx_store); /* harmless */
}
