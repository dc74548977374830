/* fuzz_catalog.c: libFuzzer target for the catalog loader: the input's
 * first byte chooses which of the four files it replaces (its value
 * modulo 4: indicators, regions, plan, targets; the seeds use '0', '1',
 * '2', '3'), the rest is that file's bytes; the others are the shipped
 * files.
 * catalog_load_mem() loads them as a collector's catalog would be.
 *
 * INVARIANTS (checked on every catalog that loads; a break aborts, and
 * libFuzzer keeps the input): catalog.h invariants 1 to 5, and
 *   6. every indicator and region is found again by its code (and a
 *      region by its code text), and fingerprints are computed.
 *   7. catalog.h invariant 6: every indicator has its root target at the
 *      target year, equal to its target; targets are unique, sorted, in
 *      the plan's years, and found again by their key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *shipped[CATALOG_NFILES];
static size_t shipped_len[CATALOG_NFILES];

static void check_regions(const catalog_t *c)
{
    size_t n = catalog_region_count(c);
    int root = catalog_region_root(c);
    size_t roots = 0;
    if (n == 0 || root < 0 || (size_t)root >= n) {
        fuzz_fail("%zu regions, root %d", n, root);
    }
    for (size_t i = 0; i < n; i++) {
        const region_t *r = catalog_region(c, i);
        size_t sub = 1;
        if (r->parent < 0) {
            roots++;
            if (r->depth != 0 || (int)i != root) {
                fuzz_fail("region %zu: a second root", i);
            }
        } else if ((size_t)r->parent >= n ||
                   catalog_region(c, (size_t)r->parent)->depth + 1 !=
                       r->depth) {
            fuzz_fail("region %zu: parent %d, depth %d", i, r->parent,
                      r->depth);
        }
        for (size_t k = 0; k < r->n_children; k++) {
            int ch = r->children[k];
            if (ch < 0 || (size_t)ch >= n ||
                catalog_region(c, (size_t)ch)->parent != (int)i) {
                fuzz_fail("region %zu: child %d", i, ch);
            }
            sub += catalog_region(c, (size_t)ch)->subtree_size;
        }
        if (sub != r->subtree_size) {
            fuzz_fail("region %zu: subtree %zu, children give %zu", i,
                      r->subtree_size, sub);
        }
        if (catalog_region_find(c, r->code) != (int)i ||
            catalog_region_find_str(c, r->code_str) != (int)i) {
            fuzz_fail("region %zu (%s) not found by its code", i,
                      r->code_str);
        }
        if (!catalog_region_within(c, (int)i, root)) {
            fuzz_fail("region %zu not within the root", i);
        }
    }
    if (roots != 1 || catalog_region(c, (size_t)root)->subtree_size != n) {
        fuzz_fail("%zu roots; the root's subtree is not every region",
                  roots);
    }
}

static void check_indicators(const catalog_t *c)
{
    size_t n = catalog_indicator_count(c);
    const catalog_plan_t *plan = catalog_plan(c);
    if (n == 0) {
        fuzz_fail("no indicators");
    }
    if (plan->title_zh == NULL || plan->title_zh[0] == '\0' ||
        plan->title_en == NULL || plan->first_year != plan->baseline_year + 1 ||
        plan->first_year > plan->last_year ||
        plan->last_year != plan->target_year) {
        fuzz_fail("plan years %d..%d (baseline %d, target %d)",
                  plan->first_year, plan->last_year, plan->baseline_year,
                  plan->target_year);
    }
    for (size_t i = 0; i < n; i++) {
        const indicator_t *ind = catalog_indicator(c, i);
        size_t len = strlen(ind->code);
        if (len == 0 || len > CATALOG_CODE_MAX ||
            strspn(ind->code, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
                len) {
            fuzz_fail("indicator %zu: code '%s'", i, ind->code);
        }
        if (catalog_indicator_find(c, ind->code) != (int)i ||
            catalog_indicator_find(c, ind->name_zh) != (int)i) {
            fuzz_fail("indicator %zu (%s) not found by code and name", i,
                      ind->code);
        }
        if (ind->basis_from < plan->first_year ||
            ind->basis_to > plan->last_year ||
            ind->basis_from > ind->basis_to) {
            fuzz_fail("indicator %zu: basis %d..%d outside the plan", i,
                      ind->basis_from, ind->basis_to);
        }
        if ((ind->kind == IND_RATIO) !=
            (ind->numerator_zh[0] != '\0' && ind->denominator_zh[0] != '\0')) {
            fuzz_fail("indicator %zu: ratio parts do not match its kind",
                      i);
        }
        /* part_of: a count with the same over_time, and no cycle. */
        size_t hops = 0;
        for (int p = ind->part_of; p >= 0;) {
            if ((size_t)p >= n || (size_t)p == i || ++hops > n) {
                fuzz_fail("indicator %zu: bad part_of chain at %d", i, p);
            }
            const indicator_t *parent = catalog_indicator(c, (size_t)p);
            if (parent->kind != IND_COUNT ||
                parent->over_time != ind->over_time) {
                fuzz_fail("indicator %zu: part_of %d is not a count with "
                          "its over_time", i, p);
            }
            p = parent->part_of;
        }
    }
}

static void check_targets(const catalog_t *c)
{
    const catalog_plan_t *plan = catalog_plan(c);
    int root = catalog_region_root(c);
    size_t n = catalog_target_count(c);
    for (size_t i = 0; i < catalog_indicator_count(c); i++) {
        const catalog_target_t *t =
            catalog_target_find(c, i, root, plan->target_year);
        if (t == NULL || t->target != catalog_indicator(c, i)->target ||
            !catalog_indicator(c, i)->has_target) {
            fuzz_fail("indicator %zu: no root target equal to its own", i);
        }
    }
    for (size_t k = 0; k < n; k++) {
        const catalog_target_t *t = catalog_target(c, k);
        if (t->indicator < 0 ||
            (size_t)t->indicator >= catalog_indicator_count(c) ||
            t->region < 0 || (size_t)t->region >= catalog_region_count(c) ||
            t->year < plan->first_year || t->year > plan->last_year) {
            fuzz_fail("target %zu: indicator %d, region %d, year %d", k,
                      t->indicator, t->region, t->year);
        }
        if (catalog_target_find(c, (size_t)t->indicator, t->region,
                                t->year) != t) {
            fuzz_fail("target %zu is not found by its key", k);
        }
        if (k > 0) {
            const catalog_target_t *p = catalog_target(c, k - 1);
            if (!(p->indicator < t->indicator ||
                  (p->indicator == t->indicator &&
                   (p->region < t->region ||
                    (p->region == t->region && p->year < t->year))))) {
                fuzz_fail("targets %zu and %zu out of order", k - 1, k);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    catalog_bytes_t files[CATALOG_NFILES];
    catalog_t *c = NULL;
    char err[ERR_LEN] = "";
    if (shipped[0] == NULL) {
        for (size_t i = 0; i < CATALOG_NFILES; i++) {
            fuzz_catalog_file((enum catalog_file)i, &shipped[i],
                              &shipped_len[i]);
        }
    }
    if (size == 0) {
        return 0;
    }
    size_t which = data[0] % CATALOG_NFILES;
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        files[i].name = catalog_file_name((enum catalog_file)i);
        files[i].data = shipped[i];
        files[i].len = shipped_len[i];
    }
    /* The fuzzed file in a block of its own size, so that ASan sees any
     * read past its end. */
    char *mine = malloc(size - 1 ? size - 1 : 1);
    if (mine == NULL) {
        abort();
    }
    memcpy(mine, data + 1, size - 1);
    /* One branch per file: libFuzzer keeps an input only for coverage of
     * its own, and the three seeds would otherwise cover the same code
     * and two of them be dropped. */
    switch (which) {
    case CATALOG_INDICATORS:
        files[CATALOG_INDICATORS].data = mine;
        files[CATALOG_INDICATORS].len = size - 1;
        break;
    case CATALOG_REGIONS:
        files[CATALOG_REGIONS].data = mine;
        files[CATALOG_REGIONS].len = size - 1;
        break;
    case CATALOG_PLAN:
        files[CATALOG_PLAN].data = mine;
        files[CATALOG_PLAN].len = size - 1;
        break;
    default:
        files[CATALOG_TARGETS].data = mine;
        files[CATALOG_TARGETS].len = size - 1;
        break;
    }
    if (catalog_load_mem(&c, files, err) == ERR_OK) {
        check_regions(c);
        check_indicators(c);
        check_targets(c);
        (void)catalog_rules_fingerprint(c);
        catalog_destroy(&c);
    } else if (c != NULL || err[0] == '\0') {
        fuzz_fail("a failed load without a reason, or with a catalog");
    }
    free(mine);
    return 0;
}
