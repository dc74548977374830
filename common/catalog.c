/* catalog.c: load and validate the indicator and region catalogs.
 *
 * Both files are read with common/csv.h, row by row, into arrays that keep
 * file order. Each check that concerns a single row runs as the row is
 * read, so the first bad row in the file is the one reported; checks that
 * need the whole file (part_of targets, unknown parents, cycles, roots)
 * run afterwards, again in file order. Every message is
 * "FILE:LINE: reason", LINE being the CSV line where the offending row
 * starts (the header's line for column problems).
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
 * Strings are copied into a pool owned by the catalog (strs[]), so the
 * public structs can carry const pointers and destroy frees the pool.
 * Lookups by code, name and region code go through common/hmap maps
 * built while loading and only read afterwards, which keeps a loaded
 * catalog safe to share between threads.
 *
 * The region fingerprint is FNV-1a 64 over, for each region in file order,
 * its code and then its parent's code (0 for the root), each as 4 bytes
 * big-endian.
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
 *   6. by_code, by_name and by_region index exactly the loaded rows; the
 *      by_short map holds -2 for a stripped name shared by several rows.
 *   7. The plan has a title_zh; it runs from the year after the baseline
 *      through the target year, and every indicator's target_basis years
 *      lie inside it.
 */
#include "common/catalog.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/hmap.h"
#include "common/mem.h"
#include "common/text.h"

#define CATALOG_MAGIC 0x43415431u /* "CAT1" */
#define CATALOG_DEAD 0xDEADBEEFu

/* "Of which" prefixes of a name_zh, ASCII and full-width colon. */
static const char *const sub_prefix[] = {"其中:", "其中："};

/* --- the catalog ------------------------------------------------------ */

struct catalog {
    uint32_t magic;
    indicator_t *ind;
    size_t n_ind;
    size_t cap_ind;
    size_t *ind_line;        /* CSV line of each indicator row */
    const char **part_code;  /* part_of text of each row, until resolved */
    catalog_plan_t plan;     /* years from the indicator header, titles
                                from the plan file */

    region_t *reg;
    size_t n_reg;
    size_t cap_reg;
    size_t *reg_line;        /* CSV line of each region row */
    uint32_t *parent_code;   /* 0 for the root */
    int *child_store;        /* all children arrays, back to back */
    int root;
    uint64_t fingerprint;

    char *src[CATALOG_NFILES]; /* the files' bytes, by enum catalog_file */
    size_t src_len[CATALOG_NFILES];

    char **strs;             /* string pool */
    size_t n_strs;
    size_t cap_strs;

    hmap_t *by_code;         /* indicator code -> index */
    hmap_t *by_name;         /* name_zh -> index */
    hmap_t *by_short;        /* name_zh without a 其中: prefix -> index,
                                or -2 when several rows share it */
    hmap_t *by_region;       /* region code (u32) -> index */
};

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
    assert(hmap_count(self->by_code) == self->n_ind);
    assert(hmap_count(self->by_name) == self->n_ind);
    assert(hmap_count(self->by_region) == self->n_reg);
}
#else
#define check_invariants(self) ((void)0)
#endif

/* Index stored under string @p key in @p m, or -1 when absent. */
static int find_str(const hmap_t *m, const char *key)
{
    int64_t v = -1;
    return hmap_get_str(m, key, &v) ? (int)v : -1;
}

/* Index of region code @p code, or -1 when absent. */
static int find_region(const catalog_t *c, uint32_t code)
{
    int64_t v = -1;
    return hmap_get_u32(c->by_region, code, &v) ? (int)v : -1;
}

/* Copy @p s into the pool; the copy lives until catalog_destroy(). */
static const char *keep(catalog_t *c, const char *s)
{
    if (c->n_strs == c->cap_strs) {
        c->cap_strs = c->cap_strs ? c->cap_strs * 2 : 64;
        c->strs = xreallocarray(c->strs, c->cap_strs, sizeof *c->strs);
    }
    char *copy = xstrdup(s);
    c->strs[c->n_strs++] = copy;
    return copy;
}

__attribute__((format(printf, 4, 5))) static int
bad(char err[ERR_LEN], const char *path, size_t line, const char *fmt, ...)
{
    if (err != NULL) {
        int n = snprintf(err, ERR_LEN, "%s:%zu: ", path, line);
        if (n >= 0 && n < ERR_LEN) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, (size_t)(ERR_LEN - n), fmt, ap);
            va_end(ap);
        }
    }
    return ERR_INVAL;
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Parse exactly 4 ASCII digits forming a year in 1900..9999. */
static int parse_year4(const char *s, int *out)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1900) {
        return 0;
    }
    *out = v;
    return 1;
}

/* A finite decimal number; hex, inf and nan are refused. */
static int parse_number(const char *s, double *out)
{
    char *end = NULL;
    if (*s == '\0' || strspn(s, "0123456789+-.eE") != strlen(s)) {
        return 0;
    }
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v)) {
        return 0;
    }
    *out = v;
    return 1;
}

/* 1..9 digits, no leading zero. */
static int parse_region_code(const char *s, uint32_t *out)
{
    size_t n = strlen(s);
    uint32_t v = 0;
    if (n < 1 || n > 9 || s[0] == '0') {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10u + (uint32_t)(s[i] - '0');
    }
    *out = v;
    return 1;
}

/* --- header mapping --------------------------------------------------- */

/* Match header name @p h against column spec @p spec. A spec ending in
 * "_YYYY" matches its prefix followed by a year; returns 1 on a match, 0
 * on none, -1 when the prefix matches but the year is bad. */
static int column_matches(const char *spec, const char *h, int *year)
{
    size_t sl = strlen(spec);
    if (sl > 5 && strcmp(spec + sl - 5, "_YYYY") == 0) {
        size_t pl = sl - 4; /* keep the '_' */
        if (strncmp(spec, h, pl) != 0) {
            return 0;
        }
        if (strlen(h + pl) != 4 || !parse_year4(h + pl, year)) {
            return -1;
        }
        return 1;
    }
    *year = 0;
    return strcmp(spec, h) == 0;
}

/* Find each of @p ncols specs in the header row @p f (trimmed in place).
 * @param[out] col   CSV position of each spec.
 * @param[out] year  Year of each _YYYY spec, else 0. */
static int map_header(const char *path, size_t line, char **f, size_t nf,
                      const char *const *spec, size_t ncols, int *col,
                      int *year, char err[ERR_LEN])
{
    for (size_t k = 0; k < ncols; k++) {
        col[k] = -1;
        year[k] = 0;
    }
    for (size_t j = 0; j < nf; j++) {
        const char *h = NULL;
        f[j] = text_trim(f[j]);
        h = f[j];
        size_t k = 0;
        size_t near = ncols; /* a _YYYY spec whose prefix matched */
        int y = 0;
        for (k = 0; k < ncols; k++) {
            int m = column_matches(spec[k], h, &y);
            if (m > 0) {
                break;
            }
            if (m < 0 && near == ncols) {
                near = k;
            }
        }
        if (k == ncols && near < ncols) {
            return bad(err, path, line,
                       "column '%s' should be %s with a year 1900..9999", h,
                       spec[near]);
        }
        if (k == ncols) {
            return bad(err, path, line, "unknown column '%s'", h);
        }
        if (col[k] >= 0) {
            return bad(err, path, line, "duplicate column '%s'", h);
        }
        col[k] = (int)j;
        year[k] = y;
    }
    for (size_t k = 0; k < ncols; k++) {
        if (col[k] < 0) {
            return bad(err, path, line, "missing column '%s'", spec[k]);
        }
    }
    return ERR_OK;
}

/* Open @p path and read its header row. ERR_FULL becomes ERR_INVAL. */
static int open_with_header(csv_reader_t **rd, const char *path,
                            const char *data, size_t len, size_t *nf,
                            char ***f, size_t *line, char err[ERR_LEN])
{
    int rc = csv_open_mem(rd, path, data, len);
    if (rc != ERR_OK) {
        return rc;
    }
    rc = csv_next(*rd, nf, f, line, err);
    if (rc == 0) {
        rc = bad(err, path, 1, "empty file, expected a header row");
    }
    if (rc < 0) {
        csv_destroy(rd);
        return rc;
    }
    return ERR_OK;
}

/* --- indicators ------------------------------------------------------- */

enum icol {
    IC_NO,
    IC_CODE,
    IC_NAME_ZH,
    IC_NAME_EN,
    IC_GROUP_ZH,
    IC_UNIT_ZH,
    IC_KIND,
    IC_OVER_TIME,
    IC_BASELINE,
    IC_TARGET,
    IC_TARGET_BASIS,
    IC_DIRECTION,
    IC_ATTRIBUTE,
    IC_PART_OF,
    IC_NUMERATOR_ZH,
    IC_DENOMINATOR_ZH,
    IC_N
};

static const char *const icol_name[IC_N] = {
    "no",        "code",          "name_zh",      "name_en",
    "group_zh",  "unit_zh",       "kind",         "over_time",
    "baseline_YYYY", "target_YYYY", "target_basis", "direction",
    "attribute", "part_of",       "numerator_zh", "denominator_zh",
};

/* Columns that may not be empty, in the order they are checked. */
static const enum icol icol_required[] = {
    IC_NO,     IC_CODE,         IC_NAME_ZH,  IC_UNIT_ZH,   IC_KIND,
    IC_OVER_TIME, IC_TARGET,    IC_TARGET_BASIS, IC_DIRECTION,
    IC_ATTRIBUTE,
};

static int parse_basis(const char *s, indicator_t *ind)
{
    int from = 0;
    int to = 0;
    if (has_prefix(s, "cumulative_") && strlen(s) == 20 && s[15] == '_' &&
        parse_year4(s + 11, &from) && parse_year4(s + 16, &to) &&
        from <= to) {
        ind->basis = BASIS_CUMULATIVE;
    } else if (has_prefix(s, "level_") && strlen(s) == 10 &&
               parse_year4(s + 6, &from)) {
        ind->basis = BASIS_LEVEL;
        to = from;
    } else if (has_prefix(s, "annual_") && strlen(s) == 11 &&
               parse_year4(s + 7, &from)) {
        ind->basis = BASIS_ANNUAL;
        to = from;
    } else {
        return 0;
    }
    ind->basis_from = from;
    ind->basis_to = to;
    return 1;
}

static double unit_scale_of(const char *unit)
{
    if (has_prefix(unit, "万")) {
        return 10000.0;
    }
    if (has_prefix(unit, "%") || has_prefix(unit, "％")) {
        return 100.0;
    }
    return 1.0;
}

static void push_indicator(catalog_t *c, const indicator_t *ind,
                           size_t line, const char *part_code)
{
    if (c->n_ind == c->cap_ind) {
        c->cap_ind = c->cap_ind ? c->cap_ind * 2 : 32;
        c->ind = xreallocarray(c->ind, c->cap_ind, sizeof *c->ind);
        c->ind_line = xreallocarray(c->ind_line, c->cap_ind,
                                    sizeof *c->ind_line);
        c->part_code = xreallocarray(c->part_code, c->cap_ind,
                                     sizeof *c->part_code);
    }
    c->ind[c->n_ind] = *ind;
    c->ind_line[c->n_ind] = line;
    c->part_code[c->n_ind] = part_code;
    c->n_ind++;
}

/* Validate one data row @p v (trimmed fields by column) and append it. */
static int add_indicator(catalog_t *c, const char *path, size_t line,
                         char *const *v, const char *const *colname,
                         char err[ERR_LEN])
{
    indicator_t ind;
    char *end = NULL;
    long no = 0;
    size_t codelen = strlen(v[IC_CODE]);
    int prev = -1;

    memset(&ind, 0, sizeof ind);
    for (size_t k = 0; k < sizeof icol_required / sizeof *icol_required;
         k++) {
        if (v[icol_required[k]][0] == '\0') {
            return bad(err, path, line, "empty field '%s'",
                       colname[icol_required[k]]);
        }
    }
    if (strspn(v[IC_NO], "0123456789") != strlen(v[IC_NO]) ||
        strlen(v[IC_NO]) > 9) {
        return bad(err, path, line, "bad no '%s': expected 1..999999999",
                   v[IC_NO]);
    }
    no = strtol(v[IC_NO], &end, 10);
    if (*end != '\0' || no < 1) {
        return bad(err, path, line, "bad no '%s': expected 1..999999999",
                   v[IC_NO]);
    }
    if (codelen > CATALOG_CODE_MAX ||
        strspn(v[IC_CODE], "abcdefghijklmnopqrstuvwxyz0123456789_") !=
            codelen) {
        return bad(err, path, line,
                   "bad code '%s': expected [a-z0-9_]+ of at most %d bytes",
                   v[IC_CODE], CATALOG_CODE_MAX);
    }
    prev = find_str(c->by_code, v[IC_CODE]);
    if (prev >= 0) {
        return bad(err, path, line, "duplicate code '%s' (first on line %zu)",
                   v[IC_CODE], c->ind_line[prev]);
    }
    prev = find_str(c->by_name, v[IC_NAME_ZH]);
    if (prev >= 0) {
        return bad(err, path, line,
                   "duplicate name_zh '%s' (first on line %zu)",
                   v[IC_NAME_ZH], c->ind_line[prev]);
    }
    ind.no = (int)no;
    ind.unit_scale = unit_scale_of(v[IC_UNIT_ZH]);

    if (strcmp(v[IC_KIND], "count") == 0) {
        ind.kind = IND_COUNT;
    } else if (strcmp(v[IC_KIND], "ratio") == 0) {
        ind.kind = IND_RATIO;
    } else {
        return bad(err, path, line, "bad kind '%s': expected count or ratio",
                   v[IC_KIND]);
    }
    if (strcmp(v[IC_OVER_TIME], "sum") == 0) {
        ind.over_time = OVER_SUM;
    } else if (strcmp(v[IC_OVER_TIME], "last") == 0) {
        ind.over_time = OVER_LAST;
    } else {
        return bad(err, path, line,
                   "bad over_time '%s': expected sum or last",
                   v[IC_OVER_TIME]);
    }
    if (v[IC_BASELINE][0] != '\0') {
        if (!parse_number(v[IC_BASELINE], &ind.baseline)) {
            return bad(err, path, line, "bad number '%s' in %s",
                       v[IC_BASELINE], colname[IC_BASELINE]);
        }
        ind.has_baseline = 1;
    }
    if (!parse_number(v[IC_TARGET], &ind.target)) {
        return bad(err, path, line, "bad number '%s' in %s", v[IC_TARGET],
                   colname[IC_TARGET]);
    }
    ind.has_target = 1;
    if (!parse_basis(v[IC_TARGET_BASIS], &ind)) {
        return bad(err, path, line,
                   "bad target_basis '%s': expected cumulative_YYYY_YYYY "
                   "(from <= to), level_YYYY or annual_YYYY",
                   v[IC_TARGET_BASIS]);
    }
    if (ind.basis_from < c->plan.first_year ||
        ind.basis_to > c->plan.last_year) {
        return bad(err, path, line,
                   "target_basis '%s' lies outside the plan's years "
                   "%d-%d (the year after the baseline through the target "
                   "year)",
                   v[IC_TARGET_BASIS], c->plan.first_year,
                   c->plan.last_year);
    }
    if (strcmp(v[IC_DIRECTION], "at_least") == 0) {
        ind.direction = DIR_AT_LEAST;
    } else if (strcmp(v[IC_DIRECTION], "at_most") == 0) {
        ind.direction = DIR_AT_MOST;
    } else {
        return bad(err, path, line,
                   "bad direction '%s': expected at_least or at_most",
                   v[IC_DIRECTION]);
    }
    if (strcmp(v[IC_ATTRIBUTE], "expected") != 0 &&
        strcmp(v[IC_ATTRIBUTE], "binding") != 0) {
        return bad(err, path, line,
                   "bad attribute '%s': expected expected or binding",
                   v[IC_ATTRIBUTE]);
    }
    if (ind.kind == IND_RATIO) {
        if (v[IC_NUMERATOR_ZH][0] == '\0' ||
            v[IC_DENOMINATOR_ZH][0] == '\0') {
            return bad(err, path, line,
                       "ratio '%s' needs numerator_zh and denominator_zh",
                       v[IC_CODE]);
        }
    } else if (v[IC_NUMERATOR_ZH][0] != '\0' ||
               v[IC_DENOMINATOR_ZH][0] != '\0') {
        return bad(err, path, line,
                   "count '%s' must leave numerator_zh and denominator_zh "
                   "empty", v[IC_CODE]);
    }

    ind.code = keep(c, v[IC_CODE]);
    ind.name_zh = keep(c, v[IC_NAME_ZH]);
    ind.name_en = keep(c, v[IC_NAME_EN]);
    ind.group_zh = keep(c, v[IC_GROUP_ZH]);
    ind.unit_zh = keep(c, v[IC_UNIT_ZH]);
    ind.attribute = keep(c, v[IC_ATTRIBUTE]);
    ind.numerator_zh = keep(c, v[IC_NUMERATOR_ZH]);
    ind.denominator_zh = keep(c, v[IC_DENOMINATOR_ZH]);
    ind.part_of = -1;
    push_indicator(c, &ind, line, keep(c, v[IC_PART_OF]));
    hmap_put_str(c->by_code, ind.code, (int64_t)(c->n_ind - 1));
    hmap_put_str(c->by_name, ind.name_zh, (int64_t)(c->n_ind - 1));
    return ERR_OK;
}

/* Resolve the part_of code of row @p i now that every row is known. */
static int resolve_part_of_row(catalog_t *c, size_t i, const char *path,
                               char err[ERR_LEN])
{
    indicator_t *ind = &c->ind[i];
    const char *pc = c->part_code[i];
    int p = 0;

    if (pc[0] == '\0') {
        return ERR_OK;
    }
    p = find_str(c->by_code, pc);
    if (p < 0) {
        return bad(err, path, c->ind_line[i],
                   "part_of '%s' is not a known code", pc);
    }
    if ((size_t)p == i) {
        return bad(err, path, c->ind_line[i],
                   "part_of '%s' names the indicator itself", pc);
    }
    if (ind->kind != IND_COUNT) {
        return bad(err, path, c->ind_line[i],
                   "part_of on '%s', which is not a count", ind->code);
    }
    if (c->ind[p].kind != IND_COUNT) {
        return bad(err, path, c->ind_line[i], "part_of '%s' is not a count",
                   pc);
    }
    if (c->ind[p].over_time != ind->over_time) {
        return bad(err, path, c->ind_line[i],
                   "part_of '%s' has a different over_time", pc);
    }
    ind->part_of = p;
    return ERR_OK;
}

/* Resolve every part_of and reject part_of cycles. */
static int resolve_part_of(catalog_t *c, const char *path, char err[ERR_LEN])
{
    int rc = ERR_OK;
    size_t *stamp = NULL;

    for (size_t i = 0; i < c->n_ind; i++) {
        rc = resolve_part_of_row(c, i, path, err);
        if (rc != ERR_OK) {
            goto fail;
        }
    }

    /* Each walk stamps the rows it passes with its start index + 1;
     * meeting the current stamp again means a cycle. */
    stamp = xcalloc(c->n_ind, sizeof *stamp);
    for (size_t i = 0; i < c->n_ind; i++) {
        int j = (int)i;
        while (j >= 0 && stamp[j] == 0) {
            stamp[j] = i + 1;
            j = c->ind[j].part_of;
        }
        if (j >= 0 && stamp[j] == i + 1) {
            rc = bad(err, path, c->ind_line[j], "part_of cycle through '%s'",
                     c->ind[j].code);
            goto fail;
        }
    }

fail:
    free(stamp);
    return rc;
}

static int load_indicators(catalog_t *c, const char *path, char err[ERR_LEN])
{
    int rc = ERR_OK;
    csv_reader_t *rd = NULL;
    size_t nf = 0;
    char **f = NULL;
    size_t line = 0;
    size_t header_line = 0;
    int col[IC_N];
    int year[IC_N];
    char colname_buf[IC_N][32];
    const char *colname[IC_N];

    rc = open_with_header(&rd, path, c->src[0], c->src_len[0], &nf,
                          &f, &header_line, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    rc = map_header(path, header_line, f, nf, icol_name, IC_N, col, year,
                    err);
    if (rc != ERR_OK) {
        goto fail;
    }
    c->plan.baseline_year = year[IC_BASELINE];
    c->plan.target_year = year[IC_TARGET];
    if (c->plan.target_year <= c->plan.baseline_year) {
        rc = bad(err, path, header_line,
                 "column '%s' must name a year after '%s'",
                 f[col[IC_TARGET]], f[col[IC_BASELINE]]);
        goto fail;
    }
    c->plan.first_year = c->plan.baseline_year + 1;
    c->plan.last_year = c->plan.target_year;
    for (size_t k = 0; k < IC_N; k++) {
        snprintf(colname_buf[k], sizeof colname_buf[k], "%s", f[col[k]]);
        colname[k] = colname_buf[k];
    }

    for (;;) {
        char *v[IC_N];
        rc = csv_next(rd, &nf, &f, &line, err);
        if (rc < 0) {
            goto fail;
        }
        if (rc == 0) {
            break;
        }
        if (nf != IC_N) {
            rc = bad(err, path, line, "%zu fields, header has %d", nf,
                     (int)IC_N);
            goto fail;
        }
        for (size_t k = 0; k < IC_N; k++) {
            v[k] = text_trim(f[col[k]]);
        }
        rc = add_indicator(c, path, line, v, colname, err);
        if (rc != ERR_OK) {
            goto fail;
        }
    }
    rc = ERR_OK;
    if (c->n_ind == 0) {
        rc = bad(err, path, header_line, "no indicator rows");
        goto fail;
    }
    rc = resolve_part_of(c, path, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    for (size_t i = 0; i < c->n_ind; i++) {
        const char *name = c->ind[i].name_zh;
        for (size_t k = 0; k < sizeof sub_prefix / sizeof *sub_prefix;
             k++) {
            const char *rest = NULL;
            if (!has_prefix(name, sub_prefix[k])) {
                continue;
            }
            rest = name + strlen(sub_prefix[k]);
            if (rest[0] == '\0') {
                continue;
            }
            /* A stripped name shared by several rows finds none. */
            hmap_put_str(c->by_short, rest,
                         hmap_get_str(c->by_short, rest, NULL) ? -2
                                                               : (int64_t)i);
        }
    }

fail:
    csv_destroy(&rd);
    return rc;
}

/* --- regions ---------------------------------------------------------- */

enum rcol { RC_CODE, RC_NAME_ZH, RC_NAME_EN, RC_LEVEL, RC_PARENT, RC_N };

static const char *const rcol_name[RC_N] = {
    "code", "name_zh", "name_en", "level", "parent_code",
};

static const char *const region_levels[] = {
    "nation", "province", "city", "county", "town",
};

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
        return bad(err, path, line, "empty field 'code'");
    }
    if (!parse_region_code(v[RC_CODE], &code)) {
        return bad(err, path, line,
                   "bad code '%s': expected 1 to 9 digits, no leading 0",
                   v[RC_CODE]);
    }
    if (v[RC_NAME_ZH][0] == '\0') {
        return bad(err, path, line, "empty field 'name_zh'");
    }
    if (v[RC_LEVEL][0] == '\0') {
        return bad(err, path, line, "empty field 'level'");
    }
    for (k = 0; k < nlevels; k++) {
        if (strcmp(v[RC_LEVEL], region_levels[k]) == 0) {
            break;
        }
    }
    if (k == nlevels) {
        return bad(err, path, line,
                   "bad level '%s': expected nation, province, city, "
                   "county or town", v[RC_LEVEL]);
    }
    if (v[RC_PARENT][0] != '\0' &&
        !parse_region_code(v[RC_PARENT], &parent)) {
        return bad(err, path, line,
                   "bad parent_code '%s': expected 1 to 9 digits, no "
                   "leading 0", v[RC_PARENT]);
    }
    prev = find_region(c, code);
    if (prev >= 0) {
        return bad(err, path, line,
                   "duplicate region code %s (first on line %zu)",
                   v[RC_CODE], c->reg_line[prev]);
    }
    if (v[RC_PARENT][0] == '\0' && c->root >= 0) {
        return bad(err, path, line,
                   "second root region %s (first root %s on line %zu); "
                   "only one row may have an empty parent_code",
                   v[RC_CODE], c->reg[c->root].code_str,
                   c->reg_line[c->root]);
    }

    if (c->n_reg == c->cap_reg) {
        c->cap_reg = c->cap_reg ? c->cap_reg * 2 : 128;
        c->reg = xreallocarray(c->reg, c->cap_reg, sizeof *c->reg);
        c->reg_line = xreallocarray(c->reg_line, c->cap_reg,
                                    sizeof *c->reg_line);
        c->parent_code = xreallocarray(c->parent_code, c->cap_reg,
                                       sizeof *c->parent_code);
    }
    r.code = code;
    r.code_str = keep(c, v[RC_CODE]);
    r.name_zh = keep(c, v[RC_NAME_ZH]);
    r.name_en = keep(c, v[RC_NAME_EN]);
    r.level = region_levels[k];
    r.parent = -1;
    if (parent == 0) {
        c->root = (int)c->n_reg;
    }
    c->reg[c->n_reg] = r;
    c->reg_line[c->n_reg] = line;
    c->parent_code[c->n_reg] = parent;
    hmap_put_u32(c->by_region, code, (int64_t)c->n_reg);
    c->n_reg++;
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
    return bad(err, path, c->reg_line[first], "parent cycle: %s", msg);
}

/* Link parents, reject cycles, then fill children, depth, subtree_size
 * and the fingerprint. */
static int link_regions(catalog_t *c, const char *path, size_t header_line,
                        char err[ERR_LEN])
{
    int rc = ERR_OK;
    size_t n = c->n_reg;
    size_t *stamp = NULL;
    size_t *off = NULL;
    int *order = NULL;
    size_t tail = 0;

    if (c->root < 0) {
        rc = bad(err, path, header_line,
                 "no root region (a row with an empty parent_code)");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        int p = 0;
        if (c->parent_code[i] == 0) {
            continue;
        }
        p = find_region(c, c->parent_code[i]);
        if (p < 0) {
            rc = bad(err, path, c->reg_line[i],
                     "unknown parent_code %u of region %s",
                     (unsigned)c->parent_code[i], c->reg[i].code_str);
            goto fail;
        }
        c->reg[i].parent = p;
    }

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

    /* Children back to back in child_store, in file order. */
    off = xcalloc(n + 1, sizeof *off);
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

    /* Breadth-first from the root; acyclic with one root means every
     * region is reached. Reverse order sums subtrees bottom-up. */
    order = xcalloc(n, sizeof *order);
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

    c->fingerprint = HASH_FNV_BASIS;
    for (size_t i = 0; i < n; i++) {
        uint32_t pair[2] = {c->reg[i].code, c->parent_code[i]};
        unsigned char be[8];
        for (size_t k = 0; k < 2; k++) {
            be[k * 4 + 0] = (unsigned char)(pair[k] >> 24);
            be[k * 4 + 1] = (unsigned char)(pair[k] >> 16);
            be[k * 4 + 2] = (unsigned char)(pair[k] >> 8);
            be[k * 4 + 3] = (unsigned char)pair[k];
        }
        c->fingerprint = hash_fnv1a(c->fingerprint, be, sizeof be);
    }

fail:
    free(order);
    free(off);
    free(stamp);
    return rc;
}

static int load_regions(catalog_t *c, const char *path, char err[ERR_LEN])
{
    int rc = ERR_OK;
    csv_reader_t *rd = NULL;
    size_t nf = 0;
    char **f = NULL;
    size_t line = 0;
    size_t header_line = 0;
    int col[RC_N];
    int year[RC_N];

    rc = open_with_header(&rd, path, c->src[1], c->src_len[1], &nf,
                          &f, &header_line, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    rc = map_header(path, header_line, f, nf, rcol_name, RC_N, col, year,
                    err);
    if (rc != ERR_OK) {
        goto fail;
    }
    for (;;) {
        char *v[RC_N];
        rc = csv_next(rd, &nf, &f, &line, err);
        if (rc < 0) {
            goto fail;
        }
        if (rc == 0) {
            break;
        }
        if (nf != RC_N) {
            rc = bad(err, path, line, "%zu fields, header has %d", nf,
                     (int)RC_N);
            goto fail;
        }
        for (size_t k = 0; k < RC_N; k++) {
            v[k] = text_trim(f[col[k]]);
        }
        rc = add_region(c, path, line, v, err);
        if (rc != ERR_OK) {
            goto fail;
        }
    }
    rc = link_regions(c, path, header_line, err);

fail:
    csv_destroy(&rd);
    return rc;
}

/* --- the plan file ---------------------------------------------------- */

static int load_plan(catalog_t *c, const char *path, char err[ERR_LEN])
{
    static const char *const pcol_name[] = {"key", "value"};
    int rc = ERR_OK;
    csv_reader_t *rd = NULL;
    size_t nf = 0;
    char **f = NULL;
    size_t line = 0;
    size_t header_line = 0;
    size_t seen_line[2] = {0, 0}; /* title_zh, title_en */
    int col[2];
    int year[2];

    rc = open_with_header(&rd, path, c->src[CATALOG_PLAN],
                          c->src_len[CATALOG_PLAN], &nf, &f, &header_line,
                          err);
    if (rc != ERR_OK) {
        goto fail;
    }
    rc = map_header(path, header_line, f, nf, pcol_name, 2, col, year, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    c->plan.title_en = "";
    for (;;) {
        rc = csv_next(rd, &nf, &f, &line, err);
        if (rc < 0) {
            goto fail;
        }
        if (rc == 0) {
            break;
        }
        if (nf != 2) {
            rc = bad(err, path, line, "%zu fields, header has 2", nf);
            goto fail;
        }
        const char *key = text_trim(f[col[0]]);
        const char *val = text_trim(f[col[1]]);
        size_t k = strcmp(key, "title_zh") == 0   ? 0
                   : strcmp(key, "title_en") == 0 ? 1
                                                  : 2;
        if (k == 2) {
            rc = bad(err, path, line,
                     "unknown key '%s' (expected title_zh or title_en)",
                     key);
            goto fail;
        }
        if (seen_line[k] != 0) {
            rc = bad(err, path, line, "duplicate key '%s' (first on line "
                     "%zu)", key, seen_line[k]);
            goto fail;
        }
        seen_line[k] = line;
        if (k == 0 && val[0] == '\0') {
            rc = bad(err, path, line, "empty title_zh");
            goto fail;
        }
        *(k == 0 ? &c->plan.title_zh : &c->plan.title_en) = keep(c, val);
    }
    rc = ERR_OK;
    if (seen_line[0] == 0) {
        rc = bad(err, path, header_line, "missing key 'title_zh'");
    }

fail:
    csv_destroy(&rd);
    return rc;
}

/* --- public API -------------------------------------------------------- */

/* Parse every file from c->src; on success hand the catalog to *out. */
static int load_all(catalog_t *c, catalog_t **out,
                    const char *const names[CATALOG_NFILES],
                    char err[ERR_LEN])
{
    int rc = load_indicators(c, names[CATALOG_INDICATORS], err);
    if (rc == ERR_OK) {
        rc = load_regions(c, names[CATALOG_REGIONS], err);
    }
    if (rc == ERR_OK) {
        rc = load_plan(c, names[CATALOG_PLAN], err);
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
    c->by_region = hmap_new();
    return c;
}

int catalog_load(catalog_t **out, const char *const paths[CATALOG_NFILES],
                 char err[ERR_LEN])
{
    int rc = ERR_OK;
    assert(out != NULL && paths != NULL);
    catalog_t *c = catalog_new();
    for (size_t i = 0; rc == ERR_OK && i < CATALOG_NFILES; i++) {
        assert(paths[i] != NULL);
        rc = file_read(paths[i], CSV_MAX_FILE, &c->src[i],
                       &c->src_len[i], err);
    }
    if (rc != ERR_OK) {
        catalog_destroy(&c);
        return rc;
    }
    return load_all(c, out, paths, err);
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
        names[i] = files[i].name;
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
    }
    for (size_t i = 0; i < c->n_strs; i++) {
        free(c->strs[i]);
    }
    free(c->strs);
    free(c->ind);
    free(c->ind_line);
    free(c->part_code);
    free(c->reg);
    free(c->reg_line);
    free(c->parent_code);
    free(c->child_store);
    hmap_destroy(&c->by_code);
    hmap_destroy(&c->by_name);
    hmap_destroy(&c->by_short);
    hmap_destroy(&c->by_region);
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
    i = find_str(self->by_code, key);
    if (i >= 0) {
        return i;
    }
    i = find_str(self->by_name, key);
    if (i >= 0) {
        return i;
    }
    i = find_str(self->by_short, key);
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
    return find_region(self, code);
}

int catalog_region_find_str(const catalog_t *self, const char *code_str)
{
    uint32_t code = 0;

    check_invariants(self);
    if (code_str == NULL || !parse_region_code(code_str, &code)) {
        return -1;
    }
    return find_region(self, code);
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
    return h;
}
