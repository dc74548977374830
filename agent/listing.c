/* listing.c: the indicators and regions an office's file may name.
 *
 * Design
 * ------
 * A clerk asks "what do I write here?": the listing shows the code and
 * the Chinese name (a file may use either), the kind, the plan's unit,
 * and what the file's row fills. The unit matters most: the plan prints
 * counts in 万人 but a file gives whole persons, so the "in the file"
 * column says "value: whole 人" (the plan's unit less its 万) and, for a
 * ratio, the two counts that make it. Tables are admin/table's, the width
 * rule hrssctl lines up Chinese text with (a CJK character two columns),
 * never the locale's.
 *
 * INVARIANTS
 *   1. The catalog is loaded and freed inside listing_print().
 *   2. Text from the catalog is printed through table_print(), which
 *      shows no control character (admin/table INVARIANT 1).
 */
#include "agent/listing.h"

#include <stdio.h>
#include <string.h>

#include "admin/table.h"
#include "common/catalog.h"
#include "common/paths.h"

/* What a file's row gives for indicator @p ind, into @p buf. */
static void in_the_file(const indicator_t *ind, char *buf, size_t len)
{
    if (ind->kind == IND_RATIO) {
        snprintf(buf, len, "numerator: %s, denominator: %s",
                 ind->numerator_zh, ind->denominator_zh);
        return;
    }
    const char *unit = ind->unit_zh;
    if (strncmp(unit, "万", strlen("万")) == 0) {
        unit += strlen("万");
    }
    snprintf(buf, len, "value: whole %s", unit[0] != '\0' ? unit : "units");
}

static void print_indicators(const catalog_t *cat, FILE *out)
{
    static const char *const head[] = {"code", "指标 name", "kind",
                                       "单位 unit", "in the file"};
    static const enum table_align align[] = {TABLE_LEFT, TABLE_LEFT,
                                             TABLE_LEFT, TABLE_LEFT,
                                             TABLE_LEFT};
    table_t *t = table_new(5, head, align);
    for (size_t i = 0; i < catalog_indicator_count(cat); i++) {
        const indicator_t *ind = catalog_indicator(cat, i);
        char fill[512];
        in_the_file(ind, fill, sizeof fill);
        const char *row[] = {ind->code, ind->name_zh,
                             ind->kind == IND_RATIO ? "ratio" : "count",
                             ind->unit_zh, fill};
        table_add_row(t, row);
    }
    table_print(t, out);
    table_destroy(&t);
}

static void print_regions(const catalog_t *cat, int under, FILE *out)
{
    static const char *const head[] = {"code", "名称 name", "level",
                                       "上级 parent"};
    static const enum table_align align[] = {TABLE_LEFT, TABLE_LEFT,
                                             TABLE_LEFT, TABLE_LEFT};
    table_t *t = table_new(4, head, align);
    for (size_t i = 0; i < catalog_region_count(cat); i++) {
        const region_t *r = catalog_region(cat, i);
        if (under >= 0 && !catalog_region_within(cat, (int)i, under)) {
            continue;
        }
        const char *parent =
            r->parent >= 0 ? catalog_region(cat, (size_t)r->parent)->name_zh
                           : "";
        const char *row[] = {r->code_str, r->name_zh, r->level, parent};
        table_add_row(t, row);
    }
    table_print(t, out);
    table_destroy(&t);
}

int listing_print(enum listing_what what, const char *catalog_dir,
                  const char *region, FILE *out, char err[ERR_LEN])
{
    char dir[4096];
    catalog_t *cat = NULL;
    int under = -1;
    int rc = ERR_OK;

    if (catalog_dir != NULL) {
        snprintf(dir, sizeof dir, "%s", catalog_dir);
    } else {
        paths_catalog_dir(dir, sizeof dir);
    }
    rc = catalog_load_dir(&cat, dir, err);
    if (rc != ERR_OK) {
        return rc;
    }
    if (what == LISTING_REGIONS && region != NULL) {
        under = catalog_region_find_str(cat, region);
        if (under < 0) {
            snprintf(err, ERR_LEN, "'%.64s' is not a region of the catalog",
                     region);
            rc = ERR_NOTFOUND;
            goto out;
        }
    }
    if (what == LISTING_INDICATORS) {
        print_indicators(cat, out);
    } else {
        print_regions(cat, under, out);
    }
out:
    catalog_destroy(&cat);
    return rc;
}
