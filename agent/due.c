/* due.c: an office's figures due soon or overdue and not queued
 * (due.h).
 *
 * Design: the set of queued cells is a sorted array (sorted once, on
 * the first lookup after an add), so a status with thousands of cells
 * costs one sort and a binary search per (region, indicator, month)
 * looked at: regions x indicators x 13 months at most.
 *
 *   months looked at:  max(plan's first, current - 12) .. min(current,
 *                      plan's last); those up to unknown_last skipped
 *   per cell due that month and not queued:
 *     deadline >= now, local days to it <= due_days  -> due
 *     deadline <  now                                -> overdue
 *
 * INVARIANTS
 *   1. due_set_has() answers from a sorted, duplicate-tolerant array
 *      (bsearch finds any equal entry).
 *   2. Items are sorted by (deadline, region rank, indicator index,
 *      month): a total order, so the output is the same at every run.
 */
#include "agent/due.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/deadline.h"
#include "common/mem.h"
#include "common/period.h"

typedef struct cell {
    char code[CATALOG_CODE_MAX + 1];
    uint32_t region;
    uint32_t yyyymm;
} cell_t;

struct due_set {
    cell_t *c;
    size_t n;
    size_t cap;
    int sorted;
};

due_set_t *due_set_new(void)
{
    due_set_t *s = xcalloc(1, sizeof *s);
    s->sorted = 1;
    return s;
}

void due_set_destroy(due_set_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    free((*self_p)->c);
    free(*self_p);
    *self_p = NULL;
}

static int cell_cmp(const void *a, const void *b)
{
    const cell_t *x = a;
    const cell_t *y = b;
    int c = strcmp(x->code, y->code);
    if (c != 0) {
        return c;
    }
    if (x->region != y->region) {
        return x->region < y->region ? -1 : 1;
    }
    return x->yyyymm < y->yyyymm ? -1 : (x->yyyymm > y->yyyymm);
}

void due_set_add(due_set_t *self, const char *indicator, uint32_t region,
                 uint32_t yyyymm)
{
    if (strlen(indicator) > CATALOG_CODE_MAX) {
        return;
    }
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 64;
        self->c = xreallocarray(self->c, self->cap, sizeof *self->c);
    }
    cell_t *c = &self->c[self->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->code, sizeof c->code, "%s", indicator);
    c->region = region;
    c->yyyymm = yyyymm;
    self->sorted = 0;
}

int due_set_has(due_set_t *self, const char *indicator, uint32_t region,
                uint32_t yyyymm)
{
    if (strlen(indicator) > CATALOG_CODE_MAX || self->n == 0) {
        return 0;
    }
    if (!self->sorted) {
        qsort(self->c, self->n, sizeof *self->c, cell_cmp);
        self->sorted = 1;
    }
    cell_t key;
    memset(&key, 0, sizeof key);
    snprintf(key.code, sizeof key.code, "%s", indicator);
    key.region = region;
    key.yyyymm = yyyymm;
    return bsearch(&key, self->c, self->n, sizeof *self->c, cell_cmp) !=
           NULL;
}

/* A growing array of items. */
typedef struct items {
    due_item_t *v;
    size_t n;
    size_t cap;
    const uint32_t *regions; /* for the rank in item_cmp */
    size_t n_regions;
} items_t;

static void items_add(items_t *a, const due_item_t *it)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->v = xreallocarray(a->v, a->cap, sizeof *a->v);
    }
    a->v[a->n++] = *it;
}

/* qsort's comparison gets no context, so each item's region rank (its
 * place in the caller's list) is computed into the key before sorting. */
typedef struct keyed {
    due_item_t it;
    size_t rank;
} keyed_t;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed_t *x = a;
    const keyed_t *y = b;
    if (x->it.deadline != y->it.deadline) {
        return x->it.deadline < y->it.deadline ? -1 : 1;
    }
    if (x->rank != y->rank) {
        return x->rank < y->rank ? -1 : 1;
    }
    if (x->it.indicator != y->it.indicator) {
        return x->it.indicator < y->it.indicator ? -1 : 1;
    }
    return x->it.month < y->it.month ? -1 : (x->it.month > y->it.month);
}

/* Sort @p a by INVARIANT 2. */
static void items_sort(items_t *a)
{
    if (a->n < 2) {
        return;
    }
    keyed_t *k = xcalloc(a->n, sizeof *k);
    for (size_t i = 0; i < a->n; i++) {
        k[i].it = a->v[i];
        k[i].rank = a->n_regions;
        for (size_t r = 0; r < a->n_regions; r++) {
            if (a->regions[r] == a->v[i].region) {
                k[i].rank = r;
                break;
            }
        }
    }
    qsort(k, a->n, sizeof *k, keyed_cmp);
    for (size_t i = 0; i < a->n; i++) {
        a->v[i] = k[i].it;
    }
    free(k);
}

void due_compute(const due_opts_t *o, due_set_t *queued, due_list_t *out)
{
    const catalog_plan_t *plan = catalog_plan(o->cat);
    long off = plan->tz_offset;
    int32_t cur = month_from_time((time_t)o->now, off);
    int32_t first = month_make(plan->first_year, 1);
    int32_t last = month_make(plan->last_year, 12);
    items_t due = {NULL, 0, 0, o->regions, o->n_regions};
    items_t over = {NULL, 0, 0, o->regions, o->n_regions};
    int64_t today = deadline_local_day(o->now, off);

    memset(out, 0, sizeof *out);
    assert(o->due_days >= 0 && o->due_days <= DUE_DAYS_MAX);
    if (cur - DUE_MONTHS_BACK > first) {
        first = cur - DUE_MONTHS_BACK;
    }
    if (cur < last) {
        last = cur;
    }
    out->first_month = first;
    out->last_month = last;
    /* A month is known when no update of it can predate the records:
     * none was queued before its first day (no month is taken before it
     * begins: update_check_month). */
    int32_t known = first;
    if (o->since < 0) {
        known = last + 1;
    } else if (o->since > 0) {
        known = month_from_time((time_t)o->since, off) + 1;
    }
    out->unknown_last = (known > first ? known : first) - 1;
    if (out->unknown_last > last) {
        out->unknown_last = last;
    }
    size_t nind = catalog_indicator_count(o->cat);
    for (int32_t m = out->unknown_last + 1; m <= last; m++) {
        uint32_t yyyymm = month_to_yyyymm(m);
        for (size_t r = 0; r < o->n_regions; r++) {
            for (size_t i = 0; i < nind; i++) {
                const indicator_t *ind = catalog_indicator(o->cat, i);
                if (!deadline_due(ind, m) ||
                    due_set_has(queued, ind->code, o->regions[r], yyyymm)) {
                    continue;
                }
                due_item_t it = {(int)i, o->regions[r], m,
                                 deadline_of(plan, ind, m), 0};
                if (it.deadline >= o->now) {
                    it.days = deadline_local_day(it.deadline, off) - today;
                    if (it.days <= o->due_days) {
                        items_add(&due, &it);
                    }
                } else {
                    it.days = deadline_days_late(off, it.deadline, o->now);
                    items_add(&over, &it);
                }
            }
        }
    }
    items_sort(&due);
    items_sort(&over);
    out->due = due.v;
    out->n_due = due.n;
    out->overdue = over.v;
    out->n_overdue = over.n;
}

void due_list_fini(due_list_t *l)
{
    if (l == NULL) {
        return;
    }
    free(l->due);
    free(l->overdue);
    memset(l, 0, sizeof *l);
}
