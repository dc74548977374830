/* catalog.c: the catalog object: loading entry points, lookups,
 * fingerprints.
 *
 * The files' bytes are read whole (common/file) or copied from memory
 * into src[], kept for catalog_source(), and parsed by the loaders in
 * catalog_ind.c, catalog_reg.c, catalog_load.c and catalog_tgt.c (see
 * catalog_int.h for the split) in the order indicators, regions, plan,
 * targets, region changes: the indicator header gives the plan's years,
 * which the plan file does not repeat, and targets and changes name
 * indicators and regions. The targets and region-changes files are
 * optional (src NULL: none; a catalog directory without them loads as
 * before they existed).
 * Every message is "FILE:LINE: reason", LINE being the CSV line where the
 * offending row starts (the header's line for column problems).
 *
 * Surrounding ASCII spaces and tabs of every field, header names included,
 * are trimmed (hand-edited files often have "a, b"); this happens after CSV
 * unquoting, so a quoted " x " is trimmed too. Nothing inside a field is
 * touched.
 *
 * Beyond the checks listed in catalog.h, the loader also rejects: a
 * duplicate column; a column baseline_/target_ whose year is not four
 * digits in 1900..9999; a non-positive or non-integer "no"; a count with
 * numerator_zh or denominator_zh; a part_of cycle; a region code with a
 * leading zero (so code text and number map one to one); an empty region
 * name_zh; a file with no data rows.
 *
 * Strings are not copied one by one: each file is parsed in place in a
 * copy of its bytes owned by the catalog (text[]; src[] stays as read,
 * for catalog_source()), and the public structs' const pointers point
 * at the fields there; destroy frees the copies. (A strdup per field was
 * 9,000 allocations for the national catalog's 3,112 regions, over a
 * quarter of the time loading it took.)
 * Lookups by indicator code and name go through common/hmap maps, by
 * region code through the region index (catalog_reg.c), all built while
 * loading and only read afterwards, which keeps a loaded catalog safe to
 * share between threads.
 *
 * INVARIANTS
 *   1. A catalog handed out has n_ind >= 1, n_reg >= 1 and exactly one
 *      region with parent == -1, at index root.
 *   2. Following parent from any region reaches root in depth steps;
 *      depth(child) == depth(parent) + 1.
 *   3. subtree_size(r) == 1 + sum of subtree_size over r's children, so
 *      subtree_size(root) == n_reg.
 *   4. Indicator codes and name_zh are unique; region codes are unique.
 *   5. part_of is -1 or the index of another count indicator with the same
 *      over_time, and part_of links have no cycle.
 *   6. by_code, by_name and the region index (region_slot) index exactly
 *      the loaded rows; the by_short map holds -2 for a stripped name
 *      shared by several rows.
 *   7. The plan has a title_zh and a time zone of a fixed offset within
 *      14 h of UTC; it runs from the year after the baseline
 *      through the target year, and every indicator's target_basis years
 *      lie inside it.
 *   8. Every indicator has a target for the root at the target year, the
 *      same as its indicator_t.target; targets are sorted by (indicator,
 *      region, year), unique, and by_target indexes exactly them.
 *   9. Only load_all() hands a catalog out, after check_invariants().
 */
#include "common/catalog_int.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "common/hash.h"
#include "common/mem.h"

#define CATALOG_MAGIC 0x43415431u /* "CAT1" */
#define CATALOG_DEAD 0xDEADBEEFu

#ifndef NDEBUG
static void check_invariants(const catalog_t *self)
{
    assert(self != NULL);
    assert(self->magic == CATALOG_MAGIC);
    assert(self->n_ind >= 1 && self->n_reg >= 1);
    assert(self->root >= 0 && (size_t)self->root < self->n_reg);
    assert(self->reg[self->root].parent == -1);
    assert(self->reg[self->root].subtree_size == self->n_reg);
    assert(self->plan.title_zh != NULL && self->plan.title_en != NULL);
    assert(self->plan.first_year == self->plan.baseline_year + 1);
    assert(self->plan.last_year == self->plan.target_year);
    assert(self->plan.first_year <= self->plan.last_year);
    assert(self->plan.time_zone != NULL);
    assert(self->plan.tz_offset >= -14L * 3600 &&
           self->plan.tz_offset <= 14L * 3600);
    assert(hmap_count(self->by_code) == self->n_ind);
    assert(hmap_count(self->by_name) == self->n_ind);
    assert(((size_t)1 << self->region_bits) >= 2 * self->n_reg);
    assert(self->n_tgt >= self->n_ind);
    assert(hmap_count(self->by_target) == self->n_tgt);
}
#else
#define check_invariants(self) ((void)0)
#endif

int catalog_find_str(const hmap_t *m, const char *key)
{
    int64_t v = -1;
    return hmap_get_str(m, key, &v) ? (int)v : -1;
}

/* --- public API -------------------------------------------------------- */

/* The files a catalog may lack. */
static int optional_file(size_t i)
{
    return i == CATALOG_TARGETS || i == CATALOG_REGION_CHANGES;
}

/* Parse every file from c->src; on success hand the catalog to *out. */
static int load_all(catalog_t *c, catalog_t **out,
                    const char *const names[CATALOG_NFILES],
                    char err[ERR_LEN])
{
    /* The loaders parse these copies in place; src stays as read. */
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        if (c->src[i] == NULL) {
            continue; /* no targets file */
        }
        c->text[i] = xmalloc(c->src_len[i] + 1);
        if (c->src_len[i] > 0) {
            memcpy(c->text[i], c->src[i], c->src_len[i]);
        }
        c->text[i][c->src_len[i]] = '\0';
    }
    int rc = catalog_load_indicators(c, names[CATALOG_INDICATORS], err);
    if (rc == ERR_OK) {
        rc = catalog_load_regions(c, names[CATALOG_REGIONS], err);
    }
    if (rc == ERR_OK) {
        rc = catalog_load_plan(c, names[CATALOG_PLAN], err);
    }
    if (rc == ERR_OK) {
        catalog_fill_deadlines(c); /* asserts each row's range: once, here,
                                      not at every entry point */
    }
    if (rc == ERR_OK) {
        rc = catalog_load_targets(c, names[CATALOG_TARGETS],
                                  names[CATALOG_INDICATORS], err);
    }
    if (rc == ERR_OK) {
        rc = catalog_load_changes(c, names[CATALOG_REGION_CHANGES],
                                  names[CATALOG_REGIONS], err);
    }
    if (rc != ERR_OK) {
        catalog_destroy(&c);
        return rc;
    }
    free(c->part_code); /* only needed while loading */
    c->part_code = NULL;
    check_invariants(c);
    *out = c;
    return ERR_OK;
}

static catalog_t *catalog_new(void)
{
    catalog_t *c = xcalloc(1, sizeof *c);
    c->magic = CATALOG_MAGIC;
    c->root = -1;
    c->by_code = hmap_new();
    c->by_name = hmap_new();
    c->by_short = hmap_new();
    return c;
}

int catalog_load(catalog_t **out, const char *const paths[CATALOG_NFILES],
                 char err[ERR_LEN])
{
    int rc = ERR_OK;
    assert(out != NULL && paths != NULL);
    const char *names[CATALOG_NFILES];
    catalog_t *c = catalog_new();
    for (size_t i = 0; rc == ERR_OK && i < CATALOG_NFILES; i++) {
        names[i] = paths[i] != NULL ? paths[i] : catalog_file_name((enum catalog_file)i);
        if (paths[i] == NULL) {
            assert(optional_file(i));
            continue;
        }
        rc = file_read(paths[i], CSV_MAX_FILE, &c->src[i],
                       &c->src_len[i], err);
    }
    if (rc != ERR_OK) {
        catalog_destroy(&c);
        return rc;
    }
    return load_all(c, out, names, err);
}

int catalog_load_mem(catalog_t **out,
                     const catalog_bytes_t files[CATALOG_NFILES],
                     char err[ERR_LEN])
{
    const char *names[CATALOG_NFILES];
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        if (files[i].len > CSV_MAX_FILE) {
            snprintf(err, ERR_LEN, "%s: catalog larger than %zu bytes",
                     files[i].name, CSV_MAX_FILE);
            return ERR_INVAL;
        }
    }
    catalog_t *c = catalog_new();
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        names[i] = files[i].name != NULL
                       ? files[i].name
                       : catalog_file_name((enum catalog_file)i);
        if (optional_file(i) && files[i].data == NULL) {
            names[i] = catalog_file_name((enum catalog_file)i);
            continue; /* no such file */
        }
        c->src[i] = xmalloc(files[i].len ? files[i].len : 1);
        if (files[i].len > 0) {
            memcpy(c->src[i], files[i].data, files[i].len);
        }
        c->src_len[i] = files[i].len;
    }
    return load_all(c, out, names, err);
}

void catalog_source(const catalog_t *self, enum catalog_file which,
                    const char **data, size_t *len)
{
    assert((size_t)which < CATALOG_NFILES);
    *data = self->src[which];
    *len = self->src_len[which];
}

const char *catalog_file_name(enum catalog_file which)
{
    switch (which) {
    case CATALOG_INDICATORS: return "indicators.csv";
    case CATALOG_REGIONS: return "regions.csv";
    case CATALOG_PLAN: return "plan.csv";
    case CATALOG_TARGETS: return "targets.csv";
    case CATALOG_REGION_CHANGES: return "region-changes.csv";
    case CATALOG_NFILES: break;
    }
    return "?";
}

/* DIR + "/" + NAME, without doubling a trailing slash of DIR; an empty
 * DIR means the current directory. */
static char *join_path(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') {
        dl--;
    }
    if (dl == 0) {
        return xstrdup(name);
    }
    size_t size = dl + 1 + strlen(name) + 1;
    char *p = xmalloc(size);
    snprintf(p, size, "%.*s%s%s", (int)dl, dir,
             dir[dl - 1] == '/' ? "" : "/", name);
    return p;
}

int catalog_load_dir(catalog_t **out, const char *dir, char err[ERR_LEN])
{
    char *paths[CATALOG_NFILES];
    const char *cpaths[CATALOG_NFILES];

    assert(dir != NULL);
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        paths[i] = join_path(dir, catalog_file_name((enum catalog_file)i));
        cpaths[i] = paths[i];
    }
    /* A directory from before targets.csv has none; any other trouble
     * with it (permissions) is reported by the load. */
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        if (optional_file(i) && access(paths[i], F_OK) != 0 &&
            errno == ENOENT) {
            cpaths[i] = NULL;
        }
    }
    int rc = catalog_load(out, cpaths, err);
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        free(paths[i]);
    }
    return rc;
}

void catalog_destroy(catalog_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    catalog_t *c = *self_p;
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        free(c->src[i]);
        free(c->text[i]);
    }
    free(c->ind);
    free(c->tgt);
    free(c->chg);
    free(c->chg_store);
    free(c->bounded);
    hmap_destroy(&c->by_target);
    free(c->ind_line);
    free(c->part_code);
    free(c->reg);
    free(c->reg_line);
    free(c->parent_code);
    free(c->child_store);
    hmap_destroy(&c->by_code);
    hmap_destroy(&c->by_name);
    hmap_destroy(&c->by_short);
    free(c->region_slot);
    c->magic = CATALOG_DEAD;
    free(c);
    *self_p = NULL;
}

const catalog_plan_t *catalog_plan(const catalog_t *self)
{
    check_invariants(self);
    return &self->plan;
}

size_t catalog_indicator_count(const catalog_t *self)
{
    check_invariants(self);
    return self->n_ind;
}

const indicator_t *catalog_indicator(const catalog_t *self, size_t i)
{
    check_invariants(self);
    assert(i < self->n_ind);
    if (i >= self->n_ind) {
        return NULL;
    }
    return &self->ind[i];
}

int catalog_indicator_find(const catalog_t *self, const char *key)
{
    int i = -1;

    check_invariants(self);
    if (key == NULL) {
        return -1;
    }
    i = catalog_find_str(self->by_code, key);
    if (i >= 0) {
        return i;
    }
    i = catalog_find_str(self->by_name, key);
    if (i >= 0) {
        return i;
    }
    i = catalog_find_str(self->by_short, key);
    return i >= 0 ? i : -1;
}

size_t catalog_region_count(const catalog_t *self)
{
    check_invariants(self);
    return self->n_reg;
}

const region_t *catalog_region(const catalog_t *self, size_t i)
{
    check_invariants(self);
    assert(i < self->n_reg);
    if (i >= self->n_reg) {
        return NULL;
    }
    return &self->reg[i];
}

int catalog_region_find(const catalog_t *self, uint32_t code)
{
    check_invariants(self);
    return catalog_find_region(self, code);
}

int catalog_region_find_str(const catalog_t *self, const char *code_str)
{
    uint32_t code = 0;

    check_invariants(self);
    if (code_str == NULL || !catalog_parse_region_code(code_str, &code)) {
        return -1;
    }
    return catalog_find_region(self, code);
}

int catalog_region_root(const catalog_t *self)
{
    check_invariants(self);
    return self->root;
}

int catalog_region_within(const catalog_t *self, int i, int ancestor)
{
    check_invariants(self);
    if (i < 0 || ancestor < 0 || (size_t)i >= self->n_reg ||
        (size_t)ancestor >= self->n_reg) {
        return 0;
    }
    while (i >= 0 && self->reg[i].depth > self->reg[ancestor].depth) {
        i = self->reg[i].parent;
    }
    return i == ancestor;
}

size_t catalog_target_count(const catalog_t *self)
{
    check_invariants(self);
    return self->n_tgt;
}

const catalog_target_t *catalog_target(const catalog_t *self, size_t i)
{
    check_invariants(self);
    assert(i < self->n_tgt);
    return i < self->n_tgt ? &self->tgt[i] : NULL;
}

const catalog_target_t *catalog_target_find(const catalog_t *self,
                                            size_t ind, int region,
                                            int year)
{
    int32_t key[3] = {(int32_t)ind, region, year};
    int64_t i = -1;
    check_invariants(self);
    if (!hmap_get(self->by_target, key, sizeof key, &i)) {
        return NULL;
    }
    return &self->tgt[i];
}

const catalog_target_t *catalog_target_at(const catalog_t *self,
                                          size_t ind, int region, int year)
{
    const catalog_target_t *t = catalog_target_find(self, ind, region, year);
    if (t == NULL) {
        t = catalog_target_find(self, ind, region, self->plan.target_year);
    }
    return t;
}

int catalog_region_has_targets(const catalog_t *self, int region)
{
    check_invariants(self);
    for (size_t i = 0; i < self->n_tgt; i++) {
        if (self->tgt[i].region == region) {
            return 1;
        }
    }
    return 0;
}

uint64_t catalog_region_fingerprint(const catalog_t *self)
{
    check_invariants(self);
    return self->fingerprint;
}

uint64_t catalog_rules_fingerprint(const catalog_t *self)
{
    check_invariants(self);
    uint64_t h = self->fingerprint;
    for (size_t i = 0; i < self->n_ind; i++) {
        const indicator_t *ind = &self->ind[i];
        const char *parent =
            ind->part_of >= 0 ? self->ind[ind->part_of].code : "";
        char line[3 * (CATALOG_CODE_MAX + 1) + 8];
        snprintf(line, sizeof line, "%s|%d|%d|%s;", ind->code,
                 (int)ind->kind, (int)ind->over_time, parent);
        h = hash_fnv1a_str(h, line);
    }
    /* Validity changes aggregates; a catalog without any keeps the
     * fingerprint it had before validity existed. */
    for (size_t k = 0; k < self->n_bounded; k++) {
        const region_t *r = &self->reg[self->bounded[k]];
        char line[64];
        snprintf(line, sizeof line, "%s|%ld|%ld;", r->code_str,
                 (long)r->valid_from, (long)r->valid_to);
        h = hash_fnv1a_str(h, line);
    }
    return h;
}
