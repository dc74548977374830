/* test_office.c: issue 11 as an office clerk and an administrator meet it,
 * through the real binaries: flush and submit --wait fail (65) listing
 * what the collector rejected, status tells new rejections from earlier
 * ones; malformed endpoints are usage errors at once; permission errors
 * name the path, the permission and the user; inbox refusals counted
 * together and cited where the file went; every --help line within 80
 * columns; flag and range messages name the flag. Issue 13: status
 * lists the figures due soon or overdue that the office never queued,
 * and no longer one it queued, after the collector acknowledged it. */
#define _GNU_SOURCE /* setresuid */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/catalog.h"
#include "common/deadline.h"
#include "common/period.h"
#include "harness.h"

TestSuite(office, .init = hx_setup, .fini = hx_teardown, .timeout = 180);

typedef struct env {
    char db[300];
    char state[300];
    char cat[300]; /* the agent's catalog: one indicator more */
    hx_coll_t coll;
} env_t;

/* The shipped catalog plus an indicator the collector does not know: a
 * figure for it passes the agent's checks and is rejected by the
 * collector ("unknown_indicator"), as when the two run different
 * catalogs. */
static void extra_catalog(const char *dir)
{
    cr_assert_eq(mkdir(dir, 0755), 0);
    const char *files[] = {"indicators.csv", "regions.csv", "plan.csv"};
    for (size_t i = 0; i < 3; i++) {
        char src[600];
        char dst[600];
        snprintf(src, sizeof src, "%s/%s", HRSS_TEST_CATALOG_DIR, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        FILE *in = fopen(src, "rb");
        FILE *out = fopen(dst, "wb");
        cr_assert(in != NULL && out != NULL);
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
            cr_assert_eq(fwrite(buf, 1, n, out), n);
        }
        if (i == 0) {
            fputs("20,extra_jobs,额外就业,Extra jobs,就业,万人,count,sum,,"
                  "500,cumulative_2021_2025,at_least,expected,,,\n",
                  out);
        }
        fclose(in);
        cr_assert_eq(fclose(out), 0);
    }
}

static void env_start(env_t *e)
{
    snprintf(e->db, sizeof e->db, "%s/db", hx_dir);
    snprintf(e->state, sizeof e->state, "%s/agent", hx_dir);
    snprintf(e->cat, sizeof e->cat, "%s/cat", hx_dir);
    extra_catalog(e->cat);
    char log[300];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_collector_start(&e->coll, e->db, log);
}

/* hrss-agent with the test's state, collector and catalog, then up to
 * 8 arguments (NULL-terminated). */
static int agent(env_t *e, char *out, size_t len, const char *const *args)
{
    const char *argv[24] = {"hrss-agent", "--state-dir", e->state,
                            "--collector", e->coll.ingest, "--region",
                            "330100", "--insecure", "--catalog", e->cat};
    size_t n = 10;
    for (size_t i = 0; args[i] != NULL && n < 22; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    return hx_run(argv, 90000, out, len);
}

#define AGENT(e, out, ...)                                                   \
    agent((e), (out), sizeof(out), (const char *const[]){__VA_ARGS__, NULL})

Test(office, flush_and_submit_wait_fail_listing_rejections)
{
    env_t e;
    env_start(&e);
    static char out[16384];
    cr_assert_eq(AGENT(&e, out, "submit", "--indicator", "extra_jobs",
                       "--period", "2025-10", "--value", "5"),
                 0, "%s", out);
    cr_expect(strstr(out, "queued 1 update\n") != NULL, "%s", out);
    /* Before: exit 0, and only a WARN line said anything. */
    cr_assert_eq(AGENT(&e, out, "flush", "--timeout", "60"), 65, "%s", out);
    cr_expect(strstr(out, "the collector rejected 1 update ") != NULL, "%s",
              out);
    cr_expect(strstr(out, "seq 1: extra_jobs 330100 2025-10 value 5: "
                          "indicator: unknown indicator 'extra_jobs' "
                          "[unknown_indicator]") != NULL,
              "%s", out);
    /* Shown once: the next flush has nothing new to say. */
    cr_assert_eq(AGENT(&e, out, "flush", "--timeout", "60"), 0, "%s", out);
    cr_expect(strstr(out, "rejected") == NULL, "%s", out);

    /* submit --wait: queue, then flush with the same meaning. */
    cr_assert_eq(AGENT(&e, out, "submit", "--wait", "--timeout", "60",
                       "--indicator", "urban_new_jobs", "--period",
                       "2025-10", "--value", "7"),
                 0, "%s", out);
    cr_assert_eq(AGENT(&e, out, "submit", "--wait", "--indicator",
                       "extra_jobs", "--period", "2025-09", "--value", "8"),
                 65, "%s", out);
    cr_expect(strstr(out, "seq 3: extra_jobs 330100 2025-09 value 8") !=
                  NULL,
              "%s", out);
    cr_expect(strstr(out, "seq 1:") == NULL, "shown before: %s", out);
    cr_assert_eq(AGENT(&e, out, "submit", "--timeout", "5", "--indicator",
                       "urban_new_jobs", "--period", "2025-10", "--value",
                       "7"),
                 64, "--timeout without --wait: %s", out);

    /* With `run` sending, the rejection arrives before the flush starts:
     * the flush still reports it (it was never shown). */
    const char *run[] = {"hrss-agent", "--state-dir", e.state,
                         "--collector", e.coll.ingest, "--region", "330100",
                         "--insecure", "--catalog", e.cat, "run", NULL};
    char log[300];
    snprintf(log, sizeof log, "%s/agent.log", hx_dir);
    pid_t ag = hx_spawn(log, run);
    cr_assert_eq(AGENT(&e, out, "submit", "--indicator", "extra_jobs",
                       "--period", "2025-08", "--value", "9"),
                 0, "%s", out);
    int64_t t0 = hx_now_ms();
    for (;;) {
        cr_assert_eq(AGENT(&e, out, "status", "--json"), 0, "%s", out);
        if (strstr(out, "\"rejections_new\": 1,") != NULL) {
            break;
        }
        cr_assert(hx_now_ms() - t0 < 60000, "never delivered: %s", out);
    }
    cr_expect(strstr(out, "\"queued\": 0,") != NULL, "%s", out);
    /* JSON gives the region as hrssctl does, a string; it marks nothing. */
    cr_expect(strstr(out, "\"region\": \"330100\"") != NULL, "%s", out);
    cr_expect(strstr(out, "\"seq\": 4, \"new\": true") != NULL, "%s", out);
    cr_expect(strstr(out, "\"seq\": 1, \"new\": false") != NULL, "%s", out);
    cr_assert_eq(AGENT(&e, out, "flush", "--timeout", "60"), 65, "%s", out);
    cr_expect(strstr(out, "seq 4: extra_jobs 330100 2025-08 value 9") !=
                  NULL,
              "%s", out);
    cr_expect_eq(hx_stop(ag, SIGTERM, 30000), 0);

    /* status: new ones apart from earlier ones, then they are earlier. */
    cr_assert_eq(AGENT(&e, out, "submit", "--indicator", "extra_jobs",
                       "--period", "2025-07", "--value", "10"),
                 0, "%s", out);
    cr_assert_eq(AGENT(&e, out, "flush", "--timeout", "60"), 65, "%s", out);
    cr_assert_eq(AGENT(&e, out, "status"), 0, "%s", out);
    cr_expect(strstr(out, "rejections:      4 (none new)") != NULL, "%s",
              out);
    cr_expect(strstr(out, "new rejections") == NULL, "%s", out);
    cr_expect(strstr(out, "earlier rejections:\n  seq 1: extra_jobs") !=
                  NULL,
              "%s", out);
    /* The spool with its seen mark is sound. */
    cr_assert_eq(AGENT(&e, out, "check"), 0, "%s", out);
}

Test(office, status_shows_new_rejections_once)
{
    env_t e;
    env_start(&e);
    static char out[16384];
    cr_assert_eq(AGENT(&e, out, "submit", "--indicator", "extra_jobs",
                       "--period", "2025-10", "--value", "5"),
                 0, "%s", out);
    /* Delivered by `run`, never shown... */
    cr_assert_eq(AGENT(&e, out, "status"), 0, "%s", out);
    cr_expect(strstr(out, "rejections:      0\n") != NULL, "%s", out);
    const char *run[] = {"hrss-agent", "--state-dir", e.state,
                         "--collector", e.coll.ingest, "--region", "330100",
                         "--insecure", "--catalog", e.cat, "run", NULL};
    char log[300];
    snprintf(log, sizeof log, "%s/agent.log", hx_dir);
    pid_t ag = hx_spawn(log, run);
    int64_t t0 = hx_now_ms();
    while (AGENT(&e, out, "status", "--json") == 0 &&
           strstr(out, "\"rejections_new\": 1,") == NULL) {
        cr_assert(hx_now_ms() - t0 < 60000, "never delivered: %s", out);
    }
    cr_expect_eq(hx_stop(ag, SIGTERM, 30000), 0);
    /* ... and status shows it as new, once. */
    cr_assert_eq(AGENT(&e, out, "status"), 0, "%s", out);
    cr_expect(strstr(out, "rejections:      1 (1 new: not shown before)") !=
                  NULL,
              "%s", out);
    cr_expect(strstr(out, "new rejections (not shown before; the collector "
                          "did not store these):\n  seq 1: extra_jobs "
                          "330100 2025-10 value 5: ") != NULL,
              "%s", out);
    cr_assert_eq(AGENT(&e, out, "status"), 0, "%s", out);
    cr_expect(strstr(out, "(none new)") != NULL, "%s", out);
    cr_assert_eq(AGENT(&e, out, "flush", "--timeout", "60"), 0,
                 "status showed it already: %s", out);
}

Test(office, malformed_endpoints_are_usage_errors_at_once)
{
    env_t e;
    env_start(&e);
    static char out[8192];
    char bare[64];
    /* What the issue saw: the endpoint without tcp://. */
    snprintf(bare, sizeof bare, "%.60s", e.coll.ingest + strlen("tcp://"));
    const char *flush[] = {"hrss-agent", "--state-dir", e.state,
                           "--collector", bare, "--region", "330100",
                           "--insecure", "flush", "--timeout", "120", NULL};
    int64_t t0 = hx_now_ms();
    cr_assert_eq(hx_run(flush, 60000, out, sizeof out), 64, "%s", out);
    cr_expect(hx_now_ms() - t0 < 30000, "it waited for its timeout");
    char want[200];
    snprintf(want, sizeof want, "--collector: '%s' is not an endpoint: "
                                "expected tcp://HOST:PORT", bare);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    const char *run[] = {"hrss-agent", "--state-dir", e.state,
                         "--collector", bare, "--region", "330100",
                         "--insecure", "run", NULL};
    cr_assert_eq(hx_run(run, 60000, out, sizeof out), 64, "%s", out);
    cr_expect(strstr(out, want) != NULL, "%s", out);

    char qbare[64];
    snprintf(qbare, sizeof qbare, "%.60s", e.coll.query + strlen("tcp://"));
    const char *ctl[] = {"hrssctl", "--connect", qbare, "--insecure",
                         "agents", NULL};
    cr_assert_eq(hx_run(ctl, 60000, out, sizeof out), 64, "%s", out);
    snprintf(want, sizeof want, "--connect: '%s' is not an endpoint: "
                                "expected tcp://HOST:PORT", qbare);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    cr_expect(strstr(out, "Invalid argument") == NULL, "%s", out);

    char db2[300];
    snprintf(db2, sizeof db2, "%s/db2", hx_dir);
    const char *coll[] = {"hrss-collector", "--data-dir", db2, "--ingest",
                          "127.0.0.1:0", "--query", "tcp://127.0.0.1:*",
                          "--insecure", NULL};
    cr_assert_eq(hx_run(coll, 60000, out, sizeof out), 64, "%s", out);
    cr_expect(strstr(out, "--ingest: '127.0.0.1:0' is not an endpoint") !=
                  NULL,
              "%s", out);
}

/* Run a program of this build as user nobody (65534); its output (both
 * streams) into @p out. @return its exit status. */
static int run_as_nobody(const char *const argv[], char *out, size_t len)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        char path[512];
        const char *bin = getenv("HRSS_TEST_BIN_DIR"); /* as the harness */
        snprintf(path, sizeof path, "%s/%s",
                 bin != NULL && bin[0] != '\0' ? bin : HRSS_BIN_DIR,
                 argv[0]);
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
            setresuid(65534, 65534, 65534) != 0) {
            _exit(126);
        }
        execv(path, (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(p[0], out + n, len - 1 - n)) > 0) {
        n += (size_t)r;
    }
    out[n] = '\0';
    close(p[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(office, permission_errors_name_path_permission_and_user)
{
    if (geteuid() != 0) {
        cr_skip_test("needs root to run the programs as another user");
    }
    env_t e;
    env_start(&e);
    static char out[8192];
    cr_assert_eq(chmod(hx_dir, 0755), 0);
    char ro[300];
    char st[320];
    snprintf(ro, sizeof ro, "%s/ro", hx_dir);
    snprintf(st, sizeof st, "%s/st", ro);
    cr_assert_eq(mkdir(ro, 0755), 0);
    const char *status[] = {"hrss-agent", "--state-dir", st, "--region",
                            "330100", "status", NULL};
    cr_assert_eq(run_as_nobody(status, out, sizeof out), 1, "%s", out);
    char want[1400];
    snprintf(want, sizeof want, "cannot create %s: permission denied (the "
                                "directory %s is not writable by user "
                                "nobody (owner root, mode 0755))",
             st, ro);
    cr_expect(strstr(out, want) != NULL, "%s", out);

    /* A state directory of its own, but an inbox it cannot write in. */
    char mine[300];
    char inbox[330];
    snprintf(mine, sizeof mine, "%s/mine", hx_dir);
    snprintf(inbox, sizeof inbox, "%s/inbox", mine);
    cr_assert_eq(mkdir(mine, 0755), 0);
    cr_assert_eq(chown(mine, 65534, 65534), 0);
    cr_assert_eq(mkdir(inbox, 0755), 0);
    const char *status2[] = {"hrss-agent", "--state-dir", mine, "--region",
                             "330100", "status", NULL};
    cr_assert_eq(run_as_nobody(status2, out, sizeof out), 1, "%s", out);
    snprintf(want, sizeof want, "%s: permission denied (the directory %s "
                                "is not writable by user nobody",
             inbox, inbox);
    cr_expect(strstr(out, want) != NULL, "%s", out);

    /* hrssctl on the collector's store, which is root's. */
    cr_assert_eq(chmod(e.db, 0755), 0);
    const char *ctl[] = {"hrssctl", "--data-dir", e.db, "agents", NULL};
    cr_assert_eq(run_as_nobody(ctl, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "permission denied (the file ") != NULL, "%s", out);
    cr_expect(strstr(out, "by user nobody (owner root") != NULL, "%s", out);
    cr_expect(strstr(out, "no store") == NULL, "%s", out);
}

typedef struct file_has {
    const char *path;
    const char *text;
} file_has_t;

static int has_text(void *arg)
{
    file_has_t *f = arg;
    return hx_file_contains(f->path, f->text);
}

static int exists(void *arg)
{
    struct stat sb;
    return stat((const char *)arg, &sb) == 0;
}

Test(office, inbox_refusals_counted_together_and_cited_where_they_went)
{
    env_t e;
    env_start(&e);
    const char *run[] = {"hrss-agent", "--state-dir", e.state,
                         "--collector", e.coll.ingest, "--region", "330100",
                         "--insecure", "run", NULL};
    char log[300];
    snprintf(log, sizeof log, "%s/agent.log", hx_dir);
    pid_t ag = hx_spawn(log, run);
    file_has_t connected = {log, "connected to collector"};
    cr_assert(hx_wait_until(has_text, &connected, 30000));
    /* Two bad files renamed in while the agent is stopped: their events
     * wait together, as when they are dropped at the same moment. */
    cr_assert_eq(kill(ag, SIGSTOP), 0);
    const char *names[] = {"a", "b"};
    const char *rows[] = {"urban_new_jobs,2025-10,abc\n",
                          "urban_new_jobs,2025-10,-5\n"};
    for (int i = 0; i < 2; i++) {
        char tmp[500];
        char dst[500];
        char body[200];
        snprintf(tmp, sizeof tmp, "%s/inbox/.%s.csv.part", e.state, names[i]);
        snprintf(dst, sizeof dst, "%s/inbox/%s.csv", e.state, names[i]);
        snprintf(body, sizeof body, "indicator,period,value\n%s", rows[i]);
        hx_write(tmp, body, strlen(body));
        cr_assert_eq(rename(tmp, dst), 0);
    }
    cr_assert_eq(kill(ag, SIGCONT), 0);
    char errs[500];
    snprintf(errs, sizeof errs, "%s/failed/b.csv.errors", e.state);
    cr_assert(hx_wait_until(exists, errs, 30000));
    file_has_t two = {log, "inbox: 2 files refused (see "};
    cr_assert(hx_wait_until(has_text, &two, 30000), "counted apart");
    cr_expect(!hx_file_contains(log, "1 refused"));
    /* The .errors cite the file where it is now. */
    char cite[500];
    snprintf(cite, sizeof cite, "%s/failed/b.csv:2: value: -5 is negative",
             e.state);
    cr_expect(hx_file_contains(errs, cite), "%s", cite);
    snprintf(cite, sizeof cite, "%s/inbox/", e.state);
    cr_expect(!hx_file_contains(errs, cite));
    /* A file taken with warnings says where they are. */
    char tmp[500];
    char dst[500];
    static const char warned[] = "indicator,period,value,备注\n"
                                 "urban_new_jobs,2025-10,5,x\n";
    snprintf(tmp, sizeof tmp, "%s/inbox/.w.csv.part", e.state);
    snprintf(dst, sizeof dst, "%s/inbox/w.csv", e.state);
    hx_write(tmp, warned, sizeof warned - 1);
    cr_assert_eq(rename(tmp, dst), 0);
    char say[500];
    snprintf(say, sizeof say, "inbox: 1 file taken (1 update queued; 1 with "
             "warnings, see %s/done/*.warnings)", e.state);
    file_has_t w = {log, say};
    cr_expect(hx_wait_until(has_text, &w, 30000), "%s", say);
    cr_expect_eq(hx_stop(ag, SIGTERM, 30000), 0);
}

/* Display columns of one line: CJK (3-byte UTF-8 from U+2E80) counts 2. */
static int columns(const char *s, size_t n)
{
    int cols = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) == 0x80) {
            continue;
        }
        cols += c >= 0xE2 ? 2 : 1;
    }
    return cols;
}

static void fits_80(const char *what, const char *out)
{
    int line = 1;
    for (const char *s = out; *s != '\0'; line++) {
        size_t n = strcspn(s, "\n");
        cr_expect(columns(s, n) <= 80, "%s --help, line %d: %d columns: %.*s",
                  what, line, columns(s, n), (int)n, s);
        s += n + (s[n] == '\n');
    }
}

Test(office, every_help_line_fits_80_columns)
{
    static char out[32768];
    const char *progs[] = {"hrssctl", "hrss-agent", "hrss-collector"};
    for (size_t i = 0; i < 3; i++) {
        const char *argv[] = {progs[i], "--help", NULL};
        cr_assert_eq(hx_run(argv, 30000, out, sizeof out), 0, "%s", out);
        fits_80(progs[i], out);
    }
    /* Each hrssctl command's page (the list in `hrssctl --help`). */
    const char *argv[] = {"hrssctl", "--help", NULL};
    cr_assert_eq(hx_run(argv, 30000, out, sizeof out), 0, "%s", out);
    static char names[64][32];
    size_t nn = 0;
    const char *s = strstr(out, "Commands:\n");
    cr_assert_not_null(s);
    for (s = strchr(s, '\n') + 1; *s == ' ' && nn < 64;) {
        if (s[1] == ' ' && s[2] != ' ') {
            size_t n = strcspn(s + 2, " \n");
            snprintf(names[nn++], sizeof names[0], "%.*s", (int)n, s + 2);
        }
        s = strchr(s, '\n');
        if (s == NULL) {
            break;
        }
        s++;
    }
    cr_assert_geq(nn, 10, "commands found: %zu", nn);
    static char page[8192];
    for (size_t i = 0; i < nn; i++) {
        const char *cmd[] = {"hrssctl", names[i], "--help", NULL};
        cr_assert_eq(hx_run(cmd, 30000, page, sizeof page), 0, "%s: %s",
                     names[i], page);
        cr_expect(strstr(page, "usage: hrssctl") != NULL, "%s", names[i]);
        fits_80(names[i], page);
    }
}

Test(office, flag_and_range_messages_name_the_flag)
{
    env_t e;
    env_start(&e);
    static char out[8192];
    cr_assert_eq(AGENT(&e, out, "flush", "--timeout", "abc"), 64, "%s", out);
    cr_expect(strstr(out, "hrss-agent: --timeout: not a number of seconds: "
                          "'abc'") != NULL,
              "%s", out);
    /* One figure on the command line: the flag is named, no file line
     * (it was "command line:2:" when the figure went through the CSV
     * reader). */
    int st = AGENT(&e, out, "submit", "--indicator", "urban_new_jobs",
                   "--period", "2025-13", "--value", "5");
    cr_expect(st == 64 || st == 65, "exit %d: %s", st, out);
    cr_expect(strstr(out, "--period: '2025-13': month must be 1..12") !=
                      NULL &&
                  strstr(out, "command line") == NULL,
              "%s", out);
    const char *ctl[] = {"hrssctl", "--data-dir", e.db, "series",
                         "urban_new_jobs", "--from", "2025", "--to",
                         "2021", NULL};
    cr_assert_eq(hx_run(ctl, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "series: --from 2025 starts after --to 2021 "
                          "ends") != NULL,
              "%s", out);
}

/* The line status prints for pension_insured of month @p m in region
 * 330100 at time @p now (due or overdue), from the catalog's rule. The
 * arithmetic is test_due's and test_deadline's; this test checks that
 * the binary shows it for what the spool says. */
static void pension_line(const catalog_t *cat, int32_t m, int64_t now,
                         char *out, size_t cap, int *overdue)
{
    const catalog_plan_t *plan = catalog_plan(cat);
    const indicator_t *ind = catalog_indicator(
        cat, (size_t)catalog_indicator_find(cat, "pension_insured"));
    int64_t dl = deadline_of(plan, ind, m);
    char date[16];
    char month[PERIOD_STR_LEN];
    char when[48];
    deadline_format_date(dl, plan->tz_offset, date, sizeof date);
    month_format(m, month, sizeof month);
    *overdue = dl < now;
    int64_t d = *overdue ? deadline_days_late(plan->tz_offset, dl, now)
                         : deadline_local_day(dl, plan->tz_offset) -
                               deadline_local_day(now, plan->tz_offset);
    if (*overdue) {
        snprintf(when, sizeof when, "%lld day%s overdue", (long long)d,
                 d == 1 ? "" : "s");
    } else if (d == 0) {
        snprintf(when, sizeof when, "today");
    } else {
        snprintf(when, sizeof when, "in %lld day%s", (long long)d,
                 d == 1 ? "" : "s");
    }
    snprintf(out, cap, "  due %s (%s): %s 330100 基本养老保险参保人数 "
                       "pension_insured\n", date, when, month);
}

Test(office, status_lists_due_and_overdue_figures_never_queued)
{
    env_t e;
    env_start(&e);
    static char out[1 << 17];
    char err[ERR_LEN];
    catalog_t *cat = NULL;
    cr_assert_eq(catalog_load_dir(&cat, e.cat, err), ERR_OK, "%s", err);
    /* The last month status looks at: the current one, or the plan's
     * last when it is over (the test runs at any date). */
    int64_t now = (int64_t)time(NULL);
    const catalog_plan_t *plan = catalog_plan(cat);
    int32_t m = month_from_time((time_t)now, plan->tz_offset);
    if (m > month_make(plan->last_year, 12)) {
        m = month_make(plan->last_year, 12);
    }
    char month[PERIOD_STR_LEN];
    month_format(m, month, sizeof month);
    cr_assert_eq(AGENT(&e, out, "submit", "--wait", "--indicator",
                       "urban_new_jobs", "--period", month, "--value", "7"),
                 0, "%s", out);
    /* Acknowledged: the queue forgot it, the cell record did not. */
    cr_assert_eq(AGENT(&e, out, "status", "--due-days", "366"), 0, "%s",
                 out);
    cr_expect(strstr(out, "queued:          0 updates") != NULL, "%s", out);
    cr_expect(strstr(out, "deadlines:       Asia/Shanghai (UTC+8), region "
                          "330100\n") != NULL,
              "%s", out);
    cr_expect(strstr(out, "due within 366 days\n") != NULL, "%s", out);
    char line[512];
    int overdue = 0;
    pension_line(cat, m, (int64_t)time(NULL), line, sizeof line, &overdue);
    char *at = strstr(out, line);
    cr_expect(at != NULL, "no '%s' in: %s", line, out);
    char *over = strstr(out, "\noverdue:");
    cr_assert(over != NULL, "%s", out);
    cr_expect(at == NULL || (at > over) == overdue, "listed under the wrong "
              "heading: %s", out);
    char queued[128];
    snprintf(queued, sizeof queued, "%s 330100 城镇新增就业人数 "
                                    "urban_new_jobs\n", month);
    cr_expect(strstr(out, queued) == NULL, "queued, listed: %s", out);
    cr_expect(strstr(out, "not known:") == NULL, "%s", out);

    /* JSON: the same, by code. */
    cr_assert_eq(AGENT(&e, out, "status", "--json", "--due-days", "366"), 0,
                 "%s", out);
    char js[256];
    snprintf(js, sizeof js, "{\"indicator\": \"pension_insured\", "
                            "\"name_zh\": \"基本养老保险参保人数\", "
                            "\"region\": \"330100\", \"period\": \"%s\"",
             month);
    cr_expect(strstr(out, js) != NULL, "%s", out);
    snprintf(js, sizeof js, "{\"indicator\": \"urban_new_jobs\", "
                            "\"name_zh\": \"城镇新增就业人数\", "
                            "\"region\": \"330100\", \"period\": \"%s\"",
             month);
    cr_expect(strstr(out, js) == NULL, "%s", out);
    cr_expect(strstr(out, "\"due_days\": 366,") != NULL, "%s", out);

    /* A bad --due-days is a usage error naming the flag. */
    cr_expect_eq(AGENT(&e, out, "status", "--due-days", "367"), 64, "%s",
                 out);
    cr_expect(strstr(out, "--due-days: '367' is not a number of days "
                          "(0..366)") != NULL,
              "%s", out);
    /* The spool with cell records is sound. */
    cr_expect_eq(AGENT(&e, out, "check"), 0, "%s", out);
    catalog_destroy(&cat);
}
