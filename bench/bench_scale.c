/* bench_scale.c: issue 10's scale benchmark.
 *
 * Two stores, filled in this process through the store API (store_apply,
 * 16 batches of 2,000 figures per durable transaction): the shipped
 * catalog (102 regions) and a synthetic national one (1 nation, 31
 * provinces, 330 cities, 2,750 counties: 3,112 regions), each with five
 * years (2021-01..2025-12) of monthly figures for all 19 indicators from
 * every region but the root: 115 k and 3.5 M figures. Then:
 *   1. store bytes per figure (LMDB's pages in use / figures) without
 *      history (each figure with its first audit record) and, on the
 *      102-region store, with history (every figure revised once).
 *      Target: at most 200 bytes per figure without history.
 *   2. store_total() at the root for a flow (urban_new_jobs), a stock
 *      (pension_insured) and a ratio (urban_surveyed_unemployment_rate),
 *      for a month, a year and 2021..2025, in process (median of many).
 *      Target: 2021..2025 at 3,112 regions at most 2x at 102.
 *   3. The same as `hrssctl --data-dir DIR --catalog CAT total` processes
 *      (median of runs) against `hrssctl --version`. Targets: 2021..2025
 *      at 3,112 at most 2x at 102; total at most 1.5x --version at both.
 *   4. `progress`, `completeness` and `export` as hrssctl --data-dir
 *      processes: time, peak RSS (ru_maxrss, LMDB pages included) and
 *      peak anonymous RSS (sampled). Target (export, completeness):
 *      constant memory, judged as the national store's peak anonymous
 *      RSS at most 2x the province store's (the store is 30x larger).
 *   6. `hrssctl --data-dir DIR audit verify` on both stores (issue 14:
 *      the whole audit chain recomputed, every record and fact checked
 *      against it, the aggregates recomputed): time and peak RSS,
 *      stopped at VERIFY_LIMIT_S.
 *   5. A collector on the national store: its RSS (VmRSS, the LMDB
 *      pages it mapped included, as issue 10 measured it; the anonymous
 *      part is printed beside it) before and after progress,
 *      completeness, export and total through its query socket. Target:
 *      within 10% of the level before.
 * If filling the national store would take longer than FILL_BUDGET_S,
 * fewer years are filled, and the output says so. An hrssctl command
 * that takes longer than CMD_LIMIT_S is stopped, and the output says so.
 *
 * usage: bench_scale BIN_DIR CATALOG_DIR [--quick]
 *
 * INVARIANTS
 *   1. Every process it starts is stopped (bx_stop) before it returns,
 *      and killed by the kernel if it dies first (bx.h).
 *   2. Every wait has a deadline; the amounts of work are fixed or
 *      bounded by a time budget.
 *   3. It writes only inside its own bx_tmpdir directory, removed at the
 *      end.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "bench/bx.h"
#include "common/mem.h"
#include "common/period.h"
#include "store/store.h"

#define BENCH "scale"
#define FILL_BATCH 2000
#define FILL_GROUP 16
/* The national fill's time limit, for the 15-minute suite on 2 cores. */
#define FILL_BUDGET_S 240.0
/* The longest one hrssctl command may take before it is stopped (an
 * export of the national store took 262 s here): the figure is then a
 * lower bound, and its target MISSED. */
#define CMD_LIMIT_S 45
/* `audit verify` recomputes everything: a limit of its own. */
#define VERIFY_LIMIT_S 600
#define N_KINDS 3
#define N_PERIODS 3

static const char *const kind_ind[N_KINDS] = {
    "urban_new_jobs", "pension_insured", "urban_surveyed_unemployment_rate"};
static const char *const kind_name[N_KINDS] = {"flow", "stock", "ratio"};
static const char *const period_arg[N_PERIODS] = {"2025-12", "2025",
                                                  "2021..2025"};

typedef struct scale {
    const char *tag;        /* "102" or "3112" */
    char catdir[512];
    char store[512];
    catalog_t *cat;
    size_t figures;
    int years;              /* years filled */
    double fill_rate;
    double bytes_per_fig;      /* the file: every page up to the last */
    double bytes_per_fig_hist;
    double data_per_fig;       /* the pages the tables hold (no free ones) */
    double data_per_fig_hist;
    double inproc_us[N_KINDS][N_PERIODS];
    double proc_ms[N_KINDS][N_PERIODS];
    double version_ms;
    double cmd_s[3];
    long cmd_maxrss[3];
    long cmd_anon[3];
    int cmd_stopped[3];     /* killed at CMD_LIMIT_S */
    double verify_s;        /* audit verify */
    long verify_maxrss;
    int verify_stopped;     /* killed at VERIFY_LIMIT_S */
} scale_t;

typedef struct ctx {
    const char *bin;
    const char *catalog;
    char tmp[256];
    int quick;
} ctx_t;

static void fail(const char *what, const char *err)
{
    fprintf(stderr, "bench_scale: %s: %s\n", what, err);
    exit(1);
}

/* Apply figures [first, first + n) (bx_cell order) with seqs from
 * @p seq; @p bump adds to every value (a revision). */
static void apply_range(store_t *s, const catalog_t *cat, size_t first,
                        size_t n, uint64_t seq, int64_t bump)
{
    char err[ERR_LEN];
    size_t per = FILL_BATCH * FILL_GROUP;
    update_t *u = xcalloc(per, sizeof *u);
    store_batch_t b[FILL_GROUP];
    store_result_t r[FILL_GROUP];
    for (size_t done = 0; done < n;) {
        size_t take = n - done < per ? n - done : per;
        for (size_t i = 0; i < take; i++) {
            bx_cell(cat, first + done + i, &u[i]);
            u[i].seq = seq + done + i;
            u[i].value.num += u[i].value.is_ratio ? 0 : bump;
        }
        size_t nb = 0;
        for (size_t off = 0; off < take; off += FILL_BATCH, nb++) {
            memset(&b[nb], 0, sizeof b[nb]);
            b[nb].reporter = "fill";
            b[nb].home = -1;
            b[nb].received_at = 1700000000;
            b[nb].current_month = month_make(2026, 1);
            b[nb].updates = &u[off];
            b[nb].n_updates = take - off < FILL_BATCH ? take - off
                                                      : FILL_BATCH;
        }
        if (store_apply(s, b, nb, r, err) != ERR_OK) {
            fail("store_apply", err);
        }
        for (size_t i = 0; i < nb; i++) {
            if (r[i].rejected > 0 || r[i].status != STORE_BATCH_OK) {
                fprintf(stderr, "bench_scale: %zu figures rejected (%s)\n",
                        r[i].rejected,
                        r[i].rejected ? r[i].rejections[0].message : "");
                exit(1);
            }
            store_result_fini(&r[i]);
        }
        done += take;
    }
    free(u);
}

static uint64_t used_bytes(store_t *s)
{
    store_space_t sp;
    char err[ERR_LEN];
    if (store_space(s, &sp, err) != ERR_OK) {
        fail("store_space", err);
    }
    return sp.used_bytes;
}

/* The bytes of the pages that hold the store's tables in @p dir (a
 * closed store): LMDB's free pages, which the next transactions reuse,
 * left out. Prints each table's share per figure (of @p figures) on a
 * line headed @p what. */
static double data_bytes(const char *dir, double figures, const char *what)
{
    char line[512];
    int at = snprintf(line, sizeof line, "    %s, bytes per figure by "
                                         "table:", what);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi main_db = 0;
    MDB_cursor *cur = NULL;
    MDB_val k;
    MDB_val d;
    double bytes = 0;
    if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 32) != 0 ||
        mdb_env_open(env, dir, MDB_RDONLY | MDB_NOLOCK, 0) != 0 ||
        mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0 ||
        mdb_dbi_open(txn, NULL, 0, &main_db) != 0 ||
        mdb_cursor_open(txn, main_db, &cur) != 0) {
        fail(dir, "cannot open it with LMDB to count its pages");
    }
    MDB_stat st;
    mdb_stat(txn, main_db, &st);
    bytes += (double)(st.ms_branch_pages + st.ms_leaf_pages +
                      st.ms_overflow_pages) * st.ms_psize;
    /* The main database's keys are the named databases. */
    for (int rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
        char name[64];
        MDB_dbi dbi;
        if (k.mv_size >= sizeof name) {
            continue;
        }
        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = '\0';
        if (mdb_dbi_open(txn, name, 0, &dbi) == 0 &&
            mdb_stat(txn, dbi, &st) == 0) {
            double b = (double)(st.ms_branch_pages + st.ms_leaf_pages +
                                st.ms_overflow_pages) * st.ms_psize;
            bytes += b;
            if (b > 0 && at > 0 && (size_t)at < sizeof line) {
                at += snprintf(line + at, sizeof line - (size_t)at,
                               " %s %.0f", name, b / figures);
            }
        }
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    printf("%s\n", line);
    return bytes;
}

/* Fill @p sc's store: whole years while the projection stays within
 * @p budget_s. */
static void fill(scale_t *sc, double budget_s, int max_years)
{
    char err[ERR_LEN];
    store_t *s = NULL;
    if (store_open(&s, sc->store, sc->cat, NULL, err) != ERR_OK) {
        fail(sc->store, err);
    }
    size_t per_month = bx_cells(sc->cat) / 60;
    size_t per_year = per_month * 12;
    double t0 = bx_now();
    double t_year = t0;
    sc->years = 0;
    while (sc->years < max_years) {
        apply_range(s, sc->cat, (size_t)sc->years * per_year, per_year,
                    1 + (uint64_t)sc->years * per_year, 0);
        sc->years++;
        /* Each year takes longer than the one before (the store grows):
         * project with the last year's time. */
        double last = bx_now() - t_year;
        t_year = bx_now();
        printf("    %s regions: %d stored (%.0f s)\n", sc->tag,
               2020 + sc->years, bx_now() - t0);
        if (sc->years < max_years &&
            bx_now() - t0 + last * 1.2 > budget_s) {
            break;
        }
    }
    double took = bx_now() - t0;
    sc->figures = (size_t)sc->years * per_year;
    sc->fill_rate = (double)sc->figures / took;
    sc->bytes_per_fig = (double)used_bytes(s) / (double)sc->figures;
    printf("  %s regions: %s figures (%d year%s) stored in %.1f s, %s "
           "figures/s in process\n",
           sc->tag, bx_num((double)sc->figures), sc->years,
           sc->years == 1 ? "" : "s", took, bx_num(sc->fill_rate));
    if (sc->years < 5) {
        printf("  SCALED DOWN: %d of 5 years (the fill would take more than "
               "%.0f s)\n",
               sc->years, budget_s);
    }
    store_close(&s);
    char what[64];
    snprintf(what, sizeof what, "%s regions, first audit only", sc->tag);
    sc->data_per_fig = data_bytes(sc->store, (double)sc->figures, what) /
                       (double)sc->figures;
}

/* Bytes per figure once every figure was revised once, in a copy of the
 * store made for it (the queries use the store without history). */
static void with_history(ctx_t *c, scale_t *sc)
{
    char dir[600];
    char err[ERR_LEN];
    snprintf(dir, sizeof dir, "%s/hist-%s", c->tmp, sc->tag);
    store_t *s = NULL;
    if (store_open(&s, dir, sc->cat, NULL, err) != ERR_OK) {
        fail(dir, err);
    }
    apply_range(s, sc->cat, 0, sc->figures, 1, 0);
    apply_range(s, sc->cat, 0, sc->figures, 1 + sc->figures, 7);
    sc->bytes_per_fig_hist = (double)used_bytes(s) / (double)sc->figures;
    store_close(&s);
    char what[64];
    snprintf(what, sizeof what, "%s regions, revised once", sc->tag);
    sc->data_per_fig_hist = data_bytes(dir, (double)sc->figures, what) /
                            (double)sc->figures;
    bx_rmtree(dir);
}

static void inproc_queries(scale_t *sc)
{
    char err[ERR_LEN];
    store_t *s = NULL;
    store_opts_t o;
    memset(&o, 0, sizeof o);
    o.readonly = 1;
    if (store_open(&s, sc->store, sc->cat, &o, err) != ERR_OK) {
        fail(sc->store, err);
    }
    uint32_t root = catalog_region(sc->cat,
                                   (size_t)catalog_region_root(sc->cat))->code;
    for (int k = 0; k < N_KINDS; k++) {
        for (int p = 0; p < N_PERIODS; p++) {
            period_t per;
            if (period_parse(period_arg[p], &per, err) != ERR_OK) {
                fail(period_arg[p], err);
            }
            double v[401];
            size_t n = 0;
            double until = bx_now() + 0.3;
            while (n < 401 && (n < 5 || bx_now() < until)) {
                store_total_t t;
                double t0 = bx_now();
                if (store_total(s, kind_ind[k], root, &per, &t, err) !=
                    ERR_OK) {
                    fail("store_total", err);
                }
                v[n++] = (bx_now() - t0) * 1e6;
            }
            sc->inproc_us[k][p] = bx_quantile(v, n, 0.5);
        }
    }
    store_close(&s);
}

static double median_run(ctx_t *c, const char *const argv[], int runs)
{
    double v[32];
    for (int i = 0; i < runs; i++) {
        double secs = 0;
        int st = bx_run(c->bin, argv, NULL, NULL, 60000, NULL, &secs);
        if (st != 0) {
            fprintf(stderr, "bench_scale: %s %s ... exit %d\n", argv[0],
                    argv[1], st);
            exit(1);
        }
        v[i] = secs * 1000;
    }
    return bx_quantile(v, (size_t)runs, 0.5);
}

static void process_queries(ctx_t *c, scale_t *sc)
{
    int runs = c->quick ? 3 : 9;
    const char *ver[] = {"hrssctl", "--version", NULL};
    sc->version_ms = median_run(c, ver, runs + 6);
    for (int k = 0; k < N_KINDS; k++) {
        for (int p = 0; p < N_PERIODS; p++) {
            const char *argv[] = {"hrssctl", "--data-dir", sc->store,
                                  "--catalog", sc->catdir, "total",
                                  kind_ind[k], "--period", period_arg[p],
                                  NULL};
            sc->proc_ms[k][p] = median_run(c, argv, runs);
        }
    }
}

static const char *const cmd_name[3] = {"progress", "completeness", "export"};

static void commands(ctx_t *c, scale_t *sc)
{
    char log[600];
    snprintf(log, sizeof log, "%s/hrssctl-%s.log", c->tmp, sc->tag);
    for (int i = 0; i < 3; i++) {
        const char *argv[12];
        int n = 0;
        argv[n++] = "hrssctl";
        argv[n++] = "--data-dir";
        argv[n++] = sc->store;
        argv[n++] = "--catalog";
        argv[n++] = sc->catdir;
        argv[n++] = cmd_name[i];
        if (i == 0) {
            argv[n++] = "--period";
            argv[n++] = "2025";
        } else if (i == 1) {
            argv[n++] = "--period";
            argv[n++] = "2025-12";
        } else {
            argv[n++] = "--format";
            argv[n++] = "csv";
        }
        argv[n] = NULL;
        struct rusage ru;
        double secs = 0;
        long anon = 0;
        int st = bx_run_sampled(c->bin, argv, NULL, log, CMD_LIMIT_S * 1000,
                                &ru, &secs, &anon);
        sc->cmd_stopped[i] = st == 128 + SIGKILL;
        if (st != 0 && !sc->cmd_stopped[i]) {
            fprintf(stderr, "bench_scale: hrssctl %s: exit %d (see %s)\n",
                    cmd_name[i], st, log);
            exit(1);
        }
        sc->cmd_s[i] = secs;
        sc->cmd_maxrss[i] = ru.ru_maxrss;
        sc->cmd_anon[i] = anon;
    }
}

/* `hrssctl --data-dir STORE audit verify` (step 6). */
static void audit_verify(ctx_t *c, scale_t *sc)
{
    char log[600];
    snprintf(log, sizeof log, "%s/verify-%s.log", c->tmp, sc->tag);
    const char *argv[] = {"hrssctl", "--data-dir", sc->store, "--catalog",
                          sc->catdir, "audit", "verify", NULL};
    struct rusage ru;
    double secs = 0;
    long anon = 0; /* ru_maxrss: the child's own VmHWM (bx.h) */
    int st = bx_run_sampled(c->bin, argv, NULL, log, VERIFY_LIMIT_S * 1000,
                            &ru, &secs, &anon);
    sc->verify_stopped = st == 128 + SIGKILL;
    if (st != 0 && !sc->verify_stopped) {
        fprintf(stderr, "bench_scale: hrssctl audit verify: exit %d (see "
                        "%s)\n", st, log);
        exit(1);
    }
    sc->verify_s = secs;
    sc->verify_maxrss = ru.ru_maxrss;
    printf("    audit verify %4s regions: %7.2f s, peak RSS %5ld MiB%s\n",
           sc->tag, secs, ru.ru_maxrss / 1024,
           sc->verify_stopped ? bx_fmt(": STOPPED after %d s",
                                       VERIFY_LIMIT_S)
                              : "");
    bx_result(BENCH, bx_fmt("audit verify, %s regions (s)", sc->tag),
              sc->verify_stopped ? bx_fmt("> %d (stopped)", VERIFY_LIMIT_S)
                                 : bx_fmt("%.2f", secs),
              "-", "-", "-", "-");
    bx_result(BENCH, bx_fmt("audit verify, %s regions, peak RSS (MiB)",
                            sc->tag),
              bx_fmt("%ld", ru.ru_maxrss / 1024), "-", "-", "-", "-");
}

/* The collector's anonymous RSS around queries through its socket. */
static void collector_rss(ctx_t *c, scale_t *sc)
{
    char log[600];
    char qlog[600];
    snprintf(log, sizeof log, "%s/collector-%s.log", c->tmp, sc->tag);
    snprintf(qlog, sizeof qlog, "%s/query-%s.log", c->tmp, sc->tag);
    bx_coll_t coll;
    if (bx_collector_start(&coll, c->bin, sc->catdir, sc->store, log) != 0) {
        exit(1);
    }
    usleep(500000);
    long before = bx_proc_kib(coll.pid, "VmRSS");
    long before_anon = bx_proc_kib(coll.pid, "RssAnon");
    long worst = before;
    const char *worst_cmd = "-";
    printf("  collector on the %s-region store: before any query VmRSS "
           "%.1f MiB (anonymous %.1f MiB)\n",
           sc->tag, (double)before / 1024.0, (double)before_anon / 1024.0);
    for (int i = 0; i < 4; i++) {
        const char *argv[14];
        int n = 0;
        argv[n++] = "hrssctl";
        argv[n++] = "--connect";
        argv[n++] = coll.query;
        argv[n++] = "--insecure";
        argv[n++] = "--timeout";
        argv[n++] = "120";
        if (i == 3) {
            argv[n++] = "total";
            argv[n++] = kind_ind[0];
            argv[n++] = "--period";
            argv[n++] = "2021..2025";
        } else {
            argv[n++] = cmd_name[i];
            if (i == 0) {
                argv[n++] = "--period";
                argv[n++] = "2025";
            } else if (i == 1) {
                argv[n++] = "--period";
                argv[n++] = "2025-12";
            } else {
                argv[n++] = "--format";
                argv[n++] = "csv";
            }
        }
        argv[n] = NULL;
        double secs = 0;
        int st = bx_run(c->bin, argv, NULL, qlog, CMD_LIMIT_S * 1000, NULL,
                        &secs);
        usleep(300000);
        long after = bx_proc_kib(coll.pid, "VmRSS");
        long after_anon = bx_proc_kib(coll.pid, "RssAnon");
        printf("    after %-12s (%s, %.2f s): VmRSS %.1f MiB (anonymous "
               "%.1f MiB)\n",
               i == 3 ? "total" : cmd_name[i],
               st == 0         ? "ok"
               : st == 128 + SIGKILL ? bx_fmt("STOPPED after %d s", CMD_LIMIT_S)
                               : bx_fmt("exit %d", st),
               secs, (double)after / 1024.0,
               (double)after_anon / 1024.0);
        if (after > worst) {
            worst = after;
        }
        if (worst_cmd[0] == '-' && (double)after > 1.10 * (double)before) {
            worst_cmd = i == 3 ? "total" : cmd_name[i];
        }
    }
    bx_stop(coll.pid, 30000);
    double ratio = (double)worst / (double)before;
    bx_result(BENCH,
              bx_fmt("collector VmRSS after queries, %s (MiB)", sc->tag),
              worst_cmd[0] == '-'
                  ? bx_fmt("%.1f", (double)worst / 1024.0)
                  : bx_fmt("%.1f (over from %s)", (double)worst / 1024.0,
                           worst_cmd),
              bx_fmt("%.1f before", (double)before / 1024.0),
              bx_fmt("%.2f", ratio),
              "<= 1.10", ratio <= 1.10 ? "MET" : "MISSED");
}

static void report(scale_t *p, scale_t *n)
{
    printf("== scale: store bytes per figure: the tables' pages (judged), "
           "and the file (with LMDB's free pages, which later writes "
           "reuse)\n");
    for (int i = 0; i < 2; i++) {
        scale_t *sc = i == 0 ? p : n;
        bx_result(BENCH,
                  bx_fmt("store bytes/figure, %s regions, first audit only",
                         sc->tag),
                  bx_fmt("%.0f", sc->data_per_fig), "-", "-", "<= 200",
                  sc->data_per_fig <= 200 ? "MET" : "MISSED");
        bx_result(BENCH,
                  bx_fmt("file bytes/figure, %s regions, first audit only",
                         sc->tag),
                  bx_fmt("%.0f", sc->bytes_per_fig), "-", "-", "-", "-");
    }
    bx_result(BENCH,
              bx_fmt("store bytes/figure, %s regions, revised once", p->tag),
              bx_fmt("%.0f", p->data_per_fig_hist), "-", "-", "-", "-");
    bx_result(BENCH,
              bx_fmt("file bytes/figure, %s regions, revised once", p->tag),
              bx_fmt("%.0f", p->bytes_per_fig_hist), "-", "-", "-", "-");

    printf("== scale: root totals in process (store_total, median us)\n");
    for (int k = 0; k < N_KINDS; k++) {
        for (int pi = 0; pi < N_PERIODS; pi++) {
            double r = n->inproc_us[k][pi] / p->inproc_us[k][pi];
            const char *fig = bx_fmt("in process %s %s, 3112 regions (us)",
                                     kind_name[k], period_arg[pi]);
            if (pi == 2) {
                bx_result(BENCH, fig, bx_fmt("%.1f", n->inproc_us[k][pi]),
                          bx_fmt("%.1f at 102", p->inproc_us[k][pi]),
                          bx_fmt("%.2f", r), "<= 2", r <= 2 ? "MET" : "MISSED");
            } else {
                bx_result(BENCH, fig, bx_fmt("%.1f", n->inproc_us[k][pi]),
                          bx_fmt("%.1f at 102", p->inproc_us[k][pi]),
                          bx_fmt("%.2f", r), "-", "-");
            }
        }
    }

    printf("== scale: root totals as `hrssctl --data-dir` processes "
           "(median ms)\n");
    for (int i = 0; i < 2; i++) {
        scale_t *sc = i == 0 ? p : n;
        bx_result(BENCH, bx_fmt("hrssctl --version, %s (ms)", sc->tag),
                  bx_fmt("%.1f", sc->version_ms), "-", "-", "-", "-");
    }
    for (int k = 0; k < N_KINDS; k++) {
        for (int pi = 0; pi < N_PERIODS; pi++) {
            for (int i = 0; i < 2; i++) {
                scale_t *sc = i == 0 ? p : n;
                double r = sc->proc_ms[k][pi] / sc->version_ms;
                const char *fig =
                    bx_fmt("hrssctl total %s %s, %s (ms)", kind_name[k],
                           period_arg[pi], sc->tag);
                int judged = pi == 2;
                bx_result(BENCH, fig, bx_fmt("%.1f", sc->proc_ms[k][pi]),
                          bx_fmt("%.1f --version", sc->version_ms),
                          bx_fmt("%.2f", r), judged ? "<= 1.5" : "-",
                          judged ? (r <= 1.5 ? "MET" : "MISSED") : "-");
            }
            if (pi == 2) {
                double r = n->proc_ms[k][pi] / p->proc_ms[k][pi];
                bx_result(BENCH,
                          bx_fmt("hrssctl total %s %s, 3112 vs 102",
                                 kind_name[k], period_arg[pi]),
                          bx_fmt("%.1f ms", n->proc_ms[k][pi]),
                          bx_fmt("%.1f ms at 102", p->proc_ms[k][pi]),
                          bx_fmt("%.2f", r), "<= 2",
                          r <= 2 ? "MET" : "MISSED");
            }
        }
    }

    printf("== scale: progress, completeness, export (hrssctl --data-dir)\n");
    for (int i = 0; i < 3; i++) {
        const char *ge = n->cmd_stopped[i] ? ">= " : "";
        for (int j = 0; j < 2; j++) {
            scale_t *sc = j == 0 ? p : n;
            printf("    %-12s %4s regions: %7.2f s, peak RSS %5ld MiB "
                   "(anonymous %5ld MiB)%s\n",
                   cmd_name[i], sc->tag, sc->cmd_s[i],
                   sc->cmd_maxrss[i] / 1024, sc->cmd_anon[i] / 1024,
                   sc->cmd_stopped[i] ? bx_fmt(": STOPPED after %d s, not "
                                               "finished",
                                               CMD_LIMIT_S)
                                      : "");
        }
        bx_result(BENCH, bx_fmt("%s, 3112 regions (s)", cmd_name[i]),
                  n->cmd_stopped[i] ? bx_fmt("> %d (stopped)", CMD_LIMIT_S)
                                    : bx_fmt("%.2f", n->cmd_s[i]),
                  bx_fmt("%.2f at 102", p->cmd_s[i]),
                  bx_fmt("%s%.1f", ge, n->cmd_s[i] / p->cmd_s[i]), "-",
                  "-");
        bx_result(BENCH, bx_fmt("%s, 3112 regions, peak RSS (MiB)",
                                cmd_name[i]),
                  bx_fmt("%s%ld", ge, n->cmd_maxrss[i] / 1024),
                  bx_fmt("%ld at 102", p->cmd_maxrss[i] / 1024),
                  bx_fmt("%s%.1f", ge,
                         (double)n->cmd_maxrss[i] /
                             (double)p->cmd_maxrss[i]),
                  "-", "-");
        double r = (double)n->cmd_anon[i] / (double)p->cmd_anon[i];
        int judged = i > 0;
        bx_result(BENCH, bx_fmt("%s, 3112 regions, peak anon RSS (MiB)",
                                cmd_name[i]),
                  bx_fmt("%s%ld", ge, n->cmd_anon[i] / 1024),
                  bx_fmt("%ld at 102", p->cmd_anon[i] / 1024),
                  bx_fmt("%s%.1f", ge, r), judged ? "<= 2 (constant)" : "-",
                  judged ? (r <= 2 && !n->cmd_stopped[i] ? "MET" : "MISSED")
                         : "-");
    }
}

static void setup(ctx_t *c, scale_t *sc, const char *tag, int national)
{
    memset(sc, 0, sizeof *sc);
    sc->tag = tag;
    snprintf(sc->catdir, sizeof sc->catdir, "%s/catalog-%s", c->tmp, tag);
    snprintf(sc->store, sizeof sc->store, "%s/store-%s", c->tmp, tag);
    if (national) {
        bx_national_catalog(c->catalog, sc->catdir);
    } else {
        bx_copy_catalog(c->catalog, sc->catdir);
    }
    sc->cat = bx_catalog(sc->catdir);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_scale BIN_DIR CATALOG_DIR [--quick]\n");
        return 64;
    }
    /* Line by line into a pipe too: progress shows as it happens. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    ctx_t c;
    memset(&c, 0, sizeof c);
    c.bin = argv[1];
    c.catalog = argv[2];
    c.quick = argc > 3 && strcmp(argv[3], "--quick") == 0;
    bx_tmpdir(c.tmp, sizeof c.tmp, "scale");
    double t_start = bx_now();
    scale_t p;
    scale_t n;
    setup(&c, &p, "102", 0);
    setup(&c, &n, "3112", 1);

    printf("== scale: filling the stores in process (store_apply, %d "
           "batches of %d per commit)\n",
           FILL_GROUP, FILL_BATCH);
    fill(&p, 1e9, 5);
    fill(&n, c.quick ? 1.0 : FILL_BUDGET_S, 5);
    with_history(&c, &p);

    printf("== scale: querying\n");
    inproc_queries(&p);
    inproc_queries(&n);
    process_queries(&c, &p);
    process_queries(&c, &n);
    commands(&c, &p);
    commands(&c, &n);
    report(&p, &n);

    printf("== scale: audit verify (hrssctl --data-dir, the whole chain)\n");
    audit_verify(&c, &p);
    audit_verify(&c, &n);

    printf("== scale: the collector's memory around queries\n");
    collector_rss(&c, &n);

    catalog_destroy(&p.cat);
    catalog_destroy(&n.cat);
    if (getenv("BENCH_KEEP") != NULL) {
        printf("== scale: kept the stores and catalogs in %s\n", c.tmp);
    } else {
        bx_rmtree(c.tmp);
    }
    printf("== scale: %.0f s\n", bx_now() - t_start);
    return 0;
}
