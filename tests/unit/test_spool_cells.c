/* test_spool_cells.c: the cells a spool ever queued (spool_cells): one
 * record per cell with its first-queued time, written with the queue
 * record, kept across a restart and an acknowledgement, not changed by a
 * re-submission; "since" tells a spool that recorded everything from
 * one an older agent queued into first; check accepts the records. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/spool.h"
#include "spool_v1.h"

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
    snprintf(dir, sizeof dir, "/tmp/hrss-cells-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sd, sizeof sd, "%s/spool", dir);
}

static void teardown(void)
{
    spool_close(&sp);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(spool_cells, .init = setup, .fini = teardown, .timeout = 30);

typedef struct seen {
    spool_cell_t c[16];
    size_t n;
} seen_t;

static int collect(const spool_cell_t *c, void *arg)
{
    seen_t *s = arg;
    cr_assert_lt(s->n, 16);
    s->c[s->n++] = *c;
    return 0;
}

static seen_t cells(int64_t *since)
{
    char err[ERR_LEN];
    seen_t s;
    memset(&s, 0, sizeof s);
    cr_assert_eq(spool_cells(sp, collect, &s, since, err), ERR_OK, "%s",
                 err);
    return s;
}

static void queue(const char *ind, uint32_t region, uint32_t yyyymm,
                  int64_t at, int64_t value)
{
    char err[ERR_LEN];
    spool_update_t u;
    memset(&u, 0, sizeof u);
    snprintf(u.indicator, sizeof u.indicator, "%s", ind);
    u.region = region;
    u.yyyymm = yyyymm;
    u.num = value;
    u.submitted_at = at;
    uint64_t first = 0;
    cr_assert_eq(spool_append(sp, &u, 1, NULL, &first, err), ERR_OK, "%s",
                 err);
}

Test(spool_cells, a_new_spool_records_every_cell_from_the_start)
{
    char err[ERR_LEN];
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    int64_t since = 99;
    seen_t s = cells(&since);
    cr_expect_eq(s.n, 0);
    cr_expect_eq(since, 0, "nothing queued yet: nothing unknown");
    queue("urban_new_jobs", 330102, 202510, 1762650000, 5);
    queue("pension_insured", 330102, 202510, 1762650100, 7);
    s = cells(&since);
    cr_expect_eq(since, 0);
    cr_assert_eq(s.n, 2);
    /* Key order: "cell:pension..." before "cell:urban...". */
    cr_expect_str_eq(s.c[0].indicator, "pension_insured");
    cr_expect_eq(s.c[0].region, 330102);
    cr_expect_eq(s.c[0].yyyymm, 202510);
    cr_expect_eq(s.c[0].first_at, 1762650100);
    cr_expect_str_eq(s.c[1].indicator, "urban_new_jobs");
    cr_expect_eq(s.c[1].first_at, 1762650000);
}

Test(spool_cells, first_time_survives_ack_restart_and_resubmission)
{
    char err[ERR_LEN];
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    queue("urban_new_jobs", 330102, 202510, 1762650000, 5);
    cr_assert_eq(spool_ack(sp, 2, NULL, 0, err), ERR_OK, "%s", err);
    spool_close(&sp);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    /* A correction of the same cell, later: the first time stays. */
    queue("urban_new_jobs", 330102, 202510, 1762700000, 6);
    queue("urban_new_jobs", 330103, 202510, 1762700000, 6);
    int64_t since = -5;
    seen_t s = cells(&since);
    cr_expect_eq(since, 0);
    cr_assert_eq(s.n, 2);
    cr_expect_eq(s.c[0].region, 330102);
    cr_expect_eq(s.c[0].first_at, 1762650000);
    cr_expect_eq(s.c[1].region, 330103);
    cr_expect_eq(s.c[1].first_at, 1762700000);
    /* Read-only (as `check` opens it) sees the same. */
    spool_close(&sp);
    cr_assert_eq(spool_open_readonly(&sp, sd, err), ERR_OK, "%s", err);
    s = cells(&since);
    cr_expect_eq(s.n, 2);
    cr_expect_eq(s.c[0].first_at, 1762650000);
}

Test(spool_cells, a_spool_an_older_agent_queued_into_knows_nothing_before)
{
    char err[ERR_LEN];
    spool_v1_t spec = {.acked_next = 3, .queued = 2};
    spool_v1_write(sd, &spec);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    int64_t since = 0;
    seen_t s = cells(&since);
    cr_expect_eq(s.n, 0);
    cr_expect_eq(since, -1, "queued before, no records: nothing known");
    queue("urban_new_jobs", 330102, 202510, 1762650000, 5);
    queue("urban_new_jobs", 330102, 202511, 1762750000, 5);
    s = cells(&since);
    cr_expect_eq(s.n, 2);
    cr_expect_eq(since, 1762650000, "known from the first recorded append");
}

static int count_problem(const spool_problem_t *p, void *arg)
{
    (void)p;
    (*(int *)arg)++;
    return 0;
}

Test(spool_cells, check_finds_a_spool_with_cell_records_sound)
{
    char err[ERR_LEN];
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    queue("urban_new_jobs", 330102, 202510, 1762650000, 5);
    spool_close(&sp);
    cr_assert_eq(spool_open_readonly(&sp, sd, err), ERR_OK, "%s", err);
    spool_verify_t v;
    int problems = 0;
    cr_assert_eq(spool_verify(sp, count_problem, &problems, &v, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(problems, 0);
    cr_expect(v.complete);
    cr_expect_eq(v.records[3], 2, "the cell and cells:since");
}
