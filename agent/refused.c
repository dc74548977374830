/* refused.c: the cells still due because the collector refused what
 * this office sent for them (refused.h).
 *
 * One row per receipt (taken or refused) and per queued update (taken),
 * sorted by cell and seq; a cell whose rows are all refusals is refused,
 * with the reason of its last row. An office sends some 1,500 figures a
 * year: a status reads them all, sorts once, and looks cells up by
 * binary search.
 */
#include "agent/refused.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

typedef struct row {
    refused_cell_t cell; /* reason: "" when the row is taken */
    uint64_t seq;
} row_t;

typedef struct rows {
    row_t *v;
    size_t n;
    size_t cap;
    uint64_t first_seq;   /* the first receipt's seq (0: none) */
    int64_t first_at;     /* its update's submitted_at */
} rows_t;

static void add(rows_t *r, const spool_update_t *u, const char *reason)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->v = xreallocarray(r->v, r->cap, sizeof *r->v);
    }
    row_t *w = &r->v[r->n++];
    memset(w, 0, sizeof *w);
    memcpy(w->cell.code, u->indicator, sizeof w->cell.code);
    w->cell.code[sizeof w->cell.code - 1] = '\0';
    w->cell.region = u->region;
    w->cell.yyyymm = u->yyyymm;
    snprintf(w->cell.reason, sizeof w->cell.reason, "%s", reason);
    w->seq = u->seq;
}

static int take_receipt(const spool_receipt_t *rc, void *arg)
{
    rows_t *r = arg;
    if (r->first_seq == 0) {
        r->first_seq = rc->update.seq;
        r->first_at = rc->update.submitted_at;
    }
    int taken = strcmp(rc->outcome, SPOOL_OUTCOME_ACCEPTED) == 0 ||
                strcmp(rc->outcome, SPOOL_OUTCOME_UNKNOWN) == 0 ||
                rc->outcome[0] == '\0';
    add(r, &rc->update, taken ? "" : rc->outcome);
    return 0;
}

static int cell_cmp(const refused_cell_t *a, const refused_cell_t *b)
{
    int c = strcmp(a->code, b->code);
    if (c != 0) {
        return c;
    }
    if (a->region != b->region) {
        return a->region < b->region ? -1 : 1;
    }
    if (a->yyyymm != b->yyyymm) {
        return a->yyyymm < b->yyyymm ? -1 : 1;
    }
    return 0;
}

static int row_cmp(const void *pa, const void *pb)
{
    const row_t *a = pa;
    const row_t *b = pb;
    int c = cell_cmp(&a->cell, &b->cell);
    if (c != 0) {
        return c;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Every queued update, as taken rows. */
static int take_queue(spool_t *sp, rows_t *r, char err[ERR_LEN])
{
    spool_stats_t st;
    int rc = spool_stats(sp, &st, err);
    if (rc != ERR_OK || st.queued == 0) {
        return rc;
    }
    enum { CHUNK = 256 };
    spool_update_t *u = xcalloc(CHUNK, sizeof *u);
    uint64_t from = st.first_queued;
    for (;;) {
        size_t n = 0;
        rc = spool_read(sp, from, u, CHUNK, &n, err);
        if (rc != ERR_OK || n == 0) {
            break;
        }
        for (size_t i = 0; i < n; i++) {
            add(r, &u[i], "");
        }
        from = u[n - 1].seq + 1;
    }
    free(u);
    return rc;
}

int refused_load(spool_t *sp, refused_t *out, char err[ERR_LEN])
{
    memset(out, 0, sizeof *out);
    rows_t r = {NULL, 0, 0, 0, 0};
    int rc = spool_receipts(sp, take_receipt, &r, err);
    if (rc == ERR_OK) {
        rc = take_queue(sp, &r, err);
    }
    if (rc != ERR_OK) {
        free(r.v);
        return rc;
    }
    out->from = r.first_seq > 1 ? r.first_at : 0;
    if (r.n > 1) {
        qsort(r.v, r.n, sizeof *r.v, row_cmp);
    }
    for (size_t i = 0; i < r.n;) {
        size_t j = i;
        int taken = 0;
        while (j < r.n && cell_cmp(&r.v[i].cell, &r.v[j].cell) == 0) {
            taken |= r.v[j].cell.reason[0] == '\0';
            j++;
        }
        if (!taken) {
            /* In place: rows i..j-1 are done with, and out->n <= i. */
            r.v[out->n++].cell = r.v[j - 1].cell;
        }
        i = j;
    }
    out->cells = xreallocarray(NULL, out->n ? out->n : 1,
                               sizeof *out->cells);
    for (size_t i = 0; i < out->n; i++) {
        out->cells[i] = r.v[i].cell;
    }
    free(r.v);
    return ERR_OK;
}

const refused_cell_t *refused_find(const refused_t *r, const char *code,
                                   uint32_t region, uint32_t yyyymm)
{
    refused_cell_t key;
    memset(&key, 0, sizeof key);
    snprintf(key.code, sizeof key.code, "%s", code);
    key.region = region;
    key.yyyymm = yyyymm;
    size_t lo = 0;
    size_t hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cell_cmp(&r->cells[mid], &key);
        if (c == 0) {
            return &r->cells[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

int refused_knows(const refused_t *r, int64_t first_at)
{
    return r->from == 0 || first_at > r->from;
}

void refused_fini(refused_t *r)
{
    if (r == NULL) {
        return;
    }
    free(r->cells);
    memset(r, 0, sizeof *r);
}
