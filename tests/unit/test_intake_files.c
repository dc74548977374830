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
#include <sys/stat.h>
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
    /* NAME.errors appears whole, linked to its complete temporary
     * (IN_CREATE); the file is moved in (IN_MOVED_TO). */
    cr_assert_geq(inotify_add_watch(ino, failed,
                                    IN_CLOSE_WRITE | IN_MOVED_TO |
                                        IN_CREATE),
                  0);
    put_inbox("bad.csv", "indicator,period,value\nnosuch,2026-10,1\n");

    char err[ERR_LEN] = "";
    intake_stats_t st;
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "bad.csv", NULL, &st, err),
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
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "a.csv", NULL, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_done, 1);
    cr_expect_eq(st.rows, 1);
    put_inbox("a.csv", "indicator,period,value\nurban_new_jobs,2026-09,2\n"
                       "urban_new_jobs,2026-08,3\n");
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "a.csv", NULL, &st, err),
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

/* Path of @p rel under the test's state directory. */
static const char *at(const char *rel)
{
    static char paths[8][400];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "%s/%s", dir, rel);
    return p;
}

/* The whole text of @p path (a regular file, or what a link names). */
static char *slurp(const char *path)
{
    char err[ERR_LEN];
    char *text = NULL;
    size_t len = 0;
    cr_assert_eq(file_read(path, 1 << 20, &text, &len, err), ERR_OK, "%s",
                 err);
    return text;
}

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    cr_assert_geq(fputs(text, f), 0);
    cr_assert_eq(fclose(f), 0);
}

static int is_link(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode);
}

static uint64_t queued(void)
{
    char err[ERR_LEN];
    spool_stats_t ss;
    cr_assert_eq(spool_stats(sp, &ss, err), ERR_OK, "%s", err);
    return ss.queued;
}

/* A secret outside the inbox, in a form csvin would quote in its errors
 * (a header it does not know). */
#define SECRET "root:$6$SECRETHASH:19000:0:99999:7:::\n"

/* Item 8: an inbox entry that is a symbolic link is never read through,
 * whether it names a secret or a valid CSV elsewhere: it is moved (the
 * link itself) to failed/, with an .errors saying why. */
Test(intake, a_linked_inbox_file_is_refused_unread)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    put_file(at("shadow"), SECRET);
    put_file(at("good-elsewhere.csv"),
             "indicator,period,value\nurban_new_jobs,2026-10,1\n");
    cr_assert_eq(symlink(at("shadow"), at("inbox/x.csv")), 0);
    cr_assert_eq(symlink(at("good-elsewhere.csv"), at("inbox/y.csv")), 0);

    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "x.csv", NULL, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_failed, 1);
    size_t young = 0;
    cr_assert_eq(intake_inbox(sp, &scope, dir, 0, NULL, &young, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_failed, 1, "the scan refuses y.csv");
    cr_expect_eq(st.files_done, 0);
    cr_expect_eq(queued(), 0, "a linked file was read and queued");

    const char *names[] = {"x.csv", "y.csv"};
    for (size_t i = 0; i < 2; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "failed/%s", names[i]);
        cr_expect(is_link(at(rel)), "%s: the link itself goes to failed/",
                  names[i]);
        snprintf(rel, sizeof rel, "inbox/%s", names[i]);
        cr_expect_neq(access(at(rel), F_OK), 0);
        snprintf(rel, sizeof rel, "failed/%s.errors", names[i]);
        char *text = slurp(at(rel));
        cr_expect(strstr(text, "SECRETHASH") == NULL,
                  "the link's target was copied into .errors: %s", text);
        cr_expect(strstr(text, "not a regular file (a symbolic link)") !=
                      NULL,
                  "%s", text);
        free(text);
    }
    char *text = slurp(at("shadow"));
    cr_expect_str_eq(text, SECRET);
    free(text);
}

/* A FIFO, a directory, a socket in the inbox: refused to failed/ at once,
 * never opened for reading (a FIFO without a writer would block the
 * agent). They used to sit in the inbox unseen. */
Test(intake, a_fifo_or_directory_in_the_inbox_is_refused)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    cr_assert_eq(mkfifo(at("inbox/p.csv"), 0600), 0);
    cr_assert_eq(mkdir(at("inbox/d.csv"), 0700), 0);
    size_t young = 0;
    cr_assert_eq(intake_inbox(sp, &scope, dir, 0, NULL, &young, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_failed, 2);
    cr_expect_eq(young, 0);
    struct stat sb;
    cr_expect(lstat(at("failed/p.csv"), &sb) == 0 && S_ISFIFO(sb.st_mode));
    cr_expect(lstat(at("failed/d.csv"), &sb) == 0 && S_ISDIR(sb.st_mode));
    char *text = slurp(at("failed/p.csv.errors"));
    cr_expect(strstr(text, "p.csv: not a regular file (a FIFO)") != NULL,
              "%s", text);
    free(text);
    text = slurp(at("failed/d.csv.errors"));
    cr_expect(strstr(text, "d.csv: not a regular file (a directory)") !=
                  NULL,
              "%s", text);
    free(text);
    cr_expect_neq(access(at("inbox/p.csv"), F_OK), 0);
    cr_expect_neq(access(at("inbox/d.csv"), F_OK), 0);
}

/* failed/NAME.errors is created new, without following links: neither a
 * link planted at NAME.errors nor one at NAME.errors.tmp is written
 * through, and an existing NAME.errors is not replaced: the refused file
 * and its errors go under the next free name. */
Test(intake, errors_are_written_through_no_planted_link)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    put_file(at("victim"), "secret\n");
    put_file(at("victim2"), "secret2\n");
    cr_assert_eq(symlink(at("victim"), at("failed/bad.csv.errors")), 0);
    cr_assert_eq(symlink(at("victim2"), at("failed/bad.csv.1.errors.tmp")),
                 0);
    put_inbox("bad.csv", "indicator,period,value\nnosuch,2026-10,1\n");
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "bad.csv", NULL, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_failed, 1);

    char *text = slurp(at("victim"));
    cr_expect_str_eq(text, "secret\n");
    free(text);
    text = slurp(at("victim2"));
    cr_expect_str_eq(text, "secret2\n", "a link at .errors.tmp was followed");
    free(text);
    cr_expect(is_link(at("failed/bad.csv.errors")),
              "an existing .errors was replaced");
    cr_expect_neq(access(at("failed/bad.csv"), F_OK), 0,
                  "bad.csv sits beside someone else's bad.csv.errors");
    struct stat sb;
    cr_assert_eq(lstat(at("failed/bad.csv.1.errors"), &sb), 0);
    cr_expect(S_ISREG(sb.st_mode));
    cr_expect_eq(lstat(at("failed/bad.csv.1"), &sb), 0);
    text = slurp(at("failed/bad.csv.1.errors"));
    cr_expect(strstr(text, "unknown indicator 'nosuch'") != NULL, "%s",
              text);
    free(text);
    cr_expect_neq(lstat(at("failed/bad.csv.1.errors.tmp"), &sb), 0);
}

/* .errors are 0640 (less the umask): what an office's file said is not
 * for every user of the machine. */
Test(intake, errors_are_not_world_readable)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    put_inbox("bad.csv", "indicator,period,value\nnosuch,2026-10,1\n");
    mode_t old = umask(022);
    int rc = intake_inbox_file(sp, &scope, dir, "bad.csv", NULL, &st, err);
    umask(old);
    cr_assert_eq(rc, ERR_OK, "%s", err);
    struct stat sb;
    cr_assert_eq(stat(at("failed/bad.csv.errors"), &sb), 0);
    cr_expect_eq(sb.st_mode & 0777, 0640, "mode %o", sb.st_mode & 0777);
}

/* A link planted in done/ under the name a file would take is neither
 * followed nor replaced: the file goes under the next free name. */
Test(intake, a_link_planted_in_done_is_left_alone)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    put_file(at("victim"), "secret\n");
    cr_assert_eq(symlink(at("victim"), at("done/a.csv")), 0);
    cr_assert_eq(symlink(at("nowhere"), at("failed/b.csv")), 0);
    put_inbox("a.csv", "indicator,period,value\nurban_new_jobs,2026-10,1\n");
    put_inbox("b.csv", "indicator,period,value\nnosuch,2026-10,1\n");
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "a.csv", NULL, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_done, 1);
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "b.csv", NULL, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_failed, 1);
    cr_expect(is_link(at("done/a.csv")));
    cr_expect(is_link(at("failed/b.csv")));
    cr_expect_neq(access(at("nowhere"), F_OK), 0);
    char *text = slurp(at("victim"));
    cr_expect_str_eq(text, "secret\n");
    free(text);
    text = slurp(at("done/a.csv.1"));
    cr_expect(strstr(text, "urban_new_jobs,2026-10,1") != NULL, "%s", text);
    free(text);
    cr_expect_eq(access(at("failed/b.csv.1"), F_OK), 0);
    cr_expect_eq(access(at("failed/b.csv.1.errors"), F_OK), 0);
}

/* intake_inbox_created: a link or FIFO just made is refused at once; a
 * regular file just made is left for its writer's close. */
Test(intake, created_entries_refused_unless_regular_files)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    put_file(at("shadow"), SECRET);
    cr_assert_eq(symlink(at("shadow"), at("inbox/x.csv")), 0);
    put_inbox("new.csv", "indicator,period,value\n");
    cr_assert_eq(intake_inbox_created(dir, "x.csv", &st, err), ERR_OK, "%s",
                 err);
    cr_expect_eq(st.files_failed, 1);
    cr_expect(is_link(at("failed/x.csv")));
    cr_assert_eq(intake_inbox_created(dir, "new.csv", &st, err), ERR_OK,
                 "%s", err);
    cr_expect_eq(st.files_failed, 0);
    cr_expect_eq(access(at("inbox/new.csv"), F_OK), 0, "a new file was "
                 "taken before its writer closed it");
    cr_assert_eq(intake_inbox_created(dir, "gone.csv", &st, err), ERR_OK);
    cr_expect_eq(queued(), 0);
}

/* When a refused entry cannot be moved to failed/ (here: failed/ is on
 * another file system, so rename fails with EXDEV), the scan fails and
 * says why; the entry stays in the inbox for the next scan. */
Test(intake, a_refusal_that_cannot_move_says_why)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    char shm[64];
    snprintf(shm, sizeof shm, "/dev/shm/hrss-intake-XXXXXX");
    if (mkdtemp(shm) == NULL) {
        cr_skip_test("no /dev/shm");
    }
    cr_assert_eq(rmdir(at("failed")), 0);
    cr_assert_eq(symlink(shm, at("failed")), 0);
    cr_assert_eq(symlink(at("nowhere"), at("inbox/x.csv")), 0);
    size_t young = 0;
    int rc = intake_inbox(sp, &scope, dir, 0, NULL, &young, &st, err);
    char errors[128];
    snprintf(errors, sizeof errors, "%s/x.csv.errors", shm);
    unlink(errors);
    rmdir(shm);
    cr_expect_eq(rc, ERR_IO);
    cr_expect(strstr(err, "cannot move") != NULL &&
                  strstr(err, "x.csv") != NULL &&
                  strstr(err, "cross-device") != NULL,
              "'%s'", err);
    cr_expect(is_link(at("inbox/x.csv")));
    cr_expect_eq(st.files_failed, 0);
}

/* A file's name is chosen by whoever drops it and is quoted in its
 * .errors (which operators cat): no escape of it reaches the .errors,
 * which is valid UTF-8 with no control but its line ends. */
Test(intake, errors_quote_a_hostile_name_cleaned)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    const char *name = "e\x1b]0;owned\x07\xff.csv";
    put_inbox(name, "indicator,period,value\nnosuch\x1b[2J,2026-10,1\n");
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, name, NULL, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_failed, 1);
    char rel[128];
    snprintf(rel, sizeof rel, "failed/%s.errors", name);
    char *text = slurp(at(rel));
    cr_expect(strpbrk(text, "\x1b\x07\xff") == NULL, "%s", text);
    cr_expect(strstr(text, "e\xEF\xBF\xBD]0;owned\xEF\xBF\xBD\xEF\xBF\xBD"
                           ".csv:2: indicator:") != NULL,
              "%s", text);
    free(text);
}

static int in(const char *rel)
{
    struct stat sb;
    return lstat(at(rel), &sb) == 0;
}

static void append_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    cr_assert_not_null(f, "%s", path);
    cr_assert_geq(fputs(text, f), 0);
    cr_assert_eq(fclose(f), 0);
}

/* What intake told of the files it held. */
typedef struct told {
    int n;
    char name[64];
    int64_t size;
} told_t;

static void record_hold(void *arg, const char *name, int64_t size,
                        int64_t mtime_ns)
{
    told_t *t = arg;
    (void)mtime_ns;
    t->n++;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->size = size;
}

/* Issue 9, item 2: a file whose last byte is not a newline (a copy cut
 * short by a full disk, or one still being written) is not taken: it
 * stays in the inbox, nothing of it is queued, it is not refused, and the
 * caller is told; scans do not count it as being written (that would
 * rescan every second). Completed, it is taken whole: its cut value is
 * queued as it ends, not as it was cut (1001615, not 100). */
Test(intake, a_file_without_its_final_newline_stays_in_the_inbox)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    told_t t = {0};
    intake_hold_t hold = {record_hold, &t};
    const char *cut = "indicator,period,value\n"
                      "urban_new_jobs,2026-10,1\n"
                      "urban_new_jobs,2026-09,100";
    put_inbox("cut.csv", cut);
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "cut.csv", &hold, &st,
                                   err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_done, 0);
    cr_expect_eq(st.files_failed, 0);
    cr_expect_eq(st.files_held, 1);
    cr_expect_eq(t.n, 1);
    cr_expect_str_eq(t.name, "cut.csv");
    cr_expect_eq(t.size, (int64_t)strlen(cut));
    cr_expect_eq(queued(), 0, "a cut file was queued");
    size_t young = 7;
    cr_assert_eq(intake_inbox(sp, &scope, dir, 0, &hold, &young, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_done, 0);
    cr_expect_eq(st.files_failed, 0);
    cr_expect_eq(st.files_held, 1);
    cr_expect_eq(t.n, 2, "a scan did not tell of the held file");
    cr_expect_eq(young, 0, "a cut file counted as being written");
    cr_expect_eq(queued(), 0, "a cut file was queued by a scan");
    cr_expect(in("inbox/cut.csv"));
    cr_expect(!in("done/cut.csv") && !in("failed/cut.csv"));

    append_file(at("inbox/cut.csv"), "1615\n");
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "cut.csv", &hold, &st,
                                   err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_done, 1);
    cr_expect_eq(st.files_held, 0);
    cr_expect_eq(t.n, 2);
    cr_expect_eq(st.rows, 2);
    cr_expect(in("done/cut.csv") && !in("inbox/cut.csv"));
    spool_update_t u[4];
    size_t n = 0;
    cr_assert_eq(spool_read(sp, 1, u, 4, &n, err), ERR_OK, "%s", err);
    cr_assert_eq(n, 2);
    cr_expect_eq(u[1].num, 1001615);
}

/* A file ending in CRLF ends with a newline: taken. */
Test(intake, a_file_ending_in_crlf_is_taken)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    put_inbox("w.csv", "indicator,period,value\r\nurban_new_jobs,2026-10,1"
                       "\r\n");
    size_t young = 0;
    cr_assert_eq(intake_inbox(sp, &scope, dir, 0, NULL, &young, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_done, 1);
    cr_expect_eq(queued(), 1);
}

/* An empty file is what `cp` leaves when the disk is already full: it is
 * held like any file without its final newline, not refused. */
Test(intake, an_empty_file_stays_in_the_inbox)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    put_inbox("empty.csv", "");
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "empty.csv", NULL, &st,
                                   err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_held, 1);
    size_t young = 0;
    cr_assert_eq(intake_inbox(sp, &scope, dir, 0, NULL, &young, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_failed, 0, "an empty file was refused");
    cr_expect_eq(st.files_held, 1);
    cr_expect_eq(young, 0);
    cr_expect(in("inbox/empty.csv") && !in("failed/empty.csv"));
    cr_expect(!in("failed/empty.csv.errors"));
}

/* Names starting with '.' or ending in .part are someone's copy in
 * progress: never taken, refused, moved or reported held, whatever they
 * are (a link included) and however they are announced; renamed to a
 * plain NAME.csv, a file is taken at once. */
Test(intake, part_and_dot_names_are_left_alone_until_renamed)
{
    char err[ERR_LEN] = "";
    intake_stats_t st;
    told_t t = {0};
    intake_hold_t hold = {record_hold, &t};
    const char *good = "indicator,period,value\nurban_new_jobs,2026-10,1\n";
    const char *names[] = {"x.csv.part", ".y.csv", ".z.csv.part",
                           "X.CSV.PART", ".l.csv"};
    put_inbox("x.csv.part", good);
    put_inbox(".y.csv", good);
    put_inbox(".z.csv.part", "indicator,period,value\nurban_new_jobs,20");
    put_inbox("X.CSV.PART", good);
    cr_assert_eq(symlink(at("nowhere"), at("inbox/.l.csv")), 0);
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(intake_inbox_created(dir, names[i], &st, err), ERR_OK);
        cr_expect_eq(st.files_failed, 0, "%s", names[i]);
        cr_assert_eq(intake_inbox_file(sp, &scope, dir, names[i], &hold, &st,
                                       err),
                     ERR_OK, "%s", err);
        cr_expect_eq(st.files_done + st.files_failed + st.files_held, 0,
                     "%s", names[i]);
    }
    size_t young = 0;
    cr_assert_eq(intake_inbox(sp, &scope, dir, 0, &hold, &young, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_done + st.files_failed + st.files_held, 0);
    cr_expect_eq(t.n, 0, "a copy in progress was reported held");
    cr_expect_eq(queued(), 0);
    for (size_t i = 0; i < 5; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "inbox/%s", names[i]);
        cr_expect(in(rel), "%s was moved", names[i]);
    }
    cr_assert_eq(rename(at("inbox/x.csv.part"), at("inbox/x.csv")), 0);
    cr_assert_eq(intake_inbox_file(sp, &scope, dir, "x.csv", NULL, &st, err),
                 ERR_OK, "%s", err);
    cr_expect_eq(st.files_done, 1);
    cr_expect(in("done/x.csv"));
    cr_expect_eq(queued(), 1);
}
