/* test_comment.c: comments on a cell and the cells marked for follow-up
 * (store/comment.c): the marks' rules, scopes, the text a comment may
 * have, the listings, and read-only and older stores. 上城区 is 330102
 * (杭州市 330100), 海曙区 330203 (宁波市 330200). */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/period.h"
#include "store_fixture.h"

TestSuite(comment, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

static const int32_t OCT = 2025 * 12 + 9; /* 2025-10 */

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

static int add(const char *ind, uint32_t region, int32_t month,
               enum store_comment_mark mark, const char *text,
               const char *by, const unsigned char *scope,
               store_comment_t *out, char err[ERR_LEN])
{
    store_comment_req_t rq = {ind, region, month, text, mark, by,
                              1762000000, scope};
    err[0] = '\0';
    return store_comment_add(fx_store, &rq, out, err);
}

/* The cell's comments, as "id:mark:by:text;" */
static int collect(const store_comment_t *c, void *arg)
{
    char *s = arg;
    size_t n = strlen(s);
    snprintf(s + n, 1024 - n, "%llu:%s:%s:%s;", (unsigned long long)c->id,
             store_comment_mark_name(c->mark), c->by, c->text);
    return 0;
}

static const char *comments_of(const char *ind, uint32_t region,
                                int32_t month)
{
    static char s[1024];
    char err[ERR_LEN];
    s[0] = '\0';
    cr_assert_eq(store_comments(fx_store, ind, region, month, collect, s,
                                err),
                 ERR_OK, "%s", err);
    return s;
}

/* The followups, as "IND REGION MONTH marked=ID/by newest=ID/by;" */
static int collect_f(const store_followup_t *f, void *arg)
{
    char *s = arg;
    size_t n = strlen(s);
    char m[PERIOD_STR_LEN];
    month_format(f->newest.month, m, sizeof m);
    snprintf(s + n, 1024 - n, "%s %u %s marked=%llu/%s newest=%llu/%s;",
             f->newest.indicator, f->newest.region, m,
             (unsigned long long)f->marked.id, f->marked.by,
             (unsigned long long)f->newest.id, f->newest.by);
    return 0;
}

static const char *followups(const period_t *p, uint32_t under)
{
    static char s[1024];
    char err[ERR_LEN];
    s[0] = '\0';
    cr_assert_eq(store_followups(fx_store, p, under, collect_f, s, err),
                 ERR_OK, "%s", err);
    return s;
}

Test(comment, a_cell_is_marked_commented_and_resolved)
{
    char err[ERR_LEN];
    store_comment_t c;
    cr_assert_eq(add("urban_new_jobs", 330102, OCT, STORE_FOLLOW_UP,
                     "比上月高出三倍，请核实", "hz", NULL, &c, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(c.id, 1);
    cr_expect_str_eq(c.indicator, "urban_new_jobs");
    cr_expect_eq(c.at, 1762000000);
    cr_expect_str_eq(followups(NULL, 0),
                     "urban_new_jobs 330102 2025-10 marked=1/hz "
                     "newest=1/hz;");
    /* Marked twice: refused, nothing written. */
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_FOLLOW_UP, "again",
                     "zj", NULL, NULL, err),
                 ERR_INVAL);
    cr_expect_str_eq(err, "follow-up urban_new_jobs 330102 2025-10: the "
                          "cell is already marked for follow-up (comment "
                          "1, by hz)");
    /* A note keeps the mark and is the newest. */
    cr_assert_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE,
                     "asked the office", "zj", NULL, &c, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(c.id, 2);
    cr_expect_str_eq(followups(NULL, 0),
                     "urban_new_jobs 330102 2025-10 marked=1/hz "
                     "newest=2/zj;");
    cr_assert_eq(add("urban_new_jobs", 330102, OCT, STORE_RESOLVE,
                     "the office corrected it", "hz", NULL, &c, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(c.id, 3);
    cr_expect_str_eq(followups(NULL, 0), "");
    /* Resolved twice: refused. */
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_RESOLVE, "again",
                     "hz", NULL, NULL, err),
                 ERR_INVAL);
    cr_expect_str_eq(err, "resolve urban_new_jobs 330102 2025-10: the cell "
                          "is not marked for follow-up");
    cr_expect_str_eq(comments_of("urban_new_jobs", 330102, OCT),
                     "1:follow-up:hz:比上月高出三倍，请核实;"
                     "2:note:zj:asked the office;"
                     "3:resolve:hz:the office corrected it;");
    /* Another cell's comments are apart. */
    cr_expect_str_eq(comments_of("urban_new_jobs", 330102, OCT + 1), "");
    cr_expect_str_eq(comments_of("urban_new_jobs", 330105, OCT), "");
    /* A Chinese name finds the cell too. */
    cr_expect_str_eq(comments_of("城镇新增就业人数", 330102, OCT),
                     comments_of("urban_new_jobs", 330102, OCT));
}

Test(comment, followups_are_listed_by_period_and_region)
{
    char err[ERR_LEN];
    cr_assert_eq(add("urban_new_jobs", 330203, OCT, STORE_FOLLOW_UP, "a",
                     "nb", NULL, NULL, err), ERR_OK, "%s", err);
    cr_assert_eq(add("urban_new_jobs", 330102, OCT, STORE_FOLLOW_UP, "b",
                     "hz", NULL, NULL, err), ERR_OK, "%s", err);
    cr_assert_eq(add("pension_insured", 330102, OCT + 1, STORE_FOLLOW_UP,
                     "c", "hz", NULL, NULL, err), ERR_OK, "%s", err);
    cr_assert_eq(add("pension_insured", 330100, OCT, STORE_NOTE, "d", "hz",
                     NULL, NULL, err), ERR_OK, "%s", err);
    /* Key order: indicator codes as they sort, then region, then month;
     * a cell with a note only is not listed. */
    cr_expect_str_eq(followups(NULL, 0),
                     "pension_insured 330102 2025-11 marked=1/hz "
                     "newest=1/hz;"
                     "urban_new_jobs 330102 2025-10 marked=1/hz newest=1/hz;"
                     "urban_new_jobs 330203 2025-10 marked=1/nb "
                     "newest=1/nb;");
    period_t p;
    cr_assert_eq(period_parse("2025-10", &p, err), ERR_OK);
    cr_expect_str_eq(followups(&p, 330100),
                     "urban_new_jobs 330102 2025-10 marked=1/hz "
                     "newest=1/hz;");
    cr_expect_str_eq(followups(NULL, 330200),
                     "urban_new_jobs 330203 2025-10 marked=1/nb "
                     "newest=1/nb;");
    cr_expect_eq(store_followups(fx_store, NULL, 330199, collect_f, err, err),
                 ERR_NOTFOUND);
    cr_expect_str_eq(err, "unknown region 330199");
}

Test(comment, a_scope_covers_only_its_regions)
{
    unsigned char *hz = scope_of(330100);
    char err[ERR_LEN];
    cr_expect_eq(add("urban_new_jobs", 330203, OCT, STORE_FOLLOW_UP, "x",
                     "hz", hz, NULL, err),
                 ERR_DENIED);
    cr_expect_str_eq(err, "follow-up urban_new_jobs 330203 2025-10: hz may "
                          "not: its scope does not cover 330203");
    cr_expect_eq(add("urban_new_jobs", 330000, OCT, STORE_NOTE, "x", "hz",
                     hz, NULL, err),
                 ERR_DENIED);
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE, "x", "hz",
                     hz, NULL, err),
                 ERR_OK, "%s", err);
    cr_expect_str_eq(followups(NULL, 0), "");
    cr_expect_str_eq(comments_of("urban_new_jobs", 330203, OCT), "");
    free(hz);
}

Test(comment, bad_text_and_cells_are_refused_with_a_reason)
{
    char err[ERR_LEN];
    char long_text[STORE_COMMENT_MAX + 2];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_FOLLOW_UP, "",
                     "hz", NULL, NULL, err),
                 ERR_INVAL);
    cr_expect_str_eq(err, "follow-up urban_new_jobs 330102 2025-10: a "
                          "comment needs text (--text): what is to be "
                          "followed up, or what was done");
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE, "   ", "hz",
                     NULL, NULL, err),
                 ERR_INVAL);
    cr_expect(strstr(err, "a comment needs text") != NULL, "%s", err);
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE, long_text,
                     "hz", NULL, NULL, err),
                 ERR_INVAL);
    cr_expect_str_eq(err, "comment urban_new_jobs 330102 2025-10: the text "
                          "is 501 bytes, more than the 500 a comment may "
                          "have");
    long_text[STORE_COMMENT_MAX] = '\0';
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE, long_text,
                     "hz", NULL, NULL, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE, "a\nb", "hz",
                     NULL, NULL, err),
                 ERR_INVAL);
    cr_expect_str_eq(err, "comment urban_new_jobs 330102 2025-10: the text "
                          "has a control character at byte 1: one line of "
                          "plain text, please");
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE, "ab\xff",
                     "hz", NULL, NULL, err),
                 ERR_INVAL);
    cr_expect(strstr(err, "invalid UTF-8 at byte 2") != NULL, "%s", err);
    cr_expect_eq(add("urban_new_jobs_x", 330102, OCT, STORE_NOTE, "a", "hz",
                     NULL, NULL, err),
                 ERR_NOTFOUND);
    cr_expect_str_eq(err, "unknown indicator 'urban_new_jobs_x'");
    cr_expect_eq(add("urban_new_jobs", 330199, OCT, STORE_NOTE, "a", "hz",
                     NULL, NULL, err),
                 ERR_NOTFOUND);
    cr_expect_str_eq(err, "unknown region 330199");
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE, "a", "",
                     NULL, NULL, err),
                 ERR_INVAL);
    cr_expect(strstr(err, "a comment needs a name") != NULL, "%s", err);
    /* Only the one good comment was kept. */
    cr_expect_eq(strlen(comments_of("urban_new_jobs", 330102, OCT)),
                 strlen("1:note:hz:;") + STORE_COMMENT_MAX);
}

Test(comment, a_cell_keeps_a_bounded_number_of_comments)
{
    char err[ERR_LEN];
    for (int i = 0; i < STORE_COMMENTS_PER_CELL; i++) {
        cr_assert_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE, "n",
                         "hz", NULL, NULL, err),
                     ERR_OK, "%d: %s", i, err);
    }
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE, "n", "hz",
                     NULL, NULL, err),
                 ERR_INVAL);
    cr_expect_str_eq(err, "comment urban_new_jobs 330102 2025-10: the cell "
                          "has 100 comments, as many as a cell keeps");
    /* The next cell (the same indicator and region, a month later) is
     * not affected by its neighbour's last key. */
    store_comment_t c;
    cr_expect_eq(add("urban_new_jobs", 330102, OCT + 1, STORE_NOTE, "n",
                     "hz", NULL, &c, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(c.id, 1);
    cr_expect_eq(add("urban_new_jobs", 330102, OCT - 1, STORE_NOTE, "n",
                     "hz", NULL, &c, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(c.id, 1);
}

/* Close the fixture's store and open it again read-only. */
static void reopen_readonly(void)
{
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    store_close(&fx_store);
    store_opts_t o = {.readonly = 1};
    cr_assert_eq(store_open(&fx_store, db, fx_cat, &o, err), ERR_OK, "%s",
                 err);
}

Test(comment, a_store_from_before_comments_has_none)
{
    char err[ERR_LEN];
    char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    store_close(&fx_store);
    /* Take the two tables away, as a store written before them. */
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    cr_assert_eq(mdb_env_open(env, db, 0, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    const char *names[] = {"comments", "followups"};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(mdb_dbi_open(txn, names[i], 0, &dbi), 0);
        cr_assert_eq(mdb_drop(txn, dbi, 1), 0);
    }
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    store_opts_t o = {.readonly = 1};
    cr_assert_eq(store_open(&fx_store, db, fx_cat, &o, err), ERR_OK, "%s",
                 err);
    cr_expect_str_eq(comments_of("urban_new_jobs", 330102, OCT), "");
    cr_expect_str_eq(followups(NULL, 0), "");
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE, "y", "hz",
                     NULL, NULL, err),
                 ERR_INVAL);
    cr_expect(strstr(err, "is open read-only here") != NULL, "%s", err);
    /* A writable open makes them. */
    reopen_readonly();
    store_close(&fx_store);
    cr_assert_eq(store_open(&fx_store, db, fx_cat, NULL, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_NOTE, "y", "hz",
                     NULL, NULL, err),
                 ERR_OK, "%s", err);
}

Test(comment, a_read_only_store_lists_but_does_not_write)
{
    char err[ERR_LEN];
    cr_assert_eq(add("urban_new_jobs", 330102, OCT, STORE_FOLLOW_UP, "x",
                     "hz", NULL, NULL, err), ERR_OK, "%s", err);
    reopen_readonly();
    cr_expect_str_eq(comments_of("urban_new_jobs", 330102, OCT),
                     "1:follow-up:hz:x;");
    cr_expect_eq(add("urban_new_jobs", 330102, OCT, STORE_RESOLVE, "y", "hz",
                     NULL, NULL, err),
                 ERR_INVAL);
    cr_expect(strstr(err, "is open read-only here: comments are written by "
                          "the collector (hrssctl --connect)") != NULL,
              "%s", err);
}
