/* test_width.c: hrssctl's tables on screens of 80 and 120 columns (issue
 * 11: progress was 133 columns wide, indicators 162, completeness up to
 * 490, and every row wrapped in a terminal).
 *
 * Two ways in. With COLUMNS and a pipe (no terminal): every table of
 * every command fits, no figure is lost, progress keeps every column,
 * --wide and a pipe without COLUMNS give today's whole table, CSV and
 * JSON do not change. In real tmux panes 80 and 120 columns wide (the
 * terminal's width through TIOCGWINSZ; COLUMNS unset): progress,
 * completeness and indicators show exactly the lines hrssctl wrote, so
 * no row was wrapped by the terminal: the pane holds as many lines as the
 * output, each as wide as tmux measures it, none wider than the pane.
 *
 * tmux is required: `make test` installs it (deploy/install-deps.sh
 * --test); without it the tmux test fails saying so. It runs on its own
 * server socket under the test's directory, killed at the end.
 *
 * The store is made here, with store_apply() as test_ctl makes its own,
 * but with figures of realistic size (millions of persons, so 万人 values
 * such as 4,505.12) and partial reports, so that the widest cells a real
 * store gives are there.
 *
 * INVARIANTS
 *   1. Waits are for conditions with deadlines (hx_wait_until), never
 *      fixed sleeps.
 *   2. The tmux server started here is killed by the suite's fini, also
 *      when a test fails.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin/table.h"
#include "common/period.h"
#include "harness.h"

/* The tmux server's socket; "" when none was started. */
static char tmux_sock[300];

static const char *tmux_bin(void);
static int tmux(char *out, size_t len, ...);

static void fini(void)
{
    if (tmux_sock[0] != '\0' && tmux_bin() != NULL) {
        char out[256];
        tmux(out, sizeof out, "kill-server", NULL);
        tmux_sock[0] = '\0';
    }
    hx_teardown();
}

TestSuite(width, .init = hx_setup, .fini = fini, .timeout = 240);

static update_t cnt(uint64_t seq, const char *ind, uint32_t region,
                    uint32_t yyyymm, int64_t v)
{
    update_t u = {seq, ind, region, yyyymm, {0, v, 0}};
    return u;
}

static update_t rat(uint64_t seq, const char *ind, uint32_t region,
                    uint32_t yyyymm, int64_t n, int64_t d)
{
    update_t u = {seq, ind, region, yyyymm, {1, n, d}};
    return u;
}

static char db[300];

/* The store every test reads: a few offices' figures of 2025, some of
 * realistic size, one rejected update, one broken "of which" rule. */
static void make_store(void)
{
    snprintf(db, sizeof db, "%s/db", hx_dir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 1, &cat, &s);
    update_t u[] = {
        cnt(1, "urban_new_jobs", 330102, 202501, 1234567),
        cnt(2, "urban_new_jobs", 330102, 202502, 2345678),
        cnt(3, "urban_new_jobs", 330105, 202501, 50),
        cnt(4, "urban_new_jobs", 330100, 202501, 1000000),
        rat(5, "dispute_mediation_success_rate", 330102, 202501, 8172,
            10000),
        rat(6, "dispute_mediation_success_rate", 330105, 202501, 90, 100),
        cnt(7, "pension_insured", 330102, 202501, 45051200),
        cnt(8, "pension_insured", 330105, 202502, 50),
        cnt(9, "professional_technical_talent", 330105, 202506, 6829100),
        cnt(10, "senior_title_talent", 330105, 202506, 543300),
        cnt(11, "new_senior_skill_certificates", 330106, 202501, 860900),
        cnt(12, "social_security_card_holders", 330203, 202501, 62807100),
        cnt(13, "professional_technical_talent", 330105, 202507, 10),
        cnt(14, "senior_title_talent", 330105, 202507, 12), /* > whole */
        cnt(15, "urban_new_jobs", 330102, 203001, 1),      /* rejected */
    };
    store_batch_t b = {"office-330102-hangzhou-shangcheng", -1, 1764000000,
                       month_make(2026, 11), u, sizeof u / sizeof u[0],
                       NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_assert_eq(r.rejected, 1);
    store_result_fini(&r);
    store_close(&s);
    catalog_destroy(&cat);
}

/* The commands whose tables are checked; NULL-terminated argument
 * lists. */
#define MAX_ARGS 8
static const char *const commands[][MAX_ARGS] = {
    {"progress", "--period", "2025", NULL},
    {"progress", "--period", "2025-01", "--region", "330100", NULL},
    {"indicators", NULL},
    {"completeness", "--period", "2025-01", NULL},
    {"completeness", "--period", "2025-01", "--region", "330100", NULL},
    {"regions", NULL},
    {"rejections", NULL},
    {"agents", NULL},
    {"violations", NULL},
    {"history", "urban_new_jobs", "--region", "330102", "--period",
     "2025-01", NULL},
    {"series", "urban_new_jobs", "--from", "2025-01", "--to", "2025-06",
     NULL},
    {"breakdown", "urban_new_jobs", "--period", "2025", "--region",
     "330100", NULL},
    {"total", "urban_new_jobs", "--period", "2025", NULL},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Run hrssctl --data-dir DB --catalog CATALOG @p args [@p extra] with
 * COLUMNS set to @p columns (NULL: unset); stdout and stderr into @p out.
 * Asserts exit status 0. */
static void run_ctl(const char *columns, const char *const *args,
                    const char *extra, char *out, size_t len)
{
    const char *argv[MAX_ARGS + 8];
    int n = 0;
    argv[n++] = "hrssctl";
    argv[n++] = "--data-dir";
    argv[n++] = db;
    argv[n++] = "--catalog";
    argv[n++] = HRSS_TEST_CATALOG_DIR;
    for (int i = 0; args[i] != NULL; i++) {
        argv[n++] = args[i];
    }
    if (extra != NULL) {
        argv[n++] = extra;
    }
    argv[n] = NULL;
    if (columns != NULL) {
        setenv("COLUMNS", columns, 1);
    } else {
        unsetenv("COLUMNS");
    }
    int st = hx_run(argv, 60000, out, len);
    unsetenv("COLUMNS");
    cr_assert_eq(st, 0, "hrssctl %s (COLUMNS=%s): %s", args[0],
                 columns != NULL ? columns : "unset", out);
    cr_assert_lt(strlen(out) + 1, len, "output cut short");
}

/* The widest line of @p text by display width; *lines gets the number
 * of lines. */
static size_t widest(const char *text, size_t *lines)
{
    size_t w = 0;
    size_t n = 0;
    for (const char *p = text; *p != '\0'; n++) {
        size_t k = strcspn(p, "\n");
        char *line = strndup(p, k);
        cr_assert_not_null(line);
        size_t lw = table_text_width(line);
        w = lw > w ? lw : w;
        free(line);
        p += k + (p[k] == '\n');
    }
    if (lines != NULL) {
        *lines = n;
    }
    return w;
}

/* Every whitespace-separated word of @p whole that holds a digit (a
 * figure, a code, a period, "101/102") is a word of @p narrow too, but
 * for the header row's: a narrow header may be shorter ("基期" for "2020
 * 基期": progress's footer names the years). */
static void expect_figures_kept(const char *whole, const char *narrow,
                                const char *what)
{
    char *w = strdup(whole);
    cr_assert_not_null(w);
    char *rule = strstr(w, "\n--");
    cr_assert_not_null(rule, "%s: no rule in\n%s", what, w);
    char *head = rule;
    while (head > w && head[-1] != '\n') {
        head--;
    }
    memset(head, ' ', (size_t)(rule - head));
    char *save = NULL;
    for (char *tok = strtok_r(w, " \n", &save); tok != NULL;
         tok = strtok_r(NULL, " \n", &save)) {
        if (strpbrk(tok, "0123456789") == NULL) {
            continue;
        }
        size_t n = strlen(tok);
        int found = 0;
        for (const char *p = narrow; !found && (p = strstr(p, tok)) != NULL;
             p++) {
            found = (p == narrow || p[-1] == ' ' || p[-1] == '\n') &&
                    (p[n] == ' ' || p[n] == '\n' || p[n] == '\0');
        }
        cr_expect(found, "%s: '%s' of the whole table is not in:\n%s", what,
                  tok, narrow);
    }
    free(w);
}

static char whole[1 << 18];
static char narrow[1 << 18];

/* COLUMNS=80 and 120 through a pipe: every line of every table fits; the
 * rule too; progress, completeness and indicators keep every figure and
 * code; progress keeps every column (no note). */
static void check_commands_fit(size_t from, size_t to)
{
    static const char *const widths[] = {"80", "120"};
    make_store();
    for (size_t i = from; i < to && i < NCOMMANDS; i++) {
        run_ctl(NULL, commands[i], NULL, whole, sizeof whole);
        for (size_t k = 0; k < 2; k++) {
            size_t screen = strtoul(widths[k], NULL, 10);
            run_ctl(widths[k], commands[i], NULL, narrow, sizeof narrow);
            cr_expect_leq(widest(narrow, NULL), screen,
                          "%s at %s columns:\n%s", commands[i][0], widths[k],
                          narrow);
            const char *name = commands[i][0];
            if (strcmp(name, "progress") == 0 ||
                strcmp(name, "completeness") == 0 ||
                strcmp(name, "indicators") == 0) {
                expect_figures_kept(whole, narrow, name);
            }
            if (strcmp(name, "progress") == 0) {
                cr_expect_null(strstr(narrow, "left out"),
                               "progress keeps every column at %s:\n%s",
                               widths[k], narrow);
            }
        }
    }
}

Test(width, columns_80_and_120_fit_progress_indicators_completeness)
{
    check_commands_fit(0, 5);
}

Test(width, columns_80_and_120_fit_every_other_table)
{
    check_commands_fit(5, NCOMMANDS);
}

/* The tables are wider than 80 to begin with, or the tests above prove
 * nothing; a pipe without COLUMNS and --wide print them whole. */
Test(width, a_pipe_and_wide_print_the_whole_table)
{
    make_store();
    static const size_t wide_ones[] = {0, 2, 3};
    for (size_t i = 0; i < 3; i++) {
        const char *const *cmd = commands[wide_ones[i]];
        run_ctl(NULL, cmd, NULL, whole, sizeof whole);
        cr_expect_gt(widest(whole, NULL), 120, "%s is narrow already:\n%s",
                     cmd[0], whole);
        run_ctl("80", cmd, "--wide", narrow, sizeof narrow);
        cr_expect_str_eq(narrow, whole, "--wide is not the whole table");
    }
    run_ctl(NULL, commands[0], NULL, whole, sizeof whole);
    cr_expect(strstr(whole, "指标 indicator") != NULL, "%s", whole);
    run_ctl("80", commands[0], NULL, narrow, sizeof narrow);
    cr_expect_null(strstr(narrow, "指标 indicator"), "%s", narrow);
}

/* The width is for people: CSV and JSON are the same at any width. */
Test(width, csv_and_json_ignore_the_width)
{
    make_store();
    static const char *const fmts[] = {"--json", "--csv"};
    static const size_t some[] = {0, 2, 3, 6};
    for (size_t i = 0; i < 4; i++) {
        for (size_t k = 0; k < 2; k++) {
            run_ctl(NULL, commands[some[i]], fmts[k], whole, sizeof whole);
            run_ctl("40", commands[some[i]], fmts[k], narrow,
                    sizeof narrow);
            cr_expect_str_eq(narrow, whole, "%s %s", commands[some[i]][0],
                             fmts[k]);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* tmux                                                                    */

/* The tmux program on PATH, or NULL. */
static const char *tmux_bin(void)
{
    static char path[512];
    const char *env = getenv("PATH");
    char *dirs = strdup(env != NULL ? env : "/usr/bin:/bin");
    cr_assert_not_null(dirs);
    char *save = NULL;
    const char *found = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d != NULL && found == NULL;
         d = strtok_r(NULL, ":", &save)) {
        snprintf(path, sizeof path, "%s/tmux", d);
        if (access(path, X_OK) == 0) {
            found = path;
        }
    }
    free(dirs);
    return found;
}

typedef struct child {
    pid_t pid;
    int status;
} child_t;

static int exited(void *arg)
{
    child_t *c = arg;
    pid_t r = waitpid(c->pid, &c->status, WNOHANG);
    return r == c->pid;
}

/* Run tmux -u -S SOCK -f CONF with the NULL-terminated arguments after
 * @p len; stdout and stderr into @p out. @return its exit status. */
static int tmux(char *out, size_t len, ...)
{
    const char *argv[24];
    char conf[320];
    snprintf(conf, sizeof conf, "%s/tmux.conf", hx_dir);
    int n = 0;
    argv[n++] = "tmux";
    argv[n++] = "-u";
    argv[n++] = "-S";
    argv[n++] = tmux_sock;
    argv[n++] = "-f";
    argv[n++] = conf;
    va_list ap;
    va_start(ap, len);
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL && n < 23) {
        argv[n++] = s;
    }
    va_end(ap);
    argv[n] = NULL;
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s/tmux-out-XXXXXX", hx_dir);
    int fd = mkstemp(tmp);
    cr_assert_geq(fd, 0);
    const char *bin = tmux_bin();
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        execv(bin, (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    child_t c = {pid, 0};
    if (!hx_wait_until(exited, &c, 30000)) {
        kill(pid, SIGKILL);
        waitpid(pid, &c.status, 0);
        cr_assert_fail("tmux %s did not finish in 30 s", argv[6]);
    }
    ssize_t got = pread(fd, out, len - 1, 0);
    out[got > 0 ? got : 0] = '\0';
    close(fd);
    unlink(tmp);
    return WIFEXITED(c.status) ? WEXITSTATUS(c.status) : 128;
}

/* The end of the pane's command: its exit status follows. */
#define DONE_MARK "<<hrss-width-done "

typedef struct pane {
    const char *target;
    char text[1 << 20]; /* a province's wrapped table passes 64 KiB */
} pane_t;

static int pane_done(void *arg)
{
    pane_t *p = arg;
    /* From the start of the history: nothing that scrolled is lost. */
    int st = tmux(p->text, sizeof p->text, "capture-pane", "-p", "-t",
                  p->target, "-S", "-", "-E", "-", NULL);
    return st == 0 && strstr(p->text, DONE_MARK) != NULL;
}

static pane_t pane;

/* Start hrssctl @p cmd in a new tmux session @p width columns wide,
 * with COLUMNS unset, and return what the pane shows above the end
 * mark, once it is there. */
static const char *in_pane(const char *name, size_t width,
                           const char *const *cmd)
{
    char line[2048];
    int n = snprintf(line, sizeof line,
                     "env -u COLUMNS LC_ALL=C.UTF-8 '%s/hrssctl' --data-dir "
                     "'%s' --catalog '%s'",
                     getenv("HRSS_TEST_BIN_DIR") != NULL &&
                             getenv("HRSS_TEST_BIN_DIR")[0] != '\0'
                         ? getenv("HRSS_TEST_BIN_DIR")
                         : HRSS_BIN_DIR,
                     db, HRSS_TEST_CATALOG_DIR);
    for (int i = 0; cmd[i] != NULL; i++) {
        n += snprintf(line + n, sizeof line - (size_t)n, " '%s'", cmd[i]);
    }
    /* Then keep the pane open (cat waits on the terminal): a pane whose
     * process ended may lose the end of a long output that tmux had not
     * read yet. The suite's fini kills the server. */
    snprintf(line + n, sizeof line - (size_t)n,
             "; echo \"" DONE_MARK "$?>>\"; exec cat");
    char x[16];
    snprintf(x, sizeof x, "%zu", width);
    char out[4096];
    int st = tmux(out, sizeof out, "new-session", "-d", "-s", name, "-x", x,
                  "-y", "2000", line, NULL);
    cr_assert_eq(st, 0, "tmux new-session: %s", out);
    pane.target = name;
    cr_assert(hx_wait_until(pane_done, &pane, 60000),
              "the pane never showed the end of hrssctl %s:\n%s", cmd[0],
              pane.text);
    char *mark = strstr(pane.text, DONE_MARK);
    cr_expect(strncmp(mark, DONE_MARK "0>>", strlen(DONE_MARK "0>>")) == 0,
              "hrssctl %s failed in the pane:\n%s", cmd[0], pane.text);
    *mark = '\0';
    return pane.text;
}

/* In panes 80 and 120 columns wide, progress, completeness and
 * indicators show exactly the lines hrssctl writes for that width: as
 * many lines as it wrote, each no wider than the pane, so the terminal
 * wrapped none. (The pipe run with COLUMNS gives the expected lines; the
 * pane run has the terminal's width only.) */
Test(width, tmux_panes_of_80_and_120_columns_wrap_no_row)
{
    cr_assert_not_null(tmux_bin(),
                       "tmux is not installed: it is needed to check "
                       "hrssctl's tables in a terminal. `make test` "
                       "installs it (sh deploy/install-deps.sh --test)");
    make_store();
    /* tmux measures characters with the locale's wcwidth(). */
    setenv("LC_ALL", "C.UTF-8", 1);
    snprintf(tmux_sock, sizeof tmux_sock, "%s/tmux.sock", hx_dir);
    char conf[320];
    snprintf(conf, sizeof conf, "%s/tmux.conf", hx_dir);
    static const char rc[] = "set -g default-shell /bin/sh\n"
                             "set -g remain-on-exit on\n";
    hx_write(conf, rc, sizeof rc - 1);
    static const size_t which[] = {0, 3, 4, 2};
    static const size_t widths[] = {80, 120};
    int session = 0;
    for (size_t k = 0; k < 2; k++) {
        char cols[16];
        snprintf(cols, sizeof cols, "%zu", widths[k]);
        for (size_t i = 0; i < sizeof which / sizeof which[0]; i++) {
            const char *const *cmd = commands[which[i]];
            run_ctl(cols, cmd, NULL, narrow, sizeof narrow);
            char name[32];
            snprintf(name, sizeof name, "w%d", session++);
            const char *shown = in_pane(name, widths[k], cmd);
            /* The pane pads with blank lines below the output. */
            size_t len = strlen(shown);
            while (len > 0 && shown[len - 1] == '\n') {
                len--;
            }
            size_t out_lines = 0;
            size_t pane_lines = 0;
            size_t out_w = widest(narrow, &out_lines);
            char *text = strndup(shown, len);
            cr_assert_not_null(text);
            size_t pane_w = widest(text, &pane_lines);
            cr_expect_eq(pane_lines, out_lines,
                         "%s at %zu: the pane has %zu lines for %zu lines "
                         "written: a row wrapped\n--- pane:\n%s\n--- "
                         "written:\n%s",
                         cmd[0], widths[k], pane_lines, out_lines, text,
                         narrow);
            cr_expect_leq(out_w, widths[k], "%s at %zu", cmd[0], widths[k]);
            cr_expect_leq(pane_w, widths[k], "%s at %zu", cmd[0],
                          widths[k]);
            /* Line for line what was written (the pane keeps no trailing
             * newline of the last line). */
            size_t nl = strlen(narrow);
            cr_expect(nl > 0 && narrow[nl - 1] == '\n');
            narrow[nl > 0 ? nl - 1 : 0] = '\0';
            cr_expect_str_eq(text, narrow,
                             "%s at %zu: the pane is not what was written",
                             cmd[0], widths[k]);
            free(text);
        }
    }
}
