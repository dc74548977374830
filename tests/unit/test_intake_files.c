/* test_intake_files.c: agent/intake.c on its own: inbox files into the
 * spool, done/ and failed/, without a running agent. (The agent's whole
 * path through `submit` and `run` is tests/integration/test_intake.c.) */
#define _XOPEN_SOURCE 700 /* nftw */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "agent/intake.h"
#include "common/file.h"
#include "common/period.h"

#ifndef HRSS_TEST_CATALOG_DIR
#error "HRSS_TEST_CATALOG_DIR must name the shipped catalog directory"
#endif

static char dir[256];
static catalog_t *cat;
static spool_t *sp;
static update_scope_t scope;

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
    char sd[300];
    snprintf(dir, sizeof dir, "/tmp/hrss-intake-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
    cr_assert_eq(intake_dirs(dir, err), ERR_OK, "%s", err);
    snprintf(sd, sizeof sd, "%s/spool", dir);
    cr_assert_eq(spool_open(&sp, sd, err), ERR_OK, "%s", err);
    scope.cat = cat;
    scope.home = catalog_region_find(cat, 330100);
    scope.current_month = month_make(2026, 11);
}

static void teardown(void)
{
    spool_close(&sp);
    catalog_destroy(&cat);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(intake, .init = setup, .fini = teardown, .timeout = 30);

static void put_inbox(const char *name, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/inbox/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_geq(fputs(text, f), 0);
    cr_assert_eq(fclose(f), 0);
}

/* A refused file must never sit in failed/ without its reasons: the
 * .errors file is complete before the file itself arrives (a crash in
 * between used to leave a refused file with no errors at all). */
Test(intake, a_refused_file_arrives_after_its_errors)
{
    char failed[300];
    snprintf(failed, sizeof failed, "%s/failed", dir);
    int ino = inotify_init1(IN_NONBLOCK);
    cr_assert_geq(ino, 0);
    cr_assert_geq(inotify_add_watch(ino, failed,
                                    IN_CLOSE_WRITE | IN_MOVED_TO),
                  0);
    put_inbox("bad.csv", "indicator,period,value\nnosuch,2026-10,1\n");

    char err[ERR_LEN] = "";
    intake_stats_t st;
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "bad.csv", &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_failed, 1);

    /* inotify queues events in order: the first event that makes the
     * csv visible in failed/ must come after bad.csv.errors is whole. */
    _Alignas(struct inotify_event) char buf[4096];
    ssize_t n = read(ino, buf, sizeof buf);
    cr_assert_gt(n, 0);
    int errors_whole = 0;
    int csv_seen = 0;
    for (ssize_t off = 0; off < n;) {
        const struct inotify_event *ev =
            (const struct inotify_event *)(const void *)(buf + off);
        if (ev->len > 0 && strcmp(ev->name, "bad.csv.errors") == 0) {
            errors_whole = 1;
        }
        if (ev->len > 0 && strcmp(ev->name, "bad.csv") == 0) {
            cr_expect(errors_whole, "bad.csv reached failed/ before its "
                                    "errors were written");
            csv_seen = 1;
        }
        off += (ssize_t)sizeof *ev + (ssize_t)ev->len;
    }
    close(ino);
    cr_expect(csv_seen);

    char path[400];
    char *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/failed/bad.csv.errors", dir);
    cr_assert_eq(file_read(path, 1 << 20, &text, &len, err), ERR_OK, "%s",
                 err);
    cr_expect(strstr(text, ":2: indicator: unknown indicator 'nosuch'") !=
                  NULL,
              "%s", text);
    free(text);
    snprintf(path, sizeof path, "%s/failed/bad.csv.errors.tmp", dir);
    cr_expect_neq(access(path, F_OK), 0, "no temporary file is left");
    spool_stats_t ss;
    cr_assert_eq(spool_stats(sp, &ss, err), ERR_OK);
    cr_expect_eq(ss.queued, 0, "nothing of a refused file is queued");
}

/* A good file is queued whole and moved to done/; a second file of the
 * same name does not overwrite the first one there. */
Test(intake, good_files_go_to_done_under_free_names)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    put_inbox("a.csv", "indicator,period,value\nurban_new_jobs,2026-10,1\n");
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "a.csv", &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_done, 1);
    cr_expect_eq(st.rows, 1);
    put_inbox("a.csv", "indicator,period,value\nurban_new_jobs,2026-09,2\n"
                       "urban_new_jobs,2026-08,3\n");
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "a.csv", &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.rows, 2);
    char path[400];
    snprintf(path, sizeof path, "%s/done/a.csv", dir);
    cr_expect_eq(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/done/a.csv.1", dir);
    cr_expect_eq(access(path, F_OK), 0);
    spool_stats_t ss;
    cr_assert_eq(spool_stats(sp, &ss, err), ERR_OK);
    cr_expect_eq(ss.queued, 3);
}
