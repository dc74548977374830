/* catalog_ind.c: indicators.csv, the plan's table, into the catalog.
 *
 * The header gives the plan's years: the columns baseline_YYYY and
 * target_YYYY name the baseline and target years, and the plan runs from
 * the year after the baseline through the target year. Each data row is
 * checked as it is read, in a fixed order (empty required fields, no,
 * code, duplicates, kind, over_time, baseline, target (which may be
 * empty: the province's target is then in targets.csv), target_basis and
 * its years, direction, attribute, numerator/denominator), so the first
 * bad field of the first bad row is the one reported. part_of links need
 * every row and are resolved afterwards, in file order, then checked for
 * cycles. Last, each name_zh that starts with "其中:" ("of which") is also
 * indexed without that prefix (by_short), unless several rows share the
 * stripped name. The deadline columns (frequency, due_day,
 * due_months_after) are optional: a catalog from before them loads with
 * every indicator monthly and due by the plan's deadline.
 *
 * INVARIANTS
 *   1. Rows are appended in file order; ind, ind_line and part_code grow
 *      together and have n_ind entries.
 *   2. by_code and by_name hold exactly the rows appended so far, and no
 *      key is in both: a code or a name finds one indicator.
 *   3. After catalog_load_indicators() succeeds, every part_of is -1 or
 *      another count row with the same over_time, with no cycle.
 */
#include "common/catalog_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

/* "Of which" prefixes of a name_zh, ASCII and full-width colon. */
static const char *const sub_prefix[] = {"其中:", "其中："};

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
    IC_FREQUENCY,        /* optional, like the two after it */
    IC_DUE_DAY,
    IC_DUE_MONTHS_AFTER,
    IC_N
};

static const char *const icol_name[IC_N] = {
    "no",        "code",          "name_zh",      "name_en",
    "group_zh",  "unit_zh",       "kind",         "over_time",
    "baseline_YYYY", "target_YYYY", "target_basis", "direction",
    "attribute", "part_of",       "numerator_zh", "denominator_zh",
    "frequency?", "due_day?",     "due_months_after?",
};

/* Columns that may not be empty, in the order they are checked. */
static const enum icol icol_required[] = {
    IC_NO,     IC_CODE,         IC_NAME_ZH,  IC_UNIT_ZH,   IC_KIND,
    IC_OVER_TIME, IC_TARGET_BASIS, IC_DIRECTION,
    IC_ATTRIBUTE,
};

/* The two words an enum column takes, in the order of its C enum
 * (attribute has none: the word itself is kept). */
static const char *const icol_word[IC_N][2] = {
    [IC_KIND] = {"count", "ratio"},
    [IC_OVER_TIME] = {"sum", "last"},
    [IC_DIRECTION] = {"at_least", "at_most"},
    [IC_ATTRIBUTE] = {"expected", "binding"},
};

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int parse_basis(const char *s, indicator_t *ind)
{
    return catalog_parse_basis(s, &ind->basis, &ind->basis_from,
                               &ind->basis_to);
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

/* Which of the two words of enum column @p k the row holds: *out 0 or 1.
 * @return ERR_OK, or ERR_INVAL for any other word. */
static int pick_word(const char *path, size_t line, char *const *v,
                     enum icol k, int *out, char err[ERR_LEN])
{
    for (int w = 0; w < 2; w++) {
        if (strcmp(v[k], icol_word[k][w]) == 0) {
            *out = w;
            return ERR_OK;
        }
    }
    return catalog_bad(err, path, line, "bad %s '%s': expected %s or %s",
                       icol_name[k], v[k], icol_word[k][0], icol_word[k][1]);
}

/* Required fields, no and code, and that code and name_zh are new. */
static int check_identity(const catalog_t *c, const char *path, size_t line,
                          char *const *v, const char *const *colname,
                          indicator_t *ind, char err[ERR_LEN])
{
    char *end = NULL;
    long no = 0;
    size_t codelen = strlen(v[IC_CODE]);
    int prev = -1;

    for (size_t k = 0; k < sizeof icol_required / sizeof *icol_required;
         k++) {
        if (v[icol_required[k]][0] == '\0') {
            return catalog_bad(err, path, line, "empty field '%s'",
                               colname[icol_required[k]]);
        }
    }
    if (strspn(v[IC_NO], "0123456789") != strlen(v[IC_NO]) ||
        strlen(v[IC_NO]) > 9) {
        return catalog_bad(err, path, line,
                           "bad no '%s': expected 1..999999999", v[IC_NO]);
    }
    no = strtol(v[IC_NO], &end, 10);
    if (*end != '\0' || no < 1) {
        return catalog_bad(err, path, line,
                           "bad no '%s': expected 1..999999999", v[IC_NO]);
    }
    if (codelen > CATALOG_CODE_MAX ||
        strspn(v[IC_CODE], "abcdefghijklmnopqrstuvwxyz0123456789_") !=
            codelen) {
        return catalog_bad(err, path, line,
                           "bad code '%s': expected [a-z0-9_]+ of at most "
                           "%d bytes",
                           v[IC_CODE], CATALOG_CODE_MAX);
    }
    prev = catalog_find_str(c->by_code, v[IC_CODE]);
    if (prev >= 0) {
        return catalog_bad(err, path, line,
                           "duplicate code '%s' (first on line %zu)",
                           v[IC_CODE], c->ind_line[prev]);
    }
    prev = catalog_find_str(c->by_name, v[IC_NAME_ZH]);
    if (prev >= 0) {
        return catalog_bad(err, path, line,
                           "duplicate name_zh '%s' (first on line %zu)",
                           v[IC_NAME_ZH], c->ind_line[prev]);
    }
    /* A key finds one indicator, whether it is a code or a name. */
    prev = catalog_find_str(c->by_name, v[IC_CODE]);
    if (prev >= 0) {
        return catalog_bad(err, path, line,
                           "code '%s' is the name_zh of the indicator on "
                           "line %zu", v[IC_CODE], c->ind_line[prev]);
    }
    prev = catalog_find_str(c->by_code, v[IC_NAME_ZH]);
    if (prev >= 0) {
        return catalog_bad(err, path, line,
                           "name_zh '%s' is the code of the indicator on "
                           "line %zu", v[IC_NAME_ZH], c->ind_line[prev]);
    }
    ind->no = (int)no;
    return ERR_OK;
}

/* Baseline, target and target_basis, whose years must lie in the plan's. */
static int check_target(const catalog_t *c, const char *path, size_t line,
                        char *const *v, const char *const *colname,
                        indicator_t *ind, char err[ERR_LEN])
{
    if (v[IC_BASELINE][0] != '\0') {
        if (!catalog_parse_number(v[IC_BASELINE], &ind->baseline)) {
            return catalog_bad(err, path, line, "bad number '%s' in %s",
                               v[IC_BASELINE], colname[IC_BASELINE]);
        }
        ind->has_baseline = 1;
    }
    /* Empty: the target is in targets.csv (catalog_tgt.c checks that
     * every indicator ends with one). */
    if (v[IC_TARGET][0] != '\0') {
        if (!catalog_parse_number(v[IC_TARGET], &ind->target)) {
            return catalog_bad(err, path, line, "bad number '%s' in %s",
                               v[IC_TARGET], colname[IC_TARGET]);
        }
        ind->has_target = 1;
    }
    if (!parse_basis(v[IC_TARGET_BASIS], ind)) {
        return catalog_bad(err, path, line,
                           "bad target_basis '%s': expected "
                           "cumulative_YYYY_YYYY (from <= to), level_YYYY "
                           "or annual_YYYY",
                           v[IC_TARGET_BASIS]);
    }
    if (ind->basis_from < c->plan.first_year ||
        ind->basis_to > c->plan.last_year) {
        return catalog_bad(err, path, line,
                           "target_basis '%s' lies outside the plan's years "
                           "%d-%d (the year after the baseline through the "
                           "target year)",
                           v[IC_TARGET_BASIS], c->plan.first_year,
                           c->plan.last_year);
    }
    return ERR_OK;
}

/* A ratio needs numerator_zh and denominator_zh; a count has neither. */
static int check_parts(const char *path, size_t line, char *const *v,
                       enum ind_kind kind, char err[ERR_LEN])
{
    int has_num = v[IC_NUMERATOR_ZH][0] != '\0';
    int has_den = v[IC_DENOMINATOR_ZH][0] != '\0';
    if (kind == IND_RATIO && (!has_num || !has_den)) {
        return catalog_bad(err, path, line,
                           "ratio '%s' needs numerator_zh and "
                           "denominator_zh",
                           v[IC_CODE]);
    }
    if (kind == IND_COUNT && (has_num || has_den)) {
        return catalog_bad(err, path, line,
                           "count '%s' must leave numerator_zh and "
                           "denominator_zh empty",
                           v[IC_CODE]);
    }
    return ERR_OK;
}

/* The optional deadline columns: frequency, due_day, due_months_after.
 * An empty due_day or due_months_after is left -1: the plan's
 * (catalog_fill_deadlines(), once plan.csv is read). */
static int check_deadline(const char *path, size_t line, char *const *v,
                          indicator_t *ind, char err[ERR_LEN])
{
    static const char *const freq[] = {"monthly", "quarterly", "yearly"};
    const char *f = v[IC_FREQUENCY];
    ind->frequency = FREQ_MONTHLY;
    if (f[0] != '\0') {
        size_t k = 0;
        while (k < 3 && strcmp(f, freq[k]) != 0) {
            k++;
        }
        if (k == 3) {
            return catalog_bad(err, path, line,
                               "frequency: '%s' is not monthly, quarterly "
                               "or yearly", f);
        }
        ind->frequency = (enum ind_frequency)k;
    }
    ind->due_day = -1;
    ind->due_months_after = -1;
    if (v[IC_DUE_DAY][0] != '\0' &&
        !catalog_parse_small(v[IC_DUE_DAY], 1, 31, &ind->due_day)) {
        return catalog_bad(err, path, line,
                           "due_day: '%s' is not a day 1..31",
                           v[IC_DUE_DAY]);
    }
    if (v[IC_DUE_MONTHS_AFTER][0] != '\0' &&
        !catalog_parse_small(v[IC_DUE_MONTHS_AFTER], 0, 12,
                             &ind->due_months_after)) {
        return catalog_bad(err, path, line,
                           "due_months_after: '%s' is not a number of "
                           "months 0..12", v[IC_DUE_MONTHS_AFTER]);
    }
    return ERR_OK;
}

void catalog_fill_deadlines(catalog_t *c)
{
    for (size_t i = 0; i < c->n_ind; i++) {
        if (c->ind[i].due_day < 0) {
            c->ind[i].due_day = c->plan.deadline_day;
        }
        if (c->ind[i].due_months_after < 0) {
            c->ind[i].due_months_after = c->plan.deadline_months_after;
        }
        assert(c->ind[i].due_day >= 1 && c->ind[i].due_day <= 31);
        assert(c->ind[i].due_months_after >= 0 &&
               c->ind[i].due_months_after <= 12);
    }
}

/* Validate one data row @p v (trimmed fields by column) and append it.
 * The checks run in the order the header comment lists. */
static int add_indicator(catalog_t *c, const char *path, size_t line,
                         char *const *v, const char *const *colname,
                         char err[ERR_LEN])
{
    indicator_t ind;
    int kind = 0;
    int over = 0;
    int dir = 0;
    int attr = 0;

    memset(&ind, 0, sizeof ind);
    int rc = check_identity(c, path, line, v, colname, &ind, err);
    if (rc == ERR_OK) {
        rc = pick_word(path, line, v, IC_KIND, &kind, err);
    }
    if (rc == ERR_OK) {
        rc = pick_word(path, line, v, IC_OVER_TIME, &over, err);
    }
    if (rc == ERR_OK) {
        rc = check_target(c, path, line, v, colname, &ind, err);
    }
    if (rc == ERR_OK) {
        rc = pick_word(path, line, v, IC_DIRECTION, &dir, err);
    }
    if (rc == ERR_OK) {
        rc = pick_word(path, line, v, IC_ATTRIBUTE, &attr, err);
    }
    if (rc == ERR_OK) {
        rc = check_parts(path, line, v, kind ? IND_RATIO : IND_COUNT, err);
    }
    if (rc == ERR_OK) {
        rc = check_deadline(path, line, v, &ind, err);
    }
    if (rc != ERR_OK) {
        return rc;
    }

    ind.unit_scale = unit_scale_of(v[IC_UNIT_ZH]);
    ind.kind = kind ? IND_RATIO : IND_COUNT;
    ind.over_time = over ? OVER_LAST : OVER_SUM;
    ind.direction = dir ? DIR_AT_MOST : DIR_AT_LEAST;
    /* The fields lie in the catalog's text: kept as they are. */
    ind.code = v[IC_CODE];
    ind.name_zh = v[IC_NAME_ZH];
    ind.name_en = v[IC_NAME_EN];
    ind.group_zh = v[IC_GROUP_ZH];
    ind.unit_zh = v[IC_UNIT_ZH];
    ind.attribute = v[IC_ATTRIBUTE];
    ind.numerator_zh = v[IC_NUMERATOR_ZH];
    ind.denominator_zh = v[IC_DENOMINATOR_ZH];
    ind.part_of = -1;
    push_indicator(c, &ind, line, v[IC_PART_OF]);
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
    p = catalog_find_str(c->by_code, pc);
    if (p < 0) {
        return catalog_bad(err, path, c->ind_line[i],
                           "part_of '%s' is not a known code", pc);
    }
    if ((size_t)p == i) {
        return catalog_bad(err, path, c->ind_line[i],
                           "part_of '%s' names the indicator itself", pc);
    }
    if (ind->kind != IND_COUNT) {
        return catalog_bad(err, path, c->ind_line[i],
                           "part_of on '%s', which is not a count", ind->code);
    }
    if (c->ind[p].kind != IND_COUNT) {
        return catalog_bad(err, path, c->ind_line[i],
                           "part_of '%s' is not a count", pc);
    }
    if (c->ind[p].over_time != ind->over_time) {
        return catalog_bad(err, path, c->ind_line[i],
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
            rc = catalog_bad(err, path, c->ind_line[j],
                             "part_of cycle through '%s'", c->ind[j].code);
            goto fail;
        }
    }

fail:
    free(stamp);
    return rc;
}

/* Index each "其中:NAME" row under NAME too, so that an office may write
 * the short name; a NAME shared by several rows finds none (-2). */
static void index_short_names(catalog_t *c)
{
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
            hmap_put_str(c->by_short, rest,
                         hmap_get_str(c->by_short, rest, NULL) ? -2
                                                               : (int64_t)i);
        }
    }
}

int catalog_load_indicators(catalog_t *c, const char *path,
                            char err[ERR_LEN])
{
    int rc = ERR_OK;
    catalog_table_t t;
    size_t line = 0;
    char colname_buf[IC_N][32];
    const char *colname[IC_N];

    rc = catalog_table_init(&t, c, CATALOG_INDICATORS, path, icol_name,
                            IC_N, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    c->plan.baseline_year = t.year[IC_BASELINE];
    c->plan.target_year = t.year[IC_TARGET];
    if (c->plan.target_year <= c->plan.baseline_year) {
        rc = catalog_bad(err, path, t.header_line,
                         "column '%s' must name a year after '%s'",
                         t.header[t.col[IC_TARGET]],
                         t.header[t.col[IC_BASELINE]]);
        goto fail;
    }
    c->plan.first_year = c->plan.baseline_year + 1;
    c->plan.last_year = c->plan.target_year;
    /* The header's own names (baseline_2020 ...) for messages. */
    for (size_t k = 0; k < IC_N; k++) {
        snprintf(colname_buf[k], sizeof colname_buf[k], "%s",
                 t.col[k] >= 0 ? t.header[t.col[k]] : icol_name[k]);
        colname[k] = colname_buf[k];
    }

    for (;;) {
        char *v[IC_N];
        rc = catalog_table_next(&t, v, &line, err);
        if (rc < 0) {
            goto fail;
        }
        if (rc == 0) {
            break;
        }
        rc = add_indicator(c, path, line, v, colname, err);
        if (rc != ERR_OK) {
            goto fail;
        }
    }
    rc = ERR_OK;
    if (c->n_ind == 0) {
        rc = catalog_bad(err, path, t.header_line, "no indicator rows");
        goto fail;
    }
    rc = resolve_part_of(c, path, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    index_short_names(c);

fail:
    catalog_table_fini(&t);
    return rc;
}
