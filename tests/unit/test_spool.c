/* test_spool.c: the agent's durable spool. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/spool.h"
#include "mdbfault.h"

static char dir[256];
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
    snprintf(dir, sizeof dir, "/tmp/hrss-spool-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char sd[300];
    snprintf(sd, sizeof sd, "%s/spool", dir);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
}

static void teardown(void)
{
    spool_close(&sp);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(spool, .init = setup, .fini = teardown, .timeout = 30);

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

static spool_stats_t stats(void)
{
    char err[ERR_LEN];
    spool_stats_t st;
    cr_assert_eq(spool_stats(sp, &st, err), ERR_OK, "%s", err);
    return st;
}

Test(spool, append_numbers_consecutively_and_reads_back)
{
    char err[ERR_LEN];
    spool_update_t u[10];
    fill(u, 10, 100);
    uint64_t first = 0;
    cr_assert_eq(spool_append(sp, u, 10, NULL, &first, err), ERR_OK);
    cr_expect_eq(first, 1);
    cr_expect_eq(u[9].seq, 10);
    fill(u, 5, 500);
    cr_assert_eq(spool_append(sp, u, 5, NULL, &first, err), ERR_OK);
    cr_expect_eq(first, 11);

    spool_update_t out[20];
    size_t n = 0;
    cr_assert_eq(spool_read(sp, 1, out, 20, &n, err), ERR_OK);
    cr_assert_eq(n, 15);
    cr_expect_eq(out[0].seq, 1);
    cr_expect_eq(out[0].num, 100);
    cr_expect_eq(out[14].seq, 15);
    cr_expect_eq(out[14].num, 504);
    cr_expect_str_eq(out[3].indicator, "urban_new_jobs");
    cr_assert_eq(spool_read(sp, 12, out, 2, &n, err), ERR_OK);
    cr_assert_eq(n, 2);
    cr_expect_eq(out[0].seq, 12);

    spool_stats_t st = stats();
    cr_expect_eq(st.queued, 15);
    cr_expect_eq(st.first_queued, 1);
    cr_expect_eq(st.last_assigned, 15);
    cr_expect_eq(st.acked_next, 1);
    cr_expect_eq(st.oldest_submitted, 1000);
}

Test(spool, ack_deletes_only_below_next_and_keeps_rejections)
{
    char err[ERR_LEN];
    spool_update_t u[10];
    fill(u, 10, 0);
    cr_assert_eq(spool_append(sp, u, 10, NULL, NULL, err), ERR_OK);
    spool_rejection_t rj;
    memset(&rj, 0, sizeof rj);
    rj.seq = 3;
    rj.reason = 5;
    snprintf(rj.reason_name, sizeof rj.reason_name, "future_month");
    snprintf(rj.message, sizeof rj.message, "month is later");
    rj.at = 77;
    cr_assert_eq(spool_ack(sp, 7, &rj, 1, err), ERR_OK, "%s", err);
    spool_stats_t st = stats();
    cr_expect_eq(st.queued, 4);
    cr_expect_eq(st.first_queued, 7);
    cr_expect_eq(st.acked_next, 7);
    cr_expect_eq(st.rejections, 1);
    /* An older ack arriving late moves nothing back. */
    cr_assert_eq(spool_ack(sp, 5, NULL, 0, err), ERR_OK);
    cr_expect_eq(stats().acked_next, 7);
    cr_expect_eq(stats().queued, 4);
}

static int first_rejection(const spool_rejection_t *r, void *arg)
{
    *(spool_rejection_t *)arg = *r;
    return 1;
}

Test(spool, rejection_keeps_the_update)
{
    char err[ERR_LEN];
    spool_update_t u[4];
    fill(u, 4, 40);
    cr_assert_eq(spool_append(sp, u, 4, NULL, NULL, err), ERR_OK);
    spool_rejection_t rj;
    memset(&rj, 0, sizeof rj);
    rj.seq = 2;
    snprintf(rj.reason_name, sizeof rj.reason_name, "negative_value");
    snprintf(rj.message, sizeof rj.message, "value -1 is negative");
    cr_assert_eq(spool_ack(sp, 5, &rj, 1, err), ERR_OK);
    spool_rejection_t got;
    memset(&got, 0, sizeof got);
    cr_assert_eq(spool_rejections(sp, first_rejection, &got, err), ERR_OK);
    cr_expect_eq(got.seq, 2);
    cr_expect_str_eq(got.reason_name, "negative_value");
    cr_expect_eq(got.update.num, 41);
    cr_expect_eq(got.update.yyyymm, 202502);
}

Test(spool, survives_reopen)
{
    char err[ERR_LEN];
    spool_update_t u[3];
    fill(u, 3, 9);
    cr_assert_eq(spool_append(sp, u, 3, "inbox:a.csv:1:2", NULL, err),
                 ERR_OK);
    cr_assert_eq(spool_ack(sp, 2, NULL, 0, err), ERR_OK);
    spool_close(&sp);
    char sd[300];
    snprintf(sd, sizeof sd, "%s/spool", dir);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK);
    spool_stats_t st = stats();
    cr_expect_eq(st.queued, 2);
    cr_expect_eq(st.last_assigned, 3);
    cr_expect_eq(st.acked_next, 2);
    cr_expect(spool_has_source(sp, "inbox:a.csv:1:2"));
    cr_expect(!spool_has_source(sp, "inbox:b.csv:1:2"));
    uint64_t first = 0;
    cr_assert_eq(spool_append(sp, u, 1, NULL, &first, err), ERR_OK);
    cr_expect_eq(first, 4, "numbering continues after a restart");
}

Test(spool, rebase_renumbers_queued_updates)
{
    char err[ERR_LEN];
    spool_update_t u[5];
    fill(u, 5, 70);
    cr_assert_eq(spool_append(sp, u, 5, NULL, NULL, err), ERR_OK);
    cr_assert_eq(spool_ack(sp, 3, NULL, 0, err), ERR_OK);
    cr_assert_eq(spool_rebase(sp, 100, err), ERR_OK, "%s", err);
    spool_stats_t st = stats();
    cr_expect_eq(st.queued, 3);
    cr_expect_eq(st.first_queued, 100);
    cr_expect_eq(st.last_assigned, 102);
    cr_expect_eq(st.acked_next, 100);
    spool_update_t out[5];
    size_t n = 0;
    cr_assert_eq(spool_read(sp, 100, out, 5, &n, err), ERR_OK);
    cr_assert_eq(n, 3);
    cr_expect_eq(out[0].num, 72, "order and contents kept");
    cr_expect_eq(out[2].num, 74);
    uint64_t first = 0;
    cr_assert_eq(spool_append(sp, u, 1, NULL, &first, err), ERR_OK);
    cr_expect_eq(first, 103);
}

Test(spool, claim_binds_one_identity)
{
    char err[ERR_LEN];
    cr_expect_eq(spool_claim(sp, "a", 330102, err), ERR_OK);
    cr_expect_eq(spool_claim(sp, "a", 330102, err), ERR_OK);
    cr_expect_eq(spool_claim(sp, "b", 330102, err), ERR_INVAL);
    cr_expect(strstr(err, "a 330102") != NULL, "%s", err);
    cr_expect_eq(spool_claim(sp, "a", 330100, err), ERR_INVAL);
}

/* Whether IN_CLOSE_WRITE on SPOOL_NOTIFY_FILE is waiting on @p ino
 * (non-blocking; consumes what it reads). */
static int notify_event_waiting(int ino)
{
    _Alignas(struct inotify_event) char buf[4096];
    int seen = 0;
    for (;;) {
        ssize_t n = read(ino, buf, sizeof buf);
        if (n <= 0) {
            return seen;
        }
        for (ssize_t off = 0; off < n;) {
            const struct inotify_event *ev =
                (const struct inotify_event *)(const void *)(buf + off);
            if (ev->len > 0 && strcmp(ev->name, SPOOL_NOTIFY_FILE) == 0) {
                seen = 1;
            }
            off += (ssize_t)sizeof *ev + (ssize_t)ev->len;
        }
    }
}

typedef struct commit_probe {
    int ino;
    int commits;
    int notified_before; /* commits that found the event already there */
} commit_probe_t;

/* Runs inside mdb_txn_commit, just before the real commit. */
static void before_commit(enum mdbfault_op op, void *arg)
{
    commit_probe_t *p = arg;
    (void)op;
    p->commits++;
    p->notified_before += notify_event_waiting(p->ino);
}

/* A sender waits on inotify for spool_append's notify file: the event must
 * come after the commit is visible to another reader. (LMDB's own writes
 * to data.mdb come before the reader table's txnid is updated, and a
 * sender woken by them could miss a submit for good.) The fault shim's
 * hook looks for the event just before the real mdb_txn_commit: seen
 * there, the watcher was woken before the commit. */
Test(spool, append_wakes_watchers_after_the_commit)
{
    char err[ERR_LEN];
    char sd[300];
    snprintf(sd, sizeof sd, "%s/spool", dir);
    int ino = inotify_init1(IN_NONBLOCK);
    cr_assert(ino >= 0);
    cr_assert(inotify_add_watch(ino, sd, IN_CLOSE_WRITE) >= 0);
    spool_update_t u[2];
    fill(u, 2, 1);
    commit_probe_t probe = {ino, 0, 0};
    mdbfault_set_hook(MDBFAULT_COMMIT, before_commit, &probe);
    cr_assert_eq(spool_append(sp, u, 2, NULL, NULL, err), ERR_OK);
    mdbfault_set_hook(MDBFAULT_COMMIT, NULL, NULL);
    cr_assert_eq(probe.commits, 1, "one commit per append");
    cr_expect_eq(probe.notified_before, 0,
                 "watchers were woken before the commit");
    cr_expect(notify_event_waiting(ino), "no IN_CLOSE_WRITE on %s",
              SPOOL_NOTIFY_FILE);
    close(ino);
    spool_t *other = NULL;
    cr_assert_eq(spool_open(&other, sd, err), ERR_OK);
    spool_stats_t st;
    cr_assert_eq(spool_stats(other, &st, err), ERR_OK);
    cr_expect_eq(st.queued, 2);
    spool_close(&other);
}

/* Numbers never wrap: a spool rebased next to 2^64 refuses what would not
 * fit, and keeps nothing of it. */
Test(spool, append_refuses_numbers_that_would_wrap)
{
    char err[ERR_LEN];
    spool_update_t u[5];
    fill(u, 5, 1);
    cr_assert_eq(spool_rebase(sp, UINT64_MAX - 3, err), ERR_OK, "%s", err);
    uint64_t first = 7;
    cr_expect_eq(spool_append(sp, u, 5, NULL, &first, err), ERR_FULL);
    cr_expect(strstr(err, "exhausted") != NULL, "%s", err);
    cr_expect_eq(first, 0);
    cr_expect_eq(stats().queued, 0);
    cr_assert_eq(spool_append(sp, u, 3, NULL, &first, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(first, UINT64_MAX - 3);
    cr_expect_eq(u[2].seq, UINT64_MAX - 1);
}

/* `run` and `submit` on a new state directory open its spool at once.
 * LMDB makes lock.mdb, then data.mdb, then writes its meta pages: a
 * process that looked in between used to take the half-made spool for a
 * damaged one ("data.mdb: missing, but lock.mdb is there", "empty (0
 * bytes)") and refuse it, and the daemon or the submit failed. Four
 * processes open each of many new spools at once: all succeed. */
Test(spool, concurrent_opens_of_a_new_spool_all_succeed)
{
    spool_close(&sp);
    enum { ROUNDS = 60, PROCS = 4 };
    int failed = 0;
    for (int r = 0; r < ROUNDS; r++) {
        char d[300];
        snprintf(d, sizeof d, "%s/new-%d", dir, r);
        pid_t pids[PROCS];
        for (int k = 0; k < PROCS; k++) {
            pids[k] = fork();
            cr_assert_neq(pids[k], -1);
            if (pids[k] == 0) {
                spool_t *s = NULL;
                char err[ERR_LEN];
                int rc = spool_open(&s, d, err);
                if (rc != ERR_OK) {
                    fprintf(stderr, "%s\n", err);
                }
                spool_close(&s);
                _exit(rc == ERR_OK ? 0 : 1);
            }
        }
        for (int k = 0; k < PROCS; k++) {
            int st = 0;
            cr_assert_eq(waitpid(pids[k], &st, 0), pids[k]);
            failed += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
    }
    cr_expect_eq(failed, 0, "%d of %d opens of a new spool failed", failed,
                 ROUNDS * PROCS);
}
