/* test_spool_seen.c: the spool's seen mark (meta "rejections_seen"): the
 * highest rejection seq the office was shown; absent reads as 0; it only
 * rises, but a rebase below it lowers it; check accepts it. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/spool.h"

static char dir[256];
static char sd[300];
static spool_t *sp;

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    char err[ERR_LEN];
    snprintf(dir, sizeof dir, "/tmp/hrss-seen-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sd, sizeof sd, "%s/spool", dir);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
}

static void teardown(void)
{
    spool_close(&sp);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(spool_seen, .init = setup, .fini = teardown, .timeout = 30);

/* Queue @p n updates and have the collector reject seqs @p rej[0..nrej). */
static void queue_and_reject(size_t n, const uint64_t *rej, size_t nrej)
{
    char err[ERR_LEN];
    spool_update_t u[8];
    spool_rejection_t r[8];
    memset(u, 0, sizeof u);
    memset(r, 0, sizeof r);
    for (size_t i = 0; i < n; i++) {
        snprintf(u[i].indicator, sizeof u[i].indicator, "urban_new_jobs");
        u[i].region = 330102;
        u[i].yyyymm = 202501;
        u[i].num = (int64_t)i;
    }
    uint64_t first = 0;
    cr_assert_eq(spool_append(sp, u, n, NULL, &first, err), ERR_OK, "%s",
                 err);
    for (size_t i = 0; i < nrej; i++) {
        r[i].seq = rej[i];
        r[i].reason = 1;
        snprintf(r[i].reason_name, sizeof r[i].reason_name, "x");
        snprintf(r[i].message, sizeof r[i].message, "indicator: x");
    }
    cr_assert_eq(spool_ack(sp, first + n, r, nrej, err), ERR_OK, "%s", err);
}

static spool_stats_t stats(void)
{
    char err[ERR_LEN];
    spool_stats_t st;
    cr_assert_eq(spool_stats(sp, &st, err), ERR_OK, "%s", err);
    return st;
}

Test(spool_seen, absent_is_zero_and_counts_every_rejection_as_new)
{
    spool_stats_t st = stats();
    cr_expect_eq(st.seen, 0);
    cr_expect_eq(st.unseen, 0);
    const uint64_t rej[] = {2, 3};
    queue_and_reject(4, rej, 2);
    st = stats();
    cr_expect_eq(st.rejections, 2);
    cr_expect_eq(st.seen, 0);
    cr_expect_eq(st.unseen, 2);
}

Test(spool_seen, marking_splits_new_from_earlier_and_only_rises)
{
    char err[ERR_LEN];
    const uint64_t rej[] = {2, 3};
    queue_and_reject(4, rej, 2);
    cr_assert_eq(spool_mark_seen(sp, 2, err), ERR_OK, "%s", err);
    spool_stats_t st = stats();
    cr_expect_eq(st.seen, 2);
    cr_expect_eq(st.unseen, 1);
    cr_assert_eq(spool_mark_seen(sp, 1, err), ERR_OK, "%s", err);
    cr_expect_eq(stats().seen, 2, "the mark never goes down");
    cr_assert_eq(spool_mark_seen(sp, 3, err), ERR_OK, "%s", err);
    cr_expect_eq(stats().unseen, 0);
    /* A later rejection is new again; the mark survives a reopen. */
    const uint64_t later[] = {6};
    queue_and_reject(3, later, 1);
    spool_close(&sp);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    st = stats();
    cr_expect_eq(st.seen, 3);
    cr_expect_eq(st.unseen, 1);
}

Test(spool_seen, a_rebase_below_the_mark_lowers_it)
{
    char err[ERR_LEN];
    const uint64_t rej[] = {3};
    queue_and_reject(4, rej, 1);
    cr_assert_eq(spool_mark_seen(sp, 3, err), ERR_OK, "%s", err);
    /* The collector lost data: it expects seq 2 again. */
    cr_assert_eq(spool_rebase(sp, 2, err), ERR_OK, "%s", err);
    spool_stats_t st = stats();
    cr_expect_eq(st.seen, 1);
    cr_expect_eq(st.unseen, 1, "seq 3's record is above the mark again");
}

static int count_problem(const spool_problem_t *p, void *arg)
{
    (void)p;
    (*(int *)arg)++;
    return 0;
}

Test(spool_seen, check_finds_a_spool_with_the_mark_sound)
{
    char err[ERR_LEN];
    const uint64_t rej[] = {1};
    queue_and_reject(2, rej, 1);
    cr_assert_eq(spool_mark_seen(sp, 1, err), ERR_OK, "%s", err);
    spool_close(&sp);
    cr_assert_eq(spool_open_readonly(&sp, sd, err), ERR_OK, "%s", err);
    spool_verify_t v;
    int n = 0;
    cr_assert_eq(spool_verify(sp, count_problem, &n, &v, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(n, 0);
    cr_expect_eq(v.problems, 0);
}
