/* test_rebuild.c: a catalog change on a large store (issue 9), with the
 * real collector: the rebuild of the aggregates grows the map as far as
 * it needs (up to --map-max-mib), fails cleanly at that limit, and
 * survives SIGKILL midway.
 *
 * The store is built fast in this process through the store API (about
 * 185,000 facts, one revision each, in batches of 5,000): opened with a
 * fixed 72 MiB map and filled until store_apply says it is full, so it
 * holds over 64 MiB and its map has no room for a rebuild, which writes
 * every aggregate afresh beside the old ones. The facts of a batch are
 * neighbours (month after month of one region), so a commit leaves few
 * free pages behind. The catalog then gains a county (another region
 * tree: a writable open rebuilds). Nothing here reads the store's bytes:
 * only the store API, the programs, and whole-file copies. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/period.h"
#include "harness.h"

TestSuite(rebuild, .init = hx_setup, .fini = hx_teardown, .timeout = 240);

/* The store's map while it is built, and so its size (MiB). */
#define BUILD_MAP_MIB 72
#define BUILD_MAP_ARG "72"
/* The collector's limit when the rebuild may grow the map. */
#define MAP_MAX_ARG "1024"
#define BATCH 5000
#define MONTHS 1200 /* 1901-01 .. 2000-12 */
#define PERIOD "1901..2000"
/* The county the new catalog adds, under 杭州市. */
#define NEW_COUNTY 330199
#define NEW_COUNTY_ROW "330199,测试新区,Test New District,county,330100,,\n"
/* Bound on a rebuild, from start to bound sockets (the harness's own
 * start limit): measured about 4 s under ASan. */
#define REBUILD_MS 30000

static const char *const counts[] = {
    "urban_new_jobs", "vocational_skill_training", "pension_insured",
    "unemployment_insured", "work_injury_insured",
    "professional_technical_talent", "new_professional_qualifications",
    "postdoc_recruits", "skilled_talent", "new_skill_certificates",
    "social_security_card_holders"};
#define N_COUNTS (sizeof counts / sizeof counts[0])

/* What the built store holds of urban_new_jobs (all of it: it comes
 * first), per region of the shipped catalog, over PERIOD. */
typedef struct built {
    uint64_t facts;
    uint64_t used_bytes;
    long long own[256]; /* by catalog index */
} built_t;

/* The regions that exist in every month of 1901..2000, as catalog
 * indexes into @p idx: all but 临平区 and 钱塘区, created in 2021-04
 * (their figures before are refused as region_not_valid); 下城区 and
 * 江干区, abolished then, existed. @return how many. */
static size_t old_regions(const catalog_t *cat, int idx[256])
{
    size_t n = 0;
    cr_assert_leq(catalog_region_count(cat), 256);
    for (size_t i = 0; i < catalog_region_count(cat); i++) {
        if (catalog_region_valid(cat, (int)i, month_make(1901, 1)) &&
            catalog_region_valid(cat, (int)i, month_make(2000, 12))) {
            idx[n++] = (int)i;
        }
    }
    cr_assert_gt(n, 0);
    return n;
}

/* Update k: month fastest, then region (of @p regs, @p nreg of them),
 * then indicator. */
static void nth_update(const catalog_t *cat, const int *regs, size_t nreg,
                       uint64_t k, update_t *u)
{
    uint64_t m = k % MONTHS;
    uint64_t reg = (k / MONTHS) % nreg;
    uint64_t ind = k / (MONTHS * nreg);
    cr_assert_lt(ind, N_COUNTS);
    u->seq = k + 1;
    u->indicator = counts[ind];
    u->region = catalog_region(cat, (size_t)regs[reg])->code;
    u->yyyymm = (uint32_t)((1901 + m / 12) * 100 + m % 12 + 1);
    u->value = (value_t){0, (int64_t)(1 + k % 997), 0};
}

static void build_store(const char *dir, built_t *b)
{
    char err[ERR_LEN];
    catalog_t *cat = NULL;
    cr_assert_eq(catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
    int regs[256];
    size_t nreg = old_regions(cat, regs);
    store_t *st = NULL;
    store_opts_t o = {.map_size = (size_t)BUILD_MAP_MIB << 20,
                      .map_max = (size_t)BUILD_MAP_MIB << 20};
    cr_assert_eq(store_open(&st, dir, cat, &o, err), ERR_OK, "%s", err);
    static update_t u[BATCH];
    memset(b, 0, sizeof *b);
    for (;;) {
        for (size_t i = 0; i < BATCH; i++) {
            nth_update(cat, regs, nreg, b->facts + i, &u[i]);
        }
        store_batch_t batch = {"bulk", -1, 1764000000, 2026 * 12 + 10, u,
                               BATCH, NULL};
        store_result_t r;
        int rc = store_apply(st, &batch, 1, &r, err);
        if (rc == ERR_FULL) {
            break; /* nothing of this batch was kept */
        }
        cr_assert_eq(rc, ERR_OK, "%s", err);
        cr_assert_eq(r.applied, BATCH);
        store_result_fini(&r);
        for (size_t i = 0; i < BATCH; i++) {
            if (strcmp(u[i].indicator, counts[0]) == 0) {
                b->own[catalog_region_find(cat, u[i].region)] +=
                    u[i].value.num;
            }
        }
        b->facts += BATCH;
    }
    store_space_t sp;
    cr_assert_eq(store_space(st, &sp, err), ERR_OK, "%s", err);
    b->used_bytes = sp.used_bytes;
    store_close(&st);
    catalog_destroy(&cat);
    /* All of urban_new_jobs, and more than 64 MiB in all. */
    cr_assert_geq(b->facts, MONTHS * nreg, "only %llu facts",
                  (unsigned long long)b->facts);
    cr_assert_gt(b->used_bytes, (uint64_t)64 << 20, "only %llu bytes",
                 (unsigned long long)b->used_bytes);
}

/* urban_new_jobs over PERIOD in @p code and below, by the shipped
 * catalog's tree (the new county has no facts, so it adds nothing). */
static long long expected_total(const built_t *b, uint32_t code)
{
    char err[ERR_LEN];
    catalog_t *cat = NULL;
    cr_assert_eq(catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
    int top = catalog_region_find(cat, code);
    cr_assert_geq(top, 0);
    long long sum = 0;
    for (size_t i = 0; i < catalog_region_count(cat); i++) {
        if (catalog_region_within(cat, (int)i, top)) {
            sum += b->own[i];
        }
    }
    catalog_destroy(&cat);
    return sum;
}

/* The shipped catalog with NEW_COUNTY added, in @p dir. */
static void write_catalog(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/indicators.csv "
                              "%s/plan.csv %s/regions.csv %s/",
             dir, HRSS_TEST_CATALOG_DIR, HRSS_TEST_CATALOG_DIR,
             HRSS_TEST_CATALOG_DIR, dir);
    cr_assert_eq(system(cmd), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/regions.csv", dir);
    FILE *f = fopen(path, "a");
    cr_assert_not_null(f);
    fputs(NEW_COUNTY_ROW, f);
    cr_assert_eq(fclose(f), 0);
}

/* DIR/data.mdb copied whole into the new directory @p to. */
static void copy_store(const char *from, const char *to)
{
    char src[400];
    char dst[400];
    snprintf(src, sizeof src, "%s/data.mdb", from);
    snprintf(dst, sizeof dst, "%s/data.mdb", to);
    cr_assert_eq(mkdir(to, 0750), 0, "%s: %s", to, strerror(errno));
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    cr_assert(in >= 0 && out >= 0, "%s", strerror(errno));
    static char buf[1 << 20];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        cr_assert_eq(write(out, buf, (size_t)n), n);
    }
    cr_assert_eq(n, 0);
    cr_assert_eq(fsync(out), 0);
    close(in);
    close(out);
}

/* The store in @p dir as it was built: it opens read-only with the
 * shipped catalog and holds the built totals; with the new catalog a
 * read-only open is refused (its aggregates are still the old tree's):
 * nothing of a failed or killed rebuild was kept. */
static void expect_old_store(const char *dir, const char *newcat,
                             const built_t *b)
{
    char err[ERR_LEN];
    catalog_t *cat = NULL;
    store_t *st = NULL;
    hx_open_store(dir, 0, &cat, &st);
    period_t p;
    cr_assert_eq(period_parse(PERIOD, &p, err), ERR_OK, "%s", err);
    store_total_t t;
    cr_assert_eq(store_total(st, counts[0], 330000, &p, &t, err), ERR_OK,
                 "%s", err);
    cr_expect_eq(t.num, expected_total(b, 330000));
    uint64_t next = 0;
    cr_assert_eq(store_next_seq(st, "bulk", &next, err), ERR_OK);
    cr_expect_eq(next, b->facts + 1);
    store_close(&st);
    catalog_destroy(&cat);

    cr_assert_eq(catalog_load_dir(&cat, newcat, err), ERR_OK, "%s", err);
    store_opts_t ro = {.readonly = 1};
    cr_expect_eq(store_open(&st, dir, cat, &ro, err), ERR_VERSION,
                 "the new catalog's aggregates are there: %s", err);
    if (st != NULL) {
        store_close(&st);
    }
    catalog_destroy(&cat);
}

/* "value" and "expected_regions" of `hrssctl total urban_new_jobs` over
 * PERIOD in @p region, asked of the collector @p c. */
static void ctl_total(const hx_coll_t *c, uint32_t region, long long *value,
                      long *expected)
{
    static char out[8192];
    char reg[16];
    snprintf(reg, sizeof reg, "%u", region);
    const char *argv[] = {"hrssctl", "--connect", c->query, "--insecure",
                          "total", counts[0], "--period", PERIOD,
                          "--region", reg, "--json", NULL};
    cr_assert_eq(hx_run(argv, 30000, out, sizeof out), 0, "%s", out);
    const char *v = strstr(out, "\"value\": ");
    const char *e = strstr(out, "\"expected_regions\": ");
    cr_assert(v != NULL && e != NULL, "%s", out);
    *value = atoll(v + 9);
    *expected = atol(e + 20);
}

/* The collector answers from the rebuilt store: the built totals, in the
 * new tree (杭州市 expects one region more), and knows the new county. */
static void expect_rebuilt(const hx_coll_t *c, const built_t *b)
{
    long long v = 0;
    long e = 0;
    ctl_total(c, 330000, &v, &e);
    cr_expect_eq(v, expected_total(b, 330000), "province: %lld", v);
    cr_expect_eq(e, 103, "province: %ld regions expected", e);
    ctl_total(c, 330100, &v, &e);
    cr_expect_eq(v, expected_total(b, 330100), "330100: %lld", v);
    cr_expect_eq(e, 15, "330100: %ld regions expected (14 + the new)", e);
    ctl_total(c, 330200, &v, &e);
    cr_expect_eq(v, expected_total(b, 330200), "330200: %lld", v);
    ctl_total(c, NEW_COUNTY, &v, &e);
    cr_expect(v == 0 && e == 1, "the new county: %lld, %ld expected", v, e);
    static char out[16384];
    const char *argv[] = {"hrssctl", "--connect", c->query, "--insecure",
                          "regions", "--under", "330100", "--csv", NULL};
    cr_assert_eq(hx_run(argv, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "330199,测试新区") != NULL,
              "the new county is not listed under 330100:\n%s", out);
}

/* The command line of a collector on @p dir with the catalog in @p cat
 * and the map limit @p map_max (MiB), into argv[0..11]; argv[12] stays
 * NULL. */
static void collector_argv(const char *dir, const char *cat,
                           const char *map_max, const char *argv[13])
{
    const char *a[] = {"hrss-collector", "--data-dir", dir, "--catalog", cat,
                       "--map-max-mib", map_max, "--ingest",
                       "tcp://127.0.0.1:*", "--query", "tcp://127.0.0.1:*",
                       "--insecure"};
    memcpy(argv, a, sizeof a);
}

/* CPU time @p pid used so far (ms), from /proc/PID/stat; -1 when gone. */
static long cpu_ms(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    char line[1024];
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    const char *p = ok != NULL ? strrchr(line, ')') : NULL;
    unsigned long ut = 0;
    unsigned long stime = 0;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt
     * cmajflt utime stime */
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
                                   "%*u %*u %lu %lu",
                            &ut, &stime) != 2) {
        return -1;
    }
    return (long)((ut + stime) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* A collector started on the store: whether it holds DATA_DIR's lock
 * (it is in store_open, rebuilding, from then until it binds), and how
 * far it got. */
typedef struct progress {
    pid_t pid;
    const char *dir;
    long cpu_ms;   /* kill once it used this much CPU ... */
    int locked;
    int bound;     /* ... or once it bound its sockets */
    int gone;
} progress_t;

static int holds_lock(void *arg)
{
    progress_t *p = arg;
    char path[400];
    char text[32] = "";
    snprintf(path, sizeof path, "%s/collector.lock", p->dir);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fgets(text, sizeof text, f) == NULL) {
            text[0] = '\0';
        }
        fclose(f);
    }
    p->locked = atol(text) == (long)p->pid;
    p->gone = kill(p->pid, 0) != 0;
    return p->locked || p->gone;
}

static int worked(void *arg)
{
    progress_t *p = arg;
    char path[400];
    snprintf(path, sizeof path, "%s/endpoints", p->dir);
    p->bound = exists(path);
    long used = cpu_ms(p->pid);
    p->gone = used < 0;
    return p->bound || p->gone || used >= p->cpu_ms;
}

Test(rebuild, a_catalog_change_grows_the_map_and_survives_sigkill)
{
    char db[300];
    char crash[300];
    char cat[300];
    char log[300];
    char path[400];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(crash, sizeof crash, "%s/crash", hx_dir);
    snprintf(cat, sizeof cat, "%s/catalog", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    static built_t b;
    int64_t t0 = hx_now_ms();
    build_store(db, &b);
    int64_t t_build = hx_now_ms() - t0;
    copy_store(db, crash);
    write_catalog(cat);

    /* At the limit: the map may not grow past the 72 MiB it has, so the
     * rebuild fails, the collector says why and binds nothing, and the
     * store is as it was. */
    static char out[16384];
    const char *argv[13] = {NULL};
    collector_argv(db, cat, BUILD_MAP_ARG, argv);
    int st = hx_run(argv, 120000, out, sizeof out);
    cr_expect_neq(st, 0, "%s", out);
    cr_expect(strstr(out, "store full") != NULL &&
                  strstr(out, "limit of " BUILD_MAP_ARG " MiB") != NULL,
              "%s", out);
    snprintf(path, sizeof path, "%s/endpoints", db);
    cr_expect(!exists(path), "it bound its sockets");
    expect_old_store(db, cat, &b);

    /* Room to grow: it rebuilds, binds and answers. */
    collector_argv(db, cat, MAP_MAX_ARG, argv);
    hx_coll_t c;
    t0 = hx_now_ms();
    hx_collector_exec(&c, db, log, argv);
    int64_t t_rebuild = hx_now_ms() - t0;
    long cpu_rebuild = cpu_ms(c.pid);
    cr_assert_gt(cpu_rebuild, 0);
    cr_expect_leq(t_rebuild, REBUILD_MS);
    cr_expect(!hx_file_contains(log, "full") &&
                  !hx_file_contains(log, "MAP_FULL"),
              "see %s", log);
    expect_rebuilt(&c, &b);
    cr_expect_eq(hx_collector_stop(&c, 30000), 0);

    char err[ERR_LEN];
    catalog_t *newcat = NULL;
    cr_assert_eq(catalog_load_dir(&newcat, cat, err), ERR_OK, "%s", err);
    store_t *s = NULL;
    store_opts_t ro = {.readonly = 1};
    cr_assert_eq(store_open(&s, db, newcat, &ro, err), ERR_OK, "%s", err);
    store_space_t sp;
    cr_assert_eq(store_space(s, &sp, err), ERR_OK, "%s", err);
    store_close(&s);
    cr_expect_gt(sp.used_bytes, (uint64_t)BUILD_MAP_MIB << 20,
                 "the rebuilt store (%llu bytes) fits the old map: it "
                 "did not need to grow",
                 (unsigned long long)sp.used_bytes);
    cr_log_info("%llu facts, %llu MiB in a %d MiB map, built in %lld ms; "
                "the rebuild took %lld ms (%ld ms CPU) and grew the store "
                "to %llu MiB",
                (unsigned long long)b.facts,
                (unsigned long long)b.used_bytes >> 20, BUILD_MAP_MIB,
                (long long)t_build, (long long)t_rebuild, cpu_rebuild,
                (unsigned long long)sp.used_bytes >> 20);

    /* SIGKILL midway, at three points of the same rebuild on the copy:
     * by the CPU time it has used, a share of what the whole one took.
     * Each time the store is left as it was. */
    const int shares[] = {25, 50, 75};
    collector_argv(crash, cat, MAP_MAX_ARG, argv);
    snprintf(path, sizeof path, "%s/crash.log", hx_dir);
    for (size_t i = 0; i < 3; i++) {
        progress_t p = {hx_spawn(path, argv), crash, 0, 0, 0, 0};
        cr_assert(hx_wait_until(holds_lock, &p, 30000) && p.locked,
                  "the collector did not take its lock; see %s", path);
        p.cpu_ms = cpu_rebuild * shares[i] / 100;
        cr_assert(hx_wait_until(worked, &p, REBUILD_MS), "kill %zu", i);
        cr_assert(!p.gone, "it exited; see %s", path);
        cr_assert(!p.bound, "it finished before %d%% of the CPU time "
                            "the rebuild took",
                  shares[i]);
        cr_assert_eq(hx_stop(p.pid, SIGKILL, 10000), 128 + SIGKILL);
        expect_old_store(crash, cat, &b);
    }
    /* Started again, it rebuilds and answers as the other did. */
    hx_collector_exec(&c, crash, path, argv);
    expect_rebuilt(&c, &b);
    cr_expect_eq(hx_collector_stop(&c, 30000), 0);

    /* Both stores: aggregates exactly what the facts imply (a map of
     * room for the check's own scratch copy of them). */
    const char *dirs[] = {db, crash};
    for (size_t i = 0; i < 2; i++) {
        store_opts_t rw = {.map_size = (size_t)512 << 20};
        cr_assert_eq(store_open(&s, dirs[i], newcat, &rw, err), ERR_OK,
                     "%s", err);
        cr_expect_eq(store_verify(s, err), ERR_OK, "%s: %s", dirs[i], err);
        store_close(&s);
    }
    catalog_destroy(&newcat);
}
