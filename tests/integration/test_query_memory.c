/* test_query_memory.c: answers that do not grow with the store (issue
 * 10), with the real hrssctl and collector.
 *
 * Two stores of the shipped catalog's 102 regions and 19 indicators: one
 * with a year of months, one with ten (23,256 and 232,560 facts). For
 * each, `hrssctl export` runs with its stdout into a pipe the test reads;
 * shortly before the end the test stops reading until the pipe is full,
 * so hrssctl is blocked mid-export with (nearly) every fact read, and
 * its sizes are taken then. LMDB reads through mmap: the store's pages
 * mapped from its file (page cache, not the process's heap) count in the
 * resident size, and a long read gives them back as it goes (store/snap),
 * so the peak (VmHWM) holds some of them whatever the moment: what may
 * not grow with the store is the anonymous memory (RssAnon; before the
 * fixes it held every row, and it only grows during an export), by at
 * most GROWTH_MIB; the peak, mapped pages and all, must stay below the
 * larger store's file size (before: above it).
 *
 * The collector must come back to within 10% of its resident size
 * before an `export --connect` once the export is over, and give back
 * the store's pages once its queries are over, and a
 * `--data-dir` export is one snapshot: a writer that changes the first
 * and the last fact of the list together in each commit, all through
 * the export, never shows two different values in one export.
 *
 * Excluded under ThreadSanitizer (tests/tsan.sh), whose shadow memory
 * inflates every peak. */
#define _GNU_SOURCE /* F_GETPIPE_SZ */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"
#include "harness.h"

/* Under AddressSanitizer (make test) the collector also keeps ASan's
 * shadow of every heap byte it ever touched (one eighth: about 1.7 MiB
 * after a query's 14 MiB of transient buffers) and its quarantine of
 * freed blocks; neither is the collector's to give back. The release
 * build has no such slack (bench_scale measures it: 1.05x). */
#ifdef __SANITIZE_ADDRESS__
#define ASAN_SLACK_KIB 1024
#else
#define ASAN_SLACK_KIB 0
#endif

TestSuite(qmem, .init = hx_setup, .fini = hx_teardown, .timeout = 600);

/* Months of the small store; the large one has ten times as many. */
#define MONTHS_SMALL 12
#define MONTH0_YEAR 2014
/* How much more anonymous memory an export of the large store may hold
 * (MiB): ASan's shadow of the store's pages read (an eighth of them)
 * grows with the store, and its allocator keeps some slack. */
#define GROWTH_MIB 8
/* Lines left unread when the test stops reading mid-export: more than
 * a full pipe and hrssctl's own buffer hold. */
#define TAIL_LINES 6000

static void quiet_asan(void)
{
    /* ASan keeps freed memory in a quarantine (256 MiB by default) that
     * grows with everything ever allocated: the processes' own, small. */
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=1",
             asan != NULL ? asan : "", asan != NULL && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
}

/* Every region and indicator for @p months months from MONTH0_YEAR-01,
 * in the months the region exists (Hangzhou's 2021 change: a figure
 * outside them is refused). @return the number of facts. */
static size_t seed(const char *db, int months)
{
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 1, &cat, &s);
    size_t nind = catalog_indicator_count(cat);
    size_t nreg = catalog_region_count(cat);
    update_t *u = xcalloc(nind * (size_t)months, sizeof *u);
    uint64_t seq = 1;
    size_t total = 0;
    for (size_t r = 0; r < nreg; r++) {
        size_t n = 0;
        for (size_t i = 0; i < nind; i++) {
            const indicator_t *ind = catalog_indicator(cat, i);
            for (int m = 0; m < months; m++) {
                int32_t mi = month_make(MONTH0_YEAR, 1) + m;
                if (!catalog_region_valid(cat, (int)r, mi)) {
                    continue;
                }
                update_t x = {seq++, ind->code,
                              catalog_region(cat, r)->code,
                              (uint32_t)(month_year(mi) * 100 +
                                         month_of_year(mi)),
                              {ind->kind == IND_RATIO, 0, 0}};
                x.value.num = ind->kind == IND_RATIO ? 90
                              : ind->part_of >= 0    ? 10
                                                     : 1000 + m;
                x.value.den = ind->kind == IND_RATIO ? 100 : 0;
                u[n++] = x;
            }
        }
        store_batch_t b = {"seed", -1, 1764000000, month_make(2026, 11), u,
                           n, NULL};
        store_result_t res;
        char err[ERR_LEN];
        cr_assert_eq(store_apply(s, &b, 1, &res, err), ERR_OK, "%s", err);
        cr_assert_eq(res.rejected, 0);
        store_result_fini(&res);
        total += n;
    }
    free(u);
    store_close(&s);
    catalog_destroy(&cat);
    return total;
}

/* Resident pages of @p pid's mappings of a store file (KiB). */
static long store_mapped_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char line[1024];
    int in_store = 0;
    long kib = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo = 0;
        unsigned long hi = 0;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
            line[strcspn(line, "\n")] = '\0';
            size_t n = strlen(line);
            in_store = n > 9 && strcmp(line + n - 9, "/data.mdb") == 0;
        } else if (in_store && strncmp(line, "Rss:", 4) == 0) {
            kib += strtol(line + 4, NULL, 10);
        }
    }
    fclose(f);
    return kib;
}

/* What one export run showed. */
typedef struct run {
    long peak_kib;   /* VmHWM, blocked near the end */
    long mapped_kib; /* the store's pages mapped then */
    long anon_kib;   /* RssAnon then */
    size_t lines;
    int status;
    char *out;       /* the whole output (when kept) */
    size_t len;
} run_t;

typedef struct pipe_full {
    int fd;
    int cap;
} pipe_full_t;

/* The pipe holds all it can (but a stdio buffer's worth). */
static int pipe_is_full(void *arg)
{
    pipe_full_t *p = arg;
    int n = 0;
    return ioctl(p->fd, FIONREAD, &n) == 0 && n >= p->cap - 4096;
}

static void keep(run_t *r, const char *b, size_t n)
{
    if (r->out != NULL) {
        r->out = xreallocarray(r->out, r->len + n + 1, 1);
        memcpy(r->out + r->len, b, n);
        r->len += n;
        r->out[r->len] = '\0';
    }
}

/* Read from @p fd until @p stop lines have come (or the end: 0). */
static int read_lines(int fd, run_t *r, size_t stop)
{
    static char b[65536];
    while (stop == 0 || r->lines < stop) {
        ssize_t n = read(fd, b, sizeof b);
        if (n <= 0) {
            return 0;
        }
        for (ssize_t i = 0; i < n; i++) {
            r->lines += b[i] == '\n';
        }
        keep(r, b, (size_t)n);
    }
    return 1;
}

/* Run hrssctl with @p args, expecting @p rows rows of CSV; measure it
 * while it is blocked on its full stdout near the end. */
static void run_export(const char *const args[], size_t rows, run_t *r,
                       int keep_output)
{
    const char *argv[24];
    int n = 0;
    argv[n++] = "hrssctl";
    for (int i = 0; args[i] != NULL; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    char log[400];
    snprintf(log, sizeof log, "%s/hrssctl.log", hx_dir);
    memset(r, 0, sizeof *r);
    if (keep_output) {
        r->out = xcalloc(1, 1);
    }
    int fd = -1;
    pid_t pid = hx_spawn_pipe(log, argv, &fd);
    cr_assert_gt(rows, TAIL_LINES);
    int more = read_lines(fd, r, rows + 1 - TAIL_LINES);
    cr_assert(more, "hrssctl ended after %zu lines; see %s", r->lines, log);
    pipe_full_t pf = {fd, fcntl(fd, F_GETPIPE_SZ)};
    cr_assert_gt(pf.cap, 0);
    cr_assert(hx_wait_until(pipe_is_full, &pf, 120000),
              "hrssctl did not fill its stdout");
    r->peak_kib = hx_proc_kib(pid, "VmHWM");
    r->mapped_kib = store_mapped_kib(pid);
    r->anon_kib = hx_proc_kib(pid, "RssAnon");
    read_lines(fd, r, 0);
    close(fd);
    r->status = hx_wait_exit(pid, 60000);
}

static void make_stores(char small[300], char large[300], size_t *n_small,
                        size_t *n_large)
{
    snprintf(small, 300, "%s/small", hx_dir);
    snprintf(large, 300, "%s/large", hx_dir);
    *n_small = seed(small, MONTHS_SMALL);
    *n_large = seed(large, MONTHS_SMALL * 10);
}

/* Was: every fact kept in memory until the end (and the pages asked
 * for from the first fact each time). */
Test(qmem, a_data_dir_export_does_not_grow_with_the_store)
{
    quiet_asan();
    char db[2][300];
    size_t facts[2];
    make_stores(db[0], db[1], &facts[0], &facts[1]);
    run_t r[2];
    for (int i = 0; i < 2; i++) {
        const char *args[] = {"--data-dir", db[i], "--catalog",
                              HRSS_TEST_CATALOG_DIR, "export", "--format",
                              "csv", NULL};
        int64_t t0 = hx_now_ms();
        run_export(args, facts[i], &r[i], 0);
        cr_log_info("--data-dir export of %zu facts: %lld ms, peak %ld KiB; "
                    "near the end %ld KiB of the store mapped, %ld KiB "
                    "anonymous",
                    facts[i], (long long)(hx_now_ms() - t0), r[i].peak_kib,
                    r[i].mapped_kib, r[i].anon_kib);
        cr_assert_eq(r[i].status, 0, "see %s/hrssctl.log", hx_dir);
        cr_assert_eq(r[i].lines, facts[i] + 1);
    }
    long growth = r[1].anon_kib - r[0].anon_kib;
    cr_expect_leq(growth, GROWTH_MIB * 1024L,
                  "ten times the facts grew the export's memory by %ld KiB "
                  "(bound %d MiB)",
                  growth, GROWTH_MIB);
    char file[400];
    struct stat sb;
    snprintf(file, sizeof file, "%s/data.mdb", db[1]);
    cr_assert_eq(stat(file, &sb), 0);
    cr_expect_lt(r[1].peak_kib, (long)(sb.st_size / 1024),
                 "the export peaked at %ld KiB, a store of %ld KiB",
                 r[1].peak_kib, (long)(sb.st_size / 1024));
}

/* Was: the client kept every page until the end; the collector kept the
 * pages of the store it had read. */
Test(qmem, a_connect_export_grows_neither_hrssctl_nor_the_collector)
{
    quiet_asan();
    char db[2][300];
    size_t facts[2];
    make_stores(db[0], db[1], &facts[0], &facts[1]);
    run_t r[2];
    for (int i = 0; i < 2; i++) {
        char log[400];
        snprintf(log, sizeof log, "%s/collector-%d.log", hx_dir, i);
        hx_coll_t c;
        hx_collector_start(&c, db[i], log);
        static char out[65536];
        const char *warm[] = {"hrssctl", "--connect", c.query,
                              "--insecure", "agents", NULL};
        cr_assert_eq(hx_run(warm, 30000, out, sizeof out), 0, "%s", out);
        long before = hx_proc_kib(c.pid, "VmRSS");
        const char *args[] = {"--connect", c.query, "--insecure", "export",
                              "--format", "csv", NULL};
        run_export(args, facts[i], &r[i], 0);
        long after = hx_proc_kib(c.pid, "VmRSS");
        cr_log_info("--connect export of %zu facts: hrssctl's peak %ld "
                    "KiB; the collector %ld KiB before, %ld KiB after",
                    facts[i], r[i].peak_kib, before, after);
        cr_assert_eq(r[i].status, 0, "see %s/hrssctl.log", hx_dir);
        cr_assert_eq(r[i].lines, facts[i] + 1);
        cr_expect_leq(after, before + before / 10 + ASAN_SLACK_KIB,
                      "the collector kept %ld KiB after an export of %zu "
                      "facts (before: %ld KiB)",
                      after - before, facts[i], before);
        cr_expect_eq(hx_collector_stop(&c, 30000), 0);
    }
    /* No store here: its whole peak. */
    long growth = r[1].peak_kib - r[0].peak_kib;
    cr_expect_leq(growth, GROWTH_MIB * 1024L,
                  "ten times the facts grew hrssctl's peak by %ld KiB "
                  "(bound %d MiB)",
                  growth, GROWTH_MIB);
}

static int nothing_mapped(void *arg)
{
    return store_mapped_kib(*(pid_t *)arg) == 0;
}

/* Was: answers too small to pass the collector's 10% rule one by one (a
 * progress, a completeness) left the store's pages they read mapped,
 * and the query thread's heap kept their blocks: at national scale the
 * collector stayed 15-19% above its size before. Now, once its query
 * thread is idle, it gives back whatever it grew by. */
Test(qmem, the_collector_gives_back_once_its_queries_are_over)
{
    quiet_asan();
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    seed(db, MONTHS_SMALL);
    char log[400];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t c;
    hx_collector_start(&c, db, log);
    static char out[65536];
    const char *warm[] = {"hrssctl", "--connect", c.query, "--insecure",
                          "agents", NULL};
    cr_assert_eq(hx_run(warm, 30000, out, sizeof out), 0, "%s", out);
    cr_assert(hx_wait_until(nothing_mapped, &c.pid, 5000),
              "%ld KiB of the store still mapped after `agents`",
              store_mapped_kib(c.pid));
    long before = hx_proc_kib(c.pid, "VmRSS");
    const char *progress[] = {"hrssctl", "--connect", c.query, "--insecure",
                              "progress", "--period", "2014", NULL};
    cr_assert_eq(hx_run(progress, 30000, out, sizeof out), 0, "%s", out);
    const char *complete[] = {"hrssctl", "--connect", c.query, "--insecure",
                              "completeness", "--period", "2014-06", NULL};
    cr_assert_eq(hx_run(complete, 30000, out, sizeof out), 0, "%s", out);
    long mapped = store_mapped_kib(c.pid);
    /* IDLE_MS (100) after the last answer. */
    int gave_back = hx_wait_until(nothing_mapped, &c.pid, 5000);
    long after = hx_proc_kib(c.pid, "VmRSS");
    cr_log_info("the collector: %ld KiB before, %ld KiB mapped of the "
                "store after the queries, %ld KiB once idle",
                before, mapped, after);
    cr_expect(gave_back, "%ld KiB of the store still mapped, idle",
              store_mapped_kib(c.pid));
    cr_expect_leq(after, before + before / 10 + ASAN_SLACK_KIB,
                  "the collector kept %ld KiB (before: %ld KiB)",
                  after - before, before);
    cr_expect_eq(hx_collector_stop(&c, 30000), 0);
}

/* A writer that sets the first and the last fact of the export's order
 * to the same new value in each commit (at least one), until told to
 * stop. */
typedef struct writer {
    store_t *st;
    const char *first_code;
    uint32_t first_region;
    const char *last_code;
    uint32_t last_region;
    atomic_int stop;
    atomic_long commits;
    int rc;
} writer_t;

#define FIRST_MONTH 201001u /* before every seeded month */
#define LAST_MONTH 202610u  /* after them */

static void *write_pairs(void *arg)
{
    writer_t *w = arg;
    char err[ERR_LEN];
    do {
        uint64_t seq = 2 * (uint64_t)atomic_load(&w->commits) + 1;
        int64_t v = atomic_load(&w->commits) + 1;
        update_t u[2] = {
            {seq, w->first_code, w->first_region, FIRST_MONTH, {0, v, 0}},
            {seq + 1, w->last_code, w->last_region, LAST_MONTH, {0, v, 0}},
        };
        store_batch_t b = {"pairs", -1, 1764000000, month_make(2026, 11), u,
                           2, NULL};
        store_result_t res;
        w->rc = store_apply(w->st, &b, 1, &res, err);
        if (w->rc == ERR_OK && res.rejected > 0) {
            w->rc = ERR_INVAL;
        }
        store_result_fini(&res);
        atomic_fetch_add(&w->commits, 1);
    } while (!atomic_load(&w->stop) && w->rc == ERR_OK);
    return NULL;
}

/* The value of the row of @p code, @p yyyymm ("YYYY-MM"), @p region. */
static long long row_value(const char *csv, const char *code,
                           const char *month, uint32_t region)
{
    char head[128];
    char tail[32];
    snprintf(head, sizeof head, "\n%s,%s,", code, month);
    snprintf(tail, sizeof tail, ",%u\n", region);
    for (const char *p = strstr(csv, head); p != NULL;
         p = strstr(p + 1, head)) {
        const char *end = strchr(p + 1, '\n');
        if (end != NULL && (size_t)(end - p) > strlen(tail) &&
            strncmp(end - strlen(tail) + 1, tail, strlen(tail)) == 0) {
            return atoll(p + strlen(head));
        }
    }
    cr_assert_fail("no row %s %s %u", code, month, region);
    return -1;
}

/* Was: each page of the export from a transaction of its own, so one
 * export showed the pair at two different values. */
Test(qmem, a_data_dir_export_is_one_snapshot)
{
    quiet_asan();
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    size_t facts = seed(db, MONTHS_SMALL * 10);
    catalog_t *cat = NULL;
    writer_t w;
    memset(&w, 0, sizeof w);
    hx_open_store(db, 1, &cat, &w.st);
    /* The first and the last count in code order (the pair is counts). */
    for (size_t i = 0; i < catalog_indicator_count(cat); i++) {
        const indicator_t *ind = catalog_indicator(cat, i);
        if (ind->kind != IND_COUNT) {
            continue;
        }
        if (w.first_code == NULL || strcmp(ind->code, w.first_code) < 0) {
            w.first_code = ind->code;
        }
        if (w.last_code == NULL || strcmp(ind->code, w.last_code) > 0) {
            w.last_code = ind->code;
        }
    }
    w.first_region = UINT32_MAX;
    for (size_t i = 0; i < catalog_region_count(cat); i++) {
        uint32_t code = catalog_region(cat, i)->code;
        w.first_region = code < w.first_region ? code : w.first_region;
        w.last_region = code > w.last_region ? code : w.last_region;
    }
    /* The pair exists before the export begins. */
    atomic_init(&w.stop, 1);
    write_pairs(&w);
    cr_assert_eq(w.rc, ERR_OK);
    atomic_store(&w.stop, 0);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, write_pairs, &w), 0);

    const char *args[] = {"--data-dir", db, "--catalog",
                          HRSS_TEST_CATALOG_DIR, "export", "--format",
                          "csv", NULL};
    long c0 = atomic_load(&w.commits);
    run_t r;
    run_export(args, facts + 2, &r, 1);
    long during = atomic_load(&w.commits) - c0;
    atomic_store(&w.stop, 1);
    pthread_join(t, NULL);
    cr_assert_eq(w.rc, ERR_OK);
    cr_assert_eq(r.status, 0, "see %s/hrssctl.log", hx_dir);
    cr_assert_eq(r.lines, facts + 3, "%zu lines for %zu facts", r.lines, facts);
    long long first = row_value(r.out, w.first_code, "2010-01",
                                w.first_region);
    long long last = row_value(r.out, w.last_code, "2026-10",
                               w.last_region);
    cr_log_info("%ld commits during the export; the pair read %lld and "
                "%lld", during, first, last);
    cr_assert_geq(during, 2, "the writer did not write during the export");
    cr_expect_eq(first, last, "one export, two snapshots: %lld and %lld",
                 first, last);
    free(r.out);
    store_close(&w.st);
    catalog_destroy(&cat);
}
