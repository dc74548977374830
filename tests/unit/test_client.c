/* test_client.c: hrssctl's client in --data-dir mode (issue 10): the
 * catalog is parsed once, and every question of a run is answered from
 * one snapshot of the store. Catalog loads are counted through ld's
 * --wrap (tests/CMakeLists.txt), as the LMDB shim counts LMDB calls. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin/client.h"
#include "store_fixture.h"

#define ZJ 330000u /* 浙江省 */
#define HZ_SC 330102u
#define JOBS "urban_new_jobs"

static int loads;

int __real_catalog_load_dir(catalog_t **out, const char *dir,
                            char err[ERR_LEN]);
int __real_catalog_load_mem(catalog_t **out, const catalog_bytes_t *files,
                            char err[ERR_LEN]);

int __wrap_catalog_load_dir(catalog_t **out, const char *dir,
                            char err[ERR_LEN]);
int __wrap_catalog_load_mem(catalog_t **out, const catalog_bytes_t *files,
                            char err[ERR_LEN]);

int __wrap_catalog_load_dir(catalog_t **out, const char *dir,
                            char err[ERR_LEN])
{
    loads++;
    return __real_catalog_load_dir(out, dir, err);
}

int __wrap_catalog_load_mem(catalog_t **out, const catalog_bytes_t *files,
                            char err[ERR_LEN])
{
    loads++;
    return __real_catalog_load_mem(out, files, err);
}

TestSuite(client, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

/* Was: once from the catalog directory, and again from the catalog
 * answer's bytes. */
Test(client, a_local_client_parses_the_catalog_once)
{
    char db[300];
    char err[ERR_LEN];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    store_close(&fx_store); /* one environment per file and process */
    client_t *c = NULL;
    loads = 0;
    cr_assert_eq(client_open_local(&c, db, HRSS_TEST_CATALOG_DIR, err),
                 ERR_OK, "%s", err);
    const catalog_t *cat = client_catalog(c, err);
    cr_assert_not_null(cat, "%s", err);
    cr_expect_eq(catalog_region_count(cat), 104); /* with 下城区, 江干区 */
    cr_expect_eq(client_catalog(c, err), cat);
    cr_expect_eq(loads, 1, "the catalog was parsed %d times", loads);
    client_destroy(&c);
}

/* Every question of a run, from one snapshot: what is written after
 * the client opened the store is not seen. */
Test(client, a_local_client_answers_from_one_snapshot)
{
    char db[300];
    char err[ERR_LEN];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    update_t u = fx_count(1, JOBS, HZ_SC, 202501, 100);
    store_result_t res = fx_apply("seed", &u, 1);
    store_result_fini(&res);
    store_close(&fx_store);
    client_t *c = NULL;
    cr_assert_eq(client_open_local(&c, db, HRSS_TEST_CATALOG_DIR, err),
                 ERR_OK, "%s", err);
    period_t p;
    cr_assert_eq(period_parse("2025-01", &p, err), ERR_OK);
    store_total_t t;
    cr_assert_eq(client_total(c, JOBS, ZJ, &p, &t, err), ERR_OK, "%s", err);
    cr_expect_eq(t.num, 100);

    /* Another process writes (a collector): here, a second thread's
     * environment cannot be had, so a child process writes. */
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        catalog_t *cat = NULL;
        store_t *s = NULL;
        int rc = catalog_load_dir(&cat, HRSS_TEST_CATALOG_DIR, err);
        if (rc == ERR_OK) {
            rc = store_open(&s, db, cat, NULL, err);
        }
        update_t v = fx_count(2, JOBS, HZ_SC, 202501, 999);
        store_batch_t b = {"seed", -1, 1764000000, FX_NOW_MONTH, &v, 1,
                           NULL};
        store_result_t r2;
        if (rc == ERR_OK) {
            rc = store_apply(s, &b, 1, &r2, err);
            store_result_fini(&r2);
        }
        store_close(&s);
        catalog_destroy(&cat);
        _exit(rc == ERR_OK ? 0 : 1);
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_eq(client_total(c, JOBS, ZJ, &p, &t, err), ERR_OK, "%s", err);
    cr_expect_eq(t.num, 100, "a later write was seen: %lld",
                 (long long)t.num);
    client_destroy(&c);
}
