/* bench_asof.c: issue 14's cost of an as-of province total on the
 * national-scale store.
 *
 * The national catalog of bench_scale (3,112 regions), filled through
 * store_apply with every figure of whole years (received at T0), then
 * revised: 99,000 figures at T0 + 1000 and 1,000 more at T0 + 2000. A
 * province (root) total for a flow, a stock and a ratio, for 2025 (one
 * `agg` lookup now) and 2021..2025, is timed as of T0 + 2000 (nothing to
 * undo), T0 + 1500 (1,000 revisions undone) and T0 + 500 (100,000), each
 * call being store_asof_begin (the view: the audit walk back) + the
 * total + store_asof_end, against the plain total, the view built at
 * each call (the store's kept view dropped first); then the next question
 * as of T0 + 500 with the view kept from the one before (asof.c
 * INVARIANT 5). Median of the calls made within a per-figure time budget
 * (at least 3).
 *
 * usage: bench_asof BIN_DIR CATALOG_DIR [--quick]
 *
 * INVARIANTS
 *   1. The fill stops at FILL_BUDGET_S (fewer years, said in the output),
 *      and every timing loop at its budget: the run time is bounded.
 *   2. It writes only inside its own bx_tmpdir directory, removed at the
 *      end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bx.h"
#include "common/mem.h"
#include "common/period.h"
#include "store/asof.h"
#include "store/store.h"

#define BENCH "asof"
#define FILL_BATCH 2000
#define FILL_GROUP 16
#define FILL_BUDGET_S 240.0
#define T0 1700000000LL
#define N_KINDS 3

static const char *const kind_ind[N_KINDS] = {
    "urban_new_jobs", "pension_insured", "urban_surveyed_unemployment_rate"};
static const char *const kind_name[N_KINDS] = {"flow", "stock", "ratio"};

static void fail(const char *what, const char *err)
{
    fprintf(stderr, "bench_asof: %s: %s\n", what, err);
    exit(1);
}

/* Figures [first, first + n) of bx_cell's order, received at @p at, each
 * count bumped by @p bump (a revision). */
static void apply_at(store_t *s, const catalog_t *cat, size_t first,
                     size_t n, uint64_t *seq, int64_t bump, int64_t at)
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
            u[i].seq = (*seq)++;
            u[i].value.num += u[i].value.is_ratio ? 0 : bump;
        }
        size_t nb = 0;
        for (size_t off = 0; off < take; off += FILL_BATCH, nb++) {
            memset(&b[nb], 0, sizeof b[nb]);
            b[nb].reporter = "fill";
            b[nb].home = -1;
            b[nb].received_at = at;
            b[nb].current_month = month_make(2026, 1);
            b[nb].updates = &u[off];
            b[nb].n_updates =
                take - off < FILL_BATCH ? take - off : FILL_BATCH;
        }
        if (store_apply(s, b, nb, r, err) != ERR_OK) {
            fail("store_apply", err);
        }
        for (size_t i = 0; i < nb; i++) {
            if (r[i].rejected > 0 || r[i].status != STORE_BATCH_OK) {
                fprintf(stderr, "bench_asof: figures rejected\n");
                exit(1);
            }
            store_result_fini(&r[i]);
        }
        done += take;
    }
    free(u);
}

/* Median µs of one total (as of @p at when @p asof) within @p budget_s;
 * with @p cold each as-of total builds its view (the store's kept view
 * is dropped first), else the view kept from the call before is taken
 * (a progress's 19 totals as of one moment). */
static double time_total(store_t *s, const char *ind, uint32_t root,
                         const period_t *p, int asof, int64_t at, int cold,
                         double budget_s, size_t *undone)
{
    char err[ERR_LEN];
    double v[1001];
    size_t n = 0;
    double until = bx_now() + budget_s;
    while (n < 1001 && (n < 3 || bx_now() < until)) {
        store_total_t t;
        if (cold) {
            store_asof_forget(s);
        }
        double t0 = bx_now();
        if (asof && store_asof_begin(s, at, err) != ERR_OK) {
            fail("store_asof_begin", err);
        }
        *undone = store_asof_cells(s);
        if (store_total(s, ind, root, p, &t, err) != ERR_OK) {
            fail("store_total", err);
        }
        if (asof) {
            store_asof_end(s);
        }
        v[n++] = (bx_now() - t0) * 1e6;
    }
    return bx_quantile(v, n, 0.5);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_asof BIN_DIR CATALOG_DIR [--quick]\n");
        return 64;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int quick = argc > 3 && strcmp(argv[3], "--quick") == 0;
    char tmp[256];
    bx_tmpdir(tmp, sizeof tmp, "asof");
    char catdir[512];
    char dir[512];
    snprintf(catdir, sizeof catdir, "%s/catalog", tmp);
    snprintf(dir, sizeof dir, "%s/store", tmp);
    bx_national_catalog(argv[2], catdir);
    catalog_t *cat = bx_catalog(catdir);
    char err[ERR_LEN];
    store_t *s = NULL;
    if (store_open(&s, dir, cat, NULL, err) != ERR_OK) {
        fail(dir, err);
    }
    size_t per_year = bx_cells(cat) / 5;
    double budget = quick ? 1.0 : FILL_BUDGET_S;
    double t0 = bx_now();
    double t_year = t0;
    uint64_t seq = 1;
    int years = 0;
    while (years < 5) {
        apply_at(s, cat, (size_t)years * per_year, per_year, &seq, 0, T0);
        years++;
        double last = bx_now() - t_year;
        t_year = bx_now();
        printf("    %d stored (%.0f s)\n", 2020 + years, bx_now() - t0);
        if (years < 5 && bx_now() - t0 + last * 1.2 > budget) {
            break;
        }
    }
    size_t figures = (size_t)years * per_year;
    printf("  3,112 regions: %s figures (%d year%s)%s\n",
           bx_num((double)figures), years, years == 1 ? "" : "s",
           years < 5 ? " SCALED DOWN" : "");
    /* The revisions: in the last year filled. */
    size_t base = (size_t)(years - 1) * per_year;
    size_t big = quick ? 9000 : 99000;
    apply_at(s, cat, base, big, &seq, 3, T0 + 1000);
    apply_at(s, cat, base + big, 1000, &seq, 5, T0 + 2000);
    printf("  revised: %s at T0+1000, 1,000 at T0+2000\n",
           bx_num((double)big));
    uint32_t root =
        catalog_region(cat, (size_t)catalog_region_root(cat))->code;
    const char *periods[2] = {"2025", "2021..2025"};
    const int64_t moments[3] = {T0 + 2000, T0 + 1500, T0 + 500};
    for (int k = 0; k < N_KINDS; k++) {
        for (int pi = 0; pi < 2; pi++) {
            period_t p;
            if (period_parse(periods[pi], &p, err) != ERR_OK) {
                fail(periods[pi], err);
            }
            size_t undone = 0;
            double now = time_total(s, kind_ind[k], root, &p, 0, 0, 0,
                                    0.3, &undone);
            bx_result(BENCH, bx_fmt("%s %s total now (us)", kind_name[k],
                                    periods[pi]),
                      bx_fmt("%.1f", now), "-", "-", "-", "-");
            for (int m = 0; m < 3; m++) {
                double us = time_total(s, kind_ind[k], root, &p, 1,
                                       moments[m], 1, 2.0, &undone);
                bx_result(BENCH,
                          bx_fmt("%s %s as of, %s undone (us)", kind_name[k],
                                 periods[pi], bx_num((double)undone)),
                          bx_fmt("%.1f", us), bx_fmt("%.1f now", now),
                          bx_fmt("%.1f", now > 0 ? us / now : 0), "-", "-");
            }
            /* The next question as of the same moment (a progress asks
             * 19): the view kept from the one before. */
            double warm = time_total(s, kind_ind[k], root, &p, 1,
                                     moments[2], 0, 1.0, &undone);
            bx_result(BENCH,
                      bx_fmt("%s %s as of again, %s undone, view kept (us)",
                             kind_name[k], periods[pi],
                             bx_num((double)undone)),
                      bx_fmt("%.1f", warm), bx_fmt("%.1f now", now),
                      bx_fmt("%.1f", now > 0 ? warm / now : 0), "-", "-");
        }
    }
    store_close(&s);
    catalog_destroy(&cat);
    bx_rmtree(tmp);
    return 0;
}
