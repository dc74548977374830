/* bench_ingest.c: issue 10's ingest benchmark.
 *
 * Figures, each against a baseline measured in the same run:
 *   1. Baselines: raw ZeroMQ PUSH/PULL messages/s over tcp loopback at the
 *      size of one encoded update; LMDB's own key-order puts/s (mdb_put
 *      of ascending keys, 10,000 per durable commit) and single-put
 *      durable commits/s.
 *   2. The collector alone under the fastest client: a real hrss-collector
 *      (--insecure, default durable settings) fed by this program speaking
 *      the wire protocol directly, batches of 2,000 pre-packed, several
 *      connections each with several batches in flight; at the shipped
 *      102-region catalog and at the synthetic 3,112-region one. Target:
 *      figures/s >= 0.25 x LMDB key-order puts/s.
 *   3. End to end: N real hrss-agent processes (1, 4, 16, 100), each
 *      with its own state dir, each `submit`s its share of the same
 *      figures as a CSV, then all `flush` at once; acknowledged durable
 *      updates/s from the start of the flushes to the last one's exit 0.
 *      Target (1 agent): >= 80% of the collector-alone figure.
 *   4. Submit-to-ack latency of one update on an idle system: `hrss-agent
 *      run` in the background, `hrss-agent submit` of one figure, until
 *      the agent's spool records the collector's ack (p50, p99).
 *
 * Bounded: fixed amounts of work, every wait with a deadline; every
 * process it starts is stopped, its temporary directory removed.
 *
 * usage: bench_ingest BIN_DIR CATALOG_DIR [--quick]
 *
 * INVARIANTS
 *   1. Every process it starts is stopped (bx_stop) before it returns,
 *      and killed by the kernel if it dies first (bx.h).
 *   2. Every wait has a deadline; the amounts of work are fixed or
 *      bounded by a time budget.
 *   3. It writes only inside its own bx_tmpdir directory, removed at the
 *      end.
 */
#define _GNU_SOURCE
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "agent/spool.h"
#include "bench/bx.h"
#include "bench/fast.h"
#include "common/buf.h"
#include "common/mem.h"
#include "common/wire.h"

#define BENCH "ingest"
#define FAST_BATCH 2000
#define FAST_CONNS 4
#define FAST_WINDOW 8

typedef struct ctx {
    const char *bin;
    const char *catalog;    /* the shipped catalog (102 regions) */
    char national[512];     /* the synthetic one (3,112 regions) */
    char tmp[256];
    int quick;
    double lmdb_puts;       /* key-order puts/s, the write-path baseline */
    double alone_102;       /* collector alone, 102 regions */
} ctx_t;

/* ------------------------------------------------------------------ */
/* baselines                                                           */

static size_t encoded_update_size(const catalog_t *cat)
{
    update_t u;
    bx_cell(cat, 0, &u);
    Hrss__Update w = HRSS__UPDATE__INIT;
    w.seq = 100000;
    w.indicator = (char *)(uintptr_t)u.indicator;
    w.region = u.region;
    w.month = u.yyyymm;
    w.value_case = HRSS__UPDATE__VALUE_COUNT;
    w.count = u.value.num;
    return hrss__update__get_packed_size(&w);
}

typedef struct pusher {
    void *zctx;
    char endpoint[128];
    size_t size;
    long count;
} pusher_t;

static void *push_thread(void *arg)
{
    pusher_t *p = arg;
    void *s = zmq_socket(p->zctx, ZMQ_PUSH);
    zmq_connect(s, p->endpoint);
    char *msg = xcalloc(1, p->size);
    for (long i = 0; i < p->count; i++) {
        zmq_send(s, msg, p->size, 0);
    }
    free(msg);
    int linger = -1;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(s);
    return NULL;
}

static double zmq_baseline(size_t size, long count)
{
    void *zctx = zmq_ctx_new();
    void *pull = zmq_socket(zctx, ZMQ_PULL);
    zmq_bind(pull, "tcp://127.0.0.1:*");
    pusher_t p;
    memset(&p, 0, sizeof p);
    size_t len = sizeof p.endpoint;
    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, p.endpoint, &len);
    p.zctx = zctx;
    p.size = size;
    p.count = count;
    pthread_t th;
    char buf[512];
    pthread_create(&th, NULL, push_thread, &p);
    /* Timed from the first message received. */
    zmq_recv(pull, buf, sizeof buf, 0);
    double t0 = bx_now();
    for (long i = 1; i < count; i++) {
        zmq_recv(pull, buf, sizeof buf, 0);
    }
    double took = bx_now() - t0;
    pthread_join(th, NULL);
    zmq_close(pull);
    zmq_ctx_term(zctx);
    return (double)(count - 1) / took;
}

static void lmdb_baselines(ctx_t *c, double *puts, double *commits)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/lmdb", c->tmp);
    bx_mkdir(dir);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    mdb_env_create(&env);
    mdb_env_set_mapsize(env, (size_t)4 << 30);
    if (mdb_env_open(env, dir, 0, 0644) != 0) {
        fprintf(stderr, "bench: mdb_env_open %s failed\n", dir);
        exit(1);
    }
    unsigned char key[24];
    unsigned char val[48];
    memset(key, 0x55, sizeof key);
    memset(val, 0xaa, sizeof val);
    MDB_val k = {sizeof key, key};
    MDB_val v = {sizeof val, val};
    long n = c->quick ? 300000 : 1000000;
    long per_txn = 10000;
    double t0 = bx_now();
    for (long i = 0; i < n;) {
        mdb_txn_begin(env, NULL, 0, &txn);
        mdb_dbi_open(txn, NULL, 0, &dbi);
        for (long j = 0; j < per_txn && i < n; j++, i++) {
            for (int b = 0; b < 8; b++) {
                key[16 + b] = (unsigned char)((uint64_t)i >> (56 - 8 * b));
            }
            mdb_put(txn, dbi, &k, &v, 0);
        }
        if (mdb_txn_commit(txn) != 0) {
            fprintf(stderr, "bench: mdb_txn_commit failed\n");
            exit(1);
        }
    }
    *puts = (double)n / (bx_now() - t0);
    /* Single-put durable commits: for about 2 s. */
    long m = 0;
    t0 = bx_now();
    double limit = c->quick ? 1.0 : 2.0;
    while (bx_now() - t0 < limit) {
        for (int b = 0; b < 8; b++) {
            key[16 + b] = (unsigned char)((uint64_t)(n + m) >> (56 - 8 * b));
        }
        mdb_txn_begin(env, NULL, 0, &txn);
        mdb_put(txn, dbi, &k, &v, 0);
        mdb_txn_commit(txn);
        m++;
    }
    *commits = (double)m / (bx_now() - t0);
    mdb_env_close(env);
}

/* ------------------------------------------------------------------ */
/* the fastest client                                                  */

/* The collector alone at catalog @p catdir: figures/s. */
static double collector_alone(ctx_t *c, const char *catdir, const char *tag,
                              size_t want)
{
    catalog_t *cat = bx_catalog(catdir);
    size_t n = bx_cells(cat) < want ? bx_cells(cat) : want;
    char dir[400];
    char log[400];
    snprintf(dir, sizeof dir, "%s/alone-%s", c->tmp, tag);
    snprintf(log, sizeof log, "%s/alone-%s.log", c->tmp, tag);
    bx_coll_t coll;
    double rate = -1;
    if (bx_collector_start(&coll, c->bin, catdir, dir, log) != 0) {
        catalog_destroy(&cat);
        return -1;
    }
    double cpu0 = bx_proc_cpu(coll.pid);
    size_t rejected = 0;
    rate = fast_client(cat, coll.ingest, n, FAST_BATCH, FAST_CONNS,
                       FAST_WINDOW, 0, &rejected);
    double cpu = bx_proc_cpu(coll.pid) - cpu0;
    long rss = bx_proc_kib(coll.pid, "VmHWM");
    bx_stop(coll.pid, 30000);
    double ratio = rate / c->lmdb_puts;
    const char *fig = bx_fmt("collector alone, %s regions (figures/s)", tag);
    bx_result(BENCH, fig, bx_num(rate),
              bx_fmt("%s LMDB puts/s", bx_num(c->lmdb_puts)),
              bx_fmt("%.3f", ratio), ">= 0.25",
              rate > 0 && ratio >= 0.25 ? "MET" : "MISSED");
    printf("    %zu figures, %d connections x %d batches of %d in flight; "
           "collector CPU %.1f us/figure, peak RSS %ld MiB, %zu rejected\n",
           n, FAST_CONNS, FAST_WINDOW, FAST_BATCH, cpu * 1e6 / (double)n,
           rss / 1024, rejected);
    catalog_destroy(&cat);
    return rate;
}

/* ------------------------------------------------------------------ */
/* end to end                                                          */

static void write_csv(const catalog_t *cat, const char *path, size_t first,
                      size_t step, size_t n)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "bench: cannot write %s\n", path);
        exit(1);
    }
    fprintf(f, "indicator,period,region,value,numerator,denominator\n");
    for (size_t k = first; k < n; k += step) {
        update_t u;
        bx_cell(cat, k, &u);
        if (u.value.is_ratio) {
            fprintf(f, "%s,%u-%02u,%u,,%lld,%lld\n", u.indicator,
                    u.yyyymm / 100, u.yyyymm % 100, u.region,
                    (long long)u.value.num, (long long)u.value.den);
        } else {
            fprintf(f, "%s,%u-%02u,%u,%lld,,\n", u.indicator, u.yyyymm / 100,
                    u.yyyymm % 100, u.region, (long long)u.value.num);
        }
    }
    fclose(f);
}

/* N agents deliver @p total figures: updates/s from the first flush to
 * the last flush's exit, or -1. */
static double end_to_end(ctx_t *c, int n_agents, size_t total,
                         double *submit_rate)
{
    catalog_t *cat = bx_catalog(c->catalog);
    const char *root =
        catalog_region(cat, (size_t)catalog_region_root(cat))->code_str;
    char base[400];
    char log[500];
    char dir[500];
    snprintf(base, sizeof base, "%s/e2e-%d", c->tmp, n_agents);
    snprintf(dir, sizeof dir, "%s/store", base);
    snprintf(log, sizeof log, "%s/collector.log", base);
    bx_mkdir(base);
    bx_coll_t coll;
    double rate = -1;
    pid_t *pids = xcalloc((size_t)n_agents, sizeof *pids);
    if (bx_collector_start(&coll, c->bin, c->catalog, dir, log) != 0) {
        goto out;
    }
    /* Each agent's share, queued with `submit` (timed apart). */
    double submit_s = 0;
    for (int i = 0; i < n_agents; i++) {
        char csv[600];
        char state[600];
        char name[32];
        char alog[600];
        snprintf(csv, sizeof csv, "%s/a%d.csv", base, i);
        snprintf(state, sizeof state, "%s/a%d", base, i);
        snprintf(alog, sizeof alog, "%s/a%d.log", base, i);
        snprintf(name, sizeof name, "agent-%d", i);
        write_csv(cat, csv, (size_t)i, (size_t)n_agents, total);
        const char *argv[] = {"hrss-agent", "--state-dir", state, "--region",
                              root, "--name", name, "--catalog", c->catalog,
                              "submit", csv, NULL};
        double s = 0;
        int st = bx_run(c->bin, argv, NULL, alog, 300000, NULL, &s);
        submit_s += s;
        if (st != 0) {
            fprintf(stderr, "bench: submit failed (%d); see %s\n", st, alog);
            goto stop;
        }
    }
    *submit_rate = (double)total / submit_s;
    double t0 = bx_now();
    for (int i = 0; i < n_agents; i++) {
        char state[600];
        char name[32];
        char alog[600];
        snprintf(state, sizeof state, "%s/a%d", base, i);
        snprintf(alog, sizeof alog, "%s/a%d.log", base, i);
        snprintf(name, sizeof name, "agent-%d", i);
        const char *argv[] = {"hrss-agent", "--state-dir", state, "--region",
                              root, "--name", name, "--catalog", c->catalog,
                              "--collector", coll.ingest, "--insecure",
                              "flush", "--timeout", "240", NULL};
        pids[i] = bx_spawn(c->bin, alog, argv);
    }
    int bad = 0;
    for (int i = 0; i < n_agents; i++) {
        if (bx_wait(pids[i], 300000, NULL) != 0) {
            bad++;
        }
    }
    double took = bx_now() - t0;
    if (bad == 0) {
        rate = (double)total / took;
    } else {
        fprintf(stderr, "bench: %d flushes failed; see %s/a*.log\n", bad,
                base);
    }
stop:
    bx_stop(coll.pid, 30000);
out:
    free(pids);
    catalog_destroy(&cat);
    return rate;
}

/* ------------------------------------------------------------------ */
/* latency                                                             */

static void latency(ctx_t *c, int samples)
{
    catalog_t *cat = bx_catalog(c->catalog);
    const char *root =
        catalog_region(cat, (size_t)catalog_region_root(cat))->code_str;
    char base[400];
    char log[500];
    char dir[500];
    char state[500];
    char spooldir[600];
    char alog[500];
    snprintf(base, sizeof base, "%s/latency", c->tmp);
    snprintf(dir, sizeof dir, "%s/store", base);
    snprintf(log, sizeof log, "%s/collector.log", base);
    snprintf(state, sizeof state, "%s/agent", base);
    snprintf(spooldir, sizeof spooldir, "%s/spool", state);
    snprintf(alog, sizeof alog, "%s/agent.log", base);
    bx_mkdir(base);
    bx_coll_t coll;
    if (bx_collector_start(&coll, c->bin, c->catalog, dir, log) != 0) {
        catalog_destroy(&cat);
        return;
    }
    const char *run[] = {"hrss-agent", "--state-dir", state, "--region", root,
                         "--name", "lat", "--catalog", c->catalog,
                         "--collector", coll.ingest, "--insecure", "run",
                         NULL};
    pid_t agent = bx_spawn(c->bin, alog, run);
    spool_t *sp = NULL;
    char err[ERR_LEN];
    double deadline = bx_now() + 30;
    while (spool_open_readonly(&sp, spooldir, err) != ERR_OK &&
           bx_now() < deadline) {
        usleep(10000);
    }
    double *total = xcalloc((size_t)samples, sizeof *total);
    double *after = xcalloc((size_t)samples, sizeof *after);
    int got = 0;
    if (sp == NULL) {
        fprintf(stderr, "bench: no spool in %s: %s\n", spooldir, err);
        goto out;
    }
    usleep(500000); /* let it connect: the first sample is not a connect */
    for (int i = 0; i < samples; i++) {
        update_t u;
        /* The first indicator, region i: a new cell each time. */
        bx_cell(cat, (size_t)i * catalog_indicator_count(cat), &u);
        char period[16];
        char value[32];
        char region[16];
        snprintf(period, sizeof period, "%u-%02u", u.yyyymm / 100,
                 u.yyyymm % 100);
        snprintf(value, sizeof value, "%lld", (long long)u.value.num);
        snprintf(region, sizeof region, "%u", u.region);
        const char *argv[] = {"hrss-agent", "--state-dir", state,
                              "--region", root, "--name", "lat",
                              "--catalog", c->catalog, "submit",
                              "--indicator", u.indicator, "--period", period,
                              "--value", value, "--region", region, NULL};
        double t0 = bx_now();
        if (bx_run(c->bin, argv, NULL, alog, 30000, NULL, NULL) != 0) {
            fprintf(stderr, "bench: submit failed; see %s\n", alog);
            goto out;
        }
        double t1 = bx_now();
        spool_stats_t st;
        if (spool_stats(sp, &st, err) != ERR_OK) {
            goto out;
        }
        uint64_t seq = st.last_assigned;
        double limit = bx_now() + 10;
        while (st.acked_next <= seq && bx_now() < limit) {
            usleep(200);
            spool_stats(sp, &st, err);
        }
        if (st.acked_next <= seq) {
            fprintf(stderr, "bench: no ack within 10 s\n");
            goto out;
        }
        double t2 = bx_now();
        total[got] = (t2 - t0) * 1000;
        after[got] = (t2 - t1) * 1000;
        got++;
        usleep(20000); /* idle between samples */
    }
out:
    spool_close(&sp);
    bx_stop(agent, 30000);
    bx_stop(coll.pid, 30000);
    if (got > 0) {
        double p50 = bx_quantile(total, (size_t)got, 0.50);
        double p99 = bx_quantile(total, (size_t)got, 0.99);
        double q50 = bx_quantile(after, (size_t)got, 0.50);
        double q99 = bx_quantile(after, (size_t)got, 0.99);
        bx_result(BENCH, "submit-to-ack latency, one update, p50 (ms)",
                  bx_fmt("%.1f", p50), "-", "-", "-", "-");
        bx_result(BENCH, "submit-to-ack latency, one update, p99 (ms)",
                  bx_fmt("%.1f", p99), "-", "-", "-", "-");
        printf("    %d samples: `hrss-agent submit` as a process, then the "
               "ack in the spool;\n    from submit's exit (queued on disk) "
               "to the ack: p50 %.1f ms, p99 %.1f ms\n",
               got, q50, q99);
    }
    free(total);
    free(after);
    catalog_destroy(&cat);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_ingest BIN_DIR CATALOG_DIR [--quick]\n");
        return 64;
    }
    /* Line by line into a pipe too: progress shows as it happens. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    ctx_t c;
    memset(&c, 0, sizeof c);
    c.bin = argv[1];
    c.catalog = argv[2];
    c.quick = argc > 3 && strcmp(argv[3], "--quick") == 0;
    bx_tmpdir(c.tmp, sizeof c.tmp, "ingest");
    snprintf(c.national, sizeof c.national, "%s/national", c.tmp);
    bx_national_catalog(c.catalog, c.national);
    catalog_t *cat = bx_catalog(c.catalog);
    double t_start = bx_now();

    printf("== ingest: baselines\n");
    size_t usize = encoded_update_size(cat);
    double zq = zmq_baseline(usize, c.quick ? 500000 : 2000000);
    bx_result(BENCH,
              bx_fmt("raw ZeroMQ PUSH/PULL, %zu-byte messages (msg/s)", usize),
              bx_num(zq), "-", "-", "-", "-");
    double commits = 0;
    lmdb_baselines(&c, &c.lmdb_puts, &commits);
    bx_result(BENCH, "LMDB key-order puts, 10,000 per commit (puts/s)",
              bx_num(c.lmdb_puts), "-", "-", "-", "-");
    bx_result(BENCH, "LMDB single-put durable commits (commits/s)",
              bx_num(commits), "-", "-", "-", "-");

    printf("== ingest: the collector alone under the fastest client\n");
    size_t want = c.quick ? 60000 : 240000;
    c.alone_102 = collector_alone(&c, c.catalog, "102", want);
    collector_alone(&c, c.national, "3112", want);

    printf("== ingest: end to end, N agents (hrss-agent submit + flush)\n");
    size_t total = c.quick ? 20000 : 100000;
    if (total > bx_cells(cat)) {
        total = bx_cells(cat);
    }
    static const int ns[] = {1, 4, 16, 100};
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
        double submit_rate = 0;
        double r = end_to_end(&c, ns[i], total, &submit_rate);
        const char *fig =
            bx_fmt("end to end, %d agent%s (acked updates/s)", ns[i],
                   ns[i] == 1 ? "" : "s");
        if (ns[i] == 1) {
            double ratio = r / c.alone_102;
            bx_result(BENCH, fig, bx_num(r),
                      bx_fmt("%s alone", bx_num(c.alone_102)),
                      bx_fmt("%.2f", ratio), ">= 0.80",
                      r > 0 && ratio >= 0.8 ? "MET" : "MISSED");
        } else {
            bx_result(BENCH, fig, bx_num(r),
                      bx_fmt("%s alone", bx_num(c.alone_102)),
                      bx_fmt("%.2f", r / c.alone_102), "-", "-");
        }
        printf("    %zu updates in all; submit (durable, all agents one "
               "after another): %s rows/s\n",
               total, bx_num(submit_rate));
    }

    printf("== ingest: submit-to-ack latency on an idle system\n");
    latency(&c, c.quick ? 20 : 100);

    catalog_destroy(&cat);
    bx_rmtree(c.tmp);
    printf("== ingest: %.0f s\n", bx_now() - t_start);
    return 0;
}
