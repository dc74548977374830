/* test_intake.c: office CSV files through the real agent: GBK with
 * Chinese names, a bad row refusing the whole file, the inbox folder, and
 * the collector's query socket answering for the data. */
#include <criterion/criterion.h>
#include <iconv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "agent/spool.h"
#include "common/period.h"
#include "harness.h"
#include "proto/hrss.pb-c.h"

TestSuite(intake, .init = hx_setup, .fini = hx_teardown, .timeout = 120);

typedef struct env {
    char db[300];
    char state[300];
    char endpoint[64];
    hx_coll_t coll;
} env_t;

static void env_start(env_t *e)
{
    snprintf(e->db, sizeof e->db, "%s/db", hx_dir);
    snprintf(e->state, sizeof e->state, "%s/agent", hx_dir);
    char log[300];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_collector_start(&e->coll, e->db, log);
    snprintf(e->endpoint, sizeof e->endpoint, "%s", e->coll.ingest);
}

static int agent(env_t *e, const char *a1, const char *a2, const char *a3,
                 char *out, size_t len)
{
    const char *argv[] = {"hrss-agent", "--state-dir", e->state,
                          "--collector", e->endpoint, "--region", "330100",
                          "--insecure", a1, a2, a3, NULL};
    return hx_run(argv, 60000, out, len);
}

/* UTF-8 -> GBK, as Excel in China saves CSV. */
static size_t to_gbk(const char *utf8, char *out, size_t cap)
{
    iconv_t cd = iconv_open("GBK", "UTF-8");
    cr_assert_neq(cd, (iconv_t)-1);
    char *in = (char *)(uintptr_t)utf8;
    size_t inleft = strlen(utf8);
    char *o = out;
    size_t oleft = cap;
    cr_assert_neq(iconv(cd, &in, &inleft, &o, &oleft), (size_t)-1);
    iconv_close(cd);
    return cap - oleft;
}

static value_t stored(env_t *e, const char *ind, uint32_t region,
                            int y, int m)
{
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(e->db, 0, &cat, &s);
    char err[ERR_LEN];
    value_t v = {0, -1, -1};
    int rc = store_get(s, ind, region, month_make(y, m), &v, err);
    cr_expect_eq(rc, ERR_OK, "%s %u %d-%d: %s", ind, region, y, m, err);
    store_close(&s);
    catalog_destroy(&cat);
    return v;
}

Test(intake, gbk_csv_with_chinese_names_is_accepted)
{
    env_t e;
    env_start(&e);
    const char *utf8 =
        "指标,月份,数值,分子,分母,地区\r\n"
        "城镇新增就业人数,2025-10,1234,,,330102\r\n"
        "劳动人事争议调解成功率,2025-10,,45,50,330100\r\n"
        "其中:高级职称人才数量,2025/9,\"12,000\",,,330105\r\n";
    char gbk[1024];
    size_t n = to_gbk(utf8, gbk, sizeof gbk);
    cr_assert(n < strlen(utf8), "GBK is shorter than UTF-8 for Chinese");
    char path[300];
    snprintf(path, sizeof path, "%s/gbk.csv", hx_dir);
    hx_write(path, gbk, n);
    char out[4096];
    cr_assert_eq(agent(&e, "submit", path, NULL, out, sizeof out), 0, "%s",
                 out);
    cr_expect(strstr(out, "queued 3 updates") != NULL, "%s", out);
    cr_assert_eq(agent(&e, "flush", "--timeout", "30", out, sizeof out), 0,
                 "%s", out);
    cr_expect_eq(stored(&e, "urban_new_jobs", 330102, 2025, 10).num, 1234);
    value_t r =
        stored(&e, "dispute_mediation_success_rate", 330100, 2025, 10);
    cr_expect_eq(r.num, 45);
    cr_expect_eq(r.den, 50);
    cr_expect_eq(stored(&e, "senior_title_talent", 330105, 2025, 9).num,
                 12000);
}

Test(intake, one_bad_row_refuses_the_whole_file)
{
    env_t e;
    env_start(&e);
    const char *csv = "indicator,period,value,region\n"
                      "urban_new_jobs,2025-01,10,330102\n"
                      "urban_new_jobs,2025-13,10,330102\n"
                      "urban_new_jobs,2025-03,10,330102\n"
                      "urban_new_jobs,2025-04,-5,330102\n";
    char path[300];
    snprintf(path, sizeof path, "%s/bad.csv", hx_dir);
    hx_write(path, csv, strlen(csv));
    char out[4096];
    cr_assert_eq(agent(&e, "submit", path, NULL, out, sizeof out), 65, "%s",
                 out);
    char want[400];
    snprintf(want, sizeof want, "%s:3: period:", path);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    snprintf(want, sizeof want, "%s:5: value:", path);
    cr_expect(strstr(out, want) != NULL, "every error is listed: %s", out);
    cr_expect(strstr(out, "nothing was queued") != NULL, "%s", out);
    cr_assert_eq(agent(&e, "status", "--json", NULL, out, sizeof out), 0);
    cr_expect(strstr(out, "\"queued\": 0,") != NULL, "%s", out);
    cr_expect(strstr(out, "\"last_assigned_seq\": 0,") != NULL, "%s", out);
}

static int exists(const char *dir, const char *name)
{
    char p[600];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0;
}

typedef struct path_in {
    const char *dir;
    const char *name;
} path_in_t;

static int appeared(void *arg)
{
    const path_in_t *p = arg;
    return exists(p->dir, p->name);
}

/* How long a file found by a scan must be unchanged before the agent
 * takes it where it cannot ask (agent/watch.c INBOX_MIN_AGE_MS). */
#define INBOX_MIN_AGE_MS 1000

/* arg: {path, text}: the file contains the text. */
static int file_has(void *arg)
{
    const char **what = arg;
    return hx_file_contains(what[0], what[1]);
}

typedef struct aged {
    const char *path;
    long ms;
} aged_t;

/* The file's last change is at least a->ms old by the file system's
 * clock (the clock the agent compares with), or it is gone (taken: the
 * checks after the wait say so). */
static int older_than(void *arg)
{
    const aged_t *a = arg;
    struct stat sb;
    struct timespec now;
    if (stat(a->path, &sb) != 0) {
        return 1;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    long age = (long)(now.tv_sec - sb.st_mtim.tv_sec) * 1000 +
               (now.tv_nsec - sb.st_mtim.tv_nsec) / 1000000;
    return age >= a->ms;
}

Test(intake, inbox_files_go_to_done_or_failed)
{
    env_t e;
    env_start(&e);
    char inbox[400];
    char done[400];
    char failed[400];
    char p[600];
    char tmp[600];
    snprintf(inbox, sizeof inbox, "%s/inbox", e.state);
    snprintf(done, sizeof done, "%s/done", e.state);
    snprintf(failed, sizeof failed, "%s/failed", e.state);
    cr_assert_eq(mkdir(e.state, 0750), 0);
    cr_assert_eq(mkdir(inbox, 0750), 0);
    /* A file already waiting when the agent starts is taken too (by the
     * start-up scan). */
    const char *early = "indicator,period,value\nurban_new_jobs,2025-05,5\n";
    snprintf(p, sizeof p, "%s/early.csv", inbox);
    hx_write(p, early, strlen(early));
    /* A file still being written is left alone, however long its writer
     * stalls: the agent asks whether it is open for writing. It is open
     * before the agent starts, so that every scan finds it. */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/bad.csv", inbox);
    /* "e": O_CLOEXEC, or the agent started below would inherit the
     * descriptor and itself keep the file open for writing. */
    FILE *partial = fopen(bad, "we");
    cr_assert_not_null(partial);
    fputs("indicator,period,", partial);
    cr_assert_eq(fflush(partial), 0);
    /* The probe proves a later scan (below); written now, so that it is
     * old enough even for an agent that can only judge by age. */
    const char *probe = "indicator,period,value\nurban_new_jobs,2025-04,4\n";
    char probe_src[400];
    snprintf(probe_src, sizeof probe_src, "%s/probe.csv", hx_dir);
    hx_write(probe_src, probe, strlen(probe));

    const char *argv[] = {"hrss-agent", "--state-dir", e.state,
                          "--collector", e.endpoint, "--region", "330100",
                          "--insecure", "run", NULL};
    char log[300];
    snprintf(log, sizeof log, "%s/agent.log", hx_dir);
    pid_t ag = hx_spawn(log, argv);
    path_in_t early_done = {done, "early.csv"};
    cr_assert(hx_wait_until(appeared, &early_done, 30000),
              "a file waiting at start-up was not taken");
    /* A finished file is taken at once (moved in: inotify). */
    const char *good = "indicator,period,value\npension_insured,2025-06,777\n";
    snprintf(tmp, sizeof tmp, "%s/.good.csv.part", inbox);
    hx_write(tmp, good, strlen(good));
    snprintf(p, sizeof p, "%s/good.csv", inbox);
    cr_assert_eq(rename(tmp, p), 0);
    path_in_t good_done = {done, "good.csv"};
    cr_assert(hx_wait_until(appeared, &good_done, 30000),
              "a file moved into the inbox was not taken");
    /* That bad.csv is still there proves nothing until the agent has
     * looked at it while it was old enough to be taken by its age alone.
     * The probe is hard-linked in: a link raises neither IN_CLOSE_WRITE
     * nor IN_MOVED_TO, so only a scan of the whole inbox takes it, and
     * the agent keeps rescanning while a file there is being written.
     * Once the probe is in done/, a scan ran after bad.csv was past the
     * age limit, and it left bad.csv where it was. */
    aged_t bad_age = {bad, INBOX_MIN_AGE_MS + 100};
    cr_assert(hx_wait_until(older_than, &bad_age, 30000));
    /* Gone already: taken by its age alone (and then no file is young
     * any more, no rescan would take the probe). */
    cr_assert(exists(inbox, "bad.csv"), "a file being written was taken");
    snprintf(p, sizeof p, "%s/probe.csv", inbox);
    cr_assert_eq(link(probe_src, p), 0);
    path_in_t probe_done = {done, "probe.csv"};
    cr_assert(hx_wait_until(appeared, &probe_done, 30000),
              "no scan of the inbox took the probe");
    cr_expect(exists(inbox, "bad.csv"), "a file being written was taken");
    cr_expect(!exists(failed, "bad.csv"), "a file being written was taken");
    fputs("value\nno_such,2025-06,1\n", partial);
    cr_assert_eq(fclose(partial), 0);
    /* The agent moves the file to failed/, then writes NAME.errors (not
     * atomically): wait for what it says, not for the file to exist. */
    char errpath[600];
    snprintf(errpath, sizeof errpath, "%s/bad.csv.errors", failed);
    const char *says[] = {errpath, "bad.csv:2: indicator:"};
    int told = hx_wait_until(file_has, says, 30000);
    char errors[2048] = "";
    FILE *f = fopen(errpath, "r");
    if (f != NULL) {
        size_t n = fread(errors, 1, sizeof errors - 1, f);
        errors[n] = '\0';
        fclose(f);
    }
    cr_assert(told, "a finished bad file was not refused with its "
                    "errors: '%s'", errors);
    cr_assert(exists(failed, "bad.csv"));
    cr_expect(!exists(inbox, "good.csv") && !exists(inbox, "bad.csv"));

    /* flush while run is active waits for the daemon instead of sending */
    char out[4096];
    cr_assert_eq(agent(&e, "flush", "--timeout", "30", out, sizeof out), 0,
                 "%s", out);
    cr_expect_eq(stored(&e, "pension_insured", 330100, 2025, 6).num, 777);
    cr_expect_eq(stored(&e, "urban_new_jobs", 330100, 2025, 5).num, 5);
    cr_expect_eq(stored(&e, "urban_new_jobs", 330100, 2025, 4).num, 4);
    cr_expect_eq(hx_stop(ag, SIGTERM, 10000), 0);
}

/* The spool's last assigned number, from `status --json`: how many
 * updates were ever queued (the collector's acks do not lower it). */
static long assigned(env_t *e)
{
    char out[8192];
    cr_assert_eq(agent(e, "status", "--json", NULL, out, sizeof out), 0, "%s",
                 out);
    const char *key = "\"last_assigned_seq\": ";
    const char *p = strstr(out, key);
    cr_assert_not_null(p, "%s", out);
    return strtol(p + strlen(key), NULL, 10);
}

static void append_to(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    cr_assert_not_null(f, "%s", path);
    cr_assert_geq(fputs(text, f), 0);
    cr_assert_eq(fclose(f), 0);
}

typedef struct count {
    const char *path;
    const char *needle;
    int n;
} count_t;

/* The file contains the text c->n times. */
static int count_is(void *arg)
{
    const count_t *c = arg;
    return hx_file_count(c->path, c->needle) == c->n;
}

/* Start `run` on e->state (inbox made) and wait until its start-up scan
 * of the inbox is over: it connects to the collector only after it. */
static pid_t run_agent(env_t *e, char *log, size_t len)
{
    const char *argv[] = {"hrss-agent", "--state-dir", e->state,
                          "--collector", e->endpoint, "--region", "330100",
                          "--insecure", "run", NULL};
    snprintf(log, len, "%s/agent.log", hx_dir);
    pid_t ag = hx_spawn(log, argv);
    const char *hello[] = {e->coll.log, "(region 330100) connected"};
    cr_assert(hx_wait_until(file_has, hello, 30000),
              "the agent never reached the collector");
    return ag;
}

/* Issue 9, item 2: `cp figures.csv STATE/inbox/` on a disk that fills
 * leaves a file cut mid-line; it used to be queued (rows lost, the last
 * value cut from 1001615 to 100). A file whose last byte is not a newline
 * is left in the inbox, warned of once (not at every rescan), and taken
 * once it is complete; a file written in place that ends with a newline
 * is taken as before. */
Test(intake, a_file_cut_short_is_held_until_complete)
{
    env_t e;
    env_start(&e);
    char inbox[400];
    char done[400];
    char failed[400];
    char p[600];
    snprintf(inbox, sizeof inbox, "%s/inbox", e.state);
    snprintf(done, sizeof done, "%s/done", e.state);
    snprintf(failed, sizeof failed, "%s/failed", e.state);
    cr_assert_eq(mkdir(e.state, 0750), 0);
    cr_assert_eq(mkdir(inbox, 0750), 0);
    /* Cut short before the agent starts: its start-up scan holds it. */
    const char *early = "indicator,period,value\nurban_new_jobs,2025-05,5";
    snprintf(p, sizeof p, "%s/early.csv", inbox);
    hx_write(p, early, strlen(early));
    /* Open for writing throughout (O_CLOEXEC: "e"), so that the agent
     * rescans the inbox every second (see inbox_files_go_to_done_or_failed
     * for why a hard-linked probe proves a rescan). */
    char busy[600];
    snprintf(busy, sizeof busy, "%s/busy.csv", inbox);
    FILE *writing = fopen(busy, "we");
    cr_assert_not_null(writing);
    fputs("indicator,period,", writing);
    cr_assert_eq(fflush(writing), 0);
    const char *probe = "indicator,period,value\nurban_new_jobs,2025-04,4\n";
    char probe_src[400];
    snprintf(probe_src, sizeof probe_src, "%s/probe.csv", hx_dir);
    hx_write(probe_src, probe, strlen(probe));
    char log[300];
    pid_t ag = run_agent(&e, log, sizeof log);

    /* Written in place and cut mid-value, as a full disk leaves it. */
    const char *cut = "indicator,period,value\nurban_new_jobs,2025-06,12\n"
                      "pension_insured,2025-06,100";
    snprintf(p, sizeof p, "%s/cut.csv", inbox);
    hx_write(p, cut, strlen(cut));
    /* A complete file written in place after it is taken, and inotify's
     * events are handled in order: once it is in done/, cut.csv was
     * looked at. */
    const char *later = "indicator,period,value\nurban_new_jobs,2025-07,7\n";
    snprintf(p, sizeof p, "%s/later.csv", inbox);
    hx_write(p, later, strlen(later));
    path_in_t later_done = {done, "later.csv"};
    cr_assert(hx_wait_until(appeared, &later_done, 30000),
              "a complete file written in place was not taken");
    snprintf(p, sizeof p, "%s/probe.csv", inbox);
    cr_assert_eq(link(probe_src, p), 0);
    path_in_t probe_done = {done, "probe.csv"};
    cr_assert(hx_wait_until(appeared, &probe_done, 30000),
              "no scan of the inbox took the probe");
    cr_expect_eq(assigned(&e), 2, "a file cut short was queued");
    const char *names[] = {"early.csv", "cut.csv"};
    for (size_t i = 0; i < 2; i++) {
        cr_expect(exists(inbox, names[i]), "%s left the inbox", names[i]);
        cr_expect(!exists(done, names[i]) && !exists(failed, names[i]),
                  "%s was taken or refused", names[i]);
        char says[100];
        snprintf(says, sizeof says, "%s does not end with a newline",
                 names[i]);
        cr_expect_eq(hx_file_count(log, says), 1,
                     "%s: not warned of once, with the scans since", names[i]);
    }
    cr_expect(hx_file_contains(log, ".part"), "the warning says how to drop "
                                              "a file safely");

    /* Written to again, still cut: warned of again (it changed). */
    snprintf(p, sizeof p, "%s/cut.csv", inbox);
    append_to(p, "16");
    count_t again = {log, "cut.csv does not end with a newline", 2};
    cr_assert(hx_wait_until(count_is, &again, 30000),
              "a held file that changed was not warned of again");
    /* Completed in place: taken whole, at once. */
    append_to(p, "15\n");
    snprintf(p, sizeof p, "%s/early.csv", inbox);
    append_to(p, "\n");
    path_in_t cut_done = {done, "cut.csv"};
    path_in_t early_done = {done, "early.csv"};
    cr_assert(hx_wait_until(appeared, &cut_done, 30000));
    cr_assert(hx_wait_until(appeared, &early_done, 30000));
    cr_assert_eq(unlink(busy), 0);
    cr_assert_eq(fclose(writing), 0);
    char out[4096];
    cr_assert_eq(agent(&e, "flush", "--timeout", "30", out, sizeof out), 0,
                 "%s", out);
    cr_expect_eq(assigned(&e), 5);
    cr_expect_eq(stored(&e, "pension_insured", 330100, 2025, 6).num,
                 1001615);
    cr_expect_eq(stored(&e, "urban_new_jobs", 330100, 2025, 6).num, 12);
    cr_expect_eq(stored(&e, "urban_new_jobs", 330100, 2025, 5).num, 5);
    cr_expect_eq(stored(&e, "urban_new_jobs", 330100, 2025, 7).num, 7);
    cr_expect_eq(hx_stop(ag, SIGTERM, 10000), 0);
}

/* The safe way to drop a file: copy it under a name the agent ignores (a
 * leading '.' or a .part suffix), then rename it into place. Such names
 * are never taken, refused or logged; renamed to NAME.csv, a file is
 * taken at once. A file renamed in is held all the same when it does not
 * end with a newline (a `cp` that failed, then `mv` anyway), and so is
 * an empty file. */
Test(intake, part_and_dot_files_wait_for_their_rename)
{
    env_t e;
    env_start(&e);
    char inbox[400];
    char done[400];
    char failed[400];
    char p[600];
    char q[600];
    snprintf(inbox, sizeof inbox, "%s/inbox", e.state);
    snprintf(done, sizeof done, "%s/done", e.state);
    snprintf(failed, sizeof failed, "%s/failed", e.state);
    cr_assert_eq(mkdir(e.state, 0750), 0);
    cr_assert_eq(mkdir(inbox, 0750), 0);
    char log[300];
    pid_t ag = run_agent(&e, log, sizeof log);

    const char *x = "indicator,period,value\nurban_new_jobs,2025-03,3\n";
    const char *y = "indicator,period,value\nurban_new_jobs,2025-02,2\n";
    const char *cut = "indicator,period,value\nurban_new_jobs,2025-01,1";
    const char *ignored[] = {"x.csv.part", ".y.csv", ".z.csv.part"};
    snprintf(p, sizeof p, "%s/x.csv.part", inbox);
    hx_write(p, x, strlen(x));
    snprintf(p, sizeof p, "%s/.y.csv", inbox);
    hx_write(p, y, strlen(y));
    snprintf(p, sizeof p, "%s/.z.csv.part", inbox);
    hx_write(p, cut, strlen(cut));
    snprintf(p, sizeof p, "%s/empty.csv", inbox);
    hx_write(p, "", 0);
    snprintf(p, sizeof p, "%s/.moved.csv.part", inbox);
    hx_write(p, cut, strlen(cut));
    snprintf(q, sizeof q, "%s/moved.csv", inbox);
    cr_assert_eq(rename(p, q), 0);
    const char *later = "indicator,period,value\nurban_new_jobs,2025-07,7\n";
    snprintf(p, sizeof p, "%s/later.csv", inbox);
    hx_write(p, later, strlen(later));
    path_in_t later_done = {done, "later.csv"};
    cr_assert(hx_wait_until(appeared, &later_done, 30000),
              "a complete file written in place was not taken");
    cr_expect_eq(assigned(&e), 1, "more than later.csv was queued");
    for (size_t i = 0; i < 3; i++) {
        cr_expect(exists(inbox, ignored[i]), "%s left the inbox",
                  ignored[i]);
        cr_expect(!exists(done, ignored[i]) && !exists(failed, ignored[i]));
        cr_expect_eq(hx_file_count(log, ignored[i]), 0, "%s was logged",
                     ignored[i]);
    }
    const char *held[] = {"moved.csv", "empty.csv"};
    for (size_t i = 0; i < 2; i++) {
        cr_expect(exists(inbox, held[i]), "%s left the inbox", held[i]);
        cr_expect(!exists(done, held[i]) && !exists(failed, held[i]),
                  "%s was taken or refused", held[i]);
        char says[100];
        snprintf(says, sizeof says, "%s does not end with a newline",
                 held[i]);
        cr_expect_eq(hx_file_count(log, says), 1, "%s", held[i]);
    }

    /* Renamed into place: taken at once (nothing in the inbox is being
     * written, so no rescan would take them). */
    snprintf(p, sizeof p, "%s/x.csv.part", inbox);
    snprintf(q, sizeof q, "%s/x.csv", inbox);
    cr_assert_eq(rename(p, q), 0);
    snprintf(p, sizeof p, "%s/.y.csv", inbox);
    snprintf(q, sizeof q, "%s/y.csv", inbox);
    cr_assert_eq(rename(p, q), 0);
    path_in_t x_done = {done, "x.csv"};
    path_in_t y_done = {done, "y.csv"};
    cr_expect(hx_wait_until(appeared, &x_done, 30000));
    cr_expect(hx_wait_until(appeared, &y_done, 30000));
    cr_expect_eq(assigned(&e), 3);
    cr_expect_eq(hx_stop(ag, SIGTERM, 10000), 0);
}

typedef struct stored_wait {
    store_t *s;
    const char *ind;
    uint32_t region;
    int32_t month;
    int64_t num;
} stored_wait_t;

static int is_stored(void *arg)
{
    const stored_wait_t *w = arg;
    char err[ERR_LEN];
    value_t v;
    return store_get(w->s, w->ind, w->region, w->month, &v, err) == ERR_OK &&
           v.num == w->num;
}

/* A submit while `run` is idle wakes it (inotify on the spool
 * directory), so it is sent at once rather than at the agent's next timer
 * (its ping, a minute away). That the wake-up comes after the commit is
 * test_spool's append_wakes_watchers_after_the_commit: here the submit
 * process also closes data.mdb when it exits, which wakes the agent too. */
Test(intake, submit_while_running_is_sent_promptly)
{
    env_t e;
    env_start(&e);
    const char *argv[] = {"hrss-agent", "--state-dir", e.state,
                          "--collector", e.endpoint, "--region", "330100",
                          "--insecure", "run", NULL};
    char log[300];
    snprintf(log, sizeof log, "%s/agent.log", hx_dir);
    pid_t ag = hx_spawn(log, argv);
    /* Wait until it has said hello: from then on it is idle, with
     * nothing to send and its next timer a minute away. */
    const char *hello[] = {e.coll.log, "(region 330100) connected"};
    cr_assert(hx_wait_until(file_has, hello, 30000),
              "the agent never reached the collector");
    char out[4096];
    const char *sub[] = {"hrss-agent", "--state-dir", e.state, "--region",
                         "330100", "submit", "--indicator", "urban_new_jobs",
                         "--period", "2025-07", "--value", "42", NULL};
    int64_t t0 = hx_now_ms();
    cr_assert_eq(hx_run(sub, 30000, out, sizeof out), 0, "%s", out);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(e.db, 0, &cat, &s);
    /* The deadline is far below the minute the agent would sleep if the
     * submit did not wake it, and far above what a loaded machine
     * needs. */
    stored_wait_t w = {s, "urban_new_jobs", 330100, month_make(2025, 7), 42};
    int found = hx_wait_until(is_stored, &w, 20000);
    int64_t took = hx_now_ms() - t0;
    store_close(&s);
    catalog_destroy(&cat);
    cr_expect(found, "not stored within 20 s of the submit");
    cr_log_info("submit to stored: %lld ms", (long long)took);
    cr_expect_eq(hx_stop(ag, SIGTERM, 10000), 0);
}

/* The query socket answers protobuf requests for the stored data. */
Test(intake, query_socket_answers_totals)
{
    env_t e;
    env_start(&e);
    char out[4096];
    const char *sub[] = {"hrss-agent", "--state-dir", e.state, "--region",
                         "330100", "submit", "--indicator",
                         "dispute_mediation_success_rate", "--period",
                         "2025-07", "--numerator", "1", "--denominator",
                         "10", NULL};
    cr_assert_eq(hx_run(sub, 30000, out, sizeof out), 0, "%s", out);
    const char *sub2[] = {"hrss-agent", "--state-dir", e.state, "--region",
                          "330100", "submit", "--indicator",
                          "dispute_mediation_success_rate", "--period",
                          "2025-07", "--numerator", "90", "--denominator",
                          "100", "--region", "330102", NULL};
    cr_assert_eq(hx_run(sub2, 30000, out, sizeof out), 0, "%s", out);
    cr_assert_eq(agent(&e, "flush", "--timeout", "30", out, sizeof out), 0,
                 "%s", out);

    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    char ep[64];
    snprintf(ep, sizeof ep, "%s", e.coll.query);
    cr_assert_eq(zmq_connect(s, ep), 0);
    Hrss__TotalQ q = HRSS__TOTAL_Q__INIT;
    q.indicator = (char *)"劳动人事争议调解成功率";
    q.region = 330100;
    q.period = (char *)"2025-Q3";
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_TOTAL;
    req.total = &q;
    uint8_t buf[512];
    size_t len = hrss__query_request__pack(&req, buf);
    cr_assert_eq(zmq_send(s, buf, len, 0), (int)len);
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    cr_assert_eq(zmq_poll(&item, 1, 10000), 1, "no answer");
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    cr_assert(zmq_msg_recv(&msg, s, 0) > 0);
    Hrss__QueryResponse *r = hrss__query_response__unpack(
        NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
    cr_assert_not_null(r);
    cr_expect_eq(r->code, 0, "%s", r->error ? r->error : "");
    cr_assert_eq(r->r_case, HRSS__QUERY_RESPONSE__R_TOTAL);
    cr_expect_str_eq(r->total->indicator, "dispute_mediation_success_rate");
    cr_expect_eq(r->total->numerator, 91);
    cr_expect_eq(r->total->denominator, 110);
    cr_expect_eq(r->total->reporting, 2);
    cr_expect_eq(r->total->expected, 14);
    hrss__query_response__free_unpacked(r, NULL);
    zmq_msg_close(&msg);
    zmq_close(s);
    zmq_ctx_term(ctx);
    cr_expect_eq(hx_collector_stop(&e.coll, 10000), 0);
}

/* Every flag can come from an INI file; flags on the command line win. */
Test(intake, config_files_and_flags_win)
{
    char ini[400];
    char text[1200];
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(ini, sizeof ini, "%s/collector.ini", hx_dir);
    /* The file's query endpoint would bind 127.0.0.2: the endpoints file
     * tells which of the two was used. */
    snprintf(text, sizeof text,
             "[collector]\ndata-dir = %s\ningest = tcp://127.0.0.1:*\n"
             "query = tcp://127.0.0.2:*\ninsecure = true\n",
             db);
    hx_write(ini, text, strlen(text));
    const char *cargv[] = {"hrss-collector", "--config", ini, "--query",
                           "tcp://127.0.0.1:*", NULL};
    char log[300];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_exec(&coll, db, log, cargv);
    /* The flag, not the file, chose the query endpoint. */
    cr_expect(strncmp(coll.query, "tcp://127.0.0.1:", 16) == 0, "%s",
              coll.query);

    char aini[400];
    snprintf(aini, sizeof aini, "%s/agent.ini", hx_dir);
    snprintf(text, sizeof text,
             "# office agent\n[agent]\nstate-dir = %s/agent\n"
             "collector = %s\nregion = 330102\n"
             "name = from-config\ninsecure = yes\n",
             hx_dir, coll.ingest);
    hx_write(aini, text, strlen(text));
    char out[4096];
    const char *sub[] = {"hrss-agent", "--config", aini, "submit",
                         "--indicator", "urban_new_jobs", "--period",
                         "2025-03", "--value", "9", NULL};
    cr_assert_eq(hx_run(sub, 30000, out, sizeof out), 0, "%s", out);
    const char *fl[] = {"hrss-agent", "--config", aini, "flush", "--timeout",
                        "30", NULL};
    cr_assert_eq(hx_run(fl, 60000, out, sizeof out), 0, "%s", out);
    cr_expect_eq(hx_collector_stop(&coll, 10000), 0);

    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 0, &cat, &s);
    char err[ERR_LEN];
    uint64_t next = 0;
    cr_assert_eq(store_next_seq(s, "from-config", &next, err), ERR_OK);
    cr_expect_eq(next, 2);
    store_close(&s);
    catalog_destroy(&cat);

    /* An unknown setting is an error naming file and line. */
    snprintf(text, sizeof text, "[collector]\ndata-dir = x\nbogus = 1\n");
    hx_write(ini, text, strlen(text));
    const char *bad[] = {"hrss-collector", "--config", ini, NULL};
    cr_expect_eq(hx_run(bad, 10000, out, sizeof out), 64);
    char want[500];
    snprintf(want, sizeof want, "%s:3: unknown setting 'bogus'", ini);
    cr_expect(strstr(out, want) != NULL, "%s", out);
}

Test(intake, help_and_usage_errors)
{
    char out[8192];
    const char *h1[] = {"hrss-agent", "--help", NULL};
    cr_expect_eq(hx_run(h1, 10000, out, sizeof out), 0);
    cr_expect(strstr(out, "submit FILE.csv") != NULL);
    cr_expect(strstr(out, "flush [--timeout S]") != NULL);
    cr_expect(strstr(out, "in as .NAME.csv.part, then mv it to") != NULL,
              "--help tells how to drop a file safely");
    const char *h2[] = {"hrss-collector", "--help", NULL};
    cr_expect_eq(hx_run(h2, 10000, out, sizeof out), 0);
    cr_expect(strstr(out, "--ingest ENDPOINT") != NULL);
    const char *u1[] = {"hrss-collector", "--data-dir", hx_dir, NULL};
    cr_expect_eq(hx_run(u1, 10000, out, sizeof out), 64);
    cr_expect(strstr(out, "required") != NULL, "%s", out);
    const char *u2[] = {"hrss-agent", "--state-dir", hx_dir, "--region",
                        "999999", "status", NULL};
    cr_expect_eq(hx_run(u2, 10000, out, sizeof out), 64);
    cr_expect(strstr(out, "999999") != NULL, "%s", out);
    const char *u3[] = {"hrss-agent", "--state-dir", hx_dir, "frobnicate",
                        NULL};
    cr_expect_eq(hx_run(u3, 10000, out, sizeof out), 64);
    cr_expect(strstr(out, "unknown command") != NULL, "%s", out);
    /* Sending without --insecure needs the keys. */
    const char *u4[] = {"hrss-agent", "--state-dir", hx_dir, "--region",
                        "330100", "--collector", "tcp://127.0.0.1:1", "run",
                        NULL};
    cr_expect_eq(hx_run(u4, 10000, out, sizeof out), 64);
    cr_expect(strstr(out, "--insecure") != NULL, "%s", out);
    const char *u5[] = {"hrss-collector", "--data-dir", hx_dir, "--ingest",
                        "tcp://127.0.0.1:*", "--query", "tcp://127.0.0.1:*",
                        NULL};
    /* Without --insecure a collector needs its key and the agents file. */
    cr_expect_eq(hx_run(u5, 10000, out, sizeof out), 64);
    cr_expect(strstr(out, "--key and --agents are required") != NULL, "%s",
              out);
}

typedef struct phase {
    const char *coll_log;
    store_t *st;
    int round;
} phase_t;

/* Every agent k of the round (k % 3 == round) has reached its phase:
 * round 1: the collector has its hello; round 2: its update is stored,
 * so it is idle in its poll with its next timer a minute away. */
static int reached(void *arg)
{
    const phase_t *p = arg;
    for (int k = p->round; k < 12; k += 3) {
        char name[32];
        snprintf(name, sizeof name, "agent-%d", k);
        if (p->round == 1) {
            char line[80];
            snprintf(line, sizeof line, "agent %s (region 330100) connected",
                     name);
            if (!hx_file_contains(p->coll_log, line)) {
                return 0;
            }
        } else {
            char err[ERR_LEN];
            uint64_t next = 0;
            cr_assert_eq(store_next_seq(p->st, name, &next, err), ERR_OK);
            if (next != 2) {
                return 0;
            }
        }
    }
    return 1;
}

/* SIGTERM reaches a busy agent whatever it is doing: the poll is woken
 * through a pipe, not only by EINTR (a signal between the loop's check
 * and the poll used to be seen a minute later, at the next ping). */
Test(intake, agents_stop_promptly_on_sigterm)
{
    env_t e;
    env_start(&e);
    enum { N = 12 };
    pid_t pids[N];
    char out[4096];
    for (int k = 0; k < N; k++) {
        char state[400];
        char name[32];
        snprintf(state, sizeof state, "%s/a%d", hx_dir, k);
        snprintf(name, sizeof name, "agent-%d", k);
        const char *sub[] = {"hrss-agent", "--state-dir", state, "--region",
                             "330100", "--name", name, "submit",
                             "--indicator", "urban_new_jobs", "--period",
                             "2025-01", "--value", "1", NULL};
        cr_assert_eq(hx_run(sub, 30000, out, sizeof out), 0, "%s", out);
        const char *run[] = {"hrss-agent", "--state-dir", state,
                             "--collector", e.endpoint, "--region", "330100",
                             "--name", name, "--insecure", "run", NULL};
        char log[400];
        snprintf(log, sizeof log, "%s/a%d.log", hx_dir, k);
        pids[k] = hx_spawn(log, run);
    }
    catalog_t *cat = NULL;
    store_t *st = NULL;
    hx_open_store(e.db, 0, &cat, &st);
    /* Round 0 at once (the last ones are still starting), round 1 when
     * the collector has their hello, round 2 when they are idle. */
    for (int round = 0; round < 3; round++) {
        phase_t p = {e.coll.log, st, round};
        cr_assert(round == 0 || hx_wait_until(reached, &p, 30000),
                  "agents of round %d never reached their phase", round);
        for (int k = round; k < N; k += 3) {
            kill(pids[k], SIGTERM);
        }
    }
    store_close(&st);
    catalog_destroy(&cat);
    for (int k = 0; k < N; k++) {
        cr_expect_eq(hx_stop(pids[k], 0, 8000), 0, "agent %d did not stop "
                     "within 8 s of SIGTERM", k);
    }
}

/* Item 8: what is made in the inbox in place (a symbolic link, a FIFO),
 * with no writer to close it, is refused at once, unread: moved to
 * failed/ with an .errors saying what it is. The agent goes on taking
 * real files (a FIFO never blocks it). */
Test(intake, links_and_fifos_made_in_the_inbox_are_refused_unread)
{
    env_t e;
    env_start(&e);
    char inbox[400];
    char failed[400];
    char done[400];
    char p[600];
    snprintf(inbox, sizeof inbox, "%s/inbox", e.state);
    snprintf(failed, sizeof failed, "%s/failed", e.state);
    snprintf(done, sizeof done, "%s/done", e.state);
    cr_assert_eq(mkdir(e.state, 0750), 0);
    cr_assert_eq(mkdir(inbox, 0750), 0);
    /* A secret the agent can read, in a form csvin would quote. */
    char secret[400];
    snprintf(secret, sizeof secret, "%s/shadow", hx_dir);
    const char *text = "root:$6$SECRETHASH:19000:0:99999:7:::\n";
    hx_write(secret, text, strlen(text));

    const char *argv[] = {"hrss-agent", "--state-dir", e.state,
                          "--collector", e.endpoint, "--region", "330100",
                          "--insecure", "run", NULL};
    char log[300];
    snprintf(log, sizeof log, "%s/agent.log", hx_dir);
    pid_t ag = hx_spawn(log, argv);
    /* Up and watching: a file moved in is taken. */
    const char *first = "indicator,period,value\nurban_new_jobs,2025-05,5\n";
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/first.csv", hx_dir);
    hx_write(tmp, first, strlen(first));
    snprintf(p, sizeof p, "%s/first.csv", inbox);
    cr_assert_eq(rename(tmp, p), 0);
    path_in_t first_done = {done, "first.csv"};
    cr_assert(hx_wait_until(appeared, &first_done, 30000));

    snprintf(p, sizeof p, "%s/x.csv", inbox);
    cr_assert_eq(symlink(secret, p), 0);
    snprintf(p, sizeof p, "%s/p.csv", inbox);
    cr_assert_eq(mkfifo(p, 0600), 0);
    char xerr[600];
    char perr[600];
    snprintf(xerr, sizeof xerr, "%s/x.csv.errors", failed);
    snprintf(perr, sizeof perr, "%s/p.csv.errors", failed);
    const char *xsays[] = {xerr, "not a regular file (a symbolic link)"};
    const char *psays[] = {perr, "not a regular file (a FIFO)"};
    cr_expect(hx_wait_until(file_has, xsays, 30000),
              "a link made in the inbox was not refused");
    cr_expect(hx_wait_until(file_has, psays, 30000),
              "a FIFO made in the inbox was not refused");
    cr_expect(!hx_file_contains(xerr, "SECRETHASH"),
              "the link's target was read");
    struct stat sb;
    snprintf(p, sizeof p, "%s/x.csv", failed);
    cr_expect(lstat(p, &sb) == 0 && S_ISLNK(sb.st_mode));
    cr_expect(!exists(inbox, "x.csv") && !exists(inbox, "p.csv"));

    /* Still taking files. */
    const char *good = "indicator,period,value\npension_insured,2025-06,7\n";
    snprintf(tmp, sizeof tmp, "%s/good.csv", hx_dir);
    hx_write(tmp, good, strlen(good));
    snprintf(p, sizeof p, "%s/good.csv", inbox);
    cr_assert_eq(rename(tmp, p), 0);
    path_in_t good_done = {done, "good.csv"};
    cr_expect(hx_wait_until(appeared, &good_done, 30000));
    cr_expect_eq(hx_stop(ag, SIGTERM, 10000), 0);
}

/* Whether @p s holds a byte that starts a terminal escape or is not
 * UTF-8 text: ESC, BEL, DEL, a raw C1 byte, 0xFF. (The valid UTF-8 this
 * test expects has none of them.) */
static int has_raw_control(const char *s)
{
    return strpbrk(s, "\x1b\x07\x7f\x9b\xff") != NULL;
}

#define FFFD "\xEF\xBF\xBD"

/* Item 7: a rejection's reason and message come from the collector; an
 * old spool or a hostile collector may have put escapes and invalid
 * UTF-8 there. `status` shows them cleaned, `status --json` escaped, and
 * the JSON is valid UTF-8. */
Test(intake, status_shows_rejections_without_escapes)
{
    char state[300];
    snprintf(state, sizeof state, "%s/agent", hx_dir);
    char out[8192];
    const char *sub[] = {"hrss-agent", "--state-dir", state, "--region",
                         "330100", "submit", "--indicator", "urban_new_jobs",
                         "--period", "2025-07", "--value", "42", NULL};
    cr_assert_eq(hx_run(sub, 30000, out, sizeof out), 0, "%s", out);
    /* What a collector could have said, recorded as the agent records
     * an ack. */
    char spool_dir[400];
    char err[ERR_LEN];
    snprintf(spool_dir, sizeof spool_dir, "%s/spool", state);
    spool_t *sp = NULL;
    cr_assert_eq(spool_open(&sp, spool_dir, err), ERR_OK, "%s", err);
    spool_rejection_t rej;
    memset(&rej, 0, sizeof rej);
    rej.seq = 1;
    rej.reason = 3;
    snprintf(rej.reason_name, sizeof rej.reason_name, "%s",
             "bad\x1b[2J\xC2\x9B");
    snprintf(rej.message, sizeof rej.message, "%s",
             "value: \x1b]0;owned\x07 \x9b" "31m \xff\x7f 西湖区");
    rej.at = 1764000000;
    cr_assert_eq(spool_ack(sp, 2, &rej, 1, err), ERR_OK, "%s", err);
    spool_close(&sp);

    const char *st[] = {"hrss-agent", "--state-dir", state, "status", NULL};
    cr_assert_eq(hx_run(st, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(!has_raw_control(out), "%s", out);
    cr_expect(strstr(out, "bad" FFFD "[2J" FFFD) != NULL, "%s", out);
    cr_expect(strstr(out, "value: " FFFD "]0;owned" FFFD " " FFFD "31m "
                          FFFD FFFD " 西湖区") != NULL,
              "%s", out);

    const char *js[] = {"hrss-agent", "--state-dir", state, "status",
                        "--json", NULL};
    cr_assert_eq(hx_run(js, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(!has_raw_control(out), "%s", out);
    cr_expect(strstr(out, "\"reason\": \"bad\\u001b[2J\\u009b\"") != NULL,
              "%s", out);
    cr_expect(strstr(out, "\"message\": \"value: \\u001b]0;owned\\u0007 "
                          "\\ufffd31m \\ufffd\\u007f 西湖区\"") != NULL,
              "%s", out);
}

/* Run hrssctl on the store in @p db; args NULL-terminated. */
static int ctl_on(const char *db, char *out, size_t len, const char *a1,
                  const char *a2, const char *a3)
{
    const char *argv[] = {"hrssctl", "--data-dir", db, a1, a2, a3, NULL};
    return hx_run(argv, 60000, out, len);
}

/* Item 7, hrssctl: an agent name and an indicator code with escapes and
 * bad bytes, as a store written before the collector refused them may
 * hold, are shown cleaned in tables and CSV and escaped in valid JSON. */
Test(intake, hrssctl_shows_stored_strings_without_escapes)
{
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 1, &cat, &s);
    update_t u[] = {
        {1, "urban_new_jobs", 330102, 202501, {0, 100, 0}},
        {2, "nosuch\x1b[2J\xff", 330102, 202501, {0, 1, 0}},
    };
    /* The store refuses C0 and DEL in a reporter's name, but not C1 (U+009B
     * is CSI to some terminals) nor bytes that are not UTF-8. */
    store_batch_t b = {.reporter = "evil\xC2\x9B" "2J\x9b\xff",
                       .home = -1,
                       .received_at = 1764000000,
                       .current_month = month_make(2026, 11),
                       .updates = u,
                       .n_updates = 2};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_assert_eq(r.rejected, 1);
    store_result_fini(&r);
    store_close(&s);
    catalog_destroy(&cat);

    static char out[65536];
    const char *cmds[] = {"agents", "rejections"};
    const char *fmts[] = {NULL, "--csv", "--json"};
    for (size_t c = 0; c < 2; c++) {
        for (size_t f = 0; f < 3; f++) {
            cr_assert_eq(ctl_on(db, out, sizeof out, cmds[c], fmts[f], NULL),
                         0, "%s", out);
            cr_expect(!has_raw_control(out), "%s %s: %s", cmds[c],
                      fmts[f] ? fmts[f] : "", out);
            if (f < 2) {
                cr_expect(strstr(out, "evil" FFFD "2J" FFFD FFFD) != NULL,
                          "%s %s: %s", cmds[c], fmts[f] ? fmts[f] : "", out);
            } else {
                cr_expect(strstr(out, "\"evil\\u009b2J\\ufffd\\ufffd\"") !=
                              NULL,
                          "%s --json: %s", cmds[c], out);
            }
        }
    }
    cr_assert_eq(ctl_on(db, out, sizeof out, "rejections", "--json", NULL),
                 0);
    cr_expect(strstr(out, "nosuch\\u001b[2J\\ufffd") != NULL, "%s", out);
}
