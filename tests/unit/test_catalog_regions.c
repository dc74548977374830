/* test_catalog_regions.c: the catalog's index of regions by code
 * (common/catalog_reg.c) on region files made for it.
 *
 * In a file of its own: test_catalog.c is past the size of one file. Each
 * test builds regions.csv in memory and loads it with the shipped
 * indicators.csv and plan.csv through catalog_load_mem(), so nothing is
 * written to disk.
 *
 * INVARIANTS
 *   1. Every catalog a test loads, and every buffer it makes, is freed in
 *      that test.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "common/file.h"
#include "common/mem.h"

#ifndef HRSS_TEST_CATALOG_DIR
#error "HRSS_TEST_CATALOG_DIR must name the shipped catalog directory"
#endif

#define HEADER "code,name_zh,name_en,level,parent_code\n"

/* Load @p regions (a regions.csv) with the shipped indicator and plan
 * files. @return the loader's code; *out and @p err as it leaves them. */
static int load_with(const char *regions, catalog_t **out,
                     char err[ERR_LEN])
{
    static const enum catalog_file shipped[] = {CATALOG_INDICATORS,
                                                CATALOG_PLAN};
    char *data[CATALOG_NFILES] = {NULL};
    catalog_bytes_t files[CATALOG_NFILES] = {{NULL, NULL, 0}};
    for (size_t i = 0; i < 2; i++) {
        enum catalog_file f = shipped[i];
        char path[512];
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", HRSS_TEST_CATALOG_DIR,
                 catalog_file_name(f));
        cr_assert_eq(file_read(path, 1 << 20, &data[f], &len, err), ERR_OK,
                     "%s", err);
        files[f].name = catalog_file_name(f);
        files[f].data = data[f];
        files[f].len = len;
    }
    files[CATALOG_REGIONS].name = "regions.csv";
    files[CATALOG_REGIONS].data = regions;
    files[CATALOG_REGIONS].len = strlen(regions);
    int rc = catalog_load_mem(out, files, err);
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        free(data[i]);
    }
    return rc;
}

/* Region codes equal modulo every table size up to 2^16 all start their
 * probe in one slot of the index: each is still found, a missing one is
 * not, and a duplicate names its first line. */
Test(catalog_regions, codes_sharing_low_bits)
{
    enum { N = 600 };
    size_t cap = 64 + (size_t)N * 48;
    char *text = xmalloc(cap);
    size_t used = (size_t)snprintf(text, cap,
                                   HEADER "100000,全国,Nation,nation,\n");
    for (uint32_t k = 1; k <= N; k++) {
        /* every other one a child of the one before: parents too are
         * found through the shared probe run */
        uint32_t parent = k % 2 == 0 ? 100000u + (k - 1) * 65536u : 100000u;
        used += (size_t)snprintf(text + used, cap - used,
                                 "%u,地区%u,,province,%u\n",
                                 100000u + k * 65536u, k, parent);
    }
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(load_with(text, &c, err), ERR_OK, "%s", err);
    cr_assert_eq(catalog_region_count(c), N + 1);
    for (uint32_t k = 0; k <= N; k++) {
        int i = catalog_region_find(c, 100000u + k * 65536u);
        cr_assert_eq(i, (int)k, "code %u", 100000u + k * 65536u);
        if (k > 0 && k % 2 == 0) {
            cr_assert_eq(catalog_region(c, (size_t)i)->parent, (int)k - 1);
        }
    }
    cr_assert_eq(catalog_region_find(c, 100000u + (N + 1) * 65536u), -1);
    catalog_destroy(&c);

    snprintf(text + used, cap - used, "%u,重复,,province,100000\n",
             100000u + 7u * 65536u);
    cr_assert_eq(load_with(text, &c, err), ERR_INVAL);
    cr_assert_null(c);
    cr_assert_str_eq(err, "regions.csv:603: duplicate region code 558752 "
                          "(first on line 9)");
    free(text);
}

/* More rows than the arrays and the index are first sized for (the line
 * count is trusted up to 131,072 rows): they grow, and every row is
 * still found. */
Test(catalog_regions, rows_beyond_the_first_reservation)
{
    enum { N = 131100 };
    size_t cap = 64 + (size_t)N * 32;
    char *text = xmalloc(cap);
    size_t used = (size_t)snprintf(text, cap,
                                   HEADER "100000,全国,Nation,nation,\n");
    for (uint32_t k = 1; k <= N; k++) {
        used += (size_t)snprintf(text + used, cap - used,
                                 "%u,r,,town,100000\n", 1000000u + k);
    }
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(load_with(text, &c, err), ERR_OK, "%s", err);
    free(text);
    cr_assert_eq(catalog_region_count(c), N + 1);
    for (uint32_t k = 1; k <= N; k++) {
        cr_assert_eq(catalog_region_find(c, 1000000u + k), (int)k);
    }
    cr_assert_eq(catalog_region(c, 0)->subtree_size, N + 1);
    catalog_destroy(&c);
}
