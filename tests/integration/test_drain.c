/* test_drain.c: a collector down for hours with agents queueing (issue
 * 9): the backlog drains completely and in order once it is back, and
 * the agent's memory does not grow with the backlog.
 *
 * Two offices queue while the collector is away: one 10,000 updates,
 * the other 100,000 (ten revisions of each of its cells, so that the
 * order shows in the values). Both `run`, fail to reach the collector
 * and back off; then it starts and both drain. The peak resident size of
 * each sender (VmHWM, read while it runs, after its spool is empty) is
 * compared: the spool's own pages, mapped from its file (LMDB reads
 * through mmap; page cache, not the agent's heap), are counted apart.
 * Excluded under ThreadSanitizer (tests/tsan.sh), whose shadow memory
 * inflates every peak. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

TestSuite(drain, .init = hx_setup, .fini = hx_teardown, .timeout = 300);

/* Each cell is revised this many times in a backlog, in order. */
#define REVISIONS 10
#define MONTH0 (2000 * 12) /* the backlog's first month, 2000-01 */
/* The spool limit given to submit: far above what 100,000 updates take
 * (about 7 MiB), far below the default 1 GiB. */
#define SPOOL_MAX_MIB "64"

/* How much more the sender with the larger backlog may peak, beyond its
 * spool's mapped pages (MiB), and the most either may peak in all. */
#define PEAK_GROWTH_MIB 4
#define PEAK_MAX_MIB 64
/* Bound on draining both backlogs once the collector is up (ms):
 * connecting (at most one 15 s backoff + a 2 s hello timeout) and about
 * 110,000 updates, which take about 6 s under ASan. */
#define DRAIN_MS 60000

typedef struct office {
    const char *name;
    const char *indicator; /* a flow: its total is the sum of the cells */
    uint64_t updates;      /* the backlog */
    char state[300];
    char log[300];
    const char *ingest;
    pid_t pid;
    long long total;       /* the sum of every cell's last value */
    long peak_kib;         /* VmHWM once drained */
    long spool_kib;        /* its spool's pages mapped then */
} office_t;

/* The regions that exist in every month (not the districts of
 * Hangzhou's 2021 change: a figure outside a region's months is
 * refused), in catalog order. */
static const uint32_t *regions(const catalog_t *cat, size_t *n)
{
    static uint32_t codes[256];
    cr_assert_leq(catalog_region_count(cat), 256);
    *n = 0;
    for (size_t i = 0; i < catalog_region_count(cat); i++) {
        const region_t *rg = catalog_region(cat, i);
        if (rg->valid_from == CATALOG_OPEN_FROM &&
            rg->valid_to == CATALOG_OPEN_TO) {
            codes[(*n)++] = rg->code;
        }
    }
    cr_assert_gt(*n, 0);
    return codes;
}

/* The backlog as CSV files, one per revision (a file may give a cell
 * only once): cell c = (region, month) gets value r * 1,000,000 + c in
 * revision r, submitted in order, so only the backlog applied in order
 * leaves every cell at r = REVISIONS - 1. Its months (from 2000-01) lie
 * before the plan: submit --allow-before-plan. */
static void write_backlog(office_t *o, const catalog_t *cat)
{
    char path[400];
    size_t nreg = 0;
    const uint32_t *reg = regions(cat, &nreg);
    uint64_t cells = o->updates / REVISIONS;
    o->total = 0;
    for (uint64_t r = 0; r < REVISIONS; r++) {
        snprintf(path, sizeof path, "%s/%s-%llu.csv", hx_dir, o->name,
                 (unsigned long long)r);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs("indicator,period,value,region\n", f);
        for (uint64_t c = 0; c < cells; c++) {
            int32_t m = MONTH0 + (int32_t)(c / nreg);
            long long v = (long long)(r * 1000000 + c);
            fprintf(f, "%s,%04d-%02d,%lld,%u\n", o->indicator, m / 12,
                    m % 12 + 1, v, reg[c % nreg]);
            if (r == REVISIONS - 1) {
                o->total += v;
            }
        }
        cr_assert_eq(fclose(f), 0);
        char out[4096];
        char want[64];
        const char *argv[] = {"hrss-agent", "--state-dir", o->state,
                              "--region", "330000", "--name", o->name,
                              "--spool-max-mib", SPOOL_MAX_MIB, "submit",
                              "--allow-before-plan", path, NULL};
        cr_assert_eq(hx_run(argv, 120000, out, sizeof out), 0, "%s", out);
        snprintf(want, sizeof want, "queued %llu updates",
                 (unsigned long long)cells);
        cr_assert(strstr(out, want) != NULL, "%s", out);
    }
}

static void office_run(office_t *o)
{
    const char *argv[] = {"hrss-agent", "--state-dir", o->state,
                          "--collector", o->ingest, "--region", "330000",
                          "--name", o->name, "--insecure", "run", NULL};
    o->pid = hx_spawn(o->log, argv);
}

/* The spool's queue length from `status --json`; -1 when unreadable. */
static long long queued(const office_t *o)
{
    static char out[8192];
    const char *argv[] = {"hrss-agent", "--state-dir", o->state,
                          "--region", "330000", "--name", o->name,
                          "status", "--json", NULL};
    if (hx_run(argv, 30000, out, sizeof out) != 0) {
        return -1;
    }
    const char *q = strstr(out, "\"queued\": ");
    return q != NULL ? strtoll(q + 10, NULL, 10) : -1;
}

static int backed_off(void *arg)
{
    office_t *const *o = arg;
    return hx_file_contains(o[0]->log, "retrying with backoff") &&
           hx_file_contains(o[1]->log, "retrying with backoff");
}

/* The collector's next expected seq of both offices, read from its store
 * while it runs: everything applied. */
typedef struct applied {
    store_t *st;
    office_t *const *o;
} applied_t;

static int all_applied(void *arg)
{
    applied_t *a = arg;
    char err[ERR_LEN];
    for (int i = 0; i < 2; i++) {
        uint64_t next = 0;
        cr_assert_eq(store_next_seq(a->st, a->o[i]->name, &next, err),
                     ERR_OK, "%s", err);
        if (next != a->o[i]->updates + 1) {
            return 0;
        }
    }
    return 1;
}

/* Both spools empty: every update acknowledged, and its ack handled. */
static int drained(void *arg)
{
    office_t *const *o = arg;
    return queued(o[0]) == 0 && queued(o[1]) == 0;
}

/* Resident pages of @p pid's mappings of its spool file (KiB), from
 * /proc/PID/smaps. */
static long spool_mapped_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char line[1024];
    int in_spool = 0;
    long kib = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo = 0;
        unsigned long hi = 0;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
            line[strcspn(line, "\n")] = '\0';
            size_t n = strlen(line);
            const char *tail = "/spool/data.mdb";
            in_spool = n > strlen(tail) &&
                       strcmp(line + n - strlen(tail), tail) == 0;
        } else if (in_spool && strncmp(line, "Rss:", 4) == 0) {
            kib += strtol(line + 4, NULL, 10);
        }
    }
    fclose(f);
    return kib;
}

/* The audit trail from one reporter: its seqs must run 1, 2, 3 ... in
 * the order the collector accepted them. */
typedef struct order {
    const char *reporter;
    uint64_t next;      /* the seq expected next */
    uint64_t misplaced; /* revisions out of order or repeated */
} order_t;

static int follow(const store_revision_t *rev, void *arg)
{
    order_t *o = arg;
    if (strcmp(rev->reporter, o->reporter) != 0) {
        return 0;
    }
    if (rev->seq != o->next) {
        o->misplaced++;
    }
    o->next = rev->seq + 1;
    return 0;
}

static long long province_total(const hx_coll_t *c, const char *ind)
{
    static char out[8192];
    const char *argv[] = {"hrssctl", "--connect", c->query, "--insecure",
                          "total", ind, "--period", "2000..2026", "--json",
                          NULL};
    cr_assert_eq(hx_run(argv, 30000, out, sizeof out), 0, "%s", out);
    const char *v = strstr(out, "\"value\": ");
    cr_assert_not_null(v, "%s", out);
    return atoll(v + 9);
}

Test(drain, a_backlog_drains_in_order_and_the_agent_stays_small)
{
    /* ASan keeps freed memory in a quarantine (256 MiB by default) that
     * grows with everything ever sent: the agents' own, small. */
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=1",
             asan != NULL ? asan : "", asan != NULL && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);

    char db[300];
    char clog[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(clog, sizeof clog, "%s/collector.log", hx_dir);
    hx_coll_t c;
    hx_collector_reserve(&c, db, clog); /* away: connections refused */

    char err[ERR_LEN];
    catalog_t *cat = NULL;
    cr_assert_eq(catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err), ERR_OK,
                 "%s", err);
    static office_t small = {.name = "office-small",
                             .indicator = "vocational_skill_training",
                             .updates = 10000};
    static office_t large = {.name = "office-large",
                             .indicator = "urban_new_jobs",
                             .updates = 100000};
    office_t *o[] = {&small, &large};
    for (int i = 0; i < 2; i++) {
        snprintf(o[i]->state, sizeof o[i]->state, "%s/%s", hx_dir,
                 o[i]->name);
        snprintf(o[i]->log, sizeof o[i]->log, "%s/%s.log", hx_dir,
                 o[i]->name);
        o[i]->ingest = c.ingest;
        write_backlog(o[i], cat);
        office_run(o[i]);
    }
    catalog_destroy(&cat);
    cr_assert(hx_wait_until(backed_off, o, 60000),
              "the agents did not find the collector away");
    cr_expect_eq(queued(&small), 10000);
    cr_expect_eq(queued(&large), 100000);

    /* Back. */
    int64_t t0 = hx_now_ms();
    hx_collector_restart(&c);
    store_t *st = NULL;
    hx_open_store(db, 0, &cat, &st);
    applied_t ap = {st, o};
    cr_assert(hx_wait_until(all_applied, &ap, DRAIN_MS),
              "not applied within %d s", DRAIN_MS / 1000);
    int64_t took = hx_now_ms() - t0;
    store_close(&st);
    catalog_destroy(&cat);
    /* The agents take the last acks in a moment. */
    cr_assert(hx_wait_until(drained, o, 30000),
              "acknowledged but still queued: %lld and %lld",
              queued(&small), queued(&large));
    for (int i = 0; i < 2; i++) {
        int status = 0;
        cr_assert_eq(waitpid(o[i]->pid, &status, WNOHANG), 0, "%s exited",
                     o[i]->name);
        o[i]->peak_kib = hx_proc_kib(o[i]->pid, "VmHWM");
        o[i]->spool_kib = spool_mapped_kib(o[i]->pid);
        cr_assert_gt(o[i]->peak_kib, 0);
    }
    long growth = (large.peak_kib - large.spool_kib) -
                  (small.peak_kib - small.spool_kib);
    cr_log_info("drained %llu + %llu updates in %lld ms; peak %ld KiB "
                "(spool %ld KiB mapped) with %llu queued, %ld KiB (spool "
                "%ld KiB) with %llu: %ld KiB more beside the spool",
                (unsigned long long)small.updates,
                (unsigned long long)large.updates, (long long)took,
                small.peak_kib, small.spool_kib,
                (unsigned long long)small.updates, large.peak_kib,
                large.spool_kib, (unsigned long long)large.updates, growth);
    cr_expect_leq(growth, PEAK_GROWTH_MIB * 1024L,
                  "10 times the backlog grew the sender's peak by %ld KiB "
                  "beside its spool's pages (bound %d MiB)",
                  growth, PEAK_GROWTH_MIB);
    for (int i = 0; i < 2; i++) {
        cr_expect_leq(o[i]->peak_kib, PEAK_MAX_MIB * 1024L,
                      "%s peaked at %ld KiB (bound %d MiB)", o[i]->name,
                      o[i]->peak_kib, PEAK_MAX_MIB);
    }

    /* Complete and in order: the last revision of every cell won. */
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(province_total(&c, o[i]->indicator), o[i]->total,
                     "%s: not every cell holds its last revision",
                     o[i]->name);
        cr_expect_eq(hx_stop(o[i]->pid, SIGTERM, 10000), 0, "%s",
                     o[i]->name);
    }
    cr_expect_eq(hx_collector_stop(&c, 20000), 0);
    hx_open_store(db, 1, &cat, &st);
    for (int i = 0; i < 2; i++) {
        uint64_t next = 0;
        cr_assert_eq(store_next_seq(st, o[i]->name, &next, err), ERR_OK);
        cr_expect_eq(next, o[i]->updates + 1, "%s: next seq %llu",
                     o[i]->name, (unsigned long long)next);
        order_t ord = {o[i]->name, 1, 0};
        cr_assert_eq(store_audit(st, 0, follow, &ord, err), ERR_OK, "%s",
                     err);
        cr_expect_eq(ord.misplaced, 0, "%s: %llu updates applied out of "
                                       "order or twice",
                     o[i]->name, (unsigned long long)ord.misplaced);
        cr_expect_eq(ord.next, o[i]->updates + 1, "%s: the audit trail "
                                                  "ends at seq %llu",
                     o[i]->name, (unsigned long long)ord.next - 1);
    }
    cr_expect_eq(store_verify(st, err), ERR_OK, "%s", err);
    store_close(&st);
    catalog_destroy(&cat);
}
