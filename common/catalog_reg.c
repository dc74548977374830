/* catalog_reg.c: regions.csv, the region tree, into the catalog.
 *
 * Rows are checked as they are read (code, name_zh, level, parent_code,
 * duplicates, a second root), so the first bad row is the one reported.
 * Linking needs every row and runs afterwards, in file order: each
 * parent_code must name a loaded region, then following parents from any
 * region must reach the root (a walk that meets its own stamp is a cycle,
 * reported from its earliest member). Only then are children, depths and
 * subtree sizes filled in, which is safe on an acyclic tree with one root.
 *
 * Regions are found by code through their own index, not a common/hmap:
 * region_slot[] holds 1 + a row index (0: empty), at most half full,
 * probed linearly from the low region_bits bits of code * 0x9E3779B1,
 * and a probe compares the row's own code. Multiplying by an odd number
 * permutes the residues, so two codes meet only when equal modulo the
 * table size, and it scatters consecutive codes (a county's 330101,
 * 330102, ...), which would otherwise fill runs that a probe for a
 * missing code walks to their end. On the national catalog's 3,112
 * codes no probe goes past its home slot; the top bits (Fibonacci
 * hashing) or a mixing hash made 3,500 and 950 extra probes, each a
 * cache miss into reg[]. The index takes 32 kB there, against the map's
 * 170 kB of entries, slots and key copies (hashed byte by byte, and
 * their pages first touched): a cold load of that catalog takes about
 * 0.15 ms (15%) less.
 *
 * The optional columns valid_from and valid_to (YYYY-MM; empty: open)
 * bound the months a region exists; a file without them loads as before,
 * every region open at both ends. Validity is not in the region
 * fingerprint (the tree's codes and parents) but in the rules
 * fingerprint (catalog.c), and only when some region has it, so that
 * stores built with a catalog without validity keep their aggregates.
 *
 * The region fingerprint is FNV-1a 64 over, for each region in file order,
 * its code and then its parent's code (0 for the root), each as 4 bytes
 * big-endian. The store keeps it on disk: it must never change for the
 * same file.
 *
 * INVARIANTS
 *   1. reg, reg_line and parent_code grow together and have n_reg
 *      entries; region_slot indexes exactly them: 2^region_bits >=
 *      2 * cap_reg, and each row's slot is reached from its code's home
 *      without passing an empty slot.
 *   2. root is -1 until the row with an empty parent_code is read; a
 *      second such row is refused.
 *   3. After catalog_load_regions() succeeds, every region but the root
 *      has a parent, children lists are in file order, and
 *      subtree_size(root) == n_reg.
 */
#include "common/catalog_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/mem.h"

enum rcol {
    RC_CODE,
    RC_NAME_ZH,
    RC_NAME_EN,
    RC_LEVEL,
    RC_PARENT,
    RC_VALID_FROM,
    RC_VALID_TO,
    RC_N
};

static const char *const rcol_name[RC_N] = {
    "code", "name_zh", "name_en", "level", "parent_code",
    "valid_from?", "valid_to?",
};

static const char *const region_levels[] = {
    "nation", "province", "city", "county", "town",
};

/* --- the region index ------------------------------------------------- */

/* Where the probe for @p code starts (region_bits >= 1). */
static size_t region_home(const catalog_t *c, uint32_t code)
{
    return (size_t)(code * 0x9E3779B1u) & (((size_t)1 << c->region_bits) - 1);
}

int catalog_find_region(const catalog_t *c, uint32_t code)
{
    if (c->region_bits == 0) {
        return -1;
    }
    size_t mask = ((size_t)1 << c->region_bits) - 1;
    for (size_t i = region_home(c, code); c->region_slot[i] != 0;
         i = (i + 1) & mask) {
        int r = c->region_slot[i] - 1;
        if (c->reg[r].code == code) {
            return r;
        }
    }
    return -1;
}

/* Put row @p r in the index; its code is not there yet (add_region
 * checked). */
static void index_region(catalog_t *c, size_t r)
{
    size_t mask = ((size_t)1 << c->region_bits) - 1;
    size_t i = region_home(c, c->reg[r].code);
    while (c->region_slot[i] != 0) {
        i = (i + 1) & mask;
    }
    c->region_slot[i] = (int)r + 1;
}

/* Make the index room for cap_reg rows (invariant 1), re-placing those
 * already in it. */
static void size_index(catalog_t *c)
{
    unsigned bits = 4;
    while (((size_t)1 << bits) < 2 * c->cap_reg) {
        bits++;
    }
    if (bits <= c->region_bits) {
        return;
    }
    free(c->region_slot);
    c->region_slot = xcalloc((size_t)1 << bits, sizeof *c->region_slot);
    c->region_bits = bits;
    for (size_t r = 0; r < c->n_reg; r++) {
        index_region(c, r);
    }
}

/* --- rows --------------------------------------------------------------- */

/* The most rows a reservation is made for: a national catalog down to
 * towns has about 40,000; a file of many blank lines is no reason to
 * reserve more. */
#define ROWS_HINT_MAX ((size_t)1 << 17)

/* Size the row arrays and the index once for the data rows regions.csv
 * can hold: at most one per LF after the header, plus a last line
 * without one. Growing them by doubling instead copied and rehashed
 * every row several times (a national catalog has 3,112). */
static void reserve_regions(catalog_t *c)
{
    const char *s = c->src[CATALOG_REGIONS];
    const char *end = s + c->src_len[CATALOG_REGIONS];
    size_t n = 1;
    while (s < end && n < ROWS_HINT_MAX) {
        s = memchr(s, '\n', (size_t)(end - s));
        if (s == NULL) {
            break;
        }
        s++;
        n++;
    }
    c->cap_reg = n;
    c->reg = xreallocarray(c->reg, n, sizeof *c->reg);
    c->reg_line = xreallocarray(c->reg_line, n, sizeof *c->reg_line);
    c->parent_code = xreallocarray(c->parent_code, n,
                                   sizeof *c->parent_code);
    size_index(c);
}

/* Append a checked region (invariant 1). */
static void push_region(catalog_t *c, const region_t *r, size_t line,
                        uint32_t parent_code)
{
    if (c->n_reg == c->cap_reg) {
        c->cap_reg = c->cap_reg ? c->cap_reg * 2 : 128;
        c->reg = xreallocarray(c->reg, c->cap_reg, sizeof *c->reg);
        c->reg_line = xreallocarray(c->reg_line, c->cap_reg,
                                    sizeof *c->reg_line);
        c->parent_code = xreallocarray(c->parent_code, c->cap_reg,
                                       sizeof *c->parent_code);
        size_index(c);
    }
    c->reg[c->n_reg] = *r;
    c->reg_line[c->n_reg] = line;
    c->parent_code[c->n_reg] = parent_code;
    index_region(c, c->n_reg);
    c->n_reg++;
}

static int add_region(catalog_t *c, const char *path, size_t line,
                      char *const *v, char err[ERR_LEN])
{
    region_t r;
    uint32_t code = 0;
    uint32_t parent = 0;
    int prev = -1;
    size_t k = 0;
    size_t nlevels = sizeof region_levels / sizeof *region_levels;

    memset(&r, 0, sizeof r);
    if (v[RC_CODE][0] == '\0') {
        return catalog_bad(err, path, line, "empty field 'code'");
    }
    if (!catalog_parse_region_code(v[RC_CODE], &code)) {
        return catalog_bad(err, path, line,
                           "bad code '%s': expected 1 to 9 digits, no "
                           "leading 0",
                           v[RC_CODE]);
    }
    if (v[RC_NAME_ZH][0] == '\0') {
        return catalog_bad(err, path, line, "empty field 'name_zh'");
    }
    if (v[RC_LEVEL][0] == '\0') {
        return catalog_bad(err, path, line, "empty field 'level'");
    }
    /* The first byte rules out all but one or two (city, county): a
     * string compare per row, not up to five. */
    for (k = 0; k < nlevels; k++) {
        if (v[RC_LEVEL][0] == region_levels[k][0] &&
            strcmp(v[RC_LEVEL], region_levels[k]) == 0) {
            break;
        }
    }
    if (k == nlevels) {
        return catalog_bad(err, path, line,
                           "bad level '%s': expected nation, province, city, "
                           "county or town", v[RC_LEVEL]);
    }
    if (v[RC_PARENT][0] != '\0' &&
        !catalog_parse_region_code(v[RC_PARENT], &parent)) {
        return catalog_bad(err, path, line,
                           "bad parent_code '%s': expected 1 to 9 digits, no "
                           "leading 0", v[RC_PARENT]);
    }
    r.valid_from = CATALOG_OPEN_FROM;
    r.valid_to = CATALOG_OPEN_TO;
    if (v[RC_VALID_FROM][0] != '\0' &&
        !catalog_parse_month(v[RC_VALID_FROM], &r.valid_from)) {
        return catalog_bad(err, path, line,
                           "valid_from: '%.32s' is not a month YYYY-MM",
                           v[RC_VALID_FROM]);
    }
    if (v[RC_VALID_TO][0] != '\0' &&
        !catalog_parse_month(v[RC_VALID_TO], &r.valid_to)) {
        return catalog_bad(err, path, line,
                           "valid_to: '%.32s' is not a month YYYY-MM",
                           v[RC_VALID_TO]);
    }
    if (r.valid_from > r.valid_to) {
        return catalog_bad(err, path, line,
                           "valid_to: %s is before valid_from %s",
                           v[RC_VALID_TO], v[RC_VALID_FROM]);
    }
    prev = catalog_find_region(c, code);
    if (prev >= 0) {
        return catalog_bad(err, path, line,
                           "duplicate region code %s (first on line %zu)",
                           v[RC_CODE], c->reg_line[prev]);
    }
    if (v[RC_PARENT][0] == '\0' && c->root >= 0) {
        return catalog_bad(err, path, line,
                           "second root region %s (first root %s on line "
                           "%zu); only one row may have an empty "
                           "parent_code",
                           v[RC_CODE], c->reg[c->root].code_str,
                           c->reg_line[c->root]);
    }

    r.code = code;
    /* The fields lie in the catalog's text: kept as they are. */
    r.code_str = v[RC_CODE];
    r.name_zh = v[RC_NAME_ZH];
    r.name_en = v[RC_NAME_EN];
    r.level = region_levels[k];
    r.parent = -1;
    if (parent == 0) {
        c->root = (int)c->n_reg;
    }
    push_region(c, &r, line, parent);
    return ERR_OK;
}

/* Report the cycle through region @p on: start at its earliest member. */
static int cycle_error(const catalog_t *c, const char *path, int on,
                       char err[ERR_LEN])
{
    char msg[ERR_LEN];
    size_t used = 0;
    int first = on;
    int j = c->reg[on].parent;

    while (j != on) {
        if (j < first) {
            first = j;
        }
        j = c->reg[j].parent;
    }
    j = first;
    do {
        int n = snprintf(msg + used, sizeof msg - used, "%s -> ",
                         c->reg[j].code_str);
        if (n < 0 || (size_t)n >= sizeof msg - used) {
            break;
        }
        used += (size_t)n;
        j = c->reg[j].parent;
    } while (j != first);
    snprintf(msg + used, sizeof msg - used, "%s", c->reg[first].code_str);
    return catalog_bad(err, path, c->reg_line[first], "parent cycle: %s", msg);
}

/* Set each region's parent from its parent_code, then reject cycles. */
static int link_parents(catalog_t *c, const char *path, size_t header_line,
                        char err[ERR_LEN])
{
    int rc = ERR_OK;
    size_t n = c->n_reg;
    size_t *stamp = NULL;

    if (c->root < 0) {
        rc = catalog_bad(err, path, header_line,
                         "no root region (a row with an empty parent_code)");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        int p = 0;
        if (c->parent_code[i] == 0) {
            continue;
        }
        p = catalog_find_region(c, c->parent_code[i]);
        if (p < 0) {
            rc = catalog_bad(err, path, c->reg_line[i],
                             "unknown parent_code %u of region %s",
                             (unsigned)c->parent_code[i],
                             c->reg[i].code_str);
            goto fail;
        }
        c->reg[i].parent = p;
    }

    /* Each walk stamps the regions it passes with its start index + 1;
     * meeting the current stamp again means a cycle. */
    stamp = xcalloc(n, sizeof *stamp);
    for (size_t i = 0; i < n; i++) {
        int j = (int)i;
        while (j >= 0 && stamp[j] == 0) {
            stamp[j] = i + 1;
            j = c->reg[j].parent;
        }
        if (j >= 0 && stamp[j] == i + 1) {
            rc = cycle_error(c, path, j, err);
            goto fail;
        }
    }

fail:
    free(stamp);
    return rc;
}

/* Children back to back in child_store, each list in file order. */
static void fill_children(catalog_t *c)
{
    size_t n = c->n_reg;
    size_t *off = xcalloc(n + 1, sizeof *off);

    for (size_t i = 0; i < n; i++) {
        if (c->reg[i].parent >= 0) {
            c->reg[c->reg[i].parent].n_children++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        off[i + 1] = off[i] + c->reg[i].n_children;
        c->reg[i].n_children = 0;
    }
    c->child_store = xcalloc(n, sizeof *c->child_store);
    for (size_t i = 0; i < n; i++) {
        int p = c->reg[i].parent;
        if (p >= 0) {
            region_t *pr = &c->reg[p];
            c->child_store[off[p] + pr->n_children++] = (int)i;
        }
    }
    for (size_t i = 0; i < n; i++) {
        c->reg[i].children =
            c->reg[i].n_children > 0 ? c->child_store + off[i] : NULL;
    }
    free(off);
}

/* Depths breadth-first from the root; acyclic with one root means every
 * region is reached. Reverse order sums subtrees bottom-up. */
static void fill_depths(catalog_t *c)
{
    size_t n = c->n_reg;
    int *order = xcalloc(n, sizeof *order);
    size_t tail = 0;

    order[tail++] = c->root;
    c->reg[c->root].depth = 0;
    for (size_t head = 0; head < tail; head++) {
        const region_t *r = &c->reg[order[head]];
        for (size_t k = 0; k < r->n_children; k++) {
            c->reg[r->children[k]].depth = r->depth + 1;
            order[tail++] = r->children[k];
        }
    }
    assert(tail == n);
    for (size_t i = 0; i < n; i++) {
        c->reg[i].subtree_size = 1;
    }
    for (size_t k = n; k-- > 1;) {
        const region_t *r = &c->reg[order[k]];
        c->reg[r->parent].subtree_size += r->subtree_size;
    }
    free(order);
}

/* The regions whose validity is bounded, in file order. */
static void list_bounded(catalog_t *c)
{
    for (size_t i = 0; i < c->n_reg; i++) {
        if (c->reg[i].valid_from != CATALOG_OPEN_FROM ||
            c->reg[i].valid_to != CATALOG_OPEN_TO) {
            c->n_bounded++;
        }
    }
    if (c->n_bounded == 0) {
        return;
    }
    c->bounded = xcalloc(c->n_bounded, sizeof *c->bounded);
    size_t k = 0;
    for (size_t i = 0; i < c->n_reg; i++) {
        if (c->reg[i].valid_from != CATALOG_OPEN_FROM ||
            c->reg[i].valid_to != CATALOG_OPEN_TO) {
            c->bounded[k++] = (int)i;
        }
    }
}

/* See the header comment: stored on disk, so it never changes. */
static uint64_t fingerprint_of(const catalog_t *c)
{
    uint64_t h = HASH_FNV_BASIS;
    for (size_t i = 0; i < c->n_reg; i++) {
        uint32_t pair[2] = {c->reg[i].code, c->parent_code[i]};
        unsigned char be[8];
        for (size_t k = 0; k < 2; k++) {
            be[k * 4 + 0] = (unsigned char)(pair[k] >> 24);
            be[k * 4 + 1] = (unsigned char)(pair[k] >> 16);
            be[k * 4 + 2] = (unsigned char)(pair[k] >> 8);
            be[k * 4 + 3] = (unsigned char)pair[k];
        }
        h = hash_fnv1a(h, be, sizeof be);
    }
    return h;
}

int catalog_load_regions(catalog_t *c, const char *path, char err[ERR_LEN])
{
    int rc = ERR_OK;
    catalog_table_t t;
    size_t line = 0;

    rc = catalog_table_init(&t, c, CATALOG_REGIONS, path, rcol_name, RC_N,
                            err);
    if (rc != ERR_OK) {
        goto fail;
    }
    reserve_regions(c);
    for (;;) {
        char *v[RC_N];
        rc = catalog_table_next(&t, v, &line, err);
        if (rc < 0) {
            goto fail;
        }
        if (rc == 0) {
            break;
        }
        rc = add_region(c, path, line, v, err);
        if (rc != ERR_OK) {
            goto fail;
        }
    }
    rc = link_parents(c, path, t.header_line, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    fill_children(c);
    fill_depths(c);
    c->fingerprint = fingerprint_of(c);
    list_bounded(c);

fail:
    catalog_table_fini(&t);
    return rc;
}
