/* test_status_due.c: the deadlines part of `hrss-agent status`
 * (status_due_load) over a real spool: a figure the collector refused is
 * still due, however often it was refused, until an update of its cell
 * is queued again or accepted; the listing says it was refused and why.
 *
 * Reference instants (Python's calendar.timegm):
 *   2026-01-20 12:00 +8 = 1768881600 ("now")
 *   2025-12's deadline 2026-01-10 23:59:59 +8 = 1768060799: 10 days late
 *
 * INVARIANTS
 *   1. Every expectation is an exact value, none computed by the code
 *      under test.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/spool.h"
#include "agent/status.h"
#include "common/period.h"

#define NOW 1768881600        /* 2026-01-20 12:00 Asia/Shanghai */
#define SUBMITTED 1768800000  /* the day before */

static char dir[256];
static char sd[300];
static spool_t *sp;
static catalog_t *cat;

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
    snprintf(dir, sizeof dir, "/tmp/hrss-statusdue-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sd, sizeof sd, "%s/spool", dir);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    cr_assert_eq(catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
}

static void teardown(void)
{
    spool_close(&sp);
    catalog_destroy(&cat);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(status_due, .init = setup, .fini = teardown, .timeout = 30);

/* Queue one figure of 330102 for 2025-12; @return its seq. */
static uint64_t queue(const char *ind, int64_t value)
{
    char err[ERR_LEN];
    spool_update_t u;
    memset(&u, 0, sizeof u);
    snprintf(u.indicator, sizeof u.indicator, "%s", ind);
    u.region = 330102;
    u.yyyymm = 202512;
    u.num = value;
    u.submitted_at = SUBMITTED;
    uint64_t first = 0;
    cr_assert_eq(spool_append(sp, &u, 1, NULL, &first, err), ERR_OK, "%s",
                 err);
    return first;
}

/* The collector's Ack of everything below @p next, refusing @p refused
 * (0: none) as period_locked. */
static void ack(uint64_t next, uint64_t refused)
{
    char err[ERR_LEN];
    spool_rejection_t rj;
    memset(&rj, 0, sizeof rj);
    rj.seq = refused;
    rj.reason = 12;
    snprintf(rj.reason_name, sizeof rj.reason_name, "period_locked");
    snprintf(rj.message, sizeof rj.message, "period: 2025-12 is closed");
    spool_ackinfo_t in;
    memset(&in, 0, sizeof in);
    in.at = SUBMITTED + 60;
    cr_assert_eq(spool_ack_info(sp, next, &rj, refused != 0, &in, err),
                 ERR_OK, "%s", err);
}

/* The overdue item of @p ind for 330102 2025-12, or NULL. */
static const due_item_t *overdue_of(const status_due_t *d, const char *ind)
{
    int k = catalog_indicator_find(cat, ind);
    cr_assert_geq(k, 0, "%s", ind);
    for (size_t i = 0; i < d->list.n_overdue; i++) {
        const due_item_t *it = &d->list.overdue[i];
        if (it->indicator == k && it->region == 330102 &&
            it->month == month_make(2025, 12)) {
            return it;
        }
    }
    return NULL;
}

static void load(status_due_t *d)
{
    char err[ERR_LEN];
    int home = catalog_region_find(cat, 330102);
    cr_assert_geq(home, 0);
    cr_assert_eq(status_due_load(sp, cat, home, NOW, 14, d, err), ERR_OK,
                 "%s", err);
}

/* What status_due_text() prints. */
static char *text_of(const status_due_t *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    status_due_text(f, d);
    fclose(f);
    return buf;
}

Test(status_due, a_refused_figure_is_still_overdue_and_says_why)
{
    uint64_t jobs = queue("urban_new_jobs", 5);
    queue("pension_insured", 100);
    ack(jobs + 2, jobs);
    status_due_t d;
    load(&d);
    const due_item_t *it = overdue_of(&d, "urban_new_jobs");
    cr_assert_not_null(it, "a refused figure left the overdue list");
    cr_expect_eq(it->days, 10);
    cr_expect_eq(it->deadline, 1768060799);
    cr_expect_null(overdue_of(&d, "pension_insured"),
                   "an accepted figure is overdue");
    char *t = text_of(&d);
    cr_expect(strstr(t, "  due 2026-01-10 (10 days overdue, refused: "
                        "period_locked): 2025-12 330102 城镇新增就业人数 "
                        "urban_new_jobs\n") != NULL,
              "%s", t);
    cr_expect(strstr(t, " figures never queued or refused (months ") != NULL,
              "%s", t);
    free(t);
    char *j = NULL;
    size_t jl = 0;
    FILE *f = open_memstream(&j, &jl);
    cr_assert_not_null(f);
    status_due_json(f, &d);
    fclose(f);
    cr_expect(strstr(j, "\"period\": \"2025-12\", \"deadline\": 1768060799, "
                        "\"deadline_date\": \"2026-01-10\", \"days_overdue\": "
                        "10, \"refused\": \"period_locked\"}") != NULL,
              "%s", j);
    size_t members = 0;
    for (const char *p = j; (p = strstr(p, "\"refused\"")) != NULL; p++) {
        members++;
    }
    cr_expect_eq(members, 1, "one refused item only: %s", j);
    free(j);
    status_due_fini(&d);
}

Test(status_due, refused_twice_is_still_overdue)
{
    uint64_t a = queue("urban_new_jobs", 5);
    ack(a + 1, a);
    uint64_t b = queue("urban_new_jobs", 6);
    ack(b + 1, b);
    status_due_t d;
    load(&d);
    cr_expect_not_null(overdue_of(&d, "urban_new_jobs"));
    status_due_fini(&d);
}

Test(status_due, queued_again_after_a_refusal_is_not_overdue)
{
    uint64_t a = queue("urban_new_jobs", 5);
    ack(a + 1, a);
    queue("urban_new_jobs", 6); /* not yet acknowledged */
    status_due_t d;
    load(&d);
    cr_expect_null(overdue_of(&d, "urban_new_jobs"));
    status_due_fini(&d);
}

Test(status_due, accepted_after_a_refusal_is_not_overdue)
{
    uint64_t a = queue("urban_new_jobs", 5);
    ack(a + 1, a);
    uint64_t b = queue("urban_new_jobs", 6);
    ack(b + 1, 0);
    status_due_t d;
    load(&d);
    cr_expect_null(overdue_of(&d, "urban_new_jobs"));
    status_due_fini(&d);
}

Test(status_due, a_refused_revision_keeps_the_accepted_figure)
{
    uint64_t a = queue("urban_new_jobs", 5);
    ack(a + 1, 0);
    uint64_t b = queue("urban_new_jobs", 6);
    ack(b + 1, b);
    status_due_t d;
    load(&d);
    cr_expect_null(overdue_of(&d, "urban_new_jobs"),
                   "the collector holds the first figure: nothing is due");
    char *t = text_of(&d);
    cr_expect(strstr(t, "refused") == NULL, "%s", t);
    free(t);
    status_due_fini(&d);
}
