/* test_receipts.c: the office's receipts: what spool_ack_info() keeps
 * (spool_receipts) and what `hrss-agent receipts` prints of them
 * (agent/receipts). */
#define _XOPEN_SOURCE 700 /* nftw, open_memstream */
#include <criterion/criterion.h>
#include <ftw.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/receipts.h"
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
    snprintf(dir, sizeof dir, "/tmp/hrss-receipts-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sd, sizeof sd, "%s/spool", dir);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    cr_assert_eq(spool_claim(sp, "office-a", 330102, err), ERR_OK, "%s",
                 err);
}

static void teardown(void)
{
    spool_close(&sp);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(receipts, .init = setup, .fini = teardown, .timeout = 30);

/* Queue 4 updates: seqs 1..4; months 2025-01, 2025-01, 2025-02, 2026-12
 * (the last a ratio). */
static void queue4(void)
{
    char err[ERR_LEN];
    spool_update_t u[4];
    memset(u, 0, sizeof u);
    static const uint32_t months[] = {202501, 202501, 202502, 202612};
    for (size_t i = 0; i < 4; i++) {
        snprintf(u[i].indicator, sizeof u[i].indicator, "urban_new_jobs");
        u[i].region = 330102;
        u[i].yyyymm = months[i];
        u[i].num = 100 + (int64_t)i;
        u[i].submitted_at = 1000;
    }
    u[3].is_ratio = 1;
    u[3].num = 3;
    u[3].den = 4;
    cr_assert_eq(spool_append(sp, u, 4, NULL, NULL, err), ERR_OK, "%s", err);
}

typedef struct got {
    spool_receipt_t r[8];
    size_t n;
} got_t;

static int keep(const spool_receipt_t *r, void *arg)
{
    got_t *g = arg;
    cr_assert_lt(g->n, 8);
    g->r[g->n++] = *r;
    return 0;
}

static got_t all(spool_t *s)
{
    char err[ERR_LEN];
    got_t g;
    memset(&g, 0, sizeof g);
    cr_assert_eq(spool_receipts(s, keep, &g, err), ERR_OK, "%s", err);
    return g;
}

static spool_ackinfo_t info_at(uint64_t pos, int64_t at)
{
    spool_ackinfo_t in;
    memset(&in, 0, sizeof in);
    in.has_position = 1;
    in.position = pos;
    in.has_head = 1;
    for (size_t i = 0; i < sizeof in.head; i++) {
        in.head[i] = (unsigned char)(0xa0 + i);
    }
    in.at = at;
    return in;
}

static spool_rejection_t rejection(uint64_t seq, const char *name)
{
    spool_rejection_t rj;
    memset(&rj, 0, sizeof rj);
    rj.seq = seq;
    rj.reason = 3;
    snprintf(rj.reason_name, sizeof rj.reason_name, "%s", name);
    snprintf(rj.message, sizeof rj.message, "period: too late");
    return rj;
}

Test(receipts, an_ack_keeps_one_receipt_per_update_with_its_outcome)
{
    char err[ERR_LEN];
    queue4();
    spool_rejection_t rj = rejection(4, "future_month");
    spool_ackinfo_t in = info_at(17, 1700000000);
    cr_assert_eq(spool_ack_info(sp, 5, &rj, 1, &in, err), ERR_OK, "%s", err);
    got_t g = all(sp);
    cr_assert_eq(g.n, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_expect_eq(g.r[i].update.seq, i + 1);
        cr_expect_str_eq(g.r[i].outcome, i == 3 ? "future_month"
                                                : "accepted");
        cr_expect_eq(g.r[i].has_position, 1);
        cr_expect_eq(g.r[i].position, 17);
        cr_expect_eq(g.r[i].has_head, 1);
        cr_expect_eq(memcmp(g.r[i].head, in.head, 32), 0);
        cr_expect_eq(g.r[i].acked_at, 1700000000);
    }
    cr_expect_eq(g.r[3].update.is_ratio, 1);
    cr_expect_eq(g.r[3].update.den, 4);
    cr_expect_eq(g.r[1].update.num, 101);
}

Test(receipts, an_ack_without_position_and_a_welcome_ack_keep_none)
{
    char err[ERR_LEN];
    queue4();
    spool_ackinfo_t in = info_at(0, 1700000000);
    in.has_position = 0;
    in.has_head = 0;
    cr_assert_eq(spool_ack_info(sp, 3, NULL, 0, &in, err), ERR_OK, "%s",
                 err);
    /* A Welcome's acknowledgement (spool_ack): accepted, no position. */
    cr_assert_eq(spool_ack(sp, 5, NULL, 0, err), ERR_OK, "%s", err);
    got_t g = all(sp);
    cr_assert_eq(g.n, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_expect_str_eq(g.r[i].outcome, "accepted");
        cr_expect_eq(g.r[i].has_position, 0);
        cr_expect_eq(g.r[i].has_head, 0);
    }
    cr_expect_eq(g.r[0].acked_at, 1700000000);
    cr_expect_gt(g.r[3].acked_at, 1700000000);
    /* A repeated ack deletes nothing more and adds no receipt. */
    cr_assert_eq(spool_ack(sp, 5, NULL, 0, err), ERR_OK, "%s", err);
    cr_expect_eq(all(sp).n, 4);
}

/* What receipts_print() writes, as a string (caller frees). */
static char *printed(const period_t *p, enum receipts_form form,
                     uint64_t queued)
{
    char err[ERR_LEN];
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    cr_assert_eq(receipts_print(sp, "office-a", p, queued, form, f, err),
                 ERR_OK, "%s", err);
    fclose(f);
    return text;
}

static const char *const HEAD =
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";

Test(receipts, csv_is_the_receipts_file_filtered_by_period)
{
    char err[ERR_LEN];
    queue4();
    spool_rejection_t rj = rejection(4, "future_month");
    spool_ackinfo_t in = info_at(17, 1764565800); /* 2025-12-01 05:10 */
    cr_assert_eq(spool_ack_info(sp, 2, NULL, 0, &in, err), ERR_OK, "%s",
                 err);
    in.has_position = 0;
    in.has_head = 0;
    cr_assert_eq(spool_ack_info(sp, 5, &rj, 1, &in, err), ERR_OK, "%s", err);
    char want[2048];
    snprintf(want, sizeof want,
             "reporter,seq,indicator,region,month,value,outcome,position,"
             "head,acked_at\n"
             "office-a,1,urban_new_jobs,330102,2025-01,100,accepted,17,%s,"
             "2025-12-01T05:10:00Z\n"
             "office-a,2,urban_new_jobs,330102,2025-01,101,accepted,,,"
             "2025-12-01T05:10:00Z\n"
             "office-a,3,urban_new_jobs,330102,2025-02,102,accepted,,,"
             "2025-12-01T05:10:00Z\n"
             "office-a,4,urban_new_jobs,330102,2026-12,3/4,future_month,,,"
             "2025-12-01T05:10:00Z\n",
             HEAD);
    char *all_csv = printed(NULL, RECEIPTS_CSV, 0);
    cr_expect_str_eq(all_csv, want);
    free(all_csv);
    period_t p;
    cr_assert_eq(period_parse("2025", &p, err), ERR_OK);
    char *y = printed(&p, RECEIPTS_CSV, 0);
    char *cut = strstr(want, "office-a,4,");
    cr_assert_not_null(cut);
    *cut = '\0';
    cr_expect_str_eq(y, want);
    free(y);
}

Test(receipts, table_counts_each_month)
{
    char err[ERR_LEN];
    queue4();
    spool_rejection_t rj[] = {rejection(2, "negative_count"),
                              rejection(4, "future_month")};
    spool_ackinfo_t in = info_at(9, 1764565800);
    cr_assert_eq(spool_ack_info(sp, 5, rj, 2, &in, err), ERR_OK, "%s", err);
    char *t = printed(NULL, RECEIPTS_TABLE, 3);
    char want[2048];
    snprintf(want, sizeof want,
             "Receipts of office-a: 4 updates acknowledged by the "
             "collector\n\n"
             "month    submitted  accepted  rejected  position  head\n"
             "-------  ---------  --------  --------  --------  "
             "----------------------------------------------------------------"
             "\n"
             "2025-01          2         1         1         9  %s\n"
             "2025-02          1         1         0         9  %s\n"
             "2026-12          1         0         1         9  %s\n\n"
             "3 updates still wait for the collector's answer (not "
             "counted).\n",
             HEAD, HEAD, HEAD);
    cr_expect_str_eq(t, want);
    free(t);
    period_t p;
    cr_assert_eq(period_parse("2025-Q1", &p, err), ERR_OK);
    char *j = printed(&p, RECEIPTS_JSON, 0);
    cr_expect_not_null(strstr(j, "\"months\":[{\"month\":\"2025-01\","
                                 "\"submitted\":2,\"accepted\":1,"
                                 "\"rejected\":1,\"unknown\":0},"
                                 "{\"month\":\"2025-02\","
                                 "\"submitted\":1,\"accepted\":1,"
                                 "\"rejected\":0,\"unknown\":0}]}"),
                       "%s", j);
    cr_expect_null(strstr(j, "2026-12"), "%s", j);
    free(j);
}

Test(receipts, a_spool_from_before_receipts_reads_none_read_only)
{
    char err[ERR_LEN];
    queue4();
    cr_assert_eq(spool_ack(sp, 3, NULL, 0, err), ERR_OK, "%s", err);
    spool_close(&sp);
    /* Drop the table, as a spool written before receipts lacks it. */
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
    cr_assert_eq(mdb_env_open(env, sd, 0, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "receipts", 0, &dbi), 0);
    cr_assert_eq(mdb_drop(txn, dbi, 1), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    cr_assert_eq(spool_open_readonly(&sp, sd, err), ERR_OK, "%s", err);
    cr_expect_eq(all(sp).n, 0);
    char name[64];
    cr_assert_eq(spool_identity_name(sp, name, sizeof name, err), ERR_OK);
    cr_expect_str_eq(name, "office-a");
    spool_close(&sp);
    /* A writable open creates it; the next ack keeps receipts again. */
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    cr_assert_eq(spool_ack(sp, 5, NULL, 0, err), ERR_OK, "%s", err);
    got_t g = all(sp);
    cr_assert_eq(g.n, 2);
    cr_expect_eq(g.r[0].update.seq, 3);
}

Test(receipts, a_reason_without_its_name_is_named_by_its_number)
{
    char err[ERR_LEN];
    queue4();
    spool_rejection_t rj[3] = {rejection(1, ""), rejection(2, ""),
                               rejection(3, "")};
    rj[0].reason = 12; /* REJ_PERIOD_LOCKED */
    rj[1].reason = 5;  /* REJ_FUTURE_MONTH */
    rj[2].reason = 99; /* newer than this agent */
    cr_assert_eq(spool_ack(sp, 5, rj, 3, err), ERR_OK, "%s", err);
    got_t g = all(sp);
    cr_assert_eq(g.n, 4);
    cr_expect_str_eq(g.r[0].outcome, "period_locked");
    cr_expect_str_eq(g.r[1].outcome, "future_month");
    cr_expect_str_eq(g.r[2].outcome, "reason_99");
    cr_expect_str_eq(g.r[3].outcome, "accepted");
}

static int count_rej(const spool_rejection_t *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

/* Reason 0: a replayed update whose outcome the collector no longer
 * keeps. Its receipt says "unknown"; no rejection is recorded; the
 * table and JSON count it apart. */
Test(receipts, an_unknown_outcome_is_no_rejection_and_counted_apart)
{
    char err[ERR_LEN];
    queue4();
    spool_rejection_t rj[2] = {rejection(1, "unknown"), rejection(2, "")};
    rj[0].reason = SPOOL_REASON_UNKNOWN;
    rj[1].reason = SPOOL_REASON_UNKNOWN;
    cr_assert_eq(spool_ack(sp, 5, rj, 2, err), ERR_OK, "%s", err);
    got_t g = all(sp);
    cr_assert_eq(g.n, 4);
    cr_expect_str_eq(g.r[0].outcome, "unknown");
    cr_expect_str_eq(g.r[1].outcome, "unknown");
    int nrej = 0;
    cr_assert_eq(spool_rejections(sp, count_rej, &nrej, err), ERR_OK);
    cr_expect_eq(nrej, 0);
    period_t p;
    cr_assert_eq(period_parse("2025-01", &p, err), ERR_OK);
    char *t = printed(&p, RECEIPTS_TABLE, 0);
    cr_expect(strstr(t, "month    submitted  accepted  rejected  unknown") !=
                  NULL,
              "%s", t);
    cr_expect(strstr(t, "2025-01          2         0         0        2") !=
                  NULL,
              "%s", t);
    cr_expect(strstr(t, "2 updates with an unknown outcome") != NULL, "%s",
              t);
    free(t);
    char *j = printed(NULL, RECEIPTS_JSON, 0);
    cr_expect(strstr(j, "{\"month\":\"2025-01\",\"submitted\":2,"
                        "\"accepted\":0,\"rejected\":0,\"unknown\":2}") !=
                  NULL,
              "%s", j);
    free(j);
}

static int note_problem(const spool_problem_t *p, void *arg)
{
    spool_problem_t *first = arg;
    if (first->text[0] == '\0') {
        *first = *p;
    }
    return 0;
}

/* `hrss-agent check` walks the receipts: a changed byte in one is
 * damage named by its table and seq. */
Test(receipts, check_names_a_damaged_receipt)
{
    char err[ERR_LEN];
    queue4();
    cr_assert_eq(spool_ack(sp, 5, NULL, 0, err), ERR_OK, "%s", err);
    spool_verify_t v;
    spool_problem_t first;
    memset(&first, 0, sizeof first);
    cr_assert_eq(spool_verify(sp, note_problem, &first, &v, err), ERR_OK,
                 "%s", err);
    cr_expect_eq(v.problems, 0, "%s", first.text);
    cr_expect_eq(v.records[4], 4);
    spool_close(&sp);

    /* Flip a bit in the middle of receipt 3's stored value. */
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    unsigned char key[9] = {0x01, 0, 0, 0, 0, 0, 0, 0, 3};
    MDB_val kv = {sizeof key, key};
    MDB_val dv;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
    cr_assert_eq(mdb_env_open(env, sd, MDB_RDONLY | MDB_NOTLS, 0640), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "receipts", 0, &dbi), 0);
    cr_assert_eq(mdb_get(txn, dbi, &kv, &dv), 0);
    uintptr_t a = (uintptr_t)dv.mv_data + dv.mv_size / 2;
    uintptr_t page = a & ~(uintptr_t)4095;
    size_t pgno;
    memcpy(&pgno, (const void *)page, sizeof pgno);
    off_t off = (off_t)(pgno * 4096 + (size_t)(a - page));
    mdb_txn_abort(txn);
    mdb_env_close(env);
    char path[400];
    snprintf(path, sizeof path, "%s/data.mdb", sd);
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    cr_assert_eq(fseeko(f, off, SEEK_SET), 0);
    int b = fgetc(f);
    cr_assert_neq(b, EOF);
    cr_assert_eq(fseeko(f, off, SEEK_SET), 0);
    cr_assert_neq(fputc(b ^ 0x08, f), EOF);
    cr_assert_eq(fclose(f), 0);

    cr_assert_eq(spool_open_readonly(&sp, sd, err), ERR_OK, "%s", err);
    memset(&first, 0, sizeof first);
    cr_assert_eq(spool_verify(sp, note_problem, &first, &v, err), ERR_OK,
                 "%s", err);
    cr_expect_eq(v.problems, 1);
    cr_expect_str_eq(first.table, "receipts");
    cr_expect_str_eq(first.key, "seq 3");
    cr_expect(strstr(first.text, "table receipts, seq 3") != NULL, "%s",
              first.text);
    /* And reading the receipts stops at it, naming it too. */
    got_t g;
    memset(&g, 0, sizeof g);
    cr_expect_eq(spool_receipts(sp, keep, &g, err), ERR_CORRUPT);
    cr_expect(strstr(err, "table receipts, seq 3") != NULL, "%s", err);
}

/* A Welcome's acknowledgement after unanswered replays: every receipt
 * it writes says "unknown", a named rejection included. */
Test(receipts, an_ack_with_unknown_outcomes_says_so_for_each)
{
    char err[ERR_LEN];
    queue4();
    spool_ackinfo_t in = info_at(0, 1700000000);
    in.has_position = 0;
    in.has_head = 0;
    in.outcomes_unknown = 1;
    cr_assert_eq(spool_ack_info(sp, 5, NULL, 0, &in, err), ERR_OK, "%s",
                 err);
    got_t g = all(sp);
    cr_assert_eq(g.n, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_expect_str_eq(g.r[i].outcome, "unknown");
    }
}
