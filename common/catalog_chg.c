/* catalog_chg.c: region-changes.csv, where territory went when the map
 * changed, and the lookups on the regions' validity.
 *
 * Design
 * ------
 * regions.csv holds every map of the plan's years at once: a region row
 * may bound the months it exists (valid_from, valid_to; catalog_reg.c).
 * region-changes.csv, optional, says what each change of the map did,
 * one row per region concerned:
 *
 *   effective_month  YYYY-MM (years 1900..9999), the first month
 *                    reported under the new map (a change before the
 *                    plan's years still bounds its regions)
 *   change           abolished | created | redrawn
 *   code             a region of regions.csv
 *   name_zh          its name as regions.csv has it (a check on the code)
 *   successors       ';'-separated codes where its territory went (may be
 *                    empty but for an abolished region)
 *   note             free text
 *
 * A change must agree with the regions' validity: an abolished region's
 * valid_to is the month before, a created one's valid_from the month, a
 * redrawn one exists on both sides of it, and every successor exists in
 * the month. So the rows cannot say one thing and the validity another.
 * Messages are "region-changes.csv:LINE: FIELD: reason", or name
 * regions.csv's line when that row is the one to fix.
 *
 * The bounded list (regions whose validity is not open at both ends) is
 * what the expected counts walk: a catalog has few such regions, so the
 * regions of a subtree expected for a period cost O(bounded), not
 * O(subtree).
 *
 * INVARIANTS
 *   1. chg has n_chg rows in file order; each row's successors and each
 *      region's change list lie in chg_store, which the catalog owns.
 *   2. After catalog_load_changes() succeeds, catalog.h invariant 9
 *      holds.
 */
#include "common/catalog_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

enum ccol {
    CC_MONTH,
    CC_CHANGE,
    CC_CODE,
    CC_NAME_ZH,
    CC_SUCCESSORS,
    CC_NOTE,
    CC_N
};

static const char *const ccol_name[CC_N] = {
    "effective_month", "change", "code", "name_zh", "successors", "note",
};

static const char *const kind_name[] = {"abolished", "created", "redrawn"};

const char *catalog_change_kind_name(enum region_change_kind kind)
{
    return (size_t)kind < sizeof kind_name / sizeof *kind_name
               ? kind_name[kind]
               : "?";
}

/* "YYYY-MM" of month index @p m. */
static void fmt_month(int32_t m, char buf[16])
{
    snprintf(buf, 16, "%04d-%02d", (int)(m / 12), (int)(m % 12) + 1);
}

/* Count the ';'-separated codes of @p s (0 for ""). */
static size_t count_codes(const char *s)
{
    if (s[0] == '\0') {
        return 0;
    }
    size_t n = 1;
    for (; *s != '\0'; s++) {
        n += *s == ';';
    }
    return n;
}

/* Resolve the successors of row @p ch (text @p s) into @p out. */
static int parse_successors(const catalog_t *c, const char *path,
                            size_t line, const region_change_t *ch,
                            const char *s, int *out, char err[ERR_LEN])
{
    size_t k = 0;
    while (*s != '\0') {
        char code[16];
        size_t len = strcspn(s, ";");
        uint32_t v = 0;
        if (len == 0 || len >= sizeof code) {
            return catalog_bad(err, path, line,
                               "successors: expected region codes "
                               "separated by ';'");
        }
        memcpy(code, s, len);
        code[len] = '\0';
        int r = catalog_parse_region_code(code, &v) ? catalog_find_region(c, v)
                                                    : -1;
        if (r < 0) {
            return catalog_bad(err, path, line,
                               "successors: unknown region '%s'", code);
        }
        if (r == ch->region) {
            return catalog_bad(err, path, line,
                               "successors: %s is the region itself", code);
        }
        if (ch->month < c->reg[r].valid_from ||
            ch->month > c->reg[r].valid_to) {
            char m[16];
            fmt_month(ch->month, m);
            return catalog_bad(err, path, line,
                               "successors: %s %s does not exist in %s",
                               code, c->reg[r].name_zh, m);
        }
        out[k++] = r;
        s += len;
        if (*s == ';') {
            s++;
            if (*s == '\0') {
                return catalog_bad(err, path, line,
                                   "successors: expected region codes "
                                   "separated by ';'");
            }
        }
    }
    return ERR_OK;
}

static int add_change(catalog_t *c, const char *path, size_t line,
                      const char *reg_path, char *const *v, int *succ,
                      size_t *n_succ, char err[ERR_LEN])
{
    region_change_t ch;
    uint32_t code = 0;
    size_t k = 0;
    char m0[16];
    char m1[16];
    memset(&ch, 0, sizeof ch);
    if (!catalog_parse_month(v[CC_MONTH], &ch.month)) {
        return catalog_bad(err, path, line,
                           "effective_month: '%.32s' is not a month YYYY-MM",
                           v[CC_MONTH]);
    }
    for (k = 0; k < sizeof kind_name / sizeof *kind_name; k++) {
        if (strcmp(v[CC_CHANGE], kind_name[k]) == 0) {
            break;
        }
    }
    if (k == sizeof kind_name / sizeof *kind_name) {
        return catalog_bad(err, path, line,
                           "change: '%.32s' is not abolished, created or "
                           "redrawn",
                           v[CC_CHANGE]);
    }
    ch.kind = (enum region_change_kind)k;
    ch.region = catalog_parse_region_code(v[CC_CODE], &code)
                    ? catalog_find_region(c, code)
                    : -1;
    if (ch.region < 0) {
        return catalog_bad(err, path, line, "code: unknown region '%.32s'",
                           v[CC_CODE]);
    }
    const region_t *r = &c->reg[ch.region];
    if (v[CC_NAME_ZH][0] != '\0' && strcmp(v[CC_NAME_ZH], r->name_zh) != 0) {
        return catalog_bad(err, path, line,
                           "name_zh: '%.64s' is not %s's name %s",
                           v[CC_NAME_ZH], r->code_str, r->name_zh);
    }
    for (size_t i = 0; i < c->n_chg; i++) {
        if (c->chg[i].region == ch.region && c->chg[i].month == ch.month) {
            return catalog_bad(err, path, line,
                               "code: a second change of %s in %s",
                               r->code_str, v[CC_MONTH]);
        }
    }
    fmt_month(ch.month - 1, m0);
    fmt_month(ch.month, m1);
    size_t rl = c->reg_line[ch.region];
    if (ch.kind == CHANGE_ABOLISHED && r->valid_to != ch.month - 1) {
        return catalog_bad(err, reg_path, rl,
                           "valid_to: %s %s is abolished from %s "
                           "(region-changes.csv line %zu): valid_to must "
                           "be %s",
                           r->code_str, r->name_zh, m1, line, m0);
    }
    if (ch.kind == CHANGE_CREATED && r->valid_from != ch.month) {
        return catalog_bad(err, reg_path, rl,
                           "valid_from: %s %s is created in %s "
                           "(region-changes.csv line %zu): valid_from must "
                           "be %s",
                           r->code_str, r->name_zh, m1, line, m1);
    }
    if (ch.kind == CHANGE_REDRAWN &&
        (r->valid_from > ch.month - 1 || r->valid_to < ch.month)) {
        return catalog_bad(err, reg_path, rl,
                           "valid_from: %s %s is redrawn in %s "
                           "(region-changes.csv line %zu): it must exist in "
                           "%s and %s",
                           r->code_str, r->name_zh, m1, line, m0, m1);
    }
    if (ch.kind == CHANGE_ABOLISHED && v[CC_SUCCESSORS][0] == '\0') {
        return catalog_bad(err, path, line,
                           "successors: an abolished region's territory "
                           "must go somewhere");
    }
    int rc = parse_successors(c, path, line, &ch, v[CC_SUCCESSORS],
                              succ + *n_succ, err);
    if (rc != ERR_OK) {
        return rc;
    }
    ch.n_successors = count_codes(v[CC_SUCCESSORS]);
    ch.successors = NULL; /* set once chg_store is final */
    ch.note = v[CC_NOTE];
    c->chg[c->n_chg++] = ch;
    *n_succ += ch.n_successors;
    return ERR_OK;
}

/* Lay the successors and each region's change list (by month) out in
 * chg_store. @p succ: every row's successors back to back. */
static void link_changes(catalog_t *c, const int *succ, size_t n_succ)
{
    c->chg_store = xcalloc(n_succ + c->n_chg + 1, sizeof *c->chg_store);
    if (n_succ > 0) {
        memcpy(c->chg_store, succ, n_succ * sizeof *succ);
    }
    size_t off = 0;
    for (size_t i = 0; i < c->n_chg; i++) {
        c->chg[i].successors =
            c->chg[i].n_successors > 0 ? c->chg_store + off : NULL;
        off += c->chg[i].n_successors;
    }
    for (size_t i = 0; i < c->n_chg; i++) {
        c->reg[c->chg[i].region].n_changes++;
    }
    int *lists = c->chg_store + n_succ;
    for (size_t r = 0; r < c->n_reg; r++) {
        if (c->reg[r].n_changes == 0) {
            continue;
        }
        int *mine = lists;
        size_t k = 0;
        for (size_t i = 0; i < c->n_chg; i++) {
            if (c->chg[i].region != (int)r) {
                continue;
            }
            /* insertion by month: a region has a change or two */
            size_t j = k++;
            while (j > 0 && c->chg[mine[j - 1]].month > c->chg[i].month) {
                mine[j] = mine[j - 1];
                j--;
            }
            mine[j] = (int)i;
        }
        c->reg[r].changes = mine;
        lists += k;
    }
}

int catalog_load_changes(catalog_t *c, const char *path,
                         const char *reg_path, char err[ERR_LEN])
{
    if (c->src[CATALOG_REGION_CHANGES] == NULL) {
        return ERR_OK;
    }
    catalog_table_t t;
    int rc = catalog_table_init(&t, c, CATALOG_REGION_CHANGES, path,
                                ccol_name, CC_N, err);
    /* At most one row per line, and as many successors as ';' + rows. */
    size_t cap = 1;
    size_t scap = 1;
    const char *s = c->src[CATALOG_REGION_CHANGES];
    for (size_t i = 0; i < c->src_len[CATALOG_REGION_CHANGES]; i++) {
        cap += s[i] == '\n';
        scap += s[i] == ';' || s[i] == '\n';
    }
    c->chg = xcalloc(cap, sizeof *c->chg);
    int *succ = xcalloc(scap + cap, sizeof *succ);
    size_t n_succ = 0;
    while (rc == ERR_OK) {
        char *v[CC_N];
        size_t line = 0;
        rc = catalog_table_next(&t, v, &line, err);
        if (rc <= 0) {
            break;
        }
        rc = add_change(c, path, line, reg_path, v, succ, &n_succ, err);
    }
    if (rc == 0) {
        rc = ERR_OK;
        link_changes(c, succ, n_succ);
    }
    free(succ);
    catalog_table_fini(&t);
    return rc;
}

/* --- validity lookups ---------------------------------------------------- */

int catalog_region_valid(const catalog_t *self, int i, int32_t month)
{
    const region_t *r = catalog_region(self, (size_t)i);
    return month >= r->valid_from && month <= r->valid_to;
}

int catalog_region_valid_in(const catalog_t *self, int i, int32_t first,
                            int32_t last)
{
    const region_t *r = catalog_region(self, (size_t)i);
    return last >= r->valid_from && first <= r->valid_to;
}

const int *catalog_region_bounded(const catalog_t *self, size_t *n)
{
    *n = self->n_bounded;
    return self->bounded;
}

size_t catalog_region_expected(const catalog_t *self, int i, int32_t first,
                               int32_t last, int stock)
{
    size_t n = catalog_region(self, (size_t)i)->subtree_size;
    for (size_t k = 0; k < self->n_bounded; k++) {
        int b = self->bounded[k];
        int in = stock ? catalog_region_valid(self, b, last)
                       : catalog_region_valid_in(self, b, first, last);
        if (!in && catalog_region_within(self, b, i)) {
            n--;
        }
    }
    return n;
}

size_t catalog_change_count(const catalog_t *self)
{
    return self->n_chg;
}

const region_change_t *catalog_change(const catalog_t *self, size_t i)
{
    return i < self->n_chg ? &self->chg[i] : NULL;
}
