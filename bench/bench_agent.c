/* bench_agent.c: issue 10's agent benchmark.
 *
 * Figures:
 *   1. Idle: `hrss-agent run` connected to a collector with nothing to
 *      send; after it settles, its RSS (VmRSS) and the CPU time it uses
 *      over IDLE_S seconds (/proc/PID/stat). Targets: under 8 MiB, and
 *      no CPU use (at most 10 ms over the interval).
 *   2. Durable submits/s: `hrss-agent submit` of N rows (the backlog
 *      below) in CSV files of at most one pass over the cells each (a
 *      file may give a cell once), one after another; rows/s over the
 *      submits' time (queued durably), and their peak RSS.
 *   3. Backlog: `hrss-agent run` sending a queued backlog of SMALL and of
 *      BIG updates (100 k and 1 M; the 102-region catalog has 115 k
 *      cells, so the larger one revises each about nine times) to a
 *      collector; its peak anonymous RSS (sampled from /proc while it
 *      sends; the spool's pages mapped from its file are page cache, not
 *      the agent's memory, and are printed apart in VmHWM) and the drain
 *      rate. Target: bounded, the peak for BIG at most 4 MiB above the
 *      peak for SMALL (tests/integration/test_drain.c's rule).
 *
 * usage: bench_agent BIN_DIR CATALOG_DIR [--quick]
 *
 * INVARIANTS
 *   1. Every process it starts is stopped (bx_stop) before it returns,
 *      and killed by the kernel if it dies first (bx.h).
 *   2. Every wait has a deadline; the amounts of work are fixed or
 *      bounded by a time budget.
 *   3. It writes only inside its own bx_tmpdir directory, removed at the
 *      end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/spool.h"
#include "bench/bx.h"
#include "common/mem.h"

#define BENCH "agent"
#define IDLE_S 5.0

typedef struct ctx {
    const char *bin;
    const char *catalog;
    char tmp[256];
    const char *root;
    int quick;
} ctx_t;

/* Rows @p from .. @p from + @p n - 1 of the backlog into a CSV at @p path:
 * at most one pass over the cells, since a file may give a cell once
 * (csvin's rule); a later pass revises them. */
static void write_csv(const catalog_t *cat, const char *path, size_t from,
                      size_t n)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "bench_agent: cannot write %s\n", path);
        exit(1);
    }
    fprintf(f, "indicator,period,region,value,numerator,denominator\n");
    size_t cells = bx_cells(cat);
    for (size_t k = from; k < from + n; k++) {
        update_t u;
        bx_cell(cat, k, &u);
        /* A revision of an earlier pass changes the value. */
        int64_t bump = (int64_t)(k / cells);
        if (u.value.is_ratio) {
            fprintf(f, "%s,%u-%02u,%u,,%lld,%lld\n", u.indicator,
                    u.yyyymm / 100, u.yyyymm % 100, u.region,
                    (long long)u.value.num, (long long)u.value.den);
        } else {
            fprintf(f, "%s,%u-%02u,%u,%lld,,\n", u.indicator, u.yyyymm / 100,
                    u.yyyymm % 100, u.region,
                    (long long)(u.value.num + bump));
        }
    }
    fclose(f);
}

static void idle(ctx_t *c)
{
    char base[400];
    char dir[500];
    char log[500];
    char state[500];
    char alog[500];
    snprintf(base, sizeof base, "%s/idle", c->tmp);
    snprintf(dir, sizeof dir, "%s/store", base);
    snprintf(log, sizeof log, "%s/collector.log", base);
    snprintf(state, sizeof state, "%s/agent", base);
    snprintf(alog, sizeof alog, "%s/agent.log", base);
    bx_mkdir(base);
    bx_coll_t coll;
    if (bx_collector_start(&coll, c->bin, c->catalog, dir, log) != 0) {
        exit(1);
    }
    const char *run[] = {"hrss-agent", "--state-dir", state, "--region",
                         c->root, "--catalog", c->catalog, "--collector",
                         coll.ingest, "--insecure", "run", NULL};
    pid_t agent = bx_spawn(c->bin, alog, run);
    sleep(2); /* connected, settled */
    double cpu0 = bx_proc_cpu(agent);
    double t0 = bx_now();
    usleep((useconds_t)(IDLE_S * 1e6));
    double cpu = bx_proc_cpu(agent) - cpu0;
    double span = bx_now() - t0;
    long rss = bx_proc_kib(agent, "VmRSS");
    long anon = bx_proc_kib(agent, "RssAnon");
    bx_stop(agent, 30000);
    bx_stop(coll.pid, 30000);
    bx_result(BENCH, "idle agent RSS (MiB)",
              bx_fmt("%.1f", (double)rss / 1024.0),
              "-", "-", "< 8", rss > 0 && rss < 8 * 1024 ? "MET" : "MISSED");
    printf("    of which anonymous %.1f MiB\n", (double)anon / 1024.0);
    bx_result(BENCH, bx_fmt("idle agent CPU over %.0f s (ms)", span),
              bx_fmt("%.0f", cpu * 1000), "-", "-", "<= 10",
              cpu >= 0 && cpu <= 0.010 ? "MET" : "MISSED");
}

typedef struct backlog {
    double submit_rate;
    long submit_maxrss;
    double drain_rate;
    long peak_anon;
    long hwm;
} backlog_t;

static int backlog(ctx_t *c, const catalog_t *cat, size_t n, backlog_t *b)
{
    char base[400];
    char dir[500];
    char log[500];
    char state[500];
    char spooldir[600];
    char alog[500];
    char csv[500];
    snprintf(base, sizeof base, "%s/backlog-%zu", c->tmp, n);
    snprintf(dir, sizeof dir, "%s/store", base);
    snprintf(log, sizeof log, "%s/collector.log", base);
    snprintf(state, sizeof state, "%s/agent", base);
    snprintf(spooldir, sizeof spooldir, "%s/spool", state);
    snprintf(alog, sizeof alog, "%s/agent.log", base);
    snprintf(csv, sizeof csv, "%s/backlog.csv", base);
    bx_mkdir(base);
    memset(b, 0, sizeof *b);
    /* One file per pass over the cells, submitted in order. */
    size_t cells = bx_cells(cat);
    double secs = 0;
    for (size_t from = 0; from < n; from += cells) {
        size_t take = n - from < cells ? n - from : cells;
        write_csv(cat, csv, from, take);
        const char *sub[] = {"hrss-agent", "--state-dir", state, "--region",
                             c->root, "--catalog", c->catalog, "submit",
                             csv, NULL};
        struct rusage ru;
        double took = 0;
        int st = bx_run(c->bin, sub, NULL, alog, 600000, &ru, &took);
        if (st != 0) {
            fprintf(stderr, "bench_agent: submit exit %d (see %s)\n", st,
                    alog);
            return -1;
        }
        unlink(csv);
        secs += took;
        if (ru.ru_maxrss > b->submit_maxrss) {
            b->submit_maxrss = ru.ru_maxrss;
        }
    }
    b->submit_rate = (double)n / secs;
    bx_coll_t coll;
    if (bx_collector_start(&coll, c->bin, c->catalog, dir, log) != 0) {
        return -1;
    }
    spool_t *sp = NULL;
    char err[ERR_LEN];
    if (spool_open_readonly(&sp, spooldir, err) != ERR_OK) {
        fprintf(stderr, "bench_agent: %s\n", err);
        bx_stop(coll.pid, 30000);
        return -1;
    }
    const char *run[] = {"hrss-agent", "--state-dir", state, "--region",
                         c->root, "--catalog", c->catalog, "--collector",
                         coll.ingest, "--insecure", "run", NULL};
    double t0 = bx_now();
    pid_t agent = bx_spawn(c->bin, alog, run);
    int rc = -1;
    double deadline = t0 + 300;
    while (bx_now() < deadline) {
        long anon = bx_proc_kib(agent, "RssAnon");
        if (anon > b->peak_anon) {
            b->peak_anon = anon;
        }
        spool_stats_t s;
        if (spool_stats(sp, &s, err) == ERR_OK && s.queued == 0) {
            rc = 0;
            break;
        }
        usleep(10000);
    }
    b->drain_rate = (double)n / (bx_now() - t0);
    b->hwm = bx_proc_kib(agent, "VmHWM");
    if (rc != 0) {
        fprintf(stderr, "bench_agent: the backlog did not drain in 300 s\n");
    }
    spool_close(&sp);
    bx_stop(agent, 30000);
    bx_stop(coll.pid, 30000);
    bx_rmtree(base);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_agent BIN_DIR CATALOG_DIR [--quick]\n");
        return 64;
    }
    /* Line by line into a pipe too: progress shows as it happens. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    ctx_t c;
    memset(&c, 0, sizeof c);
    c.bin = argv[1];
    c.catalog = argv[2];
    c.quick = argc > 3 && strcmp(argv[3], "--quick") == 0;
    bx_tmpdir(c.tmp, sizeof c.tmp, "agent");
    catalog_t *cat = bx_catalog(c.catalog);
    c.root = catalog_region(cat, (size_t)catalog_region_root(cat))->code_str;
    double t_start = bx_now();

    printf("== agent: idle\n");
    idle(&c);

    size_t small = c.quick ? 20000 : 100000;
    size_t big = c.quick ? 100000 : 1000000;
    backlog_t bs;
    backlog_t bb;
    printf("== agent: backlogs of %s and %s updates\n", bx_num((double)small),
           bx_num((double)big));
    int ok = backlog(&c, cat, small, &bs) == 0;
    ok = ok && backlog(&c, cat, big, &bb) == 0;
    if (ok) {
        bx_result(BENCH,
                  bx_fmt("durable submit, %s rows in CSVs (rows/s)",
                         bx_num((double)big)),
                  bx_num(bb.submit_rate), "-", "-", "-", "-");
        printf("    %s rows: %s rows/s; submit's peak RSS %ld MiB (%s rows) "
               "and %ld MiB (%s rows)\n",
               bx_num((double)small), bx_num(bs.submit_rate),
               bs.submit_maxrss / 1024, bx_num((double)small),
               bb.submit_maxrss / 1024, bx_num((double)big));
        double growth = (double)(bb.peak_anon - bs.peak_anon) / 1024.0;
        bx_result(BENCH,
                  bx_fmt("agent sending %s backlog, peak anon RSS (MiB)",
                         bx_num((double)big)),
                  bx_fmt("%.1f", (double)bb.peak_anon / 1024.0),
                  bx_fmt("%.1f at %s", (double)bs.peak_anon / 1024.0,
                         bx_num((double)small)),
                  bx_fmt("+%.1f MiB", growth), "<= +4 MiB",
                  growth <= 4 ? "MET" : "MISSED");
        printf("    VmHWM (spool pages mapped from its file included): %ld "
               "MiB at %s, %ld MiB at %s\n",
               bs.hwm / 1024, bx_num((double)small), bb.hwm / 1024,
               bx_num((double)big));
        bx_result(BENCH,
                  bx_fmt("agent draining %s backlog (updates/s)",
                         bx_num((double)big)),
                  bx_num(bb.drain_rate), "-", "-", "-", "-");
    }
    catalog_destroy(&cat);
    bx_rmtree(c.tmp);
    printf("== agent: %.0f s\n", bx_now() - t_start);
    return ok ? 0 : 1;
}
