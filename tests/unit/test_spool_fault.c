/* test_spool_fault.c: the spool under LMDB failures (tests/fault shim): a
 * full map, EIO and ENOSPC at every write step leave it as it was, and
 * the next call after the fault works as if nothing had happened. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/spool.h"
#include "mdbfault.h"

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
    mdbfault_reset();
    snprintf(dir, sizeof dir, "/tmp/hrss-spoolf-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sd, sizeof sd, "%s/spool", dir);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
}

static void teardown(void)
{
    mdbfault_reset();
    spool_close(&sp);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(spool_fault, .init = setup, .fini = teardown, .timeout = 30);

static void fill(spool_update_t *u, size_t n, int64_t base)
{
    memset(u, 0, n * sizeof *u);
    for (size_t i = 0; i < n; i++) {
        snprintf(u[i].indicator, sizeof u[i].indicator, "urban_new_jobs");
        u[i].region = 330102;
        u[i].yyyymm = 202501 + (uint32_t)(i % 12);
        u[i].num = base + (int64_t)i;
        u[i].submitted_at = 1000 + (int64_t)i;
    }
}

/* Everything observable about the spool. */
typedef struct snap {
    spool_stats_t st;
    spool_update_t q[64];
    size_t n;
    spool_rejection_t rej[8];
    size_t nrej;
} snap_t;

static int collect_rejection(const spool_rejection_t *r, void *arg)
{
    snap_t *s = arg;
    cr_assert_lt(s->nrej, 8);
    memcpy(&s->rej[s->nrej++], r, sizeof *r);
    return 0;
}

static void take(snap_t *s)
{
    char err[ERR_LEN];
    memset(s, 0, sizeof *s);
    cr_assert_eq(spool_stats(sp, &s->st, err), ERR_OK, "%s", err);
    cr_assert_eq(spool_read(sp, 0, s->q, 64, &s->n, err), ERR_OK, "%s",
                 err);
    cr_assert_eq(spool_rejections(sp, collect_rejection, s, err), ERR_OK,
                 "%s", err);
}

static void expect_unchanged(const snap_t *before, const char *what)
{
    snap_t now;
    take(&now);
    cr_expect_eq(memcmp(&now.st, &before->st, sizeof now.st), 0,
                 "%s: stats changed (queued %llu -> %llu, last %llu -> "
                 "%llu, acked %llu -> %llu)",
                 what, (unsigned long long)before->st.queued,
                 (unsigned long long)now.st.queued,
                 (unsigned long long)before->st.last_assigned,
                 (unsigned long long)now.st.last_assigned,
                 (unsigned long long)before->st.acked_next,
                 (unsigned long long)now.st.acked_next);
    cr_expect_eq(now.n, before->n, "%s: %zu queued, was %zu", what, now.n,
                 before->n);
    cr_expect_eq(memcmp(now.q, before->q, sizeof now.q), 0,
                 "%s: queued updates changed", what);
    cr_expect_eq(now.nrej, before->nrej, "%s: rejections changed", what);
    cr_expect_eq(memcmp(now.rej, before->rej, sizeof now.rej), 0,
                 "%s: rejections changed", what);
}

/* Ten updates (1..10), the first three acknowledged, one rejection. */
static void prime(void)
{
    char err[ERR_LEN];
    spool_update_t u[10];
    fill(u, 10, 100);
    cr_assert_eq(spool_append(sp, u, 10, "inbox:a.csv:1:1", NULL, err),
                 ERR_OK, "%s", err);
    spool_rejection_t rj;
    memset(&rj, 0, sizeof rj);
    rj.seq = 2;
    rj.reason = 6;
    snprintf(rj.reason_name, sizeof rj.reason_name, "negative_value");
    snprintf(rj.message, sizeof rj.message, "value -1 is negative");
    rj.at = 55;
    cr_assert_eq(spool_ack(sp, 4, &rj, 1, err), ERR_OK, "%s", err);
}

/* An append that fails at the armed call keeps nothing, says why, and the
 * next append numbers on without a gap. */
static void append_fails(enum mdbfault_op op, unsigned nth, int code,
                         int want, const char *want_err)
{
    char err[ERR_LEN];
    prime();
    snap_t before;
    take(&before);
    spool_update_t u[5];
    fill(u, 5, 500);
    uint64_t first = 77;
    mdbfault_arm(op, nth, code);
    int rc = spool_append(sp, u, 5, "inbox:b.csv:1:1", &first, err);
    cr_assert_eq(mdbfault_failures(op), 1, "the fault was not reached");
    cr_expect_eq(rc, want, "rc %d (%s)", rc, err_str(rc));
    cr_expect_eq(first, 0, "*first is set on failure");
    cr_expect(strstr(err, want_err) != NULL, "err: %s", err);
    expect_unchanged(&before, "failed append");
    cr_expect(!spool_has_source(sp, "inbox:b.csv:1:1"),
              "the source of a failed append is recorded");
    cr_expect(spool_has_source(sp, "inbox:a.csv:1:1"));

    mdbfault_disarm(op);
    fill(u, 5, 500);
    cr_assert_eq(spool_append(sp, u, 5, "inbox:b.csv:1:1", &first, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(first, 11, "numbering goes on without a gap");
    cr_expect(spool_has_source(sp, "inbox:b.csv:1:1"));
    spool_update_t out[16];
    size_t n = 0;
    cr_assert_eq(spool_read(sp, 0, out, 16, &n, err), ERR_OK);
    cr_assert_eq(n, 12);
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(out[i].seq, 4 + i);
    }
    cr_expect_eq(out[7].num, 500);
    cr_expect_eq(out[11].num, 504);
}

Test(spool_fault, map_full_on_put_refuses_the_append)
{
    /* the third queue record of the five */
    append_fails(MDBFAULT_PUT, 3, MDB_MAP_FULL, ERR_FULL, "spool is full");
}

Test(spool_fault, map_full_on_the_source_key_refuses_the_append)
{
    /* 5 queue records, next_assign, then the source key */
    append_fails(MDBFAULT_PUT, 7, MDB_MAP_FULL, ERR_FULL, "spool is full");
}

Test(spool_fault, map_full_on_commit_refuses_the_append)
{
    append_fails(MDBFAULT_COMMIT, 1, MDB_MAP_FULL, ERR_FULL,
                 "spool is full");
}

Test(spool_fault, eio_on_commit_refuses_the_append)
{
    append_fails(MDBFAULT_COMMIT, 1, EIO, ERR_IO,
                 "cannot queue updates: Input/output error");
}

Test(spool_fault, enospc_on_commit_refuses_the_append)
{
    /* The message names the system's reason, not just "I/O error": an
     * office must learn that its disk is full. */
    append_fails(MDBFAULT_COMMIT, 1, ENOSPC, ERR_IO,
                 "cannot queue updates: disk full (No space left on device)");
}

Test(spool_fault, failed_begin_refuses_the_append)
{
    append_fails(MDBFAULT_TXN_BEGIN, 1, EIO, ERR_IO, "cannot queue updates");
}

/* An ack that cannot be recorded leaves the queue, acked_next and the
 * rejections as they were; the same ack later does its work. */
static void ack_fails(enum mdbfault_op op, unsigned nth, int code)
{
    char err[ERR_LEN];
    prime();
    snap_t before;
    take(&before);
    spool_rejection_t rj;
    memset(&rj, 0, sizeof rj);
    rj.seq = 6;
    snprintf(rj.reason_name, sizeof rj.reason_name, "future_month");
    snprintf(rj.message, sizeof rj.message, "month is later");
    mdbfault_arm(op, nth, code);
    int rc = spool_ack(sp, 8, &rj, 1, err);
    cr_assert_eq(mdbfault_failures(op), 1, "the fault was not reached");
    cr_expect_neq(rc, ERR_OK);
    cr_expect(strstr(err, "cannot record ack") != NULL, "err: %s", err);
    expect_unchanged(&before, "failed ack");

    mdbfault_disarm(op);
    cr_assert_eq(spool_ack(sp, 8, &rj, 1, err), ERR_OK, "%s", err);
    spool_stats_t st;
    cr_assert_eq(spool_stats(sp, &st, err), ERR_OK);
    cr_expect_eq(st.queued, 3);
    cr_expect_eq(st.first_queued, 8);
    cr_expect_eq(st.acked_next, 8);
    cr_expect_eq(st.rejections, 2);
}

Test(spool_fault, ack_with_a_failed_delete_keeps_the_queue)
{
    ack_fails(MDBFAULT_CURSOR_DEL, 3, EIO); /* after two deletes */
}

Test(spool_fault, ack_with_a_failed_rejection_keeps_the_queue)
{
    ack_fails(MDBFAULT_PUT, 1, MDB_MAP_FULL);
}

Test(spool_fault, ack_with_a_failed_acked_next_keeps_the_queue)
{
    ack_fails(MDBFAULT_PUT, 2, ENOSPC); /* the rejection, then acked_next */
}

Test(spool_fault, ack_with_a_failed_commit_keeps_the_queue)
{
    ack_fails(MDBFAULT_COMMIT, 1, EIO);
}

Test(spool_fault, failed_rebase_keeps_the_numbers)
{
    char err[ERR_LEN];
    prime();
    snap_t before;
    take(&before);
    mdbfault_arm(MDBFAULT_PUT, 4, MDB_MAP_FULL); /* mid-renumbering */
    cr_expect_neq(spool_rebase(sp, 100, err), ERR_OK);
    cr_expect(strstr(err, "cannot renumber") != NULL, "err: %s", err);
    expect_unchanged(&before, "failed rebase (put)");
    mdbfault_arm(MDBFAULT_DROP, 1, EIO);
    cr_expect_neq(spool_rebase(sp, 100, err), ERR_OK);
    expect_unchanged(&before, "failed rebase (drop)");
    mdbfault_arm(MDBFAULT_COMMIT, 1, EIO);
    cr_expect_neq(spool_rebase(sp, 100, err), ERR_OK);
    expect_unchanged(&before, "failed rebase (commit)");
    mdbfault_reset();
    cr_assert_eq(spool_rebase(sp, 100, err), ERR_OK, "%s", err);
    spool_stats_t st;
    cr_assert_eq(spool_stats(sp, &st, err), ERR_OK);
    cr_expect_eq(st.first_queued, 100);
    cr_expect_eq(st.last_assigned, 106);
}

Test(spool_fault, failed_claim_records_no_identity)
{
    char err[ERR_LEN];
    mdbfault_arm(MDBFAULT_COMMIT, 1, ENOSPC);
    cr_expect_eq(spool_claim(sp, "a", 330102, err), ERR_IO);
    cr_expect(strstr(err, strerror(ENOSPC)) != NULL, "err: %s", err);
    /* Not bound: another identity may claim it now. */
    cr_expect_eq(spool_claim(sp, "b", 330102, err), ERR_OK, "%s", err);
    cr_expect_eq(spool_claim(sp, "a", 330102, err), ERR_INVAL);
}

Test(spool_fault, failed_env_open_fails_cleanly)
{
    char err[ERR_LEN];
    char other[300];
    snprintf(other, sizeof other, "%s/other", dir);
    spool_t *s = (spool_t *)(uintptr_t)0x5a5a; /* must stay untouched */
    mdbfault_arm(MDBFAULT_ENV_OPEN, 1, EIO);
    cr_expect_eq(spool_open(&s, other, err), ERR_IO);
    cr_expect_eq(s, (spool_t *)(uintptr_t)0x5a5a, "*out written on failure");
    cr_expect(strstr(err, "cannot open spool") != NULL &&
                  strstr(err, strerror(EIO)) != NULL,
              "err: %s", err);
    /* The first commit of a new spool fails: no half-made spool either. */
    mdbfault_arm(MDBFAULT_COMMIT, 1, ENOSPC);
    cr_expect_eq(spool_open(&s, other, err), ERR_IO);
    cr_expect(strstr(err, "cannot initialise spool") != NULL, "err: %s", err);
    mdbfault_reset();
    s = NULL;
    cr_assert_eq(spool_open(&s, other, err), ERR_OK, "%s", err);
    spool_stats_t st;
    cr_assert_eq(spool_stats(s, &st, err), ERR_OK);
    cr_expect_eq(st.last_assigned, 0);
    spool_close(&s);
}
