/* csvin_fields.c: fields of an office's file as clerks write them.
 *
 * Design
 * ------
 * csvin folds and trims every field first; what is left here is what a
 * clerk types that the domain layer (common/update) does not read, and
 * that only a file brings: a name with a space after "其中:", months as
 * "2025年10月" or "2025.10" (Excel writes the number 2025.10 as 2025.1,
 * so a one-digit month after a dot is ambiguous for January and is
 * refused; 2025.2..2025.9 can only be the months they say, since
 * 2025.20 and above are no months), a region by its Chinese name. Names
 * of regions are matched exactly: a near match is no match, since two
 * districts' names can differ by one character.
 *
 * INVARIANTS
 *   1. Messages quote input only through update_quote().
 *   2. The list of candidate regions is cut at CANDIDATES_MAX entries,
 *      so a message always fits ERR_LEN.
 *   3. Nothing is read past a field's NUL.
 */
#include "agent/csvin_fields.h"

#include <stdio.h>
#include <string.h>

#include "common/period.h"
#include "common/suggest.h"

/** Most candidates named for an ambiguous region name. */
#define CANDIDATES_MAX 6

int csvin_fields_indicator(const catalog_t *cat, const char *s,
                           char why[ERR_LEN])
{
    char msg[UPDATE_MSG_LEN];
    char packed[256];
    size_t k = 0;
    int i = -1;

    if (update_check_indicator(cat, s, 1, &i, msg) == UPDATE_OK) {
        return i;
    }
    if (strchr(s, ' ') != NULL && strlen(s) < sizeof packed) {
        for (const char *p = s; *p != '\0'; p++) {
            if (*p != ' ') {
                packed[k++] = *p;
            }
        }
        packed[k] = '\0';
        i = catalog_indicator_find(cat, packed);
        if (i >= 0) {
            return i;
        }
    }
    snprintf(why, ERR_LEN, "%s", msg);
    suggest_indicators(cat, s, why, ERR_LEN);
    return -1;
}

/* Digits at *p (1..@p max of them) into *v; advance. @return how many. */
static int digits(const char **p, int max, int *v)
{
    int n = 0;
    *v = 0;
    while (n < max && (*p)[n] >= '0' && (*p)[n] <= '9') {
        *v = *v * 10 + ((*p)[n] - '0');
        n++;
    }
    *p += n;
    return n;
}

/* Whether @p p starts with @p word; if so, step over it. */
static int take(const char **p, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(*p, word, n) != 0) {
        return 0;
    }
    *p += n;
    return 1;
}

int csvin_fields_month(const char *s, uint32_t *yyyymm)
{
    const char *p = s;
    int y = 0;
    int m = 0;
    if (digits(&p, 4, &y) != 4) {
        return 0;
    }
    if (take(&p, "年")) {
        if (digits(&p, 2, &m) == 0 || !take(&p, "月")) {
            return 0;
        }
        (void)take(&p, "份");
    } else if (*p == '.') {
        p++;
        const char *at = p;
        if (digits(&p, 2, &m) == 0) {
            return 0;
        }
        if (*p == '\0' && p - at == 1 && m == 1) {
            return -1;
        }
    } else {
        return 0;
    }
    if (*p != '\0') {
        return 0;
    }
    *yyyymm = (uint32_t)(y * 100 + m);
    return 1;
}

int csvin_fields_region(const update_scope_t *o, const char *s,
                        uint32_t *code, char why[ERR_LEN])
{
    const catalog_t *cat = o->cat;
    char q[UPDATE_QUOTE_LEN];
    char list[ERR_LEN / 2] = "";
    size_t n_all = 0;
    size_t n_here = 0;
    int all = -1;
    int here = -1;

    for (size_t i = 0; i < catalog_region_count(cat); i++) {
        const region_t *r = catalog_region(cat, i);
        if (strcmp(r->name_zh, s) != 0) {
            continue;
        }
        if (n_all < CANDIDATES_MAX) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s (%s)",
                     n_all > 0 ? ", " : "", r->code_str,
                     r->parent >= 0
                         ? catalog_region(cat, (size_t)r->parent)->name_zh
                         : "the root");
        }
        n_all++;
        all = (int)i;
        if (o->home < 0 || catalog_region_within(cat, (int)i, o->home)) {
            n_here++;
            here = (int)i;
        }
    }
    if (n_all == 1 || n_here == 1) {
        *code = catalog_region(cat, (size_t)(n_here == 1 ? here : all))->code;
        return ERR_OK;
    }
    update_quote(q, sizeof q, s);
    if (n_all == 0) {
        snprintf(why, ERR_LEN,
                 "unknown region '%s' (neither a code nor a region name of "
                 "the catalog; hrss-agent regions lists them)",
                 q);
    } else {
        snprintf(why, ERR_LEN,
                 "'%s' is the name of %zu regions: %s%s; give the code", q,
                 n_all, list, n_all > CANDIDATES_MAX ? ", ..." : "");
    }
    return ERR_INVAL;
}

int csvin_fields_before_plan(const catalog_t *cat, int32_t month,
                             char why[ERR_LEN])
{
    const catalog_plan_t *plan = catalog_plan(cat);
    int32_t first = month_make(plan->first_year, 1);
    char m[PERIOD_STR_LEN];
    if (month >= first) {
        return 0;
    }
    month_format(month, m, sizeof m);
    snprintf(why, ERR_LEN,
             "%s is before the plan (%d-01..%d-12); to send it anyway: "
             "hrss-agent submit --allow-before-plan",
             m, plan->first_year, plan->last_year);
    return 1;
}
