/* bench_store.c: what group commit buys at the store.
 *
 * Applies the same updates to a fresh store twice: one write transaction
 * (two fsyncs) per batch, as a collector without group commit would, and
 * GROUP batches per transaction, as hrss-collector does when batches wait
 * in its socket. Prints updates per second for each. Bounded: a fixed
 * number of updates, a temporary directory removed at the end.
 *
 * usage: bench_store [CATALOG_DIR] [UPDATES] [BATCH] [GROUP]
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/catalog.h"
#include "common/mem.h"
#include "common/paths.h"
#include "common/period.h"
#include "store/store.h"

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Apply @p n updates in batches of @p batch, @p group batches per call.
 * @return seconds taken, or -1 on error. */
static double run(const catalog_t *cat, const char *dir, size_t n,
                  size_t batch, size_t group)
{
    char err[ERR_LEN];
    store_t *s = NULL;
    if (store_open(&s, dir, cat, NULL, err) != ERR_OK) {
        fprintf(stderr, "bench_store: %s\n", err);
        return -1;
    }
    size_t nreg = catalog_region_count(cat);
    size_t nb = (n + batch - 1) / batch;
    update_t *u = xcalloc(n, sizeof *u);
    store_batch_t *b = xcalloc(nb, sizeof *b);
    store_result_t *r = xcalloc(group, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        const region_t *reg = catalog_region(cat, 1 + i % (nreg - 1));
        size_t m = (i / nreg) % 60;
        u[i].seq = i + 1;
        u[i].indicator = "urban_new_jobs";
        u[i].region = reg->code;
        u[i].yyyymm = month_to_yyyymm(month_make(2021, 1) + (int32_t)m);
        u[i].value.num = (int64_t)(i % 1000);
    }
    for (size_t k = 0; k < nb; k++) {
        b[k].reporter = "bench";
        b[k].home = -1;
        b[k].received_at = 1;
        b[k].current_month = 2026 * 12;
        b[k].updates = &u[k * batch];
        b[k].n_updates = k + 1 < nb ? batch : n - k * batch;
    }
    double t0 = now_s();
    double took = -1;
    size_t k = 0;
    while (k < nb) {
        size_t g = nb - k < group ? nb - k : group;
        if (store_apply(s, &b[k], g, r, err) != ERR_OK) {
            fprintf(stderr, "bench_store: %s\n", err);
            goto out;
        }
        for (size_t i = 0; i < g; i++) {
            store_result_fini(&r[i]);
        }
        k += g;
    }
    took = now_s() - t0;
out:
    free(u);
    free(b);
    free(r);
    store_close(&s);
    return took;
}

int main(int argc, char **argv)
{
    char catdir[4096];
    char err[ERR_LEN];
    if (argc > 1) {
        snprintf(catdir, sizeof catdir, "%s", argv[1]);
    } else {
        paths_catalog_dir(catdir, sizeof catdir);
    }
    size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
    size_t batch = argc > 3 ? strtoul(argv[3], NULL, 10) : 100;
    size_t group = argc > 4 ? strtoul(argv[4], NULL, 10) : 32;
    if (n == 0 || batch == 0 || group == 0 || n > 10000000) {
        fprintf(stderr, "usage: bench_store [CATALOG_DIR] [UPDATES] [BATCH] "
                        "[GROUP]\n");
        return 64;
    }
    catalog_t *cat = NULL;
    if (catalog_load_dir(&cat, catdir, err) != ERR_OK) {
        fprintf(stderr, "bench_store: %s\n", err);
        return 1;
    }
    char dir[] = "/tmp/hrss-bench-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    char d1[64];
    char d2[64];
    snprintf(d1, sizeof d1, "%s/one", dir);
    snprintf(d2, sizeof d2, "%s/group", dir);
    double t1 = run(cat, d1, n, batch, 1);
    double t2 = run(cat, d2, n, batch, group);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    catalog_destroy(&cat);
    if (t1 < 0 || t2 < 0) {
        return 1;
    }
    printf("%zu updates in batches of %zu, durable commits (fsync)\n", n,
           batch);
    printf("  one transaction per batch:      %9.0f updates/s\n",
           (double)n / t1);
    printf("  %3zu batches per transaction:    %9.0f updates/s (x%.1f)\n",
           group, (double)n / t2, t1 / t2);
    return 0;
}
