/* test_query_comment.c: CommentQ, FollowupsQ and the comments of a
 * history answer, through query_answer() and packed protobuf: who may
 * comment (plain collector with a name, an admin key within its scope;
 * not a reader, not a nameless admin as the fuzz target runs), the
 * answers' contents and pages. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "proto/hrss.pb-c.h"
#include "store/query.h"
#include "store_fixture.h"

TestSuite(qcomment, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

static Hrss__QueryResponse *ask(const query_ctx_t *ctx,
                                const Hrss__QueryRequest *q)
{
    size_t n = hrss__query_request__get_packed_size(q);
    uint8_t *b = xmalloc(n);
    hrss__query_request__pack(q, b);
    buf_t out;
    buf_init(&out);
    query_answer(fx_store, ctx, b, n, &out);
    free(b);
    Hrss__QueryResponse *r =
        hrss__query_response__unpack(NULL, out.len, out.data);
    buf_fini(&out);
    cr_assert_not_null(r);
    return r;
}

static Hrss__QueryResponse *comment(const query_ctx_t *ctx, char *ind,
                                    uint32_t region, char *month, char *text,
                                    char *mark, char *by)
{
    Hrss__CommentQ c = HRSS__COMMENT_Q__INIT;
    c.indicator = ind;
    c.region = region;
    c.month = month;
    c.text = text;
    c.mark = mark;
    c.by = by;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_COMMENT;
    q.comment = &c;
    return ask(ctx, &q);
}

static void fails(Hrss__QueryResponse *r, int code, const char *msg)
{
    cr_expect_eq(r->code, code, "code %d: %s", r->code,
                 r->error != NULL ? r->error : "");
    cr_expect_str_eq(r->error != NULL ? r->error : "", msg);
    hrss__query_response__free_unpacked(r, NULL);
}

static const query_ctx_t plain = {.role = QUERY_ROLE_ADMIN, .plain = 1};

Test(qcomment, who_may_comment)
{
    /* The fuzz target's context: an admin with no name. */
    const query_ctx_t nameless = {.role = QUERY_ROLE_ADMIN};
    fails(comment(&nameless, "urban_new_jobs", 330102, "2025-10", "x", NULL,
                  NULL),
          HRSS__QUERY_STATUS__QUERY_DENIED,
          "comments need an admin key whose regions cover the region (the "
          "collector's admins file)");
    const query_ctx_t reader = {.role = QUERY_ROLE_READ, .who = "r"};
    fails(comment(&reader, "urban_new_jobs", 330102, "2025-10", "x", NULL,
                  NULL),
          HRSS__QUERY_STATUS__QUERY_DENIED,
          "comments need an admin key whose regions cover the region (the "
          "collector's admins file)");
    fails(comment(&plain, "urban_new_jobs", 330102, "2025-10", "x", NULL,
                  NULL),
          HRSS__QUERY_STATUS__QUERY_INVAL,
          "a plain collector takes comments under a name: give --as NAME");
    /* An admin key: its own name, within its regions; no --as. */
    size_t n = catalog_region_count(fx_cat);
    unsigned char *scope = calloc(n, 1);
    int hz = catalog_region_find(fx_cat, 330100);
    for (size_t i = 0; i < n; i++) {
        scope[i] = (unsigned char)catalog_region_within(fx_cat, (int)i, hz);
    }
    const query_ctx_t admin = {.role = QUERY_ROLE_ADMIN, .who = "hz",
                               .scope = scope};
    fails(comment(&admin, "urban_new_jobs", 330102, "2025-10", "x", NULL,
                  "li"),
          HRSS__QUERY_STATUS__QUERY_INVAL,
          "--as NAME is for a plain collector: this one takes the admin "
          "key's own name");
    fails(comment(&admin, "urban_new_jobs", 330203, "2025-10", "x",
                  "follow-up", NULL),
          HRSS__QUERY_STATUS__QUERY_DENIED,
          "follow-up urban_new_jobs 330203 2025-10: hz may not: its scope "
          "does not cover 330203");
    Hrss__QueryResponse *r = comment(&admin, "城镇新增就业人数", 330102,
                                     "2025-10", "请核实", "follow-up", NULL);
    cr_assert_eq(r->code, 0, "%s", r->error);
    cr_assert_eq(r->r_case, HRSS__QUERY_RESPONSE__R_COMMENTS);
    cr_assert_eq(r->comments->n_comments, 1);
    const Hrss__Comment *c = r->comments->comments[0];
    cr_expect_eq(c->id, 1);
    cr_expect_str_eq(c->indicator, "urban_new_jobs");
    cr_expect_eq(c->region, 330102);
    cr_expect_eq(c->month, 202510);
    cr_expect_str_eq(c->by, "hz");
    cr_expect_str_eq(c->text, "请核实");
    cr_expect_str_eq(c->mark, "follow-up");
    hrss__query_response__free_unpacked(r, NULL);
    free(scope);
}

Test(qcomment, bad_requests_say_why)
{
    fails(comment(&plain, "urban_new_jobs", 330102, "2025-13", "x", NULL,
                  "li"),
          HRSS__QUERY_STATUS__QUERY_INVAL,
          "bad month '2025-13': month must be 01..12, year 1900..9999");
    fails(comment(&plain, "nope", 330102, "2025-10", "x", NULL, "li"),
          HRSS__QUERY_STATUS__QUERY_NOTFOUND,
          "unknown indicator 'nope'");
    fails(comment(&plain, "urban_new_jobs", 330199, "2025-10", "x", NULL,
                  "li"),
          HRSS__QUERY_STATUS__QUERY_NOTFOUND,
          "unknown region 330199");
    fails(comment(&plain, "urban_new_jobs", 330102, "2025-10", "x", "done",
                  "li"),
          HRSS__QUERY_STATUS__QUERY_INVAL,
          "'done' is not a mark: follow-up or resolve (or none)");
}

static Hrss__QueryResponse *history(char *month, int has_after,
                                    ProtobufCBinaryData after, uint32_t limit)
{
    Hrss__HistoryQ h = HRSS__HISTORY_Q__INIT;
    h.indicator = "urban_new_jobs";
    h.region = 330102;
    h.month = month;
    h.has_after = has_after;
    h.after = after;
    h.has_limit = limit > 0;
    h.limit = limit;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_HISTORY;
    q.history = &h;
    const query_ctx_t reader = {.role = QUERY_ROLE_READ};
    return ask(&reader, &q);
}

Test(qcomment, history_carries_the_comments_in_its_first_page)
{
    update_t a = fx_count(1, "urban_new_jobs", 330102, 202510, 100);
    update_t b = fx_count(2, "urban_new_jobs", 330102, 202510, 400);
    store_result_t res = fx_apply("office", &a, 1);
    store_result_fini(&res);
    res = fx_apply("office", &b, 1);
    store_result_fini(&res);
    Hrss__QueryResponse *r = comment(&plain, "urban_new_jobs", 330102,
                                     "2025-10", "four times more?",
                                     "follow-up", "li");
    hrss__query_response__free_unpacked(r, NULL);
    r = comment(&plain, "urban_new_jobs", 330102, "2025-10", "typo, fixed",
                "resolve", "wang");
    hrss__query_response__free_unpacked(r, NULL);
    ProtobufCBinaryData none = {0, NULL};
    r = history("2025-10", 0, none, 1);
    cr_assert_eq(r->code, 0, "%s", r->error);
    cr_assert_eq(r->history->n_revisions, 1);
    cr_assert_eq(r->history->n_comments, 2);
    cr_expect_str_eq(r->history->comments[0]->text, "four times more?");
    cr_expect_str_eq(r->history->comments[0]->mark, "follow-up");
    cr_expect_str_eq(r->history->comments[1]->by, "wang");
    cr_expect_str_eq(r->history->comments[1]->mark, "resolve");
    cr_expect_eq(r->history->revisions[0]->new_numerator, 100);
    cr_assert(r->history->has_next);
    Hrss__QueryResponse *r2 = history("2025-10", 1, r->history->next, 1);
    cr_assert_eq(r2->code, 0, "%s", r2->error);
    cr_expect_eq(r2->history->n_revisions, 1);
    cr_expect_eq(r2->history->n_comments, 0);
    cr_expect_eq(r2->history->revisions[0]->new_numerator, 400);
    hrss__query_response__free_unpacked(r2, NULL);
    hrss__query_response__free_unpacked(r, NULL);
    /* A cell with comments and no figure. */
    r = comment(&plain, "urban_new_jobs", 330102, "2025-09", "not reported",
                NULL, "li");
    hrss__query_response__free_unpacked(r, NULL);
    r = history("2025-09", 0, none, 0);
    cr_expect_eq(r->history->n_revisions, 0);
    cr_expect_eq(r->history->n_comments, 1);
    hrss__query_response__free_unpacked(r, NULL);
}

static Hrss__QueryResponse *followups(char *period, uint32_t region,
                                      int has_after,
                                      ProtobufCBinaryData after,
                                      uint32_t limit)
{
    Hrss__FollowupsQ f = HRSS__FOLLOWUPS_Q__INIT;
    f.period = period;
    f.has_region = region != 0;
    f.region = region;
    f.has_after = has_after;
    f.after = after;
    f.has_limit = limit > 0;
    f.limit = limit;
    Hrss__QueryRequest q = HRSS__QUERY_REQUEST__INIT;
    q.q_case = HRSS__QUERY_REQUEST__Q_FOLLOWUPS;
    q.followups = &f;
    const query_ctx_t reader = {.role = QUERY_ROLE_READ};
    return ask(&reader, &q);
}

Test(qcomment, followups_come_in_pages)
{
    uint32_t regions[] = {330102, 330105, 330203};
    for (size_t i = 0; i < 3; i++) {
        Hrss__QueryResponse *r = comment(&plain, "urban_new_jobs",
                                         regions[i], "2025-10", "check",
                                         "follow-up", "li");
        cr_assert_eq(r->code, 0, "%s", r->error);
        hrss__query_response__free_unpacked(r, NULL);
    }
    Hrss__QueryResponse *r = comment(&plain, "urban_new_jobs", 330105,
                                     "2025-10", "asked", NULL, "wang");
    hrss__query_response__free_unpacked(r, NULL);
    ProtobufCBinaryData none = {0, NULL};
    r = followups(NULL, 0, 0, none, 2);
    cr_assert_eq(r->code, 0, "%s", r->error);
    cr_assert_eq(r->comments->n_followups, 2);
    cr_expect_eq(r->comments->followups[0]->newest->region, 330102);
    cr_expect_eq(r->comments->followups[1]->newest->region, 330105);
    cr_expect_str_eq(r->comments->followups[1]->newest->by, "wang");
    cr_expect_str_eq(r->comments->followups[1]->newest->text, "asked");
    cr_expect_str_eq(r->comments->followups[1]->marked->by, "li");
    cr_expect_eq(r->comments->followups[1]->marked->id, 1);
    cr_assert(r->comments->has_next);
    Hrss__QueryResponse *r2 = followups(NULL, 0, 1, r->comments->next, 2);
    cr_assert_eq(r2->code, 0, "%s", r2->error);
    cr_assert_eq(r2->comments->n_followups, 1);
    cr_expect_eq(r2->comments->followups[0]->newest->region, 330203);
    cr_expect_not(r2->comments->has_next);
    hrss__query_response__free_unpacked(r2, NULL);
    hrss__query_response__free_unpacked(r, NULL);
    r = followups("2025-10", 330200, 0, none, 0);
    cr_assert_eq(r->code, 0, "%s", r->error);
    cr_expect_eq(r->comments->n_followups, 1);
    hrss__query_response__free_unpacked(r, NULL);
    r = followups("2025-11", 0, 0, none, 0);
    cr_expect_eq(r->comments->n_followups, 0);
    hrss__query_response__free_unpacked(r, NULL);
}
