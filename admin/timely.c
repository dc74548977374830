/* timely.c: a month's completeness summed per city and for the region
 * asked about (timely.h).
 *
 * Each row finds its city by walking its parents up to the top's child;
 * the sums are few (the top and its children with children), so a
 * linear search finds the city's sum.
 *
 * INVARIANTS
 *   1. sums[0] is the top's; sums[1..n) the top's children that have
 *      children, in catalog order (timely.h INVARIANT 2).
 *   2. on_time + late <= reported <= expected in every sum.
 */
#include "admin/timely.h"

#include <stdlib.h>

#include "common/mem.h"

struct timely {
    const catalog_t *cat;
    int top;              /* catalog index of the top region */
    timely_sum_t *sums;
    int *index;           /* catalog index of each sum's region */
    size_t n;
};

timely_t *timely_new(const catalog_t *cat, uint32_t top)
{
    int ti = catalog_region_find(cat, top);
    if (ti < 0) {
        return NULL;
    }
    const region_t *r = catalog_region(cat, (size_t)ti);
    timely_t *t = xcalloc(1, sizeof *t);
    t->cat = cat;
    t->top = ti;
    t->sums = xcalloc(r->n_children + 1, sizeof *t->sums);
    t->index = xcalloc(r->n_children + 1, sizeof *t->index);
    t->sums[0].region = top;
    t->index[0] = ti;
    t->n = 1;
    for (size_t i = 0; i < r->n_children; i++) {
        const region_t *c = catalog_region(cat, (size_t)r->children[i]);
        if (c->n_children > 0) {
            t->sums[t->n].region = c->code;
            t->index[t->n++] = r->children[i];
        }
    }
    return t;
}

void timely_destroy(timely_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    free((*self_p)->sums);
    free((*self_p)->index);
    free(*self_p);
    *self_p = NULL;
}

static void add_to(timely_sum_t *s, uint64_t expected, uint64_t reported,
                   uint64_t on_time, uint64_t late)
{
    s->regions++;
    s->expected += expected;
    s->reported += reported;
    s->on_time += on_time;
    s->late += late;
}

void timely_add(timely_t *self, uint32_t region, uint64_t expected,
                uint64_t missing, uint64_t on_time, uint64_t late)
{
    int ri = catalog_region_find(self->cat, region);
    if (ri < 0 || !catalog_region_within(self->cat, ri, self->top)) {
        return;
    }
    uint64_t reported = missing < expected ? expected - missing : 0;
    on_time = on_time < reported ? on_time : reported;
    late = late < reported - on_time ? late : reported - on_time;
    add_to(&self->sums[0], expected, reported, on_time, late);
    for (size_t i = 1; i < self->n; i++) {
        if (catalog_region_within(self->cat, ri, self->index[i])) {
            add_to(&self->sums[i], expected, reported, on_time, late);
            break;
        }
    }
}

size_t timely_count(const timely_t *self)
{
    return self->n;
}

const timely_sum_t *timely_sum(const timely_t *self, size_t i)
{
    return i < self->n ? &self->sums[i] : NULL;
}

double timely_rate(uint64_t n, uint64_t expected)
{
    if (expected == 0) {
        return 0.0;
    }
    return n >= expected ? 1.0 : (double)n / (double)expected;
}
